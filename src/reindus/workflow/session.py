"""A notebook's first call: :func:`setup` holds the plumbing every notebook needs.

A numbered notebook starts with its papermill ``parameters`` cell (the defaults;
``reindus run NN -p NAME VALUE`` injects a cell after it with other values),
then one call::

    from reindus.workflow import setup

    setup("02-accords-before-after", globals())

:func:`setup` reads the parameters that the notebook declares (its own
``parameters`` cell, via :func:`reindus.workflow.parameters.notebook_parameters`),
takes their current values from the namespace it is given, checks and
converts them with :func:`reindus.workflow.parameters.validate` (so
``-p region 32``, which papermill passes as the integer 32, becomes the code
``"32"``; a region name becomes its code; an unknown value raises
:class:`~reindus.workflow.parameters.ParameterError`, one line: problem and
fix), writes the converted values back into that namespace, declares the run
to :func:`reindus.reporting.start_notebook` and sets the display options.

Writing into the namespace is the one effect on the notebook's variables,
and it is explicit: the notebook passes ``globals()`` itself, and only the
names of its parameters cell are rebound. Nothing is returned, so the call can
end a cell without printing anything.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from reindus import config, reporting
from reindus.workflow.parameters import ParameterError, notebook_parameters, validate

#: pandas display options of every notebook (``pd.set_option`` names, without the
#: ``display.`` prefix). Printed tables use ``to_string`` and are not affected; these
#: shape the frames a cell shows as its last value.
DISPLAY: dict[str, Any] = {"width": 140}


def _notebook_path(notebook: str) -> Path:
    """The ``.ipynb`` path of a numbered notebook (its ``.md`` twin sits beside it)."""
    for path in config.notebook_paths():
        if path.stem == notebook:
            return path
    known = ", ".join(p.stem for p in config.notebook_paths())
    raise ParameterError(f"no notebook named {notebook!r}",
                         f"call setup() with the notebook's file name without extension: {known}")


def setup(notebook: str, namespace: MutableMapping[str, Any], *,
          display: Mapping[str, Any] | None = None,
          figure_dpi: float | None = None) -> None:
    """Validate a notebook's parameters, start its results record, set display options.

    Parameters
    ----------
    notebook
        The notebook's name, its file name without extension, e.g.
        ``"02-accords-before-after"``.
    namespace
        Where the parameters cell assigned its values, normally ``globals()``.
        Every parameter of the notebook's ``parameters`` cell must be defined
        there; each is replaced by its validated value (the type of its default),
        the other names are left alone.
    display
        pandas display options that differ from :data:`DISPLAY` for this
        notebook, without the ``display.`` prefix, e.g. ``{"max_colwidth": 80}``.
    figure_dpi
        Resolution of the figures shown inline (``matplotlib.rcParams
        ["figure.dpi"]``); ``None`` keeps matplotlib's. The files written by
        :func:`reindus.reporting.save_figure` keep their own resolution.

    Raises
    ------
    ParameterError
        When a parameter is missing from ``namespace`` or its value is not
        accepted (wrong type, not an allowed value).
    """
    path = _notebook_path(notebook)
    declared = notebook_parameters(path)
    missing = [name for name in declared if name not in namespace]
    if missing:
        raise ParameterError(f"notebook {notebook}: parameter(s) {', '.join(missing)} not defined",
                             "run the parameters cell before the setup() cell")
    values = validate(path, {name: namespace[name] for name in declared})
    namespace.update(values)
    reporting.start_notebook(notebook, **values)

    import pandas as pd

    for option, value in {**DISPLAY, **(display or {})}.items():
        pd.set_option(f"display.{option}", value)
    if figure_dpi is not None:
        import matplotlib as mpl

        mpl.rcParams["figure.dpi"] = figure_dpi

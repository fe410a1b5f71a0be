"""Workflow: running the project (the top layer).

- :mod:`.notebooks`: builds each notebook from its jupytext twin, executes it, caches runs;
- :mod:`.parameters`: the parameters cell of each notebook, its validation and coercion;
- :mod:`.session`: :func:`setup`, the one call that opens every notebook (parameters,
  results record, display options);
- :mod:`.sweep`: parameter grids run as what-if notebooks;
- :mod:`.checks`: ``reindus check`` (data, figures, results, notebooks, parameters);
- :mod:`.cli`: the ``reindus`` command line.
"""

from typing import Any

__all__ = ["setup"]


def __getattr__(name: str) -> Any:
    # Lazy: ``reindus`` (the CLI) imports this package and must not pay for pandas
    # and the reporting layer unless a notebook asks for ``setup``.
    if name == "setup":
        from reindus.workflow.session import setup

        return setup
    raise AttributeError(f"module 'reindus.workflow' has no attribute {name!r}")

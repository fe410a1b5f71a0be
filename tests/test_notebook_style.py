"""Notebooks read in fifteen minutes: short cells, no helper code, one ``setup()`` call.

The rules, on the MyST twins (the sources):

* no code cell longer than :data:`MAX_LINES` lines (every line of the cell counts,
  comments and blank lines included);
* no ``def``/``class`` in a notebook: logic lives in the library, with tests
  (``lambda`` in a pandas ``assign``/formatter is an expression, not a definition);
* exactly one call ``setup("<its own name>", globals())``
  (:func:`reindus.workflow.setup`), and no ``pd.set_option``, ``start_notebook`` or
  hand-made parameter coercion of its own.

Also :func:`reindus.workflow.setup` itself: coercion of papermill's values, the
results record, display options, one-line :class:`ParameterError` messages.
"""

from __future__ import annotations

import ast
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

from reindus import config, reporting
from reindus.workflow import notebooks
from reindus.workflow.parameters import ParameterError, validate

MAX_LINES = 15
TWINS = [notebooks.twin_path(p) for p in notebooks.notebook_paths()]
PLUMBING = {"set_option", "start_notebook", "zfill"}


def _code_cells(md_text: str) -> list[str]:
    """Sources of the code cells of a MyST twin, as jupytext builds them."""
    import jupytext

    nb = jupytext.reads(md_text, fmt="md:myst")
    return [c.source for c in nb.cells if c.cell_type == "code"]


def style_problems(stem: str, md_text: str) -> list[str]:
    """What breaks the notebook rules in one twin (empty when it follows them)."""
    problems: list[str] = []
    setups: list[ast.Call] = []
    for i, source in enumerate(_code_cells(md_text)):
        n = len(source.split("\n"))
        if n > MAX_LINES:
            problems.append(f"code cell {i} has {n} lines (max {MAX_LINES}): move logic to the "
                            "library or split the cell")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                problems.append(f"code cell {i} defines {node.name!r}: move it to the library")
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else \
                    getattr(node.func, "id", "")
                if name == "setup":
                    setups.append(node)
                elif name in PLUMBING:
                    problems.append(f"code cell {i} calls {name}(): setup() does that")
    if len(setups) != 1:
        problems.append(f"{len(setups)} setup() calls, expected exactly one")
    else:
        args = setups[0].args
        first = args[0].value if args and isinstance(args[0], ast.Constant) else None
        if first != stem or len(args) < 2 or ast.unparse(args[1]) != "globals()":
            problems.append(f"setup() must be called as setup({stem!r}, globals())")
    return problems


@pytest.mark.parametrize("twin", TWINS, ids=[p.stem for p in TWINS])
def test_notebook_follows_the_style(twin: Path) -> None:
    problems = style_problems(twin.stem, twin.read_text(encoding="utf-8"))
    assert not problems, f"{twin.name}: " + "; ".join(problems)


_GOOD = '''# 99 probe

```{code-cell} ipython3
:tags: [parameters]

region = "32"
```

```{code-cell} ipython3
from reindus.workflow import setup

setup("99-probe", globals())
```
'''


def test_style_checker_accepts_a_good_notebook() -> None:
    assert style_problems("99-probe", _GOOD) == []


_SETUP = 'setup("99-probe", globals())'


@pytest.mark.parametrize(("replacement", "expected"), [
    (_SETUP + "\n```\n\n```{code-cell} ipython3\n" + "x = 1\n" * 15 + "x = 1", "16 lines"),
    (_SETUP + "\n\n\ndef helper():\n    return 1", "defines 'helper'"),
    (_SETUP + "\nclass Thing:\n    pass", "defines 'Thing'"),
    ("print(1)", "0 setup() calls"),
    (_SETUP + "\n" + _SETUP, "2 setup() calls"),
    ('setup("98-other", globals())', "must be called"),
    ('setup("99-probe", {})', "must be called"),
    (_SETUP + '\npd.set_option("display.width", 80)', "set_option()"),
    (_SETUP + '\nreporting.start_notebook("99-probe")', "start_notebook()"),
    ("region = str(region).zfill(2)\n" + _SETUP, "zfill()"),
])
def test_style_checker_catches(replacement: str, expected: str) -> None:
    text = _GOOD.replace(_SETUP, replacement)
    problems = style_problems("99-probe", text)
    assert any(expected in p for p in problems), problems


# --------------------------------------------------------------------------- setup()
@pytest.fixture()
def restore_display():
    """Leave pandas' display options and matplotlib's dpi as they were."""
    width = pd.get_option("display.width")
    colwidth = pd.get_option("display.max_colwidth")
    with matplotlib.rc_context():
        yield
    pd.set_option("display.width", width)
    pd.set_option("display.max_colwidth", colwidth)


def test_setup_coerces_papermill_values_and_starts_the_record(reports_dir: Path,
                                                             restore_display: None) -> None:
    from reindus.workflow import setup

    pd.set_option("display.width", 80)
    ns = {"region": 44, "reference_period": "2022q4", "index_base": 2008, "other": object()}
    other = ns["other"]
    assert setup("01-regions-compared", ns) is None  # ends a cell without output
    # papermill's `-p region 44` arrives as an int: the notebook sees the code "44"
    assert {k: ns[k] for k in ("region", "reference_period", "index_base")} == {
        "region": "44", "reference_period": "2022Q4", "index_base": "2008"}
    assert ns["other"] is other  # names outside the parameters cell are left alone
    assert reporting.current_notebook() == "01-regions-compared"
    assert pd.get_option("display.width") == 140


def test_setup_options_per_notebook(reports_dir: Path, restore_display: None) -> None:
    from reindus.workflow import setup

    ns = {"reference_period": "2022Q4", "host_start_year": "2019"}
    setup("06-claims-against-evidence", ns, display={"width": 160, "max_colwidth": 110},
          figure_dpi=80)
    assert ns["host_start_year"] == 2019
    assert pd.get_option("display.width") == 160
    assert pd.get_option("display.max_colwidth") == 110
    assert matplotlib.rcParams["figure.dpi"] == 80


@pytest.mark.parametrize(("notebook", "ns", "message"), [
    ("01-regions-compared", {"region": "99", "reference_period": "2022Q4", "index_base": "2008"},
     "not a region with data"),
    ("01-regions-compared", {"region": "32", "index_base": "2008"}, "reference_period"),
    ("05-territoires-d-industrie", {"region": "32", "wave": 3, "outcome": "log_employment"},
     "'wave' is 3"),
    ("05-territoires-d-industrie", {"region": "32", "wave": "1.5", "outcome": "log_employment"},
     "expects an integer"),
    ("99-none", {}, "no notebook named"),
])
def test_setup_refuses_bad_parameters_in_one_line(reports_dir: Path, restore_display: None,
                                                  notebook: str, ns: dict, message: str) -> None:
    from reindus.workflow import setup

    with pytest.raises(ParameterError, match=message) as err:
        setup(notebook, ns)
    assert "\n" not in str(err.value) and "Fix:" in str(err.value)


@pytest.mark.parametrize(("code", "message"), [
    ("123", "not an EPCI of the COG"),
    ("249720061", "overseas"),  # CA du Centre de la Martinique
])
def test_epci_code_is_checked_against_the_data(code: str, message: str) -> None:
    path = config.notebooks_dir() / "04-intercommunalites.ipynb"
    with pytest.raises(ParameterError, match=message):
        validate(path, {"epci_code": code})
    assert validate(path, {"epci_code": 200072460}) == {"epci_code": "200072460"}

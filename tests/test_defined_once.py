"""Codes and checks shared by every layer are defined once: the overseas regions in
``config.OVERSEAS_REGIONS``, the required-columns check in ``errors.require_columns``."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from reindus import config
from reindus.ingest import schemas


def _literals(tree) -> list[tuple[int, set[str]]]:
    return [(n.lineno, {e.value for e in n.elts if isinstance(e, ast.Constant)})
            for n in ast.walk(tree) if isinstance(n, (ast.Tuple, ast.List, ast.Set))]


def test_shared_codes_and_checks_are_defined_once() -> None:
    """The overseas-region codes live in config, the required-columns check in errors."""
    overseas = set(config.OVERSEAS_REGIONS)
    src = Path(config.__file__).parent
    copies, checks = [], []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(src).as_posix()
        if rel != "config.py":
            copies += [f"{rel}:{line}" for line, values in _literals(tree) if overseas <= values]
        checks += [rel for n in ast.walk(tree)
                   if isinstance(n, ast.FunctionDef) and n.name == "require_columns"]
    assert not copies, f"copies of config.OVERSEAS_REGIONS: {copies}"
    assert checks == ["errors.py"]
    assert set(schemas.REGION_CODES) == overseas | set(schemas.METROPOLITAN_REGION_CODES)
    assert len(schemas.REGION_CODES) == 18



def _zpanel_call(frame: pd.DataFrame) -> None:
    from reindus.designs.territories_robustness import intensity_event_study

    intensity_event_study(frame)


def _panel_call(frame: pd.DataFrame) -> None:
    from reindus.designs.territories_estimates import check_panel

    check_panel(frame, "log_employment", "epci_code")


def _covariates_call(frame: pd.DataFrame) -> None:
    from reindus.designs.territories_estimates import propensity_weights

    propensity_weights(frame.assign(epci_code=["a", "b"], first_treated=[2019, None]),
                       covariates=["absent"])


def _indicators_call(frame: pd.DataFrame) -> None:
    from reindus.designs.territories import covariates

    covariates(frame)


def _membership_call(frame: pd.DataFrame) -> None:
    from reindus.designs.territories import treatment_table

    treatment_table(frame, pd.DataFrame())


def _line_ends_call(frame: pd.DataFrame) -> None:
    from reindus.plots.style import label_line_ends

    label_line_ends(None, frame, x="quarter", y="value", by="region")


@pytest.mark.parametrize("call", [_zpanel_call, _panel_call, _covariates_call, _indicators_call,
                                  _membership_call, _line_ends_call],
                         ids=lambda f: f.__name__.strip("_"))
def test_inputs_are_checked_by_the_one_required_columns_check(call) -> None:
    """Its message names what is missing and what the frame has."""
    frame = pd.DataFrame({"other": [1, 2]})
    with pytest.raises(ValueError, match=r"lacks columns \[.*\]; it has \[.*'other'.*\]"):
        call(frame)
    if call is not _covariates_call:  # that one selects rows before it checks
        with pytest.raises(TypeError, match="must be a pandas DataFrame"):
            call([1, 2])

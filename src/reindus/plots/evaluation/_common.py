"""Shared by the evaluation figures: house colours, period positions, unit names."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from reindus.evaluation.results import EstimateResult
from reindus.plots import style

# House palette (reindus.plots.style, Okabe-Ito): vermillion focus, greys for context.
TREATED_COLOR = style.FOCUS
DONOR_COLOR = "#555555"
PLACEBO_COLOR = "#bbbbbb"
BREAK_COLOR = "#0072B2"

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")


def _name(names: Mapping[str, str] | None, unit: Any) -> str:
    return str(unit) if names is None else str(names.get(unit, unit))


def _x(periods: Sequence[Any] | pd.Series) -> Any:
    """Plot positions: timestamps for quarters ('2024Q1' or Period), numbers otherwise."""
    values = [str(v) for v in periods]
    if values and all(_QUARTER.match(v) for v in values):
        return pd.PeriodIndex(values, freq="Q-DEC").to_timestamp()
    try:
        return pd.to_numeric(pd.Series(values)).to_numpy()
    except ValueError as err:
        raise ValueError("periods must be quarters like '2024Q1' or numbers") from err


def _x1(period: Any) -> Any:
    """Plot position of one period (see :func:`_x`)."""
    return _x([period])[0]


def _details(result: EstimateResult, what: str) -> pd.DataFrame:
    if not isinstance(result, EstimateResult) or result.details is None:
        raise TypeError(f"{what} needs an EstimateResult with details")
    return result.details

"""Shared plumbing: tidy long panel -> balanced unit x period matrix, checks.

Estimators in this package take a *tidy long frame* (one row per unit and
period) and work internally on a dense ``units x periods`` matrix, which makes
the two-way fixed-effects algebra exact and fast on a balanced panel.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class WidePanel:
    """A balanced panel as a matrix.

    Attributes
    ----------
    Y
        ``(n_units, n_periods)`` outcome matrix.
    units
        Unit identifiers (as strings), row order of ``Y``.
    periods
        Sorted period labels (ints or pandas Periods), column order of ``Y``.
    """

    Y: np.ndarray
    units: list[str]
    periods: pd.Index

    def unit_index(self, unit: Hashable) -> int:
        try:
            return self.units.index(str(unit))
        except ValueError:
            shown = self.units if len(self.units) <= 10 else [*self.units[:10], "..."]
            raise ValueError(f"unit {unit!r} is not in the panel ({len(self.units)} units: "
                             f"{shown})") from None

    def period_index(self, period: Any) -> int:
        """Position of the first period >= ``period``."""
        if isinstance(period, str) and len(self.periods) and isinstance(self.periods[0], pd.Period):
            period = pd.Period(period, freq=self.periods[0].freq)
        pos = int(self.periods.searchsorted(period))
        if pos >= len(self.periods):
            raise ValueError(f"period {period} is after the last period {self.periods[-1]}")
        return pos

    def subset(self, units: Iterable[str]) -> WidePanel:
        idx = [self.unit_index(u) for u in units]
        return WidePanel(self.Y[idx], [self.units[i] for i in idx], self.periods)

    def label(self, pos: int) -> str:
        return str(self.periods[pos])


def to_wide(df: pd.DataFrame, *, unit: str = "unit", period: str = "period",
            outcome: str = "y") -> WidePanel:
    """Pivot a tidy long panel to a balanced matrix, refusing gaps.

    Raises
    ------
    ValueError
        On missing columns, duplicated (unit, period) rows, missing or
        non-finite outcomes, or an unbalanced panel.
    """
    missing = [c for c in (unit, period, outcome) if c not in df.columns]
    if missing:
        raise ValueError(f"panel lacks column(s) {missing}; has {list(df.columns)}")
    if df.duplicated([unit, period]).any():
        dup = df.loc[df.duplicated([unit, period], keep=False), [unit, period]].head(3)
        raise ValueError(f"panel has duplicated (unit, period) rows, e.g.\n{dup}")
    d = df[[unit, period, outcome]].copy()
    d[unit] = d[unit].astype(str)
    wide = d.pivot(index=unit, columns=period, values=outcome).sort_index().sort_index(axis=1)
    Y = wide.to_numpy(dtype=float)
    if not np.isfinite(Y).all():
        bad = int((~np.isfinite(Y)).sum())
        raise ValueError(f"panel is unbalanced or has missing/non-finite {outcome!r}: "
                         f"{bad} empty unit-period cells; fill or drop them first")
    return WidePanel(Y, [str(u) for u in wide.index], pd.Index(wide.columns))


def normalise_treated(treated: Hashable | Iterable[Hashable]) -> list[str]:
    if isinstance(treated, (str, int, np.integer)):
        return [str(treated)]
    out = [str(t) for t in treated]  # type: ignore[union-attr]
    if not out:
        raise ValueError("no treated unit given")
    return out


def start_positions(wp: WidePanel, treated: list[str],
                    start: Any | Mapping[Hashable, Any]) -> dict[str, int]:
    """Column position of the first treated period of each treated unit."""
    if isinstance(start, Mapping):
        starts = {str(k): v for k, v in start.items()}
        missing = [t for t in treated if t not in starts]
        if missing:
            raise ValueError(f"no start period for treated unit(s) {missing}")
    else:
        if start is None:
            raise ValueError("give the first treated period (start)")
        starts = {t: start for t in treated}
    out = {}
    for t in treated:
        pos = wp.period_index(starts[t])
        if pos < 2:
            raise ValueError(f"unit {t}: need at least two pre-treatment periods before {starts[t]}")
        out[t] = pos
    return out


def common_start(spos: Mapping[str, int], message: str) -> int:
    """The one start position shared by every treated unit, or ``ValueError(message)``.

    For the block designs (SDID, trend adjustment, the MDE), which compare one post
    period with one pre period.
    """
    if len(set(spos.values())) != 1:
        raise ValueError(message)
    return next(iter(spos.values()))


def treatment_matrix(n_units: int, n_periods: int, rows: Mapping[int, int]) -> np.ndarray:
    """0/1 matrix with ones from ``rows[i]`` (position) onwards in row ``i``."""
    D = np.zeros((n_units, n_periods))
    for i, s in rows.items():
        D[i, s:] = 1.0
    return D


def controls_list(wp: WidePanel, treated: list[str], controls: Iterable[Hashable] | None,
                  *, min_controls: int = 1, what: str = "control units") -> list[str]:
    """Control units (default: every unit not treated), checked.

    ``min_controls`` is the fewest the caller can work with: one for a DiD
    point estimate (whose inference then needs more, see :func:`did`), two
    for a synthetic control (a convex combination of one donor is that donor,
    and its placebo fits would have no donor at all).
    """
    for t in treated:
        wp.unit_index(t)
    if controls is None:
        c = [u for u in wp.units if u not in treated]
    else:
        c = [str(u) for u in controls]
        overlap = sorted(set(c) & set(treated))
        if overlap:
            raise ValueError(f"unit(s) {overlap} are both treated and controls")
        for u in c:
            wp.unit_index(u)
    if len(c) < min_controls:
        raise ValueError(f"need at least {min_controls} {what}, got {len(c)} ({c}); "
                         "add units to the panel or to the control list")
    return c


def period_range(wp: WidePanel, a: int, b: int) -> str:
    return f"{wp.label(a)}..{wp.label(b)}"

"""Shared plumbing: tidy long panel -> balanced unit x period matrix, checks.

Estimators in this package take a *tidy long frame* (one row per unit and
period) and work internally on a dense ``units x periods`` matrix, which makes
the two-way fixed-effects algebra exact and fast on a balanced panel.
"""

from __future__ import annotations

import itertools
import math
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


def treatment_matrix(n_units: int, n_periods: int, rows: Mapping[int, int]) -> np.ndarray:
    """0/1 matrix with ones from ``rows[i]`` (position) onwards in row ``i``."""
    D = np.zeros((n_units, n_periods))
    for i, s in rows.items():
        D[i, s:] = 1.0
    return D


def two_way_demean(A: np.ndarray) -> np.ndarray:
    """Remove row and column means (last two axes): ``a_it - a_i. - a_.t + a_..``.

    On a balanced panel this is exactly the residual of a regression on unit
    and period dummies (Frisch–Waugh–Lovell).
    """
    return (A - A.mean(axis=-1, keepdims=True) - A.mean(axis=-2, keepdims=True)
            + A.mean(axis=(-2, -1), keepdims=True))


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


def quantile_interval(est: float, placebo: np.ndarray, level: float) -> tuple[float, float, float]:
    """Conley–Taber interval ``[est - q_hi, est - q_lo]`` from placebo errors.

    Uses conservative order statistics: the lower quantile is the k-th
    smallest placebo with ``k = floor((alpha/2) (N+1))`` (at least 1), so that
    with few placebos the interval falls back to the full placebo range.
    Returns ``(lo, hi, achieved_level)`` where ``achieved_level`` is the
    coverage the order statistics guarantee under exchangeability,
    ``1 - 2k/(N+1)``.
    """
    g = np.sort(np.asarray(placebo, dtype=float))
    n = g.size
    if n == 0:
        return -np.inf, np.inf, 1.0
    alpha = 1.0 - level
    k = max(1, int(np.floor(alpha / 2 * (n + 1))))
    q_lo, q_hi = g[k - 1], g[n - k]
    achieved = 1.0 - 2.0 * k / (n + 1)
    return est - q_hi, est - q_lo, achieved


def rank_p_value(observed: float, reference: np.ndarray, *, include_observed: bool = True) -> float:
    """Share of ``reference`` statistics at least as large as ``observed``.

    With ``include_observed`` the observed statistic counts itself (Fisher's
    exact p-value when ``reference`` holds the other assignments).
    """
    ref = np.asarray(reference, dtype=float)
    # A relative tolerance so that ties created by floating-point noise count.
    tol = 1e-10 * max(1.0, abs(observed))
    hits = int((ref >= observed - tol).sum())
    if include_observed:
        return (hits + 1) / (ref.size + 1)
    return hits / max(ref.size, 1)


def invert_test(pfun, center: float, scale: float, alpha: float, *,
                max_width: float = 1e3, tol: float = 1e-6) -> tuple[float, float]:
    """Confidence set ``{tau0: p(tau0) > alpha}`` by expanding search and bisection.

    Assumes the acceptance region is an interval containing ``center``
    (checked); returns infinite bounds when the search reaches
    ``center +- max_width * scale`` without rejecting.
    """
    if pfun(center) <= alpha:
        # Rare: the point estimate itself is rejected (discrete p-values); report the empty set
        return np.nan, np.nan
    scale = max(scale, 1e-12)
    bounds = []
    for sign in (-1.0, 1.0):
        inside, step = 0.0, scale
        outside = None
        while step <= max_width * scale:
            if pfun(center + sign * step) <= alpha:
                outside = step
                break
            inside, step = step, step * 2.0
        if outside is None:
            bounds.append(sign * np.inf)
            continue
        lo, hi = inside, outside
        while hi - lo > tol * max(scale, 1e-12) * 10 and hi - lo > 1e-12:
            mid = 0.5 * (lo + hi)
            if pfun(center + sign * mid) <= alpha:
                hi = mid
            else:
                lo = mid
        bounds.append(center + sign * 0.5 * (lo + hi))
    return bounds[0], bounds[1]


def period_range(wp: WidePanel, a: int, b: int) -> str:
    return f"{wp.label(a)}..{wp.label(b)}"


def assignments(pool: list[int], starts: list[int], n_perm: int, rng: np.random.Generator,
                 actual: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Ordered k-tuples of units receiving the k start dates (actual one first).

    The number of ordered assignments, :math:`n!/(n-k)!`, is counted exactly
    with :func:`math.perm` (Python integers do not overflow: a product in
    ``int64`` wraps around for 30 units with 14 treated and sent the code down
    the enumeration branch). Every assignment is enumerated only when there
    are at most ``n_perm`` of them; otherwise ``n_perm`` distinct random ones
    are drawn, so memory stays proportional to ``n_perm`` whatever the panel.
    """
    k = len(starts)
    if k > len(pool):
        raise ValueError(f"{k} start dates to assign but only {len(pool)} units")
    n_total = math.perm(len(pool), k)
    if n_total <= n_perm:
        out = [a for a in itertools.permutations(pool, k) if a != actual]
    else:
        seen = {actual}
        out = []
        while len(out) < n_perm:
            a = tuple(int(x) for x in rng.choice(pool, size=k, replace=False))
            if a not in seen:
                seen.add(a)
                out.append(a)
    return [actual, *out]


def subsets(n: int, k: int, n_max: int, rng: np.random.Generator) -> np.ndarray:
    """All k-subsets of range(n) when there are at most ``n_max``, else a sample of ``n_max``."""
    total = math.comb(n, k)
    if total <= n_max:
        return np.array(list(itertools.combinations(range(n), k)), dtype=int).reshape(-1, k)
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < n_max:
        s = tuple(sorted(int(x) for x in rng.choice(n, size=k, replace=False)))
        if s not in seen:
            seen.add(s)
            out.append(s)
    return np.array(out, dtype=int)

"""Trajectories: base-100 indices, period-on-period growth, compound annual growth.

The time column holds pandas Periods (quarters for the Urssaf series) or integer years.
Growth over ``k`` periods is matched on the calendar (period ``t`` against ``t - k``),
never on row position, so a gap in a series gives a missing growth rate rather than a
wrong one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reindus.indicators._common import (
    as_keys,
    coerce_time,
    periods_per_year,
    require_columns,
    require_unique,
)


def _base_mask(time: pd.Series, base: object) -> pd.Series:
    """Rows of ``time`` inside ``base``: one period, or a whole year for sub-annual data."""
    if isinstance(time.dtype, pd.PeriodDtype):
        period = base if isinstance(base, pd.Period) else pd.Period(str(base))
        if pd.PeriodDtype(period.freq) == time.dtype:
            return time == period
        # A coarser base (e.g. the year 2015 for quarterly data): the periods it contains.
        return (time.dt.start_time >= period.start_time) & (time.dt.end_time <= period.end_time)
    return time == coerce_time(base, time)


def index(
    frame: pd.DataFrame,
    value: str = "employment",
    *,
    base: object,
    time: str = "quarter",
    by: str | Iterable[str] | None = None,
    name: str = "index",
) -> pd.DataFrame:
    """Base-100 index of ``value`` within each ``by`` group.

    .. math:: I_t = 100 \\, x_t / \\bar{x}_{b}

    where :math:`\\bar{x}_b` is the value at the base period :math:`b`, or its mean over
    the periods of ``base`` when ``base`` is coarser than the data (``base='2015'`` on
    quarterly data averages the four quarters of 2015, the usual Insee convention).

    Parameters
    ----------
    frame
        Tidy frame with ``time``, ``value`` and the ``by`` columns.
    base
        Base period: ``'2019Q4'``, ``pd.Period('2019Q4')``, ``'2015'`` (a year) or, for
        integer years, ``2019``.
    by
        Series identifiers, e.g. ``'region_code'`` or ``['region_code', 'sector_code']``.

    Returns
    -------
    DataFrame
        ``frame`` with a float column ``name``; it equals 100 at the base period.

    Raises
    ------
    ValueError
        When a group has no observation in the base, or a zero base value.
    """
    keys = as_keys(by)
    require_columns(frame, [*keys, time, value], "frame")
    require_unique(frame, [*keys, time], "frame")
    mask = _base_mask(frame[time], base)
    base_rows = frame.loc[mask]
    if keys:
        base_value = base_rows.groupby(keys, observed=True)[value].mean().rename("_base")
        out = frame.merge(base_value, left_on=keys, right_index=True, how="left")
    else:
        out = frame.assign(_base=base_rows[value].mean() if len(base_rows) else np.nan)
    if out["_base"].isna().any():
        missing = out.loc[out["_base"].isna(), keys].drop_duplicates().head(3)
        raise ValueError(f"no observation at base {base!r} for "
                         f"{missing.to_dict('records') if keys else 'the series'}")
    if (out["_base"] == 0).any():
        raise ValueError(f"zero value at base {base!r}: an index is undefined")
    out[name] = 100.0 * out[value] / out["_base"]
    return out.drop(columns="_base")


def growth_rate(
    frame: pd.DataFrame,
    value: str = "employment",
    *,
    periods: int = 1,
    time: str = "quarter",
    by: str | Iterable[str] | None = None,
    name: str = "growth_pct",
) -> pd.DataFrame:
    """Growth over ``periods`` periods, in percent.

    .. math:: g_t = 100 \\, (x_t / x_{t-k} - 1)

    with :math:`k` = ``periods`` (1 = quarter-on-quarter for quarterly data). The
    previous value is looked up by calendar period; it is missing (NaN) for the first
    ``k`` periods, after a gap, or when :math:`x_{t-k} = 0`.
    """
    if not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ValueError(f"periods must be a positive integer, got {periods!r}")
    keys = as_keys(by)
    require_columns(frame, [*keys, time, value], "frame")
    require_unique(frame, [*keys, time], "frame")
    periods_per_year(frame[time])  # checks the time column's type
    prev = frame[[*keys, time, value]].copy()
    prev[time] = prev[time] + int(periods)
    prev = prev.rename(columns={value: "_prev"})
    out = frame.merge(prev, on=[*keys, time], how="left")
    prior = out["_prev"].astype("float64")
    out[name] = (100.0 * (out[value] / prior - 1.0)).where(prior != 0)
    return out.drop(columns="_prev")


def qoq(frame: pd.DataFrame, value: str = "employment", *, time: str = "quarter",
        by: str | Iterable[str] | None = None, name: str = "qoq_pct") -> pd.DataFrame:
    """Quarter-on-quarter growth in percent (:func:`growth_rate` with one period)."""
    if periods_per_year(frame[time]) != 4:
        raise ValueError(f"qoq needs quarterly data, {time!r} is {frame[time].dtype}")
    return growth_rate(frame, value, periods=1, time=time, by=by, name=name)


def yoy(frame: pd.DataFrame, value: str = "employment", *, time: str = "quarter",
        by: str | Iterable[str] | None = None, name: str = "yoy_pct") -> pd.DataFrame:
    """Year-on-year growth in percent: the same period one year earlier.

    .. math:: g_t = 100 \\, (x_t / x_{t-p} - 1), \\quad p = \\text{periods per year}
    """
    return growth_rate(frame, value, periods=periods_per_year(frame[time]), time=time, by=by,
                       name=name)


def cagr(
    frame: pd.DataFrame,
    value: str = "employment",
    *,
    start: object,
    end: object,
    time: str = "quarter",
    by: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Compound annual growth rate between two periods, in percent.

    .. math:: \\text{CAGR} = 100 \\left[ (x_{end} / x_{start})^{1/n} - 1 \\right]

    where :math:`n` is the number of years between the two periods (quarters / 4).

    Returns
    -------
    DataFrame
        One row per ``by`` group: ``by`` columns, ``start``, ``end`` (as strings),
        ``value_start``, ``value_end``, ``years``, ``change``, ``change_pct``, ``cagr_pct``.
    """
    keys = as_keys(by)
    require_columns(frame, [*keys, time, value], "frame")
    require_unique(frame, [*keys, time], "frame")
    t0, t1 = coerce_time(start, frame[time]), coerce_time(end, frame[time])
    steps = (t1 - t0).n if isinstance(t0, pd.Period) else t1 - t0  # type: ignore[operator]
    if steps <= 0:
        raise ValueError(f"end {end!r} must come after start {start!r}")
    years = steps / periods_per_year(frame[time])
    pick = [*keys, value]
    a = frame.loc[frame[time] == t0, pick].rename(columns={value: "value_start"})
    b = frame.loc[frame[time] == t1, pick].rename(columns={value: "value_end"})
    if a.empty or b.empty:
        raise ValueError(f"no observation at {start if a.empty else end!r}")
    out = a.merge(b, on=keys, how="outer") if keys else pd.concat(
        [a.reset_index(drop=True), b.reset_index(drop=True)], axis=1)
    if out[["value_start", "value_end"]].isna().any().any():
        raise ValueError(f"some series lack an observation at {start!r} or {end!r}")
    out.insert(len(keys), "start", str(t0))
    out.insert(len(keys) + 1, "end", str(t1))
    out["years"] = years
    out["change"] = out["value_end"] - out["value_start"]
    ratio = (out["value_end"] / out["value_start"]).where(out["value_start"] > 0)
    out["change_pct"] = 100.0 * (ratio - 1.0)
    out["cagr_pct"] = 100.0 * (ratio ** (1.0 / years) - 1.0)
    return out



def cagr_windows(
    frame: pd.DataFrame,
    value: str = "employment",
    *,
    windows: Iterable[tuple[object, object]],
    time: str = "quarter",
    by: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """:func:`cagr` over several ``(start, end)`` windows, stacked, with a ``window``
    column ``"start-end"`` (e.g. ``"2008Q4-2017Q4"``) to pivot on."""
    parts = [cagr(frame, value, start=a, end=b, time=time, by=by).assign(window=f"{a}-{b}")
             for a, b in windows]
    return pd.concat(parts, ignore_index=True)

def matched_change(
    frame: pd.DataFrame,
    value: str = "employment",
    *,
    start: object,
    end: object,
    by: str | Iterable[str],
    cell: str | Iterable[str],
    time: str = "year",
) -> pd.DataFrame:
    """Change of a total between two dates, over the cells observed at both dates.

    When some cells are withheld (NaN) at one date, summing everything would mix a
    change with a change of coverage. Here the total of each ``by`` group is summed
    over its matched cells :math:`M` only (cells with a value at both dates):

    .. math::

        X^{a}_g = \\sum_{c \\in M_g} x_{c,a}, \\qquad
        \\Delta_g = X^{end}_g - X^{start}_g, \\qquad
        \\%\\Delta_g = 100 \\, \\Delta_g / X^{start}_g .

    Parameters
    ----------
    frame
        Tidy frame, e.g. ``data.zone_employment()`` restricted to ``a5 == 'BE'``.
    by
        Groups, e.g. ``'zone_code'``.
    cell
        Cells inside a group, e.g. ``'sector_code'``.

    Returns
    -------
    DataFrame
        ``by``, ``value_start``, ``value_end``, ``change``, ``change_pct`` (NaN when the
        start total is 0), ``n_cells`` (matched), ``n_unmatched`` (cells dropped because
        missing at one date), ``matched_share_start`` (share of the group's start total
        kept, 1.0 when nothing is dropped).
    """
    keys, cells = as_keys(by), as_keys(cell)
    if not keys:
        raise ValueError("by must name at least one column")
    require_columns(frame, [*keys, *cells, time, value], "frame")
    require_unique(frame, [*keys, *cells, time], "frame")
    t0, t1 = coerce_time(start, frame[time]), coerce_time(end, frame[time])
    a = frame.loc[frame[time] == t0, [*keys, *cells, value]].rename(columns={value: "a"})
    b = frame.loc[frame[time] == t1, [*keys, *cells, value]].rename(columns={value: "b"})
    if a.empty or b.empty:
        raise ValueError(f"no observation at {start if a.empty else end!r}")
    both = a.merge(b, on=[*keys, *cells], how="outer")
    both["matched"] = both["a"].notna() & both["b"].notna()
    m = both.loc[both["matched"]]
    out = m.groupby(keys, as_index=False, observed=True, sort=True).agg(
        value_start=("a", "sum"), value_end=("b", "sum"), n_cells=("a", "size"))
    counts = both.groupby(keys, observed=True).agg(
        n_unmatched=("matched", lambda s: int((~s).sum())), all_start=("a", "sum"))
    out = out.merge(counts, left_on=keys, right_index=True, how="left")
    out["change"] = out["value_end"] - out["value_start"]
    out["change_pct"] = (100.0 * out["change"] / out["value_start"]).where(out["value_start"] > 0)
    out["matched_share_start"] = (out["value_start"] / out["all_start"]).where(
        out["all_start"] > 0)
    cols = [*keys, "value_start", "value_end", "change", "change_pct", "n_cells", "n_unmatched",
            "matched_share_start"]
    return out[cols]

"""Shift-share decomposition of regional employment change.

The change of a region's employment between two periods is split into what it would
have been had each of its sectors grown like the nation as a whole (national
effect), what its sector mix adds (sectors that grow faster or slower than the
nation: mix effect), and the rest, where the region's sectors did better or worse
than the same sectors nationally (regional or competitive effect).

For region *r*, sector *s*, periods 0 and 1, national sector employment
:math:`E_s` and national total :math:`E`:

.. math::

    g = E^1/E^0 - 1, \\qquad g_s = E^1_s / E^0_s - 1, \\qquad
    \\Delta E_{rs} = \\underbrace{E^0_{rs} g}_{\\text{national}}
    + \\underbrace{E^0_{rs} (g_s - g)}_{\\text{mix}}
    + \\underbrace{E^1_{rs} - E^0_{rs}(1 + g_s)}_{\\text{competitive}} .

The competitive term is the residual, so the three components add up exactly to the
observed change (to floating-point rounding). The classic decomposition uses the
sector structure of the start period only; over long spans the structure drifts, so
the chained (dynamic) version repeats the decomposition year by year and sums the
components (Barff and Knight, 1988). The chained sum still adds up to the observed
change because the yearly changes telescope.
"""

from __future__ import annotations

import pandas as pd

from reindus.indicators._common import (
    attach_labels,
    coerce_time,
    periods_per_year,
    require_columns,
    require_finite_nonnegative,
    require_unique,
)

COMPONENTS: tuple[str, ...] = ("national_effect", "mix_effect", "competitive_effect")


def _levels(frame: pd.DataFrame, t: object, value: str, region: str, sector: str,
            time: str) -> pd.Series:
    rows = frame.loc[frame[time] == t]
    if rows.empty:
        raise ValueError(f"no observation at {t}")
    return rows.set_index([region, sector])[value].astype("float64")


def _one_step(frame: pd.DataFrame, t0: object, t1: object, value: str, region: str,
              sector: str, time: str, reference: pd.DataFrame | None) -> pd.DataFrame:
    e0 = _levels(frame, t0, value, region, sector, time).rename("employment_start")
    e1 = _levels(frame, t1, value, region, sector, time).rename("employment_end")
    cells = pd.concat([e0, e1], axis=1)
    if cells.isna().any().any():
        bad = cells[cells.isna().any(axis=1)].index[:3].tolist()
        raise ValueError(f"cells {bad} are observed at only one of {t0} and {t1}; "
                         "fill them with 0 if the sector is absent")
    if reference is None:
        n0 = cells.groupby(level=sector)["employment_start"].sum()
        n1 = cells.groupby(level=sector)["employment_end"].sum()
    else:
        n0 = _levels(reference, t0, value, "_all", sector, time).droplevel(0)
        n1 = _levels(reference, t1, value, "_all", sector, time).droplevel(0)
        missing = set(cells.index.get_level_values(sector)) - (set(n0.index) & set(n1.index))
        if missing:
            raise ValueError(f"the reference lacks sectors {sorted(missing)}")
    if not n0.sum() > 0:
        raise ValueError(f"national {value} is zero at {t0}: growth rates are undefined")
    g = n1.sum() / n0.sum() - 1.0
    # A sector absent nationally at t0 has no growth rate; its cells have E0 = 0, so their
    # national and mix effects are 0 and their whole change is counted as competitive.
    g_s = (n1 / n0.where(n0 > 0) - 1.0).fillna(0.0)
    gs = cells.index.get_level_values(sector).map(g_s).to_numpy(dtype="float64")
    out = cells.reset_index()
    out["actual_change"] = out["employment_end"] - out["employment_start"]
    out["national_effect"] = out["employment_start"] * g
    out["mix_effect"] = out["employment_start"] * (gs - g)
    out["competitive_effect"] = (out["actual_change"] - out["national_effect"]
                                 - out["mix_effect"])
    out.insert(2, "start", str(t0))
    out.insert(3, "end", str(t1))
    out["national_growth_pct"] = 100.0 * g
    out["sector_growth_pct"] = 100.0 * gs
    return out


def _prepare(frame: pd.DataFrame, value: str, region: str, sector: str, time: str,
             reference: pd.DataFrame | None) -> pd.DataFrame | None:
    require_columns(frame, [region, sector, time, value], "frame")
    require_unique(frame, [region, sector, time], "frame")
    require_finite_nonnegative(frame[value], f"frame[{value!r}]")
    if reference is None:
        return None
    require_columns(reference, [sector, time, value], "reference")
    require_unique(reference, [sector, time], "reference")
    return reference.assign(_all="nation")


def _aggregate(cells: pd.DataFrame, region: str, by_sector: bool, sector: str) -> pd.DataFrame:
    keys = [region, sector] if by_sector else [region]
    cols = ["employment_start", "employment_end", "actual_change", *COMPONENTS]
    out = cells.groupby([*keys, "start", "end"], as_index=False, observed=True, sort=False)[
        cols].sum()
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def shift_share(
    frame: pd.DataFrame,
    start: object,
    end: object,
    *,
    value: str = "employment",
    region: str = "region_code",
    sector: str = "sector_code",
    time: str = "quarter",
    by_sector: bool = False,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classic shift-share decomposition of the change between ``start`` and ``end``.

    See the module docstring for the formula.

    Parameters
    ----------
    frame
        Tidy region x sector x period frame. Pass the sectors to decompose over (all
        sectors for total employment, industrial sectors for industrial employment).
    start, end
        Periods, e.g. ``'2015Q4'`` and ``'2025Q4'``.
    by_sector
        Return one row per region and sector instead of one per region.
    reference
        National totals by sector and period (columns ``sector``, ``time``, ``value``);
        default: the sum of the regions of ``frame``.

    Returns
    -------
    DataFrame
        ``region`` (with label when available), [``sector``], ``start``, ``end``,
        ``employment_start``, ``employment_end``, ``actual_change``,
        ``national_effect``, ``mix_effect``, ``competitive_effect``;
        ``national_effect + mix_effect + competitive_effect == actual_change``.
    """
    ref = _prepare(frame, value, region, sector, time, reference)
    t0, t1 = coerce_time(start, frame[time]), coerce_time(end, frame[time])
    if not t1 > t0:  # type: ignore[operator]
        raise ValueError(f"end {end!r} must come after start {start!r}")
    cells = _one_step(frame, t0, t1, value, region, sector, time, ref)
    if by_sector:
        out = cells.drop(columns=["national_growth_pct"])
    else:
        out = _aggregate(cells, region, False, sector)
    return attach_labels(out, frame)


def shift_share_steps(
    frame: pd.DataFrame,
    start: object,
    end: object,
    *,
    step: int | None = None,
    value: str = "employment",
    region: str = "region_code",
    sector: str = "sector_code",
    time: str = "quarter",
    by_sector: bool = False,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Classic shift-share over each consecutive sub-period of ``step`` periods.

    The sub-periods are ``start, start + step, ...``; the last one ends at ``end``
    (shorter if the span is not a multiple of ``step``). ``step`` defaults to one year
    (4 quarters). Returns the rows of :func:`shift_share` for each sub-period.
    """
    ref = _prepare(frame, value, region, sector, time, reference)
    t0, t1 = coerce_time(start, frame[time]), coerce_time(end, frame[time])
    if not t1 > t0:  # type: ignore[operator]
        raise ValueError(f"end {end!r} must come after start {start!r}")
    step = periods_per_year(frame[time]) if step is None else int(step)
    if step < 1:
        raise ValueError(f"step must be a positive integer, got {step}")
    points = [t0]
    while points[-1] < t1:  # type: ignore[operator]
        nxt = points[-1] + step  # type: ignore[operator]
        points.append(nxt if nxt < t1 else t1)  # type: ignore[operator]
    parts = []
    for a, b in zip(points[:-1], points[1:], strict=True):
        cells = _one_step(frame, a, b, value, region, sector, time, ref)
        parts.append(cells.drop(columns=["national_growth_pct"]) if by_sector
                     else _aggregate(cells, region, False, sector))
    return attach_labels(pd.concat(parts, ignore_index=True), frame)


def chained_shift_share(
    frame: pd.DataFrame,
    start: object,
    end: object,
    *,
    step: int | None = None,
    value: str = "employment",
    region: str = "region_code",
    sector: str = "sector_code",
    time: str = "quarter",
    by_sector: bool = False,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Chained (dynamic, year-by-year) shift-share between ``start`` and ``end``.

    .. math:: C_r = \\sum_{k} C_r^{(t_k, t_{k+1})}

    for each component *C*, where the classic decomposition is applied to each
    sub-period of :func:`shift_share_steps`. ``actual_change`` telescopes to
    :math:`E^{end}_r - E^{start}_r`, so the components still add up to it.

    Returns
    -------
    DataFrame
        Same columns as :func:`shift_share` (``start``/``end`` the whole span).
    """
    steps = shift_share_steps(frame, start, end, step=step, value=value, region=region,
                              sector=sector, time=time, by_sector=by_sector,
                              reference=reference)
    keys = [region, sector] if by_sector else [region]
    first = steps["start"].iloc[0]
    last = steps["end"].iloc[-1]
    sums = steps.groupby(keys, as_index=False, observed=True, sort=True)[
        ["actual_change", *COMPONENTS]].sum()
    ends = steps.loc[steps["start"] == first, [*keys, "employment_start"]].merge(
        steps.loc[steps["end"] == last, [*keys, "employment_end"]], on=keys)
    out = ends.merge(sums, on=keys)
    out.insert(len(keys), "start", first)
    out.insert(len(keys) + 1, "end", last)
    return attach_labels(out, frame)

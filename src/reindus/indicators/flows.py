"""Gross job creation and destruction from a panel of cells (e.g. region x sector).

Following Davis, Haltiwanger and Schuh (1996, *Job Creation and Destruction*), with
cells *c* of a group (e.g. the 28 sectors of a region) observed at :math:`t-k` and
:math:`t`, :math:`\\Delta_c = E_{c,t} - E_{c,t-k}` and average size
:math:`X_c = (E_{c,t} + E_{c,t-k}) / 2`:

.. math::

    C = \\sum_c \\max(\\Delta_c, 0), \\quad D = \\sum_c \\max(-\\Delta_c, 0), \\quad
    X = \\sum_c X_c,

    JCR = C / X, \\quad JDR = D / X, \\quad NET = JCR - JDR = (C - D) / X,

    SUM = JCR + JDR \\ (\\text{gross reallocation}), \\quad
    EXCESS = SUM - |NET| .

:math:`C - D` is exactly the net change of the group's employment. The DHS
denominator (average of the two periods) keeps rates symmetric and bounded.

**Lower bound.** Here a cell is a whole sector of a region, not an establishment. A
cell's change nets out all the hiring and firing inside it: a plant closing and
another opening in the same sector and region cancel out. Cell-level creation and
destruction are therefore a *lower bound* of establishment-level (or firm-level)
gross flows, and the coarser the cells the lower the bound; excess reallocation
measures only the churning *between* cells.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reindus.indicators._common import (
    as_keys,
    attach_labels,
    require_columns,
    require_finite_nonnegative,
    require_unique,
)


def cell_changes(
    frame: pd.DataFrame,
    *,
    cell: str | Iterable[str] = ("region_code", "sector_code"),
    value: str = "employment",
    time: str = "quarter",
    periods: int = 1,
) -> pd.DataFrame:
    """Change of each cell over ``periods`` periods, matched on the calendar.

    Returns
    -------
    DataFrame
        ``cell`` columns, ``time`` (the end period), ``previous``, ``current``,
        ``change``, ``average`` (:math:`X_c`). Pairs where one of the two periods is
        not observed are left out (a cell absent from the table has no measured
        flow; fill it with 0 beforehand if absence means no employment).
    """
    keys = as_keys(cell)
    if not isinstance(periods, (int, np.integer)) or periods < 1:
        raise ValueError(f"periods must be a positive integer, got {periods!r}")
    require_columns(frame, [*keys, time, value], "frame")
    require_unique(frame, [*keys, time], "frame")
    require_finite_nonnegative(frame[value], f"frame[{value!r}]")
    cur = frame[[*keys, time, value]].rename(columns={value: "current"})
    prev = cur.rename(columns={"current": "previous"})
    prev[time] = prev[time] + int(periods)
    out = prev.merge(cur, on=[*keys, time], how="inner")
    out = out[[*keys, time, "previous", "current"]]
    out["change"] = out["current"] - out["previous"]
    out["average"] = (out["current"] + out["previous"]) / 2.0
    return out.sort_values([*keys, time], kind="stable").reset_index(drop=True)


def gross_flows(
    frame: pd.DataFrame,
    *,
    cell: str | Iterable[str] = ("region_code", "sector_code"),
    by: str | Iterable[str] | None = ("region_code",),
    value: str = "employment",
    time: str = "quarter",
    periods: int = 1,
) -> pd.DataFrame:
    """Gross job creation, destruction, net change and reallocation by group and period.

    See the module docstring for the formulas, and for why these cell-level flows are
    a lower bound of establishment-level flows.

    Parameters
    ----------
    frame
        Tidy panel, e.g. ``data.regional_employment()`` (possibly restricted to some
        sectors).
    cell
        Columns identifying a cell (the unit whose changes are netted internally).
    by
        Columns identifying a group over which cell changes are summed; must be a
        subset of ``cell`` (default: region; ``None`` for the whole frame).
    periods
        Length of the change (1 = quarter-on-quarter, 4 = year-on-year on quarters).

    Returns
    -------
    DataFrame
        ``by``, ``time`` (end of the change), ``creation``, ``destruction``, ``net``
        (= creation - destruction = change in the group's employment),
        ``average_employment``, ``jcr``, ``jdr``, ``net_rate``, ``reallocation_rate``,
        ``excess_reallocation_rate`` (rates as fractions of average employment),
        ``n_cells``.
    """
    cells_keys, keys = as_keys(cell), as_keys(by)
    if not set(keys) <= set(cells_keys):
        raise ValueError(f"by {keys} must be a subset of cell {cells_keys}")
    ch = cell_changes(frame, cell=cells_keys, value=value, time=time, periods=periods)
    ch["creation"] = ch["change"].clip(lower=0)
    ch["destruction"] = (-ch["change"]).clip(lower=0)
    out = ch.groupby([*keys, time], as_index=False, observed=True, sort=True).agg(
        creation=("creation", "sum"), destruction=("destruction", "sum"),
        net=("change", "sum"), average_employment=("average", "sum"),
        n_cells=("change", "size"))
    out = _add_rates(out)
    cols = [*keys, time, "creation", "destruction", "net", "average_employment", "jcr", "jdr",
            "net_rate", "reallocation_rate", "excess_reallocation_rate", "n_cells"]
    return attach_labels(out[cols], frame)


def _add_rates(out: pd.DataFrame) -> pd.DataFrame:
    """DHS rates over average employment (missing where it is zero), shared by both levels.

    jcr = C / X, jdr = D / X, net_rate = N / X, reallocation = jcr + jdr,
    excess reallocation = reallocation - |net_rate|.
    """
    x = out["average_employment"].where(out["average_employment"] > 0)
    out["jcr"] = out["creation"] / x
    out["jdr"] = out["destruction"] / x
    out["net_rate"] = out["net"] / x
    out["reallocation_rate"] = out["jcr"] + out["jdr"]
    out["excess_reallocation_rate"] = out["reallocation_rate"] - out["net_rate"].abs()
    return out


def annual_flows(
    flows: pd.DataFrame,
    *,
    by: str | Iterable[str] | None = ("region_code",),
    time: str = "quarter",
) -> pd.DataFrame:
    """Sum quarterly flows over calendar years.

    Creation and destruction add up over the quarters of a year (each quarter's
    flows are counted once); rates are recomputed over the mean of the quarterly
    average employments. Note that summed quarterly flows exceed the flows measured
    on year-on-year changes, since a cell that loses jobs in one quarter and regains
    them in the next counts in both.

    Returns
    -------
    DataFrame
        ``by``, ``year``, the columns of :func:`gross_flows` (``n_quarters`` instead
        of ``n_cells``); only complete years (four quarters) are kept.
    """
    keys = as_keys(by)
    require_columns(flows, [*keys, time, "creation", "destruction", "net",
                            "average_employment"], "flows")
    f = flows.assign(year=flows[time].dt.year)
    out = f.groupby([*keys, "year"], as_index=False, observed=True, sort=True).agg(
        creation=("creation", "sum"), destruction=("destruction", "sum"), net=("net", "sum"),
        average_employment=("average_employment", "mean"), n_quarters=(time, "size"))
    out = out.loc[out["n_quarters"] == 4].reset_index(drop=True)
    out = _add_rates(out)
    return attach_labels(out, flows)

"""Employment levels and shares: industry, sector groups, regions' shares of the nation.

Industry is defined once, by :func:`data.sectors() <reindus.data.sectors>`: the sector
codes whose ``group`` is ``'industry'`` (NA28i BZ..DZ-EZ: extractive industries,
manufacturing, energy, water and waste). Temporary work (NZa, *intérim*) is kept apart:
Urssaf counts interim workers in the temporary-work agency that employs them, not in
the firm where they work, although a large part of them work in industry.

All functions are pure: they take tidy frames and return new tidy frames.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd

from reindus.indicators._common import (
    as_keys,
    attach_labels,
    require_columns,
    require_finite_nonnegative,
)

INDUSTRY = "industry"
TEMPORARY_WORK = "temporary work"

TemporaryWork = Literal["apart", "excluded", "added"]


def sector_codes(sectors: pd.DataFrame, group: str = INDUSTRY) -> tuple[str, ...]:
    """Sector codes of one group of :func:`data.sectors()`, in table order.

    Parameters
    ----------
    sectors
        Frame with ``sector_code`` and ``group`` (as returned by ``data.sectors()``).
    group
        ``'industry'`` (default), ``'construction'``, ``'market services'``,
        ``'non-market'`` or ``'temporary work'``.
    """
    require_columns(sectors, ["sector_code", "group"], "sectors")
    codes = tuple(sectors.loc[sectors["group"] == group, "sector_code"])
    if not codes:
        raise ValueError(f"no sector in group {group!r}; groups are "
                         f"{sorted(sectors['group'].unique())}")
    return codes


def employment_by_group(
    employment: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    by: str | Iterable[str] = ("region_code", "quarter"),
    value: str = "employment",
) -> pd.DataFrame:
    """Employment by sector group and its share of the total.

    .. math:: s_{g} = E_{g} / \\sum_{g'} E_{g'}

    for each cell of ``by`` (e.g. region and quarter). Shares over the five groups sum
    to one.

    Returns
    -------
    DataFrame
        ``by`` columns (plus ``region`` label when available), ``group``, ``value``,
        ``share``.
    """
    keys = as_keys(by)
    if not keys:
        raise ValueError("by must name at least one column, e.g. 'quarter'")
    require_columns(employment, [*keys, "sector_code", value], "employment")
    require_columns(sectors, ["sector_code", "group"], "sectors")
    require_finite_nonnegative(employment[value], f"employment[{value!r}]")
    merged = employment.merge(sectors[["sector_code", "group"]], on="sector_code", how="left")
    unknown = merged.loc[merged["group"].isna(), "sector_code"].unique()
    if len(unknown):
        raise ValueError(f"sector codes {list(unknown)} are not in the sectors table")
    out = merged.groupby([*keys, "group"], as_index=False, observed=True, sort=True)[value].sum()
    total = out.groupby(keys, observed=True)[value].transform("sum")
    out["share"] = (out[value] / total).where(total > 0)
    return attach_labels(out, employment)


def industrial_employment(
    employment: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    temporary_work: TemporaryWork = "apart",
    by: str | Iterable[str] = ("region_code", "quarter"),
    value: str = "employment",
) -> pd.DataFrame:
    """Industrial employment and its share of total private employment.

    With :math:`I` the industrial sectors (group ``'industry'`` of ``sectors``),
    :math:`T` temporary work (NZa) and :math:`S` all sectors:

    .. math::

        \\text{industry} = \\sum_{s \\in I} E_s, \\qquad
        \\text{total} = \\sum_{s \\in S} E_s, \\qquad
        \\text{industry\\_share} = \\text{industry} / \\text{total}.

    Parameters
    ----------
    employment
        Tidy region x sector x quarter frame (``data.regional_employment()``) or any
        frame with ``by`` columns, ``sector_code`` and ``value``. The total is the sum
        over the sectors present, so pass all sectors.
    sectors
        ``data.sectors()``: defines which codes are industry and temporary work.
    temporary_work
        ``'apart'`` (default): industry excludes interim workers, the total includes
        them (the Urssaf convention). ``'excluded'``: interim workers are dropped from
        the total as well (share of non-interim jobs). ``'added'``: all interim workers
        are counted as industrial, an upper bound since only part of them work in
        industry.
    by
        Grouping columns (default region and quarter; ``'quarter'`` alone gives the nation).
    value
        Column to sum (``'employment'`` or ``'payroll'``).

    Returns
    -------
    DataFrame
        ``by`` columns (with ``region`` label when available), ``industry``,
        ``temporary_work``, ``total``, ``industry_share``, ``temporary_work_share``
        (shares in [0, 1]).
    """
    if temporary_work not in ("apart", "excluded", "added"):
        raise ValueError("temporary_work must be 'apart', 'excluded' or 'added', "
                         f"got {temporary_work!r}")
    keys = as_keys(by)
    groups = employment_by_group(employment, sectors, by=keys, value=value)
    wide = groups.pivot_table(index=keys, columns="group", values=value, aggfunc="sum",
                              fill_value=0, observed=True)
    ind = wide[INDUSTRY] if INDUSTRY in wide.columns else 0
    tmp = wide[TEMPORARY_WORK] if TEMPORARY_WORK in wide.columns else 0
    total = wide.sum(axis=1)
    out = pd.DataFrame({"industry": ind, "temporary_work": tmp, "total": total},
                       index=wide.index)
    if temporary_work == "excluded":
        out["total"] = out["total"] - out["temporary_work"]
    elif temporary_work == "added":
        out["industry"] = out["industry"] + out["temporary_work"]
    out["industry_share"] = (out["industry"] / out["total"]).where(out["total"] > 0)
    out["temporary_work_share"] = (tmp / total).where(total > 0)
    out = out.reset_index()
    out.columns.name = None
    return attach_labels(out, employment)


def share_of_total(
    frame: pd.DataFrame,
    value: str,
    *,
    within: str | Iterable[str] = ("quarter",),
    name: str | None = None,
) -> pd.DataFrame:
    """Share of each row in the total of its ``within`` group (e.g. a region's share
    of national industrial employment in each quarter).

    .. math:: \\text{share}_{r,t} = x_{r,t} / \\sum_{r'} x_{r',t}

    The nation is the sum of the rows present: pass all regions (metropolitan and
    overseas) to get shares of France, or metropolitan regions only for shares of
    metropolitan France. Shares lie in [0, 1] and sum to one within each group.

    Returns
    -------
    DataFrame
        ``frame`` with a new column ``name`` (default ``f"{value}_share_of_total"``).
    """
    keys = as_keys(within)
    require_columns(frame, [*keys, value], "frame")
    require_finite_nonnegative(frame[value], f"frame[{value!r}]")
    total = frame.groupby(keys, observed=True)[value].transform("sum") if keys \
        else frame[value].sum()
    out = frame.copy()
    out[name or f"{value}_share_of_total"] = (frame[value] / total).where(total > 0)
    return out


def rank_within(
    frame: pd.DataFrame,
    value: str,
    *,
    within: str | Iterable[str] = ("quarter",),
    name: str | None = None,
) -> pd.DataFrame:
    """Rank rows by ``value`` within each ``within`` group, 1 = largest.

    Ties get the smallest rank of the tie (``method='min'``), as in a sports table.

    Returns
    -------
    DataFrame
        ``frame`` with a new integer column ``name`` (default ``f"{value}_rank"``).
    """
    keys = as_keys(within)
    require_columns(frame, [*keys, value], "frame")
    if frame[value].isna().any():
        raise ValueError(f"frame[{value!r}] has missing values; ranks would be ambiguous")
    ranks = (frame.groupby(keys, observed=True)[value] if keys else frame[value]).rank(
        ascending=False, method="min")
    out = frame.copy()
    out[name or f"{value}_rank"] = ranks.astype("int64")
    return out

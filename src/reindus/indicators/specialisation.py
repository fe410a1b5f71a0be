"""Regional specialisation: location quotients and the Krugman dissimilarity index.

Both compare a region's sector structure with a reference structure, by default the
nation formed by all the regions of the frame. Restrict the frame to industrial
sectors first to study specialisation *within* industry (shares are then shares of
industrial employment).
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
    require_unique,
)


def _shares(frame: pd.DataFrame, value: str, region: str, sector: str,
            keys: list[str]) -> pd.DataFrame:
    require_columns(frame, [*keys, region, sector, value], "frame")
    require_unique(frame, [*keys, region, sector], "frame")
    require_finite_nonnegative(frame[value], f"frame[{value!r}]")
    # Complete the region x sector grid with zeros so that every region has every sector.
    out = frame[[*keys, region, sector, value]].copy()
    grid = out.pivot_table(index=[*keys, region], columns=sector, values=value,
                           aggfunc="sum", fill_value=0, observed=True)
    out = grid.stack().rename(value).reset_index()
    region_total = out.groupby([*keys, region], observed=True)[value].transform("sum")
    national_sector = out.groupby([*keys, sector], observed=True)[value].transform("sum")
    national_total = out.groupby(keys, observed=True)[value].transform("sum") if keys \
        else out[value].sum()
    if (region_total == 0).any():
        empty = out.loc[region_total == 0, region].unique()[:3]
        raise ValueError(f"regions {list(empty)} have zero total {value}: shares are undefined")
    out["region_share"] = out[value] / region_total
    out["national_share"] = national_sector / national_total
    out["_region_total"] = region_total
    out["_national_sector"] = national_sector
    out["_national_total"] = national_total
    return out


def location_quotients(
    frame: pd.DataFrame,
    *,
    value: str = "employment",
    region: str = "region_code",
    sector: str = "sector_code",
    by: str | Iterable[str] | None = ("quarter",),
) -> pd.DataFrame:
    """Location quotient of each region in each sector.

    .. math::

        LQ_{rs} = \\frac{E_{rs} / E_{r}}{E_{s} / E}

    with :math:`E_{rs}` employment of region *r* in sector *s*, :math:`E_r` its total,
    :math:`E_s` the national employment of sector *s* and :math:`E` the national total
    (nation = all regions of the frame, within each ``by`` group). :math:`LQ > 1` means
    the sector weighs more in the region than in the nation. Employment-weighted, the
    quotients of a sector average to one: :math:`\\sum_r (E_r/E) LQ_{rs} = 1`.

    Returns
    -------
    DataFrame
        ``by``, ``region``, ``sector`` (with labels when available), ``value``,
        ``region_share`` (:math:`E_{rs}/E_r`), ``national_share`` (:math:`E_s/E`), ``lq``.
    """
    keys = as_keys(by)
    out = _shares(frame, value, region, sector, keys)
    out["lq"] = (out["region_share"] / out["national_share"]).where(out["national_share"] > 0)
    out = out.drop(columns=["_region_total", "_national_sector", "_national_total"])
    return attach_labels(out, frame)


def krugman_index(
    frame: pd.DataFrame,
    *,
    value: str = "employment",
    region: str = "region_code",
    sector: str = "sector_code",
    by: str | Iterable[str] | None = ("quarter",),
    reference: Literal["rest", "nation"] = "rest",
) -> pd.DataFrame:
    """Krugman specialisation (dissimilarity) index of each region.

    .. math::

        K_r = \\sum_s \\left| \\frac{E_{rs}}{E_r} - \\frac{E^{ref}_{s}}{E^{ref}} \\right|

    It is 0 when the region has the reference's sector structure and at most 2 when the
    two have no sector in common (half of it is the share of the region's jobs that
    would have to change sector to match the reference).

    Parameters
    ----------
    reference
        ``'rest'`` (default, Krugman 1991): the other regions of the frame taken
        together, so that a large region is not compared with itself. ``'nation'``: all
        regions including the region itself.

    Returns
    -------
    DataFrame
        One row per ``by`` group and region: ``by``, ``region`` (with label when
        available), ``krugman``.
    """
    if reference not in ("rest", "nation"):
        raise ValueError(f"reference must be 'rest' or 'nation', got {reference!r}")
    keys = as_keys(by)
    s = _shares(frame, value, region, sector, keys)
    if reference == "nation":
        ref_share = s["national_share"]
    else:
        rest_total = s["_national_total"] - s["_region_total"]
        if (rest_total == 0).any():
            raise ValueError("the rest of the nation is empty for some region; "
                             "use reference='nation' or pass more regions")
        ref_share = (s["_national_sector"] - s[value]) / rest_total
    s["krugman"] = (s["region_share"] - ref_share).abs()
    out = s.groupby([*keys, region], as_index=False, observed=True)["krugman"].sum()
    return attach_labels(out, frame)

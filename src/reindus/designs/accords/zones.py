r"""Zones d'emploi of the accord design: their region, the zone panel and each zone's role.

Treatment is assigned by *region*: every zone of a signing region is treated
from the region's treatment quarter. Zones coded ``00xx`` span several regions;
:func:`reindus.data.zone_employment` assigns each to the region holding most of
its area, and the design drops them by default (their treatment status is
ambiguous when they straddle a signing and a non-signing region).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from reindus.errors import require_columns
from reindus.evaluation.panel import as_quarter as _q
from reindus.evaluation.panel import in_window


def zone_regions(zone_employment: pd.DataFrame) -> pd.DataFrame:
    """Region of each zone d'emploi, and whether the zone spans several regions.

    Parameters
    ----------
    zone_employment
        :func:`reindus.data.zone_employment` (zone_code, region_code).

    Returns
    -------
    pandas.DataFrame
        zone_code, region_code, cross_region (True for the ``00xx`` zones,
        assigned to the region holding most of their area).
    """
    require_columns(zone_employment, ["zone_code", "region_code"], "zone_employment")
    z = zone_employment[["zone_code", "region_code"]].drop_duplicates()
    if z["zone_code"].duplicated().any():
        bad = z.loc[z["zone_code"].duplicated(keep=False)].head(4)
        raise ValueError(f"zones with more than one region:\n{bad}")
    z = z.assign(cross_region=z["zone_code"].str.startswith("00"))
    return z.sort_values("zone_code").reset_index(drop=True)


def zone_panel(zone_quarterly: pd.DataFrame, regions_of_zones: pd.DataFrame, *,
               window: tuple[Any, Any] = (None, None), regions: Iterable[str] | None = None,
               drop_cross_region: bool = True) -> pd.DataFrame:
    r"""Quarterly log employment (CVS, all private sectors) by zone d'emploi.

    Parameters
    ----------
    zone_quarterly
        :func:`reindus.data.zone_quarterly_employment`.
    regions_of_zones
        :func:`zone_regions`.
    window
        ``(first, last)`` quarters kept (None = open).
    regions
        Regions whose zones are kept (None = all).
    drop_cross_region
        Drop the zones spanning several regions (default; their treatment
        status is ambiguous).

    Returns
    -------
    pandas.DataFrame
        zone_code, region_code, unit (= zone_code), quarter, employment,
        log_employment :math:`= \log(\text{employment})`; balanced.
    """
    require_columns(zone_quarterly, ["zone_code", "quarter", "employment"], "zone_quarterly")
    require_columns(regions_of_zones, ["zone_code", "region_code", "cross_region"], "regions_of_zones")
    d = zone_quarterly[["zone_code", "quarter", "employment"]].merge(
        regions_of_zones, on="zone_code", how="inner", validate="many_to_one")
    if drop_cross_region:
        d = d[~d["cross_region"]]
    if regions is not None:
        d = d[d["region_code"].isin([str(r) for r in regions])]
    d = in_window(d, window)
    if d.empty:
        raise ValueError("no zone-quarters left after filtering regions and window")
    if (d["employment"] <= 0).any():
        raise ValueError("non-positive zone employment: log undefined")
    counts = d.groupby("zone_code").size()
    if counts.nunique() != 1:
        raise ValueError(f"unbalanced zone panel: {counts[counts != counts.max()].head()}")
    out = d.drop(columns="cross_region").assign(
        unit=d["zone_code"], log_employment=np.log(d["employment"].astype(float)))
    return out[["zone_code", "region_code", "unit", "quarter", "employment", "log_employment"]
               ].sort_values(["zone_code", "quarter"]).reset_index(drop=True)


def zone_assignment(regions_of_zones: pd.DataFrame, timing: pd.DataFrame, *,
                    regions: Iterable[str], data_end: Any | None = None,
                    drop_cross_region: bool = True) -> pd.DataFrame:
    """Role and first treated quarter of every zone, inherited from its region.

    Parameters
    ----------
    regions_of_zones
        :func:`zone_regions`.
    timing
        One scenario of :func:`reindus.evaluation.panel.treatment_timing`
        (region_code, role in {treated, excluded}, first_treated).
    regions
        Regions in the design (metropolitan); regions absent from ``timing``
        are controls.
    data_end
        Last quarter of data: a region treated after it is a control.

    Returns
    -------
    pandas.DataFrame
        zone_code, region_code, role ('treated', 'control' or 'excluded'),
        start (Period or NaT), reason.
    """
    require_columns(timing, ["region_code", "role", "first_treated"], "timing")
    if timing.get("scenario", pd.Series(["x"])).nunique() > 1:
        raise ValueError("timing has several scenarios: pass one")
    t = timing.set_index("region_code")
    z = regions_of_zones[regions_of_zones["region_code"].isin([str(r) for r in regions])].copy()
    role, start, reason = [], [], []
    for r in z["region_code"]:
        if r not in t.index:
            role.append("control"), start.append(pd.NaT), reason.append("no accord")
            continue
        row = t.loc[r]
        if row["role"] != "treated":
            role.append("excluded"), start.append(pd.NaT), reason.append("uncertain accord date")
        elif data_end is not None and row["first_treated"] > _q(data_end):
            role.append("control"), start.append(pd.NaT), reason.append("accord after the data")
        else:
            role.append("treated"), start.append(row["first_treated"]), reason.append("accord")
    z["role"], z["start"], z["reason"] = role, start, reason
    if drop_cross_region:
        z.loc[z["cross_region"], ["role", "reason"]] = ["excluded", "zone spans several regions"]
        z.loc[z["cross_region"], "start"] = pd.NaT
    return z.drop(columns="cross_region").reset_index(drop=True)

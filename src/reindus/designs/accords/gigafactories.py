r"""Gigafactory zones: host zone of each plant, its dates, and the pool of control zones.

Each battery gigafactory of the Hauts-de-France "battery valley" (ACC, AESC,
Verkor, ProLogium) gets its own event study with a synthetic control built
from zones outside the accord regions, dated by
:func:`reindus.data.industrial_events`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from reindus.errors import require_columns
from reindus.evaluation.panel import as_quarter as _q

#: NA38 sector of battery cells (NACE 27.20, "manufacture of batteries"):
#: CJ, electrical equipment.
BATTERY_SECTOR_NA38 = "CJ"
#: Registry ids of the battery gigafactories of the Hauts-de-France "battery valley".
GIGAFACTORIES = ("acc-douvrin", "aesc-douai", "verkor-dunkerque", "prologium-dunkerque")


def host_zones(events: pd.DataFrame, overlaps: pd.DataFrame, zone_sectors: pd.DataFrame, *,
               event_ids: Sequence[str] = GIGAFACTORIES, sector: str = BATTERY_SECTOR_NA38,
               years: tuple[int, int] = (2019, 2024)) -> pd.DataFrame:
    r"""Zone d'emploi hosting each gigafactory.

    The registry gives the commune and its EPCI, and the project has no
    commune-to-zone table; EPCI and zones do not nest (the EPCI of
    Béthune-Bruay, host of ACC at Billy-Berclau/Douvrin, lies in five zones).
    Rule: among the zones overlapping the host EPCI (``overlaps``,
    :func:`reindus.geo.epci.epci_zones`), the zone whose employment in the
    battery sector (NA38 ``CJ``) grew most between ``years``; a plant of
    hundreds of jobs in that sector marks its zone. Ties or a single zone:
    the largest area share. The growth is returned so that the choice can be
    checked.

    Returns
    -------
    pandas.DataFrame
        event_id, company, epci_code, zone_code, area_share, sector_growth
        (jobs in ``sector``, ``years[1]`` minus ``years[0]``), n_candidates.
    """
    require_columns(events, ["event_id", "company", "epci_code"], "events")
    require_columns(overlaps, ["epci_code", "zone_code", "area_share"], "overlaps")
    require_columns(zone_sectors, ["zone_code", "sector_code", "year", "employment"], "zone_sectors")
    ev = events[events["event_id"].isin(event_ids)]
    if missing := sorted(set(event_ids) - set(ev["event_id"])):
        raise ValueError(f"events not in the registry: {missing}")
    s = zone_sectors[zone_sectors["sector_code"] == sector]
    w = s.pivot_table(index="zone_code", columns="year", values="employment", aggfunc="sum")
    growth = (w.get(years[1]) - w.get(years[0])).fillna(0.0)
    rows = []
    for e in ev.itertuples():
        cand = overlaps[overlaps["epci_code"] == e.epci_code].copy()
        if cand.empty:
            raise ValueError(f"EPCI {e.epci_code} of {e.event_id} overlaps no zone")
        cand["growth"] = cand["zone_code"].map(growth).fillna(0.0)
        best = cand.sort_values(["growth", "area_share"], ascending=False).iloc[0]
        rows.append({"event_id": e.event_id, "company": e.company, "epci_code": e.epci_code,
                     "zone_code": best["zone_code"], "area_share": float(best["area_share"]),
                     "sector_growth": float(best["growth"]), "n_candidates": len(cand)})
    return pd.DataFrame(rows)


def event_quarter(date: str) -> pd.Period:
    """Quarter of a registry date given as 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'.

    A bare year is dated to its first quarter (the earliest it can mean).
    """
    s = str(date).strip()
    if len(s) == 4 and s.isdigit():
        return pd.Period(f"{s}Q1", freq="Q-DEC")
    try:
        return pd.Period(pd.Timestamp(s if len(s) > 7 else f"{s}-01"), freq="Q-DEC")
    except ValueError as err:
        raise ValueError(f"cannot read the date {date!r}") from err


def gigafactory_design(events: pd.DataFrame, hosts: pd.DataFrame, *, data_end: Any
                       ) -> pd.DataFrame:
    """One row per host zone: the plants, and the quarters of announcement and opening.

    Several plants in one zone (Verkor and ProLogium near Dunkerque) make one
    design dated by the first opening. ``start`` is the quarter of the
    registry's ``effective_on`` (opening or inauguration); ``n_post`` counts
    the quarters of data from ``start`` on (0 when the opening is after the
    data).

    Returns
    -------
    pandas.DataFrame
        zone_code, events, announced (Period), start (Period), n_post, jobs.
    """
    ev = events.merge(hosts[["event_id", "zone_code"]], on="event_id", how="inner")
    ev = ev.assign(announced_q=ev["announced_on"].map(event_quarter),
                   effective_q=ev["effective_on"].map(event_quarter))
    end = _q(data_end)
    rows = []
    for zone, grp in ev.groupby("zone_code", sort=True):
        start = grp["effective_q"].min()
        rows.append({"zone_code": zone, "events": ", ".join(grp["event_id"]),
                     "announced": grp["announced_q"].min(), "start": start,
                     "n_post": max(0, (end - start).n + 1),
                     "jobs": int(grp["jobs"].fillna(0).sum())})
    return pd.DataFrame(rows)


def zone_profile(zone_employment: pd.DataFrame, *, year: int = 2019) -> pd.DataFrame:
    r"""Size and industrial share of each zone d'emploi in ``year``.

    :math:`\text{industry\_share}_z = E^{\text{BE}}_z / E_z` with BE the A5
    industry group (NA38 BZ..EZ), from :func:`reindus.data.zone_employment`
    (missing cells, mostly secrecy, count as zero).

    Returns
    -------
    pandas.DataFrame
        zone_code, employment, industry, industry_share.
    """
    require_columns(zone_employment, ["zone_code", "a5", "year", "employment"], "zone_employment")
    z = zone_employment[zone_employment["year"] == year]
    if z.empty:
        raise ValueError(f"no zone employment for {year}")
    tot = z.groupby("zone_code")["employment"].sum()
    ind = z[z["a5"] == "BE"].groupby("zone_code")["employment"].sum().reindex(tot.index,
                                                                              fill_value=0.0)
    return pd.DataFrame({"zone_code": tot.index, "employment": tot.to_numpy(),
                         "industry": ind.to_numpy(),
                         "industry_share": (ind / tot).to_numpy()}).reset_index(drop=True)


def gigafactory_donors(regions_of_zones: pd.DataFrame, profile: pd.DataFrame, *,
                       exclude_regions: Iterable[str], regions: Iterable[str],
                       min_jobs: float = 25_000, min_industry_share: float = 0.15) -> list[str]:
    """Donor zones for a gigafactory zone: industrial zones outside the accord regions.

    Zones of ``regions`` (metropolitan) not in ``exclude_regions`` (every
    region with an accord, signed or announced: their zones may carry an
    accord effect), not spanning several regions, with at least ``min_jobs``
    private jobs and an industrial share of at least ``min_industry_share``
    in the profile year. Restricting the pool to comparable zones limits
    interpolation bias (Abadie 2021) and the noise of small zones.
    """
    excl = {str(r) for r in exclude_regions}
    z = regions_of_zones.merge(profile, on="zone_code", how="inner")
    keep = (z["region_code"].isin([str(r) for r in regions]) & ~z["region_code"].isin(excl)
            & ~z["cross_region"] & (z["employment"] >= min_jobs)
            & (z["industry_share"] >= min_industry_share))
    out = sorted(z.loc[keep, "zone_code"])
    if len(out) < 2:
        raise ValueError("fewer than two donor zones: relax min_jobs or min_industry_share")
    return out

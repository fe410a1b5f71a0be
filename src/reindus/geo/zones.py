r"""EPCI and zones d'emploi: main zone of each EPCI, zone x NA38 industrial view, map frames.

The geometric functions take GeoDataFrames of the simplified Lambert-93 contours
(``data.contours``); nothing here draws (see :mod:`reindus.plots.epci`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, Literal

import pandas as pd

from reindus.errors import require_columns
from reindus.geo.epci import GRAND_PARIS, GRAND_PARIS_TERRITORIES


# --------------------------------------------------------------------------- zones d'emploi
def epci_zones(contours_epci: Any, contours_zone: Any, epci_codes: Collection[str]
               ) -> pd.DataFrame:
    r"""Zones d'emploi overlapping each EPCI, with the share of the EPCI's area in each.

    Zones d'emploi (Insee 2020 zoning, built from commuting) and EPCI do not nest. The
    link is geometric: :math:`a_{iz} = \text{area}(i \cap z)/\text{area}(i)` on the
    simplified Lambert-93 contours (shares below 0.5 % are slivers of the simplification
    and dropped; the remaining shares are rescaled to sum to 1).

    Returns
    -------
    pandas.DataFrame
        epci_code, zone_code, zone, area_share, sorted by EPCI then decreasing share.
    """
    import geopandas as gpd

    codes = {str(c) for c in epci_codes}
    e = contours_epci[contours_epci["epci_code"].isin(codes)][["epci_code", "geometry"]]
    missing = codes - set(e["epci_code"])
    if missing:
        raise ValueError(f"EPCI without contours: {sorted(missing)} (overseas EPCI have none)")
    z = contours_zone[["zone_code", "zone", "geometry"]]
    ov = gpd.overlay(e, z, how="intersection", keep_geom_type=True)
    ov["area"] = ov.geometry.area
    ov["area_share"] = ov["area"] / ov.groupby("epci_code")["area"].transform("sum")
    ov = ov[ov["area_share"] >= 0.005].copy()
    ov["area_share"] = ov["area_share"] / ov.groupby("epci_code")["area_share"].transform("sum")
    out = pd.DataFrame(ov[["epci_code", "zone_code", "zone", "area_share"]])
    return out.sort_values(["epci_code", "area_share", "zone_code"],
                           ascending=[True, False, True]).reset_index(drop=True)


def zone_industry(zone_employment: pd.DataFrame, zone_code: str, *,
                  start: int = 2019, mid: int = 2023, end: int = 2024) -> pd.DataFrame:
    r"""Industrial employment of one zone d'emploi by NA38 sector, and its changes.

    Industry = NA38 sectors with ``a5 == 'BE'`` (B to E: extractive, manufacturing,
    energy, water and waste). For each sector: employment in every available year,
    ``chg_<start>_<end>`` and ``chg_<mid>_<end>`` (jobs), NaN when either year is withheld.
    A last row ``industry (matched)`` sums the sectors observed in *all* years, so its
    changes are not changes of coverage; ``share_pct`` is industry's share of the zone's
    private employment (all sectors observed that year).
    """
    require_columns(zone_employment, ["zone_code", "sector_code", "sector", "a5", "year",
                               "employment"], "zone_employment")
    z = zone_employment[zone_employment["zone_code"] == str(zone_code)]
    if z.empty:
        raise ValueError(f"zone d'emploi {zone_code!r} is not in zone_employment")
    years = sorted(z["year"].unique())
    for y in (start, mid, end):
        if y not in years:
            raise ValueError(f"zone_employment has no year {y} (years: {years})")
    ind = z[z["a5"] == "BE"]
    if ind.duplicated(["sector_code", "year"]).any():
        raise ValueError(f"zone_employment has duplicated (sector, year) rows for {zone_code}")
    # NaN = withheld (secrecy): kept NaN, never read as zero
    raw = ind.set_index(["sector_code", "sector", "year"])["employment"].unstack("year")
    wide = raw.reindex(columns=years)
    matched = wide.dropna()
    total = matched.sum().to_frame().T
    total.index = pd.MultiIndex.from_tuples([("BE", "industry (matched)")],
                                            names=["sector_code", "sector"])
    out = pd.concat([wide, total])
    out.columns = [f"emp_{y}" for y in years]
    out[f"chg_{start}_{end}"] = out[f"emp_{end}"] - out[f"emp_{start}"]
    out[f"chg_{mid}_{end}"] = out[f"emp_{end}"] - out[f"emp_{mid}"]
    out = out.reset_index()
    all_sectors = z.groupby("year")["employment"].sum(min_count=1)
    share = 100.0 * wide.sum(min_count=1) / all_sectors.reindex(years)
    out.attrs["industry_share_pct"] = {int(y): float(share[y]) for y in years}
    out.attrs["n_sectors_withheld"] = int(len(wide) - len(matched))
    return out


# --------------------------------------------------------------------------- maps
def grand_paris_level(contours_epci: Any, level: Literal["metropole", "territories"] =
                      "metropole", name: str = "Métropole du Grand Paris") -> Any:
    """Keep one layer of the Grand Paris: the Métropole's polygon or its 12 EPT.

    The contours hold both the Métropole du Grand Paris (``200054781``) and its EPT,
    overlapping; drawing both would paint Paris twice. ``'metropole'`` (for the Urssaf
    series and the COG) drops the EPT, dissolving them into one polygon when the
    Métropole's own is absent; ``'territories'`` (for values given by EPT) drops the
    Métropole's polygon. Other rows are returned unchanged.
    """
    require_columns(contours_epci, ["epci_code", "epci", "geometry"], "contours_epci")
    if level not in ("metropole", "territories"):
        raise ValueError(f"level must be 'metropole' or 'territories', not {level!r}")
    g = contours_epci[["epci_code", "epci", "geometry"]]
    is_ept = g["epci_code"].isin(GRAND_PARIS_TERRITORIES)
    is_mgp = g["epci_code"] == GRAND_PARIS
    if level == "territories":
        return g[~is_mgp].sort_values("epci_code").reset_index(drop=True)
    if is_ept.any() and not is_mgp.any():
        mgp = g[is_ept].dissolve().assign(epci_code=GRAND_PARIS, epci=name)
        g = pd.concat([g, mgp[["epci_code", "epci", "geometry"]]], ignore_index=True)
    return g[~is_ept.reindex(g.index, fill_value=False)].sort_values("epci_code").reset_index(
        drop=True)


def map_frame(contours_epci: Any, values: pd.DataFrame, *,
              grand_paris: Literal["metropole", "territories"] = "metropole") -> Any:
    """Contours of the metropolitan EPCI joined to ``values`` (keyed on ``epci_code``).

    ``grand_paris`` chooses the layer of the Grand Paris (:func:`grand_paris_level`):
    the Métropole (default; Urssaf series, census indicators of the Métropole) or its
    EPT. EPCI without a value keep NaN, which :func:`reindus.plots.maps.choropleth` hatches.
    """
    require_columns(values, ["epci_code"], "values")
    if values["epci_code"].duplicated().any():
        raise ValueError("values has several rows for one epci_code")
    g = grand_paris_level(contours_epci, grand_paris)
    v = values.drop(columns=[c for c in ("epci", "geometry") if c in values.columns])
    return g.merge(v, on="epci_code", how="left")


def short_name(name: str, width: int = 26) -> str:
    """EPCI name without its type prefix nor what follows a comma, for a map label."""
    name = name.split(",")[0]
    for p in ("CA de ", "CA du ", "CA des ", "CA d'", "CC de ", "CC du ", "CC des ", "CC d'",
              "CU de ", "CU du ", "CU d'", "CA ", "CC ", "CU "):
        if name.startswith(p):
            name = name[len(p):]
            break
    name = name[:1].upper() + name[1:]
    return name if len(name) <= width else name[: width - 1].rstrip(" ,-") + "…"



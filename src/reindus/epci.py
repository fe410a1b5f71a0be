"""Intercommunalités (EPCI): profiles, employment series, peers, job dynamics and maps.

An EPCI (établissement public de coopération intercommunale à fiscalité propre)
groups communes and, since the NOTRe law, leads local economic development, which
is why the Région - Intercommunalités de France accords name them. The functions
here are pure: they take the tidy tables of :mod:`reindus.data` as arguments (with
defaults read from the embedded data) and return tidy frames.

Employment is Urssaf private salaried employment, all sectors, at year end,
2014-2024 (``data.area_employment('epci')``, aggregated by a third party from the
commune x APE file). There is no sector split at this level: the industrial side
comes from the census share of industry in jobs (``epci_indicators``, 2022) and
from the zone d'emploi x NA38 table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from reindus import data

#: Municipal arrondissements of Paris, Marseille and Lyon -> their commune (COG).
#: The commune series are published by arrondissement; EPCI membership lists the commune.
PLM_PARENTS: dict[str, str] = {
    **{f"751{i:02d}": "75056" for i in range(1, 21)},
    **{f"132{i:02d}": "13055" for i in range(1, 17)},
    **{f"6938{i}": "69123" for i in range(1, 10)},
}
#: Code the aggregator uses for communes outside any EPCI (islands such as Île-d'Yeu).
NO_EPCI_CODE = "ZZZZZZZZZ"

PeerRule = Literal["size_industry", "type_industry", "region_size"]


# --------------------------------------------------------------------------- profiles
def profiles(geo: pd.DataFrame | None = None,
             indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per EPCI of the COG 2026 with location, type, size and industrial share.

    Columns: epci_code, epci, epci_type, population, departement_code, region_code,
    n_communes, industry_share_2022 (census share of industry in jobs, %, third-party
    computed; NaN where absent), density (Insee 3-level grid code: 1 dense, 2
    intermediate, 3 rural), private_growth_1924 (mean annual growth of private
    employment 2019-2024, %, third-party).
    """
    geo = data.geography("epci") if geo is None else geo
    ind = data.epci_indicators() if indicators is None else indicators
    ind = ind[["epci_code", "eco_sectindus_pct_22", "dens3", "eco_emppriv_vtcam_1924"]].rename(
        columns={"eco_sectindus_pct_22": "industry_share_2022", "dens3": "density",
                 "eco_emppriv_vtcam_1924": "private_growth_1924"})
    cols = ["epci_code", "epci", "epci_type", "population", "departement_code", "region_code",
            "n_communes"]
    return geo[cols].merge(ind, on="epci_code", how="left")


def reconcile_codes(series: pd.DataFrame | None = None,
                    geo: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Codes that do not match between the EPCI employment series and the COG 2026.

    Returns ``{'cog_without_series': [...], 'series_not_in_cog': [...]}``. Nothing is
    dropped silently: callers show these lists.
    """
    series = data.area_employment("epci") if series is None else series
    geo = data.geography("epci") if geo is None else geo
    s, g = set(series["code"]), set(geo["epci_code"])
    return {"cog_without_series": sorted(g - s), "series_not_in_cog": sorted(s - g)}


# --------------------------------------------------------------------------- series
def employment(codes: Iterable[str] | None = None, series: pd.DataFrame | None = None,
               base: int = 2019) -> pd.DataFrame:
    """EPCI private employment with a base-100 index and year-on-year growth.

    .. math:: I_{e,t} = 100\\,E_{e,t}/E_{e,b}, \\qquad g_{e,t} = 100\\,(E_{e,t}/E_{e,t-1} - 1)

    Columns: epci_code, year, employment, index, growth_pct.
    """
    s = data.area_employment("epci") if series is None else series
    s = s.rename(columns={"code": "epci_code"})
    if codes is not None:
        s = s[s["epci_code"].isin(list(codes))]
    s = s.sort_values(["epci_code", "year"]).reset_index(drop=True)
    base_level = s[s["year"] == base].set_index("epci_code")["employment"]
    s["index"] = 100 * s["employment"] / s["epci_code"].map(base_level)
    s["growth_pct"] = 100 * s.groupby("epci_code")["employment"].pct_change()
    return s


def communes_to_epci(communes: pd.DataFrame | None = None,
                     members: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Aggregate commune series to EPCI through the COG 2026 membership.

    Arrondissements of Paris, Marseille and Lyon are mapped to their commune
    (:data:`PLM_PARENTS`). Returns ``(epci_totals, unmatched)``: totals by
    epci_code x year with the number of member communes that have a series, and the
    commune codes with a series but no 2026 EPCI (former communes merged since,
    communes outside any EPCI) with their employment, so coverage can be stated.
    """
    c = data.area_employment("commune") if communes is None else communes
    m = data.geography("epci_members") if members is None else members
    c = c.assign(commune_code=c["code"].map(lambda x: PLM_PARENTS.get(x, x)))
    merged = c.merge(m[["commune_code", "epci_code"]], on="commune_code", how="left")
    unmatched = (merged[merged["epci_code"].isna()]
                 .groupby(["code", "year"], as_index=False)["employment"].sum())
    totals = (merged.dropna(subset=["epci_code"])
              .groupby(["epci_code", "year"], as_index=False)
              .agg(employment=("employment", "sum"), n_communes=("commune_code", "nunique")))
    return totals, unmatched


def change_table(emp: pd.DataFrame, periods: Sequence[tuple[int, int]] = ((2014, 2019),
                 (2019, 2024), (2023, 2024))) -> pd.DataFrame:
    """Employment change of each EPCI over several periods.

    For each period :math:`(t_0, t_1)`: ``change_t0_t1`` = :math:`E_{t_1} - E_{t_0}` (jobs)
    and ``pct_t0_t1`` = :math:`100 (E_{t_1}/E_{t_0} - 1)`. Columns: epci_code,
    employment_<year> for every year involved, then the changes.
    """
    years = sorted({y for p in periods for y in p})
    wide = (emp[emp["year"].isin(years)].pivot(index="epci_code", columns="year",
                                                values="employment"))
    out = pd.DataFrame(index=wide.index)
    for y in years:
        out[f"employment_{y}"] = wide.get(y)
    for t0, t1 in periods:
        out[f"change_{t0}_{t1}"] = wide.get(t1) - wide.get(t0)
        out[f"pct_{t0}_{t1}"] = 100 * (wide.get(t1) / wide.get(t0) - 1)
    return out.reset_index()


def job_dynamics(periods: Sequence[tuple[int, int]] = ((2014, 2019), (2019, 2024),
                                                        (2023, 2024)),
                 prof: pd.DataFrame | None = None, series: pd.DataFrame | None = None,
                 events: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per EPCI: changes over ``periods``, rank within its region, industrial events.

    ``rank_<t0>_<t1>`` ranks the percentage change within the region (1 = fastest
    growth) among EPCI with data; ``n_in_region`` says out of how many. ``events``
    lists the registry's closures and openings located in the EPCI, with announced
    jobs (announcements, not measured employment).
    """
    prof = profiles() if prof is None else prof
    emp = employment(series=series)
    out = prof.merge(change_table(emp, periods), on="epci_code", how="left")
    for t0, t1 in periods:
        col = f"pct_{t0}_{t1}"
        out[f"rank_{t0}_{t1}"] = (out.groupby("region_code")[col]
                                  .rank(ascending=False, method="min").astype("Int64"))
    out["n_in_region"] = out.groupby("region_code")[f"pct_{periods[0][0]}_{periods[0][1]}"] \
        .transform("count").astype("Int64")
    ev = data.industrial_events() if events is None else events
    labels = (ev.assign(label=ev["company"] + " (" + ev["kind"] + ", " + ev["effective_on"] + ", "
                        + ev["jobs"].astype("string").fillna("?") + " jobs)")
              .groupby("epci_code")["label"].agg("; ".join))
    out["events"] = out["epci_code"].map(labels).fillna("")
    return out


def benchmarks(epci_code: str, peers: Sequence[str] = (), base: int = 2019,
               series: pd.DataFrame | None = None, prof: pd.DataFrame | None = None
               ) -> pd.DataFrame:
    """Index paths (base = 100) of an EPCI, its region, France and its peer group.

    The peer group line is the median of the peers' indices, with the 25th and
    75th percentiles (``peer_q25``, ``peer_q75``) to show their spread. Columns:
    year, epci, region, france, peer_median, peer_q25, peer_q75.
    """
    prof = profiles() if prof is None else prof
    s = employment(series=series, base=base)
    region = prof.set_index("epci_code").loc[epci_code, "region_code"]
    reg = data.area_employment("region")
    reg = reg[reg["code"] == region].set_index("year")["employment"]
    fr = data.area_employment("france").set_index("year")["employment"]
    own = s[s["epci_code"] == epci_code].set_index("year")["index"]
    out = pd.DataFrame({"epci": own, "region": 100 * reg / reg.loc[base],
                        "france": 100 * fr / fr.loc[base]})
    if len(peers):
        p = s[s["epci_code"].isin(list(peers))].pivot(index="year", columns="epci_code",
                                                        values="index")
        out["peer_median"] = p.median(axis=1)
        out["peer_q25"] = p.quantile(0.25, axis=1)
        out["peer_q75"] = p.quantile(0.75, axis=1)
    return out.reset_index().rename(columns={"index": "year"})


# --------------------------------------------------------------------------- peers
def peer_group(epci_code: str, rule: PeerRule = "size_industry", n: int = 10,
               prof: pd.DataFrame | None = None, exclude_region: bool = False) -> pd.DataFrame:
    """EPCI comparable to ``epci_code``.

    Rules (all among metropolitan EPCI with a census industrial share):

    ``size_industry``
        the ``n`` nearest in standardised (log population, industry share 2022):
        :math:`d_j = \\sqrt{z_{\\log P}^2 + z_{s}^2}` with z the difference to the
        target divided by the cross-EPCI standard deviation.
    ``type_industry``
        same EPCI type (CC, CA, CU, ME); the ``n`` nearest in industry share.
    ``region_size``
        same region; the ``n`` nearest in log population.

    ``exclude_region`` drops EPCI of the target's region (to compare with places
    not exposed to the same regional accord). Returns the peers with their
    distance, closest first.
    """
    prof = profiles() if prof is None else prof
    if epci_code not in set(prof["epci_code"]):
        raise ValueError(f"unknown EPCI code {epci_code!r}")
    metro = data.geography("region")
    metro = set(metro.loc[metro["zone"] == "metro", "region_code"])
    pool = prof[prof["region_code"].isin(metro) & prof["industry_share_2022"].notna()].copy()
    target = prof.set_index("epci_code").loc[epci_code]
    pool = pool[pool["epci_code"] != epci_code]
    if exclude_region:
        pool = pool[pool["region_code"] != target["region_code"]]
    logp = np.log(pool["population"].astype(float))
    dz_pop = (logp - np.log(float(target["population"]))) / logp.std()
    dz_ind = (pool["industry_share_2022"] - target["industry_share_2022"]) \
        / pool["industry_share_2022"].std()
    if rule == "size_industry":
        pool["distance"] = np.sqrt(dz_pop**2 + dz_ind**2)
    elif rule == "type_industry":
        pool = pool[pool["epci_type"] == target["epci_type"]]
        pool["distance"] = dz_ind.loc[pool.index].abs()
    elif rule == "region_size":
        pool = pool[pool["region_code"] == target["region_code"]]
        pool["distance"] = dz_pop.loc[pool.index].abs()
    else:
        raise ValueError(f"unknown peer rule {rule!r}; use size_industry, type_industry or "
                         "region_size")
    return pool.sort_values(["distance", "epci_code"]).head(n).reset_index(drop=True)


# --------------------------------------------------------------------------- zones d'emploi
def main_zone(contours_epci=None, contours_zone=None) -> pd.DataFrame:
    """Zone d'emploi holding the largest part of each EPCI's area (metropolitan France).

    Columns: epci_code, zone_code, area_share (share of the EPCI's area in that
    zone). An approximation: zones are built from communes, EPCI too, but the
    simplified contours do not nest exactly.
    """
    e = data.contours("epci") if contours_epci is None else contours_epci
    z = data.contours("zone_emploi") if contours_zone is None else contours_zone
    pieces = e[["epci_code", "geometry"]].overlay(z[["zone_code", "geometry"]],
                                                 how="intersection", keep_geom_type=True)
    pieces["area"] = pieces.geometry.area
    total = pieces.groupby("epci_code")["area"].transform("sum")
    pieces["area_share"] = pieces["area"] / total
    best = pieces.sort_values(["epci_code", "area"], ascending=[True, False]) \
        .drop_duplicates("epci_code")
    return best[["epci_code", "zone_code", "area_share"]].reset_index(drop=True)


def zone_industry(zone: pd.DataFrame | None = None, years: tuple[int, int] = (2019, 2024)
                  ) -> pd.DataFrame:
    """Industrial employment (A5 'BE') by zone d'emploi in two years, with the change.

    Only sectors observed in both years enter the sums (a withheld cell in one year
    would otherwise read as a loss). Columns: zone_code, region_code,
    industry_<y0>, industry_<y1>, change, pct.
    """
    z = data.zone_employment() if zone is None else zone
    y0, y1 = years
    ind = z[(z["a5"] == "BE") & z["year"].isin(years)]
    wide = ind.pivot(index=["zone_code", "region_code", "sector_code"], columns="year",
                     values="employment").dropna()
    tot = wide.groupby(level=["zone_code", "region_code"]).sum()
    out = pd.DataFrame({f"industry_{y0}": tot[y0], f"industry_{y1}": tot[y1]})
    out["change"] = out[f"industry_{y1}"] - out[f"industry_{y0}"]
    out["pct"] = 100 * out["change"] / out[f"industry_{y0}"]
    return out.reset_index()


# --------------------------------------------------------------------------- maps
def epci_map(values: pd.DataFrame, column: str, *, region: str | None = None,
             diverging: bool = False, vmin: float | None = None, vmax: float | None = None,
             legend_label: str | None = None, title: str | None = None, ax=None,
             contours=None):
    """Choropleth of an EPCI value for one region (or France), accord EPCI outlined.

    ``values`` has epci_code and ``column``. The EPCI where an accord was signed
    (``data.accords()``) are outlined in black. Returns ``(fig, ax, frame)`` where
    frame is the data drawn (to save with the figure).
    """
    from reindus import maps

    gdf = data.contours("epci") if contours is None else contours
    geo = data.geography("epci")[["epci_code", "region_code"]]
    gdf = gdf.merge(geo, on="epci_code", how="left").merge(
        values[["epci_code", column]], on="epci_code", how="left")
    if region is not None:
        gdf = gdf[gdf["region_code"] == region]
    signing = data.accords()["epci_code"].dropna().tolist()
    fig, ax = maps.choropleth(gdf, column, ax=ax, diverging=diverging, vmin=vmin, vmax=vmax,
                              legend_label=legend_label, title=title,
                              highlight=[c for c in signing if c in set(gdf["epci_code"])] or None,
                              highlight_on="epci_code", highlight_label="EPCI where an accord was signed",
                              linewidth=0.2)
    frame = pd.DataFrame(gdf.drop(columns="geometry"))
    return fig, ax, frame

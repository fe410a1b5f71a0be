r"""Intercommunalités (EPCI): profiles, code reconciliation, commune -> EPCI aggregation.

The rest of the EPCI analysis lives beside it: :mod:`reindus.geo.dynamics` (job changes),
:mod:`reindus.geo.peers` (peer groups, trajectories), :mod:`reindus.geo.zones` (zones d'emploi,
map frames) and :mod:`reindus.plots.epci` (maps and charts).

An EPCI (*établissement public de coopération intercommunale à fiscalité
propre*) groups communes: a *communauté de communes* (CC, rural), *communauté
d'agglomération* (CA, over 50,000 inhabitants around a town of 15,000), *communauté
urbaine* (CU, over 250,000) or *métropole* (ME, over 400,000 in an urban area of
650,000). Since the 2015 NOTRe law they are in charge of local economic development,
which is why the Région–Intercommunalités accords are signed with them.

This module works on the tidy frames of :mod:`reindus.data` and never reads files:

* :func:`profiles` attaches each COG 2026 EPCI to its département and region, with its
  population, type and census industrial share;
* :func:`reconcile_codes` compares the EPCI codes (SIREN numbers) of the COG, the Urssaf
  series, the contours and the census indicators, so that nothing is dropped silently;
* :func:`aggregate_communes` sums commune series into EPCI through the COG membership
  and states its coverage; :func:`compare_totals` checks the sum against the published
  EPCI totals;
* :func:`changes`, :func:`dynamics` give the job changes 2014–2019, 2019–2024 and
  2023–2024 (the first year after the Béthune accord of December 2023), the rank of each
  EPCI within its region and the industrial events located in it;
* :func:`select_peers`, :func:`trajectories`, :func:`peer_band`, :func:`peer_comparison`
  compare one EPCI with its region, France and a peer group;
* :func:`epci_zones`, :func:`zone_industry` give the zone d'emploi × NA38 industrial view;
* :func:`map_frame`, :func:`plot_region_maps`, :func:`plot_france_map` draw the EPCI
  choropleths through :func:`reindus.plots.maps.choropleth`.

Employment :math:`E_{it}` is Urssaf private salaried employment, all sectors, of EPCI
:math:`i` at the end of year :math:`t` (2014–2024), on the COG 2026 perimeters
(``data.area_employment('epci')``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reindus.config import OVERSEAS_REGIONS
from reindus.errors import require_columns

#: The Métropole du Grand Paris: one EPCI in the COG and the Urssaf series; the contours
#: and the census indicators hold it *and* its 12 établissements publics territoriaux (EPT,
#: Paris being one), whose polygons overlap the Métropole's.
GRAND_PARIS = "200054781"
GRAND_PARIS_TERRITORIES = (
    "75056", "200057867", "200057875", "200057941", "200057966", "200057974", "200057982",
    "200057990", "200058006", "200058014", "200058097", "200058790",
)
#: Code of the Urssaf series for the communes that belong to no EPCI (the four island
#: communes of Bréhat, Sein, Ouessant and Yeu).
NO_EPCI = "ZZZZZZZZZ"
#: Periods of the job-dynamics summaries: before Covid, since 2019, after the Béthune accord.
PERIODS: tuple[tuple[int, int], ...] = ((2014, 2019), (2019, 2024), (2023, 2024))
EPCI_TYPES = {"CC": "communauté de communes", "CA": "communauté d'agglomération",
              "CU": "communauté urbaine", "ME": "métropole"}
#: Census indicator used as the industrial share (share of jobs in industry, 2022, %).
INDUSTRY_SHARE = "eco_sectindus_pct_22"
CENSUS_POPULATION = "P22_POP"


def check_employment(employment: pd.DataFrame, what: str = "employment") -> None:
    require_columns(employment, ["code", "year", "employment"], what)
    if employment.duplicated(["code", "year"]).any():
        dup = employment.loc[employment.duplicated(["code", "year"]), ["code", "year"]]
        raise ValueError(f"{what} has duplicated (code, year) rows, e.g. "
                         f"{dup.iloc[0].to_dict()}")


def pct_change(start: Any, end: Any) -> Any:
    r"""Percentage change :math:`100\,(E_{end}/E_{start} - 1)`; NaN when :math:`E_{start} \le 0`."""
    s = pd.Series(start, dtype="float64") if np.ndim(start) else float(start)
    e = pd.Series(end, dtype="float64") if np.ndim(end) else float(end)
    if isinstance(s, float):
        return 100.0 * (e / s - 1.0) if s > 0 and not math.isnan(e) else float("nan")
    return (100.0 * (e / s - 1.0)).where(s > 0)


# --------------------------------------------------------------------------- profiles
def profiles(geo_epci: pd.DataFrame, departements: pd.DataFrame, regions: pd.DataFrame,
             indicators: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per COG 2026 EPCI: names, type, population, département, region.

    Parameters
    ----------
    geo_epci, departements, regions
        ``data.geography('epci')``, ``('departement')``, ``('region')``.
    indicators
        ``data.epci_indicators()`` (optional): adds ``industry_share`` (census 2022 share
        of jobs in industry, %) and ``census_population`` (2022). The census file
        describes the Grand Paris by its EPT, so the Métropole gets NaN.

    Returns
    -------
    pandas.DataFrame
        epci_code, epci, epci_type, epci_type_label, population (COG municipal
        population), n_communes, departement_code, departement, region_code, region,
        overseas (bool), and, with ``indicators``, industry_share and census_population.
        ``departement_code`` and ``region_code`` are those of the most populous member
        (26 EPCI straddle two regions).
    """
    require_columns(geo_epci, ["epci_code", "epci", "epci_type", "population", "n_communes",
                        "departement_code", "region_code"], "geo_epci")
    require_columns(departements, ["departement_code", "departement"], "departements")
    require_columns(regions, ["region_code", "region"], "regions")
    out = geo_epci[["epci_code", "epci", "epci_type", "population", "n_communes",
                    "departement_code", "region_code"]].copy()
    out["n_regions"] = (geo_epci["n_regions"].astype("int64") if "n_regions" in geo_epci
                        else 1)
    unknown = set(out["epci_type"]) - set(EPCI_TYPES)
    if unknown:
        raise ValueError(f"unknown EPCI type(s) {sorted(unknown)}; expected {list(EPCI_TYPES)}")
    out.insert(3, "epci_type_label", out["epci_type"].map(EPCI_TYPES))
    out["departement"] = out["departement_code"].map(
        departements.set_index("departement_code")["departement"])
    out["region"] = out["region_code"].map(regions.set_index("region_code")["region"])
    out["overseas"] = out["region_code"].isin(OVERSEAS_REGIONS)
    if indicators is not None:
        require_columns(indicators, ["epci_code", INDUSTRY_SHARE, CENSUS_POPULATION], "indicators")
        ind = indicators.assign(epci_code=indicators["epci_code"].astype(str)).set_index(
            "epci_code")
        out["industry_share"] = out["epci_code"].map(ind[INDUSTRY_SHARE]).astype("float64")
        out["census_population"] = out["epci_code"].map(ind[CENSUS_POPULATION]).astype("float64")
    cols = ["epci_code", "epci", "epci_type", "epci_type_label", "population", "n_communes",
            "departement_code", "departement", "region_code", "region", "n_regions", "overseas"]
    cols += [c for c in ("industry_share", "census_population") if c in out.columns]
    return out[cols].sort_values("epci_code").reset_index(drop=True)


def profile(profiles_table: pd.DataFrame, epci_code: str) -> pd.Series:
    """The row of :func:`profiles` for one EPCI (clear error when the code is unknown)."""
    row = profiles_table.loc[profiles_table["epci_code"] == str(epci_code)]
    if row.empty:
        raise ValueError(f"EPCI {epci_code!r} is not in the COG 2026 (codes are 9-digit SIREN "
                         "numbers, e.g. '200072460')")
    return row.iloc[0]


# --------------------------------------------------------------------------- code reconciliation
def reconcile_codes(geo_epci: pd.DataFrame, employment: pd.DataFrame,
                    contours_codes: Collection[str] | None = None,
                    indicator_codes: Collection[str] | None = None) -> pd.DataFrame:
    """Where each EPCI code appears: COG 2026, Urssaf series, contours, census indicators.

    Every code present in at least one source gets a row, with a ``note`` explaining the
    known cases (Mayotte, the overseas regions without contours, the Grand Paris EPT,
    the communes outside any EPCI). Nothing is dropped: the callers decide.

    Returns
    -------
    pandas.DataFrame
        code, epci (COG name when known), region_code, in_cog, in_series, in_contours,
        in_indicators (the last two NA when not given), note.
    """
    require_columns(geo_epci, ["epci_code", "epci", "region_code"], "geo_epci")
    check_employment(employment)
    cog = set(geo_epci["epci_code"])
    series = set(employment["code"])
    sources = {"in_cog": cog, "in_series": series}
    if contours_codes is not None:
        sources["in_contours"] = {str(c) for c in contours_codes}
    if indicator_codes is not None:
        sources["in_indicators"] = {str(c) for c in indicator_codes}
    codes = sorted(set().union(*sources.values()))
    out = pd.DataFrame({"code": codes})
    g = geo_epci.set_index("epci_code")
    out["epci"] = out["code"].map(g["epci"])
    out["region_code"] = out["code"].map(g["region_code"])
    for name, s in sources.items():
        out[name] = out["code"].isin(s)
    for name in ("in_contours", "in_indicators"):
        if name not in out.columns:
            out[name] = pd.array([pd.NA] * len(out), dtype="boolean")

    def note(r: Any) -> str:
        if r.code == NO_EPCI:
            return "series code of the communes in no EPCI (island communes)"
        if r.code in GRAND_PARIS_TERRITORIES:
            return ("EPT of the Métropole du Grand Paris (contours and census only; "
                    "overlaps the Métropole)")
        if r.region_code == "06":
            return "Mayotte (no Urssaf series, no contours)"
        if isinstance(r.region_code, str) and r.region_code in OVERSEAS_REGIONS:
            return "overseas region (no contours, no census indicators)"
        if not r.in_cog:
            return "not in the COG 2026 (former or unknown EPCI)"
        return ""

    out["note"] = [note(r) for r in out.itertuples()]
    return out


def reconciliation_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Counts of :func:`reconcile_codes`: codes in the COG and each source, and the gaps."""
    rows = [("COG 2026 EPCI", int(table["in_cog"].sum())),
            ("series codes", int(table["in_series"].sum())),
            ("COG EPCI with a series", int((table["in_cog"] & table["in_series"]).sum())),
            ("COG EPCI without a series", int((table["in_cog"] & ~table["in_series"]).sum())),
            ("series codes not in the COG", int((~table["in_cog"] & table["in_series"]).sum()))]
    for name, label in (("in_contours", "contours"), ("in_indicators", "census indicators")):
        col = table[name]
        if col.isna().all():
            continue
        col = col.fillna(False).astype(bool)
        rows += [(f"COG EPCI without {label}", int((table["in_cog"] & ~col).sum())),
                 (f"{label} codes not in the COG", int((~table["in_cog"] & col).sum()))]
    return pd.DataFrame(rows, columns=["what", "count"])


# --------------------------------------------------------------------------- communes -> EPCI
def arrondissement_parent(code: str) -> str:
    """Commune code of a municipal arrondissement (Paris, Marseille, Lyon); else ``code``.

    Paris 75101–75120 → 75056, Marseille 13201–13216 → 13055, Lyon 69381–69389 → 69123.
    """
    c = str(code)
    if len(c) == 5 and c.isdigit():
        n = int(c)
        if 75101 <= n <= 75120:
            return "75056"
        if 13201 <= n <= 13216:
            return "13055"
        if 69381 <= n <= 69389:
            return "69123"
    return c


@dataclass(frozen=True)
class Aggregation:
    """Result of :func:`aggregate_communes`.

    Attributes
    ----------
    employment
        code (EPCI, or :data:`NO_EPCI`), year, employment, n_communes (commune codes summed).
    coverage
        One row per year: total (all commune codes), to_epci, to_no_epci, unmapped,
        unmapped_pct, n_unmapped_codes.
    unmapped
        Commune codes of the series that are neither a COG 2026 commune nor an
        arrondissement (former communes merged into a commune nouvelle), with their
        first and last year and their employment in their last year.
    """

    employment: pd.DataFrame
    coverage: pd.DataFrame
    unmapped: pd.DataFrame


def aggregate_communes(commune_employment: pd.DataFrame, members: pd.DataFrame,
                       communes: pd.DataFrame | None = None,
                       parents: Mapping[str, str] | None = None) -> Aggregation:
    r"""Sum commune series into EPCI through the COG 2026 membership.

    .. math:: \hat E_{it} = \sum_{c \in M_i} E_{ct}

    with :math:`M_i` the communes of EPCI :math:`i` in the COG 2026. Before the sum, the
    municipal arrondissements of Paris, Marseille and Lyon are mapped to their commune
    (:func:`arrondissement_parent`) and ``parents`` (optional ``{old code: current
    code}``, e.g. delegated communes to their commune nouvelle) is applied. Current
    communes that belong to no EPCI (given ``communes``) go to :data:`NO_EPCI`. Codes
    still unknown are *not* dropped silently: they are counted in ``coverage`` and listed
    in ``unmapped``.

    Parameters
    ----------
    commune_employment
        ``data.area_employment('commune')``: code, year, employment.
    members
        ``data.geography('epci_members')``: epci_code, commune_code.
    communes
        ``data.geography('commune')`` (optional): to recognise current communes outside
        any EPCI.
    parents
        Extra code mapping applied after the arrondissements.
    """
    check_employment(commune_employment, "commune_employment")
    require_columns(members, ["epci_code", "commune_code"], "members")
    if members["commune_code"].duplicated().any():
        raise ValueError("members lists a commune in two EPCI; use one COG vintage")
    df = commune_employment[["code", "year", "employment"]].copy()
    df["commune_code"] = df["code"].map(arrondissement_parent)
    if parents:
        df["commune_code"] = df["commune_code"].map(lambda c: parents.get(c, c))
    epci_of = members.set_index("commune_code")["epci_code"]
    df["epci_code"] = df["commune_code"].map(epci_of)
    if communes is not None:
        require_columns(communes, ["commune_code"], "communes")
        outside = df["epci_code"].isna() & df["commune_code"].isin(communes["commune_code"])
        df.loc[outside, "epci_code"] = NO_EPCI
    mapped = df[df["epci_code"].notna()]
    agg = (mapped.groupby(["epci_code", "year"], as_index=False)
           .agg(employment=("employment", "sum"), n_communes=("code", "nunique"))
           .rename(columns={"epci_code": "code"}))
    agg["employment"] = agg["employment"].astype("int64")
    status = np.where(df["epci_code"].isna(), "unmapped",
                      np.where(df["epci_code"] == NO_EPCI, "to_no_epci", "to_epci"))
    cov = (df.assign(status=status).pivot_table(index="year", columns="status",
                                                values="employment", aggfunc="sum",
                                                fill_value=0)
           .reindex(columns=["to_epci", "to_no_epci", "unmapped"], fill_value=0))
    cov.insert(0, "total", cov.sum(axis=1))
    cov["unmapped_pct"] = 100.0 * cov["unmapped"] / cov["total"]
    unm = df[df["epci_code"].isna()]
    cov["n_unmapped_codes"] = unm.groupby("year")["code"].nunique().reindex(
        cov.index, fill_value=0).astype("int64")
    cov = cov.reset_index()
    cov.columns.name = None
    last = unm.sort_values("year").groupby("code").agg(
        first_year=("year", "min"), last_year=("year", "max"),
        employment_last_year=("employment", "last"))
    return Aggregation(agg.sort_values(["code", "year"]).reset_index(drop=True), cov,
                       last.reset_index().sort_values("code").reset_index(drop=True))


def compare_totals(aggregated: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Aggregated commune sums against the published EPCI totals, code by year.

    Returns
    -------
    pandas.DataFrame
        code, year, aggregated, published, difference (aggregated − published; NaN when
        one side is missing), status ('both', 'aggregated only', 'published only').
    """
    check_employment(aggregated, "aggregated")
    check_employment(published, "published")
    m = aggregated[["code", "year", "employment"]].rename(
        columns={"employment": "aggregated"}).merge(
        published[["code", "year", "employment"]].rename(columns={"employment": "published"}),
        on=["code", "year"], how="outer", indicator=True)
    m["status"] = m.pop("_merge").map({"both": "both", "left_only": "aggregated only",
                                       "right_only": "published only"}).astype(str)
    m["difference"] = m["aggregated"].astype("float64") - m["published"].astype("float64")
    return m[["code", "year", "aggregated", "published", "difference", "status"]].sort_values(
        ["code", "year"]).reset_index(drop=True)



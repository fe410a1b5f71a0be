r"""Intercommunalités (EPCI): profiles, employment trajectories, peers, dynamics and maps.

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
  choropleths through :func:`reindus.maps.choropleth`.

Employment :math:`E_{it}` is Urssaf private salaried employment, all sectors, of EPCI
:math:`i` at the end of year :math:`t` (2014–2024), on the COG 2026 perimeters
(``data.area_employment('epci')``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

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
#: Overseas regions (Guadeloupe, Martinique, Guyane, La Réunion, Mayotte).
OVERSEAS_REGIONS = ("01", "02", "03", "04", "06")
#: Periods of the job-dynamics summaries: before Covid, since 2019, after the Béthune accord.
PERIODS: tuple[tuple[int, int], ...] = ((2014, 2019), (2019, 2024), (2023, 2024))
EPCI_TYPES = {"CC": "communauté de communes", "CA": "communauté d'agglomération",
              "CU": "communauté urbaine", "ME": "métropole"}
#: Census indicator used as the industrial share (share of jobs in industry, 2022, %).
INDUSTRY_SHARE = "eco_sectindus_pct_22"
CENSUS_POPULATION = "P22_POP"


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lacks column(s) {missing}; has {list(frame.columns)}")


def _check_employment(employment: pd.DataFrame, what: str = "employment") -> None:
    _require(employment, ["code", "year", "employment"], what)
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
    _require(geo_epci, ["epci_code", "epci", "epci_type", "population", "n_communes",
                        "departement_code", "region_code"], "geo_epci")
    _require(departements, ["departement_code", "departement"], "departements")
    _require(regions, ["region_code", "region"], "regions")
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
        _require(indicators, ["epci_code", INDUSTRY_SHARE, CENSUS_POPULATION], "indicators")
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
    _require(geo_epci, ["epci_code", "epci", "region_code"], "geo_epci")
    _check_employment(employment)
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
    _check_employment(commune_employment, "commune_employment")
    _require(members, ["epci_code", "commune_code"], "members")
    if members["commune_code"].duplicated().any():
        raise ValueError("members lists a commune in two EPCI; use one COG vintage")
    df = commune_employment[["code", "year", "employment"]].copy()
    df["commune_code"] = df["code"].map(arrondissement_parent)
    if parents:
        df["commune_code"] = df["commune_code"].map(lambda c: parents.get(c, c))
    epci_of = members.set_index("commune_code")["epci_code"]
    df["epci_code"] = df["commune_code"].map(epci_of)
    if communes is not None:
        _require(communes, ["commune_code"], "communes")
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
    _check_employment(aggregated, "aggregated")
    _check_employment(published, "published")
    m = aggregated[["code", "year", "employment"]].rename(
        columns={"employment": "aggregated"}).merge(
        published[["code", "year", "employment"]].rename(columns={"employment": "published"}),
        on=["code", "year"], how="outer", indicator=True)
    m["status"] = m.pop("_merge").map({"both": "both", "left_only": "aggregated only",
                                       "right_only": "published only"}).astype(str)
    m["difference"] = m["aggregated"].astype("float64") - m["published"].astype("float64")
    return m[["code", "year", "aggregated", "published", "difference", "status"]].sort_values(
        ["code", "year"]).reset_index(drop=True)


# --------------------------------------------------------------------------- trajectories
def employment_index(employment: pd.DataFrame, base_year: int = 2019) -> pd.DataFrame:
    r"""Index and growth of each series: :math:`I_t = 100\,E_t/E_b`, :math:`g_t = 100(E_t/E_{t-1}-1)`.

    Returns ``employment`` (code, year, employment) with ``index`` (base ``base_year`` =
    100) and ``growth_pct`` (year on year, NaN for the first year). A series without a
    positive value at the base year gets NaN indices.
    """
    _check_employment(employment)
    df = employment[["code", "year", "employment"]].sort_values(["code", "year"]).copy()
    base = df.loc[df["year"] == base_year].set_index("code")["employment"].astype("float64")
    b = df["code"].map(base)
    df["index"] = (100.0 * df["employment"] / b).where(b > 0)
    prev = df[["code", "year", "employment"]].assign(year=df["year"] + 1).rename(
        columns={"employment": "_prev"})
    df = df.merge(prev, on=["code", "year"], how="left")
    df["growth_pct"] = pct_change(df["_prev"], df["employment"])
    return df.drop(columns="_prev").reset_index(drop=True)


def changes(employment: pd.DataFrame, periods: Sequence[tuple[int, int]] = PERIODS
            ) -> pd.DataFrame:
    r"""Job changes over each period, per code.

    For a period :math:`(a, b)`: ``chg_a_b`` :math:`= E_b - E_a` (jobs),
    ``pct_a_b`` :math:`= 100\,(E_b/E_a - 1)` and ``cagr_a_b``
    :math:`= 100\,[(E_b/E_a)^{1/(b-a)} - 1]` (mean annual growth). Years are end-of-year
    stocks, so "2019–2024" runs from 31 December 2019 to 31 December 2024.

    Returns
    -------
    pandas.DataFrame
        code, ``emp_<year>`` for every year used, then chg/pct/cagr per period. Missing
        years give NaN, never a wrong number.
    """
    _check_employment(employment)
    for a, b in periods:
        if not int(b) > int(a):
            raise ValueError(f"period {(a, b)} must have end > start")
    years = sorted({y for p in periods for y in p})
    wide = employment.pivot(index="code", columns="year", values="employment")
    absent = [y for y in years if y not in wide.columns]
    if absent:
        raise ValueError(f"employment has no year {absent}; it covers "
                         f"{sorted(employment['year'].unique())}")
    out = pd.DataFrame(index=wide.index)
    for y in years:
        out[f"emp_{y}"] = wide[y].astype("float64")
    for a, b in periods:
        ea, eb = wide[a].astype("float64"), wide[b].astype("float64")
        out[f"chg_{a}_{b}"] = eb - ea
        out[f"pct_{a}_{b}"] = pct_change(ea, eb)
        out[f"cagr_{a}_{b}"] = (100.0 * ((eb / ea) ** (1.0 / (b - a)) - 1.0)).where(ea > 0)
    out.index.name = "code"
    return out.reset_index()


def _events_by_epci(events: pd.DataFrame) -> pd.DataFrame:
    _require(events, ["epci_code", "kind", "company", "jobs", "effective_on"], "events")
    ev = events[events["epci_code"].notna()].copy()
    ev["year"] = ev["effective_on"].astype(str).str[:4]
    ev = ev.sort_values(["epci_code", "year", "company"])
    jobs = ev["jobs"].map(lambda j: "" if pd.isna(j) else f", {int(j)} jobs announced")
    ev["text"] = ev["company"] + " (" + ev["kind"] + " " + ev["year"] + jobs + ")"
    return ev.groupby("epci_code").agg(n_events=("text", "size"),
                                       events=("text", "; ".join))


def dynamics(employment: pd.DataFrame, profiles_table: pd.DataFrame,
             events: pd.DataFrame | None = None,
             periods: Sequence[tuple[int, int]] = PERIODS) -> pd.DataFrame:
    """Job-dynamics summary per COG EPCI: changes, ranks within region, industrial events.

    Parameters
    ----------
    employment
        ``data.area_employment('epci')``.
    profiles_table
        :func:`profiles`. Only its EPCI are kept (the series code :data:`NO_EPCI` is left
        out; see :func:`reconcile_codes`); EPCI without a series get NaN changes.
    events
        ``data.industrial_events()`` (optional): ``n_events`` and an ``events`` text.
    periods
        Periods of :func:`changes`.

    Returns
    -------
    pandas.DataFrame
        The profile columns, the :func:`changes` columns, and for each period
        ``rank_a_b``: rank of ``pct_a_b`` within the region, 1 = strongest growth (ties
        share the smallest rank; EPCI without the change are not ranked), and
        ``n_region``: EPCI of the region with a 2019–2024 (last period) change.
    """
    _require(profiles_table, ["epci_code", "epci", "region_code"], "profiles_table")
    ch = changes(employment, periods).rename(columns={"code": "epci_code"})
    out = profiles_table.merge(ch, on="epci_code", how="left")
    for a, b in periods:
        out[f"rank_{a}_{b}"] = (out.groupby("region_code")[f"pct_{a}_{b}"]
                                .rank(ascending=False, method="min").astype("Int64"))
    a, b = periods[-1]
    out["n_region"] = out.groupby("region_code")[f"pct_{a}_{b}"].transform("count").astype(
        "int64")
    if events is not None:
        ev = _events_by_epci(events)
        out["n_events"] = out["epci_code"].map(ev["n_events"]).fillna(0).astype("int64")
        out["events"] = out["epci_code"].map(ev["events"]).fillna("")
    return out.reset_index(drop=True)


def gainers_losers(dyn: pd.DataFrame, period: tuple[int, int], *, n: int = 5,
                   region_code: str | None = None) -> pd.DataFrame:
    """The ``n`` EPCI with the largest job gains and the ``n`` with the largest losses.

    Ranked on the change in jobs ``chg_a_b`` (absolute numbers: large EPCI dominate; sort
    ``pct_a_b`` yourself for the relative view). Returns the rows with a ``side`` column
    ('gain' or 'loss'), ties broken by code for determinism.
    """
    a, b = period
    col = f"chg_{a}_{b}"
    _require(dyn, ["epci_code", "epci", col, f"pct_{a}_{b}"], "dyn")
    d = dyn if region_code is None else dyn[dyn["region_code"] == region_code]
    d = d[d[col].notna()]
    top = d.sort_values([col, "epci_code"], ascending=[False, True]).head(n)
    bottom = d.sort_values([col, "epci_code"], ascending=[True, True]).head(n)
    return pd.concat([top.assign(side="gain"), bottom.assign(side="loss")],
                     ignore_index=True)


def count_gainers(dyn: pd.DataFrame, period: tuple[int, int],
                  by: str | None = "region_code") -> pd.DataFrame:
    """Number of EPCI that gained, lost or kept their private jobs over ``period``, and jobs."""
    a, b = period
    col = f"chg_{a}_{b}"
    d = dyn[dyn[col].notna()].copy()
    d["side"] = np.sign(d[col]).map({1.0: "gained", -1.0: "lost", 0.0: "unchanged"})
    keys = [by] if by else []
    counts = d.pivot_table(index=keys or None, columns="side", values="epci_code",
                           aggfunc="count", fill_value=0) if keys else \
        d["side"].value_counts().to_frame().T
    counts = counts.reindex(columns=["gained", "lost", "unchanged"], fill_value=0)
    counts["net_jobs"] = d.groupby(keys)[col].sum() if keys else d[col].sum()
    counts.columns.name = None
    return counts.reset_index() if keys else counts.reset_index(drop=True)


# --------------------------------------------------------------------------- peers
@dataclass(frozen=True)
class PeerRule:
    r"""How the peer group of an EPCI is chosen (census indicators, 2022).

    Candidates are metropolitan COG EPCI with a census industrial share and a complete,
    positive employment series, other than the target and ``exclude``. With
    :math:`P` the census population and :math:`s` the industrial share (%) of the target
    (subscript 0) and candidate :math:`i`:

    * ``method='band'``: keep :math:`P_0/r \le P_i \le r P_0` and :math:`|s_i - s_0| \le h`,
      with :math:`r` = ``pop_ratio`` and :math:`h` = ``industry_pp``;
    * ``method='nearest'``: keep the ``k`` candidates nearest in the standardised distance

      .. math:: d_i = \sqrt{\Big(\frac{\ln P_i - \ln P_0}{\sigma_{\ln P}}\Big)^2
                + \Big(\frac{s_i - s_0}{\sigma_s}\Big)^2}

      (:math:`\sigma` over the candidates); ``d`` is reported for both methods.

    ``same_type`` keeps only EPCI of the target's type (CC, CA, CU, ME);
    ``outside_region`` drops the EPCI of the target's region (a regional accord treats
    the whole region, so its EPCI are not untreated comparisons).
    """

    method: Literal["band", "nearest"] = "band"
    pop_ratio: float = 2.0
    industry_pp: float = 5.0
    k: int = 20
    same_type: bool = False
    outside_region: bool = False

    def __post_init__(self) -> None:
        if self.method not in ("band", "nearest"):
            raise ValueError(f"peer method must be 'band' or 'nearest', not {self.method!r}")
        if not self.pop_ratio >= 1:
            raise ValueError(f"pop_ratio must be >= 1, got {self.pop_ratio}")
        if not self.industry_pp >= 0:
            raise ValueError(f"industry_pp must be >= 0, got {self.industry_pp}")
        if not (isinstance(self.k, (int, np.integer)) and self.k >= 1):
            raise ValueError(f"k must be a positive integer, got {self.k!r}")

    @classmethod
    def from_mapping(cls, rule: PeerRule | Mapping[str, Any] | None) -> PeerRule:
        """A rule from a dict (a notebook parameter), a rule, or the default (``None``)."""
        if rule is None:
            return cls()
        if isinstance(rule, PeerRule):
            return rule
        unknown = set(rule) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown peer-rule field(s) {sorted(unknown)}; known: "
                             f"{list(cls.__dataclass_fields__)}")
        return cls(**dict(rule))

    def describe(self) -> str:
        """One-line description, for printing and for the results JSON."""
        if self.method == "band":
            core = (f"population within a factor {self.pop_ratio:g} and industrial share "
                    f"within {self.industry_pp:g} points")
        else:
            core = f"{self.k} nearest in (log population, industrial share)"
        extra = [s for s, on in (("same EPCI type", self.same_type),
                                 ("outside the region", self.outside_region)) if on]
        return core + (", " + ", ".join(extra) if extra else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def select_peers(epci_code: str, profiles_table: pd.DataFrame, employment: pd.DataFrame,
                 rule: PeerRule | Mapping[str, Any] | None = None, *,
                 exclude: Collection[str] = (),
                 years: tuple[int, int] = (2014, 2024)) -> pd.DataFrame:
    """Peer group of ``epci_code`` under ``rule`` (see :class:`PeerRule`).

    Parameters
    ----------
    profiles_table
        :func:`profiles` with ``indicators`` (needs industry_share, census_population).
    employment
        ``data.area_employment('epci')``: candidates need a positive value every year of
        ``years`` (so that every change and index is defined).
    exclude
        Codes never used as peers (e.g. the other accord EPCI).

    Returns
    -------
    pandas.DataFrame
        The peers' profile rows with ``distance`` (see :class:`PeerRule`), sorted by
        distance then code. Raises when the target lacks census indicators; returns an
        empty frame when no candidate passes.
    """
    rule = PeerRule.from_mapping(rule)
    _require(profiles_table, ["epci_code", "epci_type", "region_code", "overseas",
                              "industry_share", "census_population"], "profiles_table")
    _check_employment(employment)
    target = profile(profiles_table, epci_code)
    if pd.isna(target["industry_share"]) or pd.isna(target["census_population"]):
        raise ValueError(f"EPCI {epci_code} has no census indicators; peers cannot be chosen")
    y0, y1 = years
    win = employment[employment["year"].between(y0, y1)]
    counts = win[win["employment"] > 0].groupby("code").size()
    complete = set(counts[counts == y1 - y0 + 1].index)
    cand = profiles_table[
        (profiles_table["epci_code"] != target["epci_code"])
        & ~profiles_table["overseas"]
        & profiles_table["industry_share"].notna()
        & profiles_table["census_population"].notna()
        & profiles_table["epci_code"].isin(complete)
        & ~profiles_table["epci_code"].isin({str(c) for c in exclude})].copy()
    if rule.same_type:
        cand = cand[cand["epci_type"] == target["epci_type"]]
    if rule.outside_region:
        cand = cand[cand["region_code"] != target["region_code"]]
    lp, lp0 = np.log(cand["census_population"]), math.log(target["census_population"])
    s, s0 = cand["industry_share"], float(target["industry_share"])
    sd_lp = float(lp.std()) if len(cand) > 1 and lp.std() > 0 else 1.0
    sd_s = float(s.std()) if len(cand) > 1 and s.std() > 0 else 1.0
    cand["distance"] = np.sqrt(((lp - lp0) / sd_lp) ** 2 + ((s - s0) / sd_s) ** 2)
    if rule.method == "band":
        p0 = float(target["census_population"])
        keep = (cand["census_population"].between(p0 / rule.pop_ratio, p0 * rule.pop_ratio)
                & ((s - s0).abs() <= rule.industry_pp + 1e-9))
        cand = cand[keep]
    cand = cand.sort_values(["distance", "epci_code"])
    if rule.method == "nearest":
        cand = cand.head(rule.k)
    return cand.reset_index(drop=True)


def trajectories(epci_code: str, epci_employment: pd.DataFrame,
                 region_employment: pd.DataFrame, france_employment: pd.DataFrame,
                 profiles_table: pd.DataFrame, peer_codes: Collection[str] = (), *,
                 base_year: int = 2019) -> pd.DataFrame:
    r"""Employment and index of an EPCI, its region, the rest of its region, France and peers.

    Indices :math:`I_t = 100\,E_t/E_{b}` with :math:`b` = ``base_year``. The "rest of the
    region" is the region's series minus the EPCI's (omitted for EPCI straddling two
    regions, whose region is that of their most populous commune). The peers' line is
    the **median of the peers' indices** (each peer weighs the same), not the index of
    their summed employment.

    Returns
    -------
    pandas.DataFrame
        series (label), kind ('epci', 'region', 'rest of region', 'france', 'peers'),
        year, employment (NaN for the peers' median), index.
    """
    for f, w in ((epci_employment, "epci_employment"), (region_employment, "region_employment"),
                 (france_employment, "france_employment")):
        _check_employment(f, w)
    p = profile(profiles_table, epci_code)
    own = epci_employment[epci_employment["code"] == p["epci_code"]]
    if own.empty:
        raise ValueError(f"EPCI {epci_code} has no employment series")
    reg = region_employment[region_employment["code"] == p["region_code"]]
    if reg.empty:
        raise ValueError(f"region {p['region_code']} has no employment series")
    frames = [own.assign(series=p["epci"], kind="epci"),
              reg.assign(series=p["region"], kind="region")]
    # An EPCI straddling two regions is not wholly inside "its" region's series.
    if int(p.get("n_regions", 1)) == 1:
        rest = reg.set_index("year")["employment"] - own.set_index("year")["employment"]
        frames.append(pd.DataFrame({"year": rest.index, "employment": rest.to_numpy(),
                                    "code": p["region_code"] + "-rest",
                                    "series": f"{p['region']} without the EPCI",
                                    "kind": "rest of region"}))
    frames.append(france_employment.assign(series="France", kind="france"))
    out = []
    for f in frames:
        idx = employment_index(f[["code", "year", "employment"]], base_year)
        out.append(idx.assign(series=f["series"].iloc[0], kind=f["kind"].iloc[0]))
    res = pd.concat(out, ignore_index=True)[["series", "kind", "year", "employment", "index"]]
    res["employment"] = res["employment"].astype("float64")
    peer_codes = [str(c) for c in peer_codes]
    if peer_codes:
        band = peer_band(epci_employment, peer_codes, base_year=base_year)
        res = pd.concat([res, pd.DataFrame({
            "series": f"peers (median of {int(band['n'].iloc[0])})", "kind": "peers",
            "year": band["year"], "employment": np.nan, "index": band["median"]})],
            ignore_index=True)
    return res


def comparison_table(traj: pd.DataFrame, peer_table: pd.DataFrame | None = None,
                     periods: Sequence[tuple[int, int]] = PERIODS) -> pd.DataFrame:
    r"""% change of each benchmark series of :func:`trajectories` over each period.

    Rows: the EPCI, its region, the rest of the region, France (from their employment,
    :math:`100\,(E_b/E_a - 1)`) and, given ``peer_table`` (:func:`peer_comparison`), the
    peers' median % change and interquartile range (the median of the peers' own changes,
    not the change of the median index). Columns: series, kind, then ``pct_a_b`` per period.
    """
    _require(traj, ["series", "kind", "year", "employment"], "traj")
    rows = []
    own = traj[traj["kind"] != "peers"]
    for (series, kind), d in own.groupby(["series", "kind"], sort=False):
        e = d.set_index("year")["employment"]
        row = {"series": series, "kind": kind}
        for a, b in periods:
            row[f"pct_{a}_{b}"] = pct_change(e.get(a, np.nan), e.get(b, np.nan))
        rows.append(row)
    if peer_table is not None:
        pt = peer_table.set_index("period")
        missing = [f"{a}-{b}" for a, b in periods if f"{a}-{b}" not in pt.index]
        if missing:
            raise ValueError(f"peer_table has no period {missing}")
        for stat, label in (("peers_median", "peers: median"), ("peers_q25", "peers: 25th pct"),
                            ("peers_q75", "peers: 75th pct")):
            row = {"series": label, "kind": "peers"}
            for a, b in periods:
                row[f"pct_{a}_{b}"] = float(pt.loc[f"{a}-{b}", stat])
            rows.append(row)
    return pd.DataFrame(rows)


def peer_band(epci_employment: pd.DataFrame, peer_codes: Collection[str], *,
              base_year: int = 2019) -> pd.DataFrame:
    """Spread of the peers' indices by year: n, median, q25, q75, min, max."""
    _check_employment(epci_employment, "epci_employment")
    codes = {str(c) for c in peer_codes}
    if not codes:
        raise ValueError("no peer code given")
    missing = codes - set(epci_employment["code"])
    if missing:
        raise ValueError(f"peer codes without a series: {sorted(missing)[:5]}")
    idx = employment_index(epci_employment[epci_employment["code"].isin(codes)], base_year)
    g = idx.groupby("year")["index"]
    return pd.DataFrame({"n": g.count(), "median": g.median(), "q25": g.quantile(0.25),
                         "q75": g.quantile(0.75), "min": g.min(), "max": g.max()}
                        ).reset_index()


def peer_comparison(epci_code: str, peer_codes: Collection[str], dyn: pd.DataFrame,
                    periods: Sequence[tuple[int, int]] = PERIODS) -> pd.DataFrame:
    r"""The EPCI's changes against its peers', with a placebo (permutation) rank.

    For each period and each unit :math:`j` of the set :math:`S` = target ∪ peers, the
    gap to the others is :math:`\gamma_j = g_j - \operatorname{med}_{k \in S, k \ne j} g_k`
    (:math:`g` = % change). The target's gap is set against the peers' own gaps, as in a
    placebo test: ``placebo_p`` :math:`= \#\{j \in S: |\gamma_j| \ge |\gamma_0|\}/|S|`
    (two-sided; its smallest possible value is :math:`1/|S|`). A small value says the
    target moved unusually for this group, not *why*.

    Returns
    -------
    pandas.DataFrame
        One row per period: period, target_pct, peers_median, peers_q25, peers_q75,
        peers_min, peers_max, n_peers, gap (target − peers' median, points),
        rank_in_group (1 = strongest growth among the |S| units), n_group, placebo_p.
    """
    codes = [str(c) for c in peer_codes]
    if str(epci_code) in codes:
        raise ValueError("the target EPCI is listed among its own peers")
    if not codes:
        raise ValueError("no peer code given")
    rows = []
    d = dyn.set_index("epci_code")
    for a, b in periods:
        col = f"pct_{a}_{b}"
        _require(dyn, [col], "dyn")
        g0 = float(d.loc[str(epci_code), col])
        gp = d.loc[codes, col].astype("float64").dropna()
        allg = pd.concat([pd.Series({str(epci_code): g0}), gp])
        gaps = pd.Series({j: allg[j] - allg.drop(j).median() for j in allg.index})
        gap0 = gaps[str(epci_code)]
        rows.append({
            "period": f"{a}-{b}", "target_pct": g0, "peers_median": float(gp.median()),
            "peers_q25": float(gp.quantile(0.25)), "peers_q75": float(gp.quantile(0.75)),
            "peers_min": float(gp.min()), "peers_max": float(gp.max()), "n_peers": len(gp),
            "gap": g0 - float(gp.median()),
            "rank_in_group": int((allg > g0).sum() + 1), "n_group": len(allg),
            "placebo_p": float((gaps.abs() >= abs(gap0) - 1e-12).mean()),
        })
    return pd.DataFrame(rows)


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
    _require(zone_employment, ["zone_code", "sector_code", "sector", "a5", "year",
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
    _require(contours_epci, ["epci_code", "epci", "geometry"], "contours_epci")
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
    EPT. EPCI without a value keep NaN, which :func:`reindus.maps.choropleth` hatches.
    """
    _require(values, ["epci_code"], "values")
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


def _mark(ax: Any, gdf: Any, codes: Collection[str], *, fontsize: float = 7.5) -> None:
    """Label the marked EPCI with their short names, next to a representative point."""
    import matplotlib.patheffects as pe

    for r in gdf[gdf["epci_code"].isin(codes)].itertuples():
        pt = r.geometry.representative_point()
        ax.annotate(short_name(r.epci), (pt.x, pt.y), xytext=(6, 6), textcoords="offset points",
                    fontsize=fontsize, fontweight="bold",
                    path_effects=[pe.withStroke(linewidth=2.5, foreground="white")])


@dataclass(frozen=True)
class MapVariable:
    """What one map panel shows: a column, its colour scale and its legend.

    ``vmin``/``vmax`` are the colour limits; give several panels the same ones (see
    :func:`reindus.maps.shared_limits`) so that a colour means the same number everywhere.
    """

    column: str
    vmin: float
    vmax: float
    legend_label: str
    diverging: bool = False
    cmap: str | None = None
    title: str = ""


def _region_subset(g: Any, r: str, region_contours: Any, straddling: pd.Series) -> Any:
    """EPCI drawn in region ``r``: its own, plus straddling EPCI with >1 % of their area in it."""
    inside = g["region_code"] == r
    outline = region_contours[region_contours["region_code"] == r]
    other = g[straddling & ~inside]
    if len(other) and len(outline):
        # the simplified contours are not always valid polygons: repair before overlaying
        poly = outline.geometry.make_valid().union_all()
        shapes = other.geometry.make_valid()
        share = shapes.intersection(poly).area / shapes.area
        inside |= g.index.isin(other.index[share.to_numpy() > 0.01])
    sub = g[inside]
    if sub.empty:
        raise ValueError(f"no EPCI contours for region {r!r}")
    return sub


def _prepare_regions(gdf: Any, profiles_table: pd.DataFrame) -> tuple[Any, pd.Series, pd.Series]:
    prof = profiles_table.set_index("epci_code")
    names = profiles_table.drop_duplicates("region_code").set_index("region_code")["region"]
    region_of = prof["region_code"].to_dict()
    if GRAND_PARIS in region_of:
        region_of.update(dict.fromkeys(GRAND_PARIS_TERRITORIES, region_of[GRAND_PARIS]))
    g = gdf.assign(region_code=gdf["epci_code"].map(region_of))
    straddling = (g["epci_code"].map(prof["n_regions"]).fillna(1).gt(1)
                  if "n_regions" in prof.columns else pd.Series(False, index=g.index))
    return g, straddling, names


def _draw_panel(ax: Any, sub: Any, var: MapVariable, title: str, outline: Any,
                marked: Collection[str]) -> pd.DataFrame:
    from reindus import maps

    here = sorted(set(marked) & set(sub["epci_code"]))
    maps.choropleth(sub, var.column, ax=ax, diverging=var.diverging, cmap=var.cmap,
                    vmin=var.vmin, vmax=var.vmax, legend_label=var.legend_label, title=title,
                    highlight=here or None, highlight_on="epci_code",
                    highlight_label="accord signed here", linewidth=0.25)
    outline.boundary.plot(ax=ax, color="#404040", linewidth=0.8)
    _mark(ax, sub, here)
    plotted = pd.DataFrame(sub[["region_code", "epci_code", "epci", var.column]])
    return plotted.assign(marked=plotted["epci_code"].isin(here))


def plot_region_maps(gdf: Any, variable: MapVariable, region_codes: Sequence[str],
                     profiles_table: pd.DataFrame, region_contours: Any, *,
                     marked: Collection[str] = (), suptitle: str = "",
                     notes: Mapping[str, str] | None = None, ncols: int = 2,
                     panel_size: float = 5.6) -> tuple[Any, pd.DataFrame]:
    """One choropleth panel per region, all on the colour scale of ``variable``.

    An EPCI belongs to the region of its most populous commune (``profiles_table``); an
    EPCI straddling two regions is also drawn in the other region's panel when more than
    1 % of its area lies there (so that no hole appears), and the Grand Paris EPT in
    Île-de-France. ``marked`` EPCI (the accords' signing EPCI) are outlined in black and
    named. ``notes`` adds a line under a region's title (e.g. an accord without a known
    EPCI).

    Returns
    -------
    tuple
        ``(fig, data)``: the figure and the plotted values (region_code = the panel,
        epci_code, epci, the variable, marked) for :func:`reindus.reporting.save_figure`.
    """
    import matplotlib.pyplot as plt

    g, straddling, names = _prepare_regions(gdf, profiles_table)
    n = len(region_codes)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows),
                             squeeze=False)
    frames = []
    for ax, r in zip(axes.flat, region_codes, strict=False):
        sub = _region_subset(g, r, region_contours, straddling).assign(region_code=r)
        title = names.get(r, r) + (f"\n{notes[r]}" if notes and r in notes else "")
        frames.append(_draw_panel(ax, sub, variable, title,
                                  region_contours[region_contours["region_code"] == r], marked))
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle, fontsize=13)
    fig.tight_layout(h_pad=4.0)
    return fig, pd.concat(frames, ignore_index=True)


def plot_region_variables(gdf: Any, variables: Sequence[MapVariable], region_code: str,
                          profiles_table: pd.DataFrame, region_contours: Any, *,
                          marked: Collection[str] = (), suptitle: str = "",
                          panel_size: float = 5.6) -> tuple[Any, pd.DataFrame]:
    """One region, one panel per variable (e.g. growth and industrial share side by side).

    ``gdf`` must hold every variable's column. Returns ``(fig, data)`` with one row per
    EPCI and the variables as columns.
    """
    import matplotlib.pyplot as plt

    g, straddling, names = _prepare_regions(gdf, profiles_table)
    sub = _region_subset(g, region_code, region_contours, straddling).assign(
        region_code=region_code)
    outline = region_contours[region_contours["region_code"] == region_code]
    fig, axes = plt.subplots(1, len(variables), figsize=(panel_size * len(variables),
                                                         panel_size), squeeze=False)
    frames = [_draw_panel(ax, sub, v, v.title, outline, marked)
              for ax, v in zip(axes.flat, variables, strict=True)]
    fig.suptitle(suptitle or names.get(region_code, region_code), fontsize=13)
    fig.tight_layout()
    data = frames[0]
    for f, v in zip(frames[1:], variables[1:], strict=True):
        data = data.merge(f[["epci_code", v.column]], on="epci_code", how="outer")
    return fig, data


def plot_france_map(gdf: Any, variable: MapVariable, region_contours: Any, *,
                    marked: Collection[str] = (), title: str = "",
                    figsize: tuple[float, float] = (8.5, 8.5)) -> tuple[Any, pd.DataFrame]:
    """Choropleth of all metropolitan EPCI with region boundaries and marked EPCI named."""
    from reindus import maps

    here = sorted(set(marked) & set(gdf["epci_code"]))
    fig, ax = maps.choropleth(gdf, variable.column, diverging=variable.diverging,
                              cmap=variable.cmap, vmin=variable.vmin, vmax=variable.vmax,
                              legend_label=variable.legend_label, title=title or variable.title,
                              highlight=here or None, highlight_on="epci_code",
                              highlight_label="accord signed here", linewidth=0.1,
                              edgecolor="#f0f0f0", figsize=figsize)
    region_contours.boundary.plot(ax=ax, color="#303030", linewidth=0.6)
    _mark(ax, gdf, here, fontsize=8)
    data = pd.DataFrame(gdf[["epci_code", "epci", variable.column]])
    return fig, data.assign(marked=data["epci_code"].isin(here))


def plot_gains_losses(table: pd.DataFrame, period: tuple[int, int], *,
                      highlight: str | None = None, title: str = "") -> Any:
    """Horizontal bars of the job change of the EPCI of :func:`gainers_losers`.

    Gains in blue, losses in red (the diverging colours of the maps); ``highlight`` (an
    EPCI code) in bold. Each bar is labelled with the change in % of the start level.
    """
    import matplotlib.pyplot as plt

    a, b = period
    col, pct = f"chg_{a}_{b}", f"pct_{a}_{b}"
    _require(table, ["epci_code", "epci", col, pct], "table")
    t = table.drop_duplicates("epci_code").sort_values([col, "epci_code"])
    fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(t) + 1.4))
    colours = np.where(t[col] >= 0, "#2166ac", "#b2182b")
    y = np.arange(len(t))
    ax.barh(y, t[col], color=colours)
    ax.set_yticks(y, [short_name(n, 34) for n in t["epci"]], fontsize=8)
    for tick, code in zip(ax.get_yticklabels(), t["epci_code"], strict=True):
        if code == highlight:
            tick.set_fontweight("bold")
    span = float(t[col].abs().max()) or 1.0
    for yi, v, p in zip(y, t[col], t[pct], strict=True):
        ax.annotate(f"{p:+.1f} %", (v, yi), xytext=(4 if v >= 0 else -4, 0),
                    textcoords="offset points", va="center", ha="left" if v >= 0 else "right",
                    fontsize=7)
    ax.set_xlim(-1.25 * span, 1.25 * span)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"private jobs, change {a}-{b} (end of year)")
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_zone_sectors(tables: Mapping[str, pd.DataFrame], column: str, *,
                      title: str = "") -> Any:
    """Bars of the industrial NA38 sectors' job change, one panel per zone d'emploi.

    ``tables`` maps a panel title (e.g. "Béthune (87 % of the EPCI's area)") to a
    :func:`zone_industry` table; ``column`` is one of its change columns. Each panel has
    its own scale (zones differ in size), so every bar carries its value.
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tables), figsize=(5.2 * len(tables), 4.8), squeeze=False,
                             sharex=False)
    for ax, (name, t) in zip(axes.flat, tables.items(), strict=True):
        d = t[t["sector"] != "industry (matched)"].sort_values("sector_code", ascending=False)
        vals = d[column].astype("float64")
        ax.barh(d["sector"], vals.fillna(0), color=np.where(vals >= 0, "#2166ac", "#b2182b"))
        span = float(np.nanmax(np.abs(vals))) if vals.notna().any() else 1.0
        for yi, v in enumerate(vals):
            if np.isnan(v):
                ax.annotate("withheld", (0, yi), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7, color="grey")
            else:
                ax.annotate(f"{v:+,.0f}", (v, yi), xytext=(3 if v >= 0 else -3, 0),
                            textcoords="offset points", va="center", fontsize=7,
                            ha="left" if v >= 0 else "right")
        ax.set_xlim(-1.3 * span, 1.3 * span)
        ax.axvline(0, color="black", lw=0.8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("jobs")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def plot_trajectories(traj: pd.DataFrame, band: pd.DataFrame | None = None, *,
                      base_year: int = 2019, accord_year: float | None = 2023.96,
                      title: str = "") -> Any:
    """Index lines (base ``base_year`` = 100) with the peers' interquartile and min–max bands."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    if band is not None:
        ax.fill_between(band["year"], band["min"], band["max"], color="#c6dbef", alpha=0.5,
                        label=f"peers: min–max ({int(band['n'].iloc[0])})")
        ax.fill_between(band["year"], band["q25"], band["q75"], color="#6baed6", alpha=0.5,
                        label="peers: interquartile range")
    styles = {"epci": dict(color="#b2182b", lw=2.6), "region": dict(color="#2166ac", lw=1.6),
              "rest of region": dict(color="#2166ac", lw=1.2, ls=":"),
              "france": dict(color="black", lw=1.4, ls="--"),
              "peers": dict(color="#08519c", lw=1.6, ls="-.")}
    for (series, kind), d in traj.groupby(["series", "kind"], sort=False):
        ax.plot(d["year"], d["index"], label=series, **styles.get(kind, {}))
    ax.axhline(100, color="grey", lw=0.6)
    if accord_year is not None:
        ax.axvline(accord_year, color="#555555", lw=1, ls=":")
        ax.annotate("accord\n18 Dec 2023", (accord_year, ax.get_ylim()[1]), xytext=(-4, -4),
                    textcoords="offset points", ha="right", va="top", fontsize=8)
    ax.set_xlabel("year (end-of-year stock)")
    ax.set_ylabel(f"private employment, index {base_year} = 100")
    ax.set_xticks(sorted(traj["year"].unique()))
    ax.legend(fontsize=8, loc="lower right", frameon=True, framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig

r"""Territoires d'industrie: treatment definitions and the EPCI panel (issue 7).

The national programme *Territoires d'industrie* (TI) labelled 149
territories (about 550 EPCI) in November 2018 and 183 territories (about
640 EPCI) when it was renewed in November 2023. This module turns the
membership table (:func:`reindus.data.ti_membership`) into treatment dates
for the intercommunalités (EPCI) of the COG 2026, builds the EPCI x year
panel of private employment, and estimates the effect of the label.

Treatment
---------
* ``wave1``: EPCI listed as members of a first-wave territory, treated from
  **2019**, the first full year after the launch (November 2018). The label
  is treated as absorbing (intention to treat): EPCI that left the
  programme in 2023 stay treated.
* ``wave2_entrant``: EPCI listed in the second wave but not in the first,
  treated from **2024**.
* ``never``: EPCI in neither wave: the controls.
* ``partial``: EPCI of which only some communes (or some EPT of the
  Métropole du Grand Paris) were labelled, and that were not labelled
  whole in the first wave. Their employment mixes treated and untreated
  parts, so they are left out of both groups (and counted).

Outcome
-------
Private salaried employment :math:`E_{it}` (Urssaf, all sectors, year end,
2014-2024) as :math:`y_{it} = \log E_{it}` or as an index
:math:`100\,E_{it}/E_{i,2018}`.

The estimators applied to this design are in :mod:`reindus.designs.territories_estimates`
and :mod:`reindus.designs.territories_robustness`; the zone-level views in
:mod:`reindus.designs.territories_zones`; the maps and charts in :mod:`reindus.plots.territories`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reindus.config import OVERSEAS_REGIONS
from reindus.errors import require_columns

#: first treated year of each wave (first full year after the launch)
TREATMENT_START: dict[int, int] = {1: 2019, 2: 2024}
GROUPS: tuple[str, ...] = ("wave1", "wave2_entrant", "never", "partial")
OUTCOMES: dict[str, str] = {"log_employment": "log points", "index": "index points (2018 = 100)"}
#: covariates of the propensity score (all measured before the 2018 launch, but see
#: ``industry_share_2022``, measured after it and kept for robustness only)
PSCORE_COVARIATES: tuple[str, ...] = ("pre_growth", "log_employment_2018",
                                      "industry_share_2016", "log_population", "dense",
                                      "intermediate")


# --------------------------------------------------------------------------- treatment
def treatment_table(membership: pd.DataFrame, epci: pd.DataFrame) -> pd.DataFrame:
    """One row per COG 2026 EPCI with its TI status in each wave and its group.

    Parameters
    ----------
    membership
        :func:`reindus.data.ti_membership`.
    epci
        :func:`reindus.data.geography` ``('epci')``.

    Returns
    -------
    pandas.DataFrame
        epci_code, epci, region_code, departement_code, population,
        wave1, wave2 (bool: the EPCI itself is listed), partial1, partial2
        (bool: only some of its communes or EPT are listed), territory_1,
        territory_2 (labels), group (see :data:`GROUPS`) and first_treated
        (Int64: 2019, 2024 or missing).
    """
    require_columns(membership, ["wave", "territory", "epci_code", "member_type", "cog_epci_code"],
                    "membership")
    out = epci[["epci_code", "epci", "region_code", "departement_code", "population"]].copy()
    for w in (1, 2):
        m = membership[membership["wave"] == w]
        direct = m[m["member_type"] == "epci"]
        part = m[(m["member_type"] != "epci") & m["cog_epci_code"].notna()]
        out[f"wave{w}"] = out["epci_code"].isin(direct["cog_epci_code"])
        out[f"partial{w}"] = out["epci_code"].isin(part["cog_epci_code"]) & ~out[f"wave{w}"]
        label = direct.drop_duplicates("cog_epci_code").set_index("cog_epci_code")["territory"]
        out[f"territory_{w}"] = out["epci_code"].map(label)
    group = np.select(
        [out["wave1"], out["partial1"] | (out["partial2"] & ~out["wave2"]),
         out["wave2"]],
        ["wave1", "partial", "wave2_entrant"], default="never")
    out["group"] = pd.Categorical(group, categories=GROUPS)
    first = out["group"].map({"wave1": TREATMENT_START[1], "wave2_entrant": TREATMENT_START[2]})
    out["first_treated"] = pd.array(first.astype("float").to_numpy(), dtype="Int64")
    return out.sort_values("epci_code").reset_index(drop=True)


def membership_summary(membership: pd.DataFrame) -> pd.DataFrame:
    """Counts per wave: territories, members, and how members match the COG 2026."""
    rows = []
    for w, m in membership.groupby("wave"):
        rows.append({
            "wave": int(w), "territories": m["territory_id"].nunique(), "members": len(m),
            "epci_in_cog_2026": int(m["in_cog_2026"].sum()),
            "communes": int((m["member_type"] == "commune").sum()),
            "ept": int((m["member_type"] == "ept").sum()),
            "unknown": int((m["member_type"] == "unknown").sum()),
            "cog_epci_touched": m["cog_epci_code"].nunique(),
        })
    return pd.DataFrame(rows)


def unmatched_members(membership: pd.DataFrame) -> pd.DataFrame:
    """Members that are not COG 2026 EPCI, grouped by wave, territory and type."""
    u = membership[~membership["in_cog_2026"]]
    return (u.groupby(["wave", "territory_id", "territory", "member_type", "cog_epci_code"],
                      dropna=False)
            .agg(n=("epci_code", "size"), codes=("epci_code", lambda s: ", ".join(sorted(s))))
            .reset_index())


def group_counts(treatment: pd.DataFrame, panel: pd.DataFrame | None = None) -> pd.DataFrame:
    """EPCI per group in the COG (all, metropolitan) and, if given, in the panel."""
    out = pd.DataFrame({
        "cog_2026": treatment["group"].value_counts().reindex(GROUPS, fill_value=0),
        "metropolitan": treatment.loc[~treatment["region_code"].isin(OVERSEAS_REGIONS), "group"]
        .value_counts().reindex(GROUPS, fill_value=0),
    })
    if panel is not None:
        units = panel.drop_duplicates("epci_code")
        out["panel"] = units["group"].value_counts().reindex(GROUPS, fill_value=0)
    out.index.name = "group"
    return out.reset_index()


# --------------------------------------------------------------------------- panel
def covariates(indicators: pd.DataFrame) -> pd.DataFrame:
    """Census covariates by EPCI from :func:`reindus.data.epci_indicators`.

    ``industry_share_2022`` is industry's share of jobs in 2022 (census, %);
    it is measured *after* the 2018 launch and could itself respond to the
    label. ``industry_share_2016`` is a pre-launch proxy: 100 minus the 2016
    shares of construction, market services and public administration, minus
    the 2022 agricultural share (the 2016 agricultural share is not
    published; it moves slowly). ``log_population`` uses the 2022 census
    population; ``dense`` and ``intermediate`` are dummies of the three-level
    density grid (``dens3`` 1 and 2; 3 = rural is the reference).
    """
    need = ["epci_code", "eco_sectindus_pct_22", "eco_sectconst_pct_16", "eco_sectservi_pct_16",
            "eco_sectadmin_pct_16", "eco_sectagri_pct_22", "P22_POP", "dens3"]
    require_columns(indicators, need, "indicators")
    d = indicators
    share16 = (100 - d["eco_sectconst_pct_16"] - d["eco_sectservi_pct_16"]
               - d["eco_sectadmin_pct_16"] - d["eco_sectagri_pct_22"]).clip(lower=0)
    return pd.DataFrame({
        "epci_code": d["epci_code"].astype(str),
        "industry_share_2022": d["eco_sectindus_pct_22"].astype(float),
        "industry_share_2016": share16.astype(float),
        "log_population": np.log(d["P22_POP"].astype(float)),
        "dense": (d["dens3"].astype(str) == "1").astype(float),
        "intermediate": (d["dens3"].astype(str) == "2").astype(float),
    })


def outcome_panel(employment: pd.DataFrame, treatment: pd.DataFrame,
                  indicators: pd.DataFrame, *, base_year: int = 2018,
                  metropolitan_only: bool = True, keep_partial: bool = False) -> pd.DataFrame:
    r"""The EPCI x year panel: outcomes, treatment and covariates.

    Parameters
    ----------
    employment
        :func:`reindus.data.area_employment` ``('epci')``: code, year, employment.
    treatment
        :func:`treatment_table`.
    indicators
        :func:`reindus.data.epci_indicators`.
    base_year
        Base of the index (default 2018, the last year before the first wave).
    metropolitan_only
        Drop the overseas EPCI (no census covariates, not comparable labour markets).
    keep_partial
        Keep the partially labelled EPCI (dropped by default).

    Returns
    -------
    pandas.DataFrame
        One row per EPCI and year (balanced): epci_code, year, employment,
        log_employment (:math:`\log E_{it}`), index (:math:`100 E_{it}/E_{i,b}`),
        group, first_treated, treated (ever, bool), region_code,
        departement_code, territory (the unit of assignment: ``w1:<label>``
        or ``w2:<label>`` for labelled EPCI, ``epci:<code>`` for the others,
        for clustering at the level of the label), pre_growth (:math:`\log E_{i,2018} - \log E_{i,2014}`),
        log_employment_2018 and the :func:`covariates`. EPCI with a zero or
        missing year, or without covariates, are dropped.
    """
    emp = employment.rename(columns={"code": "epci_code"})
    emp = emp[emp["epci_code"].isin(treatment["epci_code"])]
    years = sorted(emp["year"].unique())
    if base_year not in years or 2014 not in years:
        raise ValueError(f"employment must cover 2014 and the base year {base_year}")
    wide = emp.pivot(index="epci_code", columns="year", values="employment")
    ok = wide.notna().all(axis=1) & (wide > 0).all(axis=1)
    wide = wide[ok]
    t = treatment.set_index("epci_code")
    units = pd.DataFrame(index=wide.index)
    for c in ("group", "first_treated", "region_code", "departement_code"):
        units[c] = t[c].reindex(units.index)
    # the unit of assignment: the territory for labelled EPCI, the EPCI itself otherwise
    terr = pd.Series("epci:" + units.index.to_series().astype(str), index=units.index)
    for w, g in ((1, "wave1"), (2, "wave2_entrant")):
        if f"territory_{w}" in t.columns:
            lab = t[f"territory_{w}"].reindex(units.index)
            m = (units["group"] == g) & lab.notna()
            terr[m] = f"w{w}:" + lab[m].astype(str)
    units["territory"] = terr
    units["pre_growth"] = np.log(wide[base_year]) - np.log(wide[years[0]])
    units["log_employment_2018"] = np.log(wide[base_year])
    units = units.join(covariates(indicators).set_index("epci_code"), how="inner")
    if metropolitan_only:
        units = units[~units["region_code"].isin(OVERSEAS_REGIONS)]
    if not keep_partial:
        units = units[units["group"] != "partial"]
    long = (wide.loc[units.index].stack().rename("employment").reset_index()
            .rename(columns={"level_1": "year"}))
    long.columns = ["epci_code", "year", "employment"]
    long["year"] = long["year"].astype("int64")
    long["employment"] = long["employment"].astype("int64")
    long["log_employment"] = np.log(long["employment"].astype(float))
    base = long.loc[long["year"] == base_year].set_index("epci_code")["employment"]
    long["index"] = 100 * long["employment"] / long["epci_code"].map(base)
    long = long.merge(units.reset_index(names="epci_code"), on="epci_code", how="left")
    long["treated"] = long["first_treated"].notna()
    return long.sort_values(["epci_code", "year"]).reset_index(drop=True)


def employment_weights(panel: pd.DataFrame, *, year: int = 2018) -> pd.Series:
    r"""Unit weights :math:`w_i = E_{i,year}`, indexed by epci_code.

    With them the event study estimates the employment-weighted gap (what
    happened to the average *job*), instead of the equal-weights gap (what
    happened to the average *EPCI*).
    """
    base = panel.loc[panel["year"] == year].set_index("epci_code")["employment"]
    if base.empty:
        raise ValueError(f"no employment in {year} in the panel")
    return base.astype(float)


def add_bins(panel: pd.DataFrame, column: str = "industry_share_2016", *, n_bins: int = 5,
             name: str | None = None) -> pd.DataFrame:
    """Add a column of quantile bins of a unit covariate (for bin x year effects)."""
    u = panel.drop_duplicates("epci_code").set_index("epci_code")[column]
    bins = pd.qcut(u.rank(method="first"), n_bins, labels=False)
    out = panel.copy()
    out[name or f"{column}_bin"] = out["epci_code"].map(bins).astype("int64")
    return out


def add_detrended(panel: pd.DataFrame, *, outcome: str = "log_employment",
                  before: int = 2019) -> pd.DataFrame:
    r"""Add ``<outcome>_detrended``: each EPCI's outcome minus its own pre-period line.

    :math:`\tilde y_{it} = y_{it} - (\hat a_i + \hat b_i t)` with the line
    fitted by OLS on the years before ``before`` only
    (:func:`reindus.evaluation.did.detrend_pre`), then extrapolated: the
    counterfactual is that each EPCI's own 2014–2018 trend would have gone
    on. The leads of an event study on :math:`\tilde y` are then close to
    zero by construction and no longer test anything.
    """
    from reindus.evaluation.did import detrend_pre

    wide = panel.pivot(index="epci_code", columns="year", values=outcome).sort_index()
    t0 = int((wide.columns < before).sum())
    if t0 < 3:
        raise ValueError("need at least three years before the label to fit a line and test it")
    det = pd.DataFrame(detrend_pre(wide.to_numpy(dtype=float), t0), index=wide.index,
                       columns=wide.columns).stack().rename(f"{outcome}_detrended")
    return panel.merge(det.reset_index(), on=["epci_code", "year"], how="left")


def main_zones(contours_epci, contours_zone) -> pd.Series:
    """Zone d'emploi of each EPCI: the zone containing a point inside its polygon.

    ``representative_point`` is guaranteed to lie within the EPCI; for EPCI
    split between zones this picks one of them (a spatial join, much faster
    than intersecting every polygon). Returns epci_code -> zone_code.
    """
    import geopandas as gpd

    pts = contours_epci[["epci_code", "geometry"]].copy()
    pts["geometry"] = pts.geometry.representative_point()
    j = gpd.sjoin(pts, contours_zone[["zone_code", "geometry"]].to_crs(pts.crs),
                  how="inner", predicate="within")
    return j.drop_duplicates("epci_code").set_index("epci_code")["zone_code"].sort_index()


def donut_panel(panel: pd.DataFrame, zones: pd.Series, *,
                first_treated: int = 2019) -> pd.DataFrame:
    """Drop the never-labelled EPCI whose main zone d'emploi also holds a labelled EPCI.

    Controls sharing a labour market with labelled EPCI may be affected by
    the label (jobs moving across the EPCI boundary, suppliers): without
    them, the comparison is with EPCI of other labour markets only. EPCI
    without a zone (no contour) are dropped.
    """
    z = panel["epci_code"].map(zones)
    is_treated = (panel["first_treated"] == first_treated).fillna(False).astype(bool)
    treated_zones = set(z[is_treated].dropna())
    ctrl = panel["first_treated"].isna()
    drop = z.isna() | (ctrl & z.isin(treated_zones))
    return panel[~drop].reset_index(drop=True)


def wave_map_frame(contours_epci, membership: pd.DataFrame) -> Any:
    """Contours of the EPCI with one 0/1 column per wave (NaN = partly labelled)."""
    g = contours_epci[["epci_code", "epci", "geometry"]].copy()
    for w in (1, 2):
        m = membership[membership["wave"] == w]
        whole = set(m.loc[m["member_type"].isin(["epci", "ept"]), "epci_code"])
        part = set(m.loc[m["member_type"] == "commune", "cog_epci_code"]) - whole
        g[f"wave{w}"] = np.where(g["epci_code"].isin(whole), 1.0,
                                 np.where(g["epci_code"].isin(part), np.nan, 0.0))
    return g


def group_means(panel: pd.DataFrame, outcome: str = "index") -> pd.DataFrame:
    """Mean of ``outcome`` by group and year (unweighted across EPCI), for plotting."""
    g = (panel.groupby([panel["group"].astype(str), "year"])[outcome].mean()
         .rename("mean").reset_index())
    g["n_epci"] = g["group"].map(panel.groupby(panel["group"].astype(str))["epci_code"].nunique())
    return g



r"""Territoires d'industrie: treatment definitions, EPCI panel and estimates (issue 7).

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

Estimators (all on a balanced panel, unit weights :math:`w_i` allowed)
---------------------------------------------------------------------
Two-way fixed effects with cohort-specific event-time dummies

.. math::

    y_{it} = \alpha_i + \lambda_t + \sum_{k \ne g-1} \beta_k\, 1\{G_i = g\}\,1\{t = k\}
             + \varepsilon_{it},

estimated by Frisch–Waugh–Lovell: with weights constant within a unit the
weighted two-way demeaning :math:`\tilde y_{it} = y_{it} - \bar y_{i\cdot} -
\bar y^w_{\cdot t} + \bar y^w_{\cdot\cdot}` is exactly the residual of a
weighted regression on unit and year dummies (within strata of year effects
when region x year effects are asked for). Standard errors are CR1
cluster-robust by département (default, about 90 clusters) or region
(13 clusters, reported with :math:`t_{G-1}` critical values), computed by
statsmodels on the demeaned data. The pre-trend test is the joint Wald test
:math:`H_0: \beta_k = 0` for all :math:`k < g-1`, as an :math:`F(q, G-1)`.

The DiD is the same model with one dummy :math:`D_{it} = 1\{t \ge G_i\}`.
With two cohorts this TWFE coefficient mixes in "forbidden" comparisons
(the 2019 cohort serves as control for the 2024 cohort), hence the
Callaway and Sant'Anna (2021) estimator

.. math::

    ATT(g, t) = \bar{\Delta}_{g}(t) - \bar{\Delta}^{w}_{C}(t), \qquad
    \Delta_i(t) = y_{it} - y_{i,g-1},

against never-treated controls :math:`C`, aggregated with weights
proportional to cohort sizes. Its variance uses the influence functions
:math:`\psi_i` of each :math:`ATT(g,t)`, summed within clusters.

Selection: territories were chosen *because* they were industrial (and
often declining), so the module also provides an inverse-probability
reweighting of the controls (Abadie 2005): a logit propensity score
:math:`p(X)` on pre-2018 employment growth, 2018 size, industrial share,
population and density; controls get weights :math:`p/(1-p)`; intervals by
a cluster bootstrap that re-estimates the score.

The estimators themselves live in :mod:`reindus.evaluation` (one event
study, one DiD, one Callaway–Sant'Anna, one IPW DiD, one fixed-effects
module, design-agnostic); the functions here select the cohorts and the
never-treated EPCI, fix the clustering (département by default) and put the
results in the shape notebook 05 reports.

References
----------
Abadie, A. (2005). Semiparametric difference-in-differences estimators. *REStud* 72(1).
Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
time periods. *J. Econometrics* 225(2).
Goodman-Bacon, A. (2021). Difference-in-differences with variation in treatment timing.
*J. Econometrics* 225(2).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reindus.evaluation import event_study as ev
from reindus.evaluation import ipw, staggered
from reindus.evaluation.did import did
from reindus.evaluation.fixed_effects import fe_fit
from reindus.evaluation.results import EstimateResult

#: first treated year of each wave (first full year after the launch)
TREATMENT_START: dict[int, int] = {1: 2019, 2: 2024}
#: overseas regions (DROM): no census covariates in ``epci_indicators``, not on the maps
OVERSEAS: tuple[str, ...] = ("01", "02", "03", "04", "06")
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
    need = {"wave", "territory", "epci_code", "member_type", "cog_epci_code"}
    if missing := need - set(membership.columns):
        raise ValueError(f"membership lacks column(s) {sorted(missing)}")
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
        "metropolitan": treatment.loc[~treatment["region_code"].isin(OVERSEAS), "group"]
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
    if missing := [c for c in need if c not in indicators.columns]:
        raise ValueError(f"indicators lack column(s) {missing}")
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
        units = units[~units["region_code"].isin(OVERSEAS)]
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


# --------------------------------------------------------------------------- panel plumbing
def _check_panel(panel: pd.DataFrame, outcome: str, cluster: str) -> None:
    need = ["epci_code", "year", outcome, "first_treated", cluster]
    if missing := [c for c in need if c not in panel.columns]:
        raise ValueError(f"panel lacks column(s) {missing}")
    if panel.duplicated(["epci_code", "year"]).any():
        raise ValueError("panel has duplicated (epci_code, year) rows")
    n_years = panel.groupby("epci_code")["year"].nunique()
    if n_years.nunique() != 1 or panel["year"].nunique() != n_years.iloc[0]:
        raise ValueError("panel is unbalanced: every EPCI needs every year")
    if not np.isfinite(panel[outcome].to_numpy(dtype=float)).all():
        raise ValueError(f"non-finite values in {outcome!r}")


def _wide(panel: pd.DataFrame, outcome: str) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """(Y units x years, unit frame in row order, sorted years)."""
    wide = panel.pivot(index="epci_code", columns="year", values=outcome).sort_index()
    units = (panel.drop_duplicates("epci_code").set_index("epci_code", drop=False)
             .loc[wide.index])
    units.index.name = None
    return wide.to_numpy(dtype=float), units, wide.columns.to_numpy()


def _select(panel: pd.DataFrame, cohorts: Sequence[int]) -> pd.DataFrame:
    """Units of the given cohorts plus the never-treated."""
    keep = panel["first_treated"].isna() | panel["first_treated"].isin(list(cohorts))
    sub = panel[keep]
    if not sub["first_treated"].notna().any():
        raise ValueError(f"no treated EPCI of cohort(s) {list(cohorts)} in the panel")
    if not sub["first_treated"].isna().any():
        raise ValueError("no never-treated EPCI in the panel")
    return sub


def _drop_zero_weight(panel: pd.DataFrame, weights) -> pd.DataFrame:
    if weights is None:
        return panel
    w = pd.Series(weights)
    return panel[panel["epci_code"].map(w).fillna(0) > 0]


def _units(sub: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(treated, never-treated) EPCI codes of a selected panel, sorted."""
    u = sub.drop_duplicates("epci_code").sort_values("epci_code")
    tr = u["first_treated"].notna()
    return u.loc[tr, "epci_code"].tolist(), u.loc[~tr, "epci_code"].tolist()


def _cluster_name(cluster: str) -> str:
    return f"cluster_{cluster.removesuffix('_code')}"


# --------------------------------------------------------------------------- event study
def event_study(panel: pd.DataFrame, *, outcome: str = "log_employment", cohort: int = 2019,
                cluster: str = "departement_code", weights: pd.Series | None = None,
                trends: Sequence[str] = (), strata: str | None = None,
                level: float = 0.95) -> EstimateResult:
    r"""Event study of one cohort against the never-treated EPCI.

    .. math::

        y_{it} = \alpha_i + \lambda_t + \sum_{k \ne g-1} \beta_k\, T_i\, 1\{t = k\}
                 + \varepsilon_{it}

    with :math:`T_i = 1` for the EPCI first treated in ``cohort`` (= :math:`g`);
    :math:`\beta_k` is the gap in year :math:`k` relative to :math:`g-1`. Other
    cohorts are left out. ``estimate`` is the mean of the post coefficients
    :math:`\beta_g..\beta_T`; ``details`` has one row per year;
    ``diagnostics['pretrend']`` is the joint :math:`F(q, G-1)` test of the
    leads :math:`\beta_k = 0, k < g-1`.

    Computed by :func:`reindus.evaluation.event_study.event_study` with one
    lead per pre-treatment year (nothing binned), CR1 errors clustered by
    ``cluster`` and :math:`t_{G-1}` intervals; the unit effects nest in the
    clusters, so only the regressors count in the small-sample factor
    (``absorbed_dof=0``).

    Parameters
    ----------
    weights
        Optional unit weights (e.g. :func:`propensity_weights`), indexed by epci_code;
        units with zero weight are dropped.
    cluster
        Column of the panel holding the cluster of each EPCI.
    trends
        Unit covariates whose effect may change every year (regressors
        :math:`x_i 1\{t = k\}`): parallel trends conditional on them, e.g. on
        the industrial share, so that industry-wide shocks are not taken for
        effects of the label.
    strata
        Unit column whose categories get their own year effects, e.g.
        industrial-share bins (:func:`add_bins`): year shocks that vary with
        industrial exposure without a linear form.
    """
    _check_panel(panel, outcome, cluster)
    sub = _drop_zero_weight(_select(panel, [cohort]), weights)
    years = np.sort(sub["year"].unique())
    ref = cohort - 1
    if ref not in years or years[0] >= ref:
        raise ValueError(f"cohort {cohort} needs years before {ref} in the panel")
    treated, controls = _units(sub)
    res = ev.event_study(sub, treated=treated, start=cohort, outcome=outcome, unit="epci_code",
                         period="year", controls=controls, leads=int((years < cohort).sum()),
                         inference="cluster", cluster=cluster, weights=weights, trends=trends,
                         absorbed_dof=0, level=level, strata=strata)
    d = res.details
    details = pd.DataFrame({"year": cohort + d["event_time"], "event_time": d["event_time"],
                            "coef": d["coef"], "se": d["se_cluster"], "ci_lo": d["ci_lo"],
                            "ci_hi": d["ci_hi"]}).sort_values("year").reset_index(drop=True)
    diag = res.diagnostics
    pt = diag["pretrend"]["f_cluster"]
    return EstimateResult(
        estimate=res.estimate, ci=res.ci, p_value=res.p_value, method="event_study",
        inference=_cluster_name(cluster), treated=treated, controls=controls,
        periods={"pre": (str(years[0]), str(ref)), "post": (str(cohort), str(years[-1])),
                 "reference": ref},
        n_obs=res.n_obs, level=level,
        diagnostics={"pretrend": {k: pt[k] for k in ("F", "df1", "df2", "p_value")},
                     "se": diag["se_cluster"], "n_clusters": diag["n_clusters"],
                     "n_treated": len(treated), "n_controls": len(controls),
                     "weighted": weights is not None, "trends": list(trends),
                     "strata": strata, "outcome": outcome,
                     "cumulative_gap": float(details.loc[details["year"] == years[-1], "coef"]
                                             .iloc[0]),
                     "cov": diag["cov"], "event_times": diag["event_times"]},
        details=details)


# --------------------------------------------------------------------------- DiD
def twfe_did(panel: pd.DataFrame, *, outcome: str = "log_employment",
             cohorts: Sequence[int] = (2019, 2024), cluster: str = "departement_code",
             weights: pd.Series | None = None, region_year_effects: bool = False,
             trends: Sequence[str] = (), level: float = 0.95) -> EstimateResult:
    r"""Two-way fixed-effects DiD :math:`y_{it} = \alpha_i + \lambda_t + \tau D_{it} + \varepsilon_{it}`.

    :math:`D_{it} = 1\{t \ge G_i\}` for the EPCI of the given ``cohorts``;
    never-treated EPCI are the controls, other cohorts are dropped. With
    ``region_year_effects`` the year effects are region-specific
    (:math:`\lambda_{r(i)t}`), so that treated EPCI are compared with controls
    of their own region; ``trends`` adds covariate x year regressors (see
    :func:`event_study`). Computed by :func:`reindus.evaluation.did.did`
    (``cluster`` inference, errors clustered by ``cluster``, :math:`t_{G-1}`
    interval, ``absorbed_dof=0``).
    """
    _check_panel(panel, outcome, cluster)
    sub = _drop_zero_weight(_select(panel, cohorts), weights)
    treated, controls = _units(sub)
    first = sub.drop_duplicates("epci_code").set_index("epci_code")["first_treated"]
    res = did(sub, treated=treated, start={u: int(first[u]) for u in treated}, outcome=outcome,
              unit="epci_code", period="year", controls=controls, inference="cluster",
              methods=("cluster",), level=level, cluster=cluster, weights=weights,
              strata="region_code" if region_year_effects else None, trends=trends,
              absorbed_dof=0, use_statsmodels=False)
    years = np.sort(sub["year"].unique())
    c = res.diagnostics["inference"]["cluster"]
    first_c = int(min(cohorts))
    return EstimateResult(
        estimate=res.estimate, ci=(float(c["ci"][0]), float(c["ci"][1])),
        p_value=float(c["p_value"]), method="twfe_did", inference=_cluster_name(cluster),
        treated=treated, controls=controls,
        periods={"pre": (str(years[0]), str(first_c - 1)), "post": (str(first_c), str(years[-1])),
                 "cohorts": [int(x) for x in cohorts]},
        n_obs=res.n_obs, level=level,
        diagnostics={"se": float(c["se"]), "n_clusters": res.diagnostics["n_clusters"],
                     "n_treated": len(treated), "n_controls": len(controls),
                     "weighted": weights is not None,
                     "region_year_effects": region_year_effects, "trends": list(trends),
                     "outcome": outcome})


# --------------------------------------------------------------------------- Callaway–Sant'Anna
def callaway_santanna(panel: pd.DataFrame, *, outcome: str = "log_employment",
                      cohorts: Sequence[int] = (2019, 2024), cluster: str = "departement_code",
                      weights: pd.Series | None = None, level: float = 0.95) -> EstimateResult:
    r"""Callaway–Sant'Anna group-time ATTs against never-treated EPCI.

    For each cohort :math:`g` and year :math:`t \ne g-1` (universal base period):

    .. math::

        \widehat{ATT}(g,t) = \frac{\sum_{G_i = g} w_i (y_{it} - y_{i,g-1})}{\sum_{G_i = g} w_i}
          - \frac{\sum_{i \in C} w_i (y_{it} - y_{i,g-1})}{\sum_{i \in C} w_i}.

    Computed by :func:`reindus.evaluation.staggered.callaway_santanna`
    (``control_group='never_treated'``, ``base_period='universal'``,
    ``inference='cluster'``). Aggregations: ``estimate`` = the average of
    the post-treatment :math:`ATT(g,t)` (:math:`t \ge g`) weighted by cohort
    size; ``diagnostics['event_time']`` = :math:`\theta(e) = \sum_g P(G=g \mid
    g+e \le T)\, ATT(g, g+e)`; ``diagnostics['pretrend']`` = joint :math:`F`
    test that every pre-treatment :math:`ATT(g,t), t < g-1` is zero.
    Inference: influence functions summed within clusters (including the
    estimation error of the cohort shares that weight the aggregations),
    :math:`t_{G-1}` intervals. Weights apply to the
    cohorts and the controls (weight 1 for every labelled EPCI with
    :func:`propensity_weights`).
    """
    _check_panel(panel, outcome, cluster)
    sub = _drop_zero_weight(_select(panel, cohorts), weights)
    years = np.sort(sub["year"].unique())
    for g in sorted(int(x) for x in sub["first_treated"].dropna().unique()):
        if g - 1 not in years:
            raise ValueError(f"cohort {g} has no base year {g - 1} in the panel")
    res = staggered.callaway_santanna(
        sub, outcome=outcome, unit="epci_code", period="year", first_treated="first_treated",
        control_group="never_treated", base_period="universal", inference="cluster",
        cluster=cluster, weights=weights, level=level)
    d = res.details
    cohort = d["cohort"].astype(int)
    year = d["period"].astype(int)
    att = pd.DataFrame({"cohort": cohort, "year": year, "event_time": d["e"], "att": d["att"],
                        "n_treated": d["n_treated"], "post": year >= cohort, "se": d["se"],
                        "ci_lo": d["ci_lo"], "ci_hi": d["ci_hi"]})
    evt = res.diagnostics["event"]
    evt = evt.rename(columns={"e": "event_time"})[
        ["event_time", "att", "se", "ci_lo", "ci_hi", "cohorts"]]
    present = sorted(set(cohort))
    treated, controls = res.treated, res.controls
    return EstimateResult(
        estimate=res.estimate, ci=res.ci, p_value=res.p_value, method="callaway_santanna",
        inference=_cluster_name(cluster), treated=treated, controls=controls,
        periods={"pre": (str(years[0]), str(min(present) - 1)),
                 "post": (str(min(present)), str(years[-1])), "cohorts": present},
        n_obs=res.n_obs, level=level,
        diagnostics={"se": res.diagnostics["se"], "n_clusters": res.diagnostics["n_clusters"],
                     "n_treated": len(treated), "n_controls": len(controls),
                     "pretrend": res.diagnostics["pretrend"], "event_time": evt,
                     "weighted": weights is not None, "outcome": outcome},
        details=att)


# --------------------------------------------------------------------------- reweighting
def propensity_weights(panel: pd.DataFrame, *, cohort: int = 2019,
                       covariates: Sequence[str] = PSCORE_COVARIATES,
                       trim: float = 0.02) -> pd.DataFrame:
    r"""Propensity score of being labelled in ``cohort`` and ATT reweighting weights.

    Logit :math:`p(X_i) = P(G_i = g \mid X_i)` on the cohort and the never-
    treated EPCI, by maximum likelihood (statsmodels, through
    :func:`reindus.evaluation.ipw.propensity_score`, on standardised
    covariates). Common support: units with :math:`p < ` ``trim`` or
    :math:`p > 1 - ` ``trim`` are dropped (weight 0). Treated units get weight
    1, controls :math:`p/(1-p)`, rescaled so that control weights sum to the
    number of treated units (the reweighted controls mimic the treated
    covariate distribution; Abadie 2005).

    Returns
    -------
    pandas.DataFrame
        Indexed by epci_code: treated (bool), pscore, weight.
    """
    units = _select(panel, [cohort]).drop_duplicates("epci_code").set_index("epci_code")
    if missing := [c for c in covariates if c not in units.columns]:
        raise ValueError(f"panel lacks covariate(s) {missing}")
    if not 0 <= trim < 0.5:
        raise ValueError("trim must be in [0, 0.5)")
    tr = units["first_treated"].notna().to_numpy()
    X = ipw.standardised_design(units[list(covariates)].to_numpy(dtype=float))
    p = ipw.propensity_score(X, tr)
    return pd.DataFrame({"treated": tr, "pscore": p, "weight": ipw.ipw_weights(tr, p, trim)},
                        index=units.index)


def balance_table(panel: pd.DataFrame, weights: pd.DataFrame,
                  covariates: Sequence[str] = (*PSCORE_COVARIATES, "industry_share_2022")
                  ) -> pd.DataFrame:
    r"""Standardised mean differences of the covariates, before and after reweighting.

    :math:`SMD = (\bar x_T - \bar x_C) / \sqrt{(s_T^2 + s_C^2)/2}` with the
    unweighted standard deviations in the denominator (both columns comparable).
    """
    units = panel.drop_duplicates("epci_code").set_index("epci_code").loc[weights.index]
    tr = weights["treated"].to_numpy()
    w = weights["weight"].to_numpy()
    rows = []
    for c in covariates:
        x = units[c].to_numpy(dtype=float)
        sd = np.sqrt((x[tr].var() + x[~tr].var()) / 2) or 1.0
        mt = float(np.average(x[tr], weights=None))
        mc = float(x[~tr].mean())
        mtw = float(np.average(x[tr], weights=w[tr]))
        mcw = float(np.average(x[~tr], weights=w[~tr]))
        rows.append({"covariate": c, "mean_treated": mt, "mean_controls": mc,
                     "smd_raw": (mt - mc) / sd, "mean_treated_w": mtw,
                     "mean_controls_w": mcw, "smd_weighted": (mtw - mcw) / sd})
    return pd.DataFrame(rows)


def reweighted_did(panel: pd.DataFrame, *, outcome: str = "log_employment", cohort: int = 2019,
                   covariates: Sequence[str] = PSCORE_COVARIATES, trim: float = 0.02,
                   cluster: str = "departement_code", n_boot: int = 499, seed: int = 0,
                   level: float = 0.95) -> EstimateResult:
    r"""Inverse-probability reweighted DiD of ``cohort`` against never-treated EPCI.

    .. math::

        \hat\tau_{IPW} = \frac{1}{n_T}\sum_{T_i=1} \Delta_i
          - \frac{\sum_{T_i=0} \frac{p_i}{1-p_i} \Delta_i}{\sum_{T_i=0} \frac{p_i}{1-p_i}},
        \qquad \Delta_i = \bar y_{i,post} - y_{i,g-1},

    the long difference from the last year before the label (as in
    :func:`callaway_santanna`); it equals the mean post coefficient of the
    reweighted :func:`event_study`. Computed by
    :func:`reindus.evaluation.ipw.ipw_did`: the interval is a percentile
    cluster bootstrap (``n_boot`` draws of clusters with replacement,
    propensity score re-estimated in each draw, so that its estimation error
    is included). ``details`` is the reweighted event study; ``diagnostics``
    hold its pre-trend test, the balance table and the bootstrap standard
    error.
    """
    _check_panel(panel, outcome, cluster)
    pw = propensity_weights(panel, cohort=cohort, covariates=covariates, trim=trim)
    es = event_study(panel, outcome=outcome, cohort=cohort, cluster=cluster,
                     weights=pw["weight"], level=level)
    sub = _select(panel, [cohort])
    treated, controls = _units(sub)
    res = ipw.ipw_did(sub, treated=treated, start=cohort, covariates=covariates,
                      outcome=outcome, unit="epci_code", period="year", controls=controls,
                      trim=trim, cluster=cluster, n_boot=n_boot, seed=seed, level=level)
    d = res.diagnostics
    years = np.sort(sub["year"].unique())
    return EstimateResult(
        estimate=res.estimate, ci=res.ci, p_value=res.p_value, method="ipw_did",
        inference=f"cluster_bootstrap_{cluster.removesuffix('_code')}",
        treated=res.treated, controls=res.controls,
        periods={"pre": (str(years[0]), str(cohort - 1)), "post": (str(cohort), str(years[-1]))},
        n_obs=res.n_obs, level=level,
        diagnostics={"se": d["se"], "n_boot": d["n_boot"], "pretrend": es.diagnostics["pretrend"],
                     "event_study_estimate": es.estimate, "event_study_ci": es.ci,
                     "balance": balance_table(panel, pw, covariates), "weights": pw,
                     "n_treated": d["n_treated"], "n_controls": d["n_controls"],
                     "n_dropped_support": d["n_dropped_support"],
                     "effective_n_controls": d["effective_n_controls"],
                     "n_clusters": d["n_clusters"], "outcome": outcome},
        details=es.details)


# --------------------------------------------------------------------------- specifications
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


def donut_panel(panel: pd.DataFrame, zones: pd.Series, *, cohort: int = 2019) -> pd.DataFrame:
    """Drop the never-labelled EPCI whose main zone d'emploi also holds a labelled EPCI.

    Controls sharing a labour market with labelled EPCI may be affected by
    the label (jobs moving across the EPCI boundary, suppliers): without
    them, the comparison is with EPCI of other labour markets only. EPCI
    without a zone (no contour) are dropped.
    """
    z = panel["epci_code"].map(zones)
    treated_zones = set(z[(panel["first_treated"] == cohort).fillna(False).astype(bool)].dropna())
    ctrl = panel["first_treated"].isna()
    drop = z.isna() | (ctrl & z.isin(treated_zones))
    return panel[~drop].reset_index(drop=True)


# --------------------------------------------------------------------------- zone-level design
def zone_intensity_panel(zone_quarterly: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Quarterly zone d'emploi panel with the labelled share of each zone's employment.

    Parameters
    ----------
    zone_quarterly
        :func:`reindus.data.zone_quarterly_employment` (CVS employment).
    shares
        :func:`zone_ti_shares`: zone_code, ti_share.

    Returns
    -------
    pandas.DataFrame
        zone_code, quarter, year, employment, log_employment, intensity
        (:math:`s_z \\in [0, 1]`); zones without a share (no contour) are dropped.
    """
    z = zone_quarterly[["zone_code", "quarter", "employment"]].merge(
        shares[["zone_code", "ti_share"]], on="zone_code", how="inner")
    if (z["employment"] <= 0).any():
        raise ValueError("non-positive zone employment: log undefined")
    z = z.rename(columns={"ti_share": "intensity"})
    z["year"] = z["quarter"].dt.year.astype("int64")
    z["log_employment"] = np.log(z["employment"].astype(float))
    return z.sort_values(["zone_code", "quarter"]).reset_index(drop=True)


def zone_industry_panel(zone_employment: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    r"""Industry relative to the other sectors of each zone d'emploi, by year, with intensity.

    From :func:`reindus.data.zone_employment` (zone x NA38 x year), industry
    (``a5 == 'BE'``) and all other sectors are summed over the zone x sector
    cells observed in *every* year (cells withheld for secrecy in some year
    are left out of all years, so the sums compare the same cells). The
    outcome is

    .. math:: r_{zt} = \log I_{zt} - \log O_{zt},

    industry relative to the zone's other sectors: anything common to a
    zone's whole labour market (local demand, commuting, the zone's own
    cycle) cancels, and an effect of the label on industry shows as a change
    of :math:`r` where the labelled share is high.

    Returns
    -------
    pandas.DataFrame
        zone_code, year, industry, other, log_ratio, intensity; zones without
        industry or other-sector employment in some year are dropped.
    """
    ze = zone_employment
    if ze.duplicated(["zone_code", "sector_code", "year"]).any():
        raise ValueError("zone_employment has duplicated (zone_code, sector_code, year) rows")
    wide = ze.pivot(index=["zone_code", "sector_code"], columns="year", values="employment")
    wide = wide.dropna()
    ind = ze.drop_duplicates("sector_code").set_index("sector_code")["a5"].eq("BE")
    is_ind = wide.index.get_level_values("sector_code").map(ind).to_numpy(dtype=bool)
    ind_sum = wide[is_ind].groupby("zone_code").sum()
    oth_sum = wide[~is_ind].groupby("zone_code").sum()
    ind_sum, oth_sum = ind_sum.align(oth_sum, join="inner")
    ok = (ind_sum > 0).all(axis=1) & (oth_sum > 0).all(axis=1)
    ind_sum, oth_sum = ind_sum[ok], oth_sum[ok]
    out = (pd.DataFrame({"industry": ind_sum.stack(), "other": oth_sum.stack()}).reset_index()
           .rename(columns={"level_1": "year"}))
    out.columns = ["zone_code", "year", "industry", "other"]
    out["year"] = out["year"].astype("int64")
    out["log_ratio"] = np.log(out["industry"]) - np.log(out["other"])
    out = out.merge(shares[["zone_code", "ti_share"]], on="zone_code", how="inner")
    return (out.rename(columns={"ti_share": "intensity"})
            .sort_values(["zone_code", "year"]).reset_index(drop=True))


def intensity_event_study(zpanel: pd.DataFrame, *, outcome: str = "log_employment",
                          start_year: int = 2019, period: str = "quarter",
                          cluster: str | None = None, level: float = 0.95) -> EstimateResult:
    r"""Event study with a continuous treatment intensity on the quarterly zone panel.

    .. math::

        y_{zq} = \alpha_z + \lambda_q + \sum_{k \ne g-1} \beta_k\, s_z\, 1\{\text{year}(q) = k\}
                 + \varepsilon_{zq},

    with :math:`s_z` the labelled share of zone :math:`z`'s employment and
    :math:`g` = ``start_year``. :math:`\beta_k` is the gap in year :math:`k`
    (relative to :math:`g-1`) between a zone entirely in labelled territory
    and a zone with none: a design where every zone is treated to some
    degree, using all of a labour market rather than EPCI boundaries.
    ``estimate`` is the mean of the post coefficients; the pre-trend test is
    the joint :math:`F(q, G-1)` of the leads. Fitted by
    :func:`reindus.evaluation.fixed_effects.fe_fit` (zone and quarter
    effects absorbed), errors clustered by zone (default; serial
    correlation within zone) or ``cluster``. ``period`` is the time column
    (``quarter`` for the quarterly panel, ``year`` for annual data); the
    coefficients are by calendar year either way.
    """
    need = ["zone_code", period, "year", outcome, "intensity"]
    if missing := [c for c in need if c not in zpanel.columns]:
        raise ValueError(f"zone panel lacks column(s) {missing}")
    Y = zpanel.pivot(index="zone_code", columns=period, values=outcome).sort_index()
    if Y.isna().any().any():
        raise ValueError("zone panel is unbalanced: every zone needs every quarter")
    units = zpanel.drop_duplicates("zone_code").set_index("zone_code").loc[Y.index]
    s_z = units["intensity"].to_numpy(dtype=float)
    if period == "year":
        years = Y.columns.to_numpy(dtype=int)
    else:
        year_of = zpanel.drop_duplicates(period).set_index(period)["year"]
        years = year_of.reindex(Y.columns).to_numpy(dtype=int)
    ref = start_year - 1
    ks = [int(k) for k in np.unique(years) if k != ref]
    if ref not in years or not any(k < ref for k in ks):
        raise ValueError(f"need years before {ref} in the zone panel")
    X = np.stack([np.outer(s_z, years == k).astype(float) for k in ks])
    cl = None if cluster is None else units[cluster].to_numpy()
    fit = fe_fit(Y.to_numpy(dtype=float), X, clusters=cl, absorbed_dof=0)
    G = fit.n_clusters
    q = stats.t.ppf(0.5 + level / 2, G - 1)
    beta, V, se = fit.beta, fit.cov, fit.se
    post = np.array([k >= start_year for k in ks])
    pre = np.array([k < ref for k in ks])
    a = post / post.sum()
    est, se_avg = float(a @ beta), float(np.sqrt(a @ V @ a))
    details = pd.DataFrame({"year": ks, "coef": beta, "se": se, "ci_lo": beta - q * se,
                            "ci_hi": beta + q * se})
    details = pd.concat([details, pd.DataFrame([{"year": ref, "coef": 0.0, "se": 0.0,
                                                 "ci_lo": 0.0, "ci_hi": 0.0}])])
    details = details.sort_values("year").reset_index(drop=True)
    bp, Vp = beta[pre], V[np.ix_(pre, pre)]
    df1 = int(np.linalg.matrix_rank(Vp))
    F = float(bp @ np.linalg.pinv(Vp) @ bp) / max(df1, 1)
    return EstimateResult(
        estimate=est, ci=(est - q * se_avg, est + q * se_avg),
        p_value=float(2 * stats.t.sf(abs(est) / se_avg, G - 1)), method="intensity_event_study",
        inference=f"cluster_{cluster or 'zone'}", treated=[], controls=[],
        periods={"pre": (str(Y.columns[0]), str(ref)), "post": (str(start_year),
                                                                str(Y.columns[-1])),
                 "reference": ref},
        n_obs=int(Y.size), level=level,
        diagnostics={"pretrend": {"F": F, "df1": df1, "df2": G - 1,
                                  "p_value": float(stats.f.sf(F, df1, G - 1))},
                     "se": se_avg, "n_clusters": G, "n_zones": len(units),
                     "intensity_mean": float(s_z.mean()),
                     "intensity_quartiles": np.quantile(s_z, [0.25, 0.5, 0.75]).tolist()},
        details=details)


# --------------------------------------------------------------------------- heterogeneity
def region_heterogeneity(panel: pd.DataFrame, regions: pd.DataFrame, *,
                         outcome: str = "log_employment", cohort: int = 2019,
                         cluster: str = "departement_code",
                         accord_regions: Iterable[str] = (), level: float = 0.95
                         ) -> pd.DataFrame:
    r"""Region-specific DiD effects of ``cohort``, with region x year effects.

    .. math::

        y_{it} = \alpha_i + \lambda_{r(i)t} + \sum_r \tau_r\, 1\{r(i) = r\}\, D_{it}
                 + \varepsilon_{it}

    so each :math:`\tau_r` compares the region's labelled EPCI with its own
    never-treated EPCI. One pooled regression
    (:func:`reindus.evaluation.fixed_effects.fe_fit` with region strata),
    errors clustered by ``cluster``. Regions without treated or without
    control EPCI get no coefficient. Each :math:`\hat\tau_r` draws its
    variance from the :math:`G_r` clusters of its own region (two to a dozen
    départements), so its interval and *p*-value use :math:`t_{G_r-1}`, not
    the pooled :math:`t_{G-1}`; ``p_holm`` adjusts the *p*-values for testing
    every region (Holm 1979).

    Returns
    -------
    pandas.DataFrame
        region_code, region, estimate, se, ci_lo, ci_hi, n_treated, n_controls,
        n_clusters, df, p_value, accord, p_holm.
    """
    _check_panel(panel, outcome, cluster)
    sub = _select(panel, [cohort])
    Y, units, years = _wide(sub, outcome)
    tr = units["first_treated"].notna().to_numpy()
    reg = units["region_code"].to_numpy()
    counts = pd.DataFrame({"region_code": reg, "treated": tr}).groupby("region_code")["treated"]
    n_t, n_c = counts.sum(), counts.size() - counts.sum()
    usable = [r for r in sorted(n_t.index) if n_t[r] > 0 and n_c[r] > 0]
    post = (years >= cohort).astype(float)
    X = np.stack([np.outer(tr & (reg == r), post) for r in usable])
    fit = fe_fit(Y, X, clusters=units[cluster].to_numpy(), strata=reg, absorbed_dof=0)
    names = regions.set_index("region_code")["region"]
    acc = set(map(str, accord_regions))
    n_cl = units.groupby("region_code")[cluster].nunique()
    rows = []
    for j, r in enumerate(usable):
        b, s = float(fit.beta[j]), float(fit.se[j])
        # tau_r's variance rests on the clusters of region r only: t with G_r - 1 df
        df = max(int(n_cl[r]) - 1, 1)
        q = stats.t.ppf(0.5 + level / 2, df)
        rows.append({"region_code": r, "region": names.get(r, r), "estimate": b, "se": s,
                     "ci_lo": b - q * s, "ci_hi": b + q * s, "n_treated": int(n_t[r]),
                     "n_controls": int(n_c[r]), "n_clusters": int(n_cl[r]), "df": df,
                     "p_value": float(2 * stats.t.sf(abs(b) / s, df)) if s > 0 else np.nan,
                     "accord": r in acc})
    out = pd.DataFrame(rows)
    out["p_holm"] = holm(out["p_value"].to_numpy())
    return out


def holm(p: np.ndarray) -> np.ndarray:
    r"""Holm (1979) step-down adjusted p-values (family-wise error rate).

    :math:`\tilde p_{(k)} = \max_{j \le k} \min(1, (m - j + 1) p_{(j)})`.
    """
    p = np.asarray(p, dtype=float)
    m = p.size
    order = np.argsort(p)
    adj = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.maximum.accumulate(adj)
    return out


# --------------------------------------------------------------------------- audit check
def zone_ti_shares(contours_epci, contours_zone, membership: pd.DataFrame,
                   employment: pd.DataFrame, indicators: pd.DataFrame,
                   epci_members: pd.DataFrame, *, wave: int = 1, year: int = 2019,
                   grand_paris: str = "200054781") -> pd.DataFrame:
    r"""Approximate share of each zone d'emploi's employment located in labelled EPCI.

    Zones d'emploi and EPCI do not nest, and no commune-level location is
    available, so the share is approximated by overlaying the (simplified)
    boundaries:

    .. math::

        s_z = \frac{\sum_e a_{ez}\, E_e\, \ell_e}{\sum_e a_{ez}\, E_e},

    with :math:`a_{ez}` the share of EPCI :math:`e`'s area lying in zone
    :math:`z`, :math:`E_e` its private employment in ``year`` and
    :math:`\ell_e \in [0,1]` its labelled part: 1 for a listed EPCI (or EPT),
    the population share of its listed communes for a partly listed EPCI, 0
    otherwise. Employment within an EPCI is thus assumed spread in
    proportion to area. The contours hold both the Métropole du Grand Paris
    and its EPT, which overlap: the Métropole's own polygon is dropped and each
    EPT gets the Métropole's employment in proportion to its 2022 population.
    """
    return zone_ti_shares_by_wave(contours_epci, contours_zone, membership, employment,
                                  indicators, epci_members, waves=(wave,), year=year,
                                  grand_paris=grand_paris)[wave]


def zone_ti_shares_by_wave(contours_epci, contours_zone, membership: pd.DataFrame,
                           employment: pd.DataFrame, indicators: pd.DataFrame,
                           epci_members: pd.DataFrame, *, waves: Sequence[int] = (1, 2),
                           year: int = 2019, grand_paris: str = "200054781"
                           ) -> dict[int, pd.DataFrame]:
    """:func:`zone_ti_shares` for several waves, overlaying the boundaries once."""
    import geopandas as gpd

    emp = employment[employment["year"] == year].set_index("code")["employment"].astype(float)
    pop = indicators.set_index("epci_code")["P22_POP"].astype(float)
    e = contours_epci[["epci_code", "geometry"]].copy()
    e["employment"] = e["epci_code"].map(emp)
    mgp = e["employment"].isna() & e["epci_code"].isin(pop.index)
    if mgp.any() and grand_paris in emp.index:
        p = e.loc[mgp, "epci_code"].map(pop)
        e.loc[mgp, "employment"] = emp[grand_paris] * p / p.sum()
        # counted through its EPT: keeping the Métropole's polygon would count it twice
        e = e[e["epci_code"] != grand_paris]
    e["employment"] = e["employment"].fillna(0.0)
    ov = gpd.overlay(e, contours_zone[["zone_code", "geometry"]], how="intersection",
                     keep_geom_type=True)
    ov["area"] = ov.geometry.area
    ov["a"] = ov["area"] / ov.groupby("epci_code")["area"].transform("sum")
    ov["emp"] = ov["a"] * ov["employment"]
    mem = epci_members.assign(population=epci_members["population"].astype(float))
    tot = mem.groupby("epci_code")["population"].sum()
    out = {}
    for wave in waves:
        m = membership[membership["wave"] == wave]
        labelled = set(m.loc[m["member_type"].isin(["epci", "ept"]), "epci_code"])
        com = m[m["member_type"] == "commune"]
        listed = mem[mem["commune_code"].isin(_commune_codes(com, epci_members))]
        part = listed.groupby("epci_code")["population"].sum() / tot
        lab = np.where(ov["epci_code"].isin(labelled), 1.0,
                       ov["epci_code"].map(part).fillna(0.0))
        z = ov.assign(emp_ti=ov["emp"] * lab).groupby("zone_code")[["emp", "emp_ti"]].sum()
        out[wave] = pd.DataFrame({"zone_code": z.index,
                                  "ti_share": (z["emp_ti"] / z["emp"]).to_numpy()}
                                 ).fillna({"ti_share": 0.0})
    return out


def _commune_codes(commune_members: pd.DataFrame, epci_members: pd.DataFrame) -> list[str]:
    """INSEE codes of communes listed by their SIREN, via their label within their EPCI."""
    out = []
    for r in commune_members.itertuples():
        cand = epci_members[(epci_members["epci_code"] == r.cog_epci_code)
                            & (epci_members["commune"] == r.epci_label)]
        out += cand["commune_code"].tolist()
    return out


def audit_industrial_losses(zone_employment: pd.DataFrame, shares: pd.DataFrame, *,
                            start: int = 2019, end: int = 2022, threshold: float = 0.5
                            ) -> dict[str, Any]:
    r"""Descriptive check: where did the net industrial job losses happen?

    Industry = NA38 sectors with ``a5 == 'BE'``. For each zone,
    :math:`\Delta_z` = industrial employment in ``end`` minus ``start``,
    summed over the sectors observed in both years (cells withheld for
    secrecy in either year are left out of both). Two readings:

    * **allocation**: :math:`\Delta_z` split between the labelled and the
      other part of the zone in proportion to :math:`s_z`
      (:func:`zone_ti_shares`); the share of the losses (sum of
      :math:`\Delta_z < 0`) falling in labelled territory is
      :math:`\sum_{\Delta_z<0} s_z\Delta_z / \sum_{\Delta_z<0}\Delta_z`;
    * **classification**: zones with :math:`s_z \ge` ``threshold`` count
      as labelled.

    Both are compared with the labelled share of industrial employment in
    ``start``: if labelled territories hold most industrial jobs, they will
    hold most losses even without any effect of the label.

    Returns
    -------
    dict
        ``table`` (one row per reading) and ``zones`` (per-zone changes).
    """
    ind = zone_employment[zone_employment["a5"] == "BE"]
    if ind.duplicated(["zone_code", "sector_code", "year"]).any():
        raise ValueError("zone_employment has duplicated (zone_code, sector_code, year) rows")
    wide = ind.pivot(index=["zone_code", "sector_code"], columns="year", values="employment")
    if start not in wide.columns or end not in wide.columns:
        raise ValueError(f"zone_employment lacks year {start} or {end}")
    pair = wide[[start, end]]
    both = pair.dropna()
    n_dropped = int((pair.notna().any(axis=1) & pair.isna().any(axis=1)).sum())
    z = both.groupby("zone_code").sum().rename(columns={start: "emp_start", end: "emp_end"})
    z["change"] = z["emp_end"] - z["emp_start"]
    z = z.join(shares.set_index("zone_code"), how="inner")
    z["labelled_zone"] = z["ti_share"] >= threshold
    loss = z["change"] < 0
    L = float(z.loc[loss, "change"].sum())
    rows = [
        {"reading": "allocation by labelled share",
         "share_of_industrial_employment": float((z["ti_share"] * z["emp_start"]).sum()
                                                 / z["emp_start"].sum()),
         "share_of_losses": float((z["ti_share"] * z["change"])[loss].sum() / L),
         "net_change_labelled": float((z["ti_share"] * z["change"]).sum()),
         "net_change_other": float(((1 - z["ti_share"]) * z["change"]).sum())},
        {"reading": f"zones with labelled share >= {threshold:.0%}",
         "share_of_industrial_employment": float(z.loc[z["labelled_zone"], "emp_start"].sum()
                                                 / z["emp_start"].sum()),
         "share_of_losses": float(z.loc[loss & z["labelled_zone"], "change"].sum() / L),
         "net_change_labelled": float(z.loc[z["labelled_zone"], "change"].sum()),
         "net_change_other": float(z.loc[~z["labelled_zone"], "change"].sum())},
    ]
    return {"table": pd.DataFrame(rows), "zones": z.reset_index(),
            "total_losses": L, "net_change": float(z["change"].sum()),
            "n_zones": int(len(z)), "n_losing_zones": int(loss.sum()),
            "n_cells_dropped": n_dropped}


# --------------------------------------------------------------------------- figures
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


def map_waves(contours_epci, membership: pd.DataFrame, regions=None):
    """Two maps side by side: EPCI labelled in wave 1 (2018-2022) and wave 2 (2023-2027).

    A label is a category, not a quantity: labelled EPCI are drawn dark, the others
    light, EPCI labelled through some of their communes only are hatched, with a
    legend of the three classes (Lambert-93). Returns ``(fig, frame)`` with the
    plotted values (without geometries) for :func:`reindus.reporting.save_figure`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from reindus.maps import LAMBERT_93, MISSING_COLOUR

    g = wave_map_frame(contours_epci, membership).to_crs(LAMBERT_93)
    # The contours hold the Métropole du Grand Paris and its EPT, which overlap; the
    # labels are given to EPT, so the Métropole's polygon would hide them.
    g = g[g["epci_code"] != "200054781"]
    colours = {"labelled": "#08519c", "not labelled": "#eff3ff"}
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.5))
    for ax, w in zip(axes, (1, 2), strict=True):
        col = g[f"wave{w}"]
        g[col == 1].plot(ax=ax, color=colours["labelled"], edgecolor="white", linewidth=0.1)
        g[col == 0].plot(ax=ax, color=colours["not labelled"], edgecolor="#c6dbef", linewidth=0.1)
        g[col.isna()].plot(ax=ax, color=MISSING_COLOUR, hatch="////", edgecolor="#969696",
                           linewidth=0.1)
        if regions is not None:
            regions.to_crs(LAMBERT_93).boundary.plot(ax=ax, color="black", linewidth=0.5)
        n = int((col == 1).sum())
        ax.set_title(f"Wave {w} ({'2018-2022' if w == 1 else '2023-2027'}): {n} EPCI labelled")
        ax.set_axis_off()
        ax.set_aspect("equal")
    handles = [Patch(facecolor=colours["labelled"], label="EPCI labelled"),
               Patch(facecolor=colours["not labelled"], edgecolor="#c6dbef", label="not labelled"),
               Patch(facecolor=MISSING_COLOUR, hatch="////", edgecolor="#969696",
                     label="partly labelled (some communes)")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig, pd.DataFrame(g.drop(columns="geometry"))


def plot_event_study(results: Mapping[str, EstimateResult], *, title: str = "",
                     unit: str = "log points"):
    """Event-study coefficients with intervals, one series per result."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    frames = []
    n = len(results)
    for i, (label, r) in enumerate(results.items()):
        d = r.details.copy()
        x = d["year"] + (i - (n - 1) / 2) * 0.15
        ax.errorbar(x, d["coef"], yerr=[d["coef"] - d["ci_lo"], d["ci_hi"] - d["coef"]],
                    fmt="o-", capsize=3, ms=4, label=label)
        frames.append(d.assign(series=label))
    ref = next(iter(results.values())).periods.get("reference")
    ax.axhline(0, color="grey", lw=0.8)
    if ref is not None:
        ax.axvline(ref + 0.5, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel(f"gap treated - controls ({unit})")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig, pd.concat(frames, ignore_index=True)


def plot_heterogeneity(table: pd.DataFrame, *, highlight: str | None = None,
                       unit: str = "log points"):
    """Region estimates with intervals; accord regions in orange, ``highlight`` in bold."""
    import matplotlib.pyplot as plt

    d = table.sort_values("estimate").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7, 5))
    colours = np.where(d["accord"], "tab:orange", "tab:blue")
    for i, r in d.iterrows():
        ax.errorbar(r["estimate"], i, xerr=[[r["estimate"] - r["ci_lo"]],
                                            [r["ci_hi"] - r["estimate"]]],
                    fmt="o", color=colours[i], capsize=3)
    ax.set_yticks(range(len(d)))
    ax.set_yticklabels([f"{r.region} ({r.n_treated}/{r.n_controls})" for r in d.itertuples()],
                       fontsize=8)
    for lab, code in zip(ax.get_yticklabels(), d["region_code"], strict=True):
        if code == highlight:
            lab.set_fontweight("bold")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"DiD estimate ({unit}); orange = region with an accord")
    fig.tight_layout()
    return fig, d


# --------------------------------------------------------------------------- tables
def estimates_table(results: Mapping[str, EstimateResult], digits: int = 4) -> pd.DataFrame:
    """Compact side-by-side table: label, method, inference, estimate, interval, p, counts."""
    rows = []
    for label, r in results.items():
        d = r.diagnostics
        pt = d.get("pretrend") or {}
        rows.append({"label": label, "method": r.method, "inference": r.inference,
                     "estimate": round(float(r.estimate), digits),
                     "ci_lo": round(float(r.ci[0]), digits),
                     "ci_hi": round(float(r.ci[1]), digits),
                     "p_value": round(float(r.p_value), 3),
                     "pretrend_p": round(float(pt["p_value"]), 3) if pt else np.nan,
                     "n_treated": d.get("n_treated"), "n_controls": d.get("n_controls"),
                     "n_clusters": d.get("n_clusters")})
    return pd.DataFrame(rows)


def group_means(panel: pd.DataFrame, outcome: str = "index") -> pd.DataFrame:
    """Mean of ``outcome`` by group and year (unweighted across EPCI), for plotting."""
    g = (panel.groupby([panel["group"].astype(str), "year"])[outcome].mean()
         .rename("mean").reset_index())
    g["n_epci"] = g["group"].map(panel.groupby(panel["group"].astype(str))["epci_code"].nunique())
    return g


def placebo_in_time(panel: pd.DataFrame, *, cohort: int = 2019, fake: int = 2016
                    ) -> pd.DataFrame:
    """Pre-treatment panel (years < ``cohort``) where ``cohort`` is moved to ``fake``.

    An effect "found" at the fake date, before any label existed, measures how
    much the design picks up differences in trends rather than effects.
    Other cohorts are dropped.
    """
    if not fake < cohort:
        raise ValueError("the fake date must come before the true one")
    is_cohort = (panel["first_treated"] == cohort).fillna(False).astype(bool)
    keep = panel["first_treated"].isna() | is_cohort
    out = panel[keep & (panel["year"] < cohort)].copy()
    out.loc[is_cohort[out.index], "first_treated"] = fake
    return out

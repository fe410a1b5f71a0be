r"""Territoires d'industrie: the estimates of the label's effect on the EPCI panel.

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

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reindus.designs.territories import PSCORE_COVARIATES
from reindus.errors import require_columns
from reindus.evaluation import event_study as ev
from reindus.evaluation import ipw, staggered
from reindus.evaluation.did import did
from reindus.evaluation.results import EstimateResult, InferenceSet


# --------------------------------------------------------------------------- panel plumbing
def check_panel(panel: pd.DataFrame, outcome: str, cluster: str) -> None:
    """Columns present and one row per (EPCI, year), or a ``DataError``/``ValueError``."""
    require_columns(panel, ["epci_code", "year", outcome, "first_treated", cluster], "panel")
    if panel.duplicated(["epci_code", "year"]).any():
        raise ValueError("panel has duplicated (epci_code, year) rows")
    n_years = panel.groupby("epci_code")["year"].nunique()
    if n_years.nunique() != 1 or panel["year"].nunique() != n_years.iloc[0]:
        raise ValueError("panel is unbalanced: every EPCI needs every year")
    if not np.isfinite(panel[outcome].to_numpy(dtype=float)).all():
        raise ValueError(f"non-finite values in {outcome!r}")


def wide_outcome(panel: pd.DataFrame, outcome: str) -> tuple[np.ndarray, pd.DataFrame, np.ndarray]:
    """(Y units x years, unit frame in row order, sorted years)."""
    wide = panel.pivot(index="epci_code", columns="year", values=outcome).sort_index()
    units = (panel.drop_duplicates("epci_code").set_index("epci_code", drop=False)
             .loc[wide.index])
    units.index.name = None
    return wide.to_numpy(dtype=float), units, wide.columns.to_numpy()


def select_cohorts(panel: pd.DataFrame, cohorts: Sequence[int]) -> pd.DataFrame:
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
def event_study(panel: pd.DataFrame, *, outcome: str = "log_employment",
                first_treated: int = 2019,
                cluster: str = "departement_code", weights: pd.Series | None = None,
                trends: Sequence[str] = (), strata: str | None = None,
                level: float = 0.95) -> EstimateResult:
    r"""Event study of one cohort against the never-treated EPCI.

    .. math::

        y_{it} = \alpha_i + \lambda_t + \sum_{k \ne g-1} \beta_k\, T_i\, 1\{t = k\}
                 + \varepsilon_{it}

    with :math:`T_i = 1` for the EPCI first treated in year ``first_treated`` (= :math:`g`);
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
    check_panel(panel, outcome, cluster)
    sub = _drop_zero_weight(select_cohorts(panel, [first_treated]), weights)
    years = np.sort(sub["year"].unique())
    ref = first_treated - 1
    if ref not in years or years[0] >= ref:
        raise ValueError(f"cohort {first_treated} needs years before {ref} in the panel")
    treated, controls = _units(sub)
    res = ev.event_study(sub, treated=treated, start=first_treated, outcome=outcome,
                         unit="epci_code", period="year", controls=controls,
                         leads=int((years < first_treated).sum()),
                         inference="cluster", cluster=cluster, weights=weights, trends=trends,
                         absorbed_dof=0, level=level, strata=strata)
    d = res.details
    details = pd.DataFrame({"year": first_treated + d["event_time"],
                            "event_time": d["event_time"],
                            "coef": d["coef"], "se": d["se_cluster"], "ci_lo": d["ci_lo"],
                            "ci_hi": d["ci_hi"]}).sort_values("year").reset_index(drop=True)
    diag = res.diagnostics
    pt = diag["pretrend"]["f_cluster"]
    return EstimateResult(
        estimate=res.estimate, ci=res.ci, p_value=res.p_value, method="event_study",
        inference=_cluster_name(cluster), treated=treated, controls=controls,
        periods={"pre": (str(years[0]), str(ref)),
                 "post": (str(first_treated), str(years[-1])),
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
def lead_summary(res: EstimateResult) -> dict:
    r"""What the text of an event study quotes: its leads, their slope and its post coefficients.

    :func:`reindus.evaluation.event_study.lead_summary` with this design's convention: the
    slope (log points a year) is fitted through the reference year's zero too
    (:math:`e \le -1`). Keys ``leads``, ``max_abs_lead``, ``lead_slope``, ``post`` (and the
    others of the evaluation function).
    """
    return ev.lead_summary(res.details, include_reference=True)


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
    check_panel(panel, outcome, cluster)
    sub = _drop_zero_weight(select_cohorts(panel, cohorts), weights)
    treated, controls = _units(sub)
    first = sub.drop_duplicates("epci_code").set_index("epci_code")["first_treated"]
    res = did(sub, treated=treated, start={u: int(first[u]) for u in treated}, outcome=outcome,
              unit="epci_code", period="year", controls=controls, inference="cluster",
              methods=("cluster",), level=level, cluster=cluster, weights=weights,
              strata="region_code" if region_year_effects else None, trends=trends,
              absorbed_dof=0, use_statsmodels=False)
    years = np.sort(sub["year"].unique())
    c = res.inference["cluster"]
    first_c = int(min(cohorts))
    return EstimateResult(
        estimate=res.estimate, ci=c.ci, p_value=c.p_value, method="twfe_did",
        inference=InferenceSet.single(_cluster_name(cluster), c.ci, c.p_value, level,
                                      se=c.se, df=c.df),
        treated=treated, controls=controls,
        periods={"pre": (str(years[0]), str(first_c - 1)), "post": (str(first_c), str(years[-1])),
                 "cohorts": [int(x) for x in cohorts]},
        n_obs=res.n_obs, level=level,
        diagnostics={"se": float(c.se), "n_clusters": res.diagnostics["n_clusters"],
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
    check_panel(panel, outcome, cluster)
    sub = _drop_zero_weight(select_cohorts(panel, cohorts), weights)
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
def propensity_weights(panel: pd.DataFrame, *, first_treated: int = 2019,
                       covariates: Sequence[str] = PSCORE_COVARIATES,
                       trim: float = 0.02) -> pd.DataFrame:
    r"""Propensity score of being labelled in year ``first_treated`` and ATT reweighting weights.

    Logit :math:`p(X_i) = P(G_i = g \mid X_i)` on that cohort and the
    never-treated EPCI, by maximum likelihood (statsmodels, through
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
    units = select_cohorts(panel, [first_treated]).drop_duplicates("epci_code").set_index("epci_code")
    require_columns(units, covariates, "panel (its covariates)")
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


def reweighted_did(panel: pd.DataFrame, *, outcome: str = "log_employment",
                   first_treated: int = 2019,
                   covariates: Sequence[str] = PSCORE_COVARIATES, trim: float = 0.02,
                   cluster: str = "departement_code", n_boot: int = 499, seed: int = 0,
                   level: float = 0.95) -> EstimateResult:
    r"""Inverse-probability reweighted DiD of the EPCI first treated in ``first_treated`` against never-treated EPCI.

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
    check_panel(panel, outcome, cluster)
    pw = propensity_weights(panel, first_treated=first_treated, covariates=covariates, trim=trim)
    es = event_study(panel, outcome=outcome, first_treated=first_treated, cluster=cluster,
                     weights=pw["weight"], level=level)
    sub = select_cohorts(panel, [first_treated])
    treated, controls = _units(sub)
    res = ipw.ipw_did(sub, treated=treated, start=first_treated, covariates=covariates,
                      outcome=outcome, unit="epci_code", period="year", controls=controls,
                      trim=trim, cluster=cluster, n_boot=n_boot, seed=seed, level=level)
    d = res.diagnostics
    years = np.sort(sub["year"].unique())
    return EstimateResult(
        estimate=res.estimate, ci=res.ci, p_value=res.p_value, method="ipw_did",
        inference=f"cluster_bootstrap_{cluster.removesuffix('_code')}",
        treated=res.treated, controls=res.controls,
        periods={"pre": (str(years[0]), str(first_treated - 1)),
                 "post": (str(first_treated), str(years[-1]))},
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

r"""Territoires d'industrie: robustness of the estimates (zone intensity, regional
heterogeneity with Holm's correction, placebo in time) and the estimates table.

Holm's step-down adjustment of :math:`m` p-values sorted increasingly is
:math:`\tilde p_{(j)} = \max_{l \le j} \min(1, (m - l + 1) p_{(l)})`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import stats

from reindus.designs.territories import OUTCOMES, add_bins, add_detrended, donut_panel
from reindus.designs.territories_estimates import (
    check_panel,
    event_study,
    propensity_weights,
    reweighted_did,
    select_cohorts,
    twfe_did,
    wide_outcome,
)
from reindus.errors import require_columns
from reindus.evaluation.fixed_effects import fe_fit
from reindus.evaluation.results import EstimateResult


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
    require_columns(zpanel, ["zone_code", period, "year", outcome, "intensity"], "zone panel")
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
                         outcome: str = "log_employment", first_treated: int = 2019,
                         cluster: str = "departement_code",
                         accord_regions: Iterable[str] = (), level: float = 0.95
                         ) -> pd.DataFrame:
    r"""Region-specific DiD effects of the cohort ``first_treated``, with region x year effects.

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
    check_panel(panel, outcome, cluster)
    sub = select_cohorts(panel, [first_treated])
    Y, units, years = wide_outcome(sub, outcome)
    tr = units["first_treated"].notna().to_numpy()
    reg = units["region_code"].to_numpy()
    counts = pd.DataFrame({"region_code": reg, "treated": tr}).groupby("region_code")["treated"]
    n_t, n_c = counts.sum(), counts.size() - counts.sum()
    usable = [r for r in sorted(n_t.index) if n_t[r] > 0 and n_c[r] > 0]
    post = (years >= first_treated).astype(float)
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


# --------------------------------------------------------------------------- tables
def estimates_table(results: Mapping[str, EstimateResult], digits: int = 4) -> pd.DataFrame:
    """Compact side-by-side table: label, method, inference, estimate, interval, p, counts."""
    rows = []
    for label, r in results.items():
        d = r.diagnostics
        pt = d.get("pretrend") or {}
        rows.append({"label": label, "method": r.method, "inference": r.inference.headline,
                     "estimate": round(float(r.estimate), digits),
                     "ci_lo": round(float(r.ci[0]), digits),
                     "ci_hi": round(float(r.ci[1]), digits),
                     "p_value": round(float(r.p_value), 3),
                     "pretrend_p": round(float(pt["p_value"]), 3) if pt else np.nan,
                     "n_treated": d.get("n_treated"), "n_controls": d.get("n_controls"),
                     "n_clusters": d.get("n_clusters")})
    return pd.DataFrame(rows)


def estimands_table(results: Mapping[str, EstimateResult]) -> pd.DataFrame:
    """One row per estimand (label -> event study): mean post gap, last gap, pre-trend test.

    Returns
    -------
    pandas.DataFrame
        estimand, mean_post_gap (mean of the post coefficients) and its ci_lo, ci_hi,
        gap_last_year (the cumulative gap of the last year), pretrend_F, pretrend_p.
    """
    return pd.DataFrame([
        {"estimand": label, "mean_post_gap": r.estimate, "ci_lo": r.ci[0], "ci_hi": r.ci[1],
         "gap_last_year": r.diagnostics["cumulative_gap"],
         "pretrend_F": r.diagnostics["pretrend"]["F"],
         "pretrend_p": r.diagnostics["pretrend"]["p_value"]}
        for label, r in results.items()])


def alternative_specifications(panel: pd.DataFrame, zones: pd.Series, *,
                               outcome: str = "log_employment", first_treated: int = 2019
                               ) -> dict[str, EstimateResult]:
    """The robustness checks of one cohort, each a variation on the headline design.

    In order: TWFE with region x year effects; event study with industry-share x
    year effects, unweighted and with propensity weights (conditional parallel
    trends); reweighted DiD with the 2022 industrial share in the score, with
    stricter common support (trim 0.1) and on the other outcome of
    :data:`~reindus.designs.territories.OUTCOMES`; a placebo with the label moved
    three years earlier (:func:`placebo_in_time`); event studies with year effects
    by quintile of the 2016 industrial share, on each EPCI's detrended outcome,
    clustered by territory, and without the controls whose zone d'emploi (``zones``,
    from :func:`~reindus.designs.territories.main_zones`) holds a labelled EPCI
    (:func:`~reindus.designs.territories.donut_panel`). The bootstrap seeds are
    fixed (1, 2, 3), so the checks are reproducible.

    Returns
    -------
    dict
        Label -> :class:`~reindus.evaluation.results.EstimateResult`, for
        :func:`estimates_table`.
    """
    g = first_treated
    industry = ("industry_share_2016",)
    alt = ("pre_growth", "log_employment_2018", "industry_share_2022", "log_population",
           "dense", "intermediate")
    other_outcome = next(o for o in OUTCOMES if o != outcome)
    pweights = propensity_weights(panel, first_treated=g)
    placebo = placebo_in_time(panel, first_treated=g, fake=g - 3)
    panel_bins = add_bins(panel, "industry_share_2016", n_bins=5)
    panel_det = add_detrended(panel, outcome=outcome, before=g)
    panel_donut = donut_panel(panel, zones, first_treated=g)
    es_args = {"outcome": outcome, "first_treated": g}
    return {
        "TWFE, region x year effects": twfe_did(panel, outcome=outcome, cohorts=(g,),
                                                region_year_effects=True),
        "event study + industry-share x year": event_study(panel, **es_args, trends=industry),
        "IPW + industry-share x year": event_study(panel, **es_args, weights=pweights["weight"],
                                                   trends=industry),
        "IPW, 2022 industrial share": reweighted_did(panel, **es_args, covariates=alt,
                                                     n_boot=199, seed=1),
        "IPW, trim 0.1": reweighted_did(panel, **es_args, trim=0.1, n_boot=199, seed=2),
        f"IPW, outcome {other_outcome}": reweighted_did(panel, outcome=other_outcome,
                                                        first_treated=g, n_boot=199, seed=3),
        f"placebo: label moved to {g - 3}": twfe_did(placebo, outcome=outcome,
                                                     cohorts=(g - 3,)),
        "event study, industrial-share quintile x year": event_study(
            panel_bins, **es_args, strata="industry_share_2016_bin"),
        "event study, each EPCI's 2014-2018 trend removed": event_study(
            panel_det, outcome=f"{outcome}_detrended", first_treated=g),
        "event study, clusters = territory": event_study(panel, **es_args, cluster="territory"),
        "event study, donut (no control in a labelled EPCI's zone)": event_study(
            panel_donut, **es_args),
    }


def within_region(panel: pd.DataFrame, region: str, *, outcome: str = "log_employment",
                  first_treated: int = 2019) -> tuple[EstimateResult | None, dict[str, int]]:
    """The event study of one cohort restricted to one region, when the region allows it.

    Labelled EPCI of the region against the never-labelled EPCI of the same region,
    errors clustered by département. It needs labelled and control EPCI and at least
    three départements (clusters): otherwise the result is ``None``.

    Returns
    -------
    tuple
        The :func:`~reindus.designs.territories_estimates.event_study` result or
        ``None``, and the counts: n_treated, n_controls, n_departements.
    """
    sub = panel[panel["region_code"] == region]
    groups = sub.drop_duplicates("epci_code")["first_treated"]
    counts = {"n_treated": int((groups == first_treated).sum()),
              "n_controls": int(groups.isna().sum()),
              "n_departements": int(sub["departement_code"].nunique())}
    if not (counts["n_treated"] and counts["n_controls"] and counts["n_departements"] > 2):
        return None, counts
    return event_study(sub, outcome=outcome, first_treated=first_treated), counts


def placebo_in_time(panel: pd.DataFrame, *, first_treated: int = 2019, fake: int = 2016
                    ) -> pd.DataFrame:
    """Pre-treatment panel (years < ``first_treated``) with that cohort moved to ``fake``.

    An effect "found" at the fake date, before any label existed, measures how
    much the design picks up differences in trends rather than effects.
    Other cohorts are dropped.
    """
    if not fake < first_treated:
        raise ValueError("the fake date must come before the true one")
    is_cohort = (panel["first_treated"] == first_treated).fillna(False).astype(bool)
    keep = panel["first_treated"].isna() | is_cohort
    out = panel[keep & (panel["year"] < first_treated)].copy()
    out.loc[is_cohort[out.index], "first_treated"] = fake
    return out

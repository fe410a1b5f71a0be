r"""Event study: leads and lags around the treatment date, joint pre-trend test.

.. math::

    y_{it} = \alpha_i + \lambda_t + \sum_{k \ne -1} \beta_k\, 1\{i \text{ treated},\ b(t - g_i) = k\}
             + \varepsilon_{it},

where :math:`g_i` is unit :math:`i`'s first treated period and
:math:`b(\cdot)` bins event times at the endpoints: every :math:`e \le -K`
is pooled into :math:`-K` and every :math:`e \ge L` into :math:`L`
(Schmidheiny and Siegloch 2023), so that the far past and far future do
not silently fall into the reference period :math:`-1`.

Estimated by Frisch–Waugh–Lovell on the balanced panel (event dummies and
outcome two-way demeaned), identical to OLS with unit and period dummies.

Joint pre-trend test of :math:`\beta_{-K} = \dots = \beta_{-2} = 0`:

* ``wald_cluster``: :math:`\hat\beta_{pre}' \hat V^{-1} \hat\beta_{pre}
  \sim \chi^2_{K-1}` with the CR1 cluster-robust covariance. Over-rejects with
  one treated unit (its own errors barely enter :math:`\hat V`).
* ``randomisation`` (headline): on the pre-treatment periods only, the
  studentised statistic :math:`W = \sum_k \hat\beta_k^2 / \bar\sigma_k^2`
  (with :math:`\bar\sigma_k^2` the mean of :math:`\hat\beta_k^2` over all
  assignments, the same for each) is computed for the actual treated unit
  and for every placebo assignment of the treatment date to another unit;
  the *p*-value is the rank of the actual :math:`W`. Exact under exchangeable
  units, smallest attainable value :math:`1/N`.

Pointwise intervals for each :math:`\beta_k` are Conley–Taber intervals
from the controls' placebo coefficients (and CR1 intervals for reference).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reindus.errors import require_columns
from reindus.evaluation._core import controls_list, normalise_treated, start_positions, to_wide
from reindus.evaluation.fixed_effects import (
    covariate_period_regressors,
    fe_fit,
    resolve_unit_weights,
    unit_values,
)
from reindus.evaluation.inference import (
    assignments,
    count_clusters,
    inference_regime,
    quantile_interval,
    rank_p_value,
)
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet
from reindus.evaluation.vocabulary import EventStudyInference, check


def _event_codes(T: int, starts: Mapping[int, int], leads: int, lags: int,
                 bin_endpoints: bool) -> dict[int, np.ndarray]:
    """Row -> event time (binned) of each period, for the treated rows."""
    out = {}
    for r, s in starts.items():
        e = np.arange(T) - s
        if bin_endpoints:
            e = np.clip(e, -leads, lags)
        out[r] = e
    return out


def _design(shape: tuple[int, int], codes: Mapping[int, np.ndarray], ks: list[int]
            ) -> np.ndarray:
    """Stack of dummy matrices (K, N, T), one per event time in ``ks``."""
    mats = []
    for k in ks:
        M = np.zeros(shape)
        for r, e in codes.items():
            M[r, e == k] = 1.0
        mats.append(M)
    return np.stack(mats)


def _fwl(Y: np.ndarray, X: np.ndarray, cluster: bool = False, *,
         weights: np.ndarray | None = None, clusters: np.ndarray | None = None,
         absorbed_dof: int | None = None):
    """OLS of two-way-demeaned Y on two-way-demeaned dummies X (K, N, T).

    Thin layer over :func:`reindus.evaluation.fixed_effects.fe_fit`; by
    default every absorbed dummy counts in the CR1 correction (as with
    explicit dummies), which the regional results were computed with.
    """
    N, T = Y.shape
    dof = N + T - 1 if absorbed_dof is None else absorbed_dof
    fit = fe_fit(Y, X, weights=weights, clusters=clusters, absorbed_dof=dof, cluster=cluster)
    return fit.beta, fit.cov


def event_study(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any | Mapping[Hashable, Any],
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    leads: int = 8,
    lags: int | None = None,
    bin_endpoints: bool = True,
    level: float = 0.95,
    n_perm: int = 999,
    seed: int = 0,
    inference: EventStudyInference = "auto",
    cluster: str | None = None,
    weights: str | pd.Series | Mapping | None = None,
    trends: Sequence[str] = (),
    absorbed_dof: int | None = None,
    strata: str | None = None,
) -> EstimateResult:
    r"""Event study with binned endpoints and a joint pre-trend test.

    The same function serves one treated region (Conley–Taber placebo
    intervals from the controls) and hundreds of treated units (CR1
    cluster-robust intervals with :math:`t_{G-1}`), see ``inference``.

    Parameters
    ----------
    leads
        :math:`K`: event times :math:`-K..-2` get their own coefficient
        (:math:`-K` is the binned endpoint), :math:`-1` is the reference.
    lags
        :math:`L`: event times :math:`0..L` (default: every post period of
        the earliest treated unit, so nothing is binned after treatment).
    bin_endpoints
        Bin the endpoints (default). If False, event times outside
        :math:`[-K, L]` get their own dummies too (only :math:`-K..L` are
        reported).
    inference
        ``'conley_taber'``: pointwise and average intervals from the
        controls' placebo coefficients, plus a randomisation pre-trend test
        (few treated units); ``'cluster'``: CR1 by ``cluster`` with
        :math:`t_{G-1}`; ``'auto'`` (default) picks by
        :func:`reindus.evaluation.inference.inference_regime`.
    cluster
        Column (constant within unit) holding each unit's cluster (default:
        the unit).
    weights
        Unit weights: a column (constant within unit) or a mapping unit ->
        weight; weighted least squares with period effects weighted
        accordingly (:mod:`reindus.evaluation.fixed_effects`).
    trends
        Unit covariates (columns constant within unit) whose effect may
        change every period, :math:`(x_i - \bar x) 1\{t = k\}`: parallel
        trends conditional on them.
    strata
        Column (constant within unit): period effects are estimated within
        each stratum (e.g. region x year, or industrial-share bin x year).
    absorbed_dof
        Absorbed fixed effects counted in the CR1 small-sample factor
        (default :math:`N + T - 1`, all of them; 0 when the unit effects nest
        in the clusters, see :mod:`reindus.evaluation.fixed_effects`).

    Returns
    -------
    EstimateResult
        ``estimate`` = mean of the post coefficients :math:`\beta_0..\beta_L`
        with its interval and *p*-value (for Conley–Taber, ``level`` is the
        level the placebo order statistics attain, at most
        :math:`1 - 2/(N_0+1)`); ``details`` = one row per event time;
        ``diagnostics['pretrend']`` = the joint tests of the leads
        (``wald_cluster`` :math:`\chi^2`, ``f_cluster`` :math:`F(q, G-1)`,
        and ``randomisation`` with Conley–Taber inference). With a single
        control unit every interval and test is NaN, with a note why.
    """
    if leads < 2:
        raise ValueError("need leads >= 2 (event time -1 is the reference)")
    check("inference", inference, EventStudyInference)
    rng = np.random.default_rng(seed)
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr = normalise_treated(treated)
    ctrl = controls_list(wp_all, tr, controls)
    wp = wp_all.subset(tr + ctrl)
    spos = start_positions(wp, tr, start)
    Y = wp.Y
    N, T = Y.shape
    w = resolve_unit_weights(panel, unit, wp.units, weights)
    cl = None if cluster is None else unit_values(panel, unit, cluster, wp.units)
    is_tr = np.arange(N) < len(tr)
    if inference == "auto":
        regime = inference_regime(*count_clusters(is_tr, cl))
        inference = "cluster" if regime == "many" else "conley_taber"
    if inference == "conley_taber" and (w is not None or trends or strata is not None):
        raise ValueError("Conley-Taber placebo inference is implemented for the unweighted "
                         "model without covariate trends or strata; use inference='cluster'")
    st = None if strata is None else unit_values(panel, unit, strata, wp.units)
    rows = {i: spos[t] for i, t in enumerate(tr)}
    first = min(rows.values())
    max_lag = T - 1 - first
    L = max_lag if lags is None else int(lags)
    if L < 0 or L > max_lag:
        raise ValueError(f"lags must be in 0..{max_lag}")
    if first - leads < 0 and bin_endpoints:
        raise ValueError(f"only {first} pre-periods: reduce leads")
    codes = _event_codes(T, rows, leads, L, bin_endpoints)
    all_e = sorted(set(np.concatenate(list(codes.values())).tolist()))
    ks = [k for k in all_e if k != -1]
    X = _design((N, T), codes, ks)
    extra = []
    for c in trends:
        extra += covariate_period_regressors(unit_values(panel, unit, c, wp.units).astype(float), T)
    Xfull = np.concatenate([X, np.stack(extra)]) if extra else X
    fit = fe_fit(Y, Xfull, weights=w, clusters=cl, strata=st,
                 absorbed_dof=N + T - 1 if absorbed_dof is None else absorbed_dof)
    K = len(ks)
    beta, V = fit.beta[:K], fit.cov[:K, :K]
    se = np.sqrt(np.clip(np.diag(V), 0.0, None))
    G = fit.n_clusters
    # event times whose dummy pools several raw event times (binned endpoints)
    raw = np.concatenate([np.arange(T) - s for s in rows.values()])
    pooled = {k: bool(((raw <= -leads) if k == -leads else (raw >= L)).sum()
                      > (raw == k).sum()) for k in (-leads, L)}
    few_controls = len(ctrl) < 2
    note = (f"only {len(ctrl)} control unit: no cluster-robust, placebo or randomisation "
            "inference is defined" if few_controls else "")

    q = stats.t.ppf(0.5 + level / 2, G - 1)
    rep = [k for k in ks if -leads <= k <= L]
    post = [j for j, k in enumerate(ks) if 0 <= k <= L]
    avg = float(beta[post].mean())
    if inference == "conley_taber" and not few_controls:
        # Conley–Taber placebo coefficients: controls only, each control as if treated.
        Yc = Y[len(tr):]
        starts = [rows[i] for i in range(len(tr))]
        assigns = assignments(list(range(Yc.shape[0])), starts, n_perm,
                               np.random.default_rng(rng.integers(2**32)), tuple(range(len(tr))))
        plac = []
        for a in assigns:
            c = _event_codes(T, dict(zip(a, starts, strict=True)), leads, L, bin_endpoints)
            ks_a = [k for k in sorted(set(np.concatenate(list(c.values())).tolist())) if k != -1]
            b, _ = _fwl(Yc, _design(Yc.shape, c, ks_a))
            bmap = dict(zip(ks_a, b, strict=True))
            plac.append([bmap.get(k, np.nan) for k in ks])
        plac = np.array(plac)
        n_plac = len(assigns)
    else:
        plac = np.full((1, K), np.nan)
        n_plac = 0
    rows_out = []
    for j, k in enumerate(ks):
        if k not in rep:
            continue
        if inference == "conley_taber" and not few_controls:
            g = plac[:, j][np.isfinite(plac[:, j])]
            lo, hi, ach = quantile_interval(beta[j], g, level)
        elif few_controls:
            lo, hi, ach = np.nan, np.nan, np.nan
        else:
            lo, hi, ach = beta[j] - q * se[j], beta[j] + q * se[j], level
        lo_c, hi_c = ((np.nan, np.nan) if few_controls
                      else (beta[j] - q * se[j], beta[j] + q * se[j]))
        rows_out.append({"event_time": k, "coef": beta[j],
                         "se_cluster": np.nan if few_controls else se[j],
                         "ci_lo": lo, "ci_hi": hi, "ci_lo_cluster": lo_c,
                         "ci_hi_cluster": hi_c, "achieved_level": ach,
                         "binned": bool(bin_endpoints and k in pooled and pooled[k])})
    rows_out.append({"event_time": -1, "coef": 0.0, "se_cluster": 0.0, "ci_lo": 0.0, "ci_hi": 0.0,
                     "ci_lo_cluster": 0.0, "ci_hi_cluster": 0.0, "achieved_level": np.nan,
                     "binned": False})
    details = pd.DataFrame(rows_out).sort_values("event_time").reset_index(drop=True)

    a_post = np.zeros(K)
    a_post[post] = 1.0 / len(post)
    se_avg = float(np.sqrt(a_post @ V @ a_post))
    if few_controls:
        lo, hi, ach, p_avg = np.nan, np.nan, np.nan, np.nan
    elif inference == "conley_taber":
        avg_plac = np.nanmean(plac[:, post], axis=1)
        lo, hi, ach = quantile_interval(avg, avg_plac, level)
        p_avg = rank_p_value(abs(avg), np.abs(avg_plac))
    else:
        lo, hi, ach = avg - q * se_avg, avg + q * se_avg, level
        p_avg = float(2 * stats.t.sf(abs(avg) / se_avg, G - 1)) if se_avg > 0 else np.nan

    pre = [j for j, k in enumerate(ks) if k <= -2 and k >= -leads]
    bp, Vp = beta[pre], V[np.ix_(pre, pre)]
    if few_controls:
        nan_test = {"stat": np.nan, "p_value": np.nan, "note": note}
        pretrend = {"wald_cluster": {**nan_test, "df": len(pre)},
                    "f_cluster": {"F": np.nan, "df1": len(pre), "df2": G - 1,
                                  "p_value": np.nan, "note": note},
                    "randomisation": dict(nan_test)}
    else:
        wald = float(bp @ np.linalg.pinv(Vp) @ bp)
        df = int(np.linalg.matrix_rank(Vp))
        pretrend = {
            "wald_cluster": {"stat": wald, "df": df, "p_value": float(stats.chi2.sf(wald, df))},
            "f_cluster": {"F": wald / max(df, 1), "df1": df, "df2": G - 1,
                          "p_value": float(stats.f.sf(wald / max(df, 1), df, G - 1))},
        }
        if inference == "conley_taber":
            pretrend["randomisation"] = _pretrend_randomisation(
                Y, rows, leads, n_perm, np.random.default_rng(rng.integers(2**32)))
    # the cluster-robust interval of the average comes with every fit (no extra draw): it is
    # stored beside the Conley-Taber headline, as the per-event-time ``ci_lo_cluster`` columns
    cl_name = f"cluster_{'unit' if cluster is None else cluster.removesuffix('_code')}"
    if few_controls:
        cl_inf = Inference(cl_name, (np.nan, np.nan), np.nan, level, note=note)
    else:
        cl_inf = Inference(cl_name, (float(avg - q * se_avg), float(avg + q * se_avg)),
                           float(2 * stats.t.sf(abs(avg) / se_avg, G - 1)) if se_avg > 0
                           else np.nan, level, se=se_avg, df=G - 1)
    infs = [cl_inf]
    if inference == "conley_taber":
        # Conley-Taber order statistics: the interval's level is the attainable one
        infs.insert(0, Inference("conley_taber", (float(lo), float(hi)), p_avg,
                                 level if few_controls else ach, note=note,
                                 extras={"n_placebos": n_plac}))
    else:
        infs[0] = Inference(cl_name, (float(lo), float(hi)), p_avg, level if few_controls else ach,
                            se=None if few_controls else se_avg, df=G - 1, note=note)
    inf = InferenceSet(infs, headline=infs[0].method)
    head = inf[inf.headline]
    return EstimateResult(
        estimate=avg, ci=head.ci, p_value=head.p_value, method="event_study",
        inference=inf,
        treated=tr, controls=ctrl,
        periods={"pre": (wp.label(0), wp.label(first - 1)),
                 "post": (wp.label(first), wp.label(T - 1)), "leads": leads, "lags": L,
                 "start": {t: wp.label(s) for t, s in spos.items()}},
        n_obs=int(Y.size), level=head.level,
        diagnostics={"pretrend": pretrend, "achieved_level": ach, "requested_level": level,
                     "n_placebos": n_plac, "bin_endpoints": bin_endpoints,
                     "se_cluster": se_avg, "n_clusters": G, "n_treated": len(tr),
                     "n_controls": len(ctrl), "weighted": w is not None,
                     "trends": list(trends), "cov": V, "event_times": ks,
                     **({"note": note} if note else {})},
        details=details,
    )


def lead_summary(details: pd.DataFrame, *, include_reference: bool = False,
                 coef: str = "coef") -> dict[str, Any]:
    r"""What a text quotes about an event study's leads: their values, slope and intervals.

    Parameters
    ----------
    details
        Event-study coefficients, one row per event time (``EstimateResult.details``
        of :func:`event_study`, or that table in percent): ``event_time``, ``coef``,
        optionally ``binned``, ``ci_lo``, ``ci_hi``.
    include_reference
        Fit the slope through the reference period's zero too (:math:`e \le -1`)
        instead of the leads alone (:math:`e \le -2`).
    coef
        The coefficient column.

    Returns
    -------
    dict
        ``lead_rows`` (rows at :math:`e < -1` that are not a binned endpoint, whose
        coefficient pools several event times), ``leads`` (their coefficients, a
        list), ``max_abs_lead``, ``lead_slope`` (OLS slope :math:`b` of
        :math:`\beta_e = a + b\,e` over those rows, plus :math:`e = -1` with
        ``include_reference``: units of ``coef`` per period), ``n_leads_excluding_zero``
        (lead intervals that exclude zero; ``None`` without ``ci_lo``/``ci_hi``) and
        ``post`` (rows at :math:`e \ge 0`).
    """
    require_columns(details, ["event_time", coef], "event-study details")
    e = details["event_time"]
    pooled = (details["binned"].astype(bool) if "binned" in details
              else pd.Series(False, index=details.index))
    rows = details[(e < -1) & ~pooled]
    fit = details[(e <= -1) & ~pooled] if include_reference else rows
    has_ci = {"ci_lo", "ci_hi"} <= set(details.columns)
    return {
        "lead_rows": rows,
        "leads": rows[coef].tolist(),
        "max_abs_lead": float(rows[coef].abs().max()),
        "lead_slope": float(np.polyfit(fit["event_time"], fit[coef], 1)[0]),
        "n_leads_excluding_zero": int(((rows["ci_lo"] > 0) | (rows["ci_hi"] < 0)).sum())
        if has_ci else None,
        "post": details[e >= 0],
    }


def _pretrend_randomisation(Y: np.ndarray, rows: Mapping[int, int], leads: int, n_perm: int,
                            rng: np.random.Generator) -> dict[str, Any]:
    """Randomisation test of the leads on the pre-treatment sample."""
    starts = sorted(set(rows.values()))
    if len(starts) != 1:
        return {"stat": np.nan, "p_value": np.nan,
                "note": "randomisation pre-trend test needs a common treatment date"}
    s = starts[0]
    Yp = Y[:, :s]
    N = Y.shape[0]
    k_tr = len(rows)
    assigns = assignments(list(range(N)), [s] * k_tr, n_perm, rng, tuple(sorted(rows)))
    ks = list(range(-leads, -1))
    B = []
    for a in assigns:
        codes = _event_codes(s, dict.fromkeys(a, s), leads, 0, True)
        b, _ = _fwl(Yp, _design(Yp.shape, codes, ks))
        B.append(b)
    B = np.array(B)
    sig2 = (B**2).mean(axis=0)
    W = (B**2 / np.where(sig2 > 0, sig2, 1.0)).sum(axis=1)
    return {"stat": float(W[0]), "p_value": rank_p_value(W[0], W[1:]),
            "n_assignments": len(assigns), "leads": ks}

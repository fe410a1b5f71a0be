r"""Trend-adjusted difference-in-differences and event study, with placebo inference.

Each unit's outcome is detrended with its own line fitted on the
pre-treatment periods only and extrapolated over the post period:

.. math::

    \tilde y_{it} = y_{it} - (\hat a_i + \hat b_i t), \qquad
    (\hat a_i, \hat b_i) = \arg\min_{a, b} \sum_{t < t_0,\ t \notin E} (y_{it} - a - b t)^2,

(:math:`E`: optional excluded periods, e.g. Covid quarters). The
trend-adjusted event-study coefficient at post period :math:`t \ge t_0` and
the average effect are

.. math::

    \hat\tau_t = \frac{1}{N_1}\sum_{i \in \mathcal T} \tilde y_{it}
                - \frac{1}{N_0}\sum_{j \in \mathcal C} \tilde y_{jt}, \qquad
    \hat\tau = \frac{1}{T_1} \sum_{t \ge t_0} \hat\tau_t .

Common shocks cancel in the difference; unit-specific linear trends are
removed, so :math:`\hat\tau` is unbiased when each unit's untreated path is
its pre-period line plus common shocks plus stationary noise. It is *not*
protected against a change of trend at the treatment date (the
``trend_break`` design of :func:`reindus.evaluation.simulate.simulate_calibrated`):
that risk is what the placebo inference prices, because the controls'
own extrapolation errors enter the placebo distribution.

Inference (``inference="placebo"``, the default)
    Every set of :math:`N_1` controls in turn plays the treated group (the
    other controls as controls), giving placebo estimates
    :math:`\hat\tau^{(b)}` that share the estimator's error distribution
    when units are exchangeable; with :math:`N_1 = 1` there are :math:`N_0`
    of them. The standard error is their root mean square,
    :math:`\widehat{se} = (B^{-1}\sum_b \hat\tau^{(b)2})^{1/2}`, and the
    interval :math:`\hat\tau \pm t_{N_0-1, 1-\alpha/2}\,\widehat{se}`
    (Student quantiles because :math:`\widehat{se}` rests on only
    :math:`N_0` nearly independent placebos). This is the placebo variance
    estimator of Arkhangelsky et al. (2021, Algorithm 4) applied to
    detrended gaps, and the Conley and Taber (2011) idea of learning the
    error distribution from the controls. Its validity needs the treated
    units' noise to be like the controls' (a small, volatile treated region
    is under-covered; a large, smooth one is over-covered).
``inference="conley_taber"``
    The interval from the order statistics of the placebo errors (level at
    most :math:`1 - 2/(B+1)`, recorded) and the rank *p*-value.

References
----------
Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. and Wager, S.
(2021). Synthetic difference-in-differences. *AER* 111(12).
Conley, T. G. and Taber, C. R. (2011). *REStat* 93(1).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reindus.evaluation._core import (
    common_start,
    controls_list,
    normalise_treated,
    start_positions,
    to_wide,
)
from reindus.evaluation.inference import quantile_interval, rank_p_value, subsets
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet
from reindus.evaluation.vocabulary import TrendInference, check


# --------------------------------------------------------------------------- algebra
def detrend_matrix(Y: np.ndarray, t0: int, fit_mask: np.ndarray | None = None) -> np.ndarray:
    r"""Residuals of each row of ``Y`` from its OLS line fitted on columns ``< t0``.

    ``fit_mask`` (length ``Y.shape[1]``) marks the pre-period columns used in
    the fit (default: all of them); the line is extrapolated to every column.
    Closed form: :math:`\hat b_i = \sum_t (t-\bar t)(y_{it}-\bar y_i) / \sum_t (t-\bar t)^2`.
    """
    T = Y.shape[-1]
    mask = np.zeros(T, dtype=bool)
    mask[:t0] = True
    if fit_mask is not None:
        mask &= np.asarray(fit_mask, dtype=bool)
    if mask.sum() < 3:
        raise ValueError("need at least three pre-periods to fit a unit trend")
    t = np.arange(T, dtype=float)
    tf = t[mask]
    tc = tf - tf.mean()
    Yf = Y[..., mask]
    ybar = Yf.mean(axis=-1, keepdims=True)
    b = ((Yf - ybar) @ tc / float(tc @ tc))[..., None]
    return Y - ybar - b * (t - tf.mean())


def placebo_gaps(R: np.ndarray, k: int, n_max: int, rng: np.random.Generator) -> np.ndarray:
    r"""Placebo event-time effects from control rows only.

    ``R`` holds the detrended control outcomes (controls x periods). For each
    k-subset :math:`S` of controls: :math:`\bar R_{S,t} - \bar R_{\mathcal C \setminus S, t}`.
    Returns a ``(B, T)`` array.
    """
    n0 = R.shape[0]
    subs = subsets(n0, k, n_max, rng)
    total = R.sum(axis=0)
    s_sum = R[subs].sum(axis=1)  # (B, T)
    return s_sum / k - (total[None, :] - s_sum) / (n0 - k)


def _placebo_interval(est: float, plac: np.ndarray, n0: int, level: float
                      ) -> tuple[float, float, float, float]:
    """``(lo, hi, p, se)`` from placebo estimates: Student-t with ``n0 - 1`` df."""
    se = float(np.sqrt(np.mean(plac**2)))
    df = max(n0 - 1, 1)
    q = float(stats.t.ppf(0.5 + level / 2, df))
    if se <= 0:
        return est, est, (0.0 if est != 0 else 1.0), 0.0
    p = float(2 * stats.t.sf(abs(est) / se, df))
    return est - q * se, est + q * se, p, se


def _prepare(panel, treated, start, outcome, unit, period, controls, exclude_periods):
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr = normalise_treated(treated)
    ctrl = controls_list(wp_all, tr, controls)
    if len(ctrl) < 2:
        raise ValueError("need at least two control units for placebo inference")
    wp = wp_all.subset(tr + ctrl)
    spos = start_positions(wp, tr, start)
    t0 = common_start(spos, "trend-adjusted estimators need one common start; run them per cohort")
    T = wp.Y.shape[1]
    fit_mask = np.ones(T, dtype=bool)
    if exclude_periods is not None:
        excl = {str(p) for p in exclude_periods}
        fit_mask &= ~np.array([str(p) in excl for p in wp.periods])
    if (fit_mask[:t0]).sum() < 3:
        raise ValueError("fewer than three pre-periods left to fit the unit trends")
    return wp, tr, ctrl, t0, fit_mask


# --------------------------------------------------------------------------- public API
def trend_event_study(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any,
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    exclude_periods: Iterable[Any] | None = None,
    holdout: int | None = None,
    inference: TrendInference = "placebo",
    level: float = 0.95,
    n_placebo: int = 999,
    seed: int = 0,
) -> EstimateResult:
    r"""Trend-adjusted event study: unit trends fitted on the pre-period, extrapolated.

    Parameters
    ----------
    panel, treated, start, outcome, unit, period, controls
        As :func:`reindus.evaluation.did.did` (one common ``start``).
    exclude_periods
        Pre-period periods left out of the trend fit (e.g. Covid quarters).
    holdout
        Leads checked out of sample: the trends are refitted on the
        pre-period minus its last ``holdout`` periods and the gaps over those
        periods are reported as event times ``-holdout..-1`` with placebo
        intervals (a placebo-in-time test of the trend extrapolation;
        default: the number of post periods, capped so that at least 8
        periods remain for the fit).
    inference
        ``"placebo"`` (Student-t on the placebo standard error) or
        ``"conley_taber"`` (placebo order statistics); see the module docstring.
    n_placebo
        Maximum number of placebo control sets (all of them when fewer).

    Returns
    -------
    EstimateResult
        ``estimate`` = :math:`\hat\tau` (mean post coefficient) with its
        interval and *p*-value; ``details`` = one row per event time
        (``event_time``, ``coef``, ``se``, ``ci_lo``, ``ci_hi``, ``p_value``,
        ``out_of_sample``); ``diagnostics`` = placebo estimates, the
        out-of-sample pre-period test (``holdout``), the unit slopes.
    """
    check("inference", inference, TrendInference)
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    rng = np.random.default_rng(seed)
    wp, tr, ctrl, t0, fit_mask = _prepare(panel, treated, start, outcome, unit, period,
                                          controls, exclude_periods)
    Y = wp.Y
    k, n0 = len(tr), len(ctrl)
    T = Y.shape[1]
    R = detrend_matrix(Y, t0, fit_mask)
    gap_t = R[:k].mean(axis=0) - R[k:].mean(axis=0)
    post = slice(t0, T)
    est = float(gap_t[post].mean())
    plac_t = placebo_gaps(R[k:], k, n_placebo, rng)
    plac = plac_t[:, post].mean(axis=1)
    # both methods read the same placebo estimates (no extra draw): compute both, headline one
    lo, hi, p, se = _placebo_interval(est, plac, n0, level)
    ct_lo, ct_hi, ach = quantile_interval(est, plac, level)
    inf = InferenceSet([
        Inference("placebo", (float(lo), float(hi)), float(p), float(level), se=se,
                  df=max(n0 - 1, 1), extras={"n_placebos": int(plac.size)}),
        Inference("conley_taber", (float(ct_lo), float(ct_hi)),
                  float(rank_p_value(abs(est), np.abs(plac))), float(ach),
                  extras={"n_placebos": int(plac.size)}),
    ], headline=inference)
    head = inf[inference]
    rows = []
    q = float(stats.t.ppf(0.5 + level / 2, max(n0 - 1, 1)))
    for t in range(t0, T):
        s = float(np.sqrt(np.mean(plac_t[:, t] ** 2)))
        rows.append({"event_time": t - t0, "period": wp.label(t), "coef": float(gap_t[t]),
                     "se": s, "ci_lo": float(gap_t[t]) - q * s, "ci_hi": float(gap_t[t]) + q * s,
                     "p_value": float(2 * stats.t.sf(abs(gap_t[t]) / s, max(n0 - 1, 1)))
                     if s > 0 else np.nan, "out_of_sample": True})

    # out-of-sample leads: refit the trends without the last `h` pre-periods
    n_fit_pre = int(fit_mask[:t0].sum())
    h = (T - t0) if holdout is None else int(holdout)
    h = max(0, min(h, n_fit_pre - 8))
    hold: dict[str, Any] = {"holdout": h}
    if h > 0:
        th = t0 - h
        Rh = detrend_matrix(Y[:, :t0], th, fit_mask[:t0])
        gh = Rh[:k].mean(axis=0) - Rh[k:].mean(axis=0)
        ph = placebo_gaps(Rh[k:], k, n_placebo, rng)
        for t in range(th, t0):
            s = float(np.sqrt(np.mean(ph[:, t] ** 2)))
            rows.append({"event_time": t - t0, "period": wp.label(t), "coef": float(gh[t]),
                         "se": s, "ci_lo": float(gh[t]) - q * s, "ci_hi": float(gh[t]) + q * s,
                         "p_value": float(2 * stats.t.sf(abs(gh[t]) / s, max(n0 - 1, 1)))
                         if s > 0 else np.nan, "out_of_sample": True})
        m = float(gh[th:t0].mean())
        hlo, hhi, hp, hse = _placebo_interval(m, ph[:, th:t0].mean(axis=1), n0, level)
        hold.update({"first": wp.label(th), "mean_gap": m, "ci": (hlo, hhi), "p_value": hp,
                     "se": hse})
    # in-sample residual gaps of the fitted pre-period (zero on average by construction)
    for t in range(0, t0 - h):
        rows.append({"event_time": t - t0, "period": wp.label(t), "coef": float(gap_t[t]),
                     "se": np.nan, "ci_lo": np.nan, "ci_hi": np.nan, "p_value": np.nan,
                     "out_of_sample": False})
    details = pd.DataFrame(rows).sort_values("event_time").reset_index(drop=True)
    tt = np.arange(T, dtype=float)[fit_mask & (np.arange(T) < t0)]
    slopes = np.polyfit(tt, Y[:, fit_mask & (np.arange(T) < t0)].T, 1)[0]
    return EstimateResult(
        estimate=est, ci=head.ci, p_value=head.p_value,
        method="trend_adjusted_did", inference=inf, treated=tr, controls=ctrl,
        periods={"pre": (wp.label(0), wp.label(t0 - 1)), "post": (wp.label(t0), wp.label(T - 1)),
                 "n_pre_fit": n_fit_pre, "n_post": T - t0, "start": wp.label(t0)},
        n_obs=int(Y.size), level=head.level,
        diagnostics={"se_placebo": se, "df": n0 - 1, "placebo_estimates": plac,
                     "n_placebos": int(plac.size), "holdout": hold,
                     "slopes": dict(zip(wp.units, slopes.tolist(), strict=True)),
                     "excluded_from_fit": [wp.label(t) for t in np.flatnonzero(~fit_mask[:t0])]},
        details=details,
    )


def trend_did(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any,
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    exclude_periods: Iterable[Any] | None = None,
    inference: TrendInference = "placebo",
    level: float = 0.95,
    n_placebo: int = 999,
    seed: int = 0,
) -> EstimateResult:
    r"""Trend-adjusted DiD :math:`\hat\tau` (mean post gap of detrended outcomes).

    Same estimate and inference as :func:`trend_event_study` (see the module
    docstring for the formula); without the out-of-sample leads. Arguments
    as :func:`trend_event_study`.
    """
    return trend_event_study(panel, treated=treated, start=start, outcome=outcome, unit=unit,
                             period=period, controls=controls, exclude_periods=exclude_periods,
                             holdout=0, inference=inference, level=level, n_placebo=n_placebo,
                             seed=seed)

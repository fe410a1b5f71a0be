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

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reindus.evaluation._core import (
    controls_list,
    normalise_treated,
    quantile_interval,
    rank_p_value,
    start_positions,
    to_wide,
    two_way_demean,
)
from reindus.evaluation.did import _assignments
from reindus.evaluation.results import EstimateResult


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


def _fwl(Y: np.ndarray, X: np.ndarray, cluster: bool = False):
    """OLS of two-way-demeaned Y on two-way-demeaned dummies X (K, N, T)."""
    K = X.shape[0]
    N, T = Y.shape
    Xt = two_way_demean(X).reshape(K, -1).T  # (NT, K)
    yt = two_way_demean(Y).ravel()
    XtX = Xt.T @ Xt
    XtX_inv = np.linalg.pinv(XtX)
    beta = XtX_inv @ (Xt.T @ yt)
    if not cluster:
        return beta, None
    e = yt - Xt @ beta
    scores = (Xt * e[:, None]).reshape(N, T, K).sum(axis=1)  # (G, K)
    n, k = N * T, K + N + T - 1
    c = N / (N - 1) * (n - 1) / (n - k)
    V = c * XtX_inv @ (scores.T @ scores) @ XtX_inv
    return beta, V


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
) -> EstimateResult:
    """Event study with binned endpoints and a joint pre-trend test.

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

    Returns
    -------
    EstimateResult
        ``estimate`` = mean of the post coefficients :math:`\\beta_0..\\beta_L`
        with its Conley–Taber interval and *p*-value (``level`` is the level
        the placebo order statistics attain, at most ``1 - 2/(N_0+1)``);
        ``details`` = one row per event time; ``diagnostics['pretrend']`` =
        both joint tests.
    """
    if leads < 2:
        raise ValueError("need leads >= 2 (event time -1 is the reference)")
    rng = np.random.default_rng(seed)
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr = normalise_treated(treated)
    ctrl = controls_list(wp_all, tr, controls)
    wp = wp_all.subset(tr + ctrl)
    spos = start_positions(wp, tr, start)
    Y = wp.Y
    N, T = Y.shape
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
    beta, V = _fwl(Y, X, cluster=True)
    se = np.sqrt(np.diag(V))

    # Conley–Taber placebo coefficients: controls only, each control as if treated.
    Yc = Y[len(tr):]
    starts = [rows[i] for i in range(len(tr))]
    assigns = _assignments(list(range(Yc.shape[0])), starts, n_perm,
                           np.random.default_rng(rng.integers(2**32)), tuple(range(len(tr))))
    plac = []
    for a in assigns:
        c = _event_codes(T, dict(zip(a, starts, strict=True)), leads, L, bin_endpoints)
        ks_a = [k for k in sorted(set(np.concatenate(list(c.values())).tolist())) if k != -1]
        b, _ = _fwl(Yc, _design(Yc.shape, c, ks_a))
        bmap = dict(zip(ks_a, b, strict=True))
        plac.append([bmap.get(k, np.nan) for k in ks])
    plac = np.array(plac)
    q = stats.t.ppf(0.5 + level / 2, N - 1)
    rep = [k for k in ks if -leads <= k <= L]
    rows_out = []
    for j, k in enumerate(ks):
        if k not in rep:
            continue
        g = plac[:, j][np.isfinite(plac[:, j])]
        lo, hi, ach = quantile_interval(beta[j], g, level)
        rows_out.append({"event_time": k, "coef": beta[j], "se_cluster": se[j],
                         "ci_lo": lo, "ci_hi": hi, "ci_lo_cluster": beta[j] - q * se[j],
                         "ci_hi_cluster": beta[j] + q * se[j], "achieved_level": ach,
                         "binned": bool(bin_endpoints and (k == -leads or (k == L and L < max_lag)))})
    rows_out.append({"event_time": -1, "coef": 0.0, "se_cluster": 0.0, "ci_lo": 0.0, "ci_hi": 0.0,
                     "ci_lo_cluster": 0.0, "ci_hi_cluster": 0.0, "achieved_level": np.nan,
                     "binned": False})
    details = pd.DataFrame(rows_out).sort_values("event_time").reset_index(drop=True)

    post = [j for j, k in enumerate(ks) if 0 <= k <= L]
    avg = float(beta[post].mean())
    avg_plac = np.nanmean(plac[:, post], axis=1)
    lo, hi, ach = quantile_interval(avg, avg_plac, level)
    p_avg = rank_p_value(abs(avg), np.abs(avg_plac))

    pre = [j for j, k in enumerate(ks) if k <= -2 and k >= -leads]
    bp, Vp = beta[pre], V[np.ix_(pre, pre)]
    wald = float(bp @ np.linalg.pinv(Vp) @ bp)
    df = int(np.linalg.matrix_rank(Vp))
    pretrend = {
        "wald_cluster": {"stat": wald, "df": df, "p_value": float(stats.chi2.sf(wald, df))},
        "randomisation": _pretrend_randomisation(Y, rows, leads, n_perm,
                                                 np.random.default_rng(rng.integers(2**32))),
    }
    return EstimateResult(
        estimate=avg, ci=(lo, hi), p_value=p_avg, method="event_study",
        inference="conley_taber", treated=tr, controls=ctrl,
        periods={"pre": (wp.label(0), wp.label(first - 1)),
                 "post": (wp.label(first), wp.label(T - 1)), "leads": leads, "lags": L,
                 "start": {t: wp.label(s) for t, s in spos.items()}},
        # Conley-Taber order statistics: the interval's level is the attainable one
        n_obs=int(Y.size), level=ach,
        diagnostics={"pretrend": pretrend, "achieved_level": ach, "requested_level": level,
                     "n_placebos": len(assigns), "bin_endpoints": bin_endpoints},
        details=details,
    )


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
    assigns = _assignments(list(range(N)), [s] * k_tr, n_perm, rng, tuple(sorted(rows)))
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

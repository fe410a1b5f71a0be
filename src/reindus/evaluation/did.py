r"""Two-way fixed-effects difference-in-differences with small-sample inference.

Model, on a balanced panel of units :math:`i` and periods :math:`t`:

.. math::

    y_{it} = \alpha_i + \lambda_t + \tau D_{it} + \varepsilon_{it},

with :math:`D_{it} = 1` for a treated unit from its first treated period on.
On a balanced panel the OLS estimate is (Frisch–Waugh–Lovell)

.. math::

    \hat\tau = \frac{\sum_{it} \tilde D_{it} y_{it}}{\sum_{it} \tilde D_{it}^2},
    \qquad \tilde D_{it} = D_{it} - \bar D_{i\cdot} - \bar D_{\cdot t} + \bar D_{\cdot\cdot},

i.e. with one treated unit, the change in the treated unit's mean from pre to
post minus the same change for the mean of the controls.

Why several inference methods
-----------------------------
With one treated region, cluster-robust standard errors are not reliable: the
treated unit's own idiosyncratic error enters :math:`\hat\tau` with weight
one but its variance is estimated from a single cluster whose residuals are
forced to zero on average (MacKinnon and Webb 2017). The module therefore
computes, for the same point estimate:

``cluster``
    CR1 cluster-robust (by unit) *t*-test with :math:`G-1` degrees of freedom;
    shown for reference, known to over-reject with one treated cluster.
``wild``
    Restricted wild cluster bootstrap-*t* with Webb six-point weights
    (Webb 2023), interval by test inversion. With one treated cluster it is
    known to *under*-reject (MacKinnon and Webb 2017).
``permutation``
    Fisher randomisation inference: the treatment dates are re-assigned to
    other units ("placebo regions"); the *p*-value is the rank of
    :math:`|\hat\tau|` among all assignments; interval by inverting the sharp
    null :math:`y_{it}(0) = y_{it} - \tau_0 D_{it}`. Exact under
    exchangeable units, but its smallest *p*-value is :math:`1/N`, so with
    fewer than 20 units no 95 % interval is bounded.
``conley_taber``
    Conley and Taber (2011): the error :math:`\hat\tau - \tau` has the
    distribution of the placebo estimates :math:`\hat\Gamma_j` obtained by
    treating each control as if treated (controls only); interval
    :math:`[\hat\tau - \Gamma_{(hi)}, \hat\tau - \Gamma_{(lo)}]` from
    conservative order statistics (with :math:`N_0` controls the attainable
    level is at most :math:`1 - 2/(N_0+1)`, recorded as ``achieved_level``).
    Assumes the treated unit's errors are distributed like the controls'
    (Ferman and Pinto 2019 relax this).
``conformal``
    Chernozhukov, Wüthrich and Zhu (2021) moving-block permutation test: under
    :math:`H_0: \tau = \tau_0` fit the fixed-effects model on all periods to
    :math:`y - \tau_0 D`, take the treated unit's residuals :math:`\hat u_t`
    and compare :math:`S = |\sum_{t \in post} \hat u_t| / \sqrt{T_1}` with
    its value over all :math:`T` cyclic shifts of time. Valid for one treated
    unit when the residual process is stationary and weakly dependent; uses
    the long pre-period instead of the few control regions, so its *p*-value
    resolution is :math:`1/T`.

The headline (the ``inference`` argument) defaults to ``"permutation"``, the
only one of the five whose size stays at or below 5 % in every design of the
calibrated validation (``bench/validate_evaluation.py``, table in
``bench/README.md``): 13 regions, 36 pre and 8 post quarters, AR(1) noise
with persistence 0.88 and, in the ``trend`` design, unit-specific linear
trends with the dispersion of the real regions (about 0.2 points a quarter).
There, with one treated unit, the conformal test rejects a true null in
about 60 % of draws and its 95 % interval covers in about 40 % (without
trends: size 0.085); cluster-robust: size about 0.55; the wild bootstrap
never rejects (intervals ~1 log point wide); Conley–Taber cannot reach
95 % with 12 controls. The permutation test is exact when the treated units
are exchangeable with the controls, but with one treated unit among 13 its
smallest *p*-value is 1/13, so its 95 % interval is unbounded: TWFE DiD
cannot separate an accord effect from a region's own trend. Use
:func:`reindus.evaluation.recommended` (synthetic DiD with placebo
inference) for the headline, and :func:`reindus.evaluation.trends.trend_did`
to remove unit trends; ``detrend=True`` here fixes the point estimate (RMSE
0.046 -> 0.007) but its conformal interval still over-rejects (size ~0.3).

References
----------
Conley, T. G. and Taber, C. R. (2011). Inference with "difference in
differences" with a small number of policy changes. *REStat* 93(1).
Chernozhukov, V., Wüthrich, K. and Zhu, Y. (2021). An exact and robust
conformal inference method for counterfactual and synthetic controls. *JASA*.
MacKinnon, J. G. and Webb, M. D. (2017). Wild bootstrap inference for wildly
different cluster sizes. *J. Applied Econometrics* 32(2).
Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered
errors. *Canadian J. Economics*.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from reindus.evaluation._core import (
    WidePanel,
    assignments,
    controls_list,
    invert_test,
    normalise_treated,
    quantile_interval,
    rank_p_value,
    start_positions,
    to_wide,
    treatment_matrix,
    two_way_demean,
)
from reindus.evaluation.fixed_effects import (
    covariate_period_regressors,
    demean,
    fe_fit,
    resolve_unit_weights,
    unit_values,
)
from reindus.evaluation.inference import count_clusters, inference_regime
from reindus.evaluation.results import EstimateResult

INFERENCE_METHODS = ("conformal", "conley_taber", "permutation", "wild", "cluster")
WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])


# --------------------------------------------------------------------------- algebra
def twfe_weights(D: np.ndarray) -> np.ndarray:
    r"""Weights :math:`w = \tilde D / \sum \tilde D^2` such that :math:`\hat\tau = \langle w, Y\rangle`."""
    Dt = two_way_demean(D)
    s = float((Dt * Dt).sum())
    if s <= 0:
        raise ValueError("treatment does not vary within units and periods: no DiD estimate")
    return Dt / s


def twfe_estimate(Y: np.ndarray, D: np.ndarray) -> float:
    """TWFE DiD estimate on a balanced matrix (closed form)."""
    return float((twfe_weights(D) * Y).sum())


def cluster_se(Y: np.ndarray, D: np.ndarray) -> tuple[float, float]:
    r"""Closed-form CR1 cluster-robust (by unit) standard error of :math:`\hat\tau`.

    .. math:: \widehat V = c \sum_g \Big(\sum_t \tilde D_{gt} e_{gt}\Big)^2 \Big/ \Big(\sum \tilde D^2\Big)^2,
       \quad c = \frac{G}{G-1}\frac{n-1}{n-k}

    Returns ``(tau, se)``; equals statsmodels' ``cov_type='cluster'``.
    """
    G, T = Y.shape
    Dt = two_way_demean(D)
    S = float((Dt * Dt).sum())
    tau = float((Dt * Y).sum()) / S
    e = two_way_demean(Y) - tau * Dt
    scores = (Dt * e).sum(axis=1)
    n, k = G * T, 1 + G + T - 1
    c = G / (G - 1) * (n - 1) / (n - k)
    return tau, float(np.sqrt(c * (scores**2).sum() / S**2))


# --------------------------------------------------------------------------- inference
def _permutation(Y, D, rows, starts, level, n_perm, rng, tau):
    """Randomisation inference: p-value and interval by inverting sharp nulls."""
    pool = list(range(Y.shape[0]))
    assigns = assignments(pool, starts, n_perm, rng, tuple(rows))
    # one assignment at a time: memory stays O(N T) however many assignments are drawn
    a = np.empty(len(assigns))
    b = np.empty(len(assigns))
    for j, asg in enumerate(assigns):
        w = twfe_weights(treatment_matrix(*Y.shape, dict(zip(asg, starts, strict=True))))
        a[j] = (w * Y).sum()
        b[j] = (w * D).sum()

    def pfun(tau0: float) -> float:
        stat = np.abs(a - tau0 * b)
        return rank_p_value(stat[0], stat[1:])

    alpha = 1 - level
    spread = float(np.std(a[1:])) or abs(tau) or 1.0
    lo, hi = invert_test(pfun, tau, spread, alpha, max_width=200)
    return {"p_value": pfun(0.0), "ci": (lo, hi), "n_assignments": len(assigns),
            "min_p_value": 1 / len(assigns), "placebo_estimates": a[1:]}


def _conley_taber(Yc, starts, level, n_perm, rng, tau):
    """Placebo distribution of the estimator's error from controls only."""
    pool = list(range(Yc.shape[0]))
    k = len(starts)
    assigns = assignments(pool, starts, n_perm, rng, tuple(pool[:k]))
    gam = np.array([twfe_estimate(Yc, treatment_matrix(*Yc.shape, dict(zip(a, starts, strict=True))))
                    for a in assigns])
    lo, hi, achieved = quantile_interval(tau, gam, level)
    p = rank_p_value(abs(tau), np.abs(gam))
    return {"p_value": p, "ci": (lo, hi), "achieved_level": achieved,
            "n_placebos": len(gam), "placebo_estimates": gam}


def _general_design(panel: pd.DataFrame, unit: str, wp: WidePanel, cluster: str | None,
                    weights: Any, strata: str | None, trends: tuple[str, ...],
                    absorbed_dof: int | None) -> dict[str, Any]:
    """Unit weights, clusters, strata and covariate-trend regressors, in row order."""
    N, T = wp.Y.shape
    w = resolve_unit_weights(panel, unit, wp.units, weights)
    if w is not None and (w == 0).any():
        raise ValueError("units with zero weight: drop them from the panel first")
    cl = None if cluster is None else unit_values(panel, unit, cluster, wp.units)
    st = None if strata is None else unit_values(panel, unit, strata, wp.units)
    Z = [r for c in trends
         for r in covariate_period_regressors(unit_values(panel, unit, c, wp.units), T)]
    n_strata = 1 if st is None else len(pd.unique(st))
    dof = N + n_strata * (T - 1) if absorbed_dof is None else absorbed_dof
    return {"w": w, "cl": cl, "strata": st, "Z": np.array(Z).reshape(len(Z), N, T),
            "absorbed_dof": dof}


def _wild(Y, D, level, n_boot, rng, tau, se, general=None):
    """Restricted wild cluster bootstrap-t (Webb weights), closed form in tau0.

    The restricted residuals :math:`u(\tau_0) = \tilde y - \tau_0 \tilde D`
    (tildes: fixed effects and other regressors partialled out) are affine in
    :math:`\tau_0`, so every bootstrap quantity is computed once for the two
    parts. ``general`` (weights, clusters, strata, covariate trends) comes
    from :func:`_general_design`; without it the unweighted two-way model
    clustered by unit.
    """
    N, T = Y.shape
    if general is None:
        w = np.ones(N)
        cl = np.arange(N)

        def M(A):
            return two_way_demean(A)
        k = 1 + N + T - 1
    else:
        w = np.ones(N) if general["w"] is None else general["w"]
        cl = (np.arange(N) if general["cl"] is None
              else pd.factorize(np.asarray(general["cl"]))[0])
        Zt = demean(general["Z"], w, general["strata"])
        Zf = Zt.reshape(Zt.shape[0], N * T)  # (kz, NT)
        wf = np.repeat(w, T)
        ZWZ_inv = np.linalg.pinv((Zf * wf) @ Zf.T) if Zf.shape[0] else None

        def M(A):
            out = demean(A, w, general["strata"])
            if ZWZ_inv is None:
                return out
            flat = out.reshape(*out.shape[:-2], -1)
            coef = (flat * wf) @ Zf.T @ ZWZ_inv
            return (flat - coef @ Zf).reshape(out.shape)
        k = 1 + Zf.shape[0] + general["absorbed_dof"]
    G = int(cl.max()) + 1
    Dt = M(D)
    Yt = M(Y)
    wD = w[:, None] * Dt
    S = float((wD * Dt).sum())
    n = N * T
    c = G / (G - 1) * (n - 1) / (n - k)
    V = rng.choice(WEBB, size=(n_boot, G))
    aY, aD = np.empty(n_boot), np.empty(n_boot)
    sY, sD = np.empty((n_boot, G)), np.empty((n_boot, G))
    # blocks of draws keep memory at O(block N T) on large panels
    block = max(1, int(2e6 // max(N * T, 1)))
    for b0 in range(0, n_boot, block):
        Vu = V[b0:b0 + block][:, cl]  # (B, N): each unit gets its cluster's draw
        UY = Yt[None] * Vu[:, :, None]
        UD = Dt[None] * Vu[:, :, None]
        ay = (UY * wD).sum(axis=(1, 2)) / S
        ad = (UD * wD).sum(axis=(1, 2)) / S
        uy = (wD * (M(UY) - ay[:, None, None] * Dt)).sum(axis=2)  # (B, N) unit scores
        ud = (wD * (M(UD) - ad[:, None, None] * Dt)).sum(axis=2)
        sl = slice(b0, b0 + len(ay))
        aY[sl], aD[sl] = ay, ad
        for arr, unit_scores in ((sY, uy), (sD, ud)):
            tmp = np.zeros((len(ay), G))
            np.add.at(tmp.T, cl, unit_scores.T)
            arr[sl] = tmp

    def pfun(tau0: float) -> float:
        delta = aY - tau0 * aD
        var = c * ((sY - tau0 * sD) ** 2).sum(axis=1) / S**2
        tstar = np.abs(delta) / np.sqrt(np.maximum(var, 1e-300))
        tobs = abs(tau - tau0) / max(se, 1e-300)
        return float((tstar >= tobs - 1e-12).mean())

    lo, hi = invert_test(pfun, tau, se, 1 - level, max_width=1e4)
    return {"p_value": pfun(0.0), "ci": (lo, hi), "n_boot": n_boot, "weights": "webb",
            "n_clusters": G}


def _block_stat(u: np.ndarray, t1: int) -> np.ndarray:
    """|sum of u over the last t1 positions| / sqrt(t1) for every cyclic shift of u."""
    T = u.shape[-1]
    uu = np.concatenate([u, u], axis=-1)
    cs = np.concatenate([np.zeros(u.shape[:-1] + (1,)), np.cumsum(uu, axis=-1)], axis=-1)
    # shift j = 0..T-1 puts the window at positions s..s+t1-1 of the doubled series;
    # j = 0 is the actual post period.
    s = (T - t1 + np.arange(T)) % T
    sums = cs[..., s + t1] - cs[..., s]
    return np.abs(sums) / np.sqrt(t1)


def conformal_p_value(resid: np.ndarray, t1: int) -> float:
    """Moving-block permutation p-value of CWZ (2021) for the last ``t1`` residuals."""
    s = _block_stat(resid, t1)
    return float((s >= s[0] - 1e-12 * max(1.0, abs(s[0]))).mean())


def _conformal(Y, D, rows, starts, level, tau):
    if len(set(starts)) != 1:
        return {"p_value": np.nan, "ci": (np.nan, np.nan),
                "note": "conformal test needs a common treatment date"}
    T = Y.shape[1]
    t1 = T - starts[0]
    Yt = two_way_demean(Y)
    Dt = two_way_demean(D)
    uy = Yt[rows].mean(axis=0)
    ud = Dt[rows].mean(axis=0)

    def pfun(tau0: float) -> float:
        return conformal_p_value(uy - tau0 * ud, t1)

    sd = float(np.std(uy[: starts[0]])) or 1.0
    lo, hi = invert_test(pfun, tau, sd / np.sqrt(t1), 1 - level, max_width=1e4)
    return {"p_value": pfun(0.0), "ci": (lo, hi), "n_permutations": T, "min_p_value": 1 / T}


# --------------------------------------------------------------------------- public API
def did(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any | Mapping[Hashable, Any],
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    inference: str = "permutation",
    methods: Iterable[str] = INFERENCE_METHODS,
    level: float = 0.95,
    n_boot: int = 999,
    n_perm: int = 999,
    seed: int = 0,
    detrend: bool = False,
    use_statsmodels: bool = True,
    cluster: str | None = None,
    weights: str | pd.Series | Mapping | None = None,
    strata: str | None = None,
    trends: Iterable[str] = (),
    absorbed_dof: int | None = None,
) -> EstimateResult:
    r"""Two-way fixed-effects DiD of ``outcome`` for ``treated`` vs ``controls``.

    Parameters
    ----------
    panel
        Tidy long frame, one row per ``unit`` x ``period``; must be balanced
        on the units used.
    treated
        Treated unit(s).
    start
        First treated period (same type as ``period``), or a mapping unit ->
        first treated period.
    controls
        Control units (default: every other unit of the panel). Units that
        are neither treated nor controls are dropped.
    inference
        Which method provides the headline ``ci`` and ``p_value``; all of
        ``methods`` are computed and stored in ``diagnostics['inference']``.
        Default ``"permutation"``: see the module docstring for why not
        ``"conformal"`` (over-rejects when units have their own trends).
    n_boot, n_perm, seed
        Wild bootstrap draws, maximum number of permutations, and the seed
        (results are deterministic given the seed).
    detrend
        Remove from every unit its own linear trend fitted on the
        pre-treatment periods (before the earliest start) and extrapolated:
        a robustness check against diverging pre-trends, which assumes the
        pre-period trend would have continued.
    use_statsmodels
        Fit the point estimate and cluster-robust SE with statsmodels OLS on
        unit and period dummies (otherwise the identical closed form; used by
        the simulations for speed).
    cluster, weights, strata, trends, absorbed_dof
        (``inference='auto'`` picks the headline by the numbers of treated
        and control clusters, see :func:`_auto_inference`.)
        The many-treated-units design (e.g. hundreds of EPCI): cluster
        column (constant within unit; default the unit), unit weights
        (column or mapping), a stratum column whose period effects are
        separate (e.g. region x year effects), unit covariates whose effect
        varies by period, and the absorbed dummies counted in the CR1 factor
        (default: all, as with explicit dummies; 0 when units nest in
        clusters). ``cluster`` and ``wild`` are then computed by
        :func:`reindus.evaluation.fixed_effects.fe_fit`; with weights, strata
        or trends they are the only methods available.

    Returns
    -------
    EstimateResult
        ``estimate`` is :math:`\hat\tau`; ``diagnostics`` holds every inference
        method, the pre/post means and counts.
    """
    if inference == "auto":
        inference, methods = _auto_inference(panel, unit, treated, controls, cluster, methods)
    methods = tuple(methods)
    unknown = sorted(set(methods) - set(INFERENCE_METHODS))
    if unknown:
        raise ValueError(f"unknown inference method(s) {unknown}; choose from {INFERENCE_METHODS}")
    if inference not in methods:
        raise ValueError(f"headline inference {inference!r} must be one of methods={methods}")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    rng = np.random.default_rng(seed)
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr = normalise_treated(treated)
    ctrl = controls_list(wp_all, tr, controls)
    wp = wp_all.subset(tr + ctrl)
    spos = start_positions(wp, tr, start)
    rows = list(range(len(tr)))
    starts = [spos[t] for t in tr]
    Y = wp.Y
    if detrend:
        Y = detrend_pre(Y, min(starts))
        wp = WidePanel(Y, wp.units, wp.periods)
    D = treatment_matrix(*Y.shape, dict(zip(rows, starts, strict=True)))
    trends = tuple(trends)
    general = None
    if cluster is not None or weights is not None or strata is not None or trends:
        general = _general_design(panel, unit, wp, cluster, weights, strata, trends,
                                  absorbed_dof)
        # clusters alone leave the model unchanged: the placebo and conformal methods,
        # which do not use clusters, still apply; weights, strata and trends change it
        other = sorted(set(methods) - {"cluster", "wild"})
        if other and (weights is not None or strata is not None or trends):
            raise ValueError(f"with weights/strata/trends only the 'cluster' and "
                             f"'wild' methods are implemented; drop {other} from methods")

    tau, se = cluster_se(Y, D)
    G = Y.shape[0]
    if len(ctrl) < 2:
        se = np.nan  # two clusters whose scores cancel: no variance estimate
    elif general is not None:
        fit = fe_fit(Y, np.concatenate([D[None], general["Z"]]), weights=general["w"],
                     clusters=general["cl"], strata=general["strata"],
                     absorbed_dof=general["absorbed_dof"])
        tau, se, G = float(fit.beta[0]), float(fit.se[0]), fit.n_clusters
    elif use_statsmodels:
        tau, se = _statsmodels_fit(wp, D)
    inf: dict[str, dict[str, Any]] = {}
    note = ""
    if len(ctrl) < 2:
        # With one control, the CR1 variance comes from two clusters whose scores cancel
        # (p = 0), the wild bootstrap has two clusters, and Conley-Taber has no placebo:
        # report no inference for them rather than numbers that look like results.
        note = (f"only {len(ctrl)} control unit: cluster-robust, wild bootstrap and "
                "Conley-Taber inference need at least two controls")
        for m in ("cluster", "wild", "conley_taber"):
            if m in methods:
                inf[m] = {"p_value": np.nan, "ci": (np.nan, np.nan), "note": note}
        methods = tuple(m for m in methods if m not in inf)
    if "cluster" in methods:
        q = stats.t.ppf(0.5 + level / 2, G - 1)
        tstat = abs(tau) / se if se > 0 else (np.inf if tau != 0 else 0.0)
        inf["cluster"] = {"p_value": float(2 * stats.t.sf(tstat, G - 1)),
                          "ci": (tau - q * se, tau + q * se), "se": se, "df": G - 1}
    if "wild" in methods:
        inf["wild"] = _wild(Y, D, level, n_boot, np.random.default_rng(rng.integers(2**32)),
                            tau, se, general)
    if "permutation" in methods:
        inf["permutation"] = _permutation(Y, D, rows, starts, level, n_perm,
                                          np.random.default_rng(rng.integers(2**32)), tau)
    if "conley_taber" in methods:
        inf["conley_taber"] = _conley_taber(Y[len(tr):], starts, level, n_perm,
                                            np.random.default_rng(rng.integers(2**32)), tau)
    if "conformal" in methods:
        inf["conformal"] = _conformal(Y, D, rows, starts, level, tau)

    head = inf[inference]
    first_post = min(starts)
    pre_mean = Y[rows, :first_post].mean() - Y[len(tr):, :first_post].mean()
    post_mean = Y[rows, first_post:].mean() - Y[len(tr):, first_post:].mean()
    return EstimateResult(
        estimate=tau,
        ci=(float(head["ci"][0]), float(head["ci"][1])),
        p_value=float(head["p_value"]),
        method="twfe_did",
        inference=inference,
        treated=tr,
        controls=ctrl,
        periods={"pre": (wp.label(0), wp.label(first_post - 1)),
                 "post": (wp.label(first_post), wp.label(Y.shape[1] - 1)),
                 "n_pre": first_post, "n_post": Y.shape[1] - first_post,
                 "start": {t: wp.label(s) for t, s in spos.items()}},
        n_obs=int(Y.size),
        level=float(head.get("achieved_level", level)),
        diagnostics={"inference": inf, "cluster_se": se, "detrend": detrend, "n_clusters": G,
                     **({"note": note} if note else {}),
                     "gap_pre_mean": float(pre_mean), "gap_post_mean": float(post_mean)},
    )


def _auto_inference(panel: pd.DataFrame, unit: str, treated: Any, controls: Any,
                    cluster: str | None, methods: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """``inference='auto'``: the regime of :func:`reindus.evaluation.inference.inference_regime`.

    Few treated clusters: the permutation test headlines, as by default (all
    requested methods run; see the module docstring for why not conformal). Many: cluster-robust inference headlines, with the wild cluster
    bootstrap beside it; the placebo-based methods are dropped (they need
    exchangeable units and would re-fit the model for every assignment).
    """
    tr = set(normalise_treated(treated))
    u = panel[unit].astype(str)
    keep = u.isin(tr) | (u.isin({str(c) for c in controls}) if controls is not None else True)
    d = panel.loc[keep]
    is_tr = d[unit].astype(str).isin(tr).to_numpy()
    cl = d[unit].astype(str).to_numpy() if cluster is None else d[cluster].to_numpy()
    regime = inference_regime(*count_clusters(is_tr, cl))
    if regime == "many":
        return "cluster", ("cluster", "wild")
    return "permutation", tuple(methods)


def detrend_pre(Y: np.ndarray, t0: int) -> np.ndarray:
    r"""Subtract each row's OLS line :math:`a_i + b_i t` fitted on columns ``< t0``."""
    t = np.arange(Y.shape[1], dtype=float)
    X = np.column_stack([np.ones(t0), t[:t0]])
    coef = np.linalg.lstsq(X, Y[:, :t0].T, rcond=None)[0]  # (2, N)
    return Y - (coef[0][:, None] + coef[1][:, None] * t[None, :])


def _statsmodels_fit(wp: WidePanel, D: np.ndarray) -> tuple[float, float]:
    """OLS of y on D + unit + period dummies, CR1 clustered by unit (statsmodels)."""
    G, T = wp.Y.shape
    ui = np.repeat(np.arange(G), T)
    ti = np.tile(np.arange(T), G)
    X = np.column_stack([
        D.ravel(), np.ones(G * T),
        (ui[:, None] == np.arange(1, G)[None]).astype(float),
        (ti[:, None] == np.arange(1, T)[None]).astype(float),
    ])
    fit = sm.OLS(wp.Y.ravel(), X).fit(cov_type="cluster", cov_kwds={"groups": ui})
    return float(fit.params[0]), float(fit.bse[0])


def inference_table(result: EstimateResult) -> pd.DataFrame:
    """Tidy frame of every inference method stored in a :func:`did` result."""
    rows = []
    for name, d in result.diagnostics.get("inference", {}).items():
        rows.append({"inference": name, "estimate": result.estimate,
                     "ci_lo": float(d["ci"][0]), "ci_hi": float(d["ci"][1]),
                     "p_value": float(d["p_value"]),
                     "achieved_level": float(d.get("achieved_level", result.level)),
                     "headline": name == result.inference})
    return pd.DataFrame(rows)

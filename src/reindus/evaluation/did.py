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

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from reindus.evaluation._core import (
    WidePanel,
    controls_list,
    normalise_treated,
    start_positions,
    to_wide,
    treatment_matrix,
)
from reindus.evaluation.did_inference import (
    cluster_se,
    conformal_inference,
    conley_taber_inference,
    general_design,
    permutation_inference,
    twfe_estimate,
    wild_inference,
)
from reindus.evaluation.fixed_effects import fe_fit
from reindus.evaluation.inference import conformal_p_value, count_clusters, inference_regime
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet
from reindus.evaluation.vocabulary import DidInference, values

# the closed-form algebra and the conformal p-value stay importable from here (tests, designs)
__all__ = ["INFERENCE_METHODS", "cluster_se", "conformal_p_value", "detrend_pre", "did",
           "twfe_estimate"]

INFERENCE_METHODS: tuple[str, ...] = values(DidInference)


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
    inference: DidInference | Literal["auto"] = "permutation",
    methods: Iterable[DidInference] = INFERENCE_METHODS,
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
    eager: bool = False,
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
        Which method provides the headline ``ci`` and ``p_value``. Every one
        of ``methods`` is available in ``result.inference``: the headline is
        computed at fit time, the others when first read
        (``result.inference["wild"]``, ``result.confint("wild")``,
        ``result.tidy()``, ``result.with_inference("wild")``), each with the
        seed it was given at fit time, so the numbers do not depend on the
        order in which they are read.
        Default ``"permutation"``: see the module docstring for why not
        ``"conformal"`` (over-rejects when units have their own trends).
    n_boot, n_perm, seed
        Wild bootstrap draws, maximum number of permutations, and the seed
        (results are deterministic given the seed).
    eager
        Compute every method of ``methods`` at fit time (e.g. before timing
        the fit, or to fail early), instead of when first read.
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
        ``estimate`` is :math:`\hat\tau`; ``inference`` holds every inference
        method; ``diagnostics`` the pre/post means and counts.
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
        general = general_design(panel, unit, wp, cluster, weights, strata, trends,
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
    inf: dict[str, Inference] = {}
    note = ""
    if len(ctrl) < 2:
        # With one control, the CR1 variance comes from two clusters whose scores cancel
        # (p = 0), the wild bootstrap has two clusters, and Conley-Taber has no placebo:
        # report no inference for them rather than numbers that look like results.
        note = (f"only {len(ctrl)} control unit: cluster-robust, wild bootstrap and "
                "Conley-Taber inference need at least two controls")
        for m in ("cluster", "wild", "conley_taber"):
            if m in methods:
                inf[m] = Inference(m, (np.nan, np.nan), np.nan, float(level), note=note)
        methods = tuple(m for m in methods if m not in inf)
    # Each method's seed is drawn now, in a fixed order, whichever is the headline: a
    # method computed later (deferred) gives the numbers it would have given at fit time.
    seeds = {m: int(rng.integers(2**32)) for m in ("wild", "permutation", "conley_taber")
             if m in methods}
    compute: dict[str, Callable[[], Inference]] = {
        "cluster": lambda: _cluster_inference(tau, se, G, level),
        "wild": lambda: wild_inference(Y, D, level, n_boot, np.random.default_rng(seeds["wild"]),
                                       tau, se, general),
        "permutation": lambda: permutation_inference(
            Y, D, rows, starts, level, n_perm, np.random.default_rng(seeds["permutation"]), tau),
        "conley_taber": lambda: conley_taber_inference(
            Y[len(tr):], starts, level, n_perm, np.random.default_rng(seeds["conley_taber"]),
            tau),
        "conformal": lambda: conformal_inference(Y, D, rows, starts, level, tau),
    }
    # The headline is computed now; the other requested methods when first read
    # (``result.inference[m]``, ``confint(m)``, ``tidy()``), or all now with ``eager``.
    for m in ("cluster", "wild", "permutation", "conley_taber", "conformal"):  # tidy() order
        if m in methods:
            inf[m] = compute[m]() if (m == inference or eager) else compute[m]

    head = inf[inference]
    first_post = min(starts)
    pre_mean = Y[rows, :first_post].mean() - Y[len(tr):, :first_post].mean()
    post_mean = Y[rows, first_post:].mean() - Y[len(tr):, first_post:].mean()
    return EstimateResult(
        estimate=tau,
        ci=head.ci,
        p_value=head.p_value,
        method="twfe_did",
        inference=InferenceSet(inf, headline=inference),
        treated=tr,
        controls=ctrl,
        periods={"pre": (wp.label(0), wp.label(first_post - 1)),
                 "post": (wp.label(first_post), wp.label(Y.shape[1] - 1)),
                 "n_pre": first_post, "n_post": Y.shape[1] - first_post,
                 "start": {t: wp.label(s) for t, s in spos.items()}},
        n_obs=int(Y.size),
        level=head.level,
        diagnostics={"cluster_se": se, "detrend": detrend, "n_clusters": G,
                     **({"note": note} if note else {}),
                     "gap_pre_mean": float(pre_mean), "gap_post_mean": float(post_mean)},
    )


def _cluster_inference(tau: float, se: float, G: int, level: float) -> Inference:
    r"""CR1 cluster-robust interval :math:`\hat\tau \pm t_{G-1,1-\alpha/2}\,\widehat{se}`."""
    q = stats.t.ppf(0.5 + level / 2, G - 1)
    tstat = abs(tau) / se if se > 0 else (np.inf if tau != 0 else 0.0)
    return Inference("cluster", (float(tau - q * se), float(tau + q * se)),
                     float(2 * stats.t.sf(tstat, G - 1)), float(level), se=se, df=G - 1)


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

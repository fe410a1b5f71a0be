r"""Inverse-probability-weighted difference-in-differences (Abadie 2005).

For designs with many treated units chosen on observables (e.g. the
Territoires d'industrie, labelled *because* they were industrial), the
controls are reweighted to mimic the treated units' covariates:

.. math::

    \hat\tau_{IPW} = \frac{1}{n_T}\sum_{D_i=1} \Delta_i
      - \frac{\sum_{D_i=0} \frac{\hat p_i}{1-\hat p_i} \Delta_i}
             {\sum_{D_i=0} \frac{\hat p_i}{1-\hat p_i}},
    \qquad \Delta_i = \bar y_{i,post} - y_{i,g-1},

with :math:`\hat p_i = \Lambda(x_i'\hat\gamma)` the logit propensity score
fitted by maximum likelihood (statsmodels ``Logit``, Newton's method) on
standardised covariates. Units with :math:`\hat p` outside
``[trim, 1 - trim]`` are dropped (common support). The interval is a
percentile cluster bootstrap: clusters are drawn with replacement and the
score is re-estimated in every draw, so its estimation error is included.
A single treated unit cannot identify a propensity score: the design needs
many treated units.

Reference: Abadie, A. (2005). Semiparametric difference-in-differences
estimators. *Review of Economic Studies* 72(1).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from reindus.evaluation._core import normalise_treated, to_wide
from reindus.evaluation.fixed_effects import unit_values
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet


def standardised_design(Z: np.ndarray) -> np.ndarray:
    """Constant plus covariates scaled to mean 0 and standard deviation 1."""
    Z = np.asarray(Z, dtype=float)
    sd = Z.std(axis=0)
    Z = (Z - Z.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return np.column_stack([np.ones(len(Z)), Z])


def logit_fit(X: np.ndarray, y: np.ndarray, start: np.ndarray | None = None) -> np.ndarray:
    """Maximum-likelihood logit coefficients (statsmodels, Newton's method).

    Raises
    ------
    ValueError
        If the likelihood has no maximum (perfect separation) or Newton's
        method does not converge.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in exp on the way
        try:
            res = sm.Logit(np.asarray(y, dtype=float), X).fit(
                start_params=start, method="newton", maxiter=100, tol=1e-12, disp=0)
        except (PerfectSeparationWarning, ConvergenceWarning, np.linalg.LinAlgError) as e:
            raise ValueError(f"logit propensity score cannot be estimated: {e}") from None
    if not res.mle_retvals.get("converged", True):
        raise ValueError("logit propensity score: Newton's method did not converge")
    return np.asarray(res.params)


def propensity_score(X: np.ndarray, treated: np.ndarray, start: np.ndarray | None = None
                     ) -> np.ndarray:
    r""":math:`\hat p_i = 1/(1 + e^{-x_i'\hat\gamma})` from :func:`logit_fit`."""
    b = logit_fit(X, treated, start)
    return 1.0 / (1.0 + np.exp(-(X @ b)))


def ipw_weights(treated: np.ndarray, pscore: np.ndarray, trim: float) -> np.ndarray:
    r"""ATT weights: 1 for treated units, :math:`p/(1-p)` for controls, 0 off support.

    Control weights are rescaled to sum to the number of treated units kept.
    """
    if not 0 <= trim < 0.5:
        raise ValueError("trim must be in [0, 0.5)")
    tr = np.asarray(treated, dtype=bool)
    p = np.asarray(pscore, dtype=float)
    keep = (p >= trim) & (p <= 1 - trim)
    w = np.where(tr, 1.0, p / (1 - p)) * keep
    w[~tr] *= (tr & keep).sum() / w[~tr].sum()
    return w


def ipw_did(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any,
    covariates: Sequence[str],
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    trim: float = 0.02,
    cluster: str | None = None,
    n_boot: int = 499,
    seed: int = 0,
    level: float = 0.95,
) -> EstimateResult:
    r"""IPW DiD of ``treated`` (common first treated period ``start``) against ``controls``.

    Parameters
    ----------
    covariates
        Unit-level columns (constant within unit) of the logit score.
    trim
        Common support: units with a score outside ``[trim, 1 - trim]`` get
        weight 0.
    cluster
        Column holding each unit's cluster, resampled by the bootstrap
        (default: the unit).

    Returns
    -------
    EstimateResult
        ``estimate`` = :math:`\hat\tau_{IPW}`; ``diagnostics`` = the weights
        table (treated, pscore, weight by unit), bootstrap standard error and
        draws kept, numbers of units kept and dropped, effective number of
        controls :math:`(\sum w)^2 / \sum w^2`.
    """
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr_units = normalise_treated(treated)
    if controls is None:
        ctrl = [u for u in wp_all.units if u not in set(tr_units)]
    else:
        ctrl = [str(u) for u in controls]
    if len(tr_units) < 2 or len(ctrl) < 2:
        raise ValueError("IPW DiD needs several treated and control units to fit a "
                         f"propensity score (got {len(tr_units)} treated, {len(ctrl)} controls)")
    keep_units = sorted(set(tr_units) | set(ctrl), key=wp_all.units.index)
    wp = wp_all.subset(keep_units)
    t0 = wp.period_index(start)
    if t0 < 1:
        raise ValueError(f"no period before the start {start}")
    tr = np.isin(wp.units, tr_units)
    Zc = np.column_stack([unit_values(panel, unit, c, wp.units).astype(float)
                          for c in covariates])
    X = standardised_design(Zc)
    delta = wp.Y[:, t0:].mean(axis=1) - wp.Y[:, t0 - 1]
    b_full = logit_fit(X, tr)

    def estimate(idx: np.ndarray, start_b: np.ndarray | None) -> float:
        t, Xb, d = tr[idx], X[idx], delta[idx]
        if t.all() or not t.any():
            return np.nan
        try:
            p = propensity_score(Xb, t, start_b)
        except ValueError:
            return np.nan  # a draw without a finite MLE (separation) is left out
        keep = (p >= trim) & (p <= 1 - trim)
        if not (keep & t).any() or not (keep & ~t).any():
            return np.nan
        wc = np.where(~t & keep, p / (1 - p), 0.0)
        return float(d[t & keep].mean() - wc @ d / wc.sum())

    p_full = 1.0 / (1.0 + np.exp(-(X @ b_full)))
    w_full = ipw_weights(tr, p_full, trim)
    est = estimate(np.arange(len(tr)), b_full)
    cl = (np.arange(len(tr)) if cluster is None
          else pd.factorize(unit_values(panel, unit, cluster, wp.units))[0])
    members = [np.flatnonzero(cl == c) for c in range(cl.max() + 1)]
    rng = np.random.default_rng(seed)
    draws = np.array([estimate(np.concatenate([members[c] for c in
                                               rng.integers(0, len(members), len(members))]),
                               b_full)
                      for _ in range(n_boot)])
    draws = draws[np.isfinite(draws)]
    lo, hi = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
    se = float(draws.std(ddof=1))
    # Two-sided bootstrap p-value of tau = 0 from the centred draws.
    p_boot = float((np.abs(draws - draws.mean()) >= abs(est)).mean())
    kept = w_full > 0
    weights = pd.DataFrame({"treated": tr, "pscore": p_full, "weight": w_full},
                           index=pd.Index(wp.units, name=unit))
    wc = weights.loc[~tr, "weight"]
    name = f"cluster_bootstrap_{'unit' if cluster is None else cluster.removesuffix('_code')}"
    head = Inference(name, (float(lo), float(hi)), max(p_boot, 1 / (len(draws) + 1)), level,
                     se=se, extras={"n_boot": int(len(draws)), "n_clusters": len(members)})
    return EstimateResult(
        estimate=est, ci=head.ci, p_value=head.p_value,
        method="ipw_did",
        inference=InferenceSet([head], headline=name),
        treated=[u for u, k, t in zip(wp.units, kept, tr, strict=True) if k and t],
        controls=[u for u, k, t in zip(wp.units, kept, tr, strict=True) if k and not t],
        periods={"pre": (wp.label(0), wp.label(t0 - 1)),
                 "post": (wp.label(t0), wp.label(wp.Y.shape[1] - 1))},
        n_obs=int(kept.sum() * wp.Y.shape[1]), level=level,
        diagnostics={"se": se, "n_boot": int(len(draws)), "weights": weights,
                     "n_treated": int((tr & kept).sum()), "n_controls": int((~tr & kept).sum()),
                     "n_dropped_support": int((~kept).sum()),
                     "effective_n_controls": float(wc.sum() ** 2 / (wc**2).sum()),
                     "n_clusters": len(members), "logit_coef": b_full,
                     "covariates": list(covariates)})

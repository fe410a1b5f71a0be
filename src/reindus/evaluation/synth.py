r"""Synthetic control (Abadie, Diamond and Hainmueller 2010), own scipy code.

The synthetic unit is a convex combination of donors,

.. math::

    \hat w = \arg\min_{w \ge 0,\ \mathbf 1'w = 1} (X_1 - X_0 w)' V (X_1 - X_0 w),

where the columns of :math:`X_0` hold the donors' predictors, :math:`X_1`
the treated unit's, and :math:`V` is a diagonal predictor weighting. The
gap :math:`\hat\tau_t = y_{1t} - \sum_j \hat w_j y_{jt}` estimates the effect
at each post period; the reported estimate is its post-period mean.

Predictors are, by default, the outcome in every pre-treatment period, with
:math:`V = I`, so that :math:`\hat w` minimises the pre-treatment mean squared
prediction error directly. By default each unit's outcome is first
*demeaned* over the fitting window (Doudchenko and Imbens 2016; Ferman and
Pinto 2021): the synthetic unit must reproduce the treated unit's
*dynamics*, not its level, which matters for a large region such as
Hauts-de-France whose level lies outside the donors' convex hull.
Optionally :math:`V` is chosen by the nested optimisation of ADH (minimise
the pre-period outcome MSPE over diagonal :math:`V`).

The inner problem is solved exactly: a non-negative least-squares start
(:func:`scipy.optimize.nnls` on the system augmented with a heavily
weighted row :math:`M \mathbf 1'w = M`) followed by a primal active-set
method on the simplex that solves the KKT system on the current support
until every multiplier has the right sign. It is checked against pysyncon
(SLSQP) in the tests.

Inference
---------
``placebo`` (ADH 2010)
    every donor in turn is treated as if treated, with the other donors as
    its donor pool; the *p*-value is the rank of the treated unit's ratio of
    post- to pre-period RMSPE among all units,
    :math:`p = \#\{j : r_j \ge r_1\} / (J + 1)` (smallest value
    :math:`1/(J+1)`).
``conformal`` (Chernozhukov, Wüthrich and Zhu 2021; default headline)
    under :math:`H_0: \tau_t = \tau_0` for all post periods, refit on all
    periods with :math:`y_{1t} - \tau_0` after treatment, and compare the
    post-period block of residuals with every cyclic shift; the interval
    collects the :math:`\tau_0` not rejected.

Placebo-in-time (fake treatment date before the real one, using only
pre-treatment data) and leave-one-donor-out refits are diagnostics.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

from reindus.evaluation._core import controls_list, normalise_treated, start_positions, to_wide
from reindus.evaluation.inference import (
    conformal_p_value,
    invert_test,
    quantile_interval,
    rank_p_value,
)
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet
from reindus.evaluation.vocabulary import SynthInference, check


# --------------------------------------------------------------------------- inner QP
def simplex_least_squares(A: np.ndarray, b: np.ndarray, *, tol: float = 1e-12,
                          max_iter: int = 500) -> np.ndarray:
    r"""Solve :math:`\min_w \|Aw - b\|^2` s.t. :math:`w \ge 0, \sum w = 1` exactly.

    Parameters
    ----------
    A
        ``(m, n)`` matrix (rows: predictors, columns: donors).
    b
        ``(m,)`` target.

    Returns
    -------
    numpy.ndarray
        The optimal weights (unique when ``A`` has full column rank).
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float)
    m, n = A.shape
    if n == 0:
        raise ValueError("no donor: a synthetic control needs at least one column in A")
    if n == 1:
        return np.ones(1)
    scale = max(float(np.linalg.norm(A)), 1e-300)
    # 1. NNLS start with the sum-to-one constraint as a heavily weighted row
    big = 1e4 * scale
    w0, _ = nnls(np.vstack([A, np.full((1, n), big)]), np.append(b, big), maxiter=50 * n)
    w = w0 / w0.sum() if w0.sum() > 0 else np.full(n, 1.0 / n)
    P = A.T @ A
    q = A.T @ b
    eps = 1e-14
    S = w > eps
    if not S.any():
        S[np.argmax(q)] = True
        w = S / S.sum()

    def kkt(S_mask: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(S_mask)
        k = idx.size
        K = np.zeros((k + 1, k + 1))
        K[:k, :k] = P[np.ix_(idx, idx)]
        K[:k, k] = 1.0
        K[k, :k] = 1.0
        rhs = np.append(q[idx], 1.0)
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
        z = np.zeros(n)
        z[idx] = sol[:k]
        return z

    # 2. primal active set (Lawson–Hanson on the simplex)
    for _ in range(max_iter):
        z = kkt(S)
        if (z[S] > eps).all():
            w = z
            g = P @ w - q  # half-gradient; on S all equal to -nu
            nu = -g[S].mean()
            lam = g + nu  # multipliers of w_j >= 0 for j off the support
            lam[S] = 0.0
            j = int(np.argmin(lam))
            if lam[j] >= -tol * max(1.0, float(np.abs(q).max())):
                w = np.clip(w, 0.0, None)
                return w / w.sum()
            S[j] = True
        else:
            neg = S & (z <= eps)
            t = np.min(w[neg] / (w[neg] - z[neg]))
            w = w + t * (z - w)
            S = S & (w > eps)
            w[~S] = 0.0
    # Not expected: fall back to SLSQP with the exact gradient.
    res = minimize(lambda x: 0.5 * x @ P @ x - q @ x, w, jac=lambda x: P @ x - q,
                   method="SLSQP", bounds=[(0.0, 1.0)] * n,
                   constraints=[{"type": "eq", "fun": lambda x: x.sum() - 1.0,
                                 "jac": lambda x: np.ones_like(x)}],
                   options={"maxiter": 1000, "ftol": 1e-15})
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


# --------------------------------------------------------------------------- fit
@dataclass
class SynthFit:
    """One synthetic-control fit on a matrix (row 0 treated, rows 1.. donors)."""

    weights: np.ndarray
    v: np.ndarray
    gaps: np.ndarray
    pre_rmspe: float
    post_rmspe: float
    att: float

    @property
    def ratio(self) -> float:
        return self.post_rmspe / max(self.pre_rmspe, 1e-300)


def _prep(Y: np.ndarray, fit_mask: np.ndarray, demean: bool) -> np.ndarray:
    if not demean:
        return Y
    return Y - Y[:, fit_mask].mean(axis=1, keepdims=True)


def fit_matrix(Y: np.ndarray, t0: int, *, demean: bool = True, fit_mask: np.ndarray | None = None,
               standardize: bool = False, v: str | np.ndarray = "equal",
               t_end: int | None = None) -> SynthFit:
    """Fit the synthetic control of row 0 from rows 1.. with treatment at column ``t0``.

    Parameters
    ----------
    Y
        ``(1 + J, T)`` outcomes.
    t0
        First treated column; columns ``< t0`` are the pre-period.
    fit_mask
        Boolean mask of the pre-period columns used as predictors (default:
        all pre-period columns), e.g. to drop Covid quarters.
    standardize
        Divide each predictor row by its standard deviation across units
        (as the R package Synth and pysyncon do).
    v
        ``"equal"``, ``"optimize"`` (nested ADH optimisation) or a vector of
        predictor weights.
    t_end
        Last column (exclusive) of the post-period (default: all).
    """
    if Y.shape[0] < 2:
        raise ValueError("fit_matrix needs the treated row and at least one donor row")
    T = Y.shape[1] if t_end is None else t_end
    Y = Y[:, :T]
    if fit_mask is None:
        fit_mask = np.zeros(T, dtype=bool)
        fit_mask[:t0] = True
    else:
        fit_mask = np.asarray(fit_mask[:T], dtype=bool) & (np.arange(T) < t0)
    Z = _prep(Y, fit_mask, demean)
    X = Z[:, fit_mask]  # (units, predictors)
    if standardize:
        sd = X.std(axis=0, ddof=1)
        X = X / np.where(sd > 0, sd, 1.0)
    X1, X0 = X[0], X[1:].T  # X0: predictors x donors
    if isinstance(v, str) and v == "equal":
        vv = np.ones(X.shape[1])
        w = simplex_least_squares(X0, X1)
    elif isinstance(v, str) and v == "optimize":
        vv, w = _optimise_v(X0, X1, Z[1:, fit_mask].T, Z[0, fit_mask])
    else:
        vv = np.asarray(v, dtype=float)
        if vv.shape != (X.shape[1],) or (vv < 0).any():
            raise ValueError("v must be non-negative, one weight per predictor")
        sv = np.sqrt(vv)
        w = simplex_least_squares(X0 * sv[:, None], X1 * sv)
    gaps = Z[0] - w @ Z[1:]
    pre = gaps[:t0][fit_mask[:t0]]
    post = gaps[t0:]
    return SynthFit(weights=w, v=vv, gaps=gaps, pre_rmspe=float(np.sqrt(np.mean(pre**2))),
                    post_rmspe=float(np.sqrt(np.mean(post**2))) if post.size else np.nan,
                    att=float(post.mean()) if post.size else np.nan)


def _optimise_v(X0: np.ndarray, X1: np.ndarray, Z0: np.ndarray, Z1: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Nested ADH optimisation: V minimising the outcome MSPE of W(V)."""
    k = X0.shape[0]

    def weights(x: np.ndarray) -> np.ndarray:
        vv = np.abs(x) / np.abs(x).sum()
        sv = np.sqrt(vv)
        return simplex_least_squares(X0 * sv[:, None], X1 * sv)

    def loss(x: np.ndarray) -> float:
        r = Z1 - Z0 @ weights(x)
        return float(r @ r / r.size)

    res = minimize(loss, np.full(k, 1.0 / k), method="Nelder-Mead",
                   options={"maxiter": 1000, "xatol": 1e-6, "fatol": 1e-12})
    vv = np.abs(res.x) / np.abs(res.x).sum()
    return vv, weights(res.x)


# --------------------------------------------------------------------------- public API
def synth(
    panel: pd.DataFrame,
    *,
    treated: Hashable,
    start: Any,
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    demean: bool = True,
    exclude_periods: Iterable[Any] | None = None,
    standardize: bool = False,
    v: str | np.ndarray = "equal",
    inference: SynthInference = "conformal",
    placebo_time_shift: int | None = None,
    level: float = 0.95,
    seed: int = 0,
) -> EstimateResult:
    """Synthetic control for one treated unit, with its diagnostics.

    Parameters
    ----------
    treated, start
        The treated unit and its first treated period.
    controls
        Donor pool, the control units the synthetic unit is built from
        (default: every other unit in ``panel``).
    demean
        Demean each unit over the fitting window (see module docstring).
    exclude_periods
        Pre-period periods left out of the fit (e.g. the Covid quarters).
    standardize, v
        Predictor scaling and weighting, see :func:`fit_matrix`.
    inference
        ``"conformal"`` or ``"placebo"``: which provides ``ci`` and ``p_value``.
        With ``"placebo"`` the interval is the Conley–Taber-style range of the
        donors' placebo effects (attainable level recorded).
    placebo_time_shift
        Quarters by which the placebo-in-time date precedes the real one
        (default: the number of post periods).
    seed
        Unused by the deterministic solver; kept for a uniform signature.

    Returns
    -------
    EstimateResult
        ``estimate`` = mean post-period gap; ``details`` = per-period treated,
        synthetic and gap series plus the placebo gaps; ``inference`` =
        ``conformal`` and ``placebo`` (either can headline, see
        :meth:`~reindus.evaluation.results.EstimateResult.with_inference`);
        ``diagnostics`` = weights, pre-RMSPE, placebo-in-space (RMSPE ratios,
        placebo effects, their rank *p*-value), placebo-in-time,
        leave-one-control-out.
    """
    del seed
    check("inference", inference, SynthInference)
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr = normalise_treated(treated)
    if len(tr) != 1:
        raise ValueError("synth takes one treated unit; run it per unit")
    # Fewer than two donors: the fit is the lone donor itself and its placebo would have
    # no donor (scipy's nnls on an (m, 0) matrix crashes the interpreter).
    dn = controls_list(wp_all, tr, controls, min_controls=2, what="donors for a synthetic control")
    wp = wp_all.subset(tr + dn)
    t0 = start_positions(wp, tr, start)[tr[0]]
    Y = wp.Y
    T = Y.shape[1]
    fit_mask = np.arange(T) < t0
    if exclude_periods is not None:
        excl = {str(p) for p in exclude_periods}
        fit_mask &= ~np.array([str(p) in excl for p in wp.periods])
    if fit_mask.sum() < 2:
        raise ValueError("fewer than two pre-periods left to fit")
    kw = {"demean": demean, "standardize": standardize, "v": v}
    main = fit_matrix(Y, t0, fit_mask=fit_mask, **kw)

    # placebo in space: each donor as treated, the other donors as its pool
    plac = []
    for j in range(1, Y.shape[0]):
        order = [j] + [i for i in range(1, Y.shape[0]) if i != j]
        plac.append(fit_matrix(Y[order], t0, fit_mask=fit_mask, **kw))
    ratios = np.array([p.ratio for p in plac])
    p_space = rank_p_value(main.ratio, ratios)
    att_plac = np.array([p.att for p in plac])
    lo_p, hi_p, ach = quantile_interval(main.att, att_plac, level)

    # placebo in time: fake date `shift` quarters earlier, real post-period dropped
    shift = (T - t0) if placebo_time_shift is None else int(placebo_time_shift)
    fake = t0 - shift
    time_placebo: dict[str, Any] = {"shift": shift}
    if fake >= 4:
        pt = fit_matrix(Y, fake, fit_mask=fit_mask[:t0], t_end=t0, **kw)
        time_placebo.update({"fake_start": wp.label(fake), "att": pt.att,
                             "pre_rmspe": pt.pre_rmspe, "ratio": pt.ratio})

    # leave one donor out (donors with positive weight)
    loo = []
    for j in np.flatnonzero(main.weights > 1e-3):
        keep = [0] + [i + 1 for i in range(len(dn)) if i != j]
        f = fit_matrix(Y[keep], t0, fit_mask=fit_mask, **kw)
        loo.append({"dropped": dn[j], "att": f.att, "pre_rmspe": f.pre_rmspe})

    # conformal inference on the average post effect
    def conf_p(tau0: float) -> float:
        Yadj = Y.copy()
        Yadj[0, t0:] -= tau0
        mask_all = fit_mask.copy()
        mask_all[t0:] = True
        f = fit_matrix(Yadj, T, fit_mask=mask_all, **kw)
        u = f.gaps[mask_all]
        return conformal_p_value(u, T - t0)

    scale = main.pre_rmspe / np.sqrt(max(T - t0, 1))
    lo_c, hi_c = invert_test(conf_p, main.att, scale, 1 - level, max_width=1e4, tol=1e-4)
    p_conf = conf_p(0.0)

    # both methods are computed; ``inference`` only picks the headline
    inf = InferenceSet([
        Inference("conformal", (float(lo_c), float(hi_c)), float(p_conf), float(level),
                  extras={"min_p_value": 1 / T}),
        Inference("placebo", (float(lo_p), float(hi_p)), float(p_space), float(ach),
                  extras={"min_p_value": 1 / (len(dn) + 1), "placebo_estimates": att_plac}),
    ], headline=inference)
    head = inf[inference]

    per = [str(p) for p in wp.periods]
    Zs = _prep(Y, fit_mask, demean)
    details = pd.DataFrame({"period": per, "treated": Zs[0], "synthetic": Zs[0] - main.gaps,
                            "gap": main.gaps, "post": np.arange(T) >= t0})
    for d, p in zip(dn, plac, strict=True):
        details[f"placebo_gap_{d}"] = p.gaps
    weights = pd.DataFrame({"donor": dn, "weight": main.weights}).sort_values(
        "weight", ascending=False, kind="stable").reset_index(drop=True)
    return EstimateResult(
        estimate=main.att, ci=head.ci, p_value=head.p_value,
        method="synthetic_control", inference=inf, treated=tr, controls=dn,
        periods={"pre": (wp.label(0), wp.label(t0 - 1)), "post": (wp.label(t0), wp.label(T - 1)),
                 "n_pre_fit": int(fit_mask.sum()), "n_post": T - t0},
        n_obs=int(Y.size), level=head.level,
        diagnostics={
            "weights": weights, "pre_rmspe": main.pre_rmspe, "post_rmspe": main.post_rmspe,
            "rmspe_ratio": main.ratio,
            "placebo_space": {"p_value": p_space, "ratios": dict(zip(dn, ratios.tolist(), strict=True)),
                              "att": dict(zip(dn, att_plac.tolist(), strict=True)),
                              "min_p_value": 1 / (len(dn) + 1)},
            "placebo_time": time_placebo,
            "leave_one_out": pd.DataFrame(loo),
            "v": main.v, "demean": demean,
        },
        details=details,
    )

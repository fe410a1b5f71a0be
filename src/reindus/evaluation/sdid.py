r"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021).

Rows :math:`1..N_0` of :math:`Y` are controls, the :math:`N_1` treated rows
follow; columns :math:`1..T_0` are pre-treatment, :math:`T_1` post periods
follow (one common treatment date, as in the paper).

Unit weights (with an intercept :math:`\omega_0` and ridge penalty
:math:`\zeta`):

.. math::

    (\hat\omega_0, \hat\omega) = \arg\min_{\omega_0,\ \omega \in \Delta^{N_0}}
    \sum_{t \le T_0} \Big(\omega_0 + \sum_{j \le N_0} \omega_j Y_{jt}
        - \frac{1}{N_1}\sum_{i > N_0} Y_{it}\Big)^2 + \zeta^2 T_0 \|\omega\|_2^2,
    \qquad \zeta = (N_1 T_1)^{1/4}\,\hat\sigma,

with :math:`\hat\sigma` the standard deviation of the first differences
:math:`Y_{j,t+1} - Y_{jt}` of the controls before treatment. Time weights:

.. math::

    (\hat\lambda_0, \hat\lambda) = \arg\min_{\lambda_0,\ \lambda \in \Delta^{T_0}}
    \sum_{j \le N_0} \Big(\lambda_0 + \sum_{t \le T_0} \lambda_t Y_{jt}
        - \frac{1}{T_1}\sum_{t > T_0} Y_{jt}\Big)^2 + \zeta_\lambda^2 N_0 \|\lambda\|_2^2,

with :math:`\zeta_\lambda = 10^{-6}\hat\sigma` (as the R package ``synthdid``).
The estimate is the weighted double difference

.. math::

    \hat\tau = \Big(\bar Y_{\mathcal T, post} - \sum_t \hat\lambda_t \bar Y_{\mathcal T, t}\Big)
             - \sum_j \hat\omega_j \Big(\bar Y_{j, post} - \sum_t \hat\lambda_t Y_{jt}\Big).

Setting :math:`\omega_j = 1/N_0, \lambda_t = 1/T_0` gives DiD; no
intercept, :math:`\lambda = 0` and :math:`\zeta \approx 0` gives
synthetic control (``estimator="did"`` / ``"sc"``).

The two weight problems are strongly convex quadratic programmes on a
simplex; they are solved exactly (active set on the ridge-augmented system,
:func:`reindus.evaluation.synth.simplex_least_squares`). The R package uses
Frank–Wolfe iterations with a stopping rule and a sparsification pass
(``solver="frank_wolfe"`` reproduces them, for the check against R).

Inference
---------
``placebo`` (Algorithm 4 of the paper; the only one for one treated unit)
    sets of :math:`N_1` controls play the treated group, the other controls
    are the controls, and the whole estimator (weights included) is re-run:
    :math:`\hat V = B^{-1}\sum_b (\hat\tau^{(b)} - \bar\tau)^2`. All
    :math:`\binom{N_0}{N_1}` sets when there are at most ``n_placebo`` of
    them (with 12 donor regions and one treated region: 12), otherwise
    ``n_placebo`` random ones.
``jackknife`` (Algorithm 3; needs :math:`N_1 \ge 2`)
    leave one unit out with the weights held fixed (:math:`\omega`
    renormalised), :math:`\hat V = \frac{N-1}{N}\sum_i (\hat\tau_{(-i)} - \bar\tau)^2`.

Interval :math:`\hat\tau \pm q\,\hat V^{1/2}`. The paper uses the normal
quantile; with few controls the variance estimate rests on few placebos, so
``dist="t"`` (default) uses Student quantiles with :math:`N_0 - 1` degrees of
freedom for the placebo variance (the placebo sets overlap, so the variance
rests on the :math:`N_0` controls however many sets are drawn) and
:math:`N - 1` for the jackknife; ``dist="normal"`` follows the paper.

Reference: Arkhangelsky, D., Athey, S., Hirshberg, D. A., Imbens, G. W. and
Wager, S. (2021). Synthetic difference-in-differences. *American Economic
Review* 111(12), 4088–4118.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
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
from reindus.evaluation.inference import subsets
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet
from reindus.evaluation.synth import simplex_least_squares
from reindus.evaluation.vocabulary import Dist, SdidEstimator, SdidInference, Solver, check


# --------------------------------------------------------------------------- weights
def _fw_step(A: np.ndarray, x: np.ndarray, b: np.ndarray, eta: float) -> np.ndarray:
    """One Frank–Wolfe step with exact line search (port of synthdid's ``fw.step``)."""
    Ax = A @ x
    half_grad = (Ax - b) @ A + eta * x
    i = int(np.argmin(half_grad))
    dx = -x.copy()
    dx[i] = 1.0 - x[i]
    if not dx.any():
        return x
    derr = A[:, i] - Ax
    step = -float(half_grad @ dx) / (float(derr @ derr) + eta * float(dx @ dx))
    return x + min(1.0, max(0.0, step)) * dx


def _fw(Yw: np.ndarray, zeta: float, intercept: bool, x0: np.ndarray | None,
        min_decrease: float, max_iter: int) -> np.ndarray:
    """Port of synthdid's ``sc.weight.fw``: the last column of ``Yw`` is the target."""
    n, m1 = Yw.shape
    m = m1 - 1
    x = np.full(m, 1.0 / m) if x0 is None else x0.copy()
    if intercept:
        Yw = Yw - Yw.mean(axis=0, keepdims=True)
    A, b = Yw[:, :m], Yw[:, m]
    eta = n * zeta**2
    vals: list[float] = []
    t = 0
    while t < max_iter and (t < 2 or vals[-2] - vals[-1] > min_decrease**2):
        t += 1
        x = _fw_step(A, x, b, eta)
        err = A @ x - b
        vals.append(zeta**2 * float(x @ x) + float(err @ err) / n)
    return x


def _sparsify(v: np.ndarray) -> np.ndarray:
    v = np.where(v <= v.max() / 4, 0.0, v)
    return v / v.sum()


def project_simplex(v: np.ndarray) -> np.ndarray:
    r"""Euclidean projection on the simplex, :math:`\max(0, v - \theta)` with :math:`\sum = 1`."""
    u = np.sort(v)[::-1]
    css = np.cumsum(u) - 1.0
    k = np.arange(1, v.size + 1)
    rho = int(np.nonzero(u - css / k > 0)[0][-1])
    return np.maximum(v - css[rho] / (rho + 1), 0.0)


def ridge_simplex(A: np.ndarray, b: np.ndarray, eta: float, *, tol: float = 1e-12,
                  max_iter: int = 50) -> np.ndarray | None:
    r"""Exact :math:`\arg\min_{w \in \Delta} \tfrac12\|Aw - b\|^2 + \tfrac{\eta}{2}\|w\|^2`, :math:`\eta > 0`.

    Semi-smooth Newton on the residual :math:`r = b - Aw`: the optimality
    conditions are :math:`w = \Pi_\Delta(A^\top r/\eta)` and
    :math:`F(r) = r - b + A\,\Pi_\Delta(A^\top r/\eta) = 0`, where :math:`F`
    is the gradient of the strongly convex
    :math:`\varphi(r) = \tfrac12\|r\|^2 - b^\top r + \eta M(A^\top r/\eta)`,
    :math:`M(v) = \max_{w \in \Delta} v^\top w - \tfrac12\|w\|^2`. The generalised
    Jacobian :math:`I + \eta^{-1} A_S (I - \mathbf 1\mathbf 1^\top/|S|) A_S^\top` (S: the
    support) is :math:`m \times m` with :math:`m` = rows of :math:`A`, so the cost
    does not grow with the number of donors beyond a sort. Damped by
    backtracking on :math:`\varphi`. Returns None if it does not converge
    (the caller falls back to the active-set solver).
    """
    m, n = A.shape
    r = b - A.mean(axis=1)  # residual of uniform weights: a start inside the simplex's range

    def phi_grad(r: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        v = A.T @ r / eta
        w = project_simplex(v)
        phi = 0.5 * r @ r - b @ r + eta * (v @ w - 0.5 * w @ w)
        return float(phi), r - b + A @ w, w

    f, g, w = phi_grad(r)
    scale = max(1.0, float(np.abs(b).max()))
    for _ in range(max_iter):
        if np.abs(g).max() <= tol * scale:
            return w
        S = w > 0
        AS = A[:, S]
        k = AS.shape[1]
        c = AS.sum(axis=1)
        J = np.eye(m) + (AS @ AS.T - np.outer(c, c) / k) / eta
        step = -np.linalg.solve(J, g)
        t = 1.0
        while True:
            f2, g2, w2 = phi_grad(r + t * step)
            if f2 <= f + 1e-4 * t * float(g @ step) or t < 1e-10:
                break
            t *= 0.5
        r, f, g, w = r + t * step, f2, g2, w2
    return w if np.abs(g).max() <= 1e-8 * scale else None


def _exact(Yw: np.ndarray, zeta: float, intercept: bool) -> np.ndarray:
    r"""Exact :math:`\min_{x \in \Delta} \|A x - b\|^2 + n\zeta^2\|x\|^2` (intercept: demeaned rows)."""
    n, m1 = Yw.shape
    if intercept:
        Yw = Yw - Yw.mean(axis=0, keepdims=True)
    A, b = Yw[:, : m1 - 1], Yw[:, m1 - 1]
    eta = n * zeta**2
    # Many weights, few rows (unit weights): Newton in the row space. Otherwise, or if
    # the penalty is negligible (time weights, SC), the active-set solver on the
    # ridge-augmented system.
    if eta > 1e-8 * max(float((A * A).sum()) / max(A.shape[1], 1), 1e-300) and m1 - 1 > n:
        w = ridge_simplex(A, b, eta)
        if w is not None:
            return w
    k = m1 - 1
    if n > k:
        # More rows than weights (time weights): the objective depends on A'A + eta I and
        # A'b only, so solve the equivalent k x k system R w ~ c with R'R = A'A + eta I.
        # A ridge of at least 1e-10 x the mean eigenvalue keeps the Cholesky factor defined
        # (synthdid's own ridge on time weights is 1e-12 sigma^2 N0, as negligible).
        P = A.T @ A
        P[np.diag_indices(k)] += max(eta, 1e-10 * float(np.trace(P)) / k, 1e-300)
        L = np.linalg.cholesky(P)
        return simplex_least_squares(L.T, np.linalg.solve(L, A.T @ b))
    r = np.sqrt(eta)
    if r > 0:
        A = np.vstack([A, r * np.eye(k)])
        b = np.concatenate([b, np.zeros(k)])
    return simplex_least_squares(A, b)


def _solve(Yw: np.ndarray, zeta: float, intercept: bool, solver: str, min_decrease: float,
           max_iter: int) -> np.ndarray:
    if solver == "exact":
        return _exact(Yw, zeta, intercept)
    x = _fw(Yw, zeta, intercept, None, min_decrease, 100)
    return _fw(Yw, zeta, intercept, _sparsify(x), min_decrease, max_iter)


@dataclass
class SDIDFit:
    """Weights and estimate of one (synthetic) DiD fit on a matrix."""

    tau: float
    omega: np.ndarray
    lam: np.ndarray
    zeta_omega: float
    zeta_lambda: float
    noise_level: float


def noise_level(Y: np.ndarray, n0: int, t0: int) -> float:
    r""":math:`\hat\sigma`: standard deviation of the controls' pre-period first differences."""
    d = np.diff(Y[:n0, :t0], axis=1)
    return float(d.std(ddof=1)) if d.size > 1 else 0.0


def sdid_fit(Y: np.ndarray, n0: int, t0: int, *, estimator: SdidEstimator = "sdid",
             solver: Solver = "exact",
             omega: np.ndarray | None = None, lam: np.ndarray | None = None,
             max_iter: int = 10_000) -> SDIDFit:
    """Fit SDID (or SC / DiD) on a matrix whose first ``n0`` rows are controls.

    ``omega`` / ``lam`` given: used as is (the fixed-weight jackknife).
    """
    check("estimator", estimator, SdidEstimator)
    check("solver", solver, Solver)
    N, T = Y.shape
    n1, t1 = N - n0, T - t0
    if n0 < 1 or n1 < 1 or t0 < 2 or t1 < 1:
        raise ValueError("need controls, treated units, two pre-periods and a post period")
    sig = noise_level(Y, n0, t0)
    min_dec = 1e-5 * sig
    if estimator == "sdid":
        z_om = (n1 * t1) ** 0.25 * sig
        z_la = 1e-6 * sig
    else:
        z_om = 1e-6 * sig
        z_la = 1e-6 * sig
    if lam is None:
        if estimator == "sdid":
            Yc = np.column_stack([Y[:n0, :t0], Y[:n0, t0:].mean(axis=1)])  # N0 x (T0+1)
            lam = _solve(Yc, z_la, True, solver, min_dec, max_iter)
        elif estimator == "sc":
            lam = np.zeros(t0)
        else:
            lam = np.full(t0, 1.0 / t0)
    if omega is None:
        if estimator == "did":
            omega = np.full(n0, 1.0 / n0)
        else:
            Yo = np.column_stack([Y[:n0, :t0].T, Y[n0:, :t0].mean(axis=0)])  # T0 x (N0+1)
            omega = _solve(Yo, z_om, estimator == "sdid", solver, min_dec, max_iter)
    row = np.concatenate([-omega, np.full(n1, 1.0 / n1)])
    col = np.concatenate([-lam, np.full(t1, 1.0 / t1)])
    return SDIDFit(tau=float(row @ Y @ col), omega=omega, lam=lam, zeta_omega=z_om,
                   zeta_lambda=z_la, noise_level=sig)


def sdid_placebo(Y: np.ndarray, n0: int, t0: int, *, estimator: SdidEstimator = "sdid",
                 solver: Solver = "exact", n_placebo: int = 200,
                 rng: np.random.Generator | None = None) -> np.ndarray:
    """Placebo estimates (Algorithm 4): sets of ``N1`` controls as pseudo-treated."""
    n1 = Y.shape[0] - n0
    if n0 <= n1:
        raise ValueError("placebo inference needs more controls than treated units")
    rng = np.random.default_rng(0) if rng is None else rng
    subs = subsets(n0, n1, n_placebo, rng)
    Yc = Y[:n0]
    out = np.empty(len(subs))
    for b, s in enumerate(subs):
        rest = np.setdiff1d(np.arange(n0), s)
        out[b] = sdid_fit(Yc[np.concatenate([rest, s])], n0 - n1, t0, estimator=estimator,
                          solver=solver).tau
    return out


def sdid_jackknife(Y: np.ndarray, n0: int, t0: int, fit: SDIDFit) -> np.ndarray:
    """Fixed-weight leave-one-unit-out estimates (Algorithm 3); needs two treated units."""
    N, T = Y.shape
    n1, t1 = N - n0, T - t0
    if n1 < 2:
        raise ValueError("the jackknife needs at least two treated units; use placebo")
    out = np.empty(N)
    for i in range(N):
        keep = np.delete(np.arange(N), i)
        if i < n0:
            om = np.delete(fit.omega, i)
            om = om / om.sum() if om.sum() > 0 else np.full(n0 - 1, 1.0 / (n0 - 1))
            k0, k1 = n0 - 1, n1
        else:
            om, k0, k1 = fit.omega, n0, n1 - 1
        row = np.concatenate([-om, np.full(k1, 1.0 / k1)])
        col = np.concatenate([-fit.lam, np.full(t1, 1.0 / t1)])
        out[i] = row @ Y[keep] @ col
        del k0
    return out


# --------------------------------------------------------------------------- public API
def sdid(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any,
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    exclude_periods: Iterable[Any] | None = None,
    estimator: SdidEstimator = "sdid",
    inference: SdidInference | None = None,
    dist: Dist = "t",
    level: float = 0.95,
    n_placebo: int = 200,
    solver: Solver = "exact",
    seed: int = 0,
) -> EstimateResult:
    r"""Synthetic difference-in-differences with placebo or jackknife inference.

    Parameters
    ----------
    panel, treated, start, outcome, unit, period, controls
        As :func:`reindus.evaluation.did.did`; one common ``start``.
    exclude_periods
        Pre-treatment periods dropped before fitting (e.g. the Covid
        quarters): they get neither unit-weight fit nor time weight.
    estimator
        ``"sdid"`` (default), ``"sc"`` or ``"did"`` (the paper's three
        estimators through the same weights machinery).
    inference
        ``"placebo"`` or ``"jackknife"``; default: jackknife with two or more
        treated units, placebo with one (as the paper advises).
    dist
        ``"t"`` (default, Student quantiles, see the module docstring) or
        ``"normal"`` (the paper's).
    n_placebo
        Maximum number of placebo sets (all of them when fewer exist).
    solver
        ``"exact"`` (default) or ``"frank_wolfe"`` (the R package's solver).

    Returns
    -------
    EstimateResult
        ``estimate`` = :math:`\hat\tau`; ``diagnostics`` = unit and time
        weights, :math:`\zeta`, the standard error and the placebo or
        jackknife estimates; ``details`` = treated and weighted-control paths.
    """
    if inference is not None:
        check("inference", inference, SdidInference)
    check("dist", dist, Dist)
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    tr = normalise_treated(treated)
    ctrl = controls_list(wp_all, tr, controls)
    if len(ctrl) < 2:
        raise ValueError("need at least two control units")
    wp = wp_all.subset(ctrl + tr)
    spos = start_positions(wp, tr, start)
    t0 = common_start(spos, "sdid needs one common start for the treated units (block design)")
    Y = wp.Y
    periods = list(wp.periods)
    if exclude_periods is not None:
        excl = {str(p) for p in exclude_periods}
        drop = [i for i, p in enumerate(periods) if str(p) in excl]
        if any(i >= t0 for i in drop):
            raise ValueError("exclude_periods must be pre-treatment periods")
        keep = [i for i in range(len(periods)) if i not in set(drop)]
        Y, periods, t0 = Y[:, keep], [periods[i] for i in keep], t0 - len(drop)
        if t0 < 2:
            raise ValueError("fewer than two pre-periods left after exclude_periods")
    n0, n1 = len(ctrl), len(tr)
    T = Y.shape[1]
    inf = inference or ("jackknife" if n1 >= 2 else "placebo")
    fit = sdid_fit(Y, n0, t0, estimator=estimator, solver=solver)
    rng = np.random.default_rng(seed)
    if inf == "placebo":
        reps = sdid_placebo(Y, n0, t0, estimator=estimator, solver=solver, n_placebo=n_placebo,
                            rng=rng)
        se = float(reps.std(ddof=0))  # R: sqrt((B-1)/B) * sd
        # the placebo sets overlap: the variance rests on the N0 controls, not on B sets
        df = max(n0 - 1, 1)
    else:
        reps = sdid_jackknife(Y, n0, t0, fit)
        n = reps.size
        se = float(np.sqrt((n - 1) / n * ((reps - reps.mean()) ** 2).sum()))
        df = n - 1
    q = float(stats.t.ppf(0.5 + level / 2, df)) if dist == "t" else float(
        stats.norm.ppf(0.5 + level / 2))
    if se > 0 and math.isfinite(se):
        z = abs(fit.tau) / se
        p = float(2 * (stats.t.sf(z, df) if dist == "t" else stats.norm.sf(z)))
        ci = (fit.tau - q * se, fit.tau + q * se)
    else:
        p, ci = float("nan"), (float("nan"), float("nan"))
    synth_path = fit.omega @ Y[:n0]
    details = pd.DataFrame({"period": [str(x) for x in periods],
                            "treated": Y[n0:].mean(axis=0), "control": synth_path,
                            "time_weight": np.concatenate([fit.lam, np.zeros(T - t0)]),
                            "post": np.arange(T) >= t0})
    head = Inference(inf, (float(ci[0]), float(ci[1])), p, level, se=se, df=df,
                     extras={"dist": dist, "n_replicates": int(reps.size)})
    return EstimateResult(
        estimate=fit.tau, ci=head.ci, p_value=head.p_value,
        method={"sdid": "synthetic_did", "sc": "synthetic_control_sdid",
                "did": "did_sdid"}[estimator],
        inference=InferenceSet([head], headline=inf), treated=tr, controls=ctrl,
        periods={"pre": (str(periods[0]), str(periods[t0 - 1])),
                 "post": (str(periods[t0]), str(periods[T - 1])),
                 "n_pre": t0, "n_post": T - t0, "start": str(periods[t0]),
                 "excluded": [str(p) for p in wp.periods if p not in set(periods)]},
        n_obs=int(Y.size), level=level,
        diagnostics={"se": se, "df": df, "dist": dist, "replicates": reps,
                     "unit_weights": pd.DataFrame({"unit": ctrl, "weight": fit.omega}),
                     "time_weights": pd.DataFrame({"period": [str(periods[t]) for t in range(t0)],
                                                   "weight": fit.lam}),
                     "zeta_omega": fit.zeta_omega, "zeta_lambda": fit.zeta_lambda,
                     "noise_level": fit.noise_level, "solver": solver, "estimator": estimator},
        details=details,
    )

r"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

An event study estimates :math:`\hat\beta = (\hat\beta_{pre}', \hat\beta_{post}')'`
with covariance :math:`\Sigma`, where (reference period :math:`-1` normalised
to zero)

.. math::

    \beta = \begin{pmatrix} 0 \\ \tau_{post} \end{pmatrix} + \delta,
    \qquad \hat\beta \approx N(\beta, \Sigma),

and :math:`\delta` is the difference in trends that parallel trends assumes to
be zero. Rambachan and Roth (2023, *Review of Economic Studies*, "A More
Credible Approach to Parallel Trends") bound the target
:math:`\theta = l'\tau_{post}` (one post coefficient, or the average with
:math:`l = (1/\bar T, \dots)`) when :math:`\delta` is only known to lie in a set
:math:`\Delta`:

**Smoothness**, :math:`\Delta^{SD}(M)`: the slope of the trend changes by at
most :math:`M` between consecutive periods,

.. math::

    \Delta^{SD}(M) = \{\delta : |(\delta_{t+1} - \delta_t) - (\delta_t - \delta_{t-1})|
    \le M \ \forall t\}, \qquad \delta_0 = 0.

:math:`M = 0` allows only a linear trend, extrapolated from the pre-period.

**Relative magnitudes**, :math:`\Delta^{RM}(\bar M)`: every post-period
violation between consecutive periods is at most :math:`\bar M` times the
largest pre-period one,

.. math::

    \Delta^{RM}(\bar M) = \{\delta : \forall t \ge 0,\ |\delta_{t+1} - \delta_t|
    \le \bar M \max_{s < 0} |\delta_{s+1} - \delta_s|\}.

It is the union over the location :math:`s` and the sign of the largest
pre-period jump of polyhedra :math:`\{\delta: A_{s,\pm}\delta \le 0\}`.

What is computed
----------------
* **Identified set** :math:`[\theta^{lb}, \theta^{ub}]` when :math:`\beta` is
  known: :math:`l'\beta_{post} - \max / \min \{l'\delta_{post} : \delta \in
  \Delta, \delta_{pre} = \beta_{pre}\}`, two linear programs
  (``scipy.optimize.linprog``); for :math:`\Delta^{RM}` the union over
  :math:`(s, \pm)`.
* **Robust confidence interval under** :math:`\Delta^{SD}`: the optimal
  fixed-length confidence interval (FLCI) of Armstrong and Kolesár, as
  HonestDiD's ``findOptimalFLCI``: among affine estimators
  :math:`a + v'\hat\beta` with :math:`v_{post} = l`, choose :math:`v_{pre}` to
  minimise the half-length
  :math:`\chi = \sigma_v\, cv_\alpha(\bar b_v / \sigma_v)`, where
  :math:`\bar b_v` is the worst-case bias over :math:`\Delta^{SD}(M)`,
  :math:`\sigma_v^2 = v'\Sigma v` and :math:`cv_\alpha(t)` is the
  :math:`1-\alpha` quantile of :math:`|N(t, 1)|`. The bias is linear in
  :math:`M` and, writing the pre weights through their cumulative sums
  :math:`w`, equals :math:`M(c_l + \sum_j |\sum_{i\le j} w_i|)` under
  :math:`\sum_j w_j = \sum_t t\, l_t`. For a given :math:`\sigma_v = h` the
  smallest bias is a convex program (linear objective, linear and one
  quadratic constraint; solved with SLSQP); the half-length is convex in
  :math:`h` and minimised over :math:`[h_{min}, h_0]` (bounded scalar search).
  Differences from HonestDiD: :math:`cv_\alpha` is the exact folded-normal
  quantile (root of :math:`\Phi(q-t) - \Phi(-q-t) = 1-\alpha`) where HonestDiD
  uses the empirical quantile of :math:`10^6` simulated draws, and the search
  over :math:`h` is a bounded Brent search rather than a bisection on numerical
  derivatives; both change the bounds by less than :math:`10^{-4}` of the
  estimate's scale on HonestDiD's README example.
* **Robust confidence interval under** :math:`\Delta^{RM}`: the conditional
  least-favourable hybrid ("C-LF") test of Andrews, Roth and Pakes (2023), as
  HonestDiD's ``computeConditionalCS_DeltaRM``, inverted on the same grid of
  :math:`\theta` (default 1000 points on :math:`\pm 20\,sd(l'\hat\beta_{post})`),
  the confidence set being the union over :math:`(s, \pm)` of the accepted
  values, reported as [min, max] of the accepted grid points. Moments: the
  post-period rows of :math:`A_{s,\pm}` only (HonestDiD's default
  ``postPeriodMomentsOnly = TRUE``). The first-stage least-favourable
  critical value (level :math:`\kappa = \alpha/10`) is simulated with 1000
  draws of numpy's generator (HonestDiD: R's ``set.seed(0)`` and mvtnorm, so
  the draws differ; the bounds move by at most a grid step or two). The
  linear program :math:`\hat\eta = \min_{\eta,\tau} \eta` s.t.
  :math:`\tilde y - \tilde X\tau \le \eta\,\tilde\sigma` is solved through its
  dual, :math:`\hat\eta = \max_\lambda \lambda'\tilde y` over the vertices of
  :math:`\{\lambda \ge 0, \tilde\sigma'\lambda = 1, \tilde X'\lambda = 0\}`
  (the extreme rays of :math:`\{\lambda \ge 0, \tilde X'\lambda = 0\}`,
  enumerated once, rescaled by :math:`\tilde\sigma`), so every grid point and
  every simulation draw costs one matrix product (falls back to ``linprog``
  when there are too many vertices to enumerate). For degenerate vertices the
  truncation bounds, which HonestDiD finds by bisection on a linear program,
  have a closed form on the same vertices (same values to its 1e-6 tolerance).
* **Reproduction of HonestDiD** (tests): on the README's Medicaid example the
  FLCI matches HonestDiD to 1e-7 when given HonestDiD's simulated quantile
  (R's ``set.seed(0)`` draws, emulated), and to 4e-5 with the exact one; the
  C-LF bounds agree to within 1.5 steps of HonestDiD's grid (the least
  favourable critical value is simulated with other draws; the README's
  bounds moreover do not lie on the grid the current code would use, so they
  may come from an earlier version).
* **Breakdown value**: the smallest :math:`M` (or :math:`\bar M`) at which the
  robust interval contains 0, found by bisection (the sets grow with
  :math:`M`), together with the first grid value at which it does.

References
----------
Rambachan, A. and Roth, J. (2023). A More Credible Approach to Parallel Trends.
*Review of Economic Studies* 90(5), 2555–2591. R package HonestDiD
(github.com/asheshrambachan/HonestDiD), whose README example this module
reproduces (tests/test_evaluation_sensitivity.py).
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for Linear Conditional
Moment Inequalities. *Review of Economic Studies* 90(6), 2763–2791.
Armstrong, T. and Kolesár, M. (2018). Optimal Inference in a Class of
Regression Models. *Econometrica* 86(2), 655–683.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from reindus.evaluation.results import EstimateResult

__all__ = [
    "SensitivityInputs",
    "SensitivityResult",
    "breakdown_value",
    "flci_sd",
    "conditional_ci_rm",
    "identified_set_rm",
    "identified_set_sd",
    "original_ci",
    "sensitivity_analysis",
    "sensitivity_inputs",
]

RESTRICTIONS = ("smoothness", "relative_magnitudes")


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SensitivityInputs:
    """Event-study coefficients in the order HonestDiD expects.

    Attributes
    ----------
    betahat
        Pre coefficients (earliest first, reference period excluded), then post.
    sigma
        Their covariance matrix.
    num_pre, num_post
        Number of pre and post coefficients.
    event_times
        Event time of each coefficient (for labels).
    sigma_source
        Where ``sigma`` came from (e.g. ``"vcov"`` or ``"diagonal se_cluster^2"``).
    """

    betahat: np.ndarray
    sigma: np.ndarray
    num_pre: int
    num_post: int
    event_times: tuple[int, ...] = ()
    sigma_source: str = "given"


def _check_inputs(betahat: Any, sigma: Any, num_pre: int, num_post: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if num_pre < 1 or num_post < 1:
        raise ValueError("need num_pre >= 1 and num_post >= 1")
    if b.size != num_pre + num_post:
        raise ValueError(f"betahat has {b.size} entries, expected num_pre + num_post = "
                         f"{num_pre + num_post}")
    if S.shape != (b.size, b.size):
        raise ValueError(f"sigma has shape {S.shape}, expected {(b.size, b.size)}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(S))):
        raise ValueError("betahat and sigma must be finite")
    S = (S + S.T) / 2
    if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise ValueError("sigma is not positive semi-definite")
    return b, S


def sensitivity_inputs(
    result: EstimateResult | None = None,
    *,
    betahat: Any = None,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    vcov: Any = None,
    drop_binned: bool = True,
) -> SensitivityInputs:
    """Collect :math:`\\hat\\beta`, :math:`\\Sigma` and the period counts.

    Either pass explicit ``betahat, sigma, num_pre, num_post`` (HonestDiD's
    vocabulary), or an :class:`EstimateResult` from
    :func:`reindus.evaluation.event_study.event_study`. Its ``details`` hold one
    row per event time (``coef``, ``se_cluster``; the reference period
    :math:`-1` has coefficient 0 and is dropped). The covariance is taken, in
    order, from ``vcov`` (array aligned with the reported event times, or frame
    indexed by event time), from ``result.diagnostics['vcov']`` or
    ``['cov']`` (rows in the order of ``diagnostics['event_times']``; for
    ``event_study`` the CR1 cluster-robust covariance), else from the
    diagonal :math:`se_{cluster}^2` with ``sigma_source`` saying so: that
    ignores the correlation between coefficients that share the reference
    period, which usually makes the robust intervals too wide under
    :math:`\\Delta^{SD}` (the differences of coefficients look noisier than
    they are).

    With ``drop_binned`` (default) the binned endpoints of ``event_study``
    (``details['binned']``, e.g. event time :math:`-K` pooling every earlier
    quarter) are left out: :math:`\\Delta^{SD}` and :math:`\\Delta^{RM}`
    restrict changes between consecutive periods, and a pooled coefficient is
    not one period. The remaining event times must be consecutive.
    """
    if result is None:
        if betahat is None or sigma is None or num_pre is None or num_post is None:
            raise ValueError("pass an EstimateResult or all of betahat, sigma, num_pre, num_post")
        b, S = _check_inputs(betahat, sigma, int(num_pre), int(num_post))
        times = tuple(list(range(-int(num_pre) - 1, -1)) + list(range(int(num_post))))
        return SensitivityInputs(b, S, int(num_pre), int(num_post), times, "given")
    det = result.details
    if det is None or "event_time" not in det or "coef" not in det:
        raise ValueError("the EstimateResult has no event-time details: pass the result of "
                         "event_study(), or explicit betahat/sigma/num_pre/num_post")
    det = det.sort_values("event_time")
    det = det[det["event_time"] != -1]
    all_times = [int(t) for t in det["event_time"]]
    if drop_binned and "binned" in det:
        # a binned endpoint pools many event times: it is not one period, so
        # the period-to-period restrictions do not apply to it
        det = det[~det["binned"].astype(bool)]
    times = [int(t) for t in det["event_time"]]
    pre = [t for t in times if t < -1]
    post = [t for t in times if t >= 0]
    b = det["coef"].to_numpy(dtype=float)
    cov, source = vcov, "vcov"
    if cov is None:
        for key in ("vcov", "cov"):
            if result.diagnostics.get(key) is not None:
                cov, source = result.diagnostics[key], f"diagnostics['{key}']"
                break
    if cov is not None:
        if isinstance(cov, pd.DataFrame):
            cov = cov.loc[times, times].to_numpy(dtype=float)
        S = np.asarray(cov, dtype=float)
        order = result.diagnostics.get("event_times")
        if vcov is not None and S.shape[0] == len(all_times) != len(times):
            idx = [all_times.index(t) for t in times]
            S = S[np.ix_(idx, idx)]
        if vcov is None and order is not None and S.shape[0] == len(order):
            # event_study stores the covariance of every estimated event time
            pos = {int(k): i for i, k in enumerate(order)}
            missing = [t for t in times if t not in pos]
            if missing:
                raise ValueError(f"covariance has no row for event times {missing}")
            idx = [pos[t] for t in times]
            S = S[np.ix_(idx, idx)]
    else:
        if "se_cluster" not in det:
            raise ValueError("no covariance: pass vcov=")
        S = np.diag(det["se_cluster"].to_numpy(dtype=float) ** 2)
        source = "diagonal se_cluster^2 (correlations ignored)"
    b, S = _check_inputs(b, S, len(pre), len(post))
    if pre and (pre != list(range(pre[0], -1)) or post != list(range(len(post)))):
        raise ValueError(f"event times {times} are not consecutive around the reference -1")
    return SensitivityInputs(b, S, len(pre), len(post), tuple(times), source)


# ---------------------------------------------------------------------------
# Restriction matrices (HonestDiD's .create_A_SD and .create_A_RM)
# ---------------------------------------------------------------------------


def _a_sd(num_pre: int, num_post: int) -> np.ndarray:
    """Rows :math:`\\pm` second differences of :math:`(\\delta_{pre}, 0, \\delta_{post})`."""
    n = num_pre + num_post
    At = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        At[r, r:r + 3] = (1.0, -2.0, 1.0)
    At = np.delete(At, num_pre, axis=1)  # delta_0 = 0: drop its column
    return np.vstack([At, -At])


def _a_rm(num_pre: int, num_post: int, mbar: float, s: int, max_positive: bool
          ) -> np.ndarray:
    """Rows of :math:`A_{s,\\pm}\\delta \\le 0` for :math:`\\Delta^{RM}(\\bar M)`.

    ``s`` in :math:`-(K-1)..0` locates the largest pre-period jump
    :math:`\\delta_s - \\delta_{s-1}` (sign ``+`` if ``max_positive``).
    """
    n = num_pre + num_post
    At = np.zeros((n, n + 1))
    for r in range(n):
        At[r, r:r + 2] = (-1.0, 1.0)
    v = np.zeros(n + 1)
    v[num_pre + s - 1:num_pre + s + 1] = (-1.0, 1.0)
    if not max_positive:
        v = -v
    aub = np.vstack([np.tile(v, (num_pre, 1)), np.tile(mbar * v, (num_post, 1))])
    A = np.vstack([At - aub, -At - aub])
    A = A[(A**2).sum(axis=1) > 1e-10]
    return np.delete(A, num_pre, axis=1)


def _lp_bounds(f: np.ndarray, A: np.ndarray, d: np.ndarray, Aeq: np.ndarray, beq: np.ndarray
               ) -> tuple[float, float] | None:
    """(min, max) of :math:`f'\\delta` over :math:`A\\delta \\le d, A_{eq}\\delta = b_{eq}`."""
    free = [(None, None)] * A.shape[1]
    lo = optimize.linprog(f, A_ub=A, b_ub=d, A_eq=Aeq, b_eq=beq, bounds=free, method="highs")
    hi = optimize.linprog(-f, A_ub=A, b_ub=d, A_eq=Aeq, b_eq=beq, bounds=free, method="highs")
    if lo.status != 0 or hi.status != 0:
        return None
    return float(lo.fun), float(-hi.fun)


def _l(l_vec: Any, num_post: int) -> np.ndarray:
    if l_vec is None:
        l_vec = np.eye(num_post)[0]
    lv = np.asarray(l_vec, dtype=float).ravel()
    if lv.size != num_post:
        raise ValueError(f"l_vec has {lv.size} entries, expected num_post = {num_post}")
    if not np.any(lv):
        raise ValueError("l_vec must not be zero")
    return lv


def identified_set_sd(betahat: Any, num_pre: int, num_post: int, m: float,
                      l_vec: Any = None) -> tuple[float, float]:
    """Identified set of :math:`l'\\tau_{post}` under :math:`\\Delta^{SD}(M)`, ``betahat`` known.

    .. math::

        [\\,l'\\beta_{post} - \\max_{\\delta\\in\\Delta^{SD}(M),\\,\\delta_{pre}=\\beta_{pre}} l'\\delta_{post},\\;
        l'\\beta_{post} - \\min_{\\cdots} l'\\delta_{post}\\,].

    With one pre-period and one post-period it is
    :math:`\\beta_1 + \\beta_{-2} \\pm M`: the linear trend through
    :math:`(-2, \\beta_{-2})` and :math:`(-1, 0)` predicts :math:`\\delta_1 = -\\beta_{-2}`.
    Returns ``(nan, nan)`` when :math:`\\hat\\beta_{pre}` itself is not in
    :math:`\\Delta^{SD}(M)` (the set is empty at the point estimate).
    """
    b = np.asarray(betahat, dtype=float).ravel()
    lv = _l(l_vec, num_post)
    n = num_pre + num_post
    A = _a_sd(num_pre, num_post)
    d = np.full(A.shape[0], float(m))
    Aeq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    f = np.concatenate([np.zeros(num_pre), lv])
    res = _lp_bounds(f, A, d, Aeq, b[:num_pre])
    if res is None:
        # beta_pre itself violates Delta^SD(M) (e.g. M = 0 and non-collinear
        # pre coefficients): the set is empty at the point estimate. HonestDiD
        # returns the point l'beta_post in that case; we say it is empty.
        return math.nan, math.nan
    theta = float(lv @ b[num_pre:n])
    return theta - res[1], theta - res[0]


def identified_set_rm(betahat: Any, num_pre: int, num_post: int, mbar: float,
                      l_vec: Any = None) -> tuple[float, float]:
    """Identified set of :math:`l'\\tau_{post}` under :math:`\\Delta^{RM}(\\bar M)`, ``betahat`` known.

    Union over the location and sign of the largest pre-period jump of the
    polyhedral bounds (pieces that contradict :math:`\\delta_{pre} = \\beta_{pre}`
    are empty and skipped). With :math:`\\bar M = 0` it is the point
    :math:`l'\\beta_{post}`.
    """
    b = np.asarray(betahat, dtype=float).ravel()
    lv = _l(l_vec, num_post)
    theta = float(lv @ b[num_pre:num_pre + num_post])
    Aeq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    f = np.concatenate([np.zeros(num_pre), lv])
    lows, highs = [], []
    for s in range(-(num_pre - 1), 1):
        for pos in (True, False):
            A = _a_rm(num_pre, num_post, mbar, s, pos)
            res = _lp_bounds(f, A, np.zeros(A.shape[0]), Aeq, b[:num_pre])
            if res is not None:
                lows.append(theta - res[1])
                highs.append(theta - res[0])
    if not lows:  # cannot happen: the piece of the actual largest jump is feasible
        return theta, theta
    return min(lows), max(highs)


def original_ci(betahat: Any, sigma: Any, num_pre: int, num_post: int,
                l_vec: Any = None, alpha: float = 0.05) -> tuple[float, float]:
    """Conventional interval :math:`l'\\hat\\beta_{post} \\pm z_{1-\\alpha/2}\\,sd` (parallel trends)."""
    b, S = _check_inputs(betahat, sigma, num_pre, num_post)
    lv = _l(l_vec, num_post)
    post = slice(num_pre, num_pre + num_post)
    est = float(lv @ b[post])
    sd = float(np.sqrt(lv @ S[post, post] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * sd, est + z * sd


# ---------------------------------------------------------------------------
# FLCI under Delta^SD (HonestDiD's findOptimalFLCI)
# ---------------------------------------------------------------------------


def _folded_normal_quantile(p: float, mu: float) -> float:
    """:math:`q` with :math:`P(|N(\\mu,1)| \\le q) = p`."""
    mu = abs(mu)
    if mu > 40:  # the lower tail is negligible
        return mu + stats.norm.ppf(p)

    def g(q: float) -> float:
        return stats.norm.cdf(q - mu) - stats.norm.cdf(-q - mu) - p
    hi = mu + stats.norm.ppf(p) + 10
    return float(optimize.brentq(g, 0.0, hi, xtol=1e-14, rtol=1e-14))


class _FLCIProblem:
    """Pieces of the FLCI program for given :math:`\\Sigma`, :math:`l`."""

    def __init__(self, sigma: np.ndarray, num_pre: int, num_post: int, lv: np.ndarray):
        K = num_pre
        self.K = K
        pre, post = slice(0, K), slice(K, K + num_post)
        # l_pre = Wmat w: w are cumulative sums of the pre weights
        W = np.eye(K) - np.eye(K, k=-1)
        self.W = W
        self.Q = W.T @ sigma[pre, pre] @ W
        self.a = 2 * W.T @ sigma[pre, post] @ lv
        self.c0 = float(lv @ sigma[post, post] @ lv)
        t = np.arange(1, num_post + 1)
        self.wsum = float(t @ lv)
        self.bias_const = float(sum(abs(np.arange(1, s + 1) @ lv[num_post - s:])
                                    for s in range(1, num_post + 1)) - self.wsum)
        self.L = np.tril(np.ones((K, K)))
        # minimum-variance w (KKT of min w'Qw + a'w s.t. 1'w = wsum)
        kkt = np.block([[2 * self.Q, np.ones((K, 1))], [np.ones((1, K)), np.zeros((1, 1))]])
        rhs = np.concatenate([-self.a, [self.wsum]])
        sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        self.w_minvar = sol[:K]
        self.h_min = math.sqrt(max(self.var(self.w_minvar), 0.0))
        self.w_minbias = np.zeros(K)
        self.w_minbias[-1] = self.wsum
        self.h0 = math.sqrt(max(self.var(self.w_minbias), 0.0))

    def var(self, w: np.ndarray) -> float:
        return float(w @ self.Q @ w + self.a @ w + self.c0)

    def bias(self, w: np.ndarray) -> float:
        """Worst-case bias over :math:`\\Delta^{SD}(1)`."""
        return self.bias_const + float(np.abs(self.L @ w).sum())

    def min_bias_given_h(self, h: float, w_start: np.ndarray) -> np.ndarray:
        """argmin bias(w) s.t. var(w) <= h^2 and 1'w = wsum (convex; SLSQP on (U, w))."""
        K = self.K
        if h >= self.h0:
            return self.w_minbias
        x0 = np.concatenate([np.abs(self.L @ w_start) + 1e-12, w_start])
        scale = max(h * h, 1e-300)
        cons = [
            {"type": "eq", "fun": lambda x: np.array([x[K:].sum() - self.wsum]),
             "jac": lambda x: np.concatenate([np.zeros(K), np.ones(K)])[None, :]},
            {"type": "ineq", "fun": lambda x: np.concatenate([x[:K] - self.L @ x[K:],
                                                               x[:K] + self.L @ x[K:]]),
             "jac": lambda x: np.block([[np.eye(K), -self.L], [np.eye(K), self.L]])},
            {"type": "ineq", "fun": lambda x: np.array([(h * h - self.var(x[K:])) / scale]),
             "jac": lambda x: np.concatenate(
                 [np.zeros(K), -(2 * self.Q @ x[K:] + self.a) / scale])[None, :]},
        ]
        res = optimize.minimize(lambda x: x[:K].sum(), x0,
                                jac=lambda x: np.concatenate([np.ones(K), np.zeros(K)]),
                                constraints=cons, method="SLSQP",
                                options={"maxiter": 500, "ftol": 1e-15})
        w = res.x[K:]
        # keep only feasible improvements over the start point
        if self.var(w) > h * h * (1 + 1e-7) or self.bias(w) > self.bias(w_start):
            return w_start
        return w


def flci_sd(betahat: Any, sigma: Any, num_pre: int, num_post: int, m: float,
            l_vec: Any = None, alpha: float = 0.05,
            folded_quantile: Callable[[float, float], float] | None = None
            ) -> dict[str, Any]:
    """Optimal fixed-length confidence interval under :math:`\\Delta^{SD}(M)`.

    ``folded_quantile(p, t)`` replaces the exact quantile of :math:`|N(t, 1)|`
    (the tests pass HonestDiD's simulated one to reproduce its output).

    Returns
    -------
    dict
        ``ci`` (lo, hi), ``half_length``, ``weights`` (the full vector
        :math:`v`, pre weights then :math:`l`), ``sd`` and ``max_bias`` of the
        chosen estimator.

    Notes
    -----
    With :math:`M = 0` the bias term vanishes and the interval is
    :math:`v'\\hat\\beta \\pm z_{1-\\alpha/2}\\,h_{min}`: the minimum-variance
    linear extrapolation of the pre-trend.
    """
    b, S = _check_inputs(betahat, sigma, num_pre, num_post)
    lv = _l(l_vec, num_post)
    if m < 0:
        raise ValueError("M must be >= 0")
    P = _FLCIProblem(S, num_pre, num_post, lv)
    fq = _folded_normal_quantile if folded_quantile is None else folded_quantile
    cache: dict[float, np.ndarray] = {}

    def w_of(h: float) -> np.ndarray:
        if h not in cache:
            # warm start from the min-variance solution (feasible for every h >= h_min)
            cache[h] = P.min_bias_given_h(h, P.w_minvar)
        return cache[h]

    def half(h: float) -> float:
        w = w_of(h)
        sd = math.sqrt(max(P.var(w), 1e-300))
        return sd * fq(1 - alpha, m * P.bias(w) / sd)

    if m == 0 or P.h0 <= P.h_min * (1 + 1e-12):
        w = P.w_minvar if m == 0 else P.w_minbias
    else:
        lo, hi = P.h_min * (1 + 1e-9), P.h0
        # the half-length is convex in h: a corner is optimal when the slope
        # there points outwards (checked first, as HonestDiD does; saves the
        # slow convergence of Brent's search onto a bound)
        eps = 1e-6 * (hi - lo)
        if half(hi - eps) >= half(hi):
            w = w_of(hi)
        elif half(lo + eps) >= half(lo):
            w = w_of(lo)
        else:
            r = optimize.minimize_scalar(half, bounds=(lo, hi), method="bounded",
                                         options={"xatol": 1e-9 * max(hi, 1e-12)})
            cand = [(half(h), h) for h in (r.x, lo, hi)]
            w = w_of(min(cand)[1])
    sd = math.sqrt(max(P.var(w), 0.0))
    bias = m * P.bias(w)
    hl = sd * fq(1 - alpha, bias / sd) if sd > 0 else bias
    v = np.concatenate([P.W @ w, lv])
    center = float(v @ b)
    return {"ci": (center - hl, center + hl), "half_length": hl, "weights": v,
            "sd": sd, "max_bias": bias}


# ---------------------------------------------------------------------------
# Conditional / hybrid test of Andrews, Roth & Pakes (HonestDiD's arp-nuisance.R)
# ---------------------------------------------------------------------------

_MAX_SUPPORTS = 300_000
_RAYS: dict[tuple[Any, bytes], np.ndarray | None] = {}


def _dual_vertices(sd: np.ndarray, X: np.ndarray) -> np.ndarray | None:
    """Vertices of :math:`\\{\\lambda\\ge 0: sd'\\lambda = 1, X'\\lambda = 0\\}` (rows), or None."""
    m, k = X.shape
    E = np.vstack([sd, X.T])  # (k+1) x m
    size = k + 1
    if size > m:
        return np.zeros((0, m))
    if math.comb(m, size) > _MAX_SUPPORTS:
        return None
    supports = np.array(list(itertools.combinations(range(m), size)))
    mats = E[:, supports].transpose(1, 0, 2)  # (n_sup, k+1, k+1)
    rhs = np.zeros(size)
    rhs[0] = 1.0
    dets = np.linalg.det(mats)
    scale = np.abs(E).max() ** size
    ok = np.abs(dets) > 1e-12 * scale
    sols = np.linalg.solve(mats[ok], np.broadcast_to(rhs, (ok.sum(), size))[..., None])[..., 0]
    feas = np.all(sols >= -1e-12, axis=1)
    lam = np.zeros((int(feas.sum()), m))
    rows = np.arange(lam.shape[0])[:, None]
    lam[rows, supports[ok][feas]] = np.clip(sols[feas], 0, None)
    # deduplicate (degenerate vertices appear under several supports)
    lam = np.unique(np.round(lam, 12), axis=0)
    return lam


def _eta_lp(y: np.ndarray, X: np.ndarray, sd: np.ndarray) -> tuple[float, np.ndarray]:
    """:math:`\\min \\eta` s.t. :math:`y - X\\tau \\le \\eta\\,sd`; returns (eta, dual lambda)."""
    m, k = X.shape
    c = np.zeros(k + 1)
    c[0] = 1.0
    A = -np.hstack([sd[:, None], X])
    res = optimize.linprog(c, A_ub=A, b_ub=-y, bounds=[(None, None)] * (k + 1), method="highs")
    if res.status != 0:
        return np.nan, np.full(m, np.nan)
    return float(res.fun), -np.asarray(res.ineqlin.marginals)


class _EtaSolver:
    """:math:`\\hat\\eta(y)` and its dual vertex for fixed :math:`X`, :math:`sd`."""

    def __init__(self, X: np.ndarray, sd: np.ndarray):
        self.X, self.sd = X, sd
        if X.shape[1] == 0:
            self.V = np.diag(1 / sd)
            return
        # the vertices are the extreme rays of the cone {lambda >= 0, X'lambda = 0}
        # scaled to sd'lambda = 1: enumerate the rays once per X (the post part
        # of the moments, the same for every s, sign and Mbar)
        key = (X.shape, np.round(X, 12).tobytes())
        if key not in _RAYS:
            if len(_RAYS) > 16:
                _RAYS.clear()
            _RAYS[key] = _dual_vertices(np.ones(X.shape[0]), X)
        R = _RAYS[key]
        self.V = None if R is None else R / (R @ sd)[:, None]

    def solve(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Y: (n, m) rows of y; returns eta (n,), lambda (n, m)."""
        if self.V is not None and self.V.shape[0] > 0:
            vals = Y @ self.V.T
            j = np.argmax(vals, axis=1)
            return vals[np.arange(len(Y)), j], self.V[j]
        out = [_eta_lp(y, self.X, self.sd) for y in Y]
        return np.array([o[0] for o in out]), np.array([o[1] for o in out])


def _truncnorm_quantile(p: float, lo: float, hi: float) -> float:
    """Quantile of N(0,1) truncated to [lo, hi] (stable in the tails)."""
    if lo >= hi:
        return lo
    # work on the side of the distribution with the most mass
    if lo > 0:
        # survival S(x) = Phi(-x): S(q) = S(lo) - p (S(lo) - S(hi)), in logs
        slo, shi = special.log_ndtr(-lo), special.log_ndtr(-hi)
        a = slo + np.log1p(-p * (1 - np.exp(shi - slo)))
        return float(-special.ndtri(np.exp(a)))
    clo, chi = special.ndtr(lo), special.ndtr(hi)
    return float(special.ndtri(clo + p * (chi - clo)))


def _vlo_vup_dual(eta: float, s_T: np.ndarray, gamma: np.ndarray, sigma: np.ndarray,
                  W_T: np.ndarray, V: np.ndarray | None = None) -> tuple[float, float]:
    r"""Truncation bounds by bisection on the dual (HonestDiD's .vlo_vup_dual_fn).

    The inner linear program :math:`\max_\lambda (s_T + b c)'\lambda` over the
    dual polytope is evaluated on its enumerated vertices ``V`` when given.
    """
    tol_c, tol_eq = 1e-6, 1e-6
    gsg = float(gamma @ sigma @ gamma)
    sigma_B = math.sqrt(gsg)
    b = sigma @ gamma / gsg
    Aeq = W_T.T
    beq = np.zeros(Aeq.shape[0])
    beq[0] = 1.0

    if V is not None and V.shape[0] > 0:
        # closed form: the inner value g(c) = max_j (p_j + q_j c) is convex and
        # g(c) >= c with equality at c = eta (the vertex gamma gives exactly c),
        # so the set {g(c) = c} is [max_{q_j<1} c_j, min_{q_j>1} c_j] with
        # c_j = p_j / (1 - q_j); HonestDiD finds the same ends by bisection
        # (to 1e-6), starting from these very points.
        p, q = V @ s_T, V @ b
        with np.errstate(divide="ignore", invalid="ignore"):
            cj = p / (1 - q)
        up = (q > 1 + 1e-10) & (cj >= eta - tol_eq)
        lo = (q < 1 - 1e-10) & (cj <= eta + tol_eq)
        vup = float(cj[up].min()) if up.any() else math.inf
        vlo = float(cj[lo].max()) if lo.any() else -math.inf
        return min(vlo, eta), max(vup, eta)

    def check(c: float) -> tuple[bool, np.ndarray | None]:
        f = s_T + b * c
        res = optimize.linprog(-f, A_eq=Aeq, b_eq=beq, bounds=[(0, None)] * len(f),
                               method="highs")
        if res.status != 0:
            return False, None
        return abs(c - (-res.fun)) <= tol_eq, res.x

    def roundeps(x: float) -> float:
        return 0.0 if abs(x) < np.finfo(float).eps ** 0.75 else x

    ok, _ = check(eta)
    if not ok:
        return eta, math.inf
    bounds = []
    for side in (+1, -1):
        start = max(100.0, eta + 20 * sigma_B) if side > 0 else min(-100.0, eta - 20 * sigma_B)
        ok, sol = check(start)
        if ok:
            bounds.append(math.inf * side)
            continue
        mid = roundeps(float(sol @ s_T)) / (1 - float(sol @ b))
        it = 1
        failed = False
        while True:
            ok, sol = check(mid)
            if ok:
                break
            it += 1
            if it >= 10 or sol is None:
                failed = True
                break
            mid = roundeps(float(sol @ s_T)) / (1 - float(sol @ b))
        if failed:
            bounds.append(mid)
            continue
        lo, hi = (eta, mid) if side > 0 else (mid, eta)
        while hi - lo > tol_c:
            mid = (lo + hi) / 2
            inside, _ = check(mid)
            if (inside and side > 0) or (not inside and side < 0):
                lo = mid
            else:
                hi = mid
        bounds.append(mid)
    return bounds[1], bounds[0]


def _arp_test(y: np.ndarray, X: np.ndarray, sigma: np.ndarray, alpha: float,
              lf_cv: float | None, kappa: float, eta: float, lam: np.ndarray,
              V: np.ndarray | None = None) -> bool:
    """Conditional (or LF hybrid) test of :math:`H_0: \\exists\\tau: E[y] - X\\tau \\le 0`.

    Returns True when rejected. ``eta``, ``lam``: the LP value and dual vertex.
    """
    if not np.isfinite(eta):
        return False
    if lf_cv is not None:
        if eta > lf_cv:
            return True
        size = (alpha - kappa) / (1 - kappa)
    else:
        size = alpha
    m, k = X.shape
    sd = np.sqrt(np.diag(sigma))
    tol = 1e-6
    B = lam > tol
    degenerate = B.sum() != k + 1
    XB = X[B]
    if k == 0 or degenerate:
        full_rank = True
    else:
        full_rank = XB.size > 0 and np.linalg.matrix_rank(XB) == min(XB.shape)
    if degenerate or not full_rank:
        W_T = np.hstack([sd[:, None], X])
        gsg = float(lam @ sigma @ lam)
        if abs(gsg) < np.finfo(float).eps:
            return eta > 0
        s_T = y - sigma @ lam * (lam @ y) / gsg
        vlo, vup = _vlo_vup_dual(eta, s_T, lam, sigma, W_T, V)
        sigma_B = math.sqrt(gsg)
        maxstat = eta / sigma_B
        zlo = vlo / sigma_B
        zup = (min(vup, lf_cv) if lf_cv is not None else vup) / sigma_B
    else:
        Bc = ~B
        MB = np.hstack([sd[B, None], X[B]])
        MBinv = np.linalg.inv(MB)
        SB = np.eye(m)[B]
        SBc = np.eye(m)[Bc]
        Gamma_B = np.hstack([sd[Bc, None], X[Bc]]) @ MBinv @ SB - SBc
        v_B = (MBinv[0] @ SB)
        s2 = float(v_B @ sigma @ v_B)
        sigma_B = math.sqrt(s2)
        rho = Gamma_B @ sigma @ v_B / s2
        with np.errstate(divide="ignore", invalid="ignore"):
            mm = -(Gamma_B @ y) / rho + v_B @ y
        vlo = mm[rho > 0].max() if np.any(rho > 0) else -math.inf
        vup = mm[rho < 0].min() if np.any(rho < 0) else math.inf
        zlo = vlo / sigma_B
        zup = (min(vup, lf_cv) if lf_cv is not None else vup) / sigma_B
        maxstat = eta / sigma_B
    if not (zlo <= maxstat <= zup):
        return False
    cval = max(0.0, _truncnorm_quantile(1 - size, zlo, zup))
    return bool(maxstat > cval)


def _lf_cv(X: np.ndarray | None, sigma: np.ndarray, kappa: float, sims: int,
           rng: np.random.Generator, solver: _EtaSolver | None = None) -> float:
    """Least-favourable critical value: 1-kappa quantile of eta under y ~ N(0, sigma)."""
    xi = rng.multivariate_normal(np.zeros(sigma.shape[0]), sigma, size=sims,
                                 method="eigh")
    if X is None or solver is None:
        eta = (xi / np.sqrt(np.diag(sigma))).max(axis=1)
    else:
        eta, _ = solver.solve(xi)
    eta = eta[np.isfinite(eta)]
    return float(np.quantile(eta, 1 - kappa))


def _construct_gamma(lv: np.ndarray) -> np.ndarray:
    """Invertible matrix with first row :math:`l'` and unit rows (HonestDiD's .construct_Gamma)."""
    rows = [lv]
    for j in range(len(lv)):
        if len(rows) == len(lv):
            break
        e = np.eye(len(lv))[j]
        if np.linalg.matrix_rank(np.vstack(rows + [e])) == len(rows) + 1:
            rows.append(e)
    return np.vstack(rows)


def _accept_grid_piece(b: np.ndarray, S: np.ndarray, num_pre: int, num_post: int,
                       A: np.ndarray, lv: np.ndarray, grid: np.ndarray, alpha: float,
                       hybrid: str, kappa: float, sims: int, seed: int) -> np.ndarray:
    """Accept/reject over ``grid`` for one polyhedral piece :math:`A\\delta \\le 0`."""
    rng = np.random.default_rng(seed)
    post = slice(num_pre, num_pre + num_post)
    lf = hybrid == "LF"
    if num_post == 1:
        # no nuisance parameter: moments A (beta - e theta) <= 0 on the rows touching post
        rows = np.nonzero(A[:, -1] != 0)[0]
        A = A[rows]
        SY = A @ S @ A.T
        sdY = np.sqrt(np.diag(SY))
        cv = _lf_cv(None, SY, kappa, sims, rng) if lf else None
        size = (alpha - kappa) / (1 - kappa) if lf else alpha
        At = A / sdY[:, None]
        e = np.zeros(len(b))
        e[num_pre] = 1.0
        out = np.zeros(len(grid), dtype=bool)
        for i, th in enumerate(grid):
            yv = b - e * th
            nm = At @ yv
            j = int(np.argmax(nm))
            if cv is not None and nm[j] > cv:
                continue
            gamma = At[j]
            Abar = At - At[j][None, :]
            dbar = np.zeros(len(nm))
            gsg = float(gamma @ S @ gamma)
            c = S @ gamma / gsg
            z = yv - c * (gamma @ yv)
            Ac = Abar @ c
            with np.errstate(divide="ignore", invalid="ignore"):
                obj = (dbar - Abar @ z) / Ac
            vlo = obj[Ac < 0].max() if np.any(Ac < 0) else -math.inf
            vup = obj[Ac > 0].min() if np.any(Ac > 0) else math.inf
            sb = math.sqrt(gsg)
            crit = max(0.0, sb * _truncnorm_quantile(1 - size, vlo / sb, vup / sb))
            out[i] = not (nm[j] > crit)
        return out
    # nuisance case: theta = l'tau, the other coordinates of Gamma tau are nuisance
    G = _construct_gamma(lv)
    AGinv = A[:, post] @ np.linalg.inv(G)
    a1, X = AGinv[:, 0], AGinv[:, 1:]
    Y = A @ b
    SY = A @ S @ A.T
    rows = np.nonzero(np.any(A[:, post] != 0, axis=1))[0]
    Xr, SYr, a1r, Yr = X[rows], SY[np.ix_(rows, rows)], a1[rows], Y[rows]
    sd = np.sqrt(np.diag(SYr))
    solver = _EtaSolver(Xr, sd)
    cv = _lf_cv(Xr, SYr, kappa, sims, rng, solver) if lf else None
    Ys = Yr[None, :] - np.outer(grid, a1r)
    eta, lam = solver.solve(Ys)
    out = np.zeros(len(grid), dtype=bool)
    if solver.V is None:
        for i in range(len(grid)):
            out[i] = not _arp_test(Ys[i], Xr, SYr, alpha, cv, kappa, eta[i], lam[i])
        return out
    # group the grid points by their dual vertex: the conditioning event only
    # depends on the vertex, so the non-degenerate test is vectorised per vertex
    keys = np.unique(lam, axis=0, return_inverse=True)[1].ravel()
    for g in np.unique(keys):
        idx = np.nonzero(keys == g)[0]
        pre = _vertex_pieces(lam[idx[0]], Xr, SYr)
        if pre is None:
            for i in idx:
                out[i] = not _arp_test(Ys[i], Xr, SYr, alpha, cv, kappa, eta[i], lam[i],
                                       solver.V)
            continue
        out[idx] = ~_nondegenerate_reject(Ys[idx], eta[idx], pre, alpha, cv, kappa)
    return out


def _vertex_pieces(lam: np.ndarray, X: np.ndarray, sigma: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray] | None:
    """(Gamma_B, v_B, sigma_B, rho) of a non-degenerate dual vertex, else None."""
    m, k = X.shape
    B = lam > 1e-6
    if B.sum() != k + 1:
        return None
    if k > 0 and np.linalg.matrix_rank(X[B]) != min(X[B].shape):
        return None
    sd = np.sqrt(np.diag(sigma))
    MB = np.hstack([sd[B, None], X[B]])
    MBinv = np.linalg.inv(MB)
    SB = np.eye(m)[B]
    Gamma_B = np.hstack([sd[~B, None], X[~B]]) @ MBinv @ SB - np.eye(m)[~B]
    v_B = MBinv[0] @ SB
    s2 = float(v_B @ sigma @ v_B)
    rho = Gamma_B @ sigma @ v_B / s2
    return Gamma_B, v_B, math.sqrt(s2), rho


def _nondegenerate_reject(Y: np.ndarray, eta: np.ndarray,
                          pieces: tuple[np.ndarray, np.ndarray, float, np.ndarray],
                          alpha: float, lf_cv: float | None, kappa: float) -> np.ndarray:
    """Vectorised :func:`_arp_test` (non-degenerate branch) for rows of ``Y`` sharing a vertex."""
    Gamma_B, v_B, sigma_B, rho = pieces
    n = len(Y)
    reject = np.zeros(n, dtype=bool)
    fin = np.isfinite(eta)
    size = alpha
    if lf_cv is not None:
        first = fin & (eta > lf_cv)
        reject |= first
        fin &= ~first
        size = (alpha - kappa) / (1 - kappa)
    with np.errstate(divide="ignore", invalid="ignore"):
        mm = -(Y @ Gamma_B.T) / rho[None, :] + (Y @ v_B)[:, None]
    vlo = mm[:, rho > 0].max(axis=1) if np.any(rho > 0) else np.full(n, -math.inf)
    vup = mm[:, rho < 0].min(axis=1) if np.any(rho < 0) else np.full(n, math.inf)
    if lf_cv is not None:
        vup = np.minimum(vup, lf_cv)
    zlo, zup, stat = vlo / sigma_B, vup / sigma_B, eta / sigma_B
    inside = fin & (zlo <= stat) & (stat <= zup)
    for i in np.nonzero(inside)[0]:
        cval = max(0.0, _truncnorm_quantile(1 - size, zlo[i], zup[i]))
        reject[i] = stat[i] > cval
    return reject


def conditional_ci_rm(betahat: Any, sigma: Any, num_pre: int, num_post: int, mbar: float,
                      l_vec: Any = None, alpha: float = 0.05, hybrid: str = "LF",
                      grid_points: int = 1000, grid_lb: float | None = None,
                      grid_ub: float | None = None, sims: int = 1000, seed: int = 0
                      ) -> dict[str, Any]:
    """Robust confidence set under :math:`\\Delta^{RM}(\\bar M)` by test inversion.

    Parameters
    ----------
    hybrid
        ``"LF"`` (conditional least-favourable hybrid, HonestDiD's default
        "C-LF") or ``"ARP"`` (purely conditional, HonestDiD's "Conditional").
    grid_points, grid_lb, grid_ub
        Grid of :math:`\\theta` values tested; default :math:`\\pm 20\\,sd` of
        :math:`l'\\hat\\beta_{post}` around 0, as HonestDiD.

    Returns
    -------
    dict
        ``ci`` (min, max of the accepted grid values; NaN when none is
        accepted), ``grid``, ``accept`` (bool array), ``open`` (True when an
        end of the grid is accepted, so the interval may be longer).
    """
    b, S = _check_inputs(betahat, sigma, num_pre, num_post)
    lv = _l(l_vec, num_post)
    if mbar < 0:
        raise ValueError("Mbar must be >= 0")
    if hybrid not in ("LF", "ARP"):
        raise ValueError("hybrid must be 'LF' or 'ARP'")
    post = slice(num_pre, num_pre + num_post)
    sd_theta = float(np.sqrt(lv @ S[post, post] @ lv))
    lo = -20 * sd_theta if grid_lb is None else grid_lb
    hi = 20 * sd_theta if grid_ub is None else grid_ub
    grid = np.linspace(lo, hi, grid_points)
    kappa = alpha / 10
    accept = np.zeros(grid_points, dtype=bool)
    for s in range(-(num_pre - 1), 1):
        for pos in (True, False):
            A = _a_rm(num_pre, num_post, mbar, s, pos)
            accept |= _accept_grid_piece(b, S, num_pre, num_post, A, lv, grid, alpha,
                                         hybrid, kappa, sims, seed)
    if accept.any():
        ci = (float(grid[accept].min()), float(grid[accept].max()))
    else:
        ci = (math.nan, math.nan)
    return {"ci": ci, "grid": grid, "accept": accept,
            "open": bool(accept[0] or accept[-1])}


# ---------------------------------------------------------------------------
# Sensitivity tables and breakdown values
# ---------------------------------------------------------------------------


@dataclass
class SensitivityResult:
    """Robust intervals over a grid of :math:`M` (or :math:`\\bar M`) and the breakdown value.

    Attributes
    ----------
    frame
        One row per value: ``restriction``, ``m``, ``id_lb``, ``id_ub``
        (identified set at :math:`\\hat\\beta`), ``ci_lo``, ``ci_hi`` (robust
        interval), ``method`` ("FLCI" or "C-LF"/"Conditional"),
        ``contains_zero``, ``level``; plus a row ``m = NaN``, ``method =
        "original"`` holding the conventional interval under parallel trends.
    breakdown
        Smallest :math:`M` at which the robust interval contains 0 (bisection
        to ``tol``); 0 when the conventional interval already does; ``inf``
        when none up to the search ceiling does.
    breakdown_grid
        First grid value whose interval contains 0 (NaN when none).
    restriction, target
        ``"smoothness"`` or ``"relative_magnitudes"``; the weights :math:`l`.
    sigma_source
        Where the covariance came from.
    """

    frame: pd.DataFrame
    breakdown: float
    breakdown_grid: float
    restriction: str
    target: np.ndarray
    sigma_source: str = "given"
    notes: list[str] = field(default_factory=list)


def _robust_ci(inp: SensitivityInputs, restriction: str, m: float, lv: np.ndarray,
               alpha: float, rm_method: str, grid_points: int, seed: int
               ) -> tuple[tuple[float, float], str]:
    if restriction == "smoothness":
        r = flci_sd(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv, alpha)
        return r["ci"], "FLCI"
    hyb = "LF" if rm_method == "C-LF" else "ARP"
    r = conditional_ci_rm(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv, alpha,
                          hybrid=hyb, grid_points=grid_points, seed=seed)
    if r["open"]:
        # HonestDiD's default grid (+-20 sd around 0) cut the set: widen it around
        # the identified set and test again
        post = slice(inp.num_pre, inp.num_pre + inp.num_post)
        sd = float(np.sqrt(lv @ inp.sigma[post, post] @ lv))
        ilo, ihi = identified_set_rm(inp.betahat, inp.num_pre, inp.num_post, m, lv)
        g = r["grid"]
        lo = min(g[0], ilo - 20 * sd) if r["accept"][0] else g[0]
        hi = max(g[-1], ihi + 20 * sd) if r["accept"][-1] else g[-1]
        r = conditional_ci_rm(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv, alpha,
                              hybrid=hyb, grid_points=grid_points, grid_lb=lo, grid_ub=hi,
                              seed=seed)
        if r["open"]:
            return (-math.inf if r["accept"][0] else r["ci"][0],
                    math.inf if r["accept"][-1] else r["ci"][1]), rm_method
    return r["ci"], rm_method


def _contains_zero(ci: tuple[float, float]) -> bool:
    lo, hi = ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    return lo <= 0 <= hi


def breakdown_value(inp: SensitivityInputs, restriction: str, l_vec: Any = None,
                    alpha: float = 0.05, rm_method: str = "C-LF", grid_points: int = 1000,
                    seed: int = 0, tol: float | None = None, upper: float | None = None
                    ) -> float:
    """Smallest :math:`M` (or :math:`\\bar M`) whose robust interval contains 0.

    Bisection on :math:`[0, upper]`: the restriction sets are nested in
    :math:`M`, so the robust sets grow with it (for :math:`\\Delta^{RM}` the
    C-LF test of :math:`\\theta = 0` is run directly; for the FLCI, whose
    centre moves with :math:`M`, the result is the crossing found by bisection
    and a non-monotone FLCI could cross more than once). ``upper`` defaults to
    :math:`\\bar M = 10` for relative magnitudes and to :math:`10\\,\\max
    |\\hat\\beta|` for smoothness, doubled until the interval contains 0
    (``inf`` if it never does after 8 doublings). ``tol`` defaults to
    :math:`10^{-3}` of ``upper``.
    """
    if restriction not in RESTRICTIONS:
        raise ValueError(f"restriction must be one of {RESTRICTIONS}")
    lv = _l(l_vec, inp.num_post)

    def has0(m: float) -> bool:
        if restriction == "relative_magnitudes":
            # is theta = 0 in the confidence set? One test per piece, no grid
            hyb = "LF" if rm_method == "C-LF" else "ARP"
            r = conditional_ci_rm(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv,
                                  alpha, hybrid=hyb, grid_points=1, grid_lb=0.0, grid_ub=0.0,
                                  seed=seed)
            return bool(r["accept"][0])
        ci, _ = _robust_ci(inp, restriction, m, lv, alpha, rm_method, grid_points, seed)
        return _contains_zero(ci)

    if has0(0.0):
        return 0.0
    if upper is None:
        upper = 10.0 if restriction == "relative_magnitudes" else 10 * float(
            np.abs(inp.betahat).max())
    hi = float(upper)
    for _ in range(8):
        if has0(hi):
            break
        hi *= 2
    else:
        return math.inf
    lo = 0.0
    tol = 1e-3 * hi if tol is None else tol
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if has0(mid):
            hi = mid
        else:
            lo = mid
    return hi


def sensitivity_analysis(
    result: EstimateResult | SensitivityInputs | None = None,
    *,
    restriction: str = "smoothness",
    m_grid: Any = None,
    l_vec: Any = None,
    alpha: float = 0.05,
    betahat: Any = None,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    vcov: Any = None,
    rm_method: str = "C-LF",
    grid_points: int = 1000,
    seed: int = 0,
    compute_breakdown: bool = True,
    drop_binned: bool = True,
) -> SensitivityResult:
    """Robust intervals for :math:`l'\\tau_{post}` over a grid of :math:`M` or :math:`\\bar M`.

    Parameters
    ----------
    result
        :class:`EstimateResult` of :func:`~reindus.evaluation.event_study.event_study`
        (see :func:`sensitivity_inputs` for the covariance), or
        :class:`SensitivityInputs`; or None with explicit ``betahat, sigma,
        num_pre, num_post`` (HonestDiD's arguments).
    restriction
        ``"smoothness"`` (:math:`\\Delta^{SD}(M)`, FLCI) or
        ``"relative_magnitudes"`` (:math:`\\Delta^{RM}(\\bar M)`, C-LF).
    m_grid
        Values of :math:`M` / :math:`\\bar M`. Default: 10 values from 0 to the
        standard error of the first pre coefficient (smoothness), or
        0, 0.25, ..., 2 (relative magnitudes).
    l_vec
        Target weights on the post coefficients (default: the first post
        period; ``np.full(T, 1/T)`` for the average).
    alpha
        1 - confidence level.
    rm_method
        ``"C-LF"`` (default) or ``"Conditional"`` for relative magnitudes.
    grid_points, seed
        Test-inversion grid and seed of the least-favourable simulation (C-LF).
    compute_breakdown
        Also compute the breakdown value by bisection (more evaluations).
    drop_binned
        Leave out binned endpoint coefficients (see :func:`sensitivity_inputs`).

    Returns
    -------
    SensitivityResult
    """
    if restriction not in RESTRICTIONS:
        raise ValueError(f"restriction must be one of {RESTRICTIONS}")
    if rm_method not in ("C-LF", "Conditional"):
        raise ValueError("rm_method must be 'C-LF' or 'Conditional'")
    if isinstance(result, SensitivityInputs):
        inp = result
    else:
        inp = sensitivity_inputs(result, betahat=betahat, sigma=sigma, num_pre=num_pre,
                                 num_post=num_post, vcov=vcov, drop_binned=drop_binned)
    lv = _l(l_vec, inp.num_post)
    if m_grid is None:
        if restriction == "smoothness":
            m_grid = np.linspace(0, math.sqrt(inp.sigma[0, 0]), 10)
        else:
            m_grid = np.arange(0, 2.01, 0.25)
    m_grid = [float(m) for m in np.atleast_1d(m_grid)]
    if any(m < 0 for m in m_grid):
        raise ValueError("M values must be >= 0")
    rows = []
    for m in m_grid:
        if restriction == "smoothness":
            ilb, iub = identified_set_sd(inp.betahat, inp.num_pre, inp.num_post, m, lv)
        else:
            ilb, iub = identified_set_rm(inp.betahat, inp.num_pre, inp.num_post, m, lv)
        ci, meth = _robust_ci(inp, restriction, m, lv, alpha, rm_method, grid_points, seed)
        rows.append({"restriction": restriction, "m": m, "id_lb": ilb, "id_ub": iub,
                     "ci_lo": ci[0], "ci_hi": ci[1], "method": meth,
                     "contains_zero": _contains_zero(ci), "level": 1 - alpha})
    olo, ohi = original_ci(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, lv, alpha)
    est = float(lv @ inp.betahat[inp.num_pre:])
    rows.append({"restriction": restriction, "m": math.nan, "id_lb": est, "id_ub": est,
                 "ci_lo": olo, "ci_hi": ohi, "method": "original",
                 "contains_zero": _contains_zero((olo, ohi)), "level": 1 - alpha})
    frame = pd.DataFrame(rows)
    grid_rows = frame[(frame["method"] != "original") & frame["contains_zero"]]
    bgrid = float(grid_rows["m"].min()) if len(grid_rows) else math.nan
    notes = []
    if inp.sigma_source.startswith("diagonal"):
        notes.append("covariance is diagonal (se_cluster^2): correlations between event-study "
                     "coefficients ignored")
    if compute_breakdown:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bd = breakdown_value(inp, restriction, lv, alpha, rm_method, grid_points, seed)
    else:
        bd = math.nan
    return SensitivityResult(frame=frame, breakdown=bd, breakdown_grid=bgrid,
                             restriction=restriction, target=lv,
                             sigma_source=inp.sigma_source, notes=notes)

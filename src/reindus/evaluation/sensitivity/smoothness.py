r"""Optimal fixed-length confidence interval under :math:`\Delta^{SD}(M)` (HonestDiD's findOptimalFLCI).

Armstrong and Kolesár's FLCI: among affine estimators :math:`a + v'\hat\beta` with
:math:`v_{post} = l`, the pre weights minimise the half-length
:math:`\chi = \sigma_v\, cv_\alpha(\bar b_v / \sigma_v)`; see the package docstring
of :mod:`reindus.evaluation.sensitivity` for the algorithm and its differences from HonestDiD.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import optimize, stats

from reindus.evaluation.sensitivity.identified import target_vector
from reindus.evaluation.sensitivity.inputs import check_inputs


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
    b, S = check_inputs(betahat, sigma, num_pre, num_post)
    lv = target_vector(l_vec, num_post)
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

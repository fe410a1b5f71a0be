r"""The conditional / hybrid moment-inequality test of Andrews, Roth & Pakes (HonestDiD's arp-nuisance.R).

The linear program :math:`\hat\eta = \min_{\eta,\tau} \eta` s.t.
:math:`\tilde y - \tilde X\tau \le \eta\,\tilde\sigma` is solved through its dual over
the vertices of :math:`\{\lambda \ge 0, \tilde\sigma'\lambda = 1, \tilde X'\lambda = 0\}`
(enumerated once and cached), with a ``linprog`` fallback; the truncation bounds of the
conditional test and the least-favourable critical value are computed here.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np
from scipy import optimize, special

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

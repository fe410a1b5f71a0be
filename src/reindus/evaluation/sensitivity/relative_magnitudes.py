r"""Robust confidence set under :math:`\Delta^{RM}(\bar M)`: the C-LF hybrid test, inverted on a grid.

HonestDiD's ``computeConditionalCS_DeltaRM``: for each location and sign of the
largest pre-period jump, the grid of :math:`\theta` values accepted by the
conditional least-favourable hybrid test (:mod:`._arp`); the confidence set is
their union, reported as [min, max] of the accepted grid points.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from reindus.evaluation.sensitivity._arp import _arp_test, _EtaSolver, _lf_cv, _truncnorm_quantile
from reindus.evaluation.sensitivity.identified import rm_constraints, target_vector
from reindus.evaluation.sensitivity.inputs import check_inputs


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
    b, S = check_inputs(betahat, sigma, num_pre, num_post)
    lv = target_vector(l_vec, num_post)
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
            A = rm_constraints(num_pre, num_post, mbar, s, pos)
            accept |= _accept_grid_piece(b, S, num_pre, num_post, A, lv, grid, alpha,
                                         hybrid, kappa, sims, seed)
    if accept.any():
        ci = (float(grid[accept].min()), float(grid[accept].max()))
    else:
        ci = (math.nan, math.nan)
    return {"ci": ci, "grid": grid, "accept": accept,
            "open": bool(accept[0] or accept[-1])}

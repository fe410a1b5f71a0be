r"""Restriction matrices of :math:`\Delta^{SD}` and :math:`\Delta^{RM}`, identified sets, original CI.

The restriction matrices are HonestDiD's ``.create_A_SD`` and ``.create_A_RM``; the
identified set :math:`[\theta^{lb}, \theta^{ub}]` is
:math:`l'\beta_{post} - \max / \min \{l'\delta_{post} : \delta \in \Delta,
\delta_{pre} = \beta_{pre}\}`, two linear programs (for :math:`\Delta^{RM}` the union
over the location and sign of the largest pre-period jump).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import optimize, stats

from reindus.evaluation.sensitivity.inputs import check_inputs


def _a_sd(num_pre: int, num_post: int) -> np.ndarray:
    """Rows :math:`\\pm` second differences of :math:`(\\delta_{pre}, 0, \\delta_{post})`."""
    n = num_pre + num_post
    At = np.zeros((n - 1, n + 1))
    for r in range(n - 1):
        At[r, r:r + 3] = (1.0, -2.0, 1.0)
    At = np.delete(At, num_pre, axis=1)  # delta_0 = 0: drop its column
    return np.vstack([At, -At])


def rm_constraints(num_pre: int, num_post: int, mbar: float, s: int, max_positive: bool
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


def target_vector(l_vec: Any, num_post: int) -> np.ndarray:
    """The weights :math:`l` of the target :math:`\\theta = l'\\tau_{post}` (default: the
    first post period), checked to have ``num_post`` entries."""
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
    lv = target_vector(l_vec, num_post)
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
    lv = target_vector(l_vec, num_post)
    theta = float(lv @ b[num_pre:num_pre + num_post])
    Aeq = np.hstack([np.eye(num_pre), np.zeros((num_pre, num_post))])
    f = np.concatenate([np.zeros(num_pre), lv])
    lows, highs = [], []
    for s in range(-(num_pre - 1), 1):
        for pos in (True, False):
            A = rm_constraints(num_pre, num_post, mbar, s, pos)
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
    b, S = check_inputs(betahat, sigma, num_pre, num_post)
    lv = target_vector(l_vec, num_post)
    post = slice(num_pre, num_pre + num_post)
    est = float(lv @ b[post])
    sd = float(np.sqrt(lv @ S[post, post] @ lv))
    z = stats.norm.ppf(1 - alpha / 2)
    return est - z * sd, est + z * sd

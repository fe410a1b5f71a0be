r"""The inference methods of the two-way fixed-effects DiD (:func:`reindus.evaluation.did.did`).

The closed-form TWFE algebra on a balanced ``(N, T)`` matrix and one function
per inference method, each returning a typed
:class:`~reindus.evaluation.results.Inference`: ``cluster_se`` (CR1),
:func:`wild_inference` (restricted wild cluster bootstrap-*t*, Webb weights),
:func:`permutation_inference` (Fisher randomisation), :func:`conley_taber_inference`
(placebo distribution from the controls) and :func:`conformal_inference`
(Chernozhukov, Wüthrich and Zhu). Why each exists and when it fails: the
docstring of :mod:`reindus.evaluation.did`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reindus.evaluation._core import WidePanel, treatment_matrix
from reindus.evaluation.fixed_effects import (
    covariate_period_regressors,
    demean,
    resolve_unit_weights,
    two_way_demean,
    unit_values,
)
from reindus.evaluation.inference import (
    assignments,
    conformal_p_value,
    invert_test,
    quantile_interval,
    rank_p_value,
)
from reindus.evaluation.results import Inference

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
def permutation_inference(Y: np.ndarray, D: np.ndarray, rows: list[int], starts: list[int],
                          level: float, n_perm: int, rng: np.random.Generator, tau: float
                          ) -> Inference:
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
    return Inference("permutation", (float(lo), float(hi)), float(pfun(0.0)), float(level),
                     extras={"n_assignments": len(assigns), "min_p_value": 1 / len(assigns),
                             "placebo_estimates": a[1:]})


def conley_taber_inference(Yc: np.ndarray, starts: list[int], level: float, n_perm: int,
                           rng: np.random.Generator, tau: float) -> Inference:
    """Placebo distribution of the estimator's error from controls only."""
    pool = list(range(Yc.shape[0]))
    k = len(starts)
    assigns = assignments(pool, starts, n_perm, rng, tuple(pool[:k]))
    gam = np.array([twfe_estimate(Yc, treatment_matrix(*Yc.shape, dict(zip(a, starts, strict=True))))
                    for a in assigns])
    lo, hi, achieved = quantile_interval(tau, gam, level)
    p = rank_p_value(abs(tau), np.abs(gam))
    # the order statistics attain a discrete set of levels: the interval's level is the achieved one
    return Inference("conley_taber", (float(lo), float(hi)), float(p), float(achieved),
                     extras={"n_placebos": len(gam), "placebo_estimates": gam})


def general_design(panel: pd.DataFrame, unit: str, wp: WidePanel, cluster: str | None,
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


def wild_inference(Y: np.ndarray, D: np.ndarray, level: float, n_boot: int,
                   rng: np.random.Generator, tau: float, se: float,
                   general: dict[str, Any] | None = None) -> Inference:
    r"""Restricted wild cluster bootstrap-t (Webb weights), closed form in tau0.

    The restricted residuals :math:`u(\tau_0) = \tilde y - \tau_0 \tilde D`
    (tildes: fixed effects and other regressors partialled out) are affine in
    :math:`\tau_0`, so every bootstrap quantity is computed once for the two
    parts. ``general`` (weights, clusters, strata, covariate trends) comes
    from :func:`general_design`; without it the unweighted two-way model
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
    return Inference("wild", (float(lo), float(hi)), float(pfun(0.0)), float(level),
                     extras={"n_boot": n_boot, "weights": "webb", "n_clusters": G})


def conformal_inference(Y: np.ndarray, D: np.ndarray, rows: list[int], starts: list[int],
                        level: float, tau: float) -> Inference:
    """Chernozhukov–Wüthrich–Zhu moving-block test on the treated units' mean residuals."""
    if len(set(starts)) != 1:
        return Inference("conformal", (np.nan, np.nan), np.nan, float(level),
                         note="conformal test needs a common treatment date")
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
    return Inference("conformal", (float(lo), float(hi)), float(pfun(0.0)), float(level),
                     extras={"n_permutations": T, "min_p_value": 1 / T})

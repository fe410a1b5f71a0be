r"""Shared fixed-effects algebra: weighted two-way demeaning and clustered fits.

Every linear panel estimator of :mod:`reindus.evaluation` (TWFE DiD, event
study, the Territoires d'industrie specifications) is a regression

.. math::

    y_{it} = \alpha_i + \lambda_{s(i)t} + x_{it}'\beta + \varepsilon_{it},
    \qquad \text{weights } w_i \text{ constant within unit},

on a balanced ``units x periods`` matrix, with period effects that may vary
by stratum :math:`s(i)` (e.g. region x year effects). By Frisch–Waugh–Lovell
:math:`\hat\beta` is the weighted least-squares coefficient of the demeaned
outcome on the demeaned regressors, where

.. math::

    \tilde a_{it} = a_{it} - \bar a_{i\cdot} - \bar a^{w}_{s\,t} + \bar a^{w}_{s\,\cdot\cdot},
    \qquad \bar a^{w}_{s\,t} = \frac{\sum_{i \in s} w_i a_{it}}{\sum_{i \in s} w_i},

is exactly the residual of the weighted regression of :math:`a` on unit and
stratum x period dummies (unit means are unweighted because a unit's weight
is constant over time).

Cluster-robust variance (CR1, clusters :math:`g` that contain whole units):

.. math::

    \hat V = c\,(\tilde X' W \tilde X)^{-1}\Big(\sum_g s_g s_g'\Big)(\tilde X' W \tilde X)^{-1},
    \quad s_g = \sum_{i \in g}\sum_t w_i \tilde x_{it} \hat e_{it},
    \quad c = \frac{G}{G-1}\,\frac{n-1}{n-k},

with :math:`n` the number of observations and :math:`k` the number of
regressors plus ``absorbed_dof``. ``absorbed_dof = 0`` is what statsmodels
gives on demeaned data and what Stata's ``xtreg, fe`` does; it is the right
count when the unit effects are nested in the clusters (Cameron and Miller
2015, section III.B). ``absorbed_dof = N + T - 1`` counts every absorbed
dummy (statsmodels with explicit dummies, Stata's ``areg``) and is kept for
the few-unit regional panels whose reported numbers rest on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


def two_way_demean(A: np.ndarray) -> np.ndarray:
    """Remove row and column means (last two axes): ``a_it - a_i. - a_.t + a_..``.

    On a balanced panel this is exactly the residual of a regression on unit
    and period dummies (Frisch–Waugh–Lovell): the closed form of :func:`demean`
    without weights or strata (equal to it to rounding; a test checks 1e-12), kept
    because the placebo loops call it on stacks of panels where it is the cheaper form.
    """
    return (A - A.mean(axis=-1, keepdims=True) - A.mean(axis=-2, keepdims=True)
            + A.mean(axis=(-2, -1), keepdims=True))


def demean(A: np.ndarray, weights: np.ndarray | None = None,
           strata: np.ndarray | None = None) -> np.ndarray:
    r"""Weighted two-way demeaning over the last two axes ``(..., N, T)``.

    Parameters
    ----------
    A
        Array whose last two axes are units and periods.
    weights
        ``(N,)`` non-negative unit weights (default: equal).
    strata
        ``(N,)`` labels: period effects are estimated within each stratum.

    Returns
    -------
    numpy.ndarray
        :math:`a_{it} - \bar a_{i\cdot} - \bar a^w_{s t} + \bar a^w_{s \cdot\cdot}`.
    """
    A = np.asarray(A, dtype=float)
    N = A.shape[-2]
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=float)
    out = A - A.mean(axis=-1, keepdims=True)
    groups = [slice(None)] if strata is None else [np.asarray(strata) == s
                                                   for s in pd.unique(np.asarray(strata))]
    for m in groups:
        ws = w[m] / w[m].sum()
        col = np.tensordot(A[..., m, :], ws, axes=([-2], [0]))  # (..., T)
        out[..., m, :] -= col[..., None, :] - col.mean(axis=-1)[..., None, None]
    return out


@dataclass
class FEFit:
    """Result of :func:`fe_fit`.

    Attributes
    ----------
    beta
        ``(K,)`` coefficients.
    cov
        ``(K, K)`` CR1 cluster-robust covariance (``None`` if not asked).
    resid
        ``(N, T)`` residuals :math:`\\tilde y - \\tilde X \\hat\\beta`.
    n_clusters
        :math:`G`; inference uses :math:`t_{G-1}`.
    """

    beta: np.ndarray
    cov: np.ndarray | None
    resid: np.ndarray
    n_clusters: int

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0.0, None))

    @property
    def df(self) -> int:
        return self.n_clusters - 1


def fe_fit(Y: np.ndarray, X: np.ndarray, *, weights: np.ndarray | None = None,
           clusters: np.ndarray | Sequence | None = None, strata: np.ndarray | None = None,
           absorbed_dof: int = 0, cluster: bool = True) -> FEFit:
    """Weighted FWL regression of ``Y`` (N, T) on ``K`` regressors ``X`` (K, N, T).

    Unit fixed effects and (stratum x) period fixed effects are absorbed by
    :func:`demean`. ``clusters`` gives each unit's cluster (default: the unit
    itself); the covariance is CR1 (see the module docstring for ``c``).
    The coefficients equal statsmodels' WLS on the demeaned data, or on
    explicit dummies, to rounding error (tested).
    """
    Y = np.asarray(Y, dtype=float)
    X = np.asarray(X, dtype=float)
    if X.ndim == 2:
        X = X[None]
    K = X.shape[0]
    N, T = Y.shape
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (N,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative, one per unit, not all zero")
    yt = demean(Y, w, strata)
    Xt = demean(X, w, strata)
    Xf = Xt.reshape(K, -1).T  # (NT, K)
    wf = np.repeat(w, T)
    XtWX = Xf.T @ (Xf * wf[:, None])
    bread = np.linalg.pinv(XtWX)
    beta = bread @ (Xf.T @ (wf * yt.ravel()))
    resid = yt - np.tensordot(beta, Xt, axes=1)
    if not cluster:
        return FEFit(beta, None, resid, N)
    cl = np.arange(N) if clusters is None else pd.factorize(np.asarray(clusters))[0]
    if cl.shape != (N,):
        raise ValueError("clusters must give one cluster per unit")
    G = int(cl.max()) + 1
    if G < 2:
        raise ValueError("need at least two clusters")
    unit_scores = (Xt * (w[:, None] * resid)[None]).sum(axis=2).T  # (N, K)
    S = np.zeros((G, K))
    np.add.at(S, cl, unit_scores)
    n, k = N * T, K + absorbed_dof
    c = G / (G - 1) * (n - 1) / (n - k)
    cov = c * bread @ (S.T @ S) @ bread
    return FEFit(beta, cov, resid, G)


def covariate_period_regressors(x: np.ndarray, T: int) -> list[np.ndarray]:
    r"""Regressors :math:`(x_i - \bar x)\,1\{t = k\}` for :math:`k = 1..T-1`.

    They let the period effects vary linearly with a unit covariate
    :math:`x_i` (parallel trends conditional on :math:`x`), e.g. so that
    industry-wide shocks are not taken for effects in industrial places.
    """
    x = np.asarray(x, dtype=float)
    xc = x - x.mean()
    eye = np.eye(T)
    return [np.outer(xc, eye[k]) for k in range(1, T)]


def unit_values(panel: pd.DataFrame, unit: str, column: str, units: Sequence[str]
                ) -> np.ndarray:
    """One value per unit (in ``units`` order) of a column constant within unit."""
    u = panel[unit].astype(str)
    if panel.groupby(u)[column].nunique(dropna=False).max() > 1:
        raise ValueError(f"{column!r} must be constant within each {unit}")
    first = panel.assign(_u=u).drop_duplicates("_u").set_index("_u")[column]
    return first.reindex(list(units)).to_numpy()


def resolve_unit_weights(panel: pd.DataFrame, unit: str, units: Sequence[str],
                         weights: str | pd.Series | dict | None) -> np.ndarray | None:
    """Unit weights from a column name or a mapping unit -> weight (``None`` = equal)."""
    if weights is None:
        return None
    if isinstance(weights, str):
        w = unit_values(panel, unit, weights, units).astype(float)
    else:
        s = pd.Series(weights)
        s.index = s.index.astype(str)
        w = s.reindex(list(units)).to_numpy(dtype=float)
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite, non-negative and given for every unit")
    return w

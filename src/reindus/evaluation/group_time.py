r"""Callaway–Sant'Anna group-time cells, their influence functions and aggregations.

The algebra behind :func:`reindus.evaluation.staggered.callaway_santanna`
(formulas in that module's docstring) on a balanced ``(N, T)`` matrix ``Y``
and the first-treated positions ``G`` (``inf`` = never treated in the data):
:func:`cohort_cells` builds each cohort's base periods and control masks once
for :func:`gt_array` (the ATT(g, t) cells) and :func:`gt_influence` (the cells
with each unit's influence function), :func:`aggregate` and
:func:`event_aggregation` average the cells, :func:`agg_influence` carries the
influence functions through an aggregation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reindus.evaluation.vocabulary import Aggregation

_GT_COLS = ["g", "t", "base", "e", "att", "n_treated", "n_controls"]


def group_time_att(Y: np.ndarray, G: np.ndarray, *, control_group: str = "not_yet_treated",
                   base_period: str = "varying", anticipation: int = 0) -> pd.DataFrame:
    """All identified ATT(g, t) on a balanced matrix.

    Parameters
    ----------
    Y
        ``(N, T)`` outcomes.
    G
        ``(N,)`` first treated column (``inf`` = never treated in the data).

    Returns
    -------
    pandas.DataFrame
        g, t, base, e (= t - g), att, n_treated, n_controls (positions).
    """
    arr = gt_array(Y, G, control_group=control_group, base_period=base_period,
                    anticipation=anticipation)
    out = pd.DataFrame(arr, columns=_GT_COLS)
    for c in ("g", "t", "base", "e", "n_treated", "n_controls"):
        out[c] = out[c].astype(int)
    return out


def cohort_cells(G: np.ndarray, T: int, *, control_group: str, base_period: str,
                  anticipation: int):
    """For each cohort ``g``: its units, base periods, usable periods and control masks.

    Yields ``(g, tr, b, keep, ctl)``: ``tr`` marks the cohort's units; ``b[t]`` is the
    base period of cell (g, t) (``g - 1 - anticipation`` after treatment, and before it
    ``t - 1`` with a varying base); ``keep`` the periods with a valid base; ``ctl[t]``
    the control units of cell (g, t), never treated or not yet treated at ``max(t, b)``.
    """
    N = G.size
    ts = np.arange(T)
    for g in sorted(set(G[np.isfinite(G)].astype(int).tolist())):
        tr = G == g
        post = ts >= g - anticipation
        if base_period == "varying":
            b = np.where(post, g - 1 - anticipation, ts - 1)
        else:
            b = np.full(T, g - 1 - anticipation)
        keep = (b >= 0) & (ts != b)
        if control_group == "never_treated":
            ctl = np.broadcast_to(~np.isfinite(G), (T, N))
        else:
            ctl = (G[None, :] > np.maximum(ts, b)[:, None] + anticipation) & ~tr[None, :]
        yield g, tr, b, keep, ctl


def gt_array(Y: np.ndarray, G: np.ndarray, *, control_group: str, base_period: str,
              anticipation: int) -> np.ndarray:
    N, T = Y.shape
    ts = np.arange(T)
    cols: list[np.ndarray] = []
    for g, tr, b, keep, ctl in cohort_cells(G, T, control_group=control_group,
                                             base_period=base_period, anticipation=anticipation):
        nc = ctl.sum(axis=1)
        keep &= nc > 0
        if not keep.any():
            continue
        tk, bk = ts[keep], b[keep]
        diff = Y[:, tk] - Y[:, bk]  # (N, K)
        c = ctl[keep].T  # (N, K)
        att = diff[tr].mean(axis=0) - (diff * c).sum(axis=0) / nc[keep]
        cols.append(np.column_stack([np.full(tk.size, g), tk, bk, tk - g, att,
                                     np.full(tk.size, tr.sum()), nc[keep]]))
    return np.vstack(cols) if cols else np.empty((0, len(_GT_COLS)))


def gt_influence(Y: np.ndarray, G: np.ndarray, *, weights: np.ndarray | None = None,
                 control_group: str = "not_yet_treated", base_period: str = "varying",
                 anticipation: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""Weighted ATT(g, t) and each unit's contribution to its estimation error.

    With unit weights :math:`w_i` (default 1), cohort :math:`G_g` and
    controls :math:`C_{g,t}`,

    .. math::

        \widehat{ATT}(g,t) = rac{\sum_{G_g} w_i \Delta_i}{\sum_{G_g} w_i}
          - rac{\sum_{C_{g,t}} w_i \Delta_i}{\sum_{C_{g,t}} w_i},
        \qquad \Delta_i = y_{it} - y_{ib},

    and :math:`\widehat{ATT} - ATT pprox \sum_i a_i` with
    :math:`a_i = w_i(\Delta_i - ar\Delta^w_g)/\sum_{G_g} w` for a unit of the
    cohort and :math:`-w_i(\Delta_i - ar\Delta^w_C)/\sum_{C} w` for a control
    (the influence function of the ratio estimator, divided by :math:`n`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        The cells as in :func:`group_time_att` (``n_treated`` is the cohort's
        weight sum when weighted) and ``A`` of shape ``(cells, N)``.
    """
    N, T = Y.shape
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=float)
    ts = np.arange(T)
    cols: list[np.ndarray] = []
    infl: list[np.ndarray] = []
    for g, tr, b, keep, ctl in cohort_cells(G, T, control_group=control_group,
                                             base_period=base_period, anticipation=anticipation):
        wc_sum = (ctl * w[None, :]).sum(axis=1)
        keep &= wc_sum > 0
        if not keep.any():
            continue
        tk, bk = ts[keep], b[keep]
        diff = Y[:, tk] - Y[:, bk]  # (N, K)
        wt = np.where(tr, w, 0.0)
        wg = wt.sum()
        mt = wt @ diff / wg
        wc = ctl[keep].T * w[:, None] / wc_sum[keep]  # (N, K) normalised control weights
        mc = (wc * diff).sum(axis=0)
        a = wt[:, None] * (diff - mt) / wg - wc * (diff - mc)
        cols.append(np.column_stack([np.full(tk.size, g), tk, bk, tk - g, mt - mc,
                                     np.full(tk.size, wg), ctl[keep].sum(axis=1)]))
        infl.append(a.T)
    if not cols:
        return np.empty((0, len(_GT_COLS))), np.empty((0, N))
    return np.vstack(cols), np.vstack(infl)


def aggregate(gt: pd.DataFrame | np.ndarray, G: np.ndarray, how: Aggregation = "simple"
              ) -> float:
    """Aggregate ATT(g, t) into one number (weights proportional to cohort size)."""
    arr = gt.to_numpy(dtype=float) if isinstance(gt, pd.DataFrame) else gt
    g, t, e_all, att_all = arr[:, 0], arr[:, 1], arr[:, 3], arr[:, 4]
    post = t >= g
    if not post.any():
        return np.nan
    gs = G[np.isfinite(G)].astype(int)
    cohorts, sizes = np.unique(gs, return_counts=True)
    size = dict(zip(cohorts.tolist(), sizes.tolist(), strict=True))
    gp, att = g[post].astype(int), att_all[post]
    w = np.array([size[x] for x in gp.tolist()], dtype=float)
    if how == "simple":
        return float((att * w).sum() / w.sum())
    if how == "group":
        ug = np.unique(gp)
        by_g = np.array([att[gp == x].mean() for x in ug])
        wg = np.array([size[x] for x in ug.tolist()], dtype=float)
        return float((by_g * wg).sum() / wg.sum())
    if how == "event_avg":
        e = e_all[post]
        theta = [(att[e == x] * w[e == x]).sum() / w[e == x].sum() for x in np.unique(e)]
        return float(np.mean(theta))
    raise ValueError("how must be 'simple', 'event_avg' or 'group'")


def event_aggregation(gt: pd.DataFrame, G: np.ndarray) -> pd.DataFrame:
    r""":math:`\theta(e)` for every event time (cohort-size weights)."""
    gs = G[np.isfinite(G)].astype(int)
    cohorts, sizes = np.unique(gs, return_counts=True)
    size = dict(zip(cohorts.tolist(), sizes.tolist(), strict=True))
    rows = []
    for e, d in gt.groupby("e", sort=True):
        w = d["g"].map(size).to_numpy(dtype=float)
        rows.append({"e": int(e), "att": float((d["att"].to_numpy() * w).sum() / w.sum()),
                     "n_cohorts": int(d["g"].nunique())})
    return pd.DataFrame(rows)




def agg_influence(arr: np.ndarray, A: np.ndarray, psi_pi: dict[int, np.ndarray],
                   pi: dict[int, float], cells: np.ndarray, k: np.ndarray
                   ) -> tuple[float, np.ndarray]:
    r"""Aggregate :math:`\theta = \sum_{c \in S} \pi_{g(c)} k_c ATT_c / \sum_{c \in S} \pi_{g(c)} k_c`.

    Returns :math:`\hat\theta` and each unit's contribution to its error,

    .. math::

        a^\theta_i = \sum_{c \in S} \frac{\pi_{g(c)} k_c}{D} a_{ci}
          + \sum_{c \in S} \frac{k_c (ATT_c - \hat\theta)}{D}\, \psi^{\pi}_{g(c), i},
        \qquad D = \sum_{c \in S} \pi_{g(c)} k_c,

    the second term carrying the estimation error of the cohort shares
    :math:`\pi_g` (Callaway and Sant'Anna 2021, as R ``did`` and the
    ``differences`` package do).
    """
    g = arr[cells, 0].astype(int)
    att = arr[cells, 4]
    pw = np.array([pi[x] for x in g]) * k
    D = pw.sum()
    theta = float(pw @ att / D)
    infl = (pw / D) @ A[cells]
    for x in np.unique(g):
        m = g == x
        infl = infl + float((k[m] * (att[m] - theta)).sum() / D) * psi_pi[int(x)]
    return theta, infl

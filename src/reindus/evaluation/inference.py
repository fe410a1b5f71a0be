r"""Which inference a design supports: few treated units or many.

The estimators of :mod:`reindus.evaluation` serve one treated region as well
as hundreds of treated EPCI; what changes with the design is how to get an
interval.

* **Few treated clusters** (one to a handful of regions): cluster-robust
  standard errors rest on the treated clusters' own residuals and
  over-reject badly; the wild cluster bootstrap under-rejects with one
  treated cluster (MacKinnon and Webb 2017, 2018). Use inference that draws
  on the controls or on time: randomisation (re-assigning the treatment
  dates to other units), Conley–Taber placebo intervals, or the
  conformal test of Chernozhukov, Wüthrich and Zhu.
* **Many treated and control clusters**: the CR1 cluster-robust variance
  with :math:`t_{G-1}` critical values, or the wild cluster bootstrap; the
  influence-function variance of Callaway–Sant'Anna summed within clusters.

:func:`inference_regime` draws the line at :data:`MIN_CLUSTERS` treated
*and* control clusters, the order of magnitude from which MacKinnon and
Webb's simulations show cluster-robust *t*-tests near their nominal size
when clusters are of similar size.

References
----------
MacKinnon, J. G. and Webb, M. D. (2017). Wild bootstrap inference for wildly
different cluster sizes. *J. Applied Econometrics* 32(2).
MacKinnon, J. G. and Webb, M. D. (2018). The wild bootstrap for few (treated)
clusters. *Econometrics Journal* 21(2).

The conformal test of Chernozhukov, Wüthrich and Zhu (2021), shared by the
DiD and the synthetic control, is here too: :func:`conformal_p_value`
compares the post-period sum of residuals with its value over every cyclic
shift of time (:func:`block_stat`).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from reindus.evaluation.vocabulary import Regime

#: fewest treated clusters and control clusters for cluster-robust inference
MIN_CLUSTERS: int = 10



def count_clusters(treated: Sequence[bool] | np.ndarray, clusters: Sequence | np.ndarray | None
                   ) -> tuple[int, int]:
    """Numbers of clusters holding treated units and holding control units.

    ``clusters`` gives each unit's cluster (``None``: every unit is a cluster).
    """
    tr = np.asarray(treated, dtype=bool)
    cl = np.arange(tr.size) if clusters is None else pd.factorize(np.asarray(clusters))[0]
    return int(np.unique(cl[tr]).size), int(np.unique(cl[~tr]).size)


def inference_regime(n_treated_clusters: int, n_control_clusters: int,
                     min_clusters: int = MIN_CLUSTERS) -> Regime:
    """``'many'`` when both counts reach ``min_clusters``, else ``'few'``."""
    if min(n_treated_clusters, n_control_clusters) >= min_clusters:
        return "many"
    return "few"


def block_stat(u: np.ndarray, t1: int) -> np.ndarray:
    """|sum of u over the last t1 positions| / sqrt(t1) for every cyclic shift of u."""
    T = u.shape[-1]
    uu = np.concatenate([u, u], axis=-1)
    cs = np.concatenate([np.zeros(u.shape[:-1] + (1,)), np.cumsum(uu, axis=-1)], axis=-1)
    # shift j = 0..T-1 puts the window at positions s..s+t1-1 of the doubled series;
    # j = 0 is the actual post period.
    s = (T - t1 + np.arange(T)) % T
    sums = cs[..., s + t1] - cs[..., s]
    return np.abs(sums) / np.sqrt(t1)


def conformal_p_value(resid: np.ndarray, t1: int) -> float:
    """Moving-block permutation p-value of CWZ (2021) for the last ``t1`` residuals."""
    s = block_stat(resid, t1)
    return float((s >= s[0] - 1e-12 * max(1.0, abs(s[0]))).mean())


# --- Randomisation and placebo inference: assignments, rank p-values, intervals ---


def assignments(pool: list[int], starts: list[int], n_perm: int, rng: np.random.Generator,
                 actual: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Ordered k-tuples of units receiving the k start dates (actual one first).

    The number of ordered assignments, :math:`n!/(n-k)!`, is counted exactly
    with :func:`math.perm` (Python integers do not overflow: a product in
    ``int64`` wraps around for 30 units with 14 treated and sent the code down
    the enumeration branch). Every assignment is enumerated only when there
    are at most ``n_perm`` of them; otherwise ``n_perm`` distinct random ones
    are drawn, so memory stays proportional to ``n_perm`` whatever the panel.
    """
    k = len(starts)
    if k > len(pool):
        raise ValueError(f"{k} start dates to assign but only {len(pool)} units")
    n_total = math.perm(len(pool), k)
    if n_total <= n_perm:
        out = [a for a in itertools.permutations(pool, k) if a != actual]
    else:
        seen = {actual}
        out = []
        while len(out) < n_perm:
            a = tuple(int(x) for x in rng.choice(pool, size=k, replace=False))
            if a not in seen:
                seen.add(a)
                out.append(a)
    return [actual, *out]


def subsets(n: int, k: int, n_max: int, rng: np.random.Generator) -> np.ndarray:
    """All k-subsets of range(n) when there are at most ``n_max``, else a sample of ``n_max``."""
    total = math.comb(n, k)
    if total <= n_max:
        return np.array(list(itertools.combinations(range(n), k)), dtype=int).reshape(-1, k)
    seen: set[tuple[int, ...]] = set()
    out = []
    while len(out) < n_max:
        s = tuple(sorted(int(x) for x in rng.choice(n, size=k, replace=False)))
        if s not in seen:
            seen.add(s)
            out.append(s)
    return np.array(out, dtype=int)


def rank_p_value(observed: float, reference: np.ndarray, *, include_observed: bool = True) -> float:
    """Share of ``reference`` statistics at least as large as ``observed``.

    With ``include_observed`` the observed statistic counts itself (Fisher's
    exact p-value when ``reference`` holds the other assignments).
    """
    ref = np.asarray(reference, dtype=float)
    # A relative tolerance so that ties created by floating-point noise count.
    tol = 1e-10 * max(1.0, abs(observed))
    hits = int((ref >= observed - tol).sum())
    if include_observed:
        return (hits + 1) / (ref.size + 1)
    return hits / max(ref.size, 1)


def quantile_interval(est: float, placebo: np.ndarray, level: float) -> tuple[float, float, float]:
    """Conley–Taber interval ``[est - q_hi, est - q_lo]`` from placebo errors.

    Uses conservative order statistics: the lower quantile is the k-th
    smallest placebo with ``k = floor((alpha/2) (N+1))`` (at least 1), so that
    with few placebos the interval falls back to the full placebo range.
    Returns ``(lo, hi, achieved_level)`` where ``achieved_level`` is the
    coverage the order statistics guarantee under exchangeability,
    ``1 - 2k/(N+1)``.
    """
    g = np.sort(np.asarray(placebo, dtype=float))
    n = g.size
    if n == 0:
        return -np.inf, np.inf, 1.0
    alpha = 1.0 - level
    k = max(1, int(np.floor(alpha / 2 * (n + 1))))
    q_lo, q_hi = g[k - 1], g[n - k]
    achieved = 1.0 - 2.0 * k / (n + 1)
    return est - q_hi, est - q_lo, achieved


def invert_test(pfun: Callable[[float], float], center: float, scale: float, alpha: float, *,
                max_width: float = 1e3, tol: float = 1e-6) -> tuple[float, float]:
    """Confidence set ``{tau0: p(tau0) > alpha}`` by expanding search and bisection.

    Assumes the acceptance region is an interval containing ``center``
    (checked); returns infinite bounds when the search reaches
    ``center +- max_width * scale`` without rejecting.
    """
    if pfun(center) <= alpha:
        # Rare: the point estimate itself is rejected (discrete p-values); report the empty set
        return np.nan, np.nan
    scale = max(scale, 1e-12)
    bounds = []
    for sign in (-1.0, 1.0):
        inside, step = 0.0, scale
        outside = None
        while step <= max_width * scale:
            if pfun(center + sign * step) <= alpha:
                outside = step
                break
            inside, step = step, step * 2.0
        if outside is None:
            bounds.append(sign * np.inf)
            continue
        lo, hi = inside, outside
        while hi - lo > tol * max(scale, 1e-12) * 10 and hi - lo > 1e-12:
            mid = 0.5 * (lo + hi)
            if pfun(center + sign * mid) <= alpha:
                hi = mid
            else:
                lo = mid
        bounds.append(center + sign * 0.5 * (lo + hi))
    return bounds[0], bounds[1]

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

from collections.abc import Sequence

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

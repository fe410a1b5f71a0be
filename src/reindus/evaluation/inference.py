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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

#: fewest treated clusters and control clusters for cluster-robust inference
MIN_CLUSTERS: int = 10

Regime = Literal["few", "many"]


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

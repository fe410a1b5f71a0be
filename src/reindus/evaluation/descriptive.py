r"""Descriptive before/after comparison, with the pre-trend made visible.

For a window of :math:`k` quarters on each side of the treatment date
:math:`g`, for each unit

.. math::

    \Delta_i = \bar y_{i,[g, g+k)} - \bar y_{i,[g-k, g)}, \qquad
    s_i = \text{OLS slope of } y_{it} \text{ on } t \text{ over } [g-k, g),

and the naive comparison :math:`\Delta_1 - \frac{1}{J}\sum_j \Delta_j` (a
difference-in-differences on the symmetric window). The slopes show
whether the treated unit was already diverging before the accord, in which
case neither number is an effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from reindus.evaluation._core import start_positions, to_wide


def before_after(panel: pd.DataFrame, *, treated: str, start: Any, controls: Iterable[str],
                 quarters: int = 8, outcome: str = "log_employment", unit: str = "unit",
                 period: str = "quarter") -> pd.DataFrame:
    """Per-unit mean before/after, change and pre-period slope; plus summary rows.

    Returns
    -------
    pandas.DataFrame
        unit, role ('treated', 'donor', 'donor mean', 'treated - donor mean'),
        pre_mean, post_mean, change, pre_slope (per quarter), in the units of
        ``outcome`` (log points for log employment).
    """
    donors = [str(d) for d in controls]
    wp = to_wide(panel, unit=unit, period=period, outcome=outcome).subset([str(treated), *donors])
    g = start_positions(wp, [str(treated)], start)[str(treated)]
    k_pre, k_post = min(quarters, g), min(quarters, wp.Y.shape[1] - g)
    if k_pre < 2 or k_post < 1:
        raise ValueError("need at least two quarters before and one after the start")
    pre, post = wp.Y[:, g - k_pre:g], wp.Y[:, g:g + k_post]
    t = np.arange(k_pre) - (k_pre - 1) / 2
    slope = (pre - pre.mean(axis=1, keepdims=True)) @ t / (t @ t)
    out = pd.DataFrame({"unit": wp.units, "role": ["treated"] + ["donor"] * len(donors),
                        "pre_mean": pre.mean(axis=1), "post_mean": post.mean(axis=1),
                        "change": post.mean(axis=1) - pre.mean(axis=1), "pre_slope": slope})
    dm = out[out["role"] == "donor"][["pre_mean", "post_mean", "change", "pre_slope"]].mean()
    tr = out.iloc[0][["pre_mean", "post_mean", "change", "pre_slope"]]
    extra = pd.DataFrame([{"unit": "donors", "role": "donor mean", **dm.to_dict()},
                          {"unit": str(treated), "role": "treated - donor mean",
                           **(tr.astype(float) - dm).to_dict()}])
    out = pd.concat([out, extra], ignore_index=True)
    out.attrs["window"] = (wp.label(g - k_pre), wp.label(g + k_post - 1))
    return out


def index_paths(panel: pd.DataFrame, *, treated: str, controls: Iterable[str], base: Any,
                outcome: str = "employment", unit: str = "unit", period: str = "quarter"
                ) -> pd.DataFrame:
    """Index (base quarter = 100) of the treated unit and the donors' mean, min and max.

    Returns one row per period: period, treated, donor_mean, donor_min, donor_max.
    """
    donors = [str(d) for d in controls]
    wp = to_wide(panel, unit=unit, period=period, outcome=outcome).subset([str(treated), *donors])
    b = wp.period_index(base)
    idx = 100 * wp.Y / wp.Y[:, [b]]
    return pd.DataFrame({"period": [str(p) for p in wp.periods], "treated": idx[0],
                         "donor_mean": idx[1:].mean(axis=0), "donor_min": idx[1:].min(axis=0),
                         "donor_max": idx[1:].max(axis=0)})

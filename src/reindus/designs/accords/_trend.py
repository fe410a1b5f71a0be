"""Row-wise linear detrending shared by the zone estimators and the placebo-gap AR(1) fit."""

from __future__ import annotations

import numpy as np


def detrend(Y: np.ndarray, t0: int) -> np.ndarray:
    r"""Subtract each row's linear trend fitted on columns ``< t0``: :math:`y_{it} - a_i - b_i t`."""
    t = np.arange(Y.shape[1], dtype=float)
    X = np.column_stack([np.ones(t0), t[:t0]])
    coef, *_ = np.linalg.lstsq(X, Y[:, :t0].T, rcond=None)
    return Y - (coef[0][:, None] + coef[1][:, None] * t[None, :])

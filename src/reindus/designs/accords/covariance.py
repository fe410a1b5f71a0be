r"""Covariance of event-study coefficients for the sensitivity analysis (AR(1) gap noise).

With a single treated unit the event-study covariance cannot be estimated from
the treated unit alone; :func:`placebo_gap_ar1` learns an AR(1) model of the gap
noise from the controls' placebo gaps and :func:`ar1_event_covariance` turns it
into the covariance of the coefficients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from reindus.designs.accords._trend import detrend as _detrend
from reindus.evaluation.panel import as_quarter as _q


def ar1_event_covariance(event_times: Sequence[int], sigma2: float, rho: float) -> np.ndarray:
    r"""Covariance of event-study coefficients when the gap noise is a stationary AR(1).

    With a single treated unit and one dummy per event time, the coefficient
    at event time :math:`a` is :math:`\hat\beta_a = \beta_a + u_{g+a} - u_{g-1}`
    where :math:`u_t` is the noise of the treated-minus-controls gap. With
    :math:`\gamma(h) = \sigma^2 \rho^{|h|}`,

    .. math:: \operatorname{Cov}(\hat\beta_a, \hat\beta_b) = \gamma(a-b) - \gamma(a+1)
       - \gamma(b+1) + \gamma(0).
    """
    if not (-1.0 < rho < 1.0) or sigma2 < 0:
        raise ValueError(f"need -1 < rho < 1 and sigma2 >= 0, got rho={rho}, sigma2={sigma2}")
    e = np.asarray(event_times, dtype=float)
    if (e == -1).any():
        raise ValueError("event time -1 is the reference and has no coefficient")

    def gamma(h: np.ndarray) -> np.ndarray:
        return sigma2 * rho ** np.abs(h)

    return (gamma(e[:, None] - e[None, :]) - gamma(e[:, None] + 1) - gamma(e[None, :] + 1)
            + gamma(np.zeros(1)))


def placebo_gap_ar1(panel: pd.DataFrame, *, controls: Sequence[str], outcome: str = "y",
                    unit: str = "unit", period: str = "period", end: Any | None = None
                    ) -> dict[str, float]:
    r"""AR(1) model of the gap noise, fitted on the controls' placebo gaps.

    Each control :math:`j` in turn plays the treated unit: its gap
    :math:`y_{jt} - \frac{1}{N_0 - 1}\sum_{k \ne j} y_{kt}` over the periods up
    to ``end`` (default: all), net of its own linear trend (the trend is what
    the sensitivity restrictions are about; the covariance is for the noise).
    Pooled over controls, :math:`\hat\rho = \sum u_t u_{t-1} / \sum u_{t-1}^2`
    and :math:`\hat\sigma^2 = \overline{u^2}`. This is the Conley–Taber idea
    (learn the error distribution from the controls) with a parametric time
    structure, so that the covariance of many event-time coefficients is of
    full rank although there are only :math:`N_0` controls.

    Returns
    -------
    dict
        ``sigma2``, ``rho``, ``n_controls``, ``n_periods``.
    """
    c = [str(x) for x in controls]
    if len(c) < 3:
        raise ValueError("need at least three controls for placebo gaps")
    d = panel[panel[unit].astype(str).isin(c)]
    if end is not None:
        d = d[d[period] <= (_q(end) if isinstance(d[period].dtype, pd.PeriodDtype) else end)]
    w = d.pivot(index=unit, columns=period, values=outcome)
    if w.isna().any().any():
        raise ValueError("unbalanced panel")
    Y = w.to_numpy(float)
    N, T = Y.shape
    if T < 6:
        raise ValueError("need at least six periods")
    gaps = Y - (Y.sum(axis=0, keepdims=True) - Y) / (N - 1)
    U = _detrend(gaps, T)
    num = float((U[:, 1:] * U[:, :-1]).sum())
    den = float((U[:, :-1] ** 2).sum())
    rho = float(np.clip(num / den, -0.99, 0.99))
    return {"sigma2": float((U**2).mean()), "rho": rho, "n_controls": N, "n_periods": T}

r"""Inputs of the sensitivity analysis: :math:`\hat\beta`, :math:`\Sigma` and the period counts.

Taken from an event study's :class:`~reindus.evaluation.results.EstimateResult` or given
explicitly (HonestDiD's ``betahat, sigma, numPrePeriods, numPostPeriods``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from reindus.evaluation.results import EstimateResult


@dataclass(frozen=True)
class SensitivityInputs:
    """Event-study coefficients in the order HonestDiD expects.

    Attributes
    ----------
    betahat
        Pre coefficients (earliest first, reference period excluded), then post.
    sigma
        Their covariance matrix.
    num_pre, num_post
        Number of pre and post coefficients.
    event_times
        Event time of each coefficient (for labels).
    sigma_source
        Where ``sigma`` came from (e.g. ``"vcov"`` or ``"diagonal se_cluster^2"``).
    """

    betahat: np.ndarray
    sigma: np.ndarray
    num_pre: int
    num_post: int
    event_times: tuple[int, ...] = ()
    sigma_source: str = "given"


def check_inputs(betahat: Any, sigma: Any, num_pre: int, num_post: int
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Event-study coefficients and covariance as float arrays, shapes checked against
    ``num_pre + num_post`` (shared by the smoothness and relative-magnitude analyses)."""
    b = np.asarray(betahat, dtype=float).ravel()
    S = np.asarray(sigma, dtype=float)
    if num_pre < 1 or num_post < 1:
        raise ValueError("need num_pre >= 1 and num_post >= 1")
    if b.size != num_pre + num_post:
        raise ValueError(f"betahat has {b.size} entries, expected num_pre + num_post = "
                         f"{num_pre + num_post}")
    if S.shape != (b.size, b.size):
        raise ValueError(f"sigma has shape {S.shape}, expected {(b.size, b.size)}")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(S))):
        raise ValueError("betahat and sigma must be finite")
    S = (S + S.T) / 2
    if np.linalg.eigvalsh(S).min() < -1e-10 * max(1.0, np.abs(S).max()):
        raise ValueError("sigma is not positive semi-definite")
    return b, S


def sensitivity_inputs(
    result: EstimateResult | None = None,
    *,
    betahat: Any = None,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    vcov: Any = None,
    drop_binned: bool = True,
) -> SensitivityInputs:
    """Collect :math:`\\hat\\beta`, :math:`\\Sigma` and the period counts.

    Either pass explicit ``betahat, sigma, num_pre, num_post`` (HonestDiD's
    vocabulary), or an :class:`EstimateResult` from
    :func:`reindus.evaluation.event_study.event_study`. Its ``details`` hold one
    row per event time (``coef``, ``se_cluster``; the reference period
    :math:`-1` has coefficient 0 and is dropped). The covariance is taken, in
    order, from ``vcov`` (array aligned with the reported event times, or frame
    indexed by event time), from ``result.diagnostics['vcov']`` or
    ``['cov']`` (rows in the order of ``diagnostics['event_times']``; for
    ``event_study`` the CR1 cluster-robust covariance), else from the
    diagonal :math:`se_{cluster}^2` with ``sigma_source`` saying so: that
    ignores the correlation between coefficients that share the reference
    period, which usually makes the robust intervals too wide under
    :math:`\\Delta^{SD}` (the differences of coefficients look noisier than
    they are).

    With ``drop_binned`` (default) the binned endpoints of ``event_study``
    (``details['binned']``, e.g. event time :math:`-K` pooling every earlier
    quarter) are left out: :math:`\\Delta^{SD}` and :math:`\\Delta^{RM}`
    restrict changes between consecutive periods, and a pooled coefficient is
    not one period. The remaining event times must be consecutive.
    """
    if result is None:
        if betahat is None or sigma is None or num_pre is None or num_post is None:
            raise ValueError("pass an EstimateResult or all of betahat, sigma, num_pre, num_post")
        b, S = check_inputs(betahat, sigma, int(num_pre), int(num_post))
        times = tuple(list(range(-int(num_pre) - 1, -1)) + list(range(int(num_post))))
        return SensitivityInputs(b, S, int(num_pre), int(num_post), times, "given")
    det = result.details
    if det is None or "event_time" not in det or "coef" not in det:
        raise ValueError("the EstimateResult has no event-time details: pass the result of "
                         "event_study(), or explicit betahat/sigma/num_pre/num_post")
    det = det.sort_values("event_time")
    det = det[det["event_time"] != -1]
    all_times = [int(t) for t in det["event_time"]]
    if drop_binned and "binned" in det:
        # a binned endpoint pools many event times: it is not one period, so
        # the period-to-period restrictions do not apply to it
        det = det[~det["binned"].astype(bool)]
    times = [int(t) for t in det["event_time"]]
    pre = [t for t in times if t < -1]
    post = [t for t in times if t >= 0]
    b = det["coef"].to_numpy(dtype=float)
    cov, source = vcov, "vcov"
    if cov is None:
        for key in ("vcov", "cov"):
            if result.diagnostics.get(key) is not None:
                cov, source = result.diagnostics[key], f"diagnostics['{key}']"
                break
    if cov is not None:
        if isinstance(cov, pd.DataFrame):
            cov = cov.loc[times, times].to_numpy(dtype=float)
        S = np.asarray(cov, dtype=float)
        order = result.diagnostics.get("event_times")
        if vcov is not None and S.shape[0] == len(all_times) != len(times):
            idx = [all_times.index(t) for t in times]
            S = S[np.ix_(idx, idx)]
        if vcov is None and order is not None and S.shape[0] == len(order):
            # event_study stores the covariance of every estimated event time
            pos = {int(k): i for i, k in enumerate(order)}
            missing = [t for t in times if t not in pos]
            if missing:
                raise ValueError(f"covariance has no row for event times {missing}")
            idx = [pos[t] for t in times]
            S = S[np.ix_(idx, idx)]
    else:
        if "se_cluster" not in det:
            raise ValueError("no covariance: pass vcov=")
        S = np.diag(det["se_cluster"].to_numpy(dtype=float) ** 2)
        source = "diagonal se_cluster^2 (correlations ignored)"
    b, S = check_inputs(b, S, len(pre), len(post))
    if pre and (pre != list(range(pre[0], -1)) or post != list(range(len(post)))):
        raise ValueError(f"event times {times} are not consecutive around the reference -1")
    return SensitivityInputs(b, S, len(pre), len(post), tuple(times), source)

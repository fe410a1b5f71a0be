r"""Minimum detectable effect (MDE) of a difference-in-differences design.

The estimator is the two-way fixed-effects DiD with a common treatment date,
which on a balanced panel equals the difference of pre/post mean gaps

.. math::

    \hat\tau = \bar d_{post} - \bar d_{pre}, \qquad
    d_t = \bar y_{treated,t} - \bar y_{controls,t}.

Normal approximation
--------------------
A two-sided test at level :math:`\alpha` detects an effect :math:`\tau` with
power :math:`1-\beta` when

.. math::

    MDE = (z_{1-\alpha/2} + z_{1-\beta})\,\hat\sigma,

with :math:`\hat\sigma` the standard deviation of :math:`\hat\tau` under the
null (2.80 :math:`\hat\sigma` at 5 % and 80 %; the opposite tail,
:math:`\Phi(-z_{1-\alpha/2} - z_{1-\beta})`, is neglected). :math:`\hat\sigma`
comes from the estimator's null distribution:

``placebo_time``
    the same estimator with fake treatment dates :math:`f` inside the
    pre-period (the same number of post periods, every period before
    :math:`f` as pre, at least ``min_pre``), treated unit(s) against the same
    controls; overlapping windows, so the placebos are correlated and the
    effective number is smaller than their count;
``placebo_units``
    each control in turn as if treated, against the other controls
    (Conley–Taber placebos), with the real treatment date;
``ar1``
    the gap :math:`d_t` modelled, on the pre-period, as an AR(1) with
    autocorrelation :math:`\rho` and marginal variance :math:`\sigma_u^2`
    (see :func:`ar1_did_sd`).

Randomisation version
---------------------
With placebo estimates :math:`\varepsilon_1..\varepsilon_J` and the critical
value :math:`c = q_{1-\alpha}(|\varepsilon|)`, the power against
:math:`\tau` is :math:`\pi(\tau) = J^{-1}\sum_j 1\{|\tau + \varepsilon_j| > c\}`
and :math:`MDE_{rand} = \min\{\tau > 0: \pi(\tau) \ge 1-\beta\}`. It keeps the
placebos' tails and asymmetry but is coarse with few placebos (with
:math:`J < 1/\alpha` no effect is detectable).

Post periods needed
-------------------
Under the AR(1) model, :math:`Var(\hat\tau) = w'\Omega w` with
:math:`\Omega_{st} = \sigma_u^2 \rho^{|s-t|}` and :math:`w` equal to
:math:`-1/T_0` on the :math:`T_0` pre periods and :math:`1/T_1` on the
:math:`T_1` post periods. For the mean of :math:`T` consecutive values,

.. math::

    Var(\bar u_T) = \frac{\sigma_u^2}{T^2}\Big[T + 2\sum_{k=1}^{T-1}(T-k)\rho^k\Big],

which falls like :math:`\sigma_u^2 (1+\rho)/((1-\rho)T)` for large :math:`T`.
The number of post periods needed for an effect :math:`e` is the smallest
:math:`T_1` with :math:`(z_{1-\alpha/2} + z_{1-\beta})\sqrt{Var(\hat\tau)} \le e`
(``inf`` when even :math:`T_1 = ` ``max_post`` does not reach it: the
pre-period mean's own noise sets a floor).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reindus.evaluation._core import (
    common_start,
    controls_list,
    normalise_treated,
    start_positions,
    to_wide,
)

__all__ = [
    "MDEResult",
    "ar1_did_sd",
    "ar1_fit",
    "ar1_mean_variance",
    "did_weights",
    "mde_from_placebos",
    "mde_from_sd",
    "minimum_detectable_effect",
    "periods_needed",
]


def mde_from_sd(sd: float, alpha: float = 0.05, power: float = 0.8,
                df: float | None = None) -> float:
    """:math:`(z_{1-\\alpha/2} + z_{power})\\,\\sigma` (2.8016 sigma at 5 % and 80 %).

    With ``df``, Student quantiles :math:`(t_{df,1-\\alpha/2} + t_{df,power})\\,\\sigma`,
    for an estimator whose test uses a :math:`t_{df}` reference (e.g. the synthetic DiD's
    placebo standard error with :math:`N_0 - 1` degrees of freedom).
    """
    if not (0 < alpha < 1 and 0 < power < 1):
        raise ValueError("alpha and power must be in (0, 1)")
    if df is not None:
        return float((stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * sd)
    return float((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * sd)


def mde_from_placebos(placebos: Sequence[float] | np.ndarray, alpha: float = 0.05,
                      power: float = 0.8) -> float:
    """Randomisation MDE: smallest :math:`\\tau>0` with :math:`\\pi(\\tau) \\ge` ``power``.

    :math:`\\pi(\\tau)` is the share of placebo errors :math:`\\varepsilon_j`
    with :math:`|\\tau + \\varepsilon_j| > c`, :math:`c` the :math:`1-\\alpha`
    quantile of :math:`|\\varepsilon|` (upper order statistic, so the test
    has size at most :math:`\\alpha`). NaN with fewer than :math:`1/\\alpha`
    placebos (no test of level :math:`\\alpha` can reject).
    """
    e = np.asarray(placebos, dtype=float)
    e = e[np.isfinite(e)]
    J = e.size
    if J == 0 or J < 1 / alpha - 1e-9:
        return math.nan
    a = np.sort(np.abs(e))
    c = float(a[int(math.ceil((1 - alpha) * J)) - 1])
    # pi(tau) only changes where tau + e_j crosses +-c: candidate points
    cands = np.unique(np.concatenate([c - e, -c - e]))
    cands = cands[cands > 0]
    for tau in np.sort(cands):
        t = tau * (1 + 1e-12) + 1e-15  # just past the crossing (strict inequality)
        if np.mean(np.abs(t + e) > c) >= power:
            return float(t)
    return math.nan


def ar1_mean_variance(T: int, rho: float, sigma_u: float) -> float:
    """Variance of the mean of ``T`` consecutive AR(1) values with marginal sd ``sigma_u``.

    .. math::

        \\frac{\\sigma_u^2}{T^2}\\Big[T + 2\\sum_{k=1}^{T-1}(T-k)\\rho^k\\Big]
    """
    if T < 1:
        raise ValueError("T must be >= 1")
    k = np.arange(1, T)
    return float(sigma_u**2 / T**2 * (T + 2 * np.sum((T - k) * rho**k)))


def did_weights(n_pre: int, n_post: int, detrend: bool = False) -> np.ndarray:
    """Weights :math:`w` with :math:`\\hat\\tau = w'd` on the gap :math:`d_1..d_{T_0+T_1}`.

    Plain DiD: :math:`-1/T_0` on the pre periods, :math:`1/T_1` on the post
    periods. With ``detrend``, the gap's linear trend fitted on the pre periods
    is extrapolated and subtracted: :math:`\\hat\\tau = \\bar d_{post} -
    \\bar x_{post}'(X_{pre}'X_{pre})^{-1}X_{pre}'d_{pre}`, :math:`x_t = (1, t)`.
    """
    if n_pre < 1 or n_post < 1:
        raise ValueError("need n_pre >= 1 and n_post >= 1")
    if not detrend:
        return np.concatenate([np.full(n_pre, -1 / n_pre), np.full(n_post, 1 / n_post)])
    if n_pre < 3:
        raise ValueError("detrend needs at least 3 pre periods")
    t = np.arange(n_pre + n_post, dtype=float)
    Xp = np.column_stack([np.ones(n_pre), t[:n_pre]])
    xbar = np.array([1.0, t[n_pre:].mean()])
    w_pre = -Xp @ np.linalg.solve(Xp.T @ Xp, xbar)
    return np.concatenate([w_pre, np.full(n_post, 1 / n_post)])


def ar1_did_sd(n_pre: int, n_post: int, rho: float, sigma_u: float,
               detrend: bool = False) -> float:
    """sd of the DiD :math:`w'd` (see :func:`did_weights`) when :math:`d_t` is AR(1).

    :math:`\\sqrt{w'\\Omega w}`, :math:`\\Omega_{st} = \\sigma_u^2\\rho^{|s-t|}`;
    for the plain DiD :math:`w = (-1/T_0, \\dots, 1/T_1, \\dots)` and with
    :math:`\\rho = 0` it is :math:`\\sigma_u\\sqrt{1/T_0 + 1/T_1}`.
    """
    if not -1 < rho < 1:
        raise ValueError("rho must be in (-1, 1)")
    w = did_weights(n_pre, n_post, detrend)
    n = n_pre + n_post
    # w' Omega w = sigma_u^2 sum_{s,t} w_s w_t rho^|s-t| via lagged products
    acc = float(w @ w)
    for k in range(1, n):
        acc += 2 * rho**k * float(w[:-k] @ w[k:])
    return float(sigma_u * math.sqrt(max(acc, 0.0)))


def ar1_fit(x: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """``(rho, sigma_u)`` of a demeaned series: OLS lag-1 slope, marginal sd (ddof=1).

    :math:`\\hat\\rho = \\sum_t \\tilde x_t \\tilde x_{t-1} / \\sum_t \\tilde x_{t-1}^2`
    (clipped to :math:`[-0.99, 0.99]`), :math:`\\tilde x = x - \\bar x`.
    """
    x = np.asarray(x, dtype=float)
    if x.size < 3:
        raise ValueError("need at least 3 pre-period values to fit an AR(1)")
    xt = x - x.mean()
    den = float(xt[:-1] @ xt[:-1])
    rho = float(xt[1:] @ xt[:-1]) / den if den > 0 else 0.0
    return float(np.clip(rho, -0.99, 0.99)), float(xt.std(ddof=1))


def periods_needed(effect: float, n_pre: int, rho: float, sigma_u: float,
                   alpha: float = 0.05, power: float = 0.8, max_post: int = 200,
                   detrend: bool = False) -> float:
    """Smallest number of post periods whose AR(1) MDE is at most ``effect`` (inf if none).

    With ``detrend`` the extrapolation error of the pre-period trend grows
    with the horizon, so the MDE eventually rises again with :math:`T_1`.
    """
    if effect <= 0:
        raise ValueError("effect must be > 0")
    for T in range(1, max_post + 1):
        if mde_from_sd(ar1_did_sd(n_pre, T, rho, sigma_u, detrend), alpha, power) <= effect:
            return float(T)
    return math.inf


@dataclass
class MDEResult:
    """Minimum detectable effects of one design.

    Attributes
    ----------
    mde
        Headline: normal-approximation MDE from the placebo-in-time sd
        (the placebo-across-units one when the pre-period is too short).
    table
        One row per source of :math:`\\hat\\sigma`: ``method``, ``mean`` (of
        the placebo estimates: a systematic drift, e.g. a differential trend,
        shows here and inflates ``mde_randomisation``, which keeps it, but not
        ``mde_normal``, which uses the sd only), ``sd``, ``mde_normal``,
        ``mde_randomisation`` (NaN for ``ar1``), ``n_placebos``.
    needed
        Post periods needed (AR(1)) for each effect in ``effects``: columns
        ``effect``, ``n_post_needed``, ``mde_at_needed``.
    rho, sigma_u
        AR(1) parameters of the pre-period gap.
    n_pre, n_post
        Pre and post periods of the design.
    alpha, power
    best_mde, best_n_post
        Smallest AR(1) MDE over horizons ``1..max_post`` and the horizon
        that attains it (the MDE cannot go below the pre-period's own noise,
        and with ``detrend`` it rises again as the extrapolation lengthens).
    placebos
        The placebo estimates by method.
    """

    mde: float
    table: pd.DataFrame
    needed: pd.DataFrame
    rho: float
    sigma_u: float
    n_pre: int
    n_post: int
    alpha: float
    power: float
    best_mde: float = math.nan
    best_n_post: int = 0
    placebos: dict[str, np.ndarray] = field(default_factory=dict)


def _did(Y: np.ndarray, tr: list[int], ctrl: list[int], s: int, e: int,
         detrend: bool = False) -> float:
    """Mean-gap DiD :math:`w'd`: periods ``0..s-1`` pre, ``s..e-1`` post."""
    d = Y[tr].mean(axis=0) - Y[ctrl].mean(axis=0)
    return float(did_weights(s, e - s, detrend) @ d[:e])


def minimum_detectable_effect(
    panel: pd.DataFrame,
    *,
    treated: Hashable | Iterable[Hashable],
    start: Any | Mapping[Hashable, Any],
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    controls: Iterable[Hashable] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    effects: Sequence[float] = (0.005, 0.01),
    min_pre: int = 4,
    max_post: int = 200,
    detrend: bool = False,
) -> MDEResult:
    """MDE of the DiD of ``outcome`` for ``treated`` vs ``controls`` (module docstring).

    Parameters
    ----------
    panel, treated, start, outcome, unit, period, controls
        As in :func:`reindus.evaluation.did.did` (tidy balanced long frame;
        ``start`` the first treated period, common to the treated units).
    alpha, power
        Two-sided level and target power (5 %, 80 %).
    effects
        Effects (in outcome units; log points for log outcomes, 0.005 = 0.5 %)
        for which the number of post periods needed is reported.
    min_pre
        Fewest pre periods a placebo-in-time estimate may use.
    max_post
        Search ceiling for :func:`periods_needed`.
    detrend
        MDE of the trend-adjusted DiD (gap detrended on the pre-period, see
        :func:`did_weights`) instead of the plain one; the AR(1) is then
        fitted to the detrended pre-period gap. Use it when the treated unit
        trends apart from its controls: the plain DiD is then biased, and the
        AR(1) fit of a trending gap returns :math:`\\rho` near 1.

    Returns
    -------
    MDEResult
    """
    wp_all = to_wide(panel, unit=unit, period=period, outcome=outcome)
    trl = normalise_treated(treated)
    ctrl_names = controls_list(wp_all, trl, controls)
    wp = wp_all.subset(trl + ctrl_names)
    spos = start_positions(wp, trl, start)
    s = common_start(spos, "minimum_detectable_effect needs a common start for the treated units")
    Y = wp.Y
    T = Y.shape[1]
    n_post, n_pre = T - s, s
    tr = list(range(len(trl)))
    ctrl = list(range(len(trl), len(trl) + len(ctrl_names)))
    if len(ctrl) < 2:
        raise ValueError("need at least two controls")
    # placebo in time: fake start f inside the pre-period, the same number of
    # post periods, every earlier period as pre (at least min_pre)
    plac_time = np.array([_did(Y[:, :s], tr, ctrl, f, f + n_post, detrend)
                          for f in range(max(min_pre, 3 if detrend else 1), s - n_post + 1)])
    # placebo across units: each control as if treated, against the others
    plac_units = np.array([_did(Y, [j], [c for c in ctrl if c != j], s, T, detrend)
                           for j in ctrl])
    d_pre = Y[tr].mean(axis=0)[:s] - Y[ctrl].mean(axis=0)[:s]
    if detrend:
        tt = np.arange(s, dtype=float)
        d_pre = d_pre - np.polyval(np.polyfit(tt, d_pre, 1), tt)
    rho, sigma_u = ar1_fit(d_pre)
    sd_ar1 = ar1_did_sd(n_pre, n_post, rho, sigma_u, detrend)
    rows = []
    for name, pl in (("placebo_time", plac_time), ("placebo_units", plac_units)):
        sd = float(np.std(pl, ddof=1)) if pl.size >= 2 else math.nan
        rows.append({"method": name, "mean": float(pl.mean()) if pl.size else math.nan,
                     "sd": sd, "mde_normal": mde_from_sd(sd, alpha, power),
                     "mde_randomisation": mde_from_placebos(pl, alpha, power),
                     "n_placebos": int(pl.size)})
    rows.append({"method": "ar1", "mean": 0.0, "sd": sd_ar1, "mde_normal": mde_from_sd(sd_ar1, alpha, power),
                 "mde_randomisation": math.nan, "n_placebos": 0})
    table = pd.DataFrame(rows)
    head = table.loc[table["method"] == "placebo_time", "mde_normal"].iloc[0]
    if not np.isfinite(head):
        head = table.loc[table["method"] == "placebo_units", "mde_normal"].iloc[0]
    needed = []
    for eff in effects:
        k = periods_needed(eff, n_pre, rho, sigma_u, alpha, power, max_post, detrend)
        needed.append({"effect": float(eff), "n_post_needed": k,
                       "mde_at_needed": mde_from_sd(ar1_did_sd(n_pre, int(k), rho, sigma_u,
                                                               detrend), alpha, power)
                       if np.isfinite(k) else math.nan})
    horizon = [mde_from_sd(ar1_did_sd(n_pre, k, rho, sigma_u, detrend), alpha, power)
               for k in range(1, max_post + 1)]
    best = int(np.argmin(horizon))
    return MDEResult(mde=float(head), table=table, needed=pd.DataFrame(needed), rho=rho,
                     best_mde=float(horizon[best]), best_n_post=best + 1,
                     sigma_u=sigma_u, n_pre=n_pre, n_post=n_post, alpha=alpha, power=power,
                     placebos={"placebo_time": plac_time, "placebo_units": plac_units})

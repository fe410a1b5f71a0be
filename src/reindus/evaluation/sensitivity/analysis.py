r"""Sensitivity tables over a grid of :math:`M` (or :math:`\bar M`) and breakdown values.

:func:`sensitivity_analysis` runs, for each value of the grid, the identified set and the
robust interval of the chosen restriction (FLCI for :math:`\Delta^{SD}`, C-LF for
:math:`\Delta^{RM}`), next to the original interval; :func:`breakdown_value` finds by
bisection the smallest :math:`M` whose robust interval contains 0.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reindus.evaluation.results import EstimateResult
from reindus.evaluation.sensitivity.identified import (
    identified_set_rm,
    identified_set_sd,
    original_ci,
    target_vector,
)
from reindus.evaluation.sensitivity.inputs import SensitivityInputs, sensitivity_inputs
from reindus.evaluation.sensitivity.relative_magnitudes import conditional_ci_rm
from reindus.evaluation.sensitivity.smoothness import flci_sd

#: the two restrictions on the trend differences :math:`\delta` (Rambachan & Roth 2023)
RESTRICTIONS = ("smoothness", "relative_magnitudes")


@dataclass
class SensitivityResult:
    """Robust intervals over a grid of :math:`M` (or :math:`\\bar M`) and the breakdown value.

    Attributes
    ----------
    frame
        One row per value: ``restriction``, ``m``, ``id_lb``, ``id_ub``
        (identified set at :math:`\\hat\\beta`), ``ci_lo``, ``ci_hi`` (robust
        interval), ``method`` ("FLCI" or "C-LF"/"Conditional"),
        ``contains_zero``, ``level``; plus a row ``m = NaN``, ``method =
        "original"`` holding the conventional interval under parallel trends.
    breakdown
        Smallest :math:`M` at which the robust interval contains 0 (bisection
        to ``tol``); 0 when the conventional interval already does; ``inf``
        when none up to the search ceiling does.
    breakdown_grid
        First grid value whose interval contains 0 (NaN when none).
    restriction, target
        ``"smoothness"`` or ``"relative_magnitudes"``; the weights :math:`l`.
    sigma_source
        Where the covariance came from.
    """

    frame: pd.DataFrame
    breakdown: float
    breakdown_grid: float
    restriction: str
    target: np.ndarray
    sigma_source: str = "given"
    notes: list[str] = field(default_factory=list)


def _robust_ci(inp: SensitivityInputs, restriction: str, m: float, lv: np.ndarray,
               alpha: float, rm_method: str, grid_points: int, seed: int
               ) -> tuple[tuple[float, float], str]:
    if restriction == "smoothness":
        r = flci_sd(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv, alpha)
        return r["ci"], "FLCI"
    hyb = "LF" if rm_method == "C-LF" else "ARP"
    r = conditional_ci_rm(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv, alpha,
                          hybrid=hyb, grid_points=grid_points, seed=seed)
    if r["open"]:
        # HonestDiD's default grid (+-20 sd around 0) cut the set: widen it around
        # the identified set and test again
        post = slice(inp.num_pre, inp.num_pre + inp.num_post)
        sd = float(np.sqrt(lv @ inp.sigma[post, post] @ lv))
        ilo, ihi = identified_set_rm(inp.betahat, inp.num_pre, inp.num_post, m, lv)
        g = r["grid"]
        lo = min(g[0], ilo - 20 * sd) if r["accept"][0] else g[0]
        hi = max(g[-1], ihi + 20 * sd) if r["accept"][-1] else g[-1]
        r = conditional_ci_rm(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv, alpha,
                              hybrid=hyb, grid_points=grid_points, grid_lb=lo, grid_ub=hi,
                              seed=seed)
        if r["open"]:
            return (-math.inf if r["accept"][0] else r["ci"][0],
                    math.inf if r["accept"][-1] else r["ci"][1]), rm_method
    return r["ci"], rm_method


def _contains_zero(ci: tuple[float, float]) -> bool:
    lo, hi = ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    return lo <= 0 <= hi


def breakdown_value(inp: SensitivityInputs, restriction: str, l_vec: Any = None,
                    alpha: float = 0.05, rm_method: str = "C-LF", grid_points: int = 1000,
                    seed: int = 0, tol: float | None = None, upper: float | None = None
                    ) -> float:
    """Smallest :math:`M` (or :math:`\\bar M`) whose robust interval contains 0.

    Bisection on :math:`[0, upper]`: the restriction sets are nested in
    :math:`M`, so the robust sets grow with it (for :math:`\\Delta^{RM}` the
    C-LF test of :math:`\\theta = 0` is run directly; for the FLCI, whose
    centre moves with :math:`M`, the result is the crossing found by bisection
    and a non-monotone FLCI could cross more than once). ``upper`` defaults to
    :math:`\\bar M = 10` for relative magnitudes and to :math:`10\\,\\max
    |\\hat\\beta|` for smoothness, doubled until the interval contains 0
    (``inf`` if it never does after 8 doublings). ``tol`` defaults to
    :math:`10^{-3}` of ``upper``.
    """
    if restriction not in RESTRICTIONS:
        raise ValueError(f"restriction must be one of {RESTRICTIONS}")
    lv = target_vector(l_vec, inp.num_post)

    def has0(m: float) -> bool:
        if restriction == "relative_magnitudes":
            # is theta = 0 in the confidence set? One test per piece, no grid
            hyb = "LF" if rm_method == "C-LF" else "ARP"
            r = conditional_ci_rm(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, m, lv,
                                  alpha, hybrid=hyb, grid_points=1, grid_lb=0.0, grid_ub=0.0,
                                  seed=seed)
            return bool(r["accept"][0])
        ci, _ = _robust_ci(inp, restriction, m, lv, alpha, rm_method, grid_points, seed)
        return _contains_zero(ci)

    if has0(0.0):
        return 0.0
    if upper is None:
        upper = 10.0 if restriction == "relative_magnitudes" else 10 * float(
            np.abs(inp.betahat).max())
    hi = float(upper)
    for _ in range(8):
        if has0(hi):
            break
        hi *= 2
    else:
        return math.inf
    lo = 0.0
    tol = 1e-3 * hi if tol is None else tol
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if has0(mid):
            hi = mid
        else:
            lo = mid
    return hi


def sensitivity_analysis(
    result: EstimateResult | SensitivityInputs | None = None,
    *,
    restriction: str = "smoothness",
    m_grid: Any = None,
    l_vec: Any = None,
    alpha: float = 0.05,
    betahat: Any = None,
    sigma: Any = None,
    num_pre: int | None = None,
    num_post: int | None = None,
    vcov: Any = None,
    rm_method: str = "C-LF",
    grid_points: int = 1000,
    seed: int = 0,
    compute_breakdown: bool = True,
    drop_binned: bool = True,
) -> SensitivityResult:
    """Robust intervals for :math:`l'\\tau_{post}` over a grid of :math:`M` or :math:`\\bar M`.

    Parameters
    ----------
    result
        :class:`EstimateResult` of :func:`~reindus.evaluation.event_study.event_study`
        (see :func:`sensitivity_inputs` for the covariance), or
        :class:`SensitivityInputs`; or None with explicit ``betahat, sigma,
        num_pre, num_post`` (HonestDiD's arguments).
    restriction
        ``"smoothness"`` (:math:`\\Delta^{SD}(M)`, FLCI) or
        ``"relative_magnitudes"`` (:math:`\\Delta^{RM}(\\bar M)`, C-LF).
    m_grid
        Values of :math:`M` / :math:`\\bar M`. Default: 10 values from 0 to the
        standard error of the first pre coefficient (smoothness), or
        0, 0.25, ..., 2 (relative magnitudes).
    l_vec
        Target weights on the post coefficients (default: the first post
        period; ``np.full(T, 1/T)`` for the average).
    alpha
        1 - confidence level.
    rm_method
        ``"C-LF"`` (default) or ``"Conditional"`` for relative magnitudes.
    grid_points, seed
        Test-inversion grid and seed of the least-favourable simulation (C-LF).
    compute_breakdown
        Also compute the breakdown value by bisection (more evaluations).
    drop_binned
        Leave out binned endpoint coefficients (see :func:`sensitivity_inputs`).

    Returns
    -------
    SensitivityResult
    """
    if restriction not in RESTRICTIONS:
        raise ValueError(f"restriction must be one of {RESTRICTIONS}")
    if rm_method not in ("C-LF", "Conditional"):
        raise ValueError("rm_method must be 'C-LF' or 'Conditional'")
    if isinstance(result, SensitivityInputs):
        inp = result
    else:
        inp = sensitivity_inputs(result, betahat=betahat, sigma=sigma, num_pre=num_pre,
                                 num_post=num_post, vcov=vcov, drop_binned=drop_binned)
    lv = target_vector(l_vec, inp.num_post)
    if m_grid is None:
        if restriction == "smoothness":
            m_grid = np.linspace(0, math.sqrt(inp.sigma[0, 0]), 10)
        else:
            m_grid = np.arange(0, 2.01, 0.25)
    m_grid = [float(m) for m in np.atleast_1d(m_grid)]
    if any(m < 0 for m in m_grid):
        raise ValueError("M values must be >= 0")
    rows = []
    for m in m_grid:
        if restriction == "smoothness":
            ilb, iub = identified_set_sd(inp.betahat, inp.num_pre, inp.num_post, m, lv)
        else:
            ilb, iub = identified_set_rm(inp.betahat, inp.num_pre, inp.num_post, m, lv)
        ci, meth = _robust_ci(inp, restriction, m, lv, alpha, rm_method, grid_points, seed)
        rows.append({"restriction": restriction, "m": m, "id_lb": ilb, "id_ub": iub,
                     "ci_lo": ci[0], "ci_hi": ci[1], "method": meth,
                     "contains_zero": _contains_zero(ci), "level": 1 - alpha})
    olo, ohi = original_ci(inp.betahat, inp.sigma, inp.num_pre, inp.num_post, lv, alpha)
    est = float(lv @ inp.betahat[inp.num_pre:])
    rows.append({"restriction": restriction, "m": math.nan, "id_lb": est, "id_ub": est,
                 "ci_lo": olo, "ci_hi": ohi, "method": "original",
                 "contains_zero": _contains_zero((olo, ohi)), "level": 1 - alpha})
    frame = pd.DataFrame(rows)
    grid_rows = frame[(frame["method"] != "original") & frame["contains_zero"]]
    bgrid = float(grid_rows["m"].min()) if len(grid_rows) else math.nan
    notes = []
    if inp.sigma_source.startswith("diagonal"):
        notes.append("covariance is diagonal (se_cluster^2): correlations between event-study "
                     "coefficients ignored")
    if compute_breakdown:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            bd = breakdown_value(inp, restriction, lv, alpha, rm_method, grid_points, seed)
    else:
        bd = math.nan
    return SensitivityResult(frame=frame, breakdown=bd, breakdown_grid=bgrid,
                             restriction=restriction, target=lv,
                             sigma_source=inp.sigma_source, notes=notes)

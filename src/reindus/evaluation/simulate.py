r"""Simulated panels shaped like the regional panel, for method validation only.

.. math::

    y_{it} = \alpha_i + \lambda_t + \tau\, D_{it} + \varepsilon_{it}, \qquad
    \varepsilon_{it} = \rho\, \varepsilon_{i,t-1} + \sigma_i \eta_{it},\quad
    \eta_{it} \sim N(0, 1),

with :math:`\alpha_i \sim N(0, s_\alpha^2)`, :math:`\lambda_t` a random walk
(common shocks, as in real employment series) and stationary AR(1) errors
started from their stationary distribution. Defaults mimic quarterly log
industrial employment of the 13 metropolitan regions: ~100 quarters, a
quarterly idiosyncratic innovation of about 0.5 % and persistence 0.6.

Synthetic data are used in tests and in ``bench/`` only, never in notebooks.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# the calibrated validation lives in its own module; its names stay importable from here
from reindus.evaluation.simulate_validation import (
    SCENARIOS,
    VALIDATION_METHODS,
    VALIDATION_RECORD,
    Calibration,
    calibrate,
    load_validation,
    simulate_calibrated,
    summarise_validation,
    validation_draw,
)

__all__ = ["SCENARIOS", "VALIDATION_METHODS", "VALIDATION_RECORD", "Calibration", "calibrate",
           "load_validation", "run_simulation", "simulate_calibrated", "simulate_draw",
           "simulate_panel", "summarise_simulation", "summarise_validation",
           "validation_draw"]


def simulate_panel(
    *,
    n_units: int = 13,
    n_periods: int = 100,
    treated: Sequence[int] = (0,),
    start: int | Sequence[int] = 92,
    effect: float = 0.0,
    rho: float = 0.6,
    sigma: float = 0.005,
    sigma_unit_sd: float = 0.0,
    unit_sd: float = 1.0,
    time_sd: float = 0.01,
    factor_sd: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Draw one panel.

    Parameters
    ----------
    n_units, n_periods
        Panel size; units are named ``'u00'``, ``'u01'``...; periods are 0..T-1.
    treated
        Row numbers of the treated units.
    start
        First treated period (one for all, or one per treated unit).
    effect
        Constant additive effect :math:`\\tau` from ``start`` on.
    rho, sigma
        AR(1) coefficient and innovation standard deviation of the errors.
    sigma_unit_sd
        Heteroskedasticity across units: :math:`\\sigma_i = \\sigma \\exp(s z_i)`.
    unit_sd, time_sd
        Standard deviations of unit effects and of the common random-walk steps.
    factor_sd
        Optional interactive term :math:`\\mu_i f_t` (unit loadings times a
        random-walk factor) that two-way fixed effects do not absorb.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    pandas.DataFrame
        Columns ``unit``, ``period`` (int), ``y``, ``treated`` (bool, ever
        treated), ``first_treated`` (Int64, <NA> for never treated), ``d``
        (0/1 treatment indicator).
    """
    if not 0 <= rho < 1:
        raise ValueError("rho must be in [0, 1)")
    treated = list(treated)
    if any(not 0 <= t < n_units for t in treated):
        raise ValueError("treated rows must be in range(n_units)")
    starts = [int(start)] * len(treated) if np.isscalar(start) else [int(s) for s in start]
    if len(starts) != len(treated):
        raise ValueError("give one start per treated unit")
    rng = np.random.default_rng(seed)
    alpha = rng.normal(0.0, unit_sd, n_units)
    lam = np.cumsum(rng.normal(0.0, time_sd, n_periods))
    sig = sigma * np.exp(sigma_unit_sd * rng.normal(size=n_units))
    eps = np.empty((n_units, n_periods))
    eps[:, 0] = rng.normal(size=n_units) * sig / np.sqrt(1 - rho**2)
    shocks = rng.normal(size=(n_units, n_periods)) * sig[:, None]
    for t in range(1, n_periods):
        eps[:, t] = rho * eps[:, t - 1] + shocks[:, t]
    Y = alpha[:, None] + lam[None, :] + eps
    if factor_sd:
        f = np.cumsum(rng.normal(0.0, factor_sd, n_periods))
        Y += rng.normal(size=n_units)[:, None] * f[None, :]
    first = np.full(n_units, -1)
    for t, s in zip(treated, starts, strict=True):
        first[t] = s
    D = (first[:, None] >= 0) & (np.arange(n_periods)[None, :] >= first[:, None])
    Y = Y + effect * D
    return pd.DataFrame({
        "unit": np.repeat([f"u{i:02d}" for i in range(n_units)], n_periods),
        "period": np.tile(np.arange(n_periods), n_units),
        "y": Y.ravel(),
        "treated": np.repeat(first >= 0, n_periods),
        "first_treated": pd.array(np.repeat(np.where(first >= 0, first, -1), n_periods),
                                  dtype="Int64"),
        "d": D.ravel().astype(int),
    }).assign(first_treated=lambda d: d["first_treated"].mask(d["first_treated"] < 0))


def simulate_draw(seed: int, *, effect: float = 0.0, estimators: Sequence[str] = ("did", "synth"),
                  n_boot: int = 199, panel_kwargs: dict | None = None,
                  level: float = 0.95) -> list[dict]:
    """Run the estimators on one simulated panel; one row per inference method.

    ``estimators`` may contain ``"did"`` (all five inference methods),
    ``"event_study"`` (pre-trend tests, size only), ``"synth"`` (conformal and
    placebo-in-space) and ``"cs"`` (Callaway–Sant'Anna with two cohorts,
    randomisation inference). Rows: estimator, inference, estimate, p_value,
    ci_lo, ci_hi, effect, seed.
    """
    from reindus.evaluation.did import did
    from reindus.evaluation.event_study import event_study
    from reindus.evaluation.staggered import callaway_santanna
    from reindus.evaluation.synth import synth

    kw = {"n_units": 13, "n_periods": 100, "start": 92} | (panel_kwargs or {})
    start = kw["start"]
    df = simulate_panel(effect=effect, seed=seed, **kw)
    rows: list[dict] = []

    def add(est: str, inf: str, estimate: float, p: float, ci: tuple[float, float]) -> None:
        rows.append({"estimator": est, "inference": inf, "estimate": estimate, "p_value": p,
                     "ci_lo": ci[0], "ci_hi": ci[1], "effect": effect, "seed": seed})

    if "did" in estimators:
        r = did(df, treated="u00", start=start, n_boot=n_boot, seed=seed, level=level,
                use_statsmodels=False)
        for name, i in r.inference.items():
            add("did", name, r.estimate, i.p_value, i.ci)
    if "event_study" in estimators:
        r = event_study(df, treated="u00", start=start, seed=seed, level=level)
        for name, d in r.diagnostics["pretrend"].items():
            add("event_study_pretrend", name, np.nan, d["p_value"], (np.nan, np.nan))
    if "synth" in estimators:
        r = synth(df, treated="u00", start=start, level=level)
        for name in ("conformal", "placebo"):
            add("synth", name, r.estimate, r.pvalue(name), r.confint(name))
    if "cs" in estimators:
        dfc = simulate_panel(effect=effect, seed=seed, **(kw | {"treated": (0, 1),
                                                                "start": (start, start + 2)}))
        r = callaway_santanna(dfc, n_perm=99, seed=seed, level=level)
        add("cs", "permutation", r.estimate, r.p_value, r.ci)
    return rows


def run_simulation(n_draws: int, *, effect: float = 0.0, first_seed: int = 0,
                   **kwargs) -> pd.DataFrame:
    """:func:`simulate_draw` for seeds ``first_seed .. first_seed + n_draws - 1``."""
    rows = []
    for s in range(first_seed, first_seed + n_draws):
        rows.extend(simulate_draw(s, effect=effect, **kwargs))
    return pd.DataFrame(rows)


def summarise_simulation(sims: pd.DataFrame, alphas: Sequence[float] = (0.05, 0.10)
                         ) -> pd.DataFrame:
    """Rejection rates, coverage and median interval width by estimator and inference.

    ``reject_<a>`` is the share of draws with ``p <= a``; ``coverage`` the
    share of intervals containing the true effect; ``bias`` the mean error
    of the point estimate.
    """
    d = sims.copy()
    for a in alphas:
        d[f"reject_{a:.2f}"] = d["p_value"] <= a + 1e-12
    has_ci = d["ci_lo"].notna() & d["ci_hi"].notna()
    d["covered"] = ((d["ci_lo"] <= d["effect"]) & (d["effect"] <= d["ci_hi"])).where(has_ci)
    d["covered"] = d["covered"].astype("float64")
    d["width"] = d["ci_hi"] - d["ci_lo"]
    d["error"] = d["estimate"] - d["effect"]
    agg = {f"reject_{a:.2f}": (f"reject_{a:.2f}", "mean") for a in alphas}
    out = d.groupby(["estimator", "inference", "effect"], sort=False).agg(
        n=("seed", "size"), **agg, coverage=("covered", "mean"),
        median_width=("width", "median"), bias=("error", "mean"),
        rmse=("error", lambda e: float(np.sqrt(np.mean(e**2)))))
    return out.reset_index()

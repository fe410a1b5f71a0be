r"""The calibrated validation study: panels drawn like the real regions, every method on them.

:func:`calibrate` estimates a data-generating process (levels, unit trends and
their breaks, AR(1) noise, common shocks) from the regional industry panel;
:func:`simulate_calibrated` draws null panels from it; :func:`validation_draw`
runs every estimator x inference pair of :data:`VALIDATION_METHODS` on one
draw and :func:`summarise_validation` turns the draws into size, coverage,
RMSE and power (``bench/validate_evaluation.py`` runs it; the record is
:data:`VALIDATION_RECORD`, read by :func:`load_validation`).

Synthetic data are used in tests and in ``bench/`` only, never in notebooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# --------------------------------------------------------------------------- calibrated DGPs
#: Committed record of ``bench/validate_evaluation.py`` (read by :func:`load_validation`).
VALIDATION_RECORD = Path(__file__).with_name("validation.json")

#: The three calibrated designs of the validation (issue 10).
SCENARIOS = ("no_trend", "trend", "trend_break")


@dataclass(frozen=True)
class Calibration:
    r"""Parameters of the calibrated data-generating process, estimated from a real panel.

    The real panel is decomposed, on the calibration window, as

    .. math::

        y_{it} = a_i + b_i (t - \bar t) + \lambda_t + e_{it}, \qquad
        e_{it} = \rho\, e_{i,t-1} + \sigma_i \eta_{it},

    with :math:`\sum_i b_i = 0` (a common trend is part of :math:`\lambda_t`).

    Attributes
    ----------
    units
        Unit identifiers of the real panel, in the order of ``levels`` and ``sigma``.
    window
        First and last period of the calibration window (strings).
    n_periods
        Periods in the window; ``n_used`` of them enter the fit (Covid quarters dropped).
    levels
        :math:`\hat a_i` (the unit means of :math:`y`, e.g. log employment).
    trend_sd
        Dispersion across units of the unit-specific slopes :math:`b_i`, per
        period, corrected for estimation noise:
        :math:`\sqrt{\max(0, \widehat{\mathrm{var}}(\hat b_i) - \overline{\mathrm{se}^2(\hat b_i)})}`.
    trend_sd_raw
        The uncorrected standard deviation of :math:`\hat b_i`.
    break_sd
        Dispersion of the change of slope between the first and the second
        half of the window, :math:`\mathrm{sd}(\hat b_i^{(2)} - \hat b_i^{(1)})`
        corrected for estimation noise; used as the slope break at treatment.
    drift, common_sd
        Mean and standard deviation of :math:`\Delta \hat\lambda_t` (common shocks).
    rho
        Pooled AR(1) coefficient of the residuals :math:`\hat e_{it}`.
    sigma
        Per-unit innovation standard deviation :math:`\hat\sigma_i` of the AR(1).
    """

    units: tuple[str, ...]
    window: tuple[str, str]
    n_periods: int
    n_used: int
    levels: tuple[float, ...]
    trend_sd: float
    trend_sd_raw: float
    break_sd: float
    drift: float
    common_sd: float
    rho: float
    sigma: tuple[float, ...]

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready) for quoting the parameters."""
        d = asdict(self)
        d["units"] = list(self.units)
        d["window"] = list(self.window)
        d["levels"] = [round(x, 6) for x in self.levels]
        d["sigma"] = [float(x) for x in self.sigma]
        d["sigma_median"] = float(np.median(self.sigma))
        return d


def _slopes(E: np.ndarray, t: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """OLS slope of each row of ``E`` on ``t`` and its AR(1)-corrected variance.

    The variance uses the usual large-sample inflation for AR(1) errors,
    :math:`\\mathrm{var}(\\hat b) \\approx \\frac{s^2}{\\sum (t-\\bar t)^2}\\frac{1+\\rho}{1-\\rho}`.
    """
    tc = t - t.mean()
    sxx = float(tc @ tc)
    b = (E - E.mean(axis=1, keepdims=True)) @ tc / sxx
    res = E - E.mean(axis=1, keepdims=True) - b[:, None] * tc[None, :]
    s2 = (res**2).sum(axis=1) / max(len(t) - 2, 1)
    return b, s2 / sxx * (1 + rho) / (1 - rho)


def calibrate(
    panel: pd.DataFrame | None = None,
    *,
    outcome: str = "log_employment",
    unit: str = "unit",
    period: str = "quarter",
    window: tuple[str, str] = ("2010Q1", "2023Q4"),
    exclude: Sequence[Any] | None = None,
) -> Calibration:
    r"""Estimate the calibrated DGP from a real panel (default: regional industry).

    Parameters
    ----------
    panel
        Tidy panel; default: log industrial employment (sector group
        ``'industry'``) of the 13 metropolitan regions from
        :func:`reindus.data.regional_employment` via
        :func:`reindus.evaluation.panel.outcome_panel`.
    window
        Calibration window, before the first accord (Hauts-de-France is
        treated from 2024Q1) and after the 2008–09 recession.
    exclude
        Periods left out of every fit (default: the Covid quarters
        2020Q1–2021Q4, whose region-specific swings are not the noise of
        ordinary quarters).

    Returns
    -------
    Calibration
        See its attributes. Steps: (1) two-way demeaning plus a unit
        slope on the kept periods (so :math:`\lambda_t` absorbs common
        shocks and the common trend); (2) AR(1) :math:`\rho` pooled over
        consecutive kept residuals; (3) :math:`\sigma_i` from the AR(1)
        innovations; (4) slope dispersion corrected for estimation noise;
        (5) the same slopes on each half of the window for the break.
    """
    from reindus.evaluation._core import to_wide
    from reindus.evaluation.panel import COVID_QUARTERS

    if panel is None:
        from reindus import data
        from reindus.evaluation.panel import outcome_panel

        panel = outcome_panel(data.regional_employment(), data.sectors(), group="industry")
    wp = to_wide(panel[(panel[period] >= _as_period(panel[period], window[0]))
                       & (panel[period] <= _as_period(panel[period], window[1]))],
                 unit=unit, period=period, outcome=outcome)
    excl = {str(p) for p in (COVID_QUARTERS if exclude is None else exclude)}
    keep = np.array([str(p) not in excl for p in wp.periods])
    if keep.sum() < 12:
        raise ValueError("fewer than 12 periods left in the calibration window")
    Y = wp.Y[:, keep]
    t = np.flatnonzero(keep).astype(float)  # positions keep the gaps of excluded periods
    levels = Y.mean(axis=1)
    lam = Y.mean(axis=0)
    E = Y - lam[None, :]  # unit deviations from the common path (still with level and slope)
    b_raw, _ = _slopes(E, t, 0.0)
    tc = t - t.mean()
    R = E - E.mean(axis=1, keepdims=True) - b_raw[:, None] * tc[None, :]
    # AR(1) on consecutive kept periods only (no pair straddles the Covid gap)
    cons = np.diff(t) == 1
    x, y = R[:, :-1][:, cons], R[:, 1:][:, cons]
    rho = float((x * y).sum() / (x * x).sum())
    rho = min(max(rho, 0.0), 0.95)
    innov = y - rho * x
    sigma = innov.std(axis=1, ddof=1)
    b, v = _slopes(E, t, rho)
    trend_var = float(np.var(b, ddof=1) - v.mean())
    half = len(t) // 2
    b1, v1 = _slopes(E[:, :half], t[:half], rho)
    b2, v2 = _slopes(E[:, half:], t[half:], rho)
    brk_var = float(np.var(b2 - b1, ddof=1) - (v1 + v2).mean())
    dl = np.diff(lam)[cons]
    return Calibration(
        units=tuple(wp.units), window=(str(wp.periods[0]), str(wp.periods[-1])),
        n_periods=len(wp.periods), n_used=int(keep.sum()),
        levels=tuple(float(a) for a in levels),
        trend_sd=float(np.sqrt(max(trend_var, 0.0))), trend_sd_raw=float(np.std(b, ddof=1)),
        break_sd=float(np.sqrt(max(brk_var, 0.0))),
        drift=float(dl.mean()), common_sd=float(dl.std(ddof=1)), rho=rho,
        sigma=tuple(float(s) for s in sigma))


def _as_period(col: pd.Series, value: Any) -> Any:
    """``value`` converted to the type of ``col`` (pandas Period or plain)."""
    if isinstance(col.dtype, pd.PeriodDtype):
        return pd.Period(str(value), freq=col.dtype.freq)
    return value


def simulate_calibrated(
    cal: Calibration,
    scenario: str = "trend",
    *,
    n_treated: int = 1,
    n_pre: int = 36,
    n_post: int = 8,
    effect: float = 0.0,
    seed: int = 0,
) -> pd.DataFrame:
    r"""Draw one panel from the calibrated DGP.

    .. math::

        y_{it} = a_{\pi(i)} + \lambda_t + b_i\,(t - t_0) + c_i\,(t - t_0)_+
                 + \tau D_{it} + e_{it},\qquad
        e_{it} = \rho e_{i,t-1} + \sigma_{\pi(i)}\eta_{it},

    with :math:`\pi` a random permutation of the real units (so the treated
    units get the level and noise of a random real region: unequal sizes),
    :math:`\lambda_t` a random walk with the calibrated drift and step
    :math:`s_\lambda`, and by scenario

    * ``"no_trend"``: :math:`b_i = c_i = 0`;
    * ``"trend"``: :math:`b_i \sim N(0, s_b^2)` (calibrated ``trend_sd``), :math:`c_i = 0`;
    * ``"trend_break"``: as ``"trend"`` plus :math:`c_i \sim N(0, s_c^2)`
      (``break_sd``) for *every* unit from :math:`t_0` on: the pre-period
      trend stops being the right extrapolation, for treated and controls alike.

    Parameters
    ----------
    cal
        From :func:`calibrate`.
    n_treated
        Treated units: rows ``u00 .. u{k-1}``, all treated from period ``n_pre``.
    n_pre, n_post
        Pre- and post-treatment periods (defaults: Hauts-de-France's
        2015Q1–2023Q4 pre-period and 8 post quarters).
    effect
        Additive effect :math:`\tau` (log points) on treated unit-periods.

    Returns
    -------
    pandas.DataFrame
        As :func:`simulate_panel`: ``unit``, ``period`` (0..T-1), ``y``,
        ``treated``, ``first_treated``, ``d``; plus ``sigma`` (the unit's noise scale).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"scenario must be one of {SCENARIOS}, got {scenario!r}")
    n = len(cal.units)
    if not 1 <= n_treated <= n - 2:
        raise ValueError(f"n_treated must be between 1 and {n - 2}")
    rng = np.random.default_rng(seed)
    T = n_pre + n_post
    perm = rng.permutation(n)
    alpha = np.asarray(cal.levels)[perm]
    sig = np.asarray(cal.sigma)[perm]
    lam = np.cumsum(rng.normal(cal.drift, cal.common_sd, T))
    rel = np.arange(T) - n_pre
    b = rng.normal(0.0, cal.trend_sd, n) if scenario != "no_trend" else np.zeros(n)
    c = rng.normal(0.0, cal.break_sd, n) if scenario == "trend_break" else np.zeros(n)
    rho = cal.rho
    eps = np.empty((n, T))
    eps[:, 0] = rng.normal(size=n) * sig / np.sqrt(1 - rho**2)
    shocks = rng.normal(size=(n, T)) * sig[:, None]
    for t in range(1, T):
        eps[:, t] = rho * eps[:, t - 1] + shocks[:, t]
    Y = (alpha[:, None] + lam[None, :] + b[:, None] * rel[None, :]
         + c[:, None] * np.maximum(rel, 0)[None, :] + eps)
    treated = np.arange(n) < n_treated
    D = treated[:, None] & (rel[None, :] >= 0)
    Y = Y + effect * D
    return pd.DataFrame({
        "unit": np.repeat([f"u{i:02d}" for i in range(n)], T),
        "period": np.tile(np.arange(T), n),
        "y": Y.ravel(),
        "treated": np.repeat(treated, T),
        "first_treated": pd.array(np.repeat(np.where(treated, n_pre, -1), T), dtype="Int64"),
        "d": D.ravel().astype(int),
        "sigma": np.repeat(sig, T),
    }).assign(first_treated=lambda d: d["first_treated"].mask(d["first_treated"] < 0))


# --------------------------------------------------------------------------- validation study
#: Estimator x inference pairs of the validation (name used in tables -> what runs).
VALIDATION_METHODS = (
    ("did", "conformal"), ("did", "conley_taber"), ("did", "permutation"), ("did", "wild"),
    ("did", "cluster"),
    ("did_detrend", "conformal"), ("did_detrend", "conley_taber"),
    ("synth", "conformal"), ("synth", "placebo"),
    ("sdid", "placebo_t"), ("sdid", "placebo_normal"), ("sdid", "jackknife"),
    ("trend_did", "placebo"), ("trend_did", "conley_taber"),
)


def validation_draw(cal: Calibration, scenario: str, seed: int, *, n_treated: int = 1,
                    n_pre: int = 36, n_post: int = 8,
                    estimators: Sequence[str] = ("did", "did_detrend", "synth", "sdid",
                                                 "trend_did"),
                    n_boot: int = 199, level: float = 0.95) -> list[dict]:
    """Every estimator x inference on one null panel of :func:`simulate_calibrated`.

    Rows: estimator, inference, estimate, p_value, ci_lo, ci_hi, seed. The
    panel has no effect; :func:`summarise_validation` derives coverage and
    power at other effects by shift equivariance (see there). ``synth``
    runs only with one treated unit; ``sdid`` uses the jackknife only with
    two or more.
    """
    from reindus.evaluation.did import did
    from reindus.evaluation.sdid import sdid
    from reindus.evaluation.synth import synth
    from reindus.evaluation.trends import trend_did

    df = simulate_calibrated(cal, scenario, n_treated=n_treated, n_pre=n_pre, n_post=n_post,
                             seed=seed)
    tr = [f"u{i:02d}" for i in range(n_treated)]
    rows: list[dict] = []

    def add(est: str, inf: str, estimate: float, p: float, ci: tuple[float, float]) -> None:
        rows.append({"estimator": est, "inference": inf, "estimate": float(estimate),
                     "p_value": float(p), "ci_lo": float(ci[0]), "ci_hi": float(ci[1]),
                     "seed": seed})

    for name, detrend in (("did", False), ("did_detrend", True)):
        if name not in estimators:
            continue
        meths = ("conformal", "conley_taber", "permutation", "wild", "cluster") if not detrend \
            else ("conformal", "conley_taber")
        r = did(df, treated=tr, start=n_pre, n_boot=n_boot, seed=seed, level=level,
                use_statsmodels=False, detrend=detrend, methods=meths, inference=meths[0])
        for m, i in r.inference.items():
            add(name, m, r.estimate, i.p_value, i.ci)
    if "synth" in estimators and n_treated == 1:
        r = synth(df, treated=tr[0], start=n_pre, level=level)
        for name in ("conformal", "placebo"):
            add("synth", name, r.estimate, r.pvalue(name), r.confint(name))
    if "sdid" in estimators:
        r = sdid(df, treated=tr, start=n_pre, inference="placebo", level=level, seed=seed)
        add("sdid", "placebo_t", r.estimate, r.p_value, r.ci)
        se = r.diagnostics["se"]
        z = float(_norm_ppf(0.5 + level / 2))
        add("sdid", "placebo_normal", r.estimate, float(2 * _norm_sf(abs(r.estimate) / se)),
            (r.estimate - z * se, r.estimate + z * se))
        if n_treated >= 2:
            r = sdid(df, treated=tr, start=n_pre, inference="jackknife", level=level)
            add("sdid", "jackknife", r.estimate, r.p_value, r.ci)
    if "trend_did" in estimators:
        r = trend_did(df, treated=tr, start=n_pre, level=level, seed=seed)
        add("trend_did", "placebo", r.estimate, r.p_value, r.ci)
        r2 = trend_did(df, treated=tr, start=n_pre, level=level, seed=seed,
                       inference="conley_taber")
        add("trend_did", "conley_taber", r2.estimate, r2.p_value, r2.ci)
    return rows


def _norm_ppf(q: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(q))


def _norm_sf(z: float) -> float:
    from scipy import stats

    return float(stats.norm.sf(z))


def summarise_validation(sims: pd.DataFrame, effects: Sequence[float] = (0.01, 0.03),
                         alpha: float = 0.05) -> pd.DataFrame:
    r"""Size, coverage, bias, RMSE and power by estimator x inference.

    From null draws only, using shift equivariance: every estimator here
    satisfies :math:`\hat\tau(Y + \tau D) = \hat\tau(Y) + \tau` and its
    interval moves by :math:`\tau` (weights and placebo distributions are
    fitted on pre-period or control data; test-inversion intervals shift
    with the hypothesised value), which the tests check. Hence, with the
    null draws :math:`(\hat\tau_s, [l_s, u_s], p_s)`:

    * ``size`` = share of :math:`p_s \le \alpha`;
    * ``coverage`` = share of :math:`l_s \le 0 \le u_s` (the same at every effect);
    * ``bias``, ``rmse`` of :math:`\hat\tau_s` (the same at every effect);
    * ``power_<e>`` = share of intervals at effect :math:`e` that exclude 0,
      i.e. of :math:`-e \notin [l_s, u_s]`;
    * ``median_width``; ``bounded`` = share of finite intervals.

    Empty intervals (NaN bounds, the point estimate rejected by a discrete
    test) count as not covering and as rejecting.
    """
    d = sims.copy()
    lo, hi = d["ci_lo"], d["ci_hi"]
    empty = lo.isna() | hi.isna()
    d["reject"] = (d["p_value"] <= alpha + 1e-12).astype(float)
    d["covered"] = ((lo <= 0) & (0 <= hi) & ~empty).astype(float)
    d["width"] = hi - lo
    d["bounded"] = (np.isfinite(lo) & np.isfinite(hi)).astype(float)
    for e in effects:
        d[f"power_{e:g}"] = (empty | (lo > -e) | (hi < -e)).astype(float)
    agg = {f"power_{e:g}": (f"power_{e:g}", "mean") for e in effects}
    out = d.groupby(["estimator", "inference"], sort=False).agg(
        draws=("seed", "size"), size=("reject", "mean"), coverage=("covered", "mean"),
        bias=("estimate", "mean"),
        rmse=("estimate", lambda e: float(np.sqrt(np.mean(e**2)))),
        median_width=("width", "median"), bounded=("bounded", "mean"), **agg)
    return out.reset_index()


def load_validation(path: str | None = None) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The committed validation results: ``(table, meta)``.

    Reads ``src/reindus/evaluation/validation.json``, the committed record
    written by ``bench/validate_evaluation.py`` (which also leaves a copy in
    the git-ignored ``bench/results/``); ``meta`` holds the calibration, the
    configuration (draws, effects) and the run time.
    """
    import json
    from pathlib import Path

    from reindus.errors import DataError

    p = Path(path) if path is not None else VALIDATION_RECORD
    if not p.exists():
        raise DataError(p, "validation results not found",
                        "run .venv/bin/python bench/validate_evaluation.py")
    payload = json.loads(p.read_text(encoding="utf-8"))
    if "validation" not in payload:
        raise DataError(p, "no 'validation' records (an older bench output)",
                        "re-run .venv/bin/python bench/validate_evaluation.py")
    meta = {k: v for k, v in payload.items() if k != "validation"}
    return pd.DataFrame(payload["validation"]), meta

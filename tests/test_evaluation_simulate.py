"""Calibrated data-generating processes of the validation (issue 10)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation.simulate import (
    SCENARIOS,
    Calibration,
    calibrate,
    simulate_calibrated,
    summarise_validation,
)


def _cal(n: int = 13, **kw) -> Calibration:
    base = Calibration(units=tuple(f"r{i}" for i in range(n)), window=("0", "99"), n_periods=100,
                       n_used=100, levels=tuple(np.linspace(9.0, 12.0, n)), trend_sd=0.002,
                       trend_sd_raw=0.002, break_sd=0.001, drift=0.0, common_sd=0.002, rho=0.6,
                       sigma=tuple(np.linspace(0.001, 0.004, n)))
    return dataclasses.replace(base, **kw)


def _wide(df: pd.DataFrame) -> np.ndarray:
    return df.pivot(index="unit", columns="period", values="y").to_numpy()


def test_no_noise_scenarios_have_the_stated_shapes() -> None:
    cal = _cal(sigma=tuple([0.0] * 13), common_sd=0.0)
    flat = _wide(simulate_calibrated(cal, "no_trend", seed=3))
    assert np.allclose(flat - flat[:, :1], 0.0)  # levels only
    tr = _wide(simulate_calibrated(cal, "trend", seed=3))
    slopes = np.diff(tr, axis=1)
    assert np.allclose(slopes, slopes[:, :1])  # one slope per unit, constant in time
    assert slopes[:, 0].std() > 0
    br = _wide(simulate_calibrated(cal, "trend_break", seed=3))
    d = np.diff(br, axis=1)
    # slope changes from period n_pre on (difference between t=35->36 and earlier)
    assert np.allclose(d[:, :35], d[:, :1])
    assert not np.allclose(d[:, 36:], d[:, :1])


def test_effect_is_added_on_treated_post_cells_only() -> None:
    cal = _cal()
    a = simulate_calibrated(cal, "trend", n_treated=3, effect=0.0, seed=5)
    b = simulate_calibrated(cal, "trend", n_treated=3, effect=0.03, seed=5)
    diff = b["y"] - a["y"]
    assert np.allclose(diff[b["d"] == 1], 0.03) and np.allclose(diff[b["d"] == 0], 0.0)
    assert b.loc[b["treated"], "unit"].nunique() == 3
    assert (b.loc[b["treated"], "first_treated"] == 36).all()
    assert b["first_treated"].isna().sum() == 10 * 44


def test_treated_units_get_random_real_noise_scales() -> None:
    cal = _cal()
    scales = {simulate_calibrated(cal, "trend", seed=s).query("unit == 'u00'")["sigma"].iloc[0]
              for s in range(20)}
    assert len(scales) > 5  # unequal unit sizes, drawn at random for the treated unit


def test_calibration_recovers_known_parameters() -> None:
    n, T = 60, 120
    true = _cal(n, trend_sd=0.002, rho=0.6, sigma=tuple([0.002] * n), break_sd=0.0)
    df = simulate_calibrated(true, "trend", n_pre=T, n_post=0 + 1, seed=11)
    df = df[df["period"] < T]
    est = calibrate(df, outcome="y", unit="unit", period="period", window=(0, T - 1), exclude=[])
    assert est.rho == pytest.approx(0.6, abs=0.06)
    assert np.median(est.sigma) == pytest.approx(0.002, rel=0.1)
    assert est.trend_sd == pytest.approx(0.002, rel=0.3)
    assert est.break_sd < 0.0005  # no break in the truth
    assert est.n_used == T and len(est.units) == n


def test_calibration_on_the_real_industry_panel() -> None:
    cal = calibrate()
    d = cal.as_dict()
    assert len(cal.units) == 13 and cal.window == ("2010Q1", "2023Q4")
    assert cal.n_used == cal.n_periods - 8  # the eight Covid quarters left out
    # quarterly slopes of log industrial employment differ by a few tenths of a point
    assert 0.0005 < cal.trend_sd < 0.005
    assert 0.0 <= cal.rho < 0.95 and 0.0005 < d["sigma_median"] < 0.01
    assert set(d) >= {"trend_sd", "break_sd", "rho", "sigma", "common_sd", "drift"}


def test_bad_scenario_and_treated_count() -> None:
    with pytest.raises(ValueError, match="scenario"):
        simulate_calibrated(_cal(), "quadratic")
    with pytest.raises(ValueError, match="n_treated"):
        simulate_calibrated(_cal(), "trend", n_treated=12)
    assert SCENARIOS == ("no_trend", "trend", "trend_break")


def test_summary_uses_shift_equivariance_for_power() -> None:
    sims = pd.DataFrame({"estimator": "e", "inference": "i", "seed": [0, 1, 2, 3],
                         "estimate": [0.0, 0.01, -0.01, 0.002], "p_value": [0.5, 0.01, 0.2, 0.9],
                         "ci_lo": [-0.02, 0.001, -0.025, -0.005],
                         "ci_hi": [0.02, 0.02, 0.005, 0.009]})
    s = summarise_validation(sims, effects=(0.01, 0.03)).iloc[0]
    assert s["size"] == 0.25 and s["coverage"] == 0.75
    # at effect 0.01 the intervals become [-0.01, 0.03], [0.011, 0.03], [-0.015, 0.015], [0.005, 0.019]
    assert s["power_0.01"] == 0.5
    assert s["power_0.03"] == 1.0
    assert s["rmse"] == pytest.approx(np.sqrt((0.01**2 * 2 + 0.002**2) / 4))

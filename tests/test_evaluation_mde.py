"""Minimum detectable effect: hand-computed cases and a power simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation.did import did
from reindus.evaluation.mde import (
    ar1_did_sd,
    ar1_fit,
    ar1_mean_variance,
    mde_from_placebos,
    mde_from_sd,
    minimum_detectable_effect,
    periods_needed,
)


def test_mde_from_sd_is_2_80_sigma():
    assert mde_from_sd(1.0) == pytest.approx(1.959964 + 0.841621, abs=1e-6)
    assert mde_from_sd(0.01, alpha=0.10, power=0.5) == pytest.approx(0.01 * 1.644854, abs=1e-8)


def test_ar1_mean_variance_by_hand():
    # T = 2: (s^2/4) (2 + 2 rho)
    assert ar1_mean_variance(2, 0.5, 2.0) == pytest.approx(4 / 4 * (2 + 1.0))
    # T = 3: (s^2/9) (3 + 2 (2 rho + rho^2))
    assert ar1_mean_variance(3, 0.5, 1.0) == pytest.approx((3 + 2 * (1.0 + 0.25)) / 9)
    assert ar1_mean_variance(5, 0.0, 1.0) == pytest.approx(1 / 5)


def test_ar1_did_sd_white_noise_and_explicit_matrix():
    assert ar1_did_sd(4, 2, 0.0, 1.0) == pytest.approx(math.sqrt(1 / 4 + 1 / 2))
    rho, n0, n1 = 0.6, 5, 3
    n = n0 + n1
    om = rho ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    w = np.r_[np.full(n0, -1 / n0), np.full(n1, 1 / n1)]
    assert ar1_did_sd(n0, n1, rho, 0.02) == pytest.approx(0.02 * math.sqrt(w @ om @ w))


def test_periods_needed_white_noise_by_hand():
    # rho = 0, sigma = 0.01, 1000 pre periods: MDE(T) ~ 2.8016 * 0.01 * sqrt(1/T + 1/1000)
    k = periods_needed(0.01, 1000, 0.0, 0.01)
    z = mde_from_sd(1.0)
    assert z * 0.01 * math.sqrt(1 / k + 1e-3) <= 0.01 < z * 0.01 * math.sqrt(1 / (k - 1) + 1e-3)
    # 2.8016^2 (1/T + 0.001) <= 1  <=>  1/T <= 1/7.849 - 0.001 = 0.1264  <=>  T >= 7.91
    assert k == 8
    # the pre-period mean's noise is a floor: a tiny effect is never detectable
    assert periods_needed(1e-4, 10, 0.0, 0.01, max_post=50) == math.inf


def test_ar1_fit_recovers_parameters():
    rng = np.random.default_rng(0)
    rho, sig = 0.7, 0.01
    x = np.zeros(4000)
    for t in range(1, x.size):
        x[t] = rho * x[t - 1] + rng.normal(0, sig * math.sqrt(1 - rho**2))
    r, s = ar1_fit(x)
    assert r == pytest.approx(rho, abs=0.04)
    assert s == pytest.approx(sig, rel=0.08)


def test_mde_from_placebos_by_hand():
    # 20 placebos +-0.1, ..., +-1.0; alpha = 0.1: c = sorted |e|[ceil(0.9 * 20) - 1] = 0.9
    e = np.r_[np.arange(1, 11), -np.arange(1, 11)] / 10.0
    m = mde_from_placebos(e, alpha=0.1, power=0.5)
    # pi(tau) = share of |tau + e| > 0.9; for 0 < tau < 1.8 only positive e can
    # exceed, those with e > 0.9 - tau. Power 0.5 needs 10 of 20, i.e. all ten
    # positive placebos: tau + 0.1 > 0.9, tau just above 0.8.
    assert m == pytest.approx(0.8, abs=1e-9)
    assert np.mean(np.abs(m + e) > 0.9) >= 0.5
    assert np.mean(np.abs(0.8 - 1e-9 + e) > 0.9) < 0.5
    assert math.isnan(mde_from_placebos(e[:10], alpha=0.05))  # fewer than 1/alpha placebos


def _panel(rng, n_units=13, n_pre=40, n_post=8, rho=0.5, sigma=0.01, effect=0.0):
    T = n_pre + n_post
    e = np.zeros((n_units, T))
    e[:, 0] = rng.normal(0, sigma, n_units)
    for t in range(1, T):
        e[:, t] = rho * e[:, t - 1] + rng.normal(0, sigma * math.sqrt(1 - rho**2), n_units)
    y = rng.normal(0, 0.1, n_units)[:, None] + rng.normal(0, 0.02, T)[None, :] + e
    y[0, n_pre:] += effect
    units = [f"u{i:02d}" for i in range(n_units)]
    return pd.DataFrame({"unit": np.repeat(units, T), "period": np.tile(np.arange(T), n_units),
                         "y": y.ravel()})


def test_power_at_the_mde_is_about_80_percent():
    # true sd of the DiD: gap d_t = e_0t - mean(e_ct) is AR(1) with var sigma^2 (1 + 1/12)
    rho, sigma, n_pre, n_post = 0.5, 0.01, 40, 8
    sd = ar1_did_sd(n_pre, n_post, rho, sigma * math.sqrt(1 + 1 / 12))
    mde = mde_from_sd(sd)
    rng = np.random.default_rng(1)
    hits = []
    for _ in range(150):
        p = _panel(rng, n_pre=n_pre, n_post=n_post, rho=rho, sigma=sigma, effect=mde)
        w = p.pivot(index="unit", columns="period", values="y").to_numpy()
        d = w[0] - w[1:].mean(axis=0)
        tau = d[n_pre:].mean() - d[:n_pre].mean()
        hits.append(abs(tau) > 1.959964 * sd)
    assert 0.68 < np.mean(hits) < 0.92


def test_minimum_detectable_effect_on_a_simulated_panel():
    rng = np.random.default_rng(3)
    p = _panel(rng)
    r = minimum_detectable_effect(p, treated="u00", start=40, outcome="y", unit="unit",
                                  period="period")
    sd_true = ar1_did_sd(40, 8, 0.5, 0.01 * math.sqrt(1 + 1 / 12))
    assert r.n_pre == 40 and r.n_post == 8
    assert set(r.table["method"]) == {"placebo_time", "placebo_units", "ar1"}
    ar1 = r.table.set_index("method").loc["ar1"]
    assert ar1["sd"] == pytest.approx(sd_true, rel=0.5)
    assert 0.3 < r.rho < 0.75
    assert r.mde == pytest.approx(mde_from_sd(sd_true), rel=0.6)
    # the DiD point estimate is the package's TWFE DiD (same estimator as the placebos)
    est = did(p, treated="u00", start=40, methods=("cluster",), inference="cluster").estimate
    w = p.pivot(index="unit", columns="period", values="y").to_numpy()
    dd = w[0] - w[1:].mean(axis=0)
    assert est == pytest.approx(dd[40:].mean() - dd[:40].mean(), abs=1e-10)
    nd = r.needed.set_index("effect")["n_post_needed"]
    assert nd.loc[0.01] <= nd.loc[0.005]
    assert len(r.placebos["placebo_time"]) == 40 - 8 - 4 + 1


def test_bad_inputs():
    with pytest.raises(ValueError, match="alpha"):
        mde_from_sd(1.0, alpha=0)
    with pytest.raises(ValueError, match="rho"):
        ar1_did_sd(3, 3, 1.0, 1.0)
    p = _panel(np.random.default_rng(0), n_units=2)
    with pytest.raises(ValueError, match="two controls"):
        minimum_detectable_effect(p, treated="u00", start=40)


def test_detrended_did_weights_by_hand():
    # line through pre periods t = 0, 1, 2 predicts at t = 3: -2/3 y0 + 1/3 y1 + 4/3 y2
    from reindus.evaluation.mde import did_weights
    np.testing.assert_allclose(did_weights(3, 1, detrend=True), [2 / 3, -1 / 3, -4 / 3, 1.0])
    np.testing.assert_allclose(did_weights(2, 2), [-0.5, -0.5, 0.5, 0.5])
    # the weights kill a linear trend and a level
    w = did_weights(10, 4, detrend=True)
    assert w.sum() == pytest.approx(0, abs=1e-12)
    assert w @ np.arange(14) == pytest.approx(0, abs=1e-10)


def test_detrend_removes_the_drift_of_a_trending_gap():
    rng = np.random.default_rng(5)
    p = _panel(rng)
    p.loc[p["unit"] == "u00", "y"] += -0.002 * p.loc[p["unit"] == "u00", "period"]
    plain = minimum_detectable_effect(p, treated="u00", start=40)
    adj = minimum_detectable_effect(p, treated="u00", start=40, detrend=True)
    m_plain = plain.table.set_index("method").loc["placebo_time", "mean"]
    m_adj = adj.table.set_index("method").loc["placebo_time", "mean"]
    assert m_plain < -0.015  # the trend biases the plain placebo DiDs
    assert abs(m_adj) < 0.01 and abs(m_adj) < abs(m_plain) / 2
    assert plain.rho > 0.9 > adj.rho


def test_mde_from_sd_with_student_quantiles() -> None:
    from scipy import stats

    from reindus.evaluation.mde import mde_from_sd

    assert mde_from_sd(1.0, df=8) == pytest.approx(stats.t.ppf(0.975, 8) + stats.t.ppf(0.8, 8))
    assert mde_from_sd(1.0, df=8) > mde_from_sd(1.0)  # fat tails: a larger detectable effect
    assert mde_from_sd(1.0, df=1e9) == pytest.approx(mde_from_sd(1.0), rel=1e-6)

"""Trend-adjusted DiD and event study."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation.trends import detrend_matrix, placebo_gaps, trend_did, trend_event_study


def _panel(n: int = 10, T: int = 30, t0: int = 22, tau: float = 0.0, noise: float = 0.0,
           n_treated: int = 1, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(T)
    Y = (rng.normal(0, 1, n)[:, None] + rng.normal(0, 0.01, n)[:, None] * t
         + np.cumsum(rng.normal(0, 0.02, T))[None, :] + noise * rng.normal(size=(n, T)))
    Y[:n_treated, t0:] += tau
    return pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(n)], T),
                         "period": np.tile(t, n), "y": Y.ravel()})


def test_exact_on_linear_trends_plus_common_shocks() -> None:
    r = trend_did(_panel(tau=0.05), treated="u0", start=22)
    assert r.estimate == pytest.approx(0.05, abs=1e-12)
    assert np.allclose(r.diagnostics["placebo_estimates"], 0.0, atol=1e-12)
    es = trend_event_study(_panel(tau=0.05, n_treated=2), treated=["u0", "u1"], start=22)
    post = es.details[es.details["event_time"] >= 0]
    assert np.allclose(post["coef"], 0.05) and len(post) == 8
    # out-of-sample leads (trends refitted without the last 8 pre-periods) are zero too
    oos = es.details[(es.details["event_time"] < 0) & es.details["out_of_sample"]]
    assert len(oos) == 8 and np.allclose(oos["coef"], 0.0, atol=1e-12)


def test_detrend_matches_polyfit_and_skips_excluded_periods() -> None:
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(4, 20))
    mask = np.ones(20, dtype=bool)
    mask[5:8] = False
    R = detrend_matrix(Y, 15, mask)
    t = np.arange(20)
    keep = mask & (t < 15)
    for i in range(4):
        b, a = np.polyfit(t[keep], Y[i, keep], 1)
        assert np.allclose(R[i], Y[i] - a - b * t)


def test_placebo_gaps_one_treated_sum_to_zero() -> None:
    R = np.random.default_rng(2).normal(size=(6, 5))
    g = placebo_gaps(R, 1, 100, np.random.default_rng(0))
    assert g.shape == (6, 5) and np.allclose(g.sum(axis=0), 0.0)
    assert placebo_gaps(R, 2, 100, np.random.default_rng(0)).shape == (15, 5)
    assert placebo_gaps(R, 2, 7, np.random.default_rng(0)).shape == (7, 5)


def test_interval_shifts_with_the_effect_and_t_quantiles() -> None:
    a = trend_did(_panel(noise=0.01, seed=3), treated="u0", start=22)
    b = trend_did(_panel(noise=0.01, seed=3, tau=0.02), treated="u0", start=22)
    assert b.estimate - a.estimate == pytest.approx(0.02, abs=1e-12)
    assert b.ci[1] - a.ci[1] == pytest.approx(0.02, abs=1e-12)
    se = a.diagnostics["se_placebo"]
    assert se == pytest.approx(np.sqrt(np.mean(a.diagnostics["placebo_estimates"] ** 2)))
    # Student t with N0 - 1 = 8 df: 2.306
    assert (a.ci[1] - a.estimate) / se == pytest.approx(2.306, abs=1e-3)
    ct = trend_did(_panel(noise=0.01, seed=3), treated="u0", start=22, inference="conley_taber")
    assert ct.level == pytest.approx(1 - 2 / 10)


def test_bad_input() -> None:
    p = _panel(n_treated=2)
    with pytest.raises(ValueError, match="common start"):
        trend_did(p, treated=["u0", "u1"], start={"u0": 20, "u1": 22})
    with pytest.raises(ValueError, match="inference"):
        trend_did(p, treated="u0", start=22, inference="wild")
    with pytest.raises(ValueError, match="three pre-periods"):
        trend_did(p, treated="u0", start=22, exclude_periods=range(1, 22))

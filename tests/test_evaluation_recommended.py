"""The recommended estimator: its contract and its behaviour on the real panel."""

from __future__ import annotations

import numpy as np
import pytest

from reindus import evaluation
from reindus.evaluation.sdid import sdid
from reindus.evaluation.simulate import Calibration, simulate_calibrated


def _cal() -> Calibration:
    return Calibration(units=tuple(f"r{i}" for i in range(13)), window=("0", "1"), n_periods=44,
                       n_used=44, levels=tuple(np.linspace(9, 12, 13)), trend_sd=0.002,
                       trend_sd_raw=0.002, break_sd=0.001, drift=0.0, common_sd=0.002, rho=0.8,
                       sigma=tuple(np.linspace(0.001, 0.004, 13)))


def test_recommended_is_sdid_with_placebo_t() -> None:
    df = simulate_calibrated(_cal(), "trend", n_treated=2, effect=0.02, seed=1)
    r = evaluation.recommended(df, treated=["u00", "u01"], start=36)
    ref = sdid(df, treated=["u00", "u01"], start=36, inference="placebo", dist="t")
    assert r.method == "synthetic_did" and r.inference.headline == "placebo"
    assert r.estimate == ref.estimate and r.ci == ref.ci and r.p_value == ref.p_value
    assert r.ci[0] < r.estimate < r.ci[1] and 0 <= r.p_value <= 1
    assert r.treated == ["u00", "u01"] and len(r.controls) == 11 and r.n_obs == 13 * 44
    assert r.diagnostics["validation"]["trend_1_treated"]["size"] <= 0.08
    assert "N0 - 1 = 10" in r.diagnostics["note"]


def test_recommended_on_real_regions_with_quarters() -> None:
    from reindus import data
    from reindus.evaluation import panel as P

    p = P.outcome_panel(data.regional_employment(), data.sectors(), window=("2015Q1", "2025Q4"))
    d = P.design(P.treatment_timing(data.accords()), p["region_code"].unique(),
                 data_end="2025Q4")
    p = p[p["unit"].isin([d["treated"], *d["donors"]])]
    r = evaluation.recommended(p, treated=d["treated"], start=d["start"],
                               outcome="log_employment", unit="unit", period="quarter",
                               exclude_periods=P.COVID_QUARTERS)
    assert r.periods["start"] == "2024Q1" and r.periods["n_post"] == 8
    assert len(r.periods["excluded"]) == 8
    assert r.diagnostics["replicates"].size == len(d["donors"])
    assert np.isfinite(r.ci).all() and r.ci[1] - r.ci[0] < 0.2  # a bounded, finite interval
    assert abs(r.estimate) < 0.1


def test_recommended_refuses_staggered_starts() -> None:
    df = simulate_calibrated(_cal(), "trend", n_treated=2, seed=1)
    with pytest.raises(ValueError, match="common start"):
        evaluation.recommended(df, treated=["u00", "u01"], start={"u00": 36, "u01": 37})


def test_noise_ratio_flags_a_noisy_treated_unit() -> None:
    import dataclasses

    cal = dataclasses.replace(_cal(), sigma=tuple([0.002] * 13), trend_sd=0.0)
    df = simulate_calibrated(cal, "no_trend", seed=2)
    calm = evaluation.recommended(df, treated="u00", start=36)
    assert 0.6 < calm.diagnostics["noise_ratio"] < 1.6 and "too narrow" not in calm.diagnostics["note"]
    rng = np.random.default_rng(0)
    noisy = df.copy()
    m = noisy["unit"] == "u00"
    noisy.loc[m, "y"] += rng.normal(0, 0.01, m.sum())
    r = evaluation.recommended(noisy, treated="u00", start=36)
    assert r.diagnostics["noise_ratio"] > 2 and "too narrow" in r.diagnostics["note"]

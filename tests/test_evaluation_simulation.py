"""Fast simulation check of size and coverage (the full one is bench/validate_evaluation.py).

Panels shaped like ours: 13 units, 100 quarters, unit and time effects, AR(1)
errors, one treated unit with 8 post quarters. Draws use fixed seeds, so the
test is deterministic; the bounds are wide enough for 40 draws (binomial
standard error of a 5 % rate: 3.4 points).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation.simulate import run_simulation, simulate_panel, summarise_simulation

N_DRAWS = 40


@pytest.fixture(scope="module")
def summary():
    null = run_simulation(N_DRAWS, effect=0.0, estimators=("did", "synth"), n_boot=49)
    alt = run_simulation(N_DRAWS, effect=0.02, first_seed=1000, estimators=("did", "synth"),
                         n_boot=49)
    s = summarise_simulation(pd.concat([null, alt], ignore_index=True))
    return s.set_index(["estimator", "inference", "effect"])


def test_simulated_panel_shape():
    df = simulate_panel(seed=1, effect=0.5, sigma=0.0, time_sd=0.0, unit_sd=0.0)
    assert df.shape == (1300, 6)
    assert df["unit"].nunique() == 13 and df["period"].nunique() == 100
    treated = df[df["unit"] == "u00"].set_index("period")["y"]
    assert (treated.loc[92:] == 0.5).all() and (treated.loc[:91] == 0).all()
    assert df["first_treated"].notna().sum() == 100


def test_size_under_zero_effect(summary):
    s = summary.xs(0.0, level="effect")
    # conformal (headline): about nominal
    assert s.loc[("did", "conformal"), "reject_0.05"] <= 0.15
    assert s.loc[("synth", "conformal"), "reject_0.05"] <= 0.15
    # exact randomisation methods cannot reject at 5 % with 13 units (min p = 1/13)
    assert s.loc[("did", "permutation"), "reject_0.05"] == 0.0
    assert s.loc[("synth", "placebo"), "reject_0.05"] == 0.0
    # one treated cluster: CR1 over-rejects, wild restricted bootstrap under-rejects
    assert s.loc[("did", "cluster"), "reject_0.05"] >= 0.25
    assert s.loc[("did", "wild"), "reject_0.05"] <= 0.05


def test_coverage_and_recovery_under_effect(summary):
    s = summary.xs(0.02, level="effect")
    assert s.loc[("did", "conformal"), "coverage"] >= 0.85
    assert s.loc[("synth", "conformal"), "coverage"] >= 0.85
    # Conley-Taber with 12 controls guarantees 11/13 = 85 %, not 95 %
    assert s.loc[("did", "conley_taber"), "coverage"] >= 0.7
    assert s.loc[("did", "conformal"), "reject_0.05"] >= 0.8  # power against 2 %
    for est in ("did", "synth"):
        assert abs(s.loc[(est, "conformal"), "bias"]) < 0.003
    assert np.isinf(s.loc[("did", "permutation"), "median_width"])

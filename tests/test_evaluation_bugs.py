"""Regression tests for the four evaluation bugs of issue 10."""

from __future__ import annotations

import math
import resource

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation.did import did
from reindus.evaluation.event_study import event_study
from reindus.evaluation.inference import assignments as _assignments
from reindus.evaluation.simulate import simulate_panel
from reindus.evaluation.staggered import callaway_santanna
from reindus.evaluation.synth import simplex_least_squares, synth


def _staggered(n_units: int = 300, n_periods: int = 16, seed: int = 0) -> pd.DataFrame:
    """A third of the units treated, in three cohorts; the rest never treated."""
    rng = np.random.default_rng(seed)
    g = np.full(n_units, np.nan)
    k = n_units // 3
    g[:k] = rng.choice([8, 10, 12], size=k)
    t = np.arange(n_periods)
    y = (rng.normal(size=(n_units, 1)) + 0.1 * t[None] + rng.normal(0, 0.1, (n_units, n_periods))
         + 0.5 * (t[None] >= g[:, None]))
    return pd.DataFrame({"unit": np.repeat([f"u{i:03d}" for i in range(n_units)], n_periods),
                         "period": np.tile(t + 1, n_units), "y": y.ravel(),
                         "first_treated": np.repeat(g + 1, n_periods)})


# --------------------------------------------------------------------------- bug 1
def test_assignment_count_is_exact_and_sampled_when_large():
    # 30 units, 14 treated: 30!/16! ~ 1.3e19 overflows int64 (the old product wrapped around)
    assert math.perm(30, 14) > np.iinfo(np.int64).max
    rng = np.random.default_rng(0)
    out = _assignments(list(range(300)), [5] * 100, 49, rng, tuple(range(100)))
    assert len(out) == 50 and len(set(out)) == 50 and out[0] == tuple(range(100))
    # small pools are still enumerated exactly: 4 units, 2 dates -> 4 * 3 = 12 assignments
    out = _assignments(list(range(4)), [1, 2], 999, rng, (0, 1))
    assert len(out) == 12 and len(set(out)) == 12


def test_did_permutation_and_conley_taber_with_many_treated():
    df = simulate_panel(n_units=30, n_periods=20, treated=tuple(range(14)), start=(14,) * 14,
                        effect=0.0, seed=1)
    r = did(df, treated=[f"u{i:02d}" for i in range(14)], start=14,
            methods=("permutation", "conley_taber"), inference="permutation", n_perm=99)
    inf = r.inference
    assert inf["permutation"].extras["n_assignments"] == 100
    assert inf["conley_taber"].extras["n_placebos"] == 100
    assert 0 < r.p_value <= 1


def test_staggered_panel_of_hundreds_of_units_in_bounded_memory():
    df = _staggered(300)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    r = callaway_santanna(df, inference="permutation", n_perm=19, seed=0)
    assert r.diagnostics["n_assignments"] == 20
    assert r.estimate == pytest.approx(0.5, abs=0.02)
    rc = callaway_santanna(df)  # auto: 100 treated units -> cluster-robust inference
    assert rc.inference.headline == "cluster_unit"
    assert rc.ci[0] < 0.5 < rc.ci[1]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 500


# --------------------------------------------------------------------------- bug 2
def test_synth_needs_two_donors():
    df = simulate_panel(n_units=2, n_periods=20, treated=(0,), start=(14,), effect=0.0, seed=2)
    with pytest.raises(ValueError, match="at least 2 donors"):
        synth(df, treated="u00", start=14)
    df3 = simulate_panel(n_units=3, n_periods=20, treated=(0,), start=(14,), effect=0.0, seed=2)
    with pytest.raises(ValueError, match="at least 2 donors"):
        synth(df3, treated="u00", start=14, controls=["u01"])
    with pytest.raises(ValueError, match="no donor"):
        simplex_least_squares(np.zeros((5, 0)), np.zeros(5))
    # two donors are enough (each placebo then has one donor)
    r = synth(df3, treated="u00", start=14)
    assert np.isfinite(r.estimate) and len(r.controls) == 2


# --------------------------------------------------------------------------- bug 3
def test_single_control_gives_no_inference_with_a_note():
    df = simulate_panel(n_units=2, n_periods=30, treated=(0,), start=(20,), effect=0.0, seed=1)
    r = did(df, treated="u00", start=20, inference="conley_taber")
    assert np.isfinite(r.estimate)
    assert np.isnan(r.p_value) and np.isnan(r.ci[0]) and np.isnan(r.ci[1])
    for m in ("cluster", "wild", "conley_taber"):
        d = r.inference[m]
        assert np.isnan(d.p_value) and "only 1 control" in d.note
    # the permutation test stays valid, just uninformative (2 assignments)
    assert r.pvalue("permutation") >= 0.5
    e = event_study(df, treated="u00", start=20, leads=4)
    assert np.isfinite(e.estimate)
    assert np.isnan(e.p_value) and np.isnan(e.ci[0])
    assert np.isnan(e.diagnostics["pretrend"]["wald_cluster"]["stat"])
    assert "only 1 control" in e.diagnostics["note"]
    assert e.details.loc[e.details["event_time"] != -1, "ci_lo"].isna().all()


# --------------------------------------------------------------------------- bug 4
def test_first_treat_zero_means_never_treated():
    df = _staggered(30, seed=3)
    zero = df.assign(first_treated=df["first_treated"].fillna(0))
    a = callaway_santanna(df, n_perm=19)
    b = callaway_santanna(zero, n_perm=19)
    assert a.estimate == pytest.approx(b.estimate, abs=1e-14) and a.treated == b.treated
    # where 0 is itself a period, the convention is ambiguous: refuse and say so
    shifted = zero.assign(period=zero["period"] - 1)
    with pytest.raises(ValueError, match="R did / csdid"):
        callaway_santanna(shifted, n_perm=19)
    early = df.assign(first_treated=df["first_treated"].fillna(1))
    with pytest.raises(ValueError, match="never treated, code them as missing"):
        callaway_santanna(early, n_perm=19)

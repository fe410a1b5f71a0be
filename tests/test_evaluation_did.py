"""Two-way fixed-effects DiD and its inference methods (reindus.evaluation.did)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.evaluation import EstimateResult, results_table
from reindus.evaluation._core import to_wide
from reindus.evaluation.did import (
    cluster_se,
    conformal_p_value,
    detrend_pre,
    did,
    twfe_estimate,
)
from reindus.evaluation.fixed_effects import two_way_demean
from reindus.evaluation.inference import invert_test, quantile_interval, rank_p_value
from reindus.evaluation.simulate import simulate_panel


def _long(Y: np.ndarray) -> pd.DataFrame:
    n, t = Y.shape
    return pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(n)], t),
                         "period": np.tile(np.arange(t), n), "y": Y.ravel()})


def test_two_by_two_by_hand():
    # treated u0: 1 -> 4 ; controls: 2 -> 3 and 0 -> 2 ; DiD = 3 - (1 + 2)/2 = 1.5
    Y = np.array([[1.0, 4.0], [2.0, 3.0], [0.0, 2.0]])
    D = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])
    assert twfe_estimate(Y, D) == pytest.approx(1.5)


def test_two_way_demean_is_fixed_effects_residual():
    rng = np.random.default_rng(1)
    Y = rng.normal(size=(4, 6))
    df = _long(Y)
    resid = smf.ols("y ~ C(unit) + C(period)", df).fit().resid.to_numpy()
    np.testing.assert_allclose(two_way_demean(Y).ravel(), resid, atol=1e-12)


def test_closed_form_matches_statsmodels_cluster():
    df = simulate_panel(n_units=6, n_periods=20, start=15, effect=0.01, seed=3)
    df["d"] = df["d"].astype(float)
    fit = smf.ols("y ~ d + C(unit) + C(period)", df).fit(
        cov_type="cluster", cov_kwds={"groups": df["unit"].astype("category").cat.codes})
    wp = to_wide(df)
    D = to_wide(df, outcome="d").Y
    tau, se = cluster_se(wp.Y, D)
    assert tau == pytest.approx(fit.params["d"], abs=1e-12)
    assert se == pytest.approx(fit.bse["d"], rel=1e-9)
    r = did(df, treated="u00", start=15, methods=("cluster",), inference="cluster")
    assert r.estimate == pytest.approx(fit.params["d"], abs=1e-12)
    assert r.diagnostics["cluster_se"] == pytest.approx(fit.bse["d"], rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(tau=st.floats(-1, 1), a=st.lists(st.floats(-5, 5), min_size=5, max_size=5),
       b=st.lists(st.floats(-5, 5), min_size=8, max_size=8))
def test_recovers_effect_exactly_without_noise(tau, a, b):
    """Unit + period effects are absorbed: a noiseless panel gives tau exactly."""
    Y = np.add.outer(a, b)
    Y[0, 5:] += tau
    r = did(_long(Y), treated="u0", start=5, methods=("cluster", "conley_taber"),
            inference="cluster", use_statsmodels=False)
    assert r.estimate == pytest.approx(tau, abs=1e-9)


def test_all_methods_deterministic_and_table():
    df = simulate_panel(seed=11, effect=0.0)
    r1 = did(df, treated="u00", start=92, n_boot=199, seed=5)
    r2 = did(df, treated="u00", start=92, n_boot=199, seed=5)
    assert r1.summary() == r2.summary()
    t = r1.tidy()
    assert list(t["inference"]) == ["cluster", "wild", "permutation", "conley_taber", "conformal"]
    assert t["headline"].sum() == 1
    assert (t["p_value"].between(0, 1)).all()
    # permutation: 13 assignments, smallest p-value 1/13 > 0.05 -> unbounded 95 % interval
    perm = r1.inference["permutation"]
    assert perm.extras["min_p_value"] == pytest.approx(1 / 13)
    assert np.isinf(perm.ci[0]) and np.isinf(perm.ci[1])
    # Conley-Taber with 12 controls: attainable level 1 - 2/13
    assert r1.inference["conley_taber"].level == pytest.approx(11 / 13)
    assert isinstance(r1, EstimateResult)
    assert r1.table().shape[0] == 1
    assert "twfe_did [permutation]" in r1.summary()  # the default since the trend validation
    assert list(results_table({"a": r1, "b": r2})["label"]) == ["a", "b"]
    # a Conley-Taber headline reports the level its order statistics attain
    rct = did(df, treated="u00", start=92, inference="conley_taber",
              methods=("conley_taber",), use_statsmodels=False)
    assert rct.level == pytest.approx(11 / 13)
    assert "85% CI" in rct.summary()


def test_permutation_p_value_by_hand():
    # 4 units, treated u0 has the largest change -> p = 1/4
    Y = np.array([[0.0, 0.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0],
                  [0.0, 0.0, -1.0, -1.0], [0.0, 0.0, 0.5, 0.5]])
    r = did(_long(Y), treated="u0", start=2, methods=("permutation",),
            inference="permutation", use_statsmodels=False)
    assert r.p_value == pytest.approx(0.25)


def test_conley_taber_interval_by_hand():
    est = 1.0
    placebo = np.array([-0.3, -0.1, 0.0, 0.2, 0.4])
    lo, hi, ach = quantile_interval(est, placebo, 0.95)
    # 5 placebos: k = floor(0.025 * 6) -> 1: full range
    assert (lo, hi) == pytest.approx((0.6, 1.3))
    assert ach == pytest.approx(1 - 2 / 6)
    placebo = np.arange(-99, 100) / 100  # 199 placebos: k = 5
    lo, hi, ach = quantile_interval(0.0, placebo, 0.95)
    assert (lo, hi) == pytest.approx((-0.95, 0.95))
    assert ach == pytest.approx(0.95)


def test_rank_p_value_and_inversion():
    assert rank_p_value(2.0, np.array([1.0, 3.0, 0.5])) == pytest.approx(0.5)
    assert rank_p_value(5.0, np.array([1.0, 3.0, 0.5]), include_observed=False) == 0.0

    # p(tau0) = 1 inside [-1, 2], 0 outside -> interval (-1, 2)
    def p(x):
        return 1.0 if -1 <= x <= 2 else 0.0

    lo, hi = invert_test(p, 0.5, 0.1, 0.05)
    assert lo == pytest.approx(-1, abs=1e-4) and hi == pytest.approx(2, abs=1e-4)
    lo, hi = invert_test(lambda x: 1.0, 0.0, 1.0, 0.05, max_width=10)
    assert np.isinf(lo) and np.isinf(hi)


def test_conformal_p_value_by_hand():
    # one large post block among small residuals: only the actual block is extreme
    u = np.zeros(20)
    u[-2:] = 1.0
    assert conformal_p_value(u, 2) == pytest.approx(1 / 20)
    # constant residuals: every block ties -> p = 1
    assert conformal_p_value(np.ones(10), 3) == pytest.approx(1.0)


def test_detrend_pre_removes_pre_line():
    t = np.arange(10.0)
    Y = np.vstack([2 + 0.5 * t, -1 - 0.2 * t])
    Y[0, 7:] += 1.0
    R = detrend_pre(Y, 7)
    np.testing.assert_allclose(R[:, :7], 0.0, atol=1e-12)
    np.testing.assert_allclose(R[0, 7:], 1.0, atol=1e-12)


def test_bad_input_raises():
    df = simulate_panel(n_units=4, n_periods=10, start=8, seed=0)
    with pytest.raises(ValueError, match="not in the panel"):
        did(df, treated="zz", start=8)
    with pytest.raises(ValueError, match="both treated and controls"):
        did(df, treated="u00", start=8, controls=["u00", "u01"])
    with pytest.raises(ValueError, match="unbalanced"):
        did(df.iloc[1:], treated="u00", start=8)
    with pytest.raises(ValueError, match="duplicated"):
        did(pd.concat([df, df.head(1)]), treated="u00", start=8)
    with pytest.raises(ValueError, match="unknown inference"):
        did(df, treated="u00", start=8, methods=("magic",))
    with pytest.raises(ValueError, match="pre-treatment"):
        did(df, treated="u00", start=1)
    with pytest.raises(ValueError, match="after the last period"):
        did(df, treated="u00", start=50)


def test_multiple_treated_units_and_periods():
    df = simulate_panel(n_units=8, n_periods=30, treated=(0, 1), start=(24, 26), effect=0.05,
                        sigma=1e-4, time_sd=0.0, seed=2)
    r = did(df, treated=["u00", "u01"], start={"u00": 24, "u01": 26}, n_boot=99, seed=1)
    assert r.estimate == pytest.approx(0.05, abs=2e-3)
    assert np.isnan(r.pvalue("conformal"))  # needs common date
    assert "common treatment date" in r.inference["conformal"].note
    pp = pd.period_range("2000Q1", periods=30, freq="Q-DEC")
    dfp = df.assign(period=df["period"].map(dict(enumerate(pp))))
    rp = did(dfp, treated=["u00", "u01"], start={"u00": pp[24], "u01": "2006Q3"},
             n_boot=99, seed=1)
    assert rp.estimate == pytest.approx(r.estimate)
    assert rp.periods["post"] == ("2006Q1", "2007Q2")

"""Callaway–Sant'Anna group-time effects, cross-checked against `differences`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation.simulate import simulate_panel
from reindus.evaluation.staggered import callaway_santanna, group_time_att


def _panel():
    return simulate_panel(n_units=10, n_periods=24, treated=(0, 1, 2), start=(16, 18, 18),
                          effect=0.03, seed=8)


@pytest.mark.parametrize("control_group", ["not_yet_treated", "never_treated"])
@pytest.mark.parametrize("base_period", ["varying", "universal"])
def test_matches_differences_package(control_group, base_period):
    from differences import ATTgt

    df = _panel()
    ours = callaway_santanna(df, control_group=control_group, base_period=base_period,
                             n_perm=19)
    d = df.assign(cohort=df["first_treated"].astype(float)).set_index(["unit", "period"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        att = ATTgt(data=d[["y", "cohort"]], cohort_column="cohort", base_period=base_period)
        att.fit(formula="y", control_group=control_group, progress_bar=False)
        ref = att.results().reset_index()
        simple = float(att.aggregate("simple").iloc[0, 0])
    ref = pd.DataFrame({"cohort": ref.iloc[:, 0].to_numpy(dtype=float),
                        "t": ref.iloc[:, 2].to_numpy(dtype=int),
                        "att_ref": ref[("ATTgtElements", "", "ATT")].to_numpy()})
    got = ours.details.assign(cohort=ours.details["cohort"].astype(float),
                              t=ours.details["period"].astype(int))
    m = got.merge(ref, on=["cohort", "t"], how="right")
    # `differences` also lists the universal reference cells (ATT = 0), which we omit
    ref_cells = m["att"].isna()
    assert (m.loc[ref_cells, "att_ref"].abs() < 1e-12).all()
    assert ref_cells.sum() == (2 if base_period == "universal" else 0)  # one per cohort
    np.testing.assert_allclose(m.loc[~ref_cells, "att"], m.loc[~ref_cells, "att_ref"], atol=1e-10)
    assert ours.diagnostics["aggregations"]["simple"] == pytest.approx(simple, abs=1e-10)


def test_by_hand_two_cohorts():
    # units: A treated at 2, B treated at 3, C never; outcome = 0 except effects
    Y = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0]])
    G = np.array([2.0, 3.0, np.inf])
    gt = group_time_att(Y, G).set_index(["g", "t"])["att"]
    # ATT(2,2): A vs not-yet-treated {B, C}: 1 - 0 = 1 ; ATT(2,3): only C is not yet treated
    assert gt[(2, 2)] == pytest.approx(1.0)
    assert gt[(2, 3)] == pytest.approx(1.0)
    assert gt[(3, 3)] == pytest.approx(2.0)


def test_inference_and_determinism():
    df = _panel()
    r = callaway_santanna(df, n_perm=99, seed=3)
    assert r.estimate == pytest.approx(0.03, abs=0.01)
    assert 0 < r.p_value <= 1 and r.ci[0] < r.estimate < r.ci[1]
    assert r.summary() == callaway_santanna(df, n_perm=99, seed=3).summary()
    assert set(r.diagnostics["aggregations"]) == {"simple", "event_avg", "group"}
    assert r.treated == ["u00", "u01", "u02"]
    with pytest.raises(ValueError, match="first_treated"):
        callaway_santanna(df.drop(columns="first_treated"))
    with pytest.raises(ValueError, match="no unit is treated"):
        callaway_santanna(df.assign(first_treated=pd.NA))


def _large_staggered(n_units: int = 240, n_periods: int = 14, seed: int = 5) -> pd.DataFrame:
    """A third of the units treated in three cohorts (heterogeneous effects), the rest never."""
    rng = np.random.default_rng(seed)
    g = np.full(n_units, np.nan)
    k = n_units // 3
    g[:k] = rng.choice([6, 8, 11], size=k)
    t = np.arange(1, n_periods + 1)
    effect = np.where(t[None] >= g[:, None], 0.3 + 0.05 * (t[None] - g[:, None]), 0.0)
    y = (rng.normal(size=(n_units, 1)) + 0.1 * t[None] + rng.normal(0, 0.2, (n_units, n_periods))
         + effect)
    return pd.DataFrame({"unit": np.repeat([f"u{i:03d}" for i in range(n_units)], n_periods),
                         "period": np.tile(t, n_units), "y": y.ravel(),
                         "first_treated": np.repeat(g, n_periods)})


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
def test_large_panel_matches_differences_estimates_and_standard_errors(control_group):
    """Hundreds of units: ATT(g,t), aggregations and analytic SEs equal `differences`'.

    Our cluster-robust variance carries the factor G/(G-1) (here G = N units) that
    `differences` does not; without it the standard errors agree to rounding.
    """
    from differences import ATTgt

    df = _large_staggered()
    ours = callaway_santanna(df, control_group=control_group, inference="cluster")
    assert ours.inference.headline == "cluster_unit"
    d = df.assign(cohort=df["first_treated"]).set_index(["unit", "period"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        att = ATTgt(data=d[["y", "cohort"]], cohort_column="cohort", base_period="varying")
        att.fit(formula="y", control_group=control_group, progress_bar=False)
        ref = att.results().reset_index()
        simple = att.aggregate("simple")
        event = att.aggregate("event").reset_index()
    n = df["unit"].nunique()
    f = np.sqrt(n / (n - 1))
    ref = pd.DataFrame({"c": ref.iloc[:, 0].to_numpy(dtype=int), "t": ref.iloc[:, 2].to_numpy(dtype=int),
                        "att_ref": ref[("ATTgtElements", "", "ATT")].to_numpy(),
                        "se_ref": ref[("ATTgtElements", "analytic", "std_error")].to_numpy()})
    got = ours.details.assign(c=ours.details["cohort"].astype(int),
                              t=ours.details["period"].astype(int))
    m = got.merge(ref, on=["c", "t"], how="outer")
    assert len(m) == len(got) == len(ref) and m["att"].notna().all()
    np.testing.assert_allclose(m["att"], m["att_ref"], atol=1e-8)
    np.testing.assert_allclose(m["se"] / f, m["se_ref"], rtol=1e-8)
    assert ours.estimate == pytest.approx(float(simple.iloc[0, 0]), abs=1e-8)
    assert ours.diagnostics["se"] / f == pytest.approx(float(simple.iloc[0, 1]), rel=1e-8)
    ev = ours.diagnostics["event"].set_index("e")
    ev_ref = pd.DataFrame({"e": event.iloc[:, 0].to_numpy(dtype=int),
                           "att": event.iloc[:, 1].to_numpy(), "se": event.iloc[:, 2].to_numpy()}
                          ).set_index("e")
    np.testing.assert_allclose(ev.loc[ev_ref.index, "att"], ev_ref["att"], atol=1e-8)
    np.testing.assert_allclose(ev.loc[ev_ref.index, "se"] / f, ev_ref["se"], rtol=1e-8)
    # and the effects are recovered: theta(0) = 0.3, theta(2) = 0.4
    assert ev.loc[0, "ci_lo"] < 0.3 < ev.loc[0, "ci_hi"]
    assert ev.loc[2, "ci_lo"] < 0.4 < ev.loc[2, "ci_hi"]


def test_cluster_inference_with_weights_and_clusters():
    df = _large_staggered(n_units=120, seed=6)
    # equal weights give the unweighted estimator; clusters of 4 units widen nothing spurious
    a = callaway_santanna(df, inference="cluster")
    b = callaway_santanna(df.assign(w=1.0), inference="cluster", weights="w")
    assert a.estimate == pytest.approx(b.estimate, abs=1e-14)
    assert a.diagnostics["se"] == pytest.approx(b.diagnostics["se"], rel=1e-12)
    c = callaway_santanna(df.assign(cl=df["unit"].str[1:].astype(int) // 4), inference="cluster",
                          cluster="cl")
    assert c.diagnostics["n_clusters"] == 30 and c.inference.headline == "cluster_cl"
    assert c.estimate == a.estimate
    # weights: doubling the weight of every unit changes nothing
    d = callaway_santanna(df.assign(w=2.0), inference="cluster", weights="w")
    assert d.estimate == pytest.approx(a.estimate, abs=1e-12)
    with pytest.raises(ValueError, match="cluster"):
        callaway_santanna(df.assign(w=1.0), inference="permutation", weights="w")
    assert set(a.diagnostics["pretrend"]) == {"F", "df1", "df2", "p_value"}


def test_multiplier_bootstrap_uniform_band():
    df = _large_staggered(n_units=150, seed=7)
    r = callaway_santanna(df, inference="cluster", n_boot=499, seed=1)
    ev = r.diagnostics["event"]
    boot = r.diagnostics["multiplier_bootstrap"]
    # a uniform band is wider than the pointwise interval, by a critical value above 1.96
    assert boot["uniform_critical_value"] > 1.96
    assert (ev["band_lo"] < ev["ci_lo"]).all() and (ev["band_hi"] > ev["ci_hi"]).all()
    # the bootstrap standard error of the headline is close to the analytic one
    assert boot["se_headline"] == pytest.approx(r.diagnostics["se"], rel=0.15)
    again = callaway_santanna(df, inference="cluster", n_boot=499, seed=1)
    assert again.diagnostics["multiplier_bootstrap"] == boot
    assert callaway_santanna(df, inference="cluster").diagnostics["multiplier_bootstrap"] == {}

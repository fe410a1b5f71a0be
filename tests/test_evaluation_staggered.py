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

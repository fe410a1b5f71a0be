"""Event study with binned endpoints and pre-trend tests (reindus.evaluation.event_study)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from reindus.evaluation.event_study import event_study
from reindus.evaluation.simulate import simulate_panel


def test_matches_statsmodels_dummy_regression():
    df = simulate_panel(n_units=7, n_periods=30, start=22, effect=0.02, seed=5)
    r = event_study(df, treated="u00", start=22, leads=5, lags=4)
    d = df.copy()
    e = (d["period"] - 22).clip(-5, 4)
    d["e"] = np.where(d["unit"] == "u00", e, -1)
    fit = smf.ols("y ~ C(e, Treatment(-1)) + C(unit) + C(period)", d).fit(
        cov_type="cluster", cov_kwds={"groups": d["unit"].astype("category").cat.codes})
    ref = {int(k.split("[T.")[1].rstrip("]")): v for k, v in fit.params.items() if "C(e" in k}
    se = {int(k.split("[T.")[1].rstrip("]")): v for k, v in fit.bse.items() if "C(e" in k}
    got = r.details.set_index("event_time")
    for k, v in ref.items():
        assert got.loc[k, "coef"] == pytest.approx(v, abs=1e-10)
        assert got.loc[k, "se_cluster"] == pytest.approx(se[k], rel=1e-8)
    assert got.loc[-1, "coef"] == 0.0
    assert bool(got.loc[-5, "binned"]) and bool(got.loc[4, "binned"])


def test_recovers_dynamic_profile_without_noise():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=20)
    Y = np.add.outer(a, b)
    prof = {0: 0.1, 1: 0.2, 2: 0.3, 3: 0.3}
    for k, v in prof.items():
        Y[0, 16 + k] += v
    import pandas as pd
    df = pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(6)], 20),
                       "period": np.tile(np.arange(20), 6), "y": Y.ravel()})
    r = event_study(df, treated="u0", start=16, leads=4)
    got = r.details.set_index("event_time")["coef"]
    for k, v in prof.items():
        assert got[k] == pytest.approx(v, abs=1e-10)
    for k in (-4, -3, -2):
        assert got[k] == pytest.approx(0.0, abs=1e-10)
    assert r.estimate == pytest.approx(np.mean(list(prof.values())))


def test_pretrend_tests():
    df = simulate_panel(seed=3, effect=0.0)
    r = event_study(df, treated="u00", start=92, leads=8, seed=1)
    pt = r.diagnostics["pretrend"]
    assert pt["randomisation"]["n_assignments"] == 13
    assert 1 / 13 <= pt["randomisation"]["p_value"] <= 1
    assert pt["wald_cluster"]["df"] == 7
    assert r.level == pytest.approx(11 / 13)  # Conley-Taber with 12 controls
    # a strong linear pre-trend in the treated unit is detected by the randomisation test
    d = df.copy()
    m = d["unit"] == "u00"
    d.loc[m, "y"] += 0.01 * np.minimum(d.loc[m, "period"] - 92, 0)
    r2 = event_study(d, treated="u00", start=92, leads=8, seed=1)
    assert r2.diagnostics["pretrend"]["randomisation"]["p_value"] == pytest.approx(1 / 13)
    assert r2.summary() == event_study(d, treated="u00", start=92, leads=8, seed=1).summary()


def test_unbinned_and_errors():
    df = simulate_panel(n_units=5, n_periods=20, start=15, seed=1)
    r = event_study(df, treated="u00", start=15, leads=3, bin_endpoints=False)
    assert r.details["event_time"].min() == -3 and not r.details["binned"].any()
    with pytest.raises(ValueError, match="leads >= 2"):
        event_study(df, treated="u00", start=15, leads=1)
    with pytest.raises(ValueError, match="lags must be"):
        event_study(df, treated="u00", start=15, lags=10)


def test_lead_summary_skips_binned_leads_and_fits_the_slope_where_asked() -> None:
    from reindus.evaluation.event_study import lead_summary

    d = pd.DataFrame({"event_time": [-5, -4, -3, -2, -1, 0, 1],
                      "coef": [9.0, 0.3, 0.2, 0.1, 0.0, -0.1, -0.2],
                      "binned": [True, False, False, False, False, False, False],
                      "ci_lo": [1.0, 0.1, -0.1, 0.05, 0.0, -0.3, -0.4],
                      "ci_hi": [9.5, 0.5, 0.4, 0.2, 0.0, 0.1, 0.0]})
    s = lead_summary(d)
    assert s["leads"] == [0.3, 0.2, 0.1]  # the binned endpoint pools several periods: left out
    assert s["lead_slope"] == pytest.approx(-0.1)
    assert s["n_leads_excluding_zero"] == 2
    assert s["max_abs_lead"] == pytest.approx(0.3)
    assert s["post"]["event_time"].tolist() == [0, 1]
    through_zero = lead_summary(d, include_reference=True)["lead_slope"]
    assert through_zero == pytest.approx(-0.1)  # 0 at e = -1 lies on the same line here
    assert lead_summary(d.drop(columns=["ci_lo", "ci_hi"]))["n_leads_excluding_zero"] is None
    bent = d.assign(coef=[9.0, 0.3, 0.2, 0.1, 0.3, -0.1, -0.2])
    assert lead_summary(bent)["lead_slope"] == pytest.approx(-0.1)
    assert lead_summary(bent, include_reference=True)["lead_slope"] == pytest.approx(-0.01)

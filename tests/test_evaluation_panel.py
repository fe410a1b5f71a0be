"""Outcome panel and treatment timing (reindus.evaluation.panel) and robustness table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reindus.evaluation import panel as P
from reindus.evaluation.robustness import robustness_table, sector_composite

Q = pd.period_range("2022Q1", "2024Q4", freq="Q-DEC")


def _employment() -> pd.DataFrame:
    rows = []
    for r, name in [("11", "IdF"), ("32", "HdF"), ("27", "BFC"), ("52", "PdL"), ("01", "Gpe")]:
        for s in ("BZ", "CA", "FZ"):
            for i, q in enumerate(Q):
                rows.append({"region_code": r, "region": name, "sector_code": s, "quarter": q,
                             "employment": 100 + 10 * i + (5 if s == "CA" else 0)})
    return pd.DataFrame(rows)


SECTORS = pd.DataFrame({"sector_code": ["BZ", "CA", "FZ"], "sector": ["b", "c", "f"],
                        "group": ["industry", "industry", "construction"]})

ACCORDS = pd.DataFrame({
    "region_code": ["32", "27", "76", "44"], "region": ["HdF", "BFC", "Occ", "GE"],
    "signed_on": ["2023-12-18", "2024-05-15", "2024-06", "2025-07-17"],
    "date_status": ["confirmed", "confirmed", "announced_not_confirmed", "year_inferred"],
    "treatment_quarter": pd.PeriodIndex(["2024Q1", "2024Q3", "2024Q3", "2025Q4"], freq="Q-DEC"),
})


def test_outcome_panel_sums_group_and_logs():
    p = P.outcome_panel(_employment(), SECTORS, index_base="2022Q1")
    assert set(p["region_code"]) == {"11", "32", "27", "52"}  # overseas dropped
    first = p[(p["region_code"] == "32") & (p["quarter"] == Q[0])].iloc[0]
    assert first["employment"] == 100 + 105
    assert first["log_employment"] == pytest.approx(np.log(205))
    assert first["index"] == pytest.approx(100.0)
    last = p[(p["region_code"] == "32") & (p["quarter"] == Q[-1])].iloc[0]
    assert last["index"] == pytest.approx(100 * (210 + 215) / 205)
    ps = P.outcome_panel(_employment(), SECTORS, by_sector=True, window=("2023Q1", None))
    assert set(ps["unit"]) == {f"{r}:{s}" for r in ("11", "32", "27", "52") for s in ("BZ", "CA")}
    assert ps["quarter"].min() == pd.Period("2023Q1", freq="Q-DEC")
    with pytest.raises(ValueError, match="group must be one of"):
        P.outcome_panel(_employment(), SECTORS, group="farming")
    with pytest.raises(ValueError, match="unknown sector codes"):
        P.outcome_panel(_employment(), SECTORS, sector_codes=["ZZ"])
    with pytest.raises(ValueError, match="outside the window"):
        P.outcome_panel(_employment(), SECTORS, index_base="1990Q1")


def test_sector_composite_is_mean_of_logs():
    ps = P.outcome_panel(_employment(), SECTORS, by_sector=True)
    c = sector_composite(ps)
    row = c[(c["unit"] == "32") & (c["quarter"] == Q[0])].iloc[0]
    assert row["log_employment"] == pytest.approx((np.log(100) + np.log(105)) / 2)
    with pytest.raises(ValueError, match="unbalanced"):
        sector_composite(ps.iloc[1:])


def test_treatment_timing_never_silent():
    ex = P.treatment_timing(ACCORDS, uncertain="exclude")
    assert dict(zip(ex["region_code"], ex["role"], strict=True)) == {
        "32": "treated", "27": "treated", "76": "excluded", "44": "excluded"}
    an = P.treatment_timing(ACCORDS, uncertain="announced")
    assert (an["role"] == "treated").all()
    assert str(an.set_index("region_code").loc["76", "first_treated"]) == "2024Q3"
    va = P.treatment_timing(ACCORDS, uncertain="vary")
    assert set(va["scenario"]) == {"exclude", "announced", "76_quarter_earlier",
                                   "76_quarter_later", "44_year_earlier", "44_after_data"}
    s = va[va["scenario"] == "44_after_data"].set_index("region_code")
    assert s.loc["44", "role"] == "control" and s.loc["76", "role"] == "excluded"
    assert str(va[va["scenario"] == "44_year_earlier"].set_index("region_code")
               .loc["44", "first_treated"]) == "2024Q4"
    ov = P.treatment_timing(ACCORDS, override={"32": "2023Q4"})
    assert str(ov.set_index("region_code").loc["32", "first_treated"]) == "2023Q4"
    with pytest.raises(ValueError, match="uncertain must be"):
        P.treatment_timing(ACCORDS, uncertain="guess")
    with pytest.raises(ValueError, match="unknown date_status"):
        P.treatment_timing(ACCORDS.assign(date_status="rumour"))


def test_design_and_staggered_panel():
    regions = ["11", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93", "94"]
    d = P.design(P.treatment_timing(ACCORDS), regions, treated="32")
    assert d["donors"] == ["11", "24", "28", "52", "53", "75", "84", "93", "94"]
    assert set(d["excluded"]) == {"27", "76", "44"}
    assert str(d["start"]) == "2024Q1"
    va = P.treatment_timing(ACCORDS, uncertain="vary")
    d2 = P.design(va, regions, scenario="44_after_data")
    assert "44" in d2["donors"]
    with pytest.raises(ValueError, match="several scenarios"):
        P.design(va, regions)
    with pytest.raises(ValueError, match="not treated"):
        P.design(P.treatment_timing(ACCORDS), regions, treated="76")
    p = P.outcome_panel(_employment(), SECTORS)
    sp = P.staggered_panel(p, P.treatment_timing(ACCORDS))
    ft = sp.groupby("region_code")["first_treated"].first()
    assert str(ft["32"]) == "2024Q1" and pd.isna(ft["11"])


def test_real_data_design_hdf():
    from reindus import data

    acc = data.accords()
    emp = data.regional_employment()
    p = P.outcome_panel(emp, data.sectors())
    assert p["region_code"].nunique() == 13
    assert str(p["quarter"].max()) == "2025Q4"
    d = P.design(P.treatment_timing(acc), p["region_code"].unique(), data_end="2025Q4")
    assert len(d["donors"]) == 9 and str(d["start"]) == "2024Q1"
    assert (p["quarter"] >= d["start"]).sum() // 13 == 8  # 8 post quarters


def test_robustness_table_runs():
    from reindus.evaluation.simulate import simulate_panel

    df = simulate_panel(n_units=6, n_periods=40, seed=2)
    pp = pd.period_range("2015Q1", periods=40, freq="Q-DEC")
    df = df.assign(quarter=df["period"].map(dict(enumerate(pp))))
    out = robustness_table(df, treated="u00", start=pp[32], controls=["u01", "u02", "u03", "u04",
                                                                     "u05"],
                           outcome="y", windows=["2017Q1"], starts=[pp[31]],
                           drop_controls=["u01"], covid=list(pp[20:28]), window_start="2016Q1")
    assert list(out["spec"].unique()) == ["baseline", "detrended", "window_2017Q1", "no_u01",
                                          "no_covid", f"start_{pp[31]}"]
    assert out.loc[out["spec"] == "no_u01", "n_controls"].iloc[0] == 4
    assert out.loc[out["spec"] == "baseline", "pre"].iloc[0] == "2016Q1"


def test_before_after_and_index_paths_by_hand():
    from reindus.evaluation.descriptive import before_after, index_paths

    # treated: flat 0 then +0.1 after; donors: slope 0.01 per quarter throughout
    rows = []
    for u, f in [("t", lambda k: 0.1 * (k >= 4)), ("a", lambda k: 0.01 * k),
                 ("b", lambda k: 0.01 * k + 1)]:
        for k in range(8):
            rows.append({"unit": u, "quarter": Q[k], "log_employment": f(k),
                         "employment": 100.0 * (1 + f(k))})
    df = pd.DataFrame(rows)
    ba = before_after(df, treated="t", start=Q[4], controls=["a", "b"], quarters=4).set_index("role")
    assert ba.loc["treated", "change"] == pytest.approx(0.1)
    assert ba.loc["treated", "pre_slope"] == pytest.approx(0.0)
    assert ba.loc["donor mean", "change"] == pytest.approx(0.04)
    assert ba.loc["donor mean", "pre_slope"] == pytest.approx(0.01)
    assert ba.loc["treated - donor mean", "change"] == pytest.approx(0.06)
    assert ba.attrs["window"] == (str(Q[0]), str(Q[7]))
    ip = index_paths(df, treated="t", controls=["a", "b"], base=Q[3])
    assert ip.loc[3, ["treated", "donor_mean", "donor_min", "donor_max"]].tolist() == [100.0] * 4
    assert ip.loc[4, "treated"] == pytest.approx(110.0)
    with pytest.raises(ValueError, match="at least two pre-treatment"):
        before_after(df, treated="t", start=Q[1], controls=["a", "b"])


def test_result_summary_with_infinite_bounds():
    from reindus.evaluation import EstimateResult

    r = EstimateResult(estimate=0.01, ci=(-np.inf, np.inf), p_value=0.1, method="m",
                       inference="permutation", treated=["32"], controls=["11", "24"],
                       periods={}, n_obs=40)
    assert r.summary() == ("m [permutation]: 0.0100 (95% CI -inf, inf), p = 0.100, "
                           "treated = 32, 2 controls, n = 40")
    assert r.table()[["ci_lo", "ci_hi"]].iloc[0].tolist() == [-np.inf, np.inf]

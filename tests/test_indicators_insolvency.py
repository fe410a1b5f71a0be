"""Collective procedures: counts with the _calage_ row, rates, rolling sums, y/y."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reindus.indicators import (
    employment_denominator,
    insolvency_counts,
    insolvency_rates,
    insolvency_yoy,
    rolling_annual,
)

QUARTERS = pd.period_range("2020Q1", "2021Q2", freq="Q")


def _insolvencies() -> pd.DataFrame:
    rows = []
    for i, q in enumerate(QUARTERS):
        for code, label, red, liq, sauv in (("32", "Hauts-de-France", 10 + i, 20, None),
                                            ("11", "Île-de-France", 30, 40 + i, 2),
                                            ("99", "_calage_", -3, -2, None)):
            for proc, n in (("redressement", red), ("liquidation", liq), ("sauvegarde", sauv)):
                rows.append({"region_code": code, "region": label, "quarter": q,
                             "procedure": proc, "count": n})
    out = pd.DataFrame(rows)
    out["count"] = out["count"].astype("Int64")
    return out


INS = _insolvencies()


def test_regional_and_national_counts():
    c = insolvency_counts(INS).set_index(["region_code", "quarter"])
    q1 = pd.Period("2020Q1")
    assert c.loc[("32", q1), "count"] == 30
    assert c.loc[("32", q1), "n_missing"] == 1
    assert c.loc[("11", q1), "count"] == 72
    # National = regions + calage = 30 + 72 - 5.
    assert c.loc[("FR", q1), "count"] == 97
    assert c.loc[("FR", q1), "region"] == "France"
    assert "99" not in c.index.get_level_values("region_code")
    only_liq = insolvency_counts(INS, procedures=["liquidation"], national=False)
    assert set(only_liq["region_code"]) == {"11", "32"}
    assert only_liq.loc[only_liq["region_code"] == "32", "count"].tolist() == [20] * 6


def test_annual_counts_drop_incomplete_years():
    c = insolvency_counts(INS, freq="year")
    assert c["year"].unique().tolist() == [2020]
    hdf = c.loc[c["region_code"] == "32", "count"].item()
    assert hdf == (10 + 11 + 12 + 13) + 4 * 20


def test_rates_per_thousand_employees():
    emp = pd.DataFrame({"region_code": ["32", "32", "11", "11"], "sector_code": ["CA", "GZ"] * 2,
                        "quarter": pd.Period("2020Q1"), "employment": [5000, 25000, 40000, 32000]})
    den = employment_denominator(emp)
    assert den.set_index("region_code")["employment"].to_dict() == {
        "11": 72000.0, "32": 30000.0, "FR": 102000.0}
    c = insolvency_counts(INS)
    r = insolvency_rates(c[c["quarter"] == pd.Period("2020Q1")], den).set_index("region_code")
    assert r.loc["32", "rate"] == pytest.approx(1000 * 30 / 30000)
    assert r.loc["FR", "rate"] == pytest.approx(1000 * 97 / 102000)
    assert np.isnan(insolvency_rates(c, den).set_index(["region_code", "quarter"]).loc[
        ("32", pd.Period("2020Q2")), "rate"])
    with pytest.raises(ValueError, match="per"):
        insolvency_rates(c, den, per=0)


def test_annual_denominator_is_the_mean_of_complete_years():
    q = pd.period_range("2020Q1", "2021Q1", freq="Q")
    emp = pd.DataFrame({"region_code": "32", "sector_code": "CA", "quarter": q,
                        "employment": [10, 20, 30, 40, 50]})
    den = employment_denominator(emp, freq="year", national=False)
    assert den.to_dict("records") == [{"region_code": "32", "year": 2020, "employment": 25.0}]


def test_rolling_sum_and_yoy():
    c = insolvency_counts(INS, national=False)
    roll = rolling_annual(c).set_index(["region_code", "quarter"])["count_12m"]
    assert np.isnan(roll[("32", pd.Period("2020Q3"))])
    assert roll[("32", pd.Period("2020Q4"))] == 10 + 11 + 12 + 13 + 4 * 20
    assert roll[("32", pd.Period("2021Q1"))] == 11 + 12 + 13 + 14 + 4 * 20
    y = insolvency_yoy(c).set_index(["region_code", "quarter"])["yoy_pct"]
    assert y[("32", pd.Period("2021Q1"))] == pytest.approx(100 * (34 / 30 - 1))
    annual = insolvency_counts(INS, freq="year")
    assert insolvency_yoy(annual, time="year")["yoy_pct"].isna().all()


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="procedures"):
        insolvency_counts(INS, procedures=["faillite"])
    with pytest.raises(ValueError, match="freq"):
        insolvency_counts(INS, freq="month")
    with pytest.raises(ValueError, match="duplicated"):
        insolvency_counts(pd.concat([INS, INS]))

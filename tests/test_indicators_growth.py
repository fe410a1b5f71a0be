"""Base-100 indices, q/q and y/y growth, CAGR."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.indicators import cagr, growth_rate, index, matched_change, qoq, yoy

QUARTERS = pd.period_range("2015Q1", "2016Q4", freq="Q")
F = pd.DataFrame({"region_code": "32", "quarter": QUARTERS,
                  "employment": [100, 102, 98, 100, 110, 110, 110, 121]})


def test_index_at_a_quarter_and_at_a_year():
    by_q = index(F, base="2016Q1", by="region_code")
    assert by_q.loc[by_q["quarter"] == pd.Period("2016Q1"), "index"].item() == 100.0
    assert by_q["index"].iloc[-1] == pytest.approx(110.0)
    # Base 2015 = mean of the four quarters of 2015 = 100.
    by_y = index(F, base="2015", by="region_code")
    assert by_y["index"].tolist() == pytest.approx([100, 102, 98, 100, 110, 110, 110, 121])


def test_index_refuses_missing_or_zero_base():
    with pytest.raises(ValueError, match="no observation at base"):
        index(F, base="2020Q1", by="region_code")
    with pytest.raises(ValueError, match="zero value"):
        index(F.assign(employment=0), base="2015Q1")


def test_qoq_and_yoy_hand_computed():
    out = yoy(qoq(F, by="region_code"), by="region_code")
    assert np.isnan(out["qoq_pct"].iloc[0])
    assert out["qoq_pct"].iloc[1] == pytest.approx(2.0)
    assert out["qoq_pct"].iloc[4] == pytest.approx(10.0)
    assert out["yoy_pct"].iloc[:4].isna().all()
    assert out["yoy_pct"].iloc[7] == pytest.approx(21.0)


def test_growth_is_matched_on_the_calendar_not_on_rows():
    gap = F.drop(index=3)  # 2015Q4 missing
    out = qoq(gap, by="region_code").set_index("quarter")
    assert np.isnan(out.loc[pd.Period("2016Q1"), "qoq_pct"])
    assert out.loc[pd.Period("2016Q2"), "qoq_pct"] == pytest.approx(0.0)


def test_growth_on_integer_years():
    f = pd.DataFrame({"year": [2019, 2022, 2023, 2024], "employment": [100.0, 90, 99, 99]})
    out = yoy(f, time="year")
    assert np.isnan(out["yoy_pct"].iloc[1])  # 2021 is absent
    assert out["yoy_pct"].iloc[2] == pytest.approx(10.0)
    c = cagr(f, start=2019, end=2024, time="year")
    assert c["years"].item() == 5
    assert c["cagr_pct"].item() == pytest.approx(100 * (0.99 ** (1 / 5) - 1))


def test_cagr_hand_computed():
    out = cagr(F, start="2015Q1", end="2016Q4", by="region_code")
    assert out["years"].item() == pytest.approx(1.75)
    assert out["change"].item() == 21
    assert out["cagr_pct"].item() == pytest.approx(100 * (1.21 ** (1 / 1.75) - 1))
    with pytest.raises(ValueError, match="after"):
        cagr(F, start="2016Q4", end="2015Q1")
    with pytest.raises(ValueError, match="frequency"):
        cagr(F, start="2015", end="2016Q4")
    with pytest.raises(ValueError, match="positive integer"):
        growth_rate(F, periods=0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=1, max_value=1e6), min_size=2, max_size=20),
       st.data())
def test_index_is_100_at_its_base(values, data):
    q = pd.period_range("2000Q1", periods=len(values), freq="Q")
    f = pd.DataFrame({"quarter": q, "employment": values})
    base = data.draw(st.sampled_from(list(q)))
    out = index(f, base=base)
    assert out.loc[out["quarter"] == base, "index"].item() == pytest.approx(100.0)
    # Growth rates do not depend on the base.
    g = qoq(out, "index")["qoq_pct"].dropna().to_numpy()
    assert g == pytest.approx(qoq(f)["qoq_pct"].dropna().to_numpy())


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=1, max_value=1e6), st.floats(min_value=-0.2, max_value=0.2),
       st.integers(min_value=1, max_value=40))
def test_cagr_recovers_a_constant_growth(x0, g, n_quarters):
    q = pd.period_range("2000Q1", periods=n_quarters + 1, freq="Q")
    values = x0 * (1 + g) ** (np.arange(n_quarters + 1) / 4)
    out = cagr(pd.DataFrame({"quarter": q, "employment": values}), start=q[0], end=q[-1])
    assert out["cagr_pct"].item() == pytest.approx(100 * g, abs=1e-8)


def test_matched_change_drops_cells_missing_at_one_date():
    f = pd.DataFrame({
        "zone_code": ["z1"] * 6 + ["z2"] * 2,
        "sector_code": ["a", "a", "b", "b", "c", "c", "a", "a"],
        "year": [2019, 2024] * 4,
        "employment": [100, 110, 50, np.nan, 10, 5, 0, 7],
    })
    out = matched_change(f, start=2019, end=2024, by="zone_code", cell="sector_code")
    z1 = out.set_index("zone_code").loc["z1"]
    assert (z1["value_start"], z1["value_end"], z1["change"]) == (110, 115, 5)
    assert z1["change_pct"] == pytest.approx(100 * 5 / 110)
    assert (z1["n_cells"], z1["n_unmatched"]) == (2, 1)
    assert z1["matched_share_start"] == pytest.approx(110 / 160)
    assert np.isnan(out.set_index("zone_code").loc["z2", "change_pct"])  # start total 0


def test_cagr_windows_stacks_cagr_with_a_window_label() -> None:
    from reindus.indicators import cagr, cagr_windows

    q = pd.period_range("2010Q1", "2014Q4", freq="Q")
    f = pd.DataFrame({"quarter": list(q) * 2, "region": ["a"] * len(q) + ["b"] * len(q),
                      "employment": [100.0 + i for i in range(len(q))] * 2})
    win = [(q[3], q[11]), (q[11], q[19])]
    out = cagr_windows(f, windows=win, by="region")
    assert out["window"].unique().tolist() == ["2010Q4-2012Q4", "2012Q4-2014Q4"]
    first = cagr(f, start=q[3], end=q[11], by="region")
    pd.testing.assert_frame_equal(out[out["window"] == "2010Q4-2012Q4"].drop(columns="window"),
                                  first)

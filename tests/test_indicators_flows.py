"""Gross job creation and destruction from cell changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.indicators import annual_flows, cell_changes, gross_flows

Q = pd.period_range("2020Q1", periods=3, freq="Q")


def _frame(table: dict[tuple[str, str], list[int]], quarters=Q) -> pd.DataFrame:
    return pd.DataFrame([
        {"region_code": r, "sector_code": s, "quarter": q, "employment": x}
        for (r, s), values in table.items() for q, x in zip(quarters, values, strict=True)])


# Region A: sector I loses 20 then 10, sector S gains 30 then loses 10.
F = _frame({("A", "I"): [100, 80, 70], ("A", "S"): [100, 130, 120],
            ("B", "I"): [50, 50, 60], ("B", "S"): [50, 40, 40]})


def test_hand_computed_flows():
    out = gross_flows(F).set_index(["region_code", "quarter"])
    a = out.loc[("A", pd.Period("2020Q2"))]
    assert a["creation"] == 30
    assert a["destruction"] == 20
    assert a["net"] == 10
    # average employment: (100 + 80) / 2 + (100 + 130) / 2 = 205
    assert a["average_employment"] == 205
    assert a["jcr"] == pytest.approx(30 / 205)
    assert a["jdr"] == pytest.approx(20 / 205)
    assert a["net_rate"] == pytest.approx(10 / 205)
    assert a["reallocation_rate"] == pytest.approx(50 / 205)
    assert a["excess_reallocation_rate"] == pytest.approx(40 / 205)
    a3 = out.loc[("A", pd.Period("2020Q3"))]
    assert (a3["creation"], a3["destruction"], a3["net"]) == (0, 20, -20)
    assert a3["excess_reallocation_rate"] == pytest.approx(0.0)
    assert len(out) == 4  # first quarter has no change


def test_coarser_cells_give_lower_gross_flows():
    # Pooling A's sectors into one cell nets their changes: the lower-bound property.
    fine = gross_flows(F, by=None)
    pooled = F.groupby(["region_code", "quarter"], as_index=False)["employment"].sum()
    coarse = gross_flows(pooled, cell="region_code", by=None)
    assert (coarse["creation"].to_numpy() <= fine["creation"].to_numpy()).all()
    assert (coarse["destruction"].to_numpy() <= fine["destruction"].to_numpy()).all()
    assert (coarse["net"].to_numpy() == fine["net"].to_numpy()).all()


def test_year_on_year_changes_and_gaps():
    q = pd.period_range("2020Q1", periods=5, freq="Q")
    f = _frame({("A", "I"): [10, 11, 12, 13, 15]}, q)
    yoy = gross_flows(f, periods=4)
    assert yoy["quarter"].tolist() == [pd.Period("2021Q1")]
    assert yoy["creation"].item() == 5
    ch = cell_changes(f.drop(index=2))
    assert ch["quarter"].astype(str).tolist() == ["2020Q2", "2021Q1"]


def test_annual_flows_keep_complete_years_only():
    q = pd.period_range("2019Q4", periods=5, freq="Q")
    f = _frame({("A", "I"): [10, 12, 11, 11, 14], ("A", "S"): [5, 5, 6, 4, 4]}, q)
    annual = annual_flows(gross_flows(f))
    assert annual["year"].tolist() == [2020]
    row = annual.iloc[0]
    assert (row["creation"], row["destruction"], row["net"]) == (6, 3, 3)
    assert row["n_quarters"] == 4


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="subset"):
        gross_flows(F, by="quarter")
    with pytest.raises(ValueError, match="duplicated"):
        gross_flows(pd.concat([F, F]))
    with pytest.raises(ValueError, match="missing"):
        gross_flows(F.assign(employment=np.nan))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=10_000), min_size=4, max_size=4),
                min_size=1, max_size=6),
       st.integers(min_value=1, max_value=3))
def test_creation_minus_destruction_is_the_net_change(cells, periods):
    q = pd.period_range("2020Q1", periods=4, freq="Q")
    f = _frame({("A", f"s{i}"): values for i, values in enumerate(cells)}, q)
    out = gross_flows(f, periods=periods).set_index("quarter")
    totals = f.groupby("quarter")["employment"].sum()
    for t, row in out.iterrows():
        assert row["creation"] - row["destruction"] == row["net"]
        assert row["net"] == totals[t] - totals[t - periods]
        assert row["creation"] >= 0 and row["destruction"] >= 0
        if row["average_employment"] > 0:
            assert row["excess_reallocation_rate"] >= -1e-12
            assert row["reallocation_rate"] <= 2 + 1e-12

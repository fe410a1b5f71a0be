"""Location quotients and the Krugman dissimilarity index."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.indicators import krugman_index, location_quotients

Q = pd.Period("2022Q4", freq="Q")


def _frame(table: dict[str, dict[str, float]]) -> pd.DataFrame:
    return pd.DataFrame([{"region_code": r, "sector_code": s, "quarter": Q, "employment": e}
                         for r, row in table.items() for s, e in row.items()])


# A: 50 / 50, B: 200 / 100 -> nation 250 / 150.
F = _frame({"A": {"I": 50, "S": 50}, "B": {"I": 200, "S": 100}})


def test_location_quotients_hand_computed():
    lq = location_quotients(F).set_index(["region_code", "sector_code"])["lq"]
    assert lq[("A", "I")] == pytest.approx(0.5 / (250 / 400))   # 0.8
    assert lq[("A", "S")] == pytest.approx(0.5 / (150 / 400))   # 1.333
    assert lq[("B", "I")] == pytest.approx((2 / 3) / (250 / 400))


def test_missing_cells_count_as_zero():
    f = _frame({"A": {"I": 10}, "B": {"I": 10, "S": 20}})
    lq = location_quotients(f).set_index(["region_code", "sector_code"])["lq"]
    assert lq[("A", "S")] == 0.0
    assert lq[("A", "I")] == pytest.approx(1 / (20 / 40))


def test_krugman_hand_computed():
    rest = krugman_index(F).set_index("region_code")["krugman"]
    # A vs B: |0.5 - 2/3| + |0.5 - 1/3| = 1/3, symmetric with two regions.
    assert rest["A"] == pytest.approx(1 / 3)
    assert rest["B"] == pytest.approx(1 / 3)
    nation = krugman_index(F, reference="nation").set_index("region_code")["krugman"]
    assert nation["A"] == pytest.approx(abs(0.5 - 0.625) + abs(0.5 - 0.375))
    with pytest.raises(ValueError, match="reference"):
        krugman_index(F, reference="world")


def test_identical_structures_give_zero_and_disjoint_give_two():
    same = _frame({"A": {"I": 1, "S": 3}, "B": {"I": 10, "S": 30}})
    assert krugman_index(same)["krugman"].to_numpy() == pytest.approx(0.0)
    disjoint = _frame({"A": {"I": 5}, "B": {"S": 7}})
    assert krugman_index(disjoint)["krugman"].to_numpy() == pytest.approx(2.0)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="duplicated"):
        location_quotients(pd.concat([F, F]))
    with pytest.raises(ValueError, match="zero total"):
        location_quotients(_frame({"A": {"I": 0, "S": 0}, "B": {"I": 1, "S": 1}}))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=1000), min_size=3, max_size=3)
                .filter(lambda r: sum(r) > 0), min_size=2, max_size=6))
def test_weighted_lq_average_to_one_and_shares_add_up(rows):
    table = {f"r{i}": dict(zip("XYZ", row, strict=True)) for i, row in enumerate(rows)}
    out = location_quotients(_frame(table))
    assert out.groupby("region_code")["region_share"].sum().to_numpy() == pytest.approx(1.0)
    weights = out.groupby("region_code")["employment"].transform("sum") / out["employment"].sum()
    check = (weights * out["lq"]).groupby(out["sector_code"]).sum()
    present = out.groupby("sector_code")["employment"].sum() > 0
    assert check[present].to_numpy() == pytest.approx(1.0)
    k = krugman_index(_frame(table), reference="nation")["krugman"]
    assert ((k >= -1e-12) & (k <= 2 + 1e-12)).all()

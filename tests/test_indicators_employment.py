"""Industrial employment, group shares, shares of the nation and ranks."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.indicators import (
    employment_by_group,
    industrial_employment,
    rank_within,
    sector_codes,
    share_of_total,
)

Q = pd.Period("2022Q4", freq="Q")
SECTORS = pd.DataFrame({
    "sector_code": ["CA", "CB", "FZ", "GZ", "NZa", "OZ"],
    "sector": ["food", "textile", "construction", "trade", "interim", "public admin"],
    "group": ["industry", "industry", "construction", "market services", "temporary work",
              "non-market"],
})


def _frame(values: dict[str, list[int]], quarter: pd.Period = Q) -> pd.DataFrame:
    rows = []
    for region, emp in values.items():
        for code, e in zip(SECTORS["sector_code"], emp, strict=True):
            rows.append({"region_code": region, "region": f"R{region}", "sector_code": code,
                         "quarter": quarter, "employment": e})
    return pd.DataFrame(rows)


EMP = _frame({"32": [10, 20, 10, 40, 10, 10], "11": [5, 5, 10, 60, 0, 20]})


def test_sector_codes_follow_the_sectors_table():
    assert sector_codes(SECTORS) == ("CA", "CB")
    assert sector_codes(SECTORS, "temporary work") == ("NZa",)
    with pytest.raises(ValueError, match="no sector in group"):
        sector_codes(SECTORS, "agriculture")


def test_industrial_employment_hand_computed():
    out = industrial_employment(EMP, SECTORS).set_index("region_code")
    # 32: industry 10+20 = 30 of 100 jobs; interim 10 apart.
    assert out.loc["32", "industry"] == 30
    assert out.loc["32", "temporary_work"] == 10
    assert out.loc["32", "total"] == 100
    assert out.loc["32", "industry_share"] == pytest.approx(0.30)
    assert out.loc["32", "temporary_work_share"] == pytest.approx(0.10)
    assert out.loc["11", "industry_share"] == pytest.approx(0.10)
    assert out.loc["32", "region"] == "R32"


def test_temporary_work_switch():
    excl = industrial_employment(EMP, SECTORS, temporary_work="excluded").set_index("region_code")
    added = industrial_employment(EMP, SECTORS, temporary_work="added").set_index("region_code")
    assert excl.loc["32", "total"] == 90
    assert excl.loc["32", "industry_share"] == pytest.approx(30 / 90)
    assert added.loc["32", "industry"] == 40
    assert added.loc["32", "industry_share"] == pytest.approx(0.40)
    with pytest.raises(ValueError, match="temporary_work"):
        industrial_employment(EMP, SECTORS, temporary_work="both")


def test_national_level_and_shares_of_nation():
    nat = industrial_employment(EMP, SECTORS, by="quarter")
    assert nat["industry"].item() == 40
    assert nat["industry_share"].item() == pytest.approx(40 / 200)
    reg = share_of_total(industrial_employment(EMP, SECTORS), "industry", name="share_fr")
    assert reg.set_index("region_code")["share_fr"].to_dict() == pytest.approx(
        {"32": 0.75, "11": 0.25})
    ranked = rank_within(reg, "industry").set_index("region_code")
    assert ranked["industry_rank"].to_dict() == {"32": 1, "11": 2}


def test_rank_ties_share_the_best_rank():
    f = pd.DataFrame({"quarter": [Q] * 3, "x": [5, 7, 5]})
    assert rank_within(f, "x")["x_rank"].tolist() == [2, 1, 2]


def test_group_shares_hand_computed():
    g = employment_by_group(EMP, SECTORS)
    r32 = g[g["region_code"] == "32"].set_index("group")["share"]
    assert r32["industry"] == pytest.approx(0.30)
    assert r32["non-market"] == pytest.approx(0.10)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="lacks column"):
        industrial_employment(EMP.drop(columns="employment"), SECTORS)
    with pytest.raises(ValueError, match="not in the sectors table"):
        industrial_employment(EMP.assign(sector_code="ZZ"), SECTORS)
    with pytest.raises(ValueError, match="negative"):
        industrial_employment(EMP.assign(employment=-1), SECTORS)
    with pytest.raises(ValueError, match="missing"):
        share_of_total(pd.DataFrame({"quarter": [Q], "x": [float("nan")]}), "x")


counts = st.lists(st.integers(min_value=0, max_value=10_000), min_size=6, max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(counts, min_size=1, max_size=5),
       st.sampled_from(["apart", "excluded", "added"]))
def test_shares_lie_in_unit_interval_and_add_up(regions, mode):
    frame = _frame({f"{i:02d}": emp for i, emp in enumerate(regions)})
    out = industrial_employment(frame, SECTORS, temporary_work=mode)
    shares = out["industry_share"].dropna()
    assert ((shares >= 0) & (shares <= 1 + 1e-12)).all()
    groups = employment_by_group(frame, SECTORS)
    sums = groups.groupby("region_code")["share"].sum(min_count=1).dropna()
    assert sums.to_numpy() == pytest.approx(1.0)
    nat = share_of_total(out, "industry")["industry_share_of_total"].dropna()
    if len(nat):
        assert nat.sum() == pytest.approx(1.0)
        assert ((nat >= 0) & (nat <= 1 + 1e-12)).all()

"""Shift-share decompositions: classic and chained."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.indicators import chained_shift_share, shift_share, shift_share_steps

COMPONENTS = ["national_effect", "mix_effect", "competitive_effect"]
YEARS = ["2019Q4", "2020Q4", "2021Q4"]


def _frame(table: dict[tuple[str, str], list[float]]) -> pd.DataFrame:
    return pd.DataFrame([
        {"region_code": r, "sector_code": s, "quarter": pd.Period(q), "employment": x}
        for (r, s), values in table.items() for q, x in zip(YEARS, values, strict=True)])


# Nation: industry 300 -> 290 (-1/30), services 200 -> 240 (+20 %); total 500 -> 530 (+6 %).
F = _frame({("A", "I"): [100, 95, 90], ("A", "S"): [100, 120, 130],
            ("B", "I"): [200, 190, 200], ("B", "S"): [100, 105, 110]})


def test_classic_hand_computed():
    out = shift_share(F, "2019Q4", "2021Q4").set_index("region_code")
    a = out.loc["A"]
    assert a["actual_change"] == 20
    assert a["national_effect"] == pytest.approx(200 * 0.06)                     # 12
    assert a["mix_effect"] == pytest.approx(100 * (-1 / 30 - 0.06) + 100 * (0.2 - 0.06))
    assert a["competitive_effect"] == pytest.approx(20 - 12 - 14 + 28 / 3)       # 3.333
    # With two regions, mix and competitive effects are mirror images.
    assert out.loc["B", "mix_effect"] == pytest.approx(-a["mix_effect"])
    assert out.loc["B", "competitive_effect"] == pytest.approx(-a["competitive_effect"])


def test_by_sector_rows_sum_to_the_region_rows():
    cells = shift_share(F, "2019Q4", "2021Q4", by_sector=True)
    regions = shift_share(F, "2019Q4", "2021Q4").set_index("region_code")
    summed = cells.groupby("region_code")[["actual_change", *COMPONENTS]].sum()
    pd.testing.assert_frame_equal(summed, regions[["actual_change", *COMPONENTS]],
                                  check_names=False)
    # A sector's competitive effect: E1 - E0 (1 + g_s); A industry: 90 - 100 * 29/30.
    ai = cells.set_index(["region_code", "sector_code"]).loc[("A", "I")]
    assert ai["competitive_effect"] == pytest.approx(90 - 100 * 29 / 30)


def test_chained_is_the_sum_of_yearly_steps():
    steps = shift_share_steps(F, "2019Q4", "2021Q4")
    assert steps[["start", "end"]].drop_duplicates().values.tolist() == [
        ["2019Q4", "2020Q4"], ["2020Q4", "2021Q4"]]
    chained = chained_shift_share(F, "2019Q4", "2021Q4").set_index("region_code")
    summed = steps.groupby("region_code")[COMPONENTS].sum()
    pd.testing.assert_frame_equal(chained[COMPONENTS], summed, check_names=False)
    assert chained.loc["A", "employment_start"] == 200
    assert chained.loc["A", "employment_end"] == 220
    # Step 1 for A: nation 500 -> 510 (+2 %), so national effect 4.
    first = steps[(steps["region_code"] == "A") & (steps["start"] == "2019Q4")]
    assert first["national_effect"].item() == pytest.approx(4.0)


def test_last_step_is_shortened_when_span_is_not_a_multiple():
    q = pd.period_range("2019Q4", "2021Q4", freq="Q")
    f = pd.DataFrame([{"region_code": r, "sector_code": s, "quarter": p, "employment": 10 + i}
                      for r in "AB" for s in "IS" for i, p in enumerate(q)])
    steps = shift_share_steps(f, "2019Q4", "2021Q4", step=5)
    assert steps[["start", "end"]].drop_duplicates().values.tolist() == [
        ["2019Q4", "2021Q1"], ["2021Q1", "2021Q4"]]


def test_missing_periods_and_cells_are_refused():
    with pytest.raises(ValueError, match="no observation"):
        shift_share_steps(F, "2019Q4", "2021Q4", step=5)
    with pytest.raises(ValueError, match="only one of"):
        shift_share(F.iloc[1:], "2019Q4", "2021Q4")
    with pytest.raises(ValueError, match="after"):
        shift_share(F, "2021Q4", "2019Q4")


def test_external_reference():
    ref = F.groupby(["sector_code", "quarter"], as_index=False)["employment"].sum()
    a = shift_share(F, "2019Q4", "2021Q4", reference=ref)
    b = shift_share(F, "2019Q4", "2021Q4")
    pd.testing.assert_frame_equal(a, b)
    # A reference twice as big with the same growth gives the same result.
    c = shift_share(F, "2019Q4", "2021Q4", reference=ref.assign(employment=ref.employment * 2))
    pd.testing.assert_frame_equal(a, c)
    with pytest.raises(ValueError, match="lacks sectors"):
        shift_share(F, "2019Q4", "2021Q4", reference=ref[ref.sector_code == "I"])


cell = st.lists(st.integers(min_value=0, max_value=5000), min_size=3, max_size=3)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=4),
       st.booleans())
def test_components_sum_exactly_to_the_actual_change(regions, by_sector):
    table = {(f"r{i}", s): values for i, sectors in enumerate(regions)
             for s, values in zip("XYZ", sectors, strict=True)}
    f = _frame(table)
    if f.loc[f["quarter"] != pd.Period("2021Q4"), "employment"].groupby(
            f["quarter"]).sum().min() == 0:
        with pytest.raises(ValueError, match="zero"):
            chained_shift_share(f, "2019Q4", "2021Q4")
        return
    for fn in (shift_share, chained_shift_share):
        out = fn(f, "2019Q4", "2021Q4", by_sector=by_sector)
        total = out[COMPONENTS].sum(axis=1)
        assert total.to_numpy() == pytest.approx(out["actual_change"].to_numpy(), abs=1e-6)
        assert (out["actual_change"] == out["employment_end"] - out["employment_start"]).all()
        # National effects add up to the national change times the regions' weights;
        # mix and competitive effects sum to zero over regions.
        starts_positive = (f[f["quarter"] == pd.Period("2019Q4")].groupby("sector_code")[
            "employment"].sum() > 0).all() and (f[f["quarter"] == pd.Period("2020Q4")].groupby(
            "sector_code")["employment"].sum() > 0).all()
        if not by_sector and starts_positive:
            assert out["mix_effect"].sum() == pytest.approx(0.0, abs=1e-6)
            assert out["competitive_effect"].sum() == pytest.approx(0.0, abs=1e-6)

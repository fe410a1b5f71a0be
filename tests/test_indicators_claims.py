"""Claims against evidence: rules checked on hand-computed synthetic examples."""

from __future__ import annotations

import pandas as pd
import pytest

from reindus.indicators import claims


def _panel() -> tuple[pd.DataFrame, pd.DataFrame]:
    sectors = pd.DataFrame({"sector_code": ["CA", "DZ-EZ", "GZ", "NZa"],
                            "sector": ["food", "energy", "trade", "interim"],
                            "group": ["industry", "industry", "market services",
                                      "temporary work"]})
    rows = []
    # Region 'A': industry 30 + 10 of 100 jobs; region 'B': industry 50 of 100.
    for region, ca, dz, gz, nza in [("A", 30, 10, 50, 10), ("B", 45, 5, 40, 10)]:
        for code, v in zip(["CA", "DZ-EZ", "GZ", "NZa"], [ca, dz, gz, nza], strict=True):
            rows.append({"region_code": region, "region": region, "sector_code": code,
                         "quarter": pd.Period("2022Q4", freq="Q"), "employment": v})
    return pd.DataFrame(rows), sectors


def test_matches_stated_rounds_at_stated_precision():
    assert claims.matches_stated(9.02, 9, 0)
    assert not claims.matches_stated(9.6, 9, 0)
    assert claims.matches_stated(17.64, 17.6, 1)
    assert not claims.matches_stated(18.17, 17.6, 1)
    with pytest.raises(ValueError):
        claims.matches_stated(1.0, 1.0, -1)


def test_rank_and_share_by_hand():
    emp, sectors = _panel()
    a = claims.industry_rank_share(emp, sectors, "A", "2022Q4")
    assert a["rank"] == 2 and a["share_pct"] == pytest.approx(100 * 40 / 90)
    with pytest.raises(ValueError):
        claims.industry_rank_share(emp, sectors, "Z", "2022Q4")


def test_share_scopes_by_hand():
    emp, sectors = _panel()
    checks = pd.DataFrame({"dataset": ["employment_a5"] * 2, "series": ["TBE", "T"],
                           "year": [2022, 2022], "value": [20.0, 200.0]})
    sc = claims.industry_share_scopes(emp, sectors, checks, "A", "2022Q4").set_index("scope")
    urssaf = sc.loc["Urssaf", "share_pct"].tolist()
    # apart 40/100, excluded 40/90, added 50/100, without DZ-EZ 30/100, annual mean 40/100
    assert urssaf == pytest.approx([40, 100 * 40 / 90, 50, 30, 40])
    # Insee scaling: 40 % x (20/200) / (90/200) national Urssaf share
    assert sc.loc["Insee (scaled)", "share_pct"] == pytest.approx(40 * 0.1 / 0.45)


def test_lost_and_rebuilt_hand_example():
    q = pd.period_range("2000Q1", periods=7, freq="Q")
    s = pd.Series([10, 12, 9, 11, 5, 7, 8], index=q)
    r = claims.lost_and_rebuilt(s)
    assert (r["peak"], r["trough"]) == (q[1], q[4])
    assert r["lost"] == 7 and r["rebuilt"] == 3
    with pytest.raises(ValueError):
        claims.lost_and_rebuilt(pd.Series([1.0, None]))


def test_area_change_and_missing_area():
    ae = pd.DataFrame({"code": ["1", "1", "2", "2"], "year": [2019, 2024] * 2,
                       "employment": [100, 150, 200, 120]})
    r = claims.area_change(ae, ["1", "2"], 2019, 2024)
    assert r["change"] == -30 and r["change_pct"] == pytest.approx(-10)
    with pytest.raises(ValueError):
        claims.area_change(ae, ["1", "3"], 2019, 2024)


def test_closure_date_verdict_follows_registry():
    events = pd.DataFrame({"event_id": ["x"], "commune": ["C"], "commune_code": ["1"],
                           "announced_on": ["2020-09"], "effective_on": ["2021-04-30"],
                           "jobs": pd.array([100], dtype="Int64")})
    ae = pd.DataFrame({"code": ["1"] * 3, "year": [2019, 2020, 2021],
                       "employment": [1000, 990, 900]})
    wrong = claims._closure_row(events, ae, "x", 2020, "closed in 2020")
    right = claims._closure_row(events, ae, "x", 2021, "closed in 2021")
    assert wrong["verdict"] == claims.NOT_REPRODUCED and right["verdict"] == claims.CONFIRMED
    assert "2020->2021: -90" in right["value"]

"""The public data API on the embedded processed tables, checked against published figures."""

from __future__ import annotations

import pandas as pd
import pytest

from reindus import data
from reindus.ingest.schemas import INDUSTRY_CODES, METROPOLITAN_REGION_CODES


@pytest.fixture(scope="module")
def emp() -> pd.DataFrame:
    return data.regional_employment()


def test_regional_employment_shape(emp: pd.DataFrame) -> None:
    assert list(emp.columns) == ["region_code", "region", "sector_code", "sector", "quarter",
                                 "employment", "payroll"]
    assert emp["region_code"].nunique() == 17 and "06" not in set(emp["region_code"])
    assert emp["sector_code"].nunique() == 28
    assert str(emp["quarter"].dtype) == "period[Q-DEC]"
    assert emp["quarter"].min() == pd.Period("1998Q3") and emp["quarter"].max() == pd.Period("2025Q4")
    assert len(emp) == 17 * 28 * 110
    assert emp["employment"].dtype == "int64"


def test_published_totals_2022q4(emp: pd.DataFrame) -> None:
    """Urssaf, 2022Q4, CVS: 20,136,277 private employees, 3,134,361 in industry (±1)."""
    q = emp[emp["quarter"] == pd.Period("2022Q4")]
    assert abs(q["employment"].sum() - 20_136_277) <= 1
    assert abs(q.loc[q["sector_code"].isin(INDUSTRY_CODES), "employment"].sum() - 3_134_361) <= 1


def test_hauts_de_france_share_and_rank_2022(emp: pd.DataFrame) -> None:
    """Hauts-de-France: about 9 % of national industrial employment in 2022, 4th region."""
    q = emp[(emp["quarter"] == pd.Period("2022Q4")) & emp["sector_code"].isin(INDUSTRY_CODES)]
    by_region = q.groupby("region_code")["employment"].sum().sort_values(ascending=False)
    share = by_region["32"] / by_region.sum()
    assert share == pytest.approx(0.090, abs=0.002)
    assert list(by_region.index).index("32") + 1 == 4


def test_sectors_groups() -> None:
    s = data.sectors()
    assert len(s) == 28
    assert set(s.loc[s["group"] == "industry", "sector_code"]) == set(INDUSTRY_CODES)
    assert s.set_index("sector_code").loc["NZa", "group"] == "temporary work"
    assert s.set_index("sector_code").loc["FZ", "group"] == "construction"


def test_insolvencies_calage_and_withheld() -> None:
    ins = data.insolvencies()
    assert set(ins["procedure"]) == {"redressement", "liquidation", "sauvegarde"}
    assert ins["quarter"].min() == pd.Period("2004Q1")
    calage = ins[ins["region_code"] == "99"]
    assert (calage["count"].dropna() <= 0).all()
    regions = ins[ins["region_code"] != "99"]
    assert (regions["count"].dropna() >= 0).all()
    # withheld values are missing, not zero
    assert regions["count"].isna().sum() > 0
    assert set(regions["region_code"]) <= set(METROPOLITAN_REGION_CODES) | {"01", "02", "03", "04", "06"}
    # former regions summed: Hauts-de-France = Nord-Pas-de-Calais + Picardie, one row per key
    assert not ins.duplicated(["region_code", "quarter", "procedure"]).any()


def test_area_employment_levels() -> None:
    fr = data.area_employment("france")
    assert fr["year"].tolist() == list(range(2014, 2025))
    reg = data.area_employment("region")
    assert set(reg["code"]) >= {"01", "32", "11"}
    # regions add up to France (same aggregator, same year-end stock)
    tot = reg.groupby("year")["employment"].sum()
    assert (tot - fr.set_index("year")["employment"]).abs().max() <= 0.001 * fr["employment"].max()
    with pytest.raises(ValueError):
        data.area_employment("canton")


def test_accords_treatment_quarters() -> None:
    acc = data.accords().set_index("region_code")
    assert acc.loc["32", "treatment_quarter"] == pd.Period("2024Q1")
    assert acc.loc["27", "treatment_quarter"] == pd.Period("2024Q3")
    assert acc.loc["76", "date_status"] == "announced_not_confirmed"
    assert acc.loc["44", "date_status"] == "year_inferred"
    assert acc["source"].notna().all()


def test_geography() -> None:
    assert len(data.geography("region")) == 18
    assert len(data.geography("departement")) == 101
    epci = data.geography("epci")
    assert len(epci) == 1255 and set(epci["epci_type"]) == {"CC", "CA", "CU", "ME"}
    bb = epci.set_index("epci_code").loc["200072460"]
    assert bb["region_code"] == "32" and bb["departement_code"] == "62"
    members = data.geography("epci_members")
    assert members.groupby("epci_code").size().loc["200072460"] == bb["n_communes"]


def test_contours_projected() -> None:
    reg = data.contours("region")
    assert reg.crs.to_epsg() == 2154 and len(reg) == 13
    assert set(reg["region_code"]) == set(METROPOLITAN_REGION_CODES)


def test_zone_employment_regions() -> None:
    z = data.zone_employment()
    assert set(z["year"]) == {2019, 2022, 2023, 2024}
    assert z["zone_code"].nunique() == 305
    cross = z[z["zone_code"].str.startswith("00")]
    assert (cross["region_assignment"] != "code prefix").all()
    # the national industry total is of the order of the regional series (different scopes)
    ind = z[(z["a5"] == "BE") & (z["year"] == 2022)]["employment"].sum()
    assert 2.9e6 < ind < 3.4e6


def test_departement_snapshot() -> None:
    d = data.departement_snapshot()
    assert d["quarter"].unique().tolist() == [pd.Period("2025Q4")]
    tot = d[d["sector_group_code"] == "TOTAL"]
    parts = d[d["sector_group_code"] != "TOTAL"].groupby("departement_code")["employment"].sum()
    assert (tot.set_index("departement_code")["employment"] - parts).abs().max() <= 7


def test_national_checks() -> None:
    n = data.national_checks()
    assert set(n["dataset"]) == {"business_creations", "business_failures", "employment_a5"}
    fail = n[(n["dataset"] == "business_failures") & (n["year"] == 2024)]["value"].iloc[0]
    assert fail == pytest.approx(66_100, abs=100)  # Banque de France: 66,121 in 2024


def test_readers_return_fresh_frames(emp: pd.DataFrame) -> None:
    a = data.sectors()
    a.loc[0, "sector"] = "changed"
    assert data.sectors().loc[0, "sector"] != "changed"


def test_provenance_flags_third_party() -> None:
    prov = data.provenance()
    assert prov.set_index("id").loc["urssaf_region_na28i", "third_party"]
    assert not prov.set_index("id").loc["cog_epci", "third_party"]

"""EPCI helpers: membership, aggregation, series, peers, dynamics (real data and hand-built frames)."""

from __future__ import annotations

import pandas as pd
import pytest

from reindus import data, epci

BETHUNE = "200072460"


@pytest.fixture(scope="module")
def prof() -> pd.DataFrame:
    return epci.profiles()


def test_membership_one_epci_per_commune() -> None:
    members = data.geography("epci_members")
    assert not members["commune_code"].duplicated().any()
    geo = data.geography("epci").set_index("epci_code")
    counts = members.groupby("epci_code").size()
    assert (counts == geo.loc[counts.index, "n_communes"]).all()
    assert counts.loc[BETHUNE] == 100  # CA de Béthune-Bruay, Artois-Lys Romane: 100 communes


def test_communes_add_up_to_epci_totals() -> None:
    """Summing commune series through the COG 2026 membership gives the EPCI series exactly.

    Tolerance 0: both come from the same commune file; Paris, Lyon and Marseille
    arrondissements must be mapped to their commune first (PLM_PARENTS).
    """
    totals, unmatched = epci.communes_to_epci()
    series = data.area_employment("epci").rename(columns={"code": "epci_code"})
    both = totals.merge(series, on=["epci_code", "year"], suffixes=("_sum", "_epci"))
    assert len(both) >= 0.99 * len(series)
    assert (both["employment_sum"] == both["employment_epci"]).all()
    # what is left out is small and stated: communes without a 2026 EPCI
    share = unmatched.groupby("year")["employment"].sum() / series.groupby("year")["employment"].sum()
    assert share.max() < 0.001


def test_plm_arrondissements_mapped() -> None:
    communes = pd.DataFrame({"code": ["75101", "75120", "13201", "69381", "59350"],
                             "year": 2024, "employment": [10, 20, 30, 40, 50]})
    members = pd.DataFrame({"commune_code": ["75056", "13055", "69123", "59350"],
                            "epci_code": ["P", "M", "L", "LI"]})
    totals, unmatched = epci.communes_to_epci(communes, members)
    got = totals.set_index("epci_code")["employment"].to_dict()
    assert got == {"L": 40, "LI": 50, "M": 30, "P": 30} and unmatched.empty


def test_reconcile_codes_reports_mismatches() -> None:
    rec = epci.reconcile_codes()
    geo = data.geography("epci").set_index("epci_code")
    # the five Mayotte EPCI have no Urssaf series; the aggregator's 'no EPCI' pseudo-code is listed
    assert set(geo.loc[rec["cog_without_series"], "region_code"]) == {"06"}
    assert rec["series_not_in_cog"] == [epci.NO_EPCI_CODE]


def test_employment_index_and_growth_by_hand() -> None:
    s = pd.DataFrame({"code": ["A"] * 3 + ["B"] * 3, "year": [2018, 2019, 2020] * 2,
                      "employment": [90, 100, 110, 200, 250, 200]})
    out = epci.employment(series=s, base=2019).set_index(["epci_code", "year"])
    assert out.loc[("A", 2019), "index"] == 100
    assert out.loc[("A", 2020), "index"] == pytest.approx(110)
    assert out.loc[("B", 2018), "index"] == pytest.approx(80)
    assert out.loc[("B", 2020), "growth_pct"] == pytest.approx(-20)
    assert pd.isna(out.loc[("A", 2018), "growth_pct"])


def test_change_table_by_hand() -> None:
    emp = pd.DataFrame({"epci_code": ["A"] * 3, "year": [2014, 2019, 2024],
                        "employment": [100, 120, 90]})
    ch = epci.change_table(emp, periods=((2014, 2019), (2019, 2024))).iloc[0]
    assert ch["change_2014_2019"] == 20 and ch["pct_2014_2019"] == pytest.approx(20)
    assert ch["change_2019_2024"] == -30 and ch["pct_2019_2024"] == pytest.approx(-25)


def test_job_dynamics_ranks_and_events(prof: pd.DataFrame) -> None:
    d = epci.job_dynamics(prof=prof).set_index("epci_code")
    b = d.loc[BETHUNE]
    assert b["region_code"] == "32" and 1 <= b["rank_2019_2024"] <= b["n_in_region"]
    assert "Bridgestone" in b["events"] and "ACC" in b["events"]
    hdf = d[d["region_code"] == "32"]
    assert hdf["rank_2019_2024"].min() == 1
    top = hdf.sort_values("pct_2019_2024", ascending=False).iloc[0]
    assert top["rank_2019_2024"] == 1


def test_peer_group_rules(prof: pd.DataFrame) -> None:
    peers = epci.peer_group(BETHUNE, "size_industry", n=10, prof=prof)
    assert len(peers) == 10 and BETHUNE not in set(peers["epci_code"])
    assert peers["distance"].is_monotonic_increasing
    target = prof.set_index("epci_code").loc[BETHUNE]
    # peers are of similar size and industrial share
    assert (peers["population"].between(target["population"] / 3, target["population"] * 3)).all()
    assert (peers["industry_share_2022"] - target["industry_share_2022"]).abs().max() < 8
    same_type = epci.peer_group(BETHUNE, "type_industry", n=5, prof=prof)
    assert set(same_type["epci_type"]) == {"CA"}
    other = epci.peer_group(BETHUNE, "size_industry", n=10, prof=prof, exclude_region=True)
    assert "32" not in set(other["region_code"])
    with pytest.raises(ValueError, match="unknown peer rule"):
        epci.peer_group(BETHUNE, "astrology", prof=prof)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown EPCI"):
        epci.peer_group("000000000", prof=prof)


def test_peer_selection_by_hand() -> None:
    prof = pd.DataFrame({
        "epci_code": ["T", "A", "B", "C"], "epci": list("TABC"), "epci_type": ["CA", "CA", "CC", "CA"],
        "population": [100_000, 110_000, 100_000, 1_000_000], "departement_code": "62",
        "region_code": ["32", "32", "44", "44"], "n_communes": 10,
        "industry_share_2022": [20.0, 21.0, 35.0, 20.0], "density": "2", "private_growth_1924": 0.0})
    peers = epci.peer_group("T", "size_industry", n=3, prof=prof)
    assert peers["epci_code"].tolist()[0] == "A"
    assert epci.peer_group("T", "type_industry", n=3, prof=prof)["epci_code"].tolist() == ["C", "A"]


def test_benchmarks_share_the_base(prof: pd.DataFrame) -> None:
    peers = epci.peer_group(BETHUNE, n=10, prof=prof)["epci_code"]
    b = epci.benchmarks(BETHUNE, peers, base=2019, prof=prof).set_index("year")
    assert b.loc[2019, ["epci", "region", "france", "peer_median"]].tolist() == [100, 100, 100, 100]
    assert (b["peer_q25"] <= b["peer_median"]).all() and (b["peer_median"] <= b["peer_q75"]).all()


def test_zone_industry_matched_cells() -> None:
    z = pd.DataFrame({"zone_code": ["0001"] * 4, "region_code": "32", "a5": "BE",
                      "sector_code": ["CA", "CA", "CH", "CH"], "year": [2019, 2024, 2019, 2024],
                      "employment": [100.0, 110.0, 50.0, float("nan")]})
    out = epci.zone_industry(z).iloc[0]
    # CH is withheld in 2024: left out of both years rather than read as a loss of 50
    assert out["industry_2019"] == 100 and out["industry_2024"] == 110 and out["pct"] == pytest.approx(10)

"""EPCI helpers (reindus.geo.epci): membership, commune -> EPCI aggregation, peers, summaries.

Hand-built frames check the formulas; the embedded data check the properties the notebook
relies on (membership, additivity of the commune series, code reconciliation).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from shapely.geometry import box  # noqa: E402

from reindus import config, data  # noqa: E402
from reindus.geo import dynamics as epci_dynamics
from reindus.geo import epci  # noqa: E402
from reindus.geo import peers as epci_peers
from reindus.geo import zones as geo_zones
from reindus.plots import epci as epci_plots

BETHUNE = "200072460"


# --------------------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def geo() -> pd.DataFrame:
    return data.geography("epci")


@pytest.fixture(scope="module")
def prof(geo: pd.DataFrame) -> pd.DataFrame:
    return epci.profiles(geo, data.geography("departement"), data.geography("region"),
                         data.epci_indicators())


@pytest.fixture(scope="module")
def emp() -> pd.DataFrame:
    return data.area_employment("epci")


def test_membership_one_epci_per_commune(geo: pd.DataFrame) -> None:
    members = data.geography("epci_members")
    communes = data.geography("commune")
    assert not members["commune_code"].duplicated().any()
    assert members["commune_code"].isin(communes["commune_code"]).all()
    counts = members.groupby("epci_code").size()
    g = geo.set_index("epci_code")
    assert set(counts.index) == set(g.index)
    assert (counts == g.loc[counts.index, "n_communes"]).all()
    assert counts.loc[BETHUNE] == 100  # CA de Béthune-Bruay, Artois-Lys Romane
    # COG populations add up: the EPCI population is the sum of its communes'
    pop = members.groupby("epci_code")["population"].sum()
    assert (pop == g.loc[pop.index, "population"]).all()


def test_profiles(prof: pd.DataFrame) -> None:
    b = epci.profile(prof, BETHUNE)
    assert (b["epci_type"], b["region"], b["departement"]) == ("CA", "Hauts-de-France",
                                                                 "Pas-de-Calais")
    assert b["epci_type_label"] == "communauté d'agglomération"
    assert 0 < b["industry_share"] < 100 and not b["overseas"]
    assert prof["epci_code"].is_unique and prof["region"].notna().all()
    with pytest.raises(ValueError, match="not in the COG"):
        epci.profile(prof, "123")


def test_communes_add_up_to_published_epci_totals(emp: pd.DataFrame) -> None:
    """Commune series summed through the COG 2026 membership equal the EPCI series.

    Tolerance: 0 jobs. Both are sums of the same integer Urssaf commune counts, on the
    same (2026) perimeters, so any gap would be a mapping error, not rounding. The
    arrondissements of Paris, Marseille and Lyon must be mapped to their commune first,
    and the island communes outside any EPCI go to the series' code 'ZZZZZZZZZ'.
    Commune codes that no longer exist (former communes) are absent from both sides.
    """
    agg = epci.aggregate_communes(data.area_employment("commune"),
                                  data.geography("epci_members"), data.geography("commune"))
    cmp = epci.compare_totals(agg.employment, emp)
    assert (cmp["status"] == "both").all()
    assert (cmp["difference"] == 0).all()
    # coverage is stated, and what is left out is small
    cov = agg.coverage
    assert (cov["total"] == cov["to_epci"] + cov["to_no_epci"] + cov["unmapped"]).all()
    assert cov["unmapped_pct"].max() < 0.1
    assert len(agg.unmapped) == agg.unmapped["code"].nunique() > 0
    # the national total is the sum of all commune codes
    fr = data.area_employment("france").set_index("year")["employment"]
    assert (cov.set_index("year")["total"] == fr).all()


def test_reconcile_codes_real(geo: pd.DataFrame, emp: pd.DataFrame) -> None:
    rec = epci.reconcile_codes(geo, emp, data.contours("epci")["epci_code"],
                               data.epci_indicators()["epci_code"])
    s = epci.reconciliation_summary(rec).set_index("what")["count"]
    assert s["COG 2026 EPCI"] == len(geo)
    assert s["COG EPCI without a series"] + s["COG EPCI with a series"] == len(geo)
    no_series = rec[rec["in_cog"] & ~rec["in_series"]]
    assert set(no_series["region_code"]) == {"06"}  # Mayotte only
    assert rec.loc[~rec["in_cog"] & rec["in_series"], "code"].tolist() == [epci.NO_EPCI]
    # contours and census indicators: the Grand Paris and its EPT, no overseas EPCI
    extra = set(rec.loc[~rec["in_cog"] & rec["in_contours"].astype(bool), "code"])
    assert extra == set(epci.GRAND_PARIS_TERRITORIES)
    no_contours = rec[rec["in_cog"] & ~rec["in_contours"].astype(bool)]
    assert no_contours["region_code"].isin(config.OVERSEAS_REGIONS).all()
    assert (rec["note"] != "").sum() == (~rec["in_cog"] | ~rec["in_series"]
                                         | ~rec["in_contours"].astype(bool)).sum()


def test_dynamics_real(prof: pd.DataFrame, emp: pd.DataFrame) -> None:
    d = epci_dynamics.dynamics(emp, prof, data.industrial_events()).set_index("epci_code")
    b = d.loc[BETHUNE]
    assert b["emp_2019"] == emp.set_index(["code", "year"]).loc[(BETHUNE, 2019), "employment"]
    assert 1 <= b["rank_2019_2024"] <= b["n_region"]
    assert "Bridgestone (closure 2021" in b["events"] and "ACC" in b["events"]
    hdf = d[d["region_code"] == "32"]
    assert hdf.loc[hdf["pct_2023_2024"].idxmax(), "rank_2023_2024"] == 1
    assert hdf["rank_2023_2024"].max() <= b["n_region"]


def test_select_peers_real(prof: pd.DataFrame, emp: pd.DataFrame) -> None:
    rule = epci_peers.PeerRule(pop_ratio=2, industry_pp=5, outside_region=True)
    peers = epci_peers.select_peers(BETHUNE, prof, emp, rule)
    t = epci.profile(prof, BETHUNE)
    assert len(peers) > 5 and BETHUNE not in set(peers["epci_code"])
    assert "32" not in set(peers["region_code"])
    assert peers["census_population"].between(t["census_population"] / 2,
                                              t["census_population"] * 2).all()
    assert (peers["industry_share"] - t["industry_share"]).abs().max() <= 5
    assert peers["distance"].is_monotonic_increasing


# --------------------------------------------------------------------------- hand-built frames
def test_arrondissement_parent() -> None:
    assert [epci.arrondissement_parent(c) for c in
            ("75101", "75120", "75121", "13216", "69389", "69380", "59350", "2A004")] == \
        ["75056", "75056", "75121", "13055", "69123", "69380", "59350", "2A004"]


def test_aggregate_communes_by_hand() -> None:
    communes = pd.DataFrame({
        "code": ["75101", "75120", "13201", "59350", "59009", "85113", "99999", "59350"],
        "year": [2024] * 7 + [2023],
        "employment": [10, 20, 30, 50, 5, 7, 3, 40]})
    members = pd.DataFrame({"commune_code": ["75056", "13055", "59350", "59009"],
                            "epci_code": ["P", "M", "L", "L"]})
    cog = pd.DataFrame({"commune_code": ["75056", "13055", "59350", "59009", "85113"]})
    agg = epci.aggregate_communes(communes, members, cog)
    got = agg.employment.set_index(["code", "year"])["employment"].to_dict()
    assert got == {("L", 2023): 40, ("L", 2024): 55, ("M", 2024): 30, ("P", 2024): 30,
                   (epci.NO_EPCI, 2024): 7}
    assert agg.employment.set_index(["code", "year"]).loc[("L", 2024), "n_communes"] == 2
    cov = agg.coverage.set_index("year")
    assert cov.loc[2024, ["total", "to_epci", "to_no_epci", "unmapped"]].tolist() == \
        [125, 115, 7, 3]
    assert cov.loc[2024, "n_unmapped_codes"] == 1 and cov.loc[2023, "unmapped"] == 0
    assert agg.unmapped["code"].tolist() == ["99999"]
    # an explicit parent mapping (a former commune into its commune nouvelle) is applied
    agg2 = epci.aggregate_communes(communes, members, cog, parents={"99999": "59009"})
    assert agg2.coverage["unmapped"].sum() == 0
    assert agg2.employment.set_index(["code", "year"]).loc[("L", 2024), "employment"] == 58
    # without the commune list, the island commune is reported unmapped, not dropped
    assert epci.aggregate_communes(communes, members).coverage["unmapped"].sum() == 10
    with pytest.raises(ValueError, match="two EPCI"):
        epci.aggregate_communes(communes, pd.concat([members, members]))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A1", "A2", "B1", "X9", "75101", "75102"]),
                          st.integers(2019, 2021), st.integers(0, 10_000)),
                min_size=1, max_size=30, unique_by=lambda t: (t[0], t[1])))
def test_aggregation_conserves_jobs(rows: list[tuple[str, int, int]]) -> None:
    communes = pd.DataFrame(rows, columns=["code", "year", "employment"])
    members = pd.DataFrame({"commune_code": ["A1", "A2", "B1", "75056"],
                            "epci_code": ["A", "A", "B", "P"]})
    agg = epci.aggregate_communes(communes, members)
    by_year = communes.groupby("year")["employment"].sum()
    cov = agg.coverage.set_index("year")
    assert (cov["total"] == by_year).all()
    assert (agg.employment.groupby("year")["employment"].sum().reindex(by_year.index,
                                                                        fill_value=0)
            + cov["unmapped"] == by_year).all()


def test_compare_totals_statuses() -> None:
    a = pd.DataFrame({"code": ["A", "A", "B"], "year": [2023, 2024, 2024],
                      "employment": [10, 12, 5]})
    p = pd.DataFrame({"code": ["A", "A", "C"], "year": [2023, 2024, 2024],
                      "employment": [10, 11, 9]})
    c = epci.compare_totals(a, p).set_index(["code", "year"])
    assert c.loc[("A", 2024), "difference"] == 1 and c.loc[("A", 2023), "difference"] == 0
    assert c.loc[("B", 2024), "status"] == "aggregated only"
    assert c.loc[("C", 2024), "status"] == "published only"
    assert np.isnan(c.loc[("C", 2024), "difference"])


def test_reconcile_codes_by_hand() -> None:
    geo = pd.DataFrame({"epci_code": ["A", "B", "M"], "epci": ["a", "b", "m"],
                        "region_code": ["32", "44", "06"]})
    emp = pd.DataFrame({"code": ["A", "B", epci.NO_EPCI, "OLD"], "year": 2024,
                        "employment": 1})
    rec = epci.reconcile_codes(geo, emp).set_index("code")
    assert rec.loc["M", "note"].startswith("Mayotte")
    assert rec.loc["OLD", "note"].startswith("not in the COG")
    assert rec.loc[epci.NO_EPCI, "note"].startswith("series code")
    s = epci.reconciliation_summary(rec.reset_index()).set_index("what")["count"]
    assert (s["COG EPCI without a series"], s["series codes not in the COG"]) == (1, 2)
    assert "COG EPCI without contours" not in s.index  # not given, not counted


def test_index_and_changes_by_hand() -> None:
    s = pd.DataFrame({"code": ["A"] * 3 + ["B"] * 3, "year": [2018, 2019, 2020] * 2,
                      "employment": [90, 100, 110, 200, 250, 200]})
    out = epci_dynamics.employment_index(s, base_year=2019).set_index(["code", "year"])
    assert out.loc[("A", 2019), "index"] == 100
    assert out.loc[("B", 2018), "index"] == pytest.approx(80)
    assert out.loc[("B", 2020), "growth_pct"] == pytest.approx(-20)
    assert np.isnan(out.loc[("A", 2018), "growth_pct"])
    ch = epci_dynamics.changes(s, periods=((2018, 2020), (2019, 2020))).set_index("code")
    assert ch.loc["A", "chg_2018_2020"] == 20
    assert ch.loc["A", "pct_2018_2020"] == pytest.approx(100 * (110 / 90 - 1))
    assert ch.loc["A", "cagr_2018_2020"] == pytest.approx(100 * ((110 / 90) ** 0.5 - 1))
    assert ch.loc["B", "pct_2019_2020"] == pytest.approx(-20)
    gap = s[~((s["code"] == "A") & (s["year"] == 2018))]
    assert np.isnan(epci_dynamics.changes(gap, ((2018, 2020),)).set_index("code").loc["A",
                                                                            "pct_2018_2020"])
    with pytest.raises(ValueError, match="end > start"):
        epci_dynamics.changes(s, ((2020, 2019),))
    with pytest.raises(ValueError, match="no year"):
        epci_dynamics.changes(s, ((2014, 2019),))
    with pytest.raises(ValueError, match="duplicated"):
        epci_dynamics.changes(pd.concat([s, s]), ((2018, 2020),))


def _toy_profiles() -> pd.DataFrame:
    return pd.DataFrame({
        "epci_code": ["T", "A", "B", "C", "D", "E"],
        "epci": ["CA t", "CA a", "CC b", "CA c", "CA d", "CA e"],
        "epci_type": ["CA", "CA", "CC", "CA", "CA", "CA"],
        "region_code": ["32", "32", "44", "44", "44", "01"],
        "region": ["HdF", "HdF", "GE", "GE", "GE", "Gpe"],
        "n_regions": 1,
        "overseas": [False, False, False, False, False, True],
        "industry_share": [20.0, 21.0, 23.0, 20.0, 40.0, 20.0],
        "census_population": [100_000.0, 110_000, 90_000, 1_000_000, 100_000, 100_000],
    })


def _toy_employment(codes=("T", "A", "B", "C", "D", "E")) -> pd.DataFrame:
    rows = [(c, y, 100 + i * 10 + (y - 2014)) for i, c in enumerate(codes)
            for y in range(2014, 2025)]
    return pd.DataFrame(rows, columns=["code", "year", "employment"])


def test_select_peers_by_hand() -> None:
    prof, emp = _toy_profiles(), _toy_employment()
    band = epci_peers.select_peers("T", prof, emp, {"pop_ratio": 2, "industry_pp": 5})
    # C too large, D too industrial, E overseas
    assert band["epci_code"].tolist() == ["A", "B"]
    assert epci_peers.select_peers("T", prof, emp, {"same_type": True})["epci_code"].tolist() == ["A"]
    assert epci_peers.select_peers("T", prof, emp, {"outside_region": True})["epci_code"].tolist() \
        == ["B"]
    assert epci_peers.select_peers("T", prof, emp, exclude=["A"])["epci_code"].tolist() == ["B"]
    near = epci_peers.select_peers("T", prof, emp, {"method": "nearest", "k": 3})
    # standardised distances (by hand): A 0.13, B 0.33, C 1.99 (size), D 2.12 (industry)
    assert near["epci_code"].tolist() == ["A", "B", "C"]
    assert near["distance"].tolist() == pytest.approx([0.134, 0.331, 1.992], abs=2e-3)
    assert near["distance"].is_monotonic_increasing and "T" not in set(near["epci_code"])
    # a candidate with an incomplete series is not a peer
    short = emp[~((emp["code"] == "A") & (emp["year"] == 2016))]
    assert "A" not in set(epci_peers.select_peers("T", prof, short)["epci_code"])
    no_ind = prof.assign(industry_share=prof["industry_share"].where(prof["epci_code"] != "T"))
    with pytest.raises(ValueError, match="no census indicators"):
        epci_peers.select_peers("T", no_ind, emp)


def test_peer_rule_validation() -> None:
    assert epci_peers.PeerRule.from_mapping(None) == epci_peers.PeerRule()
    assert epci_peers.PeerRule.from_mapping({"method": "nearest", "k": 5}).k == 5
    for bad in ({"method": "astrology"}, {"pop_ratio": 0.5}, {"industry_pp": -1}, {"k": 0},
                {"colour": "red"}):
        with pytest.raises(ValueError):
            epci_peers.PeerRule.from_mapping(bad)
    assert "factor 2" in epci_peers.PeerRule().describe()
    assert "outside the region" in epci_peers.PeerRule(outside_region=True).describe()


def test_dynamics_ranks_and_events_by_hand() -> None:
    prof = _toy_profiles()
    rows = []
    level = {"T": (100, 110), "A": (100, 120), "B": (100, 90), "C": (100, 90), "D": (100, 100)}
    for c, (a, b) in level.items():
        rows += [(c, 2023, a), (c, 2024, b)]
    emp = pd.DataFrame(rows, columns=["code", "year", "employment"])
    events = pd.DataFrame({"epci_code": ["T", "T", None], "kind": ["closure", "opening", "x"],
                           "company": ["Z", "Y", "W"], "jobs": pd.array([800, pd.NA, 1], "Int64"),
                           "effective_on": ["2021-04-30", "2023", "2020"]})
    d = epci_dynamics.dynamics(emp, prof, events, periods=((2023, 2024),)).set_index("epci_code")
    assert d.loc["A", "rank_2023_2024"] == 1 and d.loc["T", "rank_2023_2024"] == 2
    # ties share the smallest rank: B and C both -10 % in region 44, D first
    assert d.loc[["D", "B", "C"], "rank_2023_2024"].tolist() == [1, 2, 2]
    assert pd.isna(d.loc["E", "rank_2023_2024"])  # no series: not ranked
    assert d.loc["T", "n_region"] == 2 and d.loc["E", "n_region"] == 0
    assert d.loc["T", "events"] == "Z (closure 2021, 800 jobs announced); Y (opening 2023)"
    assert d.loc["T", "n_events"] == 2 and d.loc["A", "n_events"] == 0
    gl = epci_dynamics.gainers_losers(d.reset_index(), (2023, 2024), n=1)
    assert gl["epci_code"].tolist() == ["A", "B"] and gl["side"].tolist() == ["gain", "loss"]
    cg = epci_dynamics.count_gainers(d.reset_index(), (2023, 2024), by=None).iloc[0]
    assert (cg["gained"], cg["lost"], cg["unchanged"], cg["net_jobs"]) == (2, 2, 1, 10)


def test_peer_band_and_comparison_by_hand() -> None:
    emp = pd.DataFrame({"code": ["P1", "P1", "P2", "P2", "P3", "P3", "T", "T"],
                        "year": [2023, 2024] * 4,
                        "employment": [100, 101, 100, 103, 100, 98, 100, 110]})
    band = epci_peers.peer_band(emp, ["P1", "P2", "P3"], base_year=2023).set_index("year")
    assert band.loc[2024, ["n", "median", "min", "max"]].tolist() == [3, 101, 98, 103]
    dyn = epci_dynamics.changes(emp, ((2023, 2024),)).rename(columns={"code": "epci_code"})
    pc = epci_peers.peer_comparison("T", ["P1", "P2", "P3"], dyn, periods=((2023, 2024),)).iloc[0]
    assert pc["target_pct"] == pytest.approx(10) and pc["peers_median"] == pytest.approx(1)
    assert pc["gap"] == pytest.approx(9) and pc["rank_in_group"] == 1 and pc["n_group"] == 4
    # gaps to the median of the others: T 10-1=9, P1 1-3=-2, P2 3-1=2, P3 -2-2=-4
    assert pc["placebo_p"] == pytest.approx(1 / 4)
    with pytest.raises(ValueError, match="own peers"):
        epci_peers.peer_comparison("T", ["T", "P1"], dyn, periods=((2023, 2024),))


def test_comparison_table_by_hand() -> None:
    traj = pd.DataFrame({"series": ["e"] * 3 + ["f"] * 3, "kind": ["epci"] * 3 + ["france"] * 3,
                         "year": [2019, 2023, 2024] * 2,
                         "employment": [100.0, 110, 121, 200, 200, 190]})
    pc = pd.DataFrame({"period": ["2019-2024", "2023-2024"], "peers_median": [3.0, 1.0],
                       "peers_q25": [2.0, 0.0], "peers_q75": [4.0, 2.0]})
    t = epci_peers.comparison_table(traj, pc, periods=((2019, 2024), (2023, 2024))).set_index("series")
    assert t.loc["e", "pct_2023_2024"] == pytest.approx(10)
    assert t.loc["f", "pct_2019_2024"] == pytest.approx(-5)
    assert t.loc["peers: median", "pct_2023_2024"] == 1.0
    with pytest.raises(ValueError, match="no period"):
        epci_peers.comparison_table(traj, pc, periods=((2019, 2023),))  # peers lack this period


def test_trajectories_by_hand() -> None:
    prof = _toy_profiles().assign(epci_code=lambda d: d["epci_code"])
    emp = _toy_employment()
    reg = pd.DataFrame({"code": "32", "year": range(2014, 2025),
                        "employment": [1000 + 5 * i for i in range(11)]})
    fr = reg.assign(code="FR", employment=reg["employment"] * 10)
    tr = epci_peers.trajectories("T", emp, reg, fr, prof, ["A", "B"], base_year=2019)
    at_base = tr[tr["year"] == 2019].set_index("kind")["index"]
    assert np.allclose(at_base.to_numpy(), 100)
    assert set(tr["kind"]) == {"epci", "region", "rest of region", "france", "peers"}
    rest = tr[tr["kind"] == "rest of region"].set_index("year")["employment"]
    own = emp[emp["code"] == "T"].set_index("year")["employment"]
    assert (rest == reg.set_index("year")["employment"] - own).all()


def test_zone_industry_by_hand() -> None:
    rows = []
    for sector, a5, vals in (("CA", "BE", [100, 105, 108, 110]), ("CH", "BE", [50, 40, 45, None]),
                             ("GZ", "GU", [800, 800, 800, 800])):
        rows += [("0001", sector, sector, a5, y, v) for y, v in
                 zip((2019, 2022, 2023, 2024), vals, strict=True)]
    z = pd.DataFrame(rows, columns=["zone_code", "sector_code", "sector", "a5", "year",
                                    "employment"]).astype({"employment": "float64"})
    out = geo_zones.zone_industry(z, "0001").set_index("sector_code")
    assert "GZ" not in out.index  # industry only
    assert np.isnan(out.loc["CH", "chg_2019_2024"])  # withheld, never read as a loss
    total = out.loc["BE"]  # only CA is observed in every year
    assert (total["emp_2019"], total["chg_2019_2024"], total["chg_2023_2024"]) == (100, 10, 2)
    assert out.attrs["n_sectors_withheld"] == 1
    assert out.attrs["industry_share_pct"][2019] == pytest.approx(100 * 150 / 950)
    with pytest.raises(ValueError, match="not in zone_employment"):
        geo_zones.zone_industry(z, "9999")


def _squares() -> gpd.GeoDataFrame:
    codes = ["T", "A", *epci.GRAND_PARIS_TERRITORIES[:2]]
    geoms = [box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)]
    return gpd.GeoDataFrame({"epci_code": codes, "epci": ["CA t", "CA a", "p1", "p2"]},
                            geometry=geoms, crs="EPSG:2154")


def test_grand_paris_level_and_map_frame() -> None:
    g = geo_zones.grand_paris_level(_squares())  # no Métropole polygon: the EPT are dissolved
    assert sorted(g["epci_code"]) == sorted(["T", "A", epci.GRAND_PARIS])
    assert g.set_index("epci_code").loc[epci.GRAND_PARIS, "geometry"].area == pytest.approx(2)
    both = pd.concat([_squares(), gpd.GeoDataFrame(
        {"epci_code": [epci.GRAND_PARIS], "epci": ["MGP"]}, geometry=[box(0, 1, 2, 2)],
        crs="EPSG:2154")], ignore_index=True)
    assert sorted(geo_zones.grand_paris_level(both)["epci_code"]) == sorted(
        ["T", "A", epci.GRAND_PARIS])  # the EPT are dropped, the Métropole kept
    assert epci.GRAND_PARIS not in set(geo_zones.grand_paris_level(both, "territories")["epci_code"])
    with pytest.raises(ValueError, match="metropole"):
        geo_zones.grand_paris_level(both, "ept")  # type: ignore[arg-type]
    mf = geo_zones.map_frame(_squares(), pd.DataFrame({"epci_code": ["T", epci.GRAND_PARIS],
                                                  "v": [1.0, 2.0]}))
    assert mf.set_index("epci_code")["v"].isna().to_dict() == {
        "A": True, "T": False, epci.GRAND_PARIS: False}
    with pytest.raises(ValueError, match="several rows"):
        geo_zones.map_frame(_squares(), pd.DataFrame({"epci_code": ["T", "T"], "v": [1, 2]}))


def test_epci_zones_by_hand() -> None:
    e = gpd.GeoDataFrame({"epci_code": ["T"]}, geometry=[box(0, 0, 4, 1)], crs="EPSG:2154")
    z = gpd.GeoDataFrame({"zone_code": ["01", "02"], "zone": ["a", "b"]},
                         geometry=[box(0, 0, 3, 1), box(3, 0, 9, 9)], crs="EPSG:2154")
    out = geo_zones.epci_zones(e, z, ["T"])
    assert out["zone_code"].tolist() == ["01", "02"]
    assert out["area_share"].tolist() == pytest.approx([0.75, 0.25])
    with pytest.raises(ValueError, match="without contours"):
        geo_zones.epci_zones(e, z, ["X"])


def test_maps_render_and_return_data() -> None:
    import matplotlib.pyplot as plt

    prof = pd.DataFrame({"epci_code": ["T", "A", epci.GRAND_PARIS], "region_code": ["32"] * 3,
                         "region": ["HdF"] * 3, "n_regions": 1})
    gdf = geo_zones.map_frame(_squares(), pd.DataFrame({"epci_code": ["T", "A", epci.GRAND_PARIS],
                                                   "v": [1.0, -2.0, np.nan],
                                                   "w": [10.0, 20.0, 30.0]}))
    regions = gpd.GeoDataFrame({"region_code": ["32"]}, geometry=[box(0, 0, 2, 2)],
                               crs="EPSG:2154")
    v = epci_plots.MapVariable("v", -3, 3, "v, %", diverging=True)
    w = epci_plots.MapVariable("w", 0, 40, "w, %", title="w")
    fig, frame = epci_plots.plot_region_maps(gdf, v, ["32"], prof, regions, marked=["T"], ncols=1)
    assert frame.set_index("epci_code")["marked"].to_dict() == {
        "A": False, "T": True, epci.GRAND_PARIS: False}
    plt.close(fig)
    fig, frame = epci_plots.plot_region_variables(gdf, [v, w], "32", prof, regions, marked=["T"])
    assert list(frame.columns) == ["region_code", "epci_code", "epci", "v", "marked", "w"]
    plt.close(fig)
    fig, frame = epci_plots.plot_france_map(gdf, v, regions, marked=["T", "ABSENT"])
    assert frame["marked"].sum() == 1
    plt.close(fig)
    with pytest.raises(ValueError, match="no EPCI contours"):
        epci_plots.plot_region_maps(gdf, v, ["44"], prof, regions)


def test_bar_charts_render() -> None:
    import matplotlib.pyplot as plt

    t = pd.DataFrame({"epci_code": ["A", "B"], "epci": ["CA a", "CC b"],
                      "chg_2023_2024": [10.0, -5.0], "pct_2023_2024": [1.0, -0.5]})
    fig, bars = epci_plots.plot_gains_losses(t, (2023, 2024), highlight="A")
    assert bars["epci_code"].tolist() == ["B", "A"]  # bottom first: losses, then gains
    plt.close(fig)
    z = pd.DataFrame({"sector_code": ["CA", "BE"], "sector": ["food", "industry (matched)"],
                      "chg_2019_2024": [3.0, 3.0]})
    fig, bars = epci_plots.plot_zone_sectors({"zone": z}, "chg_2019_2024")
    assert bars.to_dict("list") == {"panel": ["zone"], "sector_code": ["CA"], "sector": ["food"],
                                    "chg_2019_2024": [3.0]}  # the matched total is not drawn
    plt.close(fig)

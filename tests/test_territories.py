"""Territoires d'industrie: treatment definitions, panel, estimators on simulated panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from reindus.designs import territories as ti
from reindus.designs import territories_estimates as ti_estimates
from reindus.designs import territories_robustness as ti_robustness
from reindus.designs import territories_zones as ti_zones
from reindus.evaluation import ipw, staggered

YEARS = np.arange(2014, 2025)


def sim_panel(n: int = 300, *, n_clusters: int = 30, share_w1: float = 0.4,
              share_w2: float = 0.1, effect1=0.0, effect2: float = 0.0, sigma: float = 0.01,
              selection: float = 0.0, trend_x: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """EPCI-like panel: y = a_i + l_t + trend_x * x_i * (t - 2014) + effects + noise.

    ``selection`` makes treatment more likely for high ``x`` (like industrial
    EPCI); ``effect1`` may be a scalar or a function of the event time.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    p1 = 1 / (1 + np.exp(-(np.log(share_w1 / (1 - share_w1)) + selection * x)))
    u = rng.uniform(size=n)
    g = np.where(u < p1, 2019.0, np.where(u < p1 + share_w2 * (1 - p1), 2024.0, np.nan))
    a = rng.normal(8, 1, n)
    lam = np.cumsum(rng.normal(0, 0.01, len(YEARS)))
    eps = rng.normal(0, sigma, (n, len(YEARS)))
    Y = a[:, None] + lam[None] + trend_x * x[:, None] * (YEARS - 2014)[None] + eps
    e = YEARS[None, :] - g[:, None]
    f1 = effect1 if callable(effect1) else (lambda k, v=effect1: v + 0 * k)
    Y += np.where((g[:, None] == 2019) & (e >= 0), f1(np.nan_to_num(e)), 0.0)
    Y += np.where((g[:, None] == 2024) & (e >= 0), effect2, 0.0)
    units = [f"{i:09d}" for i in range(n)]
    return pd.DataFrame({
        "epci_code": np.repeat(units, len(YEARS)), "year": np.tile(YEARS, n),
        "log_employment": Y.ravel(),
        "first_treated": pd.array(np.repeat(g, len(YEARS)), dtype="Float64").astype("Int64"),
        "departement_code": np.repeat([f"d{i % n_clusters:02d}" for i in range(n)], len(YEARS)),
        "region_code": np.repeat([f"r{i % 5}" for i in range(n)], len(YEARS)),
        "x": np.repeat(x, len(YEARS)), "pre_growth": np.repeat(rng.normal(size=n), len(YEARS)),
    })


# --------------------------------------------------------------------------- treatment
@pytest.fixture()
def membership() -> pd.DataFrame:
    rows = [
        (1, "ti-0001", "A", "E1", "epci", "E1"), (2, "ti-0001", "B", "E1", "epci", "E1"),
        (1, "ti-0002", "C", "E2", "epci", "E2"),               # exits after wave 1
        (2, "ti-0003", "D", "E3", "epci", "E3"),               # wave-2 entrant
        (1, "ti-0004", "F", "C51", "commune", "E5"),           # partly labelled
        (2, "ti-0005", "G", "P1", "ept", "E6"),                # EPT: partly labelled in wave 2
        (2, "ti-0006", "H", "E7", "epci", "E7"), (1, "ti-0007", "I", "C71", "commune", "E7"),
    ]
    df = pd.DataFrame(rows, columns=["wave", "territory_id", "territory", "epci_code",
                                     "member_type", "cog_epci_code"])
    df["in_cog_2026"] = df["member_type"] == "epci"
    return df


@pytest.fixture()
def epci() -> pd.DataFrame:
    codes = ["E1", "E2", "E3", "E4", "E5", "E6", "E7"]
    return pd.DataFrame({"epci_code": codes, "epci": codes, "region_code": "32",
                         "departement_code": "62", "population": 1000})


def test_treatment_groups(membership: pd.DataFrame, epci: pd.DataFrame) -> None:
    t = ti.treatment_table(membership, epci).set_index("epci_code")
    assert t["group"].astype(str).to_dict() == {
        "E1": "wave1", "E2": "wave1", "E3": "wave2_entrant", "E4": "never",
        "E5": "partial", "E6": "partial", "E7": "partial"}
    assert t.loc["E1", "first_treated"] == 2019 and t.loc["E3", "first_treated"] == 2024
    assert pd.isna(t.loc["E4", "first_treated"]) and pd.isna(t.loc["E5", "first_treated"])
    assert t.loc["E1", "territory_1"] == "A" and t.loc["E1", "territory_2"] == "B"


def test_treatment_needs_columns(epci: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="member_type"):
        ti.treatment_table(pd.DataFrame({"wave": [1], "epci_code": ["E1"]}), epci)


def test_outcome_panel_log_index_and_drops(epci: pd.DataFrame, membership) -> None:
    t = ti.treatment_table(membership, epci)
    t.loc[t["epci_code"] == "E4", "region_code"] = "01"  # an overseas EPCI
    emp = pd.DataFrame([(c, y, 100 * (k + 1) + (y - 2014)) for k, c in enumerate(
        ["E1", "E2", "E3", "E4", "E5"]) for y in YEARS], columns=["code", "year", "employment"])
    ind = pd.DataFrame({"epci_code": ["E1", "E2", "E3", "E4", "E5"],
                        "eco_sectindus_pct_22": 20.0, "eco_sectconst_pct_16": 10.0,
                        "eco_sectservi_pct_16": 40.0, "eco_sectadmin_pct_16": 25.0,
                        "eco_sectagri_pct_22": 5.0, "P22_POP": 5000, "dens3": "2"})
    p = ti.outcome_panel(emp, t, ind)
    assert sorted(p["epci_code"].unique()) == ["E1", "E2", "E3"]  # E4 overseas, E5 partial
    e1 = p[p["epci_code"] == "E1"].set_index("year")
    assert e1.loc[2018, "index"] == 100
    assert e1.loc[2024, "index"] == pytest.approx(100 * 110 / 104)
    assert e1.loc[2020, "log_employment"] == pytest.approx(np.log(106))
    assert e1.loc[2014, "pre_growth"] == pytest.approx(np.log(104 / 100))
    assert e1.loc[2014, "industry_share_2016"] == pytest.approx(20.0)
    assert e1.loc[2014, "intermediate"] == 1 and e1.loc[2014, "dense"] == 0


# --------------------------------------------------------------------------- event study
def _means_did(p: pd.DataFrame, year: int, ref: int, w=None) -> float:
    wide = p.pivot(index="epci_code", columns="year", values="log_employment")
    tr = p.drop_duplicates("epci_code").set_index("epci_code").loc[wide.index,
                                                                   "first_treated"].notna()
    d = wide[year] - wide[ref]
    wc = np.ones(len(d)) if w is None else w.reindex(wide.index).to_numpy()
    t = tr.to_numpy()
    return np.average(d[t], weights=wc[t]) - np.average(d[~t], weights=wc[~t])


def test_event_study_is_the_2x2_did_of_means() -> None:
    p = sim_panel(n=120, share_w2=0.0, seed=1)
    r = ti_estimates.event_study(p)
    d = r.details.set_index("year")
    for y in (2014, 2016, 2019, 2024):
        assert d.loc[y, "coef"] == pytest.approx(_means_did(p, y, 2018), abs=1e-10)
    assert d.loc[2018, "coef"] == 0
    assert r.estimate == pytest.approx(d.loc[2019:, "coef"].mean(), abs=1e-12)


def test_weighted_event_study_matches_weighted_means() -> None:
    p = sim_panel(n=120, share_w2=0.0, seed=2)
    rng = np.random.default_rng(0)
    units = p["epci_code"].unique()
    w = pd.Series(rng.uniform(0.2, 3, len(units)), index=units)
    r = ti_estimates.event_study(p, weights=w)
    d = r.details.set_index("year")
    assert d.loc[2022, "coef"] == pytest.approx(_means_did(p, 2022, 2018, w), abs=1e-10)


def test_event_study_recovers_dynamic_effect_and_flat_pretrends() -> None:
    p = sim_panel(n=600, effect1=lambda k: 0.01 * (k + 1), seed=3)
    r = ti_estimates.event_study(p)
    d = r.details.set_index("event_time")
    for k in range(6):
        assert d.loc[k, "ci_lo"] - 0.003 < 0.01 * (k + 1) < d.loc[k, "ci_hi"] + 0.003
    assert abs(d.loc[-5:-2, "coef"]).max() < 0.01
    pt = r.diagnostics["pretrend"]
    assert pt["df1"] == 4 and pt["df2"] == 29 and 0 <= pt["p_value"] <= 1
    assert r.diagnostics["n_clusters"] == 30


def test_pretrend_test_rejects_a_built_in_differential_trend() -> None:
    p = sim_panel(n=600, selection=2.0, trend_x=0.01, seed=4)
    assert ti_estimates.event_study(p).diagnostics["pretrend"]["p_value"] < 0.001
    # allowing x-specific year effects removes it
    r = ti_estimates.event_study(p, trends=("x",))
    assert r.diagnostics["pretrend"]["p_value"] > 0.01
    assert abs(r.estimate) < 0.005


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(-5, 5), st.floats(-1, 1))
def test_fixed_effects_are_absorbed(seed: int, shift: float, tilt: float) -> None:
    """Adding unit constants and common year shocks never changes the coefficients."""
    p = sim_panel(n=40, n_clusters=8, share_w2=0.0, seed=seed)
    q = p.copy()
    unit_shift = pd.Series(np.arange(40) * shift, index=p["epci_code"].unique())
    q["log_employment"] += q["epci_code"].map(unit_shift) + tilt * (q["year"] - 2014) ** 2
    a, b = ti_estimates.event_study(p).details, ti_estimates.event_study(q).details
    np.testing.assert_allclose(a["coef"], b["coef"], atol=1e-8)


# --------------------------------------------------------------------------- DiD
def test_twfe_matches_dummy_regression_and_closed_form() -> None:
    from reindus.evaluation.did import cluster_se

    p = sim_panel(n=60, n_clusters=10, share_w2=0.0, effect1=0.03, seed=5)
    r = ti_estimates.twfe_did(p, cohorts=(2019,), cluster="epci_code")
    # statsmodels with explicit unit and year dummies
    X = pd.get_dummies(p[["epci_code", "year"]].astype(str), drop_first=True).astype(float)
    X.insert(0, "D", ((p["year"] >= p["first_treated"].astype("Float64").fillna(9999))
                      .astype(float)).to_numpy())
    fit = sm.OLS(p["log_employment"].to_numpy(), sm.add_constant(X)).fit()
    assert r.estimate == pytest.approx(fit.params["D"], abs=1e-10)
    # clustered by unit: the evaluation module's closed form, up to its count of the FE
    Y = p.pivot(index="epci_code", columns="year", values="log_employment").to_numpy()
    g = p.drop_duplicates("epci_code")["first_treated"].astype("Float64").fillna(9999)
    D = (YEARS[None] >= g.to_numpy(dtype=float)[:, None]).astype(float)
    tau, se = cluster_se(Y, D)
    n, G, T = Y.size, Y.shape[0], Y.shape[1]
    assert tau == pytest.approx(r.estimate, abs=1e-10)
    assert r.diagnostics["se"] * np.sqrt((n - 1) / (n - G - T)) == pytest.approx(se, rel=1e-8)


def test_region_year_effects_match_dummy_regression() -> None:
    p = sim_panel(n=80, n_clusters=10, share_w2=0.0, effect1=0.02, seed=6)
    r = ti_estimates.twfe_did(p, cohorts=(2019,), region_year_effects=True)
    ry = (p["region_code"] + p["year"].astype(str)).where(p["year"] > 2014, "base")
    X = pd.concat([pd.get_dummies(p["epci_code"], drop_first=True),
                   pd.get_dummies(ry).drop(columns="base")], axis=1).astype(float)
    X.insert(0, "D", (p["year"] >= p["first_treated"].astype("Float64").fillna(9999))
             .astype(float).to_numpy())
    fit = sm.OLS(p["log_employment"].to_numpy(), sm.add_constant(X)).fit()
    assert r.estimate == pytest.approx(fit.params["D"], abs=1e-9)


def test_twfe_recovers_constant_effect_with_interval() -> None:
    p = sim_panel(n=500, effect1=0.02, effect2=0.02, seed=7)
    r = ti_estimates.twfe_did(p)
    assert r.ci[0] < 0.02 < r.ci[1] and r.ci[1] - r.ci[0] < 0.01
    assert r.diagnostics["n_treated"] + r.diagnostics["n_controls"] == 500


# --------------------------------------------------------------------------- Callaway–Sant'Anna
def test_cs_matches_the_evaluation_module() -> None:
    p = sim_panel(n=150, effect1=0.02, effect2=0.05, seed=8)
    r = ti_estimates.callaway_santanna(p)
    Y = p.pivot(index="epci_code", columns="year", values="log_employment").to_numpy()
    g = p.drop_duplicates("epci_code")["first_treated"].astype("Float64")
    G = np.where(g.isna(), np.inf, g.fillna(0).to_numpy(dtype=float) - 2014)
    gt = staggered.group_time_att(Y, G, control_group="never_treated", base_period="universal")
    ours = r.details.assign(g=r.details["cohort"] - 2014, t=r.details["year"] - 2014)
    m = gt.merge(ours, on=["g", "t"])
    assert len(m) == len(gt) == len(ours)
    np.testing.assert_allclose(m["att_x"], m["att_y"], atol=1e-12)
    assert r.estimate == pytest.approx(staggered.aggregate(gt, G, "simple"), abs=1e-12)


def test_cs_recovers_heterogeneous_cohort_effects() -> None:
    """TWFE mixes the cohorts with forbidden comparisons; CS gets each ATT(g, t)."""
    p = sim_panel(n=800, share_w1=0.4, share_w2=0.3, effect1=lambda k: 0.01 * (k + 1),
                  effect2=0.0, seed=9)
    r = ti_estimates.callaway_santanna(p)
    att = r.details.set_index(["cohort", "year"])["att"]
    assert att[(2019, 2024)] == pytest.approx(0.06, abs=0.005)
    assert att[(2024, 2024)] == pytest.approx(0.0, abs=0.005)
    ev = r.diagnostics["event_time"].set_index("event_time")
    assert ev.loc[5, "ci_lo"] < 0.06 < ev.loc[5, "ci_hi"]
    assert r.diagnostics["pretrend"]["p_value"] > 0.001


def test_cs_single_cohort_equals_event_study() -> None:
    p = sim_panel(n=100, share_w2=0.0, effect1=0.01, seed=10)
    cs = ti_estimates.callaway_santanna(p, cohorts=(2019,)).details.set_index("year")["att"]
    es = ti_estimates.event_study(p).details.set_index("year")["coef"].drop(2018)
    np.testing.assert_allclose(cs.sort_index(), es.sort_index(), atol=1e-12)


# --------------------------------------------------------------------------- reweighting
def test_propensity_score_is_the_logit_mle() -> None:
    rng = np.random.default_rng(0)
    X = np.column_stack([np.ones(300), rng.normal(size=(300, 2))])
    y = (rng.uniform(size=300) < 1 / (1 + np.exp(-(X @ [0.2, 1.0, -0.5])))).astype(float)
    p = ipw.propensity_score(X, y)
    np.testing.assert_allclose(X.T @ (y - p), 0.0, atol=1e-9)  # score equations hold
    with pytest.raises(ValueError, match="cannot be estimated"):
        ipw.propensity_score(X, (X[:, 1] > 0).astype(float))  # perfect separation


def test_propensity_weights_normalised() -> None:
    p = sim_panel(n=300, share_w2=0.0, selection=1.0, seed=11)
    w = ti_estimates.propensity_weights(p, covariates=("x",), trim=0.0)
    assert (w.loc[w["treated"], "weight"] == 1).all()
    assert w.loc[~w["treated"], "weight"].sum() == pytest.approx(w["treated"].sum())
    # heavier weights on controls that look treated (high x)
    c = w[~w["treated"]].join(p.drop_duplicates("epci_code").set_index("epci_code")["x"])
    assert np.corrcoef(c["x"], c["weight"])[0, 1] > 0.5
    bal = ti_estimates.balance_table(p, w, covariates=("x",)).iloc[0]
    assert abs(bal["smd_weighted"]) < 0.1 < abs(bal["smd_raw"])


def test_reweighting_removes_selection_on_observables() -> None:
    """Treatment likelier for high x, and high-x units decline: raw DiD biased, IPW not."""
    p = sim_panel(n=1200, n_clusters=40, share_w2=0.0, selection=1.5, seed=12)
    x = p["x"]
    p["log_employment"] -= 0.02 * (x > 0) * (p["year"] >= 2019) * (p["year"] - 2018)
    p["above"] = (x > 0).astype(float)
    raw = ti_estimates.twfe_did(p, cohorts=(2019,))
    ipw = ti_estimates.reweighted_did(p, covariates=("above",), n_boot=99, seed=1)
    assert raw.estimate < -0.01
    assert ipw.ci[0] < 0 < ipw.ci[1]
    assert abs(ipw.estimate) < 0.004
    # equals the reweighted event study's mean post coefficient
    assert ipw.estimate == pytest.approx(ipw.diagnostics["event_study_estimate"], abs=1e-10)
    again = ti_estimates.reweighted_did(p, covariates=("above",), n_boot=99, seed=1)
    assert again.ci == ipw.ci


# --------------------------------------------------------------------------- heterogeneity
def test_region_heterogeneity_recovers_region_effects() -> None:
    p = sim_panel(n=1000, share_w2=0.0, seed=13)
    eff = {"r0": 0.05, "r1": 0.0, "r2": -0.03, "r3": 0.0, "r4": 0.0}
    p["log_employment"] += (p["region_code"].map(eff) * p["first_treated"].notna()
                            * (p["year"] >= 2019))
    regions = pd.DataFrame({"region_code": list(eff), "region": list(eff)})
    h = ti_robustness.region_heterogeneity(p, regions, accord_regions=["r2"]).set_index("region_code")
    for r, e in eff.items():
        assert h.loc[r, "estimate"] == pytest.approx(e, abs=0.006)
    assert h["accord"].to_dict() == {"r0": False, "r1": False, "r2": True, "r3": False,
                                     "r4": False}


# --------------------------------------------------------------------------- bad input
def test_unbalanced_panel_refused() -> None:
    p = sim_panel(n=30, n_clusters=5).iloc[:-1]
    with pytest.raises(ValueError, match="unbalanced"):
        ti_estimates.event_study(p)


def test_missing_cohort_refused() -> None:
    p = sim_panel(n=30, n_clusters=5, share_w2=0.0)
    with pytest.raises(ValueError, match="no treated EPCI"):
        ti_estimates.twfe_did(p, cohorts=(2024,))


def test_missing_column_refused() -> None:
    p = sim_panel(n=30, n_clusters=5).drop(columns="departement_code")
    with pytest.raises(ValueError, match="departement_code"):
        ti_estimates.callaway_santanna(p)


def test_non_finite_outcome_refused() -> None:
    p = sim_panel(n=30, n_clusters=5)
    p.loc[3, "log_employment"] = np.inf
    with pytest.raises(ValueError, match="non-finite"):
        ti_estimates.twfe_did(p)


# --------------------------------------------------------------------------- audit check
def test_audit_hand_computed() -> None:
    rows = []
    # zone A: labelled share 1, industry 100 -> 80; zone B: share 0, 100 -> 110;
    # zone C: share 0.5, 200 -> 190 (one sector withheld in 2022: left out both years)
    for z, s, y0, y1 in [("0001", "C1", 100, 80), ("0002", "C1", 100, 110),
                         ("0003", "C1", 200, 190), ("0003", "C2", 50, np.nan)]:
        rows += [(z, s, "BE", 2019, y0), (z, s, "BE", 2022, y1)]
    rows += [("0001", "G1", "GU", 2019, 999.0), ("0001", "G1", "GU", 2022, 0.0)]  # not industry
    ze = pd.DataFrame(rows, columns=["zone_code", "sector_code", "a5", "year", "employment"])
    shares = pd.DataFrame({"zone_code": ["0001", "0002", "0003"], "ti_share": [1.0, 0.0, 0.5]})
    a = ti_zones.audit_industrial_losses(ze, shares)
    t = a["table"].set_index("reading")
    alloc = t.iloc[0]
    # losses: A -20, C -10 -> total -30; labelled part: -20 + 0.5 * -10 = -25
    assert a["total_losses"] == -30 and a["net_change"] == -20 and a["n_cells_dropped"] == 1
    assert alloc["share_of_losses"] == pytest.approx(25 / 30)
    assert alloc["share_of_industrial_employment"] == pytest.approx((100 + 100) / 400)
    assert alloc["net_change_labelled"] == pytest.approx(-25)
    cls = t.iloc[1]  # zones with share >= 0.5: A and C
    assert cls["share_of_losses"] == pytest.approx(1.0)
    assert cls["net_change_other"] == pytest.approx(10)


def test_zone_shares_on_squares() -> None:
    """Two EPCI squares; zone 1 covers EPCI a and half of b, zone 2 the other half of b."""
    import geopandas as gpd
    from shapely.geometry import box

    epci = gpd.GeoDataFrame({"epci_code": ["a", "b"]},
                            geometry=[box(0, 0, 1, 1), box(1, 0, 3, 1)], crs="EPSG:2154")
    zones = gpd.GeoDataFrame({"zone_code": ["0001", "0002"]},
                             geometry=[box(0, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:2154")
    mem = pd.DataFrame({"wave": [1], "epci_code": ["a"], "member_type": ["epci"],
                        "cog_epci_code": ["a"], "epci_label": ["A"]})
    emp = pd.DataFrame({"code": ["a", "b"], "year": 2019, "employment": [300, 200]})
    ind = pd.DataFrame({"epci_code": ["a", "b"], "P22_POP": [1, 1]})
    members = pd.DataFrame({"epci_code": ["a", "b"], "commune_code": ["1", "2"],
                            "commune": ["x", "y"], "population": [1, 1]})
    s = ti_zones.zone_ti_shares(epci, zones, mem, emp, ind, members).set_index("zone_code")
    assert s.loc["0001", "ti_share"] == pytest.approx(300 / (300 + 100))
    assert s.loc["0002", "ti_share"] == pytest.approx(0.0)


def test_wave_map_frame(membership: pd.DataFrame) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    g = gpd.GeoDataFrame({"epci_code": ["E1", "E3", "E5", "E4"], "epci": list("abcd")},
                         geometry=[box(i, 0, i + 1, 1) for i in range(4)], crs="EPSG:2154")
    f = ti.wave_map_frame(g, membership).set_index("epci_code")
    assert f.loc["E1", "wave1"] == 1 and f.loc["E1", "wave2"] == 1
    assert f.loc["E3", "wave1"] == 0 and f.loc["E3", "wave2"] == 1
    assert np.isnan(f.loc["E5", "wave1"]) and f.loc["E5", "wave2"] == 0
    assert f.loc["E4"].drop(["epci", "geometry"]).sum() == 0


def test_placebo_in_time_finds_nothing_when_trends_are_parallel() -> None:
    p = sim_panel(n=600, effect1=0.05, seed=14)
    q = ti_robustness.placebo_in_time(p, first_treated=2019, fake=2016)
    assert q["year"].max() == 2018 and set(q["first_treated"].dropna()) == {2016}
    r = ti_estimates.twfe_did(q, cohorts=(2016,))
    assert r.ci[0] < 0 < r.ci[1]
    with pytest.raises(ValueError, match="before"):
        ti_robustness.placebo_in_time(p, first_treated=2019, fake=2020)


# --------------------------------------------------------------------------- issue 11 specifications
def test_holm_by_hand() -> None:
    # sorted p 0.01, 0.02, 0.04 with m = 3: 0.03, 0.04, max(0.04, 0.04) = 0.04
    np.testing.assert_allclose(ti_robustness.holm(np.array([0.04, 0.01, 0.02])), [0.04, 0.03, 0.04])
    assert ti_robustness.holm(np.array([0.5, 0.9])).max() == 1.0


def test_region_heterogeneity_uses_each_regions_clusters() -> None:
    p = sim_panel(n=400, share_w2=0.0, seed=14)
    regions = pd.DataFrame({"region_code": [f"r{i}" for i in range(5)],
                            "region": [f"r{i}" for i in range(5)]})
    h = ti_robustness.region_heterogeneity(p, regions)
    # 30 départements spread over 5 regions: 6 per region -> t with 5 df
    assert (h["n_clusters"] == 6).all() and (h["df"] == 5).all()
    assert (h["p_holm"] >= h["p_value"]).all()
    q = (h["ci_hi"] - h["estimate"]) / h["se"]
    from scipy import stats
    np.testing.assert_allclose(q, stats.t.ppf(0.975, 5))


def test_employment_weights_and_bins_and_strata() -> None:
    p = sim_panel(n=300, share_w2=0.0, seed=15)
    p["employment"] = np.exp(p["log_employment"])
    w = ti.employment_weights(p)
    assert w.index.nunique() == 300 and (w > 0).all()
    b = ti.add_bins(p, "x", n_bins=4)
    assert sorted(b["x_bin"].unique()) == [0, 1, 2, 3]
    # a year shock proportional to x-bin is absorbed by bin x year effects
    shock = b["x_bin"] * 0.01 * (b["year"] - 2014)
    b["log_employment"] = b["log_employment"] + shock
    assert ti_estimates.event_study(b, strata="x_bin").diagnostics["strata"] == "x_bin"
    r = ti_estimates.event_study(b, strata="x_bin")
    r0 = ti_estimates.event_study(p)
    assert abs(r.estimate - r0.estimate) < 0.003


def test_detrended_outcome_removes_unit_lines() -> None:
    p = sim_panel(n=100, share_w2=0.0, sigma=0.0, seed=16)
    slope = np.repeat(np.linspace(-0.02, 0.02, 100), len(YEARS))
    p["log_employment"] += slope * (p["year"] - 2014)
    d = ti.add_detrended(p, before=2019)
    pre = d[d["year"] < 2019].groupby("epci_code")["log_employment_detrended"]
    # noise-free: each unit's pre-period is a line plus common year effects
    r = ti_estimates.event_study(d, outcome="log_employment_detrended")
    assert abs(r.estimate) < 1e-10 and pre.std().max() < 0.1


def test_donut_drops_controls_sharing_a_zone() -> None:
    p = sim_panel(n=60, share_w2=0.0, seed=17)
    units = p.drop_duplicates("epci_code")
    zones = pd.Series([f"z{i % 10}" for i in range(60)], index=units["epci_code"].to_numpy())
    d = ti.donut_panel(p, zones)
    du = d.drop_duplicates("epci_code")
    tz = set(du.loc[du["first_treated"] == 2019, "epci_code"].map(zones))
    assert not du.loc[du["first_treated"].isna(), "epci_code"].map(zones).isin(tz).any()
    assert (du["first_treated"] == 2019).sum() == (units["first_treated"] == 2019).sum()


def test_intensity_event_study_recovers_the_slope() -> None:
    rng = np.random.default_rng(18)
    quarters = pd.period_range("2012Q1", "2025Q4", freq="Q")
    n = 120
    s = rng.uniform(size=n)
    yr = np.array([q.year for q in quarters])
    Y = (rng.normal(8, 1, (n, 1)) + np.cumsum(rng.normal(0, 0.01, len(quarters)))[None]
         + rng.normal(0, 0.005, (n, len(quarters))) - 0.03 * np.outer(s, yr >= 2019))
    z = pd.DataFrame({"zone_code": np.repeat([f"{i:04d}" for i in range(n)], len(quarters)),
                      "quarter": np.tile(quarters, n), "employment": np.exp(Y.ravel()).round()})
    zp = ti_zones.zone_intensity_panel(z, pd.DataFrame({"zone_code": [f"{i:04d}" for i in range(n)],
                                                  "ti_share": s}))
    r = ti_robustness.intensity_event_study(zp)
    assert r.ci[0] < -0.03 < r.ci[1] and abs(r.estimate + 0.03) < 0.005
    assert r.diagnostics["pretrend"]["df1"] == 6 and r.diagnostics["pretrend"]["p_value"] > 0.001


def test_zone_industry_panel_by_hand() -> None:
    rows = []
    for y, (i1, i2, o1, o2) in {2019: (10, 5, 100, 50), 2022: (20, 5, 100, 50)}.items():
        rows += [("Z1", "C1", "BE", y, i1), ("Z1", "C2", "BE", y, i2),
                 ("Z1", "GZ", "GU", y, o1), ("Z1", "MN", "GU", y, o2)]
    ze = pd.DataFrame(rows, columns=["zone_code", "sector_code", "a5", "year", "employment"])
    # a cell withheld in one year is left out of both
    ze = pd.concat([ze, pd.DataFrame([("Z1", "C3", "BE", 2019, 7.0),
                                      ("Z1", "C3", "BE", 2022, np.nan)], columns=ze.columns)])
    out = ti_zones.zone_industry_panel(ze, pd.DataFrame({"zone_code": ["Z1"], "ti_share": [0.4]}))
    assert out["industry"].tolist() == [15, 25] and out["other"].tolist() == [150, 150]
    np.testing.assert_allclose(out["log_ratio"], np.log([15 / 150, 25 / 150]))
    assert (out["intensity"] == 0.4).all()


def test_lead_summary_reads_leads_slope_and_post() -> None:
    from types import SimpleNamespace

    from reindus.designs.territories_estimates import lead_summary

    details = pd.DataFrame({"event_time": [-4, -3, -2, -1, 0, 1],
                            "coef": [0.03, 0.02, 0.01, 0.0, -0.01, -0.02]})
    s = lead_summary(SimpleNamespace(details=details))
    assert s["leads"] == [0.03, 0.02, 0.01]
    assert s["max_abs_lead"] == pytest.approx(0.03)
    assert s["lead_slope"] == pytest.approx(-0.01)
    assert s["post"]["coef"].tolist() == [-0.01, -0.02]


# --------------------------------------------------------------------------- notebook 05's checks
def test_within_region_is_the_event_study_of_the_region_or_none() -> None:
    p = sim_panel(n=300, n_clusters=30, seed=11)  # region r0 holds départements d00, d05, ...
    res, counts = ti_robustness.within_region(p, "r0", first_treated=2019)
    sub = p[p["region_code"] == "r0"]
    units = sub.drop_duplicates("epci_code")["first_treated"]
    assert counts == {"n_treated": int((units == 2019).sum()), "n_controls": int(units.isna().sum()),
                      "n_departements": 6}
    assert res is not None
    assert res.estimate == ti_estimates.event_study(sub, first_treated=2019).estimate
    few = p[p["departement_code"].isin(["d00", "d05"])]  # two départements: too few clusters
    assert ti_robustness.within_region(few, "r0")[0] is None
    treated_only = p[p["first_treated"].notna()]
    res, counts = ti_robustness.within_region(treated_only, "r0")
    assert res is None and counts["n_controls"] == 0


def test_estimands_table_reads_each_event_study() -> None:
    p = sim_panel(n=200, share_w2=0.0, seed=12)
    es = ti_estimates.event_study(p)
    t = ti_robustness.estimands_table({"equal": es}).iloc[0]
    assert t["estimand"] == "equal" and t["mean_post_gap"] == es.estimate
    assert (t["ci_lo"], t["ci_hi"]) == es.ci
    assert t["gap_last_year"] == es.details["coef"].iloc[-1]
    assert t["pretrend_p"] == es.diagnostics["pretrend"]["p_value"]


def test_alternative_specifications_labels_and_rows() -> None:
    p = sim_panel(n=240, share_w2=0.0, seed=13)
    rng = np.random.default_rng(13)
    units = p["epci_code"].unique()
    extra = pd.DataFrame({"epci_code": units, "industry_share_2016": rng.uniform(5, 40, len(units)),
                          "industry_share_2022": rng.uniform(5, 40, len(units)),
                          "log_employment_2018": rng.normal(8, 1, len(units)),
                          "log_population": rng.normal(10, 1, len(units)),
                          "dense": rng.integers(0, 2, len(units)),
                          "intermediate": rng.integers(0, 2, len(units)),
                          "territory": [f"t{i % 40}" for i in range(len(units))]})
    p = p.merge(extra, on="epci_code")
    p["index"] = 100 * np.exp(p["log_employment"] - p.groupby("epci_code")["log_employment"]
                              .transform(lambda s: s.iloc[list(YEARS).index(2018)]))
    # zone "shared" holds every labelled EPCI and half the controls; the others are alone
    treated = p.drop_duplicates("epci_code").set_index("epci_code")["first_treated"].notna()
    zones = pd.Series([("shared" if treated[u] or i % 2 else f"alone{i}")
                       for i, u in enumerate(units)], index=units)
    out = ti_robustness.alternative_specifications(p, zones, first_treated=2019)
    assert list(out)[5:7] == ["IPW, outcome index", "placebo: label moved to 2016"]
    assert len(out) == 11
    assert out["event study, clusters = territory"].diagnostics["n_clusters"] == 40
    assert out["event study + industry-share x year"].estimate == ti_estimates.event_study(
        p, trends=("industry_share_2016",)).estimate
    donut = out["event study, donut (no control in a labelled EPCI's zone)"]
    alone = sum(1 for z in zones if z.startswith("alone"))
    assert donut.diagnostics["n_controls"] == alone

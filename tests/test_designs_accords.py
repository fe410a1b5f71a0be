"""Tests of the accord designs on zones d'emploi, gigafactory zones and sectors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from reindus.designs import accords as A


def _regions_of_zones() -> pd.DataFrame:
    # Four regions with two zones each, plus one cross-region zone.
    rows = [(f"{r}0{k}", r) for r in ("11", "24", "32", "52") for k in (1, 2)]
    rows.append(("0051", "28"))
    return pd.DataFrame(rows, columns=["zone_code", "region_code"])


def _timing(**starts: str) -> pd.DataFrame:
    return pd.DataFrame({"region_code": list(starts), "role": "treated",
                         "first_treated": [pd.Period(s, freq="Q-DEC") for s in starts.values()]})


def _panel(Y: np.ndarray, zones: list[str], regions: list[str], first: str = "2020Q1"
           ) -> pd.DataFrame:
    q = pd.period_range(first, periods=Y.shape[1], freq="Q-DEC")
    return pd.DataFrame({"zone_code": np.repeat(zones, Y.shape[1]),
                         "region_code": np.repeat(regions, Y.shape[1]),
                         "quarter": np.tile(q, len(zones)), "employment": np.exp(Y).ravel(),
                         "log_employment": Y.ravel()})


def test_zone_regions_flags_cross_region_and_rejects_ambiguous():
    zr = A.zone_regions(_regions_of_zones())
    assert zr.loc[zr["zone_code"] == "0051", "cross_region"].item()
    assert zr["cross_region"].sum() == 1
    bad = pd.concat([_regions_of_zones(), pd.DataFrame({"zone_code": ["1101"],
                                                        "region_code": ["24"]})])
    with pytest.raises(ValueError, match="more than one region"):
        A.zone_regions(bad)


def test_zone_assignment_roles():
    zr = A.zone_regions(_regions_of_zones())
    t = pd.concat([_timing(**{"32": "2024Q1", "52": "2026Q1"}),
                   pd.DataFrame({"region_code": ["24"], "role": ["excluded"],
                                 "first_treated": [pd.NaT]})])
    a = A.zone_assignment(zr, t, regions=["11", "24", "28", "32", "52"], data_end="2025Q4")
    role = dict(zip(a["zone_code"], a["role"], strict=True))
    assert role["3201"] == role["3202"] == "treated"
    assert role["5201"] == "control"  # accord after the data
    assert role["2401"] == "excluded" and role["0051"] == "excluded"
    assert role["1101"] == "control"
    assert a.loc[a["zone_code"] == "3201", "start"].item() == pd.Period("2024Q1", freq="Q-DEC")


def test_zone_panel_is_balanced_log_and_drops_cross_region():
    zr = A.zone_regions(_regions_of_zones())
    q = pd.period_range("2019Q1", "2020Q4", freq="Q-DEC")
    zq = pd.DataFrame([(z, p, 100 + i) for i, z in enumerate(zr["zone_code"]) for p in q],
                      columns=["zone_code", "quarter", "employment"])
    p = A.zone_panel(zq, zr, window=("2020Q1", None))
    assert "0051" not in set(p["zone_code"])
    assert p.groupby("zone_code").size().eq(4).all()
    assert np.allclose(p["log_employment"], np.log(p["employment"]))
    with pytest.raises(ValueError, match="unbalanced"):
        A.zone_panel(zq[~((zq["zone_code"] == "1101") & (zq["quarter"] == q[-1]))], zr)


def test_region_assignments_counts():
    assert len(A.region_assignments(list("abcd"), [3, 5])) == 12  # ordered pairs
    assert len(A.region_assignments(list("abcd"), [3, 3])) == 6  # equal dates: unordered
    assert len(A.region_assignments(list("abcdefgh"), [1, 2, 3], n_max=50)) == 50


def _zone_design(rng, effect=0.0, trends=False, noise=0.0):
    regions = ["11", "24", "28", "32", "52", "53"]
    zones = [f"{r}0{k}" for r in regions for k in (1, 2, 3)]
    reg = [z[:2] for z in zones]
    N, T = len(zones), 16
    Y = rng.normal(size=(N, 1)) + rng.normal(size=(1, T)) + noise * rng.normal(size=(N, T))
    if trends:
        Y = Y + rng.normal(scale=0.01, size=(N, 1)) * np.arange(T)[None, :]
    start = {"32": 10, "52": 12}
    for i, r in enumerate(reg):
        if r in start:
            Y[i, start[r]:] += effect
    panel = _panel(Y, zones, reg)
    q0 = pd.Period("2020Q1", freq="Q-DEC")
    asg = pd.DataFrame({"zone_code": zones, "region_code": reg,
                        "role": ["treated" if r in start else "control" for r in reg],
                        "start": [q0 + start[r] if r in start else pd.NaT for r in reg]})
    return panel, asg


def test_region_did_recovers_an_exact_effect_and_its_interval_collapses():
    panel, asg = _zone_design(np.random.default_rng(1), effect=0.03)
    r = A.region_did(panel, asg)
    assert r.estimate == pytest.approx(0.03, abs=1e-12)
    assert r.ci[0] == pytest.approx(0.03, abs=1e-6) and r.ci[1] == pytest.approx(0.03, abs=1e-6)
    assert r.diagnostics["randomisation"]["n_assignments"] == 30  # 6 x 5 ordered pairs


def test_region_did_cluster_se_matches_statsmodels():
    panel, asg = _zone_design(np.random.default_rng(2), effect=0.01, noise=0.02)
    r = A.region_did(panel, asg)
    d = panel.merge(asg[["zone_code", "start"]], on="zone_code")
    d["D"] = [float(pd.notna(s) and q >= s) for q, s in zip(d["quarter"], d["start"], strict=True)]
    d["q"] = d["quarter"].astype(str)
    fit = smf.ols("log_employment ~ D + C(zone_code) + C(q)", data=d).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(d["region_code"])[0]})
    assert r.estimate == pytest.approx(fit.params["D"], abs=1e-10)
    assert r.diagnostics["cluster"]["se"] == pytest.approx(fit.bse["D"], rel=1e-8)


def test_region_did_detrend_removes_zone_trends():
    panel, asg = _zone_design(np.random.default_rng(3), effect=0.0, trends=True)
    assert abs(A.region_did(panel, asg).estimate) > 1e-4  # trends bias the plain DiD
    assert A.region_did(panel, asg, detrend=True).estimate == pytest.approx(0.0, abs=1e-12)


def test_region_did_randomisation_p_is_exact_under_the_null():
    # Under the null and exchangeable regions the p-value is uniform on its grid:
    # over many draws, P(p <= 0.1) stays near 0.1.
    ps = [A.region_did(*_zone_design(np.random.default_rng(s), noise=0.02)).p_value
          for s in range(60)]
    assert 0.0 <= np.mean(np.array(ps) <= 0.1) <= 0.25


def test_zone_event_study_profile_is_the_gap_relative_to_the_last_pre_quarter():
    rng = np.random.default_rng(4)
    panel, asg = _zone_design(rng, effect=0.02)
    asg = asg[asg["region_code"] != "52"]  # one cohort
    es = A.zone_event_study(panel, asg, treated_region="32", leads=6)
    d = es.details.set_index("event_time")["estimate"]
    assert np.allclose(d.loc[-6:-1], 0.0, atol=1e-12)
    assert np.allclose(d.loc[0:], 0.02, atol=1e-12)
    assert es.estimate == pytest.approx(0.02)
    assert es.diagnostics["pretrend"]["n_regions"] == 5
    with pytest.raises(ValueError, match="leads asked"):
        A.zone_event_study(panel, asg, treated_region="32", leads=11)


def test_event_quarter_reads_registry_dates():
    assert str(A.event_quarter("2023-05-30")) == "2023Q2"
    assert str(A.event_quarter("2025-03")) == "2025Q1"
    assert str(A.event_quarter("2021")) == "2021Q1"
    with pytest.raises(ValueError, match="cannot read"):
        A.event_quarter("soon")


def test_host_zones_picks_the_zone_where_the_battery_sector_grew():
    events = pd.DataFrame({"event_id": ["acc"], "company": ["ACC"], "epci_code": ["e1"]})
    overlaps = pd.DataFrame({"epci_code": ["e1"] * 3, "zone_code": ["z1", "z2", "z3"],
                             "area_share": [0.8, 0.15, 0.05]})
    zs = pd.DataFrame({"zone_code": ["z1", "z1", "z2", "z2"], "sector_code": "CJ",
                       "year": [2019, 2024, 2019, 2024], "employment": [100, 90, 600, 1500]})
    h = A.host_zones(events, overlaps, zs, event_ids=["acc"])
    assert h["zone_code"].item() == "z2" and h["sector_growth"].item() == 900
    with pytest.raises(ValueError, match="not in the registry"):
        A.host_zones(events, overlaps, zs, event_ids=["nope"])


def test_gigafactory_design_groups_plants_by_zone():
    events = pd.DataFrame({"event_id": ["a", "b", "c"], "announced_on": ["2021", "2022", "2023-05"],
                           "effective_on": ["2023-05-30", "2025-12-11", "2028"],
                           "jobs": [2000, 1200, 3000]})
    hosts = pd.DataFrame({"event_id": ["a", "b", "c"], "zone_code": ["z1", "z2", "z2"]})
    g = A.gigafactory_design(events, hosts, data_end="2025Q4").set_index("zone_code")
    assert str(g.loc["z1", "start"]) == "2023Q2" and g.loc["z1", "n_post"] == 11
    assert str(g.loc["z2", "start"]) == "2025Q4" and g.loc["z2", "n_post"] == 1
    assert g.loc["z2", "jobs"] == 4200 and g.loc["z2", "events"] == "b, c"


def test_sector_outcomes_excludes_one_sector():
    s = pd.DataFrame({"sector_code": ["BZ", "CI-CJ", "FZ"],
                      "group": ["industry", "industry", "construction"]})
    o = A.sector_outcomes(s)
    assert o["industry"] == ["BZ", "CI-CJ"] and o["industry excl. CI-CJ"] == ["BZ"]
    assert o["CI-CJ"] == ["CI-CJ"]
    with pytest.raises(ValueError, match="not an industrial"):
        A.sector_outcomes(s, exclude="FZ")


def test_sector_effects_finds_a_sector_jump_and_not_in_the_rest():
    rng = np.random.default_rng(5)
    regions = ["11", "24", "28", "32", "52", "53"]
    secs = pd.DataFrame({"sector_code": ["BZ", "CI-CJ", "FZ"], "sector": ["b", "c", "f"],
                         "group": ["industry", "industry", "construction"]})
    q = pd.period_range("2019Q1", "2025Q4", freq="Q-DEC")
    rows = []
    for r in regions:
        for s in secs["sector_code"]:
            y = np.log(1000 + 100 * rng.random()) + 0.002 * np.arange(q.size) \
                + 0.002 * rng.normal(size=q.size)
            if r == "32" and s == "CI-CJ":
                y = y + 0.10 * (q >= pd.Period("2024Q1", freq="Q-DEC"))
            rows += [(r, f"region {r}", s, p, int(round(np.exp(v)))) for p, v in zip(q, y,
                                                                                     strict=True)]
    emp = pd.DataFrame(rows, columns=["region_code", "region", "sector_code", "quarter",
                                      "employment"])
    t = A.sector_effects(emp, secs, treated="32", start="2024Q1",
                         controls=["11", "24", "28", "52", "53"], window=("2019Q1", "2025Q4"),
                         seed=1).set_index("outcome")
    assert list(t.index) == ["industry", "industry excl. CI-CJ", "BZ", "CI-CJ"]
    assert t.loc["CI-CJ", "estimate"] == pytest.approx(0.10, abs=0.01)
    assert t.loc["CI-CJ", "ci_lo"] > 0.05
    assert abs(t.loc["industry excl. CI-CJ", "estimate"]) < 0.01
    w = emp[emp["sector_code"] == "CI-CJ"].pivot(index="quarter", columns="region_code",
                                                  values="employment")
    own = w["32"]
    assert t.loc["CI-CJ", "growth"] == pytest.approx(own.iloc[-1] / own.loc["2023Q4"] - 1)
    rest = w.drop(columns="32").sum(axis=1)
    assert t.loc["CI-CJ", "growth_rest"] == pytest.approx(rest.iloc[-1] / rest.loc["2023Q4"] - 1)


def test_ar1_event_covariance_by_hand():
    rho = 0.5
    S = A.ar1_event_covariance([-2, 0], 1.0, rho)
    # Var(u_g - u_{g-1}) = 2 (1 - rho); Cov(u_{g-2} - u_{g-1}, u_g - u_{g-1}) = (1 - rho)^2
    assert S[1, 1] == pytest.approx(2 * (1 - rho))
    assert S[0, 1] == pytest.approx((1 - rho) ** 2)
    assert S[0, 0] == pytest.approx(2 * (1 - rho))
    assert np.all(np.linalg.eigvalsh(A.ar1_event_covariance(range(-8, -1), 1.0, 0.9)[:-1, :-1])
                  > -1e-12)
    with pytest.raises(ValueError, match="reference"):
        A.ar1_event_covariance([-1, 0], 1.0, rho)


def test_placebo_gap_ar1_recovers_rho_and_variance():
    rng = np.random.default_rng(7)
    N, T, rho, s = 20, 400, 0.6, 0.01
    e = np.zeros((N, T))
    for t in range(1, T):
        e[:, t] = rho * e[:, t - 1] + s * rng.normal(size=N)
    Y = (rng.normal(size=(N, 1)) + rng.normal(size=(1, T))
         + 0.001 * rng.normal(size=(N, 1)) * np.arange(T) + e)
    panel = pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(N)], T),
                          "period": np.tile(np.arange(T), N), "y": Y.ravel()})
    fit = A.placebo_gap_ar1(panel, controls=[f"u{i}" for i in range(N)])
    assert fit["rho"] == pytest.approx(rho, abs=0.05)
    # gap noise e_j - mean of the others: variance s^2 / (1 - rho^2) x (1 + 1 / (N - 1))
    assert fit["sigma2"] == pytest.approx(s**2 / (1 - rho**2) * (1 + 1 / (N - 1)), rel=0.15)

r"""The accords on finer units: zones d'emploi, gigafactory zones, sectors (issue 11).

Three designs, each a set of pure functions from :mod:`reindus.data` tables to
the inputs (and, where no estimator of :mod:`reindus.evaluation` fits, the
outputs) of an evaluation:

1. **Zones d'emploi of signing regions against zones of non-signing regions.**
   The quarterly CVS panel of the 305 zones d'emploi (2012Q1–2025Q4). Treatment
   is assigned by *region*: every zone of a signing region is treated from the
   region's treatment quarter. Inference must respect that: with two treated
   regions out of eleven, zone-level standard errors would treat thirty-odd
   zones as independent draws when they share one decision. Two inferences are
   given: CR1 errors clustered by region (Student *t* with :math:`G-1` degrees
   of freedom; unreliable with two treated clusters, shown because it is
   standard) and **randomisation over regions** (the treatment dates are
   re-assigned to every ordered set of eligible regions; exact under the sharp
   null and exchangeable regions), whose test is inverted into an interval.
2. **Gigafactory zones** (ACC, AESC, Verkor, ProLogium), each its own event
   study with a synthetic control built from zones outside the accord regions,
   dated by :func:`reindus.data.industrial_events`.
3. **Region x sector outcomes**: each industrial sector, and industry without
   CI-CJ (electrical equipment, batteries included), for the one-region
   estimators.

Zones coded ``00xx`` span several regions; :func:`reindus.data.zone_employment`
assigns each to the region holding most of its area. Their treatment status is
ambiguous when they straddle a signing and a non-signing region, so the zone
design drops them by default.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from reindus.errors import require_columns
from reindus.evaluation._core import invert_test, two_way_demean
from reindus.evaluation.panel import as_quarter, in_window
from reindus.evaluation.results import EstimateResult

#: NA38 sector of battery cells (NACE 27.20, "manufacture of batteries"):
#: CJ, electrical equipment; NA28i merges it with CI as "CI-CJ".
BATTERY_SECTOR_NA38 = "CJ"
BATTERY_SECTOR_NA28 = "CI-CJ"
#: Registry ids of the battery gigafactories of the Hauts-de-France "battery valley".
GIGAFACTORIES = ("acc-douvrin", "aesc-douai", "verkor-dunkerque", "prologium-dunkerque")


_q = as_quarter  # one definition of a quarter label -> Period, in evaluation.panel


# --------------------------------------------------------------------------- zones


def zone_regions(zone_employment: pd.DataFrame) -> pd.DataFrame:
    """Region of each zone d'emploi, and whether the zone spans several regions.

    Parameters
    ----------
    zone_employment
        :func:`reindus.data.zone_employment` (zone_code, region_code).

    Returns
    -------
    pandas.DataFrame
        zone_code, region_code, cross_region (True for the ``00xx`` zones,
        assigned to the region holding most of their area).
    """
    require_columns(zone_employment, ["zone_code", "region_code"], "zone_employment")
    z = zone_employment[["zone_code", "region_code"]].drop_duplicates()
    if z["zone_code"].duplicated().any():
        bad = z.loc[z["zone_code"].duplicated(keep=False)].head(4)
        raise ValueError(f"zones with more than one region:\n{bad}")
    z = z.assign(cross_region=z["zone_code"].str.startswith("00"))
    return z.sort_values("zone_code").reset_index(drop=True)


def zone_panel(zone_quarterly: pd.DataFrame, regions_of_zones: pd.DataFrame, *,
               window: tuple[Any, Any] = (None, None), regions: Iterable[str] | None = None,
               drop_cross_region: bool = True) -> pd.DataFrame:
    r"""Quarterly log employment (CVS, all private sectors) by zone d'emploi.

    Parameters
    ----------
    zone_quarterly
        :func:`reindus.data.zone_quarterly_employment`.
    regions_of_zones
        :func:`zone_regions`.
    window
        ``(first, last)`` quarters kept (None = open).
    regions
        Regions whose zones are kept (None = all).
    drop_cross_region
        Drop the zones spanning several regions (default; their treatment
        status is ambiguous).

    Returns
    -------
    pandas.DataFrame
        zone_code, region_code, unit (= zone_code), quarter, employment,
        log_employment :math:`= \log(\text{employment})`; balanced.
    """
    require_columns(zone_quarterly, ["zone_code", "quarter", "employment"], "zone_quarterly")
    require_columns(regions_of_zones, ["zone_code", "region_code", "cross_region"], "regions_of_zones")
    d = zone_quarterly[["zone_code", "quarter", "employment"]].merge(
        regions_of_zones, on="zone_code", how="inner", validate="many_to_one")
    if drop_cross_region:
        d = d[~d["cross_region"]]
    if regions is not None:
        d = d[d["region_code"].isin([str(r) for r in regions])]
    d = in_window(d, window)
    if d.empty:
        raise ValueError("no zone-quarters left after filtering regions and window")
    if (d["employment"] <= 0).any():
        raise ValueError("non-positive zone employment: log undefined")
    counts = d.groupby("zone_code").size()
    if counts.nunique() != 1:
        raise ValueError(f"unbalanced zone panel: {counts[counts != counts.max()].head()}")
    out = d.drop(columns="cross_region").assign(
        unit=d["zone_code"], log_employment=np.log(d["employment"].astype(float)))
    return out[["zone_code", "region_code", "unit", "quarter", "employment", "log_employment"]
               ].sort_values(["zone_code", "quarter"]).reset_index(drop=True)


def zone_assignment(regions_of_zones: pd.DataFrame, timing: pd.DataFrame, *,
                    regions: Iterable[str], data_end: Any | None = None,
                    drop_cross_region: bool = True) -> pd.DataFrame:
    """Role and first treated quarter of every zone, inherited from its region.

    Parameters
    ----------
    regions_of_zones
        :func:`zone_regions`.
    timing
        One scenario of :func:`reindus.evaluation.panel.treatment_timing`
        (region_code, role in {treated, excluded}, first_treated).
    regions
        Regions in the design (metropolitan); regions absent from ``timing``
        are controls.
    data_end
        Last quarter of data: a region treated after it is a control.

    Returns
    -------
    pandas.DataFrame
        zone_code, region_code, role ('treated', 'control' or 'excluded'),
        start (Period or NaT), reason.
    """
    require_columns(timing, ["region_code", "role", "first_treated"], "timing")
    if timing.get("scenario", pd.Series(["x"])).nunique() > 1:
        raise ValueError("timing has several scenarios: pass one")
    t = timing.set_index("region_code")
    z = regions_of_zones[regions_of_zones["region_code"].isin([str(r) for r in regions])].copy()
    role, start, reason = [], [], []
    for r in z["region_code"]:
        if r not in t.index:
            role.append("control"), start.append(pd.NaT), reason.append("no accord")
            continue
        row = t.loc[r]
        if row["role"] != "treated":
            role.append("excluded"), start.append(pd.NaT), reason.append("uncertain accord date")
        elif data_end is not None and row["first_treated"] > _q(data_end):
            role.append("control"), start.append(pd.NaT), reason.append("accord after the data")
        else:
            role.append("treated"), start.append(row["first_treated"]), reason.append("accord")
    z["role"], z["start"], z["reason"] = role, start, reason
    if drop_cross_region:
        z.loc[z["cross_region"], ["role", "reason"]] = ["excluded", "zone spans several regions"]
        z.loc[z["cross_region"], "start"] = pd.NaT
    return z.drop(columns="cross_region").reset_index(drop=True)


# ------------------------------------------------------- DiD with region-level assignment


def _wide(panel: pd.DataFrame, outcome: str) -> tuple[np.ndarray, list[str], list[pd.Period]]:
    w = panel.pivot(index="zone_code", columns="quarter", values=outcome).sort_index()
    if w.isna().any().any():
        raise ValueError("zone panel is unbalanced")
    return w.to_numpy(float), list(w.index), list(w.columns)


def _detrend(Y: np.ndarray, t0: int) -> np.ndarray:
    r"""Subtract each row's linear trend fitted on columns ``< t0``: :math:`y_{it} - a_i - b_i t`."""
    t = np.arange(Y.shape[1], dtype=float)
    X = np.column_stack([np.ones(t0), t[:t0]])
    coef, *_ = np.linalg.lstsq(X, Y[:, :t0].T, rcond=None)
    return Y - (coef[0][:, None] + coef[1][:, None] * t[None, :])


def _treatment(zone_region: np.ndarray, starts: Mapping[str, int], T: int) -> np.ndarray:
    D = np.zeros((zone_region.size, T))
    for r, s in starts.items():
        D[zone_region == r, s:] = 1.0
    return D


def _cluster_se(Y: np.ndarray, D: np.ndarray, clusters: np.ndarray) -> tuple[float, float, int]:
    r"""TWFE :math:`\hat\tau` and its CR1 standard error clustered by ``clusters`` (rows)."""
    Dt = two_way_demean(D)
    S = float((Dt * Dt).sum())
    tau = float((Dt * Y).sum()) / S
    e = two_way_demean(Y) - tau * Dt
    row_scores = (Dt * e).sum(axis=1)
    labels = np.unique(clusters)
    scores = np.array([row_scores[clusters == g].sum() for g in labels])
    G, (N, T) = labels.size, Y.shape
    n, k = N * T, N + T
    c = G / (G - 1) * (n - 1) / (n - k)
    return tau, float(np.sqrt(c * (scores**2).sum() / S**2)), G


def region_assignments(eligible: Sequence[str], starts: Sequence[int], *, n_max: int = 5000,
                       seed: int = 0) -> list[dict[str, int]]:
    """Every way of giving the treatment dates ``starts`` to distinct eligible regions.

    Ordered assignments of the multiset of dates to regions (duplicates from
    equal dates removed); a random sample of ``n_max`` when there are more.
    """
    k, G = len(starts), len(eligible)
    if k > G:
        raise ValueError(f"{k} treatment dates for {G} eligible regions")
    seen: dict[tuple, dict[str, int]] = {}
    total = math.perm(G, k)
    if total <= 20 * n_max:
        for regs in itertools.permutations(eligible, k):
            key = tuple(sorted(zip(regs, starts, strict=True)))
            seen.setdefault(key, dict(key))
        out = list(seen.values())
        if len(out) <= n_max:
            return out
        rng = np.random.default_rng(seed)
        return [out[i] for i in sorted(rng.choice(len(out), n_max, replace=False))]
    rng = np.random.default_rng(seed)
    while len(seen) < n_max:
        regs = rng.choice(len(eligible), k, replace=False)
        key = tuple(sorted(zip([eligible[i] for i in regs], starts, strict=True)))
        seen.setdefault(key, dict(key))
    return list(seen.values())


def region_did(panel: pd.DataFrame, assignment: pd.DataFrame, *,
               outcome: str = "log_employment", detrend: bool = False,
               level: float = 0.95, n_max: int = 5000, seed: int = 0) -> EstimateResult:
    r"""Zone-level TWFE difference-in-differences with treatment assigned by region.

    .. math:: y_{zt} = \alpha_z + \lambda_t + \tau D_{zt} + \varepsilon_{zt},
       \qquad D_{zt} = \mathbf 1\{r(z) \text{ signed},\ t \ge g_{r(z)}\},

    each zone weighted equally (the estimand is the average zone's change).
    With ``detrend=True``, each zone's linear trend fitted on the quarters
    before the first accord is removed first (:math:`y_{zt} - a_z - b_z t`):
    the counterfactual becomes "each zone continues its own pre-accord trend".

    Inference (headline: randomisation over regions).

    * **Randomisation over regions.** For every assignment :math:`d` of the
      actual treatment dates to distinct eligible regions,
      :math:`\hat\tau_d(Y)`; the test of :math:`\tau = \tau_0` compares
      :math:`|\hat\tau_d(Y - \tau_0 D) |` with the actual
      :math:`|\hat\tau - \tau_0|`, and :math:`\hat\tau_d` is linear in
      :math:`Y`, so :math:`\hat\tau_d(Y - \tau_0 D) = \hat\tau_d(Y) - \tau_0
      \hat\tau_d(D)`. The interval is the set of :math:`\tau_0` not rejected.
      Exact under the sharp null and exchangeable regions; the smallest
      attainable *p* is 1/(number of assignments).
    * **CR1 clustered by region**, :math:`t_{G-1}`. Unreliable with two treated
      clusters (the treated regions' own noise is not estimated); reported in
      the diagnostics because it is standard.

    Parameters
    ----------
    panel
        :func:`zone_panel`.
    assignment
        :func:`zone_assignment` (only treated and control zones are used).

    Returns
    -------
    EstimateResult
        ``estimate`` in log points; ``diagnostics``: ``cluster`` (se, p, ci,
        G), ``randomisation`` (p, n_assignments, placebo estimates),
        ``n_zones`` by role, ``n_regions``.
    """
    require_columns(assignment, ["zone_code", "region_code", "role", "start"], "assignment")
    a = assignment[assignment["role"].isin(["treated", "control"])]
    p = panel[panel["zone_code"].isin(a["zone_code"])]
    Y, zones, quarters = _wide(p, outcome)
    a = a.set_index("zone_code").loc[zones]
    zone_region = a["region_code"].to_numpy(str)
    treated_regions = a.loc[a["role"] == "treated"].groupby("region_code")["start"].first()
    if treated_regions.empty:
        raise ValueError("no treated zone in the assignment")
    qpos = {q: i for i, q in enumerate(quarters)}
    starts = {r: qpos[s] for r, s in treated_regions.items() if s in qpos}
    if len(starts) < len(treated_regions):
        raise ValueError("a treatment quarter lies outside the panel window")
    t0 = min(starts.values())
    if t0 < 3:
        raise ValueError("fewer than three quarters before the first accord")
    if detrend:
        Y = _detrend(Y, t0)
    D = _treatment(zone_region, starts, len(quarters))
    tau, se, G = _cluster_se(Y, D, zone_region)
    crit = stats.t.ppf(0.5 + level / 2, G - 1)
    eligible = sorted(set(zone_region))
    draws = region_assignments(eligible, list(starts.values()), n_max=n_max, seed=seed)
    est_y = np.empty(len(draws))
    est_d = np.empty(len(draws))
    for j, d in enumerate(draws):
        Dd = two_way_demean(_treatment(zone_region, d, len(quarters)))
        S = float((Dd * Dd).sum())
        est_y[j] = float((Dd * Y).sum()) / S
        est_d[j] = float((Dd * D).sum()) / S
    is_actual = np.array([d == starts for d in draws])
    others_y, others_d = est_y[~is_actual], est_d[~is_actual]

    def pfun(tau0: float) -> float:
        obs = abs(tau - tau0)
        ref = np.abs(others_y - tau0 * others_d)
        return float((1 + (ref >= obs - 1e-12 * max(1.0, obs)).sum()) / (others_y.size + 1))

    alpha = 1.0 - level
    scale = float(np.std(others_y)) or abs(tau) or 1e-3
    lo, hi = invert_test(pfun, tau, scale, alpha)
    pvals = {"randomisation": pfun(0.0), "cluster": float(2 * stats.t.sf(abs(tau / se), G - 1))}
    roles = a["role"].value_counts().to_dict()
    first, last = quarters[0], quarters[-1]
    return EstimateResult(
        estimate=tau, ci=(lo, hi), p_value=pvals["randomisation"],
        method="zone_twfe_did" + ("_detrended" if detrend else ""),
        inference="randomisation_over_regions",
        treated=sorted(starts), controls=sorted(set(eligible) - set(starts)),
        periods={"pre": (str(first), str(quarters[t0 - 1])), "post": (str(quarters[t0]), str(last))},
        n_obs=int(Y.size), level=level,
        diagnostics={
            "cluster": {"se": se, "p_value": pvals["cluster"], "G": G,
                        "ci": (tau - crit * se, tau + crit * se)},
            "randomisation": {"p_value": pvals["randomisation"], "n_assignments": len(draws),
                              "min_p": 1.0 / len(draws),
                              "placebo_estimates": others_y.tolist()},
            "n_zones": {k: int(v) for k, v in roles.items()},
            "n_regions": len(eligible), "detrended": detrend,
            "starts": {r: str(quarters[s]) for r, s in starts.items()},
        })


def zone_event_study(panel: pd.DataFrame, assignment: pd.DataFrame, *, treated_region: str,
                     outcome: str = "log_employment", leads: int = 8,
                     detrend: bool = False) -> EstimateResult:
    r"""Event study of one signing region's zones against the control zones.

    With :math:`g` the region's treatment quarter and :math:`e = t - g`,

    .. math:: \hat\beta_e = \big(\bar y_{T,t} - \bar y_{C,t}\big)
       - \big(\bar y_{T,g-1} - \bar y_{C,g-1}\big),

    the gap between the mean log employment of the treated region's zones and
    that of the control zones, relative to the quarter before the accord
    (equal weight per zone). This is the fully saturated TWFE event study of a
    single cohort. Quarters before :math:`g - ` ``leads`` are not shown.

    Inference by **placebo regions**: the same profile for each control region
    as if it had signed at :math:`g` (its zones against the other control
    zones). The pre-trend statistic is the mean squared lead,
    :math:`Q = \frac1{L}\sum_{e=-L}^{-2}\hat\beta_e^2`, and its *p*-value is the
    rank of the treated region's :math:`Q` among all regions' (smallest value
    1/(regions)); the lead slope is the OLS slope of :math:`\hat\beta_e` on
    :math:`e` over the leads. With ``detrend=True`` each zone's pre-accord
    linear trend (all quarters before :math:`g`) is removed first.

    Returns
    -------
    EstimateResult
        ``estimate`` = mean of :math:`\hat\beta_e, e \ge 0`; ``ci`` = range
        of the placebo regions' post means re-centred (Conley–Taber style, at
        the attainable level); ``details``: event_time, quarter, estimate,
        placebo_lo, placebo_hi (min and max of the placebo regions);
        ``diagnostics``: pretrend (Q, p, slope per quarter).
    """
    a = assignment[assignment["role"].isin(["treated", "control"])]
    a = a[(a["role"] == "control") | (a["region_code"] == str(treated_region))]
    if (a["role"] == "treated").sum() == 0:
        raise ValueError(f"region {treated_region} has no treated zone in the assignment")
    p = panel[panel["zone_code"].isin(a["zone_code"])]
    Y, zones, quarters = _wide(p, outcome)
    a = a.set_index("zone_code").loc[zones]
    g = quarters.index(a.loc[a["role"] == "treated", "start"].iloc[0])
    if g - leads < 0:
        raise ValueError(f"only {g} quarters before the accord, {leads} leads asked")
    if detrend:
        Y = _detrend(Y, g)
    region = a["region_code"].to_numpy(str)
    ctrl_regions = sorted(set(region[a["role"].to_numpy() == "control"]))

    def profile(r: str, pool: np.ndarray) -> np.ndarray:
        gap = Y[region == r].mean(axis=0) - Y[pool].mean(axis=0)
        return gap - gap[g - 1]

    is_ctrl = a["role"].to_numpy() == "control"
    beta = profile(str(treated_region), is_ctrl)
    plac = np.array([profile(r, is_ctrl & (region != r)) for r in ctrl_regions])
    e = np.arange(len(quarters)) - g
    keep = e >= -leads
    lead_idx = np.where((e >= -leads) & (e <= -2))[0]
    post_idx = np.where(e >= 0)[0]
    Q = float(np.mean(beta[lead_idx] ** 2))
    Qp = np.mean(plac[:, lead_idx] ** 2, axis=1)
    p_pre = float((1 + (Qp >= Q).sum()) / (Qp.size + 1))
    slope = float(np.polyfit(e[lead_idx], beta[lead_idx], 1)[0])
    est = float(beta[post_idx].mean())
    plac_post = plac[:, post_idx].mean(axis=1)
    p_post = float((1 + (np.abs(plac_post) >= abs(est)).sum()) / (plac_post.size + 1))
    details = pd.DataFrame({"event_time": e[keep], "quarter": [str(q) for q, k in
                                                               zip(quarters, keep, strict=True) if k],
                            "estimate": beta[keep], "placebo_lo": plac[:, keep].min(axis=0),
                            "placebo_hi": plac[:, keep].max(axis=0)})
    n = plac_post.size
    return EstimateResult(
        estimate=est, ci=(est - plac_post.max(), est - plac_post.min()), p_value=p_post,
        method="zone_event_study" + ("_detrended" if detrend else ""),
        inference="placebo_regions", treated=[str(treated_region)], controls=ctrl_regions,
        periods={"pre": (str(quarters[0]), str(quarters[g - 1])),
                 "post": (str(quarters[g]), str(quarters[-1]))},
        n_obs=int(Y.size), level=1.0 - 2.0 / (n + 1), details=details,
        diagnostics={"pretrend": {"stat": Q, "p_value": p_pre, "n_regions": n + 1,
                                  "lead_slope": slope, "placebo_stats": Qp.tolist()},
                     "n_treated_zones": int((~is_ctrl).sum()),
                     "n_control_zones": int(is_ctrl.sum())})


# ---------------------------------------------------------------- gigafactory zones


def host_zones(events: pd.DataFrame, overlaps: pd.DataFrame, zone_sectors: pd.DataFrame, *,
               event_ids: Sequence[str] = GIGAFACTORIES, sector: str = BATTERY_SECTOR_NA38,
               years: tuple[int, int] = (2019, 2024)) -> pd.DataFrame:
    r"""Zone d'emploi hosting each gigafactory.

    The registry gives the commune and its EPCI, and the project has no
    commune-to-zone table; EPCI and zones do not nest (the EPCI of
    Béthune-Bruay, host of ACC at Billy-Berclau/Douvrin, lies in five zones).
    Rule: among the zones overlapping the host EPCI (``overlaps``,
    :func:`reindus.geo.epci.epci_zones`), the zone whose employment in the
    battery sector (NA38 ``CJ``) grew most between ``years``; a plant of
    hundreds of jobs in that sector marks its zone. Ties or a single zone:
    the largest area share. The growth is returned so that the choice can be
    checked.

    Returns
    -------
    pandas.DataFrame
        event_id, company, epci_code, zone_code, area_share, sector_growth
        (jobs in ``sector``, ``years[1]`` minus ``years[0]``), n_candidates.
    """
    require_columns(events, ["event_id", "company", "epci_code"], "events")
    require_columns(overlaps, ["epci_code", "zone_code", "area_share"], "overlaps")
    require_columns(zone_sectors, ["zone_code", "sector_code", "year", "employment"], "zone_sectors")
    ev = events[events["event_id"].isin(event_ids)]
    if missing := sorted(set(event_ids) - set(ev["event_id"])):
        raise ValueError(f"events not in the registry: {missing}")
    s = zone_sectors[zone_sectors["sector_code"] == sector]
    w = s.pivot_table(index="zone_code", columns="year", values="employment", aggfunc="sum")
    growth = (w.get(years[1]) - w.get(years[0])).fillna(0.0)
    rows = []
    for e in ev.itertuples():
        cand = overlaps[overlaps["epci_code"] == e.epci_code].copy()
        if cand.empty:
            raise ValueError(f"EPCI {e.epci_code} of {e.event_id} overlaps no zone")
        cand["growth"] = cand["zone_code"].map(growth).fillna(0.0)
        best = cand.sort_values(["growth", "area_share"], ascending=False).iloc[0]
        rows.append({"event_id": e.event_id, "company": e.company, "epci_code": e.epci_code,
                     "zone_code": best["zone_code"], "area_share": float(best["area_share"]),
                     "sector_growth": float(best["growth"]), "n_candidates": len(cand)})
    return pd.DataFrame(rows)


def event_quarter(date: str) -> pd.Period:
    """Quarter of a registry date given as 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'.

    A bare year is dated to its first quarter (the earliest it can mean).
    """
    s = str(date).strip()
    if len(s) == 4 and s.isdigit():
        return pd.Period(f"{s}Q1", freq="Q-DEC")
    try:
        return pd.Period(pd.Timestamp(s if len(s) > 7 else f"{s}-01"), freq="Q-DEC")
    except ValueError as err:
        raise ValueError(f"cannot read the date {date!r}") from err


def gigafactory_design(events: pd.DataFrame, hosts: pd.DataFrame, *, data_end: Any
                       ) -> pd.DataFrame:
    """One row per host zone: the plants, and the quarters of announcement and opening.

    Several plants in one zone (Verkor and ProLogium near Dunkerque) make one
    design dated by the first opening. ``start`` is the quarter of the
    registry's ``effective_on`` (opening or inauguration); ``n_post`` counts
    the quarters of data from ``start`` on (0 when the opening is after the
    data).

    Returns
    -------
    pandas.DataFrame
        zone_code, events, announced (Period), start (Period), n_post, jobs.
    """
    ev = events.merge(hosts[["event_id", "zone_code"]], on="event_id", how="inner")
    ev = ev.assign(announced_q=ev["announced_on"].map(event_quarter),
                   effective_q=ev["effective_on"].map(event_quarter))
    end = _q(data_end)
    rows = []
    for zone, grp in ev.groupby("zone_code", sort=True):
        start = grp["effective_q"].min()
        rows.append({"zone_code": zone, "events": ", ".join(grp["event_id"]),
                     "announced": grp["announced_q"].min(), "start": start,
                     "n_post": max(0, (end - start).n + 1),
                     "jobs": int(grp["jobs"].fillna(0).sum())})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------- sector outcomes


def sector_outcomes(sectors: pd.DataFrame, *, exclude: str = BATTERY_SECTOR_NA28
                    ) -> dict[str, list[str]]:
    """NA28i codes of each industrial outcome: every sector, industry, industry without one.

    Returns
    -------
    dict
        ``{"industry": [...], f"industry excl. {exclude}": [...], code: [code], ...}``.
    """
    require_columns(sectors, ["sector_code", "group"], "sectors")
    ind = sectors.loc[sectors["group"] == "industry", "sector_code"].tolist()
    if exclude not in ind:
        raise ValueError(f"{exclude!r} is not an industrial sector code")
    out = {"industry": ind, f"industry excl. {exclude}": [c for c in ind if c != exclude]}
    out.update({c: [c] for c in ind})
    return out


def zone_profile(zone_employment: pd.DataFrame, *, year: int = 2019) -> pd.DataFrame:
    r"""Size and industrial share of each zone d'emploi in ``year``.

    :math:`\text{industry\_share}_z = E^{\text{BE}}_z / E_z` with BE the A5
    industry group (NA38 BZ..EZ), from :func:`reindus.data.zone_employment`
    (missing cells, mostly secrecy, count as zero).

    Returns
    -------
    pandas.DataFrame
        zone_code, employment, industry, industry_share.
    """
    require_columns(zone_employment, ["zone_code", "a5", "year", "employment"], "zone_employment")
    z = zone_employment[zone_employment["year"] == year]
    if z.empty:
        raise ValueError(f"no zone employment for {year}")
    tot = z.groupby("zone_code")["employment"].sum()
    ind = z[z["a5"] == "BE"].groupby("zone_code")["employment"].sum().reindex(tot.index,
                                                                              fill_value=0.0)
    return pd.DataFrame({"zone_code": tot.index, "employment": tot.to_numpy(),
                         "industry": ind.to_numpy(),
                         "industry_share": (ind / tot).to_numpy()}).reset_index(drop=True)


def gigafactory_donors(regions_of_zones: pd.DataFrame, profile: pd.DataFrame, *,
                       exclude_regions: Iterable[str], regions: Iterable[str],
                       min_jobs: float = 25_000, min_industry_share: float = 0.15) -> list[str]:
    """Donor zones for a gigafactory zone: industrial zones outside the accord regions.

    Zones of ``regions`` (metropolitan) not in ``exclude_regions`` (every
    region with an accord, signed or announced: their zones may carry an
    accord effect), not spanning several regions, with at least ``min_jobs``
    private jobs and an industrial share of at least ``min_industry_share``
    in the profile year. Restricting the pool to comparable zones limits
    interpolation bias (Abadie 2021) and the noise of small zones.
    """
    excl = {str(r) for r in exclude_regions}
    z = regions_of_zones.merge(profile, on="zone_code", how="inner")
    keep = (z["region_code"].isin([str(r) for r in regions]) & ~z["region_code"].isin(excl)
            & ~z["cross_region"] & (z["employment"] >= min_jobs)
            & (z["industry_share"] >= min_industry_share))
    out = sorted(z.loc[keep, "zone_code"])
    if len(out) < 2:
        raise ValueError("fewer than two donor zones: relax min_jobs or min_industry_share")
    return out


def sector_effects(employment: pd.DataFrame, sectors: pd.DataFrame, *, treated: str, start: Any,
                   donors: Sequence[str], window: tuple[Any, Any],
                   outcomes: Mapping[str, Sequence[str]] | None = None, leads: int = 8,
                   seed: int = 0) -> pd.DataFrame:
    r"""Recommended estimate and pre-trend test for each sector outcome of one region.

    For each outcome (a set of NA28i codes summed; default
    :func:`sector_outcomes`), the region x quarter panel of log employment
    (:func:`reindus.evaluation.panel.outcome_panel`, metropolitan regions)
    gives

    * the effect by :func:`reindus.evaluation.recommended` (synthetic DiD,
      placebo interval) of ``treated`` against ``donors`` from ``start``;
    * the randomisation *p*-value of the event study's joint pre-trend test
      (:func:`reindus.evaluation.event_study.event_study`, ``leads`` leads);
    * the raw growth :math:`E_{T}/E_{g-1} - 1` of the treated region and of
      the rest of metropolitan France (every other metropolitan region) from
      the quarter before ``start`` to the last quarter.

    Returns
    -------
    pandas.DataFrame
        outcome, estimate, ci_lo, ci_hi (log points), p_value, pretrend_p,
        jobs_before, jobs_last, growth, growth_rest (ratios), n_obs.
    """
    from reindus.evaluation import recommended
    from reindus.evaluation.event_study import event_study
    from reindus.evaluation.panel import outcome_panel

    outcomes = sector_outcomes(sectors) if outcomes is None else outcomes
    g = _q(start)
    cols = {"outcome": "log_employment", "unit": "unit", "period": "quarter"}
    rows = []
    for name, codes in outcomes.items():
        sp = outcome_panel(employment, sectors, sector_codes=codes, window=window)
        r = recommended(sp, treated=treated, start=g, controls=donors, seed=seed, **cols)
        e = event_study(sp, treated=treated, start=g, controls=donors, leads=leads, seed=seed,
                        **cols)
        w = sp.pivot(index="quarter", columns="unit", values="employment")
        ends = w.loc[[g - 1, w.index.max()]]
        own = ends[str(treated)]
        rest = ends.drop(columns=str(treated)).sum(axis=1)
        rows.append({"outcome": name, "estimate": r.estimate, "ci_lo": r.ci[0], "ci_hi": r.ci[1],
                     "p_value": r.p_value,
                     "pretrend_p": e.diagnostics["pretrend"]["randomisation"]["p_value"],
                     "jobs_before": int(own.iloc[0]), "jobs_last": int(own.iloc[1]),
                     "growth": float(own.iloc[1] / own.iloc[0] - 1),
                     "growth_rest": float(rest.iloc[1] / rest.iloc[0] - 1), "n_obs": r.n_obs})
    return pd.DataFrame(rows)


# ------------------------------------------------- covariance for sensitivity analysis


def ar1_event_covariance(event_times: Sequence[int], sigma2: float, rho: float) -> np.ndarray:
    r"""Covariance of event-study coefficients when the gap noise is a stationary AR(1).

    With a single treated unit and one dummy per event time, the coefficient
    at event time :math:`a` is :math:`\hat\beta_a = \beta_a + u_{g+a} - u_{g-1}`
    where :math:`u_t` is the noise of the treated-minus-controls gap. With
    :math:`\gamma(h) = \sigma^2 \rho^{|h|}`,

    .. math:: \operatorname{Cov}(\hat\beta_a, \hat\beta_b) = \gamma(a-b) - \gamma(a+1)
       - \gamma(b+1) + \gamma(0).
    """
    if not (-1.0 < rho < 1.0) or sigma2 < 0:
        raise ValueError(f"need -1 < rho < 1 and sigma2 >= 0, got rho={rho}, sigma2={sigma2}")
    e = np.asarray(event_times, dtype=float)
    if (e == -1).any():
        raise ValueError("event time -1 is the reference and has no coefficient")

    def gamma(h: np.ndarray) -> np.ndarray:
        return sigma2 * rho ** np.abs(h)

    return (gamma(e[:, None] - e[None, :]) - gamma(e[:, None] + 1) - gamma(e[None, :] + 1)
            + gamma(np.zeros(1)))


def placebo_gap_ar1(panel: pd.DataFrame, *, controls: Sequence[str], outcome: str = "y",
                    unit: str = "unit", period: str = "period", end: Any | None = None
                    ) -> dict[str, float]:
    r"""AR(1) model of the gap noise, fitted on the controls' placebo gaps.

    Each control :math:`j` in turn plays the treated unit: its gap
    :math:`y_{jt} - \frac{1}{N_0 - 1}\sum_{k \ne j} y_{kt}` over the periods up
    to ``end`` (default: all), net of its own linear trend (the trend is what
    the sensitivity restrictions are about; the covariance is for the noise).
    Pooled over controls, :math:`\hat\rho = \sum u_t u_{t-1} / \sum u_{t-1}^2`
    and :math:`\hat\sigma^2 = \overline{u^2}`. This is the Conley–Taber idea
    (learn the error distribution from the controls) with a parametric time
    structure, so that the covariance of many event-time coefficients is of
    full rank although there are only :math:`N_0` controls.

    Returns
    -------
    dict
        ``sigma2``, ``rho``, ``n_controls``, ``n_periods``.
    """
    c = [str(x) for x in controls]
    if len(c) < 3:
        raise ValueError("need at least three controls for placebo gaps")
    d = panel[panel[unit].astype(str).isin(c)]
    if end is not None:
        d = d[d[period] <= (_q(end) if isinstance(d[period].dtype, pd.PeriodDtype) else end)]
    w = d.pivot(index=unit, columns=period, values=outcome)
    if w.isna().any().any():
        raise ValueError("unbalanced panel")
    Y = w.to_numpy(float)
    N, T = Y.shape
    if T < 6:
        raise ValueError("need at least six periods")
    gaps = Y - (Y.sum(axis=0, keepdims=True) - Y) / (N - 1)
    U = _detrend(gaps, T)
    num = float((U[:, 1:] * U[:, :-1]).sum())
    den = float((U[:, :-1] ** 2).sum())
    rho = float(np.clip(num / den, -0.99, 0.99))
    return {"sigma2": float((U**2).mean()), "rho": rho, "n_controls": N, "n_periods": T}

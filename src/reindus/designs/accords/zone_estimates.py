r"""Estimates on the zone design: TWFE DiD with region-level assignment, zone event studies.

With two treated regions out of eleven, zone-level standard errors would treat
thirty-odd zones as independent draws when they share one decision. Two
inferences are given: CR1 errors clustered by region (Student *t* with
:math:`G-1` degrees of freedom; unreliable with two treated clusters, shown
because it is standard) and **randomisation over regions** (the treatment dates
are re-assigned to every ordered set of eligible regions; exact under the sharp
null and exchangeable regions), whose test is inverted into an interval. The
zone event study is inferred from **placebo regions**.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from reindus.designs.accords._trend import detrend as _detrend
from reindus.errors import require_columns
from reindus.evaluation.event_study import lead_summary
from reindus.evaluation.fixed_effects import two_way_demean
from reindus.evaluation.inference import invert_test
from reindus.evaluation.results import EstimateResult


def _wide(panel: pd.DataFrame, outcome: str) -> tuple[np.ndarray, list[str], list[pd.Period]]:
    w = panel.pivot(index="zone_code", columns="quarter", values=outcome).sort_index()
    if w.isna().any().any():
        raise ValueError("zone panel is unbalanced")
    return w.to_numpy(float), list(w.index), list(w.columns)


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
    est = float(beta[post_idx].mean())
    plac_post = plac[:, post_idx].mean(axis=1)
    p_post = float((1 + (np.abs(plac_post) >= abs(est)).sum()) / (plac_post.size + 1))
    details = pd.DataFrame({"event_time": e[keep], "quarter": [str(q) for q, k in
                                                               zip(quarters, keep, strict=True) if k],
                            "estimate": beta[keep], "placebo_lo": plac[:, keep].min(axis=0),
                            "placebo_hi": plac[:, keep].max(axis=0)})
    slope = lead_summary(details, coef="estimate")["lead_slope"]  # over e = -leads .. -2
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

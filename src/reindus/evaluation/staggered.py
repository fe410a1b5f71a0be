r"""Staggered adoption: Callaway and Sant'Anna (2021) group-time effects.

With units first treated at different dates (cohort :math:`g`), two-way
fixed effects compare late adopters with early adopters already treated and
can be biased (Goodman-Bacon 2021; Sun and Abraham 2021). Callaway and
Sant'Anna estimate one 2x2 comparison per cohort :math:`g` and period
:math:`t` (unconditional version, no covariates):

.. math::

    ATT(g, t) = \frac{1}{|G_g|}\sum_{i \in G_g} (y_{it} - y_{ib})
              - \frac{1}{|C_{g,t}|}\sum_{j \in C_{g,t}} (y_{jt} - y_{jb}),

with base period :math:`b = g - 1` for :math:`t \ge g` (and for
:math:`t < g`, :math:`b = t - 1` with a *varying* base, or :math:`g - 1` with
a *universal* one), and controls :math:`C_{g,t}` the units *not yet
treated* at :math:`\max(t, b)` (including never-treated units) other than
cohort :math:`g`, or the never-treated only.

Aggregations (weights :math:`\propto |G_g|`): ``simple`` averages the
post-treatment :math:`ATT(g,t)`; ``event`` averages by event time
:math:`e = t - g` and ``event_avg`` is the mean of :math:`\theta(e)` over
:math:`e \ge 0`; ``group`` averages by cohort then across cohorts.

Inference: with one region per cohort, analytical (influence-function) or
multiplier-bootstrap standard errors rest on a within-cohort variance that
does not exist; the module uses randomisation inference instead: cohort
dates are re-assigned at random to units, the *p*-value is the rank of the
observed :math:`|\widehat{ATT}|`, and the interval inverts sharp nulls of a
constant effect :math:`\tau_0`.

Point estimates are cross-checked against the ``differences`` package in
the tests.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from reindus.evaluation._core import to_wide
from reindus.evaluation.fixed_effects import resolve_unit_weights, unit_values
from reindus.evaluation.group_time import (
    agg_influence,
    aggregate,
    event_aggregation,
    group_time_att,
    gt_array,
    gt_influence,
)
from reindus.evaluation.inference import (
    assignments,
    count_clusters,
    inference_regime,
    invert_test,
    rank_p_value,
)
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet
from reindus.evaluation.vocabulary import (
    Aggregation,
    BasePeriod,
    ControlGroup,
    StaggeredInference,
    check,
)

# the group-time algebra lives in group_time; its public names stay importable from here
__all__ = ["aggregate", "callaway_santanna", "event_aggregation", "group_time_att",
           "gt_influence"]


def _cohort_positions(panel: pd.DataFrame, unit: str, period: str, first_treated: str,
                      units: list[str], periods: pd.Index) -> np.ndarray:
    """Position of each unit's first treated period; +inf for never/after the data.

    Never-treated units are coded as missing, or as ``0`` (the convention of
    R's ``did`` and Stata's ``csdid``), which is accepted when 0 cannot be a
    period of the panel (all periods after 0, or periods that are not numbers).
    """
    ft = panel.assign(_u=panel[unit].astype(str)).groupby("_u")[first_treated].first()
    if panel.groupby(panel[unit].astype(str))[first_treated].nunique(dropna=False).max() > 1:
        raise ValueError(f"{first_treated!r} must be constant within each unit")
    numeric = pd.api.types.is_numeric_dtype(periods.dtype)
    zero_is_never = not numeric or bool(periods.min() > 0)
    out = np.full(len(units), np.inf)
    for i, u in enumerate(units):
        g = ft.get(u)
        if g is None or pd.isna(g):
            continue
        if isinstance(g, (int, float, np.integer, np.floating)) and g == 0:
            if zero_is_never:
                continue  # R did / csdid: first_treat = 0 means never treated
            raise ValueError(
                f"unit {u}: {first_treated} = 0 is ambiguous here: R did / csdid code "
                "never-treated units as 0, but 0 is also a period of this panel "
                f"(periods {periods.min()}..{periods.max()}); code never-treated units "
                "as missing (NaN) instead")
        pos = int(periods.searchsorted(g))
        if pos < len(periods):
            out[i] = pos
    return out


def callaway_santanna(
    panel: pd.DataFrame,
    *,
    outcome: str = "y",
    unit: str = "unit",
    period: str = "period",
    first_treated: str = "first_treated",
    units: Iterable[str] | None = None,
    control_group: ControlGroup = "not_yet_treated",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    aggregation: Aggregation = "simple",
    level: float = 0.95,
    n_perm: int = 999,
    seed: int = 0,
    inference: StaggeredInference = "auto",
    cluster: str | None = None,
    weights: str | pd.Series | dict | None = None,
    n_boot: int = 0,
) -> EstimateResult:
    r"""Callaway–Sant'Anna ATT, with inference suited to few or many treated units.

    Parameters
    ----------
    first_treated
        Column with each unit's first treated period (missing = never
        treated); cohorts treated after the last period count as not yet
        treated throughout.
    units
        Restrict to these units (default: all in ``panel``).
    aggregation
        Headline aggregation (see module docstring); all are stored.
    n_perm, seed
        Random re-assignments of the cohort dates (all of them when fewer).
    inference
        ``'permutation'``: randomisation inference (few treated units);
        ``'cluster'``: the influence-function variance summed within
        clusters, :math:`\hat V = \frac{G}{G-1}\sum_c (\sum_{i\in c} a_i)(\cdot)'`,
        with :math:`t_{G-1}` intervals and a joint :math:`F(q, G-1)` test of
        the pre-treatment cells (many treated units; the aggregations'
        variance includes the estimation error of the cohort shares, see
        :func:`reindus.evaluation.group_time.agg_influence`); ``'auto'`` (default) picks by
        :func:`reindus.evaluation.inference.inference_regime`.
    cluster
        Column (constant within unit) holding each unit's cluster (default:
        the unit).
    weights
        Unit weights (column or mapping unit -> weight), applied to both the
        cohort and the control means and to the cohort sizes of the
        aggregations; only with cluster inference.
    n_boot
        With cluster inference, draws of the multiplier (wild cluster)
        bootstrap of Callaway and Sant'Anna (2021): Rademacher weights per
        cluster on the summed influence functions give a *uniform* band for
        the event-time profile, ``band_lo``/``band_hi`` in
        ``diagnostics['event']`` (covering every :math:`\theta(e)` jointly),
        and a bootstrap standard error of the headline. 0 (default): none.

    Returns
    -------
    EstimateResult
        ``details`` = the group-time table with period labels;
        ``diagnostics`` = every aggregation, the event-time profile, the
        permutation distribution size.
    """
    if first_treated not in panel.columns:
        raise ValueError(f"panel lacks the {first_treated!r} column")
    check("control_group", control_group, ControlGroup)
    check("base_period", base_period, BasePeriod)
    check("aggregation", aggregation, Aggregation)
    df = panel if units is None else panel[panel[unit].astype(str).isin([str(u) for u in units])]
    wp = to_wide(df, unit=unit, period=period, outcome=outcome)
    G = _cohort_positions(df, unit, period, first_treated, wp.units, wp.periods)
    if not np.isfinite(G).any():
        raise ValueError("no unit is treated within the panel's periods")
    if (G[np.isfinite(G)] < 1).any():
        first = [wp.units[i] for i in np.flatnonzero(G < 1)][:3]
        raise ValueError(
            f"unit(s) {first} are treated from the first period ({wp.label(0)}) or before: "
            "no pre-period. If they are never treated, code them as missing (NaN) or 0 "
            "(the R did / csdid convention for never-treated units)")
    Y = wp.Y
    kw = {"control_group": control_group, "base_period": base_period,
          "anticipation": anticipation}
    check("inference", inference, StaggeredInference)
    cl = None if cluster is None else unit_values(df, unit, cluster, wp.units)
    if inference == "auto":
        regime = inference_regime(*count_clusters(np.isfinite(G), cl))
        inference = "cluster" if regime == "many" else "permutation"
    w = resolve_unit_weights(df, unit, wp.units, weights)
    if inference == "cluster":
        return _cs_cluster(wp, G, w, cl, cluster, kw, aggregation, level, n_boot, seed)
    if w is not None:
        raise ValueError("weights are implemented with inference='cluster' only")
    gt = group_time_att(Y, G, **kw)
    aggs = {h: aggregate(gt, G, h) for h in ("simple", "event_avg", "group")}
    est = aggs[aggregation]

    # randomisation inference: permute cohort dates across units
    rng = np.random.default_rng(seed)
    tr_rows = [int(i) for i in np.flatnonzero(np.isfinite(G))]
    starts = [G[i] for i in tr_rows]
    assigns = assignments(list(range(len(G))), starts, n_perm, rng, tuple(tr_rows))
    Dreal = np.zeros_like(Y)
    for i in tr_rows:
        Dreal[i, int(G[i]):] = 1.0
    a, b = [], []
    for asg in assigns:
        Ga = np.full(len(G), np.inf)
        Ga[list(asg)] = starts
        a.append(aggregate(gt_array(Y, Ga, **kw), Ga, aggregation))
        b.append(aggregate(gt_array(Dreal, Ga, **kw), Ga, aggregation))
    a, b = np.array(a), np.array(b)

    def pfun(tau0: float) -> float:
        stat = np.abs(a - tau0 * b)
        return rank_p_value(stat[0], stat[1:])

    spread = float(np.std(a[1:])) or 1.0
    lo, hi = invert_test(pfun, est, spread, 1 - level, max_width=200)

    lab = wp.label
    details = gt.assign(cohort=gt["g"].map(lab), period=gt["t"].map(lab),
                        base=gt["base"].map(lab))[
        ["cohort", "period", "base", "e", "att", "n_treated", "n_controls"]]
    ev = event_aggregation(gt, G)
    treated = [wp.units[i] for i in tr_rows]
    head = Inference("permutation", (lo, hi), pfun(0.0), level,
                     extras={"n_assignments": len(assigns), "min_p_value": 1 / len(assigns)})
    return EstimateResult(
        estimate=est, ci=head.ci, p_value=head.p_value, method=f"callaway_santanna_{aggregation}",
        inference=InferenceSet([head], headline="permutation"), treated=treated,
        controls=[u for u in wp.units if u not in treated],
        periods={"first": lab(0), "last": lab(Y.shape[1] - 1),
                 "cohorts": {u: lab(int(G[wp.units.index(u)])) for u in treated}},
        n_obs=int(Y.size), level=level,
        diagnostics={"aggregations": aggs, "event": ev, "n_assignments": len(assigns),
                     "min_p_value": 1 / len(assigns), "control_group": control_group,
                     "base_period": base_period},
        details=details.reset_index(drop=True),
    )


def _cs_cluster(wp, G: np.ndarray, w: np.ndarray | None, cl: np.ndarray | None,
                cluster: str | None, kw: dict, aggregation: str, level: float,
                n_boot: int = 0, seed: int = 0) -> EstimateResult:
    """Callaway–Sant'Anna with influence-function cluster-robust inference."""
    arr, A = gt_influence(wp.Y, G, weights=w, **kw)
    if not len(arr):
        raise ValueError("no identified ATT(g, t): every cohort lacks controls or a base period")
    ids = np.arange(len(G)) if cl is None else pd.factorize(cl)[0]
    n_cl = int(ids.max()) + 1
    if n_cl < 2:
        raise ValueError("need at least two clusters")
    S = np.zeros((len(arr), n_cl))
    np.add.at(S.T, ids, A.T)
    V = n_cl / (n_cl - 1) * S @ S.T
    q = stats.t.ppf(0.5 + level / 2, n_cl - 1)
    att = arr[:, 4]
    se = np.sqrt(np.clip(np.diag(V), 0.0, None))
    # cohort shares pi_g (weighted) and their influence functions
    wu = np.ones(len(G)) if w is None else w
    pi, psi_pi = {}, {}
    for x in np.unique(arr[:, 0]).astype(int):
        d = (G == x).astype(float)
        pi[x] = float(wu @ d / wu.sum())
        psi_pi[x] = wu * (d - pi[x]) / wu.sum()

    def var(infl: np.ndarray) -> float:
        sc = np.zeros(n_cl)
        np.add.at(sc, ids, infl)
        return float(n_cl / (n_cl - 1) * sc @ sc)

    post = np.flatnonzero(arr[:, 1] >= arr[:, 0])
    if not post.size:
        raise ValueError("no post-treatment ATT(g, t) to aggregate")
    g_post = arr[post, 0].astype(int)
    n_post = {x: int((g_post == x).sum()) for x in np.unique(g_post)}
    theta_e, infl_e = {}, {}
    for e in np.unique(arr[:, 3]).astype(int):
        cells = np.flatnonzero(arr[:, 3] == e)
        theta_e[e], infl_e[e] = agg_influence(arr, A, psi_pi, pi, cells, np.ones(cells.size))
    e_post = [e for e in theta_e if e >= 0]
    parts = {
        "simple": agg_influence(arr, A, psi_pi, pi, post, np.ones(post.size)),
        "group": agg_influence(arr, A, psi_pi, pi, post,
                                np.array([1.0 / n_post[x] for x in g_post])),
        "event_avg": (float(np.mean([theta_e[e] for e in e_post])),
                      np.mean([infl_e[e] for e in e_post], axis=0)),
    }
    aggs = {h: v[0] for h, v in parts.items()}
    ses = {h: float(np.sqrt(var(v[1]))) for h, v in parts.items()}
    est, se_est = aggs[aggregation], ses[aggregation]
    ev = []
    for e in sorted(theta_e):
        m = arr[:, 3] == e
        th, s_ = theta_e[e], float(np.sqrt(var(infl_e[e])))
        ev.append({"e": int(e), "att": th, "n_cohorts": int(np.unique(arr[m, 0]).size),
                   "se": s_, "ci_lo": th - q * s_, "ci_hi": th + q * s_,
                   "cohorts": ",".join(wp.label(int(x)) for x in arr[m, 0])})
    boot: dict = {}
    if n_boot > 0:
        # multiplier bootstrap: theta* - theta = sum_c v_c (sum_{i in c} a_i), v_c = +-1
        es_ = sorted(theta_e)
        Se = np.zeros((len(es_), n_cl))
        for j, e in enumerate(es_):
            np.add.at(Se[j], ids, infl_e[e])
        Sh = np.zeros(n_cl)
        np.add.at(Sh, ids, parts[aggregation][1])
        v = np.random.default_rng(seed).choice([-1.0, 1.0], size=(n_boot, n_cl))
        scale = np.sqrt(n_cl / (n_cl - 1))
        dev_e = scale * v @ Se.T  # (B, E)
        se_e = np.array([r["se"] for r in ev])
        tmax = np.abs(dev_e / np.where(se_e > 0, se_e, np.inf)).max(axis=1)
        crit = float(np.quantile(tmax, level))
        for r, s_e in zip(ev, se_e, strict=True):
            r["band_lo"], r["band_hi"] = r["att"] - crit * s_e, r["att"] + crit * s_e
        boot = {"n_boot": n_boot, "uniform_critical_value": crit,
                "se_headline": float((scale * v @ Sh).std(ddof=1)), "weights": "rademacher"}
    pre = arr[:, 1] < arr[:, 0] - kw["anticipation"]
    if pre.any():
        bp, Vp = att[pre], V[np.ix_(pre, pre)]
        df1 = int(np.linalg.matrix_rank(Vp))
        F = float(bp @ np.linalg.pinv(Vp) @ bp) / max(df1, 1)
        pretrend = {"F": F, "df1": df1, "df2": n_cl - 1,
                    "p_value": float(stats.f.sf(F, df1, n_cl - 1))}
    else:
        pretrend = {}
    lab = wp.label
    details = pd.DataFrame({
        "cohort": [lab(int(x)) for x in arr[:, 0]], "period": [lab(int(x)) for x in arr[:, 1]],
        "base": [lab(int(x)) for x in arr[:, 2]], "e": arr[:, 3].astype(int), "att": att,
        "n_treated": arr[:, 5] if w is not None else arr[:, 5].astype(int),
        "n_controls": arr[:, 6].astype(int), "se": se, "ci_lo": att - q * se,
        "ci_hi": att + q * se})
    tr_rows = np.flatnonzero(np.isfinite(G))
    treated = [wp.units[i] for i in tr_rows]
    T = wp.Y.shape[1]
    name = "cluster_" + ("unit" if cluster is None else cluster.removesuffix("_code"))
    head = Inference(
        name, (est - q * se_est, est + q * se_est),
        float(2 * stats.t.sf(abs(est) / se_est, n_cl - 1)) if se_est > 0 else np.nan, level,
        se=se_est, df=n_cl - 1, extras={"n_clusters": n_cl})
    return EstimateResult(
        estimate=est, ci=head.ci, p_value=head.p_value,
        method=f"callaway_santanna_{aggregation}", inference=InferenceSet([head], headline=name),
        treated=treated, controls=[u for u in wp.units if u not in set(treated)],
        periods={"first": lab(0), "last": lab(T - 1),
                 "cohorts": {wp.units[i]: lab(int(G[i])) for i in tr_rows}},
        n_obs=int(wp.Y.size), level=level,
        diagnostics={"aggregations": aggs, "aggregation_se": ses, "se": se_est,
                     "event": pd.DataFrame(ev), "pretrend": pretrend, "cov": V,
                     "n_clusters": n_cl, "n_treated": len(treated),
                     "n_controls": int((~np.isfinite(G)).sum()),
                     "control_group": kw["control_group"], "base_period": kw["base_period"],
                     "weighted": w is not None, "multiplier_bootstrap": boot},
        details=details)

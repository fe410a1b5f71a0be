"""Figures and printed reports for the evaluation of the accords (notebook 02).

Plumbing kept out of the notebooks: each ``plot_*`` function draws one figure
from estimator output and returns ``(fig, data)``, where ``data`` is exactly
the frame to pass to :func:`reindus.reporting.save_figure`; each ``*_report``
function returns the text a notebook prints. Nothing here estimates anything:
the numbers come from :mod:`.descriptive`, :mod:`.event_study`, :mod:`.synth`,
:mod:`.staggered` and :mod:`.robustness` unchanged, only scaled to percent
(:math:`100 \\times` log points) for display.

Periods may be quarters (``'2024Q1'``, :class:`pandas.Period`) or integers
(simulated panels); quarters are drawn as dates.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reindus.errors import require_columns
from reindus.evaluation.results import EstimateResult
from reindus.plots import style

__all__ = [
    "before_after_report",
    "event_study_report",
    "event_study_table",
    "plot_event_profile",
    "plot_event_study",
    "plot_index_paths",
    "plot_robustness",
    "plot_synthetic_controls",
    "robustness_report",
    "staggered_table",
    "synth_report",
]

# House palette (reindus.plots.style, Okabe-Ito): vermillion focus, greys for context.
TREATED_COLOR = style.FOCUS
DONOR_COLOR = "#555555"
PLACEBO_COLOR = "#bbbbbb"
BREAK_COLOR = "#0072B2"

_QUARTER = re.compile(r"^\d{4}Q[1-4]$")

#: Event-study columns shown in percent.
_ES_PCT = ["coef", "ci_lo", "ci_hi", "ci_lo_cluster", "ci_hi_cluster"]


def _name(names: Mapping[str, str] | None, unit: Any) -> str:
    return str(unit) if names is None else str(names.get(unit, unit))


def _x(periods: Sequence[Any] | pd.Series) -> Any:
    """Plot positions: timestamps for quarters ('2024Q1' or Period), numbers otherwise."""
    values = [str(v) for v in periods]
    if values and all(_QUARTER.match(v) for v in values):
        return pd.PeriodIndex(values, freq="Q-DEC").to_timestamp()
    try:
        return pd.to_numeric(pd.Series(values)).to_numpy()
    except ValueError as err:
        raise ValueError("periods must be quarters like '2024Q1' or numbers") from err


def _x1(period: Any) -> Any:
    """Plot position of one period (see :func:`_x`)."""
    return _x([period])[0]


def _details(result: EstimateResult, what: str) -> pd.DataFrame:
    if not isinstance(result, EstimateResult) or result.details is None:
        raise TypeError(f"{what} needs an EstimateResult with details")
    return result.details


# --------------------------------------------------------------------------- descriptive


def plot_index_paths(paths: pd.DataFrame, *, start: Any, label: str, ylabel: str, title: str,
                     break_at: Any | None = None, break_label: str = "apprentices counted"
                     ) -> tuple[Figure, pd.DataFrame]:
    """Treated index against the donors' mean and min-max band.

    Parameters
    ----------
    paths
        Output of :func:`reindus.evaluation.descriptive.index_paths`: period,
        treated, donor_mean, donor_min, donor_max (base quarter = 100).
    start
        First treated period, marked by a dashed line labelled "accord".
    label, ylabel, title
        Legend label of the treated unit, y-axis label and title.
    break_at, break_label
        Optional series break (e.g. apprentices counted from 2023Q1), dotted.

    Returns
    -------
    (Figure, DataFrame)
        The figure and ``paths`` (the plotted data, unchanged).
    """
    require_columns(paths, ["period", "treated", "donor_mean", "donor_min", "donor_max"], "paths")
    x = _x(paths["period"])
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.fill_between(x, paths["donor_min"], paths["donor_max"], color=PLACEBO_COLOR, alpha=0.5,
                    label="donors, min-max")
    ax.plot(x, paths["donor_mean"], color=DONOR_COLOR, lw=1.5, label="donors, mean")
    ax.plot(x, paths["treated"], color=TREATED_COLOR, lw=2, label=label)
    ax.axvline(_x1(start), color="black", ls="--", lw=1)
    if break_at is not None:
        ax.axvline(_x1(break_at), color=BREAK_COLOR, ls=":", lw=1)
    ax.text(_x1(start), ax.get_ylim()[1], " accord", va="top")
    if break_at is not None:
        ax.text(_x1(break_at), ax.get_ylim()[0], f" {break_label}", va="bottom",
                color=BREAK_COLOR)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    return fig, paths.copy()


def before_after_report(ba: pd.DataFrame, names: Mapping[str, str] | None = None) -> str:
    """Before/after table in percent.

    Parameters
    ----------
    ba
        Output of :func:`reindus.evaluation.descriptive.before_after` (unit,
        role, change, pre_slope; ``attrs['window']``).
    names
        Unit code -> display name.

    Returns
    -------
    str
        A header with the window and one row per unit: change and pre-period
        slope, both :math:`\\times 100` (log points :math:`\\approx` %).
    """
    require_columns(ba, ["unit", "role", "change", "pre_slope"], "before/after table")
    tab = ba.assign(region=ba["unit"].map(lambda u: _name(names, u)),
                    change_pct=100 * ba["change"], pre_slope_pct_per_q=100 * ba["pre_slope"])
    lo, hi = ba.attrs.get("window", ("?", "?"))
    return (f"Before/after over {lo}-{hi} (log points x 100 ~ %)\n"
            + tab[["region", "role", "change_pct", "pre_slope_pct_per_q"]].round(2)
            .to_string(index=False))


# --------------------------------------------------------------------------- event study


def event_study_table(es: EstimateResult) -> pd.DataFrame:
    """Event-study coefficients with estimates and intervals in percent.

    Returns ``es.details`` with ``coef``, ``ci_lo``, ``ci_hi`` (Conley-Taber
    placebo interval), ``ci_lo_cluster`` and ``ci_hi_cluster`` (CR1)
    multiplied by 100; other columns (``event_time``, ``binned``...) unchanged.
    """
    det = _details(es, "event_study_table")
    require_columns(det, ["event_time", *_ES_PCT], "event-study details")
    return det.assign(**{c: 100 * det[c] for c in _ES_PCT})


def event_study_report(es: EstimateResult) -> str:
    """Coefficient table, joint pre-trend tests and mean post coefficient.

    Parameters
    ----------
    es
        Output of :func:`reindus.evaluation.event_study.event_study`.

    Returns
    -------
    str
        The coefficients in percent (:func:`event_study_table`), the
        randomisation and cluster-robust Wald pre-trend tests, and the mean
        of the post coefficients :math:`\\bar\\beta = \\frac{1}{L+1}\\sum_{k=0}^{L}
        \\beta_k` with its placebo interval and p-value.
    """
    coef = event_study_table(es)
    dg = es.diagnostics
    pt = dg["pretrend"]
    rand, wald = pt["randomisation"], pt["wald_cluster"]
    return "\n".join([
        "Event-study coefficients, % (log points x 100); ci = Conley-Taber placebo interval at "
        f"{100 * dg['achieved_level']:.0f} %, cluster = CR1 95 %",
        coef[["event_time", *_ES_PCT, "binned"]].round(2).to_string(index=False),
        "",
        f"Joint pre-trend test, {len(rand['leads'])} leads: "
        f"randomisation p = {rand['p_value']:.3f} "
        f"(statistic ranked among {rand['n_assignments']} assignments); "
        f"cluster-robust Wald chi2({wald['df']}) = {wald['stat']:.1f}, "
        f"p = {wald['p_value']:.1e}",
        f"mean of the post coefficients: {100 * es.estimate:.2f} % "
        f"(placebo interval {100 * es.ci[0]:.2f} to {100 * es.ci[1]:.2f}, p = {es.p_value:.2f})",
    ])


def plot_event_study(es: EstimateResult, *, start: Any, title: str
                     ) -> tuple[Figure, pd.DataFrame]:
    """Event-study coefficients with placebo band and cluster-robust bars.

    Parameters
    ----------
    es
        Output of :func:`reindus.evaluation.event_study.event_study`.
    start
        Treatment date, named in the x-axis label.
    title
        Figure title.

    Returns
    -------
    (Figure, DataFrame)
        The figure and the plotted coefficients (:func:`event_study_table`, in %).
    """
    coef = event_study_table(es)
    level = 100 * es.diagnostics["achieved_level"]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.fill_between(coef["event_time"], coef["ci_lo"], coef["ci_hi"], color=TREATED_COLOR,
                    alpha=0.15, step="mid", label=f"Conley-Taber placebo interval ({level:.0f} %)")
    ax.errorbar(coef["event_time"], coef["coef"],
                yerr=[coef["coef"] - coef["ci_lo_cluster"], coef["ci_hi_cluster"] - coef["coef"]],
                fmt="o", color=TREATED_COLOR, ms=4, capsize=2, lw=1,
                label="estimate, CR1 95 % (too narrow)")
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", ls="--", lw=1)
    leads = int(-coef["event_time"].min())
    ax.set_xlabel(f"quarters since {start} (-{leads} = {leads} or more before; -1 = reference)")
    ax.set_ylabel(f"effect on employment ({style.EFFECT_UNIT})")
    ax.set_title(title)
    ax.legend(frameon=False, loc="lower left")
    fig.tight_layout()
    return fig, coef


# --------------------------------------------------------------------------- synthetic control


def synth_report(s: EstimateResult, names: Mapping[str, str] | None = None) -> str:
    """Synthetic-control summary: weights, fit, effect, placebos, leave-one-out.

    Parameters
    ----------
    s
        Output of :func:`reindus.evaluation.synth.synth`.
    names
        Unit code -> display name.

    Returns
    -------
    str
        Lines: treated unit, start and donor count; donor weights above 0.001;
        pre-RMSPE, mean post gap :math:`\\hat\\tau = \\frac{1}{T_1}\\sum_{t>T_0}
        (Y_{1t} - \\sum_j w_j Y_{jt})` with conformal interval; rank of the
        post/pre RMSPE ratio among the placebos in space; placebo-in-time gap;
        effect when each weighted donor is left out. Percent = log points x 100.
    """
    if not isinstance(s, EstimateResult) or "weights" not in s.diagnostics:
        raise TypeError("synth_report needs the result of evaluation.synth.synth")
    dg = s.diagnostics
    w = dg["weights"].query("weight > 0.001")
    loo = dg["leave_one_out"]
    ps, ptime = dg["placebo_space"], dg["placebo_time"]
    rank = 1 + sum(v > dg["rmspe_ratio"] for v in ps["ratios"].values())

    def n(u: Any) -> str:
        return _name(names, u)

    lines = [
        f"{n(s.treated[0])} from {s.periods['post'][0]} ({s.periods['n_post']} post quarters), "
        f"{len(s.controls)} donors",
        "  weights: " + ", ".join(f"{n(u)} {v:.3f}"
                                  for u, v in zip(w["donor"], w["weight"], strict=True)),
        f"  pre-RMSPE {100 * dg['pre_rmspe']:.2f} %; effect (mean gap) {100 * s.estimate:.2f} %, "
        f"conformal 95 % CI {100 * s.ci[0]:.2f} to {100 * s.ci[1]:.2f} %, p = {s.p_value:.3f}",
        f"  placebo in space: RMSPE ratio {dg['rmspe_ratio']:.2f}, rank {rank} of "
        f"{len(ps['ratios']) + 1}, p = {ps['p_value']:.2f}",
        f"  placebo in time (fake accord {ptime.get('fake_start')}): gap "
        f"{100 * ptime.get('att', np.nan):.2f} %",
        "  leave one donor out: " + "; ".join(
            f"without {n(u)}: {100 * a:.2f} % (pre-RMSPE {100 * e:.2f} %)"
            for u, a, e in zip(loo.get("dropped", []), loo.get("att", []),
                               loo.get("pre_rmspe", []), strict=True)),
    ]
    return "\n".join(lines)


def plot_synthetic_controls(synths: Mapping[str, EstimateResult],
                            names: Mapping[str, str] | None = None, *, title: str
                            ) -> tuple[Figure, pd.DataFrame]:
    """One row per treated unit: treated vs synthetic, and the gap among placebo gaps.

    Parameters
    ----------
    synths
        Treated unit code -> output of :func:`reindus.evaluation.synth.synth`.
    names
        Unit code -> display name.
    title
        Figure title.

    Returns
    -------
    (Figure, DataFrame)
        The figure and the plotted series (log points, demeaned over the pre-period;
        the figure shows them x 100): period, treated, synthetic, gap, post, region
        (the treated unit's code), one block per unit in the order of ``synths``.
    """
    if not synths:
        raise ValueError("no synthetic control to plot")
    fig, axes = plt.subplots(len(synths), 2, figsize=(11, 3.6 * len(synths)), squeeze=False)
    figdata = []
    for row, (r, s) in zip(axes, synths.items(), strict=True):
        det = _details(s, "plot_synthetic_controls")
        x = _x(det["period"])
        row[0].plot(x, 100 * det["treated"], color=TREATED_COLOR, lw=2, label=_name(names, r))
        row[0].plot(x, 100 * det["synthetic"], color=DONOR_COLOR, lw=1.5, ls="--",
                    label="synthetic")
        row[0].set_ylabel("log employment from pre-mean\n(%, 100 × log points)")
        row[0].legend(frameon=False, loc="lower left")
        for c in det.columns:
            if c.startswith("placebo_gap_"):
                row[1].plot(x, 100 * det[c], color=PLACEBO_COLOR, lw=0.8)
        row[1].plot(x, 100 * det["gap"], color=TREATED_COLOR, lw=2,
                    label=f"{_name(names, r)} - synthetic")
        row[1].plot([], [], color=PLACEBO_COLOR, lw=0.8, label="placebos (donors)")
        row[1].axhline(0, color="black", lw=0.8)
        row[1].set_ylabel(f"gap ({style.EFFECT_UNIT})")
        row[1].legend(frameon=False, loc="lower left")
        for ax in row:
            ax.axvline(_x1(s.periods["post"][0]), color="black", ls="--", lw=1)
        figdata.append(det[["period", "treated", "synthetic", "gap", "post"]].assign(region=r))
    fig.suptitle(title)
    fig.tight_layout()
    return fig, pd.concat(figdata, ignore_index=True)


# --------------------------------------------------------------------------- staggered


def staggered_table(results: Mapping[str, EstimateResult]) -> pd.DataFrame:
    """One row per scenario of Callaway-Sant'Anna estimates, in percent.

    Parameters
    ----------
    results
        Scenario name -> output of :func:`reindus.evaluation.staggered.callaway_santanna`.

    Returns
    -------
    DataFrame
        scenario, treated (comma-separated codes), att_pct, ci_lo_pct, ci_hi_pct
        (:math:`\\times 100`), p_value, n_assignments.
    """
    return pd.DataFrame([{
        "scenario": name, "treated": ",".join(r.treated), "att_pct": 100 * r.estimate,
        "ci_lo_pct": 100 * r.ci[0], "ci_hi_pct": 100 * r.ci[1], "p_value": r.p_value,
        "n_assignments": r.diagnostics["n_assignments"]} for name, r in results.items()],
        columns=["scenario", "treated", "att_pct", "ci_lo_pct", "ci_hi_pct", "p_value",
                 "n_assignments"])


def plot_event_profile(cs: EstimateResult, names: Mapping[str, str] | None = None, *,
                       window: tuple[int, int] = (-8, 7)) -> tuple[Figure, pd.DataFrame]:
    """Callaway-Sant'Anna event-time profile :math:`\\theta(e)`, in percent.

    Parameters
    ----------
    cs
        Output of :func:`reindus.evaluation.staggered.callaway_santanna`
        (``diagnostics['event']`` with columns e, att).
    names
        Unit code -> display name (treated units are named in the title).
    window
        Event times kept, inclusive.

    Returns
    -------
    (Figure, DataFrame)
        The figure and the plotted rows of ``diagnostics['event']`` with an
        added ``att_pct`` column (:math:`100\\,\\theta(e)`).
    """
    ev = cs.diagnostics.get("event") if isinstance(cs, EstimateResult) else None
    if ev is None:
        raise TypeError("plot_event_profile needs a callaway_santanna result")
    ev = ev[ev["e"].between(*window)].assign(att_pct=lambda d: 100 * d["att"])
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(ev["e"], ev["att_pct"], "o-", color=TREATED_COLOR)
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", ls="--", lw=1)
    ax.set_xlabel("quarters since the accord")
    ax.set_ylabel(f"ATT ({style.EFFECT_UNIT})")
    treated = ", ".join(_name(names, u) for u in cs.treated)
    ax.set_title(f"Callaway-Sant'Anna event-time profile ({treated})")
    fig.tight_layout()
    return fig, ev


# --------------------------------------------------------------------------- robustness

_ROB_COLS = ["spec", "estimator", "estimate", "ci_lo", "ci_hi", "p_value", "n_controls", "pre",
             "start"]


def _rob_pct(rob: pd.DataFrame) -> pd.DataFrame:
    require_columns(rob, _ROB_COLS, "robustness table")
    return rob.assign(estimate=100 * rob["estimate"], ci_lo=100 * rob["ci_lo"],
                      ci_hi=100 * rob["ci_hi"])


def robustness_report(rob: pd.DataFrame) -> str:
    """Robustness table in percent.

    Parameters
    ----------
    rob
        Output of :func:`reindus.evaluation.robustness.robustness_table`.

    Returns
    -------
    str
        spec, estimator, estimate, ci_lo, ci_hi (:math:`\\times 100`), p_value,
        n_controls, pre, start.
    """
    show = _rob_pct(rob)
    return ("Robustness, % (log points x 100); 95 % conformal intervals (inf = no finite bound)\n"
            + show[_ROB_COLS].round(3).to_string(index=False))


def plot_robustness(rob: pd.DataFrame, *, title: str, clip: float = 15.0
                    ) -> tuple[Figure, pd.DataFrame]:
    """Forest plot of the robustness estimates, intervals clipped at :math:`\\pm` ``clip`` %.

    Parameters
    ----------
    rob
        Output of :func:`reindus.evaluation.robustness.robustness_table`.
    title
        Figure title.
    clip
        Interval bounds beyond :math:`\\pm` ``clip`` % (e.g. infinite) are drawn at the edge.

    Returns
    -------
    (Figure, DataFrame)
        The figure and ``rob`` unchanged (log points, unclipped: the figure
        shows them x 100).
    """
    show = _rob_pct(rob)
    fig, ax = plt.subplots(figsize=(8, 6))
    lab = (show["spec"] + " · " + show["estimator"]).tolist()
    y = np.arange(len(show))[::-1]
    ax.hlines(y, show["ci_lo"].clip(lower=-clip), show["ci_hi"].clip(upper=clip), color="#888888")
    ax.plot(show["estimate"], y, "o", color=TREATED_COLOR)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, lab, fontsize=8)
    ax.set_xlabel(f"effect on employment ({style.EFFECT_UNIT}; intervals clipped at ±{clip:g})")
    ax.set_title(title)
    fig.tight_layout()
    return fig, rob.copy()


# --------------------------------------------------------------------------- validation (issue 10)
#: Display labels of the validated estimator x inference pairs.
_VALIDATION_LABELS = {
    ("did", "conformal"): "TWFE DiD · conformal",
    ("did", "conley_taber"): "TWFE DiD · Conley–Taber",
    ("did", "permutation"): "TWFE DiD · permutation",
    ("did", "wild"): "TWFE DiD · wild bootstrap",
    ("did", "cluster"): "TWFE DiD · cluster-robust",
    ("did_detrend", "conformal"): "detrended DiD · conformal",
    ("did_detrend", "conley_taber"): "detrended DiD · Conley–Taber",
    ("synth", "conformal"): "synthetic control · conformal",
    ("synth", "placebo"): "synthetic control · placebo",
    ("sdid", "placebo_t"): "synthetic DiD · placebo, t (recommended)",
    ("sdid", "placebo_normal"): "synthetic DiD · placebo, normal",
    ("sdid", "jackknife"): "synthetic DiD · jackknife",
    ("trend_did", "placebo"): "trend-adjusted DiD · placebo",
    ("trend_did", "conley_taber"): "trend-adjusted DiD · Conley–Taber",
}
_SCENARIO_STYLE = {"no_trend": ("o", "#555555", "no unit trends"),
                   "trend": ("s", "#d62728", "unit trends"),
                   "trend_break": ("^", "#1f77b4", "trend break at treatment")}


def plot_validation(table: pd.DataFrame, *, n_treated: int = 1, n_units: int | None = 13,
                    size_max: float = 0.08, coverage_min: float = 0.90
                    ) -> tuple[Figure, pd.DataFrame]:
    """Size, coverage and RMSE of every estimator x inference on the calibrated designs.

    Parameters
    ----------
    table
        The validation table: the ``validation`` records of the committed
        ``src/reindus/evaluation/validation.json`` (see
        :func:`reindus.evaluation.simulate.load_validation`) or
        :func:`reindus.evaluation.simulate.summarise_validation` output with
        ``scenario`` and ``n_treated`` columns.
    n_treated
        Which designs to show (default: one treated unit, the Hauts-de-France case).
    n_units
        Panel size to show when the table has an ``n_units`` column (default
        13, every metropolitan region; 10 is notebook 02's design,
        Hauts-de-France and its 9 donors, run for a subset of estimators).
    size_max, coverage_min
        Acceptance thresholds drawn as dashed lines (issue 10: 0.08 and 0.90).

    Returns
    -------
    (Figure, DataFrame)
        Three panels (size at 5 %, coverage of the 95 % interval, RMSE in
        % = 100 x log points), one row per method, one marker per design;
        the data: method, scenario, draws, size, coverage, rmse_pct.
    """
    require_columns(table, ["scenario", "estimator", "inference", "size", "coverage", "rmse"],
             "validation table")
    t = table.copy()
    if "n_treated" in t.columns:
        t = t[t["n_treated"] == n_treated]
    if n_units is not None and "n_units" in t.columns:
        t = t[t["n_units"] == n_units]
    if t.empty:
        raise ValueError(f"no validation rows with n_treated = {n_treated}, n_units = {n_units}")
    t["method"] = [_VALIDATION_LABELS.get((e, i), f"{e} · {i}")
                   for e, i in zip(t["estimator"], t["inference"], strict=True)]
    t["rmse_pct"] = 100 * t["rmse"]
    order = list(dict.fromkeys(lab for key, lab in _VALIDATION_LABELS.items()
                               if lab in set(t["method"])))
    order += [m for m in dict.fromkeys(t["method"]) if m not in order]
    ypos = {m: len(order) - 1 - k for k, m in enumerate(order)}
    fig, axes = plt.subplots(1, 3, figsize=(12, 0.38 * len(order) + 1.8), sharey=True)
    scen = [s for s in _SCENARIO_STYLE if s in set(t["scenario"])]
    offs = {s: (k - (len(scen) - 1) / 2) * 0.18 for k, s in enumerate(scen)}
    for ax, col, title in zip(axes, ["size", "coverage", "rmse_pct"],
                              ["size of a 5 % test", "coverage of the 95 % interval",
                               "RMSE, % (log points x 100)"], strict=True):
        for s in scen:
            marker, color, label = _SCENARIO_STYLE[s]
            d = t[t["scenario"] == s]
            ax.plot(d[col], [ypos[m] + offs[s] for m in d["method"]], marker, color=color,
                    label=label, ms=5, ls="none")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="x", color="#eeeeee")
    axes[0].axvline(0.05, color="black", lw=0.8)
    axes[0].axvline(size_max, color="black", lw=0.8, ls="--")
    axes[1].axvline(0.95, color="black", lw=0.8)
    axes[1].axvline(coverage_min, color="black", lw=0.8, ls="--")
    axes[1].set_xlim(-0.02, 1.02)
    axes[0].set_xlim(-0.02, 1.02)
    axes[0].set_yticks(list(ypos.values()), list(ypos.keys()), fontsize=8)
    axes[2].legend(fontsize=8, loc="lower right")
    units = f"{n_units} units, " if n_units is not None and "n_units" in t.columns else ""
    fig.suptitle(f"Validation on panels calibrated to regional industrial employment "
                 f"({units}{n_treated} treated unit{'s' if n_treated > 1 else ''}, "
                 "8 post quarters)",
                 fontsize=10)
    fig.tight_layout()
    data = t[["method", "scenario", "draws", "size", "coverage", "rmse_pct"]
             if "draws" in t.columns else ["method", "scenario", "size", "coverage", "rmse_pct"]]
    return fig, data.reset_index(drop=True)


__all__ += ["plot_validation"]

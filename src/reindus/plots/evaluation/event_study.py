"""Event studies: coefficient tables, reports and figures (two-way FE and Callaway-Sant'Anna)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from reindus.errors import require_columns
from reindus.evaluation.results import EstimateResult
from reindus.plots import style
from reindus.plots.evaluation._common import (
    TREATED_COLOR,
    _details,
    _name,
)

#: Event-study columns shown in percent.
_ES_PCT = ["coef", "ci_lo", "ci_hi", "ci_lo_cluster", "ci_hi_cluster"]


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

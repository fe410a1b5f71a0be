"""Figures of the accord designs (notebook 02), each returned with its plotted data.

Every function returns ``(fig, data)`` so that the notebook can pass both to
:func:`reindus.reporting.save_figure`. Values are plotted in percent
(100 x log points) and labelled so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from reindus.evaluation.results import EstimateResult
from reindus.plots.style import FOCUS, OKABE_ITO


def _pct_axis(ax: Any, ylabel: str) -> None:
    ax.axhline(0.0, color="0.4", lw=0.8)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)


def plot_counterfactuals(es: EstimateResult, trend: EstimateResult, *, title: str
                         ) -> tuple[plt.Figure, pd.DataFrame]:
    """Two counterfactuals for the same region: parallel levels and continued relative trend.

    Parameters
    ----------
    es
        :func:`reindus.evaluation.event_study.event_study` (coefficients
        relative to the quarter before the accord; ``details`` with
        ``event_time``, ``coef``, ``ci_lo``, ``ci_hi``, ``binned``).
    trend
        :func:`reindus.evaluation.trends.trend_event_study` (``details`` with
        ``event_time``, ``coef``, ``ci_lo``, ``ci_hi``, ``out_of_sample``).
    """
    det = es.details
    if "binned" in det.columns:  # the pooled far-past endpoint is not one quarter
        det = det[~det["binned"].astype(bool)]
    a = det[["event_time", "coef", "ci_lo", "ci_hi"]].assign(
        counterfactual="parallel levels (event study)")
    b = trend.details[trend.details["out_of_sample"]][["event_time", "coef", "ci_lo", "ci_hi"]]
    b = b.assign(counterfactual="continued relative trend (trend-adjusted)")
    data = pd.concat([a, b], ignore_index=True)
    data[["coef", "ci_lo", "ci_hi"]] = 100 * data[["coef", "ci_lo", "ci_hi"]]
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for (name, d), colour, dx in zip(data.groupby("counterfactual", sort=False),
                                     (OKABE_ITO[0], OKABE_ITO[1]), (-0.12, 0.12), strict=True):
        x = d["event_time"] + dx
        ax.errorbar(x, d["coef"], yerr=[d["coef"] - d["ci_lo"], d["ci_hi"] - d["coef"]],
                    fmt="o", ms=4, color=colour, capsize=2, lw=1, label=name)
    ax.axvline(-0.5, color="0.3", ls="--", lw=0.8)
    _pct_axis(ax, "gap to the counterfactual, % (100 x log points)")
    ax.set_xlabel("quarters since the accord (event time)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig, data.reset_index(drop=True)


def plot_zone_event_studies(studies: Mapping[str, EstimateResult], *, title: str
                            ) -> tuple[plt.Figure, pd.DataFrame]:
    """Zone-level event profiles with the range of the placebo regions' profiles.

    ``studies`` maps a panel label to :func:`reindus.designs.accords.zone_event_study`;
    two panels a row. The gap is in % (100 x log points).
    """
    frames = [r.details.assign(panel=k) for k, r in studies.items()]
    data = pd.concat(frames, ignore_index=True)
    for c in ("estimate", "placebo_lo", "placebo_hi"):
        data[c] = 100 * data[c]
    ncol = min(2, len(studies))
    nrow = -(-len(studies) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(5.2 * ncol, 3.4 * nrow), sharey=True,
                             squeeze=False)
    for ax, (k, d) in zip(axes.ravel(), data.groupby("panel", sort=False), strict=False):
        ax.fill_between(d["event_time"], d["placebo_lo"], d["placebo_hi"], color="0.85",
                        label="range of placebo regions")
        ax.plot(d["event_time"], d["estimate"], "o-", ms=3, color=OKABE_ITO[0],
                label="zones of the signing region")
        ax.axvline(-0.5, color="0.3", ls="--", lw=0.8)
        _pct_axis(ax, "gap to control zones, %")
        ax.set_title(k, fontsize=9)
        ax.set_xlabel("quarters since the accord")
    for ax in axes.ravel()[len(studies):]:
        ax.set_visible(False)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig, data


def plot_gigafactory_gaps(synths: Mapping[str, EstimateResult], labels: Mapping[str, str], *,
                          announced: Mapping[str, Any], title: str
                          ) -> tuple[plt.Figure, pd.DataFrame]:
    """Synthetic-control gaps of each gigafactory zone, with its placebo zones' 5–95 % band.

    ``synths`` maps a zone code to :func:`reindus.evaluation.synth.synth`;
    ``announced`` gives the quarter the first plant was announced (dotted line);
    the opening quarter (start of the post period) is the dashed line.
    """
    rows = []
    for z, s in synths.items():
        d = s.details
        plac = d[[c for c in d.columns if c.startswith("placebo_gap_")]].to_numpy(float)
        rows.append(pd.DataFrame({
            "zone_code": z, "zone": labels[z], "period": d["period"].astype(str),
            "gap": 100 * d["gap"].to_numpy(float), "post": d["post"].to_numpy(bool),
            "placebo_p05": 100 * np.nanpercentile(plac, 5, axis=1),
            "placebo_p95": 100 * np.nanpercentile(plac, 95, axis=1)}))
    data = pd.concat(rows, ignore_index=True)
    fig, axes = plt.subplots(1, len(synths), figsize=(4.3 * len(synths), 3.8), sharey=True,
                             squeeze=False)
    for ax, (z, d) in zip(axes[0], data.groupby("zone_code", sort=False), strict=True):
        x = pd.PeriodIndex(d["period"], freq="Q-DEC").to_timestamp()
        ax.fill_between(x, d["placebo_p05"], d["placebo_p95"], color="0.85",
                        label="placebo zones, 5-95 %")
        ax.plot(x, d["gap"], color=FOCUS, lw=1.4, label="host zone minus synthetic")
        ax.axvline(x[d["post"].to_numpy()].min(), color="0.3", ls="--", lw=0.8)
        ax.axvline(pd.Period(announced[z], freq="Q-DEC").to_timestamp(), color="0.3", ls=":",
                   lw=0.8)
        _pct_axis(ax, "gap, % (100 x log points)")
        ax.set_title(d["zone"].iloc[0], fontsize=9)
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle(title, fontsize=10)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig, data


def plot_estimates(table: pd.DataFrame, *, label: str, title: str
                   ) -> tuple[plt.Figure, pd.DataFrame]:
    """Forest plot of estimates with intervals (columns ``label``, estimate, ci_lo, ci_hi, in %)."""
    d = table[[label, "estimate", "ci_lo", "ci_hi"]].reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(d) + 1.2))
    y = np.arange(len(d))[::-1]
    lo = np.clip(d["ci_lo"], -60, 60)
    hi = np.clip(d["ci_hi"], -60, 60)
    ax.errorbar(d["estimate"], y, xerr=[d["estimate"] - lo, hi - d["estimate"]], fmt="o",
                ms=4, color=OKABE_ITO[0], capsize=2, lw=1)
    ax.set_yticks(y, d[label])
    ax.axvline(0.0, color="0.4", lw=0.8)
    ax.set_xlabel("estimate, % (100 x log points), 95 % interval")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return fig, d

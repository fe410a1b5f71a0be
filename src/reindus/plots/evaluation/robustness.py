"""Robustness table and forest plot; the validation figure (size, coverage, RMSE; issue 10)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reindus.errors import require_columns
from reindus.plots import style
from reindus.plots.evaluation._common import (
    TREATED_COLOR,
)

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


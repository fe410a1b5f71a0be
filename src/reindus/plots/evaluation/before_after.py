"""Descriptive before/after comparison: index paths of the treated unit and its controls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from reindus.errors import require_columns
from reindus.plots.evaluation._common import (
    BREAK_COLOR,
    DONOR_COLOR,
    PLACEBO_COLOR,
    TREATED_COLOR,
    _name,
    _x,
    _x1,
)


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

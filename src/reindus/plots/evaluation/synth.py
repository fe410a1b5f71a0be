"""Synthetic control: the printed summary and the treated-vs-synthetic figure with placebo gaps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reindus.evaluation.results import EstimateResult
from reindus.plots import style
from reindus.plots.evaluation._common import (
    DONOR_COLOR,
    PLACEBO_COLOR,
    TREATED_COLOR,
    _details,
    _name,
    _x,
    _x1,
)


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

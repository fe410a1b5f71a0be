"""Figure of the sensitivity of an event study to parallel-trend violations.

Draws the output of :func:`reindus.evaluation.sensitivity.sensitivity_analysis`
in the style of HonestDiD's ``createSensitivityPlot``: the conventional
interval (parallel trends) on the left, then, for each :math:`M` (smoothness)
or :math:`\\bar M` (relative magnitudes), the robust confidence interval and,
inside it, the identified set at the point estimate. Values are shown in
percent (:math:`100 \\times` log points); nothing is estimated here.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reindus.evaluation.sensitivity import SensitivityResult
from reindus.plots import style

__all__ = ["plot_sensitivity"]

_LABEL = {"smoothness": "M: bound on the change of the trend-gap slope",
          "relative_magnitudes": "M̄: post violation / largest pre violation"}
_SYMBOL = {"smoothness": "M", "relative_magnitudes": "M̄"}
_NEEDED = ["restriction", "m", "id_lb", "id_ub", "ci_lo", "ci_hi", "method"]


def plot_sensitivity(frame: pd.DataFrame | SensitivityResult, *, title: str | None = None,
                     scale: float = 100.0, unit: str = style.EFFECT_UNIT
                     ) -> tuple[Figure, pd.DataFrame]:
    """Robust intervals and identified sets over :math:`M` (one panel per restriction).

    Parameters
    ----------
    frame
        ``SensitivityResult.frame`` (or the result itself, whose breakdown
        value is then marked), or several such frames concatenated (one panel
        per ``restriction``).
    title
        Figure title (default: none).
    scale
        Multiplier for display (100: log points to percent); ``m`` is scaled
        too for smoothness, whose :math:`M` is in outcome units.
    unit
        Axis unit label.

    Returns
    -------
    (Figure, DataFrame)
        The figure and the plotted values (columns of ``frame`` with the
        bounds and, for smoothness, ``m`` multiplied by ``scale``; infinite
        bounds kept as ``inf``, drawn as arrows at the edge).
    """
    breakdown = {}
    if isinstance(frame, SensitivityResult):
        breakdown[frame.restriction] = frame.breakdown
        frame = frame.frame
    missing = [c for c in _NEEDED if c not in frame.columns]
    if missing:
        raise ValueError(f"sensitivity frame lacks column(s) {missing}; pass "
                         "sensitivity_analysis(...).frame")
    data = frame.copy()
    for c in ("id_lb", "id_ub", "ci_lo", "ci_hi"):
        data[c] = data[c] * scale
    sm = data["restriction"] == "smoothness"
    data.loc[sm, "m"] = data.loc[sm, "m"] * scale
    restrictions = list(dict.fromkeys(data["restriction"]))
    fig, axes = plt.subplots(1, len(restrictions), figsize=(5.5 * len(restrictions), 4.2),
                             squeeze=False)
    for ax, r in zip(axes[0], restrictions, strict=True):
        d = data[data["restriction"] == r]
        rob = d[d["method"] != "original"].sort_values("m")
        orig = d[d["method"] == "original"]
        xs = list(range(len(rob) + 1))
        labels = ["original"] + [f"{m:g}" for m in rob["m"]]
        finite = np.concatenate([d[["ci_lo", "ci_hi", "id_lb", "id_ub"]].to_numpy().ravel()])
        finite = finite[np.isfinite(finite)]
        lo_edge = finite.min() if finite.size else -1.0
        hi_edge = finite.max() if finite.size else 1.0
        pad = 0.08 * (hi_edge - lo_edge or 1.0)
        lo_edge, hi_edge = lo_edge - pad, hi_edge + pad
        if len(orig):
            o = orig.iloc[0]
            ax.vlines(0, o["ci_lo"], o["ci_hi"], color=style.REFERENCE, lw=2,
                      label="conventional 95 % interval (parallel trends)")
        for x, row in zip(xs[1:], rob.itertuples(), strict=True):
            lo = row.ci_lo if np.isfinite(row.ci_lo) else lo_edge
            hi = row.ci_hi if np.isfinite(row.ci_hi) else hi_edge
            ax.vlines(x, lo, hi, color=style.FOCUS, lw=2,
                      label=f"robust 95 % interval ({row.method})" if x == 1 else None)
            for v, edge in ((row.ci_lo, lo_edge), (row.ci_hi, hi_edge)):
                if not np.isfinite(v):
                    ax.annotate("", xy=(x, edge), xytext=(x, edge - np.sign(edge) * pad),
                                arrowprops={"arrowstyle": "->", "color": style.FOCUS})
            if np.isfinite(row.id_lb) and np.isfinite(row.id_ub):
                ax.vlines(x, row.id_lb, row.id_ub, color="#555555", lw=6, alpha=0.6,
                          label="identified set at the estimate" if x == 1 else None)
        ax.axhline(0, color="black", lw=0.8)
        bd = breakdown.get(r)
        if bd is not None and np.isfinite(bd) and len(rob) > 1:
            ms = rob["m"].to_numpy() / (scale if r == "smoothness" else 1.0)
            # breakdown drawn on the category axis by linear interpolation
            xb = float(np.interp(bd, ms, xs[1:]))
            if ms[0] <= bd <= ms[-1]:
                ax.axvline(xb, color=style.CONTEXT, ls="--", lw=1,
                           label=f"breakdown {_SYMBOL[r]} = {_fmt(bd * (scale if r == 'smoothness' else 1))}")
        ax.set_xticks(xs, labels)
        ax.set_xlabel(_LABEL.get(r, r) + (" (% per period)" if r == "smoothness" else ""))
        ax.set_ylabel(f"effect ({unit})")
        ax.set_ylim(lo_edge, hi_edge)
        ax.legend(frameon=False, fontsize=8, loc="upper left")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig, data.reset_index(drop=True)


def _fmt(v: float) -> str:
    return "inf" if math.isinf(v) else f"{v:.3g}"

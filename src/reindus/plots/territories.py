r"""Maps and charts of the Territoires d'industrie analysis (notebook 05).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reindus.designs.territories import wave_map_frame
from reindus.evaluation.results import EstimateResult
from reindus.plots.style import EFFECT_UNIT, FOCUS, OKABE_ITO


def _display(unit: str) -> tuple[float, str]:
    """Effects in log points are shown in percent (100 x log points), as in every notebook."""
    return (100.0, EFFECT_UNIT) if unit == "log points" else (1.0, unit)


def map_waves(contours_epci, membership: pd.DataFrame, regions=None
              ) -> tuple[Figure, pd.DataFrame]:
    """Two maps side by side: EPCI labelled in wave 1 (2018-2022) and wave 2 (2023-2027).

    A label is a category, not a quantity: labelled EPCI are drawn dark, the others
    light, EPCI labelled through some of their communes only are hatched, with a
    legend of the three classes (Lambert-93). Returns ``(fig, frame)`` with the
    plotted values (without geometries) for :func:`reindus.reporting.save_figure`.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from reindus.plots.maps import LAMBERT_93, MISSING_COLOUR, geoplot

    g = wave_map_frame(contours_epci, membership).to_crs(LAMBERT_93)
    # The contours hold the Métropole du Grand Paris and its EPT, which overlap; the
    # labels are given to EPT, so the Métropole's polygon would hide them.
    g = g[g["epci_code"] != "200054781"]
    colours = {"labelled": "#08519c", "not labelled": "#eff3ff"}
    fig, axes = plt.subplots(1, 2, figsize=(12, 6.5))
    for ax, w in zip(axes, (1, 2), strict=True):
        col = g[f"wave{w}"]
        geoplot(g[col == 1], ax, color=colours["labelled"], edgecolor="white", linewidth=0.1)
        geoplot(g[col == 0], ax, color=colours["not labelled"], edgecolor="#c6dbef",
                linewidth=0.1)
        geoplot(g[col.isna()], ax, color=MISSING_COLOUR, hatch="////", edgecolor="#969696",
                linewidth=0.1)
        if regions is not None:
            geoplot(regions.to_crs(LAMBERT_93).boundary, ax, color="black", linewidth=0.5)
        n = int((col == 1).sum())
        ax.set_title(f"Wave {w} ({'2018-2022' if w == 1 else '2023-2027'}): {n} EPCI labelled")
        ax.set_axis_off()
        ax.set_aspect("equal")
    handles = [Patch(facecolor=colours["labelled"], label="EPCI labelled"),
               Patch(facecolor=colours["not labelled"], edgecolor="#c6dbef", label="not labelled"),
               Patch(facecolor=MISSING_COLOUR, hatch="////", edgecolor="#969696",
                     label="partly labelled (some communes)")]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig, pd.DataFrame(g.drop(columns="geometry"))


def plot_event_study(results: Mapping[str, EstimateResult], *, title: str = "",
                     unit: str = "log points") -> tuple[Figure, pd.DataFrame]:
    """Event-study coefficients with intervals, one series per result.

    Effects in log points are plotted (and returned) in percent, 100 x log points.
    """
    import matplotlib.pyplot as plt

    scale, label_unit = _display(unit)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    frames = []
    n = len(results)
    for i, (label, r) in enumerate(results.items()):
        d = r.details.copy()
        d[["coef", "ci_lo", "ci_hi"]] = d[["coef", "ci_lo", "ci_hi"]] * scale
        x = d["year"] + (i - (n - 1) / 2) * 0.15
        ax.errorbar(x, d["coef"], yerr=[d["coef"] - d["ci_lo"], d["ci_hi"] - d["coef"]],
                    fmt="o-", capsize=3, ms=4, label=label)
        frames.append(d.assign(series=label))
    ref = next(iter(results.values())).periods.get("reference")
    ax.axhline(0, color="grey", lw=0.8)
    if ref is not None:
        ax.axvline(ref + 0.5, color="grey", ls="--", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel(f"gap treated - controls ({label_unit})")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig, pd.concat(frames, ignore_index=True)


def plot_heterogeneity(table: pd.DataFrame, *, highlight: str | None = None,
                       unit: str = "log points") -> tuple[Figure, pd.DataFrame]:
    """Region estimates with intervals; accord regions in orange, ``highlight`` in bold.

    Effects in log points are plotted (and returned) in percent, 100 x log points.
    """
    import matplotlib.pyplot as plt

    scale, label_unit = _display(unit)
    d = table.sort_values("estimate").reset_index(drop=True)
    d[["estimate", "ci_lo", "ci_hi"]] = d[["estimate", "ci_lo", "ci_hi"]] * scale
    fig, ax = plt.subplots(figsize=(7, 5))
    colours = np.where(d["accord"], FOCUS, OKABE_ITO[0])
    for i, r in d.iterrows():
        ax.errorbar(r["estimate"], i, xerr=[[r["estimate"] - r["ci_lo"]],
                                            [r["ci_hi"] - r["estimate"]]],
                    fmt="o", color=colours[i], capsize=3)
    ax.set_yticks(range(len(d)))
    ax.set_yticklabels([f"{r.region} ({r.n_treated}/{r.n_controls})" for r in d.itertuples()],
                       fontsize=8)
    for lab, code in zip(ax.get_yticklabels(), d["region_code"], strict=True):
        if code == highlight:
            lab.set_fontweight("bold")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel(f"DiD estimate ({label_unit}); orange = region with an accord")
    fig.tight_layout()
    return fig, d




#: Legend labels of the groups of :func:`reindus.designs.territories.group_means`.
GROUP_LABELS: dict[str, str] = {"wave1": "labelled in wave 1 (2018)",
                                "wave2_entrant": "entered in wave 2 (2023)",
                                "never": "never labelled"}


def plot_group_means(means: pd.DataFrame) -> tuple[Figure, pd.DataFrame]:
    """Mean index of private employment by group and year (every EPCI counts the same).

    ``means`` is :func:`reindus.designs.territories.group_means` (group, year, mean,
    n_epci); dashed and dotted lines mark the two labelling waves (end of 2018, 2023).
    Returns the figure and ``means``, the data plotted.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for g, d in means.groupby("group", sort=True):
        ax.plot(d["year"], d["mean"], marker="o",
                label=f"{GROUP_LABELS[g]} ({d['n_epci'].iloc[0]} EPCI)")
    ax.axvline(2018.5, color="grey", ls="--", lw=0.8)
    ax.axvline(2023.5, color="grey", ls=":", lw=0.8)
    ax.set_xlabel("year")
    ax.set_ylabel("mean index of private employment (2018 = 100)")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig, means


def _profile(x: pd.Series, d: pd.DataFrame, y: str, *, vline: float, xlabel: str,
             ylabel: str, title: str) -> Figure:
    """Coefficients ``d[y]`` against ``x`` with their intervals (ci_lo, ci_hi) as error bars."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.errorbar(x, d[y], yerr=[d[y] - d["ci_lo"], d["ci_hi"] - d[y]], fmt="o-", capsize=3)
    ax.axhline(0, color="grey", lw=0.8)
    ax.axvline(vline, color="grey", ls="--", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_event_time(event_time: pd.DataFrame, *, unit: str = "log points"
                    ) -> tuple[Figure, pd.DataFrame]:
    r"""Callaway–Sant'Anna event-time profile :math:`\theta(e)` with its intervals.

    ``event_time`` is ``diagnostics["event_time"]`` of
    :func:`reindus.designs.territories_estimates.callaway_santanna` (event_time, att,
    ci_lo, ci_hi); plotted in its own ``unit``. Returns the figure and that frame.
    """
    fig = _profile(event_time["event_time"], event_time, "att", vline=-0.5,
                   xlabel="years since the label (event time)", ylabel=f"ATT ({unit})",
                   title="Callaway–Sant'Anna event-time profile, both waves")
    return fig, event_time


def plot_zone_intensity(details: pd.DataFrame, *, first_treated: int, wave: int
                        ) -> tuple[Figure, pd.DataFrame]:
    """Yearly gap between a fully labelled and an unlabelled zone d'emploi, with intervals.

    ``details`` of :func:`reindus.designs.territories_robustness.intensity_event_study`
    (year, coef, ci_lo, ci_hi), in log points; a dashed line before ``first_treated``.
    Returns the figure and ``details``.
    """
    fig = _profile(details["year"], details, "coef", vline=first_treated - 0.5, xlabel="year",
                   ylabel="gap, fully labelled vs unlabelled zone (log points)",
                   title=f"Zone d'emploi intensity design, wave {wave}")
    return fig, details

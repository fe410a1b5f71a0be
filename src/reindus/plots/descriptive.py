"""Figures of the descriptive notebooks (01 regions, 03 flows and failures).

Each function draws one figure from frames the notebook has already computed and returns
the figure and, where the plotted values are derived, the frame actually plotted (for
``reporting.save_figure``). No computation of indicators happens here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Collection, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

FOCUS, GREY = "#d62728", "#bdbdbd"


def industry_index(idx: pd.DataFrame, region: str, focus_name: str, metro: Collection[str],
                   index_base: str) -> tuple[Figure, pd.DataFrame]:
    """Base-100 industrial employment of the metropolitan regions, focus region and France."""
    fig, ax = plt.subplots(figsize=(10, 5.5))
    for code_, g in idx.groupby("region_code"):
        xs = g["quarter"].dt.to_timestamp()
        if code_ == region:
            ax.plot(xs, g["index"], color=FOCUS, lw=2.2, label=focus_name, zorder=3)
        elif code_ == "FR":
            ax.plot(xs, g["index"], color="black", lw=1.8, label="France", zorder=3)
        elif code_ in metro:
            ax.plot(xs, g["index"], color=GREY, lw=0.9)
    ax.axhline(100, color="black", lw=0.6, ls=":")
    ax.set_ylabel(f"industrial employment, index {index_base} = 100")
    ax.set_title("Industrial employment of the 13 metropolitan regions (grey), 1998-2025")
    ax.legend(frameon=False)
    fig.tight_layout()
    data = idx[idx["region_code"].isin(set(metro) | {"FR"})].assign(
        index=lambda d: d["index"].round(3))[["region_code", "region", "quarter", "index"]]
    return fig, data


def lq_heatmap(heat: pd.DataFrame, period: object) -> tuple[Figure, pd.DataFrame]:
    """Location quotients (regions x industrial sectors) on a log2 diverging scale.

    Returns the figure and ``heat``, the matrix drawn (regions as index, sectors as columns).
    """
    fig, ax = plt.subplots(figsize=(11, 5.8))
    im = ax.imshow(np.log2(heat.to_numpy()), cmap="RdBu_r", vmin=-2, vmax=2, aspect="auto")
    ax.set_xticks(range(heat.shape[1]), heat.columns, rotation=45, ha="right")
    ax.set_yticks(range(heat.shape[0]), heat.index)
    for i in range(heat.shape[0]):
        for j in range(heat.shape[1]):
            dark = abs(np.log2(heat.iat[i, j])) > 1.2
            ax.text(j, i, f"{heat.iat[i, j]:.1f}", ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    cb = fig.colorbar(im, ax=ax, ticks=[-2, -1, 0, 1, 2])
    cb.ax.set_yticklabels(["0.25", "0.5", "1", "2", "4"])
    cb.set_label("location quotient (log scale)")
    ax.set_title(f"Specialisation within industry, {period} (LQ > 1: over-represented)")
    fig.tight_layout()
    return fig, heat


def shift_share_bars(ss: pd.DataFrame, metro: Collection[str], starts: Sequence[str],
                     last: object, components: Sequence[str]) -> tuple[Figure, pd.DataFrame]:
    """Stacked chained shift-share components (% of start employment), one panel per start."""
    fig, axes = plt.subplots(1, len(starts), figsize=(12, 5.5), sharex=True, squeeze=False)
    plotted = []
    for ax, start in zip(axes[0], starts, strict=True):
        d = ss[(ss["start"] == start) & (ss["method"] == "chained") & ss["region_code"].isin(metro)]
        d = d.assign(**{c: 100 * d[c] / d["employment_start"] for c in [*components, "actual_change"]})
        d = d.sort_values("actual_change")
        y = np.arange(len(d))
        left_pos, left_neg = np.zeros(len(d)), np.zeros(len(d))
        for c, colour in zip(components, [GREY, "#6baed6", "#fd8d3c"], strict=True):
            v = d[c].to_numpy()
            ax.barh(y, v, left=np.where(v >= 0, left_pos, left_neg), color=colour,
                    label=c.replace("_", " "))
            left_pos, left_neg = left_pos + np.clip(v, 0, None), left_neg + np.clip(v, None, 0)
        ax.scatter(d["actual_change"], y, color="black", zorder=3, s=14, label="actual change")
        ax.set_yticks(y, d["region"])
        ax.axvline(0, color="black", lw=0.6)
        ax.set_title(f"{start}-{last}, chained")
        ax.set_xlabel("% of start-year industrial employment")
        plotted.append(d[["region_code", "region", "start", "end", "actual_change", *components]]
                       .round(3))
    axes[0][0].legend(frameon=False, fontsize=8, loc="lower right")
    fig.suptitle("Shift-share of industrial employment, metropolitan regions")
    fig.tight_layout()
    return fig, pd.concat(plotted, ignore_index=True)


def sector_net_bars(sect: pd.DataFrame, focus_name: str) -> tuple[Figure, pd.DataFrame]:
    """Net change per year of each industrial sector over sub-periods (stacked bars).

    ``sect`` is indexed by (sector_code, sector), with one column per window
    ``"<start>-<end>"`` (quarters) and a ``whole_period`` column, which is not drawn.
    """
    cols = [c for c in sect.columns if c != "whole_period"]
    per_year = np.array([(pd.Period(c.split("-")[1], freq="Q")
                          - pd.Period(c.split("-")[0], freq="Q")).n / 4 for c in cols])
    fig, ax = plt.subplots(figsize=(10, 5))
    bottom_pos, bottom_neg = np.zeros(len(cols)), np.zeros(len(cols))
    palette = plt.get_cmap("tab20")(np.linspace(0, 1, len(sect)))
    for (code_, _), row, colour in zip(sect.index, sect[cols].to_numpy(), palette, strict=True):
        v = row / per_year
        ax.bar(range(len(cols)), v, bottom=np.where(v >= 0, bottom_pos, bottom_neg),
               color=colour, label=code_)
        bottom_pos += np.clip(v, 0, None)
        bottom_neg += np.clip(v, None, 0)
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(range(len(cols)), cols)
    ax.set_ylabel("net change, jobs per year")
    ax.set_title(f"{focus_name}: net change of industrial employment by sector")
    ax.legend(frameon=False, fontsize=7, ncols=2, loc="lower right")
    fig.tight_layout()
    return fig, (sect[cols] / per_year).round(1).reset_index()


def insolvency_index(nat: pd.DataFrame, foc: pd.DataFrame, focus_name: str,
                     base: str = "2019Q4") -> tuple[Figure, pd.DataFrame]:
    """12-month rolling sums of procedures, index ``base`` = 100, France and focus region."""
    q = pd.Period(base, freq="Q")
    fig, ax = plt.subplots(figsize=(10, 4.8))
    for frame, colour, label in [(nat, "black", "France"), (foc, FOCUS, focus_name)]:
        b = frame.loc[frame["quarter"] == q, "count_12m"].item()
        ax.plot(frame["quarter"].dt.to_timestamp(), 100 * frame["count_12m"] / b, color=colour,
                label=label)
    ax.axhline(100, color="black", lw=0.6, ls=":")
    ax.axvspan(pd.Timestamp("2020-03-01"), pd.Timestamp("2021-12-31"), color=GREY, alpha=0.4,
               label="COVID support measures")
    ax.set_ylabel(f"12-month sum, index {base} = 100")
    ax.set_title("Collective insolvency procedures, 12-month rolling sum")
    ax.legend(frameon=False)
    fig.tight_layout()
    return fig, pd.concat([nat, foc])[["region_code", "quarter", "count", "count_12m"]]


def event_panels(traj: pd.DataFrame, events: pd.DataFrame, codes: Sequence[str]
                 ) -> tuple[Figure, pd.DataFrame]:
    """One panel per EPCI: private employment index, with the effective dates of its events.

    Returns the figure and the lines drawn: the rows of ``traj`` of the EPCI in ``codes``
    (code, epci, year, index).
    """
    n = len(codes)
    fig, axes = plt.subplots(1, n, figsize=(3.0 * n, 3.4), sharey=True, squeeze=False)
    for ax, code_ in zip(axes[0], codes, strict=True):
        t = traj[traj["code"] == code_]
        ax.plot(t["year"], t["index"], color="black", marker="o", ms=2)
        here = events[events["epci_code"] == code_]
        for (year, kind), e in here.groupby(["effective_year", "kind"], sort=True):
            colour = FOCUS if kind in ("closure", "downsizing") else "#2171b5"
            ax.axvline(year, color=colour, lw=1.2, ls="--")
            names = ", ".join(c.split(" ")[0] for c in e["company"])
            ax.text(year, ax.get_ylim()[0], f" {names}", rotation=90, fontsize=7, color=colour,
                    va="bottom")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        ax.set_title(textwrap.fill(t["epci"].iloc[0], 26), fontsize=8)
        ax.axhline(100, color="black", lw=0.5, ls=":")
    axes[0][0].set_ylabel("private employment, 2019 = 100")
    fig.suptitle("EPCI private employment and effective dates (red: closure, blue: opening)",
                 fontsize=10)
    fig.tight_layout()
    lines = traj[traj["code"].isin(list(codes))]
    return fig, lines[["code", "epci", "year", "index"]].reset_index(drop=True)

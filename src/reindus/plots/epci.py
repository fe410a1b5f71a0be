r"""Maps and charts of the EPCI analysis (notebook 04).

Choropleths by region and for France through :func:`reindus.plots.maps.choropleth`, gains and
losses bars, zone x sector bars and trajectories; the data come from :mod:`reindus.geo`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reindus.errors import require_columns
from reindus.geo.epci import GRAND_PARIS, GRAND_PARIS_TERRITORIES
from reindus.geo.zones import short_name

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _mark(ax: Any, gdf: Any, codes: Collection[str], *, fontsize: float = 7.5) -> None:
    """Label the marked EPCI with their short names, next to a representative point."""
    import matplotlib.patheffects as pe

    for r in gdf[gdf["epci_code"].isin(codes)].itertuples():
        pt = r.geometry.representative_point()
        ax.annotate(short_name(r.epci), (pt.x, pt.y), xytext=(6, 6), textcoords="offset points",
                    fontsize=fontsize, fontweight="bold",
                    path_effects=[pe.withStroke(linewidth=2.5, foreground="white")])


@dataclass(frozen=True)
class MapVariable:
    """What one map panel shows: a column, its colour scale and its legend.

    ``vmin``/``vmax`` are the colour limits; give several panels the same ones (see
    :func:`reindus.plots.maps.shared_limits`) so that a colour means the same number everywhere.
    """

    column: str
    vmin: float
    vmax: float
    legend_label: str
    diverging: bool = False
    cmap: str | None = None
    title: str = ""


def _region_subset(g: Any, r: str, region_contours: Any, straddling: pd.Series) -> Any:
    """EPCI drawn in region ``r``: its own, plus straddling EPCI with >1 % of their area in it."""
    inside = g["region_code"] == r
    outline = region_contours[region_contours["region_code"] == r]
    other = g[straddling & ~inside]
    if len(other) and len(outline):
        # the simplified contours are not always valid polygons: repair before overlaying
        poly = outline.geometry.make_valid().union_all()
        shapes = other.geometry.make_valid()
        share = shapes.intersection(poly).area / shapes.area
        inside |= g.index.isin(other.index[share.to_numpy() > 0.01])
    sub = g[inside]
    if sub.empty:
        raise ValueError(f"no EPCI contours for region {r!r}")
    return sub


def _prepare_regions(gdf: Any, profiles_table: pd.DataFrame) -> tuple[Any, pd.Series, pd.Series]:
    prof = profiles_table.set_index("epci_code")
    names = profiles_table.drop_duplicates("region_code").set_index("region_code")["region"]
    region_of = prof["region_code"].to_dict()
    if GRAND_PARIS in region_of:
        region_of.update(dict.fromkeys(GRAND_PARIS_TERRITORIES, region_of[GRAND_PARIS]))
    g = gdf.assign(region_code=gdf["epci_code"].map(region_of))
    straddling = (g["epci_code"].map(prof["n_regions"]).fillna(1).gt(1)
                  if "n_regions" in prof.columns else pd.Series(False, index=g.index))
    return g, straddling, names


def _draw_panel(ax: Any, sub: Any, var: MapVariable, title: str, outline: Any,
                marked: Collection[str]) -> pd.DataFrame:
    from reindus.plots import maps

    here = sorted(set(marked) & set(sub["epci_code"]))
    maps.choropleth(sub, var.column, ax=ax, diverging=var.diverging, cmap=var.cmap,
                    vmin=var.vmin, vmax=var.vmax, legend_label=var.legend_label, title=title,
                    highlight=here or None, highlight_on="epci_code",
                    highlight_label="accord signed here", linewidth=0.25)
    maps.geoplot(outline.boundary, ax, color="#404040", linewidth=0.8)
    _mark(ax, sub, here)
    plotted = pd.DataFrame(sub[["region_code", "epci_code", "epci", var.column]])
    return plotted.assign(marked=plotted["epci_code"].isin(here))


def plot_region_maps(gdf: Any, variable: MapVariable, region_codes: Sequence[str],
                     profiles_table: pd.DataFrame, region_contours: Any, *,
                     marked: Collection[str] = (), suptitle: str = "",
                     notes: Mapping[str, str] | None = None, ncols: int = 2,
                     panel_size: float = 5.6) -> tuple[Figure, pd.DataFrame]:
    """One choropleth panel per region, all on the colour scale of ``variable``.

    An EPCI belongs to the region of its most populous commune (``profiles_table``); an
    EPCI straddling two regions is also drawn in the other region's panel when more than
    1 % of its area lies there (so that no hole appears), and the Grand Paris EPT in
    Île-de-France. ``marked`` EPCI (the accords' signing EPCI) are outlined in black and
    named. ``notes`` adds a line under a region's title (e.g. an accord without a known
    EPCI).

    Returns
    -------
    tuple
        ``(fig, data)``: the figure and the plotted values (region_code = the panel,
        epci_code, epci, the variable, marked) for :func:`reindus.reporting.save_figure`.
    """
    import matplotlib.pyplot as plt

    g, straddling, names = _prepare_regions(gdf, profiles_table)
    n = len(region_codes)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size * ncols, panel_size * nrows),
                             squeeze=False)
    frames = []
    for ax, r in zip(axes.flat, region_codes, strict=False):
        sub = _region_subset(g, r, region_contours, straddling).assign(region_code=r)
        title = names.get(r, r) + (f"\n{notes[r]}" if notes and r in notes else "")
        frames.append(_draw_panel(ax, sub, variable, title,
                                  region_contours[region_contours["region_code"] == r], marked))
    for ax in list(axes.flat)[n:]:
        ax.set_axis_off()
    if suptitle:
        fig.suptitle(suptitle, fontsize=13)
    fig.tight_layout(h_pad=4.0)
    return fig, pd.concat(frames, ignore_index=True)


def plot_region_variables(gdf: Any, variables: Sequence[MapVariable], region_code: str,
                          profiles_table: pd.DataFrame, region_contours: Any, *,
                          marked: Collection[str] = (), suptitle: str = "",
                          panel_size: float = 5.6) -> tuple[Figure, pd.DataFrame]:
    """One region, one panel per variable (e.g. growth and industrial share side by side).

    ``gdf`` must hold every variable's column. Returns ``(fig, data)`` with one row per
    EPCI and the variables as columns.
    """
    import matplotlib.pyplot as plt

    g, straddling, names = _prepare_regions(gdf, profiles_table)
    sub = _region_subset(g, region_code, region_contours, straddling).assign(
        region_code=region_code)
    outline = region_contours[region_contours["region_code"] == region_code]
    fig, axes = plt.subplots(1, len(variables), figsize=(panel_size * len(variables),
                                                         panel_size), squeeze=False)
    frames = [_draw_panel(ax, sub, v, v.title, outline, marked)
              for ax, v in zip(axes.flat, variables, strict=True)]
    fig.suptitle(suptitle or names.get(region_code, region_code), fontsize=13)
    fig.tight_layout()
    data = frames[0]
    for f, v in zip(frames[1:], variables[1:], strict=True):
        data = data.merge(f[["epci_code", v.column]], on="epci_code", how="outer")
    return fig, data


def plot_france_map(gdf: Any, variable: MapVariable, region_contours: Any, *,
                    marked: Collection[str] = (), title: str = "",
                    figsize: tuple[float, float] = (8.5, 8.5)) -> tuple[Figure, pd.DataFrame]:
    """Choropleth of all metropolitan EPCI with region boundaries and marked EPCI named."""
    import matplotlib.pyplot as plt

    from reindus.plots import maps

    here = sorted(set(marked) & set(gdf["epci_code"]))
    fig, ax = plt.subplots(figsize=figsize)
    maps.choropleth(gdf, variable.column, ax=ax, diverging=variable.diverging,
                    cmap=variable.cmap, vmin=variable.vmin, vmax=variable.vmax,
                    legend_label=variable.legend_label, title=title or variable.title,
                    highlight=here or None, highlight_on="epci_code",
                    highlight_label="accord signed here", linewidth=0.1, edgecolor="#f0f0f0")
    maps.geoplot(region_contours.boundary, ax, color="#303030", linewidth=0.6)
    _mark(ax, gdf, here, fontsize=8)
    data = pd.DataFrame(gdf[["epci_code", "epci", variable.column]])
    return fig, data.assign(marked=data["epci_code"].isin(here))


def plot_gains_losses(table: pd.DataFrame, period: tuple[int, int], *,
                      highlight: str | None = None, title: str = ""
                      ) -> tuple[Figure, pd.DataFrame]:
    """Horizontal bars of the job change of the EPCI of :func:`gainers_losers`.

    Gains in blue, losses in red (the diverging colours of the maps); ``highlight`` (an
    EPCI code) in bold. Each bar is labelled with the change in % of the start level.
    Returns the figure and the bars (epci_code, epci, change, % change), bottom first.
    """
    import matplotlib.pyplot as plt

    a, b = period
    col, pct = f"chg_{a}_{b}", f"pct_{a}_{b}"
    require_columns(table, ["epci_code", "epci", col, pct], "table")
    t = table.drop_duplicates("epci_code").sort_values([col, "epci_code"])
    fig, ax = plt.subplots(figsize=(8.5, 0.32 * len(t) + 1.4))
    colours = np.where(t[col] >= 0, "#2166ac", "#b2182b")
    y = np.arange(len(t))
    ax.barh(y, t[col], color=colours)
    ax.set_yticks(y, [short_name(n, 34) for n in t["epci"]], fontsize=8)
    for tick, code in zip(ax.get_yticklabels(), t["epci_code"], strict=True):
        if code == highlight:
            tick.set_fontweight("bold")
    span = float(t[col].abs().max()) or 1.0
    for yi, v, p in zip(y, t[col], t[pct], strict=True):
        ax.annotate(f"{p:+.1f} %", (v, yi), xytext=(4 if v >= 0 else -4, 0),
                    textcoords="offset points", va="center", ha="left" if v >= 0 else "right",
                    fontsize=7)
    ax.set_xlim(-1.25 * span, 1.25 * span)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(f"private jobs, change {a}-{b} (end of year)")
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig, t[["epci_code", "epci", col, pct]].reset_index(drop=True)


def plot_zone_sectors(tables: Mapping[str, pd.DataFrame], column: str, *,
                      title: str = "") -> tuple[Figure, pd.DataFrame]:
    """Bars of the industrial NA38 sectors' job change, one panel per zone d'emploi.

    ``tables`` maps a panel title (e.g. "Béthune (87 % of the EPCI's area)") to a
    :func:`zone_industry` table; ``column`` is one of its change columns. Each panel has
    its own scale (zones differ in size), so every bar carries its value. Returns the
    figure and the bars of every panel (panel, sector_code, sector, ``column``; NaN =
    withheld).
    """
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tables), figsize=(5.2 * len(tables), 4.8), squeeze=False,
                             sharex=False)
    bars = []
    for ax, (name, t) in zip(axes.flat, tables.items(), strict=True):
        d = t[t["sector"] != "industry (matched)"].sort_values("sector_code", ascending=False)
        bars.append(d[["sector_code", "sector", column]].assign(panel=name))
        vals = d[column].astype("float64")
        ax.barh(d["sector"], vals.fillna(0), color=np.where(vals >= 0, "#2166ac", "#b2182b"))
        span = float(np.nanmax(np.abs(vals))) if vals.notna().any() else 1.0
        for yi, v in enumerate(vals):
            if np.isnan(v):
                ax.annotate("withheld", (0, yi), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=7, color="grey")
            else:
                ax.annotate(f"{v:+,.0f}", (v, yi), xytext=(3 if v >= 0 else -3, 0),
                            textcoords="offset points", va="center", fontsize=7,
                            ha="left" if v >= 0 else "right")
        ax.set_xlim(-1.3 * span, 1.3 * span)
        ax.axvline(0, color="black", lw=0.8)
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("jobs")
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    data = pd.concat(bars, ignore_index=True)
    return fig, data[["panel", "sector_code", "sector", column]]


def plot_trajectories(traj: pd.DataFrame, band: pd.DataFrame | None = None, *,
                      base_year: int = 2019, accord_year: float | None = 2023.96,
                      title: str = "") -> tuple[Figure, pd.DataFrame]:
    """Index lines (base ``base_year`` = 100) with the peers' interquartile and min–max bands.

    Returns the figure and the lines drawn (series, kind, year, index); the band is
    the caller's ``band``.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    if band is not None:
        ax.fill_between(band["year"], band["min"], band["max"], color="#c6dbef", alpha=0.5,
                        label=f"peers: min–max ({int(band['n'].iloc[0])})")
        ax.fill_between(band["year"], band["q25"], band["q75"], color="#6baed6", alpha=0.5,
                        label="peers: interquartile range")
    styles = {"epci": dict(color="#b2182b", lw=2.6), "region": dict(color="#2166ac", lw=1.6),
              "rest of region": dict(color="#2166ac", lw=1.2, ls=":"),
              "france": dict(color="black", lw=1.4, ls="--"),
              "peers": dict(color="#08519c", lw=1.6, ls="-.")}
    for (series, kind), d in traj.groupby(["series", "kind"], sort=False):
        ax.plot(d["year"], d["index"], label=series, **styles.get(kind, {}))
    ax.axhline(100, color="grey", lw=0.6)
    if accord_year is not None:
        ax.axvline(accord_year, color="#555555", lw=1, ls=":")
        ax.annotate("accord\n18 Dec 2023", (accord_year, ax.get_ylim()[1]), xytext=(-4, -4),
                    textcoords="offset points", ha="right", va="top", fontsize=8)
    ax.set_xlabel("year (end-of-year stock)")
    ax.set_ylabel(f"private employment, index {base_year} = 100")
    ax.set_xticks(sorted(traj["year"].unique()))
    ax.legend(fontsize=8, loc="lower right", frameon=True, framealpha=0.9)
    if title:
        ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig, traj[["series", "kind", "year", "index"]].reset_index(drop=True)

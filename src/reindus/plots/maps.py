"""Choropleth maps of French territories (regions, départements, zones d'emploi, EPCI).

One function, :func:`choropleth`, draws a value per polygon in Lambert-93 (EPSG:2154,
the official projection for metropolitan France, which keeps areas and shapes
undistorted enough at this scale), with a readable colour bar, missing values
hatched in grey and named in a legend, and optional highlighted units (e.g. the
accord EPCI). Use :func:`shared_limits` to give several maps the same colour scale.

Example
-------
>>> from reindus import data, maps
>>> gdf = data.contours("zone_emploi").merge(change, on="zone_code", how="left")
>>> vmin, vmax = maps.shared_limits(gdf["change_pct"], diverging=True, robust=True)
>>> fig, mapped = maps.choropleth(gdf, "change_pct", diverging=True, vmin=vmin, vmax=vmax,
...                               legend_label="industrial employment, % change 2019-2024",
...                               highlight=["0006"], highlight_on="zone_code")
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reindus.plots import style

LAMBERT_93 = "EPSG:2154"
SEQUENTIAL_CMAP = "viridis"
#: Red for losses, blue for gains; readable by most colour-blind readers.
DIVERGING_CMAP = "RdBu"
MISSING_COLOUR = "#d9d9d9"


@contextlib.contextmanager
def _no_intermediate_draws(fig: Figure) -> Iterator[None]:
    """Skip the full render that geopandas asks for after every ``.plot(ax=...)``.

    geopandas ends ``GeoSeries.plot`` and ``GeoDataFrame.plot`` with
    ``ax.figure.canvas.draw_idle()``, and on the Agg canvas (scripts, the notebooks'
    inline backend) ``draw_idle`` renders the whole figure at once: a four-panel map with
    boundaries rendered itself a dozen times before being saved (6 of notebook 04's 13 s
    of maps, under cProfile). The figure is rendered once, when it is shown or saved;
    the saved bytes are unchanged (checked on every published map).
    """
    canvas = fig.canvas
    canvas.draw_idle = lambda *args, **kwargs: None  # instance attribute shadows the method
    try:
        yield
    finally:
        del canvas.draw_idle


def geoplot(frame: Any, ax: Any, **kwargs: Any) -> Any:
    """``frame.plot(ax=ax, **kwargs)`` (a GeoSeries or GeoDataFrame) without geopandas'
    intermediate full render (see :func:`_no_intermediate_draws`)."""
    with _no_intermediate_draws(ax.figure):
        return frame.plot(ax=ax, **kwargs)


def shared_limits(
    *values: Sequence[float] | pd.Series | np.ndarray,
    diverging: bool = False,
    robust: bool = False,
    quantiles: tuple[float, float] = (0.02, 0.98),
) -> tuple[float, float]:
    """Colour limits common to several maps, so that a colour means the same number.

    Parameters
    ----------
    values
        One or more arrays of the mapped values (NaN ignored).
    diverging
        Symmetric limits around 0: :math:`(-m, m)` with :math:`m = \\max |x|`.
    robust
        Use the ``quantiles`` instead of the min and max, so that a few extreme units
        (often small ones, with large percentage changes) do not wash out the others.
        Values beyond the limits are drawn in the end colours, and the colour bar gets
        arrows.

    Returns
    -------
    tuple
        ``(vmin, vmax)``.
    """
    arrays = [np.asarray(v, dtype="float64").ravel() for v in values]
    x = np.concatenate(arrays) if arrays else np.array([], dtype="float64")
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("no finite value to set colour limits from")
    lo, hi = (np.quantile(x, quantiles) if robust else (x.min(), x.max()))
    if diverging:
        m = float(max(abs(lo), abs(hi)))
        return (-m, m) if m > 0 else (-1.0, 1.0)
    if lo == hi:
        return float(lo) - 0.5, float(hi) + 0.5
    return float(lo), float(hi)


def _highlight_mask(gdf: Any, highlight: Any, highlight_on: str | None) -> np.ndarray:
    if isinstance(highlight, (pd.Series, np.ndarray)) and np.asarray(highlight).dtype == bool:
        mask = np.asarray(highlight, dtype=bool)
        if mask.shape != (len(gdf),):
            raise ValueError("a boolean highlight must have one value per row of gdf")
        return mask
    if isinstance(highlight, str) or not isinstance(highlight, Collection):
        highlight = [highlight]
    if highlight_on is None:
        codes = [c for c in gdf.columns if str(c).endswith("code")]
        if not codes:
            raise ValueError("pass highlight_on= the column holding the highlighted codes")
        highlight_on = codes[0]
    if highlight_on not in gdf.columns:
        raise ValueError(f"highlight_on column {highlight_on!r} is not in gdf")
    wanted = {str(h) for h in highlight}
    mask = gdf[highlight_on].astype(str).isin(wanted).to_numpy()
    found = set(gdf.loc[mask, highlight_on].astype(str))
    if wanted - found:
        raise ValueError(f"highlighted codes {sorted(wanted - found)} not found in "
                         f"gdf[{highlight_on!r}]")
    return mask


def choropleth(
    gdf: Any,
    column: str,
    ax: Any = None,
    *,
    cmap: str | None = None,
    diverging: bool = False,
    vmin: float | None = None,
    vmax: float | None = None,
    legend_label: str | None = None,
    title: str | None = None,
    highlight: Any = None,
    highlight_on: str | None = None,
    highlight_colour: str = "black",
    highlight_label: str = "highlighted",
    missing_label: str = "no data",
    edgecolor: str = "white",
    linewidth: float = 0.3,
    figsize: tuple[float, float] = (6.5, 6.5),
) -> tuple[Figure, pd.DataFrame]:
    """Draw ``gdf[column]`` as a choropleth map in Lambert-93.

    Parameters
    ----------
    gdf
        GeoDataFrame with a CRS (reprojected to EPSG:2154 when it is another one), e.g.
        ``data.contours('region')`` merged with the values to show.
    column
        Numeric column to map; NaN polygons are drawn in light grey, hatched, and
        listed in the legend as ``missing_label``.
    ax
        Matplotlib axes to draw on (a new figure when ``None``).
    cmap
        Colormap name; default ``'viridis'``, or ``'RdBu'`` (red = negative) when
        ``diverging``.
    diverging
        Centre the colour scale on zero (for changes); limits default to
        :math:`\\pm \\max |x|`.
    vmin, vmax
        Colour limits; pass the same ones (see :func:`shared_limits`) to several maps
        to make them comparable. Values beyond are drawn in the end colours and the
        colour bar shows arrows.
    legend_label
        Colour-bar label: say what and in which unit (default: ``column``).
    title
        Axes title.
    highlight
        Units to outline: codes matched against ``highlight_on`` (default: the first
        column whose name ends in ``code``), or a boolean mask aligned with ``gdf``.
    highlight_colour, highlight_label
        Outline colour of the highlighted units and their legend entry.
    edgecolor, linewidth
        Boundaries between units (thin white lines read best on filled maps).

    Returns
    -------
    tuple
        ``(fig, data)``: the figure (with ``ax`` when one was given) and the values
        mapped, ``gdf`` without its geometry (a plain DataFrame, one row per unit).
    """
    import geopandas as gpd
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize, TwoSlopeNorm
    from matplotlib.patches import Patch

    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"gdf must be a GeoDataFrame, got {type(gdf).__name__}")
    if column not in gdf.columns:
        raise ValueError(f"column {column!r} is not in gdf (columns: {list(gdf.columns)})")
    if not pd.api.types.is_numeric_dtype(gdf[column]):
        raise TypeError(f"column {column!r} must be numeric, got {gdf[column].dtype}")
    if gdf.crs is None:
        raise ValueError("gdf has no CRS; set it (the project's contours are EPSG:2154)")
    if gdf.crs.to_epsg() != 2154:
        gdf = gdf.to_crs(LAMBERT_93)
    values = gdf[column].astype("float64")
    finite = values[np.isfinite(values)]
    if vmin is None or vmax is None:
        auto = shared_limits(finite, diverging=diverging) if len(finite) else (0.0, 1.0)
        vmin = auto[0] if vmin is None else vmin
        vmax = auto[1] if vmax is None else vmax
    if not vmin < vmax:
        raise ValueError(f"vmin ({vmin}) must be smaller than vmax ({vmax})")
    if diverging:
        if not vmin < 0 < vmax:
            raise ValueError(f"a diverging scale needs vmin < 0 < vmax, got ({vmin}, {vmax})")
        norm: Normalize = TwoSlopeNorm(vcenter=0.0, vmin=vmin, vmax=vmax)
    else:
        norm = Normalize(vmin=vmin, vmax=vmax)
    cmap = cmap or (DIVERGING_CMAP if diverging else SEQUENTIAL_CMAP)

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    else:
        fig = ax.figure
    present = gdf.loc[np.isfinite(values)]
    absent = gdf.loc[~np.isfinite(values)]
    if len(present):
        geoplot(present, ax, column=column, cmap=cmap, norm=norm, edgecolor=edgecolor,
                linewidth=linewidth)
    if len(absent):
        geoplot(absent, ax, color=MISSING_COLOUR, edgecolor="#969696", hatch="///",
                linewidth=linewidth)
    handles = []
    if highlight is not None:
        mask = _highlight_mask(gdf, highlight, highlight_on)
        geoplot(gdf.loc[mask].boundary, ax, color=highlight_colour, linewidth=1.6)
        handles.append(Patch(facecolor="none", edgecolor=highlight_colour, linewidth=1.6,
                             label=highlight_label))
    if len(absent):
        handles.append(Patch(facecolor=MISSING_COLOUR, edgecolor="#969696", hatch="///",
                             label=missing_label))
    if handles:
        ax.legend(handles=handles, loc="lower left", frameon=False, fontsize=8)

    extend = {(False, False): "neither", (True, False): "min", (False, True): "max",
              (True, True): "both"}[(bool((finite < vmin).any()), bool((finite > vmax).any()))]
    mappable = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    cbar = fig.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.045, pad=0.02,
                        shrink=0.8, extend=extend)
    cbar.set_label(legend_label or column, fontsize=9)
    cbar.ax.tick_params(labelsize=8)
    ax.set_axis_off()
    ax.set_aspect("equal")
    # the contours are IGN's (Licence Ouverte 2.0): save_figure adds them to the source line
    style.add_sources(fig, "ign")
    if title:
        ax.set_title(title, fontsize=11)
    return fig, pd.DataFrame(gdf.drop(columns=gdf.geometry.name))

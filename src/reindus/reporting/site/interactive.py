"""Interactive maps of the EPCI and zone d'emploi indicators (folium / Leaflet), offline.

folium writes a Leaflet page whose scripts come from CDNs by default; here the
page loads nothing from the network: Leaflet's JavaScript and CSS (from the
XStatic-Leaflet package) are inlined into the HTML, no tile layer is used (the
contours themselves are the map), and the legend is plain HTML. Each map is one
self-contained ``.html`` file under ``reports/maps/``, shown in an iframe on
the book's *Maps* page.

Indicators (computed from the processed tables, the same as the notebooks):

* EPCI: private employment change 2019-2024, % (:math:`100\\,(E_{2024}/E_{2019}-1)`,
  Urssaf year-end stocks, ``data.area_employment('epci')``); industry's share of
  jobs in 2022, % (census, ``data.epci_indicators()``);
* zones d'emploi: industrial employment change 2019-2024, % (sector group
  ``a5 == 'BE'``, ``data.zone_employment()``); industry's share of private jobs
  in 2024, %.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from reindus.ingest.io import write_text

#: Douglas-Peucker tolerance in metres (Lambert-93) before reprojection, and the grid
#: (degrees, about 100 m) coordinates are snapped to: keeps each page to a few MB while
#: outlines stay recognisable at the zoom levels of a national map.
SIMPLIFY_M = 800.0
GRID_DEG = 0.001


@dataclass(frozen=True)
class Layer:
    """One switchable indicator of a map."""

    column: str
    label: str
    diverging: bool


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, from the XStatic-Leaflet package."""
    import xstatic.pkg.leaflet as xs

    base = Path(xs.BASE_DIR)
    return ((base / "leaflet.js").read_text(encoding="utf-8"),
            (base / "leaflet.css").read_text(encoding="utf-8"))


def _colours(values: pd.Series, diverging: bool) -> tuple[list[str | None], float, float]:
    """Hex colour per value (None for NaN) on a robust 2-98 % scale."""
    import matplotlib as mpl

    finite = values[np.isfinite(values)]
    lo, hi = (np.quantile(finite, [0.02, 0.98]) if len(finite) else (0.0, 1.0))
    if diverging:
        m = float(max(abs(lo), abs(hi))) or 1.0
        lo, hi = -m, m
    cmap = mpl.colormaps["RdBu" if diverging else "viridis"]
    norm = mpl.colors.Normalize(vmin=lo, vmax=hi, clip=True)
    out = [None if not np.isfinite(v) else mpl.colors.to_hex(cmap(norm(v))) for v in values]
    return out, float(lo), float(hi)


def _legend(layers: list[Layer], limits: dict[str, tuple[float, float]]) -> str:
    rows = []
    for layer in layers:
        lo, hi = limits[layer.column]
        ramp = ("#b2182b,#f7f7f7,#2166ac" if layer.diverging
                else "#440154,#21918c,#fde725")
        rows.append(f'<div style="margin:4px 0"><b>{html.escape(layer.label)}</b><br>'
                    f'<span style="display:inline-block;width:140px;height:10px;'
                    f'background:linear-gradient(to right,{ramp})"></span><br>'
                    f"<span>{lo:.1f}</span><span style='float:right'>{hi:.1f}</span></div>")
    return ('<div style="position:absolute;bottom:24px;right:12px;z-index:1000;background:#fff;'
            'padding:6px 8px;font:12px sans-serif;border:1px solid #999;max-width:180px">'
            + "".join(rows) + '<div style="color:#555">grey: no data</div></div>')


def offline_map(gdf: Any, key: str, name_col: str, layers: list[Layer], title: str,
                source: str) -> str:
    """A self-contained Leaflet page of ``gdf`` (EPSG:2154) with one base layer per indicator.

    Returns the HTML text; it contains no ``http(s)`` script or stylesheet.
    """
    import folium

    gdf = gdf.copy()
    gdf["geometry"] = gdf.geometry.simplify(SIMPLIFY_M, preserve_topology=True)
    gdf = gdf.to_crs("EPSG:4326")
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, GRID_DEG)
    limits = {}
    for layer in layers:
        gdf[f"_fill_{layer.column}"], lo, hi = _colours(gdf[layer.column].astype(float),
                                                         layer.diverging)
        limits[layer.column] = (lo, hi)
        gdf[f"_show_{layer.column}"] = gdf[layer.column].map(
            lambda v: "no data" if pd.isna(v) else f"{v:.1f}")
    m = folium.Map(location=[46.6, 2.5], zoom_start=6, tiles=None, control_scale=True,
                   prefer_canvas=True)
    # only Leaflet itself, inlined below (folium's defaults are CDN URLs)
    m.default_js = [("leaflet", "reindus-leaflet.js")]
    m.default_css = [("leaflet_css", "reindus-leaflet.css")]
    keep = [key, name_col, "geometry"] + [c for c in gdf.columns if c.startswith("_")]
    geo = gdf[keep]
    for i, layer in enumerate(layers):
        fill = f"_fill_{layer.column}"
        group = folium.FeatureGroup(name=layer.label, overlay=False, show=(i == 0))
        folium.GeoJson(
            geo, name=layer.label,
            style_function=lambda f, fill=fill: {
                "fillColor": f["properties"][fill] or "#d9d9d9", "color": "#ffffff",
                "weight": 0.4, "fillOpacity": 0.85},
            highlight_function=lambda f: {"weight": 2, "color": "#000000"},
            tooltip=folium.GeoJsonTooltip(
                fields=[name_col, key, f"_show_{layer.column}"],
                aliases=["", "code", layer.label], sticky=True),
        ).add_to(group)
        group.add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    west, south, east, north = (float(v) for v in gdf.total_bounds)
    m.fit_bounds([[south, west], [north, east]])
    m.get_root().html.add_child(folium.Element(_legend(layers, limits)))
    m.get_root().html.add_child(folium.Element(
        f'<div style="position:absolute;top:10px;left:50px;z-index:1000;background:#fff;'
        f'padding:4px 8px;font:13px sans-serif;border:1px solid #999"><b>{html.escape(title)}'
        f'</b><br><span style="color:#555;font-size:11px">{html.escape(source)}</span></div>'))
    text = m.get_root().render()
    js, css = leaflet_assets()
    text = text.replace('<script src="reindus-leaflet.js"></script>',
                        f"<script>{js}</script>")
    text = re.sub(r'<link rel="stylesheet" href="reindus-leaflet.css"\s*/?>',
                  lambda _: f"<style>{css}</style>", text)
    # folium gives each element a random id; fixed ids keep rebuilds identical
    ids = dict.fromkeys(re.findall(r"\b(?:map|geo_json|feature_group|layer_control|"
                                   r"macro_element|tooltip|element)_[0-9a-f]{32}\b", text))
    for n, old in enumerate(ids):
        text = text.replace(old, f"{old.rsplit('_', 1)[0]}_{n:04d}")
    return text


def epci_frame() -> Any:
    """EPCI contours with the mapped indicators (see the module docstring)."""
    from reindus import data

    emp = data.area_employment("epci")
    wide = emp[emp["year"].isin([2019, 2024])].pivot(index="code", columns="year",
                                                      values="employment")
    growth = (100 * (wide[2024] / wide[2019] - 1)).rename("growth_2019_2024").reset_index()
    ind = data.epci_indicators()[["epci_code", "eco_sectindus_pct_22"]]
    gdf = (data.contours("epci").merge(growth, left_on="epci_code", right_on="code", how="left")
           .merge(ind, on="epci_code", how="left"))
    return gdf


def zone_frame() -> Any:
    """Zone d'emploi contours with industrial change and share (see the module docstring)."""
    from reindus import data

    z = data.zone_employment()
    z = z[z["year"].isin([2019, 2024])]
    total = z.groupby(["zone_code", "year"])["employment"].sum(min_count=1).unstack()
    ind = z[z["a5"] == "BE"].groupby(["zone_code", "year"])["employment"].sum(
        min_count=1).unstack()
    out = pd.DataFrame({
        "industry_change_2019_2024": 100 * (ind[2024] / ind[2019] - 1),
        "industry_share_2024": 100 * ind[2024] / total[2024]}).reset_index()
    return data.contours("zone_emploi").merge(out, on="zone_code", how="left")


def write_maps_page(src: Path, reports: Path) -> str:
    """Write ``reports/maps/*.html`` and the book page that shows them; return its name."""
    from reindus.plots import style

    maps_dir = reports / "maps"
    maps_dir.mkdir(parents=True, exist_ok=True)
    specs = [
        ("epci", epci_frame(), "epci_code", "epci",
         [Layer("growth_2019_2024", "private jobs, % change 2019-2024", True),
          Layer("eco_sectindus_pct_22", "industry, % of jobs 2022 (census)", False)],
         "Intercommunalités (EPCI)", ["urssaf", "insee", "ign"]),
        ("zones", zone_frame(), "zone_code", "zone",
         [Layer("industry_change_2019_2024", "industrial jobs, % change 2019-2024", True),
          Layer("industry_share_2024", "industry, % of private jobs 2024", False)],
         "Zones d'emploi", ["urssaf", "insee", "ign"]),
    ]
    body = ["# Maps", "",
            "Interactive maps of the indicators by intercommunalité (EPCI) and by zone "
            "d'emploi: hover a unit for its name, code and value; switch indicators in the "
            "box at the top right; zoom with the wheel. They work offline (Leaflet is "
            "embedded; no background tiles). Colours use a robust scale (2nd to 98th "
            "percentile): the few extreme small units take the end colours. Each map is "
            "also a standalone file.", ""]
    for slug, gdf, key, name_col, layers, title, sources in specs:
        text = offline_map(gdf, key, name_col, layers, title, style.source_line(sources))
        write_text(text, maps_dir / f"{slug}.html")
        body += [f"## {title}", "",
                 f'<iframe class="reindus-map" src="maps/{slug}.html" title="{title}" '
                 f'loading="lazy"></iframe>', "",
                 f'<a href="maps/{slug}.html">open the map alone</a> · '
                 f"{html.escape(style.source_line(sources))}", ""]
    write_text("\n".join(body) + "\n", src / "maps.md")
    return "maps"

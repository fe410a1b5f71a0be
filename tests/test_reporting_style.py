"""House style of the figures: attribution line, SVG, sector labels, palette, outliers."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from reindus import reporting  # noqa: E402
from reindus.plots import style  # noqa: E402


def test_source_line_groups_producers_by_licence() -> None:
    assert style.source_line(["ign", "urssaf", "insee"]) == (
        "Source : Urssaf (ODbL 1.0) ; Insee, IGN (Licence Ouverte 2.0) — calculs reindus")
    assert style.source_line(["urssaf", "press"]) == (
        "Source : Urssaf (ODbL 1.0) ; press sources compiled by reindus — calculs reindus")
    assert style.source_line("Source : Dares") == "Source : Dares"
    with pytest.raises(ValueError, match="unknown producer"):
        style.source_line(["eurostat"])


def test_every_notebook_declares_licensed_producers() -> None:
    from reindus import config

    for nb in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.md")):
        keys = style.producers_for(nb.stem)
        assert "urssaf" in keys, nb.stem
        assert "Urssaf (ODbL 1.0)" in style.source_line(keys)


def test_save_figure_draws_source_and_writes_svg(reports_dir: Path) -> None:
    reporting.start_notebook("01-regions-compared", region="32")
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2], [1, 2])
    ax.set_title("A title")
    style.add_sources(fig, "ign")
    png = reporting.save_figure(fig, "99-style", pd.DataFrame({"x": [1, 2]}))
    meta = json.loads(png.with_suffix(".json").read_text())
    assert meta["sources"] == ["urssaf", "insee", "ign"]
    assert meta["source_line"].startswith("Source : Urssaf (ODbL 1.0) ; Insee, IGN")
    assert meta["caption"] == "A title" and meta["svg"] == "99-style.svg"
    assert [t.get_text() for t in fig.texts] == [meta["source_line"]]
    svg = png.with_suffix(".svg").read_text()
    assert "<svg" in svg and "<dc:date>" not in svg
    # SVG is byte-identical on a second save (fixed hash salt, no date)
    first = svg
    reporting.save_figure(fig, "99-style", pd.DataFrame({"x": [1, 2]}), caption="Other")
    assert png.with_suffix(".svg").read_text() == first
    assert [t.get_text() for t in fig.texts] == [meta["source_line"]]  # not drawn twice
    assert json.loads(png.with_suffix(".json").read_text())["caption"] == "Other"
    from PIL import Image

    assert Image.open(png).info["dpi"][0] == pytest.approx(200, abs=1)
    plt.close(fig)


def test_explicit_sources_override_the_notebook(reports_dir: Path) -> None:
    reporting.start_notebook("03-job-losses-vs-creation")
    fig, ax = plt.subplots()
    png = reporting.save_figure(fig, "99-src", pd.DataFrame({"x": [1]}), sources=["anct"])
    assert json.loads(png.with_suffix(".json").read_text())["source_line"] == (
        "Source : ANCT (Licence Ouverte 2.0) — calculs reindus")
    plt.close(fig)


def test_relabel_sectors_in_legend_and_ticks() -> None:
    names = {"CA": "Industries agro-alimentaires", "CH": "Métallurgie"}
    fig, ax = plt.subplots()
    ax.bar([0, 1], [1, 2], label="CA")
    ax.plot([0, 1], [1, 1], label="Grand Est")
    ax.legend()
    ax.set_xticks([0, 1], ["CH", "2024"])
    assert style.relabel_sectors(fig, names) == 2
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Grand Est", "CA Industries agro-alimentaires"] or \
        [t.get_text() for t in ax.get_legend().get_texts()] == [
        "CA Industries agro-alimentaires", "Grand Est"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["CH Métallurgie", "2024"]
    assert style.sector_label("CA", {"CA": "x" * 60}, width=20) == "CA " + "x" * 16 + "…"
    plt.close(fig)


def test_palette_is_okabe_ito_and_applied() -> None:
    style.apply()
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    assert cycle == style.OKABE_ITO
    colours = style.categorical(17)
    assert len(set(colours)) == 17 and colours[:8] == style.OKABE_ITO
    assert style.categorical(18)[17] == style.OKABE_ITO[0] and style.hatch(17) == "//"
    assert matplotlib.rcParams["svg.hashsalt"] == "reindus"


def test_label_line_ends_names_the_extremes() -> None:
    frame = pd.DataFrame({
        "region": list("ABCDEF") * 2, "quarter": [1] * 6 + [2] * 6,
        "index": [100] * 6 + [130, 120, 101, 99, 80, 70]})
    fig, ax = plt.subplots()
    labelled = style.label_line_ends(ax, frame, x="quarter", y="index", by="region", n=1,
                                     exclude=["A"])
    assert labelled == ["B", "F"]
    assert sorted(t.get_text() for t in ax.texts) == ["B", "F"]
    with pytest.raises(ValueError, match="lacks columns"):
        style.label_line_ends(ax, frame, x="year", y="index", by="region")
    plt.close(fig)


def test_choropleth_attaches_ign() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    from reindus.plots import maps

    gdf = gpd.GeoDataFrame({"code": ["a", "b"], "v": [1.0, 2.0]},
                           geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:2154")
    fig, _ = maps.choropleth(gdf, "v")
    assert style.figure_sources(fig) == ["ign"]
    plt.close(fig)


def test_anonymous_lines_are_named_from_the_plotted_data(reports_dir: Path) -> None:
    reporting.start_notebook("01-regions-compared")
    frame = pd.DataFrame({
        "region_code": [c for c in "abcdef" for _ in range(3)],
        "region": [f"Region {c.upper()}" for c in "abcdef" for _ in range(3)],
        "t": [1, 2, 3] * 6,
        "index": [100, 101, 110.0004, 100, 99, 98, 100, 100, 100,
                  100, 103, 107, 100, 95, 90, 100, 100, 101]})
    fig, ax = plt.subplots()
    for code, g in frame.groupby("region_code"):
        if code == "a":
            ax.plot(g["t"], g["index"], label="focus")
        else:
            ax.plot(g["t"], g["index"] + 1e-6, color="grey")  # unrounded vs rounded data
    reporting.save_figure(fig, "99-spaghetti", frame)
    names = sorted(t.get_text() for t in ax.texts)
    # 5 grey lines (last values B 98, C 100, D 107, E 90, F 101), 2 named at each end
    assert names == ["Region B", "Region D", "Region E", "Region F"]
    # lines that match no series of the data stay anonymous
    fig2, ax2 = plt.subplots()
    for k in range(5):
        ax2.plot([1, 2, 3], [k, k + 1, k + 5], color="grey")
    assert style.label_unlabelled_lines(fig2, frame) == []
    plt.close(fig)
    plt.close(fig2)


def test_map_polygons_are_rasterised_in_the_svg(reports_dir: Path) -> None:
    from matplotlib.collections import PolyCollection

    reporting.start_notebook("01-regions-compared")
    fig, ax = plt.subplots()
    squares = [[(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)] for i in range(20)
               for j in range(20)]  # 400 polygons, like a map of EPCI
    coll = PolyCollection(squares, facecolors="#0072B2")
    ax.add_collection(coll)
    ax.autoscale()
    svg = reporting.save_figure(fig, "99-map", pd.DataFrame({"x": [1]})).with_suffix(".svg")
    text = svg.read_text()
    assert "<image" in text and text.count("<path") < 50
    assert coll.get_rasterized() is False  # the figure itself is left as it was
    plt.close(fig)

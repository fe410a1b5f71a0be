"""The book (reports/ site): every internal link resolves, nothing loads from the network,
math is bundled, captions/downloads/results/runs are there; the README's generated
sections are current."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from reindus import config
from reindus.reporting import docs, site
from reindus.reporting.site import interactive, notebook_pages, pages

# A reduced build (one notebook, no interactive maps) keeps this module fast; the full
# build is `reindus report` (timed in the report of the book's branch).
NOTEBOOK = config.NOTEBOOKS_DIR / "00-data-sources.ipynb"
RUN = "00-data-sources__check_quarter-2023Q4"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("site")
    for sub in ("figures", "results", "sweeps"):
        if (config.ROOT / "reports" / sub).exists():
            shutil.copytree(config.ROOT / "reports" / sub, reports / sub)
    # a what-if run folder, as `reindus run 00 -p check_quarter 2023Q4` leaves it
    run = reports / "runs" / RUN
    (run / "results").mkdir(parents=True)
    shutil.copyfile(NOTEBOOK, run / NOTEBOOK.name)
    res = json.loads((reports / "results" / "00-data-sources.json").read_text())
    res["parameters"] = {"check_quarter": "2023Q4"}
    (run / "results" / "00-data-sources.json").write_text(json.dumps(res))
    # a small notebook with what real ones hold: math, an HTML table output, a folded
    # solution, a figure saved under a name built from a parameter
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 98 · A test page\n\n**Question.** Does $x^2$ show?"),
        nbformat.v4.new_code_cell("reporting.table(df)", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": "<table class='dataframe'><tr><td>1</td>"
                                    "</tr></table>", "text/plain": "1"}, execution_count=1)]),
        nbformat.v4.new_markdown_cell("**Exercises.** 1. Why?\n\n<details><summary>Solution"
                                      "</summary>\n\nBecause $y = 1$.\n\n</details>"),
    ]
    fake = tmp_path_factory.mktemp("nb") / "98-test-page.ipynb"
    nbformat.write(nb, str(fake))
    site.build_site(reports, notebooks=[NOTEBOOK, fake], maps=False)
    return reports


def _links(html: str) -> list[str]:
    return [m for m in re.findall(r'(?:href|src)="([^"]+)"', html)
            if not m.startswith(("http://", "https://", "#", "mailto:", "data:", "javascript:"))]


def test_every_internal_link_of_every_page_resolves(built_site: Path) -> None:
    pages_built = [p for p in built_site.rglob("*.html") if "_static" not in p.parts]
    assert len(pages_built) >= 8
    broken, checked = [], 0
    for page in pages_built:
        for link in _links(page.read_text(encoding="utf-8")):
            path = unquote(urlsplit(link).path)
            if path:
                checked += 1
                if not (page.parent / path).exists():
                    broken.append(f"{page.relative_to(built_site)} -> {link}")
    assert checked > 100
    assert not broken, "broken links:\n" + "\n".join(broken[:20])


def test_nothing_is_loaded_from_the_network(built_site: Path) -> None:
    for page in built_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8", errors="replace")
        external = re.findall(r'<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)="(https?:[^"]+)"',
                              text)
        assert not external, f"{page}: loads {external}"
    assert (built_site / "_static" / "mathjax" / "tex-svg.js").stat().st_size > 1_000_000
    methods = (built_site / "methods.html").read_text(encoding="utf-8")  # has formulas
    assert '"_static/mathjax/tex-svg.js' in methods and "\\(" in methods


def test_notebook_page_has_title_summary_captions_downloads(built_site: Path) -> None:
    page = (built_site / "notebooks" / "00-data-sources.html").read_text(encoding="utf-8")
    assert "Data sources: what we use" in page and "Résumé" in page
    meta = json.loads((built_site / "figures" / "00-apprentice-break.json").read_text())
    assert 'Figure <code>00-apprentice-break</code>' in page
    if meta.get("caption"):
        assert meta["caption"].replace("'", "&#x27;") in page
    assert '../figures/00-apprentice-break.csv' in page
    assert '../csv-fr/figures/00-apprentice-break.csv' in page
    assert '../results/00-data-sources.json' in page and "00-data-sources.ipynb" in page
    assert (built_site / "notebooks" / "00-data-sources.ipynb").exists()
    assert "search.html" in page and 'class="prev-next-area"' in page


def test_math_tables_and_folded_solutions_render(built_site: Path) -> None:
    page = (built_site / "notebooks" / "98-test-page.html").read_text(encoding="utf-8")
    assert r"\(x^2\)" in page and '"../_static/mathjax/tex-svg.js' in page
    assert "<table class=\"dataframe\">" in page or "<table class='dataframe'>" in page
    assert "<details><summary>Solution</summary>" in page
    folded = page.split("<details><summary>Solution</summary>", 1)[1].split("</details>")[0]
    assert r"\(y = 1\)" in folded


def test_results_page_labels_filter_and_provenance(built_site: Path) -> None:
    res = (built_site / "results.html").read_text(encoding="utf-8")
    assert 'class="reindus-filter"' in res and 'id="results-table"' in res
    assert "Hauts-de-France share national industry 2022Q4" in res
    prov = (built_site / "provenance.html").read_text(encoding="utf-8")
    assert "ODbL" in prov and "Licence Ouverte" in prov and "third-party snapshot" in prov
    assert 'href="same' not in prov and 'href="see' not in prov
    methods = (built_site / "methods.html").read_text(encoding="utf-8")
    assert "Glossary of French terms" in methods


def test_what_if_run_is_rendered_and_listed(built_site: Path) -> None:
    runs = (built_site / "runs.html").read_text(encoding="utf-8")
    assert f"runs/runs-{RUN}.html" in runs and "check_quarter" in runs
    page = (built_site / "runs" / f"runs-{RUN}.html").read_text(encoding="utf-8")
    assert "What-if (check_quarter-2023Q4)" in page


def test_every_figure_is_in_the_gallery_with_its_data(built_site: Path) -> None:
    gallery = (built_site / "figures.html").read_text(encoding="utf-8")
    for png in (built_site / "figures").glob("*.png"):
        assert f'src="figures/{png.name}"' in gallery
        assert f'href="figures/{png.stem}.csv"' in gallery
        assert f'href="csv-fr/figures/{png.stem}.csv"' in gallery


def test_home_page_in_english_and_french(built_site: Path) -> None:
    index = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'lang="fr"' in index and "réindustrialisation" in index
    assert "notebooks/00-data-sources.html" in index and "results.html" in index


# --------------------------------------------------------------------------- units


def test_french_csv_variant() -> None:
    text = "region_code,quarter,value,label\n01,2024Q1,-1.5,a.b\n32,2024Q2,2e-05,Île\n"
    out = pages.french_csv_text(text)
    assert out.startswith("\ufeff")
    assert out[1:].split("\r\n")[:3] == ["region_code;quarter;value;label",
                                         "01;2024Q1;-1,5;a.b", "32;2024Q2;2e-05;Île"]


def test_readable_labels() -> None:
    assert pages.readable_label("hdf_industry_change_pct_1998q4_2008q4") == (
        "Hauts-de-France industry change % 1998Q4–2008Q4")
    assert pages.readable_label("ti_wave1_did_twfe") == (
        "Territoires d'industrie wave 1 difference-in-differences TWFE")


def test_figure_names_in_cell_sources() -> None:
    names = ["02-index-hdf", "02-index-bfc", "01-map-zones"]
    assert notebook_pages.figure_names_in(
        'reporting.save_figure(fig, f"02-index-{tag}", data=x)', names) == [
        "02-index-hdf", "02-index-bfc"]
    assert notebook_pages.figure_names_in('save_figure(fig, "01-map-zones", d)', names) == [
        "01-map-zones"]
    assert notebook_pages.figure_names_in("save_figure(fig, name, data=d)", names) == []


def test_launch_links_need_a_public_repository() -> None:
    assert notebook_pages.launch_links("", "main", "notebooks/01.ipynb") == []
    binder, colab = notebook_pages.launch_links("https://github.com/o/reindus", "main",
                                                "notebooks/01.ipynb")
    assert "mybinder.org/v2/gh/o/reindus/main?labpath=notebooks/01.ipynb" in binder
    assert "colab.research.google.com/github/o/reindus/blob/main/notebooks/01.ipynb" in colab


def test_offline_map_inlines_leaflet() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame({"code": ["a", "b"], "name": ["A", "B"], "v": [1.0, float("nan")]},
                           geometry=[box(650000, 6800000, 660000, 6810000),
                                     box(660000, 6800000, 670000, 6810000)], crs="EPSG:2154")
    text = interactive.offline_map(gdf, "code", "name",
                                   [interactive.Layer("v", "value", False)], "T", "Source : x")
    assert not re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="https?:', text)
    assert "L.map(" in text or "L.map (" in text
    assert "Leaflet" in text and "no data" in text
    assert text == interactive.offline_map(gdf, "code", "name",
                                           [interactive.Layer("v", "value", False)], "T",
                                           "Source : x")  # deterministic ids


def test_readme_generated_sections_are_current() -> None:
    current = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render_readme(write=False) == current, (
        "README.md is out of date: run `reindus report` (or `make reports`) and commit it")


def test_readme_has_the_two_setup_commands() -> None:
    text = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert "make reports" in text and "make test" in text
    assert "make test" in (config.ROOT / ".ci" / "run").read_text()


def test_declared_notebook_name_comes_from_setup_or_start_notebook() -> None:
    """A what-if copy's page links the results of the notebook it declares, not its file stem."""
    from reindus.reporting.site.notebook_pages import _declared_notebook

    def nb(src: str) -> dict:
        return {"cells": [{"cell_type": "code", "source": src}]}

    assert _declared_notebook(nb('setup("02-accords-before-after", globals())'), "x") == \
        "02-accords-before-after"
    assert _declared_notebook(nb("reporting.start_notebook('01-regions-compared')"), "x") == \
        "01-regions-compared"
    assert _declared_notebook(nb("print('no declaration')"), "stem") == "stem"

"""The reports site links resolve, and the README's generated sections are current."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from reindus import config, docs, site


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    reports = tmp_path_factory.mktemp("site")
    for sub in ("figures", "results", "sweeps"):
        if (config.ROOT / "reports" / sub).exists():
            shutil.copytree(config.ROOT / "reports" / sub, reports / sub)
    site.build_site(reports)
    return reports


def _links(html: str) -> list[str]:
    return [unquote(m) for m in re.findall(r'(?:href|src)="([^"]+)"', html)
            if not m.startswith(("http://", "https://", "#", "mailto:", "data:"))]


def test_every_index_link_resolves(built_site: Path) -> None:
    index = built_site / "index.html"
    links = _links(index.read_text(encoding="utf-8"))
    assert any(link.startswith("notebooks/") for link in links)
    assert "provenance.html" in links
    missing = [link for link in links if not (built_site / link).exists()]
    assert not missing, f"broken links in index.html: {missing}"


def test_every_notebook_and_figure_is_linked(built_site: Path) -> None:
    html = (built_site / "index.html").read_text(encoding="utf-8")
    for nb in sorted(config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb")):
        assert f"notebooks/{nb.stem}.html" in html
    for png in (built_site / "figures").glob("*.png"):
        assert f"figures/{png.name}" in html and f"figures/{png.stem}.csv" in html


def test_provenance_page_flags_third_party(built_site: Path) -> None:
    html = (built_site / "provenance.html").read_text(encoding="utf-8")
    assert "third-party snapshot" in html and "ODbL" in html and "Licence Ouverte" in html


def test_readme_generated_sections_are_current() -> None:
    current = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert docs.render_readme(write=False) == current, (
        "README.md is out of date: run `reindus report` (or `make reports`) and commit it")


def test_readme_has_the_two_setup_commands() -> None:
    text = (config.ROOT / "README.md").read_text(encoding="utf-8")
    assert "make reports" in text and "make test" in text
    assert "make test" in (config.ROOT / ".ci" / "run").read_text()

"""Generated parts of the README (AEA replication-package style).

Two sections of ``README.md`` are generated, between marker comments, so they
cannot drift from the code:

* ``sources``: the data availability statement, one row per registered source
  (producer, licence, official page, how it was obtained);
* ``figures``: a table from each figure and results file to the notebook and
  cell that makes it, read from the figure sidecars and the notebooks.

``reindus report`` rewrites them; a test checks they are current.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from reindus import config
from reindus.config import notebook_paths
from reindus.ingest.io import write_text
from reindus.ingest.sources import load_registry

_MARK = "<!-- BEGIN GENERATED: {0} -->", "<!-- END GENERATED: {0} -->"


def official_link(official_page: str) -> tuple[str, str | None]:
    """(text, target) of a registry ``official_page``: the URL it starts with, a path of
    this repository (``data/...``), or no target at all for free text. Never a link
    to a word such as ``same`` or ``see``."""
    head, _, rest = official_page.partition(" ")
    if head.startswith(("https://", "http://")):
        return (rest.strip(" ()") or "official page"), head
    if head.startswith("data/") and (config.ROOT / head).exists():
        return f"`{head}`" + (f" {rest}" if rest else ""), head
    return official_page, None


def _md_link(text: str, target: str | None) -> str:
    return f"[{text}]({target})" if target else text


def sources_section() -> str:
    """Markdown table: the data availability statement."""
    lines = ["| source | producer | licence | official page | download | obtained from | "
             "third party |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for s in load_registry().values():
        obtained = s.obtained_from.replace("|", "/")
        page = _md_link(*official_link(s.official_page)).replace("|", "/")
        downloads = [f"[registered file]({s.url})"] if s.url else []
        if s.official_url:
            downloads.append(f"[producer's export]({s.official_url})")
        if s.in_repository:
            downloads.append("in this repository")
        lines.append(f"| `{s.id}` ({s.title}) | {s.producer} | {s.licence} | {page} | "
                     f"{', '.join(downloads) or 'mirror only'} | {obtained} | "
                     f"{'yes' if s.third_party else 'no'} |")
    return "\n".join(lines)


def _figure_cells(nb_path: Path) -> list[tuple[int, str]]:
    """(code-cell number, source) of every code cell calling save_figure."""
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    return [(i + 1, "".join(c["source"])) for i, c in enumerate(code)
            if "save_figure" in "".join(c["source"])]


def figures_section(reports: Path | None = None) -> str:
    """Markdown table: figure -> notebook and code cell that makes it."""
    reports = reports or config.ROOT / "reports"
    nbs = {p.stem: p for p in notebook_paths()}
    cells: dict[str, list[tuple[int, str]]] = {}  # each notebook parsed once, not once a figure
    lines = ["| figure | data | notebook | code cell |", "| --- | --- | --- | --- |"]
    for meta_path in sorted((reports / "figures").glob("*.json")):
        meta = json.loads(meta_path.read_text())
        nb = meta.get("notebook", "")
        cell = ""
        if nb in nbs:
            stem = meta_path.stem
            if nb not in cells:
                cells[nb] = _figure_cells(nbs[nb])
            for number, src in cells[nb]:
                # literal name, or an f-string template whose fixed prefix matches
                for m in re.finditer(r"save_figure\(\s*[^,]+,\s*f?[\"']([^\"']+)[\"']", src):
                    pattern = re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(m.group(1)))
                    if re.fullmatch(pattern, stem):
                        cell = str(number)
                        break
                if cell:
                    break
        lines.append(f"| `{meta_path.stem}.png` | `{meta_path.stem}.csv` | `notebooks/{nb}.ipynb` | "
                     f"{cell or 'see notebook'} |")
    for res in sorted((reports / "results").glob("*.json")):
        lines.append(f"| results `{res.name}` (headline numbers) | — | `notebooks/{res.stem}.ipynb` | "
                     "cells calling `record_result` |")
    return "\n".join(lines)


def render_readme(path: Path | None = None, write: bool = True) -> str:
    """Replace the generated sections of the README; return the new text."""
    path = path or config.ROOT / "README.md"
    text = original = path.read_text(encoding="utf-8")
    for name, body in (("sources", sources_section()), ("figures", figures_section())):
        begin, end = (m.format(name) for m in _MARK)
        if begin not in text or end not in text:
            raise ValueError(f"{path}: markers for the generated section {name!r} are missing")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = f"{head}{begin}\n{body}\n{end}{tail}"
    if write and text != original:
        write_text(text, path)  # only when a section changed: an unchanged README keeps its mtime
    return text

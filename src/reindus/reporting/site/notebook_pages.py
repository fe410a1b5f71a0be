"""Book pages of the executed notebooks and of the what-if runs.

A page is a *copy* of the executed notebook (the committed one is never
touched, nor re-executed) with three kinds of markdown cells added:

* after the title cell, a box with the summary in English and French, the
  downloads (the ``.ipynb``, the results JSON, each figure's data) and the
  launch links;
* after each cell that calls ``reporting.save_figure``, the figure's caption
  from its sidecar JSON, its source line and its downloads (PNG, SVG, CSV,
  CSV for a French spreadsheet);
* nothing else: exercise solutions are already ``<details>`` blocks, folded by
  the browser.
"""

from __future__ import annotations

import html
import json
import os
import re
from pathlib import Path
from typing import Any

from reindus.ingest.io import write_text

_SAVE = re.compile(r"save_figure\(\s*[^,]+,\s*(f?)([\"'])(.+?)\2")


def _rel(target: Path, page_dir: Path) -> str:
    """Relative URL from a page's folder to ``target`` (posix, for href)."""
    return Path(os.path.relpath(target, page_dir)).as_posix()


def _md_cell(text: str, cell_id: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": text}


def _sidecars(figures: Path, notebook: str) -> dict[str, dict[str, Any]]:
    """Figure name -> sidecar JSON, for the figures made by ``notebook``."""
    out = {}
    for path in sorted(figures.glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("notebook") == notebook:
            out[path.stem] = meta
    return out


def figure_names_in(source: str, candidates: list[str]) -> list[str]:
    """Figures a cell saves: literal names, or f-string templates matched against candidates.

    ``save_figure(fig, f"02-index-{tag}", ...)`` matches ``02-index-hdf``; a name
    built in a variable (``save_figure(fig, name, ...)``) matches nothing here and
    its figure is listed in the page's download box instead.
    """
    found: list[str] = []
    for is_f, _, name in _SAVE.findall(source):
        if is_f:
            pattern = re.sub(r"\\\{[^}]*\\\}", ".+", re.escape(name))
            found += [c for c in candidates if re.fullmatch(pattern, c) and c not in found]
        elif name in candidates and name not in found:
            found.append(name)
    return found


def _summary_box(stem: str, book: dict[str, Any], downloads: list[str],
                 launch: list[str]) -> str:
    info = (book.get("notebooks") or {}).get(stem, {})
    parts = []
    if info.get("en"):
        parts.append(f'<p class="lang-en"><b>Summary.</b> {html.escape(info["en"])}</p>')
    if info.get("fr"):
        parts.append(f'<p class="lang-fr" lang="fr"><b>Résumé.</b> '
                     f'{html.escape(info["fr"])}</p>')
    parts.append('<p class="reindus-downloads"><b>Downloads:</b> ' + " ".join(downloads) + "</p>")
    if launch:
        parts.append('<p class="reindus-downloads"><b>Run it:</b> ' + " ".join(launch) + "</p>")
    else:
        parts.append('<p class="src"><b>Run it:</b> <code>reindus run NN</code> locally; Binder '
                     "and Colab links appear once the repository's public URL is set "
                     "(<code>repository</code> in <code>docs/book/book.yml</code>).</p>")
    return '<div class="reindus-summary">\n' + "\n".join(parts) + "\n</div>"


def launch_links(repo: str, branch: str, path_in_repo: str) -> list[str]:
    """Binder (environment.yml of the repository) and Colab links for a notebook."""
    if not repo:
        return []
    m = re.match(r"https://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?$", repo)
    if not m:
        return []
    owner, name = m.groups()
    binder = (f"https://mybinder.org/v2/gh/{owner}/{name}/{branch}"
              f"?labpath={path_in_repo}")
    colab = f"https://colab.research.google.com/github/{owner}/{name}/blob/{branch}/{path_in_repo}"
    return [f'<a href="{binder}">Binder (environment.yml)</a>', f'<a href="{colab}">Colab</a>']


def write_notebook_page(nb_path: Path, src: Path, folder: str, reports: Path,
                        book: dict[str, Any], *, doc_stem: str | None = None,
                        title_prefix: str = "", figures: Path | None = None,
                        results: Path | None = None, ipynb: Path | None = None,
                        path_in_repo: str | None = None) -> str:
    """Write the book's copy of an executed notebook; return its document name.

    The page is ``src/<folder>/<doc_stem>.ipynb`` and is built into
    ``reports/<folder>/<doc_stem>.html``. ``figures``/``results`` default to
    ``reports/figures`` and ``reports/results`` (a what-if run passes its own
    folders); ``ipynb`` is the file offered for download (default: the copy
    that :func:`reindus.reporting.site.build_site` puts in ``reports/notebooks/``).
    """
    from reindus.reporting.site.pages import caption_html, french_dir_for, repository_url

    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    stem = nb_path.stem
    doc_stem = doc_stem or stem
    figures = figures or reports / "figures"
    results = results or reports / "results"
    page_dir = reports / folder
    fig_href = _rel(figures, page_dir)
    fr_dir = french_dir_for(reports, figures)
    fr_href = _rel(fr_dir, page_dir) if fr_dir.exists() else None
    declared = _declared_notebook(nb, stem)
    metas = _sidecars(figures, declared)
    names = sorted(metas)
    ipynb = ipynb or reports / "notebooks" / f"{stem}.ipynb"
    downloads = [f'<a href="{_rel(ipynb, page_dir)}" download>notebook (.ipynb)</a>']
    res = results / f"{declared}.json"
    if res.exists():
        downloads.append(f'<a href="{_rel(res, page_dir)}">results (JSON)</a>')
    downloads += [f'<a href="{fig_href}/{html.escape(n)}.csv">{html.escape(n)}.csv</a>'
                  for n in names]
    launch = launch_links(repository_url(book), str(book.get("branch") or "main"),
                          path_in_repo or f"notebooks/{stem}.ipynb")
    cells: list[dict[str, Any]] = []
    placed: set[str] = set()
    title_done = False
    for i, cell in enumerate(nb["cells"]):
        text = "".join(cell.get("source", ""))
        is_title = (not title_done and cell["cell_type"] == "markdown"
                    and text.lstrip().startswith("# "))
        if is_title and title_prefix:
            cell = {**cell, "source": text.replace("# ", f"# {title_prefix}", 1)}
        cells.append(cell)
        if is_title:
            title_done = True
            cells.append(_md_cell(_summary_box(stem, book, downloads, launch),
                                  f"reindus-summary-{i}"))
        if cell["cell_type"] == "code" and "save_figure" in text:
            for name in figure_names_in(text, names):
                if name not in placed:
                    placed.add(name)
                    cells.append(_md_cell(caption_html(name, metas[name], fig_href, fr_href,
                                                       figures),
                                          f"reindus-caption-{i}-{name}"))
    nb["cells"] = cells
    write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n",
               src / folder / f"{doc_stem}.ipynb")
    return f"{folder}/{doc_stem}"


def _declared_notebook(nb: dict[str, Any], stem: str) -> str:
    """The name the notebook opens its record under: the first argument of
    ``setup(...)`` (or of ``reporting.start_notebook``); default: its file stem."""
    for cell in nb.get("cells", []):
        m = re.search(r"\b(?:setup|start_notebook)\(\s*[\"']([^\"']+)[\"']",
                      "".join(cell.get("source", "")))
        if m:
            return m.group(1)
    return stem


def run_folders(reports: Path) -> list[Path]:
    """Folders of what-if runs (``reports/runs/*``) and interactive scratch sessions."""
    found = []
    for parent in (reports / "runs", reports / "scratch"):
        if parent.is_dir():
            # ".run-*" folders are runs under way (staging), not results
            found += sorted(p for p in parent.iterdir() if p.is_dir() and not p.name.startswith("."))
    return found


def write_run_pages(reports: Path, src: Path, book: dict[str, Any]) -> list[dict[str, Any]]:
    """One page per executed what-if notebook; return a description of every run folder.

    Each entry: ``slug``, ``folder`` (relative to reports), ``doc`` (document name
    or ``None`` for a folder without an executed notebook), ``parameters``,
    ``figures`` (names) and ``results`` (path relative to reports or ``None``).
    """
    runs = []
    for folder in run_folders(reports):
        nb = next(iter(sorted(folder.glob("[0-9][0-9]-*.ipynb"))), None)
        res = next(iter(sorted((folder / "results").glob("*.json"))), None) \
            if (folder / "results").is_dir() else None
        params: dict[str, Any] = {}
        if res is not None:
            params = json.loads(res.read_text(encoding="utf-8")).get("parameters", {})
        doc = None
        slug = f"{folder.parent.name}-{folder.name}"
        if nb is not None:
            # the folder's slug names the parameters that differ from the defaults
            # (run_slug: "<notebook>__name-value__..."); all parameters are in the results
            label = (folder.name.split("__", 1)[1].replace("__", ", ") if "__" in folder.name
                     else ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
                     or folder.name)
            doc = write_notebook_page(
                nb, src, "runs", reports, book, doc_stem=slug,
                title_prefix=f"What-if ({label}) · ", figures=folder / "figures",
                results=folder / "results", ipynb=nb)
        runs.append({
            "slug": slug, "folder": folder.relative_to(reports).as_posix(), "doc": doc,
            "parameters": params,
            "figures": sorted(p.stem for p in (folder / "figures").glob("*.png"))
            if (folder / "figures").is_dir() else [],
            "results": res.relative_to(reports).as_posix() if res is not None else None,
        })
    return runs

"""The reindus book: the executed notebooks, figures and results as an offline website.

``reindus report`` (the second half of ``make reports``) calls :func:`build_site`,
which builds ``reports/`` with Sphinx, MyST-NB and sphinx-book-theme, the
notebook ecosystem's maintained book tool chain:

1. pages are generated into a temporary staging folder (:mod:`.pages`): the
   home page in English and French, one page per executed notebook (rendered as
   committed, never re-executed; figure captions, downloads and launch links
   added to a *copy*, :mod:`.notebook_pages`), the results page with a filter,
   the provenance table, the methods primer and glossary, the interactive maps
   (:mod:`.interactive`) and the what-if runs;
2. Sphinx renders them with the configuration in ``docs/book/conf.py``.

Everything the pages load is local (theme assets from sphinx-book-theme, MathJax
from sphinx-mathjax-offline, Leaflet from XStatic-Leaflet), so the folder reads
offline from ``file://`` and the build reaches nothing but the Python packages.
The committed ``reports/figures``, ``reports/results`` and ``reports/sweeps``
stay where they are; the HTML beside them is git-ignored.

The build is skipped when nothing it reads changed and its outputs are intact, and
it is staged so that a failed or killed build leaves the previous book as it was
(:mod:`.cache`).
"""

from __future__ import annotations

import io
import os
import shutil
import sys
import tempfile
import warnings as warnings_module
from pathlib import Path
from typing import Any

from reindus import config
from reindus.reporting.site import cache

__all__ = ["BOOK_DIR", "build_site", "mathjax_dir", "up_to_date"]

#: Book configuration and texts (conf.py, book.yml, _static/).
BOOK_DIR: Path = config.ROOT / "docs" / "book"


def mathjax_dir() -> Path:
    """MathJax 3 shipped by the ``sphinx-mathjax-offline`` package (no CDN)."""
    import importlib.util

    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the sphinx-mathjax-offline package is missing: "
                                "pip install 'sphinx-mathjax-offline>=0.0.2,<0.1'")
    path = Path(spec.origin).parent / "static" / "mathjax"
    if not (path / "tex-svg.js").is_file():
        raise FileNotFoundError(f"{path}: tex-svg.js missing; reinstall sphinx-mathjax-offline")
    return path


def build_site(reports: Path | None = None, *, notebooks: list[Path] | None = None,
               maps: bool = True, quiet: bool = True, force: bool = False) -> Path:
    """Build the book into ``reports`` (default ``reports/``); return ``index.html``.

    Nothing is built when the last complete build read the same inputs and its
    outputs are intact (:func:`.cache.book_key`, :func:`.cache.up_to_date`). Otherwise
    the book is built in a staging folder and moved into place only when Sphinx
    succeeded (:func:`.cache.install`).

    Parameters
    ----------
    reports
        Folder holding ``figures/``, ``results/`` (and optionally ``sweeps/``,
        ``runs/``, ``scratch/``); the HTML is written beside them.
    notebooks
        Executed notebooks to include (default: every ``notebooks/NN-*.ipynb``).
        Tests pass one to keep the build short.
    maps
        Build the interactive maps page (the slowest page: it reads contours).
    quiet
        Hide Sphinx's progress; warnings are still raised as errors when they
        concern broken references.
    force
        Build even when the recorded build is up to date.
    """
    reports = (reports or config.reports_dir()).resolve()
    reports.mkdir(parents=True, exist_ok=True)
    plan = _plan(reports, notebooks, maps)
    if not force and cache.up_to_date(reports, plan["key"]):
        return reports / "index.html"
    with cache.staging(reports) as out:
        _build(out, plan["notebooks"], plan["book"], maps=maps, quiet=quiet,
               repository=plan["repository"], branch=plan["branch"])
        cache.install(out, reports, plan["key"])
    return reports / "index.html"


def up_to_date(reports: Path | None = None, *, notebooks: list[Path] | None = None,
               maps: bool = True) -> bool:
    """True when :func:`build_site` with these arguments would build nothing."""
    reports = (reports or config.reports_dir()).resolve()
    return cache.up_to_date(reports, _plan(reports, notebooks, maps)["key"])


def _plan(reports: Path, notebooks: list[Path] | None, maps: bool) -> dict[str, Any]:
    """The notebooks, book settings and cache key of a build."""
    from reindus.config import notebook_paths
    from reindus.reporting.site import pages

    nbs = list(notebooks) if notebooks is not None else notebook_paths()
    book = pages.load_book()
    repo = pages.repository_url(book)
    branch = str(book.get("branch") or "main")
    return {"notebooks": nbs, "book": book, "repository": repo, "branch": branch,
            "key": cache.book_key(reports, nbs, maps=maps, repository=repo, branch=branch)}


def _build(reports: Path, nbs: list[Path], book: dict[str, Any], *, maps: bool, quiet: bool,
           repository: str, branch: str) -> None:
    """Write the pages and run Sphinx with ``reports`` (a staging folder) as the output."""
    from sphinx.application import Sphinx

    from reindus.reporting.site import interactive, notebook_pages, pages

    with tempfile.TemporaryDirectory(prefix="reindus-book-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        static = Path(tmp) / "static"
        shutil.copytree(BOOK_DIR / "_static", static)
        # SVG output only: the CHTML web fonts are not used
        shutil.copytree(mathjax_dir(), static / "mathjax",
                        ignore=shutil.ignore_patterns("*.py", "__pycache__", "chtml", "chtml.js",
                                                      "*chtml*.js"))
        # the French-spreadsheet CSVs first: the pages link to them
        french = pages.write_french_csvs(reports)
        nb_docs = [notebook_pages.write_notebook_page(nb, src, "notebooks", reports, book)
                   for nb in nbs]
        run_docs = notebook_pages.write_run_pages(reports, src, book)
        map_doc = interactive.write_maps_page(src, reports) if maps else None
        pages.write_pages(src, reports, book, nb_docs=nb_docs, run_docs=run_docs,
                          map_doc=map_doc, french_csvs=french)
        warnings = io.StringIO()
        # MyST-NB extracts output images into <outdir>/../jupyter_execute before copying
        # them to _images: beside the output folder (in the staging folder). Removed after.
        scratch_images = reports.parent / "jupyter_execute"
        had_scratch = scratch_images.exists()
        env_before = {k: os.environ.get(k) for k in ("REINDUS_BOOK_REPOSITORY",
                                                      "REINDUS_BOOK_BRANCH")}
        # conf.py reads the repository (launch buttons) from the environment
        os.environ["REINDUS_BOOK_REPOSITORY"] = repository
        os.environ["REINDUS_BOOK_BRANCH"] = branch
        try:
            with warnings_module.catch_warnings():
                # deprecation notices of myst-parser/myst-nb against newer Sphinx: not ours
                warnings_module.filterwarnings("ignore", category=DeprecationWarning)
                warnings_module.filterwarnings("ignore", category=PendingDeprecationWarning)
                app = Sphinx(str(src), str(BOOK_DIR), str(reports), str(Path(tmp) / "doctrees"),
                             "html", confoverrides={"html_static_path": [str(static)]},
                             status=None if quiet else sys.stdout, warning=warnings,
                             freshenv=True, keep_going=True, parallel=0)
                app.build(force_all=True)
        finally:
            for k, v in env_before.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        if not had_scratch:
            shutil.rmtree(scratch_images, ignore_errors=True)
        if not quiet and warnings.getvalue().strip():
            print(warnings.getvalue(), file=sys.stderr)
        problems = [w for w in warnings.getvalue().splitlines()
                    if "undefined label" in w or "unknown document" in w or "ERROR" in w]
        if problems:
            raise RuntimeError("the book has broken references:\n" + "\n".join(problems))
    # the executed notebooks, offered for download beside their pages
    for nb in nbs:
        shutil.copyfile(nb, reports / "notebooks" / nb.name)
    (reports / ".buildinfo").unlink(missing_ok=True)
    (reports / ".buildinfo.bak").unlink(missing_ok=True)

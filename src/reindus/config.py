"""Every path the project uses, in one place.

Paths can be redirected with environment variables, which is how tests and
``reindus run`` keep their outputs apart from the committed ones:

``REINDUS_MIRROR``
    Directory holding a mirror of the official files (``../shared/data`` in
    the Makefile). Without it, ``reindus fetch`` downloads from the official
    URLs, which needs the internet.
``REINDUS_RAW``
    Where fetched raw files go (default ``data/raw``, git-ignored).
``REINDUS_PROCESSED``
    Where processed tables are read from and built into (default
    ``data/processed``, committed).
``REINDUS_REPORTS``
    Where figures, results and HTML go (default ``reports``). ``reindus run``
    sets it for each kernel (to a staging folder moved into place on success).
    A notebook started without it (JupyterLab, a script) writes to the
    git-ignored ``reports/scratch/<notebook>/`` instead (see
    :func:`reindus.reporting.start_notebook`), so exploring never rewrites the
    published outputs.
``REINDUS_REFERENCE``
    Where the project's own reference tables are read from (default
    ``data/reference``, committed). The loaders and the build read this one
    folder, so an edited table is never ignored; tests point it at bad copies.
``REINDUS_NOTEBOOKS``
    Folder of the numbered notebooks (default ``notebooks``); tests point it at
    small notebooks of their own.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Root of the project checkout (the folder holding ``pyproject.toml``).
ROOT: Path = Path(__file__).resolve().parents[2]
DATA_DIR: Path = ROOT / "data"
REFERENCE_DIR: Path = DATA_DIR / "reference"
SOURCES_FILE: Path = DATA_DIR / "sources.toml"
NOTEBOOKS_DIR: Path = ROOT / "notebooks"
#: Default location of the read-only source mirror, beside the checkout.
DEFAULT_MIRROR: Path = ROOT.parent / "shared" / "data"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser().resolve() if value else default


def raw_dir() -> Path:
    """Directory of fetched raw files (git-ignored)."""
    return _env_path("REINDUS_RAW", DATA_DIR / "raw")


def processed_dir() -> Path:
    """Directory of the processed Parquet tables (the embedded default data)."""
    return _env_path("REINDUS_PROCESSED", DATA_DIR / "processed")


def reference_dir() -> Path:
    """Directory of the project's reference tables (accords, industrial events)."""
    return _env_path("REINDUS_REFERENCE", REFERENCE_DIR)


#: Set by :func:`reindus.reporting.start_notebook` in a kernel started without
#: ``REINDUS_REPORTS``: that kernel's outputs go to the scratch folder.
_reports_override: Path | None = None


def reports_dir() -> Path:
    """Directory of figures, results JSON and HTML reports."""
    return _env_path("REINDUS_REPORTS", _reports_override or ROOT / "reports")


def scratch_dir() -> Path:
    """``reports/scratch``: git-ignored outputs of interactive runs."""
    return ROOT / "reports" / "scratch"


def set_reports_override(path: Path | None) -> None:
    """Send this process's reports to ``path`` when ``REINDUS_REPORTS`` is unset."""
    global _reports_override
    _reports_override = path


def notebooks_dir() -> Path:
    """Folder of the numbered notebooks (``REINDUS_NOTEBOOKS``, default ``notebooks``)."""
    return _env_path("REINDUS_NOTEBOOKS", NOTEBOOKS_DIR)


def notebook_paths() -> list[Path]:
    """The numbered notebooks, in order (``notebooks/NN-*.ipynb``)."""
    return sorted(p for p in notebooks_dir().glob("[0-9][0-9]-*.ipynb"))


def mirror_dir() -> Path | None:
    """The mirror directory from ``REINDUS_MIRROR``, or ``None`` when unset."""
    value = os.environ.get("REINDUS_MIRROR")
    return Path(value).expanduser().resolve() if value else None


#: Overseas regions (DROM) by COG code: Guadeloupe, Martinique, Guyane, La Réunion, Mayotte.
#: One definition for every layer (no census covariates, not on the metropolitan maps, left
#: out of donor pools).
OVERSEAS_REGIONS: tuple[str, ...] = ("01", "02", "03", "04", "06")


#: The library's own folder (``src/reindus``).
PACKAGE_DIR: Path = Path(__file__).resolve().parent


def library_files() -> list[Path]:
    """Every module of the library (``src/reindus/**/*.py``), sorted: the code part of the
    notebook run cache key and of the book's (a change anywhere reruns and rebuilds)."""
    return sorted(PACKAGE_DIR.rglob("*.py"))

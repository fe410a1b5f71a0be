"""The book's build cache: skip Sphinx when nothing the book reads has changed.

``reindus report`` spends ten to twenty seconds in Sphinx even when nothing changed.
:func:`book_key` hashes everything the build reads; the last build's key and the
sha256 of every file it wrote are kept in ``reports/.cache/book.json`` (git-ignored,
so a fresh clone builds). :func:`up_to_date` is true only when the key is the same
and every recorded output is present with its recorded bytes: an edited input, a
deleted or edited page, a new package version or another set of notebooks rebuilds.

The build itself is staged: :func:`staging` gives a folder
``reports/.stage-book-p<pid>-…/out`` whose ``figures``, ``results``, ``sweeps``,
``runs``, ``scratch`` and ``MANIFEST.json`` are links to the real ones, so the pages'
relative links are those of ``reports/``; Sphinx writes there, and :func:`install`
moves the finished outputs into ``reports/`` (one rename per top-level file or folder)
and writes the record last. The record is deleted before the first move, so a build
killed while installing is rebuilt by the next run; a build killed before leaves only
its staging folder, removed by the next build or ``make clean-reports``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reindus import config
from reindus.ingest.files import package_versions, pid_alive, sha256_file

#: What the book reads in ``reports/`` (links in the staging folder; never outputs).
INPUTS: tuple[str, ...] = ("figures", "results", "sweeps", "runs", "scratch", "MANIFEST.json")
#: Packages whose version can change a page: the Sphinx tool chain and the map's readers.
BOOK_PACKAGES: tuple[str, ...] = (
    "sphinx", "docutils", "myst-nb", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme",
    "sphinx-mathjax-offline", "XStatic-Leaflet", "nbformat", "Pygments", "Jinja2", "PyYAML",
    "numpy", "pandas", "pyarrow", "shapely", "geopandas")
#: Prefix of the staging folders of builds under way (``make clean-reports`` removes them).
STAGE_PREFIX = ".stage-book-"
#: Version of the record's layout: a new layout rebuilds once.
_RECORD_VERSION = 1


def record_path(reports: Path) -> Path:
    """``<reports>/.cache/book.json``: key and output hashes of the last complete build."""
    return reports / ".cache" / "book.json"


def _files(root: Path, folders: bool = False) -> list[Path]:
    """Every file under ``root`` (itself if a file), sorted; staging folders skipped.

    With ``folders``, the folders too: an empty what-if run folder is a row of the
    runs page.
    """
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*")
                  if (p.is_file() or (folders and p.is_dir()))
                  and not any(part.startswith((".run-", STAGE_PREFIX))
                              for part in p.relative_to(root).parts))


def _versions() -> str:
    return package_versions(tuple(BOOK_PACKAGES))


def book_key(reports: Path, notebooks: list[Path], *, maps: bool, repository: str,
             branch: str) -> str:
    """sha256 of everything a build of the book reads.

    Hashed, each file by its path and bytes: the published outputs the pages show
    (``reports/`` :data:`INPUTS`), the executed notebooks and their MyST twins, the
    book's configuration and texts (``docs/``), the library's source
    (``src/reindus/**/*.py``: the site code and every reader it calls), the source
    registry, the processed-data manifest and the reference tables (the maps and the
    provenance page), the Python and :data:`BOOK_PACKAGES` versions, and the build's
    arguments (which notebooks, maps or not, the repository of the launch buttons).
    """
    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)

    add("arguments", json.dumps({"notebooks": [p.name for p in notebooks], "maps": maps,
                                 "repository": repository, "branch": branch}).encode())
    for name in INPUTS:
        for f in _files(reports / name, folders=True):
            add(f"reports/{f.relative_to(reports).as_posix()}",
                f.read_bytes() if f.is_file() else b"<folder>")
    for nb in notebooks:
        add(f"notebook/{nb.name}", nb.read_bytes())
        twin = nb.with_suffix(".md")
        add(f"twin/{twin.name}", twin.read_bytes() if twin.is_file() else b"")
    for f in config.library_files():
        add(f"src/{f.relative_to(config.PACKAGE_DIR).as_posix()}", f.read_bytes())
    roots = [("docs", config.ROOT / "docs"), ("sources", config.SOURCES_FILE),
             ("processed", config.processed_dir() / "MANIFEST.json"),
             ("reference", config.reference_dir())]
    for label, root in roots:
        base = root if root.is_dir() else root.parent
        for f in _files(root):
            add(f"{label}/{f.relative_to(base).as_posix()}", f.read_bytes())
    add("versions", _versions().encode())
    return h.hexdigest()


def _read_record(reports: Path) -> dict | None:
    try:
        record = json.loads(record_path(reports).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    ok = (isinstance(record, dict) and record.get("version") == _RECORD_VERSION
          and isinstance(record.get("outputs"), dict))
    return record if ok else None


def up_to_date(reports: Path, key: str) -> bool:
    """True when the last complete build had ``key`` and every file it wrote is intact."""
    record = _read_record(reports)
    if record is None or record.get("key") != key or not record["outputs"]:
        return False
    for rel, entry in record["outputs"].items():
        path = reports / rel
        try:
            size, digest = entry
            if path.stat().st_size != size or sha256_file(path) != digest:
                return False
        except (OSError, TypeError, ValueError):  # gone, unreadable, or a damaged record
            return False
    return True


def remove_stale_stages(reports: Path) -> list[Path]:
    """Delete the staging folders left by builds whose process is gone; return them."""
    gone = []
    for stage in sorted(reports.glob(f"{STAGE_PREFIX}*")):
        m = re.match(rf"{re.escape(STAGE_PREFIX)}p(\d+)-", stage.name)
        if stage.is_dir() and not (m and pid_alive(int(m.group(1)))):
            shutil.rmtree(stage, ignore_errors=True)
            gone.append(stage)
    return gone


@contextlib.contextmanager
def staging(reports: Path) -> Iterator[Path]:
    """A folder shaped like ``reports/`` for the build to write into, removed on exit.

    Its :data:`INPUTS` are symbolic links to the real ones, so relative links from the
    pages are those of the final ``reports/``; everything else in it is an output.
    """
    remove_stale_stages(reports)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}p{os.getpid()}-", dir=reports))
    try:
        out = stage / "out"
        out.mkdir()
        for name in INPUTS:
            if (reports / name).exists():
                (out / name).symlink_to(reports / name, target_is_directory=(reports / name)
                                        .is_dir())
        yield out
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on ``folder`` (no lock file): one install at a time."""
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def install(out: Path, reports: Path, key: str) -> dict[str, list]:
    """Move a finished build from ``out`` into ``reports`` and record it; return the outputs.

    Each top-level file is replaced with one rename, each top-level folder swapped
    with two (the old one is deleted after). Outputs of the previous build that this
    one did not produce (the maps of a build without maps) are deleted. The record
    (:func:`record_path`) is removed first and written last.
    """
    from reindus.ingest.io import write_json

    names = sorted(p.name for p in out.iterdir() if p.name not in INPUTS)
    outputs = {f.relative_to(out).as_posix(): [f.stat().st_size, sha256_file(f)]
               for name in names for f in _files(out / name)}
    trash = out.parent / "old"
    trash.mkdir()
    with _locked(reports):
        previous = _read_record(reports)
        record_path(reports).unlink(missing_ok=True)
        for name in names:
            target = reports / name
            if target.is_dir() and not target.is_symlink():
                os.replace(target, trash / name)
            elif (out / name).is_dir():
                target.unlink(missing_ok=True)  # a file where the new folder goes
            os.replace(out / name, target)
        stale = {rel.split("/", 1)[0] for rel in (previous or {}).get("outputs", {})}
        for name in sorted(stale - set(names) - set(INPUTS)):
            target = reports / name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            else:
                target.unlink(missing_ok=True)
        write_json({"about": "key and sha256 of every file of the last complete book build "
                    "(reindus report); git-ignored, a missing or different record rebuilds",
                    "version": _RECORD_VERSION, "key": key, "outputs": outputs},
                   record_path(reports))
    return outputs

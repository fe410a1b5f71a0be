"""Build the processed tables (``data/processed/*.parquet``) from the raw files.

The build is safe against interruption and concurrency:

1. **Lock.** One build at a time per output folder: an exclusive ``fcntl``
   lock on ``<out>/.build.lock``. A second build exits with a
   :class:`BuildLocked` error (exit code 2) naming the process that holds
   it. The kernel releases the lock when that process ends, even when it is
   killed, so a lock is never stale.
2. **Clean start.** Under the lock, staging folders (``.stage-*``) and
   temporary files (``.*.tmp``) left by a killed build are removed: no
   other build can be using them.
3. **Everything before anything.** All raw files are verified against their
   sha256 and all tables are built in memory and written to a staging folder
   before anything in the output folder changes. A failure leaves it untouched.
4. **Write-ahead manifest.** Before the first table is moved into place,
   ``MANIFEST.json`` is rewritten atomically with a ``pending`` list of the
   tables about to change; after the last one, it is rewritten without it.
   A kill in between leaves a manifest that says which tables are in an
   unknown state; :func:`read_manifest` (used by ``reindus.data``) refuses
   them until the build is run again. The manifest is never silently stale.

``MANIFEST.json`` holds, per table, its sha256, rows, columns, the source ids
it came from and, for contours, the number of geometries repaired with
``make_valid``.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.ingest.io import sha256_file, write_json, write_parquet
from reindus.ingest.loaders import TABLES, loader
from reindus.ingest.sources import load_registry, verify

LOCK_NAME = ".build.lock"
STAGE_PREFIX = ".stage-"
MANIFEST_NAME = "MANIFEST.json"
_MANIFEST_FIX = ("restore it from git (git checkout data/processed/MANIFEST.json), or delete it "
                 "and rebuild every table with `reindus build`")


class BuildLocked(DataError):
    """Another build holds the lock on the output folder."""


@contextlib.contextmanager
def build_lock(out_dir: Path) -> Iterator[None]:
    """Hold the exclusive build lock of ``out_dir`` (non-blocking).

    Raises
    ------
    BuildLocked
        When another process holds it.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / LOCK_NAME
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the lock's lifetime
    try:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise BuildLocked(out_dir, f"another `reindus build` (pid {holder}) is writing this "
                              "folder right now", "wait for it to finish, then run the build "
                              "again (the lock is released as soon as that process ends)") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()  # closing the descriptor releases the lock


def clean_stale(out_dir: Path) -> list[Path]:
    """Remove staging folders and temporary files left by killed builds.

    Call only while holding :func:`build_lock`: then no live build owns them.
    """
    removed = []
    for p in sorted(out_dir.glob(f"{STAGE_PREFIX}*")):
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    for p in sorted(out_dir.glob(".*.tmp")):
        if p.is_file():
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def read_manifest(out_dir: Path | None = None, *, missing_ok: bool = True) -> dict:
    """Read and validate ``MANIFEST.json``.

    Returns ``{"tables": {}}`` when the file is absent and ``missing_ok``.

    Raises
    ------
    DataError
        When it is not valid JSON or lacks the expected structure (a
        ``tables`` object whose entries carry ``sha256``, ``rows`` and ``columns``).
    """
    path = (out_dir or config.processed_dir()) / MANIFEST_NAME
    if not path.exists():
        if missing_ok:
            return {"tables": {}}
        raise DataError(path, "the manifest is missing", _MANIFEST_FIX)
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DataError(path, f"the manifest is not UTF-8 text (byte {exc.start})",
                        _MANIFEST_FIX) from None
    except json.JSONDecodeError as exc:
        raise DataError(path, f"the manifest is not valid JSON (line {exc.lineno}, column "
                        f"{exc.colno}: {exc.msg}); it is corrupt or truncated", _MANIFEST_FIX) from None
    tables = manifest.get("tables") if isinstance(manifest, dict) else None
    if not isinstance(tables, dict):
        raise DataError(path, "the manifest has no 'tables' object", _MANIFEST_FIX)
    for name, entry in tables.items():
        ok = (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
              and len(entry["sha256"]) == 64 and isinstance(entry.get("rows"), int)
              and isinstance(entry.get("columns"), list))
        if not ok:
            raise DataError(path, f"the manifest entry of table {name!r} lacks a valid sha256, "
                            "rows or columns", _MANIFEST_FIX)
    pending = manifest.get("pending", [])
    if not isinstance(pending, list):
        raise DataError(path, "the manifest's 'pending' field is not a list", _MANIFEST_FIX)
    return manifest


def _write_table(df: pd.DataFrame, path: Path) -> None:
    df = df.copy()
    df.attrs = {}  # provenance notes go to the manifest, not into the Parquet metadata
    if hasattr(df, "geometry") and df.__class__.__name__ == "GeoDataFrame":
        df.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
    else:
        write_parquet(df, path)


def _verify_sources(names: list[str], raw_dir: Path) -> dict[str, str]:
    """Verify every raw or reference file the tables need; return ``{source id: sha256}``."""
    registry = load_registry()
    needed = {sid for n in names for sid in TABLES[n].sources}
    for sid in sorted(needed):
        src = registry[sid]
        path = src.raw_path(raw_dir)
        if not path.exists():
            fix = ("restore it from git (git checkout data/reference)" if src.in_repository
                   else "run `reindus fetch` (make data does both steps)")
            raise DataError(path, f"the file of source {sid!r} is missing", fix)
        if src.in_repository:
            digest = sha256_file(path)
            if digest != src.sha256:
                raise DataError(path, f"the reference table of source {sid!r} differs from its "
                                f"registered sha256 (it was edited: now {digest}, "
                                f"{path.stat().st_size} bytes)",
                                f"if the edit is intended, set sha256 = \"{digest}\" and bytes = "
                                f"{path.stat().st_size} for {sid!r} in data/sources.toml and build "
                                "again; otherwise restore it (git checkout data/reference)")
        else:
            verify(src, path)
    return {s.id: s.sha256 for s in registry.values()}


def build(
    tables: Iterable[str] | None = None,
    *,
    raw_dir: Path | None = None,
    out_dir: Path | None = None,
    progress: Callable[[Iterable[str]], Iterable[str]] | None = None,
) -> dict[str, dict]:
    """Build processed tables and return the manifest entries written.

    Parameters
    ----------
    tables
        Names from :data:`reindus.ingest.loaders.TABLES` (default: all).
    raw_dir, out_dir
        Default to ``data/raw`` (``$REINDUS_RAW``) and ``data/processed``
        (``$REINDUS_PROCESSED``).
    progress
        Optional wrapper around the iterable of table names (e.g. ``tqdm``).

    Raises
    ------
    BuildLocked
        When another build is writing ``out_dir``.
    DataError
        For any bad input (missing or altered raw file, a loader's check,
        a corrupt manifest); ``out_dir`` is then left as it was.
    """
    raw_dir = raw_dir or config.raw_dir()
    out_dir = out_dir or config.processed_dir()
    names = list(tables) if tables else list(TABLES)
    unknown = [n for n in names if n not in TABLES]
    if unknown:
        raise DataError(out_dir, f"unknown table(s) {unknown}",
                        f"use names among: {', '.join(TABLES)}")
    with build_lock(out_dir):
        clean_stale(out_dir)
        manifest = read_manifest(out_dir)
        sources = _verify_sources(names, raw_dir)
        built: dict[str, pd.DataFrame] = {}
        for name in (progress(names) if progress else names):
            built[name] = loader(name)(raw_dir)

        stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=STAGE_PREFIX))
        try:
            entries = {}
            for name, df in built.items():
                staged = stage / f"{name}.parquet"
                _write_table(df, staged)
                entries[name] = {
                    "sha256": sha256_file(staged),
                    "rows": int(len(df)),
                    "columns": [str(c) for c in df.columns],
                    "sources": list(TABLES[name].sources),
                }
                if df.attrs.get("geometry_repairs"):
                    entries[name]["geometry_repairs"] = int(df.attrs["geometry_repairs"])
            # Write-ahead: say which tables are about to change before touching any.
            manifest["pending"] = sorted(set(manifest.get("pending", [])) | set(built))
            write_json(manifest, out_dir / MANIFEST_NAME)
            for name in built:
                os.replace(stage / f"{name}.parquet", out_dir / f"{name}.parquet")
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        manifest["tables"].update(entries)
        manifest["pending"] = sorted(set(manifest["pending"]) - set(built))
        if not manifest["pending"]:
            del manifest["pending"]
        manifest["sources"] = sources
        # Parquet bytes embed the writer's versions: a rebuild is byte-identical only with these.
        import pyarrow

        manifest["written_with"] = {"pandas": pd.__version__, "pyarrow": pyarrow.__version__}
        write_json(manifest, out_dir / MANIFEST_NAME)
    return entries


def manifest_digest(out_dir: Path | None = None) -> str:
    """sha256 of the manifest: one identifier for the whole data vintage."""
    path = (out_dir or config.processed_dir()) / MANIFEST_NAME
    return hashlib.sha256(path.read_bytes()).hexdigest()

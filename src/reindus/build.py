"""Build the processed tables (``data/processed/*.parquet``) from the raw files.

All tables are built in memory and written to a staging folder first; only
when every loader succeeded are they moved into place, followed by
``MANIFEST.json`` (sha256, rows and columns of each table, and the sha256 of
the sources it came from). A failure leaves the previous tables untouched.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.io import sha256_file, write_json, write_parquet
from reindus.loaders import TABLE_SOURCES, TABLES, loader
from reindus.sources import load_registry, verify


def _write_table(df: pd.DataFrame, path: Path) -> None:
    if hasattr(df, "geometry") and df.__class__.__name__ == "GeoDataFrame":
        df.to_parquet(path, index=False, compression="zstd", write_covering_bbox=False)
    else:
        write_parquet(df, path)


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
        Names from :data:`reindus.loaders.TABLES` (default: all).
    raw_dir, out_dir
        Default to ``data/raw`` and ``data/processed``.
    progress
        Optional wrapper around the iterable of table names (e.g. ``tqdm``).
    """
    raw_dir = raw_dir or config.raw_dir()
    out_dir = out_dir or config.processed_dir()
    names = list(tables) if tables else list(TABLES)
    registry = load_registry()
    # Check every raw file against its registered hash before anything is read.
    needed = {sid for n in names for sid in TABLE_SOURCES.get(n, ())}
    for sid in sorted(needed):
        src = registry[sid]
        path = raw_dir / src.file
        if not path.exists():
            raise DataError(path, f"raw file of source {sid!r} is missing",
                            "run `reindus fetch` (make data does both steps)")
        verify(src, path)
    built: dict[str, pd.DataFrame] = {}
    for name in (progress(names) if progress else names):
        built[name] = loader(name)(raw_dir)

    out_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"tables": {}}
    stage = Path(tempfile.mkdtemp(dir=out_dir, prefix=".stage-"))
    try:
        for name, df in built.items():
            _write_table(df, stage / f"{name}.parquet")
        for name, df in built.items():
            final = out_dir / f"{name}.parquet"
            os.replace(stage / f"{name}.parquet", final)
            manifest["tables"][name] = {
                "sha256": sha256_file(final),
                "rows": int(len(df)),
                "columns": [str(c) for c in df.columns],
                "sources": list(TABLE_SOURCES.get(name, ())),
            }
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    manifest["sources"] = {s.id: s.sha256 for s in registry.values()}
    # Parquet bytes embed the writer's versions: a rebuild is byte-identical only with these.
    import pandas
    import pyarrow

    manifest["written_with"] = {"pandas": pandas.__version__, "pyarrow": pyarrow.__version__}
    write_json(manifest, manifest_path)
    return {n: manifest["tables"][n] for n in built}


def manifest_digest(out_dir: Path | None = None) -> str:
    """sha256 of the manifest: one identifier for the whole data vintage."""
    path = (out_dir or config.processed_dir()) / "MANIFEST.json"
    return hashlib.sha256(path.read_bytes()).hexdigest()

"""``reindus check``: is everything what it claims to be?

1. Raw files present in ``data/raw`` have their registered sha256.
2. Processed tables have the sha256 recorded in ``MANIFEST.json``, read
   back with the expected columns and pass their pandera schema.
3. Committed notebooks were executed top to bottom with no error output, and
   each has its results JSON.
"""

from __future__ import annotations

import json

from reindus import config
from reindus.data import read_table
from reindus.errors import DataError
from reindus.io import sha256_file
from reindus.notebooks import notebook_paths
from reindus.schemas import TABLE_SCHEMAS, validate
from reindus.sources import load_registry, verify


def run_checks(verbose: bool = False) -> list[str]:
    """Run all checks; return the list of problems (empty = all good)."""
    problems: list[str] = []
    for src in load_registry().values():
        path = src.raw_path()
        if path.exists():
            try:
                verify(src, path)
            except DataError as exc:
                problems.append(str(exc))
    manifest_path = config.processed_dir() / "MANIFEST.json"
    if not manifest_path.exists():
        problems.append(f"{manifest_path}: missing; run `make data`")
        return problems
    manifest = json.loads(manifest_path.read_text())
    for name, entry in manifest["tables"].items():
        path = config.processed_dir() / f"{name}.parquet"
        if not path.exists():
            problems.append(f"{path}: missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{path}: sha256 differs from MANIFEST.json (rebuilt or edited?)")
        else:
            import pyarrow.parquet as pq

            cols = pq.read_schema(path).names
            if cols != entry["columns"]:
                problems.append(f"{path}: columns {cols} differ from the manifest")
            elif name in TABLE_SCHEMAS:
                try:
                    validate(read_table(name), TABLE_SCHEMAS[name], path)
                except DataError as exc:
                    problems.append(str(exc))
    for nb in notebook_paths():
        cells = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"
                 and c.get("source")]
        counts = [c.get("execution_count") for c in cells]
        if any(n is None for n in counts) or counts != list(range(1, len(counts) + 1)):
            problems.append(f"{nb.name}: not executed top to bottom in one kernel; run "
                            f"`reindus run {nb.stem[:2]}`")
        if any(o.get("output_type") == "error" for c in cells for o in c.get("outputs", [])):
            problems.append(f"{nb.name}: a stored output is an error")
        if not (config.ROOT / "reports" / "results" / f"{nb.stem}.json").exists():
            problems.append(f"{nb.name}: no reports/results/{nb.stem}.json; run `make reports`")
    if verbose and not problems:
        print(f"checked {len(manifest['tables'])} processed tables and {len(notebook_paths())} notebooks")
    return problems

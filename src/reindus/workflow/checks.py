"""``reindus check``: is everything what it claims to be?

Each check returns a list of problems, one line each, naming the file, what
differs and the fix; ``reindus check`` prints them and exits 1 when there is
any. The checks read only; nothing is repaired behind the user's back.

1. Raw files present in ``data/raw`` have their registered sha256.
2. Processed tables have the sha256 recorded in ``MANIFEST.json``, read back
   with the expected columns and pass their pandera schema.
3. Results JSON have the sha256 recorded in ``reports/MANIFEST.json`` (written
   by ``reindus run`` when it moves a run into place): an edited number fails.
4. Figure CSVs have the sha256 recorded in their JSON sidecar
   (``data_sha256``, written by :func:`reindus.reporting.save_figure`), and the
   figure they describe exists.
5. Notebooks were executed top to bottom in one kernel (execution counts 1, 2,
   3…), hold no error output, match their ``.md`` twin cell for cell, and
   have their results JSON.
6. Published results (and figure sidecars) were made with the notebook's
   default parameters: a what-if run must not stand in for the record.
7. No leftover staging or temporary files: ``.stage-*`` (killed builds),
   ``.run-*`` (killed notebook runs), ``*.tmp`` (interrupted atomic writes),
   ``.*.from-twin.ipynb``.
8. ``--deep``: every notebook is re-executed into a temporary folder and its
   numbers are compared with the published ones within the tolerances of
   :mod:`reindus.reporting.regression`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reindus import config
from reindus.errors import DataError
from reindus.ingest.io import sha256_file


def _read_json(path: Path, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: not valid JSON ({exc}); restore it with `git checkout -- "
                        f"{path}` or regenerate it")
    except OSError as exc:
        problems.append(f"{path}: cannot be read ({exc.strerror})")
    return None


def check_raw() -> list[str]:
    """Raw files present in ``data/raw`` against their registered sha256."""
    from reindus.ingest.sources import load_registry, verify

    problems: list[str] = []
    try:
        registry = load_registry()
    except DataError as exc:
        return [str(exc)]
    for src in registry.values():
        path = src.raw_path()
        if path.exists():
            try:
                verify(src, path)
            except DataError as exc:
                problems.append(str(exc))
    return problems


def check_processed() -> list[str]:
    """Processed tables against ``MANIFEST.json``: sha256, columns, schema."""
    import pyarrow.parquet as pq

    from reindus.data import read_table
    from reindus.ingest.loaders import TABLES
    from reindus.ingest.schemas import validate

    problems: list[str] = []
    manifest_path = config.processed_dir() / "MANIFEST.json"
    if not manifest_path.exists():
        return [f"{manifest_path}: missing; run `make data`"]
    manifest = _read_json(manifest_path, problems)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        return problems or [f"{manifest_path}: has no 'tables' mapping; run `reindus build`"]
    for name, entry in manifest["tables"].items():
        path = config.processed_dir() / f"{name}.parquet"
        if not path.exists():
            problems.append(f"{path}: missing; run `reindus build`")
        elif sha256_file(path) != entry.get("sha256"):
            problems.append(f"{path}: sha256 differs from MANIFEST.json (rebuilt or edited?); "
                            "run `reindus build`, or `git checkout` the committed table")
        else:
            cols = pq.read_schema(path).names
            if cols != entry.get("columns"):
                problems.append(f"{path}: columns {cols} differ from the manifest; run "
                                "`reindus build`")
            elif name in TABLES and TABLES[name].schema is not None:
                try:
                    validate(read_table(name), TABLES[name].schema, path)
                except DataError as exc:
                    problems.append(str(exc))
    for path in sorted(config.processed_dir().glob("*.parquet")):
        if path.stem not in manifest["tables"]:
            problems.append(f"{path}: not in MANIFEST.json (a stray table); delete it or run "
                            "`reindus build`")
    return problems


def check_results(reports: Path | None = None) -> list[str]:
    """Results JSON against the sha256 recorded in ``reports/MANIFEST.json``."""
    from reindus.workflow.notebooks import results_manifest_path

    reports = reports or config.reports_dir()
    problems: list[str] = []
    results = sorted((reports / "results").glob("*.json"))
    manifest_path = results_manifest_path(reports)
    if not manifest_path.exists():
        if results:
            problems.append(f"{manifest_path}: missing, so the results cannot be verified; run "
                            "`make reports` (it records the sha256 of each results file)")
        return problems
    manifest = _read_json(manifest_path, problems)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("results"), dict):
        return problems or [f"{manifest_path}: has no 'results' mapping; run `make reports`"]
    recorded: dict[str, str] = manifest["results"]
    for path in results:
        rel = path.relative_to(reports).as_posix()
        if rel not in recorded:
            problems.append(f"{path}: not recorded in {manifest_path.name} (written by hand or "
                            f"by an older run); run `reindus run {path.stem[:2]}`")
        elif sha256_file(path) != recorded[rel]:
            problems.append(f"{path}: differs from the sha256 recorded by its run (edited "
                            f"after the run?); {_moved_numbers(path)}run `reindus run "
                            f"{path.stem[:2]}` or `git checkout -- {rel}`")
    for rel in recorded:
        if not (reports / rel).exists():
            problems.append(f"{reports / rel}: recorded in {manifest_path.name} but missing; run "
                            f"`reindus run {Path(rel).stem[:2]}`")
    return problems


def _moved_numbers(path: Path) -> str:
    """Names of the results that differ from the last committed copy, when git knows it."""
    import subprocess

    try:
        rel = path.resolve().relative_to(config.ROOT)
        old = subprocess.run(["git", "-C", str(config.ROOT), "show", f"HEAD:{rel.as_posix()}"],
                             capture_output=True, text=True, timeout=20, check=True).stdout
        from reindus.reporting.regression import compare_results

        diffs = compare_results(json.loads(old), json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, OSError, subprocess.SubprocessError, json.JSONDecodeError):
        return ""
    return ("changed: " + "; ".join(map(str, diffs[:5])) + "; ") if diffs else ""


def check_figures(reports: Path | None = None) -> list[str]:
    """Figure CSVs against the ``data_sha256`` of their JSON sidecar."""
    reports = reports or config.reports_dir()
    problems: list[str] = []
    for sidecar in sorted((reports / "figures").glob("*.json")):
        meta = _read_json(sidecar, problems)
        if not isinstance(meta, dict) or "data_sha256" not in meta:
            if meta is not None:
                problems.append(f"{sidecar}: no data_sha256; rerun its notebook")
            continue
        csv = sidecar.parent / meta.get("data", f"{sidecar.stem}.csv")
        nb = str(meta.get("notebook", "?"))
        if not csv.exists():
            problems.append(f"{csv}: missing (its sidecar {sidecar.name} describes it); run "
                            f"`reindus run {nb[:2]}`")
        elif sha256_file(csv) != meta["data_sha256"]:
            problems.append(f"{csv}: data differ from the sha256 in {sidecar.name} (edited after "
                            f"the run?); run `reindus run {nb[:2]}` or `git checkout` it")
        for key in ("figure", "svg"):
            name = meta.get(key, f"{sidecar.stem}.png" if key == "figure" else None)
            if name and not (sidecar.parent / name).exists():
                problems.append(f"{sidecar.parent / name}: missing (its sidecar {sidecar.name} "
                                f"describes it); run `reindus run {nb[:2]}`")
    for csv in sorted((reports / "figures").glob("*.csv")):
        if not csv.with_suffix(".json").exists():
            problems.append(f"{csv}: no JSON sidecar, so nothing says where it comes from; "
                            "delete it or rerun the notebook that makes it")
    return problems


def check_notebooks(reports: Path | None = None) -> list[str]:
    """Executed top to bottom, no error output, in sync with the twin, results present."""
    from reindus.workflow.notebooks import cell_sources, from_twin, notebook_paths, twin_path

    reports = reports or config.reports_dir()
    problems: list[str] = []
    for nb in notebook_paths():
        doc = _read_json(nb, problems)
        if not isinstance(doc, dict):
            continue
        cells = [c for c in doc.get("cells", []) if c.get("cell_type") == "code"
                 and "".join(c.get("source", "")).strip()]
        counts = [c.get("execution_count") for c in cells]
        if any(n is None for n in counts) or counts != list(range(1, len(counts) + 1)):
            problems.append(f"{nb}: not executed top to bottom in one kernel (execution counts "
                            f"{_short(counts)}); run `reindus run {nb.stem[:2]}`")
        errors = [i for i, c in enumerate(cells, 1)
                  if any(o.get("output_type") == "error" for o in c.get("outputs", []))]
        if errors:
            problems.append(f"{nb}: code cell(s) {errors} hold an error output; fix the "
                            f"notebook and run `reindus run {nb.stem[:2]}`")
        twin = twin_path(nb)
        if twin.exists():
            try:
                same = cell_sources(from_twin(twin)) == cell_sources(doc)
            except Exception as exc:  # a twin jupytext cannot read is a problem to report
                problems.append(f"{twin}: cannot be read as MyST notebook ({exc})")
            else:
                if not same:
                    problems.append(f"{nb}: cells differ from its twin {twin.name} (edited one "
                                    f"without the other); run `reindus run {nb.stem[:2]}`")
        if not (reports / "results" / f"{nb.stem}.json").exists():
            problems.append(f"{nb}: no {reports / 'results' / (nb.stem + '.json')}; run "
                            f"`reindus run {nb.stem[:2]}`")
    return problems


def _short(counts: list[Any]) -> str:
    return str(counts if len(counts) <= 8 else [*counts[:8], "…"])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and math.isclose(a, b, rel_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def check_parameters(reports: Path | None = None) -> list[str]:
    """Published results and figures made with parameters other than the defaults."""
    from reindus.workflow.notebooks import notebook_paths
    from reindus.workflow.parameters import notebook_parameters

    reports = reports or config.reports_dir()
    problems: list[str] = []
    defaults = {}
    for nb in notebook_paths():
        try:
            defaults[nb.stem] = {k: p.default for k, p in notebook_parameters(nb).items()}
        except (SyntaxError, ValueError) as exc:
            problems.append(f"{nb}: its parameters cell cannot be read ({exc})")

    def compare(path: Path, notebook: str, params: dict[str, Any]) -> None:
        if notebook not in defaults:
            return
        moved = {k: v for k, v in params.items()
                 if k in defaults[notebook] and not _same(v, defaults[notebook][k])}
        if moved:
            shown = ", ".join(f"{k}={v!r} (default {defaults[notebook][k]!r})"
                              for k, v in sorted(moved.items()))
            problems.append(f"{path}: published output made with non-default parameters "
                            f"{shown}; run `reindus run {notebook[:2]}` to restore the record")

    for path in sorted((reports / "results").glob("*.json")):
        doc = _read_json(path, [])
        if isinstance(doc, dict) and isinstance(doc.get("parameters"), dict):
            compare(path, str(doc.get("notebook", path.stem)), doc["parameters"])
    for path in sorted((reports / "figures").glob("*.json")):
        doc = _read_json(path, [])
        if isinstance(doc, dict) and isinstance(doc.get("parameters"), dict):
            compare(path, str(doc.get("notebook")), doc["parameters"])
    return problems


#: Names of leftovers: staging folders of killed builds and runs, interrupted
#: atomic writes, twin-built notebooks, write probes of the command line.
LEFTOVER_PATTERNS = (".stage-*", ".run-*", ".*.tmp", ".*.from-twin.ipynb",
                     ".reindus-write-test-*")


def check_leftovers(roots: list[Path] | None = None) -> list[str]:
    """Staging folders and temporary files left by interrupted commands."""
    from reindus.workflow.notebooks import stale_stages

    roots = roots or [config.processed_dir(), config.reports_dir(), config.notebooks_dir()]
    problems = []
    for root in roots:
        if not root.is_dir():
            continue
        live = set()
        for pattern in LEFTOVER_PATTERNS:
            for path in sorted(root.rglob(pattern)):
                if any(part.startswith(".run-") for part in path.relative_to(root).parts[:-1]):
                    continue  # inside a staging folder: reported with the folder
                if path.name.startswith(".run-") and path not in stale_stages(path.parent):
                    live.add(path)
                    continue  # a run under way (its process is alive)
                kind = "folder" if path.is_dir() else "file"
                problems.append(f"{path}: leftover temporary {kind} of an interrupted command; "
                                "run `make clean-reports` (reports) or delete it")
    return problems


def check_deep(reports: Path | None = None) -> list[str]:
    """Re-execute every notebook into a temporary folder; compare numbers with the published."""
    import tempfile

    from reindus.reporting.regression import compare_dirs
    from reindus.workflow.notebooks import NotebookFailed, execute, notebook_paths

    reports = reports or config.reports_dir()
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="reindus-check-deep-") as tmp:
        fresh = Path(tmp)
        for nb in notebook_paths():
            try:
                execute(nb, output=fresh / nb.name, reports_dir=fresh)
            except NotebookFailed as exc:
                problems.append(f"{nb}: re-execution failed: {exc}")
                continue
        problems += [f"{reports / 'results'}: {d} (re-executed); run `reindus run "
                     f"{d.notebook[:2]}` if the change is intended"
                     for d in compare_dirs(reports / "results", fresh / "results",
                                           [p.stem for p in notebook_paths()])]
    return problems


#: The checks run by ``reindus check``, in order.
CHECKS: dict[str, Callable[[], list[str]]] = {
    "raw files": check_raw,
    "processed tables": check_processed,
    "results": check_results,
    "figures": check_figures,
    "notebooks": check_notebooks,
    "parameters": check_parameters,
    "leftovers": check_leftovers,
}


def run_checks(verbose: bool = False, deep: bool = False,
               only: tuple[str, ...] | None = None) -> list[str]:
    """Run the checks (all, or those named in ``only``); return the problems (empty = all good)."""
    problems: list[str] = []
    for name, check in CHECKS.items():
        if only is not None and name not in only:
            continue
        found = check()
        if verbose:
            print(f"{'ok  ' if not found else 'FAIL'} {name}" + (f": {len(found)} problem(s)"
                                                                 if found else ""))
        problems += found
    if deep:
        found = check_deep()
        if verbose:
            print(f"{'ok  ' if not found else 'FAIL'} numbers re-executed (--deep)")
        problems += found
    return problems

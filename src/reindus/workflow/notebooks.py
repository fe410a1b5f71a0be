"""Execute the numbered notebooks (papermill) and export them to HTML (nbconvert).

Each notebook has a text twin, ``notebooks/NN-*.md`` (jupytext MyST Markdown):
the twin is the source that authors edit and reviewers read; the executed
``.ipynb`` beside it is the artefact that readers open and nbval re-executes.
:func:`execute` builds the notebook from its twin before running it, and a test
checks that the committed pair is in sync.

Executed notebooks are committed, so execution must be reproducible: timing
metadata that papermill and nbclient add is removed after each run, leaving
only what the code printed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from reindus import config
from reindus.config import notebook_paths
from reindus.ingest.files import package_versions, pid_alive, sha256_file


def resolve(name: str) -> list[Path]:
    """``"all"``, ``"01"``, ``"01-regions-compared"`` or a path -> notebook paths."""
    if name == "all":
        return notebook_paths()
    path = Path(name)
    if path.suffix == ".ipynb" and path.exists():
        return [path.resolve()]
    hits = [p for p in notebook_paths() if p.stem == name or p.stem.startswith(f"{name}-")]
    if not hits:
        known = ", ".join(p.stem for p in notebook_paths())
        raise ValueError(f"no notebook matches {name!r}; known: {known}")
    return hits


def _strip_volatile(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    pm = nb.get("metadata", {}).get("papermill", {})
    for key in ("start_time", "end_time", "duration", "input_path", "output_path", "exception"):
        pm.pop(key, None)
    for cell in nb.get("cells", []):
        if cell.get("outputs"):
            cell["outputs"] = _coalesce_streams(cell["outputs"])
        meta = cell.get("metadata", {})
        meta.pop("execution", None)
        meta.get("papermill", {}).clear()
        meta.pop("papermill", None)
    from reindus.ingest.io import write_text  # pandas and pyarrow: not needed to check the cache

    write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", path)


def _coalesce_streams(outputs: list[dict]) -> list[dict]:
    """Merge consecutive stdout (or stderr) chunks: how a kernel splits them varies by run."""
    merged: list[dict] = []
    for out in outputs:
        prev = merged[-1] if merged else None
        if (out.get("output_type") == "stream" and prev is not None
                and prev.get("output_type") == "stream" and prev.get("name") == out.get("name")):
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else:
            merged.append(out)
    for out in merged:
        if out.get("output_type") == "stream" and isinstance(out.get("text"), str):
            out["text"] = out["text"].splitlines(keepends=True)
    return merged


KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def twin_path(path: Path) -> Path:
    """The MyST Markdown twin of a notebook (``NN-name.md`` beside ``NN-name.ipynb``)."""
    return path.with_suffix(".md")


def from_twin(md_path: Path):
    """Read a MyST twin into a notebook with stable cell ids and the project's kernelspec.

    Cell ids are ``cell-000``, ``cell-001``… so that a rebuild produces no
    random churn in git; jupytext's own metadata stays in the ``.md`` only.
    """
    import jupytext

    nb = jupytext.read(md_path, fmt="md:myst")
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.metadata.pop("vscode", None)
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def cell_sources(nb) -> list[tuple[str, str]]:
    """(cell type, source) of every cell: what the twin and the notebook must share."""
    return [(c["cell_type"], "".join(c["source"]).strip("\n")) for c in nb["cells"]]


def run_slug(stem: str, parameters: dict[str, Any]) -> str:
    """Folder name of a parameterised run, e.g. ``01-regions-compared__region-44``."""
    parts = [f"{k}-{v}" for k, v in sorted(parameters.items())]
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", "__".join([stem, *parts]))


class NotebookFailed(RuntimeError):
    """A notebook raised during execution; nothing was written to its destination."""


#: Prefix of the staging folders of runs under way (git-ignored; see :func:`recover`).
STAGE_PREFIX = ".run-"
#: Kernel command-line options: only errors from the kernel's own logger. Without it,
#: every run prints "Kernel is running over TCP" warnings and, at shutdown,
#: "KeyboardInterrupt caught in kernel", which read like failures.
KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]


def stale_stages(root: Path) -> list[Path]:
    """Staging folders under ``root`` left by runs whose process is gone."""
    out = []
    if not root.is_dir():
        return out
    for d in sorted(root.glob(f"**/{STAGE_PREFIX}*")):
        m = re.search(r"-p(\d+)-", d.name)
        if d.is_dir() and not (m and pid_alive(int(m.group(1)))):
            out.append(d)
    return out


def recover(root: Path) -> list[Path]:
    """Finish or discard the staged runs that a killed process left under ``root``.

    A staging folder with a ``COMMIT.json`` journal was killed while moving its
    files into place: the remaining moves are replayed (roll forward), so the
    destination holds the complete new run. Without a journal the run never
    finished: the folder is deleted and the destination was never touched.
    """
    import shutil

    done = []
    for stage in stale_stages(root):
        journal = stage / "COMMIT.json"
        if journal.exists():
            try:
                plan = json.loads(journal.read_text(encoding="utf-8"))
            except (json.JSONDecodeError, OSError):
                plan = None  # the journal itself was being written: nothing was moved yet
            if plan:
                _apply(plan)
        shutil.rmtree(stage, ignore_errors=True)
        done.append(stage)
    return done


def _move(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(src, dst)
    except OSError as exc:
        import errno
        import shutil

        if exc.errno != errno.EXDEV:
            raise
        # another file system: copy beside the target, then rename (still atomic per file)
        tmp = dst.parent / f".{dst.name}.{os.getpid()}.tmp"
        shutil.copy2(src, tmp)
        os.replace(tmp, dst)
        src.unlink()


def _apply(plan: dict[str, Any]) -> None:
    for src, dst in plan["moves"]:
        if Path(src).exists():
            _move(Path(src), Path(dst))
    for path in plan["delete"]:
        Path(path).unlink(missing_ok=True)


def _stale_outputs(dest_reports: Path, stem: str, produced: set[Path]) -> list[Path]:
    """Figure files that an earlier run of ``stem`` wrote and this run did not."""
    stale = []
    for sidecar in sorted((dest_reports / "figures").glob("*.json")):
        try:
            owner = json.loads(sidecar.read_text(encoding="utf-8")).get("notebook")
        except (json.JSONDecodeError, OSError):
            continue
        if owner != stem:
            continue
        for f in sidecar.parent.glob(f"{sidecar.stem}.*"):
            if f.relative_to(dest_reports) not in produced and f.suffix in (".png", ".csv", ".json",
                                                                             ".svg"):
                stale.append(f)
    return stale


def _locked(folder: Path):
    """An exclusive lock on the folder itself (no lock file), released on exit."""
    import contextlib
    import fcntl

    @contextlib.contextmanager
    def cm():
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock
    return cm()


#: Record of the results files that default runs wrote: ``reports/MANIFEST.json``.
def results_manifest_path(reports: Path) -> Path:
    """``<reports>/MANIFEST.json``: sha256 of every results JSON written by a run."""
    return reports / "MANIFEST.json"


def run_cache_path(reports: Path) -> Path:
    """``<reports>/.cache/runs.json``: cache key of the last default run of each notebook."""
    return reports / ".cache" / "runs.json"


def _commit(stage_reports: Path, dest_reports: Path, stem: str, executed: Path, output: Path,
            stage: Path, *, replace_dir: bool, key: str | None = None) -> None:
    """Move a successful run's files into place, journalled so that a kill cannot tear it."""
    from reindus.ingest.io import write_json

    moves: list[tuple[str, str]] = []
    produced: set[Path] = set()
    for f in sorted(p for p in stage_reports.rglob("*") if p.is_file()):
        rel = f.relative_to(stage_reports)
        produced.add(rel)
        moves.append((str(f), str(dest_reports / rel)))
    moves.append((str(executed), str(output)))
    if replace_dir:  # a what-if folder holds one run only: remove what this run did not write
        keep = {Path(d) for _, d in moves}
        delete = [p for p in dest_reports.rglob("*") if p.is_file() and p not in keep] \
            if dest_reports.is_dir() else []
    else:
        delete = _stale_outputs(dest_reports, stem, produced)
    with _locked(stage.parent):
        # the results manifest is updated under the lock: runs of other notebooks may commit too
        manifest_path = results_manifest_path(dest_reports)
        if not replace_dir:
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            except (FileNotFoundError, json.JSONDecodeError):
                manifest = {}
            files = dict(manifest.get("results", {}))
            for rel in produced:
                if rel.parts[0] == "results" and rel.suffix == ".json":
                    files[rel.as_posix()] = sha256_file(stage_reports / rel)
            staged_manifest = stage / "MANIFEST.json"
            write_json({"about": "sha256 of each results JSON as written by `reindus run`; "
                        "`reindus check` compares them", "results": dict(sorted(files.items()))},
                       staged_manifest)
            moves.append((str(staged_manifest), str(manifest_path)))
            if key is not None:
                # The cache keys stay on this machine (git-ignored): a fresh clone or CI
                # executes everything, and the committed record holds no machine state.
                cache_path = run_cache_path(dest_reports)
                try:
                    runs = json.loads(cache_path.read_text(encoding="utf-8"))
                except (FileNotFoundError, json.JSONDecodeError):
                    runs = {}
                runs[stem] = key
                staged_cache = stage / "runs.json"
                write_json(runs, staged_cache)
                moves.append((str(staged_cache), str(cache_path)))
        plan = {"moves": moves, "delete": [str(p) for p in delete]}
        write_json(plan, stage / "COMMIT.json")
        _apply(plan)


#: Packages whose version can change a notebook's numbers or figures: part of the cache key.
KEY_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "matplotlib", "geopandas", "shapely",
                "pyarrow", "seaborn", "pysyncon", "differences")


def cache_key(path: Path) -> str:
    """What a default run of ``path`` depends on, hashed.

    sha256 over: the notebook's source (its MyST twin, else its cells), the
    processed-data manifest and the reference files, the library's source
    (``src/reindus/**/*.py``), and the Python and key package versions. Equal
    keys mean a rerun would execute the same code on the same data with the
    same libraries: ``reindus run`` skips such a notebook when its recorded
    outputs are also intact (see :func:`up_to_date`). Keys are kept in the
    git-ignored ``reports/.cache/runs.json``, so a fresh clone runs everything.
    """
    import hashlib

    h = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode())
        h.update(data)

    twin = twin_path(path)
    if twin.exists():
        add("twin", twin.read_bytes())
    else:
        add("cells", json.dumps(cell_sources(json.loads(path.read_text(encoding="utf-8"))))
            .encode())
    manifest = config.processed_dir() / "MANIFEST.json"
    add("processed", manifest.read_bytes() if manifest.exists() else b"")
    for ref in sorted(config.REFERENCE_DIR.glob("*")) if config.REFERENCE_DIR.is_dir() else []:
        if ref.is_file():
            add(f"reference/{ref.name}", ref.read_bytes())
    # the whole library (every layer a notebook calls), not only this folder
    for src in config.library_files():
        add(src.relative_to(config.PACKAGE_DIR).as_posix(), src.read_bytes())
    add("versions", _versions().encode())
    return h.hexdigest()


def _versions() -> str:
    """Python and :data:`KEY_PACKAGES` versions (read once a process)."""
    return package_versions(tuple(KEY_PACKAGES))


def up_to_date(path: Path, reports: Path | None = None, key: str | None = None) -> bool:
    """True when the last default run of ``path`` had this cache key and its outputs are intact.

    Intact: the executed notebook exists, its results JSON has the sha256
    recorded in ``reports/MANIFEST.json``, and each of its figure CSVs has the
    sha256 of its sidecar. Anything else (an edited file, a missing figure, a
    changed library) means the notebook must run again.
    """

    reports = reports or config.reports_dir()
    try:
        manifest = json.loads(results_manifest_path(reports).read_text(encoding="utf-8"))
        runs = json.loads(run_cache_path(reports).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return False
    if runs.get(path.stem) != (key or cache_key(path)) or not path.exists():
        return False
    results = reports / "results" / f"{path.stem}.json"
    rel = f"results/{path.stem}.json"
    if not results.exists() or manifest.get("results", {}).get(rel) != sha256_file(results):
        return False
    for sidecar in (reports / "figures").glob("*.json"):
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return False
        if meta.get("notebook") != path.stem:
            continue
        csv = sidecar.parent / meta.get("data", "")
        if not csv.is_file() or sha256_file(csv) != meta.get("data_sha256") \
                or not (sidecar.parent / meta.get("figure", "")).is_file():
            return False
    return True


def execute(path: Path, parameters: dict[str, Any] | None = None,
            output: Path | None = None, reports_dir: Path | None = None,
            timeout: int = 600, what_if: bool | None = None) -> Path:
    """Execute one notebook with papermill; return the executed notebook's path.

    Without parameters the notebook is executed in place and writes to the
    default ``reports/``. With parameters (a what-if run), the executed copy and
    its figures and results go to ``reports/runs/<slug>/`` so the committed,
    default outputs stay as they are. ``what_if=True`` forces the latter even
    when every value is a default (sweeps never write the published outputs).

    The run is atomic: the notebook and its reports are written into a staging
    folder (``.run-<name>-p<pid>-…`` inside the destination's reports folder)
    and moved into place only when every cell succeeded. A failed run raises
    :class:`NotebookFailed` and leaves the notebook, ``reports/`` and any
    what-if folder byte-identical; a killed run leaves a staging folder that
    the next run (or ``make clean-reports``) removes, see :func:`recover`.
    """
    import shutil
    import tempfile

    import papermill as pm

    parameters = dict(parameters or {})
    key = cache_key(path) if not parameters else None  # taken before the run: what it ran on
    if what_if is None:
        what_if = bool(parameters) and output is None
    if what_if:
        run_dir = config.reports_dir() / "runs" / run_slug(path.stem, parameters)
        output = run_dir / path.name
        reports_dir = reports_dir or run_dir
    output = output or path
    dest_reports = reports_dir or config.reports_dir()
    stage_parent = dest_reports.parent if what_if else dest_reports
    stage_parent.mkdir(parents=True, exist_ok=True)
    recover(stage_parent)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{path.stem}-p{os.getpid()}-",
                                  dir=stage_parent))
    try:
        stage_reports = stage / "reports"
        stage_reports.mkdir()
        executed = stage / output.name
        twin = twin_path(path)
        source = path
        if twin.exists():
            # The twin is the source: build the notebook it describes and run that
            # (cwd stays the notebook's folder, so relative paths in cells keep working).
            import nbformat

            source = stage / f"from-twin-{path.name}"
            nbformat.write(from_twin(twin), str(source))
        env_before = os.environ.get("REINDUS_REPORTS")
        os.environ["REINDUS_REPORTS"] = str(stage_reports)
        try:
            pm.execute_notebook(str(source), str(executed), parameters=parameters,
                                cwd=str(path.parent), kernel_name="python3", progress_bar=False,
                                request_save_on_cell_execute=False, execution_timeout=timeout,
                                extra_arguments=KERNEL_ARGS)
        except pm.PapermillExecutionError as exc:
            raise NotebookFailed(
                f"{path.name} failed at cell {exc.exec_count} ({exc.ename}: "
                f"{str(exc.evalue).splitlines()[0] if exc.evalue else ''}); nothing was written to "
                f"{output} or {dest_reports}") from None
        finally:
            if env_before is None:
                os.environ.pop("REINDUS_REPORTS", None)
            else:
                os.environ["REINDUS_REPORTS"] = env_before
        _strip_volatile(executed)
        _commit(stage_reports, dest_reports, path.stem, executed, output, stage,
                replace_dir=what_if, key=key if output == path else None)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return output


def to_html(path: Path, out_dir: Path | None = None) -> Path:
    """Export an executed notebook to standalone HTML (code shown, outputs embedded)."""
    from nbconvert import HTMLExporter

    from reindus.ingest.io import write_text

    out_dir = out_dir or config.reports_dir() / "notebooks"
    body, _ = HTMLExporter().from_filename(str(path))
    target = out_dir / f"{path.stem}.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(body, target)
    return target

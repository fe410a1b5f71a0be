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
from reindus.io import write_text


def notebook_paths() -> list[Path]:
    """The numbered notebooks, in order (``notebooks/NN-*.ipynb``)."""
    return sorted(p for p in config.NOTEBOOKS_DIR.glob("[0-9][0-9]-*.ipynb"))


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


def execute(path: Path, parameters: dict[str, Any] | None = None,
            output: Path | None = None, reports_dir: Path | None = None,
            timeout: int = 600) -> Path:
    """Execute one notebook with papermill; return the executed notebook's path.

    Without parameters the notebook is executed in place and writes to the
    default ``reports/``. With parameters (a what-if run), the executed copy and
    its figures and results go to ``reports/runs/<slug>/`` so the committed,
    default outputs stay as they are.
    """
    import papermill as pm

    parameters = dict(parameters or {})
    if parameters and output is None:
        run_dir = config.reports_dir() / "runs" / run_slug(path.stem, parameters)
        output = run_dir / path.name
        reports_dir = reports_dir or run_dir
    output = output or path
    output.parent.mkdir(parents=True, exist_ok=True)
    twin = twin_path(path)
    source = path
    if twin.exists():
        # The twin is the source: write the notebook it describes next to the
        # target (same folder, so relative paths in cells keep working) and run that.
        import nbformat

        source = path.parent / f".{path.stem}.from-twin.ipynb"
        nbformat.write(from_twin(twin), str(source))
    env_before = os.environ.get("REINDUS_REPORTS")
    if reports_dir is not None:
        os.environ["REINDUS_REPORTS"] = str(reports_dir)
    try:
        pm.execute_notebook(str(source), str(output), parameters=parameters, cwd=str(path.parent),
                            kernel_name="python3", progress_bar=False, request_save_on_cell_execute=False,
                            execution_timeout=timeout)
    finally:
        if source != path:
            source.unlink(missing_ok=True)
        if reports_dir is not None:
            if env_before is None:
                os.environ.pop("REINDUS_REPORTS", None)
            else:
                os.environ["REINDUS_REPORTS"] = env_before
    _strip_volatile(output)
    return output


def to_html(path: Path, out_dir: Path | None = None) -> Path:
    """Export an executed notebook to standalone HTML (code shown, outputs embedded)."""
    from nbconvert import HTMLExporter

    out_dir = out_dir or config.reports_dir() / "notebooks"
    body, _ = HTMLExporter().from_filename(str(path))
    target = out_dir / f"{path.stem}.html"
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text(body, target)
    return target

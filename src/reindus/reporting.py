"""Reporting conventions shared by every notebook.

A notebook starts with :func:`start_notebook`, then saves each figure with
:func:`save_figure` (PNG + the plotted data as CSV + a JSON sidecar) and each
headline number with :func:`record_result` (appended to
``reports/results/<notebook>.json``). Outputs are deterministic: no
timestamps, sorted keys, fixed float formatting, so that reruns on the same
data give identical files and ``git diff`` shows only real changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from reindus import config
from reindus.io import atomic_write, write_json

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass
class _Session:
    notebook: str = "interactive"
    parameters: dict[str, Any] = field(default_factory=dict)
    results: dict[str, dict[str, Any]] = field(default_factory=dict)


_session = _Session()


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"name {name!r} must be lower-case letters, digits, '-', '_' or '.'")
    return name


def figures_dir() -> Path:
    """``reports/figures`` (honours ``REINDUS_REPORTS``)."""
    return config.reports_dir() / "figures"


def results_dir() -> Path:
    """``reports/results`` (honours ``REINDUS_REPORTS``)."""
    return config.reports_dir() / "results"


def results_path(notebook: str | None = None) -> Path:
    """Path of the results JSON of ``notebook`` (default: the current one)."""
    return results_dir() / f"{notebook or _session.notebook}.json"


def start_notebook(notebook: str, **parameters: Any) -> None:
    """Declare the running notebook and its parameters; reset its results.

    Call it once, in the cell after the parameters cell. The results file is
    rewritten from scratch by this run, so a rerun never accumulates stale
    numbers.
    """
    _session.notebook = _check_name(notebook)
    _session.parameters = dict(parameters)
    _session.results = {}
    _write_results()


def current_notebook() -> str:
    """Name of the notebook declared by :func:`start_notebook`."""
    return _session.notebook


def data_version() -> str:
    """Short hash of the processed-data manifest (identifies the data vintage)."""
    manifest = config.processed_dir() / "MANIFEST.json"
    if not manifest.exists():
        return "unknown"
    return hashlib.sha256(manifest.read_bytes()).hexdigest()[:16]


def save_figure(fig: Any, name: str, data: pd.DataFrame, *, dpi: int = 110) -> Path:
    """Save a figure with the data behind it.

    Writes ``<name>.png``, ``<name>.csv`` (exactly the plotted data) and
    ``<name>.json`` (notebook, parameters, sha256 of the CSV, data version)
    under ``reports/figures/``. Returns the PNG path.
    """
    _check_name(name)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("save_figure needs the plotted data as a DataFrame")
    out = figures_dir()
    png, csv = out / f"{name}.png", out / f"{name}.csv"
    csv_text = data.to_csv(index=not isinstance(data.index, pd.RangeIndex), lineterminator="\n")
    with atomic_write(csv, "w") as fh:
        fh.write(csv_text)
    with atomic_write(png) as fh:
        # Software/date metadata would make the PNG differ between runs.
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    write_json({
        "figure": f"{name}.png",
        "data": f"{name}.csv",
        "data_sha256": hashlib.sha256(csv_text.encode()).hexdigest(),
        "rows": len(data),
        "notebook": _session.notebook,
        "parameters": _session.parameters,
        "data_version": data_version(),
    }, out / f"{name}.json")
    return png


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return float(f"{value:.10g}")
    if isinstance(value, pd.Period):
        return str(value)
    return value


def record_result(
    name: str,
    estimate: float | int | str,
    *,
    interval: tuple[float, float] | None = None,
    unit: str = "",
    method: str = "",
    n: int | None = None,
    p_value: float | None = None,
    note: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """Record a named headline number in ``reports/results/<notebook>.json``.

    Parameters
    ----------
    name
        Stable identifier, e.g. ``"hdf_share_industry_2022"``.
    estimate
        The number (or a label such as a rank's region name).
    interval
        Confidence interval (or placebo range), when there is one.
    unit, method, n, p_value, note
        What the number is measured in, how it was computed, on what sample.
    extra
        Any other JSON-serialisable fields (e.g. ``period="2022Q4"``).
    """
    _check_name(name)
    entry = {"estimate": _clean(estimate), "unit": unit, "method": method}
    if interval is not None:
        entry["interval"] = [_clean(interval[0]), _clean(interval[1])]
    if n is not None:
        entry["n"] = int(n)
    if p_value is not None:
        entry["p_value"] = _clean(p_value)
    if note:
        entry["note"] = note
    entry.update({k: _clean(v) for k, v in extra.items()})
    _session.results[name] = entry
    _write_results()
    return entry


def _write_results() -> None:
    write_json({
        "notebook": _session.notebook,
        "parameters": {k: _clean(v) for k, v in _session.parameters.items()},
        "data_version": data_version(),
        "results": _session.results,
    }, results_path())


def load_results(notebook: str, directory: Path | None = None) -> dict[str, Any]:
    """Read a results JSON back (``directory`` defaults to ``reports/results``)."""
    path = (directory or results_dir()) / f"{notebook}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def md(text: str):
    """Show ``text`` as Markdown: prose whose numbers come from the results.

    Numbers in a notebook's narrative are computed, never typed: a cell such as
    ``reporting.md(f"{region} ranks {rank}th")`` renders as a paragraph, so a
    what-if run with other parameters says what *its* numbers are.
    """
    from IPython.display import Markdown

    return Markdown(text)

"""Reporting conventions shared by every notebook.

A notebook starts with :func:`start_notebook`, then saves each figure with
:func:`save_figure` (PNG + the plotted data as CSV + a JSON sidecar) and each
headline number with :func:`record_result` (appended to
``reports/results/<notebook>.json``). Outputs are deterministic: no
timestamps, sorted keys, and every float written with
:data:`SIGNIFICANT_DIGITS` significant digits (figure CSVs and results JSON
alike), so that reruns on the same data give identical files on any machine
(the last digits of a float differ between BLAS builds) and ``git diff`` shows
only real changes.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from reindus import config
from reindus.ingest.io import atomic_write, write_json
from reindus.plots import style

if TYPE_CHECKING:
    from reindus.evaluation.results import EstimateResult

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")

# The house style (palette, 200 dpi, deterministic SVG) for every notebook that reports.
style.apply()

#: Significant digits of every float written to a figure CSV or a results JSON.
#: Ten digits keep far more precision than any published number needs while
#: dropping the last bits, which vary with the BLAS build and summation order.
SIGNIFICANT_DIGITS = 10
#: Collections with more paths or vertices than this (map polygons) are rasterised in the SVG.
SVG_RASTER_PATHS = 50
SVG_RASTER_VERTICES = 5_000


def round_float(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """``value`` rounded to ``digits`` significant digits (``%.{digits}g``).

    The result is a float whose shortest ``repr`` has at most ``digits``
    significant digits, so ``repr(round_float(x))`` is the same text on every
    machine whenever two machines agree on ``x`` to ``digits`` digits.
    """
    return float(f"{value:.{digits}g}")


def format_float(value: float) -> str:
    """Text of a float in the figure CSVs: :func:`round_float`, shortest repr.

    ``0.1 + 0.2`` -> ``'0.3'``, ``1e-07`` -> ``'1e-07'``, ``3.0`` -> ``'3.0'``
    (the integer-valued floats keep their ``.0``, as pandas writes them).
    """
    return repr(round_float(value))


def csv_text(data: pd.DataFrame) -> str:
    """The CSV text of a figure's data, byte-identical across machines.

    Float columns (numpy or nullable ``Float64``) and a float index go through
    :func:`format_float`; floats inside object columns too. Missing values are
    empty cells; lines end with ``\\n``. A ``RangeIndex`` is not written.
    """
    frame = data.copy()
    for col in frame.columns[frame.dtypes.astype(str) == "object"]:
        # mixed columns (labels and numbers) would otherwise be written with str()
        frame[col] = frame[col].map(
            lambda v: format_float(v) if isinstance(v, float) and not math.isnan(v) else v)
    return frame.to_csv(index=not isinstance(frame.index, pd.RangeIndex), lineterminator="\n",
                        float_format=format_float)


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

    Where the outputs go: ``reindus run`` sets ``REINDUS_REPORTS`` for the
    kernel (a staging folder, moved into ``reports/`` on success for a run with
    the default parameters, or into ``reports/runs/<slug>/`` for a what-if).
    A kernel started without it, a notebook opened in JupyterLab for instance,
    is exploring: its figures and results go to the git-ignored
    ``reports/scratch/<notebook>/``, whatever the parameters, so the published
    record is only ever written by ``reindus run``.
    """
    _check_name(notebook)
    if "REINDUS_REPORTS" not in os.environ:
        scratch = config.scratch_dir() / notebook
        if config._reports_override != scratch:
            print(f"Exploring: figures and results of this session go to {scratch} "
                  "(git-ignored). The published reports/ are written by `reindus run "
                  f"{notebook[:2]}`.")
        config.set_reports_override(scratch)
    _session.notebook = notebook
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


def save_figure(fig: Any, name: str, data: pd.DataFrame, *, dpi: int = 200,
                sources: Iterable[str] | str | None = None, caption: str | None = None,
                svg: bool = True) -> Path:
    """Save a figure, ready to publish, with the data behind it.

    Writes under ``reports/figures/``: ``<name>.png`` (``dpi``, default 200),
    ``<name>.svg`` (vector, deterministic), ``<name>.csv`` (exactly the plotted
    data, floats with :data:`SIGNIFICANT_DIGITS` digits) and ``<name>.json``
    (notebook, parameters, caption, sources, sha256 of the CSV, data version).
    Returns the PNG path.

    Before saving, the house style is completed (:mod:`reindus.plots.style`): the
    attribution line that the licences require is drawn under the figure, and
    legend entries or tick labels that are bare sector codes get the sector
    name, and when a plot has many anonymous lines (the other regions, in
    grey) the highest and lowest are named at their end, from ``data``.

    Parameters
    ----------
    sources
        Producer keys (``"urssaf"``, ``"insee"``, ``"ign"``, ``"anct"``,
        ``"press"``) or the attribution line itself. Default: the producers the
        notebook declares (:data:`reindus.plots.style.NOTEBOOK_SOURCES`) plus those the
        figure carries (maps add ``"ign"``).
    caption
        One-sentence caption for the book; default: the figure's title.
    """
    _check_name(name)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("save_figure needs the plotted data as a DataFrame")
    if isinstance(sources, str):
        line = style.source_line(sources)
        keys: list[str] = []
    else:
        keys = list(dict.fromkeys([*(sources if sources is not None
                                     else style.producers_for(_session.notebook)),
                                   *style.figure_sources(fig)]))
        line = style.source_line(keys)
    style.relabel_sectors(fig)
    if not any(t.get_gid() == "reindus-line-label" for ax in fig.axes for t in ax.texts):
        # anonymous context lines (e.g. the other regions, in grey): name the extremes
        style.label_unlabelled_lines(fig, data)
    style.draw_source_line(fig, line)
    out = figures_dir()
    png, csv = out / f"{name}.png", out / f"{name}.csv"
    text = csv_text(data)
    with atomic_write(csv, "w") as fh:
        fh.write(text)
    with atomic_write(png) as fh:
        # Software/date metadata would make the PNG differ between runs.
        fig.savefig(fh, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    if svg:
        import matplotlib as mpl

        # Map polygons (collections of hundreds of paths) are embedded as an image in the
        # SVG, text and axes stay vector: a map's SVG shrinks from megabytes to ~1/10.
        heavy = [c for ax in fig.axes for c in ax.collections if not c.get_rasterized() and (
            len(c.get_paths()) > SVG_RASTER_PATHS
            or sum(len(path.vertices) for path in c.get_paths()) > SVG_RASTER_VERTICES)]
        for c in heavy:
            c.set_rasterized(True)
        try:
            with mpl.rc_context({"svg.hashsalt": "reindus"}), \
                    atomic_write(out / f"{name}.svg") as fh:
                fig.savefig(fh, format="svg", dpi=dpi, bbox_inches="tight",
                            metadata={"Date": None})
        finally:
            for c in heavy:
                c.set_rasterized(False)
    write_json({
        "figure": f"{name}.png",
        "svg": f"{name}.svg" if svg else None,
        "data": f"{name}.csv",
        "data_sha256": hashlib.sha256(text.encode()).hexdigest(),
        "rows": len(data),
        "caption": caption if caption is not None else figure_title(fig),
        "sources": keys,
        "source_line": line,
        "notebook": _session.notebook,
        "parameters": _clean(_session.parameters),
        "data_version": data_version(),
    }, out / f"{name}.json")
    return png


def figure_title(fig: Any) -> str:
    """The figure's suptitle, else the first non-empty axes title (``""`` if none)."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    for ax in fig.axes:
        if ax.get_title():
            return ax.get_title()
    return ""


def _clean(value: Any) -> Any:
    """JSON-ready copy: floats rounded to SIGNIFICANT_DIGITS, NaN -> null, recursively."""
    if value is None:
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return None
        return round_float(value)
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


def record_estimate(result: EstimateResult, name: str, *, unit: str = "log points",
                    note: str = "", **extra: Any) -> dict[str, Any]:
    """Record the headline of an estimator's result (:meth:`EstimateResult.record_fields`).

    The estimate, its interval at the result's level, the method with its inference,
    the sample size and the p-value go to :func:`record_result` under ``name``.
    """
    return record_result(name, **result.record_fields(unit=unit, note=note, **extra))


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


class Table:
    """A DataFrame shown as an HTML table in notebooks and in the book, as text elsewhere.

    Made by :func:`table`. ``_repr_html_`` gives a plain ``<table>`` (no random
    ids, unlike a pandas Styler, so re-executions are identical and nbval can
    compare the text form); ``__repr__`` gives the same numbers as text.
    """

    def __init__(self, frame: pd.DataFrame, digits: int, caption: str, index: bool) -> None:
        self.frame, self.digits, self.caption, self.index = frame, digits, caption, index

    def _formatted(self) -> pd.DataFrame:
        out = self.frame.copy()
        for col in out.columns:
            if pd.api.types.is_float_dtype(out[col]):
                out[col] = out[col].map(
                    lambda v: "" if pd.isna(v) else f"{v:,.{self.digits}f}")
            elif pd.api.types.is_integer_dtype(out[col]):
                out[col] = out[col].map(lambda v: "" if pd.isna(v) else f"{v:,d}")
        return out

    def _repr_html_(self) -> str:
        body = self._formatted().to_html(index=self.index, border=0, escape=True,
                                         classes="dataframe reindus-table", na_rep="")
        if self.caption:
            import html as _html

            body = body.replace(">\n", f">\n<caption>{_html.escape(self.caption)}</caption>\n", 1)
        return body

    def __repr__(self) -> str:
        text = self._formatted().to_string(index=self.index)
        return f"{self.caption}\n{text}" if self.caption else text


def table(frame: pd.DataFrame, *, digits: int = 2, caption: str = "",
          index: bool = True) -> Table:
    """Display ``frame`` as a readable table: HTML in notebooks and the book, text otherwise.

    Floats get ``digits`` decimals and thousands separators, integers thousands
    separators; missing values are blank. Use it as the last expression of a
    cell (``reporting.table(wide, digits=1, caption="Change, %")``) instead of
    ``print(df.to_string())``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"table needs a DataFrame, got {type(frame).__name__}")
    return Table(frame, digits, caption, index)

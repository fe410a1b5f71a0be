"""Parameter sweeps: run one notebook over a declared grid, in parallel, and collect.

A grid file (YAML) names a notebook, lists values for each parameter (the
runs are their Cartesian product) and names the result to summarise::

    notebook: "01"
    name: regions                 # the sweep's name (output file names)
    parameters:
      region: ["11", "24", "27"]
      reference_period: ["2015Q4"]
    summary: "*_share_national_industry_2022"   # a result name or a pattern

Each run is a what-if execution (``reports/runs/<slug>/``); the results JSON of
all runs are gathered into ``reports/sweeps/<name>.csv`` (one row per run and
result) and one summary figure ``reports/sweeps/<name>.png``. Runs are
deterministic, so a sweep run twice gives identical tables.
"""

from __future__ import annotations

import contextlib
import fnmatch
import itertools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.ingest.io import atomic_write
from reindus.workflow.notebooks import NotebookFailed, execute, resolve, run_slug

#: Keys a grid file may hold.
GRID_KEYS = ("notebook", "name", "parameters", "summary")
_FIX = ("write it like sweeps/01-regions.yaml: `notebook: \"01\"`, `parameters:` mapping each "
        "name to a list of values, optional `name:` and `summary:`")


@contextlib.contextmanager
def ticking(bar: Any) -> Iterator[None]:
    """Refresh a tqdm bar every second, so its elapsed time moves during long runs."""
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(1.0):
            bar.refresh()
    if not bar.disable:
        threading.Thread(target=refresh, daemon=True).start()
    try:
        yield
    finally:
        stop.set()


def load_grid(path: str | Path) -> dict[str, Any]:
    """Read and check a grid file; every run's values are validated here.

    Raises :class:`~reindus.errors.DataError` (file, problem, fix) for a
    missing, empty or malformed file, unknown keys, an unknown notebook, and
    :class:`~reindus.workflow.parameters.ParameterError` for a parameter name or value
    the notebook does not accept, before anything is executed.
    """
    import yaml

    from reindus.workflow.parameters import validate

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "grid file " + ("is a folder" if path.is_dir() else "not found"),
                        "give the path of a YAML grid such as sweeps/01-regions.yaml")
    try:
        grid = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise DataError(path, f"not valid YAML{at}", _FIX) from None
    if grid is None:
        raise DataError(path, "the grid file is empty", _FIX)
    if not isinstance(grid, dict):
        raise DataError(path, f"the grid is a {type(grid).__name__}, not a mapping", _FIX)
    unknown = sorted(str(k) for k in grid if k not in GRID_KEYS)
    if unknown:
        raise DataError(path, f"unknown key(s) {unknown}; a grid has {list(GRID_KEYS)}", _FIX)
    for key in ("notebook", "parameters"):
        if key not in grid:
            raise DataError(path, f"the grid needs a {key!r} entry", _FIX)
    if not isinstance(grid["parameters"], dict) or not grid["parameters"] or not all(
            isinstance(v, list) and v for v in grid["parameters"].values()):
        raise DataError(path, "'parameters' must map each name to a non-empty list", _FIX)
    try:
        (nb_path,) = resolve(str(grid["notebook"]))
    except ValueError:
        raise DataError(path, f"no notebook matches {grid['notebook']!r}",
                        "set `notebook:` to a number such as \"01\"") from None
    grid.setdefault("name", path.stem)
    if not isinstance(grid["name"], str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*",
                                                             grid["name"]):
        raise DataError(path, f"name {grid['name']!r} is not a plain file name",
                        "use letters, digits, '-', '_' or '.'")
    if "summary" in grid and not isinstance(grid["summary"], str):
        raise DataError(path, "'summary' must be a result name or a pattern",
                        "e.g. `summary: \"*_share_national_industry_2022\"`")
    # Validate every value (names, types, allowed values), and keep the typed values.
    grid["parameters"] = {name: [next(iter(validate(nb_path, {name: v}).values())) for v in values]
                          for name, values in grid["parameters"].items()}
    return grid


def expand(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of a grid: the Cartesian product of the parameter lists, in order."""
    names = list(grid["parameters"])
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(grid["parameters"][n] for n in names))]


def _run_one(args: tuple[str, dict[str, Any], str]) -> tuple[str, str | None]:
    """Execute one run; return its slug and the failure message (``None`` on success)."""
    nb_path, params, reports = args
    os.environ["REINDUS_REPORTS"] = reports
    slug = run_slug(Path(nb_path).stem, params)
    try:
        execute(Path(nb_path), params, what_if=True)
    except NotebookFailed as exc:
        return slug, str(exc)
    return slug, None


def run_sweep(grid: dict[str, Any], *, workers: int | None = None,
              reports_dir: Path | None = None,
              failures: list[str] | None = None) -> pd.DataFrame:
    """Execute every run of ``grid`` in parallel and return the tidy results table.

    Each run is atomic (see :func:`reindus.workflow.notebooks.execute`): a failed run
    leaves no folder. With ``failures`` given, failed runs are listed there and
    the returned table gathers the others, but ``reports/sweeps/<name>.*`` is
    not written (a partial table would pass for the whole grid); without it the
    first failure raises
    :class:`~reindus.workflow.notebooks.NotebookFailed` once every run has finished.
    A progress bar (run name, elapsed time) is shown on a terminal.
    """
    from tqdm import tqdm

    reports_dir = reports_dir or config.reports_dir()
    (nb_path,) = resolve(str(grid["notebook"]))
    runs = expand(grid)
    # Every run of a sweep is a what-if, even one with all the default values: a sweep
    # never writes the published outputs.
    jobs = [(str(nb_path), params, str(reports_dir)) for params in runs]
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    outcome: dict[int, tuple[str, str | None]] = {}
    t0 = time.perf_counter()

    def done(i: int) -> None:
        slug, msg = outcome[i]
        if bar.disable:  # no terminal (CI, a log file): one line per finished run instead
            print(f"{'FAILED' if msg else 'done'} {slug} ({len(outcome)}/{len(jobs)}, "
                  f"{time.perf_counter() - t0:.0f} s)", flush=True)
        bar.set_postfix_str(slug, refresh=False)
        bar.update(1)

    bar = tqdm(total=len(jobs), desc=f"sweep {grid['name']}", unit="run",
               bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed{postfix}",
               disable=not sys.stderr.isatty())
    with bar, ticking(bar):
        if workers > 1:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(_run_one, j): i for i, j in enumerate(jobs)}
                for fut in as_completed(futures):
                    outcome[futures[fut]] = fut.result()
                    done(futures[fut])
        else:
            for i, j in enumerate(jobs):
                outcome[i] = _run_one(j)
                done(i)
    failed = [msg for _, msg in (outcome[i] for i in range(len(jobs))) if msg]
    if failed and failures is None:
        raise NotebookFailed(f"{len(failed)} of {len(jobs)} runs failed; first: {failed[0]}")
    if failures is not None:
        failures.extend(failed)
    rows = []
    for i, params in enumerate(runs):
        slug, msg = outcome[i]
        if msg:
            continue
        doc = json.loads((reports_dir / "runs" / slug / "results" / f"{nb_path.stem}.json").read_text())
        for name, r in doc["results"].items():
            interval = r.get("interval") or [None, None]
            rows.append({"run": slug, **{f"param_{k}": v for k, v in params.items()},
                         "result": name, "estimate": r.get("estimate"), "ci_low": interval[0],
                         "ci_high": interval[1], "p_value": r.get("p_value"),
                         "unit": r.get("unit", ""), "method": r.get("method", "")})
    table = pd.DataFrame(rows)
    if failed:
        # A sweep table missing some runs would pass for the whole grid: keep the earlier one.
        return table
    out = reports_dir / "sweeps"
    with atomic_write(out / f"{grid['name']}.csv", "w") as fh:
        fh.write(table.to_csv(index=False, lineterminator="\n"))
    if grid.get("summary") and not table.empty:
        _summary_figure(table, grid, out / f"{grid['name']}.png")
    return table


def _summary_figure(table: pd.DataFrame, grid: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # The summary may be a pattern ("*_share_national_industry_2022"): result names often
    # carry the focus region's tag.
    sub = table[table["result"].map(lambda r: fnmatch.fnmatchcase(r, grid["summary"]))].copy()
    sub["estimate"] = pd.to_numeric(sub["estimate"], errors="coerce")
    if sub.empty or sub["estimate"].isna().all():
        return
    params = sub[[c for c in sub.columns if c.startswith("param_")]].astype(str)
    if "param_region" in params:  # region codes read better as names
        from reindus import data

        names = data.geography("region").set_index("region_code")["region"]
        params["param_region"] = params["param_region"].map(lambda c: names.get(c, c))
    # parameters that do not vary add nothing to the labels
    varying = [c for c in params if params[c].nunique() > 1] or list(params.columns)
    labels = params[varying].agg(" · ".join, axis=1)
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(sub) + 1.5))
    ax.barh(labels, sub["estimate"], color="#34699a")
    if sub["ci_low"].notna().any():
        lo, hi = pd.to_numeric(sub["ci_low"]), pd.to_numeric(sub["ci_high"])
        ax.errorbar(sub["estimate"], labels, xerr=[sub["estimate"] - lo, hi - sub["estimate"]],
                    fmt="none", ecolor="black", capsize=3)
    ax.set_xlabel(f"{grid['summary'].strip('*_')} ({sub['unit'].iloc[0]})")
    ax.set_title(f"Sweep {grid['name']}: notebook {grid['notebook']}")
    ax.invert_yaxis()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as fh:
        fig.savefig(fh, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)

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

import fnmatch
import itertools
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from reindus import config
from reindus.io import atomic_write
from reindus.notebooks import execute, resolve, run_slug


def load_grid(path: str | Path) -> dict[str, Any]:
    """Read and check a grid file."""
    import yaml

    path = Path(path)
    grid = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("notebook", "parameters"):
        if key not in grid:
            raise ValueError(f"{path}: the grid needs a {key!r} entry")
    if not isinstance(grid["parameters"], dict) or not all(
            isinstance(v, list) and v for v in grid["parameters"].values()):
        raise ValueError(f"{path}: 'parameters' must map each name to a non-empty list")
    grid.setdefault("name", path.stem)
    return grid


def expand(grid: dict[str, Any]) -> list[dict[str, Any]]:
    """The runs of a grid: the Cartesian product of the parameter lists, in order."""
    names = list(grid["parameters"])
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(grid["parameters"][n] for n in names))]


def _run_one(args: tuple[str, dict[str, Any], str]) -> str:
    nb_path, params, reports = args
    os.environ["REINDUS_REPORTS"] = reports
    execute(Path(nb_path), params)
    return run_slug(Path(nb_path).stem, params)


def run_sweep(grid: dict[str, Any], *, workers: int | None = None,
              reports_dir: Path | None = None) -> pd.DataFrame:
    """Execute every run of ``grid`` in parallel and return the tidy results table."""
    reports_dir = reports_dir or config.reports_dir()
    (nb_path,) = resolve(str(grid["notebook"]))
    runs = expand(grid)
    jobs = [(str(nb_path), params, str(reports_dir)) for params in runs]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            slugs = list(pool.map(_run_one, jobs))
    else:
        slugs = [_run_one(j) for j in jobs]
    rows = []
    for params, slug in zip(runs, slugs, strict=True):
        doc = json.loads((reports_dir / "runs" / slug / "results" / f"{nb_path.stem}.json").read_text())
        for name, r in doc["results"].items():
            interval = r.get("interval") or [None, None]
            rows.append({"run": slug, **{f"param_{k}": v for k, v in params.items()},
                         "result": name, "estimate": r.get("estimate"), "ci_low": interval[0],
                         "ci_high": interval[1], "p_value": r.get("p_value"),
                         "unit": r.get("unit", ""), "method": r.get("method", "")})
    table = pd.DataFrame(rows)
    out = reports_dir / "sweeps"
    with atomic_write(out / f"{grid['name']}.csv", "w") as fh:
        fh.write(table.to_csv(index=False, lineterminator="\n"))
    if grid.get("summary"):
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

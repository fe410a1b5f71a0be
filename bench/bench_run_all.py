"""Benchmark of `reindus run all`: one notebook at a time, two at once, and a rerun with
nothing changed (every notebook skipped as up to date).

Runs on a temporary copy of the notebooks and a temporary reports folder, so the
committed outputs are not touched. Prints a table and writes
bench/results/run_all.json (git-ignored; the numbers are quoted in bench/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "reindus.workflow.cli", *argv], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="reindus-bench-run-all-") as tmp:
        nb = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", nb)
        env = {**os.environ, "REINDUS_NOTEBOOKS": str(nb), "REINDUS_REPORTS": str(Path(tmp) / "r")}
        timings["jobs_1"] = _timed(["run", "all", "--force", "--jobs", "1"], env)
        timings["jobs_2"] = _timed(["run", "all", "--force", "--jobs", "2"], env)
        timings["unchanged_rerun"] = _timed(["run", "all"], env)
    for k, v in timings.items():
        print(f"{k:20s} {v:7.1f} s")
    out = Path(__file__).parent / "results" / "run_all.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"seconds": timings, "cpus": os.cpu_count()}, indent=2) + "\n")


if __name__ == "__main__":
    main()

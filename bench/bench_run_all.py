"""Benchmark of `reindus run all` and of `make reports`.

`reindus run all`: one notebook at a time, two at once, and a rerun with nothing changed
(every notebook skipped as up to date). `make reports` (`reindus run all` then `reindus
report`): first on a cold cache (every notebook executed, the book built), then again
with nothing changed (both steps hit their caches), with each notebook's time.

Runs on a temporary copy of the notebooks and a temporary reports folder, so the
committed outputs are not touched. Prints a table and writes
bench/results/run_all.json (git-ignored; the numbers are quoted in bench/README.md).

    python bench/bench_run_all.py                  # both benchmarks
    python bench/bench_run_all.py --make-reports   # `make reports` only (about 2 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "reindus.workflow.cli", *argv], env=env,
                          check=True, stdout=subprocess.PIPE, text=True)
    return time.perf_counter() - t0, done.stdout


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


def make_reports(env: dict[str, str]) -> dict[str, object]:
    """`reindus run all` + `reindus report`, cold then unchanged; seconds of each step."""
    out: dict[str, object] = {"load_before": _load()}
    for label in ("cold", "unchanged"):
        run_s, stdout = _timed(["run", "all"], env)
        report_s, _ = _timed(["report"], env)
        notebooks = {m.group(1): float(m.group(2)) for m in
                     re.finditer(r"executed (\S+)\.ipynb in ([\d.]+) s", stdout)}
        out[label] = {"run_all": run_s, "report": report_s, "total": run_s + report_s,
                      "notebooks": notebooks}
    out["load_after"] = _load()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--make-reports", action="store_true",
                        help="only the `make reports` benchmark")
    args = parser.parse_args()
    timings: dict[str, float] = {}
    result: dict[str, object] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="reindus-bench-run-all-") as tmp:
        nb = Path(tmp) / "notebooks"
        shutil.copytree(ROOT / "notebooks", nb)
        env = {**os.environ, "REINDUS_NOTEBOOKS": str(nb), "REINDUS_REPORTS": str(Path(tmp) / "r")}
        if not args.make_reports:
            timings["jobs_1"] = _timed(["run", "all", "--force", "--jobs", "1"], env)[0]
            timings["jobs_2"] = _timed(["run", "all", "--force", "--jobs", "2"], env)[0]
            timings["unchanged_rerun"] = _timed(["run", "all"], env)[0]
            result["seconds"] = timings
        # a cold cache: a fresh reports folder and fresh copies of the notebooks
        shutil.rmtree(nb)
        shutil.copytree(ROOT / "notebooks", nb)
        env["REINDUS_REPORTS"] = str(Path(tmp) / "make-reports")
        result["make_reports"] = mr = make_reports(env)
    for k, v in timings.items():
        print(f"{k:20s} {v:7.1f} s")
    for label in ("cold", "unchanged"):
        step = mr[label]
        print(f"make reports, {label:9s}: run all {step['run_all']:6.1f} s + report "
              f"{step['report']:5.1f} s = {step['total']:6.1f} s")
        for name, s in sorted(step["notebooks"].items(), key=lambda kv: -kv[1]):
            print(f"    {name:32s} {s:6.1f} s")
    print(f"load average before {mr['load_before']}, after {mr['load_after']}; "
          f"{os.cpu_count()} cores")
    out = Path(__file__).parent / "results" / "run_all.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

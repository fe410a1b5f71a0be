"""Benchmark of the `make test` command: wall time in parallel and, optionally, in one process.

Runs the Makefile's test command (`pytest notebooks tests --nbval ...`) with
`-n JOBS --dist loadfile --no-loadscope-reorder` for each JOBS given (`1`: one
process, no xdist, the command as it was before issue 14), and records the wall
time, the outcome line of pytest, the number of cores and the load average before
and after each run (the machine may be shared: a high load makes the times upper
bounds). Writes bench/results/test_suite.json (git-ignored; the numbers are quoted
in bench/README.md). Heavy: one run is the whole suite.

    .venv/bin/python bench/bench_test_suite.py            # -n auto only
    .venv/bin/python bench/bench_test_suite.py auto 1     # parallel, then one process
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("REINDUS_MIRROR", ROOT.parent / "shared" / "data")).resolve()

#: the Makefile's `test` command, without its parallel options
COMMAND = ["notebooks", "tests", "--nbval", "--nbval-current-env",
           "--nbval-sanitize-with", "notebooks/nbval-sanitize.cfg", "-p", "no:randomly",
           "-q", "-rs"]


def command(jobs: str) -> list[str]:
    """The pytest argv of `make test TEST_JOBS=<jobs>`."""
    argv = [sys.executable, "-m", "pytest", *COMMAND]
    if jobs != "1":
        argv += ["-n", jobs, "--dist", "loadfile", "--no-loadscope-reorder"]
    return argv


def run(jobs: str) -> dict[str, object]:
    """Time one run of the suite; return the wall time, pytest's summary line and the load."""
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(command(jobs), cwd=ROOT, env={**os.environ, "REINDUS_MIRROR": str(MIRROR)},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    lines = [line for line in proc.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    return {"jobs": jobs, "seconds": round(seconds, 1), "exit_code": proc.returncode,
            "summary": lines[-1].strip("= ") if lines else proc.stdout[-500:],
            "load_before": [round(x, 2) for x in load_before],
            "load_after": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str]) -> None:
    runs = [run(jobs) for jobs in (argv or ["auto"])]
    for r in runs:
        print(f"-n {r['jobs']:5s} {r['seconds']:7.1f} s  exit {r['exit_code']}  {r['summary']}  "
              f"load {r['load_before']} -> {r['load_after']}")
    out = Path(__file__).parent / "results" / "test_suite.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"cpus": os.cpu_count(), "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

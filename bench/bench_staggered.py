"""Benchmark (not a test): Callaway–Sant'Anna with inference on a 500-unit staggered panel.

Issue 10 target: <= 1 s and <= 1 GB. The panel has 500 units, a third of them
treated in four cohorts, the rest never treated; annual-like (20 periods) and
quarterly-like (56 periods, the length of the zone d'emploi panel). Timed:
the cluster-robust (influence-function) inference that ``inference='auto'``
picks for so many treated units, with never-treated and not-yet-treated
controls, and, for reference, randomisation inference with 199 re-assignments
(the path that overflowed and ran out of memory before the fix). Peak memory
is the maximum resident set size of this process (imports included).
Writes bench/results/staggered.json.

OpenBLAS runs single-threaded here (``OPENBLAS_NUM_THREADS=1`` unless set):
on the shared 2-core machine its worker threads spin-wait against the other
processes, and one 141 x 141 pseudo-inverse (the pre-trend Wald test) then
takes 1-2 s instead of 5 ms.

    .venv/bin/python bench/bench_staggered.py
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy is imported

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from reindus.evaluation.staggered import callaway_santanna  # noqa: E402


def panel(n_units: int = 500, n_periods: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    g = np.full(n_units, np.nan)
    k = n_units // 3
    cohorts = np.linspace(n_periods // 3, n_periods - 3, 4).round().astype(int) + 1
    g[:k] = rng.choice(cohorts, size=k)
    t = np.arange(1, n_periods + 1)
    y = (rng.normal(size=(n_units, 1)) + 0.01 * t[None] + rng.normal(0, 0.02, (n_units, n_periods))
         + 0.03 * (t[None] >= g[:, None]))
    return pd.DataFrame({"unit": np.repeat([f"u{i:03d}" for i in range(n_units)], n_periods),
                         "period": np.tile(t, n_units), "y": y.ravel(),
                         "first_treated": np.repeat(g, n_periods)})


def best_of(f, n: int = 5) -> tuple[float, float, object]:
    """(first call seconds, best of ``n`` seconds, result)."""
    times, out = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t0)
    return times[0], min(times), out


def main() -> None:
    rows = []
    for n_periods in (20, 56):
        df = panel(500, n_periods)
        for cg in ("never_treated", "not_yet_treated"):
            first, best, r = best_of(lambda df=df, cg=cg: callaway_santanna(df, control_group=cg))
            rows.append({"periods": n_periods, "controls": cg, "inference": r.inference.headline,
                         "first_s": first, "best_s": best, "estimate": r.estimate,
                         "ci": list(r.ci), "n_cells": len(r.details)})
        first, best, r = best_of(lambda df=df: callaway_santanna(
            df, inference="permutation", n_perm=199, seed=0), n=2)
        rows.append({"periods": n_periods, "controls": "not_yet_treated", "inference": r.inference.headline,
                     "first_s": first, "best_s": best, "estimate": r.estimate, "ci": list(r.ci),
                     "n_cells": len(r.details), "n_assignments": r.diagnostics["n_assignments"]})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {"rows": rows, "peak_rss_mb": peak_mb}
    path = Path(__file__).parent / "results" / "staggered.json"
    path.write_text(json.dumps(out, indent=2) + "\n")
    print("| periods | controls | inference | first call s | best of 5 s | ATT | 95% CI |")
    print("| ---: | --- | --- | ---: | ---: | ---: | --- |")
    for r in rows:
        print(f"| {r['periods']} | {r['controls']} | {r['inference']} | {r['first_s']:.3f} | "
              f"{r['best_s']:.3f} | {r['estimate']:.4f} | {r['ci'][0]:.4f} to {r['ci'][1]:.4f} |")
    print(f"\nPeak RSS of the process: {peak_mb:.0f} MB "
          f"(OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']})")


if __name__ == "__main__":
    main()

"""Validate every evaluation estimator x inference method on calibrated panels (issue 10).

Usage::

    .venv/bin/python bench/validate_evaluation.py                 # full run (< 10 min, 1 core)
    .venv/bin/python bench/validate_evaluation.py --draws 40 --multi-draws 20   # quick look

Data-generating processes (:func:`reindus.evaluation.simulate.calibrate` and
:func:`~reindus.evaluation.simulate.simulate_calibrated`): 13 units with the
levels and noise scales of the 13 metropolitan regions' quarterly log
industrial employment (randomly permuted in every draw, so the treated unit
is a random region: unequal sizes), common random-walk shocks, AR(1) noise
with the estimated persistence, 36 pre and 8 post quarters, and

* ``no_trend``: no unit-specific trends;
* ``trend``: unit-specific linear trends with the calibrated dispersion;
* ``trend_break``: trends plus a change of slope for every unit at the
  treatment date (calibrated from the change between the two halves of the
  calibration window).

One treated unit in the three designs; two and four treated units in the
trend design (``synth`` takes one treated unit only).

For every estimator x inference: size at 5 % (share of null draws with
p <= 0.05), coverage of the 95 % interval, bias and RMSE of the point
estimate, median interval width, and power at effects of 1 % and 3 % (share
of intervals excluding 0). Power and coverage come from the null draws by
shift equivariance (estimate and interval move with the effect; checked in
tests/test_evaluation_validation.py), so each draw is run once.

Writes ``bench/results/validate_evaluation.json`` (git-ignored) and the committed
record ``src/reindus/evaluation/validation.json`` (read by
:func:`reindus.evaluation.simulate.load_validation` for notebook 02), and prints the tables.
Synthetic data only here: the estimates in notebook 02 are from real data.
"""

from __future__ import annotations

import os

# One BLAS thread (set before numpy loads): the matrices are small and a multi-threaded
# OpenBLAS on a shared machine is many times slower on them.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402

from reindus.evaluation.simulate import (  # noqa: E402
    VALIDATION_RECORD,
    calibrate,
    summarise_validation,
    validation_draw,
)

OUT = Path(__file__).resolve().parent / "results" / "validate_evaluation.json"
EFFECTS = (0.01, 0.03)
ACCEPT = {"size": 0.08, "coverage": 0.90}


def designs(draws: int, multi_draws: int) -> list[dict]:
    out = [{"scenario": s, "n_treated": 1, "draws": draws}
           for s in ("no_trend", "trend", "trend_break")]
    out += [{"scenario": "trend", "n_treated": k, "draws": multi_draws} for k in (2, 4)]
    return out


def run(draws: int, multi_draws: int, n_boot: int) -> tuple[pd.DataFrame, dict, list[dict]]:
    cal = calibrate()
    tables, timing = [], []
    for d in designs(draws, multi_draws):
        t = time.perf_counter()
        rows = []
        for seed in range(d["draws"]):
            rows += validation_draw(cal, d["scenario"], seed, n_treated=d["n_treated"],
                                    n_boot=n_boot)
        s = summarise_validation(pd.DataFrame(rows), effects=EFFECTS)
        s.insert(0, "n_treated", d["n_treated"])
        s.insert(0, "scenario", d["scenario"])
        tables.append(s)
        sec = time.perf_counter() - t
        timing.append({**d, "seconds": round(sec, 1)})
        print(f"[{d['scenario']}, {d['n_treated']} treated] {d['draws']} draws in {sec:.0f} s",
              flush=True)
    table = pd.concat(tables, ignore_index=True)
    table["recommended"] = (table["estimator"] == "sdid") & (table["inference"] == "placebo_t")
    # accepted: the rule, plus a finite interval (a permutation test that can never
    # reject has size 0 and coverage 1 but says nothing)
    table["accepted"] = ((table["size"] <= ACCEPT["size"]) & (table["coverage"] >= ACCEPT["coverage"])
                         & (table["bounded"] == 1.0))
    return table, cal.as_dict(), timing


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=400, help="draws per one-treated design")
    ap.add_argument("--multi-draws", type=int, default=200, help="draws per multi-treated design")
    ap.add_argument("--n-boot", type=int, default=199, help="wild bootstrap draws")
    args = ap.parse_args()
    t_all = time.perf_counter()
    table, cal, timing = run(args.draws, args.multi_draws, args.n_boot)
    pd.set_option("display.width", 220)
    cols = ["scenario", "n_treated", "estimator", "inference", "draws", "size", "coverage",
            "bias", "rmse", "median_width", "power_0.01", "power_0.03", "accepted"]
    print("\nSize at 5 %, coverage of the 95 % interval, bias, RMSE (log points), power")
    print(table[cols].round(4).to_string(index=False))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": {"draws": args.draws, "multi_draws": args.multi_draws, "n_boot": args.n_boot,
                   "effects": list(EFFECTS), "level": 0.95, "alpha": 0.05,
                   "acceptance": ACCEPT, "designs": designs(args.draws, args.multi_draws),
                   "panel": "13 units, 36 pre + 8 post periods, treated u00.. from period 36"},
        "calibration": cal,
        "validation": json.loads(table.to_json(orient="records")),
        "timing": timing,
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS")},
        "total_seconds": round(time.perf_counter() - t_all, 1),
    }
    text = json.dumps(payload, indent=2, sort_keys=True) + "\n"
    OUT.write_text(text, encoding="utf-8")
    # bench/results/ is git-ignored: the committed record read by notebook 02 lives in the package
    VALIDATION_RECORD.write_text(text, encoding="utf-8")
    print(f"\nwrote {OUT.name} and {VALIDATION_RECORD.name} in {payload['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()

"""Speed of the evaluation estimators (issue 10): numbers for bench/README.md, not a test.

Usage::

    .venv/bin/python bench/bench_evaluation.py

1. The recommended estimator (:func:`reindus.evaluation.recommended`:
   synthetic DiD with all its placebo refits) on the 305-zone quarterly panel
   (:func:`reindus.data.zone_quarterly_employment`, log private employment,
   2012Q1-2025Q4), with the largest one and four zones d'emploi of
   Hauts-de-France "treated" from 2024Q1 (a timing exercise, not an
   estimate); 200 placebo sets. Target: <= 2 s.
2. Our synthetic control against pysyncon with equal predictor weights
   (V = I), same predictors (demeaned pre-period outcomes), one fit and the
   whole placebo-in-space loop, on a simulated 13 x 100 panel and on the real
   Hauts-de-France industrial panel. Target: ours >= 10x faster.

BLAS is pinned to one thread (set before numpy is imported): on the small
matrices here a multi-threaded OpenBLAS on a shared 2-core machine is up to
50x slower than one thread. Median of ``--repeat`` runs. Writes
``bench/results/evaluation_speed.json``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from reindus.evaluation.synth import fit_matrix  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "evaluation_speed.json"


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def bench_recommended(repeat: int) -> list[dict]:
    from reindus import data
    from reindus.evaluation import recommended

    z = data.zone_quarterly_employment()
    z = z.assign(y=np.log(z["employment"].astype(float)))
    region = data.zone_employment().drop_duplicates("zone_code").set_index("zone_code")[
        "region_code"]
    last = z[z["quarter"] == z["quarter"].max()].set_index("zone_code")["employment"]
    hdf = [c for c in last.sort_values(ascending=False).index if region.get(c) == "32"]
    out = []
    for k in (1, 4):
        tr = hdf[:k]

        def run(tr=tr):
            return recommended(z, treated=tr, start="2024Q1", outcome="y", unit="zone_code",
                               period="quarter")
        r = run()
        out.append({"panel": f"{z['zone_code'].nunique()} zones x {z['quarter'].nunique()} "
                             "quarters", "treated": tr,
                    "n_placebos": int(r.diagnostics["replicates"].size),
                    "seconds": _time(run, repeat), "target_seconds": 2.0,
                    "estimate": r.estimate, "ci": list(r.ci)})
        print(f"recommended, {k} treated zone(s): {out[-1]['seconds']:.2f} s "
              f"({out[-1]['n_placebos']} placebo refits)", flush=True)
    return out


def time_synth(Y: np.ndarray, units: list[str], t0: int, label: str, repeat: int = 5) -> dict:
    """Median wall time of one fit and of the placebo loop, ours vs pysyncon."""
    from pysyncon import Synth

    T = Y.shape[1]
    frame = pd.DataFrame(Y.T, columns=units)
    Z = frame - frame.iloc[:t0].mean()

    def py_fit(order: list[int]) -> np.ndarray:
        pre = Z.iloc[:t0, order]
        X0, X1 = pre.iloc[:, 1:], pre.iloc[:, 0]
        s = Synth()
        s.fit(X0=X0, X1=X1, Z0=X0, Z1=X1, custom_V=np.ones(t0))
        return np.asarray(s.W)

    def our_fit(order: list[int]) -> np.ndarray:
        return fit_matrix(Y[order], t0, standardize=True).weights

    n = Y.shape[0]
    orders = [list(range(n))] + [[j] + [i for i in range(1, n) if i != j] for j in range(1, n)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w_py = py_fit(orders[0])
        w_ours = our_fit(orders[0])
        diffs = [np.abs(our_fit(o) - py_fit(o)).max() for o in orders]
        res = {
            "panel": label, "units": n, "periods": T, "pre_periods": t0,
            "max_weight_diff_main": float(np.abs(w_py - w_ours).max()),
            "max_weight_diff_all_placebos": float(max(diffs)),
            "ours_one_fit_s": _time(lambda: our_fit(orders[0]), repeat * 4),
            "pysyncon_one_fit_s": _time(lambda: py_fit(orders[0]), repeat * 4),
            "ours_placebo_loop_s": _time(lambda: [our_fit(o) for o in orders], repeat),
            "pysyncon_placebo_loop_s": _time(lambda: [py_fit(o) for o in orders], repeat),
        }
    res["speedup_one_fit"] = res["pysyncon_one_fit_s"] / res["ours_one_fit_s"]
    res["speedup_placebo_loop"] = res["pysyncon_placebo_loop_s"] / res["ours_placebo_loop_s"]
    return res


def real_panel() -> tuple[np.ndarray, list[str], int]:
    from reindus import data
    from reindus.evaluation import panel as P

    p = P.outcome_panel(data.regional_employment(), data.sectors(), window=("2015Q1", None))
    d = P.design(P.treatment_timing(data.accords()), p["region_code"].unique(), data_end="2025Q4")
    units = [d["treated"], *d["donors"]]
    w = p.pivot(index="unit", columns="quarter", values="log_employment").loc[units]
    t0 = int(w.columns.searchsorted(d["start"]))
    return w.to_numpy(), units, t0


def main() -> None:
    from reindus.evaluation.simulate import simulate_panel

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    t_all = time.perf_counter()
    rec = bench_recommended(args.repeat)
    sim = simulate_panel(seed=123, effect=0.02, factor_sd=0.01)
    Ys = sim.pivot(index="unit", columns="period", values="y")
    timings = [time_synth(Ys.to_numpy(), list(Ys.index), 92, "simulated 13x100", args.repeat),
               time_synth(*real_panel(), "real: Hauts-de-France + donors, 2015Q1-2025Q4",
                          args.repeat)]
    tt = pd.DataFrame(timings)
    pd.set_option("display.width", 200)
    print("\nSynthetic control: ours vs pysyncon (median seconds; same predictors, V = I)")
    print(tt.round(6).to_string(index=False))
    payload = {"recommended": rec, "synth_vs_pysyncon": json.loads(tt.to_json(orient="records")),
               "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
               "machine": {"python": platform.python_version(), "processor": platform.machine(),
                           "cpus": os.cpu_count()},
               "total_seconds": round(time.perf_counter() - t_all, 1)}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.name}")


if __name__ == "__main__":
    main()

"""Validate the evaluation estimators by simulation, and time our synth against pysyncon.

Usage::

    .venv/bin/python bench/validate_evaluation.py            # full run (~10 min on 2 cores)
    .venv/bin/python bench/validate_evaluation.py --draws 50 --stress-draws 20   # quick look

For each scenario, panels shaped like the regional panel (13 units, 100
quarters, unit and time effects, AR(1) errors, one treated unit with 8 post
quarters) are drawn with a zero effect and with an injected effect of 0.02
(2 %). For every estimator x inference method the script reports the
rejection rate at 5 % and 10 % (size under the null, power under the
effect), the coverage of the nominal 95 % interval under the effect, the
median interval width, the bias and RMSE of the point estimate.

It then times our synthetic control against pysyncon on the same panels
(one simulated, one the real Hauts-de-France industrial employment panel):
same predictors (demeaned pre-period outcomes), same V (identity), same
standardisation; one fit and the full placebo-in-space loop.

Prints tables and writes ``bench/results/validate_evaluation.json``.
Synthetic data only here: the estimates in notebook 02 are from real data.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from reindus.evaluation.simulate import run_simulation, simulate_panel, summarise_simulation
from reindus.evaluation.synth import fit_matrix

OUT = Path(__file__).resolve().parent / "results" / "validate_evaluation.json"
EFFECT = 0.02

SCENARIOS = {
    # name: (panel kwargs, estimators, draws key)
    "baseline": ({"rho": 0.6}, ("did", "event_study", "synth", "cs"), "draws"),
    "persistent_rho0.9": ({"rho": 0.9}, ("did", "synth"), "stress_draws"),
    "heteroskedastic": ({"rho": 0.6, "sigma_unit_sd": 0.5}, ("did", "synth"), "stress_draws"),
}


def simulate(draws: int, stress_draws: int, n_boot: int) -> pd.DataFrame:
    n = {"draws": draws, "stress_draws": stress_draws}
    tables = []
    for name, (kw, estimators, key) in SCENARIOS.items():
        t = time.perf_counter()
        sims = pd.concat([
            run_simulation(n[key], effect=0.0, first_seed=0, estimators=estimators,
                           n_boot=n_boot, panel_kwargs=kw),
            run_simulation(n[key], effect=EFFECT, first_seed=100_000, estimators=estimators,
                           n_boot=n_boot, panel_kwargs=kw),
        ], ignore_index=True)
        s = summarise_simulation(sims).assign(scenario=name)
        tables.append(s)
        print(f"[{name}] {n[key]} draws x 2 effects in {time.perf_counter() - t:.0f} s")
    return pd.concat(tables, ignore_index=True)


def _time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


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
    # objective values: who finds the lower pre-period loss (standardised predictors)
    res["speedup_one_fit"] = res["pysyncon_one_fit_s"] / res["ours_one_fit_s"]
    res["speedup_placebo_loop"] = res["pysyncon_placebo_loop_s"] / res["ours_placebo_loop_s"]
    return res


def real_panel() -> tuple[np.ndarray, list[str], int] | None:
    try:
        from reindus import data
        from reindus.evaluation import panel as P
    except ImportError:
        return None
    p = P.outcome_panel(data.regional_employment(), data.sectors(), window=("2015Q1", None))
    d = P.design(P.treatment_timing(data.accords()), p["region_code"].unique(), data_end="2025Q4")
    units = [d["treated"], *d["donors"]]
    w = p.pivot(index="unit", columns="quarter", values="log_employment").loc[units]
    t0 = int(w.columns.searchsorted(d["start"]))
    return w.to_numpy(), units, t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=500, help="draws per effect, baseline")
    ap.add_argument("--stress-draws", type=int, default=200, help="draws per effect, stress")
    ap.add_argument("--n-boot", type=int, default=199, help="wild bootstrap draws")
    args = ap.parse_args()
    t_all = time.perf_counter()
    summary = simulate(args.draws, args.stress_draws, args.n_boot)
    pd.set_option("display.width", 200)
    cols = ["scenario", "estimator", "inference", "effect", "n", "reject_0.05", "reject_0.10",
            "coverage", "median_width", "bias", "rmse"]
    print("\nSize (effect = 0) and power / coverage (effect = 0.02); nominal level 95 %")
    print(summary[cols].round(4).to_string(index=False))

    timings = []
    sim = simulate_panel(seed=123, effect=EFFECT, factor_sd=0.01)
    Ys = sim.pivot(index="unit", columns="period", values="y")
    timings.append(time_synth(Ys.to_numpy(), list(Ys.index), 92, "simulated 13x100"))
    rp = real_panel()
    if rp is not None:
        timings.append(time_synth(*rp, "real: Hauts-de-France + 9 donors, 2015Q1-2025Q4"))
    tt = pd.DataFrame(timings)
    print("\nSynthetic control: ours vs pysyncon (median seconds; same predictors, V = I)")
    print(tt.round(6).to_string(index=False))

    OUT.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "config": {"draws": args.draws, "stress_draws": args.stress_draws,
                   "n_boot": args.n_boot, "effect": EFFECT, "level": 0.95,
                   "scenarios": {k: v[0] for k, v in SCENARIOS.items()},
                   "panel": "13 units, 100 periods, treated unit u00 from period 92 (8 post)"},
        "simulation": json.loads(summary.to_json(orient="records")),
        "synth_timing": json.loads(tt.to_json(orient="records")),
        "machine": {"python": platform.python_version(), "processor": platform.machine()},
        "total_seconds": round(time.perf_counter() - t_all, 1),
    }
    OUT.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"\nwrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")


if __name__ == "__main__":
    main()

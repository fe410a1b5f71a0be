"""Benchmark (not a test): each public reader against a bare pyarrow read of the same file.

Target: every reader <= 1.5x ``pyarrow.parquet.read_table`` of its file. Also
times a full fetch + build from the mirror when REINDUS_MIRROR is set.
Prints a table and writes bench/results/loaders.json.

    python bench/bench_loaders.py
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from reindus import config, data

READERS = {
    "regional_employment": data.regional_employment,
    "sectors": data.sectors,
    "insolvencies": data.insolvencies,
    "zone_employment": data.zone_employment,
    "area_employment": lambda: data.area_employment("epci"),
    "departement_snapshot": data.departement_snapshot,
    "geo_epci": lambda: data.geography("epci"),
    "geo_communes": lambda: data.geography("commune"),
    "epci_indicators": data.epci_indicators,
    "accords": data.accords,
    "national_checks": data.national_checks,
    "contours_epci": lambda: data.contours("epci"),
}


def best_of(fn, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    rows = []
    for name, reader in READERS.items():
        path = config.processed_dir() / f"{name}.parquet"
        reader()  # warm imports and the OS cache for both
        bare = best_of(lambda p=path: pq.read_table(p))
        ours = best_of(reader)
        rows.append({"table": name, "pyarrow_ms": 1000 * bare, "reader_ms": 1000 * ours,
                     "ratio": ours / bare, "size_kb": path.stat().st_size / 1024})
    print(f"{'table':24s} {'size KB':>8s} {'pyarrow ms':>11s} {'reader ms':>10s} {'ratio':>6s}")
    for r in rows:
        print(f"{r['table']:24s} {r['size_kb']:8.0f} {r['pyarrow_ms']:11.2f} {r['reader_ms']:10.2f} "
              f"{r['ratio']:6.2f}")
    print(f"median ratio {statistics.median(r['ratio'] for r in rows):.2f}, "
          f"max {max(r['ratio'] for r in rows):.2f} (target <= 1.5)")
    result = {"loaders": rows}
    if os.environ.get("REINDUS_MIRROR"):
        from reindus.ingest.build import build
        from reindus.ingest.sources import fetch

        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            fetch(raw_dir=Path(tmp) / "raw", force=True)
            t1 = time.perf_counter()
            build(raw_dir=Path(tmp) / "raw", out_dir=Path(tmp) / "processed")
            t2 = time.perf_counter()
        print(f"fetch from mirror: {t1 - t0:.1f} s; build all tables: {t2 - t1:.1f} s")
        result.update(fetch_s=t1 - t0, build_s=t2 - t1)
    out = Path(__file__).parent / "results" / "loaders.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

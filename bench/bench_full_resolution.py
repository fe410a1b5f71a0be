"""Benchmark (not a test): build the full-resolution sector tables from a generated national-size file.

Generates a commune x APE file in the official layout (the Rouen extract's header: ';'-separated,
UTF-8 with BOM, one column pair per year 2006-2022) with ``--rows`` rows (default 1.5 million,
the national size), real COG 2026 commune codes and NA38 sectors, about 40 % of cells blank,
then times ``full_resolution.build_sector_employment`` in a child process and reports its
wall time and peak resident memory (``ru_maxrss`` of the child).

    REINDUS_MIRROR=../shared/data .venv/bin/python bench/bench_full_resolution.py [--rows N]

Writes bench/results/full_resolution.json (git-ignored); figures are quoted in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
NA38 = ["AZ", "BZ", "CA", "CB", "CC", "CD", "CE", "CF", "CG", "CH", "CI", "CJ", "CK", "CL", "CM",
        "DZ", "EZ", "FZ", "GZ", "HZ", "IZ", "JA", "JB", "JC", "KZ", "LZ", "MA", "MB", "MC", "NZ",
        "OZ", "PZ", "QA", "QB", "RZ", "SZ"]


def generate(path: Path, rows: int, seed: int = 0) -> None:
    """Write ``rows`` rows in the official layout, in chunks (bounded memory)."""
    from reindus import config, data

    mirror = Path(os.environ.get("REINDUS_MIRROR", config.DEFAULT_MIRROR))
    header = (mirror / "urssaf" / "commune-ape-extrait-zone-emploi-rouen.csv").open(
        encoding="utf-8-sig").readline().rstrip("\r\n")
    n_years = header.count("Effectifs salariés ")
    communes = data.geography("commune")["commune_code"].to_numpy()
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        f.write(header + "\r\n")
        chunk = 100_000
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            com = rng.choice(communes, n)
            sec = rng.choice(NA38, n)
            emp = rng.poisson(6, (n, n_years))
            est = np.maximum(1, emp // 5)
            blank = rng.random((n, n_years)) < 0.4
            lines = []
            for i in range(n):
                cells = []
                for y in range(n_years):
                    cells += ["", ""] if blank[i, y] else [str(est[i, y]), str(emp[i, y])]
                keys = ["R", "AR", "D", "Z", "E", "N", f"{com[i]} N", "GS", "NA17",
                        f"{sec[i]} Secteur", "NA88", "APE", "00", "00", com[i][:2],
                        f"{com[i][:2]}01", "000000000", com[i], "0000Z"]
                lines.append(";".join(keys + cells))
            f.write("\r\n".join(lines) + "\r\n")


CHILD = """
import json, resource, sys, time
from pathlib import Path
from reindus.ingest import full_resolution
t0 = time.perf_counter()
full_resolution.build_sector_employment(Path(sys.argv[1]), Path(sys.argv[2]))
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--keep", type=Path, default=None,
                        help="generate into (or reuse) this file instead of a temporary one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ.setdefault("REINDUS_RAW", str(tmp / "raw"))
        from reindus import config
        from reindus.ingest import sources

        sources.fetch(["cog_communes"], mirror=config.mirror_dir() or config.DEFAULT_MIRROR)
        src = args.keep or tmp / "commune-ape.csv"
        t0 = time.perf_counter()
        if not src.exists():
            generate(src, args.rows)
        gen_s = time.perf_counter() - t0
        out = subprocess.run([sys.executable, "-c", CHILD, str(src), str(tmp / "full")],
                             capture_output=True, text=True, check=True, env=os.environ.copy())
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result.update(rows=args.rows, file_mb=round(src.stat().st_size / 2**20, 1),
                      generate_seconds=round(gen_s, 1), cores=os.cpu_count())
        result["seconds"] = round(result["seconds"], 1)
        result["peak_rss_mb"] = round(result["peak_rss_mb"])
    print(json.dumps(result, indent=2))
    target = ROOT / "bench" / "results" / "full_resolution.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Benchmark (not a test): the full rebuild, fetch -> build -> every notebook -> HTML.

Runs in temporary folders (the committed data and reports are not touched),
times each step and each notebook, and reports peak memory (max resident set
size of this process and of the notebook kernels). Target: full rebuild
<= 60 s on a 2-core machine. Writes bench/results/pipeline.json.

    REINDUS_MIRROR=../shared/data python bench/bench_pipeline.py
"""

from __future__ import annotations

import json
import os
import resource
import tempfile
import time
from pathlib import Path


def main() -> None:
    mirror = os.environ.get("REINDUS_MIRROR")
    if not mirror:
        raise SystemExit("set REINDUS_MIRROR to the source mirror (e.g. ../shared/data)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        os.environ["REINDUS_RAW"] = str(tmp / "raw")
        os.environ["REINDUS_PROCESSED"] = str(tmp / "processed")
        os.environ["REINDUS_REPORTS"] = str(tmp / "reports")
        from reindus import config
        from reindus.ingest.build import build
        from reindus.ingest.sources import fetch
        from reindus.reporting.site import build_site
        from reindus.workflow.notebooks import execute, notebook_paths

        # Notebooks read the processed tables: build them into the temp folder.
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        fetch(mirror=Path(mirror))
        timings["fetch"] = time.perf_counter() - t0
        t = time.perf_counter()
        build()
        timings["build"] = time.perf_counter() - t
        # ti_membership etc. may be built by their own step; keep processed in sync with the repo
        for extra in (config.DATA_DIR / "processed").glob("*.parquet"):
            target = tmp / "processed" / extra.name
            if not target.exists():
                target.write_bytes(extra.read_bytes())
        per_nb = {}
        for nb in notebook_paths():
            t = time.perf_counter()
            execute(nb, output=tmp / "nb" / nb.name, reports_dir=tmp / "reports")
            per_nb[nb.stem] = time.perf_counter() - t
        t = time.perf_counter()
        build_site(tmp / "reports")
        timings["html_site"] = time.perf_counter() - t
        timings["notebooks"] = sum(per_nb.values())
        timings["total"] = time.perf_counter() - t0
    self_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{'step':28s} {'seconds':>8s}")
    for k in ("fetch", "build"):
        print(f"{k:28s} {timings[k]:8.1f}")
    for k, v in per_nb.items():
        print(f"  notebook {k:19s} {v:8.1f}")
    print(f"{'html_site':28s} {timings['html_site']:8.1f}")
    print(f"{'total (target <= 60 s)':28s} {timings['total']:8.1f}")
    print(f"peak memory: this process {self_mb:.0f} MB, largest kernel {kids_mb:.0f} MB")
    out = Path(__file__).parent / "results" / "pipeline.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"timings_s": timings, "notebooks_s": per_nb,
                               "peak_rss_mb": {"self": self_mb, "kernels": kids_mb}}, indent=2) + "\n")


if __name__ == "__main__":
    main()

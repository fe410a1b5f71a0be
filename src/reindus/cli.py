"""The ``reindus`` command line: fetch, build, run, report, check.

Examples
--------
    reindus fetch --mirror ../shared/data     # copy and verify the sources into data/raw
    reindus build                             # raw files -> data/processed/*.parquet
    reindus run all                           # execute every notebook in place
    reindus run 01 -p region 44               # what-if run for Grand Est -> reports/runs/
    reindus sweep sweeps/01-regions.yaml      # every region, in parallel -> reports/sweeps/
    reindus report                            # HTML of every notebook + reports/index.html
    reindus check                             # hashes, schemas, outputs up to date

Exit codes: 0 success, 1 a check failed, 2 bad input data or usage.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from reindus.errors import DataError


def _progress(items, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return items
    return tqdm(list(items), desc=desc, unit="file", disable=not sys.stderr.isatty())


def _parse_value(text: str) -> Any:
    """Parameters arrive as text; numbers and booleans are converted, codes stay text."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text.isdigit() and not text.startswith("0") and len(text) > 2:
        return int(text)
    try:
        if "." in text:
            return float(text)
    except ValueError:
        pass
    return text


def cmd_fetch(args: argparse.Namespace) -> int:
    from reindus import sources

    if args.full:
        from reindus import full_resolution

        entry = full_resolution.fetch_full(args.source_file)
        print(f"fetched the full commune x APE file (vintage {entry['vintage']}, {entry['bytes']:,d} bytes, "
              f"sha256 {entry['sha256'][:12]}) into {entry['file']}; lock: {full_resolution.lock_path().name}")
        return 0
    if args.source_file:
        raise ValueError("--from is only for --full: give it with `reindus fetch --full --from FILE`")
    mirror = Path(args.mirror).resolve() if args.mirror else None
    paths = sources.fetch(args.ids or None, mirror=mirror, force=args.force,
                          progress=lambda xs: _progress(xs, "fetch"))
    print(f"fetched and verified {len(paths)} files into data/raw")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from reindus.build import build

    if args.full:
        from reindus import full_resolution

        t0 = time.perf_counter()
        out = full_resolution.build_sector_employment()
        print(f"built {', '.join(p.name for p in out.values())} in {time.perf_counter() - t0:.1f} s "
              f"-> {full_resolution.full_dir()}")
        return 0
    t0 = time.perf_counter()
    built = build(args.tables or None, progress=lambda xs: _progress(xs, "build"))
    for name, entry in built.items():
        print(f"{name:28s} {entry['rows']:>8,d} rows  sha256 {entry['sha256'][:12]}")
    print(f"built {len(built)} tables in {time.perf_counter() - t0:.1f} s")
    return 0


def _load_params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if args.parameters_file:
        import yaml

        params.update(yaml.safe_load(Path(args.parameters_file).read_text()) or {})
    for name, value in args.param or []:
        params[name] = _parse_value(value)
    return params


def cmd_run(args: argparse.Namespace) -> int:
    from reindus import notebooks

    params = _load_params(args)
    for path in notebooks.resolve(args.notebook):
        t0 = time.perf_counter()
        out = notebooks.execute(path, params)
        print(f"executed {path.name} in {time.perf_counter() - t0:.1f} s -> {out}")
    return 0


def cmd_sweep(args: argparse.Namespace) -> int:
    from reindus import sweep

    grid = sweep.load_grid(args.grid)
    runs = sweep.expand(grid)
    print(f"sweep {grid['name']}: {len(runs)} runs of notebook {grid['notebook']}")
    t0 = time.perf_counter()
    table = sweep.run_sweep(grid, workers=args.workers)
    print(f"{len(table)} results from {len(runs)} runs in {time.perf_counter() - t0:.1f} s -> "
          f"reports/sweeps/{grid['name']}.csv")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from reindus import docs, site

    index = site.build_site()
    print(f"wrote {index}")
    if args.readme:
        docs.render_readme()
        print("updated the generated sections of README.md")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from reindus import checks

    problems = checks.run_checks(verbose=True)
    for p in problems:
        print(f"FAIL {p}")
    print("all checks passed" if not problems else f"{len(problems)} check(s) failed")
    return 1 if problems else 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reindus", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.split("\n")[2:]))
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch", help="copy the registered sources into data/raw and verify sha256",
                       description="Copy each registered source from a mirror directory (or "
                       "download it from its official URL when online) into data/raw/, "
                       "checking its sha256.")
    p.add_argument("ids", nargs="*", help="source ids from data/sources.toml (default: all)")
    p.add_argument("--mirror", help="mirror directory (default: $REINDUS_MIRROR; none = download)")
    p.add_argument("--force", action="store_true", help="copy again even if a verified copy exists")
    p.add_argument("--full", action="store_true",
                   help="fetch the optional official commune x APE file (large; needs the internet) "
                   "and record it in data/full-resolution.lock.json")
    p.add_argument("--from", dest="source_file", metavar="FILE",
                   help="with --full: use a copy of the file you already downloaded")
    p.set_defaults(func=cmd_fetch)

    p = sub.add_parser("build", help="build data/processed/*.parquet from data/raw",
                       description="Run every loader (raw file -> tidy validated table) and write "
                       "the processed tables atomically, with MANIFEST.json.")
    p.add_argument("tables", nargs="*", help="table names (default: all)")
    p.add_argument("--full", action="store_true",
                   help="build the full-resolution sector tables (data/full/) from the fetched "
                   "commune x APE file instead")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("run", help="execute notebooks with papermill",
                       description="Execute a notebook ('01', '01-regions-compared' or 'all'). "
                       "Without parameters it runs in place and writes reports/; with -p it writes "
                       "the executed copy, figures and results under reports/runs/<slug>/.")
    p.add_argument("notebook", help="'all', a number such as 01, or a notebook name")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="set a parameter of the notebook's parameters cell (repeatable)")
    p.add_argument("-f", "--parameters-file", help="YAML file of parameters")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="run a notebook over a parameter grid, in parallel",
                       description="Execute every combination of a YAML grid (see sweeps/*.yaml) "
                       "in parallel and collect the results into reports/sweeps/<name>.csv and "
                       "a summary figure.")
    p.add_argument("grid", help="grid file, e.g. sweeps/01-regions.yaml")
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: cores)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="export notebooks to HTML and write reports/index.html")
    p.add_argument("--no-readme", dest="readme", action="store_false",
                   help="do not regenerate the README's generated sections")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("check", help="verify hashes, schemas and that committed outputs are current")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except DataError as exc:
        print(f"reindus: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"reindus: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The reindus command line: fetch, build, run, sweep, report, check.

Examples
--------
    reindus fetch --mirror ../shared/data     # copy and verify the sources into data/raw
    reindus build                             # raw files -> data/processed/*.parquet
    reindus run all                           # execute every notebook (2 at once; unchanged
                                              # ones are skipped, --force runs them anyway)
    reindus run 01 --list-params              # parameters: default, type, allowed values
    reindus run 01 -p region 44               # what-if run for Grand Est -> reports/runs/
    reindus run 01 -p region "Grand Est"      # the same, by name
    reindus sweep sweeps/01-regions.yaml      # every region, in parallel -> reports/sweeps/
    reindus report                            # HTML of every notebook + reports/index.html
    reindus check                             # hashes of data, results and figures; notebooks
    reindus check --deep                      # ... and re-execute, compare the numbers

Only `reindus run` with the default parameters writes the published outputs (the
notebooks and reports/); a run that fails or is killed leaves them as they were.
Notebooks opened in JupyterLab write to reports/scratch/ (git-ignored).

Exit codes: 0 success, 1 a check or a notebook failed, 2 bad input data or usage.
"""

from __future__ import annotations

import argparse
import sys

from reindus.errors import DataError
from reindus.workflow.commands import (
    UsageError,
    cmd_build,
    cmd_check,
    cmd_fetch,
    cmd_report,
    cmd_run,
    cmd_sweep,
    writable_folder,
)

__all__ = ["UsageError", "main", "make_parser"]


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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
                       "With the default parameters it writes the published outputs (the "
                       "notebook in place and reports/); with -p or -f it writes the executed "
                       "copy, figures and results under reports/runs/<slug>/ (git-ignored). "
                       "Values are checked before anything runs (see --list-params); region "
                       "names are accepted as well as codes. A run that fails or is killed "
                       "leaves every earlier output as it was.")
    p.add_argument("notebook", help="'all', a number such as 01, or a notebook name")
    p.add_argument("-p", "--param", nargs=2, action="append", metavar=("NAME", "VALUE"),
                   help="set a parameter of the notebook's parameters cell (repeatable)")
    p.add_argument("-f", "--parameters-file", help="YAML file of parameters")
    p.add_argument("--force", action="store_true",
                   help="run even the notebooks whose recorded run is up to date")
    p.add_argument("-j", "--jobs", type=int, default=2,
                   help="notebooks executed at once (default 2; they are independent)")
    p.add_argument("--list-params", action="store_true",
                   help="list the notebook's parameters (default, type, allowed values) and exit")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sweep", help="run a notebook over a parameter grid, in parallel",
                       description="Execute every combination of a YAML grid (see sweeps/*.yaml) "
                       "in parallel and collect the results into reports/sweeps/<name>.csv and "
                       "a summary figure.")
    p.add_argument("grid", help="grid file, e.g. sweeps/01-regions.yaml")
    p.add_argument("--workers", type=int, default=None, help="parallel runs (default: cores)")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("report", help="export notebooks to HTML and write reports/index.html",
                       description="Export the executed notebooks to HTML and write the site "
                       "index under reports/ (nothing is re-executed).")
    p.add_argument("--no-readme", dest="readme", action="store_false",
                   help="do not regenerate the README's generated sections")
    p.add_argument("--force", action="store_true",
                   help="rebuild the book even when its inputs are unchanged since the last build")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("check", help="verify data, results, figures and notebooks against their "
                       "recorded hashes",
                       description="The integrity check: raw files and processed tables against "
                       "their recorded sha256, results JSON against reports/MANIFEST.json, "
                       "figure CSVs against their sidecars, notebooks executed top to bottom "
                       "without errors and in sync with their .md twins, published results "
                       "made with the default parameters, no leftover staging or temporary "
                       "files. Exit 1 with the list of what differs, 0 when all is well.")
    p.add_argument("--deep", action="store_true",
                   help="also re-execute every notebook into a temporary folder and compare "
                   "its numbers with the published ones (minutes)")
    p.set_defaults(func=cmd_check)
    return parser


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors on one line (what is wrong, and the fix)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}. Fix: see `{self.prog} --help`\n")


def _check_ids(args: argparse.Namespace) -> None:
    """Unknown source or table ids are refused before anything is read or written."""
    import difflib

    if args.command == "fetch" and args.ids:
        from reindus.ingest.sources import load_registry

        known, kind = list(load_registry()), "source"
        asked = args.ids
    elif args.command == "build" and args.tables:
        from reindus.ingest.loaders import TABLES

        known, kind = list(TABLES), "table"
        asked = args.tables
    else:
        return
    for name in asked:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise UsageError(f"unknown {kind} id {name!r}",
                             f"{hint}known {kind}s: {', '.join(sorted(known))}")


def _preflight(args: argparse.Namespace) -> None:
    from reindus import config

    _check_ids(args)
    if args.command == "build":
        writable_folder(config.processed_dir(), "data/processed (REINDUS_PROCESSED)")
    elif args.command == "fetch":
        writable_folder(config.raw_dir(), "data/raw (REINDUS_RAW)")
    elif args.command == "report":
        writable_folder(config.reports_dir(), "the reports folder")


def _os_error_line(exc: OSError) -> str:
    """One line for a file-system error: which file, what happened, what to do."""
    import errno

    where = exc.filename or "a file"
    fixes = {
        errno.EACCES: "make it writable, or work in a writable checkout",
        errno.EPERM: "make it writable, or work in a writable checkout",
        errno.EROFS: "the file system is read-only: work in a writable copy of the project",
        errno.ENOTDIR: "a file stands where a folder is needed: move it away",
        errno.EISDIR: "a folder stands where a file is needed: move it away",
        errno.EEXIST: "something already stands at that path: move it away",
        errno.ENOENT: "check the path (run `make data` if it is a data file)",
        errno.ENOSPC: "free some disk space and run again",
    }
    fix = fixes.get(exc.errno or 0, "check the path and its permissions")
    return f"{where}: {exc.strerror or exc}. Fix: {fix}"


def main(argv: list[str] | None = None) -> int:
    from reindus.workflow.notebooks import NotebookFailed
    from reindus.workflow.parameters import ParameterError

    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        _preflight(args)
        return args.func(args)
    except (DataError, UsageError, ParameterError) as exc:
        print(f"reindus: error: {exc}", file=sys.stderr)
        return 2
    except NotebookFailed as exc:
        print(f"reindus: error: {exc}. Fix: read the error in the notebook's cell, fix the "
              "notebook's .md twin or the library, rerun", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"reindus: error: {_os_error_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("reindus: interrupted; outputs of unfinished runs were not written", file=sys.stderr)
        return 130
    except ValueError as exc:
        print(f"reindus: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

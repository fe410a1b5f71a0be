"""The bodies of the ``reindus`` commands (fetch, build, run, sweep, report, check).

:mod:`reindus.workflow.cli` parses the command line, checks it and dispatches to the
``cmd_*`` function here; each returns the exit code (0 success, 1 a check or a
notebook failed) and raises :class:`UsageError` for a command-line mistake (exit 2).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any


def _progress(items, desc: str):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover
        return items
    return tqdm(list(items), desc=desc, unit="file", disable=not sys.stderr.isatty())


def cmd_fetch(args: argparse.Namespace) -> int:
    from reindus.ingest import sources

    if args.full:
        from reindus.ingest import full_resolution

        entry = full_resolution.fetch_full(args.source_file)
        print(f"fetched the full commune x APE file (vintage {entry['vintage']}, {entry['bytes']:,d} bytes, "
              f"sha256 {entry['sha256'][:12]}) into {entry['file']}; lock: {full_resolution.lock_path().name}")
        return 0
    if args.source_file:
        raise ValueError("--from is only for --full: give it with `reindus fetch --full --from FILE`")
    mirror = Path(args.mirror).resolve() if args.mirror else None
    try:
        paths = sources.fetch(args.ids or None, mirror=mirror, force=args.force,
                              progress=lambda xs: _progress(xs, "fetch"))
    except sources.FetchError as exc:
        # Every source was tried: list each failure, then the summary (exit 2).
        for sid, err in exc.failures.items():
            print(f"reindus: cannot fetch {sid}: {err}", file=sys.stderr)
        print(f"fetched and verified {len(exc.fetched)} files; {len(exc.failures)} failed "
              f"({', '.join(exc.failures)})", file=sys.stderr)
        return 2
    print(f"fetched and verified {len(paths)} files")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from reindus.ingest.build import build

    if args.full:
        from reindus.ingest import full_resolution

        t0 = time.perf_counter()
        out = full_resolution.build_sector_employment()
        print(f"built {', '.join(p.name for p in out.values())} in {time.perf_counter() - t0:.1f} s "
              f"-> {full_resolution.full_dir()}")
        return 0
    t0 = time.perf_counter()
    built = build(args.tables or None, progress=lambda xs: _progress(xs, "build"))
    for name, entry in built.items():
        repaired = (f"  ({entry['geometry_repairs']} geometries repaired)"
                    if entry.get("geometry_repairs") else "")
        print(f"{name:28s} {entry['rows']:>8,d} rows  sha256 {entry['sha256'][:12]}{repaired}")
    print(f"built {len(built)} tables in {time.perf_counter() - t0:.1f} s")
    return 0


class UsageError(Exception):
    """A command-line mistake: what is wrong and the fix, shown on one line (exit 2)."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}. Fix: {fix}")


def _load_params(args: argparse.Namespace) -> dict[str, Any]:
    """Raw parameter values from ``-f FILE`` then ``-p NAME VALUE`` (which win)."""
    params: dict[str, Any] = {}
    if args.parameters_file:
        import yaml

        path = Path(args.parameters_file)
        if not path.is_file():
            raise UsageError(f"parameters file {path} "
                             + ("is a folder" if path.is_dir() else "does not exist"),
                             "give the path of a YAML file such as `region: \"44\"`")
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}" if where is not None else ""
            raise UsageError(f"parameters file {path} is not valid YAML{at}",
                             "write one `name: value` per line, e.g. `region: \"44\"`") from None
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
            raise UsageError(f"parameters file {path} holds a {type(loaded).__name__}, not a "
                             "mapping of parameter names to values",
                             "write one `name: value` per line, e.g. `region: \"44\"`")
        params.update(loaded)
    for name, value in args.param or []:
        params[name] = value
    return params


def writable_folder(path: Path, what: str) -> None:
    """Fail early, before minutes of work, when ``path`` cannot take our files."""
    import tempfile

    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{what} {path}: {probe} is a file, not a folder",
                         f"move {probe} away, or point {what} elsewhere")
    try:
        fd, tmp = tempfile.mkstemp(dir=probe, prefix=".reindus-write-test-")
    except OSError as exc:
        raise UsageError(f"{what} {path} is not writable ({exc.strerror})",
                         "run from a writable checkout (a read-only copy can only run "
                         "`reindus check`), or point REINDUS_REPORTS to a writable folder") from None
    os.close(fd)
    os.unlink(tmp)


def _resolve_notebooks(name: str) -> list[Path]:
    from reindus.workflow import notebooks

    try:
        return notebooks.resolve(name)
    except ValueError:
        known = ", ".join(p.stem for p in notebooks.notebook_paths())
        raise UsageError(f"no notebook matches {name!r}",
                         f"give 'all', a number or a name among: {known}") from None


def cmd_run(args: argparse.Namespace) -> int:
    from reindus import config
    from reindus.workflow import notebooks, parameters

    paths = _resolve_notebooks(args.notebook)
    if args.list_params:
        print("\n\n".join(parameters.describe(p) for p in paths))
        return 0
    if args.jobs < 1:
        raise UsageError(f"--jobs {args.jobs} is not a positive number of notebooks at once",
                         "give --jobs 1 or more (default 2)")
    raw = _load_params(args)
    if raw and len(paths) > 1:
        raise UsageError("parameters apply to one notebook, and 'all' runs several",
                         "run one notebook, e.g. `reindus run 01 -p region 44`")
    # Validate every value before any kernel starts (types, names, allowed values).
    plans = []
    for path in paths:
        typed = parameters.validate(path, raw)
        plans.append((path, parameters.non_default(path, typed)))
    writable_folder(config.reports_dir(), "the reports folder")
    for stage in notebooks.recover(config.reports_dir()):
        _say(f"removed {stage.name}, left by a run that was killed")
    if any(not p for _, p in plans):
        writable_folder(paths[0].parent, "the notebooks folder")
    todo = []
    for path, params in plans:
        if not params and not args.force and notebooks.up_to_date(path):
            _say(f"up to date {path.name} (same notebook, data, library and versions as its "
                 "recorded run; --force to run it again)")
        else:
            todo.append((path, params))
    failed = _execute_all(todo, jobs=args.jobs)
    if len(failed) > 1:
        _say(f"reindus: {len(failed)} notebooks failed ({', '.join(failed)}); their earlier "
             "outputs were left as they were", err=True)
    return 1 if failed else 0


def _execute_one(plan: tuple[Path, dict[str, Any]]) -> tuple[Path, dict[str, Any], Path | str,
                                                                 float]:
    """Run one notebook (in a worker process); return its output or the failure message."""
    from reindus.workflow import notebooks

    path, params = plan
    t0 = time.perf_counter()
    try:
        out: Path | str = notebooks.execute(path, params)
    except notebooks.NotebookFailed as exc:
        out = str(exc)
    return path, params, out, time.perf_counter() - t0


def _execute_all(todo: list[tuple[Path, dict[str, Any]]], jobs: int) -> list[str]:
    """Execute the notebooks, ``jobs`` at a time (they are independent); return the failed ones."""
    failed: list[str] = []

    def report(path: Path, params: dict[str, Any], out: Path | str, seconds: float) -> None:
        if isinstance(out, str):
            failed.append(path.stem)
            _say(f"reindus: error: {out}. Fix: read the error in that cell, fix the notebook's "
                 ".md twin or the library, and rerun", err=True)
        else:
            where = "published" if not params else "what-if, git-ignored"
            _say(f"executed {path.name} in {seconds:.1f} s -> {out} ({where})")

    jobs = max(1, min(jobs, len(todo)))
    with _progress_bar(len(todo)) as tick:
        if jobs == 1:
            for plan in todo:
                tick(plan[0].stem, started=True)
                result = _execute_one(plan)
                report(*result)
                tick(plan[0].stem)
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_execute_one, plan) for plan in todo]
                tick(", ".join(p.stem for p, _ in todo[:jobs]), started=True)
                for fut in as_completed(futures):
                    result = fut.result()
                    report(*result)
                    tick(result[0].stem)
    return failed


_BAR: Any = None


def _say(text: str, err: bool = False) -> None:
    """Print a line (to stderr with ``err``) without breaking the progress bar."""
    stream = sys.stderr if err else sys.stdout
    if _BAR is not None:
        _BAR.write(text, file=stream)
    else:
        print(text, file=stream)


def _progress_bar(total: int):
    """A progress bar (last notebook, elapsed time) on a terminal; ``tick(name)`` advances it."""
    import contextlib

    @contextlib.contextmanager
    def cm():
        global _BAR
        if total < 2 or not sys.stderr.isatty():
            yield lambda name, started=False: None
            return
        from tqdm import tqdm

        from reindus.workflow.sweep import ticking

        with tqdm(total=total, unit="notebook", desc="run",
                  bar_format="{desc} {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed") as bar, \
                ticking(bar):
            _BAR = bar

            def tick(name: str, started: bool = False) -> None:
                bar.set_description_str(f"run {name}" if started else f"done {name}")
                if not started:
                    bar.update(1)
            try:
                yield tick
            finally:
                _BAR = None
    return cm()


def cmd_sweep(args: argparse.Namespace) -> int:
    from reindus import config
    from reindus.workflow import sweep

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers} is not a positive number of parallel runs",
                         "give --workers 1 or more, or leave it out (one per core)")
    grid = sweep.load_grid(args.grid)
    runs = sweep.expand(grid)
    writable_folder(config.reports_dir(), "the reports folder")
    print(f"sweep {grid['name']}: {len(runs)} runs of notebook {grid['notebook']}")
    t0 = time.perf_counter()
    failed: list[str] = []
    table = sweep.run_sweep(grid, workers=args.workers, failures=failed)
    if failed:
        for line in failed:
            print(f"reindus: error: {line}", file=sys.stderr)
        print(f"reindus: {len(failed)} of {len(runs)} runs failed, so reports/sweeps/"
              f"{grid['name']}.csv was left as it was. Fix: read the errors above, fix the "
              "grid or the notebook, rerun the sweep", file=sys.stderr)
        return 1
    print(f"{len(table)} results from {len(runs)} runs in "
          f"{time.perf_counter() - t0:.1f} s -> reports/sweeps/{grid['name']}.csv")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from reindus import config
    from reindus.reporting import docs, site

    index = site.build_site(force=args.force)
    print(f"wrote {index}")
    if args.readme:
        readme = config.ROOT / "README.md"
        before = readme.read_text(encoding="utf-8")
        changed = docs.render_readme() != before
        print("updated the generated sections of README.md" if changed
              else "README.md's generated sections are up to date")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from reindus.workflow import checks

    problems = checks.run_checks(verbose=True, deep=args.deep)
    for p in problems:
        print(f"FAIL {p}")
    print("all checks passed" if not problems else f"{len(problems)} check(s) failed")
    return 1 if problems else 0

"""Shared test configuration.

* Sockets are blocked for every test (pytest-socket, see pyproject.toml).
* Reports written during the tests (notebooks under nbval included) go to a
  temporary folder, never into the committed ``reports/``; one folder per
  process, so each pytest-xdist worker has its own.
* Tests that need the source mirror are marked ``mirror`` and skipped, with
  the reason, when ``../shared/data`` (or ``$REINDUS_MIRROR``) is absent.
* Each notebook is executed once per session. When nbval has run every cell
  of a notebook, passing, its results JSON is published in the session folder
  (shared by the xdist workers); a test marked ``notebook_run(stem)`` reads it
  through the ``notebook_results`` fixture, waiting for nbval if the notebook
  is part of the session, and executes the notebook itself otherwise
  (``pytest tests`` alone, a failed, skipped or deselected cell).
* ``make test`` runs in parallel: ``-n auto --dist loadfile``, so that the
  cells of a notebook stay in one worker and one kernel, in order, and each
  test file is one unit of work. (``--dist loadgroup`` would let a test join
  its notebook's worker, but pytest-xdist 3.8 drops the groups on pytest >= 9.2,
  pytest-xdist issue 1386.) Units holding a notebook or a ``slow`` test are
  handed out first, the readers of notebook results last, so that the last
  units to finish are short ones and the notebooks have run when read.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from reindus import config

_REPORTS = tempfile.mkdtemp(prefix="reindus-test-reports-")
atexit.register(shutil.rmtree, _REPORTS, ignore_errors=True)
os.environ["REINDUS_REPORTS"] = _REPORTS  # inherited by the nbval kernels too

# One folder for the whole session, shared by the xdist workers: the controller (or the
# single pytest process) creates it before the workers start, and they inherit the variable.
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get("REINDUS_TEST_SESSION"):
    _SESSION = Path(os.environ["REINDUS_TEST_SESSION"])
else:
    _SESSION = Path(tempfile.mkdtemp(prefix="reindus-test-session-"))
    atexit.register(shutil.rmtree, _SESSION, ignore_errors=True)
    os.environ["REINDUS_TEST_SESSION"] = str(_SESSION)

#: how long a reader waits for nbval's run of a notebook in another worker
NOTEBOOK_WAIT_S = 1800


def mirror_path() -> Path | None:
    """The source mirror, if present."""
    candidate = config.mirror_dir() or config.DEFAULT_MIRROR
    return candidate if (candidate / "sources.csv").is_file() else None


@contextmanager
def session_lock(name: str) -> Iterator[Path]:
    """An exclusive lock shared by every process of the session (xdist workers included)."""
    path = _SESSION / f"{name}.lock"
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------------------- notebooks, xdist

#: notebook stem -> node ids of its nbval cells collected in this session
_NB_CELLS: dict[str, set[str]] = {}
#: notebook stem -> number of code cells in the notebook (all of them, selected or not)
_NB_CODE_CELLS: dict[str, int] = {}
#: notebook stem -> node ids of its cells that finished (teardown) / passed in this process
_NB_DONE: dict[str, set[str]] = {}
_NB_PASSED: dict[str, set[str]] = {}


def _nbval_stem(item: pytest.Item) -> str | None:
    """The notebook of an nbval cell (the only items collected from ``.ipynb`` files)."""
    return item.path.stem if item.path.suffix == ".ipynb" else None


def _notebook_run_stem(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("notebook_run")
    return str(mark.args[0]) if mark else None


def _published(stem: str) -> Path:
    """Folder where nbval's complete run of ``stem`` publishes its results JSON."""
    return _SESSION / "nbval" / stem


def pytest_configure(config: pytest.Config) -> None:
    if (config.getoption("nbval", False) and config.getoption("numprocesses", None)
            and config.getoption("dist", "no") not in ("loadfile", "loadscope")):
        raise pytest.UsageError("nbval runs the cells of a notebook in order in one kernel: "
                                "with -n, give --dist loadfile (as `make test` does)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    stems = {s for it in items if (s := _nbval_stem(it)) is not None}
    if hasattr(config, "workerinput"):  # an xdist worker: order the units of work (files)
        readers = {it.path for it in items if _notebook_run_stem(it) in stems}
        heavy = {it.path for it in items
                 if _nbval_stem(it) is not None or it.get_closest_marker("slow") is not None}
        # 0: notebooks and files with a slow test; 1: the rest; 2: readers of notebook results,
        # last, so that the notebooks have run in the other workers when they are read.
        items.sort(key=lambda it: 2 if it.path in readers else 0 if it.path in heavy else 1)
        return
    # One process: a test reading a notebook's results runs right after the notebook's cells.
    readers = [it for it in items if _notebook_run_stem(it) in stems]
    for reader in readers:
        items.remove(reader)
    for reader in readers:
        stem = _notebook_run_stem(reader)
        last = max(i for i, it in enumerate(items)
                   if _nbval_stem(it) == stem or _notebook_run_stem(it) == stem)
        items.insert(last + 1, reader)


def pytest_collection_finish(session: pytest.Session) -> None:
    # After every modifyitems hook: -k and deselection are done.
    for item in session.items:
        if (stem := _nbval_stem(item)) is not None:
            _NB_CELLS.setdefault(stem, set()).add(item.nodeid)
            _NB_CODE_CELLS[stem] = sum(c.cell_type == "code" for c in item.parent.nb.cells)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    stem = next((s for s, ids in _NB_CELLS.items() if report.nodeid in ids), None)
    if stem is None or hasattr(report, "node"):  # not a cell, or the xdist controller's copy
        return
    if report.when == "call" and report.passed:
        _NB_PASSED.setdefault(stem, set()).add(report.nodeid)
    if report.failed:  # the run cannot be complete: tell a waiting reader now
        _publish(stem)
    if report.when == "teardown":
        done = _NB_DONE.setdefault(stem, set())
        done.add(report.nodeid)
        if done == _NB_CELLS[stem]:
            _publish(stem)


def pytest_sessionfinish(session: pytest.Session) -> None:
    # A notebook started here but cut short (-x, --maxfail, Ctrl-C): never leave a reader waiting.
    for stem in _NB_DONE:
        if not (_published(stem) / "status.json").exists():
            _publish(stem)


def _publish(stem: str) -> None:
    """After the last cell of ``stem``: publish its results if every code cell ran and passed.

    Counted against the notebook's own code cells, so a run with some cells
    deselected (``-k``) or skipped is not published: its results may be partial.
    """
    out = _published(stem)
    out.mkdir(parents=True, exist_ok=True)
    results = Path(_REPORTS) / "results" / f"{stem}.json"
    complete = (len(_NB_PASSED.get(stem, ())) == _NB_CODE_CELLS.get(stem) and results.is_file())
    if complete:
        shutil.copy2(results, out / results.name)
    status = out / "status.json"
    tmp = out / ".status.json.tmp"
    tmp.write_text(json.dumps({"complete": complete}))
    os.replace(tmp, status)  # readers see the status whole, after the results


def nbval_results(stem: str, timeout: float = NOTEBOOK_WAIT_S) -> Path | None:
    """Folder with nbval's results of ``stem`` from this session, or None if it has none.

    None when the notebook is not part of the session, or nbval's run was
    incomplete (a cell failed, was skipped or deselected). When it is part of
    the session but not finished (another xdist worker is running it), wait.
    """
    if stem not in _NB_CELLS:
        return None
    status = _published(stem) / "status.json"
    deadline = time.monotonic() + timeout
    while not status.exists():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)
    return _published(stem) if json.loads(status.read_text())["complete"] else None


@pytest.fixture(scope="session")
def notebook_results() -> Callable[[str], Path]:
    """``results(stem)``: a folder holding ``<stem>.json`` fresh from this session.

    nbval's run of the notebook when it was complete (see :func:`nbval_results`),
    else the notebook is executed here with papermill, once per process. Tests
    using it are marked ``notebook_run(stem)``.
    """
    from reindus.workflow.notebooks import execute

    executed: dict[str, Path] = {}

    def results(stem: str) -> Path:
        if (published := nbval_results(stem)) is not None:
            return published
        if stem not in executed:
            out = Path(tempfile.mkdtemp(prefix=f"{stem}-", dir=_REPORTS))
            execute(config.NOTEBOOKS_DIR / f"{stem}.ipynb", output=out / f"{stem}.ipynb",
                    reports_dir=out / "reports")
            executed[stem] = out / "reports" / "results"
        return executed[stem]

    return results


@pytest.fixture(scope="session")
def grand_est_run() -> tuple[int, Path]:
    """``reindus run 01 -p region 44`` (Grand Est), executed once for the whole session.

    Returns the exit code and the what-if folder
    ``reports/runs/01-regions-compared__region-44``. Shared by test_cli.py and
    test_whatif_prose.py, in whichever xdist worker needs it first (the other waits
    on the lock and reads it).
    """
    from reindus.workflow import cli

    reports = _SESSION / "grand-est" / "reports"
    code_file = _SESSION / "grand-est" / "exit-code"
    with session_lock("grand-est"):
        if not code_file.exists():
            with pytest.MonkeyPatch.context() as mp:
                mp.setenv("REINDUS_REPORTS", str(reports))
                code = cli.main(["run", "01", "-p", "region", "44"])
            code_file.write_text(str(code))
    return int(code_file.read_text()), reports / "runs" / "01-regions-compared__region-44"


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("mirror") and mirror_path() is None:
        pytest.skip("needs the source mirror ../shared/data (or REINDUS_MIRROR); absent here")


@pytest.fixture(scope="session")
def mirror() -> Path:
    """Path of the source mirror (tests using it must be marked ``mirror``)."""
    path = mirror_path()
    if path is None:
        pytest.skip("needs the source mirror ../shared/data (or REINDUS_MIRROR); absent here")
    return path


@pytest.fixture(scope="session")
def raw_dir(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data/raw fetched from the mirror for this test session."""
    from reindus.ingest.sources import fetch

    out = tmp_path_factory.mktemp("raw")
    fetch(mirror=mirror, raw_dir=out)
    return out


@pytest.fixture()
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty reports folder for one test."""
    monkeypatch.setenv("REINDUS_REPORTS", str(tmp_path / "reports"))
    return tmp_path / "reports"

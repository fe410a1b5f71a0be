"""Numeric regression of the published numbers.

``make test`` runs nbval on the notebooks; their kernels write results JSON
into this session's temporary reports folder. Here each committed
``reports/results/<notebook>.json`` is compared with the fresh one. The
``notebook_results`` fixture (conftest.py) gives nbval's results when nbval
executed the whole notebook in this process, and otherwise executes the
notebook with papermill (``pytest tests`` alone); the ``notebook_run`` mark
places each test right after its notebook's cells, in the same xdist worker.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import pytest

from reindus import config
from reindus.reporting.regression import compare_dirs, compare_results
from reindus.workflow.notebooks import notebook_paths

COMMITTED = config.ROOT / "reports" / "results"


@pytest.mark.slow
@pytest.mark.parametrize("nb", [pytest.param(p.stem, marks=pytest.mark.notebook_run(p.stem))
                                for p in notebook_paths()])
def test_notebook_numbers_unchanged(nb: str, notebook_results: Callable[[str], Path]) -> None:
    committed = COMMITTED / f"{nb}.json"
    if not committed.exists():
        pytest.fail(f"{committed} is missing: run `make reports` and commit reports/results")
    fresh_dir = notebook_results(nb)
    assert (fresh_dir / f"{nb}.json").is_file(), f"the run of {nb} wrote no results JSON"
    diffs = compare_dirs(COMMITTED, fresh_dir, [nb])
    assert not diffs, "published numbers moved:\n" + "\n".join(map(str, diffs))


def test_a_moved_number_fails_loudly() -> None:
    old = {"notebook": "01-regions-compared", "results": {
        "hdf_share": {"estimate": 9.0247, "interval": [8.9, 9.1], "unit": "%"},
        "hdf_rank": {"estimate": 4, "unit": "rank"}}}
    new = copy.deepcopy(old)
    assert compare_results(old, new) == []
    new["results"]["hdf_share"]["estimate"] = 9.1
    new["results"]["hdf_rank"]["estimate"] = 5
    diffs = compare_results(old, new)
    text = "\n".join(map(str, diffs))
    assert "hdf_share.estimate was 9.0247, now 9.1" in text
    assert "hdf_rank.estimate was 4, now 5" in text


def test_tolerance_and_missing_numbers() -> None:
    old = {"notebook": "x", "results": {"a": {"estimate": 1.0, "interval": [0.5, 1.5]},
                                        "b": {"estimate": 2.0}}}
    new = {"notebook": "x", "results": {"a": {"estimate": 1.0 + 1e-12, "interval": [0.5, 1.5]},
                                        "c": {"estimate": 3.0}}}
    diffs = compare_results(old, new)
    assert [(d.name, d.field) for d in diffs] == [("b", "*")]


def test_compare_dirs_on_files(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    doc = {"notebook": "00-data-sources", "results": {"n": {"estimate": 20136277}}}
    (tmp_path / "old" / "00-data-sources.json").write_text(json.dumps(doc))
    doc["results"]["n"]["estimate"] = 20136278
    (tmp_path / "new" / "00-data-sources.json").write_text(json.dumps(doc))
    diffs = compare_dirs(tmp_path / "old", tmp_path / "new")
    assert len(diffs) == 1 and "20136277" in str(diffs[0]) and "20136278" in str(diffs[0])


def test_committed_results_exist_for_every_notebook() -> None:
    missing = [p.stem for p in notebook_paths() if not (COMMITTED / f"{p.stem}.json").exists()]
    assert not missing, f"no committed results for {missing}: run `make reports`"


# --------------------------------------------------------------------------- conftest.py
# The plumbing behind test_notebook_numbers_unchanged: each notebook executed once per session.

@pytest.fixture()
def session_conftest(request: pytest.FixtureRequest, tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch):
    """The root conftest.py module, its session and reports folders redirected to tmp."""
    mod = next(p for p in request.config.pluginmanager.get_plugins()
               if getattr(p, "__file__", None) == str(config.ROOT / "conftest.py"))
    monkeypatch.setattr(mod, "_SESSION", tmp_path / "session")
    monkeypatch.setattr(mod, "_REPORTS", str(tmp_path / "reports"))
    (tmp_path / "reports" / "results").mkdir(parents=True)
    return mod


def _nbval_run(mod, monkeypatch: pytest.MonkeyPatch, stem: str, cells: int, passed: int) -> None:
    """Pretend nbval collected ``cells`` of the notebook's cells, ``passed`` of them passing."""
    ids = {f"notebooks/{stem}.ipynb::Cell {i}" for i in range(cells)}
    monkeypatch.setitem(mod._NB_CELLS, stem, ids)
    monkeypatch.setitem(mod._NB_CODE_CELLS, stem, 3)
    monkeypatch.setitem(mod._NB_PASSED, stem, set(sorted(ids)[:passed]))
    monkeypatch.setitem(mod._NB_DONE, stem, set())


def test_a_complete_nbval_run_is_published_and_read(session_conftest, monkeypatch) -> None:
    mod = session_conftest
    _nbval_run(mod, monkeypatch, "77-x", cells=3, passed=3)
    (Path(mod._REPORTS) / "results" / "77-x.json").write_text('{"results": {}}')
    mod._publish("77-x")
    got = mod.nbval_results("77-x", timeout=0)
    assert got == mod._SESSION / "nbval" / "77-x"
    assert (got / "77-x.json").read_text() == '{"results": {}}'


@pytest.mark.parametrize(("cells", "passed", "results"), [
    (3, 2, True),    # a cell failed
    (2, 2, True),    # a cell deselected (-k): the results may be partial
    (3, 3, False),   # the kernel wrote no results
])
def test_an_incomplete_nbval_run_is_not_read(session_conftest, monkeypatch, cells: int,
                                             passed: int, results: bool) -> None:
    mod = session_conftest
    _nbval_run(mod, monkeypatch, "77-x", cells=cells, passed=passed)
    if results:
        (Path(mod._REPORTS) / "results" / "77-x.json").write_text('{"results": {}}')
    mod._publish("77-x")
    assert mod.nbval_results("77-x", timeout=0) is None
    assert not (mod._SESSION / "nbval" / "77-x" / "77-x.json").exists()


def test_a_notebook_outside_the_session_or_unfinished_is_not_read(session_conftest,
                                                                  monkeypatch) -> None:
    mod = session_conftest
    assert mod.nbval_results("78-not-collected", timeout=0) is None
    _nbval_run(mod, monkeypatch, "77-x", cells=3, passed=3)  # collected, never finished
    assert mod.nbval_results("77-x", timeout=0.3) is None


def test_the_last_cell_publishes(session_conftest, monkeypatch) -> None:
    """The teardown report of the last collected cell publishes; the controller's copies don't."""
    mod = session_conftest
    _nbval_run(mod, monkeypatch, "77-x", cells=3, passed=0)
    (Path(mod._REPORTS) / "results" / "77-x.json").write_text("{}")
    for i in range(3):
        for when in ("setup", "call", "teardown"):
            report = pytest.TestReport(f"notebooks/77-x.ipynb::Cell {i}", ("", 0, ""), {},
                                       "passed", None, when)
            assert mod.nbval_results("77-x", timeout=0) is None
            mod.pytest_runtest_logreport(report)
    assert mod.nbval_results("77-x", timeout=0) is not None


def test_a_failed_cell_releases_the_readers_at_once(session_conftest, monkeypatch) -> None:
    mod = session_conftest
    _nbval_run(mod, monkeypatch, "77-x", cells=3, passed=0)
    (Path(mod._REPORTS) / "results" / "77-x.json").write_text("{}")
    failed = pytest.TestReport("notebooks/77-x.ipynb::Cell 0", ("", 0, ""), {}, "failed", "E",
                               "call")
    mod.pytest_runtest_logreport(failed)
    assert (mod._SESSION / "nbval" / "77-x" / "status.json").exists()
    assert mod.nbval_results("77-x", timeout=0) is None


def test_a_notebook_cut_short_is_published_at_session_end(session_conftest, monkeypatch) -> None:
    mod = session_conftest
    _nbval_run(mod, monkeypatch, "77-x", cells=3, passed=1)
    monkeypatch.setitem(mod._NB_DONE, "77-x", {"notebooks/77-x.ipynb::Cell 0"})  # then -x
    mod.pytest_sessionfinish(None)
    assert json.loads((mod._SESSION / "nbval" / "77-x" / "status.json").read_text()) == {
        "complete": False}


class _Item:
    def __init__(self, path: str, stem: str | None = None, slow: bool = False) -> None:
        self.path, self.name = Path(path), f"{path}[{stem}]"
        self.marks = {"notebook_run": pytest.mark.notebook_run(stem).mark} if stem else {}
        if slow:
            self.marks["slow"] = pytest.mark.slow.mark

    def get_closest_marker(self, name: str):
        return self.marks.get(name)

    def __repr__(self) -> str:
        return self.name


def _items() -> list[_Item]:
    return [_Item("notebooks/00-a.ipynb"), _Item("notebooks/00-a.ipynb"),
            _Item("notebooks/01-b.ipynb"), _Item("tests/test_a.py"),
            _Item("tests/test_regression.py", "01-b", slow=True),
            _Item("tests/test_regression.py", "00-a", slow=True),
            _Item("tests/test_regression.py"), _Item("tests/test_z.py", slow=True)]


def test_readers_follow_their_notebook_in_one_process(session_conftest) -> None:
    items = _items()
    session_conftest.pytest_collection_modifyitems(SimpleNamespace(), items)  # one process
    assert [i.name for i in items] == [
        "notebooks/00-a.ipynb[None]", "notebooks/00-a.ipynb[None]",
        "tests/test_regression.py[00-a]",
        "notebooks/01-b.ipynb[None]", "tests/test_regression.py[01-b]",
        "tests/test_a.py[None]", "tests/test_regression.py[None]", "tests/test_z.py[None]"]


def test_xdist_units_heavy_first_readers_last(session_conftest) -> None:
    items = _items()
    worker = SimpleNamespace(workerinput={"workerid": "gw0"})  # an xdist worker's config
    session_conftest.pytest_collection_modifyitems(worker, items)
    assert [str(i.path) for i in items] == [
        "notebooks/00-a.ipynb", "notebooks/00-a.ipynb", "notebooks/01-b.ipynb",
        "tests/test_z.py", "tests/test_a.py"] + ["tests/test_regression.py"] * 3


def test_nbval_under_xdist_needs_loadfile(session_conftest) -> None:
    class Options:
        def __init__(self, **values) -> None:
            self.values = values

        def getoption(self, name: str, default=None):
            return self.values.get(name, default)

    with pytest.raises(pytest.UsageError, match="--dist loadfile"):
        session_conftest.pytest_configure(Options(nbval=True, numprocesses=2, dist="load"))
    session_conftest.pytest_configure(Options(nbval=True, numprocesses=2, dist="loadfile"))
    session_conftest.pytest_configure(Options(nbval=True, numprocesses=None, dist="no"))
    session_conftest.pytest_configure(Options(nbval=False, numprocesses=2, dist="load"))

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

"""Parameter sweeps: grid expansion, validation, and a real two-run sweep run twice."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reindus.errors import DataError
from reindus.workflow import sweep


def test_expand_is_cartesian_product_in_order() -> None:
    grid = {"notebook": "01", "parameters": {"region": ["11", "32"], "period": ["2015Q4", "2019Q4"]}}
    assert sweep.expand(grid) == [
        {"region": "11", "period": "2015Q4"}, {"region": "11", "period": "2019Q4"},
        {"region": "32", "period": "2015Q4"}, {"region": "32", "period": "2019Q4"}]


def test_bad_grid_rejected(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text("notebook: '01'\nparameters:\n  region: []\n")
    with pytest.raises(DataError, match="non-empty list"):
        sweep.load_grid(path)
    path.write_text("parameters:\n  region: ['11']\n")
    with pytest.raises(DataError, match="'notebook'"):
        sweep.load_grid(path)


@pytest.mark.slow
def test_sweep_runs_in_parallel_and_is_deterministic(tmp_path: Path) -> None:
    grid = {"notebook": "00", "name": "t", "parameters": {"check_quarter": ["2017Q4", "2022Q4"]},
            "summary": "hdf_share_industry_at_check_quarter"}
    a = sweep.run_sweep(grid, workers=2, reports_dir=tmp_path / "a")
    b = sweep.run_sweep(grid, workers=2, reports_dir=tmp_path / "b")
    pd.testing.assert_frame_equal(a, b)
    assert set(a["param_check_quarter"]) == {"2017Q4", "2022Q4"}
    assert (tmp_path / "a" / "sweeps" / "t.csv").read_bytes() == (tmp_path / "b" / "sweeps" / "t.csv").read_bytes()
    assert (tmp_path / "a" / "sweeps" / "t.png").exists()

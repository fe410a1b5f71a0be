"""Every notebook has a MyST Markdown twin (its reviewable source) in sync with the executed .ipynb."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reindus.workflow import notebooks

NOTEBOOKS = notebooks.notebook_paths()


def test_every_notebook_has_a_twin() -> None:
    assert NOTEBOOKS, "no numbered notebooks found"
    missing = [p.name for p in NOTEBOOKS if not notebooks.twin_path(p).exists()]
    assert not missing, f"notebooks without a .md twin: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_twin_and_notebook_share_their_cells(path: Path) -> None:
    twin = notebooks.cell_sources(notebooks.from_twin(notebooks.twin_path(path)))
    executed = json.loads(path.read_text(encoding="utf-8"))
    have = notebooks.cell_sources(executed)
    assert len(twin) == len(have), f"{path.name}: {len(have)} cells, twin has {len(twin)}: run `reindus run {path.stem[:2]}`"
    for i, (a, b) in enumerate(zip(twin, have, strict=True)):
        assert a == b, f"{path.name} cell {i} differs from its twin: run `reindus run {path.stem[:2]}`"


def test_twin_detects_a_changed_cell(tmp_path: Path) -> None:
    src = notebooks.twin_path(NOTEBOOKS[0]).read_text(encoding="utf-8")
    changed = tmp_path / "x.md"
    changed.write_text(src.replace("# 00", "# 00 changed", 1), encoding="utf-8")
    executed = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    assert notebooks.cell_sources(notebooks.from_twin(changed)) != notebooks.cell_sources(executed)

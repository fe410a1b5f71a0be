"""A what-if run of notebook 01 for another region says that region's numbers in its prose."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


# The run (`reindus run 01 -p region 44`, conftest.py's grand_est_run) is executed once per
# session and shared with test_cli.py::test_run_for_a_region_not_in_committed_outputs.


def test_notebook_01_for_grand_est_names_grand_est(grand_est_run: tuple[int, Path]) -> None:
    code, run = grand_est_run
    assert code == 0
    out = run / "01-regions-compared.ipynb"
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    texts = ["".join(o.get("data", {}).get("text/markdown", ""))
             for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    results = [t for t in texts if t.startswith("**Result")]
    assert len(results) >= 6, "the computed Result paragraphs are missing"
    # Each Result opens on the focus region: Grand Est, never the default Hauts-de-France.
    firsts = [re.split(r"(?<=[.;:])\s", t.split("**", 2)[2].strip(), maxsplit=1)[0]
              for t in results]
    assert sum("Grand Est" in f for f in firsts) >= 5
    assert not any("Hauts-de-France" in f for f in firsts)
    saved = json.loads((run / "results" / "01-regions-compared.json").read_text())
    assert saved["parameters"]["region"] == "44"
    share = saved["results"]["r44_share_national_industry_2022"]["estimate"]
    text = " ".join(results)
    assert f"{share:.2f} %" in text          # Grand Est's own share, from its results
    assert "9.02 %" not in text              # the default region's share is not quoted

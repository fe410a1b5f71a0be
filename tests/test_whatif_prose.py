"""A what-if run of notebook 01 for another region says that region's numbers in its prose."""

from __future__ import annotations

import json
import re

import pytest

from reindus.workflow import notebooks

pytestmark = pytest.mark.slow


def test_notebook_01_for_grand_est_names_grand_est(tmp_path):
    nb = notebooks.resolve("01")[0]
    out = notebooks.execute(nb, {"region": "44"}, output=tmp_path / nb.name,
                            reports_dir=tmp_path / "reports")
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
    saved = json.loads((tmp_path / "reports" / "results" / "01-regions-compared.json").read_text())
    assert saved["parameters"]["region"] == "44"
    share = saved["results"]["r44_share_national_industry_2022"]["estimate"]
    text = " ".join(results)
    assert f"{share:.2f} %" in text          # Grand Est's own share, from its results
    assert "9.02 %" not in text              # the default region's share is not quoted

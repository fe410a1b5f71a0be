"""A what-if run of notebook 01 for another region says that region's numbers in its prose."""

from __future__ import annotations

import json

import pytest

from reindus import notebooks

pytestmark = pytest.mark.slow


def test_notebook_01_for_grand_est_names_grand_est(tmp_path):
    nb = notebooks.resolve("01")[0]
    out = notebooks.execute(nb, {"region": "44"}, output=tmp_path / nb.name,
                            reports_dir=tmp_path / "reports")
    cells = json.loads(out.read_text(encoding="utf-8"))["cells"]
    results = ["".join(o.get("data", {}).get("text/markdown", ""))
               for c in cells if c["cell_type"] == "code" for o in c.get("outputs", [])]
    results = [t for t in results if t.startswith("**Result")]
    assert len(results) >= 3, "the computed Result paragraphs are missing"
    text = " ".join(results)
    assert "Grand Est" in text
    assert "Hauts-de-France" not in text
    saved = json.loads((tmp_path / "reports" / "results" / "01-regions-compared.json").read_text())
    assert saved["parameters"]["region"] == "44"

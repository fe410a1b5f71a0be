"""save_figure and record_result: files written, deterministic, atomic."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from reindus import reporting  # noqa: E402


def _fig():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 2, 3], [3, 1, 2])
    return fig


def test_save_figure_writes_png_csv_json(reports_dir: Path) -> None:
    reporting.start_notebook("99-test", region="32")
    data = pd.DataFrame({"x": [1, 2, 3], "y": [3.0, 1.0, 2.0]})
    png = reporting.save_figure(_fig(), "99-line", data)
    assert png == reports_dir / "figures" / "99-line.png" and png.stat().st_size > 1000
    pd.testing.assert_frame_equal(pd.read_csv(png.with_suffix(".csv")), data)
    meta = json.loads(png.with_suffix(".json").read_text())
    assert meta["notebook"] == "99-test" and meta["parameters"] == {"region": "32"}
    assert meta["data_sha256"] == hashlib.sha256(png.with_suffix(".csv").read_bytes()).hexdigest()


def test_save_figure_is_deterministic(reports_dir: Path) -> None:
    data = pd.DataFrame({"x": [1, 2, 3]})
    a = reporting.save_figure(_fig(), "99-a", data).read_bytes()
    b = reporting.save_figure(_fig(), "99-a", data).read_bytes()
    assert a == b


def test_record_result_and_reset(reports_dir: Path) -> None:
    reporting.start_notebook("99-test", region="32")
    reporting.record_result("share", 9.0234567891234, interval=(8.5, 9.5), unit="%",
                            method="ratio", n=17, period=pd.Period("2022Q4"))
    obj = reporting.load_results("99-test")
    r = obj["results"]["share"]
    assert r["estimate"] == pytest.approx(9.023456789) and r["interval"] == [8.5, 9.5]
    assert r["period"] == "2022Q4" and r["n"] == 17 and obj["parameters"] == {"region": "32"}
    reporting.start_notebook("99-test", region="44")
    assert reporting.load_results("99-test")["results"] == {}


def test_bad_names_and_data_rejected(reports_dir: Path) -> None:
    with pytest.raises(ValueError):
        reporting.record_result("Bad Name", 1.0)
    with pytest.raises(TypeError):
        reporting.save_figure(_fig(), "99-x", data=[1, 2, 3])  # type: ignore[arg-type]
    assert not (reports_dir / "figures" / "99-x.png").exists()

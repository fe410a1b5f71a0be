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


# --- fixed float formatting (issue 12 e): reruns identical on any machine ---------------------

def test_format_float_hand_examples() -> None:
    assert reporting.format_float(0.1 + 0.2) == "0.3"
    assert reporting.format_float(122.56500000000001) == "122.565"
    assert reporting.format_float(1e-7) == "1e-07"
    assert reporting.format_float(3.0) == "3.0"
    assert reporting.format_float(-2.0 / 3.0) == "-0.6666666667"
    assert reporting.format_float(12345678901.5) == "12345678900.0"


def test_csv_is_identical_when_last_bits_differ(reports_dir: Path) -> None:
    """Two 'machines' whose floats differ in the last ulps write byte-identical CSVs."""
    import numpy as np

    base = np.array([0.1 + 0.2, -2.0 / 3.0, 1234.5678901234, 7.25e-6, 100.0])
    other = np.nextafter(np.nextafter(base, np.inf), np.inf)  # two ulps up
    assert (base != other).all()
    a = pd.DataFrame({"quarter": ["2020Q1"] * 5, "value": base})
    b = pd.DataFrame({"quarter": ["2020Q1"] * 5, "value": other})
    pa = reporting.save_figure(_fig(), "99-ulp-a", a).with_suffix(".csv")
    pb = reporting.save_figure(_fig(), "99-ulp-b", b).with_suffix(".csv")
    assert pa.read_bytes() == pb.read_bytes()
    assert pa.read_text().splitlines()[1:3] == ["2020Q1,0.3", "2020Q1,-0.6666666667"]
    meta_a = json.loads(pa.with_suffix(".json").read_text())
    meta_b = json.loads(pb.with_suffix(".json").read_text())
    assert meta_a["data_sha256"] == meta_b["data_sha256"]


def test_csv_text_covers_nullable_object_and_index_floats() -> None:
    frame = pd.DataFrame(
        {"x": pd.array([0.1 + 0.2, None], dtype="Float64"),
         "label": ["a", 1 / 3]},  # object column mixing a label and a float
        index=pd.Index([0.1 + 0.2, 2.0], name="k"))
    assert reporting.csv_text(frame) == "k,x,label\n0.3,0.3,a\n2.0,,0.3333333333\n"


def test_results_json_rounds_floats_everywhere(reports_dir: Path) -> None:
    reporting.start_notebook("99-test", share=0.1 + 0.2)
    reporting.record_result("r", 2.0 / 3.0, interval=(0.1 + 0.2, float("nan")), p_value=1 / 7,
                            detail={"a": [1 / 3, 2]}, weights=(0.1 + 0.7,))
    text = reporting.results_path("99-test").read_text()
    obj = json.loads(text)
    r = obj["results"]["r"]
    assert r["estimate"] == 0.6666666667 and r["interval"] == [0.3, None]
    assert r["p_value"] == 0.1428571429 and r["detail"] == {"a": [0.3333333333, 2]}
    assert r["weights"] == [0.8] and obj["parameters"] == {"share": 0.3}
    assert "0.30000000000000004" not in text and "0.7999999999999999" not in text


@pytest.mark.parametrize("value", [1e-300, -3.141592653589793, 6.02214076e23, 0.5, 1e16 + 2])
def test_round_float_keeps_ten_significant_digits(value: float) -> None:
    rounded = reporting.round_float(value)
    assert abs(rounded - value) <= 5e-10 * abs(value)
    digits = repr(rounded).split("e")[0].replace("-", "").replace(".", "").strip("0")
    assert len(digits) <= 10


def test_table_html_and_text_are_deterministic() -> None:
    frame = pd.DataFrame({"region": ["A", "B"], "change": [1.234, float("nan")],
                          "jobs": [12345, 7]}).set_index("region")
    t = reporting.table(frame, digits=1, caption="Change, %")
    html = t._repr_html_()
    assert "<caption>Change, %</caption>" in html and "<td>1.2</td>" in html
    assert "<td>12,345</td>" in html and "nan" not in html.lower()
    assert html == reporting.table(frame, digits=1, caption="Change, %")._repr_html_()
    assert repr(t).splitlines()[0] == "Change, %" and "12,345" in repr(t)
    with pytest.raises(TypeError):
        reporting.table([1, 2])  # type: ignore[arg-type]

"""The command line: help that teaches, exit codes, parameter parsing, check."""

from __future__ import annotations

from pathlib import Path

import pytest

from reindus.workflow import cli
from reindus.workflow.notebooks import resolve, run_slug


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("fetch", "build", "run", "sweep", "report", "check"):
        assert cmd in out
    assert "reindus run 01 -p region 44" in out


def test_parameter_values_take_the_default_type() -> None:
    from reindus.workflow.parameters import validate

    nb01 = resolve("01")[0]
    assert validate(nb01, {"region": "44"}) == {"region": "44"}          # codes stay text
    assert validate(nb01, {"region": 44}) == {"region": "44"}            # YAML gives an int
    assert validate(nb01, {"region": "grand est"}) == {"region": "44"}   # names accepted
    assert validate(nb01, {"region": "Île-de-France"}) == {"region": "11"}
    assert validate(nb01, {"reference_period": "2019q4"}) == {"reference_period": "2019Q4"}
    nb05 = resolve("05")[0]
    assert validate(nb05, {"wave": "2"}) == {"wave": 2}
    nb04 = resolve("04")[0]
    rule = validate(nb04, {"peer_rule": "{method: nearest, k: 10}"})["peer_rule"]
    assert rule["method"] == "nearest" and rule["k"] == 10 and rule["pop_ratio"] == 2.0


def test_list_params(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "01", "--list-params"]) == 0
    out = capsys.readouterr().out
    assert "region" in out and "default '32'" in out and "44  Grand Est" in out
    assert "reference_period  quarter (YYYYQn)" in out
    assert cli.main(["run", "05", "--list-params"]) == 0
    out = capsys.readouterr().out
    assert "wave     int" in out and "1 (treated from 2019), 2 (treated from 2024)" in out


def test_resolve_notebooks() -> None:
    assert resolve("00")[0].name == "00-data-sources.ipynb"
    assert len(resolve("all")) >= 1
    with pytest.raises(ValueError, match="no notebook matches"):
        resolve("42")


def test_run_slug_is_stable() -> None:
    assert run_slug("01-regions-compared", {"region": "44"}) == "01-regions-compared__region-44"
    assert run_slug("x", {"b": 1, "a": "q/z"}) == "x__a-q_z__b-1"


def test_bad_input_exit_code_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["fetch", "--mirror", str(tmp_path / "nowhere"), "reference_accords"])
    assert code == 2
    err = capsys.readouterr().err
    assert "mirror directory does not exist" in err and "Fix:" in err


def test_unknown_notebook_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["run", "42"]) == 2
    err = capsys.readouterr().err
    assert "no notebook matches" in err and "Fix:" in err and len(err.strip().splitlines()) == 1


def test_check_passes_on_committed_state(capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The committed notebooks, reports and data pass `reindus check` (run `make reports`)."""
    from reindus import config

    monkeypatch.setenv("REINDUS_REPORTS", str(config.ROOT / "reports"))
    code = cli.main(["check"])
    out = capsys.readouterr().out
    assert code == 0, out


@pytest.mark.slow
def test_run_for_a_region_not_in_committed_outputs(grand_est_run: tuple[int, Path]) -> None:
    """`reindus run 01 -p region 44` (Grand Est) records results under reports/runs/."""
    import json

    code, run = grand_est_run  # conftest.py: cli.main(["run", "01", "-p", "region", "44"]), once
    assert code == 0
    doc = json.loads((run / "results" / "01-regions-compared.json").read_text())
    assert doc["parameters"]["region"] == "44"
    assert doc["results"] and all(not k.startswith("hdf_") for k in doc["results"])
    assert (run / "01-regions-compared.ipynb").exists()
    assert any((run / "figures").glob("01-*.png"))


def test_stream_chunks_are_coalesced() -> None:
    from reindus.workflow.notebooks import _coalesce_streams

    outs = [{"output_type": "stream", "name": "stdout", "text": ["a\n", "b"]},
            {"output_type": "stream", "name": "stdout", "text": ["c\n"]},
            {"output_type": "display_data", "data": {}},
            {"output_type": "stream", "name": "stdout", "text": "d\n"}]
    got = _coalesce_streams(outs)
    assert [o["output_type"] for o in got] == ["stream", "display_data", "stream"]
    assert got[0]["text"] == ["a\n", "bc\n"] and got[2]["text"] == ["d\n"]


@pytest.mark.parametrize("grid", sorted((Path(__file__).parents[1] / "sweeps").glob("*.yaml")),
                         ids=lambda p: p.name)
def test_committed_sweep_grids_are_valid(grid: Path) -> None:
    """Every committed grid names a notebook and values it accepts."""
    from reindus.workflow import sweep

    g = sweep.load_grid(grid)
    assert sweep.expand(g)

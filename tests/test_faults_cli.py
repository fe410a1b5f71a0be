"""Fault suite of the command line (issue 12, classes c, d, e and `reindus check`).

Every case asserts the exit code, the message (what is wrong, and the fix, on one
line, no traceback) and that nothing changed on disk. Cases that execute a
notebook use a small probe notebook of their own (``90-probe``, written as a
MyST twin) in a temporary project (``REINDUS_NOTEBOOKS``, ``REINDUS_REPORTS``),
so the committed outputs are never touched.

Classes: c = tracebacks from the command line (bad ids, values, files, folders);
d = partial state (failed and killed runs); e = reruns that are not identical;
check = `reindus check` finds what was altered.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reindus import config
from reindus.workflow import checks, cli

PROBE_MD = '''---
jupytext:
  text_representation:
    format_name: myst
kernelspec:
  display_name: Python 3
  name: python3
---

# Probe notebook of the fault suite

```{code-cell} ipython3
:tags: [parameters]

# Parameters: value (an int), region (a code).
value = 1
region = "32"
```

```{code-cell} ipython3
import os
import time

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from reindus import reporting

reporting.start_notebook("90-probe", value=value, region=region)
reporting.record_result("first", value, unit="count", method="probe")
fig, ax = plt.subplots()
reporting.save_figure(fig, "90-probe-line", pd.DataFrame({"x": [1, 2], "y": [value, 2 * value]}))
print("figure saved")
```

```{code-cell} ipython3
behaviour = os.environ.get("PROBE", "ok")
if behaviour == "fail":
    raise RuntimeError("planned failure")
if behaviour == "hang":
    with open(os.environ["PROBE_FLAG"], "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(120)
```

```{code-cell} ipython3
reporting.record_result("second", value * 2, unit="count", method="probe")
```
'''

#: The checks that the probe project exercises (raw and processed data are the
#: repository's, checked once in test_check_data_parts).
PROJECT_CHECKS = ("results", "figures", "notebooks", "parameters", "leftovers")


def _tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root``."""
    if not root.exists():
        return {}
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A probe project whose default run has been executed once (the 'committed' state)."""
    from reindus.workflow.notebooks import execute

    root = tmp_path_factory.mktemp("probe-project")
    (root / "notebooks").mkdir()
    (root / "notebooks" / "90-probe.md").write_text(PROBE_MD, encoding="utf-8")
    nb = root / "notebooks" / "90-probe.ipynb"
    saved = {k: os.environ.get(k) for k in ("REINDUS_NOTEBOOKS", "REINDUS_REPORTS", "PROBE")}
    os.environ.update(REINDUS_NOTEBOOKS=str(root / "notebooks"),
                      REINDUS_REPORTS=str(root / "reports"), PROBE="ok")
    try:
        execute(nb)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return root


@pytest.fixture()
def project(published: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the probe project, with the environment pointing at it."""
    root = tmp_path / "project"
    shutil.copytree(published, root)
    monkeypatch.setenv("REINDUS_NOTEBOOKS", str(root / "notebooks"))
    monkeypatch.setenv("REINDUS_REPORTS", str(root / "reports"))
    monkeypatch.setenv("PROBE", "ok")
    monkeypatch.setattr(checks, "CHECKS", {k: v for k, v in checks.CHECKS.items()
                                           if k in PROJECT_CHECKS})
    return root


def _one_line_error(err: str, *needles: str) -> None:
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Fix:" in lines[0] or "Fix" in lines[0], err
    for n in needles:
        assert n in lines[0], f"{n!r} not in {lines[0]!r}"


# --------------------------------------------------------------------------- class c
# Bad command lines against the real notebooks: refused before anything runs.

BAD_RUNS = [
    (["run", "42"], ["no notebook matches '42'", "give 'all'"]),
    (["run", "01", "-p", "regoin", "44"], ["no parameter 'regoin'", "did you mean 'region'"]),
    (["run", "01", "-p", "region", "99"], ["'99' is not a region", "codes:"]),
    (["run", "01", "-p", "region", "Grand Ets"], ["did you mean 'Grand Est', code 44"]),
    (["run", "01", "-p", "region", "06"], ["'06' is not a region with data"]),  # Mayotte: no data
    (["run", "05", "-p", "wave", "1.5"], ["'wave' expects an integer", "-p wave 1"]),
    (["run", "05", "-p", "wave", "two"], ["'wave' expects an integer"]),
    (["run", "05", "-p", "wave", "3"], ["'wave' is 3, not one of 1, 2"]),
    (["run", "05", "-p", "outcome", "jobs"], ["'outcome' is 'jobs'", "'log_employment'"]),
    (["run", "02", "-p", "n_boot", "9.9"], ["'n_boot' expects an integer"]),
    (["run", "02", "-p", "seed", ""], ["'seed' expects an integer"]),
    (["run", "02", "-p", "uncertain", "maybe"], ["'uncertain' is 'maybe'", "'vary'"]),
    (["run", "02", "-p", "accord_quarter", "2019-12"], ["'accord_quarter' expects a quarter"]),
    (["run", "02", "-p", "sector_group", "steel"], ["'sector_group' is 'steel'"]),
    (["run", "01", "-p", "reference_period", "2022"], ["'reference_period' expects a quarter"]),
    (["run", "01", "-p", "index_base", "base"], ["'index_base' expects a year"]),
    (["run", "04", "-p", "peer_rule", "{colour: red}"], ["no key(s) ['colour']"]),
    (["run", "04", "-p", "peer_rule", "nearest"], ["'peer_rule' expects a mapping"]),
    (["run", "04", "-p", "peer_rule", "{k: 2.5}"], ["'peer_rule.k' expects an integer"]),
    (["run", "all", "-p", "region", "44"], ["parameters apply to one notebook"]),
    (["run", "00", "-p", "check_quarter"], ["expected 2 arguments"]),
    (["run"], ["the following arguments are required: notebook"]),
    (["run", "01", "--regoin", "44"], ["unrecognized arguments"]),
    (["frobnicate"], ["invalid choice: 'frobnicate'"]),
    (["fetch", "urssaf_nosuch"], ["unknown source id 'urssaf_nosuch'", "known sources"]),
    (["build", "regional_employmnt"], ["unknown table id", "did you mean 'regional_employment'"]),
    (["sweep", "--workers", "0", "sweeps/01-regions.yaml"], ["--workers 0"]),
    (["sweep", "--workers", "x", "sweeps/01-regions.yaml"], ["invalid int value: 'x'"]),
]


@pytest.fixture()
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point reports at an empty temp folder; after the test, assert nothing was written."""
    reports = tmp_path / "reports"
    monkeypatch.setenv("REINDUS_REPORTS", str(reports))
    processed, notebooks = config.processed_dir(), config.notebooks_dir()
    before = (_tree(notebooks), _tree(reports),
              sorted((p.name, p.stat().st_mtime_ns) for p in processed.iterdir()))
    monkeypatch.chdir(config.ROOT)
    yield tmp_path
    after = (_tree(notebooks), _tree(reports),
             sorted((p.name, p.stat().st_mtime_ns) for p in processed.iterdir()))
    assert after == before, "a refused command changed files on disk"


def _main(argv: list[str]) -> int:
    try:
        return cli.main(argv)
    except SystemExit as exc:  # argparse's own errors
        return int(exc.code or 0)


@pytest.mark.parametrize(("argv", "needles"), BAD_RUNS, ids=[" ".join(a) or "none" for a, _ in BAD_RUNS])
def test_c_bad_command_line(argv: list[str], needles: list[str], frozen: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(argv) == 2
    _one_line_error(capsys.readouterr().err, *needles)


BAD_PARAMETER_FILES = [
    ("missing", None, ["does not exist"]),
    ("folder", "<dir>", ["is a folder"]),
    ("malformed", "region: [44\n", ["not valid YAML at line"]),
    ("a list", "- region\n- 44\n", ["holds a list, not a mapping"]),
    ("unknown name", "regoin: '44'\n", ["no parameter 'regoin'"]),
    ("bad region", "region: 99\n", ["'99' is not a region"]),
    ("latin-1", "region: '44' # \xe9\n".encode("latin-1"), ["not valid YAML"]),
]


@pytest.mark.parametrize(("case", "content", "needles"), BAD_PARAMETER_FILES,
                         ids=[c for c, _, _ in BAD_PARAMETER_FILES])
def test_c_bad_parameters_file(case: str, content, needles: list[str], frozen: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    path = frozen / "params.yaml"
    if content == "<dir>":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    before = _tree(frozen)
    assert _main(["run", "01", "-f", str(path)]) == 2
    _one_line_error(capsys.readouterr().err, *needles)
    assert _tree(frozen) == before


BAD_GRIDS = [
    ("missing", None, ["grid file not found"]),
    ("empty", "", ["the grid file is empty"]),
    ("malformed", "notebook: '01'\nparameters: {region: [11\n", ["not valid YAML at line"]),
    ("a list", "- notebook\n", ["the grid is a list, not a mapping"]),
    ("no notebook", "parameters:\n  region: ['11']\n", ["needs a 'notebook' entry"]),
    ("no parameters", "notebook: '01'\n", ["needs a 'parameters' entry"]),
    ("empty list", "notebook: '01'\nparameters:\n  region: []\n", ["non-empty list"]),
    ("unknown key", "notebook: '01'\nparams:\n  region: ['11']\nparameters: {region: ['11']}\n",
     ["unknown key(s) ['params']"]),
    ("unknown notebook", "notebook: '42'\nparameters:\n  region: ['11']\n",
     ["no notebook matches '42'"]),
    ("unknown parameter", "notebook: '01'\nparameters:\n  regoin: ['11']\n",
     ["no parameter 'regoin'"]),
    ("bad value", "notebook: '05'\nparameters:\n  wave: [1, 1.5]\n", ["'wave' expects an integer"]),
    ("bad name", "notebook: '00'\nname: '../x'\nparameters:\n  check_quarter: ['2019Q4']\n",
     ["not a plain file name"]),
]


@pytest.mark.parametrize(("case", "content", "needles"), BAD_GRIDS, ids=[c for c, _, _ in BAD_GRIDS])
def test_c_bad_sweep_grid(case: str, content: str | None, needles: list[str], frozen: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    path = frozen / "grid.yaml"
    if content is not None:
        path.write_text(content)
    before = _tree(frozen)
    assert _main(["sweep", str(path)]) == 2
    _one_line_error(capsys.readouterr().err, *needles)
    assert _tree(frozen) == before


@pytest.mark.parametrize(("argv", "env"), [
    (["run", "00"], "REINDUS_REPORTS"),
    (["sweep", "sweeps/00-check-quarters.yaml"], "REINDUS_REPORTS"),
    (["build"], "REINDUS_PROCESSED"),
    (["fetch"], "REINDUS_RAW"),
])
def test_c_file_where_a_folder_should_be(argv: list[str], env: str, frozen: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    blocker = frozen / "a-file"
    blocker.write_text("not a folder\n")
    monkeypatch.setenv(env, str(blocker / "sub"))
    assert _main(argv) == 2
    _one_line_error(capsys.readouterr().err, "is a file, not a folder", str(blocker))
    assert blocker.read_text() == "not a folder\n"


@pytest.mark.parametrize("argv", [["run", "00"], ["build"], ["report"]])
def test_c_read_only_folder(argv: list[str], frozen: Path, monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only checkout (simulated: root ignores permission bits) is refused up front."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    assert _main(argv) == 2
    _one_line_error(capsys.readouterr().err, "is not writable (Permission denied)",
                    "writable checkout")


def test_c_os_error_during_a_run_names_the_file(frozen: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from reindus.workflow import notebooks

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", "/ro/reports/results/x.json")

    monkeypatch.setattr(notebooks, "execute", read_only)
    assert _main(["run", "00"]) == 2
    _one_line_error(capsys.readouterr().err, "/ro/reports/results/x.json", "writable")


# --------------------------------------------------------------------------- class d
# Failed and killed runs never modify the outputs they would replace.

def test_d_failed_default_run_changes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(project)
    monkeypatch.setenv("PROBE", "fail")
    assert cli.main(["run", "90", "--force"]) == 1
    err = capsys.readouterr().err
    assert "RuntimeError: planned failure" in err and "nothing was written" in err
    assert _tree(project) == before
    assert not list(project.rglob(".run-*"))


def test_d_failed_what_if_run_leaves_no_folder(project: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(project)
    monkeypatch.setenv("PROBE", "fail")
    assert cli.main(["run", "90", "-p", "value", "3"]) == 1
    assert "planned failure" in capsys.readouterr().err
    assert _tree(project) == before
    assert not (project / "reports" / "runs" / "90-probe__value-3").exists()


def _kill_during_run(project: Path, argv: list[str]) -> None:
    """Start `reindus <argv>` with a hanging probe, SIGKILL it (and its kernel) mid-run."""
    flag = project / "kernel.pid"
    env = {**os.environ, "PROBE": "hang", "PROBE_FLAG": str(flag)}
    proc = subprocess.Popen([sys.executable, "-m", "reindus.workflow.cli", *argv], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):  # the kernel writes its pid when it reaches the hanging cell
            if flag.exists() and flag.read_text():
                break
            assert proc.poll() is None, "the run ended before the hanging cell"
            time.sleep(0.1)
        else:
            pytest.fail("the probe never reached its hanging cell")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        if flag.exists() and flag.read_text():
            try:
                os.kill(int(flag.read_text()), signal.SIGKILL)  # the orphaned kernel
            except ProcessLookupError:
                pass
        flag.unlink(missing_ok=True)


@pytest.mark.slow
def test_d_sigkill_of_a_default_run_keeps_published_outputs(project: Path,
                                                            capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    before = _tree(project)
    _kill_during_run(project, ["run", "90", "--force"])
    after = {k: v for k, v in _tree(project).items() if "/.run-" not in f"/{k}"}
    assert after == before, "a killed run modified the published outputs"
    # check names the leftover staging folder; the next run removes it
    assert cli.main(["check"]) == 1
    assert "leftover temporary folder" in capsys.readouterr().out
    assert cli.main(["run", "90", "--force"]) == 0
    assert not list(project.rglob(".run-*"))
    assert _tree(project) == before  # and the rerun is byte-identical (class e)


@pytest.mark.slow
def test_d_sigkill_of_a_what_if_run_leaves_no_folder(project: Path) -> None:
    before = _tree(project)
    _kill_during_run(project, ["run", "90", "-p", "value", "5"])
    assert not (project / "reports" / "runs" / "90-probe__value-5").exists()
    after = {k: v for k, v in _tree(project).items() if "/.run-" not in f"/{k}"}
    assert after == before


def test_d_interrupted_commit_is_rolled_forward(project: Path) -> None:
    """A kill between two renames of the commit: the journal completes the move next time."""
    from reindus.workflow.notebooks import recover

    reports = project / "reports"
    stage = reports / ".run-90-probe-p999999999-x"
    (stage / "reports" / "results").mkdir(parents=True)
    new = stage / "reports" / "results" / "90-probe.json"
    new.write_text('{"new": true}\n')
    (stage / "COMMIT.json").write_text(json.dumps(
        {"moves": [[str(new), str(reports / "results" / "90-probe.json")]], "delete": []}))
    assert recover(reports) == [stage]
    assert (reports / "results" / "90-probe.json").read_text() == '{"new": true}\n'
    assert not stage.exists()


def test_d_unfinished_stage_is_discarded(project: Path) -> None:
    from reindus.workflow.notebooks import recover

    before = _tree(project)
    stage = project / "reports" / ".run-90-probe-p999999999-y"
    (stage / "reports" / "results").mkdir(parents=True)
    (stage / "reports" / "results" / "90-probe.json").write_text("{half")
    recover(project / "reports")
    assert _tree(project) == before


def test_d_failed_sweep_keeps_the_sweep_table(project: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A sweep with a failing run writes neither a partial table nor a half-filled run folder."""
    table = project / "reports" / "sweeps" / "probe.csv"
    table.parent.mkdir(parents=True)
    table.write_text("earlier,complete,table\n")
    grid = project / "grid.yaml"
    grid.write_text("notebook: '90'\nname: probe\nparameters:\n  value: [2]\n")
    before = _tree(project)
    monkeypatch.setenv("PROBE", "fail")
    assert cli.main(["sweep", "--workers", "1", str(grid)]) == 1
    err = capsys.readouterr().err
    assert "planned failure" in err and "probe.csv was left as it was" in err
    assert _tree(project) == before
    assert not (project / "reports" / "runs" / "90-probe__value-2").exists()


def test_d_what_if_run_keeps_the_record(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _tree(project)
    assert cli.main(["run", "90", "-p", "value", "4"]) == 0
    run = project / "reports" / "runs" / "90-probe__value-4"
    doc = json.loads((run / "results" / "90-probe.json").read_text())
    assert doc["results"]["second"]["estimate"] == 8
    assert {k: v for k, v in _tree(project).items() if not k.startswith("reports/runs/")} == before
    assert "what-if, git-ignored" in capsys.readouterr().out


def test_d_default_values_given_explicitly_write_the_record(project: Path) -> None:
    """`-p value 1` is the default: the same published outputs, no what-if folder."""
    before = _tree(project)
    assert cli.main(["run", "90", "--force", "-p", "value", "1", "-p", "region",
                     "Hauts-de-France"]) == 0
    assert not (project / "reports" / "runs").exists()
    assert _tree(project) == before


def test_d_interactive_session_writes_to_scratch(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A notebook opened in JupyterLab (no REINDUS_REPORTS) never writes reports/."""
    from reindus import reporting

    monkeypatch.delenv("REINDUS_REPORTS", raising=False)
    monkeypatch.setattr(config, "scratch_dir", lambda: tmp_path / "scratch")
    monkeypatch.setattr(config, "_reports_override", None)
    reporting.start_notebook("01-regions-compared", region="44")
    reporting.record_result("probe", 1.0)
    assert "Exploring" in capsys.readouterr().out
    assert (tmp_path / "scratch" / "01-regions-compared" / "results"
            / "01-regions-compared.json").exists()
    assert config.reports_dir() == tmp_path / "scratch" / "01-regions-compared"


# --------------------------------------------------------------------------- class e
# Reruns: a run whose code, data and outputs are unchanged is skipped; any change reruns it.

def test_e_unchanged_notebook_is_not_rerun(project: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    before = _tree(project)
    assert cli.main(["run", "90"]) == 0
    assert "up to date 90-probe.ipynb" in capsys.readouterr().out
    assert _tree(project) == before


CACHE_BREAKERS = {
    "twin edited": lambda p: (p / "notebooks/90-probe.md").write_text(
        PROBE_MD.replace("value = 1", "value = 2")),
    "results edited": lambda p: _edit_json(p / "reports/results/90-probe.json",
                                           _set("results.first.estimate", 5)),
    "figure data edited": lambda p: (p / "reports/figures/90-probe-line.csv").write_text("x\n"),
    "figure deleted": lambda p: (p / "reports/figures/90-probe-line.png").unlink(),
    "notebook deleted": lambda p: (p / "notebooks/90-probe.ipynb").unlink(),
    "manifest deleted": lambda p: (p / "reports/MANIFEST.json").unlink(),
    "cache deleted (fresh clone)": lambda p: (p / "reports/.cache/runs.json").unlink(),
}


@pytest.mark.parametrize("change", list(CACHE_BREAKERS))
def test_e_any_change_makes_the_run_stale(change: str, project: Path) -> None:
    from reindus.workflow.notebooks import up_to_date

    nb = project / "notebooks" / "90-probe.ipynb"
    assert up_to_date(nb)
    CACHE_BREAKERS[change](project)
    assert not up_to_date(nb)


def test_e_new_data_makes_the_run_stale(project: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from reindus.workflow.notebooks import up_to_date

    nb = project / "notebooks" / "90-probe.ipynb"
    processed = tmp_path / "processed"
    processed.mkdir()
    manifest = json.loads((config.processed_dir() / "MANIFEST.json").read_text())
    manifest["tables"]["sectors"]["sha256"] = "0" * 64  # a rebuilt table
    (processed / "MANIFEST.json").write_text(json.dumps(manifest))
    assert up_to_date(nb)
    monkeypatch.setenv("REINDUS_PROCESSED", str(processed))
    assert not up_to_date(nb)


# --------------------------------------------------------------------------- check

def _edit_json(path: Path, edit) -> None:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")


def _rehash_results(project: Path) -> None:
    """Record the current results in the manifest, so that only the check under test fires."""
    manifest = project / "reports" / "MANIFEST.json"
    _edit_json(manifest, lambda d: d["results"].update({
        "results/90-probe.json": hashlib.sha256(
            (project / "reports" / "results" / "90-probe.json").read_bytes()).hexdigest()}))


def _set(doc_path: str, value):
    def edit(doc):
        *keys, last = [int(k) if k.isdigit() else k for k in doc_path.split(".")]
        for k in keys:
            doc = doc[k]
        doc[last] = value
    return edit


CHECK_FAULTS = {
    "number edited": (lambda p: _edit_json(p / "reports/results/90-probe.json",
                                           _set("results.second.estimate", 3)),
                      ["90-probe.json", "differs from the sha256 recorded by its run"]),
    "results deleted": (lambda p: (p / "reports/results/90-probe.json").unlink(),
                        ["recorded in MANIFEST.json but missing", "reindus run 90"]),
    "results manifest deleted": (lambda p: (p / "reports/MANIFEST.json").unlink(),
                                 ["MANIFEST.json: missing", "make reports"]),
    "results not recorded": (lambda p: _edit_json(p / "reports/MANIFEST.json",
                                                  _set("results", {})),
                             ["not recorded in MANIFEST.json"]),
    "figure csv edited": (lambda p: (p / "reports/figures/90-probe-line.csv").write_text(
        "x,y\n1,1\n2,3\n"), ["90-probe-line.csv", "differ from the sha256 in 90-probe-line.json"]),
    "figure png deleted": (lambda p: (p / "reports/figures/90-probe-line.png").unlink(),
                           ["90-probe-line.png: missing"]),
    "figure svg deleted": (lambda p: (p / "reports/figures/90-probe-line.svg").unlink(),
                           ["90-probe-line.svg: missing"]),
    "sidecar truncated": (lambda p: (p / "reports/figures/90-probe-line.json").write_text('{"fig'),
                          ["90-probe-line.json: not valid JSON"]),
    "csv without sidecar": (lambda p: (p / "reports/figures/90-orphan.csv").write_text("a\n1\n"),
                            ["90-orphan.csv: no JSON sidecar"]),
    "execution order": (lambda p: _edit_json(p / "notebooks/90-probe.ipynb",
                                             _set("cells.2.execution_count", 7)),
                        ["not executed top to bottom"]),
    "error output": (lambda p: _edit_json(p / "notebooks/90-probe.ipynb", lambda d: d["cells"][3][
        "outputs"].append({"output_type": "error", "ename": "E", "evalue": "", "traceback": []})),
        ["hold an error output"]),
    "twin edited": (lambda p: (p / "notebooks/90-probe.md").write_text(
        PROBE_MD.replace("value = 1", "value = 2")), ["cells differ from its twin 90-probe.md"]),
    "what-if numbers published": (lambda p: (_edit_json(
        p / "reports/results/90-probe.json", _set("parameters.value", 7)), _rehash_results(p)),
        ["non-default parameters value=7 (default 1)"]),
    "what-if figure published": (lambda p: _edit_json(
        p / "reports/figures/90-probe-line.json", _set("parameters.region", "44")),
        ["90-probe-line.json: published output made with non-default parameters region='44'"]),
    "stale run folder": (lambda p: (p / "reports/.run-90-probe-p999999999-zz").mkdir(),
                         [".run-90-probe-p999999999-zz: leftover temporary folder"]),
    "interrupted write": (lambda p: (p / "reports/figures/.90-probe-line.csv.abc.tmp").write_text(
        "x"), [".90-probe-line.csv.abc.tmp: leftover temporary file"]),
    "twin-built notebook": (lambda p: (p / "notebooks/.90-probe.from-twin.ipynb").write_text("{}"),
                            [".90-probe.from-twin.ipynb: leftover"]),
}


def test_check_passes_on_a_clean_project(project: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    assert cli.main(["check"]) == 0, capsys.readouterr().out
    assert "all checks passed" in capsys.readouterr().out


@pytest.mark.parametrize("fault", list(CHECK_FAULTS))
def test_check_finds(fault: str, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    alter, needles = CHECK_FAULTS[fault]
    alter(project)
    before = _tree(project)
    assert cli.main(["check"]) == 1
    out = capsys.readouterr().out
    fails = [line for line in out.splitlines() if line.startswith("FAIL /")]
    assert fails, out
    assert any(all(n in line for n in needles) for line in fails), out
    assert _tree(project) == before, "check modified files"


def test_check_stray_stage_in_processed(project: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A killed build's `.stage-*` folder in data/processed is named."""
    processed = tmp_path / "processed"
    (processed / ".stage-abc").mkdir(parents=True)
    monkeypatch.setenv("REINDUS_PROCESSED", str(processed))
    assert cli.main(["check"]) == 1
    assert ".stage-abc: leftover temporary folder" in capsys.readouterr().out


@pytest.mark.slow
def test_check_deep_reexecutes_and_names_the_moved_number(project: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    _edit_json(project / "reports/results/90-probe.json", _set("results.first.estimate", 2))
    _rehash_results(project)  # hashes agree: only a re-execution can tell
    assert cli.main(["check"]) == 0
    capsys.readouterr()
    before = _tree(project)
    assert cli.main(["check", "--deep"]) == 1
    out = capsys.readouterr().out
    assert "90-probe: first.estimate was 2, now 1 (re-executed)" in out
    assert _tree(project) == before


def test_check_data_parts_on_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    """Raw files and processed tables of the checkout agree with their manifests."""
    assert checks.run_checks(only=("raw files", "processed tables")) == []

"""The build caches of `make reports`: the book is rebuilt exactly when something it reads
changed or an output is missing, staged so that a failed build changes nothing; the
notebook run key covers the whole library."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from reindus import config
from reindus.reporting import site
from reindus.reporting.site import cache

NOTEBOOK = config.NOTEBOOKS_DIR / "00-data-sources.ipynb"


def _outputs(reports: Path) -> dict[str, tuple[int, bytes]]:
    """(mtime_ns, bytes) of every file of the book (not the inputs, not the cache)."""
    skip = (*cache.INPUTS, ".cache")
    return {p.relative_to(reports).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted(reports.rglob("*"))
            if p.is_file() and p.relative_to(reports).parts[0] not in skip}


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A reduced book (notebook 00, no maps) built once, from copies of its inputs."""
    root = tmp_path_factory.mktemp("cache")
    reports = root / "reports"
    for sub in ("figures", "results", "sweeps"):
        shutil.copytree(config.ROOT / "reports" / sub, reports / sub)
    nb_dir = root / "notebooks"
    nb_dir.mkdir()
    nb = nb_dir / NOTEBOOK.name
    shutil.copyfile(NOTEBOOK, nb)
    shutil.copyfile(NOTEBOOK.with_suffix(".md"), nb.with_suffix(".md"))
    site.build_site(reports, notebooks=[nb], maps=False)
    return {"reports": reports, "notebook": nb}


def _no_build(*args, **kwargs) -> None:
    raise AssertionError("the book was built although nothing changed")


def test_nothing_changed_nothing_is_built(book: dict[str, Path],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reports, nb = book["reports"], book["notebook"]
    assert site.up_to_date(reports, notebooks=[nb], maps=False)
    before = _outputs(reports)
    assert "index.html" in before and "notebooks/00-data-sources.html" in before
    monkeypatch.setattr(site, "_build", _no_build)
    assert site.build_site(reports, notebooks=[nb], maps=False) == reports / "index.html"
    assert _outputs(reports) == before  # same bytes, not even rewritten
    # other arguments are another book
    assert not site.up_to_date(reports, notebooks=[nb], maps=True)
    assert not site.up_to_date(reports, notebooks=[nb, NOTEBOOK.with_name(
        "01-regions-compared.ipynb")], maps=False)


def _copy_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Point config at copies of docs/ and src/reindus/ that a test may edit."""
    root = tmp_path / "root"
    shutil.copytree(config.ROOT / "docs", root / "docs")
    shutil.copytree(config.PACKAGE_DIR, root / "src" / "reindus",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(config, "ROOT", root)
    monkeypatch.setattr(config, "PACKAGE_DIR", root / "src" / "reindus")


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


CHANGES = {
    "results JSON": lambda r, nb, root: _append(r / "results" / "01-regions-compared.json", " "),
    "figure data": lambda r, nb, root: _append(next(iter(sorted((r / "figures").glob("*.csv")))),
                                               "\n"),
    "new what-if run": lambda r, nb, root: (r / "runs" / "x").mkdir(parents=True),
    "notebook twin": lambda r, nb, root: _append(nb.with_suffix(".md"), "\nMore text.\n"),
    "executed notebook": lambda r, nb, root: _append(nb, " "),
    "site template (book CSS)": lambda r, nb, root: _append(
        root / "docs" / "book" / "_static" / "reindus.css", "\n/* x */\n"),
    "book texts (book.yml)": lambda r, nb, root: _append(root / "docs" / "book" / "book.yml",
                                                        "\n# x\n"),
    "site code": lambda r, nb, root: _append(
        root / "src" / "reindus" / "reporting" / "site" / "pages.py", "\n# x\n"),
    "a reader the maps call": lambda r, nb, root: _append(root / "src" / "reindus" / "data.py",
                                                         "\n# x\n"),
    "deleted page": lambda r, nb, root: (r / "provenance.html").unlink(),
    "edited page": lambda r, nb, root: _append(r / "index.html", " "),
    "deleted asset": lambda r, nb, root: next(iter(sorted((r / "_static").rglob("*.css"))))
    .unlink(),
    "record deleted (fresh clone)": lambda r, nb, root: cache.record_path(r).unlink(),
    "record damaged": lambda r, nb, root: cache.record_path(r).write_text(
        cache.record_path(r).read_text().replace('"outputs": {', '"outputs": {"x": 1, ', 1)),
    "record truncated": lambda r, nb, root: cache.record_path(r).write_text("{"),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_any_change_makes_the_book_stale(change: str, book: dict[str, Path], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # work on a copy: the module's book stays as built
    reports = tmp_path / "reports"
    shutil.copytree(book["reports"], reports, symlinks=True)
    nb = tmp_path / book["notebook"].name
    shutil.copyfile(book["notebook"], nb)
    shutil.copyfile(book["notebook"].with_suffix(".md"), nb.with_suffix(".md"))
    _copy_tree(monkeypatch, tmp_path)
    assert site.up_to_date(reports, notebooks=[nb], maps=False)
    CHANGES[change](reports, nb, config.ROOT)
    assert not site.up_to_date(reports, notebooks=[nb], maps=False)


def test_a_stale_book_is_rebuilt_and_a_failed_build_changes_nothing(
        book: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reports = tmp_path / "reports"
    shutil.copytree(book["reports"], reports, symlinks=True)
    nb = book["notebook"]
    results = reports / "results" / "00-data-sources.json"
    doc = json.loads(results.read_text(encoding="utf-8"))
    doc.setdefault("results", {})["cache_probe"] = {"estimate": 1.5}
    results.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (reports / "provenance.html").unlink()
    before = _outputs(reports)
    record = cache.record_path(reports).read_bytes()

    # a build that fails half-way: the previous book and its record stay as they were
    def half_build(out: Path, *args, **kwargs) -> None:
        (out / "index.html").write_text("half-written")
        raise RuntimeError("Sphinx failed")

    with monkeypatch.context() as m:
        m.setattr(site, "_build", half_build)
        with pytest.raises(RuntimeError, match="Sphinx failed"):
            site.build_site(reports, notebooks=[nb], maps=False)
    assert _outputs(reports) == before
    assert cache.record_path(reports).read_bytes() == record
    assert not list(reports.glob(f"{cache.STAGE_PREFIX}*"))

    # the real build: the deleted page is back, the edited result is shown, up to date again
    site.build_site(reports, notebooks=[nb], maps=False)
    assert (reports / "provenance.html").is_file()
    assert "<code class='src'>cache_probe</code>" in (reports / "results.html").read_text(
        encoding="utf-8")
    assert site.up_to_date(reports, notebooks=[nb], maps=False)
    assert not list(reports.glob(f"{cache.STAGE_PREFIX}*"))
    assert not (reports.parent / "jupyter_execute").exists()


def test_install_swaps_folders_and_removes_what_the_new_build_did_not_make(
        tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "figures").mkdir(parents=True)
    (reports / "figures" / "a.png").write_bytes(b"png")
    with cache.staging(reports) as out:
        assert (out / "figures").is_symlink()
        (out / "index.html").write_text("one")
        (out / "maps").mkdir()
        (out / "maps" / "m.html").write_text("map")
        (out / "notebooks").mkdir()
        (out / "notebooks" / "old.html").write_text("old")
        cache.install(out, reports, "k1")
    assert cache.up_to_date(reports, "k1") and not cache.up_to_date(reports, "k2")
    with cache.staging(reports) as out:
        (out / "index.html").write_text("two")
        (out / "notebooks").mkdir()
        (out / "notebooks" / "new.html").write_text("new")
        cache.install(out, reports, "k2")
    assert (reports / "index.html").read_text() == "two"
    assert sorted(p.name for p in (reports / "notebooks").iterdir()) == ["new.html"]
    assert not (reports / "maps").exists()  # the previous build's, not made this time
    assert (reports / "figures" / "a.png").read_bytes() == b"png"  # inputs are never moved
    assert set(json.loads(cache.record_path(reports).read_text())["outputs"]) == {
        "index.html", "notebooks/new.html"}
    assert not list(reports.glob(f"{cache.STAGE_PREFIX}*"))


def test_a_killed_build_leaves_a_stage_that_the_next_build_removes(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    dead = reports / f"{cache.STAGE_PREFIX}p999999999-abc"
    (dead / "out").mkdir(parents=True)
    alive = reports / f"{cache.STAGE_PREFIX}p{os.getpid()}-abc"
    alive.mkdir()
    assert cache.remove_stale_stages(reports) == [dead]
    assert alive.exists() and not dead.exists()


def test_the_run_cache_key_covers_the_whole_library(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit in any layer (not only workflow/) makes every notebook's recorded run stale."""
    from reindus.workflow import notebooks

    files = {p.relative_to(config.PACKAGE_DIR).as_posix() for p in config.library_files()}
    assert {"errors.py", "evaluation/did.py", "reporting/site/pages.py",
            "workflow/notebooks.py"} <= files
    _copy_tree(monkeypatch, tmp_path)
    key = notebooks.cache_key(NOTEBOOK)
    _append(config.PACKAGE_DIR / "evaluation" / "did.py", "\n# x\n")
    assert notebooks.cache_key(NOTEBOOK) != key


@pytest.mark.parametrize("argv, forced", [(["report", "--no-readme"], False),
                                          (["report", "--no-readme", "--force"], True)])
def test_report_force_flag_reaches_the_book_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  argv: list[str], forced: bool) -> None:
    """`reindus report --force` rebuilds the book even when the cache says it is up to date."""
    from reindus.reporting import site
    from reindus.workflow import cli

    seen: dict[str, bool] = {}

    def fake_build(*args: object, force: bool = False, **kwargs: object) -> Path:
        seen["force"] = force
        return tmp_path / "index.html"

    monkeypatch.setattr(site, "build_site", fake_build)
    assert cli.main(argv) == 0
    assert seen == {"force": forced}

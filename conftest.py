"""Shared test configuration.

* Sockets are blocked for every test (pytest-socket, see pyproject.toml).
* Reports written during the tests (notebooks under nbval included) go to a
  temporary folder, never into the committed ``reports/``.
* Tests that need the source mirror are marked ``mirror`` and skipped, with
  the reason, when ``../shared/data`` (or ``$REINDUS_MIRROR``) is absent.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from reindus import config

_REPORTS = tempfile.mkdtemp(prefix="reindus-test-reports-")
atexit.register(shutil.rmtree, _REPORTS, ignore_errors=True)
os.environ["REINDUS_REPORTS"] = _REPORTS  # inherited by the nbval kernels too


def mirror_path() -> Path | None:
    """The source mirror, if present."""
    candidate = config.mirror_dir() or config.DEFAULT_MIRROR
    return candidate if (candidate / "sources.csv").is_file() else None




def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("mirror") and mirror_path() is None:
        pytest.skip("needs the source mirror ../shared/data (or REINDUS_MIRROR); absent here")


@pytest.fixture(scope="session")
def mirror() -> Path:
    """Path of the source mirror (tests using it must be marked ``mirror``)."""
    path = mirror_path()
    if path is None:
        pytest.skip("needs the source mirror ../shared/data (or REINDUS_MIRROR); absent here")
    return path


@pytest.fixture(scope="session")
def raw_dir(mirror: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh data/raw fetched from the mirror for this test session."""
    from reindus.ingest.sources import fetch

    out = tmp_path_factory.mktemp("raw")
    fetch(mirror=mirror, raw_dir=out)
    return out


@pytest.fixture()
def reports_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty reports folder for one test."""
    monkeypatch.setenv("REINDUS_REPORTS", str(tmp_path / "reports"))
    return tmp_path / "reports"

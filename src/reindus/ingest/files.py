"""File and process facts with no heavy import: hashes and "is this run still alive?".

Kept apart from :mod:`reindus.ingest.io` (which imports pandas and pyarrow) so that the
no-change paths of ``reindus run all`` and ``reindus report`` (:mod:`reindus.workflow.notebooks`,
:mod:`reindus.reporting.site.cache`) can check their caches without loading pandas.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path


def sha256_file(path: str | Path) -> str:
    """Hex sha256 digest of a file's bytes (streamed by :func:`hashlib.file_digest`)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 probes without signalling).

    A process owned by another user raises ``PermissionError``: it exists. Used to tell a
    staging folder of a run under way from one left by a killed run.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def package_versions(names: tuple[str, ...]) -> str:
    """``python=X`` then ``name=version`` (or ``name=absent``) a line, for cache keys.

    Read once a process per list of names: reading a package's metadata costs ~3 ms and
    ``reindus run all`` keys every notebook.
    """
    import platform
    from importlib import metadata

    versions = [f"python={platform.python_version()}"]
    for name in names:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=absent")
    return "\n".join(versions)

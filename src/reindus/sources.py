"""Source registry and fetching (the pooch pattern: name, hash, URL).

The registry lives in ``data/sources.toml``: one entry per file of the source
mirror that the project uses, with its official page, licence, sha256 and how
the snapshot was obtained. :func:`fetch` copies each file from a mirror
directory (``REINDUS_MIRROR``) or downloads it from its URL when online, checks
its sha256 and writes it under the git-ignored ``data/raw/``. Nothing is ever
left half-written: files are copied to a temporary name and renamed only
after their hash matched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.io import sha256_file


@dataclass(frozen=True)
class Source:
    """One registered source file."""

    id: str
    table: str
    title: str
    producer: str
    official_page: str
    licence: str
    obtained_from: str
    third_party: bool
    file: str = ""
    sha256: str = ""
    bytes: int = 0
    url: str = ""
    coverage: str = ""
    transformation: str = ""
    caveats: str = ""
    #: An optional source is never fetched or built by default (``reindus fetch --full``):
    #: its hash lives in a lock file, because each new vintage changes it.
    optional: bool = False

    def raw_path(self, raw_dir: Path | None = None) -> Path:
        """Where the fetched file lives (``data/raw/<file>``)."""
        return (raw_dir or config.raw_dir()) / self.file


def load_registry(path: Path | None = None) -> dict[str, Source]:
    """Read ``data/sources.toml`` into ``{id: Source}``."""
    path = path or config.SOURCES_FILE
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8"))["source"]
    except FileNotFoundError:
        raise DataError(path, "the source registry is missing",
                        "restore data/sources.toml from git (git checkout data/sources.toml)") from None
    except (tomllib.TOMLDecodeError, KeyError) as exc:
        raise DataError(path, f"the source registry is not valid TOML with [[source]] entries "
                        f"({exc})", "fix the syntax, or restore it from git") from None
    registry = {}
    for entry in entries:
        if not entry.get("optional") and not (entry.get("file") and entry.get("sha256")):
            raise DataError(path, f"source {entry.get('id')!r} has no file or sha256",
                            "give every non-optional source its file and sha256")
        src = Source(**entry)
        if src.id in registry:
            raise DataError(path, f"duplicate source id {src.id!r}", "give each source a unique id")
        registry[src.id] = src
    return registry


def get(source_id: str) -> Source:
    """One source by id."""
    registry = load_registry()
    if source_id not in registry:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(sorted(registry))}")
    return registry[source_id]


def raw_path(source_id: str) -> Path:
    """Path of a fetched raw file, by source id."""
    return get(source_id).raw_path()


def provenance_table(registry: dict[str, Source] | None = None) -> pd.DataFrame:
    """The registry as a table (for the notebooks, the README and the site)."""
    registry = registry or load_registry()
    rows = [{
        "id": s.id, "file": s.file, "table": s.table, "title": s.title, "producer": s.producer,
        "licence": s.licence, "official_page": s.official_page, "coverage": s.coverage,
        "third_party": s.third_party, "obtained_from": s.obtained_from,
        "transformation": s.transformation, "caveats": s.caveats, "sha256": s.sha256,
        "bytes": s.bytes,
    } for s in registry.values()]
    return pd.DataFrame(rows)


def verify(src: Source, path: Path) -> None:
    """Raise :class:`DataError` unless ``path`` has the registered sha256."""
    digest = sha256_file(path)
    if digest != src.sha256:
        raise DataError(path, f"sha256 mismatch for source {src.id!r}: expected {src.sha256}, "
                        f"got {digest} ({path.stat().st_size} bytes, expected {src.bytes})",
                        "the file is corrupt, truncated or a different vintage: fetch it again "
                        "from the mirror or the official page; if the producer published a new "
                        "version on purpose, update sha256 in data/sources.toml and rebuild")


def _copy_verified(src: Source, origin: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        shutil.copyfile(origin, tmp_path)
        try:
            verify(src, tmp_path)
        except DataError as exc:
            raise DataError(origin, exc.problem, exc.fix) from None
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def _download(src: Source, target: Path) -> None:
    if not src.url:
        raise DataError(target, f"source {src.id!r} has no public download URL (the snapshot "
                        f"was obtained as: {src.obtained_from})",
                        "set REINDUS_MIRROR to a directory holding the mirror (e.g. ../shared/data)")
    import pooch  # only needed online

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pooch.retrieve(src.url, known_hash=f"sha256:{src.sha256}", fname=target.name,
                       path=target.parent, progressbar=False)
    except ValueError as exc:  # pooch's hash mismatch
        raise DataError(target, f"download of {src.url} failed its hash check ({exc})",
                        "the remote file changed: check the official page and update "
                        "data/sources.toml") from None
    except Exception as exc:  # network errors of any flavour
        raise DataError(target, f"could not download {src.url} ({type(exc).__name__}: {exc})",
                        "check the network, or set REINDUS_MIRROR to a local mirror") from None


def fetch(
    ids: Iterable[str] | None = None,
    *,
    mirror: Path | None = None,
    raw_dir: Path | None = None,
    force: bool = False,
    progress: Callable[[Iterable[Source]], Iterable[Source]] | None = None,
) -> list[Path]:
    """Fetch registered files into ``data/raw`` and verify their sha256.

    Parameters
    ----------
    ids
        Source ids to fetch (default: all).
    mirror
        Mirror directory; defaults to ``REINDUS_MIRROR``. Without one, files
        are downloaded from their URLs (needs the internet).
    raw_dir
        Destination (default ``data/raw``).
    force
        Re-copy even when a verified copy is already there.
    progress
        Optional wrapper around the iterable (e.g. ``tqdm``).

    Returns
    -------
    list of Path
        The verified raw files.
    """
    registry = load_registry()
    chosen = [registry[i] for i in ids] if ids else [s for s in registry.values() if not s.optional]
    mirror = mirror if mirror is not None else config.mirror_dir()
    if mirror is not None and not Path(mirror).is_dir():
        raise DataError(mirror, "the mirror directory does not exist",
                        "point REINDUS_MIRROR at the source mirror (the Makefile uses ../shared/data), "
                        "or unset it to download from the official URLs when online")
    out = []
    for src in (progress(chosen) if progress else chosen):
        target = src.raw_path(raw_dir)
        if target.exists() and not force:
            try:
                verify(src, target)
                out.append(target)
                continue
            except DataError:
                pass  # stale or corrupt: fetch again
        if mirror is not None:
            origin = Path(mirror) / src.file
            if not origin.is_file():
                raise DataError(origin, f"source {src.id!r} is not in the mirror",
                                "complete the mirror, or unset REINDUS_MIRROR to download it online")
            _copy_verified(src, origin, target)
        else:
            _download(src, target)
        out.append(target)
    return out

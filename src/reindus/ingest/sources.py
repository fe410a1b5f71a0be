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

import difflib
import json
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.ingest.io import sha256_file


@dataclass(frozen=True)
class Source:
    """One registered source file.

    ``url`` serves the registered bytes (its sha256 is checked); ``official_url``
    is the producer's own download (open-data export, API), which may hold the
    same data in another layout or vintage. ``first_period`` and ``last_period``
    (``YYYY`` or ``YYYYQn``) are the coverage the loaders enforce: a period
    outside it, or in the future, is an error, never silently kept.

    Which processed tables a source feeds is not recorded here: the loaders declare
    it once (``@processed_table(name, sources=...)``, :data:`reindus.ingest.loaders.TABLES`).
    A source that feeds none says why in ``not_built``.
    """

    id: str
    title: str
    producer: str
    official_page: str
    licence: str
    file: str
    sha256: str
    bytes: int
    url: str
    coverage: str
    obtained_from: str
    third_party: bool
    transformation: str
    caveats: str
    official_url: str = ""
    first_period: str = ""
    last_period: str = ""
    #: An optional source (``reindus fetch --full``) is never fetched or built by
    #: default; its sha256, size and vintage live in a lock file, because each new
    #: vintage of the producer's export changes them.
    optional: bool = False
    #: Why a registered file feeds no processed table (a sample kept for the scale recipe,
    #: the optional full file); empty for every source that some loader reads.
    not_built: str = ""

    @property
    def in_repository(self) -> bool:
        """Reference tables are the project's own: committed, never fetched."""
        return self.file.startswith("reference/")

    def raw_path(self, raw_dir: Path | None = None) -> Path:
        """Where the file is read from: ``data/raw/<file>``, or for the project's
        reference tables the one committed copy in ``data/reference/``."""
        if self.in_repository:
            return config.reference_dir() / self.file.removeprefix("reference/")
        if self.optional and not self.file:
            return (raw_dir or config.raw_dir()) / FULL_RAW_NAME  # its hash lives in its lock file
        return (raw_dir or config.raw_dir()) / self.file


_FIELDS = {f.name: f for f in fields(Source)}
_REQUIRED = [n for n, f in _FIELDS.items() if f.default is MISSING]
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_PERIOD = re.compile(r"^\d{4}(Q[1-4])?$")
# A file served from a repository must be pinned: a commit in raw.githubusercontent.com URLs,
# a version on npm (a branch name would let the bytes change under the registered sha256).
_PINNED = (re.compile(r"^https://raw\.githubusercontent\.com/[^/]+/[^/]+/[0-9a-f]{40}/"),
           re.compile(r"^https://cdn\.jsdelivr\.net/npm/(@[^/]+/)?[^/@]+@\d[^/]*/"))
_REGISTRY_FIX = "correct the entry in data/sources.toml, or restore it from git (git checkout data/sources.toml)"


def _check_entry(entry: object, i: int, path: Path) -> Source:
    """One ``[[source]]`` table -> :class:`Source`, with every field checked."""
    if not isinstance(entry, dict):
        raise DataError(path, f"entry {i + 1} is not a [[source]] table", _REGISTRY_FIX)
    name = f"source {entry.get('id', f'number {i + 1}')!r}"
    unknown = sorted(set(entry) - set(_FIELDS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(_FIELDS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DataError(path, f"{name} has unknown key(s) {unknown}{hint}; known keys: "
                        f"{', '.join(_FIELDS)}", _REGISTRY_FIX)
    if entry.get("optional") is True:
        # Optional sources carry no hash here (see Source.optional): only what is needed
        # to download them and to cite them.
        missing = [k for k in ("id", "title", "producer", "official_page", "licence",
                               "url", "obtained_from", "third_party") if not entry.get(k) and k != "third_party"]
        if missing:
            raise DataError(path, f"{name} (optional) lacks the key(s) {missing}", _REGISTRY_FIX)
        return Source(**{"file": "", "sha256": "", "bytes": 0, "coverage": "", "transformation": "",
                         "caveats": "", **entry})
    missing = [k for k in _REQUIRED if k not in entry]
    if missing:
        raise DataError(path, f"{name} lacks the key(s) {missing}", _REGISTRY_FIX)
    for key, value in entry.items():
        want = {"bytes": int, "third_party": bool, "optional": bool}.get(key, str)
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            raise DataError(path, f"{name}: {key} = {value!r} should be of type {want.__name__}",
                            _REGISTRY_FIX)
    if not _HEX64.match(entry["sha256"]):
        raise DataError(path, f"{name}: sha256 {entry['sha256']!r} is not 64 lower-case hex "
                        "digits", "paste the digest printed by `sha256sum <file>`")
    for key in ("url", "official_url"):
        url = entry.get(key, "")
        if url and not url.startswith("https://"):
            raise DataError(path, f"{name}: {key} {url!r} is not an https:// URL", _REGISTRY_FIX)
    hosted = entry["url"].startswith(("https://raw.githubusercontent.com/",
                                      "https://cdn.jsdelivr.net/"))
    if hosted and not any(p.match(entry["url"]) for p in _PINNED):
        raise DataError(path, f"{name}: the repository url {entry['url']!r} is not pinned to a "
                        "commit or a version, so its bytes can change under the registered sha256",
                        "replace the branch name in the URL by the commit hash of the file")
    for key in ("first_period", "last_period"):
        if entry.get(key) and not _PERIOD.match(entry[key]):
            raise DataError(path, f"{name}: {key} {entry[key]!r} is not YYYY or YYYYQn",
                            _REGISTRY_FIX)
    return Source(**entry)


def load_registry(path: Path | None = None) -> dict[str, Source]:
    """Read ``data/sources.toml`` into ``{id: Source}``, checking every entry.

    Raises
    ------
    DataError
        When the file is missing or not TOML, or an entry lacks a key, has an
        unknown key, a value of the wrong type, a malformed sha256, a non-https
        URL, an unpinned third-party URL or a duplicate id.
    """
    path = path or config.SOURCES_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(path, "the source registry is missing",
                        "restore data/sources.toml from git (git checkout data/sources.toml)") from None
    except UnicodeDecodeError as exc:
        raise DataError(path, f"the source registry is not UTF-8 (byte {exc.start})",
                        _REGISTRY_FIX) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(path, f"the source registry is not valid TOML ({exc})",
                        _REGISTRY_FIX) from None
    extra = sorted(set(doc) - {"source"})
    entries = doc.get("source")
    if extra or not isinstance(entries, list) or not entries:
        raise DataError(path, "the registry must hold [[source]] tables only"
                        + (f" (found top-level key(s) {extra})" if extra else ""), _REGISTRY_FIX)
    registry = {}
    for i, entry in enumerate(entries):
        src = _check_entry(entry, i, path)
        if src.id in registry:
            raise DataError(path, f"duplicate source id {src.id!r}", "give each source a unique id")
        registry[src.id] = src
    return registry


def get(source_id: str) -> Source:
    """One source by id."""
    registry = load_registry()
    if source_id not in registry:
        raise DataError(config.SOURCES_FILE, f"unknown source id {source_id!r}",
                        f"use one of: {', '.join(sorted(registry))}")
    return registry[source_id]


def raw_path(source_id: str) -> Path:
    """Path of a fetched raw file, by source id."""
    return get(source_id).raw_path()


def provenance_table(tables: Mapping[str, Sequence[str]],
                     registry: dict[str, Source] | None = None) -> pd.DataFrame:
    """The registry as a table (for the notebooks, the README and the site).

    Parameters
    ----------
    tables
        Source id -> the processed tables it feeds, i.e.
        :func:`reindus.ingest.loaders.tables_by_source` (the loaders import this module,
        so it cannot import them: :func:`reindus.data.provenance` passes it). The
        ``table`` column joins them with ``", "``; it is empty for a ``not_built`` source.
    registry
        Default: :func:`load_registry`.
    """
    registry = registry or load_registry()
    rows = [{
        "id": s.id, "file": s.file, "table": ", ".join(tables.get(s.id, ())), "title": s.title,
        "producer": s.producer,
        "licence": s.licence, "official_page": s.official_page, "coverage": s.coverage,
        "third_party": s.third_party, "obtained_from": s.obtained_from,
        "transformation": s.transformation, "caveats": s.caveats, "sha256": s.sha256,
        "bytes": s.bytes, "url": s.url, "official_url": s.official_url,
    } for s in registry.values()]
    return pd.DataFrame(rows)


def verify(src: Source, path: Path) -> None:
    """Raise :class:`DataError` unless ``path`` has the registered sha256 (for an
    optional source: the sha256 of its lock file)."""
    if src.optional:
        verify_full_lock(path)
        return
    if not path.is_file():
        raise DataError(path, f"the file of source {src.id!r} is "
                        + ("a folder" if path.is_dir() else "missing"),
                        "run `reindus fetch`" + (" (optional sources: `reindus fetch --full`)"
                                                 if src.optional else ""))
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
        official = (f"; the producer's own export is {src.official_url}, in another layout, so "
                    "the loader would need adapting" if src.official_url else "")
        raise DataError(target, f"source {src.id!r} has no URL that serves the registered file "
                        f"(it was obtained as: {src.obtained_from}){official}",
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


class FetchError(DataError):
    """Some sources could not be fetched; the others were.

    Attributes
    ----------
    failures
        ``{source id: DataError}`` of every source that failed.
    fetched
        The verified files that were fetched (or already present).
    """

    def __init__(self, raw_dir: Path, failures: dict[str, DataError], fetched: list[Path],
                 total: int) -> None:
        self.failures = failures
        self.fetched = fetched
        listing = "; ".join(f"{sid}: {exc.path}: {exc.problem}" for sid, exc in failures.items())
        fix = (next(iter(failures.values())).fix if len(failures) == 1 else
               "fix each one as its message says (most often: set REINDUS_MIRROR to the "
               "source mirror, or go online)")
        super().__init__(raw_dir, f"{len(failures)} of {total} sources could not be fetched "
                         f"({listing})", f"{fix}; then run `reindus fetch` again (the "
                         f"{len(fetched)} verified files are kept)")


def _fetch_one(src: Source, mirror: Path | None, raw_dir: Path | None, force: bool) -> Path:
    target = src.raw_path(raw_dir)
    if src.in_repository:
        # The project's own reference tables are committed: check them, never overwrite them.
        if not target.is_file():
            raise DataError(target, f"the reference table of source {src.id!r} is missing",
                            "restore it from git (git checkout data/reference)")
        verify(src, target)
        return target
    if target.exists() and not force:
        try:
            verify(src, target)
            return target
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
    return target


def fetch(
    ids: Iterable[str] | None = None,
    *,
    mirror: Path | None = None,
    raw_dir: Path | None = None,
    force: bool = False,
    progress: Callable[[Iterable[Source]], Iterable[Source]] | None = None,
) -> list[Path]:
    """Fetch registered files into ``data/raw`` and verify their sha256.

    Every source is attempted: one that cannot be fetched (not in the mirror,
    no URL, network error, hash mismatch) is recorded and the others carry on.
    The project's reference tables (``reference/...``) are committed in
    ``data/reference/`` and only verified.

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
        The verified files.

    Raises
    ------
    FetchError
        After trying every source, when one or more failed; it lists each
        failure and keeps the files that were verified.
    """
    registry = load_registry()
    wanted = list(ids) if ids else [k for k, s in registry.items() if not s.optional]
    unknown = [i for i in wanted if i not in registry]
    if unknown:
        raise DataError(config.SOURCES_FILE, f"unknown source id(s) {unknown}",
                        f"use ids from data/sources.toml: {', '.join(sorted(registry))}")
    chosen = [registry[i] for i in wanted]
    mirror = mirror if mirror is not None else config.mirror_dir()
    if mirror is not None and not Path(mirror).is_dir():
        raise DataError(mirror, "the mirror directory does not exist",
                        "point REINDUS_MIRROR at the source mirror (the Makefile uses ../shared/data), "
                        "or unset it to download from the official URLs when online")
    out: list[Path] = []
    failures: dict[str, DataError] = {}
    for src in (progress(chosen) if progress else chosen):
        try:
            out.append(_fetch_one(src, mirror, raw_dir, force))
        except DataError as exc:
            failures[src.id] = exc
    if failures:
        raise FetchError(raw_dir or config.raw_dir(), failures, out, len(chosen))
    return out


# --------------------------------------------------------------------------- the optional full file
#: file name of the optional full-resolution commune x APE file (its sha256 is in its lock file)
FULL_RAW_NAME = "urssaf-commune-ape-full.csv"


def full_lock_path() -> Path:
    """The lock file of the optional full commune x APE file, recording the fetched vintage (``REINDUS_FULL_LOCK`` overrides)."""
    value = os.environ.get("REINDUS_FULL_LOCK")
    return Path(value).expanduser().resolve() if value else config.DATA_DIR / "full-resolution.lock.json"


def verify_full_lock(path: Path | None = None) -> dict:
    """Check the raw file against the lock file; return the lock entry."""
    path = path or config.raw_dir() / FULL_RAW_NAME
    lock = full_lock_path()
    if not lock.exists():
        raise DataError(lock, "no lock file for the full commune x APE file", "run `reindus fetch --full`")
    try:
        entry = json.loads(lock.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(lock, f"not valid JSON ({exc.msg}, line {exc.lineno})",
                        "delete it and run `reindus fetch --full` again") from exc
    if not path.exists():
        raise DataError(path, "the full commune x APE file is missing", "run `reindus fetch --full`")
    digest = sha256_file(path)
    if digest != entry.get("sha256"):
        raise DataError(path, f"sha256 {digest[:12]}… differs from the lock file's {str(entry.get('sha256'))[:12]}…",
                        "run `reindus fetch --full` again (a new vintage updates the lock file)")
    return entry

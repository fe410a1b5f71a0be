"""Low-level file helpers: atomic writes and defensive reading of delimited text.

Everything that writes goes through :func:`atomic_write`, so that an
interrupted or failed step never leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import io
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from reindus.errors import DataError
from reindus.ingest.files import sha256_file as sha256_file  # re-exported: one implementation

_BOM = "\ufeff"


def _normalise(name: str) -> str:
    """Lower case, no accents, spaces and dashes as underscores: for 'renamed?' hints."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return plain.lower().strip().replace(" ", "_").replace("-", "_")


@contextlib.contextmanager
def atomic_write(path: str | Path, mode: str = "wb") -> Iterator[Any]:
    """Open a temporary file beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": ""})) as fh:
            yield fh
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; processed files are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_parquet(df: pd.DataFrame, path: str | Path) -> None:
    """Write a frame to Parquet deterministically and atomically.

    Same frame, same library versions -> byte-identical file (no timestamps,
    fixed row-group size, zstd compression).
    """
    table = pa.Table.from_pandas(df, preserve_index=False)
    with atomic_write(path) as fh:
        pq.write_table(table, fh, compression="zstd", row_group_size=1 << 20,
                       write_statistics=True, store_schema=True)


def write_json(obj: Any, path: str | Path) -> None:
    """Write JSON atomically, sorted and indented for stable diffs."""
    with atomic_write(path, "w") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, ensure_ascii=False, default=str)
        fh.write("\n")


def write_text(text: str, path: str | Path) -> None:
    """Write text atomically (UTF-8)."""
    with atomic_write(path, "w") as fh:
        fh.write(text)


def read_text_checked(path: str | Path, encoding: str = "utf-8") -> str:
    """Read a whole text file, raising :class:`DataError` on the usual faults.

    Checks: the file exists, is not empty, decodes with ``encoding``.
    A leading byte-order mark is removed.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file not found",
                        "run `reindus fetch` (with REINDUS_MIRROR set to the mirror, "
                        "or online) to download it")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(path, "file is empty",
                        "delete it and run `reindus fetch` again to download a fresh copy")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataError(path, f"file is not valid {encoding.upper()} (byte {exc.start}: "
                        f"{raw[exc.start:exc.start + 4]!r}); it was probably saved in another "
                        "encoding such as Latin-1",
                        f"re-export it as {encoding.upper()}, or run `reindus fetch` to get "
                        "the official file") from None
    return text.removeprefix(_BOM)


def read_delimited(
    path: str | Path,
    *,
    sep: str,
    required: Sequence[str],
    dtype: dict[str, str] | None = None,
    encoding: str = "utf-8",
    allow_bom_in_header: bool = False,
) -> pd.DataFrame:
    """Read a delimited text file defensively.

    Raises :class:`DataError` (naming file, problem and fix) when the file is
    missing, empty, not in ``encoding``, uses another delimiter, has a
    byte-order mark inside its header, lacks a required column (with a hint
    when a similar name is present) or is truncated (a last line with fewer
    fields than the header, or no final newline inside a record).

    Parameters
    ----------
    path
        File to read.
    sep
        Expected field delimiter.
    required
        Column names that must be present (after stripping one leading BOM).
    dtype
        Column types passed to :func:`pandas.read_csv`; codes must be ``"str"``.
    allow_bom_in_header
        Some official Urssaf exports carry a second byte-order mark inside one
        header name; loaders of those files pass ``True`` and the mark is
        removed. Elsewhere a BOM inside a header is an error: the file was
        re-saved by a tool that mangled it.
    """
    path = Path(path)
    text = read_text_checked(path, encoding)
    header_line = text.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([header_line], delimiter=sep))
    if len(header) == 1 and len(required) > 1:
        found = max((",", ";", "\t", "|"), key=header_line.count)
        raise DataError(path, f"the header has a single column: the file is not "
                        f"{sep!r}-separated (it looks {found!r}-separated)",
                        f"save it with {sep!r} as the delimiter, as the official export does")
    bom_cols = [c for c in header if _BOM in c]
    if bom_cols and not allow_bom_in_header:
        raise DataError(path, f"header {bom_cols[0].replace(_BOM, '<BOM>')!r} contains a byte-order "
                        "mark (U+FEFF) inside the header line",
                        "re-save the file as UTF-8 without BOM marks inside the header, or run "
                        "`reindus fetch` to get the official file")
    header = [c.replace(_BOM, "") for c in header]
    missing = [c for c in required if c not in header]
    if missing:
        unexpected = [h for h in header if h not in required]
        norm = {_normalise(h): h for h in unexpected}
        hints = []
        for m in missing:
            close = difflib.get_close_matches(_normalise(m), list(norm), n=1, cutoff=0.6)
            hints.append(f"{m!r}" + (f" (found {norm[close[0]]!r}: renamed?)" if close else ""))
        raise DataError(path, f"missing column(s) {', '.join(hints)}; the header is {header}",
                        "restore the official column names, or run `reindus fetch` to get the "
                        "official file")
    lines = text.rstrip("\n").split("\n")
    last = next(csv.reader([lines[-1].rstrip("\r")], delimiter=sep)) if len(lines) > 1 else header
    if len(last) < len(header) or not text.endswith("\n"):
        # A missing final newline alone is tolerated when the last record is complete.
        if len(last) < len(header):
            raise DataError(path, f"the file is truncated: its last line has {len(last)} of "
                            f"{len(header)} fields",
                            "the download was interrupted: delete the file and run "
                            "`reindus fetch` again")
    df = pd.read_csv(io.StringIO(text), sep=sep, dtype=dtype, keep_default_na=True,
                     na_values=[""], header=0, names=header)
    return df


def read_json_checked(path: str | Path) -> Any:
    """Read a JSON file, raising :class:`DataError` when missing, empty or invalid."""
    path = Path(path)
    text = read_text_checked(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno} "
                        f"({exc.msg}); the file is probably truncated",
                        "delete it and run `reindus fetch` again") from None

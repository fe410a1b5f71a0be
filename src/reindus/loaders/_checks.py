"""Checks shared by the loaders; each raises one clear DataError."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from reindus.errors import DataError

REFETCH = "fetch the official file again (`reindus fetch --force`)"


def parse_dates(values: pd.Series, path: Path, column: str, fmt: str = "%Y-%m-%d") -> pd.Series:
    """Parse dates with an explicit format; name the first bad value on failure."""
    parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any() or values.isna().any():
        first = values[bad | values.isna()].iloc[0]
        row = int((bad | values.isna()).to_numpy().argmax()) + 2  # +1 header, +1 one-based
        raise DataError(path, f"unparseable date {first!r} in column {column!r} (line {row}); "
                        f"expected the format {fmt}", f"correct that value or {REFETCH}")
    return parsed


def quarter_from_end_dates(values: pd.Series, path: Path, column: str) -> pd.Series:
    """Last-day-of-quarter dates (``YYYY-MM-DD``) -> quarterly Periods, checked."""
    dates = parse_dates(values, path, column)
    not_end = ~dates.dt.is_quarter_end
    if not_end.any():
        raise DataError(path, f"date {values[not_end].iloc[0]!r} in column {column!r} is not the "
                        "last day of a quarter", f"correct that value or {REFETCH}")
    return dates.dt.to_period("Q")


def to_int(values: pd.Series, path: Path, column: str, *, nullable: bool = False) -> pd.Series:
    """Numeric text -> integers; names the first non-numeric value."""
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() & values.notna()
    if bad.any():
        raise DataError(path, f"non-numeric value {values[bad].iloc[0]!r} in column {column!r}",
                        f"correct that value or {REFETCH}")
    if not nullable and num.isna().any():
        raise DataError(path, f"missing value in column {column!r} (line "
                        f"{int(num.isna().to_numpy().argmax()) + 2})", REFETCH)
    if (num.dropna() % 1 != 0).any():
        raise DataError(path, f"non-integer count in column {column!r}", REFETCH)
    return num.astype("Int64" if nullable else "int64")


def non_negative(values: pd.Series, path: Path, column: str) -> None:
    """Counts and employment cannot be negative."""
    neg = values.dropna() < 0
    if neg.any():
        raise DataError(path, f"negative value {values.dropna()[neg].iloc[0]!r} in column "
                        f"{column!r}, which holds counts", f"correct that value or {REFETCH}")


def known_codes(values: pd.Series, allowed: Iterable[str], path: Path, column: str,
                what: str) -> None:
    """Every code must belong to the expected nomenclature."""
    allowed = set(allowed)
    unknown = sorted(set(values.dropna().unique()) - allowed)
    if unknown:
        raise DataError(path, f"unknown {what} code(s) {unknown[:5]} in column {column!r}",
                        f"the loader knows {sorted(allowed)}: correct the codes, or update the "
                        "nomenclature in reindus.schemas if the producer changed it")


def unique_keys(df: pd.DataFrame, keys: Sequence[str], path: Path) -> None:
    """One row per key: duplicates would be double-counted by every sum."""
    dup = df.duplicated(list(keys), keep=False)
    if dup.any():
        first = df.loc[dup, list(keys)].iloc[0].to_dict()
        raise DataError(path, f"{int(dup.sum())} rows share a key {list(keys)}, e.g. {first}",
                        "remove the duplicated rows (each key must appear once) or " + REFETCH)


def nonempty(df: pd.DataFrame, path: Path) -> None:
    """A header with no data rows is as good as an empty file."""
    if df.empty:
        raise DataError(path, "the file has a header but no data rows",
                        "delete it and " + REFETCH)

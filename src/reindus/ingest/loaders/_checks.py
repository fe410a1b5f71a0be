"""Checks shared by the loaders; each raises one clear DataError."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
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


def _line(values: pd.Series, mask: pd.Series, unit: str = "line") -> str:
    """Where the first flagged value is: 'line N' of a delimited file (index = data row,
    +2 for the header and one-based), or '<unit> N' (the index) for JSON and geo files."""
    label = values.index[mask.to_numpy().argmax()]
    if unit != "line" or not isinstance(label, (int, np.integer)):
        return f"{unit} {label}"
    return f"line {int(label) + 2}"


_NUMBER_HINT = ("counts and amounts are plain numbers with a decimal point: no thousands "
                "separator, no decimal comma; a withheld value ('n.d.', 's', 'secret') must be "
                "left blank")


def to_number(values: pd.Series, path: Path, column: str, *, unit: str = "line") -> pd.Series:
    """Numeric text -> float64; names line, column and value of the first non-number."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    num = pd.to_numeric(values, errors="coerce")
    bad = num.isna() & values.notna()
    if bad.any():
        raise DataError(path, f"non-numeric value {values[bad].iloc[0]!r} in column {column!r} "
                        f"({_line(values, bad, unit)})",
                        f"{_NUMBER_HINT}; correct that value or {REFETCH}")
    return num.astype("float64")


def to_int(values: pd.Series, path: Path, column: str, *, nullable: bool = False,
           unit: str = "line") -> pd.Series:
    """Numeric text -> integers; names line, column and value of the first bad value."""
    num = to_number(values, path, column, unit=unit)
    if not nullable and num.isna().any():
        raise DataError(path, f"missing value in column {column!r} "
                        f"({_line(values, num.isna(), unit)})",
                        f"fill it in or {REFETCH}")
    frac = num.notna() & (num % 1 != 0)
    if frac.any():
        raise DataError(path, f"non-integer count {values[frac].iloc[0]!r} in column {column!r} "
                        f"({_line(values, frac, unit)})",
                        f"{_NUMBER_HINT}; correct that value or {REFETCH}")
    return num.astype("Int64" if nullable else "int64")


def non_negative(values: pd.Series, path: Path, column: str, *, where: str = "",
                 unit: str = "line") -> None:
    """Counts and employment cannot be negative (``where`` says which part, if any)."""
    neg = (values < 0).fillna(False).astype(bool)
    if neg.any():
        raise DataError(path, f"negative value {values[neg].iloc[0]!r} in column {column!r} "
                        f"({_line(values, neg, unit)}{where}), which holds counts",
                        f"correct that value or {REFETCH}")


def known_codes(values: pd.Series, allowed: Iterable[str], path: Path, column: str,
                what: str, reference: str = "reindus.ingest.schemas", unit: str = "line") -> None:
    """Every code must belong to the reference list (``reference`` names where it comes from)."""
    allowed = set(allowed)
    bad = ~values.isin(allowed) & values.notna()
    if bad.any():
        unknown = sorted(set(values[bad]))
        known = sorted(allowed)
        shown = f"{known}" if len(known) <= 30 else f"{len(known)} codes, e.g. {known[:5]}"
        raise DataError(path, f"unknown {what} code(s) {unknown[:5]} in column {column!r} "
                        f"({_line(values, bad, unit)}); not in {reference}",
                        f"the reference list holds {shown}: correct the codes, or update the "
                        f"reference ({reference}) if the producer changed its nomenclature")


def unique_keys(df: pd.DataFrame, keys: Sequence[str], path: Path, unit: str = "line") -> None:
    """One row per key: duplicates would be double-counted by every sum."""
    dup = df.duplicated(list(keys), keep=False)
    if dup.any():
        first = {k: str(v) for k, v in df.loc[dup, list(keys)].iloc[0].items()}
        labels = [int(i) for i in df.index[dup][:3] if isinstance(i, (int, np.integer))]
        if unit == "line":
            labels = [i + 2 for i in labels]
        at = f" ({unit}s {labels})" if labels else ""
        raise DataError(path, f"{int(dup.sum())} rows share a key {list(keys)}, e.g. {first}{at}: "
                        "they would be summed (counted twice)",
                        "remove the duplicated rows (each key must appear once) or " + REFETCH)


def within_coverage(periods: pd.Series, source_id: str, path: Path, column: str,
                    *, today: pd.Timestamp | None = None, unit: str = "line") -> None:
    """Periods must lie in the source's declared coverage and not in the future.

    The coverage is ``first_period``..``last_period`` of the source in
    ``data/sources.toml``; a quarter (or year) after today's is in the future
    whatever the registry says.

    Parameters
    ----------
    periods
        Quarterly ``Period`` values or integer years.
    """
    from reindus.ingest.sources import get

    src = get(source_id)
    today = today or pd.Timestamp.today()
    quarterly = isinstance(periods.dtype, pd.PeriodDtype)
    values = periods if quarterly else periods.astype("int64")
    now = today.to_period("Q") if quarterly else today.year
    future = values > now
    if future.any():
        raise DataError(path, f"period {values[future].iloc[0]} in column {column!r} "
                        f"({_line(values, future, unit)}) is in the future (today is {today.date()})",
                        f"correct the value, or {REFETCH}")
    if src.first_period and src.last_period:
        if quarterly:
            lo, hi = pd.Period(src.first_period, "Q"), pd.Period(src.last_period, "Q")
        else:
            lo, hi = int(src.first_period[:4]), int(src.last_period[:4])
        out = (values < lo) | (values > hi)
        if out.any():
            raise DataError(path, f"period {values[out].iloc[0]} in column {column!r} "
                            f"({_line(values, out, unit)}) is outside the coverage {src.first_period}.."
                            f"{src.last_period} declared for source {source_id!r} in "
                            "data/sources.toml",
                            "correct the value; if the producer published a new vintage on "
                            "purpose, update first_period/last_period and sha256 of the source")


def complete(df: pd.DataFrame, expected: dict[str, Iterable], path: Path, what: str) -> None:
    """Every combination of the expected values must be present (a national file is whole).

    A missing region or zone would silently drop out of every national sum.
    """
    cols = list(expected)
    full = pd.MultiIndex.from_product([sorted(set(v)) for v in expected.values()], names=cols)
    have = pd.MultiIndex.from_frame(df[cols].drop_duplicates().astype(
        {c: "object" for c in cols if not isinstance(df[c].dtype, pd.PeriodDtype)}))
    missing = full.difference(have)
    if len(missing):
        first = dict(zip(cols, (str(x) for x in missing[0]), strict=True))
        raise DataError(path, f"incomplete coverage: {len(missing)} {what} combination(s) of "
                        f"{cols} are absent, e.g. {first}",
                        "the file must cover every unit of the reference list: " + REFETCH)


def nonempty(df: pd.DataFrame, path: Path) -> None:
    """A header with no data rows is as good as an empty file."""
    if df.empty:
        raise DataError(path, "the file has a header but no data rows",
                        "delete it and " + REFETCH)

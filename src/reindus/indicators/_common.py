"""Small helpers shared by the indicator modules (input checks, key handling)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from reindus.errors import require_columns  # noqa: F401  (the indicators' import point)


def as_keys(by: str | Iterable[str] | None) -> list[str]:
    """Normalise a grouping argument (``None``, a column name or names) to a list."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def require_unique(frame: pd.DataFrame, keys: Sequence[str], what: str) -> None:
    """Raise when ``keys`` do not identify the rows of ``frame`` (double counting)."""
    if keys and frame.duplicated(list(keys)).any():
        dup = frame.loc[frame.duplicated(list(keys), keep=False), list(keys)].head(3)
        raise ValueError(f"{what} has duplicated rows for keys {list(keys)}, e.g. "
                         f"{dup.to_dict('records')}")


def require_finite_nonnegative(values: pd.Series, what: str) -> None:
    """Employment counts must be known and non-negative."""
    if values.isna().any():
        raise ValueError(f"{what} has missing values; drop or impute them first")
    if (values < 0).any():
        raise ValueError(f"{what} has negative values")


def attach_labels(result: pd.DataFrame, source: pd.DataFrame,
                  pairs: Sequence[tuple[str, str]] = (("region_code", "region"),
                                                      ("sector_code", "sector"))) -> pd.DataFrame:
    """Re-attach label columns (e.g. ``region`` for ``region_code``) after a group-by.

    A label is added right after its code when the code is in ``result`` and both code
    and label are in ``source``; labels never take part in the grouping itself, so a
    spelling variant of a label cannot split a group.
    """
    for code, label in pairs:
        if code in result.columns and label not in result.columns and {code, label} <= set(
                source.columns):
            labels = source[[code, label]].drop_duplicates(code)
            result = result.merge(labels, on=code, how="left")
            cols = list(result.columns)
            cols.remove(label)
            cols.insert(cols.index(code) + 1, label)
            result = result[cols]
    return result


def periods_per_year(time: pd.Series) -> int:
    """Number of periods in a year for a Period series (Q -> 4, M -> 12, Y -> 1); 1 for ints."""
    if isinstance(time.dtype, pd.PeriodDtype):
        code = str(time.dtype)[len("period["):][0].upper()  # 'period[Q-DEC]' -> 'Q'
        mapping = {"Q": 4, "M": 12, "Y": 1, "A": 1}
        if code not in mapping:
            raise ValueError(f"unsupported period frequency {time.dtype}; use quarters, months "
                             "or years")
        return mapping[code]
    if pd.api.types.is_integer_dtype(time):
        return 1
    raise TypeError(f"time column must hold pandas Periods or integer years, got {time.dtype}")


def coerce_time(value: object, time: pd.Series) -> object:
    """Turn ``value`` ('2019Q4', a Period, 2019) into the type of the ``time`` column.

    For a quarterly column a year (``2019`` or ``'2019'``) is not accepted here: the
    callers that allow a whole year as a base handle it themselves.
    """
    if isinstance(time.dtype, pd.PeriodDtype):
        try:
            period = value if isinstance(value, pd.Period) else pd.Period(str(value))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"cannot read {value!r} as a period of {time.dtype}") from exc
        if pd.PeriodDtype(period.freq) != time.dtype:
            # '2019' against quarters would silently become 2019Q1: refuse instead.
            raise ValueError(f"{value!r} is a period of frequency {period.freqstr}, the data are "
                             f"{time.dtype}; pass e.g. '2019Q4'")
        return period
    if pd.api.types.is_integer_dtype(time):
        return int(value)  # type: ignore[call-overload]
    return value

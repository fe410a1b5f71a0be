"""The registry of processed tables, filled by :func:`processed_table` on each loader."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa


@dataclass(frozen=True)
class Table:
    """One processed table: its name, its loader, its sources and its schema (if any)."""

    name: str
    load: Callable[[Path], pd.DataFrame]
    sources: tuple[str, ...]
    schema: pa.DataFrameSchema | None = None


#: processed table name -> :class:`Table`, filled by :func:`processed_table` when the loader
#: modules are imported (at the end of this file).
TABLES: dict[str, Table] = {}


def processed_table(name: str, *, sources: tuple[str, ...], schema: pa.DataFrameSchema | None = None
                    ) -> Callable[[Callable[[Path], pd.DataFrame]], Callable[[Path], pd.DataFrame]]:
    """Declare the loader of processed table ``name`` (built from ``sources``; ``schema``
    checked by ``reindus check``). The function takes the raw directory."""
    def register(func: Callable[[Path], pd.DataFrame]) -> Callable[[Path], pd.DataFrame]:
        if name in TABLES:
            raise ValueError(f"processed table {name!r} is declared twice "
                             f"({TABLES[name].load.__module__} and {func.__module__})")
        TABLES[name] = Table(name, func, tuple(sources), schema)
        return func
    return register


def loader(name: str) -> Callable[[Path], pd.DataFrame]:
    """The loader function of a processed table."""
    return TABLES[name].load


def tables_by_source() -> dict[str, tuple[str, ...]]:
    """Source id -> the processed tables built from it, in declaration order.

    Derived from :data:`TABLES`, the one declaration of which table reads which sources
    (``data/sources.toml`` does not repeat it). A registered source absent from the
    result feeds no table and must say why in its ``not_built`` field.
    """
    out: dict[str, tuple[str, ...]] = {}
    for table in TABLES.values():
        for source_id in table.sources:
            out[source_id] = (*out.get(source_id, ()), table.name)
    return out

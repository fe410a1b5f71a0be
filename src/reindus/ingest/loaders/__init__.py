"""Loaders: one raw source file (or a few) -> one tidy, typed, validated table.

Each processed table is declared once, by the decorator :func:`processed_table` on the
function that builds it: its name, the registered source ids (``data/sources.toml``) it is
built from, and, where it has one, its column schema (:mod:`reindus.ingest.schemas`).
:data:`TABLES` is that registry; ``reindus build`` runs every loader in it and writes
``data/processed/<name>.parquet``, ``reindus check`` validates each table against its schema.
"""

from __future__ import annotations

# Importing the loader modules registers their tables (through @processed_table) in TABLES.
from reindus.ingest.loaders import anct, geography, insee, reference, urssaf
from reindus.ingest.loaders._registry import (
    TABLES,
    Table,
    loader,
    processed_table,
    tables_by_source,
)

__all__ = ["TABLES", "Table", "loader", "processed_table", "tables_by_source", "anct",
           "geography", "insee", "reference", "urssaf"]

"""Scale path: the same aggregations through DuckDB, for files that outgrow memory.

The processed tables are plain Parquet files, readable by any Parquet engine.
Quarterly columns are stored as pandas periods, i.e. an int64 count of
quarters since 1970Q1; :func:`connect` exposes each table as a DuckDB view
that turns them back into ``'2022Q4'`` labels.

The Urssaf commune x APE file (about 1.5 million rows nationally, one column
pair per year) is the usual reason to move to DuckDB. :func:`commune_ape_view`
reads it in its official layout (``;``-separated, UTF-8 with BOM, French
headers, wide years) and unpivots it lazily; :func:`aggregate_commune_ape`
sums establishments and employees by any geography x sector x year, without
loading the file into pandas. See ``docs/scale.md`` for the recipe.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError

#: Official header -> our column name, for the identifying columns of the commune x APE file.
COMMUNE_APE_KEYS: dict[str, str] = {
    "Code région": "region_code",
    "Code département": "departement_code",
    "Code zone d'emploi": "zone_code",
    "Code EPCI": "epci_code",
    "Code commune": "commune_code",
    "Grand secteur d'activité": "grand_secteur",
    "Secteur NA17": "na17",
    "Secteur NA38": "na38",
    "Secteur NA88": "na88",
    "Code APE": "ape_code",
}


def _quarter_sql(col: str) -> str:
    # pandas Period[Q] ordinal: quarters since 1970Q1.
    return (f"printf('%dQ%d', 1970 + CAST(floor({col} / 4) AS BIGINT), "
            f"CAST({col} % 4 AS BIGINT) + 1) AS {col}")


def _is_quarter(field) -> bool:
    """Whether a Parquet field holds pandas quarterly periods.

    Before pandas registers its Arrow extension types the field is plain int64
    with the extension recorded in its metadata; after (any pandas Parquet read
    in the same process) it comes back as the extension type itself.
    """
    ext = getattr(field.type, "extension_name", None)
    if ext is not None:
        return ext == "pandas.period" and str(getattr(field.type, "freq", "")).startswith("Q")
    meta = field.metadata or {}
    return (meta.get(b"ARROW:extension:name") == b"pandas.period"
            and b"Q-" in meta.get(b"ARROW:extension:metadata", b""))


def connect(processed_dir: Path | None = None):
    """A DuckDB connection with one view per processed (non-geographic) table."""
    import duckdb
    import pyarrow.parquet as pq

    processed_dir = processed_dir or config.processed_dir()
    con = duckdb.connect()
    for path in sorted(processed_dir.glob("*.parquet")):
        if path.stem.startswith("contours_"):
            continue
        schema = pq.read_schema(path)
        cols = []
        for field in schema:
            if _is_quarter(field):
                cols.append(_quarter_sql(f'"{field.name}"'))
            else:
                cols.append(f'"{field.name}"')
        con.execute(f"CREATE VIEW {path.stem} AS SELECT {', '.join(cols)} "
                    f"FROM read_parquet('{path.as_posix()}')")
    return con


def commune_ape_view(con, path: str | Path, name: str = "commune_ape") -> None:
    """Create a long view ``name`` of an official commune x APE file.

    Columns: the keys of :data:`COMMUNE_APE_KEYS`, year, establishments,
    employees. Blank cells (no establishment that year) are dropped, not
    counted as zero.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(path, "file not found", "download the commune x APE file from open.urssaf.fr")
    header = path.open(encoding="utf-8-sig").readline().rstrip("\r\n").split(";")
    missing = [k for k in COMMUNE_APE_KEYS if k not in header]
    if missing:
        raise DataError(path, f"not the official commune x APE layout: missing {missing}",
                        "export the dataset as CSV with ';' separators and French headers")
    keys = ", ".join(f'"{k}" AS {v}' for k, v in COMMUNE_APE_KEYS.items())
    con.execute(f"""
        CREATE OR REPLACE VIEW {name} AS
        WITH raw AS (
            SELECT * FROM read_csv('{path.as_posix()}', delim=';', header=true, all_varchar=true,
                                   nullstr='', quote='"')
        ), long AS (
            UNPIVOT raw ON COLUMNS('^(Nombre d''établissements|Effectifs salariés) [0-9]{{4}}$')
            INTO NAME measure VALUE value
        )
        SELECT {keys}, CAST(right(measure, 4) AS INTEGER) AS year,
               SUM(CASE WHEN measure LIKE 'Nombre%' THEN CAST(value AS BIGINT) END) AS establishments,
               SUM(CASE WHEN measure LIKE 'Effectifs%' THEN CAST(value AS BIGINT) END) AS employees
        FROM long
        GROUP BY ALL
    """)


def aggregate_commune_ape(path: str | Path, by: Sequence[str] = ("epci_code", "na38"),
                          years: Sequence[int] | None = None) -> pd.DataFrame:
    """Sum establishments and employees of a commune x APE file by ``by`` x year.

    ``by`` takes names from :data:`COMMUNE_APE_KEYS` values. Runs in DuckDB;
    only the aggregated result is brought into pandas.
    """
    import duckdb

    unknown = [b for b in by if b not in COMMUNE_APE_KEYS.values()]
    if unknown:
        raise ValueError(f"unknown grouping column(s) {unknown}; "
                         f"choose from {list(COMMUNE_APE_KEYS.values())}")
    con = duckdb.connect()
    commune_ape_view(con, path)
    where = f"WHERE year IN ({', '.join(str(int(y)) for y in years)})" if years else ""
    groups = ", ".join([*by, "year"])
    return con.execute(
        f"SELECT {groups}, SUM(establishments) AS establishments, SUM(employees) AS employees "
        f"FROM commune_ape {where} GROUP BY {groups} ORDER BY {groups}").df()

"""pandera schemas of the processed tables, and a helper that turns a schema
failure into a :class:`~reindus.errors.DataError` naming the raw file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

from reindus.config import OVERSEAS_REGIONS
from reindus.errors import DataError

#: Codes of the 13 metropolitan regions of 2016 (COG).
METROPOLITAN_REGION_CODES: tuple[str, ...] = ("11", "24", "27", "28", "32", "44", "52", "53",
                                              "75", "76", "84", "93", "94")
#: Codes of the 18 regions of 2016 (COG): the overseas ones, defined once in
#: :data:`reindus.config.OVERSEAS_REGIONS`, then the metropolitan ones. Mayotte (06) has no
#: Urssaf regional series.
REGION_CODES: tuple[str, ...] = (*OVERSEAS_REGIONS, *METROPOLITAN_REGION_CODES)

#: NA28i sector codes of the Urssaf regional series, in publication order.
NA28I_CODES: tuple[str, ...] = (
    "BZ", "CA", "CB", "CC", "CD-CE-CF", "CG", "CH", "CI-CJ", "CK-CL", "CM", "DZ-EZ", "FZ", "GZ",
    "HZ", "IZ", "JA-JB-JC", "KZ", "LZ", "MA", "MB-MC", "NZa", "NZb", "OZ", "PZ", "QA", "QB", "RZ",
    "SZ",
)
#: Industry = BZ..DZ-EZ (extractive, manufacturing, energy and water); temporary work apart.
INDUSTRY_CODES: tuple[str, ...] = NA28I_CODES[:11]
SECTOR_GROUPS: tuple[str, ...] = ("industry", "construction", "market services", "non-market",
                                  "temporary work")
PROCEDURES: tuple[str, ...] = ("redressement", "liquidation", "sauvegarde")
CALAGE_CODE = "99"


def _col(dtype, *checks, nullable=False, unique=False) -> pa.Column:
    return pa.Column(dtype, list(checks), nullable=nullable, unique=unique)


REGIONAL_EMPLOYMENT = pa.DataFrameSchema(
    {
        "region_code": _col(str, pa.Check.isin(REGION_CODES)),
        "region": _col(str),
        "sector_code": _col(str, pa.Check.isin(NA28I_CODES)),
        "sector": _col(str),
        "quarter": _col("period[Q-DEC]"),
        "employment": _col("int64", pa.Check.ge(0)),
        "payroll": _col("float64", pa.Check.ge(0)),
    },
    unique=["region_code", "sector_code", "quarter"],
    strict=True,
    ordered=True,
)

SECTORS = pa.DataFrameSchema(
    {
        "sector_code": _col(str, pa.Check.isin(NA28I_CODES), unique=True),
        "sector": _col(str),
        "group": _col(str, pa.Check.isin(SECTOR_GROUPS)),
        "position": _col("int64"),
    },
    strict=True,
)

INSOLVENCIES = pa.DataFrameSchema(
    {
        "region_code": _col(str, pa.Check.isin((*REGION_CODES, CALAGE_CODE))),
        "region": _col(str),
        "quarter": _col("period[Q-DEC]"),
        "procedure": _col(str, pa.Check.isin(PROCEDURES)),
        # The national calage row is negative by construction; regions are counts.
        "count": _col("Int64", nullable=True),
    },
    checks=[pa.Check(lambda d: (d["count"][d["region_code"] != CALAGE_CODE].dropna() >= 0).all(),
                     error="negative count outside the _calage_ row")],
    unique=["region_code", "quarter", "procedure"],
    strict=True,
)

ZONE_EMPLOYMENT = pa.DataFrameSchema(
    {
        "zone_code": _col(str, pa.Check.str_matches(r"^\d{4}$")),
        "region_code": _col(str, pa.Check.isin(REGION_CODES)),
        "region_assignment": _col(str),
        "sector_code": _col(str),
        "sector": _col(str),
        "a21": _col(str),
        "a5": _col(str, pa.Check.isin(("BE", "FZ", "GU", "OQ"))),
        "year": _col("int64", pa.Check.isin((2019, 2022, 2023, 2024))),
        "employment": _col("float64", pa.Check.ge(0), nullable=True),
    },
    unique=["zone_code", "sector_code", "year"],
    strict=True,
)

AREA_EMPLOYMENT = pa.DataFrameSchema(
    {
        "level": _col(str),
        "code": _col(str),
        "year": _col("int64", pa.Check.in_range(2014, 2024)),
        "employment": _col("int64", pa.Check.ge(0)),
    },
    unique=["level", "code", "year"],
    strict=True,
)

DEPARTEMENT_SNAPSHOT = pa.DataFrameSchema(
    {
        "departement_code": _col(str),
        "departement": _col(str),
        "region_code": _col(str, pa.Check.isin(REGION_CODES)),
        "sector_group_code": _col(str),
        "sector_group": _col(str),
        "quarter": _col("period[Q-DEC]"),
        "employment": _col("int64", pa.Check.ge(0)),
        "employment_yoy_pct": _col("float64", nullable=True),
        "payroll": _col("float64", pa.Check.ge(0)),
        "payroll_yoy_pct": _col("float64", nullable=True),
    },
    unique=["departement_code", "sector_group_code"],
    strict=True,
)

ZONE_QUARTERLY = pa.DataFrameSchema(
    {
        "zone_code": _col(str, pa.Check.str_matches(r"^\d{4}$")),
        "quarter": _col("period[Q-DEC]"),
        "employment_raw": _col("int64", pa.Check.ge(0)),
        "employment": _col("int64", pa.Check.ge(0)),
        "payroll": _col("float64", pa.Check.ge(0)),
        "n_parts": _col("int64", pa.Check.in_range(1, 3)),
    },
    unique=["zone_code", "quarter"],
    strict=True,
)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, path: str | Path) -> pd.DataFrame:
    """Validate ``df`` and raise :class:`DataError` naming ``path`` on failure."""
    try:
        return schema.validate(df, lazy=True)
    except (SchemaErrors, SchemaError) as exc:
        cases = getattr(exc, "failure_cases", None)
        if cases is not None and len(cases):
            summary = "; ".join(
                f"{r.get('column') or 'table'}: {r.get('check')} failed for {r.get('failure_case')!r}"
                for r in cases.head(5).to_dict("records"))
        else:
            summary = str(exc).splitlines()[0]
        raise DataError(path, f"validation failed ({summary})",
                        "the file does not hold what the loader expects: fetch the official file "
                        "again (`reindus fetch --force`), or update the loader if the producer "
                        "changed its format") from None

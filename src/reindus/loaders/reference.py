"""Loaders of the project's own reference tables (``data/reference/``).

Transcribed from press sources, with the source of every row. Dates are kept
as published (``2024-06`` when only the month is known) next to a parsed date
and a ``date_status`` saying how sure the date is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus import config, schemas
from reindus.errors import DataError
from reindus.io import read_delimited
from reindus.loaders import _checks as ck

DATE_STATUSES = ("confirmed", "announced_not_confirmed", "year_inferred")


def parse_partial_date(value: str, path: Path, column: str) -> pd.Timestamp:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY`` -> the first day it can denote."""
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return pd.to_datetime(value, format=fmt)
        except (ValueError, TypeError):
            continue
    raise DataError(path, f"unparseable date {value!r} in column {column!r}",
                    "write dates as YYYY-MM-DD, YYYY-MM or YYYY")


def treatment_quarter(signed: pd.Timestamp) -> pd.Period:
    """First full quarter after a signature date.

    A signature on the first day of a quarter makes that quarter the first full
    one; otherwise it is the next quarter. For a month-only date (stored as the
    first of the month) the whole month may be the signing month, so the next
    quarter is used unless the month opens a quarter and is known to the day.
    """
    q = signed.to_period("Q")
    return q if signed == q.start_time else q + 1


def load_accords(raw_dir: Path | None = None, path: Path | None = None) -> pd.DataFrame:
    """Région - Intercommunalités de France accords, with their treatment quarter."""
    path = path or config.REFERENCE_DIR / "accords.csv"
    cols = ["accord_id", "region_code", "region", "signed_on", "date_status", "place",
            "commune_code", "epci_code", "signatories", "source"]
    raw = read_delimited(path, sep=",", required=cols, dtype="str")
    ck.nonempty(raw, path)
    ck.unique_keys(raw, ["accord_id"], path)
    ck.known_codes(raw["region_code"], schemas.REGION_CODES, path, "region_code", "region")
    ck.known_codes(raw["date_status"], DATE_STATUSES, path, "date_status", "date status")
    if raw["source"].isna().any():
        raise DataError(path, "a row has no source", "give every row its source")
    signed = [parse_partial_date(v, path, "signed_on") for v in raw["signed_on"]]
    day_known = raw["signed_on"].str.len() == 10
    out = raw[cols].copy()
    out.insert(4, "signed_date", pd.to_datetime(signed).astype("datetime64[ns]"))
    out.insert(6, "treatment_quarter", [
        treatment_quarter(d) if known else d.to_period("Q") + 1
        for d, known in zip(signed, day_known, strict=True)])
    out["treatment_quarter"] = out["treatment_quarter"].astype("period[Q-DEC]")
    return out.sort_values("signed_date").reset_index(drop=True)


def load_industrial_events(raw_dir: Path | None = None, path: Path | None = None) -> pd.DataFrame:
    """Major industrial closures and openings, with announced job counts and sources."""
    path = path or config.REFERENCE_DIR / "industrial-events.csv"
    cols = ["event_id", "kind", "company", "commune", "commune_code", "epci_code", "region_code",
            "announced_on", "effective_on", "jobs", "jobs_note", "source"]
    raw = read_delimited(path, sep=",", required=cols, dtype="str")
    ck.nonempty(raw, path)
    ck.unique_keys(raw, ["event_id"], path)
    ck.known_codes(raw["region_code"], schemas.REGION_CODES, path, "region_code", "region")
    ck.known_codes(raw["kind"], ("closure", "downsizing", "opening"), path, "kind", "event kind")
    for col in ("announced_on", "effective_on"):
        for v in raw[col].dropna():
            parse_partial_date(v, path, col)
    out = raw[cols].copy()
    out["jobs"] = ck.to_int(raw["jobs"], path, "jobs", nullable=True)
    ck.non_negative(out["jobs"], path, "jobs")
    out["effective_year"] = [parse_partial_date(v, path, "effective_on").year
                             for v in raw["effective_on"]]
    out["effective_year"] = out["effective_year"].astype("int64")
    return out.reset_index(drop=True)

"""Loaders of the project's own reference tables (``data/reference/``).

Transcribed from press sources, with the source of every row. Dates are kept
as published (``2024-06`` when only the month is known) next to a parsed date
and a ``date_status`` saying how sure the date is.

There is one copy of each table: the committed ``data/reference/<name>.csv``
(``$REINDUS_REFERENCE`` redirects it). The build verifies that very file
against its sha256 in ``data/sources.toml`` and these loaders read it, so an
edit can neither be ignored nor slip in unregistered.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.ingest import schemas
from reindus.ingest.io import read_delimited
from reindus.ingest.loaders import _checks as ck
from reindus.ingest.loaders import _reference as ref
from reindus.ingest.loaders._registry import processed_table

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


def _check_places(raw: pd.DataFrame, raw_dir: Path | None, path: Path) -> None:
    """Region, commune and EPCI codes must exist in the COG and agree with each other."""
    raw_dir = raw_dir or config.raw_dir()
    ref.check(raw["region_code"], raw_dir, "region", path, "region_code")
    ref.check(raw["commune_code"], raw_dir, "commune", path, "commune_code")
    ref.check(raw["epci_code"], raw_dir, "epci", path, "epci_code")
    region_of = pd.Series(ref.commune_regions(raw_dir), dtype="object")
    has = raw["commune_code"].notna() & raw["commune_code"].isin(region_of.index)
    wrong = has & (raw["commune_code"].map(region_of) != raw["region_code"])
    if wrong.any():
        r = raw[wrong].iloc[0]
        raise DataError(path, f"commune {r['commune_code']} lies in region "
                        f"{region_of[r['commune_code']]}, not {r['region_code']} (line "
                        f"{int(raw.index[wrong][0]) + 2})", "correct the region or commune code")


def _not_future(dates: pd.Series, raw: pd.DataFrame, path: Path, column: str,
                today: pd.Timestamp | None = None) -> None:
    """A signature or announcement cannot lie after today."""
    today = today or pd.Timestamp.today().normalize()
    future = dates > today
    if future.any():
        i = int(future.to_numpy().argmax())
        raise DataError(path, f"date {raw[column].iloc[i]!r} in column {column!r} (line {i + 2}) "
                        f"is in the future (today is {today.date()}): an event that has not "
                        "happened cannot date a treatment", "correct the date, or remove the row "
                        "until it has happened")


@processed_table("accords", sources=("reference_accords",))
def load_accords(raw_dir: Path | None = None, path: Path | None = None) -> pd.DataFrame:
    """Région - Intercommunalités de France accords, with their treatment quarter.

    Checks: one row per accord and per region, codes in the COG (region,
    commune, EPCI) and consistent, a source on every row, signature dates
    parseable and not in the future.
    """
    path = path or config.reference_dir() / "accords.csv"
    cols = ["accord_id", "region_code", "region", "signed_on", "date_status", "place",
            "commune_code", "epci_code", "signatories", "source"]
    raw = read_delimited(path, sep=",", required=cols, dtype="str")
    ck.nonempty(raw, path)
    ck.unique_keys(raw, ["accord_id"], path)
    # Two accords for one region would give it two treatment dates.
    ck.unique_keys(raw, ["region_code"], path)
    ck.known_codes(raw["region_code"], schemas.REGION_CODES, path, "region_code", "region")
    ck.known_codes(raw["date_status"], DATE_STATUSES, path, "date_status", "date status")
    if raw["source"].isna().any():
        raise DataError(path, f"the row at line {int(raw['source'].isna().to_numpy().argmax()) + 2} "
                        "has no source", "give every row its source")
    if raw["signed_on"].isna().any():
        raise DataError(path, f"missing signed_on (line "
                        f"{int(raw['signed_on'].isna().to_numpy().argmax()) + 2})",
                        "write the date as YYYY-MM-DD, YYYY-MM or YYYY")
    signed = [parse_partial_date(v, path, "signed_on") for v in raw["signed_on"]]
    _not_future(pd.Series(signed), raw, path, "signed_on")
    # Checks within the file first, then against the COG files (which need `reindus fetch`).
    _check_places(raw, raw_dir, path)
    day_known = raw["signed_on"].str.len() == 10
    out = raw[cols].copy()
    out.insert(4, "signed_date", pd.to_datetime(signed).astype("datetime64[ns]"))
    out.insert(6, "treatment_quarter", [
        treatment_quarter(d) if known else d.to_period("Q") + 1
        for d, known in zip(signed, day_known, strict=True)])
    out["treatment_quarter"] = out["treatment_quarter"].astype("period[Q-DEC]")
    return out.sort_values("signed_date").reset_index(drop=True)


@processed_table("industrial_events", sources=("reference_industrial_events",))
def load_industrial_events(raw_dir: Path | None = None, path: Path | None = None) -> pd.DataFrame:
    """Major industrial closures and openings, with announced job counts and sources.

    Announcements cannot lie in the future; effective dates can (a planned opening).
    """
    path = path or config.reference_dir() / "industrial-events.csv"
    cols = ["event_id", "kind", "company", "commune", "commune_code", "epci_code", "region_code",
            "announced_on", "effective_on", "jobs", "jobs_note", "source"]
    raw = read_delimited(path, sep=",", required=cols, dtype="str")
    ck.nonempty(raw, path)
    ck.unique_keys(raw, ["event_id"], path)
    ck.known_codes(raw["region_code"], schemas.REGION_CODES, path, "region_code", "region")
    ck.known_codes(raw["kind"], ("closure", "downsizing", "opening"), path, "kind", "event kind")
    if raw["source"].isna().any():
        raise DataError(path, f"the row at line {int(raw['source'].isna().to_numpy().argmax()) + 2} "
                        "has no source", "give every row its source")
    _check_places(raw, raw_dir, path)
    for col in ("announced_on", "effective_on"):
        if raw[col].isna().any():
            raise DataError(path, f"missing {col} (line {int(raw[col].isna().to_numpy().argmax()) + 2})",
                            "write the date as YYYY-MM-DD, YYYY-MM or YYYY")
        for v in raw[col]:
            parse_partial_date(v, path, col)
    _not_future(pd.Series([parse_partial_date(v, path, "announced_on")
                           for v in raw["announced_on"]]), raw, path, "announced_on")
    out = raw[cols].copy()
    out["jobs"] = ck.to_int(raw["jobs"], path, "jobs", nullable=True)
    ck.non_negative(out["jobs"], path, "jobs")
    out["effective_year"] = [parse_partial_date(v, path, "effective_on").year
                             for v in raw["effective_on"]]
    out["effective_year"] = out["effective_year"].astype("int64")
    return out.reset_index(drop=True)

"""Loaders of the Insee series (national checks) and the census-based EPCI indicators."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus.errors import DataError
from reindus.ingest.io import read_delimited, read_json_checked
from reindus.ingest.loaders import _checks as ck
from reindus.ingest.loaders import _reference as ref
from reindus.ingest.loaders._registry import processed_table
from reindus.ingest.sources import get


def _records(path: Path, required: list[str]) -> pd.DataFrame:
    obj = read_json_checked(path)
    if not isinstance(obj, list) or not obj:
        raise DataError(path, "expected a non-empty JSON array of records", ck.REFETCH)
    for i, rec in enumerate(obj):
        if not isinstance(rec, dict):
            raise DataError(path, f"record {i} is not a JSON object", ck.REFETCH)
        missing = [c for c in required if c not in rec]
        if missing:
            raise DataError(path, f"record {i} lacks the field(s) {missing}", ck.REFETCH)
    return pd.DataFrame(obj)


@processed_table("national_checks", sources=("insee_creations_entreprises", "insee_defaillances_entreprises", "insee_emploi_france_a5"))
def load_national_checks(raw_dir: Path) -> pd.DataFrame:
    """National Insee series used as external checks, stacked in one tidy table.

    Columns: dataset, series, year, value, unit. Business creations and failures
    are annual sums of monthly raw series, in thousands; employment by A5 is in
    persons (salaried and non-salaried, public and private).
    """
    parts = []
    for sid, dataset in (("insee_creations_entreprises", "business_creations"),
                         ("insee_defaillances_entreprises", "business_failures")):
        path = raw_dir / get(sid).file
        raw = read_delimited(path, sep=",", required=["period", "series", "value"], dtype="str")
        ck.nonempty(raw, path)
        part = pd.DataFrame({
            "dataset": dataset, "series": raw["series"],
            "year": ck.to_int(raw["period"], path, "period"),
            "value": ck.to_number(raw["value"], path, "value") * 1000.0,
            "unit": "enterprises per year",
        })
        ck.non_negative(part["value"], path, "value")
        ck.unique_keys(part, ["series", "year"], path)
        ck.within_coverage(part["year"], sid, path, "period")
        parts.append(part)
    path = raw_dir / get("insee_emploi_france_a5").file
    a5 = _records(path, ["year", "na5", "eff"])
    part = pd.DataFrame({
        "dataset": "employment_a5", "series": a5["na5"].astype(str),
        "year": ck.to_int(a5["year"], path, "year", unit="record"),
        "value": ck.to_number(a5["eff"], path, "eff", unit="record"),
        "unit": "persons (total employment)",
    })
    ck.non_negative(part["value"], path, "eff", unit="record")
    ck.unique_keys(part, ["series", "year"], path, unit="record")
    ck.within_coverage(part["year"], "insee_emploi_france_a5", path, "year", unit="record")
    parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["dataset", "series", "year"]).reset_index(drop=True)


@processed_table("epci_indicators", sources=("insee_epci_indicateurs",))
def load_epci_indicators(raw_dir: Path) -> pd.DataFrame:
    """Census- and Urssaf-based EPCI indicators computed by a third party.

    Kept as published (percentages and annual growth rates in %), with the code
    renamed ``epci_code`` and a ``provenance`` column saying the values are
    third-party derived. The France row ``00FR`` is dropped; Paris EPT rows are kept.
    """
    path = raw_dir / get("insee_epci_indicateurs").file
    df = _records(path, ["code", "libelle", "type_epci", "P22_POP", "eco_sectindus_pct_22"])
    ck.unique_keys(df, ["code"], path, unit="record")
    df = df[df["code"] != "00FR"]
    # Paris and its établissements publics territoriaux (EPT) stand in for the Métropole du
    # Grand Paris: they are not EPCI of the COG but are in the written list of its parts.
    ref.check(df["code"], raw_dir, "epci", path, "code", extra=ref.GRAND_PARIS_PARTS,
              unit="record")
    df = df.rename(columns={"code": "epci_code", "libelle": "epci"})
    df.insert(2, "provenance", "third-party derived (ptod-observatoire-territorial, from Insee "
              "census and Urssaf)")
    return df.sort_values("epci_code").reset_index(drop=True)

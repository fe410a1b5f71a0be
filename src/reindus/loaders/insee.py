"""Loaders of the Insee series (national checks) and the census-based EPCI indicators."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus.errors import DataError
from reindus.io import read_delimited, read_json_checked
from reindus.loaders import _checks as ck
from reindus.sources import get


def _records(path: Path, required: list[str]) -> pd.DataFrame:
    obj = read_json_checked(path)
    if not isinstance(obj, list) or not obj:
        raise DataError(path, "expected a non-empty JSON array of records", ck.REFETCH)
    df = pd.DataFrame(obj)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(path, f"missing field(s) {missing} in the records", ck.REFETCH)
    return df


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
        parts.append(pd.DataFrame({
            "dataset": dataset, "series": raw["series"],
            "year": ck.to_int(raw["period"], path, "period"),
            "value": pd.to_numeric(raw["value"]).astype("float64") * 1000.0,
            "unit": "enterprises per year",
        }))
    path = raw_dir / get("insee_emploi_france_a5").file
    a5 = _records(path, ["year", "na5", "eff"])
    parts.append(pd.DataFrame({
        "dataset": "employment_a5", "series": a5["na5"].astype(str),
        "year": a5["year"].astype("int64"), "value": a5["eff"].astype("float64"),
        "unit": "persons (total employment)",
    }))
    out = pd.concat(parts, ignore_index=True)
    ck.unique_keys(out, ["dataset", "series", "year"], path)
    return out.sort_values(["dataset", "series", "year"]).reset_index(drop=True)


def load_epci_indicators(raw_dir: Path) -> pd.DataFrame:
    """Census- and Urssaf-based EPCI indicators computed by a third party.

    Kept as published (percentages and annual growth rates in %), with the code
    renamed ``epci_code`` and a ``provenance`` column saying the values are
    third-party derived. The France row ``00FR`` is dropped; Paris EPT rows are kept.
    """
    path = raw_dir / get("insee_epci_indicateurs").file
    df = _records(path, ["code", "libelle", "type_epci", "P22_POP", "eco_sectindus_pct_22"])
    ck.unique_keys(df, ["code"], path)
    df = df[df["code"] != "00FR"].rename(columns={"code": "epci_code", "libelle": "epci"})
    df.insert(2, "provenance", "third-party derived (ptod-observatoire-territorial, from Insee "
              "census and Urssaf)")
    return df.sort_values("epci_code").reset_index(drop=True)

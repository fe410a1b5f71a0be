"""The DuckDB scale path: processed tables as plain Parquet, and the commune x APE recipe."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from reindus.errors import DataError
from reindus.ingest import scale
from reindus.ingest.sources import load_registry

KEYS = ["Région", "Ancienne région", "Département", "Zone d'emploi", "EPCI", "Nom commune",
        "Commune", "Grand secteur d'activité", "Secteur NA17", "Secteur NA38", "Secteur NA88",
        "APE", "Code région", "Code ancienne région", "Code département", "Code zone d'emploi",
        "Code EPCI", "Code commune", "Code APE"]


def _row(commune: str, epci: str, na38: str, ape: str, values: list[str]) -> str:
    ident = ["Normandie", "Haute-Normandie", "Seine-Maritime", "Rouen", "Métropole", commune,
             commune, "GS1 Industrie", "C5", na38, "x", ape, "28", "23", "76", "2815", epci,
             commune, ape]
    return ";".join(ident + values)


def small_file(tmp_path: Path) -> Path:
    """Three rows in the official layout: BOM, CRLF, blank cells, two years."""
    header = KEYS + ["Nombre d'établissements 2021", "Effectifs salariés 2021",
                     "Nombre d'établissements 2022", "Effectifs salariés 2022"]
    rows = [_row("76005", "200023414", "CH Métallurgie", "2511Z", ["2", "30", "2", "35"]),
            _row("76008", "200023414", "CH Métallurgie", "2562B", ["1", "10", "", ""]),
            _row("76008", "200023414", "FZ Construction", "4399A", ["", "", "3", "12"])]
    path = tmp_path / "commune-ape.csv"
    path.write_bytes(("\ufeff" + "\r\n".join([";".join(header), *rows]) + "\r\n").encode("utf-8"))
    return path


def test_commune_ape_aggregation_by_hand(tmp_path: Path) -> None:
    out = scale.aggregate_commune_ape(small_file(tmp_path), by=["epci_code", "na38"])
    got = {(r.na38, r.year): (r.establishments, r.employees) for r in out.itertuples()}
    assert got == {("CH Métallurgie", 2021): (3, 40), ("CH Métallurgie", 2022): (2, 35),
                   ("FZ Construction", 2022): (3, 12)}  # blank cells are absent, not zero


def test_commune_ape_bad_layout(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(DataError, match="official commune x APE layout"):
        scale.aggregate_commune_ape(path)
    with pytest.raises(ValueError, match="unknown grouping"):
        scale.aggregate_commune_ape(small_file(tmp_path), by=["canton"])


def test_processed_tables_readable_by_duckdb() -> None:
    con = scale.connect()
    total = con.execute("SELECT SUM(employment) FROM regional_employment "
                        "WHERE quarter = '2022Q4'").fetchone()[0]
    assert total == 20_136_277
    n = con.execute("SELECT COUNT(DISTINCT quarter) FROM insolvencies").fetchone()[0]
    assert n == 89


@pytest.mark.mirror
def test_rouen_extract_duckdb_equals_pandas(raw_dir: Path) -> None:
    path = raw_dir / load_registry()["urssaf_commune_ape_rouen"].file
    duck = scale.aggregate_commune_ape(path, by=["epci_code"], years=[2019, 2022])
    raw = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype={"Code EPCI": str})
    for year in (2019, 2022):
        expected = raw.groupby("Code EPCI")[f"Effectifs salariés {year}"].sum(min_count=1).dropna()
        got = duck[duck["year"] == year].set_index("epci_code")["employees"]
        pd.testing.assert_series_equal(got.astype("int64").sort_index(),
                                       expected.astype("int64").sort_index(),
                                       check_names=False, check_index_type=False)


def test_quarters_converted_after_pandas_registered_its_arrow_types() -> None:
    # Reading any table with pandas registers the 'pandas.period' Arrow extension type;
    # the DuckDB views must still turn quarters into labels afterwards (order of tests, notebooks).
    from reindus import data

    data.regional_employment()
    con = scale.connect()
    assert con.execute("SELECT MIN(quarter) FROM regional_employment").fetchone()[0] == "1998Q3"

"""Full resolution (issue 15): the optional commune x APE file -> sector employment by EPCI and zone.

End to end on the real extract of the zone d'emploi de Rouen (official layout) from the mirror,
checked against a direct pandas computation from the same file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reindus import config, data
from reindus.errors import DataError
from reindus.ingest import full_resolution, sources
from reindus.workflow.cli import main

MIRROR = config.mirror_dir() or config.DEFAULT_MIRROR
ROUEN = MIRROR / "urssaf" / "commune-ape-extrait-zone-emploi-rouen.csv"
needs_mirror = pytest.mark.skipif(not ROUEN.exists(), reason="source mirror absent (../shared/data)")
METROPOLE_ROUEN = "200023414"


def _redirect(root: Path, mp: pytest.MonkeyPatch) -> None:
    mp.setenv("REINDUS_RAW", str(root / "raw"))
    mp.setenv("REINDUS_FULL", str(root / "full"))
    mp.setenv("REINDUS_FULL_LOCK", str(root / "full.lock.json"))


@pytest.fixture()
def full_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Redirect raw, full tables and lock file into tmp (never the checkout)."""
    _redirect(tmp_path, monkeypatch)
    return tmp_path


@pytest.fixture(scope="module")
def _rouen_built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Rouen extract fetched (`fetch_full`) and built (`build_sector_employment`) once for
    the tests that only read the built tables; test_rouen_end_to_end does both itself."""
    root = tmp_path_factory.mktemp("rouen-built")
    with pytest.MonkeyPatch.context() as mp:
        _redirect(root, mp)
        sources.fetch(["cog_communes"], mirror=MIRROR)
        full_resolution.fetch_full(ROUEN, progress=False)
        full_resolution.build_sector_employment()
    return root


@pytest.fixture()
def rouen_built(_rouen_built: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment pointing at the Rouen tables built once for this module."""
    _redirect(_rouen_built, monkeypatch)
    return _rouen_built


def _pandas_reference(path: Path) -> pd.DataFrame:
    """Long (commune, na38, year, employees) straight from the official layout, with pandas."""
    raw = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)
    value_cols = [c for c in raw.columns if c.startswith("Effectifs salariés ")]
    long = raw.melt(id_vars=["Code commune", "Code EPCI", "Code zone d'emploi", "Secteur NA38"],
                    value_vars=value_cols, var_name="col", value_name="employees")
    long["year"] = long["col"].str[-4:].astype(int)
    long["employees"] = pd.to_numeric(long["employees"])
    long["sector_code"] = long["Secteur NA38"].str.split(" ").str[0]
    return long


def test_a5_of_na38_defines_industry_once() -> None:
    assert [full_resolution.a5_of_na38(c) for c in ("BZ", "CA", "CI", "CM", "DZ", "EZ")] == ["BE"] * 6
    assert full_resolution.a5_of_na38("FZ") == "FZ"
    assert full_resolution.a5_of_na38("GZ") == "GU"
    assert full_resolution.a5_of_na38("QA") == "OQ"
    assert full_resolution.a5_of_na38("AZ") == "AZ"


def test_sector_employment_absent_names_the_fix(full_env: Path) -> None:
    assert not data.has_sector_employment("epci")
    with pytest.raises(DataError) as err:
        data.sector_employment("epci")
    assert "reindus fetch --full" in str(err.value)
    assert "sector_employment_epci.parquet" in str(err.value)


def test_sector_employment_rejects_unknown_level(full_env: Path) -> None:
    with pytest.raises(ValueError, match="epci"):
        data.sector_employment("region")  # type: ignore[arg-type]


def test_fetch_full_refuses_wrong_layout(full_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = full_env / "bad.csv"
    bad.write_text("a;b\n1;2\n", encoding="utf-8")
    assert main(["fetch", "--full", "--from", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and "not the official commune x APE layout" in err and "Fix:" in err
    assert not (full_env / "raw").exists() or not any((full_env / "raw").iterdir())
    assert not (full_env / "full.lock.json").exists()


def test_from_is_only_for_full(full_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--from", "x.csv"]) == 2
    assert "--full" in capsys.readouterr().err


def test_build_without_lock_names_the_fix(full_env: Path) -> None:
    with pytest.raises(DataError, match="reindus fetch --full"):
        full_resolution.build_sector_employment()


def test_optional_source_is_registered_but_not_fetched_by_default() -> None:
    registry = sources.load_registry()
    src = registry[full_resolution.SOURCE_ID]
    assert src.optional and src.url.startswith("https://open.urssaf.fr/")
    assert src.licence.startswith("ODbL")


@needs_mirror
def test_rouen_end_to_end(full_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sources.fetch(["cog_communes"], mirror=MIRROR)
    assert main(["fetch", "--full", "--from", str(ROUEN)]) == 0
    lock = json.loads((full_env / "full.lock.json").read_text())
    assert lock["vintage"] == 2022 and lock["bytes"] == ROUEN.stat().st_size
    assert lock["sha256"] == "578e94b61c3d594a83e115232b7ed49212b788cb05412d53ba3d86ad63daeb1a"
    assert main(["build", "--full"]) == 0
    epci = data.sector_employment("epci")
    zone = data.sector_employment("zone_emploi")
    ref = _pandas_reference(ROUEN)

    # Zone d'emploi x NA38 x year: equal to pandas, blank-only cells missing (not zero).
    want = (ref.groupby(["Code zone d'emploi", "sector_code", "year"])["employees"]
            .sum(min_count=1).rename("employment").reset_index()
            .rename(columns={"Code zone d'emploi": "code"}))
    got = zone.merge(want, on=["code", "sector_code", "year"], how="outer", suffixes=("", "_ref"),
                     indicator=True)
    assert (got["_merge"] == "both").all()
    pd.testing.assert_series_equal(got["employment"].astype("Float64"), got["employment_ref"].astype("Float64"),
                                   check_names=False)

    # Industrial employment of the Métropole Rouen Normandie (A5 'BE'), every year.
    ind = full_resolution.industry(epci)
    mrn = ind[ind["code"] == METROPOLE_ROUEN].set_index("year")["employment"]
    ref_ind = ref[(ref["Code EPCI"] == METROPOLE_ROUEN)
                  & ref["sector_code"].map(full_resolution.a5_of_na38).eq("BE")]
    want_mrn = ref_ind.groupby("year")["employees"].sum(min_count=1)
    assert len(mrn) == 17
    for year, value in want_mrn.items():
        assert int(mrn[year]) == int(value), year

    # The check against the embedded totals runs on the overlapping years and lists each gap.
    check = full_resolution.check_against_totals(epci[epci["code"] == METROPOLE_ROUEN],
                                                 data.area_employment("epci"))
    assert set(check["year"]) == set(range(2014, 2023))
    assert check["gap"].abs().max() < 0.05


@needs_mirror
def test_blank_cells_stay_missing_and_bad_counts_are_named(full_env: Path) -> None:
    header = ROUEN.open(encoding="utf-8-sig").readline().rstrip("\r\n").split(";")
    n_years = sum(h.startswith("Effectifs salariés ") for h in header)
    keys = ["Normandie", "Haute-Normandie", "Seine-Maritime", "Rouen", "Métropole Rouen Normandie",
            "Rouen", "76540 Rouen", "GS1 Industrie", "C5 Autres", "CM Autres industries", "32 Autres",
            "3299Z Autres", "28", "23", "76", "2815", METROPOLE_ROUEN, "76540", "3299Z"]
    values = [""] * (2 * n_years)
    values[-2:] = ["2", "7"]          # last year: 2 establishments, 7 employees; earlier years blank
    good = full_env / "good.csv"
    good.write_text(";".join(header) + "\n" + ";".join(keys + values) + "\n", encoding="utf-8-sig")
    sources.fetch(["cog_communes"], mirror=MIRROR)
    out = full_resolution.build_sector_employment(good, full_env / "full")
    table = pd.read_parquet(out["epci"])
    assert table["year"].tolist() == [2022], "years with blank cells only must not become zeros"
    assert int(table["employment"].iloc[0]) == 7 and table["a5"].iloc[0] == "BE"

    values[-1] = "n.d."
    bad = full_env / "bad.csv"
    bad.write_text(";".join(header) + "\n" + ";".join(keys + values) + "\n", encoding="utf-8-sig")
    before = sorted(p.name for p in (full_env / "full").iterdir())
    with pytest.raises(DataError) as err:
        full_resolution.build_sector_employment(bad, full_env / "full")
    assert "bad.csv" in str(err.value) and "n.d." in str(err.value) and "Fix:" in str(err.value)
    assert sorted(p.name for p in (full_env / "full").iterdir()) == before
    assert not [p for p in full_env.iterdir() if p.name.startswith(".full-stage")]


def test_industry_outcome_falls_back_to_embedded_totals(full_env: Path) -> None:
    frame, note = data.industry_outcome("epci")
    assert set(frame["outcome"]) == {"total private"}
    assert "reindus fetch --full" in note and "embedded" in note
    pd.testing.assert_frame_equal(frame[["code", "year", "employment"]],
                                  data.area_employment("epci")[["code", "year", "employment"]])


@needs_mirror
def test_industry_outcome_uses_the_full_table_when_built(rouen_built: Path) -> None:
    frame, note = data.industry_outcome("epci")
    assert set(frame["outcome"]) == {"industry"} and "vintage 2022" in note
    assert int(frame.query("code == @METROPOLE_ROUEN and year == 2022")["employment"].iloc[0]) > 0


@needs_mirror
@pytest.mark.slow  # one run of notebook 04
def test_notebook_04_industry_branch_for_rouen(rouen_built: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Notebook 04, run for the Métropole Rouen Normandie on the tables built from the Rouen
    extract, records the EPCI's industrial employment, equal to pandas on the extract; the run goes
    to a scratch reports folder, never to the committed outputs."""
    reports = tmp_path / "reports"
    monkeypatch.setenv("REINDUS_REPORTS", str(reports))
    committed = sorted((config.ROOT / "reports" / "results").glob("04-*.json"))
    before = {p: p.read_bytes() for p in committed}
    assert main(["run", "04", "-p", "epci_code", METROPOLE_ROUEN, "-p", "region", "28"]) == 0
    results = [p for p in reports.rglob("04-intercommunalites.json") if p.parent.name == "results"]
    assert len(results) == 1, results
    recorded = json.loads(results[0].read_text())
    recorded = recorded.get("results", recorded)
    ref = _pandas_reference(ROUEN)
    ref = ref[(ref["Code EPCI"] == METROPOLE_ROUEN)
              & ref["sector_code"].map(full_resolution.a5_of_na38).eq("BE")]
    want = ref.groupby("year")["employees"].sum(min_count=1)
    for year, value in want.items():
        key = next(k for k in recorded if k.endswith(f"case_industry_employment_{year}"))
        assert int(recorded[key]["estimate"]) == int(value), year
    assert {p: p.read_bytes() for p in committed} == before


@needs_mirror
def test_industry_outcome_falls_back_when_the_vintage_lacks_years(rouen_built: Path) -> None:
    frame, note = data.industry_outcome("epci", years=range(2014, 2025))
    assert set(frame["outcome"]) == {"total private"}
    assert "2023, 2024" in note and "lacks the years" in note

"""Every kind of bad input gets one DataError naming the file, the problem and the fix,
and leaves no partial output behind. One test per case."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reindus import config
from reindus.errors import DataError
from reindus.ingest.loaders.reference import load_accords
from reindus.ingest.loaders.urssaf import read_regional_file
from reindus.ingest.sources import fetch, load_registry

HEADER = ("code_region,region,secteur_na28i,code_na28i,dernier_jour_du_trimestre,annee,trimestre,"
          "effectifs_salaries_cvs,masse_salariale_cvs")
ROWS = [
    "32,Hauts-de-France,BZ Industries extractives,BZ,2022-12-31,2022,4,4000,40000000",
    "32,Hauts-de-France,CA Industries agro-alimentaires,CA,2022-12-31,2022,4,50000,500000000",
    "11,Île-de-France,BZ Industries extractives,BZ,2022-12-31,2022,4,2000,20000000",
]


def write(tmp_path: Path, text: str | bytes, name: str = "regional.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def csv_text(header: str = HEADER, rows: list[str] = ROWS, sep: str = ",") -> str:
    return "\n".join([header.replace(",", sep), *[r.replace(",", sep) for r in rows]]) + "\n"


def assert_clear(exc: pytest.ExceptionInfo[DataError], path: Path, *words: str) -> None:
    msg = str(exc.value)
    assert str(path) in msg and "Fix:" in msg, msg
    for w in words:
        assert w.lower() in msg.lower(), f"{w!r} not in {msg!r}"


def test_good_file_reads(tmp_path: Path) -> None:
    df = read_regional_file(write(tmp_path, csv_text()))
    assert len(df) == 3 and df["employment"].sum() == 56000


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "not found", "reindus fetch")


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "empty")


def test_header_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "\n")
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "no data rows")


def test_truncated_file(tmp_path: Path) -> None:
    text = csv_text()
    path = write(tmp_path, text[: text.rfind(",2022,4")])  # cut inside the last record
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "truncated")


def test_wrong_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(sep=";"))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "not ','-separated", "';'")


def test_wrong_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text().encode("latin-1"))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "not valid UTF-8", "Latin-1")


def test_bom_inside_header(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(header=HEADER.replace(",region,", ",\ufeffregion,")))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "byte-order mark")


def test_leading_bom_is_accepted(tmp_path: Path) -> None:
    assert len(read_regional_file(write(tmp_path, "\ufeff" + csv_text()))) == 3


def test_missing_column(tmp_path: Path) -> None:
    header = HEADER.replace(",masse_salariale_cvs", "")
    rows = [r.rsplit(",", 1)[0] for r in ROWS]
    path = write(tmp_path, csv_text(header=header, rows=rows))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "missing column", "masse_salariale_cvs")


def test_renamed_column(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(header=HEADER.replace("code_region", "Code région")))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "code_region", "renamed?")


def test_duplicate_keys(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(rows=[*ROWS, ROWS[0]]))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "share a key")


def test_negative_counts(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(rows=[ROWS[0].replace(",4000,", ",-4000,"), *ROWS[1:]]))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "negative")


def test_unknown_region_code(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(rows=[ROWS[0].replace("32,", "31,", 1), *ROWS[1:]]))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "unknown region", "'31'")


def test_unknown_sector_code(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(rows=[ROWS[0].replace(",BZ,", ",ZZ,"), *ROWS[1:]]))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "unknown NA28i sector", "'ZZ'")


def test_unparseable_date(tmp_path: Path) -> None:
    path = write(tmp_path, csv_text(rows=[ROWS[0].replace("2022-12-31", "31/12/2022"), *ROWS[1:]]))
    with pytest.raises(DataError) as exc:
        read_regional_file(path)
    assert_clear(exc, path, "unparseable date", "31/12/2022")


def test_unparseable_partial_date_in_reference(tmp_path: Path) -> None:
    text = (config.REFERENCE_DIR / "accords.csv").read_text(encoding="utf-8")
    path = write(tmp_path, text.replace("2023-12-18", "18 déc. 2023"), "accords.csv")
    with pytest.raises(DataError) as exc:
        load_accords(path=path)
    assert_clear(exc, path, "unparseable date")


# ---------------------------------------------------------------------------------------- fetch
SMALL = "insee_defaillances_entreprises"  # the smallest registered file (692 bytes)


def _fake_mirror(tmp_path: Path, mirror: Path) -> Path:
    """A mirror holding only the smallest registered file, copied from the real mirror."""
    rel = load_registry()[SMALL].file
    fake = tmp_path / "mirror"
    (fake / rel).parent.mkdir(parents=True)
    shutil.copy(mirror / rel, fake / rel)
    return fake


@pytest.mark.mirror
def test_fetch_from_mirror_verifies(tmp_path: Path, mirror: Path) -> None:
    fake, raw = _fake_mirror(tmp_path, mirror), tmp_path / "raw"
    paths = fetch([SMALL], mirror=fake, raw_dir=raw)
    assert paths == [raw / load_registry()[SMALL].file]


def test_reference_tables_are_verified_in_place(tmp_path: Path) -> None:
    """The committed reference tables are the one copy: fetch verifies, never copies them."""
    paths = fetch(["reference_accords"], mirror=tmp_path, raw_dir=tmp_path / "raw")
    assert paths == [config.reference_dir() / "accords.csv"]
    assert not (tmp_path / "raw").exists()


@pytest.mark.mirror
def test_checksum_mismatch_leaves_nothing(tmp_path: Path, mirror: Path) -> None:
    fake, raw = _fake_mirror(tmp_path, mirror), tmp_path / "raw"
    bad = fake / load_registry()[SMALL].file
    bad.write_text(bad.read_text(encoding="utf-8").replace("ensemble", "ENSEMBLE"),
                   encoding="utf-8")
    with pytest.raises(DataError) as exc:
        fetch([SMALL], mirror=fake, raw_dir=raw)
    assert_clear(exc, bad, "sha256 mismatch")
    assert not any(p.is_file() for p in raw.rglob("*")), "no partial or temporary file may remain"


def test_missing_mirror(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        fetch(["reference_accords"], mirror=tmp_path / "nowhere", raw_dir=tmp_path / "raw")
    assert_clear(exc, tmp_path / "nowhere", "mirror directory does not exist", "REINDUS_MIRROR")


def test_missing_file_in_mirror(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        fetch(["urssaf_region_na28i"], mirror=tmp_path, raw_dir=tmp_path / "raw")
    assert_clear(exc, tmp_path / load_registry()["urssaf_region_na28i"].file, "not in the mirror")


def test_no_url_and_no_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REINDUS_MIRROR", raising=False)
    with pytest.raises(DataError) as exc:
        fetch(["urssaf_region_na28i"], raw_dir=tmp_path / "raw")
    assert "no URL that serves the registered file" in str(exc.value)
    assert "open.urssaf.fr/api/explore/v2.1" in str(exc.value)  # the producer's export is named


# ---------------------------------------------------------------------------------------- build
@pytest.mark.mirror
def test_build_failure_leaves_previous_tables(tmp_path: Path, raw_dir: Path) -> None:
    from reindus.ingest.build import build

    raw = tmp_path / "raw"
    shutil.copytree(raw_dir, raw)
    out = tmp_path / "processed"
    build(["sectors"], raw_dir=raw, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    target = raw / load_registry()["urssaf_region_na28i"].file
    target.write_bytes(target.read_bytes()[: 10_000])  # truncated download
    with pytest.raises(DataError) as exc:
        build(["sectors", "regional_employment"], raw_dir=raw, out_dir=out)
    assert "sha256 mismatch" in str(exc.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

"""Source registry, fetching from the mirror, and byte-identical rebuilds."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from reindus import config, data
from reindus.errors import DataError
from reindus.ingest import schemas
from reindus.ingest.io import sha256_file
from reindus.ingest.loaders import TABLES, loader, tables_by_source
from reindus.ingest.sources import load_registry, provenance_table


def test_registry_entries_complete() -> None:
    reg = load_registry()
    assert len(reg) >= 20
    for src in reg.values():
        if src.optional:  # hash and size live in the lock file: each vintage changes them
            assert src.url.startswith("https://") and src.licence and src.official_page
            continue
        assert len(src.sha256) == 64 and int(src.sha256, 16) >= 0
        assert src.licence and src.official_page and src.producer and src.coverage
        assert src.obtained_from, f"{src.id}: say how the snapshot was obtained"
        assert src.url == "" or src.url.startswith("https://")


def test_third_party_snapshots_are_flagged() -> None:
    prov = data.provenance().set_index("id")
    for sid in ("urssaf_region_na28i", "urssaf_ze_a38", "urssaf_total_par_echelon",
                "insee_epci_indicateurs", "contours_epci"):
        assert prov.loc[sid, "third_party"], sid
    # the dashboard-payload snapshots say so
    assert "dashboard" in prov.loc["urssaf_region_na28i", "transformation"]


def test_every_table_has_registered_sources() -> None:
    reg = load_registry()
    for name, table in TABLES.items():
        assert table.name == name and loader(name) is table.load
        assert table.sources and all(i in reg for i in table.sources), name


def test_every_source_feeds_a_table_or_says_why_not() -> None:
    """The source -> table mapping is declared once, on the loaders; sources.toml holds
    no copy of it, and a source no loader reads is documented (``not_built``)."""
    feeds = tables_by_source()
    for sid, src in load_registry().items():
        if sid in feeds:
            assert not src.not_built, f"{sid} feeds {feeds[sid]} but claims not_built"
        else:
            assert src.not_built.strip(), f"{sid} feeds no processed table: say why (not_built)"
    assert set(feeds) <= set(load_registry())
    assert feeds["urssaf_region_na28i"] == ("regional_employment", "sectors")
    assert "zone_employment" in feeds["contours_zone_emploi"]


def test_provenance_table_column_is_derived_from_the_loaders() -> None:
    prov = data.provenance().set_index("id")
    assert list(prov.columns[:2]) == ["file", "table"]  # the published columns, unchanged
    assert prov.loc["urssaf_region_na28i", "table"] == "regional_employment, sectors"
    assert prov.loc["cog_epci", "table"] == ", ".join(tables_by_source()["cog_epci"])
    assert prov.loc["urssaf_commune_ape_rouen", "table"] == ""
    # the same function on another mapping shows that mapping: nothing is read from the toml
    other = provenance_table({"cog_regions": ("t1", "t2")}).set_index("id")
    assert other.loc["cog_regions", "table"] == "t1, t2" and other.loc["cog_epci", "table"] == ""


def test_a_table_key_in_the_registry_is_refused(tmp_path: Path) -> None:
    """A second declaration of the mapping would drift: the key is unknown to the registry."""
    text = config.SOURCES_FILE.read_text(encoding="utf-8")
    bad = tmp_path / "sources.toml"
    bad.write_text(text.replace('id = "cog_regions"\n', 'id = "cog_regions"\ntable = "geography"\n'),
                   encoding="utf-8")
    with pytest.raises(DataError, match="unknown key"):
        load_registry(bad)


def test_the_registry_declares_every_table_once_with_its_schema() -> None:
    # the loader modules declared these (with a schema each) through @processed_table
    with_schema = {n for n, t in TABLES.items() if t.schema is not None}
    assert with_schema == {"regional_employment", "sectors", "insolvencies", "zone_employment",
                           "zone_quarterly_employment", "area_employment", "departement_snapshot"}
    assert TABLES["zone_employment"].schema is schemas.ZONE_EMPLOYMENT
    assert TABLES["geo_epci"].sources == ("cog_epci", "cog_communes")
    from reindus.ingest.loaders import processed_table

    with pytest.raises(ValueError, match="declared twice"):
        processed_table("sectors", sources=("urssaf_region_na28i",))(lambda raw: raw)
    assert TABLES["sectors"].load.__name__ == "load_sectors"


def test_manifest_matches_committed_tables() -> None:
    manifest = json.loads((config.processed_dir() / "MANIFEST.json").read_text())
    for name, entry in manifest["tables"].items():
        path = config.processed_dir() / f"{name}.parquet"
        assert sha256_file(path) == entry["sha256"], f"{name} differs from MANIFEST.json"


def test_no_mirror_file_is_committed() -> None:
    """The mirror's files must never be copied into the project (reference tables excepted)."""
    reg = load_registry()
    hashes = {s.sha256 for s in reg.values() if not s.file.startswith("reference/")}
    sizes = {s.bytes for s in reg.values()}
    for folder, dirs, files in os.walk(config.ROOT):
        dirs[:] = [d for d in dirs if d not in (".venv", ".git")]  # not walked at all
        for name in files:
            path = Path(folder) / name
            if "raw" in path.relative_to(config.ROOT).parts[:2]:
                continue
            try:  # a file that vanishes meanwhile (a parallel test's temporary) is no copy
                if path.stat().st_size in sizes:
                    assert sha256_file(path) not in hashes, f"{path} is a copy of a mirror file"
            except FileNotFoundError:
                continue


@pytest.mark.mirror
def test_registry_matches_mirror_sources_csv(mirror: Path) -> None:
    rows = {r["path"]: r for r in csv.DictReader(open(mirror / "sources.csv", encoding="utf-8"))}
    for src in load_registry().values():
        if src.optional:
            continue
        assert src.file in rows, f"{src.file} is not in the mirror's sources.csv"
        assert rows[src.file]["sha256"] == src.sha256
        assert int(rows[src.file]["bytes"]) == src.bytes


@pytest.mark.mirror
def test_reference_tables_transcribe_the_mirror(mirror: Path) -> None:
    for name in ("accords.csv", "industrial-events.csv"):
        ours = pd.read_csv(config.REFERENCE_DIR / name, dtype=str)
        theirs = pd.read_csv(mirror / "reference" / name, dtype=str)
        pd.testing.assert_frame_equal(ours[theirs.columns], theirs)


@pytest.mark.mirror
@pytest.mark.slow  # builds every processed table
def test_rebuild_from_mirror_is_identical(raw_dir: Path, tmp_path: Path) -> None:
    """Fetch + build from the mirror gives the committed tables, byte for byte.

    Parquet files embed the writer's library versions; if the versions here
    differ from those recorded in the manifest, the tables must still be equal
    in content.
    """
    import pyarrow

    from reindus.ingest.build import build

    committed = json.loads((config.processed_dir() / "MANIFEST.json").read_text())
    names = [n for n in committed["tables"] if n in TABLES]
    out = tmp_path / "processed"
    built = build(names, raw_dir=raw_dir, out_dir=out)
    same_versions = committed.get("written_with") == {"pandas": pd.__version__,
                                                      "pyarrow": pyarrow.__version__}
    for name in names:
        if same_versions:
            assert built[name]["sha256"] == committed["tables"][name]["sha256"], name
        else:
            a = pd.read_parquet(out / f"{name}.parquet")
            b = pd.read_parquet(config.processed_dir() / f"{name}.parquet")
            pd.testing.assert_frame_equal(a.drop(columns="geometry", errors="ignore"),
                                          b.drop(columns="geometry", errors="ignore"))
    # and a second build is byte-identical to the first
    again = build(names[:3], raw_dir=raw_dir, out_dir=tmp_path / "again")
    for name in names[:3]:
        assert again[name]["sha256"] == built[name]["sha256"]


@pytest.mark.parametrize("level", ["region", "departement", "epci", "zone_emploi",
                                   "region_outre_mer"])
def test_committed_contours_are_valid(level: str) -> None:
    """Every committed contour is a valid (Multi)Polygon: the self-intersecting shapes of
    the third-party files (7 regions, 14 départements, 2 EPCI) are repaired at build time."""
    import geopandas as gpd

    gdf = gpd.read_parquet(config.processed_dir() / f"contours_{level}.parquet")
    assert gdf.geometry.is_valid.all(), gdf.loc[~gdf.geometry.is_valid].iloc[:, 0].tolist()
    assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}
    assert not gdf.geometry.is_empty.any()


def test_manifest_records_the_geometry_repairs() -> None:
    tables = json.loads((config.processed_dir() / "MANIFEST.json").read_text())["tables"]
    repairs = {n: e.get("geometry_repairs", 0) for n, e in tables.items() if n.startswith("contours")}
    assert repairs == {"contours_region": 7, "contours_departement": 14, "contours_epci": 2,
                       "contours_zone_emploi": 0, "contours_region_outre_mer": 0}
    assert "pending" not in json.loads((config.processed_dir() / "MANIFEST.json").read_text())


def test_every_repository_url_is_pinned() -> None:
    """No registered URL follows a branch: raw GitHub files by commit, npm files by version."""
    import re

    for src in load_registry().values():
        if "raw.githubusercontent.com" in src.url:
            assert re.search(r"/[0-9a-f]{40}/", src.url), src.id
        if "cdn.jsdelivr.net/npm" in src.url:
            assert re.search(r"@\d+\.\d+\.\d+/", src.url), src.id


def test_every_source_can_be_refreshed_or_says_why() -> None:
    """A source has a URL serving its bytes, lives in the repository, or names the
    producer's export (the dashboard snapshots, whose bytes no URL serves)."""
    for src in load_registry().values():
        assert src.url or src.in_repository or src.official_url, src.id


def test_industry_is_eleven_sectors_in_the_registry() -> None:
    from reindus.ingest.schemas import INDUSTRY_CODES

    assert len(INDUSTRY_CODES) == 11
    assert "(11 sectors)" in load_registry()["urssaf_region_na28i"].caveats

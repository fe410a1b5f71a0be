"""Fault suite for the data side (issue 12, classes a, b and the build part of d).

Every case writes a bad variant of a real-shaped file in ``tmp_path`` (the real
file from the mirror with one fault injected), then runs ``reindus build``
through the command line (in-process ``cli.main``) into a temporary processed
folder and asserts:

* the exit code (2: bad input);
* the message names the file, the problem and the fix;
* nothing changed on disk: the temporary processed folder is byte-identical
  (its lock file aside) and the committed ``data/processed`` and
  ``data/reference`` are untouched.

The registry is patched so that the bad file's sha256 is the registered one:
otherwise the hash check would stop every case before the loader's own check,
which is what these cases test (the hash check has its own cases below).
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from reindus import config
from reindus.errors import DataError
from reindus.ingest import sources
from reindus.ingest.build import LOCK_NAME, build, read_manifest
from reindus.workflow import cli

pytestmark = pytest.mark.mirror

# ------------------------------------------------------------------------------ helpers


def _tree(root: Path) -> dict[str, str]:
    """State of every file under ``root``: sha256 of its bytes, or for a symlink its
    target (the build lock aside: it holds the pid of the last build)."""
    if not root.exists():
        return {}
    out = {}
    for p in sorted(root.rglob("*")):
        if p.name == LOCK_NAME or not (p.is_file() or p.is_symlink()):
            continue
        out[str(p.relative_to(root))] = (f"-> {os.readlink(p)}" if p.is_symlink() else
                                         hashlib.sha256(p.read_bytes()).hexdigest())
    return out


@pytest.fixture(scope="module")
def committed() -> dict[str, dict[str, str]]:
    return {"processed": _tree(config.ROOT / "data" / "processed"),
            "reference": _tree(config.ROOT / "data" / "reference")}


@pytest.fixture()
def env(raw_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, committed):
    """A raw folder of symlinks to the fetched files, a reference copy and an empty
    processed folder, all in tmp_path and selected through the environment."""
    raw = tmp_path / "raw"
    for p in raw_dir.rglob("*"):
        if p.is_file():
            link = raw / p.relative_to(raw_dir)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(p)
    ref = tmp_path / "reference"
    ref.mkdir()
    for p in config.REFERENCE_DIR.iterdir():
        (ref / p.name).write_bytes(p.read_bytes())
    out = tmp_path / "processed"
    out.mkdir()
    monkeypatch.setenv("REINDUS_RAW", str(raw))
    monkeypatch.setenv("REINDUS_PROCESSED", str(out))
    monkeypatch.setenv("REINDUS_REFERENCE", str(ref))
    yield {"raw": raw, "ref": ref, "out": out}
    # Nothing committed may change, whatever the case did.
    assert _tree(config.ROOT / "data" / "processed") == committed["processed"]
    assert _tree(config.ROOT / "data" / "reference") == committed["reference"]


def _register(monkeypatch: pytest.MonkeyPatch, source_id: str, path: Path) -> None:
    """Make the registry accept ``path`` as the file of ``source_id``."""
    real = sources.load_registry

    def patched(p: Path | None = None) -> dict[str, sources.Source]:
        reg = real(p)
        reg[source_id] = dataclasses.replace(
            reg[source_id], sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
            bytes=path.stat().st_size)
        return reg

    monkeypatch.setattr(sources, "load_registry", patched)
    monkeypatch.setattr("reindus.ingest.build.load_registry", patched)


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(args)
    return code, capsys.readouterr().err


def _assert_message(err: str, path: Path | str, words: tuple[str, ...]) -> None:
    assert str(path) in err, f"the file {path} is not named in: {err}"
    assert "Fix:" in err, f"no fix in: {err}"
    for w in words:
        assert w.lower() in err.lower(), f"{w!r} not in: {err}"
    assert "Traceback" not in err


# ------------------------------------------------------------------------------ transforms
# Each takes the real file's bytes and returns the bad variant.

def _text(f: Callable[[list[str]], list[str]], enc: str = "utf-8") -> Callable[[bytes], bytes]:
    def make(data: bytes) -> bytes:
        lines = data.decode(enc).split("\n")
        return "\n".join(f(lines)).encode(enc)
    return make


def dup_line(n: int = 1) -> Callable[[bytes], bytes]:
    return _text(lambda ls: ls[:n + 1] + [ls[n]] + ls[n + 1:])


def set_field(line: int, col: int, value: str, sep: str = ",") -> Callable[[bytes], bytes]:
    def f(ls: list[str]) -> list[str]:
        ls = list(ls)
        parts = ls[line].rstrip("\r").split(sep)
        parts[col] = value
        ls[line] = sep.join(parts) + ("\r" if ls[line].endswith("\r") else "")
        return ls
    return _text(f)


def drop_where(col: int, value: str, sep: str = ",") -> Callable[[bytes], bytes]:
    return _text(lambda ls: [ls[0]] + [x for x in ls[1:] if not x or x.split(sep)[col] != value])


def dup_line_changed(n: int, col: int, value: str, sep: str = ",") -> Callable[[bytes], bytes]:
    def f(ls: list[str]) -> list[str]:
        parts = ls[n].split(sep)
        parts[col] = value
        return ls[:n + 1] + [sep.join(parts)] + ls[n + 1:]
    return _text(f)


def _json(f: Callable[[object], object]) -> Callable[[bytes], bytes]:
    return lambda data: json.dumps(f(json.loads(data)), ensure_ascii=False).encode()


def truncate(frac: float = 0.5) -> Callable[[bytes], bytes]:
    return lambda data: data[: int(len(data) * frac)]


def _records_edit(i: int, **changes: object) -> Callable[[bytes], bytes]:
    def f(recs: list[dict]) -> list[dict]:
        recs = [dict(r) for r in recs]
        for k, v in changes.items():
            if v is None:
                recs[i].pop(k, None)
            else:
                recs[i][k] = v
        return recs
    return _json(f)


def _parquet(f: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[bytes], bytes]:
    def make(data: bytes) -> bytes:
        buf = io.BytesIO()
        f(pd.read_parquet(io.BytesIO(data))).to_parquet(buf, index=False)
        return buf.getvalue()
    return make


def _set_first(d: pd.DataFrame, rows: pd.Series, column: str, value: object) -> pd.DataFrame:
    d = d.copy()
    d.loc[d.index[rows.to_numpy()][0], column] = value
    return d


def _topo_geoms(f: Callable[[list[dict]], list[dict]]) -> Callable[[bytes], bytes]:
    def g(topo: dict) -> dict:
        obj = next(iter(topo["objects"].values()))
        obj["geometries"] = f(obj["geometries"])
        return topo
    return _json(g)


def _topo_set(i: int, key: str, value: str) -> Callable[[bytes], bytes]:
    def f(geoms: list[dict]) -> list[dict]:
        geoms[i]["properties"][key] = value
        return geoms
    return _topo_geoms(f)


def _topo_swap_axes(topo: dict) -> dict:
    """Latitude where longitude should be: the coordinates stay degrees, the map is wrong."""
    t = topo["transform"]
    t["scale"], t["translate"] = t["scale"][::-1], t["translate"][::-1]
    topo["arcs"] = [[p[::-1] for p in arc] for arc in topo["arcs"]]
    topo.pop("bbox", None)
    return topo


def _geojson(f: Callable[[dict], dict]) -> Callable[[bytes], bytes]:
    return _json(f)


def _scale_coords(fc: dict) -> dict:
    """Coordinates multiplied as if projected, with no CRS declared (degrees assumed)."""
    def walk(c):
        return [walk(x) for x in c] if isinstance(c[0], list) else [c[0] * 1e5, c[1] * 1e5]
    for feat in fc["features"]:
        feat["geometry"]["coordinates"] = walk(feat["geometry"]["coordinates"])
    return fc


def _declare_l93(fc: dict) -> dict:
    fc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    return fc


def _drop_feature(code: str) -> Callable[[dict], dict]:
    def f(fc: dict) -> dict:
        fc["features"] = [x for x in fc["features"] if x["properties"]["code"] != code]
        return fc
    return f


def _empty_geometry(fc: dict) -> dict:
    fc["features"][0]["geometry"] = None
    return fc


def _sources_toml(f: Callable[[str], str]) -> Callable[[bytes], bytes]:
    return lambda data: f(data.decode()).encode()


# ------------------------------------------------------------------------------ the cases
REG = "urssaf_region_na28i"
PROC = "urssaf_procedures_collectives"
ZEQ = "urssaf_ze_trimestriel"
DEP = "urssaf_departement_grand_secteur"
CRE = "insee_creations_entreprises"
A5 = "insee_emploi_france_a5"

# (id, class, source id, table, transform, words expected in the message)
CASES: list[tuple[str, str, str, str, Callable[[bytes], bytes], tuple[str, ...]]] = [
    # -- a. duplicate keys in any source: summed (counted twice) if accepted
    ("dup-regional", "a", REG, "regional_employment", dup_line(1), ("share a key", "counted twice")),
    ("dup-insolvency", "a", PROC, "insolvencies", dup_line(3), ("share a key",)),
    ("dup-zone-quarter-exact", "a", ZEQ, "zone_quarterly_employment", dup_line(2), ("share a key",)),
    ("dup-zone-quarter-part", "a", ZEQ, "zone_quarterly_employment",
     dup_line_changed(6, 3, "100"), ("zone 0055", "duplicated regional part")),
    ("dup-departement", "a", DEP, "departement_snapshot", dup_line(5), ("share a key",)),
    ("dup-creations", "a", CRE, "national_checks", dup_line(2), ("share a key",)),
    ("dup-a5-record", "a", A5, "national_checks", _json(lambda r: r + [r[0]]), ("share a key",)),
    ("dup-accord", "a", "reference_accords", "accords", dup_line(1), ("share a key",)),
    ("dup-accord-region", "a", "reference_accords", "accords",
     dup_line_changed(1, 0, "hdf-other"), ("share a key", "region_code")),
    ("dup-event", "a", "reference_industrial_events", "industrial_events", dup_line(2),
     ("share a key",)),
    ("dup-cog-region", "a", "cog_regions", "geo_regions", _json(lambda r: r + [r[5]]),
     ("share a key",)),
    ("dup-cog-departement", "a", "cog_departements", "geo_departements",
     _json(lambda r: r + [r[10]]), ("share a key",)),
    ("dup-epci-indicator", "a", "insee_epci_indicateurs", "epci_indicators",
     _json(lambda r: r + [r[5]]), ("share a key",)),
    ("dup-zone-a38", "a", "urssaf_ze_a38", "zone_employment",
     _parquet(lambda d: pd.concat([d, d.iloc[[7]]])), ("share a key",)),
    ("dup-area", "a", "urssaf_total_par_echelon", "area_employment",
     _parquet(lambda d: pd.concat([d, d.iloc[[100]]])), ("share a key",)),
    ("dup-contour-region", "a", "contours_region", "contours_region",
     _topo_geoms(lambda g: g + [g[0]]), ("share a key",)),
    # -- a. periods in the future or outside the declared coverage
    ("future-regional", "a", REG, "regional_employment", set_field(1, 4, "2099-12-31"),
     ("2099Q4", "future")),
    ("future-insolvency", "a", PROC, "insolvencies", set_field(1, 5, "2099-03-31", ";"),
     ("2099Q1", "future")),
    ("before-coverage-insolvency", "a", PROC, "insolvencies", set_field(1, 5, "2003-12-31", ";"),
     ("2003Q4", "outside the coverage", "2004Q1..2026Q1", "sources.toml")),
    ("future-zone-quarter", "a", ZEQ, "zone_quarterly_employment", set_field(1, 0, "2099"),
     ("2099Q2", "future")),
    ("before-coverage-zone-quarter", "a", ZEQ, "zone_quarterly_employment",
     set_field(1, 0, "2011"), ("2011Q2", "outside the coverage")),
    ("other-quarter-departement", "a", DEP, "departement_snapshot", set_field(1, 4, "2025-09-30"),
     ("2025Q3", "outside the coverage")),
    ("future-creations", "a", CRE, "national_checks", set_field(1, 0, "2099"), ("2099", "future")),
    ("before-coverage-creations", "a", CRE, "national_checks", set_field(1, 0, "1999"),
     ("1999", "outside the coverage")),
    ("future-area-year", "a", "urssaf_total_par_echelon", "area_employment",
     _parquet(lambda d: d.assign(year=d["year"].where(d.index != 3, 2099))), ("2099", "future")),
    ("future-accord", "a", "reference_accords", "accords", set_field(1, 3, "2099-01-15"),
     ("2099-01-15", "future")),
    ("future-event-announced", "a", "reference_industrial_events", "industrial_events",
     set_field(1, 7, "2099-02"), ("2099-02", "future")),
    # -- a. codes that are not in the reference lists (COG 2026, zones d'emploi)
    ("unknown-region-regional", "a", REG, "regional_employment", set_field(1, 0, "05"),
     ("unknown region", "'05'")),
    ("unknown-region-insolvency", "a", PROC, "insolvencies", set_field(1, 6, "05", ";"),
     ("unknown region", "'05'")),
    ("unknown-departement", "a", DEP, "departement_snapshot", set_field(1, 0, "20"),
     ("unknown departement", "'20'", "COG 2026")),
    ("departement-in-wrong-region", "a", DEP, "departement_snapshot", set_field(1, 2, "32"),
     ("département 91", "belongs to region 11")),
    ("unknown-zone-quarter", "a", ZEQ, "zone_quarterly_employment", set_field(1, 2, "9999"),
     ("unknown zone d'emploi", "'9999'")),
    ("unknown-zone-a38", "a", "urssaf_ze_a38", "zone_employment",
     _parquet(lambda d: d.assign(code_ze=d["code_ze"].where(d.index != 0, "9999"))),
     ("unknown zone d'emploi", "'9999'")),
    ("unknown-epci-area", "a", "urssaf_total_par_echelon", "area_employment",
     _parquet(lambda d: _set_first(d, d["echelon"] == "epci", "code", "123456789")),
     ("unknown epci", "'123456789'")),
    ("unknown-epci-accord", "a", "reference_accords", "accords", set_field(1, 7, "200000001"),
     ("unknown epci", "200000001")),
    ("commune-in-other-region-accord", "a", "reference_accords", "accords",
     set_field(1, 6, "75056"), ("commune 75056", "region 11, not 32")),
    ("unknown-commune-event", "a", "reference_industrial_events", "industrial_events",
     set_field(1, 4, "99999"), ("unknown commune", "99999")),
    ("unknown-epci-indicator", "a", "insee_epci_indicateurs", "epci_indicators",
     _records_edit(5, code="999999999"), ("unknown epci", "999999999")),
    ("unknown-epci-contour", "a", "contours_epci", "contours_epci",
     _topo_set(3, "EPCI", "999999999"), ("unknown epci", "999999999")),
    ("unknown-region-contour", "a", "contours_region", "contours_region",
     _topo_set(0, "code_insee", "99"), ("unknown region", "'99'")),
    ("unknown-region-of-departement", "a", "cog_departements", "geo_departements",
     _records_edit(0, region="99"), ("unknown region", "'99'")),
    # -- a. negative counts, including inside the parts of cross-region zones
    ("negative-regional", "a", REG, "regional_employment", set_field(2, 7, "-5"),
     ("negative value", "effectifs_salaries_cvs", "line 3")),
    ("negative-insolvency", "a", PROC, "insolvencies", set_field(1, 8, "-3", ";"),
     ("negative value", "line 2")),
    ("negative-part-of-cross-region-zone", "a", ZEQ, "zone_quarterly_employment",
     set_field(84, 4, "-10"), ("negative value", "regional part before summing", "line 85")),
    ("negative-raw-count-zone", "a", ZEQ, "zone_quarterly_employment", set_field(3, 3, "-1"),
     ("negative value", "effectifs_salaries_brut")),
    ("negative-departement", "a", DEP, "departement_snapshot", set_field(3, 5, "-7"),
     ("negative value",)),
    ("negative-zone-a38", "a", "urssaf_ze_a38", "zone_employment",
     _parquet(lambda d: d.assign(eff_22=d["eff_22"].where(d.index != 4, -1.0))),
     ("negative value", "eff_22")),
    ("negative-area", "a", "urssaf_total_par_echelon", "area_employment",
     _parquet(lambda d: d.assign(eff_total=d["eff_total"].where(d.index != 9, -2))),
     ("negative value", "eff_total")),
    ("negative-jobs-event", "a", "reference_industrial_events", "industrial_events",
     set_field(1, 9, "-290"), ("negative value", "jobs")),
    # -- a. incomplete coverage: a region or zone missing from a national file
    ("missing-region-regional", "a", REG, "regional_employment", drop_where(0, "24"),
     ("incomplete coverage", "'24'")),
    ("missing-region-insolvency", "a", PROC, "insolvencies", drop_where(6, "93", ";"),
     ("incomplete coverage", "'93'")),
    ("missing-zone-quarter", "a", ZEQ, "zone_quarterly_employment", drop_where(2, "8413"),
     ("incomplete coverage", "8413")),
    ("missing-one-quarter-of-a-zone", "a", ZEQ, "zone_quarterly_employment",
     _text(lambda ls: [x for x in ls if not x.startswith("2012,2,8413,")]),
     ("incomplete coverage", "8413", "2012Q2")),
    ("missing-departement", "a", DEP, "departement_snapshot", drop_where(0, "59"),
     ("incomplete coverage", "'59'")),
    ("missing-region-area", "a", "urssaf_total_par_echelon", "area_employment",
     _parquet(lambda d: d[~((d["echelon"] == "reg") & (d["code"].astype(str) == "32"))]),
     ("incomplete coverage", "region", "'32'")),
    ("missing-zone-a38", "a", "urssaf_ze_a38", "zone_employment",
     _parquet(lambda d: d[d["code_ze"] != "2407"]), ("incomplete coverage", "2407")),
    ("missing-region-contour", "a", "contours_region", "contours_region",
     _topo_geoms(lambda g: g[1:]), ("incomplete coverage", "metropolitan region")),
    ("missing-departement-contour", "a", "contours_departement", "contours_departement",
     _topo_geoms(lambda g: g[:-1]), ("incomplete coverage", "metropolitan departement")),
    ("missing-region-outre-mer", "a", "contours_regions_outre_mer", "contours_region_outre_mer",
     _geojson(_drop_feature("04")), ("incomplete coverage", "'04'")),
    # -- a. CRS that contradicts the coordinates; empty geometry
    ("crs-declared-l93-coords-degrees", "a", "contours_regions_outre_mer",
     "contours_region_outre_mer", _geojson(_declare_l93), ("EPSG:2154", "contradicts")),
    ("no-crs-coords-projected", "a", "contours_regions_outre_mer", "contours_region_outre_mer",
     _geojson(_scale_coords), ("contradicts", "not degrees")),
    ("swapped-axes-topojson", "a", "contours_region", "contours_region", _json(_topo_swap_axes),
     ("contradicts", "outside metropolitan France")),
    ("empty-geometry", "a", "contours_regions_outre_mer", "contours_region_outre_mer",
     _geojson(_empty_geometry), ("no geometry",)),
    # -- b. non-numeric values in count columns name file, line, column and value
    ("nd-in-employment", "b", REG, "regional_employment", set_field(2, 7, "n.d."),
     ("non-numeric value 'n.d.'", "effectifs_salaries_cvs", "line 3")),
    ("secret-s-in-payroll", "b", REG, "regional_employment", set_field(4, 8, "s"),
     ("non-numeric value 's'", "masse_salariale_cvs", "line 5")),
    ("decimal-comma-insolvency", "b", PROC, "insolvencies", set_field(2, 8, "12,5", ";"),
     ("non-numeric value '12,5'", "line 3", "decimal comma")),
    ("thousands-space-zone", "b", ZEQ, "zone_quarterly_employment", set_field(5, 4, "17 652"),
     ("non-numeric value '17 652'", "effectifs_salaries_cvs", "line 6")),
    ("nd-in-yoy-departement", "b", DEP, "departement_snapshot", set_field(2, 6, "n.d."),
     ("non-numeric value 'n.d.'", "effectifs_glissement_annuel_pct", "line 3")),
    ("secret-in-creations", "b", CRE, "national_checks", set_field(3, 2, "s"),
     ("non-numeric value 's'", "'value'", "line 4")),
    ("fractional-count", "b", PROC, "insolvencies", set_field(2, 8, "12.5", ";"),
     ("non-integer count '12.5'", "line 3")),
    # -- b. truncated GeoJSON / TopoJSON / JSON, COG files with a missing field
    ("truncated-topojson", "b", "contours_region", "contours_region", truncate(),
     ("invalid json", "truncated")),
    ("truncated-geojson", "b", "contours_regions_outre_mer", "contours_region_outre_mer",
     truncate(0.3), ("invalid json", "truncated")),
    ("truncated-ti-geojson", "b", "anct_ti_2023_2027", "ti_membership", truncate(0.7),
     ("invalid json", "truncated")),
    ("truncated-cog", "b", "cog_departements", "geo_departements", truncate(0.5),
     ("invalid json", "truncated")),
    ("cog-region-without-nom", "b", "cog_regions", "geo_regions", _records_edit(3, nom=None),
     ("record 3", "lacks", "nom")),
    ("cog-commune-without-departement", "b", "cog_communes", "geo_communes",
     _records_edit(0, departement=None), ("record 0", "lacks", "departement")),
    ("cog-epci-member-without-code", "b", "cog_epci", "geo_epci_members",
     _json(lambda r: [{**r[0], "membres": [{"nom": "X"}]}] + r[1:]), ("lacks its code",)),
    ("cog-epci-without-code-for-ti", "b", "cog_epci", "ti_membership",
     _records_edit(2, code=None), ("record 2", "lacks", "code")),
    ("a5-record-without-eff", "b", A5, "national_checks", _records_edit(0, eff=None),
     ("record 0", "lacks", "eff")),
    ("topojson-without-property", "b", "contours_zone_emploi", "contours_zone_emploi",
     _topo_geoms(lambda g: [{**x, "properties": {"libze2020": "x"}} for x in g]),
     ("missing properties", "ze2020")),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_source_fails_the_build(case, env, monkeypatch, capsys) -> None:
    """``reindus build <table>`` exits 2, names file, problem and fix, writes nothing."""
    _, _, source_id, table, make, words = case
    src = sources.load_registry()[source_id]
    bad = src.raw_path(env["raw"])
    good = bad.read_bytes()
    bad.unlink()  # a symlink to the session's raw file: replace it, never write through it
    bad.write_bytes(make(good))
    _register(monkeypatch, source_id, bad)
    before = _tree(env["out"])
    code, err = _run(["build", table], capsys)
    assert code == 2, err
    _assert_message(err, bad, words)
    assert _tree(env["out"]) == before


# ------------------------------------------------------------------------------ hash and registry
def test_altered_raw_file_fails_its_hash(env, capsys) -> None:
    bad = sources.load_registry()[DEP].raw_path(env["raw"])
    data = bad.read_bytes()
    bad.unlink()
    bad.write_bytes(data.replace(b"Essonne", b"ESSONNE", 1))
    code, err = _run(["build", "departement_snapshot"], capsys)
    assert code == 2
    _assert_message(err, bad, ("sha256 mismatch", "fetch it again"))
    assert _tree(env["out"]) == {}


def test_edited_reference_table_is_not_ignored(env, capsys) -> None:
    """One copy of each reference table: an edit is seen by the build, which asks to
    register it (data/raw/reference is never read)."""
    path = env["ref"] / "accords.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Pompey", "Pompey-ville"),
                    encoding="utf-8")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    code, err = _run(["build", "accords"], capsys)
    assert code == 2
    _assert_message(err, path, ("was edited", digest, "data/sources.toml"))
    assert _tree(env["out"]) == {}


def test_missing_raw_file(env, capsys) -> None:
    path = sources.load_registry()[CRE].raw_path(env["raw"])
    path.unlink()
    code, err = _run(["build", "national_checks"], capsys)
    assert code == 2
    _assert_message(err, path, ("missing", "reindus fetch"))


def test_unknown_table(env, capsys) -> None:
    code, err = _run(["build", "regional_employmnet"], capsys)
    assert code == 2 and "regional_employmnet" in err and "Fix:" in err
    with pytest.raises(DataError) as exc:  # the library says it too, naming the folder
        build(["regional_employmnet"])
    _assert_message(str(exc.value), env["out"], ("unknown table", "regional_employment"))
    assert _tree(env["out"]) == {}


REGISTRY_FAULTS = [
    ("missing-sha256", lambda t: t.replace('sha256 = "8e676ed7', 'xsha = "8e676ed7', 1),
     ("unknown key", "xsha")),
    ("misspelt-key", lambda t: t.replace("sha256 = ", "sha265 = ", 1),
     ("unknown key", "sha265", "did you mean 'sha256'")),
    ("no-sha256", lambda t: t.replace('sha256 = "8e676ed7e84ff9861e93f71365c36f86efb8c0e2da8122cea0ebbf54fc5443a3"\n', "", 1),
     ("lacks the key", "sha256")),
    ("bad-toml", lambda t: t.replace('id = "urssaf_region_na28i"', 'id = "urssaf_region_na28i', 1),
     ("not valid toml",)),
    ("short-sha256", lambda t: t.replace('sha256 = "8e676ed7e84ff98', 'sha256 = "8e676ed7', 1),
     ("not 64 lower-case hex",)),
    ("bytes-as-text", lambda t: t.replace("bytes = 5347527", 'bytes = "5347527"', 1),
     ("should be of type int",)),
    ("unpinned-url", lambda t: t.replace("anct-carto/superposeur-anct/5c5ffe30cc5d4a0e05a99d30a316d196e180f96a",
                                         "anct-carto/superposeur-anct/main", 1),
     ("not pinned", "commit")),
    ("http-url", lambda t: t.replace("https://raw.githubusercontent.com/ThomasJaafar12",
                                     "http://raw.githubusercontent.com/ThomasJaafar12", 1),
     ("not an https:// url",)),
    ("bad-period", lambda t: t.replace('first_period = "1998Q3"', 'first_period = "1998-Q3"', 1),
     ("first_period", "not yyyy or yyyyqn")),
    ("duplicate-id", lambda t: t.replace('id = "urssaf_departement_grand_secteur"',
                                         'id = "urssaf_region_na28i"', 1),
     ("duplicate source id",)),
]


@pytest.mark.parametrize("fault", REGISTRY_FAULTS, ids=[f[0] for f in REGISTRY_FAULTS])
@pytest.mark.parametrize("command", ["build", "fetch"])
def test_malformed_registry(fault, command, env, tmp_path, monkeypatch, capsys) -> None:
    _, edit, words = fault
    bad = tmp_path / "sources.toml"
    text = config.SOURCES_FILE.read_text(encoding="utf-8")
    edited = edit(text)
    assert edited != text, "the fault was not injected"
    bad.write_text(edited, encoding="utf-8")
    monkeypatch.setattr(config, "SOURCES_FILE", bad)
    before = _tree(env["raw"]), _tree(env["out"])
    code, err = _run([command, "sectors" if command == "build" else CRE], capsys)
    assert code == 2
    _assert_message(err, bad, words)
    assert (_tree(env["raw"]), _tree(env["out"])) == before


# ------------------------------------------------------------------------------ manifest
@pytest.fixture()
def built(env) -> Path:
    """A processed folder holding two small tables built from the mirror."""
    build(["national_checks", "geo_regions"])
    return env["out"]


MANIFEST_FAULTS = [
    ("truncated", lambda t: t[: len(t) // 2], ("not valid json", "corrupt or truncated")),
    ("not-an-object", lambda t: "[]", ("no 'tables' object",)),
    ("entry-without-sha256", lambda t: t.replace('"sha256"', '"sha"', 1),
     ("lacks a valid sha256",)),
    ("binary-garbage", lambda t: "\udcff", ("not utf-8",)),
]


@pytest.mark.parametrize("fault", MANIFEST_FAULTS, ids=[f[0] for f in MANIFEST_FAULTS])
def test_corrupt_manifest(fault, built, capsys) -> None:
    _, edit, words = fault
    path = built / "MANIFEST.json"
    path.write_bytes(edit(path.read_text(encoding="utf-8")).encode("utf-8", "surrogateescape"))
    before = _tree(built)
    code, err = _run(["build", "geo_regions"], capsys)  # the build reads it first
    assert code == 2
    _assert_message(err, path, words)
    assert _tree(built) == before
    from reindus import data

    with pytest.raises(DataError) as exc:  # and so does every reader
        data.geography("region")
    _assert_message(str(exc.value), path, words)


def test_table_edited_behind_the_manifest_is_refused(built) -> None:
    from reindus import data

    path = built / "geo_regions.parquet"
    df = pd.read_parquet(path)
    df.iloc[::-1].to_parquet(path)
    with pytest.raises(DataError) as exc:
        data.geography("region")
    _assert_message(str(exc.value), path, ("differs from the sha256 recorded",))


# ------------------------------------------------------------------------------ partial state (d)
def test_stale_stage_folders_are_cleaned(built, capsys) -> None:
    (built / ".stage-killed" / "x").mkdir(parents=True)
    (built / ".stage-killed" / "x" / "t.parquet").write_bytes(b"half")
    (built / ".geo_regions.parquet.abc.tmp").write_bytes(b"half")
    code, _ = _run(["build", "geo_regions"], capsys)
    assert code == 0
    assert not list(built.glob(".stage-*")) and not list(built.glob(".*.tmp"))


@pytest.mark.parametrize("path", ["data/processed/.stage-abc12/", "data/processed/.build.lock",
                                  "data/processed/.MANIFEST.json.x1.tmp"])
def test_build_leftovers_are_git_ignored(path: str) -> None:
    out = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=config.ROOT)
    assert out.returncode == 0, f"{path} is not git-ignored"


def test_second_build_exits_2_while_the_first_holds_the_lock(built, capsys) -> None:
    before = _tree(built)
    with open(built / LOCK_NAME, "a+") as fh:  # another open file description = another build
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        fh.truncate(0)
        fh.write("4242\n")
        fh.flush()
        code, err = _run(["build", "geo_regions"], capsys)
    assert code == 2
    _assert_message(err, built, ("another `reindus build` (pid 4242)", "wait for it"))
    assert _tree(built) == before
    code, _ = _run(["build", "geo_regions"], capsys)  # released: the next build runs
    assert code == 0


_KILLER = """
import os, signal, sys
from pathlib import Path
import reindus.ingest.build as b
real = os.replace
out = Path(os.environ["REINDUS_PROCESSED"]).resolve()
def replace(src, dst):
    real(src, dst)
    dst = Path(dst)
    if dst.parent.resolve() == out and dst.suffix == ".parquet":
        os.kill(os.getpid(), signal.SIGKILL)  # after the first table's rename, before the next
b.os.replace = replace
b.build(["national_checks", "geo_regions"])
"""


def test_kill_between_two_renames_never_leaves_a_stale_manifest(built, capsys) -> None:
    """SIGKILL after the first of two renames: the manifest says which tables are pending,
    readers refuse them, and the next build cleans up and completes."""
    from reindus import data

    proc = subprocess.run([sys.executable, "-c", _KILLER], env=os.environ.copy(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert list(built.glob(".stage-*")), "the killed build left its stage folder"
    manifest = read_manifest(built)
    assert manifest["pending"] == ["geo_regions", "national_checks"]
    with pytest.raises(DataError) as exc:
        data.national_checks()
    _assert_message(str(exc.value), built / "national_checks.parquet",
                    ("pending", "interrupted", "reindus build"))
    code, _ = _run(["build", "national_checks", "geo_regions"], capsys)
    assert code == 0
    assert "pending" not in read_manifest(built)
    assert not list(built.glob(".stage-*"))
    assert len(data.national_checks()) > 0 and len(data.geography("region")) == 18


def test_failed_loader_leaves_the_folder_untouched(built, monkeypatch, capsys) -> None:
    before = _tree(built)
    bad = sources.load_registry()[A5].raw_path()
    data = bad.read_bytes()
    bad.unlink()
    bad.write_bytes(data.replace(b'"eff"', b'"eft"', 1))
    _register(monkeypatch, A5, bad)
    code, err = _run(["build", "geo_regions", "national_checks"], capsys)
    assert code == 2 and "lacks the field" in err
    assert _tree(built) == before


# ------------------------------------------------------------------------------ fetch (13.9)
def test_fetch_without_mirror_reports_every_failure_and_carries_on(env, monkeypatch,
                                                                   capsys) -> None:
    """No mirror and no network (sockets are blocked in tests): every downloadable
    source fails, each is reported, the reference tables are still verified, exit 2."""
    monkeypatch.delenv("REINDUS_MIRROR", raising=False)
    raw = env["raw"]
    for p in list(raw.rglob("*")):
        if p.is_symlink():
            p.unlink()
    code, err = _run(["fetch"], capsys)
    assert code == 2
    reg = sources.load_registry()
    failing = [s for s in reg.values() if not s.in_repository and not s.optional]
    for s in failing:
        assert f"cannot fetch {s.id}:" in err, s.id
    assert f"fetched and verified 2 files; {len(failing)} failed" in err
    assert "no URL that serves the registered file" in err  # the two dashboard snapshots
    assert not [p for p in raw.rglob("*") if p.is_file()], "no partial download may remain"


def test_fetch_from_incomplete_mirror_fetches_the_rest(env, tmp_path, mirror, monkeypatch,
                                                       capsys) -> None:
    partial = tmp_path / "partial-mirror"
    for sid in (CRE, A5):
        rel = sources.load_registry()[sid].file
        (partial / rel).parent.mkdir(parents=True, exist_ok=True)
        (partial / rel).write_bytes((mirror / rel).read_bytes())
    raw = tmp_path / "fresh-raw"
    monkeypatch.setenv("REINDUS_RAW", str(raw))
    code, err = _run(["fetch", "--mirror", str(partial), DEP, CRE, A5], capsys)
    assert code == 2
    assert f"cannot fetch {DEP}:" in err and "not in the mirror" in err
    assert "fetched and verified 2 files; 1 failed" in err
    assert sorted(p.name for p in raw.rglob("*") if p.is_file()) == sorted(
        Path(sources.load_registry()[s].file).name for s in (CRE, A5))


def test_unknown_source_id(env, capsys) -> None:
    code, err = _run(["fetch", "urssaf_regoin_na28i"], capsys)
    assert code == 2 and "urssaf_regoin_na28i" in err and "Fix:" in err
    with pytest.raises(DataError) as exc:
        sources.fetch(["urssaf_regoin_na28i"])
    _assert_message(str(exc.value), config.SOURCES_FILE, ("unknown source id",))


# ------------------------------------------------------------------------------ geometry repair
def test_self_intersecting_contour_is_repaired_and_counted(env, monkeypatch) -> None:
    """A bow-tie polygon is repaired with make_valid and counted (not an error)."""
    from reindus.ingest.loaders.geography import load_contours_region_outre_mer

    src = sources.load_registry()["contours_regions_outre_mer"]
    path = src.raw_path(env["raw"])
    fc = json.loads(path.read_bytes())
    path.unlink()
    x, y = fc["features"][0]["geometry"]["coordinates"][0][0]
    fc["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [[
        [x, y], [x + 0.1, y + 0.1], [x + 0.1, y], [x, y + 0.1], [x, y]]]}
    path.write_text(json.dumps(fc))
    gdf = load_contours_region_outre_mer(env["raw"])
    assert gdf.attrs["geometry_repairs"] == 1
    assert gdf.geometry.is_valid.all()

"""Reference lists of codes, read from the registered COG 2026 files and contours.

Every code a loader keeps (region, département, commune, EPCI, zone d'emploi)
is checked against these lists, read from the raw directory the build uses:
a code that is not in the official geography is an error, never a silent
extra unit. The lists are cached per file (path, size, modification time).
"""

from __future__ import annotations

import functools
from pathlib import Path

from reindus.errors import DataError
from reindus.ingest.io import read_json_checked
from reindus.ingest.loaders import _checks as ck
from reindus.ingest.sources import get

#: Insee's pseudo-code for communes that belong to no EPCI (a few islands).
NO_EPCI = "ZZZZZZZZZ"
_CURRENT_ZONES = ("metro", "drom")
#: The 11 établissements publics territoriaux (EPT) of the Métropole du Grand Paris and Paris
#: (75056): contour and indicator files use them in place of the Métropole. They are not EPCI
#: of the COG and no registered file lists them, so the list is written here (SIREN codes).
GRAND_PARIS_PARTS: tuple[str, ...] = (
    "200057867", "200057875", "200057941", "200057966", "200057974", "200057982", "200057990",
    "200058006", "200058014", "200058097", "200058790", "75056")


def _stamp(path: Path) -> tuple[str, int, int]:
    if not path.is_file():
        raise DataError(path, "reference file not found (needed to check codes)",
                        "run `reindus fetch`")
    path = path.resolve()  # symlinked copies share one cache entry
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=8)
def _parsed(stamp: tuple[str, int, int]) -> object:
    """One parse per file version and process: the COG communes file is 8.6 MB."""
    return read_json_checked(Path(stamp[0]))


def _records(path: Path, required: tuple[str, ...]) -> list[dict]:
    """The records of a JSON array, each checked for the required fields (read-only:
    the parsed list is shared through a cache, so callers must not modify it)."""
    obj = _parsed(_stamp(path))
    if not isinstance(obj, list) or not obj:
        raise DataError(path, "expected a non-empty JSON array of records", ck.REFETCH)
    for i, rec in enumerate(obj):
        if not isinstance(rec, dict):
            raise DataError(path, f"record {i} is not a JSON object", ck.REFETCH)
        missing = [k for k in required if rec.get(k) in (None, "")]
        if missing:
            raise DataError(path, f"record {i} (code {rec.get('code')!r}) lacks the field(s) "
                            f"{missing}", "restore the official COG file: " + ck.REFETCH)
    return obj


@functools.lru_cache(maxsize=32)
def _codes(stamp: tuple[str, int, int], kind: str, metro: bool = False) -> frozenset[str]:
    path = Path(stamp[0])
    zones = ("metro",) if metro else _CURRENT_ZONES
    if kind == "region":
        recs = _records(path, ("code", "nom", "zone"))
        return frozenset(r["code"] for r in recs if r["zone"] in zones)
    if kind == "departement":
        recs = _records(path, ("code", "nom", "region", "zone"))
        return frozenset(r["code"] for r in recs if r["zone"] in zones)
    if kind == "commune":
        recs = _records(path, ("code", "nom", "type"))
        # Current communes, their delegated/associated parts, municipal arrondissements and
        # former codes: files of earlier years use them legitimately.
        out = {r["code"] for r in recs}
        out |= {c for r in recs for c in r.get("anciensCodes", []) or []}
        return frozenset(out)
    if kind == "epci":
        recs = _records(path, ("code", "nom", "type"))
        return frozenset(r["code"] for r in recs)
    if kind == "zone_emploi":
        topo = _parsed(stamp)
        try:
            geoms = [g for obj in topo["objects"].values() for g in obj["geometries"]]
            return frozenset(str(g["properties"]["ze2020"]) for g in geoms)
        except (KeyError, TypeError, AttributeError) as exc:
            raise DataError(path, f"not a TopoJSON with a ze2020 property ({exc!r})",
                            ck.REFETCH) from None
    raise ValueError(kind)


def codes(raw_dir: Path, kind: str, metro: bool = False) -> frozenset[str]:
    """Official codes of one kind: 'region', 'departement', 'commune', 'epci', 'zone_emploi'.

    Regions and départements are the current ones (metropolitan and overseas
    départements and regions; overseas collectivities excluded; ``metro``
    keeps the metropolitan ones only). Zones
    d'emploi: the metropolitan zones of the 2020 zoning (from their contours)
    plus the overseas zones, recognised by their region prefix (no registered
    file lists them).
    """
    source = {"region": "cog_regions", "departement": "cog_departements",
              "commune": "cog_communes", "epci": "cog_epci",
              "zone_emploi": "contours_zone_emploi"}[kind]
    return _codes(_stamp(get(source).raw_path(raw_dir)), kind, metro)


def where(kind: str) -> str:
    """Human name of the reference list, for messages."""
    return {"region": "the COG 2026 regions (geography/cog-2026/regions.json)",
            "departement": "the COG 2026 départements (geography/cog-2026/departements.json)",
            "commune": "the COG 2026 communes (geography/cog-2026/communes.json)",
            "epci": "the COG 2026 EPCI (geography/cog-2026/epci.json)",
            "zone_emploi": "the zones d'emploi 2020 (contours file and overseas prefixes)"}[kind]


def check(values, raw_dir: Path, kind: str, path: Path, column: str,
          extra: tuple[str, ...] = (), unit: str = "line") -> None:
    """Raise DataError unless every code is in the reference list of ``kind``."""
    allowed = set(codes(raw_dir, kind)) | set(extra)
    if kind == "zone_emploi":
        drom = {c for c in codes(raw_dir, "region") if c < "10"}
        vals = set(values.dropna())
        allowed |= {v for v in vals if isinstance(v, str) and len(v) == 4 and v.isdigit()
                    and v[:2] in drom}
    what = {"zone_emploi": "zone d'emploi"}.get(kind, kind)
    ck.known_codes(values, allowed, path, column, what, where(kind), unit=unit)


@functools.lru_cache(maxsize=4)
def _commune_regions(stamp: tuple[str, int, int]) -> dict[str, str]:
    recs = _records(Path(stamp[0]), ("code", "nom", "type"))
    return {r["code"]: r.get("region") for r in recs if r["type"] == "commune-actuelle"}


def commune_regions(raw_dir: Path) -> dict[str, str]:
    """Current commune code -> region code (COG 2026), cached per file."""
    return _commune_regions(_stamp(get("cog_communes").raw_path(raw_dir)))

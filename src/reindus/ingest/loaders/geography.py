"""Loaders of the official geography (COG 2026) and of the simplified contours.

Codes are text (leading zeros, Corsica's 2A/2B). Contours carry no CRS in the
mirror: their coordinates are WGS84 longitude/latitude, set on reading and
projected to Lambert-93 (EPSG:2154), the reference projection for maps of
metropolitan France.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus.errors import DataError
from reindus.ingest import schemas
from reindus.ingest.io import read_json_checked
from reindus.ingest.loaders import _checks as ck
from reindus.ingest.loaders import _reference as ref
from reindus.ingest.loaders._registry import processed_table
from reindus.ingest.sources import get

LAMBERT93 = "EPSG:2154"
_EPCI_TYPES = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "ME", "MET69": "ME"}


def _json_frame(raw_dir: Path, source_id: str, required: list[str]) -> tuple[pd.DataFrame, Path]:
    """A COG JSON array as a frame; every record must carry every required field."""
    path = raw_dir / get(source_id).file
    return pd.DataFrame(ref._records(path, tuple(required))), path


@processed_table("geo_regions", sources=("cog_regions",))
def load_regions(raw_dir: Path) -> pd.DataFrame:
    """The 18 regions: region_code, region, zone ('metro' or 'drom'), chef_lieu.

    Overseas collectivities (COM, codes 975-989) are listed by the COG but are
    not regions; they are dropped.
    """
    df, path = _json_frame(raw_dir, "cog_regions", ["code", "nom", "zone", "chefLieu"])
    df = df[df["zone"].isin(["metro", "drom"])]
    ck.unique_keys(df, ["code"], path, unit="record")
    # The Urssaf loaders check region codes against reindus.ingest.schemas: both lists must agree.
    if set(df["code"]) != set(schemas.REGION_CODES):
        raise DataError(path, f"the COG regions {sorted(df['code'])} differ from the region codes "
                        f"the loaders know {list(schemas.REGION_CODES)}",
                        "use the COG file of the registered vintage, or update REGION_CODES in "
                        "reindus.ingest.schemas after checking the new geography")
    return (df.rename(columns={"code": "region_code", "nom": "region", "chefLieu": "chef_lieu"})
            [["region_code", "region", "zone", "chef_lieu"]].sort_values("region_code")
            .reset_index(drop=True))


@processed_table("geo_departements", sources=("cog_departements",))
def load_departements(raw_dir: Path) -> pd.DataFrame:
    """The 101 départements: departement_code, departement, region_code, zone (COM dropped)."""
    df, path = _json_frame(raw_dir, "cog_departements", ["code", "nom", "region", "zone"])
    df = df[df["zone"].isin(["metro", "drom"])]
    ck.unique_keys(df, ["code"], path, unit="record")
    ref.check(df["region"], raw_dir, "region", path, "region", unit="record")
    return (df.rename(columns={"code": "departement_code", "nom": "departement",
                               "region": "region_code"})
            [["departement_code", "departement", "region_code", "zone"]]
            .sort_values("departement_code").reset_index(drop=True))


@processed_table("geo_communes", sources=("cog_communes",))
def load_communes(raw_dir: Path) -> pd.DataFrame:
    """Current communes (``commune-actuelle``) with département, region and population.

    Delegated and associated communes and municipal arrondissements are dropped:
    they would double-count population and are not members of EPCI.
    """
    df, path = _json_frame(raw_dir, "cog_communes", ["code", "nom", "type"])
    df = df.reindex(columns=[*df.columns, *{"departement", "region", "zone", "population"}
                             - set(df.columns)])
    current = df["type"] == "commune-actuelle"
    for field, rows in (("departement", current), ("region", current), ("zone", current),
                        ("population", current & df["zone"].isin(["metro", "drom"]))):
        lacking = rows & df[field].isna()
        if lacking.any():
            i = int(lacking.to_numpy().argmax())
            raise DataError(path, f"record {i} (commune {df['code'].iloc[i]!r}) lacks the field "
                            f"{field!r}", "restore the official COG file: " + ck.REFETCH)
    df = df[df["type"] == "commune-actuelle"]
    ck.unique_keys(df, ["code"], path, unit="record")
    current = df["zone"].isin(["metro", "drom"])  # communes of overseas collectivities aside
    ref.check(df.loc[current, "departement"], raw_dir, "departement", path, "departement",
              unit="record")
    ref.check(df.loc[current, "region"], raw_dir, "region", path, "region", unit="record")
    ck.non_negative(pd.to_numeric(df["population"], errors="coerce"), path, "population",
                    unit="record")
    out = pd.DataFrame({
        "commune_code": df["code"], "commune": df["nom"],
        "departement_code": df["departement"], "region_code": df["region"],
        "population": pd.to_numeric(df["population"]).astype("Int64"),
        "zone": df["zone"],
    })
    return out.sort_values("commune_code").reset_index(drop=True)


@processed_table("geo_epci_members", sources=("cog_epci",))
def load_epci_members(raw_dir: Path) -> pd.DataFrame:
    """EPCI membership: epci_code, commune_code, commune, population (municipal)."""
    df, path = _json_frame(raw_dir, "cog_epci", ["code", "membres"])
    rows = []
    for e in df.to_dict("records"):
        for m in e["membres"]:
            if not isinstance(m, dict) or not m.get("code") or not m.get("nom"):
                raise DataError(path, f"a member of EPCI {e['code']} lacks its code or nom field "
                                f"({m!r})", "restore the official COG file: " + ck.REFETCH)
            rows.append((e["code"], m["code"], m["nom"], m.get("populationMunicipale")))
    out = pd.DataFrame(rows, columns=["epci_code", "commune_code", "commune", "population"])
    out["population"] = out["population"].astype("Int64")
    ck.unique_keys(out, ["commune_code"], path, unit="member")  # a commune belongs to one EPCI
    return out.sort_values(["epci_code", "commune_code"]).reset_index(drop=True)


@processed_table("geo_epci", sources=("cog_epci", "cog_communes"))
def load_epci(raw_dir: Path) -> pd.DataFrame:
    """EPCI à fiscalité propre with type, population and location.

    ``departement_code`` and ``region_code`` are those of the member commune
    with the largest population (the seat is not in the file);
    ``n_regions`` > 1 flags the few EPCI that straddle a regional border.
    """
    df, path = _json_frame(raw_dir, "cog_epci", ["code", "nom", "type", "populationMunicipale",
                                                 "membres"])
    ck.unique_keys(df, ["code"], path, unit="record")
    ck.known_codes(df["type"], _EPCI_TYPES, path, "type", "EPCI type")
    members = load_epci_members(raw_dir)
    communes = load_communes(raw_dir)[["commune_code", "departement_code", "region_code"]]
    m = members.merge(communes, on="commune_code", how="left")
    if m["region_code"].isna().any():
        bad = m.loc[m["region_code"].isna(), "commune_code"].iloc[0]
        raise DataError(path, f"member commune {bad} is not a current commune of the COG",
                        "use the communes.json and epci.json of the same COG vintage")
    main = (m.sort_values(["epci_code", "population", "commune_code"],
                          ascending=[True, False, True]).drop_duplicates("epci_code")
            .set_index("epci_code"))
    out = pd.DataFrame({
        "epci_code": df["code"], "epci": df["nom"], "epci_type": df["type"].map(_EPCI_TYPES),
        "epci_type_detail": df["type"],
        "population": pd.to_numeric(df["populationMunicipale"]).astype("int64"),
    })
    out["departement_code"] = out["epci_code"].map(main["departement_code"])
    out["region_code"] = out["epci_code"].map(main["region_code"])
    out["n_communes"] = out["epci_code"].map(m.groupby("epci_code").size()).astype("int64")
    out["n_regions"] = out["epci_code"].map(m.groupby("epci_code")["region_code"].nunique()
                                            ).astype("int64")
    return out.sort_values("epci_code").reset_index(drop=True)


#: Lambert-93 extent of metropolitan France with a margin (metres): a contour outside it
#: was read with the wrong CRS (declared or assumed) or has swapped coordinates.
_L93_BOUNDS = (0.0, 6_000_000.0, 1_300_000.0, 7_200_000.0)


def _read_geo(path: Path):
    """Read a GeoJSON/TopoJSON file; truncation and bad JSON are named before GDAL sees them."""
    import geopandas as gpd

    if not path.exists():
        raise DataError(path, "file not found", "run `reindus fetch`")
    obj = read_json_checked(path)  # a truncated download fails here, with line and column
    if not isinstance(obj, dict) or obj.get("type") not in ("Topology", "FeatureCollection"):
        raise DataError(path, "not a TopoJSON Topology nor a GeoJSON FeatureCollection",
                        ck.REFETCH)
    try:
        return gpd.read_file(path)
    except Exception as exc:
        raise DataError(path, f"not a readable TopoJSON/GeoJSON file ({exc})", ck.REFETCH) from None


def _check_crs(gdf, path: Path) -> None:
    """The declared CRS must agree with the coordinates.

    No CRS or a geographic one: coordinates must be degrees (|x| <= 180,
    |y| <= 90). A projected CRS (metres) with coordinates that all fit in
    degree ranges is a contradiction too (e.g. EPSG:2154 declared on
    longitude/latitude: France would be a few metres wide).
    """
    x0, y0, x1, y1 = gdf.total_bounds
    degrees = -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    declared = gdf.crs.to_string() if gdf.crs is not None else "none, WGS84 assumed"
    span = f"x {x0:.4g}..{x1:.4g}, y {y0:.4g}..{y1:.4g}"
    if (gdf.crs is None or gdf.crs.is_geographic) and not degrees:
        raise DataError(path, f"the CRS ({declared}) contradicts the coordinates: they span "
                        f"{span}, which are not degrees",
                        "declare the CRS the coordinates are in (e.g. EPSG:2154 for Lambert-93), "
                        "or " + ck.REFETCH)
    if gdf.crs is not None and gdf.crs.is_projected and degrees:
        raise DataError(path, f"the CRS ({declared}) contradicts the coordinates: it is "
                        f"projected (metres) but they span {span}, which are degrees",
                        "remove the crs member (the coordinates are WGS84) or declare "
                        "EPSG:4326, or " + ck.REFETCH)


def repair_geometries(gdf, path: Path):
    """Repair invalid (e.g. self-intersecting) shapes with ``shapely.make_valid``.

    ``method='structure'`` rebuilds each ring's interior and drops collapsed
    parts, so the result stays (Multi)Polygon; the area moves by at most a few
    thousand square metres on these simplified contours. The number of repaired
    shapes is recorded in ``gdf.attrs['geometry_repairs']`` (the build copies it
    into ``MANIFEST.json``).
    """
    import shapely

    empty = gdf.geometry.isna() | gdf.geometry.is_empty
    if empty.any():
        raise DataError(path, f"{int(empty.sum())} feature(s) have no geometry, e.g. row "
                        f"{int(empty.to_numpy().argmax())}", ck.REFETCH)
    bad = ~gdf.geometry.is_valid
    if bad.any():
        gdf = gdf.copy()
        fixed = shapely.make_valid(gdf.geometry[bad].to_numpy(), method="structure",
                                   keep_collapsed=False)
        kinds = set(shapely.get_type_id(fixed)) - {3, 6}  # Polygon, MultiPolygon
        if kinds or not shapely.is_valid(fixed).all():
            raise DataError(path, "make_valid could not turn invalid shapes into polygons",
                            "repair the contours with a GIS tool, or " + ck.REFETCH)
        gdf.loc[bad, "geometry"] = fixed
        gdf.attrs["geometry_repairs"] = int(bad.sum())
    return gdf


def _contours(raw_dir: Path, source_id: str, rename: dict[str, str],
              reference: str | None = None, complete: bool = False,
              extra: tuple[str, ...] = ()):
    """Contours of metropolitan France in Lambert-93, checked and repaired.

    Checks: readable (not truncated), properties present, one feature per code,
    codes in the reference list (and all of them when ``complete``), CRS
    consistent with the coordinates, geometries valid after repair.
    """
    path = raw_dir / get(source_id).file
    gdf = _read_geo(path)
    missing = [c for c in rename if c not in gdf.columns]
    if missing:
        raise DataError(path, f"missing properties {missing}", ck.REFETCH)
    declared = gdf.crs.to_string() if gdf.crs is not None else "none, WGS84 assumed"
    _check_crs(gdf, path)
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    gdf = gdf.rename(columns=rename)[[*rename.values(), "geometry"]].to_crs(LAMBERT93)
    x0, y0, x1, y1 = gdf.total_bounds
    lo_x, lo_y, hi_x, hi_y = _L93_BOUNDS
    if not (lo_x <= x0 and x1 <= hi_x and lo_y <= y0 and y1 <= hi_y):
        raise DataError(path, f"the CRS ({declared}) "
                        "contradicts the coordinates: projected to Lambert-93 they span "
                        f"x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f}, outside metropolitan France "
                        "(swapped longitude/latitude or a wrong CRS)",
                        "declare the CRS the coordinates are in, or " + ck.REFETCH)
    first = next(iter(rename.values()))
    gdf[first] = gdf[first].astype(str)
    ck.unique_keys(gdf, [first], path, unit="feature")
    if reference is not None:
        ref.check(gdf[first], raw_dir, reference, path, first, extra=extra, unit="feature")
        if complete:
            ck.complete(gdf, {first: ref.codes(raw_dir, reference, metro=True)}, path,
                        f"metropolitan {reference}")
    gdf = repair_geometries(gdf, path)
    return gdf.sort_values(first).reset_index(drop=True)


@processed_table("contours_region", sources=("contours_region",))
def load_contours_region(raw_dir: Path):
    """Metropolitan regions, Lambert-93 (the 13 of the COG, all required)."""
    return _contours(raw_dir, "contours_region", {"code_insee": "region_code",
                                                  "nom_officiel": "region"}, "region", True)


@processed_table("contours_departement", sources=("contours_departement",))
def load_contours_departement(raw_dir: Path):
    """Metropolitan départements, Lambert-93 (the 96 of the COG, all required)."""
    return _contours(raw_dir, "contours_departement", {"code_insee": "departement_code",
                                                       "nom_officiel": "departement"},
                     "departement", True)


@processed_table("contours_epci", sources=("contours_epci",))
def load_contours_epci(raw_dir: Path):
    """Metropolitan EPCI (2025), Lambert-93; codes must be EPCI of the COG 2026, or one of
    the EPT of the Métropole du Grand Paris and Paris, which the file draws instead of it."""
    return _contours(raw_dir, "contours_epci", {"EPCI": "epci_code", "EPCIlib": "epci"}, "epci",
                     extra=ref.GRAND_PARIS_PARTS)


@processed_table("contours_zone_emploi", sources=("contours_zone_emploi",))
def load_contours_zone_emploi(raw_dir: Path):
    """Metropolitan zones d'emploi (2020 zoning), Lambert-93 (the reference list itself)."""
    gdf = _contours(raw_dir, "contours_zone_emploi", {"ze2020": "zone_code", "libze2020": "zone"})
    bad = ~gdf["zone_code"].str.fullmatch(r"\d{4}")
    if bad.any():
        raise DataError(raw_dir / get("contours_zone_emploi").file,
                        f"zone code {gdf.loc[bad, 'zone_code'].iloc[0]!r} is not four digits",
                        ck.REFETCH)
    return gdf


@processed_table("contours_region_outre_mer", sources=("contours_regions_outre_mer",))
def load_contours_region_outre_mer(raw_dir: Path):
    """All 18 regions (2018) at their true positions, kept in WGS84 (EPSG:4326)."""
    path = raw_dir / get("contours_regions_outre_mer").file
    gdf = _read_geo(path)
    missing = [c for c in ("code", "nom") if c not in gdf.columns]
    if missing:
        raise DataError(path, f"missing properties {missing}", ck.REFETCH)
    _check_crs(gdf, path)
    if gdf.crs is not None and gdf.crs.is_projected:
        gdf = gdf.to_crs("EPSG:4326")
    gdf = gdf.rename(columns={"code": "region_code", "nom": "region"})
    ck.unique_keys(gdf, ["region_code"], path, unit="feature")
    ref.check(gdf["region_code"], raw_dir, "region", path, "region_code", unit="feature")
    ck.complete(gdf, {"region_code": ref.codes(raw_dir, "region")}, path, "region")
    gdf = repair_geometries(gdf[["region_code", "region", "geometry"]], path)
    return gdf.sort_values("region_code").reset_index(drop=True)

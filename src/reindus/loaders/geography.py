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
from reindus.io import read_json_checked
from reindus.loaders import _checks as ck
from reindus.sources import get

LAMBERT93 = "EPSG:2154"
_EPCI_TYPES = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "ME", "MET69": "ME"}


def _json_frame(raw_dir: Path, source_id: str, required: list[str]) -> tuple[pd.DataFrame, Path]:
    path = raw_dir / get(source_id).file
    obj = read_json_checked(path)
    if not isinstance(obj, list) or not obj:
        raise DataError(path, "expected a non-empty JSON array", ck.REFETCH)
    df = pd.DataFrame(obj)
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(path, f"missing field(s) {missing}", ck.REFETCH)
    return df, path


def load_regions(raw_dir: Path) -> pd.DataFrame:
    """The 18 regions: region_code, region, zone ('metro' or 'drom'), chef_lieu.

    Overseas collectivities (COM, codes 975-989) are listed by the COG but are
    not regions; they are dropped.
    """
    df, path = _json_frame(raw_dir, "cog_regions", ["code", "nom", "zone", "chefLieu"])
    df = df[df["zone"].isin(["metro", "drom"])]
    ck.unique_keys(df, ["code"], path)
    return (df.rename(columns={"code": "region_code", "nom": "region", "chefLieu": "chef_lieu"})
            [["region_code", "region", "zone", "chef_lieu"]].sort_values("region_code")
            .reset_index(drop=True))


def load_departements(raw_dir: Path) -> pd.DataFrame:
    """The 101 départements: departement_code, departement, region_code, zone (COM dropped)."""
    df, path = _json_frame(raw_dir, "cog_departements", ["code", "nom", "region", "zone"])
    df = df[df["zone"].isin(["metro", "drom"])]
    ck.unique_keys(df, ["code"], path)
    return (df.rename(columns={"code": "departement_code", "nom": "departement",
                               "region": "region_code"})
            [["departement_code", "departement", "region_code", "zone"]]
            .sort_values("departement_code").reset_index(drop=True))


def load_communes(raw_dir: Path) -> pd.DataFrame:
    """Current communes (``commune-actuelle``) with département, region and population.

    Delegated and associated communes and municipal arrondissements are dropped:
    they would double-count population and are not members of EPCI.
    """
    df, path = _json_frame(raw_dir, "cog_communes",
                           ["code", "nom", "type", "departement", "region", "population"])
    df = df[df["type"] == "commune-actuelle"]
    ck.unique_keys(df, ["code"], path)
    out = pd.DataFrame({
        "commune_code": df["code"], "commune": df["nom"],
        "departement_code": df["departement"], "region_code": df["region"],
        "population": pd.to_numeric(df["population"]).astype("Int64"),
        "zone": df["zone"],
    })
    return out.sort_values("commune_code").reset_index(drop=True)


def load_epci_members(raw_dir: Path) -> pd.DataFrame:
    """EPCI membership: epci_code, commune_code, commune, population (municipal)."""
    df, path = _json_frame(raw_dir, "cog_epci", ["code", "membres"])
    rows = [(e["code"], m["code"], m["nom"], m.get("populationMunicipale"))
            for e in df.to_dict("records") for m in e["membres"]]
    out = pd.DataFrame(rows, columns=["epci_code", "commune_code", "commune", "population"])
    out["population"] = out["population"].astype("Int64")
    ck.unique_keys(out, ["commune_code"], path)  # a commune belongs to one EPCI
    return out.sort_values(["epci_code", "commune_code"]).reset_index(drop=True)


def load_epci(raw_dir: Path) -> pd.DataFrame:
    """EPCI à fiscalité propre with type, population and location.

    ``departement_code`` and ``region_code`` are those of the member commune
    with the largest population (the seat is not in the file);
    ``n_regions`` > 1 flags the few EPCI that straddle a regional border.
    """
    df, path = _json_frame(raw_dir, "cog_epci", ["code", "nom", "type", "populationMunicipale",
                                                 "membres"])
    ck.unique_keys(df, ["code"], path)
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


def _contours(raw_dir: Path, source_id: str, rename: dict[str, str]):
    import geopandas as gpd

    path = raw_dir / get(source_id).file
    if not path.exists():
        raise DataError(path, "file not found", "run `reindus fetch`")
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:
        raise DataError(path, f"not a readable TopoJSON/GeoJSON file ({exc})", ck.REFETCH) from None
    missing = [c for c in rename if c not in gdf.columns]
    if missing:
        raise DataError(path, f"missing properties {missing}", ck.REFETCH)
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")
    gdf = gdf.rename(columns=rename)[[*rename.values(), "geometry"]].to_crs(LAMBERT93)
    first = next(iter(rename.values()))
    gdf[first] = gdf[first].astype(str)
    return gdf.sort_values(first).reset_index(drop=True)


def load_contours_region(raw_dir: Path):
    """Metropolitan regions, Lambert-93."""
    return _contours(raw_dir, "contours_region", {"code_insee": "region_code",
                                                  "nom_officiel": "region"})


def load_contours_departement(raw_dir: Path):
    """Metropolitan départements, Lambert-93."""
    return _contours(raw_dir, "contours_departement", {"code_insee": "departement_code",
                                                       "nom_officiel": "departement"})


def load_contours_epci(raw_dir: Path):
    """Metropolitan EPCI (2025), Lambert-93."""
    return _contours(raw_dir, "contours_epci", {"EPCI": "epci_code", "EPCIlib": "epci"})


def load_contours_zone_emploi(raw_dir: Path):
    """Metropolitan zones d'emploi (2020 zoning), Lambert-93."""
    return _contours(raw_dir, "contours_zone_emploi", {"ze2020": "zone_code", "libze2020": "zone"})


def load_contours_region_outre_mer(raw_dir: Path):
    """All 18 regions (2018) at their true positions, kept in WGS84 (EPSG:4326)."""
    import geopandas as gpd

    path = raw_dir / get("contours_regions_outre_mer").file
    if not path.exists():
        raise DataError(path, "file not found", "run `reindus fetch`")
    gdf = gpd.read_file(path).rename(columns={"code": "region_code", "nom": "region"})
    return gdf[["region_code", "region", "geometry"]].sort_values("region_code").reset_index(drop=True)

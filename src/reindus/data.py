"""Public readers of the processed tables (the embedded default data).

Each function reads one Parquet file of ``data/processed/`` (or
``$REINDUS_PROCESSED``) and returns a fresh, typed DataFrame: codes as text,
quarters as ``Period[Q-DEC]``, counts as integers, withheld values missing.
No network, no parsing of raw files: these are fast enough to call in every
notebook cell. Rebuild the tables with ``make data`` (``reindus fetch`` then
``reindus build``).

Licences: Urssaf-derived tables are under ODbL 1.0 (Open Database Licence);
Insee and IGN-derived tables under Licence Ouverte 2.0. See
:func:`provenance` and ``data/sources.toml``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Literal

import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq

from reindus import config
from reindus.errors import DataError

AreaLevel = Literal["commune", "epci", "zone_emploi", "departement", "region", "france",
                    "unite_urbaine", "bassin_de_vie", "aire_attraction"]
GeoLevel = Literal["region", "departement", "commune", "epci", "epci_members"]
ContourLevel = Literal["region", "departement", "epci", "zone_emploi", "region_outre_mer"]


_VERIFIED: dict[tuple[str, int, int], str] = {}


def _stamp(path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


def _check_against_manifest(name: str, path) -> None:
    """The table must be the one ``MANIFEST.json`` records, and not left pending by a
    killed build. Each file is hashed once per process (cached on size and mtime);
    a folder without a manifest (a scratch folder) is not checked."""
    from reindus.ingest.build import read_manifest
    from reindus.ingest.io import sha256_file

    if not (path.parent / "MANIFEST.json").exists():
        return
    manifest = read_manifest(path.parent)
    if name in manifest.get("pending", []):
        raise DataError(path, f"table {name!r} is listed as pending in MANIFEST.json: a build "
                        "was interrupted while replacing it, so it may be old or new",
                        "run `reindus build` again (or restore data/processed from git)")
    entry = manifest["tables"].get(name)
    if entry is None:
        return
    key = _stamp(path)
    digest = _VERIFIED.get(key) or sha256_file(path)
    if digest != entry["sha256"]:
        raise DataError(path, f"table {name!r} differs from the sha256 recorded in MANIFEST.json "
                        "(edited, or replaced outside `reindus build`)",
                        "restore data/processed from git, or rebuild it with `reindus build`")
    _VERIFIED[key] = digest


def _path(name: str):
    path = config.processed_dir() / f"{name}.parquet"
    if not path.exists():
        raise DataError(path, f"processed table {name!r} is missing",
                        "restore data/processed from git, or rebuild it with `make data`")
    _check_against_manifest(name, path)
    return path


def read_table(name: str, columns: list[str] | None = None,
               where: tuple[str, str] | None = None) -> pd.DataFrame:
    """Read one processed table by name (see :data:`reindus.ingest.loaders.TABLES`).

    ``where=(column, value)`` keeps the rows where ``column == value``; the
    filter runs in Arrow before the conversion to pandas, which is the costly step.
    """
    path = _path(name)
    try:
        # ParquetFile.read skips the dataset machinery of pq.read_table: same bytes, less overhead.
        table = pq.ParquetFile(path).read(columns=columns)
        if where is not None:
            table = table.filter(pc.equal(table[where[0]], where[1]))
    except Exception as exc:
        raise DataError(path, f"cannot read the Parquet file ({type(exc).__name__}: {exc})",
                        "restore it from git (git checkout data/processed) or run `make data`"
                        ) from None
    return table.to_pandas()


def regional_employment() -> pd.DataFrame:
    """Private salaried employment and payroll by region x NA28i sector x quarter.

    Columns: region_code, region, sector_code, sector, quarter (Period[Q]),
    employment (int, seasonally adjusted, CVS), payroll (float, euros, CVS).
    17 regions (13 metropolitan and 4 overseas, no Mayotte) x 28 sectors,
    1998Q3-2025Q4. Apprentices are included from 2023Q1 (series break).
    Source: Urssaf, decoded from a dashboard payload (third-party snapshot); ODbL 1.0.
    """
    return read_table("regional_employment")


def sectors() -> pd.DataFrame:
    """NA28i nomenclature: sector_code, sector, group, position.

    ``group`` is one of industry (BZ..DZ-EZ), construction (FZ), market
    services, non-market (OZ, PZ, QA, QB) and temporary work (NZa, the
    interim workers, kept apart because Urssaf counts them in services
    whatever the sector of the firm that uses them).
    """
    return read_table("sectors")


def insolvencies() -> pd.DataFrame:
    """Procédures collectives by 2016 region x quarter x procedure, 2004Q1-2026Q1.

    Columns: region_code, region, quarter, procedure (redressement,
    liquidation, sauvegarde), count (Int64; missing = withheld or absent,
    never zero). Former regions are summed into the 2016 regions. The
    pseudo-region ``99 _calage_`` holds the (negative) correction that brings
    the sum of regions back to the national total: national = sum of all rows
    including ``99``; regions = rows with other codes.
    Source: Urssaf open data (byte-identical export via a third-party repository); ODbL 1.0.
    """
    return read_table("insolvencies")


def zone_employment() -> pd.DataFrame:
    """Private employment by zone d'emploi (2020 zoning) x NA38 sector x year.

    Columns: zone_code, region_code, region_assignment, sector_code, sector, a21, a5
    ('BE' = industry), year (2019, 2022, 2023, 2024), employment (float; NaN =
    missing, mostly secrecy). Zones coded 00xx span several regions and get
    the region holding most of their area (``region_assignment`` says so).
    Source: Urssaf commune x APE data aggregated by a third party; ODbL 1.0.
    """
    return read_table("zone_employment")


def zone_quarterly_employment() -> pd.DataFrame:
    """Private employment by zone d'emploi x quarter, all sectors, 2012Q1-2025Q4.

    Columns: zone_code, quarter, employment_raw, employment (CVS), payroll (CVS),
    n_parts (regional parts summed for cross-region zones). Source: Urssaf; ODbL 1.0.
    """
    return read_table("zone_quarterly_employment")


_AREA_LEVELS = ("commune", "epci", "zone_emploi", "departement", "region", "france",
                "unite_urbaine", "bassin_de_vie", "aire_attraction")


def area_employment(level: AreaLevel = "epci") -> pd.DataFrame:
    """Private salaried employment, all sectors, 2014-2024, for one geographic level.

    Columns: code, year, employment (int, probably a year-end stock: 2020 shows
    no Covid dip). Levels: commune, epci, zone_emploi, departement, region,
    france (and unite_urbaine, bassin_de_vie, aire_attraction).
    Source: Urssaf commune-level data aggregated by a third party; ODbL 1.0.
    """
    if level not in _AREA_LEVELS:
        raise ValueError(f"level must be one of {_AREA_LEVELS}, not {level!r}")
    df = read_table("area_employment", where=("level", level))
    return df.drop(columns="level").reset_index(drop=True)


def departement_snapshot() -> pd.DataFrame:
    """Département x grand secteur (GS1..GS7 and TOTAL) at 2025Q4, with year-on-year changes.

    Columns: departement_code, departement, region_code, sector_group_code,
    sector_group, quarter, employment, employment_yoy_pct, payroll,
    payroll_yoy_pct. A cross-section from a dashboard payload; ODbL 1.0.
    """
    return read_table("departement_snapshot")


def geography(level: GeoLevel = "region") -> pd.DataFrame:
    """Official geography from the COG 2026 (Insee / DGCL via Etalab); Licence Ouverte 2.0.

    ``region``: region_code, region, zone, chef_lieu (18 regions).
    ``departement``: departement_code, departement, region_code, zone (101).
    ``commune``: commune_code, commune, departement_code, region_code, population, zone.
    ``epci``: epci_code, epci, epci_type (CC, CA, CU, ME), epci_type_detail,
    population, departement_code, region_code (of the most populous member),
    n_communes, n_regions.
    ``epci_members``: epci_code, commune_code, commune, population.
    """
    names = {"region": "geo_regions", "departement": "geo_departements",
             "commune": "geo_communes", "epci": "geo_epci", "epci_members": "geo_epci_members"}
    if level not in names:
        raise ValueError(f"level must be one of {tuple(names)}, not {level!r}")
    return read_table(names[level])


def contours(level: ContourLevel = "region"):
    """Simplified boundaries as a GeoDataFrame (Lambert-93, EPSG:2154), metropolitan France.

    Levels: region (region_code, region), departement (departement_code,
    departement), epci (epci_code, epci), zone_emploi (zone_code, zone), and
    region_outre_mer (all 18 regions at their true positions, WGS84).
    Source: IGN Admin Express simplified by a third party; Licence Ouverte 2.0.
    """
    import geopandas as gpd

    levels = ("region", "departement", "epci", "zone_emploi", "region_outre_mer")
    if level not in levels:
        raise ValueError(f"level must be one of {levels}, not {level!r}")
    return gpd.read_parquet(_path(f"contours_{level}"))


def epci_indicators() -> pd.DataFrame:
    """Census- and Urssaf-based indicators by EPCI, computed by a third party.

    Treat as secondary, derived data (the ``provenance`` column says so).
    Examples: ``eco_sectindus_pct_22`` = industry's share of jobs in 2022
    (census, %); ``eco_emppriv_vtcam_1924`` = mean annual growth of private
    employment 2019-2024 (%); ``P22_POP`` = population 2022.
    """
    return read_table("epci_indicators")


def accords() -> pd.DataFrame:
    """Région - Intercommunalités de France accords for reindustrialisation.

    Columns: accord_id, region_code, region, signed_on (as published),
    signed_date, date_status (confirmed, announced_not_confirmed,
    year_inferred), treatment_quarter (first full quarter after signature),
    place, commune_code, epci_code, signatories, source. The project's own
    table (``data/reference/accords.csv``), every row with its press source.
    """
    return read_table("accords")


def industrial_events() -> pd.DataFrame:
    """Major industrial closures and openings in the accord regions, with announced jobs.

    Job counts are announcements, not measured employment (see ``jobs_note``).
    """
    return read_table("industrial_events")


def national_checks() -> pd.DataFrame:
    """Insee national series used as external checks: dataset, series, year, value, unit.

    Datasets: business_creations, business_failures (Banque de France via
    Insee; annual sums), employment_a5 (Insee employment estimates, total
    employment by A5 sector: T, TAZ, TBE = industry, TFZ, TGU, TOQ).
    """
    return read_table("national_checks")


def provenance() -> pd.DataFrame:
    """The source registry as a table (licence, producer, third-party flags...).

    Its ``table`` column (the processed tables each source feeds) is derived from the
    loaders' declarations (:func:`reindus.ingest.loaders.tables_by_source`).
    """
    from reindus.ingest.loaders import tables_by_source
    from reindus.ingest.sources import provenance_table

    return provenance_table(tables_by_source())


def ti_membership() -> pd.DataFrame:
    """Territoires d'industrie membership: one row per wave x territory x member.

    Columns: wave (1 = 2018-2022, 149 territories; 2 = 2023-2027, 183
    territories), territory_id, territory, epci_code (SIREN of the member as
    published), epci_label, in_cog_2026 (bool), member_type ('epci',
    'commune', 'ept', 'unknown'), cog_epci_code (the COG 2026 EPCI holding
    the member).

    Caveats: the same ``ti-`` id denotes different territories in the two
    waves (join waves on ``epci_code``, never on ``territory_id``); the
    first-wave file was joined by ANCT's cartography service to the 2025 EPCI
    layer, so groupements that had disappeared by 2025 may be missing; a few
    members are communes or EPT of the Métropole du Grand Paris, not EPCI
    (``in_cog_2026`` is False for them, ``cog_epci_code`` gives their EPCI).
    No labelling date per territory. Source: ANCT (anct-carto repositories);
    Licence Ouverte 2.0.
    """
    return read_table("ti_membership")


SectorLevel = Literal["epci", "zone_emploi"]


def sector_employment(level: SectorLevel = "epci") -> pd.DataFrame:
    """Private employment by EPCI or zone d'emploi × NA38 sector × year (full resolution).

    Built from the optional official commune × APE file (Urssaf, ODbL 1.0), not
    part of the embedded data: ``reindus fetch --full`` then ``reindus build --full``
    write it to ``data/full/`` (git-ignored). Columns: code, sector_code (NA38),
    a5 (``'BE'`` = industry), year, establishments, employment (Int64; missing
    when every cell of the source was blank, never 0).

    Raises
    ------
    DataError
        When the table has not been built, naming the commands that build it.
    """
    from reindus.ingest import full_resolution

    if level not in ("epci", "zone_emploi"):
        raise ValueError(f"level must be 'epci' or 'zone_emploi', not {level!r}")
    path = full_resolution.full_dir() / f"sector_employment_{level}.parquet"
    if not path.exists():
        raise DataError(path, "the full-resolution sector table is not built (it needs the optional "
                        "official commune x APE file, about 1.5 million rows)",
                        "run `reindus fetch --full` (internet, or `--from FILE` for a downloaded copy) "
                        "then `reindus build --full`")
    return pd.read_parquet(path)


def has_sector_employment(level: SectorLevel = "epci") -> bool:
    """Whether the optional full-resolution table of :func:`sector_employment` is built."""
    from reindus.ingest import full_resolution

    return (full_resolution.full_dir() / f"sector_employment_{level}.parquet").exists()


def industry_outcome(level: str = "epci", years: Iterable[int] | None = None) -> tuple[pd.DataFrame, str]:
    """The best available employment outcome by ``level`` × year, and a sentence saying which.

    With the full-resolution table built, industrial employment (A5 ``BE``)
    from the official commune × APE file is the primary outcome; without it,
    total private employment from the embedded data (:func:`area_employment`)
    is all there is, and the sentence says what the full file would add.

    years
        Years the caller's design needs: when the full table lacks any of them
        (an older vintage, say), the embedded totals are used and the note says why.

    Returns
    -------
    (frame, note)
        ``frame`` has columns code, year, employment, outcome (``'industry'`` or
        ``'total private'``); ``note`` is a sentence for the notebook's text.
    """
    from reindus.ingest import full_resolution

    missing: list[int] = []
    if has_sector_employment(level):  # type: ignore[arg-type]
        frame = full_resolution.industry(sector_employment(level)).assign(outcome="industry")  # type: ignore[arg-type]
        missing = sorted(set(years or []) - set(frame["year"].astype(int)))
    if has_sector_employment(level) and not missing:  # type: ignore[arg-type]
        lock = full_resolution.lock_path()
        vintage = json.loads(lock.read_text(encoding="utf-8")).get("vintage") if lock.exists() else "unknown"
        note = (f"This run uses the full-resolution table built from the official Urssaf commune × APE "
                f"file (vintage {vintage}, ODbL 1.0): the outcome is industrial employment (sections "
                f"B–E), years {int(frame['year'].min())}–{int(frame['year'].max())}.")
        return frame, note
    frame = area_employment(level)[["code", "year", "employment"]].assign(outcome="total private")  # type: ignore[arg-type]
    if missing:
        note = ("This run uses the embedded data: the outcome is total private employment. The "
                "full-resolution table is built but lacks the years "
                f"{', '.join(map(str, missing))} that this design needs (fetch a newer vintage with "
                "`reindus fetch --full`, then `reindus build --full`).")
    else:
        note = ("This run uses the embedded data: the outcome is total private employment, because "
                "industrial employment by intercommunalité needs the official commune × APE file "
                "(`reindus fetch --full`, then `reindus build --full`), which would make industry "
                "the primary outcome.")
    return frame, note

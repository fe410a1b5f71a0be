"""Loaders: one raw source file (or a few) -> one tidy, typed, validated table.

``TABLES`` maps each processed table name to the function that builds it from
the raw directory. ``reindus build`` runs them all and writes
``data/processed/<name>.parquet``.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import Path

import pandas as pd

#: processed table name -> "module:function" (functions take the raw directory).
TABLES: dict[str, str] = {
    "regional_employment": "reindus.ingest.loaders.urssaf:load_regional_employment",
    "sectors": "reindus.ingest.loaders.urssaf:load_sectors",
    "insolvencies": "reindus.ingest.loaders.urssaf:load_insolvencies",
    "zone_employment": "reindus.ingest.loaders.urssaf:load_zone_employment",
    "zone_quarterly_employment": "reindus.ingest.loaders.urssaf:load_zone_quarterly_employment",
    "area_employment": "reindus.ingest.loaders.urssaf:load_area_employment",
    "departement_snapshot": "reindus.ingest.loaders.urssaf:load_departement_snapshot",
    "national_checks": "reindus.ingest.loaders.insee:load_national_checks",
    "epci_indicators": "reindus.ingest.loaders.insee:load_epci_indicators",
    "geo_regions": "reindus.ingest.loaders.geography:load_regions",
    "geo_departements": "reindus.ingest.loaders.geography:load_departements",
    "geo_communes": "reindus.ingest.loaders.geography:load_communes",
    "geo_epci": "reindus.ingest.loaders.geography:load_epci",
    "geo_epci_members": "reindus.ingest.loaders.geography:load_epci_members",
    "contours_region": "reindus.ingest.loaders.geography:load_contours_region",
    "contours_departement": "reindus.ingest.loaders.geography:load_contours_departement",
    "contours_epci": "reindus.ingest.loaders.geography:load_contours_epci",
    "contours_zone_emploi": "reindus.ingest.loaders.geography:load_contours_zone_emploi",
    "contours_region_outre_mer": "reindus.ingest.loaders.geography:load_contours_region_outre_mer",
    "accords": "reindus.ingest.loaders.reference:load_accords",
    "industrial_events": "reindus.ingest.loaders.reference:load_industrial_events",
    "ti_membership": "reindus.ingest.loaders.anct:load_ti_membership",
}


#: processed table name -> the registered source ids it is built from.
TABLE_SOURCES: dict[str, tuple[str, ...]] = {
    "regional_employment": ("urssaf_region_na28i",),
    "sectors": ("urssaf_region_na28i",),
    "insolvencies": ("urssaf_procedures_collectives",),
    "zone_employment": ("urssaf_ze_a38", "contours_zone_emploi", "contours_region"),
    "zone_quarterly_employment": ("urssaf_ze_trimestriel",),
    "area_employment": ("urssaf_total_par_echelon",),
    "departement_snapshot": ("urssaf_departement_grand_secteur",),
    "national_checks": ("insee_creations_entreprises", "insee_defaillances_entreprises",
                        "insee_emploi_france_a5"),
    "epci_indicators": ("insee_epci_indicateurs",),
    "geo_regions": ("cog_regions",),
    "geo_departements": ("cog_departements",),
    "geo_communes": ("cog_communes",),
    "geo_epci": ("cog_epci", "cog_communes"),
    "geo_epci_members": ("cog_epci",),
    "contours_region": ("contours_region",),
    "contours_departement": ("contours_departement",),
    "contours_epci": ("contours_epci",),
    "contours_zone_emploi": ("contours_zone_emploi",),
    "contours_region_outre_mer": ("contours_regions_outre_mer",),
    "accords": ("reference_accords",),
    "industrial_events": ("reference_industrial_events",),
    "ti_membership": ("anct_ti_2018_2022", "anct_ti_2023_2027", "cog_epci", "cog_communes"),
}


def loader(name: str) -> Callable[[Path], pd.DataFrame]:
    """The loader function of a processed table."""
    module, func = TABLES[name].split(":")
    return getattr(import_module(module), func)

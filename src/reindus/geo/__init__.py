"""Geography: intercommunalités (EPCI) and zones d'emploi, from the frames of :mod:`reindus.data`.

- :mod:`.epci`: EPCI profiles, code reconciliation across sources, commune -> EPCI aggregation;
- :mod:`.dynamics`: employment index and job changes by EPCI, regional ranks, gainers and losers;
- :mod:`.peers`: peer groups of one EPCI and its trajectory against region, France and peers;
- :mod:`.zones`: EPCI <-> zone d'emploi, the zone x NA38 industrial view, map frames.

Pure functions (no file reads, no drawing); the maps are in :mod:`reindus.plots.epci`.
"""

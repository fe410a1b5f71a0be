"""reindus: reproducible research notebooks on the reindustrialisation of French territories.

Layers, read top to bottom in the order data flows; each imports only those above it
(``tests/test_architecture.py`` checks it, ``docs/architecture.md`` draws it)::

    config, errors      settings and the one error type (file, problem, fix)
    ingest/             sources registry, fetch, loaders, schemas -> data/processed/*.parquet
    data                the public readers the notebooks use
    geo/                EPCI and zones d'emploi: reconciliation, aggregation, dynamics, peers
    indicators/         indices, shift-share, specialisation, flows, claims (pure functions)
    evaluation/         estimators (DiD, event study, synthetic control, SDID...) and inference
    designs/            who is treated and when (accords, Territoires d'industrie), with estimates
    plots/              every figure (the only place that draws) and the house style
    reporting/          figures with their data, results JSON, site, docs, regression
    workflow/           notebook runner, parameters, sweeps, checks, the ``reindus`` CLI
"""

__version__ = "0.1.0"

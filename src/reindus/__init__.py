"""reindus: reproducible research notebooks on the reindustrialisation of French territories.

Data flows one way::

    sources (registry, fetch, hash) -> loaders (raw -> tidy, validated)
    -> data/processed/*.parquet -> reindus.data (public readers)
    -> reindus.indicators / reindus.evaluation (pure functions)
    -> reindus.reporting (figures with their data, results JSON) -> notebooks
"""

__version__ = "0.1.0"

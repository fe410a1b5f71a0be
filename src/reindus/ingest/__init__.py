"""Ingest: from the public sources to the processed tables (the bottom layer above config).

- :mod:`.sources`: the source registry (``data/sources.toml``), fetch, sha256 checks;
- :mod:`.io`: atomic writes, hashes, Parquet I/O shared by every layer;
- :mod:`.loaders`: one loader a processed table (raw file -> tidy, validated frame);
- :mod:`.schemas`: the column schema of every processed table and its validation;
- :mod:`.build`: runs the loaders and writes ``data/processed`` with its manifest;
- :mod:`.scale`: the DuckDB path for the large commune x APE file;
- :mod:`.full_resolution`: the optional full-resolution sector table (``reindus build --full``).

Nothing here imports :mod:`reindus.data` or any layer above it.
"""

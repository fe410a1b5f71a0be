"""Workflow: running the project (the top layer).

- :mod:`.notebooks`: builds each notebook from its jupytext twin, executes it, caches runs;
- :mod:`.parameters`: the parameters cell of each notebook, its validation and coercion;
- :mod:`.sweep`: parameter grids run as what-if notebooks;
- :mod:`.checks`: ``reindus check`` (data, figures, results, notebooks, parameters);
- :mod:`.cli`: the ``reindus`` command line.
"""

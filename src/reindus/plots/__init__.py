"""Plots: every figure of the notebooks, and the house style.

- :mod:`.style`: matplotlib style, palettes, labels of regions and sectors;
- :mod:`.maps`: the choropleth shared by every map;
- :mod:`.descriptive`: regional indices, heatmaps, shift-share bars (notebooks 01, 03);
- :mod:`.accords`, :mod:`.evaluation`, :mod:`.sensitivity`: figures of the accord evaluation (02);
- :mod:`.epci`: maps and charts of the intercommunalités (04);
- :mod:`.territories`: maps and charts of the Territoires d'industrie (05).

Only this layer (and the reporting above it) imports matplotlib; the figures are saved with
their data by :func:`reindus.reporting.save_figure`.
"""

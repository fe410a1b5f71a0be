"""Every public plotting function returns ``(Figure, DataFrame)``: the figure and the data drawn.

The notebooks save both with :func:`reindus.reporting.save_figure`, so a figure is never
published without the numbers behind it. Checked by signature for every public function of
``plots.territories``, ``plots.epci``, ``plots.descriptive`` and ``plots.maps`` (so that a
new one cannot return a bare figure), and at run time, on small frames, for those that
used to return a figure alone or ``(fig, ax)`` and the new ones (the others are exercised
by tests/test_epci.py and the notebooks).
"""

from __future__ import annotations

import inspect

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from shapely.geometry import box  # noqa: E402

from reindus.plots import descriptive, epci, maps, territories  # noqa: E402

MODULES = (territories, epci, descriptive, maps)
NOT_PLOTS = {"maps.shared_limits",  # colour limits, not a figure
             "maps.geoplot"}  # a layer drawn on an existing axes, the building block of maps


def _public_functions() -> list[str]:
    return sorted(f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m in MODULES
                  for n, f in inspect.getmembers(m, inspect.isfunction)
                  if f.__module__ == m.__name__ and not n.startswith("_"))


def _squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"epci_code": ["A", "B"], "epci": ["CA a", "CC b"],
                             "v": [1.0, -2.0]},
                            geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs="EPSG:2154")


def _years(n: int = 4) -> pd.DataFrame:
    return pd.DataFrame({"year": np.arange(2017, 2017 + n), "coef": [0.01, 0.0, -0.02, -0.03][:n],
                         "ci_lo": -0.05, "ci_hi": 0.05})


CASES = {
    "territories.plot_group_means": lambda: territories.plot_group_means(pd.DataFrame(
        {"group": ["never", "never", "wave1", "wave1"], "year": [2018, 2019] * 2,
         "mean": [100.0, 101.0, 100.0, 99.0], "n_epci": [5, 5, 3, 3]})),
    "territories.plot_event_time": lambda: territories.plot_event_time(
        _years().rename(columns={"year": "event_time", "coef": "att"})),
    "territories.plot_zone_intensity": lambda: territories.plot_zone_intensity(
        _years(), first_treated=2019, wave=1),
    "territories.plot_heterogeneity": lambda: territories.plot_heterogeneity(pd.DataFrame(
        {"region_code": ["32", "44"], "region": ["HdF", "GE"], "estimate": [-0.01, 0.02],
         "ci_lo": [-0.05, -0.01], "ci_hi": [0.03, 0.05], "accord": [True, False],
         "n_treated": [10, 12], "n_controls": [5, 6]}), highlight="32"),
    "epci.plot_gains_losses": lambda: epci.plot_gains_losses(pd.DataFrame(
        {"epci_code": ["A", "B"], "epci": ["CA a", "CC b"], "chg_2023_2024": [10.0, -5.0],
         "pct_2023_2024": [1.0, -0.5]}), (2023, 2024)),
    "epci.plot_zone_sectors": lambda: epci.plot_zone_sectors({"zone": pd.DataFrame(
        {"sector_code": ["CA"], "sector": ["food"], "chg": [np.nan]})}, "chg"),
    "epci.plot_trajectories": lambda: epci.plot_trajectories(pd.DataFrame(
        {"series": ["X"] * 2, "kind": ["epci"] * 2, "year": [2019, 2020],
         "index": [100.0, 98.0]}), accord_year=None),
    "epci.plot_france_map": lambda: epci.plot_france_map(
        _squares(), epci.MapVariable("v", -3, 3, "v, %", diverging=True),
        _squares().dissolve()),
    "descriptive.lq_heatmap": lambda: descriptive.lq_heatmap(pd.DataFrame(
        {"CA": [1.2, 0.5], "CB": [0.9, 3.0]}, index=["HdF", "GE"]), "2024Q4"),
    "descriptive.event_panels": lambda: descriptive.event_panels(
        pd.DataFrame({"code": ["A", "A", "B"], "epci": ["CA a", "CA a", "CC b"],
                      "year": [2019, 2020, 2019], "index": [100.0, 97.0, 100.0],
                      "employment": [10, 9, 5]}),
        pd.DataFrame({"epci_code": ["A"], "effective_year": [2020], "kind": ["closure"],
                      "company": ["Acme plant"]}), ["A"]),
    "maps.choropleth": lambda: maps.choropleth(_squares(), "v", diverging=True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_plot_returns_figure_and_data(name: str) -> None:
    fig, frame = CASES[name]()
    try:
        assert isinstance(fig, Figure), name
        assert isinstance(frame, pd.DataFrame) and not isinstance(frame, gpd.GeoDataFrame), name
        assert len(frame), name
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", sorted(set(_public_functions()) - NOT_PLOTS))
def test_plot_declares_figure_and_data(name: str) -> None:
    module, fn = name.split(".")
    f = getattr({m.__name__.rsplit(".", 1)[1]: m for m in MODULES}[module], fn)
    assert inspect.signature(f).return_annotation == "tuple[Figure, pd.DataFrame]", name


def test_event_panels_return_the_lines_drawn() -> None:
    fig, lines = CASES["descriptive.event_panels"]()
    plt.close(fig)
    assert lines.to_dict("list") == {"code": ["A", "A"], "epci": ["CA a", "CA a"],
                                     "year": [2019, 2020], "index": [100.0, 97.0]}

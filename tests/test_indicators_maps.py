"""The choropleth helper of reindus.plots.maps (kept with the indicator tests)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from shapely.geometry import box  # noqa: E402

from reindus.plots import maps  # noqa: E402


def _grid(values) -> gpd.GeoDataFrame:
    geoms = [box(700_000 + 10_000 * i, 6_600_000, 710_000 + 10_000 * i, 6_610_000)
             for i in range(len(values))]
    return gpd.GeoDataFrame({"zone_code": [f"{i:04d}" for i in range(len(values))],
                             "value": values}, geometry=geoms, crs="EPSG:2154")


def test_shared_limits():
    assert maps.shared_limits([1, 5], [3, np.nan]) == (1.0, 5.0)
    assert maps.shared_limits([-2, 5], diverging=True) == (-5.0, 5.0)
    lo, hi = maps.shared_limits(np.arange(101), robust=True, quantiles=(0.1, 0.9))
    assert (lo, hi) == pytest.approx((10.0, 90.0))
    with pytest.raises(ValueError, match="no finite"):
        maps.shared_limits([np.nan])


def test_choropleth_draws_with_legend_missing_and_highlight():
    gdf = _grid([-3.0, 1.0, np.nan, 8.0])
    fig, mapped = maps.choropleth(gdf, "value", diverging=True, vmin=-5, vmax=5,
                                  legend_label="change, %", title="t", highlight=["0001"])
    ax = fig.axes[0]
    # the values mapped, without geometries, one row per unit
    assert type(mapped) is pd.DataFrame and "geometry" not in mapped.columns
    assert mapped["zone_code"].tolist() == gdf["zone_code"].tolist()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["highlighted", "no data"]
    cbar_ax = fig.axes[-1]
    assert cbar_ax.get_xlabel() == "change, %"
    assert ax.get_title() == "t"
    plt.close(fig)


def test_choropleth_reprojects_and_accepts_an_axis():
    gdf = _grid([1.0, 2.0]).to_crs("EPSG:4326")
    fig, ax = plt.subplots()
    fig2, _ = maps.choropleth(gdf, "value", ax=ax)
    assert fig2 is fig and fig.axes[0] is ax
    xmin, _ = ax.get_xlim()
    assert xmin > 100_000  # drawn in metres (Lambert-93), not degrees
    plt.close(fig)


def test_choropleth_refuses_bad_input():
    gdf = _grid([1.0, 2.0])
    with pytest.raises(ValueError, match="not in gdf"):
        maps.choropleth(gdf, "nope")
    with pytest.raises(TypeError, match="GeoDataFrame"):
        maps.choropleth(pd.DataFrame({"value": [1]}), "value")
    with pytest.raises(ValueError, match="vmin < 0 < vmax"):
        maps.choropleth(gdf, "value", diverging=True, vmin=1, vmax=3)
    with pytest.raises(ValueError, match="not found"):
        maps.choropleth(gdf, "value", highlight=["9999"])
    with pytest.raises(ValueError, match="no CRS"):
        maps.choropleth(gdf.set_crs(None, allow_override=True), "value")
    plt.close("all")


def test_geoplot_draws_nothing_until_the_figure_is_saved() -> None:
    """geopandas' plot() renders the whole figure (canvas.draw_idle) after every call; our
    geoplot() skips those renders and leaves the canvas as it found it."""
    from reindus.plots.maps import geoplot

    gdf = gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)])
    fig, ax = plt.subplots()
    renders = []
    original_draw = fig.canvas.draw
    fig.canvas.draw = lambda *a, **k: (renders.append(1), original_draw(*a, **k))[1]
    geoplot(gdf, ax, column="v")
    geoplot(gdf.boundary, ax, color="black")
    assert renders == []
    assert "draw_idle" not in vars(fig.canvas)  # the method is back
    gdf.plot(ax=ax)  # plain geopandas: renders at once (why geoplot exists)
    assert len(renders) == 1
    plt.close(fig)

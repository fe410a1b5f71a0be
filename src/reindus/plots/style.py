"""One house style for every figure: palette, source line, sector labels, units.

Applied centrally, so notebooks need not repeat it:

* :func:`apply` sets matplotlib's defaults (called when :mod:`reindus.reporting`
  is imported): the Okabe-Ito colour-blind-safe palette as the colour cycle,
  light axes, 200 dpi saving, deterministic SVG (fixed ``svg.hashsalt``).
* :func:`source_line` builds the attribution that the licences require
  (ODbL 1.0 for Urssaf, Licence Ouverte 2.0 for Insee, IGN and ANCT) from the
  producers a figure uses; :func:`reindus.reporting.save_figure` draws it under
  every figure. A notebook's producers are declared in :data:`NOTEBOOK_SOURCES`;
  maps add IGN themselves (:func:`add_sources`).
* :func:`sector_label` gives "code name" labels (``'CA food, beverages…'``)
  from :func:`reindus.data.sectors`, and :func:`relabel_sectors` rewrites
  bare NA codes in legends and tick labels.
* Effects are shown in percent, :math:`100 \\times` log points, labelled with
  :data:`EFFECT_UNIT`.
* :func:`label_line_ends` names the extreme lines of a spaghetti plot at their
  right end, so that no grey line stays anonymous.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from reindus.errors import require_columns

#: Okabe & Ito (2008) colour-blind-safe palette, ordered for categorical use
#: (blue, orange, bluish green, vermillion, sky blue, reddish purple, yellow, black).
OKABE_ITO: list[str] = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7",
                        "#F0E442", "#000000"]
#: Paul Tol's "muted" scheme (also colour-blind safe), used after Okabe-Ito runs out.
TOL_MUTED: list[str] = ["#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
                        "#CC6677", "#882255", "#AA4499"]
#: Emphasis colours: the unit under study, the reference (France, donors), the context.
FOCUS = "#D55E00"
REFERENCE = "#000000"
CONTEXT = "#B0B0B0"
#: Hatches that separate categories once colours repeat (beyond 17 categories).
HATCHES = ["", "//", "..", "xx", "\\\\", "oo"]

#: Label of effects: percent as 100 x log points, the same in every notebook.
EFFECT_UNIT = "%, 100 × log points"

#: Producer key -> (display name, licence) for the attribution line.
PRODUCERS: dict[str, tuple[str, str]] = {
    "urssaf": ("Urssaf", "ODbL 1.0"),
    "insee": ("Insee", "Licence Ouverte 2.0"),
    "ign": ("IGN", "Licence Ouverte 2.0"),
    "anct": ("ANCT", "Licence Ouverte 2.0"),
    "press": ("press sources compiled by reindus", ""),
}
#: Producers whose data each notebook uses (before maps add IGN).
NOTEBOOK_SOURCES: dict[str, list[str]] = {
    "00-data-sources": ["urssaf", "insee"],
    "01-regions-compared": ["urssaf", "insee"],
    "02-accords-before-after": ["urssaf", "insee", "press"],
    "03-job-losses-vs-creation": ["urssaf", "insee", "press"],
    "04-intercommunalites": ["urssaf", "insee", "press"],
    # 05 draws its map of labelled territories without maps.choropleth: IGN declared here
    "05-territoires-d-industrie": ["urssaf", "insee", "anct", "ign"],
    "06-claims-against-evidence": ["urssaf", "insee", "press"],
}
_SOURCES_ATTR = "_reindus_sources"


def apply() -> None:
    """Set the house style as matplotlib's defaults (idempotent)."""
    import matplotlib as mpl
    from cycler import cycler

    mpl.rcParams.update({
        "axes.prop_cycle": cycler(color=OKABE_ITO),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": "medium",
        "legend.frameon": False,
        "image.cmap": "viridis",
        "savefig.dpi": 200,
        # deterministic SVG: ids come from this salt, not from a random one
        "svg.hashsalt": "reindus",
    })


def categorical(n: int) -> list[str]:
    """``n`` colours from the house palettes: Okabe-Ito, then Tol muted, then repeats.

    Beyond 17 categories colours repeat: pair them with :func:`hatch` or,
    better, label the categories directly.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    base = OKABE_ITO + TOL_MUTED
    return [base[i % len(base)] for i in range(n)]


def hatch(i: int) -> str:
    """Hatch of category ``i``: none for the first 17, then one per round of colours."""
    return HATCHES[(i // (len(OKABE_ITO) + len(TOL_MUTED))) % len(HATCHES)]


# --------------------------------------------------------------------------- attribution


def producers_for(notebook: str | None) -> list[str]:
    """Producers declared for ``notebook`` (:data:`NOTEBOOK_SOURCES`), ``[]`` if unknown."""
    if not notebook:
        return []
    for name, keys in NOTEBOOK_SOURCES.items():
        if notebook == name or notebook.startswith(name.split("-")[0] + "-"):
            return list(keys)
    return []


def source_line(sources: Iterable[str] | str | None) -> str:
    """The attribution line of a figure.

    ``["urssaf", "insee", "ign"]`` -> ``"Source : Urssaf (ODbL 1.0) ; Insee, IGN
    (Licence Ouverte 2.0) — calculs reindus"``: producers grouped by licence, in
    the order of :data:`PRODUCERS`. A string is taken as the line itself.
    Unknown keys raise ``ValueError``.
    """
    if isinstance(sources, str):
        return sources
    keys = list(dict.fromkeys(sources or []))
    unknown = [k for k in keys if k not in PRODUCERS]
    if unknown:
        raise ValueError(f"unknown producer(s) {unknown}; known: {sorted(PRODUCERS)}")
    if not keys:
        return "Source : reindus (see the provenance table) — calculs reindus"
    groups: dict[str, list[str]] = {}
    for key in PRODUCERS:
        if key in keys:
            name, licence = PRODUCERS[key]
            groups.setdefault(licence, []).append(name)
    parts = [", ".join(names) + (f" ({lic})" if lic else "") for lic, names in groups.items()]
    return "Source : " + " ; ".join(parts) + " — calculs reindus"


def add_sources(fig: Any, *keys: str) -> None:
    """Attach producers to a figure (e.g. ``"ign"`` for a map); save_figure adds them."""
    unknown = [k for k in keys if k not in PRODUCERS]
    if unknown:
        raise ValueError(f"unknown producer(s) {unknown}; known: {sorted(PRODUCERS)}")
    current = list(getattr(fig, _SOURCES_ATTR, []))
    setattr(fig, _SOURCES_ATTR, list(dict.fromkeys(current + list(keys))))


def figure_sources(fig: Any) -> list[str]:
    """Producers attached to ``fig`` by :func:`add_sources`."""
    return list(getattr(fig, _SOURCES_ATTR, []))


def draw_source_line(fig: Any, text: str) -> Any:
    """Write ``text`` in small grey type under everything the figure draws.

    The line goes below the lowest artist (rotated tick labels, a colour bar,
    an x label), so it never overlaps them; an earlier source line is replaced.
    """
    for t in list(fig.texts):
        if t.get_gid() == "reindus-source":
            t.remove()
    try:
        bbox = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
        x = bbox.x0 / fig.get_figwidth()
        y = (bbox.y0 - 4 / 72) / fig.get_figheight()
    except Exception:  # noqa: BLE001 - a backend without renderer: fall back below the axes
        x, y = 0.005, -0.005
    return fig.text(x, y, text, ha="left", va="top", fontsize=7, color="#555555",
                    gid="reindus-source", transform=fig.transFigure)


# --------------------------------------------------------------------------- sectors


@functools.cache
def _sector_names() -> dict[str, str]:
    from reindus import data

    try:
        table = data.sectors()
    except Exception:  # noqa: BLE001 - no processed data: labels stay codes
        return {}
    return dict(zip(table["sector_code"].astype(str), table["sector"].astype(str), strict=True))


def sector_label(code: str, names: Mapping[str, str] | None = None, width: int = 38) -> str:
    """``"CA Industries agro-alimentaires"``: the NA code followed by its (French) name.

    Parameters
    ----------
    code
        NA28i/NA38 sector code (``'CA'``, ``'CD-CE-CF'``).
    names
        Code -> name; default :func:`reindus.data.sectors`.
    width
        Longest label, in characters; longer names end with an ellipsis.
    """
    names = _sector_names() if names is None else names
    name = names.get(str(code))
    if not name:
        return str(code)
    label = f"{code} {name}"
    return label if len(label) <= width else label[: width - 1].rstrip(" ,;-") + "…"


def relabel_sectors(fig: Any, names: Mapping[str, str] | None = None) -> int:
    """Rewrite legend entries and tick labels that are bare sector codes as :func:`sector_label`.

    Returns the number of labels rewritten. Texts that are not exactly a known
    code are left alone, so region names or years never change.
    """
    names = _sector_names() if names is None else names
    if not names:
        return 0
    count = 0
    for ax in fig.axes:
        legend = ax.get_legend()
        texts = list(legend.get_texts()) if legend is not None else []
        for t in texts:
            if t.get_text() in names:
                t.set_text(sector_label(t.get_text(), names))
                count += 1
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels()
            if labels and any(lab.get_text() in names for lab in labels):
                new = [sector_label(lab.get_text(), names) if lab.get_text() in names
                       else lab.get_text() for lab in labels]
                count += sum(lab.get_text() in names for lab in labels)
                axis.set_ticks(axis.get_ticklocs(), new)
    return count


# --------------------------------------------------------------------------- outliers


def label_line_ends(ax: Any, frame: pd.DataFrame, *, x: str, y: str, by: str,
                    label: str | None = None, n: int = 2, exclude: Sequence[str] = (),
                    fontsize: float = 7, color: str = "#444444") -> list[str]:
    """Name the ``n`` highest and ``n`` lowest series at their last point.

    For a plot of many grey lines (one per region), the extreme ones are the
    outliers a reader asks about; each gets its name at the right end.

    Parameters
    ----------
    frame
        The plotted data, long format: one row per (``by``, ``x``).
    x, y, by
        Columns of the x position, the value and the series key.
    label
        Column of the display name (default ``by``).
    n
        Series labelled at each end of the ranking of last values.
    exclude
        Keys never labelled here (e.g. the focus region, already in the legend).

    Returns
    -------
    list of str
        Keys labelled, highest first.
    """
    require_columns(frame, (x, y, by, label or by), "label_line_ends: frame")
    last = (frame.dropna(subset=[y]).sort_values(x).groupby(by, sort=False).tail(1)
            .loc[lambda d: ~d[by].astype(str).isin([str(e) for e in exclude])]
            .sort_values(y, ascending=False))
    if len(last) <= 2 * n:
        picked = last
    else:
        picked = pd.concat([last.head(n), last.tail(n)])
    xs = picked[x]
    if isinstance(xs.dtype, pd.PeriodDtype):
        xs = xs.dt.to_timestamp()
    for xv, yv, text in zip(xs, picked[y], picked[label or by], strict=True):
        ax.annotate(str(text), (xv, yv), xytext=(3, 0), textcoords="offset points",
                    fontsize=fontsize, color=color, va="center", annotation_clip=False)
    return [str(k) for k in picked[by]]


def _line_keys(frame: pd.DataFrame, ys: list[np.ndarray]) -> list[str] | None:
    """Name of each line from the plotted data: the label column whose groups hold its values.

    A column qualifies when every line's y values equal (to 1e-3 relative) one
    group's values of some numeric column, each line a different group. Names
    (``region``) are preferred to codes (``region_code``).
    """
    text_cols = [c for c in frame.columns
                 if (frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c]))
                 and 2 <= frame[c].nunique() <= 200]
    text_cols.sort(key=lambda c: str(c).endswith("code"))
    num_cols = [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])
                or pd.api.types.is_integer_dtype(frame[c])]
    for key in text_cols:
        groups = {str(k): g for k, g in frame.groupby(key, sort=False)}
        for col in num_cols:
            found: list[str] = []
            for y in ys:
                hit = next((k for k, g in groups.items() if len(g) == len(y) and k not in found
                            and np.allclose(g[col].to_numpy(dtype="float64"), y, rtol=1e-3,
                                            atol=1e-9, equal_nan=True)), None)
                if hit is None:
                    break
                found.append(hit)
            if len(found) == len(ys):
                return found
    return None


def label_unlabelled_lines(fig: Any, data: pd.DataFrame, n: int = 2, min_lines: int = 4
                           ) -> list[str]:
    """Name the extreme anonymous lines of a spaghetti plot, found from the plotted data.

    On each axes with at least ``min_lines`` lines that have no legend label,
    each such line is matched to the series of ``data`` that it draws
    (:func:`_line_keys`); the ``n`` with the highest and the ``n`` with the
    lowest last value get their name at their right end. Nothing is drawn when
    the lines cannot all be matched. Returns the names written.
    """
    written: list[str] = []
    for ax in fig.axes:
        lines = [ln for ln in ax.get_lines() if ln.get_label().startswith("_")
                 and len(np.atleast_1d(ln.get_ydata())) >= 3]
        if len(lines) < min_lines:
            continue
        ys = [np.asarray(ln.get_ydata(), dtype="float64") for ln in lines]
        keys = _line_keys(data, ys)
        if keys is None:
            continue
        last = [(y[np.isfinite(y)][-1] if np.isfinite(y).any() else np.nan, i)
                for i, y in enumerate(ys)]
        ranked = sorted((v, i) for v, i in last if np.isfinite(v))
        picked = ranked[-n:][::-1] + ranked[:n] if len(ranked) > 2 * n else ranked[::-1]
        for _, i in picked:
            line = lines[i]
            x = np.asarray(line.get_xdata())
            ok = np.isfinite(ys[i])
            ax.annotate(keys[i], (x[ok][-1], ys[i][ok][-1]), xytext=(3, 0),
                        textcoords="offset points", fontsize=7, color="#444444", va="center",
                        annotation_clip=False, gid="reindus-line-label")
            written.append(keys[i])
    return written


def percent_from_log_points(values: Any) -> Any:
    """:math:`100 \\times` log points (the unit of every plotted effect)."""
    return 100 * np.asarray(values, dtype="float64") if not isinstance(values, pd.Series) \
        else 100 * values



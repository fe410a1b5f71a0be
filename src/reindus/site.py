"""The static reports site: ``reports/index.html`` and what it links to.

Everything is relative links between local files, so the folder reads
offline in a browser and can be published as it is.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from reindus import config
from reindus.io import write_text
from reindus.notebooks import notebook_paths, to_html
from reindus.sources import provenance_table

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d2733;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em} h2{border-bottom:2px solid #dde3ea;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;width:100%;font-size:.88em} th,td{border:1px solid #dde3ea;padding:.3em .5em;
vertical-align:top;text-align:left} th{background:#f2f5f8} .muted{color:#5b6b7b;font-size:.9em}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:1em}
.card{border:1px solid #dde3ea;border-radius:6px;padding:.5em;background:#fff}
.card img{width:100%;height:150px;object-fit:contain;background:#fafbfc}
.tag{display:inline-block;background:#fde8c8;border-radius:3px;padding:0 .35em;font-size:.8em}
a{color:#0b5cad}
"""


def _esc(x: object) -> str:
    return html.escape(str(x))


def _fmt(v: object) -> str:
    """Numbers as a reader wants them: thousands separators, four decimals at most."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _esc(v)
    if isinstance(v, int) or (abs(v) >= 1000 and float(v).is_integer()):
        return f"{v:,.0f}"
    if abs(v) >= 1000:
        return f"{v:,.1f}"
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def provenance_html() -> str:
    """The provenance table as an HTML fragment (generated from data/sources.toml)."""
    prov = provenance_table()
    rows = []
    for r in prov.itertuples():
        tag = ' <span class="tag">third-party snapshot</span>' if r.third_party else ""
        rows.append(
            f"<tr><td><code>{_esc(r.id)}</code>{tag}</td><td>{_esc(r.title)}</td>"
            f"<td>{_esc(r.producer)}</td><td>{_esc(r.licence)}</td>"
            f"<td><a href=\"{_esc(r.official_page)}\">official page</a></td>"
            f"<td>{_esc(r.obtained_from)}</td><td>{_esc(r.coverage)}</td></tr>")
    return ("<table><tr><th>source</th><th>dataset</th><th>producer</th><th>licence</th>"
            "<th>page</th><th>obtained from</th><th>coverage</th></tr>" + "".join(rows) + "</table>")


def build_site(reports: Path | None = None) -> Path:
    """Export every notebook to HTML and write ``reports/index.html``."""
    reports = reports or config.reports_dir()
    nb_dir = reports / "notebooks"
    nb_links = []
    for path in notebook_paths():
        out = to_html(path, nb_dir)
        nb_links.append((path.stem, out.relative_to(reports).as_posix()))
    write_text(_page("Data sources and licences", provenance_html()), reports / "provenance.html")

    figs = sorted((reports / "figures").glob("*.png"))
    cards = []
    for png in figs:
        meta_path = png.with_suffix(".json")
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        csv = png.with_suffix(".csv")
        cards.append(
            f'<div class="card"><a href="figures/{_esc(png.name)}"><img src="figures/{_esc(png.name)}" '
            f'alt="{_esc(png.stem)}"></a><div><b>{_esc(png.stem)}</b></div>'
            f'<div class="muted">notebook {_esc(meta.get("notebook", "?"))} · '
            + (f'<a href="figures/{_esc(csv.name)}">data (CSV)</a>' if csv.exists() else "no data")
            + (f' · <a href="figures/{_esc(meta_path.name)}">metadata</a>' if meta_path.exists() else "")
            + "</div></div>")
    results = sorted((reports / "results").glob("*.json"))
    res_rows = []
    for path in results:
        obj = json.loads(path.read_text())
        for name, r in obj.get("results", {}).items():
            interval = r.get("interval")
            res_rows.append(
                f"<tr><td><a href=\"results/{_esc(path.name)}\">{_esc(obj.get('notebook'))}</a></td>"
                f"<td><code>{_esc(name)}</code></td><td>{_fmt(r.get('estimate'))}</td>"
                f"<td>{'[' + ', '.join(_fmt(x) for x in interval) + ']' if interval else ''}</td>"
                f"<td>{_fmt(r['p_value']) if r.get('p_value') is not None else ''}</td>"
                f"<td>{_esc(r.get('unit', ''))}</td><td>{_esc(r.get('method', ''))}</td></tr>")
    sweeps = sorted((reports / "sweeps").glob("*.csv"))
    sweep_items = "".join(
        f'<li><a href="sweeps/{_esc(s.name)}">{_esc(s.stem)}</a> (table)'
        + (f' · <a href="sweeps/{_esc(s.stem)}.png">summary figure</a>' if s.with_suffix(".png").exists()
           else "") + "</li>" for s in sweeps)
    body = (
        "<p>Reproducible research notebooks on the reindustrialisation of French territories. "
        "Every figure comes with the data behind it; every headline number with its method and "
        "interval. Regenerate this site with <code>make reports</code>.</p>"
        "<h2>Notebooks</h2><ul>"
        + "".join(f'<li><a href="{_esc(href)}">{_esc(stem)}</a></li>' for stem, href in nb_links)
        + "</ul><h2>Headline results</h2><table><tr><th>notebook</th><th>name</th><th>estimate</th>"
        "<th>interval</th><th>p-value</th><th>unit</th><th>method</th></tr>" + "".join(res_rows)
        + "</table><h2>Figures</h2><div class=\"grid\">" + "".join(cards) + "</div>"
        + ("<h2>Parameter sweeps</h2><p>Each notebook rerun over a grid of parameters "
           "(<code>reindus sweep sweeps/&lt;grid&gt;.yaml</code>), results gathered in one "
           f"table.</p><ul>{sweep_items}</ul>" if sweeps else "")
        + "<h2>Data</h2><p><a href=\"provenance.html\">Data sources, licences and provenance</a>. "
        "Urssaf data: ODbL 1.0; Insee and IGN: Licence Ouverte 2.0.</p>")
    index = reports / "index.html"
    write_text(_page("reindus: reports", body), index)
    return index


def _page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_esc(title)}"
            f"</title><style>{_CSS}</style></head><body><h1>{_esc(title)}</h1>{body}</body></html>\n")

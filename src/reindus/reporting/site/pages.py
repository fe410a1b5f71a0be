"""Generated pages of the book: home, results, provenance, methods, runs, downloads.

Pages are MyST Markdown written into the staging folder; tables are HTML
blocks (so they can carry a filter and right-aligned numbers) and every link
to a committed file is relative, so the built folder reads offline.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from reindus import config
from reindus.ingest.io import write_text

#: Built folder of the French-spreadsheet CSV variants (git-ignored, in reports/).
FRENCH_DIR = "csv-fr"
_NUMBER = re.compile(r"^-?\d+\.\d+(?:[eE][-+]?\d+)?$|^-?\d+(?:[eE][-+]?\d+)$")


def load_book() -> dict[str, Any]:
    """``docs/book/book.yml``: home text, notebook summaries (EN/FR), repository."""
    path = config.ROOT / "docs" / "book" / "book.yml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def repository_url(book: dict[str, Any]) -> str:
    """Public https URL of the repository: book.yml ``repository``, else git's ``origin``."""
    url = str(book.get("repository") or "").strip()
    if not url:
        try:
            url = subprocess.run(["git", "-C", str(config.ROOT), "config", "--get",
                                  "remote.origin.url"], capture_output=True, text=True,
                                 check=False).stdout.strip()
        except OSError:
            url = ""
    m = re.match(r"git@github\.com:(.+?)(?:\.git)?$", url)
    if m:
        url = f"https://github.com/{m.group(1)}"
    return url if url.startswith("https://github.com/") else ""


# --------------------------------------------------------------------------- French CSVs


def french_csv_text(text: str) -> str:
    """A CSV rewritten for a French spreadsheet: ``;`` separators, decimal commas, BOM.

    Only cells that are decimal numbers (``-1.5``, ``2e-05``) change; codes such
    as ``'01'`` or quarters such as ``'2024Q1'`` stay as they are. The result
    starts with a UTF-8 byte-order mark so that Excel reads accents correctly.
    """
    import csv
    import io

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([c.replace(".", ",") if _NUMBER.match(c) else c for c in row])
    return "\ufeff" + out.getvalue()


def french_dir_for(reports: Path, figures: Path) -> Path:
    """Where the French variants of the CSVs of ``figures`` go (under ``reports/csv-fr``)."""
    rel = figures.relative_to(reports).as_posix() if figures.is_relative_to(reports) else "x"
    return reports / FRENCH_DIR / rel.replace("/", "__")


def caption_html(name: str, meta: dict[str, Any], fig_dir_href: str,
                 fr_dir_href: str | None, figures: Path | None = None) -> str:
    """The caption box under a figure: caption, source line, downloads.

    ``figures``: the folder of the files, to offer the SVG only when it exists.
    """
    esc = html.escape
    links = [f'<a href="{fig_dir_href}/{esc(name)}.png">PNG</a>']
    if meta.get("svg") and (figures is None or (figures / f"{name}.svg").exists()):
        links.append(f'<a href="{fig_dir_href}/{esc(name)}.svg">SVG</a>')
    links.append(f'<a href="{fig_dir_href}/{esc(name)}.csv">data (CSV)</a>')
    if fr_dir_href:
        links.append(f'<a href="{fr_dir_href}/{esc(name)}.csv">données (CSV ; Excel FR)</a>')
    caption = meta.get("caption") or ""
    source = meta.get("source_line") or ""
    return (f'<div class="reindus-caption"><b>Figure <code>{esc(name)}</code>.</b> '
            f"{esc(caption)}" + (f' <span class="src">{esc(source)}.</span>' if source else "")
            + f' <span class="reindus-downloads">{" ".join(links)}</span></div>')


def write_french_csvs(reports: Path) -> int:
    """Write the French variant of every figure CSV (committed and runs); return the count."""
    target_root = reports / FRENCH_DIR
    if target_root.exists():
        shutil.rmtree(target_root)
    folders = [reports / "figures"] + sorted(reports.glob("runs/*/figures")) \
        + sorted(reports.glob("scratch/*/figures"))
    n = 0
    for folder in folders:
        for csv in sorted(folder.glob("*.csv")):
            target = french_dir_for(reports, folder) / csv.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(french_csv_text(csv.read_text(encoding="utf-8")).encode("utf-8"))
            n += 1
    return n


# --------------------------------------------------------------------------- labels

_TOKENS = {
    "hdf": "Hauts-de-France", "bfc": "Bourgogne-Franche-Comté", "ge": "Grand Est",
    "occ": "Occitanie", "fr": "France", "ti": "Territoires d'industrie", "cs":
    "Callaway-Sant'Anna", "did": "difference-in-differences", "att": "ATT", "twfe": "TWFE",
    "ipw": "IPW", "synth": "synthetic control", "pct": "%", "p": "p-value", "n": "number of",
    "qoq": "quarter-on-quarter", "yoy": "year-on-year", "cagr": "CAGR", "12m": "12 months",
    "pretrend": "pre-trend", "krugman": "Krugman", "epci": "EPCI", "insee": "Insee",
    "urssaf": "Urssaf", "vs": "vs", "conley": "Conley-", "taber": "Taber", "lq": "LQ",
}


def readable_label(name: str) -> str:
    """``'hdf_industry_change_pct_1998q4_2008q4'`` -> ``'Hauts-de-France industry change %
    1998Q4–2008Q4'``: codes expanded, quarters upper-cased, year pairs joined by a dash."""
    words = []
    for tok in name.split("_"):
        if re.fullmatch(r"\d{4}q[1-4]", tok):
            words.append(tok.upper())
        elif tok in _TOKENS:
            words.append(_TOKENS[tok])
        elif re.fullmatch(r"wave\d", tok):
            words.append(f"wave {tok[4:]}")
        else:
            words.append(tok)
    text = " ".join(words).replace("Conley- Taber", "Conley-Taber")
    text = re.sub(r"(\d{4}(?:Q[1-4])?) (\d{4}(?:Q[1-4])?)", r"\1–\2", text)
    return text[:1].upper() + text[1:]


def fmt_number(v: Any) -> str:
    """Numbers as a reader wants them: thousands separators, at most four decimals."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return html.escape("" if v is None else str(v))
    if isinstance(v, int) or (abs(v) >= 1000 and float(v).is_integer()):
        return f"{v:,.0f}"
    if abs(v) >= 1000:
        return f"{v:,.1f}"
    text = f"{v:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


# --------------------------------------------------------------------------- pages


#: Front matter of the pages with wide tables: no right-hand contents column.
_WIDE = "---\nhtml_theme.sidebar_secondary.remove: true\n---\n"


def _html_block(text: str) -> str:
    """An HTML block for MyST: no blank line inside, or the block would end there."""
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"


def _results_rows(results_dir: Path, page_dir: Path, in_book: set[str]
                  ) -> tuple[list[str], list[str]]:
    rows, claims = [], []
    for path in sorted(results_dir.glob("*.json")):
        obj = json.loads(path.read_text(encoding="utf-8"))
        nb = html.escape(str(obj.get("notebook", path.stem)))
        href = Path(os.path.relpath(path, page_dir)).as_posix()
        nb_link = f'<a href="notebooks/{nb}.html">{nb[:2]}</a>' if nb in in_book else nb
        for name, r in obj.get("results", {}).items():
            est, unit = r.get("estimate"), r.get("unit", "")
            if name.startswith("claim_"):
                claims.append(
                    f"<tr><td>{nb_link}</td><td>{html.escape(str(r.get('claim', name)))}</td>"
                    f"<td>{html.escape(str(r.get('source', '')))}</td>"
                    f"<td>{html.escape(str(r.get('value', fmt_number(est))))}</td>"
                    f"<td><b>{html.escape(str(r.get('verdict', '')))}</b></td></tr>")
                continue
            interval = r.get("interval")
            shown = fmt_number(est)
            if unit == "log points" and isinstance(est, (int, float)) and not isinstance(est, bool):
                # every effect also in percent (100 x log points), the unit of the figures
                shown += f" <span class='src'>({fmt_number(100 * est)} %)</span>"
            rows.append(
                f"<tr><td>{nb_link}</td><td>{html.escape(readable_label(name))}<br>"
                f"<code class='src'>{html.escape(name)}</code><br><span class='src'>"
                f"{html.escape(str(r.get('method', '')))}</span></td>"
                f"<td class='num'>{shown}</td>"
                f"<td class='num'>{'[' + ', '.join(fmt_number(x) for x in interval) + ']' if interval else ''}</td>"
                f"<td>{html.escape(unit)}</td>"
                f"<td class='num'>{fmt_number(r['p_value']) if r.get('p_value') is not None else ''}</td>"
                f"<td class='num'>{fmt_number(r['n']) if r.get('n') is not None else ''}</td>"
                f"<td><a href='{href}'>JSON</a></td></tr>")
    return rows, claims


def results_page(reports: Path, in_book: set[str] | None = None) -> str:
    """The results page: every recorded number, readable, with a filter; claims apart.

    ``in_book``: notebook names that have a page (their rows link to it).
    """
    rows, claims = _results_rows(reports / "results", reports, in_book or set())
    text = [_WIDE, "# Results", "",
            "Every headline number recorded by the notebooks (`reports/results/*.json`), with "
            "its interval, unit, p-value, sample size and method. Effects in log points are "
            "also shown in percent (100 × log points), the unit of the figures. Type in the "
            "box to filter (all words must match).", "",
            _html_block('<input class="reindus-filter" type="search" '
                        'placeholder="filter: e.g. Hauts-de-France ATT" '
                        'data-filter-target="results-table" aria-label="filter the results">\n'
                        '<div class="reindus-wide"><table class="reindus-table" '
                        'id="results-table"><thead><tr><th>nb</th><th>result</th>'
                        '<th>estimate</th><th>interval</th><th>unit</th><th>p</th><th>n</th>'
                        '<th>file</th></tr></thead><tbody>\n'
                        + "\n".join(rows) + "\n</tbody></table></div>")]
    if claims:
        text += ["", "## Claims checked against the data", "",
                 "Published claims (press, official communication) and what the data say.", "",
                 _html_block('<input class="reindus-filter" type="search" placeholder="filter '
                             'the claims" data-filter-target="claims-table" aria-label="filter '
                             'the claims">\n<div class="reindus-wide"><table '
                             'class="reindus-table" id="claims-table"><thead><tr><th>nb</th>'
                             '<th>claim</th><th>source</th><th>value</th><th>verdict</th></tr>'
                             '</thead><tbody>\n' + "\n".join(claims)
                             + "\n</tbody></table></div>")]
    return "\n".join(text) + "\n"


def provenance_page() -> str:
    """The provenance table (data/sources.toml) as a page: producer, licence, official page."""
    from reindus import data

    rows = []
    for r in data.provenance().itertuples():
        tag = ' <span class="src">(third-party snapshot)</span>' if r.third_party else ""
        m = re.search(r"https?://\S+", str(r.official_page))
        page = (f'<a href="{html.escape(m.group(0))}">official page</a>'
                + html.escape(str(r.official_page).replace(m.group(0), "")) if m
                else html.escape(str(r.official_page)))
        rows.append(f"<tr><td><code>{html.escape(r.id)}</code>{tag}</td>"
                    f"<td>{html.escape(r.title)}</td><td>{html.escape(r.producer)}</td>"
                    f"<td>{html.escape(r.licence)}</td><td>{page}</td>"
                    f"<td>{html.escape(r.obtained_from)}</td><td>{html.escape(r.coverage)}"
                    "</td></tr>")
    return (_WIDE + "\n# Data sources, licences and provenance\n\nGenerated from `data/sources.toml`. "
            "Urssaf data are under the ODbL 1.0; Insee, IGN and ANCT data under the Licence "
            "Ouverte 2.0: reuse them with attribution, as every figure's source line does.\n\n"
            + _html_block('<input class="reindus-filter" type="search" placeholder="filter '
                          'the sources" data-filter-target="provenance-table" '
                          'aria-label="filter the sources">\n<div class="reindus-wide">'
                          '<table class="reindus-table" id="provenance-table"><thead><tr>'
                          '<th>source</th><th>dataset</th><th>producer</th><th>licence</th>'
                          '<th>page</th><th>obtained from</th><th>coverage</th></tr></thead>'
                          '<tbody>\n' + "\n".join(rows) + "\n</tbody></table></div>"))


def figures_page(reports: Path, in_book: set[str]) -> str:
    """Every committed figure, by notebook: thumbnail, caption, source line, downloads."""
    metas: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for path in sorted((reports / "figures").glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        metas.setdefault(str(meta.get("notebook", "")), []).append((path.stem, meta))
    fr = french_dir_for(reports, reports / "figures")
    lines = ["# Figures", "",
             "Every published figure with its caption, its source line and the data it plots "
             "(PNG at 200 dpi, SVG, CSV, and the CSV for a French spreadsheet).", ""]
    for nb, items in sorted(metas.items()):
        head = f"[{nb}](notebooks/{nb}.ipynb)" if nb in in_book else f"`{nb}`"
        lines += [f"## {head}", ""]
        for name, meta in items:
            lines.append(_html_block(
                f'<div class="reindus-figure"><a href="figures/{html.escape(name)}.png">'
                f'<img src="figures/{html.escape(name)}.png" alt="{html.escape(name)}" '
                f'loading="lazy" style="max-width:100%"></a>\n'
                + caption_html(name, meta, "figures",
                               FRENCH_DIR + "/figures" if fr.exists() else None,
                               reports / "figures") + "</div>"))
            lines.append("")
    return "\n".join(lines) + "\n"


def runs_page(runs: list[dict[str, Any]], reports: Path) -> str:
    """What-if runs (``reindus run NN -p ...``), scratch sessions and sweeps."""
    lines = ["# What-if runs and sweeps", "",
             "A what-if run re-executes a notebook with other parameters "
             "(`reindus run 01 -p region 44`); its text, figures and results are its own and "
             "never overwrite the published ones. Interactive sessions write to "
             "`reports/scratch/`. Both are git-ignored and listed here when present.", ""]
    if not runs:
        lines += ["No what-if run in this build.", ""]
    for run in runs:
        params = ", ".join(f"`{k}` = `{v}`" for k, v in sorted(run["parameters"].items()))
        head = f"[{run['slug']}](/{run['doc']})" if run["doc"] else f"`{run['folder']}`"
        lines.append(f"- {head}: {params or 'no parameters recorded'}; "
                     f"{len(run['figures'])} figure(s)"
                     + (f", <a href=\"{html.escape(run['results'])}\">results (JSON)</a>"
                        if run["results"] else ""))
    sweeps = sorted((reports / "sweeps").glob("*.csv"))
    if sweeps:
        lines += ["", "## Parameter sweeps", "",
                  "Each notebook rerun over a grid of parameters "
                  "(`reindus sweep sweeps/<grid>.yaml`), results gathered in one table.", ""]
        for s in sweeps:
            png = s.with_suffix(".png")
            lines.append(f'- <a href="sweeps/{html.escape(s.name)}">{html.escape(s.stem)}</a> '
                         "(table)" + (f' · <a href="sweeps/{html.escape(png.name)}">summary '
                                      "figure</a>" if png.exists() else ""))
    return "\n".join(lines) + "\n"


def downloads_page(french_csvs: int) -> str:
    """How to open the data: plain CSV, and the French-spreadsheet variant."""
    return f"""# Downloads and spreadsheets

Each figure comes with the data it plots. Two variants of every CSV are offered under each
figure:

- **data (CSV)** — `reports/figures/<name>.csv`, the committed file: comma separators, a dot
  as decimal mark, UTF-8, floats with 10 significant digits. Read it with pandas, R, or a
  spreadsheet set to English conventions.
- **données (CSV ; Excel FR)** — `reports/{FRENCH_DIR}/figures/<name>.csv`, generated when the
  book is built ({french_csvs} files in this build): semicolon separators, a comma as decimal
  mark, a UTF-8 byte-order mark (so accents such as *Île-de-France* display correctly) and
  Windows line ends. Double-click opens it correctly in Excel or LibreOffice with French
  settings. Codes (`01`, `2024Q1`) are unchanged.

*Pour un tableur en français, prendre la variante « données (CSV ; Excel FR) » : séparateur
point-virgule, virgule décimale, UTF-8 avec BOM.*

Results (`reports/results/*.json`) are JSON; the [results page](results.md) shows them as a
table.
"""


def notebook_title(path: Path) -> str:
    """The first ``# `` heading of a notebook (its title), else its file stem."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb.get("cells", []):
        text = "".join(cell.get("source", "")).lstrip()
        if cell.get("cell_type") == "markdown" and text.startswith("# "):
            return text[2:].splitlines()[0].strip()
    return path.stem


def home_page(book: dict[str, Any], nb_docs: list[str], extra_docs: list[str],
              titles: dict[str, str] | None = None) -> str:
    """The home page, in English and French, with the table of contents."""
    home = book.get("home") or {}
    summaries = book.get("notebooks") or {}
    titles = titles or {}
    items = []
    for doc in nb_docs:
        stem = doc.split("/")[-1]
        info = summaries.get(stem, {})
        items.append(f"- **[{titles.get(doc, stem)}]({doc}.ipynb)**  \n"
                     f"  {info.get('en', '')}  \n"
                     f"  <span lang=\"fr\"><i>FR :</i> {html.escape(info.get('fr', ''))}</span>")
    return "\n".join([
        "# reindus: the reindustrialisation of French territories", "",
        "<div class=\"lang-en\">", "", home.get("en", ""), "</div>", "",
        "<div class=\"lang-fr\" lang=\"fr\">", "", home.get("fr", ""), "</div>", "",
        "## Notebooks · Carnets", "", *items, "",
        "Rebuild everything with `make reports` (runs every notebook, then this book). "
        "Each page shows the executed notebook, its figures with captions, sources and data, "
        "and exercises whose solutions are folded (click *Solution*).", "",
        "```{toctree}", ":caption: Notebooks", ":maxdepth: 1", ":hidden:", "",
        *nb_docs, "```", "",
        "```{toctree}", ":caption: Results and data", ":maxdepth: 1", ":hidden:", "",
        *extra_docs, "```", ""])


def write_pages(src: Path, reports: Path, book: dict[str, Any], *, nb_docs: list[str],
                run_docs: list[dict[str, Any]], map_doc: str | None, french_csvs: int) -> None:
    """Write every generated page into the staging folder ``src``."""
    write_text(results_page(reports, {d.split("/")[-1] for d in nb_docs}), src / "results.md")
    write_text(provenance_page(), src / "provenance.md")
    write_text(runs_page(run_docs, reports), src / "runs.md")
    write_text(figures_page(reports, {d.split("/")[-1] for d in nb_docs}), src / "figures.md")
    write_text(downloads_page(french_csvs), src / "downloads.md")
    methods = (config.ROOT / "docs" / "methods.md").read_text(encoding="utf-8")
    write_text(methods, src / "methods.md")
    extra = ["results", "figures", *([map_doc] if map_doc else []), "runs", "provenance",
             "methods",
             "downloads"]
    run_pages = [r["doc"] for r in run_docs if r["doc"]]
    if run_pages:
        # what-if pages are reachable from the runs page; a hidden toctree gives them
        # previous/next links and a place in the search index
        write_text(runs_page(run_docs, reports) + "\n```{toctree}\n:hidden:\n\n"
                   + "\n".join(f"/{d}" for d in run_pages) + "\n```\n", src / "runs.md")
    titles = {doc: notebook_title(src / f"{doc}.ipynb") for doc in nb_docs}
    write_text(home_page(book, nb_docs, extra, titles), src / "index.md")


__all__ = ["FRENCH_DIR", "french_csv_text", "load_book", "readable_label", "repository_url",
           "write_french_csvs", "write_pages"]

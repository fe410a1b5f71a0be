r"""Full resolution: industrial employment by EPCI and zone d'emploi from the official commune × APE file.

The embedded data cannot carry employment by intercommunalité (EPCI) *and*
sector over time. The official Urssaf file *Nombre d'établissements employeurs
et effectifs salariés du secteur privé, par commune x APE* can (open data,
ODbL 1.0, about 1.2–1.5 million rows, one column pair per year since 2006), but
it is large and changes with every vintage, so it is an **optional** source:

1. :func:`fetch_full` downloads it (``reindus fetch --full``, needs the
   internet) or takes a file the user already has (``--from FILE``), streams it
   to ``data/raw/`` through a temporary file, and records what it got (sha256,
   size, date, vintage) in the lock file ``data/full-resolution.lock.json``,
   which a user can commit: a new vintage changes the hash, deliberately.
2. :func:`build_sector_employment` turns it into two tables in the git-ignored
   folder :func:`full_dir` (``data/full/``): ``sector_employment_epci`` and
   ``sector_employment_zone_emploi``, with columns ``code, sector_code (NA38),
   a5, year, establishments, employment``. It streams through DuckDB (memory
   capped), maps communes merged since the vintage to their current commune and
   so to their current EPCI (COG 2026), and keeps blank cells missing: a
   (code, sector, year) whose cells are all blank has ``employment = <NA>``,
   never 0.
3. :func:`check_against_totals` compares the sector sums with the embedded
   all-sector totals (``data.area_employment``) over the overlapping years.

Without the file nothing changes: the embedded default data stay the main path.

Industry is defined once for NA38 codes, as for the embedded zone table: the
sectors of the A5 aggregate ``BE`` (sections B to E: extractive industries,
manufacturing, energy, water and waste), see :func:`a5_of_na38`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from reindus import config
from reindus.errors import DataError
from reindus.ingest.io import sha256_file
from reindus.ingest.sources import FULL_RAW_NAME as RAW_NAME
from reindus.ingest.sources import full_lock_path as lock_path
from reindus.ingest.sources import verify_full_lock as verify_lock

#: Registry id of the optional source (``data/sources.toml``).
SOURCE_ID = "urssaf_commune_ape_full"
#: Producer's CSV export of the whole dataset (``;``-separated, French headers).
EXPORT_URL = ("https://open.urssaf.fr/api/explore/v2.1/catalog/datasets/"
              "etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last/exports/csv"
              "?delimiter=%3B&lang=fr")
LEVELS = ("epci", "zone_emploi")
#: Relative tolerance of the check against the embedded all-sector totals.
TOLERANCE = 0.01


def full_dir() -> Path:
    """Folder of the full-resolution tables (git-ignored; ``REINDUS_FULL`` overrides)."""
    value = os.environ.get("REINDUS_FULL")
    return Path(value).expanduser().resolve() if value else config.DATA_DIR / "full"


def raw_path() -> Path:
    """Where the fetched file lives (``data/raw/``, git-ignored)."""
    return config.raw_dir() / RAW_NAME


def a5_of_na38(code: str) -> str:
    """A5 aggregate of an NA38 sector code: ``BE`` industry, ``FZ``, ``GU``, ``OQ``, ``AZ``.

    NA38 codes start with their NAF section letter: A agriculture; B–E industry;
    F construction; G–N and R–U market services; O–Q mostly non-market.
    """
    letter = code.strip()[:1].upper()
    if letter == "A":
        return "AZ"
    if "B" <= letter <= "E":
        return "BE"
    if letter == "F":
        return "FZ"
    if letter in "OPQ":
        return "OQ"
    return "GU"


def _vintage(path: Path) -> int:
    """Last year with a column pair in the header (the file's vintage)."""
    from reindus.ingest.scale import COMMUNE_APE_KEYS

    header = path.open(encoding="utf-8-sig").readline().rstrip("\r\n").split(";")
    missing = [k for k in COMMUNE_APE_KEYS if k not in header]
    years = [int(h[-4:]) for h in header if h.startswith("Effectifs salariés ") and h[-4:].isdigit()]
    if missing or not years:
        raise DataError(path, f"not the official commune x APE layout (missing columns {missing or 'Effectifs salariés YYYY'})",
                        "export the dataset 'etablissements-et-effectifs-salaries-au-niveau-commune-x-ape-last' "
                        "from open.urssaf.fr as CSV with ';' separators and French headers")
    return max(years)


def fetch_full(source: str | Path | None = None, *, progress: bool = True) -> dict:
    """Fetch the official commune × APE file into ``data/raw`` and write the lock file.

    Parameters
    ----------
    source
        A local copy of the file (``reindus fetch --full --from FILE``); ``None``
        downloads :data:`EXPORT_URL` with pooch (needs the internet), streamed
        to a temporary file with a progress bar, then moved into place.
    progress
        Show a progress bar while downloading.

    Returns
    -------
    dict
        The lock entry: source id, url, file, sha256, bytes, fetched_on, vintage.
    """
    target = raw_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(dir=target.parent, prefix=".full-"))
    try:
        if source is not None:
            src = Path(source).expanduser().resolve()
            if not src.is_file():
                raise DataError(src, "file not found",
                                "give the path of a downloaded commune x APE CSV to --from")
            _vintage(src)  # refuse a file of the wrong layout before copying it
            tmp_path = workdir / RAW_NAME
            shutil.copyfile(src, tmp_path)
            origin = str(src)
        else:
            import pooch

            try:
                tmp_path = Path(pooch.retrieve(EXPORT_URL, known_hash=None, fname=RAW_NAME,
                                               path=workdir, progressbar=progress))
            except Exception as exc:  # network errors come in many types
                raise DataError(EXPORT_URL, f"download failed ({type(exc).__name__}: {exc})",
                                "check the internet connection, or download the file in a browser "
                                "and run `reindus fetch --full --from FILE`") from exc
            origin = EXPORT_URL
        entry = {"source": SOURCE_ID, "url": EXPORT_URL, "obtained_from": origin,
                 "file": f"data/raw/{RAW_NAME}", "sha256": sha256_file(tmp_path),
                 "bytes": tmp_path.stat().st_size, "fetched_on": dt.date.today().isoformat(),
                 "vintage": _vintage(tmp_path)}
        os.replace(tmp_path, target)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    from reindus.ingest.io import write_text

    write_text(json.dumps(entry, indent=2, sort_keys=True) + "\n", lock_path())
    return entry


def _commune_map() -> pd.DataFrame:
    """Every commune code of the COG 2026 (current, delegated, associated, arrondissement) -> current EPCI.

    Communes merged since the file's vintage survive in the COG as *communes
    déléguées* or *associées* whose ``chefLieu`` is the current commune; the
    municipal arrondissements of Paris, Lyon and Marseille map to their city.
    """
    from reindus.ingest import sources

    # the processed COG membership table (what ``data.geography("epci_members")`` returns),
    # read here directly: the ingest layer never imports the data API above it
    members = pq.ParquetFile(config.processed_dir() / "geo_epci_members.parquet").read(
        columns=["epci_code", "commune_code"]).to_pandas()
    current = dict(zip(members["commune_code"], members["epci_code"], strict=False))
    communes_file = sources.raw_path("cog_communes")
    if not communes_file.exists():
        raise DataError(communes_file, "the COG communes file (with former communes) is not fetched",
                        "run `reindus fetch cog_communes` (or `make data`)")
    rows = []
    for c in json.loads(communes_file.read_text(encoding="utf-8")):
        parent = c.get("chefLieu") or c.get("commune") or c["code"]
        if c["code"] not in current and parent in current:
            rows.append((c["code"], current[parent]))
    rows.extend(current.items())
    out = pd.DataFrame(rows, columns=["commune_code", "epci_code"]).drop_duplicates("commune_code")
    return out


def build_sector_employment(path: Path | None = None, out_dir: Path | None = None, *,
                            memory_limit: str = "600MB", threads: int = 2) -> dict[str, Path]:
    """Aggregate the commune × APE file into sector employment by EPCI and by zone d'emploi.

    .. math:: E_{g,s,t} = \\sum_{c \\in g} \\sum_{a \\in s} E_{c,a,t}

    for geography ``g`` (current EPCI of commune ``c``, or its zone d'emploi),
    NA38 sector ``s`` and year ``t``; a sum over blank cells only stays missing.

    Parameters
    ----------
    path
        The raw file (default: the fetched :func:`raw_path`, checked against the lock).
    out_dir
        Output folder (default :func:`full_dir`); written through a temporary
        folder and renamed, so a failed build leaves the previous tables intact.
    memory_limit, threads
        DuckDB settings: the aggregation streams; 600 MB for DuckDB keeps the whole process under 1 GB
        for 1.5 million rows (see ``bench/bench_full_resolution.py``).

    Returns
    -------
    dict
        ``{"epci": path, "zone_emploi": path, "unmapped": path}``.
    """
    import duckdb

    if path is None:
        path = raw_path()
        verify_lock(path)
    path = Path(path)
    out_dir = out_dir or full_dir()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}-stage-"))
    try:
        con = duckdb.connect()
        con.execute(f"SET memory_limit='{memory_limit}'")
        con.execute(f"SET threads={int(threads)}")
        con.execute("SET preserve_insertion_order=false")
        _vintage(path)  # refuse a file of the wrong layout with a clear error
        con.register("commune_map", _commune_map())
        a5 = pd.DataFrame({"letter": list("ABCDEFGHIJKLMNOPQRSTU")})
        a5["a5"] = a5["letter"].map(a5_of_na38)
        con.register("a5_map", a5)
        # One streaming pass over the file, straight to (EPCI, zone, NA38, year): APE codes
        # and communes are summed away inside the pass, so the only table kept in memory is
        # small (a few thousand EPCI x zone pairs); communes without a current EPCI keep
        # their code so they can be listed. UNPIVOT drops blank cells, so a sum over
        # blanks only has no row: nothing becomes a zero.
        try:
            con.execute(f"""
            CREATE TEMP TABLE long AS
            WITH raw AS (
                SELECT "Code commune" AS commune_code, "Code zone d'emploi" AS zone_code,
                       split_part("Secteur NA38", ' ', 1) AS sector_code,
                       COLUMNS('^(Nombre d''établissements|Effectifs salariés) [0-9]{{4}}$')
                FROM read_csv('{path.as_posix()}', delim=';', header=true, all_varchar=true,
                              nullstr='', quote='"')
            ), unpivoted AS (
                UNPIVOT raw ON COLUMNS('^(Nombre d''établissements|Effectifs salariés) [0-9]{{4}}$')
                INTO NAME measure VALUE value
            )
            SELECT m.epci_code, u.zone_code, u.sector_code,
                   CASE WHEN m.epci_code IS NULL THEN u.commune_code END AS commune_code,
                   CAST(right(u.measure, 4) AS INTEGER) AS year,
                   SUM(CASE WHEN u.measure LIKE 'Nombre%' THEN CAST(u.value AS BIGINT) END) AS establishments,
                   SUM(CASE WHEN u.measure LIKE 'Effectifs%' THEN CAST(u.value AS BIGINT) END) AS employees
            FROM unpivoted u LEFT JOIN commune_map m USING (commune_code)
            GROUP BY ALL
            """)
        except duckdb.Error as exc:  # e.g. "n.d." in a count column
            raise DataError(path, f"cannot read the counts ({type(exc).__name__}: {str(exc).splitlines()[0]})",
                            "use the producer's CSV export unchanged (counts are integers, blank when "
                            "there is no establishment)") from None
        written = {}
        for level, key in (("epci", "epci_code"), ("zone_emploi", "zone_code")):
            frame = con.execute(f"""
                SELECT {key} AS code, sector_code, a.a5, year,
                       SUM(establishments) AS establishments, SUM(employees) AS employment
                FROM long JOIN a5_map a ON left(sector_code, 1) = a.letter
                WHERE {key} IS NOT NULL
                GROUP BY ALL ORDER BY code, sector_code, year
            """).df()
            for col in ("establishments", "employment"):
                frame[col] = frame[col].astype("Int64")
            frame["year"] = frame["year"].astype("int64")
            target = stage / f"sector_employment_{level}.parquet"
            frame.to_parquet(target, index=False)
            written[level] = target
        unmapped = con.execute("""
            SELECT commune_code, year, SUM(employees) AS employment FROM long
            WHERE epci_code IS NULL GROUP BY ALL ORDER BY commune_code, year
        """).df()
        unmapped.to_csv(stage / "unmapped_communes.csv", index=False)
        con.close()
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            out_dir.rename(old)
            stage.rename(out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            stage.rename(out_dir)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return {"epci": out_dir / "sector_employment_epci.parquet",
            "zone_emploi": out_dir / "sector_employment_zone_emploi.parquet",
            "unmapped": out_dir / "unmapped_communes.csv"}


def industry(frame: pd.DataFrame) -> pd.DataFrame:
    """Industrial employment (A5 ``BE``) by code × year from a sector table; missing if every cell is."""
    ind = frame[frame["a5"] == "BE"]
    return (ind.groupby(["code", "year"], as_index=False)
            .agg(employment=("employment", lambda s: s.sum(min_count=1)))
            .astype({"employment": "Int64"}))


def check_against_totals(frame: pd.DataFrame, totals: pd.DataFrame,
                         tolerance: float = TOLERANCE) -> pd.DataFrame:
    r"""Compare the all-sector sums of a sector table with embedded totals.

    For each code and year present in both, the relative gap is
    :math:`(\sum_s E_{g,s,t} - T_{g,t}) / T_{g,t}`. Returns every pair with its
    gap and a ``within`` flag (``|gap| <= tolerance``), discrepancies first.

    Parameters
    ----------
    frame
        A ``sector_employment`` table (code, sector_code, year, employment).
    totals
        ``data.area_employment(level)`` (code, year, employment).
    tolerance
        Relative tolerance; 1 % by default because the commune × APE file and
        the aggregated series are different extractions of the same register
        (establishments re-classified between vintages).
    """
    sums = (frame.groupby(["code", "year"], as_index=False)
            .agg(sector_sum=("employment", lambda s: s.sum(min_count=1))))
    merged = sums.merge(totals.rename(columns={"employment": "total"}), on=["code", "year"], how="inner")
    merged["gap"] = (merged["sector_sum"].astype("float64") - merged["total"]) / merged["total"]
    merged["within"] = merged["gap"].abs() <= tolerance
    return merged.sort_values(["within", "code", "year"]).reset_index(drop=True)

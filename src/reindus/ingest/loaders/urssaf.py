"""Loaders of the Urssaf files (private salaried employment, payroll, insolvencies)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus.errors import DataError
from reindus.ingest import schemas
from reindus.ingest.io import read_delimited, read_json_checked
from reindus.ingest.loaders import _checks as ck
from reindus.ingest.loaders import _reference as ref
from reindus.ingest.loaders._registry import processed_table
from reindus.ingest.schemas import validate
from reindus.ingest.sources import get


def _path(raw_dir: Path, source_id: str) -> Path:
    return raw_dir / get(source_id).file


# --------------------------------------------------------------------------- regional NA28i
_REGION_COLS = ["code_region", "region", "secteur_na28i", "code_na28i", "dernier_jour_du_trimestre",
                "annee", "trimestre", "effectifs_salaries_cvs", "masse_salariale_cvs"]


def read_regional_file(path: Path) -> pd.DataFrame:
    """Read and check the regional NA28i CSV (kept separate so tests can feed bad files)."""
    raw = read_delimited(path, sep=",", required=_REGION_COLS,
                         dtype={c: "str" for c in _REGION_COLS})
    ck.nonempty(raw, path)
    ck.known_codes(raw["code_region"], schemas.REGION_CODES, path, "code_region", "region")
    ck.known_codes(raw["code_na28i"], schemas.NA28I_CODES, path, "code_na28i", "NA28i sector")
    out = pd.DataFrame({
        "region_code": raw["code_region"],
        "region": raw["region"],
        "sector_code": raw["code_na28i"],
        # The label carries the code as a prefix ("BZ Industries extractives").
        "sector": raw["secteur_na28i"].str.split(" ", n=1).str[1],
        "quarter": ck.quarter_from_end_dates(raw["dernier_jour_du_trimestre"], path,
                                             "dernier_jour_du_trimestre"),
        "employment": ck.to_int(raw["effectifs_salaries_cvs"], path, "effectifs_salaries_cvs"),
        "payroll": ck.to_number(raw["masse_salariale_cvs"], path, "masse_salariale_cvs"),
    })
    ck.non_negative(out["employment"], path, "effectifs_salaries_cvs")
    ck.non_negative(out["payroll"], path, "masse_salariale_cvs")
    ck.unique_keys(out, ["region_code", "sector_code", "quarter"], path)
    ck.within_coverage(out["quarter"], "urssaf_region_na28i", path, "dernier_jour_du_trimestre")
    return out


def _declared_quarters(source_id: str) -> pd.PeriodIndex:
    src = get(source_id)
    return pd.period_range(src.first_period, src.last_period, freq="Q")


@processed_table("regional_employment", sources=("urssaf_region_na28i",), schema=schemas.REGIONAL_EMPLOYMENT)
def load_regional_employment(raw_dir: Path) -> pd.DataFrame:
    """Region x NA28i sector x quarter, CVS employment and payroll, 1998Q3-2025Q4.

    The panel must be complete: every region of the COG (Mayotte excepted: it
    has no Urssaf regional series) x every sector x every declared quarter.
    """
    path = _path(raw_dir, "urssaf_region_na28i")
    out = read_regional_file(path)
    ref.check(out["region_code"], raw_dir, "region", path, "code_region")
    regions = sorted(ref.codes(raw_dir, "region") - {"06"})
    ck.complete(out, {"region_code": regions, "sector_code": schemas.NA28I_CODES,
                      "quarter": _declared_quarters("urssaf_region_na28i")}, path,
                "region x sector x quarter")
    order = {c: i for i, c in enumerate(schemas.NA28I_CODES)}
    out = (out.assign(_s=out["sector_code"].map(order))
           .sort_values(["region_code", "_s", "quarter"]).drop(columns="_s")
           .reset_index(drop=True))
    return validate(out, schemas.REGIONAL_EMPLOYMENT, path)


def sector_group(code: str) -> str:
    """Group of an NA28i code: industry, construction, market services, non-market, temporary work.

    Industry is defined once, here: BZ..DZ-EZ. Temporary workers (NZa) are
    classified by Urssaf in services although many work in factories; they are
    kept apart so that users can add them to industry explicitly.
    """
    if code in schemas.INDUSTRY_CODES:
        return "industry"
    if code == "FZ":
        return "construction"
    if code == "NZa":
        return "temporary work"
    if code in ("OZ", "PZ", "QA", "QB"):
        return "non-market"
    if code in schemas.NA28I_CODES:
        return "market services"
    raise ValueError(f"unknown NA28i code {code!r}")


@processed_table("sectors", sources=("urssaf_region_na28i",), schema=schemas.SECTORS)
def load_sectors(raw_dir: Path) -> pd.DataFrame:
    """The NA28i nomenclature with labels (from the Urssaf file) and groups."""
    path = _path(raw_dir, "urssaf_region_na28i")
    raw = read_delimited(path, sep=",", required=["code_na28i", "secteur_na28i"], dtype="str")
    labels = (raw.drop_duplicates("code_na28i").set_index("code_na28i")["secteur_na28i"]
              .str.split(" ", n=1).str[1])
    out = pd.DataFrame({"sector_code": list(schemas.NA28I_CODES)})
    out["sector"] = out["sector_code"].map(labels)
    if out["sector"].isna().any():
        missing = out.loc[out["sector"].isna(), "sector_code"].tolist()
        raise DataError(path, f"sectors {missing} are absent from the file", ck.REFETCH)
    out["group"] = out["sector_code"].map(sector_group)
    out["position"] = range(1, len(out) + 1)
    out["position"] = out["position"].astype("int64")
    return validate(out, schemas.SECTORS, path)


# --------------------------------------------------------------------------- insolvencies
_PROC_COLS = ["Région", "Ancienne région", "Nature de procédure", "Année", "Trimestre",
              "Dernier jour du trimestre", "Code région", "Code ancienne région",
              "Nombre de procédures (brut)"]
_PROC_NAMES = {"Redressement judiciaire": "redressement", "Liquidation judiciaire": "liquidation",
               "Sauvegarde": "sauvegarde"}


@processed_table("insolvencies", sources=("urssaf_procedures_collectives",), schema=schemas.INSOLVENCIES)
def load_insolvencies(raw_dir: Path) -> pd.DataFrame:
    """Procédures collectives by 2016 region, quarter and procedure type.

    Former regions (anciennes régions) are summed into the 2016 regions. A sum
    is missing when any of its parts is missing: a withheld value is not zero.
    The pseudo-region ``99 _calage_`` is kept: adding it to the sum of regions
    gives the national total published by Urssaf.
    """
    path = _path(raw_dir, "urssaf_procedures_collectives")
    raw = read_delimited(path, sep=";", required=_PROC_COLS, dtype="str",
                         allow_bom_in_header=True)
    ck.nonempty(raw, path)
    ck.known_codes(raw["Code région"], (*schemas.REGION_CODES, schemas.CALAGE_CODE), path,
                   "Code région", "region")
    ck.known_codes(raw["Nature de procédure"], _PROC_NAMES, path, "Nature de procédure",
                   "procedure")
    df = pd.DataFrame({
        "region_code": raw["Code région"],
        "former_region_code": raw["Code ancienne région"],
        "procedure": raw["Nature de procédure"].map(_PROC_NAMES),
        "quarter": ck.quarter_from_end_dates(raw["Dernier jour du trimestre"], path,
                                             "Dernier jour du trimestre"),
        "count": ck.to_int(raw["Nombre de procédures (brut)"], path,
                           "Nombre de procédures (brut)", nullable=True),
    })
    ck.non_negative(df.loc[df["region_code"] != schemas.CALAGE_CODE, "count"], path,
                    "Nombre de procédures (brut)")
    ck.unique_keys(df, ["former_region_code", "procedure", "quarter"], path)
    ck.within_coverage(df["quarter"], "urssaf_procedures_collectives", path,
                       "Dernier jour du trimestre")
    ref.check(df["region_code"], raw_dir, "region", path, "Code région",
              extra=(schemas.CALAGE_CODE,))
    # A former region belongs to one 2016 region; two would split (or double) its counts.
    parents = df.groupby("former_region_code")["region_code"].nunique()
    if (parents > 1).any():
        bad = parents[parents > 1].index[0]
        raise DataError(path, f"former region {bad!r} ('Code ancienne région') is attached to "
                        f"several regions {sorted(df.loc[df['former_region_code'] == bad, 'region_code'].unique())}",
                        "each former region belongs to one 2016 region: correct the codes or "
                        + ck.REFETCH)
    ck.complete(df, {"region_code": (*ref.codes(raw_dir, "region"), schemas.CALAGE_CODE)},
                path, "region")
    # The official file omits some (region, procedure, quarter) rows entirely; we make the
    # panel complete so that such absences show up as missing, never as zero.
    keys = ["region_code", "quarter", "procedure"]
    summed = df.groupby(keys, observed=True)["count"].sum(min_count=1)
    has_na = df["count"].isna().groupby([df[k] for k in keys], observed=True).any()
    summed[has_na.reindex(summed.index, fill_value=False)] = pd.NA
    full = pd.MultiIndex.from_product(
        [sorted(df["region_code"].unique()),
         pd.period_range(df["quarter"].min(), df["quarter"].max(), freq="Q"),
         list(schemas.PROCEDURES)], names=keys)
    out = summed.reindex(full).astype("Int64").reset_index()
    names = raw.drop_duplicates("Code région").set_index("Code région")["Région"]
    out.insert(1, "region", out["region_code"].map(names))
    return validate(out, schemas.INSOLVENCIES, path)


# --------------------------------------------------------------------------- zone d'emploi x A38
def _zone_regions(raw_dir: Path, zones: pd.Series) -> pd.DataFrame:
    """Region of each zone d'emploi.

    The first two digits give the region, except for zones coded ``00xx`` that
    span several regions; those are assigned to the region holding the largest
    part of their area (overlay of the mirrored contours, Lambert-93).
    """
    codes = pd.Series(sorted(zones.unique()))
    out = pd.DataFrame({"zone_code": codes, "region_code": codes.str[:2],
                        "region_assignment": "code prefix"})
    cross = out["region_code"] == "00"
    if cross.any():
        from reindus.ingest.loaders.geography import load_contours_region, load_contours_zone_emploi

        ze = load_contours_zone_emploi(raw_dir)
        reg = load_contours_region(raw_dir)
        pieces = ze[ze["zone_code"].isin(out.loc[cross, "zone_code"])].overlay(
            reg[["region_code", "geometry"]], how="intersection", keep_geom_type=True)
        pieces["area"] = pieces.geometry.area
        best = (pieces.sort_values(["zone_code", "area"], ascending=[True, False])
                .drop_duplicates("zone_code").set_index("zone_code")["region_code"])
        out.loc[cross, "region_code"] = out.loc[cross, "zone_code"].map(best)
        out.loc[cross, "region_assignment"] = "largest area share (cross-region zone)"
    return out


@processed_table("zone_employment", sources=("urssaf_ze_a38", "contours_zone_emploi", "contours_region"), schema=schemas.ZONE_EMPLOYMENT)
def load_zone_employment(raw_dir: Path) -> pd.DataFrame:
    """Zone d'emploi (2020 zoning) x NA38 x year (2019, 2022-2024), private employment.

    Third-party aggregation of Urssaf commune-level data; the aggregator's own
    ratio columns (pct_*, evol_*, fr_pct_*, is_*) are dropped: we recompute what we need.
    """
    path = _path(raw_dir, "urssaf_ze_a38")
    try:
        raw = pd.read_parquet(path)
    except FileNotFoundError:
        raise DataError(path, "file not found", "run `reindus fetch`") from None
    except Exception as exc:
        raise DataError(path, f"not a readable Parquet file ({exc})", ck.REFETCH) from None
    need = ["code_ze", "a38", "a21", "a5", "lib", "eff_19", "eff_22", "eff_23", "eff_24"]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(path, f"missing column(s) {missing}", ck.REFETCH)
    ck.unique_keys(raw, ["code_ze", "a38"], path, unit="row")
    for col in ("eff_19", "eff_22", "eff_23", "eff_24"):
        raw[col] = ck.to_number(raw[col], path, col, unit="row")
        ck.non_negative(raw[col], path, col, unit="row")
    ref.check(raw["code_ze"], raw_dir, "zone_emploi", path, "code_ze", unit="row")
    ck.complete(raw, {"code_ze": ref.codes(raw_dir, "zone_emploi")}, path,
                "metropolitan zone d'emploi")
    long = raw.melt(id_vars=["code_ze", "a38", "a21", "a5", "lib"],
                    value_vars=["eff_19", "eff_22", "eff_23", "eff_24"],
                    var_name="year", value_name="employment")
    long["year"] = (2000 + long["year"].str[-2:].astype(int)).astype("int64")
    ck.non_negative(long["employment"], path, "eff_*", unit="row")
    regions = _zone_regions(raw_dir, long["code_ze"])
    out = (long.rename(columns={"code_ze": "zone_code", "a38": "sector_code", "lib": "sector"})
           .merge(regions, on="zone_code", how="left"))
    out["employment"] = out["employment"].astype("float64")
    out = out[["zone_code", "region_code", "region_assignment", "sector_code", "sector", "a21",
               "a5", "year", "employment"]].sort_values(["zone_code", "sector_code", "year"])
    return validate(out.reset_index(drop=True), schemas.ZONE_EMPLOYMENT, path)


# --------------------------------------------------------------------------- zone d'emploi quarterly
@processed_table("zone_quarterly_employment", sources=("urssaf_ze_trimestriel",), schema=schemas.ZONE_QUARTERLY)
def load_zone_quarterly_employment(raw_dir: Path) -> pd.DataFrame:
    """Zone d'emploi x quarter, all sectors, 2012Q1-2025Q4 (raw and CVS headcount, CVS payroll).

    Zones spanning two or three regions appear as one row per regional part
    with the same code; the parts are summed here (``n_parts`` says how many).
    """
    path = _path(raw_dir, "urssaf_ze_trimestriel")
    cols = ["annee", "trimestre", "code_zone_d_emploi", "effectifs_salaries_brut",
            "effectifs_salaries_cvs", "masse_salariale_cvs"]
    raw = read_delimited(path, sep=",", required=cols, dtype="str")
    ck.nonempty(raw, path)
    year = ck.to_int(raw["annee"], path, "annee")
    q = ck.to_int(raw["trimestre"], path, "trimestre")
    if not q.between(1, 4).all():
        raise DataError(path, f"quarter {q[~q.between(1, 4)].iloc[0]} outside 1-4 in column "
                        "'trimestre'", ck.REFETCH)
    df = pd.DataFrame({
        "zone_code": raw["code_zone_d_emploi"].str.zfill(4),
        "quarter": pd.PeriodIndex.from_fields(year=year.to_numpy(), quarter=q.to_numpy(), freq="Q"),
        "employment_raw": ck.to_int(raw["effectifs_salaries_brut"], path, "effectifs_salaries_brut"),
        "employment": ck.to_int(raw["effectifs_salaries_cvs"], path, "effectifs_salaries_cvs"),
        "payroll": ck.to_number(raw["masse_salariale_cvs"], path, "masse_salariale_cvs"),
    }, index=raw.index)
    # Checked on the regional parts, before they are summed: a negative part would be hidden.
    for col, name in (("employment_raw", "effectifs_salaries_brut"),
                      ("employment", "effectifs_salaries_cvs"), ("payroll", "masse_salariale_cvs")):
        ck.non_negative(df[col], path, name, where=", a regional part before summing")
    ck.within_coverage(df["quarter"], "urssaf_ze_trimestriel", path, "annee/trimestre")
    ref.check(df["zone_code"], raw_dir, "zone_emploi", path, "code_zone_d_emploi")
    ck.unique_keys(df, ["zone_code", "quarter", "employment_raw", "employment", "payroll"], path)
    # Parts cannot be told apart by a key, so a repeated part with other values shows only as
    # an extra part: a zone may not have more rows in a quarter than in most quarters. (Fewer
    # is real: zone 2711 loses its small second part in 2019-2021.)
    parts = df.groupby(["zone_code", "quarter"]).size()
    usual = parts.groupby(level="zone_code").transform(lambda x: x.mode().max())
    extra = parts > usual
    if extra.any():
        (z, q), k = parts[extra].index[0], int(parts[extra].iloc[0])
        raise DataError(path, f"zone {z} has {k} rows in {q} but {int(usual[extra].iloc[0])} in "
                        "most quarters: a duplicated regional part would be summed (counted twice)",
                        "keep exactly one row per regional part and quarter, or " + ck.REFETCH)
    zones = set(df["zone_code"]) | set(ref.codes(raw_dir, "zone_emploi"))
    ck.complete(df, {"zone_code": zones, "quarter": _declared_quarters("urssaf_ze_trimestriel")},
                path, "zone x quarter")
    out = (df.groupby(["zone_code", "quarter"], as_index=False)
           .agg(employment_raw=("employment_raw", "sum"), employment=("employment", "sum"),
                payroll=("payroll", "sum"), n_parts=("employment", "size")))
    out["n_parts"] = out["n_parts"].astype("int64")
    return validate(out, schemas.ZONE_QUARTERLY, path)


# --------------------------------------------------------------------------- all-sector areas
_ECHELONS = {"communes": "commune", "epci": "epci", "ze": "zone_emploi", "dep": "departement",
             "reg": "region", "france": "france", "uu": "unite_urbaine", "bv": "bassin_de_vie",
             "aav": "aire_attraction"}


@processed_table("area_employment", sources=("urssaf_total_par_echelon",), schema=schemas.AREA_EMPLOYMENT)
def load_area_employment(raw_dir: Path) -> pd.DataFrame:
    """Private employment, all sectors, 2014-2024, by geographic level (third-party aggregation)."""
    path = _path(raw_dir, "urssaf_total_par_echelon")
    try:
        raw = pd.read_parquet(path, columns=["code", "echelon", "year", "eff_total"])
    except FileNotFoundError:
        raise DataError(path, "file not found", "run `reindus fetch`") from None
    except Exception as exc:
        raise DataError(path, f"not a readable Parquet file with columns code, echelon, year, "
                        f"eff_total ({exc})", ck.REFETCH) from None
    ck.known_codes(raw["echelon"], _ECHELONS, path, "echelon", "geographic level")
    out = pd.DataFrame({"level": raw["echelon"].map(_ECHELONS), "code": raw["code"].astype(str),
                        "year": ck.to_int(raw["year"], path, "year", unit="row"),
                        "employment": ck.to_int(raw["eff_total"], path, "eff_total", unit="row")})
    # Overseas region codes lost their leading zero in the aggregator's file.
    reg = out["level"] == "region"
    out.loc[reg, "code"] = out.loc[reg, "code"].str.zfill(2)
    ck.non_negative(out["employment"], path, "eff_total", unit="row")
    ck.unique_keys(out, ["level", "code", "year"], path, unit="row")
    ck.within_coverage(out["year"], "urssaf_total_par_echelon", path, "year", unit="row")
    years = range(int(get("urssaf_total_par_echelon").first_period),
                  int(get("urssaf_total_par_echelon").last_period) + 1)
    for level, kind, extra, expected in (
            ("region", "region", (), ref.codes(raw_dir, "region") - {"06"}),
            ("departement", "departement", (), ref.codes(raw_dir, "departement") - {"976"}),
            ("zone_emploi", "zone_emploi", (), ref.codes(raw_dir, "zone_emploi")),
            ("epci", "epci", (ref.NO_EPCI,), None),
            ("commune", "commune", (), None)):
        part = out[out["level"] == level]
        ref.check(part["code"], raw_dir, kind, path, f"code (echelon {level})", extra=extra,
                  unit="row")
        if expected is not None:  # Mayotte has no Urssaf series; every other unit must be there
            ck.complete(part, {"code": expected, "year": years}, path, f"{level} x year")
    ck.complete(out[out["level"] == "france"], {"year": years}, path, "france x year")
    out = out.sort_values(["level", "code", "year"]).reset_index(drop=True)
    return validate(out, schemas.AREA_EMPLOYMENT, path)


# --------------------------------------------------------------------------- département snapshot
@processed_table("departement_snapshot", sources=("urssaf_departement_grand_secteur",), schema=schemas.DEPARTEMENT_SNAPSHOT)
def load_departement_snapshot(raw_dir: Path) -> pd.DataFrame:
    """Département x grand secteur at 2025Q4 with year-on-year changes (dashboard extract).

    The dashboard's 'Total (somme GS1-GS7)' rows are kept with code ``TOTAL``.
    """
    path = _path(raw_dir, "urssaf_departement_grand_secteur")
    cols = ["code_departement", "departement", "code_region", "grand_secteur",
            "dernier_jour_du_trimestre", "effectifs_salaries_cvs", "effectifs_glissement_annuel_pct",
            "masse_salariale_cvs", "masse_glissement_annuel_pct"]
    raw = read_delimited(path, sep=",", required=cols, dtype="str")
    ck.nonempty(raw, path)
    ck.known_codes(raw["code_region"], schemas.REGION_CODES, path, "code_region", "region")
    ref.check(raw["code_region"], raw_dir, "region", path, "code_region")
    ref.check(raw["code_departement"], raw_dir, "departement", path, "code_departement")
    cog = get("cog_departements").raw_path(raw_dir)
    dep_region = pd.DataFrame(read_json_checked(cog)).set_index("code")["region"]
    wrong = raw["code_region"] != raw["code_departement"].map(dep_region)
    if wrong.any():
        r = raw[wrong].iloc[0]
        raise DataError(path, f"département {r['code_departement']} is given region "
                        f"{r['code_region']} (line {int(raw.index[wrong][0]) + 2}) but belongs to "
                        f"region {dep_region[r['code_departement']]} in the COG",
                        "correct the region code or " + ck.REFETCH)
    gs = raw["grand_secteur"].str.split(" ", n=1)
    is_total = raw["grand_secteur"].str.startswith("Total")
    out = pd.DataFrame({
        "departement_code": raw["code_departement"],
        "departement": raw["departement"],
        "region_code": raw["code_region"],
        "sector_group_code": gs.str[0].where(~is_total, "TOTAL"),
        "sector_group": gs.str[1].where(~is_total, "Total (GS1-GS7)"),
        "quarter": ck.quarter_from_end_dates(raw["dernier_jour_du_trimestre"], path,
                                             "dernier_jour_du_trimestre"),
        "employment": ck.to_int(raw["effectifs_salaries_cvs"], path, "effectifs_salaries_cvs"),
        "employment_yoy_pct": ck.to_number(raw["effectifs_glissement_annuel_pct"], path,
                                           "effectifs_glissement_annuel_pct"),
        "payroll": ck.to_number(raw["masse_salariale_cvs"], path, "masse_salariale_cvs"),
        "payroll_yoy_pct": ck.to_number(raw["masse_glissement_annuel_pct"], path,
                                        "masse_glissement_annuel_pct"),
    })
    ck.non_negative(out["employment"], path, "effectifs_salaries_cvs")
    ck.non_negative(out["payroll"], path, "masse_salariale_cvs")
    ck.unique_keys(out, ["departement_code", "sector_group_code"], path)
    ck.within_coverage(out["quarter"], "urssaf_departement_grand_secteur", path,
                       "dernier_jour_du_trimestre")
    ck.complete(out, {"departement_code": ref.codes(raw_dir, "departement") - {"976"},
                      "sector_group_code": out["sector_group_code"].unique()}, path,
                "département x sector group")
    out = out.sort_values(["departement_code", "sector_group_code"]).reset_index(drop=True)
    return validate(out, schemas.DEPARTEMENT_SNAPSHOT, path)

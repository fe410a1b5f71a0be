"""Coverage and quality of the processed data, and checks against published figures.

Used by notebook 00 and by the tests, so that the numbers quoted in the
narrative are the numbers that are tested.
"""

from __future__ import annotations

import json

import pandas as pd

from reindus import config, data
from reindus.ingest.schemas import INDUSTRY_CODES

#: Published figures the data must reproduce: (name, value, tolerance, unit, source).
PUBLISHED: tuple[tuple[str, float, float, str, str], ...] = (
    ("private_employment_2022q4", 20_136_277, 1, "employees (CVS)",
     "Urssaf, effectifs salariés du secteur privé, 2022Q4, seasonally adjusted"),
    ("industry_employment_2022q4", 3_134_361, 1, "employees (CVS)",
     "Urssaf, industry BZ..DZ-EZ excluding temporary work, 2022Q4"),
    ("hdf_share_national_industry_2022q4", 9.0, 0.2, "%",
     "Hauts-de-France about 9 % of national industrial employment in 2022 (regional press, Urssaf)"),
    ("hdf_rank_industry_2022q4", 4, 0, "rank",
     "Hauts-de-France 4th industrial region (regional press, Urssaf)"),
    ("business_failures_2024", 66_121, 150, "enterprises",
     "Banque de France: 66,121 business failures in 2024"),
)


def coverage() -> pd.DataFrame:
    """One row per processed table: rows, columns, period covered, units, sources."""
    manifest = json.loads((config.processed_dir() / "MANIFEST.json").read_text())
    spans = {
        "regional_employment": _span(data.regional_employment()["quarter"]),
        "insolvencies": _span(data.insolvencies()["quarter"]),
        "zone_employment": "2019, 2022, 2023, 2024",
        "zone_quarterly_employment": _span(data.zone_quarterly_employment()["quarter"]),
        "area_employment": "2014-2024 (annual)",
        "departement_snapshot": "2025Q4 (with y/y change)",
        "national_checks": "1990-2025 (annual, by series)",
    }
    rows = []
    for name, entry in manifest["tables"].items():
        rows.append({"table": name, "rows": entry["rows"], "columns": len(entry["columns"]),
                     "period": spans.get(name, ""), "sources": ", ".join(entry["sources"])})
    return pd.DataFrame(rows)


def _span(q: pd.Series) -> str:
    return f"{q.min()}-{q.max()} ({q.nunique()} quarters)"


def industry_by_region(quarter: str = "2022Q4") -> pd.DataFrame:
    """Industrial employment (BZ..DZ-EZ) by region at one quarter, with national share and rank.

    share_i = E_i^ind / sum_j E_j^ind (in %), rank 1 = largest.
    """
    emp = data.regional_employment()
    q = emp[(emp["quarter"] == pd.Period(quarter, "Q")) & emp["sector_code"].isin(INDUSTRY_CODES)]
    out = q.groupby(["region_code", "region"], as_index=False)["employment"].sum()
    out["share_pct"] = 100 * out["employment"] / out["employment"].sum()
    out = out.sort_values("employment", ascending=False).reset_index(drop=True)
    out["rank"] = range(1, len(out) + 1)
    return out


def published_checks() -> pd.DataFrame:
    """Our value next to each published figure, with the difference and a pass flag."""
    emp = data.regional_employment()
    q = emp[emp["quarter"] == pd.Period("2022Q4")]
    ind = industry_by_region("2022Q4").set_index("region_code")
    checks = data.national_checks()
    failures = checks[(checks["dataset"] == "business_failures") & (checks["year"] == 2024)]
    ours = {
        "private_employment_2022q4": float(q["employment"].sum()),
        "industry_employment_2022q4": float(q.loc[q["sector_code"].isin(INDUSTRY_CODES),
                                                  "employment"].sum()),
        "hdf_share_national_industry_2022q4": float(ind.loc["32", "share_pct"]),
        "hdf_rank_industry_2022q4": float(ind.loc["32", "rank"]),
        "business_failures_2024": float(failures["value"].iloc[0]),
    }
    rows = []
    for name, value, tol, unit, source in PUBLISHED:
        diff = ours[name] - value
        rows.append({"check": name, "published": value, "ours": ours[name], "difference": diff,
                     "tolerance": tol, "unit": unit, "passes": abs(diff) <= tol, "source": source})
    return pd.DataFrame(rows)


def apprentice_break(region_code: str | None = None) -> pd.DataFrame:
    """Quarter-on-quarter growth of total private employment around the 2023Q1 break.

    g_t = E_t / E_{t-1} - 1 (in %), for 2021Q1-2024Q4, France or one region.
    Apprentices enter the Urssaf scope in 2023Q1, so g_2023Q1 mixes real
    change and a change of definition.
    """
    emp = data.regional_employment()
    if region_code:
        emp = emp[emp["region_code"] == region_code]
    tot = emp.groupby("quarter")["employment"].sum()
    g = (100 * tot.pct_change()).rename("qoq_growth_pct")
    out = pd.concat([tot.rename("employment"), g], axis=1).loc[pd.Period("2021Q1"):pd.Period("2024Q4")]
    return out.reset_index()


def withheld_insolvencies() -> pd.DataFrame:
    """How many region x quarter cells are missing (withheld) per procedure."""
    ins = data.insolvencies()
    ins = ins[ins["region_code"] != "99"]
    return (ins.assign(missing=ins["count"].isna())
            .groupby("procedure", as_index=False)
            .agg(cells=("missing", "size"), missing=("missing", "sum")))

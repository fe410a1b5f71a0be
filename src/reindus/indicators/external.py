"""External checks: our numbers against figures published by Insee, Urssaf and the Banque de France.

The published figures, each with its URL and vintage, are in
``data/reference/published-figures.csv`` (compiled by hand from the producers' releases
and press reports of them). :func:`our_measures` computes the matching number from the
tidy tables of :mod:`reindus.data`; :func:`compare_published` sets them side by side.

A difference is not necessarily an error: Urssaf revises its seasonally adjusted series
every quarter, so a figure published in 2023 and our later snapshot can differ; the
``published_on`` column says which vintage each figure is.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from reindus import config
from reindus.errors import DataError
from reindus.indicators._common import require_columns

COLUMNS = ["check_id", "measure", "quantity", "published_value", "rounding", "comparison",
           "unit", "period", "geography", "publisher", "published_on", "url", "source"]


def reference_path() -> Path:
    """``data/reference/published-figures.csv`` of the repository."""
    return config.ROOT / "data" / "reference" / "published-figures.csv"


def read_published(path: Path | None = None) -> pd.DataFrame:
    """Read the table of published figures, checking its columns and values."""
    path = Path(path or reference_path())
    if not path.exists():
        raise DataError(path, "the table of published figures is missing",
                        "restore data/reference/published-figures.csv from git")
    ref = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in ref.columns]
    if missing:
        raise DataError(path, f"columns {missing} are missing", f"use the columns {COLUMNS}")
    for col in ("published_value", "rounding"):
        num = pd.to_numeric(ref[col], errors="coerce")
        if num.isna().any():
            bad = ref.loc[num.isna(), "check_id"].tolist()
            raise DataError(path, f"{col} is not a number for {bad}", "write plain numbers")
        ref[col] = num.astype("float64")
    if not ref["comparison"].isin(["equal", "at_least"]).all():
        raise DataError(path, "comparison must be 'equal' or 'at_least'", "fix the column")
    if (ref["url"].str.len() == 0).any() or ref["check_id"].duplicated().any():
        raise DataError(path, "every row needs a URL and a unique check_id", "fix the rows")
    return ref


def our_measures(employment: pd.DataFrame, sectors: pd.DataFrame, insolvencies: pd.DataFrame,
                 national_checks: pd.DataFrame) -> dict[str, float]:
    """Each ``measure`` id of the reference table, computed from the data.

    Employment changes are differences of quarterly CVS stocks,
    :math:`E_{t} - E_{t-k}` (k = 1 quarter-on-quarter, 4 year-on-year), France being the
    sum of the 17 regions; insolvency counts are sums over the quarters of regional
    counts (``_calage_`` excluded); national failures and creations are the annual
    values of ``national_checks``.
    """
    require_columns(employment, ["region_code", "sector_code", "quarter", "employment"],
                    "employment")
    require_columns(insolvencies, ["region_code", "quarter", "procedure", "count"],
                    "insolvencies")
    ind_codes = set(sectors.loc[sectors["group"] == "industry", "sector_code"])
    q = lambda s: pd.Period(s, freq="Q")  # noqa: E731 - a short local alias
    fr = employment.groupby("quarter")["employment"].sum()
    h = employment[employment["region_code"] == "32"]
    hdf = h.groupby("quarter")["employment"].sum()
    ind = employment[employment["sector_code"].isin(ind_codes)].groupby(
        ["quarter", "region_code"])["employment"].sum()
    ind22 = ind.loc[q("2022Q4")]
    checks = national_checks.set_index(["dataset", "series", "year"])["value"]
    fail = checks.loc["business_failures", "ensemble"]
    ins = insolvencies[(insolvencies["region_code"] == "32")
                       & insolvencies["quarter"].between(q("2024Q1"), q("2024Q3"))]
    ins = ins.groupby("procedure")["count"].sum(min_count=1)
    return {
        "national_failures_2024": float(fail.loc[2024]),
        "national_failures_mean_2010_2019": float(fail.loc[2010:2019].mean()),
        "national_creations_2024": float(checks.loc[("business_creations", "ensemble", 2024)]),
        "fr_private_change_yoy_2022q4": float(fr[q("2022Q4")] - fr[q("2021Q4")]),
        "hdf_private_2022q3": float(hdf[q("2022Q3")]),
        "hdf_industry_2022q4": float(ind22["32"]),
        "hdf_industry_share_national_2022q4": float(100 * ind22["32"] / ind22.sum()),
        "hdf_industry_rank_2022q4": float((ind22 > ind22["32"]).sum() + 1),
        "hdf_industry_share_regional_2022q4": float(100 * ind22["32"] / hdf[q("2022Q4")]),
        "hdf_industry_loss_2012q4_2022q4": float(ind.loc[q("2012Q4")]["32"] - ind22["32"]),
        "hdf_private_change_qoq_2024q3": float(hdf[q("2024Q3")] - hdf[q("2024Q2")]),
        "fr_private_change_qoq_2024q3": float(fr[q("2024Q3")] - fr[q("2024Q2")]),
        "hdf_liquidations_2024q1_q3": float(ins.get("liquidation", float("nan"))),
        "hdf_redressements_2024q1_q3": float(ins.get("redressement", float("nan"))),
        "hdf_private_change_qoq_2024q4": float(hdf[q("2024Q4")] - hdf[q("2024Q3")]),
        "fr_private_change_yoy_2024q4": float(fr[q("2024Q4")] - fr[q("2023Q4")]),
    }


def compare_published(reference: pd.DataFrame, ours: dict[str, float],
                      relative_tolerance: float = 0.01) -> pd.DataFrame:
    """Our number next to each published one, with the difference and an agreement flag.

    For ``comparison == 'equal'`` the figures agree when

    .. math:: |o - p| \\le \\max(r / 2,\\; \\tau |p|)

    with :math:`r` the unit of the last digit the publisher printed (``rounding``: a
    figure printed as "9 %" is met by 8.5 to 9.5) and :math:`\\tau` a revision allowance
    (1 % by default). For ``'at_least'`` ("more than 270,000") they agree when
    :math:`o \\ge p`.

    Returns
    -------
    DataFrame
        check_id, quantity, period, geography, published, ours, difference,
        difference_pct, tolerance, agrees, publisher, published_on, url.
    """
    require_columns(reference, COLUMNS, "reference")
    unknown = sorted(set(reference["measure"]) - set(ours))
    if unknown:
        raise ValueError(f"no computed value for measures {unknown}")
    out = reference.copy()
    out["published"] = out["published_value"].astype("float64")
    out["ours"] = out["measure"].map(ours).astype("float64")
    out["difference"] = out["ours"] - out["published"]
    out["difference_pct"] = 100 * out["difference"] / out["published"].abs()
    out["tolerance"] = pd.concat([out["rounding"] / 2, relative_tolerance
                                  * out["published"].abs()], axis=1).max(axis=1)
    equal = out["difference"].abs() <= out["tolerance"]
    out["agrees"] = equal.where(out["comparison"] == "equal", out["ours"] >= out["published"])
    out.loc[out["ours"].isna(), "agrees"] = False
    return out[["check_id", "quantity", "period", "geography", "published", "ours",
                "difference", "difference_pct", "tolerance", "agrees", "comparison",
                "publisher", "published_on", "url"]]


#: What each row of ``quality.published_checks()`` really is. Two are the package's
#: own integers (read off the data when the check was written: they catch a change of
#: the data or code, not an error against a publication); two are the seed article's
#: claims (checked with their source in notebook 06); one is a published figure.
PUBLISHED_CHECK_KINDS: dict[str, str] = {
    "private_employment_2022q4": "regression anchor (our own number)",
    "industry_employment_2022q4": "regression anchor (our own number)",
    "hdf_share_national_industry_2022q4": "seed-article claim (notebook 06)",
    "hdf_rank_industry_2022q4": "seed-article claim (notebook 06)",
    "business_failures_2024": "external (Banque de France)",
}

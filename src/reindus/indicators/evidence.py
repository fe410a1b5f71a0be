"""New evidence for notebook 03: firm births against failures, and industrial pay by region."""

from __future__ import annotations

import pandas as pd

from reindus.indicators._common import require_columns
from reindus.indicators.employment import industrial_employment


def creations_vs_failures(national_checks: pd.DataFrame) -> pd.DataFrame:
    """Annual business creations (all, industry, excluding micro-entrepreneurs) and failures.

    .. math:: \\rho_y = C_y / F_y

    with :math:`C_y` Insee's creations of year *y* (raw annual sums) and :math:`F_y`
    business failures (all sectors: the failure series has no sector split here).

    Returns
    -------
    DataFrame
        year, creations, creations_industry, creations_excl_micro, failures,
        creations_per_failure, creations_excl_micro_per_failure.
    """
    require_columns(national_checks, ["dataset", "series", "year", "value"], "national_checks")
    c = national_checks[national_checks["dataset"] == "business_creations"].pivot(
        index="year", columns="series", values="value")
    f = national_checks[(national_checks["dataset"] == "business_failures")
                        & (national_checks["series"] == "ensemble")].set_index("year")["value"]
    out = pd.DataFrame({"creations": c["ensemble"], "creations_industry": c["industrie"],
                        "creations_excl_micro": c["hors-micro"], "failures": f}).dropna()
    out["creations_per_failure"] = out["creations"] / out["failures"]
    out["creations_excl_micro_per_failure"] = out["creations_excl_micro"] / out["failures"]
    return out.rename_axis("year").reset_index()


def industrial_payroll_per_job(employment: pd.DataFrame, sectors: pd.DataFrame,
                               year: int) -> pd.DataFrame:
    """Each region's shares of national industrial jobs and payroll, and payroll per job.

    With :math:`W^I_r` the region's industrial payroll summed over the four quarters of
    ``year`` and :math:`\\bar E^I_r` its mean industrial employment:

    .. math:: w_r = W^I_r / \\bar E^I_r, \\qquad
              \\text{job share}_r = \\bar E^I_r / \\sum_{r'} \\bar E^I_{r'}, \\qquad
              \\text{payroll share}_r = W^I_r / \\sum_{r'} W^I_{r'}.

    Returns
    -------
    DataFrame
        region_code, region, jobs, payroll, payroll_per_job, job_share_pct,
        payroll_share_pct, relative_pay (w_r over the national w).
    """
    require_columns(employment, ["region_code", "quarter", "payroll", "employment"], "employment")
    y = employment[employment["quarter"].dt.year == year]
    if y["quarter"].nunique() != 4:
        raise ValueError(f"year {year} does not have four quarters in the data")
    jobs = industrial_employment(y, sectors).groupby(["region_code", "region"])["industry"].mean()
    pay = industrial_employment(y, sectors, value="payroll").groupby(
        ["region_code", "region"])["industry"].sum()
    out = pd.DataFrame({"jobs": jobs, "payroll": pay}).reset_index()
    out["payroll_per_job"] = out["payroll"] / out["jobs"]
    out["job_share_pct"] = 100 * out["jobs"] / out["jobs"].sum()
    out["payroll_share_pct"] = 100 * out["payroll"] / out["payroll"].sum()
    out["relative_pay"] = out["payroll_per_job"] / (out["payroll"].sum() / out["jobs"].sum())
    return out.sort_values("payroll_per_job", ascending=False).reset_index(drop=True)

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


def flows_over_cells(frame: pd.DataFrame, cell: str | list[str], start: pd.Period,
                     end: pd.Period) -> pd.Series:
    """Sums of annual (Q4 on Q4) gross creation, destruction and net change over ``cell``.

    .. math:: C = \\sum_{y} \\sum_{c} \\max(\\Delta E_{c,y}, 0), \\quad
              D = \\sum_{y} \\sum_{c} \\max(-\\Delta E_{c,y}, 0)

    for the fourth quarters :math:`y` in (``start``, ``end``], national (no grouping).
    Coarser cells net more movements internally, so :math:`C` and :math:`D` shrink
    while the net change does not.
    """
    from reindus.indicators.flows import gross_flows

    f = gross_flows(frame, cell=cell, by=None, periods=4)
    f = f[(f["quarter"].dt.quarter == 4) & (f["quarter"] > start) & (f["quarter"] <= end)]
    return f[["creation", "destruction", "net"]].sum()


def trough_and_rise(rolling: pd.DataFrame, reference: str = "2019Q4") -> dict[str, object]:
    """Reference level, trough and last value of a rolling count, and the rises between them.

    ``rolling`` has columns quarter and count_12m (one area). With :math:`N^{12m}_t` the
    rolling sum, :math:`t_0` the reference quarter and :math:`t_{min}` the trough:

    .. math:: \\text{rise} = 100 (N_T / N_{t_{min}} - 1), \\qquad
              \\text{vs ref} = 100 (N_T / N_{t_0} - 1)
    """
    require_columns(rolling, ["quarter", "count_12m"], "rolling")
    s = rolling.set_index("quarter")["count_12m"].astype("float64")
    ref = pd.Period(reference, freq="Q")
    if ref not in s.index:
        raise ValueError(f"reference quarter {ref} is not in the series")
    low, last = s.idxmin(), s.index[-1]
    return {"12m_sum_ref": int(s[ref]), "trough": str(low), "12m_sum_trough": int(s[low]),
            "last": str(last), "12m_sum_last": int(s[last]),
            "rise_from_trough_pct": round(100 * (s[last] / s[low] - 1), 1),
            "vs_ref_pct": round(100 * (s[last] / s[ref] - 1), 1)}

"""Creations against failures and industrial payroll per job, on hand-computed examples."""

from __future__ import annotations

import pandas as pd
import pytest

from reindus.indicators import evidence


def test_creations_per_failure_by_hand():
    rows = [("business_creations", s, 2024, v) for s, v in
            [("ensemble", 1000.0), ("industrie", 50.0), ("hors-micro", 400.0)]]
    rows.append(("business_failures", "ensemble", 2024, 100.0))
    rows.append(("business_creations", "ensemble", 2023, 900.0))  # no failures: dropped
    nc = pd.DataFrame(rows, columns=["dataset", "series", "year", "value"])
    out = evidence.creations_vs_failures(nc)
    assert out["year"].tolist() == [2024]
    assert out["creations_per_failure"].iloc[0] == 10
    assert out["creations_excl_micro_per_failure"].iloc[0] == 4


def test_payroll_per_job_by_hand():
    sectors = pd.DataFrame({"sector_code": ["CA", "GZ"], "sector": ["f", "t"],
                            "group": ["industry", "market services"]})
    rows = []
    for q in pd.period_range("2024Q1", "2024Q4", freq="Q"):
        for reg, emp, pay in [("A", 10, 100.0), ("B", 30, 150.0)]:
            rows.append({"region_code": reg, "region": reg, "sector_code": "CA", "quarter": q,
                         "employment": emp, "payroll": pay})
            rows.append({"region_code": reg, "region": reg, "sector_code": "GZ", "quarter": q,
                         "employment": 5, "payroll": 1.0})
    out = evidence.industrial_payroll_per_job(pd.DataFrame(rows), sectors, 2024).set_index(
        "region_code")
    # A: 400 euros a year for 10 jobs = 40; B: 600 for 30 = 20; France 1000/40 = 25
    assert out.loc["A", "payroll_per_job"] == pytest.approx(40)
    assert out.loc["B", "relative_pay"] == pytest.approx(20 / 25)
    assert out.loc["A", "job_share_pct"] == pytest.approx(25)
    assert out.loc["A", "payroll_share_pct"] == pytest.approx(40)
    with pytest.raises(ValueError):
        evidence.industrial_payroll_per_job(pd.DataFrame(rows), sectors, 2023)

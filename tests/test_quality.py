"""The published-figure checks quoted in notebook 00 all pass."""

from __future__ import annotations

import pandas as pd

from reindus.reporting import quality


def test_published_checks_pass() -> None:
    chk = quality.published_checks()
    failing = chk.loc[~chk["passes"], ["check", "published", "ours"]]
    assert failing.empty, failing.to_string()


def test_industry_by_region_shares_sum_to_100() -> None:
    ind = quality.industry_by_region("2022Q4")
    assert abs(ind["share_pct"].sum() - 100) < 1e-9
    assert ind["rank"].tolist() == list(range(1, 18))
    assert ind.iloc[0]["region"] == "Auvergne-Rhône-Alpes"


def test_apprentice_break_window() -> None:
    brk = quality.apprentice_break()
    assert brk["quarter"].iloc[0] == pd.Period("2021Q1")
    assert brk["quarter"].iloc[-1] == pd.Period("2024Q4")
    assert brk["qoq_growth_pct"].notna().all()


def test_withheld_insolvencies_counted() -> None:
    w = quality.withheld_insolvencies().set_index("procedure")
    assert w.loc["sauvegarde", "missing"] > w.loc["liquidation", "missing"] > 0

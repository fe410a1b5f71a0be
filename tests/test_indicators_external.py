"""External checks: the reference table reads, and the comparison rule works by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from reindus.errors import DataError
from reindus.indicators import external


def _ref(**over) -> pd.DataFrame:
    row = {"check_id": "a", "measure": "m", "quantity": "q", "published_value": 100.0,
           "rounding": 10.0, "comparison": "equal", "unit": "jobs", "period": "2022",
           "geography": "France", "publisher": "Insee", "published_on": "2023-01",
           "url": "https://example.org", "source": "s"}
    row.update(over)
    return pd.DataFrame([row])


def test_reference_table_has_sources_and_vintages():
    ref = external.read_published()
    assert len(ref) >= 10
    assert ref["url"].str.startswith("http").all()
    assert (ref["published_on"].str.len() > 0).all()


def test_equal_rule_uses_printed_rounding_or_revision_allowance():
    # rounding 10 -> half-unit 5; 1 % of 100 = 1; tolerance 5
    ok = external.compare_published(_ref(), {"m": 104.0})
    ko = external.compare_published(_ref(), {"m": 106.0})
    assert bool(ok["agrees"].iloc[0]) and not bool(ko["agrees"].iloc[0])
    assert ko["difference_pct"].iloc[0] == pytest.approx(6.0)


def test_at_least_rule_and_missing_measure():
    ref = _ref(comparison="at_least")
    assert bool(external.compare_published(ref, {"m": 100.0})["agrees"].iloc[0])
    assert not bool(external.compare_published(ref, {"m": 99.0})["agrees"].iloc[0])
    with pytest.raises(ValueError):
        external.compare_published(ref, {"other": 1.0})


def test_bad_reference_file_names_the_problem(tmp_path):
    path = tmp_path / "published.csv"
    _ref(published_value="about 9").to_csv(path, index=False)
    with pytest.raises(DataError, match="published_value"):
        external.read_published(path)

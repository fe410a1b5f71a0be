"""Announced industrial events against the employment of their EPCI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from reindus.indicators import event_exposure

AREA = pd.DataFrame({"code": ["e1"] * 4 + ["e2"] * 4, "year": [2020, 2021, 2022, 2023] * 2,
                     "employment": [1000, 1100, 900, 950, 200, 210, 220, 230]})
EVENTS = pd.DataFrame({
    "event_id": ["close", "open", "future", "nowhere"],
    "kind": ["closure", "opening", "opening", "closure"],
    "company": ["A", "B", "C", "D"],
    "epci_code": ["e1", "e2", "e2", None],
    "jobs": pd.array([50, 20, 100, 10], dtype="Int64"),
    "effective_on": ["2021-06-30", "2022", "2030-01", "2021"],
})


def test_hand_computed_exposure():
    out = event_exposure(EVENTS, AREA).set_index("event_id")
    assert "nowhere" not in out.index  # no area: nothing to set it against
    close = out.loc["close"]
    assert (close["base_year"], close["end_year"]) == (2020, 2022)
    assert close["jobs_pct"] == pytest.approx(5.0)
    assert close["change"] == -100
    assert close["after_observed"]
    fut = out.loc["future"]
    # Effective after the data end: base clipped to the last year, no change measured.
    assert (fut["base_year"], fut["end_year"]) == (2023, 2023)
    assert fut["jobs_pct"] == pytest.approx(100 * 100 / 230)
    assert np.isnan(fut["change"]) and not fut["after_observed"]


def test_unreadable_year_is_refused():
    bad = EVENTS.assign(effective_on=["soon", "2022", "2030", "2021"])
    with pytest.raises(ValueError, match="effective year"):
        event_exposure(bad, AREA)

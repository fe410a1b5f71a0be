"""Announced industrial events set against the measured employment of their area.

An announcement (a closure's job cuts, a gigafactory's hiring target) is not a
measurement: cuts are often partly absorbed by transfers and early retirements, and
openings ramp up over years. What the data can say is the *size* of the announcement
relative to the local labour market, and how total private employment of the area
moved around the effective date, all other changes included.
"""

from __future__ import annotations

import pandas as pd

from reindus.indicators._common import require_columns, require_unique


def event_exposure(
    events: pd.DataFrame,
    area_employment: pd.DataFrame,
    *,
    area: str = "epci_code",
) -> pd.DataFrame:
    """Announced jobs as a share of the area's private employment, and its change.

    For event *e* in area *a* with effective year :math:`y_e` and announced jobs
    :math:`J_e`, with :math:`E_{a,y}` the area's private employment at the end of year
    *y* (``data.area_employment('epci')``):

    .. math::

        b = \\min(y_e - 1, y_{last}), \\qquad
        \\text{jobs\\_pct} = 100 \\, J_e / E_{a,b}, \\qquad
        \\Delta = E_{a,\\min(y_e + 1, y_{last})} - E_{a,b} .

    ``after_observed`` says whether the year after the effective year is in the data;
    when it is not (openings still ramping up), :math:`\\Delta` is only the change to
    the last year and says nothing yet about the event.

    Parameters
    ----------
    events
        ``data.industrial_events()``: event_id, kind, company, ``area``, jobs,
        effective_year (or effective_on, whose first four characters are the year).
    area_employment
        ``data.area_employment(level)``: code, year, employment.

    Returns
    -------
    DataFrame
        One row per event with an area: event_id, kind, company, ``area``, jobs,
        effective_year, base_year, employment_base, jobs_pct, end_year,
        employment_end, change, change_pct, after_observed.
    """
    require_columns(events, ["event_id", "kind", "company", area, "jobs"], "events")
    require_columns(area_employment, ["code", "year", "employment"], "area_employment")
    require_unique(area_employment, ["code", "year"], "area_employment")
    ev = events.loc[events[area].notna()].copy()
    if "effective_year" in ev.columns:
        years = pd.to_numeric(ev["effective_year"], errors="coerce")
    else:
        require_columns(ev, ["effective_on"], "events")
        years = pd.to_numeric(ev["effective_on"].astype(str).str[:4], errors="coerce")
    if years.isna().any():
        bad = ev.loc[years.isna(), "event_id"].tolist()
        raise ValueError(f"events {bad} have no readable effective year")
    ev["effective_year"] = years.astype("int64")
    first, last = int(area_employment["year"].min()), int(area_employment["year"].max())
    ev["base_year"] = (ev["effective_year"] - 1).clip(lower=first, upper=last)
    ev["end_year"] = (ev["effective_year"] + 1).clip(upper=last)
    ev["after_observed"] = ev["effective_year"] + 1 <= last
    emp = area_employment.set_index(["code", "year"])["employment"]
    ev["employment_base"] = [emp.get((str(c), int(y))) for c, y in
                             zip(ev[area], ev["base_year"], strict=True)]
    ev["employment_end"] = [emp.get((str(c), int(y))) for c, y in
                            zip(ev[area], ev["end_year"], strict=True)]
    base = pd.to_numeric(ev["employment_base"], errors="coerce").astype("float64")
    end = pd.to_numeric(ev["employment_end"], errors="coerce").astype("float64")
    jobs = pd.to_numeric(ev["jobs"], errors="coerce").astype("float64")
    ev["employment_base"], ev["employment_end"] = base, end
    ev["jobs_pct"] = (100.0 * jobs / base).where(base > 0)
    ev["change"] = (end - base).where(ev["end_year"] > ev["base_year"])
    ev["change_pct"] = (100.0 * ev["change"] / base).where(base > 0)
    cols = ["event_id", "kind", "company", area, "jobs", "effective_year", "base_year",
            "employment_base", "jobs_pct", "end_year", "employment_end", "change",
            "change_pct", "after_observed"]
    return ev[cols].reset_index(drop=True)

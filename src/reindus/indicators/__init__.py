"""Indicators: pure functions on the tidy tables of :mod:`reindus.data`.

Each function takes tidy frames as arguments (it never reads files), checks its input,
and returns a new tidy frame; its docstring gives the formula.

Modules
-------
employment
    Industrial employment level and share (industry defined by ``data.sectors()``),
    sector-group shares, regions' shares of the nation and ranks.
growth
    Base-100 indices, quarter-on-quarter and year-on-year growth, CAGR.
specialisation
    Location quotients and the Krugman dissimilarity index.
shiftshare
    Classic and chained (year-by-year) shift-share decompositions.
events
    Announced industrial events against the employment of their EPCI.
flows
    Gross job creation and destruction from cell changes (a lower bound of
    establishment-level flows), DHS rates, reallocation.
insolvency
    Collective procedures: counts (with the national ``_calage_``), rates per 1,000
    employees, rolling annual sums, year-on-year changes.
"""

from reindus.indicators.employment import (
    employment_by_group,
    industrial_employment,
    rank_within,
    sector_codes,
    share_of_total,
)
from reindus.indicators.events import event_exposure
from reindus.indicators.flows import annual_flows, cell_changes, gross_flows
from reindus.indicators.growth import (
    cagr,
    cagr_windows,
    growth_rate,
    index,
    matched_change,
    qoq,
    yoy,
)
from reindus.indicators.insolvency import (
    employment_denominator,
    insolvency_counts,
    insolvency_rates,
    insolvency_yoy,
    rolling_annual,
)
from reindus.indicators.shiftshare import chained_shift_share, shift_share, shift_share_steps
from reindus.indicators.specialisation import krugman_index, location_quotients

__all__ = [
    "annual_flows",
    "cagr",
    "cagr_windows",
    "cell_changes",
    "chained_shift_share",
    "employment_by_group",
    "employment_denominator",
    "event_exposure",
    "growth_rate",
    "gross_flows",
    "index",
    "industrial_employment",
    "insolvency_counts",
    "insolvency_rates",
    "insolvency_yoy",
    "krugman_index",
    "location_quotients",
    "matched_change",
    "qoq",
    "rank_within",
    "rolling_annual",
    "sector_codes",
    "share_of_total",
    "shift_share",
    "shift_share_steps",
    "yoy",
]

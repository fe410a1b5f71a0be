r"""Job changes of the EPCI: employment index, changes over periods, regional ranks, gainers.

Employment :math:`E_{it}` of EPCI :math:`i` at the end of year :math:`t`; the change over
:math:`(a, b)` is :math:`E_{ib} - E_{ia}` and :math:`100\,(E_{ib}/E_{ia} - 1)` in percent.
Pure functions on the tidy frames of :mod:`reindus.data`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from reindus.errors import require_columns
from reindus.geo.epci import PERIODS, check_employment, pct_change


# --------------------------------------------------------------------------- trajectories
def employment_index(employment: pd.DataFrame, base_year: int = 2019) -> pd.DataFrame:
    r"""Index and growth of each series: :math:`I_t = 100\,E_t/E_b`, :math:`g_t = 100(E_t/E_{t-1}-1)`.

    Returns ``employment`` (code, year, employment) with ``index`` (base ``base_year`` =
    100) and ``growth_pct`` (year on year, NaN for the first year). A series without a
    positive value at the base year gets NaN indices.
    """
    check_employment(employment)
    df = employment[["code", "year", "employment"]].sort_values(["code", "year"]).copy()
    base = df.loc[df["year"] == base_year].set_index("code")["employment"].astype("float64")
    b = df["code"].map(base)
    df["index"] = (100.0 * df["employment"] / b).where(b > 0)
    prev = df[["code", "year", "employment"]].assign(year=df["year"] + 1).rename(
        columns={"employment": "_prev"})
    df = df.merge(prev, on=["code", "year"], how="left")
    df["growth_pct"] = pct_change(df["_prev"], df["employment"])
    return df.drop(columns="_prev").reset_index(drop=True)


def changes(employment: pd.DataFrame, periods: Sequence[tuple[int, int]] = PERIODS
            ) -> pd.DataFrame:
    r"""Job changes over each period, per code.

    For a period :math:`(a, b)`: ``chg_a_b`` :math:`= E_b - E_a` (jobs),
    ``pct_a_b`` :math:`= 100\,(E_b/E_a - 1)` and ``cagr_a_b``
    :math:`= 100\,[(E_b/E_a)^{1/(b-a)} - 1]` (mean annual growth). Years are end-of-year
    stocks, so "2019–2024" runs from 31 December 2019 to 31 December 2024.

    Returns
    -------
    pandas.DataFrame
        code, ``emp_<year>`` for every year used, then chg/pct/cagr per period. Missing
        years give NaN, never a wrong number.
    """
    check_employment(employment)
    for a, b in periods:
        if not int(b) > int(a):
            raise ValueError(f"period {(a, b)} must have end > start")
    years = sorted({y for p in periods for y in p})
    wide = employment.pivot(index="code", columns="year", values="employment")
    absent = [y for y in years if y not in wide.columns]
    if absent:
        raise ValueError(f"employment has no year {absent}; it covers "
                         f"{sorted(employment['year'].unique())}")
    out = pd.DataFrame(index=wide.index)
    for y in years:
        out[f"emp_{y}"] = wide[y].astype("float64")
    for a, b in periods:
        ea, eb = wide[a].astype("float64"), wide[b].astype("float64")
        out[f"chg_{a}_{b}"] = eb - ea
        out[f"pct_{a}_{b}"] = pct_change(ea, eb)
        out[f"cagr_{a}_{b}"] = (100.0 * ((eb / ea) ** (1.0 / (b - a)) - 1.0)).where(ea > 0)
    out.index.name = "code"
    return out.reset_index()


def _events_by_epci(events: pd.DataFrame) -> pd.DataFrame:
    require_columns(events, ["epci_code", "kind", "company", "jobs", "effective_on"], "events")
    ev = events[events["epci_code"].notna()].copy()
    ev["year"] = ev["effective_on"].astype(str).str[:4]
    ev = ev.sort_values(["epci_code", "year", "company"])
    jobs = ev["jobs"].map(lambda j: "" if pd.isna(j) else f", {int(j)} jobs announced")
    ev["text"] = ev["company"] + " (" + ev["kind"] + " " + ev["year"] + jobs + ")"
    return ev.groupby("epci_code").agg(n_events=("text", "size"),
                                       events=("text", "; ".join))


def dynamics(employment: pd.DataFrame, profiles_table: pd.DataFrame,
             events: pd.DataFrame | None = None,
             periods: Sequence[tuple[int, int]] = PERIODS) -> pd.DataFrame:
    """Job-dynamics summary per COG EPCI: changes, ranks within region, industrial events.

    Parameters
    ----------
    employment
        ``data.area_employment('epci')``.
    profiles_table
        :func:`profiles`. Only its EPCI are kept (the series code :data:`NO_EPCI` is left
        out; see :func:`reconcile_codes`); EPCI without a series get NaN changes.
    events
        ``data.industrial_events()`` (optional): ``n_events`` and an ``events`` text.
    periods
        Periods of :func:`changes`.

    Returns
    -------
    pandas.DataFrame
        The profile columns, the :func:`changes` columns, and for each period
        ``rank_a_b``: rank of ``pct_a_b`` within the region, 1 = strongest growth (ties
        share the smallest rank; EPCI without the change are not ranked), and
        ``n_region``: EPCI of the region with a 2019–2024 (last period) change.
    """
    require_columns(profiles_table, ["epci_code", "epci", "region_code"], "profiles_table")
    ch = changes(employment, periods).rename(columns={"code": "epci_code"})
    out = profiles_table.merge(ch, on="epci_code", how="left")
    for a, b in periods:
        out[f"rank_{a}_{b}"] = (out.groupby("region_code")[f"pct_{a}_{b}"]
                                .rank(ascending=False, method="min").astype("Int64"))
    a, b = periods[-1]
    out["n_region"] = out.groupby("region_code")[f"pct_{a}_{b}"].transform("count").astype(
        "int64")
    if events is not None:
        ev = _events_by_epci(events)
        out["n_events"] = out["epci_code"].map(ev["n_events"]).fillna(0).astype("int64")
        out["events"] = out["epci_code"].map(ev["events"]).fillna("")
    return out.reset_index(drop=True)


def gainers_losers(dyn: pd.DataFrame, period: tuple[int, int], *, n: int = 5,
                   region_code: str | None = None) -> pd.DataFrame:
    """The ``n`` EPCI with the largest job gains and the ``n`` with the largest losses.

    Ranked on the change in jobs ``chg_a_b`` (absolute numbers: large EPCI dominate; sort
    ``pct_a_b`` yourself for the relative view). Returns the rows with a ``side`` column
    ('gain' or 'loss'), ties broken by code for determinism.
    """
    a, b = period
    col = f"chg_{a}_{b}"
    require_columns(dyn, ["epci_code", "epci", col, f"pct_{a}_{b}"], "dyn")
    d = dyn if region_code is None else dyn[dyn["region_code"] == region_code]
    d = d[d[col].notna()]
    top = d.sort_values([col, "epci_code"], ascending=[False, True]).head(n)
    bottom = d.sort_values([col, "epci_code"], ascending=[True, True]).head(n)
    return pd.concat([top.assign(side="gain"), bottom.assign(side="loss")],
                     ignore_index=True)


def count_gainers(dyn: pd.DataFrame, period: tuple[int, int],
                  by: str | None = "region_code") -> pd.DataFrame:
    """Number of EPCI that gained, lost or kept their private jobs over ``period``, and jobs."""
    a, b = period
    col = f"chg_{a}_{b}"
    d = dyn[dyn[col].notna()].copy()
    d["side"] = np.sign(d[col]).map({1.0: "gained", -1.0: "lost", 0.0: "unchanged"})
    keys = [by] if by else []
    counts = d.pivot_table(index=keys or None, columns="side", values="epci_code",
                           aggfunc="count", fill_value=0) if keys else \
        d["side"].value_counts().to_frame().T
    counts = counts.reindex(columns=["gained", "lost", "unchanged"], fill_value=0)
    counts["net_jobs"] = d.groupby(keys)[col].sum() if keys else d[col].sum()
    counts.columns.name = None
    return counts.reset_index() if keys else counts.reset_index(drop=True)



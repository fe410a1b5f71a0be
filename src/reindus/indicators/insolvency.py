"""Firm failures (*procédures collectives*): counts, rates per 1,000 employees, changes.

The Urssaf table counts the judgments opening a collective procedure:
*redressement judiciaire* (court-supervised reorganisation), *liquidation judiciaire*
(winding-up) and *sauvegarde* (safeguard, a pre-insolvency procedure that exists since
2006). Counts are by 2016 region; the pseudo-region ``'99'`` (``_calage_``) holds a
(negative) correction so that the sum of all rows, regions plus ``_calage_``, equals
the national total. Hence:

* regional figures use the real regions only (``_calage_`` is not a place);
* the national figure is the sum of every row *including* ``_calage_``. It is smaller
  than the sum of the regions, so regional rates are not comparable one for one with
  the national rate (they are on average a few percent higher).

A missing count means the figure is withheld or absent (the table never shows a zero):
in practice only *sauvegarde* counts are missing, before 2006 everywhere and in some
quarters in small regions. Totals treat them as zero and say how many were missing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import pandas as pd

from reindus.indicators._common import as_keys, require_columns, require_unique
from reindus.indicators.growth import growth_rate

CALAGE_CODE = "99"
NATIONAL_CODE = "FR"
NATIONAL_LABEL = "France"
PROCEDURES: tuple[str, ...] = ("redressement", "liquidation", "sauvegarde")

Freq = Literal["quarter", "year"]


def _to_freq(frame: pd.DataFrame, freq: Freq, time: str = "quarter") -> pd.DataFrame:
    if freq == "quarter":
        return frame
    if freq == "year":
        return frame.assign(year=frame[time].dt.year).drop(columns=time)
    raise ValueError(f"freq must be 'quarter' or 'year', got {freq!r}")


def insolvency_counts(
    insolvencies: pd.DataFrame,
    *,
    procedures: Iterable[str] | None = None,
    freq: Freq = "quarter",
    national: bool = True,
) -> pd.DataFrame:
    """Number of collective procedures by region and period.

    .. math::

        N_{r,t} = \\sum_{p \\in P} n_{r,t,p}, \\qquad
        N_{FR,t} = \\sum_{r} N_{r,t} + N_{\\_calage\\_,t}

    Parameters
    ----------
    insolvencies
        ``data.insolvencies()``: region_code, region, quarter, procedure, count.
    procedures
        Procedures to add up (default: all three).
    freq
        ``'quarter'`` or ``'year'`` (calendar-year sums; incomplete years are dropped).
    national
        Add the national total as region ``'FR'`` (``'France'``), computed with the
        ``_calage_`` correction.

    Returns
    -------
    DataFrame
        ``region_code``, ``region``, ``quarter`` or ``year``, ``count`` (int64),
        ``n_missing`` (number of withheld or absent counts treated as zero).
    """
    require_columns(insolvencies, ["region_code", "region", "quarter", "procedure", "count"],
                    "insolvencies")
    require_unique(insolvencies, ["region_code", "quarter", "procedure"], "insolvencies")
    chosen = tuple(PROCEDURES if procedures is None else procedures)
    unknown = set(chosen) - set(PROCEDURES)
    if unknown or not chosen:
        raise ValueError(f"procedures must be among {PROCEDURES}, got {chosen}")
    rows = insolvencies.loc[insolvencies["procedure"].isin(chosen)]
    rows = rows.assign(n_missing=rows["count"].isna().astype("int64"),
                       count=rows["count"].fillna(0).astype("int64"))
    rows = _to_freq(rows, freq)
    t = "quarter" if freq == "quarter" else "year"
    out = rows.groupby(["region_code", "region", t], as_index=False, observed=True,
                       sort=True)[["count", "n_missing"]].sum()
    if freq == "year":
        # A complete year has four quarters for each chosen procedure.
        n_rows = rows.groupby(["region_code", t], observed=True).size()
        complete = n_rows[n_rows == 4 * len(chosen)].reset_index()[["region_code", t]]
        out = out.merge(complete, on=["region_code", t])
    if national:
        nat = out.groupby(t, as_index=False, observed=True, sort=True)[
            ["count", "n_missing"]].sum()
        nat.insert(0, "region_code", NATIONAL_CODE)
        nat.insert(1, "region", NATIONAL_LABEL)
        out = pd.concat([out, nat], ignore_index=True)
    out = out.loc[out["region_code"] != CALAGE_CODE]
    return out.sort_values(["region_code", t], kind="stable").reset_index(drop=True)


def employment_denominator(
    employment: pd.DataFrame,
    *,
    freq: Freq = "quarter",
    national: bool = True,
) -> pd.DataFrame:
    """Total private employment by region and period, the denominator of rates.

    Sums all sectors of ``data.regional_employment()``; for ``freq='year'`` takes the
    mean of the four quarters (incomplete years dropped). With ``national=True`` adds
    ``'FR'``, the sum of the regions present (Mayotte has no Urssaf regional series,
    so the national denominator lacks it; its weight is negligible).

    Returns
    -------
    DataFrame
        ``region_code``, ``quarter`` or ``year``, ``employment`` (float).
    """
    require_columns(employment, ["region_code", "quarter", "employment"], "employment")
    tot = employment.groupby(["region_code", "quarter"], as_index=False, observed=True)[
        "employment"].sum()
    if national:
        nat = tot.groupby("quarter", as_index=False, observed=True)["employment"].sum()
        nat.insert(0, "region_code", NATIONAL_CODE)
        tot = pd.concat([tot, nat], ignore_index=True)
    tot["employment"] = tot["employment"].astype("float64")
    if freq == "year":
        tot = _to_freq(tot, "year")
        tot = tot.groupby(["region_code", "year"], as_index=False, observed=True).agg(
            employment=("employment", "mean"), n=("employment", "size"))
        tot = tot.loc[tot["n"] == 4].drop(columns="n")
    elif freq != "quarter":
        raise ValueError(f"freq must be 'quarter' or 'year', got {freq!r}")
    return tot.sort_values(["region_code", tot.columns[1]], kind="stable").reset_index(drop=True)


def insolvency_rates(
    counts: pd.DataFrame,
    employment: pd.DataFrame,
    *,
    per: float = 1000.0,
    time: str = "quarter",
) -> pd.DataFrame:
    """Procedures per ``per`` private employees.

    .. math:: \\text{rate}_{r,t} = \\text{per} \\times N_{r,t} / E_{r,t}

    with :math:`E_{r,t}` total private employment of the same region and period (the
    annual mean for annual counts). This scales failures by the size of the regional
    economy; it is not a failure rate of firms (the denominator is jobs, not firms).

    Parameters
    ----------
    counts
        Output of :func:`insolvency_counts` (``region_code``, ``time``, ``count``).
    employment
        Output of :func:`employment_denominator` at the same frequency.

    Returns
    -------
    DataFrame
        ``counts`` with ``employment`` and ``rate`` (NaN where employment is unknown,
        e.g. Mayotte).
    """
    require_columns(counts, ["region_code", time, "count"], "counts")
    require_columns(employment, ["region_code", time, "employment"], "employment")
    require_unique(employment, ["region_code", time], "employment")
    if per <= 0:
        raise ValueError(f"per must be positive, got {per}")
    out = counts.merge(employment[["region_code", time, "employment"]],
                       on=["region_code", time], how="left")
    out["rate"] = (per * out["count"] / out["employment"]).where(out["employment"] > 0)
    return out


def rolling_annual(
    counts: pd.DataFrame,
    value: str = "count",
    *,
    by: str | Iterable[str] | None = ("region_code",),
    time: str = "quarter",
    name: str = "count_12m",
) -> pd.DataFrame:
    """Sum over the last four quarters (the '12-month cumulative' of Banque de France).

    .. math:: N^{12m}_t = \\sum_{j=0}^{3} N_{t-j}

    Missing (NaN) unless the four quarters are all observed.
    """
    keys = as_keys(by)
    require_columns(counts, [*keys, time, value], "counts")
    require_unique(counts, [*keys, time], "counts")
    out = counts.copy()
    total = pd.Series(0.0, index=out.index)
    for lag in range(4):
        shifted = out[[*keys, time, value]].copy()
        shifted[time] = shifted[time] + lag
        looked = out[[*keys, time]].merge(shifted, on=[*keys, time], how="left")[value]
        total = total + looked.astype("float64").to_numpy()
    out[name] = total
    return out


def insolvency_yoy(
    counts: pd.DataFrame,
    value: str = "count",
    *,
    by: str | Iterable[str] | None = ("region_code",),
    time: str = "quarter",
    name: str = "yoy_pct",
) -> pd.DataFrame:
    """Year-on-year change of counts, in percent (same quarter, or year, a year earlier).

    .. math:: 100 \\, (N_t / N_{t-1\\,\\text{year}} - 1)
    """
    require_columns(counts, [time], "counts")
    lag = 4 if isinstance(counts[time].dtype, pd.PeriodDtype) else 1
    if isinstance(counts[time].dtype, pd.PeriodDtype) and not str(counts[time].dtype).startswith(
            "period[Q"):
        raise ValueError(f"insolvency_yoy expects quarters or integer years, got "
                         f"{counts[time].dtype}")
    return growth_rate(counts, value, periods=lag, time=time, by=by, name=name)

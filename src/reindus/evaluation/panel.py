r"""The regional outcome panel and the treatment dates of the accords.

Outcome: private salaried employment (Urssaf, seasonally adjusted) summed
over the sectors of a group (default ``'industry'``: the 11 NA28i codes BZ to
DZ-EZ), per region and quarter, as

.. math::

    y_{rt} = \log E_{rt}, \qquad \text{index}_{rt} = 100\, E_{rt} / E_{r,b},

with :math:`b` the base quarter of the index. Optionally the region x
sector panel (one row per region, industrial sector and quarter).

Treatment dates come from :func:`reindus.data.accords`: the first full
quarter after signature. Two dates are uncertain and are never used
silently:

* Occitanie (``announced_not_confirmed``): an accord announced for June 2024
  whose signature we could not confirm;
* Grand Est (``year_inferred``): 17 July, year inferred as 2025.

``uncertain='exclude'`` (default) drops those regions from the sample
altogether (neither treated nor donors); ``'announced'`` uses the published
dates; ``'vary'`` returns one timing per scenario (see
:func:`treatment_timing`).

Only the 13 metropolitan regions are used: the four overseas regions
(Guadeloupe, Martinique, Guyane, La Réunion) have small industrial bases
dominated by agri-food and energy, island or remote labour markets and
specific public support schemes, so they are poor donors for mainland
regions; Mayotte is absent from the source.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from reindus.config import OVERSEAS_REGIONS

UNCERTAIN_STATUSES = ("announced_not_confirmed", "year_inferred")
#: First quarter in which apprentices are counted (series break).
APPRENTICE_BREAK = pd.Period("2023Q1", freq="Q-DEC")
#: Quarters disturbed by Covid-19 (lockdowns, short-time work).
COVID_QUARTERS = tuple(pd.period_range("2020Q1", "2021Q4", freq="Q-DEC"))

Uncertain = Literal["exclude", "announced", "vary"]


def as_quarter(p: Any) -> pd.Period:
    """A quarter label (``'2024Q1'``) or Period -> ``Period[Q-DEC]``."""
    return p if isinstance(p, pd.Period) else pd.Period(str(p), freq="Q-DEC")


_q = as_quarter


def in_window(d: pd.DataFrame, window: tuple[Any, Any], column: str = "quarter") -> pd.DataFrame:
    """Rows of ``d`` whose ``column`` lies in ``window = (first, last)`` (``None`` = open end)."""
    lo, hi = window
    if lo is not None:
        d = d[d[column] >= _q(lo)]
    if hi is not None:
        d = d[d[column] <= _q(hi)]
    return d


def outcome_panel(
    employment: pd.DataFrame,
    sectors: pd.DataFrame,
    *,
    group: str | None = "industry",
    sector_codes: Iterable[str] | None = None,
    by_sector: bool = False,
    metropolitan_only: bool = True,
    window: tuple[str | pd.Period | None, str | pd.Period | None] = (None, None),
    index_base: str | pd.Period | None = None,
) -> pd.DataFrame:
    """Log employment and its index by region (and sector) and quarter.

    Parameters
    ----------
    employment
        :func:`reindus.data.regional_employment`.
    sectors
        :func:`reindus.data.sectors` (for the sector groups).
    group
        Sector group to sum (``'industry'``, ``'construction'``, ``'market
        services'``, ``'non-market'``, ``'temporary work'``), or None with
        ``sector_codes``.
    sector_codes
        Explicit NA28i codes (overrides ``group``).
    by_sector
        One row per region x sector x quarter instead of summing.
    metropolitan_only
        Drop the overseas regions (default).
    window
        ``(first, last)`` quarters kept (None = open).
    index_base
        Base quarter of ``index`` (default: the first quarter of the window).

    Returns
    -------
    pandas.DataFrame
        region_code, region, [sector_code, sector,] unit, quarter,
        employment, log_employment, index. ``unit`` is the region code (or
        ``region_code:sector_code``), ready for the estimators.
    """
    need = {"region_code", "region", "sector_code", "quarter", "employment"}
    if missing := need - set(employment.columns):
        raise ValueError(f"employment table lacks {sorted(missing)}")
    if sector_codes is not None:
        codes = [str(c) for c in sector_codes]
        unknown = sorted(set(codes) - set(sectors["sector_code"]))
        if unknown:
            raise ValueError(f"unknown sector codes {unknown}")
    else:
        groups = sorted(sectors["group"].unique())
        if group not in groups:
            raise ValueError(f"group must be one of {groups}, got {group!r}")
        codes = sectors.loc[sectors["group"] == group, "sector_code"].tolist()
    d = employment[employment["sector_code"].isin(codes)]
    if metropolitan_only:
        d = d[~d["region_code"].isin(OVERSEAS_REGIONS)]
    d = in_window(d, window)
    if d.empty:
        raise ValueError("no rows left after filtering sectors, regions and window")
    if by_sector:
        d = d.drop(columns=["sector"], errors="ignore").merge(
            sectors[["sector_code", "sector"]], on="sector_code", how="left")
    keys = ["region_code", "region"] + (["sector_code", "sector"] if by_sector else []) + ["quarter"]
    out = d.groupby(keys, observed=True, sort=True)["employment"].sum().reset_index()
    if (out["employment"] <= 0).any():
        bad = out.loc[out["employment"] <= 0, keys].head(3)
        raise ValueError(f"non-positive employment, log undefined, e.g.\n{bad}")
    out["employment"] = out["employment"].astype("int64")
    out["log_employment"] = np.log(out["employment"].astype(float))
    unit_keys = ["region_code"] + (["sector_code"] if by_sector else [])
    out["unit"] = out[unit_keys].astype(str).agg(":".join, axis=1)
    base = _q(index_base) if index_base is not None else out["quarter"].min()
    base_emp = out.loc[out["quarter"] == base].set_index("unit")["employment"]
    if base_emp.empty:
        raise ValueError(f"index base {base} is outside the window")
    out["index"] = 100.0 * out["employment"] / out["unit"].map(base_emp).astype(float)
    cols = keys[:-1] + ["unit", "quarter", "employment", "log_employment", "index"]
    return out[cols].reset_index(drop=True)


def treatment_timing(accords: pd.DataFrame, *, uncertain: Uncertain = "exclude",
                     override: dict[str, str | pd.Period] | None = None) -> pd.DataFrame:
    """First treated quarter of each accord region, with uncertain dates explicit.

    Parameters
    ----------
    accords
        :func:`reindus.data.accords`.
    uncertain
        ``'exclude'``: regions whose date is uncertain get ``role='excluded'``
        (to be dropped from every sample); ``'announced'``: the published
        date is used; ``'vary'``: one block of rows per scenario (column
        ``scenario``): ``exclude``, ``announced``, and for each uncertain
        region, its date moved one quarter earlier and later (Occitanie) or
        one year earlier and "after the data" (Grand Est, whose year is
        inferred), the other uncertain region being excluded.
    override
        region_code -> first treated quarter, e.g. ``{'32': '2023Q4'}`` to
        test anticipation; recorded in ``note``.

    Returns
    -------
    pandas.DataFrame
        scenario, region_code, region, date_status, signed_on,
        first_treated (Period or NaT), role ('treated', 'excluded' or
        'control' when a scenario moves the date past the data), note.
    """
    if uncertain not in ("exclude", "announced", "vary"):
        raise ValueError("uncertain must be 'exclude', 'announced' or 'vary'")
    need = {"region_code", "region", "date_status", "treatment_quarter", "signed_on"}
    if missing := need - set(accords.columns):
        raise ValueError(f"accords table lacks {sorted(missing)}")
    bad = sorted(set(accords["date_status"]) - {"confirmed", *UNCERTAIN_STATUSES})
    if bad:
        raise ValueError(f"unknown date_status {bad}: decide how to treat it before estimating")
    base = accords[["region_code", "region", "date_status", "signed_on", "treatment_quarter"]].copy()
    base = base.rename(columns={"treatment_quarter": "first_treated"})
    base["note"] = ""
    if override:
        for code, q in override.items():
            m = base["region_code"] == str(code)
            if not m.any():
                raise ValueError(f"override: region {code} has no accord")
            base.loc[m, "note"] = f"date overridden from {base.loc[m, 'first_treated'].iloc[0]}"
            base.loc[m, "first_treated"] = _q(q)
    unc = base["date_status"].isin(UNCERTAIN_STATUSES)

    def scen(name: str, moves: dict[str, pd.Period | None], drop: Iterable[str]) -> pd.DataFrame:
        s = base.copy()
        s["role"] = "treated"
        for code in drop:
            s.loc[s["region_code"] == code, ["role", "first_treated"]] = ["excluded", pd.NaT]
            s.loc[s["region_code"] == code, "note"] = "uncertain date: excluded"
        for code, q in moves.items():
            m = s["region_code"] == code
            if q is None:
                s.loc[m, ["role", "first_treated"]] = ["control", pd.NaT]
                s.loc[m, "note"] = "date moved after the data: untreated in sample"
            else:
                s.loc[m, "first_treated"] = q
                s.loc[m, "note"] = f"date moved to {q}"
        s.insert(0, "scenario", name)
        return s

    unc_codes = base.loc[unc, "region_code"].tolist()
    if uncertain == "exclude":
        out = scen("exclude", {}, unc_codes)
    elif uncertain == "announced":
        out = scen("announced", {}, [])
        out.loc[out["region_code"].isin(unc_codes), "note"] = "uncertain date: used as announced"
    else:
        blocks = [scen("exclude", {}, unc_codes), scen("announced", {}, [])]
        for _, r in base[unc].iterrows():
            code, q = r["region_code"], r["first_treated"]
            others = [c for c in unc_codes if c != code]
            if r["date_status"] == "year_inferred":
                alts = {"year_earlier": q - 4, "after_data": None}
            else:
                alts = {"quarter_earlier": q - 1, "quarter_later": q + 1}
            for label, alt in alts.items():
                blocks.append(scen(f"{code}_{label}", {code: alt}, others))
        out = pd.concat(blocks, ignore_index=True)
    out["first_treated"] = out["first_treated"].astype("period[Q-DEC]")
    return out.reset_index(drop=True)


def design(timing: pd.DataFrame, regions: Iterable[str], *, treated: str = "32",
           start: str | pd.Period | None = None, scenario: str | None = None,
           data_end: str | pd.Period | None = None) -> dict:
    """Treated unit, start, donors and exclusions for a one-region analysis.

    Donors are the regions of ``regions`` (metropolitan) with no accord.
    Other accord regions are excluded (they are treated during the window,
    or their date is uncertain), with the reason.

    Returns
    -------
    dict
        ``treated``, ``start`` (Period), ``donors`` (list), ``excluded``
        (region -> reason), ``timing`` (the rows of the scenario).
    """
    t = timing if scenario is None else timing[timing["scenario"] == scenario]
    if t["scenario"].nunique() > 1:
        raise ValueError("timing has several scenarios: pass scenario=")
    regions = [str(r) for r in regions]
    row = t[t["region_code"] == str(treated)]
    if row.empty or row["role"].iloc[0] != "treated":
        raise ValueError(f"region {treated} is not treated in this timing "
                         f"(roles: {dict(zip(t['region_code'], t['role'], strict=True))}); "
                         "for a region with an uncertain date use uncertain='announced'")
    st = _q(start) if start is not None else row["first_treated"].iloc[0]
    excluded = {}
    for _, r in t.iterrows():
        if r["region_code"] == str(treated) or r["role"] == "control":
            continue
        if r["role"] == "excluded":
            excluded[r["region_code"]] = "uncertain accord date"
        elif data_end is not None and r["first_treated"] > _q(data_end):
            continue  # treated only after the data: a valid donor
        else:
            excluded[r["region_code"]] = f"accord region (treated from {r['first_treated']})"
    donors = [r for r in regions if r != str(treated) and r not in excluded]
    return {"treated": str(treated), "start": st, "donors": donors, "excluded": excluded,
            "timing": t.reset_index(drop=True)}


def staggered_panel(panel: pd.DataFrame, timing: pd.DataFrame, *, scenario: str | None = None
                    ) -> pd.DataFrame:
    """Add ``first_treated`` (Period, NaT = never) to a region panel; drop excluded regions."""
    t = timing if scenario is None else timing[timing["scenario"] == scenario]
    if t["scenario"].nunique() > 1:
        raise ValueError("timing has several scenarios: pass scenario=")
    excl = set(t.loc[t["role"] == "excluded", "region_code"])
    ft = t.loc[t["role"] == "treated"].set_index("region_code")["first_treated"]
    out = panel[~panel["region_code"].isin(excl)].copy()
    out["first_treated"] = out["region_code"].map(ft).astype("period[Q-DEC]")
    return out.reset_index(drop=True)

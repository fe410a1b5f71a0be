"""Claims of the seed article and of the accords' communication, set against the data.

Each function takes tidy frames of :mod:`reindus.data` and returns a number or a
small frame; :func:`claims_table` assembles one row per claim with the number the
data give and a verdict taken from a stated rule (never typed by hand):

* ``confirmed``: the data give the stated figure, rounded to the precision at
  which it was stated (9 % is confirmed by 9.02 %, 17.6 % is not by 18.2 %), or
  the registry holds the stated date or signature;
* ``not reproduced``: the data give another figure, date or status;
* ``not testable with these data``: the claim is about something the data do not
  measure (a future date, investment, output).

The industrial-events and accords registries (``data/reference``) are press and
official sources compiled by hand: a verdict that rests on them says so in its
``basis``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from reindus.indicators._common import require_columns
from reindus.indicators.employment import industrial_employment, rank_within, share_of_total

CONFIRMED = "confirmed"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable with these data"
VERDICTS = (CONFIRMED, NOT_REPRODUCED, NOT_TESTABLE)

SEED = "seed article (Envies de ville, 27 May 2024)"

#: Communes hosting each battery plant. ACC's site straddles Billy-Berclau and
#: Douvrin, next to Stellantis' engine plant (Française de Mécanique) whose jobs are
#: declared partly in Haisnes; XTC-Orano's site spans Gravelines and Loon-Plage.
GIGAFACTORY_HOSTS: Mapping[str, tuple[str, ...]] = {
    "acc-douvrin": ("62132", "62276", "62401"),
    "aesc-douai": ("59329",),
    "verkor-dunkerque": ("59094",),
    "prologium-dunkerque": ("59159",),
    "xtc-orano-dunkerque": ("59273", "59359"),
}


def matches_stated(value: float, stated: float, decimals: int) -> bool:
    """Does ``value`` round to ``stated`` at the precision the claim was stated?

    .. math:: \\mathrm{round}(v, d) = s

    "About 9 %" (``decimals=0``) is met by 9.02; "17.6 %" (``decimals=1``) is met
    by 17.55 to 17.65 only.
    """
    if decimals < 0:
        raise ValueError("decimals must be >= 0")
    return bool(np.isclose(round(float(value), decimals), stated))


def industry_rank_share(employment: pd.DataFrame, sectors: pd.DataFrame, region: str,
                        quarter: str | pd.Period) -> dict[str, float]:
    """Rank and share of national industrial employment of ``region`` at ``quarter``.

    .. math:: s_r = E^I_r / \\sum_{r'} E^I_{r'}, \\quad
              \\text{rank}_r = 1 + \\#\\{r' : E^I_{r'} > E^I_r\\}

    The nation is the sum of the regions present (17 regions, France without Mayotte).
    """
    q = pd.Period(quarter, freq="Q")
    ind = industrial_employment(employment, sectors)
    snap = ind[ind["quarter"] == q]
    if region not in set(snap["region_code"]):
        raise ValueError(f"region {region!r} has no industrial employment at {q}")
    snap = rank_within(share_of_total(snap, "industry", name="share"), "industry", name="rank")
    row = snap.set_index("region_code").loc[region]
    return {"rank": int(row["rank"]), "share_pct": 100 * float(row["share"]),
            "industry": float(row["industry"]), "n_regions": int(len(snap))}


def industry_share_scopes(employment: pd.DataFrame, sectors: pd.DataFrame,
                          national_checks: pd.DataFrame, region: str,
                          quarter: str | pd.Period) -> pd.DataFrame:
    """Industry's share of the region's jobs under each definition the data allow.

    Urssaf definitions (private salaried jobs, CVS): temporary workers apart, excluded
    from the total, added to industry; industry without DZ-EZ (energy, water, waste);
    the annual mean of the four quarters. Insee scope (all jobs, public and
    self-employed included): the region's Urssaf share times the national ratio

    .. math:: \\hat s^{Insee}_r = s^{Urssaf}_r \\times
              \\frac{TBE_y / T_y}{E^I_{FR,q} / E_{FR,q}}

    with :math:`TBE_y, T_y` Insee's national industrial and total employment of the
    latest year :math:`y \\le` the quarter's year (an order of magnitude: it assumes the
    region's public and non-salaried jobs are in national proportion).

    Returns
    -------
    DataFrame
        definition, scope ('Urssaf' or 'Insee (scaled)'), share_pct.
    """
    require_columns(national_checks, ["dataset", "series", "year", "value"], "national_checks")
    q = pd.Period(quarter, freq="Q")
    rows = []
    for mode, label in [("apart", "industry / private jobs, temporary workers in the total"),
                        ("excluded", "industry / private jobs without temporary workers"),
                        ("added", "(industry + all temporary workers) / private jobs")]:
        x = industrial_employment(employment, sectors, temporary_work=mode)
        x = x[(x["quarter"] == q) & (x["region_code"] == region)]
        rows.append({"definition": label, "scope": "Urssaf", "share_pct":
                     100 * float(x["industry_share"].iloc[0])})
    reg = employment[(employment["region_code"] == region) & (employment["quarter"] == q)]
    ind_codes = set(sectors.loc[sectors["group"] == "industry", "sector_code"])
    no_dz = ind_codes - {"DZ-EZ"}
    rows.append({"definition": "industry without DZ-EZ (energy, water, waste) / private jobs",
                 "scope": "Urssaf", "share_pct": 100 * reg.loc[reg["sector_code"].isin(no_dz),
                                                               "employment"].sum()
                 / reg["employment"].sum()})
    year = employment[(employment["region_code"] == region)
                      & (employment["quarter"].dt.year == q.year)]
    yi = industrial_employment(year, sectors)
    rows.append({"definition": f"annual mean of the {q.year} quarters (temporary workers "
                               "apart)", "scope": "Urssaf",
                 "share_pct": 100 * float(yi["industry"].sum() / yi["total"].sum())})
    a5 = national_checks[national_checks["dataset"] == "employment_a5"].pivot(
        index="year", columns="series", values="value")
    years = [y for y in a5.index if y <= q.year]
    if years:
        y = max(years)
        nat = industrial_employment(employment[employment["quarter"] == q], sectors,
                                    by="quarter")
        factor = (a5.loc[y, "TBE"] / a5.loc[y, "T"]) / float(nat["industry_share"].iloc[0])
        rows.append({"definition": f"Insee total employment {y} (public and self-employed "
                                   "included), national ratio applied to the region",
                     "scope": "Insee (scaled)", "share_pct": rows[0]["share_pct"] * factor})
    return pd.DataFrame(rows)


def lost_and_rebuilt(series: pd.Series) -> dict[str, object]:
    """Largest peak-to-trough fall of a series, and the rise from that trough to the end.

    With :math:`M_t = \\max_{u \\le t} x_u` the running maximum, the trough is
    :math:`t^* = \\arg\\max_t (M_t - x_t)`, the peak the last :math:`u \\le t^*` with
    :math:`x_u = M_{t^*}`:

    .. math:: \\text{lost} = M_{t^*} - x_{t^*}, \\qquad
              \\text{rebuilt} = x_T - x_{t^*}.

    Parameters
    ----------
    series
        Values indexed by an ordered time index (quarters).
    """
    if not isinstance(series, pd.Series) or series.empty:
        raise ValueError("series must be a non-empty pandas Series")
    s = series.sort_index().astype("float64")
    if s.isna().any():
        raise ValueError("series has missing values")
    drawdown = s.cummax() - s
    trough = drawdown.idxmax()
    peak_value = s.cummax().loc[trough]
    peak = s.loc[:trough][s.loc[:trough] == peak_value].index[-1]
    return {"peak": peak, "peak_value": float(peak_value), "trough": trough,
            "trough_value": float(s.loc[trough]), "last": s.index[-1],
            "last_value": float(s.iloc[-1]), "lost": float(peak_value - s.loc[trough]),
            "rebuilt": float(s.iloc[-1] - s.loc[trough])}


def area_change(area_employment: pd.DataFrame, codes: Iterable[str], start: int,
                end: int) -> dict[str, float]:
    """Private employment summed over ``codes`` at year-ends ``start`` and ``end``.

    .. math:: \\Delta = \\sum_{c} E_{c,end} - \\sum_c E_{c,start}
    """
    require_columns(area_employment, ["code", "year", "employment"], "area_employment")
    codes = [str(c) for c in codes]
    sub = area_employment[area_employment["code"].isin(codes)
                          & area_employment["year"].isin([start, end])]
    wide = sub.pivot_table(index="code", columns="year", values="employment", aggfunc="sum")
    if set(codes) - set(wide.index) or wide.isna().any().any() or start not in wide.columns \
            or end not in wide.columns:
        raise ValueError(f"area_employment lacks some of {codes} in {start} or {end}")
    a, b = float(wide[start].sum()), float(wide[end].sum())
    return {"start": a, "end": b, "change": b - a, "change_pct": 100 * (b / a - 1)}


def gigafactory_table(events: pd.DataFrame, commune_employment: pd.DataFrame,
                      hosts: Mapping[str, tuple[str, ...]] = GIGAFACTORY_HOSTS,
                      start: int = 2019, end: int | None = None) -> pd.DataFrame:
    """Each battery plant: status in the registry, jobs announced, jobs in its host communes.

    ``status`` compares the registry's effective date with the last year of the data:
    'in production before the data end' when its year is at most ``end``, otherwise
    'after the data end'. ``first_commune_change`` is the change of the first host
    commune alone, ``hosts_change`` that of all host communes together (a plant next to
    a shrinking one can lift one commune while the site as a whole moves less).
    """
    require_columns(events, ["event_id", "company", "commune", "effective_on", "jobs",
                             "jobs_note"], "events")
    end = int(commune_employment["year"].max()) if end is None else end
    rows = []
    for event_id, codes in hosts.items():
        ev = events.loc[events["event_id"] == event_id]
        if ev.empty:
            raise ValueError(f"event {event_id!r} is not in the events registry")
        ev = ev.iloc[0]
        year = int(str(ev["effective_on"])[:4])
        first = area_change(commune_employment, codes[:1], start, end)
        allc = area_change(commune_employment, codes, start, end)
        rows.append({"event_id": event_id, "company": ev["company"], "commune": ev["commune"],
                     "effective_on": ev["effective_on"],
                     "status": ("in production before the data end" if year <= end
                                else "after the data end"),
                     "jobs_announced": int(ev["jobs"]) if pd.notna(ev["jobs"]) else None,
                     "jobs_note": ev["jobs_note"], "host_communes": ", ".join(codes),
                     f"first_commune_{start}": first["start"],
                     f"first_commune_{end}": first["end"],
                     "first_commune_change": first["change"],
                     f"hosts_{start}": allc["start"], f"hosts_{end}": allc["end"],
                     "hosts_change": allc["change"]})
    return pd.DataFrame(rows)


def _event(events: pd.DataFrame, event_id: str) -> pd.Series:
    ev = events.loc[events["event_id"] == event_id]
    if ev.empty:
        raise ValueError(f"event {event_id!r} is not in the events registry")
    return ev.iloc[0]


def _closure_row(events: pd.DataFrame, communes: pd.DataFrame, event_id: str,
                 stated_year: int, claim: str) -> dict[str, object]:
    ev = _event(events, event_id)
    year = int(str(ev["effective_on"])[:4])
    first, last = int(communes["year"].min()), int(communes["year"].max())
    a, b = max(first, year - 1), min(last, year)
    ch = area_change(communes, [ev["commune_code"]], a, b)
    value = (f"effective {ev['effective_on']} (announced {ev['announced_on']}); "
             f"{int(ev['jobs'])} jobs announced; {ev['commune']} private jobs {a}->{b}: "
             f"{ch['change']:+,.0f}")
    return {"claim": claim, "source": SEED, "estimate": year, "value": value,
            "verdict": CONFIRMED if year == stated_year else NOT_REPRODUCED,
            "basis": "events registry (press sources) for the date; Urssaf commune "
                     "year-end stocks for the commune (all employers, so a closure is not "
                     "isolated from other changes)"}


def claims_table(employment: pd.DataFrame, sectors: pd.DataFrame,
                 national_checks: pd.DataFrame, events: pd.DataFrame,
                 accords: pd.DataFrame, commune_employment: pd.DataFrame,
                 region: str = "32", quarter: str = "2022Q4") -> pd.DataFrame:
    """One row per claim: the claim, its source, the data's number and a verdict.

    Rules (module docstring): stated figures are confirmed when the data round to them
    at the stated precision; "tens of thousands" means at least 20,000; a
    reindustrialisation "under way" in jobs means industrial employment more than 1 %
    above its 2019Q4 level *and* up over the last four quarters; dates and signatures
    are read in the registries; a claim about a date after the data end is not testable.

    Returns
    -------
    DataFrame
        key (short id, used as ``claim_<key>`` in the results), claim, source, estimate
        (the headline number), value (the number with its context), verdict, basis.
    """
    rows: dict[str, dict[str, object]] = {}
    rs = industry_rank_share(employment, sectors, region, quarter)
    last_q = employment["quarter"].max()
    rs_last = industry_rank_share(employment, sectors, region, last_q)
    rows["industrial_rank_4th"] = {
        "claim": "Hauts-de-France is France's 4th industrial region", "source": SEED,
        "estimate": rs["rank"], "value": f"rank {rs['rank']} of {rs['n_regions']} at {quarter}; "
        f"rank {rs_last['rank']} at {last_q}",
        "verdict": CONFIRMED if rs["rank"] == 4 else NOT_REPRODUCED,
        "basis": "Urssaf private industrial employment (BZ..DZ-EZ), CVS"}
    rows["share_national_industry_9pct"] = {
        "claim": "about 9 % of national industrial jobs in 2022", "source": SEED,
        "estimate": round(rs["share_pct"], 2), "value": f"{rs['share_pct']:.2f} % at {quarter}",
        "verdict": CONFIRMED if matches_stated(rs["share_pct"], 9, 0) else NOT_REPRODUCED,
        "basis": "region / sum of 17 regions, Urssaf private industrial employment, CVS"}
    sc = industry_share_scopes(employment, sectors, national_checks, region, quarter)
    hit = [matches_stated(v, 17.6, 1) for v in sc["share_pct"]]
    insee = sc.loc[sc["scope"] != "Urssaf", "share_pct"]
    ind_all = industrial_employment(employment, sectors)
    low = ind_all.loc[ind_all["region_code"] == region, "industry_share"].min()
    rows["industry_share_jobs_17_6pct"] = {
        "claim": "industry is 17.6 % of the region's jobs", "source": SEED,
        "estimate": round(float(sc["share_pct"].iloc[0]), 1),
        "value": f"{sc['share_pct'].iloc[0]:.1f} % (Urssaf, temporary workers apart); "
        f"{sc['share_pct'].min():.1f}-{sc['share_pct'].max():.1f} % over {len(sc)} definitions; "
        f"Insee scope about {float(insee.iloc[0]) if len(insee) else float('nan'):.1f} %; "
        f"lowest Urssaf quarter since 1998: {100 * low:.1f} %",
        "verdict": CONFIRMED if any(hit) else NOT_REPRODUCED,
        "basis": "industry_share_scopes: no definition rounds to 17.6 %" if not any(hit)
        else "a definition of industry_share_scopes rounds to 17.6 %"}
    reg = employment[employment["region_code"] == region]
    ind_codes = set(sectors.loc[sectors["group"] == "industry", "sector_code"])
    for key, label, frame in [
            ("lost_rebuilt_industry", "industrial", reg[reg["sector_code"].isin(ind_codes)]),
            ("lost_rebuilt_all_private", "all private", reg)]:
        lr = lost_and_rebuilt(frame.groupby("quarter")["employment"].sum())
        ok = lr["lost"] >= 20_000 and lr["rebuilt"] >= 20_000
        rows[key] = {
            "claim": f"the region lost and rebuilt tens of thousands of jobs ({label} jobs "
                     "reading)", "source": SEED, "estimate": round(lr["rebuilt"]),
            "value": f"lost {lr['lost']:,.0f} ({lr['peak']}-{lr['trough']}), rebuilt "
                     f"{lr['rebuilt']:+,.0f} ({lr['trough']}-{lr['last']})",
            "verdict": CONFIRMED if ok else NOT_REPRODUCED,
            "basis": "largest peak-to-trough fall of the CVS series and the change from that "
                     "trough to the last quarter; 'tens of thousands' read as >= 20,000"}
    ind_q = reg[reg["sector_code"].isin(ind_codes)].groupby("quarter")["employment"].sum()
    g19 = 100 * (ind_q.iloc[-1] / ind_q.loc[pd.Period("2019Q4", freq="Q")] - 1)
    g4 = 100 * (ind_q.iloc[-1] / ind_q.iloc[-5] - 1)
    rows["reindustrialisation_under_way"] = {
        "claim": "reindustrialisation is under way", "source": SEED, "estimate": round(g19, 2),
        "value": f"industrial jobs {g19:+.1f} % 2019Q4-{ind_q.index[-1]}, {g4:+.1f} % over the "
                 "last four quarters",
        "verdict": CONFIRMED if (g19 > 1 and g4 > 0) else NOT_REPRODUCED,
        "basis": "jobs only (investment and output are not in these data); rule: > +1 % since "
                 "2019Q4 and rising over the last four quarters"}
    for key, ev_id, year, text in [
            ("closure_whirlpool_amiens_2018", "whirlpool-amiens", 2018,
             "Whirlpool Amiens closed in 2018"),
            ("closure_bridgestone_bethune_2020", "bridgestone-bethune", 2020,
             "Bridgestone Béthune closed in 2020"),
            ("closure_meccano_calais_2023", "meccano-calais", 2023, "Meccano Calais closed in 2023"),
            ("closure_synthexim_calais_2023", "synthexim-calais", 2023,
             "Synthexim Calais closed in 2023")]:
        rows[key] = _closure_row(events, commune_employment, ev_id, year, text)
    gf = gigafactory_table(events, commune_employment)
    end = int(commune_employment["year"].max())
    n_prod = int((gf["status"] == "in production before the data end").sum())
    later = gf.loc[gf["status"] != "in production before the data end", "effective_on"]
    rows["five_gigafactories_by_2028"] = {
        "claim": "five battery gigafactories in the region by 2028", "source": SEED,
        "estimate": n_prod,
        "value": f"{n_prod} of {len(gf)} effective by {end} (the data end); registry dates of "
                 f"the others: {', '.join(sorted(later))}; jobs announced "
                 f"{int(gf['jobs_announced'].sum()):,}, host communes {gf['hosts_change'].sum():+,.0f} "
                 f"private jobs {2019}-{end}",
        "verdict": NOT_TESTABLE if end < 2028 else CONFIRMED if n_prod >= 5 else NOT_REPRODUCED,
        "basis": "events registry (press) for status; Urssaf commune year-end stocks"}
    acc = accords.set_index("accord_id")
    for key, acc_id, text in [("accord_replicated_bfc", "bfc-dole",
                               "the accord is replicated in Bourgogne-Franche-Comté"),
                              ("accord_replicated_occitanie", "occitanie",
                               "the accord is replicated in Occitanie (June 2024)")]:
        a = acc.loc[acc_id]
        rows[key] = {"claim": text, "source": f"{SEED}; accord communication",
                     "estimate": str(a["signed_on"]),
                     "value": f"signed_on {a['signed_on']}, status {a['date_status']}",
                     "verdict": CONFIRMED if a["date_status"] == "confirmed" else NOT_REPRODUCED,
                     "basis": "accords registry (official and press sources)"}
    out = pd.DataFrame.from_dict(rows, orient="index").rename_axis("key").reset_index()
    assert out["verdict"].isin(VERDICTS).all()
    return out

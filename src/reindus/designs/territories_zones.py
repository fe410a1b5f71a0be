r"""Territoires d'industrie at the zone d'emploi level: intensity panels (share of the zone's
employment in labelled EPCI), TI shares by wave and the audit of industrial losses.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


# --------------------------------------------------------------------------- zone-level design
def zone_intensity_panel(zone_quarterly: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Quarterly zone d'emploi panel with the labelled share of each zone's employment.

    Parameters
    ----------
    zone_quarterly
        :func:`reindus.data.zone_quarterly_employment` (CVS employment).
    shares
        :func:`zone_ti_shares`: zone_code, ti_share.

    Returns
    -------
    pandas.DataFrame
        zone_code, quarter, year, employment, log_employment, intensity
        (:math:`s_z \\in [0, 1]`); zones without a share (no contour) are dropped.
    """
    z = zone_quarterly[["zone_code", "quarter", "employment"]].merge(
        shares[["zone_code", "ti_share"]], on="zone_code", how="inner")
    if (z["employment"] <= 0).any():
        raise ValueError("non-positive zone employment: log undefined")
    z = z.rename(columns={"ti_share": "intensity"})
    z["year"] = z["quarter"].dt.year.astype("int64")
    z["log_employment"] = np.log(z["employment"].astype(float))
    return z.sort_values(["zone_code", "quarter"]).reset_index(drop=True)


def zone_industry_panel(zone_employment: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    r"""Industry relative to the other sectors of each zone d'emploi, by year, with intensity.

    From :func:`reindus.data.zone_employment` (zone x NA38 x year), industry
    (``a5 == 'BE'``) and all other sectors are summed over the zone x sector
    cells observed in *every* year (cells withheld for secrecy in some year
    are left out of all years, so the sums compare the same cells). The
    outcome is

    .. math:: r_{zt} = \log I_{zt} - \log O_{zt},

    industry relative to the zone's other sectors: anything common to a
    zone's whole labour market (local demand, commuting, the zone's own
    cycle) cancels, and an effect of the label on industry shows as a change
    of :math:`r` where the labelled share is high.

    Returns
    -------
    pandas.DataFrame
        zone_code, year, industry, other, log_ratio, intensity; zones without
        industry or other-sector employment in some year are dropped.
    """
    ze = zone_employment
    if ze.duplicated(["zone_code", "sector_code", "year"]).any():
        raise ValueError("zone_employment has duplicated (zone_code, sector_code, year) rows")
    wide = ze.pivot(index=["zone_code", "sector_code"], columns="year", values="employment")
    wide = wide.dropna()
    ind = ze.drop_duplicates("sector_code").set_index("sector_code")["a5"].eq("BE")
    is_ind = wide.index.get_level_values("sector_code").map(ind).to_numpy(dtype=bool)
    ind_sum = wide[is_ind].groupby("zone_code").sum()
    oth_sum = wide[~is_ind].groupby("zone_code").sum()
    ind_sum, oth_sum = ind_sum.align(oth_sum, join="inner")
    ok = (ind_sum > 0).all(axis=1) & (oth_sum > 0).all(axis=1)
    ind_sum, oth_sum = ind_sum[ok], oth_sum[ok]
    out = (pd.DataFrame({"industry": ind_sum.stack(), "other": oth_sum.stack()}).reset_index()
           .rename(columns={"level_1": "year"}))
    out.columns = ["zone_code", "year", "industry", "other"]
    out["year"] = out["year"].astype("int64")
    out["log_ratio"] = np.log(out["industry"]) - np.log(out["other"])
    out = out.merge(shares[["zone_code", "ti_share"]], on="zone_code", how="inner")
    return (out.rename(columns={"ti_share": "intensity"})
            .sort_values(["zone_code", "year"]).reset_index(drop=True))


# --------------------------------------------------------------------------- audit check
def zone_ti_shares(contours_epci, contours_zone, membership: pd.DataFrame,
                   employment: pd.DataFrame, indicators: pd.DataFrame,
                   epci_members: pd.DataFrame, *, wave: int = 1, year: int = 2019,
                   grand_paris: str = "200054781") -> pd.DataFrame:
    r"""Approximate share of each zone d'emploi's employment located in labelled EPCI.

    Zones d'emploi and EPCI do not nest, and no commune-level location is
    available, so the share is approximated by overlaying the (simplified)
    boundaries:

    .. math::

        s_z = \frac{\sum_e a_{ez}\, E_e\, \ell_e}{\sum_e a_{ez}\, E_e},

    with :math:`a_{ez}` the share of EPCI :math:`e`'s area lying in zone
    :math:`z`, :math:`E_e` its private employment in ``year`` and
    :math:`\ell_e \in [0,1]` its labelled part: 1 for a listed EPCI (or EPT),
    the population share of its listed communes for a partly listed EPCI, 0
    otherwise. Employment within an EPCI is thus assumed spread in
    proportion to area. The contours hold both the Métropole du Grand Paris
    and its EPT, which overlap: the Métropole's own polygon is dropped and each
    EPT gets the Métropole's employment in proportion to its 2022 population.
    """
    return zone_ti_shares_by_wave(contours_epci, contours_zone, membership, employment,
                                  indicators, epci_members, waves=(wave,), year=year,
                                  grand_paris=grand_paris)[wave]


def zone_ti_shares_by_wave(contours_epci, contours_zone, membership: pd.DataFrame,
                           employment: pd.DataFrame, indicators: pd.DataFrame,
                           epci_members: pd.DataFrame, *, waves: Sequence[int] = (1, 2),
                           year: int = 2019, grand_paris: str = "200054781"
                           ) -> dict[int, pd.DataFrame]:
    """:func:`zone_ti_shares` for several waves, overlaying the boundaries once."""
    import geopandas as gpd

    emp = employment[employment["year"] == year].set_index("code")["employment"].astype(float)
    pop = indicators.set_index("epci_code")["P22_POP"].astype(float)
    e = contours_epci[["epci_code", "geometry"]].copy()
    e["employment"] = e["epci_code"].map(emp)
    mgp = e["employment"].isna() & e["epci_code"].isin(pop.index)
    if mgp.any() and grand_paris in emp.index:
        p = e.loc[mgp, "epci_code"].map(pop)
        e.loc[mgp, "employment"] = emp[grand_paris] * p / p.sum()
        # counted through its EPT: keeping the Métropole's polygon would count it twice
        e = e[e["epci_code"] != grand_paris]
    e["employment"] = e["employment"].fillna(0.0)
    ov = gpd.overlay(e, contours_zone[["zone_code", "geometry"]], how="intersection",
                     keep_geom_type=True)
    ov["area"] = ov.geometry.area
    ov["a"] = ov["area"] / ov.groupby("epci_code")["area"].transform("sum")
    ov["emp"] = ov["a"] * ov["employment"]
    mem = epci_members.assign(population=epci_members["population"].astype(float))
    tot = mem.groupby("epci_code")["population"].sum()
    out = {}
    for wave in waves:
        m = membership[membership["wave"] == wave]
        labelled = set(m.loc[m["member_type"].isin(["epci", "ept"]), "epci_code"])
        com = m[m["member_type"] == "commune"]
        listed = mem[mem["commune_code"].isin(_commune_codes(com, epci_members))]
        part = listed.groupby("epci_code")["population"].sum() / tot
        lab = np.where(ov["epci_code"].isin(labelled), 1.0,
                       ov["epci_code"].map(part).fillna(0.0))
        z = ov.assign(emp_ti=ov["emp"] * lab).groupby("zone_code")[["emp", "emp_ti"]].sum()
        out[wave] = pd.DataFrame({"zone_code": z.index,
                                  "ti_share": (z["emp_ti"] / z["emp"]).to_numpy()}
                                 ).fillna({"ti_share": 0.0})
    return out


def _commune_codes(commune_members: pd.DataFrame, epci_members: pd.DataFrame) -> list[str]:
    """INSEE codes of communes listed by their SIREN, via their label within their EPCI."""
    out = []
    for r in commune_members.itertuples():
        cand = epci_members[(epci_members["epci_code"] == r.cog_epci_code)
                            & (epci_members["commune"] == r.epci_label)]
        out += cand["commune_code"].tolist()
    return out


def audit_industrial_losses(zone_employment: pd.DataFrame, shares: pd.DataFrame, *,
                            start: int = 2019, end: int = 2022, threshold: float = 0.5
                            ) -> dict[str, Any]:
    r"""Descriptive check: where did the net industrial job losses happen?

    Industry = NA38 sectors with ``a5 == 'BE'``. For each zone,
    :math:`\Delta_z` = industrial employment in ``end`` minus ``start``,
    summed over the sectors observed in both years (cells withheld for
    secrecy in either year are left out of both). Two readings:

    * **allocation**: :math:`\Delta_z` split between the labelled and the
      other part of the zone in proportion to :math:`s_z`
      (:func:`zone_ti_shares`); the share of the losses (sum of
      :math:`\Delta_z < 0`) falling in labelled territory is
      :math:`\sum_{\Delta_z<0} s_z\Delta_z / \sum_{\Delta_z<0}\Delta_z`;
    * **classification**: zones with :math:`s_z \ge` ``threshold`` count
      as labelled.

    Both are compared with the labelled share of industrial employment in
    ``start``: if labelled territories hold most industrial jobs, they will
    hold most losses even without any effect of the label.

    Returns
    -------
    dict
        ``table`` (one row per reading) and ``zones`` (per-zone changes).
    """
    ind = zone_employment[zone_employment["a5"] == "BE"]
    if ind.duplicated(["zone_code", "sector_code", "year"]).any():
        raise ValueError("zone_employment has duplicated (zone_code, sector_code, year) rows")
    wide = ind.pivot(index=["zone_code", "sector_code"], columns="year", values="employment")
    if start not in wide.columns or end not in wide.columns:
        raise ValueError(f"zone_employment lacks year {start} or {end}")
    pair = wide[[start, end]]
    both = pair.dropna()
    n_dropped = int((pair.notna().any(axis=1) & pair.isna().any(axis=1)).sum())
    z = both.groupby("zone_code").sum().rename(columns={start: "emp_start", end: "emp_end"})
    z["change"] = z["emp_end"] - z["emp_start"]
    z = z.join(shares.set_index("zone_code"), how="inner")
    z["labelled_zone"] = z["ti_share"] >= threshold
    loss = z["change"] < 0
    L = float(z.loc[loss, "change"].sum())
    rows = [
        {"reading": "allocation by labelled share",
         "share_of_industrial_employment": float((z["ti_share"] * z["emp_start"]).sum()
                                                 / z["emp_start"].sum()),
         "share_of_losses": float((z["ti_share"] * z["change"])[loss].sum() / L),
         "net_change_labelled": float((z["ti_share"] * z["change"]).sum()),
         "net_change_other": float(((1 - z["ti_share"]) * z["change"]).sum())},
        {"reading": f"zones with labelled share >= {threshold:.0%}",
         "share_of_industrial_employment": float(z.loc[z["labelled_zone"], "emp_start"].sum()
                                                 / z["emp_start"].sum()),
         "share_of_losses": float(z.loc[loss & z["labelled_zone"], "change"].sum() / L),
         "net_change_labelled": float(z.loc[z["labelled_zone"], "change"].sum()),
         "net_change_other": float(z.loc[~z["labelled_zone"], "change"].sum())},
    ]
    return {"table": pd.DataFrame(rows), "zones": z.reset_index(),
            "total_losses": L, "net_change": float(z["change"].sum()),
            "n_zones": int(len(z)), "n_losing_zones": int(loss.sum()),
            "n_cells_dropped": n_dropped}


# --------------------------------------------------------------------------- figures

r"""Peer groups of one EPCI and its trajectory against its region, France and the peers.

:class:`PeerRule` says how comparable EPCI are chosen (census band or nearest neighbours);
:func:`select_peers`, :func:`trajectories`, :func:`peer_band`, :func:`peer_comparison`
compare one EPCI with them. Pure functions on the tidy frames of :mod:`reindus.data`.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from reindus.errors import require_columns
from reindus.geo.dynamics import employment_index
from reindus.geo.epci import PERIODS, check_employment, pct_change, profile


# --------------------------------------------------------------------------- peers
@dataclass(frozen=True)
class PeerRule:
    r"""How the peer group of an EPCI is chosen (census indicators, 2022).

    Candidates are metropolitan COG EPCI with a census industrial share and a complete,
    positive employment series, other than the target and ``exclude``. With
    :math:`P` the census population and :math:`s` the industrial share (%) of the target
    (subscript 0) and candidate :math:`i`:

    * ``method='band'``: keep :math:`P_0/r \le P_i \le r P_0` and :math:`|s_i - s_0| \le h`,
      with :math:`r` = ``pop_ratio`` and :math:`h` = ``industry_pp``;
    * ``method='nearest'``: keep the ``k`` candidates nearest in the standardised distance

      .. math:: d_i = \sqrt{\Big(\frac{\ln P_i - \ln P_0}{\sigma_{\ln P}}\Big)^2
                + \Big(\frac{s_i - s_0}{\sigma_s}\Big)^2}

      (:math:`\sigma` over the candidates); ``d`` is reported for both methods.

    ``same_type`` keeps only EPCI of the target's type (CC, CA, CU, ME);
    ``outside_region`` drops the EPCI of the target's region (a regional accord treats
    the whole region, so its EPCI are not untreated comparisons).
    """

    method: Literal["band", "nearest"] = "band"
    pop_ratio: float = 2.0
    industry_pp: float = 5.0
    k: int = 20
    same_type: bool = False
    outside_region: bool = False

    def __post_init__(self) -> None:
        if self.method not in ("band", "nearest"):
            raise ValueError(f"peer method must be 'band' or 'nearest', not {self.method!r}")
        if not self.pop_ratio >= 1:
            raise ValueError(f"pop_ratio must be >= 1, got {self.pop_ratio}")
        if not self.industry_pp >= 0:
            raise ValueError(f"industry_pp must be >= 0, got {self.industry_pp}")
        if not (isinstance(self.k, (int, np.integer)) and self.k >= 1):
            raise ValueError(f"k must be a positive integer, got {self.k!r}")

    @classmethod
    def from_mapping(cls, rule: PeerRule | Mapping[str, Any] | None) -> PeerRule:
        """A rule from a dict (a notebook parameter), a rule, or the default (``None``)."""
        if rule is None:
            return cls()
        if isinstance(rule, PeerRule):
            return rule
        unknown = set(rule) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown peer-rule field(s) {sorted(unknown)}; known: "
                             f"{list(cls.__dataclass_fields__)}")
        return cls(**dict(rule))

    def describe(self) -> str:
        """One-line description, for printing and for the results JSON."""
        if self.method == "band":
            core = (f"population within a factor {self.pop_ratio:g} and industrial share "
                    f"within {self.industry_pp:g} points")
        else:
            core = f"{self.k} nearest in (log population, industrial share)"
        extra = [s for s, on in (("same EPCI type", self.same_type),
                                 ("outside the region", self.outside_region)) if on]
        return core + (", " + ", ".join(extra) if extra else "")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def select_peers(epci_code: str, profiles_table: pd.DataFrame, employment: pd.DataFrame,
                 rule: PeerRule | Mapping[str, Any] | None = None, *,
                 exclude: Collection[str] = (),
                 years: tuple[int, int] = (2014, 2024)) -> pd.DataFrame:
    """Peer group of ``epci_code`` under ``rule`` (see :class:`PeerRule`).

    Parameters
    ----------
    profiles_table
        :func:`profiles` with ``indicators`` (needs industry_share, census_population).
    employment
        ``data.area_employment('epci')``: candidates need a positive value every year of
        ``years`` (so that every change and index is defined).
    exclude
        Codes never used as peers (e.g. the other accord EPCI).

    Returns
    -------
    pandas.DataFrame
        The peers' profile rows with ``distance`` (see :class:`PeerRule`), sorted by
        distance then code. Raises when the target lacks census indicators; returns an
        empty frame when no candidate passes.
    """
    rule = PeerRule.from_mapping(rule)
    require_columns(profiles_table, ["epci_code", "epci_type", "region_code", "overseas",
                              "industry_share", "census_population"], "profiles_table")
    check_employment(employment)
    target = profile(profiles_table, epci_code)
    if pd.isna(target["industry_share"]) or pd.isna(target["census_population"]):
        raise ValueError(f"EPCI {epci_code} has no census indicators; peers cannot be chosen")
    y0, y1 = years
    win = employment[employment["year"].between(y0, y1)]
    counts = win[win["employment"] > 0].groupby("code").size()
    complete = set(counts[counts == y1 - y0 + 1].index)
    cand = profiles_table[
        (profiles_table["epci_code"] != target["epci_code"])
        & ~profiles_table["overseas"]
        & profiles_table["industry_share"].notna()
        & profiles_table["census_population"].notna()
        & profiles_table["epci_code"].isin(complete)
        & ~profiles_table["epci_code"].isin({str(c) for c in exclude})].copy()
    if rule.same_type:
        cand = cand[cand["epci_type"] == target["epci_type"]]
    if rule.outside_region:
        cand = cand[cand["region_code"] != target["region_code"]]
    lp, lp0 = np.log(cand["census_population"]), math.log(target["census_population"])
    s, s0 = cand["industry_share"], float(target["industry_share"])
    sd_lp = float(lp.std()) if len(cand) > 1 and lp.std() > 0 else 1.0
    sd_s = float(s.std()) if len(cand) > 1 and s.std() > 0 else 1.0
    cand["distance"] = np.sqrt(((lp - lp0) / sd_lp) ** 2 + ((s - s0) / sd_s) ** 2)
    if rule.method == "band":
        p0 = float(target["census_population"])
        keep = (cand["census_population"].between(p0 / rule.pop_ratio, p0 * rule.pop_ratio)
                & ((s - s0).abs() <= rule.industry_pp + 1e-9))
        cand = cand[keep]
    cand = cand.sort_values(["distance", "epci_code"])
    if rule.method == "nearest":
        cand = cand.head(rule.k)
    return cand.reset_index(drop=True)


def trajectories(epci_code: str, epci_employment: pd.DataFrame,
                 region_employment: pd.DataFrame, france_employment: pd.DataFrame,
                 profiles_table: pd.DataFrame, peer_codes: Collection[str] = (), *,
                 base_year: int = 2019) -> pd.DataFrame:
    r"""Employment and index of an EPCI, its region, the rest of its region, France and peers.

    Indices :math:`I_t = 100\,E_t/E_{b}` with :math:`b` = ``base_year``. The "rest of the
    region" is the region's series minus the EPCI's (omitted for EPCI straddling two
    regions, whose region is that of their most populous commune). The peers' line is
    the **median of the peers' indices** (each peer weighs the same), not the index of
    their summed employment.

    Returns
    -------
    pandas.DataFrame
        series (label), kind ('epci', 'region', 'rest of region', 'france', 'peers'),
        year, employment (NaN for the peers' median), index.
    """
    for f, w in ((epci_employment, "epci_employment"), (region_employment, "region_employment"),
                 (france_employment, "france_employment")):
        check_employment(f, w)
    p = profile(profiles_table, epci_code)
    own = epci_employment[epci_employment["code"] == p["epci_code"]]
    if own.empty:
        raise ValueError(f"EPCI {epci_code} has no employment series")
    reg = region_employment[region_employment["code"] == p["region_code"]]
    if reg.empty:
        raise ValueError(f"region {p['region_code']} has no employment series")
    frames = [own.assign(series=p["epci"], kind="epci"),
              reg.assign(series=p["region"], kind="region")]
    # An EPCI straddling two regions is not wholly inside "its" region's series.
    if int(p.get("n_regions", 1)) == 1:
        rest = reg.set_index("year")["employment"] - own.set_index("year")["employment"]
        frames.append(pd.DataFrame({"year": rest.index, "employment": rest.to_numpy(),
                                    "code": p["region_code"] + "-rest",
                                    "series": f"{p['region']} without the EPCI",
                                    "kind": "rest of region"}))
    frames.append(france_employment.assign(series="France", kind="france"))
    out = []
    for f in frames:
        idx = employment_index(f[["code", "year", "employment"]], base_year)
        out.append(idx.assign(series=f["series"].iloc[0], kind=f["kind"].iloc[0]))
    res = pd.concat(out, ignore_index=True)[["series", "kind", "year", "employment", "index"]]
    res["employment"] = res["employment"].astype("float64")
    peer_codes = [str(c) for c in peer_codes]
    if peer_codes:
        band = peer_band(epci_employment, peer_codes, base_year=base_year)
        res = pd.concat([res, pd.DataFrame({
            "series": f"peers (median of {int(band['n'].iloc[0])})", "kind": "peers",
            "year": band["year"], "employment": np.nan, "index": band["median"]})],
            ignore_index=True)
    return res


def comparison_table(traj: pd.DataFrame, peer_table: pd.DataFrame | None = None,
                     periods: Sequence[tuple[int, int]] = PERIODS) -> pd.DataFrame:
    r"""% change of each benchmark series of :func:`trajectories` over each period.

    Rows: the EPCI, its region, the rest of the region, France (from their employment,
    :math:`100\,(E_b/E_a - 1)`) and, given ``peer_table`` (:func:`peer_comparison`), the
    peers' median % change and interquartile range (the median of the peers' own changes,
    not the change of the median index). Columns: series, kind, then ``pct_a_b`` per period.
    """
    require_columns(traj, ["series", "kind", "year", "employment"], "traj")
    rows = []
    own = traj[traj["kind"] != "peers"]
    for (series, kind), d in own.groupby(["series", "kind"], sort=False):
        e = d.set_index("year")["employment"]
        row = {"series": series, "kind": kind}
        for a, b in periods:
            row[f"pct_{a}_{b}"] = pct_change(e.get(a, np.nan), e.get(b, np.nan))
        rows.append(row)
    if peer_table is not None:
        pt = peer_table.set_index("period")
        missing = [f"{a}-{b}" for a, b in periods if f"{a}-{b}" not in pt.index]
        if missing:
            raise ValueError(f"peer_table has no period {missing}")
        for stat, label in (("peers_median", "peers: median"), ("peers_q25", "peers: 25th pct"),
                            ("peers_q75", "peers: 75th pct")):
            row = {"series": label, "kind": "peers"}
            for a, b in periods:
                row[f"pct_{a}_{b}"] = float(pt.loc[f"{a}-{b}", stat])
            rows.append(row)
    return pd.DataFrame(rows)


def peer_band(epci_employment: pd.DataFrame, peer_codes: Collection[str], *,
              base_year: int = 2019) -> pd.DataFrame:
    """Spread of the peers' indices by year: n, median, q25, q75, min, max."""
    check_employment(epci_employment, "epci_employment")
    codes = {str(c) for c in peer_codes}
    if not codes:
        raise ValueError("no peer code given")
    missing = codes - set(epci_employment["code"])
    if missing:
        raise ValueError(f"peer codes without a series: {sorted(missing)[:5]}")
    idx = employment_index(epci_employment[epci_employment["code"].isin(codes)], base_year)
    g = idx.groupby("year")["index"]
    return pd.DataFrame({"n": g.count(), "median": g.median(), "q25": g.quantile(0.25),
                         "q75": g.quantile(0.75), "min": g.min(), "max": g.max()}
                        ).reset_index()


def peer_comparison(epci_code: str, peer_codes: Collection[str], dyn: pd.DataFrame,
                    periods: Sequence[tuple[int, int]] = PERIODS) -> pd.DataFrame:
    r"""The EPCI's changes against its peers', with a placebo (permutation) rank.

    For each period and each unit :math:`j` of the set :math:`S` = target ∪ peers, the
    gap to the others is :math:`\gamma_j = g_j - \operatorname{med}_{k \in S, k \ne j} g_k`
    (:math:`g` = % change). The target's gap is set against the peers' own gaps, as in a
    placebo test: ``placebo_p`` :math:`= \#\{j \in S: |\gamma_j| \ge |\gamma_0|\}/|S|`
    (two-sided; its smallest possible value is :math:`1/|S|`). A small value says the
    target moved unusually for this group, not *why*.

    Returns
    -------
    pandas.DataFrame
        One row per period: period, target_pct, peers_median, peers_q25, peers_q75,
        peers_min, peers_max, n_peers, gap (target − peers' median, points),
        rank_in_group (1 = strongest growth among the |S| units), n_group, placebo_p.
    """
    codes = [str(c) for c in peer_codes]
    if str(epci_code) in codes:
        raise ValueError("the target EPCI is listed among its own peers")
    if not codes:
        raise ValueError("no peer code given")
    rows = []
    d = dyn.set_index("epci_code")
    for a, b in periods:
        col = f"pct_{a}_{b}"
        require_columns(dyn, [col], "dyn")
        g0 = float(d.loc[str(epci_code), col])
        gp = d.loc[codes, col].astype("float64").dropna()
        allg = pd.concat([pd.Series({str(epci_code): g0}), gp])
        gaps = pd.Series({j: allg[j] - allg.drop(j).median() for j in allg.index})
        gap0 = gaps[str(epci_code)]
        rows.append({
            "period": f"{a}-{b}", "target_pct": g0, "peers_median": float(gp.median()),
            "peers_q25": float(gp.quantile(0.25)), "peers_q75": float(gp.quantile(0.75)),
            "peers_min": float(gp.min()), "peers_max": float(gp.max()), "n_peers": len(gp),
            "gap": g0 - float(gp.median()),
            "rank_in_group": int((allg > g0).sum() + 1), "n_group": len(allg),
            "placebo_p": float((gaps.abs() >= abs(gap0) - 1e-12).mean()),
        })
    return pd.DataFrame(rows)



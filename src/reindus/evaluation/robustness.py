r"""Robustness checks: the same estimators on alternative samples and outcomes.

Each specification changes one thing with respect to the baseline:

``window_<q>``
    another first quarter of the panel (the reference pre-period);
``no_idf``
    Île-de-France dropped from the donors (a very large, service-heavy
    region whose industry follows its own headquarters-driven dynamics);
``no_covid``
    the 2020Q1–2021Q4 quarters left out of the pre-period (DiD: dropped
    from the panel; synthetic control: left out of the fit);
``start_<q>``
    another treatment date, e.g. one quarter earlier for anticipation;
``detrended``
    DiD after removing each region's own pre-period linear trend;
``sectors``
    the region x industrial-sector panel with region x sector and sector x
    quarter fixed effects and equal weights per sector. On a balanced panel
    this TWFE estimate equals the region-level DiD of the *unweighted mean
    over sectors of log sector employment*, which is how it is computed
    (same placebo and conformal inference, clustered by region).

Every row of the result is an :class:`EstimateResult` table row plus the
``spec`` label.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from reindus.evaluation.did import did
from reindus.evaluation.panel import COVID_QUARTERS
from reindus.evaluation.results import EstimateResult
from reindus.evaluation.synth import synth
from reindus.evaluation.vocabulary import DidInference


def sector_composite(sector_panel: pd.DataFrame, *, unit_col: str = "region_code",
                     sector_col: str = "sector_code", period: str = "quarter",
                     outcome: str = "log_employment") -> pd.DataFrame:
    """Region panel of the equal-weighted mean of log sector employment.

    Raises if a sector is missing for some region-quarter (the equivalence
    with the sector-level TWFE needs a balanced region x sector panel).
    """
    counts = sector_panel.groupby([unit_col, period], observed=True)[sector_col].nunique()
    if counts.nunique() != 1:
        raise ValueError("sector panel is unbalanced: every region-quarter needs every sector")
    out = (sector_panel.groupby([unit_col, period], observed=True)[outcome].mean()
           .reset_index())
    out["unit"] = out[unit_col].astype(str)
    return out


def _row(res: EstimateResult, spec: str, estimator: str) -> dict[str, Any]:
    d = res.table().iloc[0].to_dict()
    d.update({"spec": spec, "estimator": estimator,
              "pre": res.periods.get("pre", ("", ""))[0],
              "start": res.periods.get("post", ("", ""))[0]})
    return d


def robustness_table(
    panel: pd.DataFrame,
    *,
    treated: str,
    start: Any,
    controls: Sequence[str],
    outcome: str = "log_employment",
    unit: str = "unit",
    period: str = "quarter",
    sector_panel: pd.DataFrame | None = None,
    window_start: Any = None,
    windows: Iterable[Any] = (),
    starts: Iterable[Any] = (),
    drop_controls: Iterable[str] = ("11",),
    covid: Iterable[Any] = COVID_QUARTERS,
    did_inference: DidInference = "conformal",
    n_boot: int = 199,
    seed: int = 0,
) -> pd.DataFrame:
    """Run DiD and synthetic control under each specification.

    Parameters
    ----------
    panel
        Region panel (tidy), as returned by
        :func:`reindus.evaluation.panel.outcome_panel`, over the longest
        span needed by ``windows``.
    treated, start, controls
        Baseline design (``controls``: the control regions, the synthetic
        control's donor pool).
    sector_panel
        Region x sector panel (``by_sector=True``) for the ``sectors`` spec.
    window_start
        First quarter of the baseline sample (default: the panel's first).
    windows
        Alternative first quarters of the panel.
    starts
        Alternative treatment dates.
    drop_controls
        Controls dropped one spec each (default Île-de-France).
    covid
        Quarters left out of the pre-period in the ``no_covid`` spec.

    Returns
    -------
    pandas.DataFrame
        spec, estimator, estimate, ci_lo, ci_hi, level, p_value, inference,
        n_controls, n_obs, pre (first quarter), start.
    """
    donors = [str(d) for d in controls]

    def _q(x: Any) -> pd.Period:
        return x if isinstance(x, pd.Period) else pd.Period(str(x), freq="Q-DEC")

    full = panel
    if window_start is not None:
        panel = panel[panel[period] >= _q(window_start)]
        if sector_panel is not None:
            sector_panel = sector_panel[sector_panel[period] >= _q(window_start)]
    common = {"outcome": outcome, "unit": unit, "period": period}
    didkw = {**common, "inference": did_inference, "n_boot": n_boot, "seed": seed,
             "methods": tuple(dict.fromkeys((did_inference, "conley_taber", "permutation")))}

    def run(spec: str, p: pd.DataFrame, st: Any, dn: list[str], *, excl=None,
            drop_periods=None, with_synth: bool = True, detrend: bool = False,
            keep_units=None) -> list[dict[str, Any]]:
        keep = [treated, *dn] if keep_units is None else keep_units
        p = p[p[unit].astype(str).isin(keep)]
        pd_ = p if drop_periods is None else p[~p[period].isin(list(drop_periods))]
        out = [_row(did(pd_, treated=treated, start=st, controls=dn, detrend=detrend, **didkw),
                    spec, "did_detrended" if detrend else "did")]
        if with_synth:
            out.append(_row(synth(p, treated=treated, start=st, controls=dn,
                                  exclude_periods=excl, **common), spec, "synth"))
        return out

    rows = run("baseline", panel, start, donors)
    rows += run("detrended", panel, start, donors, detrend=True, with_synth=False)
    for w in windows:
        q = _q(w)
        if q < full[period].min():
            raise ValueError(f"window start {q} is before the panel's first quarter")
        rows += run(f"window_{q}", full[full[period] >= q], start, donors)
    for d in drop_controls:
        rows += run(f"no_{'idf' if str(d) == '11' else d}", panel, start,
                    [x for x in donors if x != str(d)])
    covid = list(covid)
    if covid:
        rows += run("no_covid", panel, start, donors, excl=covid, drop_periods=covid)
    for s in starts:
        rows += run(f"start_{s}", panel, s, donors)
    if sector_panel is not None:
        sp = sector_panel[sector_panel["region_code"].astype(str).isin([treated, *donors])]
        comp = sector_composite(sp, period=period, outcome=outcome)
        rows += run("sectors", comp, start, donors)
    out = pd.DataFrame(rows)
    cols = ["spec", "estimator", "estimate", "ci_lo", "ci_hi", "level", "p_value", "inference",
            "n_controls", "n_obs", "pre", "start"]
    return out[cols]

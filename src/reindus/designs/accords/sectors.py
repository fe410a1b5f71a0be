r"""Region x sector outcomes: every industrial sector, and industry without CI-CJ.

Electrical equipment (batteries included) is NA28i ``CI-CJ``; each outcome is
estimated with the one-region estimators of :mod:`reindus.evaluation`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from reindus.errors import require_columns
from reindus.evaluation.panel import as_quarter as _q

#: NA28i sector holding battery cells: NA28i merges CI and CJ (electrical
#: equipment, NACE 27.20 batteries included) as "CI-CJ".
BATTERY_SECTOR_NA28 = "CI-CJ"


def sector_outcomes(sectors: pd.DataFrame, *, exclude: str = BATTERY_SECTOR_NA28
                    ) -> dict[str, list[str]]:
    """NA28i codes of each industrial outcome: every sector, industry, industry without one.

    Returns
    -------
    dict
        ``{"industry": [...], f"industry excl. {exclude}": [...], code: [code], ...}``.
    """
    require_columns(sectors, ["sector_code", "group"], "sectors")
    ind = sectors.loc[sectors["group"] == "industry", "sector_code"].tolist()
    if exclude not in ind:
        raise ValueError(f"{exclude!r} is not an industrial sector code")
    out = {"industry": ind, f"industry excl. {exclude}": [c for c in ind if c != exclude]}
    out.update({c: [c] for c in ind})
    return out


def sector_effects(employment: pd.DataFrame, sectors: pd.DataFrame, *, treated: str, start: Any,
                   controls: Sequence[str], window: tuple[Any, Any],
                   outcomes: Mapping[str, Sequence[str]] | None = None, leads: int = 8,
                   seed: int = 0) -> pd.DataFrame:
    r"""Recommended estimate and pre-trend test for each sector outcome of one region.

    For each outcome (a set of NA28i codes summed; default
    :func:`sector_outcomes`), the region x quarter panel of log employment
    (:func:`reindus.evaluation.panel.outcome_panel`, metropolitan regions)
    gives

    * the effect by :func:`reindus.evaluation.recommended` (synthetic DiD,
      placebo interval) of ``treated`` against ``controls`` from ``start``;
    * the randomisation *p*-value of the event study's joint pre-trend test
      (:func:`reindus.evaluation.event_study.event_study`, ``leads`` leads);
    * the raw growth :math:`E_{T}/E_{g-1} - 1` of the treated region and of
      the rest of metropolitan France (every other metropolitan region) from
      the quarter before ``start`` to the last quarter.

    Returns
    -------
    pandas.DataFrame
        outcome, estimate, ci_lo, ci_hi (log points), p_value, pretrend_p,
        jobs_before, jobs_last, growth, growth_rest (ratios), n_obs.
    """
    from reindus.evaluation import recommended
    from reindus.evaluation.event_study import event_study
    from reindus.evaluation.panel import outcome_panel

    outcomes = sector_outcomes(sectors) if outcomes is None else outcomes
    g = _q(start)
    cols = {"outcome": "log_employment", "unit": "unit", "period": "quarter"}
    rows = []
    for name, codes in outcomes.items():
        sp = outcome_panel(employment, sectors, sector_codes=codes, window=window)
        r = recommended(sp, treated=treated, start=g, controls=controls, seed=seed, **cols)
        e = event_study(sp, treated=treated, start=g, controls=controls, leads=leads, seed=seed,
                        **cols)
        w = sp.pivot(index="quarter", columns="unit", values="employment")
        ends = w.loc[[g - 1, w.index.max()]]
        own = ends[str(treated)]
        rest = ends.drop(columns=str(treated)).sum(axis=1)
        rows.append({"outcome": name, "estimate": r.estimate, "ci_lo": r.ci[0], "ci_hi": r.ci[1],
                     "p_value": r.p_value,
                     "pretrend_p": e.diagnostics["pretrend"]["randomisation"]["p_value"],
                     "jobs_before": int(own.iloc[0]), "jobs_last": int(own.iloc[1]),
                     "growth": float(own.iloc[1] / own.iloc[0] - 1),
                     "growth_rest": float(rest.iloc[1] / rest.iloc[0] - 1), "n_obs": r.n_obs})
    return pd.DataFrame(rows)

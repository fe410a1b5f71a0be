"""A common result object for every estimator of :mod:`reindus.evaluation`.

Every estimator (difference-in-differences, event study, synthetic control,
Callaway–Sant'Anna) returns an :class:`EstimateResult`, so that a notebook can
put them side by side in one table and record them with
:func:`reindus.reporting.record_estimate` the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "inf" if isinstance(x, float) and math.isinf(x) and x > 0 else (
            "-inf" if isinstance(x, float) and math.isinf(x) else "NA")
    return f"{x:.{digits}f}"


@dataclass
class EstimateResult:
    """Outcome of one estimator on one panel.

    Attributes
    ----------
    estimate
        Point estimate (for log outcomes: log points, 0.01 ~ 1 %).
    ci
        ``(lo, hi)`` interval at level ``level``; bounds may be ``-inf``/``inf``
        when the method cannot exclude any value at that level (e.g. a
        permutation test with fewer than ``1/alpha`` units).
    p_value
        p-value of the null of no effect, from the method named in ``inference``.
    method
        Estimator, e.g. ``"twfe_did"``, ``"synthetic_control"``.
    inference
        How ``ci`` and ``p_value`` were obtained, e.g. ``"conley_taber"``.
    treated, controls
        Unit identifiers.
    periods
        Mapping with at least ``pre`` and ``post`` (first, last) periods as strings.
    n_obs
        Number of unit-period observations used.
    level
        Confidence level of ``ci``.
    diagnostics
        Method-specific extras (fit, alternative inference, placebo draws...).
    details
        Optional tidy frame of sub-estimates (event-time coefficients,
        group-time ATTs, gaps...).
    """

    estimate: float
    ci: tuple[float, float]
    p_value: float | None
    method: str
    inference: str
    treated: list[str]
    controls: list[str]
    periods: dict[str, Any]
    n_obs: int
    level: float = 0.95
    diagnostics: dict[str, Any] = field(default_factory=dict)
    details: pd.DataFrame | None = None

    def table(self) -> pd.DataFrame:
        """One-row tidy frame: method, inference, estimate, ci_lo, ci_hi, p_value, n."""
        return pd.DataFrame([{
            "method": self.method,
            "inference": self.inference,
            "estimate": float(self.estimate),
            "ci_lo": float(self.ci[0]),
            "ci_hi": float(self.ci[1]),
            "level": self.level,
            "p_value": np.nan if self.p_value is None else float(self.p_value),
            "treated": ",".join(map(str, self.treated)),
            "n_controls": len(self.controls),
            "n_obs": int(self.n_obs),
        }])

    def summary(self, digits: int = 4) -> str:
        """One line: ``method [inference]: est (lo, hi) p=..``."""
        p = "NA" if self.p_value is None else f"{self.p_value:.3f}"
        return (f"{self.method} [{self.inference}]: {_fmt(self.estimate, digits)} "
                f"({int(round(self.level * 100))}% CI {_fmt(self.ci[0], digits)}, "
                f"{_fmt(self.ci[1], digits)}), p = {p}, treated = {_units(self.treated)}, "
                f"{len(self.controls)} controls, n = {self.n_obs}")

    def record_fields(self, *, unit: str = "log points", note: str = "", **extra: Any
                      ) -> dict[str, Any]:
        """The keyword arguments of :func:`reindus.reporting.record_result` for the headline.

        Pure: returns the fields (estimate, interval, unit, method, n, p-value, level and the
        units); :func:`reindus.reporting.record_estimate` writes them, so that estimation
        never imports the reporting layer.
        """
        lo, hi = self.ci
        return dict(
            estimate=float(self.estimate),
            interval=(_finite_or_none(lo), _finite_or_none(hi)),
            unit=unit, method=f"{self.method} [{self.inference}]", n=self.n_obs,
            p_value=None if self.p_value is None else float(self.p_value),
            note=note, level=self.level,
            # Hundreds of EPCI codes would drown the results file: list few units, count many.
            **({"treated": list(self.treated)} if len(self.treated) <= _MAX_LISTED
               else {"n_treated": len(self.treated)}),
            **({"controls": list(self.controls)} if len(self.controls) <= _MAX_LISTED
               else {"n_controls": len(self.controls)}),
            **extra)

    def __repr__(self) -> str:  # short, deterministic
        return f"EstimateResult({self.summary()})"


_MAX_LISTED = 20


def _units(units: list[str]) -> str:
    """Unit codes for a one-line summary: listed when few, counted when many."""
    return ",".join(map(str, units)) if len(units) <= _MAX_LISTED else f"{len(units)} units"


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def results_table(results: list[EstimateResult] | dict[str, EstimateResult]) -> pd.DataFrame:
    """Stack the :meth:`EstimateResult.table` rows of several results.

    With a dict, its keys become a ``label`` column.
    """
    if isinstance(results, dict):
        frames = [r.table().assign(label=k) for k, r in results.items()]
        out = pd.concat(frames, ignore_index=True)
        return out[["label"] + [c for c in out.columns if c != "label"]]
    return pd.concat([r.table() for r in results], ignore_index=True)

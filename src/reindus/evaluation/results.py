"""A common result object for every estimator of :mod:`reindus.evaluation`.

Every estimator (difference-in-differences, event study, synthetic control,
Callaway–Sant'Anna) returns an :class:`EstimateResult`, so that a notebook can
put them side by side in one table and record them with
:func:`reindus.reporting.record_estimate` the same way.

Inference is typed: ``result.inference`` is an :class:`InferenceSet`, an
ordered read-only mapping from method name to :class:`Inference` (interval,
*p*-value, level, ...), whose ``headline`` names the method behind
``result.ci`` and ``result.p_value``; ``str(result.inference)`` is that name.
The headline can be chosen on the fitted object
(:meth:`EstimateResult.with_inference`), as in pyfixest.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd


def _fmt(x: float | None, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "inf" if isinstance(x, float) and math.isinf(x) and x > 0 else (
            "-inf" if isinstance(x, float) and math.isinf(x) else "NA")
    return f"{x:.{digits}f}"


@dataclass(frozen=True, eq=False)
class Inference:
    """One inference method's interval and test for an estimate.

    Attributes
    ----------
    method
        Name of the method, e.g. ``"conley_taber"``, ``"cluster_unit"``.
    ci
        ``(lo, hi)``; ``-inf``/``inf`` when the method cannot bound the
        interval at that level, ``nan`` when it does not apply (see ``note``).
    p_value
        *p*-value of the null of no effect (``None`` when the method has none).
    level
        Level of ``ci``: the *achieved* level for methods whose attainable
        levels are discrete (Conley–Taber order statistics), else the
        requested one.
    se, df
        Standard error and degrees of freedom, for methods that have them.
    note
        Why the method gives no numbers here, if so.
    extras
        Read-only mapping of method-specific extras (number of draws, the
        placebo estimates, the smallest attainable *p*-value...).
    """

    method: str
    ci: tuple[float, float]
    p_value: float | None
    level: float
    se: float | None = None
    df: float | None = None
    note: str = ""
    extras: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # frozen: the read-only view is set through object.__setattr__
        object.__setattr__(self, "ci", (self.ci[0], self.ci[1]))
        object.__setattr__(self, "extras", MappingProxyType(dict(self.extras)))

    def __eq__(self, other: object) -> bool:
        # Field by field, arrays (placebo draws) element-wise and nan equal to nan: two fits
        # with the same data and seed give equal inferences.
        if not isinstance(other, Inference):
            return NotImplemented
        names = [f.name for f in dataclasses.fields(self) if f.name != "extras"]
        mine = tuple(getattr(self, n) for n in names)
        theirs = tuple(getattr(other, n) for n in names)
        return (_same_value(mine, theirs) and self.extras.keys() == other.extras.keys()
                and all(_same_value(self.extras[k], other.extras[k]) for k in self.extras))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # the read-only extras view cannot be pickled: rebuild it from a plain dict
        return (Inference, (self.method, self.ci, self.p_value, self.level, self.se, self.df,
                            self.note, dict(self.extras)))


def _same_value(a: Any, b: Any) -> bool:
    """Equal, with arrays compared element-wise and nan equal to nan."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (np.shape(a) == np.shape(b)
                and bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


#: an inference method not yet computed: called once, on first access, it returns the
#: :class:`Inference` (see :class:`InferenceSet`)
Deferred = Callable[[], "Inference"]


class InferenceSet(Mapping[str, Inference]):
    """Ordered read-only mapping method name -> :class:`Inference`, with a headline.

    Methods other than the headline may be *deferred* (a zero-argument callable):
    the estimator fixes their inputs and seeds at fit time and they are computed on
    first access, so that ``did(...)`` pays for the headline only and
    ``result.confint("wild")`` pays for the wild bootstrap when asked (pyfixest's
    "inference chosen on the fitted object").

    ``headline`` is the method behind the result's ``ci`` and ``p_value``;
    ``str()`` of the set is that name, so that printing ``result.inference``
    reads as before.
    """

    __slots__ = ("_items", "headline")

    def __init__(self, items: Iterable[Inference] | Mapping[str, Inference | Deferred],
                 headline: str) -> None:
        if isinstance(items, Mapping):
            self._items: dict[str, Inference | Deferred] = dict(items)
            if any(k != v.method for k, v in self._items.items() if isinstance(v, Inference)):
                raise ValueError("each key must be its Inference's method name")
        else:
            seq = list(items)
            self._items = {i.method: i for i in seq}
            if len(self._items) != len(seq):
                raise ValueError("inference methods must have distinct names")
        if headline not in self._items:
            raise ValueError(f"headline inference {headline!r} is not among the computed "
                             f"methods {tuple(self._items)}")
        if not isinstance(self._items[headline], Inference):
            raise ValueError("the headline inference must be computed, not deferred")
        self.headline: str = headline

    def __getitem__(self, method: str) -> Inference:
        try:
            value = self._items[method]
        except KeyError:
            raise KeyError(self._missing(method)) from None
        if not isinstance(value, Inference):
            # Deferred: computed on first access (its seed was fixed at fit time, so the
            # numbers do not depend on when, or in which order, methods are asked for).
            value = self._items[method] = value()
        return value

    def computed(self) -> tuple[str, ...]:
        """Names of the methods already computed (the headline always is)."""
        return tuple(k for k, v in self._items.items() if isinstance(v, Inference))

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __str__(self) -> str:
        return self.headline

    def __repr__(self) -> str:
        return f"InferenceSet({list(self._items)}, headline={self.headline!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickling (e.g. results sent between processes) computes the deferred methods:
        # their closures hold the fitted arrays and cannot be pickled.
        return (InferenceSet, ({m: self[m] for m in self}, self.headline))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, InferenceSet):
            return (self.headline == other.headline and list(self) == list(other)
                    and all(self[m] == other[m] for m in self))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-looking mapping: not hashable

    def _missing(self, method: str) -> str:
        return (f"inference {method!r} was not computed for this result; available: "
                f"{tuple(self._items)} (ask the estimator for it, e.g. "
                f"did(..., methods=(..., {method!r})))")

    def with_headline(self, method: str) -> InferenceSet:
        """The same methods with ``method`` as the headline (computed now if deferred)."""
        self[method]  # raises the helpful KeyError, or computes a deferred method
        return InferenceSet(self._items, headline=method)

    @classmethod
    def single(cls, method: str, ci: tuple[float, float], p_value: float | None,
               level: float, **kw: Any) -> InferenceSet:
        """A set holding one method, the headline."""
        return cls([Inference(method, ci, p_value, level, **kw)], headline=method)


def _same(a: float | None, b: float | None) -> bool:
    """Equal, or both missing (None / nan)."""
    def missing(x: float | None) -> bool:
        return x is None or (isinstance(x, float) and math.isnan(x))
    return (missing(a) and missing(b)) or a == b


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
        p-value of the null of no effect, from the headline inference method.
    method
        Estimator, e.g. ``"twfe_did"``, ``"synthetic_control"``.
    inference
        Every inference method computed, an :class:`InferenceSet`; its
        ``headline`` gave ``ci``, ``p_value`` and ``level``. A plain string
        (the method's name) is accepted by the constructor and becomes a set
        holding that one method with the result's ``ci``, ``p_value`` and
        ``level``.
    treated, controls
        Unit identifiers.
    periods
        Mapping with at least ``pre`` and ``post`` (first, last) periods as strings.
    n_obs
        Number of unit-period observations used.
    level
        Confidence level of ``ci``.
    diagnostics
        Method-specific extras (fit, placebo draws...); not inference, which
        lives in ``inference``.
    details
        Optional tidy frame of sub-estimates (event-time coefficients,
        group-time ATTs, gaps...).
    """

    estimate: float
    ci: tuple[float, float]
    p_value: float | None
    method: str
    inference: InferenceSet
    treated: list[str]
    controls: list[str]
    periods: dict[str, Any]
    n_obs: int
    level: float = 0.95
    diagnostics: dict[str, Any] = field(default_factory=dict)
    details: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if isinstance(self.inference, str):
            self.inference = InferenceSet.single(self.inference, self.ci, self.p_value,
                                                 self.level)
        elif not isinstance(self.inference, InferenceSet):
            raise TypeError("inference must be an InferenceSet or a method name")
        head = self.inference[self.inference.headline]
        # the headline fields and the headline method must tell the same story
        if not (all(_same(a, b) for a, b in zip(head.ci, self.ci, strict=True))
                and _same(head.p_value, self.p_value) and _same(head.level, self.level)):
            raise ValueError(f"ci/p_value/level differ from the headline inference "
                             f"{self.inference.headline!r}")

    # ------------------------------------------------------------------ inference
    def confint(self, method: str | None = None) -> tuple[float, float]:
        """Interval of ``method`` (default: the headline), at its ``level``."""
        return self.inference[method or self.inference.headline].ci

    def pvalue(self, method: str | None = None) -> float | None:
        """*p*-value of ``method`` (default: the headline)."""
        return self.inference[method or self.inference.headline].p_value

    def with_inference(self, method: str) -> EstimateResult:
        """A copy whose headline (``ci``, ``p_value``, ``level``) is ``method``.

        Inference chosen on the fitted object: every computed method stays
        available; only which one :meth:`table`, :meth:`summary` and
        :meth:`record_fields` report changes.
        """
        inf = self.inference.with_headline(method)
        m = inf[method]
        return dataclasses.replace(self, ci=m.ci, p_value=m.p_value, level=m.level,
                                   inference=inf)

    def tidy(self) -> pd.DataFrame:
        """One row per inference method.

        Columns: method (the estimator), inference, estimate, ci_lo, ci_hi,
        level, p_value, headline (whether it gave ``ci`` and ``p_value``).
        """
        return pd.DataFrame([{
            "method": self.method, "inference": name, "estimate": float(self.estimate),
            "ci_lo": float(i.ci[0]), "ci_hi": float(i.ci[1]), "level": float(i.level),
            "p_value": np.nan if i.p_value is None else float(i.p_value),
            "headline": name == self.inference.headline,
        } for name, i in self.inference.items()])

    # ------------------------------------------------------------------ headline views
    def table(self) -> pd.DataFrame:
        """One-row tidy frame: method, inference, estimate, ci_lo, ci_hi, p_value, n."""
        return pd.DataFrame([{
            "method": self.method,
            "inference": self.inference.headline,
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
        return (f"{self.method} [{self.inference.headline}]: {_fmt(self.estimate, digits)} "
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
            unit=unit, method=f"{self.method} [{self.inference.headline}]", n=self.n_obs,
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

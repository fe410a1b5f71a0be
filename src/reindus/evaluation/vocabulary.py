"""The words every estimator of :mod:`reindus.evaluation` shares.

One vocabulary for arguments: ``panel, outcome, unit, period, treated,
start`` (one treatment date, or a mapping unit -> date) or ``first_treated``
(the staggered designs' column), and ``controls`` for the comparison units
(never "donors"). The allowed values of the string options are the
:data:`typing.Literal` types below, used in the signatures, and
:func:`check` validates an argument against one with the same message
everywhere.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

#: inference methods of the two-way fixed-effects DiD (:func:`reindus.evaluation.did.did`)
DidInference = Literal["conformal", "conley_taber", "permutation", "wild", "cluster"]
#: inference of the event study's headline
EventStudyInference = Literal["auto", "conley_taber", "cluster"]
#: inference of Callaway–Sant'Anna
StaggeredInference = Literal["auto", "permutation", "cluster"]
#: inference of the synthetic control
SynthInference = Literal["conformal", "placebo"]
#: inference of synthetic DiD
SdidInference = Literal["placebo", "jackknife"]
#: inference of the trend-adjusted DiD
TrendInference = Literal["placebo", "conley_taber"]
#: comparison units of Callaway–Sant'Anna
ControlGroup = Literal["not_yet_treated", "never_treated"]
#: base period of Callaway–Sant'Anna's pre-treatment cells
BasePeriod = Literal["varying", "universal"]
#: aggregations of the group-time ATTs
Aggregation = Literal["simple", "event_avg", "group"]
#: the three estimators of the synthetic DiD machinery
SdidEstimator = Literal["sdid", "sc", "did"]
#: critical values: Student or normal
Dist = Literal["t", "normal"]
#: weight solvers of synthetic DiD
Solver = Literal["exact", "frank_wolfe"]
#: few or many treated clusters (:func:`reindus.evaluation.inference.inference_regime`)
Regime = Literal["few", "many"]


def values(kind: Any) -> tuple[str, ...]:
    """The allowed values of a ``Literal`` type, in their declared order."""
    return tuple(get_args(kind))


def check(name: str, value: Any, kind: Any) -> None:
    """Raise ``ValueError("<name> must be one of (...); got ...")`` unless ``value`` is allowed."""
    allowed = values(kind)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")

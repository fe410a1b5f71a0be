"""Evaluation of the Région–Intercommunalités de France accords (issue 4).

Pure functions on tidy panels: :mod:`.did` (two-way fixed effects with
small-sample inference), :mod:`.event_study`, :mod:`.synth` (synthetic
control), :mod:`.staggered` (Callaway–Sant'Anna), :mod:`.robustness`,
:mod:`.panel` (the regional panel and treatment dates) and :mod:`.simulate`
(synthetic panels for validation). Every estimator returns an
:class:`~reindus.evaluation.results.EstimateResult`.

The same estimators serve one treated region and hundreds of treated units
(the Territoires d'industrie EPCI of :mod:`reindus.designs.territories`):
:mod:`.fixed_effects` holds the shared weighted two-way demeaning and
clustered fits, :mod:`.inference` the rule that picks randomisation /
conformal / Conley–Taber inference for few treated clusters and
cluster-robust or wild-bootstrap inference for many (``inference='auto'``),
and :mod:`.ipw` the inverse-probability-weighted DiD with a statsmodels
logit propensity score.

Every estimator returns an :class:`~reindus.evaluation.results.EstimateResult`
whose ``inference`` is an :class:`~reindus.evaluation.results.InferenceSet`
(every inference method computed, typed, with the headline's name as its
``str``); the argument names and allowed values are those of
:mod:`.vocabulary`.
"""

from reindus.evaluation.recommend import recommended
from reindus.evaluation.results import EstimateResult, Inference, InferenceSet, results_table
from reindus.evaluation.sdid import sdid
from reindus.evaluation.trends import trend_did, trend_event_study

__all__ = ["EstimateResult", "Inference", "InferenceSet", "recommended", "results_table", "sdid",
           "trend_did", "trend_event_study"]

from reindus.evaluation.sensitivity import (  # noqa: E402
    SensitivityResult,
    sensitivity_analysis,
    sensitivity_inputs,
)

__all__ += ["SensitivityResult", "sensitivity_analysis", "sensitivity_inputs"]

from reindus.evaluation.mde import MDEResult, minimum_detectable_effect  # noqa: E402

__all__ += ["MDEResult", "minimum_detectable_effect"]

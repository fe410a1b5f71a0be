"""Figures and printed reports for the evaluation of the accords (notebook 02).

Plumbing kept out of the notebooks: each ``plot_*`` function draws one figure
from estimator output and returns ``(fig, data)``, where ``data`` is exactly
the frame to pass to :func:`reindus.reporting.save_figure`; each ``*_report``
function returns the text a notebook prints. Nothing here estimates anything:
the numbers come from :mod:`reindus.evaluation` (``descriptive``, ``event_study``, ``synth``,
``staggered``, ``robustness``) unchanged, only scaled to percent
(:math:`100 \\times` log points) for display.

Periods may be quarters (``'2024Q1'``, :class:`pandas.Period`) or integers
(simulated panels); quarters are drawn as dates.

Modules: :mod:`.before_after`, :mod:`.event_study` (with Callaway-Sant'Anna),
:mod:`.synth`, :mod:`.robustness` (with the validation figure).
"""

from __future__ import annotations

from reindus.plots.evaluation._common import (
    BREAK_COLOR,
    DONOR_COLOR,
    PLACEBO_COLOR,
    TREATED_COLOR,
)
from reindus.plots.evaluation.before_after import before_after_report, plot_index_paths
from reindus.plots.evaluation.event_study import (
    event_study_report,
    event_study_table,
    plot_event_profile,
    plot_event_study,
    staggered_table,
)
from reindus.plots.evaluation.robustness import plot_robustness, plot_validation, robustness_report
from reindus.plots.evaluation.synth import plot_synthetic_controls, synth_report

__all__ = [
    "BREAK_COLOR",
    "DONOR_COLOR",
    "PLACEBO_COLOR",
    "TREATED_COLOR",
    "before_after_report",
    "event_study_report",
    "event_study_table",
    "plot_event_profile",
    "plot_event_study",
    "plot_index_paths",
    "plot_robustness",
    "plot_synthetic_controls",
    "plot_validation",
    "robustness_report",
    "staggered_table",
    "synth_report",
]

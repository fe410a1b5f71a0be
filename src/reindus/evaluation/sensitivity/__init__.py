r"""Sensitivity of an event study to violations of parallel trends (Rambachan & Roth 2023).

An event study estimates :math:`\hat\beta = (\hat\beta_{pre}', \hat\beta_{post}')'`
with covariance :math:`\Sigma`, where (reference period :math:`-1` normalised
to zero)

.. math::

    \beta = \begin{pmatrix} 0 \\ \tau_{post} \end{pmatrix} + \delta,
    \qquad \hat\beta \approx N(\beta, \Sigma),

and :math:`\delta` is the difference in trends that parallel trends assumes to
be zero. Rambachan and Roth (2023, *Review of Economic Studies*, "A More
Credible Approach to Parallel Trends") bound the target
:math:`\theta = l'\tau_{post}` (one post coefficient, or the average with
:math:`l = (1/\bar T, \dots)`) when :math:`\delta` is only known to lie in a set
:math:`\Delta`:

**Smoothness**, :math:`\Delta^{SD}(M)`: the slope of the trend changes by at
most :math:`M` between consecutive periods,

.. math::

    \Delta^{SD}(M) = \{\delta : |(\delta_{t+1} - \delta_t) - (\delta_t - \delta_{t-1})|
    \le M \ \forall t\}, \qquad \delta_0 = 0.

:math:`M = 0` allows only a linear trend, extrapolated from the pre-period.

**Relative magnitudes**, :math:`\Delta^{RM}(\bar M)`: every post-period
violation between consecutive periods is at most :math:`\bar M` times the
largest pre-period one,

.. math::

    \Delta^{RM}(\bar M) = \{\delta : \forall t \ge 0,\ |\delta_{t+1} - \delta_t|
    \le \bar M \max_{s < 0} |\delta_{s+1} - \delta_s|\}.

It is the union over the location :math:`s` and the sign of the largest
pre-period jump of polyhedra :math:`\{\delta: A_{s,\pm}\delta \le 0\}`.

What is computed
----------------
* **Identified set** :math:`[\theta^{lb}, \theta^{ub}]` when :math:`\beta` is
  known: :math:`l'\beta_{post} - \max / \min \{l'\delta_{post} : \delta \in
  \Delta, \delta_{pre} = \beta_{pre}\}`, two linear programs
  (``scipy.optimize.linprog``); for :math:`\Delta^{RM}` the union over
  :math:`(s, \pm)`.
* **Robust confidence interval under** :math:`\Delta^{SD}`: the optimal
  fixed-length confidence interval (FLCI) of Armstrong and Kolesár, as
  HonestDiD's ``findOptimalFLCI``: among affine estimators
  :math:`a + v'\hat\beta` with :math:`v_{post} = l`, choose :math:`v_{pre}` to
  minimise the half-length
  :math:`\chi = \sigma_v\, cv_\alpha(\bar b_v / \sigma_v)`, where
  :math:`\bar b_v` is the worst-case bias over :math:`\Delta^{SD}(M)`,
  :math:`\sigma_v^2 = v'\Sigma v` and :math:`cv_\alpha(t)` is the
  :math:`1-\alpha` quantile of :math:`|N(t, 1)|`. The bias is linear in
  :math:`M` and, writing the pre weights through their cumulative sums
  :math:`w`, equals :math:`M(c_l + \sum_j |\sum_{i\le j} w_i|)` under
  :math:`\sum_j w_j = \sum_t t\, l_t`. For a given :math:`\sigma_v = h` the
  smallest bias is a convex program (linear objective, linear and one
  quadratic constraint; solved with SLSQP); the half-length is convex in
  :math:`h` and minimised over :math:`[h_{min}, h_0]` (bounded scalar search).
  Differences from HonestDiD: :math:`cv_\alpha` is the exact folded-normal
  quantile (root of :math:`\Phi(q-t) - \Phi(-q-t) = 1-\alpha`) where HonestDiD
  uses the empirical quantile of :math:`10^6` simulated draws, and the search
  over :math:`h` is a bounded Brent search rather than a bisection on numerical
  derivatives; both change the bounds by less than :math:`10^{-4}` of the
  estimate's scale on HonestDiD's README example.
* **Robust confidence interval under** :math:`\Delta^{RM}`: the conditional
  least-favourable hybrid ("C-LF") test of Andrews, Roth and Pakes (2023), as
  HonestDiD's ``computeConditionalCS_DeltaRM``, inverted on the same grid of
  :math:`\theta` (default 1000 points on :math:`\pm 20\,sd(l'\hat\beta_{post})`),
  the confidence set being the union over :math:`(s, \pm)` of the accepted
  values, reported as [min, max] of the accepted grid points. Moments: the
  post-period rows of :math:`A_{s,\pm}` only (HonestDiD's default
  ``postPeriodMomentsOnly = TRUE``). The first-stage least-favourable
  critical value (level :math:`\kappa = \alpha/10`) is simulated with 1000
  draws of numpy's generator (HonestDiD: R's ``set.seed(0)`` and mvtnorm, so
  the draws differ; the bounds move by at most a grid step or two). The
  linear program :math:`\hat\eta = \min_{\eta,\tau} \eta` s.t.
  :math:`\tilde y - \tilde X\tau \le \eta\,\tilde\sigma` is solved through its
  dual, :math:`\hat\eta = \max_\lambda \lambda'\tilde y` over the vertices of
  :math:`\{\lambda \ge 0, \tilde\sigma'\lambda = 1, \tilde X'\lambda = 0\}`
  (the extreme rays of :math:`\{\lambda \ge 0, \tilde X'\lambda = 0\}`,
  enumerated once, rescaled by :math:`\tilde\sigma`), so every grid point and
  every simulation draw costs one matrix product (falls back to ``linprog``
  when there are too many vertices to enumerate). For degenerate vertices the
  truncation bounds, which HonestDiD finds by bisection on a linear program,
  have a closed form on the same vertices (same values to its 1e-6 tolerance).
* **Reproduction of HonestDiD** (tests): on the README's Medicaid example the
  FLCI matches HonestDiD to 1e-7 when given HonestDiD's simulated quantile
  (R's ``set.seed(0)`` draws, emulated), and to 4e-5 with the exact one; the
  C-LF bounds agree to within 1.5 steps of HonestDiD's grid (the least
  favourable critical value is simulated with other draws; the README's
  bounds moreover do not lie on the grid the current code would use, so they
  may come from an earlier version).
* **Breakdown value**: the smallest :math:`M` (or :math:`\bar M`) at which the
  robust interval contains 0, found by bisection (the sets grow with
  :math:`M`), together with the first grid value at which it does.

Modules
-------
:mod:`.inputs` (:math:`\hat\beta`, :math:`\Sigma`), :mod:`.identified` (restriction
matrices, identified sets, original CI), :mod:`.smoothness` (FLCI under
:math:`\Delta^{SD}`), :mod:`._arp` (the Andrews–Roth–Pakes test),
:mod:`.relative_magnitudes` (C-LF confidence set under :math:`\Delta^{RM}`),
:mod:`.analysis` (tables over :math:`M` and breakdown values).

References
----------
Rambachan, A. and Roth, J. (2023). A More Credible Approach to Parallel Trends.
*Review of Economic Studies* 90(5), 2555–2591. R package HonestDiD
(github.com/asheshrambachan/HonestDiD), whose README example this module
reproduces (tests/test_evaluation_sensitivity.py).
Andrews, I., Roth, J. and Pakes, A. (2023). Inference for Linear Conditional
Moment Inequalities. *Review of Economic Studies* 90(6), 2763–2791.
Armstrong, T. and Kolesár, M. (2018). Optimal Inference in a Class of
Regression Models. *Econometrica* 86(2), 655–683.
"""

from __future__ import annotations

from reindus.evaluation.sensitivity.analysis import (
    RESTRICTIONS,
    SensitivityResult,
    breakdown_value,
    sensitivity_analysis,
)
from reindus.evaluation.sensitivity.identified import (
    identified_set_rm,
    identified_set_sd,
    original_ci,
)
from reindus.evaluation.sensitivity.inputs import SensitivityInputs, sensitivity_inputs
from reindus.evaluation.sensitivity.relative_magnitudes import conditional_ci_rm
from reindus.evaluation.sensitivity.smoothness import flci_sd

__all__ = [
    "RESTRICTIONS",
    "SensitivityInputs",
    "SensitivityResult",
    "breakdown_value",
    "flci_sd",
    "conditional_ci_rm",
    "identified_set_rm",
    "identified_set_sd",
    "original_ci",
    "sensitivity_analysis",
    "sensitivity_inputs",
]

"""Influence of social context factors on school results; pupils in schools.

Two tools, both estimated by statsmodels (nothing here is a hand-written
estimator):

* :func:`influence` — school level: an outcome (share of «2», mean score,
  quality…) regressed on context factors (shares of pupils from large families,
  with a non-native Russian language…), by OLS, WLS (weighted by participants) or
  a binomial GLM on counts. One row per factor with its coefficient, standardised
  effect, interval, p-value corrected for multiple testing, VIF and a direction
  (положительное / отрицательное / незначимое) compared with the direction the
  sources expect (:func:`edu_quality.factor_catalogue`).
  :func:`direction_table` turns the result into the table of the Nazarovo
  district programme (Приложение 1 and 2: «Фактор», «Направление влияния»).
* :func:`multilevel` — pupil level: a two-level linear mixed model (pupils in
  schools, statsmodels ``MixedLM``) with a random intercept per school and an
  optional random slope; variance components, the intraclass correlation and
  empirical-Bayes school effects, shrunk towards zero for small schools. The
  model is fitted by several optimisers and the best converged one is kept,
  because a single optimiser can report convergence at a wrong optimum.

The design matrices are built directly from the named columns, never from a
formula evaluated in the caller's namespace, so no notebook variable can leak
into a model; the equivalent formula is kept for the record
(``attrs["formula"]`` / ``.formula``).

The package: :mod:`~edu_quality.factors.common` (the warning, the expected
directions, the formula kept for the record), :mod:`~edu_quality.factors.regression`
(:func:`influence`, :func:`direction_table`) and :mod:`~edu_quality.factors.mixed`
(:func:`multilevel`, :class:`MultilevelResult`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .common import DIRECTIONS, FactorWarning, expected_directions

# public before the split, not in __all__: edu_quality.index uses it
from .common import record_warning as record_warning

#: Public name → the module it lives in, imported on first use: the models import
#: statsmodels and SciPy's statistics, which the social index (this package's
#: expected directions) does not need.
_EXPORTS = {
    "OPTIMIZERS": "mixed",
    "MultilevelResult": "mixed",
    "multilevel": "mixed",
    "CORRECTIONS": "regression",
    "FAMILIES": "regression",
    "MIN_PER_FACTOR": "regression",
    "ROBUST": "regression",
    "VIF_MAX": "regression",
    "direction_table": "regression",
    "influence": "regression",
}

if TYPE_CHECKING:
    from .mixed import OPTIMIZERS, MultilevelResult, multilevel
    from .regression import (
        CORRECTIONS,
        FAMILIES,
        MIN_PER_FACTOR,
        ROBUST,
        VIF_MAX,
        direction_table,
        influence,
    )

__all__ = [
    "CORRECTIONS",
    "DIRECTIONS",
    "FAMILIES",
    "MIN_PER_FACTOR",
    "OPTIMIZERS",
    "ROBUST",
    "VIF_MAX",
    "FactorWarning",
    "MultilevelResult",
    "direction_table",
    "expected_directions",
    "influence",
    "multilevel",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, (), __all__)

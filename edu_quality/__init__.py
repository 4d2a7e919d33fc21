"""edu_quality: analytics for the «500+» school-improvement programme.

Loaders for assessment results, school registry, social context, staffing,
enrolment, 500+ risk profiles, programme indicators and plans; metrics with
confidence intervals; dynamics; objectivity; factor influence; the social
well-being index; identification of schools with low results (ШНОР) and in
difficult social conditions (ШНСУ).

The modules: ``io`` (readers), ``schema``, ``dataset``, ``metrics``,
``dynamics``, ``objectivity``, ``indicators``, ``factors``, ``index``,
``identify``, ``risk``, ``plots``, ``synthetic``. The most used functions are
also importable from the package itself.
"""

from . import dynamics, identify, indicators, metrics, objectivity, risk
from .catalogue import context_signs, factor_catalogue, factor_label
from .dataset import Dataset, load_dataset
from .dynamics import cohort_progress, enrolment_change, positive_share, trend, year_over_year
from .errors import DataError, EduQualityError, Problem
from .factors import direction_table, influence, multilevel
from .identify import classify
from .index import SocialIndex, social_index, unfavourable
from .indicators import evaluate_indicators
from .io import (
    read_context,
    read_enrolment,
    read_indicators,
    read_plan,
    read_results,
    read_risk_profiles,
    read_schools,
    read_staff,
)
from .metrics import summarize
from .objectivity import marks_vs_journal, objectivity_index

__all__ = [
    "DataError",
    "Dataset",
    "EduQualityError",
    "Problem",
    "SocialIndex",
    "classify",
    "cohort_progress",
    "context_signs",
    "direction_table",
    "dynamics",
    "enrolment_change",
    "evaluate_indicators",
    "factor_catalogue",
    "factor_label",
    "identify",
    "indicators",
    "influence",
    "load_dataset",
    "marks_vs_journal",
    "metrics",
    "multilevel",
    "objectivity",
    "objectivity_index",
    "positive_share",
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_plan",
    "read_results",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
    "risk",
    "social_index",
    "summarize",
    "trend",
    "unfavourable",
    "year_over_year",
]

__version__ = "0.1.0"

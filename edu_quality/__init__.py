"""edu_quality: analytics for the «500+» school-improvement programme.

Loaders for assessment results, school registry, social context, staffing,
enrolment, 500+ risk profiles, programme indicators and plans; metrics with
confidence intervals; dynamics; factor influence; identification of schools
with low results (ШНОР) and in difficult social conditions (ШНСУ).
"""

from .catalogue import factor_catalogue, factor_label
from .dataset import Dataset, load_dataset
from .errors import DataError, EduQualityError, Problem
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

__all__ = [
    "DataError",
    "Dataset",
    "EduQualityError",
    "Problem",
    "factor_catalogue",
    "factor_label",
    "load_dataset",
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_plan",
    "read_results",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
]

__version__ = "0.1.0"

"""Readers for the files methodologists have (see :mod:`edu_quality.io.readers`)."""

from __future__ import annotations

from .raw import SUFFIXES as SUFFIXES
from .readers import (
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
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_plan",
    "read_results",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
]

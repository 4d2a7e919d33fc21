"""Dynamics: year-over-year change, trends, schools with positive dynamics, cohort progress.

Also the change of enrolment.

A change is called «положительная» or «отрицательная» only when it is
distinguishable from noise (its 95 % interval excludes zero); otherwise it is
«стабильная». Each metric knows its good direction: for the share of «2» a
fall is positive.

Only like is compared with like: the same work — assessment, subject, work
grade — in the same session (:mod:`edu_quality.exam_years`). A series never
pairs the autumn and the spring works of one school year (the same pupils six
months apart on two different works: a cohort's progress, not a change); the
``session`` and ``work_grade`` columns of a summary are always part of the
series. The years of :func:`edu_quality.exam_years.exam_years` decide the
rest: procedures not held as exams (ОГЭ and ЕГЭ 2020, ОГЭ 2021 other than
Russian and mathematics) are left out by default; a change involving a
selective population (ЕГЭ 2020 and 2021: only those entering universities)
is labelled in ``caveat`` and gets no verdict, and a trend leaves such years
out.

The package: :mod:`~edu_quality.dynamics.series` (the verdicts, the metrics
compared, the series), :mod:`~edu_quality.dynamics.changes` (year over year,
positive dynamics), :mod:`~edu_quality.dynamics.trends` (the trend of a share)
and :mod:`~edu_quality.dynamics.cohorts` (enrolment, cohort progress).
"""

from __future__ import annotations

from .changes import positive_share, year_over_year
from .cohorts import KDR_LEVELS, CohortProgress, cohort_progress, enrolment_change
from .series import SELECTIVE_CAVEAT, VERDICTS, verdict
from .trends import series_trend, trend

__all__ = [
    "CohortProgress",
    "KDR_LEVELS",
    "SELECTIVE_CAVEAT",
    "VERDICTS",
    "cohort_progress",
    "enrolment_change",
    "positive_share",
    "series_trend",
    "trend",
    "verdict",
    "year_over_year",
]

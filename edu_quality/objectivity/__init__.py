"""Objectivity of assessment results: the federal index, our stricter triage, ВПР vs journal.

Two readings of the three federal signs live here and are never mixed:

* **«Федеральная методика ФИОКО»** — :func:`objectivity_index` by default: the
  method «Уровень объективности оценки образовательных результатов в субъекте
  Российской Федерации» exactly as written (a school is marked by at least one
  sign; normal 1,96 intervals; any negative Spearman correlation; quartile
  fences over the whole sample). Signs: :func:`sign_high_mean`,
  :func:`sign_journal_mismatch`, :func:`sign_cohort_change`; the per-work table
  regions receive: :func:`works_table`; comparison with an official list:
  :func:`compare_with_list`.
* **«правило edu_quality (строже федеральной методики)»** —
  :func:`objectivity_triage` (or ``objectivity_index(..., method="edu_quality")``):
  coinciding signs, t intervals, a significant correlation, 5 pupils per work.

Also :func:`marks_vs_journal` (понизили / подтвердили / повысили) and
:func:`extra_signs`, rules of our own that enter no index. A sign is a reason
to look, never a verdict: «признаки необъективности: требуется проверка».
"""

from __future__ import annotations

from .cohort import sign_cohort_change
from .combine import ObjectivityIndex
from .compare import ListComparison, compare_with_list
from .federal import METHODS, objectivity_index, works_table
from .journal import extra_signs, marks_vs_journal
from .labels import (
    FEDERAL_LABEL,
    FEDERAL_METHOD,
    MESSAGE_FLAGGED,
    SIGN_NAMES,
    SOURCE_COHORT_CHANGE,
    SOURCE_EXTRA,
    SOURCE_HIGH_MEAN,
    SOURCE_JOURNAL_MISMATCH,
    TRIAGE_LABEL,
)
from .signs import sign_high_mean, sign_journal_mismatch
from .triage import MESSAGE_SINGLE_SIGN, objectivity_triage

__all__ = [
    "FEDERAL_LABEL",
    "FEDERAL_METHOD",
    "MESSAGE_FLAGGED",
    "MESSAGE_SINGLE_SIGN",
    "METHODS",
    "SIGN_NAMES",
    "SOURCE_COHORT_CHANGE",
    "SOURCE_EXTRA",
    "SOURCE_HIGH_MEAN",
    "SOURCE_JOURNAL_MISMATCH",
    "TRIAGE_LABEL",
    "ListComparison",
    "ObjectivityIndex",
    "compare_with_list",
    "extra_signs",
    "marks_vs_journal",
    "objectivity_index",
    "objectivity_triage",
    "sign_cohort_change",
    "sign_high_mean",
    "sign_journal_mismatch",
    "works_table",
]

"""Identification of ШНОР, ШНСУ, risk-zone and resilient schools, with the reasons.

Schools with low results (ШНОР), in difficult social conditions (ШНСУ), in the risk zone,
and resilient schools — each with the reasons behind it.

The rules and their defaults (each a parameter of :func:`classify`):

* **Composite result.** For every procedure (assessment, subject, grade) of a
  year, a school's mean score (or, where only counts exist, its share of
  «2», sign reversed) is standardised across the schools of the region that
  wrote it; the school's composite is the mean of these z-scores weighted by
  participants, with its standard error from the pupils' spread.
* **Comparison within groups** (ХМАО model: обычные, углублённые,
  малокомплектные сельские, ОВЗ): a school is *low* in a year when its
  composite is among the bottom ``low_share`` of its group, rounded up to
  whole schools (default 10 %; the ХМАО seed lists 22 stably-low schools of
  290, 7,6 %). This cut is the toolkit's rule (the reasons say «правило
  edu_quality»), not ФИОКО's. It is a hard rank while a composite has a
  standard error (median 0,14 z on the real Altai ВПР 2021): a school whose
  95 % interval crosses its group's cut (midway between the last school in
  and the next) for the low 10 % or the near-low 20 % is labelled
  ``borderline`` («на границе»); the label does not change the status. A group with fewer than ``min_group`` schools is compared with
  nobody: its schools are not judged low (said so in the reasons) — an ОВЗ
  school compared with ordinary schools would always look low.
* **Stably low** (ШНОР): low in at least ``k`` of the last ``n`` years with
  results (default 2 of 3, DOMAIN.md). A year is a school year, named by
  the calendar year of its end: the ВПР of autumn 2020 (session «осень») are
  results of 2021, with its spring works (:mod:`edu_quality.exam_years`).
  Procedures not held as exams (ОГЭ and ЕГЭ 2020, ОГЭ 2021 other than
  Russian and mathematics) and, by default, selective populations (ЕГЭ
  2020, 2021) do not count as results. A school that meets Рособрнадзор's rule
  and is low in its group this year is a ШНОР too.
* **Рособрнадзор's rule** (:mod:`edu_quality.rosobrnadzor`): at least 30 % of
  participants with «2» in two procedures (assessment, subject, grade) of one
  year — two works *of one session*: the ВПР moved to autumn 2020 are the 2020
  campaign, the spring works of 2021 its own — or in the same procedure two
  years running (``rosobrnadzor_share``; the same work in the same session),
  in the federal procedures (ВПР, ОГЭ, ЕГЭ); groups under ``min_n`` pupils are
  not judged, nor the works of an ОВЗ school with fewer than
  ``rosobrnadzor_min_n_ovz`` pupils (said in the reasons). A quoted work of
  fewer than 10 pupils is marked «мало участников»; a cell the reports hide
  (``hidden``) is counted but quoted as «значение скрыто». How many schools
  would meet the rule by chance alone, were every school's share of «2» the
  region's, is :func:`rosobrnadzor_chance` (also ``attrs["rosobrnadzor_chance"]``).
  The rule ignores comparison groups, so alone it puts a school in the risk
  zone; with low results in its group this year, or in a group too small to
  compare within, it makes the school a ШНОР.
* **ШНСУ**: the school social well-being index (:func:`edu_quality.index.social_index`)
  in the unfavourable tail: the bottom ``unfavourable_share`` (default 25 %).
* **Context-adjusted result**: the composite minus what the social index
  predicts (weighted least squares over all schools of the year), with a
  95 % interval from the school's sampling error and the line's.
* **Risk zone** (track 2): a decline distinguishable from noise (a Newcombe
  interval of the share of «2» excluding zero, against the year before), a
  composite close to the low-results threshold (the bottom ``near_share`` of
  the group, default 20 %: the band just above the low 10 %), low this year but not stably, or Рособрнадзор's
  rule met without low results within the group (the rule ignores groups).
* **Resilient** («beating the odds»): unfavourable context, and the
  context-adjusted result above zero with its interval excluding zero; never
  a school meeting Рособрнадзор's rule (said in the reasons).

The package: :mod:`~edu_quality.identify.summaries` (what is judged:
:func:`school_summaries`), :mod:`~edu_quality.identify.composite` (the composite
result and the rank within the group: :func:`composite_results`),
:mod:`~edu_quality.identify.rosobrnadzor_rule` (Рособрнадзор's rule as applied here,
:func:`rosobrnadzor_chance`), :mod:`~edu_quality.identify.context` (the social index and
the context-adjusted result), :mod:`~edu_quality.identify.decline` (significant
declines), :mod:`~edu_quality.identify.reasons` (the Russian reasons) and
:mod:`~edu_quality.identify.classification` (:func:`classify`, :data:`STATUSES`).
"""

from __future__ import annotations

from .classification import STATUSES, classify
from .composite import composite_results
from .rosobrnadzor_rule import rosobrnadzor_chance
from .summaries import school_summaries

__all__ = [
    "STATUSES",
    "classify",
    "composite_results",
    "rosobrnadzor_chance",
    "school_summaries",
]

"""A seeded synthetic region in the canonical data model, with planted facts.

:func:`make_region` builds every table of a dataset folder — schools, pupil-level
results of ВПР, ОГЭ, ЕГЭ and КДР, social context, staff, enrolment, 500+ risk
profiles, programme indicators and the plan of measures — from one ``seed``,
and records in :attr:`Region.truth` what was planted in the data: schools that
inflate their ВПР results, stably low schools, resilient schools and the true
effects of the social factors. Tests and notebooks use it to check that the
toolkit finds what is there and does not find what is not. :func:`write_region`
writes the tables as a dataset folder (CSV or Parquet).

Everything is drawn from :func:`numpy.random.default_rng` streams spawned from
``seed`` and is vectorised over pupils, so a region of 40 000 schools takes
seconds, not minutes. The data are synthetic: no real school, pupil or
municipality is described.

The generative model
--------------------
*Schools.* Each municipality is a district («… район») or a town («г. …»),
alternately two districts and one town. Towns have ordinary, deepened-study
(углублённая) and special-needs (ОВЗ) schools; districts also have small rural
schools (малокомплектная сельская), which have 3–10 pupils a grade. ОВЗ schools
have 3–12 pupils a grade, the others 15–60. Small rural schools named «ООШ»
and ОВЗ schools have no secondary level (grades 10–11).

*Social context.* Each school has a latent social well-being ``w`` (normal;
higher in towns and deepened-study schools, lower in small rural and ОВЗ
schools, plus a municipality effect). Each of the nine factors of the
Nazarovo seed's Приложение 1 (:data:`FACTOR_EFFECTS`) is a share
``expit(a + b·w + c·η)`` with its own school noise ``η``, so the factors
correlate through ``w`` but are far from collinear; a little year-to-year noise
is added to the published shares. The five factors of Приложение 2
(:data:`NULL_FACTORS`) are drawn independently of ``w`` (``school_bus`` is
higher in villages).

*Pupils.* A pupil's ability (in pupil standard deviations) is
``θ = μ_s + cohort shock + e``, with the school mean

``μ_s = group effect + Σ_f β_f · (x_sf − mean_f) + u_s``,

where ``x_sf`` is the school's share for effect factor ``f``, ``β_f`` its true
coefficient (:data:`FACTOR_EFFECTS`; sign as in Приложение 1), ``u_s`` a school
effect (sd 0.18) and the group effect +0.3 for углублённая, −1.0 for ОВЗ, 0
otherwise. Results do not depend on the null factors, and depend on ``w``
only through the effect factors. A test's latent result is ``θ + τ_sy + ε`` with a school-year
teaching effect ``τ_sy`` (sd 0.08), a school-subject effect and pupil noise
``ε`` (sd 0.5); a primary score is ``clip(round(max · (m + s·latent)), 0,
max)`` with ``(m, s)`` per test, calibrated so that the region's marks look
like published statistics (ВПР mathematics grade 4: about 7 % «2» and a
quarter «5»; ОГЭ Russian: about 4 % «2»); an ЕГЭ test score is built the
same way on 0–100 (means near 68 in Russian and 55 in profile mathematics).
Pupils keep their id from grade 1 to grade 11 within their school (no moves,
no repeaters), so cohorts can be followed; better pupils are more likely to
stay for grades 10–11.

*Marks.* ВПР marks use the official 2021 score-to-mark scales for every year
(:data:`VPR_SCALE`); ОГЭ marks use :data:`OGE_SCALE`; КДР levels use
:data:`KDR_SCALE` and map to marks 2–5; ЕГЭ has no mark, only the minimum
scores of :data:`EGE_MINIMUM`. The journal mark (ВПР only) reflects the
pupil's ability, partly relative to the school, and is more lenient than the
ВПР mark.

Planted facts
-------------
Recorded in :class:`Truth`.

* **Inflating schools** (ordinary group, well-being between the 30th and 70th
  percentile): in ВПР grade 4 (+1.8 sd) and grade 5 (+0.9 sd) the scores are
  pushed up and weak pupils are «helped» most, so the reported score falls with
  the pupil's real ability: the within-school Spearman correlation of journal
  mark and ВПР score is negative, the school's mean is clearly above the
  region, and a cohort's grade-4 result in year Y is sharply higher than its
  grade-5 result in Y + 1. Their ОГЭ, ЕГЭ and КДР are honest. In honest schools
  journal marks agree with the scores (positive rank correlation).
* **Stably low schools** (mostly ordinary, at least one from another group of
  five or more schools if there is one; none inflating or resilient): a teaching effect of at
  least −1 sd puts their results at least 0.6 sd below the 10th percentile of
  their group's abilities, in every assessment, in every year except, for about
  half of them, one of the last three, where the effect is a quarter as large
  (:attr:`Truth.low_years` lists the low years: always at least two of the
  last three). Schools in a very unfavourable context can be low as well
  without being planted: their low results are explained by the context
  (:attr:`Truth.schools` has each school's ``expected`` ability).
* **Resilient schools** (ordinary or small rural, a clearly unfavourable
  context: the contribution of the effect factors in the bottom 15 % of the
  region): ability 1.2 sd above what their context predicts.

Sizes
-----
By default a region has 2 municipalities of 22 schools (44 schools, all four
groups) and four years; ``pupils_scale`` scales every class size.

Modules
-------
:mod:`~edu_quality.synthetic.constants`
    Subjects, school groups, score-to-mark scales, the social and 500+ risk
    factors, the table names.
:mod:`~edu_quality.synthetic.places`
    Invented names of districts, towns, villages and deepened-study schools.
:mod:`~edu_quality.synthetic.schools`
    The schools of each municipality and their social context.
:mod:`~edu_quality.synthetic.pupils`
    Class sizes, the pupils' abilities and their ids.
:mod:`~edu_quality.synthetic.results`
    ВПР, ОГЭ, ЕГЭ and КДР results with the planted inflation.
:mod:`~edu_quality.synthetic.school_tables`
    Enrolment, staff and 500+ risk profiles.
:mod:`~edu_quality.synthetic.indicators`
    The programme indicators, computed from the other tables.
:mod:`~edu_quality.synthetic.plan`
    The plan of measures.
:mod:`~edu_quality.synthetic.region`
    The :class:`Region` and its :class:`Truth`.
:mod:`~edu_quality.synthetic.make`
    :func:`make_region`: the random streams, the planted schools, the order of
    the stages.
:mod:`~edu_quality.synthetic.write`
    :func:`write_region` and :func:`scales_table`.
:mod:`~edu_quality.synthetic.cli`
    :func:`main`, the command ``python -m edu_quality.synthetic``.
:mod:`~edu_quality.synthetic.common`
    Numerical helpers shared by the stages.
"""

from __future__ import annotations

from .cli import main
from .constants import (
    DEEPENED as DEEPENED,
)
from .constants import (
    EGE_MINIMUM,
    FACTOR_EFFECTS,
    KDR_LEVELS,
    KDR_SCALE,
    NULL_FACTORS,
    OGE_SCALE,
    RISK_FACTORS,
    TABLE_NAMES,
    VPR_SCALE,
)
from .constants import GROUP_NAMES as GROUP_NAMES
from .constants import MATH as MATH
from .constants import MATH_PROFILE as MATH_PROFILE
from .constants import ORDINARY as ORDINARY
from .constants import READING as READING
from .constants import RUSSIAN as RUSSIAN
from .constants import SMALL_RURAL as SMALL_RURAL
from .constants import SPECIAL as SPECIAL
from .make import make_region
from .region import Region, Truth
from .write import scales_table, write_region

__all__ = [
    "EGE_MINIMUM",
    "FACTOR_EFFECTS",
    "KDR_LEVELS",
    "KDR_SCALE",
    "NULL_FACTORS",
    "OGE_SCALE",
    "RISK_FACTORS",
    "TABLE_NAMES",
    "VPR_SCALE",
    "Region",
    "Truth",
    "main",
    "make_region",
    "scales_table",
    "write_region",
]

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
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

if TYPE_CHECKING:
    from .dataset import Dataset

from ._checks import option_error
from ._russian import plural

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

MATH = "Математика"
RUSSIAN = "Русский язык"
MATH_PROFILE = "Математика (профиль)"
READING = "Читательская грамотность"

#: Official ВПР 2021 score-to-mark scales (ФИОКО): (subject, grade) → (maximum
#: primary score, lowest score for «3», for «4», for «5»). Used for every year.
VPR_SCALE: dict[tuple[str, int], tuple[int, int, int, int]] = {
    (MATH, 4): (20, 6, 10, 15),
    (MATH, 5): (20, 7, 11, 15),
    (MATH, 6): (16, 6, 10, 14),
    (MATH, 7): (19, 7, 12, 16),
    (MATH, 8): (25, 8, 15, 21),
    (RUSSIAN, 4): (38, 14, 24, 33),
    (RUSSIAN, 5): (45, 18, 29, 39),
    (RUSSIAN, 6): (51, 25, 35, 45),
    (RUSSIAN, 7): (47, 22, 32, 42),
    (RUSSIAN, 8): (51, 26, 32, 45),
}

#: ОГЭ (grade 9) score-to-mark thresholds of this generator: subject →
#: (maximum primary score, lowest score for «3», «4», «5»). Modelled on the
#: ФИПИ recommendations of 2022–2023 without their extra conditions (points
#: for geometry, for literacy).
OGE_SCALE: dict[str, tuple[int, int, int, int]] = {
    MATH: (31, 8, 15, 22),
    RUSSIAN: (33, 15, 23, 29),
}

#: ЕГЭ minimum test scores (Рособрнадзор): a score below it is «ниже минимума».
EGE_MINIMUM: dict[str, int] = {RUSSIAN: 24, MATH_PROFILE: 27}

#: КДР levels, from the lowest.
KDR_LEVELS: tuple[str, ...] = ("недостаточный", "пониженный", "базовый", "повышенный")

#: КДР «Читательская грамотность» of this generator: grade → (maximum primary
#: score, lowest score of «пониженный», «базовый», «повышенный»). The levels
#: map to marks 2, 3, 4, 5.
KDR_SCALE: dict[int, tuple[int, int, int, int]] = {4: (20, 6, 10, 17), 6: (24, 7, 12, 20)}

#: True effects of the Nazarovo seed's Приложение 1 factors: change of the
#: school's mean pupil ability (in pupil standard deviations) when the share
#: goes from 0 to 1, other factors fixed. Signs as in the seed.
FACTOR_EFFECTS: dict[str, float] = {
    "large_family": -0.8,
    "non_native_russian": -1.2,
    "one_parent_higher_ed": 0.8,
    "both_parents_higher_ed": 1.0,
    "both_parents_unemployed": -3.0,
    "disabled_parent": -3.5,
    "foster_care": -4.0,
    "sop_family": -5.0,
    "kdn_registered": -6.0,
}

#: Factors of the Nazarovo seed's Приложение 2: no effect on results.
NULL_FACTORS: tuple[str, ...] = (
    "single_parent",
    "low_income",
    "one_parent_unemployed",
    "school_bus",
    "internal_registered",
)

# factor → (logit intercept a, loading on well-being b, own school sd c)
_FACTOR_LOGIT: dict[str, tuple[float, float, float]] = {
    "large_family": (-1.4, -0.45, 0.6),
    "non_native_russian": (-2.8, -0.4, 0.9),
    "one_parent_higher_ed": (-0.85, 0.4, 0.55),
    "both_parents_higher_ed": (-2.0, 0.55, 0.6),
    "both_parents_unemployed": (-3.3, -0.45, 0.7),
    "disabled_parent": (-3.5, -0.3, 0.7),
    "foster_care": (-3.9, -0.3, 0.7),
    "sop_family": (-4.1, -0.45, 0.7),
    "kdn_registered": (-4.3, -0.4, 0.7),
    "single_parent": (-1.25, 0.0, 0.35),
    "low_income": (-1.4, 0.0, 0.5),
    "one_parent_unemployed": (-2.2, 0.0, 0.45),
    "school_bus": (-3.2, 0.0, 0.8),  # +2.6 in villages
    "internal_registered": (-3.5, 0.0, 0.5),
}

#: 500+ risk factors of the Inta seed: (name, maximum questionnaire score,
#: significance «низкая» if score ≥ this, «высокая» if score ≤ this; otherwise
#: «средняя»). A lower score means a higher risk. The cut-offs are this
#: generator's, chosen to agree with the three Inta profiles.
RISK_FACTORS: tuple[tuple[str, int, int, int], ...] = (
    ("Недостаточная сформированность управленческих механизмов", 48, 36, 24),
    ("Низкий уровень оснащения школы", 30, 23, 14),
    (
        "Недостаточная предметная и методическая компетентность педагогических работников",
        50,
        40,
        24,
    ),
    ("Пониженный уровень качества школьной образовательной и воспитательной среды", 54, 40, 27),
    ("Высокая доля обучающихся с рисками учебной неуспешности", 16, 12, 6),
    ("Низкий уровень вовлеченности родителей", 50, 36, 24),
)

#: Tables of a region, in the order they are written; file ``<name>.csv``.
TABLE_NAMES: tuple[str, ...] = (
    "schools",
    "results_vpr",
    "results_oge",
    "results_ege",
    "results_kdr",
    "context",
    "staff",
    "enrolment",
    "risk_profiles",
    "indicators",
    "plan",
)

ORDINARY = "обычная"
DEEPENED = "углублённая"
SMALL_RURAL = "малокомплектная сельская"
SPECIAL = "ОВЗ"
GROUP_NAMES: tuple[str, ...] = (ORDINARY, DEEPENED, SMALL_RURAL, SPECIAL)

# Direct effect of the group on mean ability (pupil sd) and its shift of well-being.
_GROUP_EFFECT = np.array([0.0, 0.3, 0.0, -1.0])
_GROUP_WELLBEING = np.array([0.0, 0.7, -0.5, -0.6])
# Class size per grade (before pupils_scale): lognormal median, sd of log, clip.
_CLASS_SIZE = {
    (ORDINARY, "город"): (18.0, 0.4, 15, 60),
    (ORDINARY, "село"): (15.0, 0.1, 15, 20),
    (DEEPENED, "город"): (26.0, 0.4, 15, 60),
    (SMALL_RURAL, "село"): (7.0, 0.35, 3, 10),
    (SPECIAL, "город"): (7.0, 0.3, 3, 12),
}

# Score of a test = clip(round(max · (m + s · latent)), 0, max); (m, s) per test,
# calibrated so that a region's marks look like published ВПР, ОГЭ and КДР
# statistics (e.g. ВПР 2021 in Russia: mathematics grade 4 «2» ≈ 4 %, «5» ≈ 28 %).
_VPR_MAP = {
    (MATH, 4): (0.56, 0.15),
    (MATH, 5): (0.53, 0.15),
    (MATH, 6): (0.53, 0.15),
    (MATH, 7): (0.53, 0.13),
    (MATH, 8): (0.47, 0.14),
    (RUSSIAN, 4): (0.66, 0.14),
    (RUSSIAN, 5): (0.61, 0.16),
    (RUSSIAN, 6): (0.63, 0.13),
    (RUSSIAN, 7): (0.63, 0.14),
    (RUSSIAN, 8): (0.62, 0.12),
}
_OGE_MAP = {MATH: (0.44, 0.13), RUSSIAN: (0.73, 0.13)}
_KDR_MAP = {4: (0.58, 0.18), 6: (0.54, 0.15)}
# ЕГЭ test score = clip(round(mean + sd · (latent − centre)), 0, 100); the centre is
# about the mean latent of the takers (better pupils stay for grades 10–11 and
# choose profile mathematics), so the region's means are near 68 and 55.
_EGE_SCORE = {RUSSIAN: (68.0, 13.0, 0.75), MATH_PROFILE: (55.0, 16.0, 1.05)}
_TEST_NOISE = 0.5  # pupil-test noise (pupil sd)
_JOURNAL_CUTS = (-2.1, -0.2, 1.05)  # journal latent → marks 3, 4, 5
_INFLATION = {4: 1.8, 5: 0.9}  # latent push of an inflating school's ВПР
_INFLATION_SLOPE = -0.6  # reported result against real ability within the school
_RESILIENT_BOOST = 1.2  # sd of pupil ability above what the context predicts
_SCHOOL_SD = 0.18  # sd of the school effect u_s
_ABSENT = 0.04  # share of pupils absent from a ВПР or КДР

_DISTRICTS = (
    "Северный район",
    "Озёрный район",
    "Берёзовский район",
    "Кедровый район",
    "Южный район",
    "Степной район",
    "Лесной район",
    "Приречный район",
    "Таёжный район",
    "Восточный район",
    "Западный район",
    "Сосновский район",
    "Каменский район",
    "Ключевской район",
    "Луговой район",
    "Горный район",
    "Полевой район",
    "Боровской район",
    "Светлый район",
    "Рябиновый район",
    "Ольховский район",
    "Кленовый район",
    "Ивановский район",
    "Покровский район",
    "Никольский район",
    "Троицкий район",
)
_TOWNS = (
    "г. Заречный",
    "г. Светлогорск",
    "г. Приозёрск",
    "г. Новоборск",
    "г. Каменогорск",
    "г. Лесогорск",
    "г. Верхнеречинск",
    "г. Кедровск",
    "г. Звёздный",
    "г. Солнечногорск",
    "г. Белогорск",
    "г. Красноборск",
    "г. Сосногорск",
)
_VILLAGES = (
    "Берёзовская",
    "Сосновская",
    "Ключевская",
    "Каменская",
    "Покровская",
    "Никольская",
    "Михайловская",
    "Александровская",
    "Ивановская",
    "Петровская",
    "Знаменская",
    "Успенская",
    "Троицкая",
    "Вознесенская",
    "Кедровская",
    "Ольховская",
    "Липовская",
    "Дубровская",
    "Малиновская",
    "Рябиновская",
    "Калиновская",
    "Луговская",
    "Полевская",
    "Боровская",
    "Ярская",
    "Сокольская",
    "Журавлёвская",
    "Лебяжинская",
    "Озерская",
    "Гремячинская",
    "Краснополянская",
    "Белоярская",
    "Шалинская",
    "Подгорновская",
    "Новосёловская",
    "Устюжская",
    "Верхнеключевская",
    "Нижнеингашская",
    "Тальская",
    "Глядинская",
)
_DEEPENED_NAMES = (
    "МБОУ «Гимназия № {n}»",
    "МАОУ «Лицей № {n}»",
    "МБОУ «СОШ № {n} с углублённым изучением отдельных предметов»",
    "МБОУ «Кадетская школа № {n}»",
)


@dataclass(frozen=True, eq=False)
class Truth:
    """What was planted in a synthetic region.

    Attributes
    ----------
    seed : int
        The seed the region was made from.
    inflating : tuple of str
        Ids of schools that inflate ВПР grades 4 and 5.
    stably_low : tuple of str
        Ids of stably low schools.
    low_years : dict
        For each stably low school, the years in which its results were low.
    resilient : tuple of str
        Ids of resilient schools.
    factor_effects : dict
        True coefficient of each effect factor (:data:`FACTOR_EFFECTS`).
    null_factors : tuple of str
        Factors without an effect (:data:`NULL_FACTORS`).
    schools : pandas.DataFrame
        One row per school: ``school_id``; ``wellbeing`` (latent social
        well-being, higher = more favourable); ``expected`` (mean ability
        predicted by the group and the context); ``ability`` (the school's true
        mean ability, ``expected`` plus the school effect); ``teaching`` (mean
        school-year teaching effect over the years).
    programme : tuple of str
        Ids of the schools of a planted improvement programme (empty by default).
    programme_start : int or None
        The first school year of the programme.
    programme_effect : float
        The planted effect on the programme schools' results from
        ``programme_start`` on, in pupil standard deviations of ability.
    """

    seed: int
    inflating: tuple[str, ...]
    stably_low: tuple[str, ...]
    low_years: dict[str, tuple[int, ...]]
    resilient: tuple[str, ...]
    factor_effects: dict[str, float]
    null_factors: tuple[str, ...]
    schools: pd.DataFrame = field(repr=False)
    programme: tuple[str, ...] = ()
    programme_start: int | None = None
    programme_effect: float = 0.0


@dataclass(frozen=True, eq=False)
class Region:
    """A synthetic region: one DataFrame per table and the planted facts.

    Attributes
    ----------
    schools, results_vpr, results_oge, results_ege, results_kdr : pandas.DataFrame
        Tables of the data model (columns in :func:`make_region`).
    context, staff, enrolment, risk_profiles, indicators, plan : pandas.DataFrame
        Tables of the data model (columns in :func:`make_region`).
    truth : Truth
        What was planted.
    tables : dict
        Every table by name, in the order of :data:`TABLE_NAMES`.
    results : pandas.DataFrame
        The four result tables in one.
    """

    schools: pd.DataFrame
    results_vpr: pd.DataFrame
    results_oge: pd.DataFrame
    results_ege: pd.DataFrame
    results_kdr: pd.DataFrame
    context: pd.DataFrame
    staff: pd.DataFrame
    enrolment: pd.DataFrame
    risk_profiles: pd.DataFrame
    indicators: pd.DataFrame
    plan: pd.DataFrame
    truth: Truth = field(repr=False)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in the order of :data:`TABLE_NAMES`."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @property
    def results(self) -> pd.DataFrame:
        """The four pupil-level result tables in one."""
        return pd.concat(
            [self.results_vpr, self.results_oge, self.results_ege, self.results_kdr],
            ignore_index=True,
        )

    def dataset(self) -> Dataset:
        """The region as a :class:`~edu_quality.dataset.Dataset`, without writing files.

        Its ``folder`` names no real folder («синтетический регион»): nothing is read
        from it.
        """
        from .dataset import Dataset, empty_table
        from .schema import RESULTS_AGGREGATED

        return Dataset(
            schools=self.schools,
            results=self.results,
            aggregates=empty_table(RESULTS_AGGREGATED),
            context=self.context,
            staff=self.staff,
            enrolment=self.enrolment,
            risk_profiles=self.risk_profiles,
            indicators=self.indicators,
            plan=self.plan,
            folder=Path("синтетический регион"),
        )

    def __repr__(self) -> str:  # noqa: D105
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.tables.items())
        return f"Region({sizes})"


# --------------------------------------------------------------------------- helpers


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _marks(score: np.ndarray, m3: int, m4: int, m5: int) -> np.ndarray:
    return 2 + (score >= m3).astype(np.int8) + (score >= m4) + (score >= m5)


def _nullable_int(values: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    values = values.astype(np.int64)
    if missing is None:
        missing = np.zeros(len(values), dtype=bool)
    return pd.arrays.IntegerArray(values, missing)


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int, what: str) -> np.ndarray:
    if len(candidates) < k:
        raise ValueError(
            f"Регион слишком мал: нужно {k} {plural(k, 'школа', 'школы', 'школ')} для «{what}», подходящих {len(candidates)}; "
            "увеличьте `n_municipalities` или `schools_per_municipality`"
        )
    return np.sort(rng.choice(candidates, size=k, replace=False))


# --------------------------------------------------------------------------- schools


def _make_schools(n_mun: int, per_mun: int, rng: np.random.Generator) -> pd.DataFrame:
    width = max(3, len(str(per_mun)))
    mwidth = max(2, len(str(n_mun)))
    rows: list[tuple[str, str, str, str, str, bool]] = []
    n_district = n_town = 0
    for m in range(n_mun):
        is_town = m % 3 == 1
        if is_town:
            mun = _TOWNS[n_town] if n_town < len(_TOWNS) else f"г. Город-{n_town + 1}"
            n_town += 1
            shares = {SPECIAL: 0.05, DEEPENED: 0.18, SMALL_RURAL: 0.0}
        else:
            mun = (
                _DISTRICTS[n_district]
                if n_district < len(_DISTRICTS)
                else f"Муниципальный район № {n_district + 1}"
            )
            n_district += 1
            shares = {SPECIAL: 0.05, DEEPENED: 0.06, SMALL_RURAL: 0.32}
        counts = {g: max(1, round(s * per_mun)) if s else 0 for g, s in shares.items()}
        counts[ORDINARY] = per_mun - sum(counts.values())
        if counts[ORDINARY] < 1:
            raise ValueError(
                f"`schools_per_municipality` должно быть не меньше 8, передано {per_mun}"
            )
        groups = np.array(
            [ORDINARY] * counts[ORDINARY]
            + [DEEPENED] * counts[DEEPENED]
            + [SMALL_RURAL] * counts[SMALL_RURAL]
            + [SPECIAL] * counts[SPECIAL]
        )
        groups = groups[rng.permutation(per_mun)]
        # the first ordinary schools of a district are in its centre (a town)
        n_centre = max(1, round(0.3 * counts[ORDINARY]))
        villages = list(rng.permutation(len(_VILLAGES)))
        number = 0
        seen_ordinary = 0
        n_special = 0
        for i, group in enumerate(groups):
            sid = f"{m + 1:0{mwidth}d}{i + 1:0{width}d}"
            has_soo = True
            if group == ORDINARY:
                seen_ordinary += 1
                town = is_town or seen_ordinary <= n_centre
            else:
                town = group in (DEEPENED, SPECIAL)
            if group in (ORDINARY, DEEPENED) and town:
                number += 1
            if group == ORDINARY and town:
                name = f"МБОУ «СОШ № {number}»"
            elif group == ORDINARY:
                name = f"МБОУ «{_village(villages)} СОШ»"
            elif group == DEEPENED:
                name = _DEEPENED_NAMES[int(rng.integers(len(_DEEPENED_NAMES)))].format(n=number)
            elif group == SMALL_RURAL:
                has_soo = bool(rng.random() < 0.4)
                name = f"МКОУ «{_village(villages)} {'СОШ' if has_soo else 'ООШ'}»"
            else:
                n_special += 1
                has_soo = False
                num = "" if counts[SPECIAL] == 1 else f" № {n_special}"
                name = f"ГКОУ «Школа-интернат{num} для обучающихся с ОВЗ»"
            rows.append((sid, name, mun, str(group), "город" if town else "село", has_soo))
    df = pd.DataFrame(
        rows, columns=["school_id", "name", "municipality", "group", "locality", "has_soo"]
    )
    return df


def _village(stock: list[int]) -> str:
    """Next village name of a municipality; numbered once the list is used up."""
    k = stock.pop(0)
    stock.append(k + len(_VILLAGES))
    base = _VILLAGES[k % len(_VILLAGES)]
    return base if k < len(_VILLAGES) else f"{base} № {k // len(_VILLAGES) + 1}"


# --------------------------------------------------------------------------- context


def _make_context(
    schools: pd.DataFrame, years: list[int], rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray], pd.DataFrame]:
    n = len(schools)
    group = schools["group"].map({g: i for i, g in enumerate(GROUP_NAMES)}).to_numpy()
    town = (schools["locality"] == "город").to_numpy()
    mun_codes = pd.factorize(schools["municipality"])[0]
    mun_effect = rng.normal(0, 0.3, mun_codes.max() + 1)[mun_codes]
    # truncated normals keep the tails of the shares (and of the results) plausible
    w = np.clip(rng.normal(0, 1, n), -2.2, 2.2) + _GROUP_WELLBEING[group] + 0.2 * town + mun_effect
    fixed: dict[str, np.ndarray] = {}
    logits: dict[str, np.ndarray] = {}
    for f, (a, b, c) in _FACTOR_LOGIT.items():
        z = a + b * w + c * np.clip(rng.normal(0, 1, n), -2.2, 2.2)
        if f == "school_bus":
            z = z + 2.6 * ~town
        logits[f] = z
        fixed[f] = _expit(z)
    cols: dict[str, object] = {
        "school_id": np.repeat(schools["school_id"].to_numpy(), len(years)),
        "year": np.tile(np.asarray(years, dtype=np.int64), n),
    }
    for f, z in logits.items():
        zy = np.repeat(z, len(years)) + rng.normal(0, 0.12, n * len(years))
        cols[f] = np.round(_expit(zy), 4)
    context = pd.DataFrame(cols)
    context["school_id"] = context["school_id"].astype("str")
    return w, fixed, context


# --------------------------------------------------------------------------- pupils


@dataclass
class _Pupils:
    school: np.ndarray  # school index
    cohort: np.ndarray  # calendar year of the end of grade 1
    ability: np.ndarray
    stays: np.ndarray  # continues to grades 10–11
    journal: np.ndarray  # latent of the journal marks
    ids: pa.Array
    starts: dict[int, tuple[int, int]]  # cohort → slice of the arrays

    def cohort_slice(self, cohort: int) -> slice:
        lo, hi = self.starts.get(cohort, (0, 0))
        return slice(lo, hi)


def _class_sizes(
    schools: pd.DataFrame, cohorts: np.ndarray, scale: float, rng: np.random.Generator
) -> np.ndarray:
    n = len(schools)
    median = np.empty(n)
    sd = np.empty(n)
    lo = np.empty(n)
    hi = np.empty(n)
    keys = list(zip(schools["group"], schools["locality"], strict=True))
    for key, (med, s, a, b) in _CLASS_SIZE.items():
        mask = np.array([k == key for k in keys])
        median[mask], sd[mask], lo[mask], hi[mask] = med, s, a, b
    base = np.clip(median * np.exp(rng.normal(0, 1, n) * sd), lo, hi)
    decline = 0.985 ** (cohorts - cohorts.min())  # younger cohorts are slightly smaller
    noise = np.exp(rng.normal(0, 0.12, (n, len(cohorts))))
    sizes = base[:, None] * decline[None, :] * noise
    sizes = np.clip(sizes, lo[:, None], hi[:, None])
    return np.maximum(1, np.rint(sizes * scale)).astype(np.int64)


def _make_pupils(
    schools: pd.DataFrame,
    cohorts: np.ndarray,
    sizes: np.ndarray,
    mean_ability: np.ndarray,
    rng: np.random.Generator,
) -> _Pupils:
    n = len(schools)
    counts = sizes.T.ravel()  # cohort-major, then school
    total = int(counts.sum())
    school = np.repeat(np.tile(np.arange(n), len(cohorts)), counts)
    cohort = np.repeat(np.repeat(cohorts, n), counts)
    offsets = np.cumsum(counts) - counts
    within = np.arange(total) - np.repeat(offsets, counts) + 1
    cohort_shock = rng.normal(0, 0.12, (n, len(cohorts)))
    ci = cohort - cohorts.min()
    dev = rng.normal(0, 1, total)
    ability = mean_ability[school] + cohort_shock[school, ci] + dev
    has_soo = schools["has_soo"].to_numpy()
    deepened = (schools["group"] == DEEPENED).to_numpy()
    stay_logit = 0.9 * deepened[school] + 1.3 * dev + rng.normal(0, 0.8, total) - 0.1
    stays = has_soo[school] & (stay_logit > 0)
    # journal marks: the pupil's standing, partly relative to the school
    journal = 0.45 * mean_ability[school] + dev + rng.normal(0, 0.2, total)

    width = max(3, len(str(int(sizes.max()))))
    sid = pa.array(schools["school_id"].astype(str).to_list(), type=pa.large_string())
    code = pa.array([f"{c % 100:02d}" for c in cohorts], type=pa.large_string())
    num = pa.array([f"{k:0{width}d}" for k in range(int(sizes.max()) + 1)], type=pa.large_string())
    ids = pc.binary_join_element_wise(
        pa.scalar("P", pa.large_string()),
        sid.take(pa.array(school)),
        code.take(pa.array(ci)),
        num.take(pa.array(within)),
        pa.scalar("", pa.large_string()),
    )
    ends = np.cumsum(sizes.sum(axis=0))
    starts = {
        int(c): (int(e - sizes[:, i].sum()), int(e))
        for i, (c, e) in enumerate(zip(cohorts, ends, strict=True))
    }
    return _Pupils(school, cohort, ability, stays, journal, ids, starts)


# --------------------------------------------------------------------------- results


class _Rows:
    """Collects result chunks and builds the DataFrame once."""

    def __init__(self, pupils: _Pupils, school_ids: pa.Array) -> None:
        self.pupils = pupils
        self.school_ids = school_ids
        self.chunks: list[dict[str, np.ndarray | int | str]] = []

    def add(
        self,
        year: int,
        assessment: str,
        subject: str,
        grade: int,
        idx: np.ndarray,
        score: np.ndarray,
        mark: np.ndarray | None,
        *,
        journal: np.ndarray | None = None,
        level: np.ndarray | None = None,
        admitted: np.ndarray | None = None,
    ) -> None:
        self.chunks.append(
            dict(
                year=year,
                assessment=assessment,
                subject=subject,
                grade=grade,
                idx=idx,
                score=score,
                mark=mark,
                journal=journal,
                level=level,
                admitted=admitted,
            )
        )

    def frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Build the DataFrame of the rows; return it with the school index of each row."""
        lengths = [len(c["idx"]) for c in self.chunks]
        n = int(sum(lengths))

        def const(key: str) -> np.ndarray:
            return np.repeat([c[key] for c in self.chunks], lengths)

        def cat(key: str, fill: float, dtype: type) -> np.ndarray:
            return (
                np.concatenate(
                    [
                        np.full(len(c["idx"]), fill, dtype=dtype)
                        if c[key] is None
                        else np.asarray(c[key], dtype=dtype)
                        for c in self.chunks
                    ]
                )
                if self.chunks
                else np.empty(0, dtype=dtype)
            )

        idx = cat("idx", 0, np.int64)
        labels = [(c["assessment"], c["subject"]) for c in self.chunks]
        uniq = sorted(set(labels))
        codes = np.repeat([uniq.index(lab) for lab in labels], lengths).astype(np.int32)
        assessment = pa.array([u[0] for u in uniq], pa.large_string()).take(pa.array(codes))
        subject = pa.array([u[1] for u in uniq], pa.large_string()).take(pa.array(codes))
        level_code = cat("level", -1, np.int64)
        levels = pa.array(list(KDR_LEVELS), pa.large_string()).take(
            pa.array(level_code, mask=level_code < 0)
        )
        strings = pa.table(
            {
                "assessment": assessment,
                "subject": subject,
                "school_id": self.school_ids.take(pa.array(self.pupils.school[idx])),
                "pupil_id": self.pupils.ids.take(pa.array(idx)),
                "level": levels,
            }
        ).to_pandas()
        score = cat("score", np.nan, np.float64)
        mark = cat("mark", 0, np.int64)
        journal = cat("journal", 0, np.int64)
        admitted = cat("admitted", 1, bool)
        df = pd.DataFrame(
            {
                "year": const("year").astype(np.int64) if n else np.empty(0, np.int64),
                "assessment": strings["assessment"],
                "subject": strings["subject"],
                "grade": const("grade").astype(np.int64) if n else np.empty(0, np.int64),
                "school_id": strings["school_id"],
                "pupil_id": strings["pupil_id"],
                "score": score,
                "mark": _nullable_int(mark, mark == 0),
                "journal_mark": _nullable_int(journal, journal == 0),
                "level": strings["level"],
                "admitted": admitted,
            }
        )
        return df, self.pupils.school[idx]


def _scores(latent: np.ndarray, mapping: tuple[float, float], top: int) -> np.ndarray:
    m, s = mapping
    return np.clip(np.rint(top * (m + s * latent)), 0, top)


def _make_results(
    pupils: _Pupils,
    school_ids: pa.Array,
    years: list[int],
    teaching: np.ndarray,
    mean_ability: np.ndarray,
    inflating: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    subject_effect = {s: rng.normal(0, 0.1, len(mean_ability)) for s in (MATH, RUSSIAN)}
    out: dict[str, _Rows] = {k: _Rows(pupils, school_ids) for k in ("vpr", "oge", "ege", "kdr")}

    def pick(cohort: int, rate: float) -> np.ndarray:
        sl = pupils.cohort_slice(cohort)
        idx = np.arange(sl.start, sl.stop)
        return idx[rng.random(len(idx)) >= rate] if rate else idx

    def latent(idx: np.ndarray, yi: int, subject: str, shift: float) -> np.ndarray:
        s = pupils.school[idx]
        eff = subject_effect.get(subject, subject_effect[RUSSIAN])
        return (
            pupils.ability[idx]
            + teaching[s, yi]
            + eff[s]
            + shift
            + rng.normal(0, _TEST_NOISE, len(idx))
        )

    for yi, year in enumerate(years):
        # ВПР, grades 4–8
        for subject in (MATH, RUSSIAN):
            for grade in range(4, 9):
                idx = pick(year - grade + 1, _ABSENT)
                s = pupils.school[idx]
                lat = latent(idx, yi, subject, rng.normal(0, 0.08))
                if grade in _INFLATION:
                    inf = inflating[s]
                    if inf.any():
                        si = s[inf]
                        real = pupils.ability[idx[inf]] - mean_ability[si]
                        # the push starts from the region's level at worst
                        centre = np.maximum(mean_ability[si], 0.0) + teaching[si, yi]
                        lat[inf] = (
                            centre
                            + _INFLATION[grade]
                            + _INFLATION_SLOPE * real
                            + rng.normal(0, 0.45, inf.sum())
                        )
                top, m3, m4, m5 = VPR_SCALE[(subject, grade)]
                score = _scores(lat, _VPR_MAP[(subject, grade)], top)
                jl = pupils.journal[idx] + rng.normal(0, 0.25, len(idx))
                journal = 2 + sum((jl > c).astype(np.int64) for c in _JOURNAL_CUTS)
                journal[rng.random(len(idx)) < 0.015] = 0  # no journal mark
                out["vpr"].add(
                    year,
                    "ВПР",
                    subject,
                    grade,
                    idx,
                    score,
                    _marks(score, m3, m4, m5),
                    journal=journal,
                )
        # ОГЭ, grade 9: admission is common to both subjects
        idx9 = pick(year - 9 + 1, 0.0)
        not_adm = rng.random(len(idx9)) < _expit(-4.6 - 1.3 * pupils.ability[idx9])
        for subject in (MATH, RUSSIAN):
            lat = latent(idx9, yi, subject, rng.normal(0, 0.08))
            top, m3, m4, m5 = OGE_SCALE[subject]
            score = _scores(lat, _OGE_MAP[subject], top)
            mark = _marks(score, m3, m4, m5).astype(np.int64)
            score[not_adm] = np.nan
            mark[not_adm] = 0
            out["oge"].add(year, "ОГЭ", subject, 9, idx9, score, mark, admitted=~not_adm)
        # ЕГЭ, grade 11: pupils who stayed; Russian for all, profile maths by choice
        idx11 = pick(year - 11 + 1, 0.0)
        idx11 = idx11[pupils.stays[idx11]]
        not_adm = rng.random(len(idx11)) < _expit(-4.6 - 1.0 * pupils.ability[idx11])
        chooses = rng.random(len(idx11)) < _expit(-0.6 + 1.1 * pupils.ability[idx11])
        for subject, take in ((RUSSIAN, np.ones(len(idx11), bool)), (MATH_PROFILE, chooses)):
            idx = idx11[take]
            lat = latent(idx, yi, MATH if subject == MATH_PROFILE else RUSSIAN, rng.normal(0, 0.05))
            mean, sd, centre = _EGE_SCORE[subject]
            score = np.clip(np.rint(mean + sd * (lat - centre)), 0, 100)
            adm = ~not_adm[take]
            score[~adm] = np.nan
            out["ege"].add(year, "ЕГЭ", subject, 11, idx, score, None, admitted=adm)
        # КДР reading literacy: grade 4 every year, grade 6 two years after a grade 4
        for grade in (4, 6):
            if grade == 6 and year - 2 not in years:
                continue
            idx = pick(year - grade + 1, _ABSENT)
            lat = latent(idx, yi, READING, rng.normal(0, 0.08))
            top, low, base, high = KDR_SCALE[grade]
            score = _scores(lat, _KDR_MAP[grade], top)
            level = _marks(score, low, base, high).astype(np.int64) - 2
            out["kdr"].add(year, "КДР", READING, grade, idx, score, level + 2, level=level)
    return {k: v.frame() for k, v in out.items()}


# --------------------------------------------------------------------------- other tables


def _make_enrolment(schools: pd.DataFrame, pupils: _Pupils, years: list[int]) -> pd.DataFrame:
    n = len(schools)
    c0 = int(pupils.cohort.min())
    n_c = int(pupils.cohort.max()) - c0 + 1
    key = pupils.school * n_c + (pupils.cohort - c0)
    all_ = np.bincount(key, minlength=n * n_c).reshape(n, n_c)
    stay = np.bincount(key, weights=pupils.stays, minlength=n * n_c).reshape(n, n_c)
    frames = []
    for year in years:
        for level, grades in (("НОО", range(1, 5)), ("ООО", range(5, 10)), ("СОО", (10, 11))):
            src = stay if level == "СОО" else all_
            total = np.zeros(n)
            for g in grades:
                c = year - g + 1 - c0
                if 0 <= c < n_c:
                    total += src[:, c]
            frames.append(
                pd.DataFrame(
                    {
                        "school_id": schools["school_id"],
                        "year": year,
                        "level": level,
                        "pupils": total.astype(np.int64),
                        "_keep": schools["has_soo"] | (level != "СОО"),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out = out[out.pop("_keep").to_numpy()]
    order = {"НОО": 0, "ООО": 1, "СОО": 2}
    out = out.assign(_order=out["level"].map(order))
    out = out.sort_values(["school_id", "year", "_order"], kind="stable").drop(columns="_order")
    out["level"] = out["level"].astype("str")
    return out.reset_index(drop=True)


def _make_staff(
    schools: pd.DataFrame,
    enrolment: pd.DataFrame,
    quality: np.ndarray,
    years: list[int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    totals = enrolment.groupby(["school_id", "year"], sort=True)["pupils"].sum()
    n, ny = len(schools), len(years)
    pupils = (
        totals.reindex(pd.MultiIndex.from_product([schools["school_id"], years]))
        .fillna(0)
        .to_numpy()
        .reshape(n, ny)
    )
    ratio = (
        schools["group"]
        .map({ORDINARY: 13.0, DEEPENED: 14.0, SMALL_RURAL: 5.0, SPECIAL: 4.0})
        .to_numpy()
    )
    floor = (
        schools["group"].map({ORDINARY: 15, DEEPENED: 25, SMALL_RURAL: 8, SPECIAL: 10}).to_numpy()
    )
    base = pupils / ratio[:, None] * np.exp(rng.normal(0, 0.1, n))[:, None]
    teachers = np.maximum(floor[:, None], np.rint(base)).astype(np.int64)
    teachers = teachers + rng.integers(-1, 2, (n, ny))
    q = quality[:, None]
    t = np.arange(ny)[None, :]

    def persistent(count: np.ndarray, logit: np.ndarray) -> np.ndarray:
        """Return a school-level share of ``count``, rounded, with a little yearly noise."""
        share = _expit(logit + rng.normal(0, 0.4, (n, 1)))
        raw = np.rint(count * share + rng.normal(0, 0.5, (n, ny)))
        return np.clip(raw, 0, count).astype(np.int64)

    highest = persistent(teachers, -1.5 + 0.35 * q)
    first = persistent(teachers - highest, -0.4 + 0.25 * q)
    trained = rng.binomial(teachers, np.clip(0.3 + 0.06 * t, 0, 0.95) * np.ones((n, 1)))
    small = (schools["group"] == SMALL_RURAL).to_numpy()[:, None]
    part_time = persistent(teachers, np.where(small, -1.4, -2.6) * np.ones((1, ny)))
    mentoring = rng.binomial(teachers, np.clip(0.12 + 0.06 * t, 0, 0.9) * np.ones((n, 1)))
    young = persistent(teachers, -2.2 - 0.25 * q)
    data = {
        "school_id": np.repeat(schools["school_id"].to_numpy(), ny),
        "year": np.tile(np.asarray(years, dtype=np.int64), n),
        "teachers": teachers,
        "category_highest": highest,
        "category_first": first,
        "trained": trained,
        "part_time": part_time,
        "mentoring": mentoring,
        "young": young,
    }
    df = pd.DataFrame(
        {
            k: (v.ravel() if isinstance(v, np.ndarray) and v.ndim == 2 else v)
            for k, v in data.items()
        }
    )
    for col in df.columns[2:]:
        df[col] = df[col].astype(np.int64)
    df["school_id"] = df["school_id"].astype("str")
    return df


def _make_risk(
    schools: pd.DataFrame, quality: np.ndarray, years: list[int], rng: np.random.Generator
) -> pd.DataFrame:
    n, ny, nf = len(schools), len(years), len(RISK_FACTORS)
    loading = np.array([0.6, 0.3, 0.6, 0.4, 1.0, 0.4])
    school_noise = rng.normal(0, 0.5, (n, 1, nf))
    year_noise = rng.normal(0, 0.25, (n, ny, nf))
    z = 0.9 + loading * quality[:, None, None] + school_noise + year_noise
    top = np.array([f[1] for f in RISK_FACTORS])
    score = np.rint(top * _expit(z)).astype(np.int64)
    low_cut = np.array([f[2] for f in RISK_FACTORS])
    high_cut = np.array([f[3] for f in RISK_FACTORS])
    sig = np.where(score >= low_cut, "низкая", np.where(score <= high_cut, "высокая", "средняя"))
    df = pd.DataFrame(
        {
            "school_id": np.repeat(schools["school_id"].to_numpy(), ny * nf),
            "year": np.tile(np.repeat(np.asarray(years, dtype=np.int64), nf), n),
            "risk_factor": np.tile(np.array([f[0] for f in RISK_FACTORS]), n * ny),
            "score": score.ravel().astype(np.float64),
            "significance": sig.ravel(),
        }
    )
    for col in ("school_id", "risk_factor", "significance"):
        df[col] = df[col].astype("str")
    return df


_REGION = "регион"


def _school_year(
    sidx: np.ndarray, year: np.ndarray, years: list[int], n: int, mask: np.ndarray, hit: np.ndarray
) -> np.ndarray:
    """Count hits and rows among ``mask`` per school and year: shape (n, n_years, 2)."""
    yi = np.searchsorted(np.asarray(years), year)
    key = (sidx * len(years) + yi)[mask]
    size = n * len(years)
    total = np.bincount(key, minlength=size)
    hits = np.bincount(key, weights=hit[mask].astype(np.float64), minlength=size)
    return np.stack([hits, total], axis=-1).reshape(n, len(years), 2)


def _make_indicators(
    schools: pd.DataFrame,
    results: dict[str, tuple[pd.DataFrame, np.ndarray]],
    staff: pd.DataFrame,
    years: list[int],
) -> pd.DataFrame:
    n, ny = len(schools), len(years)
    mun_codes, mun_names = pd.factorize(schools["municipality"])
    scopes = [*map(str, mun_names), _REGION]

    def counts(name: str, mask_fn, hit_fn) -> np.ndarray:
        df, sidx = results[name]
        return _school_year(sidx, df["year"].to_numpy(), years, n, mask_fn(df), hit_fn(df))

    def is_(col: str, value: object):
        return lambda df: (df[col] == value).to_numpy(dtype=bool)

    def admitted_in(subject: str):
        return lambda df: (
            (df["subject"] == subject).to_numpy(dtype=bool) & df["admitted"].to_numpy()
        )

    def mark_at_most(value: int):
        return lambda df: df["mark"].le(value).to_numpy(dtype=bool, na_value=False)

    def score_below(value: int):
        return lambda df: (df["score"] < value).to_numpy()

    oge_math = counts("oge", admitted_in(MATH), mark_at_most(2))
    oge_rus = counts("oge", admitted_in(RUSSIAN), mark_at_most(2))
    ege_rus = counts("ege", admitted_in(RUSSIAN), score_below(EGE_MINIMUM[RUSSIAN]))
    ege_math = counts("ege", admitted_in(MATH_PROFILE), score_below(EGE_MINIMUM[MATH_PROFILE]))
    kdr4 = counts("kdr", is_("grade", 4), mark_at_most(3))
    vpr = counts("vpr", lambda df: np.ones(len(df), bool), mark_at_most(2))
    # «positive dynamics»: a simple stand-in for the significance-based verdict of
    # the dynamics module: the school's «2»-share in ВПР fell by at least 3 p. p.
    with np.errstate(invalid="ignore", divide="ignore"):
        fail = vpr[..., 0] / vpr[..., 1]
    improved = np.zeros((n, ny, 2))
    diff = fail[:, 1:] - fail[:, :-1]
    improved[:, 1:, 0] = diff <= -0.03
    improved[:, 1:, 1] = ~np.isnan(diff)
    improved[:, 0, 1] = 0

    st = staff.set_index(["school_id", "year"]).reindex(
        pd.MultiIndex.from_product([schools["school_id"], years])
    )
    teachers = st["teachers"].to_numpy(dtype=float).reshape(n, ny)
    mentoring = np.stack([st["mentoring"].to_numpy(float).reshape(n, ny), teachers], -1)
    trained = np.stack([st["trained"].to_numpy(float).reshape(n, ny), teachers], -1)

    def by_scope(c: np.ndarray) -> np.ndarray:
        """(n, ny, k) → (n_scopes, ny, k) sums per municipality and for the region."""
        out = np.zeros((len(scopes), ny, c.shape[-1]))
        np.add.at(out, mun_codes, c)
        out[-1] = c.sum(axis=0)
        return out

    def percent(c: np.ndarray) -> np.ndarray:
        s = by_scope(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.round(100 * s[..., 0] / np.where(s[..., 1] > 0, s[..., 1], np.nan), 1)

    specs = [
        (
            "Доля обучающихся с отметкой «2» по ОГЭ (математика)",
            "≤",
            "%",
            6.0,
            -0.5,
            percent(oge_math),
        ),
        (
            "Доля обучающихся с отметкой «2» по ОГЭ (русский язык)",
            "≤",
            "%",
            3.0,
            -0.25,
            percent(oge_rus),
        ),
        (
            "Доля участников ЕГЭ с баллом ниже минимального (русский язык)",
            "≤",
            "%",
            2.0,
            -0.25,
            percent(ege_rus),
        ),
        (
            "Доля участников ЕГЭ с баллом ниже минимального (математика профильная)",
            "≤",
            "%",
            8.0,
            -0.5,
            percent(ege_math),
        ),
        (
            "Доля обучающихся 4 классов с уровнем читательской грамотности ниже базового (КДР)",
            "≤",
            "%",
            30.0,
            -1.5,
            percent(kdr4),
        ),
        ("Доля педагогов, участвующих в наставничестве", "≥", "%", 20.0, 3.0, percent(mentoring)),
        ("Доля педагогов, прошедших повышение квалификации", "≥", "%", 35.0, 5.0, percent(trained)),
        (
            "Численность педагогов, прошедших повышение квалификации",
            "≥",
            "чел.",
            None,
            None,
            by_scope(trained)[..., 0],
        ),
        ("Доля школ с положительной динамикой результатов", "≥", "%", 11.0, 3.0, percent(improved)),
    ]
    first_teachers = by_scope(teachers[..., None])[:, 0, 0]
    all_years = np.asarray([*years, years[-1] + 1], dtype=np.int64)
    ns, nt = len(scopes), len(all_years)
    step_index = np.arange(nt)
    parts = []
    for name, direction, unit, start, step, actual in specs:
        if start is None:  # a count: 35 % of the first year's teachers, rising 5 p. p. a year
            target = np.round(first_teachers[:, None] * (0.35 + 0.05 * step_index[None, :]))
        else:
            target = np.broadcast_to(np.round(start + step * step_index, 2), (ns, nt))
        parts.append(
            pd.DataFrame(
                {
                    "indicator": name,
                    "scope": np.repeat(scopes, nt),
                    "year": np.tile(all_years, ns),
                    "target": target.astype(float).ravel(),
                    "actual": np.concatenate([actual, np.full((ns, 1), np.nan)], axis=1).ravel(),
                    "direction": direction,
                    "unit": unit,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out = out[~(out["actual"].isna() & (out["year"] <= years[-1]))]  # e.g. dynamics in year 1
    for col in ("indicator", "scope", "direction", "unit"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)


def _make_plan(year: int) -> pd.DataFrame:
    y, y1 = year, year + 1
    rows = [
        (
            "1",
            "Выявить школы с низкими образовательными результатами",
            "Анализ результатов ВПР, ОГЭ и КДР за три года с учётом социального контекста, "
            "формирование списка ШНОР",
            f"до 30.09.{y}",
            "Отдел общего образования МОУО",
            "Утверждён список ШНОР с обоснованием по каждой школе",
            "выполнено",
        ),
        (
            "1",
            "Разработать программы перехода школ в эффективный режим работы",
            "Разработка и утверждение программ ШНОР с учётом рисковых профилей",
            f"до 31.10.{y}",
            "Руководители ШНОР",
            "Программы утверждены во всех ШНОР",
            "выполнено",
        ),
        (
            "1",
            "Обеспечить методическую поддержку ШНОР",
            "Закрепление школ-кураторов и муниципальных тьюторов за ШНОР",
            "в течение учебного года",
            "Муниципальный методический центр",
            "Доля ШНОР, имеющих куратора, — 100 %",
            "в работе",
        ),
        (
            "1",
            "Повысить предметную компетентность педагогов ШНОР",
            "Диагностика профессиональных дефицитов, индивидуальные образовательные маршруты "
            "педагогов",
            f"до 31.12.{y}",
            "Муниципальный методический центр",
            "Не менее 70 % педагогов ШНОР прошли диагностику",
            "в работе",
        ),
        (
            "1",
            "Оценить эффективность поддержки",
            "Входной, промежуточный и итоговый мониторинг в ШНОР",
            f"декабрь {y}, май {y1}",
            "Отдел общего образования МОУО",
            "Доля ШНОР с положительной динамикой результатов не менее 33 %",
            "запланировано",
        ),
        (
            "2",
            "Выявить школы в зоне риска снижения результатов",
            "Анализ динамики результатов ВПР и ГИА, выделение школ со значимым снижением",
            f"до 30.09.{y}",
            "Отдел общего образования МОУО",
            "Сформирован перечень школ зоны риска",
            "выполнено",
        ),
        (
            "2",
            "Обеспечить объективность оценочных процедур",
            "Независимое наблюдение и перепроверка работ ВПР в школах с признаками необъективности",
            f"март–май {y1}",
            "Муниципальный координатор ВПР",
            "Снижение доли школ с признаками необъективных результатов",
            "запланировано",
        ),
        (
            "2",
            "Организовать сетевое взаимодействие",
            "Партнёрство школ зоны риска со школами с высокими результатами, взаимопосещение "
            "уроков",
            "в течение учебного года",
            "Руководители ОО",
            "Заключены договоры о сетевом взаимодействии",
            "в работе",
        ),
        (
            "2",
            "Поддержать управленческие команды",
            "Семинары для администрации по управлению качеством образования",
            "ежеквартально",
            "Муниципальный методический центр",
            "Проведено не менее 4 семинаров в год",
            "в работе",
        ),
        (
            "2",
            "Развивать наставничество",
            "Закрепление наставников за молодыми педагогами школ зоны риска",
            f"до 01.10.{y}",
            "Руководители ОО",
            "Доля педагогов, участвующих в наставничестве, не менее 30 %",
            "выполнено",
        ),
        (
            "3",
            "Выявить обучающихся с рисками учебной неуспешности",
            "Диагностика по результатам КДР и ВПР, индивидуальные образовательные маршруты "
            "обучающихся",
            f"до 15.10.{y}",
            "Руководители ОО",
            "ИОМ разработаны для всех обучающихся группы риска",
            "выполнено",
        ),
        (
            "3",
            "Развивать читательскую грамотность",
            "Курс внеурочной деятельности по смысловому чтению в 5–6 классах",
            "в течение учебного года",
            "Руководители ОО",
            "Доля обучающихся 6 классов с уровнем ниже базового по КДР снизилась на 5 п. п.",
            "в работе",
        ),
        (
            "3",
            "Повысить квалификацию педагогов",
            "Курсы повышения квалификации по формированию функциональной грамотности",
            f"до 31.05.{y1}",
            "Муниципальный методический центр",
            "Не менее 50 % педагогов прошли КПК",
            "в работе",
        ),
        (
            "3",
            "Вовлечь родителей в работу с результатами",
            "Родительские собрания и консультации по результатам оценочных процедур",
            "по итогам каждой процедуры",
            "Руководители ОО",
            "Собрания проведены во всех ОО",
            "запланировано",
        ),
        (
            "3",
            "Подготовить обучающихся группы риска к ГИА",
            "Дополнительные занятия для обучающихся 9 и 11 классов группы риска",
            f"январь–май {y1}",
            "Руководители ОО",
            "Доля обучающихся, не получивших аттестат, не более 1 %",
            "запланировано",
        ),
    ]
    cols = ["track", "task", "measure", "deadline", "responsible", "expected_result", "status"]
    df = pd.DataFrame(rows, columns=cols)
    return df.astype("str")


def _plant_programme(
    gi: np.ndarray,
    stably_low: np.ndarray,
    inflating: np.ndarray,
    years: list[int],
    k: int,
    start: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Programme schools (ordinary or small rural, not planted otherwise) and the start year."""
    if start is None:
        start = years[len(years) // 2]
    if k < 0:
        raise ValueError(f"`n_programme` должно быть не меньше 0, передано {k}")
    if k and not years[0] < start <= years[-1]:
        raise ValueError(
            f"`programme_start` должен быть после первого года и не позже последнего "
            f"({years[0]} < год ≤ {years[-1]}), передано {start}"
        )
    pool = np.ones(len(gi), bool)
    pool[stably_low] = False
    pool[inflating] = False
    pool &= (gi == 0) | (gi == 2)
    chosen = _pick(rng, np.flatnonzero(pool), k, "школы программы") if k else np.empty(0, int)
    return np.sort(chosen).astype(np.int64), int(start)


# --------------------------------------------------------------------------- public API


def make_region(
    n_municipalities: int = 2,
    schools_per_municipality: int = 22,
    years: Sequence[int] = (2021, 2022, 2023, 2024),
    *,
    seed: int = 2024,
    pupils_scale: float = 1.0,
    n_inflating: int | None = None,
    n_stably_low: int | None = None,
    n_resilient: int | None = None,
    n_programme: int = 0,
    programme_start: int | None = None,
    programme_effect: float = 0.0,
) -> Region:
    """Make a synthetic region with planted facts.

    Parameters
    ----------
    n_municipalities : int
        Number of municipalities (districts and towns, alternately two
        districts and one town).
    schools_per_municipality : int
        Schools in each municipality, at least 8.
    years : sequence of int
        Calendar years of the end of the school years, e.g. 2024 for 2023/24.
    seed : int
        Seed of every random draw: the same seed gives the same region.
    pupils_scale : float
        Factor applied to every class size (1.0: 3–10 pupils a grade in small
        rural schools, 3–12 in ОВЗ schools, 15–60 in the others); a class has
        at least one pupil.
    n_inflating, n_stably_low, n_resilient : int, optional
        How many schools to plant of each kind. Default: 8 % of the schools
        (at least 3) for the first two, 6 % (at least 2) for resilient ones,
        i.e. 4, 4 and 3 in the default region.
    n_programme, programme_start, programme_effect
        A planted improvement programme (none by default): ``n_programme``
        schools, drawn at random among the ordinary and small rural schools
        that are neither inflating nor stably low, gain ``programme_effect``
        pupil standard deviations of teaching effect in every year from
        ``programme_start`` (default: the middle year) on; 0 plants a
        programme without an effect (for checking that none is found). Drawn
        from a stream of its own: the rest of the region is the same as
        without a programme.

    Returns
    -------
    Region
        Tables (columns in this order):

        ``schools``
            school_id (municipality number and school number, «01001»), name,
            municipality, group (обычная, углублённая, малокомплектная
            сельская, ОВЗ), locality (город, село).
        ``results_vpr``, ``results_oge``, ``results_ege``, ``results_kdr``
            one row per pupil and work: year, assessment (ВПР, ОГЭ, ЕГЭ, КДР),
            subject (Математика, Русский язык, Математика (профиль) in ЕГЭ,
            Читательская грамотность in КДР), grade, school_id, pupil_id (the
            same for a pupil in every year), score (primary score; ЕГЭ: test
            score 0–100; missing if not admitted), mark (2–5; missing in ЕГЭ
            and if not admitted), journal_mark (ВПР only, a few missing),
            level (КДР only), admitted (ОГЭ, ЕГЭ; True elsewhere). ВПР: grades
            4–8 every year; ОГЭ: grade 9; ЕГЭ: grade 11; КДР: grade 4 every
            year and grade 6 in each year two years after a grade-4 КДР (the
            same cohort). About 4 % of pupils are absent from each ВПР and КДР.
        ``context``
            school_id, year, one share (0–1) per factor of
            :data:`FACTOR_EFFECTS` and :data:`NULL_FACTORS`.
        ``staff``
            school_id, year, teachers, category_highest, category_first,
            trained, part_time, mentoring, young.
        ``enrolment``
            school_id, year, level (НОО, ООО, СОО; none for schools without
            grades 10–11), pupils.
        ``risk_profiles``
            school_id, year, risk_factor (:data:`RISK_FACTORS`), score (lower =
            higher risk), significance (низкая, средняя, высокая).
        ``indicators``
            indicator, scope (municipality or «регион»), year, target, actual
            (computed from the other tables; missing for the year after the
            last), direction (≥, ≤), unit (% with values in percent, or чел.).
        ``plan``
            track (1, 2, 3), task, measure, deadline, responsible,
            expected_result, status.

        and ``truth``, a :class:`Truth`.

    Raises
    ------
    ValueError
        If a parameter is out of range or the region is too small to plant the
        requested schools.

    Notes
    -----
    The model and the planted facts are described in the module docstring
    (:mod:`edu_quality.synthetic`). Draws come from independent streams
    spawned from ``seed``, so the results do not change when, say, the staff
    table's model changes. Streams of :class:`numpy.random.Generator` are
    stable within a NumPy version; a future NumPy may change them.

    Examples
    --------
    >>> region = make_region()
    >>> region.schools["group"].value_counts().to_dict()
    {'обычная': 30, 'малокомплектная сельская': 7, 'углублённая': 5, 'ОВЗ': 2}
    >>> sorted(region.results_vpr["grade"].unique().tolist())
    [4, 5, 6, 7, 8]
    >>> len(region.truth.inflating), len(region.truth.stably_low), len(region.truth.resilient)
    (4, 4, 3)
    """
    years = [int(y) for y in years]
    if not years or len(set(years)) != len(years) or years != sorted(years):
        raise ValueError(f"`years` должны быть различными и возрастать, передано {years}")
    if n_municipalities < 1:
        raise ValueError(f"`n_municipalities` должно быть не меньше 1, передано {n_municipalities}")
    if schools_per_municipality < 8:
        raise ValueError(
            "`schools_per_municipality` должно быть не меньше 8, "
            f"передано {schools_per_municipality}"
        )
    if not (pupils_scale > 0 and math.isfinite(pupils_scale)):
        raise ValueError(f"`pupils_scale` должно быть положительным, передано {pupils_scale}")

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    r_school, r_context, r_plant, r_size, r_pupil, r_result, r_staff, r_risk, r_prog = streams

    schools = _make_schools(n_municipalities, schools_per_municipality, r_school)
    n = len(schools)
    gi = schools["group"].map({g: i for i, g in enumerate(GROUP_NAMES)}).to_numpy()
    w, fixed, context = _make_context(schools, years, r_context)

    # school mean ability: group + effect factors + school effect
    contribution = sum(beta * (fixed[f] - fixed[f].mean()) for f, beta in FACTOR_EFFECTS.items())
    expected = _GROUP_EFFECT[gi] + contribution
    school_effect = r_plant.normal(0, _SCHOOL_SD, n)

    # planted schools
    n_inflating = max(3, round(0.08 * n)) if n_inflating is None else n_inflating
    n_stably_low = max(3, round(0.08 * n)) if n_stably_low is None else n_stably_low
    n_resilient = max(2, round(0.06 * n)) if n_resilient is None else n_resilient
    ordinary = gi == 0
    rank = w.argsort().argsort() / max(n - 1, 1)
    taken = np.zeros(n, bool)
    # resilient: the context as measured (the effect factors) in the bottom 15 %
    context_rank = contribution.argsort().argsort() / max(n - 1, 1)
    res_pool = np.flatnonzero((context_rank < 0.15) & ((gi == 0) | (gi == 2)))
    resilient = _pick(r_plant, res_pool, n_resilient, "устойчивые школы")
    taken[resilient] = True
    inf_pool = np.flatnonzero(ordinary & (rank > 0.3) & (rank < 0.7) & ~taken)
    inflating_idx = _pick(r_plant, inf_pool, n_inflating, "завышающие результаты")
    taken[inflating_idx] = True
    sizes_g = np.bincount(gi, minlength=4)
    other_pool = np.flatnonzero(~ordinary & (sizes_g[gi] >= 5) & ~taken & (gi != 3))
    n_other = max(1, round(0.25 * n_stably_low)) if n_stably_low > 1 and len(other_pool) else 0
    low_other = _pick(r_plant, other_pool, n_other, "стабильно низкие в других группах")
    low_ord = _pick(
        r_plant,
        np.flatnonzero(ordinary & ~taken & (rank < 0.75)),
        n_stably_low - n_other,
        "стабильно низкие обычные",
    )
    stably_low = np.sort(np.concatenate([low_ord, low_other])).astype(np.int64)

    school_effect[resilient] = _RESILIENT_BOOST
    ability = expected + school_effect

    ny = len(years)
    teaching = r_plant.normal(0, 0.08, (n, ny))
    sid = schools["school_id"].to_numpy()
    honest = np.ones(n, bool)
    honest[stably_low] = False
    q10 = np.array(
        [
            np.quantile(ability[(gi == g) & honest], 0.1) if (gi == g).any() else 0.0
            for g in range(len(GROUP_NAMES))
        ]
    )
    drop = np.minimum(-1.2, q10[gi[stably_low]] - ability[stably_low] - 1.0)
    low = np.ones((len(stably_low), ny), bool)
    if ny >= 3:  # about half recover in one of the last three years
        recover = r_plant.random(len(stably_low)) < 0.5
        which = ny - 3 + r_plant.integers(0, 3, len(stably_low))
        low[np.flatnonzero(recover), which[recover]] = False
    teaching[stably_low] += np.where(low, drop[:, None], 0.25 * drop[:, None])
    low_years = {
        str(sid[s]): tuple(y for y, flag in zip(years, row, strict=True) if flag)
        for s, row in zip(stably_low, low, strict=True)
    }

    programme_idx, programme_start = _plant_programme(
        gi, stably_low, inflating_idx, years, n_programme, programme_start, r_prog
    )
    teaching[programme_idx[:, None], np.asarray(years) >= programme_start] += programme_effect

    # pupils and their results
    c_min, c_max = years[0] - 10, years[-1]
    cohorts = np.arange(c_min, c_max + 1)
    sizes = _class_sizes(schools, cohorts, pupils_scale, r_size)
    pupils = _make_pupils(schools, cohorts, sizes, ability, r_pupil)
    inflating = np.zeros(n, bool)
    inflating[inflating_idx] = True
    school_ids = pa.array(schools["school_id"].astype(str).to_list(), type=pa.large_string())
    results = _make_results(pupils, school_ids, years, teaching, ability, inflating, r_result)

    enrolment = _make_enrolment(schools, pupils, years)
    quality = (ability + teaching.mean(axis=1) - ability.mean()) / ability.std() + 0.3 * w
    staff = _make_staff(schools, enrolment, quality, years, r_staff)
    risk = _make_risk(schools, quality, years, r_risk)
    indicators = _make_indicators(schools, results, staff, years)
    plan = _make_plan(years[-1])

    truth = Truth(
        seed=seed,
        inflating=tuple(str(x) for x in sid[inflating_idx]),
        stably_low=tuple(str(x) for x in sid[stably_low]),
        low_years=low_years,
        resilient=tuple(str(x) for x in sid[resilient]),
        factor_effects=dict(FACTOR_EFFECTS),
        null_factors=NULL_FACTORS,
        schools=pd.DataFrame(
            {
                "school_id": schools["school_id"],
                "wellbeing": w,
                "expected": expected,
                "ability": ability,
                "teaching": teaching.mean(axis=1),
            }
        ),
        programme=tuple(str(x) for x in sid[programme_idx]),
        programme_start=programme_start if len(programme_idx) else None,
        programme_effect=float(programme_effect) if len(programme_idx) else 0.0,
    )
    public = schools.drop(columns="has_soo")
    for col in public.columns:
        public[col] = public[col].astype("str")
    return Region(
        schools=public,
        results_vpr=results["vpr"][0],
        results_oge=results["oge"][0],
        results_ege=results["ege"][0],
        results_kdr=results["kdr"][0],
        context=context,
        staff=staff,
        enrolment=enrolment,
        risk_profiles=risk,
        indicators=indicators,
        plan=plan,
        truth=truth,
    )


def scales_table(years: Sequence[int]) -> pd.DataFrame:
    """The ВПР score-to-mark scales the generator used, for each of ``years``.

    The generator marks every year's works on :data:`VPR_SCALE` (the official
    2021 scales), so the region's own scale table repeats them under each of its
    years; :func:`write_region` writes it as ``scales`` beside the results, and
    :meth:`edu_quality.Dataset.max_scores` reads it.

    Returns
    -------
    pandas.DataFrame
        The long form of :func:`edu_quality.scales.read_scales`: ``year``,
        ``subject``, ``grade``, ``mark``, ``min_score``, ``max_score``, ``source``.

    Examples
    --------
    >>> t = scales_table([2024])
    >>> t.query("subject == 'Математика' and grade == 4")[["mark", "min_score", "max_score"]].values.tolist()
    [[2, 0, 5], [3, 6, 9], [4, 10, 14], [5, 15, 20]]
    """
    rows = []
    for year in sorted(int(y) for y in years):
        for (subject, grade), (top, lo3, lo4, lo5) in VPR_SCALE.items():
            bounds = ((0, lo3 - 1), (lo3, lo4 - 1), (lo4, lo5 - 1), (lo5, top))
            for mark, (lo, hi) in zip((2, 3, 4, 5), bounds, strict=True):
                rows.append(
                    (year, subject, grade, mark, lo, hi, "синтетический пример: шкалы ВПР 2021 г.")
                )
    columns = ["year", "subject", "grade", "mark", "min_score", "max_score", "source"]
    return pd.DataFrame(rows, columns=columns)


def write_region(
    region: Region,
    folder: str | Path,
    *,
    format: str = "csv",
    partition_by_year: bool = False,
) -> list[Path]:
    """Write the tables of a region into a dataset folder.

    Parameters
    ----------
    region : Region
        A region from :func:`make_region`.
    folder : str or Path
        Folder to write into; created if needed. Existing files of the same
        names are replaced.
    format : {"csv", "parquet"}
        ``csv``: UTF-8, comma separator, point decimals, canonical English
        headers, no index, LF line ends. ``parquet``: one file per table.
    partition_by_year : bool
        Parquet only: write each results table as a folder
        ``results_vpr/year=2021/…`` (Hive partitioning), which suits regions
        of millions of rows.

    Returns
    -------
    list of Path
        The files (or, for partitioned tables, folders) written, in the order
        of :data:`TABLE_NAMES`, then ``scales``: the ВПР scales of the region's
        years (:func:`scales_table`). The planted facts (``truth``) are not written.

    Raises
    ------
    ValueError
        If ``format`` is not one of the allowed values, or
        ``partition_by_year`` is asked for CSV.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_region(make_region(), tmp)
    ...     [p.name for p in paths][:3]
    ['schools.csv', 'results_vpr.csv', 'results_oge.csv']
    """
    if format not in ("csv", "parquet"):
        raise option_error("format", format, ["csv", "parquet"])
    if partition_by_year and format != "parquet":
        raise ValueError("`partition_by_year` возможно только при format='parquet'")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, table in region.tables.items():
        if format == "csv":
            path = out / f"{name}.csv"
            table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        elif partition_by_year and name.startswith("results_"):
            path = out / name
            pq.write_to_dataset(
                pa.Table.from_pandas(table, preserve_index=False),
                path,
                partition_cols=["year"],
                existing_data_behavior="delete_matching",
            )
        else:
            path = out / f"{name}.parquet"
            table.to_parquet(path, index=False)
        paths.append(path)
    scales = scales_table(region.tables["results_vpr"]["year"].unique())
    path = out / f"scales.{format}"
    if format == "csv":
        scales.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    else:
        scales.to_parquet(path, index=False)
    paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    """Write a synthetic region into a folder (the command line).

    ``python -m edu_quality.synthetic data_samples/region`` regenerates the
    sample dataset of the repository with the defaults of
    :func:`make_region`; ``--seed``, ``--municipalities``, ``--schools``,
    ``--pupils-scale`` and ``--format`` change them, and
    ``--partition-by-year`` writes each Parquet results table as a folder of
    yearly parts. A national-scale region (40 000 schools, about 12 million
    pupil results)::

        python -m edu_quality.synthetic OUT --municipalities 40 --schools 1000 \
            --pupils-scale 0.35 --format parquet --partition-by-year

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments; default: those of the command line.

    Returns
    -------
    int
        Exit status, 0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python -m edu_quality.synthetic",
        description="Синтетический регион в канонической модели данных edu_quality.",
    )
    parser.add_argument("folder", type=Path, help="папка, куда записать таблицы")
    parser.add_argument("--seed", type=int, default=2024, help="зерно (по умолчанию 2024)")
    parser.add_argument("--municipalities", type=int, default=2, help="число муниципалитетов")
    parser.add_argument("--schools", type=int, default=22, help="школ в муниципалитете")
    parser.add_argument("--pupils-scale", type=float, default=1.0, help="множитель численности")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument(
        "--partition-by-year",
        action="store_true",
        help="Parquet: таблицы результатов — папками по годам (results_vpr/year=2024/…)",
    )
    args = parser.parse_args(argv)
    if args.partition_by_year and args.format != "parquet":
        parser.error("--partition-by-year возможно только с --format parquet")
    region = make_region(
        args.municipalities, args.schools, seed=args.seed, pupils_scale=args.pupils_scale
    )
    paths = write_region(
        region, args.folder, format=args.format, partition_by_year=args.partition_by_year
    )
    print(f"Записано таблиц: {len(paths)} в {args.folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

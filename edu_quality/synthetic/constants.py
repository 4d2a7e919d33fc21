"""Names, scales and factors of the synthetic region, shared with its users.

The subjects and school groups the generator writes, the score-to-mark scales it
marks with (:data:`VPR_SCALE`, :data:`OGE_SCALE`, :data:`KDR_SCALE`,
:data:`EGE_MINIMUM`), the social factors with their true effects
(:data:`FACTOR_EFFECTS`, :data:`NULL_FACTORS`), the 500+ risk factors
(:data:`RISK_FACTORS`) and the tables of a region (:data:`TABLE_NAMES`).
"""

from __future__ import annotations

__all__ = [
    "DEEPENED",
    "EGE_MINIMUM",
    "FACTOR_EFFECTS",
    "GROUP_NAMES",
    "KDR_LEVELS",
    "KDR_SCALE",
    "MATH",
    "MATH_PROFILE",
    "NULL_FACTORS",
    "OGE_SCALE",
    "ORDINARY",
    "READING",
    "RISK_FACTORS",
    "RUSSIAN",
    "SMALL_RURAL",
    "SPECIAL",
    "TABLE_NAMES",
    "VPR_SCALE",
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

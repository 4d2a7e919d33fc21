"""The tables of the data model: one :class:`~edu_quality.schema.columns.TableSpec` per concept.

The school registry (:data:`SCHOOLS`), results pupil by pupil
(:data:`RESULTS_PUPILS`) or per school (:data:`RESULTS_AGGREGATED`), the social
context (:data:`CONTEXT`), staff (:data:`STAFF`), enrolment (:data:`ENROLMENT`),
500+ risk profiles (:data:`RISK_PROFILES`), programme indicators
(:data:`INDICATORS`) and the plan (:data:`PLAN`), each with every header its
columns are written under; :data:`TABLES` holds them all by name. Years and
sessions are described in :mod:`edu_quality.schema`.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..exam_years import SPRING
from .columns import Column, TableSpec, shared_by_key
from .vocabularies import (
    ASSESSMENTS,
    DIRECTIONS,
    GROUPS,
    LEVELS_EDU,
    LOCALITIES,
    SESSION_VALUES,
    SIGNIFICANCE,
    TRACKS,
)

__all__ = [
    "CONTEXT",
    "ENROLMENT",
    "INDICATORS",
    "PLAN",
    "RESULTS_AGGREGATED",
    "RESULTS_PUPILS",
    "RISK_PROFILES",
    "SCHOOLS",
    "STAFF",
    "TABLES",
]


def _c(
    name: str,
    kind: str,
    *aliases: str,
    required: bool = False,
    label: str = "",
    values: Mapping[str, str] | None = None,
    minimum: float | None = None,
    default: object = None,
) -> Column:
    return Column(name, kind, required, tuple(aliases), label or name, values, minimum, default)


_SCHOOL_ID = _c(
    "school_id",
    "id",
    "код оо",
    "код школы",
    "код",
    "id школы",
    "school id",
    "логин школы",
    "логин",
    "код организации",
    "код образовательной организации",
    "школа id",
    required=True,
    label="Код ОО",
)
# the session of the school year: the ВПР of autumn 2020 are year 2021, «осень»
_SESSION = _c(
    "session",
    "category",
    "сессия",
    "период проведения",
    "срок проведения",
    label="Сессия",
    values=SESSION_VALUES,
    default=SPRING,
)
_YEAR = _c(
    "year",
    "year",
    "год",
    "учебный год",
    "уч. год",
    "уч год",
    "год проведения",
    required=True,
    label="Учебный год",
)

SCHOOLS = TableSpec(
    "schools",
    (
        _SCHOOL_ID,
        _c(
            "name",
            "text",
            "наименование оо",
            "наименование",
            "название",
            "школа",
            "наименование школы",
            "краткое наименование",
            "оо",
            "имя",
            required=True,
            label="Наименование ОО",
        ),
        _c(
            "municipality",
            "text",
            "муниципалитет",
            "муниципальное образование",
            "мо",
            "район",
            "городской округ",
            "муниципальный район",
            "регион",
            "моуо",
            required=True,
            label="Муниципалитет",
        ),
        _c(
            "group",
            "category",
            "группа",
            "группа оо",
            "группа сравнения",
            "тип оо",
            "категория оо",
            label="Группа",
            values=GROUPS,
        ),
        _c(
            "locality",
            "category",
            "местность",
            "тип местности",
            "тип населенного пункта",
            "город/село",
            label="Местность",
            values=LOCALITIES,
        ),
    ),
    key=("school_id",),
    description="one row per school",
    extra=True,
)

RESULTS_PUPILS = TableSpec(
    "results",
    (
        _YEAR,
        _c(
            "assessment",
            "category",
            "процедура",
            "оценочная процедура",
            "вид оценки",
            "форма",
            "экзамен",
            "работа",
            required=True,
            label="Процедура",
            values=ASSESSMENTS,
        ),
        _c("subject", "text", "предмет", "учебный предмет", required=True, label="Предмет"),
        _c("grade", "int", "класс", "параллель", required=True, label="Класс"),
        _SCHOOL_ID,
        _c(
            "pupil_id",
            "id",
            "код участника",
            "код обучающегося",
            "номер обучающегося",
            "код ученика",
            "ид участника",
            "участник",
            required=True,
            label="Код участника",
        ),
        _c(
            "score",
            "float",
            "первичный балл",
            "балл",
            "всего баллов",
            "сумма баллов",
            "тестовый балл",
            "итоговый балл",
            label="Балл",
            minimum=0,
        ),
        _c(
            "mark",
            "mark",
            "отметка",
            "оценка",
            "отметка за работу",
            "отметка по 5-балльной шкале",
            "отметка впр",
            label="Отметка",
        ),
        _c(
            "journal_mark",
            "mark",
            "отметка по журналу",
            "отметка за предыдущую четверть/триместр",
            "отметка за четверть",
            "четвертная отметка",
            "годовая отметка",
            "отметка в журнале",
            label="Отметка по журналу",
        ),
        _c("level", "text", "уровень", "уровень достижений", "уровень подготовки", label="Уровень"),
        _c("admitted", "bool", "допущен", "допуск", "допущен к гиа", label="Допущен"),
        # the grade of the work when it differs from the pupils' (ВПР autumn 2020)
        _c("work_grade", "int", "класс работы", label="Класс работы"),
        # the school's protocol of the work has impossible totals (edu_quality.reliability)
        _c("unreliable", "bool", "протокол недостоверен", label="Протокол недостоверен"),
        _c("unreliable_reason", "text", "причина недостоверности", label="Причина недостоверности"),
        # the pupil's sex as the ФИС ОКО exports give it («м», «ж»): gaps between groups
        _c("gender", "text", "пол", label="Пол"),
        _SESSION,
    ),
    key=("year", "session", "assessment", "subject", "grade", "school_id", "pupil_id"),
    description="one row per pupil and assessment",
    # millions of rows at a country's scale; tens of thousands of distinct values at most
    compact=(
        "assessment",
        "subject",
        "school_id",
        "level",
        "gender",
        "session",
        "unreliable_reason",
    ),
    narrow=("year", "grade", "mark", "journal_mark", "work_grade"),
)

RESULTS_AGGREGATED = TableSpec(
    "results",
    (
        _YEAR,
        _c(
            "assessment",
            "category",
            "процедура",
            "оценочная процедура",
            "вид оценки",
            "форма",
            "экзамен",
            "работа",
            required=True,
            label="Процедура",
            values=ASSESSMENTS,
        ),
        _c("subject", "text", "предмет", "учебный предмет", required=True, label="Предмет"),
        _c("grade", "int", "класс", "параллель", required=True, label="Класс"),
        _SCHOOL_ID,
        _c(
            "participants",
            "int",
            "количество участников",
            "участников",
            "число участников",
            "кол-во участников",
            "участники",
            "писали",
            "n",
            required=True,
            label="Количество участников",
        ),
        _c(
            "not_admitted",
            "int",
            "не допущены",
            "не допущено",
            "не допущен",
            "количество не допущенных",
            "не допущены к гиа",
            label="Не допущены",
        ),
        _c(
            "n2",
            "int",
            "2",
            "«2»",
            "отметка 2",
            "количество 2",
            "кол-во 2",
            "получили 2",
            "количество отметок 2",
            label="«2»",
        ),
        _c(
            "n3",
            "int",
            "3",
            "«3»",
            "отметка 3",
            "количество 3",
            "кол-во 3",
            "получили 3",
            "количество отметок 3",
            label="«3»",
        ),
        _c(
            "n4",
            "int",
            "4",
            "«4»",
            "отметка 4",
            "количество 4",
            "кол-во 4",
            "получили 4",
            "количество отметок 4",
            label="«4»",
        ),
        _c(
            "n5",
            "int",
            "5",
            "«5»",
            "отметка 5",
            "количество 5",
            "кол-во 5",
            "получили 5",
            "количество отметок 5",
            label="«5»",
        ),
        _c(
            "mean_score",
            "float",
            "средний балл",
            "средний первичный балл",
            "средний тестовый балл",
            label="Средний балл",
            minimum=0,
        ),
        _SESSION,
    ),
    key=("year", "session", "assessment", "subject", "grade", "school_id"),
    description="one row per school, assessment, subject, grade and year",
)

CONTEXT = TableSpec(
    "context",
    (_SCHOOL_ID, _YEAR),
    key=("school_id", "year"),
    description="one row per school and year; one share column (0–1) per social factor",
    extra=True,
)

STAFF = TableSpec(
    "staff",
    (
        _SCHOOL_ID,
        _YEAR,
        _c(
            "teachers",
            "int",
            "педагогов",
            "количество педагогов",
            "всего педагогов",
            "педагогических работников",
            "учителей",
            label="Педагогов",
        ),
        _c(
            "category_highest",
            "int",
            "высшая категория",
            "высшая квалификационная категория",
            "с высшей категорией",
            label="Высшая категория",
        ),
        _c(
            "category_first",
            "int",
            "первая категория",
            "первая квалификационная категория",
            "с первой категорией",
            label="Первая категория",
        ),
        _c(
            "trained",
            "int",
            "прошли кпк",
            "кпк",
            "прошли повышение квалификации",
            "повышение квалификации",
            label="Прошли КПК",
        ),
        _c("part_time", "int", "совместители", "совместителей", label="Совместители"),
        _c(
            "mentoring",
            "int",
            "в наставничестве",
            "наставничество",
            "участвуют в наставничестве",
            label="В наставничестве",
        ),
        _c("young", "int", "молодые педагоги", "молодых педагогов", label="Молодые педагоги"),
    ),
    key=("school_id", "year"),
    description="one row per school and year: teachers and their qualification",
)

ENROLMENT = TableSpec(
    "enrolment",
    (
        _SCHOOL_ID,
        _YEAR,
        _c(
            "level",
            "category",
            "уровень",
            "уровень образования",
            "уровень получения образования",
            required=True,
            label="Уровень",
            values=LEVELS_EDU,
        ),
        _c(
            "pupils",
            "int",
            "обучающихся",
            "количество обучающихся",
            "численность",
            "контингент",
            "число обучающихся",
            required=True,
            label="Обучающихся",
        ),
    ),
    key=("school_id", "year", "level"),
    description="one row per school, year and level of education",
)

RISK_PROFILES = TableSpec(
    "risk_profiles",
    (
        _SCHOOL_ID,
        _YEAR,
        _c(
            "risk_factor",
            "text",
            "фактор риска",
            "факторы риска",
            "фактор",
            required=True,
            label="Фактор риска",
        ),
        _c("score", "float", "сумма баллов", "балл", "баллы", required=True, label="Сумма баллов"),
        _c(
            "significance",
            "category",
            "значимость",
            "значимость фактора риска",
            "уровень значимости",
            required=True,
            label="Значимость",
            values=SIGNIFICANCE,
        ),
    ),
    key=("school_id", "year", "risk_factor"),
    description="one row per school, year and risk factor of the 500+ questionnaire",
    # every school repeats the same few dozen factors (a country: a million rows)
    compact=("risk_factor", "significance"),
)

INDICATORS = TableSpec(
    "indicators",
    (
        _c(
            "indicator",
            "text",
            "показатель",
            "индикатор",
            "наименование показателя",
            required=True,
            label="Показатель",
        ),
        _c("scope", "text", "уровень", "охват", "для кого", "объект", "оо", label="Охват"),
        _YEAR,
        _c(
            "target",
            "float",
            "целевое значение",
            "цель",
            "план",
            "плановое значение",
            required=True,
            label="Целевое значение",
        ),
        _c("actual", "float", "фактическое значение", "факт", "достигнуто", label="Факт"),
        _c(
            "direction",
            "category",
            "направление",
            "условие",
            "знак",
            required=True,
            label="Направление",
            values=DIRECTIONS,
        ),
        _c("unit", "text", "единица", "ед. изм", "единица измерения", label="Единица"),
    ),
    key=("indicator", "scope", "year"),
    description="one row per programme indicator, scope and year",
)

PLAN = TableSpec(
    "plan",
    (
        _c(
            "track",
            "category",
            "трек",
            "направление",
            "номер трека",
            required=True,
            label="Трек",
            values=TRACKS,
        ),
        _c("task", "text", "задача", label="Задача"),
        _c("measure", "text", "мероприятие", "мера", required=True, label="Мероприятие"),
        _c("deadline", "text", "срок", "сроки", "срок исполнения", label="Срок"),
        _c(
            "responsible",
            "text",
            "ответственный",
            "ответственные",
            "исполнитель",
            label="Ответственный",
        ),
        _c(
            "expected_result",
            "text",
            "ожидаемый результат",
            "планируемый результат",
            "результат",
            "показатель",
            "результат/показатель",
            label="Ожидаемый результат",
        ),
        _c("status", "text", "статус", "выполнение", "отметка о выполнении", label="Статус"),
    ),
    description="one row per measure of the plan (дорожная карта)",
)

#: Every table of the data model by name (``results`` in both forms).
TABLES: dict[str, TableSpec] = shared_by_key(
    {
        "schools": SCHOOLS,
        "results_pupils": RESULTS_PUPILS,
        "results_aggregated": RESULTS_AGGREGATED,
        "context": CONTEXT,
        "staff": STAFF,
        "enrolment": ENROLMENT,
        "risk_profiles": RISK_PROFILES,
        "indicators": INDICATORS,
        "plan": PLAN,
    }
)

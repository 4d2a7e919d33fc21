"""The data model: one table per concept, its columns, and the headers users write.

Each table is a :class:`TableSpec`: canonical English snake_case columns with
their kind (how a cell is parsed), whether the column is required, and the
headers (Russian or English, any case, stray spaces) under which it appears in
methodologists' files. The loaders in :mod:`edu_quality.io` map headers with
:func:`match_columns`, parse cells by kind, and validate the result with the
pandera schema from :func:`pandera_schema`.

Kinds
-----
``id``       text identifier (``"5"``, ``"sch220001"``), kept as a string
``text``     free text
``year``     calendar year of the end of the school year («2021-2022» → 2022)
``int``      whole number ≥ 0 (counts)
``float``    number (decimal comma and spaces allowed)
``share``    share 0–1 («62,5 %» → 0.625)
``mark``     mark 2–5 (also written as text: «5», «отлично»)
``bool``     yes/no («да», «нет», «+», 1, 0)
``category`` one of a fixed list of values (with synonyms)

Years and sessions
------------------
A ``year`` is the calendar year in which the school year ends. Results have
an optional ``session``, «весна» (the default: a file without the column is
spring throughout) or «осень»: the ВПР of autumn 2020 are ``year`` 2021,
``session`` «осень», ``grade`` the pupils' grade and ``work_grade`` the
work's (:mod:`edu_quality.exam_years`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import pandera.pandas as pa

__all__ = [
    "ASSESSMENTS",
    "SESSION_VALUES",
    "GROUPS",
    "LEVELS_EDU",
    "SIGNIFICANCE",
    "TABLES",
    "Column",
    "TableSpec",
    "is_name_header",
    "match_columns",
    "normalize_header",
    "pandera_schema",
]

#: Assessment names and their normal form.
ASSESSMENTS: dict[str, str] = {
    "впр": "ВПР",
    "всероссийские проверочные работы": "ВПР",
    "огэ": "ОГЭ",
    "гиа-9": "ОГЭ",
    "гиа 9": "ОГЭ",
    "гиа9": "ОГЭ",
    "егэ": "ЕГЭ",
    "гиа-11": "ЕГЭ",
    "гиа 11": "ЕГЭ",
    "гиа11": "ЕГЭ",
    "кдр": "КДР",
    "краевая диагностическая работа": "КДР",
    "краевые диагностические работы": "КДР",
    "рдр": "РДР",
    "нико": "НИКО",
    "vpr": "ВПР",
    "oge": "ОГЭ",
    "ege": "ЕГЭ",
    "kdr": "КДР",
}

#: Sessions of a school year (:mod:`edu_quality.exam_years`) and their synonyms.
SESSION_VALUES: dict[str, str] = {
    "весна": "весна",
    "весенняя": "весна",
    "весной": "весна",
    "spring": "весна",
    "осень": "осень",
    "осенняя": "осень",
    "осенью": "осень",
    "autumn": "осень",
    "fall": "осень",
}

#: Comparison groups of schools (ХМАО seed) and their synonyms.
GROUPS: dict[str, str] = {
    "обычная": "обычная",
    "обычные": "обычная",
    "без особенностей": "обычная",
    "сош": "обычная",
    "углублённая": "углублённая",
    "углубленная": "углублённая",
    "с углублённым изучением": "углублённая",
    "с углубленным изучением": "углублённая",
    "лицей": "углублённая",
    "гимназия": "углублённая",
    "кадетская": "углублённая",
    "малокомплектная сельская": "малокомплектная сельская",
    "малокомплектная": "малокомплектная сельская",
    "мкш": "малокомплектная сельская",
    "овз": "ОВЗ",
    "для обучающихся с овз": "ОВЗ",
    "коррекционная": "ОВЗ",
}

LOCALITIES: dict[str, str] = {
    "город": "город",
    "городская": "город",
    "городской": "город",
    "г": "город",
    "село": "село",
    "сельская": "село",
    "сельский": "село",
    "сельская местность": "село",
    "с": "село",
}

#: Levels of education.
LEVELS_EDU: dict[str, str] = {
    "ноо": "НОО",
    "начальное": "НОО",
    "начальное общее": "НОО",
    "1-4": "НОО",
    "ооо": "ООО",
    "основное": "ООО",
    "основное общее": "ООО",
    "5-9": "ООО",
    "соо": "СОО",
    "среднее": "СОО",
    "среднее общее": "СОО",
    "10-11": "СОО",
}

#: Significance of a 500+ risk factor.
SIGNIFICANCE: dict[str, str] = {
    "низкая": "низкая",
    "средняя": "средняя",
    "высокая": "высокая",
    "low": "низкая",
    "medium": "средняя",
    "high": "высокая",
}

DIRECTIONS: dict[str, str] = {
    "≥": "≥",
    ">=": "≥",
    "не менее": "≥",
    "больше": "≥",
    "выше": "≥",
    "≤": "≤",
    "<=": "≤",
    "не более": "≤",
    "меньше": "≤",
    "ниже": "≤",
}

TRACKS: dict[str, str] = {
    "1": "1",
    "2": "2",
    "3": "3",
    "трек 1": "1",
    "трек 2": "2",
    "трек 3": "3",
    "адресная поддержка шнор": "1",
    "школы в зоне риска": "2",
    "профилактика учебной неуспешности": "3",
}


@dataclass(frozen=True)
class Column:
    """One canonical column of a table.

    Parameters
    ----------
    name : str
        Canonical English snake_case name.
    kind : str
        How cells are parsed (see the module docstring).
    required : bool
        Whether a file must have the column.
    aliases : tuple of str
        Headers under which users write it (compared after
        :func:`normalize_header`).
    label : str
        Russian name used in messages.
    values : Mapping, optional
        For ``category``: normalised synonym → canonical value.
    minimum : float, optional
        For ``float``: the smallest valid value (scores are never negative).
    default : object, optional
        The value of an empty cell and of the whole column when a file lacks
        it (``session``: «весна»); None: missing.
    """

    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    label: str = ""
    values: Mapping[str, str] | None = None
    minimum: float | None = None
    default: object = None

    def headers(self) -> set[str]:
        """Normalised headers that map to this column, its own name included."""
        return {normalize_header(h) for h in (self.name, *self.aliases)}


@dataclass(frozen=True)
class TableSpec:
    """A table of the data model.

    Parameters
    ----------
    name : str
        Table name, also the stem of its file in a dataset folder.
    columns : tuple of Column
        Columns in canonical order.
    key : tuple of str
        Columns that identify a row; duplicates are errors.
    description : str
        What one row is.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    extra: bool = False  # whether unknown columns are kept (as text)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Canonical column names in order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """Names of required columns."""
        return [c.name for c in self.columns if c.required]

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Normalised header → the name of the column it names (the first column that has it).

        Built once per table: matching a file's headers is then one look-up per header.
        """
        out: dict[str, str] = {}
        for col in self.columns:
            for h in sorted(col.headers()):
                out.setdefault(h, col.name)
        return out


_ASCII_WORDS = re.compile(r"[a-z0-9_ ]+")
_EDGE = " \"'«»*.:"  # stripped from both ends (after spaces are folded)


def normalize_header(text: object) -> str:
    r"""Normalise a column header for matching.

    Lower case, «ё» as «е», non-breaking and repeated spaces folded, quotes and
    trailing punctuation removed; in a header of plain ASCII words, «_» is a
    space («school_id» is «school id»).

    Examples
    --------
    >>> normalize_header("  Код  ОО\xa0")
    'код оо'
    >>> normalize_header("Отметка по журналу:")
    'отметка по журналу'
    >>> normalize_header("School_ID")
    'school id'
    """
    s = str(text)
    if s.isascii() and s.isalnum():  # the common case: «2», «n2», «score»
        return s.lower()
    s = s.replace("\xa0", " ").lower().replace("ё", "е")
    stripped = s.strip()
    if stripped.isascii() and _ASCII_WORDS.fullmatch(stripped):
        s = s.replace("_", " ")
    return " ".join(s.split()).strip(_EDGE)


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
    default="весна",
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
TABLES: dict[str, TableSpec] = {
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

#: Column headers of pupil names: dropped at load, never stored.
NAME_HEADERS = frozenset(
    normalize_header(h)
    for h in (
        "фио",
        "ф.и.о",
        "ф. и. о",
        "фио обучающегося",
        "фио участника",
        "фио ученика",
        "фамилия",
        "имя",
        "отчество",
        "фамилия имя",
        "фамилия, имя",
        "фамилия имя отчество",
        "фамилия, имя, отчество",
        "ученик",
        "обучающийся",
        "pupil name",
        "full name",
        "surname",
        "first name",
    )
)


_NAME_WORDS = re.compile(r"(?<!\w)(?:фио|ф и о|фамили[яи]|имя|имена|отчеств[оа])(?!\w)")


def is_name_header(text: object) -> bool:
    """Whether a header names a column of people's names (never loaded).

    Any header with the word «ФИО» (also «Ф.И.О.»), «фамилия», «имя» or
    «отчество» in it, in any case: «ФИО ребёнка», «Фамилия, имя
    обучающегося», «ИМЯ».

    Examples
    --------
    >>> [is_name_header(h) for h in ("Ф.И.О. обучающегося", "ИМЯ", "Наименование ОО")]
    [True, True, False]
    """
    key = normalize_header(text)
    words = re.sub(r"\s+", " ", re.sub(r"[.,]", " ", key))
    return key in NAME_HEADERS or bool(_NAME_WORDS.search(words))


def match_columns(
    headers: Sequence[object],
    spec: TableSpec,
    *,
    keep_names: bool = False,
    keys: Sequence[str] | None = None,
) -> dict[int, str]:
    """Map the positions of a file's headers to canonical column names.

    Parameters
    ----------
    headers : sequence
        Headers as read from the file.
    spec : TableSpec
        Table whose columns are looked for.
    keep_names : bool
        Whether a header that is both a pupil-name header and an alias (as
        «имя» is for the school registry) maps to the column.
    keys : sequence of str, optional
        The headers already normalised (:func:`normalize_header`), in the same
        order: a caller matching one row against several tables normalises it once.

    Returns
    -------
    dict
        Position → canonical name, for every header that names a column; the
        first header wins when two name the same column. The time is linear
        in the number of headers.

    Examples
    --------
    >>> match_columns(["Код ОО", " Наименование  ОО", "Муниципалитет", "Прочее"], SCHOOLS)
    {0: 'school_id', 1: 'name', 2: 'municipality'}
    """
    lookup = spec.lookup
    if keys is None:
        keys = [normalize_header(h) for h in headers]
    found: dict[int, str] = {}
    used: set[str] = set()
    for i, key in enumerate(keys):
        name = lookup.get(key)
        if name is None or name in used:
            continue
        if not keep_names and is_name_header(headers[i]):
            continue
        found[i] = name
        used.add(name)
    return found


# ---------------------------------------------------------------- pandera

_DTYPES = {
    "id": "str",
    "text": "str",
    "category": "str",
    "year": "int64",
    "int": "Int64",
    "mark": "Int64",
    "float": "float64",
    "share": "float64",
    "bool": "boolean",
}


def dtype_of(col: Column) -> str:
    """Pandas dtype of a column after loading.

    Text is pandas' ``str``; numbers are ``float64`` with NaN for missing;
    counts and marks are nullable ``Int64``, except required whole-number
    columns (year, grade, participants), which are plain ``int64``.

    Examples
    --------
    >>> dtype_of(SCHOOLS.column("school_id")), dtype_of(RESULTS_PUPILS.column("grade"))
    ('str', 'int64')
    """
    if col.kind == "int" and col.required:
        return "int64"
    return _DTYPES[col.kind]


def _checks(col: Column) -> list[pa.Check]:
    if col.kind == "year":
        return [pa.Check.in_range(1990, 2100, error="год вне диапазона 1990–2100")]
    if col.kind == "mark":
        return [pa.Check.in_range(2, 5, error="отметка вне диапазона 2–5")]
    if col.kind == "int":
        return [pa.Check.ge(0, error="отрицательное количество")]
    if col.kind == "share":
        return [pa.Check.in_range(0, 1, error="доля вне диапазона 0–1")]
    if col.kind == "float" and col.minimum is not None:
        return [pa.Check.ge(col.minimum, error=f"значение меньше {col.minimum:g}")]
    if col.kind == "category" and col.values:
        allowed = sorted(set(col.values.values()))
        return [pa.Check.isin(allowed, error="допустимые значения: " + ", ".join(allowed))]
    return []


def pandera_schema(
    spec: TableSpec,
    columns: Iterable[str] | None = None,
    extra_kind: str | None = None,
    checks: Sequence[pa.Check] = (),
) -> pa.DataFrameSchema:
    """Build the pandera schema that validates a loaded table.

    Parameters
    ----------
    spec : TableSpec
        The table.
    columns : iterable of str, optional
        Columns present in the data (optional columns absent from the file are
        not checked). Defaults to every column of the spec.
    extra_kind : str, optional
        Kind of the columns that are not in the spec (``share`` for the factor
        columns of ``context``).
    checks : sequence of pandera.Check
        Table-wide checks (e.g. participants ≥ sum of marks).

    Returns
    -------
    pandera.DataFrameSchema

    Examples
    --------
    >>> schema = pandera_schema(ENROLMENT)
    >>> sorted(schema.columns)
    ['level', 'pupils', 'school_id', 'year']
    """
    present = list(columns) if columns is not None else spec.names
    cols: dict[str, pa.Column] = {}
    for name in present:
        try:
            col = spec.column(name)
        except KeyError:
            if extra_kind is None:
                continue
            col = Column(name, extra_kind)
        cols[name] = pa.Column(
            dtype_of(col),
            checks=_checks(col),
            nullable=not col.required,
            required=col.required,
        )
    unique = [k for k in spec.key if k in present] if spec.key else None
    # a key column that is absent but has a default (session: «весна») is one value for
    # every row: the key without it still identifies a row
    absent_constant = all(
        spec.column(k).default is not None for k in (spec.key or ()) if k not in present
    )
    return pa.DataFrameSchema(
        cols,
        checks=list(checks),
        unique=unique if unique and absent_constant else None,
        report_duplicates="all",
        strict=False,
        coerce=False,
        name=spec.name,
    )

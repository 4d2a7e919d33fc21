"""The three ВПР layouts of ФИС ОКО, told apart by their columns, and where each field is.

ФИС ОКО (the federal information system for quality assessment) gives a
region's methodologists their ВПР results as Excel files in three layouts,
told apart by their columns (:func:`detect_layout`):

``ru``
    Spring 2021: Russian headers — «логин школы», «регион», «номер
    обучающегося», «код обучающегося», «отметка за предыдущую
    четверть/триместр», «пол», «класс», «вариант», «всего баллов», «балл за 1» …
``codes``
    Autumn 2020: English codes — ``groups``, ``user`` (school), ``id``,
    ``code``, ``otc`` (journal mark), ``gender``, ``klass``, ``var-1``,
    ``var-2``, ``sum`` (primary score), ``a-1-grade`` … per task.
``protocol``
    2022, the upload form, sheet «Протокол»: «Пользователь» (``edu…``),
    «Муниципалитет», «Школа», «Код», «Вариант», task columns named with
    their maximum («1 (1б)», «5(1) (1б)»).

:func:`layout_columns`, the first stage of the parser, finds where each
field of a layout is (:class:`Columns`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...errors import DataError
from ...schema import normalize_header
from ..common import find_column

__all__ = ["LAYOUTS", "Columns", "detect_layout", "layout_columns"]

#: The ВПР layouts of ФИС ОКО that :func:`detect_layout` recognises.
LAYOUTS: dict[str, str] = {
    "ru": "ВПР, русские заголовки (ФИС ОКО, весна 2021)",
    "codes": "ВПР, английские коды столбцов (ФИС ОКО, осень 2020)",
    "protocol": "ВПР, форма загрузки, лист «Протокол» (ФИС ОКО, 2022)",
}

_TASK_PROTOCOL = re.compile(r"^\s*(.+?)\s*\(\s*(\d+)\s*б\s*\)\s*$", re.IGNORECASE)
_TASK_CODES = re.compile(r"^a-(\d+)-grade$")
_TASK_RU = re.compile(r"^балл за\s+(.+)$")


def detect_layout(headers: Sequence[object]) -> str | None:
    """Tell which ФИС ОКО ВПР layout a header row belongs to.

    Parameters
    ----------
    headers : sequence
        The header row as read.

    Returns
    -------
    str or None
        ``"ru"``, ``"codes"`` or ``"protocol"`` (see :data:`LAYOUTS`), or None
        when the row is none of them.

    Examples
    --------
    >>> detect_layout(["groups", "user", "id", "code", "otc", "gender", "klass", "var-1",
    ...                "var-2", "sum", "a-1-grade"])
    'codes'
    >>> detect_layout(["логин школы", "код обучающегося", "вариант", "всего баллов", "балл за 1"])
    'ru'
    >>> detect_layout(["Пользователь", "Муниципалитет", "Школа", "Код", "Вариант", "1 (1б)"])
    'protocol'
    >>> detect_layout(["Код ОО", "Балл"]) is None
    True
    """
    raw = ["" if h is None else str(h).strip() for h in headers]
    h = {normalize_header(x) for x in raw}
    if (
        {"user", "code", "sum"} <= h
        and ("var-1" in h or "var-2" in h)
        and any(_TASK_CODES.match(x) for x in h)
    ):
        return "codes"
    if (
        {"логин школы", "вариант"} <= h
        and h & {"код обучающегося", "номер обучающегося"}
        and any(_TASK_RU.match(x) for x in h)
    ):
        return "ru"
    if {"пользователь", "код", "вариант"} <= h and any(_TASK_PROTOCOL.match(x) for x in raw):
        return "protocol"
    return None


@dataclass(frozen=True)
class Columns:
    """Where the fields of a ВПР export are: positions in the header row.

    Attributes
    ----------
    headers : list of str
        The header row as text (stripped).
    school, pupil, variant : int
        School login, pupil code, variant.
    tasks : list of (int, str)
        Position and label of each task column, in the order of the work.
    journal, gender, total : int or None
        Journal mark, gender, the file's total score (None: no such column).
    variant2 : int or None
        ``codes``: «var-2», read where «var-1» is empty.
    school_name : int or None
        ``protocol``: «Школа» («edu… | name»), read where «Пользователь» is empty.
    date : int or None
        ``protocol``: «Дата загрузки».
    header_max : list of int or None
        ``protocol``: the maximum of each task, from its header («(2б)»).
    stray : list of int
        ``codes``: task columns after a column that is not a task (not read).
    """

    headers: list[str]
    school: int
    pupil: int
    variant: int
    tasks: list[tuple[int, str]]
    journal: int | None = None
    gender: int | None = None
    total: int | None = None
    variant2: int | None = None
    school_name: int | None = None
    date: int | None = None
    header_max: list[int] | None = None
    stray: list[int] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        """The label of each task («1», «5(1)»)."""
        return [label for _, label in self.tasks]

    @property
    def task_headers(self) -> list[str]:
        """The header of each task column."""
        return [self.headers[pos] for pos, _ in self.tasks]

    @property
    def total_header(self) -> str:
        """The header of the total, «всего баллов» when the file has none."""
        return self.headers[self.total] if self.total is not None else "всего баллов"


def layout_columns(headers: list[str], layout: str, file: str) -> Columns:
    """Stage 1: find the column of every field of a layout.

    Parameters
    ----------
    headers : list of str
        The header row as text (stripped).
    layout : {"ru", "codes", "protocol"}
        The layout (:func:`detect_layout`).
    file : str
        File name for the messages.

    Returns
    -------
    Columns

    Raises
    ------
    DataError
        No column of the school, the pupil code or the variant, or no task column.

    Examples
    --------
    >>> c = layout_columns(["логин школы", "код обучающегося", "вариант", "всего баллов",
    ...                     "балл за 1", "балл за 2"], "ru", "a.xlsx")
    >>> c.school, c.pupil, c.variant, c.total, c.tasks
    (0, 1, 2, 3, [(4, '1'), (5, '2')])
    """
    norm = [normalize_header(x) for x in headers]
    if layout == "ru":
        found = _ru_columns(norm)
    elif layout == "codes":
        found = _codes_columns(norm)
    else:
        found = _protocol_columns(headers, norm)
    for label, key in (("код школы", "school"), ("код участника", "pupil"), ("вариант", "variant")):
        if found[key] is None:
            raise DataError(file, f"нет столбца «{label}» ({LAYOUTS[layout]})")
    if not found["tasks"]:
        raise DataError(file, "нет столбцов с баллами за задания")
    return Columns(headers=headers, **found)


def _ru_columns(norm: list[str]) -> dict:
    """The fields of ``ru``; the tasks are the «балл за N» columns."""
    return {
        "school": find_column(norm, "логин школы"),
        "pupil": find_column(norm, "код обучающегося", "номер обучающегося"),
        "journal": find_column(
            norm, "отметка за предыдущую четверть/триместр", prefix="отметка за предыдущ"
        ),
        "gender": find_column(norm, "пол"),
        "variant": find_column(norm, "вариант"),
        "total": find_column(norm, "всего баллов"),
        "tasks": [(i, _TASK_RU.match(x).group(1)) for i, x in enumerate(norm) if _TASK_RU.match(x)],
    }


def _codes_columns(norm: list[str]) -> dict:
    """The tasks are the ``a-N-grade`` columns from ``a-1-grade`` on, up to another column."""
    tasks = []
    started = False
    stray: list[int] = []
    for i, x in enumerate(norm):
        m = _TASK_CODES.match(x)
        if m and not stray and (started or m.group(1) == "1"):
            tasks.append((i, m.group(1)))
            started = True
        elif started:
            stray.append(i)
    return {
        "school": find_column(norm, "user"),
        "pupil": find_column(norm, "code", "id"),
        "journal": find_column(norm, "otc"),
        "gender": find_column(norm, "gender"),
        "variant": find_column(norm, "var-1"),
        "variant2": find_column(norm, "var-2"),
        "total": find_column(norm, "sum"),
        "tasks": tasks,
        "stray": [i for i in stray if _TASK_CODES.match(norm[i])],
    }


def _protocol_columns(headers: list[str], norm: list[str]) -> dict:
    """The tasks are the columns named with their maximum («5(1) (1б)»)."""
    variant = find_column(norm, "вариант")
    tasks, header_max = [], []
    for i, x in enumerate(headers):
        m = _TASK_PROTOCOL.match(x)
        if m and i != variant:
            tasks.append((i, re.sub(r"\s+", "", m.group(1))))
            header_max.append(int(m.group(2)))
    return {
        "school": find_column(norm, "пользователь"),
        "pupil": find_column(norm, "код"),
        "journal": find_column(norm, prefix="отметка за предыдущ"),
        "gender": find_column(norm, "пол"),
        "variant": variant,
        "total": find_column(norm, "итого баллов"),
        "date": find_column(norm, "дата загрузки"),
        "school_name": find_column(norm, "школа"),
        "tasks": tasks,
        "header_max": header_max,
    }

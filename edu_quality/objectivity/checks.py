"""Option checks and column helpers shared by the objectivity modules."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from .._checks import check_fraction
from ..errors import DataError, Problem
from ..exam_years import session_of
from ..schema import RESULTS_PUPILS

__all__ = [
    "as_float",
    "check_alpha",
    "check_assessments",
    "check_bool",
    "check_by",
    "check_grades",
    "check_min_n",
    "check_positive",
    "check_strings",
    "check_threshold",
    "require",
    "select",
    "with_work",
]

NUMERIC = ("score", "mark", "journal_mark")


def require(data: pd.DataFrame, columns: Iterable[str], what: str, *, table: str = "") -> None:
    """Raise DataError naming every column of ``columns`` missing from ``data``."""
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if not missing:
        return
    problems = []
    for c in missing:
        try:
            label = f" («{RESULTS_PUPILS.column(c).label}»)" if not table else ""
        except KeyError:
            label = ""
        problems.append(Problem(None, c, f"столбца нет в данных{label}; он нужен для {what}"))
    raise DataError(table or None, problems)


def is_number(value: object) -> bool:
    """A real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_alpha(alpha: object) -> float:
    """``alpha`` as a fraction in (0, 1)."""
    return check_fraction("alpha", alpha)


def check_min_n(min_n: object, *, minimum: int = 1) -> int:
    """``min_n`` as an integer of at least ``minimum``."""
    if not isinstance(min_n, numbers.Integral) or isinstance(min_n, bool) or min_n < minimum:
        raise ValueError(
            f"Параметр `min_n` должен быть целым числом не меньше {minimum}, передано {min_n!r}"
        )
    return int(min_n)


def check_bool(name: str, value: object) -> bool:
    """``value`` as a bool (numpy bools accepted)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"Параметр `{name}` должен быть True или False, передано {value!r}")
    return bool(value)


def check_positive(name: str, value: object) -> float:
    """``value`` as a finite positive float."""
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"Параметр `{name}` должен быть положительным числом, передано {value!r}")
    return float(value)


def check_threshold(name: str, value: object) -> float | None:
    """``value`` as a share in [0, 1), or None."""
    if value is None:
        return None
    if not is_number(value) or not 0 <= value < 1:
        raise ValueError(
            f"Параметр `{name}` должен быть долей от 0 до 1 (не включая 1) или None, "
            f"передано {value!r}"
        )
    return float(value)


def check_strings(name: str, values: object, example: str) -> tuple[str, ...]:
    """``values`` as a non-empty tuple of strings (one string allowed)."""
    if isinstance(values, str):
        values = (values,)
    message = (
        f"Параметр `{name}` должен быть непустым списком строк, например {example}, "
        f"передано {values!r}"
    )
    if not isinstance(values, Iterable):
        raise ValueError(message)
    out = tuple(values)
    if not out or not all(isinstance(v, str) for v in out):
        raise ValueError(message)
    return out


def check_grades(grades: object) -> tuple[int, ...]:
    """``grades`` as a non-empty tuple of grades 1–11 (one grade allowed)."""
    message = (
        "Параметр `grades` должен быть непустым списком классов (целых чисел от 1 до 11), "
        f"например (4, 5), передано {grades!r}"
    )
    if isinstance(grades, numbers.Integral) and not isinstance(grades, bool):
        grades = (grades,)
    if not isinstance(grades, Iterable) or isinstance(grades, str):
        raise ValueError(message)
    out = tuple(grades)
    if not out or not all(
        isinstance(g, numbers.Integral) and not isinstance(g, bool) and 1 <= g <= 11 for g in out
    ):
        raise ValueError(message)
    return tuple(int(g) for g in out)


def check_assessments(assessments: object) -> tuple[tuple[str, int], ...]:
    """``assessments`` as a non-empty tuple of (procedure, grade) pairs."""
    message = (
        "Параметр `assessments` должен быть непустым списком пар (процедура, класс), "
        f"например (('ВПР', 4), ('ОГЭ', 9)), передано {assessments!r}"
    )
    if not isinstance(assessments, Iterable) or isinstance(assessments, str):
        raise ValueError(message)
    out = []
    for pair in assessments:
        if (
            not isinstance(pair, Sequence)
            or isinstance(pair, str)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], numbers.Integral)
            or isinstance(pair[1], bool)
        ):
            raise ValueError(message)
        out.append((pair[0], int(pair[1])))
    if not out:
        raise ValueError(message)
    return tuple(out)


def check_by(by: object) -> list[str]:
    """``by`` as a non-empty list of column names."""
    if isinstance(by, str):
        by = (by,)
    if (
        not isinstance(by, Iterable)
        or not (by := list(by))
        or not all(isinstance(c, str) for c in by)
    ):
        raise ValueError(
            "Параметр `by` должен быть непустым списком названий столбцов, например "
            f"('school_id', 'year'), передано {by!r}"
        )
    return by


def as_float(series: pd.Series) -> pd.Series:
    """Numbers as float64 with NaN for missing (nullable Int64 included)."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


def select(results: pd.DataFrame, rows: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """Return the chosen rows and columns: positional index, marks and scores as floats.

    Works whatever the caller's index (duplicates included); ``results`` is
    not modified.
    """
    columns = list(dict.fromkeys(columns))
    out = results.loc[rows, columns].reset_index(drop=True)
    for c in NUMERIC:
        if c in out.columns:
            out[c] = as_float(out[c])
    return out


def with_work(results: pd.DataFrame) -> pd.DataFrame:
    """``results`` (a shallow copy) with the work's grade and session always present.

    ``work_grade`` is the grade of the work written (equal to ``grade``, the
    pupils' grade, where the column is absent or empty); ``session`` is
    «осень» or «весна» (:data:`~edu_quality.exam_years.SPRING` where absent or empty). ``year`` is the
    calendar year in which the school year ends.
    """
    out = results.copy(deep=False)
    grade = pd.to_numeric(out["grade"], errors="coerce") if "grade" in out.columns else None
    if "work_grade" in out.columns:
        work = pd.to_numeric(out["work_grade"], errors="coerce")
        out["work_grade"] = work.fillna(grade) if grade is not None else work
    elif grade is not None:
        out["work_grade"] = grade
    out["session"] = session_of(out)
    return out

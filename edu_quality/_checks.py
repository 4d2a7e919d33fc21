"""Checks of options and columns, worded as seaborn words them, in Russian.

One home for the messages a user sees when a parameter or a table is not what a
function takes: «Параметр `family` должен быть одним из ['gaussian', 'binomial'],
передано 'poisson'».
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import DataError, Problem

if TYPE_CHECKING:  # pandas is imported where a table is checked: checking options needs none
    import pandas as pd

__all__ = [
    "check_fraction",
    "check_option",
    "check_positive",
    "check_school_year",
    "is_constant",
    "numeric_columns",
    "option_error",
    "require_columns",
]


def option_error(name: str, value: object, allowed: Sequence[object]) -> ValueError:
    """The error for an option outside its allowed values (raise it, or return it).

    Examples
    --------
    >>> str(option_error("family", "poisson", ("gaussian", "binomial")))
    "Параметр `family` должен быть одним из ['gaussian', 'binomial'], передано 'poisson'"
    """
    return ValueError(f"Параметр `{name}` должен быть одним из {list(allowed)}, передано {value!r}")


def check_option(name: str, value: object, allowed: Sequence[object]) -> None:
    """Refuse ``value`` unless it is one of ``allowed``.

    Raises
    ------
    ValueError
        Naming the parameter, the allowed values and what was passed.

    Examples
    --------
    >>> check_option("method", "pca", ("pca", "regression"))
    >>> check_option("method", "svd", ("pca", "regression"))
    Traceback (most recent call last):
    ...
    ValueError: Параметр `method` должен быть одним из ['pca', 'regression'], передано 'svd'
    """
    try:
        known = bool(value in allowed)
    except (TypeError, ValueError):  # an array or another value with no plain equality
        known = False
    if not known:
        raise option_error(name, value, allowed)


def check_fraction(name: str, value: object) -> float:
    """Refuse ``value`` unless it is a number strictly between 0 and 1; return it as float.

    Examples
    --------
    >>> check_fraction("alpha", 0.05)
    0.05
    >>> check_fraction("alpha", 5)
    Traceback (most recent call last):
    ...
    ValueError: Параметр `alpha` должен быть числом между 0 и 1, передано 5
    """
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not 0 < float(value) < 1:
        raise ValueError(f"Параметр `{name}` должен быть числом между 0 и 1, передано {value!r}")
    return float(value)


def check_positive(name: str, value: object, *, integer: bool = False) -> float:
    """Refuse ``value`` unless it is a number above 0 (a whole one when ``integer``).

    Returns the value as float (as int when ``integer``). NaN is refused.

    Examples
    --------
    >>> check_positive("timeout", 600)
    600.0
    >>> check_positive("timeout", -1)
    Traceback (most recent call last):
    ...
    ValueError: Параметр `timeout` должен быть положительным числом, передано -1
    >>> check_positive("max_columns", 2.5, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: Параметр `max_columns` должен быть целым положительным числом, передано 2.5
    """
    kinds = numbers.Integral if integer else numbers.Real  # NumPy's numbers too
    ok = isinstance(value, kinds) and not isinstance(value, bool) and value > 0
    if not ok:
        what = "целым положительным числом" if integer else "положительным числом"
        raise ValueError(f"Параметр `{name}` должен быть {what}, передано {value!r}")
    return int(value) if integer else float(value)


#: A school year as people write it: 2024, «2023/2024», «2023-2024», «2023–2024», «2023/24».
_SCHOOL_YEAR = re.compile(r"(\d{4})(?:\s*(?:/|-|–|—)\s*(\d{2}|\d{4}))?(?:\s*(?:г\.?|гг\.?|год))?")
#: Years the toolkit takes: the programme's data start with ВПР 2015, a sanity bound above.
_YEAR_RANGE = (2000, 2100)


def _quoted(value: object) -> str:
    """A value as a message quotes it: a text in «», anything else as Python writes it."""
    return f"«{value}»" if isinstance(value, str) else repr(value)


def check_school_year(name: str, value: object) -> int:
    """A school year as the year of its end: 2024, «2023/2024», «2023-2024», «2023/24» → 2024.

    The one reading of a year parameter (the command line, :func:`~edu_quality.report.data.report_data`,
    :func:`~edu_quality.report.runner.run_batch`): a whole number is the year the
    school year ends (2024 = 2023/24); two years must follow one another.

    Raises
    ------
    ValueError
        Naming the parameter and what was passed: not a year, or two years that
        do not follow one another («2023/2025»).

    Examples
    --------
    >>> [check_school_year("year", v) for v in (2024, "2024", "2023/2024", "2023-2024", "2023/24")]
    [2024, 2024, 2024, 2024, 2024]
    >>> check_school_year("year", "2023/2025")
    Traceback (most recent call last):
    ...
    ValueError: Параметр `year`: «2023/2025» — не учебный год: годы должны идти подряд, например «2023/2024»
    """
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        year = int(value)
    else:
        text = " ".join(str(value).split()) if isinstance(value, str) else None
        m = _SCHOOL_YEAR.fullmatch(text) if text else None
        if m is None:
            raise ValueError(
                f"Параметр `{name}`: {_quoted(value)} — не учебный год; укажите год его окончания "
                "(2024) или оба года («2023/2024», «2023-2024», «2023/24»)"
            )
        year = int(m[1])
        if m[2] is not None:
            start = year
            end = int(m[2]) if len(m[2]) == 4 else start // 100 * 100 + int(m[2])
            if end != start + 1:
                raise ValueError(
                    f"Параметр `{name}`: «{text}» — не учебный год: годы должны идти подряд, "
                    f"например «{start}/{start + 1}»"
                )
            year = end
    if not _YEAR_RANGE[0] <= year <= _YEAR_RANGE[1]:
        raise ValueError(
            f"Параметр `{name}`: {value!r} — не учебный год (ожидается год от "
            f"{_YEAR_RANGE[0]} до {_YEAR_RANGE[1]})"
        )
    return year


def require_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    """Refuse a table that lacks any of ``columns``, naming each missing one.

    Raises
    ------
    DataError
        One problem per missing column, with the columns the table has.

    Examples
    --------
    >>> import pandas as pd
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a"])
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"])
    Traceback (most recent call last):
    ...
    edu_quality.errors.DataError: столбец «b»: столбец не найден в таблице (есть: a)
    """
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if missing:
        have = ", ".join(map(str, data.columns))
        raise DataError(
            None, [Problem(None, c, f"столбец не найден в таблице (есть: {have})") for c in missing]
        )


def numeric_columns(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns as float64; a DataError lists the values that are not numbers.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_columns(pd.DataFrame({"x": ["1", "2,5"]}), ["x"])
    Traceback (most recent call last):
    ...
    edu_quality.errors.DataError: столбец «x»: нечисловые значения: «2,5»
    """
    import pandas as pd

    out = {}
    problems = []
    for c in dict.fromkeys(columns):
        col = data[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            out[c] = col.astype("float64")
            continue
        num = pd.to_numeric(col, errors="coerce")
        bad = col.notna() & num.isna()
        if bad.any():
            examples = ", ".join(f"«{v}»" for v in col[bad].astype(str).unique()[:3])
            problems.append(Problem(None, c, f"нечисловые значения: {examples}"))
        out[c] = num.astype("float64")
    if problems:
        raise DataError(None, problems)
    return pd.DataFrame(out, index=data.index)


def is_constant(values: pd.Series) -> bool:
    """Tell whether a column takes a single value (or none).

    Examples
    --------
    >>> import pandas as pd
    >>> is_constant(pd.Series([3, 3])), is_constant(pd.Series([3, 4]))
    (True, False)
    """
    import numpy as np

    v = values.to_numpy()
    return len(v) == 0 or bool(np.all(v == v[0]))

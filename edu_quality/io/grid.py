"""The grid of cells a file holds (:class:`Raw`) and the header row found in it.

Title rows may stand above a table's header: :func:`find_header` takes the row
among the first :data:`HEADER_SEARCH_ROWS` that names most columns of the
table, and :func:`sub_header` completes a header written over two rows of
merged cells. Values in columns without a header are refused
(:func:`check_unnamed`) rather than lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..names import shown_value
from ..schema import normalize_header
from .cells import as_text, is_missing
from .csv_text import INVISIBLE

__all__ = [
    "HEADER_SEARCH_ROWS",
    "PER_COLUMN_PROBLEMS",
    "Raw",
    "check_unnamed",
    "find_header",
    "sub_header",
]


#: How many rows from the top of a sheet or file may stand above the header.
HEADER_SEARCH_ROWS = 30
#: How many problems of one column (or of one kind) are listed; the count of the rest is given.
PER_COLUMN_PROBLEMS = 200


@dataclass
class Raw:
    """A file's cells below the header row, as read."""

    file: str
    headers: list[str]
    data: pd.DataFrame  # columns 0..k-1
    rows: np.ndarray  # row numbers the user sees, one per data row
    header_row: int | None = None  # row number of the header the user sees
    uncomputed: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, pos) → why
    merged: set[tuple[int, int]] = field(default_factory=set)  # (row, pos) filled from a merge


def find_header(
    candidates: list[list[object]], score: Callable[[list[str]], int], file: str, expected: str
) -> int:
    """Index of the row of ``candidates`` that names most columns (at least two).

    ``score`` counts the columns a row of headers names; ``expected`` lists the
    required columns for the message when no row names two.
    """
    best_i, best = -1, 0
    for i, row in enumerate(candidates):
        s = score([str(v) if v is not None else "" for v in row])
        if s > best:
            best_i, best = i, s
    if best_i < 0 or best < 2:
        raise DataError(
            file,
            f"не найдена строка заголовков: в первых {HEADER_SEARCH_ROWS} строках нет столбцов "
            f"таблицы ({expected})",
        )
    return best_i


def check_unnamed(data: pd.DataFrame, headers: list[str], rows: np.ndarray, file: str) -> None:
    """Values in columns without a header would be lost silently: refuse them."""
    problems = []
    for pos in range(len(headers), data.shape[1]):
        t = as_text(data[pos])
        for i in np.flatnonzero((~is_missing(t)).to_numpy())[:PER_COLUMN_PROBLEMS]:
            problems.append(
                Problem(
                    int(rows[i]),
                    f"№ {pos + 1}",
                    f"значение «{shown_value(t.iloc[i])}» в столбце без заголовка",
                )
            )
    if problems:
        raise DataError(file, problems)


def _cell_text(v: object) -> str:
    """A header cell as text: Excel's number 2 is «2», not «2.0»."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).translate(INVISIBLE).strip()


def sub_header(
    rows: list[list[object]], h: int, score: Callable[[list[str]], int]
) -> tuple[list[str], int]:
    """Headers of row ``h``, completed by the row below when the header spans two rows.

    A header over merged cells («Количество отметок» over «2», «3», «4», «5»)
    leaves the names of some columns in the row below, which is empty (or
    repeats the cell above) under every column already named. Return the
    headers and how many rows they take (1 or 2).
    """
    top = [_cell_text(v) for v in rows[h]]
    if h + 1 >= len(rows):
        return top, 1
    sub = [_cell_text(v) for v in rows[h + 1]]
    width = max(len(top), len(sub))
    top += [""] * (width - len(top))
    sub += [""] * (width - len(sub))
    named = 0
    for t, s in zip(top, sub, strict=True):
        if not s or normalize_header(s) == normalize_header(t):
            continue
        if t and score([t]) > 0:
            return top, 1  # a value under a column's header: the row is data
        named += score([s]) > 0
    if named < 2:
        return top, 1
    merged, parent = [], ""
    for t, s in zip(top, sub, strict=True):
        parent = t or parent
        if not s or normalize_header(s) == normalize_header(t):
            merged.append(t)
        elif score([s]) > 0:
            merged.append(s)
        else:
            merged.append(f"{parent} {s}".strip())
    return merged, 2

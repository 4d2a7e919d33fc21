"""The pupil rows of a ВПР export: the cells of each field, layout rows dropped, each row's status.

Stages 2–3 and 6 of the parser: :func:`pupil_rows` reads the cells of the
fields (:class:`PupilRows`), :func:`drop_blank_rows` drops the rows with
nothing at all in them, :func:`row_status` tells absent pupils, rows with
neither variant nor score and the rows of results apart (:class:`RowStatus`;
see «Absent pupils» in :mod:`edu_quality.fisoko.vpr`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..common import canonical_school_id, cells, factor, numbers
from .layouts import Columns

__all__ = [
    "PupilRows",
    "RowStatus",
    "column_text",
    "drop_blank_rows",
    "pupil_rows",
    "row_status",
]

_ABSENT = "отсутств"


@dataclass(frozen=True)
class PupilRows:
    """The pupil rows of a ВПР export: the cells of each field as text.

    Attributes
    ----------
    data : DataFrame
        Every cell below the header row, as read (columns 0, 1, …).
    rows : ndarray of int
        The Excel row number of each row.
    school_raw : Series of str
        The school login as written («» when missing).
    school : Series of str
        The canonical school id (missing when there is none).
    pupil, variant, total : Series of str
        Pupil code, variant, the file's total («» when missing or no column).
    task_codes : ndarray of int, shape (rows, tasks)
        For each row and task, the index of its cell's text in ``task_texts``.
    task_texts : ndarray of object
        The distinct texts of the task cells, the last one «» (missing cells).
    """

    data: pd.DataFrame
    rows: np.ndarray
    school_raw: pd.Series
    school: pd.Series
    pupil: pd.Series
    variant: pd.Series
    total: pd.Series
    task_codes: np.ndarray
    task_texts: np.ndarray

    @property
    def task_text(self) -> np.ndarray:
        """The task cells as text, shape (rows, tasks)."""
        return self.task_texts[self.task_codes]

    @property
    def task_empty(self) -> np.ndarray:
        """Whether each task cell is empty, shape (rows, tasks)."""
        return (self.task_texts == "")[self.task_codes]


@dataclass(frozen=True)
class RowStatus:
    """What each pupil row is.

    Attributes
    ----------
    absent : ndarray of bool
        The variant says «отсутствовал»: an absent pupil, no result.
    total : ndarray of float
        The file's total as a number (NaN: none, or not a number).
    has_total, has_task : ndarray of bool
        The row has a total, a task cell.
    empty : ndarray of bool
        Neither variant nor total nor task cell (not absent): not counted.
    writer : ndarray of bool
        Neither absent nor empty: a result, valid or not.
    variant : ndarray of float
        The variant as a number (NaN when it is not one).
    variant_ok : ndarray of bool
        The variant is a positive whole number.
    """

    absent: np.ndarray
    total: np.ndarray
    has_total: np.ndarray
    has_task: np.ndarray
    empty: np.ndarray
    writer: np.ndarray
    variant: np.ndarray
    variant_ok: np.ndarray


def column_text(data: pd.DataFrame, pos: int | None) -> pd.Series:
    """The cells of one column as text; all «» when there is no such column.

    Parameters
    ----------
    data : DataFrame
        Cells as read.
    pos : int or None
        The column's position.

    Returns
    -------
    pandas.Series
        ``str`` cells (:func:`edu_quality.fisoko.common.cells`).
    """
    if pos is None or pos >= data.shape[1]:
        return pd.Series("", index=data.index, dtype="str")
    return cells(data[pos])


def pupil_rows(grid: list[list[Any]], h: int, columns: Columns) -> PupilRows:
    """Stage 2: read the cells of the fields in the rows below the header.

    The school is «Пользователь», else (``protocol``) the login in «Школа»;
    the variant is ``var-1``, else (``codes``) ``var-2``. Rows shorter than
    the header have empty task cells.

    Parameters
    ----------
    grid : list of lists
        The sheet.
    h : int
        The header row (0-based).
    columns : Columns
        From :func:`~edu_quality.fisoko.vpr.layouts.layout_columns`.

    Returns
    -------
    PupilRows

    Examples
    --------
    >>> from edu_quality.fisoko.vpr.layouts import layout_columns
    >>> grid = [["логин школы", "код обучающегося", "вариант", "балл за 1", "балл за 2"],
    ...         ["edu220001", 40001.0, 1, 1, "X"]]
    >>> rows = pupil_rows(grid, 0, layout_columns(grid[0], "ru", "a.xlsx"))
    >>> rows.rows.tolist(), rows.school.tolist(), rows.pupil.tolist(), rows.task_text.tolist()
    ([2], ['sch220001'], ['40001'], [['1', 'X']])
    """
    width = len(columns.headers)
    body = grid[h + 1 :]
    data = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(width))
    school_raw = column_text(data, columns.school)
    if columns.school_name is not None:
        school_raw = school_raw.where(school_raw != "", column_text(data, columns.school_name))
    variant = column_text(data, columns.variant)
    if columns.variant2 is not None:
        variant = variant.where(variant != "", column_text(data, columns.variant2))
    k = len(columns.tasks)
    n = len(data)
    positions = [pos for pos, _ in columns.tasks]
    raw_tasks = (
        data.iloc[:, [p for p in positions if p < data.shape[1]]].to_numpy(dtype=object)
        if n
        else np.empty((0, k), dtype=object)
    )
    if raw_tasks.shape[1] < k:  # short rows
        raw_tasks = np.hstack([raw_tasks, np.full((n, k - raw_tasks.shape[1]), None)])
    codes, texts = factor(raw_tasks.reshape(-1))
    return PupilRows(
        data=data,
        rows=np.arange(h + 2, h + 2 + n),
        school_raw=school_raw,
        school=canonical_school_id(school_raw),
        pupil=column_text(data, columns.pupil),
        variant=variant,
        total=column_text(data, columns.total),
        task_codes=codes.reshape(n, k),
        task_texts=np.asarray([*texts, ""], dtype=object),
    )


def drop_blank_rows(rows: PupilRows) -> PupilRows:
    """Stage 3: drop the layout rows, with nothing at all in the fields read.

    Parameters
    ----------
    rows : PupilRows

    Returns
    -------
    PupilRows
        The other rows, with their Excel row numbers.
    """
    blank = (
        (rows.school_raw == "") & (rows.pupil == "") & (rows.variant == "") & (rows.total == "")
    ).to_numpy() & rows.task_empty.all(axis=1)
    if not blank.any():
        return rows
    keep = ~blank

    def kept(s: pd.Series | pd.DataFrame) -> pd.Series | pd.DataFrame:
        return s.loc[keep].reset_index(drop=True)

    return replace(
        rows,
        data=kept(rows.data),
        rows=rows.rows[keep],
        school_raw=kept(rows.school_raw),
        school=kept(rows.school),
        pupil=kept(rows.pupil),
        variant=kept(rows.variant),
        total=kept(rows.total),
        task_codes=rows.task_codes[keep],
    )


def row_status(rows: PupilRows) -> RowStatus:
    """Stage 6: tell absent pupils, empty rows and results apart.

    Parameters
    ----------
    rows : PupilRows

    Returns
    -------
    RowStatus

    Examples
    --------
    >>> from edu_quality.fisoko.vpr.layouts import layout_columns
    >>> grid = [["логин школы", "код обучающегося", "вариант", "балл за 1"],
    ...         ["sch1", "1", "1", "1"], ["sch1", "2", "отсутствовал", None],
    ...         ["sch1", "3", None, None], ["sch1", "4", "0", "1"]]
    >>> s = row_status(pupil_rows(grid, 0, layout_columns(grid[0], "ru", "a.xlsx")))
    >>> s.absent.tolist(), s.empty.tolist()
    ([False, True, False, False], [False, False, True, False])
    >>> s.writer.tolist(), s.variant_ok.tolist()
    ([True, False, False, True], [True, False, False, False])
    """
    absent = rows.variant.str.lower().str.startswith(_ABSENT).to_numpy()
    total = numbers(rows.total, comma=True)
    has_total = (rows.total != "").to_numpy()
    n, k = rows.task_codes.shape
    has_task = ~rows.task_empty.all(axis=1) if k else np.zeros(n, bool)
    empty = ~absent & (rows.variant == "").to_numpy() & ~has_total & ~has_task
    variant = numbers(rows.variant)
    return RowStatus(
        absent=absent,
        total=total,
        has_total=has_total,
        has_task=has_task,
        empty=empty,
        writer=~absent & ~empty,
        variant=variant,
        variant_ok=~np.isnan(variant) & (variant >= 1) & (variant % 1 == 0),
    )

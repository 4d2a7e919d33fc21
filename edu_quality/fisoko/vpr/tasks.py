"""The task cells of a ВПР export: what each cell says, the maximum of each task, the scores.

Stages 7–9 of the parser: :func:`classify_task_cells` reads each distinct
cell once (a score, «X», «не пройд.», or unreadable), :func:`task_maxima`
takes the maxima of the tasks from the headers, the user or the data (rule
«Task maxima» of :mod:`edu_quality.fisoko.vpr`), :func:`score_tasks` gives
each cell its score and each row the sum of its tasks (rule «Scores»).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...errors import DataError
from .layouts import Columns
from .rows import PupilRows
from .work import Work

__all__ = [
    "Maxima",
    "TaskCells",
    "TaskScores",
    "classify_task_cells",
    "score_tasks",
    "task_maxima",
]

#: A score given to fewer than this share of the pupils is no maximum (a typo) …
_INFER_SHARE = 0.005
#: … when at least this many pupils have a score for the task.
_INFER_MIN_PUPILS = 1000


@dataclass(frozen=True)
class TaskCells:
    """What each task cell says; arrays of shape (rows, tasks).

    Attributes
    ----------
    number : ndarray of float
        The cell as a number (NaN when it is not one).
    valid : ndarray of bool
        A whole number ≥ 0.
    junk : ndarray of bool
        Not empty and neither a score, «X» nor «не пройд.».
    not_tried : ndarray of bool
        «X»: the task was not attempted.
    not_studied : ndarray of bool
        «не пройд.» («н/п»): the topic was not studied.
    """

    number: np.ndarray
    valid: np.ndarray
    junk: np.ndarray
    not_tried: np.ndarray
    not_studied: np.ndarray


@dataclass(frozen=True)
class Maxima:
    """The maximum score of each task.

    Attributes
    ----------
    top : ndarray of float
        One per task.
    source : str
        Where they come from: «заголовки», «параметр» or «данные».
    """

    top: np.ndarray
    source: str


@dataclass(frozen=True)
class TaskScores:
    """The scores of the task cells.

    Attributes
    ----------
    value : ndarray of float, shape (rows, tasks)
        The score (0 for «X» and «не пройд.»; NaN: none, or not counted).
    note : ndarray of int8, shape (rows, tasks)
        1 «X», 2 «не пройд.», else 0.
    over : ndarray of bool, shape (rows, tasks)
        A whole number above the task's maximum.
    bad : ndarray of bool, shape (rows, tasks)
        Unreadable or above the maximum: not counted.
    computed : ndarray of float, shape (rows,)
        The sum of the row's task scores (NaN when it has none).
    """

    value: np.ndarray
    note: np.ndarray
    over: np.ndarray
    bad: np.ndarray
    computed: np.ndarray


def classify_task_cells(rows: PupilRows) -> TaskCells:
    """Stage 7: tell what each task cell says, reading each distinct text once.

    Parameters
    ----------
    rows : PupilRows

    Returns
    -------
    TaskCells

    Examples
    --------
    >>> from edu_quality.fisoko.vpr.layouts import layout_columns
    >>> from edu_quality.fisoko.vpr.rows import pupil_rows
    >>> head = ["логин школы", "код обучающегося", "вариант", "балл за 1", "балл за 2", "балл за 3"]
    >>> grid = [head, ["sch1", "1", "1", 2, "Х", "не пройд."], ["sch1", "2", "1", "?", 1, None]]
    >>> c = classify_task_cells(pupil_rows(grid, 0, layout_columns(grid[0], "ru", "a.xlsx")))
    >>> c.valid.tolist(), c.junk.tolist()
    ([[True, False, False], [False, True, False]], [[False, False, False], [True, False, False]])
    >>> c.not_tried.tolist(), c.not_studied.tolist()
    ([[False, True, False], [False, False, False]], [[False, False, True], [False, False, False]])
    """
    u = pd.Series(rows.task_texts, dtype="str")
    ulow = u.str.lower()
    unum = pd.to_numeric(u.str.replace(",", ".", regex=False), errors="coerce").to_numpy()
    u_x = ulow.isin(("x", "х")).to_numpy()
    u_np = (ulow.str.startswith("не пройд") | ulow.isin(("н/п", "нп"))).to_numpy()
    u_valid = ~np.isnan(unum) & (unum >= 0) & (unum % 1 == 0)
    u_junk = (u != "").to_numpy() & ~u_x & ~u_np & ~u_valid
    codes = rows.task_codes
    return TaskCells(
        number=unum[codes],
        valid=u_valid[codes],
        junk=u_junk[codes],
        not_tried=u_x[codes],
        not_studied=u_np[codes],
    )


def task_maxima(
    columns: Columns,
    cells: TaskCells,
    writer: np.ndarray,
    task_max: Sequence[int] | None,
    work: Work,
    work_max: int,
    file: str,
) -> tuple[Maxima, list[str]]:
    """Stage 8: the maximum of each task.

    From the headers (``protocol``), else from ``task_max``, else from the
    scores of the rows of results: the largest score given to at least 0.5 %
    of the pupils with a score for the task (the largest given for fewer
    than 1 000 pupils).

    Parameters
    ----------
    columns : Columns
        The task columns and their maxima in the headers.
    cells : TaskCells
    writer : ndarray of bool
        The rows of results (:class:`~edu_quality.fisoko.vpr.rows.RowStatus`).
    task_max : sequence of int or None
        The user's maxima.
    work : Work
    work_max : int
        The top of the work's scale.
    file : str
        File name for the messages.

    Returns
    -------
    maxima : Maxima
    notes : list of str
        Maxima from the data that do not sum to the top of the scale.

    Raises
    ------
    DataError
        ``task_max`` has not one value per task, or the maxima of the headers
        do not sum to the top of the scale.
    """
    k = len(columns.tasks)
    notes: list[str] = []
    if columns.header_max is not None:
        top = np.asarray(columns.header_max, dtype=float)
        source = "заголовки"
    elif task_max is not None:
        if len(task_max) != k:
            raise DataError(
                file, f"параметр task_max: {len(task_max)} значений, а заданий в файле {k}"
            )
        top = np.asarray(task_max, dtype=float)
        source = "параметр"
    else:
        top = _inferred_maxima(cells, writer)
        source = "данные"
        if top.sum() != work_max:
            notes.append(
                f"максимумы заданий выведены из данных (сумма {top.sum():g}) и не "
                f"совпадают с максимумом шкалы ({work_max})"
            )
    if columns.header_max is not None and top.sum() != work_max:
        raise DataError(
            file,
            f"шкала не подходит к работе: по шкале максимум {work_max} "
            f"баллов, по заданиям файла {top.sum():g} (ВПР {work.year}, "
            f"«{work.subject}», {work.work_grade} класс)",
        )
    return Maxima(top, source), notes


def _inferred_maxima(cells: TaskCells, writer: np.ndarray) -> np.ndarray:
    """The largest score of each task that is no rare typo (see :func:`task_maxima`)."""
    k = cells.number.shape[1]
    top = np.zeros(k)
    for j in range(k):
        v = cells.number[writer & cells.valid[:, j], j].astype("int64")
        if len(v) == 0:
            continue
        counts = np.bincount(v)
        if len(v) >= _INFER_MIN_PUPILS:
            ok = np.flatnonzero(counts >= _INFER_SHARE * len(v))
            top[j] = ok.max() if len(ok) else v.max()
        else:
            top[j] = v.max()
    return top


def score_tasks(cells: TaskCells, top: np.ndarray) -> TaskScores:
    """Stage 9: the score of each task cell and the sum of each row's tasks.

    «X» and «не пройд.» score 0; a score above the maximum and an unreadable
    cell are not counted.

    Parameters
    ----------
    cells : TaskCells
    top : ndarray of float
        The maximum of each task.

    Returns
    -------
    TaskScores

    Examples
    --------
    >>> n = np.array([[1.0, np.nan, 3.0]])
    >>> cells = TaskCells(n, ~np.isnan(n), np.zeros((1, 3), bool),
    ...                   np.array([[False, True, False]]), np.zeros((1, 3), bool))
    >>> s = score_tasks(cells, np.array([1.0, 1.0, 2.0]))
    >>> s.value.tolist(), s.note.tolist(), s.over.tolist(), s.computed.tolist()
    ([[1.0, 0.0, nan]], [[0, 1, 0]], [[False, False, True]], [1.0])
    """
    over = cells.valid & (cells.number > top[None, :])
    value = np.where(cells.valid & ~over, cells.number, np.nan)
    value = np.where(cells.not_tried | cells.not_studied, 0.0, value)
    note = np.where(cells.not_tried, 1, np.where(cells.not_studied, 2, 0)).astype("int8")
    scored = ~np.isnan(value)
    computed = np.where(scored.any(axis=1), np.nansum(np.where(scored, value, 0.0), axis=1), np.nan)
    return TaskScores(value=value, note=note, over=over, bad=cells.junk | over, computed=computed)

"""The primary score of each row of a ВПР export, and the errors of scores.

Stage 10 of the parser (rule «Scores» of :mod:`edu_quality.fisoko.vpr`): the
score is the file's total (:func:`file_scores`), or the sum of the task
scores when a row has none, and always in the ``protocol`` layout
(:func:`protocol_scores`). Remarks on totals are notes of the data-quality
report; an unreadable total or task cell is a result error (``protocol``)
or a warning (the task cells of ``ru`` and ``codes``). :func:`score_errors`
then refuses scores above the top of the scale and results without a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..common import NOTE, WARNING, QualityReport
from .layouts import Columns
from .result_errors import ResultErrors
from .rows import PupilRows, RowStatus
from .tasks import Maxima, TaskScores
from .work import Work

__all__ = ["Scores", "file_scores", "protocol_scores", "score_errors"]


@dataclass(frozen=True)
class Scores:
    """The primary score of every row.

    Attributes
    ----------
    score : ndarray of float
        NaN when there is none (or it is unreadable).
    shown : ndarray of object
        The score as an error message shows it.
    header : str
        The header of the total («всего баллов» when the file has none).
    """

    score: np.ndarray
    shown: np.ndarray
    header: str


def protocol_scores(
    errors: ResultErrors,
    q: QualityReport,
    rows: PupilRows,
    status: RowStatus,
    columns: Columns,
    tasks: TaskScores,
    maxima: Maxima,
) -> Scores:
    """Stage 10 (``protocol``): the score is the sum of the task scores.

    A total in the file that differs is a note; a task cell that is
    unreadable or above the maximum of its header is a result error.

    Parameters
    ----------
    errors : ResultErrors
        Receives the errors of task cells.
    q : QualityReport
        Receives the notes.
    rows : PupilRows
    status : RowStatus
    columns : Columns
    tasks : TaskScores
    maxima : Maxima

    Returns
    -------
    Scores
    """
    header = columns.total_header
    ttext = rows.total.to_numpy(dtype=object)
    school = rows.school.to_numpy(dtype=object)
    computed = tasks.computed
    score = computed.copy()
    tval = np.where(status.has_total, status.total, np.nan)
    diff = status.writer & ~np.isnan(tval) & ~np.isnan(computed) & (tval != computed)
    if diff.any():
        q.add(
            rows.rows[diff],
            header,
            ttext[diff],
            [
                f"итог в файле ({t:g}) не совпадает с суммой баллов за задания ({c:g})"
                for t, c in zip(tval[diff], computed[diff], strict=True)
            ],
            "взята сумма баллов за задания",
            NOTE,
            school[diff],
        )
    text = rows.task_text
    for j, (label, column) in enumerate(zip(columns.labels, columns.task_headers, strict=True)):
        top = maxima.top[j]
        errors.add(
            tasks.bad[:, j],
            column,
            text[:, j],
            lambda v, label=label, top=top: (
                f"балл «{v}» за задание {label} не распознан или больше максимума {top:g}"
            ),
            impossible="total",
        )
    shown = np.array([f"{v:g}" if not np.isnan(v) else "" for v in score], dtype=object)
    return Scores(score, shown, header)


def file_scores(
    errors: ResultErrors,
    q: QualityReport,
    rows: PupilRows,
    status: RowStatus,
    columns: Columns,
    tasks: TaskScores,
    maxima: Maxima,
) -> Scores:
    """Stage 10 (``ru``, ``codes``): the score is the file's total, else the sum of the tasks.

    A total that is not a whole number ≥ 0 is a result error. A total
    computed from the tasks, or one that differs from their sum, is a note;
    an unreadable task cell or one above the task's maximum is a warning.

    Parameters
    ----------
    errors : ResultErrors
        Receives the errors of totals.
    q : QualityReport
        Receives the notes and warnings.
    rows : PupilRows
    status : RowStatus
    columns : Columns
    tasks : TaskScores
    maxima : Maxima

    Returns
    -------
    Scores
    """
    header = columns.total_header
    ttext = rows.total.to_numpy(dtype=object)
    school = rows.school.to_numpy(dtype=object)
    total, has_total, writer = status.total, status.has_total, status.writer
    computed = tasks.computed
    bad_total = has_total & (np.isnan(total) | (total < 0) | (total % 1 != 0))
    errors.add(
        bad_total,
        header,
        ttext,
        lambda v: f"балл «{v}» не распознан: ожидается целое число ≥ 0",
        impossible="total",
    )
    score = np.where(has_total & ~bad_total, total, np.nan)
    fill = writer & ~has_total & ~np.isnan(computed)
    if fill.any():
        score = np.where(fill, computed, score)
        q.add(
            rows.rows[fill],
            header,
            np.full(fill.sum(), "", dtype=object),
            "нет итогового балла",
            "итог вычислен по заданиям",
            NOTE,
            school[fill],
        )
    diff = writer & has_total & ~bad_total & ~np.isnan(computed) & (computed != total)
    diff &= ~tasks.bad.any(axis=1)
    if diff.any():
        q.add(
            rows.rows[diff],
            header,
            ttext[diff],
            [
                f"сумма баллов за задания ({c:g}) не совпадает с итогом ({t:g})"
                for c, t in zip(computed[diff], total[diff], strict=True)
            ],
            "оставлен итог файла",
            NOTE,
            school[diff],
        )
    _task_warnings(q, rows, writer, columns, tasks, maxima)
    shown = ttext.copy()
    shown[fill] = [f"{v:g}" for v in score[fill]]
    return Scores(score, shown, header)


def _task_warnings(
    q: QualityReport,
    rows: PupilRows,
    writer: np.ndarray,
    columns: Columns,
    tasks: TaskScores,
    maxima: Maxima,
) -> None:
    """A warning per task cell of a result that is unreadable or above the task's maximum."""
    school = rows.school.to_numpy(dtype=object)
    labels, headers = columns.labels, columns.task_headers
    text = rows.task_text
    for j in np.flatnonzero((tasks.bad & writer[:, None]).any(axis=0)):
        mask = tasks.bad[:, j] & writer
        vals = text[mask, j]
        probs = [
            f"балл «{v}» за задание {labels[j]} больше максимума {maxima.top[j]:g}"
            if o
            else f"балл «{v}» за задание {labels[j]} не распознан"
            for v, o in zip(vals, tasks.over[mask, j], strict=True)
        ]
        q.add(
            rows.rows[mask],
            headers[j],
            vals,
            probs,
            "балл за задание не учтён",
            WARNING,
            school[mask],
        )


def score_errors(
    errors: ResultErrors,
    rows: PupilRows,
    status: RowStatus,
    scores: Scores,
    work: Work,
    work_max: int,
) -> None:
    """Stage 10: result errors of the score, above the top of the scale or none at all.

    Parameters
    ----------
    errors : ResultErrors
        Receives the errors; a result with an error already is not said to
        have no score.
    rows : PupilRows
    status : RowStatus
    scores : Scores
    work : Work
    work_max : int
        The top of the work's scale.
    """
    over_max = ~np.isnan(scores.score) & (scores.score > work_max)
    errors.add(
        over_max,
        scores.header,
        scores.shown,
        lambda v: (
            f"балл {v} больше максимума {work_max} (ВПР {work.year}, «{work.subject}», "
            f"{work.work_grade} класс)"
        ),
        impossible="over_max",
    )
    errors.add(
        status.variant_ok & np.isnan(scores.score) & ~errors.mask,
        scores.header,
        rows.total.to_numpy(dtype=object),
        "нет баллов за работу",
    )

"""Secondary fields of a ВПР export (journal mark, gender) and remarks on rows that are no results.

Stage 11 of the parser. An unreadable secondary field does not stop the load
(rule «Invalid values» of :mod:`edu_quality.fisoko.vpr`): the value becomes
missing and the cell is a warning of the data-quality report
(:func:`secondary_fields`). :func:`row_remarks` notes absent pupils with
scores, warns of rows with neither variant nor score, and notes values in
columns after the tasks of the work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ...marks import parse_marks
from ..common import NOTE, WARNING, QualityReport
from .layouts import Columns
from .rows import PupilRows, RowStatus, column_text

__all__ = ["Fields", "row_remarks", "secondary_fields"]

_GENDER = {
    "м": "м",
    "муж": "м",
    "мужской": "м",
    "m": "м",
    "ж": "ж",
    "жен": "ж",
    "женский": "ж",
    "f": "ж",
}


@dataclass(frozen=True)
class Fields:
    """The secondary fields of every row.

    Attributes
    ----------
    journal : ndarray of float
        The journal mark, 2–5 (NaN: none, or not one of them).
    journal_header : str
        Its header («отметка по журналу» when the file has none).
    gender : Series
        «м», «ж» or missing.
    """

    journal: np.ndarray
    journal_header: str
    gender: pd.Series


def secondary_fields(
    rows: PupilRows, columns: Columns, writer: np.ndarray, q: QualityReport
) -> Fields:
    """Stage 11: read the journal marks and the genders; warn of unreadable ones.

    Parameters
    ----------
    rows : PupilRows
    columns : Columns
    writer : ndarray of bool
        The rows of results: only their cells are reported.
    q : QualityReport
        Receives a warning per unreadable cell.

    Returns
    -------
    Fields

    Examples
    --------
    >>> from edu_quality.fisoko.vpr.layouts import layout_columns
    >>> from edu_quality.fisoko.vpr.rows import pupil_rows
    >>> grid = [["логин школы", "код обучающегося", "вариант", "пол",
    ...          "отметка за предыдущую четверть/триместр", "балл за 1"],
    ...         ["sch1", "1", "1", "Ж.", "5", 1], ["sch1", "2", "1", "м", "8", 1]]
    >>> columns = layout_columns(grid[0], "ru", "a.xlsx")
    >>> q = QualityReport("a.xlsx")
    >>> f = secondary_fields(pupil_rows(grid, 0, columns), columns, np.array([True, True]), q)
    >>> f.journal.tolist(), f.gender.tolist()
    ([5.0, nan], ['ж', 'м'])
    >>> q.frame()[["row", "value", "severity"]].values.tolist()
    [[3, '8', 'предупреждение']]
    """
    school = rows.school.to_numpy(dtype=object)
    jm_text = column_text(rows.data, columns.journal)
    jm_values, jm_missing, _ = parse_marks(jm_text)
    jm, jm_missing = jm_values.to_numpy(), jm_missing.to_numpy()
    jm_bad = ~jm_missing & ~np.isin(jm, (2, 3, 4, 5)) & writer
    jm = np.where(jm_bad | jm_missing, np.nan, jm)
    jm_header = (
        columns.headers[columns.journal] if columns.journal is not None else "отметка по журналу"
    )
    if jm_bad.any():
        vals = jm_text.to_numpy(dtype=object)[jm_bad]
        q.add(
            rows.rows[jm_bad],
            jm_header,
            vals,
            [
                f"отметка по журналу «{v}» не распознана (ожидается 2–5 или «нет отметки»)"
                for v in vals
            ],
            "поле оставлено пустым, результат сохранён",
            WARNING,
            school[jm_bad],
        )
    g_text = column_text(rows.data, columns.gender)
    g_low = g_text.str.lower().str.rstrip(".").str.strip()
    gender = g_low.map(_GENDER)
    g_bad = (g_low != "").to_numpy() & gender.isna().to_numpy() & writer
    if g_bad.any():
        vals = g_text.to_numpy(dtype=object)[g_bad]
        q.add(
            rows.rows[g_bad],
            columns.headers[columns.gender],
            vals,
            [f"пол «{v}» не распознан (ожидается «м» или «ж»)" for v in vals],
            "поле оставлено пустым, результат сохранён",
            WARNING,
            school[g_bad],
        )
    return Fields(jm, jm_header, gender)


def row_remarks(q: QualityReport, rows: PupilRows, columns: Columns, status: RowStatus) -> None:
    """Stage 11: remarks on the rows that are no results, and on columns not read.

    An absent pupil with scores is a note (the scores are not counted); a row
    with neither variant nor score is a warning (not counted); values in a
    task column after the tasks of the work (``codes``) are a note.

    Parameters
    ----------
    q : QualityReport
        Receives the remarks.
    rows : PupilRows
    columns : Columns
    status : RowStatus
    """
    school = rows.school.to_numpy(dtype=object)
    var_header = columns.headers[columns.variant]
    vtext = rows.variant.to_numpy(dtype=object)
    absent_data = status.absent & (
        status.has_task | (status.has_total & (np.nan_to_num(status.total) > 0))
    )
    if absent_data.any():
        q.add(
            rows.rows[absent_data],
            var_header,
            vtext[absent_data],
            "отмечен как отсутствовавший, но в строке есть баллы",
            "баллы не учтены",
            NOTE,
            school[absent_data],
        )
    empty = status.empty
    if empty.any():
        q.add(
            rows.rows[empty],
            var_header,
            np.full(empty.sum(), "", dtype=object),
            "нет ни варианта, ни баллов",
            "строка не учтена",
            WARNING,
            school[empty],
        )
    for pos in columns.stray:
        filled = (column_text(rows.data, pos) != "").to_numpy() & status.writer
        if filled.any():
            q.note(
                f"{int(filled.sum())} знач. в столбце после заданий работы — не учтены",
                columns.headers[pos],
                "",
            )

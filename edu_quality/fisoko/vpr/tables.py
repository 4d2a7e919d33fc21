"""The tables of a ВПР export read: results, absent pupils per school, per-task scores.

Stage 13, the last of the parser: :func:`vpr_tables` builds
:class:`FisOkoVpr` from what the stages found (:class:`Parsed`) — the
participants' canonical results with their marks (rule «Marks» of
:mod:`edu_quality.fisoko.vpr`), pseudonymised when asked
(:func:`participant_ids`), the absent pupils per school
(:func:`absent_table`) and the per-task scores (:func:`task_table`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...exam_years import SPRING
from ...privacy import key_for, pseudonymize
from ...scales import score_to_mark
from ...schema import RESULTS_PUPILS, dtype_of
from ..common import WARNING
from .fields import Fields
from .layouts import Columns
from .protocols import UnreliableProtocols, unreliable_columns
from .rows import PupilRows, RowStatus
from .scores import Scores
from .tasks import Maxima, TaskScores
from .work import Work, WorkScale

__all__ = [
    "FisOkoVpr",
    "Parsed",
    "absent_table",
    "participant_ids",
    "repeated_categorical",
    "results_table",
    "task_table",
    "vpr_tables",
]

_NOTES = {1: "не приступал", 2: "тема не пройдена"}


@dataclass(frozen=True)
class FisOkoVpr:
    """One ФИС ОКО ВПР export, read.

    Attributes
    ----------
    results : DataFrame
        Canonical pupil-level results (:data:`edu_quality.schema.RESULTS_PUPILS`),
        participants only: ``year``, ``assessment`` («ВПР»), ``subject``,
        ``grade`` (the pupils' grade), ``school_id`` (``sch…``), ``pupil_id``
        (the pupil code, unique within the school), ``score`` (primary score),
        ``mark`` (2–5, from the scale), ``journal_mark`` (2–5 or missing),
        ``level``, ``admitted`` (empty), ``work_grade`` (the grade of the
        work), and ``variant``, ``gender`` (м / ж). ``attrs``: ``kind``
        («pupils»), ``file``, ``layout``, ``absent`` (count), ``notes``,
        ``quality``.
    tasks : DataFrame
        One row per participant and task with a score: ``year``, ``session``,
        ``subject``, ``grade``, ``work_grade``, ``school_id``, ``pupil_id``, ``task_no``
        (position 1, 2, … in the work), ``task`` (the label in the file: the
        number in ``ru``/``codes``, «5(1)» in ``protocol``), ``score``,
        ``max_score``, ``note`` («не приступал», «тема не пройдена» or
        missing). String columns are categorical.
    quality : DataFrame
        The data-quality report, columns
        :data:`~edu_quality.fisoko.common.QUALITY_COLUMNS`: ``file``,
        ``row`` (Excel row; missing for notes on the whole file), ``column``
        (header in the file), ``value``, ``problem``, ``action`` (what was
        done), ``severity`` (ошибка / предупреждение / примечание),
        ``school_id``.
    absent : DataFrame
        Absent pupils per school: ``year``, ``assessment``, ``subject``,
        ``grade``, ``work_grade``, ``school_id``, ``absent`` (and ``session``).
    file, layout : str
        File name and layout (:data:`~edu_quality.fisoko.vpr.layouts.LAYOUTS`).
    year, grade, work_grade : int
        ``year``: the school year (autumn 2020 is 2021).
    subject : str
    session : str
        «осень» (autumn 2020) or «весна».
    notes : tuple of str
        Remarks on the whole file (also in ``quality`` as «примечание»).
    counts : dict
        ``rows`` (pupil rows), ``participants``, ``absent``, ``empty`` (rows
        with neither variant nor score), ``excluded`` (results with errors
        left out), ``schools`` (schools with participants), ``warnings``,
        ``unreliable_protocols`` (schools whose protocol has an impossible
        total), ``unreliable_rows`` (their results kept, marked ``unreliable``).
    """

    results: pd.DataFrame
    tasks: pd.DataFrame
    quality: pd.DataFrame
    absent: pd.DataFrame
    file: str
    layout: str
    year: int
    subject: str
    grade: int
    work_grade: int
    session: str = SPRING
    notes: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    source_rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=int), repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Parsed:
    """What the stages of the parser found: the state the tables are built from.

    Attributes
    ----------
    file, layout : str
    columns : Columns
    rows : PupilRows
    work : Work
    scale : WorkScale
    status : RowStatus
    maxima : Maxima
    tasks : TaskScores
    scores : Scores
    fields : Fields
    excluded : ndarray of bool
        The rows with a result error (left out of the participants).
    quality : DataFrame
        The data-quality report.
    notes : tuple of str
        Remarks on the whole file.
    protocols : UnreliableProtocols, optional
        The schools whose protocol is unreliable, and the reason of each row.
    """

    file: str
    layout: str
    columns: Columns
    rows: PupilRows
    work: Work
    scale: WorkScale
    status: RowStatus
    maxima: Maxima
    tasks: TaskScores
    scores: Scores
    fields: Fields
    excluded: np.ndarray
    quality: pd.DataFrame
    notes: tuple[str, ...]
    protocols: UnreliableProtocols | None = None


def vpr_tables(parsed: Parsed, pseudonymize_ids: bool | str | None = None) -> FisOkoVpr:
    """Stage 13: the tables of the export.

    Parameters
    ----------
    parsed : Parsed
    pseudonymize_ids : bool or str, optional
        As in :func:`edu_quality.read_results` (see :func:`participant_ids`).

    Returns
    -------
    FisOkoVpr
    """
    p = parsed
    status = p.status
    idx = np.flatnonzero(status.writer & ~p.excluded)
    results = results_table(p, idx, participant_ids(p.rows.pupil, idx, pseudonymize_ids, p.file))
    absent = absent_table(p.work, p.rows.school, status.absent)
    tasks = task_table(
        p.tasks.value[idx], p.tasks.note[idx], p.maxima.top, p.columns.labels, results, p.work
    )
    counts = {
        "rows": len(p.rows.rows),
        "participants": len(idx),
        "absent": int(status.absent.sum()),
        "empty": int(status.empty.sum()),
        "excluded": int((status.writer & p.excluded).sum()),
        "schools": int(results["school_id"].nunique()),
        "warnings": int((p.quality["severity"] == WARNING).sum()),
        "unreliable_protocols": len(p.protocols.schools) if p.protocols else 0,
        "unreliable_rows": p.protocols.rows if p.protocols else 0,
    }
    results.attrs = {
        "kind": "pupils",
        "file": p.file,
        "layout": p.layout,
        "absent": counts["absent"],
        "notes": p.notes,
        "quality": p.quality,
        "task_max_from": p.maxima.source,
    }
    columns = p.columns
    headers = {
        "school_id": columns.headers[columns.school],
        "pupil_id": columns.headers[columns.pupil],
        "score": p.scores.header,
        "journal_mark": p.fields.journal_header,
        "variant": columns.headers[columns.variant],
    }
    return FisOkoVpr(
        results=results,
        tasks=tasks,
        quality=p.quality,
        absent=absent,
        file=p.file,
        layout=p.layout,
        year=int(p.work.year),
        subject=p.work.subject,
        grade=int(p.work.grade),
        work_grade=int(p.work.work_grade),
        session=p.work.session,
        notes=p.notes,
        counts=counts,
        source_rows=p.rows.rows[idx],
        headers=headers,
    )


def participant_ids(
    pupil: pd.Series, idx: np.ndarray, pseudonymize_ids: bool | str | None, file: str
) -> pd.Series:
    """The pupil codes of the participants, pseudonymised when asked.

    Parameters
    ----------
    pupil : Series of str
        Every row's pupil code.
    idx : ndarray of int
        The participants' rows.
    pseudonymize_ids : bool or str, optional
        True: with the key of the environment (an error without one); a
        string: with that key; None: with the environment's key if it is set;
        False: never.
    file : str
        File name for the message.

    Returns
    -------
    pandas.Series
        ``str`` ids, index 0, 1, …

    Raises
    ------
    DataError
        ``pseudonymize_ids=True`` and no key set.

    Examples
    --------
    >>> participant_ids(pd.Series(["40001", "40002"]), np.array([1]), False, "a.xlsx").tolist()
    ['40002']
    """
    pkey = key_for(pseudonymize_ids, file)
    ids = pd.Series(pupil.to_numpy(dtype=object)[idx], dtype="str")
    if pkey is not None:
        ids = pseudonymize(ids, pkey).astype("str")
    return ids


def results_table(parsed: Parsed, idx: np.ndarray, pupil_ids: pd.Series) -> pd.DataFrame:
    """The participants' canonical results, with the mark of the work's scale.

    Parameters
    ----------
    parsed : Parsed
    idx : ndarray of int
        The participants' rows.
    pupil_ids : Series of str
        Their ids (:func:`participant_ids`).

    Returns
    -------
    pandas.DataFrame
        Columns of :data:`edu_quality.schema.RESULTS_PUPILS` in their dtypes,
        ``mark`` from :func:`edu_quality.scales.score_to_mark`.
    """
    p = parsed
    m = len(idx)
    work, status = p.work, p.status
    results = pd.DataFrame(
        {
            "year": np.full(m, work.year, dtype="int64"),
            "assessment": pd.Series(["ВПР"] * m, dtype="str"),
            "subject": pd.Series([work.subject] * m, dtype="str"),
            "grade": np.full(m, work.grade, dtype="int64"),
            "school_id": pd.Series(p.rows.school.to_numpy(dtype=object)[idx], dtype="str"),
            "pupil_id": pupil_ids,
            "score": p.scores.score[idx].astype("float64"),
            "mark": pd.array([pd.NA] * m, dtype="Int64"),
            "journal_mark": pd.array(p.fields.journal[idx], dtype="Float64").astype("Int64"),
            "level": pd.Series([None] * m, dtype="str"),
            "admitted": pd.array([pd.NA] * m, dtype="boolean"),
            "work_grade": pd.array(np.full(m, work.work_grade), dtype="Int64"),
            "session": pd.Series([work.session] * m, dtype="str"),
            "variant": pd.array(
                np.where(status.variant_ok, status.variant, np.nan)[idx], dtype="Float64"
            ).astype("Int64"),
            "gender": pd.Series(p.fields.gender.to_numpy(dtype=object)[idx], dtype="str"),
            **unreliable_columns(p.protocols, idx),
        }
    )
    for col in RESULTS_PUPILS.columns:  # canonical dtypes
        results[col.name] = results[col.name].astype(dtype_of(col))
    return score_to_mark(results, p.scale.table, file=p.file)


def absent_table(work: Work, school: pd.Series, absent: np.ndarray) -> pd.DataFrame:
    """The absent pupils per school.

    Parameters
    ----------
    work : Work
    school : Series
        Every row's school id.
    absent : ndarray of bool
        The rows of absent pupils.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``session``, ``assessment``, ``subject``, ``grade``,
        ``work_grade``, ``school_id``, ``absent``: one row per school with an
        absent pupil.

    Examples
    --------
    >>> t = absent_table(Work(2021, "Математика", 4, 4), pd.Series(["s1", "s2", "s1"]),
    ...                  np.array([True, False, True]))
    >>> t[["school_id", "absent"]].values.tolist()
    [['s1', 2]]
    """
    out = (
        pd.DataFrame({"school_id": school.to_numpy(dtype=object)[absent]})
        .dropna()
        .groupby("school_id", sort=True)
        .size()
        .rename("absent")
        .reset_index()
    )
    out.insert(0, "year", work.year)
    out.insert(1, "session", work.session)
    out.insert(2, "assessment", "ВПР")
    out.insert(3, "subject", work.subject)
    out.insert(4, "grade", work.grade)
    out.insert(5, "work_grade", work.work_grade)
    return out.astype(
        {
            "year": "int64",
            "session": "str",
            "assessment": "str",
            "subject": "str",
            "grade": "int64",
            "work_grade": "int64",
            "school_id": "str",
            "absent": "int64",
        }
    )


def repeated_categorical(values: np.ndarray, take: np.ndarray) -> pd.Categorical:
    """``pd.Categorical(values[take])``, built from the distinct values, not the repeated ones.

    The same categorical (categories sorted, those not taken left out, missing
    values as code −1), made by coding ``values`` once and taking the codes:
    a task table repeats each participant's ids once per task, and coding the
    repeated strings took most of its time.

    Examples
    --------
    >>> c = repeated_categorical(np.array(["b", "a", None, "c"], dtype=object), np.array([0, 0, 1, 2]))
    >>> list(c), list(c.categories)
    (['b', 'b', 'a', nan], ['a', 'b'])
    """
    if not len(take) or not len(values):
        return pd.Categorical(values[take])
    distinct = pd.Categorical(values)
    codes = distinct.codes[take]
    # the categories taken, counted (not sorted, as remove_unused_categories does)
    used = np.bincount(codes[codes >= 0], minlength=len(distinct.categories)) > 0
    if used.all():
        return pd.Categorical.from_codes(codes, dtype=distinct.dtype)
    renumber = np.full(len(used) + 1, -1, dtype=np.int64)  # the last one: missing (−1) stays −1
    renumber[:-1][used] = np.arange(int(used.sum()))
    return pd.Categorical.from_codes(
        renumber[codes], dtype=pd.CategoricalDtype(distinct.categories[used], ordered=False)
    )


def task_table(
    value: np.ndarray,
    note: np.ndarray,
    top: np.ndarray,
    labels: list[str],
    results: pd.DataFrame,
    work: Work,
) -> pd.DataFrame:
    """One row per participant and task with a score.

    Parameters
    ----------
    value, note : ndarray, shape (participants, tasks)
        Scores and their notes (:class:`~edu_quality.fisoko.vpr.tasks.TaskScores`),
        participants' rows only.
    top : ndarray
        The maximum of each task.
    labels : list of str
        The label of each task (made unique with «#position» when two are the same).
    results : DataFrame
        The participants' results, same order (their ``school_id`` and ``pupil_id``).
    work : Work

    Returns
    -------
    pandas.DataFrame
        See :attr:`FisOkoVpr.tasks`.

    Examples
    --------
    >>> results = pd.DataFrame({"school_id": ["s1"], "pupil_id": ["p1"]})
    >>> t = task_table(np.array([[1.0, np.nan]]), np.zeros((1, 2), "int8"), np.array([1.0, 2.0]),
    ...                ["1", "2"], results, Work(2021, "Математика", 4, 4))
    >>> t[["task_no", "task", "score", "max_score"]].values.tolist()
    [[1, '1', 1.0, 1.0]]
    """
    has = ~np.isnan(value)
    i, j = np.nonzero(has)
    one = np.zeros(len(i), dtype=np.intp)  # each row takes the work's one session and subject
    school = repeated_categorical(results["school_id"].to_numpy(dtype=object), i)
    pupil = repeated_categorical(results["pupil_id"].to_numpy(dtype=object), i)
    note_codes = note[i, j]
    note_cat = pd.Categorical.from_codes(
        np.where(note_codes == 0, -1, note_codes - 1).astype("int8"),
        categories=[_NOTES[1], _NOTES[2]],
    )
    return pd.DataFrame(
        {
            "year": np.full(len(i), work.year, dtype="int16"),
            "session": repeated_categorical(np.array([work.session], dtype=object), one),
            "subject": repeated_categorical(np.array([work.subject], dtype=object), one),
            "grade": np.full(len(i), work.grade, dtype="int8"),
            "work_grade": np.full(len(i), work.work_grade, dtype="int8"),
            "school_id": school,
            "pupil_id": pupil,
            "task_no": (j + 1).astype("int16"),
            "task": pd.Categorical.from_codes(
                j.astype("int16"),
                categories=list(dict.fromkeys(labels))
                if len(set(labels)) == len(labels)
                else [f"{lbl}#{n + 1}" for n, lbl in enumerate(labels)],
            ),
            "score": value[i, j].astype("float32"),
            "max_score": top[j].astype("float32"),
            "note": note_cat,
        }
    )

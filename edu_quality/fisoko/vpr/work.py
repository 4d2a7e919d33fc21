"""Which work a ВПР export holds: year, subject, grade of the pupils and of the work, its scale.

Stages 4–5 of the parser: :func:`work_identity` (rules «Year, subject,
grade» and «Autumn 2020» of :mod:`edu_quality.fisoko.vpr`) and
:func:`work_scale` (the score-to-mark scale of the work and its maximum).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from ...errors import DataError
from ...exam_years import AUTUMN, SPRING, scale_year
from ...scales import max_scores, merge_scales, normalize_subject, score_to_mark
from ..common import parse_file_name
from .layouts import Columns
from .rows import PupilRows

__all__ = ["Work", "WorkScale", "work_identity", "work_scale"]


@dataclass(frozen=True)
class Work:
    """The work of a ВПР export.

    Attributes
    ----------
    year : int
        The school year, named by the calendar year of its end: the autumn-2020
        works (school year 2020/21) are 2021, though ФИС ОКО names them 2020.
    subject : str
        Canonical subject name («Математика»).
    grade : int
        The pupils' grade.
    work_grade : int
        The grade of the work (``grade - 1`` in autumn 2020).
    autumn : bool
        The autumn-2020 campaign (session «осень»).
    """

    year: int
    subject: str
    grade: int
    work_grade: int
    autumn: bool = False

    @property
    def session(self) -> str:
        """«осень» or «весна» (:mod:`edu_quality.exam_years`)."""
        return AUTUMN if self.autumn else SPRING

    @property
    def scale_year(self) -> int:
        """The year the work's score-to-mark scale is listed under (autumn: the year before)."""
        return int(scale_year([self.year], [self.session])[0])


@dataclass(frozen=True)
class WorkScale:
    """The score-to-mark scales in use and the maximum score of the work.

    Attributes
    ----------
    table : DataFrame
        The shipped scales merged with the user's (:func:`edu_quality.scales.merge_scales`).
    max_score : int
        The top of the work's scale.
    """

    table: pd.DataFrame
    max_score: int


def work_identity(
    path: Path,
    file: str,
    layout: str,
    rows: PupilRows,
    columns: Columns,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
) -> tuple[Work, list[str]]:
    """Stage 4: the year, subject and grades of the work.

    Each comes from the argument, else the file name (:func:`parse_file_name`);
    the year, else (``protocol``) from the dates of upload; the grade, else
    from the pupil codes. Autumn 2020 (the name says «осень», or a ``codes``
    file of 2020): the file name gives the grade of the work, the pupils are a
    grade higher, and the year of the name (2020, the calendar year of the
    campaign) becomes the school year 2021 (session «осень»).

    Parameters
    ----------
    path : Path
        The file (its name and folders are read).
    file : str
        File name for the messages.
    layout : str
        The layout.
    rows : PupilRows
        The pupil rows (pupil codes; dates of upload).
    columns : Columns
        Where the date of upload is.
    year, subject, grade : optional
        What the user said (``year``: as the file names it, the autumn-2020
        campaign 2020; ``grade``: the pupils').

    Returns
    -------
    work : Work
    notes : list of str
        How the year or the grade was found when not from the file name, and
        the autumn-2020 shift.

    Raises
    ------
    DataError
        The year, the subject or the grade cannot be found.

    Examples
    --------
    >>> from edu_quality.fisoko.vpr.layouts import layout_columns
    >>> from edu_quality.fisoko.vpr.rows import pupil_rows
    >>> grid = [["groups", "user", "code", "var-1", "sum", "a-1-grade"],
    ...         ["g", "sch1", "60001", "1", "1", "1"]]
    >>> columns = layout_columns(grid[0], "codes", "a.xlsx")
    >>> path = Path("Математика 5 класс (осень 2020).xlsx")
    >>> work, notes = work_identity(path, path.name, "codes", pupil_rows(grid, 0, columns),
    ...                             columns)
    >>> work
    Work(year=2021, subject='Математика', grade=6, work_grade=5, autumn=True)
    >>> work.session, work.scale_year
    ('осень', 2020)
    """
    notes: list[str] = []
    info = parse_file_name(path)
    n = len(rows.rows)
    school_year = False  # the year found is already that of the school year (dates)
    if year is None:
        year = info.year
        if year is None and columns.date is not None:
            year = _year_from_dates(rows.data[columns.date]) if n else None
            school_year = year is not None
            if year is not None:
                notes.append(f"год {year} определён по дате загрузки")
        if year is None:
            raise DataError(
                file,
                "не удалось определить год ВПР: его нет ни в имени файла, "
                "ни в имени папки; укажите его (year=…)",
            )
    else:
        year = int(year)
    subj = normalize_subject(subject) if subject is not None else info.subject
    if subj is None:
        raise DataError(
            file, "не удалось определить предмет по имени файла; укажите его (subject=…)"
        )
    codes_grade = _code_grade(rows.pupil) if n else None
    autumn = info.autumn or (layout == "codes" and year == 2020 and not school_year)
    if grade is not None:
        pupils_grade = int(grade)
        work_grade = pupils_grade - 1 if autumn else pupils_grade
    elif info.grade is not None:
        pupils_grade, work_grade = _grades_from_name(info.grade, codes_grade, autumn, notes)
    elif codes_grade is not None:
        pupils_grade = codes_grade
        work_grade = pupils_grade - 1 if autumn else pupils_grade
        notes.append(f"класс {pupils_grade} определён по кодам участников")
    else:
        raise DataError(file, "не удалось определить класс по имени файла; укажите его (grade=…)")
    if autumn:
        if not school_year:  # autumn of the calendar year: the school year ends a year later
            year += 1
        notes.append(
            f"ВПР осень 2020: обучающиеся {pupils_grade} класса писали работу за "
            f"{work_grade} класс (перенос весенних ВПР 2020); учебный год "
            f"{year - 1}/{str(year)[-2:]}: year {year}, session «осень»; grade — класс "
            f"обучающихся, work_grade — класс работы, отметка — по шкале работы "
            f"{work_grade} класса"
        )
    return Work(year, subj, pupils_grade, work_grade, autumn), notes


def _grades_from_name(
    name_grade: int, codes_grade: int | None, autumn: bool, notes: list[str]
) -> tuple[int, int]:
    """The pupils' and the work's grade when the file name gives one; a note when codes disagree."""
    if autumn:
        if codes_grade == name_grade:
            return name_grade, name_grade - 1
        if codes_grade is not None and codes_grade != name_grade + 1:
            notes.append(
                f"коды участников указывают на {codes_grade} класс, "
                f"а имя файла — на работу за {name_grade} класс"
            )
        return name_grade + 1, name_grade
    if codes_grade is not None and codes_grade != name_grade:
        notes.append(
            f"коды участников указывают на {codes_grade} класс, а имя "
            f"файла — на {name_grade} класс; взят класс из имени файла"
        )
    return name_grade, name_grade


def _code_grade(codes: pd.Series) -> int | None:
    """The grade the 5-digit pupil codes start with, when at least 95 % agree."""
    v = pd.to_numeric(codes, errors="coerce")
    v = v[(v >= 10000) & (v < 1_000_000) & (v % 1 == 0)]
    if len(v) == 0:
        return None
    g = (v // 10000).astype("int64")
    top = g.value_counts()
    if top.iloc[0] / len(v) < 0.95:
        return None
    return int(top.index[0])


def _year_from_dates(values: pd.Series) -> int | None:
    """The school year (named by its end) most of the first 50 dates fall in."""
    years = []
    for v in values.head(50):
        d = None
        if isinstance(v, (datetime, date)):
            d = v
        else:
            m = re.match(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})", str(v))
            if m:
                with contextlib.suppress(ValueError):
                    d = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if d is not None:
            years.append(d.year + 1 if d.month >= 9 else d.year)
    if not years:
        return None
    return max(set(years), key=years.count)


def work_scale(scales: pd.DataFrame | None, work: Work, file: str) -> tuple[WorkScale, list[str]]:
    """Stage 5: the score-to-mark scale of the work and its maximum.

    Parameters
    ----------
    scales : DataFrame or None
        The user's scales, added to the shipped ones.
    work : Work
    file : str
        File name for the message.

    Returns
    -------
    scale : WorkScale
    notes : list of str
        The source of the scale when it is an assumption.

    Raises
    ------
    DataError
        No scale for the year, subject and work grade.

    Examples
    --------
    >>> scale, notes = work_scale(None, Work(2021, "Математика", 4, 4), "a.xlsx")
    >>> scale.max_score, notes
    (20, [])
    """
    scale = merge_scales(scales)
    mx = max_scores(scale)
    found = mx[
        (mx["year"] == work.scale_year)
        & (mx["subject"] == work.subject)
        & (mx["grade"] == work.work_grade)
    ]
    if found.empty:  # raises the clear error of a missing scale
        score_to_mark(
            pd.DataFrame(
                {
                    "year": [work.scale_year],
                    "subject": [work.subject],
                    "work_grade": [work.work_grade],
                    "score": [0.0],
                }
            ),
            scale,
            file=file,
        )
    work_max = int(found["max_score"].iloc[0])
    src = scale[
        (scale["year"] == work.scale_year)
        & (scale["subject"] == work.subject)
        & (scale["grade"] == work.work_grade)
    ]["source"].iloc[0]
    notes = [f"шкала перевода в отметки: {src}"] if "допущение" in str(src).lower() else []
    return WorkScale(scale, work_max), notes

"""ФИС ОКО exports: ВПР results, the school registry and the context questionnaire.

ФИС ОКО (the federal information system for quality assessment) gives a
region's methodologists their ВПР results as Excel files in three layouts,
told apart here by their columns (:func:`detect_layout`):

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

:func:`read_fisoko_vpr` reads any of them into a :class:`FisOkoVpr`: the
canonical pupil-level ``results`` (what :func:`edu_quality.read_results`
returns for such a file), the per-task scores ``tasks``, the absent pupils per
school ``absent`` and a data-quality report ``quality``.

Rules
-----
Year, subject, grade
    Taken from the arguments, else from the file name: the year is a
    four-digit 20xx in the name («ВПР 2021», «(осень 2020)»), else in the name
    of the folder or its parent (``vpr_2022``), else (``protocol``) the date of
    upload: the school year it falls in (September–August), named by the
    calendar year of its end. The subject is recognised by its stem
    («по математике», «Русский язык»); the grade is the number before
    «класс». The ВПР year is the campaign's year as ФИС ОКО names it: the
    autumn-2020 files are ВПР 2020.
Autumn 2020
    The spring-2020 works were written in autumn 2020 a grade later: pupils of
    grade g wrote the work of grade g − 1. The file name gives the grade of
    the **work** («Математика 5 класс (осень 2020)» holds pupils of grade 6,
    as their codes 6xxxx show). The results keep ``grade`` = the pupils'
    grade and ``work_grade`` = the work's grade; the mark uses the scale of
    the work (:mod:`edu_quality.scales`); a note in ``quality`` says so. The
    pupils' grade is the first digit(s) of the 5-digit pupil code when the
    codes agree, else work grade + 1. In every other file ``work_grade`` =
    ``grade``.
Pupils and schools
    ``pupil_id`` is the pupil code of the file («код обучающегося», ``code``,
    «Код»), unique within a school, not across schools: the results key
    includes ``school_id``. School ids ``edu22NNNN`` (context, 2022 protocol)
    and ``sch22NNNN`` (registry, results) are the same school; the canonical
    id is ``sch22NNNN`` (:func:`canonical_school_id`).
Absent pupils
    A variant «отсутствовал» means the pupil was absent: the row is not a
    participant (it is not in ``results``) and is counted per school in
    ``absent`` and in ``results.attrs["absent"]``. A pupil row with neither a
    variant nor any score is not counted at all and is listed in ``quality``
    (a warning: the pupil was probably never entered).
Scores
    The primary score is the file's total («всего баллов», ``sum``). When a
    row has none, and always in the ``protocol`` layout (whose «Итого баллов»
    is a formula cell that is not always computed), it is the sum of the task
    scores. A task marked «X» (not attempted) or «не пройд.» (topic not
    studied) scores 0, as in the totals of ФИС ОКО; the ``tasks`` table keeps
    the code in ``note``.
Task maxima
    ``protocol``: from the headers («(2б)»). The other layouts do not name
    them: they are taken from ``task_max`` when given, else from the data —
    the largest score given to at least 0.5 % of the pupils with a score for
    the task (for fewer than 1 000 pupils, the largest score given), which
    drops the rare mistyped values. The sum is checked against the top of the
    scale; a mismatch is noted in ``quality``.
Marks
    The files carry no ВПР mark: ``mark`` comes from the score-to-mark scale
    of the year, subject and work grade (:func:`edu_quality.scales.score_to_mark`).
    A result without a scale raises :class:`DataError`.
Invalid values
    *Results* — an unknown variant (not a positive whole number: «0», empty
    with scores present, text), a total that is not a whole number ≥ 0, a
    score above the maximum of the scale, a ``protocol`` task score above its
    maximum, a missing school or pupil code, a duplicated pupil — are errors
    (severity «ошибка»). By default (``invalid_results="raise"``) they raise
    :class:`DataError` naming file, Excel row and column; with
    ``invalid_results="exclude"`` the pupil's result is left out of the
    participants and listed in ``quality``.
    *Secondary fields* — a journal mark other than 2–5 («8», «ж», «1»: the
    ВПР compare marks 2–5; «нет отметки» is simply missing), gender other
    than м/ж, an unreadable
    task cell («?») or a task score above its inferred maximum in ``ru`` and
    ``codes`` — do not stop the load: the value becomes missing, the result is
    kept, and the cell is listed in ``quality`` (severity «предупреждение»);
    ``strict=True`` turns them into :class:`DataError`.
    *Notes* (severity «примечание») record what was done without an error:
    totals computed from tasks, totals that disagree with the task sum,
    inferred maxima, the autumn-2020 shift, absent pupils with scores.

The region-wide import (:func:`import_fisoko`, command
``edu-quality import fis-oko``) converts a registry, a context questionnaire
and folders of ВПР exports into the canonical tables of a dataset folder.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from ..._checks import check_option
from ...errors import DataError, Problem
from ...marks import parse_marks
from ...scales import (
    max_scores,
    merge_scales,
    normalize_subject,
    read_scales,
    score_to_mark,
)
from ...schema import RESULTS_PUPILS, dtype_of, normalize_header
from ..common import (
    ERROR,
    NOTE,
    QUALITY_COLUMNS,
    WARNING,
    FileInfo,
    QualityReport,
    canonical_school_id,
    cells,
    factor,
    find_column,
    named_sheet,
    open_workbook,
    parse_file_name,
    sheet_grid,
)

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

__all__ = [
    "LAYOUTS",
    "QUALITY_COLUMNS",
    "FileInfo",
    "FisOkoVpr",
    "canonical_school_id",
    "detect_layout",
    "parse_file_name",
    "read_fisoko_vpr",
]

#: The ВПР layouts of ФИС ОКО that :func:`detect_layout` recognises.
LAYOUTS: dict[str, str] = {
    "ru": "ВПР, русские заголовки (ФИС ОКО, весна 2021)",
    "codes": "ВПР, английские коды столбцов (ФИС ОКО, осень 2020)",
    "protocol": "ВПР, форма загрузки, лист «Протокол» (ФИС ОКО, 2022)",
}



_ABSENT = "отсутств"
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
_NOTES = {1: "не приступал", 2: "тема не пройдена"}
_TASK_PROTOCOL = re.compile(r"^\s*(.+?)\s*\(\s*(\d+)\s*б\s*\)\s*$", re.IGNORECASE)
_TASK_CODES = re.compile(r"^a-(\d+)-grade$")
_TASK_RU = re.compile(r"^балл за\s+(.+)$")
_INFER_SHARE = 0.005
_INFER_MIN_PUPILS = 1000


# ------------------------------------------------------------------ small helpers
















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


# ------------------------------------------------------------------ reading a ВПР file


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
        One row per participant and task with a score: ``year``, ``subject``,
        ``grade``, ``work_grade``, ``school_id``, ``pupil_id``, ``task_no``
        (position 1, 2, … in the work), ``task`` (the label in the file: the
        number in ``ru``/``codes``, «5(1)» in ``protocol``), ``score``,
        ``max_score``, ``note`` («не приступал», «тема не пройдена» or
        missing). String columns are categorical.
    quality : DataFrame
        The data-quality report, columns :data:`QUALITY_COLUMNS`: ``file``,
        ``row`` (Excel row; missing for notes on the whole file), ``column``
        (header in the file), ``value``, ``problem``, ``action`` (what was
        done), ``severity`` (ошибка / предупреждение / примечание),
        ``school_id``.
    absent : DataFrame
        Absent pupils per school: ``year``, ``assessment``, ``subject``,
        ``grade``, ``work_grade``, ``school_id``, ``absent``.
    file, layout : str
        File name and layout (:data:`LAYOUTS`).
    year, grade, work_grade : int
    subject : str
    notes : tuple of str
        Remarks on the whole file (also in ``quality`` as «примечание»).
    counts : dict
        ``rows`` (pupil rows), ``participants``, ``absent``, ``empty`` (rows
        with neither variant nor score), ``excluded`` (results with errors
        left out), ``schools`` (schools with participants), ``warnings``.
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
    notes: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)
    source_rows: np.ndarray = field(default_factory=lambda: np.array([], dtype=int), repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)




def _open_sheet(
    wb: CalamineWorkbook,
    file: str,
    sheet: str | int | None,
) -> tuple[str | None, int, list[list[Any]]]:
    """Return (layout, header row index, grid) of the sheet with a ВПР layout."""
    names = list(wb.sheet_names)
    if sheet is None:
        protocol = [n for n in names if n.strip().lower() == "протокол"]
        visible = [m.name for m in wb.sheets_metadata if "hidden" not in str(m.visible).lower()]
        order = protocol + [n for n in visible if n not in protocol]
        order = order[:2] if order else names[:1]
    else:
        order = [named_sheet(wb, file, sheet)]
    first: list[list[Any]] = []
    for name in order:
        grid = sheet_grid(wb, name, file)
        first = first or grid
        for h, row in enumerate(grid[:10]):
            layout = detect_layout(row)
            if layout is not None:
                return layout, h, grid
    return None, 0, first


def _read_grid(
    path: str | Path, sheet: str | int | None
) -> tuple[Path, str, str | None, int, list[list[Any]]]:
    path = Path(path)
    file = path.name
    wb = open_workbook(path, xlsx_only=True)
    layout, h, grid = _open_sheet(wb, file, sheet)
    return path, file, layout, h, grid


def read_fisoko_vpr(
    path: str | Path,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    scales: pd.DataFrame | str | Path | None = None,
    strict: bool = False,
    invalid_results: Literal["raise", "exclude"] = "raise",
    task_max: Sequence[int] | None = None,
    sheet: str | int | None = None,
    pseudonymize_ids: bool | str | None = None,
) -> FisOkoVpr:
    """Read a ФИС ОКО ВПР export in any of its three layouts.

    See the module docstring for every rule (year, subject and grade; the
    autumn-2020 shift; absent pupils; totals; task maxima; invalid values).

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` export.
    year, subject, grade : optional
        Override what the file name and contents say. ``grade`` is the
        pupils' grade (for autumn 2020 the work is of ``grade - 1``).
    scales : DataFrame or path, optional
        A user's score-to-mark scales (:func:`edu_quality.scales.read_scales`),
        added to the shipped official ones (the user's rows win for the works
        they cover; :func:`edu_quality.scales.merge_scales`).
    strict : bool
        Raise on invalid secondary fields too, instead of reporting them.
    invalid_results : {"raise", "exclude"}
        What an invalid result does: raise :class:`DataError` (default), or
        leave the pupil out of the participants and list it in ``quality``.
    task_max : sequence of int, optional
        Maximum score of each task, in order, for layouts whose headers do
        not give it.
    sheet : str or int, optional
        The sheet; by default «Протокол» if there is one, else the first
        visible sheet.
    pseudonymize_ids : bool or str, optional
        As in :func:`edu_quality.read_results`.

    Returns
    -------
    FisOkoVpr

    Raises
    ------
    DataError
        Not a ФИС ОКО ВПР export; year, subject or grade unknown; no scale
        for the work; invalid results (unless excluded); invalid secondary
        fields with ``strict=True``. Each problem names the Excel row and the
        column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from openpyxl import Workbook
    >>> wb = Workbook(); ws = wb.active
    >>> ws.append(["логин школы", "код обучающегося", "отметка за предыдущую четверть/триместр",
    ...            "пол", "вариант", "всего баллов", "балл за 1", "балл за 2"])
    >>> ws.append(["sch220001", "40001", "8", "м", "1", "15", "1", "2"])
    >>> ws.append(["sch220001", "40002", "4", "ж", "отсутствовал", None, None, None])
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
    >>> wb.save(p)
    >>> vpr = read_fisoko_vpr(p)
    >>> vpr.results[["school_id", "pupil_id", "score", "mark", "journal_mark"]].values.tolist()
    [['sch220001', '40001', 15.0, 5, <NA>]]
    >>> vpr.counts["absent"]
    1
    >>> warn = vpr.quality[vpr.quality["severity"] == "предупреждение"]
    >>> warn[["row", "column", "value", "action"]].values.tolist()
    [[2, 'отметка за предыдущую четверть/триместр', '8', 'поле оставлено пустым, результат сохранён']]
    """
    check_option("invalid_results", invalid_results, ("raise", "exclude"))
    path, file, layout, h, grid = _read_grid(path, sheet)
    if layout is None:
        raise DataError(
            file,
            "это не выгрузка ВПР из ФИС ОКО: нет столбцов ни одного из "
            "известных видов (" + "; ".join(LAYOUTS.values()) + ")",
        )
    if isinstance(scales, (str, Path)):
        scales = read_scales(scales)
    return _parse_vpr(
        grid,
        h,
        layout,
        path,
        file,
        year=year,
        subject=subject,
        grade=grade,
        scales=scales,
        strict=strict,
        invalid_results=invalid_results,
        task_max=task_max,
        pseudonymize_ids=pseudonymize_ids,
    )


def sniff_vpr(path: str | Path, sheet: str | int | None, **options: Any) -> FisOkoVpr | None:
    """Read ``path`` as a ФИС ОКО export if it is one, else return None."""
    p = Path(path)
    if p.suffix.lower() not in (".xlsx", ".xlsm") or not p.is_file():
        return None
    try:
        path, file, layout, h, grid = _read_grid(p, sheet)
    except DataError:
        return None
    if layout is None:
        return None
    check_option("invalid_results", options.get("invalid_results", "raise"), ("raise", "exclude"))
    scales = options.pop("scales", None)
    if isinstance(scales, (str, Path)):
        scales = read_scales(scales)
    return _parse_vpr(grid, h, layout, path, file, scales=scales, **options)








def _code_grade(codes: pd.Series) -> int | None:
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


def _parse_vpr(
    grid: list[list[Any]],
    h: int,
    layout: str,
    path: Path,
    file: str,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    scales: pd.DataFrame | None = None,
    strict: bool = False,
    invalid_results: str = "raise",
    task_max: Sequence[int] | None = None,
    pseudonymize_ids: bool | str | None = None,
) -> FisOkoVpr:
    headers = ["" if v is None else str(v).strip() for v in grid[h]]
    norm = [normalize_header(x) for x in headers]
    width = len(headers)
    body = grid[h + 1 :]
    data = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(width))
    rows = np.arange(h + 2, h + 2 + len(data))
    q = QualityReport(file)
    notes: list[str] = []

    # --- columns of the layout
    var2 = total_col = date_col = None
    if layout == "ru":
        school_col = find_column(norm, "логин школы")
        pupil_col = find_column(norm, "код обучающегося", "номер обучающегося")
        journal_col = find_column(
            norm, "отметка за предыдущую четверть/триместр", prefix="отметка за предыдущ"
        )
        gender_col = find_column(norm, "пол")
        variant_col = find_column(norm, "вариант")
        total_col = find_column(norm, "всего баллов")
        task_cols = [
            (i, _TASK_RU.match(x).group(1)) for i, x in enumerate(norm) if _TASK_RU.match(x)
        ]
        header_max = None
    elif layout == "codes":
        school_col = find_column(norm, "user")
        pupil_col = find_column(norm, "code", "id")
        journal_col = find_column(norm, "otc")
        gender_col = find_column(norm, "gender")
        variant_col = find_column(norm, "var-1")
        var2 = find_column(norm, "var-2")
        total_col = find_column(norm, "sum")
        task_cols = []
        started = False
        stray: list[int] = []
        for i, x in enumerate(norm):
            m = _TASK_CODES.match(x)
            if m and not stray and (started or m.group(1) == "1"):
                task_cols.append((i, m.group(1)))
                started = True
            elif started:
                stray.append(i)
        stray = [i for i in stray if _TASK_CODES.match(norm[i])]
        header_max = None
    else:  # protocol
        school_col = find_column(norm, "пользователь")
        pupil_col = find_column(norm, "код")
        journal_col = find_column(norm, prefix="отметка за предыдущ")
        gender_col = find_column(norm, "пол")
        variant_col = find_column(norm, "вариант")
        total_col = find_column(norm, "итого баллов")
        date_col = find_column(norm, "дата загрузки")
        task_cols, header_max = [], []
        for i, x in enumerate(headers):
            m = _TASK_PROTOCOL.match(x)
            if m and i != variant_col:
                task_cols.append((i, re.sub(r"\s+", "", m.group(1))))
                header_max.append(int(m.group(2)))
    for label, pos in (
        ("код школы", school_col),
        ("код участника", pupil_col),
        ("вариант", variant_col),
    ):
        if pos is None:
            raise DataError(file, f"нет столбца «{label}» ({LAYOUTS[layout]})")
    if not task_cols:
        raise DataError(file, "нет столбцов с баллами за задания")

    def column_cells(pos: int | None) -> pd.Series:
        if pos is None or pos >= data.shape[1]:
            return pd.Series("", index=data.index, dtype="str")
        return cells(data[pos])

    school_raw = column_cells(school_col)
    if layout == "protocol":
        alt = find_column(norm, "школа")
        if alt is not None:
            school_raw = school_raw.where(school_raw != "", column_cells(alt))
    school = canonical_school_id(school_raw)
    pupil = column_cells(pupil_col)
    variant = column_cells(variant_col)
    if var2 is not None:
        variant = variant.where(variant != "", column_cells(var2))
    total_text = column_cells(total_col)
    k = len(task_cols)
    n = len(data)
    positions = [pos for pos, _ in task_cols]
    raw_tasks = (
        data.iloc[:, [p for p in positions if p < data.shape[1]]].to_numpy(dtype=object)
        if n
        else np.empty((0, k), dtype=object)
    )
    if raw_tasks.shape[1] < k:  # short rows
        raw_tasks = np.hstack([raw_tasks, np.full((n, k - raw_tasks.shape[1]), None)])
    tcodes, ttexts = factor(raw_tasks.reshape(-1))
    ttexts = np.asarray([*ttexts, ""], dtype=object)
    tcodes = tcodes.reshape(n, k)
    tmat = ttexts[tcodes]

    # --- drop layout rows (nothing at all in them)
    task_empty = (ttexts == "")[tcodes] if n else np.zeros((0, k), bool)
    blank = (
        (school_raw == "") & (pupil == "") & (variant == "") & (total_text == "")
    ).to_numpy() & task_empty.all(axis=1)
    if blank.any():
        keep = ~blank
        data = data.loc[keep].reset_index(drop=True)
        rows = rows[keep]
        school, school_raw, pupil, variant, total_text = (
            s.loc[keep].reset_index(drop=True)
            for s in (school, school_raw, pupil, variant, total_text)
        )
        tmat = tmat[keep]
        tcodes = tcodes[keep]
        task_empty = task_empty[keep]
        n = len(data)

    # --- year, subject, grade
    info = parse_file_name(path)
    if year is None:
        year = info.year
        if year is None and date_col is not None:
            year = _year_from_dates(data[date_col]) if n else None
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
    codes_grade = _code_grade(pupil) if n else None
    autumn = info.autumn or (layout == "codes" and year == 2020)
    if grade is not None:
        pupils_grade = int(grade)
        work_grade = pupils_grade - 1 if autumn else pupils_grade
    elif info.grade is not None:
        if autumn:
            if codes_grade == info.grade:
                pupils_grade, work_grade = info.grade, info.grade - 1
            else:
                work_grade, pupils_grade = info.grade, info.grade + 1
                if codes_grade is not None and codes_grade != pupils_grade:
                    notes.append(
                        f"коды участников указывают на {codes_grade} класс, "
                        f"а имя файла — на работу за {info.grade} класс"
                    )
        else:
            pupils_grade = work_grade = info.grade
            if codes_grade is not None and codes_grade != info.grade:
                notes.append(
                    f"коды участников указывают на {codes_grade} класс, а имя "
                    f"файла — на {info.grade} класс; взят класс из имени файла"
                )
    elif codes_grade is not None:
        pupils_grade = codes_grade
        work_grade = pupils_grade - 1 if autumn else pupils_grade
        notes.append(f"класс {pupils_grade} определён по кодам участников")
    else:
        raise DataError(file, "не удалось определить класс по имени файла; укажите его (grade=…)")
    if autumn:
        notes.append(
            f"ВПР осень 2020: обучающиеся {pupils_grade} класса писали работу за "
            f"{work_grade} класс (перенос весенних ВПР 2020); grade — класс "
            f"обучающихся, work_grade — класс работы, отметка — по шкале работы "
            f"{work_grade} класса"
        )

    # --- scale: the maximum of the work (raises the clear error without a scale)
    scale = merge_scales(scales)
    mx = max_scores(scale)
    found = mx[(mx["year"] == year) & (mx["subject"] == subj) & (mx["grade"] == work_grade)]
    if found.empty:
        score_to_mark(
            pd.DataFrame(
                {"year": [year], "subject": [subj], "work_grade": [work_grade], "score": [0.0]}
            ),
            scale,
            file=file,
        )
    work_max = int(found["max_score"].iloc[0])
    src = scale[
        (scale["year"] == year) & (scale["subject"] == subj) & (scale["grade"] == work_grade)
    ]["source"].iloc[0]
    if "допущение" in str(src).lower():
        notes.append(f"шкала перевода в отметки: {src}")

    # --- row status
    vlow = variant.str.lower()
    absent = vlow.str.startswith(_ABSENT).to_numpy()
    total_num = pd.to_numeric(
        total_text.str.replace(",", ".", regex=False), errors="coerce"
    ).to_numpy()
    has_total = (total_text != "").to_numpy()
    has_task = ~task_empty.all(axis=1) if k else np.zeros(n, bool)
    empty_row = ~absent & (variant == "").to_numpy() & ~has_total & ~has_task
    writer = ~absent & ~empty_row
    vnum = pd.to_numeric(variant, errors="coerce").to_numpy()
    variant_ok = ~np.isnan(vnum) & (vnum >= 1) & (vnum % 1 == 0)

    # --- task cells (classified once per distinct text)
    u = pd.Series(ttexts, dtype="str")
    ulow = u.str.lower()
    unum = pd.to_numeric(u.str.replace(",", ".", regex=False), errors="coerce").to_numpy()
    u_x = ulow.isin(("x", "х")).to_numpy()
    u_np = (ulow.str.startswith("не пройд") | ulow.isin(("н/п", "нп"))).to_numpy()
    u_valid = ~np.isnan(unum) & (unum >= 0) & (unum % 1 == 0)
    u_junk = (u != "").to_numpy() & ~u_x & ~u_np & ~u_valid
    num, valid, junk = unum[tcodes], u_valid[tcodes], u_junk[tcodes]
    is_x, is_np = u_x[tcodes], u_np[tcodes]
    labels = [lbl for _, lbl in task_cols]
    theaders = [headers[pos] for pos, _ in task_cols]
    if header_max is not None:
        tmax = np.asarray(header_max, dtype=float)
        max_from = "заголовки"
    elif task_max is not None:
        if len(task_max) != k:
            raise DataError(
                file, f"параметр task_max: {len(task_max)} значений, а заданий в файле {k}"
            )
        tmax = np.asarray(task_max, dtype=float)
        max_from = "параметр"
    else:
        tmax = np.zeros(k)
        for j in range(k):
            v = num[writer & valid[:, j], j].astype("int64")
            if len(v) == 0:
                continue
            counts = np.bincount(v)
            if len(v) >= _INFER_MIN_PUPILS:
                ok = np.flatnonzero(counts >= _INFER_SHARE * len(v))
                tmax[j] = ok.max() if len(ok) else v.max()
            else:
                tmax[j] = v.max()
        max_from = "данные"
        if tmax.sum() != work_max:
            notes.append(
                f"максимумы заданий выведены из данных (сумма {tmax.sum():g}) и не "
                f"совпадают с максимумом шкалы ({work_max})"
            )
    if header_max is not None and tmax.sum() != work_max:
        raise DataError(
            file,
            f"шкала не подходит к работе: по шкале максимум {work_max} "
            f"баллов, по заданиям файла {tmax.sum():g} (ВПР {year}, "
            f"«{subj}», {work_grade} класс)",
        )
    over = valid & (num > tmax[None, :])
    bad_task = junk | over
    value = np.where(valid & ~over, num, np.nan)
    value = np.where(is_x | is_np, 0.0, value)
    note = np.where(is_x, 1, np.where(is_np, 2, 0)).astype("int8")
    scored = ~np.isnan(value)
    computed = np.where(scored.any(axis=1), np.nansum(np.where(scored, value, 0.0), axis=1), np.nan)

    # --- scores
    school_arr = school.to_numpy(dtype=object)
    err = np.zeros(n, bool)
    err_parts: list[tuple[np.ndarray, str | None, np.ndarray, list[str]]] = []

    def error(
        mask: np.ndarray,
        column: str | None,
        values: np.ndarray,
        problem: str | Callable[[Any], str],
    ) -> None:
        """Record a result error on the writers' rows of ``mask``."""
        nonlocal err
        mask = mask & writer
        if mask.any():
            err |= mask
            vals = values[mask]
            probs = [problem(v) for v in vals] if callable(problem) else [problem] * len(vals)
            err_parts.append((mask, column, vals, probs))

    var_header = headers[variant_col]
    vtext = variant.to_numpy(dtype=object)
    error(
        ~variant_ok & (variant == "").to_numpy(),
        var_header,
        vtext,
        "не указан вариант, хотя есть баллы",
    )
    error(
        ~variant_ok & (variant != "").to_numpy() & ~absent,
        var_header,
        vtext,
        lambda v: (
            f"неизвестный вариант «{v}» (ожидается номер варианта 1, 2, … или «отсутствовал»)"
        ),
    )
    total_header = headers[total_col] if total_col is not None else "всего баллов"
    ttext = total_text.to_numpy(dtype=object)
    if layout == "protocol":
        score = computed.copy()
        tval = np.where(has_total, total_num, np.nan)
        diff = writer & ~np.isnan(tval) & ~np.isnan(computed) & (tval != computed)
        if diff.any():
            q.add(
                rows[diff],
                total_header,
                ttext[diff],
                [
                    f"итог в файле ({t:g}) не совпадает с суммой баллов за задания ({c:g})"
                    for t, c in zip(tval[diff], computed[diff], strict=True)
                ],
                "взята сумма баллов за задания",
                NOTE,
                school_arr[diff],
            )
        for j in range(k):
            lbl, top = labels[j], tmax[j]
            error(
                bad_task[:, j],
                theaders[j],
                tmat[:, j],
                lambda v, lbl=lbl, top=top: (
                    f"балл «{v}» за задание {lbl} не распознан или больше максимума {top:g}"
                ),
            )
        shown = np.array([f"{v:g}" if not np.isnan(v) else "" for v in score], dtype=object)
    else:
        bad_total = has_total & (np.isnan(total_num) | (total_num < 0) | (total_num % 1 != 0))
        error(
            bad_total,
            total_header,
            ttext,
            lambda v: f"балл «{v}» не распознан: ожидается целое число ≥ 0",
        )
        score = np.where(has_total & ~bad_total, total_num, np.nan)
        fill = writer & ~has_total & ~np.isnan(computed)
        if fill.any():
            score = np.where(fill, computed, score)
            q.add(
                rows[fill],
                total_header,
                np.full(fill.sum(), "", dtype=object),
                "нет итогового балла",
                "итог вычислен по заданиям",
                NOTE,
                school_arr[fill],
            )
        diff = writer & has_total & ~bad_total & ~np.isnan(computed) & (computed != total_num)
        diff &= ~bad_task.any(axis=1)
        if diff.any():
            q.add(
                rows[diff],
                total_header,
                ttext[diff],
                [
                    f"сумма баллов за задания ({c:g}) не совпадает с итогом ({t:g})"
                    for c, t in zip(computed[diff], total_num[diff], strict=True)
                ],
                "оставлен итог файла",
                NOTE,
                school_arr[diff],
            )
        for j in np.flatnonzero((bad_task & writer[:, None]).any(axis=0)):
            mask = bad_task[:, j] & writer
            vals = tmat[mask, j]
            probs = [
                f"балл «{v}» за задание {labels[j]} больше максимума {tmax[j]:g}"
                if o
                else f"балл «{v}» за задание {labels[j]} не распознан"
                for v, o in zip(vals, over[mask, j], strict=True)
            ]
            q.add(
                rows[mask],
                theaders[j],
                vals,
                probs,
                "балл за задание не учтён",
                WARNING,
                school_arr[mask],
            )
        shown = ttext.copy()
        shown[fill] = [f"{v:g}" for v in score[fill]]
    over_max = ~np.isnan(score) & (score > work_max)
    error(
        over_max,
        total_header,
        shown,
        lambda v: (
            f"балл {v} больше максимума {work_max} (ВПР {year}, «{subj}», {work_grade} класс)"
        ),
    )
    error(variant_ok & np.isnan(score) & ~err, total_header, ttext, "нет баллов за работу")
    pupil_arr = pupil.to_numpy(dtype=object)
    error((pupil == "").to_numpy(), headers[pupil_col], pupil_arr, "нет кода участника")
    error(
        school.isna().to_numpy(),
        headers[school_col],
        school_raw.to_numpy(dtype=object),
        "нет кода школы",
    )
    wi = np.flatnonzero(writer & (pupil != "").to_numpy())
    dup = np.zeros(n, bool)
    dup[wi] = (
        pd.DataFrame({"s": school_arr[wi], "p": pupil_arr[wi]}).duplicated(keep=False).to_numpy()
    )
    error(dup, headers[pupil_col], pupil_arr, "участник с этим кодом уже есть в этой школе")

    # --- secondary fields (participants' rows)
    jm_text = column_cells(journal_col)
    jm_values, jm_missing, _ = parse_marks(jm_text)
    jm, jm_missing = jm_values.to_numpy(), jm_missing.to_numpy()
    jm_bad = ~jm_missing & ~np.isin(jm, (2, 3, 4, 5)) & writer
    jm = np.where(jm_bad | jm_missing, np.nan, jm)
    jm_header = headers[journal_col] if journal_col is not None else "отметка по журналу"
    if jm_bad.any():
        vals = jm_text.to_numpy(dtype=object)[jm_bad]
        q.add(
            rows[jm_bad],
            jm_header,
            vals,
            [
                f"отметка по журналу «{v}» не распознана (ожидается 2–5 или «нет отметки»)"
                for v in vals
            ],
            "поле оставлено пустым, результат сохранён",
            WARNING,
            school_arr[jm_bad],
        )
    g_text = column_cells(gender_col)
    g_low = g_text.str.lower().str.rstrip(".").str.strip()
    gender = g_low.map(_GENDER)
    g_bad = (g_low != "").to_numpy() & gender.isna().to_numpy() & writer
    if g_bad.any():
        vals = g_text.to_numpy(dtype=object)[g_bad]
        q.add(
            rows[g_bad],
            headers[gender_col],
            vals,
            [f"пол «{v}» не распознан (ожидается «м» или «ж»)" for v in vals],
            "поле оставлено пустым, результат сохранён",
            WARNING,
            school_arr[g_bad],
        )

    # --- absent pupils with scores, empty rows, stray cells
    absent_data = absent & (has_task | (has_total & (np.nan_to_num(total_num) > 0)))
    if absent_data.any():
        q.add(
            rows[absent_data],
            var_header,
            vtext[absent_data],
            "отмечен как отсутствовавший, но в строке есть баллы",
            "баллы не учтены",
            NOTE,
            school_arr[absent_data],
        )
    if empty_row.any():
        q.add(
            rows[empty_row],
            var_header,
            np.full(empty_row.sum(), "", dtype=object),
            "нет ни варианта, ни баллов",
            "строка не учтена",
            WARNING,
            school_arr[empty_row],
        )
    if layout == "codes":
        for pos in stray:
            t = column_cells(pos)
            filled = (t != "").to_numpy() & writer
            if filled.any():
                q.note(
                    f"{int(filled.sum())} знач. в столбце после заданий работы — не учтены",
                    headers[pos],
                    "",
                )

    # --- errors: raise or exclude
    if err_parts:
        for mask, column, values, problem in err_parts:
            q.add(
                rows[mask],
                column,
                values,
                problem,
                "результат исключён" if invalid_results == "exclude" else "загрузка остановлена",
                ERROR,
                school_arr[mask],
            )
    for text in notes:
        q.note(text)
    quality = q.frame()
    severe = quality["severity"] == ERROR
    warn = quality["severity"] == WARNING
    raise_mask = (severe | warn) if strict else (severe if invalid_results == "raise" else None)
    if raise_mask is not None and raise_mask.any():
        bad = quality[raise_mask]
        problems = [
            Problem(
                None if pd.isna(r.row) else int(r.row),
                None if pd.isna(r.column) else str(r.column),
                str(r.problem),
            )
            for r in bad.itertuples(index=False)
        ]
        raise DataError(file, problems)

    # --- the tables
    part = writer & ~err
    idx = np.flatnonzero(part)
    key = pseudonymize_ids if isinstance(pseudonymize_ids, str) else None
    from ...privacy import pseudonymize, pupil_key

    pkey = None if pseudonymize_ids is False else pupil_key(key)
    if pseudonymize_ids is True and pkey is None:
        raise DataError(
            file,
            "псевдонимизация запрошена, но ключ не задан "
            "(переменная окружения EDU_QUALITY_PUPIL_KEY)",
        )
    pupil_ids = pd.Series(pupil_arr[idx], dtype="str")
    if pkey is not None:
        pupil_ids = pseudonymize(pupil_ids, pkey).astype("str")
    m = len(idx)
    results = pd.DataFrame(
        {
            "year": np.full(m, year, dtype="int64"),
            "assessment": pd.Series(["ВПР"] * m, dtype="str"),
            "subject": pd.Series([subj] * m, dtype="str"),
            "grade": np.full(m, pupils_grade, dtype="int64"),
            "school_id": pd.Series(school_arr[idx], dtype="str"),
            "pupil_id": pupil_ids,
            "score": score[idx].astype("float64"),
            "mark": pd.array([pd.NA] * m, dtype="Int64"),
            "journal_mark": pd.array(jm[idx], dtype="Float64").astype("Int64"),
            "level": pd.Series([None] * m, dtype="str"),
            "admitted": pd.array([pd.NA] * m, dtype="boolean"),
            "work_grade": pd.array(np.full(m, work_grade), dtype="Int64"),
            "variant": pd.array(np.where(variant_ok, vnum, np.nan)[idx], dtype="Float64").astype(
                "Int64"
            ),
            "gender": pd.Series(gender.to_numpy(dtype=object)[idx], dtype="str"),
        }
    )
    for col in RESULTS_PUPILS.columns:  # canonical dtypes
        results[col.name] = results[col.name].astype(dtype_of(col))
    results = score_to_mark(results, scale, file=file)
    absent_frame = (
        pd.DataFrame({"school_id": school_arr[absent]})
        .dropna()
        .groupby("school_id", sort=True)
        .size()
        .rename("absent")
        .reset_index()
    )
    absent_frame.insert(0, "year", year)
    absent_frame.insert(1, "assessment", "ВПР")
    absent_frame.insert(2, "subject", subj)
    absent_frame.insert(3, "grade", pupils_grade)
    absent_frame.insert(4, "work_grade", work_grade)
    absent_frame = absent_frame.astype(
        {
            "year": "int64",
            "assessment": "str",
            "subject": "str",
            "grade": "int64",
            "work_grade": "int64",
            "school_id": "str",
            "absent": "int64",
        }
    )
    tasks = _task_table(
        value[idx], note[idx], tmax, labels, results, year, subj, pupils_grade, work_grade
    )
    counts = {
        "rows": int(n),
        "participants": int(m),
        "absent": int(absent.sum()),
        "empty": int(empty_row.sum()),
        "excluded": int((writer & err).sum()),
        "schools": int(results["school_id"].nunique()),
        "warnings": int(warn.sum()),
    }
    results.attrs = {
        "kind": "pupils",
        "file": file,
        "layout": layout,
        "absent": counts["absent"],
        "notes": tuple(notes),
        "quality": quality,
        "task_max_from": max_from,
    }
    header_map = {
        "school_id": headers[school_col],
        "pupil_id": headers[pupil_col],
        "score": total_header,
        "journal_mark": jm_header,
        "variant": var_header,
    }
    return FisOkoVpr(
        results=results,
        tasks=tasks,
        quality=quality,
        absent=absent_frame,
        file=file,
        layout=layout,
        year=int(year),
        subject=subj,
        grade=int(pupils_grade),
        work_grade=int(work_grade),
        notes=tuple(notes),
        counts=counts,
        source_rows=rows[idx],
        headers=header_map,
    )


def _task_table(
    value: np.ndarray,
    note: np.ndarray,
    tmax: np.ndarray,
    labels: list[str],
    results: pd.DataFrame,
    year: int,
    subject: str,
    grade: int,
    work_grade: int,
) -> pd.DataFrame:
    m, k = value.shape
    has = ~np.isnan(value)
    i, j = np.nonzero(has)
    school = pd.Categorical(results["school_id"].to_numpy(dtype=object)[i])
    pupil = pd.Categorical(results["pupil_id"].to_numpy(dtype=object)[i])
    note_codes = note[i, j]
    note_cat = pd.Categorical.from_codes(
        np.where(note_codes == 0, -1, note_codes - 1).astype("int8"),
        categories=[_NOTES[1], _NOTES[2]],
    )
    return pd.DataFrame(
        {
            "year": np.full(len(i), year, dtype="int16"),
            "subject": pd.Categorical([subject] * len(i)),
            "grade": np.full(len(i), grade, dtype="int8"),
            "work_grade": np.full(len(i), work_grade, dtype="int8"),
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
            "max_score": tmax[j].astype("float32"),
            "note": note_cat,
        }
    )

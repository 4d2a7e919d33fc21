"""Helpers shared by the ФИС ОКО readers.

Canonical school ids (:func:`canonical_school_id`), cells as text
(:func:`cells`, :func:`factor`), what a file name says about a ВПР export
(:func:`parse_file_name`), finding a column by its header
(:func:`find_column`), opening a workbook and reading a sheet
(:func:`open_workbook`, :func:`sheet_grid`) and the data-quality report every
reader returns (:class:`QualityReport`, :data:`QUALITY_COLUMNS`).

Pupils and schools
    ``pupil_id`` is the pupil code of the file («код обучающегося», ``code``,
    «Код»), unique within a school, not across schools: the results key
    includes ``school_id``. School ids ``edu22NNNN`` (context, 2022 protocol)
    and ``sch22NNNN`` (registry, results) are the same school; the canonical
    id is ``sch22NNNN`` (:func:`canonical_school_id`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from .._grouping import on_distinct_text
from ..errors import DataError
from ..io import excel
from ..names import HIDDEN_SHORT, hide_names
from ..privacy import pseudonymize
from ..scales import SUBJECT_STEMS

if TYPE_CHECKING:
    from ..io.excel import Workbook
    from ..io.limits import ReadLimits

__all__ = [
    "ERROR",
    "NOTE",
    "QUALITY_COLUMNS",
    "WARNING",
    "FileInfo",
    "QualityReport",
    "canonical_school_id",
    "cells",
    "empty_quality",
    "factor",
    "find_column",
    "named_sheet",
    "numbers",
    "open_workbook",
    "parse_file_name",
    "sheet_grid",
]

#: Columns of a data-quality report.
QUALITY_COLUMNS = ["file", "row", "column", "value", "problem", "action", "severity", "school_id"]

#: Severities of the data-quality report.
ERROR, WARNING, NOTE = "ошибка", "предупреждение", "примечание"

_SCHOOL_ID = re.compile(r"^(?:sch|edu)(\d+)$", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_GRADE = re.compile(r"(?<!\d)(\d{1,2})\s*(?:-?\s*(?:й|го|ый))?\s*класс", re.IGNORECASE)
_GRADE_AFTER = re.compile(r"класс\w*\s*(\d{1,2})(?!\d)", re.IGNORECASE)


# ------------------------------------------------------------------ school ids


def canonical_school_id(ids: pd.Series | Iterable[object]) -> pd.Series:
    """Map ФИС ОКО school logins to the canonical school id.

    The same school is ``sch22NNNN`` in the registry and the results and
    ``edu22NNNN`` in the context questionnaire and the 2022 protocol; the
    canonical id is ``sch22NNNN``. Text such as «edu224052 | МБОУ …» is cut at
    « | ». Other ids are kept as they are (stripped).

    Parameters
    ----------
    ids : Series or iterable
        School ids as written.

    Returns
    -------
    pandas.Series
        Canonical ids (``str``; missing stays missing).

    Examples
    --------
    >>> canonical_school_id(["edu224052", "sch224052", "EDU224052 | МБОУ «СОШ»", "7"]).tolist()
    ['sch224052', 'sch224052', 'sch224052', '7']
    """
    s = pd.Series(ids, dtype="object") if not isinstance(ids, pd.Series) else ids
    codes, uniques = factor(s)
    canon = [_canon_id(u) for u in uniques]
    out = np.asarray([*canon, None], dtype=object)[codes]
    return pd.Series(out, index=s.index, dtype="str")


def _canon_id(text: str) -> str | None:
    t = text.split("|", 1)[0].strip()
    if not t:
        return None
    m = _SCHOOL_ID.match(t)
    return "sch" + m.group(1) if m else t


# ------------------------------------------------------------------ cells as text


def _text_of(v: object) -> str:
    """One cell as stripped text; an Excel number without «.0»; missing as ''."""
    if v is None:
        return ""
    if isinstance(v, float):
        if v != v:  # NaN
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    t = str(v).replace("\xa0", " ").strip()
    return "" if t in ("None", "nan", "NaN", "NaT") else t


def factor(values: pd.Series | np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Codes and normalised texts of the distinct cells (code -1 → index len(uniques)).

    Cells repeat a handful of values (scores 0–4, «X», «м»/«ж»), so the text
    is cleaned once per distinct value, not once per cell.

    Parameters
    ----------
    values : Series or ndarray
        Cells as read (numbers, text, None).

    Returns
    -------
    codes : ndarray of int
        For each cell, the index of its text in ``texts``; a missing cell
        gets ``len(texts)`` (append ``""`` to ``texts`` to look codes up).
    texts : list of str
        The distinct cells as stripped text (see :func:`cells`).

    Examples
    --------
    >>> codes, texts = factor(pd.Series([1.0, " X ", None, 1.0]))
    >>> codes.tolist(), texts
    ([0, 1, 2, 0], ['1', 'X'])
    """
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    texts = [_text_of(u) for u in uniques]
    codes = np.where(codes < 0, len(texts), codes)
    return codes, texts


def numbers(text: pd.Series, *, comma: bool = False) -> np.ndarray:
    """``pd.to_numeric(text, errors="coerce")`` of text cells, read once per distinct cell.

    Parameters
    ----------
    text : Series of str
        Cells as text (:func:`cells`).
    comma : bool, keyword-only
        A decimal comma reads as a point («4,5» is 4.5).

    Returns
    -------
    numpy.ndarray
        The numbers (NaN where a cell is not one), of the dtype
        :func:`pandas.to_numeric` gives the column: the distinct cells are the
        column's values, so they give the same.

    Examples
    --------
    >>> numbers(pd.Series(["1", "2", "", "1"])).tolist()
    [1.0, 2.0, nan, 1.0]
    >>> numbers(pd.Series(["4,5", "x"]), comma=True).tolist()
    [4.5, nan]
    """

    def read(t: pd.Series) -> tuple[pd.Series]:
        return (
            pd.to_numeric(t.str.replace(",", ".", regex=False) if comma else t, errors="coerce"),
        )

    return on_distinct_text(read, text)[0]


def cells(s: pd.Series) -> pd.Series:
    r"""Cells as stripped text; Excel numbers without «.0»; missing as ''.

    Parameters
    ----------
    s : Series
        Cells as read.

    Returns
    -------
    pandas.Series
        ``str`` cells, same index.

    Examples
    --------
    >>> cells(pd.Series([40001.0, "\xa0ж ", None, 2.5])).tolist()
    ['40001', 'ж', '', '2.5']
    """
    codes, texts = factor(s)
    out = pd.array([*texts, ""], dtype="str").take(codes)
    return pd.Series(out, index=s.index)


def find_column(norm: list[str], *names: str, prefix: str | None = None) -> int | None:
    """Position of the first of ``names`` among normalised headers, else of a header by prefix.

    Parameters
    ----------
    norm : list of str
        Headers as :func:`edu_quality.schema.normalize_header` gives them.
    *names : str
        Headers to look for, in order of preference.
    prefix : str, optional
        Else the first header that starts with it.

    Returns
    -------
    int or None
        The position, or None when no header matches.

    Examples
    --------
    >>> find_column(["логин школы", "код", "отметка за предыдущее полугодие"], "код")
    1
    >>> find_column(["логин школы", "отметка за предыдущее полугодие"], prefix="отметка за")
    1
    """
    for name in names:
        if name in norm:
            return norm.index(name)
    if prefix is not None:
        for i, h in enumerate(norm):
            if h.startswith(prefix):
                return i
    return None


# ------------------------------------------------------------------ file names


class FileInfo(NamedTuple):
    """What a file's name (and folder) say about a ВПР export."""

    year: int | None
    subject: str | None
    grade: int | None
    autumn: bool
    year_from: str | None


def parse_file_name(path: str | Path) -> FileInfo:
    """Read year, subject and grade from the name of a ВПР export.

    Rules: the year is a four-digit 20xx in the file name, else in the name
    of its folder or the folder above (``vpr_2022``); the subject is
    recognised by its stem (:func:`edu_quality.scales.normalize_subject`);
    the grade is the number before «класс» (or after it); «осен» in the name
    marks the autumn-2020 campaign.

    Parameters
    ----------
    path : str or Path
        The file.

    Returns
    -------
    FileInfo
        ``year``, ``subject``, ``grade`` (each None when not found),
        ``autumn`` and ``year_from`` («имя файла» or «папка»).

    Examples
    --------
    >>> parse_file_name("Проведение работы по математике, 4 класс. ВПР 2021.xlsx")
    FileInfo(year=2021, subject='Математика', grade=4, autumn=False, year_from='имя файла')
    >>> parse_file_name("Математика 5 класс (осень 2020).xlsx").autumn
    True
    >>> parse_file_name("vpr_2022/Русский язык 6 класс.xlsx")[:3]
    (2022, 'Русский язык', 6)
    """
    p = Path(path)
    name = p.stem
    year, year_from = None, None
    m = _YEAR.search(name)
    if m:
        year, year_from = int(m.group(1)), "имя файла"
    else:
        for parent in (p.parent, p.parent.parent):
            m = _YEAR.search(parent.name)
            if m:
                year, year_from = int(m.group(1)), "папка"
                break
    low = name.lower().replace("ё", "е")
    subject = next((nm for stem, nm in SUBJECT_STEMS if stem in low), None)
    gm = _GRADE.search(name) or _GRADE_AFTER.search(name)
    grade = int(gm.group(1)) if gm else None
    return FileInfo(year, subject, grade, "осен" in name.lower(), year_from)


# ------------------------------------------------------------------ workbooks


def open_workbook(
    path: Path, *, xlsx_only: bool = False, limits: ReadLimits | None = None
) -> Workbook:
    """Open an Excel export of ФИС ОКО.

    Parameters
    ----------
    path : Path
        The file.
    xlsx_only : bool
        Refuse a file whose name does not end in ``.xlsx`` or ``.xlsm``
        (checked after its existence, before opening it).
    limits : ReadLimits, optional
        How large the workbook and its sheets may be
        (:class:`edu_quality.io.ReadLimits`; its defaults by default).

    Returns
    -------
    edu_quality.io.excel.Workbook
        Whose sheets are checked before they are read.

    Raises
    ------
    DataError
        The file does not exist, is no regular file, has another extension
        (``xlsx_only``), is no readable workbook, or is beyond ``limits``.

    Examples
    --------
    >>> open_workbook(Path("нет.xlsx"))
    Traceback (most recent call last):
    ...
    edu_quality.errors.DataError: нет.xlsx, файл не найден: нет.xlsx
    """
    file = path.name
    if not path.exists():
        raise DataError(file, f"файл не найден: {path}")
    if xlsx_only and path.suffix.lower() not in (".xlsx", ".xlsm"):
        raise DataError(file, "выгрузка ФИС ОКО ожидается в формате .xlsx")
    return excel.open_workbook(path, file, limits)


def named_sheet(wb: Workbook, file: str, sheet: str | int) -> str:
    """The name of the sheet a user asked for by name or by 0-based position.

    Parameters
    ----------
    wb : Workbook
        From :func:`open_workbook`.
    file : str
        File name for the error message.
    sheet : str or int
        Sheet name, or its 0-based position.

    Returns
    -------
    str

    Raises
    ------
    DataError
        No such sheet (the message lists the sheets).
    """
    names = list(wb.sheet_names)
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise DataError(file, f"нет листа № {sheet + 1}; листы: {', '.join(names)}")
        return names[sheet]
    if sheet not in names:
        raise DataError(file, f"нет листа «{sheet}»; листы: {', '.join(names)}")
    return sheet


def sheet_grid(wb: Workbook, name: str, file: str) -> list[list[Any]]:
    """Every cell of a sheet, as read (rows of equal length, empty cells included).

    Parameters
    ----------
    wb : Workbook
        From :func:`open_workbook`.
    name : str
        The sheet.
    file : str
        File name for the error message (the workbook's own name is used).

    Returns
    -------
    list of lists

    Raises
    ------
    DataError
        The sheet cannot be read, or holds more than the workbook's limits
        allow (a stray cell far from the table, see
        :func:`edu_quality.io.archive.check_sheet`).
    """
    return wb.grid(name)


# ------------------------------------------------------------------ data-quality report


class QualityReport:
    """Collects the rows of a data-quality report (columns :data:`QUALITY_COLUMNS`).

    No value that looks like a person's name is kept
    (:func:`edu_quality.names.looks_like_name`; in the columns of pupil codes with
    the rule of an id column): ``value`` becomes :data:`edu_quality.names.HIDDEN`
    and the problem quotes «скрыто» instead, while the row, the column and the
    problem stay, so that the cell can be found in the file. With a key, the pupil
    codes in the report are pseudonymised as in the results.

    Parameters
    ----------
    file : str
        The file every row is about.
    id_columns : iterable of str, optional
        The headers of the columns of pupil codes.
    key : bytes, optional
        The pseudonymisation key (:func:`edu_quality.privacy.key_for`): the values of
        ``id_columns`` are pseudonymised with it.

    Examples
    --------
    >>> q = QualityReport("a.xlsx")
    >>> q.add(np.array([5]), "пол", ["?"], "пол «?» не распознан", "поле оставлено пустым",
    ...       WARNING, ["sch1"])
    >>> q.note("класс определён по кодам участников")
    >>> q.frame()[["row", "column", "severity"]].values.tolist()
    [[5, 'пол', 'предупреждение'], [<NA>, nan, 'примечание']]
    >>> q = QualityReport("a.xlsx", id_columns=["код"], key=b"k")
    >>> q.add(np.array([2, 3]), "пол", ["Петров Пётр", "ж"],
    ...       ["пол «Петров Пётр» не распознан", "пол «ж» не распознан"], "—", WARNING)
    >>> q.add(np.array([4]), "код", ["40001"], "участник с этим кодом уже есть", "—", ERROR)
    >>> q.frame()["value"].tolist()
    ['значение скрыто: похоже на ФИО', 'ж', '3462aaf2570bf4c8']
    >>> q.frame()["problem"].tolist()[0]
    'пол «скрыто» не распознан'
    """

    def __init__(self, file: str, id_columns: Iterable[str] = (), key: bytes | None = None) -> None:
        self.file = file
        self.id_columns = frozenset(id_columns)
        self.key = key
        self.parts: list[pd.DataFrame] = []
        self._pending: list[tuple] = []  # rows added since the last frame(), names not yet hidden

    def add(
        self,
        rows: np.ndarray,
        column: str | None,
        values: Sequence[object] | np.ndarray,
        problem: str | Sequence[str] | np.ndarray,
        action: str,
        severity: str,
        schools: Sequence[object] | np.ndarray | None = None,
    ) -> None:
        """Add one row per Excel row of ``rows`` (nothing when it is empty).

        Parameters
        ----------
        rows : ndarray
            Excel row numbers (``pd.NA`` for a remark on the whole file).
        column : str or None
            Header in the file.
        values : sequence
            The cells, one per row (names hidden, pupil codes pseudonymised:
            see the class).
        problem : str or sequence of str
            What is wrong: one text for all rows, or one per row.
        action : str
            What was done.
        severity : str
            :data:`ERROR`, :data:`WARNING` or :data:`NOTE`.
        schools : sequence, optional
            School id of each row.
        """
        n = len(rows)
        if n == 0:
            return
        # checked and copied now: a wrong call fails here, and the caller may change its arrays
        arrays = {
            "values": np.array(values, dtype=object),
            "problem": problem if isinstance(problem, str) else np.array(problem, dtype=object),
            "schools": None if schools is None else np.array(schools, dtype=object),
        }
        for name, given in arrays.items():
            if given is not None and not isinstance(given, str) and given.shape != (n,):
                raise ValueError(f"QualityReport.add: {name} has shape {given.shape}, not ({n},)")
        self._pending.append(
            (
                pd.array(rows, dtype="Int64"),
                column,
                arrays["values"],
                arrays["problem"],
                action,
                severity,
                arrays["schools"],
            )
        )

    def _flush(self) -> None:
        """Turn the rows added since the last call into a part of the report.

        The names are looked for once over all the cells of the columns of
        pupil codes and once over the others (:func:`edu_quality.names.hide_names`
        judges each distinct value on its own, so this is the same as looking
        cell by cell, in two calls instead of one per :meth:`add`).
        """
        pending = self._pending
        shown: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for is_id in (False, True):
            at = [i for i, p in enumerate(pending) if (p[1] in self.id_columns) == is_id]
            if not at:
                continue
            raws = [pending[i][2] for i in at]
            values, hidden = hide_names(np.concatenate(raws), id_column=is_id)
            bounds = np.cumsum([len(r) for r in raws])[:-1]
            each = zip(np.split(values, bounds), np.split(hidden, bounds), strict=True)
            shown |= dict(zip(at, each, strict=True))
        columns: dict[str, list] = {c: [] for c in QUALITY_COLUMNS if c != "file"}
        for i, (rows, column, raw, problem, action, severity, schools) in enumerate(pending):
            n = len(rows)
            values, problems = self._safe(column, raw, *shown[i], problem, n)
            for name, part in (
                ("row", pd.Series(rows)),
                ("column", np.full(n, column, dtype=object)),
                ("value", values),
                ("problem", np.asarray(problems, dtype=object)),
                ("action", np.full(n, action, dtype=object)),
                ("severity", np.full(n, severity, dtype=object)),
                ("school_id", np.full(n, None, dtype=object) if schools is None else schools),
            ):
                columns[name].append(part)
        if pending:
            joined = {c: np.concatenate(parts) for c, parts in columns.items() if c != "row"}
            joined["row"] = pd.concat(columns["row"], ignore_index=True).array
            joined["value"] = pd.Series(joined["value"]).astype("str")
            self.parts.append(pd.DataFrame({"file": self.file, **joined})[QUALITY_COLUMNS])
        self._pending = []  # only now: a failure above keeps the rows for the next frame()

    def _safe(
        self,
        column: str | None,
        raw: np.ndarray,
        values: np.ndarray,
        hidden: np.ndarray,
        problem: object,
        n: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The values and problems as the report keeps them: no name, pupil codes pseudonymised.

        ``values`` and ``hidden`` are those of :func:`edu_quality.names.hide_names`
        on ``raw``.
        """
        is_id = column in self.id_columns
        problems = np.broadcast_to(np.asarray(problem, dtype=object), (n,))
        swap = {i: HIDDEN_SHORT for i in np.flatnonzero(hidden)}
        if is_id and self.key is not None:
            codes = np.flatnonzero(~hidden & ~pd.isna(raw) & (raw != ""))
            pseudo = pseudonymize(pd.Series(raw[codes]).astype("str"), self.key).to_numpy()
            values[codes] = pseudo
            swap |= {i: f"«{p}»" for i, p in zip(codes, pseudo, strict=True)}
        if swap:
            problems = problems.copy()
            for i, text in swap.items():
                old = str(raw[i]) if text == HIDDEN_SHORT else f"«{raw[i]}»"
                problems[i] = str(problems[i]).replace(old, text)
        return values, problems

    def note(self, text: str, column: str | None = None, value: object = None) -> None:
        """Add a remark on the whole file (severity :data:`NOTE`, no row)."""
        self.add(
            np.array([pd.NA], dtype=object), column, [value], text, "учтено при загрузке", NOTE
        )

    def frame(self) -> pd.DataFrame:
        """The report so far, every column but ``row`` as ``str``."""
        self._flush()
        if not self.parts:
            return empty_quality()
        out = pd.concat(self.parts, ignore_index=True)
        for c in ("file", "column", "value", "problem", "action", "severity", "school_id"):
            out[c] = out[c].astype("str")
        return out


def empty_quality() -> pd.DataFrame:
    """A data-quality report without rows (columns :data:`QUALITY_COLUMNS`).

    Examples
    --------
    >>> list(empty_quality().columns) == QUALITY_COLUMNS
    True
    """
    return pd.DataFrame(
        {c: pd.Series(dtype="Int64" if c == "row" else "str") for c in QUALITY_COLUMNS}
    )

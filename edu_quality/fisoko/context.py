"""The ФИС ОКО context questionnaire («Сбор контекстных данных об ОО»): one row per school.

:func:`read_fisoko_context` reads every sheet of the questionnaire in four
steps: the answers of each sheet (:func:`_sheet_answers`, columns found by the
number of their question, each answer parsed by :func:`_parse_answer`), the
sheets merged on the school, the derived features (:func:`_derived_features`:
short name, locality, share of teachers of a category) and the columns in
their order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..io.limits import ReadLimits
from ..schema import normalize_header
from .common import (
    WARNING,
    QualityReport,
    canonical_school_id,
    cells,
    find_column,
    open_workbook,
    parse_file_name,
    sheet_grid,
)

__all__ = ["CONTEXT_QUESTIONS", "FisOkoContext", "read_fisoko_context"]

#: Questions of the context questionnaire (ФИС ОКО «Сбор контекстных данных об ОО»)
#: that :func:`read_fisoko_context` reads: question number → (column, kind).
CONTEXT_QUESTIONS: dict[str, tuple[str, str]] = {
    "1": ("name_full", "text"),
    "2": ("name_short", "text"),
    "14": ("locality_type", "choice"),
    "15": ("settlement_size", "choice"),
    "16": ("transport", "choice"),
    "17.1": ("aop", "bool"),
    "17.2": ("aop_separate", "bool"),
    "17.3": ("aop_classes", "bool"),
    "17.4": ("aop_inclusive", "bool"),
    "19.1": ("deep_study", "bool"),
    "19.2": ("deep_primary", "bool"),
    "19.3": ("deep_basic", "bool"),
    "19.4": ("deep_senior", "bool"),
    "20": ("pupils", "int"),
    "25": ("teachers", "int"),
    "26": ("teachers_5_9", "int"),
    "27": ("teachers_category", "int"),
}
_QUESTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\.?\s")
_CHOICE = re.compile(r"^\s*(\d+)\)\s*(.*)$", re.DOTALL)
_YES = {"да": True, "нет": False}
_ORDER = [
    "school_id",
    "municipality_context",
    "name_full",
    "name_short",
    "locality",
    "locality_type",
    "locality_type_code",
    "settlement_size",
    "settlement_size_code",
    "transport",
    "transport_code",
    "aop",
    "aop_separate",
    "aop_classes",
    "aop_inclusive",
    "deep_study",
    "deep_primary",
    "deep_basic",
    "deep_senior",
    "pupils",
    "teachers",
    "teachers_5_9",
    "teachers_category",
    "category_share",
]


@dataclass(frozen=True)
class FisOkoContext:
    """The context questionnaire of ФИС ОКО, read.

    Attributes
    ----------
    features : DataFrame
        One row per school (see :func:`read_fisoko_context`).
    quality : DataFrame
        Cells that could not be read (:data:`~edu_quality.fisoko.common.QUALITY_COLUMNS`).
    year : int
        School year of the questionnaire (calendar year of its end).
    file : str
    """

    features: pd.DataFrame
    quality: pd.DataFrame
    year: int
    file: str


def read_fisoko_context(
    path: str | Path, *, strict: bool = False, limits: ReadLimits | None = None
) -> FisOkoContext:
    """Read the ФИС ОКО context questionnaire («Сбор контекстных данных об ОО»).

    Every sheet is read; columns are found by the number of their question
    («14. Где расположена …»), so reworded questions still match. Answers
    such as «4) Населенный пункт сельского типа …» keep their text without
    the number; «Да»/«Нет» become True/False.

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` file.
    strict : bool
        Raise :class:`DataError` on unreadable cells instead of listing them.
    limits : ReadLimits, optional
        How large the workbook and its sheets may be
        (:class:`edu_quality.io.ReadLimits`; its defaults by default).

    Returns
    -------
    FisOkoContext
        ``features`` columns: ``school_id`` (canonical ``sch…``),
        ``municipality_context`` (the text after « | »), ``name_full``,
        ``name_short``, ``locality`` (город for answers 1–3 of q14 — the
        regional centre, a town, an urban-type settlement —, село for answer
        4), ``locality_type``, ``settlement_size``, ``settlement_size_code``
        (q15, 1 = under 1 000 people … 8 = over 680 000), ``transport``,
        ``transport_code`` (q16), ``aop``, ``aop_separate``, ``aop_classes``,
        ``aop_inclusive`` (q17.1–17.4), ``deep_study``, ``deep_primary``,
        ``deep_basic``, ``deep_senior`` (q19.1–19.4), ``pupils`` (q20),
        ``teachers`` (q25), ``teachers_5_9`` (q26), ``teachers_category``
        (q27: teachers of the first or highest category), ``category_share``
        (q27 / q25).

    Raises
    ------
    DataError
        No school id column, no question found, or (``strict``) unreadable
        cells.

    Examples
    --------
    >>> from edu_quality.fisoko import CONTEXT_QUESTIONS
    >>> CONTEXT_QUESTIONS["14"]
    ('locality_type', 'choice')
    """
    path = Path(path)
    file = path.name
    wb = open_workbook(path, limits=limits)
    q = QualityReport(file)
    merged: pd.DataFrame | None = None
    year: int | None = None
    found: set[str] = set()
    for name in wb.sheet_names:
        grid = sheet_grid(wb, name, file)
        if not grid:
            continue
        part, year = _sheet_answers(grid, q, found, year)
        if part is None:
            continue
        merged = (
            part
            if merged is None
            else merged.merge(
                part.drop(
                    columns=[c for c in part.columns if c in merged.columns and c != "school_id"]
                ),
                on="school_id",
                how="outer",
            )
        )
    if merged is None or not found:
        raise DataError(
            file,
            "это не анкета контекстных данных ФИС ОКО: нет столбца "
            "«Пользователь» и вопросов вида «14. …»",
        )
    if year is None:
        info = parse_file_name(path)
        year = info.year
    if year is None:
        raise DataError(file, "не удалось определить учебный год анкеты")
    out = _derived_features(merged, q)
    quality = q.frame()
    if strict and (quality["severity"] == WARNING).any():
        bad = quality[quality["severity"] == WARNING]
        raise DataError(
            file,
            [
                Problem(None if pd.isna(r.row) else int(r.row), str(r.column), str(r.problem))
                for r in bad.itertuples(index=False)
            ],
        )
    out = out[[c for c in _ORDER if c in out.columns]].sort_values("school_id")
    return FisOkoContext(out.reset_index(drop=True), quality, int(year), file)


def _sheet_answers(
    grid: list[list[Any]], q: QualityReport, found: set[str], year: int | None
) -> tuple[pd.DataFrame | None, int | None]:
    """The answers of one sheet of the questionnaire, one row per school.

    Parameters
    ----------
    grid : list of lists
        The sheet; its first row holds the questions.
    q : QualityReport
        Receives the answers that cannot be read (a warning each).
    found : set of str
        Numbers of the questions found so far; this sheet's are added.
    year : int or None
        The school year found so far.

    Returns
    -------
    part : DataFrame or None
        ``school_id``, ``municipality_context``, ``name_fisoko`` (the school's
        name in «Школа») and a column (two for a choice) per question of
        :data:`CONTEXT_QUESTIONS`; rows without a school id left out, one row
        per school. None when the sheet has no column «Пользователь».
    year : int or None
        ``year``, or when it was None the school year in the header of the
        first question read («… (2021/2022)» → 2022), if it has one.
    """
    headers = ["" if v is None else str(v).strip() for v in grid[0]]
    norm = [normalize_header(h) for h in headers]
    user = find_column(norm, "пользователь")
    if user is None:
        return None, year
    data = pd.DataFrame(grid[1:], dtype=object)
    rows = np.arange(2, 2 + len(data))
    ids = canonical_school_id(cells(data[user]))
    part = pd.DataFrame({"school_id": ids})
    muni = find_column(norm, "муниципалитет")
    if muni is not None:
        part["municipality_context"] = _after_bar(cells(data[muni]))
    school_text = find_column(norm, "школа")
    if school_text is not None:
        part["name_fisoko"] = _after_bar(cells(data[school_text]))
    for pos, header in enumerate(headers):
        m = _QUESTION.match(header.replace("\t", " "))
        if not m or m.group(1) not in CONTEXT_QUESTIONS:
            continue
        qid = m.group(1)
        column, kind = CONTEXT_QUESTIONS[qid]
        if column in part.columns:
            continue
        found.add(qid)
        if year is None:
            ym = re.search(r"(\d{4})\s*/\s*(\d{4})", header)
            year = int(ym.group(2)) if ym else None
        t = cells(data[pos])
        values, bad, what = _parse_answer(t, kind)
        for name, v in values.items():
            part[column + name] = v
        if bad is not None and bad.any():
            mask = bad.to_numpy()
            vals = t.to_numpy(dtype=object)[mask]
            q.add(
                rows[mask],
                header,
                vals,
                [f"ответ «{v}» не распознан (ожидается {what})" for v in vals],
                "поле оставлено пустым",
                WARNING,
                ids.to_numpy(dtype=object)[mask],
            )
    return part[part["school_id"].notna()].drop_duplicates("school_id"), year


def _parse_answer(t: pd.Series, kind: str) -> tuple[dict[str, pd.Series], pd.Series | None, str]:
    """Parse the answers to one question.

    Parameters
    ----------
    t : Series
        The answers as text (missing as «»).
    kind : {"text", "bool", "choice", "int"}
        The kind of the question (:data:`CONTEXT_QUESTIONS`).

    Returns
    -------
    values : dict
        Column suffix → values: ``""`` → the answer (text without the number
        of a choice, True/False, a whole number), and for a choice ``"_code"``
        → its number.
    bad : Series of bool or None
        Answers given but not readable (None for text, always readable).
    what : str
        What was expected, for the message.

    Examples
    --------
    >>> values, bad, what = _parse_answer(pd.Series(["4) Село", "село", ""]), "choice")
    >>> values[""].tolist(), values["_code"].tolist(), bad.tolist()
    (['Село', nan, nan], [4, <NA>, <NA>], [False, True, False])
    """
    if kind == "text":
        return {"": t.where(t != "").astype("str")}, None, ""
    if kind == "bool":
        v = t.str.lower().map(_YES)
        return {"": v.astype("boolean")}, (t != "") & v.isna(), "«Да» или «Нет»"
    if kind == "choice":
        parts = t.str.extract(_CHOICE)
        code = pd.to_numeric(parts[0], errors="coerce")
        values = {
            "": parts[1].str.strip().where(code.notna()).astype("str"),
            "_code": code.astype("Int64"),
        }
        return values, (t != "") & code.isna(), "ответ вида «1) …»"
    v = pd.to_numeric(t.str.replace(",", ".", regex=False).str.replace(" ", ""), errors="coerce")
    bad = (t != "") & (v.isna() | (v < 0) | (v % 1 != 0))
    return {"": v.where(~bad).astype("Int64")}, bad, "целое число ≥ 0"


def _derived_features(merged: pd.DataFrame, q: QualityReport) -> pd.DataFrame:
    """The features the questionnaire gives only together.

    Parameters
    ----------
    merged : DataFrame
        The answers of every sheet (:func:`_sheet_answers`), merged on ``school_id``.
    q : QualityReport
        Receives a warning per school with more teachers of a category than
        teachers.

    Returns
    -------
    pandas.DataFrame
        ``merged`` with ``name_short`` completed from the name in «Школа»,
        every question's column (empty when it was not asked), ``locality``
        (город for answers 1–3 of q14, село for 4) and ``category_share``
        (q27 / q25; missing when q27 > q25 or q25 = 0).
    """
    out = merged.copy()
    if "name_fisoko" in out.columns:
        if "name_short" in out.columns:
            out["name_short"] = out["name_short"].where(
                out["name_short"].notna(), out["name_fisoko"]
            )
        else:
            out["name_short"] = out["name_fisoko"]
        out = out.drop(columns="name_fisoko")
    for column, kind in CONTEXT_QUESTIONS.values():
        if column not in out.columns:
            dtype = {"text": "str", "choice": "str", "bool": "boolean", "int": "Int64"}[kind]
            out[column] = pd.Series(index=out.index, dtype=dtype)
            if kind == "choice":
                out[column + "_code"] = pd.Series(index=out.index, dtype="Int64")
    code = out["locality_type_code"]
    out["locality"] = pd.Series(
        np.where(code.isna(), None, np.where(code.fillna(0) >= 4, "село", "город")),
        index=out.index,
        dtype="str",
    )
    teachers = out["teachers"].astype("Float64")
    cat = out["teachers_category"].astype("Float64")
    over = (cat > teachers).fillna(False).to_numpy()
    if over.any():
        q.add(
            np.full(over.sum(), pd.NA, dtype=object),
            "27",
            cat[over].astype("str"),
            "учителей первой и высшей категорий больше, чем всех учителей (вопросы 25 и 27)",
            "доля не вычислена",
            WARNING,
            out.loc[over, "school_id"].to_numpy(dtype=object),
        )
    share = (cat / teachers.where(teachers > 0)).where(~over)
    out["category_share"] = share.astype("float64")
    return out


def _after_bar(t: pd.Series) -> pd.Series:
    """«reg22_m056 | Целинный муниципальный район» → «Целинный муниципальный район»."""
    out = t.str.split("|", n=1).str[-1].str.strip()
    return out.where(out != "").astype("str")

r"""Excel export of the main tables, for methodologists who continue in Excel.

Numbers stay numbers (shares as 0–1 with a percent format), small groups are
suppressed with the complementary cells that keep them from being derived from
the municipality and region rows (:mod:`edu_quality.disclosure`), no pupil-level
row is written, control characters that a workbook cannot hold (a Word line break
``\x0b``, NUL and the other C0 characters but tab, line feed and carriage return)
are taken out of every text cell, and a text cell that starts with ``=``, ``+``,
``-`` or ``@`` is written with a leading apostrophe so that Excel never takes it
for a formula.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .._files import atomic_write
from ..disclosure import hide
from .data import ReportData, report_data
from .job import Job, safe_name

__all__ = [
    "excel_safe_text",
    "export_batch_xlsx",
    "export_xlsx",
    "neutralize_formulas",
    "strip_control_characters",
    "suppress_small",
]

_SHARE_COLUMNS = ("share_2", "success_rate", "quality_rate", "not_admitted_share")
_RU = {
    "school_id": "Код ОО",
    "name": "Наименование ОО",
    "municipality": "Муниципалитет",
    "assessment": "Процедура",
    "subject": "Предмет",
    "grade": "Класс",
    "year": "Год",
    "participants": "Участников",
    "not_admitted": "Не допущены",
    "n2": "«2»",
    "n3": "«3»",
    "n4": "«4»",
    "n5": "«5»",
    "share_2": "Доля «2»",
    "share_2_low": "Доля «2»: от",
    "share_2_high": "Доля «2»: до",
    "success_rate": "Успеваемость",
    "success_rate_low": "Успеваемость: от",
    "success_rate_high": "Успеваемость: до",
    "quality_rate": "Качество знаний",
    "quality_rate_low": "Качество: от",
    "quality_rate_high": "Качество: до",
    "sou": "СОУ, %",
    "mean_mark": "Средняя отметка",
    "mean_score": "Средний балл",
    "score_sd": "Ст. отклонение балла",
    "score_n": "Участников с баллом",
    "not_admitted_share": "Доля не допущенных",
    "not_admitted_share_low": "Доля не допущенных: от",
    "not_admitted_share_high": "Доля не допущенных: до",
    "session": "Сессия",
    "exam_not_held": "Экзамен не проводился",
    "small": "Малая группа",
    "status": "Статус",
    "reasons": "Причины",
    "group": "Группа",
    "adjusted": "Результат с учётом контекста",
    "adjusted_low": "С учётом контекста: от",
    "adjusted_high": "С учётом контекста: до",
    "index_z": "Индекс социального благополучия",
}


#: C0 control characters a workbook cannot hold (XML 1.0): all but tab, LF and CR.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Of those, the ones that break a line or a page (Word's line break is ``\x0b``).
_BREAKS = re.compile(r"[\x0b\x0c]")


def _text_columns(table: pd.DataFrame) -> list:
    return [
        col
        for col in table.columns
        if table[col].dtype == object
        or pd.api.types.is_string_dtype(table[col].dtype)
        or isinstance(table[col].dtype, pd.CategoricalDtype)
    ]


def _clean_text(value: object) -> object:
    if not isinstance(value, str) or not _CONTROL.search(value):
        return value
    return _CONTROL.sub("", _BREAKS.sub(" ", value))


def strip_control_characters(table: pd.DataFrame) -> pd.DataFrame:
    r"""Take control characters out of every text cell and column name.

    A line or page break (``\x0b``, ``\x0c``) becomes a space, the other C0
    characters but tab, line feed and carriage return are removed: openpyxl
    refuses them (a workbook is XML, which cannot hold them).

    Examples
    --------
    >>> t = strip_control_characters(pd.DataFrame({"a": ["Школа\x0bНо 5", "a\x00b", "ok"]}))
    >>> t["a"].tolist()
    ['Школа Но 5', 'ab', 'ok']
    """
    out = table.rename(columns=_clean_text)
    for col in _text_columns(out):
        out[col] = out[col].astype("object").map(_clean_text)
    return out


def excel_safe_text(table: pd.DataFrame) -> pd.DataFrame:
    r"""Text cells as written to a workbook: control characters out, then formulas neutralised.

    In this order: a text that starts with a formula sign once its control
    characters are gone is neutralised too.

    Examples
    --------
    >>> excel_safe_text(pd.DataFrame({"a": ["\x00=1+1"]}))["a"].tolist()
    ["'=1+1"]
    """
    return neutralize_formulas(strip_control_characters(table))


def neutralize_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with ``=``, ``+``, ``-`` or ``@`` with an apostrophe.

    Examples
    --------
    >>> neutralize_formulas(pd.DataFrame({"a": ["=1+1", "ok", "-x"]}))["a"].tolist()
    ["'=1+1", 'ok', "'-x"]
    """
    out = table.copy()
    for col in _text_columns(out):
        s = out[col].astype("object")
        risky = s.map(lambda v: isinstance(v, str) and v[:1] in ("=", "+", "-", "@"))
        out[col] = s.where(~risky, "'" + s.astype(str))
    return out


def suppress_small(summary: pd.DataFrame) -> pd.DataFrame:
    """Blank every count and metric of a group flagged ``small`` (only N stays).

    Primary suppression alone: the exports use :attr:`ReportData.shown_summary` and its
    kin, which add the complementary cells (:mod:`edu_quality.disclosure`).

    Examples
    --------
    >>> s = pd.DataFrame({"participants": [3, 20], "n2": [1, 5], "share_2": [1 / 3, 0.25],
    ...                   "small": [True, False]})
    >>> suppress_small(s)["share_2"].isna().tolist()
    [True, False]
    """
    return hide(summary, summary["small"].astype(bool).to_numpy())


def _up_to(summary: pd.DataFrame, year: int) -> pd.DataFrame:
    """The rows of the report's school year and before; a procedure not held as an exam blank.

    A later year is not the report's; a year without the exam (ОГЭ 2020 …) has no
    results to quote, only its keys and N (as the pages leave it out of the dynamics).
    """
    s = summary.loc[summary["year"] <= year]
    out = hide(s, s["exam_not_held"].astype(bool).to_numpy())
    out["small"] = s["small"]  # a small group stays said to be one; no other is
    return out


def _in_words(table: pd.DataFrame) -> pd.DataFrame:
    """Russian headers (:data:`_RU`) and «да»/«нет» for yes/no columns."""
    flags = [c for c in table.columns if pd.api.types.is_bool_dtype(table[c].dtype)]
    words = {c: table[c].map({True: "да", False: "нет"}) for c in flags}
    return table.assign(**words).rename(columns=_RU)


def _write(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, table in sheets.items():
                t = excel_safe_text(_in_words(table))
                t.to_excel(writer, sheet_name=name[:31], index=False)
                ws = writer.sheets[name[:31]]
                for j, col in enumerate(table.columns, start=1):
                    if str(col).startswith(_SHARE_COLUMNS):
                        for cell in ws.iter_cols(min_col=j, max_col=j, min_row=2):
                            for c in cell:
                                c.number_format = "0.0%"
                    ws.column_dimensions[ws.cell(1, j).column_letter].width = 16

    atomic_write(path, write, suffix=".xlsx")
    return path


def _school_sheets(data: ReportData, ids: list[str]) -> dict[str, pd.DataFrame]:
    s = _up_to(data.shown_summary, data.year)
    s = s.loc[s["school_id"].isin(ids)].copy()
    s.insert(1, "name", s["school_id"].map(data.names))
    sheets = {"Показатели": s}
    c = data.classified
    if c is not None:
        cols = [
            "name",
            "group",
            "status",
            "reasons",
            "adjusted",
            "adjusted_low",
            "adjusted_high",
            "index_z",
        ]
        sheets["Статус"] = c.loc[c.index.isin(ids), cols].reset_index()
    return sheets


def export_xlsx(job: Job, out_dir: str | Path) -> Path:
    """Write the main tables of one report's school or municipality to ``<name>.xlsx``."""
    p = job.parameters
    data = report_data(p["data_dir"], int(p["year"]))
    if job.kind == "school":
        ids = [p["school_id"]]
    else:
        ids = data.schools_of(p["municipality"])
    sheets = _school_sheets(data, ids)
    if job.kind == "municipality":
        m = _up_to(data.shown_municipality, data.year)
        sheets["Муниципалитет"] = m.loc[m["municipality"] == p["municipality"]]
    return _write(Path(out_dir) / f"{job.name}.xlsx", sheets)


def export_batch_xlsx(
    data_dir: str | Path, year: int, out_dir: str | Path, municipality: str | None = None
) -> Path:
    """Write the main tables of every school (or one municipality) to ``tables.xlsx``."""
    data = report_data(data_dir, year)
    ids = (
        data.schools_of(municipality)
        if municipality
        else data.dataset.schools["school_id"].tolist()
    )
    sheets = _school_sheets(data, ids)
    sheets["Муниципалитеты"] = _up_to(data.shown_municipality, data.year)
    sheets["Регион"] = _up_to(data.shown_region, data.year)
    name = f"tables_{safe_name(municipality)}.xlsx" if municipality else "tables.xlsx"
    return _write(Path(out_dir) / name, sheets)

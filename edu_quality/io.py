"""Readers for the files methodologists have.

Every reader takes a ``.csv`` (UTF-8 with or without BOM, or cp1251; ``;``,
``,`` or tab separators), an ``.xlsx`` or a ``.parquet`` file, finds the header
row (title rows above it are skipped), maps Russian or English headers to the
canonical columns of :mod:`edu_quality.schema`, parses the cells (decimal
commas, spaces in numbers, «62,5 %», marks written as words, school years
written as «2021-2022» or «2021/22»), validates the table with its pandera
schema and returns a tidy DataFrame.

Every problem raises :class:`edu_quality.errors.DataError` naming the file, the
row as the user sees it and the column, with all the problems of the file
listed. Columns of pupil names (ФИО) are dropped on reading and never stored.
"""

from __future__ import annotations

import csv
import io as _io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .errors import MAX_PROBLEMS, DataError, Problem
from .privacy import pseudonymize, pupil_key
from .schema import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    NAME_HEADERS,
    PLAN,
    RESULTS_AGGREGATED,
    RESULTS_PUPILS,
    RISK_PROFILES,
    SCHOOLS,
    STAFF,
    Column,
    TableSpec,
    dtype_of,
    match_columns,
    normalize_header,
    pandera_schema,
)

__all__ = [
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_plan",
    "read_results",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
]

SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
_HEADER_SEARCH_ROWS = 30
_PER_COLUMN_PROBLEMS = 200
_MISSING = frozenset(
    {"", "nan", "none", "null", "-", "—", "–", "н/д", "нет данных", "#н/д", "n/a", "na", "#n/a"}
)


@dataclass
class _Raw:
    """A file's cells below the header row, as read."""

    file: str
    headers: list[str]
    data: pd.DataFrame  # columns 0..k-1
    rows: np.ndarray  # row numbers the user sees, one per data row


@dataclass
class _Loaded:
    """A parsed table with the row numbers and headers it came from."""

    table: pd.DataFrame
    rows: np.ndarray
    headers: dict[str, str]  # canonical column → header in the file
    file: str
    spec: TableSpec


# ----------------------------------------------------------------- raw reading


def _display_name(path: Path) -> str:
    return path.name


def _decode(raw: bytes, file: str) -> str:
    if not raw.strip():
        raise DataError(file, "файл пуст")
    if b"\x00" in raw[:4096]:
        raise DataError(file, "файл не является текстовым (CSV): сохраните его как CSV или XLSX")
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    raise DataError(file, "не удалось определить кодировку (ожидается UTF-8 или Windows-1251)")


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ";", (-1, -1)
    for delim in (";", "\t", ","):
        counts = [len(r) for r in csv.reader(lines, delimiter=delim) if r and any(r)]
        multi = [c for c in counts if c > 1]
        if not multi:
            continue
        modal = max(set(multi), key=multi.count)
        score = (multi.count(modal), modal)
        if score > best_score:
            best, best_score = delim, score
    return best


def _find_header(
    candidates: list[list[object]], score: Callable[[list[str]], int], file: str, expected: str
) -> int:
    best_i, best = -1, 0
    for i, row in enumerate(candidates):
        s = score([str(v) if v is not None else "" for v in row])
        if s > best:
            best_i, best = i, s
    if best_i < 0 or best < 2:
        raise DataError(
            file,
            f"не найдена строка заголовков: в первых {_HEADER_SEARCH_ROWS} строках нет столбцов "
            f"таблицы ({expected})",
        )
    return best_i


def _read_csv(path: Path, file: str, score: Callable, expected: str) -> _Raw:
    text = _decode(path.read_bytes(), file)
    head_lines = text.splitlines()[: _HEADER_SEARCH_ROWS + 20]
    delim = _sniff_delimiter(head_lines)
    candidates = list(csv.reader(head_lines[:_HEADER_SEARCH_ROWS], delimiter=delim))
    h = _find_header(candidates, score, file, expected)
    headers = [c.strip() for c in candidates[h]]
    width = len(headers)
    while headers and not headers[-1]:
        headers.pop()
    for _ in range(20):  # rows wider than the header: widen, then check the extra cells
        try:
            data = pd.read_csv(
                _io.StringIO(text),
                sep=delim,
                header=None,
                skiprows=h + 1,
                names=range(width),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
            break
        except pd.errors.ParserError as exc:
            m = re.search(r"saw (\d+)", str(exc))
            if not m:
                raise DataError(file, f"файл CSV повреждён: {exc}") from None
            width = max(width + 1, int(m.group(1)))
    else:
        raise DataError(file, "файл CSV повреждён: строки разной длины")
    rows = np.arange(h + 2, h + 2 + len(data))
    _check_unnamed(data, headers, rows, file)
    data = data.iloc[:, : len(headers)]
    return _Raw(file, headers, data, rows)


def _check_unnamed(data: pd.DataFrame, headers: list[str], rows: np.ndarray, file: str) -> None:
    """Values in columns without a header would be lost silently: refuse them."""
    problems = []
    for pos in range(len(headers), data.shape[1]):
        t = _text(data[pos])
        for i in np.flatnonzero((~_missing(t)).to_numpy())[:_PER_COLUMN_PROBLEMS]:
            problems.append(Problem(int(rows[i]), f"№ {pos + 1}",
                                    f"значение «{t.iloc[i]}» в столбце без заголовка"))
    if problems:
        raise DataError(file, problems)


def _excel_value(v: object) -> object:
    if isinstance(v, str):
        return v
    if v is None:
        return ""
    return v


def _read_xlsx(path: Path, file: str, sheet: str | int | None, score: Callable,
               expected: str) -> _Raw:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise DataError(file, f"файл Excel повреждён или не является XLSX ({exc})") from None
    names = list(wb.sheet_names)
    if sheet is None:
        visible = [m.name for m in wb.sheets_metadata if str(m.visible).lower().endswith("visible")
                   and "hidden" not in str(m.visible).lower()]
        sheet = visible[0] if visible else names[0]
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise DataError(file, f"нет листа № {sheet + 1}; листы: {', '.join(names)}")
        sheet = names[sheet]
    if sheet not in names:
        raise DataError(file, f"нет листа «{sheet}»; листы: {', '.join(names)}")
    try:
        grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    except Exception as exc:
        raise DataError(file, f"не удалось прочитать лист «{sheet}» ({exc})") from None
    if not grid:
        raise DataError(file, f"лист «{sheet}» пуст")
    h = _find_header(grid[:_HEADER_SEARCH_ROWS], score, file, expected)
    headers = [str(v).strip() if v is not None else "" for v in grid[h]]
    while headers and not headers[-1]:
        headers.pop()
    width = max(len(r) for r in grid)
    body = [[_excel_value(v) for v in (r + [""] * (width - len(r)))] for r in grid[h + 1:]]
    data = pd.DataFrame(body, columns=range(width), dtype=object)
    rows = np.arange(h + 2, h + 2 + len(data))
    _check_unnamed(data, headers, rows, file)
    return _Raw(file, headers, data.iloc[:, : len(headers)], rows)


def _read_parquet(path: Path, file: str) -> _Raw:
    try:
        data = pd.read_parquet(path)
    except Exception as exc:
        raise DataError(file, f"файл Parquet повреждён ({exc})") from None
    headers = [str(c) for c in data.columns]
    data.columns = range(len(headers))
    return _Raw(file, headers, data.reset_index(drop=True), np.arange(2, 2 + len(data)))


def _read_raw(path: str | Path, sheet: str | int | None, specs: Sequence[TableSpec]) -> _Raw:
    path = Path(path)
    file = _display_name(path)
    if not path.exists():
        raise DataError(file, f"файл не найден: {path}")
    if path.is_dir():
        raise DataError(file, "указана папка, а не файл")
    suffix = path.suffix.lower()
    expected = ", ".join(c.label for c in specs[0].columns if c.required)

    def score(headers: list[str]) -> int:
        return max(len(match_columns(headers, s, keep_names=s is SCHOOLS)) for s in specs)

    if suffix in (".csv", ".txt", ".tsv"):
        raw = _read_csv(path, file, score, expected)
    elif suffix in (".xlsx", ".xlsm"):
        raw = _read_xlsx(path, file, sheet, score, expected)
    elif suffix == ".parquet":
        raw = _read_parquet(path, file)
    elif suffix == ".xls":
        raise DataError(file, "старый формат .xls не поддерживается: сохраните файл как .xlsx")
    else:
        raise DataError(file, f"неизвестный формат «{suffix}»: ожидается .csv, .xlsx или .parquet")
    # fully empty rows are layout, not data: drop them (their numbers stay with the others)
    if len(raw.data):
        as_text = raw.data.astype(str)
        empty = as_text.apply(lambda c: c.str.strip().isin(("", "nan", "None"))).all(axis=1)
        if empty.any():
            keep = ~empty.to_numpy()
            raw.data = raw.data.loc[keep].reset_index(drop=True)
            raw.rows = raw.rows[keep]
    return raw


# ------------------------------------------------------------------- parsing


def _text(s: pd.Series) -> pd.Series:
    """Cells as stripped text; numbers from Excel written without «.0»."""
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.notna() & (s % 1 == 0)
        out = s.astype(str)
        out[whole] = s[whole].astype("int64").astype(str)
        return out.where(s.notna(), "")
    if s.dtype == object:
        s = s.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    # missing values (None, NaN, pd.NA of Parquet columns) stay missing under astype(str)
    return s.astype(str).fillna("").str.replace("\xa0", " ", regex=False).str.strip()


def _missing(t: pd.Series) -> pd.Series:
    return t.str.lower().isin(_MISSING)


_NUM_CLEAN = re.compile(r"[\s\xa0\u202f']")


def _parse_number(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (value, bad mask, percent mask)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.astype("float64")
        false = pd.Series(False, index=s.index)
        return v, false, false
    t = _text(s)
    miss = _missing(t)
    u = t.str.replace(_NUM_CLEAN, "", regex=True).str.replace(",", ".", regex=False)
    pct = u.str.endswith("%")
    u = u.str.rstrip("%")
    v = pd.to_numeric(u.where(~miss), errors="coerce").astype("float64")
    bad = ~miss & v.isna()
    return v, bad, pct & ~bad


_MARK_WORDS = {
    "отлично": 5, "отл": 5, "хорошо": 4, "хор": 4, "удовлетворительно": 3, "удовл": 3,
    "уд": 3, "неудовлетворительно": 2, "неуд": 2, "неудовл": 2,
}
_NO_MARK = frozenset({"нет отметки", "н/а", "не аттестован", "н/а.", "осв", "зачет", "зачёт"})
_BOOL = {
    "да": True, "нет": False, "yes": True, "no": False, "true": True, "false": False,
    "1": True, "0": False, "+": True, "допущен": True, "не допущен": False, "истина": True,
    "ложь": False, "д": True, "н": False,
}


def _parse_year(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    if s.dtype == object:
        dates = s.map(lambda v: isinstance(v, (datetime, date)))
        if dates.any():
            out[dates] = s[dates].map(_year_from_date)
    t = _text(s.where(~out.notna(), ""))
    miss = _missing(t) & out.isna()
    span = t.str.extract(r"^(\d{4})\s*[-/–—]\s*(\d{2}|\d{4})\b")
    start = pd.to_numeric(span[0], errors="coerce")
    end = pd.to_numeric(span[1], errors="coerce")
    end = end.where(end >= 100, (start // 100) * 100 + end)
    ok_span = start.notna() & (end == start + 1)
    out = out.where(out.notna(), end.where(ok_span))
    single = pd.to_numeric(t.str.extract(r"^(\d{4})(?:\.0+)?(?:\s*(?:г\.?|год))?$")[0],
                           errors="coerce")
    out = out.where(out.notna(), single)
    bad = out.isna() & ~miss
    return out, bad


def _year_from_date(v: date) -> float:
    """An Excel date where a year was meant.

    A year typed into a cell formatted as a date shows as a date in 1905
    (Excel serial 2021 = 13.07.1905): the serial is the year. Any other date
    means the school year that contains it (September–August).
    """
    d = v.date() if isinstance(v, datetime) else v
    serial = (d - date(1899, 12, 30)).days
    if 1990 <= serial <= 2100:
        return float(serial)
    return float(d.year + 1 if d.month >= 9 else d.year)


def _parse(col: Column, s: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Parse one column. Return (values, bad mask, what was expected)."""
    kind = col.kind
    if kind in ("id", "text"):
        t = _text(s)
        return t.where(~_missing(t)).astype("str"), pd.Series(False, index=s.index), ""
    if kind == "year":
        v, bad = _parse_year(s)
        return v, bad, "учебный год (например, «2021-2022» или 2022)"
    if kind in ("int", "float", "share"):
        v, bad, pct = _parse_number(s)
        if kind == "share":
            v = v.where(~pct, v / 100)
            return v, bad, "доля (например, 0,25 или «25 %»)"
        if kind == "int":
            frac = v.notna() & (v % 1 != 0)
            return v, bad | frac, "целое число"
        return v, bad, "число"
    if kind == "mark":
        t = _text(s)
        low = t.str.lower()
        miss = _missing(t) | low.isin(_NO_MARK)
        words = low.map(_MARK_WORDS)
        num = pd.to_numeric(t.str.replace(",", ".", regex=False).where(~miss & words.isna()),
                            errors="coerce")
        v = words.astype("float64").where(words.notna(), num)
        bad = ~miss & (v.isna() | (v % 1 != 0))
        return v.where(~bad), bad, "отметка 2–5"
    if kind == "bool":
        t = _text(s).str.lower()
        miss = _missing(t)
        v = t.map(_BOOL)
        return v, ~miss & v.isna(), "да или нет"
    if kind == "category":
        t = _text(s)
        miss = _missing(t)
        values = dict(col.values or {})
        values.update({normalize_header(v): v for v in set(values.values())})
        v = t.map(lambda x: values.get(normalize_header(x)))
        allowed = ", ".join(sorted(set(values.values())))
        return v.astype("str").where(v.notna()), ~miss & v.isna(), f"одно из: {allowed}"
    raise ValueError(f"unknown column kind {kind!r}")


def _cast(col: Column, v: pd.Series) -> pd.Series:
    dtype = dtype_of(col)
    if dtype in ("int64",):
        return v.astype("float64").astype("Int64") if v.isna().any() else v.astype("int64")
    if dtype == "Int64":
        return v.astype("float64").astype("Int64")
    if dtype == "boolean":
        return v.astype("boolean")
    if dtype == "float64":
        return v.astype("float64")
    return v


# ------------------------------------------------------------------- reading


def _problem_cells(rows: np.ndarray, header: str, raw: pd.Series, bad: pd.Series,
                   expected: str) -> tuple[list[Problem], int]:
    idx = np.flatnonzero(bad.to_numpy())
    out = []
    for i in idx[:_PER_COLUMN_PROBLEMS]:
        value = raw.iloc[i]
        out.append(Problem(int(rows[i]), header, f"значение «{value}» не распознано: ожидается "
                                                 f"{expected}"))
    return out, len(idx)


def _load(
    path: str | Path,
    specs: Sequence[TableSpec],
    *,
    sheet: str | int | None = None,
    fill: dict[str, object] | None = None,
    extra: Callable[[str], str | None] | None = None,
) -> _Loaded:
    """Read, map, parse and validate one file against the best-fitting spec.

    ``extra`` maps a header that is no canonical column to the name of an extra
    column (kept, as a share) or to None (dropped).
    """
    raw = _read_raw(path, sheet, specs)
    file = raw.file
    fill = {k: v for k, v in (fill or {}).items() if v is not None}
    spec = max(
        specs,
        key=lambda s: (
            sum(n in set(match_columns(raw.headers, s).values()) for n in s.required),
            len(match_columns(raw.headers, s)),
        ),
    )
    mapping = match_columns(raw.headers, spec, keep_names=spec is SCHOOLS)
    present = set(mapping.values())
    missing = [c for c in spec.columns if c.required and c.name not in present and c.name not in fill]
    if missing:
        problems = [
            Problem(int(raw.rows[0]) - 1 if len(raw.rows) else None, c.label,
                    f"нет обязательного столбца «{c.label}» (подходят заголовки: "
                    + ", ".join(f"«{a}»" for a in (c.label, *c.aliases[:3])) + ")")
            for c in missing
        ]
        raise DataError(file, problems)

    problems: list[Problem] = []
    total = 0
    columns: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    extras: list[Column] = []
    for pos, header in enumerate(raw.headers):
        name = mapping.get(pos)
        if name is not None:
            col = spec.column(name)
        elif extra is not None and normalize_header(header) not in NAME_HEADERS:
            xname = extra(header)
            if xname is None or xname in columns:
                continue
            col = Column(xname, "share", label=header)
            extras.append(col)
        else:
            continue
        values, bad, expected = _parse(col, raw.data[pos])
        if bad.any():
            found, n = _problem_cells(raw.rows, header, _text(raw.data[pos]), bad, expected)
            problems += found
            total += n
        columns[col.name] = values
        headers[col.name] = header
    n = len(raw.data)
    for name, value in fill.items():
        col = spec.column(name)
        values, bad, expected = _parse(col, pd.Series([value] * n, dtype=object))
        if n and bad.iloc[0]:
            raise DataError(file, f"параметр {name}={value!r}: ожидается {expected}")
        columns[name] = values
        headers.setdefault(name, col.label)
    if problems:
        raise DataError(file, problems, total=total)

    ordered = [c for c in spec.columns if c.name in columns] + extras
    table = pd.DataFrame(
        {c.name: _cast(c, columns[c.name]) for c in ordered}, index=pd.RangeIndex(n)
    )
    _validate(table, spec, raw.rows, headers, file, extra_kind="share" if extras else None)
    for i, col in enumerate(spec.columns):  # every canonical column, empty when absent
        if col.name not in table.columns:
            table.insert(min(i, table.shape[1]), col.name, pd.Series(index=table.index,
                                                                     dtype=dtype_of(col)))
    return _Loaded(table, raw.rows, headers, file, spec)


_CHECK_TEXT = {
    "not_nullable": "пустое значение в обязательном столбце",
    "multiple_fields_uniqueness": "повторяющаяся запись",
    "field_uniqueness": "повторяющееся значение",
}


def _validate(table: pd.DataFrame, spec: TableSpec, rows: np.ndarray, headers: dict[str, str],
              file: str, extra_kind: str | None = None) -> None:
    schema = pandera_schema(spec, table.columns, extra_kind=extra_kind,
                            checks=_table_checks(spec, table))
    try:
        schema.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        raise DataError(file, _failures_to_problems(exc.failure_cases, table, spec, rows, headers),
                        total=None) from None


def _table_checks(spec: TableSpec, table: pd.DataFrame) -> list[pa.Check]:
    checks = []
    counts = [c for c in ("n2", "n3", "n4", "n5") if c in table.columns]
    if spec is RESULTS_AGGREGATED and counts:
        checks.append(pa.Check(
            lambda df: df[counts].fillna(0).sum(axis=1) <= df["participants"],
            error="участников меньше, чем сумма отметок «2»–«5»",
        ))
    if spec is STAFF:
        for c in ("category_highest", "category_first", "trained", "part_time", "mentoring",
                  "young"):
            if c in table.columns and "teachers" in table.columns and c != "trained":
                checks.append(pa.Check(
                    lambda df, c=c: ~(df[c] > df["teachers"]).fillna(False),
                    error=f"«{spec.column(c).label}» больше, чем педагогов",
                ))
    return checks


def _failures_to_problems(fc: pd.DataFrame, table: pd.DataFrame, spec: TableSpec,
                          rows: np.ndarray, headers: dict[str, str]) -> list[Problem]:
    problems: dict[tuple, Problem] = {}
    for rec in fc.itertuples(index=False):
        check = str(rec.check)
        idx = rec.index
        row = int(rows[int(idx)]) if idx is not None and not pd.isna(idx) else None
        if rec.schema_context == "DataFrameSchema" and check not in _CHECK_TEXT:
            key = (row, check)
            if key not in problems:
                problems[key] = Problem(row, None, check)
            continue
        column = rec.column if isinstance(rec.column, str) else None
        header = headers.get(column, column) if column else None
        if check == "multiple_fields_uniqueness":
            key_cols = ", ".join(headers.get(k, k) for k in spec.key if k in table.columns)
            key = (row, "dup")
            if key not in problems:
                problems[key] = Problem(row, None, f"повторяющаяся запись: совпадают {key_cols}")
            continue
        text = _CHECK_TEXT.get(check, check)
        if check.startswith("column_in_dataframe") or check.startswith("dtype"):
            text = f"неверный тип данных ({check})"
        value = rec.failure_case
        message = text if check == "not_nullable" else f"значение «{_fmt(value)}»: {text}"
        problems[(row, header, check)] = Problem(row, header, message)
    return list(problems.values())


def _fmt(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:g}".replace(".", ",")
    return str(v)


# ------------------------------------------------------------ public readers


def read_schools(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read the school registry.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str or int, optional
        Excel sheet name or 0-based index; the first visible sheet by default.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``municipality``, ``group`` (обычная /
        углублённая / малокомплектная сельская / ОВЗ, or missing),
        ``locality`` (город / село, or missing), and any further columns of
        the file as text.

    Raises
    ------
    DataError
        Missing required column, duplicated school id, unknown group…

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "schools.csv"
    >>> _ = p.write_text("Код ОО;Наименование ОО;Муниципалитет;Группа\\n"
    ...                  "5;МБОУ «СОШ № 5»;Инта;СОШ\\n", encoding="cp1251")
    >>> read_schools(p)[["school_id", "group"]].to_dict("records")
    [{'school_id': '5', 'group': 'обычная'}]
    """
    return _load(path, [SCHOOLS], sheet=sheet, extra=_text_extra).table


def _text_extra(header: str) -> str | None:
    return None


def read_results(
    path: str | Path,
    *,
    assessment: str | None = None,
    sheet: str | int | None = None,
    year: int | str | None = None,
    subject: str | None = None,
    grade: int | None = None,
    pseudonymize_ids: bool | str | None = None,
    strict: bool = False,
    invalid_results: str = "raise",
    scales: pd.DataFrame | str | Path | None = None,
) -> pd.DataFrame:
    """Read assessment results, pupil-level or aggregated per school.

    The two forms are told apart by their columns: a pupil id column
    («Код участника») means pupil level; counts («Количество участников»,
    «2»…«5») mean aggregated. ВПР exports of ФИС ОКО (``.xlsx`` in any of
    the three layouts of :mod:`edu_quality.fisoko`) are recognised by their
    columns and read with :func:`edu_quality.fisoko.read_fisoko_vpr`: the
    participants' results, with the mark from the score-to-mark scale and
    the data-quality report in ``attrs["quality"]``.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    assessment, year, subject, grade : optional
        Values for columns the file does not have (``assessment`` is
        normalised: «огэ», «ГИА-9» → «ОГЭ»).
    sheet : str or int, optional
        Excel sheet.
    pseudonymize_ids : bool or str, optional
        Replace pupil ids by a keyed hash: a key, or True to use the key in
        ``EDU_QUALITY_PUPIL_KEY``. By default ids are hashed when that
        variable is set and kept otherwise.
    strict, invalid_results, scales : optional
        For ФИС ОКО exports only (see :func:`edu_quality.fisoko.read_fisoko_vpr`):
        raise on invalid secondary fields (``strict``); raise on invalid
        results or leave them out (``"raise"`` / ``"exclude"``); a user's
        score-to-mark scales.

    Returns
    -------
    pandas.DataFrame
        Pupil level: ``year``, ``assessment``, ``subject``, ``grade``,
        ``school_id``, ``pupil_id``, ``score``, ``mark`` (2–5),
        ``journal_mark``, ``level``, ``admitted`` (the optional ones when the
        file has them). Aggregated: ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id``, ``participants`` (pupils who wrote the
        work), ``not_admitted``, ``n2``…``n5`` (missing when unknown),
        ``mean_score``. ``attrs["kind"]`` is ``"pupils"`` or
        ``"aggregated"``. Pupil names are never read. ФИС ОКО exports add
        ``work_grade``, ``variant`` and ``gender``, and ``attrs["quality"]``,
        ``attrs["absent"]``, ``attrs["notes"]``.

    Raises
    ------
    DataError
        A mark outside 2–5, duplicated pupils, fewer participants than the
        sum of marks, a missing required column…

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "oge.csv"
    >>> _ = p.write_text("ОГЭ по математике\\n"
    ...     "Учебный год;Предмет;Класс;Код ОО;Количество участников;Не допущены;2\\n"
    ...     "2018-2019;Математика;9;5;25;2;5\\n", encoding="cp1251")
    >>> df = read_results(p, assessment="огэ")
    >>> df.attrs["kind"], df.loc[0, "year"], df.loc[0, "assessment"], df.loc[0, "n2"]
    ('aggregated', np.int64(2019), 'ОГЭ', np.int64(5))
    """
    loaded = _load_results(path, assessment=assessment, sheet=sheet, year=year, subject=subject,
                           grade=grade, pseudonymize_ids=pseudonymize_ids, strict=strict,
                           invalid_results=invalid_results, scales=scales)
    return loaded.table


def _load_results(path, *, assessment=None, sheet=None, year=None, subject=None, grade=None,
                  pseudonymize_ids=None, strict=False, invalid_results="raise",
                  scales=None) -> _Loaded:
    from . import fisoko

    vpr = fisoko._sniff(path, sheet, year=year, subject=subject, grade=grade, strict=strict,
                        invalid_results=invalid_results, scales=scales,
                        pseudonymize_ids=pseudonymize_ids)
    if vpr is not None:
        return _Loaded(vpr.results, vpr.source_rows, vpr.headers, vpr.file, RESULTS_PUPILS)
    fill = {"assessment": assessment, "year": year, "subject": subject, "grade": grade}
    loaded = _load(path, [RESULTS_PUPILS, RESULTS_AGGREGATED], sheet=sheet, fill=fill)
    table = loaded.table
    if loaded.spec is RESULTS_PUPILS:
        key = pseudonymize_ids if isinstance(pseudonymize_ids, str) else None
        key = pupil_key(key)
        if pseudonymize_ids is False:
            key = None
        elif pseudonymize_ids is True and key is None:
            raise DataError(loaded.file, "псевдонимизация запрошена, но ключ не задан "
                                         "(переменная окружения EDU_QUALITY_PUPIL_KEY)")
        if key is not None:
            table["pupil_id"] = pseudonymize(table["pupil_id"], key)
    table.attrs["kind"] = "pupils" if loaded.spec is RESULTS_PUPILS else "aggregated"
    return loaded


@lru_cache(maxsize=1)
def _factor_lookup() -> dict[str, str]:
    from .catalogue import factor_catalogue

    cat = factor_catalogue()
    out = {normalize_header(f): f for f in cat["factor"]}
    out.update({normalize_header(lbl): f for f, lbl in zip(cat["factor"], cat["label"])})
    return out


_CONTEXT_SKIP = {h for c in SCHOOLS.columns if c.name != "school_id" for h in c.headers()}


def _context_extra(header: str) -> str | None:
    key = normalize_header(header)
    if not key or key in _CONTEXT_SKIP:
        return None
    return _factor_lookup().get(key, header.strip())


def read_context(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read the social context of schools: one share column (0–1) per factor.

    Headers that are a factor's canonical name or its Russian label in the
    catalogue (:func:`edu_quality.factor_catalogue`) become the canonical
    name; other headers are kept as they are. Percentages («29,3 %») are
    converted to shares.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``year`` and one ``float64`` column per factor.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "context.csv"
    >>> _ = p.write_text("Код ОО;Учебный год;tzhs\\n8;2022-2023;29,3 %\\n", encoding="utf-8")
    >>> read_context(p).loc[0, "tzhs"]
    np.float64(0.293)
    """
    return _load(path, [CONTEXT], sheet=sheet, extra=_context_extra).table


def _reader(spec: TableSpec, what: str) -> Callable[..., pd.DataFrame]:
    def read(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
        return _load(path, [spec], sheet=sheet).table

    cols = "\n".join(
        f"        ``{c.name}`` — {c.label}" + (" (обязательный)" if c.required else "")
        for c in spec.columns
    )
    read.__name__ = read.__qualname__ = f"read_{spec.name}"
    read.__doc__ = f"""Read {what}.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str or int, optional
        Excel sheet; the first visible sheet by default.

    Returns
    -------
    pandas.DataFrame
        {spec.description}; columns:
{cols}

    Raises
    ------
    DataError
        Naming file, row and column of every problem.

    Examples
    --------
    >>> from edu_quality.io import read_{spec.name}
    >>> callable(read_{spec.name})
    True
    """
    return read


read_staff = _reader(STAFF, "teachers and their qualification per school and year")
read_enrolment = _reader(ENROLMENT, "enrolment by level of education")
read_risk_profiles = _reader(RISK_PROFILES, "500+ risk profiles")
read_indicators = _reader(INDICATORS, "programme indicators with their targets")
read_plan = _reader(PLAN, "the plan of measures by track (дорожная карта)")

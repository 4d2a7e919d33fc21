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
listed. Columns of pupil names (ФИО, фамилия, имя, отчество in any spelling) are
dropped on reading and never stored; the headers a reader did not use are listed
in ``attrs["ignored_columns"]``.

Broken files are read as Excel shows them or refused, never half-read
(``tests/hostile`` holds one file per case): UTF-16, KOI8-R and CP866 text is
recognised; text decoded twice («ÐšÐ¾Ð´»), mixed encodings, formulas saved
without their values, Excel error values, a second table beside or below the
first, a table on several sheets or only on a hidden one, an «Итого» row and a
number merged over several rows are errors; a header over two rows of merged
cells, merged labels and numbers typed as headers (2, 3, 4, 5) are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..errors import DataError, Problem
from ..privacy import pseudonymize, pupil_key
from ..schema import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    PLAN,
    RESULTS_AGGREGATED,
    RESULTS_PUPILS,
    RISK_PROFILES,
    SCHOOLS,
    STAFF,
    Column,
    TableSpec,
    dtype_of,
    is_name_header,
    match_columns,
    normalize_header,
    pandera_schema,
)
from .cells import as_text, cast, parse, parse_distinct
from .grid import PER_COLUMN_PROBLEMS, Raw
from .raw import read_raw

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


@dataclass
class _Loaded:
    """A parsed table with the row numbers and headers it came from."""

    table: pd.DataFrame
    rows: np.ndarray
    headers: dict[str, str]  # canonical column → header in the file
    file: str
    spec: TableSpec


# A Parquet file arrives typed and may hold millions of rows. Its table is checked by the
# pandera schema's own checks run on whole columns, which gives exactly what pandera gives:
# only a table that fails one goes through pandera, which then reports every problem as
# for any other file.


def _passes(schema: pa.DataFrameSchema, table: pd.DataFrame) -> bool:
    """Whether pandera would accept ``table``: the schema's checks, run on whole columns."""
    try:  # columns and their dtypes
        schema.validate(table.iloc[:0], lazy=True)
    except pa.errors.SchemaErrors:
        return False
    for name, column in schema.columns.items():
        if name not in table.columns:
            continue
        s = table[name]
        if not column.nullable and s.isna().any():
            return False
        if column.unique and s.duplicated().any():
            return False
        if not all(check(s).check_passed for check in column.checks):
            return False
    if not all(check(table).check_passed for check in schema.checks):
        return False
    unique = schema.unique
    return not (unique and _duplicated_any(table, [unique] if isinstance(unique, str) else unique))


def _duplicated_any(table: pd.DataFrame, keys: Sequence[str]) -> bool:
    """``table.duplicated(keys).any()``, on one integer code per row."""
    code = np.zeros(len(table), dtype=np.int64)
    size = 1
    for k in keys:
        s = table[k]
        if s.dtype == np.int64 and len(s) and int(s.max()) - int(s.min()) < 2**20:
            codes, k_size = s.to_numpy() - int(s.min()), int(s.max()) - int(s.min()) + 1
        else:
            codes, uniques = pd.factorize(s, use_na_sentinel=False)
            k_size = max(len(uniques), 1)
        size *= k_size
        if size >= 2**62:
            return bool(table.duplicated(list(keys)).any())
        code = code * k_size + codes
    code = np.sort(code)  # equal keys are neighbours
    return bool((code[1:] == code[:-1]).any())


# ------------------------------------------------------------------- reading


def _problem_cells(rows: np.ndarray, header: str, raw: pd.Series, bad: pd.Series,
                   expected: str) -> tuple[list[Problem], int]:
    idx = np.flatnonzero(bad.to_numpy())
    out = []
    for i in idx[:PER_COLUMN_PROBLEMS]:
        value = raw.iloc[i]
        value = value if len(value) <= 80 else value[:80] + "…"  # a cell may hold a novel
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
    raw = read_raw(path, sheet, specs)
    file = raw.file
    typed = Path(path).suffix.lower() == ".parquet"
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

    used = _used_columns(raw.headers, mapping, spec, extra)
    layout = _layout_problems(raw, used, spec)
    if layout:
        raise DataError(file, layout)

    problems: list[Problem] = []
    total = 0
    columns: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    extras: list[Column] = []
    for pos, header in enumerate(raw.headers):
        name = mapping.get(pos)
        if name is not None:
            col = spec.column(name)
        elif extra is not None and not is_name_header(header):
            xname = extra(header)
            if xname is None or xname in columns:
                continue
            col = Column(xname, "share", label=header)
            extras.append(col)
        else:
            continue
        values, bad, expected = (parse_distinct if typed else parse)(col, raw.data[pos])
        if bad.any():
            found, n = _problem_cells(raw.rows, header, as_text(raw.data[pos]), bad, expected)
            problems += found
            total += n
        if raw.uncomputed or raw.merged:
            found = _cell_problems(raw, pos, header, col)
            problems += found
            total += len(found)
        columns[col.name] = values
        headers[col.name] = header
    n = len(raw.data)
    for name, value in fill.items():
        col = spec.column(name)
        values, bad, expected = parse(col, pd.Series([value], dtype=object))
        if n and bad.iloc[0]:
            raise DataError(file, f"параметр {name}={value!r}: ожидается {expected}")
        values = values.take(np.zeros(n, dtype=np.intp)).set_axis(pd.RangeIndex(n))
        columns[name] = values
        headers.setdefault(name, col.label)
    if problems:
        raise DataError(file, problems, total=total)

    ordered = [c for c in spec.columns if c.name in columns] + extras
    table = pd.DataFrame(
        {c.name: cast(c, columns[c.name]) for c in ordered}, index=pd.RangeIndex(n)
    )
    _validate(table, spec, raw.rows, headers, file, extra_kind="share" if extras else None,
              typed=typed)
    for i, col in enumerate(spec.columns):  # every canonical column, empty when absent
        if col.name not in table.columns:
            table.insert(min(i, table.shape[1]), col.name, pd.Series(index=table.index,
                                                                     dtype=dtype_of(col)))
    # headers the loader did not use (pupil names among them): said, not lost silently
    table.attrs["ignored_columns"] = [h for pos, h in enumerate(raw.headers)
                                      if h and pos not in used]
    return _Loaded(table, raw.rows, headers, file, spec)


_CHECK_TEXT = {
    "not_nullable": "пустое значение в обязательном столбце",
    "multiple_fields_uniqueness": "повторяющаяся запись",
    "field_uniqueness": "повторяющееся значение",
}


def _validate(table: pd.DataFrame, spec: TableSpec, rows: np.ndarray, headers: dict[str, str],
              file: str, extra_kind: str | None = None, typed: bool = False) -> None:
    schema = pandera_schema(spec, table.columns, extra_kind=extra_kind,
                            checks=_table_checks(spec, table))
    if typed and _passes(schema, table):
        return
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


# the column a table-wide check is about (a problem names a column, not only a row)
_CHECK_COLUMNS = {"участников меньше, чем сумма отметок «2»–«5»": "participants"} | {
    f"«{c.label}» больше, чем педагогов": c.name for c in STAFF.columns if c.kind == "int"}


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
                about = _CHECK_COLUMNS.get(check)
                header = headers.get(about, about) if about in table.columns else None
                problems[key] = Problem(row, header, check)
            continue
        column = rec.column if isinstance(rec.column, str) else None
        header = headers.get(column, column) if column else None
        if check == "multiple_fields_uniqueness":
            present = [k for k in spec.key if k in table.columns]
            key_cols = ", ".join(headers.get(k, k) for k in present)
            key = (row, "dup")
            if key not in problems:  # named by the most specific column of the key
                problems[key] = Problem(row, headers.get(present[-1], present[-1]),
                                        f"повторяющаяся запись: совпадают {key_cols}")
            continue
        text = _CHECK_TEXT.get(check, check)
        if check.startswith("column_in_dataframe") or check.startswith("dtype"):
            text = f"неверный тип данных ({check})"
        value = rec.failure_case
        message = text if check == "not_nullable" else f"значение «{_fmt(value)}»: {text}"
        problems[(row, header, check)] = Problem(row, header, message)
    return list(problems.values())


def _fmt(v: object) -> str:
    if isinstance(v, str) and len(v) > 80:
        return v[:80] + "…"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:g}".replace(".", ",")
    return str(v)


# --------------------------------------------------------------------- table layout

_TOTAL_ROW = r"^\s*(?:итого|всего|итог)(?:\s*[:.]|\s+по\b|\s*$)"
_NUMERIC_KINDS = frozenset({"int", "float", "share", "mark", "bool", "year"})


def _layout_problems(raw: Raw, names: dict[int, str], spec: TableSpec) -> list[Problem]:
    """Problems of the table's layout, found before any cell is parsed.

    ``names`` maps positions of used columns to their (canonical or extra) names.
    A column named twice (a second table beside the first), a repeated header
    row (a second table below the first) and an «Итого» row would otherwise be
    read as data or lost.
    """
    header_row = raw.header_row
    problems: list[Problem] = []
    by_name: dict[str, list[int]] = {}
    for pos, name in names.items():
        by_name.setdefault(name, []).append(pos)
    for positions in by_name.values():
        if len(positions) > 1:
            first, *others = positions
            for pos in others:
                problems.append(Problem(
                    header_row, raw.headers[pos],
                    f"столбец № {pos + 1} «{raw.headers[pos]}» повторяет столбец № {first + 1} "
                    f"«{raw.headers[first]}»: оставьте один (если рядом вторая таблица, "
                    "перенесите её под первую или в отдельный файл)"))
    if problems or not len(raw.data):
        return problems
    text_cols = [pos for pos in names if raw.data[pos].dtype == object
                 or pd.api.types.is_string_dtype(raw.data[pos].dtype)]
    if len(names) >= 2 and len(text_cols) >= 2:
        repeats = sum((raw.data[pos] == raw.headers[pos]).to_numpy(dtype=bool, na_value=False)
                      .astype(np.int64) for pos in text_cols)
        for i in np.flatnonzero(repeats >= 2)[:PER_COLUMN_PROBLEMS]:
            problems.append(Problem(
                int(raw.rows[i]), raw.headers[text_cols[0]],
                "повтор строки заголовков: похоже, в файле несколько таблиц одна под другой — "
                "оставьте одну таблицу (остальные перенесите на отдельные листы или в файлы)"))
    total_row = re.compile(_TOTAL_ROW, re.IGNORECASE)
    for pos in text_cols:
        col = _spec_column(spec, names[pos])
        if col is None or col.kind in _NUMERIC_KINDS or col.name == "pupil_id":
            continue
        s = raw.data[pos]
        totals = [u for u in pd.unique(s) if isinstance(u, str) and total_row.match(u)]
        if not totals:
            continue
        for i in np.flatnonzero(s.isin(totals).to_numpy(dtype=bool))[:PER_COLUMN_PROBLEMS]:
            problems.append(Problem(
                int(raw.rows[i]), raw.headers[pos],
                f"строка итогов «{str(s.iloc[i]).strip()}»: итоги программа считает сама — удалите "
                "строку, иначе она будет посчитана как ещё одна запись"))
    return problems


def _spec_column(spec: TableSpec, name: str) -> Column | None:
    try:
        return spec.column(name)
    except KeyError:
        return None


def _cell_problems(raw: Raw, pos: int, header: str, col: Column) -> list[Problem]:
    """Problems of one used column known from reading: uncomputed cells, merged numbers."""
    out = [Problem(row, header, message) for (row, p), message in raw.uncomputed.items()
           if p == pos]
    if col.kind in _NUMERIC_KINDS and col.kind != "year":
        for row, p in sorted(raw.merged):
            if p == pos:
                out.append(Problem(row, header, "объединённая ячейка: одно число на несколько "
                                                "строк — разъедините ячейки и впишите значение "
                                                "в каждую строку"))
    return out[:PER_COLUMN_PROBLEMS]


# «Иванов Иван», «Петрова А. С.»: two or more capitalised Cyrillic words or initials
_PERSON = re.compile(r"^[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?(?:\s+(?:[А-ЯЁ][а-яё]+|[А-ЯЁ]\.\s*)){1,3}$")


def _refuse_names_as_ids(loaded: _Loaded) -> None:
    """Pupil codes that are people's names: refused, and the names are not repeated."""
    ids = loaded.table["pupil_id"]
    if not len(ids) or not ids.str.contains("[А-ЯЁа-яё]", regex=True, na=False).any():
        return
    person = ids.str.strip().str.match(_PERSON.pattern, na=False).to_numpy(dtype=bool)
    if not person.any():
        return
    header = loaded.headers.get("pupil_id", "Код участника")
    where = np.flatnonzero(person)
    raise DataError(loaded.file, [
        Problem(int(loaded.rows[i]), header, "значение похоже на фамилию и имя: в этом столбце "
                                             "должен быть код участника, а не ФИО (ФИО в "
                                             "программу не загружаются)")
        for i in where[:PER_COLUMN_PROBLEMS]
    ], total=len(where))


def _used_columns(headers: list[str], mapping: dict[int, str], spec: TableSpec,
                  extra: Callable[[str], str | None] | None) -> dict[int, str]:
    """Position → column name of every header the loader uses, repeats included."""
    names = dict(mapping)
    for pos, header in enumerate(headers):
        if pos in names or not header:
            continue
        alone = match_columns([header], spec, keep_names=spec is SCHOOLS)
        if alone:
            names[pos] = alone[0]
        elif extra is not None and not is_name_header(header):
            xname = extra(header)
            if xname is not None:
                names[pos] = xname
    return names


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
    from .. import fisoko

    vpr = fisoko.sniff_vpr(path, sheet, year=year, subject=subject, grade=grade, strict=strict,
                        invalid_results=invalid_results, scales=scales,
                        pseudonymize_ids=pseudonymize_ids)
    if vpr is not None:
        return _Loaded(vpr.results, vpr.source_rows, vpr.headers, vpr.file, RESULTS_PUPILS)
    fill = {"assessment": assessment, "year": year, "subject": subject, "grade": grade}
    loaded = _load(path, [RESULTS_PUPILS, RESULTS_AGGREGATED], sheet=sheet, fill=fill)
    table = loaded.table
    if loaded.spec is RESULTS_PUPILS:
        _refuse_names_as_ids(loaded)
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
    from ..catalogue import factor_catalogue

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


def _reader(spec: TableSpec, what: str, sample: str) -> Callable[..., pd.DataFrame]:
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
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.io import read_{spec.name}
    >>> table = read_{spec.name}(sample_folder("inta") / "{sample}")
    >>> len(table) > 0 and {spec.required!r} == [c for c in table.columns if c in {spec.required!r}]
    True
    """
    return read


read_staff = _reader(STAFF, "teachers and their qualification per school and year", "staff.csv")
read_enrolment = _reader(ENROLMENT, "enrolment by level of education", "enrolment.xlsx")
read_risk_profiles = _reader(RISK_PROFILES, "500+ risk profiles", "risk_profiles.csv")
read_indicators = _reader(INDICATORS, "programme indicators with their targets", "indicators.xlsx")
read_plan = _reader(PLAN, "the plan of measures by track (дорожная карта)", "plan.xlsx")

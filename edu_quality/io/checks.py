"""Checks of a table as read, and the problems they find, worded for a methodologist.

Before cells are parsed, the layout: a column named twice (a second table beside
the first), a repeated header row (a second table below it), an «Итого» row
(:func:`layout_problems`); formulas saved without values and numbers merged over
several rows (:func:`cell_problems`). After parsing, cells that are not what
their column expects (:func:`problem_cells`), the table's pandera schema with the
checks across columns (:func:`validate`), and pupil codes that are people's
names (:func:`refuse_names_as_ids`). Every problem names the row the user sees
and the column's header in the file.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._codes import factorize, known, mix_hashes, plain, text_hashes
from ..errors import DataError, Problem
from ..names import NAME_AS_ID, looks_like_name, shown_value
from ..schema import (
    RESULTS_AGGREGATED,
    STAFF,
    Column,
    TableSpec,
    normalize_header,
)
from .grid import PER_COLUMN_PROBLEMS, Raw

if TYPE_CHECKING:  # for the annotations only: load imports this module; pandera is
    # imported where a table is validated, so that taking a loaded dataset (a report's
    # kernel) does not import it
    import pandera.pandas as pa

    from .load import Loaded

__all__ = [
    "cell_problems",
    "duplicated_any",
    "layout_problems",
    "passes",
    "problem_cells",
    "refuse_names_as_ids",
    "validate",
]


def problem_cells(
    rows: np.ndarray, header: str, raw: pd.Series, bad: pd.Series, expected: str
) -> tuple[list[Problem], int]:
    """Problems of the cells of one column that are not what it expects, and their count.

    ``raw`` holds the cells as text, ``bad`` marks those not read; at most
    :data:`~.grid.PER_COLUMN_PROBLEMS` are listed.
    """
    idx = np.flatnonzero(bad.to_numpy())
    out = []
    for i in idx[:PER_COLUMN_PROBLEMS]:
        value = shown_value(raw.iloc[i])
        value = value if len(value) <= 80 else value[:80] + "…"  # a cell may hold a novel
        out.append(
            Problem(int(rows[i]), header, f"значение «{value}» не распознано: ожидается {expected}")
        )
    return out, len(idx)


_CHECK_TEXT = {
    "not_nullable": "пустое значение в обязательном столбце",
    "multiple_fields_uniqueness": "повторяющаяся запись",
    "field_uniqueness": "повторяющееся значение",
}


#: Held by the thread importing the validation library: pandera's modules import one
#: another, and two threads importing them at once can deadlock (Python then raises).
_IMPORTING = threading.Lock()
#: Set once pandera and its backends for pandas are imported.
_IMPORTED = threading.Event()


def _import_validation() -> None:
    """Import pandera and the schemas built with it, one thread at a time (a no-op after).

    pandera imports its backends for pandas at its first validation: a table of one
    row is validated here, under the lock, so that they are imported too.
    """
    if _IMPORTED.is_set():
        return
    with _IMPORTING:
        if _IMPORTED.is_set():
            return
        import pandera.pandas as pa

        from ..schema import pandera_schema  # noqa: F401 (imports the schemas' module)

        check = pa.Check(lambda s: s >= 0)
        pa.DataFrameSchema({"x": pa.Column(int, check)}).validate(pd.DataFrame({"x": [1]}))
        _IMPORTED.set()


def validate(
    table: pd.DataFrame,
    spec: TableSpec,
    rows: np.ndarray,
    headers: dict[str, str],
    file: str,
    extra_kind: str | None = None,
    typed: bool = False,
) -> None:
    """Check a parsed table with its pandera schema; a DataError lists every problem.

    ``extra_kind`` is the kind of the columns beyond the spec's; a ``typed``
    (Parquet) table is first checked on whole columns (:func:`passes`). A text
    column held as a categorical is checked as the text it stands for.
    """
    _import_validation()  # tables may be read on several threads at once
    from pandera.errors import SchemaErrors

    from ..schema import pandera_schema

    schema = pandera_schema(
        spec, table.columns, extra_kind=extra_kind, checks=_table_checks(spec, table)
    )
    if typed and passes(schema, table):
        return
    table = _as_text_columns(table)
    try:
        schema.validate(table, lazy=True)
    except SchemaErrors as exc:
        raise DataError(
            file, _failures_to_problems(exc.failure_cases, table, spec, rows, headers), total=None
        ) from None


def _table_checks(spec: TableSpec, table: pd.DataFrame) -> list[pa.Check]:
    """Checks across the columns of a table: marks against participants, staff counts."""
    import pandera.pandas as pa

    checks = []
    counts = [c for c in ("n2", "n3", "n4", "n5") if c in table.columns]
    if spec is RESULTS_AGGREGATED and counts:
        checks.append(
            pa.Check(
                lambda df: df[counts].fillna(0).sum(axis=1) <= df["participants"],
                error="участников меньше, чем сумма отметок «2»–«5»",
            )
        )
    if spec is STAFF:
        for c in (
            "category_highest",
            "category_first",
            "trained",
            "part_time",
            "mentoring",
            "young",
        ):
            if c in table.columns and "teachers" in table.columns and c != "trained":
                checks.append(
                    pa.Check(
                        lambda df, c=c: ~(df[c] > df["teachers"]).fillna(False),
                        error=f"«{spec.column(c).label}» больше, чем педагогов",
                    )
                )
    return checks


# the column a table-wide check is about (a problem names a column, not only a row)
_CHECK_COLUMNS = {"участников меньше, чем сумма отметок «2»–«5»": "participants"} | {
    f"«{c.label}» больше, чем педагогов": c.name for c in STAFF.columns if c.kind == "int"
}


def _failures_to_problems(
    fc: pd.DataFrame,
    table: pd.DataFrame,
    spec: TableSpec,
    rows: np.ndarray,
    headers: dict[str, str],
) -> list[Problem]:
    """Pandera's failure cases as problems, one per row, column and check."""
    problems: dict[tuple, Problem] = {}

    def header(name: str) -> str:  # as the file heads it; a column it lacks (a default) by label
        return headers.get(name) or (spec.column(name).label if name in spec.names else name)

    for rec in fc.itertuples(index=False):
        check = str(rec.check)
        idx = rec.index
        row = int(rows[int(idx)]) if idx is not None and not pd.isna(idx) else None
        if rec.schema_context == "DataFrameSchema" and check not in _CHECK_TEXT:
            key = (row, check)
            if key not in problems:
                about = _CHECK_COLUMNS.get(check)
                problems[key] = Problem(
                    row, header(about) if about in table.columns else None, check
                )
            continue
        column = rec.column if isinstance(rec.column, str) else None
        shown = header(column) if column else None
        if check == "multiple_fields_uniqueness":
            present = [k for k in spec.key if k in table.columns]
            key_cols = ", ".join(header(k) for k in present)
            key = (row, "dup")
            if key not in problems:  # named by the most specific column of the key
                problems[key] = Problem(
                    row,
                    header(present[-1]),
                    f"повторяющаяся запись: совпадают {key_cols}",
                )
            continue
        text = _CHECK_TEXT.get(check, check)
        if check.startswith("column_in_dataframe") or check.startswith("dtype"):
            text = f"неверный тип данных ({check})"
        value = rec.failure_case
        message = text if check == "not_nullable" else f"значение «{_fmt(value)}»: {text}"
        problems[(row, shown, check)] = Problem(row, shown, message)
    return list(problems.values())


def _fmt(v: object) -> str:
    """A failing value as a message quotes it (decimal comma, no «.0», at most 80 characters)."""
    if isinstance(v, str):
        v = shown_value(v)
        return v if len(v) <= 80 else v[:80] + "…"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:g}".replace(".", ",")
    return str(v)


_TOTAL_ROW = r"^\s*(?:итого|всего|итог)(?:\s*[:.]|\s+по\b|\s*$)"
_TOTAL_WORDS = "итог|всего"  # in every match of _TOTAL_ROW
_NUMERIC_KINDS = frozenset({"int", "float", "share", "mark", "bool", "year"})


def layout_problems(raw: Raw, names: dict[int, str], spec: TableSpec) -> list[Problem]:
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
                problems.append(
                    Problem(
                        header_row,
                        raw.headers[pos],
                        f"столбец № {pos + 1} «{raw.headers[pos]}» повторяет столбец № {first + 1} "
                        f"«{raw.headers[first]}»: оставьте один (если рядом вторая таблица, "
                        "перенесите её под первую или в отдельный файл)",
                    )
                )
    if problems or not len(raw.data):
        return problems
    text_cols = [pos for pos in names if _is_text(raw.data[pos].dtype)]
    if len(names) >= 2 and len(text_cols) >= 2:
        problems += _repeated_headers(raw, names, text_cols, spec)
    total_row = re.compile(_TOTAL_ROW, re.IGNORECASE)
    for pos in text_cols:
        col = _spec_column(spec, names[pos])
        if col is None or col.kind in _NUMERIC_KINDS or col.name == "pupil_id":
            continue
        s = raw.data[pos]
        totals = [u for u in _total_candidates(s) if isinstance(u, str) and total_row.match(u)]
        if not totals:
            continue
        for i in np.flatnonzero(s.isin(totals).to_numpy(dtype=bool))[:PER_COLUMN_PROBLEMS]:
            problems.append(
                Problem(
                    int(raw.rows[i]),
                    raw.headers[pos],
                    f"строка итогов «{str(s.iloc[i]).strip()}»: итоги программа считает сама — удалите "
                    "строку, иначе она будет посчитана как ещё одна запись",
                )
            )
    return problems


def _is_text(dtype: object) -> bool:
    """Whether cells of ``dtype`` may be text: Python objects, strings, categories of either."""
    if isinstance(dtype, pd.CategoricalDtype):
        dtype = dtype.categories.dtype
    return pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)


def _total_candidates(values: pd.Series) -> list[object]:
    """The distinct values of a column that may be an «Итого» row (a superset, in order).

    The distinct texts are those the other checks of the file factorise
    (:func:`~edu_quality._codes.factorize`); a column of Arrow texts is sifted
    at once for «итог» and «всего» in any case, and only those are matched
    one by one with :data:`_TOTAL_ROW`.
    """
    _, uniques = factorize(values)
    if isinstance(uniques.dtype, pd.StringDtype) and len(uniques) > 64:
        maybe = uniques.str.contains(_TOTAL_WORDS, case=False, regex=True)
        uniques = uniques[np.asarray(maybe, dtype=bool)]
    return uniques.tolist()


_EDGE_MARKS = "\"'«»*.:"


def _squeezed(text: str) -> str:
    """Text without case, «ё», spaces and «_», and without quotes and dots at its ends.

    Two texts that :func:`~edu_quality.schema.normalize_header` makes equal
    are equal so too: a quick test before the exact one.
    """
    return "".join(text.lower().replace("ё", "е").replace("_", "").split()).strip(_EDGE_MARKS)


def _header_like(values: pd.Series, keys: frozenset[str]) -> np.ndarray:
    """Which cells, normalised as headers are, are one of ``keys``.

    Each distinct value is tested once; a value without a letter never is.
    Distinct texts of ASCII letters and digits only (pupil and school codes,
    most of a large column) are squeezed by lower-casing alone, so they are
    sifted together by :func:`_plain_candidates`; only the few left are tested
    one by one.
    """
    codes, uniques = factorize(values)  # shared with the other checks of the file
    squeezed = {_squeezed(k) for k in keys}
    look = _plain_candidates(uniques, squeezed)
    items = uniques if look is None else np.asarray(uniques, dtype=object)[look]

    def like(u: object) -> bool:
        return (
            isinstance(u, str)
            and u.lower() != u.upper()  # has a letter
            and _squeezed(u) in squeezed
            and normalize_header(u) in keys
        )

    found = np.fromiter((like(u) for u in items), dtype=bool, count=len(items))
    if look is None:
        hit = found
    else:
        hit = np.zeros(len(uniques), dtype=bool)
        hit[look] = found
    if not hit.any():
        return np.zeros(len(values), dtype=bool)
    return np.append(hit, False)[codes]  # a missing value (code -1) is no header


_PLAIN = r"^[0-9A-Za-z]*$"


def _plain_candidates(uniques: object, squeezed: set[str]) -> np.ndarray | None:
    """Positions of the distinct texts that may be header-like; None: test them all.

    A text of ASCII letters and digits only is its own :func:`_squeezed` form
    lower-cased, so it may be one only when its lower case is among
    ``squeezed``; any other text stays a candidate. Exactly the hits of the
    one-by-one test are among the candidates.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = pa.array(uniques, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return None
    plain = pc.fill_null(pc.match_substring_regex(arr, _PLAIN), False)
    maybe = pc.is_in(pc.ascii_lower(arr), value_set=pa.array(sorted(squeezed), arr.type))
    keep = pc.or_(pc.invert(plain), pc.fill_null(maybe, False))
    return np.flatnonzero(keep.to_numpy(zero_copy_only=False))


def _repeated_headers(
    raw: Raw, names: dict[int, str], text_cols: list[int], spec: TableSpec
) -> list[Problem]:
    """Rows that repeat the header: two or more cells that name their own column.

    A cell names its column when, normalised as headers are (case, «ё»,
    spaces, quotes), it is the column's header in the file or any header the
    column is known by — «КОД ОО», « код оо » and «school_id» under «Код ОО».
    Headers without a letter («2» … «5») are left out: they are also values.
    The pupil codes, a column of a million distinct texts in a national file,
    are looked at last, and only in the rows where another cell already names
    its column: alone, a cell repeats no header.
    """
    hits = np.zeros(len(raw.data), dtype=np.int64)
    first = np.full(len(raw.data), -1, dtype=np.int64)
    pupils = [pos for pos in text_cols if names[pos] == "pupil_id"]
    order = [pos for pos in text_cols if pos not in pupils] + pupils
    for pos in order:
        col = _spec_column(spec, names[pos])
        keys = {normalize_header(raw.headers[pos]), *(col.headers() if col else ())}
        keys = frozenset(k for k in keys if k.lower() != k.upper())
        if not keys:
            continue
        if pos in pupils:
            rows = np.flatnonzero(hits)
            like = np.zeros(len(raw.data), dtype=bool)
            like[rows] = _header_like(raw.data[pos].iloc[rows], keys)
        else:
            like = _header_like(raw.data[pos], keys)
        if not like.any():  # as a rule: no cell repeats a header
            continue
        hits += like
        first = np.where(like & ((first < 0) | (first > pos)), pos, first)  # the leftmost
    return [
        Problem(
            int(raw.rows[i]),
            raw.headers[int(first[i])],
            "повтор строки заголовков: похоже, в файле несколько таблиц одна под другой — "
            "оставьте одну таблицу (остальные перенесите на отдельные листы или в файлы)",
        )
        for i in np.flatnonzero(hits >= 2)[:PER_COLUMN_PROBLEMS]
    ]


def _spec_column(spec: TableSpec, name: str) -> Column | None:
    """The spec's column ``name``, or None for an extra column."""
    try:
        return spec.column(name)
    except KeyError:
        return None


def cell_problems(raw: Raw, pos: int, header: str, col: Column) -> list[Problem]:
    """Problems of one used column known from reading: uncomputed cells, merged numbers."""
    out = [
        Problem(row, header, message) for (row, p), message in raw.uncomputed.items() if p == pos
    ]
    if col.kind in _NUMERIC_KINDS and col.kind != "year":
        for row, p in sorted(raw.merged):
            if p == pos:
                out.append(
                    Problem(
                        row,
                        header,
                        "объединённая ячейка: одно число на несколько "
                        "строк — разъедините ячейки и впишите значение "
                        "в каждую строку",
                    )
                )
    return out[:PER_COLUMN_PROBLEMS]


# A Parquet file arrives typed and may hold millions of rows. Its table is checked by the
# pandera schema's own checks run on whole columns, which gives exactly what pandera gives:
# only a table that fails one goes through pandera, which then reports every problem as
# for any other file.
def passes(schema: pa.DataFrameSchema, table: pd.DataFrame) -> bool:
    """Whether pandera would accept ``table``: the schema's checks, run on whole columns.

    A text column held as a categorical is taken for the text it stands for:
    its dtype is that of its categories, and the checks (a list of values,
    a range) are run on it as on the text.
    """
    from pandera.errors import SchemaErrors

    try:  # columns and their dtypes
        schema.validate(_as_text_columns(table.iloc[:0]), lazy=True)
    except SchemaErrors:
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
    return not (unique and duplicated_any(table, [unique] if isinstance(unique, str) else unique))


def _as_text_columns(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with its categorical columns as the values they stand for (:func:`~edu_quality._codes.plain`).

    ``table`` itself when it has none.
    """
    if not any(isinstance(t, pd.CategoricalDtype) for t in table.dtypes):
        return table
    out = table.copy(deep=False)
    for c in out.columns:
        out[c] = plain(out[c])
    return out


def duplicated_any(table: pd.DataFrame, keys: Sequence[str]) -> bool:
    """``table.duplicated(keys).any()``, on one integer code per row.

    A text key whose codes are not known yet (the pupil codes: a million
    distinct texts in a file of a national region) is hashed instead
    (:func:`edu_quality._codes.text_hashes`); equal hashes send the table to
    ``table.duplicated``, which compares the texts.
    """
    code = np.zeros(len(table), dtype=np.int64)
    size = 1
    hashes = []
    for k in keys:
        s = table[k]
        if s.dtype == np.int64 and len(s) and int(s.max()) - int(s.min()) < 2**20:
            codes, k_size = s.to_numpy() - int(s.min()), int(s.max()) - int(s.min()) + 1
        elif not known(s) and (h := text_hashes(s)) is not None:
            hashes.append(h)
            continue
        else:
            codes, uniques = factorize(s, use_na_sentinel=False)
            k_size = max(len(uniques), 1)
        size *= k_size
        if size >= 2**62:
            return bool(table.duplicated(list(keys)).any())
        code = code * k_size + codes
    for h in hashes:
        code = mix_hashes(code, h)
    code = np.sort(code)  # equal keys are neighbours
    repeated = bool((code[1:] == code[:-1]).any())
    return bool(table.duplicated(list(keys)).any()) if repeated and hashes else repeated


def refuse_names_as_ids(loaded: Loaded) -> None:
    """Pupil codes that look like people's names: refused, and the names are not repeated.

    The rule is :func:`edu_quality.names.looks_like_name` for an id column: «Иванов Иван»,
    «ПЕТРОВ ПЕТР», «Петров П.П.», «Petrov Petr», a surname alone («Петров»)…; codes such
    as «40001», «P-0012», «sch220001_15», «А123» or a pseudonym pass.

    Raises
    ------
    DataError
        With the file, and the row and column of every such code (the first
        :data:`~.grid.PER_COLUMN_PROBLEMS`, with the count of the rest); never the value.
    """
    ids = loaded.table["pupil_id"]
    if not len(ids):
        return
    person = looks_like_name(ids, id_column=True)
    if not person.any():
        return
    header = loaded.headers.get("pupil_id", "Код участника")
    where = np.flatnonzero(person)
    raise DataError(
        loaded.file,
        [Problem(int(loaded.rows[i]), header, NAME_AS_ID) for i in where[:PER_COLUMN_PROBLEMS]],
        total=len(where),
    )

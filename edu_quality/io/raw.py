"""Reading a file of any supported format into the grid of its table (:class:`~.grid.Raw`).

:func:`read_raw` dispatches on the suffix (:data:`SUFFIXES`): a CSV file is
decoded (:mod:`.csv_text`), its delimiter sniffed and its header row found; a
workbook is read by :mod:`.excel`; a Parquet file is taken as it is, its text
columns that the table keeps as categoricals read as categoricals. Fully
empty rows are dropped, keeping the row numbers the user sees for the others.
Every file is first checked to be a regular file of bounded size, and its
table to have a bounded number of columns and cells (:mod:`.limits`), before
its rows are read.
"""

from __future__ import annotations

import csv
import io as _io
import re
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..schema import SCHOOLS, TableSpec, match_columns, normalize_header
from .csv_text import INVISIBLE, LINE_BREAKS, FieldLimit, decode_csv, text_issue, unclosed_quote
from .excel import read_xlsx
from .grid import HEADER_SEARCH_ROWS, Raw, check_unnamed, find_header, sub_header
from .limits import DEFAULT_LIMITS, ReadLimits, grouped, regular_file

__all__ = ["SUFFIXES", "dictionary_columns", "empty_rows", "read_raw"]

#: The suffixes of the files the readers take.
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
#: Characters of a line the delimiter is sniffed from (a line of a million cells is not parsed
#: three times over to choose it).
_SNIFF_CHARS = 2**18


def _display_name(path: Path) -> str:
    """The file as messages name it."""
    return path.name


def _sniff_delimiter(lines: list[str]) -> str:
    """The separator («;», tab or «,») that splits most lines into the same number of cells."""
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


def _too_wide(file: str, row: int | None, width: int, limits: ReadLimits) -> DataError:
    """The error for a row of more than ``limits.max_columns`` cells."""
    return DataError(
        file,
        Problem(
            row,
            None if row is None else f"№ {limits.max_columns + 1}",
            f"в строке {grouped(width)} столбцов — больше предела {grouped(limits.max_columns)}: "
            "это не таблица программы (или в строке лишние разделители) — оставьте нужные "
            "столбцы или увеличьте предел (ReadLimits.max_columns)",
        ),
    )


def _check_width(lines: list[str], delim: str, file: str, limits: ReadLimits) -> None:
    """Refuse a line of the top of a CSV file with more than ``limits.max_columns`` cells.

    Called under :class:`~.csv_text.FieldLimit` (which is not re-entrant).
    """
    for i, line in enumerate(lines):
        if line.count(delim) < limits.max_columns:
            continue
        width = len(next(csv.reader([line], delimiter=delim), []))
        if width > limits.max_columns:
            raise _too_wide(file, i + 1, width, limits)


def _check_cells(text: str, width: int, file: str, row: int | None, limits: ReadLimits) -> None:
    """Refuse a CSV whose lines × ``width`` (its widest row) exceed ``limits.max_cells``."""
    lines = text.count("\n") + text.count("\r") - text.count("\r\n") + 1
    if lines * width > limits.max_cells:
        raise DataError(
            file,
            Problem(
                row,
                None if row is None else f"№ {width}",
                f"{grouped(lines)} строк × {grouped(width)} столбцов (по самой широкой строке) — "
                f"больше предела {grouped(limits.max_cells)} ячеек: разделите файл на несколько "
                "или уберите лишние разделители в конце строки (предел: ReadLimits.max_cells)",
            ),
        )


def _read_csv(path: Path, file: str, score: Callable, expected: str, limits: ReadLimits) -> Raw:
    """The grid of a CSV file below its header row, every cell as text."""
    text, issue = decode_csv(path.read_bytes(), file)
    # split as the parser does: a form feed or U+2028 in a title is no line end for it
    head_lines = LINE_BREAKS.split(text, maxsplit=HEADER_SEARCH_ROWS + 20)
    head_lines = head_lines[: HEADER_SEARCH_ROWS + 20]
    with FieldLimit():  # a long cell near the top is no reason to fail
        delim = _sniff_delimiter([line[:_SNIFF_CHARS] for line in head_lines])
        _check_width(head_lines[:HEADER_SEARCH_ROWS], delim, file, limits)
        candidates = list(csv.reader(head_lines[:HEADER_SEARCH_ROWS], delimiter=delim))
    if issue is not None:
        try:
            found = find_header(candidates, score, file, expected)
        except DataError:
            found = None
        named = None if found is None else sub_header(candidates, found, score)[0]
        raise text_issue(file, text, issue, delim, named)
    if any(ch in text for ch in "\u200b\u200c\u200d\u2060\ufeff"):
        text = text.translate(INVISIBLE)
    h = find_header(candidates, score, file, expected)
    headers, depth = sub_header(candidates, h, score)
    width = max(len(headers), 1)
    while headers and not headers[-1]:
        headers.pop()
    widest = max(range(h, len(candidates)), key=lambda i: len(candidates[i]))
    wide_row = widest + 1 if len(candidates[widest]) > len(headers) else None
    for _ in range(20):  # rows wider than the header: widen, then check the extra cells
        _check_cells(text, width, file, wide_row, limits)
        try:
            data = pd.read_csv(
                _io.StringIO(text),
                sep=delim,
                header=None,
                skiprows=h + depth,
                names=range(width),
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                engine="c",
            )
            break
        except pd.errors.ParserError as exc:
            quote = re.search(r"EOF inside string starting at row (\d+)", str(exc))
            if quote:
                raise unclosed_quote(file, text, int(quote.group(1)) + 1, delim, headers) from None
            m = re.search(r"line (\d+), saw (\d+)", str(exc))
            if not m:
                raise DataError(file, f"файл CSV повреждён: {exc}") from None
            wide_row = int(m.group(1))
            width = max(width + 1, int(m.group(2)))
            if width > limits.max_columns:
                raise _too_wide(file, wide_row, width, limits) from None
    else:
        raise DataError(file, "файл CSV повреждён: строки разной длины")
    rows = np.arange(h + depth + 1, h + depth + 1 + len(data))
    check_unnamed(data, headers, rows, file)
    data = data.iloc[:, : len(headers)]
    return Raw(file, headers, data, rows, header_row=h + 1)


def _read_parquet(
    path: Path,
    file: str,
    limits: ReadLimits,
    specs: Sequence[TableSpec],
    columns: Collection[str] | None = None,
) -> Raw:
    """The grid of a Parquet file, typed as stored; its header is its column names.

    The rows and columns its footer declares are checked against ``limits``
    before any row is read. The text columns that a table of ``specs`` keeps as
    categoricals (:func:`dictionary_columns`) are read as categoricals.
    ``columns`` (canonical names): only the file's columns that name one of them
    in one of ``specs`` are read (:func:`_columns_naming`; every column where two
    share a name).
    """
    import pyarrow.parquet as pq

    try:
        found = pq.ParquetFile(path)
        meta, schema = found.metadata, found.schema_arrow
    except Exception as exc:
        raise DataError(file, f"файл Parquet повреждён ({exc})") from None
    if meta.num_columns > limits.max_columns:
        raise _too_wide(file, None, meta.num_columns, limits)
    if meta.num_rows * meta.num_columns > limits.max_cells:
        raise DataError(
            file,
            f"в файле {grouped(meta.num_rows)} строк × {grouped(meta.num_columns)} столбцов — "
            f"больше предела {grouped(limits.max_cells)} ячеек: разбейте таблицу на части "
            "(например, по годам: папка results_…/year=…/) или увеличьте предел "
            "(ReadLimits.max_cells)",
        )
    as_categories = dictionary_columns(schema, specs)
    chosen = None if columns is None else _columns_naming(schema, specs, columns)
    if chosen is not None:
        as_categories = [name for name in as_categories if name in chosen]
    try:
        data = pd.read_parquet(path, columns=chosen, read_dictionary=as_categories)
        # a column without a value has no categories, nor their dtype: read as text, as it is
        empty = [
            name
            for name in as_categories
            if isinstance(data[name].dtype, pd.CategoricalDtype)
            and not len(data[name].cat.categories)
        ]
        if empty:
            again = pd.read_parquet(path, columns=empty)
            for name in empty:
                data[name] = again[name].array
    except Exception as exc:
        raise DataError(file, f"файл Parquet повреждён ({exc})") from None
    headers = [str(c) for c in data.columns]
    data.columns = range(len(headers))
    return Raw(file, headers, data.reset_index(drop=True), np.arange(2, 2 + len(data)))


def _columns_naming(
    schema: object, specs: Sequence[TableSpec], columns: Collection[str]
) -> list[str] | None:
    """The columns of a Parquet file (its Arrow ``schema``) that name one of ``columns`` in ``specs``.

    None (every column) where two columns share a name; none where no column
    names one (the rows are still counted). The columns of a pandas index stored
    in the file are not among them: they are read as the index, which the
    readers leave out (:func:`dictionary_columns`).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from edu_quality.schema import RESULTS_PUPILS
    >>> marks = pa.schema([("Класс", pa.int64()), ("Отметка", pa.int64()), ("Пол", pa.string())])
    >>> _columns_naming(marks, [RESULTS_PUPILS], ["mark", "school_id"])
    ['Отметка']
    >>> _columns_naming(marks, [RESULTS_PUPILS], ["school_id"])
    []
    """
    matched = _matched(schema, specs)
    if matched is None:
        return None
    names = [str(n) for n in schema.names]
    wanted = set(columns)
    return [names[pos] for pos in sorted({pos for pos, name, _ in matched if name in wanted})]


def _matched(schema: object, specs: Sequence[TableSpec]) -> list[tuple[int, str, TableSpec]] | None:
    """Each column of a Parquet file that names a column of one of ``specs``: position, name, spec.

    The columns of a pandas index stored in the file name none (they are read
    as the index, which the readers leave out). None where two columns share a
    name, or where pandas cannot read the file's metadata (reading says so).
    """
    names = [str(n) for n in schema.names]
    if len(set(names)) < len(names):
        return None
    try:
        pandas_meta = schema.pandas_metadata or {}
        index = {c for c in pandas_meta.get("index_columns", []) if isinstance(c, str)}
    except Exception:  # noqa: BLE001 (metadata pandas cannot read: reading the file says so)
        return None
    headers = ["" if n in index else n for n in names]  # an index names no column
    return [
        (pos, name, spec) for spec in specs for pos, name in match_columns(headers, spec).items()
    ]


# A Parquet file of a national region holds millions of rows, and the text columns its table
# keeps as categoricals (works, subjects, school codes) have a few thousand distinct
# values at most. Read as categoricals (Parquet stores them so, as a dictionary and codes),
# they are never spelled out row by row: every check and the parsing look at each distinct
# value once and spread the result by the codes, which gives exactly what the same column
# read as text gives.
def dictionary_columns(schema: object, specs: Sequence[TableSpec]) -> list[str]:
    """The text columns of a Parquet file (its Arrow ``schema``) to read as categoricals.

    Those whose header names a column of ``spec.compact`` of one of ``specs``;
    none when two columns have the same name (the layout check names them).
    The columns of a pandas index stored in the file are not among them: they
    are read as the index, which the readers leave out.

    Examples
    --------
    >>> import pyarrow as pa
    >>> from edu_quality.schema import RESULTS_PUPILS
    >>> schema = pa.schema([("Предмет", pa.string()), ("Код участника", pa.string()),
    ...                     ("Отметка", pa.int64())])
    >>> dictionary_columns(schema, [RESULTS_PUPILS])
    ['Предмет']
    """
    import pyarrow as pa

    matched = _matched(schema, specs)
    if matched is None:
        return []
    names = [str(n) for n in schema.names]
    chosen = {
        pos
        for pos, name, spec in matched
        if name in spec.compact
        and (pa.types.is_string(schema[pos].type) or pa.types.is_large_string(schema[pos].type))
    }
    return [names[pos] for pos in sorted(chosen)]


# A Parquet file arrives typed and may hold millions of rows: its rows are tested for
# emptiness only while they may still be empty, which gives exactly what the general
# test gives.
def empty_rows(data: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is missing or, as stripped text, "", "nan" or "None"."""
    empty = np.ones(len(data), dtype=bool)
    numeric = [pd.api.types.is_numeric_dtype(t) for t in data.dtypes]
    text_first = [c for c, n in zip(data.columns, numeric, strict=True) if not n] + [
        c for c, n in zip(data.columns, numeric, strict=True) if n
    ]
    for c in text_first:
        idx = np.flatnonzero(empty)
        if not len(idx):
            break
        empty[idx] = _blank(data[c].iloc[idx])
    return empty


def _blank(part: pd.Series) -> np.ndarray:
    """Cells missing or, as stripped text, "", "nan" or "None"; a categorical's by its categories."""
    if isinstance(part.dtype, pd.CategoricalDtype):
        categories = _blank(pd.Series(part.cat.categories))
        return np.append(categories, True)[part.cat.codes.to_numpy()]  # code −1: missing
    # a missing value stays missing under astype(str) in a string column: count it too
    return (part.astype(str).str.strip().isin(("", "nan", "None")) | part.isna()).to_numpy()


def read_raw(
    path: str | Path,
    sheet: str | int | None,
    specs: Sequence[TableSpec],
    limits: ReadLimits | None = None,
    columns: Collection[str] | None = None,
) -> Raw:
    """The grid of the table in ``path`` whose header names most columns of one of ``specs``.

    ``sheet`` chooses the sheet of a workbook (by default the one visible
    sheet with the table); ``limits`` bound what is read
    (:class:`~.limits.ReadLimits`, by default :data:`~.limits.DEFAULT_LIMITS`).
    Fully empty rows are dropped.

    ``columns`` (canonical names): of a Parquet file, only the columns naming
    one of them are read (:func:`_read_parquet`), and no row is dropped — a row
    is empty only across every column, and the others are not read. The caller
    compares the number of rows with that of the whole file's reading. Other
    files are read whole.
    """
    path = Path(path)
    file = _display_name(path)
    limits = limits or DEFAULT_LIMITS
    regular_file(path, file, limits)
    suffix = path.suffix.lower()
    expected = ", ".join(c.label for c in specs[0].columns if c.required)

    def score(headers: list[str]) -> int:
        keys = [normalize_header(h) for h in headers]  # once for every spec
        return max(
            len(match_columns(headers, s, keep_names=s is SCHOOLS, keys=keys)) for s in specs
        )

    if suffix in (".csv", ".txt", ".tsv"):
        raw = _read_csv(path, file, score, expected, limits)
    elif suffix in (".xlsx", ".xlsm"):
        raw = read_xlsx(path, file, sheet, score, expected, limits)
    elif suffix == ".parquet":
        raw = _read_parquet(path, file, limits, specs, columns)
        if columns is not None:
            return raw
    elif suffix == ".xls":
        raise DataError(file, "старый формат .xls не поддерживается: сохраните файл как .xlsx")
    else:
        raise DataError(file, f"неизвестный формат «{suffix}»: ожидается .csv, .xlsx или .parquet")
    # fully empty rows are layout, not data: drop them (their numbers stay with the others)
    if not len(raw.data):
        return raw
    empty = empty_rows(raw.data)
    if empty.any():
        raw.data = raw.data.loc[~empty].reset_index(drop=True)
        raw.rows = raw.rows[~empty]
    return raw

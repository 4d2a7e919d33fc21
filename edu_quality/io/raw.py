"""Reading a file of any supported format into the grid of its table (:class:`~.grid.Raw`).

:func:`read_raw` dispatches on the suffix (:data:`SUFFIXES`): a CSV file is
decoded (:mod:`.csv_text`), its delimiter sniffed and its header row found; a
workbook is read by :mod:`.excel`; a Parquet file is taken as it is. Fully
empty rows are dropped, keeping the row numbers the user sees for the others.
"""

from __future__ import annotations

import csv
import io as _io
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError
from ..schema import SCHOOLS, TableSpec, match_columns
from .csv_text import INVISIBLE, LINE_BREAKS, FieldLimit, decode_csv, text_issue, unclosed_quote
from .excel import read_xlsx
from .grid import HEADER_SEARCH_ROWS, Raw, check_unnamed, find_header, sub_header

__all__ = ["SUFFIXES", "empty_rows", "read_raw"]

#: The suffixes of the files the readers take.
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")


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


def _read_csv(path: Path, file: str, score: Callable, expected: str) -> Raw:
    """The grid of a CSV file below its header row, every cell as text."""
    text, issue = decode_csv(path.read_bytes(), file)
    # split as the parser does: a form feed or U+2028 in a title is no line end for it
    head_lines = LINE_BREAKS.split(text, maxsplit=HEADER_SEARCH_ROWS + 20)
    head_lines = head_lines[: HEADER_SEARCH_ROWS + 20]
    with FieldLimit():  # a long cell near the top is no reason to fail
        delim = _sniff_delimiter(head_lines)
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
    for _ in range(20):  # rows wider than the header: widen, then check the extra cells
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
            m = re.search(r"saw (\d+)", str(exc))
            if not m:
                raise DataError(file, f"файл CSV повреждён: {exc}") from None
            width = max(width + 1, int(m.group(1)))
    else:
        raise DataError(file, "файл CSV повреждён: строки разной длины")
    rows = np.arange(h + depth + 1, h + depth + 1 + len(data))
    check_unnamed(data, headers, rows, file)
    data = data.iloc[:, : len(headers)]
    return Raw(file, headers, data, rows, header_row=h + 1)


def _read_parquet(path: Path, file: str) -> Raw:
    """The grid of a Parquet file, typed as stored; its header is its column names."""
    try:
        data = pd.read_parquet(path)
    except Exception as exc:
        raise DataError(file, f"файл Parquet повреждён ({exc})") from None
    headers = [str(c) for c in data.columns]
    data.columns = range(len(headers))
    return Raw(file, headers, data.reset_index(drop=True), np.arange(2, 2 + len(data)))


# A Parquet file arrives typed and may hold millions of rows: its rows are tested for
# emptiness only while they may still be empty, which gives exactly what the general
# test gives.
def empty_rows(data: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is missing or, as stripped text, "", "nan" or "None"."""
    empty = np.ones(len(data), dtype=bool)
    text_first = sorted(data.columns, key=lambda c: pd.api.types.is_numeric_dtype(data[c]))
    for c in text_first:
        idx = np.flatnonzero(empty)
        if not len(idx):
            break
        part = data[c].iloc[idx]
        # a missing value stays missing under astype(str) in a string column: count it too
        blank = part.astype(str).str.strip().isin(("", "nan", "None")) | part.isna()
        empty[idx] = blank.to_numpy()
    return empty


def read_raw(path: str | Path, sheet: str | int | None, specs: Sequence[TableSpec]) -> Raw:
    """The grid of the table in ``path`` whose header names most columns of one of ``specs``.

    ``sheet`` chooses the sheet of a workbook (by default the one visible
    sheet with the table). Fully empty rows are dropped.
    """
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
        raw = read_xlsx(path, file, sheet, score, expected)
    elif suffix == ".parquet":
        raw = _read_parquet(path, file)
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

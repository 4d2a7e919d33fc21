"""Reading an Excel workbook (``.xlsx``, ``.xlsm``) into the grid, as Excel shows it.

:func:`open_workbook` opens a workbook or says what the file is instead (an old
``.xls``, a text file, a truncated file). The table is taken from the one visible
sheet that has it (a table on several sheets, or only on a hidden one, is an
error); merged cells get the value Excel shows in each of their cells; formulas
saved without their values and Excel error values («#ДЕЛ/0!») are kept as
problems of their cells, as their numbers are lost.
"""

from __future__ import annotations

import io as _io
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from .csv_text import INVISIBLE
from .grid import HEADER_SEARCH_ROWS, Raw, check_unnamed, find_header, sub_header

__all__ = ["open_workbook", "read_xlsx"]


def open_workbook(path: Path, file: str):
    """The workbook of an Excel file (python-calamine), or a DataError saying what the file is."""
    from python_calamine import CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise DataError(file, _not_xlsx(path, exc)) from None


def _not_xlsx(path: Path, exc: Exception) -> str:
    """What a file that does not open as a workbook is, as a message (empty, .xls, text…)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.strip():
        return "файл пуст"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            "файл старого формата Excel (.xls) или книга с паролем: сохраните его как .xlsx "
            "без пароля"
        )
    if not head.startswith(b"PK"):
        if b"\x00" not in head:
            return (
                "это не книга Excel, а текстовый файл с расширением .xlsx: если это CSV, "
                "дайте ему расширение .csv"
            )
        return f"файл не является книгой Excel (XLSX) ({exc})"
    return f"файл Excel повреждён (обрезан?) или не является книгой XLSX ({exc})"


def read_xlsx(
    path: Path, file: str, sheet: str | int | None, score: Callable, expected: str
) -> Raw:
    """The grid of the sheet with the table (``sheet``, or the one visible sheet that has it).

    ``score`` and ``expected`` are those of :func:`~edu_quality.io.grid.find_header`.
    """
    wb = open_workbook(path, file)
    names = list(wb.sheet_names)
    if sheet is None:  # the one visible sheet with the table
        sheet, grid, h = _pick_sheet(wb, file, score, expected)
    else:
        if isinstance(sheet, int):
            if not 0 <= sheet < len(names):
                raise DataError(file, f"нет листа № {sheet + 1}; листы: {', '.join(names)}")
            sheet = names[sheet]
        if sheet not in names:
            raise DataError(file, f"нет листа «{sheet}»; листы: {', '.join(names)}")
        grid = _sheet_grid(wb, sheet, file)
        if not grid:
            raise DataError(file, f"лист «{sheet}» пуст")
        h = find_header(grid[:HEADER_SEARCH_ROWS], score, file, expected)
    merged = _fill_merged(wb.get_sheet_by_name(sheet), grid)
    headers, depth = sub_header(grid[:HEADER_SEARCH_ROWS], h, score)
    while headers and not headers[-1]:
        headers.pop()
    start = h + depth
    uncomputed = {
        (r + 1, c): message
        for (r, c), message in _uncomputed_cells(path, sheet).items()
        if r >= h and (r >= len(grid) or c >= len(grid[r]) or grid[r][c] in ("", None))
    }
    in_header = [
        Problem(r, headers[c] if c < len(headers) and headers[c] else f"№ {c + 1}", message)
        for (r, c), message in sorted(uncomputed.items())
        if r <= start
    ]
    if in_header:
        raise DataError(file, in_header)
    width = max(len(r) for r in grid)
    body = [[_excel_value(v) for v in (r + [""] * (width - len(r)))] for r in grid[start:]]
    data = pd.DataFrame(body, columns=range(width), dtype=object)
    rows = np.arange(start + 1, start + 1 + len(data))
    check_unnamed(data, headers, rows, file)
    return Raw(
        file,
        headers,
        data.iloc[:, : len(headers)],
        rows,
        header_row=h + 1,
        uncomputed=uncomputed,
        merged={(r + 1, c) for r, c in merged if r >= start and c < len(headers)},
    )


def _sheet_grid(wb, name: str, file: str) -> list[list[object]]:
    """The cells of sheet ``name``, empty rows and columns included."""
    try:
        return wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine's own error types
        raise DataError(file, f"не удалось прочитать лист «{name}» ({exc})") from None


def _pick_sheet(wb, file: str, score: Callable, expected: str) -> tuple[str, list, int]:
    """The one visible sheet with the table; an error when there are several, or none."""
    meta = list(wb.sheets_metadata)
    visible = [m.name for m in meta if "hidden" not in str(m.visible).lower()]
    hidden = [m.name for m in meta if m.name not in visible]
    found, first_error = [], None
    for name in visible:
        grid = _sheet_grid(wb, name, file)
        if not grid:
            first_error = first_error or DataError(file, f"лист «{name}» пуст")
            continue
        try:
            found.append(
                (name, grid, find_header(grid[:HEADER_SEARCH_ROWS], score, file, expected))
            )
        except DataError as exc:
            first_error = first_error or exc
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"«{n}»" for n, _, _ in found)
        raise DataError(
            file,
            f"таблица есть на нескольких листах ({names}): укажите нужный лист "
            "(параметр sheet) или сведите данные на один лист",
        )
    for name in hidden:
        grid = _sheet_grid(wb, name, file)
        try:
            find_header(grid[:HEADER_SEARCH_ROWS], score, file, expected)
        except DataError:
            continue
        raise DataError(
            file,
            f"на видимых листах нет таблицы; она есть на скрытом листе «{name}»"
            ": покажите лист или укажите его (параметр sheet)",
        )
    raise first_error or DataError(file, "в книге нет листов")


def _fill_merged(sheet, grid: list[list[object]]) -> set[tuple[int, int]]:
    """Give every cell of a merged range its top-left value, as Excel shows it.

    Returns the (row, column) of the cells filled so (0-based, in ``grid``).
    """
    filled: set[tuple[int, int]] = set()
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # a format without merge information
        return filled
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(grid):
            continue
        top = grid[r0][c0] if c0 < len(grid[r0]) else ""
        if top is None or top == "":
            continue
        for r in range(r0, min(r1, len(grid) - 1) + 1):
            row = grid[r]
            for c in range(c0, c1 + 1):
                if (r, c) == (r0, c0):
                    continue
                if c >= len(row):
                    row.extend([""] * (c + 1 - len(row)))
                if row[c] is None or row[c] == "":
                    row[c] = top
                    filled.add((r, c))
    return filled


_FORMULA_OR_ERROR = re.compile(rb"<(?:\w+:)?f[\s>/]|\st=\"e\"")
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _sheet_part(z, sheet: str) -> str | None:
    """The path, inside the zip archive ``z``, of the XML part of sheet ``sheet``."""
    import xml.etree.ElementTree as ET

    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rid = next(
        (s.get(rel) for s in book.iter() if s.tag.endswith("}sheet") and s.get("name") == sheet),
        None,
    )
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rid), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _uncomputed_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """Cells whose value Excel would compute but the file does not hold.

    A formula saved without its value (as openpyxl and some exporters write
    them) and an Excel error («#ДЕЛ/0!», «#ССЫЛКА!») read as empty cells: the
    number is lost. Returns {(row, column): message}, 0-based.
    """
    import xml.etree.ElementTree as ET
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            part = _sheet_part(z, sheet)
            data = z.read(part) if part else b""
    except (zipfile.BadZipFile, KeyError, OSError, ET.ParseError):
        return {}
    if not _FORMULA_OR_ERROR.search(data):
        return {}
    out: dict[tuple[int, int], str] = {}
    row, col = -1, -1
    try:
        for event, el in ET.iterparse(_io.BytesIO(data), events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "row":
                row = int(el.get("r")) - 1 if el.get("r") else row + 1
                col = -1
            elif event == "end" and tag == "c":
                m = _CELL_REF.fullmatch(el.get("r") or "")
                if m:
                    col = _column_index(m.group(1))
                    row = int(m.group(2)) - 1
                else:
                    col += 1
                f = v = None
                for child in el:
                    name = child.tag.rsplit("}", 1)[-1]
                    if name == "f":
                        f = child
                    elif name == "v":
                        v = child
                value = v.text if v is not None else None
                if el.get("t") == "e":
                    out[(row, col)] = f"ошибка Excel «{value}» вместо значения"
                elif f is not None and not value and el.get("t") != "str":
                    formula = f"«={f.text}»" if f.text else "(общая формула)"
                    out[(row, col)] = (
                        f"формула {formula} сохранена без вычисленного значения "
                        "(файл записан программой, которая не считает формулы): "
                        "откройте его в Excel или LibreOffice и сохраните"
                    )
                el.clear()
    except ET.ParseError:
        return out
    return out


def _column_index(letters: str) -> int:
    """0-based index of a column written in letters («A» → 0, «AA» → 26)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _excel_value(v: object) -> object:
    """A cell of the body as the table takes it: text without invisible characters, "" for empty."""
    if isinstance(v, str):
        return v.translate(INVISIBLE)
    if v is None:
        return ""
    return v

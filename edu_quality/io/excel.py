"""Reading an Excel workbook (``.xlsx``, ``.xlsm``) into the grid, as Excel shows it.

:func:`open_workbook` opens a workbook or says what the file is instead (an old
``.xls``, a text file, a truncated file); it checks the workbook's archive first
and every sheet before python-calamine reads it (:mod:`.archive`), so that a
«zip bomb» or a stray cell at XFD1048576 is refused, not read. The table is
taken from the one visible sheet that has it (a table on several sheets, or only
on a hidden one, is an error); merged cells get the value Excel shows in each of
their cells; formulas saved without their values and Excel error values
(«#ДЕЛ/0!») are kept as problems of their cells, as their numbers are lost.
"""

from __future__ import annotations

import io as _io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from .archive import SheetExtent, check_archive, check_sheet, sheet_part
from .csv_text import INVISIBLE
from .grid import HEADER_SEARCH_ROWS, Raw, check_unnamed, find_header, sub_header
from .limits import DEFAULT_LIMITS, ReadLimits, grouped, regular_file

__all__ = ["Workbook", "open_workbook", "read_xlsx"]


class Workbook:
    """An Excel workbook opened by python-calamine, whose sheets are checked before they are read.

    Parameters
    ----------
    book : python_calamine.CalamineWorkbook
        The workbook.
    path : Path
        Its file.
    file : str
        Its name in messages.
    limits : ReadLimits
        What a sheet may hold (:func:`.archive.check_sheet`).
    parts : dict
        The parts of its archive (:func:`.archive.check_archive`).
    """

    def __init__(self, book, path: Path, file: str, limits: ReadLimits, parts: dict) -> None:
        self.book = book
        self.path = path
        self.file = file
        self.limits = limits
        self.parts = parts
        self.extents: dict[str, SheetExtent] = {}

    @property
    def sheet_names(self) -> list[str]:
        """The names of the sheets, in order."""
        return list(self.book.sheet_names)

    @property
    def sheets_metadata(self) -> list[Any]:
        """python-calamine's metadata of the sheets (name, visibility)."""
        return list(self.book.sheets_metadata)

    def sheet(self, name: str):
        """The sheet ``name`` (python-calamine's), once its extent is checked."""
        if name not in self.extents:
            self.extents[name] = check_sheet(self.path, self.parts, name, self.file, self.limits)
        try:
            return self.book.get_sheet_by_name(name)
        except Exception as exc:  # calamine's own error types
            raise DataError(self.file, f"не удалось прочитать лист «{name}» ({exc})") from None

    def grid(self, name: str) -> list[list[object]]:
        """The cells of sheet ``name``, empty rows and columns included."""
        sheet = self.sheet(name)
        try:
            return sheet.to_python(skip_empty_area=False)
        except Exception as exc:  # calamine's own error types
            raise DataError(self.file, f"не удалось прочитать лист «{name}» ({exc})") from None


def open_workbook(path: Path, file: str, limits: ReadLimits | None = None) -> Workbook:
    """The workbook of an Excel file, or a DataError saying what the file is.

    The file must be a regular file within ``limits`` (:func:`.limits.regular_file`),
    and its archive within them (:func:`.archive.check_archive`), before
    python-calamine opens it.
    """
    from python_calamine import CalamineWorkbook

    limits = limits or DEFAULT_LIMITS
    regular_file(path, file, limits)
    parts = check_archive(path, file, limits)
    if parts is None:  # no ZIP archive: say what the file is
        raise DataError(file, _not_xlsx(path, "архив ZIP не читается"))
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for corrupt files
        raise DataError(file, _not_xlsx(path, exc)) from None
    return Workbook(book, path, file, limits, parts)


def _not_xlsx(path: Path, exc: object) -> str:
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
    path: Path,
    file: str,
    sheet: str | int | None,
    score: Callable,
    expected: str,
    limits: ReadLimits | None = None,
) -> Raw:
    """The grid of the sheet with the table (``sheet``, or the one visible sheet that has it).

    ``score`` and ``expected`` are those of :func:`~edu_quality.io.grid.find_header`;
    ``limits`` bound the workbook and its sheets (:class:`~.limits.ReadLimits`).
    """
    wb = open_workbook(path, file, limits)
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
        grid = wb.grid(sheet)
        if not grid:
            raise DataError(file, f"лист «{sheet}» пуст")
        h = find_header(grid[:HEADER_SEARCH_ROWS], score, file, expected)
    merged = _fill_merged(wb.sheet(sheet), grid, file, wb.limits)
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


def _pick_sheet(wb: Workbook, file: str, score: Callable, expected: str) -> tuple[str, list, int]:
    """The one visible sheet with the table; an error when there are several, or none."""
    meta = wb.sheets_metadata
    visible = [m.name for m in meta if "hidden" not in str(m.visible).lower()]
    hidden = [m.name for m in meta if m.name not in visible]
    found, first_error = [], None
    for name in visible:
        grid = wb.grid(name)
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
        grid = wb.grid(name)
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


def _fill_merged(sheet, grid: list[list[object]], file: str, limits: ReadLimits) -> set:
    """Give every cell of a merged range its top-left value, as Excel shows it.

    A range is filled only within the grid (a range merged out to XFD1048576
    stops at the last filled row and column), and no more cells than
    ``limits.max_cells`` in all. Returns the (row, column) of the cells filled
    so (0-based, in ``grid``).
    """
    filled: set[tuple[int, int]] = set()
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # a format without merge information
        return filled
    width = max((len(r) for r in grid), default=0)
    spans = [
        (r0, c0, min(r1, len(grid) - 1), min(c1, width - 1))
        for (r0, c0), (r1, c1) in ranges
        if r0 < len(grid) and c0 < width
    ]
    area = sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, c0, r1, c1 in spans if r1 >= r0 and c1 >= c0)
    if area > limits.max_cells:
        raise DataError(
            file,
            f"объединённые ячейки покрывают {grouped(area)} ячеек, больше предела "
            f"{grouped(limits.max_cells)}: отмените лишние объединения (ReadLimits.max_cells)",
        )
    for r0, c0, r1, c1 in spans:
        top = grid[r0][c0] if c0 < len(grid[r0]) else ""
        if top is None or top == "":
            continue
        for r in range(r0, r1 + 1):
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


def _uncomputed_cells(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """Cells whose value Excel would compute but the file does not hold.

    A formula saved without its value (as openpyxl and some exporters write
    them) and an Excel error («#ДЕЛ/0!», «#ССЫЛКА!») read as empty cells: the
    number is lost. Returns {(row, column): message}, 0-based.
    """
    import xml.etree.ElementTree as ET

    try:
        with zipfile.ZipFile(path) as z:
            part = sheet_part(z, sheet)
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

"""An Excel workbook's ZIP archive and its sheets' extent, checked before python-calamine reads them.

An ``.xlsx`` file is a ZIP archive of XML parts, and a small file can make a
reader take the whole machine: a part of a megabyte that unpacks to a gigabyte
(a «zip bomb»), or one stray cell at XFD1048576, for which python-calamine
allocates every cell between A1 and it (17 billion cells, 512 GiB: the process
aborts). So :func:`check_archive` reads the archive's table of contents — the
unpacked size of every part and how much it is compressed, which the ZIP reader
of python-calamine enforces — and :func:`check_sheet` scans the XML of a sheet
for its farthest filled cell, both before python-calamine opens anything.

The scan of a sheet reads its XML once, a chunk at a time, with NumPy: the
start tag of every cell, its ``r`` attribute (the cell's reference) and whether
it is empty (``<c r="XFD1048576" s="1"/>``, a formatted cell without a value,
which python-calamine skips, as it skips the declared ``<dimension>``). A sheet
whose cells do not all carry a plain reference is parsed by
:mod:`xml.etree.ElementTree` instead, counting positions as python-calamine does
(an upper bound: cells are never counted smaller than it places them).
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import DataError, Problem
from .limits import ReadLimits, describe_size, grouped

__all__ = [
    "MAX_PARTS",
    "SheetExtent",
    "check_archive",
    "check_sheet",
    "column_letters",
    "sheet_extent",
    "sheet_part",
]

#: Parts a workbook may have (real ones: 9–12), and the largest table of contents read.
MAX_PARTS = 10_000
_MAX_DIRECTORY = 16 * 2**20
#: Parts smaller than this are not checked for their compression ratio.
_RATIO_FROM = 2**20
_CHUNK = 8 * 2**20
_WINDOW = 64  # bytes after «<c» where a cell's start tag must end
_BATCH = 100_000  # cells scanned at a time
_PADDING = bytes(_WINDOW + 16)  # after the XML of a chunk: windows and 8-byte reads stay inside
_SPACE_BYTES = np.zeros(256, dtype=bool)
_SPACE_BYTES[[32, 9, 10, 13]] = True
_END_CELL = int.from_bytes(b"</c>", "big")
_R_ATTRIBUTE = int.from_bytes(b' r="', "big")
_AFTER_NAME = np.zeros(256, dtype=bool)
_AFTER_NAME[[32, 9, 10, 13, ord(">"), ord("/")]] = True
_RESAVE = "откройте файл в Excel и сохраните его заново"


@dataclass(frozen=True)
class SheetExtent:
    """How far the filled cells of a sheet reach (1-based), as python-calamine would read them.

    Attributes
    ----------
    rows, columns : int
        The last row and column with a filled cell (0 for an empty sheet).
    last_row_cell, last_column_cell : str
        A cell in that row and one in that column («XFD1048576»).
    merged : int
        Merged ranges (an upper bound).

    Examples
    --------
    >>> SheetExtent(3, 2, "A3", "B1", 0).cells
    6
    """

    rows: int
    columns: int
    last_row_cell: str
    last_column_cell: str
    merged: int

    @property
    def cells(self) -> int:
        """Cells from A1 to the farthest row and column: what a reader of the sheet holds."""
        return self.rows * self.columns


def column_letters(n: int) -> str:
    """The letters of the ``n``-th column (1-based), as Excel writes them.

    Examples
    --------
    >>> column_letters(1), column_letters(28), column_letters(16384)
    ('A', 'AB', 'XFD')
    """
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


# ------------------------------------------------------------------ the archive


def _directory(path: Path) -> tuple[int, int] | None:
    """(parts, size of the table of contents) from the archive's end record; None if none."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - (2**16 + 22)))
        tail = fh.read()
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + 22 > len(tail):
            return None
        parts, directory = struct.unpack_from("<HI", tail, at + 10)
        if parts == 0xFFFF or directory == 0xFFFFFFFF:  # ZIP64: the counts are in its record
            at64 = tail.rfind(b"PK\x06\x06", 0, at)
            if at64 < 0 or at64 + 56 > len(tail):
                return parts, directory
            parts, directory = struct.unpack_from("<QQ", tail, at64 + 32)
    return parts, directory


def check_archive(path: Path, file: str, limits: ReadLimits) -> dict[str, zipfile.ZipInfo] | None:
    """The parts of a workbook's archive by name, once their sizes are checked; None if no ZIP.

    The sizes are those of the archive's table of contents, which python-calamine's
    ZIP reader holds a part to («File is larger than its declared uncompressed size»).

    Raises
    ------
    DataError
        Naming ``file``: too many parts, two parts of one name, the parts
        unpacking beyond ``limits.max_unpacked_bytes``, or a part compressed
        more than ``limits.max_ratio`` times.
    """
    try:
        directory = _directory(path)
    except OSError:
        return None
    if directory is None:
        return None
    if directory[0] > MAX_PARTS or directory[1] > _MAX_DIRECTORY:
        raise DataError(
            file,
            f"в архиве книги {grouped(directory[0])} частей (в книге Excel их десятки): "
            f"это не книга Excel — {_RESAVE}",
        )
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return None
    parts = {i.filename: i for i in infos}
    if len(parts) != len(infos):
        raise DataError(file, f"в архиве книги две части с одним именем: {_RESAVE}")
    total = sum(i.file_size for i in infos)
    if total > limits.max_unpacked_bytes:
        raise DataError(
            file,
            f"книга распаковывается в {describe_size(total)} — больше предела "
            f"{describe_size(limits.max_unpacked_bytes)}: сохраните таблицу в CSV или разделите "
            "её на несколько книг (или увеличьте предел: ReadLimits.max_unpacked_bytes)",
        )
    for i in infos:
        if i.file_size >= _RATIO_FROM and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            ratio = i.file_size / max(i.compress_size, 1)
            raise DataError(
                file,
                f"часть книги «{i.filename}» сжата в {grouped(round(ratio))} раз "
                f"({describe_size(i.compress_size)} → {describe_size(i.file_size)}), больше "
                f"предела {limits.max_ratio:g}: так сжимается не таблица, а «zip-бомба» — "
                f"если файл ваш, {_RESAVE} (или увеличьте предел: ReadLimits.max_ratio)",
            )
    return parts


def sheet_part(z: zipfile.ZipFile, sheet: str) -> str | None:
    """The path, inside the workbook's archive ``z``, of the XML part of sheet ``sheet``."""
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


# ------------------------------------------------------------------ a sheet's extent


def sheet_extent(
    path: Path, parts: dict[str, zipfile.ZipInfo], sheet: str, file: str
) -> SheetExtent:
    """How far the filled cells of sheet ``sheet`` reach (see :class:`SheetExtent`).

    A sheet whose part cannot be told is measured by every XML part of the
    archive (the largest extent wins).

    Raises
    ------
    DataError
        The sheet's XML cannot be read, or a cell reference is not one.
    """
    with zipfile.ZipFile(path) as z:
        try:
            part = sheet_part(z, sheet)
        except (KeyError, ET.ParseError):
            part = None
        names = [part] if part in parts else [n for n in parts if n.lower().endswith(".xml")]
        extents = [_part_extent(z, parts[name], sheet, file) for name in names]
    if not extents:
        return SheetExtent(0, 0, "", "", 0)
    rows = max(extents, key=lambda e: e.rows)
    columns = max(extents, key=lambda e: e.columns)
    return SheetExtent(
        rows.rows,
        columns.columns,
        rows.last_row_cell,
        columns.last_column_cell,
        max(e.merged for e in extents),
    )


def _part_extent(z: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, file: str) -> SheetExtent:
    """The extent of one XML part: the fast scan, or the XML parser where it cannot tell."""
    try:
        with z.open(info) as fh:
            found = _scan(_chunks(fh))
        if found is not None:
            return found
        with z.open(info) as fh:
            return _parse(fh, sheet, file)
    except (zipfile.BadZipFile, OSError, NotImplementedError, EOFError, RuntimeError) as exc:
        raise DataError(file, f"лист «{sheet}» не читается ({exc}): {_RESAVE}") from None


def _chunks(fh) -> Iterable[bytes]:
    while chunk := fh.read(_CHUNK):
        yield chunk


def _scan(chunks: Iterable[bytes]) -> SheetExtent | None:
    """The extent from the raw XML; None when a cell has no plain ``r="A1"`` reference."""
    best = [0, 0, "", "", 0]  # rows, columns, their cells, merged ranges
    carry = b""
    done = False
    it = iter(chunks)
    while not done:
        chunk = next(it, b"")
        done = not chunk
        size = len(carry) + len(chunk)
        padded = b"".join((carry, chunk, _PADDING))  # one copy, with room to look past the end
        end = size if done else padded.rfind(b"<", 0, size)
        if end <= 0:
            carry = padded[:size]
            continue
        merged = padded.count(b"mergeCell", 0, end)
        if merged:
            best[4] += merged - padded.count(b"mergeCells", 0, end)
        if padded.find(b"c", 0, size) >= 0 and not _scan_part(padded, size, end, best):
            return None
        carry = padded[end:size]
    return SheetExtent(*best)


def _scan_part(padded: bytes, size: int, end: int, best: list) -> bool:
    """Update ``best`` with the filled cells starting before ``end``; False if one has no ref.

    ``padded`` holds ``size`` bytes of XML, then :data:`_PADDING`. A cell
    written as Excel writes it, ``<c r="A1" …>``, is read where it stands; any
    other start tag is looked at in a window of the bytes after it.
    """
    a = np.frombuffer(padded, dtype=np.uint8)
    four, eight = _numbers(padded)
    at = np.flatnonzero(a[1:end] == 99) + 1  # every «c», then those of «<c », «:c>»…
    at = at[((a[at - 1] == 60) | (a[at - 1] == 58)) & _AFTER_NAME[a[at + 1]]]
    if not len(at):
        return True
    plain = four[at + 1] == _R_ATTRIBUTE
    other = at[~plain]
    if len(other) and not all(
        _scan_cells(a, other[i : i + _BATCH], best) for i in range(0, len(other), _BATCH)
    ):
        return False
    at = at[plain]
    if not len(at):
        return True
    gt = np.append(np.flatnonzero(a[:size] == 62), len(a) - 8)
    close = gt[np.searchsorted(gt, at)]  # the «>» that ends each start tag
    empty = (a[close - 1] == 47) | (four[close + 1] == _END_CELL)  # «…/>», «…></c>»
    at, close = at[~empty], close[~empty]
    if not len(at):
        return True
    cols, rows, length, ok = _parse_refs(eight, at + 5)
    if not (ok & (at + 5 + length < close)).all():
        return False
    _keep_farthest(padded, at + 5, cols, rows, best)
    return True


def _numbers(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The 4 and the 8 bytes from each position of ``data``, each read as one big-endian number.

    Views of ``data``, not copies: a position's bytes are compared or taken apart
    in one operation.
    """
    four = np.ndarray((len(data) - 3,), dtype=">u4", buffer=data, strides=(1,))
    eight = np.ndarray((len(data) - 7,), dtype=">u8", buffer=data, strides=(1,))
    return four, eight


def _scan_cells(a: np.ndarray, at: np.ndarray, best: list) -> bool:
    """:func:`_scan_part` for cells whose start tag is not ``<c r="…``: in a window after «c»."""
    w = a[(at + 1)[:, None] + np.arange(_WINDOW)]
    gt = w == 62
    close = gt.argmax(1)
    rows = np.arange(len(at))
    slash = (w[rows, np.maximum(close - 1, 0)] == 47) & (close > 0)  # «<c r="A1"/>»
    after = w[rows[:, None], np.minimum(close[:, None] + 1 + np.arange(4), _WINDOW - 1)]
    closed = (after == np.frombuffer(b"</c>", dtype=np.uint8)).all(1)  # «<c r="A1"></c>»
    empty = gt.any(1) & (slash | closed)
    space = _SPACE_BYTES[w[:, :-3]]
    is_r = space & (w[:, 1:-2] == 114) & (w[:, 2:-1] == 61) & (w[:, 3:] == 34)
    r_at = is_r.argmax(1) + 4  # first byte of the reference
    valid = gt.any(1) & is_r.any(1) & (r_at < close)
    keep = ~empty
    if not valid[keep].all():
        return False
    w, r_at = w[keep], r_at[keep]
    if not len(w):
        return True
    refs = w[np.arange(len(w))[:, None], np.minimum(r_at[:, None] + np.arange(16), _WINDOW - 1)]
    flat = refs.tobytes() + bytes(16)
    starts = np.arange(len(refs)) * refs.shape[1]
    cols, rows_, _, ok = _parse_refs(_numbers(flat)[1], starts)
    if not ok.all():
        return False
    _keep_farthest(flat, starts, cols, rows_, best)
    return True


def _keep_farthest(
    data: bytes, starts: np.ndarray, cols: np.ndarray, rows: np.ndarray, best: list
) -> None:
    """Update ``best`` with the lowest and the rightmost of the cells referred to at ``starts``.

    ``cols`` and ``rows`` are keys that order the cells (:func:`_parse_refs`).
    """
    for at, key in ((int(starts[rows.argmax()]), 0), (int(starts[cols.argmax()]), 1)):
        ref = _ref_text(data, at)
        position = _position(ref)
        if position[key] > best[key]:
            best[key], best[key + 2] = position[key], ref


def _position(ref: str) -> tuple[int, int]:
    """Row and column (1-based) of a plain reference «XFD1048576»."""
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters) :]), col


_U = np.uint64
_LOW7 = _U(0x7F7F7F7F7F7F7F7F)
_HIGH = _U(0x8080808080808080)
_CASE = _U(0x2020202020202020)


_THRESHOLDS = np.array([2 ** (7 + 8 * k) for k in range(8)], dtype=np.uint64)


def _leading(marks: np.ndarray) -> np.ndarray:
    """How many bytes from the left come before the first byte marked 0x80 (8 if none)."""
    return 8 - np.searchsorted(_THRESHOLDS, marks, side="right")


def _parse_refs(
    eight: np.ndarray, start: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Keys of the columns and rows, length and plainness of the cell references at ``start``.

    ``eight`` holds the 8 bytes from each position as one big-endian number
    (:func:`_numbers`). A plain reference is 1–3 letters (either case, as
    python-calamine takes them), then 1–7 digits, then the closing quote «"».
    The keys order the references as their columns and rows do (more letters
    or digits, then the letters or digits themselves), every byte of all
    references tested at once: the farthest cell is then read from its text.
    """
    head = eight[start]  # up to 3 letters and the first digits
    folded = head | _CASE  # «A»–«Z» as «a»–«z»
    low = folded & _LOW7
    letter = ((low + _U(0x1F1F1F1F1F1F1F1F)) & ~(low + _U(0x0505050505050505)) & ~folded) & _HIGH
    n_letters = _leading(~letter & _HIGH)  # «a» ≤ byte ≤ «z»
    body = eight[start + n_letters]  # up to 7 digits and the quote
    x = body ^ _U(0x3030303030303030)
    n_digits = _leading((((x & _LOW7) + _U(0x7676767676767676)) | x) & _HIGH)  # byte > «9»
    ok = (n_letters >= 1) & (n_letters <= 3) & (n_digits >= 1) & (n_digits <= 7)
    letters, digits = np.where(ok, n_letters, 1), np.where(ok, n_digits, 1)
    after = (body >> (_U(56) - _U(8) * digits.astype(np.uint64))) & _U(0xFF)
    ok &= after == _U(34)  # the closing quote
    col = (letters.astype(np.uint64) << _U(32)) | (
        folded >> (_U(64) - _U(8) * letters.astype(np.uint64))
    )
    row = (digits.astype(np.uint64) << _U(56)) | (
        body >> (_U(64) - _U(8) * digits.astype(np.uint64))
    )
    return col, row, letters + digits, ok


def _ref_text(data: bytes, start: int) -> str:
    """The cell reference that starts at ``start`` in ``data`` («XFD1048576»)."""
    return data[start : start + 12].split(b'"', 1)[0].decode("ascii", "replace").upper()


def _reference(ref: str, sheet: str, file: str) -> tuple[int, int]:
    """Row and column (1-based) of a cell reference «XFD1048576», with no bound."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not letters.isascii() or not letters.isalpha() or not digits.isascii() or not digits:
        raise DataError(file, f"лист «{sheet}»: «{ref[:20]}» не является адресом ячейки: {_RESAVE}")
    return _position(ref.upper())


def _parse(fh, sheet: str, file: str) -> SheetExtent:
    """The extent by the XML parser, placing cells without a reference as python-calamine does.

    A cell without ``r`` goes after the previous one in its row, in the row
    after the previous row; where python-calamine's counters and the references
    disagree the larger position is taken.
    """
    best = [0, 0, "", "", 0]
    row = col = 0  # 1-based position of the last row and cell seen
    pending: list[tuple[int, int]] = []
    try:
        for event, el in ET.iterparse(fh, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "row":
                r = el.get("r")
                row = max(row + 1, int(r) if r and r.isdigit() else 0)
                col = 0
            elif event == "start" and tag == "c":
                r = el.get("r")
                at = _reference(r, sheet, file) if r else (max(row, 1), col + 1)
                at = (max(at[0], row), max(at[1], col + 1) if not r else at[1])
                row, col = at
                pending.append(at)
            elif event == "end" and tag == "c":
                at = pending.pop()
                if len(el):  # a value, a formula or a text: the cell is read
                    ref = f"{column_letters(at[1])}{at[0]}"
                    if at[0] > best[0]:
                        best[0], best[2] = at[0], ref
                    if at[1] > best[1]:
                        best[1], best[3] = at[1], ref
                el.clear()
            elif event == "end" and tag in ("row", "mergeCell"):
                best[4] += tag == "mergeCell"
                el.clear()
    except ET.ParseError as exc:
        raise DataError(file, f"лист «{sheet}» повреждён ({exc}): {_RESAVE}") from None
    return SheetExtent(*best)


def check_sheet(
    path: Path, parts: dict[str, zipfile.ZipInfo], sheet: str, file: str, limits: ReadLimits
) -> SheetExtent:
    """The extent of a sheet, refused when a reader of it would hold too many cells.

    Raises
    ------
    DataError
        Naming ``file``, the sheet and its farthest cells (their row and column
        when one cell is both the lowest and the rightmost): more than
        ``limits.max_cells`` cells from A1 to them, more than
        ``limits.max_columns`` columns, or more than ``limits.max_merged``
        merged ranges.
    """
    ext = sheet_extent(path, parts, sheet, file)
    far = ext.last_row_cell
    one = far == ext.last_column_cell
    where = (
        f"ячейки {far}"
        if one
        else f"ячеек {ext.last_row_cell} (строка {grouped(ext.rows)}) и "
        f"{ext.last_column_cell} (столбец {grouped(ext.columns)})"
    )

    def problem(text: str) -> Problem:
        letters = far.rstrip("0123456789")
        return Problem(ext.rows if one else None, letters if one else None, text)

    if ext.cells > limits.max_cells or ext.columns > limits.max_columns:
        size = (
            f"{grouped(ext.cells)} ячеек, больше предела {grouped(limits.max_cells)}"
            if ext.cells > limits.max_cells
            else f"{grouped(ext.columns)} столбцов, больше предела {grouped(limits.max_columns)}"
        )
        which = "max_cells" if ext.cells > limits.max_cells else "max_columns"
        raise DataError(
            file,
            problem(
                f"лист «{sheet}» заполнен до {where} — от A1 это {size}: удалите лишние "
                "ячейки за таблицей (выделите пустые строки и столбцы за ней и удалите их) "
                f"или увеличьте предел (ReadLimits.{which})"
            ),
        )
    if ext.merged > limits.max_merged:
        raise DataError(
            file,
            f"на листе «{sheet}» {grouped(ext.merged)} объединённых диапазонов, больше предела "
            f"{grouped(limits.max_merged)}: отмените объединение ячеек или увеличьте предел "
            "(ReadLimits.max_merged)",
        )
    return ext

"""How much of a file the readers take, and what a path must be before a file is opened.

A hostile or broken file must not hang a reader or exhaust its memory: every
reader takes its bounds from a :class:`ReadLimits` (a parameter ``limits`` of the
public readers, :func:`edu_quality.load_dataset` and the ФИС ОКО import), and
refuses a file beyond them with a :class:`~edu_quality.errors.DataError` that
names the file and says what to do. Before anything is opened, the path must be
a regular file (not a folder, a named pipe, a device such as ``/dev/zero``)
within the size limit (:func:`regular_file`); an entry of a data folder must not
lead out of it through a symbolic link (:func:`inside_folder`).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, fields
from pathlib import Path

from .._checks import check_positive
from ..errors import DataError

__all__ = [
    "DEFAULT_LIMITS",
    "ReadLimits",
    "describe_size",
    "grouped",
    "inside_folder",
    "regular_file",
]

MiB = 2**20


@dataclass(frozen=True)
class ReadLimits:
    """The bounds within which a file is read; beyond them it is refused.

    The defaults are far above the real files the programme gets (see the
    README, «Guarantees»): the Altai Krai ФИС ОКО exports of a whole region
    declare at most 26 667 rows × 50 columns (1,3 million cells), unpack to at
    most 61 MB and are compressed at most 21 times; a pupil-level CSV of a
    million rows takes 54 MB.

    Parameters
    ----------
    max_file_bytes : int
        Size of a file on disk (CSV, Excel, Parquet): 512 MiB, ten times a
        CSV of a million pupils.
    max_cells : int
        Rows × columns of a table as read: of an Excel sheet from A1 to its
        farthest filled cell, of a CSV file its lines × its widest row, of a
        Parquet file the rows and columns its footer declares. 50 million:
        a sheet of Excel's 1 048 576 rows × 47 columns.
    max_columns : int
        Columns of a table: 10 000.
    max_unpacked_bytes : int
        Size of the parts of an Excel workbook (a ZIP archive) once unpacked:
        512 MiB.
    max_ratio : float
        How many times a part of a workbook larger than 1 MiB may grow when
        unpacked: 100 (real workbooks: at most 21; a «zip bomb»: 1 000).
    max_merged : int
        Merged ranges on an Excel sheet: 100 000.

    Examples
    --------
    >>> ReadLimits().max_columns
    10000
    >>> ReadLimits(max_cells=0)
    Traceback (most recent call last):
    ...
    ValueError: Параметр `max_cells` должен быть целым положительным числом, передано 0
    """

    max_file_bytes: int = 512 * MiB
    max_cells: int = 50_000_000
    max_columns: int = 10_000
    max_unpacked_bytes: int = 512 * MiB
    max_ratio: float = 100.0
    max_merged: int = 100_000

    def __post_init__(self) -> None:
        for f in fields(self):
            check_positive(f.name, getattr(self, f.name), integer=f.name != "max_ratio")


#: The limits a reader uses when it is given none.
DEFAULT_LIMITS = ReadLimits()


def grouped(n: int) -> str:
    """A whole number with its thousands apart, as Russian text writes it.

    Examples
    --------
    >>> grouped(1048576)
    '1 048 576'
    """
    return f"{n:,}".replace(",", " ")


def describe_size(n: float) -> str:
    """A size in bytes as a person reads it (КБ, МБ, ГБ; a decimal comma).

    Examples
    --------
    >>> describe_size(512 * 2**20), describe_size(1.5 * 2**30), describe_size(900)
    ('512 МБ', '1,5 ГБ', '900 байт')
    """
    for unit, size in (("ГБ", 2**30), ("МБ", 2**20), ("КБ", 2**10)):
        if n >= size:
            value = n / size
            text = f"{value:.0f}" if value >= 10 or value.is_integer() else f"{value:.1f}"
            return f"{text.replace('.', ',')} {unit}"
    return f"{int(n)} байт"


_KINDS = (
    (stat.S_ISFIFO, "именованный канал (FIFO)"),
    (stat.S_ISCHR, "устройство (как /dev/zero)"),
    (stat.S_ISBLK, "блочное устройство"),
    (stat.S_ISSOCK, "сокет"),
)


def regular_file(path: Path, file: str, limits: ReadLimits) -> int:
    """Refuse a path that is not a regular file within ``limits.max_file_bytes``; its size.

    A symbolic link is followed: what counts is the file it leads to. A named
    pipe would make a reader wait for ever, a device such as ``/dev/zero``
    never ends: both are refused before they are opened.

    Raises
    ------
    DataError
        Naming ``file``: no such file, a folder, a pipe, a device, a socket,
        a link that leads nowhere or in a circle, or a file too large.

    Examples
    --------
    >>> regular_file(Path("/dev/zero"), "results.csv", DEFAULT_LIMITS)
    Traceback (most recent call last):
    ...
    edu_quality.errors.DataError: results.csv, это не файл с данными, а устройство (как /dev/zero): укажите сам файл с таблицей
    """
    try:
        st = path.stat()
    except FileNotFoundError:
        raise DataError(file, f"файл не найден: {path}") from None
    except (OSError, RuntimeError) as exc:  # a link in a circle, no permission
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DataError(file, f"файл не открывается ({reason}): проверьте путь и права") from None
    if stat.S_ISDIR(st.st_mode):
        raise DataError(file, "указана папка, а не файл")
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _KINDS if test(st.st_mode)), "не обычный файл")
        raise DataError(file, f"это не файл с данными, а {kind}: укажите сам файл с таблицей")
    if st.st_size > limits.max_file_bytes:
        raise DataError(
            file,
            f"файл занимает {describe_size(st.st_size)} — больше предела "
            f"{describe_size(limits.max_file_bytes)}: разделите его на несколько файлов "
            "(или увеличьте предел: ReadLimits.max_file_bytes)",
        )
    return st.st_size


def inside_folder(path: Path, root: Path, shown: str) -> Path:
    """``path`` when it is inside the folder ``root`` once its links are followed.

    A data folder is read as it is: a symbolic link that leads out of it (to a
    file elsewhere, to ``/``) is refused rather than followed, so that reading
    a folder never walks the file system.

    Raises
    ------
    DataError
        Naming ``shown``: the link leads out of the folder, or in a circle.

    Examples
    --------
    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp()).resolve()
    >>> (root / "results_vpr").symlink_to("/")
    >>> inside_folder(root / "results_vpr", root, "results_vpr")
    Traceback (most recent call last):
    ...
    edu_quality.errors.DataError: results_vpr, это ссылка на «/» вне папки с данными: положите в папку сами файлы, а не ссылку на них
    """
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise DataError(
            shown, "ссылка ведёт в никуда или по кругу: положите в папку сам файл"
        ) from None
    if real != root and root not in real.parents:
        raise DataError(
            shown,
            f"это ссылка на «{real}» вне папки с данными: положите в папку сами файлы, "
            "а не ссылку на них",
        )
    return path

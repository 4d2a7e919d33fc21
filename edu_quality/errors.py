"""Errors raised by edu_quality.

Every problem with a user's data raises :class:`DataError`, which names the
file, the row the user sees in Excel or a text editor, and the column, and
lists every problem found in the file (up to :data:`MAX_PROBLEMS`), so that a
methodologist can fix a file in one pass.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass

from ._russian import plural

__all__ = [
    "MAX_PROBLEMS",
    "DataError",
    "EduQualityError",
    "Problem",
    "WriteError",
    "YearWithoutResults",
    "os_error_text",
]

#: How many problems one error lists at most; the count of the rest is given.
MAX_PROBLEMS = 50


class EduQualityError(Exception):
    """Base class of every error raised by edu_quality."""


@dataclass(frozen=True)
class Problem:
    """One problem in a data file.

    Parameters
    ----------
    row : int or None
        Row number as the user sees it (1-based, counting title and header
        rows), or None when the problem concerns the whole file or column.
    column : str or None
        Column header as written in the file, or None.
    message : str
        What is wrong, in Russian, for a methodologist.

    Examples
    --------
    >>> str(Problem(14, "Отметка", "значение «6» вне диапазона 2–5"))
    'строка 14, столбец «Отметка»: значение «6» вне диапазона 2–5'
    """

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"строка {self.row}")
        if self.column is not None:
            where.append(f"столбец «{self.column}»")
        return (", ".join(where) + ": " if where else "") + self.message


class DataError(EduQualityError, ValueError):
    """A data file cannot be used as it is.

    Attributes
    ----------
    file : str or None
        File name (without the folder, as the user knows it).
    row, column : int or str or None
        Where the first problem is.
    problems : list of Problem
        Every problem found, up to :data:`MAX_PROBLEMS`.
    total : int
        How many problems were found in all.
    other_files : tuple of str
        Names of further files that have problems too (an import of several files
        reports the first file's problems and names the others).

    Examples
    --------
    >>> err = DataError("results.csv", [Problem(14, "Отметка", "значение «6» вне диапазона 2–5")])
    >>> str(err)
    'results.csv, строка 14, столбец «Отметка»: значение «6» вне диапазона 2–5'
    >>> (err.file, err.row, err.column)
    ('results.csv', 14, 'Отметка')
    >>> DataError("a.xlsx", "пустой файл", other_files=["b.xlsx"]).other_files
    ('b.xlsx',)
    """

    def __init__(
        self,
        file: str | None,
        problems: Iterable[Problem] | Problem | str,
        *,
        total: int | None = None,
        other_files: Iterable[str] = (),
    ):
        if isinstance(problems, str):
            problems = [Problem(None, None, problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        problems = sorted(problems, key=lambda p: (p.row is None, p.row or 0, p.column or ""))
        self.file = file
        self.total = max(total or 0, len(problems))
        self.problems = problems[:MAX_PROBLEMS]
        self.other_files = tuple(other_files)
        first = self.problems[0] if self.problems else Problem(None, None, "ошибка данных")
        self.row = first.row
        self.column = first.column
        super().__init__(self._text())

    def __reduce__(self):
        # pickled whole (e.g. from a Dask worker to the caller): ``total`` is keyword-only
        return _restore, (type(self), self.file, self.problems, self.total, self.other_files)

    def _text(self) -> str:
        prefix = f"{self.file}, " if self.file else ""
        lines = [prefix + str(p) for p in self.problems]
        if self.total > len(self.problems):
            more = self.total - len(self.problems)
            word = plural(more, "проблема", "проблемы", "проблем")
            lines.append(f"… и ещё {more} {word} в этом файле")
        elif self.total > 1:
            lines.insert(0, f"Найдено проблем: {self.total}.")
        if self.other_files:
            lines.append(
                f"ошибки есть и в других файлах ({len(self.other_files)}): "
                + ", ".join(self.other_files)
            )
        return "\n".join(lines)


def _restore(
    cls: type[DataError],
    file: str | None,
    problems: list[Problem],
    total: int,
    other_files: tuple[str, ...] = (),
) -> DataError:
    """Rebuild a pickled :class:`DataError` (see :meth:`DataError.__reduce__`)."""
    return cls(file, problems, total=total, other_files=other_files)


class YearWithoutResults(EduQualityError, ValueError):
    """The year asked for has no results to judge (a ``ValueError`` naming the years there are).

    Examples
    --------
    >>> isinstance(YearWithoutResults("Параметр `year`: нет результатов за 2019 год"), ValueError)
    True
    """


class WriteError(EduQualityError, OSError):
    """Files could not be written (a full disk, a file too large, no permission).

    The message says, in Russian, what was being written, why it failed and what
    became of the files already there; ``errno`` is that of the original error.

    Examples
    --------
    >>> err = WriteError("не удалось записать результаты импорта: нет места на диске")
    >>> isinstance(err, OSError), str(err)
    (True, 'не удалось записать результаты импорта: нет места на диске')
    """


#: What an operating-system error means, for a user (by ``errno``).
_ERRNO_TEXT = {
    errno.ENOSPC: "нет места на диске",
    errno.EFBIG: "файл больше, чем позволяет система (ограничение размера файла)",
    errno.EDQUOT: "превышена дисковая квота",
    errno.EACCES: "нет прав на запись или чтение",
    errno.EPERM: "операция не разрешена",
    errno.EROFS: "диск доступен только для чтения",
    errno.EIO: "ошибка ввода-вывода диска",
    errno.ENOENT: "файл или папка не найдены",
    errno.ENOTDIR: "путь ведёт не в папку",
    errno.EISDIR: "на месте файла папка",
    errno.EMFILE: "открыто слишком много файлов",
    errno.ENAMETOOLONG: "слишком длинное имя файла",
    errno.EEXIST: "файл или папка уже существует",
    errno.ENOTEMPTY: "папка не пуста",
    errno.EBUSY: "файл или устройство заняты",
    errno.ETXTBSY: "файл занят другой программой",
    errno.ELOOP: "слишком много символических ссылок подряд",
    errno.EXDEV: "перемещение между разными дисками невозможно",
    errno.EINVAL: "недопустимое имя файла или значение",
    errno.ENODEV: "устройство недоступно",
    errno.ENXIO: "устройство или адрес недоступны",
    errno.ETIMEDOUT: "превышено время ожидания",
    errno.ECONNREFUSED: "в соединении отказано",
    errno.ECONNRESET: "соединение разорвано",
    errno.EHOSTUNREACH: "узел недоступен",
    errno.EPIPE: "канал закрыт",
}


def os_error_text(exc: OSError, *, path: bool = True) -> str:
    """An operating-system error in Russian: what it means and, with ``path``, the file.

    Examples
    --------
    >>> import errno
    >>> os_error_text(OSError(errno.ENOSPC, "No space left on device", "/data/a.parquet"))
    'нет места на диске (/data/a.parquet)'
    >>> os_error_text(OSError(errno.ENOSPC, "No space left on device", "a"), path=False)
    'нет места на диске'
    >>> os_error_text(FileExistsError(errno.EEXIST, "File exists", "out"))
    'файл или папка уже существует (out)'
    """
    text = _ERRNO_TEXT.get(exc.errno) if exc.errno is not None else None
    if text is None:
        said = " ".join(str(exc.strerror or exc).split()) or type(exc).__name__
        code = f"код {exc.errno}: " if exc.errno is not None else ""
        text = f"ошибка операционной системы ({code}{said})"
    if path and exc.filename:
        text += f" ({exc.filename})"
    return text

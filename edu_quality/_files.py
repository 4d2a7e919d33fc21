"""Writing files: the one atomic write of the package, and appending without following links.

:func:`atomic_write` writes a file whole or not at all; :func:`open_append` opens a
log for appending and never writes through a link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "default_file_mode", "open_append"]


def default_file_mode() -> int:
    """Mode a new file gets under the process's umask (``0o666 & ~umask``).

    :func:`tempfile.mkstemp` makes private files (0o600); a report or a cache file
    is meant to be read as an ordinary file would be.

    Examples
    --------
    >>> default_file_mode() & 0o600
    384
    """
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(
    path: str | Path, data: bytes | str | Callable[[Path], None], *, suffix: str = ".tmp"
) -> None:
    """Write ``path`` whole or not at all.

    The content goes to a hidden temporary file in the same folder, which is then
    renamed over ``path`` (:func:`os.replace`, atomic on one file system): a reader
    never sees half a file, and an interrupted write leaves no temporary behind.
    The rename replaces whatever ``path`` was — a symbolic or hard link is replaced
    by the new file, never written through.

    Parameters
    ----------
    path : str or Path
        The file to write; its folder is created when missing.
    data : bytes, str or callable
        The content (text is written as UTF-8), or a function that writes the
        temporary file given its path (``lambda tmp: df.to_parquet(tmp)``).
    suffix : str
        Ending of the temporary file's name (some writers look at it, e.g. ``.xlsx``).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a" / "note.txt"
    >>> atomic_write(target, "готово")
    >>> target.read_text(encoding="utf-8"), sorted(p.name for p in target.parent.iterdir())
    ('готово', ['note.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    tmp = Path(name)
    try:
        if callable(data):
            os.close(fd)
            data(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        tmp.chmod(default_file_mode())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def open_append(path: str | Path) -> tuple[IO[str], bool]:
    """Open a text file (a log) for appending, never through a link.

    The file is opened without following a symbolic link (``O_NOFOLLOW``).
    When ``path`` is a symbolic link, a hard link (a file with other names) or
    not a regular file (a FIFO, a device), that entry is removed — what it points
    to is left untouched — and a new empty file is created in its place
    (``O_EXCL``: created here, by this call).

    Returns
    -------
    file, bool
        The file, opened for appending as UTF-8 text, and whether a link or
        another entry was replaced.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / "outside.txt").write_text("x")
    1
    >>> (folder / "log.txt").symlink_to(folder / "outside.txt")
    >>> log, replaced = open_append(folder / "log.txt")
    >>> with log:
    ...     _ = log.write("запись")
    >>> replaced, (folder / "outside.txt").read_text(), (folder / "log.txt").is_symlink()
    (True, 'x', False)
    """
    path = Path(path)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)  # a FIFO never blocks
    replaced = False
    for _ in range(5):
        try:
            fd = os.open(path, flags, 0o666)
        except OSError as exc:  # a symbolic link (ELOOP), a FIFO without a reader (ENXIO)
            if exc.errno not in (errno.ELOOP, errno.ENXIO) or not _is_link_or_special(path):
                raise
        else:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode) and st.st_nlink <= 1:
                if hasattr(os, "set_blocking"):
                    os.set_blocking(fd, True)
                return os.fdopen(fd, "a", encoding="utf-8"), replaced
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # the link or the entry, not what it points to
        replaced = True
        flags |= os.O_EXCL
    raise OSError(errno.EEXIST, "файл всё время подменяется", str(path))


def _is_link_or_special(path: Path) -> bool:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return True  # gone meanwhile: try again
    return stat.S_ISLNK(st.st_mode) or not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode))

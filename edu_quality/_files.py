"""Writing files whole or not at all: the one atomic write of the package."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

__all__ = ["atomic_write", "default_file_mode"]


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

"""Writing files: the one atomic write of the package, and appending without following links.

:func:`atomic_write` writes a file whole or not at all; :func:`open_append` opens a
log for appending and never writes through a link. A set of files replaces another
in a folder in two steps: every file is written into a hidden staging folder inside
it (:func:`staging_folder`), then all are renamed into place under a marker
(:func:`replace_files`, :func:`finish_replace`) that :func:`check_complete` refuses,
so a folder is never read half-replaced.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from .errors import DataError

__all__ = [
    "INCOMPLETE_MARKER",
    "STAGING_PREFIX",
    "atomic_write",
    "check_complete",
    "default_file_mode",
    "finish_replace",
    "missing_folder",
    "open_append",
    "remove_staging",
    "replace_files",
    "sha256_file",
    "staging_folder",
]

#: The file a folder holds while :func:`replace_files` moves new files into it.
INCOMPLETE_MARKER = ".import-incomplete"
#: How the staging folders of :func:`staging_folder` begin (hidden: readers skip them).
STAGING_PREFIX = ".import-staging-"


def missing_folder(folder: Path) -> str:
    """Why ``folder`` is no data folder: not there, or a file where a folder is needed.

    Examples
    --------
    >>> missing_folder(Path("нет-такой-папки"))
    'папка с данными не найдена: нет-такой-папки'
    """
    if folder.is_file():
        return f"это файл, а нужна папка с данными (в ней schools.xlsx и файлы results…): {folder}"
    return f"папка с данными не найдена: {folder}"


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


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as 64 hexadecimal digits (read in 1 MiB blocks).

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = target.write_bytes(b"abc")
    >>> sha256_file(target)[:16]
    'ba7816bf8f01cfea'
    """
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def remove_staging(folder: str | Path) -> None:
    """Remove the staging folders (``.import-staging-*``) a killed process left in ``folder``.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> (folder / f"{STAGING_PREFIX}x").mkdir()
    >>> remove_staging(folder)
    >>> list(folder.iterdir())
    []
    """
    for old in Path(folder).glob(STAGING_PREFIX + "*"):
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                old.unlink()


@contextlib.contextmanager
def staging_folder(folder: str | Path) -> Iterator[Path]:
    """A new hidden folder inside ``folder`` to write files into, removed on leaving.

    The staging folders an earlier, killed process left (``.import-staging-*``)
    are removed first. The staging folder is on the same file system as
    ``folder``, so :func:`replace_files` moves its files by renaming them. One
    process at a time replaces the files of a folder.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with staging_folder(folder) as staging:
    ...     staging.name.startswith(STAGING_PREFIX), staging.parent == folder
    (True, True)
    >>> list(folder.iterdir())
    []
    """
    folder = Path(folder)
    remove_staging(folder)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=folder))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def replace_files(
    staging: Path, folder: Path, names: Iterable[str], *, stale: Iterable[Path] = ()
) -> None:
    """Move the files ``names`` of ``staging`` into ``folder``, under the marker.

    The marker :data:`INCOMPLETE_MARKER` is written first, then the ``stale``
    paths (records of the files being replaced, files no longer made) are
    removed and every file is renamed into place (:meth:`Path.replace`, atomic
    each). The marker stays: the caller removes it (:func:`finish_replace`)
    once its own records are written. A process killed meanwhile leaves the
    marker, and :func:`check_complete` refuses the folder until the files are
    written again.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with staging_folder(folder) as staging:
    ...     _ = (staging / "a.txt").write_text("новый")
    ...     replace_files(staging, folder, ["a.txt"])
    >>> sorted(p.name for p in folder.iterdir())
    ['.import-incomplete', 'a.txt']
    >>> finish_replace(folder)
    >>> sorted(p.name for p in folder.iterdir())
    ['a.txt']
    """
    atomic_write(
        folder / INCOMPLETE_MARKER,
        "Импорт в эту папку начат, но не завершён: запустите импорт снова.\n",
    )
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            Path(path).unlink()
    for name in names:
        (staging / name).replace(folder / name)


def finish_replace(folder: Path) -> None:
    """Remove the marker :func:`replace_files` left: the folder is complete again."""
    with contextlib.suppress(FileNotFoundError):
        (Path(folder) / INCOMPLETE_MARKER).unlink()


def check_complete(folder: str | Path) -> None:
    """Refuse a folder whose files an import was replacing when it stopped.

    Raises
    ------
    DataError
        The folder holds :data:`INCOMPLETE_MARKER`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> check_complete(folder)
    >>> _ = (folder / INCOMPLETE_MARKER).write_text("")
    >>> try:
    ...     check_complete(folder)
    ... except DataError as err:
    ...     print(str(err).endswith("не завершён: запустите импорт снова"))
    True
    """
    folder = Path(folder)
    if os.path.lexists(folder / INCOMPLETE_MARKER):
        raise DataError(folder.name, f"импорт в папку {folder} не завершён: запустите импорт снова")

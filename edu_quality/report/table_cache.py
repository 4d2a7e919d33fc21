"""The region-wide tables of a report year kept on disk, for the next report and batch.

Every school report of a year needs the same region-wide tables: the summaries,
the identification (:func:`edu_quality.classify`), the federal objectivity index,
the families of similar schools, the gaps and the weak tasks. They take seconds
to compute, the school's own sections a fraction of that; :func:`stored` keeps
each table in a file, so that the next report of the same data (a single
``edu-quality report school``, every kernel of a batch) reads it instead.

The key of a table (:func:`table_key`) is the SHA-256 of the dataset folder's
path and the size and modification time of every file in it
(:func:`~edu_quality.report.cache.folder_version`), the year, the small-group
threshold and the package's code (the SHA-256 of its source files): any change
of data, parameter or code gives a new key, and an old table is never read.

The files are in ``$EDU_QUALITY_CACHE`` when set (``0``, ``off`` or ``нет``: no
cache), otherwise in the user's cache folder (``$XDG_CACHE_HOME/edu_quality``
or ``~/.cache/edu_quality``), readable by the user only. They hold aggregates
of the dataset folder (per school, municipality, work): nothing the folder
does not hold already, and no pupil rows. A table is written to a temporary
file and renamed into place (atomic), so that concurrent reports never read a
half-written one; while one process computes a table, another that needs it
waits for it (a file lock, where the system has one) instead of computing it
twice. Folders of keys not written to for :data:`KEEP_DAYS` days are removed.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["KEEP_DAYS", "REPORT_MIN_N", "cache_root", "code_version", "kept", "stored", "table_key"]

#: Days a key's folder is kept after its last use.
KEEP_DAYS = 30
#: The reports' ``min_n`` (fewest participants for a result to be shown), part of every key.
REPORT_MIN_N = 5
_OFF = {"0", "off", "no", "нет", "false"}


def cache_root() -> Path | None:
    """The folder of the table cache, or None when it is switched off.

    Examples
    --------
    >>> import os
    >>> os.environ["EDU_QUALITY_CACHE"] = "off"
    >>> cache_root() is None
    True
    >>> del os.environ["EDU_QUALITY_CACHE"]
    """
    env = os.environ.get("EDU_QUALITY_CACHE", "").strip()
    if env.lower() in _OFF:
        return None
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "edu_quality" / "tables"


@functools.cache
def code_version() -> str:
    """SHA-256 of the package's source files (paths and contents), computed once per process.

    Examples
    --------
    >>> len(code_version())
    64
    """
    package = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def table_key(folder: str | Path, version: tuple, year: int, min_n: int) -> str | None:
    """The key of a report year's tables: data, parameters, code; None without a cache.

    ``version`` is the folder's version from
    :func:`~edu_quality.report.cache.folder_version`.

    Examples
    --------
    >>> import os
    >>> os.environ["EDU_QUALITY_CACHE"] = "/tmp/cache"
    >>> a = table_key("/data", (("a.csv", 10, 1),), 2024, 5)
    >>> a == table_key("/data", (("a.csv", 11, 1),), 2024, 5)
    False
    >>> del os.environ["EDU_QUALITY_CACHE"]
    """
    if cache_root() is None:
        return None
    text = repr((str(folder), tuple(version), int(year), int(min_n), code_version()))
    return hashlib.sha256(text.encode()).hexdigest()


def kept(key: str | None) -> bool:
    """Whether some table of ``key`` is kept: a report of the same data, year and code ran.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["EDU_QUALITY_CACHE"] = tempfile.mkdtemp()
    >>> key = table_key("/data", (), 2024, 5)
    >>> kept(key), stored(key, "answer", lambda: 42), kept(key)
    (False, 42, True)
    >>> del os.environ["EDU_QUALITY_CACHE"]
    """
    root = cache_root()
    if key is None or root is None:
        return False
    try:
        return any((root / key).glob("*.pickle"))
    except OSError:
        return False


def _lock(path: Path):
    """An exclusive lock on ``path`` (a context manager); nothing where the system has none."""
    import contextlib

    try:
        import fcntl
    except ImportError:  # Windows: concurrent writers compute twice, still atomic
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def held():
        try:
            fh = path.open("a")
        except OSError:  # a folder that cannot be written: no lock
            yield
            return
        with fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    return held()


def _prune(root: Path, keep: str) -> None:
    """Remove the key folders not written to for :data:`KEEP_DAYS` days (never ``keep``)."""
    limit = time.time() - KEEP_DAYS * 86400
    for d in root.iterdir():
        try:
            if d.name != keep and d.is_dir() and d.stat().st_mtime < limit:
                shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


def _read(path: Path) -> tuple[bool, Any]:
    try:
        with path.open("rb") as fh:
            return True, pickle.load(fh)
    except FileNotFoundError:
        return False, None
    except Exception:  # a damaged file (a full disk, say): computed again
        return False, None


def _write(path: Path, value: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stored(key: str | None, name: str, make: Callable[[], Any]) -> Any:
    """The table ``name`` of the key ``key``: read from the cache, or ``make()`` and kept.

    Without a key (no cache, a report data built by hand) it is ``make()``. A
    folder that cannot be written (read-only home) only means no cache.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["EDU_QUALITY_CACHE"] = tempfile.mkdtemp()
    >>> key = table_key("/data", (), 2024, 5)
    >>> stored(key, "answer", lambda: 42), stored(key, "answer", lambda: 0)
    (42, 42)
    >>> del os.environ["EDU_QUALITY_CACHE"]
    """
    root = cache_root()
    if key is None or root is None:
        return make()
    folder = root / key
    path = folder / f"{name}.pickle"
    found, value = _read(path)
    if found:
        return value
    try:
        new = not folder.is_dir()
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.mkdir(exist_ok=True, mode=0o700)
        if new:
            _prune(root, key)
        lock = _lock(folder / f".{name}.lock")
    except OSError:
        return make()
    with lock:
        found, value = _read(path)  # written meanwhile by the process we waited for
        if found:
            return value
        value = make()
        try:
            _write(path, value)
        except OSError:
            pass
    return value

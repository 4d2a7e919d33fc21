"""What a batch killed outright leaves behind, and how the next batch removes it.

A batch removes its own temporary files on every exit it sees: when it ends, fails,
or is stopped by SIGINT, SIGTERM or SIGHUP. A batch killed with SIGKILL (or a machine
that stops) cannot, and leaves:

* its hand-over folder ``edu-quality-batch-*`` in the system's temporary folder, with
  the pickle of the whole dataset — every pupil row
  (:func:`~edu_quality.report.cache.share_dataset`);
* hidden temporary files in its output folder, named as :func:`tempfile.mkstemp`
  names them (``.school_5.html.k2j4h5g6.tmp``, ``.school_5.a8b7c6d5.ipynb``), empty
  or half-written.

The next batch removes them before it starts: a hand-over folder of this user whose
owner process (the pid written in its ``pid`` file by :func:`make_handoff_folder`) is
no longer running, or that is older than :data:`STALE_AFTER`; the temporary files of
the output folder when no other batch is writing there (a running batch holds a lock
on its ``batch.log``, :func:`lock_output`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO

__all__ = [
    "HANDOFF_PREFIX",
    "STALE_AFTER",
    "lock_output",
    "make_handoff_folder",
    "process_alive",
    "remove_orphan_reports",
    "remove_stale_handoffs",
    "remove_stale_temporaries",
]

#: Name prefix of a batch's hand-over folder in the system's temporary folder.
HANDOFF_PREFIX = "edu-quality-batch-"
#: Seconds after which a hand-over folder is removed even if its owner seems alive
#: (its pid may have been given to another process since).
STALE_AFTER = 24 * 3600
#: A temporary file made by :func:`tempfile.mkstemp` for the batch's atomic writes:
#: hidden, eight random characters, one of the suffixes the batch uses.
_TEMPORARY = re.compile(r"\A\..+\.[a-z0-9_]{8}\.(tmp|ipynb|xlsx)\Z")


def process_alive(pid: int) -> bool:
    """Whether a process with this id is running (a zombie counts as running).

    Examples
    --------
    >>> process_alive(os.getpid())
    True
    """
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    except OSError:
        return False
    return True


def make_handoff_folder() -> Path:
    """A new private hand-over folder (0o700), with the pid of this process in its ``pid`` file.

    Examples
    --------
    >>> folder = make_handoff_folder()
    >>> int((folder / "pid").read_text()) == os.getpid()
    True
    >>> shutil.rmtree(folder)
    """
    folder = Path(tempfile.mkdtemp(prefix=HANDOFF_PREFIX))
    (folder / "pid").write_text(f"{os.getpid()}\n", encoding="ascii")
    return folder


def _owner(folder: Path) -> int | None:
    try:
        return int((folder / "pid").read_text(encoding="ascii").strip())
    except (OSError, ValueError):
        return None


def remove_stale_handoffs(temp_dir: str | Path | None = None) -> list[Path]:
    """Remove the hand-over folders of batches that no longer run; return those removed.

    A folder ``edu-quality-batch-*`` of this user (not a link) is removed when
    the process named in its ``pid`` file is not running, or when it was last
    changed more than :data:`STALE_AFTER` seconds ago (also a folder without a
    readable ``pid`` file: one being made now is younger).

    Parameters
    ----------
    temp_dir : str or Path, optional
        Where to look; by default the system's temporary folder
        (:func:`tempfile.gettempdir`), where batches make them.
    """
    base = Path(temp_dir) if temp_dir is not None else Path(tempfile.gettempdir())
    uid = os.getuid() if hasattr(os, "getuid") else None
    removed = []
    try:
        candidates = sorted(base.glob(f"{HANDOFF_PREFIX}*"))
    except OSError:
        return removed
    for folder in candidates:
        try:
            st = folder.lstat()
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode) or (uid is not None and st.st_uid != uid):
            continue
        pid = _owner(folder)
        old = time.time() - st.st_mtime > STALE_AFTER
        if not old and (pid is None or process_alive(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            removed.append(folder)
    return removed


def remove_stale_temporaries(out: str | Path) -> list[str]:
    """Remove the temporary files an interrupted write left in ``out``; return their names.

    Only hidden files named as :func:`tempfile.mkstemp` names the batch's
    temporary files (``.<name>.<8 random characters>.tmp``, ``.ipynb`` or
    ``.xlsx``) are removed; call it only while no other batch writes to
    ``out`` (:func:`lock_output`).

    Examples
    --------
    >>> out = Path(tempfile.mkdtemp())
    >>> for name in (".index.html.k2j4h5g6.tmp", ".keep", "index.html"):
    ...     (out / name).write_text("")
    0
    0
    0
    >>> remove_stale_temporaries(out), sorted(p.name for p in out.iterdir())
    (['.index.html.k2j4h5g6.tmp'], ['.keep', 'index.html'])
    """
    removed = []
    for path in sorted(Path(out).iterdir()):
        if not _TEMPORARY.match(path.name):
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(path.lstat().st_mode):
                continue
            path.unlink()  # a link is removed, never followed
            removed.append(path.name)
    return removed


#: A report page, its PDF or executed notebook of a batch: ``school_…`` or ``municipality_…``.
_REPORT_FILE = re.compile(r"(?:school|municipality)_[\w\-]+\.(?:html|ipynb|pdf)")


def remove_orphan_reports(out: str | Path, names: Iterable[str]) -> list[str]:
    """Remove report pages and notebooks of ``out`` that are not among ``names``; return them.

    A page a batch built earlier under a name no report has now (an id gone from the
    registry, a naming scheme changed) would sit beside the current pages and read
    as current. Only ``school_*`` and ``municipality_*`` ``.html``/``.ipynb``/``.pdf``
    files are touched; call it for a batch over every report of the folder, while no other
    batch writes there (:func:`lock_output`).

    Examples
    --------
    >>> out = Path(tempfile.mkdtemp())
    >>> for name in ("school_1.html", "school_2.html", "school_2.pdf", "notes.html", "index.html"):
    ...     (out / name).write_text("")
    0
    0
    0
    0
    0
    >>> remove_orphan_reports(out, ["school_1"]), sorted(p.name for p in out.iterdir())
    (['school_2.html', 'school_2.pdf'], ['index.html', 'notes.html', 'school_1.html'])
    """
    keep = set(names)
    removed = []
    for path in sorted(Path(out).iterdir()):
        if not _REPORT_FILE.fullmatch(path.name) or path.name.rsplit(".", 1)[0] in keep:
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(path.lstat().st_mode):
                continue
            path.unlink()  # a link is removed, never followed
            removed.append(path.name)
    return removed


def lock_output(log: IO[str]) -> bool:
    """Take the lock of an output folder: an exclusive lock on its open ``batch.log``.

    Returns False when another running batch holds it (then that batch's
    temporary files must be left alone) or where locks are not available. The
    lock goes with the file: it is released when the log is closed, or when the
    process dies however it dies.
    """
    try:
        import fcntl
    except ImportError:  # not a POSIX system
        return False
    try:
        fcntl.flock(log.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True

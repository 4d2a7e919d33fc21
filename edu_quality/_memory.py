"""Memory freed by the analytics given back to the system.

Reading a region's files makes and drops many column-sized arrays: the parts
of each file, then their concatenation. The allocators keep what was freed for
later use — glibc in its heap (arrays under its mmap threshold, up to 32 MB),
Arrow in its own pool — so the process stays as large as its busiest moment,
and the next steps, which cannot reuse those scattered pieces, grow it further.
:func:`give_back` returns that free memory once a large step is over.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

__all__ = ["LARGE", "give_back"]

#: Rows from which a step's input is large enough for its end to give memory back
#: (below, the pieces freed are small, and reused at once).
LARGE = 1_000_000


@cache
def _malloc_trim() -> object | None:
    """The C library's ``malloc_trim`` (glibc), or None where there is none (macOS, musl, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Return the free memory of the C heap and of Arrow's pool to the system.

    Nothing is freed that is in use: only memory the allocators hold for later.
    The C heap is trimmed where the C library can (glibc); elsewhere only Arrow's
    pool gives back. Meant for the end of a step over millions of rows: a later
    step that needs the memory again touches it afresh.

    Examples
    --------
    >>> give_back()
    """
    pyarrow = sys.modules.get("pyarrow")  # never imported for it
    pool = pyarrow.default_memory_pool() if pyarrow is not None else None
    if hasattr(pool, "release_unused"):  # pyarrow 9 and later
        pool.release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)

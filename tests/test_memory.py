"""Memory freed by a large step is given back to the system (:mod:`edu_quality._memory`)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import numpy as np
import pytest

from edu_quality._memory import give_back


def _rss() -> int:
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="glibc alone trims its heap on request",
)
def test_give_back_returns_the_free_heap():
    """Arrays under glibc's mmap threshold live in its heap; freed, they stay in the process
    (the last one pins the top of the heap) until given back."""
    arrays = [np.ones(8_000) for _ in range(10_000)]  # 64 KB each, 640 MB in all
    last = arrays[-1]
    del arrays
    before = _rss()
    give_back()
    assert before - _rss() > 400_000_000
    assert last.sum() == 8_000  # what is in use stays

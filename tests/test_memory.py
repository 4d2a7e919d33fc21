"""Memory freed by a large step is given back to the system (:mod:`edu_quality._memory`)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
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


def test_large_files_are_known_before_they_are_read(tmp_path, monkeypatch):
    import pandas as pd

    from edu_quality.dataset import read

    monkeypatch.setattr(read, "LARGE", 10)
    monkeypatch.setattr(read, "LARGE_FILE_BYTES", 1_000)
    pd.DataFrame({"mark": range(12)}).to_parquet(tmp_path / "big.parquet")
    pd.DataFrame({"mark": range(9)}).to_parquet(tmp_path / "small.parquet")
    (tmp_path / "big.csv").write_text("mark\n" + "4\n" * 600, encoding="utf-8")
    (tmp_path / "small.csv").write_text("mark\n4\n", encoding="utf-8")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not a footer")
    assert read.is_large(tmp_path / "big.parquet") and read.is_large(tmp_path / "big.csv")
    assert not read.is_large(tmp_path / "small.parquet")
    assert not read.is_large(tmp_path / "small.csv")
    assert not read.is_large(tmp_path / "broken.parquet")  # reading it names the fault


def test_large_files_are_parsed_first_on_both_threads(tmp_path, monkeypatch):
    """The longest work first: the large files two at once, while few parts are held, then
    the small ones, so that neither thread ends alone with the large files; the tables are
    those of a reading one file after another."""
    import threading
    import time

    import edu_quality as eq
    from edu_quality.dataset import load as loading
    from edu_quality.synthetic import make_region, write_region

    folder = tmp_path / "region"
    write_region(make_region(years=(2023, 2024), pupils_scale=0.3), folder)
    results = sorted(p for p in folder.iterdir() if p.name.startswith("results_"))
    large = {p.name for p in results[1::2]}  # every other results file taken for a large one
    assert len(large) >= 2 and len(results) > len(large)
    active: list[str] = []
    begun: list[str] = []
    most = {"large": 0}
    lock = threading.Lock()
    real = loading.load_part

    def watched(path, *args):
        with lock:
            active.append(path.name)
            begun.append(path.name)
            most["large"] = max(most["large"], sum(n in large for n in active))
        try:
            time.sleep(0.2)  # long enough for the other thread to start what it may
            return real(path, *args)
        finally:
            with lock:
                active.remove(path.name)

    monkeypatch.setattr(loading, "is_large", lambda path: path.name in large)
    monkeypatch.setattr(loading, "load_part", watched)
    monkeypatch.setattr(loading, "reading_threads", lambda: 2)
    ds = eq.load_dataset(folder)
    assert most["large"] == 2  # two large files at once, one per thread
    assert set(begun[: len(large)]) == large  # every large file begun before a small one
    monkeypatch.setattr(loading, "reading_threads", lambda: 1)
    begun.clear()
    one_by_one = eq.load_dataset(folder)
    assert begun == [p.name for p in results]  # one thread: in their order, an error at once
    pd.testing.assert_frame_equal(ds.results, one_by_one.results)
    pd.testing.assert_frame_equal(ds.aggregates, one_by_one.aggregates)


def test_a_table_keeps_no_block_of_the_file_it_was_read_from(tmp_path):
    """Parquet's number columns come as one block: the table's scores are a copy of their own,
    not a view keeping the file's other columns (30 tasks here) alive."""
    from edu_quality import read_results

    n = 2_000
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "Учебный год": np.full(n, 2024),
            "Процедура": ["ВПР"] * n,
            "Предмет": ["Математика"] * n,
            "Класс": np.full(n, 5),
            "Код ОО": ["010001"] * n,
            "Код участника": [f"P{i}" for i in range(n)],
            "Балл": rng.integers(0, 20, n).astype(float),
            **{f"Задание {j}": rng.random(n) for j in range(30)},
        }
    )
    frame.to_parquet(tmp_path / "results.parquet")
    table = read_results(tmp_path / "results.parquet")
    root = table["score"].to_numpy()
    while isinstance(root.base, np.ndarray):
        root = root.base
    assert root.nbytes <= 8 * n
    assert table["score"].tolist() == frame["Балл"].tolist()

"""A dataset folder's version covers its whole tree; a batch's kernels keep the batch's snapshot."""

from __future__ import annotations

import os
import shutil

import pandas as pd
from _helpers import SAMPLES

from edu_quality.report import cache


def _touch(path, text: str | None = None) -> None:
    if text is not None:
        path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))


def test_a_changed_file_in_a_partitioned_folder_changes_the_version(tmp_path):
    part = tmp_path / "results_vpr" / "year=2024"
    part.mkdir(parents=True)
    pd.DataFrame({"a": [1]}).to_parquet(part / "part-0.parquet")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.pkl").write_bytes(b"1")
    _, before = cache.folder_version(tmp_path)
    assert [name for name, *_ in before] == ["results_vpr/year=2024/part-0.parquet"]
    _touch(tmp_path / ".cache" / "x.pkl", "2")  # hidden: a cache, not data
    assert cache.folder_version(tmp_path)[1] == before
    pd.DataFrame({"a": [1, 2]}).to_parquet(part / "part-0.parquet")
    assert cache.folder_version(tmp_path)[1] != before


def test_the_batch_stamp_sees_the_partitioned_change(tmp_path):
    from edu_quality.report.manifest import inputs_stamp

    part = tmp_path / "results_vpr" / "year=2024"
    part.mkdir(parents=True)
    (part / "part-0.csv").write_text("x\n1\n", encoding="utf-8")
    first = inputs_stamp(tmp_path, [])
    _touch(part / "part-0.csv", "x\n2\n")
    assert inputs_stamp(tmp_path, []) != first


def test_a_kernel_keeps_the_batch_snapshot_when_the_folder_changes(tmp_path):
    folder = tmp_path / "inta"
    shutil.copytree(SAMPLES / "inta", folder)
    snapshot = cache.cached_dataset(folder)
    hand_over = tmp_path / "dataset.pkl"
    assert cache.share_dataset(folder, hand_over)
    # the folder is edited while the batch runs
    staff = folder / "staff.csv"
    _touch(staff, staff.read_text(encoding="utf-8"))
    assert cache.preload_dataset(folder, hand_over)
    key = str(folder.resolve())
    pinned = cache._PINNED[key]
    try:
        taken = cache.cached_dataset(folder)
        assert taken is not snapshot  # taken from the hand-over, not read again
        pd.testing.assert_frame_equal(taken.schools, snapshot.schools)
        assert cache.folder_version(folder)[1] == pinned  # the pages of this batch: one snapshot
    finally:
        cache._PINNED.pop(key, None)
    assert cache.folder_version(folder)[1] != pinned  # outside the batch the edit is seen

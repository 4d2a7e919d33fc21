"""The region-wide report tables kept on disk: same pages with and without, invalidated on change."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from edu_quality.demo import sample_folder
from edu_quality.report import data as data_module
from edu_quality.report import table_cache
from edu_quality.report.data import report_data
from edu_quality.report.render import page
from edu_quality.report.sections import school_report


@pytest.fixture
def cache(tmp_path, monkeypatch):
    root = tmp_path / "cache"
    monkeypatch.setenv("EDU_QUALITY_CACHE", str(root))
    data_module._CACHE.clear()
    yield root
    data_module._CACHE.clear()


def _page(folder: Path, school: str = "01016") -> str:
    data_module._CACHE.clear()  # a new process, as far as the tables go
    data = report_data(folder, 2024)
    return page("t", school_report(data, school))


@pytest.mark.slow
def test_pages_identical_with_and_without_cache(cache, monkeypatch):
    folder = sample_folder("region")
    monkeypatch.setenv("EDU_QUALITY_CACHE", "off")
    without = _page(folder)
    assert not cache.exists()
    monkeypatch.setenv("EDU_QUALITY_CACHE", str(cache))
    first = _page(folder)  # computes and writes
    names = {p.name for p in cache.glob("*/*.pickle")}
    assert {"classified.pickle", "objectivity.pickle", "similar_families.pickle"} <= names
    second = _page(folder)  # reads only
    assert without == first == second
    # the notes set while computing come back from the cache too
    assert report_data(folder, 2024).max_score_note == _note_without_cache(folder, monkeypatch)


def _note_without_cache(folder: Path, monkeypatch) -> str:
    monkeypatch.setenv("EDU_QUALITY_CACHE", "off")
    data_module._CACHE.clear()
    data = report_data(folder, 2024)
    assert data.objectivity is not None
    return data.max_score_note


@pytest.mark.slow
def test_cached_table_is_read_not_computed(cache, monkeypatch):
    folder = sample_folder("region")
    _page(folder)
    calls = []
    real = data_module.classify
    monkeypatch.setattr(data_module, "classify", lambda *a, **k: calls.append(1) or real(*a, **k))
    data_module._CACHE.clear()
    assert report_data(folder, 2024).classified is not None
    assert calls == []


def test_changed_file_year_or_threshold_gives_a_new_key(cache, tmp_path):
    folder = tmp_path / "region"
    shutil.copytree(sample_folder("region"), folder)
    data_module._CACHE.clear()
    key = report_data(folder, 2024).cache_key
    assert key != report_data(folder, 2023).cache_key
    assert key != report_data(folder, 2024, min_n=6).cache_key
    path = folder / "schools.csv"
    stamp = path.stat().st_mtime_ns + 10**9
    os.utime(path, ns=(stamp, stamp))
    assert report_data(folder, 2024).cache_key != key


def test_no_key_when_switched_off(monkeypatch):
    monkeypatch.setenv("EDU_QUALITY_CACHE", "нет")
    assert table_cache.table_key("/data", (), 2024, 5) is None
    assert table_cache.stored(None, "x", lambda: 1) == 1


def test_damaged_file_is_computed_again(cache):
    key = table_cache.table_key("/data", (), 2024, 5)
    assert table_cache.stored(key, "t", lambda: [1, 2]) == [1, 2]
    (cache / key / "t.pickle").write_bytes(b"not a pickle")
    assert table_cache.stored(key, "t", lambda: [3]) == [3]
    assert table_cache.stored(key, "t", lambda: [4]) == [3]
    assert not list((cache / key).glob(".*.tmp"))  # written atomically, no leftovers


def test_old_keys_are_pruned(cache):
    old = table_cache.table_key("/old", (), 2024, 5)
    table_cache.stored(old, "t", lambda: 1)
    past = time.time() - (table_cache.KEEP_DAYS + 1) * 86400
    os.utime(cache / old, (past, past))
    table_cache.stored(table_cache.table_key("/new", (), 2024, 5), "t", lambda: 2)
    assert not (cache / old).exists()


@pytest.mark.slow
def test_no_pupil_rows_in_the_cache(cache):
    _page(sample_folder("region"))
    import pickle

    def tables(value):
        if isinstance(value, tuple | list):
            for v in value:
                yield from tables(v)
        elif isinstance(value, dict):
            yield from tables(list(value.values()))
        elif hasattr(value, "__dict__") and not hasattr(value, "columns"):
            yield from tables(list(vars(value).values()))
        else:
            yield value

    paths = list(cache.glob("*/*.pickle"))
    assert len(paths) > 5
    for path in paths:
        for table in tables(pickle.loads(path.read_bytes())):
            cols = set(getattr(table, "columns", []))
            assert not cols & {"pupil_id", "participant_id"}, path.name


@pytest.mark.slow
def test_batch_statuses_and_reports_share_the_identification(cache, monkeypatch):
    from edu_quality.report.cache import cached_dataset, folder_version
    from edu_quality.report.data import school_statuses

    folder = sample_folder("region")
    _, version = folder_version(folder)
    statuses = school_statuses(folder, 2024, dataset=cached_dataset(folder), version=version)
    calls = []
    real = data_module.classify
    monkeypatch.setattr(data_module, "classify", lambda *a, **k: calls.append(1) or real(*a, **k))
    data_module._CACHE.clear()
    classified = report_data(folder, 2024).classified
    assert calls == []  # read: the batch process computed it
    assert statuses == {str(k): str(v) for k, v in classified["status"].items()}
    # without the folder's version the dataset is classified apart, nothing kept
    school_statuses(folder, 2024, dataset=cached_dataset(folder))
    assert calls == [1]

"""Unreliable protocols: marked at import, left out of analyses by default, named in reports."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import SAMPLES

import edu_quality as eq
from edu_quality import DataError
from edu_quality.fisoko.vpr.reader import parse_vpr
from edu_quality.identify import classify
from edu_quality.metrics import summarize
from edu_quality.reliability import drop_unreliable, reliable, unreliable_protocols

_HEAD = ["логин школы", "код обучающегося", "вариант", "всего баллов", "балл за 1"]
_FILE = Path("Математика 4 класс ВПР 2021.xlsx")


def _grid() -> list[list[str]]:
    """School 1: 10 pupils and one total of 25 (of 20); school 2: 6 good pupils;
    school 3: an unknown variant «0» and one good pupil."""
    grid = [_HEAD]
    grid += [["sch220001", f"4000{i}", "1", str(5 + i), "1"] for i in range(10)]
    grid.append(["sch220001", "40099", "1", "25", "1"])
    grid += [["sch220002", f"4010{i}", "1", str(5 + i), "1"] for i in range(6)]
    grid += [["sch220003", "40200", "0", "5", "1"], ["sch220003", "40201", "2", "5", "1"]]
    return grid


def _parse(**options):
    return parse_vpr(_grid(), 0, "ru", _FILE, "a.xlsx", task_max=[20], **options)


def test_a_protocol_with_an_impossible_total_is_kept_and_marked_as_a_whole():
    v = _parse(invalid_results="exclude")
    r = v.results
    per_school = r.groupby("school_id")["unreliable"].agg(["sum", "size"])
    # the impossible rows are left out, every other row of their school is kept and marked
    assert per_school.loc["sch220001"].tolist() == [10, 10]
    assert per_school.loc["sch220002"].tolist() == [0, 6]
    assert per_school.loc["sch220003"].tolist() == [1, 1]
    reasons = r.groupby("school_id")["unreliable_reason"].first()
    assert reasons["sch220001"] == (
        "протокол недостоверен: часть итоговых баллов больше максимального (20)"
    )
    assert reasons["sch220003"] == "протокол недостоверен: у части участников неизвестный вариант"
    assert pd.isna(reasons["sch220002"])
    assert r["unreliable"].dtype == "boolean"
    assert v.counts["unreliable_protocols"] == 2 and v.counts["unreliable_rows"] == 11
    # one warning per protocol, with the counts
    q = v.quality
    listed = q[q["problem"].str.startswith("протокол школы по этой работе недостоверен")]
    assert listed.set_index("school_id")["problem"].to_dict() == {
        "sch220001": "протокол школы по этой работе недостоверен: у 1 из 11 участников "
        "итоговый балл больше максимального (20)",
        "sch220003": "протокол школы по этой работе недостоверен: у 1 из 2 участников "
        "неизвестный вариант",
    }
    assert (listed["severity"] == "предупреждение").all()


def test_invalid_results_still_stop_the_load_by_default():
    with pytest.raises(DataError, match="больше максимума 20"):
        _parse()


def test_a_clean_file_has_no_unreliable_protocol():
    grid = [_HEAD, ["sch220001", "40001", "1", "15", "1"]]
    v = parse_vpr(grid, 0, "ru", _FILE, "a.xlsx", task_max=[20])
    assert v.results["unreliable"].tolist() == [False]
    assert v.counts["unreliable_protocols"] == 0


def test_summarize_leaves_unreliable_protocols_out_unless_asked():
    r = _parse(invalid_results="exclude").results
    s = summarize(r, ["school_id"]).set_index("school_id")
    assert list(s.index) == ["sch220002"]
    both = summarize(r, ["school_id"], include_unreliable=True).set_index("school_id")
    assert both.loc["sch220001", "participants"] == 10
    assert both.loc["sch220001", "mean_score"] == pytest.approx(np.mean(range(5, 15)))


def test_results_without_the_column_are_all_reliable():
    r = pd.DataFrame({"school_id": ["a", "b"], "mark": [3, 4], "score": [7.0, 12.0]})
    assert reliable(r).tolist() == [True, True]
    assert drop_unreliable(r) is r
    assert unreliable_protocols(r).empty
    # missing values in the column mean reliable
    r["unreliable"] = pd.array([pd.NA, True], dtype="boolean")
    assert drop_unreliable(r)["school_id"].tolist() == ["a"]


def test_drop_unreliable_on_dask():
    dd = pytest.importorskip("dask.dataframe")
    r = _parse(invalid_results="exclude").results
    r.attrs = {}  # the file's quality report is no attribute Dask can carry
    d = dd.from_pandas(r, npartitions=2)
    assert len(drop_unreliable(d).compute()) == 6
    assert unreliable_protocols(d)["school_id"].tolist() == ["sch220001", "sch220003"]
    assert summarize(d, ["school_id"])["participants"].tolist() == [6]


def test_csv_results_load_unchanged_and_with_the_column(tmp_path):
    ds = eq.load_dataset(SAMPLES / "region")
    assert "unreliable" in ds.results.columns
    assert reliable(ds.results).all()


@pytest.mark.slow
def test_identification_leaves_unreliable_protocols_out():
    ds = eq.load_dataset(SAMPLES / "region")
    r = ds.results
    school = sorted(r.loc[r["year"] == 2024, "school_id"].unique())[0]
    marked = r.assign(unreliable=(r["school_id"] == school) & (r["year"] == 2024))
    ds2 = dataclasses.replace(ds, results=marked)
    assert school not in set(classify(ds2, 2024)["school_id"])
    assert school in set(classify(ds2, 2024, include_unreliable=True)["school_id"])

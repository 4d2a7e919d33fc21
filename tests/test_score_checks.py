"""The objectivity markers of edu_quality: cut-off bunching, totals above task sums, hard tasks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import ALTAI

import edu_quality as eq
from edu_quality.errors import DataError
from edu_quality.plots import plot_score_histogram
from edu_quality.score_checks import (
    CONCLUSION_FLAGGED,
    SOURCE,
    cutoff_excess,
    hard_tasks_easier,
    score_histogram,
    total_above_tasks,
)

WORK = {"year": 2021, "subject": "Математика", "grade": 4}  # official 2021 scale: 6, 10, 15


def _region(seed: int, *, schools: int = 40, pupils: int = 60) -> pd.DataFrame:
    """A region writing mathematics, grade 4 (max 20), schools of different levels."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.3, 0.75, schools)
    score = rng.binomial(20, np.repeat(level, pupils))
    ids = np.repeat([f"s{i:02d}" for i in range(schools)], pupils)
    return pd.DataFrame({**WORK, "assessment": "ВПР", "school_id": ids, "score": score})


def _plant(region: pd.DataFrame, school: str, frm: tuple[int, ...], to: int) -> pd.DataFrame:
    out = region.copy()
    out.loc[out["school_id"].eq(school) & out["score"].isin(frm), "score"] = to
    return out


@pytest.mark.parametrize("seed", [3, 4])
def test_a_planted_excess_at_a_cutoff_is_found_and_nothing_else(seed):
    region = _region(seed)
    # the pupils one point short of «4» (score 9) get the «4» cut-off score 10
    planted = _plant(region, "s05", (9,), 10)
    before = planted.copy()
    t = cutoff_excess(planted)
    pd.testing.assert_frame_equal(planted, before)  # the input is not changed
    flagged = t[t["flag"]]
    assert flagged[["school_id", "cutoff_mark", "cutoff_score"]].values.tolist() == [["s05", 4, 10]]
    row = flagged.iloc[0]
    assert row["below_cutoff"] == 0 and row["excess"] > 5
    assert row["conclusion"] == CONCLUSION_FLAGGED and row["source"] == SOURCE
    assert set(t["source"]) == {"правило edu_quality"}


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_no_excess_is_found_where_none_was_planted(seed):
    t = cutoff_excess(_region(seed))
    assert not t["flag"].any()
    assert len(t) == 40 * 3 and t["note"].isna().mean() > 0.3
    # the test does not mistake a school's level for bunching: strong and weak schools pass
    assert (t["p_adjusted"].dropna() > 0.05).all()


def test_cutoff_rows_not_judged_carry_a_note_and_no_flag():
    region = _region(1)
    small = pd.DataFrame({**WORK, "assessment": "ВПР", "school_id": "tiny", "score": [10] * 6})
    t = cutoff_excess(pd.concat([region, small], ignore_index=True))
    tiny = t[t["school_id"] == "tiny"]
    assert len(tiny) == 3 and not tiny["flag"].any()
    assert tiny["note"].str.contains("меньше 10 участников школы").all()
    assert (tiny["conclusion"] == "").all()


def test_cutoff_leaves_out_works_without_a_scale_and_other_assessments():
    region = _region(2)
    ege = region.assign(assessment="ЕГЭ")
    no_scale = region.assign(year=2019)
    t = cutoff_excess(pd.concat([region, ege, no_scale], ignore_index=True))
    assert set(t["year"]) == {2021} and set(t["assessment"]) == {"ВПР"}


def test_cutoff_parameters_and_scores_are_checked():
    region = _region(2)
    with pytest.raises(ValueError, match="correction"):
        cutoff_excess(region, correction="bonferroni")
    with pytest.raises(ValueError, match="below"):
        cutoff_excess(region, below=-1)
    with pytest.raises(DataError, match="целым числом"):
        cutoff_excess(region.assign(score=region["score"] + 0.5))
    with pytest.raises(DataError, match="school_id"):
        cutoff_excess(region.drop(columns="school_id"))


def test_holm_is_stricter_than_benjamini_hochberg():
    t = cutoff_excess(_plant(_region(3), "s05", (9,), 10))
    h = cutoff_excess(_plant(_region(3), "s05", (9,), 10), correction="holm")
    assert (h["p_adjusted"].dropna() >= t["p_adjusted"].dropna() - 1e-12).all()


def test_score_histogram_and_its_plot():
    region = _plant(_region(3), "s05", (9,), 10)
    h = score_histogram(region, school_id="s05", **WORK)
    assert h["score"].tolist() == list(range(21))
    assert h.loc[h["cutoff"], "score"].tolist() == [6, 10, 15]
    assert h.loc[h["score"].isin([5, 6, 9, 10, 14, 15]), "mark"].tolist() == [2, 3, 3, 4, 4, 5]
    assert h["school_share"].sum() == pytest.approx(1) and h["region_share"].sum() == pytest.approx(
        1
    )
    assert h.loc[h["score"] == 9, "school_n"].item() == 0
    ax = plot_score_histogram(h)
    assert len(ax.patches) == 21 and ax.get_ylabel() == "доля участников"
    assert len(ax.get_lines()) == 1 + 3  # the region and three cut-offs
    with pytest.raises(DataError, match="меньше 5"):
        score_histogram(region, school_id="нет такой", **WORK)
    with pytest.raises(DataError, match="нет шкалы"):
        score_histogram(region, school_id="s05", year=2019, subject="Математика", grade=4)


# --- totals above task sums ------------------------------------------------------------------


def _class(school: str, totals: list[float], task_sum: float = 6.0, tasks: int = 3):
    ids = [f"{school}-{i}" for i in range(len(totals))]
    key = {**WORK, "work_grade": 4, "school_id": school}
    results = pd.DataFrame({**key, "pupil_id": ids, "score": totals})
    rows = [(p, j, task_sum / tasks) for p in ids for j in range(1, tasks + 1)]
    t = pd.DataFrame(rows, columns=["pupil_id", "task_no", "score"]).assign(**key, max_score=2.0)
    return results, t


def test_a_class_whose_totals_run_above_the_task_sums_is_flagged():
    parts = [
        _class("A", [8, 9, 12, 10, 6, 6, 6, 6, 6, 6]),  # 4 of 10 above, by 2–6 points
        _class("B", [8, 6, 6, 6, 6, 6, 6, 6, 6, 6]),  # one slip
        _class("C", [9, 9, 9, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]),  # 3 of 16: under 20 %
        _class("D", [9, 9, 9, 9]),  # too few pupils to judge
    ]
    results = pd.concat([p[0] for p in parts], ignore_index=True)
    tasks = pd.concat([p[1] for p in parts], ignore_index=True)
    t = total_above_tasks(results, tasks).set_index("school_id")
    assert t["flag"].to_dict() == {"A": True, "B": False, "C": False, "D": False}
    a = t.loc["A"]
    assert (a["n"], a["n_above"], a["share_above"]) == (10, 4, 0.4)
    assert (a["max_excess"], a["median_excess"]) == (6.0, 3.5)
    assert a["conclusion"] == CONCLUSION_FLAGGED and a["source"] == SOURCE
    assert "меньше 5" in t.loc["D", "note"] and t.loc["D", "conclusion"] == ""


def test_totals_below_the_task_sum_are_counted_and_pupils_without_tasks_noted():
    results, tasks = _class("A", [4, 5, 6, 6, 6, 6])
    extra = results.iloc[[0]].assign(pupil_id="без заданий", score=6.0)
    t = total_above_tasks(pd.concat([results, extra]), tasks, min_n=5)
    row = t.iloc[0]
    assert (row["n"], row["n_below"], row["n_above"], row["n_no_tasks"]) == (6, 2, 0, 1)
    assert not row["flag"]


@pytest.mark.parametrize("categorical", [False, True])
def test_task_rows_without_a_pupil_belong_to_no_pupil(categorical):
    """As ``groupby`` drops a missing key: a pupil without an id has no task sum, even when a
    task row has no id either (the ids of an import: categorical; its grades: 8-bit)."""
    results, tasks = _class("A", [6, 6, 6, 6, 6, 7])
    results = pd.concat([results, results.iloc[[0]].assign(pupil_id=None, score=9.0)])
    tasks = pd.concat([tasks, tasks.iloc[:3].assign(pupil_id=None)], ignore_index=True)
    if categorical:
        results = results.astype({"pupil_id": "category", "grade": "int8"})
        tasks = tasks.astype({"pupil_id": "category", "grade": "int8", "task_no": "int16"})
    row = total_above_tasks(results, tasks, min_n=5).iloc[0]
    assert (row["n"], row["n_above"], row["n_no_tasks"], row["max_excess"]) == (6, 1, 1, 1.0)


def test_totals_need_shared_key_columns():
    results, tasks = _class("A", [6] * 5)
    with pytest.raises(DataError, match="pupil_id"):
        total_above_tasks(results.drop(columns="pupil_id"), tasks)


# --- hard tasks done better than easy ones ---------------------------------------------------


def _task_region(seed: int, reversed_school: str | None = None) -> pd.DataFrame:
    """30 schools × 15 pupils × 9 one-point tasks of falling success (0,9 … 0,3)."""
    rng = np.random.default_rng(seed)
    success = np.linspace(0.9, 0.3, 9)
    rows = []
    for s in range(30):
        school = f"s{s:02d}"
        level = rng.normal(0, 0.08)
        p = np.clip(success + level, 0.02, 0.98)
        if school == reversed_school:
            p = p[::-1]
        scores = rng.random((15, 9)) < p
        for i in range(15):
            for j in range(9):
                rows.append((school, f"{school}-{i}", j + 1, float(scores[i, j])))
    t = pd.DataFrame(rows, columns=["school_id", "pupil_id", "task_no", "score"])
    return t.assign(**WORK, work_grade=4, max_score=1.0)


def test_a_school_doing_hard_tasks_better_is_flagged():
    tasks = _task_region(7, reversed_school="s11")
    h = hard_tasks_easier(tasks).set_index("school_id")
    assert h.index[h["flag"]].tolist() == ["s11"]
    s = h.loc["s11"]
    assert s["hard_share"] > s["easy_share"] and s["rho"] < -0.5
    assert s["region_hard_share"] < s["region_easy_share"]
    assert s["conclusion"] == CONCLUSION_FLAGGED and s["source"] == SOURCE
    assert (h.drop(index="s11")["rho"] > 0).all()


def test_an_honest_region_has_no_flag_and_small_groups_are_not_judged():
    tasks = _task_region(8)
    small = tasks[tasks["pupil_id"].isin([f"s00-{i}" for i in range(8)])]
    tasks = pd.concat([tasks[tasks["school_id"] != "s00"], small], ignore_index=True)
    h = hard_tasks_easier(tasks)
    assert not h["flag"].any()
    s00 = h.set_index("school_id").loc["s00"]
    assert "меньше 10 участников" in s00["note"]
    few = hard_tasks_easier(tasks[tasks["task_no"] <= 5])
    assert few["note"].notna().all() and not few["flag"].any()
    assert few.loc[few["school_id"] != "s00", "note"].str.contains("меньше 6 заданий").all()


def test_markers_are_exported_lazily_from_the_package():
    assert eq.cutoff_excess is cutoff_excess
    assert eq.total_above_tasks is total_above_tasks and eq.hard_tasks_easier is hard_tasks_easier


@pytest.mark.slow
@pytest.mark.skipif(not (ALTAI / "vpr_2021").exists(), reason="нет реальных файлов региона")
def test_the_markers_run_on_the_real_region(tmp_path):
    from edu_quality.fisoko import import_fisoko

    import_fisoko(
        ALTAI / "schools_registry.xlsx",
        None,
        [ALTAI / "vpr_2021"],
        tmp_path,
        invalid_results="exclude",
        cache=False,
    )
    ds = eq.load_dataset(tmp_path)
    tasks = pd.read_parquet(tmp_path / "tasks.parquet")
    above = total_above_tasks(ds.results, tasks)
    # the real files: whole classes whose totals run above their task sums
    assert above["flag"].sum() >= 5
    cut = cutoff_excess(ds.results)
    assert cut["flag"].any() and cut["flag"].mean() < 0.05
    hard = hard_tasks_easier(tasks)
    assert hard["flag"].mean() < 0.05

"""What to reteach (:mod:`edu_quality.reteach`): a planted weak task is found."""

from __future__ import annotations

import pandas as pd
import pytest
from _helpers import ALTAI

from edu_quality.reteach import task_levels, weak_tasks
from edu_quality.synthetic import make_region
from edu_quality.synthetic_tasks import plant_pupil_details, task_maxima
from edu_quality.tasks import task_performance

REAL = ALTAI / "vpr_2021" / "Проведение работы по математике, 5 класс. ВПР 2021.xlsx"


@pytest.fixture(scope="module")
def planted():
    region = make_region()
    results, tasks, truth = plant_pupil_details(region)
    return region, results, tasks, truth, weak_tasks(tasks, results, region.schools)


def test_task_scores_add_up_to_the_total(planted):
    _, results, tasks, _, _ = planted
    total = tasks.groupby(["year", "subject", "grade", "pupil_id"])["score"].sum()
    own = results.dropna(subset=["score"]).set_index(["year", "subject", "grade", "pupil_id"])
    assert (total.reindex(own.index) == own["score"]).all()
    assert sum(task_maxima(31)) == 31


def test_planted_weak_task_is_found(planted):
    _, _, _, truth, w = planted
    for school, subject, grade, task_no in truth.weak:
        rows = w.loc[
            (w["school_id"] == school)
            & (w["subject"] == subject)
            & (w["grade"] == grade)
            & (w["task_no"] == task_no)
        ]
        assert len(rows) == 4  # every year
        assert rows["reteach"].all()
        assert (~rows["mastered"]).all() and rows["region_mastered"].all()
        assert (rows["task_level"] == "базовый").all()
    # the same task is fine in the other schools of the region, as a rule
    other = w.loc[
        (w["subject"] == "Математика")
        & (w["grade"] == 5)
        & (w["task_no"] == 3)
        & ~w["school_id"].isin([s for s, *_ in truth.weak])
        & ~w["small"]
    ]
    assert other["reteach"].mean() < 0.15


def test_task_rows_with_a_missing_key_are_left_out(planted):
    """As pandas' grouping leaves them out: the performance is that of the other rows."""
    region, _, tasks, _, _ = planted
    tasks = tasks.astype({"school_id": "category", "task": "category", "grade": "int8"})
    holed = tasks.copy()
    holed["school_id"] = holed["school_id"].where(holed.index % 97 != 0)
    holed["task_no"] = holed["task_no"].astype("float64").where(holed.index % 89 != 5)
    kept = holed.dropna(subset=["school_id", "task_no"]).astype({"task_no": "int64"})
    assert len(kept) < len(tasks)
    expected = task_performance(kept, region.schools)
    got = task_performance(holed, region.schools)
    pd.testing.assert_frame_equal(got.astype({"task_no": "int64"}), expected, check_exact=True)
    assert task_performance(tasks, region.schools)["n"].sum() > expected["n"].sum()


def test_mark_groups_and_columns(planted):
    _, _, _, _, w = planted
    for mark in (2, 3, 4, 5):
        small = w[f"n_mark{mark}"] < 10
        assert w.loc[small, f"share_mark{mark}"].isna().all()
        assert w.loc[~small & (w[f"n_mark{mark}"] > 0), f"share_mark{mark}"].notna().all()
    big = w.loc[(w["n_mark3"] >= 10) & (w["n_mark4"] >= 10)]
    # pupils with «4» complete tasks better than pupils with «3»
    assert len(big) > 100
    assert (big["share_mark4"] >= big["share_mark3"]).mean() > 0.8
    assert {"municipality_share", "region_share", "share_low", "share_high"} <= set(w.columns)


def test_levels_rule_and_table():
    t = pd.DataFrame(
        {"subject": "Математика", "grade": 4, "task_no": [1, 2, 3, 4, 5], "school_id": "a"}
    )
    assert (
        task_levels(t, advanced_last=2, work=["subject", "grade"])["task_level"].tolist()
        == ["базовый"] * 3 + ["повышенный"] * 2
    )
    tasks = pd.DataFrame(
        {
            "subject": "Математика",
            "school_id": ["a"] * 20 + ["b"] * 20,
            "pupil_id": [f"p{i}" for i in range(40)],
            "task_no": 1,
            "score": [0.0] * 17 + [1.0] * 3 + [0.0] * 18 + [1.0] * 2,
            "max_score": 1.0,
        }
    )
    levels = pd.DataFrame({"task_no": [1], "task_level": ["повышенный"]})
    w = weak_tasks(tasks, levels=levels, advanced_threshold=0.12)
    assert w["advanced"].all() and w["threshold"].eq(0.12).all()
    assert w["mastered"].tolist() == [True, False]  # 15 % and 10 % against 12 %
    assert not w["reteach"].any()  # 15 % against 12,5 %: not behind
    with pytest.raises(ValueError):
        weak_tasks(tasks, basic_threshold=1.5)


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_file(), reason=f"нет реальных данных {ALTAI}")
def test_real_region_weak_tasks():
    from edu_quality.fisoko import read_fisoko_vpr

    vpr = read_fisoko_vpr(REAL, invalid_results="exclude")
    w = weak_tasks(vpr.tasks, vpr.results)
    judged = w.loc[~w["small"]]
    assert judged["task_no"].nunique() == 16  # mathematics, grade 5, 2021: 16 tasks
    assert 0.02 < judged["reteach"].mean() < 0.4
    assert judged["n_mark3"].max() >= 10 and judged["share_mark3"].notna().any()


@pytest.mark.slow
def test_school_report_shows_gaps_and_tasks(tmp_path):
    import dataclasses

    from edu_quality.dataset import load_dataset
    from edu_quality.report.data import ReportData
    from edu_quality.report.sections import school_report
    from edu_quality.synthetic import write_region

    region = make_region()
    results, tasks, truth = plant_pupil_details(region)
    write_region(dataclasses.replace(region, results_vpr=results), tmp_path, format="parquet")
    tasks.to_parquet(tmp_path / "tasks.parquet")
    data = ReportData(load_dataset(tmp_path), 2024)
    weak_school = truth.weak[0][0]
    titles = {s.title: s for s in school_report(data, weak_school)}
    reteach = titles["Что повторить: задания ВПР ниже региона"]
    html = reteach.html()
    assert "ВПР, Математика, 5 кл." in html
    first = reteach.tables["reteach_1"]
    assert set(first.columns) >= {"Задание", "Уровень", "Школа", "Муниципалитет", "Регион"}
    math5 = [t for t in reteach.tables.values() if "3" in t["Задание"].tolist()]
    assert math5, "the planted weak task is listed"
    gap_titles = {s.title for s in school_report(data, truth.gap_schools[0])}
    assert "Девочки и мальчики: разрывы больше случайных" in gap_titles
    # no pupil id anywhere
    assert "P0" not in html

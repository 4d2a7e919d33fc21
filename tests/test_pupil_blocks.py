"""Girls and boys, and tasks to reteach, in the municipality and region reports."""

from __future__ import annotations

import dataclasses
import re

import pytest

from edu_quality._russian import name_order
from edu_quality.synthetic import make_region
from edu_quality.synthetic_tasks import plant_pupil_details

GAPS = "Девочки и мальчики: разрывы больше случайных"
MUNI_TASKS = "Что повторить в муниципалитете: задания ВПР ниже региона"
REGION_TASKS = "Что повторить в регионе: задания ВПР, не освоенные в регионе"


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A synthetic region with sex and task scores; task 3 of mathematics, grade 5, made
    weak in every school of the planted-gap municipality (one school of it left alone)."""
    from edu_quality.dataset import load_dataset
    from edu_quality.synthetic import write_region

    region = make_region()
    results, tasks, truth = plant_pupil_details(region)
    where = region.schools.set_index("school_id")["municipality"]
    muni = where[truth.gap_schools[0]]
    ids = sorted(where.index[where == muni])
    spared = ids[0]
    weak = (
        tasks["school_id"].isin(ids[1:])
        & (tasks["subject"] == "Математика")
        & (tasks["grade"] == 5)
        & (tasks["task_no"] == 3)
    )
    tasks.loc[weak, "score"] = 0.0  # the total scores stay as they were: only the task table
    folder = tmp_path_factory.mktemp("pupil_blocks")
    write_region(dataclasses.replace(region, results_vpr=results), folder, format="parquet")
    tasks.to_parquet(folder / "tasks.parquet")
    other = next(m for m in where.unique() if m != muni)
    return {"ds": load_dataset(folder), "muni": muni, "other": other, "spared": spared}


def _data(ds):
    from edu_quality.report.data import ReportData

    return ReportData(ds, 2024)


def test_municipality_gaps_shown_only_beyond_noise(planted):
    from edu_quality.report.tasks_section import municipality_gaps_section

    sec = municipality_gaps_section(_data(planted["ds"]), planted["muni"])
    assert sec is not None and sec.title == GAPS
    table = sec.tables["gender_gaps"]
    gap_columns = [c for c in table.columns if "девочки / мальчики" in c]
    assert len(gap_columns) == 3
    for _, row in table.iterrows():  # every row has a gap beyond noise, with its interval
        shown = [row[c] for c in gap_columns if "разница случайна" not in row[c]]
        assert shown and all("[" in cell for cell in shown)
    html = sec.html()
    assert "Разрыв больше случайного в" in html and "Школ, где девочек и мальчиков" in html
    assert not re.search(r"\d\.\d", "".join(table[gap_columns].to_numpy().ravel()))  # comma


def test_small_groups_are_not_compared(planted):
    """With 9 boys left in a work, the work disappears from the municipality's table."""
    from edu_quality.report.tasks_section import municipality_gaps_section

    ds = planted["ds"]
    sec = municipality_gaps_section(_data(ds), planted["muni"])
    label = sec.tables["gender_gaps"]["Работа"].iloc[0]
    subject, grade = label.removeprefix("ВПР, ").removesuffix(" кл.").split(", ")
    r = ds.results
    ids = ds.schools.loc[ds.schools["municipality"] == planted["muni"], "school_id"]
    boys = r.index[
        r["school_id"].isin(ids)
        & (r["year"] == 2024)
        & (r["subject"] == subject)
        & (r["grade"] == int(grade))
        & (r["gender"] == "м")
        & r["mark"].notna()
    ]
    assert len(boys) > 9
    fewer = r.copy()
    fewer.loc[boys[9:], "gender"] = None
    again = municipality_gaps_section(
        _data(dataclasses.replace(ds, results=fewer)), planted["muni"]
    )
    labels = [] if again is None else again.tables["gender_gaps"]["Работа"].tolist()
    assert label not in labels


def test_no_sex_no_gap_block(planted):
    from edu_quality.report.tasks_section import municipality_gaps_section, region_gaps_section

    ds = planted["ds"]
    data = _data(dataclasses.replace(ds, results=ds.results.drop(columns="gender")))
    assert municipality_gaps_section(data, planted["muni"]) is None
    assert region_gaps_section(data) is None


def test_municipality_weak_task_with_its_schools(planted):
    from edu_quality.report.tasks_section import municipality_tasks_section

    data = _data(planted["ds"])
    sec = municipality_tasks_section(data, planted["muni"])
    assert sec is not None and sec.title == MUNI_TASKS
    basic = sec.tables["municipality_tasks_basic"]
    row = basic.loc[(basic["Работа"] == "ВПР, Математика, 5 кл.") & (basic["Задание"] == "3")]
    assert len(row) == 1
    named = row["Школы, где задание ниже региона"].iloc[0].split(", ")
    assert named == sorted(named, key=name_order)  # by name, never by result
    assert data.names[planted["spared"]] not in named
    assert len(named) >= 10
    assert "[" in row["Муниципалитет"].iloc[0]  # with its interval
    # the other municipality is not behind on the task
    other = municipality_tasks_section(data, planted["other"])
    tables = [] if other is None else list(other.tables.values())
    assert not any(
        ((t["Работа"] == "ВПР, Математика, 5 кл.") & (t["Задание"] == "3")).any() for t in tables
    )


def test_region_tasks_by_mark(planted):
    from edu_quality.report.tasks_section import region_tasks_section

    sec = region_tasks_section(_data(planted["ds"]))
    assert sec is not None and sec.title == REGION_TASKS
    table = next(iter(sec.tables.values()))
    assert {"Регион", "Отметка «2»", "Отметка «5»"} <= set(table.columns)
    assert table["Отметка «3»"].str.endswith("%").all()  # groups of 10 and more in the region
    assert "Не освоено" in sec.html()


def test_region_completion_by_mark_equals_pooled_schools(planted):
    """The region's completion by mark is all points over all maxima of the mark group."""
    import pandas as pd

    from edu_quality.reteach import completion_by_mark

    ds = planted["ds"]
    tasks = pd.read_parquet(ds.folder / "tasks.parquet")
    tasks = tasks.loc[(tasks["year"] == 2024) & (tasks["subject"] == "Математика")]
    r = ds.results.loc[ds.results["year"] == 2024]
    work = ["year", "subject", "grade", "work_grade"]
    region = completion_by_mark(tasks, r, work=work, by_school=False)
    assert "school_id" not in region.columns
    m = tasks.merge(r[["subject", "grade", "school_id", "pupil_id", "mark"]])
    one = m.loc[(m["grade"] == 5) & (m["task_no"] == 3) & (m["mark"] == 4)]
    got = region.loc[(region["grade"] == 5) & (region["task_no"] == 3), "share_mark4"].iloc[0]
    assert got == pytest.approx(one["score"].sum() / one["max_score"].sum())


@pytest.mark.slow
def test_municipality_and_region_reports_have_the_blocks(planted):
    from edu_quality.report.region import region_report
    from edu_quality.report.sections import municipality_report

    data = _data(planted["ds"])
    titles = [s.title for s in municipality_report(data, planted["muni"])]
    assert GAPS in titles and MUNI_TASKS in titles
    # details: after the справка and the lists
    assert titles.index(MUNI_TASKS) > titles.index("Списки школ")
    assert REGION_TASKS in [s.title for s in region_report(data)]


@pytest.mark.slow
def test_real_region_municipality_blocks(altai_folder):
    from edu_quality.dataset import load_dataset
    from edu_quality.report.data import ReportData
    from edu_quality.report.tasks_section import municipality_pupil_sections

    data = ReportData(load_dataset(altai_folder), 2021)
    secs = {s.title: s for s in municipality_pupil_sections(data, "г. Барнаул")}
    assert GAPS in secs and MUNI_TASKS in secs
    gaps = secs[GAPS].tables["gender_gaps"]
    assert gaps["Работа"].str.contains("Русский язык, 6 кл.").any()
    html = "".join(s.html() for s in secs.values())
    assert "sch2" not in html  # no school id, names only


def test_every_schools_gaps_and_marks_at_once_equal_each_schools_alone(planted):
    """The report takes a school's gaps and completion by mark from tables of every school;
    they equal the school's own computation."""
    import pandas as pd

    from edu_quality.gaps import group_gaps
    from edu_quality.reteach import completion_by_mark

    ds = planted["ds"]
    r = ds.results.loc[(ds.results["year"] == 2024) & ds.results["mark"].notna()]
    every = group_gaps(r, min_group=10)
    tasks = pd.read_parquet(ds.folder / "tasks.parquet")
    tasks = tasks.loc[tasks["year"] == 2024]
    work = ["year", "subject", "grade", "work_grade"]
    marks = completion_by_mark(tasks, r, work=work)
    checked = 0
    for sid in sorted(r["school_id"].unique())[:6]:
        alone = group_gaps(r.loc[r["school_id"] == sid], min_group=10)
        taken = every.loc[every["unit"] == sid]
        pd.testing.assert_frame_equal(taken.reset_index(drop=True), alone)
        own = completion_by_mark(
            tasks.loc[tasks["school_id"] == sid], r.loc[r["school_id"] == sid], work=work
        )
        part = marks.loc[marks["school_id"] == sid].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, own[part.columns], check_dtype=False)
        checked += int(taken["beyond_noise"].any()) + int(own["n_mark2"].gt(0).any())
    assert checked  # some school had a gap beyond noise or a mark group to compare

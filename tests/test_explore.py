"""The interactive explorer: pickers cascade, every change redraws the chart and tables once.

The widgets are driven programmatically, as a methodologist's clicks would set
them; what was drawn is read back from the ``Output`` widget and from the
tables and Axes the explorer keeps.
"""

from __future__ import annotations

import pickle
import re

import nbformat
import papermill
import pytest
from _helpers import SAMPLES

from edu_quality._russian import name_order
from edu_quality.explore import Explorer, dynamics_table, ranking_table
from edu_quality.report import report_data
from edu_quality.report.runner import ensure_kernel, notebook_path


@pytest.fixture(scope="module")
def data():
    return report_data(SAMPLES / "region", 2024)


@pytest.fixture
def ex(data):
    return Explorer(data)


def shown(ex: Explorer) -> str:
    """The HTML the output widget holds (a single display output)."""
    (out,) = ex.output.outputs
    return out["data"]["text/html"]


def legend(ex: Explorer) -> list[str]:
    """The legend's entries (a long name is wrapped at spaces onto lines)."""
    return [t.get_text().replace("\n", " ") for t in ex.axes.get_legend().get_texts()]


def test_first_view(ex, data):
    assert ex.draws == 1 and ex.error is None
    assert ex.municipality.value == data.dataset.municipalities[0]
    assert ex.year.value == 2024 and ex.metric.value == "share_2"
    school = data.names[ex.school.value]
    # the chart: the school, its municipality and the region, with intervals
    assert legend(ex) == [school, ex.municipality.value, "Регион"]
    assert ex.axes.get_title().startswith("Доля «2»: ВПР")
    assert set(ex.chart["year"]) == {2021, 2022, 2023, 2024}
    assert {"share_2_low", "share_2_high"} <= set(ex.chart.columns)
    # the table of the year: school, municipality, region
    assert ex.table["Кто"].tolist() == [school, ex.municipality.value, "Регион"]
    html = shown(ex)
    assert "data:image/png;base64," in html and "Показатели 2024 года" in html
    assert school in html


def test_municipality_change_cascades_to_schools(ex, data):
    before = shown(ex)
    ex.municipality.value = "г. Заречный"
    ids = [v for _, v in ex.school.options]
    assert ids == sorted(ids, key=lambda i: name_order(data.names[i]))  # as a reader orders
    assert set(ids) == set(data.schools_of("г. Заречный"))
    assert ex.school.value in ids
    assert ex.draws == 2  # one redraw for the change and its cascade
    assert shown(ex) != before
    assert legend(ex)[1] == "г. Заречный"
    assert ex.table["Кто"].iloc[1] == "г. Заречный"
    assert set(ex.ranking["Школа"].str.removeprefix("▶ ")) <= {data.names[i] for i in ids}


def test_school_change_redraws_table_and_chart(ex, data):
    ex.school.value = "01016"  # planted stably-low school
    name = data.names["01016"]
    assert ex.table["Кто"].iloc[0] == name
    assert legend(ex)[0] == name
    assert f"▶ {name}" in ex.ranking["Школа"].tolist()
    assert name in shown(ex)
    # a stably-low school: its share of «2» in 2024 is above the region's
    chart = ex.chart.loc[ex.chart["year"] == 2024].set_index("unit")["share_2"]
    assert chart[1] > chart[3]


def test_subject_and_metric_changes(ex):
    draws = ex.draws
    ex.subject.value = "Русский язык"
    assert ex.axes.get_title() == "Доля «2»: ВПР, Русский язык, 4 кл."
    ex.metric.value = "mean_score"
    assert ex.draws == draws + 2
    assert ex.axes.get_title().startswith("Средний балл: ВПР, Русский язык")
    assert ex.axes.get_ylabel() == "средний балл"
    assert ex.ranking.columns[-1] == "Средний балл"
    assert {"mean_score_low", "mean_score_high"} <= set(ex.chart.columns)  # t-intervals
    assert "Средний балл" in shown(ex)


def test_assessment_cascades_to_subjects_grades_years_metrics(ex):
    ex.assessment.value = "ЕГЭ"
    assert set(ex.subject.options) == {"Русский язык", "Математика (профиль)"}
    assert list(ex.grade.options) == [11]
    # ЕГЭ has no marks: only the score and the share not admitted
    assert [v for _, v in ex.metric.options] == ["mean_score", "not_admitted_share"]
    assert ex.metric.value == "mean_score"
    ex.assessment.value = "КДР"
    assert ex.subject.options == ("Читательская грамотность",)
    assert list(ex.grade.options) == [4, 6]
    ex.grade.value = 6
    assert list(ex.year.options) == [2023, 2024]  # grade 6 wrote КДР in 2023 and 2024 only
    assert "not_admitted_share" not in [v for _, v in ex.metric.options]  # nobody not admitted
    assert ex.error is None


def test_year_change_redraws_the_tables(ex):
    ex.year.value = 2022
    assert "Показатели 2022 года" in shown(ex)
    assert ex.table["Участников"].iloc[2] != "0"  # the region wrote it that year


def test_small_groups_are_hidden(data):
    # a school with fewer than 5 pupils in some work: the value is not shown
    s = data.summary
    row = s.loc[s["small"] & (s["assessment"] == "ВПР") & (s["year"] == 2024)].iloc[0]
    ex = Explorer(data)
    ex.municipality.value = data.municipality_of[row["school_id"]]
    ex.school.value = row["school_id"]
    ex.subject.value, ex.grade.value = row["subject"], int(row["grade"])
    assert ex.table.iloc[0, 2] == "скрыто: меньше 5 участников"
    assert 2024 not in set(ex.chart.loc[ex.chart["unit"] == 1, "year"])
    assert ex.ranking["Место"].iloc[-1] == ""


def test_school_without_the_work_draws_municipality_and_region(data):
    ex = Explorer(data)
    ex.municipality.value = "Северный район"
    basic = next(
        i
        for i in data.schools_of("Северный район")
        if not ((data.summary["school_id"] == i) & (data.summary["assessment"] == "ЕГЭ")).any()
    )
    ex.school.value = basic
    ex.assessment.value = "ЕГЭ"
    assert legend(ex) == ["Северный район", "Регион"]
    assert "У школы нет результатов по этой работе" in shown(ex)
    assert ex.table["Участников"].iloc[0] == "0"


def test_tables_as_functions(data):
    t = dynamics_table(data, "01016", "ОГЭ", "Математика", 9, "quality_rate")
    assert t["unit"].tolist() == sorted(t["unit"])
    assert t["quality_rate"].between(0, 1).all()
    rank = ranking_table(data, "Северный район", "ОГЭ", "Математика", 9, 2024, "share_2")
    shown_places = [int(p) for p in rank["Место"] if p]
    assert shown_places == list(range(1, len(shown_places) + 1))


def test_errors_are_shown_not_lost(ex, monkeypatch):
    monkeypatch.setattr(
        "edu_quality.explore.widget.year_table",
        lambda *a, **k: (_ for _ in ()).throw(ValueError("сбой")),
    )
    ex.year.value = 2023
    assert ex.error == "ValueError: сбой"
    assert "Не удалось построить" in shown(ex)


@pytest.mark.slow
def test_explore_notebook_runs(tmp_path):
    nb = notebook_path("explore")
    out = tmp_path / "explore.ipynb"
    papermill.execute_notebook(
        str(nb),
        str(out),
        parameters={"data_dir": str(SAMPLES / "region")},
        kernel_name=ensure_kernel(),
        progress_bar=False,
        cwd=str(nb.parent),
    )
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)


@pytest.mark.parametrize("kind", ["explore", "region"])
def test_notebooks_are_templates(kind):
    nb = nbformat.read(notebook_path(kind), as_version=4)
    assert nb.metadata.kernelspec.name == "edu-quality"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c for c in code if "parameters" in c.metadata.get("tags", [])] == [code[0]]
    assert all(not c.outputs and c.execution_count is None for c in code)  # committed clean
    source = "\n".join(c.source for c in code)
    assert not re.search(r"^\s*(def|for|while|class|lambda)\b", source, flags=re.M)


def test_a_selection_shown_before_is_not_drawn_again(data):
    ex = Explorer(data)
    first, html = ex.selection, shown(ex)
    rendered = ex.rendered
    ex.metric.value = "mean_score"
    assert ex.rendered == rendered + 1 and shown(ex) != html
    ex.metric.value = first[-1]  # back: the kept view, as it was drawn
    assert ex.rendered == rendered + 1 and ex.draws == 3
    assert shown(ex) == html and ex.selection == first
    assert ex.axes.get_title().startswith("Доля «2»")


def test_first_view_prepared_in_another_process(data, tmp_path, monkeypatch):
    from edu_quality.explore import DATA_ENV, TABLES_ENV, explore_tables, prepare_first_view

    tables = pickle.loads(pickle.dumps(explore_tables(data)))  # a copy of its own
    tables.views.clear()
    expected = Explorer(prepare_first_view(tables))
    tables.save(tmp_path / "t.pickle")
    monkeypatch.setenv(DATA_ENV, str(SAMPLES / "region"))
    monkeypatch.setenv(TABLES_ENV, str(tmp_path / "t.pickle"))
    ex = Explorer()  # as the served page's kernel: the view comes drawn, without its figure
    assert ex.rendered == 0 and shown(ex) == shown(expected)
    assert ex.table.equals(expected.table) and ex.ranking.equals(expected.ranking)
    assert legend(ex) == legend(expected)  # the figure is drawn when asked for
    if ex.warming is not None:
        ex.warming.join()
    ex.year.value = 2023
    assert ex.rendered == 1 and "Показатели 2023 года" in shown(ex)

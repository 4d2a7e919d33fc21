"""The stages of the ВПР parser (edu_quality.fisoko.vpr), each on a tiny hand-made grid.

Every stage is run on a few rows written here, and its output checked against
what the rules of :mod:`edu_quality.fisoko.vpr` say; no file is read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from edu_quality import DataError
from edu_quality.fisoko.common import ERROR, NOTE, WARNING, QualityReport
from edu_quality.fisoko.vpr.fields import row_remarks, secondary_fields
from edu_quality.fisoko.vpr.layouts import layout_columns
from edu_quality.fisoko.vpr.reader import parse_vpr
from edu_quality.fisoko.vpr.result_errors import (
    ResultErrors,
    pupil_errors,
    settle_errors,
    variant_errors,
)
from edu_quality.fisoko.vpr.rows import drop_blank_rows, pupil_rows, row_status
from edu_quality.fisoko.vpr.scores import file_scores, protocol_scores, score_errors
from edu_quality.fisoko.vpr.tables import absent_table, participant_ids, task_table
from edu_quality.fisoko.vpr.tasks import (
    Maxima,
    classify_task_cells,
    score_tasks,
    task_maxima,
)
from edu_quality.fisoko.vpr.work import Work, work_identity, work_scale
from edu_quality.names import HIDDEN

FILE = "f.xlsx"
RU = [
    "логин школы",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "вариант",
    "всего баллов",
    "балл за 1",
    "балл за 2",
]
CODES = [
    "groups",
    "user",
    "id",
    "code",
    "otc",
    "gender",
    "var-1",
    "var-2",
    "sum",
    "a-1-grade",
    "a-2-grade",
    "Учебник",
    "a-3-grade",
]
PROTOCOL = [
    "Пользователь",
    "Школа",
    "Дата загрузки",
    "Код",
    "Вариант",
    "Отметка за предыдущее полугодие",
    "1 (1б)",
    "2(1) (2б)",
    "Итого баллов",
]
MATH4 = Path("Проведение работы по математике, 4 класс. ВПР 2021.xlsx")


def _stages(grid, layout="ru"):
    """Columns, rows and row status of a grid whose first row is the header."""
    columns = layout_columns(grid[0], layout, FILE)
    rows = drop_blank_rows(pupil_rows(grid, 0, columns))
    return columns, rows, row_status(rows)


def _scored(grid, layout="ru", top=None):
    """The stages up to the task scores, with the given task maxima."""
    columns, rows, status = _stages(grid, layout)
    cells = classify_task_cells(rows)
    k = len(columns.tasks)
    maxima = Maxima(np.asarray(top if top is not None else [9] * k, dtype=float), "параметр")
    return columns, rows, status, maxima, score_tasks(cells, maxima.top)


# ------------------------------------------------------------------ 1. layout columns


def test_layout_columns_ru():
    c = layout_columns(RU, "ru", FILE)
    assert (c.school, c.pupil, c.journal, c.gender, c.variant, c.total) == (0, 1, 2, 3, 4, 5)
    assert c.tasks == [(6, "1"), (7, "2")]
    assert c.header_max is None and c.stray == [] and c.total_header == "всего баллов"


def test_layout_columns_codes_stop_at_the_first_column_that_is_no_task():
    c = layout_columns(CODES, "codes", FILE)
    assert (c.school, c.pupil, c.journal, c.variant, c.variant2, c.total) == (1, 3, 4, 6, 7, 8)
    assert c.tasks == [(9, "1"), (10, "2")]
    assert c.stray == [12]  # «a-3-grade» after «Учебник»
    assert c.labels == ["1", "2"] and c.task_headers == ["a-1-grade", "a-2-grade"]


def test_layout_columns_protocol_take_the_maxima_from_the_headers():
    c = layout_columns(PROTOCOL, "protocol", FILE)
    assert (c.school, c.school_name, c.date, c.pupil, c.variant, c.journal, c.total) == (
        0,
        1,
        2,
        3,
        4,
        5,
        8,
    )
    assert c.tasks == [(6, "1"), (7, "2(1)")] and c.header_max == [1, 2]


def test_layout_columns_refuse_a_missing_field():
    with pytest.raises(DataError, match=r"нет столбца «вариант» \(ВПР, английские коды"):
        layout_columns([h for h in CODES if h != "var-1"], "codes", FILE)
    with pytest.raises(DataError, match="нет столбцов с баллами за задания"):
        layout_columns(["Пользователь", "Код", "Вариант"], "protocol", FILE)


# ------------------------------------------------------------------ 2–3. pupil rows


def test_pupil_rows_read_the_fields_as_text():
    grid = [
        PROTOCOL,
        ["edu220001", "edu220001 | СОШ", "17.03.2022", 40001.0, 1, 5, 1, 2, None],
        [None, "edu220002 | СОШ 2", "17.03.2022", 40002.0, 2, 4, 1, 1, 3],
    ]
    columns = layout_columns(PROTOCOL, "protocol", FILE)
    rows = pupil_rows(grid, 0, columns)
    assert rows.rows.tolist() == [2, 3]
    # the login in «Школа» when «Пользователь» is empty
    assert rows.school.tolist() == ["sch220001", "sch220002"]
    assert rows.pupil.tolist() == ["40001", "40002"] and rows.variant.tolist() == ["1", "2"]
    assert rows.total.tolist() == ["", "3"]
    assert rows.task_text.tolist() == [["1", "2"], ["1", "1"]]


def test_pupil_rows_shorter_than_the_header_have_empty_task_cells():
    grid = [RU, ["sch1", "1", "5", "м", "1", "3", "1"], ["sch1", "2", "5", "м", "1", "3", "0"]]
    rows = pupil_rows(grid, 0, layout_columns(RU, "ru", FILE))
    assert rows.task_text.tolist() == [["1", ""], ["0", ""]]
    assert rows.task_empty.tolist() == [[False, True], [False, True]]


def test_pupil_rows_read_var_2_where_var_1_is_empty():
    grid = [CODES, ["g", "sch1", 1, "50001", 5, "m", None, 2, 3, 1, 2, None, None]]
    rows = pupil_rows(grid, 0, layout_columns(CODES, "codes", FILE))
    assert rows.variant.tolist() == ["2"]


def test_drop_blank_rows_keeps_the_excel_row_numbers():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "3", "1", "2"],
        [None] * 8,
        ["", "", "4", "ж", None, None, None, None],  # no school, pupil, variant, score
        ["", "3", None, None, None, None, None, None],  # a pupil code: a row
        ["sch1", "2", "5", "м", "1", "2", "1", "1"],
    ]
    rows = drop_blank_rows(pupil_rows(grid, 0, layout_columns(RU, "ru", FILE)))
    assert rows.rows.tolist() == [2, 5, 6]
    assert rows.pupil.tolist() == ["1", "3", "2"]
    assert rows.data.shape[0] == 3 and rows.task_codes.shape == (3, 2)
    assert rows.data[1].tolist() == ["1", "3", "2"]


# ------------------------------------------------------------------ 4–5. the work


def test_work_identity_from_the_file_name():
    columns, rows, _ = _stages([RU, ["sch1", "40001", "5", "м", "1", "3", "1", "2"]])
    work, notes = work_identity(MATH4, MATH4.name, "ru", rows, columns)
    assert work == Work(2021, "Математика", 4, 4, False) and notes == []


def test_work_identity_arguments_win():
    columns, rows, _ = _stages([RU, ["sch1", "40001", "5", "м", "1", "3", "1", "2"]])
    work, _ = work_identity(
        MATH4, MATH4.name, "ru", rows, columns, year=2022, subject="русский", grade=5
    )
    assert work == Work(2022, "Русский язык", 5, 5, False)


def test_work_identity_year_from_the_dates_of_upload():
    grid = [PROTOCOL, ["edu1", "edu1 | СОШ", "17.03.2022 05:33:20", 40001, 1, 5, 1, 2, None]]
    columns, rows, _ = _stages(grid, "protocol")
    work, notes = work_identity(Path("x/Математика 4 класс.xlsx"), FILE, "protocol", rows, columns)
    assert work.year == 2022 and notes == ["год 2022 определён по дате загрузки"]


def test_work_identity_autumn_2020_the_pupils_are_a_grade_higher():
    grid = [CODES, ["g", "sch1", 1, "60001", 5, "m", 1, None, 3, 1, 2, None, None]]
    columns, rows, _ = _stages(grid, "codes")
    path = Path("Математика 5 класс (осень 2020).xlsx")
    work, notes = work_identity(path, path.name, "codes", rows, columns)
    # school year 2020/21: year 2021, session «осень»; the scale is the one of the 2020 works
    assert work == Work(2021, "Математика", 6, 5, True)
    assert (work.session, work.scale_year) == ("осень", 2020)
    assert notes[-1].startswith("ВПР осень 2020: обучающиеся 6 класса писали работу за 5 класс")
    assert "учебный год 2020/21: year 2021, session «осень»" in notes[-1]
    # codes of grade 5 in a file named «5 класс»: the pupils are of grade 5, the work of 4
    grid[1][3] = "50001"
    columns, rows, _ = _stages(grid, "codes")
    work, _ = work_identity(path, path.name, "codes", rows, columns)
    assert (work.grade, work.work_grade) == (5, 4)


def test_work_identity_notes_codes_of_another_grade_and_grades_from_codes():
    columns, rows, _ = _stages([RU, ["sch1", "50001", "5", "м", "1", "3", "1", "2"]])
    work, notes = work_identity(MATH4, MATH4.name, "ru", rows, columns)
    assert work.grade == 4 and notes == [
        "коды участников указывают на 5 класс, а имя файла — на 4 класс; взят класс из имени файла"
    ]
    path = Path("Математика ВПР 2021.xlsx")
    work, notes = work_identity(path, path.name, "ru", rows, columns)
    assert work.grade == 5 and notes == ["класс 5 определён по кодам участников"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x/Математика 4 класс.xlsx", "не удалось определить год ВПР"),
        ("Что-то 4 класс ВПР 2021.xlsx", "не удалось определить предмет"),
        ("Математика ВПР 2021.xlsx", "не удалось определить класс"),
    ],
)
def test_work_identity_refuses_what_it_cannot_find(name, message):
    columns, rows, _ = _stages([RU, ["sch1", "abc", "5", "м", "1", "3", "1", "2"]])
    with pytest.raises(DataError, match=message):
        work_identity(Path(name), FILE, "ru", rows, columns)


def test_work_scale_gives_the_top_of_the_scale_and_notes_an_assumption():
    scale, notes = work_scale(None, Work(2021, "Математика", 4, 4), FILE)
    assert scale.max_score == 20 and notes == []
    mine = pd.DataFrame(
        {
            "year": 2022,
            "subject": "Математика",
            "grade": 4,
            "mark": [2, 3, 4, 5],
            "min_score": [0, 1, 2, 3],
            "max_score": [0, 1, 2, 7],
            "source": "допущение: шкала 2021 года",
        }
    )
    scale, notes = work_scale(mine, Work(2022, "Математика", 4, 4), FILE)
    assert scale.max_score == 7
    assert notes == ["шкала перевода в отметки: допущение: шкала 2021 года"]
    with pytest.raises(DataError, match="нет шкалы перевода первичных баллов в отметки для ВПР"):
        work_scale(None, Work(2031, "Математика", 4, 4), FILE)


# ------------------------------------------------------------------ 6. row status


def test_row_status():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "3,0", "1", "2"],
        ["sch1", "2", "5", "м", "Отсутствовал", None, None, None],
        ["sch1", "3", "5", "м", None, None, None, None],
        ["sch1", "4", "5", "м", "1,5", None, "1", None],
        ["sch1", "5", "5", "м", None, "abc", None, None],
    ]
    _, _, s = _stages(grid)
    assert s.absent.tolist() == [False, True, False, False, False]
    assert s.empty.tolist() == [False, False, True, False, False]
    assert s.writer.tolist() == [True, False, False, True, True]
    assert s.variant_ok.tolist() == [True, False, False, False, False]
    assert s.has_total.tolist() == [True, False, False, False, True]
    assert s.has_task.tolist() == [True, False, False, True, False]
    assert s.total[0] == 3.0 and np.isnan(s.total[4])


# ------------------------------------------------------------------ 7–9. task cells


def test_classify_task_cells():
    head = ["логин школы", "код обучающегося", "вариант"] + [f"балл за {i}" for i in range(1, 7)]
    grid = [head, ["sch1", "1", "1", 2, "x", "Н/П", "не пройд.", "1,5", "?"]]
    _, rows, _ = _stages(grid)
    c = classify_task_cells(rows)
    assert c.valid.tolist() == [[True, False, False, False, False, False]]
    assert c.not_tried.tolist() == [[False, True, False, False, False, False]]
    assert c.not_studied.tolist() == [[False, False, True, True, False, False]]
    assert c.junk.tolist() == [[False, False, False, False, True, True]]
    assert c.number[0, 4] == 1.5


def test_task_maxima_from_headers_parameter_or_data():
    grid = [PROTOCOL, ["edu1", "", "17.03.2022", 1, 1, 5, 1, 2, None]]
    columns, rows, s = _stages(grid, "protocol")
    work = Work(2022, "Математика", 4, 4)
    maxima, notes = task_maxima(columns, classify_task_cells(rows), s.writer, None, work, 3, FILE)
    assert maxima.top.tolist() == [1.0, 2.0] and maxima.source == "заголовки" and notes == []
    with pytest.raises(
        DataError,
        match=r"шкала не подходит к работе: по шкале максимум 4 баллов, "
        r"по заданиям файла 3 \(ВПР 2022, «Математика», 4 класс\)",
    ):
        task_maxima(columns, classify_task_cells(rows), s.writer, None, work, 4, FILE)

    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "3", "1", "2"],
        ["sch1", "2", "5", "м", "1", "3", "0", "3"],
    ]
    columns, rows, s = _stages(grid)
    cells = classify_task_cells(rows)
    maxima, notes = task_maxima(columns, cells, s.writer, [1, 3], work, 20, FILE)
    assert maxima.top.tolist() == [1.0, 3.0] and maxima.source == "параметр" and notes == []
    with pytest.raises(DataError, match="параметр task_max: 1 значений, а заданий в файле 2"):
        task_maxima(columns, cells, s.writer, [1], work, 20, FILE)
    maxima, notes = task_maxima(columns, cells, s.writer, None, work, 20, FILE)
    assert maxima.top.tolist() == [1.0, 3.0] and maxima.source == "данные"
    assert notes == [
        "максимумы заданий выведены из данных (сумма 4) и не совпадают с максимумом шкалы (20)"
    ]


def test_task_maxima_from_many_pupils_drop_a_rare_typo():
    rows_ = [["sch1", str(i), "5", "м", "1", None, str(i % 2), str(i % 3)] for i in range(1200)]
    rows_[7][7] = "9"  # one pupil of 1 200: a typo, not the maximum
    columns, rows, s = _stages([RU, *rows_])
    maxima, _ = task_maxima(
        columns, classify_task_cells(rows), s.writer, None, Work(2021, "Математика", 4, 4), 3, FILE
    )
    assert maxima.top.tolist() == [1.0, 2.0]


def test_score_tasks():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "3", "X", "5"],
        ["sch1", "2", "5", "м", "1", "3", None, "?"],
    ]
    columns, rows, _ = _stages(grid)
    t = score_tasks(classify_task_cells(rows), np.array([1.0, 2.0]))
    assert np.array_equal(t.value, [[0.0, np.nan], [np.nan, np.nan]], equal_nan=True)
    assert t.note.tolist() == [[1, 0], [0, 0]]
    assert t.over.tolist() == [[False, True], [False, False]]
    assert t.bad.tolist() == [[False, True], [False, True]]
    assert t.computed[0] == 0.0 and np.isnan(t.computed[1])


# ------------------------------------------------------------------ 10. scores and result errors


def test_result_errors_only_on_rows_of_results():
    errors = ResultErrors(np.array([True, False, True]))
    errors.add(np.array([True, True, False]), "вариант", np.array(["a", "b", "c"], object), "x")
    errors.add(np.array([False, False, False]), "вариант", np.array(["a", "b", "c"], object), "y")
    assert errors.mask.tolist() == [True, False, False]
    assert len(errors.parts) == 1 and errors.parts[0][2].tolist() == ["a"]


def test_variant_errors():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "0", "3", "1", "2"],
        ["sch1", "2", "5", "м", None, "3", "1", "2"],
        ["sch1", "3", "5", "м", "отсутствовал", None, None, None],
        ["sch1", "4", "5", "м", "2", "3", "1", "2"],
    ]
    columns, rows, s = _stages(grid)
    errors = ResultErrors(s.writer)
    variant_errors(errors, rows, s, columns)
    assert errors.mask.tolist() == [True, True, False, False]
    assert [p[3] for p in errors.parts] == [
        ["не указан вариант, хотя есть баллы"],
        ["неизвестный вариант «0» (ожидается номер варианта 1, 2, … или «отсутствовал»)"],
    ]


def test_file_scores_total_or_sum_of_tasks():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "3", "1", "2"],  # total = sum
        ["sch1", "2", "5", "м", "1", None, "1", "1"],  # no total: the sum
        ["sch1", "3", "5", "м", "1", "4", "1", "1"],  # total ≠ sum: the total
        ["sch1", "4", "5", "м", "1", "2.5", "1", "1"],  # unreadable total: an error
        ["sch1", "5", "5", "м", "1", "1", "1", "?"],
    ]  # unreadable task: a warning
    columns, rows, s, maxima, tasks = _scored(grid, top=[1, 2])
    errors, q = ResultErrors(s.writer), QualityReport(FILE)
    scores = file_scores(errors, q, rows, s, columns, tasks, maxima)
    assert np.array_equal(scores.score, [3, 2, 4, np.nan, 1], equal_nan=True)
    assert scores.shown.tolist() == ["3", "2", "4", "2.5", "1"] and scores.header == "всего баллов"
    assert errors.mask.tolist() == [False, False, False, True, False]
    assert errors.parts[0][3] == ["балл «2.5» не распознан: ожидается целое число ≥ 0"]
    report = q.frame()
    assert report[["row", "problem", "severity"]].values.tolist() == [
        [3, "нет итогового балла", NOTE],
        [4, "сумма баллов за задания (2) не совпадает с итогом (4)", NOTE],
        [6, "балл «?» за задание 2 не распознан", WARNING],
    ]


def test_protocol_scores_sum_of_tasks_and_task_errors():
    grid = [
        PROTOCOL,
        ["edu1", "", "17.03.2022", 1, 1, 5, 1, 2, 4],  # total in the file ≠ sum
        ["edu1", "", "17.03.2022", 2, 1, 5, 1, 3, None],
    ]  # 3 > (2б): an error
    columns = layout_columns(PROTOCOL, "protocol", FILE)
    rows = drop_blank_rows(pupil_rows(grid, 0, columns))
    s = row_status(rows)
    maxima = Maxima(np.array([1.0, 2.0]), "заголовки")
    tasks = score_tasks(classify_task_cells(rows), maxima.top)
    errors, q = ResultErrors(s.writer), QualityReport(FILE)
    scores = protocol_scores(errors, q, rows, s, columns, tasks, maxima)
    assert scores.score.tolist() == [3.0, 1.0] and scores.shown.tolist() == ["3", "1"]
    assert scores.header == "Итого баллов"
    assert q.frame()["problem"].tolist() == [
        "итог в файле (4) не совпадает с суммой баллов за задания (3)"
    ]
    assert errors.mask.tolist() == [False, True]
    assert errors.parts[0][1] == "2(1) (2б)"
    assert errors.parts[0][3] == ["балл «3» за задание 2(1) не распознан или больше максимума 2"]


def test_score_errors():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "21", "1", "2"],
        ["sch1", "2", "5", "м", "1", None, None, None],
        ["sch1", "3", "5", "м", "0", None, None, None],
    ]
    columns, rows, s, maxima, tasks = _scored(grid)
    errors, q = ResultErrors(s.writer), QualityReport(FILE)
    variant_errors(errors, rows, s, columns)
    scores = file_scores(errors, q, rows, s, columns, tasks, maxima)
    score_errors(errors, rows, s, scores, Work(2021, "Математика", 4, 4), 20)
    problems = [p for part in errors.parts for p in part[3]]
    assert problems == [
        "неизвестный вариант «0» (ожидается номер варианта 1, 2, … или «отсутствовал»)",
        "балл 21 больше максимума 20 (ВПР 2021, «Математика», 4 класс)",
        "нет баллов за работу",  # row 3 (variant 2 with nothing), not row 4: it has an error
    ]
    assert errors.parts[-1][0].tolist() == [False, True, False]


def test_pupil_errors():
    grid = [
        RU,
        ["sch1", "1", "5", "м", "1", "3", "1", "2"],
        ["edu1", "1", "5", "м", "1", "3", "1", "2"],  # the same pupil of the same school
        ["sch2", None, "5", "м", "1", "3", "1", "2"],
        [None, "7", "5", "м", "1", "3", "1", "2"],
        ["sch3", "1", "5", "м", "1", "3", "1", "2"],
    ]
    columns, rows, s = _stages(grid)
    errors = ResultErrors(s.writer)
    pupil_errors(errors, rows, columns)
    assert [(p[1], p[0].nonzero()[0].tolist(), p[3][0]) for p in errors.parts] == [
        ("код обучающегося", [2], "нет кода участника"),
        ("логин школы", [3], "нет кода школы"),
        ("код обучающегося", [0, 1], "участник с этим кодом уже есть в этой школе"),
    ]


# ------------------------------------------------------------------ 11. secondary fields


def test_secondary_fields():
    grid = [
        RU,
        ["sch1", "1", "5", "Ж.", "1", "3", "1", "2"],
        ["sch1", "2", "нет отметки", "муж", "1", "3", "1", "2"],
        ["sch1", "3", "8", "?", "1", "3", "1", "2"],
        ["sch1", "4", "ж", "м", "отсутствовал", None, None, None],
    ]  # not a result: no warning
    columns, rows, s = _stages(grid)
    q = QualityReport(FILE)
    f = secondary_fields(rows, columns, s.writer, q)
    assert np.array_equal(f.journal, [5, np.nan, np.nan, np.nan], equal_nan=True)
    assert f.gender.tolist()[:3] == ["ж", "м", np.nan]
    assert f.journal_header == "отметка за предыдущую четверть/триместр"
    assert q.frame()[["row", "column", "value", "severity"]].values.tolist() == [
        [4, "отметка за предыдущую четверть/триместр", "8", WARNING],
        [4, "пол", "?", WARNING],
    ]


def test_row_remarks():
    grid = [
        CODES,
        ["g", "sch1", 1, "50001", 5, "m", "отсутствовал", None, 3, None, None, None, None],
        ["g", "sch1", 2, "50002", 5, "m", None, None, None, None, None, None, None],
        ["g", "sch1", 3, "50003", 5, "m", 1, None, 3, 1, 2, None, 1],
    ]
    columns, rows, s = _stages(grid, "codes")
    q = QualityReport(FILE)
    row_remarks(q, rows, columns, s)
    assert q.frame()[["row", "column", "problem", "severity"]].values.tolist() == [
        [2, "var-1", "отмечен как отсутствовавший, но в строке есть баллы", NOTE],
        [3, "var-1", "нет ни варианта, ни баллов", WARNING],
        [pd.NA, "a-3-grade", "1 знач. в столбце после заданий работы — не учтены", NOTE],
    ]


# ------------------------------------------------------------------ 12. settling the errors


def _with_an_error():
    grid = [
        RU,
        ["sch1", "1", "8", "м", "1", "3", "1", "2"],
        ["sch1", "2", "5", "м", "0", "3", "1", "2"],
    ]
    columns, rows, s = _stages(grid)
    errors, q = ResultErrors(s.writer), QualityReport(FILE)
    variant_errors(errors, rows, s, columns)
    secondary_fields(rows, columns, s.writer, q)
    return errors, q, rows


def test_settle_errors_exclude():
    errors, q, rows = _with_an_error()
    quality = settle_errors(q, errors, rows, ["замечание"], strict=False, invalid_results="exclude")
    assert quality[["row", "severity", "action"]].values.tolist() == [
        [2, WARNING, "поле оставлено пустым, результат сохранён"],
        [3, ERROR, "результат исключён"],
        [pd.NA, NOTE, "учтено при загрузке"],
    ]


def test_settle_errors_raise_and_strict():
    errors, q, rows = _with_an_error()
    with pytest.raises(DataError) as err:
        settle_errors(q, errors, rows, [], strict=False, invalid_results="raise")
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "вариант")]
    errors, q, rows = _with_an_error()
    with pytest.raises(DataError) as err:
        settle_errors(q, errors, rows, [], strict=True, invalid_results="exclude")
    assert [p.row for p in err.value.problems] == [2, 3]


# ------------------------------------------------------------------ 13. tables


def test_participant_ids():
    pupil = pd.Series(["40001", "40002", "40003"])
    assert participant_ids(pupil, np.array([0, 2]), False, FILE).tolist() == ["40001", "40003"]
    keyed = participant_ids(pupil, np.array([0, 2]), "ключ", FILE)
    assert keyed.str.len().gt(5).all() and not keyed.isin(pupil).any()


def test_participant_ids_without_a_key(monkeypatch):
    monkeypatch.delenv("EDU_QUALITY_PUPIL_KEY", raising=False)
    with pytest.raises(DataError, match="псевдонимизация запрошена, но ключ не задан"):
        participant_ids(pd.Series(["1"]), np.array([0]), True, FILE)


def test_absent_table():
    t = absent_table(
        Work(2021, "Математика", 6, 5, True),
        pd.Series(["s2", None, "s1", "s2"]),
        np.array([True, True, True, True]),
    )
    assert t.values.tolist() == [
        [2021, "осень", "ВПР", "Математика", 6, 5, "s1", 1],
        [2021, "осень", "ВПР", "Математика", 6, 5, "s2", 2],
    ]
    assert t["grade"].dtype == "int64" and t["absent"].dtype == "int64"


def test_task_table_makes_repeated_labels_unique():
    results = pd.DataFrame({"school_id": ["s1", "s2"], "pupil_id": ["p1", "p2"]})
    value = np.array([[1.0, 0.0], [np.nan, 2.0]])
    note = np.array([[0, 2], [0, 0]], dtype="int8")
    t = task_table(value, note, np.array([1.0, 2.0]), ["1", "1"], results, Work(2021, "М", 4, 4))
    assert t["task"].astype(str).tolist() == ["1#1", "1#2", "1#2"]
    assert t["pupil_id"].astype(str).tolist() == ["p1", "p1", "p2"]
    assert t["note"].astype(object).where(t["note"].notna(), None).tolist() == [
        None,
        "тема не пройдена",
        None,
    ]
    assert t["max_score"].tolist() == [1.0, 2.0, 2.0]


def test_parse_vpr_runs_the_stages_in_order():
    grid = [
        RU,
        ["sch220001", "40001", "5", "м", "1", "3", "1", "2"],
        ["sch220001", "40002", "8", "ж", "1", None, "1", "X"],
        ["sch220001", "40003", "4", "ж", "отсутствовал", None, None, None],
        ["sch220002", "40001", "4", "ж", "0", "2", "1", "1"],
    ]
    vpr = parse_vpr(
        grid,
        0,
        "ru",
        MATH4,
        FILE,
        invalid_results="exclude",
        task_max=[1, 2],
        pseudonymize_ids=False,
    )
    got = vpr.results[["school_id", "pupil_id", "score", "mark", "journal_mark"]].values.tolist()
    assert got == [["sch220001", "40001", 3.0, 2, 5], ["sch220001", "40002", 1.0, 2, pd.NA]]
    assert vpr.counts == {
        "rows": 4,
        "participants": 2,
        "absent": 1,
        "empty": 0,
        "excluded": 1,
        "schools": 1,
        "warnings": 2,
        # sch220002's only result has an unknown variant: its protocol is unreliable,
        # with no row left to mark
        "unreliable_protocols": 1,
        "unreliable_rows": 0,
    }
    assert sorted(vpr.quality["severity"].tolist()) == sorted([NOTE, WARNING, WARNING, ERROR])
    assert vpr.absent["absent"].tolist() == [1] and vpr.source_rows.tolist() == [2, 3]
    assert [None if pd.isna(v) else v for v in vpr.tasks["note"]] == [
        None,
        None,
        None,
        "не приступал",
    ]
    assert vpr.results.attrs["task_max_from"] == "параметр"
    assert vpr.headers["score"] == "всего баллов"


def test_the_quality_report_hides_names_in_one_pass_as_row_by_row():
    """The names are looked for once over the rows added since the last frame(); the report
    is the one built with a frame() after every add (a look per add), and an array the caller
    changes after add() does not change the report."""
    adds = [
        (np.array([2, 3]), "пол", ["Петров Пётр", "ж"], "пол не распознан", WARNING),
        (np.array([4]), "код", ["Сидоров"], "код «Сидоров» не распознан", ERROR),
        (np.array([5, 6]), "код", ["40001", "ученик 5"], ["код «40001»", "код «ученик 5»"], ERROR),
        (np.array([7]), "класс", [7.0], "класс «7.0»", NOTE),
        (np.array([8]), "пол", ["П. П. Петров"], "пол «П. П. Петров»", WARNING),
    ]
    batched = QualityReport(FILE, id_columns=["код"], key=b"k")
    one_by_one = QualityReport(FILE, id_columns=["код"], key=b"k")
    for rows, column, values, problem, severity in adds:
        values = np.array(values, dtype=object)
        batched.add(rows, column, values, problem, "—", severity)
        one_by_one.add(rows, column, values, problem, "—", severity)
        one_by_one.frame()
        values[:] = "изменено"
    got = batched.frame()
    pd.testing.assert_frame_equal(got, one_by_one.frame())
    assert got["value"].tolist()[:3] == [HIDDEN, "ж", HIDDEN]
    assert got["problem"].tolist()[2] == "код «скрыто» не распознан"
    assert "изменено" not in got["value"].tolist()


def test_a_wrong_add_to_the_quality_report_fails_at_once():
    """The names are looked for later, but a call with the wrong number of cells, or a row
    that is not a whole number, fails where it is made."""
    q = QualityReport(FILE)
    with pytest.raises(ValueError, match="values has shape"):
        q.add(np.array([2, 3]), "пол", ["ж"], "—", "—", WARNING)
    with pytest.raises(ValueError, match="problem has shape"):
        q.add(np.array([2]), "пол", ["ж"], ["a", "b"], "—", WARNING)
    with pytest.raises(TypeError):
        q.add(np.array([2.5]), "пол", ["ж"], "—", "—", WARNING)
    q.add(np.array([2]), "пол", ["ж"], "пол «ж»", "—", WARNING)
    assert q.frame()["row"].tolist() == [2]

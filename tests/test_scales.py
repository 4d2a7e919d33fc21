"""Score-to-mark scales: the shipped official table, a user's own, the missing-scale error."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from _helpers import ALTAI

from edu_quality import DataError
from edu_quality.scales import (
    max_scores,
    merge_scales,
    normalize_subject,
    read_scales,
    score_to_mark,
    vpr_scales,
)

README = ALTAI / "README.md"

# ФИОКО 2021, «Рекомендации по переводу первичных баллов в отметки» (the README's table):
# (subject, grade) → ranges of «2», «3», «4», «5»
TABLE_2021 = {
    ("Математика", 4): [(0, 5), (6, 9), (10, 14), (15, 20)],
    ("Математика", 5): [(0, 6), (7, 10), (11, 14), (15, 20)],
    ("Математика", 6): [(0, 5), (6, 9), (10, 13), (14, 16)],
    ("Математика", 7): [(0, 6), (7, 11), (12, 15), (16, 19)],
    ("Математика", 8): [(0, 7), (8, 14), (15, 20), (21, 25)],
    ("Русский язык", 4): [(0, 13), (14, 23), (24, 32), (33, 38)],
    ("Русский язык", 5): [(0, 17), (18, 28), (29, 38), (39, 45)],
    ("Русский язык", 6): [(0, 24), (25, 34), (35, 44), (45, 51)],
    ("Русский язык", 7): [(0, 21), (22, 31), (32, 41), (42, 47)],
    ("Русский язык", 8): [(0, 25), (26, 31), (32, 44), (45, 51)],
}


def _cells(scales: pd.DataFrame, year: int) -> dict:
    s = scales[scales["year"] == year].sort_values("mark")
    return {
        (subj, int(g)): list(zip(d["min_score"], d["max_score"], strict=True))
        for (subj, g), d in s.groupby(["subject", "grade"])
    }


def test_2021_table_is_shipped_cell_by_cell():
    assert _cells(vpr_scales(), 2021) == TABLE_2021
    src = vpr_scales().query("year == 2021")["source"]
    assert src.str.contains("ФИОКО").all()


@pytest.mark.skipif(not README.is_file(), reason=f"нет {README}")
def test_2021_table_matches_the_readme_of_the_real_data():
    rows = re.findall(
        r"^\|\s*(Математика|Русский язык)\s*\|\s*(\d+)\s*\|(.+)\|\s*$",
        README.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    parsed = {
        (subj, int(g)): [
            tuple(int(x) for x in re.split(r"[–-]", c.strip())) for c in cells.split("|")
        ]
        for subj, g, cells in rows
    }
    assert len(parsed) == 10
    assert _cells(vpr_scales(), 2021) == parsed


def test_autumn_2020_rows_are_the_2021_scale_of_the_work_and_flagged():
    s = vpr_scales()
    assert _cells(s, 2020) == TABLE_2021
    assert s.query("year == 2020")["source"].str.startswith("допущение").all()


def test_no_2022_scale_is_invented():
    assert 2022 not in set(vpr_scales()["year"])


def test_max_scores_are_the_top_of_five():
    m = max_scores().query("year == 2021").set_index(["subject", "grade"])["max_score"]
    assert m.to_dict() == {k: v[-1][1] for k, v in TABLE_2021.items()}


def test_score_to_mark_boundaries_and_input_untouched():
    r = pd.DataFrame(
        {
            "year": 2021,
            "subject": "Математика",
            "grade": 4,
            "score": [0.0, 5.0, 6.0, 9.0, 10.0, 14.0, 15.0, 20.0, None],
        }
    )
    before = r.copy()
    out = score_to_mark(r)
    assert out["mark"].tolist()[:8] == [2, 2, 3, 3, 4, 4, 5, 5]
    assert out["mark"].isna().tolist()[-1]
    pd.testing.assert_frame_equal(r, before)


def test_work_grade_is_used_when_present():
    # autumn 2020: pupils of grade 6 wrote the work of grade 5 (scale of grade 5)
    r = pd.DataFrame(
        {
            "year": [2020],
            "subject": ["Математика"],
            "grade": [6],
            "work_grade": [5],
            "score": [14.0],
        }
    )
    assert score_to_mark(r)["mark"].tolist() == [4]  # grade 6's scale would give «5»


def test_autumn_session_takes_the_scale_of_the_year_before():
    # autumn 2020 is the school year 2021, session «осень»: the works (and scales) of 2020
    own = pd.DataFrame(
        {
            "year": 2020,
            "subject": "Математика",
            "grade": 5,
            "mark": [2, 3, 4, 5],
            "min_score": [0, 1, 2, 3],
            "max_score": [0, 1, 2, 3],
            "source": "тест",
        }
    )
    r = pd.DataFrame(
        {
            "year": [2021],
            "session": ["осень"],
            "subject": ["Математика"],
            "grade": [6],
            "work_grade": [5],
            "score": [3.0],
        }
    )
    assert score_to_mark(r, own)["mark"].tolist() == [5]
    with pytest.raises(DataError, match="ВПР 2021"):  # spring 2021 has no scale in ``own``
        score_to_mark(r.assign(session="весна"), own)


def test_missing_scale_names_year_subject_grade():
    r = pd.DataFrame({"year": [2022], "subject": ["Математика"], "grade": [4], "score": [10.0]})
    with pytest.raises(
        DataError,
        match=r"нет шкалы перевода первичных баллов в отметки для "
        r"ВПР 2022, предмет «Математика», 4 класс",
    ):
        score_to_mark(r)


def test_score_above_the_scale_is_an_error():
    r = pd.DataFrame({"year": [2021], "subject": ["Математика"], "grade": [4], "score": [21.0]})
    with pytest.raises(DataError, match=r"балл 21 вне шкалы 0–20"):
        score_to_mark(r)


def test_user_scale_long_form(write):
    path = write(
        "шкала.csv",
        "Год;Предмет;Класс;Отметка;Минимальный балл;Максимальный балл\n"
        "2022;математика;4;2;0;5\n2022;математика;4;3;6;9\n"
        "2022;математика;4;4;10;14\n2022;математика;4;5;15;20\n",
    )
    s = read_scales(path)
    assert s["subject"].unique().tolist() == ["Математика"]
    assert s["source"].str.contains("шкала пользователя").all()
    r = pd.DataFrame(
        {"year": [2022, 2022], "subject": ["Математика"] * 2, "grade": [4, 4], "score": [9.0, 15.0]}
    )
    assert score_to_mark(r, s)["mark"].tolist() == [3, 5]


def test_user_scale_wide_form_as_in_fioko_tables(write_xlsx):
    path = write_xlsx(
        "scales.xlsx",
        [
            ["Год", "Предмет", "Класс", "«2»", "«3»", "«4»", "«5»"],
            [2022, "Русский язык", 5, "0–17", "18–28", "29-38", "39–45"],
        ],
    )
    s = read_scales(path)
    assert s[["mark", "min_score", "max_score"]].values.tolist() == [
        [2, 0, 17],
        [3, 18, 28],
        [4, 29, 38],
        [5, 39, 45],
    ]


def test_user_scale_with_gap_is_an_error_naming_the_row(write):
    path = write(
        "bad.csv",
        "year;subject;grade;mark;min_score;max_score\n"
        "2022;Математика;4;2;0;5\n2022;Математика;4;3;7;9\n"
        "2022;Математика;4;4;10;14\n2022;Математика;4;5;15;20\n",
    )
    with pytest.raises(
        DataError,
        match=r"bad.csv, строка 3, столбец «min_score»: шкала 2022, "
        r"«Математика», 4 класс: отметка «3» должна начинаться "
        r"с 6 балла",
    ):
        read_scales(path)


def test_user_scale_with_missing_mark_is_an_error(write):
    path = write(
        "bad.csv",
        "year;subject;grade;mark;min_score;max_score\n"
        "2022;Математика;4;2;0;5\n2022;Математика;4;3;6;9\n",
    )
    with pytest.raises(DataError, match="нужны отметки 2, 3, 4 и 5"):
        read_scales(path)


def test_merge_keeps_official_scales_for_works_the_user_does_not_cover():
    mine = vpr_scales().query("year == 2021 and subject == 'Математика' and grade == 4")
    mine = mine.assign(min_score=[0, 4, 8, 12], max_score=[3, 7, 11, 20], source="моя")
    merged = merge_scales(mine)
    cells = _cells(merged, 2021)
    assert cells[("Математика", 4)] == [(0, 3), (4, 7), (8, 11), (12, 20)]
    assert cells[("Русский язык", 4)] == TABLE_2021[("Русский язык", 4)]
    assert len(merged) == len(vpr_scales())


def test_option_errors_name_the_parameter():
    with pytest.raises(TypeError, match="Параметр `scales`"):
        score_to_mark(
            pd.DataFrame({"year": [2021], "subject": ["Математика"], "grade": [4], "score": [1.0]}),
            scales="scale.csv",
        )


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        ("по математике", "Математика"),
        ("РУССКИЙ ЯЗЫК", "Русский язык"),
        ("Окружающий мир", "Окружающий мир"),
        ("  физика ", "Физика"),
        ("", None),
    ],
)
def test_normalize_subject(text, subject):
    assert normalize_subject(text) == subject

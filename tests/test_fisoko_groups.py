"""Comparison groups of the ФИС ОКО import: the «ОВЗ» rule, reasons, a methodologist's groups."""

from __future__ import annotations

import pandas as pd
import pytest
from _helpers import ALTAI

from edu_quality import DataError
from edu_quality.fisoko import read_fisoko_context, read_fisoko_registry, read_group_overrides
from edu_quality.fisoko.groups import (
    apply_group_overrides,
    fisoko_schools,
    group_notes,
    school_groups,
)

_REAL = pytest.mark.skipif(not ALTAI.is_dir(), reason=f"нет папки с реальными данными {ALTAI}")


def _features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["special", "inclusive", "named_only", "closed"],
            "name": [
                "КГБОУ для обучающихся, воспитанников с ограниченными возможностями\nздоровья "
                "«Бийская школа-интернат № 1»",
                "МБОУ «Средняя общеобразовательная школа № 34»",
                "МБОУ специальная (коррекционная) школа-интернат VIII вида",
                "КГБОСУВУ «Краевая специальная общеобразовательная школа закрытого типа»",
            ],
            "aop": [True, True, True, True],
            "aop_separate": [True, True, False, False],
            "aop_inclusive": [False, True, False, True],
            "locality": ["город"] * 4,
            "locality_type_code": [2, 2, 2, 2],
            "pupils": [183, 1351, 90, 24],
        }
    )


def test_ovz_needs_both_the_name_and_the_questionnaire():
    g = school_groups(_features()).set_index("school_id")
    assert g["group"].to_dict() == {
        "special": "ОВЗ",
        "inclusive": "обычная",  # q17.2 «Да», but an ordinary school teaching some on АОП
        "named_only": "обычная",  # named so, but q17.2 «Нет»
        "closed": "обычная",  # «специальная» alone is no АОП school
    }
    assert g.loc["special", "group_reason"] == (
        "отдельная школа для обучающихся по АОП: в названии «с ограниченными возможностями "
        "здоровья», вопрос 17.2 «Да», 17.4 «Нет»"
    )
    assert "1351 (вопрос 20)" in g.loc["inclusive", "group_reason"]
    assert "ответ «Да» на вопрос 17.2" in g.loc["inclusive", "group_reason"]
    assert "17.4 «Да»" in g.loc["inclusive", "group_reason"]
    assert "по названию («коррекционная»)" in g.loc["named_only", "group_reason"]


def test_disagreements_are_notes_of_the_quality_report():
    f = _features()
    schools = f.merge(school_groups(f), on="school_id")
    notes = group_notes(schools, "context_2022.xlsx").set_index("school_id")
    assert sorted(notes.index) == ["inclusive", "named_only"]
    assert notes.loc["inclusive", "value"] == "Да"
    assert (notes["severity"] == "примечание").all()


def test_a_methodologists_groups_replace_the_derived_ones(tmp_path):
    p = tmp_path / "groups.csv"
    p.write_text(
        "Код ОО;Группа;Причина\nedu220198;ОВЗ;\nsch220002;малокомплектная сельская;решение МО\n",
        encoding="utf-8",
    )
    o = read_group_overrides(p)
    assert o["school_id"].tolist() == ["sch220198", "sch220002"]
    assert o["group_reason"].tolist() == ["задано методистом", "задано методистом: решение МО"]
    schools = pd.DataFrame(
        {
            "school_id": ["sch220198", "sch220002", "sch220003"],
            "group": ["обычная", "малокомплектная сельская", "обычная"],
            "group_reason": ["нет признаков", "село", "нет признаков"],
        }
    )
    out, q = apply_group_overrides(schools, o, p.name)
    assert out["group"].tolist() == ["ОВЗ", "малокомплектная сельская", "обычная"]
    assert out["group_reason"].tolist()[:2] == o["group_reason"].tolist()
    # a note for the group that changed, naming the row of the file
    assert q[["row", "school_id", "problem"]].values.tolist() == [
        [2, "sch220198", "группа «обычная» (нет признаков) заменена на «ОВЗ»"]
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Код ОО;Группа\nsch220001;особая\n", "Группа"),
        ("Код ОО;Причина\nsch220001;решение МО\n", "Группа"),
        ("Код ОО;Группа\nsch220001;ОВЗ\nsch220001;обычная\n", "строка 3, столбец «Код ОО»"),
    ],
)
def test_bad_group_files_name_file_row_and_column(tmp_path, text, message):
    p = tmp_path / "groups.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_group_overrides(p)
    assert "groups.csv" in str(err.value) and message in str(err.value)


def test_a_school_unknown_to_the_registry_is_an_error_with_its_row(tmp_path):
    p = tmp_path / "groups.csv"
    p.write_text("Код ОО;Группа\nsch220001;ОВЗ\nsch229999;ОВЗ\n", encoding="utf-8")
    schools = pd.DataFrame({"school_id": ["sch220001"], "group": ["обычная"], "group_reason": [""]})
    with pytest.raises(DataError) as err:
        apply_group_overrides(schools, read_group_overrides(p), p.name)
    text = str(err.value)
    assert "groups.csv" in text and "sch229999" in text and "3" in text


@_REAL
@pytest.mark.slow
def test_real_region_ovz_schools_are_the_special_schools():
    ctx = read_fisoko_context(ALTAI / "context_2022.xlsx")
    reg = read_fisoko_registry(ALTAI / "schools_registry.xlsx")
    s = fisoko_schools(reg, ctx).set_index("school_id")
    ovz = s[s["group"] == "ОВЗ"]
    # before: 43 «ОВЗ» schools, the largest of 1 351 pupils (an ordinary secondary school)
    assert len(ovz) == 30
    assert ovz["pupils"].max() <= 300
    assert ovz.index.str.startswith("ksh").all()
    assert s.loc["sch220198", "group"] == "обычная"  # 1 351 pupils, q17.2 «Да», q17.4 «Да»
    assert s.loc["ksh220032", "group"] != "ОВЗ"  # a closed school for deviant behaviour
    assert s["group_reason"].notna().all()

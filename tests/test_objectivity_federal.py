"""The federal objectivity index (ФИОКО), pinned against hand computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import ALTAI

from edu_quality._russian import name_order
from edu_quality.errors import DataError
from edu_quality.objectivity import (
    FEDERAL_LABEL,
    MESSAGE_FLAGGED,
    compare_with_list,
    objectivity_index,
    objectivity_triage,
    sign_cohort_change,
    sign_high_mean,
    sign_journal_mismatch,
    works_table,
)

MATH, RUSSIAN = "Математика", "Русский язык"


def pupils(
    school,
    scores,
    *,
    journal=None,
    year=2023,
    grade=4,
    work_grade=None,
    session=None,
    subject=MATH,
    assessment="ВПР",
):
    n = len(scores)
    out = pd.DataFrame(
        {
            "year": year,
            "assessment": assessment,
            "subject": subject,
            "grade": grade,
            "school_id": school,
            "score": pd.Series(scores, dtype="float64"),
            "journal_mark": pd.array(journal if journal is not None else [None] * n, dtype="Int64"),
        },
        index=range(n),
    )
    out["work_grade"] = work_grade if work_grade is not None else grade
    out["session"] = session if session is not None else "весна"
    return out


def concat(*frames):
    return pd.concat(frames, ignore_index=True)


def test_high_mean_uses_1_96_and_judges_two_pupils():
    data = concat(pupils("A", [18, 20]), pupils("B", [8, 10, 12]), pupils("C", [9, 11]))
    out = sign_high_mean(data).set_index("school_id")
    # region: 18 20 8 10 12 9 11 → mean 88/7, sample sd by hand
    x = np.array([18, 20, 8, 10, 12, 9, 11.0])
    region_high = x.mean() + 1.96 * x.std(ddof=1) / np.sqrt(7)
    a_low = 19 - 1.96 * np.sqrt(2) / np.sqrt(2)  # s = √2 for (18, 20)
    assert out.loc["A", "region_high"] == pytest.approx(region_high)
    assert out.loc["A", "school_low"] == pytest.approx(a_low)  # 17.04
    assert a_low > region_high  # 17.04 > 14.80
    assert out["flag"].to_dict() == {"A": True, "B": False, "C": False}
    assert (out["note"] == "").all()  # no minimum but the 2 an interval needs
    # a t interval (our triage) is far wider for two pupils: t(0.975, 1) = 12.7
    assert not sign_high_mean(data, interval="t").set_index("school_id").loc["A", "flag"]


def test_journal_sign_any_negative_correlation():
    data = concat(
        pupils("weak", [10, 11, 12, 13, 14], journal=[4, 5, 4, 4, 4]),  # rs < 0, p > 0.05
        pupils("ok", [10, 11, 12], journal=[3, 4, 5]),
        pupils("flat", [10, 11, 12], journal=[4, 4, 4]),
    )
    out = sign_journal_mismatch(data).set_index("school_id")
    assert out.loc["weak", "rho"] < 0 and out.loc["weak", "p_value"] > 0.05
    assert out["flag"].to_dict() == {"flat": False, "ok": False, "weak": True}
    assert out.loc["flat", "note"].startswith("корреляция не определена")


def cohort_data():
    """Six schools, K chosen by hand; one pairs the autumn grade-4 work with spring grade 5."""
    k = {"s1": 0.8, "s2": 0.9, "s3": 1.0, "s5": 1.1, "fall": 2.5}
    frames = []
    for school, kk in k.items():  # grade 5 scores 8 of 20 (40 %), grade 4 scores 8·K of 20
        frames.append(pupils(school, [8 * kk] * 3, year=2022, grade=4))
        frames.append(pupils(school, [8.0] * 3, year=2023, grade=5))
    # autumn of the school year 2022/23: 5th-graders write the grade-4 work (dated 2023)
    frames.append(pupils("aut", [8.0] * 3, year=2023, grade=5, work_grade=4, session="осень"))
    frames.append(pupils("aut", [8.0] * 3, year=2023, grade=5))
    frames.append(pupils("alone", [8.0] * 3, year=2023, grade=4))  # no grade 5 in 2024
    return concat(*frames)


# maximum scores by the year a КИМ was written: the autumn work of 2022/23 is 2022's
MAX_BY_YEAR = pd.DataFrame(
    {"subject": MATH, "grade": [4, 5], "year": [2022, 2023], "max_score": [20, 20]}
)


def test_cohort_sign_k_quartiles_and_fences_by_hand():
    out = sign_cohort_change(cohort_data(), max_scores=MAX_BY_YEAR).set_index("school_id")
    assert sorted(out.index) == ["aut", "fall", "s1", "s2", "s3", "s5"]
    # K = S4 / S5, S in per cent of the maximum
    assert out.loc["fall", "s_grade4"] == pytest.approx(100.0)
    assert out.loc["fall", "s_grade5"] == pytest.approx(40.0)
    assert out["k"].to_dict() == pytest.approx(
        {"aut": 1.0, "fall": 2.5, "s1": 0.8, "s2": 0.9, "s3": 1.0, "s5": 1.1}
    )
    assert out.loc["aut", ["year_grade4", "session_grade4", "year", "session"]].tolist() == [
        2023,
        "осень",
        2023,
        "весна",
    ]
    # quartiles over the whole sample of one pair of works (spring 2022 → spring 2023):
    # K sorted 0.8 0.9 1.0 1.1 2.5; Q1 at position 1 → 0.9, Q3 at position 3 → 1.1
    # (linear, КВАРТИЛЬ.ВКЛ); IQR 0.2; upper 1.1 + 3·0.2 = 1.7; lower 0.9 − 0.6 = 0.3
    assert out.loc["s1", ["q25", "q75", "iqr"]].tolist() == pytest.approx([0.9, 1.1, 0.2])
    assert out.loc["s1", ["upper", "lower"]].tolist() == pytest.approx([1.7, 0.3])
    # the autumn pair is its own sample (another pair of КИМ): one school, IQR 0, no mark
    assert out.loc["aut", ["q25", "q75", "iqr"]].tolist() == pytest.approx([1.0, 1.0, 0.0])
    assert not out.loc["aut", "flag"]


def test_cohort_sign_fires_on_the_fall():
    out = sign_cohort_change(cohort_data(), max_scores=MAX_BY_YEAR)
    assert out.loc[out["flag"], "school_id"].tolist() == ["fall"]
    assert out.loc[out["flag"], "direction"].tolist() == ["резкое падение"]


@pytest.fixture
def index_data():
    return concat(
        pupils("A", [18, 19, 20, 19, 18], journal=[4, 4, 5, 5, 5]),  # (a)
        pupils("B", [8, 9, 10, 11, 12], journal=[5, 5, 4, 3, 3]),  # (b)
        pupils("C", [8, 9, 10, 11, 12], journal=[3, 3, 4, 4, 5]),
        pupils("D", [9, 8, 11, 12, 10], journal=[3, 3, 4, 5, 4]),
        pupils("E", [20], journal=[2]),  # one pupil: nothing can be judged
    )


def test_federal_index_by_hand(index_data):
    res = objectivity_index(index_data, max_scores=MAX_BY_YEAR)
    assert res.method == FEDERAL_LABEL
    row = res.region.iloc[0]
    # A and B marked by one sign each; E not judged, outside the denominator: 100 − 100·2/4
    assert (row["n_schools"], row["n_flagged"]) == (4, 2)
    assert row["index"] == pytest.approx(50.0)
    schools = res.schools.set_index("school_id")
    assert schools.loc["A", "message"] == (
        f"{MESSAGE_FLAGGED} — признак «завышенные значения среднего балла»: 4 МА"
    )
    assert not schools.loc["E", "evaluated"]
    # our stricter reading marks none: single signs do not coincide
    tri = objectivity_triage(index_data, max_scores=MAX_BY_YEAR)
    assert tri.region.loc[0, "n_flagged"] == 0
    assert objectivity_index(index_data, max_scores=MAX_BY_YEAR, method="edu_quality").method == (
        tri.method
    )
    assert "правило edu_quality (строже федеральной методики)" == tri.method


def test_works_table_and_comparison(index_data):
    res = objectivity_index(index_data, max_scores=MAX_BY_YEAR)
    wide = works_table(res).set_index("ОО")
    assert list(wide.columns) == [
        "Год",
        "Завышенный средний балл: 4 МА",
        "Несоответствие ВПР и отметок: 4 МА",
    ]
    assert wide.loc["A", "Завышенный средний балл: 4 МА"] == "да"
    assert wide.loc["B", "Несоответствие ВПР и отметок: 4 МА"] == "да"
    assert wide.loc["E", "Несоответствие ВПР и отметок: 4 МА"] == "—"
    official = pd.DataFrame({"логин": ["A", "C", "Z"], "работа": ["4 МА", "4 РУ", "5 МА"]})
    cmp = compare_with_list(res, official)
    school = cmp.summary.set_index("level").loc["ОО"]
    # ours {A, B}; official judged {A, C} (Z not in the data): both {A}
    assert school[["n_official", "n_judged", "n_ours", "n_both"]].tolist() == [3, 2, 2, 1]
    assert (school["precision"], school["recall"]) == (0.5, 0.5)
    work = cmp.summary.set_index("level").loc["ОО × работа"]
    assert (work["n_both"], work["recall"]) == (1, 0.5)
    status = cmp.schools.set_index("school_id")["status"]
    assert status["C"].endswith("ни один признак не срабатывает по этим данным")
    assert status["Z"].endswith("не оценивалась")
    assert "завышенные" in cmp.schools.set_index("school_id").loc["A", "signs"]


@pytest.mark.slow
@pytest.mark.skipif(not ALTAI.is_dir(), reason=f"нет папки с реальными данными {ALTAI}")
def test_altai_2021_federal_index(tmp_path):
    from edu_quality.dataset import load_dataset
    from edu_quality.fisoko import import_fisoko

    import_fisoko(
        ALTAI / "schools_registry.xlsx",
        ALTAI / "context_2022.xlsx",
        [ALTAI / "vpr_2021"],
        tmp_path,
        invalid_results="exclude",
        workers=2,
    )
    r = load_dataset(tmp_path).results
    fed = objectivity_index(r).region.set_index("year").loc[2021]
    # measured: 247 of 639 schools marked, index 61,3 (sign (a) on 246 schools)
    # A correct method must give a lower index than the t-interval reading of sign (a)
    # alone (normal intervals are narrower, and (b) only adds marks), which is 67,7 with
    # at least 5 pupils per work, and must mark more than a quarter of the schools
    # (sign (a) compares levels: about a third of the schools lie above the region).
    t_only = sign_high_mean(r, interval="t", min_n=5)
    t_marked = t_only.loc[t_only["flag"], "school_id"].nunique()
    assert fed["n_flagged"] >= t_marked
    assert 50 < fed["index"] < 100 - 100 * t_marked / fed["n_schools"] + 1e-9
    assert 55 <= fed["index"] <= 70


def test_read_official_list_long_and_wide(tmp_path):
    from edu_quality.errors import DataError
    from edu_quality.io import read_official_list

    wide = tmp_path / "wide.csv"
    wide.write_text("логин;4 РУ;4 МА;5 РУ\nA;да;;нет\nB;;+;1\nC;;;\n", encoding="utf-8")
    got = read_official_list(wide)
    assert got[["school_id", "work"]].astype(object).where(got.notna(), None).values.tolist() == [
        ["A", "4 РУ"],
        ["B", "4 МА"],
        ["B", "5 РУ"],
        ["C", None],
    ]
    bad = tmp_path / "bad.csv"
    bad.write_text("Код ОО;5 МА\nA;может быть\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"строка 2, столбец «5 МА»: значение «может быть»"):
        read_official_list(bad)


def test_report_comparison_with_official_list(tmp_path):
    from edu_quality.demo import sample_folder
    from edu_quality.report import report_data
    from edu_quality.report import sections as s

    data = report_data(sample_folder("region"), 2024)
    listed = tmp_path / "list.csv"
    listed.write_text("Код ОО;Работа\n01004;4 РУ\n01003;5 МА\n", encoding="utf-8")
    sec = s.objectivity_municipality_section(data, "Северный район", str(listed))
    signs = sec.tables["objectivity_signs"]
    names = signs["Школа"].tolist()
    assert names == sorted(names, key=name_order)  # by name, never by result
    assert {"4 РУ", "4 МА", "5 РУ", "5 МА"} <= set(signs.columns)
    row = signs.set_index("Школа").loc["МБОУ «СОШ № 1»"]  # 01004
    assert row["4 РУ"] == "а, б" and row["Итог"] == MESSAGE_FLAGGED
    summary = sec.tables["official_summary"].set_index("Уровень")
    assert summary.loc["ОО", "В списке"] == "2" and summary.loc["ОО", "Совпало"] == "1"
    schools = sec.tables["official_schools"].set_index("Школа")["Итог"].to_dict()
    assert schools["МБОУ «СОШ № 1»"] == "в официальном списке; признаки срабатывают"
    # no school mean or correlation is shown: only letters, «нет», «—»
    cells = set(signs.drop(columns=["Школа", "Итог"]).to_numpy().ravel())
    assert cells <= {"а", "б", "в", "а, б", "а, в", "б, в", "а, б, в", "нет", "—"}
    line = s.objectivity_section(data, "01004", str(listed)).html()
    assert "Школа входит в официальный список ОО с признаками необъективности" in line
    assert (
        "Школа входит в официальный список"
        not in s.objectivity_section(data, "01001", str(listed)).html()
    )


def test_year_without_a_scale_is_one_line_naming_it_and_the_parameter():
    res = pd.concat(
        [pupils(s, [10, 12, 14], year=2022, grade=4) for s in "AB"]
        + [pupils(s, [10, 12, 14], year=2023, grade=5) for s in "AB"],
        ignore_index=True,
    )
    with pytest.raises(DataError) as info:  # the shipped scales stop at 2021
        objectivity_index(res)
    text = str(info.value)
    assert "\n" not in text and "нет шкал ВПР 2022, 2023 гг." in text
    assert "max_scores=" in text and "scales=" in text


@pytest.mark.slow
def test_sample_region_objectivity_with_its_own_scales():
    import edu_quality as eq
    from edu_quality.demo import sample_folder

    ds = eq.load_dataset(sample_folder("region"))
    m = ds.max_scores()
    assert {2021, 2022, 2023, 2024} <= set(m["year"])
    fed = eq.objectivity_index(ds.results, max_scores=m).region
    assert fed["year"].tolist() == [2021, 2022, 2023, 2024]
    assert fed["index"].between(0, 100).all()

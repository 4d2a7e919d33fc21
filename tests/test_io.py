"""Loaders: every quirk of methodologists' files, and one bad-input test per error kind."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

import edu_quality as eq
from edu_quality import DataError

PUPILS_HEADER = "Учебный год;Процедура;Предмет;Класс;Код ОО;Код участника;ФИО;Первичный балл;Отметка;Отметка по журналу"


def pupils_csv(*rows: str) -> str:
    return "\n".join([PUPILS_HEADER, *rows]) + "\n"


# ------------------------------------------------------------------ encodings, separators


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_schools_any_encoding_and_separator(write, encoding, sep):
    text = sep.join(["Код ОО", "Наименование ОО", "Муниципалитет", "Группа", "Местность"]) + "\n"
    text += sep.join(["5", "МБОУ «СОШ № 5»", "МОГО «Инта»", "СОШ", "город"]) + "\n"
    text += sep.join(["7", "МКОУ «Ёлкинская ООШ»", "МОГО «Инта»", "малокомплектная", "село"]) + "\n"
    df = eq.read_schools(write("schools.csv", text, encoding))
    assert df["school_id"].tolist() == ["5", "7"]
    assert df["name"].tolist() == ["МБОУ «СОШ № 5»", "МКОУ «Ёлкинская ООШ»"]
    assert df["group"].tolist() == ["обычная", "малокомплектная сельская"]
    assert df["locality"].tolist() == ["город", "село"]


def test_headers_any_case_and_stray_spaces(write):
    text = "  КОД  оо ;НАИМЕНОВАНИЕ ОО\xa0; муниципалитет \n5;Школа;Инта\n"
    df = eq.read_schools(write("s.csv", text))
    assert list(df.columns[:3]) == ["school_id", "name", "municipality"]


def test_title_rows_above_header_are_skipped(write):
    text = "Реестр школ МОГО «Инта»\nпо состоянию на 01.09.2022\n\nКод ОО;Наименование ОО;Муниципалитет\n5;Школа;Инта\n"
    assert eq.read_schools(write("s.csv", text))["school_id"].tolist() == ["5"]


def test_decimal_comma_percent_and_spaces_in_numbers(write):
    text = (
        "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников;2;Средний балл\n"
        "2021-2022;ОГЭ;Математика;9;5;1\xa0024;12;12,5\n"
        '2021/22;ОГЭ;Русский язык;9;5;" 24 ";0;25\n'
    )
    df = eq.read_results(write("r.csv", text))
    assert df["participants"].tolist() == [1024, 24]
    assert df["mean_score"].tolist() == [12.5, 25.0]
    assert df["year"].tolist() == [2022, 2022]


@pytest.mark.parametrize(
    ("written", "year"),
    [
        ("2021-2022", 2022),
        ("2021/22", 2022),
        ("2021/2022", 2022),
        ("2022", 2022),
        ("2021 - 2022 уч. г.", 2022),
        ("2022 г.", 2022),
        ("2019-2020", 2020),
    ],
)
def test_school_year_means_calendar_year_of_its_end(write, written, year):
    text = f"Код ОО;Учебный год;Уровень;Обучающихся\n5;{written};НОО;100\n"
    assert eq.read_enrolment(write("e.csv", text)).loc[0, "year"] == year


def test_year_span_that_is_not_one_year_is_an_error(write):
    text = "Код ОО;Учебный год;Уровень;Обучающихся\n5;2020-2022;НОО;100\n"
    with pytest.raises(DataError, match=r"строка 2, столбец «Учебный год»: значение «2020-2022»"):
        eq.read_enrolment(write("e.csv", text))


def test_percent_shares_in_context(write):
    text = "Код ОО;Учебный год;tzhs;доля обучающихся из многодетных семей (3 и более детей)\n8;2022-2023;29,3 %;0,12\n"
    df = eq.read_context(write("context.csv", text))
    assert df.loc[0, "tzhs"] == pytest.approx(0.293)
    assert df.loc[0, "large_family"] == pytest.approx(0.12)  # Russian label → canonical name


def test_marks_written_as_text_and_words(write):
    text = pupils_csv(
        "2021;ВПР;Математика;4;5;1;Иванов Иван;12;«5»;отлично",
        "2021;ВПР;Математика;4;5;2;Петров Пётр;8;3;удовл",
        "2021;ВПР;Математика;4;5;3;Сидоров Сидор;2;неуд;нет отметки",
        "2021;ВПР;Математика;4;5;4;Кузнецов Кузьма;9;4.0;4",
    ).replace("«5»", "5")
    df = eq.read_results(write("r.csv", text))
    assert df["mark"].tolist() == [5, 3, 2, 4]
    assert df["journal_mark"].tolist()[:2] == [5, 3]
    assert pd.isna(df["journal_mark"].iloc[2])


def test_pupil_names_are_dropped_and_never_stored(write):
    text = pupils_csv("2021;ВПР;Математика;4;5;17;Иванов Иван Иванович;12;4;4")
    df = eq.read_results(write("r.csv", text))
    assert "Иванов" not in df.to_csv()
    assert not any("фио" in c.lower() for c in df.columns)
    assert df.attrs["kind"] == "pupils"


def test_pupil_ids_hashed_with_a_key(write, monkeypatch):
    text = pupils_csv("2021;ВПР;Математика;4;5;17;;12;4;4", "2022;ВПР;Математика;5;5;17;;10;4;4")
    plain = eq.read_results(write("r.csv", text))
    assert plain["pupil_id"].tolist() == ["17", "17"]
    hashed = eq.read_results(write("r.csv", text), pseudonymize_ids="secret")
    assert hashed["pupil_id"].iloc[0] == hashed["pupil_id"].iloc[1] != "17"
    monkeypatch.setenv("EDU_QUALITY_PUPIL_KEY", "secret")
    assert eq.read_results(write("r.csv", text))["pupil_id"].tolist() == hashed["pupil_id"].tolist()
    monkeypatch.setenv("EDU_QUALITY_PUPIL_KEY", "other")
    assert eq.read_results(write("r.csv", text))["pupil_id"].iloc[0] != hashed["pupil_id"].iloc[0]


def test_assessment_filled_and_normalised(write):
    text = "Учебный год;Предмет;Класс;Код ОО;Количество участников\n2022;Математика;9;5;24\n"
    assert eq.read_results(write("r.csv", text), assessment="гиа-9").loc[0, "assessment"] == "ОГЭ"
    text2 = "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников\n2022;огэ;Математика;9;5;24\n"
    assert eq.read_results(write("r2.csv", text2)).loc[0, "assessment"] == "ОГЭ"


def test_every_canonical_column_present_even_when_absent_from_file(write):
    text = "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников;2\n2022;ОГЭ;Математика;9;5;24;15\n"
    df = eq.read_results(write("r.csv", text))
    assert {"n3", "n4", "n5", "not_admitted", "mean_score"} <= set(df.columns)
    assert df[["n3", "n4", "n5"]].isna().all().all()  # unknown, never 0


# ------------------------------------------------------------------ Excel


def test_xlsx_with_title_row_numbers_and_dates(write_xlsx):
    path = write_xlsx(
        "enrolment.xlsx",
        [
            ["Контингент по уровням образования"],
            [],
            ["Код ОО", "Учебный год", "Уровень образования", "Количество обучающихся"],
            [5, "2022-2023", "НОО", 88.0],
            ["6", 2023, "ООО", "48"],
            [8, datetime(2022, 9, 1), "СОО", 41],  # a date in the school year 2022/23
            [8, datetime(1905, 7, 15), "НОО", 186],  # 2023 typed into a date-formatted cell
        ],
    )
    df = eq.read_enrolment(path)
    assert df["school_id"].tolist() == ["5", "6", "8", "8"]
    assert df["year"].tolist() == [2023] * 4
    assert df["pupils"].tolist() == [88, 48, 41, 186]


def test_xlsx_error_reports_excel_row_number(write_xlsx):
    path = write_xlsx(
        "enrolment.xlsx",
        [
            ["Заголовок отчёта"],
            ["Код ОО", "Учебный год", "Уровень", "Обучающихся"],
            [5, "2022-2023", "НОО", 88],
            [6, "2022-2023", "НОО", -3],
        ],
    )
    with pytest.raises(DataError) as info:
        eq.read_enrolment(path)
    err = info.value
    assert (err.file, err.row, err.column) == ("enrolment.xlsx", 4, "Обучающихся")
    assert "отрицательное" in str(err)


def test_xlsx_first_visible_sheet_and_named_sheet(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    hidden = wb.active
    hidden.title = "служебный"
    hidden.append(["мусор"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("Реестр")
    ws.append(["Код ОО", "Наименование ОО", "Муниципалитет"])
    ws.append([5, "Школа", "Инта"])
    path = tmp_path / "schools.xlsx"
    wb.save(path)
    assert eq.read_schools(path)["school_id"].tolist() == ["5"]
    assert eq.read_schools(path, sheet="Реестр")["school_id"].tolist() == ["5"]
    with pytest.raises(DataError, match="нет листа «Другой»"):
        eq.read_schools(path, sheet="Другой")


def test_parquet_roundtrip(tmp_path):
    df = pd.DataFrame({"school_id": ["5"], "year": [2023], "level": ["НОО"], "pupils": [88]})
    path = tmp_path / "enrolment.parquet"
    df.to_parquet(path)
    assert eq.read_enrolment(path)["pupils"].tolist() == [88]


# ------------------------------------------------------------------ errors: file, row, column


def test_mark_out_of_range(write):
    text = pupils_csv(
        *[f"2021;ВПР;Математика;4;5;{i};;10;4;4" for i in range(1, 12)],
        "2021;ВПР;Математика;4;5;12;;10;6;4",
    )
    with pytest.raises(DataError) as info:
        eq.read_results(write("results.csv", text))
    err = info.value
    assert (err.file, err.row, err.column) == ("results.csv", 13, "Отметка")
    assert (
        str(err)
        == "results.csv, строка 13, столбец «Отметка»: значение «6»: отметка вне диапазона 2–5"
    )
    assert isinstance(err, ValueError)


def test_all_problems_reported_not_only_the_first(write):
    text = pupils_csv(
        "2021;ВПР;Математика;4;5;1;;10;7;4",
        "2021;ВПР;Математика;4;5;2;;abc;4;4",
        "2021;ВПР;Математика;4;5;3;;10;4;9",
    )
    with pytest.raises(DataError) as info:
        eq.read_results(write("results.csv", text))
    found = {(p.row, p.column) for p in info.value.problems}
    # the unparsable score is reported first (it stops validation), with its place
    assert (3, "Первичный балл") in found


def test_range_problems_all_listed(write):
    text = pupils_csv(
        "2021;ВПР;Математика;4;5;1;;10;7;4",
        "2021;ВПР;Математика;4;5;2;;10;4;4",
        "2021;ВПР;Математика;4;5;3;;10;4;9",
    )
    with pytest.raises(DataError) as info:
        eq.read_results(write("results.csv", text))
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {(2, "Отметка"), (4, "Отметка по журналу")}
    assert info.value.total == 2


def test_unparsable_number(write):
    text = "Код ОО;Учебный год;Уровень;Обучающихся\n5;2023;НОО;много\n"
    with pytest.raises(
        DataError,
        match=r"строка 2, столбец «Обучающихся»: значение «много» не распознано: ожидается целое число",
    ):
        eq.read_enrolment(write("e.csv", text))


def test_fractional_count(write):
    text = "Код ОО;Учебный год;Уровень;Обучающихся\n5;2023;НОО;12,5\n"
    with pytest.raises(DataError, match="строка 2, столбец «Обучающихся»"):
        eq.read_enrolment(write("e.csv", text))


def test_duplicated_pupils(write):
    text = pupils_csv(
        "2021;ВПР;Математика;4;5;1;;10;4;4",
        "2021;ВПР;Математика;4;5;2;;10;4;4",
        "2021;ВПР;Математика;4;5;1;;11;4;4",
    )
    with pytest.raises(DataError) as info:
        eq.read_results(write("results.csv", text))
    rows = sorted(p.row for p in info.value.problems)
    assert rows == [2, 4]
    # the key's columns as the file heads them; the session the file lacks (spring) by its label
    assert info.value.problems[0].message == (
        "повторяющаяся запись: совпадают Учебный год, Сессия, Процедура, Предмет, Класс, "
        "Код ОО, Код участника"
    )


def test_participants_fewer_than_sum_of_marks(write):
    text = (
        "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников;2;3;4;5\n"
        "2022;ОГЭ;Математика;9;5;24;15;5;3;1\n"
        "2022;ОГЭ;Математика;9;6;7;6;1;1;0\n"
    )
    with pytest.raises(DataError) as info:
        eq.read_results(write("oge.csv", text))
    assert info.value.row == 3
    assert "участников меньше, чем сумма отметок" in str(info.value)


def test_share_outside_0_1(write):
    text = "Код ОО;Учебный год;tzhs\n8;2023;29,3\n"
    with pytest.raises(DataError) as info:
        eq.read_context(write("context.csv", text))
    assert (info.value.row, info.value.column) == (2, "tzhs")
    assert "вне диапазона 0–1" in str(info.value)


def test_missing_required_column(write):
    text = "Код ОО;Муниципалитет\n5;Инта\n"
    with pytest.raises(DataError) as info:
        eq.read_schools(write("schools.csv", text))
    assert info.value.column == "Наименование ОО"
    assert "нет обязательного столбца «Наименование ОО»" in str(info.value)


def test_empty_file(write):
    with pytest.raises(DataError, match="schools.csv.*пуст"):
        eq.read_schools(write("schools.csv", "  \n"))


def test_corrupt_xlsx(tmp_path):
    path = tmp_path / "schools.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(DataError, match="schools.xlsx.*повреждён"):
        eq.read_schools(path)


def test_no_header_found(write):
    with pytest.raises(DataError, match="не найдена строка заголовков"):
        eq.read_schools(write("schools.csv", "a;b;c\n1;2;3\n"))


def test_unknown_category(write):
    text = "Код ОО;Наименование ОО;Муниципалитет;Группа\n5;Школа;Инта;частная\n"
    with pytest.raises(DataError, match=r"строка 2, столбец «Группа»: значение «частная»"):
        eq.read_schools(write("schools.csv", text))


def test_empty_required_value(write):
    text = "Код ОО;Наименование ОО;Муниципалитет\n5;Школа;\n"
    with pytest.raises(DataError, match=r"строка 2, столбец «Муниципалитет»: пустое значение"):
        eq.read_schools(write("schools.csv", text))


def test_row_numbers_count_blank_lines(write):
    text = "Код ОО;Учебный год;Уровень;Обучающихся\n5;2023;НОО;1\n\n6;2023;НОО;x\n"
    with pytest.raises(DataError) as info:
        eq.read_enrolment(write("e.csv", text))
    assert info.value.row == 4


def test_value_in_a_column_without_header_is_refused(write):
    text = "Код ОО;Учебный год;Уровень;Обучающихся\n5;2023;НОО;1\n6;2023;НОО;1;лишнее\n"
    with pytest.raises(DataError) as info:
        eq.read_enrolment(write("e.csv", text))
    assert (info.value.row, info.value.column) == (3, "№ 5")


def test_trailing_separators_are_layout(write):
    text = "Отчёт;;;;;\nКод ОО;Учебный год;Уровень;Обучающихся;;\n5;2023;НОО;1;;\n6;2023;НОО;2;;;\n"
    assert eq.read_enrolment(write("e.csv", text))["pupils"].tolist() == [1, 2]


def test_error_list_is_capped_with_a_count(write):
    rows = [f"2021;ВПР;Математика;4;5;{i};;10;7;4" for i in range(200)]
    with pytest.raises(DataError) as info:
        eq.read_results(write("results.csv", pupils_csv(*rows)))
    assert info.value.total == 200
    assert len(info.value.problems) == eq.errors.MAX_PROBLEMS
    assert "и ещё 150" in str(info.value)


def test_input_file_unchanged_and_returns_new_frame(write):
    path = write("e.csv", "Код ОО;Учебный год;Уровень;Обучающихся\n5;2023;НОО;1\n")
    before = path.read_bytes()
    df = eq.read_enrolment(path)
    assert path.read_bytes() == before
    assert df["year"].dtype == np.int64


def test_empty_rows_of_a_parquet_file_are_dropped_as_in_a_csv(tmp_path):
    table = pd.DataFrame(
        {
            "Код ОО": ["1", None, "2"],
            "Наименование": ["Школа 1", None, "Школа 2"],
            "Муниципалитет": ["Инта", None, "Инта"],
        }
    )
    table.to_parquet(tmp_path / "schools.parquet", index=False)
    table.to_csv(tmp_path / "schools.csv", sep=";", index=False)
    from_parquet = eq.read_schools(tmp_path / "schools.parquet")
    from_csv = eq.read_schools(tmp_path / "schools.csv")
    assert from_parquet["school_id"].tolist() == from_csv["school_id"].tolist() == ["1", "2"]


@pytest.mark.parametrize("problem", [None, "header", "total", "unknown", "empty"])
def test_parquet_text_read_as_categories_is_read_and_checked_as_in_a_csv(tmp_path, problem):
    # a Parquet file's subjects, works and school codes are read as categoricals (its
    # dictionary): the cells the same once parsed, the same problems found, whether the
    # table keeps them as categoricals (a dataset) or as text (the reader)
    from edu_quality.dataset.tables import compact
    from edu_quality.io.raw import read_raw
    from edu_quality.io.results import load_results
    from edu_quality.schema import RESULTS_PUPILS

    n = 2_500  # enough rows for each distinct value to be parsed once
    rng = np.random.default_rng(5)
    table = pd.DataFrame(
        {
            "Учебный год": rng.choice(["2023-2024", "2024"], n),
            "Процедура": rng.choice(["ВПР", "впр ", "ВПР"], n),
            "Предмет": rng.choice(["Математика", " Русский язык", "История"], n),
            "Класс": "5",
            "Код ОО": rng.choice([" 12", "0007", "5", "12\xa0"], n),
            "Код участника": [f"P{i:05d}" for i in range(n)],
            "Отметка": rng.choice(["2", "3", "4", "5"], n),
            "Пол": rng.choice(["м", "ж", None], n),
        },
        dtype="str",
    )
    if problem == "header":  # a second table below the first
        table.iloc[1_000] = table.columns
    elif problem == "total":
        table.loc[2_000, "Код ОО"] = "Итого по району"
    elif problem == "unknown":
        table.loc[[3, 30], "Процедура"] = "Олимпиада"
    elif problem == "empty":  # a required cell empty: found by the schema's checks
        table.loc[[7, 70], "Код ОО"] = None
    parquet, csv = tmp_path / "results.parquet", tmp_path / "results.csv"
    table.to_csv(csv, sep=";", index=False)
    # a column written as categories, one of them («99») of no cell
    codes = table["Код ОО"].astype("category").cat.add_categories("99")
    table.assign(**{"Код ОО": codes}).to_parquet(parquet, index=False)

    raw = read_raw(parquet, None, [RESULTS_PUPILS])
    kept = [raw.headers[c] for c in raw.data.columns if raw.data[c].dtype == "category"]
    assert kept == ["Процедура", "Предмет", "Код ОО", "Пол"]
    reads = {
        "csv": lambda: load_results(csv).table,
        "text": lambda: load_results(parquet).table,
        "categories": lambda: load_results(parquet, categorical=True).table,
    }
    if problem is None:
        got = {name: read() for name, read in reads.items()}
        pd.testing.assert_frame_equal(got["text"], got["csv"])
        held = got["categories"][["assessment", "subject", "school_id", "gender"]]
        assert all(isinstance(t, pd.CategoricalDtype) for t in held.dtypes)
        pd.testing.assert_frame_equal(
            compact(got["categories"], RESULTS_PUPILS), compact(got["csv"], RESULTS_PUPILS)
        )
        return
    errors = []
    for read in reads.values():
        with pytest.raises(DataError) as info:
            read()
        errors.append(str(info.value).replace(csv.name, "FILE").replace(parquet.name, "FILE"))
    assert errors[0] == errors[1] == errors[2]
    assert {
        "header": "повтор строки заголовков",
        "total": "строка итогов",
        "unknown": "Олимпиада",
        "empty": "пустое значение",
    }[problem] in errors[0]


def test_a_part_of_the_columns_read_again(tmp_path):
    """``columns``: of a Parquet file only the columns naming them are read, its empty rows
    kept (the caller compares the rows); other files are parsed for these columns alone."""
    from edu_quality.io.load import load
    from edu_quality.io.raw import read_raw
    from edu_quality.io.results import load_results
    from edu_quality.schema import RESULTS_AGGREGATED, RESULTS_PUPILS

    table = pd.DataFrame(
        {
            "Год": ["2024", None, "2024"],
            "Процедура": ["ВПР", None, "ВПР"],
            "Предмет": ["Математика", None, "История"],
            "Класс": ["5", None, "5"],
            "Код ОО": ["12", None, "7"],
            "Код участника": ["P1", None, "P2"],
            "Отметка": ["4", None, "3"],
        }
    )
    parquet, csv = tmp_path / "r.parquet", tmp_path / "r.csv"
    table.to_parquet(parquet, index=False)
    table.to_csv(csv, sep=";", index=False)
    raw = read_raw(parquet, None, [RESULTS_PUPILS, RESULTS_AGGREGATED], columns=["mark", "grade"])
    assert raw.headers == ["Класс", "Отметка"] and len(raw.data) == 3
    indexed = tmp_path / "indexed.parquet"  # a column kept as the index: left out, as before
    table.set_index("Отметка").to_parquet(indexed)
    assert read_raw(indexed, None, [RESULTS_PUPILS], columns=["mark", "grade"]).headers == ["Класс"]
    whole = load_results(csv).table
    for path in (parquet, csv):
        part = load_results(path, checks=False, columns=["school_id", "mark"]).table
        expected = whole[["school_id", "mark"]]
        if path == parquet:  # the empty row is there: a part of the columns cannot tell
            part = part.drop(index=1).reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
    with pytest.raises(ValueError, match="without its checks"):
        load(parquet, [RESULTS_PUPILS], columns=["mark"])


def test_parquet_index_named_as_a_column_is_left_out_as_before(tmp_path):
    # pandas writes a named index as a column of the file; the readers leave it out
    table = pd.DataFrame(
        {
            "Учебный год": [2024, 2024],
            "Процедура": "ВПР",
            "Предмет": "Математика",
            "Класс": 5,
            "Код ОО": "S1",
            "Код участника": ["P1", "P2"],
            "Отметка": [4, 5],
            "Уровень": ["базовый", "высокий"],
        }
    )
    table.set_index("Уровень").to_parquet(tmp_path / "level.parquet")
    got = eq.read_results(tmp_path / "level.parquet")
    assert got["level"].isna().all() and got["mark"].tolist() == [4, 5]
    table.set_index("Код ОО").to_parquet(tmp_path / "school.parquet")
    with pytest.raises(DataError, match="нет обязательного столбца «Код ОО»"):
        eq.read_results(tmp_path / "school.parquet")


@pytest.mark.parametrize("meta", [b"{bad", b"[1, 2]", b'{"index_columns": 5}'])
def test_parquet_with_broken_pandas_metadata_is_a_damaged_file(tmp_path, meta):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "Учебный год": [2024],
            "Процедура": ["ВПР"],
            "Предмет": ["Математика"],
            "Класс": [5],
            "Код ОО": ["S1"],
            "Код участника": ["P1"],
            "Отметка": [4],
        }
    )
    pq.write_table(table.replace_schema_metadata({b"pandas": meta}), tmp_path / "r.parquet")
    with pytest.raises(DataError, match="файл Parquet повреждён"):
        eq.read_results(tmp_path / "r.parquet")


def test_tables_read_on_threads_at_once_in_a_new_process():
    """The first tables validated on several threads at once import pandera one thread
    at a time: two imports at once deadlock in pandera's own modules (Python stops it with
    an error), as they did for files read in a thread pool."""
    import subprocess
    import sys

    code = """
from concurrent.futures import ThreadPoolExecutor
import edu_quality as eq
from edu_quality.demo import sample_folder
folder = sample_folder("region")
jobs = [(eq.read_results, "results_vpr.csv"), (eq.read_results, "results_oge.csv"),
        (eq.read_schools, "schools.csv")]
with ThreadPoolExecutor(len(jobs)) as pool:
    futures = [pool.submit(read, folder / name) for read, name in jobs]
    print(sum(len(f.result()) for f in futures))
"""
    for _ in range(2):  # each in a new interpreter: nothing of pandera imported before
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert int(done.stdout) > 1000

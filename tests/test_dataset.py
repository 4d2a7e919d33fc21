"""load_dataset: the Inta files, cross-table checks, indicators."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from _helpers import SAMPLES

import edu_quality as eq
from edu_quality.indicators import evaluate_indicators


@pytest.fixture(scope="module")
def inta():
    return eq.load_dataset(SAMPLES / "inta")


def test_inta_tables(inta):
    names = set(inta.schools["name"])
    assert {"МБОУ «СОШ № 5»", "МБОУ «СОШ № 6»", "МБОУ «СОШ № 8»"} <= names
    assert inta.results.empty and len(inta.aggregates) == 12
    assert inta.years == [2019, 2020, 2021, 2022]
    # Inta seed: risk profiles, six factors × three schools
    rp = inta.risk_profiles
    assert len(rp) == 18 and rp["risk_factor"].nunique() == 6
    row = rp.query("school_id == 'INT06' and risk_factor.str.startswith('Высокая доля')").iloc[0]
    assert (row["score"], row["significance"]) == (6, "высокая")
    # teacher categories (2022-2023): highest 1/2/1, first 6/3/11
    staff = inta.staff.query("year == 2023").set_index("school_id")
    assert staff.loc[["INT05", "INT06", "INT08"], "category_first"].tolist() == [6, 3, 11]
    # contingent features: 132 of 450 pupils of СОШ № 8 in a difficult life situation (29,3 %)
    ctx = inta.context.set_index("school_id")
    assert ctx.loc["INT08", "tzhs"] == pytest.approx(0.293)
    assert set(inta.plan["track"]) <= {"1", "2", "3"} and len(inta.plan) > 10
    assert inta.files["results"] == ["results_oge_math.csv"]


def test_inta_summary_text(inta):
    text = inta.summary()
    assert "школ: 6" in text and "ОГЭ: 2019: 3, 2020: 3, 2021: 3, 2022: 3" in text
    # row counts agree with the number: 3 строки, 42 строки, 12 строк
    assert "социальный контекст: 3 строки" in text
    assert "показатели программы: 42 строки" in text and "кадры: 12 строк" in text
    assert " строк(" not in text and "3 строк\n" not in text


def test_inta_indicators(inta):
    ev = evaluate_indicators(inta.indicators)
    assert set(ev["status"]) <= {"достигнут", "не достигнут", "нет данных"}
    share = ev.loc[ev["actual"].notna()].iloc[0]
    # 3 of 9 schools are ШНОР (33,3 %) against «не более 11 %»
    assert share["direction"] == "≤" and share["status"] == "не достигнут"
    assert share["shortfall"] == pytest.approx(33.3 - 11, abs=0.1)


def test_evaluate_indicators_directions():
    ind = pd.DataFrame(
        {
            "indicator": ["a", "b", "c", "d"],
            "scope": "x",
            "year": 2023,
            "target": [30.0, 30.0, 5.0, 5.0],
            "actual": [35.0, 20.0, 4.0, 7.0],
            "direction": ["≥", "≥", "≤", "≤"],
            "unit": "%",
        }
    )
    ev = evaluate_indicators(ind)
    assert ev["attained"].tolist() == [True, False, True, False]
    assert ev["shortfall"].tolist() == [0, 10, 0, 2]
    assert ev["gap"].tolist() == [5, -10, -1, 2]


def copy_inta(tmp_path):
    folder = tmp_path / "inta"
    shutil.copytree(SAMPLES / "inta", folder)
    return folder


def test_unknown_school_in_results(tmp_path):
    folder = copy_inta(tmp_path)
    path = folder / "results_oge_math.csv"
    text = path.read_bytes().decode("cp1251").replace("INT06", "INT99", 1)
    path.write_bytes(text.encode("cp1251"))
    with pytest.raises(eq.DataError) as info:
        eq.load_dataset(folder)
    err = info.value
    assert err.file == "results_oge_math.csv" and err.column == "Код ОО"
    assert "школа «INT99» не найдена в реестре" in str(err)
    assert err.row is not None and err.row > 2


def test_an_error_of_the_registry_comes_before_those_of_the_results(tmp_path):
    """A file of the results with an error too: the registry's error is the one shown."""
    folder = tmp_path / "region"
    shutil.copytree(SAMPLES / "region", folder)
    schools = folder / "schools.csv"
    lines = schools.read_text(encoding="utf-8").splitlines()
    schools.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # a school twice
    vpr = folder / "results_vpr.csv"
    text = vpr.read_text(encoding="utf-8").replace(",8.0,3,3,", ",8.0,7,3,", 1)  # a mark of 7
    vpr.write_text(text, encoding="utf-8")
    with pytest.raises(eq.DataError) as info:
        eq.load_dataset(folder)
    assert info.value.file == "schools.csv", str(info.value)
    schools.write_text("\n".join(lines) + "\n", encoding="utf-8")  # the results' error is real
    with pytest.raises(eq.DataError) as info:
        eq.load_dataset(folder)
    assert info.value.file == "results_vpr.csv", str(info.value)


def test_an_error_of_the_registry_comes_before_a_wrong_results_folder(tmp_path):
    folder = tmp_path / "region"
    shutil.copytree(SAMPLES / "region", folder)
    (folder / "schools.csv").write_text("bad;header\n1;2\n", encoding="utf-8")
    (folder / "results_extra").mkdir()  # a folder of results without a Parquet file
    with pytest.raises(eq.DataError) as info:
        eq.load_dataset(folder)
    assert info.value.file == "schools.csv", str(info.value)
    shutil.copy(SAMPLES / "region" / "schools.csv", folder / "schools.csv")
    with pytest.raises(eq.DataError) as info:  # the folder's own error, once the registry is right
        eq.load_dataset(folder)
    assert info.value.file == "results_extra", str(info.value)


def test_required_files(tmp_path):
    folder = copy_inta(tmp_path)
    (folder / "schools.xlsx").unlink()
    with pytest.raises(eq.DataError, match="нет файла «schools»"):
        eq.load_dataset(folder)


def test_two_files_for_one_table(tmp_path):
    folder = copy_inta(tmp_path)
    shutil.copy(folder / "staff.csv", folder / "STAFF.xlsx")
    with pytest.raises(eq.DataError, match="несколько файлов таблицы «staff»"):
        eq.load_dataset(folder)


def test_same_results_in_two_files(tmp_path):
    folder = copy_inta(tmp_path)
    shutil.copy(folder / "results_oge_math.csv", folder / "results_copy.csv")
    with pytest.raises(eq.DataError, match="в нескольких файлах"):
        eq.load_dataset(folder)


def test_optional_tables_empty_with_columns(tmp_path):
    folder = copy_inta(tmp_path)
    for name in ("context.csv", "staff.csv", "plan.xlsx"):
        (folder / name).unlink()
    ds = eq.load_dataset(folder)
    assert ds.context.empty and list(ds.context.columns) == ["school_id", "year"]
    assert ds.plan.empty and "measure" in ds.plan.columns


def test_excel_lock_files_ignored(tmp_path):
    folder = copy_inta(tmp_path)
    (folder / "~$schools.xlsx").write_bytes(b"lock")
    assert len(eq.load_dataset(folder).schools) == 6


def _region_with_vpr_counts(tmp_path, session: str):
    """The sample region, with the 2021 grade-5 ВПР of its first school also given as counts
    for ``session`` (the pupils' file holds the spring works, its session missing)."""
    folder = tmp_path / "region"
    shutil.copytree(SAMPLES / "region", folder)
    vpr = pd.read_csv(folder / "results_vpr.csv", dtype={"school_id": str})
    rows = vpr.loc[(vpr["year"] == 2021) & (vpr["grade"] == 5) & (vpr["school_id"] == "01001")]
    counts = (
        rows.groupby(["year", "assessment", "subject", "grade", "school_id"])["mark"]
        .agg(participants="count", n2=lambda m: int((m == 2).sum()))
        .reset_index()
        .assign(session=session)
    )
    counts.to_csv(folder / "results_vpr_counts.csv", index=False)
    return folder, len(counts)


def test_a_work_given_per_pupil_and_as_counts_is_refused(tmp_path):
    folder, n = _region_with_vpr_counts(tmp_path, "весна")
    with pytest.raises(eq.DataError) as err:
        eq.load_dataset(folder)
    text = str(err.value)
    assert "results_vpr_counts.csv" in text and "строка 2" in text
    assert "школы «01001» (ВПР, Математика, 5 кл., 2021) есть и по участникам" in text
    assert "«results_vpr.csv»" in text and "посчитаны дважды" in text


def test_autumn_counts_beside_the_spring_pupils_are_another_work(tmp_path):
    """The autumn and the spring works of a school year are two works: nothing is counted
    twice, and the autumn works are summarised apart."""
    folder, n = _region_with_vpr_counts(tmp_path, "осень")
    ds = eq.load_dataset(folder)
    assert len(ds.aggregates) == n
    s = eq.summarize_together(
        [ds.results, ds.aggregates], ["assessment", "subject", "grade", "year"]
    )
    autumn = s.loc[s["session"] == "осень"]
    assert len(autumn) == n and autumn["participants"].sum() == ds.aggregates["participants"].sum()
    spring = s.loc[(s["session"] == "весна") & (s["year"] == 2021) & (s["grade"] == 5)]
    assert (
        spring["participants"].sum()
        == eq.summarize(
            ds.results.loc[(ds.results["year"] == 2021) & (ds.results["grade"] == 5)], ["year"]
        )["participants"].sum()
    )


def test_years_of_a_table_without_results_are_noted(tmp_path):
    # the context and the staffing of a year no results have: said, the years named once
    folder = tmp_path / "region"
    shutil.copytree(SAMPLES / "region", folder)
    for name in ("context", "staff"):
        table = pd.read_csv(folder / f"{name}.csv", dtype={"school_id": str})
        extra = table.loc[table["year"] == table["year"].max()].assign(year=2031)
        pd.concat([table, extra, extra.assign(year=2030)]).to_csv(
            folder / f"{name}.csv", index=False
        )
    notes = eq.load_dataset(folder).notes
    assert "в таблице «context» есть годы без результатов: 2030, 2031" in notes
    assert "в таблице «staff» есть годы без результатов: 2030, 2031" in notes
    assert not any("enrolment" in n for n in notes)

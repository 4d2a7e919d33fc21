"""The edu-quality command: report commands, exit codes, one-line errors, Excel export."""

from __future__ import annotations

import json
import shutil
import sys

import pandas as pd
import pytest
from _helpers import SAMPLES

from edu_quality._checks import check_school_year
from edu_quality._russian import did_you_mean
from edu_quality.cli import build_parser, debug_on, main
from edu_quality.demo import sample_folder

REGION = sample_folder("region")  # results for 2021–2024, none for 2019


def test_help_for_every_command(capsys):
    for argv in (
        ["--help"],
        ["report", "--help"],
        ["report", "school", "--help"],
        ["report", "municipality", "--help"],
        ["report", "batch", "--help"],
        ["import", "fis-oko", "--help"],
    ):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert out.startswith("использование: edu-quality")
        assert "параметры:" in out and "показать эту справку и выйти" in out
        assert "\nПример" in out and "  edu-quality " in out.split("\nПример")[1]
        for english in ("usage:", "options:", "show this help", "positional arguments"):
            assert english not in out


@pytest.mark.slow
def test_report_school_with_excel(tmp_path, capsys):
    assert (
        main(
            [
                "report",
                "school",
                "--data",
                str(SAMPLES / "inta"),
                "--school",
                "INT06",
                "--year",
                "2022",
                "--out",
                str(tmp_path),
                "--xlsx",
            ]
        )
        == 0
    )
    assert (tmp_path / "school_INT06.html").exists()
    sheets = pd.read_excel(tmp_path / "school_INT06.xlsx", sheet_name=None)
    metrics = sheets["Показатели"]
    row = metrics.loc[metrics["Год"] == 2022].iloc[0]
    assert row["Доля «2»"] == pytest.approx(6 / 7)  # Inta seed: 6 of 7 with «2» in 2022
    assert "Статус" in sheets


def test_unknown_school_one_line_error(tmp_path, capsys):
    code = main(
        [
            "report",
            "school",
            "--data",
            str(SAMPLES / "inta"),
            "--school",
            "NOPE",
            "--year",
            "2022",
            "--out",
            str(tmp_path),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.strip() == "edu-quality: ошибка: школа «NOPE» не найдена в реестре школ"
    assert "Traceback" not in err


def test_wrong_parameters_exit_2(capsys):
    assert main(["report", "school", "--data", "x"]) == 2
    assert "не указаны обязательные параметры" in capsys.readouterr().err


def test_excel_export_neutralizes_formulas_and_suppresses_small_groups():
    from edu_quality.report.export import neutralize_formulas, suppress_small

    t = neutralize_formulas(pd.DataFrame({"name": ["=HYPERLINK(1)", "+7", "@x", "ok"]}))
    assert t["name"].tolist() == ["'=HYPERLINK(1)", "'+7", "'@x", "ok"]
    s = suppress_small(
        pd.DataFrame({"participants": [3], "n2": [1.0], "share_2": [0.33], "small": [True]})
    )
    assert s[["n2", "share_2"]].isna().all().all() and s.loc[0, "participants"] == 3


def _official_list(path, rows):
    path.write_text("Код ОО;Работа\n" + "".join(f"{s};{w}\n" for s, w in rows), encoding="utf-8")
    return path


@pytest.mark.slow
def test_report_municipality_with_official_list(tmp_path, capsys):
    from edu_quality.demo import sample_folder

    listed = _official_list(
        tmp_path / "список.csv", [("01004", "4 РУ"), ("01003", "5 МА"), ("99999", "")]
    )
    out = tmp_path / "out"
    argv = ["report", "municipality", "--data", str(sample_folder("region"))]
    argv += ["--municipality", "Северный район", "--year", "2024", "--out", str(out)]
    assert main([*argv, "--official-list", str(listed), "--no-notebooks"]) == 0
    (page_file,) = out.glob("municipality_*.html")
    page = page_file.read_text(encoding="utf-8")
    assert "Сравнение с официальным списком (список.csv)" in page
    assert "Инструмент не воспроизводит официальный список" in page
    assert "Точность" in page and "Полнота" in page
    # 01004 («СОШ № 1») is marked on every work: in the list, and the signs fire
    assert "в официальном списке; признаки срабатывают" in page
    assert "ни один признак не срабатывает по этим данным" in page  # 01003
    assert "правило edu_quality (строже федеральной методики)" in page
    assert "99999" not in page  # another municipality's (unknown) id is not named here


@pytest.mark.slow
def test_bad_official_list_one_line_error(tmp_path, capsys):
    from edu_quality.demo import sample_folder

    listed = _official_list(tmp_path / "список.csv", [("01004", "4 РУ"), ("01003", "7 ХХ")])
    argv = ["report", "municipality", "--data", str(sample_folder("region"))]
    argv += ["--municipality", "Северный район", "--year", "2024", "--out", str(tmp_path)]
    code = main([*argv, "--official-list", str(listed)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("edu-quality: ошибка: список.csv: строка 3, столбец «Работа»: ")
    assert "неизвестная работа «7 ХХ»" in err


# --- a wrong year, school or municipality: one line, exit 1, no page ----------------------


def _report(kind: str, who: str, year: str, out, data=REGION) -> list[str]:
    flag = "--school" if kind == "school" else "--municipality"
    return ["report", kind, "--data", str(data), flag, who, "--year", year, "--out", str(out)]


@pytest.mark.parametrize(
    "kind, who", [("school", "01001"), ("municipality", "г. Заречный")], ids=["school", "muni"]
)
def test_a_year_without_results_is_one_line_and_no_page(tmp_path, capsys, kind, who):
    out = tmp_path / "out"
    assert main(_report(kind, who, "2019", out)) == 1
    err = capsys.readouterr().err
    assert err == (
        "edu-quality: ошибка: нет результатов за 2018/2019 учебный год: в данных есть "
        "2020/2021, 2021/2022, 2022/2023, 2023/2024; отчёт не построен\n"
    )
    assert not out.exists()  # nothing written, not even the folder


@pytest.fixture(scope="module")
def region_with_empty(tmp_path_factory):
    """The sample region and a school and a municipality that have no results at all."""
    folder = tmp_path_factory.mktemp("region") / "region"
    shutil.copytree(REGION, folder)
    with (folder / "schools.csv").open("a", encoding="utf-8") as f:
        f.write("01099,МКОУ «Новая ООШ»,Северный район,обычная,село\n")
        f.write("03001,МБОУ «СОШ № 1»,Пустой район,обычная,село\n")
    return folder


def test_a_school_or_municipality_without_results_is_refused(region_with_empty, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_report("school", "01099", "2023/2024", out, region_with_empty)) == 1
    assert capsys.readouterr().err == (
        "edu-quality: ошибка: у школы «МКОУ «Новая ООШ»» (01099) нет результатов за "
        "2023/2024 учебный год (нет ни за один год); отчёт не построен\n"
    )
    assert main(_report("municipality", "Пустой район", "2024", out, region_with_empty)) == 1
    assert capsys.readouterr().err == (
        "edu-quality: ошибка: у школ муниципалитета «Пустой район» нет результатов за "
        "2023/2024 учебный год (нет ни за один год); отчёт не построен\n"
    )
    assert not out.exists()


def test_a_batch_plan_marks_the_reports_without_data(region_with_empty):
    from edu_quality.report.runner import plan_jobs

    jobs = {j.name: j for j in plan_jobs(region_with_empty, "2023-2024")}
    empty = {name: j.no_data for name, j in jobs.items() if j.no_data}
    assert sorted(n for n in empty if n.startswith("school_")) == ["school_01099", "school_03001"]
    (muni,) = [j for j in jobs.values() if j.kind == "municipality" and j.no_data]
    assert muni.municipality == "Пустой район"
    assert "у школ муниципалитета «Пустой район» нет результатов" in muni.no_data
    assert len(jobs) == 44 + 2 + 3 and len(empty) == 3  # the others have data in 2024
    assert all(j.parameters["year"] == 2024 for j in jobs.values())
    nothing = plan_jobs(region_with_empty, 2019)
    assert all(j.no_data.startswith("нет результатов за 2018/2019 учебный год") for j in nothing)


def test_batch_status_no_data_is_its_own(tmp_path):
    from edu_quality.report.manifest import STATUS_LABELS, manifest_problem, write_index
    from edu_quality.report.runner import BatchResult

    assert STATUS_LABELS["nodata"] == "нет данных"
    entry = {"kind": "school", "title": "СОШ № 1: отчёт школы", "parameters": {}, "key": "k"}
    entries = {
        "school_1": {**entry, "status": "ok", "error": None},
        "school_2": {**entry, "status": "nodata", "error": "у школы нет результатов"},
    }
    assert manifest_problem({"reports": entries}) is None
    page = write_index(tmp_path, entries, 2024).read_text(encoding="utf-8")
    assert "нет данных: 1" in page
    assert "<td>нет данных</td><td>у школы нет результатов</td>" in page
    assert 'href="school_2.html"' not in page and 'href="school_1.html"' in page
    some = BatchResult(tmp_path, done=["school_1"], no_data={"school_2": "нет"})
    assert some.ok
    assert not BatchResult(tmp_path, no_data={"school_2": "нет"}).ok  # nothing had data
    assert BatchResult(tmp_path, skipped=["school_1"], no_data={"school_2": "нет"}).ok


@pytest.mark.slow
def test_batch_of_a_year_without_results_fails_and_writes_no_page(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()  # the page of an earlier run, of data there no longer are, is removed
    (out / "school_02001.html").write_text("старый отчёт", encoding="utf-8")
    entry = {"kind": "school", "title": "СОШ", "status": "ok", "parameters": {}, "key": "k"}
    (out / "manifest.json").write_text(
        json.dumps({"year": 2019, "reports": {"school_02001": entry}}), encoding="utf-8"
    )
    argv = ["report", "batch", "--data", str(REGION), "--municipality", "г. Заречный"]
    assert main([*argv, "--year", "2019", "--out", str(out), "--jobs", "1", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "Готово: 0, без изменений: 0, нет данных: 23, с ошибкой: 0." in captured.out
    assert captured.err.startswith("edu-quality: ошибка: данных нет ни для одного отчёта (")
    assert [p.name for p in out.glob("*.html")] == ["index.html"]
    reports = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    assert {e["status"] for e in reports.values()} == {"nodata"}
    assert "нет данных: 23" in (out / "index.html").read_text(encoding="utf-8")


# --- years ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2024", "2023/2024", "2023-2024", "2023/24", "2023 – 2024"])
def test_year_forms(text):
    argv = ["report", "batch", "--data", "d", "--out", "o", "--year", text]
    assert build_parser().parse_args(argv).year == 2024
    assert check_school_year("year", text) == 2024


@pytest.mark.parametrize("text", ["2023/2025", "2024/2023", "2023/25", "24", "двадцать", "1899"])
def test_a_wrong_year_is_a_parameter_error(text, capsys):
    argv = ["report", "school", "--data", "d", "--school", "1", "--out", "o", "--year", text]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("edu-quality: ошибка в параметрах: параметр --year: ")
    assert err.count("\n") == 1 and "не учебный год" in err
    with pytest.raises(ValueError, match="не учебный год"):
        check_school_year("year", text)
    if not text.isdigit():  # a text is quoted as texts are, «…», not as Python writes it
        assert f"«{text}»" in err and f"'{text}'" not in err


@pytest.mark.parametrize("value", ["0", "-1", "65536"])
def test_a_port_out_of_range_is_a_parameter_error(value, capsys):
    assert main(["explore", "--data", "d", "--port", value]) == 2
    err = capsys.readouterr().err
    assert "порт должен быть от 1 до 65535" in err and err.count("\n") == 1


def test_a_file_given_for_the_data_folder_is_named_a_file(tmp_path, capsys, monkeypatch):
    for name in ("hypothesis", "pandera"):  # as in a program that has not imported them yet
        monkeypatch.delitem(sys.modules, name, raising=False)
    afile = tmp_path / "results.csv"
    afile.write_text("year\n2024\n", encoding="utf-8")
    argv = ["report", "batch", "--data", str(afile), "--year", "2024", "--out", str(tmp_path / "o")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "это файл, а нужна папка с данными" in err and err.count("\n") == 1
    # the command declines Hypothesis in its own process only: this one imports it as usual
    assert sys.modules.get("hypothesis", "absent") is not None


def test_report_data_and_run_batch_take_the_year_in_both_forms(tmp_path):
    from edu_quality.report.data import report_data
    from edu_quality.report.runner import run_batch

    assert report_data(REGION, "2023/24") is report_data(REGION, 2024)
    assert report_data(REGION, "2023/2024").year == 2024
    with pytest.raises(ValueError, match="годы должны идти подряд"):
        run_batch(REGION, "2023/2025", tmp_path / "out")
    assert not (tmp_path / "out").exists()


# --- the command line in Russian ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, expected",
    [
        (
            ["reprot"],
            "неизвестная команда «reprot» (есть: import, report, explore); возможно, вы имели "
            "в виду «report»?",
        ),
        (
            ["report", "school", "--data", "d"],
            "не указаны обязательные параметры: --year, --out, --school",
        ),
        (
            ["report", "batch", "--data", "d", "--year", "2024", "--out", "o", "--bogus"],
            "неизвестные параметры: --bogus",
        ),
        (
            ["report", "batch", "--data", "d", "--year", "2024", "--out", "o", "--executor", "dsk"],
            "параметр --executor: недопустимое значение «dsk» (возможны: local, dask); возможно, "
            "вы имели в виду «dask»?",
        ),
        (
            ["report", "batch", "--data", "d", "--year", "2024", "--out", "o", "--jobs"],
            "параметр --jobs: укажите значение",
        ),
        (
            ["import", "fis-oko", "--registry", "r", "--vpr", "v", "--out", "o", "--workers", "x"],
            "параметр --workers: «x» — не целое число",
        ),
    ],
)
def test_argparse_speaks_russian(argv, expected, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"edu-quality: ошибка в параметрах: {expected} (справка: edu-quality")
    assert err.count("\n") == 1


def test_argparse_is_left_as_it_was():
    import argparse

    assert argparse.ArgumentParser(prog="x").format_help().startswith("usage: x")


def test_near_miss_names_and_ids(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_report("municipality", "Заречный", "2024", out)) == 1
    assert capsys.readouterr().err == (
        "edu-quality: ошибка: муниципалитет «Заречный» не найден в реестре школ; "
        "возможно, вы имели в виду «г. Заречный»?\n"
    )
    assert main(_report("school", "1016", "2024", out)) == 1
    assert capsys.readouterr().err == (
        "edu-quality: ошибка: школа «1016» не найдена в реестре школ; "
        "возможно, Excel убрал ведущие нули: 01016?\n"
    )
    argv = ["report", "batch", "--data", str(REGION), "--municipality", "северный район"]
    assert main([*argv, "--year", "2024", "--out", str(out)]) == 1
    assert "возможно, вы имели в виду «Северный район»?" in capsys.readouterr().err
    assert did_you_mean("Москва", ["г. Заречный", "Северный район"]) == ""
    assert did_you_mean("01O16", ["01016", "02016"]).startswith("возможно, вы имели в виду «01016»")


@pytest.mark.parametrize(
    "value, on",
    [
        ("1", True),
        ("true", True),
        ("YES", True),
        ("да", True),
        ("0", False),
        ("false", False),
        ("no", False),
        ("", False),
        ("нет", False),
    ],
)
def test_debug_only_for_yes_values(value, on, monkeypatch, tmp_path, capsys):
    assert debug_on({"EDU_QUALITY_DEBUG": value}) is on
    monkeypatch.setenv("EDU_QUALITY_DEBUG", value)
    argv = _report("school", "01001", "2024", tmp_path / "out", data=tmp_path / "нет")
    if on:
        with pytest.raises(Exception, match="папка с данными не найдена"):
            main(argv)
    else:
        assert main(argv) == 1
        assert "Traceback" not in capsys.readouterr().err


def test_os_errors_in_russian_with_the_path(tmp_path, capsys):
    blocker = tmp_path / "файл"
    blocker.write_text("x")
    argv = ["report", "batch", "--data", str(REGION), "--year", "2024"]
    assert main([*argv, "--out", str(blocker / "отчёты")]) == 1
    err = capsys.readouterr().err
    assert err == f"edu-quality: ошибка: путь ведёт не в папку ({blocker / 'отчёты'})\n"
    assert "Errno" not in err


def test_ids_that_lost_their_leading_zeros_in_excel_are_named(tmp_path, capsys):
    pd.DataFrame(
        {"school_id": ["01016", "01017"], "name": ["СОШ № 1", "СОШ № 2"], "municipality": "МО"}
    ).to_csv(tmp_path / "schools.csv", index=False)
    rows = [
        {
            "year": 2024,
            "assessment": "ВПР",
            "subject": "Математика",
            "grade": 5,
            "school_id": 1016,
            "pupil_id": f"p{k}",
            "mark": 3 + k % 3,
        }
        for k in range(8)
    ]
    pd.DataFrame(rows).to_csv(tmp_path / "results.csv", index=False)
    assert main(_report("school", "01016", "2024", tmp_path / "out", data=tmp_path)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "(и ещё 7 в этом файле)" in err
    assert (
        "школа «1016» не найдена в реестре школ; возможно, Excel убрал ведущие нули: 01016?" in err
    )

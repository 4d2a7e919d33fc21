"""The edu-quality command: report commands, exit codes, one-line errors, Excel export."""

from __future__ import annotations

import pandas as pd
import pytest
from _helpers import SAMPLES

from edu_quality.cli import main


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
        assert "usage" in capsys.readouterr().out


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

"""ФИС ОКО exports: the real files of a whole region, read and checked independently.

The real files are read from the shared folder next to the repository
(``../shared/real/altai``); the tests that need them are skipped when it is
absent. Expected figures are recomputed here with plain pandas from the raw
cells, not with the package's code.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import ALTAI, MATH4_SCALE

from edu_quality import DataError, load_dataset, read_results
from edu_quality.fisoko import (
    canonical_school_id,
    detect_layout,
    fisoko_schools,
    import_fisoko,
    parse_file_name,
    read_fisoko_context,
    read_fisoko_registry,
    read_fisoko_vpr,
    school_groups,
)
from edu_quality.names import HIDDEN, NAME_AS_ID, looks_like_name
from edu_quality.scales import vpr_scales
from edu_quality.tasks import task_performance

_NO_ALTAI = pytest.mark.skipif(not ALTAI.is_dir(), reason=f"нет папки с реальными данными {ALTAI}")


def real(test):
    """Mark a test of the real region's files: slow (it imports the region), skipped without them."""
    return pytest.mark.slow(_NO_ALTAI(test))


V20, V21, V22 = ALTAI / "vpr_2020", ALTAI / "vpr_2021", ALTAI / "vpr_2022"
MATH4_21 = V21 / "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
MATH6_21 = V21 / "Проведение работы по математике, 6 класс. ВПР 2021.xlsx"
RUS6_21 = V21 / "Проведение работы по русскому языку, 6 класс. ВПР 2021.xlsx"
MATH5_20 = V20 / "Математика 5 класс (осень 2020).xlsx"
RUS5_20 = V20 / "Русский язык 5 класс (осень 2020).xlsx"

# ВПР 2021 scales, as in the README of the real data (ФИОКО, 2021): top of «2», «3», «4», «5»
README_TOPS = {
    ("Математика", 4): (5, 9, 14, 20),
    ("Математика", 5): (6, 10, 14, 20),
    ("Математика", 6): (5, 9, 13, 16),
    ("Русский язык", 5): (17, 28, 38, 45),
    ("Русский язык", 6): (24, 34, 44, 51),
}


def _test_scales_2022(tmp: Path) -> Path:
    """A scale for the 2022 sample: NOT official — the 2021 table relabelled, for tests only."""
    s = (
        vpr_scales()
        .query("year == 2021")
        .assign(year=2022, source="тест: шкала 2021 года, применённая к 2022 (не официальная)")
    )
    path = tmp / "scales_2022_test.csv"
    s.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------ independent raw reading


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return "" if np.isnan(v) else (str(int(v)) if v.is_integer() else str(v))
    return str(v).replace("\xa0", " ").strip()


@functools.cache
def _raw(path: Path) -> pd.DataFrame:
    """The sheet with the results, all cells as text; index = Excel row number."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    sheet = "Протокол" if "Протокол" in wb.sheet_names else wb.sheet_names[0]
    grid = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
    header = [_text(h) for h in grid[0]]
    df = pd.DataFrame([[_text(v) for v in row] for row in grid[1:]], dtype=object)
    df.columns = [h if h else f"_{i}" for i, h in enumerate(header)]
    df.index = range(2, 2 + len(df))
    return df


def _expected(path: Path, work_max: int) -> pd.DataFrame:
    """Participants computed with plain pandas: the rules of the module docstring.

    A participant has a variant that is a positive whole number and a score — the
    file's total, or the sum of the task scores («X», «не пройд.» = 0) when there is
    none (always in the 2022 protocol) — not above the work's maximum.
    """
    df = _raw(path)
    cols = list(df.columns)
    if "sum" in cols:  # autumn 2020
        school, code, var, total, jm = "user", "code", "var-1", "sum", "otc"
        tasks = cols[cols.index("a-1-grade") : cols.index("Учебник")]
    elif "Итого баллов" in cols:  # 2022 protocol
        school, code, var, total = "Пользователь", "Код", "Вариант", None
        jm = next(c for c in cols if c.startswith("Отметка за предыдущ"))
        tasks = [c for c in cols if re.search(r"\(\d+б\)\s*$", c)]
    else:  # spring 2021
        school, code, var, total = ("логин школы", "код обучающегося", "вариант", "всего баллов")
        jm = "отметка за предыдущую четверть/триместр"
        tasks = [c for c in cols if c.startswith("балл за ")]
    t = df[tasks].apply(lambda c: c.str.lower())
    num = t.apply(pd.to_numeric, errors="coerce")
    zero = t.isin(["x", "х", "не пройд."])
    task_sum = num.where(num >= 0).fillna(0).where(~zero, 0).sum(axis=1)
    has_task = (t != "").any(axis=1)
    if total is None:
        score = task_sum.where(has_task)
    else:
        tot = pd.to_numeric(df[total], errors="coerce")
        score = tot.where(df[total] != "", task_sum.where(has_task))
    v = pd.to_numeric(df[var], errors="coerce")
    ok_var = (v >= 1) & (v % 1 == 0)
    out = pd.DataFrame(
        {
            "school_id": df[school].str.replace(r"^edu", "sch", regex=True),
            "pupil_id": df[code],
            "absent": df[var].str.lower().eq("отсутствовал"),
            "score": score,
            "journal": df[jm],
        }
    )
    out["participant"] = ok_var & score.notna() & (score <= work_max)
    return out


def _mark(score: pd.Series, tops: tuple[int, int, int, int]) -> pd.Series:
    return pd.cut(score, [-1, *tops], labels=[2, 3, 4, 5]).astype("int64")


# ------------------------------------------------------------------ the real import, once


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    if not ALTAI.is_dir():
        pytest.skip(f"нет папки с реальными данными {ALTAI}")
    tmp = tmp_path_factory.mktemp("altai")
    scales = _test_scales_2022(tmp)
    out = tmp / "dataset"
    start = time.perf_counter()
    result = import_fisoko(
        ALTAI / "schools_registry.xlsx",
        ALTAI / "context_2022.xlsx",
        [V20, V21, V22],
        out,
        scales=scales,
        invalid_results="exclude",
        workers=2,
    )
    seconds = time.perf_counter() - start
    return {
        "result": result,
        "out": out,
        "scales": scales,
        "seconds": seconds,
        "results": pd.read_parquet(out / "results_vpr.parquet"),
        "quality": pd.read_parquet(out / "data_quality.parquet"),
        "schools": pd.read_parquet(out / "schools.parquet"),
    }


@real
def test_import_writes_every_table_and_load_dataset_reads_them(imported):
    out = imported["out"]
    for name in (
        "schools",
        "results_vpr",
        "tasks",
        "vpr_absent",
        "vpr_files",
        "staff",
        "data_quality",
    ):
        assert (out / f"{name}.parquet").is_file()
    assert not list(out.glob(".*.tmp"))  # atomic writes leave no temporary file
    ds = load_dataset(out)
    assert len(ds.results) == len(imported["results"])
    # the autumn-2020 works belong to the school year 2020/21
    assert set(ds.years) == {2021, 2022}
    assert set(ds.results["session"]) == {"осень", "весна"}
    assert ds.results["work_grade"].notna().all()
    assert len(ds.staff) == 678  # one row per school of the questionnaire


@real
@pytest.mark.parametrize(
    ("path", "work_max"),
    [
        (MATH4_21, 20),
        (MATH6_21, 16),
        (RUS6_21, 51),
        (MATH5_20, 20),
        (RUS5_20, 45),
        *[(p, None) for p in sorted(V22.glob("*.xlsx")) if V22.is_dir()],
    ],
    ids=lambda v: v.name if isinstance(v, Path) else str(v),
)
def test_participants_schools_and_absent_per_file(imported, path, work_max):
    info = parse_file_name(path)
    if work_max is None:  # 2022: the test scale is the 2021 one
        top = vpr_scales().query("year == 2021 and mark == 5")
        work_max = int(
            top[(top["subject"] == info.subject) & (top["grade"] == info.grade)]["max_score"].iloc[
                0
            ]
        )
    exp = _expected(path, work_max)
    files = imported["result"].files.set_index("file")
    row = files.loc[path.name]
    part = exp[exp["participant"]]
    assert row["participants"] == len(part)
    assert row["schools"] == part["school_id"].nunique()
    assert row["absent"] == int(exp["absent"].sum())
    got = imported["results"]
    got = got[
        (got["year"] == row["year"])
        & (got["subject"] == row["subject"])
        & (got["grade"] == row["grade"])
        & (got["session"] == row["session"])
    ]
    assert len(got) == len(part)
    merged = part.merge(got, on=["school_id", "pupil_id"], how="left", validate="1:1")
    assert (merged["score_x"] == merged["score_y"]).all()


@real
def test_autumn_2020_shift_is_recorded(imported):
    files = imported["result"].files.set_index("file")
    r = files.loc[MATH5_20.name]
    # pupil codes 6xxxx: pupils of grade 6 wrote the work of grade 5
    # school year 2020/21: year 2021, session «осень»
    assert (r["year"], r["session"], r["grade"], r["work_grade"]) == (2021, "осень", 6, 5)
    raw = _raw(MATH5_20)
    assert set(pd.to_numeric(raw["code"]) // 10000) == {6}
    notes = imported["quality"].query("file == @MATH5_20.name and severity == 'примечание'")
    assert notes["problem"].str.contains("обучающиеся 6 класса писали работу за 5 класс").any()
    assert notes["problem"].str.contains("допущение").any()  # the 2020 scale is an assumption
    res = imported["results"]
    assert not (res["year"] == 2020).any()
    autumn = res[res["session"] == "осень"]
    assert len(autumn) and autumn["year"].eq(2021).all()
    assert (autumn["grade"] == autumn["work_grade"] + 1).all()
    spring = res[res["session"] == "весна"]
    assert (spring["grade"] == spring["work_grade"]).all()


@real
@pytest.mark.parametrize(
    ("path", "subject", "grade"),
    [(MATH4_21, "Математика", 4), (RUS6_21, "Русский язык", 6)],
    ids=["math4", "rus6"],
)
def test_marks_and_objectivity_against_plain_pandas(imported, path, subject, grade):
    exp = _expected(path, README_TOPS[(subject, grade)][-1])
    part = exp[exp["participant"]].copy()
    part["mark"] = _mark(part["score"], README_TOPS[(subject, grade)])
    got = imported["results"].query(
        "year == 2021 and subject == @subject and grade == @grade and session == 'весна'"
    )
    assert (
        got["mark"].value_counts().sort_index().to_dict()
        == part["mark"].value_counts().sort_index().to_dict()
    )
    # objectivity: ВПР mark below / equal to / above the journal mark
    part["journal"] = pd.to_numeric(part["journal"], errors="coerce")
    both = part[part["journal"].isin([2, 3, 4, 5])]
    expected = (
        (both["mark"] < both["journal"]).mean(),
        (both["mark"] == both["journal"]).mean(),
        (both["mark"] > both["journal"]).mean(),
    )
    g = got[got["journal_mark"].notna()]
    shares = (
        (g["mark"] < g["journal_mark"]).mean(),
        (g["mark"] == g["journal_mark"]).mean(),
        (g["mark"] > g["journal_mark"]).mean(),
    )
    assert shares == pytest.approx(expected)
    assert sum(shares) == pytest.approx(1)


@real
@pytest.mark.parametrize(
    "path", [MATH4_21, MATH6_21, RUS6_21, MATH5_20, RUS5_20], ids=lambda p: p.stem
)
def test_invalid_journal_marks_are_reported_not_lost(imported, path):
    exp = _expected(path, 10**6)
    writer = ~exp["absent"] & (exp["participant"] | exp["score"].notna())
    j = exp["journal"].str.lower()
    invalid = writer & (j != "") & (j != "нет отметки") & ~j.isin(["2", "3", "4", "5"])
    q = imported["quality"]
    reported = q[(q["file"] == path.name) & q["problem"].str.startswith("отметка по журналу")]
    assert sorted(reported["row"].astype(int)) == sorted(exp.index[invalid])
    assert (reported["action"] == "поле оставлено пустым, результат сохранён").all()
    # the pupils' results are kept, with the journal mark missing
    row = imported["result"].files.set_index("file").loc[path.name]
    res = imported["results"]
    res = res[
        (res["year"] == row["year"])
        & (res["subject"] == row["subject"])
        & (res["grade"] == row["grade"])
        & (res["session"] == row["session"])
    ]
    kept = exp[invalid].merge(res, on=["school_id", "pupil_id"], how="left")
    kept = kept[kept["year"].notna()]
    assert kept["journal_mark"].isna().all()


@real
def test_invalid_journal_marks_across_the_region(imported):
    # «8», «1», «6», «12» …: counted per file in vpr_files and in the printed summary
    files = imported["result"].files
    q = imported["quality"]
    per_file = q[q["problem"].str.startswith("отметка по журналу")].groupby("file").size()
    assert (
        files.set_index("file")["journal_invalid"].loc[per_file.index].tolist() == per_file.tolist()
    )
    assert (
        files["journal_invalid"].sum()
        == len(q[q["problem"].str.startswith("отметка по журналу")])
        > 0
    )


@real
def test_no_pupil_code_of_the_region_looks_like_a_name(imported):
    """The name detector has no false positive on the real region: every pupil code of every
    file (absent pupils' and excluded results' too) passes, the import refused no code as a
    name and hid no value of its data-quality report."""
    files = sorted(p for folder in (V20, V21, V22) for p in folder.glob("*.xlsx"))
    codes = pd.concat(
        [
            next(_raw(p)[c] for c in ("код обучающегося", "code", "Код") if c in _raw(p))
            for p in files
        ],
        ignore_index=True,
    )
    codes = codes[codes != ""]
    assert len(codes) > 400_000 and len(files) == 27
    assert not looks_like_name(codes.astype("str"), id_column=True).any()
    assert not looks_like_name(imported["results"]["pupil_id"], id_column=True).any()
    q = imported["quality"]
    assert not (q["problem"] == NAME_AS_ID).any()
    assert not (q["value"] == HIDDEN).any()  # the junk of real files is shown as it is


@real
def test_invalid_results_are_errors_by_default_and_excluded_on_request(imported):
    with pytest.raises(DataError) as err:
        read_fisoko_vpr(MATH4_21)
    # row 7053: «всего баллов» 21 for a work of at most 20 points
    assert err.value.file == MATH4_21.name
    assert (err.value.row, err.value.column) == (7053, "всего баллов")
    assert "больше максимума 20" in str(err.value)
    q = imported["quality"].query("file == @MATH4_21.name and severity == 'ошибка'")
    assert len(q) == imported["result"].files.set_index("file").loc[MATH4_21.name, "excluded"]
    assert set(q["action"]) == {"результат исключён"}
    assert 7053 in set(q["row"].astype(int)) and 11006 in set(q["row"].astype(int))


@real
def test_strict_mode_raises_on_secondary_fields():
    raw = _raw(MATH6_21)  # no invalid result: it loads without strict (see the import)
    rows = raw.index[raw["отметка за предыдущую четверть/триместр"] == "8"].tolist()
    with pytest.raises(
        DataError,
        match=rf"строка {rows[0]}, столбец «отметка за предыдущую "
        r"четверть/триместр»: отметка по журналу «8»",
    ) as err:
        read_fisoko_vpr(MATH6_21, strict=True)
    assert err.value.file == MATH6_21.name


@real
def test_read_results_recognises_fisoko_files(imported):
    df = read_results(MATH6_21)
    assert df.attrs["kind"] == "pupils" and df.attrs["layout"] == "ru"
    assert len(df) == imported["result"].files.set_index("file").loc[MATH6_21.name, "participants"]
    assert isinstance(df.attrs["quality"], pd.DataFrame) and len(df.attrs["quality"])
    protocol = sorted(V22.glob("*.xlsx"))[0]
    with pytest.raises(
        DataError,
        match=r"нет шкалы перевода первичных баллов в отметки для "
        r"ВПР 2022, предмет «Математика», 4 класс",
    ):
        read_results(protocol)
    df22 = read_results(protocol, scales=imported["scales"])
    assert df22["school_id"].str.startswith("sch").all()
    assert df22["year"].eq(2022).all() and df22["mark"].notna().all()


@real
@pytest.mark.parametrize(
    ("path", "layout"),
    [(MATH4_21, "ru"), (MATH5_20, "codes"), (V22 / "Математика 4 класс.xlsx", "protocol")],
    ids=["spring-2021", "autumn-2020", "protocol-2022"],
)
def test_layout_detection_on_real_headers(imported, path, layout):
    raw = _raw(path)
    assert detect_layout(list(raw.columns)) == layout
    assert imported["result"].files.set_index("file").loc[path.name, "layout"] == layout


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Проведение работы по математике, 4 класс. ВПР 2021.xlsx", (2021, "Математика", 4, False)),
        (
            "Проведение работы по русскому языку, 8 класс. ВПР 2021.xlsx",
            (2021, "Русский язык", 8, False),
        ),
        ("Математика 5 класс (осень 2020).xlsx", (2020, "Математика", 5, True)),
        ("vpr_2022/Математика 4 класс.xlsx", (2022, "Математика", 4, False)),
        ("2022/Русский язык 6 класс.xlsx", (2022, "Русский язык", 6, False)),
        ("results.xlsx", (None, None, None, False)),
    ],
)
def test_file_name_parsing(name, expected):
    assert tuple(parse_file_name(name))[:4] == expected


def test_protocol_year_from_upload_date(tmp_path, write_xlsx):
    header = [
        "Пользователь",
        "Муниципалитет",
        "Школа",
        "Дата загрузки",
        "Код",
        "Вариант",
        "1 (1б)",
        "2 (2б)",
    ]
    rows = [
        header,
        [
            "edu220001",
            "reg22_m001 | Алейский муниципальный район",
            "edu220001 | МБОУ СОШ",
            "17.03.2022 05:33:20",
            40001,
            1,
            1,
            2,
        ],
    ]
    path = write_xlsx("Математика 4 класс.xlsx", rows, sheet="Протокол")
    scale = MATH4_SCALE
    vpr = read_fisoko_vpr(path, scales=scale)
    assert (vpr.year, vpr.grade) == (2022, 4)
    assert vpr.results["score"].tolist() == [3.0]
    assert vpr.results["mark"].tolist() == [5]
    assert vpr.results["school_id"].tolist() == ["sch220001"]
    assert vpr.tasks["max_score"].tolist() == [1.0, 2.0]


def test_not_a_fisoko_file(write_xlsx):
    path = write_xlsx("x.xlsx", [["Код ОО", "Балл"], ["5", 3]])
    with pytest.raises(DataError, match="это не выгрузка ВПР из ФИС ОКО"):
        read_fisoko_vpr(path)


def test_id_mapping():
    ids = canonical_school_id(
        ["edu224052", "sch224052", "edu224052 | МБОУ «Воеводская СОШ»", "ksh220001", "", None]
    )
    assert ids.tolist()[:4] == ["sch224052", "sch224052", "sch224052", "ksh220001"]
    assert ids.isna().tolist()[4:] == [True, True]


@real
def test_id_mapping_on_real_files(imported):
    schools = imported["schools"]
    assert not schools["school_id"].str.startswith("edu").any()
    row = schools.set_index("school_id").loc["sch224052"]  # edu224052 in the context
    assert row["in_registry"] and row["in_context"]
    assert row["municipality"] == "Целинный район"  # the registry's spelling
    raw = _raw(V22 / "Математика 4 класс.xlsx")
    edu = set(raw["Пользователь"])
    res22 = imported["results"].query("year == 2022")
    assert {"sch" + e[3:] for e in edu} <= set(res22["school_id"])
    assert set(res22["school_id"]) <= set(schools["school_id"])


@real
@pytest.mark.parametrize(
    ("school", "group"),
    [
        # named «для обучающихся … с ОВЗ» and q17.2 «Да»: a separate АОП school
        ("ksh220001", "ОВЗ"),
        # q17.2 «Да», but an ordinary secondary school of 1 351 pupils (q17.4 «Да»)
        ("sch220198", "обычная"),
        # q19.2 «Да»: deepened study from primary school
        ("sch220135", "углублённая"),
        # q19.4 only, but «Гимназия №80» by name
        ("sch220122", "углублённая"),
        # q14 «4) Населенный пункт сельского типа», q20 = 48 pupils
        ("sch223021", "малокомплектная сельская"),
        # rural, q20 = 771 pupils, deepened study in 10–11 only (q19.4)
        ("sch220028", "обычная"),
    ],
)
def test_groups_of_hand_picked_real_schools(imported, school, group):
    schools = imported["schools"].set_index("school_id")
    assert schools.loc[school, "group"] == group
    assert schools.loc[school, "group_reason"]


@pytest.mark.parametrize(
    ("name", "encoding"),
    [("r.csv", "utf-8"), ("r.csv", "cp1251"), ("r.csv", "utf-16"), ("r.tsv", "utf-8")],
)
def test_registry_text_files(tmp_path, name, encoding):
    sep = "\t" if name.endswith(".tsv") else ";"
    text = (
        f"Реестр школ региона\n\nлогин{sep}имя{sep}регион\n"
        f"edu224145{sep}МБОУ СОШ №7{sep}г. Алейск\n"
    )
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    reg = read_fisoko_registry(path)
    assert reg.values.tolist()[0][:3] == ["sch224145", "МБОУ СОШ №7", "г. Алейск"]
    assert reg["group"].isna().all() and reg.attrs["ignored_columns"] == []


def test_registry_xlsx_and_parquet_with_a_group(tmp_path, write_xlsx):
    rows = [
        ["логин", "имя", "регион", "Группа"],
        ["sch1", "А", "Б", "СОШ"],
        ["edu2", "В", "Г", None],
    ]
    reg = read_fisoko_registry(write_xlsx("r.xlsx", rows))
    assert reg["school_id"].tolist() == ["sch1", "sch2"]
    assert reg["group"].tolist()[0] == "обычная" and pd.isna(reg["group"].iloc[1])
    pd.DataFrame(rows[1:], columns=rows[0]).to_parquet(tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(read_fisoko_registry(tmp_path / "r.parquet"), reg)


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        ("логин;имя\nsch1;А\n", ["нет обязательного столбца «Муниципалитет»"]),
        (
            "логин;имя;регион\nsch1;А;Б\nsch1;В;Г\n;Д;Е\nsch3;;Ж\n",
            [
                "строка 2, столбец «логин»: повторяющаяся запись: совпадают логин",
                "строка 3, столбец «логин»: повторяющаяся запись: совпадают логин",
                "строка 4, столбец «логин»: пустое значение в обязательном столбце",
                "строка 5, столбец «имя»: пустое значение в обязательном столбце",
            ],
        ),
        ("логин;имя;регион\nedu1;А;Б\nsch1;В;Г\n", ["одна и та же школа записана дважды"]),
        ("логин;имя;регион;Группа\nsch1;А;Б;xx\n", ["значение «xx» не распознано: ожидается"]),
        ("школа;балл\n1;2\n", ["не найдена строка заголовков"]),
    ],
)
def test_registry_errors(tmp_path, text, messages):
    path = tmp_path / "r.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_fisoko_registry(path)
    assert all(m in str(err.value) for m in messages)


@real
def test_small_rural_threshold_is_a_parameter():
    ctx = read_fisoko_context(ALTAI / "context_2022.xlsx")
    f = ctx.features.set_index("school_id")
    assert f.loc["sch223021", "pupils"] == 48 and f.loc["sch223021", "locality"] == "село"
    g40 = school_groups(ctx.features, small_rural_max=40).set_index("school_id")
    assert g40.loc["sch223021", "group"] == "обычная"
    reg = read_fisoko_registry(ALTAI / "schools_registry.xlsx")
    assert len(reg) == 692 and reg["school_id"].is_unique
    both = fisoko_schools(reg, ctx)
    assert len(both) == len(set(reg["school_id"]) | set(ctx.features["school_id"]))


@real
def test_task_performance_against_plain_pandas(imported):
    tasks = pd.read_parquet(
        imported["out"] / "tasks.parquet",
        filters=[
            ("year", "=", 2021),
            ("session", "=", "весна"),
            ("subject", "=", "Математика"),
            ("grade", "=", 6),
        ],
    )
    # maxima inferred from the 2021 data = the maxima printed in the 2022 upload form
    # of the same work (sheet «Протокол», «Математика 6 класс»: 1 (1б) … 13 (2б))
    form = [
        int(m)
        for m in re.findall(r"\((\d+)б\)", " ".join(_raw(V22 / "Математика 6 класс.xlsx").columns))
    ]
    maxima = tasks.groupby("task_no")["max_score"].first().astype(int).tolist()
    assert maxima == form
    perf = task_performance(tasks, imported["schools"])
    # independent: region share of task 9 (2 points) from the raw cells
    exp = _expected(MATH6_21, 16)
    part = exp[exp["participant"]].index
    cell = _raw(MATH6_21).loc[part, "балл за 9"].str.lower()
    val = pd.to_numeric(cell, errors="coerce").where(~cell.isin(["x", "х", "не пройд."]), 0)
    val = val[(cell != "") & val.notna() & (val <= 2)]
    region = perf.query("task_no == 9")["region_share"].iloc[0]
    assert region == pytest.approx(val.sum() / (2 * len(val)))
    behind = perf[perf["behind_region"]]
    assert len(behind) and (behind["region_share"] - behind["share"] >= 0.1 - 1e-9).all()
    assert (behind["share_high"] < behind["region_share"]).all()
    assert not perf.loc[perf["small"], "behind_region"].any()


@real
def test_cached_reimport(imported, tmp_path):
    result = imported["result"]
    again = import_fisoko(
        ALTAI / "schools_registry.xlsx",
        ALTAI / "context_2022.xlsx",
        [V20, V21, V22],
        imported["out"],
        scales=imported["scales"],
        invalid_results="exclude",
    )
    assert again.from_cache and again.cache_hits == len(result.files)
    assert again.files["participants"].tolist() == result.files["participants"].tolist()
    # per-file cache: one file changed → only that file is read again
    folder = tmp_path / "vpr_2022"
    shutil.copytree(V22, folder)
    for p in folder.iterdir():
        p.chmod(0o644)
    out = tmp_path / "out"
    args = (ALTAI / "schools_registry.xlsx", None, [folder], out)
    first = import_fisoko(*args, scales=imported["scales"], workers=1)
    assert first.cache_hits == 0
    changed = folder / "Математика 5 класс.xlsx"
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 10**9))
    second = import_fisoko(*args, scales=imported["scales"], workers=1)
    assert not second.from_cache and second.cache_hits == len(first.files) - 1
    assert not (out / "staff.parquet").exists()  # no questionnaire, no staff table


def test_cli_errors_are_one_line(tmp_path, capsys):
    from edu_quality.cli import main

    code = main(
        [
            "import",
            "fis-oko",
            "--registry",
            str(tmp_path / "нет.xlsx"),
            "--vpr",
            str(tmp_path),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err and "нет.xlsx" in err
    assert main(["import", "fis-oko", "--vpr", "x"]) == 2
    assert "не указаны обязательные параметры" in capsys.readouterr().err


@real
def test_cli_import_and_cache(imported, capsys):
    from edu_quality.cli import main

    args = [
        "import",
        "fis-oko",
        "--registry",
        str(ALTAI / "schools_registry.xlsx"),
        "--context",
        str(ALTAI / "context_2022.xlsx"),
        "--vpr",
        str(V20),
        str(V21),
        str(V22),
        "--out",
        str(imported["out"]),
        "--scales",
        str(imported["scales"]),
        "--exclude-invalid-results",
        "--quiet",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "из кэша" in text and "Качество данных" in text and "6(5)" in text
    # without --exclude-invalid-results the invalid results stop the import: one line
    one = [
        "import",
        "fis-oko",
        "--registry",
        str(ALTAI / "schools_registry.xlsx"),
        "--vpr",
        str(MATH4_21),
        "--out",
        str(imported["out"].parent / "one"),
        "--quiet",
    ]
    assert main(one) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "строка 7053" in err and "--exclude-invalid-results" in err


@real
def test_real_region_exports_give_no_small_group_back(imported):
    """The Excel exports' tables (schools, municipalities, region) of the real region: what
    subtraction derives from them is nothing; with primary suppression alone it was hundreds
    of cells."""
    from edu_quality.disclosure import hide, unsafe_relations
    from edu_quality.report import report_data

    data = report_data(imported["out"], 2022)  # the tables hold every year of the dataset
    shown = (data.shown_summary, data.shown_municipality, data.shown_region)
    assert unsafe_relations(*shown, municipality_of=data.municipality_of).empty
    naive = [
        hide(t, t["small"].to_numpy())
        for t in (data.summary, data.summary_municipality, data.summary_region)
    ]
    derived = unsafe_relations(*naive, municipality_of=data.municipality_of)
    small = int(data.summary["small"].sum())
    print(
        f"\nскрыто строк школ: {small} малых групп и {int(data.hidden[0].sum()) - small} "
        f"дополнительно из {len(data.summary)}; без дополнительного скрытия выводилось бы "
        f"{len(derived)}"
    )
    assert len(derived) > 0


@real
def test_ctrl_c_stops_the_import_within_seconds(imported, tmp_path):
    """Ctrl+C during a cold import of the region: the pool stops, queued files are not read."""
    import signal
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "edu_quality.cli",
        "import",
        "fis-oko",
        "--registry",
        str(ALTAI / "schools_registry.xlsx"),
        "--vpr",
        str(V20),
        str(V21),
        str(V22),
        "--out",
        str(tmp_path / "out"),
        "--scales",
        str(imported["scales"]),
        "--exclude-invalid-results",
        "--quiet",
        "--no-cache",
        "--workers",
        "2",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    time.sleep(6)  # the workers are reading the first files
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)  # to the command alone: its workers must stop with it
    _, err = proc.communicate(timeout=60)
    waited = time.monotonic() - start
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "edu-quality: прервано (SIGINT)", err
    assert "Traceback" not in err
    assert waited < 15, waited  # it took about 40 s to read every queued file first


@real
def test_real_region_unreliable_protocols(imported):
    r = imported["results"]
    u = r[r["unreliable"].fillna(False)]
    protocols = u.groupby(["year", "subject", "grade", "school_id"]).size()
    # measured: 26 protocols with an impossible total or an unknown variant, 1 572 rows kept
    assert 20 <= len(protocols) <= 40 and 1000 <= len(u) <= 2500
    # the school that kept 89 of 101 totals of mathematics 4 (12 were 22–30 of 20)
    m4 = r[(r["year"] == 2021) & (r["subject"] == "Математика") & (r["grade"] == 4)]
    school = m4[m4["school_id"] == "sch224293"]
    assert len(school) == 89 and school["unreliable"].all()
    q = imported["quality"]
    listed = q[q["problem"].str.startswith("протокол школы по этой работе недостоверен")]
    assert len(listed) == len(protocols)
    assert "у 12 из 101 участника итоговый балл больше максимального (20)" in set(
        listed.loc[listed["school_id"] == "sch224293", "problem"].str.split(": ").str[1]
    )
    assert imported["result"].files["unreliable_protocols"].sum() == len(protocols)
    ds = load_dataset(imported["out"])
    assert ds.results["unreliable"].sum() == len(u)


def test_the_same_results_in_two_vpr_files_are_named_by_their_labels():
    """The error names the work by the columns' labels, never repeating a pupil's code."""
    from types import SimpleNamespace

    from edu_quality.fisoko.combine import all_results

    one = pd.DataFrame(
        {
            "year": [2021, 2021],
            "session": ["осень", "осень"],
            "assessment": ["ВПР", "ВПР"],
            "subject": ["Математика", "Математика"],
            "grade": [5, 5],
            "school_id": ["220101", "220102"],
            "pupil_id": ["17001", "17002"],
        }
    )
    with pytest.raises(DataError) as info:
        all_results([SimpleNamespace(results=one), SimpleNamespace(results=one.iloc[[1]])])
    assert str(info.value) == (
        "одни и те же результаты есть в нескольких файлах ВПР (2 строки), например: "
        "Учебный год 2020/2021, Сессия осень, Процедура ВПР, Предмет Математика, Класс 5, "
        "Код ОО 220102, у одного и того же участника"
    )
    # a missing cell of the key (None, NaN, pd.NA) reads as a dash
    row = one.iloc[0].to_dict() | {"session": pd.NA, "grade": float("nan")}
    from edu_quality.schema import RESULTS_PUPILS

    assert "Сессия —, Процедура ВПР, Предмет Математика, Класс —" in RESULTS_PUPILS.shown_key(row)

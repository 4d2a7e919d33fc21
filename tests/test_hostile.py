"""Hostile inputs: every file of ``tests/hostile`` loads as ``cases.csv`` says, or raises a
DataError naming the file (and, for a problem in a cell, its row and column) — never a
pandas, openpyxl or calamine traceback, and nothing is lost silently. Text that is markup,
a formula or a path stays text: reports escape it, exports neutralise it, file names are
made safe.

Files that would take the machine if the readers' bounds failed (``bomb_*`` in the corpus,
and the large or endless ones the tests make) are read in a child process under a memory
limit and a timeout (``_helpers.read_limited``): a regression fails the test, not the session.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import SAMPLES, read_limited

import edu_quality as eq
from edu_quality import DataError, ReadLimits

HOSTILE = Path(__file__).resolve().parent / "hostile"
_spec = importlib.util.spec_from_file_location("make_corpus", HOSTILE / "make_corpus.py")
make_corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_corpus)

READERS = {
    "schools": eq.read_schools,
    "results": eq.read_results,
    "enrolment": eq.read_enrolment,
    "context": eq.read_context,
    "staff": eq.read_staff,
    "dataset": eq.load_dataset,
}


def _cases() -> list[dict[str, str]]:
    with (HOSTILE / "cases.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


CASES = _cases()


def _shown(v: object) -> str:
    """A loaded value as the manifest writes it."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _check_loaded(result, case: dict[str, str]) -> None:
    if case["table"] == "dataset":
        table = pd.concat([result.results, result.aggregates], ignore_index=True)
    else:
        table = result
    assert len(table) == int(case["rows"])
    for part in filter(None, case["expect"].split("; ")):
        if part.startswith("note~"):
            assert any(re.search(part[5:], n) for n in result.notes), result.notes
            continue
        key, _, values = part.partition("=")
        wanted = values.split("|")
        if key == "nocell":  # no cell of the table holds these texts
            text = table.astype(str).to_csv()
            assert not [w for w in wanted if w in text]
        elif key == "ignored":
            assert table.attrs["ignored_columns"] == wanted
        elif key.startswith("len("):
            column = key[4:-1]
            assert table[column].str.len().tolist() == [int(w) for w in wanted]
        else:
            assert [_shown(v) for v in table[key]] == wanted, key


def test_manifest_covers_the_corpus():
    listed = {c["file"] for c in CASES}
    present = {
        p.name
        for p in HOSTILE.iterdir()
        if p.name not in ("cases.csv", "make_corpus.py", "__pycache__")
    }
    assert listed == present
    assert len(CASES) >= 40
    assert {c["outcome"] for c in CASES} == {"loads", "error"}


def test_corpus_is_what_the_script_writes(tmp_path):
    written = {p.relative_to(tmp_path) for p in make_corpus.write_corpus(tmp_path)}
    for rel in written:
        if rel.suffix in (".xlsx", ".parquet"):  # their bytes name the writer's version
            assert (HOSTILE / rel).is_file(), rel
        else:
            assert (HOSTILE / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def _bomb(case: dict[str, str], path: Path) -> DataError | None:
    """Read a ``bomb_*`` file of the corpus in a child process: its DataError, or None if it loads."""
    reader = "load_dataset" if case["table"] == "dataset" else READERS[case["table"]].__name__
    (got,) = read_limited([(reader, [str(path)], {})])
    if "error" not in got:
        assert case["outcome"] == "loads" and not case["expect"], case["file"]
        assert got["rows"] == int(case["rows"])
        return None
    err = DataError(got["file"], got["error"])
    err.row, err.column = got["row"], got["column"]
    return err


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_hostile_file(case):
    path = HOSTILE / case["file"]
    read = READERS[case["table"]]
    if case["file"].startswith("bomb_"):
        err = _bomb(case, path)
        if err is None:
            return
    elif case["outcome"] == "loads":
        _check_loaded(read(path), case)
        return
    else:
        with pytest.raises(DataError) as info:
            read(path)
        err = info.value
    assert case["outcome"] == "error", str(err)
    assert re.search(case["expect"], str(err)), str(err)
    if case["table"] != "dataset":
        assert err.file == case["file"]
    else:
        assert (path / err.file).is_file()
    # a problem of a cell names its row and column; a whole-file problem names neither
    assert err.row == (int(case["row"]) if case["row"] else None)
    assert err.column == (case["column"] or None)
    assert str(err).startswith((err.file, "Найдено проблем"))


def test_every_error_of_a_cell_names_row_and_column():
    for case in CASES:
        if case["outcome"] == "error":
            assert bool(case["row"]) == bool(case["column"]), case["file"]


# ------------------------------------------------------------------ big files, long cells


#: Reads a results file in a fresh process and reports what the test checks, the peak
#: memory of that process (``ru_maxrss``) among it: measured in the test's own process
#: the peak would be whatever the tests before it left there.
_READ_AND_MEASURE = """
import json, resource, sys, time
import edu_quality as eq
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
table = eq.read_results(sys.argv[1])
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "rows": len(table),
    "marks": table["mark"].value_counts().sort_index().tolist(),
    "ignored": list(table.attrs["ignored_columns"]),
    "columns": list(map(str, table.columns)),
    "size_mb": table.memory_usage(deep=True).sum() / 2**20,
    "before_mb": before / 1024,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


@pytest.mark.slow
def test_a_million_rows_load(tmp_path):
    """A regional ВПР file of a million pupils loads whole; its size and time are reported."""
    n = 1_000_000
    rng = np.random.default_rng(7)
    mark = rng.integers(2, 6, n)
    frame = pd.DataFrame(
        {
            "Учебный год": "2023-2024",
            "Процедура": "ВПР",
            "Предмет": "Математика",
            "Класс": rng.integers(4, 9, n),
            "Код ОО": rng.integers(1, 500, n).astype(str),
            "Код участника": np.arange(n).astype(str),
            "ФИО": "Фамилия Имя",
            "Первичный балл": rng.integers(0, 20, n),
            "Отметка": mark,
        }
    )
    path = tmp_path / "vpr_region.csv"
    frame.to_csv(path, sep=";", index=False, encoding="cp1251")
    del frame
    run = subprocess.run(
        [sys.executable, "-c", _READ_AND_MEASURE, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    got = json.loads(run.stdout.strip().splitlines()[-1])
    print(
        f"\n1 000 000 строк: {got['seconds']:.1f} с, таблица {got['size_mb']:.0f} МБ, пик "
        f"процесса {got['peak_mb']:.0f} МБ (после импорта {got['before_mb']:.0f} МБ)"
    )
    assert got["rows"] == n
    assert got["marks"] == np.bincount(mark)[2:].tolist()
    assert "ФИО" in got["ignored"] and "Фамилия" not in got["columns"]
    assert got["size_mb"] < 400  # about 0.1 KB a row, text columns included
    assert got["peak_mb"] < 4096


def test_a_cell_longer_than_the_csv_module_allows(tmp_path):
    """A 300 000-character cell near the top (csv's limit is 131 072) loads whole."""
    long = ("МБОУ «СОШ № 5» <b>" * 20_000)[:300_000].strip()
    path = tmp_path / "schools.csv"
    path.write_text(f"Код ОО;Наименование ОО;Муниципалитет\n5;{long};Инта\n", encoding="utf-8")
    table = eq.read_schools(path)
    assert table.loc[0, "name"] == long


# ------------------------------------------------------------------ reports and exports


@pytest.fixture(scope="module")
def hostile_region(tmp_path_factory):
    """The sample region with hostile school names and ids unsafe in file names."""
    folder = tmp_path_factory.mktemp("hostile_region") / "region"
    shutil.copytree(SAMPLES / "region", folder)
    schools = pd.read_csv(folder / "schools.csv", dtype=str)
    names = {
        0: "<script>alert(1)</script>",
        1: '=HYPERLINK("http://example.com","школа")',
        2: "Школа $\\frac{1}{$ № 3",
        3: "+7 (82151) @SUM(A1) -школа-",
    }
    for i, name in names.items():
        schools.loc[i, "name"] = name
    schools.to_csv(folder / "schools.csv", index=False)
    return folder, schools


@pytest.mark.slow
def test_markup_in_school_names_is_escaped_in_reports(hostile_region):
    from edu_quality.report import page, report_data, school_report
    from edu_quality.report.render import Section
    from edu_quality.report.sections import school_header

    folder, schools = hostile_region
    data = report_data(folder, 2024)
    sid = schools.loc[0, "school_id"]
    header = school_header(data, sid).html()
    assert "<script>" not in header and "&lt;script&gt;alert(1)&lt;/script&gt;" in header
    sec = Section("<script>x</script>", "<img src=x onerror=alert(2)>")
    sec.text("<b>жирный</b>")
    sec.table(pd.DataFrame({"<th>": ["<td>"]}))
    assert "<script>" not in sec.html() and "<img" not in sec.html() and "<b>" not in sec.html()
    for sid in schools["school_id"].head(4):  # «$…$» in a name no longer breaks the charts
        html = page(schools.set_index("school_id").loc[sid, "name"], school_report(data, sid))
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html or sid != schools.loc[0, "school_id"]


@pytest.mark.slow
def test_formula_like_text_is_neutralised_in_excel_exports(hostile_region, tmp_path):
    from openpyxl import load_workbook

    from edu_quality.report.export import export_batch_xlsx, export_xlsx, neutralize_formulas
    from edu_quality.report.runner import job_for

    folder, schools = hostile_region
    table = pd.DataFrame({"a": ["=1+1", "+1", "-1", "@A1", "ok", None], "b": [1, 2, 3, 4, 5, 6]})
    assert neutralize_formulas(table)["a"].tolist()[:5] == ["'=1+1", "'+1", "'-1", "'@A1", "ok"]
    paths = [
        export_xlsx(job_for("school", folder, 2024, school_id=sid), tmp_path)
        for sid in schools["school_id"].iloc[[1, 3]]
    ]
    paths.append(export_batch_xlsx(folder, 2024, tmp_path))
    for path in paths:
        for ws in load_workbook(path):
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, ws.title, cell.coordinate)
                    if isinstance(cell.value, str):
                        assert cell.value[:1] not in ("=", "+", "-", "@"), cell.value


def test_unsafe_school_ids_give_safe_file_names():
    from edu_quality.report.runner import safe_name

    ids = eq.read_schools(HOSTILE / "csv_unsafe_school_ids.csv")["school_id"].tolist()
    names = [safe_name(i) for i in ids]
    assert len(set(names)) == len(ids)
    for name in names:
        assert re.fullmatch(r"[\w\-]+", name) and not name.startswith(".")
        assert ".." not in name and "/" not in name and "\\" not in name


# ------------------------------------------------------------------ matching headers


def test_matching_headers_one_at_a_time_is_linear():
    """The loader also matches headers one at a time (the columns it did not map): 200 000
    of them take seconds, not the minutes of a table of aliases rebuilt for each header."""
    from edu_quality.schema import SCHOOLS, match_columns

    headers = [f"Столбец {i}" for i in range(200_000)] + ["КОД ОО", "school_id", "Муниципалитет"]
    start = time.perf_counter()
    alone = [i for i, h in enumerate(headers) if match_columns([h], SCHOOLS)]
    whole = match_columns(headers, SCHOOLS)
    elapsed = time.perf_counter() - start
    assert alone == [200_000, 200_001, 200_002]
    assert whole == {200_000: "school_id", 200_002: "municipality"}
    assert SCHOOLS.lookup is SCHOOLS.lookup  # built once
    assert elapsed < 10, f"{elapsed:.1f} s"


# ------------------------------------------------------------------ workbooks that take the machine

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_VPR_HEADER = [
    "логин школы",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "вариант",
    "всего баллов",
    "балл за 1",
    "балл за 2",
]
_VPR_ROW = ["sch220001", "40001", "4", "м", "1", "3", "1", "2"]
_VPR_NAME = "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"


def _workbook(path: Path, rows: list[list[object]], tail: bytes = b"", merge: str = "") -> Path:
    """A one-sheet workbook of ``rows``, with ``tail`` (raw XML) at the end of the sheet's data."""
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    if merge:
        wb.active.merge_cells(merge)
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</sheetData>", tail + b"</sheetData>", 1)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return path


_SCHOOLS_ROWS = [["Код ОО", "Наименование ОО", "Муниципалитет"], [5, "Школа", "Инта"]]
_FAR = {  # how a stray cell at XFD1048576 may be written: each refused
    "value": b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "lowercase": b'<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>',
    "prefixed": (
        f'<x:row xmlns:x="{_MAIN}" r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    ).encode(),
    "reference_last": b'<row r="1048576"><c s="0" t="n" r="XFD1048576"><v>1</v></c></row>',
    "formula": b'<row r="1048576"><c r="XFD1048576"><f>1+1</f></c></row>',
    "text": b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
}


def test_a_stray_cell_far_away_is_refused_before_it_is_read(tmp_path):
    """One value at XFD1048576 made python-calamine allocate the 17 billion cells from A1 to it
    (512 GiB: the process aborted). However the cell is written, every reader refuses the file
    first, naming the cell and saying what to do."""
    calls = [
        ("read_schools", [str(_workbook(tmp_path / f"{name}.xlsx", _SCHOOLS_ROWS, xml))], {})
        for name, xml in _FAR.items()
    ]
    for outcome in read_limited(calls):
        assert outcome["row"] == 1048576 and outcome["column"] == "XFD", outcome
        assert "заполнен до ячейки XFD1048576" in outcome["error"]
        assert "удалите лишние ячейки" in outcome["error"]


def test_cells_without_a_reference_are_counted_as_calamine_places_them(tmp_path):
    """A row of 3 000 cells without ``r`` at row 20 000: 60 million cells from A1, more than the
    limit. Such a sheet is measured by the XML parser, cell after cell."""
    row = b'<row r="20000">' + b"<c><v>1</v></c>" * 3000 + b"</row>"
    (outcome,) = read_limited(
        [("read_schools", [str(_workbook(tmp_path / "a.xlsx", _SCHOOLS_ROWS, row))], {})]
    )
    assert "60 000 000 ячеек" in outcome["error"] and "DKJ20000" in outcome["error"], outcome


def test_empty_cells_far_away_are_read(tmp_path):
    """A formatted empty cell (no value) at XFD1048576 is skipped by python-calamine, as the
    declared ``<dimension>`` is: the sheet reads as it is."""
    tails = [
        b'<row r="1048576"><c r="XFD1048576" s="0"/></row>',
        b'<row r="1048576"><c r="XFD1048576"></c></row>',
        b'<row r="1048576" s="0" customFormat="1"/>',
    ]
    calls = [
        ("read_schools", [str(_workbook(tmp_path / f"{i}.xlsx", _SCHOOLS_ROWS, xml))], {})
        for i, xml in enumerate(tails)
    ]
    assert read_limited(calls) == [{"rows": 1}] * len(tails)


def test_every_reader_of_workbooks_refuses_the_stray_cell(tmp_path):
    """The results reader, a dataset folder, the ВПР and questionnaire readers of ФИС ОКО and
    the region-wide import all open workbooks through one checked door."""
    far = _FAR["value"]
    vpr = tmp_path / "vpr"
    vpr.mkdir()
    _workbook(vpr / _VPR_NAME, [_VPR_HEADER, _VPR_ROW], far)
    folder = tmp_path / "region"
    folder.mkdir()
    _workbook(folder / "schools.xlsx", _SCHOOLS_ROWS, far)
    (folder / "results.csv").write_text(
        "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников\n2023;ОГЭ;Математика;9;5;10\n",
        encoding="utf-8",
    )
    registry = tmp_path / "registry.csv"
    registry.write_text("логин;имя;регион\nsch220001;Школа;Район\n", encoding="utf-8")
    context = _workbook(
        tmp_path / "context.xlsx", [["Пользователь", "14. Где"], ["sch220001", "1) город"]], far
    )
    outcomes = read_limited(
        [
            ("read_results", [str(vpr / _VPR_NAME)], {}),
            ("read_fisoko_vpr", [str(vpr / _VPR_NAME)], {}),
            ("load_dataset", [str(folder)], {}),
            ("read_fisoko_context", [str(context)], {}),
            (
                "import_fisoko",
                [str(registry), None, [str(vpr)], str(tmp_path / "out")],
                {"workers": 1},
            ),
        ]
    )
    files = [_VPR_NAME, _VPR_NAME, "schools.xlsx", "context.xlsx", _VPR_NAME]
    for outcome, file in zip(outcomes, files, strict=True):
        assert outcome.get("file") == file and "XFD1048576" in outcome["error"], outcome


def test_a_title_merged_across_the_sheet_does_not_widen_the_table(tmp_path):
    """A title merged over A1:XFD1 gave every row of the table 16 384 columns (12 000 rows:
    197 million cells); the merged value now fills only the columns the sheet has."""
    rows = [["Контингент"], ["Код ОО", "Учебный год", "Уровень", "Обучающихся"]]
    rows += [[i, 2023, "НОО", 20] for i in range(12_000)]
    path = _workbook(tmp_path / "enrolment.xlsx", rows, merge="A1:XFD1")
    assert read_limited([("read_enrolment", [str(path)], {})]) == [{"rows": 12_000}]


@pytest.mark.slow
def test_a_gigabyte_zip_bomb_is_refused_at_once(tmp_path):
    """The attack: a 1 MB workbook whose shared string unpacks to 1 GiB ran 180 s and took
    4.5 GB. Its parts' sizes are read from the archive's table of contents, before anything
    is unpacked."""
    import zipfile

    path = _workbook(tmp_path / "bomb.xlsx", _SCHOOLS_ROWS)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            fh.write(f'<sst xmlns="{_MAIN}"><si><t>'.encode())
            for _ in range(1024):
                fh.write(b"a" * 2**20)
            fh.write(b"</t></si></sst>")
    assert path.stat().st_size < 2 * 2**20
    start = time.perf_counter()
    (outcome,) = read_limited([("read_schools", [str(path)], {})], timeout=60)
    assert "распаковывается в 1,0 ГБ — больше предела 512 МБ" in outcome["error"], outcome
    assert time.perf_counter() - start < 30


# ------------------------------------------------------------------ what is no file, or too large


def test_a_named_pipe_a_device_or_a_folder_is_refused_not_read(tmp_path):
    """A named pipe made the reader wait for ever, a link to /dev/zero read until memory ran
    out: a path must be a regular file before it is opened."""
    os.mkfifo(tmp_path / "results.csv")
    os.mkfifo(tmp_path / "vpr.xlsx")
    (tmp_path / "zero.csv").symlink_to("/dev/zero")
    (tmp_path / "folder.csv").mkdir()
    outcomes = read_limited(
        [
            ("read_results", [str(tmp_path / "results.csv")], {}),
            ("read_results", [str(tmp_path / "vpr.xlsx")], {}),
            ("read_fisoko_vpr", [str(tmp_path / "vpr.xlsx")], {}),
            ("read_schools", [str(tmp_path / "zero.csv")], {}),
            ("read_schools", [str(tmp_path / "folder.csv")], {}),
        ],
        timeout=60,
    )
    expected = ["именованный канал"] * 3 + ["устройство (как /dev/zero)", "указана папка"]
    for outcome, text in zip(outcomes, expected, strict=True):
        assert text in outcome["error"], outcome


def test_a_file_beyond_the_size_limit_is_refused(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_text("Код ОО;Наименование ОО;Муниципалитет\n5;Школа;Инта\n", encoding="utf-8")
    assert len(eq.read_schools(path, limits=ReadLimits(max_file_bytes=1000))) == 1
    with pytest.raises(DataError, match="файл занимает 91 байт — больше предела 50 байт"):
        eq.read_schools(path, limits=ReadLimits(max_file_bytes=50))


def test_a_million_columns_are_refused_at_once(tmp_path):
    """A CSV with a million header columns took over five minutes; beyond
    ``ReadLimits.max_columns`` (10 000) a row is refused before its header is matched."""
    path = tmp_path / "results.csv"
    n = 1_000_000
    path.write_text(
        "Код ОО;Предмет;"
        + ";".join(f"c{i}" for i in range(n))
        + "\n5;М;"
        + ";".join("1" * n)
        + "\n",
        encoding="utf-8",
    )
    start = time.perf_counter()
    (outcome,) = read_limited([("read_results", [str(path)], {})], timeout=60)
    assert (outcome["row"], outcome["column"]) == (1, "№ 10001"), outcome
    assert "в строке 1 000 002 столбцов — больше предела 10 000" in outcome["error"]
    assert time.perf_counter() - start < 30


def test_a_wide_row_over_many_lines_is_refused(tmp_path):
    """One row of 9 993 cells made every one of 6 000 lines as wide (60 million cells for a
    file of 22 KB): the lines times the widest row are bounded by ``max_cells``."""
    path = tmp_path / "schools.csv"
    path.write_text(
        "Код ОО;Наименование ОО;Муниципалитет\n5;Школа;Инта" + ";" * 9990 + "\n" + "6\n" * 6000,
        encoding="utf-8",
    )
    (outcome,) = read_limited([("read_schools", [str(path)], {})])
    assert (outcome["row"], outcome["column"]) == (2, "№ 9993"), outcome
    assert "6 003 строк × 9 993 столбцов" in outcome["error"]


def test_parquet_beyond_the_limits_is_refused_from_its_footer(tmp_path):
    path = tmp_path / "enrolment.parquet"
    table = pd.DataFrame(
        {
            "Код ОО": [str(i) for i in range(10)],
            "Учебный год": 2023,
            "Уровень": "НОО",
            "Обучающихся": 20,
        }
    )
    table = table.assign(**{f"x{i}": 1 for i in range(16)})
    table.to_parquet(path, index=False)
    assert len(eq.read_enrolment(path)) == 10
    with pytest.raises(DataError, match="в строке 20 столбцов — больше предела 10"):
        eq.read_enrolment(path, limits=ReadLimits(max_columns=10))
    with pytest.raises(DataError, match="10 строк × 20 столбцов — больше предела 100 ячеек"):
        eq.read_enrolment(path, limits=ReadLimits(max_cells=100))


def test_merged_ranges_beyond_the_limit_are_refused():
    path = HOSTILE / "xlsx_merged_header.xlsx"
    assert len(eq.read_results(path)) == 2
    with pytest.raises(
        DataError, match="на листе «Лист1» 7 объединённых диапазонов, больше предела 3"
    ):
        eq.read_results(path, limits=ReadLimits(max_merged=3))


def test_the_extent_of_a_sheet_read_in_several_chunks(tmp_path):
    """The extent check reads a sheet's XML a few megabytes at a time: on a sheet of about
    20 MB, the farthest cells (spread through it) and the merged ranges (6 MB of them after
    the cells) are all found, wherever the chunks end; a formatted empty cell further out
    is not counted."""
    import zipfile

    from edu_quality.io.archive import check_archive, sheet_extent
    from edu_quality.io.limits import DEFAULT_LIMITS

    rng = np.random.default_rng(5)
    far = set(rng.choice(np.arange(100, 30_000), 40, replace=False).tolist())
    rows = []
    for r in range(3, 30_003):
        cells = "".join(f'<c r="{col}{r}"><v>{r % 7}</v></c>' for col in "ABCDEFGHIJKLMNOPQR")
        if r in far:  # a cell in column Z (the farthest), and a formatted empty one further out
            cells += f'<c r="Z{r}"><v>1</v></c><c r="A{"B" * (r % 3)}{r}" s="1"/>'
        rows.append(f'<row r="{r}">{cells}</row>')
    path = _workbook(tmp_path / "big.xlsx", _SCHOOLS_ROWS, "".join(rows).encode())
    merged = 200_000
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    ranges = "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(3, 3 + merged))
    parts[sheet] = parts[sheet].replace(
        b"</sheetData>", f'</sheetData><mergeCells count="{merged}">{ranges}</mergeCells>'.encode()
    )
    assert len(parts[sheet]) > 20 * 2**20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    ext = sheet_extent(path, check_archive(path, path.name, DEFAULT_LIMITS), "Sheet", path.name)
    assert (ext.rows, ext.columns, ext.merged) == (30_002, 26, merged)
    assert ext.last_row_cell == "A30002" and ext.last_column_cell == f"Z{min(far)}"


def test_limits_are_checked():
    with pytest.raises(ValueError, match="max_columns"):
        ReadLimits(max_columns=2.5)
    with pytest.raises(ValueError, match="max_ratio"):
        ReadLimits(max_ratio=0)
    assert ReadLimits(max_ratio=1.5).max_ratio == 1.5


# ------------------------------------------------------------------ folders


def _dataset(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "schools.csv").write_text(
        "school_id;name;municipality\n5;Школа 5;Инта\n", encoding="utf-8"
    )
    return folder


_PUPILS = (
    "year;assessment;subject;grade;school_id;pupil_id;score;mark\n"
    "2023;ВПР;Математика;4;5;10001;12;4\n"
)


def test_a_link_out_of_the_data_folder_is_refused(tmp_path):
    """A folder linked to / made load_dataset walk the file system; a file linked to /dev/zero
    read until memory ran out. A link that leads out of the data folder is refused; one that
    stays inside it is followed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "results.csv").write_text(_PUPILS, encoding="utf-8")
    root_link = _dataset(tmp_path / "root")
    (root_link / "results_all").symlink_to("/")
    zero = _dataset(tmp_path / "zero")
    (zero / "results.csv").symlink_to("/dev/zero")
    elsewhere = _dataset(tmp_path / "elsewhere")
    (elsewhere / "results.csv").symlink_to(outside / "results.csv")
    parts = _dataset(tmp_path / "parts")
    (parts / "results_vpr" / "year=2023").mkdir(parents=True)
    pd.read_csv(io.StringIO(_PUPILS), sep=";", dtype=str).drop(columns="year").to_parquet(
        parts / "results_vpr" / "year=2023" / "part-0.parquet", index=False
    )
    (parts / "results_vpr" / "year=2024").symlink_to(outside)
    inside = _dataset(tmp_path / "inside")
    (inside / "archive").mkdir()
    (inside / "archive" / "results.csv").write_text(_PUPILS, encoding="utf-8")
    (inside / "results_2023.csv").symlink_to(inside / "archive" / "results.csv")
    outcomes = read_limited(
        [("load_dataset", [str(f)], {}) for f in (root_link, zero, elsewhere, parts, inside)],
        timeout=60,
    )
    files = ["results_all", "results.csv", "results.csv", "results_vpr/year=2024"]
    for outcome, file in zip(outcomes, files, strict=False):
        assert outcome["file"] == file and "вне папки с данными" in outcome["error"], outcome
    assert outcomes[-1] == {"rows": 1}


def test_a_link_in_a_circle_inside_a_partitioned_folder_ends(tmp_path):
    folder = _dataset(tmp_path / "region")
    part = folder / "results_vpr" / "year=2023"
    part.mkdir(parents=True)
    pd.read_csv(io.StringIO(_PUPILS), sep=";", dtype=str).drop(columns="year").to_parquet(
        part / "part-0.parquet", index=False
    )
    (part / "again").symlink_to(folder / "results_vpr")
    (outcome,) = read_limited([("load_dataset", [str(folder)], {})], timeout=60)
    assert outcome == {"rows": 1}


def test_the_fisoko_import_refuses_a_link_out_of_a_vpr_folder(tmp_path):
    vpr = tmp_path / "vpr"
    vpr.mkdir()
    (vpr / _VPR_NAME).symlink_to("/dev/zero")
    registry = tmp_path / "registry.csv"
    registry.write_text("логин;имя;регион\nsch220001;Школа;Район\n", encoding="utf-8")
    from edu_quality.fisoko import import_fisoko

    with pytest.raises(DataError, match="вне папки с данными") as info:
        import_fisoko(registry, None, [vpr], tmp_path / "out", workers=1)
    assert info.value.file == _VPR_NAME


def test_load_dataset_takes_the_limits(tmp_path):
    folder = _dataset(tmp_path / "region")
    (folder / "results.csv").write_text(_PUPILS, encoding="utf-8")
    assert len(eq.load_dataset(folder).results) == 1
    with pytest.raises(DataError, match="больше предела 50 байт") as info:
        eq.load_dataset(folder, limits=ReadLimits(max_file_bytes=50))
    assert info.value.file == "schools.csv"

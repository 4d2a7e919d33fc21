"""Hostile inputs: every file of ``tests/hostile`` loads as ``cases.csv`` says, or raises a
DataError naming the file (and, for a problem in a cell, its row and column) — never a
pandas, openpyxl or calamine traceback, and nothing is lost silently. Text that is markup,
a formula or a path stays text: reports escape it, exports neutralise it, file names are
made safe.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import SAMPLES

import edu_quality as eq
from edu_quality import DataError

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


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_hostile_file(case):
    path = HOSTILE / case["file"]
    read = READERS[case["table"]]
    if case["outcome"] == "loads":
        _check_loaded(read(path), case)
        return
    with pytest.raises(DataError) as info:
        read(path)
    err = info.value
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

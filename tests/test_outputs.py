"""Safe outputs of the report commands: file names, Excel cells, links, leftovers of killed
batches, manifests of the wrong shape, batches of several municipalities, parameters, Ctrl+C.

The batches here run a probe notebook (it only shows its parameters) in place of the report
templates: what is tested is where and how the batch writes, not the reports' content.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from _helpers import INTA, SAMPLES, YEAR, alive, batch_command, kernels_of, leftovers, wait_for

import edu_quality as eq
from edu_quality.cli import main
from edu_quality.report import runner
from edu_quality.report.export import (
    excel_safe_text,
    export_batch_xlsx,
    export_xlsx,
    strip_control_characters,
)
from edu_quality.report.job import MAX_NAME_BYTES, render_report
from edu_quality.report.leftovers import (
    HANDOFF_PREFIX,
    STALE_AFTER,
    make_handoff_folder,
    remove_stale_handoffs,
    remove_stale_temporaries,
)
from edu_quality.report.manifest import read_manifest
from edu_quality.report.runner import (
    Job,
    cap_jobs,
    check_jobs,
    job_for,
    plan_jobs,
    run_batch,
    safe_name,
    usable_cores,
)

# ------------------------------------------------------------------ helpers


def _probe_notebook(folder: Path) -> Path:
    """A template that takes the parameters of any report and shows them."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell(
        'data_dir: str = ""\nschool_id: str = ""\nmunicipality: str = ""\nyear: int = 0'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            "from html import escape\nfrom IPython.display import HTML\n"
            "HTML(f\"<p id='probe'>{escape(school_id or municipality)}</p>\")"
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "edu-quality",
        "display_name": "Python (edu_quality)",
        "language": "python",
    }
    path = folder / "probe.ipynb"
    nbformat.write(nb, path)
    return path


def _probe_plan(probe: Path):
    """The dataset's plan (names, titles, municipalities) with the probe as every template."""

    def plan(data_dir, year, municipality=None):
        return [
            dataclasses.replace(j, notebook=str(probe))
            for j in plan_jobs(data_dir, year, municipality)
        ]

    return plan


def _probe_text(page: Path) -> str:
    return re.search(r"<p id='probe'>(.*?)</p>", page.read_text(encoding="utf-8")).group(1)


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


#: School ids whose file names would collide or be too long without care.
HOSTILE_IDS = [
    "a/b",
    "a_b",
    safe_name("a/b"),  # an id equal to another id's file name
    "школа 1",
    "школа_1",
    safe_name("школа 1"),
    "学" * 80,  # 240 bytes of CJK
    "𝐀" * 80,  # 320 bytes of mathematical letters
]


@pytest.fixture
def hostile_ids_dataset(tmp_path) -> Path:
    """A small dataset made here: the schools of :data:`HOSTILE_IDS` in two municipalities."""
    folder = tmp_path / "data"
    folder.mkdir()
    munis = ["Инта", "Инта", "Инта", "Ухта", "Ухта", "Ухта", "学" * 80, "学" * 80]
    pd.DataFrame(
        {
            "school_id": HOSTILE_IDS,
            "name": [f"Школа {i}" for i in range(len(HOSTILE_IDS))],
            "municipality": munis,
        }
    ).to_csv(folder / "schools.csv", index=False)
    rows = [
        {
            "year": YEAR,
            "assessment": "ВПР",
            "subject": "Математика",
            "grade": 5,
            "school_id": sid,
            "pupil_id": f"p{i}_{k}",
            "mark": 3 + k % 3,
        }
        for i, sid in enumerate(HOSTILE_IDS)
        for k in range(6)
    ]
    pd.DataFrame(rows).to_csv(folder / "results.csv", index=False)
    return folder


# ------------------------------------------------------------------ 1. file names


def test_safe_names_keep_ordinary_ids_and_are_distinct_and_short():
    for ordinary in ("01016", "INT05", "sch220001", "школа_1", "Школа5", "a-b", "x" * 120):
        assert safe_name(ordinary) == ordinary
    texts = [*HOSTILE_IDS, "", ".", "..", "_a", "a_", "x" * 121, "a\x00b", "\ud800", "../etc"]
    names = [safe_name(t) for t in texts]
    assert len(set(names)) == len(texts)
    for name in names:
        assert re.fullmatch(r"[\w\-]+", name) and not name.startswith((".", "_"))
        assert len(name.encode()) <= MAX_NAME_BYTES
        # the longest name written: a municipality's Excel file's temporary file
        assert len(f".municipality_{name}.xlsx.k2j4h5g6.xlsx".encode()) < 160
    # a name the function gave is never given to another text: hashing it again changes it
    assert all(safe_name(n) != n for n, t in zip(names, texts, strict=True) if n != t)


@pytest.mark.slow
def test_colliding_and_long_ids_each_get_their_page(hostile_ids_dataset, tmp_path):
    out = tmp_path / "reports"
    probe = _probe_notebook(tmp_path)
    result = run_batch(
        hostile_ids_dataset, YEAR, out, jobs=2, progress=False, plan=_probe_plan(probe)
    )
    assert result.ok, result.failed
    assert len(result.done) == len(HOSTILE_IDS) + 3  # every school and the three municipalities
    manifest = _manifest(out)["reports"]
    index = (out / "index.html").read_text(encoding="utf-8")
    shown = {}
    for name, entry in manifest.items():
        page = out / f"{name}.html"
        assert entry["status"] == "ok" and page.is_file()
        assert len(page.name.encode()) <= 255 and len(f"{name}.ipynb".encode()) <= 255
        assert f'href="{name}.html"' in index
        shown[name] = _probe_text(page)
        if entry["kind"] == "school":  # each page is its own school's, none overwritten
            assert shown[name] == entry["parameters"]["school_id"]
    assert sorted(v for k, v in shown.items() if k.startswith("school_")) == sorted(HOSTILE_IDS)
    assert not leftovers(out)


@pytest.mark.slow
def test_two_reports_with_one_file_name_are_refused(tmp_path):
    probe = _probe_notebook(tmp_path)
    jobs = [
        Job("school", {"school_id": "1"}, "school_1", "Первая", notebook=str(probe)),
        Job("school", {"school_id": "2"}, "school_1", "Вторая", notebook=str(probe)),
    ]
    out = tmp_path / "reports"
    with pytest.raises(eq.DataError, match="«Первая» и «Вторая» получили одно имя файла"):
        run_batch(INTA, YEAR, out, jobs=1, progress=False, plan=lambda *_: jobs)
    assert not (out / "manifest.json").exists() and not (out / "school_1.html").exists()


# ------------------------------------------------------------------ 2. Excel cells

CONTROL = "".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")


def test_control_characters_are_taken_out_of_excel_cells(tmp_path):
    from openpyxl import load_workbook

    table = pd.DataFrame(
        {
            "name": ["МБОУ\x0b«СОШ № 5»", "a\x00b" + CONTROL, "\x01=1+1", "ok\tok\nok", None],
            "group": pd.Categorical(["x\x0cy", "z", "z", "z", "z"]),
            "n": [1, 2, 3, 4, 5],
        }
    )
    clean = excel_safe_text(table)
    assert clean["name"].tolist()[:4] == ["МБОУ «СОШ № 5»", "ab  ", "'=1+1", "ok\tok\nok"]
    assert clean["group"].tolist()[0] == "x y" and clean["n"].tolist() == [1, 2, 3, 4, 5]
    assert strip_control_characters(pd.DataFrame({"a\x00": [1]})).columns.tolist() == ["a"]
    path = tmp_path / "t.xlsx"
    clean.to_excel(path, index=False)  # openpyxl refuses any of the characters taken out
    assert load_workbook(path).active["A2"].value == "МБОУ «СОШ № 5»"


def test_excel_export_of_school_names_with_control_characters(tmp_path):
    from openpyxl import load_workbook

    folder = tmp_path / "inta"
    shutil.copytree(INTA, folder)
    schools = eq.read_schools(folder / "schools.xlsx")
    names = {"INT05": "МБОУ\x0b«СОШ № 5»\x00\x1f", "INT06": "\x00=HYPERLINK(1)"}
    schools["name"] = schools["school_id"].map(names).fillna(schools["name"])
    (folder / "schools.xlsx").unlink()
    schools.to_parquet(folder / "schools.parquet")  # Parquet keeps every character
    paths = [export_xlsx(job_for("school", folder, YEAR, school_id=sid), tmp_path) for sid in names]
    paths.append(export_batch_xlsx(folder, YEAR, tmp_path))
    seen = set()
    for path in paths:
        for ws in load_workbook(path):
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, str):
                        assert not re.search(f"[{re.escape(CONTROL)}]", value), value
                        assert value[:1] not in ("=", "+", "-", "@"), value
                        seen.add(value)
    assert {"МБОУ «СОШ № 5»", "'=HYPERLINK(1)"} <= seen


def test_excel_export_speaks_russian_and_keeps_to_the_report_year(tmp_path):
    """Every header in Russian, yes/no in words, no year after the report's, and a year
    without the exam (ОГЭ 2020, Inta) with its keys and N but no share to quote."""
    region = pd.read_excel(
        export_batch_xlsx(SAMPLES / "region", 2021, tmp_path / "r"),
        sheet_name=None,
        engine="calamine",
    )
    inta = pd.read_excel(
        export_batch_xlsx(INTA, YEAR, tmp_path / "i"), sheet_name=None, engine="calamine"
    )
    for name, t in [*region.items(), *inta.items()]:
        assert not [c for c in t.columns if re.fullmatch(r"[\x00-\x7f]+", str(c))], name
        for flag in ("Малая группа", "Экзамен не проводился"):
            if flag in t.columns:
                assert set(t[flag]) <= {"да", "нет"}, (name, flag)
    for name in ("Показатели", "Муниципалитеты", "Регион"):
        assert set(region[name]["Год"]) == {2021}, name  # the sample runs to 2024
        t = inta[name]
        held = t.loc[t["Экзамен не проводился"] == "нет"]
        not_held = t.loc[t["Экзамен не проводился"] == "да"]
        assert set(not_held["Год"]) == {2020} and not_held["Участников"].notna().all()
        assert not_held[["Доля «2»", "Доля «2»: от", "«2»"]].isna().all().all(), name
        assert (not_held["Малая группа"] == "нет").all()  # not hidden for being small
        assert held["Доля «2»"].notna().any()


# ------------------------------------------------------------------ 3. links


@pytest.mark.slow
def test_a_batch_never_writes_through_links(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "reports"
    out.mkdir()
    probe = _probe_notebook(tmp_path)
    job = Job("school", {"school_id": "5"}, "school_5", "Проба", notebook=str(probe))
    targets = {}
    for name in ("batch.log", "manifest.json", "index.html", "school_5.html", "school_5.ipynb"):
        target = outside / f"{name}.txt"
        target.write_text(f"чужой файл {name}", encoding="utf-8")
        (out / name).symlink_to(target)
        targets[target] = target.read_bytes()
    result = run_batch(INTA, YEAR, out, jobs=1, progress=False, plan=lambda *_: [job])
    assert result.ok and result.done == ["school_5"]
    for target, content in targets.items():
        assert target.read_bytes() == content, target.name  # nothing written outside
    for name in ("batch.log", "manifest.json", "index.html", "school_5.html", "school_5.ipynb"):
        assert (out / name).is_file() and not (out / name).is_symlink(), name
    log = (out / "batch.log").read_text(encoding="utf-8")
    assert "batch.log был ссылкой или особым файлом: заменён обычным файлом" in log
    assert "manifest.json не использован (не обычный файл)" in log
    assert _probe_text(out / "school_5.html") == "5"


# ------------------------------------------------------------------ 4. leftovers


def test_stale_handoff_folders_are_removed(tmp_path):
    base = tmp_path / "tmp"
    base.mkdir()

    def folder(name: str, pid: int | None, age: float = 0) -> Path:
        f = base / f"{HANDOFF_PREFIX}{name}"
        f.mkdir()
        (f / "dataset.pickle").write_bytes(b"every pupil row")
        if pid is not None:
            (f / "pid").write_text(f"{pid}\n")
        if age:
            os.utime(f, (time.time() - age, time.time() - age))
        return f

    dead = folder("dead", _dead_pid())
    live = folder("live", os.getpid())
    young = folder("nopid", None)  # being made now: its pid is not written yet
    old = folder("old", None, age=STALE_AFTER + 60)
    reused = folder("reused", os.getpid(), age=STALE_AFTER + 60)  # a pid given to another since
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep").write_text("x")
    (base / f"{HANDOFF_PREFIX}link").symlink_to(elsewhere)
    (base / f"{HANDOFF_PREFIX}file").write_text("not a folder")
    removed = remove_stale_handoffs(base)
    assert sorted(removed) == sorted([dead, old, reused])
    assert live.is_dir() and young.is_dir() and (elsewhere / "keep").exists()
    assert (base / f"{HANDOFF_PREFIX}file").exists()


def test_stale_temporaries_are_removed_and_nothing_else(tmp_path):
    stale = [".index.html.k2j4h5g6.tmp", ".school_5.a8b7c6d5.ipynb", ".tables.xlsx.abc_1234.xlsx"]
    kept = [".keep", ".x.tmp", "index.html", "school_5.html", ".notes.abcdefgh.txt"]
    for name in stale + kept:
        (tmp_path / name).write_text("")
    assert remove_stale_temporaries(tmp_path) == sorted(stale)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kept)


@pytest.mark.slow
def test_the_next_batch_removes_what_a_killed_one_left(tmp_path, monkeypatch):
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))  # the system's temporary folder
    stale = temp / f"{HANDOFF_PREFIX}killed"
    stale.mkdir()
    (stale / "pid").write_text(str(_dead_pid()))
    (stale / "dataset.pickle").write_bytes(b"every pupil row")
    out = tmp_path / "reports"
    out.mkdir()
    leftover = [".school_5.html.k2j4h5g6.tmp", ".school_5.a8b7c6d5.ipynb", ".manifest.json.zz.tmp"]
    for name in leftover:
        (out / name).write_text("")
    probe = _probe_notebook(tmp_path)
    job = Job("school", {"school_id": "5"}, "school_5", "Проба", notebook=str(probe))
    made = []

    def handoff_folder():  # the batch's own hand-over folder: its pid is written in it
        folder = make_handoff_folder()
        made.append((folder, (folder / "pid").read_text().strip()))
        return folder

    monkeypatch.setattr(runner, "make_handoff_folder", handoff_folder)
    result = run_batch(INTA, YEAR, out, jobs=1, progress=False, plan=lambda *_: [job])
    assert result.ok
    assert not stale.exists()
    assert made and made[0][1] == str(os.getpid()) and not made[0][0].exists()
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [
        ".manifest.json.zz.tmp"  # not a name the batch's writes make: not touched
    ]
    assert "удалено оставшееся от прерванных пакетов: папок передачи данных 1, временных " in (
        out / "batch.log"
    ).read_text(encoding="utf-8")
    assert list(temp.iterdir()) == []


# ------------------------------------------------------------------ 5. manifests

GOOD_ENTRY = {
    "kind": "school",
    "title": "Школа",
    "parameters": {"year": YEAR},
    "key": "k",
    "status": "ok",
    "error": None,
}


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("[]", "не объект JSON"),
        ("null", "не объект JSON"),
        ('"reports"', "не объект JSON"),
        ("{}", "нет объекта «reports»"),
        ('{"reports": []}', "нет объекта «reports»"),
        ('{"reports": {"school_1": "ok"}}', "отчёт «school_1»: не объект"),
        ('{"reports": {"school_1": {}}}', "отчёт «school_1»: нет поля «kind»"),
        (
            json.dumps({"reports": {"school_1": {**GOOD_ENTRY, "status": "done"}}}),
            "неизвестный статус",
        ),
        (
            json.dumps({"reports": {"school_1": {**GOOD_ENTRY, "parameters": []}}}),
            "неверное поле «parameters»",
        ),
        (
            json.dumps({"reports": {"school_1": {**GOOD_ENTRY, "error": 5}}}),
            "неверное поле «error»",
        ),
        (json.dumps({"reports": {"../x": GOOD_ENTRY}}), "не годится для имени файла"),
        (json.dumps({"reports": {"javascript:alert(1)//": GOOD_ENTRY}}), "не годится"),
        ("{", "не JSON"),
        (b"\xff\xfe{", "не JSON"),
    ],
)
def test_manifest_of_a_wrong_shape_is_treated_as_absent(tmp_path, content, why):
    path = tmp_path / "manifest.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    log = tmp_path / "batch.log"
    with log.open("a", encoding="utf-8") as fh:
        assert read_manifest(path, fh) == {}
    lines = [ln for ln in log.read_text(encoding="utf-8").splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[0].startswith("==== ") and "(пакет)" in lines[0]
    assert lines[1].startswith("manifest.json не использован (") and why in lines[1]
    assert lines[1].endswith("отчёты строятся заново")


def test_a_good_manifest_is_read(tmp_path):
    path = tmp_path / "manifest.json"
    doc = {"year": YEAR, "reports": {"school_1": GOOD_ENTRY, "municipality_x-y": GOOD_ENTRY}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert read_manifest(path) == doc["reports"]
    assert read_manifest(tmp_path / "none.json") == {}
    (tmp_path / "dir.json").mkdir()
    assert read_manifest(tmp_path / "dir.json") == {}


@pytest.mark.slow
def test_a_batch_over_a_manifest_of_the_wrong_shape_rebuilds(tmp_path, capsys, monkeypatch):
    out = tmp_path / "reports"
    out.mkdir()
    probe = _probe_notebook(tmp_path)
    jobs = [Job("school", {"school_id": "5"}, "school_5", "Проба", notebook=str(probe))]
    monkeypatch.setattr(runner, "run_batch", _with_plan(lambda *_: jobs))
    for content in ("[]", "null", '{"reports": {"school_5": {"status": "ok"}}}'):
        (out / "manifest.json").write_text(content, encoding="utf-8")
        assert main(_batch_args(INTA, out)) == 0
        assert "Готово: 1, без изменений: 0, нет данных: 0, с ошибкой: 0" in capsys.readouterr().out
        assert _manifest(out)["reports"]["school_5"]["status"] == "ok"
    assert main(_batch_args(INTA, out)) == 0  # and a good one is used
    assert "Готово: 0, без изменений: 1" in capsys.readouterr().out
    assert (out / "batch.log").read_text(encoding="utf-8").count("не использован") == 3


def _with_plan(plan):
    def batch(*args, **kwargs):
        return run_batch(*args, plan=plan, **kwargs)

    return batch


def _batch_args(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "report",
        "batch",
        "--data",
        str(data),
        "--year",
        str(YEAR),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


# ------------------------------------------------------------------ 6. several municipalities


@pytest.mark.slow
def test_batches_of_two_municipalities_into_one_folder_add_up(tmp_path):
    region = SAMPLES / "region"
    out = tmp_path / "reports"
    plan = _probe_plan(_probe_notebook(tmp_path))
    first, second = sorted(pd.read_csv(region / "schools.csv", dtype=str)["municipality"].unique())
    year = 2024

    def names_of(muni: str) -> set[str]:
        return {j.name for j in plan_jobs(region, year, muni)}

    a = run_batch(region, year, out, municipality=first, jobs=2, progress=False, plan=plan)
    b = run_batch(region, year, out, municipality=second, jobs=2, progress=False, plan=plan)
    assert a.ok and b.ok and set(b.done) == names_of(second)  # B's result is B's alone
    reports = _manifest(out)["reports"]
    assert set(reports) == names_of(first) | names_of(second)
    assert {e["status"] for e in reports.values()} == {"ok"}
    assert {reports[n]["municipality"] for n in names_of(first)} == {first}
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in reports:
        assert f'href="{name}.html"' in index
    assert f"Всего: {len(reports)};" in index

    # A again: nothing to do, B's reports stay; a page of B removed meanwhile leaves the index
    gone = sorted(names_of(second))[-1]
    (out / f"{gone}.html").unlink()
    again = run_batch(region, year, out, municipality=first, jobs=1, progress=False, plan=plan)
    assert again.ok and set(again.skipped) == names_of(first) and not again.done
    assert set(_manifest(out)["reports"]) == (names_of(first) | names_of(second)) - {gone}
    assert f'href="{gone}.html"' not in (out / "index.html").read_text(encoding="utf-8")


# ------------------------------------------------------------------ 7. parameters


def test_jobs_are_capped_at_the_cores_and_must_be_positive():
    cores = usable_cores()
    assert 1 <= cores <= (os.cpu_count() or 1)
    assert cap_jobs(cores) == (cores, None)
    n, note = cap_jobs(cores + 10)
    assert n == cores and note == (
        f"задано {cores + 10} одновременных отчётов, а ядер процессора {cores}: "
        f"отчёты строятся по {cores} одновременно"
    )
    if cores < 21:  # the number agrees with its noun
        assert cap_jobs(21)[1].startswith("задано 21 одновременный отчёт, ")
        assert cap_jobs(22)[1].startswith("задано 22 одновременных отчёта, ")
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="Параметр `jobs` должен быть целым числом"):
            check_jobs(bad)


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_non_positive_timeouts_are_refused_before_anything_runs(tmp_path, timeout):
    out = tmp_path / "reports"
    with pytest.raises(ValueError, match="Параметр `timeout` должен быть положительным числом"):
        run_batch(INTA, YEAR, out, timeout=timeout, progress=False)
    assert not out.exists()
    job = job_for("school", INTA, YEAR, school_id="INT05")
    with pytest.raises(ValueError, match="Параметр `timeout` должен быть положительным числом"):
        render_report(job, out, timeout=timeout)
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "-1"], "параметр --timeout: должно быть целым числом больше 0, передано -1"),
        (["--timeout", "0"], "параметр --timeout: должно быть целым числом больше 0, передано 0"),
        (["--jobs", "0"], "параметр --jobs: должно быть целым числом больше 0, передано 0"),
        (["--jobs", "два"], "параметр --jobs: «два» — не целое число"),
    ],
)
def test_the_command_refuses_wrong_limits_with_exit_2(tmp_path, capsys, argv, message):
    out = tmp_path / "reports"
    assert main(_batch_args(INTA, out, *argv)) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"edu-quality: ошибка в параметрах: {message}")
    if argv[0] == "--timeout":
        school = ["report", "school", "--data", str(INTA), "--school", "INT05"]
        assert main([*school, "--year", str(YEAR), "--out", str(out), *argv]) == 2
        assert message in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
def test_jobs_over_the_cores_start_no_more_kernels_than_cores(tmp_path, capsys, monkeypatch):
    probe = _probe_notebook(tmp_path)
    jobs = [
        Job("school", {"school_id": str(i)}, f"school_{i}", f"Проба {i}", notebook=str(probe))
        for i in range(6)
    ]
    monkeypatch.setattr(runner, "run_batch", _with_plan(lambda *_: jobs))
    out = tmp_path / "reports"
    cores = usable_cores()
    assert main(_batch_args(INTA, out, "--jobs", "12")) == 0
    captured = capsys.readouterr()
    note = f"задано 12 одновременных отчётов, а ядер процессора {cores}"
    assert [ln for ln in captured.err.splitlines() if ln.strip()] == [
        f"edu-quality: {note}: отчёты строятся по {cores} одновременно"
    ]
    assert "Готово: 6" in captured.out
    workers = _manifest(out)["workers"]
    assert len(workers) == cores and sum(w["kernel_starts"] for w in workers) <= cores
    assert note in (out / "batch.log").read_text(encoding="utf-8")


# ------------------------------------------------------------------ 8. Ctrl+C on one report


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"]
)
def test_interrupting_one_report_exits_with_one_line(tmp_path, signum):
    out = tmp_path / "reports"
    command = batch_command(out)
    at = command.index("batch")
    command[at : at + 1] = ["school", "--school", "INT05"]
    command.remove("--quiet")
    tmp = tmp_path / "tmp"  # the command's temporary folder, to see the dataset handed over
    tmp.mkdir()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp)},
        # as from a terminal, even when the tests run under nohup
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )
    kernels: set[int] = set()
    # the signal comes once the command has loaded the data and hands it to its running
    # kernel: the page is still a warm-up and a page away, however fast the machine (a
    # fixed wait saw this small report finished before the signal)
    handed = lambda: bool(kernels) and any(tmp.glob("edu-quality-*/dataset.pickle"))  # noqa: E731
    wait_for(handed, proc, 120, kernels)
    kernels |= kernels_of(proc.pid)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum
    name = signal.Signals(signum).name
    assert stderr.strip().splitlines() == [f"edu-quality: прервано ({name}): отчёт не построен"]
    assert not alive(kernels)
    assert not out.exists() or not leftovers(out)


def test_signals_stop_the_reports_but_an_ignored_hangup_stays_ignored():
    from edu_quality.report.stop import Stop, stop_on_signals

    class Kernel:
        killed = None

        def kill(self, why):
            self.killed = why

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    old_int = signal.getsignal(signal.SIGINT)
    try:
        stop, kernel = Stop(), Kernel()
        stop.kernels.append(kernel)
        with stop_on_signals(stop):
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGINT) is stop
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
        assert stop.signum == signal.SIGINT and kernel.killed == "stop"
        assert signal.getsignal(signal.SIGINT) is old_int  # restored after the block
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        with stop_on_signals(Stop()):
            assert isinstance(signal.getsignal(signal.SIGHUP), Stop)
    finally:
        signal.signal(signal.SIGHUP, before)


@pytest.mark.slow
def test_pages_under_no_reports_name_are_removed(tmp_path):
    """A page an earlier batch built under a name no report has now (an old naming scheme,
    a school gone) would read as current: a batch over the whole folder removes it; a
    batch of one municipality leaves the folder's other pages alone."""
    out = tmp_path / "reports"
    out.mkdir()
    stale = ["municipality_МОГО_Инта-183b163e.html", "school_GONE.ipynb"]
    for name in stale:
        (out / name).write_text("старая страница", encoding="utf-8")
    (out / "notes.html").write_text("свой файл", encoding="utf-8")
    muni = eq.load_dataset(INTA).municipalities[0]
    result = run_batch(INTA, YEAR, out, jobs=1, progress=False, municipality=muni)
    assert result.done and all((out / n).exists() for n in stale)
    result = run_batch(INTA, YEAR, out, jobs=1, progress=False)
    assert not any((out / n).exists() for n in stale)
    assert (out / "notes.html").exists()  # not a report's name: not touched
    pages = {p.stem for p in out.glob("*.html")} - {"index", "notes"}
    assert pages == set(result.done) | set(result.skipped)
    assert "которых больше нет в плане: 2" in (out / "batch.log").read_text(encoding="utf-8")

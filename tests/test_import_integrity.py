"""The ФИС ОКО import's cache, manifest and outputs: checked before trusted, never half written.

Each test imports a small hand-made region (a registry and two ВПР files of 2021) with
:func:`edu_quality.fisoko.import_fisoko` or the command line, then damages the cache, the
manifest or an output, or makes writing fail, and checks what the next import or
:func:`edu_quality.load_dataset` does.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from edu_quality import DataError, load_dataset
from edu_quality._files import INCOMPLETE_MARKER, STAGING_PREFIX
from edu_quality.cli import main
from edu_quality.errors import WriteError
from edu_quality.fisoko import OUTPUTS, import_fisoko
from edu_quality.fisoko import importer as importer_module
from edu_quality.fisoko.cache import ENTRY_HEADER
from edu_quality.report.cache import folder_version

MATHS = "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
RUSSIAN = "Проведение работы по русскому языку, 4 класс. ВПР 2021.xlsx"
MATHS_5 = "Проведение работы по математике, 5 класс. ВПР 2021.xlsx"
HEADER = [
    "логин школы",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "вариант",
    "всего баллов",
    "балл за 1",
    "балл за 2",
]


def _pupils(first: int, n: int = 6) -> list[list[object]]:
    return [
        ["sch220001" if i % 2 else "sch220002", str(first + i), "4", "м", "1", None, 1, i % 3]
        for i in range(n)
    ]


@pytest.fixture
def region(tmp_path, write_xlsx):
    """A registry of two schools and a folder of two ВПР files; the import's arguments."""
    registry = write_xlsx(
        "registry.xlsx",
        [["логин", "имя", "регион"], ["sch220001", "СОШ №1", "Р"], ["sch220002", "СОШ №2", "Р"]],
    )
    folder = tmp_path / "vpr_2021"
    folder.mkdir()
    write_xlsx(MATHS, [HEADER, *_pupils(40001)]).rename(folder / MATHS)
    write_xlsx(RUSSIAN, [HEADER, *_pupils(50001)]).rename(folder / RUSSIAN)
    return registry, folder, tmp_path / "out"


def _import(region, out: Path | None = None, **options):
    registry, folder, default = region
    return import_fisoko(registry, None, [folder], out or default, workers=1, **options)


def _cli(region) -> list[str]:
    registry, folder, out = region
    return [
        "import",
        "fis-oko",
        "--registry",
        str(registry),
        "--vpr",
        str(folder),
        "--out",
        str(out),
        "--workers",
        "1",
        "--quiet",
    ]


def _tables(out: Path) -> dict[str, pd.DataFrame]:
    return {f: pd.read_parquet(out / f) for f in OUTPUTS.values() if (out / f).exists()}


def _assert_same_tables(out: Path, fresh: Path) -> None:
    got, expected = _tables(out), _tables(fresh)
    assert sorted(got) == sorted(expected)
    for name, table in expected.items():
        pd.testing.assert_frame_equal(got[name], table, obj=name)


def _bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def _hidden(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name != ".cache" and p.name.startswith("."))


# ------------------------------------------------------------------ cache entries


@pytest.mark.parametrize("where", ["header", "digest", "payload", "truncated", "old format"])
def test_a_damaged_cache_entry_is_not_used_and_the_file_is_read_again(region, tmp_path, where):
    first = _import(region)
    entries = sorted((first.out / ".cache" / "vpr").iterdir())
    assert len(entries) == 2
    entry = entries[0]
    data = bytearray(entry.read_bytes())
    assert data.startswith(ENTRY_HEADER)
    if where == "header":
        data[3] ^= 0x01
    elif where == "digest":
        data[len(ENTRY_HEADER) + 5] ^= 0x01
    elif where == "payload":  # a byte in the middle of the pickled tables
        data[len(data) // 2] ^= 0x01
    elif where == "truncated":
        del data[len(data) // 2 :]
    else:  # a bare pickle, as entries were written before they had a digest
        data = bytearray(pickle.dumps(pickle.loads(bytes(data[len(ENTRY_HEADER) + 32 :]))))
    entry.write_bytes(bytes(data))
    (first.out / ".cache" / "manifest.json").unlink()  # the import runs, reading the cache
    again = _import(region)
    assert not again.from_cache and again.cache_hits == 1  # the damaged entry was not used
    assert entry.read_bytes().startswith(ENTRY_HEADER) and entry.read_bytes() != bytes(data)
    fresh = _import(region, tmp_path / "fresh", cache=False)
    _assert_same_tables(again.out, fresh.out)
    assert _import(region).cache_hits == 2  # the entry written again is whole


# ------------------------------------------------------------------ the manifest


@pytest.mark.parametrize(
    "text",
    [
        "[]",
        "null",
        '"манифест"',
        "{}",
        "{",
        '{"key": 1, "version": [], "outputs": 3, "files": {}, "quality_counts": "x", "sha256": 0}',
    ],
)
def test_a_manifest_of_another_shape_is_treated_as_absent(region, capsys, text):
    assert main(_cli(region)) == 0
    manifest = region[2] / ".cache" / "manifest.json"
    manifest.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(_cli(region)) == 0
    captured = capsys.readouterr()
    assert "внутренняя ошибка" not in captured.err and captured.err == ""
    assert "Импорт ФИС ОКО" in captured.out and "(из кэша 2)" in captured.out  # run again
    assert json.loads(manifest.read_text(encoding="utf-8"))["key"]  # written anew
    assert main(_cli(region)) == 0
    assert "Исходные файлы не изменились" in capsys.readouterr().out


@pytest.mark.parametrize("change", ["types", "value", "output list", "a file row"])
def test_a_manifest_changed_inside_is_treated_as_absent(region, change):
    first = _import(region)
    path = first.out / ".cache" / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if change == "types":  # the earlier form: [size, mtime] per output
        manifest["outputs"] = {f: [1, 2] for f in manifest["outputs"]}
    elif change == "value":  # right shape, but not what was written: its digest tells
        manifest["quality_counts"] = {"ошибка": 7}
    elif change == "output list":
        del manifest["outputs"]["results_vpr.parquet"]
    else:
        del manifest["files"][0]["participants"]
    path.write_text(json.dumps(manifest), encoding="utf-8")
    again = _import(region)
    assert not again.from_cache and again.quality_counts == first.quality_counts


def test_an_output_altered_with_its_time_restored_is_imported_again(region, tmp_path):
    first = _import(region)
    path = first.written["results"]
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # same size, same time: only its SHA-256 tells
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    again = _import(region)
    assert not again.from_cache and again.cache_hits == 2
    fresh = _import(region, tmp_path / "fresh", cache=False)
    assert path.read_bytes() == fresh.written["results"].read_bytes()
    assert _import(region).from_cache


def test_a_missing_output_is_imported_again(region):
    first = _import(region)
    first.written["tasks"].unlink()
    again = _import(region)
    assert not again.from_cache and again.written["tasks"].is_file()


# ------------------------------------------------------------------ writing fails


def _full_disk_on_call(monkeypatch, call: int) -> list[int]:
    """Make the import's Parquet writer fail with ENOSPC on its ``call``-th table."""
    calls: list[int] = []
    write = importer_module._write_parquet

    def failing(df, path):
        calls.append(1)
        if len(calls) == call:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        write(df, path)

    monkeypatch.setattr(importer_module, "_write_parquet", failing)
    return calls


def test_a_full_disk_keeps_the_previous_dataset(region, write_xlsx, monkeypatch, capsys):
    assert main(_cli(region)) == 0
    out = region[2]
    before = _bytes(out)
    previous = load_dataset(out)
    # the next import has a third file; the disk fills while its third table is written
    write_xlsx(MATHS_5, [HEADER, *_pupils(60001)]).rename(region[1] / MATHS_5)
    calls = _full_disk_on_call(monkeypatch, 3)
    capsys.readouterr()
    assert main(_cli(region)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(
        "edu-quality: ошибка: не удалось записать результаты импорта: нет места на диске; "
        f"таблицы прежнего импорта в папке {out} не изменены"
    ), err
    assert len(calls) == 3
    assert _bytes(out) == before and _hidden(out) == []  # no staging folder, no marker
    pd.testing.assert_frame_equal(load_dataset(out).results, previous.results)
    monkeypatch.undo()
    assert main(_cli(region)) == 0  # space again: the import runs whole
    assert len(load_dataset(out).results) == 18 and _hidden(out) == []


@pytest.mark.slow
def test_a_file_size_limit_in_a_child_process_keeps_the_previous_dataset(region, write_xlsx):
    """The import as a command, in a process whose files may not grow beyond 1 KiB: every
    Parquet file is larger. The cache is not written either, and that is no error."""
    assert main(_cli(region)) == 0
    out = region[2]
    before = _bytes(out)
    write_xlsx(MATHS_5, [HEADER, *_pupils(60001)]).rename(region[1] / MATHS_5)
    limit = (
        "import resource, signal, sys, runpy;"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN);"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024));"
        "sys.argv = ['edu-quality', *sys.argv[1:]];"
        "runpy.run_module('edu_quality.cli', run_name='__main__')"
    )
    proc = subprocess.run(
        [sys.executable, "-c", limit, *_cli(region)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert (
        "не удалось записать результаты импорта: файл больше, чем позволяет система" in proc.stderr
    ), proc.stderr
    assert "таблицы прежнего импорта" in proc.stderr
    assert _bytes(out) == before and _hidden(out) == []
    assert len(load_dataset(out).results) == 12


def test_an_import_stopped_among_the_renames_leaves_a_folder_load_dataset_refuses(
    region, monkeypatch
):
    """The renames fail after the first table moved in: the folder is half new, half old.
    The marker stays, so it cannot be read as a dataset; the next import completes it."""
    first = _import(region)
    renames: list[Path] = []
    rename = Path.replace

    def failing(self, target):
        if Path(target).parent == first.out:  # not the cache's files
            renames.append(Path(target))
            if len(renames) == 3:  # 1: the marker, 2: the first table, 3: fails
                raise OSError(errno.EIO, "Input/output error", str(target))
        return rename(self, target)

    monkeypatch.setattr(Path, "replace", failing)
    with pytest.raises(
        WriteError,
        match="ошибка ввода-вывода диска; импорт в папку .* не завершён: запустите импорт снова",
    ):
        _import(region, invalid_results="exclude")  # another option: the outputs are new
    monkeypatch.undo()
    out = first.out
    assert renames[0].name == INCOMPLETE_MARKER and (out / INCOMPLETE_MARKER).exists()
    assert _hidden(out) == [INCOMPLETE_MARKER]  # the staging folder is gone
    assert not (out / ".cache" / "manifest.json").exists()
    with pytest.raises(DataError) as info:
        load_dataset(out)
    assert str(info.value) == f"out, импорт в папку {out} не завершён: запустите импорт снова"
    again = _import(region)  # the same options as the outputs recorded: still run again
    assert not again.from_cache and _hidden(out) == []
    assert len(load_dataset(out).results) == 12


def test_a_killed_import_is_refused_then_cleaned_up_by_the_next(region):
    """What a killed import leaves: a staging folder with some tables, the marker."""
    first = _import(region)
    out = first.out
    staging = out / f"{STAGING_PREFIX}k1ll3d"
    staging.mkdir()
    for f in ("schools.parquet", "results_vpr.parquet"):
        (staging / f).write_bytes((out / f).read_bytes())
    (staging / "tasks.parquet").write_bytes(b"PAR1 half a file")
    # hidden folders are left out: the dataset and its version are those of `out` alone
    version = folder_version(out)[1]
    assert len(load_dataset(out).results) == 12
    (out / INCOMPLETE_MARKER).write_text("", encoding="utf-8")
    assert folder_version(out)[1] == version
    with pytest.raises(DataError, match="не завершён: запустите импорт снова") as info:
        load_dataset(out)
    assert str(out) in str(info.value)
    again = _import(region)
    assert not again.from_cache and again.cache_hits == 2
    assert _hidden(out) == [] and len(load_dataset(out).results) == 12
    assert _import(region).from_cache
    staging.mkdir()  # killed while writing, the outputs unchanged: removed all the same
    assert _import(region).from_cache and _hidden(out) == []


def test_cli_names_an_os_error_in_russian(tmp_path, capsys, region):
    """An operating-system error outside the writing of the outputs: one Russian line."""
    registry, folder, _ = region
    blocker = tmp_path / "файл"
    blocker.write_text("", encoding="utf-8")
    args = _cli(region)
    args[args.index("--out") + 1] = str(blocker / "out")  # a folder inside a file
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Errno" not in err, err
    assert err.startswith("edu-quality: ошибка: путь ведёт не в папку"), err


# ------------------------------------------------------------------ the cached path


def test_a_cached_import_prints_the_summary_the_import_printed(region, capsys):
    """Nothing changed: the command prints, from the manifest, the table the import printed."""
    assert main(_cli(region)) == 0
    first = capsys.readouterr().out.splitlines()
    assert main(_cli(region)) == 0
    again = capsys.readouterr().out.splitlines()
    assert first[0].startswith("Импорт ФИС ОКО →"), first[0]
    assert again[0].startswith("Исходные файлы не изменились: таблицы в "), again[0]
    assert again[1:] == first[1:] and len(again) == 6  # header, 2 files, 2 totals
    assert MATHS[:43] in again[2] and "   6 " in again[2]


def test_a_cached_import_imports_no_pandas(region):
    """The cache check of ``edu-quality import fis-oko`` imports neither pandas, NumPy nor
    pandera: a re-import of unchanged files answers at once."""
    assert main(_cli(region)) == 0
    code = (
        "import sys\n"
        "from edu_quality.cli import main\n"
        f"code = main({_cli(region)!r})\n"
        "heavy = sorted(m for m in ('pandas', 'numpy', 'pandera', 'pyarrow') if m in sys.modules)\n"
        "print('->', code, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=True,
    )
    assert "Исходные файлы не изменились" in done.stdout, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "-> 0 []", done.stdout


# ------------------------------------------------------------------ two workers


def test_two_workers_write_what_one_does(region, tmp_path):
    """With two workers the registry is read in a thread while they read the ВПР files,
    and the per-task scores are written in a thread: the tables are those of one worker."""
    registry, folder, _ = region
    two = import_fisoko(registry, None, [folder], tmp_path / "two", workers=2, cache=False)
    assert two.cache_hits == 0
    _assert_same_tables(tmp_path / "two", _import(region, cache=False).out)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_broken_vpr_file_is_reported_before_a_broken_registry(region, write_xlsx, workers):
    """The registry is read beside the ВПР files, but its error comes second, as it did."""
    registry, folder, out = region
    registry.write_bytes(b"not a workbook")
    (folder / MATHS).write_bytes(b"not a workbook either")
    with pytest.raises(DataError) as err:
        import_fisoko(registry, None, [folder], out, workers=workers, cache=False)
    assert err.value.file == MATHS, str(err.value)
    write_xlsx(MATHS, [HEADER, *_pupils(40001)]).rename(folder / MATHS)
    with pytest.raises(DataError) as err:
        import_fisoko(registry, None, [folder], out, workers=workers, cache=False)
    assert err.value.file == registry.name, str(err.value)
    assert not out.exists() or not any(out.glob("*.parquet"))

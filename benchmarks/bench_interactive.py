"""Time what a person waits for: the explorer, one report, one ФИС ОКО file.

Usage::

    python benchmarks/bench_interactive.py [--altai DIR] [--runs N]

Prints a table of four timings beside their targets, each the best of
``--runs`` runs (default 3), every run in a new Python process:

* **explorer ready** — what the page's kernel does after it starts, with the
  tables ``edu-quality explore`` prepares (:func:`edu_quality.explore.explore_tables`
  and :func:`~edu_quality.explore.prepare_first_view`, saved to a file as the
  command does): in a new process that has imported the kernel's own modules
  (untimed), ``edu_quality.explore`` imported, the tables read,
  :class:`~edu_quality.explore.Explorer` built and displayed once (target < 3 s);
  the same from the folder with nothing prepared (the notebook opened in
  JupyterLab on a folder) is printed as information;
* **explorer redraw** — then, after the background warm-up of the drawing has
  ended (the page is being looked at), the median of several picker changes
  to selections not shown before (metric, school, year, subject, grade,
  municipality) (target < 0,3 s); the change back to a selection shown
  before is printed as information;
* **report school** — ``edu-quality report school --data data_samples/region
  --school 01016 --year 2024`` end to end: the command's process, its kernel,
  the page written (target < 3 s); twice per run: the first with an empty cache
  of region-wide tables (:mod:`edu_quality.report.table_cache`: new data),
  the second reading the tables the first kept (the next report of the same
  data);
* **one xlsx** — :func:`edu_quality.fisoko.read_fisoko_vpr` of a 2,6 MB ВПР
  export with every check (archive and sheet limits, all the parser's
  checks), after the imports (target < 2 s); only when the folder of real
  data is there.

Wall time, seconds; the CPU seconds of the measured process are printed too
(on a machine shared with other work, wall time is the noisier of the two).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGION = ROOT / "data_samples" / "region"
XLSX = "vpr_2021/Проведение работы по математике, 4 класс. ВПР 2021.xlsx"

PREPARE = """
import sys
from edu_quality.explore import explore_tables, prepare_first_view
prepare_first_view(explore_tables(sys.argv[1])).save(sys.argv[2])
"""

EXPLORER = """
import json, os, statistics, sys, time
import ipykernel.ipkernel  # the kernel has started: its own modules are imported
t0, c0 = time.perf_counter(), time.process_time()
from edu_quality.explore import Explorer
ex = Explorer(sys.argv[1] if len(sys.argv) > 1 else "")
ex.widget._repr_mimebundle_()
ready, ready_cpu = time.perf_counter() - t0, time.process_time() - c0
if ex.warming is not None:
    ex.warming.join()
def change(picker, pick=1):
    values = [o[1] if isinstance(o, tuple) else o for o in picker.options]
    other = [v for v in values if v != picker.value][pick % max(len(values) - 1, 1)]
    t, c = time.perf_counter(), time.process_time()
    picker.value = other
    return time.perf_counter() - t, time.process_time() - c
new = []
for picker in (ex.metric, ex.school, ex.year, ex.subject, ex.grade, ex.metric, ex.municipality,
               ex.school, ex.year):
    rendered = ex.rendered
    timing = change(picker)
    if ex.rendered > rendered:
        new.append(timing)
shown = ex.year.value
ex.year.value = next(y for y in ex.year.options if y != shown)
rendered = ex.rendered
t, c = time.perf_counter(), time.process_time()
ex.year.value = shown  # back to a selection shown before
back = [time.perf_counter() - t, time.process_time() - c]
assert ex.rendered == rendered
median = [statistics.median(w for w, _ in new), statistics.median(c for _, c in new)]
print(json.dumps({"ready": [ready, ready_cpu], "redraw": median, "n": len(new), "back": back}))
"""

XLSX_READ = """
import json, sys, time
from edu_quality.fisoko import read_fisoko_vpr
t, c = time.perf_counter(), time.process_time()
r = read_fisoko_vpr(sys.argv[1], invalid_results="exclude")
print(json.dumps({"read": [time.perf_counter() - t, time.process_time() - c], "rows": len(r.results)}))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> dict | None:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        env=env or _env(),
        cwd=ROOT,
    )
    lines = out.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else None


def _report(out: Path, cache: Path) -> list[float]:
    env = _env()
    env["EDU_QUALITY_CACHE"] = str(cache)
    cmd = [sys.executable, "-m", "edu_quality.cli", "report", "school", "--data", str(REGION)]
    cmd += ["--school", "01016", "--year", "2024", "--out", str(out)]
    before = os.times()
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t
    after = os.times()  # the command and its kernel: children waited for
    return [
        wall,
        (after.children_user - before.children_user)
        + (after.children_system - before.children_system),
    ]


def _best(runs: list[list[float]]) -> list[float]:
    return min(runs, key=lambda r: r[0])


def _fmt(x: float, spec: str = ".2f") -> str:
    return format(x, spec).replace(".", ",")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Время интерактивных действий.")
    parser.add_argument("--altai", type=Path, default=ROOT.parent / "shared" / "real" / "altai")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--explorer-only", action="store_true", help="только обозреватель")
    args = parser.parse_args(argv)

    rows: list[tuple[str, list[float] | None, float | None]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tables = Path(tmp) / "tables.pickle"  # what edu-quality explore hands to the page
        _python(PREPARE, str(REGION), str(tables))
        served = dict(_env(), EDU_QUALITY_DATA=str(REGION), EDU_QUALITY_EXPLORE_TABLES=str(tables))
        explorer = [_python(EXPLORER, env=served) for _ in range(args.runs)]
    cold = [_python(EXPLORER, str(REGION)) for _ in range(args.runs)]
    best = min(explorer, key=lambda e: e["ready"][0])
    rows.append(("обозреватель готов после старта ядра", best["ready"], 3))
    rows.append(
        (
            f"перерисовка: медиана {best['n']} смен значения",
            _best([e["redraw"] for e in explorer]),
            0.3,
        )
    )
    rows.append(("  возврат к показанному выбору", _best([e["back"] for e in explorer]), None))
    rows.append(("  готов без подготовки (из папки)", _best([e["ready"] for e in cold]), None))
    if args.explorer_only:
        _print(rows, args.runs)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        first, second = [], []
        for i in range(args.runs):
            cache = Path(tmp) / f"cache{i}"  # empty: the tables are computed and kept
            first.append(_report(Path(tmp) / f"first{i}", cache))
            second.append(_report(Path(tmp) / f"second{i}", cache))
        rows.append(("edu-quality report school, первый запуск", _best(first), 3))
        rows.append(("edu-quality report school, повторный", _best(second), 3))
    xlsx = args.altai / XLSX
    if xlsx.is_file():
        reads = [_python(XLSX_READ, str(xlsx))["read"] for _ in range(args.runs)]
        rows.append(
            (f"чтение выгрузки ВПР ({_fmt(xlsx.stat().st_size / 1e6, '.1f')} МБ)", _best(reads), 2)
        )
    else:
        rows.append(("чтение выгрузки ВПР: нет файла " + str(xlsx), None, 2))

    _print(rows, args.runs)
    return 0


def _print(rows: list[tuple[str, list[float] | None, float | None]], runs: int) -> None:
    print(f"Интерактивные действия: лучшее из {runs}, секунды (ЦП — время процессора)")
    print(f"{'действие':44} {'время':>7} {'ЦП':>7} {'цель':>6}  итог")
    for name, value, target in rows:
        goal = "< " + _fmt(target, "g") if target is not None else ""
        if value is None:
            print(f"{name:44} {'—':>7} {'—':>7} {goal:>6}  не замерено")
            continue
        wall, cpu = value
        verdict = ("да" if wall < target else "нет") if target is not None else "для сведения"
        print(f"{name:44} {_fmt(wall):>7} {_fmt(cpu):>7} {goal:>6}  {verdict}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Средняя загрузка машины за минуту: {_fmt(load)} (ядер: {os.cpu_count()})")


if __name__ == "__main__":
    raise SystemExit(main())

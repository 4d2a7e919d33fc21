"""Time what a person waits for: the explorer, one report, one ФИС ОКО file.

Usage::

    python benchmarks/bench_interactive.py [--altai DIR] [--runs N]

Prints a table of four timings beside their targets, each the best of
``--runs`` runs (default 3), every run in a new Python process:

* **explorer ready** — in a process that starts as a kernel does: the imports
  of ``edu_quality.explore``, :class:`~edu_quality.explore.Explorer` built for
  the sample region and displayed once (target < 3 s);
* **explorer redraw** — one picker changed (the metric, then the school) in
  that process, the view redrawn (target < 0,3 s, the slower of the two);
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

EXPLORER = """
import json, os, sys, time
t0, c0 = time.perf_counter(), time.process_time()
from edu_quality.explore import Explorer
ex = Explorer(sys.argv[1])
ex.widget._repr_mimebundle_()
ready, ready_cpu = time.perf_counter() - t0, time.process_time() - c0
redraws = []
for picker in (ex.metric, ex.school):
    values = [o[1] if isinstance(o, tuple) else o for o in picker.options]
    other = next(v for v in values if v != picker.value)
    t, c = time.perf_counter(), time.process_time()
    picker.value = other
    redraws.append((time.perf_counter() - t, time.process_time() - c))
slow = max(redraws)
print(json.dumps({"ready": [ready, ready_cpu], "redraw": list(slow), "draws": ex.draws}))
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


def _python(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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
    args = parser.parse_args(argv)

    rows: list[tuple[str, list[float] | None, float]] = []
    explorer = [_python(EXPLORER, str(REGION)) for _ in range(args.runs)]
    rows.append(("обозреватель готов после старта ядра", _best([e["ready"] for e in explorer]), 3))
    rows.append(("перерисовка после смены значения", _best([e["redraw"] for e in explorer]), 0.3))
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

    print(f"Интерактивные действия: лучшее из {args.runs}, секунды (ЦП — время процессора)")
    print(f"{'действие':44} {'время':>7} {'ЦП':>7} {'цель':>6}  итог")
    for name, value, target in rows:
        if value is None:
            print(f"{name:44} {'—':>7} {'—':>7} {'< ' + _fmt(target, 'g'):>6}  не замерено")
            continue
        wall, cpu = value
        verdict = "да" if wall < target else "нет"
        print(f"{name:44} {_fmt(wall):>7} {_fmt(cpu):>7} {'< ' + _fmt(target, 'g'):>6}  {verdict}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Средняя загрузка машины за минуту: {_fmt(load)} (ядер: {os.cpu_count()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

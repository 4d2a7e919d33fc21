"""Time the whole real region's report batch: every school, municipality and the region.

Usage::

    python benchmarks/bench_region.py [altai_dir] [--jobs 2] [--runs 2]

``altai_dir`` holds ``schools_registry.xlsx``, ``context_2022.xlsx`` and the
folders ``vpr_2020`` and ``vpr_2021`` (by default the shared folder of real
data next to the repository). The region is imported the way the README tells
a user (``edu-quality import fis-oko … --exclude-invalid-results``; the import
cache makes a second run quick), then ``edu-quality report batch --year 2021
--jobs N`` builds its 765 reports into a new folder each run: first with an
empty table cache (the region-wide tables computed and kept), then ``--runs``
times with the tables kept, which is how a region is rebuilt after the first
time. Each line gives the wall time, the CPU time of the command and its
kernels (user + system) and the pages written, beside the target of issue
#19: the 765 reports in under 90 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Target of issue #19, seconds: the real region's whole batch.
TARGET = 90.0
YEAR = "2021"


def _env(cache: Path) -> dict[str, str]:
    env = dict(os.environ, EDU_QUALITY_CACHE=str(cache))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _command(*args: str | Path, env: dict[str, str]) -> tuple[float, float]:
    """Run ``edu-quality args``; (wall seconds, CPU seconds of it and its children)."""
    before = os.times()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "edu_quality.cli", *map(str, args)],
        check=True,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def _fmt(x: float) -> str:
    return f"{x:.1f}".replace(".", ",")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Время пакета отчётов реального региона.")
    parser.add_argument(
        "altai_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "real" / "altai"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2, help="запусков с сохранёнными таблицами")
    args = parser.parse_args(argv)
    folder: Path = args.altai_dir
    if not (folder / "schools_registry.xlsx").is_file():
        print(f"нет данных: {folder} (ожидается schools_registry.xlsx и папки vpr_*)")
        return 1
    rows: list[tuple[str, float, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="edu-quality-bench-") as tmp:
        tmp = Path(tmp)
        env = _env(tmp / "cache")
        data = tmp / "dataset"
        imported = _command(
            "import", "fis-oko",
            "--registry", folder / "schools_registry.xlsx",
            "--context", folder / "context_2022.xlsx",
            "--vpr", folder / "vpr_2020", folder / "vpr_2021",
            "--out", data, "--exclude-invalid-results",
            env=env,
        )  # fmt: skip
        print(f"импорт региона: {_fmt(imported[0])} с (ЦП {_fmt(imported[1])} с)", flush=True)
        for run in range(1 + args.runs):
            out = tmp / f"reports{run}"
            wall, cpu = _command(
                "report", "batch", "--data", data, "--year", YEAR,
                "--jobs", str(args.jobs), "--out", out, "--quiet",
                env=env,
            )  # fmt: skip
            pages = sum(1 for p in out.glob("*.html") if p.name != "index.html")
            what = "пустой кэш таблиц" if run == 0 else "таблицы сохранены"
            rows.append((what, wall, cpu, pages))
            print(f"  {what}: {_fmt(wall)} с", flush=True)
    print(f"Пакет отчётов реального региона ({YEAR}, --jobs {args.jobs}), секунды")
    print(f"{'запуск':24} {'время':>7} {'ЦП':>7} {'страниц':>8} {'цель':>6}  итог")
    for what, wall, cpu, pages in rows:
        verdict = "да" if wall < TARGET else "нет"
        print(
            f"{what:24} {_fmt(wall):>7} {_fmt(cpu):>7} {pages:>8} {'< ' + _fmt(TARGET):>6}  "
            f"{verdict}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Time the import of a region's ФИС ОКО files: cold, and again from the cache.

Usage::

    python benchmarks/bench_import.py [altai_dir] [--workers N]

``altai_dir`` holds ``schools_registry.xlsx``, ``context_2022.xlsx`` and the
folders ``vpr_2020``, ``vpr_2021``, ``vpr_2022``; by default the shared folder
of real data next to the repository (``../shared/real/altai``). The 2022
files need a score-to-mark scale that is not shipped: the benchmark uses the
2021 table relabelled as 2022 — a stand-in for timing, not an official scale.

Prints a small table: the cold import (new output folder, empty cache), the
cached re-import in the same process, and the cached re-import through the
``edu-quality`` command (a new Python process, so it includes start-up), each
as wall time and CPU time (user + system, of the process and its workers:
on a shared machine the wall time says more about the neighbours than about
the code). Targets (issue #19): the 20 files of 2020 and 2021 cold in under
12 s, cached in under 1 s, and the cached command must not import pandas —
the last line says whether it did.

``--years 2020 2021`` (the default) takes the folders ``vpr_2020`` and
``vpr_2021``, the files of the target; ``--years all`` every ``vpr_*``.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Targets of issue #19, seconds: the 20 files of 2020–2021 cold, and again from the cache.
COLD_TARGET = 12.0
CACHED_TARGET = 1.0
#: What the cached command must not import.
HEAVY = ("pandas", "numpy", "pandera", "pyarrow")


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(call):
    """``call()``, its wall time and its CPU time (seconds)."""
    wall, cpu = time.perf_counter(), _cpu()
    value = call()
    return value, time.perf_counter() - wall, _cpu() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Время импорта выгрузок ФИС ОКО.")
    parser.add_argument(
        "altai_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "real" / "altai"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--years", nargs="+", default=["2020", "2021"])
    args = parser.parse_args(argv)
    folder: Path = args.altai_dir
    if not (folder / "schools_registry.xlsx").is_file():
        print(
            f"нет данных: {folder} (ожидается schools_registry.xlsx и папки vpr_*)", file=sys.stderr
        )
        return 1

    from edu_quality.fisoko import import_fisoko
    from edu_quality.scales import vpr_scales

    vpr = sorted(
        p
        for p in folder.glob("vpr_*")
        if p.is_dir() and ("all" in args.years or p.name.removeprefix("vpr_") in args.years)
    )
    context = folder / "context_2022.xlsx"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scales = tmp / "scales_2022_benchmark.csv"
        (
            vpr_scales()
            .query("year == 2021")
            .assign(year=2022, source="бенчмарк: шкала 2021 года для 2022 (не официальная)")
            .to_csv(scales, index=False)
        )
        out = tmp / "dataset"
        options = {"scales": scales, "invalid_results": "exclude", "workers": args.workers}
        ctx = context if context.is_file() else None

        def run():
            return import_fisoko(folder / "schools_registry.xlsx", ctx, vpr, out, **options)

        cold, cold_s, cold_cpu = _timed(run)
        warm, warm_s, warm_cpu = _timed(run)

        heavy = f"print('imported:', *sorted(m for m in {HEAVY!r} if m in sys.modules))"
        command = [
            sys.executable,
            "-c",
            "import sys\nfrom edu_quality.cli import main\n"
            f"code = main(sys.argv[1:])\n{heavy}\nsys.exit(code)",
            "import",
            "fis-oko",
            "--registry",
            str(folder / "schools_registry.xlsx"),
            *(["--context", str(ctx)] if ctx else []),
            "--vpr",
            *map(str, vpr),
            "--out",
            str(out),
            "--scales",
            str(scales),
            "--exclude-invalid-results",
            "--quiet",
            "--workers",
            str(args.workers),
        ]
        done, cli_s, cli_cpu = _timed(
            lambda: subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        )
        _, startup_s, _ = _timed(
            lambda: subprocess.run(
                [sys.executable, "-c", "import edu_quality"], cwd=ROOT, check=True
            )
        )
        imported = next(
            (line.split()[1:] for line in done.stdout.splitlines() if line.startswith("imported:")),
            None,
        )

    files = cold.files
    print(f"Данные: {folder}")
    print(
        f"Файлов ВПР: {len(files)}, строк: {int(files['rows'].sum()):,}, участников: "
        f"{int(files['participants'].sum()):,}, процессов: {args.workers}".replace(",", " ")
    )
    print()
    rows = [
        ("холодный импорт", cold_s, cold_cpu, COLD_TARGET, f"из кэша {cold.cache_hits} файлов"),
        (
            "повторный импорт (в процессе)",
            warm_s,
            warm_cpu,
            CACHED_TARGET,
            "из кэша" if warm.from_cache else "кэш не сработал",
        ),
        (
            "повторный импорт (edu-quality)",
            cli_s,
            cli_cpu,
            CACHED_TARGET,
            f"код выхода {done.returncode}; из них import edu_quality ≈ {startup_s:.2f} с",
        ),
    ]
    print(f"{'шаг':<32} {'секунд':>7} {'ЦП, с':>6} {'цель':>5}  {'итог':<6} примечание")
    for name, seconds, cpu, target, note in rows:
        verdict = "ок" if seconds < target else "долго"
        print(f"{name:<32} {seconds:>7.2f} {cpu:>6.2f} {target:>5.0f}  {verdict:<6} {note}")
    print("ЦП — время процессора (user + sys) с процессами-исполнителями; секунды — по часам.")
    if imported is None:
        print("импортировал ли повторный импорт pandas: неизвестно (команда не завершилась)")
    else:
        print(
            "повторный импорт (edu-quality) импортировал: "
            + (
                ", ".join(imported) + " — а не должен"
                if imported
                else "ни pandas, ни NumPy, ни pandera — ок"
            )
        )
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    return 0 if done.returncode == 0 and warm.from_cache and imported == [] else 1


if __name__ == "__main__":
    sys.exit(main())

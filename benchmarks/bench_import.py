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
``edu-quality`` command (a new Python process, so it includes start-up).
Targets: cold < 30 s on 2 cores, cached < 2 s.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Время импорта выгрузок ФИС ОКО.")
    parser.add_argument(
        "altai_dir", nargs="?", type=Path, default=ROOT.parent / "shared" / "real" / "altai"
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    folder: Path = args.altai_dir
    if not (folder / "schools_registry.xlsx").is_file():
        print(
            f"нет данных: {folder} (ожидается schools_registry.xlsx и папки vpr_*)", file=sys.stderr
        )
        return 1

    from edu_quality.fisoko import import_fisoko
    from edu_quality.scales import vpr_scales

    vpr = sorted(p for p in folder.glob("vpr_*") if p.is_dir())
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

        t = time.perf_counter()
        cold = import_fisoko(folder / "schools_registry.xlsx", ctx, vpr, out, **options)
        cold_s = time.perf_counter() - t

        t = time.perf_counter()
        warm = import_fisoko(folder / "schools_registry.xlsx", ctx, vpr, out, **options)
        warm_s = time.perf_counter() - t

        command = [
            sys.executable,
            "-m",
            "edu_quality.cli",
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
        t = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        cli_s = time.perf_counter() - t
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import edu_quality"], cwd=ROOT, check=True)
        startup_s = time.perf_counter() - t

    files = cold.files
    print(f"Данные: {folder}")
    print(
        f"Файлов ВПР: {len(files)}, строк: {int(files['rows'].sum()):,}, участников: "
        f"{int(files['participants'].sum()):,}, процессов: {args.workers}".replace(",", " ")
    )
    print()
    rows = [
        ("холодный импорт", cold_s, 30.0, f"из кэша {cold.cache_hits} файлов"),
        (
            "повторный импорт (в процессе)",
            warm_s,
            2.0,
            "из кэша" if warm.from_cache else "кэш не сработал",
        ),
        (
            "повторный импорт (edu-quality)",
            cli_s,
            2.0,
            f"код выхода {done.returncode}; из них import edu_quality ≈ {startup_s:.2f} с",
        ),
    ]
    print(f"{'шаг':<32} {'секунд':>7} {'цель':>6}  {'итог':<6} примечание")
    for name, seconds, target, note in rows:
        verdict = "ок" if seconds < target else "долго"
        print(f"{name:<32} {seconds:>7.2f} {target:>6.0f}  {verdict:<6} {note}")
    if done.returncode != 0:
        print(done.stderr, file=sys.stderr)
    return 0 if done.returncode == 0 and warm.from_cache else 1


if __name__ == "__main__":
    sys.exit(main())

"""Time the school reports of a synthetic municipality three ways, in one run.

Usage::

    python benchmarks/bench_reports.py [--schools 60] [--naive 10] [--jobs 2] [--repeat 3]
                                       [--out FILE]

The data: :func:`edu_quality.synthetic.make_region` with one municipality of
``--schools`` schools (seed 2024), written to a temporary folder; the reports
are those of ``edu-quality report batch`` for it: every school and the
municipality (``--schools`` + 1).

(a) the naive loop — per report, the ``papermill`` command, then ``jupyter
    nbconvert --to html --no-input``, one after the other; timed on the first
    ``--naive`` school reports (it is slow) and given per report;
(b) ``edu-quality report batch --jobs N`` (a new process, as a person runs
    it), total wall time divided by the number of reports;
(c) the in-process limit — the same sections rendered to HTML by library
    calls (:func:`~edu_quality.report.sections.school_report` or
    ``municipality_report``, then :func:`~edu_quality.report.render.page`) in
    N worker processes started fresh (``spawn``: they import and load the
    data themselves, as the kernels do), no kernel, no notebook;
(d) ``edu-quality report batch --executor dask --jobs N``: the same batch on a
    local Dask distributed cluster of N worker processes (what a region's
    cluster adds: task shipping, pages sent back as bytes).

Every run of (a), (b), (c) and (d) starts with an empty cache of region-wide
tables (:mod:`edu_quality.report.table_cache`, a folder of its own), as the
first batch of new data does: each kernel or worker computes them or waits for
the one computing them.

(b) and (c) run ``--repeat`` times, one after the other in pairs, and the
table gives the fastest run of each (as :mod:`timeit` does: on a shared
machine a slower run measures the other load, not the code); every pair is
listed under the table.

Peak memory per worker: (a) the kernel of each papermill run, sampled with
psutil (memory every 0.1 s, the process tree listed once a second, so that the
sampling costs the measured runs next to nothing); (b) each kernel's ``VmHWM`` (recorded by the batch in
``manifest.json``) and the batch process itself (sampled); (c) each worker's
``ru_maxrss``. The report sections of (a), (b) and (c) are compared: they must
be the same HTML (the pages differ only in their frame and time stamp).

Prints a table and writes it to ``reports/bench.md`` (``--out``). Exits 1 only
when the reports differ or a run fails; the timings are reported, not judged
(they depend on the machine and its load).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
YEAR = 2024
MB = 1024 * 1024


# ------------------------------------------------------------------ measuring


class _Sampler:
    """Peak resident memory of a process tree, sampled with psutil in a thread.

    Cheap, so that it does not slow what it measures: the tree is listed once a
    second (a scan of ``/proc``), the known processes' memory read every 0.1 s.
    """

    def __init__(self, interval: float = 0.1, rescan: float = 1.0):
        self.interval = interval
        self.rescan = rescan
        self.peaks: dict[int, tuple[str, int]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int) -> None:
        import psutil

        def kind_of(p) -> str:
            return "kernel" if "ipykernel_launcher" in " ".join(p.cmdline()) else "driver"

        def loop():
            try:
                root = psutil.Process(pid)
            except psutil.NoSuchProcess:
                return
            procs: dict = {}
            listed = 0.0
            while not self._stop.is_set():
                if time.monotonic() - listed > self.rescan:
                    try:
                        for p in [root, *root.children(recursive=True)]:
                            if p.pid not in procs:
                                procs[p.pid] = (p, kind_of(p))
                    except psutil.NoSuchProcess:
                        return
                    except psutil.AccessDenied:
                        pass
                    listed = time.monotonic()
                for p, kind in list(procs.values()):
                    try:
                        rss = p.memory_info().rss
                    except (psutil.NoSuchProcess, psutil.AccessDenied):
                        procs.pop(p.pid, None)
                        continue
                    old = self.peaks.get(p.pid, (kind, 0))
                    self.peaks[p.pid] = (kind, max(old[1], rss))
                time.sleep(self.interval)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def peak(self, kind: str, root: int | None = None) -> int:
        return max(
            [
                rss
                for pid, (k, rss) in self.peaks.items()
                if k == kind and (root is None or pid == root)
            ]
            or [0]
        )


def _children_cpu() -> float:
    """CPU seconds of this process's children waited for so far (and theirs)."""
    t = os.times()
    return t.children_user + t.children_system


def _run(cmd: list[str], sampler: _Sampler | None = None, **kw) -> float:
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if sampler is not None:
        sampler.watch(proc.pid)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t
    if sampler is not None:
        sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])}… вернула {proc.returncode}:\n{err[-3000:]}")
    return seconds


# ------------------------------------------------------------------ (a) naive loop


def naive(jobs, out: Path) -> tuple[float, int, dict[str, Path]]:
    """papermill, then jupyter nbconvert, per report; (seconds, peak kernel bytes, html)."""
    _fresh_cache(out)
    from edu_quality.report.runner import KERNEL_NAME, ensure_kernel

    ensure_kernel()
    out.mkdir(parents=True, exist_ok=True)
    pages, total, peak = {}, 0.0, 0
    for job in jobs:
        nb_in = job.template()
        executed = out / f"{job.name}.ipynb"
        params = []
        for key, value in job.parameters.items():
            params += ["-p", key, str(value)] if isinstance(value, int) else ["-r", key, str(value)]
        sampler = _Sampler()
        total += _run(
            [
                str(BIN / "papermill"),
                str(nb_in),
                str(executed),
                *params,
                "-k",
                KERNEL_NAME,
                "--cwd",
                str(nb_in.parent),
                "--no-progress-bar",
            ],
            sampler,
        )
        peak = max(peak, sampler.peak("kernel"))
        total += _run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)]
        )
        pages[job.name] = executed.with_suffix(".html")
    return total, peak, pages


# ------------------------------------------------------------------ (b) the batch command


def _fresh_cache(out: Path) -> None:
    """An empty table cache for the next run (inherited by its processes)."""
    os.environ["EDU_QUALITY_CACHE"] = str(out.parent / f"cache-{out.name}")


def batch(data: Path, out: Path, jobs: int, *extra: str) -> tuple:
    """``edu-quality report batch``; (seconds, kernel peaks, driver peak, reports, CPU seconds)."""
    _fresh_cache(out)
    sampler = _Sampler()
    cpu = _children_cpu()
    seconds = _run(
        [
            str(BIN / "edu-quality"),
            "report",
            "batch",
            "--data",
            str(data),
            "--year",
            str(YEAR),
            "--out",
            str(out),
            "--jobs",
            str(jobs),
            "--quiet",
            *extra,
        ],
        sampler,
    )
    cpu = _children_cpu() - cpu  # the batch process and its kernels
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    bad = {k: v["error"] for k, v in manifest["reports"].items() if v["status"] != "ok"}
    if bad:
        raise RuntimeError(f"отчёты с ошибкой: {bad}")
    kernels = [w["peak_memory"] for w in manifest["workers"]]
    drivers = [rss for k, rss in sampler.peaks.values() if k == "driver"]
    return seconds, kernels, max(drivers or [0]), len(manifest["reports"]), cpu


# ------------------------------------------------------------------ (c) in-process limit


def _limit_init() -> None:
    os.environ.setdefault("MPLBACKEND", "Agg")


def _limit_one(kind: str, data_dir: str, key: str, path: str) -> tuple[int, int]:
    from edu_quality.report import municipality_report, page, report_data, school_report

    data = report_data(data_dir, YEAR)
    sections = school_report(data, key) if kind == "school" else municipality_report(data, key)
    Path(path).write_text(page(key, sections), encoding="utf-8")
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def limit(jobs, data: Path, out: Path, workers: int) -> tuple:
    """Library calls in fresh worker processes; (seconds, worker peaks, html, CPU seconds)."""
    out.mkdir(parents=True, exist_ok=True)
    _fresh_cache(out)
    pages = {j.name: out / f"{j.name}.html" for j in jobs}
    cpu = _children_cpu()
    t = time.perf_counter()
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_limit_init
    ) as pool:
        futures = [
            pool.submit(
                _limit_one,
                j.kind,
                str(data),
                j.parameters.get("school_id") or j.parameters["municipality"],
                str(pages[j.name]),
            )
            for j in jobs
        ]
        peaks: dict[int, int] = {}
        for f in futures:
            pid, rss = f.result()
            peaks[pid] = max(peaks.get(pid, 0), rss)
    seconds = time.perf_counter() - t
    return seconds, sorted(peaks.values()), pages, _children_cpu() - cpu


# ------------------------------------------------------------------ comparison


def sections_of(path: Path) -> list[tuple]:
    """The report content of a page: its ``<section>`` elements as a list of tokens.

    Tags with their attributes (sorted), and text, so that two serialisations of
    the same HTML compare equal (nbconvert writes attributes in its own order);
    the frame and footer (with its time stamp) are left out.
    """
    from html.parser import HTMLParser

    class Tokens(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.depth, self.out = 0, []

        def handle_starttag(self, tag, attrs):
            if tag == "section":
                self.depth += 1
            if self.depth:
                self.out.append(("<", tag, tuple(sorted(attrs))))

        def handle_startendtag(self, tag, attrs):
            self.handle_starttag(tag, attrs)

        def handle_endtag(self, tag):
            if self.depth:
                self.out.append((">", tag))
            if tag == "section":
                self.depth -= 1

        def handle_data(self, data):
            if self.depth and data.strip():
                self.out.append(("t", data.strip()))

    p = Tokens()
    p.feed(path.read_text(encoding="utf-8"))
    return p.out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Время построения отчётов школ.")
    parser.add_argument("--schools", type=int, default=60, help="школ в муниципалитете")
    parser.add_argument(
        "--naive", type=int, default=10, help="на скольких отчётах засечь наивный цикл (a)"
    )
    parser.add_argument("--jobs", type=int, default=2, help="параллельных работников (b), (c)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="сколько раз запустить (b) и (c), пара за парой; берётся лучшее",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench.md")
    args = parser.parse_args(argv)

    from edu_quality.report.runner import plan_jobs
    from edu_quality.synthetic import make_region, write_region

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        write_region(make_region(n_municipalities=1, schools_per_municipality=args.schools), data)
        jobs = plan_jobs(data, YEAR)
        schools = [j for j in jobs if j.kind == "school"]
        n = len(jobs)
        print(
            f"Муниципалитет: {len(schools)} школ, отчётов в пакете: {n}; ядер CPU: "
            f"{os.cpu_count()}",
            flush=True,
        )

        b_runs, c_runs = [], []  # run in pairs, back to back: the machine's load changes slowly
        for r in range(max(1, args.repeat)):
            b_runs.append(batch(data, tmp / f"b{r}", args.jobs))
            print(f"(b) report batch: {b_runs[-1][0]:.1f} с, ЦП {b_runs[-1][4]:.1f} с", flush=True)
            c_runs.append(limit(jobs, data, tmp / f"c{r}", args.jobs))
            print(f"(c) в процессе: {c_runs[-1][0]:.1f} с, ЦП {c_runs[-1][3]:.1f} с", flush=True)
        pairs = [(rb[0], rc[0]) for rb, rc in zip(b_runs, c_runs, strict=True)]
        cpu_pairs = [(rb[4], rc[3]) for rb, rc in zip(b_runs, c_runs, strict=True)]
        b_s, b_kernels, b_driver, b_n, _ = min(b_runs, key=lambda run: run[0])
        c_s, c_peaks, _, _ = min(c_runs, key=lambda run: run[0])
        b_cpu, c_cpu = min(p[0] for p in cpu_pairs), min(p[1] for p in cpu_pairs)
        c_pages = c_runs[0][2]
        d_s, d_kernels, d_driver, d_n, _ = batch(data, tmp / "d", args.jobs, "--executor", "dask")
        print(f"(d) report batch --executor dask: {d_s:.1f} с", flush=True)
        sample = schools[: args.naive]
        a_s, a_peak, a_pages = naive(sample, tmp / "a")
        print(f"(a) наивный цикл: {a_s:.1f} с на {len(sample)} отчётах", flush=True)

        same_bc = all(
            sections_of(tmp / "b0" / f"{j.name}.html") == sections_of(c_pages[j.name]) for j in jobs
        )
        same_ab = all(
            sections_of(a_pages[j.name]) == sections_of(tmp / "b0" / f"{j.name}.html")
            for j in sample
        )
        same_bd = all(
            sections_of(tmp / "b0" / f"{j.name}.html") == sections_of(tmp / "d" / f"{j.name}.html")
            for j in jobs
        )
        non_empty = all(sections_of(c_pages[j.name]) for j in jobs)

    a, b, c, d = a_s / len(sample), b_s / b_n, c_s / n, d_s / d_n
    rows = [
        (
            "(a) papermill + jupyter nbconvert, по очереди",
            f"{a:.2f}",
            f"{a_peak / MB:.0f} (ядро)",
            f"на {len(sample)} отчётах школ",
        ),
        (
            f"(b) edu-quality report batch --jobs {args.jobs}",
            f"{b:.2f}",
            " / ".join(f"{p / MB:.0f}" for p in b_kernels)
            + f" (ядра); {b_driver / MB:.0f} (пакет)",
            f"{b_n} отчётов за {b_s:.1f} с",
        ),
        (
            f"(c) библиотека в {args.jobs} процессах, без ядра",
            f"{c:.2f}",
            " / ".join(f"{p / MB:.0f}" for p in c_peaks),
            f"{n} отчётов за {c_s:.1f} с",
        ),
        (
            f"(d) edu-quality report batch --executor dask --jobs {args.jobs}",
            f"{d:.2f}",
            " / ".join(f"{p / MB:.0f}" for p in d_kernels)
            + f" (ядра); {d_driver / MB:.0f} (пакет)",
            f"{d_n} отчётов за {d_s:.1f} с; локальный кластер Dask из {args.jobs} процессов",
        ),
    ]
    lines = [
        f"# Время отчётов школ: синтетический муниципалитет, {len(schools)} школ",
        "",
        f"Отчётов: {n} (школы и муниципалитет), год {YEAR}, ядер CPU: {os.cpu_count()}, "
        f"Python {sys.version.split()[0]}. Создано `make bench` "
        f"({time.strftime('%Y-%m-%d %H:%M')}).",
        "",
        "| способ | с на отчёт | пик памяти на работника, МБ | примечание |",
        "|---|---:|---|---|",
        *(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows),
        "",
        f"- a/b = {a / b:.1f} (цель ≥ 5: {'да' if a / b >= 5 else 'НЕТ'})",
        f"- b/c = {b / c:.2f} (цель ≤ 1,15: {'да' if b / c <= 1.15 else 'НЕТ'}); (b) и (c) — "
        f"лучшее из {len(pairs)} запусков каждого, пары подряд: "
        + "; ".join(f"{pb:.1f} / {pc:.1f} с = {pb / pc:.2f}" for pb, pc in pairs),
        f"- по времени процессора (все процессы запуска): b/c = {b_cpu / c_cpu:.2f} "
        f"({b_cpu:.1f} / {c_cpu:.1f} с, лучшее из {len(cpu_pairs)}); пары: "
        + "; ".join(f"{pb:.1f} / {pc:.1f} с" for pb, pc in cpu_pairs),
        f"- разделы отчётов (b) и (c) совпадают: {'да' if same_bc and non_empty else 'НЕТ'}; "
        f"(a) и (b): {'да' if same_ab else 'НЕТ'}; (b) и (d): {'да' if same_bd else 'НЕТ'}",
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"Записано: {args.out}")
    # a benchmark: timings depend on the machine and its load, only different content fails
    return 0 if same_bc and same_ab and same_bd and non_empty else 1


if __name__ == "__main__":
    sys.exit(main())

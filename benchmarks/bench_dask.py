"""The national-scale analysis on a Dask cluster: time, and memory of the client and workers.

Usage::

    python benchmarks/bench_dask.py [--schools 40000] [--workers 2] [--scheduler ADDRESS]

Writes the same synthetic region as ``bench_national.py`` (Parquet partitioned
by year; 40 000 schools give about 12 million pupil results), then, connected
to a Dask cluster — a local one of ``--workers`` processes (one thread each),
or the scheduler at ``--scheduler`` — times

* ``load_dataset(folder, results_engine="dask")``: every file read and checked
  on the workers, only summaries sent back;
* ``summarize(ds.results, persist=True)``: counts per partition on the workers,
  combined on a worker, and the summary (half a gigabyte at 40 000 schools)
  kept there;
* ``classify(ds, year, results_summary=summary)``: from the summary of the step
  before, of which only the rows and columns classified come here.

It reports each step's wall time, this process's peak resident memory (neither
the pupil rows nor the whole summary come here) and the workers' peak memory. The same three steps
are then run with pandas on the same folder in a new process (as
``bench_national.py`` runs them, with the environment from before the cluster:
distributed's nannies leave ``OMP_NUM_THREADS=1`` and ``MALLOC_TRIM_THRESHOLD_``
set in this process for their workers), and the totals are compared beside the
targets: the cluster no slower than twice the pandas run, the client under
1 GiB. The table is printed and appended to ``reports/bench_dask.md``; the
exit status is 1 when a target is missed (``--no-pandas`` skips the pandas run
and that target).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_national import GIB, MUNICIPALITIES, _generate, _measure, _n, _Sampler  # noqa: E402

REPORT = ROOT / "reports" / "bench_dask.md"
TARGET_RATIO = 2.0  # the cluster's total against the pandas run of the same steps
TARGET_CLIENT_GIB = 1.0
PANDAS_STEPS = ("load", "summarize", "classify")


def _worker_peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Анализ в национальном масштабе на кластере Dask.")
    parser.add_argument("--schools", type=int, default=40_000)
    parser.add_argument("--pupils-scale", type=float, default=0.35)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--scheduler", help="адрес планировщика (по умолчанию — локальный кластер)")
    parser.add_argument(
        "--no-pandas", action="store_true", help="не замерять те же шаги в pandas для сравнения"
    )
    args = parser.parse_args(argv)

    import distributed

    import edu_quality as eq

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix="edu-quality-dask-") as tmp:
        folder = Path(tmp) / "region"
        made = _generate(args.schools, args.pupils_scale, 2024, folder)
        print(f"Регион: {_n(args.schools)} школ, записан за {made:.0f} с", flush=True)
        # distributed's nannies set their workers' environment (OMP_NUM_THREADS=1,
        # MALLOC_TRIM_THRESHOLD_, …) in this process and leave it: the pandas run is
        # started with the environment from before the cluster, as a user's would be
        environ = dict(os.environ)
        if args.scheduler:
            client, cluster = distributed.Client(args.scheduler), None
        else:
            cluster = distributed.LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=40,
                memory_limit=0,
            )
            client = distributed.Client(cluster)
        rows, state = [], {}
        steps = (
            (
                "load_dataset (dask)",
                lambda: state.setdefault("ds", eq.load_dataset(folder, results_engine="dask")),
            ),
            (
                "summarize (persist)",
                lambda: state.setdefault(
                    "summary", eq.summarize(state["ds"].results, persist=True)
                ),
            ),
            (
                "classify",
                lambda: eq.classify(
                    state["ds"], max(state["ds"].years), results_summary=state["summary"]
                ),
            ),
        )
        try:
            for label, action in steps:
                with _Sampler() as sampler:
                    start = time.perf_counter()
                    action()
                    seconds = time.perf_counter() - start
                rows.append((label, seconds, sampler.peak))
                print(f"{label}: {seconds:.1f} с", flush=True)
            workers = client.run(_worker_peak)
            n_groups = len(state["summary"])  # counted where the summary is kept
            n_workers = len(workers)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        pandas = None if args.no_pandas else _measure(folder, env=environ)["steps"]
    total = sum(r[1] for r in rows)
    client_peak = max(r[2] for r in rows)
    verdicts = [
        f"пик клиента {client_peak / GIB:.2f} ГиБ (цель < {TARGET_CLIENT_GIB:.0f} ГиБ)",
    ]
    ok = client_peak < TARGET_CLIENT_GIB * GIB
    compare: list[str] = []
    if pandas is not None:
        pandas_total = sum(pandas[k]["seconds"] for k in PANDAS_STEPS)
        ratio = total / pandas_total if pandas_total > 0 else float("inf")
        ok = ok and ratio <= TARGET_RATIO
        verdicts.insert(
            0,
            f"Dask {total:.1f} с против pandas {pandas_total:.1f} с: ×{ratio:.2f} "
            f"(цель ≤ ×{TARGET_RATIO:.0f})",
        )
        compare = [
            "",
            "Те же шаги в pandas (новый процесс, та же папка): "
            + ", ".join(
                f"{k} {pandas[k]['seconds']:.1f} с (пик {pandas[k]['peak'] / GIB:.2f} ГиБ)"
                for k in PANDAS_STEPS
            )
            + ".",
        ]
    lines = [
        f"# Национальный масштаб на кластере Dask: {_n(args.schools)} школ "
        f"({MUNICIPALITIES} муниципалитетов), {datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"Рабочих процессов: {n_workers} "
        f"({'планировщик ' + args.scheduler if args.scheduler else 'локальный кластер'}); "
        f"групп в сводке: {_n(n_groups)}.",
        "",
        "| шаг | с | пик памяти этого процесса, ГиБ |",
        "|---|---:|---:|",
        *(f"| {label} | {s:.1f} | {peak / GIB:.2f} |" for label, s, peak in rows),
        f"| всего | {total:.1f} | {client_peak / GIB:.2f} |",
        "",
        "Пик памяти рабочих процессов, ГиБ: "
        + ", ".join(f"{p / GIB:.2f}" for p in sorted(workers.values())),
        *compare,
        "",
        "; ".join(verdicts) + " — " + ("цели достигнуты" if ok else "цель не достигнута"),
        "",
    ]
    text = "\n".join(lines)
    print()
    print(text)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    with REPORT.open("a", encoding="utf-8") as fh:
        fh.write(text + "\n")
    print(f"Добавлено в {REPORT}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Time and memory of the analysis of a national-scale region, and how they grow.

Usage::

    python benchmarks/bench_national.py [--sizes 4000 40000] [--pupils-scale 0.35] [--runs 3]

For each size (number of schools) a synthetic region is written as Parquet
partitioned by year (``python -m edu_quality.synthetic OUT --municipalities 40
--schools N/40 --pupils-scale 0.35 --format parquet --partition-by-year``;
40 000 schools give about 12 million pupil results), then a new Python process
runs the steps of the analysis on it, one after another:

* ``load_dataset`` of the folder (every file parsed and checked);
* ``summarize`` of the pupil results: one row per school, procedure and year;
* ``year_over_year`` of that summary (every metric, every pair of years);
* ``trend`` of the share of «2» of every school and procedure;
* ``influence``: the share of «2» in ВПР of the last year, pooled per school,
  on the 14 context factors (binomial GLM, one row per school);
* ``social_index`` of the context (every school and year, PCA);
* ``classify`` of the last year (ШНОР, ШНСУ, risk zone, resilient), given the
  summary of the ``summarize`` step (``results_summary=``): the pupils are not
  summarised twice.

Each step's wall time and the process's resident memory (the peak while the
step ran, sampled every 20 ms, and the high-water mark ``ru_maxrss`` at its
end) are measured; generating the region is not counted (its files are
written to disk before the first run). The steps run
``--runs`` times (3 by default), each time in a new process, as the machine's
noise moves a run by a second or more: the table shows the run of median total
time (of an even number, the slower middle one), the highest peak of all runs
in its total, and every run's total and peak below it. The table — both
sizes, the growth factor of time and of memory — is printed and appended to
``reports/bench_national.md``, each total beside its target (at 40 000 schools
on 2 cores: all steps under 15 s in total, peak memory under 2 GiB). The exit
status is 1 when the largest size misses a target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REPORT = ROOT / "reports" / "bench_national.md"
MUNICIPALITIES = 40
TARGET_SECONDS = 15.0
TARGET_GIB = 2.0
GIB = 1024**3

STEPS = (
    ("load", "load_dataset"),
    ("summarize", "summarize"),
    ("year_over_year", "year_over_year"),
    ("trend", "trend"),
    ("influence", "influence (binomial)"),
    ("social_index", "social_index"),
    ("classify", "classify"),
)


# ------------------------------------------------------------------ measuring (child)


def _rss() -> int:
    """Resident memory of this process now, in bytes."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _high_water()


def _high_water() -> int:
    """``ru_maxrss`` in bytes (kilobytes on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class _Sampler:
    """Peak resident memory while a step runs (a thread reading it every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _Sampler:
        self.peak = _rss()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())


def run_steps(folder: Path) -> dict:
    """Run every step on the dataset folder; time and memory of each."""
    import warnings

    import edu_quality as eq
    from edu_quality.dynamics import trend, year_over_year
    from edu_quality.factors import influence
    from edu_quality.identify import classify
    from edu_quality.index import social_index
    from edu_quality.metrics import summarize

    warnings.simplefilter("ignore")  # FactorWarning and the like: not what is measured
    out: dict = {"baseline": _rss(), "steps": {}}
    state: dict = {}

    def school_level() -> object:
        s, ctx = state["summary"], state["ds"].context
        year = int(s["year"].max())
        vpr = s.loc[(s["assessment"] == "ВПР") & (s["year"] == year)]
        pooled = vpr.groupby("school_id", as_index=False)[["participants", "n2"]].sum()
        pooled = pooled.loc[pooled["participants"] > 0]
        pooled["share_2"] = pooled["n2"].astype("float64") / pooled["participants"]
        data = pooled.merge(ctx.loc[ctx["year"] == year], on="school_id")
        factors = [c for c in ctx.columns if c not in ("school_id", "year")]
        return influence(data, "share_2", factors, family="binomial", trials="participants")

    actions = {
        "load": lambda: state.setdefault("ds", eq.load_dataset(folder)),
        "summarize": lambda: state.setdefault("summary", summarize(state["ds"].results)),
        "year_over_year": lambda: year_over_year(state["summary"]),
        "trend": lambda: trend(state["summary"], metric="share_2"),
        "influence": school_level,
        "social_index": lambda: social_index(state["ds"].context),
        "classify": lambda: classify(
            state["ds"], max(state["ds"].years), results_summary=state["summary"]
        ),
    }
    for key, _ in STEPS:
        with _Sampler() as sampler:
            start, cpu = time.perf_counter(), time.process_time()
            result = actions[key]()
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows = (
            len(result.results)
            if key == "load"
            else result.attrs["n"]
            if key == "influence"
            else len(getattr(result, "table", result))
        )
        out["steps"][key] = {
            "seconds": seconds,
            "cpu": cpu,
            "peak": sampler.peak,
            "high_water": _high_water(),
            "rows": rows,
        }
        del result
    ds = state["ds"]
    out["schools"] = len(ds.schools)
    out["pupil_rows"] = len(ds.results)
    out["years"] = ds.years
    return out


# ------------------------------------------------------------------ orchestrating (parent)


def _generate(size: int, scale: float, seed: int, folder: Path) -> float:
    per = size // MUNICIPALITIES
    if per * MUNICIPALITIES != size or per < 8:
        raise SystemExit(
            f"размер {size}: нужно число школ, кратное {MUNICIPALITIES}, "
            f"не меньше {8 * MUNICIPALITIES}"
        )
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "edu_quality.synthetic",
            str(folder),
            "--municipalities",
            str(MUNICIPALITIES),
            "--schools",
            str(per),
            "--pupils-scale",
            str(scale),
            "--seed",
            str(seed),
            "--format",
            "parquet",
            "--partition-by-year",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - start
    if hasattr(os, "sync"):  # the files on disk before the runs: the first one does not
        os.sync()  # share the machine with their writing
    return seconds


def _measure(folder: Path, env: dict[str, str] | None = None) -> dict:
    """One run of the steps on ``folder`` in a new process (its environment ``env``, or this one's)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", str(folder)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _total(run: dict) -> float:
    """The wall time of every step of a run."""
    return sum(s["seconds"] for s in run["steps"].values())


def _peak(run: dict) -> int:
    """The run's highest resident memory (``ru_maxrss`` after its last step)."""
    return max(s["high_water"] for s in run["steps"].values())


def _median_run(measured: list[dict]) -> dict:
    """The run whose total time is the median (of an even number, the slower middle one).

    A whole run, not the median of each step: its steps add up to its total. Every
    run's total and peak are kept under ``runs``, in the order they ran.
    """
    median = sorted(measured, key=_total)[len(measured) // 2]
    return {**median, "runs": [(_total(m), _peak(m)) for m in measured]}


def _n(n: int) -> str:
    """A whole number with thin groups: 40 000."""
    return f"{n:,}".replace(",", " ")


def _gib(n: float) -> str:
    return f"{n / GIB:.2f}"


def _times(a: float, b: float) -> str:
    return f"×{b / a:.1f}" if a > 0 else "—"


def _table(sizes: list[int], runs: dict[int, dict]) -> list[str]:
    small, large = sizes[0], sizes[-1]
    head = ["шаг"]
    for n in sizes:
        head += [f"{_n(n)} школ: с", "ЦП, с", "ГиБ"]
    head += ["цель"]
    if len(sizes) > 1:
        head += ["рост времени", "рост памяти"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def row(name: str, values: list[tuple[float, float, float]], target: str = "") -> None:
        cells = [name]
        for seconds, cpu, peak in values:
            cells += [f"{seconds:.2f}", f"{cpu:.2f}", _gib(peak)]
        cells.append(target)
        if len(sizes) > 1:
            (s0, _, p0), (s1, _, p1) = values[0], values[-1]
            cells += [_times(s0, s1), _times(p0, p1)]
        lines.append("| " + " | ".join(cells) + " |")

    for key, label in STEPS:
        row(
            label,
            [tuple(runs[n]["steps"][key][x] for x in ("seconds", "cpu", "peak")) for n in sizes],
        )
    row(
        "**всего**",
        [
            (
                _total(runs[n]),
                sum(s["cpu"] for s in runs[n]["steps"].values()),
                max(p for _, p in runs[n]["runs"]),  # the highest of every run
            )
            for n in sizes
        ],
        f"< {TARGET_SECONDS:.0f} с, < {TARGET_GIB:.0f} ГиБ при {_n(large)} школ",
    )
    notes = [
        "",
        "Строки результатов участников: "
        + ", ".join(f"{_n(n)} школ — {_n(runs[n]['pupil_rows'])}" for n in sizes)
        + f"; годы {runs[large]['years'][0]}–{runs[large]['years'][-1]}.",
        "«с» — время по часам, «ЦП, с» — процессорное время процесса (все потоки; при "
        "занятой другими задачами машине время по часам больше). "
        "Память — наибольший резидентный объём процесса за шаг; «всего» — пик процесса "
        "(ru_maxrss), наибольший из всех прогонов; до первого шага (импорт библиотек) "
        + ", ".join(f"{_gib(runs[n]['baseline'])} ГиБ" for n in sizes)
        + ".",
        "Прогонов на размер: "
        + str(len(runs[large]["runs"]))
        + " (каждый в новом процессе); в таблице — срединный по общему времени "
        "(при чётном числе — более медленный из двух средних). Всего по прогонам: "
        + "; ".join(
            f"{_n(n)} школ — "
            + " / ".join(f"{t:.1f} с ({_gib(p)} ГиБ)" for t, p in runs[n]["runs"])
            for n in sizes
        )
        + ".",
        "Генерация региона (не входит в «всего»): "
        + ", ".join(f"{runs[n]['generate']:.1f} с" for n in sizes)
        + ".",
    ]
    if small != large:
        notes.append(
            f"Рост — отношение значений при {_n(large)} и {_n(small)} школ "
            f"(данных больше: ×{large / small:.0f})."
        )
    return lines + notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Время и память анализа региона в 40 000 школ.")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[4000, 40000],
        help="числа школ (кратные 40), по умолчанию 4000 40000",
    )
    parser.add_argument("--pupils-scale", type=float, default=0.35)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--report", type=Path, default=REPORT, help="куда дописать таблицу (Markdown)"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="прогонов анализа на каждый размер, каждый в новом процессе (по умолчанию 3): "
        "в таблице срединный по общему времени",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_steps(args.child)))
        return 0

    if args.runs < 1:
        parser.error(f"--runs: нужен хотя бы один прогон, передано {args.runs}")
    sizes = sorted(set(args.sizes))
    runs: dict[int, dict] = {}
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="bench_national_") as tmp:
        for n in sizes:
            folder = Path(tmp) / f"region_{n}"
            generate = _generate(n, args.pupils_scale, args.seed, folder)
            print(f"{n} школ: регион записан за {generate:.1f} с; анализ…", file=sys.stderr)
            runs[n] = _median_run([_measure(folder) for _ in range(args.runs)])
            runs[n]["generate"] = generate
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")

    large = runs[sizes[-1]]
    total = _total(large)
    peak = max(p for _, p in large["runs"])  # the highest of every run, not the median's
    ok = total < TARGET_SECONDS and peak < TARGET_GIB * GIB
    verdict = (
        f"{_n(sizes[-1])} школ: всего {total:.1f} с (цель < {TARGET_SECONDS:.0f} с), "
        f"пик {_gib(peak)} ГиБ (цель < {TARGET_GIB:.0f} ГиБ) — "
        + ("цели достигнуты" if ok else "цель не достигнута")
    )
    machine = (
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} ядра, pupils_scale {args.pupils_scale}, seed {args.seed}; "
        f"средняя загрузка системы {load_before:.1f} до и {load_after:.1f} после"
    )
    lines = [
        f"## {datetime.now():%Y-%m-%d %H:%M}",
        "",
        machine,
        "",
        *_table(sizes, runs),
        "",
        verdict,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    report: Path = args.report
    report.parent.mkdir(parents=True, exist_ok=True)
    fresh = not report.exists()
    with report.open("a", encoding="utf-8") as f:
        if fresh:
            f.write("# Национальный масштаб: время и память (benchmarks/bench_national.py)\n\n")
        f.write(text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

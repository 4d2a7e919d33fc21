"""Helpers shared by the tests: the sample folders, the real region, batch processes, readers
run in a process of their own under a memory limit.

Tests import from here, never from ``conftest`` or from each other.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "data_samples"
ALTAI = ROOT.parent / "shared" / "real" / "altai"
INTA = SAMPLES / "inta"
#: A tiny ВПР scale (mathematics, grade 4, 2022): «5» from 3 points, for hand-made exports.
MATH4_SCALE = pd.DataFrame(
    {
        "year": 2022,
        "subject": "Математика",
        "grade": 4,
        "mark": [2, 3, 4, 5],
        "min_score": [0, 1, 2, 3],
        "max_score": [0, 1, 2, 3],
    }
)
#: The Inta sample's school year (2021/2022) used by the batch tests.
YEAR = 2022


#: Address space of a child process that reads a hostile file: a memory bomb fails there, in
#: a process of its own, rather than taking the machine (or the test session) down.
CHILD_MEMORY = 3 * 2**30

#: Reads files in a child process (see :func:`read_limited`) and prints, for each, what came of it.
_READ_LIMITED = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
import edu_quality as eq
from edu_quality.fisoko import import_fisoko, read_fisoko_context, read_fisoko_vpr
from edu_quality.io.limits import ReadLimits

readers = {
    "read_schools": eq.read_schools, "read_results": eq.read_results,
    "read_enrolment": eq.read_enrolment, "read_context": eq.read_context,
    "read_staff": eq.read_staff, "load_dataset": eq.load_dataset,
    "read_fisoko_vpr": read_fisoko_vpr, "read_fisoko_context": read_fisoko_context,
    "import_fisoko": import_fisoko,
}
for name, args, kwargs in json.loads(sys.argv[2]):
    if "limits" in kwargs:
        kwargs["limits"] = ReadLimits(**kwargs["limits"])
    try:
        result = readers[name](*args, **kwargs)
    except eq.DataError as err:
        out = {"error": str(err), "file": err.file, "row": err.row, "column": err.column}
    else:
        table = getattr(result, "results", result)
        out = {"rows": len(table) if hasattr(table, "__len__") else None}
    print(json.dumps(out, ensure_ascii=False), flush=True)
"""


def read_limited(
    calls: list[tuple[str, list, dict]], *, timeout: float = 180, memory: int = CHILD_MEMORY
) -> list[dict]:
    """Run readers of edu_quality in a fresh process under a memory limit and a timeout.

    ``calls`` are (reader name, positional arguments, keyword arguments), all
    JSON (``limits`` as a dict of :class:`edu_quality.io.ReadLimits` fields).
    Returns, for each call, ``{"error", "file", "row", "column"}`` for a
    DataError or ``{"rows"}``. A process that dies (a memory bomb that gets
    through) or outlives ``timeout`` (a file read for ever) fails the test.
    """
    import json

    run = subprocess.run(
        [sys.executable, "-c", _READ_LIMITED, str(memory), json.dumps(calls, default=str)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert run.returncode == 0, (
        f"the reading process failed ({run.returncode}): {run.stderr[-3000:]}"
    )
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]


def kernels_of(pid: int) -> set[int]:
    """Pids of the kernel processes started by a process (and its children)."""
    try:
        procs = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    out = set()
    for p in procs:
        try:
            if "ipykernel_launcher" in " ".join(p.cmdline()):
                out.add(p.pid)
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            continue
    return out


def alive(pids: set[int]) -> set[int]:
    """The pids still running (a zombie, i.e. not reaped, counts as alive)."""
    alive = set()
    for pid in pids:
        try:
            psutil.Process(pid).status()
            alive.add(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def leftovers(out: Path) -> list[str]:
    """Temporary or hidden files, and pages that are not whole."""
    bad = [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    bad += [
        p.name
        for p in out.glob("*.html")
        if not p.read_text(encoding="utf-8").rstrip().endswith("</html>")
    ]
    return bad


def batch_command(out: Path, *extra: str) -> list[str]:
    """The command line of a quiet batch over the Inta sample into ``out``."""
    return [
        sys.executable,
        "-m",
        "edu_quality.cli",
        "report",
        "batch",
        "--data",
        str(INTA),
        "--year",
        str(YEAR),
        "--out",
        str(out),
        "--quiet",
        *extra,
    ]


def wait_for(predicate, proc: subprocess.Popen, timeout: float, seen: set[int]):
    """Wait until ``predicate()``, collecting the kernels ``proc`` starts into ``seen``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen |= kernels_of(proc.pid)
        if predicate():
            return
        if proc.poll() is not None:
            pytest.fail(f"the batch ended before the signal: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("timed out waiting for the batch")


def nazarovo_cohort() -> pd.DataFrame:
    """A cohort of 210 pupils whose shares are the Назарово seed's: повышенный 14,3 % in grade 4
    and 6,7 % in grade 6; недостаточный + пониженный 8,1 % before and 32,9 % after (+24,8 p.p.)."""
    before = ["повышенный"] * 30 + ["недостаточный"] * 5 + ["пониженный"] * 12 + ["базовый"] * 163
    after = (
        ["повышенный"] * 14
        + ["базовый"] * 16  # the 30 повышенный pupils
        + ["недостаточный"] * 5
        + ["пониженный"] * 12  # the 17 low ones stay low
        + ["пониженный"] * 30
        + ["недостаточный"] * 22
        + ["базовый"] * 111
    )
    rows = []
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        rows.append(
            {
                "school_id": "7",
                "pupil_id": f"p{i}",
                "assessment": "КДР",
                "subject": "Читательская грамотность",
                "year": 2017,
                "grade": 4,
                "level": b,
            }
        )
        rows.append(
            {
                "school_id": "7",
                "pupil_id": f"p{i}",
                "assessment": "КДР",
                "subject": "Читательская грамотность",
                "year": 2019,
                "grade": 6,
                "level": a,
            }
        )
    rows.append(
        {
            "school_id": "7",
            "pupil_id": "moved-in",
            "assessment": "КДР",
            "subject": "Читательская грамотность",
            "year": 2019,
            "grade": 6,
            "level": "базовый",
        }
    )
    return pd.DataFrame(rows)

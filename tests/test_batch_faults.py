"""Batches under faults: a broken school, a dying kernel, a report over its time limit,
an interrupted ``edu-quality report batch`` — and the re-run that completes only what is missing.

Every fault ends the same way: the other reports are finished, the failure is
marked with its reason in ``index.html`` and ``manifest.json`` (details in
``batch.log``), no half-written file is left, and no kernel outlives the batch.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
from pathlib import Path

import nbformat
import pytest
from _helpers import INTA, YEAR, alive, batch_command, kernels_of, leftovers, wait_for

from edu_quality.cli import main
from edu_quality.report import runner
from edu_quality.report.runner import Job, job_for, run_batch

pytestmark = pytest.mark.slow  # starts Jupyter kernels and batch processes


def _fault_notebook(folder: Path) -> Path:
    """A test-only template whose parameter ``mode`` picks the fault."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('mode: str = "ok"  # ok, die, hang')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell("import os\nimport time\n\nfrom IPython.display import HTML"),
        nbformat.v4.new_code_cell('if mode == "die":\n    os._exit(1)'),
        nbformat.v4.new_code_cell('if mode == "hang":\n    time.sleep(600)'),
        nbformat.v4.new_code_cell('HTML(f"<section><h2>Проба: {mode}</h2></section>")'),
    ]
    nb.metadata["kernelspec"] = {
        "name": "edu-quality",
        "display_name": "Python (edu_quality)",
        "language": "python",
    }
    path = folder / "fault.ipynb"
    nbformat.write(nb, path)
    return path


def _fault_job(notebook: Path, name: str, mode: str) -> Job:
    return Job("school", {"mode": mode}, name, f"Проба «{name}»", notebook=str(notebook))


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_faults_are_isolated_and_a_rerun_redoes_only_them(tmp_path, monkeypatch, capsys):
    fault = _fault_notebook(tmp_path)
    real = job_for("school", INTA, YEAR, school_id="INT08")
    broken = Job(
        "school",
        {"data_dir": str(INTA.resolve()), "school_id": "BROKEN", "year": YEAR},
        "school_BROKEN",
        "Школа с ошибкой в данных",
    )
    # one kernel overruns while the other does the rest and dies at the end: no restart
    first = [
        _fault_job(fault, "probe_hang", "hang"),
        real,
        broken,
        _fault_job(fault, "probe_ok", "ok"),
        _fault_job(fault, "probe_die", "die"),
    ]
    out = tmp_path / "reports"
    before = kernels_of(os.getpid())
    # through the command, with this plan in place of the dataset's
    monkeypatch.setattr(runner, "run_batch", functools.partial(run_batch, plan=lambda *_: first))
    code = main(
        [
            "report",
            "batch",
            "--data",
            str(INTA),
            "--year",
            str(YEAR),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--timeout",
            "8",
            "--quiet",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("edu-quality:")]
    assert len(lines) == 3  # one line per failed report
    assert any(
        "Школа с ошибкой в данных" in ln and "школа «BROKEN» не найдена" in ln for ln in lines
    )
    assert any("probe_die" in ln and "аварийно завершилось" in ln for ln in lines)
    assert any(
        "probe_hang" in ln and "превышено предельное время отчёта (8 с)" in ln for ln in lines
    )
    assert "batch.log" in err

    manifest = _manifest(out)
    status = {k: v["status"] for k, v in manifest["reports"].items()}
    assert status == {
        "school_INT08": "ok",
        "school_BROKEN": "failed",
        "probe_ok": "ok",
        "probe_die": "failed",
        "probe_hang": "failed",
    }
    assert manifest["reports"]["probe_die"]["error"]
    index = (out / "index.html").read_text(encoding="utf-8")
    for reason in ("не найдена в реестре", "аварийно завершилось", "превышено предельное время"):
        assert reason in index
    log = (out / "batch.log").read_text(encoding="utf-8")
    for name in ("school_BROKEN", "probe_die", "probe_hang"):
        assert log.count(f" {name} ") == 1
    assert "Traceback" in log  # the full details are in the log
    assert (out / "school_INT08.html").exists() and (out / "probe_ok.html").exists()
    assert not (out / "probe_die.html").exists() and not (out / "probe_hang.html").exists()
    assert (out / "probe_hang.ipynb").exists()  # what ran before the kill, for audit
    assert not leftovers(out)
    assert not alive(kernels_of(os.getpid()) - before)  # no kernel outlives the batch

    # the faults are repaired: a re-run does only the reports that failed
    fixed = [
        real,
        broken,
        _fault_job(fault, "probe_ok", "ok"),
        _fault_job(fault, "probe_die", "ok"),
        _fault_job(fault, "probe_hang", "ok"),
    ]
    again = run_batch(INTA, YEAR, out, jobs=1, timeout=60, progress=False, plan=lambda *_: fixed)
    assert sorted(again.skipped) == ["probe_ok", "school_INT08"]
    assert sorted(again.done) == ["probe_die", "probe_hang"]
    assert list(again.failed) == ["school_BROKEN"]
    assert again.workers and all(w["peak_memory"] > 0 for w in again.workers)
    assert not leftovers(out)
    assert not alive(kernels_of(os.getpid()) - before)


def test_sigint_mid_batch_then_rerun_completes_the_rest(tmp_path, capsys):
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        batch_command(out, "--jobs", "1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    kernels: set[int] = set()
    wait_for(lambda: any(out.glob("*.html")), proc, 120, kernels)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edu-quality: прервано (SIGINT)")
    assert kernels and not alive(kernels)

    manifest = _manifest(out)
    assert manifest["interrupted"] == "SIGINT"
    status = [e["status"] for e in manifest["reports"].values()]
    n_ok = status.count("ok")
    assert n_ok >= 1 and status.count("pending") >= 1
    assert set(status) == {"ok", "pending", "nodata"}
    # the municipality and six schools of Inta, three of which have no results: no page
    assert len(status) == 7 and status.count("nodata") == 3
    assert len(list(out.glob("*.html"))) == n_ok + 1  # the reports done and index.html
    assert "не выполнен" in (out / "index.html").read_text(encoding="utf-8")
    assert not leftovers(out)

    # the re-run (here in this process: the same command, without a second start-up)
    code = main(
        [
            "report",
            "batch",
            "--data",
            str(INTA),
            "--year",
            str(YEAR),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--quiet",
        ]
    )
    assert code == 0
    summary = f"Готово: {4 - n_ok}, без изменений: {n_ok}, нет данных: 3, с ошибкой: 0"
    assert summary in capsys.readouterr().out
    assert {e["status"] for e in _manifest(out)["reports"].values()} == {"ok", "nodata"}
    assert "interrupted" not in _manifest(out)
    assert not leftovers(out)


def test_sigterm_while_kernels_start(tmp_path):
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        batch_command(out, "--jobs", "2"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    kernels: set[int] = set()
    wait_for(lambda: bool(kernels), proc, 120, kernels)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edu-quality: прервано (SIGTERM)")
    assert not alive(kernels)
    manifest = _manifest(out)
    assert {e["status"] for e in manifest["reports"].values()} <= {"pending", "nodata"}
    index = (out / "index.html").read_text(encoding="utf-8")
    pending = sum(e["status"] == "pending" for e in manifest["reports"].values())
    full_list = index.split('id="all"')[1]
    assert full_list.count("<td>не выполнен</td>") == pending >= 4
    assert not leftovers(out)

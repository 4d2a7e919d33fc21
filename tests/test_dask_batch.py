"""Report batches on a Dask distributed cluster: the same reports as a local batch."""

from __future__ import annotations

import json
import re
import signal
import subprocess

import pytest

pytest.importorskip("distributed")

from _helpers import (  # noqa: E402
    SAMPLES,  # noqa: E402
    alive,
    batch_command,
    leftovers,
    wait_for,
)

from edu_quality.cli import main  # noqa: E402
from edu_quality.report import cluster  # noqa: E402
from edu_quality.report.runner import Job, plan_jobs, run_batch  # noqa: E402

pytestmark = pytest.mark.slow  # starts a Dask cluster and kernels

INTA = SAMPLES / "inta"
# the page's time stamp, and the random id papermill gives its injected cell
STAMP = re.compile(r"<footer>.*?</footer>|cell-id=[0-9a-f-]+", re.S)


def pages(folder) -> dict[str, str]:
    return {
        p.name: STAMP.sub("", p.read_text(encoding="utf-8"))
        for p in sorted(folder.glob("*.html"))
        if p.name != "index.html"
    }


def statuses(folder) -> dict[str, str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {name: entry["status"] for name, entry in manifest["reports"].items()}


@pytest.fixture(scope="module")
def local_batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    result = run_batch(INTA, 2022, out, progress=False)
    # the municipality and three of Inta's six schools: three have no results («нет данных»)
    assert result.ok and len(result.done) == 4 and len(result.no_data) == 3
    return out


def kernels_left(client) -> dict[str, int]:
    return client.run(cluster.kernel_count)


def test_reports_on_the_cluster_equal_the_local_ones(dask_client, local_batch, tmp_path):
    result = run_batch(INTA, 2022, tmp_path, executor="dask", scheduler=dask_client, progress=False)
    assert result.ok, result.failed
    built = [name for name, status in statuses(local_batch).items() if status == "ok"]
    assert sorted(result.done) == sorted(built)
    got, want = pages(tmp_path), pages(local_batch)
    assert got.keys() == want.keys() and len(got) == 4
    for name in want:
        assert got[name] == want[name], name
    assert statuses(tmp_path) == statuses(local_batch)
    assert (tmp_path / "index.html").exists()
    # executed notebooks come back for audit too
    assert len(list(tmp_path.glob("*.ipynb"))) == 4
    # both workers took part, each on one kernel kept warm between its reports
    assert len(result.workers) == 2
    assert sum(w["reports"] for w in result.workers) == 4
    assert all(w["kernel_starts"] == 1 for w in result.workers), result.workers
    # the batch shuts its kernels down on the workers
    assert set(kernels_left(dask_client).values()) == {0}

    # a second run skips what did not change, as a local batch does
    again = run_batch(INTA, 2022, tmp_path, executor="dask", scheduler=dask_client, progress=False)
    assert again.ok and not again.done and len(again.skipped) == 4


def test_a_failing_report_on_the_cluster_does_not_stop_the_others(dask_client, tmp_path):
    def plan(data_dir, year, municipality):
        good = [j for j in plan_jobs(data_dir, year, municipality) if j.name == "school_INT05"]
        bad = Job(
            "school",
            {"data_dir": str(data_dir), "school_id": "НЕТ", "year": year},
            "school_missing",
            "Несуществующая школа: отчёт школы",
        )
        return [*good, bad]

    result = run_batch(
        INTA, 2022, tmp_path, executor="dask", scheduler=dask_client, progress=False, plan=plan
    )
    assert result.done == ["school_INT05"]
    assert list(result.failed) == ["school_missing"]
    message = result.failed["school_missing"]
    assert "НЕТ" in message and "\n" not in message
    # the executed notebook with its error is kept for audit; the details are in the log
    assert (tmp_path / "school_missing.ipynb").exists()
    assert not (tmp_path / "school_missing.html").exists()
    log = (tmp_path / "batch.log").read_text(encoding="utf-8")
    assert "school_missing" in log and "Traceback" in log
    assert statuses(tmp_path) == {"school_INT05": "ok", "school_missing": "failed"}


def test_workers_that_cannot_see_the_data_are_named(dask_client, tmp_path):
    with pytest.raises(cluster.ClusterError, match="не видна.*tcp://"):
        cluster.check_workers(dask_client, tmp_path / "нет такой папки")
    assert cluster.check_workers(dask_client, INTA) == 2


def test_workers_with_other_code_are_refused(dask_client):
    with pytest.raises(cluster.ClusterError, match="другая версия edu_quality"):
        cluster.check_workers(dask_client, INTA, code="0" * 64)


def test_cli_sends_a_batch_to_a_scheduler(dask_cluster, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "report",
            "batch",
            "--data",
            str(INTA),
            "--year",
            "2022",
            "--out",
            str(out),
            "--scheduler",
            dask_cluster.scheduler_address,
            "--no-notebooks",
            "--quiet",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "Готово: 4" in capsys.readouterr().out
    assert len(pages(out)) == 4 and not list(out.glob("*.ipynb"))


def test_cli_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1)
    code = main(
        [
            "report",
            "batch",
            "--data",
            str(INTA),
            "--year",
            "2022",
            "--out",
            str(tmp_path),
            "--executor",
            "dask",
            "--scheduler",
            "tcp://127.0.0.1:9",
        ]
    )
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.startswith("edu-quality: ошибка: не удалось подключиться к планировщику Dask")
    assert "\n" not in err and "Traceback" not in err
    assert "проверьте адрес" in err and "Timed out" not in err  # in Russian throughout


def test_scheduler_needs_the_dask_executor(tmp_path):
    with pytest.raises(ValueError, match="executor='dask'"):
        run_batch(INTA, 2022, tmp_path, scheduler="tcp://127.0.0.1:9", progress=False)
    with pytest.raises(ValueError, match=r"\['local', 'dask'\]"):
        run_batch(INTA, 2022, tmp_path, executor="ray", progress=False)


def test_sigint_stops_a_batch_on_the_cluster(tmp_path):
    out = tmp_path / "reports"
    proc = subprocess.Popen(
        batch_command(out, "--executor", "dask", "--jobs", "1"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    kernels: set[int] = set()  # the workers' kernels are grandchildren of the command
    wait_for(
        lambda: any(out.glob("school_*.html")) or any(out.glob("municipality_*.html")),
        proc,
        180,
        kernels,
    )
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=90)
    assert proc.returncode == 130, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edu-quality: прервано (SIGINT)"), stderr
    assert kernels and not alive(kernels)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    status = [e["status"] for e in manifest["reports"].values()]
    assert status.count("ok") >= 1 and status.count("pending") >= 1, status
    assert set(status) == {"ok", "pending", "nodata"} and len(status) == 7
    assert not leftovers(out)

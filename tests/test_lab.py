"""``make lab``: JupyterLab starts on 127.0.0.1 with the project's kernel, answers, and stops."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from edu_quality.lab import lab_command
from edu_quality.report.notebooks import KERNEL_NAME

ROOT = Path(__file__).resolve().parents[1]


def test_make_lab_runs_the_lab_module_on_localhost():
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-m edu_quality.lab" in text
    cmd = lab_command(9999, browser=False)
    assert "--ip=127.0.0.1" in cmd and "--no-browser" in cmd
    assert f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}" in cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_lab_server_answers_and_stops(tmp_path):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "edu_quality.lab", "--port", str(port), "--no-browser"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        status, deadline = None, time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=5) as r:
                    status = r.status
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.5)
        assert status == 200, proc.stdout.read().decode(errors="replace")[-2000:]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode is not None


def test_lab_opens_copies_never_the_templates(tmp_path):
    from edu_quality.lab import prepare_workspace
    from edu_quality.report.notebooks import notebooks_dir

    copied = prepare_workspace(tmp_path)
    assert {p.name for p in copied} == {p.name for p in notebooks_dir().glob("*.ipynb")}
    assert f"--ServerApp.root_dir={tmp_path}" in lab_command(9999, root=tmp_path)
    # the copy reads the sample region from anywhere: its data_dir is absolute and exists
    import json

    nb = json.loads((tmp_path / "school_report.ipynb").read_text(encoding="utf-8"))
    line = next(
        ln for c in nb["cells"] for ln in "".join(c["source"]).splitlines() if "data_dir" in ln
    )
    value = line.split("=", 1)[1].split("#")[0].strip().strip('"')
    assert Path(value).is_absolute() and (Path(value) / "schools.csv").is_file()
    # a user's edits survive the next start; a deleted copy comes back
    (tmp_path / "explore.ipynb").write_text("{}", encoding="utf-8")
    (tmp_path / "school_report.ipynb").unlink()
    again = prepare_workspace(tmp_path)
    assert [p.name for p in again] == ["school_report.ipynb"]
    assert (tmp_path / "explore.ipynb").read_text(encoding="utf-8") == "{}"

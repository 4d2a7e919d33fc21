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

"""``edu-quality explore``: the explorer served with Voilà, driven in headless Chromium.

The server is started as a user would start it, on a free port with the sample
region; the page's widgets are found, a picker is changed through the page
(its ``<select>`` set and a ``change`` event dispatched, as a click does) and
the chart must change; Ctrl+C (SIGINT) must stop the server and every kernel
it started. The port-taken and bad-data errors come before anything starts.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _helpers import SAMPLES

from edu_quality.cli import main
from edu_quality.cli.explore import descendants, port_taken, voila_command
from edu_quality.explore import number_column

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_number_column_gives_whole_numbers_the_column_decimals():
    assert number_column([48.26, 50.0, None]) == ["48,3", "50,0", "—"]
    assert number_column([24, 7.0]) == ["24", "7"]  # counts stay whole
    assert number_column([3.0, 3.85], 2) == ["3,00", "3,85"]
    assert number_column([-1.5, 2]) == ["−1,5", "2,0"]


def test_port_taken_is_refused_in_russian_before_anything_starts(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert port_taken(port)
        code = main(["explore", "--data", str(SAMPLES / "region"), "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"порт {port} занят" in err and "укажите другой: --port " in err
    assert err.count("\n") == 1  # one line


def test_missing_data_is_one_line_before_anything_starts(tmp_path, capsys):
    code = main(["explore", "--data", str(tmp_path / "нет"), "--port", str(_free_port())])
    err = capsys.readouterr().err
    assert code == 1 and "папка с данными не найдена" in err and err.count("\n") == 1


def test_voila_command_serves_on_localhost_with_code_hidden():
    cmd = voila_command(Path("explore.ipynb"), 8866, browser=False)
    assert "--Voila.ip=127.0.0.1" in cmd and "--strip_sources=True" in cmd
    assert "--VoilaExecutor.kernel_name=edu-quality" in cmd and "--port=8866" in cmd


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


PAGE = """(() => {
  const selects = Array.from(document.querySelectorAll('select'));
  const img = document.querySelector('.eq-explorer img.eq-figure');
  return JSON.stringify({selects: selects.length,
    labels: selects.map(s => Array.from(s.options).map(o => o.textContent.replace(/\u00a0/g, ' '))),
    src: img ? img.getAttribute('src').slice(-200) : null,
    text: (document.querySelector('.eq-explorer') || {}).textContent || ''});
})()"""


@pytest.mark.slow
def test_explorer_page_redraws_on_a_picker_and_stops_clean(tmp_path):
    from _browser import Chromium, find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.skip("нет Chromium")
    port = _free_port()
    log = tmp_path / "explore.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "edu_quality.cli",
                "explore",
                "--data",
                str(SAMPLES / "region"),
                "--port",
                str(port),
                "--no-browser",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    browser = None
    try:
        deadline = time.monotonic() + 120
        while "Исследователь:" not in log.read_text(errors="replace"):
            assert proc.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.3)
        assert f"http://127.0.0.1:{port}/" in log.read_text()
        browser = Chromium(chromium, tmp_path / "profile", timeout=60, offline=False)
        browser.call("Page.enable")
        browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/")

        def page() -> dict:
            r = browser.call("Runtime.evaluate", expression=PAGE, returnByValue=True)
            return json.loads(r["result"]["value"])

        def wait(check, what: str) -> dict:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                state = page()
                if check(state):
                    return state
                time.sleep(0.5)
            raise AssertionError(f"не дождались: {what}; {state}")

        first = wait(lambda p: p["selects"] >= 7 and p["src"], "виджетов и графика")
        assert "Показатели 2024 года" in first["text"]
        head = browser.call(
            "Runtime.evaluate",
            expression="document.documentElement.lang + '|' + document.title",
            returnByValue=True,
        )["result"]["value"]
        assert head == "ru|Исследование результатов школ"  # a Russian page, named as one
        hidden = browser.call(
            "Runtime.evaluate",
            expression="Array.from(document.querySelectorAll('.jp-Cell')).filter(c => "
            "c.offsetParent !== null).map(c => c.textContent).join(' ')",
            returnByValue=True,
        )["result"]["value"]
        assert "Откройте в JupyterLab" not in hidden  # the cell tagged «remove» is not shown
        assert "Динамика показателя школы" in hidden  # the other notes are
        metric = next(i for i, opts in enumerate(first["labels"]) if "Средний балл" in opts)
        index = first["labels"][metric].index("Средний балл")
        browser.call(
            "Runtime.evaluate",
            expression=f"""(() => {{ const s = document.querySelectorAll('select')[{metric}];
                s.selectedIndex = {index}; s.dispatchEvent(new Event('change', {{bubbles: true}}));
            }})()""",
        )
        after = wait(lambda p: p["src"] and p["src"] != first["src"], "нового графика")
        assert "Средний балл" in after["text"]
        kernels = [
            pid
            for pid in descendants(proc.pid)
            if b"ipykernel" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        assert kernels  # the page's kernel
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        text = log.read_text(errors="replace")
        assert "Исследователь остановлен." in text and "Traceback" not in text
        time.sleep(0.5)
        assert not [pid for pid in kernels if _alive(pid)]
    finally:
        if browser is not None:
            browser.close()
        if proc.poll() is None:  # a failed check: stop it as Ctrl+C does, Voilà and kernels too
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

"""``edu-quality explore``: the explorer of a dataset as a web page, without Jupyter.

The notebook ``explore`` of the package is served with Voilà on 127.0.0.1 — on
the project's kernel (:func:`~edu_quality.report.notebooks.ensure_kernel`), code
cells hidden. Before anything starts the port is checked and the dataset is
read and checked (a missing folder or bad data is the usual one-line error);
the explorer's tables are prepared here, once, and handed to the page's
kernel in a temporary file (:meth:`edu_quality.explore.ExploreTables.save`,
environment variables :data:`~edu_quality.explore.DATA_ENV` and
:data:`~edu_quality.explore.TABLES_ENV`), so the page does not read the data
again; while Voilà starts, the first view is drawn into them
(:func:`~edu_quality.explore.prepare_first_view`), so the kernel shows it
without drawing. The notebook's cells tagged ``remove`` (notes for
JupyterLab) are hidden on the page by the explorer's styles
(:data:`~edu_quality.explore.EXPLORER_CSS`). Ctrl+C or SIGTERM stop Voilà and every kernel it started.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .parsing import examples, port

__all__ = ["add_explore_command", "descendants", "explore", "port_taken", "voila_command"]

EXPLORE_EXAMPLE = "edu-quality explore --data dataset --port 8866"
#: How long the server may take to answer before the command gives up, seconds.
START_TIMEOUT = 120.0


def add_explore_command(commands) -> None:
    """Add ``explore`` to ``commands``."""
    p = commands.add_parser(
        "explore",
        help="исследователь результатов в браузере (без Jupyter)",
        description="Исследователь результатов набора данных — веб-страница с выбором "
        "муниципалитета, школы, работы, предмета, класса, года и показателя (Voilà на "
        "127.0.0.1, без кода). Остановить — Ctrl+C.",
        epilog=examples(EXPLORE_EXAMPLE),
    )
    p.add_argument("--data", required=True, type=Path, metavar="ПАПКА", help="папка набора данных")
    p.add_argument(
        "--port", type=port, default=8866, metavar="ПОРТ", help="порт (по умолчанию 8866)"
    )
    p.add_argument("--no-browser", action="store_true", help="не открывать браузер")
    p.set_defaults(handler=explore)


def port_taken(port: int, host: str = "127.0.0.1") -> bool:
    """Whether ``port`` on ``host`` cannot be listened on (another program holds it).

    Examples
    --------
    >>> with socket.socket() as s:
    ...     s.bind(("127.0.0.1", 0)); s.listen()
    ...     port_taken(s.getsockname()[1])
    True
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def _free_port_after(port: int) -> int:
    for candidate in range(port + 1, min(port + 100, 65536)):
        if not port_taken(candidate):
            return candidate
    return port + 1


def voila_command(notebook: Path, port: int, *, browser: bool = True) -> list[str]:
    """The command that serves ``notebook`` with Voilà on 127.0.0.1 (for :class:`subprocess.Popen`).

    Examples
    --------
    >>> cmd = voila_command(Path("explore.ipynb"), 8866, browser=False)
    >>> cmd[1:3], "--Voila.ip=127.0.0.1" in cmd, "--no-browser" in cmd
    (['-m', 'voila'], True, True)
    """
    from ..report.notebooks import KERNEL_NAME

    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        "--Voila.port_retries=0",
        "--strip_sources=True",
        f"--VoilaExecutor.kernel_name={KERNEL_NAME}",
        "--Voila.log_level=ERROR",
        "--HTMLExporter.language_code=ru",  # the page's lang: a Russian page, read as one
    ]
    if not browser:
        cmd.append("--no-browser")
    return cmd


def descendants(pid: int) -> set[int]:
    """Processes started by ``pid`` and by them (from ``/proc``; empty where there is none)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # «pid (name) state ppid …»: the name may hold spaces and brackets
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, ppid in parents.items():
            if ppid == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie is dead: its parent has not collected it yet
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _stop(proc: subprocess.Popen, grace: float = 15.0) -> None:
    """Stop Voilà (it shuts its kernels down), then end whatever of them is left."""
    kernels = descendants(proc.pid)  # the kernels run in sessions of their own
    if proc.poll() is None:
        # one SIGINT: Voilà shuts its kernels down (a second one would cut that short)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    deadline = time.monotonic() + 5
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in kernels:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
        while any(_alive(p) for p in kernels) and time.monotonic() < deadline:
            time.sleep(0.1)
        deadline = time.monotonic() + 5


def _wait_until_answers(proc: subprocess.Popen, port: int) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return True
        time.sleep(0.2)
    return False


def _prepare_first_view(tables, prepared: Path) -> None:
    """Draw the page's first view into the prepared tables (the kernel then shows it at once).

    The tables without it are in place already: a kernel that reads them
    before the file is replaced draws the view itself.
    """
    from ..explore import prepare_first_view

    try:
        prepare_first_view(tables)
    except Exception:  # noqa: BLE001 - only a head start: the page's kernel draws it itself
        return
    tables.save(prepared)


class _Stop(Exception):
    """A signal to stop the server."""


def explore(args: argparse.Namespace) -> int:
    """``explore``: check the port and the data, then serve the explorer until stopped."""
    from ..errors import EduQualityError
    from ..explore import DATA_ENV, TABLES_ENV, explore_tables
    from ..report.notebooks import ensure_kernel, notebook_path

    port = args.port
    if not 0 < port < 65536:
        raise ValueError(f"порт {port} вне пределов 1–65535: укажите другой, например --port 8866")
    if port_taken(port):
        raise EduQualityError(
            f"порт {port} занят: на нём уже работает другая программа (возможно, другой "
            f"исследователь) — остановите её или укажите другой: --port {_free_port_after(port)}"
        )
    folder = Path(args.data).resolve()
    print(f"Читаю данные: {folder}…", flush=True)
    tables = explore_tables(folder)  # a missing folder or bad data: the usual one-line error
    ensure_kernel()
    stopping = {"signal": None}

    def on_signal(signum, frame):
        stopping["signal"] = signum
        raise _Stop

    with tempfile.TemporaryDirectory(prefix="edu-quality-explore-") as tmp:
        prepared = Path(tmp) / "tables.pickle"
        tables.save(prepared)
        env = {**os.environ, DATA_ENV: str(folder), TABLES_ENV: str(prepared)}
        cmd = voila_command(notebook_path("explore"), port, browser=not args.no_browser)
        old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        proc = None
        try:
            # a session of its own: Ctrl+C reaches this process only, which stops Voilà in order
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, start_new_session=True)
            _prepare_first_view(tables, prepared)  # while Voilà starts
            if not _wait_until_answers(proc, port):
                code = proc.poll()
                raise EduQualityError(
                    f"Voilà не запустился (код {code}): подробности — выше"
                    if code is not None
                    else f"Voilà не ответил за {START_TIMEOUT:.0f} с на порту {port}"
                )
            print(f"Исследователь: http://127.0.0.1:{port}/ — остановить: Ctrl+C", flush=True)
            code = proc.wait()
            if code:
                raise EduQualityError(f"Voilà завершился с кодом {code}")
            return 0
        except _Stop:
            print("Останавливаю исследователь…", flush=True)
            return 0
        finally:
            for s in old:  # a second Ctrl+C does not cut the stopping short
                signal.signal(s, signal.SIG_IGN)
            if proc is not None:
                _stop(proc)
            for s, handler in old.items():
                signal.signal(s, handler)
            if stopping["signal"] is not None:
                print("Исследователь остановлен.", flush=True)

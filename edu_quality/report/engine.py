"""Warm kernels: report notebooks executed by papermill on kernels kept alive between reports.

Why
---
A report notebook run the plain way — ``papermill`` then ``jupyter nbconvert
--no-input`` — spends most of its time on things that are the same for every
report: starting a kernel (≈1 s), importing pandas, statsmodels, matplotlib and
the package in it and loading the dataset (≈1.5–3 s), starting ``nbconvert``
(≈1 s), and papermill's own saving of the output notebook after every cell.
The report itself — the sections of one school — takes 0.2–0.4 s.

The choice
----------
Weighed and measured (``make bench``, a 60-school synthetic municipality, two
cores; the table is written to ``reports/bench.md``):

* **kept** — a pool of kernels kept warm for the whole batch. A
  :class:`WarmKernel` is started once (in parallel with the planning of the
  batch, and pre-imports the package), then runs report after report. Between
  reports the namespace is cleared (``%reset -f``, figures closed, warning
  registries cleared, working folder and execution counter restored), so every
  report starts as in a new kernel, while imported modules — and the
  per-process cache of :func:`edu_quality.report.report_data`, which holds the
  dataset and the region-wide tables — stay: the region's tables are computed
  once per kernel, not once per report. What survives a reset is then frozen
  out of the garbage collector's scans (:func:`gc.freeze`): the full
  collection of ``%reset`` otherwise costs ≈0.2 s per report. A kernel is
  restarted only after it died or a report overran its time limit; a report
  that merely raised an error leaves a healthy kernel, which is reset and
  reused. The limit of the reset: state outside the namespace — matplotlib
  ``rcParams``, pandas options, environment variables — passes from one report
  to the next on the same kernel; the report notebooks do not change it, and a
  template that must should restore it in its last cell.
* **kept** — papermill itself, through its engine extension point:
  :class:`WarmKernelEngine` is registered as the papermill engine
  ``edu-quality-warm``; :func:`papermill.execute_notebook` still checks and
  injects the parameters (the ``injected-parameters`` cell stays in every
  executed notebook for audit), records papermill metadata and cell timings,
  and marks a failing cell; only the kernel comes from the pool, and the
  output notebook is written once at the end instead of twice per cell.
* **kept** — HTML export in the batch process with one reused exporter
  (``html.export_html``), no ``nbconvert`` command, and without the
  BeautifulSoup pass of ``HTMLExporter`` (``html.report_exporter_class``):
  that pass only adds ``alt`` to images without one and ``tabindex`` to the
  ``jp-`` cells of the JupyterLab template — our template has no such cells
  and every figure has its ``alt`` — and re-serialises the page: 0.04 s of
  the 0.05 s export, in the process that shares the cores with the kernels;
  and the notebook is validated once, not after every preprocessor
  (``optimistic_validation``): 0.003 s a page in all. A test checks that the
  page is ``HTMLExporter``'s document.
* **kept** — the dataset is loaded and checked once per batch, not once per
  kernel: the batch loads it to plan the reports anyway, then hands it to the
  kernels as a pickle in a folder of its own (:mod:`edu_quality.report.cache`;
  ≈0.01 s to take instead of ≈1.5 s to read the files again); a kernel started
  again later takes it too, and a file changed meanwhile is read again.
* **kept** — a light start: the package imports its modules on first use, so
  the batch process, which only plans and drives the kernels, does not import
  SciPy, statsmodels or matplotlib (≈1.2 s), and its kernels start while it
  imports papermill; statsmodels' models are imported from their own modules,
  not ``statsmodels.api`` (≈0.4 s less in every kernel); the command's process
  declines the optional RFC 3987 grammar that jsonschema would build at import
  for a format check notebooks never use (≈1.5 s, ``cli.report.decline_unused_imports``).
  The start-up was the larger part of the gap to (c): before these, about
  8 s passed before the first page.
* **kept** — the kernels are the workers: the batch process drives them from
  one thread per kernel (the work happens in the kernel processes), so there
  is no second layer of worker processes, and the batch process itself can
  stop every kernel on a signal.
* **dropped** — smaller figures: the figures are already 90 dpi PNG; making
  them smaller saves little and changes the reports.
* **dropped** — a pool of worker processes each holding a kernel (the old
  ``ProcessPoolExecutor``): a second layer of processes, and a signal or a
  dead kernel is harder to handle there.
* **dropped** — rendering the sections in-process without a kernel in the
  batch: fastest, but the executed notebook (the audit trail) would be gone.

Measured by ``make bench`` on a 60-school synthetic municipality (61 reports:
the schools and the municipality), two cores shared with other work, seconds
per report over three runs: (a) the naive loop 11.6–15.1; (b) ``report batch
--jobs 2`` 0.49–0.59; (c) the in-process limit with two worker processes
0.41–0.48 — a/b = 23–26, b/c = 1.20–1.30 (1.37–1.61 before the start-up work
above). Peak memory per kernel ≈ 300–340 MB, a worker of (c) ≈ 330–370 MB.
The report sections of (a), (b) and (c) are the same HTML.

Faults
------
:meth:`WarmKernel.run` turns the ways a report can end into exceptions:
:class:`papermill.PapermillExecutionError` (a cell raised; the kernel is
reused), :class:`KernelDied` (the kernel process ended: it is discarded),
:class:`ReportTimeout` (the report overran ``timeout``: its kernel is killed
and discarded) and :class:`ReportStopped` (:meth:`WarmKernel.kill` was called,
e.g. on a signal). Kernels are started in their own session (as Jupyter does):
a Ctrl+C in the terminal reaches the batch process only, which decides.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO, Any

from ..errors import EduQualityError

__all__ = [
    "ENGINE_NAME",
    "KernelDied",
    "KernelStartError",
    "ReportStopped",
    "ReportTimeout",
    "WarmKernel",
    "WarmKernelEngine",  # noqa: F822 (defined on first use by the module __getattr__)
    "register_engine",
]

#: Name under which :class:`WarmKernelEngine` is registered with papermill.
ENGINE_NAME = "edu-quality-warm"

# nbclient's messages («Kernel died while waiting for execute reply») go here, not to
# stderr: the batch reports every failure itself, in one line, with details in its log
_log = logging.getLogger(__name__)
_log.addHandler(logging.NullHandler())

_START_RETRIES = 2

# Run silently between two reports: the namespace as in a new kernel, modules kept.
# What survives (modules, the report_data cache) is then frozen out of the garbage
# collector's scans (gc.freeze): the full collection of %reset costs 0.2 s otherwise.
_RESET = """\
import sys as _eq_sys
if "matplotlib.pyplot" in _eq_sys.modules:
    _eq_sys.modules["matplotlib.pyplot"].close("all")
for _eq_m in list(_eq_sys.modules.values()):
    _eq_r = getattr(_eq_m, "__warningregistry__", None)
    if isinstance(_eq_r, dict):
        _eq_r.clear()
__import__("os").chdir({cwd!r})
get_ipython().run_line_magic("reset", "-f")
get_ipython().execution_count = 1
__import__("gc").freeze()
"""


class KernelDied(EduQualityError, RuntimeError):
    """The kernel process ended while it was running a report."""


class KernelStartError(EduQualityError, RuntimeError):
    """A kernel did not start (after retries)."""


class ReportTimeout(EduQualityError, TimeoutError):
    """A report ran longer than its time limit; its kernel was stopped."""


class ReportStopped(EduQualityError, RuntimeError):
    """A report was stopped from outside (the batch is being interrupted)."""


@functools.lru_cache(maxsize=1)
def register_engine() -> type:
    """Define :class:`WarmKernelEngine` and register it with papermill; return the class.

    Done on first use, not at import: papermill takes about a second to
    import, and a batch starts its kernels before it needs papermill.
    """
    from papermill.engines import Engine, papermill_engines

    class WarmKernelEngine(Engine):
        """A papermill engine that executes on a :class:`WarmKernel` given as ``kernel=``.

        Use through papermill::

            papermill.execute_notebook(src, dst, parameters=..., engine_name=ENGINE_NAME,
                                       kernel=warm_kernel)

        Everything papermill does around execution (parameters, metadata, error
        markers) is unchanged; the kernel is not started or shut down here.
        """

        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            *,
            kernel: WarmKernel,
            log_output: bool = False,
            stdout_file=None,
            stderr_file=None,
            start_timeout: int = 60,
            execution_timeout: int | None = None,
            **kwargs,
        ):
            """Execute ``nb_man.nb`` on the warm kernel (papermill's engine interface)."""
            from papermill.clientwrap import PapermillNotebookClient

            kernel.notebook = nb_man.nb  # kept for audit if the kernel dies mid-report
            client = PapermillNotebookClient(
                nb_man,
                km=kernel.km,
                kernel_name=kernel_name,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                log=_log,
                log_output=log_output,
                stdout_file=stdout_file,
                stderr_file=stderr_file,
            )
            client.kc = kernel.kc
            return client.execute()

    papermill_engines.register(ENGINE_NAME, WarmKernelEngine)
    return WarmKernelEngine


def __getattr__(name: str):
    if name == "WarmKernelEngine":  # defined on first use, see register_engine
        return register_engine()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class WarmKernel:
    """A Jupyter kernel kept alive to execute one report notebook after another.

    Parameters
    ----------
    kernel_name : str
        Kernelspec to start.
    cwd : str or Path
        Working folder of the kernel (restored before every report).
    warmup : str
        Code run silently right after the start (e.g. imports), so that the
        first report does not pay for it.
    output : file, optional
        Where the kernel process writes its own stdout and stderr (a log file);
        by default those of this process.
    startup_timeout : int
        Seconds to wait for a kernel to answer after its start.

    Attributes
    ----------
    pid : int or None
        Process id of the running kernel.
    reports, starts : int
        Reports run to the end, and kernel processes started.
    notebook : NotebookNode or None
        The notebook of the current or last report as executed so far (kept
        for audit when the kernel dies mid-report).

    Notes
    -----
    Not thread-safe, except :meth:`kill`, which may be called from any thread
    or a signal handler. Use as a context manager, or call :meth:`shutdown`.
    """

    def __init__(
        self,
        kernel_name: str,
        *,
        cwd: str | Path,
        warmup: str = "",
        output: IO | None = None,
        startup_timeout: int = 60,
    ):
        self.kernel_name = kernel_name
        self.cwd = str(cwd)
        self.warmup = warmup
        self.output = output
        self.startup_timeout = startup_timeout
        self.km = None
        self.kc = None
        self.pid: int | None = None
        self.notebook = None
        self.reports = 0
        self.starts = 0
        self._peak = 0
        self._fresh = False
        self._extra_warmup: list[str] = []
        self._why_killed: str | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        """Start the kernel (retrying a failed start) and run the warm-up code."""
        last: BaseException | None = None
        for attempt in range(_START_RETRIES + 1):
            if self._why_killed == "stop":
                raise ReportStopped("остановлено до запуска ядра")
            try:
                self._start_once()
                return
            except ReportStopped:
                raise
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                last = exc
                self._discard()
                time.sleep(0.5 * (attempt + 1))
        raise KernelStartError(f"ядро Python не запустилось: {last}") from last

    def _start_once(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        km = AsyncKernelManager(kernel_name=self.kernel_name)
        kwargs: dict[str, Any] = {
            "cwd": self.cwd,
            # no history database shared between kernels; no «TCP without encryption» noise
            "extra_arguments": [
                "--HistoryManager.hist_file=:memory:",
                "--IPKernelApp.log_level=ERROR",
            ],
        }
        if self.output is not None:
            kwargs.update(stdout=self.output, stderr=self.output)
        with self._lock:
            if self._why_killed == "stop":
                raise ReportStopped("остановлено до запуска ядра")
            self.km = km
        run_sync(km.start_kernel)(**kwargs)
        self.pid = km.provisioner.pid
        self.starts += 1
        if self._why_killed == "stop":  # a kill() that came while the process was starting
            self._kill_process()
            raise ReportStopped("остановлено при запуске ядра")
        kc = km.client()
        kc.start_channels()
        self.kc = kc
        run_sync(kc.wait_for_ready)(timeout=self.startup_timeout)
        self._fresh = True
        if self.warmup or self._extra_warmup:  # then a reset: the first report starts clean too
            if self.warmup:
                self._run_silently(self.warmup)
            for code in self._extra_warmup:
                self._try_silently(code)
            # what the warm-up made (modules, the kept dataset) is frozen first: the full
            # collection of %reset then has nothing of it to scan (≈0.1 s of each start)
            self._run_silently('__import__("gc").freeze()')
            self.reset()

    def extend_warmup(self, code: str) -> None:
        """Add ``code`` to the warm-up: run now on the running kernel, and after every restart.

        A failure here is not an error: the code only prepares (e.g. takes a
        dataset that the reports would otherwise read themselves).
        """
        self._extra_warmup.append(code)
        if self.kc is not None and self.alive:
            self._try_silently(code)

    def _try_silently(self, code: str) -> None:
        try:
            self._run_silently(code)
        except Exception:  # noqa: BLE001 - a report still runs without it
            _log.debug("optional warm-up code failed", exc_info=True)

    @property
    def alive(self) -> bool:
        """Whether the kernel process is running."""
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        return proc is not None and proc.poll() is None

    @property
    def stopped(self) -> bool:
        """Whether :meth:`kill` was called with ``"stop"``: this kernel runs nothing more."""
        return self._why_killed == "stop"

    def reset(self) -> None:
        """Clear the namespace as in a new kernel; imported modules and caches stay."""
        self._run_silently(_RESET.format(cwd=self.cwd))
        self._fresh = True

    def _run_silently(self, code: str, timeout: float = 300) -> None:
        from jupyter_core.utils import run_sync

        run_sync(self._async_run_silently)(code, timeout)

    async def _async_run_silently(self, code: str, timeout: float) -> None:
        import queue

        msg_id = self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:  # the kernel is watched: a kill() ends the wait at once
            if not self.alive:
                raise RuntimeError("ядро Python завершилось во время служебного кода")
            if time.monotonic() > deadline:
                raise TimeoutError(f"ядро Python не ответило за {timeout:g} с")
            try:
                reply = await self.kc.get_shell_msg(timeout=0.2)
            except queue.Empty:
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(
                f"служебный код в ядре: {content.get('ename')}: {content.get('evalue')}"
            )

    def kill(self, why: str = "stop") -> None:
        """Kill the kernel process now (any thread, or a signal handler).

        ``why`` is ``"stop"`` (the batch stops: no new kernel is started
        either) or ``"timeout"``; the running report raises
        :class:`ReportStopped` or :class:`ReportTimeout`.
        """
        if self._why_killed != "stop":
            self._why_killed = why
        self._kill_process()

    def _kill_process(self) -> None:
        pid = self.pid
        if pid is None:
            return
        try:  # the kernel leads its own process group: its children go too
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def _discard(self) -> None:
        """Stop the kernel (if any) and release its client, files and process entry."""
        from jupyter_core.utils import run_sync

        self._peak = max(self._peak, self._current_peak() or 0)
        km, kc = self.km, self.kc
        self.kc = None
        self._fresh = False
        if kc is not None:
            try:
                kc.stop_channels()
            except Exception:  # noqa: BLE001 - best effort
                pass
        if km is not None:
            try:
                if km.has_kernel:
                    # killed and waited for here: jupyter_client's shutdown polls for the
                    # process's end every 0.1 s, a tenth of a second of every single report
                    self._kill_process()
                    proc = getattr(km.provisioner, "process", None)
                    if proc is not None:
                        proc.wait(timeout=5)
                    run_sync(km.shutdown_kernel)(now=True)
            except Exception:  # noqa: BLE001 - fall back to a kill
                self._kill_process()
            proc = getattr(km.provisioner, "process", None) if km.provisioner else None
            if proc is not None:
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._kill_process()
            try:
                run_sync(km.cleanup_resources)()
            except Exception:  # noqa: BLE001
                pass
        with self._lock:
            self.km = None
            self.pid = None

    def shutdown(self) -> None:
        """Shut the kernel down (idempotent)."""
        self._discard()

    def __enter__(self) -> WarmKernel:
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()

    # ------------------------------------------------------------ reports

    def run(
        self,
        notebook: str | Path,
        output_path: str | Path | None,
        parameters: dict[str, object],
        *,
        timeout: float | None = None,
        report_mode: bool = True,
    ):
        """Execute a notebook with papermill on this kernel; return the executed notebook.

        Parameters
        ----------
        notebook : str or Path
            The template notebook.
        output_path : str or Path or None
            Where papermill writes the executed notebook if a cell fails (with
            its error marker); on success nothing is written: the notebook is
            returned.
        parameters : dict
            Parameters, injected by papermill.
        timeout : float, optional
            Seconds the whole report may take; on overrun the kernel is killed.

        Raises
        ------
        papermill.PapermillExecutionError
            A cell raised (the kernel stays and is reused).
        KernelDied, ReportTimeout, ReportStopped
            The kernel ended; it is discarded and the next report starts a new one.
        """
        import papermill
        from nbclient.exceptions import DeadKernelError

        register_engine()
        if self._why_killed == "stop":
            raise ReportStopped("пакет остановлен")
        if self._why_killed == "timeout":  # the previous report's: its kernel is gone
            self._why_killed = None
        if not self.alive:
            self._discard()
            self.start()
        elif not self._fresh:
            try:
                self.reset()
            except Exception:  # noqa: BLE001 - a kernel that cannot reset is replaced
                self._discard()
                self.start()
        self._fresh = False
        self.notebook = None
        timer = None
        if timeout:
            timer = threading.Timer(timeout, self.kill, args=("timeout",))
            timer.daemon = True
            timer.start()
        started = time.monotonic()
        try:
            nb = papermill.execute_notebook(
                str(notebook),
                None if output_path is None else str(output_path),
                parameters=parameters,
                engine_name=ENGINE_NAME,
                kernel=self,
                kernel_name=self.kernel_name,
                language="python",
                request_save_on_cell_execute=False,
                progress_bar=False,
                log_output=False,
                report_mode=report_mode,
            )
        except papermill.PapermillExecutionError:
            if self._why_killed is None and self.alive:
                raise
            self._raise_ended(started, timeout)
        except (DeadKernelError, RuntimeError, OSError, TimeoutError) as exc:
            if self._why_killed is None and self.alive:
                self._discard()  # unknown state: do not reuse
                raise
            self._raise_ended(started, timeout, exc)
        finally:
            if timer is not None:
                timer.cancel()
        self.reports += 1
        return nb

    def _raise_ended(self, started: float, timeout: float | None, exc: BaseException | None = None):
        why = self._why_killed
        proc = getattr(getattr(self.km, "provisioner", None), "process", None)
        code = proc.poll() if proc is not None else None
        where = self._running_cell()
        self._discard()
        if why == "timeout":
            raise ReportTimeout(
                f"превышено предельное время отчёта ({timeout:g} с){where}; ядро остановлено"
            ) from exc
        if why == "stop":
            raise ReportStopped("отчёт прерван: пакет остановлен") from exc
        spent = time.monotonic() - started
        if code is not None and code < 0:
            how = f"остановлено сигналом {signal.Signals(-code).name}"
            if -code == signal.SIGKILL:
                how += " (так система останавливает процесс, которому не хватило памяти)"
        else:
            how = "завершилось" + (f" с кодом {code}" if code is not None else "")
        raise KernelDied(
            f"ядро Python аварийно {how}{where} через {spent:.0f} с после начала отчёта"
        ) from exc

    def _running_cell(self) -> str:
        """« в ячейке [N]» for the last cell papermill started, or "".

        N counts code cells from 1, as the execution counts of a report do.
        """
        nb = self.notebook
        code = [c for c in (nb.cells if nb is not None else []) if c.get("cell_type") == "code"]
        started = [
            i
            for i, c in enumerate(code, 1)
            if c.get("metadata", {}).get("papermill", {}).get("start_time")
        ]
        return f" в ячейке [{started[-1]}]" if started else ""

    def peak_memory(self) -> int | None:
        """Peak resident memory of this slot's kernel processes so far, bytes.

        Read from ``/proc`` (Linux); None where it is not available.
        """
        peak = max(self._peak, self._current_peak() or 0)
        return peak or None

    def _current_peak(self) -> int | None:
        pid = self.pid
        if pid is None:
            return None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            return None
        return None

"""Report batches on a Dask distributed cluster.

``run_batch(..., executor="dask", scheduler=ADDRESS)`` (``edu-quality report
batch --executor dask --scheduler ADDRESS``) sends every report to the
workers of an existing cluster instead of local kernels. The batch itself —
planning, skipping unchanged reports, ``manifest.json``, ``index.html``,
``batch.log``, the progress bar, signals — stays on the machine that runs the
command; this module is what runs on the workers and what checks them first.

How a report runs on a worker
    Each worker process keeps warm kernels, one per report running at once
    (the same
    :class:`~edu_quality.report.engine.WarmKernel` as a local batch: started
    once, namespace cleared between reports) and executes the notebook there
    with :func:`~edu_quality.report.job.render_report` into a temporary
    folder. The HTML page (and the executed notebook) travel back to the
    client as bytes and are written there atomically, so the output folder
    need not be shared. A report that fails comes back as a failure with its
    one-line reason and details, like a local one; a worker that dies is
    replaced by Dask, which retries its report elsewhere.

What the workers need
    The same version of edu_quality (checked: a hash of the package's code
    and notebooks must match the client's) and the dataset folder at the same
    path (checked: every worker must see it) — a shared or replicated folder,
    as usual for a Dask cluster. Their kernels are shut down when the batch
    ends (a worker plugin, :data:`PLUGIN_NAME`, is registered for the batch
    and removed after it).

Without a ``scheduler`` a local cluster of ``jobs`` worker processes is
started for the batch and closed after it.

Dask is an optional dependency (``pip install edu_quality[dask]``); it is
imported only when this executor is used.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from ..errors import EduQualityError
from .job import describe_failure, failure_detail, render_report
from .notebooks import WARMUP, ensure_kernel, notebooks_dir

__all__ = [
    "PLUGIN_NAME",
    "ClusterError",
    "check_workers",
    "code_stamp",
    "connect",
    "kernel_count",
    "kernel_plugin",
    "kernel_stats",
    "kill_kernels",
    "render_on_worker",
    "warm_up",
]

#: Name of the worker plugin that owns the workers' kernels during a batch.
PLUGIN_NAME = "edu-quality-kernels"
#: Seconds to wait for the scheduler when connecting.
CONNECT_TIMEOUT = 20

_KERNELS: list = []  # on a worker: every WarmKernel of this process
_IDLE: list = []  # those not running a report now
_KERNELS_LOCK = threading.Lock()


class ClusterError(EduQualityError):
    """The Dask cluster cannot run the batch (unreachable, no workers, workers not ready)."""


def _distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ClusterError(
            "для --executor dask нужен пакет dask[distributed]: pip install 'edu_quality[dask]'"
        ) from exc
    return distributed


@functools.lru_cache(maxsize=1)
def code_stamp() -> str:
    """Hash of the package's code and report notebooks: equal stamps make equal reports.

    Examples
    --------
    >>> len(code_stamp())
    64
    """
    h = hashlib.sha256()
    pkg = Path(__file__).resolve().parents[1]
    samples = pkg / "data" / "samples"  # datasets, not code: the workers' data is checked apart
    for src in sorted(pkg.rglob("*")):
        if (
            src.is_file()
            and src.suffix in {".py", ".csv", ".json", ".j2", ".css", ".tpl"}
            and not src.is_relative_to(samples)
        ):
            h.update(src.relative_to(pkg).as_posix().encode())
            h.update(src.read_bytes())
    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        h.update(nb.name.encode())
        h.update(nb.read_bytes())
    return h.hexdigest()


def connect(scheduler, *, workers: int = 2) -> tuple[object, Callable[[], None]]:
    """A Dask client for a batch, and what to call when the batch is over.

    Parameters
    ----------
    scheduler : str, distributed.Client or None
        The scheduler's address (``tcp://host:8786``), a connected client
        (left open afterwards), or None to start a local cluster of
        ``workers`` processes for this batch.
    workers : int
        Worker processes of the local cluster (one thread each).

    Raises
    ------
    ClusterError
        Dask is not installed, or the scheduler does not answer.
    """
    distributed = _distributed()
    if isinstance(scheduler, distributed.Client):
        return scheduler, lambda: None
    if scheduler is None:
        cluster = distributed.LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            # the batch's own cluster: its workers' ERROR lines
            # (a heartbeat that meets a scheduler shutting down on
            # Ctrl+C) are noise; report failures go to batch.log
            silence_logs=logging.CRITICAL,
        )
        client = distributed.Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client, close
    try:
        client = distributed.Client(str(scheduler), timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(
            f"не удалось подключиться к планировщику Dask «{scheduler}» "
            f"за {CONNECT_TIMEOUT} с: проверьте адрес (tcp://узел:8786) и что планировщик "
            "запущен (dask scheduler) и доступен с этого компьютера"
        ) from exc
    return client, client.close


def _probe(data_dir: str) -> dict[str, object]:
    """Run on every worker: what it sees of the dataset and which code it has."""
    path = Path(data_dir)
    return {
        "host": socket.gethostname(),
        "data": path.is_dir() and any(path.iterdir()),
        "code": code_stamp(),
    }


def check_workers(client, data_dir: str | Path, *, code: str | None = None) -> int:
    """Check that every worker can build the reports; return the number of workers.

    Raises
    ------
    ClusterError
        No workers; a worker does not see ``data_dir``; a worker has another
        version of edu_quality than ``code`` (this machine's by default).
    """
    code = code_stamp() if code is None else code
    info = client.run(_probe, str(data_dir))
    if not info:
        raise ClusterError("в кластере Dask нет рабочих процессов (workers): отчёты строить некому")
    blind = [f"{addr} ({i['host']})" for addr, i in sorted(info.items()) if not i["data"]]
    if blind:
        raise ClusterError(
            f"папка данных «{data_dir}» не видна (или пуста) на рабочих узлах кластера: "
            + ", ".join(blind[:5])
            + (f" и ещё {len(blind) - 5}" if len(blind) > 5 else "")
            + ". Положите набор данных в общую папку, доступную всем узлам по тому же пути."
        )
    other = [f"{addr} ({i['host']})" for addr, i in sorted(info.items()) if i["code"] != code]
    if other:
        raise ClusterError(
            "на рабочих узлах кластера другая версия edu_quality (код или блокноты "
            "отличаются), отчёты не совпали бы с локальными: "
            + ", ".join(other[:5])
            + ". Установите на узлы ту же версию."
        )
    return len(info)


# ---------------------------------------------------------------- on the workers


@contextlib.contextmanager
def _kernel() -> Iterator:
    """An idle warm kernel of this worker process (a new one when all are busy)."""
    from .engine import WarmKernel

    with _KERNELS_LOCK:
        kernel = _IDLE.pop() if _IDLE else None
    if kernel is None:
        kernel = WarmKernel(ensure_kernel(), cwd=notebooks_dir(), warmup=WARMUP)
        with _KERNELS_LOCK:
            _KERNELS.append(kernel)
    try:
        yield kernel
    finally:
        with _KERNELS_LOCK:
            if kernel in _KERNELS:  # not shut down meanwhile
                _IDLE.append(kernel)


def warm_up() -> None:
    """Run as a task on each worker thread while the batch is planned: start a kernel.

    Imports the report machinery and starts a kernel (with the report imports
    done in it), so that the first report on the worker does not pay for it.
    """
    import papermill  # noqa: F401 - imported now, not during the first report

    with _kernel() as kernel:
        if not kernel.alive:
            kernel.start()


def render_on_worker(job, *, timeout: float | None, keep_notebook: bool) -> dict[str, object]:
    """Build one report on a worker; return its files as bytes, or why it failed.

    Returns
    -------
    dict
        ``status`` (``"ok"`` or ``"failed"``), ``html`` (bytes, when ok),
        ``notebook`` (the executed notebook as bytes, or None), ``message``
        and ``detail`` (when failed).
    """
    with tempfile.TemporaryDirectory(prefix="edu-quality-") as tmp:
        executed = Path(tmp) / f"{job.name}.ipynb"
        try:
            with _kernel() as kernel:
                page = render_report(
                    job, tmp, keep_notebook=keep_notebook, timeout=timeout, kernel=kernel
                )
            out = {"status": "ok", "html": page.read_bytes()}
        except Exception as exc:  # noqa: BLE001 - reported to the client like a local failure
            out = {
                "status": "failed",
                "message": describe_failure(exc),
                "detail": failure_detail(exc),
            }
        out["notebook"] = executed.read_bytes() if keep_notebook and executed.exists() else None
    return out


def kill_kernels() -> int:
    """Run on every worker when a batch stops: end the running reports at once."""
    with _KERNELS_LOCK:
        kernels = [k for k in _KERNELS if k not in _IDLE]
    for kernel in kernels:
        kernel.kill("timeout")  # the report ends; the kernel may start again later
    return len(kernels)


def kernel_count() -> int:
    """Run on every worker: the report kernels this worker process keeps now."""
    with _KERNELS_LOCK:
        return len(_KERNELS)


def kernel_stats() -> dict[str, int]:
    """Run on every worker: reports run, kernel starts and peak kernel memory."""
    with _KERNELS_LOCK:
        kernels = list(_KERNELS)
    return {
        "reports": sum(k.reports for k in kernels),
        "kernel_starts": sum(k.starts for k in kernels),
        "peak_memory": max((k.peak_memory() or 0 for k in kernels), default=0),
    }


def _shutdown_kernels() -> None:
    with _KERNELS_LOCK:
        kernels = list(_KERNELS)
        _KERNELS.clear()
        _IDLE.clear()
    for kernel in kernels:
        kernel.shutdown()


def kernel_plugin():
    """A worker plugin whose teardown shuts the worker's report kernels down.

    A batch registers it under :data:`PLUGIN_NAME` and unregisters it at its
    end (teardown also runs when a worker closes), so no kernel outlives the
    batch.
    """
    from distributed.diagnostics.plugin import WorkerPlugin

    class KernelPlugin(WorkerPlugin):
        name = PLUGIN_NAME

        def teardown(self, worker) -> None:
            _shutdown_kernels()

    return KernelPlugin()

"""Pools of workers: how many threads a table is read with, and stopping a process pool.

:func:`reading_threads` is the number of threads the loaders read and join
tables with: two at most, one per core.

:meth:`concurrent.futures.ProcessPoolExecutor.shutdown` lets the running
tasks finish: a region's import would read every file a worker had begun
before it stopped. :func:`stop_pool` ends the workers' processes now, and
leaves nothing that keeps the interpreter from exiting.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor

__all__ = ["reading_threads", "stop_pool"]


def reading_threads() -> int:
    """Threads for reading and joining tables: two, or one on a machine of one core.

    Examples
    --------
    >>> reading_threads() in (1, 2)
    True
    """
    return min(2, os.cpu_count() or 1)


def stop_pool(pool: ProcessPoolExecutor, *, wait: float = 5.0) -> None:
    """Cancel the queued tasks of ``pool``, end its workers and its manager thread.

    The executor has no public way to stop a running task, so this reads what
    it keeps (``_processes``, ``_executor_manager_thread``, ``_result_queue``)
    — before :meth:`~concurrent.futures.Executor.shutdown`, which forgets them.

    A worker ended while it sent its result leaves the pool's manager thread
    waiting for the rest of the message, and the interpreter's exit joins that
    thread (``concurrent.futures.process._python_exit``): the process would
    never end. With this process's end of the result pipe closed too (the
    workers' ends went with them), the thread reads the end of the pipe and
    stops.

    Parameters
    ----------
    pool : ProcessPoolExecutor
        Running or not; its futures not yet started are cancelled.
    wait : float, default 5.0
        Seconds to wait for each worker and for the manager thread.

    Examples
    --------
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> pool = ProcessPoolExecutor(max_workers=1)
    >>> stop_pool(pool)
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()
    for process in workers:
        process.join(wait)
    if writer is not None:
        writer.close()
    # the manager thread then closes its wake-up pipe; the interpreter's exit writes to
    # that pipe unless it is closed already, and a close between the two printed
    # «OSError: Bad file descriptor» after the message (Python 3.11): wait for it here
    if manager is not None:
        manager.join(wait)

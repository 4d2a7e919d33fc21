"""The slots of a batch: where its reports are built, on warm kernels or a Dask cluster.

A kernel slot (:func:`kernel_slot`) warms its kernel while the batch plans and
then takes jobs from the batch's queue until none is left or the batch stops;
the Dask slot (:func:`dask_slot`) submits every job to a cluster's workers
and writes back the pages they return. Both put ``(name, status, message,
detail)`` on the batch's results queue; :mod:`edu_quality.report.runner`
collects them.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from pathlib import Path

from .._files import atomic_write
from .batch_state import BatchRun
from .job import describe_failure, failure_detail, render_report
from .notebooks import WARMUP, notebooks_dir

__all__ = ["dask_slot", "kernel_slot", "start_dask_slot", "start_kernel_slots"]


def kernel_slot(run: BatchRun, kernel, stats: dict) -> None:
    """One worker: warm its kernel up, then take jobs until none is left or the batch stops.

    ``run.prime["code"]``, set by the batch once it has planned, is added to
    the kernel's warm-up (it takes the dataset the batch loaded).
    """
    from .engine import ReportStopped

    stop = run.stop
    try:
        try:
            kernel.start()  # in parallel with the planning of the batch
        except Exception:  # noqa: BLE001 - a report retries the start and records the error
            pass
        run.go.wait()
        if run.prime.get("code") and not stop.is_set():
            kernel.extend_warmup(run.prime["code"])
        while not stop.is_set() and not kernel.stopped:
            try:
                job = run.todo.get_nowait()
            except queue.Empty:
                break
            try:
                render_report(
                    job,
                    run.out,
                    keep_notebook=run.keep_notebooks,
                    timeout=run.timeout,
                    kernel=kernel,
                )
                run.results.put((job.name, "ok", None, None))
            except ReportStopped:
                run.results.put((job.name, "pending", None, None))
            except Exception as exc:  # recorded, the batch carries on
                if stop.is_set():
                    run.results.put((job.name, "pending", None, None))
                else:
                    run.results.put(
                        (job.name, "failed", describe_failure(exc), failure_detail(exc))
                    )
    finally:
        kernel.shutdown()
        stats["workers"] = [
            {
                "reports": kernel.reports,
                "kernel_starts": kernel.starts,
                "peak_memory": kernel.peak_memory() or 0,
            }
        ]


def dask_slot(run: BatchRun, client, stats: dict) -> None:
    """The batch's link to a Dask cluster: submit every job, write back what comes.

    Reports run on the workers (:func:`edu_quality.report.cluster.render_on_worker`);
    their pages come back as bytes and are written here. On a stop, reports not
    yet finished are cancelled, the workers' kernels killed, and the reports
    counted as pending.
    """
    import uuid

    from .cluster import (
        PLUGIN_NAME,
        kernel_plugin,
        kernel_stats,
        kill_kernels,
        render_on_worker,
        warm_up,
    )

    stop, results, out = run.stop, run.results, run.out
    futures: dict = {}
    warming: list = []
    registered = False
    try:
        client.register_plugin(kernel_plugin(), name=PLUGIN_NAME)
        registered = True
        # every worker thread starts a kernel while the batch is planned (the futures are
        # kept: a task whose future is dropped is forgotten by the scheduler)
        warming = [
            client.submit(warm_up, pure=False, workers=[addr], allow_other_workers=True)
            for addr, info in client.scheduler_info()["workers"].items()
            for _ in range(int(info.get("nthreads", 1)))
        ]
        run.go.wait()
        tag = uuid.uuid4().hex[:8]
        while not stop.is_set():
            try:
                job = run.todo.get_nowait()
            except queue.Empty:
                break
            future = client.submit(
                render_on_worker,
                job,
                timeout=run.timeout,
                keep_notebook=run.keep_notebooks,
                pure=False,
                key=f"edu-quality-{job.name}-{tag}",
            )
            futures[future] = job
        remaining = set(futures)
        while remaining and not stop.is_set():
            finished = [f for f in remaining if f.done()]
            if not finished:
                stop.event.wait(0.2)
                continue
            for future in finished:
                remaining.discard(future)
                job = futures[future]
                try:
                    payload = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker, a cancelled task
                    results.put(
                        (
                            job.name,
                            "failed",
                            "узел кластера: " + describe_failure(exc),
                            failure_detail(exc),
                        )
                    )
                    continue
                if payload["notebook"] is not None:
                    atomic_write(out / f"{job.name}.ipynb", payload["notebook"])
                if payload["status"] == "ok":
                    atomic_write(out / f"{job.name}.html", payload["html"])
                    results.put((job.name, "ok", None, None))
                else:
                    results.put((job.name, "failed", payload["message"], payload["detail"]))
        if remaining:  # stopped: nothing more is written
            client.cancel([*remaining, *warming], force=True)
            with contextlib.suppress(Exception):
                client.run(kill_kernels)
            for future in remaining:
                results.put((futures[future].name, "pending", None, None))
    finally:
        with contextlib.suppress(Exception):
            stats["workers"] = [
                {"worker": addr, **s} for addr, s in sorted(client.run(kernel_stats).items())
            ]
        if registered:
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(PLUGIN_NAME)


def start_dask_slot(run: BatchRun, scheduler, jobs: int, data_dir: Path) -> None:
    """Connect to the Dask cluster, check its workers, and start the slot that feeds them."""
    from .cluster import check_workers, connect

    client, run.close_client = connect(scheduler, workers=jobs)
    check_workers(client, data_dir)
    stats: dict = {}
    t = threading.Thread(
        target=dask_slot, daemon=True, name="edu-quality-dask", args=(run, client, stats)
    )
    t.start()
    run.slots.append((t, stats))


def start_kernel_slots(run: BatchRun, kernel_name: str, jobs: int) -> None:
    """Start ``jobs`` slots, each with its warm kernel (starting while the batch plans)."""
    from .engine import WarmKernel

    for i in range(max(1, jobs)):
        if run.stop.is_set():
            break
        kernel = WarmKernel(kernel_name, cwd=notebooks_dir(), warmup=WARMUP, output=run.log)
        run.stop.kernels.append(kernel)
        stats: dict = {}
        t = threading.Thread(
            target=kernel_slot,
            daemon=True,
            name=f"edu-quality-kernel-{i}",
            args=(run, kernel, stats),
        )
        t.start()
        run.slots.append((t, stats))

"""The state of a batch of reports: what it did (:class:`BatchResult`) and what runs share.

:class:`BatchRun` is one batch while it runs — its output folder, log,
queues of jobs and results, the kernels' warm-up, the statuses of the index —
shared by :mod:`edu_quality.report.runner`, which plans and finishes a batch,
and :mod:`edu_quality.report.slots`, whose slots build the reports.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from .manifest import append_log
from .stop import Stop

__all__ = ["BatchResult", "BatchRun", "note"]


@dataclass
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    done, skipped : list of str
        Report names produced now, and unchanged since the last run.
    failed : dict
        Report name → one-line reason (details in ``batch.log``).
    no_data : dict
        Report name → why it has nothing to show (no results of the year for
        its school or municipality): not built, status «нет данных».
    pending : list of str
        Reports not run because the batch was interrupted.
    interrupted : int or None
        The signal that stopped the batch (``signal.SIGINT``, ``signal.SIGTERM``).
    titles : dict
        Report name → title.
    workers : list of dict
        Per kernel slot (or Dask worker, with its ``worker`` address): reports
        run, kernel starts, peak kernel memory (bytes).
    notes : list of str
        One-line notes about the batch, also in ``batch.log``: ``jobs`` capped at
        the cores, a ``batch.log`` link replaced, leftovers of killed batches
        removed (a ``manifest.json`` that could not be used is noted in the log
        only).
    """

    out_dir: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    no_data: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    interrupted: int | None = None
    titles: dict[str, str] = field(default_factory=dict)
    workers: list[dict[str, object]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when none failed, none is left undone, and some report had data.

        Reports without data do not fail a batch, unless no report had any
        (a wrong year, a municipality without results).
        """
        some = bool(self.done or self.skipped) or not self.no_data
        return not self.failed and not self.pending and self.interrupted is None and some


@dataclass
class BatchRun:
    """One batch while it runs: what its steps and its slots share."""

    out: Path
    year: int
    log: IO[str]
    keep_notebooks: bool
    timeout: float | None
    stop: Stop = field(default_factory=Stop)
    result: BatchResult = field(init=False)
    entries: dict[str, dict] = field(default_factory=dict)
    slots: list[tuple[threading.Thread, dict]] = field(default_factory=list)
    go: threading.Event = field(default_factory=threading.Event)  # planned: slots may start
    todo: queue.Queue = field(default_factory=queue.Queue)  # jobs not yet taken
    results: queue.Queue = field(default_factory=queue.Queue)  # (name, status, message, detail)
    prime: dict[str, str] = field(default_factory=dict)  # "code": the kernels' extra warm-up
    handoff: Path | None = None  # the folder of the dataset handed to the kernels
    kept: dict[str, dict] = field(default_factory=dict)  # other municipalities' reports
    statuses: dict[str, str] = field(default_factory=dict)  # school id → identification status
    statuses_thread: threading.Thread | None = None
    locked: bool = False  # holds the output folder's lock (no other batch writes there)
    close_client: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.result = BatchResult(self.out)

    @property
    def manifest(self) -> Path:
        """Path of ``manifest.json``."""
        return self.out / "manifest.json"

    def all_entries(self) -> dict[str, dict]:
        """The entries of the manifest and the index: this batch's and those it keeps."""
        return {**self.kept, **self.entries}

    def record(self, name: str, status: str, message: str | None, detail: str | None) -> None:
        """Record what a slot reported about one report (failures also in ``batch.log``)."""
        self.entries[name].update(status=status, error=message)
        if status == "ok":
            self.result.done.append(name)
        elif status == "failed":
            self.result.failed[name] = message
            append_log(self.log, name, self.entries[name]["title"], message, detail)


def note(run: BatchRun, message: str) -> None:
    """A one-line note about the batch in ``batch.log``; kept in :attr:`BatchResult.notes`."""
    run.result.notes.append(message)
    append_log(run.log, "(пакет)", "", message, "")

"""Batches of reports: every school and municipality of a dataset, fault-tolerant.

A batch (:func:`run_batch`) runs reports on ``jobs`` warm kernels with a
progress bar and carries on past every kind of failure — a cell that raises,
a kernel that dies, a report that overruns ``timeout`` (its kernel is killed
and replaced) — recording each with a one-line reason in ``manifest.json``
and ``index.html`` and the full details in ``batch.log``
(:mod:`edu_quality.report.manifest`). Reports whose inputs and parameters did
not change since a successful run are skipped (``force`` redoes them), so a
re-run completes only what is missing. On SIGINT, SIGTERM or SIGHUP
(:mod:`edu_quality.report.stop`) it launches nothing more, kills its kernels,
writes ``manifest.json`` and ``index.html`` with the unfinished reports as
«не выполнен», and returns with :attr:`BatchResult.interrupted` set (the
command exits 130, 143 or 129). A batch of one municipality keeps the other
municipalities' reports in the folder's manifest and index.

Kernels are kept warm and reused from one report to the next
(:mod:`edu_quality.report.engine`): they start while the batch is planned,
and take the dataset the batch loaded to plan (the hand-over,
:func:`~edu_quality.report.cache.share_dataset`). This is what makes a batch
fast; the engine module documents the choice and the measured figures. One
report is built by :func:`~edu_quality.report.job.render_report`.

With ``executor="dask"`` the same batch sends its reports to the workers of a
Dask distributed cluster (:mod:`edu_quality.report.cluster`); everything else
— skipping, the manifest, the index, the log, signals — is unchanged.

The names of one report, the notebooks and the HTML export that this module
exported before they had homes of their own are still importable from it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import queue
import shutil
import signal
import threading
from collections.abc import Callable
from pathlib import Path

from .._checks import check_option, check_positive, check_school_year
from .._files import open_append
from .._russian import did_you_mean, plural
from ..errors import DataError
from .batch_state import BatchResult, BatchRun, note
from .html import export_html, export_resources, report_exporter, report_exporter_class
from .job import (
    Job,
    describe_failure,
    job_for,
    missing_data,
    municipality_job,
    render_report,
    result_years,
    safe_name,
    school_job,
)
from .leftovers import (
    lock_output,
    make_handoff_folder,
    remove_orphan_reports,
    remove_stale_handoffs,
    remove_stale_temporaries,
)
from .manifest import (
    STATUS_LABELS,
    ManifestRecord,
    append_log,
    inputs_stamp,
    read_manifest,
    write_index,
    write_manifest,
)
from .notebooks import (
    KERNEL_NAME,
    NOTEBOOKS,
    ParameterError,
    check_parameters,
    ensure_kernel,
    notebook_path,
    notebooks_dir,
)
from .slots import start_dask_slot, start_kernel_slots
from .stop import Stop, stop_on_signals

__all__ = [
    "KERNEL_NAME",
    "NOTEBOOKS",
    "STATUS_LABELS",
    "BatchResult",
    "Job",
    "cap_jobs",
    "check_jobs",
    "ParameterError",
    "check_parameters",
    "describe_failure",
    "ensure_kernel",
    "export_html",
    "export_resources",
    "job_for",
    "notebook_path",
    "notebooks_dir",
    "plan_jobs",
    "render_report",
    "report_exporter",
    "report_exporter_class",
    "run_batch",
    "safe_name",
    "usable_cores",
    "write_index",
]


def plan_jobs(
    data_dir: str | Path,
    year: int | str,
    municipality: str | None = None,
    *,
    official_list: str | Path | None = None,
) -> list[Job]:
    """Every school and municipality report of a dataset (one municipality if given).

    The dataset is loaded (and checked) once per process: a batch hands it to
    its kernels (:func:`~edu_quality.report.cache.share_dataset`).
    ``official_list`` (read and checked here first) goes to every report. A
    report whose school or municipality has no results of ``year`` gets its
    reason in :attr:`Job.no_data` (:func:`~edu_quality.report.job.missing_data`):
    a batch records it «нет данных» and builds no page.
    """
    year = check_school_year("year", year)
    if official_list:
        from ..io.official import read_official_list

        read_official_list(official_list)
    from .cache import cached_dataset

    data_dir = Path(data_dir).resolve()
    ds = cached_dataset(data_dir)
    schools = ds.schools
    if municipality is not None:
        if municipality not in set(schools["municipality"]):
            hint = did_you_mean(municipality, ds.municipalities)
            raise DataError(
                None,
                f"муниципалитет «{municipality}» не найден (есть: "
                + ", ".join(ds.municipalities)
                + ")"
                + (f"; {hint}" if hint else ""),
            )
        schools = schools.loc[schools["municipality"] == municipality]
    jobs = [
        municipality_job(data_dir, year, muni, official_list)
        for muni in sorted(schools["municipality"].unique())
    ]
    jobs += [
        school_job(data_dir, year, sid, name, muni, official_list)
        for sid, name, muni in zip(
            schools["school_id"], schools["name"], schools["municipality"], strict=True
        )
    ]
    years = result_years(ds)
    for job in jobs:
        job.no_data = missing_data(
            ds,
            job.kind,
            year,
            school_id=job.parameters.get("school_id"),
            municipality=job.parameters.get("municipality"),
            years=years,
        )
    return jobs


def run_batch(
    data_dir: str | Path,
    year: int,
    out_dir: str | Path,
    *,
    municipality: str | None = None,
    jobs: int = 2,
    force: bool = False,
    keep_notebooks: bool = True,
    timeout: float | None = 600,
    progress: bool = True,
    plan: Callable[..., list[Job]] = plan_jobs,
    executor: str = "local",
    scheduler=None,
    official_list: str | Path | None = None,
) -> BatchResult:
    """Produce every report of a dataset (or one municipality) into ``out_dir``.

    Parameters
    ----------
    data_dir : str or Path
        The dataset folder (read by :func:`~edu_quality.load_dataset`; the
        kernels, or the Dask workers, read it at the same path).
    year : int or str
        School year of the reports: the year of its end (2022 = 2021/22), or
        both years («2021/2022», «2021-2022», «2021/22»).
    out_dir : str or Path
        Folder of the pages, the executed notebooks, ``index.html``,
        ``manifest.json`` and ``batch.log`` (created when missing). A
        ``manifest.json`` already there tells which reports are unchanged.
    municipality : str, optional
        Only the reports of this municipality (its own and its schools'). The
        other municipalities' reports of the same year already in ``out_dir``
        stay in its manifest and index (batches of several municipalities
        into one folder add up).
    jobs : int
        Reports run at the same time (one warm kernel each; at least 1, at
        most the usable cores: more is capped, with a note in ``batch.log``
        and :attr:`BatchResult.notes`); with ``executor="dask"`` and no
        ``scheduler``, the worker processes of the local cluster (capped
        alike).
    force : bool
        Redo every report, also those unchanged since a successful run.
    keep_notebooks : bool
        Keep each executed notebook (``<name>.ipynb``, for audit) next to its
        page.
    timeout : float, optional
        Seconds one report may take (a positive number; None: no limit); an
        overrunning report fails and its kernel is replaced.
    progress : bool
        Show a progress bar (tqdm).
    plan : callable
        ``plan(data_dir, year, municipality)`` → the list of :class:`Job`
        (:func:`plan_jobs` by default).
    executor : {"local", "dask"}
        Where reports run: warm kernels of this machine, or the workers of a
        Dask distributed cluster (:mod:`edu_quality.report.cluster`: same
        reports, written here; the workers must see ``data_dir`` at the same
        path and have the same edu_quality).
    scheduler : str or distributed.Client, optional
        With ``executor="dask"``: the scheduler's address
        (``tcp://host:8786``) or a connected client; None starts a local
        cluster of ``jobs`` processes for this batch.
    official_list : str or Path, optional
        An official list of schools marked by the federal objectivity method
        (:func:`edu_quality.io.read_official_list`), compared with in every
        report; passed to ``plan`` as ``official_list=``. A changed list
        rebuilds the reports.

    Returns
    -------
    BatchResult
        Names done, skipped (unchanged since the last successful run), failed
        (with a one-line reason), without data (not built: status «нет
        данных», with the reason) and pending (not run: the batch was
        interrupted). ``index.html`` and ``manifest.json`` are written to
        ``out_dir`` (also when interrupted), failure details to ``batch.log``
        (opened without following a link: a link there is replaced by a new
        file). What batches killed outright left behind is removed first
        (:mod:`edu_quality.report.leftovers`).

    Raises
    ------
    ValueError
        ``timeout`` or ``jobs`` out of range; ``year`` not a school year.
    DataError
        The dataset cannot be read, or ``municipality`` is not in it, or two
        reports of the plan have one file name.
    ClusterError
        With ``executor="dask"``: the cluster cannot run the batch.
    """
    check_option("executor", executor, ("local", "dask"))
    if scheduler is not None and executor != "dask":
        raise ValueError("Параметр `scheduler` нужен только с executor='dask'")
    if timeout is not None:
        check_positive("timeout", timeout)
    check_jobs(jobs)
    year = check_school_year("year", year)
    if official_list:
        plan = functools.partial(plan, official_list=official_list)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir).resolve()
    kernel_name = ensure_kernel() if executor == "local" else ""
    stop = Stop()
    log, replaced = open_append(out / "batch.log")
    with stop_on_signals(stop), log:
        run = BatchRun(out, year, log, keep_notebooks, timeout, stop)
        if replaced:
            note(run, "batch.log был ссылкой или особым файлом: заменён обычным файлом")
        _remove_leftovers(run)
        if scheduler is None:
            jobs, capped = cap_jobs(jobs)
            if capped:
                note(run, capped)
        bar = None
        completed = False
        try:
            if executor == "dask":
                start_dask_slot(run, scheduler, jobs, data_dir)
            else:  # kernels start and import while the batch is planned
                start_kernel_slots(run, kernel_name, jobs)
                from .engine import register_engine

                register_engine()  # papermill imports while the kernels start
            n_todo = _plan(run, plan(data_dir, year, municipality), data_dir, force, municipality)
            # every report of the folder planned: a page under no report's name is an orphan
            if plan is plan_jobs and municipality is None and run.locked:
                pages = [n for n, e in run.entries.items() if e["status"] != "nodata"]
                orphans = remove_orphan_reports(out, pages)
                if orphans:
                    note(
                        run, f"удалены страницы отчётов, которых больше нет в плане: {len(orphans)}"
                    )
            _start_statuses(run, data_dir)  # before the hand-over drops the loaded dataset
            for kernel in stop.kernels[n_todo:]:  # more slots than reports: not needed
                kernel.kill("stop")
            if executor == "local" and n_todo:
                run.handoff = make_handoff_folder()
                run.prime["code"] = _share_with_kernels(data_dir, run.handoff) or ""
            run.go.set()
            from tqdm.auto import tqdm

            bar = tqdm(total=n_todo, desc="Отчёты", unit="отчёт", disable=not progress)
            _collect(run, n_todo, bar)
            completed = True
        finally:
            _finish(run, completed, bar)
    return run.result


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where known, else all of the machine)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_jobs(jobs: object) -> int:
    """Refuse a number of parallel reports that is not a whole number ≥ 1.

    Examples
    --------
    >>> check_jobs(2)
    2
    >>> check_jobs(0)
    Traceback (most recent call last):
    ...
    ValueError: Параметр `jobs` должен быть целым числом не меньше 1, передано 0
    """
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"Параметр `jobs` должен быть целым числом не меньше 1, передано {jobs!r}")
    return jobs


def cap_jobs(jobs: int) -> tuple[int, str | None]:
    """Reports to run at once: ``jobs``, at most one per usable core; and a note when capped.

    Each report runs on a kernel of its own, a process that keeps one core
    busy: more kernels than cores only share the cores and hold more memory.

    Examples
    --------
    >>> cap_jobs(1)
    (1, None)
    >>> n, note = cap_jobs(10_000)
    >>> n == usable_cores() and note.startswith("задано 10000 одновременных отчётов")
    True
    """
    cores = usable_cores()
    if jobs <= cores:
        return jobs, None
    reports = plural(jobs, "одновременный отчёт", "одновременных отчёта", "одновременных отчётов")
    return cores, (
        f"задано {jobs} {reports}, а ядер процессора {cores}: "
        f"отчёты строятся по {cores} одновременно"
    )


def _remove_leftovers(run: BatchRun) -> None:
    """Remove what batches killed outright left (:mod:`~edu_quality.report.leftovers`).

    The hand-over folders of batches no longer running; the temporary files in
    the output folder, unless another batch is writing there now.
    """
    folders = remove_stale_handoffs()
    run.locked = lock_output(run.log)
    if run.locked:
        files = remove_stale_temporaries(run.out)
    else:
        files = []
        note(run, "в эту папку сейчас пишет другой пакет: его временные файлы не тронуты")
    if folders or files:
        note(
            run,
            f"удалено оставшееся от прерванных пакетов: папок передачи данных {len(folders)}, "
            f"временных файлов {len(files)}",
        )


def _plan(
    run: BatchRun, all_jobs: list[Job], data_dir: Path, force: bool, municipality: str | None
) -> int:
    """Enter every job in the manifest, queue those to do; return how many were queued.

    A job is skipped when its key (the inputs' stamp and its parameters) is
    that of its last successful run and its page is there (unless ``force``).
    A batch of one ``municipality`` keeps the other reports of the manifest
    (:func:`_kept_entries`). Two jobs with one file name are refused. A job
    without data (:attr:`Job.no_data`) is entered «нет данных» with its reason
    and not queued; the page and notebook an earlier run made of it are removed.
    """
    titles: dict[str, str] = {}
    for job in all_jobs:  # before anything is written
        if job.name in titles:
            raise DataError(
                None,
                f"отчёты «{titles[job.name]}» и «{job.title}» получили одно имя файла «{job.name}»",
            )
        titles[job.name] = job.title
    old = read_manifest(run.manifest, run.log)
    stamp = inputs_stamp(data_dir, [j.template() for j in all_jobs])
    lists: dict[str, str] = {}  # an official list's path → a digest of its content
    for job in all_jobs:
        listed = str(job.parameters.get("official_list") or "")
        if listed and listed not in lists:
            lists[listed] = hashlib.sha256(Path(listed).read_bytes()).hexdigest()
        key = hashlib.sha256(
            (
                stamp
                + json.dumps(job.parameters, sort_keys=True, ensure_ascii=False)
                + lists.get(listed, "")
            ).encode()
        ).hexdigest()
        run.entries[job.name] = {
            "kind": job.kind,
            "title": job.title,
            "parameters": job.parameters,
            "key": key,
            "status": "pending",
            "error": None,
        }
        if job.municipality is not None:
            run.entries[job.name]["municipality"] = job.municipality
        run.result.titles[job.name] = job.title
        prev = old.get(job.name, {})
        if prev.get("key") == key and "identification" in prev:  # same inputs: same status
            run.entries[job.name]["identification"] = prev["identification"]
        if job.no_data is not None:
            run.entries[job.name].update(status="nodata", error=job.no_data)
            run.result.no_data[job.name] = job.no_data
            if prev:  # a page of an earlier run would speak of data there no longer are
                for suffix in (".html", ".ipynb"):
                    (run.out / f"{job.name}{suffix}").unlink(missing_ok=True)
        elif (
            not force
            and prev.get("key") == key
            and prev.get("status") == "ok"
            and _page_there(run.out, job.name)
        ):
            run.entries[job.name]["status"] = "ok"
            run.result.skipped.append(job.name)
        else:
            run.todo.put(job)
    if municipality is not None:
        run.kept = _kept_entries(run, old, municipality)
    return run.todo.qsize()


def _start_statuses(run: BatchRun, data_dir: Path) -> None:
    """Classify the schools (:func:`~edu_quality.report.data.school_statuses`) beside the reports.

    For the «Статус школы» column of ``index.html``: once per batch, in a thread of
    the batch process while the kernels build the reports (the dataset is the one
    loaded to plan, taken before the hand-over drops it from this process; it is
    never put back in the cache), and only when a school report of the plan has no status kept
    from an earlier run with the same inputs. A dataset that cannot be classified
    leaves the column «—».
    """
    schools = [e for e in run.entries.values() if e["kind"] == "school"]
    if not schools or all("identification" in e for e in schools):
        return
    from .cache import folder_version, loaded_dataset

    _, version = folder_version(
        data_dir
    )  # before the look-up: a folder changed meanwhile gives None
    dataset = loaded_dataset(data_dir)  # the plan's; a plan that loaded nothing: no column
    if dataset is None:
        return

    def classify() -> None:
        from .data import school_statuses

        try:
            run.statuses.update(
                school_statuses(data_dir, run.year, dataset=dataset, version=version)
            )
        except Exception:  # noqa: BLE001 - an index column only: the reports say why
            pass

    run.statuses_thread = threading.Thread(target=classify, daemon=True, name="edu-quality-status")
    run.statuses_thread.start()


def _apply_statuses(run: BatchRun, wait: float) -> None:
    """Put the schools' statuses in their entries (waiting at most ``wait`` seconds for them)."""
    if run.statuses_thread is None:
        return
    run.statuses_thread.join(timeout=wait)
    if run.statuses_thread.is_alive() or not run.statuses:
        return
    for entry in run.entries.values():
        sid = str(entry["parameters"].get("school_id", ""))
        if entry["kind"] == "school" and "identification" not in entry:
            entry["identification"] = run.statuses.get(sid, "")


def _page_there(out: Path, name: str) -> bool:
    """Whether the page of a report is in ``out``: a regular file, not a link."""
    page = out / f"{name}.html"
    return page.is_file() and not page.is_symlink()


def _kept_entries(run: BatchRun, old: dict[str, dict], municipality: str) -> dict[str, dict]:
    """The entries of an earlier manifest that a batch of one municipality keeps.

    Those of the other municipalities' reports of the same year (an entry
    without a municipality, written before entries had one, counts as
    another's): a finished one while its page is still in the folder, a failed
    or unfinished one as it is, for the re-run it asks for.
    """
    kept = {}
    for name, entry in old.items():
        if (
            name in run.entries
            or entry.get("municipality") == municipality
            or entry["parameters"].get("year") != run.year
        ):
            continue
        if entry["status"] != "ok" or _page_there(run.out, name):
            kept[name] = entry
    return kept


def _collect(run: BatchRun, n_todo: int, bar) -> None:
    """Record the results of the slots as they come; the manifest rewritten as they do.

    At most every :data:`~edu_quality.report.manifest.MANIFEST_EVERY` seconds,
    and at once after a failure (:class:`~edu_quality.report.manifest.ManifestRecord`);
    :func:`_finish` writes the last one.
    """
    record = ManifestRecord(run.manifest, run.year)
    received = 0
    while received < n_todo:
        try:
            name, status, message, detail = run.results.get(timeout=0.2)
        except queue.Empty:
            if not any(t.is_alive() for t, _ in run.slots):
                break
            record.due(run.all_entries)
            continue
        received += 1
        run.record(name, status, message, detail)
        bar.update()
        record.changed(run.all_entries, at_once=status != "ok")


def _finish(run: BatchRun, completed: bool, bar) -> None:
    """Stop the slots and write what the batch did: manifest, index, log (also on a stop)."""
    stop, result = run.stop, run.result
    if not completed:  # an exception or a signal: stop the kernels now
        for kernel in stop.kernels:
            kernel.kill("stop")
    stop.event.set()  # nothing more is launched; the slots shut their kernels down
    run.go.set()
    for t, _ in run.slots:
        t.join(timeout=30)
    for kernel in stop.kernels:  # a slot that did not finish in time
        kernel.kill("stop")
    if bar is not None:
        bar.close()
    while True:  # results that came after the loop
        try:
            name, status, message, detail = run.results.get_nowait()
        except queue.Empty:
            break
        run.record(name, status, message, detail)
    result.interrupted = stop.signum
    _apply_statuses(run, 0 if result.interrupted is not None else 120)
    result.pending = [n for n, e in run.entries.items() if e["status"] == "pending"]
    result.workers = [w for _, s in run.slots for w in s.get("workers", [])]
    if run.close_client is not None:
        run.close_client()
    if run.handoff is not None:
        shutil.rmtree(run.handoff, ignore_errors=True)
    if result.interrupted is not None:
        append_log(
            run.log,
            "(пакет)",
            "",
            f"прерван сигналом "
            f"{signal.Signals(result.interrupted).name}; не выполнено: "
            f"{len(result.pending)}",
            "",
        )
    if run.entries:
        write_manifest(
            run.manifest,
            run.year,
            run.all_entries(),
            interrupted=result.interrupted,
            workers=result.workers,
        )
        write_index(run.out, run.all_entries(), run.year, interrupted=result.interrupted)


def _share_with_kernels(data_dir: Path, folder: Path) -> str | None:
    """Code that makes a kernel take the dataset the batch loaded while planning.

    None when the batch did not load it (a plan of its own) or it could not be
    written: the kernels then read the files themselves.
    """
    from .cache import share_dataset

    path = folder / "dataset.pickle"
    try:
        if not share_dataset(data_dir, path):
            return None
    except Exception:  # noqa: BLE001 - an optimisation only: the kernels read the files
        return None
    return (
        "__import__('edu_quality.report.cache', fromlist=['preload_dataset'])"
        f".preload_dataset({str(data_dir)!r}, {str(path)!r})"
    )

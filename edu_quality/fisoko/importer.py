"""The region-wide import of ФИС ОКО files into the canonical tables of a dataset folder.

:func:`import_fisoko` (command ``edu-quality import fis-oko``) converts a
registry, a context questionnaire and folders of ВПР exports into the Parquet
files of :data:`OUTPUTS`, which :func:`edu_quality.load_dataset` reads. It runs
in stages: the inputs checked and their cache keys
(:func:`~edu_quality.fisoko.plan.prepare_import`), the outputs kept as they are
when nothing changed (:func:`~edu_quality.fisoko.plan.unchanged_manifest`), the ВПР files read from the
cache or in worker processes (:func:`_read_vpr_files`; the registry and the
questionnaire are read in a thread meanwhile), the tables of all files
together (:func:`all_results`, :func:`with_unknown_schools`,
:func:`all_quality`) while the per-task scores are written in a thread, the
outputs written to a staging folder and moved into place (:func:`_publish`,
:func:`_write_outputs`) and the cache's manifest (:func:`_write_cache`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd

from .._checks import check_option
from .._files import (
    INCOMPLETE_MARKER,
    finish_replace,
    replace_files,
    sha256_file,
    staging_folder,
)
from .._pool import stop_pool
from ..errors import DataError, WriteError, os_error_text
from ..io.limits import DEFAULT_LIMITS, ReadLimits
from ..scales import read_scales
from .cache import read_entry, write_entry, write_manifest
from .combine import all_quality, all_results, groups_quality, with_unknown_schools
from .common import NOTE, WARNING
from .context import FisOkoContext, read_fisoko_context
from .groups import fisoko_schools, read_group_overrides
from .plan import OUTPUTS, ImportPlan, prepare_import, unchanged_manifest
from .registry import read_fisoko_registry
from .vpr import FisOkoVpr, read_fisoko_vpr

__all__ = ["OUTPUTS", "ImportResult", "import_fisoko"]

_T = TypeVar("_T")

#: Errors of a disk (or a quota, or a file-size limit) that is full.
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_fisoko` did.

    Attributes
    ----------
    out : Path
        The output folder.
    written : dict
        Table → path of the file written (see :data:`OUTPUTS`).
    files : DataFrame
        One row per ВПР file: ``file``, ``layout``, ``year``, ``subject``,
        ``grade``, ``work_grade``, ``session``, ``rows``, ``participants``, ``schools``,
        ``absent``, ``empty``, ``excluded``, ``warnings``, ``journal_invalid``
        (invalid journal marks reported), ``gender_invalid``,
        ``task_invalid``, ``notes``.
    quality_counts : dict
        Rows of the data-quality report by severity.
    from_cache : bool
        Whether nothing had changed and the outputs were kept as they were.
    cache_hits : int
        ВПР files read from the cache.
    seconds : float
        Wall time.
    """

    out: Path
    written: dict[str, Path]
    files: pd.DataFrame
    quality_counts: dict[str, int]
    from_cache: bool
    cache_hits: int
    seconds: float

    def quality(self) -> pd.DataFrame:
        """Read the data-quality report that was written."""
        return pd.read_parquet(self.written["quality"])


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False)


def _write_tasks(parts: Sequence[pd.DataFrame], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cat = pa.dictionary(pa.int32(), pa.string())
    schema = pa.schema(
        [
            ("year", pa.int16()),
            ("session", cat),
            ("subject", cat),
            ("grade", pa.int8()),
            ("work_grade", pa.int8()),
            ("school_id", cat),
            ("pupil_id", cat),
            ("task_no", pa.int16()),
            ("task", cat),
            ("score", pa.float32()),
            ("max_score", pa.float32()),
            ("note", cat),
        ]
    )

    # statistics (min, max) of the numbers only: those of the texts (pupil codes) cost a third
    # of the writing time; a filter on a text column reads every row group, with the same rows
    numbers = [f.name for f in schema if not pa.types.is_dictionary(f.type)]
    with pq.ParquetWriter(path, schema, write_statistics=numbers) as writer:
        for part in parts:
            table = pa.Table.from_pandas(part, preserve_index=False)
            table = table.replace_schema_metadata(None).select(schema.names).cast(schema)
            writer.write_table(table)


def _worker(
    path: str, options: dict[str, Any], entry: str | None = None
) -> tuple[str, FisOkoVpr | None, Any]:
    """Read one ВПР file (in a worker process); keep it in the cache ``entry``."""
    try:
        value = read_fisoko_vpr(path, **options)
    except DataError as exc:
        return path, None, (exc.file, exc.problems, exc.total)
    if entry is not None:
        write_entry(entry, value)  # the cache is an aid: not written on a full disk
    return path, value, None


def _summary_row(v: FisOkoVpr, path: Path) -> dict[str, Any]:
    q = v.quality
    problem = q["problem"].fillna("")
    warn = q["severity"] == WARNING
    return {
        "file": v.file,
        "folder": path.parent.name,
        "layout": v.layout,
        "year": v.year,
        "subject": v.subject,
        "grade": v.grade,
        "work_grade": v.work_grade,
        "session": v.session,
        **v.counts,
        "journal_invalid": int((warn & problem.str.startswith("отметка по журналу")).sum()),
        "gender_invalid": int((warn & problem.str.startswith("пол ")).sum()),
        "task_invalid": int((warn & problem.str.contains("за задание")).sum()),
        "notes": int((q["severity"] == NOTE).sum()),
    }


def import_fisoko(
    registry: str | Path,
    context: str | Path | None,
    vpr: Iterable[str | Path],
    out: str | Path,
    *,
    scales: str | Path | None = None,
    strict: bool = False,
    invalid_results: Literal["raise", "exclude"] = "raise",
    small_rural_max: int = 100,
    groups: str | Path | None = None,
    cache: bool = True,
    workers: int = 2,
    progress: bool = False,
    limits: ReadLimits | None = None,
) -> ImportResult:
    """Convert a region's ФИС ОКО files into the canonical tables of a dataset folder.

    Reads the registry (:func:`read_fisoko_registry`), the context
    questionnaire (:func:`read_fisoko_context`) and every ``.xlsx`` of the
    ВПР folders (:func:`read_fisoko_vpr`, in ``workers`` processes), and
    writes Parquet files that :func:`edu_quality.load_dataset` reads:
    ``schools``, ``results_vpr`` (pupil-level results), ``tasks``
    (per-task scores), ``vpr_absent`` (absent pupils per school),
    ``vpr_files`` (one row per ВПР file), ``staff`` (teachers, from the
    questionnaire) and ``data_quality`` (the data-quality report of every
    file). No half dataset: every file is written to a hidden staging folder
    inside ``out`` first, and only when all are written are they renamed into
    ``out``, under a marker (``out/.import-incomplete``) that
    :func:`edu_quality.load_dataset` refuses until the import has finished.
    When writing fails (a full disk), the staging folder is removed and
    ``out`` keeps the previous outputs as they were; a staging folder left by
    a killed import is removed by the next one.

    Cache: every ВПР file read is kept in ``out/.cache`` under a key made of
    its path, size, modification time, the code version (a hash of the
    package's reading code and shipped scales) and the options, with the
    SHA-256 of its bytes, checked before it is used: a damaged entry is
    deleted and the file read again. A second import of unchanged files reads
    them from there; when nothing at all has changed and every output still
    has the SHA-256 the manifest ``out/.cache/manifest.json`` recorded, nothing
    is rewritten. The cache holds Python pickles written by this function:
    like the outputs, it is trusted local data — do not fill ``out/.cache``
    from elsewhere.

    Parameters
    ----------
    registry : str or Path
        ``schools_registry.xlsx``.
    context : str or Path, optional
        The context questionnaire (``context_2022.xlsx``); without it the
        schools have no group and there is no ``staff`` table.
    vpr : iterable of str or Path
        Folders (or files) of ВПР exports.
    out : str or Path
        Output folder (created if needed).
    scales : str or Path, optional
        A user's score-to-mark scales (:func:`edu_quality.scales.read_scales`),
        added to the shipped ones (the user's rows win); needed for 2022.
    strict, invalid_results
        As in :func:`read_fisoko_vpr`.
    small_rural_max : int
        As in :func:`school_groups`.
    groups : str or Path, optional
        A methodologist's own comparison groups (:func:`read_group_overrides`:
        school id, group, optional reason): they replace the derived groups,
        with the reason «задано методистом»; each change is a note of
        ``data_quality``.
    cache : bool
        Use and fill the cache.
    workers : int
        Processes reading ВПР files in parallel.
    progress : bool
        Show a progress bar (tqdm) on standard error.
    limits : ReadLimits, optional
        How large each file may be (:class:`edu_quality.io.ReadLimits`; its
        defaults by default): a file beyond them stops the import as any
        unreadable file does.

    Returns
    -------
    ImportResult

    Raises
    ------
    DataError
        The first file that cannot be read (the message names the other
        failing files); nothing is written then, but the files that were read
        are cached.
    WriteError
        The outputs could not be written (an :class:`OSError`; the Russian
        message says why and whether ``out`` keeps the previous outputs).

    Examples
    --------
    >>> from edu_quality.fisoko import OUTPUTS
    >>> OUTPUTS["results"]
    'results_vpr.parquet'
    """
    start = time.perf_counter()
    check_option("invalid_results", invalid_results, ("raise", "exclude"))
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise ValueError(f"Параметр `workers` должен быть целым числом ≥ 1, передано {workers!r}")
    limits = limits or DEFAULT_LIMITS
    run, files = prepare_import(
        registry,
        context,
        vpr,
        out,
        scales=scales,
        strict=strict,
        invalid_results=invalid_results,
        small_rural_max=small_rural_max,
        groups=groups,
        limits=limits,
    )
    out = run.out
    registry = Path(registry)
    context = Path(context) if context is not None else None
    scales_path = Path(scales) if scales is not None else None
    groups_path = Path(groups) if groups is not None else None
    if cache:
        kept = _unchanged(run, files)
        if kept is not None:
            return replace(kept, seconds=time.perf_counter() - start)
    user_scales = read_scales(scales_path) if scales_path is not None else None
    read_options = {
        "strict": strict,
        "invalid_results": invalid_results,
        "scales": user_scales,
        "limits": limits,
    }

    def other_inputs() -> tuple[pd.DataFrame, FisOkoContext | None, pd.DataFrame | None]:
        reg = read_fisoko_registry(registry, limits=limits)
        ctx = (
            read_fisoko_context(context, strict=strict, limits=limits)
            if context is not None
            else None
        )
        overrides = (
            read_group_overrides(groups_path, limits=limits) if groups_path is not None else None
        )
        return fisoko_schools(reg, ctx, small_rural_max=small_rural_max), ctx, overrides

    vprs, hits, (schools, ctx, overrides) = _read_vpr_files(
        run,
        files,
        read_options,
        cache=cache,
        workers=workers,
        progress=progress,
        beside=other_inputs,
    )
    summary = pd.DataFrame([_summary_row(v, f) for v, f in zip(vprs, files, strict=True)])

    def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        results = all_results(vprs)
        all_schools, unknown = with_unknown_schools(schools, results)
        quality = all_quality(vprs, ctx, unknown, registry.name)
        all_schools, quality = groups_quality(
            all_schools,
            quality,
            ctx,
            overrides,
            overrides_file=groups_path.name if groups_path is not None else "",
        )
        return all_schools, results, quality

    written, counts = _publish(run, vprs, tables, ctx, files if cache else None, summary)
    return ImportResult(
        out=out,
        written=written,
        files=summary,
        quality_counts=counts,
        from_cache=False,
        cache_hits=hits,
        seconds=time.perf_counter() - start,
    )


def _unchanged(run: ImportPlan, files: list[Path]) -> ImportResult | None:
    """The result of the last import when nothing changed (:func:`~.plan.unchanged_manifest`)."""
    manifest = unchanged_manifest(run, files)
    if manifest is None:
        return None
    outputs = set(manifest["outputs"])
    return ImportResult(
        out=run.out,
        written={n: run.out / f for n, f in OUTPUTS.items() if f in outputs},
        files=pd.DataFrame(manifest["files"]),
        quality_counts=manifest["quality_counts"],
        from_cache=True,
        cache_hits=len(files),
        seconds=0.0,
    )


def _read_vpr_files(
    run: ImportPlan,
    files: list[Path],
    read_options: dict[str, Any],
    *,
    cache: bool,
    workers: int,
    progress: bool,
    beside: Callable[[], _T],
) -> tuple[list[FisOkoVpr], int, _T]:
    """Read every ВПР file: from the cache when it has it, else in ``workers`` processes.

    ``beside()`` (the registry, the questionnaire and the methodologist's
    groups) runs in a thread of this process while the workers read, once
    they are started (they are forked: a process is never forked while the
    thread runs), or after the files when they are read here. The thread is
    a daemon: Ctrl+C does not wait for it.

    Returns
    -------
    vprs : list of FisOkoVpr
        In the order of ``files``.
    hits : int
        Files read from the cache.
    value
        What ``beside()`` returned.

    Raises
    ------
    DataError
        The first file (in the order of ``files``) that cannot be read; the
        message names the others. Only then what ``beside()`` raised.
    """
    from tqdm import tqdm

    loaded: dict[str, FisOkoVpr] = {}
    failed: dict[str, tuple] = {}
    todo: list[Path] = []
    bar = tqdm(total=len(files), desc="ВПР", unit="файл", disable=not progress, leave=False)
    hits = 0
    for f in files:
        value = read_entry(run.entry(f)) if cache else None  # checked; a damaged one deleted
        if isinstance(value, FisOkoVpr):
            loaded[str(f)] = value
            hits += 1
            bar.update(1)
            continue
        todo.append(f)

    def done(path: str, value: FisOkoVpr | None, error: Any) -> None:
        if value is not None:
            loaded[path] = value
        else:
            failed[path] = error
        bar.update(1)

    def entry(f: Path) -> str | None:
        return str(run.entry(f)) if cache else None

    todo.sort(key=lambda p: -p.stat().st_size)
    if workers > 1 and len(todo) > 1:
        import threading
        from concurrent.futures import ProcessPoolExecutor, as_completed

        pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)))
        aside: dict[str, Any] = {}  # what beside() returned («value») or raised («error»)

        def run_beside() -> None:
            try:
                aside["value"] = beside()
            except BaseException as exc:  # raised in the main thread, after the files' errors
                aside["error"] = exc

        thread = threading.Thread(target=run_beside, name="edu-quality-inputs", daemon=True)
        try:
            futures = [pool.submit(_worker, str(f), read_options, entry(f)) for f in todo]
            thread.start()  # the workers are forked by now
            for fut in as_completed(futures):
                done(*fut.result())
            pool.shutdown()
        except BaseException:  # Ctrl+C or an error: stop now, not after every queued file
            stop_pool(pool)
            raise
        thread.join()
    else:
        for f in todo:
            done(*_worker(str(f), read_options, entry(f)))
        aside = {}
    bar.close()
    if failed:
        order = [str(f) for f in files if str(f) in failed]
        file, problems, total = failed[order[0]]
        raise DataError(file, problems, total=total, other_files=[Path(p).name for p in order[1:]])
    if "error" in aside:
        raise aside["error"]
    inputs = aside["value"] if "value" in aside else beside()  # read here: no workers ran
    return [loaded[str(f)] for f in files], hits, inputs


def _publish(
    run: ImportPlan,
    vprs: list[FisOkoVpr],
    tables: Callable[[], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]],
    ctx: FisOkoContext | None,
    files: list[Path] | None,
    summary: pd.DataFrame,
) -> tuple[dict[str, Path], dict[str, int]]:
    """Write the outputs to a staging folder inside ``out``, then move them all into ``out``.

    Every table is written to a hidden folder ``out/.import-staging-*``
    (:func:`edu_quality._files.staging_folder`; one left by a killed import is
    removed first): the per-task scores of ``vprs`` in a thread, while
    ``tables()`` puts the schools, the results and the data-quality report
    together (a :class:`~edu_quality.errors.DataError` it raises leaves ``out``
    as it was). Only when all are written are they renamed into ``out``
    under the marker ``out/.import-incomplete``
    (:func:`edu_quality._files.replace_files`), which
    :func:`edu_quality.load_dataset` refuses; the marker is removed after the
    manifest (:func:`_write_cache`, when ``files`` are given: the cache is used).

    Returns
    -------
    written : dict
        Table → path written in ``out``.
    counts : dict
        Rows of the data-quality report by severity.

    Raises
    ------
    WriteError
        A file could not be written (a full disk, a file too large): the
        staging folder is removed and, when it failed before the renames,
        ``out`` holds the previous outputs untouched.
    """
    from concurrent.futures import ThreadPoolExecutor

    out = run.out
    try:
        with staging_folder(out) as staging:
            names = dict(OUTPUTS)
            with ThreadPoolExecutor(max_workers=1) as thread:  # Arrow writes without the GIL
                tasks = thread.submit(
                    _write_tasks, [v.tasks for v in vprs], staging / names["tasks"]
                )
                schools, results, quality = tables()
                _write_outputs(staging, names, schools, results, quality, summary, vprs, ctx)
                tasks.result()
            counts = {k: int(v) for k, v in quality["severity"].value_counts().items()}
            records = {
                f: {"size": (staging / f).stat().st_size, "sha256": sha256_file(staging / f)}
                for f in names.values()
            }
            stale = [run.manifest]  # it describes the outputs being replaced
            if "staff" not in names:  # no questionnaire: the staff of an earlier import goes
                stale.append(out / OUTPUTS["staff"])
            replace_files(staging, out, names.values(), stale=stale)
        if files is not None:
            _write_cache(run, files, records, summary, counts)
        finish_replace(out)
    except OSError as exc:
        if os.path.lexists(out / INCOMPLETE_MARKER):
            space = "освободите место и " if exc.errno in _NO_SPACE else ""
            after = f"импорт в папку {out} не завершён: {space}запустите импорт снова"
        else:
            after = f"таблицы прежнего импорта в папке {out} не изменены"
        err = WriteError(
            f"не удалось записать результаты импорта: {os_error_text(exc, path=False)}; {after}"
        )
        err.errno = exc.errno
        raise err from exc
    return {name: out / f for name, f in names.items()}, counts


def _write_outputs(
    folder: Path,
    names: dict[str, str],
    schools: pd.DataFrame,
    results: pd.DataFrame,
    quality: pd.DataFrame,
    summary: pd.DataFrame,
    vprs: list[FisOkoVpr],
    ctx: FisOkoContext | None,
) -> None:
    """Write the tables of :data:`OUTPUTS` but ``tasks`` into ``folder`` (the staging folder).

    Without a questionnaire there is no ``staff`` table: it is taken out of
    ``names`` (table → file name).
    """
    absent = pd.concat([v.absent for v in vprs], ignore_index=True)
    _write_parquet(schools, folder / names["schools"])
    _write_parquet(results, folder / names["results"])
    _write_parquet(absent, folder / names["absent"])
    _write_parquet(summary, folder / names["files"])
    _write_parquet(quality, folder / names["quality"])
    if ctx is not None:
        f = ctx.features
        staff = pd.DataFrame(
            {
                "school_id": f["school_id"].astype("str"),
                "year": np.full(len(f), ctx.year, dtype="int64"),
                "teachers": f["teachers"].astype("Int64"),
            }
        )
        _write_parquet(staff, folder / names["staff"])
    else:
        names.pop("staff")


def _write_cache(
    run: ImportPlan,
    files: list[Path],
    outputs: dict[str, dict[str, Any]],
    summary: pd.DataFrame,
    counts: dict[str, int],
) -> None:
    """Drop the cache entries of files no longer read; write the manifest of this import.

    The manifest records the size and SHA-256 of every output (``outputs``:
    file name → ``{"size", "sha256"}``). Not writing it (a full disk) is no
    error: the next import then runs again.
    """
    used = {run.entry(f).name for f in files}
    vpr_cache = run.cache_dir / "vpr"
    if vpr_cache.is_dir():
        for old in vpr_cache.iterdir():  # entries of other files, temporary files left
            if old.name not in used and old.is_file():
                with contextlib.suppress(OSError):
                    old.unlink()
    manifest = {
        "key": run.key,
        "version": run.version,
        "outputs": outputs,
        "files": json.loads(summary.to_json(orient="records", force_ascii=False)),
        "quality_counts": counts,
    }
    with contextlib.suppress(OSError):
        run.cache_dir.mkdir(parents=True, exist_ok=True)
        write_manifest(run.manifest, manifest)

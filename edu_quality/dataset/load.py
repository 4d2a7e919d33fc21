"""Loading a dataset folder: :func:`load_dataset`, every table read and cross-checked.

The files are found (:mod:`~edu_quality.dataset.files`), the results read two
at a time while the registry is read, and checked alone
(:mod:`~edu_quality.dataset.read`), then against each other
(:mod:`~edu_quality.dataset.checks`, :mod:`~edu_quality.dataset.ids`) into a
:class:`~edu_quality.dataset.Dataset`; with ``results_engine="dask"`` the
pupil results are left on disk as a Dask DataFrame
(:mod:`~edu_quality.dataset.dask_loader`).
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Literal

import pandas as pd

from .._checks import check_option
from .._files import check_complete, missing_folder
from .._memory import give_back
from .._pool import reading_threads
from ..errors import DataError, Problem
from ..io.limits import DEFAULT_LIMITS, ReadLimits
from ..io.load import Loaded, load
from ..schema import RESULTS_AGGREGATED, RESULTS_PUPILS, SCHOOLS
from .checks import check_counted_twice, check_repeated, concat_parts, works_apart
from .dask_loader import load_with_dask
from .files import find_tables, partitions
from .ids import check_ids, ids_in_several_schools
from .read import is_large, load_part, optional_tables, submit_optional
from .tables import Dataset, dataset_notes

__all__ = ["load_dataset"]


def load_dataset(
    folder: str | Path,
    *,
    pseudonymize_ids: bool | str | None = None,
    results_engine: Literal["pandas", "dask"] = "pandas",
    limits: ReadLimits | None = None,
) -> Dataset:
    """Read every table of a folder and check them against each other.

    Files are found by name (any case; hidden files and folders, ``.cache/``
    or an import's staging folder, are left out), each as ``.csv``, ``.xlsx`` or
    ``.parquet``: ``schools`` and ``results*`` (one or more files) are
    required; ``context``, ``staff``, ``enrolment``, ``risk_profiles``,
    ``indicators`` and ``plan`` are optional. A ``results*`` entry can also
    be a folder of Parquet files partitioned Hive-style by
    :data:`~edu_quality.dataset.PARTITION_KEYS` (``results_vpr/year=2022/part-0.parquet``, as
    :func:`edu_quality.synthetic.write_region` writes with
    ``partition_by_year=True``): the values in the folder names fill the
    columns the files lack. Results files are read two at a time, while the
    registry is read; the registry's error, if any, is the one raised.

    Parameters
    ----------
    folder : str or Path
        The dataset folder.
    pseudonymize_ids : bool or str, optional
        Passed to :func:`edu_quality.read_results`.
    results_engine : {"pandas", "dask"}
        ``"pandas"`` (default): every table in memory. ``"dask"``: the
        pupil-level results as a :class:`dask.dataframe.DataFrame`, for
        results larger than one machine's memory; see Notes. Needs
        ``pip install 'edu_quality[dask]'``.
    limits : ReadLimits, optional
        How large each file may be (:class:`edu_quality.io.ReadLimits`; its
        defaults by default): a file beyond them is refused.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        The folder holds the marker of an import that did not finish
        (``.import-incomplete``, see :func:`edu_quality.fisoko.import_fisoko`),
        a required file is missing, a table is read with errors, a table
        names a school that is not in the registry, the same results are in
        two files, or a school's results for one work are given both per
        pupil and as counts (they would be counted twice).

    Notes
    -----
    Pupil ids are codes within a school, as in ФИС ОКО exports (the results
    key includes the school): the same code in two schools is two pupils,
    and a keyed pseudonym (:func:`edu_quality.privacy.pseudonymize`, a hash
    of the code) keeps that property. Such codes are no error, but they
    cannot link a pupil across schools: the dataset says so in ``notes``,
    and :func:`edu_quality.cohort_progress` with ``by_school=False`` refuses
    them.

    With ``results_engine="dask"`` each results file (each Parquet file of a
    partitioned folder; CSV and Excel files too) is one partition of
    ``results``, read on the workers of the Dask cluster the caller is
    connected to (``distributed.Client``), else by Dask's local threads: the
    files must be at the same path for the workers. The pupil results are
    read twice: once now, file by file on the workers, for every check above
    — the files themselves (marks, keys, ids), schools missing from the
    registry, the same results in two files, results given both per pupil and
    as counts, the pupil ids note — of which only small summaries (the works,
    schools and years of each file, the problems found) come back; and again
    whenever ``results`` is computed, lazily (of a Parquet file unchanged since,
    only the columns the computation asks for). A folder that also has counts
    per school reads the key columns of the pupil files sharing a work with them
    once more, and a file naming a school missing from the registry is read
    again for the rows to name. Files that share a work (year,
    assessment, subject, grade) are compared row by row on one worker, so
    such a group of files must fit in a worker's memory, as must each file;
    write large results partitioned (:func:`edu_quality.synthetic.write_region`
    with ``partition_by_year=True``), which gives works apart. The key of
    ``EDU_QUALITY_PUPIL_KEY`` is read in this process and sent to the workers
    with the tasks. The other tables, aggregated results included, are
    pandas DataFrames as with ``"pandas"``; ``results.compute()`` equals the
    pandas loader's ``results`` (columns, dtypes, index). :func:`summarize
    <edu_quality.metrics.summarize>` and :func:`classify
    <edu_quality.identify.classify>` take such a dataset; other functions
    need ``dataclasses.replace(ds, results=ds.results.compute())``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> ds = load_dataset(sample_folder("inta"))
    >>> sorted(ds.aggregates["year"].unique().tolist())
    [2019, 2020, 2021, 2022]

    The same folder with the pupil results as a Dask DataFrame:

    >>> dds = load_dataset(sample_folder("region"), results_engine="dask")
    >>> dds.results.npartitions, type(dds.results).__name__
    (4, 'DataFrame')
    """
    check_option("results_engine", results_engine, ("pandas", "dask"))
    limits = limits or DEFAULT_LIMITS
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder.name, missing_folder(folder))
    check_complete(folder)  # an import was moving its files in when it stopped
    found = find_tables(folder)

    parts = []
    try:
        for path in found["results"]:
            parts += partitions(path, folder) if path.is_dir() else [(path, {}, path.name)]
    except DataError:
        _registry(found, limits)  # the registry's error, if any, comes first
        raise
    if results_engine == "dask":
        registry = partial(_registry, found, limits)
        dataset = load_with_dask(folder, found, registry, parts, pseudonymize_ids, limits)
        give_back()  # what the workers sent for the checks, freed with the loader's locals
        return dataset
    schools, pupils, aggregates, every, id_errors, shared_in_part, optional = _read_files(
        found, parts, pseudonymize_ids, limits
    )
    for file, (problems, total) in id_errors.items():
        if problems:
            raise DataError(file, problems, total=total)

    give_back()  # what the reading of the files freed, before the copy that joins them
    try:
        results = concat_parts(pupils, RESULTS_PUPILS)
        aggregated = concat_parts(aggregates, RESULTS_AGGREGATED)
    except DataError:  # name the file, row and column of the repeats
        check_repeated(every)
        raise
    check_counted_twice(every)
    # works that are in one table each: count table by table (done while reading)
    shared = (
        sum(shared_in_part)
        if works_apart([c for _, _, c in pupils])
        else ids_in_several_schools(results)
    )
    result_years = set(results["year"].unique().tolist()) | set(
        aggregated["year"].unique().tolist()
    )
    notes = dataset_notes(shared, result_years, optional)
    dataset = Dataset(
        schools=schools,
        results=results,
        aggregates=aggregated,
        folder=folder,
        files={k: [p.name for p in v] for k, v in found.items() if v},
        notes=tuple(notes),
        **optional,
    )
    del pupils, aggregates, every  # the parts, now joined
    give_back()
    return dataset


def _registry(found: dict[str, list[Path]], limits: ReadLimits) -> pd.DataFrame:
    """The registry of schools, read and checked."""
    return load(found["schools"][0], [SCHOOLS], limits=limits).table


def _read_files(
    found: dict[str, list[Path]],
    parts: list[tuple[Path, dict[str, str], str]],
    pseudonymize_ids: bool | str | None,
    limits: ReadLimits,
) -> tuple[
    pd.DataFrame, list, list, list[Loaded], dict[str, tuple[list[Problem], int]], list[int], dict
]:
    """The registry, every results part and optional table: the large files first, on two threads.

    The registry is read here while the threads read the results; its error,
    if any, comes first. Returns the registry, the pupil tables and the tables
    of counts (each as (table, whether its reader refused repeated keys, its
    works)), every results file read (for messages naming rows), the problems
    of the school codes missing from the registry by file, the codes shared
    between schools in each pupil part, and the optional tables. Nothing else
    refers to the parts once this returns: they are freed as soon as joined.
    """
    pupils, aggregates, every = [], [], []
    id_errors: dict[str, tuple[list[Problem], int]] = {}
    shared_in_part: list[int] = []
    workers = reading_threads()
    with ExitStack() as stack:  # the first error in file order wins
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=workers))
        # the longest work first: the large files (two at once, one per thread, while few
        # parts are held), then the optional tables and the small files, so that both
        # threads stay busy to the end instead of one parsing the large files alone
        large = [workers > 1 and is_large(path) for path, _, _ in parts]  # one thread: in order

        def submit(i: int) -> Future:
            path, partition, shown = parts[i]
            return pool.submit(load_part, path, partition, shown, pseudonymize_ids, None, limits)

        started = {i: submit(i) for i in range(len(parts)) if large[i]}
        later = submit_optional(pool, found, limits)
        started.update({i: submit(i) for i in range(len(parts)) if not large[i]})
        futures = [started[i] for i in range(len(parts))]  # in file order
        try:
            schools = _registry(found, limits)  # while the threads read
            known = set(schools["school_id"].dropna())
            for (path, _, shown), future in zip(parts, futures, strict=True):
                loaded, _, cells, shared = future.result()
                id_errors[shown] = check_ids(loaded, known)
                # a ФИС ОКО export (.xlsx) checks its pupils per school only: see concat_parts
                target = pupils if loaded.spec is RESULTS_PUPILS else aggregates
                target.append((loaded.table, path.suffix.lower() in (".csv", ".parquet"), cells))
                if loaded.spec is RESULTS_PUPILS:
                    shared_in_part.append(shared)
                every.append(loaded)
            optional = optional_tables(found, later, known, id_errors)
        except BaseException:  # an error: the files not read yet are not read
            for future in [*futures, *later.values()]:
                future.cancel()
            raise
    return schools, pupils, aggregates, every, id_errors, shared_in_part, optional

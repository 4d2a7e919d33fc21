"""Loading a dataset with its pupil results as a Dask DataFrame (``results_engine="dask"``).

:func:`load_with_dask` runs every check of :func:`~edu_quality.dataset.load_dataset`
on the workers of the Dask cluster (or Dask's local threads), file by file,
and brings back only small summaries; files that share a work are compared
row by row on one worker. The pupil results become one partition per file,
read again on the workers whenever they are computed. The functions sent to
the workers are module-level, so that a worker process imports them by name.
Dask itself is imported only when such a dataset is loaded.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._pool import reading_threads
from ..errors import DataError, Problem
from ..io.limits import DEFAULT_LIMITS, ReadLimits
from ..io.load import Loaded
from ..privacy import KEY_VARIABLE
from ..schema import RESULTS_AGGREGATED, RESULTS_PUPILS
from .checks import (
    SCHOOL_WORK,
    all_works,
    check_counted_twice,
    check_repeated,
    concat_parts,
    connected,
    distinct_school_works,
    works_apart,
)
from .ids import check_ids, ids_in_several_schools
from .read import load_part, optional_tables, read_part, submit_optional
from .tables import (
    Dataset,
    compact,
    dataset_notes,
    empty_table,
    holds,
    same_dtype,
    smallest_integer,
    union_of_categories,
    value_range,
)

__all__ = ["load_with_dask"]


def _key_for_workers(pseudonymize_ids: bool | str | None) -> bool | str:
    """``pseudonymize_ids`` as workers must get it: the key of this process's environment.

    Examples
    --------
    >>> _key_for_workers("secret"), _key_for_workers(False)
    ('secret', False)
    """
    if pseudonymize_ids is False or isinstance(pseudonymize_ids, str):
        return pseudonymize_ids
    key = os.environ.get(KEY_VARIABLE) or None
    if key is not None:
        return key
    return pseudonymize_ids is True  # True: the reader says the key is missing


def _signature(path: Path) -> tuple[int, int, int]:
    """What writing a file changes: its size, modification time (ns) and inode."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def _inspect_part(
    path: Path,
    partition: dict[str, str],
    shown: str,
    pseudonymize_ids: bool | str,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Read one results file on a worker and return what the checks need of it.

    Everything :func:`~edu_quality.dataset.load_dataset` checks file by file, and small summaries for
    the checks across files — its distinct school codes among them, checked
    against the registry by the caller; the whole table only for aggregated
    results (one row per school and work). An error is returned, not raised, so
    that the caller reports the first one in file order.
    """
    try:
        signature = _signature(path)  # before reading: a file written meanwhile differs
        loaded, _, cells, shared = load_part(path, partition, shown, pseudonymize_ids, None, limits)
    except DataError as err:
        return {"error": (err.file, err.problems, err.total)}
    except Exception as err:  # noqa: BLE001 - raised by the caller, in file order
        return {"exception": err}
    table = loaded.table
    info: dict[str, Any] = {
        "pupils": loaded.spec is RESULTS_PUPILS,
        "cells": cells,
        "checked": path.suffix.lower() in (".csv", ".parquet"),
        "shown": shown,
    }
    if info["pupils"]:
        info.update(
            shared=shared,
            signature=signature,
            rows=len(table),
            head=table.iloc[:0],
            works=all_works(table, loaded.spec),
            years=table["year"].unique().tolist(),
            # the distinct texts of the compact columns: the categories of every partition
            values={
                c: table[c].dropna().unique().tolist()
                for c in RESULTS_PUPILS.compact
                if c in table.columns
            },
            # the whole numbers' ranges: their dtypes in every partition
            ranges={c: value_range(table[c]) for c in RESULTS_PUPILS.narrow if c in table.columns},
        )
    else:
        info["loaded"] = loaded
    return info


def _school_works_of(
    part: tuple[Path, dict[str, str], str],
    signature: tuple[int, int, int],
    rows: int,
    pseudonymize_ids: bool | str,
    meta: pd.DataFrame,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> pd.DataFrame:
    """On a worker: the distinct works of each school in a pupil file, for :func:`~.checks.check_counted_twice`.

    Read again (:func:`_pupil_partition`, its key columns alone): only a
    dataset that also has counts per school needs them.
    """
    table = _pupil_partition(
        part, 0, signature, rows, pseudonymize_ids, meta, limits, columns=list(SCHOOL_WORK)
    )
    return distinct_school_works(table)


def _missing_schools(
    part: tuple[Path, dict[str, str], str],
    pseudonymize_ids: bool | str,
    known: frozenset[str],
    limits: ReadLimits = DEFAULT_LIMITS,
) -> tuple[list[Problem], int]:
    """On a worker: the rows of a results file naming schools missing from the registry."""
    path, partition, shown = part
    return load_part(path, partition, shown, pseudonymize_ids, set(known), limits)[1]


def _check_together(
    members: list[tuple[Path, dict[str, str], str]],
    checked: list[bool],
    pseudonymize_ids: bool | str,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """On a worker: the checks of :func:`~edu_quality.dataset.load_dataset` across pupil files that share works.

    Returns the error the pandas loader raises for repeated results (as a
    value), or the count of :func:`~.ids.ids_in_several_schools` in these files.
    """
    try:
        loaded = [
            read_part(path, partition, shown, pseudonymize_ids, limits)
            for path, partition, shown in members
        ]
        # a lone unchecked file: compared with itself, as the pandas loader does when
        # there are other files (an empty table keeps the comparison from being skipped)
        pad = (
            []
            if len(loaded) > 1
            else [
                Loaded(
                    loaded[0].table.iloc[:0], np.empty(0, dtype=np.int64), {}, "", RESULTS_PUPILS
                )
            ]
        )
        flags = checked + [True] * len(pad)
        try:
            results = concat_parts(
                [(x.table, c, None) for x, c in zip(loaded + pad, flags, strict=True)],
                RESULTS_PUPILS,
            )
        except DataError as repeated:
            error = repeated
            try:
                check_repeated(loaded + pad)
            except DataError as named:  # naming the files, rows and column, as the pandas loader
                error = named
            return {"error": (error.file, error.problems, error.total)}
    except DataError as err:
        return {"error": (err.file, err.problems, err.total)}
    return {"shared": ids_in_several_schools(results)}


def _pupil_partition(
    part: tuple[Path, dict[str, str], str],
    offset: int,
    signature: tuple[int, int, int],
    rows: int,
    pseudonymize_ids: bool | str,
    meta: pd.DataFrame,
    limits: ReadLimits = DEFAULT_LIMITS,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """One partition of the Dask results: one file, read on a worker as the pandas loader does.

    Its index continues the previous files' (``offset``), as in the pandas
    loader's concatenation. A file unchanged since it was loaded (``signature``,
    :func:`_signature`) is parsed without its checks again, and of a Parquet
    file only the ``columns`` a computation asks for are read (Dask passes them:
    counting the marks reads no pupil codes) — unless that reading gives other
    than the ``rows`` the whole file gave (empty rows it dropped); a changed file
    is checked as at loading.
    """
    path, partition, shown = part
    wanted = list(meta.columns) if columns is None else list(columns)
    try:
        unchanged = _signature(path) == signature
    except OSError:
        unchanged = False  # the reader says what is wrong

    def read(**options: Any) -> pd.DataFrame:
        return read_part(
            path, partition, shown, pseudonymize_ids, limits, categorical=True, **options
        ).table

    error = table = None
    try:
        if unchanged and columns is not None:
            table = read(checks=False, columns=wanted)
            if len(table) != rows:  # the whole file's reading dropped empty rows
                table = None
        if table is None:
            table = read(checks=not unchanged)
    except DataError as err:  # e.g. the file was changed since the dataset was loaded
        error = DataError(err.file, err.problems, total=err.total)
    if error is not None:  # raised here, without the reader's exceptions as its context
        raise error
    table = compact(table.reindex(columns=wanted), RESULTS_PUPILS)
    for name in RESULTS_PUPILS.narrow:  # a file changed since: its numbers may not fit
        if name in wanted:
            low, high = value_range(table[name])
            if not holds(meta[name].dtype, low, high):
                raise _changed(shown, name, f"значения от {low} до {high}")
    dtypes = {c: meta[c].dtype for c in wanted if not same_dtype(table[c].dtype, meta[c].dtype)}
    for name, dtype in dtypes.items():  # a text of a changed file the categories lack
        if isinstance(dtype, pd.CategoricalDtype):
            lacking = np.flatnonzero(~table[name].cat.categories.isin(dtype.categories))
            if len(lacking) and np.isin(table[name].cat.codes.to_numpy(), lacking).any():
                raise _changed(shown, name, "значения, которых не было при загрузке")
    if dtypes:
        table = table.astype(dtypes)
    table.index = pd.RangeIndex(offset, offset + len(table))
    table.attrs = dict(meta.attrs)
    return table


def _changed(shown: str, name: str, what: str) -> DataError:
    """The error of a file changed since the dataset was loaded, in column ``name``."""
    return DataError(
        shown,
        f"файл изменён после загрузки набора: в столбце "
        f"«{RESULTS_PUPILS.column(name).label}» {what} — загрузите набор заново",
    )


def _results_meta(infos: list[dict[str, Any]]) -> pd.DataFrame:
    """The empty table of the Dask results: the columns and dtypes every partition has.

    Compact as the pandas loader's results (``infos`` of :func:`_inspect_part`
    of the pupil files): the same categories in every partition, the whole
    numbers as narrow as all files allow.
    """
    heads = [info["head"] for info in infos]
    meta = heads[0] if len(heads) == 1 else pd.concat(heads, ignore_index=True)
    meta.attrs = {"kind": heads[0].attrs.get("kind")}
    return meta.astype(
        {
            c: union_of_categories(i["values"][c] for i in infos)
            for c in RESULTS_PUPILS.compact
            if c in meta.columns
        }
        | {
            c: smallest_integer(
                meta[c].dtype,
                min(i["ranges"][c][0] for i in infos),
                max(i["ranges"][c][1] for i in infos),
            )
            for c in RESULTS_PUPILS.narrow
            if c in meta.columns
        }
    )


def load_with_dask(
    folder: Path,
    found: dict[str, list[Path]],
    registry: Callable[[], pd.DataFrame],
    parts: list[tuple[Path, dict[str, str], str]],
    pseudonymize_ids: bool | str | None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Dataset:
    """:func:`~edu_quality.dataset.load_dataset` with ``results_engine="dask"``.

    The workers read the results files while ``registry`` (which reads the
    registry of schools) runs on a thread here; its error, if any, is the one
    raised, once the workers are done.
    """
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(
            "для results_engine='dask' нужен пакет dask[dataframe]: pip install 'edu_quality[dask]'"
        ) from exc
    key = _key_for_workers(pseudonymize_ids)
    inspect = [
        dask.delayed(_inspect_part, pure=False)(path, partition, shown, key, limits)
        for path, partition, shown in parts
    ]
    id_errors: dict[str, tuple[list[Problem], int]] = {}  # of the optional tables
    # the registry and the optional tables are read here while the workers read the
    # results (Dask is called from this thread: a client made current here is used)
    with ThreadPoolExecutor(max_workers=reading_threads()) as pool:
        reading = pool.submit(registry)
        later = submit_optional(pool, found, limits)
        try:
            infos = dask.compute(*inspect)
            schools = reading.result()  # its error, if any, comes first
            known = set(schools["school_id"].dropna())
            for info in infos:  # the first error in file order wins
                if "error" in info:
                    file, problems, total = info["error"]
                    raise DataError(file, problems, total=total)
                if "exception" in info:
                    raise info["exception"]
            optional = optional_tables(found, later, known, id_errors)
        except BaseException:
            for future in [reading, *later.values()]:
                future.cancel()
            raise
    for part, info in zip(parts, infos, strict=True):  # schools missing from the registry
        if not info["pupils"]:
            problems, total = check_ids(info["loaded"], known)
        elif set(info["values"]["school_id"]) - known:  # their rows, read again on a worker
            task = dask.delayed(_missing_schools, pure=False)(part, key, frozenset(known), limits)
            problems, total = dask.compute(task)[0]
        else:
            continue
        if problems:
            raise DataError(info["shown"], problems, total=total)
    for file, (problems, total) in id_errors.items():
        if problems:
            raise DataError(file, problems, total=total)

    pupils = [(part, info) for part, info in zip(parts, infos, strict=True) if info["pupils"]]
    counted = [(part, info) for part, info in zip(parts, infos, strict=True) if not info["pupils"]]
    # pupil files that may repeat each other's rows: those sharing works (and unchecked
    # files), compared on a worker group by group; the others count their pupil ids alone
    shared = sum(info["shared"] for _, info in pupils)
    if len(pupils) > 1 and not (
        all(info["checked"] for _, info in pupils)
        and works_apart([info["cells"] for _, info in pupils])
    ):
        groups = [
            g
            for g in connected([info["works"] for _, info in pupils])
            if len(g) > 1 or not pupils[g[0]][1]["checked"]
        ]
        together = dask.compute(
            *[
                dask.delayed(_check_together, pure=False)(
                    [pupils[i][0] for i in g], [pupils[i][1]["checked"] for i in g], key, limits
                )
                for g in groups
            ]
        )
        position = {info["shown"]: i for i, (_, info) in enumerate(pupils)}
        errors = [
            (position.get(t["error"][0], g[0]), t["error"])
            for g, t in zip(groups, together, strict=True)
            if "error" in t
        ]
        if errors:  # the error of the earliest file, as the pandas loader reports it
            file, problems, total = min(errors, key=lambda e: e[0])[1]
            raise DataError(file, problems, total=total)
        shared += sum(t["shared"] for t in together)
        shared -= sum(pupils[i][1]["shared"] for g in groups for i in g)

    try:  # aggregated results are small: in memory, as with pandas
        aggregated = concat_parts(
            [(info["loaded"].table, info["checked"], info["cells"]) for _, info in counted],
            RESULTS_AGGREGATED,
        )
    except DataError:
        check_repeated([info["loaded"] for _, info in counted])
        raise
    meta = _results_meta([info for _, info in pupils]) if pupils else None
    # a school's work per pupil and as counts: the schools' works of the pupil files that
    # share a work with the counts, read again on the workers
    counted_works = all_works(aggregated, RESULTS_AGGREGATED)
    sharing = [(part, info) for part, info in pupils if info["works"] & counted_works]
    if sharing:
        held = dask.delayed(meta)  # sent once, not with every task
        per_school = dask.compute(
            *[
                dask.delayed(_school_works_of, pure=False)(
                    part, info["signature"], info["rows"], key, held, limits
                )
                for part, info in sharing
            ]
        )
        check_counted_twice(
            [
                Loaded(table, np.empty(0, dtype=np.int64), {}, part[2], RESULTS_PUPILS)
                for (part, _), table in zip(sharing, per_school, strict=True)
            ]
            + [info["loaded"] for _, info in counted]
        )

    result_years = {y for _, info in pupils for y in info["years"]} | set(
        aggregated["year"].unique().tolist()
    )
    notes = dataset_notes(shared, result_years, optional)

    with dask.config.set({"dataframe.convert-string": False}):  # keep pandas' own dtypes
        if pupils:
            rows = [info["rows"] for _, info in pupils]
            offsets = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int).tolist()
            results = dd.from_map(
                _pupil_partition,
                [part for part, _ in pupils],
                offsets,
                [info["signature"] for _, info in pupils],
                rows,
                args=(key, meta, limits),
                meta=meta,
                label="results",
                enforce_metadata=False,
            )
        else:
            results = dd.from_pandas(empty_table(RESULTS_PUPILS), npartitions=1)
    pupil_years = tuple(sorted({int(y) for _, info in pupils for y in info["years"]}))
    return Dataset(
        schools=schools,
        results=results,
        aggregates=aggregated,
        folder=folder,
        files={k: [p.name for p in v] for k, v in found.items() if v},
        notes=tuple(notes),
        dask_years=(results._name, pupil_years),
        **optional,
    )

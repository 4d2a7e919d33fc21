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
    all_works,
    check_counted_twice,
    check_repeated,
    concat_parts,
    connected,
    school_works,
    works_apart,
)
from .ids import ids_in_several_schools
from .read import load_part, optional_tables, read_part, submit_optional
from .tables import (
    Dataset,
    dataset_notes,
    empty_table,
    holds,
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
    known: frozenset[str],
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Read one results file on a worker and return what the checks need of it.

    Everything :func:`~edu_quality.dataset.load_dataset` checks file by file, and small summaries for
    the checks across files; the whole table only for aggregated results (one row
    per school and work). An error is returned, not raised, so that the caller
    reports the first one in file order.
    """
    try:
        signature = _signature(path)  # before reading: a file written meanwhile differs
        loaded, id_errors, cells, shared = load_part(
            path, partition, shown, pseudonymize_ids, set(known), limits
        )
    except DataError as err:
        return {"error": (err.file, err.problems, err.total)}
    except Exception as err:  # noqa: BLE001 - raised by the caller, in file order
        return {"exception": err}
    table = loaded.table
    info: dict[str, Any] = {
        "pupils": loaded.spec is RESULTS_PUPILS,
        "id_errors": id_errors,
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
            # the schools' works, for check_counted_twice
            per_school=Loaded(
                school_works(table).drop_duplicates(),
                np.empty(0, dtype=np.int64),
                {},
                loaded.file,
                RESULTS_PUPILS,
            ),
        )
    else:
        info["loaded"] = loaded
    return info


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
    pseudonymize_ids: bool | str,
    meta: pd.DataFrame,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> pd.DataFrame:
    """One partition of the Dask results: one file, read on a worker as the pandas loader does.

    Its index continues the previous files' (``offset``), as in the pandas
    loader's concatenation. A file unchanged since it was loaded (``signature``,
    :func:`_signature`) is parsed without its checks again; a changed one is
    checked as at loading.
    """
    path, partition, shown = part
    error = None
    try:
        unchanged = _signature(path) == signature
    except OSError:
        unchanged = False  # the reader says what is wrong
    try:
        table = read_part(
            path, partition, shown, pseudonymize_ids, limits, checks=not unchanged
        ).table
    except DataError as err:  # e.g. the file was changed since the dataset was loaded
        error = DataError(err.file, err.problems, total=err.total)
    if error is not None:  # raised here, without the reader's exceptions as its context
        raise error
    for name in RESULTS_PUPILS.narrow:  # a file changed since: its numbers may not fit
        if name in table.columns and name in meta.columns:
            low, high = value_range(table[name])
            if not holds(meta[name].dtype, low, high):
                raise DataError(
                    shown,
                    f"файл изменён после загрузки набора: значения столбца "
                    f"«{RESULTS_PUPILS.column(name).label}» от {low} до {high} — "
                    "загрузите набор заново",
                )
    if list(table.columns) != list(meta.columns) or not table.dtypes.equals(meta.dtypes):
        table = table.reindex(columns=meta.columns).astype(meta.dtypes.to_dict())
    table.index = pd.RangeIndex(offset, offset + len(table))
    table.attrs = dict(meta.attrs)
    return table


def load_with_dask(
    folder: Path,
    found: dict[str, list[Path]],
    schools: pd.DataFrame,
    known: set[str],
    parts: list[tuple[Path, dict[str, str], str]],
    pseudonymize_ids: bool | str | None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Dataset:
    """:func:`~edu_quality.dataset.load_dataset` with ``results_engine="dask"`` (after the registry is read)."""
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:
        raise ImportError(
            "для results_engine='dask' нужен пакет dask[dataframe]: pip install 'edu_quality[dask]'"
        ) from exc
    key = _key_for_workers(pseudonymize_ids)
    registry = dask.delayed(frozenset(known), pure=True)
    inspect = [
        dask.delayed(_inspect_part, pure=False)(path, partition, shown, key, registry, limits)
        for path, partition, shown in parts
    ]
    id_errors: dict[str, tuple[list[Problem], int]] = {}
    with ThreadPoolExecutor(max_workers=reading_threads()) as pool:
        later = submit_optional(pool, found, limits)
        try:
            infos = dask.compute(*inspect)
            for info in infos:  # the first error in file order wins
                if "error" in info:
                    file, problems, total = info["error"]
                    raise DataError(file, problems, total=total)
                if "exception" in info:
                    raise info["exception"]
                id_errors[info["shown"]] = info["id_errors"]
            optional = optional_tables(found, later, known, id_errors)
        except BaseException:
            for future in later.values():
                future.cancel()
            raise
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
    check_counted_twice(
        [info["per_school"] if info["pupils"] else info["loaded"] for info in infos]
    )

    result_years = {y for _, info in pupils for y in info["years"]} | set(
        aggregated["year"].unique().tolist()
    )
    notes = dataset_notes(shared, result_years, optional)

    with dask.config.set({"dataframe.convert-string": False}):  # keep pandas' own dtypes
        if pupils:
            heads = [info["head"] for _, info in pupils]
            meta = heads[0] if len(heads) == 1 else pd.concat(heads, ignore_index=True)
            meta.attrs = {"kind": heads[0].attrs.get("kind")}
            # compact as the pandas loader's results: the same categories in every partition
            meta = meta.astype(
                {
                    c: union_of_categories(i["values"][c] for _, i in pupils)
                    for c in RESULTS_PUPILS.compact
                    if c in meta.columns
                }
                | {
                    c: smallest_integer(
                        meta[c].dtype,
                        min(i["ranges"][c][0] for _, i in pupils),
                        max(i["ranges"][c][1] for _, i in pupils),
                    )
                    for c in RESULTS_PUPILS.narrow
                    if c in meta.columns
                }
            )
            rows = [info["rows"] for _, info in pupils]
            offsets = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int).tolist()
            results = dd.from_map(
                _pupil_partition,
                [part for part, _ in pupils],
                offsets,
                [info["signature"] for _, info in pupils],
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

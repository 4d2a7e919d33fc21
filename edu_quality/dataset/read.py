"""Reading the files of a dataset, as both loaders do: one results file, the optional tables.

:func:`load_part` reads one results file (a partition's values filling the
columns it lacks) and checks it alone: its school ids against the registry,
its works, its pupil codes shared by schools. The optional tables are read
on the loader's thread pool (:func:`submit_optional`) and collected, empty
where the folder has none (:func:`optional_tables`).
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from .._codes import shared_codes
from .._memory import LARGE, give_back
from ..errors import DataError, Problem
from ..io.limits import DEFAULT_LIMITS, ReadLimits, regular_file
from ..io.load import Loaded, context_extra, load
from ..io.results import load_results
from ..schema import CONTEXT, RESULTS_AGGREGATED, RESULTS_PUPILS, TableSpec, match_columns
from .checks import known_works
from .files import OPTIONAL
from .ids import check_ids, ids_in_several_schools
from .tables import compact, empty_table, in_one_piece

__all__ = ["is_large", "load_part", "optional_tables", "read_part", "submit_optional"]

#: Size on disk from which a results file other than Parquet is taken for a large one (a CSV
#: of a million pupil results is about 60 MB; a workbook holds at most 1 048 576 rows).
LARGE_FILE_BYTES = 48 * 2**20


def is_large(path: Path) -> bool:
    """Whether a results file holds a million rows or more (:data:`~edu_quality._memory.LARGE`).

    A Parquet file says in its footer, read without its rows; any other file is
    judged by its size on disk (:data:`LARGE_FILE_BYTES`). A file that cannot be
    looked at is taken for a small one: reading it says what is wrong.
    """
    try:
        if path.suffix.lower() == ".parquet":
            return pq.ParquetFile(path).metadata.num_rows >= LARGE
        return path.stat().st_size >= LARGE_FILE_BYTES
    except Exception:  # noqa: BLE001 (read_part names the file and its fault)
        return False


def load_part(
    path: Path,
    partition: dict[str, str],
    shown: str,
    pseudonymize_ids: bool | str | None,
    known: set[str] | None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> tuple[Loaded, tuple[list[Problem], int], frozenset | None, int]:
    """Read one results file; a partition's values fill the columns the file lacks.

    Pupil results are held compact (:func:`~.tables.compact`) once read.
    Returns the table, its schools missing from the registry ``known``
    (:func:`~.ids.check_ids`; none looked for where ``known`` is None: the
    caller checks them), its works (:func:`~.checks.known_works`) and, for
    pupils, the count of :func:`~.ids.ids_in_several_schools` within it.
    """
    with shared_codes():  # the checks of the file factorise its pupil codes once
        loaded = read_part(path, partition, shown, pseudonymize_ids, limits, categorical=True)
        if loaded.spec is RESULTS_PUPILS:  # compact from here on: the checks group by codes
            loaded.table = compact(loaded.table, RESULTS_PUPILS)
        shared = ids_in_several_schools(loaded.table) if loaded.spec is RESULTS_PUPILS else 0
    loaded.table = in_one_piece(loaded.table)  # the file's other columns are freed by now
    if len(loaded.table) >= LARGE:  # what parsing a large file freed: not kept for the next
        give_back()
    ids = check_ids(loaded, known) if known is not None else ([], 0)
    return loaded, ids, known_works(loaded.table, loaded.spec), shared


def read_part(
    path: Path,
    partition: dict[str, str],
    shown: str,
    pseudonymize_ids: bool | str | None,
    limits: ReadLimits = DEFAULT_LIMITS,
    checks: bool = True,
    categorical: bool = False,
    columns: Collection[str] | None = None,
) -> Loaded:
    """Read one results file, named ``shown`` in messages (see :func:`load_part`).

    ``checks`` False: read again, unchanged since it was checked; ``categorical``
    True: its texts held as a Parquet dictionary come as categoricals;
    ``columns``: only these columns of pupil results read again
    (:func:`~edu_quality.io.results.load_results`).
    """
    fill: dict[str, str] = {}
    if partition:
        regular_file(path, shown, limits)  # before its schema is read
        try:
            names = pq.read_schema(path).names
        except Exception as exc:
            raise DataError(shown, f"файл Parquet повреждён ({exc})") from None
        have = set(match_columns(names, RESULTS_PUPILS).values())
        have |= set(match_columns(names, RESULTS_AGGREGATED).values())
        fill = {k: v for k, v in partition.items() if k not in have}
    try:
        loaded = load_results(
            path,
            pseudonymize_ids=pseudonymize_ids,
            limits=limits,
            checks=checks,
            categorical=categorical,
            columns=columns,
            **fill,
        )
    except DataError as err:
        if err.file == shown:
            raise
        raise DataError(shown, err.problems, total=err.total) from None
    loaded.file = shown
    return loaded


def _read_optional(path: Path, spec: TableSpec, limits: ReadLimits) -> Loaded:
    """One optional table, read and checked, held as its spec says (:func:`~.tables.compact`)."""
    extra = context_extra if spec is CONTEXT else None
    loaded = load(path, [spec], extra=extra, limits=limits, categorical=True)
    loaded.table = compact(loaded.table, spec)  # the risk profiles' factors as categoricals
    return loaded


def submit_optional(pool, found: dict[str, list[Path]], limits) -> dict:
    """Start reading the optional tables the folder has on ``pool``: futures by name."""
    return {
        name: pool.submit(_read_optional, found[name][0], spec, limits)
        for name, spec in OPTIONAL.items()
        if found[name]
    }


def optional_tables(
    found: dict[str, list[Path]],
    later: dict,
    known: set[str],
    id_errors: dict[str, tuple[list[Problem], int]],
) -> dict[str, pd.DataFrame]:
    """The optional tables (read in ``later``, futures by name), empty where absent.

    Each is held as its spec says (:func:`~.tables.compact`: the risk profiles'
    factors as categoricals).

    The school ids of each are checked against the registry into ``id_errors``.
    """
    optional: dict[str, pd.DataFrame] = {}
    for name, spec in OPTIONAL.items():
        if not found[name]:
            optional[name] = compact(empty_table(spec), spec)
            continue
        loaded = later[name].result()
        if "school_id" in loaded.table.columns:
            id_errors[loaded.file] = check_ids(loaded, known)
        optional[name] = loaded.table
    return optional

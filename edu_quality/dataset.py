"""A dataset: every table of one folder, read and checked against each other."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from ._checks import check_option
from ._files import check_complete
from ._grouping import is_dask
from ._russian import did_you_mean, plural
from .errors import MAX_PROBLEMS, DataError, Problem
from .io.limits import DEFAULT_LIMITS, ReadLimits, inside_folder, regular_file
from .io.load import Loaded, context_extra, load
from .io.raw import SUFFIXES
from .io.results import load_results
from .privacy import KEY_VARIABLE
from .schema import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    PLAN,
    RESULTS_AGGREGATED,
    RESULTS_PUPILS,
    RISK_PROFILES,
    SCHOOLS,
    STAFF,
    TableSpec,
    dtype_of,
    match_columns,
)

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["Dataset", "load_dataset"]

_OPTIONAL = {
    "context": CONTEXT,
    "staff": STAFF,
    "enrolment": ENROLMENT,
    "risk_profiles": RISK_PROFILES,
    "indicators": INDICATORS,
    "plan": PLAN,
}


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """An empty table with the canonical columns and dtypes of ``spec``.

    Examples
    --------
    >>> list(empty_table(ENROLMENT).columns)
    ['school_id', 'year', 'level', 'pupils']
    """
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_of(c)) for c in spec.columns})


@dataclass(frozen=True)
class Dataset:
    """Every table of a dataset folder.

    Attributes
    ----------
    schools : DataFrame
        The registry (:func:`edu_quality.read_schools`).
    results : DataFrame or dask.dataframe.DataFrame
        Pupil-level results of every ``results*`` file that has them; a Dask
        DataFrame (one partition per file) when loaded with
        ``load_dataset(..., results_engine="dask")``.
    aggregates : DataFrame
        Aggregated results (counts per school) of every ``results*`` file
        that has them.
    context, staff, enrolment, risk_profiles, indicators, plan : DataFrame
        The optional tables; empty, with their canonical columns, when the
        folder has no such file.
    folder : Path
        Where the files are.
    files : dict
        Table name → file names it was read from.
    notes : tuple of str
        Remarks on the data that are not errors (e.g. years present in one
        table only).
    """

    schools: pd.DataFrame
    results: pd.DataFrame | dd.DataFrame
    aggregates: pd.DataFrame
    context: pd.DataFrame
    staff: pd.DataFrame
    enrolment: pd.DataFrame
    risk_profiles: pd.DataFrame
    indicators: pd.DataFrame
    plan: pd.DataFrame
    folder: Path
    files: dict[str, list[str]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def years(self) -> list[int]:
        """Years with results, ascending."""
        pupils = self.results["year"].unique()
        if is_dask(self.results):
            pupils = pupils.compute()
        years = set(pupils) | set(self.aggregates["year"].unique())
        return sorted(int(y) for y in years)

    @property
    def municipalities(self) -> list[str]:
        """Municipalities of the registry, sorted."""
        return sorted(self.schools["municipality"].dropna().unique())

    def scales(self) -> pd.DataFrame:
        """The ВПР score-to-mark scales for this dataset: the folder's own, then the shipped ones.

        A folder may hold a ``scales`` file (``.csv``, ``.xlsx`` or ``.parquet``,
        either form :func:`edu_quality.scales.read_scales` reads); its works
        replace the shipped scales of the same year, subject and grade
        (:func:`edu_quality.scales.merge_scales`). Without one, the shipped
        scales (2020–2021) are returned.

        Examples
        --------
        >>> from edu_quality.demo import sample_folder
        >>> ds = load_dataset(sample_folder("region"))
        >>> sorted(ds.scales()["year"].unique().tolist())
        [2020, 2021, 2022, 2023, 2024]
        """
        from .scales import merge_scales, read_scales

        own = _files(self.folder, "scales")
        return merge_scales(read_scales(own[0]) if own else None)

    def max_scores(self) -> pd.DataFrame:
        """The maximum primary score of every ВПР work, by year: from :meth:`scales`.

        This is the ``max_scores=`` of :func:`edu_quality.objectivity_index`
        (sign (c) of the federal method).

        Examples
        --------
        >>> from edu_quality.demo import sample_folder
        >>> m = load_dataset(sample_folder("region")).max_scores()
        >>> int(m.query("year == 2024 and subject == 'Математика' and grade == 4")["max_score"].iloc[0])
        20
        """
        from .scales import max_scores

        return max_scores(self.scales())

    def summary(self) -> str:
        """A readable summary in Russian: what is in the dataset.

        Examples
        --------
        >>> from edu_quality import load_dataset
        >>> from edu_quality.demo import sample_folder
        >>> print(load_dataset(sample_folder("inta")).summary().splitlines()[0])
        Набор данных «inta»
        """
        lines = [f"Набор данных «{self.folder.name}»"]
        s = self.schools
        lines.append(
            f"  школ: {len(s)}, муниципалитетов: {s['municipality'].nunique()}"
            + (
                " (группы: "
                + ", ".join(f"{g} — {n}" for g, n in s["group"].value_counts().items())
                + ")"
                if s["group"].notna().any()
                else ""
            )
        )
        for name, table in (
            ("результаты (по участникам)", self.results),
            ("результаты (по школам)", self.aggregates),
        ):
            rows, size = _rows_per_work(table)
            if rows:
                by = size.unstack("year", fill_value=0)  # noqa: PD010
                lines.append(f"  {name}: {_rows(rows)}")
                for assessment, row in by.iterrows():
                    years = ", ".join(f"{y}: {n}" for y, n in row.items() if n)
                    lines.append(f"    {assessment}: {years}")
        for name in _OPTIONAL:
            table = getattr(self, name)
            if len(table):
                lines.append(f"  {_TITLES[name]}: {_rows(len(table))}")
        for note in self.notes:
            lines.append(f"  примечание: {note}")
        return "\n".join(lines)


def _rows(n: int) -> str:
    """«1 строка», «3 строки», «42 строки», «132 строки», «5 строк»."""
    return f"{n} {plural(n, 'строка', 'строки', 'строк')}"


def _rows_per_work(table: pd.DataFrame | dd.DataFrame) -> tuple[int, pd.Series | None]:
    """Rows of a results table, and rows per assessment and year (sorted)."""
    if is_dask(table):  # one pass over the files for both
        import dask

        rows, size = dask.compute(
            table.shape[0], table.groupby(["assessment", "year"], observed=True).size()
        )
        return int(rows), size.sort_index()
    if not len(table):
        return 0, None
    return len(table), table.groupby(["assessment", "year"], observed=True).size()


_TITLES = {
    "context": "социальный контекст",
    "staff": "кадры",
    "enrolment": "контингент",
    "risk_profiles": "рисковые профили",
    "indicators": "показатели программы",
    "plan": "план мероприятий",
}


def _files(folder: Path, stem: str, *, prefix: bool = False) -> list[Path]:
    """The files of a table in ``folder`` (``stem`` or, with ``prefix``, ``stem*``), by name.

    An entry that is a symbolic link out of the folder is refused, not followed.
    """
    root = folder.resolve()
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(("~$", ".")) or p.suffix.lower() not in SUFFIXES:
            continue
        name = p.stem.lower()
        if name == stem or (prefix and name.startswith(stem)):
            out.append(inside_folder(p, root, p.name))
    return out


#: Columns a results folder can be partitioned by (``results_vpr/year=2022/…``): the
#: values :func:`edu_quality.read_results` can fill for a file that lacks the column.
PARTITION_KEYS = ("year", "assessment", "subject", "grade")


def _result_folders(folder: Path) -> list[Path]:
    """The folders of partitioned results (``results*``) in ``folder``, none leading out of it."""
    root = folder.resolve()
    return [
        inside_folder(p, root, p.name)
        for p in sorted(folder.iterdir())
        if p.is_dir()
        and p.name.lower().startswith("results")
        and not p.name.startswith(("~$", ".", "_"))
    ]


def _parquet_files(root: Path, base: Path) -> list[Path]:
    """The ``.parquet`` files under the folder ``root``, hidden (``.``, ``_``) parts left out.

    A symbolic link is followed only when it stays inside the data folder
    ``base``; one that leads out of it is refused. A folder reached twice
    (through a link) is read once.
    """
    top = base.resolve()
    seen: set[Path] = set()
    out: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in seen:
            continue
        seen.add(real)
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_symlink():
                inside_folder(entry, top, entry.relative_to(base).as_posix())
            if entry.is_dir():
                stack.append(entry)
            elif entry.suffix == ".parquet":
                out.append(entry)
    return sorted(out)


def _partitions(root: Path, base: Path) -> list[tuple[Path, dict[str, str], str]]:
    """Parquet files of a folder partitioned Hive-style, each with its partition values.

    Returns (file, {column: value}, name shown in messages), the values decoded
    from the folder names (``subject=%D0%A0…`` → «Р…»).
    """
    out = []
    for path in _parquet_files(root, base):
        rel = path.relative_to(root)
        values: dict[str, str] = {}
        for part in rel.parts[:-1]:
            key, eq, value = part.partition("=")
            if not eq or key not in PARTITION_KEYS:
                raise DataError(
                    root.name,
                    f"папка «{part}» не является разбиением по столбцу (ожидается «столбец=значение», "
                    f"столбцы: {', '.join(PARTITION_KEYS)})",
                )
            values[key] = unquote(value)
        out.append((path, values, path.relative_to(base).as_posix()))
    if not out:
        raise DataError(root.name, "в папке результатов нет файлов Parquet")
    return out


def _load_part(
    path: Path,
    partition: dict[str, str],
    shown: str,
    pseudonymize_ids: bool | str | None,
    known: set[str],
    limits: ReadLimits = DEFAULT_LIMITS,
) -> tuple[Loaded, list[Problem], frozenset | None, int]:
    """Read one results file; a partition's values fill the columns the file lacks.

    Returns the table, its schools missing from the registry (:func:`_check_ids`),
    its works (:func:`_cells`) and, for pupils, the count of
    :func:`_ids_in_several_schools` within it.
    """
    loaded = _read_part(path, partition, shown, pseudonymize_ids, limits)
    shared = _ids_in_several_schools(loaded.table) if loaded.spec is RESULTS_PUPILS else 0
    return loaded, _check_ids(loaded, known), _cells(loaded.table, loaded.spec), shared


def _read_part(
    path: Path,
    partition: dict[str, str],
    shown: str,
    pseudonymize_ids: bool | str | None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Loaded:
    """Read one results file, named ``shown`` in messages (see :func:`_load_part`)."""
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
        loaded = load_results(path, pseudonymize_ids=pseudonymize_ids, limits=limits, **fill)
    except DataError as err:
        if err.file == shown:
            raise
        raise DataError(shown, err.problems, total=err.total) from None
    loaded.file = shown
    return loaded


def _notes(shared: int, result_years: set, optional: dict[str, pd.DataFrame]) -> list[str]:
    """Notes of a loaded dataset: shared pupil codes, years of tables without results."""
    notes = []
    if shared:
        notes.append(
            f"кодов участников, которые встречаются в одной работе одного года в нескольких "
            f"школах: {shared}; это коды внутри школы (как в выгрузках ФИС ОКО), то есть разные "
            "ученики, — сопоставлять по ним учеников между школами нельзя"
        )
    for name, table in optional.items():
        if "year" in table.columns and len(table) and result_years:
            outside = sorted(set(table["year"]) - result_years)
            if outside:
                notes.append(
                    f"в таблице «{name}» есть годы без результатов: "
                    + ", ".join(str(int(y)) for y in outside)
                )
    return notes


def _submit_optional(pool, found: dict[str, list[Path]], limits) -> dict:
    """Start reading the optional tables the folder has on ``pool``: futures by name."""
    return {
        name: pool.submit(
            load,
            found[name][0],
            [spec],
            extra=context_extra if spec is CONTEXT else None,
            limits=limits,
        )
        for name, spec in _OPTIONAL.items()
        if found[name]
    }


def _optional_tables(
    found: dict[str, list[Path]],
    later: dict,
    known: set[str],
    id_errors: dict[str, tuple[list[Problem], int]],
) -> dict[str, pd.DataFrame]:
    """The optional tables (read in ``later``, futures by name), empty where absent.

    The school ids of each are checked against the registry into ``id_errors``.
    """
    optional: dict[str, pd.DataFrame] = {}
    for name, spec in _OPTIONAL.items():
        if not found[name]:
            optional[name] = empty_table(spec)
            continue
        loaded = later[name].result()
        if "school_id" in loaded.table.columns:
            id_errors[loaded.file] = _check_ids(loaded, known)
        optional[name] = loaded.table
    return optional


def _cells(table: pd.DataFrame, spec: TableSpec) -> frozenset | None:
    """The distinct works of a results table: its key without school and pupil.

    None when a work is not fully known (a missing value), so that nothing is
    concluded from it.
    """
    cell = table[[k for k in spec.key if k not in ("school_id", "pupil_id")]].drop_duplicates()
    if cell.isna().to_numpy().any():
        return None
    return frozenset(cell.itertuples(index=False, name=None))


def _apart(cells: list[frozenset | None]) -> bool:
    """Whether the tables' works are known and no two tables share one."""
    return None not in cells and sum(map(len, cells)) == len(frozenset().union(*cells))


def _check_ids(loaded: Loaded, known: set[str]) -> tuple[list[Problem], int]:
    """Rows naming a school missing from the registry, and how many there are.

    The first ones a DataError shows (:data:`edu_quality.errors.MAX_PROBLEMS`, by row).
    """
    ids = loaded.table["school_id"]
    absent = set(ids.dropna().unique().tolist()) - known
    if not absent:
        return [], 0
    where = np.flatnonzero(ids.isin(list(absent)).to_numpy())
    rows = np.asarray(loaded.rows)[where]
    first = np.argsort(rows, kind="stable")[:MAX_PROBLEMS]
    header = loaded.headers.get("school_id", "Код ОО")
    hints: dict[str, str] = {}  # the nearest ids, leading zeros Excel dropped (1016 for 01016)
    problems = []
    for j in first:
        sid = ids.iloc[where[j]]
        if sid not in hints:
            hint = did_you_mean(sid, known, similar=False)
            hints[sid] = f"; {hint}" if hint else ""
        message = f"школа «{sid}» не найдена в реестре школ{hints[sid]}"
        problems.append(Problem(int(rows[j]), header, message))
    return problems, len(where)


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
    :data:`PARTITION_KEYS` (``results_vpr/year=2022/part-0.parquet``, as
    :func:`edu_quality.synthetic.write_region` writes with
    ``partition_by_year=True``): the values in the folder names fill the
    columns the files lack. Results files are read two at a time.

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
    whenever ``results`` is computed, lazily. Files that share a work (year,
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
        raise DataError(folder.name, f"папка с данными не найдена: {folder}")
    check_complete(folder)  # an import was moving its files in when it stopped
    found: dict[str, list[Path]] = {"schools": _files(folder, "schools")}
    found["results"] = _files(folder, "results", prefix=True) + _result_folders(folder)
    for name in _OPTIONAL:
        found[name] = _files(folder, name)
    for name in ("schools", "results"):
        if not found[name]:
            raise DataError(
                folder.name,
                f"в папке нет файла «{name}» (.csv, .xlsx или .parquet): он обязателен",
            )
    for name, paths in found.items():
        if name != "results" and len(paths) > 1:
            raise DataError(
                folder.name,
                f"несколько файлов таблицы «{name}»: {', '.join(p.name for p in paths)} — "
                "оставьте один",
            )

    schools = load(found["schools"][0], [SCHOOLS], limits=limits)
    known = set(schools.table["school_id"].dropna())
    pupils, aggregates, notes = [], [], []
    id_errors: dict[str, tuple[list[Problem], int]] = {}
    parts = []
    every: list[Loaded] = []  # every results file read, for messages naming rows
    for path in found["results"]:
        parts += _partitions(path, folder) if path.is_dir() else [(path, {}, path.name)]
    if results_engine == "dask":
        return _load_with_dask(folder, found, schools.table, known, parts, pseudonymize_ids, limits)
    shared_in_part: list[int] = []
    workers = min(2, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # the first error in file order wins
        futures = [
            pool.submit(_load_part, path, partition, shown, pseudonymize_ids, known, limits)
            for path, partition, shown in parts
        ]
        later = _submit_optional(pool, found, limits)
        try:
            for (path, _, shown), future in zip(parts, futures, strict=True):
                loaded, id_errors[shown], cells, shared = future.result()
                # a ФИС ОКО export (.xlsx) checks its pupils per school only: see _concat
                target = pupils if loaded.spec is RESULTS_PUPILS else aggregates
                target.append((loaded.table, path.suffix.lower() in (".csv", ".parquet"), cells))
                if loaded.spec is RESULTS_PUPILS:
                    shared_in_part.append(shared)
                every.append(loaded)
            optional = _optional_tables(found, later, known, id_errors)
        except BaseException:  # an error: the files not read yet are not read
            for future in [*futures, *later.values()]:
                future.cancel()
            raise
    for file, (problems, total) in id_errors.items():
        if problems:
            raise DataError(file, problems, total=total)

    try:
        results = _concat(pupils, RESULTS_PUPILS)
        aggregated = _concat(aggregates, RESULTS_AGGREGATED)
    except DataError:  # name the file, row and column of the repeats
        _check_repeated(every)
        raise
    _check_counted_twice(every)
    # works that are in one table each: count table by table (done while reading)
    shared = (
        sum(shared_in_part)
        if _apart([c for _, _, c in pupils])
        else _ids_in_several_schools(results)
    )
    result_years = set(results["year"].unique().tolist()) | set(
        aggregated["year"].unique().tolist()
    )
    notes += _notes(shared, result_years, optional)
    return Dataset(
        schools=schools.table,
        results=results,
        aggregates=aggregated,
        folder=folder,
        files={k: [p.name for p in v] for k, v in found.items() if v},
        notes=tuple(notes),
        **optional,
    )


def _concat(
    parts: list[tuple[pd.DataFrame, bool, frozenset | None]], spec: TableSpec
) -> pd.DataFrame:
    """The tables in one; an error if two rows have the same key.

    ``parts`` are (table, whether its reader already refused repeated keys within
    it, its works from :func:`_cells`). Tables that each refused repeats and
    share no work cannot repeat a key, and are not compared row by row.
    """
    tables = [t for t, _, _ in parts]
    if not tables:
        return empty_table(spec)
    if len(tables) == 1:
        out = tables[0]
    else:
        out = pd.concat(tables, ignore_index=True)
        separate = all(checked for _, checked, _ in parts) and _apart([c for _, _, c in parts])
        dup = (
            pd.Series(False, index=out.index)
            if separate
            else _duplicated(out, [(t, checked) for t, checked, _ in parts], list(spec.key))
        )
        if dup.any():
            first = out.loc[dup].iloc[0]
            key = ", ".join(f"{k}={first[k]}" for k in spec.key)
            raise DataError(
                "results*",
                f"одни и те же результаты есть в нескольких файлах ({_rows(int(dup.sum()))}), "
                f"например {key}",
            )
    out.attrs = {"kind": tables[0].attrs.get("kind")}
    return out


def _duplicated(
    out: pd.DataFrame, parts: list[tuple[pd.DataFrame, bool]], key: list[str]
) -> pd.Series:
    """``out.duplicated(key, keep=False)``, looking only where a repeat can be.

    Two rows with one key share its cell (the key without ``school_id`` and
    ``pupil_id``: year, assessment, subject, grade). A table whose reader
    refused repeated keys can only repeat a key of another table, so only rows
    of cells that two tables share, and the rows of unchecked tables, are compared.
    """
    cell = [k for k in key if k not in ("school_id", "pupil_id")]
    lengths = [len(t) for t, _ in parts]
    code = np.zeros(len(out), dtype=np.int64)
    for c in cell:
        codes, uniques = pd.factorize(out[c], use_na_sentinel=False)
        code = code * max(len(uniques), 1) + codes
    code, cells = pd.factorize(code)
    part = np.repeat(np.arange(len(parts), dtype=np.int64), lengths)
    pairs = pd.unique(code * len(parts) + part)  # (cell, table) present
    shared = np.bincount(pairs // len(parts), minlength=len(cells)) > 1
    look = shared[code] | np.repeat([not checked for _, checked in parts], lengths)
    dup = np.zeros(len(out), dtype=bool)
    if look.any():
        dup[look] = out.loc[look].duplicated(key, keep=False).to_numpy()
    return pd.Series(dup, index=out.index)


# ------------------------------------------------ checks across results files (robustness)

_WORK = ["year", "assessment", "subject", "grade", "school_id"]


def _sources(loaded: list[Loaded]) -> tuple[np.ndarray, np.ndarray]:
    """File index and row number of every row of the loaded tables, concatenated."""
    file = np.repeat(np.arange(len(loaded)), [len(x.table) for x in loaded])
    rows = np.concatenate([np.asarray(x.rows) for x in loaded])
    return file, rows


def _check_repeated(loaded: list[Loaded]) -> None:
    """The same results in two files: an error naming the later file's rows and column."""
    for spec in (RESULTS_PUPILS, RESULTS_AGGREGATED):
        mine = [x for x in loaded if x.spec is spec]
        if len(mine) < 2:
            continue
        key = list(spec.key)
        out = pd.concat([x.table[key] for x in mine], ignore_index=True)
        later = np.flatnonzero(out.duplicated(key, keep="first").to_numpy())
        if not len(later):
            continue
        file, rows = _sources(mine)
        group = out.groupby(key, sort=False, dropna=False, observed=True).ngroup().to_numpy()
        first = pd.Series(np.arange(len(out))).groupby(group).transform("min").to_numpy()
        f = file[later[0]]
        these = later[file[later] == f]
        where = mine[f]
        header = where.headers.get(key[-1], key[-1])
        raise DataError(
            where.file,
            [
                Problem(
                    int(rows[i]),
                    header,
                    "одни и те же результаты есть в нескольких файлах: эти уже есть в файле "
                    f"«{mine[file[first[i]]].file}», строка {int(rows[first[i]])} — оставьте "
                    "их в одном файле",
                )
                for i in these[:200]
            ],
            total=len(these),
        )


def _check_counted_twice(loaded: list[Loaded]) -> None:
    """A school's work given per pupil and as counts would be summarised twice: refuse it."""
    pupils = [x for x in loaded if x.spec is RESULTS_PUPILS]
    counts = [x for x in loaded if x.spec is RESULTS_AGGREGATED]
    if not pupils or not counts:
        return
    per_pupil = pd.concat(
        [x.table[_WORK].assign(pupil_file=i) for i, x in enumerate(pupils)], ignore_index=True
    ).drop_duplicates(_WORK)
    file, rows = _sources(counts)
    both = (
        pd.concat([x.table[_WORK] for x in counts], ignore_index=True)
        .reset_index()
        .merge(per_pupil, on=_WORK, how="inner")
    )
    if both.empty:
        return
    f = file[both["index"].iloc[0]]
    these = both.loc[file[both["index"].to_numpy()] == f]
    where = counts[f]
    raise DataError(
        where.file,
        [
            Problem(
                int(rows[r.index]),
                where.headers.get("school_id", "Код ОО"),
                f"результаты школы «{r.school_id}» ({r.assessment}, {r.subject}, {r.grade} кл., "
                f"{r.year}) есть и по участникам в файле «{pupils[r.pupil_file].file}»: "
                "они были бы посчитаны дважды — оставьте одну форму",
            )
            for r in these.head(200).itertuples()
        ],
        total=len(these),
    )


def _ids_in_several_schools(results: pd.DataFrame) -> int:
    """How many pupil ids occur in more than one school in one work of one year."""
    if results.empty:
        return 0
    work = ["year", "assessment", "subject", "grade", "pupil_id"]
    known = results["pupil_id"].notna()
    r = results if known.all() else results.loc[known]
    if r.empty:
        return 0
    # one number per work and pupil, one per school; sorted, a work and pupil with two
    # schools is a run of equal numbers with two different schools
    code = _code(r, work)
    school, schools = pd.factorize(r["school_id"], use_na_sentinel=False)
    k = max(len(schools), 1)
    if int(code.max()) >= 2**62 // k:
        code = pd.factorize(code)[0]
    pair = np.sort(code * k + school)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]  # sorted distinct (work and pupil, school)
    same = pair[1:] // k == pair[:-1] // k  # the next pair has the same work and pupil
    return int((same & ~np.r_[False, same[:-1]]).sum())  # runs of such pairs


def _code(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal for rows equal in ``columns`` (missing values alike)."""
    code = np.zeros(len(table), dtype=np.int64)
    size = 1
    for c in columns:
        codes, uniques = pd.factorize(table[c], use_na_sentinel=False)
        k = max(len(uniques), 1)
        if size * k >= 2**62:
            code, distinct = pd.factorize(code)
            size = max(len(distinct), 1)
        code = code * k + codes
        size *= k
    return code


# ------------------------------------------------ pupil results as a Dask DataFrame


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


def _works(table: pd.DataFrame, spec: TableSpec) -> frozenset:
    """The distinct works of a table as :func:`_cells`, a missing value as None (never None).

    Two tables share a work here when pandas would group their rows together
    (missing values equal), as :func:`_duplicated` compares them.
    """
    cell = table[[k for k in spec.key if k not in ("school_id", "pupil_id")]].drop_duplicates()
    return frozenset(
        tuple(None if pd.isna(v) else v for v in row)
        for row in cell.itertuples(index=False, name=None)
    )


def _inspect_part(
    path: Path,
    partition: dict[str, str],
    shown: str,
    pseudonymize_ids: bool | str,
    known: frozenset[str],
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Read one results file on a worker and return what the checks need of it.

    Everything :func:`load_dataset` checks file by file, and small summaries for
    the checks across files; the whole table only for aggregated results (one row
    per school and work). An error is returned, not raised, so that the caller
    reports the first one in file order.
    """
    try:
        loaded, id_errors, cells, shared = _load_part(
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
            rows=len(table),
            head=table.iloc[:0],
            works=_works(table, loaded.spec),
            years=table["year"].unique().tolist(),
            # the schools' works, for _check_counted_twice
            per_school=Loaded(
                table[_WORK].drop_duplicates(),
                np.empty(0, dtype=np.int64),
                {},
                loaded.file,
                RESULTS_PUPILS,
            ),
        )
    else:
        info["loaded"] = loaded
    return info


def _connected(works: list[frozenset]) -> list[list[int]]:
    """Tables linked by a shared work, directly or through others: lists of indices.

    Examples
    --------
    >>> _connected([frozenset({1}), frozenset({2}), frozenset({1, 3}), frozenset({3})])
    [[0, 2, 3], [1]]
    """
    parent = list(range(len(works)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[object, int] = {}
    for i, cells in enumerate(works):
        for cell in cells:
            j = owner.setdefault(cell, i)
            if root(j) != root(i):
                parent[root(i)] = root(j)
    out: dict[int, list[int]] = {}
    for i in range(len(works)):
        out.setdefault(root(i), []).append(i)
    return list(out.values())


def _check_together(
    members: list[tuple[Path, dict[str, str], str]],
    checked: list[bool],
    pseudonymize_ids: bool | str,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """On a worker: the checks of :func:`load_dataset` across pupil files that share works.

    Returns the error the pandas loader raises for repeated results (as a
    value), or the count of :func:`_ids_in_several_schools` in these files.
    """
    try:
        loaded = [
            _read_part(path, partition, shown, pseudonymize_ids, limits)
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
            results = _concat(
                [(x.table, c, None) for x, c in zip(loaded + pad, flags, strict=True)],
                RESULTS_PUPILS,
            )
        except DataError as repeated:
            error = repeated
            try:
                _check_repeated(loaded + pad)
            except DataError as named:  # naming the files, rows and column, as the pandas loader
                error = named
            return {"error": (error.file, error.problems, error.total)}
    except DataError as err:
        return {"error": (err.file, err.problems, err.total)}
    return {"shared": _ids_in_several_schools(results)}


def _pupil_partition(
    part: tuple[Path, dict[str, str], str],
    offset: int,
    pseudonymize_ids: bool | str,
    meta: pd.DataFrame,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> pd.DataFrame:
    """One partition of the Dask results: one file, read on a worker as the pandas loader does.

    Its index continues the previous files' (``offset``), as in the pandas
    loader's concatenation.
    """
    path, partition, shown = part
    error = None
    try:
        table = _read_part(path, partition, shown, pseudonymize_ids, limits).table
    except DataError as err:  # e.g. the file was changed since the dataset was loaded
        error = DataError(err.file, err.problems, total=err.total)
    if error is not None:  # raised here, without the reader's exceptions as its context
        raise error
    if list(table.columns) != list(meta.columns) or not table.dtypes.equals(meta.dtypes):
        table = table.reindex(columns=meta.columns).astype(meta.dtypes.to_dict())
    table.index = pd.RangeIndex(offset, offset + len(table))
    table.attrs = dict(meta.attrs)
    return table


def _load_with_dask(
    folder: Path,
    found: dict[str, list[Path]],
    schools: pd.DataFrame,
    known: set[str],
    parts: list[tuple[Path, dict[str, str], str]],
    pseudonymize_ids: bool | str | None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Dataset:
    """:func:`load_dataset` with ``results_engine="dask"`` (after the registry is read)."""
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
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
        later = _submit_optional(pool, found, limits)
        try:
            infos = dask.compute(*inspect)
            for info in infos:  # the first error in file order wins
                if "error" in info:
                    file, problems, total = info["error"]
                    raise DataError(file, problems, total=total)
                if "exception" in info:
                    raise info["exception"]
                id_errors[info["shown"]] = info["id_errors"]
            optional = _optional_tables(found, later, known, id_errors)
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
        all(info["checked"] for _, info in pupils) and _apart([info["cells"] for _, info in pupils])
    ):
        groups = [
            g
            for g in _connected([info["works"] for _, info in pupils])
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
        aggregated = _concat(
            [(info["loaded"].table, info["checked"], info["cells"]) for _, info in counted],
            RESULTS_AGGREGATED,
        )
    except DataError:
        _check_repeated([info["loaded"] for _, info in counted])
        raise
    _check_counted_twice(
        [info["per_school"] if info["pupils"] else info["loaded"] for info in infos]
    )

    result_years = {y for _, info in pupils for y in info["years"]} | set(
        aggregated["year"].unique().tolist()
    )
    notes = _notes(shared, result_years, optional)

    with dask.config.set({"dataframe.convert-string": False}):  # keep pandas' own dtypes
        if pupils:
            heads = [info["head"] for _, info in pupils]
            meta = heads[0] if len(heads) == 1 else pd.concat(heads, ignore_index=True)
            meta.attrs = {"kind": heads[0].attrs.get("kind")}
            rows = [info["rows"] for _, info in pupils]
            offsets = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype(int).tolist()
            results = dd.from_map(
                _pupil_partition,
                [part for part, _ in pupils],
                offsets,
                args=(key, meta, limits),
                meta=meta,
                label="results",
                enforce_metadata=False,
            )
        else:
            results = dd.from_pandas(empty_table(RESULTS_PUPILS), npartitions=1)
    return Dataset(
        schools=schools,
        results=results,
        aggregates=aggregated,
        folder=folder,
        files={k: [p.name for p in v] for k, v in found.items() if v},
        notes=tuple(notes),
        **optional,
    )

"""A dataset: every table of one folder, read and checked against each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import io as _io
from .errors import DataError, Problem
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
)

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
    results : DataFrame
        Pupil-level results of every ``results*`` file that has them.
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
    results: pd.DataFrame
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
        years = set(self.results["year"].unique()) | set(self.aggregates["year"].unique())
        return sorted(int(y) for y in years)

    @property
    def municipalities(self) -> list[str]:
        """Municipalities of the registry, sorted."""
        return sorted(self.schools["municipality"].dropna().unique())

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
        for name, table in (("результаты (по участникам)", self.results),
                            ("результаты (по школам)", self.aggregates)):
            if len(table):
                by = (
                    table.groupby(["assessment", "year"], observed=True)
                    .size()
                    .unstack("year", fill_value=0)
                )
                lines.append(f"  {name}: {len(table)} строк")
                for assessment, row in by.iterrows():
                    years = ", ".join(f"{y}: {n}" for y, n in row.items() if n)
                    lines.append(f"    {assessment}: {years}")
        for name in _OPTIONAL:
            table = getattr(self, name)
            if len(table):
                lines.append(f"  {_TITLES[name]}: {len(table)} строк")
        for note in self.notes:
            lines.append(f"  примечание: {note}")
        return "\n".join(lines)


_TITLES = {
    "context": "социальный контекст",
    "staff": "кадры",
    "enrolment": "контингент",
    "risk_profiles": "рисковые профили",
    "indicators": "показатели программы",
    "plan": "план мероприятий",
}


def _files(folder: Path, stem: str, *, prefix: bool = False) -> list[Path]:
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(("~$", ".")) or p.suffix.lower() not in _io.SUFFIXES:
            continue
        name = p.stem.lower()
        if name == stem or (prefix and name.startswith(stem)):
            out.append(p)
    return out


def _check_ids(loaded: _io._Loaded, known: set[str]) -> list[Problem]:
    ids = loaded.table["school_id"]
    unknown = ~ids.isin(known) & ids.notna()
    header = loaded.headers.get("school_id", "Код ОО")
    return [
        Problem(int(loaded.rows[i]), header, f"школа «{ids.iloc[i]}» не найдена в реестре школ")
        for i in np.flatnonzero(unknown.to_numpy())
    ]


def load_dataset(folder: str | Path, *, pseudonymize_ids: bool | str | None = None) -> Dataset:
    """Read every table of a folder and check them against each other.

    Files are found by name (any case), each as ``.csv``, ``.xlsx`` or
    ``.parquet``: ``schools`` and ``results*`` (one or more files) are
    required; ``context``, ``staff``, ``enrolment``, ``risk_profiles``,
    ``indicators`` and ``plan`` are optional.

    Parameters
    ----------
    folder : str or Path
        The dataset folder.
    pseudonymize_ids : bool or str, optional
        Passed to :func:`edu_quality.read_results`.

    Returns
    -------
    Dataset

    Raises
    ------
    DataError
        A required file is missing, a table is read with errors, or a table
        names a school that is not in the registry.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> ds = load_dataset(sample_folder("inta"))
    >>> sorted(ds.aggregates["year"].unique().tolist())
    [2019, 2020, 2021, 2022]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(folder.name, f"папка с данными не найдена: {folder}")
    found: dict[str, list[Path]] = {"schools": _files(folder, "schools")}
    found["results"] = _files(folder, "results", prefix=True)
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

    schools = _io._load(found["schools"][0], [SCHOOLS], extra=_io._text_extra)
    known = set(schools.table["school_id"].dropna())
    pupils, aggregates, notes = [], [], []
    id_errors: dict[str, list[Problem]] = {}
    for path in found["results"]:
        loaded = _io._load_results(path, pseudonymize_ids=pseudonymize_ids)
        id_errors[loaded.file] = _check_ids(loaded, known)
        (pupils if loaded.spec is RESULTS_PUPILS else aggregates).append(loaded.table)
    optional: dict[str, pd.DataFrame] = {}
    for name, spec in _OPTIONAL.items():
        if not found[name]:
            optional[name] = empty_table(spec)
            continue
        extra = _io._context_extra if spec is CONTEXT else None
        loaded = _io._load(found[name][0], [spec], extra=extra)
        if "school_id" in loaded.table.columns:
            id_errors[loaded.file] = _check_ids(loaded, known)
        optional[name] = loaded.table
    for file, problems in id_errors.items():
        if problems:
            raise DataError(file, problems)

    results = _concat(pupils, RESULTS_PUPILS)
    aggregated = _concat(aggregates, RESULTS_AGGREGATED)
    result_years = set(results["year"]) | set(aggregated["year"])
    for name, table in optional.items():
        if "year" in table.columns and len(table) and result_years:
            outside = sorted(set(table["year"]) - result_years)
            if outside:
                notes.append(
                    f"в таблице «{name}» есть годы без результатов: "
                    + ", ".join(str(int(y)) for y in outside)
                )
    return Dataset(
        schools=schools.table,
        results=results,
        aggregates=aggregated,
        folder=folder,
        files={k: [p.name for p in v] for k, v in found.items() if v},
        notes=tuple(notes),
        **optional,
    )


def _concat(tables: list[pd.DataFrame], spec: TableSpec) -> pd.DataFrame:
    if not tables:
        return empty_table(spec)
    if len(tables) == 1:
        out = tables[0]
    else:
        out = pd.concat(tables, ignore_index=True)
        dup = out.duplicated(list(spec.key), keep=False)
        if dup.any():
            first = out.loc[dup].iloc[0]
            key = ", ".join(f"{k}={first[k]}" for k in spec.key)
            raise DataError(
                "results*",
                f"одни и те же результаты есть в нескольких файлах ({int(dup.sum())} строк), "
                f"например {key}",
            )
    out.attrs = {"kind": tables[0].attrs.get("kind")}
    return out

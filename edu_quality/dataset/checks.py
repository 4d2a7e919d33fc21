"""Checks across the results files of a dataset: works, repeated rows, results counted twice.

Each reader refuses repeated keys within its file; here the files are put
together (:func:`concat_parts`) and compared only where they can repeat each
other — files that share a work (year, assessment, subject, grade), or whose
reader could not check them. A repeat is then named by file, row and column
(:func:`check_repeated`); a school's work given both per pupil and as counts
is refused (:func:`check_counted_twice`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._grouping import groups
from .._russian import rows_label
from ..errors import DataError, Problem
from ..exam_years import AUTUMN, session_of
from ..io.load import Loaded
from ..schema import RESULTS_AGGREGATED, RESULTS_PUPILS, TableSpec
from .tables import empty_table, join_rows, same_categories

__all__ = [
    "SCHOOL_WORK",
    "all_works",
    "distinct_school_works",
    "check_counted_twice",
    "check_repeated",
    "concat_parts",
    "connected",
    "duplicated",
    "known_works",
    "school_works",
    "works_apart",
]

#: The columns naming a school's work: year, session, assessment, subject, grade and school.
SCHOOL_WORK = ["year", "session", "assessment", "subject", "grade", "school_id"]


def school_works(table: pd.DataFrame) -> pd.DataFrame:
    """The :data:`SCHOOL_WORK` of each row of a results table, a missing session «весна».

    The autumn and the spring works of one school year are two works
    (:func:`~edu_quality.exam_years.session_of`).
    """
    keys = [c for c in SCHOOL_WORK if c != "session"]
    return table[keys].assign(session=session_of(table))[SCHOOL_WORK]


def distinct_school_works(table: pd.DataFrame) -> pd.DataFrame:
    """The distinct rows of :func:`school_works` (a missing value is one value).

    Numbered at once by their keys' codes (``_grouping.groups``), not hashed
    row by row: a file has millions of rows. In the order of the keys.

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2024, 2024], "session": [None, "весна"],
    ...                   "assessment": "ВПР", "subject": "Математика", "grade": 5,
    ...                   "school_id": "7"})
    >>> distinct_school_works(t)[["year", "session", "school_id"]].values.tolist()
    [[2024, 'весна', '7']]
    """
    return groups(school_works(table), SCHOOL_WORK)[1]


def _autumn(session: str) -> str:
    """«, осень» after the year of an autumn work; nothing after a spring one."""
    return f", {AUTUMN}" if session == AUTUMN else ""


def known_works(table: pd.DataFrame, spec: TableSpec) -> frozenset | None:
    """The distinct works of a results table: its key without school and pupil.

    None when a work is not fully known (a missing value), so that nothing is
    concluded from it. The works are numbered at once by their keys' codes
    (``_grouping.groups``), not compared row by row: a file has millions of rows.
    """
    _, cell = groups(table, [k for k in spec.key if k not in ("school_id", "pupil_id")])
    if cell.isna().to_numpy().any():
        return None
    return frozenset(cell.itertuples(index=False, name=None))


def works_apart(cells: list[frozenset | None]) -> bool:
    """Whether the tables' works are known and no two tables share one."""
    return None not in cells and sum(map(len, cells)) == len(frozenset().union(*cells))


def all_works(table: pd.DataFrame, spec: TableSpec) -> frozenset:
    """The distinct works of a table as :func:`known_works`, a missing value as None (never None).

    Two tables share a work here when pandas would group their rows together
    (missing values equal), as :func:`duplicated` compares them.
    """
    _, cell = groups(table, [k for k in spec.key if k not in ("school_id", "pupil_id")])
    return frozenset(
        tuple(None if pd.isna(v) else v for v in row)
        for row in cell.itertuples(index=False, name=None)
    )


def connected(works: list[frozenset]) -> list[list[int]]:
    """Tables linked by a shared work, directly or through others: lists of indices.

    Examples
    --------
    >>> connected([frozenset({1}), frozenset({2}), frozenset({1, 3}), frozenset({3})])
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


def concat_parts(
    parts: list[tuple[pd.DataFrame, bool, frozenset | None]], spec: TableSpec
) -> pd.DataFrame:
    """The tables in one; an error if two rows have the same key.

    ``parts`` are (table, whether its reader already refused repeated keys within
    it, its works from :func:`known_works`). Tables that each refused repeats and
    share no work cannot repeat a key, and are not compared row by row.
    """
    tables = [t for t, _, _ in parts]
    if not tables:
        return empty_table(spec)
    if len(tables) == 1:
        out = tables[0]
    else:
        out = join_rows(same_categories(tables))
        separate = all(checked for _, checked, _ in parts) and works_apart([c for _, _, c in parts])
        dup = (
            pd.Series(False, index=out.index)
            if separate
            else duplicated(out, [(t, checked) for t, checked, _ in parts], list(spec.key))
        )
        if dup.any():
            raise DataError(
                "results*",
                f"одни и те же результаты есть в нескольких файлах ({rows_label(int(dup.sum()))}), "
                f"например: {spec.shown_key(out.loc[dup].iloc[0])}",
            )
    out.attrs = {"kind": tables[0].attrs.get("kind")}
    return out


def duplicated(
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


def _sources(loaded: list[Loaded]) -> tuple[np.ndarray, np.ndarray]:
    """File index and row number of every row of the loaded tables, concatenated."""
    file = np.repeat(np.arange(len(loaded)), [len(x.table) for x in loaded])
    rows = np.concatenate([np.asarray(x.rows) for x in loaded])
    return file, rows


def check_repeated(loaded: list[Loaded]) -> None:
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


def check_counted_twice(loaded: list[Loaded]) -> None:
    """A school's work given per pupil and as counts would be summarised twice: refuse it."""
    pupils = [x for x in loaded if x.spec is RESULTS_PUPILS]
    counts = [x for x in loaded if x.spec is RESULTS_AGGREGATED]
    if not pupils or not counts:
        return
    per_pupil = pd.concat(
        [distinct_school_works(x.table).assign(pupil_file=i) for i, x in enumerate(pupils)],
        ignore_index=True,
    ).drop_duplicates(SCHOOL_WORK)
    file, rows = _sources(counts)
    both = (
        pd.concat([school_works(x.table) for x in counts], ignore_index=True)
        .reset_index()
        .merge(per_pupil, on=SCHOOL_WORK, how="inner")
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
                f"{r.year}{_autumn(r.session)}) есть и по участникам в файле "
                f"«{pupils[r.pupil_file].file}»: "
                "они были бы посчитаны дважды — оставьте одну форму",
            )
            for r in these.head(200).itertuples()
        ],
        total=len(these),
    )

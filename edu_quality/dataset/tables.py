"""The :class:`Dataset`: every table of a folder, its empty tables, notes and summary.

A :class:`Dataset` is made by :func:`~edu_quality.dataset.load_dataset` (or,
without files, by :meth:`edu_quality.synthetic.Region.dataset`); an optional
table the folder lacks is empty, with its canonical columns (:func:`empty_table`).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from .._codes import sorted_categorical
from .._grouping import is_dask
from .._memory import LARGE
from .._pool import reading_threads
from .._russian import rows_label
from ..schema import TableSpec, dtype_of
from .files import OPTIONAL, table_files

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "Dataset",
    "compact",
    "dataset_notes",
    "empty_table",
    "holds",
    "in_one_piece",
    "join_rows",
    "same_categories",
    "same_dtype",
    "smallest_integer",
    "union_of_categories",
    "value_range",
]


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """An empty table with the canonical columns and dtypes of ``spec``.

    Examples
    --------
    >>> from edu_quality.schema import ENROLMENT
    >>> list(empty_table(ENROLMENT).columns)
    ['school_id', 'year', 'level', 'pupils']
    """
    return pd.DataFrame({c.name: pd.Series(dtype=dtype_of(c)) for c in spec.columns})


def compact(table: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """``table`` with the columns of ``spec.compact`` as pandas categoricals, ``spec.narrow`` narrowed.

    The text columns with few values keep the same strings (the categories are
    the sorted distinct values, so sorting and grouping give the same order as
    before); each row holds a small integer code instead of its own string. A
    whole-number column of ``spec.narrow`` is held in the smallest signed
    integer dtype that keeps every value of it (:func:`smallest_integer`; a
    nullable column stays nullable): a year in 16 bits, a grade or a mark in
    8. A country's pupil results (12 million rows) take 581 MiB instead of
    966 with the numbers in 64 bits (the categoricals took the table of
    4 000 schools from 204 to 94 MB), and grouping by a categorical skips
    hashing the strings. A column
    already compact, or absent, is left as it is; ``table`` itself is not
    changed.

    Examples
    --------
    >>> from edu_quality.schema import RESULTS_PUPILS
    >>> t = pd.DataFrame({"subject": ["Математика", "Русский язык", "Математика"],
    ...                   "grade": [4, 5, 4], "mark": pd.array([2, None, 5], dtype="Int64")})
    >>> c = compact(t, RESULTS_PUPILS)
    >>> c["subject"].cat.categories.tolist(), c["subject"].cat.codes.tolist()
    (['Математика', 'Русский язык'], [0, 1, 0])
    >>> str(c["grade"].dtype), str(c["mark"].dtype), c["mark"].tolist()
    ('int8', 'Int8', [2, <NA>, 5])
    >>> t["subject"].dtype == "str", str(t["grade"].dtype)
    (True, 'int64')
    """
    changed = {
        name: (
            sorted_categorical(col)
            if isinstance(col.dtype, pd.StringDtype)
            else col.astype("category")
        )
        for name in spec.compact
        if name in table.columns and not isinstance((col := table[name]).dtype, pd.CategoricalDtype)
    }
    for name in spec.narrow:
        col = table.get(name)
        if col is not None and _signed(col.dtype):
            dtype = smallest_integer(col.dtype, *value_range(col))
            if dtype != col.dtype:
                changed[name] = col.astype(dtype)
    if not changed:
        return table
    out = table.copy(deep=False)
    for name, col in changed.items():
        out[name] = col
    return out


_SIGNED = ("int8", "int16", "int32", "int64")


def value_range(col: pd.Series) -> tuple[int, int]:
    """The smallest and largest value of a whole-number column; ``(0, 0)`` when it has none.

    Examples
    --------
    >>> value_range(pd.Series([2021, 2019], dtype="int64")), value_range(pd.Series([], dtype="Int64"))
    ((2019, 2021), (0, 0))
    """
    if not col.notna().any():
        return 0, 0
    return int(col.min()), int(col.max())


def _signed(dtype: object) -> bool:
    """Whether ``dtype`` is a signed integer dtype of NumPy or a nullable one of pandas."""
    nullable = (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype)
    return isinstance(dtype, nullable) or (isinstance(dtype, np.dtype) and dtype.kind == "i")


def holds(dtype: object, low: int, high: int) -> bool:
    """Whether the whole-number ``dtype`` (NumPy or nullable) holds every value from ``low`` to ``high``.

    Examples
    --------
    >>> holds(np.dtype("int8"), 2, 5), holds(pd.Int8Dtype(), 0, 300)
    (True, False)
    """
    info = np.iinfo(getattr(dtype, "numpy_dtype", dtype))
    return bool(info.min <= low and high <= info.max)


def smallest_integer(dtype: object, low: int, high: int) -> object:
    """The smallest signed integer dtype that holds ``low`` … ``high``, nullable as ``dtype`` is.

    ``dtype`` itself when it is not a signed integer dtype of NumPy nor a nullable one of
    pandas (unsigned and Arrow-backed integers, floats and texts are left as they are).

    Examples
    --------
    >>> smallest_integer(np.dtype("int64"), 1990, 2100), smallest_integer(pd.Int64Dtype(), 2, 5)
    (dtype('int16'), Int8Dtype())
    >>> smallest_integer(np.dtype("float64"), 0, 1)
    dtype('float64')
    """
    if not _signed(dtype):
        return dtype
    nullable = not isinstance(dtype, np.dtype)
    for name in _SIGNED:
        if holds(np.dtype(name), low, high):
            return pd.api.types.pandas_dtype(name.capitalize() if nullable else name)
    return dtype


def in_one_piece(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with each Arrow-backed column held in one piece of memory.

    A text column read from Parquet comes in one chunk per row group,
    allocated among the chunks of the file's other columns. Kept for the
    dataset while the others are freed, those chunks leave Arrow's allocator
    pages it cannot give back — about 35 MB for each file of 2 million pupil
    results. Copied once into one piece, after the file's other columns are
    gone, the column leaves those pages free. The values and the dtypes are
    the same; ``table`` itself is not changed.

    Examples
    --------
    >>> import pyarrow as pa
    >>> chunks = pa.chunked_array([["P01", "P02"], ["P03"]], type=pa.large_string())
    >>> t = pd.DataFrame({"pupil_id": pd.array(chunks, dtype="str")})
    >>> one = in_one_piece(t)
    >>> one["pupil_id"].array.__arrow_array__().num_chunks, one["pupil_id"].tolist()
    (1, ['P01', 'P02', 'P03'])
    >>> one["pupil_id"].dtype == t["pupil_id"].dtype, in_one_piece(one) is one
    (True, True)
    """
    names = [
        c
        for c in table.columns
        if isinstance(table[c].array, pd.arrays.ArrowExtensionArray)
        and table[c].array.__arrow_array__().num_chunks > 1
    ]
    if not names:
        return table
    out = table.copy(deep=False)
    for name in names:
        col = out[name]
        one = pa.chunked_array([col.array.__arrow_array__().combine_chunks()])
        out[name] = pd.Series(pd.array(one, dtype=col.dtype), index=out.index)
    return out


def union_of_categories(values: Iterable[Iterable[str]]) -> pd.CategoricalDtype:
    """The categorical dtype of every value in ``values``, the categories sorted as in :func:`compact`.

    Examples
    --------
    >>> union_of_categories([["Математика"], ["Биология", "Математика"]]).categories.tolist()
    ['Биология', 'Математика']
    """
    indexes = [pd.Index(v, dtype="str") for v in values]  # an Index of texts: not copied
    if not indexes:
        return pd.CategoricalDtype(pd.Index([], dtype="str"))
    first = indexes[0]
    if first.is_monotonic_increasing and first.is_unique and all(first.equals(i) for i in indexes):
        return pd.CategoricalDtype(first)  # the files of one table share their categories
    # not sorted(set().union(*values)): a country's school codes one by one, through Python
    return pd.CategoricalDtype(first.append(indexes[1:]).unique().sort_values())


def same_categories(tables: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """``tables`` with every column categorical in all of them given the union of categories.

    ``pd.concat`` keeps a categorical column only when every table has the
    same categories (otherwise the column becomes plain objects): after this,
    the concatenated column is the one :func:`compact` would make of the
    concatenated text — the categories sorted, the codes remapped.

    Examples
    --------
    >>> a = pd.DataFrame({"subject": pd.Categorical(["Математика"])})
    >>> b = pd.DataFrame({"subject": pd.Categorical(["Биология", "Математика"])})
    >>> both = pd.concat(same_categories([a, b]), ignore_index=True)
    >>> both["subject"].cat.categories.tolist(), both["subject"].cat.codes.tolist()
    (['Биология', 'Математика'], [1, 0, 1])
    """
    if len(tables) < 2:
        return tables
    names = [
        c
        for c in tables[0].columns
        if all(c in t.columns and isinstance(t[c].dtype, pd.CategoricalDtype) for t in tables)
    ]
    union = {c: union_of_categories(t[c].cat.categories for t in tables) for c in names}
    out = []
    for t in tables:
        changed = {
            c: t[c].cat.set_categories(union[c].categories)
            for c in names
            if not t[c].cat.categories.equals(union[c].categories)
        }
        out.append(t.assign(**changed) if changed else t)
    return out


def join_rows(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat(tables, ignore_index=True)`` of tables alike, column by column.

    pandas joins the tables' blocks through its general path, which took 0,9 s
    for the 16 files of a national region's pupils (12 million rows). Where every
    table has the same columns with the same dtypes (the parts of one table, with
    :func:`same_categories`), each column is joined alone — on two threads for a
    table of :data:`~edu_quality._memory.LARGE` rows or more — and the columns are
    put together without a copy: the same table (its ``attrs`` those the tables
    share), in a fraction of the time. Otherwise it is ``pd.concat``.

    Examples
    --------
    >>> a = pd.DataFrame({"year": [2023], "mark": pd.array([5], dtype="Int8")})
    >>> b = pd.DataFrame({"year": [2024], "mark": pd.array([None], dtype="Int8")})
    >>> join_rows([a, b])["mark"].tolist()
    [5, <NA>]
    """
    first = tables[0]
    alike = first.columns.is_unique and all(
        t.columns.equals(first.columns)
        and t.columns.names == first.columns.names
        and all(map(same_dtype, t.dtypes, first.dtypes))
        for t in tables[1:]
    )
    if len(tables) < 2 or not alike or not len(first.columns):
        return pd.concat(tables, ignore_index=True)

    def column(name: object) -> pd.Series:
        return pd.concat([t[name] for t in tables], ignore_index=True)

    names = list(first.columns)
    if sum(len(t) for t in tables) >= LARGE:
        with ThreadPoolExecutor(max_workers=reading_threads()) as pool:
            joined = list(pool.map(column, names))
    else:
        joined = [column(name) for name in names]
    out = pd.DataFrame(dict(zip(names, joined, strict=True)), index=joined[0].index, copy=False)
    out.columns = first.columns
    if all(t.attrs == first.attrs for t in tables[1:]):  # as pd.concat passes them on
        out.attrs = deepcopy(first.attrs)
    return out


def same_dtype(a: object, b: object) -> bool:
    """Whether two dtypes are one: a categorical's categories in the same order too.

    Examples
    --------
    >>> same_dtype(pd.CategoricalDtype(["а", "б"]), pd.CategoricalDtype(["б", "а"]))
    False
    """
    if isinstance(a, pd.CategoricalDtype) and isinstance(b, pd.CategoricalDtype):
        return a.ordered == b.ordered and a.categories.equals(b.categories)
    return a == b and type(a) is type(b)


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
        ``load_dataset(..., results_engine="dask")``. Loaded by
        :func:`~edu_quality.dataset.load_dataset`, the text columns with few
        values (``RESULTS_PUPILS.compact``: procedure, subject, school, level,
        sex, session, reason) are pandas categoricals and the whole numbers
        (``RESULTS_PUPILS.narrow``: year, grade, marks) are in the smallest
        integer dtype that holds them (:func:`compact`).
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
    dask_years : tuple, optional
        Set by ``load_dataset(..., results_engine="dask")``: the name of the
        results' graph and the years its files hold, so that :attr:`years`
        needs no pass over the files while the results are that graph (a frame
        changed in place, or another one, has another name).
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
    dask_years: tuple[str, tuple[int, ...]] | None = field(default=None, repr=False, compare=False)

    @property
    def years(self) -> list[int]:
        """Years with results, ascending."""
        if not is_dask(self.results):
            pupils = self.results["year"].unique()
        elif self.dask_years is not None and self.dask_years[0] == self.results._name:
            pupils = self.dask_years[1]  # known from the files: no pass over them
        else:
            pupils = self.results["year"].unique().compute()
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
        >>> from edu_quality.dataset import load_dataset
        >>> from edu_quality.demo import sample_folder
        >>> ds = load_dataset(sample_folder("region"))
        >>> sorted(ds.scales()["year"].unique().tolist())
        [2020, 2021, 2022, 2023, 2024]
        """
        from ..scales import merge_scales, read_scales

        own = table_files(self.folder, "scales")
        return merge_scales(read_scales(own[0]) if own else None)

    def max_scores(self) -> pd.DataFrame:
        """The maximum primary score of every ВПР work, by year: from :meth:`scales`.

        This is the ``max_scores=`` of :func:`edu_quality.objectivity_index`
        (sign (c) of the federal method).

        Examples
        --------
        >>> from edu_quality.dataset import load_dataset
        >>> from edu_quality.demo import sample_folder
        >>> m = load_dataset(sample_folder("region")).max_scores()
        >>> int(m.query("year == 2024 and subject == 'Математика' and grade == 4")["max_score"].iloc[0])
        20
        """
        from ..scales import max_scores

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
                lines.append(f"  {name}: {rows_label(rows)}")
                for assessment, row in by.iterrows():
                    years = ", ".join(f"{y}: {n}" for y, n in row.items() if n)
                    lines.append(f"    {assessment}: {years}")
        for name in OPTIONAL:
            table = getattr(self, name)
            if len(table):
                lines.append(f"  {_TITLES[name]}: {rows_label(len(table))}")
        for note in self.notes:
            lines.append(f"  примечание: {note}")
        return "\n".join(lines)


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


def dataset_notes(shared: int, result_years: set, optional: dict[str, pd.DataFrame]) -> list[str]:
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
            outside = sorted(set(table["year"].unique().tolist()) - result_years)
            if outside:
                notes.append(
                    f"в таблице «{name}» есть годы без результатов: "
                    + ", ".join(str(int(y)) for y in outside)
                )
    return notes

"""Columns and tables of the data model, the headers users write, and a column's dtype.

A :class:`Column` is one canonical column: its kind (how a cell is parsed, see
«Kinds» in :mod:`edu_quality.schema`), whether it is required, and the headers
it appears under; a :class:`TableSpec` is a table of them. Headers are compared
after :func:`normalize_header`; :func:`dtype_of` gives the pandas dtype a
column has once loaded. The tables themselves are in
:mod:`edu_quality.schema.tables`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from numbers import Integral, Real
from typing import Any, SupportsIndex

__all__ = ["Column", "TableSpec", "dtype_of", "normalize_header", "shared_by_key"]


@dataclass(frozen=True)
class Column:
    """One canonical column of a table.

    Parameters
    ----------
    name : str
        Canonical English snake_case name.
    kind : str
        How cells are parsed (see «Kinds» in :mod:`edu_quality.schema`).
    required : bool
        Whether a file must have the column.
    aliases : tuple of str
        Headers under which users write it (compared after
        :func:`normalize_header`).
    label : str
        Russian name used in messages.
    values : Mapping, optional
        For ``category``: normalised synonym → canonical value.
    minimum : float, optional
        For ``float``: the smallest valid value (scores are never negative).
    default : object, optional
        The value of an empty cell and of the whole column when a file lacks
        it (``session``: «весна»); None: missing.
    """

    name: str
    kind: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    label: str = ""
    values: Mapping[str, str] | None = None
    minimum: float | None = None
    default: object = None

    def headers(self) -> set[str]:
        """Normalised headers that map to this column, its own name included."""
        return {normalize_header(h) for h in (self.name, *self.aliases)}


@dataclass(frozen=True)
class TableSpec:
    """A table of the data model.

    Parameters
    ----------
    name : str
        Table name, also the stem of its file in a dataset folder.
    columns : tuple of Column
        Columns in canonical order.
    key : tuple of str
        Columns that identify a row; duplicates are errors.
    description : str
        What one row is.
    compact : tuple of str
        Text columns with few distinct values that a loaded dataset holds as
        pandas categoricals (:func:`edu_quality.dataset.tables.compact`): the same
        values in a fraction of the memory, grouped faster.
    narrow : tuple of str
        Whole-number columns that a loaded dataset holds in the smallest signed
        integer dtype that keeps every value (:func:`edu_quality.dataset.tables.compact`):
        a year in 16 bits, a grade or a mark in 8.
    """

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    extra: bool = False  # whether unknown columns are kept (as text)
    compact: tuple[str, ...] = ()
    narrow: tuple[str, ...] = ()

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[Any, ...]:
        """Pickled by its key when it is one of :data:`~edu_quality.schema.TABLES` (:func:`shared_by_key`).

        The readers and checks tell tables apart by identity (``spec is
        RESULTS_PUPILS``): a table read on a Dask worker and sent back keeps it.

        Examples
        --------
        >>> import pickle
        >>> from edu_quality.schema import RESULTS_PUPILS
        >>> pickle.loads(pickle.dumps(RESULTS_PUPILS)) is RESULTS_PUPILS
        True
        """
        for key, spec in _BY_KEY.items():
            if spec is self:
                return (_table_named, (key,))
        return super().__reduce_ex__(protocol)

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        """Canonical column names in order."""
        return [c.name for c in self.columns]

    def shown_key(self, row: Mapping[str, object]) -> str:
        """A row's key as a message names it: each column by its label.

        A school year as a reader writes it; a pupil's code is not repeated (it
        may be a raw code of ФИС ОКО, which no message shows).

        Examples
        --------
        >>> from edu_quality.schema import RESULTS_PUPILS
        >>> RESULTS_PUPILS.shown_key({"year": 2021, "session": "весна", "assessment": "ВПР",
        ...     "subject": "Математика", "grade": 4.0, "school_id": "0101", "pupil_id": "P-1"})
        'Учебный год 2020/2021, Сессия весна, Процедура ВПР, Предмет Математика, Класс 4, Код ОО 0101, у одного и того же участника'
        """
        import pandas as pd

        from .._russian import school_year

        parts = []
        for name in self.key:
            col, value = self.column(name), row[name]
            if name == "pupil_id":
                parts.append("у одного и того же участника")
                continue
            if isinstance(value, Real) and not isinstance(value, Integral) and value.is_integer():
                value = int(value)
            if pd.isna(value):  # missing (None, NaN, pd.NA): a dash, never «nan»
                value = "—"
            elif col.kind == "year" and isinstance(value, Integral):
                value = school_year(int(value))
            parts.append(f"{col.label} {value}")
        return ", ".join(parts)

    @property
    def required(self) -> list[str]:
        """Names of required columns."""
        return [c.name for c in self.columns if c.required]

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Normalised header → the name of the column it names (the first column that has it).

        Built once per table: matching a file's headers is then one look-up per header.
        """
        out: dict[str, str] = {}
        for col in self.columns:
            for h in sorted(col.headers()):
                out.setdefault(h, col.name)
        return out


_ASCII_WORDS = re.compile(r"[a-z0-9_ ]+")
_EDGE = " \"'«»*.:"  # stripped from both ends (after spaces are folded)


def normalize_header(text: object) -> str:
    r"""Normalise a column header for matching.

    Lower case, «ё» as «е», non-breaking and repeated spaces folded, quotes and
    trailing punctuation removed; in a header of plain ASCII words, «_» is a
    space («school_id» is «school id»).

    Examples
    --------
    >>> normalize_header("  Код  ОО\xa0")
    'код оо'
    >>> normalize_header("Отметка по журналу:")
    'отметка по журналу'
    >>> normalize_header("School_ID")
    'school id'
    """
    s = str(text)
    if s.isascii() and s.isalnum():  # the common case: «2», «n2», «score»
        return s.lower()
    s = s.replace("\xa0", " ").lower().replace("ё", "е")
    stripped = s.strip()
    if stripped.isascii() and _ASCII_WORDS.fullmatch(stripped):
        s = s.replace("_", " ")
    return " ".join(s.split()).strip(_EDGE)


_DTYPES = {
    "id": "str",
    "text": "str",
    "category": "str",
    "year": "int64",
    "int": "Int64",
    "mark": "Int64",
    "float": "float64",
    "share": "float64",
    "bool": "boolean",
}


def dtype_of(col: Column) -> str:
    """Pandas dtype of a column after loading.

    Text is pandas' ``str``; numbers are ``float64`` with NaN for missing;
    counts and marks are nullable ``Int64``, except required whole-number
    columns (year, grade, participants), which are plain ``int64``. A loaded
    dataset holds its pupil results' whole numbers narrower
    (``TableSpec.narrow``).

    Examples
    --------
    >>> from edu_quality.schema import RESULTS_PUPILS, SCHOOLS
    >>> dtype_of(SCHOOLS.column("school_id")), dtype_of(RESULTS_PUPILS.column("grade"))
    ('str', 'int64')
    """
    if col.kind == "int" and col.required:
        return "int64"
    return _DTYPES[col.kind]


#: The tables unpickled as themselves (:meth:`TableSpec.__reduce_ex__`), by key.
_BY_KEY: dict[str, TableSpec] = {}


def shared_by_key(tables: dict[str, TableSpec]) -> dict[str, TableSpec]:
    """``tables``, each unpickled as itself, so that ``spec is X`` holds in every process.

    Examples
    --------
    >>> from edu_quality.schema import TABLES
    >>> shared_by_key(TABLES) is TABLES
    True
    """
    _BY_KEY.update(tables)
    return tables


def _table_named(key: str) -> TableSpec:
    """The table shared under ``key`` (:func:`shared_by_key`): unpickling a spec."""
    return _BY_KEY[key]

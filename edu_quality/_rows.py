"""Fast iteration over the rows of a table, as ``DataFrame.itertuples(index=False)``.

pandas 3 stores text as Arrow-backed strings, and ``itertuples`` takes their
values one element at a time (≈25 µs each); the report builders walk many
small tables row by row. :func:`iter_rows` takes the table column by column (a
NumPy number column as a list of Python numbers, any other as
``to_numpy(dtype=object)``), and makes the named tuples from its rows — the same
values (a nullable integer as a Python int), several times faster — and
keeps one tuple class per set of column names instead of making one per call.

:class:`KeyedRows` finds the rows of every key of a table once (a school's rows
of a region-wide table), so that each report takes its rows instead of
comparing the whole column again.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["KeyedRows", "iter_rows"]


@lru_cache(maxsize=512)
def _row_type(columns: tuple[str, ...]) -> type:
    return namedtuple("Pandas", columns, rename=True)


def iter_rows(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples, equal to ``frame.itertuples(index=False)``.

    Examples
    --------
    >>> t = pd.DataFrame({"a": ["x", "y"], "b": [1.5, 2.0]})
    >>> [(r.a, r.b) for r in iter_rows(t)]
    [('x', 1.5), ('y', 2.0)]
    """
    columns = tuple(str(c) for c in frame.columns)
    make = _row_type(columns)._make
    if not columns:
        return (make(()) for _ in range(len(frame)))
    return map(make, zip(*(_values(frame.iloc[:, k]) for k in range(len(columns))), strict=True))


def _values(column: pd.Series) -> list:
    """The values of ``column`` for :func:`iter_rows`: Python numbers, pandas' scalars.

    As ``itertuples`` gives them, but a nullable integer or yes/no value as Python's.
    """
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
        return column.to_numpy().tolist()  # Python's numbers, at once
    return column.to_numpy(dtype=object).tolist()


class KeyedRows:
    """The rows of a table per value of a column, found once: a key's rows are taken, not searched.

    ``rows(key)`` equals ``table.loc[table[column] == key]`` (the same rows, in
    order, with their index), for keys compared as text. The rows are put side
    by side by key once (a copy of the table), so a key's rows are a slice of
    it rather than a take from every column.

    Examples
    --------
    >>> t = pd.DataFrame({"school_id": ["a", "b", "a"], "v": [1, 2, 3]})
    >>> rows = KeyedRows(t)
    >>> rows("a")["v"].tolist(), len(rows("z")), "z" in rows
    ([1, 3], 0, False)
    """

    def __init__(self, table: pd.DataFrame, column: str = "school_id") -> None:
        groups = table.groupby(column, observed=True, sort=False).indices
        order = np.concatenate(list(groups.values())) if groups else np.empty(0, dtype=np.intp)
        # a copy with each key's rows side by side, in their order: a key's rows are a slice
        self.table = table.take(order)
        self._order = order
        self._empty = table.iloc[:0].copy()
        self._slices: dict[str, slice] = {}
        start = 0
        for key, pos in groups.items():
            self._slices[str(key)] = slice(start, start + len(pos))
            start += len(pos)

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` has rows (without taking them)."""
        return str(key) in self._slices

    def positions(self, key: object) -> np.ndarray:
        """The positions of ``key``'s rows in the table given, in order (none: empty)."""
        rows = self._slices.get(str(key))
        return self._order[rows] if rows is not None else self._order[:0]

    def __call__(self, key: object) -> pd.DataFrame:
        rows = self._slices.get(str(key))
        return self._empty if rows is None else self.table.iloc[rows]

"""Fast iteration over the rows of a table, as ``DataFrame.itertuples(index=False)``.

pandas 3 stores text as Arrow-backed strings, and ``itertuples`` takes their
values one element at a time (≈25 µs each); the report builders walk many
small tables row by row. :func:`iter_rows` takes the table whole, block by block
(``to_numpy(dtype=object)``), and makes the named tuples from its rows — the same values (a nullable integer as a Python int), several times faster — and
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
    return map(make, frame.to_numpy(dtype=object).tolist())


class KeyedRows:
    """The rows of a table per value of a column, found once: a key's rows are taken, not searched.

    ``rows(key)`` equals ``table.loc[table[column] == key]`` (the same rows, in
    order, with their index), for keys compared as text.

    Examples
    --------
    >>> t = pd.DataFrame({"school_id": ["a", "b", "a"], "v": [1, 2, 3]})
    >>> rows = KeyedRows(t)
    >>> rows("a")["v"].tolist(), len(rows("z")), "z" in rows
    ([1, 3], 0, False)
    """

    def __init__(self, table: pd.DataFrame, column: str = "school_id") -> None:
        self.table = table
        groups = table.groupby(column, observed=True, sort=False).indices
        self.positions = {str(k): v for k, v in groups.items()}

    def __contains__(self, key: object) -> bool:
        """Whether ``key`` has rows (without taking them)."""
        return str(key) in self.positions

    def __call__(self, key: object) -> pd.DataFrame:
        pos = self.positions.get(str(key))
        return self.table.iloc[:0] if pos is None else self.table.iloc[pos]

"""Fast iteration over the rows of a table, as ``DataFrame.itertuples(index=False)``.

pandas 3 stores text as Arrow-backed strings, and ``itertuples`` takes their
values one element at a time (≈25 µs each); the report builders walk many
small tables row by row. :func:`iter_rows` takes the table whole, block by block
(``to_numpy(dtype=object)``), and makes the named tuples from its rows — the same values (a nullable integer as a Python int), several times faster — and
keeps one tuple class per set of column names instead of making one per call.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import pandas as pd

__all__ = ["iter_rows"]


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

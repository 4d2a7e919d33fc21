"""Grouping keys and fast paths over distinct values, shared by the analytics.

:func:`groups` numbers the rows of a table by a list of key columns as
``DataFrame.groupby(sort=True, observed=True, dropna=False)`` would, without the
per-column passes of a pandas aggregation; :func:`on_distinct` evaluates an
element-wise function once per distinct combination of its arguments, and
:func:`on_distinct_text` one on text cells once per distinct cell.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "aggregate",
    "by_group",
    "dense_codes",
    "factorize",
    "group_mean",
    "groups",
    "is_dask",
    "on_distinct",
    "on_distinct_text",
]


def is_dask(obj: Any) -> bool:
    """Whether ``obj`` is a Dask DataFrame, without importing Dask.

    A Dask DataFrame exists only once ``dask.dataframe`` has been imported, so a
    look at :data:`sys.modules` is enough, and a pandas user never imports Dask.

    Examples
    --------
    >>> is_dask(pd.DataFrame())
    False
    """
    dd = sys.modules.get("dask.dataframe")
    return dd is not None and isinstance(obj, dd.DataFrame)


def groups(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of every row and the groups' keys, one row per group.

    The groups and their order are those of ``frame.groupby(by, sort=True,
    observed=True, dropna=False)``: each key is factorised as pandas does
    (sorted, missing last), the codes are combined into one integer per row and
    the distinct integers sorted — without the per-column passes of a pandas
    aggregation. A categorical key is taken by its codes: in the order of its
    categories, a missing value last, as pandas orders it; its column of keys
    keeps the key's dtype.
    """
    by = list(by)
    if not by:
        g = frame.groupby(by, sort=True, observed=True, dropna=False)
        return g.ngroup().to_numpy(), g.size().index.to_frame(index=False)
    n = len(frame)
    code = np.zeros(n, dtype=np.int64)
    uniques_of, size = [], 1
    for b in by:
        col = frame[b]
        if isinstance(col.dtype, pd.CategoricalDtype):
            k = len(col.dtype.categories) + 1  # the last code: a missing value
            codes = col.cat.codes.to_numpy()
            codes = np.where(codes < 0, np.int64(k - 1), codes) if (codes < 0).any() else codes
            uniques = col.dtype
        else:
            codes, uniques = factorize(col)
            k = max(len(uniques), 1)
        size *= k
        if size >= 2**62:  # too many combinations for one integer: let pandas do it
            g = frame.groupby(by, sort=True, observed=True, dropna=False)
            return g.ngroup().to_numpy(), g.size().index.to_frame(index=False)
        code *= k
        code += codes
        uniques_of.append((uniques, k))
    ids, distinct = dense_codes(code, size)
    keys = {}
    for b, (uniques, k) in zip(reversed(by), reversed(uniques_of), strict=True):
        taken = distinct % k
        distinct = distinct // k
        if isinstance(uniques, pd.CategoricalDtype):
            keys[b] = pd.Categorical.from_codes(np.where(taken == k - 1, -1, taken), dtype=uniques)
        else:
            keys[b] = uniques.take(taken)
    return ids, pd.DataFrame({b: keys[b] for b in by})


#: Integers of 8 and 16 bits: the unsigned integer of the same width whose order is theirs
#: (the sign bit flipped), so that they are ranked by counting without a wider copy.
_NARROW = {
    np.dtype(np.int8): (np.uint8, 0x80),
    np.dtype(np.int16): (np.uint16, 0x8000),
    np.dtype(np.uint8): (np.uint8, 0),
    np.dtype(np.uint16): (np.uint16, 0),
}


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(values, sort=True, use_na_sentinel=False)``, faster for small integers.

    64-bit integers spanning fewer than a million values are ranked by counting,
    and so are integers of 8 and 16 bits with more rows than their type has
    values (grades and years held compact: pandas hashes each of a country's 12
    million rows) and 64-bit floats holding such integers or NaN (the counts
    :func:`on_distinct` gets).
    """
    narrow = _NARROW.get(values.dtype)
    if narrow is not None and len(values) > np.iinfo(narrow[0]).max:  # more rows than values
        unsigned, flip = narrow
        key = values.to_numpy().view(unsigned)
        key = key ^ unsigned(flip) if flip else key  # the same order, from 0
        present = np.bincount(key, minlength=np.iinfo(unsigned).max + 1) > 0
        rank = np.cumsum(present) - 1
        found = np.flatnonzero(present).astype(unsigned)
        found = found ^ unsigned(flip) if flip else found
        return rank[key], pd.Index(found.view(values.dtype), dtype=values.dtype)
    if values.dtype == np.int64 and len(values):
        v = values.to_numpy()
        low, high = int(v.min()), int(v.max())
        if high - low < 1_000_000:
            shifted = v - low
            present = np.bincount(shifted, minlength=high - low + 1) > 0
            if present.all():  # every value between the two (years, grades): no ranking
                return shifted, pd.Index(np.arange(low, high + 1), dtype=values.dtype)
            rank = np.cumsum(present) - 1
            return rank[shifted], pd.Index(np.flatnonzero(present) + low, dtype=values.dtype)
    if values.dtype == np.float64 and len(values):
        found = _whole_numbers(values.to_numpy())
        if found is not None:
            return found
    return pd.factorize(values, sort=True, use_na_sentinel=False)


def _whole_numbers(v: np.ndarray) -> tuple[np.ndarray, pd.Index] | None:
    """:func:`factorize` of floats lying a whole number of units above their least, or NaN (counts).

    Each value must come back exactly from its code (the least value plus a
    whole number): a value off that lattice by however little is not coded.
    None for anything else — such a value, an infinity, −0.0 (pandas takes it
    as 0.0 but keeps the sign of the first zero it meets), a range of a million
    values or more — and for no number at all.
    """
    with np.errstate(invalid="ignore"):
        low, high = np.fmin.reduce(v), np.fmax.reduce(v)  # NaN skipped (all NaN: NaN)
    if not (np.isfinite(low) and np.isfinite(high)) or high - low >= 1_000_000:
        return None
    if low <= 0 <= high and (v.view(np.int64) == np.iinfo(np.int64).min).any():  # −0.0
        return None
    missing = np.isnan(v)
    with np.errstate(invalid="ignore"):
        shifted = (v - low).astype(np.int64)  # a missing value: any number, set below
    # whole numbers: each comes back from its code (a fraction, however small, does not)
    if np.count_nonzero(shifted + low == v) != len(v) - np.count_nonzero(missing):
        return None
    k = int(high - low) + 1  # the code k: a missing value, last as pandas puts it
    shifted[missing] = k
    present = np.bincount(shifted, minlength=k + 1) > 0
    rank = np.cumsum(present) - 1
    uniques = np.flatnonzero(present[:k]) + low
    if present[k]:
        uniques = np.append(uniques, np.nan)
    return rank[shifted], pd.Index(uniques, dtype="float64")


def dense_codes(code: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each code among the distinct codes (ascending), and the distinct codes.

    Rows of one group often come together (a file lists a class's pupils one
    after another): then only the first code of each run of equal codes is
    ranked, and the runs' ranks are spread back over their rows.
    """
    if size <= max(4 * len(code), 1024):
        present = np.bincount(code, minlength=size) > 0
        rank = np.cumsum(present) - 1
        return rank[code], np.flatnonzero(present)
    starts = np.r_[True, code[1:] != code[:-1]]  # the first row of each run
    if len(code) and np.count_nonzero(starts) <= len(code) // 2:
        distinct, ranks = np.unique(code[starts], return_inverse=True)
        return ranks[np.cumsum(starts) - 1], distinct
    ids, distinct = pd.factorize(code)
    order = np.argsort(distinct, kind="stable")
    rank = np.empty(len(order), dtype=np.intp)
    rank[order] = np.arange(len(order))
    return rank[ids], distinct[order]


def by_group(values: np.ndarray, ids: np.ndarray, n_groups: int) -> pd.core.groupby.SeriesGroupBy:
    """``values`` grouped by group number, for pandas' own group kernels (row order kept)."""
    group_of = pd.Categorical.from_codes(ids, categories=pd.RangeIndex(n_groups))
    return pd.Series(values, copy=False).groupby(group_of, observed=False, sort=True)


def group_mean(values: np.ndarray, ids: np.ndarray, n_groups: int) -> np.ndarray:
    """``by_group(values, ids, n_groups).mean()``: pandas' group mean, to the bit.

    pandas adds a group's values with Kahan's compensation, then divides by their
    count (NaN skipped; a group without a value is NaN). Where the values are whole
    numbers whose sums cannot reach 2⁵³ (scores), every addition is exact and the
    compensation stays zero: the sums are then counted at once (``np.bincount``),
    without pandas' kernel. Any other values go to pandas.

    Examples
    --------
    >>> group_mean(np.array([1.0, 2.0, np.nan, 4.0]), np.array([0, 0, 1, 2]), 4).tolist()
    [1.5, nan, 4.0, nan]
    """
    values = np.asarray(values, dtype="float64")
    known = ~np.isnan(values)
    given = values[known]
    exact = not len(given) or (
        bool(np.isfinite(given).all())
        and np.array_equal(given, np.floor(given))
        and float(np.abs(given).max()) * len(given) < 2.0**53
    )
    if not exact:
        return by_group(values, ids, n_groups).mean().to_numpy()
    total = np.bincount(ids, weights=np.where(known, values, 0.0), minlength=n_groups)
    count = np.bincount(ids[known], minlength=n_groups)
    mean = np.full(n_groups, np.nan)  # a group without a value: NaN as pandas writes it
    return np.divide(total, count, out=mean, where=count > 0)


def aggregate(
    frame: pd.DataFrame, by: Sequence[str], how: Mapping[str, tuple[str, str]]
) -> pd.DataFrame:
    """``frame.groupby(by, observed=True, sort=True).agg(**how).reset_index()``, faster.

    ``how`` maps each output column to ``(column, function)``, the function one
    of «size», «sum», «max», «min» or «first». The groups are numbered at once
    (:func:`groups`) and each column goes through pandas' own group kernel
    (:func:`by_group`, the rows in their order): the same values to the bit, without
    the per-key passes pandas makes over millions of rows to number them. A group
    with a missing key is left out, as pandas leaves it out.

    Examples
    --------
    >>> f = pd.DataFrame({"k": ["b", "a", "b", None], "v": [1.0, 2.0, 3.0, 4.0]})
    >>> aggregate(f, ["k"], {"n": ("v", "size"), "total": ("v", "sum")}).values.tolist()
    [['a', 1, 2.0], ['b', 2, 4.0]]
    """
    by = list(by)
    if not len(frame):
        return frame.groupby(by, observed=True, sort=True).agg(**how).reset_index()
    ids, out = groups(frame, by)
    n_groups = len(out)
    grouped: dict[str, pd.core.groupby.SeriesGroupBy] = {}
    for name, (column, func) in how.items():
        if func == "size":
            out[name] = np.bincount(ids, minlength=n_groups)
            continue
        if func not in ("sum", "max", "min", "first"):
            raise ValueError(f"aggregate: {func!r} is not size, sum, max, min or first")
        if column not in grouped:
            grouped[column] = by_group(frame[column].array, ids, n_groups)
        out[name] = getattr(grouped[column], func)().array
    return out.loc[out[by].notna().all(axis=1)].reset_index(drop=True)


def on_distinct(func, *arrays) -> tuple[np.ndarray, ...]:
    """``func(*arrays)`` evaluated once per distinct combination of the arrays' values.

    ``func`` must work element by element and return a tuple of arrays (as the
    interval functions of :mod:`edu_quality.intervals` do); a region's counts
    repeat a lot (a class of 25 with 3 «2» is everywhere), so this saves most
    of the work and gives the same numbers.
    """
    code, uniques, size = None, [], 1
    for a in arrays:  # the values of each array numbered, and the numbers combined
        codes, values = pd.factorize(np.asarray(a, dtype="float64"), use_na_sentinel=False)
        k = max(len(values), 1)
        size *= k
        if size >= 2**62:  # too many combinations for one integer: numbered as rows
            return _on_distinct_rows(func, *arrays)
        if code is None:
            code = codes
        else:
            code *= k
            code += codes
        del codes
        uniques.append((values, k))
    ids, distinct = pd.factorize(code)
    del code
    columns = []
    for values, k in reversed(uniques):
        columns.append(values[distinct % k])
        distinct = distinct // k
    results = func(*reversed(columns))
    return tuple(np.asarray(r)[ids] for r in results)


def _on_distinct_rows(func, *arrays) -> tuple[np.ndarray, ...]:
    """:func:`on_distinct` of arrays with too many distinct values to number them in one integer."""
    frame = pd.DataFrame({i: np.asarray(a, dtype="float64") for i, a in enumerate(arrays)})
    ids, distinct = groups(frame, list(frame.columns))
    results = func(*(distinct[c].to_numpy() for c in frame.columns))
    return tuple(np.asarray(r)[ids] for r in results)


def on_distinct_text(func, text: pd.Series) -> tuple[np.ndarray, ...]:
    """``func`` of the text cells ``text``, evaluated once per distinct cell and spread back.

    ``func`` takes a ``str`` Series of the distinct cells (missing ones
    included) and must work element by element, returning a tuple of Series
    or arrays: a column of marks or variants repeats a handful of cells, so
    this gives what evaluating every cell gives, for a fraction of the work.

    Examples
    --------
    >>> on_distinct_text(lambda t: (t.str.len(),), pd.Series(["ab", "c", "ab"]))[0].tolist()
    [2, 1, 2]
    """
    codes, distinct = pd.factorize(text, use_na_sentinel=False)
    results = func(pd.Series(distinct, dtype="str"))
    return tuple(np.asarray(r)[codes] for r in results)

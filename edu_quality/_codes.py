"""Codes of a text column computed once while one file is checked.

Several checks of a results file group its rows by the same column: the keys
must be unique (:func:`edu_quality.io.checks.duplicated_any`), no pupil code may
look like a name (:func:`edu_quality.names.looks_like_name`), a pupil code may
be in two schools (:func:`edu_quality.dataset.ids.ids_in_several_schools`).
Factorising the pupil codes — a table of a million distinct texts per file of
a national region — was the largest part of reading it. The two checks that
only compare codes hash them instead (:func:`text_hashes`: no table, several
times faster) and look again at the texts only where two hashes are equal;
the name check sets aside at one look the codes that cannot be names.
Within :func:`shared_codes` the codes of one Arrow-backed or categorical column
(and the hashes of an Arrow-backed one) are computed once and given to every
check that asks for them; outside it, :func:`factorize` is ``pd.factorize``. A
column made from codes already known (a column parsed once per distinct value)
is :func:`remember`-ed at once, and :func:`sorted_categorical` turns it into the
categorical the loader keeps without hashing its texts again
(:func:`sorted_from_codes`, from codes known otherwise: a Parquet dictionary's).
A categorical column is factorised by its codes, once: four checks of a file
factorised each of its categorical columns.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd

from ._text_bytes import arrow_data, chunk_bytes, text_chunks

__all__ = [
    "factorize",
    "forget",
    "known",
    "mix_hashes",
    "plain",
    "remember",
    "remembering",
    "shared_codes",
    "sorted_categorical",
    "sorted_from_codes",
    "text_hashes",
]

_local = threading.local()  # the loader reads two files at a time, one per thread


@contextmanager
def shared_codes() -> Iterator[None]:
    """Within the block, :func:`factorize` of one column is computed once (per thread).

    The columns factorised are kept alive until the block ends, so a column's
    identity names its values for as long as the codes are remembered. An
    Arrow-backed column cannot change; a categorical one must not be changed in
    place within the block (the loader only reads the columns it checks).

    Examples
    --------
    >>> s = pd.Series(["a1", "b2", "a1"], dtype="str")
    >>> with shared_codes():
    ...     first, again = factorize(s), factorize(s.copy())
    >>> first[0] is again[0], first[0].tolist()
    (True, [0, 1, 0])
    """
    previous = getattr(_local, "memo", None)
    _local.memo = {}
    try:
        yield
    finally:
        _local.memo = previous


def factorize(
    values: pd.Series, *, use_na_sentinel: bool = True
) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """``pd.factorize(values, use_na_sentinel=...)``, remembered within :func:`shared_codes`.

    Arrow-backed columns (pandas' ``str`` dtype) are remembered: their data are
    immutable, so the same Arrow array has the same codes; a copy of the Series
    shares that array. So are categorical columns, by the memory of their codes
    and their categories, which a shallow copy (``copy(deep=False)``), a
    re-indexed column and a column of a table built without a copy share. The codes
    returned may be shared: do not change them in place. Without missing values
    both ``use_na_sentinel`` give the same codes, and one computation serves both.

    A categorical column (text read from a Parquet dictionary) is factorised by
    its codes, without a look at its texts; its uniques come in the dtype of
    its categories, as they come for the same column held as text.

    Examples
    --------
    >>> factorize(pd.Series(["x", None, "x"], dtype="str"))[0].tolist()
    [0, -1, 0]
    >>> codes, uniques = factorize(pd.Series(["y", None, "x", "y"], dtype="category"))
    >>> codes.tolist(), uniques.tolist()
    ([0, -1, 1, 0], ['y', 'x'])
    """
    memo, source = _slot(values)
    if memo is None:
        return _factorize(values, use_na_sentinel)
    key, owners = source
    kept = _found(memo, key, owners)
    if kept is None:
        codes, uniques = _factorize(values, True)
        kept = memo[key] = (owners, codes, uniques, bool((codes < 0).any()))
    _, codes, uniques, missing = kept
    if missing and not use_na_sentinel:
        return _factorize(values, False)
    return codes, uniques


def _factorize(
    values: pd.Series, use_na_sentinel: bool
) -> tuple[np.ndarray, pd.Index | np.ndarray]:
    """:func:`factorize` computed: a categorical by its codes, its uniques as plain values."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype):
        # the codes factorised as integers, −1 (a missing value) among them: what pandas
        # gives, in a third of its time for the codes of 40 000 schools (no categorical
        # of the uniques is made where their categories are a plain index)
        codes, found = pd.factorize(values.array.codes)
        missing = np.flatnonzero(found < 0)
        if len(missing) and use_na_sentinel:  # a missing value: −1, not a code of its own
            at = missing[0]
            codes = np.where(codes == at, -1, codes - (codes > at))
            found = np.delete(found, at)
        categories = values.dtype.categories
        if (found < 0).any() or type(categories) is not pd.Index or categories.name is not None:
            # a missing value kept, or categories of a kind of their own (a range, dates,
            # intervals, a name): the index pandas gives, as plain values
            uniques = pd.CategoricalIndex(pd.Categorical.from_codes(found, dtype=values.dtype))
            return codes, pd.Index(plain(uniques))
        return codes, categories.take(found)
    arrow = arrow_data(values)
    if use_na_sentinel and arrow is not None and len(arrow) and arrow.null_count == len(arrow):
        # a column absent from the file (every cell missing): nothing to hash
        return np.full(len(arrow), -1, dtype=np.intp), pd.Index([], dtype=values.dtype)
    return pd.factorize(values, use_na_sentinel=use_na_sentinel)


def plain(values: pd.Series | pd.Index) -> pd.Series | pd.Index:
    """Categorical ``values`` as the values they stand for; others as they are.

    The values come in the dtype of the categories (text as text), or as
    Python objects where that dtype cannot hold a missing value among them
    (whole-number categories with a missing value).

    Examples
    --------
    >>> plain(pd.Series(["б", None, "а"], dtype="category")).tolist()
    ['б', nan, 'а']
    >>> plain(pd.Series([3, None], dtype="category")).dtype
    dtype('O')
    >>> plain(pd.Series([3, 4])).dtype
    dtype('int64')
    """
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values
    try:
        return values.astype(values.dtype.categories.dtype)
    except (TypeError, ValueError):  # a missing value among integers, say
        return values.astype(object)


def _slot(values: object) -> tuple[dict | None, tuple | None]:
    """The memo of this thread and what ``values`` are known by in it (:func:`_source`).

    (None, None) outside :func:`shared_codes` and for a column nothing is kept of.
    """
    memo = getattr(_local, "memo", None)
    source = _source(values) if memo is not None else None
    return (memo, source) if source is not None else (None, None)


def _found(memo: dict, key: object, owners: tuple) -> tuple | None:
    """What the memo keeps under ``key`` for these very arrays (an id may be reused)."""
    kept = memo.get(key)
    if kept is None or len(kept[0]) != len(owners):
        return None
    return kept if all(a is b for a, b in zip(kept[0], owners, strict=True)) else None


def _source(values: object) -> tuple[object, tuple] | None:
    """A column's key in the memo and the arrays behind it (kept alive with its codes).

    An Arrow-backed column is known by its Arrow array. A categorical one is known
    by the memory of its codes and by its categories, which the columns the checks
    of a file take of one categorical share (a shallow copy, a column renamed or
    re-indexed; a deep copy is another column). None for any other column:
    nothing is kept.
    """
    arrow = arrow_data(values)
    if arrow is not None:
        return id(arrow), (arrow,)
    if not (isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype)):
        return None
    codes = values.array.codes  # a view of the categorical's own codes
    root = codes
    while isinstance(root.base, np.ndarray):
        root = root.base
    categories = values.dtype.categories
    where = (codes.__array_interface__["data"][0], codes.shape, codes.strides, codes.dtype.str)
    return ("categorical", id(root), id(categories), where), (root, categories)


def remembering() -> bool:
    """Whether this thread is within :func:`shared_codes` (codes given are kept).

    Examples
    --------
    >>> with shared_codes():
    ...     inside = remembering()
    >>> inside, remembering()
    (True, False)
    """
    return getattr(_local, "memo", None) is not None


def remember(values: pd.Series, codes: np.ndarray, uniques: pd.Index) -> None:
    """Within :func:`shared_codes`, ``codes, uniques`` are :func:`factorize` of ``values``.

    The caller vouches that they equal ``pd.factorize(values)`` (missing values
    −1, the uniques in order of first appearance; a categorical's as the values
    they stand for). Outside the block, or for a column neither backed by Arrow
    nor categorical, nothing is kept.

    Examples
    --------
    >>> s = pd.Series(["b", "a", "b"], dtype="str")
    >>> with shared_codes():
    ...     remember(s, np.array([0, 1, 0]), pd.Index(["b", "a"], dtype="str"))
    ...     codes, _ = factorize(s)
    >>> codes.tolist()
    [0, 1, 0]
    """
    memo, source = _slot(values)
    if memo is not None:
        key, owners = source
        memo[key] = (owners, codes, uniques, bool((codes < 0).any()))


def known(values: pd.Series) -> bool:
    """Whether :func:`factorize` of ``values`` is remembered (costs nothing now).

    Examples
    --------
    >>> s = pd.Series(["a", "b"], dtype="str")
    >>> with shared_codes():
    ...     before = known(s)
    ...     _ = factorize(s)
    ...     after = known(s)
    >>> before, after
    (False, True)
    """
    memo, source = _slot(values)
    if memo is None:
        return False
    return _found(memo, *source) is not None


def forget(values: pd.Series) -> None:
    """Within :func:`shared_codes`, drop the codes kept for ``values`` (a column no longer read).

    The column and its codes are freed with the last other reference to them,
    not at the end of the block: a file's raw cells, once parsed.

    Examples
    --------
    >>> s = pd.Series(["a", "b"], dtype="str")
    >>> with shared_codes():
    ...     first = factorize(s)[0]
    ...     forget(s)
    ...     again = factorize(s)[0]
    >>> first is again
    False
    """
    memo, source = _slot(values)
    if memo is not None:
        key, _ = source
        memo.pop(key, None)
        memo.pop(("hashes", key), None)


def sorted_categorical(values: pd.Series) -> pd.Series:
    """``values.astype("category")`` of a text column, from its codes (:func:`factorize`).

    The categories are the distinct texts sorted, as pandas sorts them; the
    codes are those :func:`factorize` gives, renumbered in that order — no
    text hashed again where the codes are known.

    Examples
    --------
    >>> c = sorted_categorical(pd.Series(["б", None, "а", "б"], dtype="str"))
    >>> c.cat.categories.tolist(), c.cat.codes.tolist()
    (['а', 'б'], [1, -1, 0, 1])
    """
    codes, uniques = factorize(values)
    return pd.Series(sorted_from_codes(codes, uniques), index=values.index, name=values.name)


def sorted_from_codes(codes: np.ndarray, uniques: object) -> pd.Categorical:
    """The categorical of ``codes`` into ``uniques`` (−1 missing), its categories sorted.

    The categories are ``uniques`` sorted as pandas sorts them, as
    ``astype("category")`` of the values the codes stand for gives them when
    every one of ``uniques`` is among those values.

    Examples
    --------
    >>> c = sorted_from_codes(np.array([0, -1, 1, 0]), pd.Index(["б", "а"], dtype="str"))
    >>> c.categories.tolist(), c.codes.tolist()
    (['а', 'б'], [1, -1, 0, 1])
    """
    uniques = pd.Index(uniques)
    order = uniques.argsort()
    rank = np.empty(len(order) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    rank[-1] = -1  # a missing value (code −1) stays missing
    return pd.Categorical.from_codes(rank[codes], dtype=pd.CategoricalDtype(uniques.take(order)))


# FNV-1a, 64 bits (Fowler, Noll, Vo; draft-eastlake-fnv): offset basis and prime.
_FNV_BASIS = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MISSING_HASH = np.uint64(0x9E3779B97F4A7C15)  # a missing cell: not the hash of any text here
_HASHED_BYTES = 64  # a longer cell: hashing byte by byte would cost a pass over every row per byte


def text_hashes(values: pd.Series) -> np.ndarray | None:
    """A 64-bit hash of each cell of an Arrow-backed text column, or None.

    FNV-1a over each text's UTF-8 bytes, computed for all rows at once, one
    pass per byte position — several times faster than :func:`factorize` on a
    million distinct pupil codes, as no hash table is built. Equal texts have
    equal hashes (missing cells one of their own); different texts may share
    one, about one pair in 2⁶⁴ / n² of ``n`` distinct texts. A check that
    finds no equal hashes is done; one that finds some looks at those cells'
    texts again. None when the column is not Arrow-backed text or has a cell
    longer than 64 bytes: then :func:`factorize` it. Within :func:`shared_codes`
    they are computed once, as codes are.

    Examples
    --------
    >>> h = text_hashes(pd.Series(["P-1", None, "P-1", "P-2"], dtype="str"))
    >>> bool(h[0] == h[2]), len(set(h.tolist()))
    (True, 3)
    >>> text_hashes(pd.Series(["P-1"], dtype=object)) is None
    True
    """
    arrow = arrow_data(values)
    if arrow is None:
        return None
    memo, source = _slot(values)
    if memo is None:
        return _hashes(arrow)
    key, owners = source
    kept = _found(memo, ("hashes", key), owners)
    if kept is None:
        kept = memo[("hashes", key)] = (owners, _hashes(arrow))
    return kept[1]


def _hashes(arrow: object) -> np.ndarray | None:
    """:func:`text_hashes` of an Arrow array."""
    chunks = text_chunks(arrow)
    if chunks is None:
        return None
    out = []
    for chunk in chunks:
        text, starts, lengths = chunk_bytes(chunk)
        shortest, longest = int(lengths.min()), int(lengths.max())
        if longest > _HASHED_BYTES:
            return None
        h = np.full(len(chunk), _FNV_BASIS, dtype=np.uint64)
        at, byte = starts.copy(), np.empty(len(chunk), dtype=np.uint8)  # reused: no new pages
        for j in range(longest):
            if j < shortest:  # every text has a byte here: in place
                np.take(text, at, out=byte)
                np.bitwise_xor(h, byte, out=h)
                np.multiply(h, _FNV_PRIME, out=h)
                at += 1
            else:  # the longer texts only
                rows = np.flatnonzero(lengths > j)
                h[rows] = (h[rows] ^ text[starts[rows] + j]) * _FNV_PRIME
        if chunk.null_count:
            h[chunk.is_null().to_numpy(zero_copy_only=False)] = _MISSING_HASH
        out.append(h)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def mix_hashes(codes: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of exact codes and hashes: equal inputs, equal results.

    Examples
    --------
    >>> h = text_hashes(pd.Series(["a", "a", "b"], dtype="str"))
    >>> m = mix_hashes(np.array([0, 1, 0]), h)
    >>> len(set(m.tolist()))
    3
    """
    return (codes.astype(np.uint64) * _FNV_PRIME) ^ hashes

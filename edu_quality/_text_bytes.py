"""The bytes of an Arrow-backed text column, looked at with NumPy: no Python string per cell.

A national results file holds two million pupil codes. Parsing them as text
(trimmed, a word for a missing value set aside) and looking for names among
them ran pyarrow's string kernels over every cell, about a tenth of a second
per kernel and file. Most such columns are codes of ASCII characters only
(«P01000120001»): a look at their bytes tells at once whether any cell needs
trimming, may be such a word or has two letters side by side
(:func:`ascii_text`, :func:`pairs_of`), and the kernels run only where one might.
:func:`chunk_bytes` also serves the hashes of :mod:`edu_quality._codes`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

__all__ = ["AsciiText", "arrow_data", "ascii_text", "chunk_bytes", "pairs_of", "text_chunks"]


def arrow_data(values: object) -> object | None:
    """The Arrow array holding a Series' values, or None when it is not Arrow-backed."""
    if not isinstance(values, pd.Series):
        return None
    array = values.array
    if not isinstance(array, pd.arrays.ArrowExtensionArray):
        return None
    return array.__arrow_array__()  # the array itself, not a conversion


def text_chunks(arrow: object) -> list | None:
    """The non-empty chunks of an Arrow text array (or chunked array); None if it is not text."""
    import pyarrow as pa

    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    if not all(pa.types.is_string(c.type) or pa.types.is_large_string(c.type) for c in chunks):
        return None
    return [c for c in chunks if len(c)]


def chunk_bytes(chunk: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bytes of a non-empty Arrow text chunk, where each cell starts in them, and its length.

    The bytes are the chunk's own buffer (not copied), from its first cell's
    start; a missing cell has the length Arrow holds for it (mostly 0).
    """
    import pyarrow as pa

    _, offsets, data = chunk.buffers()
    wide = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    bounds = np.frombuffer(offsets, dtype=wide)[chunk.offset : chunk.offset + len(chunk) + 1]
    starts, lengths = bounds[:-1].astype(np.int64), np.diff(bounds).astype(np.int64)
    text = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(1, np.uint8)
    return text, starts, lengths


@dataclass(frozen=True)
class AsciiText:
    """A text column of ASCII characters only, as bytes, chunk by chunk (:func:`ascii_text`)."""

    #: per chunk: its cells' bytes one after another (not copied; a missing cell's
    #: bytes, if Arrow holds any, included), where each cell starts in them, each
    #: cell's length in bytes, and which cells hold a value (not missing)
    chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    def cells(self, per_chunk) -> np.ndarray:
        """``per_chunk(data, starts, lengths, valid)`` (an array per cell) of every chunk, joined."""
        parts = [per_chunk(*chunk) for chunk in self.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def ascii_text(values: pd.Series) -> AsciiText | None:
    """The bytes of an Arrow-backed text column whose bytes are all ASCII; None otherwise.

    Examples
    --------
    >>> t = ascii_text(pd.Series(["P-1", None, "ab"], dtype="str"))
    >>> t.cells(lambda data, starts, lengths, valid: lengths).tolist()
    [3, 0, 2]
    >>> ascii_text(pd.Series(["Иванов"], dtype="str")) is None
    True
    """
    arrow = arrow_data(values)
    chunks = None if arrow is None else text_chunks(arrow)
    if chunks is None:
        return None
    out = []
    for chunk in chunks:
        text, starts, lengths = chunk_bytes(chunk)
        begin, end = int(starts[0]), int(starts[-1] + lengths[-1])
        data = text[begin:end]
        if len(data) and data.max() >= 0x80:
            return None
        valid = chunk.is_valid().to_numpy(zero_copy_only=False)
        out.append((data, starts - begin, lengths, valid))
    return AsciiText(out)


def _is(pattern: str, data: np.ndarray) -> np.ndarray:
    """Which bytes of ASCII ``data`` the one-character regular expression ``pattern`` matches.

    Compared by ranges of bytes (a letter class is two), not looked up byte by byte.
    """
    out = np.zeros(len(data), dtype=bool)
    for low, high in _ranges(pattern):
        out |= (data >= low) & (data <= high) if low < high else data == low
    return out


@cache
def _ranges(pattern: str) -> tuple[tuple[int, int], ...]:
    """The runs of ASCII characters ``pattern`` matches, as (first, last) bytes."""
    hit = [re.fullmatch(pattern, chr(b)) is not None for b in range(128)] + [False]
    runs, start = [], None
    for b, h in enumerate(hit):
        if h and start is None:
            start = b
        elif not h and start is not None:
            runs.append((start, b - 1))
            start = None
    return tuple(runs)


def pairs_of(text: AsciiText, letter: str, joiner: str) -> np.ndarray:
    """Which cells hold two ``letter`` characters side by side, ``joiner`` between them or not.

    ``letter`` and ``joiner`` are one-character regular expressions; the cells are
    ASCII, so each character is one byte and the search is the regular expression
    ``letter joiner? letter`` over each cell (no pair runs across two cells).

    Examples
    --------
    >>> t = ascii_text(pd.Series(["P0012", "d'Ar", "a", "b-1"], dtype="str"))
    >>> pairs_of(t, "[A-Za-z]", "['-]").tolist()
    [False, True, False, False]
    """

    def per_chunk(data, starts, lengths, valid):
        out = np.zeros(len(lengths), dtype=bool)
        if len(data) < 2:
            return out
        is_letter = _is(letter, data)
        at = np.flatnonzero(is_letter[:-1] & is_letter[1:])  # the first letter of a pair
        ends = at + 1
        if len(data) > 2:
            between = _is(joiner, data[1:-1])
            joined = np.flatnonzero(is_letter[:-2] & between & is_letter[2:])
            at, ends = np.concatenate([at, joined]), np.concatenate([ends, joined + 2])
        cell = np.searchsorted(starts, at, side="right") - 1  # the cell where a pair begins
        inside = ends < starts[cell] + lengths[cell]  # and ends in the same cell
        out[cell[inside]] = True
        return out & valid

    return text.cells(per_chunk)

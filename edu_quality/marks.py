"""The words for marks: one list read by every reader of results and journals.

A methodologist's table, a school's journal export and a ФИС ОКО protocol write the
same mark as «5», «отлично», «отл» or «отл.»; a missing mark as «нет отметки»,
«н/а», «не аттестован», «осв.», «зачёт» or «нет». :func:`parse_marks` reads them all
the same way, so that a CSV and a ФИС ОКО export give the same mark for each word.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._grouping import on_distinct_text

__all__ = ["MARK_WORDS", "NO_MARK", "parse_marks"]

#: A mark written as a word (lower case, without a final full stop) → the mark 2–5.
MARK_WORDS: dict[str, int] = {
    "отлично": 5,
    "отл": 5,
    "хорошо": 4,
    "хор": 4,
    "удовлетворительно": 3,
    "удовл": 3,
    "уд": 3,
    "неудовлетворительно": 2,
    "неудовл": 2,
    "неуд": 2,
}

#: Words that say there is no mark (lower case, without a final full stop).
NO_MARK: frozenset[str] = frozenset(
    {"нет отметки", "нет", "н/а", "не аттестован", "не аттестована", "осв", "зачет", "зачёт"}
)


def parse_marks(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Read marks written as numbers or words.

    Parameters
    ----------
    text : Series of str
        The cells as text, empty string (or NaN) where the cell is empty.

    Returns
    -------
    values : Series of float
        The mark, NaN where there is none or it is not recognised. A number is kept
        as written (a range check is the caller's); «4,0» reads as 4.
    missing : Series of bool
        Empty cells and the words of :data:`NO_MARK`.
    unrecognised : Series of bool
        Cells that are neither a mark nor a missing mark (a fraction, a stray word).

    Examples
    --------
    >>> v, miss, bad = parse_marks(pd.Series(["5", "хор.", "Неуд", "н/а", "", "4,5", "пять"]))
    >>> v.tolist()[:3], miss.tolist(), bad.tolist()
    ([5.0, 4.0, 2.0], [False, False, False, True, True, False, False], \
[False, False, False, False, False, True, True])
    """
    t = text.fillna("").astype("str")
    read = on_distinct_text(_distinct_marks, t)  # a column repeats a few marks: each read once
    return tuple(pd.Series(r, index=text.index, name=text.name) for r in read)


def _distinct_marks(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """:func:`parse_marks` of ``str`` cells, element by element."""
    t = text.str.strip()
    low = t.str.lower().str.rstrip(".").str.strip()
    missing = (low == "") | low.isin(NO_MARK)
    words = low.map(MARK_WORDS)
    number = pd.to_numeric(
        low.str.replace(",", ".", regex=False).where(~missing & words.isna()), errors="coerce"
    )
    values = words.astype("float64").where(words.notna(), number)
    unrecognised = ~missing & (values.isna() | ~np.isfinite(values) | (values % 1 != 0))
    return values.where(~unrecognised & ~missing), missing, unrecognised

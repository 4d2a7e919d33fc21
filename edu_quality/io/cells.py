"""Parsing the cells of one column into the values its kind asks for.

Cells arrive as Excel gives them (numbers, dates, text) or as text from a CSV
file. :func:`parse` reads a column of any kind (text, school year, number,
share, mark, yes/no, category) and returns the values with the mask of cells
that are not what the column expects: decimal commas, spaces in numbers,
«62,5 %», marks written as words (:func:`edu_quality.marks.parse_marks`), school
years written as «2021-2022» or «2021/22», and the usual ways of writing a
missing value («н/д», «—», «нет данных»…) are all read. :func:`cast` gives the
parsed values the column's dtype.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import numpy as np
import pandas as pd

from .._codes import factorize, plain, remember, remembering, sorted_from_codes
from .._text_bytes import ascii_text
from ..marks import parse_marks
from ..schema import Column, dtype_of, normalize_header

__all__ = ["as_text", "cast", "is_missing", "parse", "parse_distinct", "parse_year"]

_MISSING = frozenset(
    {"", "nan", "none", "null", "-", "—", "–", "н/д", "нет данных", "#н/д", "n/a", "na", "#n/a"}
)


def as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text; numbers from Excel written without «.0»."""
    s = plain(s)
    if pd.api.types.is_float_dtype(s.dtype):
        whole = s.notna() & (s % 1 == 0)
        out = s.astype(str)
        out[whole] = s[whole].astype("int64").astype(str)
        return out.where(s.notna(), "")
    if s.dtype == object:
        s = s.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
    # missing values (None, NaN, pd.NA of Parquet columns) stay missing under astype(str)
    return s.astype(str).fillna("").str.replace("\xa0", " ", regex=False).str.strip()


def is_missing(t: pd.Series) -> pd.Series:
    """Text cells that say the value is missing («», «н/д», «—», «нет данных»…)."""
    return t.str.lower().isin(_MISSING)


#: lengths in bytes of the words for a missing value that an ASCII cell may be
_ASCII_MISSING_LENGTHS = np.array(sorted({len(w) for w in _MISSING if w.isascii()}))


def _as_it_is(s: pd.Series) -> pd.Series | None:
    """``s`` when text parsing leaves it as it is (Arrow ASCII cells, none to change); else None.

    No cell starts or ends with a space or a control character (nothing to trim;
    the no-break space is not ASCII), and none has the length of an ASCII word
    for a missing value (the others are not ASCII): ``as_text`` then ``is_missing``
    would give every cell back. A national file's pupil codes are looked at in
    their bytes (:mod:`edu_quality._text_bytes`), not by four kernels over every cell.
    """
    text = ascii_text(s) if s.dtype == "str" else None  # pandas' text, as parsing gives
    if text is None:
        return None

    def changes(data, starts, lengths, valid) -> bool:  # whether parsing may change a cell
        filled = np.flatnonzero(lengths > 0)
        first, last = data[starts[filled]], data[starts[filled] + lengths[filled] - 1]
        if len(filled) and min(first.min(), last.min()) <= 0x20:  # a space or control to trim
            return True
        return bool(np.isin(lengths[valid], _ASCII_MISSING_LENGTHS).any())

    return None if any(changes(*chunk) for chunk in text.chunks) else s


_NUM_CLEAN = re.compile(r"[\s\xa0\u202f']")


def _parse_number(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Return (value, bad mask, percent mask)."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        v = s.astype("float64")
        false = pd.Series(False, index=s.index)
        return v, false, false
    t = as_text(s)
    miss = is_missing(t)
    u = t.str.replace(_NUM_CLEAN, "", regex=True).str.replace(",", ".", regex=False)
    pct = u.str.endswith("%")
    u = u.str.rstrip("%")
    v = pd.to_numeric(u.where(~miss), errors="coerce").astype("float64")
    bad = ~miss & v.isna()
    return v, bad, pct & ~bad


_BOOL = {
    "да": True,
    "нет": False,
    "yes": True,
    "no": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "+": True,
    "допущен": True,
    "не допущен": False,
    "истина": True,
    "ложь": False,
    "д": True,
    "н": False,
}


def parse_year(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """School years («2021-2022», «2021/22», 2022, «2022 г.», a date) as the year they end.

    Return (years as float, bad mask).
    """
    out = pd.Series(np.nan, index=s.index, dtype="float64")
    if s.dtype == object:
        dates = s.map(lambda v: isinstance(v, (datetime, date)))
        if dates.any():
            out[dates] = s[dates].map(_year_from_date)
    t = as_text(s.where(~out.notna(), ""))
    miss = is_missing(t) & out.isna()
    span = t.str.extract(r"^(\d{4})\s*[-/–—]\s*(\d{2}|\d{4})\b")
    start = pd.to_numeric(span[0], errors="coerce")
    end = pd.to_numeric(span[1], errors="coerce")
    end = end.where(end >= 100, (start // 100) * 100 + end)
    ok_span = start.notna() & (end == start + 1)
    out = out.where(out.notna(), end.where(ok_span))
    single = pd.to_numeric(
        t.str.extract(r"^(\d{4})(?:\.0+)?(?:\s*(?:г\.?|год))?$")[0], errors="coerce"
    )
    out = out.where(out.notna(), single)
    bad = out.isna() & ~miss
    return out, bad


def _year_from_date(v: date) -> float:
    """An Excel date where a year was meant.

    A year typed into a cell formatted as a date shows as a date in 1905
    (Excel serial 2021 = 13.07.1905): the serial is the year. Any other date
    means the school year that contains it (September–August).
    """
    d = v.date() if isinstance(v, datetime) else v
    serial = (d - date(1899, 12, 30)).days
    if 1990 <= serial <= 2100:
        return float(serial)
    return float(d.year + 1 if d.month >= 9 else d.year)


def parse(col: Column, s: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Parse one column. Return (values, bad mask, what was expected)."""
    kind = col.kind
    if kind in ("id", "text"):  # any text is good
        good = pd.Series(False, index=s.index)
        plain_text = _as_it_is(s)
        if plain_text is not None:
            return plain_text, good, ""
        t = as_text(s)
        return t.where(~is_missing(t)).astype("str"), good, ""
    if kind == "year":
        v, bad = parse_year(s)
        return v, bad, "учебный год (например, «2021-2022» или 2022)"
    if kind in ("int", "float", "share"):
        v, bad, pct = _parse_number(s)
        # «inf», «1e400» and numbers beyond float precision (2**53) are no counts or scores
        bad = bad | (v.abs() >= 2**53).to_numpy()
        if kind == "share":
            v = v.where(~pct, v / 100)
            return v, bad, "доля (например, 0,25 или «25 %»)"
        if kind == "int":
            frac = v.notna() & (v % 1 != 0)
            return v, bad | frac, "целое число"
        return v, bad, "число"
    if kind == "mark":
        t = as_text(s)
        v, _, bad = parse_marks(t.where(~is_missing(t), ""))
        return v, bad, "отметка 2–5"
    if kind == "bool":
        t = as_text(s).str.lower()
        miss = is_missing(t)
        v = t.map(_BOOL)
        return v, ~miss & v.isna(), "да или нет"
    if kind == "category":
        t = as_text(s)
        miss = is_missing(t)
        values = dict(col.values or {})
        values.update({normalize_header(v): v for v in set(values.values())})
        v = t.map(lambda x: values.get(normalize_header(x)))
        allowed = ", ".join(sorted(set(values.values())))
        return v.astype("str").where(v.notna()), ~miss & v.isna(), f"одно из: {allowed}"
    raise ValueError(f"unknown column kind {kind!r}")


def cast(col: Column, v: pd.Series) -> pd.Series:
    """Parsed values in the column's dtype (nullable Int64 when an integer is missing)."""
    dtype = dtype_of(col)
    if dtype in ("int64",):
        return v.astype("float64").astype("Int64") if v.isna().any() else v.astype("int64")
    if dtype == "Int64":
        return v.astype("float64").astype("Int64")
    if dtype == "boolean":
        return v.astype("boolean")
    if dtype == "float64":
        return v.astype("float64")
    return v


# A Parquet file arrives typed and may hold millions of rows with few distinct values in
# most columns, and the columns of CSV and Excel files are mostly text with as few (years,
# subjects, marks, scores): such a column is parsed once per distinct value (parsing is
# cell by cell) and spread back, which gives exactly what parsing every cell gives. Not a
# column of mixed Python objects (numbers in an Excel sheet): there 1, 1.0 and True would
# count as one distinct value.

_DISTINCT_SAMPLE = 10_000  # rows looked at to decide whether distinct values are few
_DISTINCT_MIN = 2_000  # a shorter column is parsed cell by cell: little to save


def parse_distinct(
    col: Column, s: pd.Series, *, categorical: bool = False
) -> tuple[pd.Series, pd.Series, str]:
    """:func:`parse` of a column, parsing each distinct value once where that is the same.

    A yes/no column parsed once per distinct value comes in its nullable
    ``boolean`` dtype (the dtype :func:`cast` gives it anyway), not as Python
    objects spread over every row. ``categorical`` True: a categorical ``s`` of
    2 000 cells or more (parsed once per distinct value) parsed into text comes
    as the categorical of that text, its categories sorted (``astype("category")``
    of the text), not spelled out row by row; a shorter one comes as text.
    """
    # a categorical (text read from a Parquet dictionary): its distinct values are known,
    # never more than its cells, and parsed once each however many they are
    categories = s.cat.categories if isinstance(s.dtype, pd.CategoricalDtype) else None
    dtype = s.dtype if categories is None else categories.dtype
    text, objects = isinstance(dtype, pd.StringDtype), pd.api.types.is_object_dtype(dtype)
    head = s.iloc[:_DISTINCT_SAMPLE]
    if (
        len(s) < _DISTINCT_MIN
        or (col.kind in ("int", "float", "share") and not text and not objects)
        or (categories is None and head.nunique(dropna=False) > len(head) // 10)
        or (
            objects
            and pd.api.types.infer_dtype(s if categories is None else categories, skipna=True)
            != "string"
        )
    ):
        return parse(col, plain(s))
    codes, uniques = factorize(s)  # the layout checks' codes of these cells, if they had them
    missing = len(uniques)  # a missing cell: one more distinct value, the last
    has_missing = bool((codes < 0).any())
    codes = np.where(codes < 0, missing, codes) if has_missing else codes
    uniques = pd.Series(uniques).reindex(range(missing + 1))
    values, bad, expected = parse(col, uniques)
    if dtype_of(col) == "boolean":  # True, False or missing: typed before spread to every row
        values = values.astype("boolean")
    if categorical and categories is not None and isinstance(values.dtype, pd.StringDtype):
        # the categories: the parsed values of the cells (the last, of a missing cell, if any)
        inner, distinct = pd.factorize(values if has_missing else values.iloc[:missing])
        inner = inner[codes]
        out = pd.Series(sorted_from_codes(inner, distinct), index=s.index)
        # the distinct values in the order the cells first have them (see below)
        remember(out, inner, pd.Index(distinct))
        return out, bad.take(codes).set_axis(s.index), expected
    out = values.take(codes).set_axis(s.index)
    if remembering() and isinstance(out.dtype, pd.StringDtype) and values.iloc[-1:].isna().all():
        # codes from the cells' codes: the distinct values in the order of the cells,
        # so the parsed ones in the order they first come (a missing cell stays missing)
        inner, distinct = pd.factorize(values)
        remember(out, inner[codes], distinct)
    return out, bad.take(codes).set_axis(s.index), expected

"""Loading one file into a checked table: the internal API of the readers and of Dataset.

:func:`load` reads the grid of a file (:mod:`.raw`), takes the spec whose
columns the headers name best, maps the headers to canonical columns, parses
and checks every used column (:mod:`.cells`, :mod:`.checks`) and returns the
table with the row numbers and headers it came from (:class:`Loaded`), so that
later checks across files can name rows and columns as the user sees them.
Columns of pupil names are never read; the headers not used are listed in
``attrs["ignored_columns"]``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .._codes import forget, plain, remember
from ..errors import DataError, Problem
from ..schema import (
    SCHOOLS,
    Column,
    TableSpec,
    dtype_of,
    is_name_header,
    match_columns,
    normalize_header,
)
from .cells import as_text, cast, parse, parse_distinct
from .checks import cell_problems, layout_problems, problem_cells, validate
from .grid import Raw
from .limits import ReadLimits
from .raw import read_raw

__all__ = ["Loaded", "context_extra", "load"]


@dataclass
class Loaded:
    """A parsed table with the row numbers and headers it came from."""

    table: pd.DataFrame
    rows: np.ndarray
    headers: dict[str, str]  # canonical column → header in the file
    file: str
    spec: TableSpec


def load(
    path: str | Path,
    specs: Sequence[TableSpec],
    *,
    sheet: str | int | None = None,
    fill: dict[str, object] | None = None,
    extra: Callable[[str], str | None] | None = None,
    limits: ReadLimits | None = None,
    checks: bool = True,
    categorical: bool = False,
    columns: Collection[str] | None = None,
) -> Loaded:
    """Read, map, parse and validate one file against the best-fitting spec.

    ``extra`` maps a header that is no canonical column to the name of an extra
    column (kept, as a share) or to None (dropped); ``limits`` bound what is
    read (:class:`~.limits.ReadLimits`). ``checks`` False reads again a file
    these checks accepted and that has not changed since: its cells are parsed,
    the layout and the schema's checks are not run again. ``categorical`` True:
    a column of ``spec.compact`` read as a categorical (a Parquet dictionary)
    may come as the categorical of its text, its categories sorted, as
    ``compact`` of :mod:`edu_quality.dataset` holds it (a column parsed cell by
    cell, or filled with its default, comes as text: ``compact`` makes it so);
    otherwise every text column comes as text.

    ``columns`` (with ``checks`` False): only these canonical columns are parsed
    and returned; of a Parquet file only they are read, and its empty rows are
    kept (:func:`~.raw.read_raw`).
    """
    if columns is not None and checks:
        raise ValueError("columns: only for a file read again without its checks")
    wanted = None if columns is None else set(columns)
    raw = read_raw(path, sheet, specs, limits, columns)
    file = raw.file
    typed = Path(path).suffix.lower() == ".parquet"
    fill = {k: v for k, v in (fill or {}).items() if v is not None}
    keys = [normalize_header(h) for h in raw.headers]  # once, for every spec
    matched = [(s, match_columns(raw.headers, s, keys=keys)) for s in specs]
    spec = max(
        matched,
        key=lambda sm: (sum(n in set(sm[1].values()) for n in sm[0].required), len(sm[1])),
    )[0]
    mapping = match_columns(raw.headers, spec, keep_names=spec is SCHOOLS, keys=keys)
    if wanted is not None:
        mapping = {pos: name for pos, name in mapping.items() if name in wanted}
        fill = {k: v for k, v in fill.items() if k in wanted}
    _check_required(raw, spec, {*mapping.values(), *fill}, wanted)

    used = _used_columns(raw.headers, keys, mapping, spec, extra)
    layout = layout_problems(raw, used, spec) if checks else []
    if layout:
        raise DataError(file, layout)

    problems: list[Problem] = []
    total = 0
    values_of: dict[str, pd.Series] = {}
    headers: dict[str, str] = {}
    extras: list[Column] = []
    for pos, header in enumerate(raw.headers):
        name = mapping.get(pos)
        if name is not None:
            col = spec.column(name)
        elif extra is not None and wanted is None and not is_name_header(header):
            xname = extra(header)
            if xname is None or xname in values_of:
                continue
            col = Column(xname, "share", label=header)
            extras.append(col)
        else:
            continue
        if typed:
            as_category = categorical and col.name in spec.compact
            values, bad, expected = parse_distinct(col, raw.data[pos], categorical=as_category)
        else:
            values, bad, expected = parse(col, raw.data[pos])
        forget(raw.data[pos])  # its codes, shared by the layout checks and the parsing
        if bad.any():
            found, n = problem_cells(raw.rows, header, as_text(raw.data[pos]), bad, expected)
            problems += found
            total += n
        if raw.uncomputed or raw.merged:
            found = cell_problems(raw, pos, header, col)
            problems += found
            total += len(found)
        values_of[col.name] = values
        headers[col.name] = header
        del raw.data[pos]  # its cells, parsed: not held beside the parsed columns to come
    n = len(raw.data)
    raw.data = raw.data.iloc[:0]  # the cells, parsed: freed before the checks of the table
    for name, value in fill.items():
        col = spec.column(name)
        values, bad, expected = parse(col, pd.Series([value], dtype=object))
        if n and bad.iloc[0]:
            raise DataError(file, f"параметр {name}={value!r}: ожидается {expected}")
        values = values.take(np.zeros(n, dtype=np.intp)).set_axis(pd.RangeIndex(n))
        values_of[name] = values
        headers.setdefault(name, col.label)
    if problems:
        raise DataError(file, problems, total=total)

    ordered = [c for c in spec.columns if c.name in values_of] + extras
    parsed = {c.name: _own(cast(c, values_of[c.name])) for c in ordered}
    table = pd.DataFrame(parsed, index=pd.RangeIndex(n), copy=False)
    kept = [c for c in spec.columns if wanted is None or c.name in wanted]
    for i, col in enumerate(kept):  # a default («весна») where absent or empty:
        if col.default is not None:  # filled before the checks, as it may be part of a key
            if col.name not in table.columns:
                values = _one_value(col.default, table.index, dtype_of(col))
                table.insert(min(i, table.shape[1]), col.name, values)
            elif table[col.name].isna().any():  # filled as text (a categorical has no «весна»)
                table[col.name] = plain(table[col.name]).fillna(col.default).astype(dtype_of(col))
    if checks:
        validate(
            table,
            spec,
            raw.rows,
            headers,
            file,
            extra_kind="share" if extras else None,
            typed=typed,
        )
    for i, col in enumerate(kept):  # every canonical column, empty when absent
        if col.name not in table.columns:
            table.insert(
                min(i, table.shape[1]), col.name, _one_value(None, table.index, dtype_of(col))
            )
    # headers the loader did not use (pupil names among them): said, not lost silently
    table.attrs["ignored_columns"] = [
        h for pos, h in enumerate(raw.headers) if h and pos not in used
    ]
    return Loaded(table, raw.rows, headers, file, spec)


def _check_required(raw: Raw, spec: TableSpec, present: set[str], wanted: set[str] | None) -> None:
    """Refuse a file without a required column of ``spec`` (of ``wanted``, if given).

    ``present`` are the columns its headers name or the caller fills.
    """
    missing = [
        c
        for c in spec.columns
        if c.required and c.name not in present and (wanted is None or c.name in wanted)
    ]
    if missing:
        problems = [
            Problem(
                int(raw.rows[0]) - 1 if len(raw.rows) else None,
                c.label,
                f"нет обязательного столбца «{c.label}» (подходят заголовки: "
                + ", ".join(f"«{a}»" for a in (c.label, *c.aliases[:3]))
                + ")",
            )
            for c in missing
        ]
        raise DataError(raw.file, problems)


def _used_columns(
    headers: list[str],
    keys: list[str],
    mapping: dict[int, str],
    spec: TableSpec,
    extra: Callable[[str], str | None] | None,
) -> dict[int, str]:
    """Position → column name of every header the loader uses, repeats included.

    ``keys`` are the headers normalised (:func:`~edu_quality.schema.normalize_header`).
    """
    names = dict(mapping)
    for pos, header in enumerate(headers):
        if pos in names or not header:
            continue
        alone = match_columns([header], spec, keep_names=spec is SCHOOLS, keys=[keys[pos]])
        if alone:
            names[pos] = alone[0]
        elif extra is not None and not is_name_header(header):
            xname = extra(header)
            if xname is not None:
                names[pos] = xname
    return names


def _own(values: pd.Series) -> pd.Series:
    """``values`` as a column of the table: copied where it may be a view of the file's cells.

    A NumPy column may be a view of a block of the file's columns (Parquet's numbers
    come as one block): copied, so that the table does not keep the block alive.
    Other columns are not copied (copy-on-write keeps them apart from the cells): a
    categorical keeps the codes the file's checks counted (:mod:`edu_quality._codes`).
    """
    return values.copy() if isinstance(values.dtype, np.dtype) else values


def _one_value(value: object, index: pd.Index, dtype: str) -> pd.Series:
    """A column of ``value`` in every row (None: a missing value), in ``dtype``.

    ``pd.Series(value, index=index, dtype=dtype)``, the same column, built at once
    where pandas builds it cell by cell: text or nothing as text (Arrow), and
    missing integers and yes/no values (an array of values, as pandas fills it, and
    one of missing flags). A file of two million rows lacking five columns of these
    took 65 ms for them; now about 7. Within :func:`~edu_quality._codes.shared_codes`,
    a column of one text leaves its codes for the file's checks.
    """
    n = len(index)
    text = pd.api.types.pandas_dtype(dtype) if dtype == "str" else None
    arrow = text is not None and getattr(text, "storage", None) == "pyarrow"
    if arrow and (value is None or isinstance(value, str)):
        import pyarrow as pa

        large = pa.large_string()  # as pandas holds its text
        cells = pa.nulls(n, large) if value is None else pa.repeat(pa.scalar(value, large), n)
        array = pd.arrays.ArrowStringArray(pa.chunked_array([cells], large), dtype=text)
        out = pd.Series(array, index=index, copy=False)
        if value is not None and n:  # one text throughout: its codes known to the checks
            remember(out, np.zeros(n, dtype=np.intp), pd.Index(out.iloc[:1]))
        return out
    if value is None and dtype in ("Int64", "boolean"):
        kind = pd.arrays.IntegerArray if dtype == "Int64" else pd.arrays.BooleanArray
        values = np.ones(n, dtype=np.int64) if dtype == "Int64" else np.zeros(n, dtype=bool)
        return pd.Series(kind(values, np.ones(n, dtype=bool)), index=index, copy=False)
    return pd.Series(value, index=index, dtype=dtype)


@lru_cache(maxsize=1)
def _factor_lookup() -> dict[str, str]:
    """Normalised factor name or Russian label of the catalogue → the factor's name."""
    from ..catalogue import factor_catalogue

    cat = factor_catalogue()
    out = {normalize_header(f): f for f in cat["factor"]}
    labels = zip(cat["factor"], cat["label"], strict=True)
    out.update({normalize_header(lbl): f for f, lbl in labels})
    return out


_CONTEXT_SKIP = {h for c in SCHOOLS.columns if c.name != "school_id" for h in c.headers()}


def context_extra(header: str) -> str | None:
    """The ``extra`` of the context table: the factor a header names, or the header itself.

    None (the column is left out) for an empty header and for the registry's
    columns (name, municipality…) that a context file may repeat.
    """
    key = normalize_header(header)
    if not key or key in _CONTEXT_SKIP:
        return None
    return _factor_lookup().get(key, header.strip())

"""The pandera schema that validates a loaded table.

:func:`pandera_schema` turns a :class:`~edu_quality.schema.columns.TableSpec`
into a ``pandera.DataFrameSchema``: each column in the dtype
:func:`~edu_quality.schema.columns.dtype_of` gives, with the range or list of
values its kind allows (messages in Russian), and the table's key unique. The
only submodule of :mod:`edu_quality.schema` that imports pandera (and with it
pandas): the package imports it on first use of :func:`pandera_schema`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandera.pandas as pa

from .columns import Column, TableSpec, dtype_of

__all__ = ["pandera_schema"]


def _checks(col: Column) -> list[pa.Check]:
    if col.kind == "year":
        return [pa.Check.in_range(1990, 2100, error="год вне диапазона 1990–2100")]
    if col.kind == "mark":
        return [pa.Check.in_range(2, 5, error="отметка вне диапазона 2–5")]
    if col.kind == "int":
        return [pa.Check.ge(0, error="отрицательное количество")]
    if col.kind == "share":
        return [pa.Check.in_range(0, 1, error="доля вне диапазона 0–1")]
    if col.kind == "float" and col.minimum is not None:
        return [pa.Check.ge(col.minimum, error=f"значение меньше {col.minimum:g}")]
    if col.kind == "category" and col.values:
        allowed = sorted(set(col.values.values()))
        return [pa.Check.isin(allowed, error="допустимые значения: " + ", ".join(allowed))]
    return []


def pandera_schema(
    spec: TableSpec,
    columns: Iterable[str] | None = None,
    extra_kind: str | None = None,
    checks: Sequence[pa.Check] = (),
) -> pa.DataFrameSchema:
    """Build the pandera schema that validates a loaded table.

    Parameters
    ----------
    spec : TableSpec
        The table.
    columns : iterable of str, optional
        Columns present in the data (optional columns absent from the file are
        not checked). Defaults to every column of the spec.
    extra_kind : str, optional
        Kind of the columns that are not in the spec (``share`` for the factor
        columns of ``context``).
    checks : sequence of pandera.Check
        Table-wide checks (e.g. participants ≥ sum of marks).

    Returns
    -------
    pandera.DataFrameSchema

    Examples
    --------
    >>> from edu_quality.schema import ENROLMENT
    >>> schema = pandera_schema(ENROLMENT)
    >>> sorted(schema.columns)
    ['level', 'pupils', 'school_id', 'year']
    """
    present = list(columns) if columns is not None else spec.names
    cols: dict[str, pa.Column] = {}
    for name in present:
        try:
            col = spec.column(name)
        except KeyError:
            if extra_kind is None:
                continue
            col = Column(name, extra_kind)
        cols[name] = pa.Column(
            dtype_of(col),
            checks=_checks(col),
            nullable=not col.required,
            required=col.required,
        )
    unique = [k for k in spec.key if k in present] if spec.key else None
    # a key column that is absent but has a default (session: «весна») is one value for
    # every row: the key without it still identifies a row
    absent_constant = all(
        spec.column(k).default is not None for k in (spec.key or ()) if k not in present
    )
    return pa.DataFrameSchema(
        cols,
        checks=list(checks),
        unique=unique if unique and absent_constant else None,
        report_duplicates="all",
        strict=False,
        coerce=False,
        name=spec.name,
    )

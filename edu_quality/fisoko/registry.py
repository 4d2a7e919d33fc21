"""The ФИС ОКО school registry: each school's login, short name and municipality.

ФИС ОКО lists a region's schools as ``логин`` (``sch22NNNN``), ``имя`` (the
short name) and ``регион`` (in fact the municipality: «г. Барнаул»,
«Павловский район»). :func:`read_fisoko_registry` reads them with the schools
reader of :mod:`edu_quality.io.readers` (its headers, encodings and checks) and
maps the logins to canonical ids (:func:`~edu_quality.fisoko.common.canonical_school_id`).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..io.limits import ReadLimits
from ..io.readers import read_schools
from .common import canonical_school_id

__all__ = ["read_fisoko_registry"]


def read_fisoko_registry(
    path: str | Path, *, sheet: str | int | None = None, limits: ReadLimits | None = None
) -> pd.DataFrame:
    r"""Read the ФИС ОКО school registry (``логин``, ``имя``, ``регион``).

    Parameters
    ----------
    path : str or Path
        The registry (``.xlsx``, ``.csv`` or ``.parquet``).
    sheet : str or int, optional
        Excel sheet; the one visible sheet with the table by default.
    limits : ReadLimits, optional
        How large the file may be (:class:`edu_quality.io.ReadLimits`).

    Returns
    -------
    pandas.DataFrame
        ``school_id`` (canonical ``sch…``), ``name`` (short name),
        ``municipality`` (as the registry writes it, e.g. «г. Барнаул»,
        «Павловский район»), ``group`` and ``locality`` (empty: the ФИС ОКО
        registry does not have them; read when a registry has a column for
        them, as in :data:`edu_quality.schema.SCHOOLS`). ``attrs["ignored_columns"]``:
        the headers of the columns not read.

    Raises
    ------
    DataError
        A missing column, an empty login, name or municipality, a duplicated
        login, or a group or locality that is none of the known values.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "schools_registry.csv"
    >>> _ = p.write_text("логин;имя;регион\nedu224145;МБОУ СОШ №7;г. Алейск\n", encoding="utf-8")
    >>> read_fisoko_registry(p).iloc[0, :3].tolist()
    ['sch224145', 'МБОУ СОШ №7', 'г. Алейск']
    """
    table = read_schools(path, sheet=sheet, limits=limits)
    out = table[["school_id", "name", "municipality", "group", "locality"]].copy()
    out.attrs = dict(table.attrs)
    out["school_id"] = canonical_school_id(out["school_id"])
    dup = out["school_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(
            Path(path).name,
            "одна и та же школа записана дважды (логины sch… и "
            "edu… одной школы): " + ", ".join(sorted(set(out.loc[dup, "school_id"]))[:10]),
        )
    return out

"""The ФИС ОКО school registry: each school's login, short name and municipality.

ФИС ОКО lists a region's schools as ``логин`` (``sch22NNNN``), ``имя`` (the
short name) and ``регион`` (in fact the municipality: «г. Барнаул»,
«Павловский район»). :func:`read_fisoko_registry` finds these columns by the
headers the schools table accepts (:data:`edu_quality.schema.SCHOOLS`) and
maps the logins to canonical ids (:func:`~edu_quality.fisoko.common.canonical_school_id`).

The registry is read here, like the other ФИС ОКО files, not with
:func:`edu_quality.io.read_schools`: :mod:`edu_quality.io` reads ФИС ОКО
exports through this package, so this package does not import it back.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..schema import SCHOOLS, match_columns, normalize_header
from .common import canonical_school_id, cells, named_sheet, open_workbook, sheet_grid

__all__ = ["read_fisoko_registry"]

#: Rows looked at for the header row (a title may stand above it).
_HEADER_SEARCH_ROWS = 30
_COLUMNS = ("school_id", "name", "municipality")
_OPTIONAL = ("group", "locality")


def read_fisoko_registry(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read the ФИС ОКО school registry (``логин``, ``имя``, ``регион``).

    Parameters
    ----------
    path : str or Path
        The registry (``.xlsx``, ``.csv`` or ``.parquet``).
    sheet : str or int, optional
        Excel sheet; the first visible sheet by default.

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
    >>> _ = p.write_text("логин;имя;регион\\nedu224145;МБОУ СОШ №7;г. Алейск\\n", encoding="utf-8")
    >>> read_fisoko_registry(p).iloc[0, :3].tolist()
    ['sch224145', 'МБОУ СОШ №7', 'г. Алейск']
    """
    path = Path(path)
    file = path.name
    grid = _registry_grid(path, sheet)
    h, columns = _registry_header(grid, file)
    out = _registry_table(grid, h, columns, file)
    dup = out["school_id"].duplicated(keep=False)
    if dup.any():
        raise DataError(
            file,
            "одна и та же школа записана дважды (логины sch… и "
            "edu… одной школы): " + ", ".join(sorted(set(out.loc[dup, "school_id"]))[:10]),
        )
    return out


def _registry_grid(path: Path, sheet: str | int | None) -> list[list[Any]]:
    """Every row of the file as a list of cells (the sheet's, for a workbook)."""
    file = path.name
    if not path.exists():
        raise DataError(file, f"файл не найден: {path}")
    if path.is_dir():
        raise DataError(file, "указана папка, а не файл")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        wb = open_workbook(path)
        if sheet is None:
            visible = [m.name for m in wb.sheets_metadata if "hidden" not in str(m.visible).lower()]
            name = (visible or list(wb.sheet_names))[0]
        else:
            name = named_sheet(wb, file, sheet)
        return sheet_grid(wb, name, file)
    if suffix in (".csv", ".txt", ".tsv"):
        raw = path.read_bytes()
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = raw.decode("utf-16")
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("cp1251", errors="replace")
        head = "\n".join(text.splitlines()[:_HEADER_SEARCH_ROWS])
        delimiter = max((";", "\t", ","), key=head.count)
        return list(csv.reader(io.StringIO(text), delimiter=delimiter))
    if suffix == ".parquet":
        try:
            data = pd.read_parquet(path)
        except Exception as exc:
            raise DataError(file, f"файл Parquet повреждён ({exc})") from None
        return [list(data.columns), *(list(r) for r in data.itertuples(index=False, name=None))]
    if suffix == ".xls":
        raise DataError(file, "старый формат .xls не поддерживается: сохраните файл как .xlsx")
    raise DataError(file, f"неизвестный формат «{suffix}»: ожидается .csv, .xlsx или .parquet")


def _registry_header(grid: list[list[Any]], file: str) -> tuple[int, dict[str, int]]:
    """The header row (0-based) and the position of each column the registry has."""
    best_i, best = -1, 0
    for i, row in enumerate(grid[:_HEADER_SEARCH_ROWS]):
        found = len(match_columns(["" if v is None else str(v) for v in row], SCHOOLS,
                                  keep_names=True))
        if found > best:
            best_i, best = i, found
    if best < 2:
        expected = ", ".join(c.label for c in SCHOOLS.columns if c.required)
        raise DataError(
            file,
            f"не найдена строка заголовков: в первых {_HEADER_SEARCH_ROWS} строках нет столбцов "
            f"таблицы ({expected})",
        )
    headers = ["" if v is None else str(v) for v in grid[best_i]]
    mapping = {name: pos for pos, name in match_columns(headers, SCHOOLS, keep_names=True).items()}
    missing = [SCHOOLS.column(c) for c in _COLUMNS if c not in mapping]
    if missing:
        row = best_i + 1 if len(grid) > best_i + 1 else None
        raise DataError(
            file,
            [
                Problem(row, c.label,
                        f"нет обязательного столбца «{c.label}» (подходят заголовки: "
                        + ", ".join(f"«{a}»" for a in (c.label, *c.aliases[:3])) + ")")
                for c in missing
            ],
        )
    return best_i, {c: mapping[c] for c in (*_COLUMNS, *_OPTIONAL) if c in mapping}


def _registry_table(
    grid: list[list[Any]], h: int, columns: dict[str, int], file: str
) -> pd.DataFrame:
    """The schools below the header row; empty rows skipped, invalid cells refused."""
    headers = ["" if v is None else str(v).strip() for v in grid[h]]
    width = len(grid[h])
    body = [list(r[:width]) + [None] * (width - len(r)) for r in grid[h + 1 :]]
    data = pd.DataFrame(body, columns=range(width), dtype=object)
    text = pd.DataFrame({c: cells(data[pos]) for c, pos in columns.items()})
    rows = np.arange(h + 2, h + 2 + len(data))
    filled = np.zeros(len(data), bool)
    for pos in range(width):
        filled |= (cells(data[pos]) != "").to_numpy()
    text, rows = text[filled].reset_index(drop=True), rows[filled]
    n = len(text)
    out = pd.DataFrame({"school_id": canonical_school_id(text["school_id"].astype(object))})
    for c in ("name", "municipality"):
        out[c] = text[c].astype("str")
    bad = {}
    for c in _OPTIONAL:
        out[c], bad[c] = _category(text[c] if c in text else pd.Series([""] * n, dtype="str"), c)
    empty = text[list(_COLUMNS)] == ""
    login = text["school_id"]
    repeated = (login.ne("") & login.duplicated(keep=False)).to_numpy()
    problems = []
    for i in np.flatnonzero(empty.any(axis=1).to_numpy() | repeated | bad["group"]
                            | bad["locality"]):
        row, header = int(rows[i]), headers[columns["school_id"]]
        if repeated[i]:
            problems.append(Problem(row, header, f"повторяющаяся запись: совпадают {header}"))
        problems += [
            Problem(row, headers[columns[c]], "пустое значение в обязательном столбце")
            for c in _COLUMNS
            if empty[c].iloc[i]
        ]
        problems += [
            Problem(row, headers[columns[c]], f"значение «{text[c].iloc[i]}» не распознано: "
                    f"ожидается одно из: {_allowed(c)}")
            for c in _OPTIONAL
            if bad[c][i]
        ]
    if problems:
        raise DataError(file, problems)
    out.attrs["ignored_columns"] = [
        x for pos, x in enumerate(headers) if x and pos not in columns.values()
    ]
    return out


def _allowed(column: str) -> str:
    """The values of ``group`` or ``locality``, for a message."""
    return ", ".join(sorted(set((SCHOOLS.column(column).values or {}).values())))


def _category(text: pd.Series, column: str) -> tuple[pd.Series, np.ndarray]:
    """Cells of ``group`` or ``locality`` as their canonical value, and the unknown ones."""
    values = dict(SCHOOLS.column(column).values or {})
    values.update({normalize_header(v): v for v in set(values.values())})
    out = text.map(lambda x: values.get(normalize_header(x)) if x else None)
    return out.astype("str").where(out.notna()), ((text != "") & out.isna()).to_numpy()

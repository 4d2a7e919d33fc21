"""An official list of schools marked by the federal objectivity method, as a region receives it.

The list is compared with the toolkit's own marks by
:func:`edu_quality.objectivity.compare_with_list`; reports take it with the
command-line option ``--official-list``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import DataError, Problem
from ..schema import SCHOOLS, Column, TableSpec
from .limits import ReadLimits
from .load import load

__all__ = ["OFFICIAL_LIST", "OFFICIAL_WORKS", "read_official_list"]

#: The works a list may name, as regions' lists write them.
OFFICIAL_WORKS = ("4 РУ", "4 МА", "5 РУ", "5 МА", "ОГЭ РУ", "ОГЭ МА", "4→5 РУ", "4→5 МА")
_WIDE = {
    w: "work_" + re.sub(r"\W+", "_", w.replace("→", "to")).strip("_").lower()
    for w in OFFICIAL_WORKS
}
#: Cells of a work column that put the school × work on the list.
YES = frozenset({"да", "+", "1", "x", "х", "v", "✓", "есть", "true", "истина"})
#: Cells that do not.
NO = frozenset({"", "нет", "-", "−", "—", "0", "false", "ложь"})

OFFICIAL_LIST = TableSpec(
    "official_list",
    (
        SCHOOLS.column("school_id"),
        Column("work", "text", aliases=("работа", "работы", "предмет и класс"), label="Работа"),
        *(
            Column(name, "text", aliases=(work, work.replace("→", "->")), label=work)
            for work, name in _WIDE.items()
        ),
    ),
    description="one row per school (or per school and work) of an official list",
)


def _work_name(text: str) -> str | None:
    """A work as :data:`OFFICIAL_WORKS` writes it, or None when it is not one."""
    s = " ".join(str(text).replace("->", "→").upper().replace("Ё", "Е").split())
    s = re.sub(r"\s*→\s*", "→", s)
    return s if s in OFFICIAL_WORKS else None


def read_official_list(path: str | Path, *, limits: ReadLimits | None = None) -> pd.DataFrame:
    r"""Read an official list of schools marked by the federal objectivity method.

    The file (CSV, XLSX or Parquet) has a school id column («Код ОО»,
    «логин», ``school_id``…) and, optionally, the works: either a column
    «Работа» (one row per school and work: «4 РУ», «5 МА», «ОГЭ РУ»,
    «4→5 МА»), or one column per work headed «4 РУ», «4 МА», «5 РУ», «5 МА»…
    with «да» / «+» / «1» where the school is marked on that work and an
    empty cell, «нет» or «0» where it is not.

    Parameters
    ----------
    path : str or Path
    limits : ReadLimits, optional
        How large the file may be (:class:`edu_quality.io.ReadLimits`).

    Returns
    -------
    pandas.DataFrame
        ``school_id`` (as written, stripped), ``work`` (a label of
        :data:`OFFICIAL_WORKS`, missing when the list names no work), ``row``
        (the row in the file); one row per school and work.

    Raises
    ------
    DataError
        No school id column, an empty id, an unknown work or an unreadable
        cell of a work column, or no school at all — naming the file, the row
        and the column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "list.csv"
    >>> _ = p.write_text("Код ОО;4 РУ;5 МА\n01001;да;\n01002;;+\n", encoding="utf-8")
    >>> read_official_list(p)[["school_id", "work"]].values.tolist()
    [['01001', '4 РУ'], ['01002', '5 МА']]
    """
    loaded = load(path, [OFFICIAL_LIST], limits=limits)
    t, file = loaded.table, loaded.file
    rows = list(loaded.rows)
    problems: list[Problem] = []
    ids = t["school_id"].astype("string").str.strip()
    header_id = loaded.headers.get("school_id", "Код ОО")
    for i in range(len(t)):
        if pd.isna(ids.iloc[i]) or ids.iloc[i] == "":
            problems.append(Problem(int(rows[i]), header_id, "не указан код ОО"))
    wide = [(w, n) for w, n in _WIDE.items() if n in loaded.headers]
    out: list[tuple[str, object, int]] = []
    for i in range(len(t)):
        sid, row = ids.iloc[i], int(rows[i])
        works: list[object] = []
        if (
            "work" in loaded.headers
            and pd.notna(t["work"].iloc[i])
            and str(t["work"].iloc[i]).strip()
        ):
            work = _work_name(t["work"].iloc[i])
            if work is None:
                problems.append(
                    Problem(
                        row,
                        loaded.headers["work"],
                        f"неизвестная работа «{t['work'].iloc[i]}»; возможны: "
                        + ", ".join(OFFICIAL_WORKS),
                    )
                )
            works.append(work)
        for work, name in wide:
            cell = t[name].iloc[i]
            text = "" if pd.isna(cell) else str(cell).strip().lower()
            if text in YES:
                works.append(work)
            elif text not in NO:
                problems.append(
                    Problem(
                        row,
                        loaded.headers[name],
                        f"значение «{cell}» не понятно: ожидается «да» / «+» / «1» "
                        "или пустая ячейка / «нет» / «0»",
                    )
                )
        out += [(sid, w, row) for w in works or [pd.NA]]
    if problems:
        raise DataError(file, problems)
    if not out:
        raise DataError(file, [Problem(None, None, "в списке нет ни одной школы")])
    table = pd.DataFrame(out, columns=["school_id", "work", "row"])
    table = table.astype({"school_id": "str", "work": "string", "row": "Int64"})
    return table.drop_duplicates(["school_id", "work"], ignore_index=True)

"""Readers for the files methodologists have.

Every reader takes a ``.csv`` (UTF-8 with or without BOM, or cp1251; ``;``,
``,`` or tab separators), an ``.xlsx`` or a ``.parquet`` file, finds the header
row (title rows above it are skipped), maps Russian or English headers to the
canonical columns of :mod:`edu_quality.schema`, parses the cells (decimal
commas, spaces in numbers, «62,5 %», marks written as words, school years
written as «2021-2022» or «2021/22»), validates the table with its pandera
schema and returns a tidy DataFrame.

Every problem raises :class:`edu_quality.errors.DataError` naming the file, the
row as the user sees it and the column, with all the problems of the file
listed. Columns of pupil names (ФИО, фамилия, имя, отчество in any spelling) are
dropped on reading and never stored; the headers a reader did not use are listed
in ``attrs["ignored_columns"]``.

Broken files are read as Excel shows them or refused, never half-read
(``tests/hostile`` holds one file per case): UTF-16, KOI8-R and CP866 text is
recognised; text decoded twice («ÐšÐ¾Ð´»), mixed encodings, formulas saved
without their values, Excel error values, a second table beside or below the
first, a table on several sheets or only on a hidden one, an «Итого» row and a
number merged over several rows are errors; a header over two rows of merged
cells, merged labels and numbers typed as headers (2, 3, 4, 5) are read.

Nothing is read beyond the bounds of a :class:`ReadLimits` (the parameter
``limits`` of every reader): a file that is no regular file (a pipe, a device),
too large, too wide, a workbook that unpacks to gigabytes or a sheet with a
stray cell at XFD1048576 is refused before it is read.

The modules, from the bottom up: :mod:`.limits` (the bounds, and what a path
must be), :mod:`.csv_text` (decoding CSV text), :mod:`.cells` (parsing cells),
:mod:`.grid` (the grid of a file and its header row), :mod:`.archive` (a
workbook's archive and its sheets' extent, checked before they are read),
:mod:`.excel` (workbooks), :mod:`.raw` (any file into the grid),
:mod:`.checks` (checks and their problems), :mod:`.load` (one file into a
checked table), :mod:`.readers` and :mod:`.results` (the public readers).

The names below are imported on first use (PEP 562): :mod:`.limits` alone
imports no pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

#: Public name → the module it lives in, imported on first use.
_EXPORTS = {
    "DEFAULT_LIMITS": "limits",
    "ReadLimits": "limits",
    "read_official_list": "official",
    "SUFFIXES": "raw",
    "read_context": "readers",
    "read_enrolment": "readers",
    "read_indicators": "readers",
    "read_plan": "readers",
    "read_risk_profiles": "readers",
    "read_schools": "readers",
    "read_staff": "readers",
    "read_results": "results",
}

if TYPE_CHECKING:  # for type checkers and IDEs: the names as plain imports
    from .limits import DEFAULT_LIMITS, ReadLimits
    from .official import read_official_list
    from .raw import SUFFIXES as SUFFIXES
    from .readers import (
        read_context,
        read_enrolment,
        read_indicators,
        read_plan,
        read_risk_profiles,
        read_schools,
        read_staff,
    )
    from .results import read_results

__all__ = [
    "DEFAULT_LIMITS",
    "ReadLimits",
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_official_list",
    "read_plan",
    "read_results",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, (), __all__)

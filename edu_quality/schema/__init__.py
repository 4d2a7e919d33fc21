"""The data model: one table per concept, its columns, and the headers users write.

Each table is a :class:`TableSpec`: canonical English snake_case columns with
their kind (how a cell is parsed), whether the column is required, and the
headers (Russian or English, any case, stray spaces) under which it appears in
methodologists' files. The loaders in :mod:`edu_quality.io` map headers with
:func:`match_columns`, parse cells by kind, and validate the result with the
pandera schema from :func:`pandera_schema`.

Kinds
-----
``id``       text identifier (``"5"``, ``"sch220001"``), kept as a string
``text``     free text
``year``     calendar year of the end of the school year («2021-2022» → 2022)
``int``      whole number ≥ 0 (counts)
``float``    number (decimal comma and spaces allowed)
``share``    share 0–1 («62,5 %» → 0.625)
``mark``     mark 2–5 (also written as text: «5», «отлично»)
``bool``     yes/no («да», «нет», «+», 1, 0)
``category`` one of a fixed list of values (with synonyms)

Years and sessions
------------------
A ``year`` is the calendar year in which the school year ends. Results have
an optional ``session``, «весна» (the default: a file without the column is
spring throughout) or «осень»: the ВПР of autumn 2020 are ``year`` 2021,
``session`` «осень», ``grade`` the pupils' grade and ``work_grade`` the
work's (:mod:`edu_quality.exam_years`).

Submodules
----------
``vocabularies`` the values of ``category`` columns and their synonyms (:data:`ASSESSMENTS`, …)
``columns``      :class:`Column`, :class:`TableSpec`, :func:`normalize_header`, :func:`dtype_of`
``tables``       the tables (:data:`SCHOOLS`, :data:`RESULTS_PUPILS`, …) and :data:`TABLES`
``matching``     :func:`match_columns`, pupil-name headers (:func:`is_name_header`)
``validation``   :func:`pandera_schema`; imported on first use, as pandera is slow to import
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports
from .columns import Column, TableSpec, dtype_of, normalize_header
from .matching import NAME_HEADERS, is_name_header, match_columns
from .tables import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    PLAN,
    RESULTS_AGGREGATED,
    RESULTS_PUPILS,
    RISK_PROFILES,
    SCHOOLS,
    STAFF,
    TABLES,
)
from .vocabularies import (
    ASSESSMENTS,
    DIRECTIONS,
    GROUPS,
    LEVELS_EDU,
    LOCALITIES,
    SESSION_VALUES,
    SIGNIFICANCE,
    TRACKS,
)

#: Public name → the submodule it lives in, imported on first use: pandera (and with it
#: pandas) is imported only by a caller that validates, not by every user of the specs.
_EXPORTS = {"pandera_schema": "validation"}

if TYPE_CHECKING:  # for type checkers and IDEs: the name as a plain import
    from .validation import pandera_schema

__all__ = [
    "ASSESSMENTS",
    "CONTEXT",
    "DIRECTIONS",
    "ENROLMENT",
    "GROUPS",
    "INDICATORS",
    "LEVELS_EDU",
    "LOCALITIES",
    "NAME_HEADERS",
    "PLAN",
    "RESULTS_AGGREGATED",
    "RESULTS_PUPILS",
    "RISK_PROFILES",
    "SCHOOLS",
    "SESSION_VALUES",
    "SIGNIFICANCE",
    "STAFF",
    "TABLES",
    "TRACKS",
    "Column",
    "TableSpec",
    "dtype_of",
    "is_name_header",
    "match_columns",
    "normalize_header",
    "pandera_schema",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, (), __all__)

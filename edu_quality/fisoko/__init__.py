"""ФИС ОКО exports: ВПР results, the school registry and the context questionnaire.

ФИС ОКО (the federal information system for quality assessment) gives a
region's methodologists their ВПР results, the register of their schools and
the schools' answers to the context questionnaire as Excel files. This
package reads each of them into the canonical tables of the data model and
imports a region's files into a dataset folder.

Modules
-------
:mod:`~edu_quality.fisoko.common`
    Helpers shared by the readers: canonical school ids, cells as text, file
    names, opening a workbook, the data-quality report.
:mod:`~edu_quality.fisoko.vpr`
    The ВПР export (:func:`read_fisoko_vpr`), a pipeline of stages, with the
    rules of reading it.
:mod:`~edu_quality.fisoko.registry`
    The school registry (:func:`read_fisoko_registry`).
:mod:`~edu_quality.fisoko.context`
    The context questionnaire (:func:`read_fisoko_context`).
:mod:`~edu_quality.fisoko.groups`
    Comparison groups of schools and the ``schools`` table
    (:func:`school_groups`, :func:`fisoko_schools`, a methodologist's own
    groups :func:`read_group_overrides`).
:mod:`~edu_quality.fisoko.importer`
    The region-wide import (:func:`import_fisoko`, command
    ``edu-quality import fis-oko``), with its cache.
:mod:`~edu_quality.fisoko.cache`
    The import's cache entries and manifest, each checked by its SHA-256
    before it is used.
"""

from __future__ import annotations

from .common import ERROR as ERROR
from .common import NOTE as NOTE
from .common import QUALITY_COLUMNS, FileInfo, canonical_school_id, parse_file_name
from .common import WARNING as WARNING
from .context import CONTEXT_QUESTIONS as CONTEXT_QUESTIONS
from .context import FisOkoContext, read_fisoko_context
from .groups import fisoko_schools, read_group_overrides, school_groups
from .importer import OUTPUTS as OUTPUTS
from .importer import ImportResult, import_fisoko
from .registry import read_fisoko_registry
from .vpr import LAYOUTS, FisOkoVpr, detect_layout, read_fisoko_vpr
from .vpr import sniff_vpr as sniff_vpr

__all__ = [
    "LAYOUTS",
    "QUALITY_COLUMNS",
    "FileInfo",
    "FisOkoContext",
    "FisOkoVpr",
    "ImportResult",
    "canonical_school_id",
    "detect_layout",
    "fisoko_schools",
    "import_fisoko",
    "parse_file_name",
    "read_fisoko_context",
    "read_fisoko_registry",
    "read_fisoko_vpr",
    "read_group_overrides",
    "school_groups",
]

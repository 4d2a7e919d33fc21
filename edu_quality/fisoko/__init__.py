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
:mod:`~edu_quality.fisoko.plan`
    What the import does before it reads anything — its inputs checked, its
    cache keys, whether the last import's outputs are current — in the
    standard library only (:func:`~edu_quality.fisoko.plan.cached_import`).
:mod:`~edu_quality.fisoko.cache`
    The import's cache entries and manifest, each checked by its SHA-256
    before it is used.

The names below are imported on first use (PEP 562), so that
``edu-quality import fis-oko`` checks its cache without importing pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

#: Public name → the module it lives in, imported on first use.
_EXPORTS = {
    "ERROR": "common",
    "NOTE": "common",
    "WARNING": "common",
    "QUALITY_COLUMNS": "common",
    "FileInfo": "common",
    "canonical_school_id": "common",
    "parse_file_name": "common",
    "CONTEXT_QUESTIONS": "context",
    "FisOkoContext": "context",
    "read_fisoko_context": "context",
    "fisoko_schools": "groups",
    "read_group_overrides": "groups",
    "school_groups": "groups",
    "OUTPUTS": "plan",
    "ImportResult": "importer",
    "import_fisoko": "importer",
    "read_fisoko_registry": "registry",
    "LAYOUTS": "vpr",
    "FisOkoVpr": "vpr",
    "detect_layout": "vpr",
    "read_fisoko_vpr": "vpr",
    "sniff_vpr": "vpr",
}

if TYPE_CHECKING:  # for type checkers and IDEs: the names as plain imports
    from .common import ERROR as ERROR
    from .common import NOTE as NOTE
    from .common import QUALITY_COLUMNS, FileInfo, canonical_school_id, parse_file_name
    from .common import WARNING as WARNING
    from .context import CONTEXT_QUESTIONS as CONTEXT_QUESTIONS
    from .context import FisOkoContext, read_fisoko_context
    from .groups import fisoko_schools, read_group_overrides, school_groups
    from .importer import ImportResult, import_fisoko
    from .plan import OUTPUTS as OUTPUTS
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

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, (), __all__)

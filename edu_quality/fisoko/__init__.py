"""ФИС ОКО exports: ВПР results, the school registry and the context questionnaire."""

from __future__ import annotations

from .common import ERROR as ERROR
from .common import NOTE as NOTE
from .common import QUALITY_COLUMNS, FileInfo, canonical_school_id, parse_file_name
from .common import WARNING as WARNING
from .context import CONTEXT_QUESTIONS as CONTEXT_QUESTIONS
from .context import FisOkoContext, read_fisoko_context
from .groups import fisoko_schools, school_groups
from .importer import OUTPUTS as OUTPUTS
from .importer import ImportResult, import_fisoko
from .registry import read_fisoko_registry
from .vpr import (
    LAYOUTS,
    FisOkoVpr,
    detect_layout,
    read_fisoko_vpr,
)
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
    "school_groups",
]

"""ФИС ОКО exports: ВПР results, the school registry and the context questionnaire."""

from __future__ import annotations

from .vpr import CONTEXT_QUESTIONS as CONTEXT_QUESTIONS  # importable by name, as before
from .vpr import ERROR as ERROR
from .vpr import (
    LAYOUTS,
    QUALITY_COLUMNS,
    FileInfo,
    FisOkoContext,
    FisOkoVpr,
    ImportResult,
    canonical_school_id,
    detect_layout,
    fisoko_schools,
    import_fisoko,
    parse_file_name,
    read_fisoko_context,
    read_fisoko_registry,
    read_fisoko_vpr,
    school_groups,
)
from .vpr import NOTE as NOTE
from .vpr import OUTPUTS as OUTPUTS
from .vpr import WARNING as WARNING
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

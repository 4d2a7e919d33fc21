"""Reports: sections, rendering to self-contained HTML, batches of report notebooks.

Sections are library functions returning tables and figures; the report notebooks call
them and are executed by papermill, alone or in batches.

The names below are imported on first use (PEP 562): a batch process, which
only plans and drives the kernels, does not import the analytics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

_EXPORTS = {
    "Section": "render",
    "page": "render",
    "ReportData": "data",
    "report_data": "data",
    "municipality_report": "sections",
    "school_report": "sections",
}

if TYPE_CHECKING:
    from .data import ReportData, report_data
    from .render import Section, page
    from .sections import municipality_report, school_report

#: The public names, written once in ``_EXPORTS`` (a test checks the imports above match).
__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, public=__all__)

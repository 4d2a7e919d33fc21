"""Reports: sections (library functions returning tables and figures), rendering to
self-contained HTML, and batch execution of the report notebooks."""

from .render import Section, page
from .sections import ReportData, municipality_report, report_data, school_report

__all__ = ["ReportData", "Section", "municipality_report", "page", "report_data", "school_report"]

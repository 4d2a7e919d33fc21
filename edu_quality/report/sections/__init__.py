"""Report sections for school directors and municipal methodologists.

Every function takes a :class:`ReportData` (the dataset and the tables computed
once for all reports of a batch) and returns a :class:`~edu_quality.report.render.Section`.
A notebook displays them; the batch renderer joins them into a page. Groups
under the small-group threshold are hidden everywhere; no pupil id or name is
ever shown — only aggregates.

One module per report: :mod:`.school` (the director's page) and
:mod:`.municipality` (the methodologist's, the справка first); :mod:`.cells`
says what a cell shows when its group is hidden.
"""

from __future__ import annotations

from ..data import ReportData, report_data
from .municipality import (
    analytic_note,
    dynamics_overview_section,
    factors_section,
    identification_section,
    municipality_header,
    municipality_report,
    objectivity_municipality_section,
    plan_section,
    schools_overview_section,
)
from .school import (
    actions_section,
    context_section,
    contingent_section,
    dynamics_section,
    indicators_section,
    key_metrics_section,
    objectivity_section,
    risk_section,
    school_header,
    school_report,
    status_section,
    summary_section,
    track_plan_section,
)

__all__ = [
    "ReportData",
    "actions_section",
    "analytic_note",
    "context_section",
    "contingent_section",
    "dynamics_overview_section",
    "dynamics_section",
    "factors_section",
    "identification_section",
    "indicators_section",
    "key_metrics_section",
    "municipality_header",
    "municipality_report",
    "objectivity_municipality_section",
    "objectivity_section",
    "plan_section",
    "report_data",
    "risk_section",
    "school_header",
    "school_report",
    "schools_overview_section",
    "status_section",
    "summary_section",
    "track_plan_section",
]

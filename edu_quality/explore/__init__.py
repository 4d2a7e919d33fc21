"""Interactive exploration of a dataset in JupyterLab (ipywidgets).

:class:`Explorer` puts pickers for the municipality, school, assessment, subject,
grade, year and metric above a chart and two tables, and redraws them in place
whenever a picker changes:

* the dynamics of the chosen metric over the years for the school, its
  municipality and the region, with 95 % intervals;
* the chosen year's metrics of the school next to its municipality and the
  region;
* the schools of the municipality ranked by the chosen metric in that year.

Options cascade: the school list is the chosen municipality's schools; the
subjects are those of the chosen assessment, the grades those of the subject,
the years and metrics those the procedure has data for. Groups under the
small-group threshold are hidden, as in the reports.

The drawing is a :class:`~edu_quality.report.render.Section` rendered to HTML
(the figure embedded as PNG) and put into an ``Output`` widget as a single
display output, so the view is replaced at once, without flicker, and the same
code works in a kernel and in a test.

Modules: :mod:`.tables` (the prepared tables, :class:`ExploreTables`, and the
environment variables of the served page), :mod:`.views` (the tables shown and
their formatting), :mod:`.widget` (:class:`Explorer`, its chart, the drawing
warmed up, :func:`prepare_first_view`).

Examples
--------
>>> from edu_quality.demo import sample_folder
>>> ex = Explorer(sample_folder("region"), 2024)
>>> ex.school.value = "01016"
>>> ex.table.iloc[0]["Кто"]
'МБОУ «Лебяжинская СОШ»'
"""

from __future__ import annotations

from .tables import DATA_ENV, TABLES_ENV, ExplorerView, ExploreTables, explore_tables
from .views import dynamics_table, number_column, ranking_table, year_table
from .widget import EXPLORER_CSS, Explorer, prepare_first_view

__all__ = [
    "DATA_ENV",
    "EXPLORER_CSS",
    "TABLES_ENV",
    "ExploreTables",
    "Explorer",
    "ExplorerView",
    "dynamics_table",
    "explore_tables",
    "number_column",
    "prepare_first_view",
    "ranking_table",
    "year_table",
]

"""The explorer widget: pickers above a dynamics chart and two tables, redrawn in place.

:class:`Explorer` builds the pickers and the output, cascades their options
and draws a view (:class:`~edu_quality.explore.tables.ExplorerView`) of the
chosen selection: the chart figure (outside pyplot, fixed margins) and the
tables of :mod:`.views`, rendered by :class:`~edu_quality.report.render.Section`.
:func:`prepare_first_view` draws the first view ahead, for the served page.
"""

from __future__ import annotations

import os
import sys
import textwrap
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .._russian import in_name_order
from ..report.render import Section
from .tables import DATA_ENV, PROCEDURE, TABLES_ENV, ExplorerView, ExploreTables, explore_tables
from .views import dynamics_table, metric_title, ranking_table, year_table

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..report.data import ReportData

__all__ = ["EXPLORER_CSS", "Explorer", "prepare_first_view"]

#: Order of the metric picker.
_ORDER = (
    "share_2",
    "success_rate",
    "quality_rate",
    "sou",
    "mean_mark",
    "mean_score",
    "not_admitted_share",
)

#: The report's table, note and figure styles, scoped to the explorer's output: names
#: left-aligned, numbers right-aligned and an interval on one line, in JupyterLab and Voilà;
#: on a Voilà page, the notebook's cells tagged «remove» hidden.
EXPLORER_CSS = (
    ".eq-explorer{font-family:'DejaVu Sans',Arial,sans-serif;color:#222;line-height:1.45}"
    ".eq-explorer .eq-note{background:#f4f6f9;border-left:4px solid #9aa9bd;padding:.4em .8em;"
    "margin:.6em 0;font-size:.92em}"
    ".eq-explorer .eq-warn{background:#fff6e5;border-left:4px solid #e0a100;padding:.4em .8em;"
    "margin:.6em 0}"
    ".eq-explorer table.eq-table{border-collapse:collapse;margin:.6em 0;font-size:.9em;"
    "max-width:100%;table-layout:auto}"
    ".eq-explorer table.eq-table th,.eq-explorer table.eq-table td{border:1px solid #ccd;"
    "padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:break-word;"
    "max-width:none}"
    ".eq-explorer table.eq-table th{background:#e8eef6}"
    ".eq-explorer table.eq-table td.num{text-align:right;white-space:nowrap}"
    ".eq-explorer img.eq-figure{max-width:100%;height:auto;display:block;margin:.6em 0}"
    # the notebook's notes for JupyterLab (cells tagged «remove»): hidden on a page made of
    # it (Voilà marks a cell's tags as classes; JupyterLab does not)
    ".jp-Cell:has(.celltag_remove){display:none}"
)


class Explorer:
    """Pickers, a dynamics chart and tables of a dataset, redrawn when a picker changes.

    Parameters
    ----------
    data : str, Path, Dataset, ReportData or ExploreTables
        A dataset folder, a loaded dataset, report data or prepared tables
        (:func:`explore_tables`). An empty string (the default) is the folder
        in the environment variable ``EDU_QUALITY_DATA`` — with the tables
        ``edu-quality explore`` prepared for it (``EDU_QUALITY_EXPLORE_TABLES``)
        when given — else the sample region.
    year : int, optional
        The year selected at first (default: the latest with results).
    min_n : int
        Small-group threshold (groups with fewer participants are hidden);
        ignored when ``data`` is a ReportData, which has its own.

    Attributes
    ----------
    municipality, school, assessment, subject, grade, year, metric : ipywidgets.Dropdown
        The pickers; ``school`` values are school ids, ``metric`` values keys
        of :data:`edu_quality.metrics.METRICS`.
    output : ipywidgets.Output
        Where the chart and tables are drawn (one display output, replaced on
        every redraw).
    widget : ipywidgets.VBox
        Everything assembled: display it in a notebook.
    data : ExploreTables
        What is drawn from (the summaries split by procedure).
    chart : DataFrame
        The table drawn last (:func:`dynamics_table`).
    axes : matplotlib.axes.Axes or None
        The chart shown (its lines, title and legend); None without a chart.
    table, ranking : DataFrame
        The display tables shown (:func:`year_table`, :func:`ranking_table`).
    draws : int
        How many times the view was shown (drawn, or taken from the views
        already drawn for the same selection: :meth:`ExploreTables.view`).
    rendered : int
        How many of them were drawn.
    warming : threading.Thread or None
        When the first view came drawn (:func:`prepare_first_view`): the thread
        that imports matplotlib and draws once in the background, so the first
        picker change does not wait for it.
    error : str or None
        The message of the last failed redraw (shown in the output instead of
        the view), None when it succeeded.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> ex = Explorer(sample_folder("region"))
    >>> ex.municipality.value = "г. Заречный"
    >>> ex.school.value[:2], ex.year.value
    ('02', 2024)
    """

    def __init__(
        self,
        data: str | Path | Dataset | ReportData | ExploreTables = "",
        year: int | None = None,
        *,
        min_n: int = 5,
    ):
        import ipywidgets as w

        self.data = _source(data, year, min_n=min_n)
        self._first_year = int(year) if year is not None else self.data.year
        self._quiet = False
        self._view: ExplorerView | None = None
        self.draws = 0
        self.rendered = 0
        self.error: str | None = None
        self.chart = pd.DataFrame()
        self.table = pd.DataFrame()
        self.ranking = pd.DataFrame()

        self._procedures = self.data.summary_region.loc[
            ~self.data.summary_region["exam_not_held"], [*PROCEDURE, "year", *_ORDER]
        ]
        style = {"description_width": "initial"}
        wide = w.Layout(width="420px")

        def dropdown(description, layout=None):
            return w.Dropdown(
                description=description, style=style, layout=layout or w.Layout(width="auto")
            )

        self.municipality = dropdown("Муниципалитет", w.Layout(width="300px"))
        self.school = dropdown("Школа", wide)
        self.assessment = dropdown("Работа")
        self.subject = dropdown("Предмет", w.Layout(width="320px"))
        self.grade = dropdown("Класс")
        self.year = dropdown("Год")
        self.metric = dropdown("Показатель", w.Layout(width="300px"))
        self.output = w.Output()
        self.widget = w.VBox(
            [
                w.HBox([self.municipality, self.school]),
                w.HBox([self.assessment, self.subject, self.grade]),
                w.HBox([self.year, self.metric]),
                self.output,
            ]
        )
        with self._holding():
            self._set_options(self.municipality, self.data.municipalities)
            self._set_options(self.assessment, sorted(self._procedures["assessment"].unique()))
            self._cascade(self.municipality)
            self._cascade(self.assessment)
        for picker in self.pickers:
            picker.observe(self._changed, names="value")
        self.update()
        self.warming: threading.Thread | None = None
        if not self.rendered and "matplotlib.figure" not in sys.modules:
            # the first view was drawn by the command that prepared the tables: import and
            # warm up the drawing while the page is looked at, not on the first picker change
            self.warming = threading.Thread(target=_warm_up_drawing, daemon=True)
            self.warming.start()

    @property
    def pickers(self) -> list:
        """The pickers, in the order of the cascade."""
        return [
            self.municipality,
            self.school,
            self.assessment,
            self.subject,
            self.grade,
            self.year,
            self.metric,
        ]

    # ------------------------------------------------------------ cascade

    @contextmanager
    def _holding(self) -> Iterator[None]:
        quiet, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = quiet

    @staticmethod
    def _set_options(picker, options, *fallbacks) -> None:
        """Replace options, keeping the current value (else the first offered fallback)."""
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        keep = picker.value
        picker.options = options
        for candidate in (keep, *fallbacks):
            if candidate is not None and candidate in values:
                picker.value = candidate
                return
        picker.value = values[0] if values else None

    def _cascade(self, source) -> None:
        """Refresh the options that depend on ``source`` (and on what depends on them)."""
        p = self._procedures
        if source is self.municipality:
            s = self.data.schools
            s = s.loc[s["municipality"] == self.municipality.value]
            s = s.sort_values("name", key=in_name_order)  # «СОШ № 2» before «СОШ № 10»
            with_results = s.loc[s["school_id"].isin(self.data.summary["school_id"]), "school_id"]
            self._set_options(
                self.school, list(zip(s["name"], s["school_id"], strict=True)), *with_results[:1]
            )
            return
        if source is self.assessment:
            subjects = sorted(p.loc[p["assessment"] == self.assessment.value, "subject"].unique())
            self._set_options(self.subject, subjects)
            source = self.subject
        if source is self.subject:
            grades = sorted(
                int(g)
                for g in p.loc[
                    (p["assessment"] == self.assessment.value)
                    & (p["subject"] == self.subject.value),
                    "grade",
                ].unique()
            )
            self._set_options(self.grade, grades)
            source = self.grade
        if source is self.grade:
            proc = p.loc[
                (p["assessment"] == self.assessment.value)
                & (p["subject"] == self.subject.value)
                & (p["grade"] == self.grade.value)
            ]
            years = sorted(int(y) for y in proc["year"].unique())
            self._set_options(self.year, years, self._first_year, *years[-1:])
            # the share not admitted only where someone was not admitted (ГИА), not for ВПР
            metrics = [
                m
                for m in _ORDER
                if proc[m].notna().any() and (m != "not_admitted_share" or (proc[m] > 0).any())
            ]
            self._set_options(self.metric, [(metric_title(m), m) for m in metrics])

    def _changed(self, change) -> None:
        if self._quiet:
            return
        with self._holding():
            self._cascade(change["owner"])
        try:
            self.update()
        except Exception as exc:  # noqa: BLE001 - shown to the user instead of a silent log
            self.error = f"{type(exc).__name__}: {exc}"
            section = Section("Не удалось построить", level=3)
            section.note(self.error, warn=True)
            self._show(section)

    # ------------------------------------------------------------ drawing

    @property
    def selection(self) -> tuple:
        """The pickers' values: municipality, school, assessment, subject, grade, year, metric."""
        return tuple(p.value for p in self.pickers)

    @property
    def axes(self):
        """The chart shown (drawn now if its view came without a figure); None without a chart."""
        view = self._view
        if view is None or view.chart.empty:
            return None
        if view.figure is None:
            _, sid, *proc, year, metric = self.selection
            view.figure = _chart_figure(
                view.chart, metric, tuple(proc), year, min_n=self.data.min_n
            )
        return view.figure.axes[0]

    def _show(self, section: Section) -> None:
        self._show_html(section.html(), repr(section))

    def _show_html(self, body: str, text: str) -> None:
        html = f'<div class="eq-explorer"><style>{EXPLORER_CSS}</style>{body}</div>'
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": html, "text/plain": text},
                "metadata": {},
            },
        )

    def update(self) -> None:
        """Show the chart and the tables for the current picker values.

        A selection shown before is shown again as it was drawn (the data do
        not change): going back to a picker value is immediate.
        """
        self.error = None
        self.draws += 1
        key = self.selection
        view = self.data.view(key)
        if view is None:
            view = self._render()
            self.rendered += 1
            self.data.keep(key, view)
        self._view = view
        self.chart, self.table, self.ranking = view.chart, view.table, view.ranking
        self._show_html(view.html, view.text)

    def _render(self) -> ExplorerView:
        """Draw the view of the current picker values."""
        sid, metric = self.school.value, self.metric.value
        proc = (self.assessment.value, self.subject.value, self.grade.value)
        year = self.year.value
        name = self.data.names.get(sid, "")
        section = Section(f"{name}: {proc[0]}, {proc[1]}, {proc[2]} кл.", level=3)
        empty = pd.DataFrame()
        if sid is None or metric is None or year is None:
            section.note("Нет данных для выбранных значений.")
            return ExplorerView(section.html(), repr(section), empty, empty, empty)

        chart = dynamics_table(self.data, sid, *proc, metric)
        figure = None
        if chart.empty:
            section.note("Нет данных по этой работе.")
        else:
            figure = _chart_figure(chart, metric, proc, year, min_n=self.data.min_n)
            section.figure(figure, tight=False)  # a fixed layout: drawn once
            if not (chart["unit"] == 1).any():
                section.note(
                    "У школы нет результатов по этой работе (или все группы меньше "
                    f"{self.data.min_n} участников): показаны муниципалитет и регион."
                )
        section.note(
            "Вертикальные отрезки — 95-процентные интервалы; группы меньше "
            f"{self.data.min_n} участников скрыты."
        )

        metrics = [value for _, value in self.metric.options]  # the year's table: every metric
        table = year_table(self.data, sid, *proc, year, metrics)
        section.subtitle(f"Показатели {year} года")
        section.table(table, name="year", numeric=[c for c in table.columns if c != "Кто"])
        muni = self.municipality.value
        ranking = ranking_table(self.data, muni, *proc, year, metric, school_id=sid)
        section.subtitle(f"Школы: {muni}, {year} год")
        if ranking.empty:
            section.note("Нет результатов школ муниципалитета по этой работе за этот год.")
        else:
            section.table(
                ranking, name="ranking", numeric=["Место", "Участников", metric_title(metric)]
            )
        return ExplorerView(section.html(), repr(section), chart, table, ranking, figure)


#: The chart's size (inches) and fixed margins (fractions): the plot on the left, the legend on
#: the right; no layout engine, so a redraw draws the figure once.
_FIGSIZE = (9, 4)
_MARGINS = {"left": 0.08, "right": 0.66, "top": 0.9, "bottom": 0.13}
#: Legend entries (school names) are wrapped at spaces to this many characters a line.
_LEGEND_WIDTH = 34


def _chart_figure(chart: pd.DataFrame, metric: str, proc: tuple, year: int, *, min_n: int):
    """The dynamics chart of a view: a figure outside pyplot, margins fixed."""
    from matplotlib.figure import Figure

    from ..plots import plot_dynamics

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # outside pyplot: nothing for the inline backend to show twice, nothing to close
        fig = Figure(figsize=_FIGSIZE)
        fig.subplots_adjust(**_MARGINS)
        ax = fig.add_subplot()
        labels = {
            unit: textwrap.fill(
                str(label), _LEGEND_WIDTH, break_long_words=False, break_on_hyphens=False
            )
            for unit, label in zip(chart["unit"], chart["label"], strict=False)
        }
        plot_dynamics(chart, metric, hue="unit", labels=labels, ax=ax)
        ax.axvline(year, color="#999999", linestyle=":", linewidth=1)
        # beside the plot, not over its lines
        ax.legend(
            fontsize="small",
            loc="upper left",
            bbox_to_anchor=(1.02, 1),
            borderaxespad=0,
            frameon=False,
        )
        ax.set_title(f"{metric_title(metric)}: {proc[0]}, {proc[1]}, {proc[2]} кл.")
    return fig


def _warm_up_drawing() -> None:
    """Import matplotlib and draw a small figure with text once (fonts loaded, caches filled)."""
    import io

    from matplotlib.figure import Figure

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = Figure(figsize=(2, 1))
        ax = fig.add_subplot()
        ax.errorbar([2023, 2024], [0.1, 0.2], yerr=[[0.05, 0.05], [0.05, 0.05]], label="Регион")
        ax.legend(fontsize="small")
        ax.set_title("Доля «2»")
        fig.savefig(io.BytesIO(), format="png", dpi=30)


def prepare_first_view(tables: ExploreTables) -> ExploreTables:
    """Draw the view an explorer of ``tables`` opens with and keep it in them.

    ``edu-quality explore`` does it before handing the tables to the page's
    kernel, which then shows the first view without drawing (and without
    importing matplotlib before the page is shown).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> t = prepare_first_view(explore_tables(sample_folder("region")))
    >>> len(t.views) >= 1
    True
    """
    Explorer(tables)
    return tables


def _source(
    data: str | Path | Dataset | ReportData | ExploreTables, year: int | None, *, min_n: int
) -> ExploreTables:
    """The tables of what :class:`Explorer` was given (see its ``data``)."""
    if isinstance(data, ExploreTables):
        return data
    if isinstance(data, str | Path) and not str(data):
        folder = os.environ.get(DATA_ENV, "")
        prepared = os.environ.get(TABLES_ENV, "")
        if folder and prepared and Path(prepared).is_file():
            tables = ExploreTables.load(prepared)
            if year is None or tables.year == int(year):
                return tables
        if folder:
            data = folder
        else:
            from ..demo import sample_folder

            data = sample_folder("region")
    return explore_tables(data, year, min_n=min_n)

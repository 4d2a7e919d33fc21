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

Examples
--------
>>> from edu_quality.demo import sample_folder
>>> ex = Explorer(sample_folder("region"), 2024)
>>> ex.school.value = "01016"
>>> ex.table.iloc[0]["Кто"]
'МБОУ «Лебяжинская СОШ»'
"""

from __future__ import annotations

import os
import pickle
import sys
import textwrap
import threading
import warnings
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .metrics import METRICS
from .report.render import Section, fmt_interval, fmt_number, fmt_percent

if TYPE_CHECKING:
    from .dataset import Dataset
    from .report.data import ReportData

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

#: Environment variable with the dataset folder the explorer opens when given none
#: (``edu-quality explore --data`` sets it for the served notebook).
DATA_ENV = "EDU_QUALITY_DATA"
#: Environment variable with a file of prepared tables (:meth:`ExploreTables.save`) of
#: the folder in :data:`DATA_ENV`: the served notebook's kernel reads it instead of the data.
TABLES_ENV = "EDU_QUALITY_EXPLORE_TABLES"

_PROC = ["assessment", "subject", "grade"]
#: Metrics shown as shares (per cent, with a Wilson interval).
_SHARES = ("share_2", "success_rate", "quality_rate", "not_admitted_share")
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
_REGION = "Регион"
_EMPTY = pd.DataFrame()

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


def _title(metric: str) -> str:
    label = METRICS[metric][0]
    return label[:1].upper() + label[1:]


def number_column(values: Iterable[object], digits: int = 1) -> list[str]:
    """Numbers of one table column in Russian, whole ones with decimals when the column has them.

    A column where some value shows decimals («48,3») shows every value with
    ``digits`` decimals («50,0», not «50»); a column of whole numbers stays
    without (counts: «24»). Missing values are «—».

    Examples
    --------
    >>> number_column([48.26, 50.0, None])
    ['48,3', '50,0', '—']
    >>> number_column([24, 7.0])
    ['24', '7']
    >>> number_column([3.0, 4.004], 2)
    ['3,00', '4,00']
    """
    values = list(values)
    fixed = any(
        v is not None and pd.notna(v) and not float(round(float(v), digits)).is_integer()
        for v in values
    )
    return [fmt_number(v, digits, fixed=fixed) for v in values]


def _with_score_interval(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add a t-interval of the mean score (``mean_score_low``/``_high``) where its sd is known."""
    from scipy import stats

    n = table["score_n"].astype("float64")
    se = table["score_sd"].astype("float64") / np.sqrt(n.where(n > 1))
    t = stats.t.ppf(1 - alpha / 2, (n - 1).where(n > 1))
    return table.assign(
        mean_score_low=table["mean_score"] - t * se, mean_score_high=table["mean_score"] + t * se
    )


@dataclass
class ExplorerView:
    """What the explorer shows for one selection of its pickers.

    Attributes
    ----------
    html : str
        The chart (PNG) and tables as one HTML fragment.
    text : str
        Its plain-text stand-in.
    chart, table, ranking : DataFrame
        :func:`dynamics_table`, :func:`year_table`, :func:`ranking_table`.
    figure : matplotlib.figure.Figure or None
        The chart's figure; None when there is no chart, or when the view came
        from another process (it is drawn again when asked for:
        :attr:`Explorer.axes`).
    """

    html: str
    text: str
    chart: pd.DataFrame
    table: pd.DataFrame
    ranking: pd.DataFrame
    figure: object = None

    def without_figure(self) -> ExplorerView:
        """The same view without its figure (for another process)."""
        return ExplorerView(self.html, self.text, self.chart, self.table, self.ranking)


class ExploreTables:
    """What the explorer draws from: the year's summaries with intervals, split by procedure.

    Built once from report data (:func:`explore_tables`): the summaries of the
    schools, municipalities and region with the t-interval of the mean score
    added, the rows of procedures that were no exam left out, each split by
    procedure (assessment, subject, grade), so a redraw looks its rows up
    instead of filtering the whole summary. Small enough to hand to another
    process (:meth:`save`, :meth:`load`): the served explorer's kernel reads
    it instead of the data files.

    Attributes
    ----------
    summary, summary_municipality, summary_region : DataFrame
        As in :class:`~edu_quality.report.ReportData`, with ``mean_score_low``/``_high``.
    schools : DataFrame
        ``school_id``, ``name``, ``municipality``.
    municipalities : list of str
    names, municipality_of : dict
        School id → name, municipality.
    year, min_n : int
    """

    def __init__(
        self,
        summary: pd.DataFrame,
        summary_municipality: pd.DataFrame,
        summary_region: pd.DataFrame,
        schools: pd.DataFrame,
        *,
        municipalities: list[str],
        year: int,
        min_n: int,
    ):
        self.summary = summary
        self.summary_municipality = summary_municipality
        self.summary_region = summary_region
        self.schools = schools[["school_id", "name", "municipality"]].reset_index(drop=True)
        self.municipalities = list(municipalities)
        self.year = int(year)
        self.min_n = int(min_n)
        self.names = dict(zip(self.schools["school_id"], self.schools["name"], strict=True))
        self.municipality_of = dict(
            zip(self.schools["school_id"], self.schools["municipality"], strict=True)
        )
        self._split = [
            self._by_procedure(t) for t in (summary, summary_municipality, summary_region)
        ]
        self.views: OrderedDict[tuple, ExplorerView] = OrderedDict()

    #: How many drawn views (:class:`ExplorerView`) are kept, the least recently shown dropped.
    VIEWS_KEPT = 64

    def view(self, key: tuple) -> ExplorerView | None:
        """The view drawn for a selection of the pickers, if it is kept (marked as just shown)."""
        found = self.views.get(key)
        if found is not None:
            self.views.move_to_end(key)
        return found

    def keep(self, key: tuple, view: ExplorerView) -> None:
        """Keep a drawn view for its selection (the data do not change: it stays right)."""
        self.views[key] = view
        self.views.move_to_end(key)
        while len(self.views) > self.VIEWS_KEPT:
            self.views.popitem(last=False)

    def __getstate__(self) -> dict:
        # the views travel as HTML and tables; their figures are drawn again where needed
        state = dict(self.__dict__)
        state["views"] = OrderedDict(
            (key, view.without_figure()) for key, view in self.views.items()
        )
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("views", OrderedDict())
        self.__dict__.update(state)

    @staticmethod
    def _by_procedure(table: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
        held = table.loc[~table["exam_not_held"]]
        return {
            (a, s, int(g)): part
            for (a, s, g), part in held.groupby(_PROC, sort=False, observed=True)
        }

    def rows(self, level: int, assessment: str, subject: str, grade: int) -> pd.DataFrame:
        """The summary rows of a procedure: level 0 schools, 1 municipalities, 2 the region."""
        return self._split[level].get((assessment, subject, int(grade)), _EMPTY_SUMMARY[level])

    def schools_of(self, municipality: str) -> list[str]:
        """The ids of a municipality's schools."""
        s = self.schools
        return s.loc[s["municipality"] == municipality, "school_id"].tolist()

    def save(self, path: str | Path) -> None:
        """Write the tables to ``path`` (:mod:`pickle`) for :meth:`load` in another process.

        The file is replaced at once (written beside it, then renamed): a reader
        never sees it half-written.
        """
        path = Path(path)
        part = path.with_name(path.name + ".part")
        with part.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        part.replace(path)

    @staticmethod
    def load(path: str | Path) -> ExploreTables:
        """Read tables written by :meth:`save` (a file this program wrote itself)."""
        with Path(path).open("rb") as fh:
            tables = pickle.load(fh)
        if not isinstance(tables, ExploreTables):
            raise TypeError(f"{path}: это не таблицы исследователя")
        return tables


_EMPTY_SUMMARY: list[pd.DataFrame] = [_EMPTY, _EMPTY, _EMPTY]


def explore_tables(
    data: str | Path | Dataset | ReportData | ExploreTables,
    year: int | None = None,
    *,
    min_n: int = 5,
) -> ExploreTables:
    """The explorer's tables of a dataset folder, a loaded dataset or report data.

    A folder is read once per process and version of its files
    (:func:`~edu_quality.report.report_data`); ``year`` defaults to the latest
    with results.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> t = explore_tables(sample_folder("region"))
    >>> t.year, t.municipalities
    (2024, ['Северный район', 'г. Заречный'])
    """
    if isinstance(data, ExploreTables):
        return data
    from .report.data import ReportData, report_data

    if not isinstance(data, ReportData):
        from .dataset import Dataset

        if isinstance(data, Dataset):
            data = ReportData(data, year or max(data.years), min_n=min_n)
        else:
            if year is None:
                from .report.cache import cached_dataset

                year = max(cached_dataset(data).years)
            data = report_data(data, year, min_n=min_n)
    cached = _PREPARED.get(id(data))
    if cached is not None and cached[0] is data:
        return cached[1]
    schools = data.dataset.schools
    tables = ExploreTables(
        *(
            _with_score_interval(t)
            for t in (data.summary, data.summary_municipality, data.summary_region)
        ),
        schools,
        municipalities=data.dataset.municipalities,
        year=data.year,
        min_n=data.min_n,
    )
    if len(_PREPARED) > 8:
        _PREPARED.clear()
    _PREPARED[id(data)] = (data, tables)
    return tables


#: Report data → its explorer tables (the report data kept alongside: the id stays its own).
_PREPARED: dict[int, tuple[object, ExploreTables]] = {}


def _fmt_value(metric: str, row, number: str | None = None) -> str:
    v = row[metric]
    if metric in _SHARES or metric == "mean_score":
        low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
        share = metric in _SHARES
        text = fmt_percent(v) if share else (number or fmt_number(v))
        if pd.notna(v) and low is not None and pd.notna(low):
            text += " " + fmt_interval(low, high, percent=share)
        return text
    return number or fmt_number(v, 2 if metric == "mean_mark" else 1)


def _digits(metric: str) -> int:
    return 2 if metric == "mean_mark" else 1


def dynamics_table(
    data: ReportData | ExploreTables,
    school_id: str,
    assessment: str,
    subject: str,
    grade: int,
    metric: str,
) -> pd.DataFrame:
    """The metric over the years for a school, its municipality and the region.

    Parameters
    ----------
    data : ReportData or ExploreTables
    school_id : str
    assessment, subject, grade
        The procedure.
    metric : str
        A key of :data:`edu_quality.metrics.METRICS`.

    Returns
    -------
    DataFrame
        One row per unit and year: ``unit`` (1 school, 2 municipality,
        3 region — the drawing order), ``label`` (school name, municipality,
        «Регион»), ``year``, ``participants``, ``metric``, and
        ``<metric>_low``/``_high`` where an interval exists (Wilson for shares,
        t for the mean score). The school's small groups and years when the
        procedure was not an exam are left out.

    Examples
    --------
    >>> from edu_quality.report import report_data
    >>> from edu_quality.demo import sample_folder
    >>> d = report_data(sample_folder("region"), 2024)
    >>> t = dynamics_table(d, "01016", "ВПР", "Математика", 5, "share_2")
    >>> t.groupby("label").size().to_dict()
    {'МБОУ «Лебяжинская СОШ»': 4, 'Регион': 4, 'Северный район': 4}
    """
    data = explore_tables(data)
    muni = data.municipality_of[school_id]
    proc = (assessment, subject, grade)
    schools, munis, region = (data.rows(level, *proc) for level in range(3))
    parts = []
    for unit, label, part in (
        (
            1,
            data.names[school_id],
            schools.loc[(schools["school_id"] == school_id) & ~schools["small"]]
            if len(schools)
            else schools,
        ),
        (2, muni, munis.loc[munis["municipality"] == muni] if len(munis) else munis),
        (3, _REGION, region),
    ):
        if part.empty:
            continue
        part = part.loc[part[metric].notna()]
        keep = ["year", "participants", metric] + [
            c for c in (f"{metric}_low", f"{metric}_high") if c in part.columns
        ]
        parts.append(part[keep].assign(unit=unit, label=label))
    if not parts:
        return pd.DataFrame(columns=["unit", "label", "year", "participants", metric])
    out = pd.concat(parts, ignore_index=True)
    return out[["unit", "label", *[c for c in out.columns if c not in ("unit", "label")]]]


def year_table(
    data: ReportData | ExploreTables,
    school_id: str,
    assessment: str,
    subject: str,
    grade: int,
    year: int,
    metrics: list[str],
) -> pd.DataFrame:
    """A year's metrics of a school next to its municipality and the region (display table).

    Returns
    -------
    DataFrame
        Rows: the school, its municipality, the region. Columns: «Кто»,
        «Участников», then one per metric, formatted in Russian with the
        interval (a column with decimals shows them on whole numbers too:
        :func:`number_column`). A small group of the school is hidden.
    """
    data = explore_tables(data)
    muni = data.municipality_of[school_id]
    proc = (assessment, subject, grade)
    schools, munis, region = (data.rows(level, *proc) for level in range(3))
    found = []
    for label, part in (
        (
            data.names[school_id],
            schools.loc[schools["school_id"] == school_id] if len(schools) else schools,
        ),
        (muni, munis.loc[munis["municipality"] == muni] if len(munis) else munis),
        (_REGION, region),
    ):
        part = part.loc[part["year"] == year] if len(part) else part
        found.append((label, None if part.empty else part.iloc[0]))
    shown = [r for _, r in found if r is not None and not bool(r["small"])]
    numbers = {
        m: dict(zip(map(id, shown), number_column([r[m] for r in shown], _digits(m)), strict=True))
        for m in metrics
        if m not in _SHARES
    }
    rows = []
    for label, row in found:
        rec = {"Кто": label}
        if row is None:
            rec["Участников"] = "0"
            rec.update({_title(m): "—" for m in metrics})
        else:
            rec["Участников"] = str(int(row["participants"]))
            hidden = bool(row["small"])
            for m in metrics:
                rec[_title(m)] = (
                    f"скрыто: меньше {data.min_n} участников"
                    if hidden
                    else _fmt_value(m, row, numbers.get(m, {}).get(id(row)))
                )
        rows.append(rec)
    return pd.DataFrame(rows)


def ranking_table(
    data: ReportData | ExploreTables,
    municipality: str,
    assessment: str,
    subject: str,
    grade: int,
    year: int,
    metric: str,
    *,
    school_id: str | None = None,
) -> pd.DataFrame:
    """The schools of a municipality ranked by a metric in a year (display table).

    Returns
    -------
    DataFrame
        «Место», «Школа» (the chosen school marked «▶»), «Участников», the
        metric with its interval (decimals as in :func:`number_column`); best
        first (by the metric's good direction); small groups last, their
        values hidden.
    """
    data = explore_tables(data)
    columns = ["Место", "Школа", "Участников", _title(metric)]
    s = data.rows(0, assessment, subject, grade)
    if s.empty:
        return pd.DataFrame(columns=columns)
    s = s.loc[s["school_id"].isin(data.schools_of(municipality)) & (s["year"] == year)]
    good = METRICS[metric][1]
    s = s.assign(_key=-good * s[metric].astype("float64"))
    judged = s.loc[~s["small"] & s[metric].notna()]
    ranked = pd.concat(
        [
            judged.sort_values(["_key", "participants"], ascending=[True, False]),
            s.loc[s["small"] | s[metric].isna()],
        ]
    )
    numbers = (
        number_column(
            [
                v if not small else None
                for v, small in zip(ranked[metric], ranked["small"], strict=True)
            ],
            _digits(metric),
        )
        if metric not in _SHARES
        else [None] * len(ranked)
    )
    rows = []
    for place, ((_, row), number) in enumerate(
        zip(ranked.iterrows(), numbers, strict=True), start=1
    ):
        small = bool(row["small"])
        mark = "▶ " if row["school_id"] == school_id else ""
        rows.append(
            {
                "Место": "" if small or pd.isna(row[metric]) else str(place),
                "Школа": mark + data.names[row["school_id"]],
                "Участников": str(int(row["participants"])),
                _title(metric): (
                    f"скрыто: меньше {data.min_n} участников"
                    if small
                    else _fmt_value(metric, row, number)
                ),
            }
        )
    return pd.DataFrame(rows, columns=columns)


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
            ~self.data.summary_region["exam_not_held"], [*_PROC, "year", *_ORDER]
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
            s = s.loc[s["municipality"] == self.municipality.value].sort_values("name")
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
            self._set_options(self.metric, [(_title(m), m) for m in metrics])

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
            section.table(ranking, name="ranking", numeric=["Место", "Участников", _title(metric)])
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

    from .plots import plot_dynamics

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
        ax.set_title(f"{_title(metric)}: {proc[0]}, {proc[1]}, {proc[2]} кл.")
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
            from .demo import sample_folder

            data = sample_folder("region")
    return explore_tables(data, year, min_n=min_n)

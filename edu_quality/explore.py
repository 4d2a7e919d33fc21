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

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .dataset import Dataset, load_dataset
from .metrics import METRICS
from .report.render import Section, fmt_interval, fmt_number, fmt_percent
from .report.sections import ReportData, report_data

__all__ = ["Explorer", "dynamics_table", "ranking_table", "year_table"]

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


def _title(metric: str) -> str:
    label = METRICS[metric][0]
    return label[:1].upper() + label[1:]


def _with_score_interval(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add a t-interval of the mean score (``mean_score_low``/``_high``) where its sd is known."""
    n = table["score_n"].astype("float64")
    se = table["score_sd"].astype("float64") / np.sqrt(n.where(n > 1))
    t = stats.t.ppf(1 - alpha / 2, (n - 1).where(n > 1))
    return table.assign(
        mean_score_low=table["mean_score"] - t * se, mean_score_high=table["mean_score"] + t * se
    )


def _procedure(table: pd.DataFrame, assessment, subject, grade) -> pd.DataFrame:
    return table.loc[
        (table["assessment"] == assessment)
        & (table["subject"] == subject)
        & (table["grade"] == grade)
        & ~table["exam_not_held"]
    ]


def _fmt_value(metric: str, row) -> str:
    v = row[metric]
    if metric in _SHARES or metric == "mean_score":
        low, high = row.get(f"{metric}_low"), row.get(f"{metric}_high")
        share = metric in _SHARES
        text = fmt_percent(v) if share else fmt_number(v)
        if pd.notna(v) and low is not None and pd.notna(low):
            text += " " + fmt_interval(low, high, percent=share)
        return text
    return fmt_number(v, 2 if metric == "mean_mark" else 1)


def dynamics_table(
    data: ReportData, school_id: str, assessment: str, subject: str, grade: int, metric: str
) -> pd.DataFrame:
    """The metric over the years for a school, its municipality and the region.

    Parameters
    ----------
    data : ReportData
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
    >>> from edu_quality.demo import sample_folder
    >>> d = report_data(sample_folder("region"), 2024)
    >>> t = dynamics_table(d, "01016", "ВПР", "Математика", 5, "share_2")
    >>> t.groupby("label").size().to_dict()
    {'МБОУ «Лебяжинская СОШ»': 4, 'Регион': 4, 'Северный район': 4}
    """
    muni = data.municipality_of[school_id]
    parts = []
    for unit, label, table in (
        (
            1,
            data.names[school_id],
            data.summary.loc[(data.summary["school_id"] == school_id) & ~data.summary["small"]],
        ),
        (2, muni, data.summary_municipality.loc[data.summary_municipality["municipality"] == muni]),
        (3, _REGION, data.summary_region),
    ):
        part = _with_score_interval(_procedure(table, assessment, subject, grade))
        part = part.loc[part[metric].notna()]
        keep = ["year", "participants", metric] + [
            c for c in (f"{metric}_low", f"{metric}_high") if c in part.columns
        ]
        parts.append(part[keep].assign(unit=unit, label=label))
    out = pd.concat(parts, ignore_index=True)
    return out[["unit", "label", *[c for c in out.columns if c not in ("unit", "label")]]]


def year_table(
    data: ReportData,
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
        interval. A small group of the school is hidden.
    """
    muni = data.municipality_of[school_id]
    rows = []
    for label, table in (
        (data.names[school_id], data.summary.loc[data.summary["school_id"] == school_id]),
        (muni, data.summary_municipality.loc[data.summary_municipality["municipality"] == muni]),
        (_REGION, data.summary_region),
    ):
        part = _with_score_interval(_procedure(table, assessment, subject, grade))
        part = part.loc[part["year"] == year]
        rec = {"Кто": label}
        if part.empty:
            rec["Участников"] = "0"
            rec.update({_title(m): "—" for m in metrics})
        else:
            row = part.iloc[0]
            rec["Участников"] = str(int(row["participants"]))
            hidden = bool(row["small"])
            for m in metrics:
                rec[_title(m)] = (
                    f"скрыто: меньше {data.min_n} участников" if hidden else _fmt_value(m, row)
                )
        rows.append(rec)
    return pd.DataFrame(rows)


def ranking_table(
    data: ReportData,
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
        metric with its interval; best first (by the metric's good direction);
        small groups last, their values hidden.
    """
    ids = data.schools_of(municipality)
    s = _with_score_interval(_procedure(data.summary, assessment, subject, grade))
    s = s.loc[s["school_id"].isin(ids) & (s["year"] == year)]
    good = METRICS[metric][1]
    s = s.assign(_key=-good * s[metric].astype("float64"))
    judged = s.loc[~s["small"] & s[metric].notna()]
    ranked = pd.concat(
        [
            judged.sort_values(["_key", "participants"], ascending=[True, False]),
            s.loc[s["small"] | s[metric].isna()],
        ]
    )
    rows = []
    for place, (_, row) in enumerate(ranked.iterrows(), start=1):
        small = bool(row["small"])
        mark = "▶ " if row["school_id"] == school_id else ""
        rows.append(
            {
                "Место": "" if small or pd.isna(row[metric]) else str(place),
                "Школа": mark + data.names[row["school_id"]],
                "Участников": str(int(row["participants"])),
                _title(metric): (
                    f"скрыто: меньше {data.min_n} участников" if small else _fmt_value(metric, row)
                ),
            }
        )
    return pd.DataFrame(rows, columns=["Место", "Школа", "Участников", _title(metric)])


class Explorer:
    """Pickers, a dynamics chart and tables of a dataset, redrawn when a picker changes.

    Parameters
    ----------
    data : str, Path, Dataset or ReportData
        A dataset folder, a loaded dataset, or report data.
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
    data : ReportData
    chart : DataFrame
        The table drawn last (:func:`dynamics_table`).
    axes : matplotlib.axes.Axes or None
        The chart drawn last (its figure is closed; the Axes keep the lines,
        title and legend).
    table, ranking : DataFrame
        The display tables drawn last (:func:`year_table`, :func:`ranking_table`).
    draws : int
        How many times the view was drawn.
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
        self, data: str | Path | Dataset | ReportData, year: int | None = None, *, min_n: int = 5
    ):
        import ipywidgets as w

        if isinstance(data, ReportData):
            self.data = data
        elif isinstance(data, Dataset):
            self.data = ReportData(data, year or max(data.years), min_n=min_n)
        elif year is not None:
            self.data = report_data(data, year, min_n=min_n)
        else:
            dataset = load_dataset(Path(data))
            self.data = ReportData(dataset, max(dataset.years), min_n=min_n)
        self._first_year = int(year) if year is not None else self.data.year
        self._quiet = False
        self.draws = 0
        self.error: str | None = None
        self.axes = None
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
            self._set_options(self.municipality, self.data.dataset.municipalities)
            self._set_options(self.assessment, sorted(self._procedures["assessment"].unique()))
            self._cascade(self.municipality)
            self._cascade(self.assessment)
        for picker in self.pickers:
            picker.observe(self._changed, names="value")
        self.update()

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
            s = self.data.dataset.schools
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

    def _show(self, section: Section) -> None:
        html = section.html()
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {"text/html": html, "text/plain": repr(section)},
                "metadata": {},
            },
        )

    def update(self) -> None:
        """Redraw the chart and the tables for the current picker values."""
        from .plots import plot_dynamics

        self.error = None
        self.draws += 1
        sid, metric = self.school.value, self.metric.value
        proc = (self.assessment.value, self.subject.value, self.grade.value)
        year = self.year.value
        name = self.data.names.get(sid, "")
        section = Section(f"{name}: {proc[0]}, {proc[1]}, {proc[2]} кл.", level=3)
        if sid is None or metric is None or year is None:
            self.chart = pd.DataFrame()
            self.axes = None
            self.table = self.ranking = pd.DataFrame()
            section.note("Нет данных для выбранных значений.")
            self._show(section)
            return

        self.chart = dynamics_table(self.data, sid, *proc, metric)
        if self.chart.empty:
            self.axes = None
            section.note("Нет данных по этой работе.")
        else:
            from matplotlib.figure import Figure

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # a figure outside pyplot: nothing for the inline backend to show twice
                fig = Figure(figsize=(8, 4), layout="constrained")
                ax = fig.add_subplot()
                labels = dict(zip(self.chart["unit"], self.chart["label"], strict=False))
                plot_dynamics(self.chart, metric, hue="unit", labels=labels, ax=ax)
                ax.axvline(year, color="#999999", linestyle=":", linewidth=1)
                if ax.get_legend() is None:
                    ax.legend(fontsize="small")
                ax.set_title(f"{_title(metric)}: {proc[0]}, {proc[1]}, {proc[2]} кл.")
            self.axes = ax
            section.figure(fig)
            if not (self.chart["unit"] == 1).any():
                section.note(
                    "У школы нет результатов по этой работе (или все группы меньше "
                    f"{self.data.min_n} участников): показаны муниципалитет и регион."
                )
        section.note(
            "Вертикальные отрезки — 95-процентные интервалы; группы меньше "
            f"{self.data.min_n} участников скрыты."
        )

        metrics = [value for _, value in self.metric.options]
        self.table = year_table(self.data, sid, *proc, year, metrics)
        section.subtitle(f"Показатели {year} года")
        section.table(
            self.table, name="year", numeric=[c for c in self.table.columns if c != "Кто"]
        )
        muni = self.municipality.value
        self.ranking = ranking_table(self.data, muni, *proc, year, metric, school_id=sid)
        section.subtitle(f"Школы: {muni}, {year} год")
        if self.ranking.empty:
            section.note("Нет результатов школ муниципалитета по этой работе за этот год.")
        else:
            section.table(
                self.ranking, name="ranking", numeric=["Место", "Участников", _title(metric)]
            )
        self._show(section)

"""The tables the explorer shows, as functions of its tables and a selection.

:func:`dynamics_table` (the chart's data: a metric over the years for a
school, its municipality and the region), :func:`year_table` (a year's
metrics of the three) and :func:`ranking_table` (the municipality's schools
ranked), with the Russian formatting of their numbers (:func:`number_column`,
:func:`metric_title`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from ..metrics import METRICS
from ..report.render import fmt_interval, fmt_number, fmt_percent
from .tables import explore_tables

if TYPE_CHECKING:
    from ..report.data import ReportData
    from .tables import ExploreTables

__all__ = ["dynamics_table", "metric_title", "number_column", "ranking_table", "year_table"]

#: Metrics shown as shares (per cent, with a Wilson interval).
_SHARES = ("share_2", "success_rate", "quality_rate", "not_admitted_share")
_REGION = "Регион"


def metric_title(metric: str) -> str:
    """A metric's label with a capital letter (a column or chart title).

    Examples
    --------
    >>> metric_title("share_2")
    'Доля «2»'
    """
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
    fixed = any(v is not None and pd.notna(v) and not float(v).is_integer() for v in values)
    return [fmt_number(v, digits, fixed=fixed) for v in values]


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
            rec.update({metric_title(m): "—" for m in metrics})
        else:
            rec["Участников"] = str(int(row["participants"]))
            hidden = bool(row["small"])
            for m in metrics:
                rec[metric_title(m)] = (
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
    columns = ["Место", "Школа", "Участников", metric_title(metric)]
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
                metric_title(metric): (
                    f"скрыто: меньше {data.min_n} участников"
                    if small
                    else _fmt_value(metric, row, number)
                ),
            }
        )
    return pd.DataFrame(rows, columns=columns)

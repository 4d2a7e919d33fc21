"""The school report's blocks on pupil groups and tasks: gaps, and what to reteach.

:func:`gender_gaps_section` shows the works where girls and boys of the school
differ beyond noise (:func:`edu_quality.gaps.group_gaps`), beside the same gap
in the municipality and the region; nothing is shown where every gap is within
noise or the groups are under ``min_group`` pupils.

:func:`reteach_section` lists, for each ВПР work of the year, the tasks where
the school's completion is below the region's beyond noise
(:func:`edu_quality.reteach.weak_tasks`), basic and advanced apart, with the
completion of the school's pupils by their ВПР mark and the same task in the
municipality and the region. It needs the per-task scores of a ФИС ОКО import
(``tasks.parquet`` in the dataset folder).

Both region-wide tables are computed once per :class:`ReportData` and kept on
disk (:mod:`edu_quality.report.table_cache`) for the next report; the pupil rows
they are computed from are never kept there.
"""

from __future__ import annotations

import weakref

import pandas as pd

from .._russian import plural
from ..gaps import GROUP_LABELS, group_gaps
from ..reliability import drop_unreliable
from ..reteach import MARKS, completion_by_mark, weak_tasks
from .data import ReportData
from .render import Section, fmt_interval, fmt_number, fmt_percent
from .table_cache import stored

__all__ = ["MIN_GROUP", "gender_gaps_section", "reteach_section"]

#: Smallest group of pupils (girls, boys, a mark group) whose value is shown.
MIN_GROUP = 10
_STATE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_METRIC = {"share_2": "Доля «2»", "mean_score": "Средний балл", "quality_rate": "Качество знаний"}


def _memo(data: ReportData, key: str, make, *, disk: bool = False):
    """A table computed once per report data; kept on disk too when ``disk`` (aggregates only)."""
    store = _STATE.setdefault(data, {})
    if key not in store:
        store[key] = stored(data.cache_key, key, make) if disk else make()
    return store[key]


def _work_label(subject: str, grade: int, session: object = None, work_grade: object = None) -> str:
    label = f"{subject}, {grade} кл."
    if session == "осень":
        done = f" за {int(work_grade)} кл." if pd.notna(work_grade) else " за прошлый класс"
        label += f" (осень: работа{done})"
    return label


def _value(metric: str, v: float) -> str:
    return fmt_number(v, fixed=True) if metric == "mean_score" else fmt_percent(v)


def _gap(metric: str, est: float, low: float, high: float) -> str:
    """A gap: points of score or percentage points, with its interval."""
    if pd.isna(est):
        return "—"
    if metric == "mean_score":
        sign = "+" if est > 0 else ""
        return f"{sign}{fmt_number(est, fixed=True)} б. " + fmt_interval(low, high, percent=False)
    sign = "+" if est > 0 else ""
    return f"{sign}{fmt_number(est * 100, fixed=True)} п.п. " + fmt_interval(
        low * 100, high * 100, percent=False
    )


def _year_results(data: ReportData) -> pd.DataFrame:
    def make():
        r = data.dataset.results
        if "gender" not in r.columns or r["gender"].isna().all():
            return r.iloc[:0]
        r = drop_unreliable(r)
        return r.loc[(r["year"] == data.year) & r["mark"].notna() & r["gender"].notna()]

    return _memo(data, "results", make)


def _wider_gaps(data: ReportData, level: str) -> pd.DataFrame:
    def make():
        return group_gaps(
            _year_results(data), level=level, schools=data.dataset.schools, min_group=MIN_GROUP
        )

    return _memo(data, f"gaps_{level}", make, disk=True)


def gender_gaps_section(data: ReportData, school_id: str) -> Section | None:
    """Girls against boys at the school where the gap is beyond noise; None otherwise."""
    r = _year_results(data)
    mine = r.loc[r["school_id"] == school_id]
    if mine.empty:
        return None
    g = group_gaps(mine, min_group=MIN_GROUP)
    g = g.loc[g["beyond_noise"]]
    if g.empty:
        return None
    work = [c for c in ("year", "assessment", "subject", "grade", "session") if c in g.columns]
    muni = _wider_gaps(data, "municipality")
    muni = muni.loc[muni["unit"] == data.municipality_of[school_id]].set_index([*work, "metric"])
    region = _wider_gaps(data, "region").set_index([*work, "metric"])
    rows = []
    for row in g.itertuples():
        key = (*(getattr(row, c) for c in work), row.metric)
        rows.append(
            {
                "Работа": f"{row.assessment}, "
                + _work_label(row.subject, row.grade, getattr(row, "session", None)),
                "Показатель": _METRIC[row.metric],
                "Девочки": _value(row.metric, row.value_group),
                "Мальчики": _value(row.metric, row.value_reference),
                "Разрыв (девочки − мальчики)": _gap(
                    row.metric, row.estimate, row.ci_low, row.ci_high
                ),
                "Разрыв в муниципалитете": _gap(row.metric, *_three(muni, key)),
                "Разрыв в регионе": _gap(row.metric, *_three(region, key)),
            }
        )
    sec = Section(
        "Девочки и мальчики: разрывы больше случайных",
        "Работы, где результаты девочек и мальчиков школы различаются больше, чем "
        "допускают случайные колебания; рядом — тот же разрыв в муниципалитете и регионе.",
    )
    sec.table(pd.DataFrame(rows), name="gender_gaps")
    sec.note(
        "Разрыв — показатель девочек минус показатель мальчиков: средний балл в первичных "
        "баллах, доли — в процентных пунктах. В квадратных скобках — 95-процентный "
        "доверительный интервал (для долей — Ньюкомба, для среднего — Уэлча); показаны "
        "только разрывы, интервал которых не содержит нуля. Работы, где девочек или "
        f"мальчиков меньше {MIN_GROUP}, не сравниваются. "
        f"Группы: {GROUP_LABELS['ж']} и {GROUP_LABELS['м']}."
    )
    return sec


def _three(table: pd.DataFrame, key: tuple) -> tuple[float, float, float]:
    if key not in table.index:
        return (float("nan"),) * 3
    row = table.loc[key]
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0]
    return row["estimate"], row["ci_low"], row["ci_high"]


def _year_tasks(data: ReportData) -> pd.DataFrame | None:
    """The year's per-task scores (pupil rows: kept in memory only); None without them."""

    def make():
        path = data.dataset.folder / "tasks.parquet" if data.dataset.folder else None
        if path is None or not path.is_file():
            return None
        tasks = pd.read_parquet(path, filters=[("year", "==", data.year)])
        return None if tasks.empty else tasks

    return _memo(data, "tasks", make)


def _weak_table(data: ReportData) -> pd.DataFrame | None:
    """The region's weak-task table of the year (per school and task); None without task scores."""

    def make():
        tasks = _year_tasks(data)
        if tasks is None:
            return None
        return weak_tasks(tasks, schools=data.dataset.schools, min_group=MIN_GROUP)

    return _memo(data, "weak_tasks", make, disk=True)


def _muni_share(row, min_n: int) -> str:
    """The municipality's completion, hidden when the other schools are a small group."""
    rest = row.municipality_n - row.n
    if pd.isna(row.municipality_share) or 0 < rest < min_n:
        return "—"
    return fmt_percent(row.municipality_share)


def reteach_section(data: ReportData, school_id: str) -> Section | None:
    """Tasks of the year's ВПР where the school is behind the region beyond noise."""
    weak = _weak_table(data)
    if weak is None:
        return None
    mine = weak.loc[(weak["school_id"] == school_id) & ~weak["small"]]
    if mine.empty:
        return None
    work = [c for c in ("year", "session", "subject", "grade", "work_grade") if c in mine.columns]
    tasks = _year_tasks(data)
    own = tasks.loc[tasks["school_id"] == school_id]  # no cast of the category: millions of rows
    r = data.dataset.results
    r = r.loc[(r["school_id"] == school_id) & (r["year"] == data.year)]
    marks = completion_by_mark(own, r, work=work, min_group=MIN_GROUP)
    marks = marks.astype({c: mine[c].dtype for c in [*work, "task_no", "school_id"]})
    mine = mine.merge(marks, on=[*work, "task_no", "school_id"], how="left")
    sec = Section(
        "Что повторить: задания ВПР ниже региона",
        "Задания, выполненные в школе хуже, чем в регионе, и разница больше случайной; "
        "рядом — выполнение этого задания в муниципалитете и регионе и выполнение "
        "обучающимися школы с разными отметками за работу.",
    )
    flagged = mine.loc[mine["reteach"]]
    if flagged.empty:
        sec.text(
            "Ни одно задание ВПР этого года не выполнено хуже, чем в регионе, "
            "больше случайных колебаний."
        )
        return sec
    for i, (keys, part) in enumerate(flagged.groupby(work, sort=True)):
        kv = dict(zip(work, keys if isinstance(keys, tuple) else (keys,), strict=True))
        sec.subtitle(
            "ВПР, "
            + _work_label(kv["subject"], kv["grade"], kv.get("session"), kv.get("work_grade"))
        )
        sec.table(_reteach_rows(part, data.min_n), name=f"reteach_{i + 1}")
    n = len(flagged)
    sec.note(
        f"{n} {plural(n, 'задание', 'задания', 'заданий')} ниже региона. Выполнение — доля "
        "набранных баллов от максимума; в квадратных скобках — 95-процентный интервал "
        "Уилсона. Задание отмечено, если верхняя граница интервала ниже региона и отставание "
        "не меньше 5 п.п. Освоено: базовое задание — от 50 %, повышенное — от 15 % "
        "(принятое в региональных анализах ВПР правило; уровень задания — по его месту в "
        "работе: два последних задания считаются повышенными). Выполнение по отметкам "
        f"показано для групп не меньше {MIN_GROUP} обучающихся."
    )
    return sec


def _reteach_rows(part: pd.DataFrame, min_n: int) -> pd.DataFrame:
    rows = []
    for row in part.sort_values(["advanced", "task_no"]).itertuples():
        rec = {
            "Задание": str(row.task),
            "Уровень": row.task_level,
            "Школа": f"{fmt_percent(row.share)} {fmt_interval(row.share_low, row.share_high)}",
            "Освоено в школе": "да" if row.mastered else "нет",
            "Муниципалитет": _muni_share(row, min_n),
            "Регион": fmt_percent(row.region_share),
        }
        for mark in MARKS:
            rec[f"Отметка «{mark}»"] = fmt_percent(getattr(row, f"share_mark{mark}", None))
        rows.append(rec)
    return pd.DataFrame(rows)

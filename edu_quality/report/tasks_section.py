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

The municipality and region reports show the same for their pupils together:
:func:`municipality_gaps_section` and :func:`region_gaps_section` (one row per
work with a gap beyond noise), :func:`municipality_tasks_section` (the tasks
where the municipality is behind the region beyond noise, basic and advanced
apart, with the schools where each task is behind named) and
:func:`region_tasks_section` (the tasks not mastered in the region, with the
completion of its pupils by ВПР mark).

The region-wide tables are computed once per :class:`ReportData` and kept on
disk (:mod:`edu_quality.report.table_cache`) for the next report; the pupil rows
they are computed from are never kept there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._rows import KeyedRows, iter_rows
from .._russian import name_order, plural
from ..exam_years import AUTUMN
from ..gaps import GROUP_LABELS, group_gaps
from ..reliability import drop_unreliable
from ..reteach import MARKS, completion_by_mark, weak_tasks
from .data import ReportData
from .render import Section, display_table, fmt_interval, fmt_number, fmt_percent

__all__ = [
    "MIN_GAP",
    "MIN_GROUP",
    "gender_gaps_section",
    "municipality_gaps_section",
    "municipality_pupil_sections",
    "municipality_tasks_section",
    "region_gaps_section",
    "region_pupil_sections",
    "region_tasks_section",
    "reteach_section",
]

#: Smallest group of pupils (girls, boys, a mark group) whose value is shown.
MIN_GROUP = 10
_METRIC = {"share_2": "Доля «2»", "mean_score": "Средний балл", "quality_rate": "Качество знаний"}


def _work_label(subject: str, grade: int, session: object = None, work_grade: object = None) -> str:
    label = f"{subject}, {grade} кл."
    if session == AUTUMN:
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

    return data.memo("results", make)


def _wider_gaps(data: ReportData, level: str) -> pd.DataFrame:
    def make():
        return group_gaps(
            _year_results(data), level=level, schools=data.dataset.schools, min_group=MIN_GROUP
        )

    return data.memo(f"gaps_{level}", make, disk=True)


def gender_gaps_section(data: ReportData, school_id: str) -> Section | None:
    """Girls against boys at the school where the gap is beyond noise; None otherwise."""
    if school_id not in data.rows_of(_year_results(data)):
        return None
    # every school's gaps at once (kept on disk), the school's taken from them
    g = data.rows_of(_wider_gaps(data, "school"), column="unit")
    g = g(school_id)
    g = g.loc[g["beyond_noise"]]
    if g.empty:
        return None
    work = _gap_work(g)
    muni = _gap_lookup(data, "municipality")
    region = _gap_lookup(data, "region")
    unit = data.municipality_of[school_id]
    rows = []
    for row in iter_rows(g):
        key = _gap_key((*(getattr(row, c) for c in work), row.metric))
        rows.append(
            (
                f"{row.assessment}, "
                + _work_label(row.subject, row.grade, getattr(row, "session", None)),
                _METRIC[row.metric],
                _value(row.metric, row.value_group),
                _value(row.metric, row.value_reference),
                _gap(row.metric, row.estimate, row.ci_low, row.ci_high),
                _gap(row.metric, *muni.get((unit, *key), _NO_GAP)),
                _gap(row.metric, *region.get(("", *key), _NO_GAP)),
            )
        )
    sec = Section(
        "Девочки и мальчики: разрывы больше случайных",
        "Работы, где результаты девочек и мальчиков школы различаются больше, чем "
        "допускают случайные колебания; рядом — тот же разрыв в муниципалитете и регионе.",
    )
    sec.table(display_table(rows, _GAP_COLUMNS), name="gender_gaps")
    sec.note(
        "Разрыв — показатель девочек минус показатель мальчиков: средний балл в первичных "
        "баллах, доли — в процентных пунктах. В квадратных скобках — 95-процентный "
        "доверительный интервал (для долей — Ньюкомба, для среднего — Уэлча); показаны "
        "только разрывы, интервал которых не содержит нуля. Работы, где девочек или "
        f"мальчиков меньше {MIN_GROUP}, не сравниваются. "
        f"Группы: {GROUP_LABELS['ж']} и {GROUP_LABELS['м']}."
    )
    return sec


_GAP_COLUMNS = (
    "Работа",
    "Показатель",
    "Девочки",
    "Мальчики",
    "Разрыв (девочки − мальчики)",
    "Разрыв в муниципалитете",
    "Разрыв в регионе",
)
_NO_GAP = (float("nan"),) * 3


def _gap_work(gaps: pd.DataFrame) -> list[str]:
    return [c for c in ("year", "assessment", "subject", "grade", "session") if c in gaps.columns]


def _gap_key(values) -> tuple:
    """A lookup key: a missing value (NaN) as None, so that it finds its match."""
    return tuple(None if isinstance(v, float) and v != v else v for v in values)


def _gap_lookup(data: ReportData, level: str) -> dict[tuple, tuple[float, float, float]]:
    """A level's gaps by (unit, *work, metric) → (estimate, low, high); the region's unit is "".

    Built once per report data; a key met twice keeps its first row.
    """

    def make():
        gaps = _wider_gaps(data, level)
        cols = ["unit", *_gap_work(gaps), "metric", "estimate", "ci_low", "ci_high"]
        if level == "region":
            gaps = gaps.assign(unit="")
        found: dict[tuple, tuple[float, float, float]] = {}
        for row in gaps[cols].to_numpy(dtype=object).tolist():
            found.setdefault(_gap_key(row[:-3]), tuple(row[-3:]))
        return found

    return data.memo(f"gap_lookup_{level}", make)


def _weak_table(data: ReportData) -> pd.DataFrame | None:
    """The region's weak-task table of the year (per school and task); None without task scores."""

    def make():
        tasks = data.year_tasks()
        if tasks is None:
            return None
        return weak_tasks(tasks, schools=data.dataset.schools, min_group=MIN_GROUP)

    return data.memo("weak_tasks", make, disk=True)


def _reteach_work(weak: pd.DataFrame) -> list[str]:
    return [c for c in ("year", "session", "subject", "grade", "work_grade") if c in weak.columns]


def _weak_with_marks(data: ReportData) -> pd.DataFrame:
    """The weak-task table with each school's completion by mark (every school at once)."""

    def make():
        weak = _weak_table(data)
        work = _reteach_work(weak)
        r = data.dataset.results
        marks = completion_by_mark(
            data.year_tasks(), r.loc[r["year"] == data.year], work=work, min_group=MIN_GROUP
        )
        marks = marks.astype({c: weak[c].dtype for c in [*work, "task_no", "school_id"]})
        return weak.merge(marks, on=[*work, "task_no", "school_id"], how="left")

    return data.memo("weak_marks", make, disk=True)


def _muni_share(row, min_n: int) -> str:
    """The municipality's completion, hidden when the other schools are a small group."""
    rest = row.municipality_n - row.n
    if pd.isna(row.municipality_share) or 0 < rest < min_n:
        return "—"
    return fmt_percent(row.municipality_share)


def reteach_section(data: ReportData, school_id: str) -> Section | None:
    """Tasks of the year's ВПР where the school is behind the region beyond noise."""
    if _weak_table(data) is None:
        return None
    mine = data.rows_of(_weak_with_marks(data))(school_id)
    mine = mine.loc[~mine["small"]]
    if mine.empty:
        return None
    work = _reteach_work(mine)
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
    groups = flagged[work].groupby(work, sort=True, dropna=False).indices  # work → positions
    sec.text(_reteach_summary(flagged, len(groups)))
    shown = _reteach_rows(flagged, data.min_n)  # every work's rows at once, split below
    advanced = flagged["advanced"].to_numpy()
    task_no = flagged["task_no"].to_numpy()
    for i, (keys, at) in enumerate(groups.items()):
        kv = dict(zip(work, keys if isinstance(keys, tuple) else (keys,), strict=True))
        sec.subtitle(
            "ВПР, "
            + _work_label(kv["subject"], kv["grade"], kv.get("session"), kv.get("work_grade"))
        )
        order = at[np.lexsort((task_no[at], advanced[at]))]  # basic first, then by task number
        sec.table(
            display_table([shown[j] for j in order], _RETEACH_COLUMNS), name=f"reteach_{i + 1}"
        )
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


def _reteach_summary(flagged: pd.DataFrame, works: int) -> str:
    """One line before the tables: how many tasks, in how many works, how many not mastered."""
    n = len(flagged)
    advanced = flagged["advanced"].to_numpy(dtype=bool)
    n_advanced = int(advanced.sum())
    open_basic = int((~flagged["mastered"].to_numpy(dtype=bool) & ~advanced).sum())
    return (
        f"Ниже региона {n} {plural(n, 'задание', 'задания', 'заданий')} в {works} "
        f"{plural(works, 'работе', 'работах', 'работах')}: базовых — {n - n_advanced} (не "
        f"освоены в школе — {open_basic}), повышенных — {n_advanced}. Прежде всего — базовые "
        "задания, не освоенные в школе (в таблицах «нет» в столбце «Освоено в школе»)."
    )


_RETEACH_COLUMNS = (
    "Задание",
    "Уровень",
    "Школа",
    "Освоено в школе",
    "Муниципалитет",
    "Регион",
    *(f"Отметка «{mark}»" for mark in MARKS),
)


def _reteach_rows(part: pd.DataFrame, min_n: int) -> list[tuple[str, ...]]:
    """The display rows of weak tasks (cells in the order of ``_RETEACH_COLUMNS``)."""
    shown = ["task", "task_level", "share", "share_low", "share_high", "mastered", "n"]
    shown += ["municipality_n", "municipality_share", "region_share"]
    shown += [f"share_mark{m}" for m in MARKS if f"share_mark{m}" in part.columns]
    return [
        (
            str(row.task),
            row.task_level,
            f"{fmt_percent(row.share)} {fmt_interval(row.share_low, row.share_high)}",
            "да" if row.mastered else "нет",
            _muni_share(row, min_n),
            fmt_percent(row.region_share),
            *(fmt_percent(getattr(row, f"share_mark{mark}", None)) for mark in MARKS),
        )
        for row in iter_rows(part[shown])
    ]


# ------------------------------------------------------------------ municipality and region

#: Smallest shortfall against the region (share units) for a municipality's task to count.
MIN_GAP = 0.05
_GAP_HEAD = {
    "share_2": "Доля «2»",
    "mean_score": "Средний балл",
    "quality_rate": "Качество знаний",
}


def _gap_cell(row) -> str:
    """«girls / boys: gap [interval]» beyond noise, «… : разница случайна» within it."""
    both = f"{_value(row.metric, row.value_group)} / {_value(row.metric, row.value_reference)}"
    if not row.beyond_noise:
        return f"{both}: разница случайна"
    return f"{both}: {_gap(row.metric, row.estimate, row.ci_low, row.ci_high)}"


def _count(n: object) -> str:
    """A count with its thousands apart: 12222 → «12 222» (a non-breaking space)."""
    return f"{int(n):,}".replace(",", "\u00a0")


def _gaps_by_work(g: pd.DataFrame) -> tuple[pd.DataFrame, int, int, int]:
    """One row per work with a gap beyond noise; works compared, girls and boys ahead."""
    work = [c for c in ("year", "assessment", "subject", "grade", "session") if c in g.columns]
    judged = g.loc[~g["suppressed"]]
    every = list(iter_rows(judged))  # the rows taken once, each work's by position
    rows, girls, boys, compared = [], 0, 0, 0
    for keys, at in judged.groupby(work, sort=True, dropna=False).indices.items():
        compared += 1
        part = [every[i] for i in at]
        if not any(r.beyond_noise for r in part):
            continue
        kv = dict(zip(work, keys if isinstance(keys, tuple) else (keys,), strict=True))
        mean = next((r for r in part if r.metric == "mean_score"), None)
        if mean is not None and mean.beyond_noise:
            girls += int(mean.estimate > 0)
            boys += int(mean.estimate < 0)
        first = part[0]
        rec = {
            "Работа": f"{kv['assessment']}, "
            + _work_label(kv["subject"], kv["grade"], kv.get("session")),
            "Девочек / мальчиков": f"{_count(first.n_group)} / {_count(first.n_reference)}",
        }
        by_metric = {r.metric: r for r in part}
        for metric, head in _GAP_HEAD.items():
            rec[f"{head}: девочки / мальчики"] = (
                _gap_cell(by_metric[metric]) if metric in by_metric else "—"
            )
        rows.append(rec)
    return pd.DataFrame(rows), compared, girls, boys


def _gaps_note() -> str:
    return (
        "В ячейке — показатель девочек и мальчиков и разрыв (девочки минус мальчики: "
        "средний балл в первичных баллах, доли — в процентных пунктах) с 95-процентным "
        "доверительным интервалом (для долей — Ньюкомба, для среднего — Уэлча); "
        "«разница случайна» — интервал содержит ноль. Работы, где девочек или мальчиков "
        f"меньше {MIN_GROUP}, не сравниваются."
    )


def _gaps_section(g: pd.DataFrame, where: str) -> Section | None:
    table, compared, girls, boys = _gaps_by_work(g)
    if table.empty:
        return None
    n = len(table)
    sec = Section(
        "Девочки и мальчики: разрывы больше случайных",
        f"Работы, где результаты девочек и мальчиков {where} различаются больше, чем "
        "допускают случайные колебания.",
    )
    ahead = [f"девочки выше в {girls}"] if girls else []
    ahead += [f"мальчики выше в {boys}"] if boys else []
    sec.text(
        f"Разрыв больше случайного в {n} {plural(n, 'работе', 'работах', 'работах')} из "
        f"{compared}" + (f"; по среднему баллу {' и '.join(ahead)}." if ahead else ".")
    )
    sec.table(table, name="gender_gaps")
    sec.note(_gaps_note())
    return sec


def _school_gap_line(data: ReportData, ids: list[str]) -> str | None:
    """How many of the schools compared show a gap beyond noise (no names, no ranking)."""
    # the schools' own gaps, taken from those of every school (as in the school reports)
    g = _wider_gaps(data, "school")
    g = g.loc[g["unit"].isin(ids) & ~g["suppressed"]]
    if g.empty:
        return None
    compared = g["unit"].nunique()
    beyond = g.loc[g["beyond_noise"], "unit"].nunique()
    return (
        f"Школ, где девочек и мальчиков хватает для сравнения хотя бы в одной работе: "
        f"{compared}; из них разрыв больше случайного хотя бы в одной работе — в {beyond} "
        "(по школам — в их отчётах)."
    )


def municipality_gaps_section(data: ReportData, municipality: str) -> Section | None:
    """Girls against boys in the municipality, by work, where a gap is beyond noise.

    The municipality's pupils together (:func:`edu_quality.gaps.group_gaps` with
    ``level="municipality"``); None where the results hold no sex or no gap is
    beyond noise.
    """
    ids = data.schools_of(municipality)  # the report checked the name
    if not ids:
        return None
    if _year_results(data).empty:
        return None
    g = _wider_gaps(data, "municipality")
    sec = _gaps_section(g.loc[g["unit"] == municipality], "муниципалитета")
    if sec is not None:
        line = _school_gap_line(data, ids)
        if line:
            sec.text(line)
    return sec


def region_gaps_section(data: ReportData) -> Section | None:
    """Girls against boys in the whole region, by work, where a gap is beyond noise."""
    if _year_results(data).empty:
        return None
    return _gaps_section(_wider_gaps(data, "region"), "региона")


def _unit_completion(weak: pd.DataFrame, work: list[str], confidence: float = 0.95):
    """A group of schools' completion of each task with an interval over schools and pupils.

    The share is all points over all maximum points (Σ nᵢ·sᵢ / Σ nᵢ). Its interval is
    the wider of two: Wilson's over the pupils (as for one school) and the
    linearised variance of a ratio over schools as clusters,
    ``v = k/(k − 1) · Σ nᵢ²(sᵢ − s)² / (Σ nᵢ)²`` with Student's t on k − 1 degrees
    of freedom (pupils of one school are alike; Cochran 1977, §6.11 and §11.7).
    """
    from .._stats import t_ppf
    from ..intervals import wilson

    w = weak.assign(_pts=weak["share"] * weak["n"])
    keys = [*work, "task_no"]
    g = w.groupby(keys, observed=True, sort=True)
    out = g.agg(
        task=("task", "first"),
        task_level=("task_level", "first"),
        advanced=("advanced", "first"),
        threshold=("threshold", "first"),
        region_share=("region_share", "first"),
        n=("n", "sum"),
        k=("school_id", "nunique"),
        pts=("_pts", "sum"),
    ).reset_index()
    out["share"] = out["pts"] / out["n"]
    w = w.merge(out[[*keys, "share", "n"]], on=keys, suffixes=("", "_unit"))
    w["_dev"] = (w["n"] * (w["share"] - w["share_unit"])) ** 2
    dev = w.groupby(keys, observed=True, sort=True)["_dev"].sum().to_numpy()
    k = out["k"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(k / (k - 1) * dev) / out["n"].to_numpy(dtype=float)
        half = t_ppf(0.5 + confidence / 2, np.maximum(k - 1, 1)) * se
    half = np.where(k >= 2, half, 0.0)
    low, high = wilson(out["pts"].to_numpy(), out["n"].to_numpy(), alpha=1 - confidence)
    share = out["share"].to_numpy()
    out["share_low"] = np.clip(np.minimum(low, share - half), 0, 1)
    out["share_high"] = np.clip(np.maximum(high, share + half), 0, 1)
    return out


def _municipal_tasks(data: ReportData) -> tuple[KeyedRows, pd.Series] | None:
    """Every municipality's task completion and its schools behind the region, at once.

    The completion (:func:`_unit_completion`) of each municipality's schools
    with task scores, by municipality (:class:`~edu_quality._rows.KeyedRows`),
    and the names of the schools where a task is behind the region, by
    municipality, work and task: computed once for the report data, not once
    per municipality's page (each group of schools is summed as on its own).
    None without task scores.
    """

    def make():
        weak = _weak_table(data)
        if weak is None:
            return None
        scored = weak.loc[weak["share"].notna()]
        where = data.dataset.schools.set_index("school_id")["municipality"]
        scored = scored.assign(municipality=scored["school_id"].map(where).to_numpy())
        keys = ["municipality", *_reteach_work(weak)]
        unit = _unit_completion(scored, keys)
        named = scored.loc[scored["reteach"] & ~scored["small"]]
        names = named.groupby([*keys, "task_no"], observed=True)["school_id"].agg(
            lambda s: sorted((str(data.names[i]) for i in s), key=name_order)
        )
        return KeyedRows(unit, "municipality"), names

    return data.memo("municipal_tasks", make)


def municipality_tasks_section(data: ReportData, municipality: str) -> Section | None:
    """The year's ВПР tasks where the municipality is behind the region beyond noise.

    Basic and advanced tasks apart; beside each task the schools of the
    municipality where it is behind the region beyond noise
    (:func:`edu_quality.reteach.weak_tasks`), by name. None without task scores.
    """
    found = _municipal_tasks(data)
    if found is None or municipality not in found[0]:
        return None
    units, names = found
    unit = units(municipality)
    work = _reteach_work(unit)
    behind = (unit["share_high"] < unit["region_share"]) & (
        unit["region_share"] - unit["share"] >= MIN_GAP - 1e-12
    )
    flagged = unit.loc[behind]
    sec = Section(
        "Что повторить в муниципалитете: задания ВПР ниже региона",
        "Задания, выполненные обучающимися муниципалитета хуже, чем в регионе, больше "
        "случайных колебаний; рядом — школы, где это задание ниже региона.",
    )
    if flagged.empty:
        sec.text(
            "Ни одно задание ВПР этого года не выполнено в муниципалитете хуже, чем в "
            "регионе, больше случайных колебаний."
        )
        return sec
    n, works = len(flagged), len(flagged.drop_duplicates(work))
    sec.text(
        f"Ниже региона {n} {plural(n, 'задание', 'задания', 'заданий')} в {works} "
        f"{plural(works, 'работе', 'работах', 'работах')}: базовых — "
        f"{int((~flagged['advanced']).sum())}, повышенных — {int(flagged['advanced'].sum())}."
    )
    for advanced, title in ((False, "Базовые задания"), (True, "Повышенные задания")):
        part = flagged.loc[flagged["advanced"] == advanced]
        if part.empty:
            continue
        n = len(part)
        sec.subtitle(f"{title}: {n}")
        rows = []
        for row in iter_rows(part):
            key = tuple(getattr(row, c) for c in [*work, "task_no"])
            kv = dict(zip(work, key, strict=False))
            schools = names.get((municipality, *key), [])
            rows.append(
                {
                    "Работа": "ВПР, "
                    + _work_label(
                        kv["subject"], kv["grade"], kv.get("session"), kv.get("work_grade")
                    ),
                    "Задание": str(row.task),
                    "Муниципалитет": f"{fmt_percent(row.share)} "
                    + fmt_interval(row.share_low, row.share_high),
                    "Регион": fmt_percent(row.region_share),
                    "Школы, где задание ниже региона": ", ".join(schools) if schools else "—",
                }
            )
        sec.table(
            pd.DataFrame(rows),
            name="municipality_tasks_advanced" if advanced else "municipality_tasks_basic",
        )
    sec.note(
        "Выполнение — доля набранных баллов от максимума. Интервал (95 %) учитывает и "
        "число обучающихся, и различия между школами муниципалитета. Задание отмечено, "
        "если верхняя граница интервала ниже региона и отставание не меньше 5 п.п.; школа "
        "названа, если по тому же правилу ниже региона её собственный результат. Уровень "
        "задания — по его месту в работе: два последних задания считаются повышенными."
    )
    return sec


def _region_by_mark(data: ReportData, tasks: pd.DataFrame, work: list[str]) -> pd.DataFrame:
    def make():
        r = data.dataset.results
        r = r.loc[r["year"] == data.year]
        return completion_by_mark(tasks, r, work=work, min_group=MIN_GROUP, by_school=False)

    return data.memo("region_by_mark", make)


def region_tasks_section(data: ReportData) -> Section | None:
    """Tasks of the year's ВПР not mastered in the region, with completion by mark.

    A task is not mastered when the region's completion is under the threshold of
    its level (basic 50 %, advanced 15 %; :func:`edu_quality.reteach.weak_tasks`).
    Beside it, the completion of the region's pupils with each ВПР mark (groups of
    at least ``MIN_GROUP``). None without task scores.
    """
    weak = _weak_table(data)
    if weak is None:
        return None
    tasks = data.year_tasks()
    work = [c for c in ("year", "session", "subject", "grade", "work_grade") if c in weak.columns]
    unit = weak.drop_duplicates([*work, "task_no"]).sort_values([*work, "task_no"])
    judged = len(unit)
    low = unit.loc[~unit["region_mastered"]]
    sec = Section(
        "Что повторить в регионе: задания ВПР, не освоенные в регионе",
        "Задания, выполненные в регионе ниже порога освоения; рядом — выполнение "
        "обучающимися с разными отметками за работу.",
    )
    if low.empty:
        sec.text(f"Все {judged} заданий ВПР этого года освоены в регионе.")
        return sec
    marks = _region_by_mark(data, tasks, work)
    marks = marks.astype({c: low[c].dtype for c in [*work, "task_no"]})
    low = low.merge(marks, on=[*work, "task_no"], how="left")
    n = len(low)
    sec.text(
        f"Не освоено {n} {plural(n, 'задание', 'задания', 'заданий')} из {judged}: "
        f"базовых — {int((~low['advanced']).sum())}, повышенных — {int(low['advanced'].sum())}."
    )
    for advanced, title in ((False, "Базовые задания"), (True, "Повышенные задания")):
        part = low.loc[low["advanced"] == advanced]
        if part.empty:
            continue
        sec.subtitle(f"{title}: {len(part)}")
        rows = []
        for row in iter_rows(part):
            kv = {c: getattr(row, c) for c in work}
            rec = {
                "Работа": "ВПР, "
                + _work_label(kv["subject"], kv["grade"], kv.get("session"), kv.get("work_grade")),
                "Задание": str(row.task),
                "Регион": fmt_percent(row.region_share),
            }
            for mark in MARKS:
                rec[f"Отметка «{mark}»"] = fmt_percent(getattr(row, f"share_mark{mark}", None))
            rows.append(rec)
        sec.table(
            pd.DataFrame(rows), name="region_tasks_advanced" if advanced else "region_tasks_basic"
        )
    sec.note(
        "Выполнение — доля набранных баллов от максимума. Освоено: базовое задание — от "
        "50 %, повышенное — от 15 % (принятое в региональных анализах ВПР правило; уровень "
        "задания — по его месту в работе: два последних задания считаются повышенными). "
        f"Выполнение по отметкам показано для групп не меньше {MIN_GROUP} обучающихся."
    )
    return sec


def municipality_pupil_sections(data: ReportData, municipality: str) -> list[Section]:
    """The municipality report's blocks on girls and boys and on tasks, where the data allow."""
    found = (
        municipality_gaps_section(data, municipality),
        municipality_tasks_section(data, municipality),
    )
    return [s for s in found if s is not None]


def region_pupil_sections(data: ReportData) -> list[Section]:
    """The region report's blocks on girls and boys and on tasks, where the data allow."""
    return [s for s in (region_gaps_section(data), region_tasks_section(data)) if s is not None]

"""The school report's block on a cohort's autumn-to-spring progress (:mod:`edu_quality.sessions`).

Shown only where the data hold both sessions of the report's school year (the ВПР
moved to autumn 2020 and the spring 2021 works): the change of the share of «2» of
the same grade's pupils from the previous grade's work in autumn to their own
grade's work in spring, with the region's own change beside it. It is labelled as a
cohort's progress between two different works, never as the school's dynamics.

The table of every school is computed once per :class:`ReportData` and kept on
disk (:mod:`edu_quality.report.table_cache`), as the other region-wide tables.
"""

from __future__ import annotations

import pandas as pd

from .._rows import iter_rows
from ..sessions import LABEL, session_progress
from .data import ReportData
from .render import Section, fmt_interval, fmt_number, fmt_percent

__all__ = ["session_progress_section"]


def _progress(data: ReportData) -> pd.DataFrame:
    """:func:`~edu_quality.sessions.session_progress` of every school of the year, once."""
    s = data.summary
    return data.memo(
        "session_progress",
        lambda: session_progress(s.loc[s["year"] == data.year], min_n=data.min_n),
        disk=True,
    )


def _points(v: float) -> str:
    """A change of a share in percentage points, with its sign: «−4,5»."""
    return ("+" if v > 0 else "") + fmt_number(v * 100, fixed=True)


def session_progress_section(data: ReportData, school_id: str) -> Section | None:
    """Autumn → spring of one school year for the school's cohorts, beside the region's.

    None when the report's year has no autumn session for the school. Cells hidden
    by disclosure control (:attr:`ReportData.hidden`) and groups under ``min_n``
    pupils show no share.
    """
    s = data.summary
    if "session" not in s.columns:
        return None
    t = data.rows_of(_progress(data))(school_id)
    if t.empty:
        return None
    at = data.rows_of(s).positions(school_id)  # the school's rows, then the hidden of them
    hidden = s.iloc[at[data.hidden[0][at]]]
    secret = {(r.subject, r.grade) for r in iter_rows(hidden) if r.year == data.year}
    rows = []
    for r in iter_rows(t):
        shown = not r.verdict == "" and (r.subject, r.grade) not in secret
        rows.append(
            {
                "Предмет, класс": f"{r.subject}, {r.grade} кл.",
                "Доля «2» осенью (работа за прошлый класс)": (
                    fmt_percent(r.share_autumn) if shown else "скрыто"
                ),
                "Доля «2» весной": fmt_percent(r.share_spring) if shown else "скрыто",
                "Изменение школы, п.п.": (
                    f"{_points(r.change)} "
                    + fmt_interval(r.change_low * 100, r.change_high * 100, percent=False)
                    if shown
                    else "—"
                ),
                "Изменение в регионе, п.п.": _points(r.region_change),
                "Итог": r.verdict if shown else "не оценивалось",
            }
        )
    sec = Section(
        "Осень → весна: прогресс тех же обучающихся",
        f"{LABEL[0].upper()}{LABEL[1:]}. Осенью обучающиеся писали работу за прошлый класс, "
        "весной — за свой; в регионе доля «2» между этими работами тоже меняется, поэтому "
        "изменение школы сравнивается с изменением в регионе.",
    )
    sec.table(pd.DataFrame(rows), name="session_progress")
    sec.note(
        "«Лучше, чем в регионе» — доля «2» снизилась сильнее (или выросла меньше), чем в "
        "регионе, и разница больше случайной; интервал в квадратных скобках — 95-процентный, "
        "в процентных пунктах. Группы меньше "
        f"{data.min_n} участников не оцениваются."
    )
    return sec

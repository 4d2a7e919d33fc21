"""The data a Word document shows: plain values, lists of dicts and tables, no Word objects.

:func:`school_context` and :func:`municipality_context` take everything from the
report's own functions — the справка's findings
(:func:`edu_quality.report.municipal.note_content`), the school's first screen
(:mod:`edu_quality.report.first_screen`) — so the document says what the HTML
report says. Only shown cells are quoted: the far works come from
:func:`~edu_quality.report.first_screen.far_works`, which reads the shown
summaries (:attr:`ReportData.shown_summary`, :attr:`ReportData.shown_region`),
and the справка names schools and verdicts, never a small group's count.

Tables are :class:`Table` (formatted strings, the numeric columns named): the
renderer makes them real Word tables (:mod:`edu_quality.report.word.render`).
"""

from __future__ import annotations

import datetime
import html
import re
from dataclasses import dataclass, field

import pandas as pd

from ..._rows import iter_rows
from ..._russian import decimal
from ..data import ReportData
from ..first_screen import (
    TRACK_TEXT,
    context_words,
    far_works,
    first_screen_header,
    journal_words,
    objectivity_markers,
    risk_year,
    school_measures,
    year_label,
)
from ..municipal import (
    CAUSES_CAVEAT,
    NO_INDICATORS,
    NO_PLAN,
    NO_PROBLEMS,
    RESILIENT_LABEL,
    names_line,
    no_causes_text,
    note_content,
)
from ..render import fmt_interval, fmt_percent

__all__ = ["Chart", "Table", "municipality_context", "school_context"]


@dataclass
class Table:
    """A table for a document: formatted cells; ``numeric`` columns are right-aligned."""

    frame: pd.DataFrame
    numeric: list[str] = field(default_factory=list)


@dataclass
class Chart:
    """A figure for a document: what to plot (a table) and its caption."""

    kind: str  # "far_works" or "problems"
    table: pd.DataFrame
    caption: str


def _plain(block: str) -> str:
    """The text of an HTML block of a Section (tags dropped, entities undone)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split())


def _school_lines(named: dict[str, str]) -> tuple[list[dict], list[str]]:
    schools = [
        {"name": k, "reason": v, "line": f"{k} — {v}" if v else k} for k, v in sorted(named.items())
    ]
    return schools, [s["line"] for s in schools if s["reason"]]


def _finding(label: str, named: dict[str, str], total: int | None) -> dict:
    schools, details = _school_lines(named)
    return {
        "label": label,
        "count": len(named),
        "total": total,
        "line": names_line(label, list(named), total),
        "schools": schools,
        "details": details,
    }


def _common(data: ReportData) -> dict:
    return {
        "year": int(data.year),
        "year_label": year_label(data.year),
        "date": datetime.date.today().strftime("%d.%m.%Y"),
        "min_n": int(data.min_n),
    }


def municipality_context(data: ReportData, municipality: str) -> dict:
    """The «Аналитическая справка» of a municipality as a document's context.

    Keys are listed in :data:`edu_quality.report.word.CONTEXT_KEYS` (``"municipality"``).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> ctx = municipality_context(report_data(sample_folder("region"), 2024), "г. Заречный")
    >>> ctx["title"], isinstance(ctx["problems"], list)
    ('Аналитическая справка', True)
    """
    content = note_content(data, municipality)
    problems = [_finding(*p) for p in content["problems"]]
    causes = [_finding(*c) for c in content["causes"]]
    rows = [
        {
            "Проблема": p["label"],
            "Школ": str(p["count"]),
            "Из": "" if p["total"] is None else str(p["total"]),
            "Доля школ": "" if not p["total"] else fmt_percent(p["count"] / p["total"]),
        }
        for p in problems
    ]
    problems_table = Table(
        pd.DataFrame(rows, columns=["Проблема", "Школ", "Из", "Доля школ"]),
        ["Школ", "Из", "Доля школ"],
    )
    rec = content["indicators"]
    indicators = [
        {
            "indicator": r["Показатель"],
            "computed": r["Рассчитано по данным"],
            "reported": r["В показателях программы"],
            "why": r["Почему различаются"],
        }
        for r in rec.to_dict("records")
    ]
    tracks = [
        {
            "track": t["track"],
            "title": t["title"],
            "text": t["text"],
            "schools": t["schools"],
            "measures": [
                {
                    "measure": m["Мероприятие"],
                    "deadline": m["Срок"],
                    "responsible": m["Ответственный"],
                }
                for m in t["measures"].to_dict("records")
            ],
            "table": Table(t["measures"]),
        }
        for t in content["tracks"]
    ]
    chart = (
        Chart(
            "problems",
            pd.DataFrame(
                {"label": [p["label"] for p in problems], "count": [p["count"] for p in problems]}
            ),
            "Число школ по выявленным проблемам",
        )
        if problems
        else None
    )
    return {
        **_common(data),
        "kind": "municipality",
        "title": "Аналитическая справка",
        "municipality": municipality,
        "intro": f"{data.year - 1}/{data.year} учебный год, {municipality}: выявленные проблемы "
        "с названиями школ, вероятные причины, меры по трекам со сроками и ответственными, "
        "показатели программы рядом с расчётом по данным.",
        "n_schools": len(content["ids"]),
        "problems": problems,
        "indicator_problems": content["indicator_problems"],
        "no_problems": "" if problems or content["indicator_problems"] else NO_PROBLEMS,
        "problems_table": problems_table if problems else None,
        "resilient": content["resilient"],
        "resilient_line": names_line(RESILIENT_LABEL, content["resilient"])
        if content["resilient"]
        else "",
        "causes": causes,
        "causes_caveat": CAUSES_CAVEAT if causes else "",
        "no_causes": "" if causes else no_causes_text(content["no_causes"]),
        "plan_note": "" if content["plan_loaded"] else NO_PLAN,
        "plan_warnings": content["plan_warnings"],
        "tracks": tracks,
        "indicators": indicators,
        "indicators_note": "" if indicators else NO_INDICATORS,
        "indicators_table": Table(rec) if indicators else None,
        "chart": chart,
        "chart_caption": chart.caption if chart else "",
    }


def _far(data: ReportData, school_id: str) -> tuple[list[dict], Table | None, Chart | None]:
    far = far_works(data, school_id)
    works = [
        {
            "work": r.label,
            "school": fmt_percent(r.school),
            "interval": fmt_interval(r.low, r.high),
            "region": fmt_percent(r.region),
            "diff": decimal(r.diff * 100, 1),
            "side": "выше" if r.diff > 0 else "ниже",
        }
        for r in iter_rows(far)
    ]
    if not works:
        return [], None, None
    table = Table(
        pd.DataFrame(
            {
                "Работа": [w["work"] for w in works],
                "Доля «2» в школе": [w["school"] for w in works],
                "95-процентный интервал": [w["interval"] for w in works],
                "В регионе": [w["region"] for w in works],
                "Разница, п. п.": [w["diff"] for w in works],
            }
        ),
        ["Доля «2» в школе", "95-процентный интервал", "В регионе", "Разница, п. п."],
    )
    chart = Chart(
        "far_works",
        far,
        "Доля «2» школы (точка и 95-процентный интервал) и региона по работам, "
        "дальше всего отстоящим от региона",
    )
    return works, table, chart


def school_context(data: ReportData, school_id: str) -> dict:
    """A school's one-to-two-page summary as a document's context (the first screen).

    Keys are listed in :data:`edu_quality.report.word.CONTEXT_KEYS` (``"school"``).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> ctx = school_context(report_data(sample_folder("region"), 2024), "01004")
    >>> ctx["school_id"], ctx["status"].startswith("Статус")
    ('01004', True)
    """
    header = first_screen_header(data, school_id)  # checks the school
    texts = [_plain(b) for b in header.blocks]
    status = next((t for b, t in zip(header.blocks, texts, strict=True) if "eq-status" in b), "")
    reason = next((t for t in texts if t.startswith("Почему:")), texts[-1] if texts else "")
    row = data.dataset.schools.set_index("school_id").loc[school_id]
    works, far_table, chart = _far(data, school_id)
    c = data.classified
    status_row = c.loc[school_id] if c is not None and school_id in c.index else None
    notes = [t for t in (context_words(status_row), journal_words(data, school_id)) if t]
    track, measures, own = school_measures(data, school_id)
    if data.dataset.plan.empty:
        track_line = f"Трек {track} — {TRACK_TEXT[track]}. План мероприятий не загружен."
    elif measures.empty:
        track_line = f"Трек {track} — {TRACK_TEXT[track]}. В плане нет мер этого трека."
    else:
        whose = "меры плана для школы" if own else "меры трека по плану"
        track_line = f"Трек {track} — {TRACK_TEXT[track]}; {whose}:"
    rows = [
        {
            "measure": str(r.measure),
            "deadline": r.deadline if isinstance(r.deadline, str) else "",
            "responsible": r.responsible if isinstance(r.responsible, str) else "",
        }
        for r in iter_rows(measures)
    ]
    for m in rows:
        m["line"] = m["measure"] + (f" — {m['deadline']}" if m["deadline"] else "")
    ryear = risk_year(data, school_id)
    risks: list[str] = []
    if ryear is None:
        risk_note = "Рисковый профиль школы не загружен."
    else:
        rp = data.dataset.risk_profiles
        rp = rp.loc[(rp["school_id"] == school_id) & (rp["year"] == ryear)]
        risks = rp.loc[rp["significance"] == "высокая", "risk_factor"].astype(str).tolist()
        when = f"анкетирование {ryear - 1}/{ryear} учебного года"
        risk_note = (
            f"Факторы риска высокой значимости ({when}):"
            if risks
            else f"Факторов риска высокой значимости нет ({when})."
        )
    return {
        **_common(data),
        "kind": "school",
        "title": str(row["name"]),
        "school": str(row["name"]),
        "school_id": school_id,
        "municipality": str(row["municipality"]),
        "group": str(row["group"]) if pd.notna(row["group"]) else "не указана",
        "status_code": "" if status_row is None else str(status_row["status"]),
        "status": status,
        "reason": reason,
        "markers": objectivity_markers(data, school_id),
        "far_works": works,
        "far_note": ""
        if works
        else "Ни по одной работе доля «2» школы не отличается от региональной больше, "
        "чем на случайные колебания.",
        "far_table": far_table,
        "notes": notes,
        "track": track,
        "track_text": TRACK_TEXT[track],
        "track_line": track_line,
        "measures": rows,
        "measures_table": Table(
            pd.DataFrame(
                {
                    "Мероприятие": [m["measure"] for m in rows],
                    "Срок": [m["deadline"] for m in rows],
                    "Ответственный": [m["responsible"] for m in rows],
                }
            )
        )
        if rows
        else None,
        "risks": risks,
        "risk_note": risk_note,
        "chart": chart,
        "chart_caption": chart.caption if chart else "",
    }

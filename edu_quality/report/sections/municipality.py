"""The sections of a municipality's report, the аналитическая справка first."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..._russian import name_order
from ..data import ReportData
from ..municipal import check_municipality
from ..render import Section, Sections, fmt_interval, fmt_percent
from ..tasks_section import municipality_pupil_sections
from ..transitions import programme_effect_section, transitions_section
from .cells import cell_value
from .school import indicators_section

# ------------------------------------------------------------------ municipality report


def municipality_header(data: ReportData, municipality: str) -> Section:
    """Title block of a municipality report."""
    ids = check_municipality(data, municipality)
    sec = Section(f"{municipality}: аналитический отчёт", level=1)
    sec.text(f"Учебный год: {data.year - 1}/{data.year}. Школ: {len(ids)}.")
    sec.note(
        "Проценты даны с 95-процентным доверительным интервалом; группы меньше "
        f"{data.min_n} участников скрыты."
    )
    return sec


def schools_overview_section(data: ReportData, municipality: str) -> Section:
    """Every school of the municipality side by side."""
    ids = check_municipality(data, municipality)
    sec = Section(
        "Школы муниципалитета",
        "Все школы рядом: участники всех работ года; доля «2» и качество знаний — по работам, "
        f"где не меньше {data.min_n} участников и значения не скрыты; статус.",
    )
    s = data.shown_summary
    s = s.loc[s["school_id"].isin(ids) & (s["year"] == data.year) & ~s["exam_not_held"]]
    everyone = s.groupby("school_id")["participants"].sum()
    # shares over the shown works only: a total over hidden works beside the school
    # report's shown works would give the hidden ones back by subtraction
    agg = (
        s.loc[~s["small"]]
        .groupby("school_id")
        .agg(
            participants=("participants", "sum"),
            n2=("n2", lambda v: v.sum(min_count=1)),
            n_quality=("n4", lambda v: v.sum(min_count=1)),
            n5=("n5", lambda v: v.sum(min_count=1)),
        )
    )
    c = data.classified
    rows = []
    for sid in sorted(ids, key=lambda i: name_order(data.names[i])):  # by name, never by result
        row = {"Школа": data.names[sid]}
        if sid in everyone.index:
            a = (
                agg.loc[sid]
                if sid in agg.index
                else pd.Series({"participants": 0, "n2": np.nan, "n_quality": np.nan, "n5": np.nan})
            )
            n = a["participants"]
            small = n < data.min_n
            row["Участников"] = str(int(everyone[sid]))
            row["Доля «2»"] = cell_value(a["n2"] / n if n else np.nan, True, small, data.min_n)
            q = (a["n_quality"] + a["n5"]) / n if n else np.nan
            row["Качество знаний"] = cell_value(q, True, small, data.min_n)
        else:
            row.update({"Участников": "0", "Доля «2»": "—", "Качество знаний": "—"})
        row["Статус"] = c.loc[sid, "status"] if c is not None and sid in c.index else ""
        rows.append(row)
    sec.table(
        pd.DataFrame(rows), name="schools", numeric=["Участников", "Доля «2»", "Качество знаний"]
    )
    return sec


def identification_section(data: ReportData, municipality: str) -> Section:
    """The lists of ШНОР, ШНСУ, risk-zone and resilient schools, with reasons."""
    ids = check_municipality(data, municipality)
    sec = Section("Списки школ", "Кто входит в списки и почему: причины с цифрами.")
    c = data.classified
    if c is None:
        sec.note("Списки не составлены: " + getattr(data, "classify_error", ""))
        return sec
    mine = c.loc[c.index.isin(ids)]
    for status in ("ШНОР и ШНСУ", "ШНОР", "ШНСУ", "зона риска", "резильентная"):
        part = mine.loc[mine["status"] == status]
        if part.empty:
            continue
        sec.subtitle(f"{status} ({len(part)})")
        sec.table(
            pd.DataFrame(
                {"Школа": [data.names[s] for s in part.index], "Причины": part["reasons"].tolist()}
            ),
            name=f"list_{status}",
        )
    if (mine["status"] == "").all():
        sec.text("Ни одна школа муниципалитета не вошла в списки.")
    rules = c.attrs.get("rules", {})
    if rules:
        sec.note(
            f"Правила: низкие результаты — нижние {fmt_percent(rules['low_share'], 0)} "
            f"группы; устойчиво — не менее {rules['k']} из {rules['n']} лет; "
            f"неблагоприятный контекст — нижние "
            f"{fmt_percent(rules['unfavourable_share'], 0)} по индексу."
        )
    return sec


def factors_section(data: ReportData, municipality: str | None = None) -> Section:
    """Factor influence on the share of «2»: the region's model, in plain words.

    A municipality has too few schools for a model of its own, so its report shows
    the region's model (:func:`edu_quality.report.region.factor_influence`) — the
    same numbers as the region report — told in percentage points and odds ratios
    (:func:`edu_quality.report.factor_words.plain_factor_section`). ``municipality`` is
    accepted for the notebook's uniform call and does not change the model.
    """
    from ..factor_words import plain_factor_section

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return plain_factor_section(data)


def dynamics_overview_section(data: ReportData, municipality: str) -> Section:
    """Share of the municipality's schools with positive dynamics."""
    ids = check_municipality(data, municipality)
    sec = Section(
        "Динамика по муниципалитету",
        "Доля школ с положительной динамикой доли «2» к прошлому году.",
    )
    from ..municipal import names_line, positive_dynamics

    dyn = positive_dynamics(data, ids, data.year)
    if dyn is None:
        sec.note("Нет данных за прошлый год.")
        return sec
    sec.text(
        f"Школ с положительной динамикой: {len(dyn['positive'])} из {dyn['units']} "
        f"({fmt_percent(dyn['share'])} {fmt_interval(dyn['low'], dyn['high'])}); "
        f"с отрицательной: {len(dyn['negative'])}; стабильной: {len(dyn['stable'])}."
    )
    lines = [
        names_line(label, [str(data.names[i]) for i in dyn[key]], dyn["units"])
        for key, label in (("positive", "Положительная динамика"), ("negative", "Отрицательная"))
        if dyn[key]
    ]
    sec.items(lines)
    sec.note(
        "Положительная — доля «2» снизилась больше случайных колебаний хотя бы по одной "
        "работе и ни по одной не выросла; отрицательная — выросла хотя бы по одной."
    )
    return sec


def plan_section(data: ReportData) -> Section:
    """The plan of measures by track."""
    sec = Section(
        "План мероприятий по трекам",
        "1 — адресная поддержка ШНОР; 2 — школы в зоне "
        "риска; 3 — профилактика учебной неуспешности.",
    )
    plan = data.dataset.plan
    if plan.empty:
        sec.note("План мероприятий не загружен.")
        return sec
    from ..plan import TRACKS, plan_order, plan_table

    ordered = plan_order(plan)
    track = ordered["track"].astype(str).str.strip()
    for t in dict.fromkeys(track):  # by track, then by deadline
        part = ordered.loc[track == t]
        sec.subtitle(f"Трек {t}" + (f" — {TRACKS[t]}" if t in TRACKS else ""))
        sec.table(plan_table(part), name=f"plan_{t}")
    return sec


def analytic_note(data: ReportData, municipality: str) -> Section:
    """«Аналитическая справка»: problems naming their schools, causes, measures, indicators.

    See :func:`edu_quality.report.municipal.analytic_note`.
    """
    from ..municipal import analytic_note as note

    return note(data, municipality)


def objectivity_municipality_section(
    data: ReportData, municipality: str, official_list: str | None = None
) -> Section:
    """Federal signs per school and work, shares, our rule apart, the official list.

    See :func:`edu_quality.report.objectivity.objectivity_overview_section`.
    """
    from ..objectivity import objectivity_overview_section

    check_municipality(data, municipality)
    return objectivity_overview_section(data, municipality, official_list)


def municipality_report(
    data: ReportData, municipality: str, official_list: str | None = None
) -> Sections:
    """Every section of a municipality's report: the справка first, then the details."""
    return Sections(
        [
            municipality_header(data, municipality),
            analytic_note(data, municipality),
            schools_overview_section(data, municipality),
            identification_section(data, municipality),
            transitions_section(data, municipality),
            programme_effect_section(data, municipality),
            objectivity_municipality_section(data, municipality, official_list),
            dynamics_overview_section(data, municipality),
            *municipality_pupil_sections(
                data, municipality
            ),  # girls and boys, tasks: where data allow
            factors_section(data, municipality),
            indicators_section(data, municipality=municipality),
            plan_section(data),
        ]
    )

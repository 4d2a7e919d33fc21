"""Sections of the region and municipality reports: list transitions and the programme's effect.

:func:`transitions_section` lists the schools that entered, left or stayed in
each list between the year before and the report year
(:func:`edu_quality.transitions.list_transitions`) — by municipality and name,
never by result. :func:`programme_effect_section` shows the programme's effect
(:func:`edu_quality.effect.programme_effect`) when the dataset tells the
programme schools (its ``programme.csv`` or the 500+ risk profiles), and says
how to provide the list when it does not.
"""

from __future__ import annotations

import pandas as pd

from .._russian import decimal, name_order, plural
from ..effect import (
    EFFECT_METHOD,
    OUTCOMES,
    PROGRAMME_FILE,
    outcome_panel,
    programme_effect,
    programme_list,
)
from ..errors import DataError
from ..exam_years import AUTUMN
from ..transitions import LISTS, list_transitions, one_year_note
from .data import ReportData, work_keys
from .render import Section, fmt_number

__all__ = ["programme_effect_section", "transitions_section"]


def _autumn_note(data: ReportData) -> str:
    """Said when the data hold autumn works: they belong to the school year of the spring ones."""
    tables = (data.dataset.results, data.dataset.aggregates)  # per pupil or as counts
    # a missing session is spring (session_of)
    if not any(
        len(t) and "session" in t.columns and (t["session"] == AUTUMN).any() for t in tables
    ):
        return ""
    return (
        "осенние ВПР 2020 года и весенние ВПР 2021 года — один учебный год 2020/21 (2021): "
        "это не два года, и их результаты между собой не сравниваются"
    )


def _hidden(data: ReportData) -> pd.DataFrame:
    keys = ["school_id", *work_keys(data.summary), "year"]
    return data.summary.loc[data.hidden[0], keys]


def _transitions(data: ReportData, y0: int, y1: int) -> pd.DataFrame:
    """The transitions of the two years, computed once per report data (region and municipalities)."""
    return data.memo(
        f"list_transitions_{y0}_{y1}",
        lambda: list_transitions(
            data.dataset, years=[y0, y1], min_n=data.min_n, hidden=_hidden(data)
        ),
    )


def transitions_section(data: ReportData, municipality: str | None = None) -> Section:
    """Schools that entered, left or stayed in each list since the year before.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = transitions_section(report_data(sample_folder("region"), 2024))
    >>> sec.tables["transition_counts"].columns[0]
    'Список'
    """
    sec = Section(
        "Переходы между списками",
        "Какие школы вошли в списки, вышли из них или остались по сравнению с прошлым годом, "
        "и что изменилось.",
    )
    autumn = _autumn_note(data)
    years = [y for y in data.dataset.years if y <= data.year]
    if len(years) < 2:
        sec.note(one_year_note(years))
        if autumn:
            sec.note(autumn)
        return sec
    y0, y1 = years[-2], years[-1]
    try:
        t = _transitions(data, y0, y1)
    except (DataError, ValueError) as exc:
        sec.note(f"Переходы не определены: {exc}")
        return sec
    if "note" in t.attrs:
        sec.note(t.attrs["note"])
        return sec
    if municipality is not None:
        t = t.loc[t["municipality"] == municipality]
    where = f"в муниципалитете «{municipality}»" if municipality else "в регионе"
    if t.empty:
        sec.text(f"С {y0} по {y1} год {where} ни одна школа не входила в списки.")
        return sec
    present = [n for n in LISTS if n in set(t["list"])]
    counts = t.pivot_table(
        index="list", columns="transition", values="school_id", aggfunc="size", fill_value=0
    ).reindex(index=present, columns=["вошла", "вышла", "осталась"], fill_value=0)
    table = counts.astype(int).astype(str).reset_index(drop=True)
    table.insert(0, "Список", present)
    table.columns = ["Список", "Вошли", "Вышли", "Остались"]
    sec.text(f"Сравниваются {y0} и {y1} годы {where}; правила выявления те же в обоих годах.")
    sec.table(table, name="transition_counts", numeric=["Вошли", "Вышли", "Остались"])
    for name in [n for n in LISTS if n in set(t["list"])]:
        part = t.loc[(t["list"] == name) & (t["transition"] != "осталась")]
        stayed = int(((t["list"] == name) & (t["transition"] == "осталась")).sum())
        sec.subtitle(f"{name}: вошли и вышли")
        if stayed:
            sec.text(f"Остались в списке: {stayed} {plural(stayed, 'школа', 'школы', 'школ')}.")
        if part.empty:
            sec.text("Никто не вошёл и не вышел.")
            continue
        # by municipality and name, never by result: a list, not a league table
        sec.table(
            pd.DataFrame(
                {
                    "Школа": part["name"].to_numpy(),
                    "Муниципалитет": part["municipality"].to_numpy(),
                    "Переход": part["transition"].to_numpy(),
                    "Что изменилось": part["change"].to_numpy(),
                    f"Причины в {y1}": part["reason_to"].to_numpy(),
                }
            ),
            name=f"transitions_{name}",
        )
    if autumn:
        sec.note(autumn)
    return sec


def _how_to_provide() -> str:
    return (
        "Список школ программы не задан, поэтому эффект программы не оценивается. Чтобы "
        f"его оценить, положите в папку данных файл {PROGRAMME_FILE} со столбцами «Код ОО» "
        "и «Год начала» (первый учебный год программы по году его окончания: 2023 для "
        "2022/23) или профили рисков 500+ только школ программы"
    )


def programme_effect_section(
    data: ReportData,
    municipality: str | None = None,
    programme: pd.DataFrame | None = None,
) -> Section:
    """The programme's effect: its schools' change against the change of similar schools.

    ``programme`` (``school_id``, ``start``) overrides what the dataset tells
    (:func:`edu_quality.effect.programme_list`). Schools of the most common
    start year are judged together; in a municipality report, the
    municipality's programme schools against similar schools of the whole region.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = programme_effect_section(report_data(sample_folder("region"), 2024))
    >>> "programme.csv" in sec.html()
    True
    """
    sec = Section(
        "Эффект программы",
        "Как изменились результаты школ программы по сравнению с похожими школами вне её.",
    )
    try:
        prog = programme if programme is not None else programme_list(data.dataset)
    except DataError as exc:
        sec.note(f"Список школ программы не прочитан: {exc}", warn=True)
        return sec
    if prog is None or prog.empty:
        sec.note(_how_to_provide())
        return sec
    prog = prog.assign(school_id=prog["school_id"].astype(str))
    if municipality is not None:
        prog = prog.loc[prog["school_id"].map(data.municipality_of) == municipality]
        if prog.empty:
            sec.text(f"В муниципалитете «{municipality}» нет школ программы.")
            return sec
    start = int(prog["start"].mode().min())
    chosen = sorted(prog.loc[prog["start"] == start, "school_id"])
    if len(chosen) < len(prog):
        sec.note(
            f"Оцениваются школы, начавшие программу в {start} году ({len(chosen)} из {len(prog)})."
        )
    years = [y for y in data.dataset.years if y <= data.year]  # nothing after the report year
    if not any(y < start for y in years) or not any(y >= start for y in years):
        have = ", ".join(map(str, years)) or "нет"
        sec.text(
            f"Школы программы начали её в {start} году ({len(chosen)} "
            f"{plural(len(chosen), 'школа', 'школы', 'школ')}). Эффект не оценивается: "
            f"нужны результаты и до начала программы, и после (годы с результатами: {have})."
        )
        return sec
    rows, studies = [], {}
    for outcome, (label, unit, _) in OUTCOMES.items():
        try:
            panel = outcome_panel(data.dataset, outcome=outcome, min_n=data.min_n)
            panel = panel.loc[panel["year"] <= data.year]
            e = programme_effect(panel, chosen, start=start, outcome=outcome, dataset=data.dataset)
        except ValueError as exc:
            sec.note(f"{label}: эффект не оценён — {exc}")
            continue
        rows.append(
            {
                "Показатель": f"{label}, {unit}",
                "Оценка": decimal(e.estimate, 2),
                "95-процентный интервал": f"[{decimal(e.ci_low, 2)}; {decimal(e.ci_high, 2)}]",
                "p": "< 0,001" if e.p_value < 0.001 else fmt_number(e.p_value, 3, fixed=True),
                "Школ программы": str(e.n_programme),
                "Школ сравнения": str(e.n_comparison),
            }
        )
        sec.text(e.reading)
        studies[label] = e.event_study
    if not rows:
        return sec
    sec.table(
        pd.DataFrame(rows),
        name="programme_effect",
        numeric=["Оценка", "p", "Школ программы", "Школ сравнения"],
    )
    for label, study in studies.items():
        sec.subtitle(f"По годам: {label}")
        sec.table(
            pd.DataFrame(
                {
                    "Год": study["year"].astype(str).to_numpy(),
                    "Год программы": [_relative(r) for r in study["relative"]],
                    "Разница с базовым годом": [decimal(v, 2) for v in study["estimate"]],
                    "95-процентный интервал": [
                        "базовый год" if pd.isna(p) else f"[{decimal(a, 2)}; {decimal(b, 2)}]"
                        for p, a, b in zip(
                            study["p_value"], study["ci_low"], study["ci_high"], strict=True
                        )
                    ],
                }
            ),
            name=f"event_study_{label}",
        )
    names = sorted(
        ((data.municipality_of.get(s, ""), data.names.get(s, s)) for s in chosen),
        key=lambda mn: (name_order(mn[0]), name_order(mn[1])),
    )
    sec.subtitle("Школы программы")
    sec.table(pd.DataFrame(names, columns=["Муниципалитет", "Школа"]), name="programme_schools")
    sec.note(
        f"Метод: {EFFECT_METHOD}. Школы сравнения — для каждой школы программы три самые "
        "похожие школы той же группы сравнения вне программы (индекс социального "
        "благополучия и результат до начала программы). Разница с базовым годом до начала "
        "программы проверяет параллельность трендов."
    )
    return sec


def _relative(r: int) -> str:
    if r < 0:
        return f"за {-r} {plural(-r, 'год', 'года', 'лет')} до начала"
    return "год начала" if r == 0 else f"{r + 1}-й год программы"

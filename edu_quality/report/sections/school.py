"""The sections of a school's report, for its director.

The first screen comes from :mod:`edu_quality.report.first_screen`; this module
adds the details — key metrics, dynamics, objectivity, context, contingent,
risks, indicators — and assembles them (:func:`school_report`).
"""

from __future__ import annotations

import html

import pandas as pd

from ..._rows import iter_rows
from ..._russian import sentence
from ...dynamics import enrolment_change, year_over_year
from ...errors import DataError
from ...exam_years import AUTUMN, SPRING
from ...indicators import evaluate_indicators
from ...risk import by_significance
from ..data import ReportData, work_keys, work_of
from ..first_screen import (
    STATUS_TEXT,
    actions_section,
    context_words,
    first_screen_header,
    journal_words,
    objectivity_rows,
    risk_year,
    summary_section,
    track_plan_section,
    year_label,
)
from ..progress import session_progress_section
from ..render import Section, Sections, fmt_interval, fmt_number, fmt_percent
from ..similar import partners_section, similar_section
from ..tasks_section import gender_gaps_section, reteach_section
from .cells import HIDDEN, HIDDEN_COMPLEMENT, cell_value

# ------------------------------------------------------------------ helpers


def _proc_label(row) -> str:
    return f"{row.assessment}, {row.subject}, {row.grade} кл.{_autumn(row)}"


def _autumn(row) -> str:
    """« (осень: …)» for a work of the autumn session (:mod:`edu_quality.exam_years`)."""
    if getattr(row, "session", SPRING) != AUTUMN:
        return ""
    return " (осень: работа за прошлый класс)"


def _check_school(data: ReportData, school_id: str) -> None:
    if school_id not in data.names:
        raise DataError(None, f"школа «{school_id}» не найдена в реестре")


def _compared(table: dict, key: tuple, metric: str, own_n: int, min_n: int) -> str:
    """A municipality's or the region's share beside a school's, hidden when it reveals a group.

    ``table`` holds the rows of a shown summary by work
    (:meth:`ReportData.shown_by_work`): a row hidden there
    by disclosure control stays hidden. Beyond that, the group revealed by
    subtracting the school's own numbers — the other schools together — must have
    ``min_n`` participants too.
    """
    row = table.get(key)
    if row is None:
        return "—"
    n = int(row.participants)
    if n < min_n or 0 < n - own_n < min_n:
        return HIDDEN.format(n=min_n)
    if bool(row.small):
        return HIDDEN_COMPLEMENT
    return fmt_percent(getattr(row, metric))


def _one_line(text: str) -> Section:
    """An empty section of the school report: one line, no heading over «нет данных»."""
    sec = Section("")
    sec.blocks.append(f'<p class="eq-empty">{html.escape(text)}</p>')
    return sec


# ------------------------------------------------------------------ school report


def school_header(data: ReportData, school_id: str) -> Section:
    """The first screen's title block: name, municipality, year; status and why; markers.

    See :func:`edu_quality.report.first_screen.first_screen_header`.
    """
    _check_school(data, school_id)
    return first_screen_header(data, school_id)


def key_metrics_section(data: ReportData, school_id: str) -> Section:
    """Key metrics of the year against the municipality and the region, with intervals."""
    _check_school(data, school_id)
    sec = Section(
        f"Ключевые показатели: {year_label(data.year)}",
        "Доля «2» и качество знаний школы рядом с муниципалитетом и регионом по каждой "
        "работе этого года.",
    )
    mine = data.school_year(school_id)
    unreliable = _unreliable_notes(data, school_id)
    if mine.empty:
        sec = _one_line(f"Ключевые показатели: нет результатов школы за {year_label(data.year)}.")
        for text in unreliable:
            sec.note(text)
        return sec
    m = data.shown_by_work(data.municipality_of[school_id])
    r = data.shown_by_work()
    work = work_keys(mine)
    rows = []
    for row in iter_rows(mine):
        key = work_of(row, work)
        small = bool(row.small)
        rec = {
            "Работа": _proc_label(row),
            "Участников": str(row.participants),
            "Средний балл": cell_value(row.mean_score, False, small, data.min_n, row.participants),
        }
        for metric, label in (("share_2", "Доля «2»"), ("quality_rate", "Качество знаний")):
            v = getattr(row, metric)
            # the value and its interval in one cell: the table fits a page 1 280 px wide
            rec[f"{label}: школа"] = cell_value(v, True, small, data.min_n, row.participants) + (
                ""
                if small or pd.isna(v)  # no value, no interval: one «—»
                else " "
                + fmt_interval(getattr(row, f"{metric}_low"), getattr(row, f"{metric}_high"))
            )
            rec[f"{label}: муниципалитет"] = _compared(m, key, metric, row.participants, data.min_n)
            rec[f"{label}: регион"] = _compared(r, key, metric, row.participants, data.min_n)
        rows.append(rec)
    table = pd.DataFrame(rows)
    sec.table(table, name="key_metrics", numeric=[c for c in table.columns if c != "Работа"])
    if (mine["assessment"] == "ЕГЭ").any() and mine.loc[
        mine["assessment"] == "ЕГЭ", "share_2"
    ].isna().all():
        sec.note(
            "ЕГЭ оценивается в баллах, без отметок: по нему показан средний балл. Аналог "
            "доли «2» — доля участников ниже минимального балла — не считается: в данных "
            "нет минимальных баллов ЕГЭ."
        )
    if mine["exam_not_held"].any():
        sec.note(
            "ОГЭ и ЕГЭ 2020 года не проводились как экзамены: эти строки не являются "
            "результатами экзамена."
        )
    for text in unreliable:
        sec.note(text)
    sec.note(
        "В квадратных скобках — 95-процентный доверительный интервал: при малом числе "
        "участников доля может случайно колебаться в этих пределах. Группы меньше "
        f"{data.min_n} участников скрыты."
    )
    return sec


def _unreliable_notes(data: ReportData, school_id: str) -> list[str]:
    """A sentence per unreliable protocol of the school in the year (no counts of pupils)."""
    u = data.unreliable
    if u.empty:
        return []
    u = data.rows_of(u, year=True)(school_id)
    out = []
    for row in iter_rows(u):
        why = str(row.reason).removeprefix("протокол недостоверен: ")
        out.append(
            f"Протокол {row.assessment} {row.subject} {row.grade} кл. недостоверен: {why}; "
            "результаты этой работы не учтены."
        )
    return out


def dynamics_section(data: ReportData, school_id: str) -> Section:
    """Share of «2» over the years with intervals, and the verdict of the last change."""
    from ...plots import plot_dynamics

    _check_school(data, school_id)
    s = data.shown_summary
    mine = s.loc[(s["school_id"] == school_id) & (s["year"] <= data.year)]
    mine = mine.loc[~mine["small"]]
    if mine["year"].nunique() < 2:
        return _one_line("Динамика результатов: нужны результаты хотя бы двух лет.")
    sec = Section(
        f"Динамика результатов: {int(mine['year'].min())}–{data.year} гг.",
        "«Стабильная динамика» значит, что изменение не отличимо от случайных "
        "колебаний; «положительная» и «отрицательная» — что отличимо.",
    )
    yoy = year_over_year(mine, by=work_keys(mine), metrics=["share_2", "quality_rate"])
    last = yoy.loc[yoy["year_to"] == yoy["year_to"].max()].dropna(subset=["value_to"])
    rows = [
        {
            "Работа": _proc_label(r),
            "Показатель": r.label,
            "Было": f"{fmt_percent(r.value_from)} ({r.year_from})",
            "Стало": f"{fmt_percent(r.value_to)} ({r.year_to})",
            "Изменение, п.п.": fmt_number(r.change * 100, fixed=True),
            "Интервал, п.п.": fmt_interval(r.change_low * 100, r.change_high * 100, percent=False),
            "Динамика": r.verdict or "—",
        }
        for r in iter_rows(last)
        if pd.notna(r.change)
    ]
    if rows:
        sec.table(pd.DataFrame(rows), name="dynamics")
    if yoy.attrs.get("note"):
        sec.note(yoy.attrs["note"])
    main = (
        mine.loc[~mine["exam_not_held"]]
        .groupby(work_keys(mine))["participants"]
        .sum()
        .sort_values(ascending=False)
        .index[:4]
    )
    plot = mine.loc[mine.set_index(work_keys(mine)).index.isin(main) & ~mine["exam_not_held"]]
    plot = plot.copy()
    if plot["share_2"].notna().any():
        plot["series"] = plot.apply(_proc_label, axis=1)
        ax = plot_dynamics(plot, "share_2", hue="series")
        ax.set_title("Доля «2» по годам (вертикальные отрезки — 95-процентный интервал)")
        sec.figure(ax.figure)
    return sec


_HOW_MANY_SIGNS = {1: "одного", 2: "двух", 3: "трёх"}


def _objectivity_rule(min_signs: int) -> str:
    """How a school is marked by :func:`edu_quality.objectivity_index`, in words."""
    if min_signs <= 1:
        return "школа отмечается при наличии хотя бы одного признака"
    return (
        f"школа отмечается при совпадении в одном году не менее "
        f"{_HOW_MANY_SIGNS.get(min_signs, str(min_signs))} признаков"
    )


def objectivity_section(
    data: ReportData, school_id: str, official_list: str | None = None
) -> Section:
    """ВПР marks against journal marks, and the federal signs of non-objectivity.

    With ``official_list`` (a file, :func:`edu_quality.io.read_official_list`), a
    line says when the school is on that list and which signs fire here.
    """
    _check_school(data, school_id)
    j = data.journal
    if j is None:
        return _one_line("Объективность оценивания: нет данных ВПР с отметками по журналу.")
    sec = Section(
        f"Объективность оценивания (ВПР): {year_label(data.year)}",
        "Сравнение отметок за ВПР с отметками по журналу: «понизили» — отметка за ВПР "
        "ниже журнальной, «повысили» — выше.",
    )
    mine = data.rows_of(j, year=True)(school_id)
    rows = []
    for r in iter_rows(mine):
        hidden = bool(r.small)
        rows.append(
            {
                "Работа": f"{r.subject}, {r.grade} кл.{_autumn(r)}",
                "Участников": str(r.n),
                "Понизили": cell_value(r.share_lower, True, hidden, data.min_n),
                "Подтвердили": cell_value(r.share_equal, True, hidden, data.min_n),
                "Повысили": cell_value(r.share_higher, True, hidden, data.min_n),
            }
        )
    if rows:
        sec.table(pd.DataFrame(rows), name="objectivity")
    high = journal_words(data, school_id)
    if high:
        sec.note(high, warn=True)
    oi = data.objectivity
    if oi is not None:
        o = objectivity_rows(data, school_id)
        if len(o):
            # marked → warning; a single sign or none → a neutral note
            sec.note(str(o.iloc[0]["message"]), warn=bool(o.iloc[0]["flagged"]))
            rule = _objectivity_rule(int(oi.region.attrs.get("min_signs", 1)))
            sec.text(
                f"{oi.method}: «Уровень объективности оценки образовательных "
                "результатов в субъекте Российской Федерации». Признаки "
                "необъективности — повод для проверки, а не вывод. "
                f"{rule[0].upper()}{rule[1:]}; признак «завышенные значения "
                "среднего балла» бывает и у сильной школы."
            )
    mine = data.rows_of(data.markers)(school_id)
    if len(mine):
        sec.subtitle("Правила edu_quality (в федеральный индекс не входят)")
        sec.items(
            [
                f"{r.subject}, {r.grade} кл.{_autumn(r)}: {r.detail} — признаки "
                "необъективности: требуется проверка."
                for r in iter_rows(mine)
            ]
        )
    if official_list:
        from ..objectivity import official_list_line

        line = official_list_line(data, school_id, official_list)
        if line:
            sec.note(line, warn=True)
    return sec


def _school_years(y: int) -> str:
    return f"{int(y) - 1}/{int(y)}"


def contingent_section(data: ReportData, school_id: str) -> Section:
    """Enrolment by level and the staff, up to the report year, each column naming its year."""
    _check_school(data, school_id)
    e = data.dataset.enrolment
    e = e.loc[(e["school_id"] == school_id) & (e["year"] <= data.year)]
    st = data.dataset.staff
    st = st.loc[(st["school_id"] == school_id) & (st["year"] <= data.year)].sort_values("year")
    if not len(e) and not len(st):
        return _one_line(
            f"Контингент и кадры: нет данных по {year_label(data.year)} и предыдущие годы."
        )
    years = sorted({int(y) for y in (*e["year"], *st["year"])})
    span = (
        f"{_school_years(years[0])}–{_school_years(years[-1])} учебные годы"
        if len(years) > 1
        else year_label(years[0])
    )
    sec = Section(
        f"Контингент и кадры: {span}",
        "Численность обучающихся по уровням образования и кадровый состав.",
    )
    if len(e):
        ch = enrolment_change(e)
        rows = [
            {
                "Уровень": r.level,
                _school_years(r.start): str(int(r.pupils_start)),
                _school_years(r.end): str(int(r.pupils_end)),
                "Изменение": fmt_number(r.change),
                "Изменение, %": fmt_percent(r.change_share),
            }
            for r in iter_rows(ch)
            if pd.notna(r.pupils_start) and pd.notna(r.pupils_end)
        ]
        if rows:
            sec.table(pd.DataFrame(rows), name="enrolment")
    if len(st):
        rows = [
            {
                "Учебный год": _school_years(r.year),
                "Педагогов": fmt_number(r.teachers),
                "Высшая категория": fmt_number(r.category_highest),
                "Первая категория": fmt_number(r.category_first),
                "Прошли КПК": fmt_number(r.trained),
                "Совместители": fmt_number(r.part_time),
            }
            for r in iter_rows(st)
        ]
        sec.table(pd.DataFrame(rows), name="staff")
    return sec


def risk_section(data: ReportData, school_id: str) -> Section:
    """The school's 500+ risk profile, significance coloured."""
    _check_school(data, school_id)
    year = risk_year(data, school_id)
    if year is None:
        return _one_line("Рисковый профиль: анкетирование школы не загружено.")
    sec = Section(
        f"Рисковый профиль: анкетирование {_school_years(year)} учебного года",
        "Результаты анкетирования «500+»: чем ниже сумма баллов, тем выше риск.",
    )
    rp = data.dataset.risk_profiles
    rp = rp.loc[(rp["school_id"] == school_id) & (rp["year"] == year)]
    if year > data.year:
        sec.note(
            f"Анкетирования за {year_label(data.year)} и раньше нет: показан ближайший "
            "следующий год."
        )
    rp = rp.sort_values("significance", key=by_significance)
    head = "<tr><th>Фактор риска</th><th>Сумма баллов</th><th>Значимость</th></tr>"
    body = "".join(
        f'<tr class="eq-{ {"высокая": "high", "средняя": "medium", "низкая": "low"}[r.significance] }">'
        f'<td>{html.escape(r.risk_factor)}</td><td class="num">{fmt_number(r.score)}</td>'
        f"<td>{r.significance}</td></tr>"
        for r in iter_rows(rp)
    )
    sec.tables["risk_profile"] = rp[["year", "risk_factor", "score", "significance"]].rename(
        columns={
            "year": "Год",
            "risk_factor": "Фактор риска",
            "score": "Сумма баллов",
            "significance": "Значимость",
        }
    )
    sec.blocks.append(f'<table class="eq-table"><thead>{head}</thead><tbody>{body}</tbody></table>')
    from ...plots import plot_risk_profile

    sec.figure(plot_risk_profile(rp).figure)
    high = rp.loc[rp["significance"] == "высокая", "risk_factor"].tolist()
    if high:
        sec.note("Факторы высокой значимости: " + "; ".join(high) + ".", warn=True)
    return sec


def context_section(data: ReportData, school_id: str) -> Section:
    """Social context and the result against what the context predicts."""
    from ...plots import plot_expected

    _check_school(data, school_id)
    c = data.classified
    if c is None or school_id not in c.index or pd.isna(c.loc[school_id, "index_z"]):
        return _one_line(
            "Социальный контекст: нет данных о школе, ожидаемый результат не рассчитан."
        )
    sec = Section(
        f"Социальный контекст и ожидаемый результат: {year_label(data.year)}",
        "Результат школы сравнивается с тем, что ожидается при её социальном "
        "контексте: так видно, что зависит от работы школы, а что — от условий.",
    )
    row = c.loc[school_id]
    sec.text(
        f"Индекс социального благополучия: {fmt_number(row['index_z'], 2)} "
        "(0 — средний по региону, ниже нуля — менее благоприятный контекст)."
    )
    if pd.notna(row["adjusted"]):
        sec.text(context_words(row))
        plot = c.reset_index()[["school_id", "index_z", "actual"]].dropna()
        plot["label"] = plot["school_id"].map({school_id: data.names[school_id]})
        ax = plot_expected(plot, "index_z", "actual", labels="label")
        ax.set_xlabel("индекс социального благополучия")
        ax.set_ylabel("результат (стандартизованный)")
        sec.figure(ax.figure)
    return sec


def status_section(data: ReportData, school_id: str) -> Section:
    """Identification status and why the school is or is not on a list."""
    _check_school(data, school_id)
    c = data.classified
    if c is None or school_id not in c.index:
        return _one_line(
            "Статус школы не определён: "
            + getattr(data, "classify_error", "нет результатов школы за этот год")
        )
    sec = Section(
        f"Статус школы: все основания, {year_label(data.year)}",
        "Почему школа входит или не входит в списки ШНОР, ШНСУ, зоны риска или резильентных школ.",
    )
    row = c.loc[school_id]
    sec.blocks.append(
        f'<p class="eq-status">{html.escape(sentence(STATUS_TEXT[row["status"]]))}</p>'
    )
    reasons = [r for r in str(row["reasons"]).split("; ") if r]
    if reasons:
        sec.items(reasons)
    else:
        sec.text(
            "Ни одно из правил не выполнено: результаты не ниже, чем у большинства школ "
            "группы, без значимого ухудшения."
        )
    return sec


def indicators_section(
    data: ReportData, school_id: str | None = None, municipality: str | None = None
) -> Section:
    """Programme indicators against their targets.

    A school's report shows only the indicators of the school and of its
    municipality, up to the report year (no regional flood, no future years).
    """
    if school_id is not None:
        return _school_indicators(data, school_id)
    sec = Section("Показатели программы", "Целевые значения показателей и их достижение.")
    ind = data.dataset.indicators
    if ind.empty:
        sec.note("Показатели программы не загружены.")
        return sec
    muni = municipality or (data.municipality_of.get(school_id) if school_id else None)
    scope = ind["scope"].fillna("")
    keep = ind.loc[
        (scope == "")
        | (scope == muni)
        | scope.str.contains("регион", case=False)
        | ~scope.isin(data.dataset.schools["municipality"])
    ]
    if school_id is not None:  # a director sees no other school's indicators
        schools = data.dataset.schools
        others = schools.loc[schools["school_id"] != school_id, ["school_id", "name"]]
        keep = keep.loc[~keep["scope"].fillna("").isin(set(others.to_numpy().ravel()))]
    keep = keep.loc[keep["year"] <= data.year + 1]
    if keep.empty:
        sec.note("Нет показателей для этой территории.")
        return sec
    sec.table(_indicator_rows(evaluate_indicators(keep)), name="indicators")
    return sec


def _indicator_rows(ev: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Показатель": r.indicator,
                "Охват": r.scope if isinstance(r.scope, str) else "",
                "Год": str(r.year),
                "Цель": f"{r.direction} {fmt_number(r.target)} {r.unit or ''}".strip(),
                "Факт": f"{fmt_number(r.actual, fixed=r.unit == '%')} {r.unit or ''}".strip()
                if pd.notna(r.actual)
                else "—",
                "Статус": r.status,
            }
            for r in iter_rows(ev)
        ]
    )


def _school_indicators(data: ReportData, school_id: str) -> Section:
    """The indicators of the school and its municipality, up to the report year."""
    _check_school(data, school_id)
    ind = data.dataset.indicators
    own = {data.municipality_of.get(school_id), school_id, str(data.names[school_id])}
    keep = ind.loc[ind["scope"].isin(own) & (ind["year"] <= data.year)] if len(ind) else ind
    if keep.empty:
        return _one_line(
            f"Показатели программы: нет показателей школы и муниципалитета за "
            f"{data.year} год и раньше."
        )
    years = sorted(int(y) for y in keep["year"].unique())
    span = f"{years[0]}–{years[-1]} гг." if len(years) > 1 else f"{years[0]} г."
    sec = Section(
        f"Показатели программы: {span}",
        "Целевые значения показателей школы и муниципалитета и их достижение.",
    )
    sec.table(_indicator_rows(evaluate_indicators(keep)), name="indicators")
    return sec


def school_report(data: ReportData, school_id: str, official_list: str | None = None) -> Sections:
    """Every section of a school's report, in order: the first screen, then the details.

    The first screen (:mod:`edu_quality.report.first_screen`): the title with the
    status, why, and the objectivity markers; the year's main results; «Что
    делать». The details follow; the plan of the school's track closes the report.
    """
    progress = session_progress_section(data, school_id)  # only where autumn works exist
    # only where the data hold pupils' sex, or task scores (a ФИС ОКО import)
    extra = [gender_gaps_section(data, school_id), reteach_section(data, school_id)]
    return Sections(
        [
            school_header(data, school_id),
            summary_section(data, school_id),
            actions_section(data, school_id),
            status_section(data, school_id),
            key_metrics_section(data, school_id),
            dynamics_section(data, school_id),
            *([progress] if progress is not None else []),
            objectivity_section(data, school_id, official_list),
            context_section(data, school_id),
            similar_section(data, school_id),
            partners_section(data, school_id),
            # long on a real region (a table per work): after the objectivity and the partners
            *(s for s in extra if s is not None),
            contingent_section(data, school_id),
            risk_section(data, school_id),
            indicators_section(data, school_id),
            track_plan_section(data, school_id),
        ]
    )

"""The first screen of a school's report: what a director reads before anything else.

What fits on one screen (1 280 × 800): the school's status and the main reason
for it in one sentence each, every objectivity marker (the federal method's
first, then the toolkit's own rules) as «требуется проверка», the two or three
works furthest from the region, the context-adjusted result in words, a high
share of ВПР marks below the journal explained, and «Что делать»: the
measures of the school's track of the plan with their deadlines, and the risk
factors of high significance from its risk profile. The details follow in the
sections of :mod:`edu_quality.report.sections`.

Tracks of the programme «500+» (the plan's ``track``): 1 — targeted support of
ШНОР, 2 — schools in the risk zone, 3 — prevention of academic failure (every
other school). Only shown cells are quoted (:attr:`ReportData.shown_summary`,
:attr:`ReportData.shown_region`): a cell hidden for disclosure control never
reaches this screen.
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .._rows import iter_rows
from .._russian import decimal, plural
from ..errors import DataError
from ..exam_years import AUTUMN, SPRING
from .data import ReportData, work_keys, work_of
from .plan import plan_table
from .render import Section, fmt_number, fmt_percent
from .similar import partner_names

__all__ = [
    "FAR_WORKS",
    "HIGH_LOWER_SHARE",
    "STATUS_TEXT",
    "TRACK_OF_STATUS",
    "TRACK_TEXT",
    "actions_section",
    "context_words",
    "far_works",
    "first_screen_header",
    "journal_words",
    "main_reason",
    "objectivity_markers",
    "objectivity_rows",
    "risk_year",
    "school_measures",
    "summary_section",
    "track_plan_section",
    "year_label",
]

#: The identification status in words (:func:`edu_quality.classify`).
STATUS_TEXT = {
    "ШНОР": "школа с низкими образовательными результатами (ШНОР)",
    "ШНОР и ШНСУ": "школа с низкими результатами, работающая в неблагоприятных социальных "
    "условиях (ШНОР и ШНСУ)",
    "ШНСУ": "школа, работающая в неблагоприятных социальных условиях (ШНСУ)",
    "зона риска": "школа в зоне риска снижения результатов",
    "резильентная": "резильентная школа: результаты выше ожидаемых при неблагоприятном контексте",
    "": "не входит в списки ШНОР, ШНСУ и зоны риска",
}
#: The plan's track of each status: 1 for ШНОР, 2 for the risk zone (and ШНСУ), 3 otherwise.
TRACK_OF_STATUS = {
    "ШНОР": "1",
    "ШНОР и ШНСУ": "1",
    "зона риска": "2",
    "ШНСУ": "2",
    "резильентная": "3",
    "": "3",
}
TRACK_TEXT = {
    "1": "адресная поддержка школ с низкими результатами",
    "2": "поддержка школ в зоне риска снижения результатов",
    "3": "профилактика учебной неуспешности",
}
#: How many works furthest from the region the first screen names.
FAR_WORKS = 3
#: A share of ВПР marks below the journal mark this high is explained on the first screen.
HIGH_LOWER_SHARE = 0.5
#: Measures listed on the first screen; the rest follow in the plan section.
FIRST_MEASURES = 4


def year_label(year: int) -> str:
    """The school year ending in ``year``: «2023/2024 учебный год».

    Examples
    --------
    >>> year_label(2024)
    '2023/2024 учебный год'
    """
    return f"{int(year) - 1}/{int(year)} учебный год"


def _check(data: ReportData, school_id: str) -> None:
    if school_id not in data.names:
        raise DataError(None, f"школа «{school_id}» не найдена в реестре")


def _status_row(data: ReportData, school_id: str) -> pd.Series | None:
    c = data.classified
    if c is None or school_id not in c.index:
        return None
    return c.loc[school_id]


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".;")
    return text[:1].upper() + text[1:] + "." if text else ""


def _reason_part(reasons: str, prefix: str) -> str:
    """The part of ``reasons`` (joined by «; ») starting with ``prefix``, without it."""
    for part in str(reasons).split("; "):
        if part.startswith(prefix):
            return part[len(prefix) :]
    return ""


def main_reason(row: pd.Series) -> str:
    """The main reason of a school's status, in one plain sentence.

    ``row`` is a row of :func:`edu_quality.classify` (indexed by school). The
    priority follows the status: stably low results, then Рособрнадзор's rule,
    the social context, a significant decline, a result near the threshold.

    Examples
    --------
    >>> row = pd.Series({"status": "", "stably_low": False, "rosobrnadzor": False,
    ...     "unfavourable": False, "resilient": False, "decline": False, "low": False,
    ...     "near_low": False, "reasons": ""})
    >>> main_reason(row)
    'Ни одно из правил отбора не выполнено: результаты не ниже, чем у большинства школ группы, без значимого ухудшения.'
    """
    reasons = str(row.get("reasons", ""))
    status = row["status"]
    if row.get("stably_low"):
        years = list(row.get("low_years") or [])
        cut = re.search(r"в нижних ([\d,]+\s*%)", reasons)
        return (
            f"Результаты устойчиво низкие: в {len(years)} "
            f"{plural(len(years), 'году', 'годах', 'годах')} из последних "
            f"({', '.join(map(str, years))}) школа среди нижних "
            f"{cut.group(1) if cut else '10 %'} своей группы школ."
        )
    if row.get("rosobrnadzor"):
        detail = _reason_part(reasons, "правило Рособрнадзора: ")
        return _sentence(f"{detail} (правило Рособрнадзора)" if detail else "правило Рособрнадзора")
    if status == "резильентная":
        return (
            "Социальные условия школы неблагоприятные, а результаты выше, чем у школ "
            "с похожими условиями; разница больше случайной."
        )
    if row.get("unfavourable"):
        return (
            "Школа работает в неблагоприятных социальных условиях: по индексу социального "
            "благополучия она среди нижних школ региона."
        )
    if row.get("decline"):
        return _sentence(
            "доля «2» значимо выросла к прошлому году: "
            + _reason_part(reasons, "значимое ухудшение: ")
        )
    if row.get("low"):
        return "В этом году результаты среди нижних 10 % группы школ, но пока не устойчиво."
    if row.get("near_low"):
        return "Результаты близки к порогу низких результатов своей группы школ."
    if status:
        return _sentence(reasons.split("; ")[0])
    return (
        "Ни одно из правил отбора не выполнено: результаты не ниже, чем у большинства школ "
        "группы, без значимого ухудшения."
    )


_CUTOFF = re.compile(r"у границы отметки «(\d)» \((\d+) б\.\)")


def objectivity_rows(data: ReportData, school_id: str) -> pd.DataFrame:
    """The school's rows of the federal objectivity index in the report year.

    From :attr:`ReportData.objectivity`, which must be computed (not None).
    """
    return data.rows_of(data.objectivity.schools, year=True)(school_id)


def objectivity_markers(data: ReportData, school_id: str) -> list[str]:
    """Every objectivity marker of the school in the year: the federal method's, then ours.

    Federal: the message of :attr:`ReportData.objectivity` when the school is
    marked; ours: :attr:`ReportData.markers` («правило edu_quality»).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> markers = objectivity_markers(report_data(sample_folder("region"), 2024), "01004")
    >>> markers[0].startswith("Федеральная методика ФИОКО — признак «завышенные значения")
    True
    """
    out = []
    oi = data.objectivity
    if oi is not None:
        o = objectivity_rows(data, school_id)
        for r in iter_rows(o.loc[o["flagged"].fillna(False).astype(bool)]):
            sign = str(r.message).removeprefix("признаки необъективности: требуется проверка — ")
            out.append(f"{oi.method} — {sign}")
    m = data.rows_of(data.markers)(school_id)
    # one line per rule, naming its works: a school with a marker in every work keeps a short box
    for _, part in m.groupby("marker", sort=False):
        works, what = [], str(part["detail"].iloc[0])
        for r in iter_rows(part):
            autumn = f", {AUTUMN}" if getattr(r, "session", SPRING) == AUTUMN else ""
            cut = _CUTOFF.match(str(r.detail))
            if cut:
                what = (
                    "у границы отметки участников больше, чем ожидается по распределению "
                    "баллов в регионе"
                )
                works.append(f"{r.subject} {r.grade} кл.{autumn} («{cut[1]}», {cut[2]} б.)")
            else:
                works.append(f"{r.subject} {r.grade} кл.{autumn}")
        out.append(f"Правило edu_quality — {what}: ВПР, {'; '.join(works)}")
    return out


def far_works(data: ReportData, school_id: str, *, n: int = FAR_WORKS) -> pd.DataFrame:
    """The works of the year whose share of «2» is furthest from the region's.

    Only works whose school interval excludes the region's value, with both the
    school's and the region's cells shown (never a hidden cell, nor a region
    value that would give the other schools' small group back by subtraction).
    Sorted by the absolute difference, the ``n`` largest.

    Returns
    -------
    DataFrame
        ``label``, ``school``, ``low``, ``high``, ``region``, ``diff`` (shares).
    """
    mine = data.school_year(school_id)
    mine = mine.loc[~mine["small"] & mine["share_2"].notna() & ~mine["exam_not_held"]]
    cols = ["label", "school", "low", "high", "region", "diff"]
    if mine.empty:
        return pd.DataFrame(columns=cols)
    keys = work_keys(mine)
    region = data.shown_by_work()
    rows = []
    for row in iter_rows(mine):
        reg = region.get(work_of(row, keys))
        if reg is None:
            continue
        others = int(reg.participants) - int(row.participants)
        if bool(reg.small) or 0 < others < data.min_n or pd.isna(reg.share_2):
            continue
        value = float(reg.share_2)
        if row.share_2_low <= value <= row.share_2_high:
            continue
        autumn = f" ({AUTUMN})" if getattr(row, "session", SPRING) == AUTUMN else ""
        rows.append(
            {
                "label": f"{row.assessment}, {row.subject}, {row.grade} кл.{autumn}",
                "school": row.share_2,
                "low": row.share_2_low,
                "high": row.share_2_high,
                "region": value,
                "diff": row.share_2 - value,
            }
        )
    out = pd.DataFrame(rows, columns=cols)
    return out.reindex(out["diff"].abs().sort_values(ascending=False).index).head(n)


def context_words(row: pd.Series | None) -> str:
    """The context-adjusted result in words first, the number second (with its unit).

    Examples
    --------
    >>> context_words(pd.Series({"adjusted": -1.83, "adjusted_low": -2.15,
    ...     "adjusted_high": -1.52})).split(";")[0]
    'С учётом социальных условий результат ниже, чем у школ с похожими условиями'
    """
    if row is None or pd.isna(row.get("adjusted")):
        return ""
    if row["adjusted_high"] < 0:
        words = "ниже, чем у школ с похожими условиями; разница больше случайной"
    elif row["adjusted_low"] > 0:
        words = "выше, чем у школ с похожими условиями; разница больше случайной"
    else:
        words = "такой же, как у школ с похожими условиями: разница в пределах случайной"
    return (
        f"С учётом социальных условий результат {words}. Разница "
        f"{fmt_number(row['adjusted'], 2, fixed=True)} в стандартных отклонениях составного "
        "результата школ региона (95-процентный интервал от "
        f"{fmt_number(row['adjusted_low'], 2, fixed=True)} до "
        f"{fmt_number(row['adjusted_high'], 2, fixed=True)})."
    )


def journal_words(data: ReportData, school_id: str) -> str:
    """A sentence on ВПР marks below journal marks, when that share is high.

    Said when at least :data:`HIGH_LOWER_SHARE` of a shown work's pupils got a
    ВПР mark below their journal mark: journal marks above what the work shows.
    Empty otherwise.
    """
    j = data.journal
    if j is None:
        return ""
    mine = data.rows_of(j, year=True)(school_id)
    mine = mine.loc[~mine["small"]]
    high = mine.loc[mine["share_lower"] >= HIGH_LOWER_SHARE]
    if high.empty:
        return ""
    works = len(high)
    lo, hi = high["share_lower"].min(), high["share_lower"].max()
    span = fmt_percent(hi) if lo == hi else f"{decimal(lo * 100)}–{fmt_percent(hi)}"
    return (
        f"В {works} из {len(mine)} {plural(len(mine), 'работы', 'работ', 'работ')} ВПР у "
        f"{span} участников отметка за ВПР ниже отметки в журнале: отметки в журнале выше, "
        "чем показывает работа. Стоит сверить критерии текущего оценивания с критериями ВПР."
    )


def first_screen_header(data: ReportData, school_id: str) -> Section:
    """The title block: name, municipality and year; status and why; objectivity markers.

    A school on no list but with a marker of non-objectivity is never shown as
    just «не входит в списки»: the status sentence says a check is needed.
    """
    _check(data, school_id)
    row = data.rows_of(data.dataset.schools)(school_id).iloc[0]
    sec = Section(str(row["name"]), level=1)
    group = row["group"] if pd.notna(row["group"]) else "не указана"
    sec.text(
        f"Муниципалитет: {row['municipality']}. {year_label(data.year).capitalize()}. "
        f"Группа для сравнения: {group}."
    )
    markers = objectivity_markers(data, school_id)
    c = _status_row(data, school_id)
    if c is None:
        why = getattr(data, "classify_error", "") or "нет результатов школы за этот год"
        sec.blocks.append('<p class="eq-status">Статус не определён.</p>')
        sec.text(_sentence(why))
    else:
        status = STATUS_TEXT.get(c["status"], c["status"])
        if not c["status"] and markers:
            status += ", но есть признаки необъективности оценивания: требуется проверка"
        sec.blocks.append(f'<p class="eq-status">Статус: {html.escape(status)}.</p>')
        why = main_reason(c)
        if why[1:2].islower():  # «Результаты» → «результаты», never «ОГЭ» → «оГЭ»
            why = why[:1].lower() + why[1:]
        sec.text("Почему: " + why)
    if markers:
        items = "".join(f"<li>{html.escape(m)}</li>" for m in markers)
        sec.blocks.append(
            '<div class="eq-warn"><strong>Признаки необъективности: требуется проверка'
            f"</strong><ul>{items}</ul></div>"
        )
    return sec


def summary_section(data: ReportData, school_id: str) -> Section:
    """The year's results in a few lines: far works, the context, the journal marks."""
    _check(data, school_id)
    sec = Section(f"Главное: {year_label(data.year)}")
    lines = []
    far = far_works(data, school_id)
    for r in iter_rows(far):
        side = "выше" if r.diff > 0 else "ниже"
        lines.append(
            f"{r.label}: доля «2» {fmt_percent(r.school)} (с учётом случайных колебаний "
            f"{decimal(r.low * 100)}–{fmt_percent(r.high)}), "
            f"в регионе {fmt_percent(r.region)} — на {fmt_number(abs(r.diff) * 100, fixed=True)} "
            f"п.п. {side}."
        )
    if far.empty:
        lines.append(
            "Ни по одной работе доля «2» школы не отличается от региональной больше, "
            "чем на случайные колебания."
        )
    for text in (context_words(_status_row(data, school_id)), journal_words(data, school_id)):
        if text:
            lines.append(text)
    sec.items(lines)
    return sec


def risk_year(data: ReportData, school_id: str) -> int | None:
    """The year of the school's risk profile shown; None without a profile.

    The latest up to the report year, else the earliest after it (named as such).
    """
    rp = data.dataset.risk_profiles
    years = sorted(int(y) for y in rp.loc[rp["school_id"] == school_id, "year"].unique())
    if not years:
        return None
    before = [y for y in years if y <= data.year]
    return before[-1] if before else years[0]


#: What stands in a school's report for another school named in the plan.
OTHER_SCHOOL = "другая школа"
#: … and for several named one after another.
OTHER_SCHOOLS = "другие школы"
_SEVERAL_OTHERS = re.compile(rf"{OTHER_SCHOOL}(?:(?:, | и ){OTHER_SCHOOL})+")


def _without_other_schools(data: ReportData, school_id: str, plan: pd.DataFrame) -> pd.DataFrame:
    """The plan's texts with other schools' names replaced by :data:`OTHER_SCHOOL`.

    A director's report names no other school (a curator school in the
    «Ответственный» column included): the municipal report keeps the names. A
    school is found by its registry name and by the name in its quotes without
    the legal form (МБОУ «Лицей № 1» as «Лицей № 1»), as a plan writes it. One
    search over every school's forms, longest first, the leftmost match winning:
    a name is never found inside a longer one («СОШ № 1» in «СОШ № 12», the
    school's own «Лицей № 1» in «Лицей № 1 имени А. С. Пушкина»), and the
    school's own forms stay.
    """

    def forms(name: object) -> set[str]:
        if not isinstance(name, str):
            return set()
        core = _in_quotes(name)
        return {name, f"«{core}»", core} if len(core) >= 5 else {name}

    own = forms(data.names.get(school_id))
    others = set().union(*(forms(n) for sid, n in data.names.items() if sid != school_id)) - own
    if not others:
        return plan.copy()
    words = "|".join(re.escape(f) for f in sorted(own | others, key=len, reverse=True))
    names = re.compile(rf"(?<!\w)(?:{words})(?!\w)")

    def clean(v: object) -> object:
        if not isinstance(v, str):
            return v
        v = names.sub(lambda m: m.group(0) if m.group(0) in own else OTHER_SCHOOL, v)
        # «другая школа, другая школа» → «другие школы»
        return _SEVERAL_OTHERS.sub(OTHER_SCHOOLS, v)

    out = plan.copy()
    for col in ("measure", "responsible", "expected_result", "task"):
        if col in out.columns:
            out[col] = out[col].astype("object").map(clean)
    return out


def _in_quotes(name: str) -> str:
    """The name in a school's outer quotes (МБОУ «Лицей № 1» → Лицей № 1), else ""."""
    start, end = name.find("«"), name.rfind("»")
    return name[start + 1 : end].strip() if 0 <= start < end else ""


def school_measures(data: ReportData, school_id: str) -> tuple[str, pd.DataFrame, bool]:
    """The school's track and its measures from the plan.

    Measures naming the school (its name or id in the measure or the
    responsible) when there are any — ``True`` as the third element — else
    every measure of the track.
    """
    c = _status_row(data, school_id)
    track = TRACK_OF_STATUS.get(c["status"] if c is not None else "", "3")
    plan = data.dataset.plan
    if plan.empty:
        return track, plan, False
    part = _without_other_schools(data, school_id, plan.loc[plan["track"].astype(str) == track])
    name = str(data.names[school_id])
    text = part["measure"].fillna("") + " " + part["responsible"].fillna("")
    own = part.loc[text.str.contains(name, regex=False) | text.str.contains(school_id, regex=False)]
    return (track, own, True) if len(own) else (track, part, False)


def actions_section(data: ReportData, school_id: str) -> Section:
    """«Что делать»: the track's measures with deadlines, partner schools, the high risks.

    A ШНОР with partner schools (:func:`edu_quality.report.similar.partner_names`)
    is told whom to learn from, nearest first.
    """
    _check(data, school_id)
    sec = Section("Что делать")
    track, measures, own = school_measures(data, school_id)
    if data.dataset.plan.empty:
        sec.text(f"Трек {track} — {TRACK_TEXT[track]}. План мероприятий не загружен.")
    elif measures.empty:
        sec.text(f"Трек {track} — {TRACK_TEXT[track]}. В плане нет мер этого трека.")
    else:
        whose = "меры плана для школы" if own else "меры трека по плану"
        sec.text(f"Трек {track} — {TRACK_TEXT[track]}; {whose}:")
        shown = FIRST_MEASURES if len(measures) > FIRST_MEASURES + 1 else len(measures)
        items = [
            str(r.measure) + (f" — {r.deadline}" if isinstance(r.deadline, str) else "")
            for r in iter_rows(measures.head(shown))
        ]
        rest = len(measures) - shown
        if rest > 0:
            items.append(
                f"ещё {rest} {plural(rest, 'мера', 'меры', 'мер')} — в разделе «План "
                f"мероприятий: трек {track}» в конце отчёта"
            )
        sec.items(items)
    partners = partner_names(data, school_id)
    if partners:
        sec.text(
            "Обменяться опытом со школами в похожих условиях, чей результат выше ожидаемого: "
            + ", ".join(partners)
            + " (подробнее — в разделе «С кем обменяться опытом»)."
        )
    year = risk_year(data, school_id)
    if year is None:
        sec.text("Рисковый профиль школы не загружен.")
        return sec
    rp = data.dataset.risk_profiles
    rp = rp.loc[(rp["school_id"] == school_id) & (rp["year"] == year)]
    high = rp.loc[rp["significance"] == "высокая", "risk_factor"].tolist()
    if high:
        sec.note(
            f"Факторы риска высокой значимости (анкетирование {year - 1}/{year} "
            "учебного года): " + "; ".join(high) + ".",
            warn=True,
        )
    else:
        sec.text(
            f"Факторов риска высокой значимости нет (анкетирование {year - 1}/{year} "
            "учебного года)."
        )
    return sec


def track_plan_section(data: ReportData, school_id: str) -> Section:
    """The plan's measures of the school's track in full: deadline, responsible, result."""
    _check(data, school_id)
    track, measures, own = school_measures(data, school_id)
    if measures.empty:
        sec = Section("")
        why = "не загружен" if data.dataset.plan.empty else f"в нём нет мер трека {track}"
        sec.blocks.append(f'<p class="eq-empty">План мероприятий: {html.escape(why)}.</p>')
        return sec
    sec = Section(
        f"План мероприятий: трек {track}",
        f"{TRACK_TEXT[track].capitalize()}: "
        + ("меры плана, названные для школы." if own else "все меры трека по плану."),
    )
    sec.table(plan_table(measures), name=f"plan_{track}")
    return sec

"""The municipal «Аналитическая справка»: the document a methodologist signs.

:func:`analytic_note` opens the municipality report. Every problem it states
names its schools (by name, never by result) with a one-line reason; the likely
causes come from the identification (context, result against the context),
the region's factor model and the schools' risk profiles, and it says so
plainly when the data show no cause; the measures of the plan are grouped by
track and ordered by deadline (:func:`edu_quality.report.plan.plan_order`),
each track naming the schools it concerns; the programme indicators stand
beside what the data give for the same thing, with the difference explained
(:func:`reconcile_indicators`). The factor model comes in plain words
(:func:`edu_quality.report.factor_words.factor_effects`).
"""

from __future__ import annotations

import html
import re

import pandas as pd

from .._rows import iter_rows
from .._russian import name_order, plural
from ..dynamics import positive_share, year_over_year
from ..errors import DataError
from ..indicators import evaluate_indicators
from .data import ReportData, work_keys
from .factor_words import factor_effects
from .plan import TRACKS, plan_order
from .render import Section, fmt_interval, fmt_number, fmt_percent

__all__ = [
    "CAUSES_CAVEAT",
    "NO_INDICATORS",
    "NO_PLAN",
    "NO_PROBLEMS",
    "RESILIENT_LABEL",
    "analytic_note",
    "check_municipality",
    "measure_tracks",
    "names_line",
    "no_causes_text",
    "note_content",
    "positive_dynamics",
    "reconcile_indicators",
    "schools_word",
]

_LETTER_WORDS = {
    "а": "завышенный средний балл",
    "б": "расхождение ВПР и журнальных отметок",
    "в": "резкое изменение результатов параллели",
}


def schools_word(n: int) -> str:
    """«1 школа», «3 школы», «5 школ».

    Examples
    --------
    >>> [schools_word(n) for n in (1, 3, 5, 21)]
    ['1 школа', '3 школы', '5 школ', '21 школа']
    """
    return f"{n} {plural(n, 'школа', 'школы', 'школ')}"


def names_line(label: str, names: list[str], total: int | None = None) -> str:
    """One count line of the справка: «label: 2 школы из 22 — A, B.», names sorted.

    Examples
    --------
    >>> names_line("Значимое ухудшение", ["Б", "А"], 22)
    'Значимое ухудшение: 2 школы из 22 — А, Б.'
    """
    names = sorted(names, key=name_order)
    of = f" из {total}" if total is not None else ""
    return f"{label}: {schools_word(len(names))}{of} — {', '.join(names)}."


def check_municipality(data: ReportData, municipality: str) -> list[str]:
    """The ids of the municipality's schools; a Russian error when it is unknown."""
    ids = data.schools_of(municipality)
    if not ids:
        raise DataError(
            None,
            f"муниципалитет «{municipality}» не найден в реестре; есть: "
            + ", ".join(data.dataset.municipalities),
        )
    return ids


# ------------------------------------------------------------------ dynamics and indicators


def positive_dynamics(data: ReportData, ids: list[str], year: int) -> dict | None:
    """Schools of ``ids`` with positive, negative and stable dynamics of the share of «2».

    The verdicts of :func:`edu_quality.year_over_year` between ``year − 1`` and
    ``year`` over every shown work (groups of at least ``min_n``), counted by
    :func:`edu_quality.dynamics.positive_share`: a school is positive when some
    work improved beyond chance and none got worse. None without two years.

    Returns
    -------
    dict
        ``units``, ``share``, ``low``, ``high`` and the school ids under
        ``positive``, ``negative``, ``stable``.
    """
    s = data.shown_summary
    s = s.loc[s["school_id"].isin(ids) & s["year"].isin([year - 1, year]) & ~s["small"]]
    if s["year"].nunique() < 2:
        return None
    yoy = year_over_year(s, by=["school_id", *work_keys(s)], metrics=["share_2"])
    yoy = yoy.loc[(yoy["year_to"] == year) & yoy["verdict"].notna()]
    if yoy.empty:
        return None
    ps = positive_share(yoy).iloc[0]
    per = yoy.groupby("school_id")["verdict"].agg(
        pos=lambda v: (v == "положительная").any(), neg=lambda v: (v == "отрицательная").any()
    )
    return {
        "units": int(ps["units"]),
        "share": float(ps["share_positive"]),
        "low": float(ps["share_positive_low"]),
        "high": float(ps["share_positive_high"]),
        "positive": per.index[per["pos"] & ~per["neg"]].tolist(),
        "negative": per.index[per["neg"]].tolist(),
        "stable": per.index[~per["pos"] & ~per["neg"]].tolist(),
    }


def _pooled_vpr_changes(data: ReportData, ids: list[str], year: int) -> pd.Series:
    """Per school: change of the pooled ВПР share of «2» from ``year − 1`` (share, not p. p.)."""
    s = data.summary
    s = s.loc[
        s["school_id"].isin(ids)
        & s["year"].isin([year - 1, year])
        & (s["assessment"] == "ВПР")
        & s["n2"].notna()
    ]
    g = s.groupby(["school_id", "year"], as_index=False)[["n2", "participants"]].sum()
    g["share"] = g["n2"] / g["participants"].where(g["participants"] > 0)
    share = g.pivot_table(index="school_id", columns="year", values="share")
    if year not in share.columns or year - 1 not in share.columns:
        return pd.Series(dtype="float64")
    return (share[year] - share[year - 1]).dropna()


def _dynamics_row(data: ReportData, ids: list[str], row) -> dict:
    year = int(row.year)
    dyn = positive_dynamics(data, ids, year)
    reported = row.actual
    if dyn is None:
        return {
            "computed": "не рассчитано: нет результатов двух лет",
            "why": "Сравнить не с чем: за прошлый год нет результатов.",
        }
    k = len(dyn["positive"])
    computed = (
        f"{k} из {dyn['units']} ({fmt_percent(dyn['share'])} "
        f"{fmt_interval(dyn['low'], dyn['high'])})"
    )
    why = (
        "Расчёт: школа засчитывается, если доля «2» снизилась больше случайных колебаний "
        "хотя бы по одной работе (группы от "
        f"{data.min_n} участников) и ни по одной не выросла; знаменатель — "
        f"{schools_word(dyn['units'])} с результатами обоих лет."
    )
    if pd.isna(reported):
        return {"computed": computed, "why": why + " Отчётного значения нет."}
    if round(100 * dyn["share"], 1) == round(float(reported), 1):
        return {"computed": computed, "why": why + " Значения совпадают."}
    change = _pooled_vpr_changes(data, ids, year)
    rules = [
        ("доля «2» по всем ВПР школы снизилась не меньше чем на 3 п. п.", change <= -0.03),
        ("доля «2» по всем ВПР школы снизилась хоть на сколько-нибудь", change < 0),
    ]
    for text, hit in rules:
        n = len(change)
        if n and round(100 * int(hit.sum()) / n, 1) == round(float(reported), 1):
            return {
                "computed": computed,
                "why": why + f" Отчётное значение получается, если считать школу, где {text}: "
                f"{int(hit.sum())} из {n}. Такой подсчёт не проверяет, больше ли изменение "
                "случайных колебаний, поэтому засчитывает и школы, где доля «2» "
                "колеблется год к году без реальной перемены.",
            }
    return {
        "computed": computed,
        "why": why + " Способ расчёта отчётного значения в файле показателей не указан, "
        "и по имеющимся данным его воспроизвести не удалось; уточните его у составителя.",
    }


_OGE_RE = re.compile(r"с отметкой «2» по ОГЭ \(([^)]+)\)")


def _oge_row(data: ReportData, ids: list[str], row, subject: str) -> dict:
    s = data.summary
    s = s.loc[
        s["school_id"].isin(ids)
        & (s["year"] == int(row.year))
        & (s["assessment"] == "ОГЭ")
        & (s["subject"].str.lower() == subject.lower())
        & s["n2"].notna()
        & ~s["exam_not_held"]
    ]
    n = int(s["participants"].sum())
    if n == 0:
        return {"computed": "нет результатов ОГЭ", "why": "В данных нет результатов этого ОГЭ."}
    if n < data.min_n:
        return {"computed": f"скрыто: меньше {data.min_n} участников", "why": ""}
    share = float(s["n2"].sum()) / n
    computed = f"{fmt_percent(share)} ({n} {plural(n, 'участник', 'участника', 'участников')})"
    if pd.notna(row.actual) and abs(100 * share - float(row.actual)) < 0.05:
        why = "Значения совпадают."
    else:
        why = (
            "Расчёт — по всем участникам ОГЭ школ муниципалитета в файлах результатов "
            "(основной период). Отчётное значение взято из файла показателей; различие "
            "возможно из-за пересдач, учёта выпускников других организаций или другой даты "
            "выгрузки."
        )
    return {"computed": computed, "why": why}


def reconcile_indicators(data: ReportData, municipality: str) -> pd.DataFrame:
    """Programme indicators of the report year beside what the data give for the same thing.

    Covered: «Доля школ с положительной динамикой…» (:func:`positive_dynamics`,
    and the simpler counts that may give the reported value) and «Доля
    обучающихся с отметкой «2» по ОГЭ (предмет)».

    Returns
    -------
    DataFrame
        «Показатель», «Рассчитано по данным», «В показателях программы»,
        «Почему различаются»; empty when no indicator can be computed.
    """
    ids = check_municipality(data, municipality)
    cols = ["Показатель", "Рассчитано по данным", "В показателях программы", "Почему различаются"]
    ind = data.dataset.indicators
    if ind.empty:
        return pd.DataFrame(columns=cols)
    ind = ind.loc[(ind["scope"].fillna("") == municipality) & (ind["year"] == data.year)]
    if ind.empty:
        return pd.DataFrame(columns=cols)
    ev = evaluate_indicators(ind)
    rows = []
    for r in iter_rows(ev):
        name = str(r.indicator)
        oge = _OGE_RE.search(name)
        if "положительной динамик" in name.lower():
            got = _dynamics_row(data, ids, r)
        elif oge:
            got = _oge_row(data, ids, r, oge.group(1))
        else:
            continue
        unit = " %" if str(r.unit or "").strip() == "%" else f" {r.unit}" if r.unit else ""
        reported = (
            "нет данных"
            if pd.isna(r.actual)
            else f"{fmt_number(r.actual, fixed=True)}{unit}".replace(" %", "\u00a0%")
        )
        target = f"{r.direction} {fmt_number(r.target)}{unit}".replace(" %", "\u00a0%")
        rows.append(
            {
                "Показатель": f"{name} ({r.year})",
                "Рассчитано по данным": got["computed"],
                "В показателях программы": f"{reported} — {r.status} (цель {target})",
                "Почему различаются": got["why"],
            }
        )
    return pd.DataFrame(rows, columns=cols)


# ------------------------------------------------------------------ the справка


def _nested(sec: Section, items: list[tuple[str, list[str]]]) -> None:
    """A bulleted list whose items may hold a sub-list (all text escaped)."""
    if not items:
        return
    parts = []
    for head, subs in items:
        sub = "".join(f"<li>{html.escape(t)}</li>" for t in subs)
        parts.append(f"<li>{html.escape(head)}" + (f"<ul>{sub}</ul>" if sub else "") + "</li>")
    sec.blocks.append('<ul class="eq-spravka">' + "".join(parts) + "</ul>")


def _status_reason(row, n_years: int) -> str:
    """Why a school is on a list, in one line (from the identification's flags)."""
    parts = []
    years = list(row["low_years"]) if isinstance(row["low_years"], list | tuple) else []
    if row["stably_low"] and years:
        parts.append(
            f"низкие результаты в {len(years)} из {n_years} лет ({', '.join(map(str, years))})"
        )
    elif row["low"]:
        parts.append("низкие результаты в этом году")
    if row["rosobrnadzor"]:
        parts.append("доля «2» не ниже 30 % (правило Рособрнадзора)")
    if row["unfavourable"]:
        parts.append("неблагоприятный социальный контекст")
    if pd.notna(row["adjusted_high"]) and row["adjusted_high"] < 0:
        parts.append("результат ниже, чем у школ с похожими условиями")
    if row["decline"]:
        parts.append("значимое ухудшение к прошлому году")
    if row["near_low"]:
        parts.append("результат близок к порогу низких")
    if row["borderline"] and not parts:
        parts.append("на границе порога низких результатов")
    return "; ".join(parts) or "по правилам отбора"


def _decline_detail(reasons: str) -> str:
    for part in str(reasons).split("; "):
        if part.startswith("значимое ухудшение"):
            return part.removeprefix("значимое ухудшение: ")
    return "доля «2» выросла больше случайных колебаний"


_LISTS = (
    ("ШНОР и ШНСУ", "Низкие результаты в неблагоприятных социальных условиях (ШНОР и ШНСУ)"),
    ("ШНОР", "Низкие образовательные результаты (ШНОР)"),
    ("ШНСУ", "Неблагоприятные социальные условия (ШНСУ)"),
    ("зона риска", "Зона риска снижения результатов"),
)


def _list_problems(data: ReportData, ids: list[str], rows: list) -> None:
    c = data.classified
    if c is None:
        return
    mine = c.loc[c.index.isin(ids)]
    n_years = int(c.attrs.get("rules", {}).get("n", 3))
    for status, label in _LISTS:
        part = mine.loc[mine["status"] == status]
        if len(part):
            named = {str(data.names[s]): _status_reason(part.loc[s], n_years) for s in part.index}
            rows.append((label, named, len(ids)))
    declined = mine.loc[mine["decline"].fillna(False).astype(bool)]
    if len(declined):
        named = {
            str(data.names[s]): _decline_detail(declined.loc[s, "reasons"]) for s in declined.index
        }
        rows.append(("Значимое ухудшение доли «2» к прошлому году", named, len(ids)))


def _work_words(work: str) -> str:
    """A work's label in words, its session kept at the end.

    Examples
    --------
    >>> [_work_words(w) for w in ("5 РУ", "ОГЭ МА", "4→5 РУ", "5 РУ (осень)")]
    ['русский язык 5 кл.', 'ОГЭ (математика)', 'русский язык 4→5', 'русский язык 5 кл. (осень)']
    """
    work, session = work.strip(), ""
    if work.endswith(")") and " (" in work:
        work, _, session = work.rpartition(" (")
        session = f" ({session}"
    head, _, subj = work.rpartition(" ")
    subject = {"РУ": "русский язык", "МА": "математика"}.get(subj, subj)
    if head == "ОГЭ":
        return f"ОГЭ ({subject}){session}"
    return f"{subject} {head}" + ("" if "→" in head else " кл.") + session


def _objectivity_problems(data: ReportData, ids: list[str], rows: list) -> None:
    from .objectivity import sign_table

    oi = data.objectivity
    if oi is None:
        return
    o = oi.schools
    o = o.loc[o["school_id"].isin(ids) & (o["year"] == data.year) & o["evaluated"]]
    if o.empty:
        return
    per = o.groupby("school_id").agg(flagged=("flagged", "any"), n_signs=("n_signs", "max"))
    n = len(per)
    table = sign_table(data, per.index.tolist()).set_index("Школа")
    works = [c for c in table.columns if c != "Итог"]

    def why(sid: str) -> str:
        row = table.loc[str(data.names[sid])]
        if isinstance(row, pd.DataFrame):  # two schools of one name: take the first
            row = row.iloc[0]
        fired: dict[str, list[str]] = {}
        for w in works:
            for letter in str(row[w]).split(", "):
                if letter in _LETTER_WORDS:
                    fired.setdefault(_LETTER_WORDS[letter], []).append(_work_words(w))
        return "; ".join(f"{k}: {', '.join(v)}" for k, v in fired.items()) or "признаки по работам"

    flagged = per.index[per["flagged"].fillna(False).astype(bool)].tolist()
    if flagged:
        min_signs = int(oi.region.attrs.get("min_signs", 1))
        rule = "хотя бы один признак" if min_signs <= 1 else f"не менее {min_signs} признаков"
        label = f"Признаки необъективности ВПР (требуется проверка; {oi.method}, {rule})"
        rows.append((label, {str(data.names[s]): why(s) for s in flagged}, n))
    single = per.index[~per["flagged"].fillna(False).astype(bool) & (per["n_signs"] > 0)]
    if len(single) and int(oi.region.attrs.get("min_signs", 1)) > 1:
        label = "Отдельные признаки необъективности без совпадения (отметка не ставится)"
        rows.append((label, {str(data.names[s]): why(s) for s in single}, n))
    tri = data.objectivity_triage
    if tri is not None:
        t = tri.schools
        t = t.loc[(t["year"] == data.year) & t["evaluated"] & t["school_id"].isin(ids)]
        marked = sorted(set(t.loc[t["flagged"], "school_id"]))
        if marked:
            label = "По более строгому правилу edu_quality (совпадение признаков, от 5 участников)"
            rows.append(
                (label, {str(data.names[s]): why(s) for s in marked}, t["school_id"].nunique())
            )
    m = data.markers
    m = m.loc[m["school_id"].isin(ids)]
    if len(m):
        named = {
            str(data.names[s]): "; ".join(
                f"{r.subject}, {r.grade} кл. — {r.detail}" for r in iter_rows(g)
            )
            for s, g in m.groupby("school_id")
        }
        rows.append(
            (
                "Распределение баллов ВПР: избыток у границ отметок (правило edu_quality)",
                named,
                None,
            )
        )


def _indicator_problems(data: ReportData, municipality: str) -> list[str]:
    ind = data.dataset.indicators
    if ind.empty:
        return []
    ind = ind.loc[(ind["scope"].fillna("") == municipality) & (ind["year"] == data.year)]
    if ind.empty:
        return []
    ev = evaluate_indicators(ind)
    missed = sorted(ev.loc[ev["status"] == "не достигнут", "indicator"].astype(str))
    if not missed:
        return [f"Все показатели программы {data.year} года с данными достигнуты."]
    k, n = len(missed), int(ev["status"].isin(["достигнут", "не достигнут"]).sum())
    word = plural(k, "показатель", "показателя", "показателей")
    return [
        f"Не достигнуты в {data.year} году {k} {word} программы из {n}: " + "; ".join(missed) + "."
    ]


def _problems(
    data: ReportData, municipality: str, ids: list[str]
) -> list[tuple[str, dict, int | None]]:
    rows: list = []
    _list_problems(data, ids, rows)
    _objectivity_problems(data, ids, rows)
    return rows


def _cause_lines(data: ReportData, ids: list[str]) -> list[tuple[str, dict, int | None]]:
    """Likely causes, each naming its schools: context, result against it, factors, risks."""
    rows: list = []
    c = data.classified
    listed: list[str] = []
    if c is not None:
        mine = c.loc[c.index.isin(ids)]
        low = mine.loc[mine["status"].isin(["ШНОР", "ШНОР и ШНСУ"])]
        listed = mine.index[
            mine["status"].isin(["ШНОР", "ШНОР и ШНСУ", "ШНСУ", "зона риска"])
        ].tolist()
        unfav = low.loc[low["unfavourable"].fillna(False).astype(bool)]
        if len(unfav):
            rows.append(
                (
                    "Низкие результаты при неблагоприятном социальном контексте — нужна поддержка "
                    "с учётом контингента",
                    {str(data.names[s]): "" for s in unfav.index},
                    None,
                )
            )
        below = mine.loc[mine.index.isin(listed) & (mine["adjusted_high"] < 0)]
        if len(below):
            rows.append(
                (
                    "Результаты ниже, чем у школ с похожими условиями (разница больше случайной) — "
                    "вероятны внутришкольные причины: преподавание, управление, оценивание",
                    {str(data.names[s]): "" for s in below.index},
                    None,
                )
            )
        near = low.loc[(low["adjusted_low"] <= 0) & (low["adjusted_high"] >= 0)]
        if len(near):
            rows.append(
                (
                    "Низкие результаты на уровне ожидаемого при их условиях — их объясняет "
                    "в основном контекст",
                    {str(data.names[s]): "" for s in near.index},
                    None,
                )
            )
    rows.extend(_factor_causes(data, listed))
    rows.extend(_risk_causes(data, listed or ids))
    return rows


def _factor_causes(data: ReportData, listed: list[str]) -> list:
    from .factor_model import school_factor_table

    if not listed:
        return []
    try:
        eff = factor_effects(data)
    except (DataError, ValueError):
        return []
    eff = eff.loc[eff["direction"] == "отрицательное"]  # more «2» with more of the factor
    if eff.empty:
        return []
    table = school_factor_table(data).set_index("school_id")
    out = []
    for r in iter_rows(eff):
        mean = float(table[r.factor].mean())
        above = [s for s in listed if s in table.index and table.loc[s, r.factor] > mean]
        if above:
            out.append(
                (
                    f"{r.label[:1].upper()}{r.label[1:]} выше средней по региону "
                    f"({fmt_percent(mean)}) — в регионе при "
                    f"доле выше на {fmt_number(r.step_pp)} п. п. доля «2» выше примерно на "
                    f"{fmt_number(r.pp, fixed=True)} п. п.",
                    {str(data.names[s]): fmt_percent(table.loc[s, r.factor]) for s in above},
                    None,
                )
            )
    return out


def _risk_causes(data: ReportData, ids: list[str]) -> list:
    rp = data.dataset.risk_profiles
    rp = rp.loc[rp["school_id"].isin(ids)]
    if rp.empty:
        return []
    years = sorted(int(y) for y in rp["year"].unique())
    before = [y for y in years if y <= data.year]
    year = before[-1] if before else years[0]  # the latest not after the report year
    rp = rp.loc[rp["year"] == year]
    high = rp.loc[rp["significance"] == "высокая"]
    out = []
    for factor, g in sorted(
        high.groupby("risk_factor"), key=lambda t: (-t[1]["school_id"].nunique(), t[0])
    )[:3]:
        out.append(
            (
                f"Фактор риска высокой значимости «{factor}» (рисковые профили {year} года)",
                {str(data.names[s]): "" for s in g["school_id"].unique()},
                None,
            )
        )
    return out


def _no_cause_reasons(data: ReportData, ids: list[str]) -> list[str]:
    """Why the справка names no cause, source by source."""
    from .region import MIN_SCHOOLS

    out = []
    ctx = data.dataset.context
    n_ctx = ctx.loc[ctx["school_id"].isin(ids), "school_id"].nunique() if len(ctx) else 0
    out.append(
        "социальный контекст школ не загружен"
        if n_ctx == 0
        else f"социальный контекст есть у {schools_word(n_ctx)} из {len(ids)}, "
        "и он не отличает школы из списков от остальных"
    )
    n_all = ctx["school_id"].nunique() if len(ctx) else 0
    if n_all < MIN_SCHOOLS:
        out.append(
            f"модель влияния факторов не оценена (нужен контекст хотя бы {MIN_SCHOOLS} "
            f"школ региона, есть {n_all})"
        )
    else:
        out.append("значимые по модели факторы у школ из списков не выше среднего")
    rp = data.dataset.risk_profiles
    out.append(
        "рисковые профили не загружены"
        if rp.loc[rp["school_id"].isin(ids)].empty
        else "в рисковых профилях нет факторов высокой значимости"
    )
    return out


def _render_counts(rows: list[tuple[str, dict, int | None]]) -> list[tuple[str, list[str]]]:
    out = []
    for label, named, total in rows:
        head = names_line(label, list(named), total)
        subs = [f"{k} — {v}" for k, v in sorted(named.items()) if v]
        out.append((head, subs))
    return out


#: The справка's fixed sentences (the Word document says the same).
NO_PROBLEMS = "Существенных проблем по данным не выявлено."
RESILIENT_LABEL = "Опыт для распространения (резильентные школы)"
CAUSES_CAVEAT = (
    "Связь не доказывает причину: это гипотезы, которые нужно проверить в школах "
    "(посещение уроков, анализ работ, беседы с администрацией)."
)
NO_PLAN = "План мероприятий не загружен: меры и сроки не определены."
NO_INDICATORS = "Ни один показатель программы этого года нельзя пересчитать по имеющимся данным."


def no_causes_text(reasons: list[str]) -> str:
    """The sentence said when the data show no cause, from :func:`note_content`'s ``no_causes``."""
    return (
        "Данные не показывают причин: "
        + "; ".join(reasons)
        + ". Причины нужно выяснять в школах (посещение уроков, анализ работ)."
    )


def measure_tracks(data: ReportData, ids: list[str]) -> tuple[list[str], list[dict]]:
    """The plan's measures by track, ordered by deadline, each naming the schools it concerns.

    Returns
    -------
    warnings : list of str
        A track with schools but no measure in the plan (one line each).
    tracks : list of dict
        In the plan's order: ``track`` («1»…), ``title`` («Трек 1 — адресная
        поддержка…»), ``schools`` (names, sorted; empty for track 3 and when
        no school of the municipality is on the track), ``text`` (the line
        naming them) and ``measures`` (DataFrame «Мероприятие», «Срок»,
        «Ответственный», by deadline: :func:`edu_quality.report.plan.plan_order`).
    """
    plan = data.dataset.plan
    if plan.empty:
        return [], []
    c = data.classified
    mine = c.loc[c.index.isin(ids)] if c is not None else None
    concerns = {
        "1": ["ШНОР", "ШНОР и ШНСУ"],
        "2": ["зона риска"],
    }
    ordered = plan_order(plan)
    track = ordered["track"].astype(str).str.strip()
    warnings = []
    for t, statuses in concerns.items():
        if t in set(track) or mine is None:
            continue
        names = [str(data.names[s]) for s in mine.index[mine["status"].isin(statuses)]]
        if names:
            warnings.append(
                names_line(f"В плане нет мер трека {t} ({TRACKS[t]}), а школ трека", names)
            )
    tracks = []
    for t in dict.fromkeys(track):
        part = ordered.loc[track == t]
        names: list[str] = []
        text = ""
        if t in concerns and mine is not None:
            chosen = mine.index[mine["status"].isin(concerns[t])]
            names = sorted((str(data.names[s]) for s in chosen), key=name_order)
            text = (
                names_line("Школы трека", names)
                if names
                else "Школ этого трека в муниципалитете нет: меры — на случай их появления."
            )
        elif t == "3":
            text = f"Все школы муниципалитета ({len(ids)})."
        tracks.append(
            {
                "track": t,
                "title": f"Трек {t}" + (f" — {TRACKS[t]}" if t in TRACKS else ""),
                "schools": names,
                "text": text,
                "measures": pd.DataFrame(
                    {
                        "Мероприятие": part["measure"].fillna("").astype(str),
                        "Срок": part["deadline"].fillna("").astype(str),
                        "Ответственный": part["responsible"].fillna("").astype(str),
                    }
                ),
            }
        )
    return warnings, tracks


def _measures(sec: Section, data: ReportData, ids: list[str]) -> None:
    if data.dataset.plan.empty:
        sec.text(NO_PLAN)
        return
    warnings, tracks = measure_tracks(data, ids)
    for line in warnings:
        sec.note(line, warn=True)
    for t in tracks:
        sec.blocks.append(f"<h4>{html.escape(t['title'])}</h4>")
        if t["text"]:
            sec.text(t["text"])
        sec.table(t["measures"], name=f"measures_{t['track']}")


def note_content(data: ReportData, municipality: str) -> dict:
    """What the «Аналитическая справка» states, as plain data (for other renderers).

    The same findings :func:`analytic_note` renders, in its order: each problem
    and cause is ``(label, {school name: reason}, total or None)``.

    Returns
    -------
    dict
        ``ids`` (the municipality's school ids), ``problems``,
        ``indicator_problems`` (lines), ``resilient`` (names), ``causes``,
        ``no_causes`` (why no cause is named: lines; empty when causes are),
        ``plan_loaded``, ``plan_warnings`` and ``tracks``
        (:func:`measure_tracks`), ``indicators`` (:func:`reconcile_indicators`).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> content = note_content(report_data(sample_folder("region"), 2024), "г. Заречный")
    >>> sorted(content)[:3]
    ['causes', 'ids', 'indicator_problems']
    """
    ids = check_municipality(data, municipality)
    c = data.classified
    resilient = (
        sorted(
            str(data.names[s]) for s in c.index[c.index.isin(ids) & (c["status"] == "резильентная")]
        )
        if c is not None
        else []
    )
    causes = _cause_lines(data, ids)
    warnings, tracks = measure_tracks(data, ids)
    return {
        "ids": ids,
        "problems": _problems(data, municipality, ids),
        "indicator_problems": _indicator_problems(data, municipality),
        "resilient": resilient,
        "causes": causes,
        "no_causes": [] if causes else _no_cause_reasons(data, ids),
        "plan_loaded": not data.dataset.plan.empty,
        "plan_warnings": warnings,
        "tracks": tracks,
        "indicators": reconcile_indicators(data, municipality),
    }


def analytic_note(data: ReportData, municipality: str) -> Section:
    """«Аналитическая справка»: problems naming their schools, causes, measures, indicators.

    Every count line names the schools behind it, sorted by name (never by result),
    with a one-line reason each; groups under ``min_n`` pupils appear nowhere
    (only school names and verdicts are shown, never a pupil count of a group).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = analytic_note(report_data(sample_folder("region"), 2024), "Северный район")
    >>> sec.title, "problems" in sec.tables
    ('Аналитическая справка', True)
    """
    ids = check_municipality(data, municipality)
    sec = Section(
        "Аналитическая справка",
        f"{data.year - 1}/{data.year} учебный год, {municipality}: выявленные проблемы с "
        "названиями школ, вероятные причины, меры по трекам со сроками и ответственными, "
        "показатели программы рядом с расчётом по данным.",
    )
    content = note_content(data, municipality)
    problems = content["problems"]
    sec.tables["problems"] = pd.DataFrame(
        {
            "Проблема": [p[0] for p in problems],
            "Школ": [len(p[1]) for p in problems],
            "Из": [p[2] for p in problems],
            "Школы": [", ".join(sorted(p[1])) for p in problems],
        }
    )
    sec.subtitle("1. Выявленные проблемы")
    items = _render_counts(problems) + [(t, []) for t in content["indicator_problems"]]
    _nested(sec, items or [(NO_PROBLEMS, [])])
    if content["resilient"]:
        sec.text(names_line(RESILIENT_LABEL, content["resilient"]))
    sec.subtitle("2. Вероятные причины")
    if content["causes"]:
        _nested(sec, _render_counts(content["causes"]))
        sec.note(CAUSES_CAVEAT)
    else:
        sec.text(no_causes_text(content["no_causes"]))
    sec.subtitle("3. Меры по трекам, сроки и ответственные")
    _measures(sec, data, ids)
    sec.subtitle("4. Показатели программы: расчёт по данным и отчётные значения")
    rec = content["indicators"]
    if rec.empty:
        sec.text(NO_INDICATORS)
    else:
        sec.table(rec, name="indicators_reconciled")
    return sec

"""Sections of the region report: factor influence, the social index, identification.

The report for a regional methodologist (notebook ``region_factors.ipynb``):
which context factors go with the share of «2» across all schools of the
region, the school social well-being index and its weights, results against the
index, how many schools are on each list and why, and — from pupil-level ВПР —
how much of the spread of results lies between schools.

Every ``*_section`` function takes a :class:`~edu_quality.report.data.ReportData`
and returns a :class:`~edu_quality.report.render.Section`; the computations
behind them (:func:`school_factor_table`, :func:`factor_influence`,
:func:`region_social_index`, :func:`vpr_pupil_scores`) return tables and are
usable on their own. Only aggregates are shown; groups under the small-group
threshold are left out of the school tables.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._russian import in_name_order, plural
from ..errors import DataError, EduQualityError
from ..identify import STATUSES
from ..index import SocialIndex, default_factors, social_index
from .data import ReportData
from .factor_model import (
    MIN_SCHOOLS,
    context_year,
    factor_columns,
    factor_influence,
    school_factor_table,
)
from .render import Section, Sections, fmt_interval, fmt_number, fmt_percent
from .tasks_section import region_pupil_sections
from .transitions import programme_effect_section, transitions_section

__all__ = [
    "MIN_SCHOOLS",
    "factor_influence",
    "factor_influence_section",
    "identification_summary",
    "multilevel_section",
    "objectivity_region_section",
    "region_header",
    "region_report",
    "region_social_index",
    "school_factor_table",
    "social_index_section",
    "vpr_pupil_scores",
]

_NOT_LISTED = "не входит в списки"


def _p_text(p: float) -> str:
    if pd.isna(p):
        return "—"
    return "< 0,001" if p < 0.001 else fmt_number(p, 3, fixed=True)


# ------------------------------------------------------------------ tables


def region_social_index(data: ReportData) -> SocialIndex:
    """The school social well-being index of the context year, as identification builds it.

    The factors and the method are those of :func:`edu_quality.classify`: the
    first principal component (``method="pca"``) of the factors the catalogue
    knows to influence results (every factor when fewer than two of them are
    present), so ``table["index_z"]`` equals the ``index_z`` of the
    identification.

    Raises
    ------
    edu_quality.errors.DataError
        No context data.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> si = region_social_index(report_data(sample_folder("region"), 2024))
    >>> si.method, len(si.table)
    ('pca', 44)
    """
    cy = context_year(data)
    if cy is None or not factor_columns(data):
        raise DataError(None, "нет данных о социальном контексте школ")
    ctx = data.dataset.context
    ctx = ctx.loc[ctx["year"] == cy]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return social_index(ctx, default_factors(ctx))


def vpr_pupil_scores(data: ReportData) -> pd.DataFrame:
    """Pupil-level ВПР scores of the report year, standardised within subject and grade.

    Parameters
    ----------
    data : ReportData

    Returns
    -------
    DataFrame
        One row per pupil and work: ``school_id``, ``subject``, ``grade``,
        ``score`` (primary score) and ``score_z`` = (score − mean) / sd over
        the region's pupils of the same subject and grade, so that works with
        different maximum scores can be pooled. Empty when the dataset has no
        pupil-level ВПР scores for the year.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> v = vpr_pupil_scores(report_data(sample_folder("region"), 2024))
    >>> round(float(v["score_z"].mean()), 6) == 0, v["school_id"].nunique()
    (True, 44)
    """
    r = data.dataset.results
    cols = ["school_id", "subject", "grade", "score"]
    if r.empty:
        return pd.DataFrame(columns=[*cols, "score_z"])
    admitted = r["admitted"].fillna(True).astype(bool)
    keep = (r["assessment"] == "ВПР") & (r["year"] == data.year) & r["score"].notna() & admitted
    v = r.loc[keep, cols].reset_index(drop=True)
    score = v["score"].astype("float64")
    g = score.groupby([v["subject"], v["grade"]])
    sd = g.transform("std")
    v["score_z"] = (score - g.transform("mean")) / sd.where(sd > 0)
    return v.loc[v["score_z"].notna()].reset_index(drop=True)


# ------------------------------------------------------------------ sections


def region_header(data: ReportData) -> Section:
    """Title block: the year, the schools by municipality and group, what the report holds.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> region_header(report_data(sample_folder("region"), 2024)).title
    'Регион: социальные факторы и выявление школ'
    """
    s = data.dataset.schools
    sec = Section("Регион: социальные факторы и выявление школ", level=1)
    sec.text(
        f"Учебный год: {data.year - 1}/{data.year}. Школ: {len(s)}, "
        f"муниципалитетов: {s['municipality'].nunique()}."
    )
    counts = s.groupby("municipality").size()
    sec.items([f"{m}: {n} {plural(n, 'школа', 'школы', 'школ')}" for m, n in counts.items()])
    groups = s["group"].fillna("не указана").value_counts()
    sec.text("Группы для сравнения: " + "; ".join(f"{g} — {n}" for g, n in groups.items()) + ".")
    sec.note(
        "Связь фактора с результатами не доказывает, что фактор их вызывает. Проценты "
        "даны с 95-процентным доверительным интервалом; группы меньше "
        f"{data.min_n} участников в таблицах по школам скрыты."
    )
    return sec


def factor_influence_section(data: ReportData) -> Section:
    """Influence of the context factors on the share of «2» across the region's schools.

    The same plain-words section as the municipality report
    (:func:`edu_quality.report.factor_words.plain_factor_section`: direction
    table in the form of the Nazarovo programme, the change of the share of
    «2» in percentage points and the odds ratio with intervals, «Как читать»),
    then, under «Подробности модели для специалистов», the model's own terms —
    log-odds coefficient, interval, Holm-corrected p-value, VIF — each column
    explained in words. See :func:`factor_influence`.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = factor_influence_section(report_data(sample_folder("region"), 2024))
    >>> list(sec.tables["factor_directions"].columns)
    ['Фактор', 'Направление влияния']
    >>> "factor_model_details" in sec.tables
    True
    """
    from .factor_words import plain_factor_section

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sec = plain_factor_section(data, region=True)
        try:
            res = factor_influence(data)
        except (DataError, ValueError):
            return sec  # the plain section already says why
    sec.subtitle("Подробности модели для специалистов")
    details = pd.DataFrame(
        {
            "Фактор": res["label"],
            "Коэффициент (логарифм шансов)": [fmt_number(v, 2) for v in res["coef"]],
            "Интервал": [
                fmt_interval(lo, hi, percent=False, digits=2)
                for lo, hi in zip(res["ci_low"], res["ci_high"], strict=True)
            ],
            "p с поправкой на число факторов": [_p_text(p) for p in res["p_adjusted"]],
            "Связь с другими факторами (VIF)": [fmt_number(v, 1) for v in res["vif"]],
        }
    )
    sec.table(
        details,
        name="factor_model_details",
        numeric=[
            "Коэффициент (логарифм шансов)",
            "Интервал",
            "p с поправкой на число факторов",
            "Связь с другими факторами (VIF)",
        ],
    )
    a = res.attrs
    sec.note(
        "Как читать: коэффициент — изменение логарифма шансов получить «2» при росте доли "
        "фактора от 0 до 1 (в таблице выше он переведён в процентные пункты и шансы); "
        "интервал — 95-процентный; p — вероятность получить такую связь случайно, "
        "умноженная по методу Холма на число проверенных факторов (меньше 0,05 — связь "
        "значима); VIF больше 5 — фактор трудно отделить от остальных. Модель: "
        f"биномиальная регрессия доли «2» по {a['n']} школам на все факторы сразу, "
        "робастные стандартные ошибки (оценка Уайта)."
    )
    if np.isfinite(a["dispersion"]) and a["dispersion"] > 1.5:
        sec.note(
            f"Школы различаются сильнее, чем допускает биномиальная модель (девианс на "
            f"степень свободы {fmt_number(a['dispersion'], 1)}): поэтому ошибки "
            "робастные — без этой поправки они были бы занижены, и значимыми оказались бы "
            "факторы, которые на деле с результатами не связаны."
        )
    return sec


def social_index_section(data: ReportData) -> Section:
    """The social well-being index: its weights, its spread by municipality, results against it.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = social_index_section(report_data(sample_folder("region"), 2024))
    >>> sorted(sec.tables)
    ['index_municipalities', 'index_weights']
    """
    from ..plots import plot_expected

    sec = Section(
        "Индекс социального благополучия школ",
        "Сводная оценка социального контекста школы: выше нуля — благоприятнее "
        "среднего по региону, ниже — менее благоприятный.",
    )
    try:
        si = region_social_index(data)
    except (DataError, ValueError) as exc:
        sec.note(f"Индекс не построен: {exc}")
        return sec
    w = si.weights.sort_values("weight", key=np.abs, ascending=False)
    sec.table(
        pd.DataFrame(
            {
                "Фактор": w["label"],
                "Вес": [fmt_number(v, 2) for v in w["weight"]],
                "Действие на индекс": np.where(w["sign"] > 0, "повышает", "понижает"),
                "Влияние на результаты (каталог)": w["expected_direction"].fillna("—"),
            }
        ),
        name="index_weights",
        numeric=["Вес"],
    )
    sec.note(
        f"Метод: первая главная компонента {len(w)} факторов, знак выбран так, что "
        "благоприятные факторы повышают индекс; она объясняет "
        f"{fmt_percent(si.explained)} их общего разброса. Школ: {si.n}."
    )
    c = data.classified
    t = si.table[["school_id", "index_z"]].merge(
        data.dataset.schools[["school_id", "municipality"]], on="school_id"
    )
    if c is not None and "unfavourable" in c.columns:
        t["unfavourable"] = t["school_id"].map(c["unfavourable"]).fillna(False).astype(bool)
    else:
        t["unfavourable"] = False
    by_muni = t.groupby("municipality").agg(
        schools=("school_id", "size"),
        mean=("index_z", "mean"),
        low=("index_z", "min"),
        high=("index_z", "max"),
        unfav=("unfavourable", "sum"),
    )
    sec.subtitle("По муниципалитетам")
    sec.table(
        pd.DataFrame(
            {
                "Муниципалитет": by_muni.index,
                "Школ": by_muni["schools"].astype(str).to_numpy(),
                "Средний индекс": [fmt_number(v, 2) for v in by_muni["mean"]],
                "От": [fmt_number(v, 2) for v in by_muni["low"]],
                "До": [fmt_number(v, 2) for v in by_muni["high"]],
                "В неблагоприятном контексте": by_muni["unfav"].astype(int).astype(str).to_numpy(),
            }
        ),
        name="index_municipalities",
        numeric=["Школ", "Средний индекс", "От", "До", "В неблагоприятном контексте"],
    )
    if c is not None and c["actual"].notna().sum() >= 3:
        sec.subtitle("Результаты и социальный контекст")
        plot = c.reset_index()[["school_id", "index_z", "actual", "status"]].dropna(
            subset=["index_z", "actual"]
        )
        shown = plot["status"].isin(["резильентная", "ШНОР"])
        plot["label"] = plot["school_id"].map(data.names).where(shown)
        ax = plot_expected(plot, "index_z", "actual", labels="label")
        ax.set_ylabel("результат школы (стандартизованный)")
        sec.figure(ax.figure)
        sec.text(
            "Точки выше линии — школы с результатами выше ожидаемых при их контексте, ниже "
            "линии — ниже ожидаемых. Подписаны резильентные школы и ШНОР, работающие в "
            "обычном контексте."
        )
    return sec


def _chance_text(observed: int, chance: dict) -> str:
    """Рособрнадзор's rule: schools meeting it beside those that would by chance."""
    mean, low, high = (fmt_number(chance[k], 0) for k in ("mean", "low", "high"))
    return (
        f"Правилу Рособрнадзора {plural(observed, 'отвечает', 'отвечают', 'отвечают')} "
        f"{observed} {plural(observed, 'школа', 'школы', 'школ')}; "
        "при одинаковой для всех школ доле «2» (как в регионе) случайно отвечали бы в "
        f"среднем {mean} (от {low} до {high} в девяти случаях из десяти)."
    )


def identification_summary(data: ReportData) -> Section:
    """Schools by status and comparison group, and the lists of the region with reasons.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = identification_summary(report_data(sample_folder("region"), 2024))
    >>> sec.tables["status_counts"].iloc[-1]["Статус"]
    'Всего'
    """
    sec = Section(
        "Выявление школ по региону",
        "Сколько школ в каждом списке по группам сравнения, и почему каждая школа в него вошла.",
    )
    c = data.classified
    if c is None:
        sec.note("Списки не составлены: " + getattr(data, "classify_error", ""))
        return sec
    c = c.assign(
        municipality=c.index.map(data.municipality_of), group=c["group"].fillna("не указана")
    )
    order = [s for s in STATUSES if s in set(c["status"])]
    counts = pd.crosstab(
        pd.Categorical(c["status"], categories=order),
        c["group"],
        margins=True,
        margins_name="Всего",
    )
    labels = [s or _NOT_LISTED for s in order] + ["Всего"]
    table = counts.astype(int).astype(str).reset_index(drop=True)
    table.insert(0, "Статус", labels)
    table.columns.name = None
    sec.table(
        table, name="status_counts", numeric=[col for col in table.columns if col != "Статус"]
    )
    by_muni = pd.crosstab(c["municipality"], pd.Categorical(c["status"], categories=order))
    by_muni.columns = [s or _NOT_LISTED for s in order]
    by_muni = by_muni.astype(str).reset_index().rename(columns={"municipality": "Муниципалитет"})
    sec.table(
        by_muni,
        name="status_municipalities",
        numeric=[col for col in by_muni.columns if col != "Муниципалитет"],
    )
    for status in [s for s in order if s]:
        part = c.loc[c["status"] == status]
        # by municipality and name, never by result: a list, not a league table
        part = part.assign(_name=[data.names[i] for i in part.index]).sort_values(
            ["municipality", "_name"], key=in_name_order
        )
        sec.subtitle(f"{status} ({len(part)})")
        sec.table(
            pd.DataFrame(
                {
                    "Школа": [data.names[s] for s in part.index],
                    "Муниципалитет": part["municipality"].to_numpy(),
                    "Группа": part["group"].to_numpy(),
                    "Причины": part["reasons"].to_numpy(),
                }
            ),
            name=f"list_{status}",
        )
    if (c["status"] == "").all():
        sec.text("Ни одна школа региона не вошла в списки.")
    chance = data.classified.attrs.get("rosobrnadzor_chance")
    if chance:
        sec.text(_chance_text(int(c["rosobrnadzor"].sum()), chance))
    rules = data.classified.attrs.get("rules", {})
    if rules:
        sec.note(
            f"Правила: низкие результаты — нижние {fmt_percent(rules['low_share'], 0)} "
            f"группы сравнения; устойчиво — не менее {rules['k']} из {rules['n']} лет; "
            "неблагоприятный контекст — нижние "
            f"{fmt_percent(rules['unfavourable_share'], 0)} школ по индексу; правило "
            f"Рособрнадзора — не менее {fmt_percent(rules['rosobrnadzor_share'], 0)} «2»."
        )
    return sec


def multilevel_section(data: ReportData) -> Section:
    """Pupils in schools (ВПР of the year): the share of the spread between schools and school effects.

    Two random-intercept models of the standardised ВПР score
    (:func:`vpr_pupil_scores`, :func:`edu_quality.multilevel`): without
    predictors (its intraclass correlation is the share of the spread that lies
    between schools) and with the school's social index (its school effects are
    the results against what the context predicts, shrunk towards zero for small
    schools).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> sec = multilevel_section(report_data(sample_folder("region"), 2024))
    >>> sec.tables["school_effects"].columns[0]
    'Школа'
    """
    from ..factors import multilevel
    from ..plots import plot_school_effects

    sec = Section(
        "Различия между школами (многоуровневая модель, ВПР)",
        "Какая часть различий в баллах ВПР приходится на школы, и какие школы пишут "
        "лучше или хуже ожидаемого при их социальном контексте.",
    )
    pupils = vpr_pupil_scores(data)
    if pupils["school_id"].nunique() < MIN_SCHOOLS:
        sec.note(f"Нужны баллы ВПР по ученикам хотя бы {MIN_SCHOOLS} школ за {data.year} год.")
        return sec
    try:
        index = region_social_index(data).table[["school_id", "index_z"]]
    except (DataError, ValueError):
        index = pd.DataFrame(columns=["school_id", "index_z"])
    pupils = pupils.merge(index, on="school_id", how="left")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            null = multilevel(pupils, "score_z")
            with_index = (
                multilevel(pupils, "score_z", school_factors=["index_z"])
                if pupils["index_z"].notna().any()
                else None
            )
        except (DataError, EduQualityError) as exc:
            sec.note(f"Модель не оценена: {exc}")
            return sec
    sec.text(
        f"Учеников: {null.n}, школ: {null.n_groups}. На различия между школами "
        f"приходится {fmt_percent(null.icc)} разброса баллов (внутриклассовая корреляция), "
        "остальное — различия между учениками одной школы."
    )
    model = null
    if with_index is not None and null.variance["tau00"] > 0:
        model = with_index
        explained = 1 - with_index.variance["tau00"] / null.variance["tau00"]
        row = with_index.fixed.set_index("term").loc["index_z"]
        sec.text(
            f"Социальный индекс объясняет {fmt_percent(max(explained, 0.0))} различий "
            f"между школами; рост индекса на 1 связан с изменением балла на "
            f"{fmt_number(row['coef'], 2)} "
            f"{fmt_interval(row['ci_low'], row['ci_high'], percent=False, digits=2)} "
            "стандартного отклонения."
        )
    adjusted = model is not null
    eff = model.school_effects.assign(name=lambda t: t["group"].map(data.names))
    lowest = eff.loc[eff["ci_high"] < 0].nsmallest(3, "effect")
    ax = plot_school_effects(eff, labels=dict(zip(lowest["group"], lowest["name"], strict=True)))
    ax.set_title(
        "Эффекты школ с 95-процентными интервалами"
        + (" (с учётом социального индекса)" if adjusted else "")
    )
    ax.set_ylabel("эффект школы, стандартных отклонений балла")
    sec.figure(ax.figure)
    shown = eff.loc[((eff["ci_low"] > 0) | (eff["ci_high"] < 0)) & (eff["n"] >= data.min_n)]
    # by municipality and name, never by effect: a list, not a league table
    shown = shown.assign(_muni=shown["group"].map(data.municipality_of)).sort_values(
        ["_muni", "name"], key=in_name_order
    )
    if len(shown):
        sec.table(
            pd.DataFrame(
                {
                    "Школа": shown["name"].to_numpy(),
                    "Муниципалитет": shown["group"].map(data.municipality_of).to_numpy(),
                    "Учеников": shown["n"].astype(str).to_numpy(),
                    "Эффект": [fmt_number(v, 2) for v in shown["effect"]],
                    "Интервал": [
                        fmt_interval(lo, hi, percent=False, digits=2)
                        for lo, hi in zip(shown["ci_low"], shown["ci_high"], strict=True)
                    ],
                    "Вывод": np.where(shown["effect"] > 0, "выше ", "ниже ")
                    + ("ожидаемого" if adjusted else "среднего"),
                }
            ),
            name="school_effects",
            numeric=["Учеников", "Эффект", "Интервал"],
        )
    else:
        sec.text(
            "Ни одна школа значимо не отличается от "
            + ("ожидаемого уровня." if adjusted else "среднего уровня.")
        )
    sec.note(
        "Баллы стандартизованы внутри каждого предмета и класса; каждая работа ученика — "
        "отдельное наблюдение. Эффект школы сжат к нулю тем сильнее, чем меньше в ней "
        "учеников: у малой школы случайные колебания велики. Модель: линейная смешанная "
        f"модель со случайным эффектом школы, {_OPTIMIZER_TEXT.get(model.optimizer, 'оценена')}."
    )
    return sec


def objectivity_region_section(data: ReportData, official_list: str | None = None) -> Section:
    """Federal signs per school and work over the region, our rule apart, the official list.

    See :func:`edu_quality.report.objectivity.objectivity_overview_section`.
    """
    from .objectivity import objectivity_overview_section

    return objectivity_overview_section(data, None, official_list)


#: How the optimiser that fitted the multilevel model is named on the page.
_OPTIMIZER_TEXT = {
    "lbfgs": "оценена квазиньютоновским методом с ограниченной памятью",
    "bfgs": "оценена квазиньютоновским методом",
    "powell": "оценена методом Пауэлла",
    "nm": "оценена методом Нелдера — Мида",
    "cg": "оценена методом сопряжённых градиентов",
}


def region_report(data: ReportData, official_list: str | None = None) -> Sections:
    """Every section of the region report, in order."""
    return Sections(
        [
            region_header(data),
            factor_influence_section(data),
            social_index_section(data),
            identification_summary(data),
            transitions_section(data),
            programme_effect_section(data),
            objectivity_region_section(data, official_list),
            multilevel_section(data),
            *region_pupil_sections(data),  # girls and boys, tasks: where the data allow
        ]
    )

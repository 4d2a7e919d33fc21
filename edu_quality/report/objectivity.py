"""Objectivity in the municipality and region reports: the federal signs per school and work.

:func:`objectivity_overview_section` shows, for the schools of a municipality
(or of the region), which federal signs fire on which work, the share of
marked schools beside the region's, our own stricter rule apart, and — when an
official list is given (``--official-list``) — the comparison with it
(:func:`edu_quality.objectivity.compare_with_list`). :func:`official_list_line`
is the school report's line about the list. A sign is a reason to check, never
a verdict; no mean or correlation of a school is shown here, only whether a
sign fires.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .._rows import iter_rows
from .._russian import in_name_order, name_order, plural
from ..exam_years import AUTUMN, SPRING
from ..fisoko.common import canonical_school_id
from ..io.official import read_official_list
from ..objectivity import FEDERAL_LABEL, MESSAGE_FLAGGED, TRIAGE_LABEL, compare_with_list
from ..objectivity import works_table as federal_works_table
from .data import ReportData
from .render import Section, fmt_number, fmt_percent

__all__ = [
    "NOT_REPRODUCED",
    "load_official_list",
    "objectivity_overview_section",
    "official_list_line",
    "sign_table",
]

#: The toolkit never claims to reproduce a list it was not given the inputs for.
NOT_REPRODUCED = (
    "Инструмент не воспроизводит официальный список: данные, по которым он составлен, "
    "сюда не переданы. Здесь показано только, какие признаки федеральной методики "
    "срабатывают по имеющимся данным."
)
#: Letters of the signs in the table, as the method lists them.
LETTERS = {
    "Завышенный средний балл": "а",
    "Несоответствие ВПР и отметок": "б",
    "Резкое изменение параллели": "в",
}
LEGEND = (
    "а — «завышенные значения среднего балла», б — «несоответствие результатов ВПР и "
    "школьных отметок», в — «резкое изменение результатов одной параллели» (4→5); «нет» — "
    "признаки оценены и не срабатывают; «—» — работу не писали или признак не оценивается."
)


@functools.lru_cache(maxsize=8)
def _read(path: str, mtime_ns: int, size: int) -> pd.DataFrame:
    return read_official_list(path)


def load_official_list(path: str | Path) -> pd.DataFrame:
    """:func:`edu_quality.io.read_official_list`, read once per version of the file."""
    st = Path(path).stat()
    return _read(str(Path(path).resolve()), st.st_mtime_ns, st.st_size).copy()


def _listed(data: ReportData, path: str | Path) -> pd.DataFrame:
    """The official list with ids as the dataset writes them (``edu…`` logins are ``sch…``)."""
    table = load_official_list(path)
    known = set(data.names)
    ids = table["school_id"]
    canon = canonical_school_id(ids)
    table["school_id"] = ids.where(ids.isin(known) | ~canon.isin(known), canon)
    return table


def sign_table(data: ReportData, ids: list[str]) -> pd.DataFrame:
    """Per school of ``ids`` (by name) and work: the letters of the federal signs that fire.

    Built from :func:`edu_quality.objectivity.works_table` of the report year;
    columns «Школа», the works («4 РУ», «4 МА», «5 РУ», «5 МА»…), «Итог».
    """
    wide, split, works, flagged, evaluated = data.memo("federal_signs", lambda: _signs(data))
    rows = []
    for sid in sorted(ids, key=lambda i: name_order(data.names[i])):  # by name, never by result
        row = {"Школа": str(data.names[sid])}
        mine = wide.get(sid)
        for work in works:
            cells = [
                (LETTERS[s], mine[c]) if mine is not None else ("", "—")
                for c, s, w in split
                if w == work
            ]
            fired = [letter for letter, v in cells if v == "да"]
            judged = any(v != "—" for _, v in cells)
            row[work] = ", ".join(fired) if fired else ("нет" if judged else "—")
        if not evaluated.get(sid, False):
            row["Итог"] = "не оценивалась"
        else:
            row["Итог"] = MESSAGE_FLAGGED if flagged.get(sid, False) else "признаки не срабатывают"
        rows.append(row)
    return pd.DataFrame(rows)


def _signs(data: ReportData) -> tuple:
    """The federal signs of the year's works per school: what :func:`sign_table` reads."""
    oi = data.objectivity
    wide = federal_works_table(oi, year=data.year).set_index("ОО")
    split = [(c, *c.split(": ", 1)) for c in wide.columns if ": " in c]
    works = list(dict.fromkeys(w for _, _, w in sorted(split, key=lambda t: _work_order(t[2]))))
    o = oi.schools.loc[oi.schools["year"] == data.year].groupby("school_id")
    flagged, evaluated = o["flagged"].any(), o["evaluated"].any()
    # a school's cells by column (one row per school: the table is of one year)
    by_school = {
        sid: dict(zip(wide.columns, values, strict=True))
        for sid, values in zip(wide.index, wide.to_numpy(dtype=object).tolist(), strict=True)
    }
    return by_school, split, works, flagged, evaluated


def _work_order(work: str) -> tuple:
    """ВПР 4, ВПР 5, ОГЭ, then the cohort pairs; Russian before mathematics."""
    kind = 2 if "→" in work else (1 if work.startswith("ОГЭ") else 0)
    return (kind, work.replace("РУ", "0").replace("МА", "1"))


def _shares(data: ReportData, ids: list[str] | None) -> list[str]:
    """The share of marked schools (of ``ids``) beside the region's, per campaign of the year."""
    oi = data.objectivity
    s = oi.schools.loc[(oi.schools["year"] == data.year) & oi.schools["evaluated"]]
    lines = []
    for r in iter_rows(oi.region.loc[oi.region["year"] == data.year]):
        campaign = "" if r.session == SPRING else f" ({r.session})"
        region = (
            f"по региону {int(r.n_flagged)} из {int(r.n_schools)} "
            f"({fmt_percent(r.share_flagged / 100)}; индекс объективности {fmt_number(r.index)})"
        )
        if ids is None:
            lines.append(f"Отмечено школ{campaign}: {region}.")
            continue
        mine = s.loc[(s["session"] == r.session) & s["school_id"].isin(ids)]
        n, k = len(mine), int(mine["flagged"].sum())
        share = f" ({fmt_percent(k / n)})" if n else ""
        lines.append(
            f"Отмечено школ{campaign}: в муниципалитете {k} из {n}{share}; рядом — {region}."
        )
    return lines


def _triage_lines(data: ReportData, ids: list[str] | None) -> list[str]:
    """Our stricter rule, apart from the federal index."""
    tri = data.objectivity_triage
    if tri is None:
        return ["Не рассчитано по этим данным."]
    t = tri.schools.loc[(tri.schools["year"] == data.year) & tri.schools["evaluated"]]
    if ids is not None:
        t = t.loc[t["school_id"].isin(ids)]
    marked = sorted(
        {str(data.names.get(i, i)) for i in t.loc[t["flagged"], "school_id"]}, key=name_order
    )
    n = t["school_id"].nunique()
    text = (
        f"По правилу edu_quality (совпадение не менее двух признаков, интервалы Стьюдента, "
        f"значимая отрицательная корреляция, не меньше 5 участников работы) отмечено школ: "
        f"{len(marked)} из {n}"
    )
    return [text + (": " + ", ".join(marked) + "." if marked else ".")]


def _marker_lines(data: ReportData, ids: list[str] | None) -> list[str]:
    """Our markers of the score distribution (:attr:`ReportData.markers`), school by school."""
    m = data.markers
    if ids is not None:
        m = m.loc[m["school_id"].isin(ids)]
    if m.empty:
        return [
            "Распределение баллов (избыток у границ отметок, итоговый балл больше суммы "
            "баллов за задания): признаков не выявлено."
        ]
    autumn = m["session"].eq(AUTUMN).map({True: " (осень)", False: ""})
    m = m.assign(
        _name=[str(data.names.get(i, i)) for i in m["school_id"]],
        _work=m["subject"].astype(str) + ", " + m["grade"].astype(str) + " кл." + autumn,
    ).sort_values(["_name", "_work"], key=in_name_order)  # by name, never by result
    return [
        f"{name}: " + "; ".join(f"{w} — {d}" for w, d in zip(g["_work"], g["detail"], strict=True))
        for name, g in m.groupby("_name", sort=False)
    ]


def _comparison(sec: Section, data: ReportData, path: str | Path, ids: list[str] | None) -> None:
    """The comparison with an official list: precision, recall, every listed school."""
    listed = _listed(data, path)
    unknown = sorted(set(listed["school_id"]) - set(data.names))
    if ids is not None:
        listed = listed.loc[listed["school_id"].isin(ids)]
    sec.subtitle(f"Сравнение с официальным списком ({Path(path).name})")
    sec.note(NOT_REPRODUCED)
    if unknown and ids is None:
        sec.text(
            f"В списке {len(unknown)} {plural(len(unknown), 'код', 'кода', 'кодов')} ОО, "
            "которых нет в реестре: " + ", ".join(unknown[:20]) + ("…" if len(unknown) > 20 else "")
        )
    if listed.empty:
        sec.text("Ни одной школы муниципалитета в официальном списке нет.")
    oi = data.objectivity
    if ids is not None:
        oi = replace(
            oi,
            schools=oi.schools.loc[oi.schools["school_id"].isin(ids)],
            works=oi.works.loc[oi.works["school_id"].isin(ids)],
        )
    cmp = compare_with_list(oi, listed.drop(columns="row"), year=data.year)
    sec.table(
        pd.DataFrame(
            {
                "Уровень": cmp.summary["level"],
                "В списке": cmp.summary["n_official"].astype(str),
                "Из них оценено здесь": cmp.summary["n_judged"].astype(str),
                "Отмечено здесь": cmp.summary["n_ours"].astype(str),
                "Совпало": cmp.summary["n_both"].astype(str),
                "Точность": [_ratio(v) for v in cmp.summary["precision"]],
                "Полнота": [_ratio(v) for v in cmp.summary["recall"]],
            }
        ),
        name="official_summary",
        numeric=["В списке", "Из них оценено здесь", "Отмечено здесь", "Совпало"],
    )
    sec.text(
        "Точность — доля отмеченных здесь школ, которые есть в списке; полнота — доля "
        "школ списка (из оценённых здесь), которые отмечены здесь. " + cmp.note
    )
    mine = cmp.schools.loc[cmp.schools["in_official"]]
    if len(mine):
        sec.table(
            pd.DataFrame(
                {
                    "Школа": [str(data.names.get(i, i)) for i in mine["school_id"]],
                    "Работы в списке": mine["official_works"].replace("", "—"),
                    "Признаки по данным": mine["signs"].replace("", "ни один не срабатывает"),
                    "Итог": mine["status"],
                }
            )
            .sort_values("Школа", kind="stable")
            .reset_index(drop=True),
            name="official_schools",
        )


def _ratio(v: float) -> str:
    return "—" if pd.isna(v) else fmt_percent(v)


def objectivity_overview_section(
    data: ReportData, municipality: str | None = None, official_list: str | Path | None = None
) -> Section:
    """Federal signs per school and work, shares, our rule apart, and the official list.

    Parameters
    ----------
    data : ReportData
    municipality : str, optional
        The municipality; the whole region when None.
    official_list : str or Path, optional
        An official list of marked schools (:func:`edu_quality.io.read_official_list`);
        empty or None: no comparison.
    """
    ids = None if municipality is None else data.schools_of(municipality)
    sec = Section(
        "Объективность оценивания: признаки федеральной методики",
        f"{FEDERAL_LABEL} «Уровень объективности оценки образовательных результатов в "
        "субъекте Российской Федерации»: школа отмечается, если срабатывает хотя бы один "
        f"признак. Отметка означает «{MESSAGE_FLAGGED}» — это не вывод о необъективности.",
    )
    if data.objectivity is None:
        sec.note("Признаки не рассчитаны: нет результатов ВПР с отметками по журналу.")
        return sec
    table = sign_table(data, ids if ids is not None else sorted(data.names))
    sec.table(table, name="objectivity_signs")
    sec.note(LEGEND)
    sec.note(
        f"Признаки (а) и (б) по методике считаются уже от 2 участников работы; средние и "
        f"корреляции школ здесь не показываются (для групп меньше {data.min_n} участников "
        "они не показываются нигде) — только срабатывает ли признак."
    )
    if data.max_score_note:
        sec.note(data.max_score_note)
    sec.items(_shares(data, ids))
    sec.subtitle(TRIAGE_LABEL)
    sec.items(_triage_lines(data, ids))
    sec.items(_marker_lines(data, ids))
    sec.text("Это наши правила, а не федеральный индекс: в индекс объективности они не входят.")
    if official_list:
        _comparison(sec, data, official_list, ids)
    return sec


def official_list_line(data: ReportData, school_id: str, official_list: str | Path) -> str | None:
    """The school report's line when the school is on the official list (None when it is not)."""
    listed = _listed(data, official_list)
    mine = listed.loc[listed["school_id"] == school_id]
    if mine.empty:
        return None
    works = ", ".join(w for w in mine["work"].dropna())
    line = "Школа входит в официальный список ОО с признаками необъективности"
    line += f" (работы: {works})." if works else "."
    oi = data.objectivity
    if oi is not None:
        cmp = compare_with_list(oi, mine.drop(columns="row"), year=data.year)
        status = cmp.schools.set_index("school_id").loc[school_id, "status"]
        line += " По имеющимся данным: " + status.removeprefix("в официальном списке; ") + "."
    return line + " " + NOT_REPRODUCED

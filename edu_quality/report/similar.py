"""The school report's «Школы в похожих условиях» and «С кем обменяться опытом».

The family of a school (:func:`edu_quality.similar.similar_schools`) and, for a
ШНОР, its partner schools (:func:`edu_quality.similar.partner_schools`). Families
are for comparison and support, never a ranking: the family is listed by
municipality and name; partners come nearest first (the school's own
municipality first). A school with fewer than ``min_n`` participants in the year
shows no result. The families are computed once per :class:`ReportData` and kept on disk
(:mod:`edu_quality.report.table_cache`).
"""

from __future__ import annotations

import html

import pandas as pd

from .._russian import decimal, name_order, plural
from ..errors import DataError
from ..similar import family_results, partner_schools, similar_schools
from .data import ReportData
from .render import Section, display_table

__all__ = ["partner_names", "partners_section", "similar_section"]


def _empty(text: str) -> Section:
    """One line, no heading (as the other empty sections of the school report)."""
    sec = Section("")
    sec.blocks.append(f'<p class="eq-empty">{html.escape(text)}</p>')
    return sec


def _families(data: ReportData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | str:
    """(families, results, partners) of the report year, or why there are none."""

    def make() -> tuple | str:
        c = data.classified
        if c is None:
            return "нет статусов школ за год"
        try:
            f = similar_schools(data.dataset, data.year, min_n=data.min_n)
            res = family_results(f, c).set_index("school_id")
            p = partner_schools(data.dataset, data.year, families=f, classified=c)
            return (f, res, p)
        except (DataError, ValueError) as exc:
            return str(exc)

    return data.memo("similar_families", make, disk=True)


def partner_names(data: ReportData, school_id: str, *, most: int = 3) -> list[str]:
    """«Name (municipality)» of the first ``most`` partners of a ШНОР, nearest first; [] if none.

    The partners of :func:`partners_section` (those large enough to show their
    result), for the first screen's «Что делать».
    """
    fam = _families(data)
    if isinstance(fam, str):
        return []
    _, res, p = fam
    mine = data.rows_of(p)(school_id)
    mine = mine.loc[mine["partner_id"].map(res["participants"]).fillna(0) >= data.min_n]
    return [
        f"{data.names.get(s, s)} ({data.municipality_of.get(s, '')})".replace(" ()", "")
        for s in mine["partner_id"].head(most)
    ]


def _signed(v: float) -> str:
    text = decimal(v, 2)
    return text if text.startswith("\u2212") or text == "0,00" else "+" + text


def _with_interval(v: float, lo: float, hi: float) -> str:
    if pd.isna(v):
        return "—"
    return f"{_signed(v)} [{_signed(lo)}; {_signed(hi)}]"


def _result_cells(data: ReportData) -> dict[str, tuple[str, str]]:
    """Each school's (result, result against expectation) cells, for the family tables."""

    def make() -> dict[str, tuple[str, str]]:
        res = _families(data)[1]
        hidden = f"скрыто (меньше {data.min_n} участников)"
        cols = ["participants", "actual", "actual_low", "actual_high"]
        cols += ["adjusted", "adjusted_low", "adjusted_high"]
        cells = {}
        for sid, (n, *r) in zip(res.index, res[cols].to_numpy(dtype=object).tolist(), strict=True):
            if pd.isna(n) or n < data.min_n:
                cells.setdefault(sid, (hidden, hidden))
            else:
                cells.setdefault(sid, (_with_interval(*r[:3]), _with_interval(*r[3:])))
        return cells

    return data.memo("similar_cells", make)


def _by_municipality_and_name(row: tuple) -> tuple:
    """Sort key of a family row: municipality, then name; a missing one last (as pandas)."""
    return tuple((0, name_order(v)) if isinstance(v, str) else (1, ()) for v in (row[1], row[0]))


def similar_section(data: ReportData, school_id: str) -> Section:
    """«Школы в похожих условиях»: the family's results beside the school's, with intervals."""
    fam = _families(data)
    if isinstance(fam, str):
        return _empty(f"Школы в похожих условиях: не подобраны ({fam}).")
    f, res, _ = fam
    mine = data.rows_of(f)(school_id)
    if mine.empty:
        return _empty("Школы в похожих условиях: у школы нет результатов за год.")
    # a neighbour too small to show its result compares nothing: left out, counted
    small = mine["neighbour_id"].map(res["participants"]).fillna(0) < data.min_n
    n_small = int(small.sum())
    mine = mine.loc[~small]
    n = len(mine)
    sec = Section(
        f"Школы в похожих условиях: результаты {data.year} года",
        f"{n} {plural(n, 'школа', 'школы', 'школ')} региона, чьи условия ближе всего к "
        "условиям школы: социальный контекст, размер, тип местности, группа сравнения, "
        "прошлые результаты. Это не рейтинг: школы перечислены по муниципалитету и названию — "
        "для сравнения и поддержки.",
    )
    cells = _result_cells(data)
    rows = [
        (
            data.names.get(sid, sid),
            data.municipality_of.get(sid, ""),
            *cells.get(sid, ("—", "—")),
            why,
        )
        for sid, why in [
            (school_id, "эта школа"),
            *zip(mine["neighbour_id"], mine["similar_in"], strict=True),
        ]
    ]
    rows[1:] = sorted(rows[1:], key=_by_municipality_and_name)
    basis = res["basis"].reindex([school_id, *mine["neighbour_id"]]).dropna()
    # without social factors the expectation is the family's own result: said so in the header
    versus = (
        "Относительно похожих школ"
        if len(basis) and (basis == "похожие школы").all()
        else "Относительно ожидаемого"
    )
    table = display_table(rows, ("Школа", "Муниципалитет", "Результат", versus, "Чем похожа"))
    sec.table(table, name="similar_schools", numeric=["Результат", versus])
    if n_small:
        sec.note(
            f"Ещё {n_small} {plural(n_small, 'похожая школа', 'похожие школы', 'похожих школ')} "
            f"не {plural(n_small, 'показана', 'показаны', 'показаны')}: меньше {data.min_n} "
            "участников, их результат скрыт."
        )
    sec.note(
        "Результат — составной (средний стандартизованный балл работ года, 0 — средний по "
        f"региону) с 95-процентным интервалом. «{versus}»: "
        + (
            "с учётом социального контекста"
            if (basis == "социальный контекст").all()
            else "разность с результатом похожих школ (социальных факторов в данных нет)"
            if (basis == "похожие школы").all()
            else "с учётом социального контекста, а где его нет — относительно похожих школ"
        )
        + f". Признаки сходства: {f.attrs.get('context_source') or 'без контекста'}; "
        f"{f.attrs.get('size_source', '')}; прошлые результаты — "
        f"{f.attrs.get('prior_source') or 'нет'}".rstrip(".")
        + "."
    )
    return sec


def partners_section(data: ReportData, school_id: str) -> Section:
    """«С кем обменяться опытом»: partner schools of a ШНОР, nearest first."""
    fam = _families(data)
    if isinstance(fam, str):
        return _empty(f"С кем обменяться опытом: партнёры не подобраны ({fam}).")
    _, res, p = fam
    status = res["status"].get(school_id, "")
    if status not in ("ШНОР", "ШНОР и ШНСУ"):
        return _empty(
            "С кем обменяться опытом: партнёров подбирают школам из списка ШНОР; "
            "школа в него не входит."
        )
    mine = data.rows_of(p)(school_id)
    # a partner too small to show its result is not offered
    mine = mine.loc[mine["partner_id"].map(res["participants"]).fillna(0) >= data.min_n]
    if mine.empty:
        return _empty(
            "С кем обменяться опытом: среди школ в похожих условиях нет школы с результатом "
            "уверенно выше ожидаемого."
        )
    sec = Section(
        f"С кем обменяться опытом: по результатам {data.year} года",
        "Школы в похожих условиях, чей результат выше ожидаемого вместе со всем "
        "95-процентным интервалом: их опыт можно перенять. Сначала школы своего "
        "муниципалитета, затем других (географии соседства в данных нет), ближайшие по "
        "условиям — первыми.",
    )
    table = pd.DataFrame(
        {
            "Школа": [data.names.get(s, s) for s in mine["partner_id"]],
            "Муниципалитет": mine["partner_municipality"].tolist(),
            "Выше ожидаемого на": [
                _with_interval(v, lo, hi)
                for v, lo, hi in zip(
                    mine["adjusted"], mine["adjusted_low"], mine["adjusted_high"], strict=True
                )
            ],
            "Чем похожа": mine["similar_in"].tolist(),
        }
    )
    sec.table(table, name="partner_schools", numeric=["Выше ожидаемого на"])
    autumn_only = mine["note"].fillna("").astype(bool) if "note" in mine.columns else []
    if any(autumn_only):
        names = [data.names.get(s, s) for s in mine.loc[autumn_only, "partner_id"]]
        sec.note(
            "Правило Рособрнадзора (доля «2» от 30 % в двух работах) здесь учтено по весенним "
            "работам; по осенним работам ему соответствуют: " + ", ".join(names) + ". "
            "Осенью доля «2» от 30 % была частой во многих школах, поэтому такие школы "
            "не исключены, но перед обменом опытом уточните объективность их результатов."
        )
    return sec

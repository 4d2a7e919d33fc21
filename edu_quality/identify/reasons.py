"""The reasons behind a school's status, in Russian, with the numbers.

:func:`school_reasons` words every criterion that :func:`~edu_quality.identify.classify`
found met or could not judge: low results within the group, Рособрнадзор's rule, the
social context and the context-adjusted result, a decline, the closeness to the
threshold.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._russian import decimal
from ..rosobrnadzor import percent

__all__ = ["REASON_COLUMNS", "school_reasons"]

#: The columns of :func:`~edu_quality.identify.classify`'s table that :func:`school_reasons` reads.
REASON_COLUMNS = (
    "group",
    "composite",
    "compared_with",
    "stably_low",
    "low_years",
    "low",
    "borderline_low",
    "borderline_near",
    "rosobrnadzor",
    "rosobrnadzor_reason",
    "rosobrnadzor_note",
    "unfavourable",
    "index_z",
    "adjusted",
    "adjusted_low",
    "adjusted_high",
    "decline",
    "decline_reason",
    "near_low",
)


def _fmt(v: float) -> str:
    """A signed number with two decimals: «+0,39», «−1,83», «0,00» (never «−0,00»)."""
    text = decimal(v, 2)
    return text if text.startswith("\u2212") or float(text.replace(",", ".")) == 0 else "+" + text


def school_reasons(
    r,
    k: int,
    n: int,
    years: Sequence[int],
    low_share: float,
    near_share: float,
    unfavourable_share: float,
) -> str:
    """The reasons of one school's status: Russian sentences with the numbers, joined by «; ».

    ``r`` is a row of the table :func:`~edu_quality.identify.classify` builds
    (a named tuple of at least :data:`REASON_COLUMNS`); the other parameters are
    its rules.
    """
    out = []
    cmp = f"группой «{r.group}»"
    if pd.isna(r.composite):
        out.append(
            "составной результат за год не вычислен (в процедурах школы нет различий "
            "между школами): низкие результаты не оцениваются"
        )
    elif not r.compared_with:
        out.append(
            f"в группе «{r.group}» меньше школ, чем нужно для сравнения: "
            "низкие результаты внутри группы не оцениваются"
        )
    if r.stably_low:
        out.append(
            f"низкие результаты в {len(r.low_years)} из {len(years)} последних лет "
            f"({', '.join(map(str, r.low_years))}): в нижних {percent(low_share)} группы "
            f"(правило edu_quality) в сравнении с {cmp} (правило: не менее {k} из {n})"
        )
    elif r.low:
        out.append(
            f"в {years[-1]} году в нижних {percent(low_share)} группы (правило edu_quality) "
            f"в сравнении с {cmp}, но не устойчиво (низкие годы: {len(r.low_years)} из "
            f"{len(years)})"
        )
    if r.borderline_low:
        out.append(
            f"на границе: интервал составного результата пересекает порог нижних "
            f"{percent(low_share)} группы"
        )
    if r.rosobrnadzor:
        out.append("правило Рособрнадзора: " + r.rosobrnadzor_reason)
    if isinstance(r.rosobrnadzor_note, str):
        out.append(r.rosobrnadzor_note)
    if r.unfavourable:
        out.append(
            f"неблагоприятный социальный контекст: индекс социального благополучия "
            f"{_fmt(r.index_z)} (нижние {percent(unfavourable_share)} школ)"
        )
    if pd.isna(r.index_z):
        out.append(
            "нет данных о социальном контексте: принадлежность к ШНСУ и результат с "
            "учётом контекста не определяются"
        )
    if pd.notna(r.adjusted):
        side = "выше" if r.adjusted_low > 0 else "ниже" if r.adjusted_high < 0 else "в пределах"
        out.append(
            f"результат с учётом контекста {_fmt(r.adjusted)} (95-процентный интервал от "
            f"{_fmt(r.adjusted_low)} до {_fmt(r.adjusted_high)}): {side} ожидаемого"
        )
    if r.decline:
        out.append("значимое ухудшение: " + r.decline_reason)
    if r.near_low and not r.stably_low:
        out.append(
            f"результат близок к порогу низких результатов (нижние {percent(near_share)} группы)"
        )
    if r.borderline_near and not r.borderline_low:
        out.append(
            f"на границе: интервал составного результата пересекает порог нижних "
            f"{percent(near_share)} группы"
        )
    if r.rosobrnadzor and r.unfavourable and r.adjusted_low > 0:
        out.append(
            "результат выше ожидаемого при таком контексте, но школа отвечает правилу "
            "Рособрнадзора: не резильентная"
        )
    return "; ".join(out)

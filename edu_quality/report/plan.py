"""The «500+» plan of measures in order: by track, then by deadline.

Deadlines in municipal plans are free text («до 30.09.2024», «декабрь 2024, май
2025», «Сентябрь-октябрь», «в течение учебного года»); :func:`deadline_key`
reads the first date or month in them, so :func:`plan_order` can list the
measures by track and, within a track, by when they fall due.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd

__all__ = ["TRACKS", "deadline_key", "plan_order", "plan_table"]

#: The three tracks of the «500+» plan of measures.
TRACKS = {
    "1": "адресная поддержка ШНОР",
    "2": "школы в зоне риска снижения результатов",
    "3": "профилактика учебной неуспешности",
}
_MONTHS = (
    "январ",
    "феврал",
    "март",
    "апрел",
    "ма[йя]",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
)
_MONTH_RE = re.compile(r"\b(" + "|".join(_MONTHS) + r")", re.IGNORECASE)
_DATE_RE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b")
_YEAR_RE = re.compile(r"\b(20\d\d)\b")


def deadline_key(text: object) -> tuple[int, int]:
    """A sort key of a free-text deadline: dated first, then months, then standing measures.

    «до 30.09.2024» and «декабрь 2024, май 2025» sort by their first date; a month
    without a year («Сентябрь-октябрь») by its place in the school year
    (September first); «в течение учебного года», «ежеквартально», «по плану» last.

    Examples
    --------
    >>> sorted(["в течение года", "март–май 2025", "до 30.09.2024", "октябрь"], key=deadline_key)
    ['до 30.09.2024', 'март–май 2025', 'октябрь', 'в течение года']
    """
    s = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
    d = _DATE_RE.search(s)
    if d:
        day, month, year = (int(g) for g in d.groups())
        try:
            return (0, date(year, month, day).toordinal())
        except ValueError:
            pass
    m = _MONTH_RE.search(s)
    if m:
        month = next(i for i, p in enumerate(_MONTHS, 1) if re.fullmatch(p, m.group(1).lower()))
        y = _YEAR_RE.search(s[m.start() :])
        if y:
            return (0, date(int(y.group(1)), month, 1).toordinal())
        return (1, (month - 9) % 12)  # September opens the school year
    return (2, 0)


def plan_order(plan: pd.DataFrame) -> pd.DataFrame:
    """The plan sorted by track, then by deadline (:func:`deadline_key`); ties keep file order.

    Examples
    --------
    >>> p = pd.DataFrame({"track": ["3", "1", "1"], "measure": ["В", "Б", "А"],
    ...                   "deadline": ["май 2025", "в течение года", "до 01.10.2024"]})
    >>> plan_order(p)["measure"].tolist()
    ['А', 'Б', 'В']
    """
    if plan.empty:
        return plan
    track = plan["track"].astype(str).str.strip()
    num = pd.to_numeric(track, errors="coerce").fillna(np.inf)
    keys = [deadline_key(v) for v in plan["deadline"]]
    order = pd.DataFrame(
        {
            "num": num.to_numpy(),
            "track": track.to_numpy(),
            "kind": [k[0] for k in keys],
            "when": [k[1] for k in keys],
            "pos": np.arange(len(plan)),
        }
    ).sort_values(["num", "track", "kind", "when", "pos"])
    return plan.iloc[order["pos"].to_numpy()].reset_index(drop=True)


def plan_table(measures: pd.DataFrame) -> pd.DataFrame:
    """Measures of a plan as a report shows them: measure, deadline, responsible, result.

    Examples
    --------
    >>> plan_table(pd.DataFrame({"measure": ["Анализ ВПР"], "deadline": ["до 30.09.2024"],
    ...                          "responsible": [None], "expected_result": ["список ШНОР"]}))
    ... # doctest: +NORMALIZE_WHITESPACE
      Мероприятие           Срок Ответственный Ожидаемый результат
    0  Анализ ВПР  до 30.09.2024                        список ШНОР
    """
    return pd.DataFrame(
        {
            "Мероприятие": measures["measure"].fillna(""),
            "Срок": measures["deadline"].fillna(""),
            "Ответственный": measures["responsible"].fillna(""),
            "Ожидаемый результат": measures["expected_result"].fillna(""),
        }
    ).reset_index(drop=True)

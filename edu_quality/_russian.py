"""Russian wording shared by messages, pages and charts: plural forms and numbers.

One home for how a number is written in Russian: the decimal comma, the minus sign
«−» (U+2212, not the hyphen), a non-breaking space before «%», and never «−0,0».
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "decimal",
    "did_you_mean",
    "in_name_order",
    "name_order",
    "percent",
    "plural",
    "rows_label",
    "school_year",
    "sentence",
]


def decimal(value: object, digits: int = 1) -> str:
    """``value`` with ``digits`` decimals, a decimal comma and the minus sign; «—» if missing.

    Examples
    --------
    >>> decimal(12.345), decimal(-0.5), decimal(-0.04), decimal(6, 1), decimal(None)
    ('12,3', '−0,5', '0,0', '6,0', '—')
    """
    if value is None:
        return "—"
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "—"
    if math.isnan(v):
        return "—"
    text = f"{v:.{digits}f}"
    if text.startswith("-") and float(text) == 0:  # −0,04 rounds to «−0,0»: it is zero
        text = text[1:]
    return text.replace(".", ",").replace("-", "\u2212")


def percent(share: object, digits: int = 1) -> str:
    """A share as a percentage: 0.625 → «62,5 %» (a non-breaking space); «—» if missing.

    Examples
    --------
    >>> percent(0.625) == "62,5\u00a0%", percent(-0.026) == "\u22122,6\u00a0%"
    (True, True)
    """
    text = decimal(None if share is None else float(share) * 100, digits)
    return text if text == "—" else text + "\u00a0%"


def plural(n: int, one: str, few: str, many: str) -> str:
    """The form of a word that agrees with the number ``n``.

    Russian takes the «one» form after 1, 21, 31…, the «few» form after 2–4, 22–24…
    and the «many» form otherwise (5–20, 25–30…, and 11–14).

    Examples
    --------
    >>> [f"{n} {plural(n, 'строка', 'строки', 'строк')}" for n in (1, 3, 11, 21, 42, 132)]
    ['1 строка', '3 строки', '11 строк', '21 строка', '42 строки', '132 строки']
    >>> f"в 1 {plural(1, 'файле', 'файлах', 'файлах')}"
    'в 1 файле'
    """
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def rows_label(n: int) -> str:
    """«1 строка», «3 строки», «42 строки», «132 строки», «5 строк».

    Examples
    --------
    >>> rows_label(2), rows_label(11), rows_label(21)
    ('2 строки', '11 строк', '21 строка')
    """
    return f"{n} {plural(n, 'строка', 'строки', 'строк')}"


def school_year(year: int) -> str:
    """The school year that ends in ``year``, as a reader writes it.

    Examples
    --------
    >>> school_year(2024)
    '2023/2024'
    """
    return f"{int(year) - 1}/{int(year)}"


def did_you_mean(value: object, known: Iterable[object], *, similar: bool = True) -> str:
    """A hint for a name or an id that is not among ``known``; empty when nothing is near.

    An id of digits that Excel shortened (its leading zeros dropped: 1016 for
    01016) is named as such; otherwise the nearest names by
    :func:`difflib.get_close_matches` (case and «ё» ignored), or the one name
    that contains ``value`` («Заречный» for «г. Заречный»). ``similar=False``
    gives the leading-zeros hint only (codes in a data file, where a code one
    digit away is another school).

    Examples
    --------
    >>> did_you_mean("Заречный", ["г. Заречный", "Северный район"])
    'возможно, вы имели в виду «г. Заречный»?'
    >>> did_you_mean("1016", ["01016", "01017"])
    'возможно, Excel убрал ведущие нули: 01016?'
    >>> did_you_mean("Москва", ["г. Заречный"])
    ''
    >>> did_you_mean("01004", ["01001"], similar=False)
    ''
    """
    text = str(value).strip()
    names = sorted({str(k) for k in known})
    if text.isdigit():
        padded = [
            k
            for k in names
            if k.isdigit() and len(k) > len(text) and k.lstrip("0") == text.lstrip("0")
        ]
        if padded:
            return f"возможно, Excel убрал ведущие нули: {padded[0]}?"
    if not similar:
        return ""

    def key(s: str) -> str:
        return " ".join(s.lower().replace("ё", "е").split())

    folded = {key(k): k for k in names}
    near = [folded[k] for k in difflib.get_close_matches(key(text), list(folded), n=2, cutoff=0.75)]
    if not near and len(key(text)) >= 3:
        near = [k for f, k in folded.items() if key(text) in f][:2]
    if not near:
        return ""
    return "возможно, вы имели в виду " + " или ".join(f"«{k}»" for k in near) + "?"


def name_order(name: object) -> tuple:
    """Sort key of a name as a reader orders a list: numbers by value, letters case-blind.

    Examples
    --------
    >>> sorted(["СОШ № 10", "сош № 3", "СОШ № 2", "Гимназия"], key=name_order)
    ['Гимназия', 'СОШ № 2', 'сош № 3', 'СОШ № 10']
    >>> sorted([None, "СОШ № 1²", "СОШ № 1"], key=name_order)
    ['СОШ № 1', 'СОШ № 1²', None]
    """
    if not isinstance(name, str):  # a missing name last
        return ((2, 0, ""),)
    parts = re.split(r"([0-9]+)", name.replace("ё", "е").replace("Ё", "Е").casefold())
    # the odd parts are the runs of digits (ASCII: «²» is no number to sort by)
    return tuple((0, int(p), "") if i % 2 else (1, 0, p) for i, p in enumerate(parts) if p)


def in_name_order(names: pd.Series) -> pd.Series:
    """:func:`name_order` of every name: the ``key`` of ``DataFrame.sort_values``."""
    return names.map(name_order)


def sentence(text: str) -> str:
    """``text`` with its first letter capitalised when it is a lower-case Cyrillic letter.

    Notes, paragraphs and list items of a page are sentences; reasons and parts of
    messages are written lower-case to be joined into other sentences, and become
    sentences of their own here. Text starting otherwise (a digit, a quote, Latin
    identifiers such as «edu_quality») is left as it is, and so is a place's name
    after its lower-case abbreviation («г. Заречный», «пгт Тальменка»).

    Examples
    --------
    >>> sentence("на границе: интервал пересекает порог"), sentence("edu_quality"), sentence("")
    ('На границе: интервал пересекает порог', 'edu_quality', '')
    >>> sentence("г. Бийск: 12 школ")
    'г. Бийск: 12 школ'
    """
    if _PLACE.match(text):
        return text
    if text and "а" <= text[0] <= "я" or text[:1] == "ё":
        return text[0].upper() + text[1:]
    return text


#: A place's name after the lower-case abbreviation of its kind (г., с., пгт, р. п. …).
_PLACE = re.compile(r"(?:(?:г|с|п|д|х|ст|пос|дер|р\. ?п)\.|пгт\.?|рп\.?|ст-ца) ?[А-ЯЁ]")

"""Russian wording shared by messages and pages: the plural form that goes with a number."""

from __future__ import annotations

__all__ = ["plural"]


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

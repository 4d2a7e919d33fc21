"""Which of a file's headers name which columns, and which name people (never loaded).

:func:`match_columns` maps the positions of a file's headers to the canonical
columns of a :class:`~edu_quality.schema.columns.TableSpec`; a header of pupil
names (:data:`NAME_HEADERS`, :func:`is_name_header`) is never mapped to a column,
so that names are dropped at load.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .columns import TableSpec, normalize_header

__all__ = ["NAME_HEADERS", "is_name_header", "match_columns"]

#: Column headers of pupil names: dropped at load, never stored.
NAME_HEADERS = frozenset(
    normalize_header(h)
    for h in (
        "фио",
        "ф.и.о",
        "ф. и. о",
        "фио обучающегося",
        "фио участника",
        "фио ученика",
        "фамилия",
        "имя",
        "отчество",
        "фамилия имя",
        "фамилия, имя",
        "фамилия имя отчество",
        "фамилия, имя, отчество",
        "ученик",
        "обучающийся",
        "pupil name",
        "full name",
        "surname",
        "first name",
    )
)


_NAME_WORDS = re.compile(r"(?<!\w)(?:фио|ф и о|фамили[яи]|имя|имена|отчеств[оа])(?!\w)")


def is_name_header(text: object) -> bool:
    """Whether a header names a column of people's names (never loaded).

    Any header with the word «ФИО» (also «Ф.И.О.»), «фамилия», «имя» or
    «отчество» in it, in any case: «ФИО ребёнка», «Фамилия, имя
    обучающегося», «ИМЯ».

    Examples
    --------
    >>> [is_name_header(h) for h in ("Ф.И.О. обучающегося", "ИМЯ", "Наименование ОО")]
    [True, True, False]
    """
    key = normalize_header(text)
    words = re.sub(r"\s+", " ", re.sub(r"[.,]", " ", key))
    return key in NAME_HEADERS or bool(_NAME_WORDS.search(words))


def match_columns(
    headers: Sequence[object],
    spec: TableSpec,
    *,
    keep_names: bool = False,
    keys: Sequence[str] | None = None,
) -> dict[int, str]:
    """Map the positions of a file's headers to canonical column names.

    Parameters
    ----------
    headers : sequence
        Headers as read from the file.
    spec : TableSpec
        Table whose columns are looked for.
    keep_names : bool
        Whether a header that is both a pupil-name header and an alias (as
        «имя» is for the school registry) maps to the column.
    keys : sequence of str, optional
        The headers already normalised (:func:`normalize_header`), in the same
        order: a caller matching one row against several tables normalises it once.

    Returns
    -------
    dict
        Position → canonical name, for every header that names a column; the
        first header wins when two name the same column. The time is linear
        in the number of headers.

    Examples
    --------
    >>> from edu_quality.schema import SCHOOLS
    >>> match_columns(["Код ОО", " Наименование  ОО", "Муниципалитет", "Прочее"], SCHOOLS)
    {0: 'school_id', 1: 'name', 2: 'municipality'}
    """
    lookup = spec.lookup
    if keys is None:
        keys = [normalize_header(h) for h in headers]
    found: dict[int, str] = {}
    used: set[str] = set()
    for i, key in enumerate(keys):
        name = lookup.get(key)
        if name is None or name in used:
            continue
        if not keep_names and is_name_header(headers[i]):
            continue
        found[i] = name
        used.add(name)
    return found

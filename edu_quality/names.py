r"""Telling a person's name from a pupil code: the one name detector of every reader.

Pupils' names must never be stored (152-ФЗ «О персональных данных»). Columns
headed «ФИО», «Фамилия», «Имя», «Отчество» are dropped by the readers; this
module finds names typed where a code or a mark was expected. The readers of
results (:func:`edu_quality.io.checks.refuse_names_as_ids`, the ВПР export of
:mod:`edu_quality.fisoko`) refuse pupil codes that look like names, and the
data-quality report (:class:`edu_quality.fisoko.common.QualityReport`) and
error messages hide any cell that looks like one (:data:`HIDDEN`).

The rule
--------
A cell is read as text, stripped, with runs of spaces made one space, an
underscore read as a space, a space put after every full stop and comma. A *word* is a run of letters
(Cyrillic, with the letters of the peoples of Russia and Kazakhstan, or
Latin), possibly joined by a hyphen or an apostrophe («Римский-Корсаков»,
«O'Neil»), possibly ending with a full stop («П.», «Ив.»). A cell **looks
like a name** when:

1. *Two to five words* and nothing else (no digit, no other sign), in any
   case, at least one word of two letters or more, and none of them a
   function word («не», «нет», «без», «по», «и», «no», «not», … — see
   :data:`FUNCTION_WORDS`): «Иванов Иван Иванович», «ПЕТРОВ ПЕТР»,
   «петров петр», «Петров П.П.», «П. П. Петров», «Petrov P.», «Petrov Petr»,
   «Римский-Корсаков Н. А.». Two initials alone («А. Б.») are no name.
2. *One word that is a surname by its ending* (-ов, -ев, -ин, -ова, -ина,
   -ский, -ская, -цкий, -енко, -ко, -ук, -ич, -ых, -ян, -дзе, -швили and
   their Latin spellings), capitalised or in capitals, at least four
   letters: «Петров», «СМИРНОВА», «Ivanova».
3. *A word of rule 2 among digits*: «Петров 5», «Иванова-12» (split at
   spaces and at the signs ``_ / - , ; : ( ) # №``).

In an **id column** (``id_column=True``: a pupil code), where no real code
is made of words, also:

4. *Any one word of three letters or more*, in any case: «Петров»,
   «ПЕТРОВ», «петров», «Ким», «Ivanov». Words of hexadecimal letters only
   (a–f) of eight letters or more are pseudonyms, not names («deadbeefcafe»);
   function words («нет») are no names.
5. *A capitalised word of three letters or more among digits*: «Петров 5»,
   «Ivanov_12», unless it is a word of a code (:data:`CODE_WORDS`:
   «Ученик 5», «Класс 4 код 17», «Pupil-12» pass).

What passes: digits («40001»), letters glued to digits («sch220001_15»,
«А123», «P-0012», «MSK-0012»), hexadecimal pseudonyms, one or two letters
(«X», «Ли»), words of codes with digits («ученик 5»), anything with a sign
that no name has («н/а», «*»). Known misses, by design: a name glued to
digits («Иванов5»), a surname of one or two letters, a lower-case surname
among digits («иванов 5»), and outside id columns a surname without a
typical ending («Ким») or a first name alone («Анна»). False positives are
possible too: a cell of two plain words outside an id column («Русский язык»)
is hidden in a report, which costs nothing but the value shown; in an id
column such a cell is no code anyway.

Cells without two letters side by side or joined by a hyphen or an apostrophe
(most codes) are set aside by one vectorised pass; the
rules are then looked at once per distinct value, with vectorised regular
expressions (pyarrow's RE2 for ``str`` columns, Python's ``re`` otherwise: the
patterns mean the same in both). Measured on the project's 2-core machine: a
million distinct digit codes 0,14 s; a million distinct codes with letters
(«sch22000001_1», hexadecimal pseudonyms) or names 0,5–0,8 s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._codes import factorize
from ._text_bytes import ascii_text, pairs_of

__all__ = [
    "CODE_WORDS",
    "FUNCTION_WORDS",
    "HIDDEN",
    "HIDDEN_SHORT",
    "NAME_AS_ID",
    "hide_names",
    "looks_like_name",
    "shown_value",
]

#: What a data-quality report holds instead of a value that looks like a name.
HIDDEN = "значение скрыто: похоже на ФИО"
#: What a message says instead of such a value («пол «скрыто» не распознан»).
HIDDEN_SHORT = "скрыто"
#: The problem of a pupil code that looks like a name (the value is not repeated).
NAME_AS_ID = (
    "значение похоже на фамилию и имя (ФИО, фамилия с инициалами или одна фамилия): "
    "в этом столбце должен быть код участника, а не ФИО; ФИО в программу не "
    "загружаются, значение не показано"
)

#: Words that no name holds: a cell with one of them is no name («нет отметки»).
FUNCTION_WORDS = (
    "не",
    "нет",
    "ни",
    "без",
    "на",
    "по",
    "за",
    "в",
    "во",
    "и",
    "или",
    "от",
    "до",
    "с",
    "со",
    "из",
    "к",
    "у",
    "о",
    "об",
    "для",
    "при",
    "да",
    "был",
    "была",
    "было",
    "были",
    "no",
    "not",
    "na",
    "yes",
    "of",
    "and",
    "or",
    "the",
    "to",
)

#: Words of codes: capitalised among digits in an id column, they are no surname.
CODE_WORDS = frozenset(
    {
        "ученик",
        "ученица",
        "учащийся",
        "учащаяся",
        "обучающийся",
        "обучающаяся",
        "участник",
        "участница",
        "код",
        "класс",
        "школа",
        "вариант",
        "номер",
        "группа",
        "pupil",
        "student",
        "participant",
        "code",
        "class",
        "school",
        "group",
        "id",
        "no",
        "nr",
        "num",
        "sch",
        "edu",
    }
)

# Explicit ranges, read alike by Python's re and by RE2 (pyarrow): no \w, \d, \b, lookaround.
_UP = "A-ZÀ-ÖØ-ÞА-ЯЁІЇЄҐӘӨҮҢҺҚҒҰ"
_LO = "a-zß-öø-ÿа-яёіїєґәөүңһқғұ"
_L = f"[{_UP}{_LO}]"
_JOIN = "['’ʼ‐-]"  # hyphen, apostrophes
_WORD = f"{_L}+(?:{_JOIN}{_L}+)*"
_TOKEN = f"{_WORD}\\.?"
_SPACES = "[ \t\r\n\u00a0\u2007\u2009\u202f]+"
_SEP = "[ \t\u00a0\u2009\u202f_/,;:()#№‐-]"  # what splits a code into parts

_MULTI = f"{_TOKEN}(?:,? {_TOKEN}){{1,4}},?"
_SINGLE = _TOKEN
_TWO_LETTERS = f"{_L}{{2}}"
# in every name: two letters side by side or joined («Петров», «П.П. Ли», «А-Б-В»)
_PAIR = f"{_L}{_JOIN}?{_L}"
# a function word between spaces (an initial «С.» or «И. И.» is none): one letter in lower
# case only, longer words in any case
_FUNCTION = (
    "(?:^| )(?:"
    + "|".join(w for w in FUNCTION_WORDS if len(w) == 1)
    + "|(?i:"
    + "|".join(w for w in FUNCTION_WORDS if len(w) > 1)
    + "))(?:[ ,]|$)"
)
_HEX = "[a-fA-F]{8,}"
_CAPITALISED = f"[{_UP}][{_LO}]+(?:{_JOIN}[{_UP}][{_LO}]+)*|[{_UP}]+(?:{_JOIN}[{_UP}]+)*"
_ENDINGS = (
    "ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|ская|цкий|цкая|ской|цкой|енко|ко|ук|юк|"
    "ич|ых|их|ян|дзе|швили|ov|ova|ev|eva|in|ina|yn|yna|sky|skiy|skii|skaya|enko|ko|uk|"
    "yuk|ich|yan|dze|shvili"
)
_SURNAME = f"(?:{_CAPITALISED})(?i:{_ENDINGS})\\.?"
_NAME_WORD_IN_CODE = re.compile(f"[{_UP}][{_LO}]{{2,}}(?:{_JOIN}{_L}+)*")
# a candidate of rules 3 and 5: a word of a capital and two letters or more between separators
_IN_CODE = f"(?:^|{_SEP})[{_UP}]{_L}{{2,}}(?:{_JOIN}{_L}+)*(?:{_SEP}|$)"
_SPLIT = re.compile(f"{_SEP}+")


def _normalised(texts: pd.Series) -> pd.Series:
    """Stripped, one space between words, a space after every full stop and comma."""
    t = texts.str.replace(_SPACES, " ", regex=True).str.replace("_", " ", regex=False)
    t = t.str.replace(r"([.,]) ?", r"\1 ", regex=True)
    return t.str.strip()


def _names_among_digits(texts: Sequence[str], id_column: bool) -> np.ndarray:
    """Rules 3 and 5 on the few cells with digits and a capitalised word."""
    surname = re.compile(_SURNAME)
    out = np.zeros(len(texts), dtype=bool)
    for i, text in enumerate(texts):
        for part in _SPLIT.split(text):
            if not part or any(c.isdigit() for c in part):
                continue
            if (surname.fullmatch(part) and _letters(part) >= 4) or (
                id_column and _NAME_WORD_IN_CODE.fullmatch(part) and part.lower() not in CODE_WORDS
            ):
                out[i] = True
                break
    return out


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _distinct_names(texts: pd.Series, id_column: bool) -> np.ndarray:
    """The rules on distinct texts (``str`` Series, index 0, 1, …)."""
    out = np.zeros(len(texts), dtype=bool)
    digit = texts.str.contains("[0-9]", regex=True).to_numpy(dtype=bool)
    words = np.flatnonzero(~digit)
    if len(words):
        w = _normalised(texts.iloc[words])
        keep = ~w.str.contains(_FUNCTION, regex=True).to_numpy(dtype=bool)
        words, w = words[keep], w[keep]
        multi = w.str.fullmatch(_MULTI).to_numpy(dtype=bool)
        multi = multi & w.str.contains(_TWO_LETTERS, regex=True).to_numpy(dtype=bool)
        out[words[multi]] = True  # rule 1
        single = w.str.fullmatch(_SINGLE).to_numpy(dtype=bool)
        letters = w.str.count(_L).to_numpy()
        if id_column:  # rule 4 (which holds rule 2)
            hexa = w.str.fullmatch(_HEX).to_numpy(dtype=bool)
            out[words[single & (letters >= 3) & ~hexa]] = True
        else:  # rule 2
            surname = w.str.fullmatch(_SURNAME).to_numpy(dtype=bool)
            out[words[single & surname & (letters >= 4)]] = True
    mixed = np.flatnonzero(digit)
    if len(mixed):  # rules 3 and 5, on the cells with a capitalised word between separators
        capital = texts.iloc[mixed].str.contains(f"[{_UP}]", regex=True).to_numpy(dtype=bool)
        mixed = mixed[capital]
        mixed = mixed[texts.iloc[mixed].str.contains(_IN_CODE, regex=True).to_numpy(dtype=bool)]
        out[mixed[_names_among_digits(texts.iloc[mixed].tolist(), id_column)]] = True
    return out


def looks_like_name(
    values: pd.Series | Sequence[object] | np.ndarray, *, id_column: bool = False
) -> np.ndarray:
    """Which values look like a person's name (the rule of :mod:`edu_quality.names`).

    Parameters
    ----------
    values : Series, sequence or ndarray
        Cells as read: text, numbers (never names) or missing (never names).
    id_column : bool
        The cells are pupil codes: one word of three letters or more is a
        name too (rule 4), and so is a capitalised word among digits (rule 5).

    Returns
    -------
    numpy.ndarray of bool
        One flag per value, in order.

    Notes
    -----
    The rules are looked at once per distinct value, with vectorised regular
    expressions; only the cells with digits and a capitalised word are looked
    at one by one.

    Examples
    --------
    >>> looks_like_name(["Петров Петр", "ПЕТРОВ П.П.", "П. П. Петров", "Petrov P.",
    ...                  "Петров", "40001", "sch220001_15", "нет отметки"]).tolist()
    [True, True, True, True, True, False, False, False]
    >>> looks_like_name(["Ким", "ученик 5", "Петров 5", "P-0012", "А123", "3fa94c21b07e5d68"],
    ...                 id_column=True).tolist()
    [True, False, True, False, False, False]
    """
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.StringDtype):
        # a column of text: the cells without two letters side by side (most codes: «40001»,
        # «P-0012») are no names, at one look — every rule needs a word of two letters
        out = np.zeros(len(values), dtype=bool)
        text = ascii_text(values)  # ASCII codes: the pairs found in their bytes at once
        letters = (
            pairs_of(text, _L, _JOIN)
            if text is not None
            else values.str.contains(_PAIR, regex=True).to_numpy(dtype=bool, na_value=False)
        )
        if letters.any():
            codes, uniques = factorize(values[letters] if not letters.all() else values)
            flags = _distinct_names(pd.Series(uniques, dtype="str"), id_column)
            out[letters] = np.append(flags, False)[codes]
        return out
    arr = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(np.asarray(arr, dtype=object), use_na_sentinel=True)
    at = np.flatnonzero([isinstance(u, str) for u in uniques])  # numbers are no names
    flags = np.zeros(len(uniques) + 1, dtype=bool)  # the last one: missing values
    if len(at):
        texts = pd.Series(np.asarray(uniques, dtype=object)[at], dtype="str")
        flags[at] = _distinct_names(texts, id_column)
    return flags[np.where(codes < 0, len(uniques), codes)]


def hide_names(
    values: pd.Series | Sequence[object] | np.ndarray, *, id_column: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Values as a report may hold them: those that look like names replaced by :data:`HIDDEN`.

    Parameters
    ----------
    values : Series, sequence or ndarray
        Cells as read.
    id_column : bool
        As in :func:`looks_like_name`.

    Returns
    -------
    values : ndarray of object
        The values, with :data:`HIDDEN` for those that look like names.
    hidden : ndarray of bool
        Which were hidden.

    Examples
    --------
    >>> shown, hidden = hide_names(["ж", "Иванова Анна", "8"])
    >>> shown.tolist(), hidden.tolist()
    (['ж', 'значение скрыто: похоже на ФИО', '8'], [False, True, False])
    """
    out = np.array(
        values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values, dtype=object
    )
    hidden = looks_like_name(out, id_column=id_column)
    out[hidden] = HIDDEN
    return out, hidden


def shown_value(value: object, *, id_column: bool = False) -> str:
    """One cell as an error message may quote it: :data:`HIDDEN` when it looks like a name.

    Examples
    --------
    >>> shown_value("6"), shown_value("Сидоров Пётр")
    ('6', 'значение скрыто: похоже на ФИО')
    """
    return HIDDEN if looks_like_name([value], id_column=id_column)[0] else str(value)

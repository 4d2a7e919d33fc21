"""School years, sessions and the years an assessment was not held as usual.

Years and sessions
------------------
A ``year`` is always the calendar year in which the **school year ends**
(2020/21 is 2021). A result also has a ``session``: «весна» (spring, the
default: a table without the column is spring throughout) or «осень»
(autumn). The only autumn session so far is the ВПР of autumn 2020: the
spring-2020 works, postponed, were written in September–October 2020 by the
pupils of the grade above (grade g wrote the work of grade g − 1). They
belong to the school year 2020/21: ``year`` 2021, ``session`` «осень»,
``grade`` the pupils' grade, ``work_grade`` the work's.

Two results are *like with like* when they are the same work — assessment,
subject, work grade — in the same session. Year-over-year comparisons pair
only such results (:func:`edu_quality.dynamics.year_over_year`); the autumn
work and the spring work of one school year are two different works, the
second written by the same pupils six months later: their difference is a
cohort's progress, not a change of the school's results.

Exam years
----------
:func:`exam_years` is the one table of the years in which a procedure was
not held as usual, one row per fact:

* **не проводился** — not held as an exam: ОГЭ 2020 (ГИА-9 replaced by
  annual marks) and ЕГЭ 2020 as the final attestation (ГИА-11 by annual
  marks), Постановление Правительства РФ от 10.06.2020 № 842; the spring ВПР
  2020 (moved to the autumn). Such rows are kept, marked ``exam_not_held``
  and never compared.
* **выборочный состав** — held only for part of the pupils: ЕГЭ 2020 and
  2021 were taken only by those entering universities (Постановление № 842;
  Постановление Правительства РФ от 26.02.2021 № 256: in 2021 the others
  took the ГВЭ for the certificate). A change involving such a year is
  labelled and given no verdict; identification leaves them out by default.
* **частично** — held only in some subjects: ОГЭ 2021 in Russian and
  mathematics only (Постановление № 256; the other subjects were school
  control works). The rows of the other subjects are not exam results: they
  count as not held.
* **перенесён** — the ВПР of autumn 2020 (``year`` 2021, session «осень»),
  moved from spring: grade g wrote the work of grade g − 1.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "AUTUMN",
    "EXAM_STATUSES",
    "FACT_COLUMNS",
    "SESSIONS",
    "SPRING",
    "exam_not_held",
    "exam_years",
    "scale_year",
    "selective_population",
    "session_of",
]

#: The spring session: the default of every result.
SPRING = "весна"
#: The autumn session (ВПР of autumn 2020: ``year`` 2021).
AUTUMN = "осень"
#: Sessions of a school year, in order.
SESSIONS = (AUTUMN, SPRING)

#: The columns :func:`exam_not_held` and :func:`selective_population` look at.
FACT_COLUMNS = ("assessment", "year", "session", "subject")

#: Statuses of :func:`exam_years`.
EXAM_STATUSES = ("не проводился", "выборочный состав", "частично", "перенесён")

_NOT_HELD, _SELECTIVE, _PARTIAL, _MOVED = EXAM_STATUSES

# assessment, year (end of the school year), session, subjects held (empty: all), status, note
_FACTS = (
    (
        "ОГЭ",
        2020,
        SPRING,
        "",
        _NOT_HELD,
        "ГИА-9 не проводилась: аттестаты по годовым отметкам "
        "(Постановление Правительства РФ от 10.06.2020 № 842)",
    ),
    (
        "ЕГЭ",
        2020,
        SPRING,
        "",
        _NOT_HELD,
        "ГИА-11 не проводилась как экзамен: аттестаты по годовым отметкам "
        "(Постановление Правительства РФ от 10.06.2020 № 842)",
    ),
    (
        "ЕГЭ",
        2020,
        SPRING,
        "",
        _SELECTIVE,
        "ЕГЭ сдавали только поступающие в вузы "
        "(Постановление Правительства РФ от 10.06.2020 № 842)",
    ),
    (
        "ЕГЭ",
        2021,
        SPRING,
        "",
        _SELECTIVE,
        "ЕГЭ сдавали только поступающие в вузы, остальные — ГВЭ-аттестат "
        "(Постановление Правительства РФ от 26.02.2021 № 256)",
    ),
    (
        "ОГЭ",
        2021,
        SPRING,
        "Русский язык;Математика",
        _PARTIAL,
        "ОГЭ только по русскому языку и математике; по остальным предметам — "
        "контрольные работы в школах (Постановление Правительства РФ от 26.02.2021 № 256)",
    ),
    (
        "ВПР",
        2020,
        SPRING,
        "",
        _NOT_HELD,
        "весенние ВПР 2020 перенесены на осень 2020 (учебный год 2020/21)",
    ),
    (
        "ВПР",
        2021,
        AUTUMN,
        "",
        _MOVED,
        "ВПР осенью 2020: обучающиеся класса g писали работу за класс g − 1 (перенос весенних ВПР 2020)",
    ),
)


def exam_years() -> pd.DataFrame:
    """The years in which a procedure was not held as usual: one row per fact.

    Returns
    -------
    pandas.DataFrame
        ``assessment``, ``year`` (end of the school year), ``session``,
        ``subjects`` (the subjects held, «;»-separated; empty: the status
        concerns every subject), ``status`` (:data:`EXAM_STATUSES`) and
        ``note`` (Russian, with the legal act). A copy: changing it changes
        nothing else.

    Examples
    --------
    >>> t = exam_years()
    >>> t.loc[t["status"] == "выборочный состав", ["assessment", "year"]].values.tolist()
    [['ЕГЭ', 2020], ['ЕГЭ', 2021]]
    """
    return _table().copy()


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    return pd.DataFrame(
        list(_FACTS), columns=["assessment", "year", "session", "subjects", "status", "note"]
    ).astype({"year": "int64"})


def session_of(data: pd.DataFrame) -> pd.Series:
    """The session of every row: the ``session`` column, «весна» where absent or missing.

    Examples
    --------
    >>> session_of(pd.DataFrame({"year": [2021]})).tolist()
    ['весна']
    >>> session_of(pd.DataFrame({"session": ["осень", None]})).tolist()
    ['осень', 'весна']
    """
    if "session" not in data.columns:
        return pd.Series(SPRING, index=data.index, dtype="str")
    col = data["session"]
    if _categorical_text(col):  # each category once, then the codes: no text made per row
        texts = pd.array([*col.cat.categories, SPRING], dtype="str")
        codes = col.cat.codes.to_numpy()
        return pd.Series(
            texts.take(np.where(codes < 0, len(texts) - 1, codes)), index=data.index, name=col.name
        )
    if isinstance(col.dtype, pd.StringDtype) and col.dtype.na_value is not pd.NA:
        return col.fillna(SPRING)
    return col.astype("object").where(col.notna(), SPRING).astype("str")


def _categorical_text(col: pd.Series) -> bool:
    """Whether ``col`` is a categorical of texts (as the loader keeps the session)."""
    return isinstance(col.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(
        col.cat.categories
    )


def _in_session(data: pd.DataFrame, session: str) -> np.ndarray:
    """``session_of(data) == session``, without the column of texts for a column of texts."""
    col = data.get("session")
    if col is None:
        return np.full(len(data), session == SPRING)
    if not (isinstance(col.dtype, pd.StringDtype) or _categorical_text(col)):
        return (session_of(data) == session).to_numpy(dtype=bool)
    hit = (col == session).to_numpy(dtype=bool, na_value=False)
    return hit | col.isna().to_numpy() if session == SPRING else hit


def _matches(data: pd.DataFrame, status: str, *, outside_subjects: bool = False) -> pd.Series:
    """Rows that one of the facts of ``status`` concerns."""
    out = pd.Series(False, index=data.index)
    if "assessment" not in data.columns or "year" not in data.columns:
        return out
    facts = _table().loc[_table()["status"] == status]
    if facts.empty or not len(data):
        return out
    year = pd.to_numeric(data["year"], errors="coerce")
    sessions: dict[str, np.ndarray] = {}
    hits = np.zeros(len(data), dtype=bool)
    for f in facts.itertuples(index=False):
        if f.session not in sessions:
            sessions[f.session] = _in_session(data, f.session)
        hit = ((data["assessment"] == f.assessment) & (year == f.year)).to_numpy(
            dtype=bool, na_value=False
        ) & sessions[f.session]
        if f.subjects:
            if "subject" not in data.columns:
                continue
            held = data["subject"].isin(f.subjects.split(";")).to_numpy(dtype=bool, na_value=False)
            hit &= ~held if outside_subjects else held
        hits |= hit
    return pd.Series(hits, index=data.index)


def exam_not_held(data: pd.DataFrame) -> pd.Series:
    """Rows of a year in which the procedure was not held as an exam (:func:`exam_years`).

    Statuses «не проводился», and «частично» for the subjects not held.

    Examples
    --------
    >>> exam_not_held(pd.DataFrame({"assessment": ["ОГЭ", "ОГЭ", "ОГЭ", "ВПР"],
    ...     "subject": ["Математика", "Математика", "Химия", "Математика"],
    ...     "year": [2020, 2021, 2021, 2021]})).tolist()
    [True, False, True, False]
    """
    return _matches(data, _NOT_HELD) | _matches(data, _PARTIAL, outside_subjects=True)


def selective_population(data: pd.DataFrame) -> pd.Series:
    """Rows of a year in which only part of the pupils took the exam (ЕГЭ 2020, 2021).

    Examples
    --------
    >>> selective_population(pd.DataFrame({"assessment": "ЕГЭ",
    ...                                    "year": [2021, 2022]})).tolist()
    [True, False]
    """
    return _matches(data, _SELECTIVE)


def scale_year(year: pd.Series | np.ndarray, session: pd.Series | np.ndarray) -> np.ndarray:
    """The year of the score-to-mark scale of a ВПР work.

    The scale is the one of the work: the autumn works of a school year are
    the postponed spring works of the year before (autumn 2020 wrote the works
    of 2020), so their scale is listed under ``year − 1``.

    Examples
    --------
    >>> scale_year(np.array([2021, 2021]), np.array(["осень", "весна"])).tolist()
    [2020, 2021]
    """
    y = np.asarray(year, dtype="int64")
    return np.where(np.asarray(session, dtype=object) == AUTUMN, y - 1, y)

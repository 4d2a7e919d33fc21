"""The federal objectivity index, exactly as the method publishes it.

Source: ФИОКО, «Методика расчета показателя "Уровень объективности оценки
образовательных результатов в субъекте Российской Федерации"» and its
Приложение «Математический алгоритм маркировки образовательных организаций».
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._checks import check_option
from ..reliability import drop_unreliable
from .cohort import sign_cohort_change
from .combine import SIGNS, ObjectivityIndex, combine
from .labels import FEDERAL_LABEL, FEDERAL_METHOD
from .signs import HIGH_MEAN_ASSESSMENTS, SUBJECTS, sign_high_mean, sign_journal_mismatch
from .triage import objectivity_triage

__all__ = ["METHODS", "objectivity_index", "works_table"]

#: Values of ``method`` of :func:`objectivity_index`.
METHODS = ("federal", "edu_quality")
SHORT = {
    "high_mean": "Завышенный средний балл",
    "journal_mismatch": "Несоответствие ВПР и отметок",
    "cohort_change": "Резкое изменение параллели",
}


def objectivity_index(
    results: pd.DataFrame,
    *,
    max_scores: pd.DataFrame | None = None,
    method: str = "federal",
    subjects: Sequence[str] = SUBJECTS,
    assessments: Sequence[tuple[str, int]] = HIGH_MEAN_ASSESSMENTS,
    grades: Sequence[int] = (4, 5),
    include_unreliable: bool = False,
) -> ObjectivityIndex:
    """The region's objectivity index: «Федеральная методика ФИОКО» by default.

    Unreliable protocols (a school's work with impossible totals,
    :mod:`edu_quality.reliability`) are left out unless ``include_unreliable``.

    Stage 1 marks every school with **at least one** sign, per work (ВПР
    Russian and mathematics, work grades 4 and 5; ОГЭ Russian and mathematics
    where the data has them): (a) «завышенные значения среднего балла» —
    :func:`~edu_quality.objectivity.sign_high_mean` with the normal 1,96
    intervals; (b) «несоответствие результатов ВПР и школьных отметок» —
    :func:`~edu_quality.objectivity.sign_journal_mismatch`, any negative
    Spearman correlation; (c) «резкое изменение результатов одной параллели»
    4 → 5 — :func:`~edu_quality.objectivity.sign_cohort_change`, fences
    Q3 + 3·IQR and Q1 − 3·IQR over the whole sample. Stage 2: the percentage
    of marked schools; stage 3: index = 100 − that percentage.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results (see the sign functions for the columns).
    max_scores : DataFrame, optional, keyword-only
        Maximum scores of the КИМ for sign (c); by default
        :func:`edu_quality.scales.max_scores` (per subject, work grade and
        year).
    method : {"federal", "edu_quality"}, keyword-only
        "federal" (default): the method as written. "edu_quality": our
        stricter reading, :func:`~edu_quality.objectivity.objectivity_triage`
        with its defaults, labelled «правило edu_quality (строже федеральной
        методики)» — not the federal index.
    subjects, assessments, grades : keyword-only
        Scope, as the method lists it; narrow it only to match what a region
        has.

    Returns
    -------
    ObjectivityIndex
        ``schools`` (per school and year), ``region`` (per year: ``n_schools``,
        ``n_flagged``, counts per sign, ``share_flagged``, ``index``),
        ``signs`` (the three tables), ``works`` (the per-work table, long;
        :func:`works_table` pivots it), ``method``.

    Raises
    ------
    DataError
        A needed column is missing, or ``max_scores`` lacks a work.
    ValueError
        An option is invalid.

    Notes
    -----
    *Denominator.* The method divides by the schools of the region. Here it
    is the schools that could be judged in the year: every school in the
    data with at least one sign computable on at least one work — in
    practice every school that wrote one of the works with two or more
    participants. Schools that wrote none of the works are not in the data
    and cannot be counted; a school with a single participant on every work
    has no interval and no correlation, so nothing could mark it, and
    counting it would raise the index with schools never examined.

    *Minimums.* The method sets none: a work is judged from 2 participants
    for (a) and (b) (the least an interval or a rank correlation needs) and
    from 1 for (c). Privacy rules apply to what reports *show*, not to the
    computation.

    *Campaign.* An index is per ``year`` and ``session``: the calendar year in
    which the school year ends and «весна»/«осень». Signs (a) and (b) count in
    the campaign of their work; sign (c) in that of the grade-5 work. So the
    spring-2021 index holds the spring-2021 works and the cohort pairs ending
    in spring 2021 (the autumn-2020 grade-4 work is used there only as the
    first half of a pair); the autumn works have an index of their own.

    A mark is a reason to check: «признаки необъективности: требуется
    проверка», never a verdict.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Математика", "grade": 4,
    ...     "school_id": ["1"] * 5 + ["2"] * 5 + ["3"] * 5 + ["4"] * 5,
    ...     "score": [19, 20, 18, 20, 19, 8, 10, 9, 11, 7, 9, 10, 8, 12, 11,
    ...               20, 19, 18, 20, 18.0],
    ...     "journal_mark": pd.array([5, 5, 4, 5, 5, 3, 3, 3, 4, 2, 3, 4, 3, 4, 4,
    ...                               2, 3, 4, 2, 5], dtype="Int64")})
    >>> res = objectivity_index(results)
    >>> row = res.region.iloc[0]
    >>> [int(row[c]) for c in ("n_schools", "n_flagged")], float(row["index"])
    ([4, 2], 50.0)
    >>> print(res.schools.loc[0, "message"])
    признаки необъективности: требуется проверка — признак «завышенные значения среднего балла»: 4 МА
    """
    check_option("method", method, METHODS)
    results = drop_unreliable(results, include_unreliable=include_unreliable)
    if method == "edu_quality":
        return objectivity_triage(
            results,
            include_unreliable=True,  # already left out above when they should be
            max_scores=max_scores,
            subjects=subjects,
            assessments=assessments,
            grades=grades,
        )
    signs = {
        "high_mean": sign_high_mean(results, assessments=assessments, subjects=subjects),
        "journal_mismatch": sign_journal_mismatch(results, grades=grades, subjects=subjects),
        "cohort_change": sign_cohort_change(results, max_scores=max_scores, subjects=subjects),
    }
    res = combine(signs, min_signs=1, single="", method=FEDERAL_LABEL, source=FEDERAL_METHOD)
    res = ObjectivityIndex(
        schools=res.schools,
        region=res.region.drop(columns="n_one_sign"),
        signs=signs,
        works=res.works,
        method=FEDERAL_LABEL,
    )
    res.schools.attrs.update(method=FEDERAL_LABEL)
    res.region.attrs.update(method=FEDERAL_LABEL)
    return res


def works_table(result: ObjectivityIndex, *, year: int | None = None) -> pd.DataFrame:
    """The per-work table in the form regions receive: school × sign × work, Russian headers.

    Parameters
    ----------
    result : ObjectivityIndex
        From :func:`objectivity_index`.
    year : int, optional, keyword-only
        Keep only this year.

    Returns
    -------
    DataFrame
        One row per school and year: «Год», «ОО», then one column per sign
        and work, e.g. «Завышенный средний балл: 4 РУ», «Несоответствие ВПР
        и отметок: 5 МА», «Резкое изменение параллели: 4→5 РУ»; cells «да»
        (the sign fires), «нет», or «—» (not judged, or the school did not
        write the work).

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Русский язык", "grade": 4,
    ...     "school_id": ["1"] * 3 + ["2"] * 3, "score": [35, 36, 37, 10, 12, 14.0],
    ...     "journal_mark": pd.array([4, 5, 5, 3, 3, 4], dtype="Int64")})
    >>> works_table(objectivity_index(results)).to_dict("records")[0]
    {'Год': 2023, 'ОО': '1', 'Завышенный средний балл: 4 РУ': 'да', 'Несоответствие ВПР и отметок: 4 РУ': 'нет'}
    """
    w = result.works
    if year is not None:
        w = w[w["year"] == year]
    if w.empty:
        return pd.DataFrame(columns=["Год", "ОО"])
    value = pd.Series("нет", index=w.index).mask(w["flag"], "да").mask(~w["judged"], "—")
    order = {s: i for i, s in enumerate(SIGNS)}
    w = w.assign(value=value, column=w["sign"].map(SHORT) + ": " + w["work"])
    columns = (
        w.assign(_o=w["sign"].map(order))
        .drop_duplicates("column")
        .sort_values(["_o", "assessment", "grade", "work"])["column"]
        .tolist()
    )
    wide = w.pivot_table(
        index=["year", "school_id"], columns="column", values="value", aggfunc="first"
    )
    wide = wide.reindex(columns=columns).fillna("—").reset_index()
    wide.columns.name = None
    return wide.rename(columns={"year": "Год", "school_id": "ОО"})

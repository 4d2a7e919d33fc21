"""Our stricter reading of the signs: coinciding signs, labelled as ours.

Not the federal index: its outputs carry the label
:data:`~edu_quality.objectivity.TRIAGE_LABEL` and are never mixed into
:func:`~edu_quality.objectivity.objectivity_index` with its default method.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import pandas as pd

from ..reliability import drop_unreliable
from .checks import check_bool, check_min_n
from .cohort import sign_cohort_change
from .combine import SIGNS, ObjectivityIndex, combine
from .labels import TRIAGE_LABEL
from .signs import HIGH_MEAN_ASSESSMENTS, SUBJECTS, sign_high_mean, sign_journal_mismatch

__all__ = ["MESSAGE_SINGLE_SIGN", "objectivity_triage"]

#: How a school with signs, but fewer than ``min_signs`` of them, is worded.
MESSAGE_SINGLE_SIGN = "{what} (для отметки нужно совпадение не менее {min_signs} признаков)"


def check_min_signs(min_signs: object) -> int:
    """``min_signs`` as an integer 1–3."""
    if (
        not isinstance(min_signs, numbers.Integral)
        or isinstance(min_signs, bool)
        or not 1 <= min_signs <= len(SIGNS)
    ):
        raise ValueError(
            "Параметр `min_signs` должен быть целым числом от 1 до 3 (сколько признаков "
            f"должны совпасть в школе за год, чтобы её отметить), передано {min_signs!r}"
        )
    return int(min_signs)


def objectivity_triage(
    results: pd.DataFrame,
    *,
    max_scores: pd.DataFrame | None = None,
    subjects: Sequence[str] = SUBJECTS,
    assessments: Sequence[tuple[str, int]] = HIGH_MEAN_ASSESSMENTS,
    grades: Sequence[int] = (4, 5),
    alpha: float = 0.05,
    min_n: int = 5,
    min_signs: int = 2,
    require_significance: bool = True,
    k_iqr: float = 3.0,
    include_unreliable: bool = False,
) -> ObjectivityIndex:
    """«Правило edu_quality (строже федеральной методики)»: coinciding signs only.

    Unreliable protocols (:mod:`edu_quality.reliability`) are left out unless
    ``include_unreliable``.

    The three federal signs read more strictly, to choose where to look
    first: Student t intervals, at least ``min_n`` pupils per work, a
    significant negative correlation, and a school marked only when at least
    ``min_signs`` signs coincide in a year. **Not the federal index**: use
    :func:`~edu_quality.objectivity.objectivity_index` for that.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results (see the sign functions).
    max_scores : DataFrame, optional, keyword-only
        See :func:`~edu_quality.objectivity.sign_cohort_change`.
    subjects, assessments, grades : keyword-only
        Scope of the signs, as in the sign functions.
    alpha : float, keyword-only
        1 − confidence level of the t intervals and the significance level.
    min_n : int, keyword-only
        Fewest pupils for a work to be judged (at least 2 for the journal sign).
    min_signs : int, keyword-only
        Coinciding signs needed to mark a school (1–3; 2 by default).
    require_significance : bool, keyword-only
        Count only a negative correlation significant at ``alpha``.
    k_iqr : float, keyword-only
        Fence multiplier of the cohort sign.

    Returns
    -------
    ObjectivityIndex
        As for the federal index; ``method`` and every ``source`` are
        :data:`~edu_quality.objectivity.TRIAGE_LABEL`; a school with signs but
        fewer than ``min_signs`` gets a note (:data:`MESSAGE_SINGLE_SIGN`), not
        a mark; ``region`` keeps ``n_one_sign`` (schools with any sign under
        these rules) beside ``n_flagged``; ``attrs`` of both tables record the
        options.

    Notes
    -----
    Why stricter: sign (a) compares levels, and a strong honest school meets
    it exactly as an inflating one; inflation usually leaves more than one
    trace. On the synthetic region of :func:`edu_quality.synthetic.make_region`
    this reading marks the planted inflating schools and no honest one; on
    Altai Krai 2021 it marks none (signs do not coincide there), which says
    nothing about the federal index.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Математика", "grade": 4,
    ...     "school_id": ["1"] * 5 + ["2"] * 5 + ["3"] * 5 + ["4"] * 5,
    ...     "score": [19, 20, 18, 20, 19, 8, 10, 9, 11, 7, 9, 10, 8, 12, 11,
    ...               20, 19, 18, 20, 18.0],
    ...     "journal_mark": pd.array([5, 5, 4, 5, 5, 3, 3, 3, 4, 2, 3, 4, 3, 4, 4,
    ...                               2, 3, 4, 2, 5], dtype="Int64")})
    >>> res = objectivity_triage(results)
    >>> res.schools[["school_id", "n_signs", "flagged"]].to_dict("list")
    {'school_id': ['1', '2', '3', '4'], 'n_signs': [1, 0, 0, 2], 'flagged': [False, False, False, True]}
    >>> float(res.region.loc[0, "index"]), res.method
    (75.0, 'правило edu_quality (строже федеральной методики)')
    """
    results = drop_unreliable(results, include_unreliable=include_unreliable)
    min_n = check_min_n(min_n)
    min_signs = check_min_signs(min_signs)
    require_significance = check_bool("require_significance", require_significance)
    signs = {
        "high_mean": sign_high_mean(
            results,
            assessments=assessments,
            subjects=subjects,
            alpha=alpha,
            min_n=max(min_n, 2),
            interval="t",
        ),
        "journal_mismatch": sign_journal_mismatch(
            results,
            grades=grades,
            subjects=subjects,
            min_n=max(min_n, 2),
            require_significance=require_significance,
            alpha=alpha,
        ),
        "cohort_change": sign_cohort_change(
            results, max_scores=max_scores, subjects=subjects, k_iqr=k_iqr, min_n=min_n
        ),
    }
    what = "отдельный признак" if min_signs == 2 else "отдельные признаки"
    single = f"{TRIAGE_LABEL}: " + MESSAGE_SINGLE_SIGN.format(what=what, min_signs=min_signs)
    res = combine(
        signs, min_signs=min_signs, single=single, method=TRIAGE_LABEL, source=TRIAGE_LABEL
    )
    res.schools["message"] = res.schools["message"].where(
        ~res.schools["flagged"], f"{TRIAGE_LABEL}: " + res.schools["message"]
    )
    options = {
        "min_signs": min_signs,
        "require_significance": require_significance,
        "min_n": min_n,
        "method": TRIAGE_LABEL,
    }
    res.schools.attrs.update(options)
    res.region.attrs.update(options)
    return res

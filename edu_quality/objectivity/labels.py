"""Names of the methods, the signs and the works, as reports show them."""

from __future__ import annotations

__all__ = [
    "FEDERAL_LABEL",
    "FEDERAL_METHOD",
    "MESSAGE_FLAGGED",
    "SIGN_NAMES",
    "SOURCE_COHORT_CHANGE",
    "SOURCE_EXTRA",
    "SOURCE_HIGH_MEAN",
    "SOURCE_JOURNAL_MISMATCH",
    "TRIAGE_LABEL",
    "work_label",
]

#: The federal method the three signs and the federal index come from.
FEDERAL_METHOD = (
    "федеральная методика ФИОКО «Уровень объективности оценки образовательных результатов "
    "в субъекте Российской Федерации»"
)
#: Short name of the federal method in reports.
FEDERAL_LABEL = "Федеральная методика ФИОКО"
#: Label of our stricter reading (:func:`edu_quality.objectivity.objectivity_triage`).
TRIAGE_LABEL = "правило edu_quality (строже федеральной методики)"
#: The three signs, in the words of the method.
SIGN_NAMES = {
    "high_mean": "завышенные значения среднего балла",
    "journal_mismatch": "несоответствие результатов ВПР и школьных отметок",
    "cohort_change": "резкое изменение результатов одной параллели",
}
#: ``source`` of :func:`~edu_quality.objectivity.sign_high_mean`.
SOURCE_HIGH_MEAN = f"{FEDERAL_METHOD}: признак «{SIGN_NAMES['high_mean']}»"
#: ``source`` of :func:`~edu_quality.objectivity.sign_journal_mismatch`.
SOURCE_JOURNAL_MISMATCH = f"{FEDERAL_METHOD}: признак «{SIGN_NAMES['journal_mismatch']}»"
#: ``source`` of :func:`~edu_quality.objectivity.sign_cohort_change`.
SOURCE_COHORT_CHANGE = f"{FEDERAL_METHOD}: признак «{SIGN_NAMES['cohort_change']}»"
#: ``source`` of :func:`~edu_quality.objectivity.extra_signs`: not part of any index.
SOURCE_EXTRA = "дополнительное правило edu_quality"
#: How every flag is worded: a sign to check, never a verdict.
MESSAGE_FLAGGED = "признаки необъективности: требуется проверка"

SUBJECT_ABBR = {"Русский язык": "РУ", "Математика": "МА"}


def work_label(assessment: str, subject: str, grade: int, *, cohort: bool = False) -> str:
    """A work as regions' lists name it: «4 РУ», «5 МА», «ОГЭ РУ», «4→5 МА».

    Examples
    --------
    >>> work_label("ВПР", "Русский язык", 4), work_label("ОГЭ", "Математика", 9)
    ('4 РУ', 'ОГЭ МА')
    >>> work_label("ВПР", "Математика", 4, cohort=True)
    '4→5 МА'
    """
    abbr = SUBJECT_ABBR.get(subject, subject)
    if cohort:
        return f"{grade}→{grade + 1} {abbr}"
    if assessment == "ВПР":
        return f"{grade} {abbr}"
    return f"{assessment} {abbr}"

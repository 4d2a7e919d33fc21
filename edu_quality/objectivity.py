"""Objectivity of assessment results: ВПР against the journal, and the federal signs.

Two kinds of rules live here and are never mixed:

* the three signs of the federal method «Уровень объективности оценки
  образовательных результатов в субъекте РФ» (Рособрнадзор, ФИОКО) —
  :func:`sign_high_mean` (высокие результаты), :func:`sign_journal_mismatch`
  (несоответствие результатов ВПР отметкам по журналу) and
  :func:`sign_cohort_change` (резкое изменение результатов от 4 к 5 классу) —
  and the regional objectivity index built from them,
  :func:`objectivity_index`;
* rules of our own, :func:`extra_signs` (shares from :func:`marks_vs_journal`),
  whose ``source`` is «дополнительное правило edu_quality» and which never
  enter the federal index.

A sign is a reason to look, never a verdict: every flagged row is worded
«признаки необъективности: требуется проверка». Each sign table applies its
rule as the method words it; the index marks a school only when at least two
signs coincide in the same year (``min_signs``), with a significant negative
correlation for the journal sign — a documented reading of the method,
explained in :func:`objectivity_index`; ``min_signs=1,
require_significance=False`` gives the literal one.

Every sign table has a ``source`` column naming the rule it applies, a boolean
``flag`` and a ``note`` that says why a row was not judged (too few pupils,
constant marks, no interval). Rows that were not judged are never flagged.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ._checks import check_fraction
from .errors import DataError, Problem
from .intervals import wilson
from .schema import RESULTS_PUPILS

__all__ = [
    "FEDERAL_METHOD",
    "MESSAGE_FLAGGED",
    "MESSAGE_SINGLE_SIGN",
    "SOURCE_COHORT_CHANGE",
    "SOURCE_EXTRA",
    "SOURCE_HIGH_MEAN",
    "SOURCE_JOURNAL_MISMATCH",
    "ObjectivityIndex",
    "extra_signs",
    "marks_vs_journal",
    "objectivity_index",
    "sign_cohort_change",
    "sign_high_mean",
    "sign_journal_mismatch",
]

#: The federal method the three signs and the index come from.
FEDERAL_METHOD = (
    "федеральная методика «Уровень объективности оценки образовательных результатов "
    "в субъекте РФ» (Рособрнадзор, ФИОКО)"
)
#: ``source`` of :func:`sign_high_mean`.
SOURCE_HIGH_MEAN = f"{FEDERAL_METHOD}: признак «высокие результаты»"
#: ``source`` of :func:`sign_journal_mismatch`.
SOURCE_JOURNAL_MISMATCH = (
    f"{FEDERAL_METHOD}: признак «несоответствие результатов ВПР отметкам по журналу»"
)
#: ``source`` of :func:`sign_cohort_change`.
SOURCE_COHORT_CHANGE = (
    f"{FEDERAL_METHOD}: признак «резкое изменение результатов при переходе из 4 в 5 класс»"
)
#: ``source`` of :func:`extra_signs`: not part of the federal method or index.
SOURCE_EXTRA = "дополнительное правило edu_quality"
#: How every flag is worded: a sign to check, never a verdict.
MESSAGE_FLAGGED = "признаки необъективности: требуется проверка"
#: How a school with signs, but fewer than ``min_signs`` of them, is worded
#: (:func:`objectivity_index`): a note, not a mark; ``{what}`` is «отдельный
#: признак» or «отдельные признаки», ``{min_signs}`` the number required.
MESSAGE_SINGLE_SIGN = "{what} (для отметки нужно совпадение не менее {min_signs} признаков)"

_SUBJECTS = ("Математика", "Русский язык")
_HIGH_MEAN_ASSESSMENTS = (("ВПР", 4), ("ВПР", 5), ("ОГЭ", 9))
_JOURNAL_BY = ("school_id", "year", "subject", "grade")
_SIGN_NAMES = {
    "high_mean": "высокие результаты",
    "journal_mismatch": "отрицательная корреляция отметок по журналу и баллов ВПР",
    "cohort_change": "резкое изменение результатов от 4 к 5 классу",
}
_FALL = "резкое снижение"
_RISE = "резкий рост"


# ---------------------------------------------------------------- checks


def _require(data: pd.DataFrame, columns: Iterable[str], what: str, *, table: str = "") -> None:
    """Raise DataError naming every column of ``columns`` missing from ``data``."""
    missing = [c for c in dict.fromkeys(columns) if c not in data.columns]
    if not missing:
        return
    problems = []
    for c in missing:
        try:
            label = f" («{RESULTS_PUPILS.column(c).label}»)" if not table else ""
        except KeyError:
            label = ""
        problems.append(Problem(None, c, f"столбца нет в данных{label}; он нужен для {what}"))
    raise DataError(table or None, problems)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check_alpha(alpha: object) -> float:
    return check_fraction("alpha", alpha)


def _check_min_n(min_n: object, *, minimum: int = 1) -> int:
    if not isinstance(min_n, numbers.Integral) or isinstance(min_n, bool) or min_n < minimum:
        raise ValueError(
            f"Параметр `min_n` должен быть целым числом не меньше {minimum}, передано {min_n!r}"
        )
    return int(min_n)


def _check_min_signs(min_signs: object) -> int:
    if (
        not isinstance(min_signs, numbers.Integral)
        or isinstance(min_signs, bool)
        or not 1 <= min_signs <= len(_SIGN_NAMES)
    ):
        raise ValueError(
            "Параметр `min_signs` должен быть целым числом от 1 до 3 (сколько признаков "
            f"должны совпасть в школе за год, чтобы её отметить), передано {min_signs!r}"
        )
    return int(min_signs)


def _check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"Параметр `{name}` должен быть True или False, передано {value!r}")
    return bool(value)


def _check_positive(name: str, value: object) -> float:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"Параметр `{name}` должен быть положительным числом, передано {value!r}")
    return float(value)


def _check_threshold(name: str, value: object) -> float | None:
    if value is None:
        return None
    if not _is_number(value) or not 0 <= value < 1:
        raise ValueError(
            f"Параметр `{name}` должен быть долей от 0 до 1 (не включая 1) или None, "
            f"передано {value!r}"
        )
    return float(value)


def _check_strings(name: str, values: object, example: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, Iterable):
        raise ValueError(
            f"Параметр `{name}` должен быть непустым списком строк, например {example}, "
            f"передано {values!r}"
        )
    out = tuple(values)
    if not out or not all(isinstance(v, str) for v in out):
        raise ValueError(
            f"Параметр `{name}` должен быть непустым списком строк, например {example}, "
            f"передано {values!r}"
        )
    return out


def _check_grades(grades: object) -> tuple[int, ...]:
    message = (
        "Параметр `grades` должен быть непустым списком классов (целых чисел от 1 до 11), "
        f"например (4, 5), передано {grades!r}"
    )
    if isinstance(grades, numbers.Integral) and not isinstance(grades, bool):
        grades = (grades,)
    if not isinstance(grades, Iterable) or isinstance(grades, str):
        raise ValueError(message)
    out = tuple(grades)
    if not out or not all(
        isinstance(g, numbers.Integral) and not isinstance(g, bool) and 1 <= g <= 11 for g in out
    ):
        raise ValueError(message)
    return tuple(int(g) for g in out)


def _check_assessments(assessments: object) -> tuple[tuple[str, int], ...]:
    message = (
        "Параметр `assessments` должен быть непустым списком пар (процедура, класс), "
        f"например (('ВПР', 4), ('ОГЭ', 9)), передано {assessments!r}"
    )
    if not isinstance(assessments, Iterable) or isinstance(assessments, str):
        raise ValueError(message)
    out = []
    for pair in assessments:
        if (
            not isinstance(pair, Sequence)
            or isinstance(pair, str)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], numbers.Integral)
            or isinstance(pair[1], bool)
        ):
            raise ValueError(message)
        out.append((pair[0], int(pair[1])))
    if not out:
        raise ValueError(message)
    return tuple(out)


def _check_by(by: object) -> list[str]:
    if isinstance(by, str):
        by = (by,)
    if (
        not isinstance(by, Iterable)
        or not (by := list(by))
        or not all(isinstance(c, str) for c in by)
    ):
        raise ValueError(
            "Параметр `by` должен быть непустым списком названий столбцов, например "
            f"('school_id', 'year'), передано {by!r}"
        )
    return by


def _as_float(series: pd.Series) -> pd.Series:
    """Numbers as float64 with NaN for missing (nullable Int64 included)."""
    return pd.to_numeric(series, errors="coerce").astype("float64")


_NUMERIC = ("score", "mark", "journal_mark")


def _select(results: pd.DataFrame, rows: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
    """Return the chosen rows and columns: positional index, marks and scores as floats.

    Works whatever the caller's index (duplicates included); ``results`` is
    not modified.
    """
    columns = list(dict.fromkeys(columns))
    out = results.loc[rows, columns].reset_index(drop=True)
    for c in _NUMERIC:
        if c in out.columns:
            out[c] = _as_float(out[c])
    return out


# ---------------------------------------------------------------- ВПР vs journal


def marks_vs_journal(
    results: pd.DataFrame,
    *,
    by: Sequence[str] = _JOURNAL_BY,
    min_n: int = 5,
    alpha: float = 0.05,
    assessment: str = "ВПР",
) -> pd.DataFrame:
    """ВПР marks against journal marks: «понизили», «подтвердили», «повысили».

    Only rows of ``assessment`` (ВПР by default) are used. A pupil is counted
    when both marks are known; pupils without a journal mark are **not
    counted** (their number is reported in ``n_no_journal``), nor are pupils
    with a journal mark but no ВПР mark (``n_no_mark``).

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``assessment``, ``mark`` and ``journal_mark``
        (marks 2–5, missing allowed) and the ``by`` columns.
    by : sequence of str, keyword-only
        Grouping columns.
    min_n : int, keyword-only
        Groups with fewer pupils having both marks are flagged ``small``.
    alpha : float, keyword-only
        1 − confidence level of the Wilson intervals.
    assessment : str, keyword-only
        The procedure whose marks are compared with the journal.

    Returns
    -------
    DataFrame
        One row per group, sorted by ``by``:

        ``by`` columns
            the group;
        ``n``
            pupils with both a ВПР mark and a journal mark;
        ``n_lower``, ``n_equal``, ``n_higher``
            pupils whose ВПР mark is below («понизили»), equal to
            («подтвердили») or above («повысили») their journal mark;
        ``n_gap2``
            pupils whose marks differ by 2 or more (either way);
        ``share_lower``, ``share_equal``, ``share_higher``, ``share_gap2``
            the counts divided by ``n`` (NaN when ``n`` is 0);
        ``<share>_low``, ``<share>_high``
            Wilson bounds of each share;
        ``n_no_journal``
            pupils of the group without a journal mark, left out;
        ``n_no_mark``
            pupils with a journal mark but no ВПР mark, left out;
        ``small``
            ``n`` < ``min_n``.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    The three shares sum to 1. Intervals: Wilson (1927), via
    :func:`edu_quality.intervals.wilson`. The comparison is the one of the
    ФИС ОКО reports «Сравнение отметок с отметками по журналу».

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "school_id": ["1"] * 4, "year": [2023] * 4, "subject": ["Математика"] * 4,
    ...     "grade": [4] * 4, "assessment": ["ВПР"] * 4,
    ...     "mark": pd.array([3, 4, 5, 4], dtype="Int64"),
    ...     "journal_mark": pd.array([4, 4, 3, None], dtype="Int64")})
    >>> row = marks_vs_journal(results).iloc[0]
    >>> [int(row[c]) for c in ("n", "n_lower", "n_equal", "n_higher", "n_gap2", "n_no_journal")]
    [3, 1, 1, 1, 1, 1]
    >>> bool(row["small"])
    True
    """
    by = _check_by(by)
    min_n = _check_min_n(min_n, minimum=0)
    alpha = _check_alpha(alpha)
    _require(
        results, [*by, "assessment", "mark", "journal_mark"], "сравнения с отметками по журналу"
    )
    data = _select(
        results, (results["assessment"] == assessment).to_numpy(), [*by, "mark", "journal_mark"]
    )
    mark = _as_float(data["mark"])
    journal = _as_float(data["journal_mark"])
    both = mark.notna() & journal.notna()
    diff = mark - journal
    frame = data[by].assign(
        n=both,
        n_lower=both & (diff < 0),
        n_equal=both & (diff == 0),
        n_higher=both & (diff > 0),
        n_gap2=both & (diff.abs() >= 2),
        n_no_journal=journal.isna(),
        n_no_mark=mark.isna() & journal.notna(),
    )
    counts = ["n", "n_lower", "n_equal", "n_higher", "n_gap2", "n_no_journal", "n_no_mark"]
    out = (
        frame.groupby(by, sort=True, dropna=False, observed=True)[counts]
        .sum()
        .astype("int64")
        .reset_index()
    )
    n = out["n"].astype("float64")
    shares = []
    for part in ("lower", "equal", "higher", "gap2"):
        name = f"share_{part}"
        out[name] = out[f"n_{part}"] / n.where(n > 0)
        out[f"{name}_low"], out[f"{name}_high"] = wilson(out[f"n_{part}"], n, alpha=alpha)
        shares += [name, f"{name}_low", f"{name}_high"]
    out["small"] = out["n"] < min_n
    out = out[[*by, *counts[:5], *shares, "n_no_journal", "n_no_mark", "small"]]
    out.attrs.update(alpha=alpha, min_n=min_n, assessment=assessment)
    return out


# ---------------------------------------------------------------- federal sign 1


def _t_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, alpha: float):
    """Student t interval of a mean, mean ± t(1 − α/2, n − 1)·sd/√n; NaN where n < 2."""
    df = (n - 1).where(n >= 2).astype("float64")
    half = pd.Series(np.nan, index=mean.index)
    ok = df.notna() & sd.notna()
    if ok.any():
        half[ok] = stats.t.ppf(1 - alpha / 2, df[ok].to_numpy()) * (sd[ok] / np.sqrt(n[ok]))
    return mean - half, mean + half


def sign_high_mean(
    results: pd.DataFrame,
    *,
    assessments: Sequence[tuple[str, int]] = _HIGH_MEAN_ASSESSMENTS,
    subjects: Sequence[str] = _SUBJECTS,
    alpha: float = 0.05,
    min_n: int = 5,
) -> pd.DataFrame:
    """Federal sign «высокие результаты»: the school's mean lies wholly above the region's.

    For each year, procedure, subject and grade, the school's confidence
    interval of the mean primary score is compared with the region's interval
    of the mean; the school is flagged when its lower bound is above the
    region's upper bound.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id`` and ``score`` (primary score; pupils without
        a score are left out).
    assessments : sequence of (str, int), keyword-only
        The (procedure, grade) pairs examined: ВПР in grades 4 and 5 and ОГЭ in
        grade 9 by default.
    subjects : sequence of str, keyword-only
        Subjects examined.
    alpha : float, keyword-only
        1 − confidence level (0.05: 95 % intervals, as in the federal method).
    min_n : int, keyword-only
        Schools with fewer pupils in the group are not judged (``flag`` False,
        explained in ``note``). The federal text sets no minimum; this is an
        edu_quality safeguard. ``min_n=2`` (the least an interval needs) gives
        the literal reading.

    Returns
    -------
    DataFrame
        One row per school, year, procedure, subject and grade, sorted:

        ``year``, ``assessment``, ``subject``, ``grade``, ``school_id``
            the group;
        ``n``
            the school's pupils with a score;
        ``school_mean``, ``school_low``, ``school_high``
            the school's mean primary score and its t-interval;
        ``region_n``
            pupils of the region (all pupils in the data for that year,
            procedure, subject and grade, the school's own included);
        ``region_mean``, ``region_low``, ``region_high``
            the region's mean primary score and its t-interval;
        ``flag``
            ``school_low > region_high`` for a judged school;
        ``note``
            why the row was not judged (empty when it was);
        ``source``
            :data:`SOURCE_HIGH_MEAN`.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    Source: :data:`FEDERAL_METHOD`, sign «высокие результаты». Intervals are
    Student t intervals over pupils, mean ± t(1 − α/2, n − 1)·s/√n with the
    sample standard deviation s (quantile from ``scipy.stats.t``); the region's
    interval treats its pupils as independent, as the federal method does.
    A school whose scores are all equal has a zero-width interval.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Математика", "grade": 4,
    ...     "school_id": ["1"] * 5 + ["2"] * 5 + ["3"] * 5,
    ...     "score": [19, 20, 18, 20, 19, 8, 10, 9, 11, 7, 9, 10, 8, 12, 11.0]})
    >>> out = sign_high_mean(results)
    >>> out[["school_id", "flag"]].to_dict("list")
    {'school_id': ['1', '2', '3'], 'flag': [True, False, False]}
    """
    pairs = _check_assessments(assessments)
    subjects = _check_strings("subjects", subjects, "('Математика', 'Русский язык')")
    alpha = _check_alpha(alpha)
    min_n = _check_min_n(min_n)
    keys = ["year", "assessment", "subject", "grade"]
    _require(results, [*keys, "school_id", "score"], "признака «высокие результаты»")
    wanted = np.zeros(len(results), dtype=bool)
    for assessment, grade in pairs:
        wanted |= ((results["assessment"] == assessment) & (results["grade"] == grade)).to_numpy()
    wanted &= results["subject"].isin(subjects).to_numpy()
    data = _select(results, wanted, [*keys, "school_id", "score"])
    data = data[data["score"].notna()]

    school = (
        data.groupby([*keys, "school_id"], sort=True, observed=True)["score"]
        .agg(n="count", school_mean="mean", _sd="std")
        .reset_index()
    )
    region = (
        data.groupby(keys, sort=True, observed=True)["score"]
        .agg(region_n="count", region_mean="mean", _rsd="std")
        .reset_index()
    )
    school["school_low"], school["school_high"] = _t_interval(
        school["school_mean"], school["_sd"], school["n"], alpha
    )
    region["region_low"], region["region_high"] = _t_interval(
        region["region_mean"], region["_rsd"], region["region_n"], alpha
    )
    out = school.merge(region, on=keys, how="left", validate="many_to_one")
    note = pd.Series("", index=out.index, dtype="str")
    note[out["region_low"].isna()] = "нет интервала по региону: меньше 2 участников"
    note[out["school_low"].isna()] = "нет интервала по школе: меньше 2 участников"
    note[out["n"] < min_n] = f"меньше {min_n} участников: признак не оценивается"
    judged = note == ""
    out["flag"] = judged & (out["school_low"] > out["region_high"])
    out["note"] = note
    out["source"] = SOURCE_HIGH_MEAN
    out["n"] = out["n"].astype("int64")
    out["region_n"] = out["region_n"].astype("int64")
    out = out[
        [
            *keys,
            "school_id",
            "n",
            "school_mean",
            "school_low",
            "school_high",
            "region_n",
            "region_mean",
            "region_low",
            "region_high",
            "flag",
            "note",
            "source",
        ]
    ]
    out.attrs.update(alpha=alpha, min_n=min_n)
    return out


# ---------------------------------------------------------------- federal sign 2


def sign_journal_mismatch(
    results: pd.DataFrame,
    *,
    grades: Sequence[int] = (4, 5),
    subjects: Sequence[str] = _SUBJECTS,
    min_n: int = 5,
    require_significance: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Federal sign «несоответствие результатов ВПР отметкам по журналу».

    Within each school (ВПР, year, subject, grade), the Spearman rank
    correlation between the pupils' journal marks and their ВПР primary
    scores; the school is flagged when the correlation is negative.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id``, ``score`` and ``journal_mark``; only ВПР rows
        with both a score and a journal mark are used.
    grades : sequence of int, keyword-only
        Grades examined.
    subjects : sequence of str, keyword-only
        Subjects examined.
    min_n : int, keyword-only
        Schools with fewer such pupils are not judged (``note`` says so). The
        federal text sets no minimum; 5 is an edu_quality safeguard (with 3–4
        pupils a negative rank correlation arises by chance all too often).
        ``min_n=3`` is the least for which a rank correlation means anything.
    require_significance : bool, keyword-only
        False (default, the federal wording «отрицательная корреляция»): flag
        every negative correlation. True: flag only when also ``p_value`` <
        ``alpha``.
    alpha : float, keyword-only
        Significance level used when ``require_significance`` is True.

    Returns
    -------
    DataFrame
        One row per school, year, subject and grade, sorted:

        ``year``, ``assessment``, ``subject``, ``grade``, ``school_id``
            the group (``assessment`` is always «ВПР»);
        ``n``
            pupils with both a journal mark and a score;
        ``rho``
            Spearman's rank correlation (NaN when undefined or not judged);
        ``p_value``
            one-sided p-value of the hypothesis «the correlation is negative»
            (``scipy.stats.spearmanr(..., alternative="less")``);
        ``flag``
            ``rho < 0`` (and ``p_value < alpha`` when
            ``require_significance``) for a judged school;
        ``note``
            why the row was not judged: too few pupils, or the correlation is
            undefined because every pupil has the same journal mark (or the
            same score) — no flag then;
        ``source``
            :data:`SOURCE_JOURNAL_MISMATCH`.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    Source: :data:`FEDERAL_METHOD`, sign «несоответствие результатов ВПР
    отметкам по журналу»: a negative correlation between current marks and
    the results of the work. Ties (journal marks take only four values) get
    average ranks; the p-value uses the t approximation of ``spearmanr`` and is
    rough for small schools — one reason significance is optional.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Математика", "grade": 4,
    ...     "school_id": ["1"] * 5 + ["2"] * 5,
    ...     "score": [4, 8, 12, 16, 20] * 2,
    ...     "journal_mark": pd.array([2, 3, 3, 4, 5, 5, 5, 4, 3, 2], dtype="Int64")})
    >>> out = sign_journal_mismatch(results)
    >>> out["rho"].round(3).tolist(), out["flag"].tolist()
    ([0.975, -0.975], [False, True])
    """
    grades = _check_grades(grades)
    subjects = _check_strings("subjects", subjects, "('Математика', 'Русский язык')")
    min_n = _check_min_n(min_n, minimum=2)
    require_significance = _check_bool("require_significance", require_significance)
    alpha = _check_alpha(alpha)
    keys = ["year", "assessment", "subject", "grade", "school_id"]
    _require(
        results,
        [*keys, "score", "journal_mark"],
        "признака «несоответствие результатов ВПР отметкам по журналу»",
    )
    wanted = (
        (results["assessment"] == "ВПР")
        & results["grade"].isin(grades)
        & results["subject"].isin(subjects)
    ).to_numpy()
    data = _select(results, wanted, [*keys, "score", "journal_mark"])
    data = data.rename(columns={"journal_mark": "journal"})
    data = data[data["score"].notna() & data["journal"].notna()]
    journal_all = data["journal"].to_numpy()
    score_all = data["score"].to_numpy()
    rows = []
    for key, positions in data.groupby(keys, sort=True, observed=True).indices.items():
        journal, score = journal_all[positions], score_all[positions]
        n = len(positions)
        rho = p = np.nan
        if n < min_n:
            note = f"меньше {min_n} участников с отметкой по журналу: признак не оценивается"
        elif np.ptp(journal) == 0:
            note = "корреляция не определена: у всех участников одна и та же отметка по журналу"
        elif np.ptp(score) == 0:
            note = "корреляция не определена: у всех участников один и тот же балл ВПР"
        else:
            note = ""
            res = stats.spearmanr(journal, score, alternative="less")
            rho, p = float(res.statistic), float(res.pvalue)
        rows.append((*key, n, rho, p, note))
    rows.sort(key=lambda row: row[: len(keys)])
    out = pd.DataFrame(rows, columns=[*keys, "n", "rho", "p_value", "note"])
    out = out.astype(
        {
            "year": "int64",
            "assessment": "str",
            "subject": "str",
            "grade": "int64",
            "school_id": "str",
            "n": "int64",
            "rho": "float64",
            "p_value": "float64",
            "note": "str",
        }
    )
    flag = (out["note"] == "") & (out["rho"] < 0)
    if require_significance:
        flag &= out["p_value"] < alpha
    out["flag"] = flag.astype("bool")
    out["source"] = SOURCE_JOURNAL_MISMATCH
    out = out[[*keys, "n", "rho", "p_value", "flag", "note", "source"]]
    out.attrs.update(min_n=min_n, require_significance=require_significance, alpha=alpha)
    return out


# ---------------------------------------------------------------- federal sign 3


def _with_max_score(data: pd.DataFrame, max_scores: pd.DataFrame) -> pd.Series:
    """Look up the maximum primary score of each row of ``data`` (subject, grade[, year])."""
    if not isinstance(max_scores, pd.DataFrame):
        raise ValueError(
            "Параметр `max_scores` должен быть таблицей (DataFrame) со столбцами subject, "
            f"grade, max_score (и, если нужно, year), передано {type(max_scores).__name__}"
        )
    _require(
        max_scores,
        ["subject", "grade", "max_score"],
        "признака «резкое изменение результатов» (таблица максимальных баллов)",
        table="max_scores",
    )
    on = ["subject", "grade", "year"] if "year" in max_scores.columns else ["subject", "grade"]
    table = max_scores[[*on, "max_score"]].assign(max_score=_as_float(max_scores["max_score"]))
    problems = []
    dup = table.duplicated(on, keep=False)
    if dup.any():
        for row in table.loc[dup, on].drop_duplicates().itertuples(index=False):
            problems.append(
                Problem(
                    None,
                    "max_score",
                    "максимальный балл задан дважды для "
                    + ", ".join(f"{c} = {v}" for c, v in zip(on, row, strict=True)),
                )
            )
    bad = ~(table["max_score"] > 0)
    if bad.any():
        problems.append(
            Problem(None, "max_score", "максимальный балл должен быть положительным числом")
        )
    if problems:
        raise DataError("max_scores", problems)
    merged = data[on].merge(table, on=on, how="left", validate="many_to_one")
    missing = merged["max_score"].isna()
    if missing.any():
        combos = merged.loc[missing, on].drop_duplicates().sort_values(on)
        raise DataError(
            "max_scores",
            [
                Problem(
                    None,
                    "max_score",
                    "нет максимального балла для "
                    + ", ".join(f"{c} = {v}" for c, v in zip(on, row, strict=True)),
                )
                for row in combos.itertuples(index=False)
            ],
        )
    max_score = pd.Series(merged["max_score"].to_numpy(), index=data.index)
    over = data["score"] > max_score
    if over.any():
        combos = data.loc[over, on].drop_duplicates().sort_values(on)
        raise DataError(
            None,
            [
                Problem(
                    None,
                    "score",
                    "балл больше максимального из `max_scores` для "
                    + ", ".join(f"{c} = {v}" for c, v in zip(on, row, strict=True)),
                )
                for row in combos.itertuples(index=False)
            ],
        )
    return max_score


def sign_cohort_change(
    results: pd.DataFrame,
    *,
    max_scores: pd.DataFrame,
    subjects: Sequence[str] = _SUBJECTS,
    k_iqr: float = 3.0,
    min_n: int = 5,
) -> pd.DataFrame:
    """Federal sign «резкое изменение результатов при переходе из 4 в 5 класс».

    K = S(4 класс, год Y) / S(5 класс, год Y + 1) per school and subject,
    where S is the school's mean percentage of the maximum primary score of
    the ВПР. A sharp fall (K far above the others: grade-4 results were high
    and did not hold in grade 5) is flagged when K > Q75 + k_iqr·IQR; a sharp
    rise when K < Q25 − k_iqr·IQR; the quartiles are taken over all judged
    schools of the subject and pair of years.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id`` and ``score``; ВПР rows of grades 4 and 5 with
        a score are used.
    max_scores : DataFrame, keyword-only
        Maximum primary score of the work: columns ``subject``, ``grade``,
        ``max_score`` and optionally ``year`` (when the work changed between
        years). Every subject and grade (and year) used must be present.
    subjects : sequence of str, keyword-only
        Subjects examined.
    k_iqr : float, keyword-only
        Multiplier of the interquartile range (3 in the federal method).
    min_n : int, keyword-only
        Schools with fewer pupils in either grade are not judged and do not
        enter the quartiles. The federal text sets no minimum; 5 is an
        edu_quality safeguard; ``min_n=1`` gives the literal reading.

    Returns
    -------
    DataFrame
        One row per school, subject and pair of years in which the school has
        both grade 4 (year Y) and grade 5 (year Y + 1), sorted:

        ``year``
            Y + 1, the year of the grade-5 work (when the sign can be seen);
        ``year_grade4``
            Y;
        ``assessment``, ``subject``, ``school_id``
            the group (``assessment`` is always «ВПР»);
        ``n_grade4``, ``n_grade5``
            pupils with a score in each grade;
        ``s_grade4``, ``s_grade5``
            mean percentage of the maximum score (0–100);
        ``k``
            ``s_grade4 / s_grade5`` (NaN when ``s_grade5`` is 0);
        ``q25``, ``q75``, ``iqr``
            quartiles of ``k`` over the judged schools of the subject and pair
            of years, and Q75 − Q25;
        ``upper``, ``lower``
            Q75 + k_iqr·IQR and Q25 − k_iqr·IQR;
        ``direction``
            «резкое снижение» (k > upper), «резкий рост» (k < lower), or empty;
        ``flag``
            ``direction`` is not empty;
        ``note``
            why the row was not judged (empty when it was);
        ``source``
            :data:`SOURCE_COHORT_CHANGE`.

    Raises
    ------
    DataError
        A needed column is missing; ``max_scores`` lacks a subject/grade used,
        repeats one, or has a non-positive maximum; a score exceeds its
        maximum.
    ValueError
        An option is invalid.

    Notes
    -----
    Source: :data:`FEDERAL_METHOD`, sign «резкое изменение результатов при
    переходе из 4 в 5 класс». The school is matched with itself (the same
    ``school_id``), not pupil by pupil: the federal method compares the
    school's cohort as a whole. Quartiles are linear-interpolated
    (``numpy.percentile``, the same as Excel's КВАРТИЛЬ.ВКЛ); the inequalities
    are strict (up to rounding error, 1e-9 relative), so with one school
    (IQR = 0) nothing is flagged. A K of a school that is not judged (too few
    pupils) is shown but not flagged and does not enter the quartiles.

    Examples
    --------
    One pupil per school, to keep it short (hence ``min_n=1``):

    >>> results = pd.DataFrame({
    ...     "year": [2022] * 6 + [2023] * 6, "assessment": "ВПР", "subject": "Математика",
    ...     "grade": [4] * 6 + [5] * 6, "school_id": list("123456") * 2,
    ...     "score": [10, 12, 14, 16, 18, 20, 10, 12, 14, 16, 18, 5.0]})
    >>> max_scores = pd.DataFrame({"subject": ["Математика"] * 2, "grade": [4, 5],
    ...                            "max_score": [20, 20]})
    >>> out = sign_cohort_change(results, max_scores=max_scores, min_n=1)
    >>> out[["school_id", "k", "direction"]].tail(2).to_dict("list")
    {'school_id': ['5', '6'], 'k': [1.0, 4.0], 'direction': ['', 'резкое снижение']}
    """
    subjects = _check_strings("subjects", subjects, "('Математика', 'Русский язык')")
    k_iqr = _check_positive("k_iqr", k_iqr)
    min_n = _check_min_n(min_n)
    keys = ["year", "assessment", "subject", "grade", "school_id"]
    _require(results, [*keys, "score"], "признака «резкое изменение результатов»")
    wanted = (
        (results["assessment"] == "ВПР")
        & results["grade"].isin((4, 5))
        & results["subject"].isin(subjects)
    ).to_numpy()
    data = _select(results, wanted, [*keys, "score"])
    data = data[data["score"].notna()].reset_index(drop=True)
    data = data.assign(pct=data["score"] / _with_max_score(data, max_scores) * 100)

    s = (
        data.groupby(["year", "subject", "grade", "school_id"], sort=True, observed=True)["pct"]
        .agg(n="count", s="mean")
        .reset_index()
    )
    g4 = (
        s[s["grade"] == 4]
        .drop(columns="grade")
        .rename(columns={"year": "year_grade4", "n": "n_grade4", "s": "s_grade4"})
    )
    g5 = s[s["grade"] == 5].drop(columns="grade").rename(columns={"n": "n_grade5", "s": "s_grade5"})
    g4 = g4.assign(year=g4["year_grade4"] + 1)
    out = g4.merge(g5, on=["year", "subject", "school_id"], how="inner", validate="one_to_one")
    out["k"] = out["s_grade4"] / out["s_grade5"].where(out["s_grade5"] > 0)
    note = pd.Series("", index=out.index, dtype="str")
    note[out["k"].isna()] = "средний процент выполнения в 5 классе равен 0: K не определён"
    note[(out["n_grade4"] < min_n) | (out["n_grade5"] < min_n)] = (
        f"меньше {min_n} участников в 4 или 5 классе: признак не оценивается"
    )
    out["note"] = note
    judged = out[note == ""]
    quart = (
        judged.groupby(["subject", "year"], sort=True)["k"]
        .agg(q25=lambda k: np.percentile(k, 25), q75=lambda k: np.percentile(k, 75))
        .reset_index()
    )
    out = out.merge(quart, on=["subject", "year"], how="left", validate="many_to_one")
    out["iqr"] = out["q75"] - out["q25"]
    out["upper"] = out["q75"] + k_iqr * out["iqr"]
    out["lower"] = out["q25"] - k_iqr * out["iqr"]
    ok = out["note"] == ""
    # strict inequalities up to rounding error: with IQR = 0, K equal to the
    # quartile but for the last bit must not be flagged
    tol = 1e-9 * np.maximum(1.0, out[["upper", "lower"]].abs().max(axis=1))
    fall = ok & (out["k"] > out["upper"] + tol)
    rise = ok & (out["k"] < out["lower"] - tol)
    out["direction"] = np.where(fall, _FALL, np.where(rise, _RISE, ""))
    out["direction"] = out["direction"].astype("str")
    out["flag"] = (fall | rise).astype("bool")
    out["assessment"] = "ВПР"
    out["source"] = SOURCE_COHORT_CHANGE
    for c in ("year", "year_grade4", "n_grade4", "n_grade5"):
        out[c] = out[c].astype("int64")
    out = out[
        [
            "year",
            "year_grade4",
            "assessment",
            "subject",
            "school_id",
            "n_grade4",
            "n_grade5",
            "s_grade4",
            "s_grade5",
            "k",
            "q25",
            "q75",
            "iqr",
            "upper",
            "lower",
            "direction",
            "flag",
            "note",
            "source",
        ]
    ]
    out = out.sort_values(["year", "subject", "school_id"], ignore_index=True)
    out.attrs.update(k_iqr=k_iqr, min_n=min_n)
    return out


# ---------------------------------------------------------------- the index


@dataclass(frozen=True)
class ObjectivityIndex:
    """Result of :func:`objectivity_index`.

    Attributes
    ----------
    schools : DataFrame
        One row per school and year, sorted:

        ``year``, ``school_id``
            the school and year;
        ``high_mean``, ``journal_mismatch``, ``cohort_change``
            nullable booleans: whether the sign is seen on the school in any
            of its rows for that year (for the journal sign, with
            ``require_significance``, only a significant negative correlation
            counts); ``<NA>`` when the sign could not be judged for the school
            that year (no data, too few pupils);
        ``n_signs``
            how many of the three signs mark the school that year (0–3);
        ``evaluated``
            at least one sign was judged (the school counts in the index);
        ``flagged``
            ``n_signs >= min_signs``: the school is marked (2 coinciding signs
            by default);
        ``message``
            for a marked school, «признаки необъективности: требуется
            проверка — …» with the signs and the subjects/grades they concern;
            for a school with signs but fewer than ``min_signs``, «отдельный
            признак (для отметки нужно совпадение не менее 2 признаков): …»
            (see :data:`MESSAGE_SINGLE_SIGN`; a note, not a mark); for a school
            with no sign, «признаков необъективности не выявлено»; for a
            school not evaluated, «недостаточно данных: ни один признак не
            оценён»;
        ``source``
            :data:`FEDERAL_METHOD`.

        ``attrs`` record ``min_signs`` and ``require_significance``.
    region : DataFrame
        One row per year:

        ``year``
            the year;
        ``n_schools``
            schools with at least one sign judged (``evaluated``);
        ``n_flagged``
            of those, schools marked (``flagged``: at least ``min_signs``
            signs);
        ``n_one_sign``
            of those, schools with at least one sign (the literal one-sign
            reading, for comparison);
        ``n_high_mean``, ``n_journal_mismatch``, ``n_cohort_change``
            schools on which each sign is seen (whether or not marked);
        ``share_flagged``
            100 · n_flagged / n_schools, per cent;
        ``index``
            the region's objectivity index, 100 − ``share_flagged`` (NaN
            in a year with no school judged);
        ``index_one_sign``
            100 − 100 · n_one_sign / n_schools: what the index would be if one
            sign were enough, shown for comparison;
        ``source``
            :data:`FEDERAL_METHOD`.

        ``attrs`` record ``min_signs`` and ``require_significance``.
    signs : dict of str to DataFrame
        The three sign tables, under ``high_mean``, ``journal_mismatch`` and
        ``cohort_change``, for the numbers behind each mark (the journal table
        computed with the index's ``require_significance``).
    """

    schools: pd.DataFrame
    region: pd.DataFrame
    signs: dict[str, pd.DataFrame] = field(default_factory=dict)


def _describe(sign: str, table: pd.DataFrame) -> pd.Series:
    """Text per flagged row: where the sign was seen."""
    if sign == "high_mean":
        return (
            table["assessment"]
            + ", "
            + table["subject"]
            + ", "
            + table["grade"].astype("str")
            + " класс"
        )
    if sign == "journal_mismatch":
        return table["subject"] + ", " + table["grade"].astype("str") + " класс"
    return (
        table["subject"]
        + ": "
        + table["direction"]
        + " ("
        + table["year_grade4"].astype("str")
        + "→"
        + table["year"].astype("str")
        + ")"
    )


def _message(details: list[str], flagged: bool, evaluated: bool, min_signs: int) -> str:
    """The ``message`` of one school and year of :func:`objectivity_index`."""
    if flagged:
        return f"{MESSAGE_FLAGGED} — " + "; ".join(details)
    if details:
        what = "отдельный признак" if len(details) == 1 else "отдельные признаки"
        return (
            MESSAGE_SINGLE_SIGN.format(what=what, min_signs=min_signs) + ": " + "; ".join(details)
        )
    if evaluated:
        return "признаков необъективности не выявлено"
    return "недостаточно данных: ни один признак не оценён"


def objectivity_index(
    results: pd.DataFrame,
    *,
    max_scores: pd.DataFrame,
    subjects: Sequence[str] = _SUBJECTS,
    assessments: Sequence[tuple[str, int]] = _HIGH_MEAN_ASSESSMENTS,
    grades: Sequence[int] = (4, 5),
    alpha: float = 0.05,
    min_n: int = 5,
    min_signs: int = 2,
    require_significance: bool = True,
    k_iqr: float = 3.0,
) -> ObjectivityIndex:
    """Schools with signs of non-objective results and the region's objectivity index.

    Applies the three federal signs — :func:`sign_high_mean`,
    :func:`sign_journal_mismatch`, :func:`sign_cohort_change` — and marks a
    school in a year when at least ``min_signs`` of them (two by default)
    coincide that year. The region's index is 100 − the percentage of marked
    schools among the schools for which at least one sign could be judged.
    A school with signs, but fewer than ``min_signs``, is listed with its
    signs and a neutral note, and is not marked. The rules of
    :func:`extra_signs` are not used here.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results (see the sign functions for the columns).
    max_scores : DataFrame, keyword-only
        Maximum primary scores, see :func:`sign_cohort_change`.
    subjects : sequence of str, keyword-only
        Subjects examined by all three signs.
    assessments : sequence of (str, int), keyword-only
        (procedure, grade) pairs of :func:`sign_high_mean`.
    grades : sequence of int, keyword-only
        Grades of :func:`sign_journal_mismatch`.
    alpha : float, keyword-only
        1 − confidence level of :func:`sign_high_mean`, and the significance
        level of :func:`sign_journal_mismatch` when ``require_significance``.
    min_n : int, keyword-only
        Minimum pupils for a group to be judged, passed to every sign (at
        least 2 for the journal sign, which needs two pupils to rank).
    min_signs : int, keyword-only
        How many of the three signs must coincide in a school and year for the
        school to be marked: 2 by default (see Notes); 1 is the literal
        reading, 3 the strictest.
    require_significance : bool, keyword-only
        Passed to :func:`sign_journal_mismatch`: True (default here) counts
        only a negative correlation significant at ``alpha``; False, any
        negative correlation (the literal wording, and the default of
        :func:`sign_journal_mismatch` itself).
    k_iqr : float, keyword-only
        Passed to :func:`sign_cohort_change`.

    Returns
    -------
    ObjectivityIndex
        ``schools`` (per school and year), ``region`` (per year) and ``signs``
        (the three tables); every column is described in
        :class:`ObjectivityIndex`. The region table also gives
        ``index_one_sign``, the index if one sign were enough, for comparison;
        ``attrs`` of both tables record ``min_signs`` and
        ``require_significance``.

    Raises
    ------
    DataError
        A needed column is missing, or ``max_scores`` is incomplete.
    ValueError
        An option is invalid.

    Notes
    -----
    Source: :data:`FEDERAL_METHOD`. A school's year is the year of the work;
    for the cohort sign it is the year of the grade-5 work (Y + 1). A school
    with no judged sign in a year (too few pupils everywhere) is listed with
    ``evaluated`` False and does not enter the index. A mark is a reason for
    a check, never a verdict.

    *Reading of the method.* The sign tables apply each rule as the method
    words it; the index reads them together. Sign (a) compares levels: a
    school whose mean is, beyond noise, above the region's is marked, and a
    genuinely strong honest school meets that rule exactly as an inflating one
    does — the level alone cannot tell them apart. Inflation leaves more than
    one trace (a high mean together with journal marks that do not follow
    the scores, or with a grade-4 result that does not hold in grade 5), so
    the index asks for at least two coinciding signs, and for a significant
    negative correlation in sign (b), whose literal form («any negative
    correlation», even on five pupils) marks small schools by chance.
    ``min_signs=1, require_significance=False`` gives the literal reading.
    Measured (ВПР and ОГЭ of :func:`edu_quality.synthetic.make_region`, 44
    schools over 4 years, 4 of them planted as inflating): the default
    reading marks all 4 inflating schools in every year (16 of 16
    school-years) and none of the 40 honest ones (0 of 159 school-years;
    seeds 1 and 3: none, seed 2: one honest school-year of 160, high results
    with a sharp cohort change); the literal reading marks 20 of the 40
    honest schools at least once (48 school-years, 46 of them by sign (a)
    alone), mostly the strongest ones (the 12 honest schools of highest true
    ability are all among them); two signs with the literal sign (b) mark
    one honest school-year of 5 pupils by chance. Altai Krai, ВПР 2021 (ФИС
    ОКО files): the literal reading gives an index of 67,3 (205 of 627
    schools marked, 204 of them by sign (a)); the default, 100,0 (no school
    has two coinciding signs: 204 schools have sign (a) alone, no negative
    correlation is significant, and sign (c) cannot be judged without grade 5
    of 2022) — there the index says that signs do not coincide, not that the
    marking was checked. With ``min_signs`` ≥ 2, a school for which only one
    sign can be judged cannot be marked: read ``index`` with
    ``index_one_sign`` and the sign counts beside it.

    Examples
    --------
    School 1 has high results only; school 4 has high results and journal
    marks that run against the scores:

    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Математика", "grade": 4,
    ...     "school_id": ["1"] * 5 + ["2"] * 5 + ["3"] * 5 + ["4"] * 5,
    ...     "score": [19, 20, 18, 20, 19, 8, 10, 9, 11, 7, 9, 10, 8, 12, 11,
    ...               20, 19, 18, 20, 18.0],
    ...     "journal_mark": pd.array([5, 5, 4, 5, 5, 3, 3, 3, 4, 2, 3, 4, 3, 4, 4,
    ...                               2, 3, 4, 2, 5], dtype="Int64")})
    >>> max_scores = pd.DataFrame({"subject": ["Математика"], "grade": [4], "max_score": [20]})
    >>> res = objectivity_index(results, max_scores=max_scores)
    >>> row = res.region.iloc[0]
    >>> [int(row[c]) for c in ("n_schools", "n_flagged", "n_one_sign")]
    [4, 1, 2]
    >>> float(row["index"]), float(row["index_one_sign"])
    (75.0, 50.0)
    >>> res.schools[["school_id", "n_signs", "flagged"]].to_dict("list")
    {'school_id': ['1', '2', '3', '4'], 'n_signs': [1, 0, 0, 2], 'flagged': [False, False, False, True]}
    >>> print(res.schools.loc[0, "message"])
    отдельный признак (для отметки нужно совпадение не менее 2 признаков): высокие результаты: ВПР, Математика, 4 класс
    >>> print(res.schools.loc[3, "message"])  # doctest: +NORMALIZE_WHITESPACE
    признаки необъективности: требуется проверка — высокие результаты: ВПР, Математика,
    4 класс; отрицательная корреляция отметок по журналу и баллов ВПР: Математика, 4 класс

    The literal reading marks both schools:

    >>> literal = objectivity_index(results, max_scores=max_scores, min_signs=1,
    ...                             require_significance=False)
    >>> int(literal.region.loc[0, "n_flagged"]), float(literal.region.loc[0, "index"])
    (2, 50.0)
    """
    min_n = _check_min_n(min_n)
    min_signs = _check_min_signs(min_signs)
    require_significance = _check_bool("require_significance", require_significance)
    signs = {
        "high_mean": sign_high_mean(
            results, assessments=assessments, subjects=subjects, alpha=alpha, min_n=min_n
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
    sign_cols = list(signs)
    parts = []
    for sign, table in signs.items():
        judged = table["note"] == ""
        flag = table["flag"] & judged
        parts.append(
            pd.DataFrame(
                {
                    "year": table["year"].astype("int64"),
                    "school_id": table["school_id"].astype("str"),
                    "sign": sign,
                    "judged": judged,
                    "flag": flag,
                    "where": _describe(sign, table).where(flag, ""),
                }
            )
        )
    long = pd.concat(parts, ignore_index=True)
    per = long.groupby(["year", "school_id", "sign"], sort=True).agg(
        judged=("judged", "any"),
        flag=("flag", "any"),
        where=("where", lambda w: "; ".join(x for x in w if x)),
    )
    keys = ["year", "school_id"]
    schools = long[keys].drop_duplicates().sort_values(keys, ignore_index=True)
    index = pd.MultiIndex.from_frame(schools)
    details = [[] for _ in range(len(schools))]
    for sign in sign_cols:
        part = per.xs(sign, level="sign") if sign in per.index.get_level_values("sign") else None
        judged = np.zeros(len(schools), dtype=bool)
        flag = np.zeros(len(schools), dtype=bool)
        where = np.full(len(schools), "", dtype=object)
        if part is not None:
            judged = part["judged"].reindex(index, fill_value=False).to_numpy(dtype=bool)
            flag = part["flag"].reindex(index, fill_value=False).to_numpy(dtype=bool)
            where = part["where"].reindex(index, fill_value="").to_numpy(dtype=object)
        column = pd.array(flag, dtype="boolean")
        column[~judged] = pd.NA
        schools[sign] = column
        for i in np.flatnonzero(flag):
            details[i].append(f"{_SIGN_NAMES[sign]}: {where[i]}")
    schools["n_signs"] = schools[sign_cols].fillna(False).astype("int64").sum(axis=1)
    schools["evaluated"] = schools[sign_cols].notna().any(axis=1)
    schools["flagged"] = schools["n_signs"] >= min_signs
    schools["message"] = pd.Series(
        [
            _message(d, flagged, evaluated, min_signs)
            for d, flagged, evaluated in zip(
                details, schools["flagged"], schools["evaluated"], strict=True
            )
        ],
        index=schools.index,
        dtype="str",
    )
    schools["source"] = FEDERAL_METHOD
    schools = schools[[*keys, *sign_cols, "n_signs", "evaluated", "flagged", "message", "source"]]

    counted = schools[schools["evaluated"]]
    region = pd.DataFrame(
        {
            "n_schools": counted.groupby("year").size(),
            "n_flagged": counted.groupby("year")["flagged"].sum(),
            "n_one_sign": (counted["n_signs"] > 0).groupby(counted["year"]).sum(),
            **{
                f"n_{s}": counted[s].fillna(False).astype("int64").groupby(counted["year"]).sum()
                for s in sign_cols
            },
        }
    )
    years = pd.Index(sorted(schools["year"].unique()), name="year", dtype="int64")
    region = region.reindex(years, fill_value=0).astype("int64").reset_index()
    n_schools = region["n_schools"].astype("float64")
    region["share_flagged"] = 100 * region["n_flagged"] / n_schools.where(n_schools > 0)
    region["index"] = 100 - region["share_flagged"]
    region["index_one_sign"] = 100 - 100 * region["n_one_sign"] / n_schools.where(n_schools > 0)
    region["source"] = FEDERAL_METHOD
    region = region[
        [
            "year",
            "n_schools",
            "n_flagged",
            "n_one_sign",
            *(f"n_{s}" for s in sign_cols),
            "share_flagged",
            "index",
            "index_one_sign",
            "source",
        ]
    ]
    options = {"min_signs": min_signs, "require_significance": require_significance}
    schools.attrs.update(options)
    region.attrs.update(options)
    return ObjectivityIndex(schools=schools, region=region, signs=signs)


# ---------------------------------------------------------------- our own rules


def extra_signs(
    results: pd.DataFrame,
    *,
    by: Sequence[str] = _JOURNAL_BY,
    higher_threshold: float | None = 0.25,
    gap2_threshold: float | None = 0.10,
    min_n: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Additional rules of edu_quality on ВПР against journal marks (not federal).

    Two rules, each kept out of the federal index:

    * «доля "повысили" выше порога»: the share of pupils whose ВПР mark is
      above their journal mark is, beyond noise, above ``higher_threshold``
      (the ВПР result is better than the school's own marks: the work may
      have been written or checked leniently);
    * «расхождение на 2 и более отметки»: the share of pupils whose two
      marks differ by 2 or more is, beyond noise, above ``gap2_threshold``.

    "Beyond noise" means the lower Wilson bound of the share is above the
    threshold.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results, as for :func:`marks_vs_journal`.
    by : sequence of str, keyword-only
        Grouping columns.
    higher_threshold, gap2_threshold : float or None, keyword-only
        Thresholds (shares 0–1) of the two rules; None switches a rule off.
        The defaults are edu_quality's choice, not taken from a normative
        document: agree them with the region.
    min_n : int, keyword-only
        Groups with fewer pupils having both marks are not judged.
    alpha : float, keyword-only
        1 − confidence level of the Wilson bounds.

    Returns
    -------
    DataFrame
        One row per group and rule, sorted by ``by`` then rule:

        ``by`` columns
            the group;
        ``rule``
            the rule's name;
        ``n``
            pupils with both marks;
        ``count``
            pupils concerned by the rule;
        ``share``, ``share_low``, ``share_high``
            ``count / n`` and its Wilson interval;
        ``threshold``
            the rule's threshold;
        ``flag``
            ``share_low > threshold`` for a judged group;
        ``note``
            why the group was not judged (empty when it was);
        ``message``
            for a flagged row, «признаки необъективности: требуется
            проверка (дополнительное правило edu_quality, не входит в
            федеральный индекс)»; else empty;
        ``source``
            :data:`SOURCE_EXTRA`.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    Source: :data:`SOURCE_EXTRA` — our rules, built on the comparison of
    marks in :func:`marks_vs_journal`. They are never counted in
    :func:`objectivity_index`.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "school_id": "1", "year": 2023, "subject": "Математика", "grade": 4,
    ...     "assessment": "ВПР", "mark": pd.array([5] * 10, dtype="Int64"),
    ...     "journal_mark": pd.array([3] * 8 + [5] * 2, dtype="Int64")})
    >>> out = extra_signs(results)
    >>> out["rule"].tolist()
    ['доля «повысили» выше порога', 'расхождение на 2 и более отметки']
    >>> out["share"].tolist(), out["flag"].tolist()
    ([0.8, 0.8], [True, True])
    """
    higher_threshold = _check_threshold("higher_threshold", higher_threshold)
    gap2_threshold = _check_threshold("gap2_threshold", gap2_threshold)
    table = marks_vs_journal(results, by=by, min_n=min_n, alpha=alpha)
    by = list(by) if not isinstance(by, str) else [by]
    rules = [
        ("доля «повысили» выше порога", "higher", higher_threshold),
        ("расхождение на 2 и более отметки", "gap2", gap2_threshold),
    ]
    parts = []
    for order, (rule, part, threshold) in enumerate(rules):
        if threshold is None:
            continue
        frame = table[by].assign(
            rule=rule,
            _order=order,
            n=table["n"],
            count=table[f"n_{part}"],
            share=table[f"share_{part}"],
            share_low=table[f"share_{part}_low"],
            share_high=table[f"share_{part}_high"],
            threshold=threshold,
        )
        note = pd.Series("", index=frame.index, dtype="str")
        note[table["small"]] = (
            f"меньше {min_n} участников с обеими отметками: правило не применяется"
        )
        frame["flag"] = (note == "") & (frame["share_low"] > threshold)
        frame["note"] = note
        parts.append(frame)
    columns = [
        *by,
        "rule",
        "n",
        "count",
        "share",
        "share_low",
        "share_high",
        "threshold",
        "flag",
        "note",
        "message",
        "source",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True).sort_values([*by, "_order"], ignore_index=True)
    out["message"] = np.where(
        out["flag"],
        f"{MESSAGE_FLAGGED} ({SOURCE_EXTRA}, не входит в федеральный индекс)",
        "",
    )
    out["message"] = out["message"].astype("str")
    out["source"] = SOURCE_EXTRA
    out = out[columns]
    out.attrs.update(
        higher_threshold=higher_threshold, gap2_threshold=gap2_threshold, min_n=min_n, alpha=alpha
    )
    return out

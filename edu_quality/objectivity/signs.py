"""The first two signs of the federal method: a high mean, marks against the scores.

Source: ФИОКО, «Методика расчета показателя "Уровень объективности оценки
образовательных результатов в субъекте Российской Федерации"», Приложение
«Математический алгоритм маркировки образовательных организаций». The third
sign is in :mod:`edu_quality.objectivity.cohort`.

Every sign table is per work: ``year`` (the calendar year in which the school
year ends), ``session`` («весна», or «осень» for the autumn works), the
procedure, the subject and ``grade`` — **the grade of the work** (the
``work_grade`` of the results where they have it: the autumn-2020 grade-4
work, written by 5th-graders, is «ВПР 4 класс»).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import check_option
from .checks import (
    check_alpha,
    check_assessments,
    check_bool,
    check_grades,
    check_min_n,
    check_strings,
    require,
    select,
    with_work,
)
from .labels import SOURCE_HIGH_MEAN, SOURCE_JOURNAL_MISMATCH

__all__ = ["HIGH_MEAN_ASSESSMENTS", "SUBJECTS", "sign_high_mean", "sign_journal_mismatch"]

#: Subjects of the federal method.
SUBJECTS = ("Математика", "Русский язык")
#: (procedure, work grade) pairs of the sign «завышенные значения среднего балла».
HIGH_MEAN_ASSESSMENTS = (("ВПР", 4), ("ВПР", 5), ("ОГЭ", 9))
#: The normal quantile of the method («ta = 1.96 (на уровне достоверности 95%)»).
Z_95 = 1.96
WORK = ["year", "session", "assessment", "subject", "work_grade"]


def quantile(alpha: float, n: pd.Series, interval: str) -> pd.Series:
    """Half-width multiplier: 1.96 (normal, α = 0.05, as the method) or Student t(n − 1)."""
    from .._stats import norm_ppf, t_ppf

    if interval == "normal":
        z = Z_95 if alpha == 0.05 else float(norm_ppf(1 - alpha / 2))
        return pd.Series(z, index=n.index, dtype="float64").where(n >= 2)
    out = pd.Series(np.nan, index=n.index)
    ok = n >= 2
    if ok.any():
        out[ok] = t_ppf(1 - alpha / 2, (n[ok] - 1).to_numpy(dtype="float64"))
    return out


def mean_interval(mean: pd.Series, sd: pd.Series, n: pd.Series, alpha: float, interval: str):
    """The interval mean ± q·sd/√n, q from :func:`quantile`; NaN where n < 2."""
    half = quantile(alpha, n, interval) * sd / np.sqrt(n)
    return mean - half, mean + half


def work_rows(data: pd.DataFrame, pairs, subjects) -> np.ndarray:
    """Rows of ``data`` whose (procedure, work grade) is one of ``pairs`` and subject one of ``subjects``."""
    wanted = np.zeros(len(data), dtype=bool)
    for assessment, grade in pairs:
        wanted |= ((data["assessment"] == assessment) & (data["work_grade"] == grade)).to_numpy()
    return wanted & data["subject"].isin(subjects).to_numpy()


def sign_high_mean(
    results: pd.DataFrame,
    *,
    assessments: Sequence[tuple[str, int]] = HIGH_MEAN_ASSESSMENTS,
    subjects: Sequence[str] = SUBJECTS,
    alpha: float = 0.05,
    min_n: int = 2,
    interval: str = "normal",
) -> pd.DataFrame:
    """Federal sign «завышенные значения среднего балла», per work.

    For each work (year, session, procedure, subject, work grade), the
    school's interval of the mean primary score, x̄ ± 1,96·s/√m, is compared
    with the region's, X̄ ± 1,96·S/√n (s, S sample standard deviations; m, n
    participants of the school, of the region); the school is marked when the
    left bound of its interval lies to the right of the right bound of the
    region's.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id``, ``score`` and optionally ``work_grade`` and
        ``session``; pupils without a score are left out.
    assessments : sequence of (str, int), keyword-only
        (procedure, work grade) pairs: ВПР 4 and 5 and ОГЭ (grade 9), as the
        method lists them.
    subjects : sequence of str, keyword-only
        Subjects: Russian and mathematics.
    alpha : float, keyword-only
        1 − confidence level; 0.05 gives the method's 1,96.
    min_n : int, keyword-only
        Schools with fewer participants are not judged. The method sets no
        minimum: 2 (the default) is the least an interval needs. Our triage
        (:func:`~edu_quality.objectivity.objectivity_triage`) uses 5.
    interval : {"normal", "t"}, keyword-only
        "normal" (the method: quantile 1,96) or "t" (Student t with m − 1
        degrees of freedom, used by our triage).

    Returns
    -------
    DataFrame
        One row per school and work, sorted: ``year``, ``session``,
        ``assessment``, ``subject``, ``grade`` (of the work), ``school_id``;
        ``n``; ``school_mean``, ``school_low``, ``school_high``; ``region_n``
        (every participant of the region in the data, the school's own
        included), ``region_mean``, ``region_low``, ``region_high``;
        ``flag`` (``school_low > region_high`` for a judged school); ``note``
        (why a row was not judged, empty when it was); ``source``
        (:data:`~edu_quality.objectivity.SOURCE_HIGH_MEAN`).

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

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
    pairs = check_assessments(assessments)
    subjects = check_strings("subjects", subjects, "('Математика', 'Русский язык')")
    alpha = check_alpha(alpha)
    min_n = check_min_n(min_n)
    check_option("interval", interval, ("normal", "t"))
    require(
        results,
        ["year", "assessment", "subject", "grade", "school_id", "score"],
        "признака «завышенные значения среднего балла»",
    )
    results = with_work(results)
    data = select(results, work_rows(results, pairs, subjects), [*WORK, "school_id", "score"])
    data = data[data["score"].notna()]
    school = (
        data.groupby([*WORK, "school_id"], sort=True, observed=True)["score"]
        .agg(n="count", school_mean="mean", sd="std")
        .reset_index()
    )
    region = (
        data.groupby(WORK, sort=True, observed=True)["score"]
        .agg(region_n="count", region_mean="mean", rsd="std")
        .reset_index()
    )
    school["school_low"], school["school_high"] = mean_interval(
        school["school_mean"], school["sd"], school["n"], alpha, interval
    )
    region["region_low"], region["region_high"] = mean_interval(
        region["region_mean"], region["rsd"], region["region_n"], alpha, interval
    )
    out = school.merge(region, on=WORK, how="left", validate="many_to_one")
    note = pd.Series("", index=out.index, dtype="str")
    note[out["region_low"].isna()] = "нет интервала по региону: меньше 2 участников"
    note[out["school_low"].isna()] = "нет интервала по школе: меньше 2 участников"
    note[out["n"] < min_n] = f"меньше {min_n} участников: признак не оценивается"
    out["flag"] = (note == "") & (out["school_low"] > out["region_high"])
    out["note"] = note
    out["source"] = SOURCE_HIGH_MEAN
    out = out.rename(columns={"work_grade": "grade"}).astype(
        {"n": "int64", "region_n": "int64", "grade": "int64", "year": "int64"}
    )
    out = out[
        [
            "year",
            "session",
            "assessment",
            "subject",
            "grade",
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
    out.attrs.update(alpha=alpha, min_n=min_n, interval=interval)
    return out


def _ranks_within(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Average ranks (1, 2, 3.5, 3.5 …) of ``values`` within each ``group`` code, at once.

    The ranks of :func:`scipy.stats.rankdata` (``method="average"``) per group:
    half-integers, exact in floating point whatever the order of operations.
    Missing values are ranked last (their groups' results are NaN anyway).
    """
    order = np.lexsort((values, group))
    v, g = values[order], group[order]
    n = len(order)
    at = np.arange(n)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = g[1:] != g[:-1]
    pos = at - np.maximum.accumulate(np.where(new_group, at, 0))  # 0-based, within the group
    new_run = new_group.copy()  # a run: equal values of one group (ties)
    new_run[1:] |= v[1:] != v[:-1]
    run_end = np.ones(n, dtype=bool)
    run_end[:-1] = new_run[1:]
    run_id = np.cumsum(new_run) - 1
    ranks = np.empty(n, dtype="float64")
    ranks[order] = (pos[new_run][run_id] + pos[run_end][run_id] + 2) * 0.5
    return ranks


def spearman_rows(data: pd.DataFrame, keys: list[str], min_n: int) -> list[tuple]:
    """(key…, n, rho, p, note) per group of ``data`` (columns ``journal``, ``score``).

    ``rho`` and the one-sided ``p`` («less») are those of
    ``scipy.stats.spearmanr(journal, score, alternative="less")`` to the bit:
    the ranks of all groups are found at once (:func:`_ranks_within`), each
    group's correlation is ``np.corrcoef`` of its ranks laid out as ``spearmanr``
    lays them out, and ``t = rs·√(dof / ((rs + 1)(1 − rs)))``, ``p = F_t(t; dof)``
    (``scipy.stats.t.cdf``, :func:`edu_quality._stats.t_cdf`) are computed for all groups together.
    ``tests/test_speed_paths.py`` compares them with ``spearmanr``.
    """
    grouped = data.groupby(keys, sort=True, observed=True)
    journal = np.asarray(data["journal"].to_numpy(), dtype="float64")
    score = np.asarray(data["score"].to_numpy(), dtype="float64")
    codes = grouped.ngroup().to_numpy()
    journal_rank, score_rank = _ranks_within(journal, codes), _ranks_within(score, codes)
    rows = []
    pending = []  # (row, rs, n) of the groups whose correlation is defined
    for key, at in grouped.indices.items():
        n = len(at)
        if n < min_n:
            note = f"меньше {min_n} участников с отметкой по журналу: признак не оценивается"
        elif np.ptp(journal[at]) == 0:
            note = "корреляция не определена: у всех участников одна и та же отметка по журналу"
        elif np.ptp(score[at]) == 0:
            note = "корреляция не определена: у всех участников один и тот же балл ВПР"
        else:
            note = ""
            if not (np.isnan(journal[at]).any() or np.isnan(score[at]).any()):  # else NaN
                ranked = np.empty((2, n))  # spearmanr's apply_along_axis: a (2, n) buffer, .T
                ranked[0], ranked[1] = journal_rank[at], score_rank[at]
                pending.append((len(rows), np.corrcoef(ranked.T, rowvar=False)[1, 0], n))
        rows.append([*key, n, np.nan, np.nan, note])
    if pending:
        from .._stats import t_cdf

        at, rs, n_obs = (np.array(c) for c in zip(*pending, strict=True))
        dof = n_obs - 2.0
        with np.errstate(divide="ignore"):
            t = rs * np.sqrt((dof / ((rs + 1.0) * (1.0 - rs))).clip(0))
        for i, r, p in zip(at, rs, t_cdf(t, dof), strict=True):
            rows[i][-3], rows[i][-2] = float(r), float(p)
    return [tuple(r) for r in rows]


def sign_journal_mismatch(
    results: pd.DataFrame,
    *,
    grades: Sequence[int] = (4, 5),
    subjects: Sequence[str] = SUBJECTS,
    min_n: int = 2,
    require_significance: bool = False,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Federal sign «несоответствие результатов ВПР и школьных отметок», per work.

    Within each school and ВПР work, Spearman's rank correlation rs of the
    pupils' school marks (``journal_mark``) and primary scores; the school is
    marked when rs is negative — any negative value, with no test of
    significance, as the method says.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id``, ``score``, ``journal_mark`` and optionally
        ``work_grade`` and ``session``; ВПР rows with both a score and a
        journal mark are used.
    grades : sequence of int, keyword-only
        Work grades: 4 and 5.
    subjects : sequence of str, keyword-only
        Subjects: Russian and mathematics.
    min_n : int, keyword-only
        Schools with fewer such pupils are not judged. The method sets no
        minimum: 2 (the default) is the least a rank correlation needs. Our
        triage uses 5.
    require_significance : bool, keyword-only
        False (the method): every negative rs marks. True (our triage): only
        when also the one-sided ``p_value`` < ``alpha``.
    alpha : float, keyword-only
        Significance level when ``require_significance``.

    Returns
    -------
    DataFrame
        One row per school and work, sorted: ``year``, ``session``,
        ``assessment`` («ВПР»), ``subject``, ``grade`` (of the work),
        ``school_id``; ``n``; ``rho``; ``p_value`` (one-sided, «rs < 0»,
        ``scipy.stats.spearmanr``; for information unless
        ``require_significance``); ``flag``; ``note`` (too few pupils, or rs
        undefined because every mark or every score is the same — no mark
        then); ``source``.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    rs = 1 − 6·Σd²/(n(n² − 1)) with average ranks for ties (journal marks take
    only four values), the method's formula extended to ties as usual.

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
    grades = check_grades(grades)
    subjects = check_strings("subjects", subjects, "('Математика', 'Русский язык')")
    min_n = check_min_n(min_n, minimum=2)
    require_significance = check_bool("require_significance", require_significance)
    alpha = check_alpha(alpha)
    require(
        results,
        ["year", "assessment", "subject", "grade", "school_id", "score", "journal_mark"],
        "признака «несоответствие результатов ВПР и школьных отметок»",
    )
    results = with_work(results)
    pairs = [("ВПР", g) for g in grades]
    keys = [*WORK, "school_id"]
    data = select(results, work_rows(results, pairs, subjects), [*keys, "score", "journal_mark"])
    data = data.rename(columns={"journal_mark": "journal"})
    data = data[data["score"].notna() & data["journal"].notna()]
    rows = spearman_rows(data, keys, min_n)
    out = pd.DataFrame(rows, columns=[*keys, "n", "rho", "p_value", "note"])
    out = out.rename(columns={"work_grade": "grade"}).astype(
        {
            "year": "int64",
            "session": "str",
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
    cols = ["year", "session", "assessment", "subject", "grade", "school_id"]
    out = out[[*cols, "n", "rho", "p_value", "flag", "note", "source"]]
    out = out.sort_values(cols, ignore_index=True)
    out.attrs.update(min_n=min_n, require_significance=require_significance, alpha=alpha)
    return out

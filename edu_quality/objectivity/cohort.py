"""The third sign of the federal method: a sharp change of one cohort from grade 4 to 5.

Source: ФИОКО, «Уровень объективности оценки образовательных результатов в
субъекте Российской Федерации», Приложение, «Резкое изменение результатов
одной параллели от года к году».
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..exam_years import AUTUMN
from .checks import (
    as_float,
    check_min_n,
    check_positive,
    check_strings,
    require,
    select,
    with_work,
)
from .labels import SOURCE_COHORT_CHANGE
from .signs import SUBJECTS

__all__ = ["FALL", "RISE", "sign_cohort_change"]

FALL = "резкое падение"
RISE = "резкое возрастание"


def max_score_table(max_scores: pd.DataFrame | None) -> tuple[pd.DataFrame, list[str]]:
    """The checked table of maximum scores and the columns to look it up by."""
    if max_scores is None:
        from ..scales import max_scores as shipped

        max_scores = shipped()
    if not isinstance(max_scores, pd.DataFrame):
        raise ValueError(
            "Параметр `max_scores` должен быть таблицей (DataFrame) со столбцами subject, "
            f"grade, max_score (и, если нужно, year), передано {type(max_scores).__name__}"
        )
    require(
        max_scores,
        ["subject", "grade", "max_score"],
        "признака «резкое изменение результатов» (таблица максимальных баллов)",
        table="max_scores",
    )
    on = ["subject", "grade", "year"] if "year" in max_scores.columns else ["subject", "grade"]
    table = max_scores[[*on, "max_score"]].assign(max_score=as_float(max_scores["max_score"]))
    problems = [
        Problem(
            None,
            "max_score",
            "максимальный балл задан дважды для "
            + ", ".join(f"{c} = {v}" for c, v in zip(on, row, strict=True)),
        )
        for row in table.loc[table.duplicated(on, keep=False), on]
        .drop_duplicates()
        .itertuples(index=False)
    ]
    if (~(table["max_score"] > 0)).any():
        problems.append(
            Problem(None, "max_score", "максимальный балл должен быть положительным числом")
        )
    if problems:
        raise DataError("max_scores", problems)
    return table, on


def combos_problems(frame: pd.DataFrame, on: list[str], column: str, text: str) -> list[Problem]:
    """One problem per distinct combination of ``on`` in ``frame``."""
    combos = frame[on].drop_duplicates().sort_values(on)
    return [
        Problem(None, column, text + ", ".join(f"{c} = {v}" for c, v in zip(on, row, strict=True)))
        for row in combos.itertuples(index=False)
    ]


def with_max_score(works: pd.DataFrame, max_scores: pd.DataFrame | None) -> pd.Series:
    """The maximum primary score of the КИМ of each work of ``works``.

    ``works`` has ``subject``, ``work_grade``, ``year``, ``session`` and
    ``top`` (the highest score given). Looked up by subject, work grade and
    the calendar year the work was written in: ``year`` for spring works,
    ``year − 1`` for autumn ones (an autumn work of the school year ending in
    Y is written in Y − 1 and is that year's КИМ).
    """
    table, on = max_score_table(max_scores)
    key = pd.DataFrame(
        {
            "subject": works["subject"].to_numpy(),
            "grade": works["work_grade"].astype("int64").to_numpy(),
            "year": (works["year"] - (works["session"] == AUTUMN).astype("int64")).to_numpy(),
        }
    )
    table = table.astype({c: "int64" for c in on if c != "subject"})
    merged = key[on].merge(table, on=on, how="left", validate="many_to_one")
    missing = merged["max_score"].isna()
    if missing.any() and "year" in on:
        absent = sorted(set(merged.loc[missing, "year"].tolist()) - set(table["year"].tolist()))
        if absent:  # whole years without a scale: one line naming them and the parameter
            years = ", ".join(map(str, absent))
            raise DataError(
                None,
                f"нет шкал ВПР {years} {'г.' if len(absent) == 1 else 'гг.'}: "
                "максимальные баллы работ этих лет неизвестны — передайте их параметром "
                "max_scores= (edu_quality.scales.max_scores(scales=read_scales(файл)), "
                "или положите файл scales в папку данных и передайте ds.max_scores())",
            )
    if missing.any():
        raise DataError(
            "max_scores",
            combos_problems(merged.loc[missing], on, "max_score", "нет максимального балла для "),
        )
    max_score = pd.Series(merged["max_score"].to_numpy(), index=works.index)
    over = (works["top"] > max_score).to_numpy()
    if over.any():
        raise DataError(
            None,
            combos_problems(
                key.loc[over], on, "score", "балл больше максимального из `max_scores` для "
            ),
        )
    return max_score


def mean_by_work(results: pd.DataFrame, subjects) -> pd.DataFrame:
    """Participants, mean and top primary score per school and ВПР work of grade 4 or 5."""
    keys = ["year", "session", "subject", "grade", "work_grade", "school_id"]
    wanted = (
        (results["assessment"] == "ВПР")
        & results["work_grade"].isin((4, 5))
        & results["subject"].isin(subjects)
    ).to_numpy()
    data = select(results, wanted, [*keys, "score"])
    data = data[data["score"].notna()].reset_index(drop=True)
    data["year"] = data["year"].astype("int64")
    data["cohort"] = data["year"] - data["grade"].astype("int64")
    return (
        data.groupby(
            ["cohort", "year", "session", "subject", "work_grade", "school_id"],
            sort=True,
            observed=True,
        )["score"]
        .agg(n="count", mean="mean", top="max")
        .reset_index()
    )


SIDE = ["year", "session", "work_grade", "top"]


def pair_works(m: pd.DataFrame, max_scores: pd.DataFrame | None) -> pd.DataFrame:
    """Pair the grade-4 and grade-5 works of one cohort in one school; S of each.

    Only paired works need a maximum score: S = mean score / maximum · 100
    (the maximum is one per work, so this is the mean percent of completion).
    """
    on = ["cohort", "subject", "school_id"]
    pairs = m[m["work_grade"] == 4].merge(
        m[m["work_grade"] == 5], on=on, how="inner", suffixes=("_4", "_5")
    )
    sides = [
        pairs[[f"{c}_{g}" for c in SIDE]].set_axis(SIDE, axis=1).assign(subject=pairs["subject"])
        for g in ("4", "5")
    ]
    # both sides looked up at once: a missing scale names every year it lacks
    both = pd.concat(sides, ignore_index=True)
    top = with_max_score(both, max_scores) if len(pairs) else pd.Series(0.0, index=both.index)
    for i, g in enumerate(("4", "5")):
        part = top.iloc[i * len(pairs) : (i + 1) * len(pairs)].to_numpy()
        pairs[f"s_{g}"] = pairs[f"mean_{g}"] / part * 100
    return pairs.rename(
        columns={
            "year_4": "year_grade4",
            "session_4": "session_grade4",
            "n_4": "n_grade4",
            "s_4": "s_grade4",
            "year_5": "year",
            "session_5": "session",
            "n_5": "n_grade5",
            "s_5": "s_grade5",
        }
    )


def cut_offs(out: pd.DataFrame, k_iqr: float) -> pd.DataFrame:
    """Quartiles of K over the judged schools of each pair of works, and the fences."""
    pair = ["subject", "year_grade4", "session_grade4", "year", "session"]
    judged = out[out["note"] == ""]
    quart = (
        judged.groupby(pair, sort=True)["k"]
        .agg(q25=lambda k: np.percentile(k, 25), q75=lambda k: np.percentile(k, 75))
        .reset_index()
    )
    out = out.merge(quart, on=pair, how="left", validate="many_to_one")
    out["iqr"] = out["q75"] - out["q25"]
    out["upper"] = out["q75"] + k_iqr * out["iqr"]
    out["lower"] = out["q25"] - k_iqr * out["iqr"]
    return out


COLUMNS = [
    "year",
    "session",
    "year_grade4",
    "session_grade4",
    "cohort",
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


def sign_cohort_change(
    results: pd.DataFrame,
    *,
    max_scores: pd.DataFrame | None = None,
    subjects: Sequence[str] = SUBJECTS,
    k_iqr: float = 3.0,
    min_n: int = 1,
) -> pd.DataFrame:
    """Federal sign «резкое изменение результатов одной параллели» from grade 4 to 5.

    K = S(N, YY) / S(N + 1, YY + 1) per school and subject, S the school's mean
    percent of completion (primary score / maximum score of the КИМ · 100) of
    a work, N = 4: the grade-4 work of a cohort over the grade-5 work of the
    same cohort. A sharp decline («резкое падение») when K > Q3 + 3·IQR, a
    sharp rise («резкое возрастание») when K < Q1 − 3·IQR, the quartiles taken
    over the whole sample: every judged school of the region with both works
    of that subject and pair of works.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``assessment``, ``subject``,
        ``grade`` (the pupils'), ``school_id``, ``score`` and optionally
        ``work_grade`` (the work's; ``grade`` where absent) and ``session``
        («осень»/«весна»; spring where absent). ВПР rows of work grades 4 and
        5 with a score are used.
    max_scores : DataFrame, optional, keyword-only
        Maximum primary score of each КИМ: ``subject``, ``grade`` (of the
        work), ``max_score`` and optionally ``year``; by default
        :func:`edu_quality.scales.max_scores`. With ``year``, a work is
        looked up by the calendar year it was written in (``year − 1`` for an
        autumn work).
    subjects : sequence of str, keyword-only
        Subjects: Russian and mathematics.
    k_iqr : float, keyword-only
        Multiplier of the interquartile range: 3 in the method.
    min_n : int, keyword-only
        Schools with fewer participants in either work are not judged and do
        not enter the quartiles. The method sets no minimum: 1 by default.

    Returns
    -------
    DataFrame
        One row per school, subject and pair of works, sorted: ``year``,
        ``session`` (of the grade-5 work, when the sign is seen),
        ``year_grade4``, ``session_grade4``, ``cohort`` (year − pupils'
        grade), ``assessment`` («ВПР»), ``subject``, ``school_id``;
        ``n_grade4``, ``n_grade5``; ``s_grade4``, ``s_grade5`` (0–100);
        ``k`` (NaN when ``s_grade5`` is 0); ``q25``, ``q75``, ``iqr``,
        ``upper``, ``lower``; ``direction`` («резкое падение», «резкое
        возрастание» or empty); ``flag``; ``note``; ``source``.

    Raises
    ------
    DataError
        A needed column is missing; ``max_scores`` lacks a work used, repeats
        one, or has a non-positive maximum; a score exceeds its maximum.
    ValueError
        An option is invalid.

    Notes
    -----
    *Pairing.* The cohort key is ``year − grade`` with the pupils' grade: the
    grade-4 work of spring Y and the grade-5 work of spring Y + 1 share it, as
    the method's YY/YY + 1. The autumn-2020 grade-4 work (written by
    5th-graders in the school year 2020/21: ``year`` 2021, ``session``
    «осень», ``grade`` 5, ``work_grade`` 4) pairs with the spring-2021 grade-5
    work of the same pupils — an approximation of the method's «соседние
    годы»: both works were written in one school year, half a year apart,
    instead of a year. The school is matched with itself (``school_id``), not
    pupil by pupil. Quartiles are linear-interpolated (``numpy.percentile``,
    Excel's КВАРТИЛЬ.ВКЛ); the inequalities are strict (up to 1e-9 relative),
    so with IQR = 0 nothing is marked.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": [2022] * 6 + [2023] * 6, "assessment": "ВПР", "subject": "Математика",
    ...     "grade": [4] * 6 + [5] * 6, "school_id": list("123456") * 2,
    ...     "score": [10, 12, 14, 16, 18, 20, 10, 12, 14, 16, 18, 5.0]})
    >>> max_scores = pd.DataFrame({"subject": ["Математика"] * 2, "grade": [4, 5],
    ...                            "max_score": [20, 20]})
    >>> out = sign_cohort_change(results, max_scores=max_scores)
    >>> out[["school_id", "k", "direction"]].tail(2).to_dict("list")
    {'school_id': ['5', '6'], 'k': [1.0, 4.0], 'direction': ['', 'резкое падение']}
    """
    subjects = check_strings("subjects", subjects, "('Математика', 'Русский язык')")
    k_iqr = check_positive("k_iqr", k_iqr)
    min_n = check_min_n(min_n)
    require(
        results,
        ["year", "assessment", "subject", "grade", "school_id", "score"],
        "признака «резкое изменение результатов одной параллели»",
    )
    out = pair_works(mean_by_work(with_work(results), subjects), max_scores)
    out["k"] = out["s_grade4"] / out["s_grade5"].where(out["s_grade5"] > 0)
    note = pd.Series("", index=out.index, dtype="str")
    note[out["k"].isna()] = "средний процент выполнения в 5 классе равен 0: K не определён"
    note[(out["n_grade4"] < min_n) | (out["n_grade5"] < min_n)] = (
        f"меньше {min_n} участников в 4 или 5 классе: признак не оценивается"
    )
    out["note"] = note
    out = cut_offs(out, k_iqr)
    ok = out["note"] == ""
    tol = 1e-9 * np.maximum(1.0, out[["upper", "lower"]].abs().max(axis=1))
    fall = ok & (out["k"] > out["upper"] + tol)
    rise = ok & (out["k"] < out["lower"] - tol)
    out["direction"] = pd.Series(np.where(fall, FALL, np.where(rise, RISE, "")), dtype="str")
    out["flag"] = (fall | rise).astype("bool")
    out["assessment"] = "ВПР"
    out["source"] = SOURCE_COHORT_CHANGE
    out["session"] = out["session"].astype("str") if len(out) else pd.Series(dtype="str")
    for c in ("year", "year_grade4", "cohort", "n_grade4", "n_grade5"):
        out[c] = out[c].astype("int64")
    out = out[COLUMNS].sort_values(["year", "session", "subject", "school_id"], ignore_index=True)
    out.attrs.update(k_iqr=k_iqr, min_n=min_n)
    return out

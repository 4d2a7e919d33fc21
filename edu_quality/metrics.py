"""School metrics from assessment results, each share with its Wilson interval.

Formulas (``DOMAIN.md``, «Metrics»), with N the pupils who wrote the work and
n2…n5 the counts of each mark:

* доля «2» (``share_2``) = n2 / N;
* успеваемость (``success_rate``) = (n3 + n4 + n5) / N;
* качество знаний (``quality_rate``) = (n4 + n5) / N;
* СОУ, степень обученности учащихся (В. П. Симонов),
  ``sou`` = (100·n5 + 64·n4 + 36·n3 + 16·n2) / N, in per cent (the term
  7·n1 of the original formula is zero on the 2–5 scale);
* средняя отметка (``mean_mark``) and средний балл (``mean_score``);
* доля не допущенных (``not_admitted_share``) = not admitted /
  (N + not admitted).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .errors import DataError
from .intervals import wilson

__all__ = [
    "DEFAULT_BY",
    "METRICS",
    "NO_EXAM_YEARS",
    "exam_not_held",
    "is_pupil_level",
    "summarize",
]

#: Default grouping: one row per school, procedure, subject, grade and year.
DEFAULT_BY = ("school_id", "assessment", "subject", "grade", "year")

#: Years in which a procedure was not held as an exam: ОГЭ and ЕГЭ in 2020
#: (Постановление Правительства РФ от 10.06.2020 № 842: ГИА-9 replaced by
#: annual marks; ЕГЭ taken only by those entering universities). Rows of those
#: years are kept and marked, but are not exam results.
NO_EXAM_YEARS: dict[str, tuple[int, ...]] = {"ОГЭ": (2020,), "ЕГЭ": (2020,)}

#: Metrics of :func:`summarize`: name → (Russian label, good direction: +1 when higher is
#: better, −1 when lower is better).
METRICS: dict[str, tuple[str, int]] = {
    "share_2": ("доля «2»", -1),
    "success_rate": ("успеваемость", +1),
    "quality_rate": ("качество знаний", +1),
    "not_admitted_share": ("доля не допущенных", -1),
    "sou": ("СОУ", +1),
    "mean_mark": ("средняя отметка", +1),
    "mean_score": ("средний балл", +1),
}

_COUNTS = ("n2", "n3", "n4", "n5")


def is_pupil_level(results: pd.DataFrame) -> bool:
    """Whether ``results`` has one row per pupil (else: counts per school).

    Examples
    --------
    >>> is_pupil_level(pd.DataFrame({"pupil_id": ["1"], "mark": [4]}))
    True
    >>> is_pupil_level(pd.DataFrame({"participants": [24], "n2": [15]}))
    False
    """
    return "participants" not in results.columns and (
        "pupil_id" in results.columns or "mark" in results.columns or "score" in results.columns
    )


def exam_not_held(results: pd.DataFrame) -> pd.Series:
    """Rows whose year is one in which the procedure was not held as an exam.

    Examples
    --------
    >>> exam_not_held(pd.DataFrame({"assessment": ["ОГЭ", "ОГЭ", "ВПР"],
    ...                             "year": [2020, 2021, 2020]})).tolist()
    [True, False, False]
    """
    if "assessment" not in results.columns or "year" not in results.columns:
        return pd.Series(False, index=results.index)
    out = pd.Series(False, index=results.index)
    for assessment, years in NO_EXAM_YEARS.items():
        out |= (results["assessment"] == assessment) & results["year"].isin(years)
    return out


def _check_columns(data: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(None, f"{what}: нет столбцов {', '.join(missing)}")


def _pupil_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    admitted = (
        results["admitted"].fillna(True).astype(bool)
        if "admitted" in results.columns
        else pd.Series(True, index=results.index)
    )
    mark = results["mark"] if "mark" in results.columns else pd.Series(np.nan, index=results.index)
    score = (
        results["score"] if "score" in results.columns else pd.Series(np.nan, index=results.index)
    )
    wrote = admitted & (mark.notna() | score.notna())
    frame = results[by].copy()
    frame["participants"] = wrote.astype("int64")
    frame["not_admitted"] = (~admitted).astype("int64")
    marked = wrote & mark.notna()
    frame["_marked"] = marked.astype("int64")
    for k in (2, 3, 4, 5):
        frame[f"n{k}"] = (marked & (mark == k)).astype("int64")
    frame["_score"] = score.where(wrote).astype("float64")
    frame["_score_n"] = (wrote & score.notna()).astype("int64")
    g = frame.groupby(by, sort=True, observed=True, dropna=False)
    out = g[["participants", "not_admitted", "_marked", *_COUNTS]].sum()
    out["mean_score"] = g["_score"].mean()
    out["score_sd"] = g["_score"].std(ddof=1)
    out["score_n"] = g["_score_n"].sum()
    # marks unknown for some participants (e.g. ЕГЭ has no marks): counts unknown
    unknown = out["_marked"] < out["participants"]
    for c in _COUNTS:
        out[c] = out[c].astype("float64").where(~unknown)
    return out.drop(columns="_marked")


def _aggregated_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    frame = results[by].copy()
    frame["participants"] = results["participants"].astype("float64")
    for c in ("not_admitted", *_COUNTS):
        frame[c] = (
            results[c].astype("float64") if c in results.columns else np.nan
        )
    has_mean = "mean_score" in results.columns
    ms = results["mean_score"].astype("float64") if has_mean else pd.Series(np.nan, index=results.index)
    frame["_score_sum"] = ms * frame["participants"]
    frame["_score_n"] = frame["participants"].where(ms.notna(), 0)
    g = frame.groupby(by, sort=True, observed=True, dropna=False)
    out = g[["participants", "_score_n", "_score_sum"]].sum()
    # a count is known for a group only when it is known in every row of the group
    for c in ("not_admitted", *_COUNTS):
        known = frame[c].notna().groupby([frame[b] for b in by], observed=True, dropna=False).all()
        out[c] = g[c].sum().where(known)
    out["mean_score"] = (out["_score_sum"] / out["_score_n"]).where(out["_score_n"] == out["participants"])
    out["score_sd"] = np.nan
    out["score_n"] = out["_score_n"]
    return out.drop(columns=["_score_sum", "_score_n"])


def summarize(
    results: pd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    *,
    min_n: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Metrics per group, from pupil-level or aggregated results.

    Parameters
    ----------
    results : DataFrame
        Pupil level (``mark``, ``score``, ``admitted``; one row per pupil) or
        aggregated (``participants``, ``not_admitted``, ``n2``…``n5``,
        ``mean_score``), as returned by :func:`edu_quality.read_results`.
    by : sequence of str
        Grouping columns (they must be in ``results``; merge the school
        registry first to group by municipality or group).
    min_n : int
        Groups with fewer participants are flagged ``small`` (hidden in
        reports to directors).
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, then

        ``participants``
            N, pupils who wrote the work (not admitted and absent pupils
            excluded);
        ``not_admitted``
            pupils not admitted (ГИА);
        ``n2``, ``n3``, ``n4``, ``n5``
            counts of each mark — NaN when unknown (as in tables that give
            only the «2»s, or ЕГЭ, which has no marks);
        ``share_2``, ``success_rate``, ``quality_rate``
            n2 / N, (n3 + n4 + n5) / N, (n4 + n5) / N — NaN when a count they
            need is unknown, never a guess;
        ``sou``
            СОУ in per cent (16–100);
        ``mean_mark``, ``mean_score``, ``score_sd``
            mean mark, mean primary/test score and its standard deviation
            (pupil level only);
        ``score_n``
            pupils (or, aggregated, participants) behind ``mean_score``;
        ``not_admitted_share``
            not admitted / (N + not admitted);
        ``<share>_low``, ``<share>_high``
            Wilson bounds of each share;
        ``exam_not_held``
            True for ОГЭ/ЕГЭ in 2020 (not exam results, see
            :data:`NO_EXAM_YEARS`);
        ``small``
            N < ``min_n``.

    Notes
    -----
    Formulas: see the module docstring (``DOMAIN.md``; СОУ after
    В. П. Симонов). Shares of marks use N as the denominator; intervals are
    Wilson score intervals (:func:`edu_quality.intervals.wilson`).

    Examples
    --------
    >>> agg = pd.DataFrame({"school_id": ["5"], "assessment": ["ОГЭ"], "subject": ["Математика"],
    ...     "grade": [9], "year": [2022], "participants": [24], "not_admitted": [0], "n2": [15]})
    >>> row = summarize(agg).iloc[0]   # Inta seed: СОШ № 5, ОГЭ 2022
    >>> float(row["share_2"]), bool(np.isnan(row["quality_rate"]))
    (0.625, True)
    """
    by = list(by)
    if not 0 < alpha < 1:
        raise ValueError(f"Параметр `alpha` должен быть между 0 и 1, передано {alpha!r}")
    if min_n < 0:
        raise ValueError(f"Параметр `min_n` должен быть неотрицательным, передано {min_n!r}")
    _check_columns(results, by, "summarize")
    if is_pupil_level(results):
        counts = _pupil_counts(results, by)
    else:
        _check_columns(results, ["participants"], "summarize")
        counts = _aggregated_counts(results, by)
    out = counts.reset_index()
    n = out["participants"].astype("float64")
    n_marked = out[list(_COUNTS)].sum(axis=1, min_count=4)  # NaN if any count unknown
    n2 = out["n2"]
    out["share_2"] = n2 / n.where(n > 0)
    success = out["n3"] + out["n4"] + out["n5"]
    quality = out["n4"] + out["n5"]
    out["success_rate"] = success / n.where(n > 0)
    out["quality_rate"] = quality / n.where(n > 0)
    out["sou"] = (100 * out["n5"] + 64 * out["n4"] + 36 * out["n3"] + 16 * out["n2"]) / n_marked.where(n_marked > 0)
    out["mean_mark"] = (2 * out["n2"] + 3 * out["n3"] + 4 * out["n4"] + 5 * out["n5"]) / n_marked.where(n_marked > 0)
    registered = n + out["not_admitted"]
    out["not_admitted_share"] = out["not_admitted"] / registered.where(registered > 0)
    for name, count, total in (
        ("share_2", n2, n),
        ("success_rate", success, n),
        ("quality_rate", quality, n),
        ("not_admitted_share", out["not_admitted"], registered),
    ):
        out[f"{name}_low"], out[f"{name}_high"] = wilson(count, total, alpha=alpha)
    out["exam_not_held"] = exam_not_held(out) if {"assessment", "year"} <= set(by) else False
    out["small"] = n < min_n
    out["participants"] = out["participants"].astype("int64")
    for c in ("not_admitted", *_COUNTS):
        out[c] = out[c].astype("Int64")
    order = [
        *by, "participants", "not_admitted", *_COUNTS,
        "share_2", "share_2_low", "share_2_high",
        "success_rate", "success_rate_low", "success_rate_high",
        "quality_rate", "quality_rate_low", "quality_rate_high",
        "sou", "mean_mark", "mean_score", "score_sd", "score_n",
        "not_admitted_share", "not_admitted_share_low", "not_admitted_share_high",
        "exam_not_held", "small",
    ]
    out = out[order]
    out.attrs["alpha"] = alpha
    out.attrs["min_n"] = min_n
    return out

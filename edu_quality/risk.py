"""500+ risk profiles: per school, across schools, cut-offs, and relation to results.

A risk profile is the result of the «500+» questionnaire: for each risk
factor a score (the sum of the questionnaire's points) and a significance
(низкая / средняя / высокая). A LOWER sum means a HIGHER risk (Inta seed: at
СОШ № 8 «Высокая доля обучающихся с рисками учебной неуспешности» scored 3
and is «высокая»). The set of factors varies by year and region, so nothing
here assumes a fixed list.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._russian import plural
from .errors import DataError
from .intervals import wilson

__all__ = [
    "LEVELS",
    "apply_cutoffs",
    "by_significance",
    "risk_cutoffs",
    "risk_summary",
    "risk_vs_results",
]

#: Significance levels from lowest to highest risk.
LEVELS = ("низкая", "средняя", "высокая")


def by_significance(values: pd.Series) -> pd.Series:
    """A sort key of significance words: «высокая» first, then «средняя», «низкая» (:data:`LEVELS`).

    Taken from the text: ``map`` on a categorical (a dataset holds the
    significance so) maps its categories and keeps their order. A word not
    among the levels has no place (NaN: sorted last).

    Examples
    --------
    >>> s = pd.Series(["низкая", "высокая", "средняя"], dtype="category")
    >>> s.sort_values(key=by_significance).tolist()
    ['высокая', 'средняя', 'низкая']
    """
    place = {level: len(LEVELS) - 1 - i for i, level in enumerate(LEVELS)}
    return values.astype("str").map(place)


def _need(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise DataError(None, f"{what}: нет столбцов {', '.join(missing)}")


def risk_summary(
    risk_profiles: pd.DataFrame, *, by: Sequence[str] = ("year",), alpha: float = 0.05
) -> pd.DataFrame:
    """Which risk factors are most often of high significance, across schools.

    Parameters
    ----------
    risk_profiles : DataFrame
        ``school_id``, ``year``, ``risk_factor``, ``score``, ``significance``.
    by : sequence of str
        Grouping besides the factor (default: year).
    alpha : float
        1 − confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        Per group and ``risk_factor``: ``schools``, ``n_low``, ``n_medium``,
        ``n_high``, ``share_high`` with ``share_high_low`` / ``share_high_high``,
        ``mean_score``, ``min_score``, ``max_score``; sorted by ``share_high``
        (most frequent high risk first) within each group.

    Examples
    --------
    >>> rp = pd.DataFrame({"school_id": ["5", "6", "8"], "year": 2023,
    ...     "risk_factor": "Высокая доля обучающихся с рисками учебной неуспешности",
    ...     "score": [9, 6, 3], "significance": ["средняя", "высокая", "высокая"]})
    >>> risk_summary(rp)[["schools", "n_high"]].values.tolist()
    [[3, 2]]
    """
    _need(risk_profiles, ["school_id", "risk_factor", "score", "significance", *by], "risk_summary")
    keys = [*by, "risk_factor"]
    rp = risk_profiles.assign(
        _low=risk_profiles["significance"] == "низкая",
        _medium=risk_profiles["significance"] == "средняя",
        _high=risk_profiles["significance"] == "высокая",
    )
    g = rp.groupby(keys, sort=False, observed=True)
    out = g.agg(
        schools=("school_id", "nunique"),
        n_low=("_low", "sum"),
        n_medium=("_medium", "sum"),
        n_high=("_high", "sum"),
        mean_score=("score", "mean"),
        min_score=("score", "min"),
        max_score=("score", "max"),
    ).reset_index()
    out["share_high"] = out["n_high"] / out["schools"]
    out["share_high_low"], out["share_high_high"] = wilson(
        out["n_high"], out["schools"], alpha=alpha
    )
    out = out.sort_values(
        [*by, "share_high", "mean_score"], ascending=[True] * len(by) + [False, True]
    )
    return out[
        [
            *keys,
            "schools",
            "n_low",
            "n_medium",
            "n_high",
            "share_high",
            "share_high_low",
            "share_high_high",
            "mean_score",
            "min_score",
            "max_score",
        ]
    ].reset_index(drop=True)


def risk_cutoffs(risk_profiles: pd.DataFrame) -> pd.DataFrame:
    """Score ranges of each significance level per factor, and whether they are consistent.

    The questionnaire's cut-offs are not published with the profiles; they can
    be read off the data: for each factor the scores seen at each level. With
    «a lower sum means a higher risk», every «высокая» score must lie below
    every «средняя» score, and every «средняя» below every «низкая».

    Returns
    -------
    DataFrame
        Per ``risk_factor``: ``high_max`` (highest score seen as «высокая»),
        ``medium_min``, ``medium_max``, ``low_min`` (lowest score seen as
        «низкая»), ``consistent`` (the ranges do not overlap in the wrong
        order) and ``note`` (Russian, what overlaps).

    Examples
    --------
    >>> rp = pd.DataFrame({"school_id": ["5", "6", "8"], "year": 2023, "risk_factor": "F",
    ...     "score": [9, 6, 3], "significance": ["средняя", "высокая", "высокая"]})
    >>> risk_cutoffs(rp)[["high_max", "medium_min", "consistent"]].values.tolist()
    [[6.0, 9.0, True]]
    """
    _need(risk_profiles, ["risk_factor", "score", "significance"], "risk_cutoffs")
    rows = []
    for factor, g in risk_profiles.groupby("risk_factor", sort=True):
        by_level = {lv: g.loc[g["significance"] == lv, "score"] for lv in LEVELS}
        high_max = by_level["высокая"].max()
        med_min, med_max = by_level["средняя"].min(), by_level["средняя"].max()
        low_min = by_level["низкая"].min()
        notes = []
        if pd.notna(high_max) and pd.notna(med_min) and high_max >= med_min:
            notes.append(
                f"балл {high_max:g} отнесён к высокой значимости, а {med_min:g} — к средней"
            )
        if pd.notna(med_max) and pd.notna(low_min) and med_max >= low_min:
            notes.append(f"балл {med_max:g} отнесён к средней значимости, а {low_min:g} — к низкой")
        if pd.notna(high_max) and pd.notna(low_min) and high_max >= low_min:
            notes.append(
                f"балл {high_max:g} отнесён к высокой значимости, а {low_min:g} — к низкой"
            )
        rows.append(
            {
                "risk_factor": factor,
                "high_max": float(high_max),
                "medium_min": float(med_min),
                "medium_max": float(med_max),
                "low_min": float(low_min),
                "consistent": not notes,
                "note": "; ".join(notes),
            }
        )
    return pd.DataFrame(rows)


def apply_cutoffs(risk_profiles: pd.DataFrame, cutoffs: pd.DataFrame) -> pd.DataFrame:
    """Significance from scores with a user's cut-offs (lower score = higher risk).

    Parameters
    ----------
    risk_profiles : DataFrame
        ``risk_factor``, ``score`` (and anything else, kept).
    cutoffs : DataFrame
        ``risk_factor``, ``high_max`` (a score ≤ it is «высокая»),
        ``medium_max`` (a score ≤ it, above ``high_max``, is «средняя»;
        higher is «низкая»).

    Returns
    -------
    DataFrame
        The input with ``significance_by_cutoffs`` and ``agrees`` (with the
        given ``significance`` when there is one).

    Examples
    --------
    >>> rp = pd.DataFrame({"risk_factor": "F", "score": [3, 9, 40]})
    >>> cut = pd.DataFrame({"risk_factor": ["F"], "high_max": [6], "medium_max": [30]})
    >>> apply_cutoffs(rp, cut)["significance_by_cutoffs"].tolist()
    ['высокая', 'средняя', 'низкая']
    """
    _need(cutoffs, ["risk_factor", "high_max", "medium_max"], "apply_cutoffs")
    unknown = sorted(set(risk_profiles["risk_factor"]) - set(cutoffs["risk_factor"]))
    if unknown:
        raise DataError(None, f"нет порогов для факторов: {', '.join(unknown)}")
    m = risk_profiles.merge(
        cutoffs[["risk_factor", "high_max", "medium_max"]], on="risk_factor", how="left"
    )
    out = risk_profiles.copy()
    out["significance_by_cutoffs"] = np.select(
        [m["score"] <= m["high_max"], m["score"] <= m["medium_max"]],
        ["высокая", "средняя"],
        default="низкая",
    )
    if "significance" in out.columns:
        out["agrees"] = out["significance"] == out["significance_by_cutoffs"]
    return out


def risk_vs_results(
    risk_profiles: pd.DataFrame,
    results: pd.DataFrame,
    *,
    metric: str = "share_2",
    min_schools: int = 10,
) -> pd.DataFrame:
    """Relation of each risk factor's score to a school result, across schools.

    Parameters
    ----------
    risk_profiles : DataFrame
        ``school_id``, ``risk_factor``, ``score`` (one year).
    results : DataFrame
        One row per school with ``school_id`` and ``metric`` (e.g. a
        :func:`edu_quality.metrics.summarize` table filtered to one
        assessment, subject and year).
    metric : str
        The result column.
    min_schools : int
        Fewer schools than this give a warning: a correlation over a handful
        of schools says little.

    Returns
    -------
    DataFrame
        Per ``risk_factor``: ``schools``, ``spearman_r``, ``p_value``,
        ``warning`` (Russian, empty when the numbers suffice).

    Notes
    -----
    Spearman's rank correlation (``scipy.stats.spearmanr``): a negative
    correlation of the score with the share of «2» means that schools with a
    lower sum (higher risk) have more «2».

    Examples
    --------
    >>> rp = pd.DataFrame({"school_id": list("abcdef"), "risk_factor": "F",
    ...                    "score": [1, 2, 3, 4, 5, 6]})
    >>> res = pd.DataFrame({"school_id": list("abcdef"), "share_2": [.6, .5, .4, .3, .2, .1]})
    >>> row = risk_vs_results(rp, res, min_schools=5).iloc[0]
    >>> int(row["schools"]), float(row["spearman_r"])
    (6, -1.0)
    """
    _need(risk_profiles, ["school_id", "risk_factor", "score"], "risk_vs_results")
    _need(results, ["school_id", metric], "risk_vs_results")
    if results["school_id"].duplicated().any():
        raise DataError(
            None,
            "risk_vs_results: в таблице результатов школа встречается "
            "несколько раз — выберите одну процедуру, предмет и год",
        )
    m = risk_profiles.merge(results[["school_id", metric]], on="school_id").dropna(
        subset=["score", metric]
    )
    from scipy import stats  # here, not at import: the reports sort by significance from here

    rows = []
    for factor, g in m.groupby("risk_factor", sort=True):
        n = g["school_id"].nunique()
        r = p = np.nan
        if n >= 3 and g["score"].nunique() > 1 and g[metric].nunique() > 1:  # noqa: PD101
            res = stats.spearmanr(g["score"], g[metric])
            r, p = float(res.statistic), float(res.pvalue)
        warning = ""
        if n < min_schools:
            warning = (
                f"всего {n} {plural(n, 'школа', 'школы', 'школ')}: связь по такому числу школ ненадёжна, "
                "это повод для вопроса, а не вывод"
            )
        rows.append(
            {"risk_factor": factor, "schools": n, "spearman_r": r, "p_value": p, "warning": warning}
        )
    out = pd.DataFrame(rows)
    if len(out) and out["warning"].ne("").any():
        warnings.warn(
            f"Мало школ для оценки связи рисков с результатами (меньше {min_schools})", stacklevel=2
        )
    return out

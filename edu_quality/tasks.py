"""Task-level analysis of the ВПР: «выполнение заданий» per school.

ФИОКО's standard table shows, for every task of a work, the share of the
maximum score that the pupils of a school achieved, beside the same share
for the municipality and the region. :func:`task_performance` computes it
from the per-task scores of :func:`edu_quality.fisoko.read_fisoko_vpr` and
marks the tasks where a school is clearly behind.

«Clearly behind»
    The school's share is at least ``min_gap`` (default 10 percentage
    points) below the comparison share **and** the upper bound of its 95 %
    Wilson interval is below the comparison share — the gap is both large and
    distinguishable from noise. Groups under ``min_n`` pupils (default 5) are
    never flagged (``small`` is True).

The interval treats the share of the maximum as a proportion over the
school's pupils (n = pupils with a score for the task). For a task worth
more than one point a pupil's share lies in [0, 1] and its variance is at
most p(1 − p), so the interval is conservative.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_fraction
from ._grouping import aggregate
from .errors import DataError
from .intervals import wilson

__all__ = ["task_performance"]

_DEFAULT_BY = ("year", "subject", "grade", "work_grade")


def task_performance(
    tasks: pd.DataFrame,
    schools: pd.DataFrame | None = None,
    *,
    by: Sequence[str] | None = None,
    level: float = 0.95,
    min_n: int = 5,
    min_gap: float = 0.10,
) -> pd.DataFrame:
    """Share of the maximum achieved on each task: school, municipality, region.

    Parameters
    ----------
    tasks : DataFrame
        Per-task scores: ``school_id``, ``task_no``, ``score``, ``max_score``
        (``task`` is used as the label when present) and the columns of
        ``by`` (``FisOkoVpr.tasks`` or the ``tasks`` table of an import).
    schools : DataFrame, optional
        ``school_id`` and ``municipality``; without it the municipality
        columns are empty.
    by : sequence of str, optional
        Columns that identify a work; by default those of ``year``,
        ``subject``, ``grade``, ``work_grade`` that ``tasks`` has.
    level : float
        Confidence level of the intervals.
    min_n : int
        Smallest number of pupils for a school's share to be judged.
    min_gap : float
        Smallest gap (share units: 0.10 = 10 percentage points) that counts
        as «clearly behind».

    Returns
    -------
    pandas.DataFrame
        One row per work, task and school: the ``by`` columns, ``task_no``,
        ``task``, ``max_score``, ``school_id``, ``municipality``, ``n``
        (pupils), ``share`` (points / maximum points), ``share_low``,
        ``share_high`` (Wilson interval), ``municipality_n``,
        ``municipality_share``, ``region_n``, ``region_share``,
        ``diff_municipality``, ``diff_region`` (school share minus the
        comparison share), ``small`` (n < ``min_n``),
        ``behind_municipality``, ``behind_region`` («clearly behind», see the
        module docstring). The input is not changed.

    Raises
    ------
    DataError
        A required column is missing.

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "year": 2021, "subject": "Математика", "grade": 4,
    ...     "school_id": ["a"] * 20 + ["b"] * 20, "task_no": 1, "task": "1",
    ...     "score": [0.0] * 16 + [1.0] * 4 + [1.0] * 18 + [0.0] * 2, "max_score": 1.0})
    >>> s = pd.DataFrame({"school_id": ["a", "b"], "municipality": ["М", "М"]})
    >>> r = task_performance(t, s)
    >>> r[["school_id", "share", "region_share", "behind_region"]].values.tolist()
    [['a', 0.2, 0.55, True], ['b', 0.9, 0.55, False]]
    """
    check_fraction("level", level)
    by = [c for c in _DEFAULT_BY if c in tasks.columns] if by is None else list(by)
    need = [*by, "school_id", "task_no", "score", "max_score"]
    missing = [c for c in need if c not in tasks.columns]
    if missing:
        raise DataError(None, "в таблице заданий нет столбцов: " + ", ".join(missing))
    data = tasks[[*need, *(["task"] if "task" in tasks.columns else [])]]
    data = data[data["score"].notna() & data["max_score"].notna()]
    key = [*by, "task_no"]
    school = aggregate(
        data,
        [*key, "school_id"],
        {
            "n": ("score", "size"),
            "points": ("score", "sum"),
            "max_points": ("max_score", "sum"),
            "max_score": ("max_score", "max"),
            **({"task": ("task", "first")} if "task" in data.columns else {}),
        },
    )
    for c in ("school_id", *(["task"] if "task" in school.columns else [])):
        school[c] = school[c].astype("str")
    for c in by:
        if isinstance(school[c].dtype, pd.CategoricalDtype):
            school[c] = school[c].astype(school[c].cat.categories.dtype)
    if "task" not in school.columns:
        school["task"] = school["task_no"].astype("str")
    if schools is not None:
        muni = schools[["school_id", "municipality"]].drop_duplicates("school_id")
        muni = muni.assign(school_id=muni["school_id"].astype("str"))
        school = school.merge(muni, on="school_id", how="left")
    else:
        school["municipality"] = pd.Series(pd.NA, index=school.index, dtype="str")
    school["share"] = school["points"] / school["max_points"]
    n = school["n"].to_numpy(dtype="float64")  # pupils; the share of points as their count
    with np.errstate(invalid="ignore"):  # points beyond the maximum (a share over 1): NaN, quietly
        low, high = wilson(school["share"].to_numpy(dtype=float) * n, n, alpha=1 - level)
    school["share_low"], school["share_high"] = low, high

    def level_share(keys: list[str], prefix: str) -> pd.DataFrame:
        g = school.groupby(keys, observed=True, dropna=False)
        out = g.agg(
            **{f"{prefix}_n": ("n", "sum"), "_p": ("points", "sum"), "_m": ("max_points", "sum")}
        ).reset_index()
        out[f"{prefix}_share"] = out["_p"] / out["_m"]
        return out.drop(columns=["_p", "_m"])

    school = school.merge(level_share(key, "region"), on=key, how="left")
    muni_share = level_share([*key, "municipality"], "municipality")
    school = school.merge(muni_share, on=[*key, "municipality"], how="left")
    school.loc[school["municipality"].isna(), ["municipality_n", "municipality_share"]] = np.nan
    school["diff_municipality"] = school["share"] - school["municipality_share"]
    school["diff_region"] = school["share"] - school["region_share"]
    school["small"] = school["n"] < min_n
    for name, comp in (
        ("behind_municipality", "municipality_share"),
        ("behind_region", "region_share"),
    ):
        clear = (school[comp] - school["share"] >= min_gap - 1e-12) & (
            school["share_high"] < school[comp]
        )
        school[name] = (clear & ~school["small"]).fillna(False).astype(bool)
    columns = [
        *by,
        "task_no",
        "task",
        "max_score",
        "school_id",
        "municipality",
        "n",
        "share",
        "share_low",
        "share_high",
        "municipality_n",
        "municipality_share",
        "region_n",
        "region_share",
        "diff_municipality",
        "diff_region",
        "small",
        "behind_municipality",
        "behind_region",
    ]
    out = school[columns].sort_values([*by, "school_id", "task_no"]).reset_index(drop=True)
    out["n"] = out["n"].astype("int64")
    out["max_score"] = out["max_score"].astype("float64")
    return out

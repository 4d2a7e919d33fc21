"""What to reteach: the ВПР tasks where a school is behind the region beyond noise.

:func:`weak_tasks` takes the per-task scores of a ФИС ОКО import (the ``tasks``
table: every pupil's score on every task) and, for every school, work and task,
gives the school's completion (share of the maximum score, with its 95 % Wilson
interval; :func:`edu_quality.tasks.task_performance`), the same task's
completion in the municipality and the region, whether the task is mastered at
the school, and the school's completion by pupils' ВПР mark («2», «3», «4», «5»).

A task is **to reteach** at a school when the upper bound of the school's
interval lies below the region's completion and the gap is at least
``min_gap`` (default 5 percentage points): behind beyond noise, and by a margin
worth a lesson.

Basic and advanced tasks
    The ВПР descriptions (описания проверочных работ) give each task a level:
    Б (базовый), П (повышенный), В (высокий). The ФИС ОКО result files do not
    hold it. Without a ``levels`` table, the last ``advanced_last`` tasks of
    each work (default 2) are taken as advanced — in the ВПР of grades 4–8 in
    mathematics and Russian the tasks of the повышенный level close the work;
    this is a rule of thumb, not the description itself, and a ``levels`` table
    from the descriptions overrides it.

Mastery thresholds
    A task counts as mastered when its completion reaches ``basic_threshold``
    (default 50 %) for a basic task and ``advanced_threshold`` (default 15 %)
    for an advanced one — the convention of regional analyses of the ВПР
    results. It is said that ФИОКО's recent recommendations use higher
    thresholds; we did not find that text and do not cite it: both thresholds
    are parameters.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_positive, require_columns
from ._grouping import aggregate
from .tasks import task_performance

__all__ = ["MARKS", "completion_by_mark", "task_levels", "weak_tasks"]

#: The ВПР marks whose pupils' completion is shown.
MARKS = (2, 3, 4, 5)
_WORK = ("year", "session", "subject", "grade", "work_grade")


def task_levels(tasks: pd.DataFrame, *, advanced_last: int = 2, work: Sequence[str] = ()):
    """Level of each task of each work by the rule «the last tasks are advanced».

    Parameters
    ----------
    tasks : DataFrame
        ``task_no`` and the ``work`` columns.
    advanced_last : int
        How many of the last tasks of a work are advanced (0: none).
    work : sequence of str
        Columns naming a work.

    Returns
    -------
    pandas.DataFrame
        The ``work`` columns, ``task_no`` and ``task_level`` («базовый»,
        «повышенный»).

    Examples
    --------
    >>> t = pd.DataFrame({"subject": "Математика", "task_no": [1, 2, 3, 4]})
    >>> task_levels(t, work=["subject"])["task_level"].tolist()
    ['базовый', 'базовый', 'повышенный', 'повышенный']
    """
    check_positive("advanced_last", advanced_last + 1, integer=True)
    work = list(work)
    out = tasks[[*work, "task_no"]].drop_duplicates()
    last = out.groupby(work, observed=True)["task_no"].transform("max") if work else None
    last = out["task_no"].max() if last is None else last
    advanced = out["task_no"] > last - advanced_last
    out = out.assign(task_level=np.where(advanced, "повышенный", "базовый"))
    return out.sort_values([*work, "task_no"]).reset_index(drop=True)


def completion_by_mark(
    tasks: pd.DataFrame,
    results: pd.DataFrame,
    *,
    work: Sequence[str],
    min_group: int = 10,
    by_school: bool = True,
) -> pd.DataFrame:
    """Completion of each task at each school (or in the region) by the pupils' ВПР mark.

    Pupils are matched on the work columns (``year``, ``session``,
    ``subject``, ``grade`` among ``work``), ``school_id`` and ``pupil_id``.

    Parameters
    ----------
    by_school : bool
        One row per school (default), or, with False, one row per work and
        task for all pupils of ``tasks`` together (the region).

    Returns
    -------
    pandas.DataFrame
        One row per work, task and school (without ``school_id`` when
        ``by_school`` is False): ``n_mark2`` … ``n_mark5`` (pupils with that
        mark) and ``share_mark2`` … ``share_mark5`` (their share of the task's
        maximum; NaN for groups under ``min_group``).

    Examples
    --------
    >>> t = pd.DataFrame({"subject": "Математика", "school_id": "a", "task_no": 1,
    ...     "pupil_id": [f"p{i}" for i in range(20)], "score": [1.0] * 10 + [0.0] * 10,
    ...     "max_score": 1.0})
    >>> r = pd.DataFrame({"subject": "Математика", "school_id": "a",
    ...     "pupil_id": [f"p{i}" for i in range(20)], "mark": [4] * 10 + [2] * 10})
    >>> m = completion_by_mark(t, r, work=["subject"], by_school=False)
    >>> m[["share_mark2", "share_mark4", "n_mark4"]].values.tolist()
    [[0.0, 1.0, 10.0]]
    """
    work = list(work)
    join = [c for c in ("year", "session", "subject", "grade") if c in work]
    join = [c for c in join if c in results.columns]
    r = results.loc[results["mark"].notna(), [*join, "school_id", "pupil_id", "mark"]]
    r = r.drop_duplicates([*join, "school_id", "pupil_id"])
    t = tasks[[*work, "school_id", "pupil_id", "task_no", "score", "max_score"]]
    t = t.loc[t["score"].notna() & t["max_score"].notna()]
    # the results take the task table's dtypes (its categories): no cast of millions of rows
    for c in [*join, "school_id", "pupil_id"]:
        dtype = t[c].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            values = r[c].astype(dtype.categories.dtype)
            r = r.assign(**{c: pd.Categorical(values, dtype=dtype)})
        elif r[c].dtype != dtype:
            r = r.assign(**{c: r[c].astype(dtype)})
    r = r.loc[r[[*join, "school_id", "pupil_id"]].notna().all(axis=1)]
    m = t.merge(r, on=[*join, "school_id", "pupil_id"], how="inner")
    m["mark"] = m["mark"].astype("int64")
    keys = [*work, "task_no", "school_id"] if by_school else [*work, "task_no"]
    how = {"n": ("score", "size"), "points": ("score", "sum"), "top": ("max_score", "sum")}
    g = aggregate(m, [*keys, "mark"], how)
    g = g.loc[g["mark"].isin(MARKS)]
    g["share"] = np.where(g["n"] >= min_group, g["points"] / g["top"], np.nan)
    wide = g.pivot_table(index=keys, columns="mark", values=["n", "share"], observed=True)
    wide.columns = [f"{name}_mark{mark}" for name, mark in wide.columns]
    wide = wide.reset_index()
    for mark in MARKS:
        for name in ("n", "share"):
            if f"{name}_mark{mark}" not in wide.columns:
                wide[f"{name}_mark{mark}"] = np.nan
        n = wide[f"n_mark{mark}"]
        wide[f"n_mark{mark}"] = n.fillna(0).astype("int64")
    return wide


def weak_tasks(
    tasks: pd.DataFrame,
    results: pd.DataFrame | None = None,
    schools: pd.DataFrame | None = None,
    *,
    basic_threshold: float = 0.5,
    advanced_threshold: float = 0.15,
    advanced_last: int = 2,
    levels: pd.DataFrame | None = None,
    min_gap: float = 0.05,
    confidence: float = 0.95,
    min_n: int = 5,
    min_group: int = 10,
    work: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tasks of each work where each school is behind the region: what to reteach.

    Parameters
    ----------
    tasks : DataFrame
        Per-task scores (the ``tasks`` table of a ФИС ОКО import):
        ``school_id``, ``pupil_id``, ``task_no``, ``score``, ``max_score``
        (``task`` as the label when present) and the work columns.
    results : DataFrame, optional
        Pupil-level results with ``mark`` (``results_vpr``): with it, the
        completion by mark group is given.
    schools : DataFrame, optional
        ``school_id`` and ``municipality``: with it, the municipality's
        completion is given.
    basic_threshold, advanced_threshold : float
        Completion at which a basic or an advanced task counts as mastered
        (defaults 0.5 and 0.15; see the module docstring on their source).
    advanced_last : int
        Without ``levels``: how many of the last tasks of a work are advanced.
    levels : DataFrame, optional
        ``task_no``, ``task_level`` («базовый», «повышенный», «высокий»: the
        last two count as advanced) and any of the work columns — the levels
        of the ВПР descriptions; overrides ``advanced_last``.
    min_gap : float
        Smallest shortfall against the region (share units) that counts.
    confidence : float
        Confidence level of the school's interval.
    min_n : int
        Smallest number of pupils for a school's completion to be judged.
    min_group : int
        Smallest mark group whose completion is shown (default 10).
    work : sequence of str, optional
        Columns naming a work; by default those of ``year``, ``session``,
        ``subject``, ``grade``, ``work_grade`` that ``tasks`` has.

    Returns
    -------
    pandas.DataFrame
        One row per work, task and school: the work columns, ``task_no``,
        ``task``, ``task_level``, ``advanced``, ``threshold``, ``max_score``,
        ``school_id``, ``municipality``, ``n``, ``municipality_n``, ``share``, ``share_low``,
        ``share_high``, ``municipality_share``, ``region_share``,
        ``diff_region``, ``mastered`` (school share ≥ threshold),
        ``region_mastered``, ``small`` (n < ``min_n``), ``reteach`` (behind
        the region beyond noise, see the module docstring); with ``results``,
        ``n_mark2`` … ``n_mark5`` and ``share_mark2`` … ``share_mark5``
        (NaN for groups under ``min_group``).

    Examples
    --------
    >>> t = pd.DataFrame({
    ...     "subject": "Математика", "grade": 5, "pupil_id": [f"p{i}" for i in range(40)] * 2,
    ...     "school_id": (["a"] * 20 + ["b"] * 20) * 2, "task_no": [1] * 40 + [2] * 40,
    ...     "score": [0.0] * 16 + [1.0] * 24 + [1.0] * 40, "max_score": 1.0})
    >>> w = weak_tasks(t, advanced_last=1)
    >>> w.loc[w["reteach"], ["school_id", "task_no", "task_level", "share"]].values.tolist()
    [['a', 1, 'базовый', 0.2]]
    """
    for name, value in (
        ("basic_threshold", basic_threshold),
        ("advanced_threshold", advanced_threshold),
        ("confidence", confidence),
    ):
        check_fraction(name, value)
    check_positive("min_group", min_group, integer=True)
    require_columns(tasks, ["school_id", "task_no", "score", "max_score"])
    work = [c for c in _WORK if c in tasks.columns] if work is None else list(work)
    perf = task_performance(tasks, schools, by=work, level=confidence, min_n=min_n, min_gap=min_gap)
    if levels is None:
        lv = task_levels(tasks, advanced_last=advanced_last, work=work)
        on = [*work, "task_no"]
        lv = lv.astype({c: perf[c].dtype for c in on})
    else:
        require_columns(levels, ["task_no", "task_level"])
        on = [c for c in [*work, "task_no"] if c in levels.columns]
        lv = levels[[*on, "task_level"]].drop_duplicates(on)
    out = perf.merge(lv, on=on, how="left")
    out["task_level"] = out["task_level"].fillna("базовый")
    out["advanced"] = out["task_level"].isin(["повышенный", "высокий"])
    out["threshold"] = np.where(out["advanced"], advanced_threshold, basic_threshold)
    out["mastered"] = (out["share"] >= out["threshold"]) & ~out["small"]
    out["region_mastered"] = out["region_share"] >= out["threshold"]
    out["reteach"] = out["behind_region"]
    columns = [
        *work,
        "task_no",
        "task",
        "task_level",
        "advanced",
        "threshold",
        "max_score",
        "school_id",
        "municipality",
        "n",
        "municipality_n",
        "share",
        "share_low",
        "share_high",
        "municipality_share",
        "region_share",
        "diff_region",
        "mastered",
        "region_mastered",
        "small",
        "reteach",
    ]
    out = out[columns]
    if results is not None:
        require_columns(results, ["school_id", "pupil_id", "mark"])
        require_columns(tasks, ["pupil_id"])
        wide = completion_by_mark(tasks, results, work=work, min_group=min_group)
        keys = [*work, "task_no", "school_id"]
        wide = wide.astype({c: out[c].dtype for c in keys})
        out = out.merge(wide, on=keys, how="left")
        for mark in MARKS:
            out[f"n_mark{mark}"] = out[f"n_mark{mark}"].fillna(0).astype("int64")
    return out.sort_values([*work, "school_id", "task_no"]).reset_index(drop=True)

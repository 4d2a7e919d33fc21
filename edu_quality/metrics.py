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

from collections.abc import Callable, Sequence
from copy import deepcopy
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._checks import check_fraction
from ._counts import (
    COUNTS,
    aggregated_counts,
    check_columns,
    combine_counts,
    dask_counts,
    is_pupil_level,
    joined_counts,
    partition_counts,
    pupil_counts,
)
from ._grouping import is_dask, on_distinct
from ._memory import LARGE, give_back
from .exam_years import SPRING, exam_not_held, exam_years
from .intervals import wilson
from .reliability import drop_unreliable

if TYPE_CHECKING:
    import dask.dataframe as dd
    from numpy.typing import ArrayLike

__all__ = [
    "DEFAULT_ALPHA",
    "DEFAULT_BY",
    "METRICS",
    "NO_EXAM_YEARS",
    "exam_not_held",
    "is_pupil_level",
    "summarize",
    "summarize_together",
]

#: Default grouping: one row per school, procedure, subject, grade and year.
DEFAULT_BY = ("school_id", "assessment", "subject", "grade", "year")

#: 1 − the confidence level of :func:`summarize`'s intervals unless told otherwise.
DEFAULT_ALPHA = 0.05

#: Years in which a procedure was not held as an exam (derived from
#: :func:`edu_quality.exam_years.exam_years`, the one list of such years):
#: assessment → years. Rows of those years are kept and marked, but are not
#: exam results.
NO_EXAM_YEARS: dict[str, tuple[int, ...]] = {
    a: tuple(sorted(g["year"].tolist()))
    for a, g in exam_years().query("status == 'не проводился'").groupby("assessment")
}

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


def _spring_where_missing(results: pd.DataFrame | dd.DataFrame) -> pd.DataFrame | dd.DataFrame:
    """``results`` with a missing session «весна»; a categorical session stays one.

    A categorical session without a missing value is left as it is, so that a
    Dask table gives the same categories as pandas: one whose categories are
    sorted and hold «весна» has nothing to change, and of another the session is
    looked at once.
    """
    session = results["session"]
    dask = is_dask(results)
    if isinstance(session.dtype, pd.CategoricalDtype) and (not dask or session.cat.known):
        categories = session.cat.categories
        spring = sorted({*categories, SPRING})  # sorted, as compact keeps them
        if not dask or list(categories) != spring:
            missing = session.isna().any()
            if not (missing.compute() if dask else missing):
                return results
        return results.assign(session=session.cat.set_categories(spring).fillna(SPRING))
    return results.assign(session=session.astype("object").fillna(SPRING).astype("str"))


def summarize(
    results: pd.DataFrame | dd.DataFrame,
    by: Sequence[str] = DEFAULT_BY,
    *,
    min_n: int = 5,
    alpha: float = DEFAULT_ALPHA,
    include_unreliable: bool = False,
    where: Callable[[pd.DataFrame], ArrayLike] | None = None,
    persist: bool = False,
) -> pd.DataFrame | dd.DataFrame:
    """Metrics per group, from pupil-level or aggregated results.

    Parameters
    ----------
    results : DataFrame or dask.dataframe.DataFrame
        Pupil level (``mark``, ``score``, ``admitted``; one row per pupil) or
        aggregated (``participants``, ``not_admitted``, ``n2``…``n5``,
        ``mean_score``), as returned by :func:`edu_quality.read_results`. A
        Dask DataFrame (e.g. ``load_dataset(..., results_engine="dask").results``)
        is summarised partition by partition: see Notes.
    by : sequence of str
        Grouping columns (they must be in ``results``; merge the school
        registry first to group by municipality or group). When ``results``
        has a ``session`` column and ``by`` has ``year`` but not
        ``session``, ``session`` is added right after ``year`` (a missing
        session is «весна»): the autumn and the spring works of one school
        year are two procedures, never pooled (:mod:`edu_quality.exam_years`).
        When every row is spring the table has no ``session`` column, as
        for results without one.
    min_n : int
        Groups with fewer participants are flagged ``small`` (hidden in
        reports to directors).
    alpha : float
        1 − confidence level of the intervals.
    include_unreliable : bool
        Count the rows of unreliable protocols too (column ``unreliable``,
        :mod:`edu_quality.reliability`); by default they are left out.
    where : callable, optional
        Keep only the groups for which ``where(keys)`` is True: ``keys`` holds
        the grouping columns (``session`` included when added), one row per
        group, and the callable returns one flag per row. The table equals
        ``out.loc[where(out)]`` — the same rows, index and columns — without
        computing the metrics of the others or copying the whole table to
        leave them out (a country's summary has millions of rows).
    persist : bool
        Of a Dask DataFrame only: keep the table on the cluster instead of
        bringing it here (see Notes). Returns a Dask DataFrame of one
        partition, already computed; ``.compute()`` gives the table.

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
            True for a procedure not held as an exam that year (ОГЭ and ЕГЭ
            2020, ОГЭ 2021 other than Russian and mathematics:
            :func:`edu_quality.exam_years.exam_years`);
        ``small``
            N < ``min_n``.

        ``attrs`` keeps those of ``results`` and adds ``alpha``, ``min_n`` and
        ``include_unreliable``: what the table was counted with.

    Notes
    -----
    Formulas: see the module docstring (``DOMAIN.md``; СОУ after
    В. П. Симонов). Shares of marks use N as the denominator; intervals are
    Wilson score intervals (:func:`edu_quality.intervals.wilson`).

    A Dask DataFrame is counted partition by partition (``map_partitions``, on
    the cluster of the active ``distributed.Client`` if any): each partition
    gives the counts, mean score and standard deviation of its groups, and
    only these rows — one per group and partition, far fewer than the pupils
    — are brought to this process and combined per group: counts summed
    (unknown when unknown in a partition), means weighted by their pupils,
    standard deviations by the pairwise update of Chan, Golub & LeVeque
    (1979). The table is the one of the pandas DataFrame (same rows, order
    and dtypes; counts exact, means and deviations to rounding, about
    1e-15 relative, exact for a group within one partition). String columns
    compare as Dask gives them: ``dd.from_pandas`` and ``dd.read_parquet``
    turn ``str`` into ``string[pyarrow]`` unless
    ``dask.config.set({"dataframe.convert-string": False})``; the keys of
    the table then have that dtype.

    With ``persist=True`` the partitions' counts are combined on a worker and
    the table stays there: a country's summary (millions of groups, about half
    a gigabyte) need not come to this process. :func:`~edu_quality.identify.classify`
    and :func:`~edu_quality.identify.school_summaries` take it as
    ``results_summary`` and bring back only the rows and columns they read.

    References
    ----------
    T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise
    algorithm for computing sample variances", Stanford University, report
    STAN-CS-79-773, 1979.

    Examples
    --------
    >>> agg = pd.DataFrame({"school_id": ["5"], "assessment": ["ОГЭ"], "subject": ["Математика"],
    ...     "grade": [9], "year": [2022], "participants": [24], "not_admitted": [0], "n2": [15]})
    >>> row = summarize(agg).iloc[0]   # Inta seed: СОШ № 5, ОГЭ 2022
    >>> float(row["share_2"]), bool(np.isnan(row["quality_rate"]))
    (0.625, True)

    Groups left out before their metrics are computed (here, every year up to 2022):

    >>> len(summarize(agg, where=lambda keys: keys["year"] > 2022))
    0

    The same table from a Dask DataFrame, a school's pupils in two partitions:

    >>> import dask.dataframe as dd
    >>> pupils = pd.DataFrame({"school_id": ["1", "1", "2", "1"], "mark": [2, 4, 5, 5],
    ...                        "score": [5.0, 14.0, 19.0, 18.0]})
    >>> s = summarize(dd.from_pandas(pupils, npartitions=2), ["school_id"])
    >>> s[["participants", "n2", "n5"]].to_numpy().tolist()
    [[3, 1, 1], [1, 0, 1]]
    >>> bool(np.allclose(s["score_sd"], summarize(pupils, ["school_id"])["score_sd"],
    ...                  equal_nan=True))
    True
    """
    by = list(by)
    _check_options(min_n, alpha)
    if persist and not is_dask(results):
        raise ValueError(
            "Параметр `persist`: только для таблицы Dask (load_dataset(..., "
            'results_engine="dask")), передана таблица pandas'
        )
    added = "session" in results.columns and "year" in by and "session" not in by
    if added:
        by.insert(by.index("year") + 1, "session")
        results = _spring_where_missing(results)
    counted = dict(
        by=by,
        session_added=added,
        where=where,
        min_n=min_n,
        alpha=alpha,
        include_unreliable=include_unreliable,
    )
    if persist:
        return _persisted(results, counted)
    counts, attrs = _counts(results, by, include_unreliable)
    out = _summary(counts, attrs, **counted)
    if len(out) >= LARGE or (not is_dask(results) and len(results) >= LARGE):
        give_back()  # the columns made from millions of rows (or partial counts), freed
    return out


def summarize_together(
    tables: Sequence[pd.DataFrame | dd.DataFrame],
    by: Sequence[str] = DEFAULT_BY,
    *,
    min_n: int = 5,
    alpha: float = DEFAULT_ALPHA,
    include_unreliable: bool = False,
    where: Callable[[pd.DataFrame], ArrayLike] | None = None,
) -> pd.DataFrame:
    """:func:`summarize` of pupil results and school counts together, each group once.

    A region's results may come per pupil from some schools and as counts per
    school from others (``Dataset.results`` and ``Dataset.aggregates``). Above
    the school — a municipality, the region — a group then has rows of both
    kinds; summarising each table apart would give it two rows, each with a
    part of its pupils. Here every table is counted as :func:`summarize`
    counts it and the counts of a group are added up:

    * ``participants``, ``not_admitted``, ``n2``…``n5`` — summed (a count
      unknown in one part is unknown);
    * ``mean_score`` — the means weighted by the pupils behind them, unknown
      when a school's counts have participants without a mean (as for counts
      alone);
    * ``score_sd`` — unknown for a group with counts per school (they carry no
      deviation); the pooled deviation (Chan, Golub & LeVeque, 1979) otherwise.

    Parameters
    ----------
    tables : sequence of DataFrame or dask.dataframe.DataFrame
        Pupil-level and aggregated results, as :func:`summarize` takes them.
        The same pupils must not be in two tables (:func:`edu_quality.load_dataset`
        refuses a school's work given in both forms).
    by, min_n, alpha, include_unreliable, where
        As for :func:`summarize`.

    Returns
    -------
    DataFrame
        The columns of :func:`summarize`. With one non-empty table it is
        ``summarize`` of that table; ``attrs`` keeps those every table shares.

    Examples
    --------
    >>> pupils = pd.DataFrame({"school_id": ["1", "1", "1"], "municipality": "М",
    ...                        "mark": [2, 4, 5], "score": [4.0, 14.0, 19.0]})
    >>> counts = pd.DataFrame({"school_id": ["2"], "municipality": "М", "participants": [2],
    ...                        "n2": [0], "n3": [1], "n4": [1], "n5": [0], "mean_score": [11.0]})
    >>> s = summarize_together([pupils, counts], ["municipality"])
    >>> s[["participants", "n2", "n4", "mean_score"]].to_numpy().tolist()
    [[5, 1, 2, 11.8]]
    """
    given = [t for t in tables if is_dask(t) or len(t)]  # a Dask table's length costs a pass
    if len(given) <= 1:
        table = given[0] if given else tables[0]
        return summarize(
            table,
            by,
            min_n=min_n,
            alpha=alpha,
            include_unreliable=include_unreliable,
            where=where,
        )
    by = list(by)
    _check_options(min_n, alpha)
    added = "year" in by and "session" not in by and any("session" in t.columns for t in given)
    if added:
        by.insert(by.index("year") + 1, "session")
        given = [
            _spring_where_missing(t) if "session" in t.columns else t.assign(session=SPRING)
            for t in given
        ]
    partials, kinds = [], []
    for t in given:
        counts, _ = _counts(t, by, include_unreliable)
        partials.append(counts)
        kinds.append(np.full(len(counts), not is_pupil_level(t)))
    counts = combine_counts(
        pd.concat(partials, ignore_index=True), by, aggregated=np.concatenate(kinds)
    )
    first, *rest = ((t._meta if is_dask(t) else t).attrs for t in given)
    attrs = {k: v for k, v in first.items() if all(k in r and r[k] == v for r in rest)}
    return _summary(
        counts,
        attrs,
        by,
        session_added=added,
        where=where,
        min_n=min_n,
        alpha=alpha,
        include_unreliable=include_unreliable,
    )


def _check_options(min_n: int, alpha: float) -> None:
    check_fraction("alpha", alpha)
    if min_n < 0:
        raise ValueError(f"Параметр `min_n` должен быть неотрицательным, передано {min_n!r}")


def _counted_rows(
    results: pd.DataFrame | dd.DataFrame, by: list[str], include_unreliable: bool
) -> pd.DataFrame | dd.DataFrame:
    """``results`` checked for the columns ``by`` names, without the rows not counted."""
    check_columns(results, by, "summarize")
    return drop_unreliable(results, include_unreliable=include_unreliable)


def _counts(
    results: pd.DataFrame | dd.DataFrame, by: list[str], include_unreliable: bool
) -> tuple[pd.DataFrame, dict]:
    """The counts per group of one table (:func:`pupil_counts`, :func:`aggregated_counts`) and its attrs."""
    results = _counted_rows(results, by, include_unreliable)
    if is_dask(results):
        counts = dask_counts(results, by)
        if len(counts) >= LARGE:
            give_back()  # the counts of each partition, combined: before the metrics grow
        return counts, results._meta.attrs
    if is_pupil_level(results):
        return pupil_counts(results, by), results.attrs
    check_columns(results, ["participants"], "summarize")
    return aggregated_counts(results, by), results.attrs


def _persisted(results: dd.DataFrame, counted: dict) -> dd.DataFrame:
    """:func:`summarize` of a Dask DataFrame, combined on a worker and kept there."""
    import dask
    import dask.dataframe as dd

    results = _counted_rows(results, counted["by"], counted["include_unreliable"])
    parts, aggregated = partition_counts(results, counted["by"])
    made = dask.delayed(
        partial(_summary_of_parts, aggregated=aggregated, attrs=results._meta.attrs, **counted)
    )(parts)  # not pure: a key of its own at each call (``where`` may read what has changed)
    (made,) = dask.persist(made)
    meta = dask.delayed(_no_rows)(made).compute()  # its columns depend on its rows (the session)
    return dd.from_delayed([made], meta=meta, verify_meta=False)


def _summary_of_parts(
    parts: list[pd.DataFrame], *, aggregated: bool, attrs: dict, **counted
) -> pd.DataFrame:
    """The table of :func:`summarize` from the counts of each partition (on a worker)."""
    counts = joined_counts(parts, counted["by"], aggregated=aggregated)
    out = _summary(counts, attrs, **counted)
    if len(out) >= LARGE:
        give_back()
    return out


def _no_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table.iloc[:0]


def _summary(
    counts: pd.DataFrame,
    attrs: dict,
    by: list[str],
    *,
    session_added: bool,
    where: Callable[[pd.DataFrame], ArrayLike] | None,
    min_n: int,
    alpha: float,
    include_unreliable: bool,
) -> pd.DataFrame:
    """The table of :func:`summarize` from the counts per group (``counts`` is changed)."""
    spring = session_added and bool((counts["session"] == SPRING).all())  # every group's
    kept = None
    if where is not None:
        keep = np.asarray(where(counts[by]), dtype=bool)
        if len(keep) != len(counts):
            raise ValueError(
                f"Параметр `where`: нужен один признак на группу ({len(counts)}), "
                f"получено {len(keep)}"
            )
        if not keep.all():
            kept = counts.index[keep]  # the index ``out.loc[flags]`` would have
            counts = counts.loc[keep].reset_index(drop=True)
    out = _finish(counts, attrs, by, min_n, alpha)
    if kept is not None:
        out.index = kept
    if spring:  # spring throughout: the table as before
        out = out.drop(columns="session")
    out.attrs["include_unreliable"] = include_unreliable
    return out


def _finish(
    counts: pd.DataFrame, attrs: dict, by: list[str], min_n: int, alpha: float
) -> pd.DataFrame:
    """The metrics of :func:`summarize` from the counts per group (``counts`` is changed)."""
    out = counts
    out.attrs = deepcopy(attrs)  # as pandas passes them on through a groupby
    # the intervals first, while the table is smallest: each numbers the distinct
    # pairs of its counts (on_distinct), the memory of a country's millions of groups
    n = out["participants"].astype("float64")
    n2, n3, n4, n5 = (out[c] for c in COUNTS)
    success, quality, registered = n3 + n4 + n5, n4 + n5, n + out["not_admitted"]
    for name, count, total in (
        ("share_2", n2, n),
        ("success_rate", success, n),
        ("quality_rate", quality, n),
        ("not_admitted_share", out["not_admitted"], registered),
    ):
        out[f"{name}_low"], out[f"{name}_high"] = on_distinct(
            lambda c, t: wilson(c, t, alpha=alpha), count, total
        )
    del count, total
    out["share_2"] = n2 / n.where(n > 0)
    out["success_rate"] = success / n.where(n > 0)
    out["quality_rate"] = quality / n.where(n > 0)
    out["not_admitted_share"] = out["not_admitted"] / registered.where(registered > 0)
    del success, quality, registered
    n_marked = n2 + n3 + n4 + n5  # unknown if any count is
    n_marked = n_marked.where(n_marked > 0)
    out["sou"] = (100 * n5 + 64 * n4 + 36 * n3 + 16 * n2) / n_marked
    out["mean_mark"] = (2 * n2 + 3 * n3 + 4 * n4 + 5 * n5) / n_marked
    del n_marked, n2, n3, n4, n5
    out["exam_not_held"] = exam_not_held(out) if {"assessment", "year"} <= set(by) else False
    out["small"] = n < min_n
    out["participants"] = out["participants"].astype("int64")
    for c in ("not_admitted", *COUNTS):
        out[c] = out[c].astype("Int64")
    order = [
        *by,
        "participants",
        "not_admitted",
        *COUNTS,
        "share_2",
        "share_2_low",
        "share_2_high",
        "success_rate",
        "success_rate_low",
        "success_rate_high",
        "quality_rate",
        "quality_rate_low",
        "quality_rate_high",
        "sou",
        "mean_mark",
        "mean_score",
        "score_sd",
        "score_n",
        "not_admitted_share",
        "not_admitted_share_low",
        "not_admitted_share_high",
        "exam_not_held",
        "small",
    ]
    out = out[order]
    out.attrs["alpha"] = alpha
    out.attrs["min_n"] = min_n
    return out

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
from concurrent.futures import ThreadPoolExecutor
from copy import deepcopy
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._checks import check_fraction
from ._grouping import by_group, group_mean, groups, is_dask, on_distinct
from ._memory import LARGE, give_back
from .errors import DataError
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


def _check_columns(data: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(None, f"{what}: нет столбцов {', '.join(missing)}")


def _tally(ids: np.ndarray, n_groups: int, state: np.ndarray, n_states: int) -> np.ndarray:
    """Rows per group and state (0 … n_states − 1): an array n_groups × n_states."""
    flat = np.bincount(ids * n_states + state, minlength=n_groups * n_states)
    return flat.reshape(n_groups, n_states).astype("int64", copy=False)


#: The columns of pupil results :func:`_pupil_counts` reads, beside those it groups by.
_PUPIL_COUNTED = ("admitted", "mark", "score")


def _pupil_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    n = len(results)
    admitted = (
        results["admitted"].fillna(True).astype(bool).to_numpy()
        if "admitted" in results.columns
        else np.ones(n, dtype=bool)
    )
    mark = (
        results["mark"].to_numpy(dtype="float64", na_value=np.nan)
        if "mark" in results.columns
        else np.full(n, np.nan)
    )
    score = (
        results["score"].to_numpy(dtype="float64", na_value=np.nan)
        if "score" in results.columns
        else np.full(n, np.nan)
    )
    has_mark = ~np.isnan(mark)
    has_score = ~np.isnan(score)
    wrote = admitted & (has_mark | has_score)
    marked = wrote & has_mark
    del has_mark
    ids, out = groups(results, by)
    g = len(out)
    scores = np.where(wrote, score, np.nan)
    del score
    with ThreadPoolExecutor(max_workers=1) as pool:
        # pandas' deviation per group (its kernel runs without the GIL) on a second
        # thread while the rows are tallied here: a country's 12 million rows
        sd = pool.submit(_group_sd, scores, ids, g) if n >= LARGE else None
        score_n = _tallies(out, ids, wrote, admitted, marked, has_score, mark)
        del admitted, marked, has_score, mark
        out["mean_score"] = group_mean(scores, ids, g)  # at once where exact, as pandas' own
        out["score_sd"] = sd.result() if sd is not None else _group_sd(scores, ids, g)
    out["score_n"] = score_n
    return out


def _group_sd(scores: np.ndarray, ids: np.ndarray, n_groups: int) -> np.ndarray:
    """The standard deviation of the scores per group, pandas' own (``ddof=1``)."""
    return by_group(scores, ids, n_groups).std().to_numpy()


def _tallies(
    out: pd.DataFrame,
    ids: np.ndarray,
    wrote: np.ndarray,
    admitted: np.ndarray,
    marked: np.ndarray,
    has_score: np.ndarray,
    mark: np.ndarray,
) -> np.ndarray:
    """The counts of :func:`_pupil_counts` per group, put in ``out``; returns the scores' count."""
    g = len(out)
    # flags of a row: 1 wrote the work, 2 not admitted, 4 has a score (one byte a row)
    byte = np.uint8
    state = (
        wrote.view(byte)
        + (~admitted).view(byte) * byte(2)
        + (wrote & has_score).view(byte) * byte(4)
    )
    flags = _tally(ids, g, state, 8)
    del state
    # sums of a few columns, added one to another (a row sum over 8 states is slower)
    out["participants"] = flags[:, 1] + flags[:, 3] + flags[:, 5] + flags[:, 7]
    out["not_admitted"] = flags[:, 2] + flags[:, 3] + flags[:, 6] + flags[:, 7]
    score_n = flags[:, 4] + flags[:, 5] + flags[:, 6] + flags[:, 7]
    del flags
    # mark of a participant: 0 none, 1–4 the marks 2–5, 5 another mark
    which = np.where(marked, byte(5), byte(0))
    for k in (2, 3, 4, 5):
        which[marked & (mark == k)] = k - 1
    marks = _tally(ids, g, which, 6)
    del which
    # marks unknown for some participants (e.g. ЕГЭ has no marks): counts unknown
    with_mark = marks[:, 1] + marks[:, 2] + marks[:, 3] + marks[:, 4] + marks[:, 5]
    unknown = with_mark < out["participants"].to_numpy()
    for place, c in enumerate(_COUNTS, start=1):  # n2 … n5: the places 1–4 of ``which``
        out[c] = pd.Series(marks[:, place], index=out.index).astype("float64").where(~unknown)
    del marks, with_mark
    return score_n


def _aggregated_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    participants = results["participants"].astype("float64").to_numpy()
    has_mean = "mean_score" in results.columns
    ms = (
        results["mean_score"].to_numpy(dtype="float64", na_value=np.nan)
        if has_mean
        else np.full(len(results), np.nan)
    )
    ids, out = groups(results, by)
    g = len(out)
    size = np.bincount(ids, minlength=g)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(ids, weights=values, minlength=g)

    out["participants"] = total(participants)
    # a count is known for a group only when it is known in every row of the group
    for c in ("not_admitted", *_COUNTS):
        if c not in results.columns:
            out[c] = np.nan
            continue
        v = results[c].to_numpy(dtype="float64", na_value=np.nan)
        known = np.bincount(ids[~np.isnan(v)], minlength=g) == size
        out[c] = np.where(known, total(np.nan_to_num(v)), np.nan)
    score_n = total(np.where(np.isnan(ms), 0.0, participants))
    # pandas' group sum (compensated) of the non-integer products
    score_sum = by_group(ms * participants, ids, g).sum().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = score_sum / score_n
    out["mean_score"] = np.where(score_n == out["participants"], mean, np.nan)
    out["score_sd"] = np.nan
    out["score_n"] = score_n
    return out


def _dask_counts(results: dd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The counts of :func:`_pupil_counts` or :func:`_aggregated_counts` of a Dask DataFrame.

    Each partition is counted on its own (on the cluster, if there is one); only
    the counts per group and partition come back, and :func:`_combine_counts`
    makes them the counts of the whole groups. Of pupil results only the
    columns counted are asked for (``_PUPIL_COUNTED``): a dataset's
    partitions read no others.
    """
    import dask
    from dask.dataframe import methods

    pupils = is_pupil_level(results)
    if not pupils:
        _check_columns(results, ["participants"], "summarize")
    else:
        used = {*by, *_PUPIL_COUNTED}
        results = results[[c for c in results.columns if c in used]]
    count = _sent_counts if pupils else _aggregated_counts
    # the counts of a made-up non-empty partition give the dtypes (an empty one gives
    # integer sums where a real one gives floats)
    meta = count(results._meta_nonempty, by).iloc[:0]
    parts = results.map_partitions(count, by, meta=meta).to_delayed()
    # each partition's counts straight from its worker (not joined on one worker first),
    # joined as Dask joins them (categories that differ between partitions united)
    partials = methods.concat(list(dask.compute(*parts)))
    if pupils:  # widened again, as the counts of the whole table come
        partials = partials.astype(
            dict.fromkeys(_SENT_NARROW, "int64") | dict.fromkeys(_COUNTS, "float64")
        )
    return _combine_counts(partials, by, aggregated=not pupils)


# the counts of pupil results that a partition sends in 32 bits (see _sent_counts)
_SENT_NARROW = ("participants", "not_admitted", "score_n")


def _sent_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """:func:`_pupil_counts` of one partition, its counts in 32 bits to be sent.

    Each count of a part of fewer than 2²⁴ rows is below 2²⁴: a whole number
    that ``int32`` and ``float32`` (the marks, which may be unknown) hold
    exactly. A third less to send from the workers; :func:`_dask_counts`
    widens them again. A larger part is sent as counted.

    Examples
    --------
    >>> r = pd.DataFrame({"school_id": ["1", "1"], "mark": [3, 5], "score": [9.0, 20.0]})
    >>> c = _sent_counts(r, ["school_id"])
    >>> str(c["participants"].dtype), str(c["n5"].dtype), c["n5"].tolist()
    ('int32', 'float32', [1.0])
    """
    out = _pupil_counts(results, by)
    if len(results) < 2**24:
        out = out.astype(dict.fromkeys(_SENT_NARROW, "int32") | dict.fromkeys(_COUNTS, "float32"))
    return out


def _combine_counts(
    partials: pd.DataFrame, by: list[str], *, aggregated: bool | np.ndarray
) -> pd.DataFrame:
    r"""Counts per group from counts per group and part of the rows (vectorised, no loop).

    ``partials`` are the outputs of :func:`_pupil_counts` (``aggregated=False``)
    or :func:`_aggregated_counts` on disjoint parts of one table, concatenated; a
    group may have a row in several parts. The result is what that function
    gives on the whole table: the groups in the same order with the same key
    dtypes (:func:`groups`), the counts exactly, the mean and standard
    deviation to rounding. ``aggregated`` may also be one flag per row of
    ``partials``: the counts of pupil results and of school counts together
    (:func:`summarize_together`).

    * ``participants``, ``score_n`` — summed;
    * ``not_admitted``, ``n2``…``n5`` — summed, and unknown (NaN) when unknown
      in any part: a count is known only when it is known everywhere, and the
      marks are unknown when they are unknown for some participants;
    * ``mean_score`` — the mean of the parts' means weighted by their ``score_n``
      (parts with ``score_n`` > 0); unknown when such a part's mean is
      unknown, and (aggregated) when the participants with a mean are not all
      the participants;
    * ``score_sd`` — the pairwise update of Chan, Golub &
      LeVeque (1979): with :math:`M_{2,i} = s_i^2 (n_i - 1)` (0 when
      :math:`n_i \le 1`), :math:`M_2 = \sum_i M_{2,i} + \sum_i n_i (\bar x_i - \bar x)^2`
      and :math:`s = \sqrt{M_2 / (n - 1)}`; unknown when :math:`n \le 1` or a
      part with :math:`n_i > 1` has none. Unknown for a group with an
      aggregated part: counts per school have no standard deviation.

    A group with one contributing part keeps that part's mean and standard
    deviation as they are (no rounding added).

    References
    ----------
    T. F. Chan, G. H. Golub, R. J. LeVeque, "Updating formulae and a pairwise
    algorithm for computing sample variances", Stanford University, report
    STAN-CS-79-773, 1979.

    Examples
    --------
    >>> pupils = pd.DataFrame({"school_id": ["1", "1", "1", "2"], "mark": [2, 3, 5, 4],
    ...                        "score": [4.0, 9.0, 20.0, 15.0]})
    >>> parts = pd.concat([_pupil_counts(pupils[:2], ["school_id"]),
    ...                    _pupil_counts(pupils[2:], ["school_id"])], ignore_index=True)
    >>> c = _combine_counts(parts, ["school_id"], aggregated=False)
    >>> c[["participants", "n2", "n5", "mean_score"]].to_numpy().tolist()
    [[3.0, 1.0, 1.0, 11.0], [1.0, 0.0, 0.0, 15.0]]
    >>> bool(np.isclose(c.loc[0, "score_sd"], pupils["score"][:3].std()))
    True
    """
    ids, out = groups(partials, by)
    g = len(out)
    per_school = np.broadcast_to(np.asarray(aggregated, dtype=bool), (len(partials),))

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(ids, weights=values, minlength=g)

    def column(name: str) -> np.ndarray:
        return partials[name].to_numpy(dtype="float64", na_value=np.nan)

    def like(values: np.ndarray, name: str) -> np.ndarray:
        dtype = partials[name].dtype  # integer sums stay integers (they have no NaN)
        return values.astype(dtype) if pd.api.types.is_integer_dtype(dtype) else values

    participants = column("participants")
    out["participants"] = like(total(participants), "participants")
    for c in ("not_admitted", *_COUNTS):
        v = column(c)
        unknown = total(np.isnan(v)) > 0
        out[c] = like(np.where(unknown, np.nan, total(np.where(np.isnan(v), 0.0, v))), c)
    n, mean, sd = column("score_n"), column("mean_score"), column("score_sd")
    has = n > 0
    score_n = total(n)
    single = total(has) == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        combined = total(np.where(has, n * mean, 0.0)) / total(np.where(has, n, 0.0))
        own = total(np.where(has, mean, 0.0))  # the one contributing part's mean, exactly
        mean_all = np.where(single, own, combined)
        mean_all[(total(has & np.isnan(mean)) > 0) | (score_n == 0)] = np.nan
        # counts per school: a mean only when every participant is behind one
        mean_all[total(np.where(per_school, participants - n, 0.0)) > 0] = np.nan
        m2 = np.where(n > 1, sd**2 * (n - 1), 0.0)
        dev = np.where(has, n * (mean - mean_all[ids]) ** 2, 0.0)
        sd_all = np.sqrt((total(m2) + total(dev)) / (score_n - 1))
        sd_all = np.where(single, total(np.where(has, sd, 0.0)), sd_all)
        unknown = (total((n > 1) & np.isnan(sd)) > 0) | (score_n <= 1) | np.isnan(mean_all)
        sd_all[unknown | (total(per_school) > 0)] = np.nan
    out["mean_score"] = mean_all
    out["score_sd"] = sd_all
    out["score_n"] = like(score_n, "score_n")
    return out


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
) -> pd.DataFrame:
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
    added = "session" in results.columns and "year" in by and "session" not in by
    if added:
        by.insert(by.index("year") + 1, "session")
        results = _spring_where_missing(results)
    counts, attrs = _counts(results, by, include_unreliable)
    out = _summary(counts, attrs, by, session_added=added, where=where, min_n=min_n, alpha=alpha)
    out.attrs["include_unreliable"] = include_unreliable
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
    counts = _combine_counts(
        pd.concat(partials, ignore_index=True), by, aggregated=np.concatenate(kinds)
    )
    first, *rest = ((t._meta if is_dask(t) else t).attrs for t in given)
    attrs = {k: v for k, v in first.items() if all(k in r and r[k] == v for r in rest)}
    out = _summary(counts, attrs, by, session_added=added, where=where, min_n=min_n, alpha=alpha)
    out.attrs["include_unreliable"] = include_unreliable
    return out


def _check_options(min_n: int, alpha: float) -> None:
    check_fraction("alpha", alpha)
    if min_n < 0:
        raise ValueError(f"Параметр `min_n` должен быть неотрицательным, передано {min_n!r}")


def _counts(
    results: pd.DataFrame | dd.DataFrame, by: list[str], include_unreliable: bool
) -> tuple[pd.DataFrame, dict]:
    """The counts per group of one table (:func:`_pupil_counts`, :func:`_aggregated_counts`) and its attrs."""
    _check_columns(results, by, "summarize")
    results = drop_unreliable(results, include_unreliable=include_unreliable)
    if is_dask(results):
        return _dask_counts(results, by), results._meta.attrs
    if is_pupil_level(results):
        return _pupil_counts(results, by), results.attrs
    _check_columns(results, ["participants"], "summarize")
    return _aggregated_counts(results, by), results.attrs


def _summary(
    counts: pd.DataFrame,
    attrs: dict,
    by: list[str],
    *,
    session_added: bool,
    where: Callable[[pd.DataFrame], ArrayLike] | None,
    min_n: int,
    alpha: float,
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
    return out


def _finish(
    counts: pd.DataFrame, attrs: dict, by: list[str], min_n: int, alpha: float
) -> pd.DataFrame:
    """The metrics of :func:`summarize` from the counts per group (``counts`` is changed)."""
    out = counts
    out.attrs = deepcopy(attrs)  # as pandas passes them on through a groupby
    n = out["participants"].astype("float64")
    n_marked = out[list(_COUNTS)].sum(axis=1, min_count=4)  # NaN if any count unknown
    n2 = out["n2"]
    out["share_2"] = n2 / n.where(n > 0)
    success = out["n3"] + out["n4"] + out["n5"]
    quality = out["n4"] + out["n5"]
    out["success_rate"] = success / n.where(n > 0)
    out["quality_rate"] = quality / n.where(n > 0)
    out["sou"] = (
        100 * out["n5"] + 64 * out["n4"] + 36 * out["n3"] + 16 * out["n2"]
    ) / n_marked.where(n_marked > 0)
    out["mean_mark"] = (
        2 * out["n2"] + 3 * out["n3"] + 4 * out["n4"] + 5 * out["n5"]
    ) / n_marked.where(n_marked > 0)
    registered = n + out["not_admitted"]
    out["not_admitted_share"] = out["not_admitted"] / registered.where(registered > 0)
    for name, count, total in (
        ("share_2", n2, n),
        ("success_rate", success, n),
        ("quality_rate", quality, n),
        ("not_admitted_share", out["not_admitted"], registered),
    ):
        out[f"{name}_low"], out[f"{name}_high"] = on_distinct(
            lambda c, t: wilson(c, t, alpha=alpha), count, total
        )
    out["exam_not_held"] = exam_not_held(out) if {"assessment", "year"} <= set(by) else False
    out["small"] = n < min_n
    out["participants"] = out["participants"].astype("int64")
    for c in ("not_admitted", *_COUNTS):
        out[c] = out[c].astype("Int64")
    order = [
        *by,
        "participants",
        "not_admitted",
        *_COUNTS,
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

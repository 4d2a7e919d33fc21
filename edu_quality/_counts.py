"""Counts per group of assessment results: the numbers every metric is made of.

Of pupil results (:func:`pupil_counts`: one row per pupil) and of counts per
school (:func:`aggregated_counts`), each group's participants, not admitted,
marks «2»…«5», and the mean and standard deviation of the scores; of a Dask
DataFrame partition by partition (:func:`dask_counts`), and the counts of
disjoint parts of one table combined into the counts of the whole
(:func:`combine_counts`). :mod:`edu_quality.metrics` makes the metrics from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ._grouping import by_group, group_mean, groups
from ._memory import LARGE, give_back
from .errors import DataError

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = [
    "COUNTS",
    "aggregated_counts",
    "check_columns",
    "combine_counts",
    "dask_counts",
    "is_pupil_level",
    "joined_counts",
    "partition_counts",
    "pupil_counts",
    "sent_counts",
]

#: The counts of each mark, «2» to «5».
COUNTS = ("n2", "n3", "n4", "n5")


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


def check_columns(data: pd.DataFrame, needed: Sequence[str], what: str) -> None:
    """Refuse ``data`` without the columns ``needed`` by ``what`` (a :class:`DataError`)."""
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise DataError(None, f"{what}: нет столбцов {', '.join(missing)}")


def _tally(ids: np.ndarray, n_groups: int, state: np.ndarray, n_states: int) -> np.ndarray:
    """Rows per group and state (0 … n_states − 1): an array n_groups × n_states."""
    flat = np.bincount(ids * n_states + state, minlength=n_groups * n_states)
    return flat.reshape(n_groups, n_states).astype("int64", copy=False)


#: The columns of pupil results :func:`pupil_counts` reads, beside those it groups by.
_PUPIL_COUNTED = ("admitted", "mark", "score")


def pupil_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The counts of pupil results per group of ``by`` (the groups of :func:`groups`).

    ``participants`` (admitted, with a mark or a score), ``not_admitted``,
    ``n2``…``n5`` (NaN where some participant has no mark), the scores'
    ``mean_score``, ``score_sd`` (pandas' own, ``ddof=1``) and ``score_n``.

    Examples
    --------
    >>> r = pd.DataFrame({"school_id": ["1", "1", "2"], "mark": [2, 5, 4], "score": [4.0, 20.0, 15.0]})
    >>> pupil_counts(r, ["school_id"])[["participants", "n2", "mean_score"]].to_numpy().tolist()
    [[2.0, 1.0, 12.0], [1.0, 0.0, 15.0]]
    """
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
    """The counts of :func:`pupil_counts` per group, put in ``out``; returns the scores' count."""
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
    for place, c in enumerate(COUNTS, start=1):  # n2 … n5: the places 1–4 of ``which``
        out[c] = pd.Series(marks[:, place], index=out.index).astype("float64").where(~unknown)
    del marks, with_mark
    return score_n


def aggregated_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The counts of counts per school (``participants``, ``n2``…) per group of ``by``.

    The columns of :func:`pupil_counts`: counts summed (unknown where unknown in a
    row of the group), the mean score weighted by participants (unknown unless
    every participant is behind a mean), no standard deviation.
    """
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
    for c in ("not_admitted", *COUNTS):
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


def partition_counts(results: dd.DataFrame, by: list[str]) -> tuple[list, bool]:
    """The counts of each partition of a Dask DataFrame, not yet computed.

    Returns the partitions' counts as ``dask.delayed`` objects (:func:`sent_counts`
    of pupil results, :func:`aggregated_counts` of counts per school) and
    whether they are counts per school. Of pupil results only the columns
    counted are asked for (``_PUPIL_COUNTED``): a dataset's partitions read no
    others.
    """
    pupils = is_pupil_level(results)
    if not pupils:
        check_columns(results, ["participants"], "summarize")
    else:
        used = {*by, *_PUPIL_COUNTED}
        results = results[[c for c in results.columns if c in used]]
    count = sent_counts if pupils else aggregated_counts
    # the counts of a made-up non-empty partition give the dtypes (an empty one gives
    # integer sums where a real one gives floats)
    meta = count(results._meta_nonempty, by).iloc[:0]
    return results.map_partitions(count, by, meta=meta).to_delayed(), not pupils


def joined_counts(parts: list[pd.DataFrame], by: list[str], *, aggregated: bool) -> pd.DataFrame:
    """The counts of the whole groups from the counts of each partition (:func:`partition_counts`).

    The partitions' counts are joined as Dask joins them (categories that differ
    between partitions united) and combined (:func:`combine_counts`), the narrow
    counts widened again. ``parts`` is emptied, so that its tables are freed once
    joined where nothing else holds them (here, not on a worker, which keeps a
    task's inputs until it ends).
    """
    from dask.dataframe import methods

    partials = methods.concat(parts)
    parts.clear()
    if len(partials) >= LARGE:
        give_back()  # the partitions' counts as they came, now joined
    return combine_counts(partials, by, aggregated=aggregated)


def dask_counts(results: dd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The counts of :func:`pupil_counts` or :func:`aggregated_counts` of a Dask DataFrame.

    Each partition is counted on its own (on the cluster, if there is one); only
    the counts per group and partition come back, each straight from its worker
    (not joined on one worker first), and :func:`joined_counts` makes them the
    counts of the whole groups.
    """
    import dask

    parts, aggregated = partition_counts(results, by)
    return joined_counts(list(dask.compute(*parts)), by, aggregated=aggregated)


# the counts of pupil results that a partition sends in 32 bits (see sent_counts)
_SENT_NARROW = ("participants", "not_admitted", "score_n")


def sent_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """:func:`pupil_counts` of one partition, its counts in 32 bits to be sent.

    Each count of a part of fewer than 2²⁴ rows is below 2²⁴: a whole number
    that ``int32`` and ``float32`` (the marks, which may be unknown) hold
    exactly. A third less to send from the workers; :func:`dask_counts`
    widens them again. A larger part is sent as counted.

    Examples
    --------
    >>> r = pd.DataFrame({"school_id": ["1", "1"], "mark": [3, 5], "score": [9.0, 20.0]})
    >>> c = sent_counts(r, ["school_id"])
    >>> str(c["participants"].dtype), str(c["n5"].dtype), c["n5"].tolist()
    ('int32', 'float32', [1.0])
    """
    out = pupil_counts(results, by)
    if len(results) < 2**24:
        out = out.astype(dict.fromkeys(_SENT_NARROW, "int32") | dict.fromkeys(COUNTS, "float32"))
    return out


def combine_counts(
    partials: pd.DataFrame, by: list[str], *, aggregated: bool | np.ndarray
) -> pd.DataFrame:
    r"""Counts per group from counts per group and part of the rows (vectorised, no loop).

    ``partials`` are the outputs of :func:`pupil_counts` (``aggregated=False``)
    or :func:`aggregated_counts` on disjoint parts of one table, concatenated; a
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
    >>> parts = pd.concat([pupil_counts(pupils[:2], ["school_id"]),
    ...                    pupil_counts(pupils[2:], ["school_id"])], ignore_index=True)
    >>> c = combine_counts(parts, ["school_id"], aggregated=False)
    >>> c[["participants", "n2", "n5", "mean_score"]].to_numpy().tolist()
    [[3.0, 1.0, 1.0, 11.0], [1.0, 0.0, 0.0, 15.0]]
    >>> bool(np.isclose(c.loc[0, "score_sd"], pupils["score"][:3].std()))
    True
    """
    ids, out = groups(partials, by)
    g = len(out)
    per_school = np.broadcast_to(np.asarray(aggregated, dtype=bool), (len(partials),))
    if g and g == len(partials):  # every group in one part (a file per year, say): no sums
        return _one_part_each(partials, ids, out, per_school)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(ids, weights=values, minlength=g)

    def column(name: str) -> np.ndarray:
        return _floats(partials, name)

    def like(values: np.ndarray, name: str) -> np.ndarray:
        return _like(values, partials[name].dtype)

    participants = column("participants")
    out["participants"] = like(total(participants), "participants")
    for c in ("not_admitted", *COUNTS):
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


def _floats(partials: pd.DataFrame, name: str) -> np.ndarray:
    """A column of counts as floats, an unknown count NaN."""
    return partials[name].to_numpy(dtype="float64", na_value=np.nan)


def _like(values: np.ndarray, dtype: object) -> np.ndarray:
    """Sums of a column of ``dtype``: integers (64 bits) when it holds integers (they have no NaN)."""
    return values.astype("int64") if pd.api.types.is_integer_dtype(dtype) else values


def _one_part_each(
    partials: pd.DataFrame, ids: np.ndarray, out: pd.DataFrame, per_school: np.ndarray
) -> pd.DataFrame:
    """:func:`combine_counts` of parts that each hold a group of their own.

    What the sums there give for a group with one row, without them: the row's
    counts, its mean where it has scores (for counts per school: where every
    participant is behind the mean), its deviation where more than one score
    is behind it (never for counts per school). One copy of each column, in
    the groups' order, instead of a dozen arrays per column.
    """
    order = np.empty(len(ids), dtype=np.intp)
    order[ids] = np.arange(len(ids))  # the row of each group
    per_school = per_school[order]

    def column(name: str) -> np.ndarray:
        return _floats(partials, name)[order]

    participants = column("participants")
    out["participants"] = _like(participants, partials["participants"].dtype)
    for c in ("not_admitted", *COUNTS):
        out[c] = _like(column(c), partials[c].dtype)
    n = column("score_n")
    with np.errstate(invalid="ignore"):
        mean = np.where(n > 0, column("mean_score"), np.nan)
    mean[per_school & (participants - n > 0)] = np.nan
    out["mean_score"] = mean
    out["score_sd"] = np.where((n > 1) & ~np.isnan(mean) & ~per_school, column("score_sd"), np.nan)
    out["score_n"] = _like(n, partials["score_n"].dtype)
    return out

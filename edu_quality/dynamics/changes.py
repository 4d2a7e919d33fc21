"""Year-over-year change of each series, and the share of schools whose change is positive.

:func:`year_over_year` pairs every year of a series with the year before and
gives the change with its interval — Newcombe's for a share, Welch's for a
mean — and its verdict; :func:`positive_share` counts, per year, the schools
whose change is positive.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy

import numpy as np
import pandas as pd

from .._checks import check_fraction
from .._grouping import factorize, groups, on_distinct
from .._memory import LARGE, give_back
from ..exam_years import FACT_COLUMNS
from ..intervals import newcombe, wilson
from ..metrics import METRICS
from .series import (
    MEANS,
    SELECTIVE_CAVEAT,
    SHARES,
    VERDICTS,
    check_metrics,
    coded_text,
    dropped_note,
    prepare_summary,
    series_keys,
    verdict_codes,
)

__all__ = ["positive_share", "year_over_year"]

#: The number columns of :func:`year_over_year`, in their order.
_NUMBERS = ("value_from", "value_to", "change", "change_low", "change_high")

#: Pairs of years worked out at a time (their values and intermediate arrays).
_SLICE = 1 << 18


def year_over_year(
    summary: pd.DataFrame,
    *,
    by: Sequence[str] | None = None,
    metrics: Sequence[str] = ("share_2", "success_rate", "quality_rate", "mean_score"),
    alpha: float = 0.05,
    include_no_exam: bool = False,
) -> pd.DataFrame:
    """Change of each metric from one year to the next, with its interval and verdict.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`edu_quality.metrics.summarize` with ``year`` among
        its groups.
    by : sequence of str, optional
        Columns that identify a series (default: those of ``school_id``,
        ``municipality``, ``group``, ``assessment``, ``subject``, ``grade``
        present in ``summary``).
    metrics : sequence of str
        Shares (``share_2``, ``success_rate``, ``quality_rate``,
        ``not_admitted_share``) and ``mean_score``.
    alpha : float
        1 − confidence level.
    include_no_exam : bool
        Keep ОГЭ/ЕГЭ of 2020 (not exams). By default they are left out and
        ``attrs["note"]`` says so.

    Returns
    -------
    DataFrame
        One row per series, metric and pair of consecutive years with data:
        the ``by`` columns, ``metric``, ``label`` (Russian), ``year_from``,
        ``year_to``, ``value_from``, ``value_to``, ``change`` (``value_to −
        value_from``; for shares in share units — ×100 for percentage
        points), ``change_low``, ``change_high``, ``verdict`` (None for a
        change involving a selective population) and ``caveat``
        (:data:`SELECTIVE_CAVEAT` for such a change, else empty). The series
        always include the ``session`` and ``work_grade`` of ``summary`` when
        it has them: no pair is two sessions of one school year.

    Notes
    -----
    Shares: difference of independent proportions with Newcombe's hybrid
    score interval (Newcombe 1998, method 10). Mean scores: Welch's
    t-interval from the means, standard deviations and counts (pupil-level
    data only; NaN otherwise).

    Examples
    --------
    >>> from edu_quality.metrics import summarize
    >>> agg = pd.DataFrame({"school_id": "5", "assessment": "ОГЭ", "subject": "Математика",
    ...     "grade": 9, "year": [2019, 2022], "participants": [25, 24], "not_admitted": [2, 0],
    ...     "n2": [5, 15]})
    >>> yoy = year_over_year(summarize(agg), metrics=["share_2"])
    >>> yoy[["year_from", "year_to", "verdict"]].values.tolist()
    [[2019, 2022, 'отрицательная']]
    """
    check_fraction("alpha", alpha)
    check_metrics(metrics, [*SHARES, *MEANS])
    keys = series_keys(summary, by)
    needed = {
        c for m in metrics for c in ((*SHARES[m][0], SHARES[m][1]) if m in SHARES else MEANS[m])
    }
    # the columns read (as trend takes them): the rows left out are copied without the others
    read = [*keys, "year", *FACT_COLUMNS, "participants", "not_admitted", *sorted(needed)]
    summary = summary[[c for c in dict.fromkeys(read) if c in summary.columns]]
    s, dropped = prepare_summary(summary, include_no_exam)
    absent = sorted(needed - set(s.columns))
    if absent:  # as the selection of missing columns says it
        raise KeyError(f"{absent} not in index")
    s, at_now, at_before = _pairs(s, keys)
    if len(s) >= LARGE:
        give_back()  # the numbering of the series, freed before the block of numbers
    # the numbers, metric after metric, each with every pair of years of every series:
    # written in place into one block, whose rows become the frame's columns (no copies);
    # the pairs are taken a slice at a time, so that what a change needs while it is
    # worked out is a slice's worth of arrays, not millions of rows
    k, m = len(metrics), len(at_now)
    numbers = np.empty((len(_NUMBERS), k * m), dtype="float64")
    verdicts = np.empty(k * m, dtype=np.int8)  # places in VERDICTS, −1 for none
    for i, metric in enumerate(metrics):
        part = slice(i * m, (i + 1) * m)
        for start in range(0, m, _SLICE):
            now, before = at_now[start : start + _SLICE], at_before[start : start + _SLICE]
            changes = _changes(
                metric,
                lambda col, at=now: _floats(s[col], at),
                lambda col, at=before: _floats(s[col], at),
                alpha,
            )
            for row, values in enumerate(changes):
                numbers[row, i * m + start : i * m + start + len(now)] = values
            del changes
        low = numbers[_NUMBERS.index("change_low"), part]
        high = numbers[_NUMBERS.index("change_high"), part]
        verdicts[part] = verdict_codes(low, high, metric)
    # a selective population (ЕГЭ 2020, 2021) on either side: labelled, no verdict
    selective = _floats(s["_selective"], at_before) > 0
    selective |= _floats(s["_selective"], at_now) > 0
    selective = np.tile(selective, k)
    verdicts[selective] = -1
    # the series of each pair, once per metric: taken at the pairs' rows, then repeated
    columns = {c: _repeated(s[c].array.take(at_now), k) for c in keys}
    year_to = np.tile(s["year"].to_numpy()[at_now], k)
    which = np.repeat(np.arange(k, dtype=np.int8 if k < 128 else np.int64), m)
    columns["metric"] = coded_text(which, metrics)
    columns["label"] = coded_text(which, [METRICS[x][0] for x in metrics])
    del which
    columns["year_from"] = np.tile(_floats(s["year"], at_before).astype(year_to.dtype), k)
    columns["year_to"] = year_to
    columns.update({name: numbers[row] for row, name in enumerate(_NUMBERS)})
    columns["verdict"] = coded_text(verdicts, VERDICTS)
    columns["caveat"] = coded_text(
        np.where(selective, np.int8(0), np.int8(1)), [SELECTIVE_CAVEAT, ""]
    )
    # the columns as they are: inserting them one by one would copy each
    out = pd.DataFrame(columns, index=pd.RangeIndex(k * m), copy=False)
    del columns
    out.attrs = {**deepcopy(s.attrs), "note": dropped_note(dropped)}  # as taken from the summary
    if len(out) >= LARGE:
        give_back()  # the columns of millions of pairs, freed
    return out


def _repeated(values: pd.api.extensions.ExtensionArray, k: int) -> pd.api.extensions.ExtensionArray:
    """``values`` one after another ``k`` times (none for no metric), in their dtype."""
    if not k:
        return values[:0]
    return pd.concat([pd.Series(values, copy=False)] * k, ignore_index=True).array


def _floats(column: pd.Series, at: np.ndarray) -> np.ndarray:
    """The values of ``column`` at the positions ``at``, as floats (missing: NaN)."""
    return column.array.take(at).to_numpy(dtype="float64", na_value=np.nan)


def _pairs(s: pd.DataFrame, keys: list[str]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The rows of ``s`` of each pair of years of a series: the year of the change, the year before.

    The rows in series order, then year (as ``sort_values``: stable, missing
    last); the year before is the row above in the same series. Without keys
    ``s`` comes back sorted by year.
    """
    if keys:
        ids = groups(s, keys)[0]
        order = np.lexsort((factorize(s["year"])[0], ids))
        ids = ids[order]
        has_prev = np.r_[False, ids[1:] == ids[:-1]]
    else:
        s = s.sort_values(["year"])
        order = np.arange(len(s))
        has_prev = np.r_[False, np.ones(max(len(s) - 1, 0), dtype=bool)]
    year = s["year"].to_numpy(dtype="float64", na_value=np.nan)[order]
    has_prev[1:] &= ~np.isnan(year[:-1])
    rows = np.flatnonzero(has_prev)
    return s, order[rows], order[rows - 1]


def _changes(
    metric: str,
    now: Callable[[str], np.ndarray],
    before: Callable[[str], np.ndarray],
    alpha: float,
) -> tuple[np.ndarray, ...]:
    """The value before, the value after, the change and its interval, of every pair of years.

    A share: the difference of two proportions with Newcombe's interval; a
    mean: the difference of two means with Welch's (:func:`_welch`).
    ``now(col)`` and ``before(col)`` give a column at the pairs' two rows.
    """
    if metric in SHARES:
        nums, den = SHARES[metric]
        c_to = sum(now(c) for c in nums)
        c_from = sum(before(c) for c in nums)
        n_to = now(den)
        n_from = before(den)
        change, low, high = on_distinct(
            lambda *a: newcombe(*a, alpha=alpha), c_from, n_from, c_to, n_to
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            v_from = c_from / np.where(n_from > 0, n_from, np.nan)
            v_to = c_to / np.where(n_to > 0, n_to, np.nan)
        return v_from, v_to, change, low, high
    mean, sd, n = MEANS[metric]
    v_to = now(mean)
    v_from = before(mean)
    change, low, high = _welch(v_from, before(sd), before(n), v_to, now(sd), now(n), alpha)
    return v_from, v_to, change, low, high


def _welch(m1, s1, n1, m2, s2, n2, alpha):
    from .._stats import t_ppf

    v1 = s1**2 / n1
    v2 = s2**2 / n2
    diff = m2 - m1
    se = np.sqrt(v1 + v2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        t = t_ppf(1 - alpha / 2, df)
    return diff, diff - t * se, diff + t * se


def positive_share(
    changes: pd.DataFrame, *, unit: str = "school_id", alpha: float = 0.05
) -> pd.DataFrame:
    """Share of units (schools) with positive dynamics, per metric and pair of years.

    Parameters
    ----------
    changes : DataFrame
        Output of :func:`year_over_year` (or :func:`trend`, then per metric).
    unit : str
        The column that identifies the units counted.
    alpha : float
        1 − confidence level.

    Returns
    -------
    DataFrame
        Per ``metric`` (and ``year_from``/``year_to`` when present): ``units``
        with a verdict, ``positive``, ``negative``, ``stable``, ``share_positive``
        with Wilson ``share_positive_low`` / ``share_positive_high``. A unit
        counts as positive when any of its series (subjects, grades) is
        positive and none is negative.

    Examples
    --------
    >>> ch = pd.DataFrame({"school_id": ["1", "2", "3"], "metric": "share_2",
    ...                    "verdict": ["положительная", "стабильная", "отрицательная"]})
    >>> r = positive_share(ch).iloc[0]
    >>> int(r["units"]), int(r["positive"]), round(float(r["share_positive"]), 3)
    (3, 1, 0.333)
    """
    if unit not in changes.columns:
        raise ValueError(f"Параметр `unit`: столбца {unit!r} нет в таблице")
    keys = [c for c in ("metric", "year_from", "year_to") if c in changes.columns]
    c = changes.loc[changes["verdict"].notna()]
    per_unit = c.groupby([*keys, unit], dropna=False)["verdict"].agg(
        pos=lambda v: (v == "положительная").any(), neg=lambda v: (v == "отрицательная").any()
    )
    per_unit["positive"] = per_unit["pos"] & ~per_unit["neg"]
    per_unit["negative"] = per_unit["neg"]
    per_unit["stable"] = ~per_unit["pos"] & ~per_unit["neg"]
    out = per_unit.groupby(keys, dropna=False)[["positive", "negative", "stable"]].sum()
    out["units"] = per_unit.groupby(keys, dropna=False).size()
    out = out.reset_index()
    out["share_positive"] = out["positive"] / out["units"]
    out["share_positive_low"], out["share_positive_high"] = wilson(
        out["positive"], out["units"], alpha=alpha
    )
    return out[
        [
            *keys,
            "units",
            "positive",
            "negative",
            "stable",
            "share_positive",
            "share_positive_low",
            "share_positive_high",
        ]
    ]

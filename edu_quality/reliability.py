"""Unreliable protocols: the results of a school's work that analyses leave out by default.

A ВПР protocol is the results of one school in one work (year, procedure,
subject, grade). When some of its totals are impossible — a primary score
above the maximum of the work, an unreadable total, an unknown variant —
the protocol as a whole cannot be trusted: dropping only the impossible
rows keeps a biased class (on the real Altai ВПР 2021, one school kept 89 of
101 totals of mathematics 4, the 12 others 22–30 of 20, and its mean fell
from 14,50 to 13,07). The ФИС ОКО import (:func:`edu_quality.fisoko.import_fisoko`)
therefore keeps such a protocol, marks every row of it ``unreliable = True``
with an ``unreliable_reason``, and lists it in the data-quality report.

Analyses call :func:`drop_unreliable` (:func:`edu_quality.metrics.summarize`,
:func:`edu_quality.classify` and the objectivity signs do, unless told to
include them); reports name a school's unreliable protocols with
:func:`unreliable_protocols`. Results without the column (a CSV of results)
are all reliable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import pandas as pd

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["PROTOCOL", "drop_unreliable", "reliable", "unreliable_protocols"]

#: Columns that name one protocol (school × work).
PROTOCOL = ("year", "assessment", "subject", "grade", "school_id")

T = TypeVar("T", pd.DataFrame, "dd.DataFrame")


def reliable(results: pd.DataFrame | dd.DataFrame) -> pd.Series | dd.Series:
    """Whether each row of results belongs to a reliable protocol.

    Parameters
    ----------
    results : DataFrame or dask.dataframe.DataFrame
        Pupil-level or aggregated results; the column ``unreliable`` (True
        for the rows of an unreliable protocol) is optional: missing, or
        missing values, mean reliable.

    Returns
    -------
    Series of bool
        True for the rows analyses keep.

    Examples
    --------
    >>> r = pd.DataFrame({"score": [10.0, 3.0], "unreliable": [False, True]})
    >>> reliable(r).tolist()
    [True, False]
    >>> reliable(pd.DataFrame({"score": [1.0]})).tolist()
    [True]
    """
    if "unreliable" not in results.columns:
        if isinstance(results, pd.DataFrame):
            return pd.Series(True, index=results.index)
        return results.map_partitions(lambda d: pd.Series(True, index=d.index), meta=(None, bool))
    return ~results["unreliable"].astype("boolean").fillna(False).astype(bool)


def drop_unreliable(results: T, *, include_unreliable: bool = False) -> T:
    """Results without the rows of unreliable protocols (unless ``include_unreliable``).

    Parameters
    ----------
    results : DataFrame or dask.dataframe.DataFrame
        As in :func:`reliable`.
    include_unreliable : bool
        Keep every row (the option analyses pass on to their users).

    Returns
    -------
    DataFrame
        ``results`` itself when nothing is dropped (no column ``unreliable``,
        or ``include_unreliable``), else its reliable rows, ``attrs`` kept.

    Examples
    --------
    >>> r = pd.DataFrame({"school_id": ["a", "b"], "score": [10.0, 3.0],
    ...                   "unreliable": [False, True]})
    >>> drop_unreliable(r)["school_id"].tolist()
    ['a']
    >>> len(drop_unreliable(r, include_unreliable=True))
    2
    """
    if include_unreliable or "unreliable" not in results.columns:
        return results
    if isinstance(results, pd.DataFrame):
        keep = reliable(results)
        if keep.all():
            return results
        out = results.loc[keep.to_numpy()]
        out.attrs = dict(results.attrs)
        return out
    return results[reliable(results)]


def unreliable_protocols(results: pd.DataFrame | dd.DataFrame) -> pd.DataFrame:
    """The unreliable protocols of results, one row each.

    Parameters
    ----------
    results : DataFrame or dask.dataframe.DataFrame
        Results with the columns of :data:`PROTOCOL` (``work_grade`` and
        ``unreliable_reason`` are used when present).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`PROTOCOL` (and ``work_grade``), ``rows`` (rows
        kept with the mark) and ``reason``; empty when there is none.

    Examples
    --------
    >>> r = pd.DataFrame({"year": [2021] * 3, "assessment": ["ВПР"] * 3,
    ...                   "subject": ["Математика"] * 3, "grade": [4] * 3,
    ...                   "school_id": ["a", "a", "b"], "unreliable": [True, True, False],
    ...                   "unreliable_reason": ["часть итоговых баллов больше максимального (20)",
    ...                                         "часть итоговых баллов больше максимального (20)",
    ...                                         None]})
    >>> unreliable_protocols(r)[["school_id", "rows"]].values.tolist()
    [['a', 2]]
    """
    keys = [c for c in (*PROTOCOL, "work_grade") if c in results.columns]
    if "unreliable" not in results.columns:
        return pd.DataFrame(columns=[*keys, "rows", "reason"])
    cols = keys + (["unreliable_reason"] if "unreliable_reason" in results.columns else [])
    bad = results.loc[~reliable(results), cols]
    if not isinstance(bad, pd.DataFrame):  # Dask: only the marked rows come back
        bad = bad.compute()
    if "unreliable_reason" not in bad.columns:
        bad = bad.assign(unreliable_reason="")
    out = (
        bad.assign(unreliable_reason=bad["unreliable_reason"].astype("str").fillna(""))
        .groupby(keys, sort=True, dropna=False)
        .agg(rows=("unreliable_reason", "size"), reason=("unreliable_reason", "first"))
        .reset_index()
    )
    out["rows"] = out["rows"].astype("int64")
    return out

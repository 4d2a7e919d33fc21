"""What :func:`~edu_quality.identify.classify` judges: metrics per school and procedure of a year.

:func:`school_summaries` summarises a dataset's pupil and aggregated results by school,
procedure (:data:`PROCEDURE`: assessment, subject, grade) and year, and by session when
the autumn works are apart (:func:`session_columns`, :mod:`edu_quality.exam_years`),
leaving out the procedures not held as exams, the selective populations and the
unreliable protocols.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from .._grouping import is_dask
from .._memory import LARGE, give_back
from ..dataset import Dataset
from ..exam_years import exam_not_held, selective_population, session_of
from ..metrics import DEFAULT_ALPHA, summarize

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["CLASSIFY_COLUMNS", "PROCEDURE", "school_summaries", "session_columns"]

#: The columns naming one procedure (a work of one grade).
PROCEDURE = ["assessment", "subject", "grade"]

#: The metric columns :func:`~edu_quality.identify.classify` reads of a summary: the
#: composite result, Рособрнадзор's rule, the declines and the schools not compared.
CLASSIFY_COLUMNS = (
    "participants",
    "not_admitted",
    "n2",
    "share_2",
    "mean_score",
    "score_sd",
    "exam_not_held",
)


def session_columns(summary: pd.DataFrame) -> list[str]:
    """``["session"]`` when the summary has autumn works apart (:mod:`edu_quality.exam_years`)."""
    return ["session"] if "session" in summary.columns else []


def school_summaries(
    dataset: Dataset,
    *,
    min_n: int = 5,
    include_selective: bool = False,
    include_unreliable: bool = False,
    results_summary: pd.DataFrame | dd.DataFrame | None = None,
    columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Metrics per school and procedure, as :func:`~edu_quality.identify.classify` judges them.

    The pupil and aggregated results of ``dataset`` summarised by school,
    assessment, subject, grade, year (and session), without the procedures not
    held as exams, the selective populations (unless ``include_selective``) and
    the unreliable protocols (unless ``include_unreliable``). The input of
    :func:`~edu_quality.identify.composite_results`.

    Pupil results in a Dask DataFrame (``load_dataset(..., results_engine="dask")``)
    are summarised partition by partition (:func:`edu_quality.metrics.summarize`);
    only the summary, one row per school and procedure, comes back. Nothing
    else of :func:`~edu_quality.identify.classify` reads the pupil rows.

    The procedures left out are never summarised (``summarize(..., where=...)``):
    a country's summary is not copied to drop them. The rows are numbered from 0.

    ``results_summary``, when given, is ``summarize(dataset.results, min_n=min_n,
    include_unreliable=include_unreliable)`` computed before (its default
    ``by`` and ``alpha``): its judged rows are taken, and the pupil results are
    not summarised again — a country's take seconds. The table is the same.
    A summary counted otherwise (other keys, ``min_n``, ``alpha`` or
    ``include_unreliable``, as its ``attrs`` and columns say) or without those
    ``attrs`` (read back from a file) is refused; that it is a summary of
    these results, all its groups kept, is the caller's word. A summary kept
    on a Dask cluster (``summarize(..., persist=True)``) is read there: only
    the judged rows and the columns kept come to this process.

    ``columns``, when given, names the metric columns kept beside the keys
    (the keys, the session included, are always kept;
    :func:`edu_quality.metrics.summarize` documents the metrics, and a name it
    does not give is refused): a country's summary is then taken without the
    columns nobody reads — :func:`~edu_quality.identify.classify` reads seven
    of twenty-five (:data:`CLASSIFY_COLUMNS`).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> s = school_summaries(load_dataset(sample_folder("inta")))
    >>> {"school_id", "participants", "share_2"} <= set(s.columns)
    True
    >>> ds = load_dataset(sample_folder("inta"))
    >>> s.equals(school_summaries(ds, results_summary=summarize(ds.results)))
    True
    >>> list(school_summaries(ds, columns=["participants", "share_2"]).columns)
    ['school_id', 'assessment', 'subject', 'grade', 'year', 'participants', 'share_2']
    """
    by = ["school_id", *PROCEDURE, "year"]

    def judged(keys: pd.DataFrame) -> pd.Series:  # left out before their metrics are computed
        drop = exam_not_held(keys)  # a missing session is spring, as session_of says
        if not include_selective:
            drop |= selective_population(keys)
        return ~drop

    def kept_columns(summary: pd.DataFrame) -> list[str] | slice:
        """The keys of ``summary`` (always kept), then the metric columns asked for."""
        if columns is None:
            return slice(None)
        keys = list(summary.columns[: summary.columns.get_loc("participants")])
        metrics = [c for c in dict.fromkeys(columns) if c not in (*by, "session")]
        unknown = [c for c in metrics if c not in summary.columns]
        if unknown:
            raise ValueError(
                f"Параметр `columns`: в сводке нет столбцов {', '.join(unknown)} "
                f"(есть: {', '.join(summary.columns[len(keys) :])})"
            )
        return [*keys, *metrics]

    opts = {"min_n": min_n, "include_unreliable": include_unreliable, "where": judged}
    parts = []
    to_summarise = [dataset.results, dataset.aggregates]
    if results_summary is not None:
        on_cluster = is_dask(results_summary)
        given = results_summary._meta if on_cluster else results_summary
        _check_results_summary(given, by, min_n, include_unreliable)
        keys = [c for c in given.columns if c in (*by, "session")]
        if on_cluster:
            kept_columns(given)  # a column it lacks refused here, before the cluster is asked

        def taken(summary: pd.DataFrame) -> pd.DataFrame:
            return summary.loc[judged(summary[keys]), kept_columns(summary)]

        kept = _taken_on_cluster(results_summary, taken) if on_cluster else taken(given)
        if len(kept) if is_dask(dataset.results) else len(dataset.results):
            parts.append(kept)  # as summarize(..., where=judged) would give it
        del kept
        to_summarise = [dataset.aggregates]

    def summarised(t: pd.DataFrame) -> pd.DataFrame:
        s = summarize(t, by, **opts)
        return s if columns is None else s[kept_columns(s)]

    for t in to_summarise:
        if is_dask(t):  # its length would cost a pass over the files: look at the summary
            s = summarised(t)
            if len(s):
                parts.append(s)
        elif len(t):
            parts.append(summarised(t))
    if not parts:
        return summarised(dataset.aggregates)
    joined = len(parts) > 1
    s = pd.concat(parts, ignore_index=True) if joined else parts[0].reset_index(drop=True)
    del parts  # joined: gone before the memory is given back
    if "session" in s.columns:  # a part without autumn works has no column: spring
        s["session"] = session_of(s)
    if joined and len(s) >= LARGE:
        give_back()  # the parts, joined
    return s


def _check_results_summary(
    summary: pd.DataFrame, by: list[str], min_n: int, include_unreliable: bool
) -> None:
    """Refuse a ``results_summary`` that is not ``summarize(results)`` with these options."""
    name = "Параметр `results_summary`"
    if not isinstance(summary, pd.DataFrame) or "participants" not in summary.columns:
        raise ValueError(f"{name}: нужна таблица summarize(dataset.results)")
    keys = list(summary.columns[: summary.columns.get_loc("participants")])
    if keys not in (by, [*by, "session"]):  # the session, when apart, right after the year
        raise ValueError(
            f"{name}: нужна сводка по столбцам {', '.join(by)}, передана по {', '.join(keys)}"
        )
    counted = {"min_n": min_n, "alpha": DEFAULT_ALPHA, "include_unreliable": include_unreliable}
    for option, value in counted.items():
        if option not in summary.attrs:  # read back from a file, or joined: no record of it
            raise ValueError(
                f"{name}: у сводки нет отметки о {option} (attrs) — передайте таблицу "
                "summarize(dataset.results) как есть, не прочитанную из файла"
            )
        if summary.attrs[option] != value:
            raise ValueError(
                f"{name}: сводка посчитана с {option}={summary.attrs.get(option)!r}, "
                f"нужна с {option}={value!r}"
            )


def _taken_on_cluster(summary: dd.DataFrame, taken: Callable) -> pd.DataFrame:
    """``taken`` of each partition of a summary kept on a Dask cluster, brought here and joined."""
    import dask
    from dask.dataframe import methods

    parts = dask.compute(*(dask.delayed(taken)(p) for p in summary.to_delayed()))
    # joined as Dask joins them: categories that differ between partitions united
    return parts[0] if len(parts) == 1 else methods.concat(list(parts))

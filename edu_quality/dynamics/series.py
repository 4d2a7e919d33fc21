"""What the dynamics share: the verdicts, the metrics compared, the summary prepared, the series.

A change or a trend is judged by :func:`verdict` from its interval and the
metric's good direction (:data:`edu_quality.metrics.METRICS`). :data:`SHARES`
and :data:`MEANS` name the summary columns each metric is computed from;
:func:`prepare_summary` leaves out the years not held as exams (and, for a
trend, the selective populations) and :func:`series_keys` names the columns of
a series — always with its session and work grade.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._checks import check_option
from .._russian import plural
from ..errors import DataError
from ..exam_years import exam_not_held, selective_population
from ..metrics import METRICS

__all__ = [
    "MEANS",
    "SELECTIVE_CAVEAT",
    "SHARES",
    "VERDICTS",
    "check_metrics",
    "coded_text",
    "dropped_note",
    "prepare_summary",
    "series_keys",
    "verdict",
    "verdict_codes",
]

#: The verdicts on a change or a trend, good first.
VERDICTS = ("положительная", "стабильная", "отрицательная")

#: ``caveat`` of a change involving a selective population (no verdict is given).
SELECTIVE_CAVEAT = (
    "выборочный состав (ЕГЭ 2020 и 2021 сдавали только поступающие в вузы): "
    "изменение несопоставимо, вывод не делается"
)

#: A share → (its numerators, its denominator) in a summarize() table.
SHARES = {
    "share_2": (("n2",), "participants"),
    "success_rate": (("n3", "n4", "n5"), "participants"),
    "quality_rate": (("n4", "n5"), "participants"),
    "not_admitted_share": (("not_admitted",), "_registered"),
}
#: A mean → (the mean, its standard deviation, its count) in a summarize() table.
MEANS = {"mean_score": ("mean_score", "score_sd", "score_n")}


def verdict(low: np.ndarray | pd.Series, high: np.ndarray | pd.Series, metric: str) -> np.ndarray:
    """Verdict on a change from its interval and the metric's good direction.

    Returns «положительная» / «отрицательная» when the interval lies wholly on
    one side of zero, «стабильная» when it covers zero, and None when there
    is no interval.

    Examples
    --------
    >>> verdict([0.05], [0.20], "share_2").tolist()   # the share of «2» rose
    ['отрицательная']
    >>> verdict([-0.05], [0.20], "quality_rate").tolist()
    ['стабильная']
    """
    codes = verdict_codes(low, high, metric)
    return np.array([*VERDICTS, None], dtype=object)[codes]


def verdict_codes(low, high, metric: str) -> np.ndarray:
    """Verdicts as positions in :data:`VERDICTS`, −1 (the last) for no interval."""
    check_option("metric", metric, list(METRICS))
    good = METRICS[metric][1]
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    out = np.where(np.isnan(low) | np.isnan(high), -1, 1)
    out[low > 0] = 0 if good > 0 else 2
    out[high < 0] = 2 if good > 0 else 0
    return out


def coded_text(codes: np.ndarray, labels: Sequence[str]) -> pd.Series:
    """A text column from positions in ``labels`` (−1: missing), held as a categorical.

    A country's comparisons are millions of rows with a handful of texts: one
    small code per row. The categories are sorted, so sorting the column sorts
    the text.
    """
    # the sorted distinct texts, and each label's place among them (a label may repeat);
    # the last place, −1, for the missing ones (code −1)
    cats, place = np.unique(np.array(list(labels), dtype=object), return_inverse=True)
    lookup = np.append(place.reshape(-1), -1).astype(np.int8 if len(cats) < 127 else np.int64)
    codes = lookup[np.asarray(codes)]  # integers of any width; −1 takes the last place
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(cats, dtype="str")))


def check_metrics(metrics: Sequence[str], allowed: Sequence[str]) -> None:
    """Refuse a ``metrics`` parameter naming a metric not in ``allowed`` (in Russian)."""
    bad = [m for m in metrics if m not in allowed]
    if bad:
        raise ValueError(
            f"Параметр `metrics` должен содержать только {list(allowed)}, передано {bad!r}"
        )


def prepare_summary(
    summary: pd.DataFrame, include_no_exam: bool, drop_selective: bool = False
) -> tuple[pd.DataFrame, int]:
    """The summary a dynamics compares, and how many of its rows were left out.

    The procedures not held as exams are left out unless ``include_no_exam``,
    the selective populations too when ``drop_selective`` (a trend); the
    columns ``_registered`` (participants and not admitted) and ``_selective``
    are added.
    """
    if "year" not in summary.columns:
        raise DataError(None, "для динамики нужна таблица summarize() со столбцом year")
    s = summary
    dropped = 0
    if not include_no_exam:
        mask = exam_not_held(s)
        dropped = int(mask.sum())
        if dropped:
            s = s.loc[~mask]
    if drop_selective:
        mask = selective_population(s)
        dropped += int(mask.sum())
        if mask.any():
            s = s.loc[~mask]
    s = s.assign(
        _registered=s["participants"] + s["not_admitted"].astype("float64"),
        _selective=selective_population(s).to_numpy(),
    )
    return s, dropped


def series_keys(summary: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
    """The series columns: ``by`` (or the known ones), always with the session and work grade.

    A series is one work in one session: the ``session`` and ``work_grade``
    of a summary that has them are part of every series, so that no pair of
    years is two sessions of one school year or two different works.
    """
    if by is None:
        known = ("school_id", "municipality", "group", "assessment", "subject", "grade")
        by = [c for c in known if c in summary.columns]
    keys = [c for c in by if c != "year"]
    return keys + [c for c in ("session", "work_grade") if c in summary.columns and c not in keys]


def dropped_note(dropped: int) -> str:
    """The note of a dynamics table on the ``dropped`` rows left out (empty for none)."""
    if not dropped:
        return ""
    return (
        "Годы, в которые процедура не проводилась как экзамен или писал выборочный состав "
        "(ОГЭ и ЕГЭ 2020, ОГЭ 2021 кроме русского языка и математики): "
        f"{dropped} {plural(dropped, 'строка не учтена', 'строки не учтены', 'строк не учтены')} в динамике"
    )

"""Dynamics: year-over-year change, trends, schools with positive dynamics, cohort progress.

Also the change of enrolment.

A change is called «положительная» or «отрицательная» only when it is
distinguishable from noise (its 95 % interval excludes zero); otherwise it is
«стабильная». Each metric knows its good direction: for the share of «2» a
fall is positive.

Only like is compared with like: the same work — assessment, subject, work
grade — in the same session (:mod:`edu_quality.exam_years`). A series never
pairs the autumn and the spring works of one school year (the same pupils six
months apart on two different works: a cohort's progress, not a change); the
``session`` and ``work_grade`` columns of a summary are always part of the
series. The years of :func:`edu_quality.exam_years.exam_years` decide the
rest: procedures not held as exams (ОГЭ and ЕГЭ 2020, ОГЭ 2021 other than
Russian and mathematics) are left out by default; a change involving a
selective population (ЕГЭ 2020 and 2021: only those entering universities)
is labelled in ``caveat`` and gets no verdict, and a trend leaves such years
out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from copy import deepcopy
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_option
from ._grouping import factorize, groups, on_distinct
from ._memory import LARGE, give_back
from ._russian import plural
from .errors import DataError
from .exam_years import FACT_COLUMNS, exam_not_held, selective_population
from .intervals import newcombe, wilson
from .metrics import METRICS

__all__ = [
    "CohortProgress",
    "KDR_LEVELS",
    "SELECTIVE_CAVEAT",
    "VERDICTS",
    "cohort_progress",
    "enrolment_change",
    "positive_share",
    "series_trend",
    "trend",
    "verdict",
    "year_over_year",
]

VERDICTS = ("положительная", "стабильная", "отрицательная")

#: The number columns of :func:`year_over_year`, in their order.
_NUMBERS = ("value_from", "value_to", "change", "change_low", "change_high")

#: ``caveat`` of a change involving a selective population (no verdict is given).
SELECTIVE_CAVEAT = (
    "выборочный состав (ЕГЭ 2020 и 2021 сдавали только поступающие в вузы): "
    "изменение несопоставимо, вывод не делается"
)

#: Levels of the КДР (regional diagnostics), from lowest to highest.
KDR_LEVELS = ("недостаточный", "пониженный", "базовый", "повышенный")

# share metric → (numerator, denominator) in a summarize() table
_SHARES = {
    "share_2": (("n2",), "participants"),
    "success_rate": (("n3", "n4", "n5"), "participants"),
    "quality_rate": (("n4", "n5"), "participants"),
    "not_admitted_share": (("not_admitted",), "_registered"),
}
_MEANS = {"mean_score": ("mean_score", "score_sd", "score_n")}


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
    codes = _verdict_codes(low, high, metric)
    return np.array([*VERDICTS, None], dtype=object)[codes]


def _verdict_codes(low, high, metric: str) -> np.ndarray:
    """Verdicts as positions in :data:`VERDICTS`, −1 (the last) for no interval."""
    check_option("metric", metric, list(METRICS))
    good = METRICS[metric][1]
    low = np.asarray(low, dtype="float64")
    high = np.asarray(high, dtype="float64")
    out = np.where(np.isnan(low) | np.isnan(high), -1, 1)
    out[low > 0] = 0 if good > 0 else 2
    out[high < 0] = 2 if good > 0 else 0
    return out


def _text(codes: np.ndarray, labels: Sequence[str]) -> pd.Series:
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


def _check_metrics(metrics: Sequence[str], allowed: Sequence[str]) -> None:
    bad = [m for m in metrics if m not in allowed]
    if bad:
        raise ValueError(
            f"Параметр `metrics` должен содержать только {list(allowed)}, передано {bad!r}"
        )


def _prepare(
    summary: pd.DataFrame, include_no_exam: bool, drop_selective: bool = False
) -> tuple[pd.DataFrame, int]:
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


def _keys(summary: pd.DataFrame, by: Sequence[str] | None) -> list[str]:
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
    _check_metrics(metrics, [*_SHARES, *_MEANS])
    s, dropped = _prepare(summary, include_no_exam)
    keys = _keys(s, by)
    needed = {
        c for m in metrics for c in ((*_SHARES[m][0], _SHARES[m][1]) if m in _SHARES else _MEANS[m])
    }
    absent = sorted(needed - set(s.columns))
    if absent:  # as the selection of missing columns says it
        raise KeyError(f"{absent} not in index")
    s, at_now, at_before = _pairs(s, keys)

    def now(col: str) -> np.ndarray:
        return s[col].to_numpy(dtype="float64", na_value=np.nan)[at_now]

    def before(col: str) -> np.ndarray:
        return s[col].to_numpy(dtype="float64", na_value=np.nan)[at_before]

    # the numbers, metric after metric, each with every pair of years of every series:
    # written in place into one block, whose rows become the frame's columns (no copies)
    k, m = len(metrics), len(at_now)
    numbers = np.empty((len(_NUMBERS), k * m), dtype="float64")
    verdicts = np.empty(k * m, dtype=np.int8)  # places in VERDICTS, −1 for none
    for i, metric in enumerate(metrics):
        part = slice(i * m, (i + 1) * m)
        for row, values in enumerate(_changes(metric, now, before, alpha)):
            numbers[row, part] = values
        low = numbers[_NUMBERS.index("change_low"), part]
        high = numbers[_NUMBERS.index("change_high"), part]
        verdicts[part] = _verdict_codes(low, high, metric)
    # a selective population (ЕГЭ 2020, 2021) on either side: labelled, no verdict
    selective = np.tile((before("_selective") > 0) | (now("_selective") > 0), k)
    verdicts[selective] = -1
    place = np.tile(at_now, k)
    columns = {c: s[c].array.take(place) for c in keys}
    year_to = s["year"].to_numpy().take(place)
    del place
    which = np.repeat(np.arange(k, dtype=np.int8 if k < 128 else np.int64), m)
    columns["metric"] = _text(which, metrics)
    columns["label"] = _text(which, [METRICS[x][0] for x in metrics])
    del which
    columns["year_from"] = np.tile(before("year").astype("int64"), k)
    columns["year_to"] = year_to
    columns.update({name: numbers[row] for row, name in enumerate(_NUMBERS)})
    columns["verdict"] = _text(verdicts, VERDICTS)
    columns["caveat"] = _text(np.where(selective, np.int8(0), np.int8(1)), [SELECTIVE_CAVEAT, ""])
    # the columns as they are: inserting them one by one would copy each
    out = pd.DataFrame(columns, index=pd.RangeIndex(k * m), copy=False)
    del columns
    out.attrs = {**deepcopy(s.attrs), "note": _note(dropped)}  # as taken from the summary
    if len(out) >= LARGE:
        give_back()  # the columns of millions of pairs, freed
    return out


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
    if metric in _SHARES:
        nums, den = _SHARES[metric]
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
    mean, sd, n = _MEANS[metric]
    v_to = now(mean)
    v_from = before(mean)
    change, low, high = _welch(v_from, before(sd), before(n), v_to, now(sd), now(n), alpha)
    return v_from, v_to, change, low, high


def _note(dropped: int) -> str:
    if not dropped:
        return ""
    return (
        "Годы, в которые процедура не проводилась как экзамен или писал выборочный состав "
        "(ОГЭ и ЕГЭ 2020, ОГЭ 2021 кроме русского языка и математики): "
        f"{dropped} {plural(dropped, 'строка не учтена', 'строки не учтены', 'строк не учтены')} в динамике"
    )


def _welch(m1, s1, n1, m2, s2, n2, alpha):
    from ._stats import t_ppf

    v1 = s1**2 / n1
    v2 = s2**2 / n2
    diff = m2 - m1
    se = np.sqrt(v1 + v2)
    with np.errstate(invalid="ignore", divide="ignore"):
        df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
        t = t_ppf(1 - alpha / 2, df)
    return diff, diff - t * se, diff + t * se


def trend(
    summary: pd.DataFrame,
    *,
    metric: str = "share_2",
    by: Sequence[str] | None = None,
    min_years: int = 3,
    alpha: float = 0.05,
    include_no_exam: bool = False,
) -> pd.DataFrame:
    """Linear trend of a share over three or more years: weighted slope with its interval.

    Parameters
    ----------
    summary : DataFrame
        Output of :func:`edu_quality.metrics.summarize` with ``year``.
    metric : str
        A share: ``share_2``, ``success_rate``, ``quality_rate`` or
        ``not_admitted_share``.
    by : sequence of str, optional
        Series columns (as in :func:`year_over_year`).
    min_years : int
        Series with fewer years get no trend.
    alpha : float
        1 − confidence level.
    include_no_exam : bool
        Keep ОГЭ/ЕГЭ of 2020 (and ОГЭ 2021 other than Russian and
        mathematics). Years of a selective population (ЕГЭ 2020, 2021) are
        always left out of a trend.

    Returns
    -------
    DataFrame
        One row per series: the ``by`` columns, ``metric``, ``years``
        (count), ``first_year``, ``last_year``, ``slope`` (change of the
        share per year), ``slope_low``, ``slope_high``, ``p_value``,
        ``verdict``.

    Notes
    -----
    Weighted least squares of the yearly share on the year, each year
    weighted by the inverse of its binomial variance n / (p̄(1 − p̄)) with p̄
    the series' pooled share, and the scale fixed at 1 so that the interval
    reflects sampling error of the shares (statsmodels ``WLS`` with
    ``cov_type="fixed scale"``). A series whose pooled share is 0 or 1 has no
    variance and gets no trend.

    With weights w, x the year and weighted means x̄, ȳ, the slope is
    Σw(x − x̄)(y − ȳ) / Σw(x − x̄)², its variance 1 / Σw(x − x̄)², the interval
    and p-value normal (z). This closed form of that ``WLS`` fit is computed
    for every series at once, so that a region of 40 000 schools takes
    seconds; the tests check it against statsmodels on every series of a
    synthetic region (to 1e-10).

    Examples
    --------
    >>> from edu_quality.metrics import summarize
    >>> agg = pd.DataFrame({"school_id": "8", "assessment": "ОГЭ", "subject": "Математика",
    ...     "grade": 9, "year": [2019, 2021, 2022], "participants": [46, 39, 24],
    ...     "not_admitted": [2, 1, 0], "n2": [6, 15, 18]})
    >>> t = trend(summarize(agg)).iloc[0]
    >>> round(float(t["slope"]), 3), t["verdict"]
    (0.183, 'отрицательная')
    """
    check_option("metric", metric, list(_SHARES))
    keys = _keys(summary, by)
    nums, den = _SHARES[metric]
    # the columns read (the keys, the year, those the exam years and the share need):
    # the rows left out are copied without the other columns of the summary
    read = [*keys, "year", *FACT_COLUMNS, "participants", "not_admitted", *nums, den]
    summary = summary[[c for c in dict.fromkeys(read) if c in summary.columns]]
    s, dropped = _prepare(summary, include_no_exam, drop_selective=True)
    count = sum(s[c].to_numpy(dtype="float64", na_value=np.nan) for c in nums)
    n = s[den].to_numpy(dtype="float64", na_value=np.nan)
    use = ~np.isnan(count) & (n > 0)
    s = s.loc[use]
    if not keys:
        out = pd.DataFrame(
            [
                series_trend(
                    s["year"].to_numpy(dtype="float64"),
                    count[use],
                    n[use],
                    metric=metric,
                    min_years=min_years,
                    alpha=alpha,
                )
            ]
        )
    elif not len(s):
        out = pd.DataFrame()
    else:
        out = _trends(s, keys, count[use], n[use], metric, min_years, alpha)
    if len(out):
        out["verdict"] = verdict(out["slope_low"], out["slope_high"], metric)
    out.attrs["note"] = _note(dropped)
    return out


def _trends(
    s: pd.DataFrame,
    keys: list[str],
    count: np.ndarray,
    n: np.ndarray,
    metric: str,
    min_years: int,
    alpha: float,
) -> pd.DataFrame:
    """Every series' weighted slope at once, in closed form (see :func:`trend`)."""
    from ._stats import norm_cdf, norm_ppf

    ids, out = groups(s, keys)
    g = len(out)
    year = s["year"].to_numpy(dtype="float64")

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(ids, weights=values, minlength=g)

    years = np.bincount(ids, minlength=g)
    first = np.full(g, np.inf)
    np.minimum.at(first, ids, year)
    last = np.full(g, -np.inf)
    np.maximum.at(last, ids, year)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = total(count) / total(n)
        fit = (years >= min_years) & (pooled > 0) & (pooled < 1)
        # weighted least squares of p on x = year − first year, weights n / (p̄(1 − p̄))
        w = n / (pooled * (1 - pooled))[ids]
        x = year - first[ids]
        y = count / n
        sw = total(w)
        xm = total(w * x) / sw
        ym = total(w * y) / sw
        dx = x - xm[ids]
        sxx = total(w * dx * dx)
        sxy = total(w * dx * (y - ym[ids]))
        slope = sxy / sxx
        se = np.sqrt(1 / sxx)
    # a series whose years do not vary has no slope: statsmodels decides, as before
    odd = np.flatnonzero(fit & ~(sxx > 0))
    z = norm_ppf(1 - alpha / 2)
    out["metric"] = metric
    out["years"] = years.astype("int64")
    out["first_year"] = first.astype("int64")
    out["last_year"] = last.astype("int64")
    out["slope"] = np.where(fit, slope, np.nan)
    out["slope_low"] = np.where(fit, slope - z * se, np.nan)
    out["slope_high"] = np.where(fit, slope + z * se, np.nan)
    out["p_value"] = np.where(fit, 2 * norm_cdf(-np.abs(slope / se)), np.nan)
    if len(odd):
        order = np.argsort(ids, kind="stable")
        starts = np.searchsorted(ids[order], odd)
        for i, start in zip(odd, starts, strict=True):
            rows = order[start : start + years[i]]
            row = series_trend(
                year[rows], count[rows], n[rows], metric=metric, min_years=min_years, alpha=alpha
            )
            for c in ("slope", "slope_low", "slope_high", "p_value"):
                out.loc[i, c] = row[c]
    return out


def series_trend(
    year: np.ndarray,
    count: np.ndarray,
    n: np.ndarray,
    *,
    metric: str = "share_2",
    min_years: int = 3,
    alpha: float = 0.05,
) -> dict:
    """One series' trend by statsmodels ``WLS``: the computation :func:`trend` follows in closed form.

    The shares ``count / n`` on ``year``, weights ``n / (p̄(1 − p̄))`` (``p̄`` pooled), the scale
    fixed at 1; ``min_years`` and ``alpha`` as in :func:`trend`. Returns a dict: ``metric``,
    ``years``, ``first_year``, ``last_year``, ``slope``, ``slope_low``, ``slope_high``, ``p_value``.

    Examples
    --------
    >>> year, count, n = np.array([2019.0, 2021, 2022]), np.array([6.0, 15, 18]), np.array([46, 39, 24])
    >>> round(series_trend(year, count, n)["slope"], 3)
    0.183
    """
    from . import _sm as sm

    row: dict = {}
    row.update(
        metric=metric,
        years=len(year),
        first_year=int(year.min()) if len(year) else None,
        last_year=int(year.max()) if len(year) else None,
    )
    pooled = count.sum() / n.sum()
    slope = low = high = p = np.nan
    if len(year) >= min_years and 0 < pooled < 1:
        x = sm.add_constant(year - year.min())
        fit = sm.WLS(count / n, x, weights=n / (pooled * (1 - pooled))).fit(
            cov_type="fixed scale", cov_kwds={"scale": 1.0}
        )
        slope = float(fit.params[1])
        low, high = (float(v) for v in fit.conf_int(alpha=alpha)[1])
        p = float(fit.pvalues[1])
    row.update(slope=slope, slope_low=low, slope_high=high, p_value=p)
    return row


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


def enrolment_change(
    enrolment: pd.DataFrame,
    *,
    by: Sequence[str] = ("school_id",),
    start: int | None = None,
    end: int | None = None,
) -> pd.DataFrame:
    """Enrolment change by level between two years (default: first and last).

    Parameters
    ----------
    enrolment : DataFrame
        ``school_id``, ``year``, ``level``, ``pupils`` (:func:`edu_quality.read_enrolment`).
    by : sequence of str
        Units (``()`` for the whole table).
    start, end : int, optional
        The years compared.

    Returns
    -------
    DataFrame
        Per unit and level (with «всего» for all levels): ``pupils_start``,
        ``pupils_end``, ``change`` (pupils), ``change_share`` (relative, e.g.
        −0.09 for −9 %).

    Examples
    --------
    >>> e = pd.DataFrame({"school_id": "5", "year": [2020, 2023], "level": "НОО",
    ...                   "pupils": [133, 88]})
    >>> enrolment_change(e).query("level == 'НОО'")["change"].tolist()
    [-45]
    """
    by = list(by)
    years = sorted(enrolment["year"].unique())
    if not years:
        raise DataError(None, "таблица контингента пуста")
    start = years[0] if start is None else start
    end = years[-1] if end is None else end
    for name, y in (("start", start), ("end", end)):
        if y not in years:
            raise ValueError(f"Параметр `{name}`: нет данных за {y} год (есть: {list(years)})")
    total = enrolment.assign(level="всего")
    data = pd.concat([enrolment, total], ignore_index=True)
    pivot = data.pivot_table(index=[*by, "level"], columns="year", values="pupils", aggfunc="sum")
    out = pd.DataFrame({"pupils_start": pivot[start], "pupils_end": pivot[end]}).reset_index()
    out["start"], out["end"] = start, end
    out["change"] = out["pupils_end"] - out["pupils_start"]
    out["change_share"] = out["change"] / out["pupils_start"].where(out["pupils_start"] > 0)
    return out[
        [*by, "level", "start", "end", "pupils_start", "pupils_end", "change", "change_share"]
    ]


@dataclass(frozen=True)
class CohortProgress:
    """The same pupils at two points of time (see :func:`cohort_progress`).

    Attributes
    ----------
    transitions : DataFrame
        ``level_from``, ``level_to``, ``n``, ``share_of_from`` (share of the
        pupils at ``level_from`` who are at ``level_to`` later) with Wilson
        bounds ``share_low``/``share_high``.
    shares : DataFrame
        ``stage`` («до» / «после»), ``year``, ``grade``, ``level``, ``n``,
        ``share`` with ``share_low``/``share_high``, over the matched pupils.
    matched : int
        Pupils found at both points.
    only_before, only_after : int
        Pupils found at one point only (left out of both tables).
    """

    transitions: pd.DataFrame
    shares: pd.DataFrame
    matched: int
    only_before: int
    only_after: int

    def table(self) -> pd.DataFrame:
        """The transition table as a level × level crosstab of counts."""
        return self.transitions.pivot_table(
            index="level_from",
            columns="level_to",
            values="n",
            aggfunc="sum",
            fill_value=0,
            observed=False,
        )


def cohort_progress(
    results: pd.DataFrame,
    *,
    before: tuple[int, int],
    after: tuple[int, int],
    subject: str | None = None,
    assessment: str | None = "КДР",
    levels: Sequence[str] = KDR_LEVELS,
    by_school: bool = True,
    alpha: float = 0.05,
) -> CohortProgress:
    """Progress of one cohort: the same pupils' levels at two times.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``grade``, ``pupil_id``, ``level``
        (and ``school_id``, ``subject``, ``assessment``).
    before, after : (year, grade)
        The two points, e.g. ``(2017, 4)`` and ``(2019, 6)``.
    subject, assessment : str, optional
        Filters.
    levels : sequence of str
        The levels in order from lowest to highest.
    by_school : bool
        Match pupils on (school_id, pupil_id) — ids are unique within a
        school in most exports; False matches on pupil_id alone (pupils who
        changed school).
    alpha : float
        1 − confidence level.

    Returns
    -------
    CohortProgress

    Notes
    -----
    As in the Назарово district programme («соотнесение результатов одних и
    тех же учащихся по читательской грамотности в разные годы обучения»):
    the shares at each level among the same pupils before and after, and
    where the pupils of each level went.

    Examples
    --------
    >>> r = pd.DataFrame({"year": [2017, 2017, 2019, 2019], "grade": [4, 4, 6, 6],
    ...     "school_id": "1", "pupil_id": ["a", "b", "a", "b"], "assessment": "КДР",
    ...     "level": ["повышенный", "базовый", "базовый", "базовый"]})
    >>> cp = cohort_progress(r, before=(2017, 4), after=(2019, 6))
    >>> cp.matched, cp.table().loc["повышенный", "базовый"]
    (2, np.int64(1))
    """
    need = ["year", "grade", "pupil_id", "level"] + (["school_id"] if by_school else [])
    missing = [c for c in need if c not in results.columns]
    if missing:
        raise DataError(None, f"cohort_progress: нет столбцов {', '.join(missing)}")
    r = results
    if subject is not None and "subject" in r.columns:
        r = r.loc[r["subject"] == subject]
    if assessment is not None and "assessment" in r.columns:
        r = r.loc[r["assessment"] == assessment]
    r = r.loc[r["level"].notna()]
    unknown = sorted(set(r["level"]) - set(levels))
    if unknown:
        raise DataError(
            None,
            f"неизвестные уровни: {', '.join(map(str, unknown))}; ожидаются: {', '.join(levels)}",
        )
    key = ["school_id", "pupil_id"] if by_school else ["pupil_id"]
    first = r.loc[(r["year"] == before[0]) & (r["grade"] == before[1]), [*key, "level"]]
    second = r.loc[(r["year"] == after[0]) & (r["grade"] == after[1]), [*key, "level"]]
    for name, part in (("до", first), ("после", second)):
        if part.duplicated(key).any():
            raise DataError(None, f"в точке «{name}» у ученика несколько результатов")
    both = first.merge(second, on=key, suffixes=("_from", "_to"))
    cat = pd.CategoricalDtype(list(levels), ordered=True)
    lf = both["level_from"].astype(cat)
    lt = both["level_to"].astype(cat)
    counts = pd.crosstab(lf, lt, dropna=False).reindex(
        index=list(levels), columns=list(levels), fill_value=0
    )
    trans = counts.stack().rename("n").reset_index()  # noqa: PD013 (a crosstab, long)
    trans.columns = ["level_from", "level_to", "n"]
    row_tot = trans.groupby("level_from")["n"].transform("sum")
    trans["share_of_from"] = trans["n"] / row_tot.where(row_tot > 0)
    trans["share_low"], trans["share_high"] = wilson(trans["n"], row_tot, alpha=alpha)
    frames = []
    for stage, (year, grade), col in (("до", before, lf), ("после", after, lt)):
        vc = col.value_counts().reindex(list(levels), fill_value=0)
        f = pd.DataFrame(
            {
                "stage": stage,
                "year": year,
                "grade": grade,
                "level": list(levels),
                "n": vc.to_numpy(),
            }
        )
        f["share"] = f["n"] / max(len(both), 1) if len(both) else np.nan
        f["share_low"], f["share_high"] = wilson(f["n"], len(both), alpha=alpha)
        frames.append(f)
    shares = pd.concat(frames, ignore_index=True)
    return CohortProgress(
        transitions=trans,
        shares=shares,
        matched=len(both),
        only_before=len(first) - len(both),
        only_after=len(second) - len(both),
    )

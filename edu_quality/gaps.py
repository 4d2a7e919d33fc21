"""Gaps between groups of pupils: girls and boys, or any pupil column.

For every unit (a school, a municipality or the whole region) and every work,
:func:`group_gaps` compares a group of pupils with a reference group on three
measures of the work:

* the share of «2» and the quality of knowledge (share of «4» and «5») — the
  difference of two independent shares with Newcombe's hybrid score interval
  (:func:`edu_quality.intervals.newcombe`; Newcombe 1998, method 10);
* the mean primary score — the difference of two means with Welch's interval
  (t with Welch–Satterthwaite degrees of freedom; Welch 1947).

A gap is **beyond noise** when its interval does not contain 0. A comparison
where either group has fewer than ``min_group`` pupils (default 10) is
suppressed: no value, no interval, never flagged — a group of a handful of
pupils can neither be judged nor shown without revealing its pupils.

The ФИС ОКО exports hold each pupil's sex (``gender``: «м», «ж»); the default
compares girls («ж») with boys («м»), so a positive gap in the mean score means
girls scored higher.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_option, check_positive, require_columns
from .errors import DataError
from .intervals import newcombe

__all__ = ["GAP_LEVELS", "GAP_METRICS", "GROUP_LABELS", "group_gaps", "welch"]

#: Units a gap is computed for.
GAP_LEVELS = ("school", "municipality", "region")
#: Measures compared, in the order of the output.
GAP_METRICS = ("share_2", "mean_score", "quality_rate")
#: Russian names of the values of ``gender``.
GROUP_LABELS = {"м": "мальчики", "ж": "девочки"}
_WORK = ("year", "assessment", "subject", "grade", "session")
_REGION = "регион"


def welch(
    mean1, var1, n1, mean2, var2, n2, *, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Difference of two means ``mean2 − mean1`` with Welch's interval.

    Parameters
    ----------
    mean1, var1, n1 : array-like
        The reference group: mean, sample variance (ddof = 1), size.
    mean2, var2, n2 : array-like
        The compared group.
    alpha : float
        1 − confidence level.

    Returns
    -------
    (diff, low, high) : tuple of numpy arrays
        NaN where either group has fewer than 2 members. Where both variances
        are 0 the interval is the difference itself.

    Notes
    -----
    Welch, B. L. (1947). The generalization of «Student's» problem when several
    different population variances are involved. Biometrika 34, 28–35:
    ``se = √(s₁²/n₁ + s₂²/n₂)``, ``df = se⁴ / Σ (sᵢ²/nᵢ)² / (nᵢ − 1)``.

    Examples
    --------
    >>> d, lo, hi = welch([10.0], [4.0], [30], [12.0], [9.0], [25])
    >>> round(float(d[0]), 2), round(float(lo[0]), 2), round(float(hi[0]), 2)
    (2.0, 0.58, 3.42)
    """
    from ._stats import t_ppf

    m1, v1, k1, m2, v2, k2 = np.broadcast_arrays(
        *(np.asarray(a, dtype="float64") for a in (mean1, var1, n1, mean2, var2, n2))
    )
    ok = (k1 >= 2) & (k2 >= 2) & np.isfinite(m1) & np.isfinite(m2)
    diff = np.where(ok, m2 - m1, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        a, b = v1 / k1, v2 / k2
        se = np.sqrt(a + b)
        df = (a + b) ** 2 / (a**2 / (k1 - 1) + b**2 / (k2 - 1))
        q = t_ppf(1 - alpha / 2, np.where(se > 0, df, 1.0))
    half = np.where(se > 0, q * se, 0.0)
    return diff, np.where(ok, diff - half, np.nan), np.where(ok, diff + half, np.nan)


def _counts(data: pd.DataFrame, keys: list[str], by: str) -> pd.DataFrame:
    mark = data["mark"].astype("float64")
    frame = data[[*keys, by]].assign(
        _n=1,
        _two=(mark == 2).astype("int64"),
        _good=(mark >= 4).astype("int64"),
        _score=data["score"].astype("float64"),
    )
    g = frame.groupby([*keys, by], observed=True, sort=True, dropna=True)
    out = g.agg(
        n=("_n", "sum"),
        two=("_two", "sum"),
        good=("_good", "sum"),
        mean=("_score", "mean"),
        var=("_score", "var"),
    )
    return out.reset_index()


def group_gaps(
    data: pd.DataFrame,
    *,
    by: str = "gender",
    level: str = "school",
    schools: pd.DataFrame | None = None,
    group: object = "ж",
    reference: object = "м",
    min_group: int = 10,
    confidence: float = 0.95,
    work: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Gaps between two groups of pupils in share of «2», mean score and quality.

    Parameters
    ----------
    data : DataFrame
        Pupil-level results: ``school_id``, ``score``, ``mark``, the column
        ``by`` and the columns naming a work (``year``, ``assessment``,
        ``subject``, ``grade``, ``session`` — those present). Rows with no
        mark or no value of ``by`` are left out.
    by : str
        The pupil column whose groups are compared (``gender`` in the ФИС ОКО
        files, or any column the user adds).
    level : {"school", "municipality", "region"}
        The unit of the comparison.
    schools : DataFrame, optional
        ``school_id`` and ``municipality``; needed for ``level="municipality"``.
    group, reference : object
        The values of ``by`` compared: the gap is ``group − reference``
        (default girls minus boys).
    min_group : int
        Smallest number of pupils in each group for a gap to be computed
        (default 10); smaller comparisons are ``suppressed``.
    confidence : float
        Confidence level of the intervals.
    work : sequence of str, optional
        Columns naming a work; by default those of ``year``, ``assessment``,
        ``subject``, ``grade``, ``session`` that ``data`` has.

    Returns
    -------
    pandas.DataFrame
        One row per unit, work and metric: ``level``, ``unit`` (school id,
        municipality or «регион»), the work columns, ``by``, ``group``,
        ``reference``, ``metric`` (:data:`GAP_METRICS`), ``n_group``,
        ``n_reference`` (pupils), ``value_group``, ``value_reference``,
        ``estimate`` (group − reference; shares in share units, the mean in
        primary points), ``ci_low``, ``ci_high``, ``suppressed`` and
        ``beyond_noise`` (the interval excludes 0). Values and intervals are
        NaN where suppressed.

    Raises
    ------
    DataError
        A required column is missing.
    ValueError
        A parameter is out of range.

    Examples
    --------
    >>> d = pd.DataFrame({
    ...     "year": 2021, "subject": "Математика", "grade": 5, "school_id": "a",
    ...     "gender": ["ж"] * 20 + ["м"] * 20,
    ...     "score": [12.0] * 18 + [4.0] * 2 + [8.0] * 10 + [4.0] * 10,
    ...     "mark": [4] * 18 + [2] * 2 + [3] * 10 + [2] * 10})
    >>> g = group_gaps(d)
    >>> [(m, round(e, 2), b) for m, e, b in g[["metric", "estimate", "beyond_noise"]].values]
    [('share_2', -0.4, True), ('mean_score', 5.2, True), ('quality_rate', 0.9, True)]
    """
    check_option("level", level, GAP_LEVELS)
    check_fraction("confidence", confidence)
    check_positive("min_group", min_group, integer=True)
    require_columns(data, ["school_id", "score", "mark", by])
    work = [c for c in _WORK if c in data.columns] if work is None else list(work)
    require_columns(data, work)
    d = data.loc[data["mark"].notna() & data[by].notna() & data[by].isin([group, reference])]
    if level == "municipality":
        if schools is None:
            raise ValueError("для разрывов по муниципалитетам нужна таблица школ (`schools`)")
        muni = dict(zip(schools["school_id"].astype(str), schools["municipality"], strict=False))
        unit = d["school_id"].astype(str).map(muni)
        if unit.isna().any():
            raise DataError(None, "у части школ результатов нет муниципалитета в реестре школ")
    elif level == "school":
        unit = d["school_id"].astype(str)
    else:
        unit = pd.Series(_REGION, index=d.index)
    d = d.assign(unit=unit.to_numpy())
    for c in work:
        if isinstance(d[c].dtype, pd.CategoricalDtype):
            d[c] = d[c].astype(d[c].cat.categories.dtype)
    keys = ["unit", *work]
    c = _counts(d, keys, by)
    g = c.loc[c[by] == group].drop(columns=by).set_index(keys)
    r = c.loc[c[by] == reference].drop(columns=by).set_index(keys)
    both = g.merge(r, how="outer", left_index=True, right_index=True, suffixes=("_g", "_r"))
    both = both.reset_index()
    for col in ("n_g", "n_r", "two_g", "two_r", "good_g", "good_r"):
        both[col] = both[col].fillna(0).astype("int64")
    alpha = 1 - confidence
    small = (both["n_g"] < min_group) | (both["n_r"] < min_group)
    parts = []
    for metric in GAP_METRICS:
        if metric == "mean_score":
            vg, vr = both["mean_g"], both["mean_r"]
            est, lo, hi = welch(
                vr, both["var_r"], both["n_r"], vg, both["var_g"], both["n_g"], alpha=alpha
            )
        else:
            col = "two" if metric == "share_2" else "good"
            with np.errstate(divide="ignore", invalid="ignore"):
                vg = both[f"{col}_g"] / both["n_g"].where(both["n_g"] > 0)
                vr = both[f"{col}_r"] / both["n_r"].where(both["n_r"] > 0)
            est, lo, hi = newcombe(
                both[f"{col}_r"], both["n_r"], both[f"{col}_g"], both["n_g"], alpha=alpha
            )
        part = both[keys].assign(
            metric=metric,
            n_group=both["n_g"],
            n_reference=both["n_r"],
            value_group=np.where(small, np.nan, vg),
            value_reference=np.where(small, np.nan, vr),
            estimate=np.where(small, np.nan, est),
            ci_low=np.where(small, np.nan, lo),
            ci_high=np.where(small, np.nan, hi),
            suppressed=small.to_numpy(),
        )
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["beyond_noise"] = (~out["suppressed"]) & ((out["ci_low"] > 0) | (out["ci_high"] < 0))
    out.insert(0, "level", level)
    pos = 2 + len(work)
    out.insert(pos, "by", by)
    out.insert(pos + 1, "group", group)
    out.insert(pos + 2, "reference", reference)
    order = {m: i for i, m in enumerate(GAP_METRICS)}
    out = out.sort_values(
        ["unit", *work, "metric"], key=lambda s: s.map(order) if s.name == "metric" else s
    )
    return out.reset_index(drop=True)

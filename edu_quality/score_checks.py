"""Objectivity markers of our own, read from primary and task scores.

Three rules of edu_quality — never signs of the federal method «Уровень
объективности оценки образовательных результатов в субъекте РФ» (ФИОКО) and
never part of :func:`edu_quality.objectivity.objectivity_index`:

:func:`cutoff_excess`
    Too many pupils exactly at a mark's cut-off score (the lowest score of
    «3», «4» or «5»): the bunching a score distribution shows where markers
    push a pupil over a threshold.
:func:`total_above_tasks`
    Totals greater than the sum of the pupil's task scores: points added to
    the total that no task gave.
:func:`hard_tasks_easier`
    A school that does the region's hardest tasks better than its easiest
    ones: a task profile that honest answers rarely give.

Every table has a ``source`` column («правило edu_quality»), a ``marker``
naming the rule, a boolean ``flag``, a ``conclusion`` — «признаки
необъективности: требуется проверка» for a flagged row, never a verdict — and
a ``note`` saying why a row was not judged (too few pupils, no scale, too few
tasks). Rows that were not judged are never flagged.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_option, check_positive, require_columns
from ._grouping import aggregate
from ._russian import plural
from ._stats import P_ADJUSTMENTS, binom_sf, p_adjusted, t_cdf
from .errors import DataError
from .exam_years import SPRING, scale_year
from .scales import merge_scales

__all__ = [
    "CONCLUSION_FLAGGED",
    "CONCLUSION_NOT_FLAGGED",
    "CORRECTIONS",
    "SOURCE",
    "cutoff_excess",
    "hard_tasks_easier",
    "score_histogram",
    "total_above_tasks",
]

#: ``source`` of every table here: a rule of the toolkit, not of ФИОКО's method.
SOURCE = "правило edu_quality"
#: ``conclusion`` of a flagged row: a reason to look, never a verdict.
CONCLUSION_FLAGGED = "признаки необъективности: требуется проверка"
#: ``conclusion`` of a judged row that is not flagged.
CONCLUSION_NOT_FLAGGED = "признаков не выявлено"
#: Multiple-testing corrections (statsmodels ``multipletests`` methods).
CORRECTIONS = P_ADJUSTMENTS

_MARKER_CUTOFF = "избыток баллов на границе отметки"
_MARKER_TOTAL = "первичный балл больше суммы баллов за задания"
_MARKER_HARD = "трудные задания выполнены лучше лёгких"
_WORK = ("year", "session", "assessment", "subject", "grade", "work_grade")


def _work_columns(data: pd.DataFrame, among: Sequence[str] = _WORK) -> list[str]:
    return [c for c in among if c in data.columns]


def _plain(data: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns with categories and nullable integers made plain (for merges)."""
    out = data[list(columns)].copy()
    for c in out.columns:
        col = out[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(col.cat.categories.dtype)
        if c in ("school_id", "pupil_id", "subject", "assessment", "task", "session"):
            col = col.astype("str")
        elif c in ("year", "grade", "work_grade", "task_no") and col.notna().all():
            col = col.astype("int64")
        out[c] = col
    return out


def _adjust(p: pd.Series, judged: pd.Series, correction: str) -> pd.Series:
    """Adjusted p-values over the judged rows (NaN elsewhere)."""
    q = pd.Series(np.nan, index=p.index)
    mask = judged & p.notna()
    if mask.any():
        q[mask] = p_adjusted(p[mask].to_numpy(dtype=float), method=correction)
    return q


def _finish(out: pd.DataFrame, marker: str) -> pd.DataFrame:
    judged = out["note"].isna()
    out["flag"] = (out["flag"].fillna(False).astype(bool) & judged).astype(bool)
    out["conclusion"] = np.where(
        out["flag"], CONCLUSION_FLAGGED, np.where(judged, CONCLUSION_NOT_FLAGGED, "")
    )
    out["marker"] = marker
    out["source"] = SOURCE
    out["note"] = out["note"].astype("str")
    return out.reset_index(drop=True)


# --- 1. bunching at the cut-off scores ------------------------------------------------------


def _cutoffs(scales: pd.DataFrame | None) -> pd.DataFrame:
    s = merge_scales(scales)
    cuts = s.loc[s["mark"] > 2, ["year", "subject", "grade", "mark", "min_score"]]
    top = s.loc[s["mark"] == 5, ["year", "subject", "grade", "max_score"]]
    cuts = cuts.merge(top, on=["year", "subject", "grade"])
    return cuts.rename(
        columns={"mark": "cutoff_mark", "min_score": "cutoff_score", "max_score": "work_max"}
    )


def _scored(results: pd.DataFrame) -> tuple[pd.DataFrame, list[str], str]:
    """ВПР results with a score, plain columns; the work columns; the column of the work grade."""
    gcol = "work_grade" if "work_grade" in results.columns else "grade"
    require_columns(results, ["year", "subject", gcol, "school_id", "score"])
    data = results
    if "assessment" in data.columns:
        data = data[data["assessment"].astype("str") == "ВПР"]
    if gcol == "work_grade" and "grade" in data.columns:  # empty where the pupils' grade wrote
        data = data.assign(work_grade=data["work_grade"].fillna(data["grade"]))
    work = _work_columns(data)
    data = _plain(data, [*work, "school_id", "score"])
    data = data[data["score"].notna() & data[gcol].notna()]
    score = pd.to_numeric(data["score"], errors="coerce")
    bad = score.isna() | (score % 1 != 0) | (score < 0)
    if bad.any():
        raise DataError(
            None,
            f"столбец «score»: первичный балл должен быть целым числом ≥ 0, есть «{score[bad].iloc[0]}»"
            f" ({plural(int(bad.sum()), 'строка', 'строки', 'строк')})",
        )
    data = data.assign(score=score.astype("int64"))
    data[gcol] = data[gcol].astype("int64")
    return data, work, gcol


def cutoff_excess(
    results: pd.DataFrame,
    *,
    scales: pd.DataFrame | None = None,
    below: int = 1,
    above: int = 1,
    min_pupils: int = 10,
    min_window: int = 10,
    min_region_window: int = 100,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
) -> pd.DataFrame:
    r"""Pupils bunched exactly at a mark's cut-off score, school against region.

    For every school and ВПР work with a score-to-mark scale and every cut-off
    ``c`` (the lowest primary score of «3», «4», «5»), the pupils of the school
    whose score lies in the window ``c − below … c + above`` are counted, and
    so are those exactly at ``c``. If the school marks like the rest of the
    region, a pupil of the window lands on ``c`` with the region's probability

    .. math:: p = \frac{K - k}{N - n},

    where ``K`` of the region's ``N`` pupils in the window are at ``c`` and the
    school's own ``k`` of ``n`` are left out. The one-sided exact binomial test
    gives ``P(X ≥ k)`` for ``X ~ Bin(n, p)``; the p-values of every judged row
    of the call (all schools, works and cut-offs passed) are adjusted together
    (Benjamini–Hochberg by default, or Holm), and a row is flagged when the
    adjusted value is below ``alpha``.

    Why a window on both sides: a pupil lifted from ``c − 1`` to ``c`` raises
    ``k`` while ``n`` stays, whichever side the window has; but the density of
    a strong (or weak) school rises (or falls) across a cut-off, and with a
    window symmetric around ``c`` a locally linear slope cancels, so the test
    does not mistake a school's level for bunching. The region's own
    probability keeps the shape the work gives the distribution (scores some
    tasks make rare).

    Minimum group sizes: a school × work with fewer than ``min_pupils``
    pupils, a window with fewer than ``min_window`` pupils of the school, or
    a region (without the school) with fewer than ``min_region_window`` pupils
    in the window is not judged; its ``note`` says why.

    The idea is the bunching of scores at thresholds: Dee, Dobbie, Jacob,
    Rockoff (2019), «The causes and consequences of test score manipulation:
    evidence from the New York Regents examinations», *American Economic
    Journal: Applied Economics* 11(3), 382–423; the same excess shows at the
    pass mark of the Polish matura (the 30 % threshold, Centralna Komisja
    Egzaminacyjna reports).

    Parameters
    ----------
    results : DataFrame
        Pupil-level results: ``year``, ``subject``, ``work_grade`` (or
        ``grade``), ``school_id``, ``score`` (whole primary scores);
        ``assessment`` when present (only «ВПР» rows are used).
    scales : DataFrame, optional
        A user's scales (:func:`edu_quality.scales.read_scales`), added to the
        shipped official ones; works without a scale are left out.
    below, above : int
        Scores below and above the cut-off that make the window.
    min_pupils, min_window, min_region_window : int
        Minimum group sizes (see above).
    alpha : float
        Level of the adjusted p-value.
    correction : {"fdr_bh", "holm"}
        Benjamini–Hochberg (false discovery rate) or Holm (family-wise error).

    Returns
    -------
    pandas.DataFrame
        One row per school, work and cut-off: the work columns of
        ``results`` (``year``, ``assessment``, ``subject``, ``grade``,
        ``work_grade`` as present), ``school_id``, ``cutoff_mark`` (3, 4, 5),
        ``cutoff_score``, ``n_pupils`` (the school's pupils on the work),
        ``n_window``, ``at_cutoff``, ``below_cutoff`` (at ``c − 1``),
        ``above_cutoff`` (at ``c + 1``), ``share`` (``at_cutoff / n_window``),
        ``region_share`` (``p``, the school left out), ``expected``
        (``n_window · p``), ``excess`` (``at_cutoff − expected``, pupils),
        ``p_value``, ``p_adjusted``, ``flag``, ``conclusion``, ``note``,
        ``marker``, ``source``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> r = pd.DataFrame({"year": 2021, "subject": "Математика", "grade": 4,
    ...                   "school_id": np.repeat([f"s{i}" for i in range(40)], 50),
    ...                   "score": rng.binomial(20, 0.5, 2000)})
    >>> r.loc[r["school_id"].eq("s0") & r["score"].between(7, 9), "score"] = 10
    >>> t = cutoff_excess(r)
    >>> t.loc[t["flag"], ["school_id", "cutoff_mark", "cutoff_score"]].values.tolist()
    [['s0', 4, 10]]
    """
    for name, value in (("min_pupils", min_pupils), ("min_window", min_window)):
        check_positive(name, value, integer=True)
    check_positive("min_region_window", min_region_window, integer=True)
    for name, value in (("below", below), ("above", above)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"Параметр `{name}` должен быть целым числом ≥ 0, передано {value!r}")
    if below + above == 0:
        raise ValueError(
            "Параметры `below` и `above` не могут быть оба равны 0: окно из одного балла"
        )
    check_fraction("alpha", alpha)
    check_option("correction", correction, CORRECTIONS)
    data, work, gcol = _scored(results)
    key = [*work, "school_id"]
    counts = data.groupby([*key, "score"], sort=False).size().rename("count").reset_index()
    rows = data.groupby(key, sort=True).size().rename("n_pupils").reset_index()
    # the scale of the year the work was set: an autumn work is the previous year's
    cuts = _cutoffs(scales).rename(columns={"grade": gcol, "year": "_scale_year"})
    session = rows["session"] if "session" in rows.columns else np.full(len(rows), SPRING)
    rows["_scale_year"] = scale_year(rows["year"], session)
    rows = rows.merge(cuts, on=["_scale_year", "subject", gcol], how="inner")
    rows = rows.drop(columns="_scale_year")
    wide = rows.copy()
    wide["n_window"] = 0
    for d in range(-below, above + 1):
        at = counts.rename(columns={"score": "cutoff_score", "count": f"_c{d}"})
        at["cutoff_score"] -= d
        wide = wide.merge(at, on=[*key, "cutoff_score"], how="left")
        wide[f"_c{d}"] = wide[f"_c{d}"].fillna(0).astype("int64")
        wide["n_window"] += wide[f"_c{d}"]
    wide["at_cutoff"] = wide["_c0"]
    wide["below_cutoff"] = wide["_c-1"] if below else np.nan
    wide["above_cutoff"] = wide["_c1"] if above else np.nan
    region = wide.groupby([*work, "cutoff_mark"])[["at_cutoff", "n_window"]].transform("sum")
    k, n = wide["at_cutoff"], wide["n_window"]
    rest_n = region["n_window"] - n
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (region["at_cutoff"] - k) / rest_n
        wide["share"] = np.where(n > 0, k / n, np.nan)
    wide["region_share"] = p.where(rest_n > 0)
    wide["expected"] = n * wide["region_share"]
    wide["excess"] = k - wide["expected"]
    note = pd.Series(pd.NA, index=wide.index, dtype="object")
    note[(p <= 0) | (p >= 1) | (rest_n <= 0)] = (
        "не оценивалось: в регионе нет разброса баллов у этой границы"
    )
    note[rest_n < min_region_window] = (
        f"не оценивалось: в регионе (без школы) у этой границы меньше {min_region_window} участников"
    )
    note[n < min_window] = f"не оценивалось: у этой границы меньше {min_window} участников школы"
    note[wide["n_pupils"] < min_pupils] = (
        f"не оценивалось: работу писали меньше {min_pupils} участников школы"
    )
    wide["note"] = note
    judged = note.isna()
    pv = pd.Series(np.nan, index=wide.index)
    pv[judged] = binom_sf(k[judged] - 1, n[judged], p[judged])
    wide["p_value"] = pv
    wide["p_adjusted"] = _adjust(pv, judged, correction)
    wide["flag"] = wide["p_adjusted"] < alpha
    columns = [
        *key,
        "cutoff_mark",
        "cutoff_score",
        "n_pupils",
        "n_window",
        "at_cutoff",
        "below_cutoff",
        "above_cutoff",
        "share",
        "region_share",
        "expected",
        "excess",
        "p_value",
        "p_adjusted",
        "flag",
        "note",
    ]
    out = wide[columns].sort_values([*key, "cutoff_mark"])
    return _finish(out, _MARKER_CUTOFF)


def score_histogram(
    results: pd.DataFrame,
    *,
    school_id: str,
    year: int,
    subject: str,
    grade: int,
    scales: pd.DataFrame | None = None,
    min_n: int = 5,
) -> pd.DataFrame:
    """Distribution of primary scores on one work: a school beside the region, with the cut-offs.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results as for :func:`cutoff_excess`.
    school_id : str
        The school.
    year, subject, grade
        The work; ``grade`` is the grade of the work (``work_grade``).
    scales : DataFrame, optional
        A user's scales added to the shipped ones.
    min_n : int
        Fewest pupils of the school for its distribution to be shown.

    Returns
    -------
    pandas.DataFrame
        One row per primary score from 0 to the work's maximum: ``score``,
        ``mark`` (from the scale), ``cutoff`` (True at the lowest score of
        «3», «4», «5»), ``school_n``, ``school_share``, ``region_n``,
        ``region_share`` (the region includes the school). ``attrs`` holds
        ``school_id``, ``year``, ``subject``, ``grade``.

    Raises
    ------
    DataError
        No scale for the work, or the school wrote it with fewer than
        ``min_n`` pupils (the distribution of so few is not shown).

    Examples
    --------
    >>> r = pd.DataFrame({"year": 2021, "subject": "Математика", "grade": 4,
    ...                   "school_id": ["a"] * 6 + ["b"] * 4, "score": [6, 6, 6, 10, 15, 20] + [5] * 4})
    >>> h = score_histogram(r, school_id="a", year=2021, subject="Математика", grade=4)
    >>> h.loc[h["cutoff"], ["score", "mark", "school_n", "region_n"]].values.tolist()
    [[6, 3, 3, 3], [10, 4, 1, 1], [15, 5, 1, 1]]
    """
    check_positive("min_n", min_n, integer=True)
    data, _, gcol = _scored(results)
    data = data[(data["year"] == year) & (data["subject"] == subject) & (data[gcol] == grade)]
    cuts = _cutoffs(scales)
    cuts = cuts[(cuts["year"] == year) & (cuts["subject"] == subject) & (cuts["grade"] == grade)]
    what = f"ВПР {year}, «{subject}», {grade} класс"
    if cuts.empty:
        raise DataError(None, f"нет шкалы перевода первичных баллов в отметки для {what}")
    school = data.loc[data["school_id"] == str(school_id), "score"]
    if len(school) < min_n:
        raise DataError(
            None,
            f"школа {school_id}, {what}: участников меньше {min_n} — распределение не показывается",
        )
    top = int(cuts["work_max"].iloc[0])
    scores = np.arange(top + 1)
    bounds = cuts.sort_values("cutoff_mark")["cutoff_score"].to_numpy()
    out = pd.DataFrame({"score": scores})
    out["mark"] = 2 + np.searchsorted(bounds, scores, side="right")
    out["cutoff"] = out["score"].isin(bounds)
    out["school_n"] = school.value_counts().reindex(scores, fill_value=0).to_numpy()
    out["school_share"] = out["school_n"] / len(school)
    region = data["score"]
    out["region_n"] = region.value_counts().reindex(scores, fill_value=0).to_numpy()
    out["region_share"] = out["region_n"] / len(region)
    out.attrs = {"school_id": str(school_id), "year": year, "subject": subject, "grade": grade}
    return out


# --- 2. totals above the sum of the task scores ---------------------------------------------


def total_above_tasks(
    results: pd.DataFrame,
    tasks: pd.DataFrame,
    *,
    min_n: int = 5,
    min_pupils: int = 3,
    min_share: float = 0.2,
) -> pd.DataFrame:
    """Pupils whose total primary score is greater than the sum of their task scores.

    A total is the sum of the task scores; a total above it holds points no
    task gave. One such pupil is a slip; several in one class — in the real
    2021 files whole classes run 2–6 points above their task sums — call for
    a look at how the totals were entered.

    Rule: a school × work is flagged when at least ``min_pupils`` (3) of its
    pupils **and** at least ``min_share`` (20 %) of those with both a total
    and task scores have a total above the task sum. A school × work with
    fewer than ``min_n`` (5) such pupils is not judged. Totals below the task
    sum are counted (``n_below``) but not flagged: they lose points rather
    than add them.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results: ``year``, ``subject``, ``school_id``,
        ``pupil_id``, ``score`` and the work grade columns (``grade``,
        ``work_grade``) as present.
    tasks : DataFrame
        Task scores, one row per pupil and task: the same key columns,
        ``score`` (the ``tasks`` table of ``edu-quality import fis-oko``:
        ``pd.read_parquet(folder / "tasks.parquet")``). Missing task scores
        count as 0.
    min_n : int
        Fewest pupils with both a total and task scores for a judgement.
    min_pupils : int
        Fewest pupils above their task sum for a flag.
    min_share : float
        Smallest share of such pupils for a flag.

    Returns
    -------
    pandas.DataFrame
        One row per school and work that has task scores: the work columns
        (``year``, ``subject``, ``grade``, ``work_grade`` as present),
        ``school_id``, ``n`` (pupils with both), ``n_above``, ``share_above``,
        ``n_below``, ``max_excess`` and ``median_excess`` (points above the
        task sum, among the pupils above it), ``n_no_tasks`` (pupils with a
        total but no task scores), ``flag``, ``conclusion``, ``note``,
        ``marker``, ``source``. No pupil is named.

    Examples
    --------
    >>> r = pd.DataFrame({"year": 2021, "subject": "Математика", "grade": 4, "school_id": "a",
    ...                   "pupil_id": list("pqrstu"), "score": [5.0, 6, 7, 3, 3, 3]})
    >>> t = pd.DataFrame({"year": 2021, "subject": "Математика", "grade": 4, "school_id": "a",
    ...                   "pupil_id": list("pqrstu"), "task_no": 1, "score": 3.0})
    >>> total_above_tasks(r, t)[["n", "n_above", "max_excess", "flag"]].values.tolist()
    [[6, 3, 4.0, True]]
    """
    check_positive("min_n", min_n, integer=True)
    check_positive("min_pupils", min_pupils, integer=True)
    check_fraction("min_share", min_share)
    work = [c for c in ("year", "subject", "grade", "work_grade") if c in tasks.columns]
    work = [c for c in work if c in results.columns]
    key = [*work, "school_id", "pupil_id"]
    require_columns(results, [*key, "score"])
    require_columns(tasks, [*key, "score"])
    if not {"year", "subject"} <= set(work):
        raise DataError(None, "в таблицах результатов и заданий нет общих столбцов year и subject")
    sums = _plain(aggregate(tasks, key, {"task_sum": ("score", "sum")}), [*key, "task_sum"])
    totals = _plain(results, [*key, "score"])
    totals = totals[totals["score"].notna()]
    works = sums[work].drop_duplicates()
    totals = totals.merge(works, on=work, how="inner")
    both = totals.merge(sums, on=key, how="left")
    both["has"] = both["task_sum"].notna()
    both["excess"] = (both["score"] - both["task_sum"]).where(both["has"])
    both["above"] = both["excess"] > 1e-9
    both["below"] = both["excess"] < -1e-9
    both["up"] = both["excess"].where(both["above"])
    g = both.groupby([*work, "school_id"], sort=True)
    out = g.agg(
        n=("has", "sum"),
        n_above=("above", "sum"),
        n_below=("below", "sum"),
        max_excess=("up", "max"),
        median_excess=("up", "median"),
        n_total=("score", "size"),
    ).reset_index()
    out["n_no_tasks"] = out["n_total"] - out["n"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share_above"] = np.where(out["n"] > 0, out["n_above"] / out["n"], np.nan)
    out["note"] = pd.Series(pd.NA, index=out.index, dtype="object")
    out.loc[out["n"] < min_n, "note"] = (
        f"не оценивалось: меньше {min_n} участников с баллами за задания"
    )
    out["flag"] = (out["n_above"] >= min_pupils) & (out["share_above"] >= min_share - 1e-12)
    columns = [
        *work,
        "school_id",
        "n",
        "n_above",
        "share_above",
        "n_below",
        "max_excess",
        "median_excess",
        "n_no_tasks",
        "flag",
        "note",
    ]
    out = out[columns].astype({c: "int64" for c in ("n", "n_above", "n_below", "n_no_tasks")})
    return _finish(out, _MARKER_TOTAL)


# --- 3. hard tasks done better than easy ones -----------------------------------------------


def _sums(data: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Points and maximum points per ``by`` (categories kept: fast on millions of rows)."""
    out = data.groupby(by, observed=True, sort=True)[["score", "max_score"]].sum()
    return _plain(out.reset_index(), [*by, "score", "max_score"])


def _shares(data: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Share of the maximum per ``by``, the last of ``by`` (``part``) spread to columns."""
    sums = data.groupby(by, observed=True, sort=True)[["score", "max_score"]].sum()
    share = (sums["score"] / sums["max_score"]).unstack(by[-1])  # noqa: PD010
    return share.reindex(columns=["hard", "easy"])


def _wilcoxon(pupil: pd.DataFrame, key: list[str], groups: pd.DataFrame) -> pd.Series:
    """One-sided Wilcoxon signed-rank p (``diff`` > 0, zeros split) for each row of ``groups``."""
    from scipy import stats  # here, not at import: the report's markers do not need it

    found = {k: g["diff"].to_numpy() for k, g in pupil.groupby(key, sort=False)}
    p = pd.Series(np.nan, index=groups.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, k in zip(groups.index, groups.itertuples(index=False, name=None), strict=True):
            d = found.get(k)
            if d is None or len(d) == 0:
                continue
            if np.all(d == 0):
                p[i] = 1.0
            else:
                p[i] = stats.wilcoxon(
                    d,
                    alternative="greater",
                    zero_method="zsplit",
                    method="asymptotic",
                    correction=True,
                ).pvalue
    return p


def hard_tasks_easier(
    tasks: pd.DataFrame,
    *,
    min_n: int = 10,
    min_tasks: int = 6,
    alpha: float = 0.05,
    correction: str = "fdr_bh",
) -> pd.DataFrame:
    """Schools that do the region's hardest tasks better than its easiest ones.

    A task's difficulty is the region's success on it: the points of every
    pupil of the work on the task over their maximum points. The tasks are
    ranked by it, and the hardest third (the ``T // 3`` tasks of lowest
    success) and the easiest third are set apart.

    Two tests per school × work, each one-sided:

    * **thirds** — for each pupil of the school ``d`` = share of the maximum
      on the hardest third − share on the easiest third; the Wilcoxon
      signed-rank test of ``d > 0`` (zeros split; the normal approximation
      with the tie and continuity corrections — SciPy's exact or
      permutation null is too slow for a region's thousands of classes). In an honest class ``d``
      is clearly negative, so testing against 0 is conservative: a flag
      means the hard tasks were done *better*, not merely less badly;
    * **profile** — Spearman's ρ across tasks between the region's success
      and the school's; the test of ρ < 0. An honest school follows the
      region's difficulty order. The p-value is SciPy's: Student's t with
      ``T − 2`` degrees of freedom.

    The p-values of each test are adjusted over every judged school × work
    of the call (Benjamini–Hochberg by default, or Holm). A school × work is
    flagged when the school's success on the hardest third exceeds that on
    the easiest third with adjusted p < ``alpha``, or when ρ < 0 with adjusted
    p < ``alpha``. Not judged: fewer than ``min_n`` pupils, or fewer than
    ``min_tasks`` tasks in the work (thirds of at least two tasks).

    Parameters
    ----------
    tasks : DataFrame
        Task scores, one row per pupil and task: ``year``, ``subject``,
        ``grade`` and/or ``work_grade``, ``school_id``, ``pupil_id``,
        ``task_no``, ``score``, ``max_score`` (the ``tasks`` table of
        ``edu-quality import fis-oko``). Rows with a missing score or a
        maximum of 0 are left out.
    min_n : int
        Fewest pupils of the school.
    min_tasks : int
        Fewest tasks of the work.
    alpha : float
        Level of the adjusted p-values.
    correction : {"fdr_bh", "holm"}
        Benjamini–Hochberg or Holm.

    Returns
    -------
    pandas.DataFrame
        One row per school and work: the work columns, ``school_id``, ``n``
        (pupils), ``n_tasks``, ``hard_share`` and ``easy_share`` (the
        school's share of the maximum on the region's hardest and easiest
        third), ``region_hard_share``, ``region_easy_share``, ``rho``,
        ``p_rho``, ``p_rho_adjusted``, ``p_thirds``, ``p_thirds_adjusted``,
        ``flag``, ``conclusion``, ``note``, ``marker``, ``source``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> rows = [(s, f"{s}{i}", j, float(rng.random() < (0.9 - 0.1 * j if s != "x" else 0.2 + 0.1 * j)))
    ...         for s in ["x", "y", "z"] for i in range(20) for j in range(1, 9)]
    >>> t = pd.DataFrame(rows, columns=["school_id", "pupil_id", "task_no", "score"]).assign(
    ...     year=2021, subject="Математика", grade=4, max_score=1.0)
    >>> h = hard_tasks_easier(t)
    >>> h.loc[h["flag"], "school_id"].tolist()
    ['x']
    """
    check_positive("min_n", min_n, integer=True)
    check_positive("min_tasks", min_tasks, integer=True)
    check_fraction("alpha", alpha)
    check_option("correction", correction, CORRECTIONS)
    need = ["year", "subject", "school_id", "pupil_id", "task_no", "score", "max_score"]
    require_columns(tasks, need)
    work = _work_columns(tasks, ("year", "subject", "grade", "work_grade"))
    data = tasks.loc[tasks["score"].notna() & (tasks["max_score"] > 0), [*work, *need[2:]]]
    region = _sums(data, [*work, "task_no"])
    region["success"] = region["score"] / region["max_score"]
    region["n_tasks"] = region.groupby(work)["task_no"].transform("size")
    third = region["n_tasks"] // 3
    rank = region.groupby(work)["success"].rank(method="first")
    region["part"] = np.where(
        rank <= third, "hard", np.where(rank > region["n_tasks"] - third, "easy", "")
    )
    parts = region[region["part"] != ""]
    reg = _shares(parts, [*work, "part"]).add_prefix("region_").add_suffix("_share")
    school = _sums(data, [*work, "school_id", "task_no"])
    school = school.merge(region[[*work, "task_no", "success", "part", "n_tasks"]])
    key = [*work, "school_id"]
    shares = _shares(school[school["part"] != ""], [*key, "part"])
    school["share"] = school["score"] / school["max_score"]
    school["r_school"] = school.groupby(key)["share"].rank()
    school["r_region"] = school.groupby(key)["success"].rank()
    x, y = school["r_school"], school["r_region"]
    m = school.assign(x=x, y=y, xx=x * x, yy=y * y, xy=x * y).groupby(key)
    m = m[["x", "y", "xx", "yy", "xy"]].sum().join(m.size().rename("k"))
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = m["k"] * m["xy"] - m["x"] * m["y"]
        var = (m["k"] * m["xx"] - m["x"] ** 2) * (m["k"] * m["yy"] - m["y"] ** 2)
        rho = (cov / np.sqrt(var)).where(var > 1e-12).clip(-1, 1)
    out = pd.DataFrame({"rho": rho})  # Pearson's r of the ranks: Spearman's ρ
    out["n_tasks"] = school.groupby(key)["n_tasks"].first()
    # one-sided p of Spearman's ρ < 0: Student's t with T − 2 degrees of freedom (as SciPy)
    df = out["n_tasks"] - 2
    with np.errstate(divide="ignore", invalid="ignore"):
        t = out["rho"] * np.sqrt(df / ((1 - out["rho"]) * (1 + out["rho"])))
    out["p_rho"] = t_cdf(t, df)
    pupil = data.merge(parts[[*work, "task_no", "part"]])
    pupil = _shares(pupil, [*key, "pupil_id", "part"]).dropna()
    pupil = pupil.reset_index()
    pupil["diff"] = pupil["hard"] - pupil["easy"]
    out["n"] = data.groupby(key, observed=True)["pupil_id"].nunique()
    out = out.join(shares.add_suffix("_share")).reset_index()
    out = _plain(out, out.columns).merge(_plain(reg.reset_index(), [*work, *reg.columns]))
    note = pd.Series(pd.NA, index=out.index, dtype="object")
    note[out["n_tasks"] < min_tasks] = f"не оценивалось: в работе меньше {min_tasks} заданий"
    note[out["n"] < min_n] = f"не оценивалось: меньше {min_n} участников"
    out["note"] = note
    judged = note.isna()
    out.loc[~judged, ["rho", "p_rho"]] = np.nan
    out["p_thirds"] = _wilcoxon(_plain(pupil, [*key, "diff"]), key, out[judged][key])
    out.loc[~judged, "p_thirds"] = np.nan
    out["p_rho_adjusted"] = _adjust(out["p_rho"], judged, correction)
    out["p_thirds_adjusted"] = _adjust(out["p_thirds"], judged, correction)
    thirds = (out["hard_share"] > out["easy_share"]) & (out["p_thirds_adjusted"] < alpha)
    profile = (out["rho"] < 0) & (out["p_rho_adjusted"] < alpha)
    out["flag"] = thirds | profile
    columns = [*key, "n", "n_tasks", "hard_share", "easy_share"]
    order = [
        *columns,
        "region_hard_share",
        "region_easy_share",
        "rho",
        "p_rho",
        "p_rho_adjusted",
        "p_thirds",
        "p_thirds_adjusted",
        "flag",
        "note",
    ]
    out = out.sort_values(key)
    return _finish(out[order], _MARKER_HARD)

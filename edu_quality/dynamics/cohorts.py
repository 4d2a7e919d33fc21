"""The change of enrolment between two years, and a cohort's progress between two diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError
from ..intervals import wilson

__all__ = ["KDR_LEVELS", "CohortProgress", "cohort_progress", "enrolment_change"]

#: Levels of the КДР (regional diagnostics), from lowest to highest.
KDR_LEVELS = ("недостаточный", "пониженный", "базовый", "повышенный")


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

"""A cohort's progress from the autumn to the spring of one school year, beside the region's.

The ВПР moved from spring 2020 were written in autumn 2020 by the next grade (grade
``g`` wrote the work of grade ``g − 1``); in spring 2021 the same pupils wrote the
work of their own grade. The two are one school year (2020/21, ``year`` 2021) and
two different works, so the change between them is **not** a year-over-year change
of the school (:func:`edu_quality.year_over_year` never pairs them): it is the
progress of one cohort from one work to the next, and the region's own change
between the two works — the share of «2» falls by 5–9 points in the real Altai
data with nothing adjusting for it — says what is usual. So every row gives the
school's change, the region's change over the same pair of works, and the
difference between them with its interval.

Interval: the school's change is the difference of two proportions with
Newcombe's hybrid score interval (Newcombe 1998, method 10,
:func:`edu_quality.intervals.newcombe`), which treats the two sessions as
independent samples. They are mostly the same pupils; with results that
correlate positively between the sessions the true interval is narrower, so
this one is conservative. The region's change is taken as known (its sampling
error is small beside a school's); the difference from it is the school's change
shifted by the region's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_positive, require_columns
from .exam_years import AUTUMN, SPRING
from .intervals import newcombe

__all__ = ["LABEL", "session_progress"]

#: How the rows are labelled wherever they are shown.
LABEL = "прогресс когорты: осень → весна одного учебного года (разные работы; не динамика)"

_KEYS = ["school_id", "subject", "grade", "year"]


def session_progress(summary: pd.DataFrame, *, min_n: int = 5, alpha: float = 0.05) -> pd.DataFrame:
    """The share of «2» of each school's cohort in autumn and in spring, beside the region's.

    Parameters
    ----------
    summary : DataFrame
        School metrics (:func:`edu_quality.summarize` by ``school_id``,
        ``assessment``, ``subject``, ``grade``, ``year``; it keeps ``session``
        when the data hold autumn works) with ``n2`` and ``participants``; only
        ВПР rows are used. ``grade`` is the pupils' grade, so the autumn row
        (the previous grade's work) and the spring row of one school year
        share it.
    min_n : int, keyword-only
        A school and session with fewer participants is not judged (its row
        is kept with ``note``); such a row never shows its shares.
    alpha : float, keyword-only
        1 − confidence level.

    Returns
    -------
    DataFrame
        One row per school, subject, pupils' grade and year with both
        sessions: ``school_id``, ``subject``, ``grade``, ``year``,
        ``n_autumn``, ``n_spring``, ``share_autumn``, ``share_spring``,
        ``change`` (spring − autumn) with ``change_low``/``change_high``,
        ``region_autumn``, ``region_spring``, ``region_change``,
        ``relative`` (``change − region_change``) with
        ``relative_low``/``relative_high``, ``verdict`` («лучше, чем в
        регионе» — the share of «2» fell more or rose less —, «хуже, чем в
        регионе», «как в регионе», or empty when not judged) and ``note``.
        ``attrs["label"]`` is :data:`LABEL`. Empty when the data hold no
        autumn session.

    Examples
    --------
    >>> s = pd.DataFrame({"school_id": ["a", "a", "b", "b"], "assessment": "ВПР",
    ...                   "subject": "Математика", "grade": 5, "year": 2021,
    ...                   "session": ["осень", "весна"] * 2,
    ...                   "participants": [40, 40, 60, 60], "n2": [20, 2, 9, 6]})
    >>> t = session_progress(s)
    >>> t[["school_id", "change", "region_change", "verdict"]].round(2).values.tolist()
    [['a', -0.45, -0.21, 'лучше, чем в регионе'], ['b', -0.05, -0.21, 'хуже, чем в регионе']]
    """
    check_positive("min_n", min_n, integer=True)
    check_fraction("alpha", alpha)
    require_columns(summary, [*_KEYS, "n2", "participants"])
    cols = [
        *_KEYS,
        "n_autumn",
        "n_spring",
        "share_autumn",
        "share_spring",
        "change",
        "change_low",
        "change_high",
        "region_autumn",
        "region_spring",
        "region_change",
        "relative",
        "relative_low",
        "relative_high",
        "verdict",
        "note",
    ]
    if "session" not in summary.columns or not (summary["session"] == AUTUMN).any():
        out = pd.DataFrame(columns=cols)
        out.attrs["label"] = LABEL
        return out
    s = summary
    if "assessment" in s.columns:
        s = s.loc[s["assessment"] == "ВПР"]
    s = s.loc[s["n2"].notna() & (s["participants"] > 0), [*_KEYS, "session", "n2", "participants"]]
    s = s.assign(n2=s["n2"].astype("float64"), participants=s["participants"].astype("float64"))
    region = s.groupby(["subject", "grade", "year", "session"])[["n2", "participants"]].sum()
    region = (region["n2"] / region["participants"]).rename("share").reset_index()
    autumn = s.loc[s["session"] == AUTUMN].drop(columns="session")
    spring = s.loc[s["session"] == SPRING].drop(columns="session")
    both = autumn.merge(spring, on=_KEYS, suffixes=("_autumn", "_spring"))
    for ses, tag in ((AUTUMN, "autumn"), (SPRING, "spring")):
        r = region.loc[region["session"] == ses].drop(columns="session")
        both = both.merge(r.rename(columns={"share": f"region_{tag}"}), on=_KEYS[1:], how="left")
    out = both.rename(
        columns={"participants_autumn": "n_autumn", "participants_spring": "n_spring"}
    )
    out["share_autumn"] = out["n2_autumn"] / out["n_autumn"]
    out["share_spring"] = out["n2_spring"] / out["n_spring"]
    change, low, high = newcombe(
        out["n2_autumn"], out["n_autumn"], out["n2_spring"], out["n_spring"], alpha=alpha
    )
    out["change"], out["change_low"], out["change_high"] = change, low, high
    out["region_change"] = out["region_spring"] - out["region_autumn"]
    out["relative"] = out["change"] - out["region_change"]
    out["relative_low"] = out["change_low"] - out["region_change"]
    out["relative_high"] = out["change_high"] - out["region_change"]
    small = (out["n_autumn"] < min_n) | (out["n_spring"] < min_n)
    out["verdict"] = np.select(
        [small, out["relative_high"] < 0, out["relative_low"] > 0],
        ["", "лучше, чем в регионе", "хуже, чем в регионе"],
        default="как в регионе",
    )
    out["note"] = np.where(
        small, f"не оценивалось: меньше {min_n} участников в одной из сессий", ""
    )
    hide = [c for c in cols if c.startswith(("share_", "change", "relative"))]
    out.loc[small, hide] = np.nan  # a small group's shares are never given
    for c in ("n_autumn", "n_spring"):
        out[c] = out[c].astype("int64")
    out = out[cols].sort_values(_KEYS).reset_index(drop=True)
    out.attrs["label"] = LABEL
    return out

"""A criterion of the risk zone: a significant rise of the share of «2», work by work.

:func:`declines` compares each work of a school with the year before
(:func:`edu_quality.dynamics.year_over_year`, a Newcombe interval excluding zero) and
words the reason; small groups are not judged and hidden cells are not quoted.
"""

from __future__ import annotations

import pandas as pd

from .._russian import percent as share_text
from ..dynamics import year_over_year
from ..rosobrnadzor import listing, mark_hidden, per_school
from .summaries import PROCEDURE

__all__ = ["declines"]


def _columns(table: pd.DataFrame, *names: str):
    """The rows of some columns as tuples of Python values (as ``itertuples`` gives them)."""
    return zip(*(table[c].tolist() for c in names), strict=True)


def declines(
    summary: pd.DataFrame,
    year: int,
    alpha: float,
    min_n: int,
    hidden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Significant rises of the share of «2», work by work, with their reason.

    Groups under ``min_n`` participants in either year are not judged (as in
    Рособрнадзор's rule): their shares are hidden in every report, and a reason
    quoting them would give them back.
    """
    s = summary.loc[summary["year"].isin([year - 1, year]) & (summary["participants"] >= min_n)]
    if s.empty:
        return pd.DataFrame(columns=["school_id", "decline", "decline_reason"])
    yoy = year_over_year(s, by=["school_id", *PROCEDURE], metrics=["share_2"], alpha=alpha)
    bad = yoy.loc[(yoy["verdict"] == "отрицательная") & (yoy["year_to"] == year)]
    secret = mark_hidden(bad.assign(year=bad["year_to"]), hidden) | mark_hidden(
        bad.assign(year=bad["year_from"]), hidden
    )
    rows = per_school(
        bad,
        [
            f"{a} {s} {g} кл. — доля «2» значимо выросла (значение скрыто)"
            if h
            else f"{a} {s} {g} кл. — доля «2» выросла с {share_text(v0)} до {share_text(v)}"
            for a, s, g, v0, v, h in _columns(
                bad.assign(_h=secret.to_numpy()),
                "assessment",
                "subject",
                "grade",
                "value_from",
                "value_to",
                "_h",
            )
        ],
    )
    return pd.DataFrame(
        {
            "school_id": pd.Series(list(rows), dtype="str"),
            "decline": True,
            "decline_reason": [listing(v) for v in rows.values()],
        }
    )

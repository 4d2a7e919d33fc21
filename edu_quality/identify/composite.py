"""Low results within the group: the composite result and its rank among comparable schools.

:func:`composite_results` standardises each procedure's results across the schools of
the region and averages a school's z-scores weighted by participants;
:func:`low_within_groups` ranks the composites within each comparison group (the bottom
``low_share`` is low, the next schools up to ``near_share`` near the threshold) with the
group's thresholds (:func:`bottom_cut`); :func:`with_uncompared` adds the schools that
have results but no composite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._checks import check_option
from .._grouping import by_group, groups
from .summaries import session_columns

__all__ = ["bottom_cut", "composite_results", "low_within_groups", "with_uncompared"]


def composite_results(summary: pd.DataFrame, *, metric: str = "mean_score") -> pd.DataFrame:
    """Composite result of each school and year: participant-weighted mean of z-scores.

    Parameters
    ----------
    summary : DataFrame
        :func:`edu_quality.metrics.summarize` by school, assessment, subject,
        grade and year.
    metric : str
        ``mean_score`` (higher is better) or ``share_2`` (lower is better;
        used automatically for procedures without scores).

    Returns
    -------
    DataFrame
        ``school_id``, ``year``, ``composite`` (z units, higher = better),
        ``composite_se``, ``procedures``, ``participants``.

    Examples
    --------
    >>> s = pd.DataFrame({"school_id": ["a", "b", "c"], "assessment": "ВПР", "subject": "М",
    ...     "grade": 4, "year": 2021, "participants": 20, "mean_score": [10.0, 12.0, 14.0],
    ...     "score_sd": 3.0, "share_2": [0.3, 0.2, 0.1]})
    >>> composite_results(s)["composite"].round(3).tolist()
    [-1.0, 0.0, 1.0]
    """
    check_option("metric", metric, ("mean_score", "share_2"))
    cell = ["assessment", "subject", "grade", "year", *session_columns(summary)]
    unit = ["school_id", "year"]
    used = list(dict.fromkeys([*cell, *unit, "participants", "mean_score", "share_2", "score_sd"]))
    # rows of a cell with a missing key have no z-score (pandas drops such groups)
    rows = (summary["participants"] > 0) & summary[cell].notna().all(axis=1)
    rows = rows.to_numpy(dtype=bool, na_value=False)  # a missing count: not a row used
    summary = summary[used]  # the columns read, not copied: a missing one named as pandas names it
    # the keys of the rows used, and each number column as floats at those rows: a
    # country's summary has millions of rows, and no copy of them is made beside these
    keys = summary.loc[rows, list(dict.fromkeys([*cell, *unit]))]

    def column(name: str) -> np.ndarray:
        return summary[name].array[rows].to_numpy(dtype="float64", na_value=np.nan)

    n = column("participants")
    mean_score, p = column("mean_score"), column("share_2")
    ids, cells = groups(keys, cell)
    if metric == "mean_score":  # by score where every school of the cell has one
        no_score = np.bincount(ids, weights=np.isnan(mean_score), minlength=len(cells))
        score_cell = (no_score == 0)[ids]
    else:
        score_cell = np.zeros(len(keys), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(score_cell, mean_score, -p)
        se = np.where(score_cell, column("score_sd") / np.sqrt(n), np.sqrt(p * (1 - p) / n))
        del mean_score, p, score_cell
        g = by_group(v, ids, len(cells))
        sd = g.std().to_numpy()[ids]
        sd = np.where(sd > 0, sd, np.nan)
        z = (v - g.mean().to_numpy()[ids]) / sd
        sez = se / sd
        del v, se, sd, g, ids
    keep = ~np.isnan(z) & keys[unit].notna().all(axis=1).to_numpy()
    s = keys.loc[keep, unit]
    del keys
    z, sez, w = z[keep], sez[keep], n[keep]
    participants = summary["participants"].array[rows].to_numpy()[keep]
    ids, out = groups(s, unit)
    k = len(out)

    def total(values: np.ndarray) -> np.ndarray:
        return by_group(values, ids, k).sum().to_numpy()

    wz, sw, w2se2 = total(w * z), total(w), total((w * np.where(np.isnan(sez), 0.0, sez)) ** 2)
    out["composite"] = wz / sw
    out["composite_se"] = np.sqrt(w2se2) / sw
    out["procedures"] = np.bincount(ids, minlength=k).astype("int64")
    out["participants"] = by_group(participants, ids, k).sum().to_numpy()
    return out


def low_within_groups(
    comp: pd.DataFrame, schools: pd.DataFrame, low_share: float, near_share: float, min_group: int
) -> pd.DataFrame:
    """The composites ranked within the comparison groups of ``schools``.

    ``low``: among the bottom ``low_share`` of the group, rounded up to whole schools;
    ``near_low``: among the bottom ``near_share`` but not low; ``cut_low``, ``cut_near``:
    the group's thresholds (:func:`bottom_cut`). A school with no group is «обычная»; a
    group of fewer than ``min_group`` schools is compared with nobody (``compared_with``
    empty, never low).
    """
    c = comp.merge(schools[["school_id", "group"]], on="school_id", how="left")
    c["group"] = c["group"].fillna("обычная")
    grp = c.groupby(["year", "group"])["composite"]
    rank = grp.rank(method="max")
    size = grp.transform("size")
    judged = size >= min_group
    c["compared_with"] = np.where(judged, c["group"], "")
    # the bottom share of the group, at least one school of a group (rounded up)
    c["rank_pct"] = rank / size
    c["low"] = judged & (rank <= np.ceil(low_share * size))
    c["near_low"] = judged & (rank <= np.ceil(near_share * size)) & ~c["low"]
    c["cut_low"] = grp.transform(bottom_cut, low_share)
    c["cut_near"] = grp.transform(bottom_cut, near_share)
    return c


def bottom_cut(values: pd.Series, share: float) -> float:
    """The group's threshold of its bottom ``share``: midway between the last school in and the next."""
    v = np.sort(values.dropna().to_numpy())
    if not len(v):
        return np.nan
    k = int(np.ceil(share * len(v)))
    k = min(max(k, 1), len(v))
    return float(v[k - 1] if k == len(v) else (v[k - 1] + v[k]) / 2)


def with_uncompared(
    now: pd.DataFrame, summary: pd.DataFrame, schools: pd.DataFrame, year: int
) -> pd.DataFrame:
    """The composites of ``year``, plus a row for each school with participants but none.

    A school has no composite when no result of its procedures can be
    standardised (every school of the procedure has the same result): it is
    still listed, not compared (``compared_with`` empty, ``low`` False), so
    that Рособрнадзор's rule and the context still apply to it.
    """
    present = summary.loc[
        (summary["year"] == year) & (summary["participants"] > 0), ["school_id", "participants"]
    ]
    present = present.groupby("school_id", sort=True)["participants"].sum()
    present.index = present.index.astype("str")  # also when empty (ids are text)
    missing = present.index.difference(now["school_id"].astype("str"))
    if not len(missing) and len(now):
        return now.copy()
    extra = pd.DataFrame(
        {
            "school_id": missing,
            "year": year,
            "composite": np.nan,
            "composite_se": np.nan,
            "procedures": 0,
            "participants": present.loc[missing].to_numpy(),
        }
    )
    extra = extra.merge(schools[["school_id", "group"]], on="school_id", how="left")
    extra["group"] = extra["group"].fillna("обычная")
    extra["compared_with"] = ""
    extra["rank_pct"] = np.nan
    extra["low"] = False
    extra["near_low"] = False
    extra["cut_low"] = np.nan
    extra["cut_near"] = np.nan
    extra["school_id"] = extra["school_id"].astype("str")
    parts = [now.astype({"school_id": "str"}), extra] if len(now) else [extra]
    return pd.concat(parts, ignore_index=True)

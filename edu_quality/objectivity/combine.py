"""From the three sign tables to schools, works and the region: shared by both readings."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exam_years import AUTUMN
from .labels import MESSAGE_FLAGGED, SIGN_NAMES, work_label

__all__ = ["ObjectivityIndex", "combine", "sign_works"]

SIGNS = list(SIGN_NAMES)
WORK_COLUMNS = [
    "year",
    "school_id",
    "sign",
    "sign_name",
    "work",
    "assessment",
    "subject",
    "grade",
    "session",
    "judged",
    "flag",
    "detail",
]


@dataclass(frozen=True)
class ObjectivityIndex:
    """Result of :func:`~edu_quality.objectivity.objectivity_index` (either reading).

    Attributes
    ----------
    schools : DataFrame
        One row per school and campaign: ``year``, ``session`` (a campaign is
        the works of one year and session: the spring index of Y holds signs
        (a) and (b) of the spring works of Y and sign (c) of the pairs whose
        grade-5 work is of spring Y; the autumn works make their own
        campaign), ``school_id``; ``high_mean``,
        ``journal_mismatch``, ``cohort_change`` (nullable booleans: the sign
        is seen on at least one work of the school that year; ``<NA>`` when it
        could not be judged on any); ``n_signs`` (0–3); ``evaluated`` (at
        least one sign judged: the school is in the denominator of the
        index); ``flagged`` (marked); ``message`` («признаки
        необъективности: требуется проверка — …» with the signs and works,
        «признаков необъективности не выявлено», or «недостаточно данных: ни
        один признак не оценён»); ``source`` (the method).
    region : DataFrame
        One row per campaign: ``year``, ``session``, ``n_schools`` (evaluated schools),
        ``n_flagged``, ``n_high_mean``, ``n_journal_mismatch``,
        ``n_cohort_change`` (schools on which each sign is seen),
        ``share_flagged`` (per cent), ``index`` (100 − ``share_flagged``),
        ``method`` and ``source``; the triage adds ``n_one_sign``.
    signs : dict of str to DataFrame
        The three sign tables (``high_mean``, ``journal_mismatch``,
        ``cohort_change``), the numbers behind every mark.
    works : DataFrame
        The per-work table regions receive, long: one row per school, year,
        sign and work (``work`` as «4 РУ», «5 МА», «ОГЭ РУ», «4→5 РУ»; an
        autumn work with « (осень)»), with ``judged``, ``flag`` and ``detail``
        (ρ, K and direction, or the school's and region's bounds). Pivot it
        with :func:`~edu_quality.objectivity.works_table`.
    method : str
        «Федеральная методика ФИОКО» or «правило edu_quality (строже
        федеральной методики)».
    """

    schools: pd.DataFrame
    region: pd.DataFrame
    signs: dict[str, pd.DataFrame] = field(default_factory=dict)
    works: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=WORK_COLUMNS))
    method: str = ""


def fmt(x: float, digits: int = 2) -> str:
    """A number with a decimal comma and a proper minus sign."""
    return f"{x:.{digits}f}".replace(".", ",").replace("-", "−")


def details(sign: str, table: pd.DataFrame) -> pd.Series:
    """The numbers behind each row of a sign table, in words."""
    if table.empty:
        return pd.Series([], dtype="str")
    if sign == "high_mean":
        parts = [
            f"нижняя граница по ОО {fmt(lo)} > верхней границы по региону {fmt(hi)}" if flag else ""
            for lo, hi, flag in zip(
                table["school_low"], table["region_high"], table["flag"], strict=True
            )
        ]
    elif sign == "journal_mismatch":
        parts = [
            f"ρ = {fmt(r)}" if flag else ""
            for r, flag in zip(table["rho"], table["flag"], strict=True)
        ]
    else:
        parts = [
            f"{d}: K = {fmt(k)}" if flag else ""
            for d, k, flag in zip(table["direction"], table["k"], table["flag"], strict=True)
        ]
    return pd.Series(parts, index=table.index, dtype="str")


def sign_works(signs: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The long per-work table: school × year × sign × work."""
    parts = []
    for sign, table in signs.items():
        if table.empty:
            continue
        cohort = sign == "cohort_change"
        grade = pd.Series(4, index=table.index) if cohort else table["grade"]
        written = table["session_grade4"] if cohort else table["session"]
        labels = [
            work_label(a, s, int(g), cohort=cohort) + (f" ({AUTUMN})" if ses == AUTUMN else "")
            for a, s, g, ses in zip(
                table["assessment"], table["subject"], grade, written, strict=True
            )
        ]
        judged = table["note"] == ""
        parts.append(
            pd.DataFrame(
                {
                    "year": table["year"].astype("int64"),
                    "school_id": table["school_id"].astype("str"),
                    "sign": sign,
                    "sign_name": SIGN_NAMES[sign],
                    "work": labels,
                    "assessment": table["assessment"].astype("str"),
                    "subject": table["subject"].astype("str"),
                    "grade": grade.astype("int64"),
                    "session": table["session"].astype("str"),
                    "judged": judged,
                    "flag": table["flag"] & judged,
                    "detail": details(sign, table),
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=WORK_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    order = {s: i for i, s in enumerate(SIGNS)}
    out = out.assign(_o=out["sign"].map(order))
    out = out.sort_values(["year", "session", "school_id", "_o", "work"], ignore_index=True)
    return out.drop(columns="_o")[WORK_COLUMNS]


def school_message(found: list[str], flagged: bool, evaluated: bool, single: str) -> str:
    """``message`` of one school and year."""
    if flagged:
        return f"{MESSAGE_FLAGGED} — " + "; ".join(found)
    if found:
        return single + ": " + "; ".join(found)
    if evaluated:
        return "признаков необъективности не выявлено"
    return "недостаточно данных: ни один признак не оценён"


def per_school(works: pd.DataFrame, min_signs: int, single: str, source: str) -> pd.DataFrame:
    """One row per school and year from the long per-work table."""
    keys = ["year", "session", "school_id"]
    columns = [*keys, *SIGNS, "n_signs", "evaluated", "flagged", "message", "source"]
    if works.empty:
        return pd.DataFrame(columns=columns)
    schools = works[keys].drop_duplicates().sort_values(keys, ignore_index=True)
    index = pd.MultiIndex.from_frame(schools)
    grouped = works.groupby([*keys, "sign"], sort=True)
    per = grouped.agg(judged=("judged", "any"), flag=("flag", "any"))
    where = works[works["flag"]].groupby([*keys, "sign"])["work"].agg(", ".join)
    found = [[] for _ in range(len(schools))]
    for sign in SIGNS:
        judged = np.zeros(len(schools), dtype=bool)
        flag = np.zeros(len(schools), dtype=bool)
        if sign in per.index.get_level_values("sign"):
            part = per.xs(sign, level="sign")
            judged = part["judged"].reindex(index, fill_value=False).to_numpy(dtype=bool)
            flag = part["flag"].reindex(index, fill_value=False).to_numpy(dtype=bool)
        column = pd.array(flag, dtype="boolean")
        column[~judged] = pd.NA
        schools[sign] = column
        for i in np.flatnonzero(flag):
            key = (*schools.loc[i, keys], sign)
            found[i].append(f"признак «{SIGN_NAMES[sign]}»: {where.get(key, '')}")
    schools["n_signs"] = schools[SIGNS].fillna(False).astype("int64").sum(axis=1)
    schools["evaluated"] = schools[SIGNS].notna().any(axis=1)
    schools["flagged"] = schools["n_signs"] >= min_signs
    schools["message"] = pd.Series(
        [
            school_message(f, fl, ev, single)
            for f, fl, ev in zip(found, schools["flagged"], schools["evaluated"], strict=True)
        ],
        index=schools.index,
        dtype="str",
    )
    schools["source"] = source
    return schools[columns]


def per_region(schools: pd.DataFrame, method: str, source: str) -> pd.DataFrame:
    """One row per year: the index over the evaluated schools."""
    keys = ["year", "session"]
    if schools.empty:
        names = ["n_schools", "n_flagged", "n_one_sign", *(f"n_{s}" for s in SIGNS)]
        return pd.DataFrame(columns=[*keys, *names, "share_flagged", "index", "method", "source"])
    counted = schools[schools["evaluated"]]
    groups = [counted[k] for k in keys]
    region = pd.DataFrame(
        {
            "n_schools": counted.groupby(keys).size(),
            "n_flagged": counted.groupby(keys)["flagged"].sum(),
            "n_one_sign": (counted["n_signs"] > 0).groupby(groups).sum(),
            **{
                f"n_{s}": counted[s].fillna(False).astype("int64").groupby(groups).sum()
                for s in SIGNS
            },
        }
    )
    campaigns = pd.MultiIndex.from_frame(schools[keys].drop_duplicates().sort_values(keys))
    region = region.reindex(campaigns, fill_value=0).astype("int64").reset_index()
    n = region["n_schools"].astype("float64")
    region["share_flagged"] = 100 * region["n_flagged"] / n.where(n > 0)
    region["index"] = 100 - region["share_flagged"]
    region["method"] = method
    region["source"] = source
    return region


def combine(
    signs: dict[str, pd.DataFrame], *, min_signs: int, single: str, method: str, source: str
) -> ObjectivityIndex:
    """Schools, region and per-work tables from the three sign tables."""
    works = sign_works(signs)
    schools = per_school(works, min_signs, single, source)
    region = per_region(schools, method, source)
    return ObjectivityIndex(schools=schools, region=region, signs=signs, works=works, method=method)

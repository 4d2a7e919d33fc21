"""Compare a computed index with an official list of marked schools a region received."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..errors import DataError, Problem
from .combine import ObjectivityIndex
from .labels import SIGN_NAMES, work_label

__all__ = ["ListComparison", "compare_with_list"]

#: Names under which a school id may come in an official list.
ID_COLUMNS = ("school_id", "логин", "логин школы", "login", "код ОО", "ОО")
CAVEAT = (
    "Сравнение показывает, какие признаки срабатывают по имеющимся данным; официальный "
    "список мог строиться по другим данным (другие работы, ОГЭ, другие годы), поэтому "
    "расхождение не означает ошибки ни в списке, ни в расчёте."
)


@dataclass(frozen=True)
class ListComparison:
    """Result of :func:`compare_with_list`.

    Attributes
    ----------
    summary : DataFrame
        One row per level («ОО»; «ОО × работа» when the list names works):
        ``level``, ``n_official`` (entries of the list), ``n_judged`` (of
        them, judged here), ``n_ours`` (marked here), ``n_both``,
        ``precision`` = n_both / n_ours, ``recall`` = n_both / n_judged.
    schools : DataFrame
        One row per school in the list or marked here: ``school_id``,
        ``in_official``, ``official_works``, ``judged``, ``flagged``,
        ``signs`` (which signs fire, on which works), ``status``.
    note : str
        What the comparison can and cannot say.
    """

    summary: pd.DataFrame
    schools: pd.DataFrame
    note: str


def official_table(official: pd.DataFrame) -> pd.DataFrame:
    """``school_id`` and optional ``work`` of an official list, normalised."""
    if not isinstance(official, pd.DataFrame):
        raise ValueError(
            "Параметр `official` должен быть таблицей (DataFrame) со столбцом school_id, "
            f"передано {type(official).__name__}"
        )
    names = {str(c).strip().lower(): c for c in official.columns}
    id_col = next((names[c.lower()] for c in ID_COLUMNS if c.lower() in names), None)
    if id_col is None:
        raise DataError(
            "official",
            [Problem(None, "school_id", "нет столбца с кодом ОО (school_id, «логин», «код ОО»)")],
        )
    out = pd.DataFrame({"school_id": official[id_col].astype("str").str.strip()})
    if "work" in official.columns or "работа" in names:
        col = "work" if "work" in official.columns else names["работа"]
        out["work"] = official[col].astype("string").str.strip()
    elif {"subject", "grade"} <= set(official.columns):
        assessment = official.get("assessment", pd.Series("ВПР", index=official.index))
        out["work"] = [
            work_label(str(a), str(s), int(g)) if pd.notna(g) else pd.NA
            for a, s, g in zip(assessment, official["subject"], official["grade"], strict=True)
        ]
    out = out[out["school_id"].ne("") & out["school_id"].ne("nan")]
    return out.drop_duplicates(ignore_index=True)


def compare_with_list(
    result: ObjectivityIndex, official: pd.DataFrame, *, year: int | None = None
) -> ListComparison:
    """Precision and recall of our marks against an official list, school by school.

    Parameters
    ----------
    result : ObjectivityIndex
        From :func:`~edu_quality.objectivity.objectivity_index`.
    official : DataFrame
        The list a region received: a school id (``school_id``, «логин»,
        «код ОО»), and optionally the work (``work`` / «работа», e.g. «4 РУ»,
        or ``subject`` and ``grade``).
    year : int, optional, keyword-only
        The year compared; the latest year of ``result`` by default.

    Returns
    -------
    ListComparison
        ``summary`` (precision, recall), ``schools`` (per school: which signs
        fire, or that none does), ``note``. A school of the list that could
        not be judged here (not in the data) is reported as such and is left
        out of the recall: the comparison never claims to reproduce a list
        from inputs it was not given.

    Raises
    ------
    DataError
        The list has no school id column.

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "year": 2023, "assessment": "ВПР", "subject": "Русский язык", "grade": 4,
    ...     "school_id": ["1"] * 3 + ["2"] * 3, "score": [35, 36, 37, 10, 12, 14.0],
    ...     "journal_mark": pd.array([4, 5, 5, 3, 3, 4], dtype="Int64")})
    >>> from edu_quality.objectivity import objectivity_index
    >>> cmp = compare_with_list(objectivity_index(results),
    ...                         pd.DataFrame({"school_id": ["1", "9"]}))
    >>> row = cmp.summary.to_dict("records")[0]
    >>> [row[c] for c in ("n_official", "n_judged", "n_ours", "n_both", "precision", "recall")]
    [2, 1, 1, 1, 1.0, 1.0]
    >>> cmp.schools.set_index("school_id")["status"].to_dict()["9"]
    'в официальном списке; нет в данных — не оценивалась'
    """
    off = official_table(official)
    schools = result.schools
    if year is None:
        year = int(schools["year"].max()) if len(schools) else None
    mine = schools[schools["year"] == year]
    works = result.works[(result.works["year"] == year) & result.works["flag"]]
    works = works.assign(work=works["work"].str.replace(" (осень)", "", regex=False))
    judged = set(mine.loc[mine["evaluated"], "school_id"])
    ours = set(mine.loc[mine["flagged"], "school_id"])
    listed = set(off["school_id"])
    rows = [summary_row("ОО", listed, listed & judged, ours)]
    if "work" in off.columns:
        o = off.dropna(subset=["work"])
        pairs = set(zip(o["school_id"], o["work"], strict=True))
        our_pairs = set(zip(works["school_id"], works["work"], strict=True))
        rows.append(
            summary_row("ОО × работа", pairs, {p for p in pairs if p[0] in judged}, our_pairs)
        )
    summary = pd.DataFrame(rows)
    counts = ["n_official", "n_judged", "n_ours", "n_both"]
    summary[counts] = summary[counts].astype("int64")
    fired = (
        works.groupby("school_id").apply(
            lambda w: "; ".join(
                f"«{SIGN_NAMES[s]}»: " + ", ".join(g["work"])
                for s, g in w.groupby("sign", sort=False)
            ),
            include_groups=False,
        )
        if len(works)
        else pd.Series(dtype="str")
    )
    official_works = (
        off.dropna(subset=["work"]).groupby("school_id")["work"].agg(", ".join)
        if "work" in off.columns
        else pd.Series(dtype="str")
    )
    ids = sorted(listed | ours)
    table = pd.DataFrame({"school_id": ids})
    table["in_official"] = table["school_id"].isin(listed)
    table["official_works"] = table["school_id"].map(official_works).astype("object").fillna("")
    table["judged"] = table["school_id"].isin(judged)
    table["flagged"] = table["school_id"].isin(ours)
    table["signs"] = table["school_id"].map(fired).astype("object").fillna("")
    table["status"] = [status(r) for r in table.itertuples(index=False)]
    return ListComparison(summary=summary, schools=table, note=CAVEAT)


def summary_row(level: str, listed: set, listed_judged: set, ours: set) -> dict:
    """Counts, precision and recall of one level."""
    both = listed_judged & ours
    return {
        "level": level,
        "n_official": len(listed),
        "n_judged": len(listed_judged),
        "n_ours": len(ours),
        "n_both": len(both),
        "precision": len(both) / len(ours) if ours else float("nan"),
        "recall": len(both) / len(listed_judged) if listed_judged else float("nan"),
    }


def status(row) -> str:
    """One school's line of the comparison."""
    if row.in_official and not row.judged:
        return "в официальном списке; нет в данных — не оценивалась"
    if row.in_official and row.flagged:
        return "в официальном списке; признаки срабатывают"
    if row.in_official:
        return "в официальном списке; ни один признак не срабатывает по этим данным"
    return "не в официальном списке; признаки срабатывают"

"""Disclosure control: small groups hidden so that no total gives them back.

A group of fewer than ``min_n`` pupils is hidden (*primary suppression*). That is not
enough where a total is shown beside its parts: a municipality's count of «2» minus
the counts of its shown schools is the hidden school's count. So every relation
*total = sum of parts* — a municipality and its schools, the region and its
municipalities, for one procedure and year — must hold either no hidden cell or at
least two (*complementary suppression*, the rule of statistical offices: Hundepool
et al., «Statistical Disclosure Control», Wiley 2012, ch. 4; Росстат keeps the same
rule for its tables). Where a relation holds exactly one hidden cell, the shown part
with the fewest participants is hidden too — or the total, when no part or a single
part is left shown: beside a single school the municipality's value is little more than
that school's own, and hiding the total keeps the school's result in its own report.
This repeats until every relation is safe, since hiding a cell can make another
relation unsafe.

The participants (N) of every row stay shown: what is hidden are the counts of
marks, the shares and the means derived from them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["DISCLOSED_KEYS", "complementary_suppression", "hide", "unsafe_relations"]

#: Columns a hidden row keeps: its keys and its number of participants.
DISCLOSED_KEYS = frozenset(
    {
        "participants",
        "small",
        "exam_not_held",
        "school_id",
        "municipality",
        "assessment",
        "subject",
        "grade",
        "year",
        "name",
    }
)

_CELL = ("assessment", "subject", "grade", "year", "session")


def hide(table: pd.DataFrame, hidden: Sequence[bool] | np.ndarray | pd.Series) -> pd.DataFrame:
    """Blank every count and metric of the hidden rows (their keys and N stay).

    Parameters
    ----------
    table : DataFrame
        A summary (:func:`edu_quality.summarize`) of schools, municipalities or the region.
    hidden : array of bool
        Which rows to hide, aligned with ``table``'s rows.

    Returns
    -------
    DataFrame
        A copy with the numeric columns other than :data:`DISCLOSED_KEYS` set to NaN
        in the hidden rows; ``small`` is True there.

    Examples
    --------
    >>> s = pd.DataFrame({"participants": [3, 20], "n2": [1, 5], "share_2": [1 / 3, 0.25]})
    >>> hide(s, [True, False])["n2"].tolist()
    [nan, 5.0]
    """
    out = table.copy()
    mask = np.asarray(hidden, dtype=bool)
    for col in out.columns:
        if col not in DISCLOSED_KEYS and pd.api.types.is_numeric_dtype(out[col].dtype):
            out[col] = out[col].astype("float64").where(~mask, np.nan)
    if "small" in out.columns or mask.any():
        out["small"] = mask
    return out


def _primary(table: pd.DataFrame, min_n: int) -> np.ndarray:
    n = pd.to_numeric(table["participants"], errors="coerce").fillna(0).to_numpy()
    small = n < min_n
    if "small" in table.columns:
        small |= table["small"].fillna(False).astype(bool).to_numpy()
    return small


def _relations(parts: pd.DataFrame, totals: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of ``parts`` with the position of their total in ``totals`` (−1: none shown)."""
    pos = pd.DataFrame({"_total": np.arange(len(totals))}, index=totals.index)
    pos = pd.concat([totals[keys].reset_index(drop=True), pos.reset_index(drop=True)], axis=1)
    left = parts[keys].reset_index(drop=True)
    merged = left.merge(pos, on=keys, how="left")
    return merged["_total"].fillna(-1).astype("int64").to_numpy()


def _members(total_of: np.ndarray, n_totals: int) -> list[np.ndarray]:
    """The parts of each total: positions in the parts' table, one array per total."""
    valid = np.flatnonzero(total_of >= 0)
    order = valid[np.argsort(total_of[valid], kind="stable")]
    bounds = np.searchsorted(total_of[order], np.arange(n_totals + 1))
    return [order[bounds[t] : bounds[t + 1]] for t in range(n_totals)]


def _settle(
    part_hidden: np.ndarray,
    total_hidden: np.ndarray,
    members: list[np.ndarray],
    size: np.ndarray,
) -> bool:
    """Make every relation of one level hold 0 or ≥ 2 hidden cells; True if anything changed."""
    changed = False
    for t, parts in enumerate(members):
        if not len(parts) or int(part_hidden[parts].sum()) + int(total_hidden[t]) != 1:
            continue
        shown = parts[~part_hidden[parts]]
        if len(shown) > 1 or (len(shown) == 1 and total_hidden[t]):
            # the shown part with the fewest participants (then the first)
            part_hidden[shown[np.lexsort((shown, size[shown]))[0]]] = True
        else:  # no part left, or one: the total is little more than that part
            total_hidden[t] = True
        changed = True
    return changed


def complementary_suppression(
    schools: pd.DataFrame,
    municipalities: pd.DataFrame,
    region: pd.DataFrame,
    *,
    municipality_of: dict[str, str] | pd.Series,
    min_n: int = 5,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which rows of three nested summaries to hide so that no small group can be derived.

    Parameters
    ----------
    schools, municipalities, region : DataFrame
        Summaries (:func:`edu_quality.summarize`) by ``school_id``, by ``municipality``
        and of the whole region, each by procedure and year (``assessment``, ``subject``,
        ``grade``, ``year``, whichever they have) with ``participants``.
    municipality_of : mapping
        School id → its municipality.
    min_n : int
        Groups of fewer participants are hidden (and so is a row flagged ``small``).

    Returns
    -------
    tuple of three arrays of bool
        The rows to hide in ``schools``, ``municipalities`` and ``region``: the small
        groups and the complementary cells (see the module's notes).

    Examples
    --------
    >>> sch = pd.DataFrame({"school_id": ["a", "b", "c"], "year": 2024,
    ...                     "participants": [3, 40, 25]})
    >>> mun = pd.DataFrame({"municipality": ["M"], "year": 2024, "participants": [68]})
    >>> reg = pd.DataFrame({"year": [2024], "participants": [68]})
    >>> s, m, r = complementary_suppression(sch, mun, reg, municipality_of={"a": "M", "b": "M",
    ...                                     "c": "M"})
    >>> s.tolist(), m.tolist(), r.tolist()
    ([True, False, True], [False], [False])
    """
    cell = [c for c in _CELL if c in schools and c in municipalities and c in region]
    sch = schools.assign(municipality=schools["school_id"].map(dict(municipality_of)))
    s_hidden = _primary(schools, min_n)
    m_hidden = _primary(municipalities, min_n)
    r_hidden = _primary(region, min_n)
    s_total = _relations(sch, municipalities, ["municipality", *cell])
    if cell:
        m_total = _relations(municipalities, region, cell)
    else:  # one region row for every municipality
        m_total = np.full(len(municipalities), 0 if len(region) else -1, dtype="int64")
    s_size = pd.to_numeric(schools["participants"], errors="coerce").fillna(0).to_numpy()
    m_size = pd.to_numeric(municipalities["participants"], errors="coerce").fillna(0).to_numpy()
    s_members = _members(s_total, len(municipalities))
    m_members = _members(m_total, len(region))
    while _settle(s_hidden, m_hidden, s_members, s_size) | _settle(
        m_hidden, r_hidden, m_members, m_size
    ):
        pass
    return s_hidden, m_hidden, r_hidden


def unsafe_relations(
    schools: pd.DataFrame,
    municipalities: pd.DataFrame,
    region: pd.DataFrame,
    *,
    municipality_of: dict[str, str] | pd.Series,
    column: str = "n2",
) -> pd.DataFrame:
    """Hidden cells of ``column`` that the shown cells give back, by subtraction, repeatedly.

    An independent check of what a reader of the three tables can derive: in every
    relation *total = sum of parts* with exactly one unknown cell, the unknown is
    computed from the others and becomes known, until nothing more is derived.

    Returns
    -------
    DataFrame
        One row per derived cell: ``level`` («школа», «муниципалитет», «регион»),
        ``row`` (position in its table) and ``value``. Empty when nothing is derivable.

    Examples
    --------
    >>> sch = pd.DataFrame({"school_id": ["a", "b"], "year": 2024, "n2": [np.nan, 4.0]})
    >>> mun = pd.DataFrame({"municipality": ["M"], "year": 2024, "n2": [5.0]})
    >>> reg = pd.DataFrame({"year": [2024], "n2": [5.0]})
    >>> unsafe_relations(sch, mun, reg, municipality_of={"a": "M", "b": "M"}).to_dict("records")
    [{'level': 'школа', 'row': 0, 'value': 1.0}]
    """
    cell = [c for c in _CELL if c in schools and c in municipalities and c in region]
    sch = schools.assign(municipality=schools["school_id"].map(dict(municipality_of)))
    values = [
        pd.to_numeric(t[column], errors="coerce").to_numpy(dtype="float64").copy()
        for t in (schools, municipalities, region)
    ]
    known = [~np.isnan(v) for v in values]
    hidden_at_start = [~k for k in known]
    m_total = (
        _relations(municipalities, region, cell)
        if cell
        else np.zeros(len(municipalities), dtype="int64")
    )
    links = [
        (0, 1, _members(_relations(sch, municipalities, ["municipality", *cell]), len(values[1]))),
        (1, 2, _members(m_total, len(values[2]))),
    ]
    changed = True
    while changed:
        changed = False
        for lo, hi, groups in links:
            for t, members in enumerate(groups):
                if not len(members):
                    continue
                unknown = members[~known[lo][members]]
                if known[hi][t] and len(unknown) == 1:
                    i = unknown[0]
                    rest = np.delete(members, np.flatnonzero(members == i))
                    values[lo][i] = values[hi][t] - values[lo][rest].sum()
                    known[lo][i] = changed = True
                elif not known[hi][t] and len(unknown) == 0:
                    values[hi][t] = values[lo][members].sum()
                    known[hi][t] = changed = True
    levels = ("школа", "муниципалитет", "регион")
    rows = [
        {"level": levels[k], "row": int(i), "value": float(values[k][i])}
        for k in range(3)
        for i in np.flatnonzero(hidden_at_start[k] & known[k])
    ]
    return pd.DataFrame(rows, columns=["level", "row", "value"])

"""Рособрнадзор's rule of low results, its reasons, and its chance rate under the null.

The rule (Рособрнадзор, the criteria of schools with low results): at least
30 % of participants with «2»

* in two procedures of one year — two works *of one session*: the ВПР moved to
  autumn 2020 (results of 2021, session «осень», :mod:`edu_quality.exam_years`)
  are the 2020 campaign, the spring works of 2021 its own campaign, and the two
  are never counted together;
* or in the same procedure two years running (the same work in the same session).

Groups under ``min_n`` pupils are not judged; the works of an ОВЗ school (group
«ОВЗ») with fewer than ``min_n_ovz`` pupils neither, unless asked. A work of
fewer than :data:`FEW` pupils quoted in a reason is marked «мало участников»,
and a cell that the reports hide for disclosure control is counted but never
quoted («значение скрыто»).

:func:`rule_chance` simulates the rule under the null of one share of «2» for
every school: each school × work is a binomial draw with the school's
participants and the region's share of «2» of that work.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pandas as pd

from ._binomial import BinomialAtLeast
from ._grouping import groups
from ._russian import percent as share_text
from .exam_years import AUTUMN, session_of
from .metrics import summarize

__all__ = [
    "FEW",
    "WORK",
    "listing",
    "mark_hidden",
    "meeting_rule",
    "percent",
    "per_school",
    "rule_chance",
    "rule_rows",
]

#: The columns naming one procedure (a work of one grade).
WORK = ["assessment", "subject", "grade"]
#: A quoted work of fewer pupils is marked «мало участников».
FEW = 10


def percent(v: float) -> str:
    """A rule's threshold as whole percent with a no-break space: ``0.3`` → «30 %».

    A school's share is quoted with one decimal (:func:`edu_quality._russian.percent`).
    """
    return f"{v * 100:.0f}\u00a0%"


def listing(items: list[str], most: int = 4) -> str:
    """The first ``most`` items, then «и ещё N»."""
    more = f" и ещё {len(items) - most}" if len(items) > most else ""
    return ", ".join(items[:most]) + more


def per_school(table: pd.DataFrame, items: list[str]) -> dict[str, list[str]]:
    """Items of the rows by school: schools in order of appearance, items in row order."""
    out: dict[str, list[str]] = {}
    for sid, item in zip(table["school_id"].tolist(), items, strict=True):
        out.setdefault(sid, []).append(item)
    return out


def _key(table: pd.DataFrame, cols: list[str]) -> pd.Series:
    """The cells of ``cols`` of each row as text, joined by U+001F (a column at a time).

    A missing cell is U+0000: it matches a missing cell of the same column only.
    """
    if not len(table):
        return pd.Series([], dtype="str")
    text = table[cols].astype("str").fillna("\x00")
    key = text[cols[0]]
    for c in cols[1:]:
        key = key + "\x1f" + text[c]
    return key


def mark_hidden(rows: pd.DataFrame, hidden: pd.DataFrame | None) -> pd.Series:
    """Whether each row of ``rows`` is one of the cells ``hidden`` names.

    Matched on ``school_id``, assessment, subject, grade, year and — when
    ``hidden`` has it — session (a missing session is «весна»).

    Examples
    --------
    >>> rows = pd.DataFrame({"school_id": ["a", "b"], "assessment": "ВПР", "subject": "М",
    ...                      "grade": 5, "year": 2021})
    >>> mark_hidden(rows, rows.iloc[[1]]).tolist()
    [False, True]
    """
    if hidden is None or hidden.empty or rows.empty:
        return pd.Series(False, index=rows.index)
    h = hidden.copy()
    cols = ["school_id", *WORK, "year"]
    if "session" in h.columns:
        h["session"] = session_of(h)
        rows = rows.assign(session=session_of(rows))
        cols.append("session")
    return _key(rows, cols).isin(set(_key(h, cols)))


def rule_rows(
    summary: pd.DataFrame,
    *,
    assessments: Sequence[str],
    by: Sequence[str] = WORK,
    min_n: int = 5,
    ovz_schools: Sequence[str] = (),
    min_n_ovz: int = 10,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The school × work rows the rule judges, and the ОВЗ rows it leaves out.

    Returns ``(rows, left_out)``: ``school_id``, :data:`WORK`, ``session``
    (always; «весна» where the summary has none), ``year``, ``participants``,
    ``n2``, ``share_2`` and ``region_share`` (the region's share of «2» of the
    work, year and session, over every school — the null of :func:`rule_chance`).
    """
    judged = summary["assessment"].isin(assessments)
    if list(by) != WORK:  # a coarser procedure: pool the counts first
        s = summarize(summary.loc[judged], ["school_id", *by, "year"])
        s["grade"] = "все"
        s = s.loc[s["share_2"].notna() & (s["participants"] > 0)]
    else:  # the rows and columns read below, in one copy of a part of the summary
        used = ["school_id", *WORK, "year", "session", "participants", "n2", "share_2"]
        judged &= summary["share_2"].notna() & (summary["participants"] > 0)
        s = summary.loc[judged, [c for c in used if c in summary.columns]]
    s["session"] = session_of(s)  # a copy of its own: its columns are set in place
    cell = [*WORK, "year", "session"]
    # the work's cells numbered at once (as groupby(cell, dropna=False) numbers them),
    # not by pandas' passes over each key of millions of rows
    tot = s.groupby(groups(s, cell)[0])[["n2", "participants"]].transform("sum")
    s["region_share"] = tot["n2"] / tot["participants"]
    del tot
    s = s[["school_id", *cell, "participants", "n2", "share_2", "region_share"]]  # not copied
    enough = s["participants"] >= min_n
    ovz = s["school_id"].isin(set(ovz_schools)) & (s["participants"] < min_n_ovz)
    return s.loc[enough & ~ovz].reset_index(drop=True), s.loc[enough & ovz].reset_index(drop=True)


class _Structure:
    """Index arrays of the rule: (school, session) groups of the year, pairs of two years."""

    def __init__(self, rows: pd.DataFrame, year: int):
        school = rows["school_id"]
        if isinstance(school.dtype, pd.CategoricalDtype):  # by its codes: no text per row
            sid, first = pd.factorize(school.cat.codes.to_numpy())  # a missing id: one school
        else:  # in order of first appearance, a missing id one school
            sid, first = pd.factorize(school.astype("str"), use_na_sentinel=False)
        #: how many schools are judged (a missing id counts as one, as a text would)
        self.n_schools = len(first)
        this = (rows["year"] == year).to_numpy()
        # the sessions by their codes (a missing one −1): no Python string per row
        session = pd.factorize(rows["session"].array)[0]
        ses = session[this]
        in_group = ses >= 0  # a missing session: in no group, as meeting_rule's groupby leaves it
        self.this = np.flatnonzero(this)[in_group]
        width = int(session.max(initial=0)) + 1  # one number per (school, session)
        self.session_group, uniq = pd.factorize(sid[this][in_group] * width + ses[in_group])
        self.group_school = uniq // width
        self.n_groups = len(uniq)
        r = rows[["school_id", *WORK]].reset_index(drop=True)
        r = r.assign(_session=session, _i=np.arange(len(rows)), _s=sid)
        on = ["school_id", *WORK, "_session"]  # a missing session meets a missing one, as NaN
        pairs = r.loc[this, [*on, "_i", "_s"]].merge(
            r.loc[(rows["year"] == year - 1).to_numpy(), [*on, "_i"]], on=on, suffixes=("", "_prev")
        )
        self.pair_school = pairs["_s"].to_numpy()
        #: the rows the rule reads (sorted); the arrays below are places among them
        read = np.zeros(len(rows), dtype=bool)  # np.union1d, without sorting a million rows
        read[self.this] = True
        read[pairs["_i"].to_numpy()] = True
        read[pairs["_i_prev"].to_numpy()] = True
        self.rows = np.flatnonzero(read)
        place = np.cumsum(read) - 1  # a read row's place among self.rows
        self.this = place[self.this]
        self.pair_now = place[pairs["_i"].to_numpy()]
        self.pair_prev = place[pairs["_i_prev"].to_numpy()]

    def meets(self, hit: np.ndarray) -> np.ndarray:
        """Schools meeting the rule for the hits (share ≥ the rule's) of :attr:`rows`.

        Only the hits are counted, instead of weighting every row.
        """
        per_group = np.bincount(self.session_group[hit[self.this]], minlength=self.n_groups)
        out = np.zeros(self.n_schools, dtype=bool)
        out[self.group_school[per_group >= 2]] = True  # two works of one session this year
        out[self.pair_school[hit[self.pair_now] & hit[self.pair_prev]]] = True  # two years
        return out


def _items(table: pd.DataFrame, values: list[str], notes: list[str], autumn: bool) -> list[str]:
    """«ВПР Математика 5 кл. — value» for each row of ``table``, then its note.

    ``autumn``: « (осень)» after the grade of an autumn work. Column by column, not
    row by row: a country's schools have tens of thousands of such works.
    """
    columns = [table[c].tolist() for c in (*WORK, "session")]
    return [
        f"{a} {s} {g} кл.{' (осень)' if autumn and q == AUTUMN else ''} — {v}{note}"
        for a, s, g, q, v, note in zip(*columns, values, notes, strict=True)
    ]


def _shares(column: pd.Series) -> list[str]:
    """The shares of ``column`` as quoted (:func:`~edu_quality._russian.percent`), each once."""
    values = column.tolist()
    text = {v: share_text(v) for v in set(values)}
    return [text[v] for v in values]


def _few(*ns: int) -> str:
    if min(ns) >= FEW:
        return ""
    return f" (мало участников: {' и '.join(str(int(n)) for n in ns)})"


def meeting_rule(
    rows: pd.DataFrame,
    year: int,
    *,
    share: float,
    hidden: pd.DataFrame | None = None,
    sessions: bool = True,
) -> pd.DataFrame:
    """The schools meeting the rule in ``year`` with the reason, from :func:`rule_rows`.

    ``hidden`` (keys ``school_id``, assessment, subject, grade, year[, session])
    names cells that are counted but whose share is not quoted. ``sessions``
    False when the data have spring works only (the reason does not name one).
    """
    secret = mark_hidden(rows, hidden).to_numpy()
    at = (rows["share_2"] >= share).to_numpy(dtype=bool, na_value=False)  # a missing share: no
    high = rows.loc[at].assign(secret=secret[at])
    this = high.loc[high["year"] == year]
    prev = high.loc[high["year"] == year - 1]
    both = this.merge(
        prev[["school_id", *WORK, "session", "share_2", "participants", "secret"]],
        on=["school_id", *WORK, "session"],
        suffixes=("", "_prev"),
    )
    out: dict[str, list[str]] = {}
    groups: dict[tuple, list[str]] = {}  # (school, session) in order of first row, as groupby
    works = this.groupby(["school_id", "session"], observed=True, sort=False)["year"]
    this = this.loc[works.transform("size").to_numpy() >= 2]  # the texts of these only
    hidden_now = this["secret"].tolist()
    values = [
        "значение скрыто" if h else v
        for h, v in zip(hidden_now, _shares(this["share_2"]), strict=True)
    ]
    items = _items(this, values, [_few(n) for n in this["participants"].tolist()], autumn=False)
    for sid, ses, item in zip(
        this["school_id"].tolist(), this["session"].tolist(), items, strict=True
    ):
        if pd.isna(sid) or pd.isna(ses):  # groupby leaves such rows out
            continue
        groups.setdefault((sid, ses), []).append(item)
    for (sid, ses), items in groups.items():
        if len(items) < 2:
            continue
        where = f"{year} года" + (f", сессия «{ses}»" if sessions else "")
        out.setdefault(str(sid), []).append(
            f"доля «2» не ниже {percent(share)} в {len(items)} процедурах {where} ("
            + listing(items)
            + ")"
        )
    secret = (both["secret"] | both["secret_prev"]).tolist()
    pairs = zip(secret, _shares(both["share_2_prev"]), _shares(both["share_2"]), strict=True)
    values = ["значение скрыто" if h else f"{a} и {b}" for h, a, b in pairs]
    counts = zip(both["participants_prev"].tolist(), both["participants"].tolist(), strict=True)
    few = [_few(a, b) for a, b in counts]
    items2 = per_school(both, _items(both, values, few, autumn=sessions))
    for sid, items in items2.items():
        out.setdefault(str(sid), []).append(
            f"доля «2» не ниже {percent(share)} два года подряд ({year - 1} и {year}): "
            + listing(items)
        )
    return pd.DataFrame(
        {
            "school_id": pd.Series(list(out), dtype="str"),
            "rosobrnadzor": True,
            "rosobrnadzor_reason": ["; ".join(v) for v in out.values()],
        }
    )


def _least_count(n: np.ndarray, share: float) -> np.ndarray:
    """The least x with ``x / max(n, 1) >= share`` in floating point (n + 1: none up to n)."""
    m = np.maximum(n, 1)
    k = np.clip(np.ceil(share * m), 0, n + 1).astype("int64")
    while (down := (k > 0) & ((k - 1) / m >= share)).any():
        k[down] -= 1
    while (up := (k <= n) & (k / m < share)).any():
        k[up] += 1
    return k


def rule_chance(
    rows: pd.DataFrame, year: int, *, share: float, n_sim: int = 200, seed: int = 0
) -> dict:
    """How many schools would meet the rule by chance, with one share of «2» for all schools.

    Every school × work of :func:`rule_rows` is drawn as Binomial(participants,
    region_share); the rule (same rows, same session logic) is applied to each
    of ``n_sim`` draws. The draws are NumPy's (``default_rng(seed).binomial``,
    one array per simulation), answered for all rows at once by
    :class:`edu_quality._binomial.BinomialAtLeast`; each draw is judged on a
    second thread while the next one is drawn.

    Returns
    -------
    dict
        ``observed`` (schools meeting the rule in the data), ``mean``, ``low``
        and ``high`` (5th and 95th percentiles of the simulated count),
        ``schools`` (schools judged), ``n_sim``, ``counts`` (the simulated counts).
    """
    st = _Structure(rows, year)
    n = rows["participants"].to_numpy(dtype="int64")
    p = rows["region_share"].to_numpy(dtype="float64")
    observed = int(st.meets((rows["share_2"] >= share).to_numpy()[st.rows]).sum())
    # binomial(n, p) / max(n, 1) >= share, as NumPy draws it, all rows at once
    reach = BinomialAtLeast(
        np.random.default_rng(seed), n, p, _least_count(n, share), needed=st.rows
    )
    counts = np.empty(n_sim, dtype="int64")
    # each draw judged on a second thread while the next is taken from the generator
    # (NumPy fills the uniforms without the GIL); at most two draws are held at once
    with ThreadPoolExecutor(max_workers=1) as judge:
        judged: Future | None = None
        for i in range(n_sim):
            answer = reach.draw()
            if judged is not None:
                counts[i - 1] = judged.result()
            judged = judge.submit(lambda answered: int(st.meets(answered()).sum()), answer)
        if judged is not None:
            counts[n_sim - 1] = judged.result()
    return {
        "observed": observed,
        "mean": float(counts.mean()) if n_sim else float("nan"),
        "low": float(np.percentile(counts, 5)) if n_sim else float("nan"),
        "high": float(np.percentile(counts, 95)) if n_sim else float("nan"),
        "schools": st.n_schools,
        "n_sim": n_sim,
        "counts": counts,
    }

"""ВПР marks against journal marks, and edu_quality's extra rules built on them.

:func:`marks_vs_journal` counts «понизили», «подтвердили», «повысили»;
:func:`extra_signs` are rules of our own (``source`` «дополнительное правило
edu_quality»), never counted in any objectivity index.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..intervals import wilson
from .checks import (
    as_float,
    check_alpha,
    check_by,
    check_min_n,
    check_threshold,
    require,
    select,
)
from .labels import MESSAGE_FLAGGED, SOURCE_EXTRA

__all__ = ["extra_signs", "marks_vs_journal"]

JOURNAL_BY = ("school_id", "year", "subject", "grade")


# ---------------------------------------------------------------- ВПР vs journal


def marks_vs_journal(
    results: pd.DataFrame,
    *,
    by: Sequence[str] = JOURNAL_BY,
    min_n: int = 5,
    alpha: float = 0.05,
    assessment: str = "ВПР",
) -> pd.DataFrame:
    """ВПР marks against journal marks: «понизили», «подтвердили», «повысили».

    Only rows of ``assessment`` (ВПР by default) are used. A pupil is counted
    when both marks are known; pupils without a journal mark are **not
    counted** (their number is reported in ``n_no_journal``), nor are pupils
    with a journal mark but no ВПР mark (``n_no_mark``).

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``assessment``, ``mark`` and ``journal_mark``
        (marks 2–5, missing allowed) and the ``by`` columns.
    by : sequence of str, keyword-only
        Grouping columns.
    min_n : int, keyword-only
        Groups with fewer pupils having both marks are flagged ``small``.
    alpha : float, keyword-only
        1 − confidence level of the Wilson intervals.
    assessment : str, keyword-only
        The procedure whose marks are compared with the journal.

    Returns
    -------
    DataFrame
        One row per group, sorted by ``by``:

        ``by`` columns
            the group;
        ``n``
            pupils with both a ВПР mark and a journal mark;
        ``n_lower``, ``n_equal``, ``n_higher``
            pupils whose ВПР mark is below («понизили»), equal to
            («подтвердили») or above («повысили») their journal mark;
        ``n_gap2``
            pupils whose marks differ by 2 or more (either way);
        ``share_lower``, ``share_equal``, ``share_higher``, ``share_gap2``
            the counts divided by ``n`` (NaN when ``n`` is 0);
        ``<share>_low``, ``<share>_high``
            Wilson bounds of each share;
        ``n_no_journal``
            pupils of the group without a journal mark, left out;
        ``n_no_mark``
            pupils with a journal mark but no ВПР mark, left out;
        ``small``
            ``n`` < ``min_n``.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    The three shares sum to 1. Intervals: Wilson (1927), via
    :func:`edu_quality.intervals.wilson`. The comparison is the one of the
    ФИС ОКО reports «Сравнение отметок с отметками по журналу».

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "school_id": ["1"] * 4, "year": [2023] * 4, "subject": ["Математика"] * 4,
    ...     "grade": [4] * 4, "assessment": ["ВПР"] * 4,
    ...     "mark": pd.array([3, 4, 5, 4], dtype="Int64"),
    ...     "journal_mark": pd.array([4, 4, 3, None], dtype="Int64")})
    >>> row = marks_vs_journal(results).iloc[0]
    >>> [int(row[c]) for c in ("n", "n_lower", "n_equal", "n_higher", "n_gap2", "n_no_journal")]
    [3, 1, 1, 1, 1, 1]
    >>> bool(row["small"])
    True
    """
    by = check_by(by)
    min_n = check_min_n(min_n, minimum=0)
    alpha = check_alpha(alpha)
    require(
        results, [*by, "assessment", "mark", "journal_mark"], "сравнения с отметками по журналу"
    )
    data = select(
        results, (results["assessment"] == assessment).to_numpy(), [*by, "mark", "journal_mark"]
    )
    mark = as_float(data["mark"])
    journal = as_float(data["journal_mark"])
    both = mark.notna() & journal.notna()
    diff = mark - journal
    frame = data[by].assign(
        n=both,
        n_lower=both & (diff < 0),
        n_equal=both & (diff == 0),
        n_higher=both & (diff > 0),
        n_gap2=both & (diff.abs() >= 2),
        n_no_journal=journal.isna(),
        n_no_mark=mark.isna() & journal.notna(),
    )
    counts = ["n", "n_lower", "n_equal", "n_higher", "n_gap2", "n_no_journal", "n_no_mark"]
    out = (
        frame.groupby(by, sort=True, dropna=False, observed=True)[counts]
        .sum()
        .astype("int64")
        .reset_index()
    )
    n = out["n"].astype("float64")
    shares = []
    for part in ("lower", "equal", "higher", "gap2"):
        name = f"share_{part}"
        out[name] = out[f"n_{part}"] / n.where(n > 0)
        out[f"{name}_low"], out[f"{name}_high"] = wilson(out[f"n_{part}"], n, alpha=alpha)
        shares += [name, f"{name}_low", f"{name}_high"]
    out["small"] = out["n"] < min_n
    out = out[[*by, *counts[:5], *shares, "n_no_journal", "n_no_mark", "small"]]
    out.attrs.update(alpha=alpha, min_n=min_n, assessment=assessment)
    return out


# ---------------------------------------------------------------- our own rules


def extra_signs(
    results: pd.DataFrame,
    *,
    by: Sequence[str] = JOURNAL_BY,
    higher_threshold: float | None = 0.25,
    gap2_threshold: float | None = 0.10,
    min_n: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Additional rules of edu_quality on ВПР against journal marks (not federal).

    Two rules, each kept out of the federal index:

    * «доля "повысили" выше порога»: the share of pupils whose ВПР mark is
      above their journal mark is, beyond noise, above ``higher_threshold``
      (the ВПР result is better than the school's own marks: the work may
      have been written or checked leniently);
    * «расхождение на 2 и более отметки»: the share of pupils whose two
      marks differ by 2 or more is, beyond noise, above ``gap2_threshold``.

    "Beyond noise" means the lower Wilson bound of the share is above the
    threshold.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results, as for :func:`marks_vs_journal`.
    by : sequence of str, keyword-only
        Grouping columns.
    higher_threshold, gap2_threshold : float or None, keyword-only
        Thresholds (shares 0–1) of the two rules; None switches a rule off.
        The defaults are edu_quality's choice, not taken from a normative
        document: agree them with the region.
    min_n : int, keyword-only
        Groups with fewer pupils having both marks are not judged.
    alpha : float, keyword-only
        1 − confidence level of the Wilson bounds.

    Returns
    -------
    DataFrame
        One row per group and rule, sorted by ``by`` then rule:

        ``by`` columns
            the group;
        ``rule``
            the rule's name;
        ``n``
            pupils with both marks;
        ``count``
            pupils concerned by the rule;
        ``share``, ``share_low``, ``share_high``
            ``count / n`` and its Wilson interval;
        ``threshold``
            the rule's threshold;
        ``flag``
            ``share_low > threshold`` for a judged group;
        ``note``
            why the group was not judged (empty when it was);
        ``message``
            for a flagged row, «признаки необъективности: требуется
            проверка (дополнительное правило edu_quality, не входит в
            федеральный индекс)»; else empty;
        ``source``
            :data:`SOURCE_EXTRA`.

    Raises
    ------
    DataError
        A needed column is missing.
    ValueError
        An option is invalid.

    Notes
    -----
    Source: :data:`SOURCE_EXTRA` — our rules, built on the comparison of
    marks in :func:`marks_vs_journal`. They are never counted in
    :func:`~edu_quality.objectivity.objectivity_index` (federal or ours).

    Examples
    --------
    >>> results = pd.DataFrame({
    ...     "school_id": "1", "year": 2023, "subject": "Математика", "grade": 4,
    ...     "assessment": "ВПР", "mark": pd.array([5] * 10, dtype="Int64"),
    ...     "journal_mark": pd.array([3] * 8 + [5] * 2, dtype="Int64")})
    >>> out = extra_signs(results)
    >>> out["rule"].tolist()
    ['доля «повысили» выше порога', 'расхождение на 2 и более отметки']
    >>> out["share"].tolist(), out["flag"].tolist()
    ([0.8, 0.8], [True, True])
    """
    higher_threshold = check_threshold("higher_threshold", higher_threshold)
    gap2_threshold = check_threshold("gap2_threshold", gap2_threshold)
    table = marks_vs_journal(results, by=by, min_n=min_n, alpha=alpha)
    by = list(by) if not isinstance(by, str) else [by]
    rules = [
        ("доля «повысили» выше порога", "higher", higher_threshold),
        ("расхождение на 2 и более отметки", "gap2", gap2_threshold),
    ]
    parts = []
    for order, (rule, part, threshold) in enumerate(rules):
        if threshold is None:
            continue
        frame = table[by].assign(
            rule=rule,
            _order=order,
            n=table["n"],
            count=table[f"n_{part}"],
            share=table[f"share_{part}"],
            share_low=table[f"share_{part}_low"],
            share_high=table[f"share_{part}_high"],
            threshold=threshold,
        )
        note = pd.Series("", index=frame.index, dtype="str")
        note[table["small"]] = (
            f"меньше {min_n} участников с обеими отметками: правило не применяется"
        )
        frame["flag"] = (note == "") & (frame["share_low"] > threshold)
        frame["note"] = note
        parts.append(frame)
    columns = [
        *by,
        "rule",
        "n",
        "count",
        "share",
        "share_low",
        "share_high",
        "threshold",
        "flag",
        "note",
        "message",
        "source",
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True).sort_values([*by, "_order"], ignore_index=True)
    out["message"] = np.where(
        out["flag"],
        f"{MESSAGE_FLAGGED} ({SOURCE_EXTRA}, не входит в федеральный индекс)",
        "",
    )
    out["message"] = out["message"].astype("str")
    out["source"] = SOURCE_EXTRA
    out = out[columns]
    out.attrs.update(
        higher_threshold=higher_threshold, gap2_threshold=gap2_threshold, min_n=min_n, alpha=alpha
    )
    return out

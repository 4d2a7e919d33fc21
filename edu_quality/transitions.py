"""Transitions between the lists: which schools entered, left or stayed, and why.

:func:`list_transitions` classifies the schools of each year
(:func:`edu_quality.identify.classify`, the same rules in every year) and, for
each pair of consecutive years with results, tells for every list whether a
school entered it («вошла»), left it («вышла») or stayed («осталась»), with the
reasons of both years and what changed between them in words. Schools in
neither year's list are not rows. A school with no results in one of the two
years is said so in that year's reason.

The lists (:data:`LISTS`):

* «ШНОР» — status «ШНОР» or «ШНОР и ШНСУ»;
* «ШНСУ» — status «ШНСУ» or «ШНОР и ШНСУ»;
* «зона риска», «резильентная» — those statuses;
* «на границе» — the composite's 95 % interval crosses a group's threshold
  (``borderline``): a school whose status may be chance.

Transitions need two years with results: with one, the table is empty and
``attrs["note"]`` says «одного года недостаточно».
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Sequence

import pandas as pd

from ._russian import decimal
from .dataset import Dataset
from .errors import YearWithoutResults
from .identify import classify
from .metrics import summarize

__all__ = ["CRITERIA", "LISTS", "TRANSITIONS", "list_transitions", "one_year_note"]

#: List name → the statuses that put a school in it (None: the ``borderline`` flag).
LISTS = {
    "ШНОР": ("ШНОР", "ШНОР и ШНСУ"),
    "ШНСУ": ("ШНСУ", "ШНОР и ШНСУ"),
    "зона риска": ("зона риска",),
    "резильентная": ("резильентная",),
    "на границе": None,
}

#: The values of ``transition``.
TRANSITIONS = ("вошла", "вышла", "осталась")

#: The criteria of :func:`edu_quality.identify.classify` named in ``change``.
CRITERIA = {
    "stably_low": "устойчиво низкие результаты",
    "low": "низкие результаты в группе в этом году",
    "rosobrnadzor": "правило Рособрнадзора",
    "unfavourable": "неблагоприятный социальный контекст",
    "decline": "значимое ухудшение",
    "near_low": "результат близок к порогу низких результатов",
    "borderline": "на границе порога",
    "resilient": "результат выше ожидаемого при таком контексте",
}

_COLUMNS = [
    "school_id",
    "name",
    "municipality",
    "list",
    "year_from",
    "year_to",
    "transition",
    "reason_from",
    "reason_to",
    "change",
]


def one_year_note(years: Sequence[int]) -> str:
    """The Russian line for data with fewer than two years with results.

    Examples
    --------
    >>> one_year_note([2021])
    'одного года недостаточно: переходы между списками видны, когда есть результаты хотя бы двух лет (есть: 2021)'
    """
    have = ", ".join(map(str, years)) or "нет"
    return (
        "одного года недостаточно: переходы между списками видны, когда есть результаты "
        f"хотя бы двух лет (есть: {have})"
    )


def _members(c: pd.DataFrame, statuses: tuple[str, ...] | None) -> set[str]:
    hit = c["borderline"].astype(bool) if statuses is None else c["status"].isin(statuses)
    return set(c.loc[hit, "school_id"].astype(str))


def _change(a: pd.Series | None, b: pd.Series | None, year_from: int, year_to: int) -> str:
    """What changed between a school's two years, in words."""
    if a is None:
        return f"нет результатов за {year_from} год"
    if b is None:
        return f"нет результатов за {year_to} год"
    came = [text for k, text in CRITERIA.items() if bool(b[k]) and not bool(a[k])]
    gone = [text for k, text in CRITERIA.items() if bool(a[k]) and not bool(b[k])]
    out = []
    if came:
        out.append("появилось: " + ", ".join(came))
    if gone:
        out.append("ушло: " + ", ".join(gone))
    if not out:
        out.append("критерии не изменились")
    if pd.notna(a["actual"]) and pd.notna(b["actual"]):
        out.append(f"составной результат {decimal(a['actual'], 2)} → {decimal(b['actual'], 2)}")
    return "; ".join(out)


def list_transitions(
    dataset: Dataset,
    *,
    years: Sequence[int] | None = None,
    lists: Sequence[str] | None = None,
    **options,
) -> pd.DataFrame:
    """Which schools entered, left or stayed in each list between consecutive years.

    Parameters
    ----------
    dataset : Dataset
    years : sequence of int, optional
        The years to pair (each with the next of them); default every year
        with results.
    lists : sequence of str, optional
        Names of :data:`LISTS` (default all).
    **options
        Passed to :func:`edu_quality.identify.classify` for every year (e.g.
        ``min_n``, ``metric``, ``hidden``). The pupil results are summarised
        once for all the years (``results_summary``), unless given.

    Returns
    -------
    DataFrame
        ``school_id``, ``name``, ``municipality``, ``list``, ``year_from``,
        ``year_to``, ``transition`` (:data:`TRANSITIONS`), ``reason_from``,
        ``reason_to`` (the reasons of :func:`~edu_quality.identify.classify`
        of each year), ``change`` (what changed, in Russian), sorted by
        years, list, municipality and name — never by result.
        ``attrs["years"]`` holds the years classified; ``attrs["note"]`` the
        «одного года недостаточно» line when there are fewer than two.

    Raises
    ------
    ValueError
        A wrong rule or option, as :func:`~edu_quality.identify.classify`
        raises it; a :class:`~edu_quality.errors.DataError` when a year's data
        cannot be judged (e.g. a social context too thin for its index). Only a
        year without results (:class:`~edu_quality.errors.YearWithoutResults`)
        is left out.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> t = list_transitions(load_dataset(sample_folder("inta")), metric="share_2", min_group=2)
    >>> set(t["transition"]) <= {"вошла", "вышла", "осталась"}
    True
    """
    chosen = list(LISTS) if lists is None else list(lists)
    for name in chosen:
        if name not in LISTS:
            raise ValueError(
                f"Параметр `lists`: неизвестный список {name!r}, возможны: {list(LISTS)}"
            )
    candidates = sorted(int(y) for y in (years if years is not None else dataset.years))
    options.setdefault("rosobrnadzor_sims", 0)
    if len(candidates) > 1 and "results_summary" not in options:  # once, not once a year
        own = inspect.signature(classify).parameters
        counted = {k: options.get(k, own[k].default) for k in ("min_n", "include_unreliable")}
        options["results_summary"] = summarize(dataset.results, **counted)
    classified: dict[int, pd.DataFrame] = {}
    for y in candidates:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                c = classify(dataset, y, **options)
        except YearWithoutResults:  # a wrong rule or a year's bad data is raised, not skipped
            continue
        classified[y] = c.assign(school_id=c["school_id"].astype(str))
    done = sorted(classified)
    out = pd.DataFrame(columns=_COLUMNS)
    rows = []
    for y0, y1 in zip(done, done[1:], strict=False):
        a = classified[y0].set_index("school_id")
        b = classified[y1].set_index("school_id")
        for name in chosen:
            before = _members(classified[y0], LISTS[name])
            after = _members(classified[y1], LISTS[name])
            for sid in sorted(before | after):
                ra = a.loc[sid] if sid in a.index else None
                rb = b.loc[sid] if sid in b.index else None
                kind = (
                    "осталась"
                    if sid in before and sid in after
                    else ("вошла" if sid in after else "вышла")
                )
                rows.append(
                    {
                        "school_id": sid,
                        "list": name,
                        "year_from": y0,
                        "year_to": y1,
                        "transition": kind,
                        "reason_from": ra["reasons"]
                        if ra is not None
                        else f"нет результатов за {y0} год",
                        "reason_to": rb["reasons"]
                        if rb is not None
                        else f"нет результатов за {y1} год",
                        "change": _change(ra, rb, y0, y1),
                    }
                )
    if rows:
        reg = dataset.schools.assign(school_id=dataset.schools["school_id"].astype(str))
        out = pd.DataFrame(rows).merge(
            reg[["school_id", "name", "municipality"]], on="school_id", how="left"
        )
        out["list"] = pd.Categorical(out["list"], categories=list(LISTS))
        out = out.sort_values(["year_from", "list", "municipality", "name", "school_id"])
        out["list"] = out["list"].astype(str)
        out = out[_COLUMNS].reset_index(drop=True)
    out.attrs["years"] = done
    if len(done) < 2:
        out.attrs["note"] = one_year_note(done)
    return out

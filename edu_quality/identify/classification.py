"""The statuses of a year's schools (ШНОР, ШНСУ, risk zone, resilient), with the reasons.

:func:`classify` puts the criteria together: low results within the group
(:mod:`~edu_quality.identify.composite`), Рособрнадзор's rule
(:mod:`~edu_quality.identify.rosobrnadzor_rule`), the social context
(:mod:`~edu_quality.identify.context`) and a significant decline
(:mod:`~edu_quality.identify.decline`), into one of :data:`STATUSES` and the reasons
(:mod:`~edu_quality.identify.reasons`). The rules and their defaults are described in
:mod:`edu_quality.identify`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._checks import check_fraction
from .._memory import LARGE, give_back
from .._rows import iter_rows
from .._stats import norm_ppf
from ..dataset import Dataset
from ..errors import YearWithoutResults
from ..rosobrnadzor import rule_chance, rule_rows
from .composite import composite_results, low_within_groups, with_uncompared
from .context import adjust_for_context, context_index
from .decline import declines
from .reasons import REASON_COLUMNS, school_reasons
from .rosobrnadzor_rule import rosobrnadzor_schools
from .summaries import CLASSIFY_COLUMNS, school_summaries

if TYPE_CHECKING:
    import dask.dataframe as dd

__all__ = ["STATUSES", "classify"]

#: The statuses of :func:`classify`, in the order of its table (no status last).
STATUSES = ("ШНОР и ШНСУ", "ШНОР", "резильентная", "ШНСУ", "зона риска", "")


def classify(
    dataset: Dataset,
    year: int,
    *,
    metric: str = "mean_score",
    low_share: float = 0.10,
    k: int = 2,
    n: int = 3,
    near_share: float = 0.20,
    min_group: int = 5,
    rosobrnadzor_share: float = 0.30,
    rosobrnadzor_assessments: Sequence[str] = ("ВПР", "ОГЭ", "ЕГЭ"),
    rosobrnadzor_by: Sequence[str] = ("assessment", "subject", "grade"),
    unfavourable_share: float = 0.25,
    index_factors: Sequence[str] | None = None,
    min_n: int = 5,
    alpha: float = 0.05,
    include_unreliable: bool = False,
    include_selective: bool = False,
    rosobrnadzor_min_n_ovz: int = 10,
    hidden: pd.DataFrame | None = None,
    rosobrnadzor_sims: int = 200,
    results_summary: pd.DataFrame | dd.DataFrame | None = None,
) -> pd.DataFrame:
    """Identify ШНОР, ШНСУ, risk-zone and resilient schools for a year, with reasons.

    Parameters
    ----------
    dataset : Dataset
        From :func:`edu_quality.load_dataset`; its pupil results may be a Dask
        DataFrame (``results_engine="dask"``): they are then summarised on the
        cluster, with the same result.
    year : int
        The year judged (calendar year of the end of the school year).
    metric : str
        ``mean_score`` or ``share_2`` for the composite result.
    low_share : float
        Bottom share of the group that is *low* in a year.
    k, n : int
        Stably low = low in at least ``k`` of the last ``n`` years with results.
    near_share : float
        Bottom share of the group that is *close to the threshold* (risk zone).
    min_group : int
        Schools of smaller groups are not judged low within their group.
    rosobrnadzor_share : float
        Share of «2» of Рособрнадзор's rule (default 30 %).
    rosobrnadzor_assessments : sequence of str
        Federal procedures the rule looks at (regional КДР are not among them).
    rosobrnadzor_by : sequence of str
        What one procedure is: a work of one grade (default) or, with
        ``("assessment", "subject")``, a subject with its grades pooled. On the
        real Altai ВПР of 2021 (autumn-2020 and spring-2021 works) the first
        reading meets the rule in 359 of 643 schools (348 by the autumn works,
        189 by the spring ones).
    unfavourable_share : float
        Bottom share of the social index that is an unfavourable context.
    index_factors : sequence of str, optional
        Context factors of the social index; by default those the catalogue
        knows to influence results (Назарово, Приложение 1) when the context
        has at least two of them, else every factor of the context.
    min_n : int
        Procedures with fewer participants are not judged by Рособрнадзор's
        rule nor for a significant decline (their shares are hidden in every
        report, and a reason quoting them would give them back), and are flagged
        small elsewhere.
    alpha : float
        1 − confidence level.
    include_unreliable : bool
        Judge by the unreliable protocols too (:mod:`edu_quality.reliability`:
        a school's work with impossible totals); by default they are left out.
    include_selective : bool
        Use the results of a selective population (ЕГЭ 2020 and 2021, taken
        only by those entering universities: :func:`edu_quality.exam_years.exam_years`);
        left out by default.
    rosobrnadzor_min_n_ovz : int
        Works of an ОВЗ school (group «ОВЗ») with fewer pupils are not judged by
        Рособрнадзор's rule; pass ``min_n`` to judge them like the others.
    hidden : DataFrame, optional
        Cells whose values must not be quoted (``school_id``, ``assessment``,
        ``subject``, ``grade``, ``year``, optionally ``session``): the cells a
        report hides for disclosure control. The rules still count them; a
        reason writes «значение скрыто» instead of the share.
    rosobrnadzor_sims : int
        Draws of :func:`~edu_quality.identify.rosobrnadzor_chance` kept in
        ``attrs["rosobrnadzor_chance"]`` (seed 0; 0 skips it).
    results_summary : DataFrame or dask.dataframe.DataFrame, optional
        ``summarize(dataset.results, min_n=min_n, include_unreliable=include_unreliable)``
        when it is at hand: the pupil results are not summarised again (a
        country's take seconds), with the same table
        (:func:`~edu_quality.identify.school_summaries`). One kept on a Dask
        cluster (``persist=True``) is read there: only the rows judged, with
        their keys and the seven columns classified, come to this process.

    Returns
    -------
    DataFrame
        One row per school with results in ``year``: ``school_id``, ``name``,
        ``group``, ``status`` (one of :data:`STATUSES`), ``reasons`` (Russian
        sentences with the numbers), ``actual`` (composite, z units),
        ``expected`` (from the social index), ``adjusted`` with
        ``adjusted_low`` / ``adjusted_high``, ``index_z``, and the criteria
        ``low_years``, ``stably_low``, ``rosobrnadzor``, ``unfavourable``,
        ``borderline``, ``risk_zone``, ``resilient``. ``attrs["rules"]`` holds
        the parameters, ``attrs["rosobrnadzor_chance"]`` the rule's chance rate.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> c = classify(load_dataset(sample_folder("inta")), 2022, metric="share_2", min_group=2)
    >>> c.set_index("school_id").loc["INT06", "rosobrnadzor"]
    np.True_
    """
    for name, v in (
        ("low_share", low_share),
        ("near_share", near_share),
        ("unfavourable_share", unfavourable_share),
        ("rosobrnadzor_share", rosobrnadzor_share),
        ("alpha", alpha),
    ):
        check_fraction(name, v)
    if not 1 <= k <= n:
        raise ValueError(f"Параметры `k` и `n`: нужно 1 ≤ k ≤ n, передано k={k}, n={n}")
    summary = school_summaries(
        dataset,
        min_n=min_n,
        include_selective=include_selective,
        include_unreliable=include_unreliable,
        results_summary=results_summary,
        columns=CLASSIFY_COLUMNS,  # not a copy of every metric of a country's summary
    )
    if not (summary["year"] == year).any():
        raise YearWithoutResults(
            f"Параметр `year`: нет результатов за {year} год "
            f"(есть: {sorted(summary['year'].unique().tolist())})"
        )
    comp = composite_results(summary, metric=metric)
    comp = low_within_groups(comp, dataset.schools, low_share, near_share, min_group)
    # Python's integers: the years may be held in 16 bits (RESULTS_PUPILS.narrow)
    years = sorted(int(y) for y in comp["year"].unique() if y <= year)[-n:]
    window = comp.loc[comp["year"].isin(years)]
    low_years = (
        window.loc[window["low"]].groupby("school_id")["year"].apply(lambda v: sorted(map(int, v)))
    )
    now = with_uncompared(comp.loc[comp["year"] == year], summary, dataset.schools, year)
    now["low_years"] = (
        now["school_id"].map(low_years).apply(lambda v: v if isinstance(v, list) else [])
    )
    now["stably_low"] = now["low_years"].str.len() >= k

    ovz = dataset.schools.loc[dataset.schools["group"] == "ОВЗ", "school_id"].astype("str")
    rule = dict(
        assessments=rosobrnadzor_assessments,
        by=rosobrnadzor_by,
        min_n=min_n,
        ovz_schools=ovz.tolist(),
        min_n_ovz=rosobrnadzor_min_n_ovz,
    )
    judged, left_out = rule_rows(summary, **rule)  # school × work rows: the rule and its chance
    ros = rosobrnadzor_schools(
        summary,
        year,
        rosobrnadzor_share,
        min_n,
        rosobrnadzor_assessments,
        rosobrnadzor_by,
        ovz_schools=rule["ovz_schools"],
        min_n_ovz=rosobrnadzor_min_n_ovz,
        hidden=hidden,
        rows=(judged, left_out),
    )
    now = now.merge(ros, on="school_id", how="left")
    now["rosobrnadzor"] = now["rosobrnadzor"].fillna(False).astype(bool)
    decline = declines(summary, year, alpha, min_n, hidden)
    large = len(summary) >= LARGE
    del summary, comp, window, left_out  # the rest reads the schools and the rule's rows
    if large:
        give_back()  # before the rule's chance draws its arrays
    chance = None
    if rosobrnadzor_sims > 0:
        chance = rule_chance(judged, year, share=rosobrnadzor_share, n_sim=rosobrnadzor_sims)
        chance.pop("counts")
    z = norm_ppf(1 - alpha / 2)
    lo = now["composite"] - z * now["composite_se"]
    hi = now["composite"] + z * now["composite_se"]
    now["borderline_low"] = (lo <= now["cut_low"]) & (now["cut_low"] <= hi)
    now["borderline_near"] = (lo <= now["cut_near"]) & (now["cut_near"] <= hi)
    now["borderline"] = now["borderline_low"] | now["borderline_near"]

    ctx = context_index(dataset, year, unfavourable_share, index_factors)
    now = now.merge(ctx, on="school_id", how="left")
    now["unfavourable"] = now["unfavourable"].fillna(False).astype(bool)
    now = adjust_for_context(now, alpha)

    now = now.merge(decline, on="school_id", how="left")
    now["decline"] = now["decline"].fillna(False).astype(bool)
    now["risk_zone"] = now["decline"] | now["near_low"] | now["low"] | now["rosobrnadzor"]
    # a school meeting Рособрнадзор's rule is never resilient (said in the reasons)
    now["resilient"] = now["unfavourable"] & (now["adjusted_low"] > 0) & ~now["rosobrnadzor"]
    # Рособрнадзор's rule ignores comparison groups: alone it puts a school in the risk
    # zone; together with low results in its group this year — or where the group is too
    # small to compare within — it makes a ШНОР
    not_judged = now["compared_with"] == ""
    shnor = now["stably_low"] | (now["rosobrnadzor"] & (now["low"] | not_judged))
    now["status"] = np.select(
        [
            shnor & now["unfavourable"],
            shnor,
            now["resilient"],
            now["unfavourable"],
            now["risk_zone"],
        ],
        ["ШНОР и ШНСУ", "ШНОР", "резильентная", "ШНСУ", "зона риска"],
        default="",
    )
    now["reasons"] = [
        school_reasons(r, k, n, years, low_share, near_share, unfavourable_share)
        for r in iter_rows(now[list(REASON_COLUMNS)])
    ]
    now = now.merge(dataset.schools[["school_id", "name"]], on="school_id", how="left")
    now = now.rename(columns={"composite": "actual"})
    cols = [
        "school_id",
        "name",
        "group",
        "compared_with",
        "status",
        "reasons",
        "actual",
        "composite_se",
        "expected",
        "adjusted",
        "adjusted_low",
        "adjusted_high",
        "index_z",
        "low_years",
        "low",
        "stably_low",
        "rosobrnadzor",
        "unfavourable",
        "decline",
        "near_low",
        "borderline",
        "risk_zone",
        "resilient",
        "participants",
    ]
    out = now[cols].sort_values(["status", "actual"], key=_status_order).reset_index(drop=True)
    out.attrs["rules"] = dict(
        metric=metric,
        low_share=low_share,
        k=k,
        n=n,
        near_share=near_share,
        min_group=min_group,
        rosobrnadzor_share=rosobrnadzor_share,
        unfavourable_share=unfavourable_share,
        min_n=min_n,
        alpha=alpha,
        years=years,
        rosobrnadzor_min_n_ovz=rosobrnadzor_min_n_ovz,
    )
    if chance is not None:
        out.attrs["rosobrnadzor_chance"] = chance
    return out


def _status_order(col: pd.Series) -> pd.Series:
    if col.name == "status":
        return col.map({s: i for i, s in enumerate(STATUSES)})
    return col

"""Identification of ШНОР, ШНСУ, risk-zone and resilient schools, with the reasons.

Schools with low results (ШНОР), in difficult social conditions (ШНСУ), in the risk zone,
and resilient schools — each with the reasons behind it.

The rules and their defaults (each a parameter of :func:`classify`):

* **Composite result.** For every procedure (assessment, subject, grade) of a
  year, a school's mean score (or, where only counts exist, its share of
  «2», sign reversed) is standardised across the schools of the region that
  wrote it; the school's composite is the mean of these z-scores weighted by
  participants, with its standard error from the pupils' spread.
* **Comparison within groups** (ХМАО model: обычные, углублённые,
  малокомплектные сельские, ОВЗ): a school is *low* in a year when its
  composite is among the bottom ``low_share`` of its group, rounded up to
  whole schools (default 10 %; the ХМАО seed lists 22 stably-low schools of
  290, 7,6 %). This cut is the toolkit's rule (the reasons say «правило
  edu_quality»), not ФИОКО's. It is a hard rank while a composite has a
  standard error (median 0,14 z on the real Altai ВПР 2021): a school whose
  95 % interval crosses its group's cut (midway between the last school in
  and the next) for the low 10 % or the near-low 20 % is labelled
  ``borderline`` («на границе»); the label does not change the status. A group with fewer than ``min_group`` schools is compared with
  nobody: its schools are not judged low (said so in the reasons) — an ОВЗ
  school compared with ordinary schools would always look low.
* **Stably low** (ШНОР): low in at least ``k`` of the last ``n`` years with
  results (default 2 of 3, DOMAIN.md). A year is a school year, named by
  the calendar year of its end: the ВПР of autumn 2020 (session «осень») are
  results of 2021, with its spring works (:mod:`edu_quality.exam_years`).
  Procedures not held as exams (ОГЭ and ЕГЭ 2020, ОГЭ 2021 other than
  Russian and mathematics) and, by default, selective populations (ЕГЭ
  2020, 2021) do not count as results. A school that meets Рособрнадзор's rule
  and is low in its group this year is a ШНОР too.
* **Рособрнадзор's rule** (:mod:`edu_quality.rosobrnadzor`): at least 30 % of
  participants with «2» in two procedures (assessment, subject, grade) of one
  year — two works *of one session*: the ВПР moved to autumn 2020 are the 2020
  campaign, the spring works of 2021 its own — or in the same procedure two
  years running (``rosobrnadzor_share``; the same work in the same session),
  in the federal procedures (ВПР, ОГЭ, ЕГЭ); groups under ``min_n`` pupils are
  not judged, nor the works of an ОВЗ school with fewer than
  ``rosobrnadzor_min_n_ovz`` pupils (said in the reasons). A quoted work of
  fewer than 10 pupils is marked «мало участников»; a cell the reports hide
  (``hidden``) is counted but quoted as «значение скрыто». How many schools
  would meet the rule by chance alone, were every school's share of «2» the
  region's, is :func:`rosobrnadzor_chance` (also ``attrs["rosobrnadzor_chance"]``).
  The rule ignores comparison groups, so alone it puts a school in the risk
  zone; with low results in its group this year, or in a group too small to
  compare within, it makes the school a ШНОР.
* **ШНСУ**: the school social well-being index (:func:`edu_quality.index.social_index`)
  in the unfavourable tail: the bottom ``unfavourable_share`` (default 25 %).
* **Context-adjusted result**: the composite minus what the social index
  predicts (weighted least squares over all schools of the year), with a
  95 % interval from the school's sampling error and the line's.
* **Risk zone** (track 2): a decline distinguishable from noise (a Newcombe
  interval of the share of «2» excluding zero, against the year before), a
  composite close to the low-results threshold (the bottom ``near_share`` of
  the group, default 20 %: the band just above the low 10 %), low this year but not stably, or Рособрнадзор's
  rule met without low results within the group (the rule ignores groups).
* **Resilient** («beating the odds»): unfavourable context, and the
  context-adjusted result above zero with its interval excluding zero; never
  a school meeting Рособрнадзор's rule (said in the reasons).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_option
from ._grouping import by_group, groups, is_dask
from ._russian import decimal
from ._russian import percent as share_text
from .dataset import Dataset
from .dynamics import year_over_year
from .exam_years import exam_not_held, selective_population
from .metrics import summarize
from .rosobrnadzor import (
    listing,
    mark_hidden,
    meeting_rule,
    per_school,
    percent,
    rule_chance,
    rule_rows,
)

__all__ = [
    "STATUSES",
    "classify",
    "composite_results",
    "rosobrnadzor_chance",
    "school_summaries",
]

STATUSES = ("ШНОР и ШНСУ", "ШНОР", "резильентная", "ШНСУ", "зона риска", "")
_PROCEDURE = ["assessment", "subject", "grade"]


def _sessions(summary: pd.DataFrame) -> list[str]:
    """``["session"]`` when the summary has autumn works apart (:mod:`edu_quality.exam_years`)."""
    return ["session"] if "session" in summary.columns else []


def _summaries(
    dataset: Dataset,
    min_n: int,
    include_selective: bool = False,
    include_unreliable: bool = False,
) -> pd.DataFrame:
    """Metrics per school and procedure of a dataset's results, pupil-level and aggregated.

    Pupil results in a Dask DataFrame (``load_dataset(..., results_engine="dask")``)
    are summarised partition by partition (:func:`edu_quality.metrics.summarize`);
    only the summary, one row per school and procedure, comes back. Nothing
    else of :func:`classify` reads the pupil rows. Unreliable protocols
    (:mod:`edu_quality.reliability`) are left out unless ``include_unreliable``.
    """
    by = ["school_id", *_PROCEDURE, "year"]
    opts = {"min_n": min_n, "include_unreliable": include_unreliable}
    parts = []
    for t in (dataset.results, dataset.aggregates):
        if is_dask(t):  # its length would cost a pass over the files: look at the summary
            s = summarize(t, by, **opts)
            if len(s):
                parts.append(s)
        elif len(t):
            parts.append(summarize(t, by, **opts))
    if not parts:
        return summarize(dataset.aggregates, by, **opts)
    s = pd.concat(parts, ignore_index=True)
    if "session" in s.columns:  # a part without autumn works has no column: spring
        s["session"] = s["session"].astype("object").fillna("весна").astype("str")
    drop = exam_not_held(s)
    if not include_selective:
        drop |= selective_population(s)
    return s.loc[~drop]


def school_summaries(
    dataset: Dataset,
    *,
    min_n: int = 5,
    include_selective: bool = False,
    include_unreliable: bool = False,
) -> pd.DataFrame:
    """Metrics per school and procedure, as :func:`classify` judges them.

    The pupil and aggregated results of ``dataset`` summarised by school,
    assessment, subject, grade, year (and session), without the procedures not
    held as exams, the selective populations (unless ``include_selective``) and
    the unreliable protocols (unless ``include_unreliable``). The input of
    :func:`composite_results`.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> s = school_summaries(load_dataset(sample_folder("inta")))
    >>> {"school_id", "participants", "share_2"} <= set(s.columns)
    True
    """
    return _summaries(dataset, min_n, include_selective, include_unreliable)


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
    cell = ["assessment", "subject", "grade", "year", *_sessions(summary)]
    unit = ["school_id", "year"]
    # rows of a cell with a missing key have no z-score (pandas drops such groups)
    s = summary.loc[(summary["participants"] > 0) & summary[cell].notna().all(axis=1)]
    n = s["participants"].to_numpy(dtype="float64")
    mean_score = s["mean_score"].to_numpy(dtype="float64", na_value=np.nan)
    p = s["share_2"].to_numpy(dtype="float64", na_value=np.nan)
    ids, cells = groups(s, cell)
    if metric == "mean_score":  # by score where every school of the cell has one
        no_score = np.bincount(ids, weights=np.isnan(mean_score), minlength=len(cells))
        score_cell = (no_score == 0)[ids]
    else:
        score_cell = np.zeros(len(s), dtype=bool)
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(score_cell, mean_score, -p)
        se = np.where(
            score_cell,
            s["score_sd"].to_numpy(dtype="float64", na_value=np.nan) / np.sqrt(n),
            np.sqrt(p * (1 - p) / n),
        )
        g = by_group(v, ids, len(cells))
        sd = g.std().to_numpy()[ids]
        sd = np.where(sd > 0, sd, np.nan)
        z = (v - g.mean().to_numpy()[ids]) / sd
        sez = se / sd
    keep = ~np.isnan(z) & s[unit].notna().all(axis=1).to_numpy()
    s = s.loc[keep]
    z, sez, w = z[keep], sez[keep], n[keep]
    ids, out = groups(s, unit)
    k = len(out)

    def total(values: np.ndarray) -> np.ndarray:
        return by_group(values, ids, k).sum().to_numpy()

    wz, sw, w2se2 = total(w * z), total(w), total((w * np.where(np.isnan(sez), 0.0, sez)) ** 2)
    out["composite"] = wz / sw
    out["composite_se"] = np.sqrt(w2se2) / sw
    out["procedures"] = np.bincount(ids, minlength=k).astype("int64")
    out["participants"] = by_group(s["participants"].to_numpy(), ids, k).sum().to_numpy()
    return out


def _low_within_groups(
    comp: pd.DataFrame, schools: pd.DataFrame, low_share: float, near_share: float, min_group: int
) -> pd.DataFrame:
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
    c["cut_low"] = grp.transform(_cut, low_share)
    c["cut_near"] = grp.transform(_cut, near_share)
    return c


def _cut(values: pd.Series, share: float) -> float:
    """The group's threshold of its bottom ``share``: midway between the last school in and the next."""
    v = np.sort(values.dropna().to_numpy())
    if not len(v):
        return np.nan
    k = int(np.ceil(share * len(v)))
    k = min(max(k, 1), len(v))
    return float(v[k - 1] if k == len(v) else (v[k - 1] + v[k]) / 2)


def _with_uncompared(
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


def _rosobrnadzor(
    summary: pd.DataFrame,
    year: int,
    share: float,
    min_n: int,
    assessments: Sequence[str],
    by: Sequence[str] = _PROCEDURE,
    *,
    ovz_schools: Sequence[str] = (),
    min_n_ovz: int = 10,
    hidden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Schools meeting Рособрнадзор's rule (:mod:`edu_quality.rosobrnadzor`), with the reasons.

    ``rosobrnadzor_note`` tells an ОВЗ school that some of its works reaching the
    share were left out as too small (fewer than ``min_n_ovz`` pupils).
    """
    rows, left_out = rule_rows(
        summary,
        assessments=assessments,
        by=by,
        min_n=min_n,
        ovz_schools=ovz_schools,
        min_n_ovz=min_n_ovz,
    )
    met = meeting_rule(rows, year, share=share, hidden=hidden, sessions=bool(_sessions(summary)))
    left = left_out.loc[left_out["year"].isin([year - 1, year]) & (left_out["share_2"] >= share)]
    notes = left.groupby("school_id")["share_2"].size()
    note = pd.DataFrame(
        {
            "school_id": pd.Series(notes.index.astype("str"), dtype="str"),
            "rosobrnadzor_note": [
                f"правило Рособрнадзора не применялось к работам, где меньше {min_n_ovz} "
                f"участников (школа для обучающихся с ОВЗ): таких работ с долей «2» не ниже "
                f"{percent(share)} — {k}"
                for k in notes.tolist()
            ],
        }
    )
    out = met.merge(note, on="school_id", how="outer")
    out["rosobrnadzor"] = out["rosobrnadzor"].astype("boolean").fillna(False).astype(bool)
    return out


def _columns(table: pd.DataFrame, *names: str):
    """The rows of some columns as tuples of Python values (as ``itertuples`` gives them)."""
    return zip(*(table[c].tolist() for c in names), strict=True)


def _context_index(
    dataset: Dataset, year: int, unfavourable_share: float, factors: Sequence[str] | None
) -> pd.DataFrame:
    ctx = dataset.context
    if ctx.empty or len([c for c in ctx.columns if c not in ("school_id", "year")]) == 0:
        return pd.DataFrame(columns=["school_id", "index_z", "unfavourable", "context_year"])
    years = sorted(y for y in ctx["year"].unique() if y <= year) or sorted(ctx["year"].unique())
    cy = years[-1]
    from .index import default_factors, social_index

    chosen = list(factors) if factors is not None else default_factors(ctx)
    idx = social_index(ctx.loc[ctx["year"] == cy], chosen)
    table = idx if isinstance(idx, pd.DataFrame) else idx.table
    t = table[["school_id", "index_z"]].copy()
    t["unfavourable"] = t["index_z"].rank(pct=True, method="max") <= unfavourable_share
    t["context_year"] = cy
    return t


def _fmt(v: float) -> str:
    """A signed number with two decimals: «+0,39», «−1,83», «0,00» (never «−0,00»)."""
    text = decimal(v, 2)
    return text if text.startswith("\u2212") or float(text.replace(",", ".")) == 0 else "+" + text


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
        Draws of :func:`rosobrnadzor_chance` kept in
        ``attrs["rosobrnadzor_chance"]`` (seed 0; 0 skips it).

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
    summary = _summaries(dataset, min_n, include_selective, include_unreliable)
    if year not in set(summary["year"]):
        raise ValueError(
            f"Параметр `year`: нет результатов за {year} год "
            f"(есть: {sorted(summary['year'].unique().tolist())})"
        )
    comp = composite_results(summary, metric=metric)
    comp = _low_within_groups(comp, dataset.schools, low_share, near_share, min_group)
    years = sorted(y for y in comp["year"].unique() if y <= year)[-n:]
    window = comp.loc[comp["year"].isin(years)]
    low_years = window.loc[window["low"]].groupby("school_id")["year"].apply(sorted)
    now = _with_uncompared(comp.loc[comp["year"] == year], summary, dataset.schools, year)
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
    ros = _rosobrnadzor(
        summary,
        year,
        rosobrnadzor_share,
        min_n,
        rosobrnadzor_assessments,
        rosobrnadzor_by,
        ovz_schools=rule["ovz_schools"],
        min_n_ovz=rosobrnadzor_min_n_ovz,
        hidden=hidden,
    )
    now = now.merge(ros, on="school_id", how="left")
    now["rosobrnadzor"] = now["rosobrnadzor"].fillna(False).astype(bool)
    chance = None
    if rosobrnadzor_sims > 0:
        rows = rule_rows(summary, **rule)[0]
        chance = rule_chance(rows, year, share=rosobrnadzor_share, n_sim=rosobrnadzor_sims)
        chance.pop("counts")
    from scipy import stats

    z = stats.norm.ppf(1 - alpha / 2)
    lo = now["composite"] - z * now["composite_se"]
    hi = now["composite"] + z * now["composite_se"]
    now["borderline_low"] = (lo <= now["cut_low"]) & (now["cut_low"] <= hi)
    now["borderline_near"] = (lo <= now["cut_near"]) & (now["cut_near"] <= hi)
    now["borderline"] = now["borderline_low"] | now["borderline_near"]

    ctx = _context_index(dataset, year, unfavourable_share, index_factors)
    now = now.merge(ctx, on="school_id", how="left")
    now["unfavourable"] = now["unfavourable"].fillna(False).astype(bool)
    now = _adjust(now, alpha)

    decline = _declines(summary, year, alpha, min_n, hidden)
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
        _reasons(r, k, n, years, low_share, near_share, unfavourable_share)
        for r in now.itertuples()
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


def rosobrnadzor_chance(
    dataset: Dataset,
    year: int,
    *,
    n_sim: int = 200,
    seed: int = 0,
    share: float = 0.30,
    min_n: int = 5,
    min_n_ovz: int = 10,
    assessments: Sequence[str] = ("ВПР", "ОГЭ", "ЕГЭ"),
    by: Sequence[str] = ("assessment", "subject", "grade"),
    include_unreliable: bool = False,
    include_selective: bool = False,
) -> dict:
    """How many schools would meet Рособрнадзор's rule by chance alone.

    The null: every school has the region's own share of «2» of each work. Each
    school × work (with the school's participants, of ``year`` and the year
    before) is drawn as Binomial(participants, region's share of the work, year
    and session), and Рособрнадзор's rule — the same ``min_n``, ОВЗ threshold and
    session logic as :func:`classify` — is applied to each of ``n_sim`` draws
    (:func:`edu_quality.rosobrnadzor.rule_chance`). With works of 20 pupils and
    a regional share of «2» of 15 %, one work reaches 30 % with probability
    P(Bin(20; 0,15) ≥ 6) ≈ 0,07; a school with ten works then meets the «two
    works of one session» clause with probability ≈ 0,15.

    Returns
    -------
    dict
        ``observed`` (schools meeting the rule in the data), ``mean``, ``low``,
        ``high`` (5th and 95th percentiles of the simulated number of schools),
        ``schools`` (schools judged), ``n_sim``, ``counts`` (the simulated numbers).
        :func:`classify` puts the same (without ``counts``) in
        ``attrs["rosobrnadzor_chance"]``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> ch = rosobrnadzor_chance(load_dataset(sample_folder("region")), 2024, n_sim=50)
    >>> ch["low"] <= ch["mean"] <= ch["high"]
    True
    """
    check_fraction("share", share)
    summary = _summaries(dataset, min_n, include_selective, include_unreliable)
    ovz = dataset.schools.loc[dataset.schools["group"] == "ОВЗ", "school_id"].astype("str")
    rows, _ = rule_rows(
        summary,
        assessments=assessments,
        by=by,
        min_n=min_n,
        ovz_schools=ovz.tolist(),
        min_n_ovz=min_n_ovz,
    )
    return rule_chance(rows, year, share=share, n_sim=n_sim, seed=seed)


def _status_order(col: pd.Series) -> pd.Series:
    if col.name == "status":
        return col.map({s: i for i, s in enumerate(STATUSES)})
    return col


def _adjust(now: pd.DataFrame, alpha: float) -> pd.DataFrame:
    from scipy import stats

    now = now.copy()
    ok = now["index_z"].notna() & now["composite"].notna()
    now["expected"] = np.nan
    now["adjusted"] = np.nan
    now["adjusted_low"] = np.nan
    now["adjusted_high"] = np.nan
    if ok.sum() >= 5:
        from . import _sm as sm

        x = sm.add_constant(now.loc[ok, "index_z"].astype("float64"))
        fit = sm.WLS(now.loc[ok, "composite"], x, weights=now.loc[ok, "participants"]).fit()
        pred = fit.get_prediction(x).summary_frame(alpha=alpha)
        z = stats.norm.ppf(1 - alpha / 2)
        se = np.sqrt(now.loc[ok, "composite_se"].to_numpy() ** 2 + pred["mean_se"].to_numpy() ** 2)
        now.loc[ok, "expected"] = pred["mean"].to_numpy()
        adj = now.loc[ok, "composite"].to_numpy() - pred["mean"].to_numpy()
        now.loc[ok, "adjusted"] = adj
        now.loc[ok, "adjusted_low"] = adj - z * se
        now.loc[ok, "adjusted_high"] = adj + z * se
    return now


def _declines(
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
    yoy = year_over_year(s, by=["school_id", *_PROCEDURE], metrics=["share_2"], alpha=alpha)
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


def _reasons(
    r,
    k: int,
    n: int,
    years: Sequence[int],
    low_share: float,
    near_share: float,
    unfavourable_share: float,
) -> str:
    out = []
    cmp = f"группой «{r.group}»"
    if pd.isna(r.composite):
        out.append(
            "составной результат за год не вычислен (в процедурах школы нет различий "
            "между школами): низкие результаты не оцениваются"
        )
    elif not r.compared_with:
        out.append(
            f"в группе «{r.group}» меньше школ, чем нужно для сравнения: "
            "низкие результаты внутри группы не оцениваются"
        )
    if r.stably_low:
        out.append(
            f"низкие результаты в {len(r.low_years)} из {len(years)} последних лет "
            f"({', '.join(map(str, r.low_years))}): в нижних {percent(low_share)} группы "
            f"(правило edu_quality) в сравнении с {cmp} (правило: не менее {k} из {n})"
        )
    elif r.low:
        out.append(
            f"в {years[-1]} году в нижних {percent(low_share)} группы (правило edu_quality) "
            f"в сравнении с {cmp}, но не устойчиво (низкие годы: {len(r.low_years)} из "
            f"{len(years)})"
        )
    if r.borderline_low:
        out.append(
            f"на границе: интервал составного результата пересекает порог нижних "
            f"{percent(low_share)} группы"
        )
    if r.rosobrnadzor:
        out.append("правило Рособрнадзора: " + r.rosobrnadzor_reason)
    if isinstance(r.rosobrnadzor_note, str):
        out.append(r.rosobrnadzor_note)
    if r.unfavourable:
        out.append(
            f"неблагоприятный социальный контекст: индекс социального благополучия "
            f"{_fmt(r.index_z)} (нижние {percent(unfavourable_share)} школ)"
        )
    if pd.isna(r.index_z):
        out.append(
            "нет данных о социальном контексте: принадлежность к ШНСУ и результат с "
            "учётом контекста не определяются"
        )
    if pd.notna(r.adjusted):
        side = "выше" if r.adjusted_low > 0 else "ниже" if r.adjusted_high < 0 else "в пределах"
        out.append(
            f"результат с учётом контекста {_fmt(r.adjusted)} (95-процентный интервал от "
            f"{_fmt(r.adjusted_low)} до {_fmt(r.adjusted_high)}): {side} ожидаемого"
        )
    if r.decline:
        out.append("значимое ухудшение: " + r.decline_reason)
    if r.near_low and not r.stably_low:
        out.append(
            f"результат близок к порогу низких результатов (нижние {percent(near_share)} группы)"
        )
    if r.borderline_near and not r.borderline_low:
        out.append(
            f"на границе: интервал составного результата пересекает порог нижних "
            f"{percent(near_share)} группы"
        )
    if r.rosobrnadzor and r.unfavourable and r.adjusted_low > 0:
        out.append(
            "результат выше ожидаемого при таком контексте, но школа отвечает правилу "
            "Рособрнадзора: не резильентная"
        )
    return "; ".join(out)

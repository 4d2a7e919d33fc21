"""The effect of an improvement programme: difference in differences against similar schools.

:func:`programme_effect` compares the change of the programme schools' results
after the programme started with the change of the results of comparison
schools over the same years (difference in differences, Angrist & Pischke,
*Mostly Harmless Econometrics*, 2009, ch. 5). The unit is a school's result in
one work (assessment, subject, grade, session) of one year:

* ``outcome="mean_score"``: the school's mean score, standardised per work and
  year by the region's pupils — ``(mean − region's mean) / region's pupil SD``
  (the pupil SD pooled from the schools' spreads and means), so one unit is one
  pupil standard deviation and an effect of +0,3 means the programme schools'
  pupils moved up by 0,3 SD relative to the comparison schools;
* ``outcome="share_2"``: the share of «2» in percentage points (lower is
  better: a negative effect is an improvement).

The work and year effects are taken out first — each result minus the mean of
its work and year over the schools of the model — and a school's mean of the
rest in a year is one row (school-year level). The model (statsmodels OLS) is

``y = β·treated + δ·(treated × post) + year effects + ε``,

with standard errors clustered by school (the results of one school over the
years are correlated: without clustering a difference in differences finds
effects that are not there, Bertrand, Duflo & Mullainathan, 2004, *QJE*
119(1)), and ``t`` with ``G − 1`` degrees of freedom for ``G`` schools. The
pre-trend is an event study: ``treated × year`` for every year but the last
one before the start, with the joint test of the years before the start — the
parallel-trends assumption is checked where it can be (two or more years
before the start), and the reading says when it cannot.

Comparison schools (:func:`comparison_schools`): by default, for each
programme school, the ``n_matches`` schools outside the programme of the same
comparison group nearest by the social well-being index and the result before
the start (both standardised); an explicit list of ids may be passed instead.
The programme list: :func:`programme_from_profiles` reads it from the 500+ risk
profiles, where only programme schools have a profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._checks import check_option, check_positive
from ._russian import decimal
from .dataset import Dataset
from .exam_years import exam_not_held, selective_population, session_of
from .metrics import summarize

__all__ = [
    "EFFECT_METHOD",
    "OUTCOMES",
    "PROGRAMME_FILE",
    "ProgrammeEffect",
    "comparison_schools",
    "outcome_panel",
    "programme_effect",
    "programme_from_profiles",
    "programme_list",
]

#: The file of a dataset folder naming the programme schools: ``school_id``, ``start``.
PROGRAMME_FILE = "programme.csv"

#: Outcomes of :func:`programme_effect`: column, Russian name, unit, higher is better.
OUTCOMES = {
    "mean_score": ("средний балл", "ст. откл.", True),
    "share_2": ("доля «2»", "п. п.", False),
}

#: How the method is cited on the page.
EFFECT_METHOD = (
    "разность разностей (Энгрист и Пишке, 2009, гл. 5) с ошибками, кластеризованными "
    "по школам (Бертран, Дюфло и Маллайнатан, 2004)"
)

_WORK = ["assessment", "subject", "grade"]


def outcome_panel(
    dataset: Dataset,
    *,
    outcome: str = "mean_score",
    assessments: Sequence[str] | None = None,
    min_n: int = 5,
) -> pd.DataFrame:
    """A school's result in each work and year: the rows :func:`programme_effect` models.

    Parameters
    ----------
    dataset : Dataset
        Pupil-level or aggregated results and the registry.
    outcome : {"mean_score", "share_2"}
        See :mod:`edu_quality.effect`: the mean score standardised per work
        and year by the region's pupil SD, or the share of «2» in percentage
        points.
    assessments : sequence of str, optional
        Only these assessments (default: all). Procedures not held as exams
        and selective populations (:mod:`edu_quality.exam_years`) are left out.
    min_n : int
        Passed to :func:`edu_quality.metrics.summarize` (results of smaller
        groups still count: nothing here is shown school by school).

    Returns
    -------
    DataFrame
        ``school_id``, ``work`` (assessment, subject, grade and session in
        one label), ``year``, ``participants``, ``y``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> p = outcome_panel(load_dataset(sample_folder("inta")), outcome="share_2")
    >>> sorted(p.columns)
    ['participants', 'school_id', 'work', 'y', 'year']
    """
    check_option("outcome", outcome, tuple(OUTCOMES))
    by = ["school_id", *_WORK, "year"]
    parts = [
        summarize(t, by, min_n=min_n)
        for t in (dataset.results, dataset.aggregates)
        if t is not None and len(t.columns) and len(t)
    ]
    if not parts:
        return pd.DataFrame(columns=["school_id", "work", "year", "participants", "y"])
    s = pd.concat(parts, ignore_index=True)
    s["session"] = session_of(s)
    s = s.loc[~(exam_not_held(s) | selective_population(s)) & (s["participants"] > 0)]
    if assessments is not None:
        s = s.loc[s["assessment"].isin(list(assessments))]
    s = s.assign(
        work=s["assessment"].astype(str)
        + " "
        + s["subject"].astype(str)
        + " "
        + s["grade"].astype(str)
        + " кл. "
        + s["session"]
    )
    if outcome == "share_2":
        s = s.loc[s["share_2"].notna()].assign(y=100 * s["share_2"])
    else:
        s = s.loc[s["mean_score"].notna()].copy()
        n = s["participants"].astype("float64")
        m = s["mean_score"].astype("float64")
        v = s["score_sd"].astype("float64").fillna(0.0) ** 2
        cell = [s["work"], s["year"]]
        big_n = n.groupby(cell).transform("sum")
        mean = (n * m).groupby(cell).transform("sum") / big_n
        # pooled pupil variance: within schools plus between schools
        ss = ((n - 1).clip(lower=0) * v + n * (m - mean) ** 2).groupby(cell).transform("sum")
        sd = np.sqrt(ss / (big_n - 1).clip(lower=1))
        s["y"] = (m - mean) / sd.where(sd > 0)
        s = s.loc[s["y"].notna()]
    out = s[["school_id", "work", "year", "participants", "y"]].reset_index(drop=True)
    out["school_id"] = out["school_id"].astype("str")
    out["year"] = out["year"].astype("int64")
    return out


def programme_from_profiles(dataset: Dataset) -> pd.DataFrame | None:
    """The programme schools and their first year, from the 500+ risk profiles.

    Only schools of the «500+» programme have a risk profile; a school's first
    year with a profile is taken as its start. When every school with results
    has a profile (a dataset holding only the programme's schools, or profiles
    drawn for all), the profiles do not tell programme schools from others:
    None.

    Returns
    -------
    DataFrame or None
        ``school_id``, ``start``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> programme_from_profiles(load_dataset(sample_folder("region"))) is None
    True
    """
    rp = dataset.risk_profiles
    if rp is None or rp.empty:
        return None
    first = rp.groupby(rp["school_id"].astype(str))["year"].min()
    if set(dataset.schools["school_id"].astype(str)) <= set(first.index):
        return None
    return pd.DataFrame({"school_id": first.index, "start": first.to_numpy().astype("int64")})


def programme_list(dataset: Dataset) -> pd.DataFrame | None:
    """The programme schools of a dataset: its ``programme.csv``, else the 500+ risk profiles.

    ``programme.csv`` in the dataset folder (UTF-8, comma-separated): one row
    per programme school, ``school_id`` (or «Код ОО») and ``start`` (or «Год
    начала»: the first school year of the programme, the year of its end).
    Without it, :func:`programme_from_profiles`.

    Returns
    -------
    DataFrame or None
        ``school_id``, ``start``; None when neither tells the programme schools.

    Raises
    ------
    DataError
        When the file lacks a column or a start is not a year.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> programme_list(load_dataset(sample_folder("region"))) is None
    True
    """
    from .errors import DataError, Problem

    path = dataset.folder / PROGRAMME_FILE
    if not path.is_file():
        return programme_from_profiles(dataset)
    t = pd.read_csv(path, dtype="str")
    names = {"код оо": "school_id", "год начала": "start"}
    t = t.rename(columns=lambda c: names.get(str(c).strip().lower(), str(c).strip()))
    missing = [c for c in ("school_id", "start") if c not in t.columns]
    if missing:
        raise DataError(
            PROGRAMME_FILE,
            Problem(None, missing[0], "нет столбца (нужны «Код ОО» и «Год начала»)"),
        )
    start = pd.to_numeric(t["start"], errors="coerce")
    bad = start.isna() | (start % 1 != 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        value = t["start"].iloc[row - 2]
        raise DataError(PROGRAMME_FILE, Problem(row, "start", f"год начала не число: «{value}»"))
    return pd.DataFrame({"school_id": t["school_id"].str.strip(), "start": start.astype("int64")})


def _school_context(dataset: Dataset, before: int) -> pd.Series:
    """Each school's social well-being index of the latest context year before ``before``."""
    ctx = dataset.context
    factors = [c for c in ctx.columns if c not in ("school_id", "year")] if len(ctx) else []
    if not factors:
        return pd.Series(dtype="float64")
    from .index import default_factors, social_index

    years = sorted(y for y in ctx["year"].unique() if y < before) or sorted(ctx["year"].unique())
    try:
        idx = social_index(ctx.loc[ctx["year"] == years[-1]], default_factors(ctx))
    except ValueError:
        return pd.Series(dtype="float64")
    t = idx if isinstance(idx, pd.DataFrame) else idx.table
    return t.assign(school_id=t["school_id"].astype(str)).set_index("school_id")["index_z"]


def comparison_schools(
    dataset: Dataset,
    schools: Sequence[str],
    *,
    start: int,
    panel: pd.DataFrame | None = None,
    n_matches: int = 3,
) -> pd.DataFrame:
    """Schools outside the programme most like each programme school before the start.

    For each programme school, the ``n_matches`` schools outside the programme
    of the same comparison group (the registry's ``group``) nearest by the
    Euclidean distance on two standardised characteristics: the social
    well-being index (:func:`edu_quality.index.social_index`, the latest context
    year before ``start``) and the mean result of the years before ``start``
    (:func:`outcome_panel`). Without context, the result alone. Matching is
    with replacement: a school may match several programme schools; the
    comparison arm is the union.

    Returns
    -------
    DataFrame
        ``school_id`` (a comparison school), ``matched_to`` (the programme
        school), ``distance``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> ds = load_dataset(sample_folder("region"))
    >>> c = comparison_schools(ds, ["01016"], start=2023, n_matches=2)
    >>> len(c), "01016" in set(c["school_id"])
    (2, False)
    """
    check_positive("n_matches", n_matches)
    if panel is None:
        panel = outcome_panel(dataset)
    prior = panel.loc[panel["year"] < start].groupby("school_id")["y"].mean()
    reg = dataset.schools.assign(school_id=dataset.schools["school_id"].astype(str))
    group = reg.set_index("school_id")["group"].fillna("обычная")
    feats = pd.DataFrame({"prior": prior})
    index_z = _school_context(dataset, start)
    if len(index_z):
        feats["index"] = index_z.reindex(feats.index)
        feats["index"] = feats["index"].fillna(feats["index"].mean())
    feats = (feats - feats.mean()) / feats.std(ddof=0).replace(0, 1)
    feats["group"] = group.reindex(feats.index).fillna("обычная")
    chosen = set(map(str, schools))
    pool = feats.loc[~feats.index.isin(chosen)]
    cols = [c for c in feats.columns if c != "group"]
    rows = []
    for sid in sorted(chosen & set(feats.index)):
        me = feats.loc[sid]
        cand = pool.loc[pool["group"] == me["group"], cols]
        if cand.empty:
            continue
        d = np.sqrt(((cand - me[cols].astype(float)) ** 2).sum(axis=1)).sort_values(kind="stable")
        for cid, dist in d.iloc[:n_matches].items():
            rows.append((cid, sid, float(dist)))
    return pd.DataFrame(rows, columns=["school_id", "matched_to", "distance"])


@dataclass(frozen=True)
class ProgrammeEffect:
    """The result of :func:`programme_effect`.

    Attributes
    ----------
    outcome : str
    estimate, ci_low, ci_high, p_value : float
        The difference in differences δ, its 95 % interval and p-value
        (cluster-robust by school).
    n_programme, n_comparison : int
        Schools with results in each arm.
    n_rows : int
        School × work × year rows of the model.
    pre_years, post_years : tuple of int
    event_study : DataFrame
        ``year``, ``relative`` (year − start), ``estimate``, ``ci_low``,
        ``ci_high``, ``p_value``: the programme schools' difference from the
        comparison schools in each year, relative to the reference year (the
        last before the start, estimate 0).
    pretrend_p : float
        Joint test that the years before the start (other than the reference)
        differ by nothing; NaN with a single year before the start.
    comparison : tuple of str
        The comparison schools.
    formula : str
    reading : str
        The result in Russian words.
    """

    outcome: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    n_programme: int
    n_comparison: int
    n_rows: int
    pre_years: tuple[int, ...]
    post_years: tuple[int, ...]
    event_study: pd.DataFrame
    pretrend_p: float
    comparison: tuple[str, ...]
    formula: str
    reading: str

    def table(self) -> pd.DataFrame:
        """One row: the estimate and its interval, the arms and the pre-trend test."""
        keep = (
            "outcome estimate ci_low ci_high p_value n_programme n_comparison n_rows pretrend_p"
        ).split()
        return pd.DataFrame([{k: getattr(self, k) for k in keep}])


def _signed(v: float, digits: int = 2) -> str:
    text = decimal(v, digits)
    return text if text.startswith("\u2212") or float(text.replace(",", ".")) == 0 else "+" + text


def _p(p: float) -> str:
    return "p < 0,001" if p < 0.001 else f"p = {decimal(p, 3)}"


def _reading(r: dict, outcome: str, start: int) -> str:
    name, unit, up = OUTCOMES[outcome]
    est, lo, hi = r["estimate"], r["ci_low"], r["ci_high"]
    head = (
        f"после начала программы ({start}) {name} школ программы изменился "
        if outcome == "mean_score"
        else f"после начала программы ({start}) {name} в школах программы изменилась "
    )
    head += (
        f"на {_signed(est)} {unit} относительно школ сравнения (95-процентный интервал от "
        f"{_signed(lo)} до {_signed(hi)}, {_p(r['p_value'])})"
    )
    if lo > 0 or hi < 0:
        better = (est > 0) == up
        verdict = "улучшение" if better else "ухудшение"
        head += f": {verdict} отличимо от случайных колебаний"
    else:
        head += ": изменение не отличимо от случайных колебаний — эффект не выявлен"
    pre = r["pre_years"]
    if len(pre) < 2:
        tail = (
            "до начала программы только один год с результатами: параллельность "
            "трендов до начала проверить нельзя"
        )
    elif r["pretrend_p"] < 0.05:
        tail = (
            f"до начала программы динамика школ программы и школ сравнения различалась "
            f"({_p(r['pretrend_p'])}): оценку следует читать с осторожностью"
        )
    else:
        tail = (
            f"до начала программы различий в динамике не выявлено ({_p(r['pretrend_p'])}): "
            "предположение о параллельных трендах не опровергается"
        )
    return f"{head}; {tail}"


def _school_years(d: pd.DataFrame) -> pd.DataFrame:
    """Each school's mean result of a year, after the work × year means are taken out.

    Subtracting the mean of each work and year (over the schools of the model)
    absorbs the work and year effects and their interactions; the school-year
    mean of what is left is the unit of the model (one row per school and
    year, so a school with many works does not weigh as many schools).
    """
    cell = d.groupby(["work", "year"])["y"].transform("mean")
    out = d.assign(y=d["y"] - cell).groupby(["school_id", "year"], as_index=False)["y"].mean()
    return out


def _fit(d: pd.DataFrame, terms: list[str]):
    """OLS of ``y`` on ``terms`` and year effects, covariance clustered by school."""
    from . import _sm as sm

    fixed = pd.get_dummies(d["year"].astype(str), prefix="year", drop_first=True, dtype="float64")
    x = pd.concat([d[terms].astype("float64"), fixed], axis=1)
    x.insert(0, "const", 1.0)
    groups = pd.factorize(d["school_id"])[0]
    return sm.OLS(d["y"].astype("float64"), x).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True
    )


def programme_effect(
    data: Dataset | pd.DataFrame,
    schools: Sequence[str],
    *,
    start: int,
    outcome: str = "mean_score",
    comparison: Sequence[str] | str = "nearest",
    n_matches: int = 3,
    dataset: Dataset | None = None,
    alpha: float = 0.05,
) -> ProgrammeEffect:
    """The programme's effect: the change of its schools against the change of similar schools.

    Parameters
    ----------
    data : Dataset or DataFrame
        A dataset, or a panel already built by :func:`outcome_panel` (then the
        ``outcome`` it was built with must be passed, and ``dataset`` for the
        social index of the nearest-school matching).
    schools : sequence of str
        Ids of the programme schools.
    start : int
        The first school year of the programme (the year of its end: 2023 for
        2022/23). Years from ``start`` on are «after».
    outcome : {"mean_score", "share_2"}
        See :mod:`edu_quality.effect`.
    comparison : {"nearest", "group"} or sequence of str
        ``"nearest"``: :func:`comparison_schools` (``n_matches`` per programme
        school); ``"group"``: every school outside the programme of the
        comparison groups of the programme schools; or the ids of the
        comparison schools.
    alpha : float
        1 − the confidence level of the intervals.

    Returns
    -------
    ProgrammeEffect

    Raises
    ------
    ValueError
        With no year before or no year from ``start`` on, no programme or no
        comparison school with results.

    Notes
    -----
    ``y ~ treated + treated:post + C(year)`` on school-year means of the results
    net of their work × year means, OLS, covariance
    clustered by school with ``t`` on ``G − 1`` degrees of freedom (Angrist &
    Pischke 2009, ch. 5; Bertrand, Duflo & Mullainathan 2004). The event study
    replaces ``treated:post`` with one ``treated × year`` term per year except
    the last before the start.

    Examples
    --------
    >>> from edu_quality.synthetic import make_region
    >>> r = make_region(n_programme=8, programme_start=2023, programme_effect=0.4, seed=1)
    >>> panel = outcome_panel(r.dataset())
    >>> e = programme_effect(panel, r.truth.programme, start=2023, comparison="group",
    ...                      dataset=r.dataset())
    >>> e.estimate > 0 and e.ci_low > 0
    True
    """
    check_option("outcome", outcome, tuple(OUTCOMES))
    if isinstance(data, pd.DataFrame):
        panel = data
    else:
        dataset = data
        panel = outcome_panel(data, outcome=outcome)
    chosen = sorted(set(map(str, schools)))
    years = sorted(int(y) for y in panel["year"].unique())
    pre = tuple(y for y in years if y < start)
    post = tuple(y for y in years if y >= start)
    if not pre or not post:
        have = ", ".join(map(str, years)) or "нет"
        raise ValueError(
            f"Параметр `start`: для разности разностей нужны годы и до начала программы "
            f"({start}), и после; годы с результатами: {have}"
        )
    if isinstance(comparison, str):
        check_option("comparison", comparison, ("nearest", "group"))
        if comparison == "nearest":
            if dataset is None:
                raise ValueError(
                    "Параметр `dataset`: для подбора похожих школ (comparison='nearest') "
                    "по панели нужен и набор данных"
                )
            matched = comparison_schools(
                dataset, chosen, start=start, panel=panel, n_matches=n_matches
            )
            control = sorted(set(matched["school_id"]))
        else:
            reg = dataset.schools if dataset is not None else None
            if reg is None:
                control = sorted(set(panel["school_id"]) - set(chosen))
            else:
                g = reg.assign(school_id=reg["school_id"].astype(str)).set_index("school_id")
                groups = set(g["group"].reindex(chosen).dropna())
                control = sorted(set(g.index[g["group"].isin(groups)]) - set(chosen))
    else:
        control = sorted(set(map(str, comparison)) - set(chosen))
    cells = panel.loc[panel["school_id"].isin([*chosen, *control])]
    d = _school_years(cells)
    d["treated"] = d["school_id"].isin(chosen).astype("float64")
    d["did"] = d["treated"] * (d["year"] >= start)
    n_prog = int(d.loc[d["treated"] == 1, "school_id"].nunique())
    n_comp = int(d.loc[d["treated"] == 0, "school_id"].nunique())
    if not n_prog or not n_comp:
        raise ValueError(
            f"Для разности разностей нужны школы программы и школы сравнения с результатами: "
            f"школ программы — {n_prog}, сравнения — {n_comp}"
        )
    formula = "y ~ treated + treated:post + C(year), y: school-year mean of y − work×year mean"
    fit = _fit(d, ["treated", "did"])
    ci = fit.conf_int(alpha=alpha)
    res = dict(
        estimate=float(fit.params["did"]),
        ci_low=float(ci.loc["did", 0]),
        ci_high=float(ci.loc["did", 1]),
        p_value=float(fit.pvalues["did"]),
        pre_years=pre,
    )
    ref = pre[-1]
    terms = []
    for y in years:
        if y != ref:
            d[f"ev_{y}"] = d["treated"] * (d["year"] == y)
            terms.append(f"ev_{y}")
    ev = _fit(d, ["treated", *terms])
    eci = ev.conf_int(alpha=alpha)
    rows = [(ref, 0.0, 0.0, 0.0, np.nan)] + [
        (int(t[3:]), ev.params[t], eci.loc[t, 0], eci.loc[t, 1], ev.pvalues[t]) for t in terms
    ]
    study = pd.DataFrame(rows, columns=["year", "estimate", "ci_low", "ci_high", "p_value"])
    study = study.sort_values("year").reset_index(drop=True)
    study.insert(1, "relative", study["year"] - start)
    pre_terms = [f"ev_{y}" for y in pre if y != ref]
    pretrend_p = np.nan
    if pre_terms:
        test = ev.f_test(", ".join(f"{t} = 0" for t in pre_terms))
        pretrend_p = float(np.squeeze(test.pvalue))
    res["pretrend_p"] = pretrend_p
    return ProgrammeEffect(
        outcome=outcome,
        estimate=res["estimate"],
        ci_low=res["ci_low"],
        ci_high=res["ci_high"],
        p_value=res["p_value"],
        n_programme=n_prog,
        n_comparison=n_comp,
        n_rows=len(cells),
        pre_years=pre,
        post_years=post,
        event_study=study,
        pretrend_p=pretrend_p,
        comparison=tuple(control),
        formula=formula,
        reading=_reading(res, outcome, start),
    )

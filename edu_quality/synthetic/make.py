"""Making a synthetic region: random streams, planted schools and the order of the stages.

:func:`make_region` checks its parameters, spawns one random stream per stage
from ``seed``, plants the inflating, stably low, resilient and programme schools
and calls the stages (:mod:`~edu_quality.synthetic.schools`,
:mod:`~edu_quality.synthetic.pupils`, :mod:`~edu_quality.synthetic.results`,
:mod:`~edu_quality.synthetic.school_tables`,
:mod:`~edu_quality.synthetic.indicators`, :mod:`~edu_quality.synthetic.plan`).
The model and the planted facts are described in the docstring of
:mod:`edu_quality.synthetic`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from .._russian import plural
from .constants import FACTOR_EFFECTS, GROUP_NAMES, NULL_FACTORS
from .indicators import make_indicators
from .plan import make_plan
from .pupils import class_sizes, make_pupils
from .region import Region, Truth
from .results import make_results
from .school_tables import make_enrolment, make_risk, make_staff
from .schools import make_context, make_schools

__all__ = ["make_region"]

# Direct effect of the group on mean ability (pupil sd), in the order of GROUP_NAMES.
_GROUP_EFFECT = np.array([0.0, 0.3, 0.0, -1.0])
_RESILIENT_BOOST = 1.2  # sd of pupil ability above what the context predicts
_SCHOOL_SD = 0.18  # sd of the school effect u_s


def _pick(rng: np.random.Generator, candidates: np.ndarray, k: int, what: str) -> np.ndarray:
    if len(candidates) < k:
        raise ValueError(
            f"Регион слишком мал: нужно {k} {plural(k, 'школа', 'школы', 'школ')} для «{what}», подходящих {len(candidates)}; "
            "увеличьте `n_municipalities` или `schools_per_municipality`"
        )
    return np.sort(rng.choice(candidates, size=k, replace=False))


def _plant_programme(
    gi: np.ndarray,
    stably_low: np.ndarray,
    inflating: np.ndarray,
    years: list[int],
    k: int,
    start: int | None,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int]:
    """Programme schools (ordinary or small rural, not planted otherwise) and the start year."""
    if start is None:
        start = years[len(years) // 2]
    if k < 0:
        raise ValueError(f"`n_programme` должно быть не меньше 0, передано {k}")
    if k and not years[0] < start <= years[-1]:
        raise ValueError(
            f"`programme_start` должен быть после первого года и не позже последнего "
            f"({years[0]} < год ≤ {years[-1]}), передано {start}"
        )
    pool = np.ones(len(gi), bool)
    pool[stably_low] = False
    pool[inflating] = False
    pool &= (gi == 0) | (gi == 2)
    chosen = _pick(rng, np.flatnonzero(pool), k, "школы программы") if k else np.empty(0, int)
    return np.sort(chosen).astype(np.int64), int(start)


def make_region(
    n_municipalities: int = 2,
    schools_per_municipality: int = 22,
    years: Sequence[int] = (2021, 2022, 2023, 2024),
    *,
    seed: int = 2024,
    pupils_scale: float = 1.0,
    n_inflating: int | None = None,
    n_stably_low: int | None = None,
    n_resilient: int | None = None,
    n_programme: int = 0,
    programme_start: int | None = None,
    programme_effect: float = 0.0,
) -> Region:
    """Make a synthetic region with planted facts.

    Parameters
    ----------
    n_municipalities : int
        Number of municipalities (districts and towns, alternately two
        districts and one town).
    schools_per_municipality : int
        Schools in each municipality, at least 8.
    years : sequence of int
        Calendar years of the end of the school years, e.g. 2024 for 2023/24.
    seed : int
        Seed of every random draw: the same seed gives the same region.
    pupils_scale : float
        Factor applied to every class size (1.0: 3–10 pupils a grade in small
        rural schools, 3–12 in ОВЗ schools, 15–60 in the others); a class has
        at least one pupil.
    n_inflating, n_stably_low, n_resilient : int, optional
        How many schools to plant of each kind. Default: 8 % of the schools
        (at least 3) for the first two, 6 % (at least 2) for resilient ones,
        i.e. 4, 4 and 3 in the default region.
    n_programme, programme_start, programme_effect
        A planted improvement programme (none by default): ``n_programme``
        schools, drawn at random among the ordinary and small rural schools
        that are neither inflating nor stably low, gain ``programme_effect``
        pupil standard deviations of teaching effect in every year from
        ``programme_start`` (default: the middle year) on; 0 plants a
        programme without an effect (for checking that none is found). Drawn
        from a stream of its own: the rest of the region is the same as
        without a programme.

    Returns
    -------
    Region
        Tables (columns in this order):

        ``schools``
            school_id (municipality number and school number, «01001»), name,
            municipality, group (обычная, углублённая, малокомплектная
            сельская, ОВЗ), locality (город, село).
        ``results_vpr``, ``results_oge``, ``results_ege``, ``results_kdr``
            one row per pupil and work: year, assessment (ВПР, ОГЭ, ЕГЭ, КДР),
            subject (Математика, Русский язык, Математика (профиль) in ЕГЭ,
            Читательская грамотность in КДР), grade, school_id, pupil_id (the
            same for a pupil in every year), score (primary score; ЕГЭ: test
            score 0–100; missing if not admitted), mark (2–5; missing in ЕГЭ
            and if not admitted), journal_mark (ВПР only, a few missing),
            level (КДР only), admitted (ОГЭ, ЕГЭ; True elsewhere). ВПР: grades
            4–8 every year; ОГЭ: grade 9; ЕГЭ: grade 11; КДР: grade 4 every
            year and grade 6 in each year two years after a grade-4 КДР (the
            same cohort). About 4 % of pupils are absent from each ВПР and КДР.
        ``context``
            school_id, year, one share (0–1) per factor of
            :data:`~edu_quality.synthetic.FACTOR_EFFECTS` and
            :data:`~edu_quality.synthetic.NULL_FACTORS`.
        ``staff``
            school_id, year, teachers, category_highest, category_first,
            trained, part_time, mentoring, young.
        ``enrolment``
            school_id, year, level (НОО, ООО, СОО; none for schools without
            grades 10–11), pupils.
        ``risk_profiles``
            school_id, year, risk_factor
            (:data:`~edu_quality.synthetic.RISK_FACTORS`), score (lower =
            higher risk), significance (низкая, средняя, высокая).
        ``indicators``
            indicator, scope (municipality or «регион»), year, target, actual
            (computed from the other tables; missing for the year after the
            last), direction (≥, ≤), unit (% with values in percent, or чел.).
        ``plan``
            track (1, 2, 3), task, measure, deadline, responsible,
            expected_result, status.

        and ``truth``, a :class:`~edu_quality.synthetic.Truth`.

    Raises
    ------
    ValueError
        If a parameter is out of range or the region is too small to plant the
        requested schools.

    Notes
    -----
    The model and the planted facts are described in the module docstring
    (:mod:`edu_quality.synthetic`). Draws come from independent streams
    spawned from ``seed``, so the results do not change when, say, the staff
    table's model changes. Streams of :class:`numpy.random.Generator` are
    stable within a NumPy version; a future NumPy may change them.

    Examples
    --------
    >>> region = make_region()
    >>> region.schools["group"].value_counts().to_dict()
    {'обычная': 30, 'малокомплектная сельская': 7, 'углублённая': 5, 'ОВЗ': 2}
    >>> sorted(region.results_vpr["grade"].unique().tolist())
    [4, 5, 6, 7, 8]
    >>> len(region.truth.inflating), len(region.truth.stably_low), len(region.truth.resilient)
    (4, 4, 3)
    """
    years = [int(y) for y in years]
    if not years or len(set(years)) != len(years) or years != sorted(years):
        raise ValueError(f"`years` должны быть различными и возрастать, передано {years}")
    if n_municipalities < 1:
        raise ValueError(f"`n_municipalities` должно быть не меньше 1, передано {n_municipalities}")
    if schools_per_municipality < 8:
        raise ValueError(
            "`schools_per_municipality` должно быть не меньше 8, "
            f"передано {schools_per_municipality}"
        )
    if not (pupils_scale > 0 and math.isfinite(pupils_scale)):
        raise ValueError(f"`pupils_scale` должно быть положительным, передано {pupils_scale}")

    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    r_school, r_context, r_plant, r_size, r_pupil, r_result, r_staff, r_risk, r_prog = streams

    schools = make_schools(n_municipalities, schools_per_municipality, r_school)
    n = len(schools)
    gi = schools["group"].map({g: i for i, g in enumerate(GROUP_NAMES)}).to_numpy()
    w, fixed, context = make_context(schools, years, r_context)

    # school mean ability: group + effect factors + school effect
    contribution = sum(beta * (fixed[f] - fixed[f].mean()) for f, beta in FACTOR_EFFECTS.items())
    expected = _GROUP_EFFECT[gi] + contribution
    school_effect = r_plant.normal(0, _SCHOOL_SD, n)

    # planted schools
    n_inflating = max(3, round(0.08 * n)) if n_inflating is None else n_inflating
    n_stably_low = max(3, round(0.08 * n)) if n_stably_low is None else n_stably_low
    n_resilient = max(2, round(0.06 * n)) if n_resilient is None else n_resilient
    ordinary = gi == 0
    rank = w.argsort().argsort() / max(n - 1, 1)
    taken = np.zeros(n, bool)
    # resilient: the context as measured (the effect factors) in the bottom 15 %
    context_rank = contribution.argsort().argsort() / max(n - 1, 1)
    res_pool = np.flatnonzero((context_rank < 0.15) & ((gi == 0) | (gi == 2)))
    resilient = _pick(r_plant, res_pool, n_resilient, "устойчивые школы")
    taken[resilient] = True
    inf_pool = np.flatnonzero(ordinary & (rank > 0.3) & (rank < 0.7) & ~taken)
    inflating_idx = _pick(r_plant, inf_pool, n_inflating, "завышающие результаты")
    taken[inflating_idx] = True
    sizes_g = np.bincount(gi, minlength=4)
    other_pool = np.flatnonzero(~ordinary & (sizes_g[gi] >= 5) & ~taken & (gi != 3))
    n_other = max(1, round(0.25 * n_stably_low)) if n_stably_low > 1 and len(other_pool) else 0
    low_other = _pick(r_plant, other_pool, n_other, "стабильно низкие в других группах")
    low_ord = _pick(
        r_plant,
        np.flatnonzero(ordinary & ~taken & (rank < 0.75)),
        n_stably_low - n_other,
        "стабильно низкие обычные",
    )
    stably_low = np.sort(np.concatenate([low_ord, low_other])).astype(np.int64)

    school_effect[resilient] = _RESILIENT_BOOST
    ability = expected + school_effect

    ny = len(years)
    teaching = r_plant.normal(0, 0.08, (n, ny))
    sid = schools["school_id"].to_numpy()
    honest = np.ones(n, bool)
    honest[stably_low] = False
    q10 = np.array(
        [
            np.quantile(ability[(gi == g) & honest], 0.1) if (gi == g).any() else 0.0
            for g in range(len(GROUP_NAMES))
        ]
    )
    drop = np.minimum(-1.2, q10[gi[stably_low]] - ability[stably_low] - 1.0)
    low = np.ones((len(stably_low), ny), bool)
    if ny >= 3:  # about half recover in one of the last three years
        recover = r_plant.random(len(stably_low)) < 0.5
        which = ny - 3 + r_plant.integers(0, 3, len(stably_low))
        low[np.flatnonzero(recover), which[recover]] = False
    teaching[stably_low] += np.where(low, drop[:, None], 0.25 * drop[:, None])
    low_years = {
        str(sid[s]): tuple(y for y, flag in zip(years, row, strict=True) if flag)
        for s, row in zip(stably_low, low, strict=True)
    }

    programme_idx, programme_start = _plant_programme(
        gi, stably_low, inflating_idx, years, n_programme, programme_start, r_prog
    )
    teaching[programme_idx[:, None], np.asarray(years) >= programme_start] += programme_effect

    # pupils and their results
    c_min, c_max = years[0] - 10, years[-1]
    cohorts = np.arange(c_min, c_max + 1)
    sizes = class_sizes(schools, cohorts, pupils_scale, r_size)
    pupils = make_pupils(schools, cohorts, sizes, ability, r_pupil)
    inflating = np.zeros(n, bool)
    inflating[inflating_idx] = True
    school_ids = pa.array(schools["school_id"].astype(str).to_list(), type=pa.large_string())
    results = make_results(pupils, school_ids, years, teaching, ability, inflating, r_result)

    enrolment = make_enrolment(schools, pupils, years)
    quality = (ability + teaching.mean(axis=1) - ability.mean()) / ability.std() + 0.3 * w
    staff = make_staff(schools, enrolment, quality, years, r_staff)
    risk = make_risk(schools, quality, years, r_risk)
    indicators = make_indicators(schools, results, staff, years)
    plan = make_plan(years[-1])

    truth = Truth(
        seed=seed,
        inflating=tuple(str(x) for x in sid[inflating_idx]),
        stably_low=tuple(str(x) for x in sid[stably_low]),
        low_years=low_years,
        resilient=tuple(str(x) for x in sid[resilient]),
        factor_effects=dict(FACTOR_EFFECTS),
        null_factors=NULL_FACTORS,
        schools=pd.DataFrame(
            {
                "school_id": schools["school_id"],
                "wellbeing": w,
                "expected": expected,
                "ability": ability,
                "teaching": teaching.mean(axis=1),
            }
        ),
        programme=tuple(str(x) for x in sid[programme_idx]),
        programme_start=programme_start if len(programme_idx) else None,
        programme_effect=float(programme_effect) if len(programme_idx) else 0.0,
    )
    public = schools.drop(columns="has_soo")
    for col in public.columns:
        public[col] = public[col].astype("str")
    return Region(
        schools=public,
        results_vpr=results["vpr"][0],
        results_oge=results["oge"][0],
        results_ege=results["ege"][0],
        results_kdr=results["kdr"][0],
        context=context,
        staff=staff,
        enrolment=enrolment,
        risk_profiles=risk,
        indicators=indicators,
        plan=plan,
        truth=truth,
    )

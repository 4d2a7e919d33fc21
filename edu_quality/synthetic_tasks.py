"""Pupils' sex and per-task ВПР scores for a synthetic region, with planted facts.

:func:`plant_pupil_details` adds to a :class:`edu_quality.synthetic.Region` what
a ФИС ОКО export holds beyond the total score: each pupil's sex (``gender``,
«м» or «ж») and the score on every task of every ВПР work (a ``tasks`` table
like that of a ФИС ОКО import). The region itself is not changed, and
:func:`edu_quality.synthetic.make_region` draws nothing more, so every other
use of a seed keeps its data.

The model
---------
*Tasks.* A work of maximum ``M`` points has tasks worth 1 and 2 points
alternately (the last one fills up to ``M``). A pupil's total score ``S`` is
spread over the ``M`` points of the work: ``S`` of them are drawn without
replacement with weights ``exp(−0.12 · k)`` for task ``k`` (later tasks are
harder; Efraimidis–Spirakis weighted sampling), so the task scores always add
up to the total score.

*Sex.* Each pupil is a girl with probability ``expit(gap · z)``, where ``z`` is
the pupil's mean standardised ВПР score within their school's works: 0.5
everywhere but in the planted schools, where girls score higher.

Planted facts (:class:`DetailsTruth`)
-------------------------------------
* **Gender gap**: ``n_gap_schools`` of the largest ordinary schools, with
  ``gap`` (default 1.5) — girls well above boys in every work.
* **Weak task**: in ``n_weak_schools`` other large ordinary schools, one
  basic task of mathematics, grade 5 (``weak_task``, default 3), has its weight
  multiplied by ``weak_factor`` (default 0.1) in every year: the school's
  pupils lose their points on that task and gain them elsewhere, the total
  unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .synthetic import MATH, ORDINARY, VPR_SCALE, Region

__all__ = ["DetailsTruth", "plant_pupil_details", "task_maxima"]


@dataclass(frozen=True)
class DetailsTruth:
    """What :func:`plant_pupil_details` planted.

    Attributes
    ----------
    gap_schools : tuple of str
        Schools where girls score higher than boys.
    weak : tuple of (school_id, subject, grade, task_no)
        Tasks made weak at a school.
    """

    gap_schools: tuple[str, ...]
    weak: tuple[tuple[str, str, int, int], ...]


def task_maxima(top: int) -> list[int]:
    """Maximum scores of the tasks of a work of ``top`` points: 1, 2, 1, 2 and so on.

    Examples
    --------
    >>> task_maxima(7)
    [1, 2, 1, 2, 1]
    """
    out: list[int] = []
    while sum(out) < top:
        out.append(min(1 + len(out) % 2, top - sum(out)))
    return out


def _spread(score: np.ndarray, maxima: list[int], weight: np.ndarray, rng) -> np.ndarray:
    """Task scores (pupils × tasks) adding up to ``score``; ``weight`` per pupil and task."""
    owner = np.repeat(np.arange(len(maxima)), maxima)  # task of each point
    u = rng.random((len(score), len(owner)))
    keys = np.log(u) / weight[:, owner]
    rank = (-keys).argsort(axis=1).argsort(axis=1)
    taken = rank < score[:, None]
    out = np.zeros((len(score), len(maxima)))
    for k in range(len(maxima)):
        out[:, k] = taken[:, owner == k].sum(axis=1)
    return out


def plant_pupil_details(
    region: Region,
    *,
    seed: int = 7,
    n_gap_schools: int = 2,
    gap: float = 1.5,
    n_weak_schools: int = 2,
    weak_task: int = 3,
    weak_factor: float = 0.1,
) -> tuple[pd.DataFrame, pd.DataFrame, DetailsTruth]:
    """Pupils' sex and per-task scores of a synthetic region's ВПР.

    Parameters
    ----------
    region : Region
        From :func:`edu_quality.synthetic.make_region`.
    seed : int
        Seed of the draws here (independent of the region's).
    n_gap_schools, gap : int, float
        Schools with a planted gender gap and its strength (see the module
        docstring).
    n_weak_schools, weak_task, weak_factor : int, int, float
        Schools with a planted weak task (mathematics, grade 5), the task and
        how much less likely its points are.

    Returns
    -------
    (results_vpr, tasks, truth)
        ``results_vpr`` with a ``gender`` column; ``tasks`` (year, subject,
        grade, work_grade, school_id, pupil_id, task_no, task, score,
        max_score), one row per pupil, work and task; :class:`DetailsTruth`.

    Examples
    --------
    >>> from edu_quality.synthetic import make_region
    >>> res, tasks, truth = plant_pupil_details(make_region(seed=3, pupils_scale=0.5))
    >>> sorted(res["gender"].unique().tolist()), len(truth.gap_schools), len(truth.weak)
    (['ж', 'м'], 2, 2)
    """
    rng = np.random.default_rng(seed)
    res = region.results_vpr.copy()
    schools = region.schools
    size = res.groupby("school_id").size()
    ordinary = schools.loc[schools["group"] == ORDINARY, "school_id"]
    big = size.reindex(ordinary).sort_values(ascending=False).index.tolist()
    gap_schools = tuple(big[:n_gap_schools])
    weak_schools = tuple(big[n_gap_schools : n_gap_schools + n_weak_schools])

    # sex: from the pupil's mean standardised score within the school's works
    work = ["year", "subject", "grade", "school_id"]
    g = res.groupby(work)["score"]
    z = ((res["score"] - g.transform("mean")) / g.transform("std")).fillna(0.0)
    pupil_z = z.groupby(res["pupil_id"]).mean()
    pupil_school = res.drop_duplicates("pupil_id").set_index("pupil_id")["school_id"]
    in_gap = pupil_school.reindex(pupil_z.index).isin(gap_schools).to_numpy()
    p = 1 / (1 + np.exp(-np.where(in_gap, gap, 0.0) * pupil_z.to_numpy()))
    girl = rng.random(len(p)) < p
    res["gender"] = res["pupil_id"].map(
        dict(zip(pupil_z.index, np.where(girl, "ж", "м"), strict=True))
    )

    parts = []
    done = res.loc[res["score"].notna()]
    for (year, subject, grade), part in done.groupby(["year", "subject", "grade"], sort=True):
        maxima = task_maxima(VPR_SCALE[(subject, int(grade))][0])
        weight = np.tile(np.exp(-0.12 * np.arange(len(maxima))), (len(part), 1))
        if subject == MATH and int(grade) == 5 and weak_task <= len(maxima):
            weak_rows = part["school_id"].isin(weak_schools).to_numpy()
            weight[weak_rows, weak_task - 1] *= weak_factor
        scores = _spread(part["score"].to_numpy().astype(int), maxima, weight, rng)
        n_t = len(maxima)
        parts.append(
            pd.DataFrame(
                {
                    "year": year,
                    "subject": subject,
                    "grade": grade,
                    "work_grade": grade,
                    "school_id": np.repeat(part["school_id"].to_numpy(), n_t),
                    "pupil_id": np.repeat(part["pupil_id"].to_numpy(), n_t),
                    "task_no": np.tile(np.arange(1, n_t + 1), len(part)),
                    "task": np.tile([str(k) for k in range(1, n_t + 1)], len(part)),
                    "score": scores.ravel(),
                    "max_score": np.tile(np.asarray(maxima, dtype=float), len(part)),
                }
            )
        )
    tasks = pd.concat(parts, ignore_index=True)
    truth = DetailsTruth(
        gap_schools=tuple(map(str, gap_schools)),
        weak=tuple((str(s), MATH, 5, weak_task) for s in weak_schools),
    )
    return res, tasks, truth

"""The pupils of the synthetic region: class sizes, abilities and ids.

:func:`class_sizes` draws every school's class size per cohort;
:func:`make_pupils` draws the pupils of those classes (ability, whether they
stay for grades 10–11, the latent of their journal marks) and gives them ids
that they keep from grade 1 to grade 11 (:class:`Pupils`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .constants import DEEPENED, ORDINARY, SMALL_RURAL, SPECIAL

__all__ = ["Pupils", "class_sizes", "make_pupils"]

# Class size per grade (before pupils_scale): lognormal median, sd of log, clip.
_CLASS_SIZE = {
    (ORDINARY, "город"): (18.0, 0.4, 15, 60),
    (ORDINARY, "село"): (15.0, 0.1, 15, 20),
    (DEEPENED, "город"): (26.0, 0.4, 15, 60),
    (SMALL_RURAL, "село"): (7.0, 0.35, 3, 10),
    (SPECIAL, "город"): (7.0, 0.3, 3, 12),
}


@dataclass
class Pupils:
    """The pupils of a region, one array element per pupil, ordered by cohort, then school.

    Attributes
    ----------
    school : numpy.ndarray
        Index of the pupil's school (row of the ``schools`` table).
    cohort : numpy.ndarray
        Calendar year of the end of the pupil's grade 1.
    ability : numpy.ndarray
        The pupil's ability θ (pupil standard deviations).
    stays : numpy.ndarray
        Whether the pupil continues to grades 10–11.
    journal : numpy.ndarray
        The latent of the pupil's journal marks.
    ids : pyarrow.Array
        Pupil ids («P» + school id + cohort + number).
    starts : dict
        Cohort → (first, end) positions of its pupils in the arrays.
    """

    school: np.ndarray  # school index
    cohort: np.ndarray  # calendar year of the end of grade 1
    ability: np.ndarray
    stays: np.ndarray  # continues to grades 10–11
    journal: np.ndarray  # latent of the journal marks
    ids: pa.Array
    starts: dict[int, tuple[int, int]]  # cohort → slice of the arrays

    def cohort_slice(self, cohort: int) -> slice:
        """Positions of the pupils of ``cohort`` (an empty slice for an unknown cohort)."""
        lo, hi = self.starts.get(cohort, (0, 0))
        return slice(lo, hi)


def class_sizes(
    schools: pd.DataFrame, cohorts: np.ndarray, scale: float, rng: np.random.Generator
) -> np.ndarray:
    """Class size of every school (rows) and cohort (columns), times ``scale``, at least 1.

    A school's size is lognormal around its group's and locality's median,
    clipped to the group's range; younger cohorts are slightly smaller.
    """
    n = len(schools)
    median = np.empty(n)
    sd = np.empty(n)
    lo = np.empty(n)
    hi = np.empty(n)
    keys = list(zip(schools["group"], schools["locality"], strict=True))
    for key, (med, s, a, b) in _CLASS_SIZE.items():
        mask = np.array([k == key for k in keys])
        median[mask], sd[mask], lo[mask], hi[mask] = med, s, a, b
    base = np.clip(median * np.exp(rng.normal(0, 1, n) * sd), lo, hi)
    decline = 0.985 ** (cohorts - cohorts.min())  # younger cohorts are slightly smaller
    noise = np.exp(rng.normal(0, 0.12, (n, len(cohorts))))
    sizes = base[:, None] * decline[None, :] * noise
    sizes = np.clip(sizes, lo[:, None], hi[:, None])
    return np.maximum(1, np.rint(sizes * scale)).astype(np.int64)


def make_pupils(
    schools: pd.DataFrame,
    cohorts: np.ndarray,
    sizes: np.ndarray,
    mean_ability: np.ndarray,
    rng: np.random.Generator,
) -> Pupils:
    """Draw the pupils of every school and cohort (``sizes`` from :func:`class_sizes`).

    A pupil's ability is the school's ``mean_ability`` plus a cohort shock and a
    pupil deviation; better pupils and pupils of deepened-study schools are more
    likely to stay for grades 10–11 where the school has them.
    """
    n = len(schools)
    counts = sizes.T.ravel()  # cohort-major, then school
    total = int(counts.sum())
    school = np.repeat(np.tile(np.arange(n), len(cohorts)), counts)
    cohort = np.repeat(np.repeat(cohorts, n), counts)
    offsets = np.cumsum(counts) - counts
    within = np.arange(total) - np.repeat(offsets, counts) + 1
    cohort_shock = rng.normal(0, 0.12, (n, len(cohorts)))
    ci = cohort - cohorts.min()
    dev = rng.normal(0, 1, total)
    ability = mean_ability[school] + cohort_shock[school, ci] + dev
    has_soo = schools["has_soo"].to_numpy()
    deepened = (schools["group"] == DEEPENED).to_numpy()
    stay_logit = 0.9 * deepened[school] + 1.3 * dev + rng.normal(0, 0.8, total) - 0.1
    stays = has_soo[school] & (stay_logit > 0)
    # journal marks: the pupil's standing, partly relative to the school
    journal = 0.45 * mean_ability[school] + dev + rng.normal(0, 0.2, total)

    width = max(3, len(str(int(sizes.max()))))
    sid = pa.array(schools["school_id"].astype(str).to_list(), type=pa.large_string())
    code = pa.array([f"{c % 100:02d}" for c in cohorts], type=pa.large_string())
    num = pa.array([f"{k:0{width}d}" for k in range(int(sizes.max()) + 1)], type=pa.large_string())
    ids = pc.binary_join_element_wise(
        pa.scalar("P", pa.large_string()),
        sid.take(pa.array(school)),
        code.take(pa.array(ci)),
        num.take(pa.array(within)),
        pa.scalar("", pa.large_string()),
    )
    ends = np.cumsum(sizes.sum(axis=0))
    starts = {
        int(c): (int(e - sizes[:, i].sum()), int(e))
        for i, (c, e) in enumerate(zip(cohorts, ends, strict=True))
    }
    return Pupils(school, cohort, ability, stays, journal, ids, starts)

"""The pupils' results in the synthetic region: ВПР, ОГЭ, ЕГЭ and КДР.

:func:`make_results` turns the pupils' abilities into primary scores, marks,
journal marks, КДР levels and admission, year by year, with the planted
inflation of ВПР grades 4 and 5 in the inflating schools. The calibration of
the scores is described in the docstring of :mod:`edu_quality.synthetic`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .common import expit
from .constants import (
    KDR_LEVELS,
    KDR_SCALE,
    MATH,
    MATH_PROFILE,
    OGE_SCALE,
    READING,
    RUSSIAN,
    VPR_SCALE,
)
from .pupils import Pupils

__all__ = ["make_results"]

# Score of a test = clip(round(max · (m + s · latent)), 0, max); (m, s) per test,
# calibrated so that a region's marks look like published ВПР, ОГЭ and КДР
# statistics (e.g. ВПР 2021 in Russia: mathematics grade 4 «2» ≈ 4 %, «5» ≈ 28 %).
_VPR_MAP = {
    (MATH, 4): (0.56, 0.15),
    (MATH, 5): (0.53, 0.15),
    (MATH, 6): (0.53, 0.15),
    (MATH, 7): (0.53, 0.13),
    (MATH, 8): (0.47, 0.14),
    (RUSSIAN, 4): (0.66, 0.14),
    (RUSSIAN, 5): (0.61, 0.16),
    (RUSSIAN, 6): (0.63, 0.13),
    (RUSSIAN, 7): (0.63, 0.14),
    (RUSSIAN, 8): (0.62, 0.12),
}
_OGE_MAP = {MATH: (0.44, 0.13), RUSSIAN: (0.73, 0.13)}
_KDR_MAP = {4: (0.58, 0.18), 6: (0.54, 0.15)}
# ЕГЭ test score = clip(round(mean + sd · (latent − centre)), 0, 100); the centre is
# about the mean latent of the takers (better pupils stay for grades 10–11 and
# choose profile mathematics), so the region's means are near 68 and 55.
_EGE_SCORE = {RUSSIAN: (68.0, 13.0, 0.75), MATH_PROFILE: (55.0, 16.0, 1.05)}
_TEST_NOISE = 0.5  # pupil-test noise (pupil sd)
_JOURNAL_CUTS = (-2.1, -0.2, 1.05)  # journal latent → marks 3, 4, 5
_INFLATION = {4: 1.8, 5: 0.9}  # latent push of an inflating school's ВПР
_INFLATION_SLOPE = -0.6  # reported result against real ability within the school
_ABSENT = 0.04  # share of pupils absent from a ВПР or КДР


def _marks(score: np.ndarray, m3: int, m4: int, m5: int) -> np.ndarray:
    return 2 + (score >= m3).astype(np.int8) + (score >= m4) + (score >= m5)


def _nullable_int(values: np.ndarray, missing: np.ndarray | None = None) -> pd.arrays.IntegerArray:
    values = values.astype(np.int64)
    if missing is None:
        missing = np.zeros(len(values), dtype=bool)
    return pd.arrays.IntegerArray(values, missing)


class _Rows:
    """Collects result chunks and builds the DataFrame once."""

    def __init__(self, pupils: Pupils, school_ids: pa.Array) -> None:
        self.pupils = pupils
        self.school_ids = school_ids
        self.chunks: list[dict[str, np.ndarray | int | str]] = []

    def add(
        self,
        year: int,
        assessment: str,
        subject: str,
        grade: int,
        idx: np.ndarray,
        score: np.ndarray,
        mark: np.ndarray | None,
        *,
        journal: np.ndarray | None = None,
        level: np.ndarray | None = None,
        admitted: np.ndarray | None = None,
    ) -> None:
        self.chunks.append(
            dict(
                year=year,
                assessment=assessment,
                subject=subject,
                grade=grade,
                idx=idx,
                score=score,
                mark=mark,
                journal=journal,
                level=level,
                admitted=admitted,
            )
        )

    def frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Build the DataFrame of the rows; return it with the school index of each row."""
        lengths = [len(c["idx"]) for c in self.chunks]
        n = int(sum(lengths))

        def const(key: str) -> np.ndarray:
            return np.repeat([c[key] for c in self.chunks], lengths)

        def cat(key: str, fill: float, dtype: type) -> np.ndarray:
            return (
                np.concatenate(
                    [
                        np.full(len(c["idx"]), fill, dtype=dtype)
                        if c[key] is None
                        else np.asarray(c[key], dtype=dtype)
                        for c in self.chunks
                    ]
                )
                if self.chunks
                else np.empty(0, dtype=dtype)
            )

        idx = cat("idx", 0, np.int64)
        labels = [(c["assessment"], c["subject"]) for c in self.chunks]
        uniq = sorted(set(labels))
        codes = np.repeat([uniq.index(lab) for lab in labels], lengths).astype(np.int32)
        assessment = pa.array([u[0] for u in uniq], pa.large_string()).take(pa.array(codes))
        subject = pa.array([u[1] for u in uniq], pa.large_string()).take(pa.array(codes))
        level_code = cat("level", -1, np.int64)
        levels = pa.array(list(KDR_LEVELS), pa.large_string()).take(
            pa.array(level_code, mask=level_code < 0)
        )
        strings = pa.table(
            {
                "assessment": assessment,
                "subject": subject,
                "school_id": self.school_ids.take(pa.array(self.pupils.school[idx])),
                "pupil_id": self.pupils.ids.take(pa.array(idx)),
                "level": levels,
            }
        ).to_pandas()
        score = cat("score", np.nan, np.float64)
        mark = cat("mark", 0, np.int64)
        journal = cat("journal", 0, np.int64)
        admitted = cat("admitted", 1, bool)
        df = pd.DataFrame(
            {
                "year": const("year").astype(np.int64) if n else np.empty(0, np.int64),
                "assessment": strings["assessment"],
                "subject": strings["subject"],
                "grade": const("grade").astype(np.int64) if n else np.empty(0, np.int64),
                "school_id": strings["school_id"],
                "pupil_id": strings["pupil_id"],
                "score": score,
                "mark": _nullable_int(mark, mark == 0),
                "journal_mark": _nullable_int(journal, journal == 0),
                "level": strings["level"],
                "admitted": admitted,
            }
        )
        return df, self.pupils.school[idx]


def _scores(latent: np.ndarray, mapping: tuple[float, float], top: int) -> np.ndarray:
    m, s = mapping
    return np.clip(np.rint(top * (m + s * latent)), 0, top)


def make_results(
    pupils: Pupils,
    school_ids: pa.Array,
    years: list[int],
    teaching: np.ndarray,
    mean_ability: np.ndarray,
    inflating: np.ndarray,
    rng: np.random.Generator,
) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """The result tables of every year: ВПР grades 4–8, ОГЭ, ЕГЭ and КДР.

    Parameters
    ----------
    pupils : Pupils
        From :func:`~edu_quality.synthetic.pupils.make_pupils`.
    school_ids : pyarrow.Array
        The school ids, by school index.
    years : list of int
        The region's years.
    teaching : numpy.ndarray
        School-year teaching effect (schools × years), with the planted
        stably low years and programme.
    mean_ability : numpy.ndarray
        Each school's true mean ability.
    inflating : numpy.ndarray of bool
        The inflating schools (their ВПР grades 4 and 5).
    rng : numpy.random.Generator
        The results' stream.

    Returns
    -------
    dict
        ``vpr``, ``oge``, ``ege``, ``kdr`` → (the table, in the columns of
        :func:`~edu_quality.synthetic.make_region`; the school index of each row).
    """
    subject_effect = {s: rng.normal(0, 0.1, len(mean_ability)) for s in (MATH, RUSSIAN)}
    out: dict[str, _Rows] = {k: _Rows(pupils, school_ids) for k in ("vpr", "oge", "ege", "kdr")}

    def pick(cohort: int, rate: float) -> np.ndarray:
        sl = pupils.cohort_slice(cohort)
        idx = np.arange(sl.start, sl.stop)
        return idx[rng.random(len(idx)) >= rate] if rate else idx

    def latent(idx: np.ndarray, yi: int, subject: str, shift: float) -> np.ndarray:
        s = pupils.school[idx]
        eff = subject_effect.get(subject, subject_effect[RUSSIAN])
        return (
            pupils.ability[idx]
            + teaching[s, yi]
            + eff[s]
            + shift
            + rng.normal(0, _TEST_NOISE, len(idx))
        )

    for yi, year in enumerate(years):
        # ВПР, grades 4–8
        for subject in (MATH, RUSSIAN):
            for grade in range(4, 9):
                idx = pick(year - grade + 1, _ABSENT)
                s = pupils.school[idx]
                lat = latent(idx, yi, subject, rng.normal(0, 0.08))
                if grade in _INFLATION:
                    inf = inflating[s]
                    if inf.any():
                        si = s[inf]
                        real = pupils.ability[idx[inf]] - mean_ability[si]
                        # the push starts from the region's level at worst
                        centre = np.maximum(mean_ability[si], 0.0) + teaching[si, yi]
                        lat[inf] = (
                            centre
                            + _INFLATION[grade]
                            + _INFLATION_SLOPE * real
                            + rng.normal(0, 0.45, inf.sum())
                        )
                top, m3, m4, m5 = VPR_SCALE[(subject, grade)]
                score = _scores(lat, _VPR_MAP[(subject, grade)], top)
                jl = pupils.journal[idx] + rng.normal(0, 0.25, len(idx))
                journal = 2 + sum((jl > c).astype(np.int64) for c in _JOURNAL_CUTS)
                journal[rng.random(len(idx)) < 0.015] = 0  # no journal mark
                out["vpr"].add(
                    year,
                    "ВПР",
                    subject,
                    grade,
                    idx,
                    score,
                    _marks(score, m3, m4, m5),
                    journal=journal,
                )
        # ОГЭ, grade 9: admission is common to both subjects
        idx9 = pick(year - 9 + 1, 0.0)
        not_adm = rng.random(len(idx9)) < expit(-4.6 - 1.3 * pupils.ability[idx9])
        for subject in (MATH, RUSSIAN):
            lat = latent(idx9, yi, subject, rng.normal(0, 0.08))
            top, m3, m4, m5 = OGE_SCALE[subject]
            score = _scores(lat, _OGE_MAP[subject], top)
            mark = _marks(score, m3, m4, m5).astype(np.int64)
            score[not_adm] = np.nan
            mark[not_adm] = 0
            out["oge"].add(year, "ОГЭ", subject, 9, idx9, score, mark, admitted=~not_adm)
        # ЕГЭ, grade 11: pupils who stayed; Russian for all, profile maths by choice
        idx11 = pick(year - 11 + 1, 0.0)
        idx11 = idx11[pupils.stays[idx11]]
        not_adm = rng.random(len(idx11)) < expit(-4.6 - 1.0 * pupils.ability[idx11])
        chooses = rng.random(len(idx11)) < expit(-0.6 + 1.1 * pupils.ability[idx11])
        for subject, take in ((RUSSIAN, np.ones(len(idx11), bool)), (MATH_PROFILE, chooses)):
            idx = idx11[take]
            lat = latent(idx, yi, MATH if subject == MATH_PROFILE else RUSSIAN, rng.normal(0, 0.05))
            mean, sd, centre = _EGE_SCORE[subject]
            score = np.clip(np.rint(mean + sd * (lat - centre)), 0, 100)
            adm = ~not_adm[take]
            score[~adm] = np.nan
            out["ege"].add(year, "ЕГЭ", subject, 11, idx, score, None, admitted=adm)
        # КДР reading literacy: grade 4 every year, grade 6 two years after a grade 4
        for grade in (4, 6):
            if grade == 6 and year - 2 not in years:
                continue
            idx = pick(year - grade + 1, _ABSENT)
            lat = latent(idx, yi, READING, rng.normal(0, 0.08))
            top, low, base, high = KDR_SCALE[grade]
            score = _scores(lat, _KDR_MAP[grade], top)
            level = _marks(score, low, base, high).astype(np.int64) - 2
            out["kdr"].add(year, "КДР", READING, grade, idx, score, level + 2, level=level)
    return {k: v.frame() for k, v in out.items()}

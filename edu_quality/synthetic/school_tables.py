"""The other yearly school tables of the synthetic region: enrolment, staff, risk profiles.

:func:`make_enrolment` counts the pupils per level of education;
:func:`make_staff` sizes the teaching staff by enrolment and draws its
categories and training; :func:`make_risk` draws the 500+ risk profiles
(:data:`~edu_quality.synthetic.RISK_FACTORS`). Staff and risk depend on the
school's quality (ability and teaching), not on its social context alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import expit
from .constants import DEEPENED, ORDINARY, RISK_FACTORS, SMALL_RURAL, SPECIAL
from .pupils import Pupils

__all__ = ["make_enrolment", "make_risk", "make_staff"]


def make_enrolment(schools: pd.DataFrame, pupils: Pupils, years: list[int]) -> pd.DataFrame:
    """Pupils per school, year and level (НОО, ООО, СОО; СОО only where the school has it)."""
    n = len(schools)
    c0 = int(pupils.cohort.min())
    n_c = int(pupils.cohort.max()) - c0 + 1
    key = pupils.school * n_c + (pupils.cohort - c0)
    all_ = np.bincount(key, minlength=n * n_c).reshape(n, n_c)
    stay = np.bincount(key, weights=pupils.stays, minlength=n * n_c).reshape(n, n_c)
    frames = []
    for year in years:
        for level, grades in (("НОО", range(1, 5)), ("ООО", range(5, 10)), ("СОО", (10, 11))):
            src = stay if level == "СОО" else all_
            total = np.zeros(n)
            for g in grades:
                c = year - g + 1 - c0
                if 0 <= c < n_c:
                    total += src[:, c]
            frames.append(
                pd.DataFrame(
                    {
                        "school_id": schools["school_id"],
                        "year": year,
                        "level": level,
                        "pupils": total.astype(np.int64),
                        "_keep": schools["has_soo"] | (level != "СОО"),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    out = out[out.pop("_keep").to_numpy()]
    order = {"НОО": 0, "ООО": 1, "СОО": 2}
    out = out.assign(_order=out["level"].map(order))
    out = out.sort_values(["school_id", "year", "_order"], kind="stable").drop(columns="_order")
    out["level"] = out["level"].astype("str")
    return out.reset_index(drop=True)


def make_staff(
    schools: pd.DataFrame,
    enrolment: pd.DataFrame,
    quality: np.ndarray,
    years: list[int],
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Teachers per school and year, sized by enrolment, with their categories and training.

    ``quality`` (the school's standardised ability and teaching) raises the
    shares of teachers of the highest and first category and lowers that of
    young teachers.
    """
    totals = enrolment.groupby(["school_id", "year"], sort=True)["pupils"].sum()
    n, ny = len(schools), len(years)
    pupils = (
        totals.reindex(pd.MultiIndex.from_product([schools["school_id"], years]))
        .fillna(0)
        .to_numpy()
        .reshape(n, ny)
    )
    ratio = (
        schools["group"]
        .map({ORDINARY: 13.0, DEEPENED: 14.0, SMALL_RURAL: 5.0, SPECIAL: 4.0})
        .to_numpy()
    )
    floor = (
        schools["group"].map({ORDINARY: 15, DEEPENED: 25, SMALL_RURAL: 8, SPECIAL: 10}).to_numpy()
    )
    base = pupils / ratio[:, None] * np.exp(rng.normal(0, 0.1, n))[:, None]
    teachers = np.maximum(floor[:, None], np.rint(base)).astype(np.int64)
    teachers = teachers + rng.integers(-1, 2, (n, ny))
    q = quality[:, None]
    t = np.arange(ny)[None, :]

    def persistent(count: np.ndarray, logit: np.ndarray) -> np.ndarray:
        """Return a school-level share of ``count``, rounded, with a little yearly noise."""
        share = expit(logit + rng.normal(0, 0.4, (n, 1)))
        raw = np.rint(count * share + rng.normal(0, 0.5, (n, ny)))
        return np.clip(raw, 0, count).astype(np.int64)

    highest = persistent(teachers, -1.5 + 0.35 * q)
    first = persistent(teachers - highest, -0.4 + 0.25 * q)
    trained = rng.binomial(teachers, np.clip(0.3 + 0.06 * t, 0, 0.95) * np.ones((n, 1)))
    small = (schools["group"] == SMALL_RURAL).to_numpy()[:, None]
    part_time = persistent(teachers, np.where(small, -1.4, -2.6) * np.ones((1, ny)))
    mentoring = rng.binomial(teachers, np.clip(0.12 + 0.06 * t, 0, 0.9) * np.ones((n, 1)))
    young = persistent(teachers, -2.2 - 0.25 * q)
    data = {
        "school_id": np.repeat(schools["school_id"].to_numpy(), ny),
        "year": np.tile(np.asarray(years, dtype=np.int64), n),
        "teachers": teachers,
        "category_highest": highest,
        "category_first": first,
        "trained": trained,
        "part_time": part_time,
        "mentoring": mentoring,
        "young": young,
    }
    df = pd.DataFrame(
        {
            k: (v.ravel() if isinstance(v, np.ndarray) and v.ndim == 2 else v)
            for k, v in data.items()
        }
    )
    for col in df.columns[2:]:
        df[col] = df[col].astype(np.int64)
    df["school_id"] = df["school_id"].astype("str")
    return df


def make_risk(
    schools: pd.DataFrame, quality: np.ndarray, years: list[int], rng: np.random.Generator
) -> pd.DataFrame:
    """500+ risk profiles: a score and its significance per school, year and risk factor.

    Better ``quality`` gives higher scores (lower risk); the significance follows
    the cut-offs of :data:`~edu_quality.synthetic.RISK_FACTORS`.
    """
    n, ny, nf = len(schools), len(years), len(RISK_FACTORS)
    loading = np.array([0.6, 0.3, 0.6, 0.4, 1.0, 0.4])
    school_noise = rng.normal(0, 0.5, (n, 1, nf))
    year_noise = rng.normal(0, 0.25, (n, ny, nf))
    z = 0.9 + loading * quality[:, None, None] + school_noise + year_noise
    top = np.array([f[1] for f in RISK_FACTORS])
    score = np.rint(top * expit(z)).astype(np.int64)
    low_cut = np.array([f[2] for f in RISK_FACTORS])
    high_cut = np.array([f[3] for f in RISK_FACTORS])
    sig = np.where(score >= low_cut, "низкая", np.where(score <= high_cut, "высокая", "средняя"))
    df = pd.DataFrame(
        {
            "school_id": np.repeat(schools["school_id"].to_numpy(), ny * nf),
            "year": np.tile(np.repeat(np.asarray(years, dtype=np.int64), nf), n),
            "risk_factor": np.tile(np.array([f[0] for f in RISK_FACTORS]), n * ny),
            "score": score.ravel().astype(np.float64),
            "significance": sig.ravel(),
        }
    )
    for col in ("school_id", "risk_factor", "significance"):
        df[col] = df[col].astype("str")
    return df

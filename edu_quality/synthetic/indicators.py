"""The programme indicators of the synthetic region, computed from its other tables.

:func:`make_indicators` gives each municipality and the region the targets of
the programme's indicators (ОГЭ and ЕГЭ failures, КДР below the base level,
mentoring, training, schools with positive dynamics) and their actual values in
the region's years.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import EGE_MINIMUM, MATH, MATH_PROFILE, RUSSIAN

__all__ = ["make_indicators"]

_REGION = "регион"


def _school_year(
    sidx: np.ndarray, year: np.ndarray, years: list[int], n: int, mask: np.ndarray, hit: np.ndarray
) -> np.ndarray:
    """Count hits and rows among ``mask`` per school and year: shape (n, n_years, 2)."""
    yi = np.searchsorted(np.asarray(years), year)
    key = (sidx * len(years) + yi)[mask]
    size = n * len(years)
    total = np.bincount(key, minlength=size)
    hits = np.bincount(key, weights=hit[mask].astype(np.float64), minlength=size)
    return np.stack([hits, total], axis=-1).reshape(n, len(years), 2)


def make_indicators(
    schools: pd.DataFrame,
    results: dict[str, tuple[pd.DataFrame, np.ndarray]],
    staff: pd.DataFrame,
    years: list[int],
) -> pd.DataFrame:
    """Targets and actual values of the programme indicators, per municipality and region.

    ``results`` is what :func:`~edu_quality.synthetic.results.make_results`
    returns; targets run one year beyond ``years`` (with no actual value).
    """
    n, ny = len(schools), len(years)
    mun_codes, mun_names = pd.factorize(schools["municipality"])
    scopes = [*map(str, mun_names), _REGION]

    def counts(name: str, mask_fn, hit_fn) -> np.ndarray:
        df, sidx = results[name]
        return _school_year(sidx, df["year"].to_numpy(), years, n, mask_fn(df), hit_fn(df))

    def is_(col: str, value: object):
        return lambda df: (df[col] == value).to_numpy(dtype=bool)

    def admitted_in(subject: str):
        return lambda df: (
            (df["subject"] == subject).to_numpy(dtype=bool) & df["admitted"].to_numpy()
        )

    def mark_at_most(value: int):
        return lambda df: df["mark"].le(value).to_numpy(dtype=bool, na_value=False)

    def score_below(value: int):
        return lambda df: (df["score"] < value).to_numpy()

    oge_math = counts("oge", admitted_in(MATH), mark_at_most(2))
    oge_rus = counts("oge", admitted_in(RUSSIAN), mark_at_most(2))
    ege_rus = counts("ege", admitted_in(RUSSIAN), score_below(EGE_MINIMUM[RUSSIAN]))
    ege_math = counts("ege", admitted_in(MATH_PROFILE), score_below(EGE_MINIMUM[MATH_PROFILE]))
    kdr4 = counts("kdr", is_("grade", 4), mark_at_most(3))
    vpr = counts("vpr", lambda df: np.ones(len(df), bool), mark_at_most(2))
    # «positive dynamics»: a simple stand-in for the significance-based verdict of
    # the dynamics module: the school's «2»-share in ВПР fell by at least 3 p. p.
    with np.errstate(invalid="ignore", divide="ignore"):
        fail = vpr[..., 0] / vpr[..., 1]
    improved = np.zeros((n, ny, 2))
    diff = fail[:, 1:] - fail[:, :-1]
    improved[:, 1:, 0] = diff <= -0.03
    improved[:, 1:, 1] = ~np.isnan(diff)
    improved[:, 0, 1] = 0

    st = staff.set_index(["school_id", "year"]).reindex(
        pd.MultiIndex.from_product([schools["school_id"], years])
    )
    teachers = st["teachers"].to_numpy(dtype=float).reshape(n, ny)
    mentoring = np.stack([st["mentoring"].to_numpy(float).reshape(n, ny), teachers], -1)
    trained = np.stack([st["trained"].to_numpy(float).reshape(n, ny), teachers], -1)

    def by_scope(c: np.ndarray) -> np.ndarray:
        """(n, ny, k) → (n_scopes, ny, k) sums per municipality and for the region."""
        out = np.zeros((len(scopes), ny, c.shape[-1]))
        np.add.at(out, mun_codes, c)
        out[-1] = c.sum(axis=0)
        return out

    def percent(c: np.ndarray) -> np.ndarray:
        s = by_scope(c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.round(100 * s[..., 0] / np.where(s[..., 1] > 0, s[..., 1], np.nan), 1)

    specs = [
        (
            "Доля обучающихся с отметкой «2» по ОГЭ (математика)",
            "≤",
            "%",
            6.0,
            -0.5,
            percent(oge_math),
        ),
        (
            "Доля обучающихся с отметкой «2» по ОГЭ (русский язык)",
            "≤",
            "%",
            3.0,
            -0.25,
            percent(oge_rus),
        ),
        (
            "Доля участников ЕГЭ с баллом ниже минимального (русский язык)",
            "≤",
            "%",
            2.0,
            -0.25,
            percent(ege_rus),
        ),
        (
            "Доля участников ЕГЭ с баллом ниже минимального (математика профильная)",
            "≤",
            "%",
            8.0,
            -0.5,
            percent(ege_math),
        ),
        (
            "Доля обучающихся 4 классов с уровнем читательской грамотности ниже базового (КДР)",
            "≤",
            "%",
            30.0,
            -1.5,
            percent(kdr4),
        ),
        ("Доля педагогов, участвующих в наставничестве", "≥", "%", 20.0, 3.0, percent(mentoring)),
        ("Доля педагогов, прошедших повышение квалификации", "≥", "%", 35.0, 5.0, percent(trained)),
        (
            "Численность педагогов, прошедших повышение квалификации",
            "≥",
            "чел.",
            None,
            None,
            by_scope(trained)[..., 0],
        ),
        ("Доля школ с положительной динамикой результатов", "≥", "%", 11.0, 3.0, percent(improved)),
    ]
    first_teachers = by_scope(teachers[..., None])[:, 0, 0]
    all_years = np.asarray([*years, years[-1] + 1], dtype=np.int64)
    ns, nt = len(scopes), len(all_years)
    step_index = np.arange(nt)
    parts = []
    for name, direction, unit, start, step, actual in specs:
        if start is None:  # a count: 35 % of the first year's teachers, rising 5 p. p. a year
            target = np.round(first_teachers[:, None] * (0.35 + 0.05 * step_index[None, :]))
        else:
            target = np.broadcast_to(np.round(start + step * step_index, 2), (ns, nt))
        parts.append(
            pd.DataFrame(
                {
                    "indicator": name,
                    "scope": np.repeat(scopes, nt),
                    "year": np.tile(all_years, ns),
                    "target": target.astype(float).ravel(),
                    "actual": np.concatenate([actual, np.full((ns, 1), np.nan)], axis=1).ravel(),
                    "direction": direction,
                    "unit": unit,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out = out[~(out["actual"].isna() & (out["year"] <= years[-1]))]  # e.g. dynamics in year 1
    for col in ("indicator", "scope", "direction", "unit"):
        out[col] = out[col].astype("str")
    return out.reset_index(drop=True)

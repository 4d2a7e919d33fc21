"""The schools of the synthetic region and their social context.

:func:`make_schools` lays out the municipalities and their schools (group,
locality, name, whether they have grades 10–11); :func:`make_context` draws each
school's latent social well-being and the shares of the social factors that
depend on it (the ``context`` table).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .common import expit
from .constants import DEEPENED, GROUP_NAMES, ORDINARY, SMALL_RURAL, SPECIAL
from .places import DEEPENED_NAMES, VILLAGES, district_name, next_village, town_name

__all__ = ["make_context", "make_schools"]

# factor → (logit intercept a, loading on well-being b, own school sd c)
_FACTOR_LOGIT: dict[str, tuple[float, float, float]] = {
    "large_family": (-1.4, -0.45, 0.6),
    "non_native_russian": (-2.8, -0.4, 0.9),
    "one_parent_higher_ed": (-0.85, 0.4, 0.55),
    "both_parents_higher_ed": (-2.0, 0.55, 0.6),
    "both_parents_unemployed": (-3.3, -0.45, 0.7),
    "disabled_parent": (-3.5, -0.3, 0.7),
    "foster_care": (-3.9, -0.3, 0.7),
    "sop_family": (-4.1, -0.45, 0.7),
    "kdn_registered": (-4.3, -0.4, 0.7),
    "single_parent": (-1.25, 0.0, 0.35),
    "low_income": (-1.4, 0.0, 0.5),
    "one_parent_unemployed": (-2.2, 0.0, 0.45),
    "school_bus": (-3.2, 0.0, 0.8),  # +2.6 in villages
    "internal_registered": (-3.5, 0.0, 0.5),
}
# Shift of well-being by school group (in the order of GROUP_NAMES).
_GROUP_WELLBEING = np.array([0.0, 0.7, -0.5, -0.6])


def make_schools(n_mun: int, per_mun: int, rng: np.random.Generator) -> pd.DataFrame:
    """The schools of ``n_mun`` municipalities of ``per_mun`` schools each.

    Municipalities alternate two districts and one town; each gets its share of
    every group (:data:`~edu_quality.synthetic.GROUP_NAMES`) in a random order.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``municipality``, ``group``, ``locality``
        (город, село) and ``has_soo`` (grades 10–11; not a column of the
        canonical ``schools`` table).

    Raises
    ------
    ValueError
        If a municipality would have no ordinary school.
    """
    width = max(3, len(str(per_mun)))
    mwidth = max(2, len(str(n_mun)))
    rows: list[tuple[str, str, str, str, str, bool]] = []
    n_district = n_town = 0
    for m in range(n_mun):
        is_town = m % 3 == 1
        if is_town:
            mun = town_name(n_town)
            n_town += 1
            shares = {SPECIAL: 0.05, DEEPENED: 0.18, SMALL_RURAL: 0.0}
        else:
            mun = district_name(n_district)
            n_district += 1
            shares = {SPECIAL: 0.05, DEEPENED: 0.06, SMALL_RURAL: 0.32}
        counts = {g: max(1, round(s * per_mun)) if s else 0 for g, s in shares.items()}
        counts[ORDINARY] = per_mun - sum(counts.values())
        if counts[ORDINARY] < 1:
            raise ValueError(
                f"`schools_per_municipality` должно быть не меньше 8, передано {per_mun}"
            )
        groups = np.array(
            [ORDINARY] * counts[ORDINARY]
            + [DEEPENED] * counts[DEEPENED]
            + [SMALL_RURAL] * counts[SMALL_RURAL]
            + [SPECIAL] * counts[SPECIAL]
        )
        groups = groups[rng.permutation(per_mun)]
        # the first ordinary schools of a district are in its centre (a town)
        n_centre = max(1, round(0.3 * counts[ORDINARY]))
        villages = list(rng.permutation(len(VILLAGES)))
        number = 0
        seen_ordinary = 0
        n_special = 0
        for i, group in enumerate(groups):
            sid = f"{m + 1:0{mwidth}d}{i + 1:0{width}d}"
            has_soo = True
            if group == ORDINARY:
                seen_ordinary += 1
                town = is_town or seen_ordinary <= n_centre
            else:
                town = group in (DEEPENED, SPECIAL)
            if group in (ORDINARY, DEEPENED) and town:
                number += 1
            if group == ORDINARY and town:
                name = f"МБОУ «СОШ № {number}»"
            elif group == ORDINARY:
                name = f"МБОУ «{next_village(villages)} СОШ»"
            elif group == DEEPENED:
                name = DEEPENED_NAMES[int(rng.integers(len(DEEPENED_NAMES)))].format(n=number)
            elif group == SMALL_RURAL:
                has_soo = bool(rng.random() < 0.4)
                name = f"МКОУ «{next_village(villages)} {'СОШ' if has_soo else 'ООШ'}»"
            else:
                n_special += 1
                has_soo = False
                num = "" if counts[SPECIAL] == 1 else f" № {n_special}"
                name = f"ГКОУ «Школа-интернат{num} для обучающихся с ОВЗ»"
            rows.append((sid, name, mun, str(group), "город" if town else "село", has_soo))
    df = pd.DataFrame(
        rows, columns=["school_id", "name", "municipality", "group", "locality", "has_soo"]
    )
    return df


def make_context(
    schools: pd.DataFrame, years: list[int], rng: np.random.Generator
) -> tuple[np.ndarray, dict[str, np.ndarray], pd.DataFrame]:
    """The schools' latent well-being and social factors.

    Returns
    -------
    tuple
        ``w``, each school's latent social well-being; the school's fixed share
        of every factor (by factor name); the ``context`` table (school_id,
        year, one share per factor, with a little year-to-year noise).
    """
    n = len(schools)
    group = schools["group"].map({g: i for i, g in enumerate(GROUP_NAMES)}).to_numpy()
    town = (schools["locality"] == "город").to_numpy()
    mun_codes = pd.factorize(schools["municipality"])[0]
    mun_effect = rng.normal(0, 0.3, mun_codes.max() + 1)[mun_codes]
    # truncated normals keep the tails of the shares (and of the results) plausible
    w = np.clip(rng.normal(0, 1, n), -2.2, 2.2) + _GROUP_WELLBEING[group] + 0.2 * town + mun_effect
    fixed: dict[str, np.ndarray] = {}
    logits: dict[str, np.ndarray] = {}
    for f, (a, b, c) in _FACTOR_LOGIT.items():
        z = a + b * w + c * np.clip(rng.normal(0, 1, n), -2.2, 2.2)
        if f == "school_bus":
            z = z + 2.6 * ~town
        logits[f] = z
        fixed[f] = expit(z)
    cols: dict[str, object] = {
        "school_id": np.repeat(schools["school_id"].to_numpy(), len(years)),
        "year": np.tile(np.asarray(years, dtype=np.int64), n),
    }
    for f, z in logits.items():
        zy = np.repeat(z, len(years)) + rng.normal(0, 0.12, n * len(years))
        cols[f] = np.round(expit(zy), 4)
    context = pd.DataFrame(cols)
    context["school_id"] = context["school_id"].astype("str")
    return w, fixed, context

"""Comparison groups of schools and the canonical ``schools`` table of a ФИС ОКО import.

:func:`school_groups` derives each school's comparison group from its answers
to the context questionnaire; :func:`fisoko_schools` joins the registry and
the questionnaire into the ``schools`` table, with the groups.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .common import canonical_school_id
from .context import FisOkoContext

__all__ = ["fisoko_schools", "school_groups"]

_DEEP_NAME = re.compile(r"гимнази|лице[йяюе]|кадет", re.IGNORECASE)


def school_groups(
    features: pd.DataFrame,
    *,
    small_rural_max: int = 100,
    deep_from_senior: bool = False,
) -> pd.DataFrame:
    """Derive the comparison group of every school from its context features.

    Groups (ХМАО seed; the first that applies wins):

    1. «ОВЗ» — a separate organisation for pupils on adapted programmes
       (q17.2 «Да»).
    2. «углублённая» — deepened study of subjects from grades 1–4 or 5–9
       (q19.2 or q19.3 «Да»), or «гимназия», «лицей», «кадетская» in the name.
       Deepened study in grades 10–11 only (q19.4) is profile education that
       most secondary schools have, so it counts only with
       ``deep_from_senior=True``.
    3. «малокомплектная сельская» — a rural locality (q14, answer 4) and at
       most ``small_rural_max`` pupils (q20).
    4. «обычная» — none of these.

    The threshold of a small school is set by each region (273-ФЗ «Об
    образовании в РФ», ст. 99, ч. 4 leaves the criteria to the regions, and
    their laws differ); the default of 100 pupils is the traditional upper
    bound for a small rural secondary school. Set ``small_rural_max`` to
    your region's criterion.

    Parameters
    ----------
    features : DataFrame
        ``read_fisoko_context(...).features`` (needs ``school_id``,
        ``aop_separate``, ``deep_primary``, ``deep_basic``, ``deep_senior``,
        ``locality``, ``pupils``; names in ``name_full``/``name_short``/``name``
        are used when present).
    small_rural_max : int
        Largest enrolment of a «малокомплектная сельская» school.
    deep_from_senior : bool
        Whether deepened study in grades 10–11 only makes a school
        «углублённая».

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``group``, ``group_reason`` (why, in Russian).

    Examples
    --------
    >>> f = pd.DataFrame({"school_id": ["a", "b", "c", "d"],
    ...                   "aop_separate": [True, False, False, False],
    ...                   "deep_primary": [False, True, False, False],
    ...                   "deep_basic": [False, False, False, False],
    ...                   "deep_senior": [False, False, True, True],
    ...                   "locality": ["город", "город", "село", "село"],
    ...                   "pupils": [80, 900, 45, 300]})
    >>> school_groups(f)["group"].tolist()
    ['ОВЗ', 'углублённая', 'малокомплектная сельская', 'обычная']
    """
    if not isinstance(small_rural_max, (int, np.integer)) or small_rural_max < 0:
        raise ValueError(
            f"Параметр `small_rural_max` должен быть целым числом ≥ 0, передано {small_rural_max!r}"
        )

    def flag(col: str) -> pd.Series:
        if col not in features.columns:
            return pd.Series(False, index=features.index)
        return features[col].astype("boolean").fillna(False).astype(bool)

    names = pd.Series("", index=features.index, dtype="str")
    for col in ("name", "name_full", "name_short"):
        if col in features.columns:
            names = names + " " + features[col].fillna("").astype("str")
    by_name = names.str.contains(_DEEP_NAME)
    ovz = flag("aop_separate")
    deep = flag("deep_primary") | flag("deep_basic") | (flag("deep_senior") & deep_from_senior)
    pupils = (
        features["pupils"].astype("Float64")
        if "pupils" in features.columns
        else pd.Series(pd.NA, index=features.index, dtype="Float64")
    )
    rural = (
        features["locality"].eq("село").fillna(False)
        if "locality" in features.columns
        else pd.Series(False, index=features.index)
    )
    small = rural & (pupils <= small_rural_max).fillna(False).astype(bool)
    known = pd.Series(True, index=features.index)
    for col in ("locality", "pupils"):  # q17.2 is skipped when q17.1 is «Нет»: that is «Нет»
        if col in features.columns:
            known &= features[col].notna()
    group = np.select(
        [ovz, deep | by_name, small], ["ОВЗ", "углублённая", "малокомплектная сельская"], "обычная"
    )
    reason = np.select(
        [ovz, deep, by_name, small],
        [
            "отдельная организация, обучающая по АОП (вопрос 17.2)",
            "углублённое изучение предметов с начальной или основной школы (вопросы 19.2–19.3)"
            + (" или только в 10–11 классах (19.4)" if deep_from_senior else ""),
            "гимназия, лицей или кадетская школа (по названию)",
            "сельский населённый пункт (вопрос 14), обучающихся "
            + pupils.astype("str").str.removesuffix(".0").fillna("")
            + f" ≤ {small_rural_max} "
            "(вопрос 20)",
        ],
        "нет признаков других групп",
    )
    unknown = ~known & (group == "обычная")
    group = np.where(unknown, None, group)
    reason = np.where(unknown, "нет ответов анкеты на вопросы 14 или 20", reason)
    return pd.DataFrame(
        {
            "school_id": features["school_id"].astype("str"),
            "group": pd.Series(group, dtype="str"),
            "group_reason": pd.Series(reason, dtype="str"),
        }
    )


def fisoko_schools(
    registry: pd.DataFrame,
    context: FisOkoContext | pd.DataFrame | None = None,
    *,
    small_rural_max: int = 100,
    deep_from_senior: bool = False,
) -> pd.DataFrame:
    """The canonical ``schools`` table: registry and context together.

    Every school of the registry and of the context questionnaire is kept.
    ``name`` and ``municipality`` come from the registry; for a school that is
    only in the questionnaire, the name is its short name and the
    municipality is the questionnaire's («reg22_m056 | Целинный
    муниципальный район» → the text after « | »), translated to the
    registry's spelling («Целинный район») when the schools the two files
    share show which registry name it is. ``group`` comes from
    :func:`school_groups`.

    Parameters
    ----------
    registry : DataFrame
        :func:`read_fisoko_registry`.
    context : FisOkoContext or DataFrame, optional
        :func:`read_fisoko_context` (or its ``features``).
    small_rural_max, deep_from_senior
        Passed to :func:`school_groups`.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``municipality``, ``group``, ``locality`` and
        the context features (see :func:`read_fisoko_context`) plus
        ``group_reason``, ``in_registry``, ``in_context``.

    Examples
    --------
    >>> reg = pd.DataFrame({"school_id": ["sch1", "sch2"], "name": ["СОШ 1", "СОШ 2"],
    ...                     "municipality": ["Целинный район"] * 2})
    >>> ctx = pd.DataFrame({"school_id": ["sch2", "sch3"], "name_short": ["СОШ 2", "ООШ 3"],
    ...                     "municipality_context": ["Целинный муниципальный район"] * 2,
    ...                     "locality": ["село", "село"], "pupils": [300, 40],
    ...                     "aop_separate": [False, False]})
    >>> out = fisoko_schools(reg, ctx)
    >>> out["municipality"].tolist()
    ['Целинный район', 'Целинный район', 'Целинный район']
    >>> out["group"].fillna("нет данных").tolist()
    ['нет данных', 'обычная', 'малокомплектная сельская']
    """
    reg = registry[["school_id", "name", "municipality"]].copy()
    reg["school_id"] = canonical_school_id(reg["school_id"])
    features = context.features if isinstance(context, FisOkoContext) else context
    if features is None or len(features) == 0:
        out = reg.assign(
            group=pd.Series(None, index=reg.index, dtype="str"),
            locality=pd.Series(None, index=reg.index, dtype="str"),
            in_registry=True,
            in_context=False,
        )
        return out.sort_values("school_id").reset_index(drop=True)
    f = features.copy()
    f["school_id"] = canonical_school_id(f["school_id"])
    groups = school_groups(
        f.assign(name=f["school_id"].map(dict(zip(reg["school_id"], reg["name"], strict=True)))),
        small_rural_max=small_rural_max,
        deep_from_senior=deep_from_senior,
    )
    f = f.merge(groups, on="school_id", how="left")
    out = reg.merge(f, on="school_id", how="outer", indicator=True)
    out["in_registry"] = out["_merge"].isin(["both", "left_only"])
    out["in_context"] = out["_merge"].isin(["both", "right_only"])
    out = out.drop(columns="_merge")
    if "municipality_context" in out.columns:
        both = out[out["in_registry"] & out["in_context"]]
        names = both.groupby("municipality_context")["municipality"].agg(
            lambda s: s.value_counts().index[0]
        )
        mapped = out["municipality_context"].map(names)
        guess = mapped.where(mapped.notna(), out["municipality_context"])
        out["municipality"] = out["municipality"].where(out["municipality"].notna(), guess)
    if "name_short" in out.columns:
        out["name"] = out["name"].where(out["name"].notna(), out["name_short"])
    out["name"] = out["name"].where(out["name"].notna(), out["school_id"])
    first = ["school_id", "name", "municipality", "group", "locality"]
    rest = [c for c in out.columns if c not in first]
    out = out[first + rest].sort_values("school_id").reset_index(drop=True)
    for c in ("school_id", "name", "municipality", "group", "locality", "municipality_context"):
        if c in out.columns:
            out[c] = out[c].astype("str")
    out["group_reason"] = out["group_reason"].fillna("школы нет в анкете контекстных данных")
    return out

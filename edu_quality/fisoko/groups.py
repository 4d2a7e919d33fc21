"""Comparison groups of schools and the canonical ``schools`` table of a ФИС ОКО import.

:func:`school_groups` derives each school's comparison group from its answers
to the context questionnaire; :func:`fisoko_schools` joins the registry and
the questionnaire into the ``schools`` table, with the groups.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Problem
from ..io.limits import ReadLimits
from ..io.load import load
from ..schema import SCHOOLS, Column, TableSpec
from .common import NOTE, QUALITY_COLUMNS, canonical_school_id, empty_quality
from .context import FisOkoContext

__all__ = [
    "GROUP_OVERRIDES",
    "SET_BY_METHODOLOGIST",
    "apply_group_overrides",
    "fisoko_schools",
    "group_notes",
    "ovz_by_name",
    "read_group_overrides",
    "school_groups",
]

_DEEP_NAME = re.compile(r"гимнази|лице[йяюе]|кадет", re.IGNORECASE)
_OVZ_NAME = re.compile(
    r"(коррекционн\w*|с ограниченными возможностями здоровья|(?<!\w)с ОВЗ(?!\w)"
    r"|(?<!\w)[IVX]{1,4} вида(?!\w)|(?<!\w)АОП(?!\w)|адаптированн\w*)",
    re.IGNORECASE,
)


def ovz_by_name(names: pd.Series) -> pd.Series:
    """The words of a school's name that make it a separate school for pupils on АОП.

    «коррекционная» («специальная (коррекционная)»), «с ограниченными
    возможностями здоровья» or «с ОВЗ», «… VIII вида» (a Roman numeral before
    «вида»), «АОП», «адаптированн…» (programmes). «специальная» alone is not
    one: «специальная общеобразовательная школа закрытого типа» is for
    pupils with deviant behaviour. Spaces and line breaks are folded first.

    Parameters
    ----------
    names : Series of str
        The names (registry name and the questionnaire's full and short
        names, joined).

    Returns
    -------
    Series of str
        The words found (the first), missing when none.

    Examples
    --------
    >>> ovz_by_name(pd.Series(["КГБОУ для обучающихся с ограниченными возможностями "
    ...                        "здоровья «Бийская школа-интернат»", "МБОУ СОШ № 34",
    ...                        "специальная (коррекционная) школа-интернат VIII вида"])).tolist()
    ['с ограниченными возможностями здоровья', nan, 'коррекционная']
    """
    folded = names.fillna("").astype("str").str.replace(r"\s+", " ", regex=True)
    return folded.str.extract(_OVZ_NAME, expand=False)


def school_groups(
    features: pd.DataFrame,
    *,
    small_rural_max: int = 100,
    deep_from_senior: bool = False,
) -> pd.DataFrame:
    """Derive the comparison group of every school from its context features.

    Groups (ХМАО seed; the first that applies wins):

    1. «ОВЗ» — a separate school for pupils on adapted programmes (АОП): its
       name says so (:func:`ovz_by_name`: «коррекционная», «для обучающихся
       с ограниченными возможностями здоровья», «… VIII вида», «АОП»…) **and**
       the questionnaire agrees, q17.2 «ОО является отдельной организацией,
       осуществляющей образовательную деятельность по АОП (например,
       специальной (коррекционной) ОО)» «Да». Neither alone is enough: on the
       real Altai questionnaire of 2022 the 12 schools with ВПР results that
       answer q17.2 «Да» are ordinary secondary schools (one of 1 351 pupils)
       that teach some pupils on АОП, 11 of them together with the others
       (q17.4 «Образование обучающихся по АОП организовано совместно с другими
       обучающимися» «Да»); the 30 special schools (every one of them named
       «для обучающихся … с ограниченными возможностями здоровья») answer
       q17.2 «Да», and 28 of them q17.4 «Нет». q17.4 «Да» does not undo a
       special school that both its name and q17.2 confirm (its pupils on
       different АОП variants learn together); the reason says so. A school
       whose name says ОВЗ but q17.2 does not (or is not answered) is not
       «ОВЗ» either; :func:`group_notes` lists both disagreements.
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
        ``locality``, ``pupils``; ``aop_inclusive``, ``locality_type_code``
        and the names in ``name``/``name_full``/``name_short`` are used when
        present).
    small_rural_max : int
        Largest enrolment of a «малокомплектная сельская» school.
    deep_from_senior : bool
        Whether deepened study in grades 10–11 only makes a school
        «углублённая».

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``group``, ``group_reason`` (why, in Russian, naming
        the answers of the questionnaire and the words of the name used).

    Examples
    --------
    >>> f = pd.DataFrame({"school_id": ["a", "b", "c", "d", "e"],
    ...                   "name": ["КГБОУ для обучающихся с ОВЗ «Школа-интернат»", "Гимназия 1",
    ...                            "ООШ", "СОШ", "СОШ № 34"],
    ...                   "aop_separate": [True, False, False, False, True],
    ...                   "aop_inclusive": [False, True, True, True, True],
    ...                   "deep_primary": [False, True, False, False, False],
    ...                   "deep_basic": [False, False, False, False, False],
    ...                   "deep_senior": [False, False, True, True, False],
    ...                   "locality": ["город", "город", "село", "село", "город"],
    ...                   "pupils": [80, 900, 45, 300, 1351]})
    >>> g = school_groups(f)
    >>> g["group"].tolist()
    ['ОВЗ', 'углублённая', 'малокомплектная сельская', 'обычная', 'обычная']
    >>> g["group_reason"].iloc[0]
    'отдельная школа для обучающихся по АОП: в названии «с ОВЗ», вопрос 17.2 «Да», 17.4 «Нет»'
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
    ovz_words = ovz_by_name(names)
    ovz = ovz_words.notna() & flag("aop_separate")
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
    answers = _answers(features, pupils)
    reason = np.select(
        [ovz, deep, by_name, small],
        [
            "отдельная школа для обучающихся по АОП: в названии «"
            + ovz_words.fillna("")
            + "», вопрос 17.2 "
            + answers["17.2"]
            + ", 17.4 "
            + answers["17.4"],
            "углублённое изучение предметов с начальной или основной школы (вопросы 19.2 "
            + answers["19.2"]
            + ", 19.3 "
            + answers["19.3"]
            + (", 19.4 " + answers["19.4"] if deep_from_senior else "")
            + ")",
            "гимназия, лицей или кадетская школа (по названию)",
            "сельский населённый пункт (вопрос 14, ответ "
            + answers["14"]
            + "), обучающихся "
            + answers["20"]
            + f" ≤ {small_rural_max} (вопрос 20)",
        ],
        "нет признаков других групп: вопрос 14, ответ "
        + answers["14"]
        + "; обучающихся "
        + answers["20"]
        + " (вопрос 20); 17.2 "
        + answers["17.2"]
        + "; 19.2 "
        + answers["19.2"]
        + ", 19.3 "
        + answers["19.3"],
    )
    reason = pd.Series(reason, index=features.index, dtype="str")
    not_by_name = flag("aop_separate") & ovz_words.isna()
    reason = reason.where(
        ~not_by_name,
        reason + "; ответ «Да» на вопрос 17.2 (отдельная организация по АОП) не учтён: по названию "
        "это не отдельная школа для обучающихся с ОВЗ, 17.4 " + answers["17.4"],
    )
    not_by_answer = ovz_words.notna() & ~flag("aop_separate")
    reason = reason.where(
        ~not_by_answer,
        reason
        + "; по названию («"
        + ovz_words.fillna("")
        + "») — школа для обучающихся с ОВЗ, но на вопрос 17.2 ответ "
        + answers["17.2"]
        + ": группа «ОВЗ» не присвоена",
    )
    unknown = ~known & (group == "обычная")
    group = np.where(unknown, None, group)
    reason = reason.where(~unknown, "нет ответов анкеты на вопросы 14 или 20")
    return pd.DataFrame(
        {
            "school_id": features["school_id"].astype("str"),
            "group": pd.Series(group, index=features.index, dtype="str"),
            "group_reason": reason.astype("str"),
        }
    ).reset_index(drop=True)


def _answers(features: pd.DataFrame, pupils: pd.Series) -> dict[str, pd.Series]:
    """The answers behind the groups, as a reason quotes them («Да», «Нет», «нет ответа»)."""
    out: dict[str, pd.Series] = {}
    for qid, col, parent, parent_col in (
        ("17.2", "aop_separate", "17.1", "aop"),
        ("17.4", "aop_inclusive", "17.1", "aop"),
        ("19.2", "deep_primary", "19.1", "deep_study"),
        ("19.3", "deep_basic", "19.1", "deep_study"),
        ("19.4", "deep_senior", "19.1", "deep_study"),
    ):
        if col in features.columns:
            v = features[col].astype("boolean")
            text = v.map({True: "«Да»", False: "«Нет»"}, na_action="ignore").astype("object")
            if parent_col in features.columns:  # skipped after «Нет» to the parent question
                no = features[parent_col].astype("boolean").eq(False).fillna(False).astype(bool)
                text = text.where(text.notna() | ~no, f"нет ({parent} «Нет»)")
            out[qid] = text.fillna("нет ответа").astype("str")
        else:
            out[qid] = pd.Series("нет ответа", index=features.index, dtype="str")
    code = (
        features["locality_type_code"].astype("Int64").astype("str").str.removesuffix(".0")
        if "locality_type_code" in features.columns
        else pd.Series(pd.NA, index=features.index, dtype="str")
    )
    locality = (
        features["locality"].astype("str")
        if "locality" in features.columns
        else pd.Series(pd.NA, index=features.index, dtype="str")
    )
    out["14"] = (
        code.where(code.notna() & (code != "<NA>"), "")
        .str.cat(locality.fillna("нет ответа"), sep=" — ")
        .str.removeprefix(" — ")
    )
    out["20"] = pupils.astype("str").str.removesuffix(".0").fillna("нет ответа")
    out["20"] = out["20"].where(out["20"] != "<NA>", "нет ответа")
    return out


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


#: The methodologist's own groups (``--groups FILE``): one row per school.
GROUP_OVERRIDES = TableSpec(
    "group_overrides",
    (
        SCHOOLS.column("school_id"),
        replace(SCHOOLS.column("group"), required=True),
        Column(
            "reason",
            "text",
            aliases=("причина", "основание", "обоснование", "комментарий", "примечание"),
            label="Причина",
        ),
    ),
    key=("school_id",),
    description="one row per school whose comparison group a methodologist sets",
)

#: The reason of a group set by a methodologist.
SET_BY_METHODOLOGIST = "задано методистом"


def read_group_overrides(path: str | Path, *, limits: ReadLimits | None = None) -> pd.DataFrame:
    r"""Read a methodologist's own comparison groups (CSV, XLSX or Parquet).

    Columns: the school id («Код ОО», «логин»…; ``edu…`` and ``sch…`` logins
    are the same school), the group (one of the groups of
    :data:`edu_quality.schema.GROUPS`: обычная, углублённая, малокомплектная
    сельская, ОВЗ, with their synonyms) and, optionally, a reason.

    Parameters
    ----------
    path : str or Path
    limits : ReadLimits, optional
        How large the file may be (:class:`edu_quality.io.ReadLimits`).

    Returns
    -------
    pandas.DataFrame
        ``school_id`` (canonical), ``group``, ``group_reason`` («задано
        методистом», with the file's reason after a colon), ``row`` (the row
        in the file).

    Raises
    ------
    DataError
        A missing column, an unknown group, an empty or repeated school id —
        naming the file, the row and the column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "groups.csv"
    >>> _ = p.write_text("логин;группа;причина\nedu220198;обычная;инклюзия, не отдельная школа\n",
    ...                  encoding="utf-8")
    >>> read_group_overrides(p)[["school_id", "group", "group_reason"]].values.tolist()
    [['sch220198', 'обычная', 'задано методистом: инклюзия, не отдельная школа']]
    """
    loaded = load(path, [GROUP_OVERRIDES], limits=limits)
    t = loaded.table
    reason = t["reason"].astype("str").str.strip()
    given = reason.notna() & (reason != "")
    return pd.DataFrame(
        {
            "school_id": canonical_school_id(t["school_id"].astype("str")),
            "group": t["group"].astype("str"),
            "group_reason": pd.Series(SET_BY_METHODOLOGIST, index=t.index, dtype="str").where(
                ~given, SET_BY_METHODOLOGIST + ": " + reason
            ),
            "row": pd.array(loaded.rows, dtype="Int64"),
        }
    )


def apply_group_overrides(
    schools: pd.DataFrame, overrides: pd.DataFrame, file: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Replace the derived groups by a methodologist's own (:func:`read_group_overrides`).

    Parameters
    ----------
    schools : DataFrame
        The ``schools`` table (:func:`fisoko_schools`).
    overrides : DataFrame
        :func:`read_group_overrides`.
    file : str
        Its file name, for the messages.

    Returns
    -------
    schools : DataFrame
        With ``group`` and ``group_reason`` replaced for the schools listed.
    quality : DataFrame
        A note per school whose group changed («группа «ОВЗ» заменена на
        «обычная»»), in :data:`~edu_quality.fisoko.common.QUALITY_COLUMNS`.

    Raises
    ------
    DataError
        A school of the file that is neither in the registry nor in the
        results (file, row, column).

    Examples
    --------
    >>> schools = pd.DataFrame({"school_id": ["sch1", "sch2"], "group": ["ОВЗ", "обычная"],
    ...                         "group_reason": ["вопрос 17.2 «Да»", "нет признаков"]})
    >>> o = pd.DataFrame({"school_id": ["sch1"], "group": ["обычная"],
    ...                   "group_reason": ["задано методистом"], "row": [2]})
    >>> s, q = apply_group_overrides(schools, o, "groups.csv")
    >>> s["group"].tolist(), q["problem"].tolist()
    (['обычная', 'обычная'], ['группа «ОВЗ» (вопрос 17.2 «Да») заменена на «обычная»'])
    """
    known = set(schools["school_id"])
    missing = ~overrides["school_id"].isin(known)
    if missing.any():
        raise DataError(
            file,
            [
                Problem(
                    int(r.row),
                    "Код ОО",
                    f"школы «{r.school_id}» нет ни в реестре, ни в результатах",
                )
                for r in overrides.loc[missing].itertuples(index=False)
            ],
        )
    by_id = overrides.set_index("school_id")
    out = schools.copy()
    hit = out["school_id"].isin(by_id.index)
    ids = out.loc[hit, "school_id"]
    old_group = out.loc[hit, "group"].astype("object").fillna("нет")
    old_reason = out.loc[hit, "group_reason"].astype("object").fillna("")
    new_group = ids.map(by_id["group"])
    out.loc[hit, "group"] = new_group
    out.loc[hit, "group_reason"] = ids.map(by_id["group_reason"])
    changed = (old_group != new_group).to_numpy()
    quality = pd.DataFrame(
        {
            "file": file,
            "row": pd.array(ids.map(by_id["row"]).to_numpy()[changed], dtype="Int64"),
            "column": "Группа",
            "value": new_group.to_numpy()[changed],
            "problem": [
                f"группа «{g}» ({r}) заменена на «{n}»"
                for g, r, n in zip(
                    old_group.to_numpy()[changed],
                    old_reason.to_numpy()[changed],
                    new_group.to_numpy()[changed],
                    strict=True,
                )
            ],
            "action": SET_BY_METHODOLOGIST,
            "severity": NOTE,
            "school_id": ids.to_numpy()[changed],
        },
        columns=QUALITY_COLUMNS,
    )
    return out, quality


def group_notes(schools: pd.DataFrame, file: str) -> pd.DataFrame:
    """Notes of the data-quality report where the name and q17.2 disagree about «ОВЗ».

    Parameters
    ----------
    schools : DataFrame
        :func:`fisoko_schools` (``aop_separate``, the names and ``group_reason``).
    file : str
        The questionnaire's file name.

    Returns
    -------
    pandas.DataFrame
        One note per school (:data:`~edu_quality.fisoko.common.QUALITY_COLUMNS`):
        q17.2 «Да» for a school not named as a separate АОП school, or a name
        that says so with q17.2 not «Да»; ``problem`` is the group's reason.

    Examples
    --------
    >>> s = pd.DataFrame({"school_id": ["a"], "name": ["МБОУ СОШ № 34"], "group": ["обычная"],
    ...                   "aop_separate": [True], "group_reason": ["…; ответ «Да» … не учтён"]})
    >>> group_notes(s, "context.xlsx")[["column", "value", "action"]].values.tolist()
    [['17.2', 'Да', 'группа «ОВЗ» не присвоена']]
    """
    if "aop_separate" not in schools.columns:
        return empty_quality()
    names = pd.Series("", index=schools.index, dtype="str")
    for col in ("name", "name_full", "name_short"):
        if col in schools.columns:
            names = names + " " + schools[col].fillna("").astype("str")
    named = ovz_by_name(names).notna()
    yes = schools["aop_separate"].astype("boolean").fillna(False).astype(bool)
    bad = (named ^ yes).to_numpy() & (schools["group"].astype("object") != "ОВЗ").to_numpy()
    rows = schools.loc[bad]
    return pd.DataFrame(
        {
            "file": file,
            "row": pd.array([pd.NA] * len(rows), dtype="Int64"),
            "column": "17.2",
            "value": np.where(yes.to_numpy()[bad], "Да", "Нет или нет ответа"),
            "problem": rows["group_reason"].astype("str").to_numpy(),
            "action": "группа «ОВЗ» не присвоена",
            "severity": NOTE,
            "school_id": rows["school_id"].astype("str").to_numpy(),
        },
        columns=QUALITY_COLUMNS,
    )

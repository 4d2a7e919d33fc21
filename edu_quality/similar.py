"""Families of similar schools, and partner schools for the ШНОР.

A school's *family* is the ``k`` schools of the region whose conditions are
closest to its own: social context, size, type of locality, comparison group
and prior results. Families are for comparison and support — «Школы в похожих
условиях», «С кем обменяться опытом» in the school report — never a ranking.
The Ханты-Мансийск seed tracks schools leaving the list through networking
between schools; the ХМАО model pairs schools with tutors: a partner of a ШНОР
is a school of its family that does better than expected in the same
conditions.

Features (the ``on`` parameter of :func:`similar_schools`) and default weights:

======== ===== =============================================================
feature  weight what
======== ===== =============================================================
context  2     the social well-being index (:func:`edu_quality.social_index`)
               of the ``context`` table; without one, the questionnaire's
               school features in the registry (settlement size, transport
               access), the weight shared between them
size     1     log of the pupils (registry ``pupils``, else enrolment, else
               the year's participants)
locality 1     город / село: 0 when equal, ``mismatch`` (2) when not
prior    1     the composite result of the year before; failing that, of the
               earlier session of the same year (the autumn ВПР)
======== ===== =============================================================

The comparison group (обычная, углублённая, малокомплектная сельская, ОВЗ) is
required equal by default (``group="same"``), as the lists compare schools
within their group; ``group="weighted"`` makes it a feature like locality
(weight 1).

**Distance.** Each numeric feature is put on a robust z-scale over the schools
with results in the year: (x − median) / (1,4826 · MAD) (the standard deviation
when the MAD is 0; a constant feature is left out, said in ``attrs["notes"]``).
The distance between schools *i* and *j* is the weighted Euclidean distance

    d(i, j) = √( Σ_f w_f · Δ_f² ),  Δ_f = z_if − z_jf,

where a feature unknown for either school counts as a difference of
``missing_penalty`` robust SD (default 1: a typical difference, neither
close nor far) — so a school with little data is not made everyone's nearest
neighbour, and is still given a family. The share of d² each feature makes is
returned (``share_<feature>``), with the features in words.

**No geography.** The data hold no map of municipalities: «a neighbouring
municipality» cannot be known. Partners from the school's own municipality
come first, then the others, nearest first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_option, check_positive
from ._russian import decimal
from ._stats import norm_ppf
from .dataset import Dataset
from .exam_years import AUTUMN
from .identify import composite_results, school_summaries

__all__ = [
    "FEATURES",
    "WEIGHTS",
    "family_results",
    "partner_schools",
    "registry_extras",
    "similar_schools",
]

#: Features of :func:`similar_schools`, in order.
FEATURES = ("context", "size", "locality", "prior")
#: Default weights of the features (and of the group when ``group="weighted"``).
WEIGHTS = {"context": 2.0, "size": 1.0, "locality": 1.0, "prior": 1.0, "group": 1.0}
#: Registry columns of the ФИС ОКО context questionnaire used when there is no context table.
QUESTIONNAIRE = {
    "settlement_size_code": "размер населённого пункта",
    "transport_code": "транспортная доступность",
}
#: A difference in robust SD below which two schools are «близки» in a feature.
CLOSE = 0.5
_SHNOR = ("ШНОР", "ШНОР и ШНСУ")
#: «Близкий» agreeing with the feature's noun.
_CLOSE_WORD = {"число учеников": "близкое", "транспортная доступность": "близкая"}
_LABEL = {
    "context": "индекс социального благополучия",
    "size": "число учеников",
    "locality": "тип местности",
    "prior": "прошлый результат",
    "group": "группа сравнения",
}


def _robust_z(x: pd.Series) -> pd.Series | None:
    """(x − median) / (1,4826·MAD), the SD when the MAD is 0; None for a constant feature."""
    v = x.astype("float64")
    med = v.median()
    scale = 1.4826 * (v - med).abs().median()
    if not scale > 0:
        scale = v.std()
    if not scale > 0:
        return None
    return (v - med) / scale


def _context_year(context: pd.DataFrame, year: int) -> int | None:
    """The latest context year not after ``year``, else the earliest (the report's rule)."""
    if context.empty:
        return None
    years = sorted(int(y) for y in context["year"].unique())
    before = [y for y in years if y <= year]
    return before[-1] if before else years[0]


def registry_extras(dataset: Dataset, columns: Sequence[str]) -> pd.DataFrame:
    """Registry columns beyond the data model (the questionnaire's, written by the import).

    :func:`edu_quality.load_dataset` keeps the data model's school columns; the ФИС
    ОКО import also writes the questionnaire's answers (``pupils``,
    ``settlement_size_code``, ``transport_code``…) into ``schools.parquet``. The
    columns of ``columns`` found in ``dataset.schools`` or in that file, by ``school_id``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> registry_extras(load_dataset(sample_folder("region")), ["pupils"]).columns.tolist()
    ['school_id']
    """
    s = dataset.schools
    have = [c for c in columns if c in s.columns]
    out = s[["school_id", *have]].copy()
    path = dataset.folder / "schools.parquet"
    rest = [c for c in columns if c not in have]
    if rest and path.is_file():
        import pyarrow.parquet as pq

        names = set(pq.read_schema(path).names)
        more = [c for c in rest if c in names]
        if more and "school_id" in names:
            extra = pd.read_parquet(path, columns=["school_id", *more])
            extra["school_id"] = extra["school_id"].astype("str")
            out = out.astype({"school_id": "str"}).merge(extra, on="school_id", how="left")
    return out


def _context_features(dataset: Dataset, year: int) -> tuple[pd.DataFrame, dict]:
    """Raw context features by school (columns named ``context:…``) and what they are."""
    from .index import default_factors, social_index

    ctx = dataset.context
    factors = [c for c in ctx.columns if c not in ("school_id", "year")]
    cy = _context_year(ctx, year) if factors else None
    if cy is not None:
        part = ctx.loc[ctx["year"] == cy]
        si = social_index(part, default_factors(part))
        t = si.table[["school_id", "index_z"]].rename(columns={"index_z": "context:index"})
        return t, {
            "context_year": cy,
            "context_source": f"индекс социального благополучия, {cy} г.",
        }
    s = registry_extras(dataset, [*QUESTIONNAIRE, "locality"])
    cols = [c for c in QUESTIONNAIRE if c in s.columns]
    if not cols:
        return pd.DataFrame(columns=["school_id"]), {"context_year": None, "context_source": ""}
    t = s[["school_id"]].copy()
    for c in cols:
        t[f"context:{c}"] = pd.to_numeric(s[c], errors="coerce").astype("float64")
    if "transport_code" in cols and "locality" in s.columns:
        # towns leave the transport question empty: a town is not remote (code 1)
        town = (s["locality"] == "город") & t["context:transport_code"].isna()
        t.loc[town, "context:transport_code"] = 1.0
    return t, {
        "context_year": None,
        "context_source": "признаки школы из анкеты контекстных данных: "
        + ", ".join(QUESTIONNAIRE[c] for c in cols),
    }


def _size(dataset: Dataset, year: int, comp: pd.DataFrame) -> tuple[pd.Series, str]:
    s = registry_extras(dataset, ["pupils"])
    if "pupils" in s.columns and pd.to_numeric(s["pupils"], errors="coerce").notna().any():
        v = pd.to_numeric(s["pupils"], errors="coerce").set_axis(s["school_id"])
        return v, "число учеников (реестр)"
    e = dataset.enrolment
    if len(e):
        y = _context_year(e, year)
        v = e.loc[e["year"] == y].groupby("school_id")["pupils"].sum()
        return v, f"контингент {y} г."
    now = comp.loc[comp["year"] == year]  # one row per school and year
    return now.set_index("school_id")["participants"], f"участники работ {year} г."


def _prior(summary: pd.DataFrame, comp: pd.DataFrame, year: int) -> tuple[pd.Series, str]:
    """The composite of the year before, else of the autumn session of the year; empty if none."""
    before = comp.loc[comp["year"] == year - 1]
    if len(before):
        return before.set_index("school_id")["composite"], f"составной результат {year - 1} г."
    if "session" in summary.columns:
        autumn = summary.loc[(summary["year"] == year) & (summary["session"] == AUTUMN)]
        spring = summary.loc[(summary["year"] == year) & (summary["session"] != AUTUMN)]
        if len(autumn) and len(spring):
            c = composite_results(autumn)
            return c.set_index("school_id")["composite"], f"осенние работы {year} г."
    return pd.Series(dtype="float64"), ""


def _feature_table(
    dataset: Dataset, year: int, on: Sequence[str], min_n: int
) -> tuple[pd.DataFrame, dict]:
    """One row per school with results in ``year``: raw features, group, municipality."""
    summary = school_summaries(dataset, min_n=min_n)
    if year not in set(summary["year"]):
        raise ValueError(
            f"Параметр `year`: нет результатов за {year} год "
            f"(есть: {sorted(summary['year'].unique().tolist())})"
        )
    comp = composite_results(summary)
    now = comp.loc[comp["year"] == year, ["school_id", "composite", "participants"]]
    reg = dataset.schools[["school_id", "municipality"]].copy()
    reg["group"] = dataset.schools.get("group", pd.Series(index=reg.index, dtype="object"))
    reg["locality"] = dataset.schools.get("locality", pd.Series(index=reg.index, dtype="object"))
    t = now.merge(reg, on="school_id", how="left")
    t["group"] = t["group"].astype("object").fillna("обычная")
    info: dict = {"context_year": None, "context_source": "", "size_source": "", "prior_source": ""}
    if "context" in on:
        ctx, more = _context_features(dataset, year)
        info.update(more)
        t = t.merge(ctx, on="school_id", how="left")
    if "size" in on:
        v, info["size_source"] = _size(dataset, year, comp)
        t["size:pupils"] = t["school_id"].map(v).astype("float64")
    if "prior" in on:
        v, info["prior_source"] = _prior(summary, comp, year)
        t["prior:composite"] = t["school_id"].map(v).astype("float64")
    return t.reset_index(drop=True), info


def _validate(k, on, group, weights, missing_penalty, mismatch) -> dict:
    check_positive("k", k, integer=True)
    if isinstance(on, str) or not len(on):
        raise ValueError(f"Параметр `on` должен быть непустым списком из {list(FEATURES)}")
    for f in on:
        check_option("on", f, FEATURES)
    check_option("group", group, ("same", "weighted", "ignore"))
    check_positive("missing_penalty", missing_penalty)
    check_positive("mismatch", mismatch)
    w = dict(WEIGHTS)
    for name, v in (weights or {}).items():
        check_option("weights", name, tuple(WEIGHTS))
        check_positive(f"weights[{name!r}]", v)
        w[name] = float(v)
    return w


def similar_schools(
    dataset: Dataset,
    year: int,
    *,
    k: int = 20,
    on: Sequence[str] = FEATURES,
    group: str = "same",
    weights: Mapping[str, float] | None = None,
    missing_penalty: float = 1.0,
    mismatch: float = 2.0,
    min_n: int = 5,
) -> pd.DataFrame:
    """The ``k`` most similar schools of each school with results in ``year``.

    Parameters
    ----------
    dataset : Dataset
    year : int
        The school year (calendar year of its end).
    k : int
        Family size (fewer when the group has fewer schools).
    on : sequence of str
        Features among :data:`FEATURES` (see the module's notes).
    group : {"same", "weighted", "ignore"}
        ``same``: a family lies within the school's comparison group;
        ``weighted``: a different group adds ``weights["group"] · mismatch²``.
    weights : mapping, optional
        Weights replacing those of :data:`WEIGHTS`.
    missing_penalty : float
        The difference (robust SD) a feature unknown for either school counts as.
    mismatch : float
        The difference (robust SD) of a different locality (or group, when weighted).
    min_n : int
        Small-group threshold of the summaries behind the composite results.

    Returns
    -------
    DataFrame
        One row per school and neighbour: ``school_id``, ``neighbour_id``,
        ``rank`` (1 = nearest), ``distance``, ``municipality``,
        ``neighbour_municipality``, ``same_municipality``, ``share_<feature>``
        (the feature's share of d², for each feature used), ``similar_in`` and
        ``differs_in`` (Russian: what made them similar, what differs).
        ``attrs``: ``features`` (robust-z columns used), ``weights``,
        ``context_year`` (None when the context is the registry's
        questionnaire, which has no year), ``context_source``, ``size_source``,
        ``prior_source``, ``notes`` (Russian), ``values`` (the feature table).

    Raises
    ------
    ValueError
        A parameter outside its values, or no results in ``year``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> f = similar_schools(load_dataset(sample_folder("region")), 2024, k=3)
    >>> f.groupby("school_id")["rank"].max().max(), bool((f["distance"] >= 0).all())
    (np.int64(3), True)
    """
    w = _validate(k, on, group, weights, missing_penalty, mismatch)
    t, info = _feature_table(dataset, year, on, min_n)
    notes: list[str] = []
    z = pd.DataFrame(index=t.index)
    fw: dict[str, float] = {}
    for f in on:
        cols = [c for c in t.columns if c.startswith(f + ":")]
        if f == "locality":
            if t["locality"].notna().any():
                z["locality"] = t["locality"]
                fw["locality"] = w["locality"]
            continue
        usable = []
        for c in cols:
            raw = np.log(t[c].where(t[c] > 0)) if f == "size" else t[c]
            rz = _robust_z(raw)
            if rz is None:
                notes.append(f"признак «{c.split(':', 1)[1]}» одинаков у всех школ: не учтён")
            else:
                usable.append((c, rz))
        for c, rz in usable:
            z[c] = rz
            fw[c] = w[f] / len(usable)
        if not cols:
            notes.append(f"признак «{_LABEL[f]}»: нет данных, не учтён")
    if group == "weighted":
        z["group"] = t["group"]
        fw["group"] = w["group"]
    if not fw:
        raise ValueError("Нет ни одного признака для сравнения школ: параметр `on`, данные")
    out = _neighbours(t, z, fw, k, group, missing_penalty, mismatch)
    out["similar_in"], out["differs_in"] = _words(out, t, z)
    out.attrs.update(info)
    out.attrs.update(features=list(fw), weights=fw, notes=notes, values=t, group=group)
    return out


def _pair_d2(z: pd.DataFrame, fw: dict, rows: np.ndarray, penalty: float, mismatch: float):
    """Per-feature weighted squared differences between ``rows`` and every school."""
    parts = {}
    for c, wc in fw.items():
        col = z[c]
        if c in ("locality", "group"):  # categories: equal or not
            codes = pd.factorize(col.astype("object"))[0].astype("float64")
            codes[codes < 0] = np.nan
            a, b = codes[rows][:, None], codes[None, :]
            diff2 = np.where(a == b, 0.0, mismatch**2)
        else:
            v = col.to_numpy(dtype="float64")
            diff2 = (v[rows][:, None] - v[None, :]) ** 2
            a, b = v[rows][:, None], v[None, :]
        unknown = np.isnan(a) | np.isnan(b)
        parts[c] = wc * np.where(unknown, penalty**2, diff2)
    return parts


def _neighbours(t, z, fw, k, group, penalty, mismatch) -> pd.DataFrame:
    n = len(t)
    groups = t["group"].to_numpy()
    rows_out = []
    for start in range(0, n, 256):  # blocks of rows: memory ∝ 256 · n
        rows = np.arange(start, min(start + 256, n))
        parts = _pair_d2(z, fw, rows, penalty, mismatch)
        d2 = sum(parts.values())
        d2[np.arange(len(rows)), rows] = np.inf
        if group == "same":
            d2 = np.where(groups[rows][:, None] == groups[None, :], d2, np.inf)
        kk = min(k, n - 1)
        if kk < 1:
            break
        idx = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
        for r, i in enumerate(rows):
            near = idx[r][np.argsort(d2[r, idx[r]], kind="stable")]
            near = near[np.isfinite(d2[r, near])]
            if not len(near):
                continue
            total = d2[r, near]
            rec = {
                "school": i,
                "neighbour": near,
                "rank": np.arange(1, len(near) + 1),
                "distance": np.sqrt(total),
            }
            for c in fw:
                with np.errstate(invalid="ignore", divide="ignore"):
                    rec["share_" + c.split(":")[-1]] = np.where(
                        total > 0, parts[c][r, near] / total, 0.0
                    )
            rows_out.append(pd.DataFrame(rec))
    cols = ["school", "neighbour", "rank", "distance", *("share_" + c.split(":")[-1] for c in fw)]
    out = pd.concat(rows_out, ignore_index=True) if rows_out else pd.DataFrame(columns=cols)
    ids, mun = t["school_id"].to_numpy(), t["municipality"].to_numpy()
    school, neighbour = out.pop("school").to_numpy(int), out.pop("neighbour").to_numpy(int)
    out.insert(0, "school_id", ids[school])
    out.insert(1, "neighbour_id", ids[neighbour])
    out["rank"] = out["rank"].astype("int64")
    out["municipality"] = mun[school]
    out["neighbour_municipality"] = mun[neighbour]
    out["same_municipality"] = out["municipality"] == out["neighbour_municipality"]
    out.attrs["positions"] = (school, neighbour)
    return out


def _value_text(c: str, v: float) -> str:
    if c.startswith("size:"):
        return decimal(v, 0)
    if c.startswith("context:") and c != "context:index":
        return decimal(v, 0)
    return decimal(v, 2)


def _words(out: pd.DataFrame, t: pd.DataFrame, z: pd.DataFrame) -> tuple[list[str], list[str]]:
    """«What made them similar» and «what differs», in Russian, for each pair."""
    school, neighbour = out.attrs.pop("positions")
    similar: list[list[str]] = [[] for _ in range(len(out))]
    differs: list[list[str]] = [[] for _ in range(len(out))]
    for c in z.columns:
        a = z[c].to_numpy()[school]
        b = z[c].to_numpy()[neighbour]
        if c not in ("locality", "group"):
            a, b = a.astype("float64"), b.astype("float64")
        feature = c.split(":")[0]
        label = QUESTIONNAIRE.get(c.split(":")[-1], _LABEL.get(feature, c))
        if c in ("locality", "group"):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                if pd.isna(x) or pd.isna(y):
                    continue
                if x == y:
                    similar[i].append(f"{'тот же' if c == 'locality' else 'та же'} {label} «{x}»")
                else:
                    differs[i].append(f"{label}: «{x}» и «{y}»")
            continue
        if c.startswith("context:") and c != "context:index":  # answer codes: same or not
            for i in range(len(out)):
                if np.isnan(a[i]) or np.isnan(b[i]):
                    differs[i].append(f"{label}: нет данных")
                elif a[i] == b[i]:
                    same = "та же" if label.endswith("ость") else "тот же"
                    similar[i].append(f"{same} {label}")
                else:
                    differs[i].append(f"{label}: разные ответы анкеты")
            continue
        raw = t[c].to_numpy(dtype="float64")
        ra, rb = raw[school], raw[neighbour]
        for i in range(len(out)):
            if np.isnan(a[i]) or np.isnan(b[i]):
                differs[i].append(f"{label}: нет данных")
                continue
            pair = f"{_value_text(c, ra[i])} и {_value_text(c, rb[i])}"
            if abs(a[i] - b[i]) <= CLOSE:
                similar[i].append(f"{_CLOSE_WORD.get(label, 'близкий')} {label}: {pair}")
            elif abs(a[i] - b[i]) > 2 * CLOSE:
                differs[i].append(f"{label}: {pair}")
    if "group" not in z.columns:
        g = t["group"].to_numpy()[school]
        for i, x in enumerate(g):
            similar[i].insert(0, f"та же группа «{x}»")
    same = out["same_municipality"].to_numpy()
    for i in np.flatnonzero(same):
        similar[i].append("тот же муниципалитет")
    return ["; ".join(s) for s in similar], ["; ".join(d) for d in differs]


def family_results(
    families: pd.DataFrame, classified: pd.DataFrame, *, alpha: float = 0.05
) -> pd.DataFrame:
    """Each school's result, and its result against expectation, for the family tables.

    The expectation is the social context (``adjusted`` of :func:`edu_quality.classify`)
    where the school has one; otherwise the mean result of its own family: the
    school's composite minus the mean composite of its ``k`` nearest schools,
    with a 95 % interval from √(se² + Σ se_m² / k²) — a nearest-neighbour
    expectation (said in ``basis``).

    Parameters
    ----------
    families : DataFrame
        :func:`similar_schools`.
    classified : DataFrame
        :func:`edu_quality.classify` of the same year (``school_id`` a column or the index).
    alpha : float
        1 − confidence level.

    Returns
    -------
    DataFrame
        ``school_id``, ``actual``, ``actual_low``, ``actual_high``, ``adjusted``,
        ``adjusted_low``, ``adjusted_high``, ``basis`` («социальный контекст»,
        «похожие школы» or empty), ``participants``, ``status``, ``rosobrnadzor``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset, classify
    >>> ds = load_dataset(sample_folder("region"))
    >>> r = family_results(similar_schools(ds, 2024, k=5), classify(ds, 2024, rosobrnadzor_sims=0))
    >>> set(r["basis"]) <= {"социальный контекст", "похожие школы", ""}
    True
    """
    check_fraction("alpha", alpha)
    c = classified.reset_index() if "school_id" not in classified.columns else classified
    cols = ["school_id", "actual", "composite_se", "adjusted", "adjusted_low", "adjusted_high"]
    r = c[[*cols, "participants", "status", "rosobrnadzor"]].copy()
    zq = norm_ppf(1 - alpha / 2)
    r["actual_low"] = r["actual"] - zq * r["composite_se"]
    r["actual_high"] = r["actual"] + zq * r["composite_se"]
    r["basis"] = np.where(r["adjusted"].notna(), "социальный контекст", "")
    f = families.merge(
        r[["school_id", "actual", "composite_se"]].rename(
            columns={"school_id": "neighbour_id", "actual": "m", "composite_se": "m_se"}
        ),
        on="neighbour_id",
    )
    g = f.groupby("school_id").agg(
        mean=("m", "mean"), var=("m_se", lambda s: (s**2).sum() / len(s) ** 2)
    )
    fill = r["adjusted"].isna() & r["actual"].notna() & r["school_id"].isin(g.index)
    at = g.reindex(r.loc[fill, "school_id"].astype("object").to_numpy())
    m = at["mean"].to_numpy()
    se = np.sqrt(r.loc[fill, "composite_se"].to_numpy(dtype="float64") ** 2 + at["var"].to_numpy())
    r.loc[fill, "adjusted"] = r.loc[fill, "actual"] - m
    r.loc[fill, "adjusted_low"] = r.loc[fill, "adjusted"] - zq * se
    r.loc[fill, "adjusted_high"] = r.loc[fill, "adjusted"] + zq * se
    r.loc[fill, "basis"] = "похожие школы"
    out = [
        "school_id",
        "actual",
        "actual_low",
        "actual_high",
        "adjusted",
        "adjusted_low",
        "adjusted_high",
        "basis",
        "participants",
        "status",
        "rosobrnadzor",
    ]
    return r[out].reset_index(drop=True)


def partner_schools(
    dataset: Dataset,
    year: int,
    *,
    families: pd.DataFrame | None = None,
    classified: pd.DataFrame | None = None,
    k: int = 20,
    max_partners: int = 5,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Partner schools for each ШНОР: members of its family doing better than expected.

    A partner is a school of the ШНОР's family (:func:`similar_schools`) whose
    result against expectation (:func:`family_results`: the context-adjusted
    result, else against its own family) lies above zero with its whole
    interval, that does not meet Рособрнадзор's rule on its main (spring)
    works and is no ШНОР itself — a school that beats the odds in the same
    conditions (резильентная in the sense of :func:`edu_quality.classify` when
    its context is unfavourable).

    Partners are the toolkit's own suggestion, not an official list, so the
    rule is read here on the spring works only: on the autumn-2020 works
    (grade g writing grade g − 1's work after the spring without ВПР) shares of
    «2» at the rule's 30 % are so common that it marks about as many schools
    as chance would (see :func:`edu_quality.rosobrnadzor_chance`; on the real
    Altai data 348 observed against ≈ 427 by chance). A partner meeting the
    rule on autumn works only is kept with ``note`` saying so, for the
    methodologist to check; ``classify`` itself keeps the literal reading.
    The data hold no geography: partners of the school's own municipality come
    first, then the others, each nearest first.

    Parameters
    ----------
    dataset : Dataset
    year : int
    families : DataFrame, optional
        :func:`similar_schools` of the year (computed with ``k`` when not given).
    classified : DataFrame, optional
        :func:`edu_quality.classify` of the year (computed when not given).
    k : int
        Family size when ``families`` is computed here.
    max_partners : int
        Partners kept per ШНОР.
    alpha : float
        1 − confidence level of the intervals.

    Returns
    -------
    DataFrame
        ``school_id`` (the ШНОР), ``partner_id``, ``order`` (1 = first to
        contact), ``distance``, ``family_rank``, ``same_municipality``,
        ``partner_municipality``, ``adjusted``, ``adjusted_low``,
        ``adjusted_high``, ``basis``, ``partner_status``, ``similar_in``,
        ``note`` (empty, or that the partner meets Рособрнадзор's rule on autumn
        works only).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> p = partner_schools(load_dataset(sample_folder("region")), 2024)
    >>> bool((p["adjusted_low"] > 0).all())
    True
    """
    check_positive("max_partners", max_partners, integer=True)
    if families is None:
        families = similar_schools(dataset, year, k=k)
    if classified is None:
        from .identify import classify

        classified = classify(dataset, year, rosobrnadzor_sims=0)
    res = family_results(families, classified, alpha=alpha)
    shnor = set(res.loc[res["status"].isin(_SHNOR), "school_id"])
    spring_rule = _spring_rule(dataset, year)
    met = res["rosobrnadzor"].astype(bool)
    res = res.assign(
        note=np.where(
            met & ~res["school_id"].isin(spring_rule),
            "соответствует правилу Рособрнадзора только по осенним работам: проверьте "
            "объективность её результатов перед обменом опытом",
            "",
        )
    )
    good = res.loc[
        (res["adjusted_low"] > 0)
        & ~res["school_id"].isin(spring_rule)
        & ~(met & (res["note"] == ""))
        & ~res["status"].isin(_SHNOR)
    ]
    f = families.loc[families["school_id"].isin(shnor)]
    f = f.merge(
        good[
            ["school_id", "adjusted", "adjusted_low", "adjusted_high", "basis", "status", "note"]
        ].rename(columns={"school_id": "neighbour_id", "status": "partner_status"}),
        on="neighbour_id",
    )
    f = f.sort_values(["school_id", "same_municipality", "rank"], ascending=[True, False, True])
    f["order"] = f.groupby("school_id").cumcount() + 1
    f = f.loc[f["order"] <= max_partners].rename(
        columns={
            "neighbour_id": "partner_id",
            "rank": "family_rank",
            "neighbour_municipality": "partner_municipality",
        }
    )
    cols = [
        "school_id",
        "partner_id",
        "order",
        "distance",
        "family_rank",
        "same_municipality",
        "partner_municipality",
        "adjusted",
        "adjusted_low",
        "adjusted_high",
        "basis",
        "partner_status",
        "similar_in",
        "note",
    ]
    return f[cols].reset_index(drop=True)


def _spring_rule(dataset: Dataset, year: int) -> set[str]:
    """Schools meeting Рособрнадзор's rule in ``year`` on works other than the autumn ones."""
    from .rosobrnadzor import meeting_rule, rule_rows

    s = school_summaries(dataset)
    if "session" in s.columns:
        s = s.loc[s["session"].astype("string").fillna("") != AUTUMN]
    if s.empty:
        return set()
    rows, _ = rule_rows(s, assessments=("ВПР", "ОГЭ", "ЕГЭ"))
    met = meeting_rule(rows, year, share=0.30, sessions="session" in s.columns)
    return set(met.loc[met["rosobrnadzor"].astype(bool), "school_id"].astype(str))

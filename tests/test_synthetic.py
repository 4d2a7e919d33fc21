"""Tests of the synthetic region generator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from edu_quality.synthetic import (
    FACTOR_EFFECTS,
    KDR_LEVELS,
    KDR_SCALE,
    NULL_FACTORS,
    OGE_SCALE,
    RISK_FACTORS,
    TABLE_NAMES,
    VPR_SCALE,
    main,
    make_region,
    write_region,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data_samples" / "region"
RESULT_COLUMNS = [
    "year",
    "assessment",
    "subject",
    "grade",
    "school_id",
    "pupil_id",
    "score",
    "mark",
    "journal_mark",
    "level",
    "admitted",
]
GROUPS = {"обычная", "углублённая", "малокомплектная сельская", "ОВЗ"}
FACTORS = [*FACTOR_EFFECTS, *NULL_FACTORS]


@pytest.fixture(scope="module")
def region():
    return make_region()


def _percent_of_max(vpr: pd.DataFrame) -> pd.Series:
    """ВПР score as a share of the work's maximum, so grades and subjects can be pooled."""
    top = {key: scale[0] for key, scale in VPR_SCALE.items()}
    keys = pd.MultiIndex.from_arrays([vpr["subject"], vpr["grade"]])
    return vpr["score"] / pd.Series(top).reindex(keys).to_numpy()


def _school_means(region) -> pd.DataFrame:
    """Mean ВПР share of the maximum score per school, with participants and context."""
    vpr = region.results_vpr.assign(pct=_percent_of_max(region.results_vpr))
    means = vpr.groupby("school_id").agg(y=("pct", "mean"), n=("pct", "size"))
    context = region.context.groupby("school_id")[FACTORS].mean()
    groups = region.schools.set_index("school_id")["group"]
    return means.join(context).join(groups)


# ------------------------------------------------------------------ reproducibility


def test_same_seed_same_region_other_seed_other_region():
    a = make_region(2, 10, years=(2022, 2023, 2024), seed=11)
    b = make_region(2, 10, years=(2022, 2023, 2024), seed=11)
    c = make_region(2, 10, years=(2022, 2023, 2024), seed=12)
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name])
    assert a.truth.inflating == b.truth.inflating
    assert a.truth.low_years == b.truth.low_years
    assert not a.results_vpr.equals(c.results_vpr)
    assert not a.context.equals(c.context)


def test_committed_sample_is_what_the_generator_makes(tmp_path):
    # the command documented in data_samples/region/README.md
    assert main([str(tmp_path)]) == 0
    fresh = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert fresh == sorted(f"{name}.csv" for name in (*TABLE_NAMES, "scales"))
    assert sorted(p.name for p in SAMPLE.glob("*.csv")) == fresh
    stale = [n for n in fresh if (tmp_path / n).read_bytes() != (SAMPLE / n).read_bytes()]
    assert not stale, (
        f"data_samples/region differs from the generator in {stale}; if the change is intended, "
        "run `python -m edu_quality.synthetic data_samples/region`"
    )


def test_csv_format(tmp_path, region):
    paths = write_region(region, tmp_path)
    assert [p.name for p in paths] == [f"{n}.csv" for n in (*TABLE_NAMES, "scales")]
    scales = pd.read_csv(paths[-1])  # the scales the generator marked with, for its years
    assert sorted(scales["year"].unique()) == sorted(region.results_vpr["year"].unique())
    assert len(scales) == 4 * len(VPR_SCALE) * scales["year"].nunique()
    text = (tmp_path / "results_vpr.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == ",".join(RESULT_COLUMNS)
    assert "\r" not in text
    back = pd.read_csv(tmp_path / "schools.csv", dtype=str)
    assert back["school_id"].str.fullmatch(r"\d{5}").all()  # leading zeros kept
    assert back["school_id"].iloc[0] == "01001"
    ctx = pd.read_csv(tmp_path / "context.csv")
    assert ctx[FACTORS].apply(lambda s: s.round(4).eq(s)).all().all()


def test_parquet(tmp_path, region):
    small = make_region(1, 8, years=(2023, 2024), n_inflating=1, n_stably_low=2, n_resilient=1)
    paths = write_region(small, tmp_path / "flat", format="parquet")
    assert paths[0].name == "schools.parquet"
    back = pd.read_parquet(paths[1])
    pd.testing.assert_frame_equal(back, small.results_vpr)
    parts = write_region(small, tmp_path / "parts", format="parquet", partition_by_year=True)
    assert sorted(p.name for p in parts[1].iterdir()) == ["year=2023", "year=2024"]
    assert len(pd.read_parquet(parts[1])) == len(small.results_vpr)


def test_bad_options(tmp_path, region):
    with pytest.raises(ValueError, match=r"`format`.*'xlsx'"):
        write_region(region, tmp_path, format="xlsx")
    with pytest.raises(ValueError, match="schools_per_municipality"):
        make_region(2, 3)
    with pytest.raises(ValueError, match="years"):
        make_region(years=(2023, 2022))


# ------------------------------------------------------------------ tables


def test_schools(region):
    s = region.schools
    assert list(s.columns) == ["school_id", "name", "municipality", "group", "locality"]
    assert len(s) >= 40 and s["school_id"].is_unique
    assert s["municipality"].nunique() >= 2
    assert set(s["group"]) == GROUPS
    assert set(s["locality"]) == {"город", "село"}
    assert (s.loc[s["group"] == "малокомплектная сельская", "locality"] == "село").all()
    assert s["name"].str.contains("СОШ № ").any() and s["name"].str.contains("ОВЗ").any()


def test_results_columns_and_ranges(region):
    for name, assessment in [
        ("results_vpr", "ВПР"),
        ("results_oge", "ОГЭ"),
        ("results_ege", "ЕГЭ"),
        ("results_kdr", "КДР"),
    ]:
        r = region.tables[name]
        assert list(r.columns) == RESULT_COLUMNS
        assert set(r["assessment"]) == {assessment}
        assert sorted(r["year"].unique()) == [2021, 2022, 2023, 2024]
        assert r["school_id"].isin(region.schools["school_id"]).all()
        assert r.duplicated(["year", "subject", "grade", "pupil_id"]).sum() == 0
        marks = r["mark"].dropna()
        assert marks.between(2, 5).all()
        if assessment in ("ВПР", "КДР"):
            assert r["admitted"].all()
    vpr, oge, ege, kdr = (
        region.results_vpr,
        region.results_oge,
        region.results_ege,
        region.results_kdr,
    )
    assert sorted(vpr["grade"].unique()) == [4, 5, 6, 7, 8]
    assert set(vpr["subject"]) == {"Математика", "Русский язык"}
    assert vpr["journal_mark"].dropna().between(2, 5).all()
    assert 0 < vpr["journal_mark"].isna().mean() < 0.05  # a few missing
    assert set(oge["grade"]) == {9} and set(ege["grade"]) == {11}
    assert set(ege["subject"]) == {"Русский язык", "Математика (профиль)"}
    assert ege["mark"].isna().all() and ege["score"].dropna().between(0, 100).all()
    assert (ege.loc[ege["subject"] == "Математика (профиль)", "score"] < 27).any()
    assert set(kdr["grade"]) == {4, 6} and set(kdr["subject"]) == {"Читательская грамотность"}
    for r in (oge, ege):
        out = r[~r["admitted"]]
        assert len(out) > 0 and out["score"].isna().all() and out["mark"].isna().all()
        assert r.loc[r["admitted"], "score"].notna().all()
    for r in (vpr, oge, ege):
        assert r["level"].isna().all()
    for r in (oge, ege, kdr):
        assert r["journal_mark"].isna().all()


def test_vpr_marks_follow_the_official_scale(region):
    # ФИОКО, ВПР 2021, «Рекомендации по переводу первичных баллов в отметки»
    assert VPR_SCALE[("Математика", 4)] == (20, 6, 10, 15)
    assert VPR_SCALE[("Русский язык", 8)] == (51, 26, 32, 45)
    vpr = region.results_vpr
    for (subject, grade), g in vpr.groupby(["subject", "grade"]):
        top, m3, m4, m5 = VPR_SCALE[(subject, grade)]
        assert g["score"].between(0, top).all()
        expected = 2 + (g["score"] >= m3).astype(int) + (g["score"] >= m4) + (g["score"] >= m5)
        assert (g["mark"] == expected).all(), (subject, grade)
        assert set(g["mark"]) == {2, 3, 4, 5}


def test_oge_and_kdr_marks(region):
    oge = region.results_oge[region.results_oge["admitted"]]
    for subject, g in oge.groupby("subject"):
        top, m3, m4, m5 = OGE_SCALE[subject]
        assert g["score"].between(0, top).all()
        assert (
            g["mark"]
            == 2 + (g["score"] >= m3).astype(int) + (g["score"] >= m4) + (g["score"] >= m5)
        ).all()
    kdr = region.results_kdr
    assert set(kdr["level"]) == set(KDR_LEVELS)
    assert (kdr["level"].map(KDR_LEVELS.index) + 2 == kdr["mark"]).all()
    for grade, g in kdr.groupby("grade"):
        assert g["score"].between(0, KDR_SCALE[grade][0]).all()


def test_context(region):
    ctx = region.context
    assert list(ctx.columns) == ["school_id", "year", *FACTORS]
    assert len(ctx) == len(region.schools) * 4
    assert ctx[FACTORS].ge(0).all().all() and ctx[FACTORS].le(1).all().all()
    assert ctx[FACTORS].std().gt(0).all()


def test_staff_enrolment_risk(region):
    st = region.staff
    counts = [
        "teachers",
        "category_highest",
        "category_first",
        "trained",
        "part_time",
        "mentoring",
        "young",
    ]
    assert (st[counts] >= 0).all().all()
    assert all(pd.api.types.is_integer_dtype(st[c]) for c in counts)
    assert (st["category_highest"] + st["category_first"] <= st["teachers"]).all()
    for c in counts[3:]:
        assert (st[c] <= st["teachers"]).all()

    en = region.enrolment
    assert set(en["level"]) == {"НОО", "ООО", "СОО"} and (en["pupils"] > 0).all()
    levels = en.groupby("school_id")["level"].nunique()
    small = region.schools.loc[region.schools["group"] == "малокомплектная сельская", "school_id"]
    assert (levels[small] == 2).any()  # some small schools have no grades 10–11
    total = en.groupby("year")["pupils"].sum()
    assert total[2024] < total[2021]  # slight decline

    rp = region.risk_profiles
    assert (rp.groupby(["school_id", "year"]).size() == len(RISK_FACTORS)).all()
    cuts = {name: (low, high) for name, _, low, high in RISK_FACTORS}
    expected = [
        ("низкая" if s >= cuts[f][0] else "высокая" if s <= cuts[f][1] else "средняя")
        for f, s in zip(rp["risk_factor"], rp["score"], strict=True)
    ]
    assert (rp["significance"] == expected).all()
    # low-results schools tend to have higher risk (lower questionnaire sums)
    means = _school_means(region)["y"]
    risk = rp.groupby("school_id")["score"].mean()
    assert means.corr(risk.reindex(means.index), method="spearman") > 0.3


def test_indicators_and_plan(region):
    ind = region.indicators
    assert list(ind.columns) == [
        "indicator",
        "scope",
        "year",
        "target",
        "actual",
        "direction",
        "unit",
    ]
    assert set(ind["direction"]) == {"≥", "≤"} and set(ind["unit"]) == {"%", "чел."}
    assert set(ind["scope"]) == {*region.schools["municipality"], "регион"}
    assert ind.loc[ind["year"] == 2025, "actual"].isna().all()
    assert ind.loc[ind["year"] <= 2024, "actual"].notna().all()
    assert not ind.duplicated(["indicator", "scope", "year"]).any()
    assert ind["indicator"].str.contains("наставничестве").any()
    plan = region.plan
    assert plan["track"].value_counts().reindex(["1", "2", "3"]).ge(4).all()
    assert (
        plan[["task", "measure", "deadline", "responsible", "expected_result"]].notna().all().all()
    )


# ------------------------------------------------------------------ pupils


def test_cohort_is_followed_in_kdr(region):
    kdr = region.results_kdr
    for year in (2021, 2022):
        grade4 = set(kdr.loc[(kdr["grade"] == 4) & (kdr["year"] == year), "pupil_id"])
        grade6 = set(kdr.loc[(kdr["grade"] == 6) & (kdr["year"] == year + 2), "pupil_id"])
        assert len(grade4 & grade6) >= 0.85 * len(grade6)
    assert kdr["pupil_id"].str.fullmatch(r"P\d{10}").all()


def test_small_groups_exist(region):
    sizes = region.results_vpr.groupby(["school_id", "year", "subject", "grade"]).size()
    groups = region.schools.set_index("school_id")["group"]
    small = sizes[sizes < 5]
    assert len(small) > 0
    assert set(groups[small.index.get_level_values("school_id")]) <= {
        "малокомплектная сельская",
        "ОВЗ",
    }
    ordinary = sizes[groups[sizes.index.get_level_values("school_id")].eq("обычная").to_numpy()]
    assert ordinary.median() >= 12


# ------------------------------------------------------------------ planted facts


def test_truth_is_consistent(region):
    t = region.truth
    groups = region.schools.set_index("school_id")["group"]
    assert 3 <= len(t.inflating) <= 4 and 3 <= len(t.stably_low) <= 4
    assert 2 <= len(t.resilient) <= 3
    assert not set(t.inflating) & set(t.stably_low)
    assert not set(t.resilient) & (set(t.inflating) | set(t.stably_low))
    assert (groups[list(t.inflating)] == "обычная").all()
    assert "обычная" in set(groups[list(t.stably_low)])
    assert set(groups[list(t.stably_low)]) - {"обычная"}
    assert all(sum(y in years for y in (2022, 2023, 2024)) >= 2 for years in t.low_years.values())
    wellbeing = t.schools.set_index("school_id")["wellbeing"]
    assert (wellbeing[list(t.resilient)] <= wellbeing.quantile(0.25)).all()
    assert t.factor_effects == FACTOR_EFFECTS and t.null_factors == NULL_FACTORS


def _spearman(g: pd.DataFrame) -> float:
    g = g.dropna(subset=["journal_mark"])
    if len(g) < 5 or g["score"].nunique() < 2 or g["journal_mark"].nunique() < 2:
        return np.nan
    return g["journal_mark"].astype(float).corr(g["score"], method="spearman")


def test_inflating_schools_journal_marks_disagree(region):
    g4 = region.results_vpr[region.results_vpr["grade"] == 4]
    rho = (
        g4.groupby(["school_id", "year", "subject"])[["journal_mark", "score"]]
        .apply(_spearman)
        .groupby("school_id")
        .mean()
    )
    inflating = list(region.truth.inflating)
    assert (rho[inflating] < 0).all()
    honest = rho.drop(index=inflating).dropna()
    assert (honest > 0).mean() >= 0.9


def test_inflating_schools_grade4_high_then_cohort_drops(region):
    vpr = region.results_vpr.assign(pct=_percent_of_max(region.results_vpr))
    vpr["rel"] = vpr["pct"] - vpr.groupby(["grade", "year"])["pct"].transform("mean")
    rel = vpr.pivot_table(index=["school_id", "year"], columns="grade", values="rel")
    inflating = list(region.truth.inflating)
    assert (rel.loc[inflating, 4] > 0.1).all()  # clearly above the region in grade 4
    # the same cohort: grade 4 in year Y against grade 5 in year Y + 1
    grade5_next_year = rel[5].groupby(level="school_id").shift(-1)
    drop = (rel[4] - grade5_next_year).groupby(level="school_id").mean()
    assert drop[inflating].min() > drop.drop(index=inflating).max()


def _rank_in_group(region, table: str) -> pd.DataFrame:
    r = region.tables[table]
    r = r[r["admitted"]]
    if table == "results_vpr":
        r = r.assign(score=_percent_of_max(r))
    else:
        r = r.assign(score=r["score"] / r["subject"].map({k: v[0] for k, v in OGE_SCALE.items()}))
    means = r.pivot_table(index="school_id", columns="year", values="score")
    groups = region.schools.set_index("school_id")["group"].reindex(means.index)
    return means.groupby(groups).rank(pct=True)


def test_stably_low_schools_are_low_in_their_group(region):
    groups = region.schools.set_index("school_id")["group"]
    for table in ("results_vpr", "results_oge"):
        rank = _rank_in_group(region, table)
        for school in region.truth.stably_low:
            # the lowest quarter of the group, or its two lowest schools in a small group
            cut = max(0.25, 2 / (groups == groups[school]).sum())
            low = (rank.loc[school, [2022, 2023, 2024]] <= cut).sum()
            assert low >= 2, (table, school, rank.loc[school].tolist())


def test_resilient_schools_beat_their_context(region):
    # expected result: a one-number context index (the true effects applied to the published
    # shares) and the group, fitted on the schools where nothing was planted
    t = region.truth
    d = _school_means(region)
    index = sum(beta * d[f] for f, beta in t.factor_effects.items())
    x = sm.add_constant(
        pd.get_dummies(d["group"], drop_first=True, dtype=float).assign(index=index)
    )
    planted = [*t.resilient, *t.inflating, *t.stably_low]
    fit = sm.WLS(
        d["y"].drop(index=planted), x.drop(index=planted), weights=d["n"].drop(index=planted)
    ).fit()
    residual = d["y"] - fit.predict(x)
    others = residual.drop(index=planted)
    assert (residual[list(t.resilient)] > others.quantile(0.9)).all()


def test_school_level_wls_recovers_factor_signs(region):
    # the Nazarovo seed, Приложения 1 and 2: signs of the effects, no effect for the others
    t = region.truth
    d = _school_means(region).drop(index=[*t.inflating, *t.stably_low, *t.resilient])
    x = sm.add_constant(d[FACTORS].join(pd.get_dummies(d["group"], drop_first=True, dtype=float)))
    fit = sm.WLS(d["y"], x, weights=d["n"]).fit()
    right = [f for f, beta in FACTOR_EFFECTS.items() if np.sign(fit.params[f]) == np.sign(beta)]
    assert len(right) >= 7, fit.params[list(FACTOR_EFFECTS)]
    assert (fit.pvalues[list(NULL_FACTORS)] < 0.05).sum() <= 1

"""The programme's effect: difference in differences on the synthetic region with a planted programme."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from edu_quality._russian import name_order
from edu_quality.effect import (
    comparison_schools,
    outcome_panel,
    programme_effect,
    programme_from_profiles,
)
from edu_quality.synthetic import make_region

START = 2023


@pytest.fixture(scope="module")
def planted():
    # +0,3 pupil SD of teaching effect for 8 programme schools from 2023 on
    r = make_region(n_programme=8, programme_start=START, programme_effect=0.3, seed=1)
    ds = r.dataset()
    return r, ds, outcome_panel(ds)


@pytest.fixture(scope="module")
def null():
    # the same programme, no effect
    r = make_region(n_programme=8, programme_start=START, programme_effect=0.0, seed=2)
    ds = r.dataset()
    return r, ds, outcome_panel(ds)


def test_planting_leaves_the_rest_of_the_region_unchanged():
    a = make_region(seed=3)
    b = make_region(seed=3, n_programme=6, programme_start=2023, programme_effect=0.0)
    pd.testing.assert_frame_equal(a.results_vpr, b.results_vpr)
    assert a.truth.programme == () and len(b.truth.programme) == 6
    assert not set(b.truth.programme) & set(b.truth.stably_low + b.truth.inflating)


def test_planted_effect_found_with_its_sign(planted):
    r, ds, panel = planted
    e = programme_effect(panel, r.truth.programme, start=START, dataset=ds)
    # the planted 0,3 SD lies in the interval, which excludes zero
    assert e.ci_low < r.truth.programme_effect < e.ci_high
    assert e.ci_low > 0 and e.p_value < 0.05
    assert e.n_programme == 8 and e.n_comparison >= 8
    assert "улучшение отличимо" in e.reading
    # pre-trend: one pre year besides the reference, no difference planted
    study = e.event_study.set_index("year")
    assert study.loc[START - 1, "estimate"] == 0
    assert e.pretrend_p > 0.05
    assert "параллельных трендах не опровергается" in e.reading
    assert study.loc[START, "ci_low"] > 0 and study.loc[START + 1, "ci_low"] > 0


def test_share_of_2_falls_in_programme_schools(planted):
    r, ds, _ = planted
    e = programme_effect(ds, r.truth.programme, start=START, outcome="share_2", comparison="group")
    assert e.estimate < 0 and e.ci_high < 0  # fewer «2»: an improvement
    assert "п. п." in e.reading and "улучшение" in e.reading


def test_null_effect_not_found(null):
    r, ds, panel = null
    for comparison in ("nearest", "group"):
        e = programme_effect(
            panel, r.truth.programme, start=START, dataset=ds, comparison=comparison
        )
        assert e.ci_low < 0 < e.ci_high
        assert "эффект не выявлен" in e.reading


@pytest.mark.slow
def test_false_positive_rate_of_placebo_programmes(null):
    # random «programmes» of 8 ordinary schools in a region without any: the 95 % interval
    # should exclude zero about 5 % of the time (Bertrand, Duflo, Mullainathan 2004: without
    # clustering it would be far more); 40 draws: at most 6 (binomial 5 %: P(X ≥ 7) < 0,01)
    r, ds, panel = null
    ordinary = ds.schools.loc[ds.schools["group"] == "обычная", "school_id"].astype(str)
    pool = sorted(set(ordinary) - set(r.truth.programme))
    rng = np.random.default_rng(0)
    hits = sum(
        programme_effect(
            panel, rng.choice(pool, 8, replace=False), start=START, comparison=list(pool)
        ).p_value
        < 0.05
        for _ in range(40)
    )
    assert hits <= 6


def test_explicit_comparison_list(planted):
    r, ds, panel = planted
    others = sorted(set(panel["school_id"]) - set(r.truth.programme))[:10]
    e = programme_effect(panel, r.truth.programme, start=START, comparison=others)
    assert set(e.comparison) == set(others)
    assert e.n_comparison == 10


def test_comparison_schools_are_of_the_same_group(planted):
    r, ds, panel = planted
    c = comparison_schools(ds, r.truth.programme, start=START, panel=panel, n_matches=2)
    group = ds.schools.set_index("school_id")["group"]
    assert (group.loc[c["school_id"]].to_numpy() == group.loc[c["matched_to"]].to_numpy()).all()
    assert not set(c["school_id"]) & set(r.truth.programme)
    assert (c.groupby("matched_to").size() == 2).all()


def test_single_pre_year_said(planted):
    r, ds, panel = planted
    e = programme_effect(panel, r.truth.programme, start=2022, comparison="group", dataset=ds)
    assert np.isnan(e.pretrend_p)
    assert "только один год" in e.reading


@pytest.mark.parametrize("start", [2021, 2025])
def test_refuses_without_years_on_both_sides(planted, start):
    r, ds, panel = planted
    with pytest.raises(ValueError, match="до начала программы"):
        programme_effect(panel, r.truth.programme, start=start, comparison="group")


def test_refuses_unknown_outcome(planted):
    r, ds, panel = planted
    with pytest.raises(ValueError, match="outcome"):
        programme_effect(panel, r.truth.programme, start=START, outcome="median")


def test_panel_not_modified(planted):
    r, ds, panel = planted
    before = panel.copy()
    programme_effect(panel, r.truth.programme, start=START, comparison="group", dataset=ds)
    pd.testing.assert_frame_equal(panel, before)


def test_panel_standardised_per_work(planted):
    _, _, panel = planted
    # the participant-weighted mean of each work and year is the region's mean: zero
    w = panel.assign(wy=panel["y"] * panel["participants"]).groupby(["work", "year"])
    assert np.allclose(w["wy"].sum() / w["participants"].sum(), 0, atol=1e-9)


def test_programme_from_profiles(planted):
    r, ds, _ = planted
    assert programme_from_profiles(ds) is None  # every school has a profile
    rp = r.risk_profiles
    part = rp.loc[rp["school_id"].isin(r.truth.programme) & (rp["year"] >= START)]
    ds2 = dataclasses.replace(ds, risk_profiles=part)
    prog = programme_from_profiles(ds2)
    assert sorted(prog["school_id"]) == sorted(r.truth.programme)
    assert (prog["start"] == START).all()


@pytest.mark.slow
def test_report_section_with_a_programme_file(tmp_path):
    # a dataset folder with programme.csv: the region and municipality reports show the effect
    from edu_quality.report import report_data
    from edu_quality.report.transitions import programme_effect_section
    from edu_quality.synthetic import write_region

    r = make_region(n_programme=8, programme_start=START, programme_effect=0.3, seed=1)
    write_region(r, tmp_path)
    pd.DataFrame({"Код ОО": r.truth.programme, "Год начала": START}).to_csv(
        tmp_path / "programme.csv", index=False
    )
    data = report_data(tmp_path, 2024)
    sec = programme_effect_section(data)
    t = sec.tables["programme_effect"]
    assert t["Школ программы"].tolist() == ["8", "8"]
    assert "улучшение отличимо" in sec.html()
    assert "Бертран" in sec.html()
    # the programme schools by municipality and name, no results beside them
    schools = sec.tables["programme_schools"]
    assert list(schools.columns) == ["Муниципалитет", "Школа"]
    rows = list(schools.itertuples(index=False))
    assert rows == sorted(rows, key=lambda r: tuple(map(name_order, r)))  # as a reader orders
    muni = data.municipality_of[r.truth.programme[0]]
    sec_m = programme_effect_section(data, muni)
    n_muni = sum(data.municipality_of[s] == muni for s in r.truth.programme)
    assert sec_m.tables["programme_effect"]["Школ программы"].iloc[0] == str(n_muni)


@pytest.mark.slow
def test_report_section_says_how_to_give_a_programme():
    from edu_quality.demo import sample_folder
    from edu_quality.report import report_data
    from edu_quality.report.transitions import programme_effect_section

    sec = programme_effect_section(report_data(sample_folder("region"), 2024))
    assert "programme.csv" in sec.html() and not sec.tables


def test_bad_programme_file(tmp_path):
    import shutil

    from edu_quality import load_dataset
    from edu_quality.demo import sample_folder
    from edu_quality.effect import programme_list
    from edu_quality.errors import DataError

    for f in ("schools.csv", "results_oge.csv"):
        shutil.copy(sample_folder("region") / f, tmp_path / f)
    (tmp_path / "programme.csv").write_text("school_id,start\n01001,2023\n01002,весна\n")
    with pytest.raises(DataError, match="строка 3"):
        programme_list(load_dataset(tmp_path))


@pytest.mark.slow
def test_programme_from_profiles_starting_after_the_data():
    # the Inta seed: 500+ risk profiles of 2023 for three schools, results up to 2022
    from edu_quality.demo import sample_folder
    from edu_quality.report import report_data
    from edu_quality.report.transitions import programme_effect_section

    data = report_data(sample_folder("inta"), 2022)
    prog = programme_from_profiles(data.dataset)
    assert sorted(prog["school_id"]) == ["INT05", "INT06", "INT08"]
    text = programme_effect_section(data).html()
    assert "начали её в 2023 году (3 школы)" in text
    assert "нужны результаты и до начала программы, и после" in text

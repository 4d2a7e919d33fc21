"""Gaps between groups of pupils (:mod:`edu_quality.gaps`): planted gap found, null not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import ALTAI

from edu_quality.gaps import group_gaps, welch
from edu_quality.synthetic import make_region
from edu_quality.synthetic_tasks import plant_pupil_details

REAL = ALTAI / "vpr_2021" / "Проведение работы по математике, 5 класс. ВПР 2021.xlsx"


@pytest.fixture(scope="module")
def planted():
    region = make_region()
    results, tasks, truth = plant_pupil_details(region)
    return region, results, tasks, truth


def test_welch_matches_scipy():
    from scipy.stats import ttest_ind

    rng = np.random.default_rng(1)
    a, b = rng.normal(10, 2, 30), rng.normal(11, 3, 25)
    d, lo, hi = welch([a.mean()], [a.var(ddof=1)], [30], [b.mean()], [b.var(ddof=1)], [25])
    ci = ttest_ind(b, a, equal_var=False).confidence_interval()
    assert d[0] == pytest.approx(b.mean() - a.mean())
    assert (lo[0], hi[0]) == pytest.approx((ci.low, ci.high))


def test_planted_gender_gap_is_found_and_null_schools_are_not(planted):
    _, results, _, truth = planted
    g = group_gaps(results)
    shown = g.loc[~g["suppressed"]]
    mean = shown.loc[shown["metric"] == "mean_score"]
    gap = mean.loc[mean["unit"].isin(truth.gap_schools)]
    null = shown.loc[~shown["unit"].isin(truth.gap_schools)]
    # girls score higher in the planted schools in most works, never lower beyond noise
    assert gap["beyond_noise"].mean() > 0.7
    assert (gap.loc[gap["beyond_noise"], "estimate"] > 0).all()
    # elsewhere: about the 5 % of false alarms a 95 % interval allows, no more
    assert null["beyond_noise"].mean() < 0.06
    assert len(null) > 500


def test_small_groups_are_suppressed(planted):
    _, results, _, _ = planted
    g = group_gaps(results, min_group=10)
    small = (g["n_group"] < 10) | (g["n_reference"] < 10)
    assert small.any()
    assert g.loc[small, "suppressed"].all()
    assert g.loc[small, ["estimate", "ci_low", "value_group", "value_reference"]].isna().all().all()
    assert not g.loc[small, "beyond_noise"].any()


def test_levels_and_any_column(planted):
    region, results, _, _ = planted
    m = group_gaps(results, level="municipality", schools=region.schools)
    assert set(m["unit"]) == set(region.schools["municipality"])
    r = group_gaps(results, level="region")
    assert set(r["unit"]) == {"регион"}
    # a user's own pupil column: two groups of equal ability, no gap
    rng = np.random.default_rng(5)
    other = results.assign(club=np.where(rng.random(len(results)) < 0.5, "да", "нет"))
    c = group_gaps(other, by="club", group="да", reference="нет", level="region")
    assert c["beyond_noise"].mean() <= 0.1
    with pytest.raises(ValueError, match="муниципалитет"):
        group_gaps(results, level="municipality")
    with pytest.raises(ValueError):
        group_gaps(results, level="класс")


def test_hand_computed_shares():
    d = pd.DataFrame(
        {
            "year": 2021,
            "subject": "Русский язык",
            "grade": 4,
            "school_id": "a",
            "gender": ["ж"] * 10 + ["м"] * 10,
            "score": [20.0] * 10 + [10.0] * 10,
            "mark": [5] * 5 + [4] * 5 + [2] * 4 + [3] * 6,
        }
    )
    g = group_gaps(d).set_index("metric")
    assert g.loc["share_2", "value_group"] == 0.0
    assert g.loc["share_2", "value_reference"] == pytest.approx(0.4)
    assert g.loc["quality_rate", "estimate"] == pytest.approx(1.0)
    assert g.loc["mean_score", "estimate"] == pytest.approx(10.0)


@pytest.mark.slow
@pytest.mark.skipif(not REAL.is_file(), reason=f"нет реальных данных {ALTAI}")
def test_real_region_gender_gaps():
    from edu_quality.fisoko import read_fisoko_vpr

    vpr = read_fisoko_vpr(REAL, invalid_results="exclude")
    region = group_gaps(vpr.results, level="region").set_index("metric")
    # mathematics, grade 5, 2021: girls a little ahead, beyond noise with 23 000 pupils
    assert region.loc["quality_rate", "estimate"] > 0
    assert region["beyond_noise"].all()
    schools = group_gaps(vpr.results)
    shown = schools.loc[~schools["suppressed"]]
    assert 50 < shown["unit"].nunique() < vpr.results["school_id"].nunique()
    assert 0 < shown["beyond_noise"].mean() < 0.5

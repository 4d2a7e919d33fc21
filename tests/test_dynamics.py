"""Dynamics: verdicts, trend, positive share, enrolment, cohort progress."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import SAMPLES, nazarovo_cohort

import edu_quality as eq
from edu_quality.dynamics import (
    cohort_progress,
    enrolment_change,
    positive_share,
    trend,
    verdict,
    year_over_year,
)
from edu_quality.intervals import newcombe
from edu_quality.metrics import summarize


@pytest.fixture(scope="module")
def inta():
    return eq.load_dataset(SAMPLES / "inta")


@pytest.fixture(scope="module")
def inta_yoy(inta):
    return year_over_year(summarize(inta.aggregates), metrics=["share_2", "not_admitted_share"])


def test_2020_left_out_of_dynamics_and_said_so(inta_yoy):
    assert 2020 not in set(inta_yoy["year_from"]) | set(inta_yoy["year_to"])
    assert "2020" in inta_yoy.attrs["note"] and "3 строки не учтены" in inta_yoy.attrs["note"]
    pairs = set(zip(inta_yoy["year_from"], inta_yoy["year_to"], strict=True))
    assert pairs == {(2019, 2021), (2021, 2022)}


def test_yoy_change_interval_and_verdict(inta_yoy):
    row = inta_yoy.query("school_id == 'INT05' and metric == 'share_2' and year_to == 2021").iloc[0]
    d, lo, hi = newcombe([5], [25], [10], [22])  # independent call on the seed's counts
    assert (row["change"], row["change_low"], row["change_high"]) == pytest.approx(
        (d[0], lo[0], hi[0])
    )
    # «2» up from 20 % to 45,5 % on 25 and 22 pupils: the interval still covers zero
    assert lo[0] < 0 < hi[0] and row["verdict"] == "стабильная"
    # СОШ № 8: 38,5 % → 75 % (15 of 39, 18 of 24): distinguishable, and bad
    row8 = inta_yoy.query("school_id == 'INT08' and metric == 'share_2' and year_to == 2022").iloc[
        0
    ]
    assert row8["change_low"] > 0 and row8["verdict"] == "отрицательная"
    # СОШ № 6: 88,9 % → 85,7 % on 9 and 7 pupils: noise
    row6 = inta_yoy.query("school_id == 'INT06' and metric == 'share_2' and year_to == 2022").iloc[
        0
    ]
    assert row6["verdict"] == "стабильная"


def test_2020_kept_on_request(inta):
    yoy = year_over_year(summarize(inta.aggregates), metrics=["share_2"], include_no_exam=True)
    assert 2020 in set(yoy["year_to"])
    assert yoy.attrs["note"] == ""


def test_verdict_knows_good_direction():
    assert verdict([0.01], [0.1], "share_2")[0] == "отрицательная"
    assert verdict([0.01], [0.1], "quality_rate")[0] == "положительная"
    assert verdict([-0.1], [-0.01], "share_2")[0] == "положительная"
    assert verdict([-0.1], [0.01], "share_2")[0] == "стабильная"
    with pytest.raises(ValueError, match="Параметр `metric`"):
        verdict([0], [1], "nonsense")


def test_mean_score_change_welch_interval():
    rng = np.random.default_rng(5)
    a, b = rng.normal(10, 3, 40), rng.normal(12, 3, 35)
    rows = [
        {
            "school_id": "1",
            "assessment": "ВПР",
            "subject": "М",
            "grade": 5,
            "year": y,
            "pupil_id": f"{y}-{i}",
            "score": s,
            "mark": 3,
        }
        for y, arr in ((2021, a), (2022, b))
        for i, s in enumerate(arr)
    ]
    yoy = year_over_year(summarize(pd.DataFrame(rows)), metrics=["mean_score"]).iloc[0]
    from scipy import stats

    res = stats.ttest_ind(b, a, equal_var=False)
    ci = res.confidence_interval()
    assert (yoy["change_low"], yoy["change_high"]) == pytest.approx((ci.low, ci.high))


def test_yoy_worked_out_a_slice_of_pairs_at_a_time_equals_all_at_once(monkeypatch):
    # a country's pairs are worked out a slice at a time: the same table as all at once,
    # with shares and means, pairs split across slices and series of several metrics
    from edu_quality.dynamics import changes

    s = summarize(eq.load_dataset(SAMPLES / "region").results)
    metrics = ["share_2", "success_rate", "mean_score", "not_admitted_share"]
    whole = year_over_year(s, metrics=metrics)
    assert len(whole) > 40 and whole["change_low"].notna().sum() > 20
    monkeypatch.setattr(changes, "_SLICE", 7)  # a length no series' pairs divide evenly
    pd.testing.assert_frame_equal(year_over_year(s, metrics=metrics), whole, check_exact=True)


def test_yoy_of_no_metric_is_an_empty_table_with_its_columns(inta_yoy):
    none = year_over_year(summarize(eq.load_dataset(SAMPLES / "region").results), metrics=[])
    assert none.empty and list(none.columns) == list(inta_yoy.columns)


def test_trend_against_closed_form_wls(inta):
    s = summarize(inta.aggregates)
    t = trend(s, metric="share_2").set_index("school_id").loc["INT08"]
    # closed-form weighted regression with weights n / (p̄(1−p̄)), scale fixed at 1
    years = np.array([2019, 2021, 2022.0])
    n = np.array([46, 39, 24.0])
    x2 = np.array([6, 15, 18.0])
    p = x2 / n
    pooled = x2.sum() / n.sum()
    w = n / (pooled * (1 - pooled))
    xm = np.average(years, weights=w)
    slope = np.sum(w * (years - xm) * (p - np.average(p, weights=w))) / np.sum(
        w * (years - xm) ** 2
    )
    se = np.sqrt(1 / np.sum(w * (years - xm) ** 2))
    assert t["slope"] == pytest.approx(slope)
    assert t["slope_high"] - t["slope"] == pytest.approx(1.959964 * se, rel=1e-5)
    assert t["years"] == 3  # 2020 left out
    assert t["verdict"] == "отрицательная"


def test_positive_share_counts_schools():
    ch = pd.DataFrame(
        {
            "school_id": ["1", "1", "2", "3", "4"],
            "metric": "share_2",
            "year_from": 2021,
            "year_to": 2022,
            "verdict": ["положительная", "стабильная", "положительная", "отрицательная", None],
        }
    )
    row = positive_share(ch).iloc[0]
    assert (row["units"], row["positive"], row["negative"]) == (3, 2, 1)
    assert row["share_positive_low"] < 2 / 3 < row["share_positive_high"]


def test_inta_enrolment(inta):
    ch = enrolment_change(inta.enrolment)
    total = ch.query("level == 'всего'").set_index("school_id")
    # Inta seed: 2022-2023 enrolment of СОШ № 5, 6, 8
    assert total.loc[["INT05", "INT06", "INT08"], "pupils_end"].tolist() == [232, 76, 450]
    assert total.loc["INT05", "pupils_start"] == 133 + 179 + 43  # 2019-2020
    noo = ch.query("level == 'НОО'").set_index("school_id")
    # «На уровне начального общего образования контингент … снизился на 20 %» (СОШ № 8)
    assert noo.loc["INT08", "change_share"] == pytest.approx((186 - 233) / 233)
    assert round(noo.loc["INT08", "change_share"], 2) == -0.20


def test_cohort_reproduces_nazarovo_shares():
    cp = cohort_progress(nazarovo_cohort(), before=(2017, 4), after=(2019, 6))
    assert (cp.matched, cp.only_before, cp.only_after) == (210, 0, 1)
    shares = cp.shares.set_index(["stage", "level"])["share"]
    assert round(shares[("до", "повышенный")] * 100, 1) == 14.3
    assert round(shares[("после", "повышенный")] * 100, 1) == 6.7
    low_after = shares[("после", "недостаточный")] + shares[("после", "пониженный")]
    low_before = shares[("до", "недостаточный")] + shares[("до", "пониженный")]
    assert round(low_after * 100, 1) == 32.9
    assert round((low_after - low_before) * 100, 1) == 24.8
    table = cp.table()
    assert table.loc["повышенный", "повышенный"] == 14
    assert table.to_numpy().sum() == 210
    row = cp.transitions.query("level_from == 'повышенный' and level_to == 'базовый'").iloc[0]
    assert row["share_of_from"] == pytest.approx(16 / 30)


def test_cohort_unknown_level_is_an_error():
    r = nazarovo_cohort()
    r.loc[0, "level"] = "высокий"
    with pytest.raises(eq.DataError, match="неизвестные уровни: высокий"):
        cohort_progress(r, before=(2017, 4), after=(2019, 6))

"""School years, sessions and exam years: no pair of years is two sessions of one school year."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import ALTAI

from edu_quality import load_dataset
from edu_quality.dataset import Dataset, empty_table
from edu_quality.dynamics import SELECTIVE_CAVEAT, trend, year_over_year
from edu_quality.exam_years import (
    exam_not_held,
    exam_years,
    selective_population,
    session_of,
)
from edu_quality.identify import classify
from edu_quality.metrics import NO_EXAM_YEARS, summarize
from edu_quality.schema import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    PLAN,
    RESULTS_AGGREGATED,
    RISK_PROFILES,
    STAFF,
)


def test_one_row_per_fact():
    t = exam_years()
    assert not t.duplicated(["assessment", "year", "session", "status"]).any()
    assert set(t["status"]) == {"не проводился", "выборочный состав", "частично", "перенесён"}
    assert t.query("status == 'перенесён'")[["assessment", "year", "session"]].values.tolist() == [
        ["ВПР", 2021, "осень"]
    ]
    assert NO_EXAM_YEARS == {"ВПР": (2020,), "ЕГЭ": (2020,), "ОГЭ": (2020,)}


def test_statuses_of_rows():
    d = pd.DataFrame(
        {
            "assessment": ["ОГЭ", "ОГЭ", "ОГЭ", "ЕГЭ", "ЕГЭ", "ЕГЭ", "ВПР"],
            "subject": ["Математика", "Химия", "Математика", "Химия", "Химия", "Химия", "М"],
            "year": [2021, 2021, 2020, 2020, 2021, 2022, 2021],
        }
    )
    assert exam_not_held(d).tolist() == [False, True, True, True, False, False, False]
    assert selective_population(d).tolist() == [False, False, False, True, True, False, False]
    assert session_of(d).eq("весна").all()


@pytest.mark.parametrize("dtype", ["category", "str", "object", None])
def test_statuses_of_rows_whatever_the_session_column(dtype):
    """Categorical, text, objects or no column: the same rows as the session of each row (a
    missing one is spring) compared with each fact."""
    rng = np.random.default_rng(7)
    n = 4000
    d = pd.DataFrame(
        {
            "assessment": pd.Categorical(rng.choice(["ОГЭ", "ЕГЭ", "ВПР", None], n)),
            "subject": rng.choice(["Математика", "Химия", "Русский язык"], n),
            "year": rng.choice([2019, 2020, 2021, 2022], n),
            "session": rng.choice(["весна", "осень", None], n),
        }
    )
    if dtype is None:
        d = d.drop(columns="session")
    else:
        d["session"] = d["session"].astype(dtype)
    session = session_of(d)
    assert session.dtype == "str" and session.index.equals(d.index)
    expected = (
        d["session"].astype(object).where(d["session"].notna(), "весна") if dtype else "весна"
    )
    assert (session == expected).all()
    facts = exam_years()
    for status, got in (
        ("не проводился", exam_not_held(d)),
        ("выборочный состав", selective_population(d)),
    ):
        want = np.zeros(n, dtype=bool)
        for f in facts.loc[facts["status"] == status].itertuples():
            want |= (
                (d["assessment"] == f.assessment) & (d["year"] == f.year) & (session == f.session)
            )
        if status == "не проводился":  # and the subjects not held in a year held in part
            for f in facts.loc[facts["status"] == "частично"].itertuples():
                hit = (d["assessment"] == f.assessment) & (d["year"] == f.year)
                want |= hit & (session == f.session) & ~d["subject"].isin(f.subjects.split(";"))
        assert got.tolist() == want.tolist()
        assert 0 < got.sum() < n


def _pupils(year, session, grade, work_grade, marks, school="s1"):
    return pd.DataFrame(
        {
            "school_id": school,
            "assessment": "ВПР",
            "subject": "Математика",
            "grade": grade,
            "work_grade": work_grade,
            "year": year,
            "session": session,
            "pupil_id": [f"{school}-{session}-{year}-{i}" for i in range(len(marks))],
            "mark": marks,
            "score": np.asarray(marks, dtype="float64"),
        }
    )


def _cohort() -> pd.DataFrame:
    """Grade 5: autumn 2021 the grade-4 work (many «2»), spring 2021 and 2022 the grade-5 work."""
    return pd.concat(
        [
            _pupils(2021, "осень", 5, 4, [2] * 15 + [3] * 5),
            _pupils(2021, "весна", 5, 5, [2] * 2 + [4] * 18),
            _pupils(2022, "весна", 5, 5, [2] * 3 + [4] * 17),
        ],
        ignore_index=True,
    )


def test_summaries_keep_sessions_apart_and_spring_data_unchanged():
    s = summarize(_cohort())
    assert s[["year", "session", "participants"]].values.tolist() == [
        [2021, "весна", 20],
        [2021, "осень", 20],
        [2022, "весна", 20],
    ]
    spring = _cohort().query("session == 'весна'")
    assert (
        summarize(spring).columns.tolist()
        == summarize(spring.drop(columns="session")).columns.tolist()
    )


def test_dynamics_never_pair_two_sessions_of_one_school_year():
    y = year_over_year(summarize(_cohort()), metrics=["share_2"])
    assert y[["year_from", "year_to", "session"]].values.tolist() == [[2021, 2022, "весна"]]
    assert (y["year_from"] < y["year_to"]).all()
    t = trend(summarize(_cohort()), min_years=2)
    assert sorted(t["years"].tolist()) == [1, 2]


def test_selective_years_are_labelled_without_a_verdict():
    agg = pd.DataFrame(
        {
            "school_id": "1",
            "assessment": "ЕГЭ",
            "subject": "Химия",
            "grade": 11,
            "year": [2021, 2022, 2023],
            "participants": [40, 40, 40],
            "not_admitted": 0,
            "n2": [1, 20, 21],
        }
    )
    y = year_over_year(summarize(agg), metrics=["share_2"]).set_index("year_to")
    assert y.loc[2022, "verdict"] is None or pd.isna(y.loc[2022, "verdict"])
    assert y.loc[2022, "caveat"] == SELECTIVE_CAVEAT
    assert y.loc[2023, "verdict"] == "стабильная" and y.loc[2023, "caveat"] == ""


def test_two_years_running_is_the_same_work_in_the_same_session():
    # autumn 2021 (grade-4 work) and spring 2022 of grade 5 both ≥ 30 % «2»: not a pair;
    # spring 2021 and spring 2022 of grade 5 (the same work) are
    autumn = _pupils(2021, "осень", 5, 4, [2] * 15 + [3] * 5)
    spring22 = _pupils(2022, "весна", 5, 5, [2] * 10 + [4] * 10)
    schools = pd.DataFrame(
        {"school_id": ["s1"], "name": ["Школа"], "municipality": ["М"], "group": ["обычная"]}
    )

    def rule(results):
        empty = {
            n: empty_table(spec)
            for n, spec in (
                ("context", CONTEXT),
                ("staff", STAFF),
                ("enrolment", ENROLMENT),
                ("risk_profiles", RISK_PROFILES),
                ("indicators", INDICATORS),
                ("plan", PLAN),
            )
        }
        ds = Dataset(
            schools=schools,
            results=results,
            aggregates=empty_table(RESULTS_AGGREGATED),
            folder=Path(),
            **empty,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c = classify(ds, 2022, min_group=1)
        return " ".join(c["reasons"].astype(str))

    assert "два года подряд" not in rule(pd.concat([autumn, spring22], ignore_index=True))
    spring21 = _pupils(2021, "весна", 5, 5, [2] * 10 + [4] * 10)
    assert "два года подряд" in rule(pd.concat([autumn, spring21, spring22], ignore_index=True))


@pytest.mark.slow
@pytest.mark.skipif(not (ALTAI / "vpr_2020").is_dir(), reason=f"нет реальных данных {ALTAI}")
def test_real_region_pairs_no_two_sessions_of_one_school_year(tmp_path):
    from edu_quality.fisoko import import_fisoko

    out = tmp_path / "altai"
    import_fisoko(
        ALTAI / "schools_registry.xlsx",
        ALTAI / "context_2022.xlsx",
        [ALTAI / "vpr_2020", ALTAI / "vpr_2021"],
        out,
        invalid_results="exclude",
        workers=2,
    )
    ds = load_dataset(out)
    assert set(ds.years) == {2021}
    s = summarize(ds.results, ["school_id", "assessment", "subject", "grade", "year"])
    assert set(s["session"]) == {"осень", "весна"}
    # one school year: no year-over-year pair at all, in particular none within 2021
    assert year_over_year(s, metrics=["share_2"]).empty
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = classify(ds, 2021)
    assert not c["reasons"].astype(str).str.contains("два года подряд").any()

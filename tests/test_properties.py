"""Invariants that hold for any data, checked on generated tables (hypothesis).

Metrics: every share lies in 0–1 inside its Wilson interval, n2 + … + n5 ≤ participants,
and summarising pupil rows gives what summarising their per-school counts gives. Adding
or reordering rows of other schools changes no school's numbers (``summarize``, the
composite result of identification, ``classify``). Dynamics: the change is the difference
of the two values and lies inside its interval, whose side of zero makes the verdict.
Loaders: a table written as CSV (Windows-1251 or UTF-8, «;»), XLSX or Parquet reads back
as the same table.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

import edu_quality as eq
from edu_quality.dataset import Dataset, empty_table
from edu_quality.identify import classify, composite_results
from edu_quality.metrics import summarize
from edu_quality.schema import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    PLAN,
    RESULTS_PUPILS,
    RISK_PROFILES,
    STAFF,
)

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
SHARES = ("share_2", "success_rate", "quality_rate", "not_admitted_share")
SCHOOLS = ("a", "b", "c", "d", "e")
BY = ["school_id", "assessment", "subject", "grade", "year"]

# ------------------------------------------------------------------ strategies

pupil_row = st.fixed_dictionaries(
    {
        "school_id": st.sampled_from(SCHOOLS),
        "subject": st.sampled_from(["Математика", "Русский язык"]),
        "year": st.sampled_from([2022, 2023]),
        "mark": st.one_of(st.none(), st.integers(2, 5)),
        "score": st.one_of(st.none(), st.floats(0, 30, allow_nan=False).map(lambda v: round(v, 1))),
        "admitted": st.sampled_from([True, True, True, False]),
    }
)


def _pupils(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows).assign(assessment="ВПР", grade=4)
    out["pupil_id"] = [f"p{i}" for i in range(len(out))]
    out["mark"] = out["mark"].astype("Int64")
    out["score"] = out["score"].astype("float64")
    return out


def _counts(least: int = 0):
    return st.integers(least, 40).flatmap(
        lambda n: st.tuples(
            st.just(n), st.integers(0, 5), st.lists(st.integers(0, 40), min_size=3, max_size=3)
        )
    )


counts_row = _counts()


def _aggregated(rows, schools=SCHOOLS) -> pd.DataFrame:
    """Counts per school: n2 + … + n5 = participants, split at random points."""
    out = []
    for i, (n, not_admitted, cuts) in enumerate(rows):
        a, b, c = sorted(min(x, n) for x in cuts)
        out.append(
            {
                "school_id": schools[i % len(schools)],
                "assessment": "ОГЭ",
                "subject": "Математика",
                "grade": 9,
                "year": 2020 + i // len(schools),
                "participants": n,
                "not_admitted": not_admitted,
                "n2": a,
                "n3": b - a,
                "n4": c - b,
                "n5": n - c,
            }
        )
    return pd.DataFrame(out)


# ------------------------------------------------------------------ metrics


def _check_bounds(s: pd.DataFrame) -> None:
    for share in SHARES:
        v, low, high = (
            s[share].astype("float64"),
            s[f"{share}_low"].astype("float64"),
            s[f"{share}_high"].astype("float64"),
        )
        known = v.notna()
        assert ((v[known] >= 0) & (v[known] <= 1)).all(), share
        assert ((low[known] >= 0) & (high[known] <= 1)).all(), share
        assert ((low[known] <= v[known] + 1e-12) & (v[known] <= high[known] + 1e-12)).all(), share
    marks = s[["n2", "n3", "n4", "n5"]].astype("float64")
    counted = marks.notna().all(axis=1)
    assert (marks[counted].sum(axis=1) <= s.loc[counted, "participants"]).all()
    assert (s["participants"] >= 0).all()
    sou, mean_mark = s["sou"].dropna(), s["mean_mark"].dropna()
    assert ((sou >= 16 - 1e-9) & (sou <= 100 + 1e-9)).all()
    assert ((mean_mark >= 2 - 1e-9) & (mean_mark <= 5 + 1e-9)).all()


@pytest.mark.slow
@SETTINGS
@given(st.lists(pupil_row, min_size=1, max_size=80))
def test_pupil_metrics_are_bounded(rows):
    _check_bounds(summarize(_pupils(rows), BY))


@pytest.mark.slow
@SETTINGS
@given(st.lists(counts_row, min_size=1, max_size=15))
def test_aggregated_metrics_are_bounded(rows):
    _check_bounds(summarize(_aggregated(rows), BY))


@SETTINGS
@given(
    st.lists(
        pupil_row.map(
            lambda r: {**r, "admitted": True, "mark": r["mark"] or 3, "score": r["score"] or 1.0}
        ),
        min_size=1,
        max_size=80,
    )
)
@pytest.mark.slow
def test_pupils_and_their_counts_summarise_alike(rows):
    pupils = _pupils(rows)
    counts = (
        pupils.groupby(BY)
        .agg(
            participants=("mark", "size"),
            mean_score=("score", "mean"),
            **{f"n{k}": ("mark", lambda m, k=k: int((m == k).sum())) for k in (2, 3, 4, 5)},
        )
        .reset_index()
        .assign(not_admitted=0)
    )
    by_pupil = summarize(pupils, BY)
    by_count = summarize(counts, BY)
    columns = [
        "participants",
        "n2",
        "n3",
        "n4",
        "n5",
        "share_2",
        "success_rate",
        "quality_rate",
        "share_2_low",
        "share_2_high",
        "quality_rate_low",
        "quality_rate_high",
        "sou",
        "mean_mark",
        "mean_score",
    ]
    pd.testing.assert_frame_equal(
        by_pupil[BY + columns].astype({c: "float64" for c in columns}),
        by_count[BY + columns].astype({c: "float64" for c in columns}),
        check_exact=False,
        rtol=1e-9,
    )


@SETTINGS
@given(
    st.lists(pupil_row.map(lambda r: {**r, "school_id": "a"}), min_size=1, max_size=40),
    st.lists(pupil_row.filter(lambda r: r["school_id"] != "a"), max_size=40),
    st.randoms(use_true_random=False),
)
@pytest.mark.slow
def test_other_schools_rows_change_no_school_numbers(mine, others, random):
    alone = summarize(_pupils(mine), BY)
    rows = mine + others
    random.shuffle(rows)
    together = summarize(_pupils(rows), BY)
    pd.testing.assert_frame_equal(
        together.loc[together["school_id"] == "a"].reset_index(drop=True),
        alone.reset_index(drop=True),
    )


# ------------------------------------------------------------------ identification


@SETTINGS
@given(
    st.lists(counts_row, min_size=10, max_size=20),
    st.lists(counts_row, min_size=2, max_size=6),
    st.randoms(use_true_random=False),
)
@pytest.mark.slow
def test_composite_of_a_school_ignores_what_it_did_not_write(rows, other, random):
    summary = summarize(_aggregated(rows), BY).assign(mean_score=np.nan, score_sd=np.nan)
    base = composite_results(summary, metric="share_2")
    extra = summarize(_aggregated(other, schools=("x", "y", "z")).assign(subject="Физика"), BY)
    rows_all = pd.concat(
        [summary, extra.assign(mean_score=np.nan, score_sd=np.nan)], ignore_index=True
    )
    shuffled = rows_all.sample(frac=1, random_state=random.randrange(2**32))
    after = composite_results(shuffled, metric="share_2")
    after = after.loc[after["school_id"].isin(SCHOOLS)].sort_values(["school_id", "year"])
    base = base.sort_values(["school_id", "year"])
    pd.testing.assert_frame_equal(
        after.reset_index(drop=True), base.reset_index(drop=True), check_exact=False, rtol=1e-9
    )


def _dataset(aggregates: pd.DataFrame, schools: list[str]) -> Dataset:
    registry = pd.DataFrame(
        {
            "school_id": schools,
            "name": [f"Школа {s}" for s in schools],
            "municipality": "М",
            "group": "обычная",
            "locality": "город",
        }
    )
    empty = {
        name: empty_table(spec)
        for name, spec in (
            ("context", CONTEXT),
            ("staff", STAFF),
            ("enrolment", ENROLMENT),
            ("risk_profiles", RISK_PROFILES),
            ("indicators", INDICATORS),
            ("plan", PLAN),
        )
    }
    return Dataset(
        schools=registry,
        results=empty_table(RESULTS_PUPILS),
        aggregates=aggregates,
        folder=Path(),
        **empty,
    )


# classify takes a tenth of a second: no shrinking (it would take minutes)
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@pytest.mark.slow
@given(st.lists(_counts(least=1), min_size=18, max_size=18), st.randoms(use_true_random=False))
def test_classify_does_not_depend_on_row_order(rows, random):
    schools = [f"s{i}" for i in range(6)]
    agg = _aggregated(rows, schools=schools)  # six schools, three years
    order = list(range(len(agg)))
    random.shuffle(order)
    year = int(agg["year"].max())
    now = agg.loc[agg["year"] == year]
    shares = (now["n2"] / now["participants"]).to_numpy()
    assume(shares.min() < shares.max())  # else: no composite (the test below)
    first = classify(_dataset(agg, schools), year, metric="share_2").set_index("school_id")
    again = (
        classify(_dataset(agg.iloc[order].reset_index(drop=True), schools), year, metric="share_2")
        .set_index("school_id")
        .loc[first.index]
    )
    for column in ("status", "reasons", "low", "rosobrnadzor", "risk_zone"):
        assert again[column].tolist() == first[column].tolist(), column
    np.testing.assert_allclose(
        again["actual"].astype(float), first["actual"].astype(float), rtol=1e-9
    )


def test_classify_a_year_without_a_composite():
    schools = [f"s{i}" for i in range(6)]
    # no participants in any school: nobody to classify, an empty table (not an error)
    agg = _aggregated([(0, 1, [0, 0, 0])] * 12, schools=schools)
    out = classify(_dataset(agg, schools), 2021, metric="share_2")
    assert out.empty and {"school_id", "status", "reasons"} <= set(out.columns)

    # every school with the same result: no composite, every school listed, none judged low
    agg = _aggregated([(1, 0, [0, 0, 0])] * 12, schools=schools)
    out = classify(_dataset(agg, schools), 2021, metric="share_2")
    assert sorted(out["school_id"]) == schools
    assert out["actual"].isna().all() and not out["low"].any() and not out["stably_low"].any()
    assert (out["status"] == "").all()
    assert out["reasons"].str.contains("составной результат за год не вычислен").all()

    # ... and Рособрнадзор's rule still applies to them (all «2» two years running)
    agg = _aggregated([(10, 0, [10, 10, 10])] * 18, schools=schools)
    out = classify(_dataset(agg, schools), 2022, metric="share_2")
    assert out["rosobrnadzor"].all() and (out["status"] == "ШНОР").all()
    assert out["reasons"].str.contains("два года подряд").all()


# ------------------------------------------------------------------ dynamics


@SETTINGS
@given(st.lists(counts_row, min_size=2, max_size=12))
def test_change_lies_in_its_interval_and_makes_the_verdict(rows):
    summary = summarize(_aggregated(rows, schools=("a", "b")), BY)
    yoy = eq.year_over_year(summary, metrics=["share_2", "quality_rate"])
    known = yoy.dropna(subset=["change", "change_low", "change_high"])
    assert np.allclose(known["change"], known["value_to"] - known["value_from"])
    assert (
        (known["change_low"] <= known["change"] + 1e-12)
        & (known["change"] <= known["change_high"] + 1e-12)
    ).all()
    assert ((known["change_low"] >= -1 - 1e-12) & (known["change_high"] <= 1 + 1e-12)).all()
    up = known["change_low"] > 0
    down = known["change_high"] < 0
    good_up = known["metric"] == "quality_rate"
    assert (known.loc[up & good_up, "verdict"] == "положительная").all()
    assert (known.loc[up & ~good_up, "verdict"] == "отрицательная").all()
    assert (known.loc[down & good_up, "verdict"] == "отрицательная").all()
    assert (known.loc[~up & ~down, "verdict"] == "стабильная").all()


# ------------------------------------------------------------------ loaders


WORDS = [
    "МБОУ",
    "СОШ",
    "школа",
    "гимназия",
    "лицей",
    "№",
    "5",
    "12",
    "«Радуга»",
    "им.",
    "А. С. Пушкина",
    "Ёлкинская",
    "ООШ",
    "с.",
    "Инта",
    "д. Усть-Лыжа",
    '"Центр"',
    "O'Neil",
    "A&B",
    ";",
    ",",
    "(филиал)",
    "—",
    "ГБОУ",
    "ХМАО-Югры",
]
name = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(" ".join)
school_id = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,7}", fullmatch=True).filter(
    lambda s: s.lower() not in ("nan", "none", "null", "na", "n/a")
)


@st.composite
def pupil_tables(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 25))
    schools = draw(st.lists(school_id, min_size=1, max_size=4, unique=True))
    return pd.DataFrame(
        {
            "year": draw(st.lists(st.integers(2015, 2030), min_size=n, max_size=n)),
            "assessment": draw(st.sampled_from(["ВПР", "ОГЭ", "КДР"])),
            "subject": draw(
                st.lists(
                    st.sampled_from(["Математика", "Русский язык", "История"]),
                    min_size=n,
                    max_size=n,
                )
            ),
            "grade": draw(st.lists(st.integers(4, 11), min_size=n, max_size=n)),
            "school_id": draw(st.lists(st.sampled_from(schools), min_size=n, max_size=n)),
            "pupil_id": [f"{i:05d}" for i in range(n)],
            "score": draw(
                st.lists(
                    st.one_of(st.none(), st.floats(0, 100).map(lambda v: round(v, 2))),
                    min_size=n,
                    max_size=n,
                )
            ),
            "mark": pd.array(
                draw(st.lists(st.one_of(st.none(), st.integers(2, 5)), min_size=n, max_size=n)),
                dtype="Int64",
            ),
        }
    ).astype(
        {
            "score": "float64",
            "school_id": "str",
            "subject": "str",
            "pupil_id": "str",
            "assessment": "str",
        }
    )


@st.composite
def school_tables(draw) -> pd.DataFrame:
    ids = draw(st.lists(school_id, min_size=1, max_size=12, unique=True))
    return pd.DataFrame(
        {
            "school_id": ids,
            "name": draw(st.lists(name, min_size=len(ids), max_size=len(ids))),
            "municipality": draw(
                st.lists(
                    st.sampled_from(["Инта", "г. Заречный", "Северный район"]),
                    min_size=len(ids),
                    max_size=len(ids),
                )
            ),
        }
    ).astype("str")


PUPIL_HEADERS = {
    "year": "Учебный год",
    "assessment": "Процедура",
    "subject": "Предмет",
    "grade": "Класс",
    "school_id": "Код ОО",
    "pupil_id": "Код участника",
    "score": "Первичный балл",
    "mark": "Отметка",
}
SCHOOL_HEADERS = {"school_id": "Код ОО", "name": "Наименование ОО", "municipality": "Муниципалитет"}


def _write(table: pd.DataFrame, headers: dict[str, str], fmt: str, folder: Path) -> Path:
    out = table.rename(columns=headers)
    if fmt == "csv-cp1251":
        path = folder / "t.csv"
        out.to_csv(path, sep=";", index=False, encoding="cp1251", decimal=",")
    elif fmt == "csv-utf8":
        path = folder / "t.csv"
        out.to_csv(path, sep=";", index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        path = folder / "t.xlsx"
        out.to_excel(path, index=False)
    else:
        path = folder / "t.parquet"
        out.to_parquet(path, index=False)
    return path


FORMATS = st.sampled_from(["csv-cp1251", "csv-utf8", "xlsx", "parquet"])


@pytest.mark.slow
@SETTINGS
@given(pupil_tables(), FORMATS)
def test_pupil_results_read_back_as_written(tmp_path_factory, table, fmt):
    path = _write(table, PUPIL_HEADERS, fmt, tmp_path_factory.mktemp(fmt))
    back = eq.read_results(path)
    pd.testing.assert_frame_equal(back[list(table.columns)], table, check_dtype=False)
    assert back["year"].dtype == "int64" and back["mark"].dtype == "Int64"


@SETTINGS
@given(school_tables(), FORMATS)
def test_school_registry_reads_back_as_written(tmp_path_factory, table, fmt):
    path = _write(table, SCHOOL_HEADERS, fmt, tmp_path_factory.mktemp(fmt))
    back = eq.read_schools(path)
    pd.testing.assert_frame_equal(back[list(table.columns)], table)


@pytest.mark.parametrize("fmt", ["csv-cp1251", "csv-utf8", "xlsx", "parquet"])
def test_aggregated_results_read_back_as_written(tmp_path, fmt):
    table = _aggregated([(24, 2, [15, 20, 23]), (7, 0, [6, 7, 7]), (0, 3, [0, 0, 0])])
    table["mean_score"] = [12.5, 7.25, np.nan]
    headers = {
        "year": "Учебный год",
        "assessment": "Процедура",
        "subject": "Предмет",
        "grade": "Класс",
        "school_id": "Код ОО",
        "participants": "Количество участников",
        "not_admitted": "Не допущены",
        "n2": "2",
        "n3": "3",
        "n4": "4",
        "n5": "5",
        "mean_score": "Средний балл",
    }
    back = eq.read_results(_write(table, headers, fmt, tmp_path))
    pd.testing.assert_frame_equal(back[list(table.columns)], table, check_dtype=False)

"""Metrics: the Inta seed's published numbers, Wilson bounds, pupil vs aggregate."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import SAMPLES
from scipy import stats

import edu_quality as eq
from edu_quality.intervals import newcombe, wilson
from edu_quality.metrics import summarize, summarize_together


@pytest.fixture(scope="module")
def inta():
    return eq.load_dataset(SAMPLES / "inta")


@pytest.fixture(scope="module")
def inta_summary(inta):
    s = summarize(inta.aggregates).merge(inta.schools[["school_id", "name"]], on="school_id")
    return s.set_index(["name", "year"])


@pytest.mark.parametrize(
    ("year", "expected"),
    # Inta seed, table «Результативность участия в ОГЭ по математике в основные сроки»
    [
        (2019, {"МБОУ «СОШ № 5»": 0.20, "МБОУ «СОШ № 6»": 0.375, "МБОУ «СОШ № 8»": 0.130}),
        (2022, {"МБОУ «СОШ № 5»": 0.625, "МБОУ «СОШ № 6»": 0.857, "МБОУ «СОШ № 8»": 0.75}),
    ],
)
def test_inta_share_of_2(inta_summary, year, expected):
    for name, share in expected.items():
        assert inta_summary.loc[(name, year), "share_2"] == pytest.approx(share, abs=5e-4)


def test_inta_not_admitted_2021(inta_summary):
    # Inta seed, table «Допуск к ГИА-9», 2021: 3/25 = 12 %, 1/10 = 10 %, 1/40 = 2,5 %
    got = [
        inta_summary.loc[(n, 2021), "not_admitted_share"]
        for n in ("МБОУ «СОШ № 5»", "МБОУ «СОШ № 6»", "МБОУ «СОШ № 8»")
    ]
    assert got == pytest.approx([0.12, 0.10, 0.025])


def test_inta_unknown_counts_give_nan_not_a_guess(inta_summary):
    row = inta_summary.loc[("МБОУ «СОШ № 5»", 2022)]
    assert pd.isna(row["n3"]) and pd.isna(row["quality_rate"]) and pd.isna(row["success_rate"])
    assert np.isnan(row["sou"]) and np.isnan(row["mean_mark"]) and np.isnan(row["mean_score"])


def test_inta_2020_marked_as_not_an_exam(inta_summary):
    assert inta_summary.xs(2020, level="year")["exam_not_held"].all()
    assert not inta_summary.xs(2019, level="year")["exam_not_held"].any()


def test_wilson_bounds_against_independent_formula(inta_summary):
    # Wilson (1927): (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)
    z = stats.norm.ppf(0.975)
    for _, row in inta_summary.iterrows():
        n, p = row["participants"], row["share_2"]
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
        assert row["share_2_low"] == pytest.approx(max(centre - half, 0), abs=1e-12)
        assert row["share_2_high"] == pytest.approx(min(centre + half, 1), abs=1e-12)
        assert row["share_2_low"] <= p <= row["share_2_high"]


def test_newcombe_against_independent_formula():
    # Newcombe (1998) method 10 written out from the Wilson bounds of each share
    x1, n1, x2, n2 = 5, 25, 15, 24
    (l1,), (u1,) = wilson([x1], [n1])
    (l2,), (u2,) = wilson([x2], [n2])
    p1, p2 = x1 / n1, x2 / n2
    low = (p2 - p1) - np.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = (p2 - p1) + np.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    d, lo, hi = newcombe([x1], [n1], [x2], [n2])
    assert (d[0], lo[0], hi[0]) == pytest.approx((p2 - p1, low, high), abs=1e-10)


def pupils(rng, n_schools=4, size=(3, 30)):
    rows = []
    for s in range(n_schools):
        n = int(rng.integers(*size))
        marks = rng.choice([2, 3, 4, 5], size=n, p=[0.15, 0.4, 0.3, 0.15])
        for i, m in enumerate(marks):
            rows.append(
                {
                    "school_id": f"S{s}",
                    "assessment": "ВПР",
                    "subject": "Математика",
                    "grade": 5,
                    "year": 2021,
                    "pupil_id": f"{s}-{i}",
                    "mark": m,
                    "score": float(m * 3 + rng.integers(0, 3)),
                    "admitted": True,
                }
            )
    return pd.DataFrame(rows)


def test_pupil_level_equals_its_aggregate(rng):
    p = pupils(rng)
    by_pupil = summarize(p)
    agg = (
        p.assign(**{f"n{k}": (p["mark"] == k).astype(int) for k in (2, 3, 4, 5)})
        .groupby(["school_id", "assessment", "subject", "grade", "year"], as_index=False)
        .agg(
            participants=("mark", "size"),
            n2=("n2", "sum"),
            n3=("n3", "sum"),
            n4=("n4", "sum"),
            n5=("n5", "sum"),
            mean_score=("score", "mean"),
        )
    )
    agg["not_admitted"] = 0
    by_agg = summarize(agg)
    cols = [
        "participants",
        "share_2",
        "success_rate",
        "quality_rate",
        "sou",
        "mean_mark",
        "mean_score",
        "share_2_low",
        "quality_rate_high",
    ]
    pd.testing.assert_frame_equal(by_pupil[cols].astype(float), by_agg[cols].astype(float))


def test_sou_and_mean_mark_formulas():
    agg = pd.DataFrame(
        {
            "school_id": ["1"],
            "assessment": "ВПР",
            "subject": "М",
            "grade": 4,
            "year": 2021,
            "participants": [10],
            "n2": [1],
            "n3": [2],
            "n4": [3],
            "n5": [4],
        }
    )
    row = summarize(agg).iloc[0]
    assert row["sou"] == pytest.approx((100 * 4 + 64 * 3 + 36 * 2 + 16 * 1) / 10)
    assert row["mean_mark"] == pytest.approx((2 + 6 + 12 + 20) / 10)
    assert row["success_rate"] == pytest.approx(0.9)
    assert row["quality_rate"] == pytest.approx(0.7)


def test_not_admitted_and_absent_pupils_are_not_participants():
    p = pd.DataFrame(
        {
            "school_id": "1",
            "assessment": "ОГЭ",
            "subject": "М",
            "grade": 9,
            "year": 2022,
            "pupil_id": ["a", "b", "c", "d"],
            "mark": [2, 4, None, None],
            "score": [3.0, 15.0, None, None],
            "admitted": [True, True, False, True],
        }
    )
    row = summarize(p).iloc[0]
    assert row["participants"] == 2
    assert row["not_admitted"] == 1
    assert row["share_2"] == 0.5
    assert row["not_admitted_share"] == pytest.approx(1 / 3)


def test_small_groups_flagged(rng):
    s = summarize(pupils(rng, n_schools=6, size=(2, 9)), min_n=5)
    assert (s["small"] == (s["participants"] < 5)).all()
    assert s["small"].any()


def test_marks_unknown_for_some_pupils_give_nan_counts():
    p = pd.DataFrame(
        {
            "school_id": "1",
            "assessment": "ЕГЭ",
            "subject": "Русский язык",
            "grade": 11,
            "year": 2022,
            "pupil_id": ["a", "b"],
            "mark": [None, None],
            "score": [70.0, 40.0],
        }
    )
    row = summarize(p).iloc[0]
    assert row["participants"] == 2
    assert pd.isna(row["n2"]) and np.isnan(row["share_2"])
    assert row["mean_score"] == 55.0


def test_summary_does_not_mutate_input(rng):
    p = pupils(rng)
    before = p.copy()
    summarize(p, by=["school_id"])
    pd.testing.assert_frame_equal(p, before)


def test_bad_options():
    with pytest.raises(ValueError, match="Параметр `alpha`"):
        summarize(pd.DataFrame({"school_id": [], "participants": []}), by=["school_id"], alpha=2)
    with pytest.raises(eq.DataError, match="нет столбцов municipality"):
        summarize(pd.DataFrame({"school_id": ["1"], "participants": [3]}), by=["municipality"])


def _with_autumn(p: pd.DataFrame) -> pd.DataFrame:
    """``p`` with a session column: a few schools' works of one year written in autumn."""
    autumn = p["school_id"].isin(p["school_id"].unique()[:2]) & (p["year"] == p["year"].max())
    return p.assign(session=np.where(autumn, "осень", "весна"))


@pytest.mark.parametrize("engine", ["pupils", "aggregated", "dask"])
def test_where_equals_the_rows_of_the_whole_summary(rng, engine):
    """``where`` leaves groups out before their metrics: the rows, index and columns of ``.loc``."""
    p = _with_autumn(pupils(rng))
    data = p
    if engine == "aggregated":
        data = summarize(p)[["school_id", "assessment", "subject", "grade", "year", "session"]]
        data = data.assign(participants=5, not_admitted=0, n2=1, mean_score=12.5)
    elif engine == "dask":
        dd = pytest.importorskip("dask.dataframe")
        data = dd.from_pandas(p, npartitions=3)

    def odd_schools(keys: pd.DataFrame) -> np.ndarray:
        return keys["school_id"].isin(["S1", "S3"]).to_numpy()

    def spring(keys: pd.DataFrame) -> pd.Series:
        return keys["session"] == "весна"

    whole = summarize(data)
    assert "session" in whole.columns and whole.index.equals(pd.RangeIndex(len(whole)))
    for where in (odd_schools, spring, lambda keys: np.ones(len(keys), dtype=bool)):
        kept = summarize(data, where=where)
        pd.testing.assert_frame_equal(kept, whole.loc[np.asarray(where(whole), dtype=bool)])
    # every autumn group left out: the column stays, as in the whole summary
    assert "session" in summarize(data, where=spring).columns
    with pytest.raises(ValueError, match="Параметр `where`: нужен один признак на группу"):
        summarize(data, where=lambda keys: [True])


def _as_counts(pupils: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Pupil results as counts per group, with plain pandas: the form of a school's table."""
    wrote = pupils["admitted"] & (pupils["mark"].notna() | pupils["score"].notna())
    g = pupils.assign(wrote=wrote, na=~pupils["admitted"]).groupby(by)
    out = g.agg(participants=("wrote", "sum"), not_admitted=("na", "sum"))
    for m in (2, 3, 4, 5):
        out[f"n{m}"] = g.apply(lambda x, m=m: int((x["wrote"] & (x["mark"] == m)).sum()))
    out["mean_score"] = g.apply(lambda x: x.loc[x["wrote"], "score"].mean())
    return out.reset_index()


def test_pupils_and_counts_summarised_together():
    rng = np.random.default_rng(7)
    n = 400
    pupils = pd.DataFrame(
        {
            "municipality": rng.choice(["А", "Б"], n),
            "school_id": rng.choice([f"{i:02d}" for i in range(8)], n),
            "subject": rng.choice(["Математика", "Русский язык"], n),
            "year": 2024,
            "mark": rng.integers(2, 6, n),
            "admitted": rng.random(n) > 0.05,
        }
    )
    pupils["municipality"] = np.where(pupils["school_id"] < "04", "А", "Б")
    pupils["score"] = pupils["mark"] * 5.0 + rng.normal(0, 2, n)
    pupils.loc[~pupils["admitted"], ["mark", "score"]] = np.nan
    school = ["municipality", "school_id", "subject", "year"]
    counted = pupils["school_id"].isin(["00", "01", "04"])  # two schools of А, one of Б
    counts = _as_counts(pupils.loc[counted], school)
    by = ["municipality", "subject", "year"]
    got = summarize_together([pupils.loc[~counted], counts], by)
    whole = summarize(pupils, by)
    assert len(got) == len(whole) == 4  # one row per municipality and subject
    for c in ("participants", "not_admitted", "n2", "n3", "n4", "n5"):
        assert got[c].tolist() == whole[c].tolist(), c
    for c in ("share_2", "share_2_low", "quality_rate", "sou", "mean_mark", "mean_score"):
        np.testing.assert_allclose(got[c], whole[c], rtol=1e-12, err_msg=c)
    assert got["score_sd"].isna().all()  # counts per school carry no deviation
    # a group of pupils alone keeps its deviation: a school given per pupil
    per_school = ["school_id", "subject", "year"]
    schools = summarize_together([pupils.loc[~counted], counts], per_school)
    alone = schools.loc[~schools["school_id"].isin(["00", "01", "04"])].reset_index(drop=True)
    mine = summarize(pupils.loc[~counted], per_school)
    np.testing.assert_allclose(alone["score_sd"], mine["score_sd"], rtol=1e-12)
    # a count unknown in the counts is unknown in the whole; a school's mean missing: no mean
    partial = counts.assign(n5=counts["n5"].astype("Int64"))
    partial.loc[0, "n5"] = pd.NA
    partial.loc[1, "mean_score"] = np.nan
    got = summarize_together([pupils.loc[~counted], partial], by).set_index(
        ["municipality", "subject"]
    )
    first, second = (
        tuple(counts.loc[0, ["municipality", "subject"]]),
        tuple(counts.loc[1, ["municipality", "subject"]]),
    )
    assert pd.isna(got.loc[first, "n5"]) and pd.isna(got.loc[first, "quality_rate"])
    assert np.isnan(got.loc[second, "mean_score"])
    assert got.drop([first, second])["mean_score"].notna().all()


def test_summarize_together_of_one_table_is_summarize(inta):
    by = ["assessment", "year"]
    got = summarize_together([inta.results, inta.aggregates], by)
    pd.testing.assert_frame_equal(got, summarize(inta.aggregates, by))
    assert got.attrs == summarize(inta.aggregates, by).attrs


def test_a_large_table_counted_on_two_threads_gives_the_same_summary(monkeypatch):
    import edu_quality.metrics as metrics

    results = eq.load_dataset(SAMPLES / "region").results
    alone = summarize(results)
    monkeypatch.setattr(metrics, "LARGE", 1)  # the deviations on a second thread
    both = summarize(results)
    pd.testing.assert_frame_equal(both, alone, check_exact=True)
    # the deviation is pandas' own, written one group at a time
    wrote = results.loc[results["admitted"].fillna(True).astype(bool)]
    sd = wrote.groupby(["school_id", "year", "assessment", "subject", "grade"], observed=True)[
        "score"
    ].std()
    got = both.set_index(["school_id", "year", "assessment", "subject", "grade"])["score_sd"]
    pd.testing.assert_series_equal(
        got.loc[sd.index].rename("score"), sd, check_exact=True, check_index_type=False
    )

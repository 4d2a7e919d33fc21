"""Fast paths for national-scale data give what the general paths give.

Each fast path (the Parquet reading of :mod:`edu_quality.io`, the reading of a
partitioned folder, the grouping of :func:`summarize`, the series of
:func:`year_over_year`, the closed-form :func:`trend`, the VIF of
:func:`influence`, the composite of :func:`composite_results`) is compared with
the general or original computation on a synthetic region of a few hundred
schools. Speed is measured by ``benchmarks/bench_national.py``, not here.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.outliers_influence import variance_inflation_factor

import edu_quality as eq
from edu_quality import _codes
from edu_quality._grouping import aggregate, factorize, groups, on_distinct
from edu_quality.dataset.checks import duplicated
from edu_quality.dataset.ids import ids_in_several_schools
from edu_quality.dynamics import series_trend, trend, year_over_year
from edu_quality.errors import DataError, Problem
from edu_quality.factors import influence
from edu_quality.factors.regression import variance_inflation as _vif
from edu_quality.identify import classify, composite_results
from edu_quality.intervals import newcombe, wilson
from edu_quality.io.cells import parse, parse_distinct
from edu_quality.io.checks import duplicated_any, passes
from edu_quality.io.raw import empty_rows
from edu_quality.metrics import summarize
from edu_quality.schema import RESULTS_PUPILS, pandera_schema
from edu_quality.synthetic import make_region, write_region

pytestmark = pytest.mark.slow  # builds national-scale data

KEY = [k for k in RESULTS_PUPILS.key if k != "session"]  # the synthetic region: spring only


@pytest.fixture(scope="module")
def region():
    # 8 municipalities × 40 schools = 320 schools, about 45 000 pupil results
    return make_region(8, 40, pupils_scale=0.5, seed=7)


@pytest.fixture(scope="module")
def folders(region, tmp_path_factory):
    root = tmp_path_factory.mktemp("scale")
    out = {}
    for name, options in (
        ("csv", {"format": "csv"}),
        ("parquet", {"format": "parquet"}),
        ("parts", {"format": "parquet", "partition_by_year": True}),
    ):
        write_region(region, root / name, **options)
        out[name] = root / name
    return out


@pytest.fixture(scope="module")
def loaded(folders):
    return {name: eq.load_dataset(folder) for name, folder in folders.items()}


@pytest.fixture(scope="module")
def summary(loaded):
    return summarize(loaded["csv"].results)


# ------------------------------------------------------------------ reading


def _by_key(table: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    return table.sort_values(key, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("name", ["parquet", "parts"])
def test_parquet_reads_as_csv(loaded, name):
    csv, other = loaded["csv"], loaded[name]
    assert len(csv.results) > 40_000
    for table in (
        "schools",
        "aggregates",
        "context",
        "staff",
        "enrolment",
        "risk_profiles",
        "indicators",
        "plan",
    ):
        pd.testing.assert_frame_equal(getattr(other, table), getattr(csv, table), obj=table)
    # a partitioned folder is read part by part (year by year): same rows, other order
    results = other.results if name == "parquet" else _by_key(other.results, KEY)
    expected = csv.results if name == "parquet" else _by_key(csv.results, KEY)
    pd.testing.assert_frame_equal(results, expected)
    assert other.years == csv.years and other.notes == csv.notes
    if name == "parts":
        assert other.files["results"] == [
            "results_ege",
            "results_kdr",
            "results_oge",
            "results_vpr",
        ]


def test_parse_distinct_is_parse(rng):
    n = 30_000  # above the sample size, so the distinct values are used
    cells = {
        "id": pd.Series(
            rng.choice([" 12", "12", "1\xa02", "—", None, "н/д", "Ш-5 "], n), dtype="str"
        ),
        "text": pd.Series(rng.choice(["Математика", " Русский язык ", "", None], n), dtype="str"),
        "category": pd.Series(
            rng.choice(["ВПР", "впр", "ГИА-9", "огэ ", "КДР", "экзамен", None], n), dtype="str"
        ),
        "mark": pd.array(rng.choice([2, 3, 4, 5, 7, -1], n), dtype="Int64"),
        "year": pd.Series(rng.choice([2021.0, 2022.5, np.nan, 99.0, -2020.0, 2024.0], n)),
        "bool": pd.array(rng.choice([True, False], n), dtype="boolean"),
    }
    cells["mark"][::7] = pd.NA
    cells["bool"][::11] = pd.NA
    # a CSV file's columns: every cell text, numbers too
    text = {
        "score as text": ["12", "12,5", " 7 ", "1e400", "−3", "н/д", "", None, "abc", "25 %"],
        "grade as text": ["4", "5", "4.0", "4,5", "", None, "пятый"],
        "mark as text": ["2", "5", "5.0", "«5»", "7", "", None],
        "year as text": ["2021-2022", "2022", "2021/22 ", "2022 г.", "2019-2021", "", None, "x"],
        "bool as text": ["да", "Нет", "1", "0", "true", "", None, "может быть"],
    }
    for kind, values in text.items():
        cells[kind] = pd.Series(rng.choice(np.array(values, dtype=object), n), dtype="str")
    # an Excel sheet's columns: Python objects, text only or mixed with numbers and dates
    excel = {
        "category as objects": ["ВПР", "впр", "огэ ", None, np.nan, "экзамен"],
        "score as objects": ["12", "12,5", "н/д", None, np.nan],
        "mark mixed": [5, 5.0, "5", True, "4", None, 2.5],
        "year mixed": [2022, "2021-2022", 2022.0, datetime.date(2021, 9, 1), None],
    }
    for kind, values in excel.items():
        cells[kind] = pd.Series(rng.choice(np.array(values, dtype=object), n), dtype=object)
    columns = {
        "id": RESULTS_PUPILS.column("pupil_id"),
        "text": RESULTS_PUPILS.column("subject"),
        "category": RESULTS_PUPILS.column("assessment"),
        "mark": RESULTS_PUPILS.column("mark"),
        "year": RESULTS_PUPILS.column("year"),
        "bool": RESULTS_PUPILS.column("admitted"),
        "score as text": RESULTS_PUPILS.column("score"),
        "grade as text": RESULTS_PUPILS.column("grade"),
        "mark as text": RESULTS_PUPILS.column("mark"),
        "year as text": RESULTS_PUPILS.column("year"),
        "bool as text": RESULTS_PUPILS.column("admitted"),
        "category as objects": RESULTS_PUPILS.column("assessment"),
        "score as objects": RESULTS_PUPILS.column("score"),
        "mark mixed": RESULTS_PUPILS.column("mark"),
        "year mixed": RESULTS_PUPILS.column("year"),
    }
    for kind, values in cells.items():
        s = pd.Series(values)
        slow = parse(columns[kind], s)
        fast = parse_distinct(columns[kind], s)
        with (
            _codes.shared_codes()
        ):  # as a file is read: the layout checks factorised the cells first
            _codes.factorize(s)
            shared = parse_distinct(columns[kind], s)
        # a yes/no column comes typed (nullable boolean): the loader's cast of parse's objects
        values = slow[0].astype("boolean") if columns[kind].kind == "bool" else slow[0]
        for got in (fast, shared):
            pd.testing.assert_series_equal(got[0], values, obj=kind)
            pd.testing.assert_series_equal(got[1], slow[1], obj=kind)
            assert got[2] == slow[2]
        if isinstance(s.dtype, pd.StringDtype):  # read from a Parquet dictionary: categories
            got = parse_distinct(columns[kind], s.astype("category"))
            pd.testing.assert_series_equal(got[0], values, obj=kind)
            pd.testing.assert_series_equal(got[1], slow[1], obj=kind)
            # kept as categories (a dataset's table): the text parsed, as a categorical
            held = parse_distinct(columns[kind], s.astype("category"), categorical=True)
            text = isinstance(values.dtype, pd.StringDtype)
            pd.testing.assert_series_equal(
                held[0], values.astype("category") if text else values, obj=kind
            )
            pd.testing.assert_series_equal(held[1], slow[1], obj=kind)
            # fewer cells than the distinct values are parsed for: parsed cell by cell
            few = s.head(1_000)
            got, expected = (
                parse_distinct(columns[kind], few.astype("category")),
                parse(columns[kind], few),
            )
            pd.testing.assert_series_equal(got[0], expected[0], obj=kind)
            pd.testing.assert_series_equal(got[1], expected[1], obj=kind)


def test_empty_rows_as_the_general_test():
    data = pd.DataFrame(
        {
            0: pd.Series(["", " ", "x", None, "nan", " None "], dtype="str"),
            1: pd.Series([" ", "", "", "", "", ""], dtype="str"),
            2: [np.nan, np.nan, np.nan, np.nan, 1.0, np.nan],
        }
    )
    general = (
        (data.astype(str).apply(lambda c: c.str.strip().isin(("", "nan", "None"))) | data.isna())
        .all(axis=1)
        .to_numpy()
    )
    assert general.tolist() == [True, True, False, True, False, True]
    np.testing.assert_array_equal(empty_rows(data), general)
    as_categories = data.astype({0: "category", 1: "category"})  # a Parquet dictionary
    np.testing.assert_array_equal(empty_rows(as_categories), general)
    # without the numeric column: row 4 («nan» as text) is empty too
    assert empty_rows(data[[0, 1]]).tolist() == [True, True, False, True, True, True]


def test_vectorised_checks_agree_with_pandera(region):
    table = region.results_vpr.head(500).assign(admitted=lambda d: d["admitted"].astype("boolean"))
    schema = pandera_schema(RESULTS_PUPILS, table.columns)
    assert passes(schema, table)
    broken = {
        "mark out of range": table.assign(mark=table["mark"].mask(table.index == 3, 7)),
        "repeated key": pd.concat([table, table.iloc[[5]]], ignore_index=True),
        "missing required": table.assign(pupil_id=table["pupil_id"].mask(table.index == 9)),
        "bad assessment": table.assign(assessment="Олимпиада"),
        "bad dtype": table.assign(grade=table["grade"].astype("float64")),
    }
    for what, bad in broken.items():
        assert not passes(schema, bad), what
        with pytest.raises(Exception):  # noqa: B017 — pandera's own error
            schema.validate(bad, lazy=True)
    assert duplicated_any(table, KEY) is False
    assert duplicated_any(broken["repeated key"], KEY) is True


@pytest.mark.parametrize("problem", ["mark", "duplicate", "pupil"])
def test_parquet_errors_are_those_of_csv(region, tmp_path, problem):
    vpr = region.results_vpr.head(300).copy()
    if problem == "mark":
        vpr["mark"] = vpr["mark"].mask(vpr.index.isin([4, 40]), 7)
    elif problem == "duplicate":
        vpr = pd.concat([vpr, vpr.iloc[[10]]], ignore_index=True)
    else:
        vpr["pupil_id"] = vpr["pupil_id"].mask(vpr.index == 17)
    errors = []
    for suffix in ("csv", "parquet"):
        path = tmp_path / f"results.{suffix}"
        if suffix == "csv":
            vpr.to_csv(path, index=False)
        else:
            vpr.to_parquet(path, index=False)
        with pytest.raises(DataError) as info:
            eq.read_results(path)
        errors.append(str(info.value).replace(path.name, "FILE"))
    assert errors[0] == errors[1]


def test_fill_from_a_partition_is_the_column(region, tmp_path):
    vpr = region.results_vpr
    one = vpr.loc[vpr["year"] == 2024]
    one.to_parquet(tmp_path / "with_year.parquet", index=False)
    one.drop(columns="year").to_parquet(tmp_path / "without.parquet", index=False)
    a = eq.read_results(tmp_path / "with_year.parquet")
    b = eq.read_results(tmp_path / "without.parquet", year=2024)
    pd.testing.assert_frame_equal(a, b)


def test_repeats_across_partitions_are_found(region, tmp_path):
    write_region(region, tmp_path, format="parquet", partition_by_year=True)
    part = next((tmp_path / "results_oge" / "year=2023").glob("*.parquet"))
    # the same results once more, in a file of the year before: same works, same pupils
    copy = pd.read_parquet(part).head(20)
    copy.assign(year=2023).to_parquet(
        tmp_path / "results_oge" / "year=2022" / "x.parquet", index=False
    )
    with pytest.raises(DataError, match="в нескольких файлах"):
        eq.load_dataset(tmp_path)


def test_unknown_partition_is_an_error(region, tmp_path):
    write_region(region, tmp_path, format="parquet", partition_by_year=True)
    (tmp_path / "results_vpr" / "year=2024").rename(tmp_path / "results_vpr" / "2024")
    with pytest.raises(DataError, match="не является разбиением"):
        eq.load_dataset(tmp_path)


def test_duplicate_search_narrowed_as_the_full_one(rng):
    for _ in range(100):
        n = int(rng.integers(2, 40))
        frame = pd.DataFrame(
            {
                "year": rng.choice([2023, 2024], n),
                "assessment": "ВПР",
                "subject": pd.Series(rng.choice(["М", "Р"], n), dtype="str"),
                "grade": 5,
                "school_id": pd.Series(rng.choice(["1", "2"], n), dtype="str"),
                "pupil_id": pd.Series(rng.choice(list("abcdef"), n), dtype="str"),
            }
        )
        cut = int(rng.integers(1, n))
        parts = [(frame.iloc[:cut], bool(rng.integers(2))), (frame.iloc[cut:], False)]
        out = pd.concat([p for p, _ in parts], ignore_index=True)
        full = out.duplicated(KEY, keep=False)
        narrowed = duplicated(out, parts, KEY)
        # tables whose reader refused repeats can repeat only another table's keys
        if parts[0][1] and frame.iloc[:cut].duplicated(KEY).any():
            continue
        pd.testing.assert_series_equal(narrowed, full, check_names=False)


def test_ids_in_several_schools_as_drop_duplicates(rng):
    def reference(results: pd.DataFrame) -> int:  # the plain pandas formulation
        work = ["year", "assessment", "subject", "grade", "pupil_id"]
        r = results.loc[results["pupil_id"].notna(), [*work, "school_id"]].drop_duplicates()
        return int(r.loc[r.duplicated(work, keep=False)].drop_duplicates(work).shape[0])

    for _ in range(100):
        n = int(rng.integers(1, 50))
        frame = pd.DataFrame(
            {
                "year": rng.integers(2020, 2022, n),
                "assessment": rng.choice(["ВПР", "ОГЭ"], n),
                "subject": pd.Series(rng.choice(["М", "Р", None], n), dtype="str"),
                "grade": rng.integers(4, 6, n),
                "pupil_id": pd.Series(rng.choice(["a", "b", "c", None], n), dtype="str"),
                "school_id": pd.Series(
                    rng.choice(["1", "2", "3", None], n), dtype=str(rng.choice(["str", "category"]))
                ),
            }
        )
        assert ids_in_several_schools(frame) == reference(frame)
        with _codes.shared_codes():  # the school codes of a file's checks
            assert ids_in_several_schools(frame) == reference(frame)


def test_text_hashes_are_equal_for_equal_texts_whatever_their_chunks(rng):
    import pyarrow as pa

    pool = ["", "a", "ab", "aб", "ba", "P-0012", "П0012", "x" * 64, "40001", "4000"]
    values = rng.choice(pool, 3_000).tolist()
    values[::7] = [None] * len(values[::7])
    # chunks of different longest texts, one of them a slice, small and large offsets
    chunks = [
        pa.array(values[:1000], pa.large_string()),
        pa.array(values[1000:2000], pa.large_string()),
    ]
    chunks.append(pa.array(["zz", *values[2000:]], pa.large_string()).slice(1))
    s = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array(chunks)))
    h = _codes.text_hashes(s)
    short = pd.Series(pd.arrays.ArrowStringArray(pa.array(values, pa.string())))  # 32-bit offsets
    assert (_codes.text_hashes(short) == h).all()
    codes, _ = pd.factorize(pd.Series(values, dtype="str"), use_na_sentinel=False)
    # one hash per distinct text (the missing cell and «» apart), the same in every chunk
    assert len(set(h.tolist())) == len(set(codes.tolist())) == len(pool) + 1
    assert (pd.factorize(h)[0] == pd.factorize(codes)[0]).all()
    uneven = pa.chunked_array([pa.array(["ab", "P-1"]), pa.array(["x" * 64, "P-1", "ab"])])
    h = _codes.text_hashes(pd.Series(pd.arrays.ArrowStringArray(uneven)))
    assert h[0] == h[4] and h[1] == h[3]  # chunks of different longest texts
    assert _codes.text_hashes(pd.Series(["x" * 65], dtype="str")) is None  # too long: factorize
    assert _codes.text_hashes(pd.Series(["a"], dtype=object)) is None


@pytest.mark.parametrize("hashes", ["own", "every text alike"])
def test_hashed_pupil_codes_give_the_exact_answers(rng, monkeypatch, hashes):
    """The duplicate check and the count of codes in several schools hash the pupil codes;
    equal hashes are looked at again by their texts — with every hash alike, too."""
    from edu_quality.dataset import ids
    from edu_quality.io import checks

    calls = []

    def hashed(values):
        calls.append(len(values))
        h = _codes.text_hashes(values)
        return None if h is None else (h if hashes == "own" else np.zeros_like(h))

    monkeypatch.setattr(checks, "text_hashes", hashed)
    monkeypatch.setattr(ids, "text_hashes", hashed)

    def several(results: pd.DataFrame) -> int:  # the plain pandas formulation
        work = ["year", "assessment", "subject", "grade", "pupil_id"]
        r = results.loc[results["pupil_id"].notna(), [*work, "school_id"]].drop_duplicates()
        return int(r.loc[r.duplicated(work, keep=False)].drop_duplicates(work).shape[0])

    seen = {True: 0, False: 0}
    for _ in range(60):
        n = int(rng.integers(1, 400))
        frame = pd.DataFrame(
            {
                "school_id": pd.Series(rng.choice(["1", "2", "3"], n), dtype="str"),
                "pupil_id": pd.Series(
                    [f"P{i}" for i in rng.integers(0, int(rng.integers(2, 3 * n + 3)), n)],
                    dtype="str",
                ),
                "year": rng.integers(2020, 2022, n),
                "assessment": pd.Series(rng.choice(["ВПР", "ОГЭ"], n), dtype="str"),
                "subject": pd.Series(rng.choice(["М", "Р"], n), dtype="str"),
                "grade": rng.integers(4, 6, n),
            }
        )
        repeated = bool(frame.duplicated(KEY).any())
        seen[repeated] += 1
        assert duplicated_any(frame, KEY) is repeated
        assert ids_in_several_schools(frame) == several(frame)
    assert calls and min(seen.values()) > 5  # hashed; tables with and without repeats


# ------------------------------------------------------------------ summaries


def _reference_summary_counts(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Counts of :func:`summarize` with a pandas groupby (the original formulation)."""
    admitted = results["admitted"].fillna(True).astype(bool)
    mark, score = results["mark"], results["score"]
    wrote = admitted & (mark.notna() | score.notna())
    frame = results[by].copy()
    frame["participants"] = wrote.astype("int64")
    frame["not_admitted"] = (~admitted).astype("int64")
    marked = wrote & mark.notna()
    frame["_marked"] = marked.astype("int64")
    for k in (2, 3, 4, 5):
        frame[f"n{k}"] = (marked & (mark == k)).astype("int64")
    frame["_score"] = score.where(wrote).astype("float64")
    frame["_score_n"] = (wrote & score.notna()).astype("int64")
    g = frame.groupby(by, sort=True, observed=True, dropna=False)
    out = g[["participants", "not_admitted", "_marked", "n2", "n3", "n4", "n5"]].sum()
    out["mean_score"] = g["_score"].mean()
    out["score_sd"] = g["_score"].std(ddof=1)
    out["score_n"] = g["_score_n"].sum()
    unknown = out["_marked"] < out["participants"]
    for c in ("n2", "n3", "n4", "n5"):
        out[c] = out[c].astype("float64").where(~unknown)
    return out.drop(columns="_marked").reset_index()


@pytest.mark.parametrize(
    "by",
    [
        ["school_id", "assessment", "subject", "grade", "year"],
        ["school_id", "year"],
        ["subject", "level"],
        ["assessment"],
    ],
)
def test_summarize_counts_as_pandas_groupby(loaded, by):
    results = loaded["csv"].results.copy()
    results["mark"] = results["mark"].mask(np.arange(len(results)) % 97 == 0)  # some unknown
    got = summarize(results, by)
    expected = _reference_summary_counts(results, by)
    columns = list(expected.columns)
    got = got[columns].astype({c: "float64" for c in ("not_admitted", "n2", "n3", "n4", "n5")})
    expected = expected.astype({c: "float64" for c in ("not_admitted", "n2", "n3", "n4", "n5")})
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


def test_groups_as_pandas(loaded):
    results = loaded["csv"].results
    for by in (["school_id", "grade"], ["level", "year"], ["subject"]):
        ids, keys = groups(results, by)
        g = results.groupby(by, sort=True, observed=True, dropna=False)
        np.testing.assert_array_equal(ids, g.ngroup().to_numpy())
        pd.testing.assert_frame_equal(keys, g.size().index.to_frame(index=False))


def test_groups_of_categorical_keys_as_pandas():
    """Codes in the order of the categories (here not sorted), a missing value last; integers of
    every width."""
    rng = np.random.default_rng(1)
    n = 3000
    frame = pd.DataFrame(
        {
            "a": pd.Categorical(
                rng.choice(["x", "y", "z", None], n), categories=["z", "x", "y", "w"]
            ),
            "b": rng.integers(0, 5, n),
            "c": pd.Series(rng.choice(["p", "q", None], n), dtype="str"),
            "d": pd.Categorical(rng.choice(["m", "n"], n)),
            "e": rng.integers(-100, 100, n).astype("int8"),  # the narrow integers of Parquet
            "f": rng.integers(2019, 2025, n).astype("int16"),
            "g": rng.integers(0, 40, n).astype("uint8"),
        }
    )
    for by in (["a"], ["a", "b"], ["b", "a", "c"], ["d", "a"], ["c", "d", "b"], ["e", "f", "g"]):
        ids, keys = groups(frame, by)
        g = frame.groupby(by, sort=True, observed=True, dropna=False)
        np.testing.assert_array_equal(ids, g.ngroup().to_numpy())
        pd.testing.assert_frame_equal(keys, g.size().index.to_frame(index=False))


@pytest.mark.parametrize("runs", [1, 3, 50])
def test_groups_of_rows_in_runs_as_pandas(runs):
    """Keys spanning many more combinations than rows, each group's rows one after another
    (as a file lists a class) or spread: the runs are ranked, the same groups as pandas."""
    rng = np.random.default_rng(runs)
    n_runs = 4000
    school = rng.integers(0, 10**6, n_runs)
    frame = pd.DataFrame(
        {
            "school": np.repeat(school, runs),
            "grade": np.repeat(rng.integers(4, 12, n_runs), runs),
            "subject": pd.Categorical(np.repeat(rng.choice(["м", "р", None], n_runs), runs)),
        }
    )
    spread = frame.sample(frac=1, random_state=runs, ignore_index=True)
    for table in (frame, spread):
        for by in (["school"], ["school", "grade", "subject"], ["subject", "school"]):
            ids, keys = groups(table, by)
            g = table.groupby(by, sort=True, observed=True, dropna=False)
            np.testing.assert_array_equal(ids, g.ngroup().to_numpy())
            pd.testing.assert_frame_equal(keys, g.size().index.to_frame(index=False))


@pytest.mark.parametrize("seed", range(6))
def test_aggregate_as_pandas_groupby_agg(seed):
    """Missing keys of every kind, categorical keys and values, float32 and nullable sums."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 3)) * 2000  # an empty table too
    frame = pd.DataFrame(
        {
            "school": pd.Categorical(rng.choice(["a", "b", "c", None], n), categories=list("cba")),
            "grade": rng.integers(4, 9, n).astype("int8"),
            "subject": pd.Series(rng.choice(["м", "р", None], n), dtype="str"),
            "task": pd.Categorical(rng.choice(["1", "2а", None], n)),
            "no": pd.Series(rng.choice([1.0, 2.0, np.nan], n)),
            "score": (rng.integers(0, 5, n) / 2).astype("float32"),
            "points": pd.array(rng.choice([0.5, 1.25, None], n), dtype="Float64"),
        }
    )
    how = {
        "n": ("score", "size"),
        "total": ("score", "sum"),
        "top": ("score", "max"),
        "low": ("points", "min"),
        "points": ("points", "sum"),
        "task": ("task", "first"),
    }
    for by in (["school", "grade"], ["subject", "no"], ["grade", "school", "subject", "no"]):
        expected = frame.groupby(by, observed=True, sort=True).agg(**how).reset_index()
        pd.testing.assert_frame_equal(aggregate(frame, by, how), expected, check_exact=True)


def test_intervals_on_distinct_values(summary):
    n = summary["participants"].to_numpy()
    c = summary["n2"].to_numpy(dtype="float64", na_value=np.nan)
    for fast, slow in zip(on_distinct(wilson, c, n), wilson(c, n), strict=True):
        np.testing.assert_array_equal(fast, slow)
    m = len(n) // 2
    args = (c[:m], n[:m], c[m : 2 * m], n[m : 2 * m])
    for fast, slow in zip(on_distinct(newcombe, *args), newcombe(*args), strict=True):
        np.testing.assert_array_equal(fast, slow)


def test_summarize_aggregated_as_before():
    # Inta seed layout: counts per school; unknown «3»…«5» stay unknown
    agg = pd.DataFrame(
        {
            "school_id": ["a", "a", "b", "b", "c"],
            "assessment": "ОГЭ",
            "subject": "М",
            "grade": 9,
            "year": [2020, 2020, 2021, 2021, 2021],
            "participants": [10, 12, 7, 9, 3],
            "n2": [1, None, 2, 3, 0],
            "mean_score": [12.37, 11.1, None, 3.3, 4.4],
            "not_admitted": [0, 1, 2, 0, 1],
        }
    )
    s = summarize(agg, ["school_id", "year"]).set_index("school_id")
    assert s["participants"].tolist() == [22, 16, 3]
    assert pd.isna(s.loc["a", "n2"]) and s.loc["b", "n2"] == 5
    assert s.loc["a", "mean_score"] == pytest.approx((12.37 * 10 + 11.1 * 12) / 22)
    assert np.isnan(s.loc["b", "mean_score"]) and s.loc["c", "mean_score"] == 4.4


# ------------------------------------------------------------------ dynamics


def _reference_yoy(summary: pd.DataFrame, keys: list[str], metric: str) -> pd.DataFrame:
    """Share-of-«2» changes by a pandas groupby shift (the original formulation)."""
    s = summary.loc[~((summary["assessment"].isin(["ОГЭ", "ЕГЭ"])) & (summary["year"] == 2020))]
    s = s.sort_values([*keys, "year"])
    prev = s.groupby(keys, sort=False, dropna=False).shift(1)
    c_to, c_from = s["n2"].astype("float64"), prev["n2"].astype("float64")
    n_to, n_from = s["participants"].astype("float64"), prev["participants"].astype("float64")
    change, low, high = newcombe(c_from, n_from, c_to, n_to)
    frame = s[keys].copy()
    frame["year_from"], frame["year_to"] = prev["year"], s["year"]
    frame["change"], frame["change_low"], frame["change_high"] = change, low, high
    return frame.loc[prev["year"].notna().to_numpy()].reset_index(drop=True)


def test_year_over_year_as_groupby_shift(summary):
    keys = ["school_id", "assessment", "subject", "grade"]
    got = year_over_year(summary, metrics=["share_2"])
    expected = _reference_yoy(summary, keys, "share_2")
    expected["year_from"] = expected["year_from"].astype(summary["year"].dtype)  # as year_to
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_exact=True)
    assert len(year_over_year(summary)) == 4 * len(expected)


def test_trend_closed_form_equals_statsmodels_wls(summary):
    keys = ["school_id", "assessment", "subject", "grade"]
    for metric in ("share_2", "quality_rate", "not_admitted_share"):
        got = trend(summary, metric=metric)
        assert got["slope"].notna().sum() > 300
        nums = {
            "share_2": ["n2"],
            "quality_rate": ["n4", "n5"],
            "not_admitted_share": ["not_admitted"],
        }[metric]
        # left out of trends (the exam-years table, written out here): ОГЭ and ЕГЭ 2020 not
        # held as exams, ЕГЭ 2021 a selective population, ОГЭ 2021 only in two subjects
        a, y = summary["assessment"], summary["year"]
        out = (a.isin(["ОГЭ", "ЕГЭ"]) & (y == 2020)) | ((a == "ЕГЭ") & (y == 2021))
        out |= (a == "ОГЭ") & (y == 2021) & ~summary["subject"].isin(["Русский язык", "Математика"])
        s = summary.loc[~out]
        s = s.assign(
            _c=sum(s[c].astype("float64") for c in nums),
            _n=s["participants"]
            + (s["not_admitted"].astype("float64") if metric == "not_admitted_share" else 0),
        )
        s = s.loc[s["_c"].notna() & (s["_n"] > 0)]
        groups = s.groupby(keys, sort=True).indices
        assert list(groups) == list(got[keys].itertuples(index=False, name=None))
        # statsmodels fits one series at a time: every 10th series is enough
        for i in range(0, len(got), 10):
            g = s.iloc[groups[tuple(got.loc[i, keys])]]
            ref = series_trend(
                g["year"].to_numpy(dtype="float64"),
                g["_c"].to_numpy(),
                g["_n"].to_numpy(),
                metric=metric,
                min_years=3,
                alpha=0.05,
            )
            for c in ("years", "first_year", "last_year"):
                assert got.loc[i, c] == ref[c]
            for c in ("slope", "slope_low", "slope_high", "p_value"):
                assert got.loc[i, c] == pytest.approx(ref[c], abs=1e-10, nan_ok=True), (i, c)


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.SingularMatrixWarning")
def test_trend_of_a_series_with_repeated_years_goes_to_statsmodels():
    agg = pd.DataFrame(
        {
            "school_id": "8",
            "assessment": "ОГЭ",
            "subject": ["М", "Р", "М", "Р"],
            "grade": 9,
            "year": [2022, 2022, 2022, 2022],
            "participants": [40, 30, 20, 35],
            "not_admitted": 0,
            "n2": [6, 4, 5, 9],
        }
    )
    t = trend(summarize(agg), by=["school_id", "grade"], min_years=2).iloc[0]
    ref = series_trend(
        np.full(2, 2022.0), np.array([11.0, 13.0]), np.array([60.0, 65.0]), min_years=2
    )
    assert t["years"] == 2 and t["slope"] == pytest.approx(ref["slope"], nan_ok=True)


# ------------------------------------------------------------------ factors, identification


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
def test_vif_equals_statsmodels(loaded):
    ctx = loaded["csv"].context.query("year == 2024")
    x = ctx.drop(columns=["school_id", "year"]).to_numpy(dtype="float64")
    exog = np.column_stack([np.ones(len(x)), x])
    fast = _vif(exog)
    slow = [variance_inflation_factor(exog, i) for i in range(1, exog.shape[1])]
    np.testing.assert_allclose(fast, slow, rtol=1e-10)
    near = np.column_stack([exog, x[:, 0] + 1e-9 * x[:, 1]])  # near singular: statsmodels
    np.testing.assert_allclose(
        _vif(near), [variance_inflation_factor(near, i) for i in range(1, near.shape[1])]
    )


def test_influence_binomial_over_schools(loaded, summary):
    ctx = loaded["csv"].context
    vpr = summary.loc[(summary["assessment"] == "ВПР") & (summary["year"] == 2024)]
    pooled = vpr.groupby("school_id", as_index=False)[["participants", "n2"]].sum()
    pooled["share_2"] = pooled["n2"] / pooled["participants"]
    data = pooled.merge(ctx.loc[ctx["year"] == 2024], on="school_id")
    factors = [c for c in ctx.columns if c not in ("school_id", "year")]
    res = influence(data, "share_2", factors, family="binomial", trials="participants")
    assert res.attrs["model"] == "GLM Binomial" and res.attrs["n"] == len(data)
    # the strongest planted factors raise the share of «2»
    assert res.set_index("factor").loc["kdn_registered", "coef"] > 0


def _reference_composite(summary: pd.DataFrame) -> pd.DataFrame:
    """Composite by pandas groupby-transform (the original formulation)."""
    s = summary.loc[summary["participants"] > 0].copy()
    cell = ["assessment", "subject", "grade", "year"]
    score_cell = s["mean_score"].notna().groupby([s[c] for c in cell]).transform("all")
    p = s["share_2"].astype("float64")
    s["_v"] = np.where(score_cell, s["mean_score"], -p)
    s["_se"] = np.where(
        score_cell,
        s["score_sd"] / np.sqrt(s["participants"]),
        np.sqrt(p * (1 - p) / s["participants"]),
    )
    g = s.groupby(cell)["_v"]
    sd = g.transform("std")
    s["_z"] = (s["_v"] - g.transform("mean")) / sd.where(sd > 0)
    s["_sez"] = s["_se"] / sd.where(sd > 0)
    s = s.loc[s["_z"].notna()]
    w = s["participants"].astype("float64")
    s["_wz"], s["_w2se2"], s["_w"] = w * s["_z"], (w * s["_sez"].fillna(0)) ** 2, w
    out = (
        s.groupby(["school_id", "year"])
        .agg(
            _wz=("_wz", "sum"),
            _w=("_w", "sum"),
            _w2se2=("_w2se2", "sum"),
            procedures=("_z", "size"),
            participants=("participants", "sum"),
        )
        .reset_index()
    )
    out["composite"] = out["_wz"] / out["_w"]
    out["composite_se"] = np.sqrt(out["_w2se2"]) / out["_w"]
    return out[["school_id", "year", "composite", "composite_se", "procedures", "participants"]]


def test_composite_as_groupby_transform(summary):
    pd.testing.assert_frame_equal(
        composite_results(summary), _reference_composite(summary), check_exact=True
    )


def test_classify_same_from_csv_and_partitioned_parquet(loaded):
    a = classify(loaded["csv"], 2024)
    b = classify(loaded["parts"], 2024)
    pd.testing.assert_frame_equal(a, b)
    assert (a["status"] != "").any()


def test_summaries_keep_the_attributes_pandas_passes_on(loaded):
    results = loaded["csv"].results
    s = summarize(results)
    assert s.attrs == {"kind": "pupils", "alpha": 0.05, "min_n": 5, "include_unreliable": False}
    assert year_over_year(s, metrics=["share_2"]).attrs == {**s.attrs, "note": ""}


def test_command_line_writes_partitioned_parquet(tmp_path, capsys):
    from edu_quality.synthetic import main

    out = tmp_path / "region"
    main([str(out), "--format", "parquet", "--partition-by-year"])  # the default 44 schools
    assert sorted(p.name for p in (out / "results_vpr").iterdir())[-1] == "year=2024"
    assert len(eq.load_dataset(out).schools) == 44
    with pytest.raises(SystemExit):
        main([str(tmp_path / "csv"), "--partition-by-year"])


def test_unknown_schools_error_as_before(region, tmp_path):
    # a registry without most schools: every row of them is a problem; the error shows the
    # first ones and counts the rest, as when every problem was listed
    write_region(region, tmp_path, format="parquet", partition_by_year=True)
    schools = region.schools.head(3)
    schools.to_parquet(tmp_path / "schools.parquet", index=False)
    with pytest.raises(DataError) as info:
        eq.load_dataset(tmp_path)
    err = info.value
    first = next((tmp_path / "results_ege" / "year=2021").glob("*.parquet"))
    table = pd.read_parquet(first)
    unknown = ~table["school_id"].isin(schools["school_id"])
    assert err.file == f"results_ege/year=2021/{first.name}" and err.total == unknown.sum()
    expected = DataError(
        err.file,
        [
            Problem(int(i) + 2, "school_id", f"школа «{sid}» не найдена в реестре школ")
            for i, sid in table.loc[unknown, "school_id"].items()
        ],
    )
    assert str(err) == str(expected)


@pytest.mark.parametrize(
    ("values", "dtype"),
    [
        ([2024, 2021, 2022, 2023, 2021], "int64"),  # every value of the range (years)
        ([2024, 2019, 2024], "int64"),  # gaps
        ([7], "int64"),
        ([-3, 5, 0, 5], "int64"),
        ([0, 2**40], "int64"),  # a wide range
        ([9, 4, 11, 4, 5], "int8"),  # grades held in 8 bits
        ([-128, 127, 0, -1, 5], "int8"),
        ([2024, 2021, 2024, -32768, 32767], "int16"),  # years held in 16 bits
        ([0, 255, 7], "uint8"),
        ([65535, 0, 300, 300], "uint16"),
        ([3.0, np.nan, 0.0, 25.0, 3.0, np.nan], "float64"),  # counts held as floats
        ([12.0, 12.0], "float64"),
        ([-2.0, 5.0, np.nan], "float64"),
        ([-0.0, 0.0, 1.0], "float64"),  # pandas keeps the sign of the first zero
        ([0.5, 1.0], "float64"),
        ([np.inf, 1.0], "float64"),
        ([np.nan, np.nan], "float64"),
        ([0.0, 2.0e6], "float64"),
        ([2.00000000001, -999990.0, 2.0], "float64"),  # a fraction lost in the difference
        ([0.5, 1.5, np.nan, 0.5], "float64"),  # steps of 1 from a fraction
        ([1e17, 1e17 + 16, 1e17], "float64"),  # beyond 2**53
    ],
)
def test_factorize_as_pandas(values, dtype):
    # as given, and repeated: more rows than a type of 8 or 16 bits has values are counted
    for s in (pd.Series(values, dtype=dtype), pd.Series(np.resize(values, 70_000), dtype=dtype)):
        codes, uniques = factorize(s)
        want_codes, want_uniques = pd.factorize(s, sort=True, use_na_sentinel=False)
        np.testing.assert_array_equal(codes, want_codes)
        pd.testing.assert_index_equal(uniques, want_uniques)
        assert [np.signbit(u) for u in uniques] == [np.signbit(u) for u in want_uniques]


@pytest.mark.parametrize("used", [True, False])
def test_unknown_schools_of_a_categorical_column_are_those_of_its_text(used):
    from edu_quality.dataset.ids import check_ids
    from edu_quality.io.load import Loaded

    text = pd.Series(["s1", None, "s9" if used else "s2", "s2", "s1"], dtype="str")
    codes = text.astype(pd.CategoricalDtype(["s1", "s2", "s9"]))  # s9 a category in any case
    found = []
    for ids in (text, codes):
        loaded = Loaded(
            table=pd.DataFrame({"school_id": ids}),
            file="results.parquet",
            spec=None,
            rows=np.arange(2, 7),
            headers={"school_id": "Код ОО"},
        )
        problems, total = check_ids(loaded, {"s1", "s2"})
        found.append(([(p.row, p.column, p.message) for p in problems], total))
    assert found[0] == found[1]
    assert found[1][1] == (1 if used else 0)
    if used:
        assert found[1][0][0][:2] == (4, "Код ОО") and "s9" in found[1][0][0][2]

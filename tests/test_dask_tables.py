"""Heavy aggregations on Dask DataFrames: the same tables as the local (pandas) run.

The cluster tests use the session's two-worker ``distributed.LocalCluster``
(``dask_client`` in conftest.py).
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import edu_quality as eq
from edu_quality._counts import aggregated_counts, combine_counts, pupil_counts, sent_counts
from edu_quality.dataset.checks import connected
from edu_quality.identify import classify
from edu_quality.metrics import DEFAULT_BY, summarize
from edu_quality.synthetic import make_region, write_region

pytestmark = pytest.mark.slow  # starts a Dask cluster

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")

COUNTS = ["participants", "not_admitted", "n2", "n3", "n4", "n5"]
BYS = [list(DEFAULT_BY), ["assessment", "subject", "grade", "year"], ["school_id", "year"]]


def to_dask(frame: pd.DataFrame, npartitions: int) -> dd.DataFrame:
    """A Dask DataFrame of the same columns and dtypes (no conversion of ``str``)."""
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_pandas(frame, npartitions=npartitions, sort=False)


def assert_same_summary(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Equal tables: counts exactly, means and deviations to 1e-12 relative."""
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    pd.testing.assert_frame_equal(
        got[[*COUNTS, "small"]], expected[[*COUNTS, "small"]], check_exact=True
    )
    assert got.attrs == expected.attrs


def spans_partitions(ddf: dd.DataFrame, by: list[str]) -> int:
    """How many groups have rows in more than one partition."""
    keys = ddf[by].map_partitions(lambda p: p.drop_duplicates()).compute()
    return int(keys.duplicated(by, keep=False).sum())


@pytest.fixture(scope="module")
def region():
    return make_region()


@pytest.fixture(scope="module")
def small_region():
    """A smaller region, for the tests of files and errors."""
    return make_region(years=(2023, 2024), pupils_scale=0.3)


@pytest.fixture(scope="module")
def pupils(region) -> pd.DataFrame:
    """Every pupil result of the region, shuffled (a group's rows in every partition), with
    some marks unknown; ЕГЭ has no marks, ОГЭ/ЕГЭ have pupils not admitted."""
    rng = np.random.default_rng(7)
    frame = pd.concat(
        [region.results_vpr, region.results_oge, region.results_ege, region.results_kdr],
        ignore_index=True,
    )
    frame.loc[rng.choice(len(frame), 60, replace=False), "mark"] = pd.NA
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame.attrs = {"kind": "pupils"}
    return frame


@pytest.fixture(scope="module")
def aggregated(pupils) -> pd.DataFrame:
    """Counts per school, some unknown, some means missing, shuffled."""
    rng = np.random.default_rng(8)
    cols = [*DEFAULT_BY, "participants", "not_admitted", "n2", "n3", "n4", "n5", "mean_score"]
    agg = summarize(pupils)[cols]
    agg.loc[rng.choice(len(agg), 40, replace=False), "n3"] = pd.NA
    agg.loc[rng.choice(len(agg), 40, replace=False), "not_admitted"] = pd.NA
    agg.loc[rng.choice(len(agg), 40, replace=False), "mean_score"] = np.nan
    return agg.iloc[rng.permutation(len(agg))].reset_index(drop=True)


@pytest.fixture(scope="module")
def folder(region, tmp_path_factory):
    """The region written as Parquet, results partitioned by year (one file per table and
    year), as a large region would be."""
    path = tmp_path_factory.mktemp("region")
    write_region(region, path, format="parquet", partition_by_year=True)
    return path


@pytest.fixture(scope="module")
def local(folder):
    return eq.load_dataset(folder)


@pytest.fixture(scope="module")
def remote(dask_cluster, folder):
    """The same folder loaded with ``results_engine="dask"``, checked on the cluster."""
    import distributed

    with distributed.Client(dask_cluster):
        return eq.load_dataset(folder, results_engine="dask")


# ------------------------------------------------------------- no Dask needed to import


def test_importing_edu_quality_does_not_import_dask():
    code = (
        "import sys, edu_quality, edu_quality.metrics, edu_quality.identify, "
        "edu_quality.dataset; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------- combining partial counts (pandas, no cluster)


def tiny_pupils() -> pd.DataFrame:
    """Hand-made pupils: unknown marks, not admitted pupils, ЕГЭ without marks, a group in
    several pieces and groups in one piece only, a group with one pupil."""
    rows = [
        # school, assessment, year, mark, score, admitted
        ("1", "ОГЭ", 2022, 2, 6.0, True),
        ("1", "ОГЭ", 2022, 3, 11.0, True),
        ("1", "ОГЭ", 2022, None, None, False),
        ("1", "ОГЭ", 2022, 5, 27.0, True),
        ("1", "ОГЭ", 2022, 4, 19.0, True),
        ("1", "ОГЭ", 2022, None, 9.0, True),  # mark unknown: counts unknown
        ("2", "ОГЭ", 2022, 3, 12.0, True),
        ("2", "ОГЭ", 2022, 4, 17.0, True),
        ("2", "ОГЭ", 2022, 4, 17.0, True),
        ("2", "ОГЭ", 2022, None, None, False),
        ("1", "ЕГЭ", 2022, None, 61.0, True),  # ЕГЭ: no marks
        ("1", "ЕГЭ", 2022, None, 72.0, True),
        ("1", "ЕГЭ", 2022, None, 55.0, True),
        ("3", "ОГЭ", 2022, 5, 30.0, True),  # one pupil
        ("3", "ОГЭ", 2023, 2, 3.0, True),
        ("3", "ОГЭ", 2023, 3, None, True),  # a mark without a score
        ("2", "ЕГЭ", 2022, None, None, False),  # nobody wrote
    ]
    frame = pd.DataFrame(
        rows, columns=["school_id", "assessment", "year", "mark", "score", "admitted"]
    )
    frame["mark"] = frame["mark"].astype("Int64")
    frame["subject"], frame["grade"] = "Математика", 9
    return frame


@pytest.mark.parametrize("pieces", [1, 2, 3, 5, 17])
def test_partial_pupil_counts_combine_to_the_whole(pieces):
    frame = tiny_pupils()
    rng = np.random.default_rng(pieces)
    for by in ([*DEFAULT_BY], ["assessment", "year"], ["school_id"]):
        for _ in range(5):
            cuts = np.sort(rng.choice(np.arange(1, len(frame)), pieces - 1, replace=False))
            parts = pd.concat(
                [pupil_counts(frame.iloc[i], by) for i in np.split(np.arange(len(frame)), cuts)],
                ignore_index=True,
            )
            got = combine_counts(parts, by, aggregated=False)
            expected = pupil_counts(frame, by)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
            pd.testing.assert_frame_equal(got[COUNTS], expected[COUNTS], check_exact=True)


def test_partial_counts_of_the_region(pupils, aggregated):
    rng = np.random.default_rng(3)
    for frame, count, agg in (
        (pupils, pupil_counts, False),
        (aggregated, aggregated_counts, True),
    ):
        for by in BYS:
            cuts = np.sort(rng.choice(np.arange(1, len(frame)), 6, replace=False))
            parts = pd.concat(
                [count(frame.iloc[i], by) for i in np.split(np.arange(len(frame)), cuts)],
                ignore_index=True,
            )
            got = combine_counts(parts, by, aggregated=agg)
            expected = count(frame, by)
            pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
            pd.testing.assert_frame_equal(got[COUNTS], expected[COUNTS], check_exact=True)


def test_a_group_in_one_piece_keeps_its_numbers_exactly(pupils, aggregated):
    by = list(DEFAULT_BY)
    # pieces by year: every group in one piece, its counts taken as they are
    for frame, count, agg in (
        (pupils, pupil_counts, False),
        (pupils, sent_counts, False),  # sent in 32 bits, widened again
        (aggregated, aggregated_counts, True),
    ):
        parts = pd.concat([count(g, by) for _, g in frame.groupby("year")], ignore_index=True)
        expected = (pupil_counts if count is sent_counts else count)(frame, by)
        pd.testing.assert_frame_equal(
            combine_counts(parts, by, aggregated=agg), expected, check_exact=True
        )
    # pupils of some schools and counts of others: each school in one piece, in the
    # groups' order, the counts per school without a deviation
    schools = sorted(pupils["school_id"].unique())
    half = set(schools[::2])
    own = pupil_counts(pupils[pupils["school_id"].isin(half)], ["school_id"])
    counted = aggregated_counts(aggregated[~aggregated["school_id"].isin(half)], ["school_id"])
    parts = pd.concat([counted, own], ignore_index=True)
    got = combine_counts(parts, ["school_id"], aggregated=np.arange(len(parts)) < len(counted))
    expected = parts.sort_values("school_id", ignore_index=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["score_sd"].notna().any() and counted["score_sd"].isna().all()


def test_connected_files():
    assert connected([]) == []
    assert connected([frozenset({(2022, "ОГЭ")}), frozenset({(2023, "ОГЭ")})]) == [[0], [1]]
    assert connected(
        [frozenset({1, 2}), frozenset({3}), frozenset({4, 3}), frozenset({2}), frozenset()]
    ) == [[0, 3], [1, 2], [4]]


# ------------------------------------------------------------------ on the LocalCluster


@pytest.mark.filterwarnings("ignore:Sending large graph")  # from_pandas of 44 000 pupils
def test_summarize_pupils_on_the_cluster(dask_client, pupils):
    ddf = to_dask(pupils, npartitions=5).persist()  # on the workers once
    assert ddf.npartitions >= 3
    for by in BYS:
        assert spans_partitions(ddf, by) > 0
        assert_same_summary(
            summarize(ddf, by, min_n=7, alpha=0.1), summarize(pupils, by, min_n=7, alpha=0.1)
        )


def test_summarize_aggregated_on_the_cluster(dask_client, aggregated):
    ddf = to_dask(aggregated, npartitions=4)
    for by in BYS[1:]:
        assert spans_partitions(ddf, by) > 0
        assert_same_summary(summarize(ddf, by), summarize(aggregated, by))
    # one row per group: every group in one partition
    assert_same_summary(summarize(ddf), summarize(aggregated))


def test_summarize_groups_in_one_partition_are_exact(dask_client, local, remote):
    # the loader's partitions are files, one per table and year: groups do not span them
    pd.testing.assert_frame_equal(
        summarize(remote.results), summarize(local.results), check_exact=True
    )


def test_summarize_empty_and_missing_keys(dask_client, pupils, aggregated):
    for frame in (pupils, aggregated):  # the dtypes of an empty table as pandas gives them
        empty = frame.iloc[:0]
        pd.testing.assert_frame_equal(summarize(to_dask(empty, 2)), summarize(empty))
    holes = pupils.copy()
    holes.loc[holes.index[::97], "school_id"] = np.nan  # missing keys: a group of their own, last
    assert_same_summary(summarize(to_dask(holes, 3)), summarize(holes))


def test_summarize_checks_columns_without_computing(dask_client, pupils):
    with pytest.raises(eq.DataError, match="нет столбцов municipality"):
        summarize(to_dask(pupils, 3), ["municipality"])


def test_summarize_with_dask_string_conversion(dask_client, pupils):
    """Dask's default turns ``str`` into ``string[pyarrow]``: same values, keys of that dtype."""
    got = summarize(dd.from_pandas(pupils, npartitions=3), ["assessment", "year"])
    expected = summarize(pupils, ["assessment", "year"])
    assert got["assessment"].dtype == "string"
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_exact=False, rtol=1e-12)


def test_summarize_partitions_with_categories_of_their_own(dask_client):
    """Partitions whose categories differ are counted as Dask joins them (categories united)."""
    frame = pd.DataFrame(
        {
            "school_id": ["b", "b", "a", "a"],
            "year": 2024,
            "mark": pd.array([3, 4, 5, 2], dtype="Int64"),
            "score": [9.0, 12.0, 20.0, 4.0],
        }
    )
    frame.attrs = {"kind": "pupils"}
    ddf = to_dask(frame, 2).astype({"school_id": "category"})
    local = ddf.compute()
    local.attrs = dict(frame.attrs)
    assert local["school_id"].cat.categories.tolist() == ["b", "a"]
    assert_same_summary(
        summarize(ddf, ["school_id", "year"]), summarize(local, ["school_id", "year"])
    )


def test_load_dataset_with_dask_results(dask_client, local, remote):
    ds = remote
    assert isinstance(ds.results, dd.DataFrame)
    assert ds.results.npartitions == 16  # 4 tables × 4 years
    results = ds.results.compute()
    pd.testing.assert_frame_equal(results, local.results, check_exact=True)
    assert results.attrs == local.results.attrs
    for f in dataclasses.fields(local):
        if f.name not in ("results", "dask_years"):
            a, b = getattr(local, f.name), getattr(ds, f.name)
            if isinstance(a, pd.DataFrame):
                pd.testing.assert_frame_equal(b, a, check_exact=True)
            else:
                assert b == a, f.name
    assert ds.years == local.years
    assert ds.summary() == local.summary()


def test_load_dataset_with_a_client_made_current(dask_cluster, small_region, tmp_path):
    """A client made current (not the default) is the one the loader computes on."""
    import distributed

    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        with client.as_current():
            ds = eq.load_dataset(tmp_path, results_engine="dask")
            got = ds.results.compute()
    pd.testing.assert_frame_equal(got, eq.load_dataset(tmp_path).results, check_exact=True)


def test_dask_years_are_known_from_the_files(local, remote, monkeypatch):
    """``years`` of a Dask dataset comes from its loader: no pass over the files, until changed."""
    series = type(remote.results["year"])

    def no_pass(*args, **kwargs):
        raise AssertionError("a pass over the pupil results")

    with monkeypatch.context() as m:
        m.setattr(series, "compute", no_pass)
        assert remote.years == local.years
        later = dataclasses.replace(remote, results=remote.results.loc[lambda d: d["year"] > 2022])
        with pytest.raises(AssertionError, match="a pass"):
            _ = later.years  # another frame: its years are computed
    assert later.years == sorted({2023, 2024} | set(local.aggregates["year"]))
    r = remote.results.copy()
    changed = dataclasses.replace(remote, results=r, dask_years=(r._name, remote.dask_years[1]))
    r["year"] = r["year"] + 10  # the same frame, changed in place
    assert max(changed.years) == max(local.years) + 10


def test_classify_with_dask_results(dask_client, local, remote):
    expected = classify(local, 2024)
    got = classify(remote, 2024)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs
    assert set(got["status"]) > {"", "ШНОР"}


def test_classify_with_groups_across_partitions(dask_client, local):
    rng = np.random.default_rng(11)
    shuffled = local.results.iloc[rng.permutation(len(local.results))]
    ds = dataclasses.replace(local, results=to_dask(shuffled, 6))
    expected = classify(local, 2023, metric="mean_score", min_group=3)
    got = classify(ds, 2023, metric="mean_score", min_group=3)
    assert got["school_id"].tolist() == expected["school_id"].tolist()
    assert got["status"].tolist() == expected["status"].tolist()
    assert got["reasons"].tolist() == expected["reasons"].tolist()
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_a_summary_kept_on_the_cluster_is_the_summary(dask_client, pupils, local, remote):
    ddf = to_dask(pupils, npartitions=4)

    def judged(keys):
        return keys["year"] > 2022

    for by, options in (
        (list(DEFAULT_BY), {}),
        (BYS[2], {"min_n": 7, "alpha": 0.1, "where": judged}),
    ):
        kept = summarize(ddf, by, persist=True, **options)
        assert isinstance(kept, dd.DataFrame) and kept.npartitions == 1
        got = kept.compute()
        assert list(kept.columns) == list(got.columns)
        assert kept._meta.attrs == got.attrs
        pd.testing.assert_frame_equal(got, summarize(ddf, by, **options), check_exact=True)
        assert_same_summary(got, summarize(pupils, by, **options))  # groups across partitions
    # the loader's partitions: the pandas summary exactly, its length counted there
    kept = summarize(remote.results, persist=True)
    pd.testing.assert_frame_equal(kept.compute(), summarize(local.results), check_exact=True)
    assert len(kept) == len(summarize(local.results))


def test_a_summary_kept_again_counts_the_files_as_they_are_now(dask_client, small_region, tmp_path):
    """Each call is a computation of its own: a file rewritten since is counted anew."""
    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    before = summarize(ds.results, persist=True)  # still held on the cluster
    path = sorted((tmp_path / "results_vpr").rglob("*.parquet"))[0]
    table = pd.read_parquet(path)
    table["mark"] = table["mark"].where(table["mark"].isna(), 2)  # every mark a «2»
    table.to_parquet(path)
    after = summarize(ds.results, persist=True).compute()
    pd.testing.assert_frame_equal(after, summarize(ds.results), check_exact=True)
    assert after["n2"].sum() > before.compute()["n2"].sum()


def test_a_summary_kept_on_the_cluster_has_the_columns_its_rows_give(dask_client, pupils):
    """The session is a column only when some work is autumn: the table's columns say it."""
    spring = pupils.assign(session="весна")
    autumn = pupils.assign(session=np.where(pupils["grade"] == 4, "осень", "весна"))
    for frame, has_session in ((spring, False), (autumn, True)):
        kept = summarize(to_dask(frame, 3), persist=True)
        assert ("session" in kept.columns) is has_session
        pd.testing.assert_frame_equal(kept.compute(), summarize(frame), check_exact=False)


def test_classify_from_a_summary_kept_on_the_cluster(dask_client, local, remote):
    expected = classify(local, 2024)
    kept = summarize(remote.results, persist=True)
    got = classify(remote, 2024, results_summary=kept)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == expected.attrs
    columns = ["participants", "share_2"]
    pd.testing.assert_frame_equal(
        eq.identify.school_summaries(remote, results_summary=kept, columns=columns),
        eq.identify.school_summaries(local, columns=columns),
        check_exact=True,
    )
    # a summary in several partitions on the cluster: each one's rows taken there
    parts = dd.from_pandas(summarize(local.results), npartitions=3)
    pd.testing.assert_frame_equal(
        classify(remote, 2024, results_summary=parts), expected, check_exact=True
    )
    # one counted otherwise is refused, as a pandas one is
    with pytest.raises(ValueError, match="min_n=7"):
        classify(remote, 2024, results_summary=summarize(remote.results, min_n=7, persist=True))


def test_a_kept_summary_is_read_from_its_partitions_as_dask_joins_them(dask_client, local):
    """Partitions with categories of their own are united, not turned into text; a column
    the summary lacks is refused before anything is computed."""
    whole = summarize(local.results)
    schools = whole["school_id"].astype("str")
    first = whole.loc[schools < sorted(schools.unique())[len(schools.unique()) // 2]]
    parts = [first, whole.drop(index=first.index)]
    for part in parts:
        part["school_id"] = part["school_id"].cat.remove_unused_categories()
    kept = dd.from_delayed([dask.delayed(p) for p in parts], meta=whole.iloc[:0], verify_meta=False)
    got = eq.identify.school_summaries(local, results_summary=kept, columns=["share_2"])
    expected = eq.identify.school_summaries(local, columns=["share_2"])
    assert isinstance(got["school_id"].dtype, pd.CategoricalDtype)
    assert got["school_id"].astype("str").tolist() == expected["school_id"].astype("str").tolist()
    pd.testing.assert_series_equal(got["share_2"], expected["share_2"], check_exact=True)

    def broken():
        raise RuntimeError("вычислено")

    never = dd.from_delayed([dask.delayed(broken)()], meta=whole.iloc[:0], verify_meta=False)
    with pytest.raises(ValueError, match="в сводке нет столбцов nonexistent"):
        eq.identify.school_summaries(local, results_summary=never, columns=["nonexistent"])


def test_a_pandas_table_is_not_kept_on_a_cluster(pupils):
    with pytest.raises(ValueError, match="только для таблицы Dask"):
        summarize(pupils, persist=True)


def test_load_dataset_csv_with_dask(dask_client, small_region, tmp_path):
    write_region(small_region, tmp_path, format="csv")
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    assert ds.results.npartitions == 4
    pd.testing.assert_frame_equal(ds.results.compute(), eq.load_dataset(tmp_path).results)


def errors(folder) -> list:
    out = []
    for engine in ("pandas", "dask"):
        with pytest.raises(eq.DataError) as info:
            eq.load_dataset(folder, results_engine=engine)
        out.append((info.value.file, str(info.value), info.value.total))
    return out


def test_load_dataset_errors_with_dask(dask_client, small_region, tmp_path):
    folder = tmp_path / "region"
    write_region(small_region, folder, format="parquet", partition_by_year=True)
    # a school missing from the registry, in one file of a partitioned folder
    bad = tmp_path / "unknown"
    shutil.copytree(folder, bad)
    path = sorted((bad / "results_vpr").rglob("*.parquet"))[1]
    table = pd.read_parquet(path)
    table.loc[5, "school_id"] = "99999"
    table.to_parquet(path)
    (pandas_error, dask_error) = errors(bad)
    assert dask_error == pandas_error and "«99999» не найдена" in dask_error[1]
    earlier = sorted((bad / "results_vpr").rglob("*.parquet"))[0]  # the first file named
    pd.read_parquet(earlier).assign(school_id="88888").to_parquet(earlier)
    (pandas_error, dask_error) = errors(bad)
    assert (
        dask_error == pandas_error
        and dask_error[0] == f"results_vpr/{earlier.parent.name}/{earlier.name}"
    )
    assert "«88888» не найдена" in dask_error[1] and "99999" not in dask_error[1]
    # counts per school naming a school missing from the registry
    counts = tmp_path / "counts"
    shutil.copytree(folder, counts)
    pd.DataFrame(
        {
            "year": [2019, 2019],
            "assessment": "ВПР",
            "subject": "Математика",
            "grade": 5,
            "school_id": [small_region.schools["school_id"].iloc[0], "77777"],
            "participants": 20,
            "n2": 2,
            "n3": 8,
            "n4": 6,
            "n5": 4,
        }
    ).to_csv(counts / "results_counts.csv", index=False)
    (pandas_error, dask_error) = errors(counts)
    assert dask_error == pandas_error and "«77777» не найдена" in dask_error[1]
    # a school's work both per pupil and as counts: refused, as it would be counted twice
    work = small_region.results_vpr.iloc[[0]][["year", "assessment", "subject", "grade"]]
    twice_counted = work.assign(
        school_id=small_region.results_vpr["school_id"].iloc[0],
        participants=20,
        n2=2,
        n3=8,
        n4=6,
        n5=4,
    )
    twice_counted.to_csv(counts / "results_counts.csv", index=False)
    (pandas_error, dask_error) = errors(counts)
    assert dask_error == pandas_error and "посчитаны дважды" in dask_error[1]
    assert dask_error[0] == "results_counts.csv"
    # the registry's error comes before the results' (read while the workers read them)
    broken = tmp_path / "broken"
    shutil.copytree(bad, broken)
    registry = pd.read_parquet(broken / "schools.parquet")
    pd.concat([registry, registry.iloc[:1]]).to_parquet(broken / "schools.parquet")
    (pandas_error, dask_error) = errors(broken)
    assert dask_error == pandas_error and dask_error[0] == "schools.parquet"
    # the same results in two folders: found, and named by file, row and column
    twice = tmp_path / "twice"
    shutil.copytree(folder, twice)
    shutil.copytree(twice / "results_oge", twice / "results_oge_copy")
    (pandas_error, dask_error) = errors(twice)
    assert dask_error == pandas_error and "в нескольких файлах" in dask_error[1]


def test_partitions_check_again_only_a_changed_file(small_region, tmp_path, monkeypatch):
    """A file unchanged since loading is parsed without its checks; a rewritten one is checked."""
    import edu_quality.io.load as io_load

    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    checked = []
    real = io_load.validate
    monkeypatch.setattr(io_load, "validate", lambda *a, **k: checked.append(1) or real(*a, **k))
    got = ds.results.compute(scheduler="synchronous")  # in this process: the calls are seen
    assert checked == []
    pd.testing.assert_frame_equal(got, eq.load_dataset(tmp_path).results, check_exact=True)
    path = sorted((tmp_path / "results_vpr").rglob("*.parquet"))[0]
    table = pd.read_parquet(path)
    pd.concat([table, table.iloc[:1]]).to_parquet(path)  # a pupil twice in one work
    with pytest.raises(eq.DataError) as info:
        ds.results.compute(scheduler="synchronous")
    assert checked and "year=" in info.value.file and "повторяющаяся запись" in str(info.value)


def test_a_changed_file_whose_numbers_the_partition_cannot_hold(small_region, tmp_path):
    """The whole numbers are held as narrow as the files were: a file changed since is refused."""
    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    assert str(ds.results.dtypes["grade"]) == "int8"
    path = sorted((tmp_path / "results_vpr").rglob("*.parquet"))[0]
    table = pd.read_parquet(path)
    table["grade"] = table["grade"] + 200  # 8 bits no longer hold it: never wrapped round
    table.to_parquet(path)
    with pytest.raises(eq.DataError) as info:
        ds.results.compute(scheduler="synchronous")
    assert "year=" in info.value.file
    assert "изменён после загрузки набора: в столбце «Класс» значения от 204 до 208" in str(
        info.value
    )


def _spy_columns(monkeypatch) -> list:
    """The ``columns`` each read of a Dask partition asks for (in this process)."""
    import edu_quality.dataset.dask_loader as loader

    asked = []
    real = loader.read_part
    monkeypatch.setattr(
        loader, "read_part", lambda *a, **k: asked.append(k.get("columns")) or real(*a, **k)
    )
    return asked


def test_summarize_reads_only_the_counted_columns(small_region, tmp_path, monkeypatch):
    """Counting the marks reads neither the pupil codes nor the columns nobody groups by."""
    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    asked = _spy_columns(monkeypatch)
    with dask.config.set(scheduler="synchronous"):
        got = summarize(ds.results)
    assert len(asked) == ds.results.npartitions
    used = {*DEFAULT_BY, "session", "unreliable", "admitted", "mark", "score"}
    assert all(a is not None and set(a) <= used and "mark" in a for a in asked)
    assert_same_summary(got, summarize(eq.load_dataset(tmp_path).results))


def test_a_file_whose_whole_reading_dropped_empty_rows_is_read_whole(
    small_region, tmp_path, monkeypatch
):
    """A row empty in every column was dropped at loading: a part of its columns cannot tell
    it from a row with values in the others, so the file is read whole again."""
    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    path = sorted((tmp_path / "results_vpr").rglob("*.parquet"))[0]
    table = pd.read_parquet(path)
    empty = pd.DataFrame({c: [None] for c in table.columns}).astype(
        {c: "float64" for c in table.columns if table[c].dtype.kind in "iuf"}
    )
    pd.concat([table.iloc[:5], empty, table.iloc[5:]], ignore_index=True).to_parquet(path)
    local = eq.load_dataset(tmp_path)
    assert len(local.results) == len(small_region.results_vpr) + sum(
        len(getattr(small_region, f"results_{k}")) for k in ("oge", "ege", "kdr")
    )
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    asked = _spy_columns(monkeypatch)
    with dask.config.set(scheduler="synchronous"):
        got = summarize(ds.results)
    assert asked.count(None) == 1  # that file, again with every column
    assert_same_summary(got, summarize(local.results))


def test_a_changed_file_with_a_text_the_dataset_did_not_have(small_region, tmp_path):
    """A text of a changed file outside the partition's categories is refused, not lost."""
    write_region(small_region, tmp_path, format="parquet", partition_by_year=True)
    ds = eq.load_dataset(tmp_path, results_engine="dask")
    path = sorted((tmp_path / "results_vpr").rglob("*.parquet"))[0]
    table = pd.read_parquet(path)
    table.loc[table.index[:3], "subject"] = "Астрономия"
    table.to_parquet(path)
    with pytest.raises(eq.DataError) as info:
        ds.results.compute(scheduler="synchronous")
    assert "year=" in info.value.file
    assert "в столбце «Предмет» значения, которых не было при загрузке" in str(info.value)


def test_autumn_sessions_summarised_on_dask_as_with_pandas(small_region, tmp_path):
    """A categorical session keeps its categories on Dask as with pandas, «весна» among them
    or not."""
    region = dataclasses.replace(
        small_region,
        results_vpr=small_region.results_vpr.assign(
            session=np.where(small_region.results_vpr["grade"] == 4, "осень", "весна")
        ),
    )
    write_region(region, tmp_path, format="parquet", partition_by_year=True)
    local = eq.load_dataset(tmp_path)
    assert set(local.results["session"].cat.categories) == {"весна", "осень"}
    got = summarize(eq.load_dataset(tmp_path, results_engine="dask").results)
    assert_same_summary(got, summarize(local.results))
    assert isinstance(got["session"].dtype, pd.CategoricalDtype)
    # every session autumn, one missing: «весна» added to the categories as pandas adds it
    autumn = local.results[local.results["session"] == "осень"].copy()
    autumn["session"] = autumn["session"].cat.remove_unused_categories()
    autumn.loc[autumn.index[0], "session"] = None
    autumn.attrs = dict(local.results.attrs)
    assert_same_summary(summarize(to_dask(autumn, 3)), summarize(autumn))
    whole = autumn.dropna(subset=["session"])
    whole.attrs = dict(local.results.attrs)
    assert_same_summary(summarize(to_dask(whole, 3)), summarize(whole))
    # categories not sorted, none missing: left as they are, as pandas leaves them
    both = local.results.copy()
    both["session"] = both["session"].cat.reorder_categories(["осень", "весна"])
    both.attrs = dict(local.results.attrs)
    got = summarize(to_dask(both, 3))
    assert got["session"].cat.categories.tolist() == ["осень", "весна"]
    assert_same_summary(got, summarize(both))


def test_shared_works_across_files_with_dask(dask_client, small_region, tmp_path):
    """Two files of one work (schools split between them): compared row by row on a worker."""
    write_region(small_region, tmp_path, format="csv")
    vpr = pd.read_csv(tmp_path / "results_vpr.csv", dtype=str)
    work = ["year", "assessment", "subject", "grade"]
    first = vpr[vpr[work].eq(vpr.iloc[0][work]).all(axis=1)].drop_duplicates("school_id").index
    vpr.loc[first, "pupil_id"] = "P-0001"  # one code in many schools: a note
    schools = sorted(vpr["school_id"].unique())
    half = vpr["school_id"].isin(schools[::2])
    vpr[half].to_csv(tmp_path / "results_vpr.csv", index=False)
    vpr[~half].to_csv(tmp_path / "results_vpr_b.csv", index=False)
    local, ds = eq.load_dataset(tmp_path), eq.load_dataset(tmp_path, results_engine="dask")
    assert ds.notes == local.notes and "кодов участников" in ds.notes[0]
    pd.testing.assert_frame_equal(ds.results.compute(), local.results)
    # one row of the first file repeated in the second
    again = pd.concat([vpr[~half], vpr[half].iloc[[3]]])
    again.to_csv(tmp_path / "results_vpr_b.csv", index=False)
    (pandas_error, dask_error) = errors(tmp_path)
    assert dask_error == pandas_error and dask_error[0] == "results_vpr_b.csv"


def test_results_engine_is_checked(folder):
    with pytest.raises(ValueError, match="results_engine"):
        eq.load_dataset(folder, results_engine="spark")

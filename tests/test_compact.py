"""The pupil results held compact give the same analysis as the results as text and in 64 bits.

:func:`edu_quality.load_dataset` holds the low-cardinality text columns of the
pupil results as pandas categoricals (``RESULTS_PUPILS.compact``) and their
whole numbers in the smallest integer dtype (``RESULTS_PUPILS.narrow``), file by
file, and :func:`year_over_year` builds its text columns as categoricals: here
every analysis is run on the compact table and on the same table as plain text
and 64-bit integers, and the values must be equal, row for row.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest

import edu_quality as eq
from edu_quality._memory import LARGE
from edu_quality.dataset.tables import compact, join_rows, same_categories
from edu_quality.demo import sample_folder
from edu_quality.identify import classify, composite_results
from edu_quality.metrics import summarize
from edu_quality.schema import RESULTS_PUPILS
from edu_quality.synthetic import make_region, write_region

_NARROW = {np.dtype(n): np.dtype("int64") for n in ("int8", "int16", "int32")} | {
    pd.api.types.pandas_dtype(n): pd.Int64Dtype() for n in ("Int8", "Int16", "Int32")
}


def _as_text(table: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as their text, integers narrower than 64 bits in 64 (nullable kept)."""
    out = table.copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.CategoricalDtype):
            out[c] = out[c].astype(out[c].cat.categories.dtype)
        elif out[c].dtype in _NARROW:
            out[c] = out[c].astype(_NARROW[out[c].dtype])
    return out


def _plain(ds: eq.Dataset) -> eq.Dataset:
    return dataclasses.replace(ds, results=_as_text(ds.results))


def _same(a: object, b: object) -> None:
    """Equal values (a categorical column as its text, a narrow integer in 64 bits); same order."""
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(_as_text(a), _as_text(b))
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b)
    elif dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name))
    else:
        assert a == b


@pytest.fixture(scope="module")
def region():
    return eq.load_dataset(sample_folder("region"))


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """A synthetic region as Parquet: one results file per procedure (different categories)."""
    folder = tmp_path_factory.mktemp("compact") / "parts"
    write_region(make_region(3, 12, pupils_scale=0.4, seed=11), folder, format="parquet")
    return folder


def test_loaded_results_are_compact_with_sorted_categories(region):
    r = region.results
    for name in RESULTS_PUPILS.compact:
        dtype = r[name].dtype
        assert isinstance(dtype, pd.CategoricalDtype), name
        cats = dtype.categories.tolist()
        assert cats == sorted(cats) and len(cats) == len(set(cats)), name
        assert not dtype.ordered
    assert r["pupil_id"].dtype == "str"  # a code per pupil: as many values as rows, kept as text
    narrow = {c: str(r[c].dtype) for c in RESULTS_PUPILS.narrow if c in r.columns}
    assert narrow == {
        "year": "int16",
        "grade": "int8",
        "mark": "Int8",
        "journal_mark": "Int8",
        "work_grade": "Int8",
    }


def test_whole_numbers_take_the_smallest_dtype_that_holds_them():
    t = pd.DataFrame(
        {
            "year": [1990, 2100],
            "grade": [300, 4],  # the schema sets no upper bound: 16 bits keep it
            "mark": pd.array([None, None], dtype="Int64"),  # no value: the smallest
            "journal_mark": pd.array([-129, 5], dtype="Int64"),
            "work_grade": [70000.0, 1.5],  # not whole numbers: left as they are
            "score": [1, 2],  # not in RESULTS_PUPILS.narrow
        }
    )
    c = compact(t, RESULTS_PUPILS)
    assert c.dtypes.astype(str).to_dict() == {
        "year": "int16",
        "grade": "int16",
        "mark": "Int8",
        "journal_mark": "Int16",
        "work_grade": "float64",
        "score": "int64",
    }
    pd.testing.assert_frame_equal(_as_text(c), t)  # the same values
    assert compact(c, RESULTS_PUPILS) is c  # already compact: not copied
    big = pd.DataFrame({"year": np.array([2**40], dtype="int64")})
    assert compact(big, RESULTS_PUPILS) is big  # no narrower dtype holds it
    other = pd.DataFrame(  # not signed integers: left as they are, never an error
        {
            "year": ["2021/2022", "2022/2023"],
            "grade": pd.Categorical([4, 5]),
            "mark": [np.inf, 2.0],
            "journal_mark": np.array([3, 4], dtype="uint8"),
        }
    )
    assert compact(other, RESULTS_PUPILS) is other


def test_years_from_narrow_results_stay_whole_years(region):
    """The years a table or its attributes quote are Python's, or in one dtype per table."""
    year = max(region.years)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = classify(region, year)
        yoy = eq.year_over_year(summarize(region.results))
    assert all(type(y) is int for y in c.attrs["rules"]["years"])
    assert all(type(y) is int for v in c["low_years"] for y in v)
    assert c["low_years"].str.len().sum() > 0  # some school was low: the lists were checked
    assert yoy["year_from"].dtype == yoy["year_to"].dtype == region.results["year"].dtype


def test_parts_with_different_categories_concatenate_compact(parts):
    files = sorted(parts.glob("results_*.parquet"))
    subjects = [frozenset(pd.read_parquet(f, columns=["subject"])["subject"]) for f in files]
    assert len(files) > 1 and len(set(subjects)) > 1  # the files differ in their subjects
    r = eq.load_dataset(parts).results
    for name in RESULTS_PUPILS.compact:
        assert isinstance(r[name].dtype, pd.CategoricalDtype), name
    assert r["subject"].cat.categories.tolist() == sorted(frozenset().union(*subjects))
    assert r["subject"].notna().all() and r["assessment"].nunique() == len(files)
    pd.testing.assert_frame_equal(compact(_as_text(r), RESULTS_PUPILS), r)


def test_same_categories_gives_what_compact_gives_of_the_whole():
    a = pd.DataFrame({"subject": ["Химия", "Математика", None], "n": [1, 2, 3]})
    b = pd.DataFrame({"subject": ["Биология", "Химия"], "n": [4, 5]})
    whole = compact(pd.concat([a, b], ignore_index=True), RESULTS_PUPILS)
    parts = pd.concat(
        same_categories([compact(a, RESULTS_PUPILS), compact(b, RESULTS_PUPILS)]),
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(parts, whole)
    assert parts["subject"].cat.codes.tolist() == [2, 1, -1, 0, 2]
    assert a["subject"].dtype == "str"  # the input tables are not changed
    # parts whose categories are already the union (the files of one table) stay as they are
    c, d = (
        compact(pd.DataFrame({"subject": s, "n": [6, 7, 8]}), RESULTS_PUPILS)
        for s in (["Химия", "Биология", "Математика"], ["Математика", "Химия", "Биология"])
    )
    kept = same_categories([c, d])
    assert kept[0] is c and kept[1] is d
    joined = pd.concat(kept, ignore_index=True)["subject"]
    assert joined.cat.categories.tolist() == ["Биология", "Математика", "Химия"]
    assert joined.tolist() == ["Химия", "Биология", "Математика", "Математика", "Химия", "Биология"]


def _parts(rng: np.random.Generator, sizes: list[int]) -> list[pd.DataFrame]:
    """Tables alike of every kind of column a results table holds, with missing cells."""
    out = []
    for n in sizes:
        missing = rng.random(n) < 0.1
        out.append(
            pd.DataFrame(
                {
                    "year": np.full(n, 2024, dtype="int16"),
                    "subject": pd.Categorical.from_codes(
                        np.where(missing, -1, rng.integers(0, 3, n)), ["Биология", "Химия", "Я"]
                    ),
                    "pupil_id": pd.array(
                        [None if m else f"p{i}" for i, m in enumerate(missing)], dtype="str"
                    ),
                    "score": np.where(missing, np.nan, rng.random(n)),
                    "share": rng.random(n),
                    "mark": pd.array(np.where(missing, None, rng.integers(2, 6, n)), dtype="Int8"),
                    "admitted": pd.array(np.where(missing, None, rng.random(n) > 0.5), "boolean"),
                    "reason": pd.Series([None] * n, dtype="object"),
                }
            )
        )
    return out


@pytest.mark.parametrize("sizes", [[3, 0, 5], [LARGE // 2, 7, LARGE // 2]])
def test_join_rows_is_concat(sizes, monkeypatch):
    parts = _parts(np.random.default_rng(len(sizes) + sizes[0]), sizes)
    for t in parts:
        t.attrs = {"kind": "pupils"}
    joined_with = []  # what pd.concat was given: tables (pandas' join) or columns
    concat = pd.concat

    def spy(objs, **kw):
        joined_with.append({type(o).__name__ for o in objs})
        return concat(objs, **kw)

    monkeypatch.setattr(pd, "concat", spy)
    joined = join_rows(parts)
    assert joined_with and all(kinds == {"Series"} for kinds in joined_with)  # column by column
    expected = concat(parts, ignore_index=True)
    pd.testing.assert_frame_equal(joined, expected, check_exact=True)
    assert joined.attrs == expected.attrs == {"kind": "pupils"}
    # tables not alike (another dtype, other categories, other columns, another name
    # of the columns, other attrs): pandas' own join, or its attrs
    other = parts[1].assign(year=parts[1]["year"].astype("int32"))
    recoded = parts[1].assign(
        subject=parts[1]["subject"].cat.reorder_categories(["Я", "Химия", "Биология"])
    )
    named = parts[1].rename_axis(columns="поле")
    unlike = [other, recoded, parts[1].drop(columns="reason"), parts[1][parts[1].columns[::-1]]]
    for table in [*unlike, named]:
        joined_with.clear()
        tables = [parts[0], table, parts[2]]
        got = join_rows(tables)
        expected = concat(tables, ignore_index=True)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        assert got.columns.name == expected.columns.name and got.attrs == expected.attrs
        assert joined_with == [{"DataFrame"}]
    mixed = [parts[0], parts[1].copy(), parts[2]]
    mixed[1].attrs = {"kind": "counts"}
    assert join_rows(mixed).attrs == concat(mixed, ignore_index=True).attrs == {}


ANALYSES = {
    "summarize": lambda d, y: summarize(d.results, min_n=5),
    "classify": lambda d, y: classify(d, y),
    "year_over_year": lambda d, y: eq.year_over_year(summarize(d.results)),
    "trend": lambda d, y: eq.trend(summarize(d.results), metric="share_2"),
    "composite": lambda d, y: composite_results(summarize(d.results)),
    "objectivity_triage": lambda d, y: eq.objectivity_triage(d.results, max_scores=d.max_scores()),
    "marks_vs_journal": lambda d, y: eq.marks_vs_journal(d.results),
    "group_gaps": lambda d, y: eq.group_gaps(d.results),
    "session_progress": lambda d, y: eq.session_progress(summarize(d.results)),
    "list_transitions": lambda d, y: eq.list_transitions(d, years=[y]),
    "similar_schools": lambda d, y: eq.similar_schools(d, y),
    "outcome_panel": lambda d, y: eq.outcome_panel(d),
    "rosobrnadzor_chance": lambda d, y: eq.rosobrnadzor_chance(d, y),
}


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_is_the_same_on_compact_and_text_results(region, name):
    year = max(region.years)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compact_out = ANALYSES[name](region, year)
        text_out = ANALYSES[name](_plain(region), year)
    _same(compact_out, text_out)


def test_year_over_year_text_columns_sort_as_text(region):
    yoy = eq.year_over_year(summarize(region.results))
    for name in ("metric", "label", "verdict", "caveat"):
        cats = yoy[name].cat.categories.tolist()
        assert cats == sorted(cats), name
    by_verdict = yoy.sort_values("verdict", kind="stable")["verdict"].dropna()
    assert by_verdict.astype("str").is_monotonic_increasing
    assert (yoy["caveat"].astype("str") == "").sum() > 0  # no caveat: an empty text, not missing
    assert yoy["caveat"].notna().all()

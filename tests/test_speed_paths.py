"""The faster paths give what the general ones give."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pandas as pd
import pytest

from edu_quality import _grouping
from edu_quality._grouping import on_distinct
from edu_quality.fisoko.common import numbers
from edu_quality.fisoko.vpr.tables import repeated_categorical
from edu_quality.intervals import wilson
from edu_quality.marks import parse_marks
from edu_quality.report import html


@pytest.mark.parametrize(
    "values, take",
    [
        (["b", "a", None, "c", "a"], [0, 0, 1, 2, 4, 4]),  # «c» not taken, a missing id
        (["s1"], [0, 0, 0]),
        (["x", "y"], []),  # nothing taken
        (["осень"], [0]),
    ],
)
def test_repeated_categorical_is_the_categorical_of_the_repeated_values(values, take):
    values = np.array(values, dtype=object)
    take = np.array(take, dtype=np.intp)
    fast, general = repeated_categorical(values, take), pd.Categorical(values[take])
    pd.testing.assert_extension_array_equal(fast, general)
    assert fast.categories.dtype == general.categories.dtype


@pytest.mark.parametrize("seed", range(40))
def test_repeated_categorical_on_random_ids(seed):
    """Up to 300 distinct ids (codes of 8 and 16 bits), some never taken, some missing."""
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(1, 400)), int(rng.integers(1, 300))
    pool = np.array([f"p{i}" for i in range(k)] + [None], dtype=object)
    values = pool[rng.integers(0, k + 1, n)]
    take = rng.integers(0, n, int(rng.integers(0, 3 * n)))
    fast, general = repeated_categorical(values, take), pd.Categorical(values[take])
    pd.testing.assert_extension_array_equal(fast, general)
    assert fast.codes.dtype == general.codes.dtype


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_marks_read_once_per_distinct_cell_are_read_as_cell_by_cell(dtype):
    """parse_marks reads each distinct cell once: the same as each cell on its own."""
    pool = ["5", " 3 ", "хор.", "Неуд", "н/а", "", "4,5", "пять", "4,0", None, "1e400", "-3", "6"]
    rng = np.random.default_rng(7)
    cells = pd.Series(
        [pool[i] for i in rng.integers(0, len(pool), 200)],
        dtype=dtype,
        index=rng.permutation(200) + 10,
        name="отметка",
    )
    whole = parse_marks(cells)
    one_by_one = [parse_marks(cells.iloc[[i]]) for i in range(len(cells))]
    for k, got in enumerate(whole):
        pd.testing.assert_series_equal(got, pd.concat([r[k] for r in one_by_one]))
    values, missing, unrecognised = whole
    assert [s.dtype for s in whole] == [np.float64, np.bool_, np.bool_]
    assert all(s.name == "отметка" and s.index.equals(cells.index) for s in whole)
    first = {c: i for i, c in reversed(list(enumerate(cells.tolist())))}  # each cell once
    expected = {  # cell → (value, missing, unrecognised)
        "5": (5.0, False, False),
        " 3 ": (3.0, False, False),
        "хор.": (4.0, False, False),
        "Неуд": (2.0, False, False),
        "н/а": (np.nan, True, False),
        "": (np.nan, True, False),
        "4,5": (np.nan, False, True),
        "пять": (np.nan, False, True),
        "4,0": (4.0, False, False),
        "1e400": (np.nan, False, True),
        "-3": (-3.0, False, False),
        "6": (6.0, False, False),
    }
    for cell, (value, miss, bad) in expected.items():
        i = first[cell]
        assert (values.iloc[i], missing.iloc[i], unrecognised.iloc[i]) == pytest.approx(
            (value, miss, bad), nan_ok=True
        ), cell


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("comma", [False, True])
def test_numbers_read_once_per_distinct_cell_are_pandas_numbers(seed, comma):
    """Integers only give int64, a big one uint64 or floats: the dtype of the whole column."""
    pool = ["1", "2", "", "3.5", "4,5", "x", " 7 ", "1e3", "-2", "inf", "18446744073709551616"]
    rng = np.random.default_rng(seed)
    cells = pd.Series([pool[i] for i in rng.integers(0, len(pool), int(rng.integers(0, 30)))])
    cells = cells.astype("str")
    general = pd.to_numeric(
        cells.str.replace(",", ".", regex=False) if comma else cells, errors="coerce"
    ).to_numpy()
    fast = numbers(cells, comma=comma)
    assert fast.dtype == general.dtype
    np.testing.assert_array_equal(fast, general)


def test_a_prepared_exporter_renders_the_page_a_new_one_renders(monkeypatch):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Отчёт"),
            nbformat.v4.new_code_cell(
                "display(x)",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data", data={"text/html": "<p>Школа №\u00a01: 75,0\u00a0%</p>"}
                    )
                ],
            ),
        ]
    )
    resources = html.export_resources("Проба")
    general, _ = html.report_exporter().from_notebook_node(nb, resources=dict(resources))
    monkeypatch.setattr(html, "_EXPORTER", None)
    monkeypatch.setattr(html, "export_resources", lambda title="": dict(resources))
    html.prepare_exporter()
    assert html.export_html(nb, title="Проба") == general


def test_the_report_command_declines_hypothesis_and_still_checks_a_dataset():
    code = textwrap.dedent("""\
        import sys
        from edu_quality.cli.report import decline_unused_imports
        decline_unused_imports()
        from edu_quality import load_dataset
        from edu_quality.demo import sample_folder
        print(len(load_dataset(sample_folder("inta")).schools) > 0, sys.modules["hypothesis"])
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "None"]


def test_iter_rows_gives_the_rows_itertuples_gives():
    from edu_quality._rows import iter_rows

    t = pd.DataFrame(
        {
            "school": pd.array(["a", None, "в"], dtype="str"),
            "share": np.array([0.3, np.nan, 1.0], dtype="float32"),
            "n": np.array([1, 2, 3], dtype="int8"),
            "mark": pd.Categorical(["2", None, "5"]),
            "Доля «2»": [True, False, True],
            "when": pd.to_datetime(["2024-05-01", None, "2024-09-01"]),
            "big": np.array([2**63 - 1, 0, -5], dtype="int64"),
            "u": np.array([1, 2, 65535], dtype="uint16"),
            "years": [[2021, 2022], [], [2024]],
            "k": pd.array([1, None, 3], dtype="Int64"),
            "ok": pd.array([True, None, False], dtype="boolean"),
        }
    )
    fast, general = list(iter_rows(t)), list(t.itertuples(index=False))
    assert [r._fields for r in fast] == [r._fields for r in general]
    assert fast[0]._fields[4] == "_4"  # a column name that is no identifier, renamed alike
    for a, b in zip(fast, general, strict=True):
        # a nullable integer or yes/no: Python's (itertuples: NumPy's), as documented
        python = {np.int64: int, np.bool_: bool}
        assert [type(v) for v in a] == [python.get(type(v), type(v)) for v in b]
        for x, y in zip(a, b, strict=True):
            assert x == y if isinstance(x, list) or pd.notna(x) else pd.isna(y)
    assert list(iter_rows(t.iloc[:0])) == []
    assert len(list(iter_rows(t[[]]))) == 3


@pytest.mark.parametrize("dtype", ["str", "category", "object"])
def test_keyed_rows_are_the_rows_a_mask_selects(dtype):
    from edu_quality._rows import KeyedRows

    ids = pd.Series(["b", "a", None, "b", "c"], dtype=dtype, index=[10, 11, 12, 13, 14])
    t = pd.DataFrame({"school_id": ids, "v": range(5)})
    rows = KeyedRows(t)
    for key in ("a", "b", "c", "zz"):
        pd.testing.assert_frame_equal(rows(key), t.loc[t["school_id"] == key])
    assert rows("b").index.tolist() == [10, 13]
    assert rows.positions("b").tolist() == [0, 3] and rows.positions("zz").tolist() == []


def test_report_rows_follow_a_replaced_table():
    import copy

    from edu_quality.demo import sample_folder
    from edu_quality.report import report_data

    data = report_data(sample_folder("inta"), 2022)
    schools = data.dataset.schools
    sid = schools["school_id"].iloc[0]
    assert data.rows_of(schools) is data.rows_of(schools)  # found once
    pd.testing.assert_frame_equal(
        data.rows_of(schools)(sid), schools.loc[schools["school_id"] == sid]
    )
    s = data.summary
    by_year = data.rows_of(s, year=True)(sid)
    pd.testing.assert_frame_equal(by_year, s.loc[(s["school_id"] == sid) & (s["year"] == 2022)])
    # a copy given another table answers from it, not from the table indexed before
    other = copy.copy(data)
    renamed = schools.assign(name=schools["name"] + " (копия)")
    assert other.rows_of(renamed)(sid)["name"].iloc[0].endswith("(копия)")
    assert not data.rows_of(schools)(sid)["name"].iloc[0].endswith("(копия)")


def test_display_table_draws_as_the_inferred_table():
    from edu_quality.report.render import Section, display_table

    rows = [("№ 5", "62,5 %", None), ("Школа <1>", "—", "1,0")]
    cols = ["Школа", "Доля", "Балл"]
    a, b = Section("x"), Section("x")
    a.table(display_table(rows, cols), numeric=["Доля"])
    b.table(pd.DataFrame(rows, columns=cols), numeric=["Доля"])
    assert a.html() == b.html() and "&lt;1&gt;" in a.html()


def test_one_report_kernel_imports_no_statistics_stack_when_tables_are_kept(tmp_path):
    """``report school``'s kernel: warm-up, the handed dataset, kept tables — then the page.

    SciPy's statistics, statsmodels and pandera (≈0.7 s of the kernel's start)
    are imported where something is computed or validated, not by the page.
    """
    code = textwrap.dedent(f"""\
        import sys
        from edu_quality.demo import sample_folder
        from edu_quality.report.notebooks import WARMUP_ONE
        folder = str(sample_folder("region").resolve())
        if sys.argv[1] == "prepare":  # as the command: load, hand over, fill the table cache
            from edu_quality.report.cache import cached_dataset, share_dataset
            from edu_quality.report import report_data, sections
            cached_dataset(folder)
            share_dataset(folder, {str(tmp_path / "ds.pickle")!r}, keep=True)
            sections.school_report(report_data(folder, 2024), "01016", "")._repr_html_()
        else:  # as the kernel
            exec(WARMUP_ONE)
            from edu_quality.report.cache import preload_dataset
            assert preload_dataset(folder, {str(tmp_path / "ds.pickle")!r})
            from edu_quality.report import report_data, sections
            page = sections.school_report(report_data(folder, 2024), "01016", "")._repr_html_()
            assert "<section" in page
            print(sorted(m for m in ("scipy.stats", "statsmodels", "pandera") if m in sys.modules))
        """)
    env = {**os.environ, "EDU_QUALITY_CACHE": str(tmp_path / "cache")}
    for step in ("prepare", "kernel"):
        out = subprocess.run(
            [sys.executable, "-c", code, step], capture_output=True, text=True, env=env, timeout=300
        )
        assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_school_page_of_new_data_computes_without_the_statistics_stack(tmp_path):
    """The first school report of new data: its kernel computes every table of the page.

    SciPy's statistics and statsmodels (≈0.45 s to import) are not needed for it:
    :mod:`edu_quality._stats` computes the little the page uses of them.
    """
    code = textwrap.dedent("""\
        import sys
        from edu_quality.demo import sample_folder
        from edu_quality.report.notebooks import WARMUP_SCHOOL
        exec(WARMUP_SCHOOL)
        from edu_quality.report import report_data, sections
        data = report_data(sample_folder("region"), 2024)
        page = sections.school_report(data, "01016", "")._repr_html_()
        assert "<section" in page and data.classified is not None and data.objectivity is not None
        print(sorted(m for m in ("scipy.stats", "statsmodels") if m in sys.modules))
        """)
    env = {**os.environ, "EDU_QUALITY_CACHE": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"
    assert len(list((tmp_path / "cache").rglob("*.pickle"))) >= 8  # the tables were computed


def _spearman_one_by_one(data: pd.DataFrame, keys: list[str], min_n: int) -> list[tuple]:
    """The general path: ``scipy.stats.spearmanr`` group by group (the federal sign's test)."""
    import warnings

    from scipy import stats

    out = []
    journal_all, score_all = data["journal"].to_numpy(), data["score"].to_numpy()
    for key, at in data.groupby(keys, sort=True, observed=True).indices.items():
        j, s = journal_all[at], score_all[at]
        rho = p = np.nan
        if len(at) >= min_n and np.ptp(j) != 0 and np.ptp(s) != 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = stats.spearmanr(j, s, alternative="less")
            rho, p = float(res.statistic), float(res.pvalue)
        out.append((*key, len(at), rho, p))
    return out


@pytest.mark.parametrize("seed", range(60))
def test_spearman_of_all_groups_at_once_is_spearmanr_to_the_bit(seed):
    """Up to 4 000 pupils in up to 600 groups: ties, journal marks as Int64 or int, missing scores."""
    from edu_quality.objectivity.signs import spearman_rows

    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 4000))
    data = pd.DataFrame(
        {
            "work": rng.integers(0, 3, n),
            "school": rng.integers(0, int(rng.integers(1, 200)), n).astype(str),
            "journal": rng.integers(2, 6, n),
            "score": rng.integers(0, int(rng.integers(2, 40)), n).astype(float),
        }
    )
    if seed % 3 == 1:
        data["journal"] = pd.array(data["journal"], dtype="Int64")
    if seed % 3 == 2 and n:
        data.loc[data.sample(frac=0.05, random_state=seed).index, "score"] = np.nan
    fast = spearman_rows(data, ["work", "school"], 2)
    general = _spearman_one_by_one(data, ["work", "school"], 2)
    assert [r[:3] for r in fast] == [r[:3] for r in general]
    fast_values = np.array([r[3:5] for r in fast], dtype="float64").reshape(-1, 2)
    general_values = np.array([r[3:5] for r in general], dtype="float64").reshape(-1, 2)
    same_bits = fast_values.view(np.int64) == general_values.view(np.int64)
    assert (same_bits | (np.isnan(fast_values) & np.isnan(general_values))).all()
    if n > 1000 and seed % 3 != 2:  # correlations were computed, not only skipped
        assert np.isfinite(general_values).any()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(
    "kind", ["whole", "negative", "fractions", "huge", "infinite", "all missing", "empty"]
)
def test_group_mean_is_pandas_group_mean_to_the_bit(seed, kind):
    """Counted at once where the sums are exact (whole numbers), pandas' kernel otherwise."""
    from edu_quality._grouping import by_group, group_mean

    rng = np.random.default_rng(seed)
    n, groups = (0, 3) if kind == "empty" else (5_000, 900)  # many groups without a value
    ids = np.sort(rng.integers(0, groups, n))
    values = rng.integers(0, 60, n).astype("float64")
    values[rng.random(n) < 0.1] = np.nan
    if kind == "negative":
        values -= 30.0
        values[::7] = -0.0
    elif kind == "fractions":  # a tenth is inexact in binary: pandas' compensated sum
        values = values / 10 + 0.1
    elif kind == "huge":  # whole, but sums past 2⁵³
        values[::3] = 2.0**52
    elif kind == "infinite":
        values[::11] = np.inf
    elif kind == "all missing":
        values[:] = np.nan
    expected = by_group(values, ids, groups).mean().to_numpy()
    got = group_mean(values, ids, groups)
    assert got.dtype == expected.dtype and len(got) == groups
    np.testing.assert_array_equal(got, expected)  # NaN where NaN, every other value equal
    assert np.array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("missing", [False, True])
def test_known_works_are_the_distinct_keys_of_the_rows(missing):
    """Numbered by their codes, the works are those ``drop_duplicates`` gives."""
    from edu_quality.dataset.checks import known_works
    from edu_quality.schema import RESULTS_PUPILS

    rng = np.random.default_rng(4)
    n = 3_000
    table = pd.DataFrame(
        {
            "year": rng.choice([2023, 2024], n).astype("int16"),
            "session": pd.Categorical(rng.choice(["весна", "осень"], n)),
            "assessment": pd.Categorical(rng.choice(["ВПР", "ОГЭ"], n), ["ОГЭ", "ВПР", "КДР"]),
            "subject": pd.Series(rng.choice(["Математика", "История"], n), dtype="str"),
            "grade": rng.choice([4, 5, 9], n).astype("int8"),
            "school_id": "S1",
            "pupil_id": [f"P{i}" for i in range(n)],
        }
    )
    if missing:
        table.loc[17, "subject"] = None
    cell = table[["year", "session", "assessment", "subject", "grade"]].drop_duplicates()
    expected = None if missing else frozenset(cell.itertuples(index=False, name=None))
    assert known_works(table, RESULTS_PUPILS) == expected
    if not missing:
        assert len(expected) == 2 * 2 * 2 * 2 * 3


@pytest.mark.parametrize("seed", [0, 1])
def test_a_function_on_distinct_values_is_the_function_of_every_row(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 30, 5000).astype("float64")
    n = c + rng.integers(0, 30, 5000)
    c[::13] = np.nan  # an unknown count: a value of its own
    n[::29] = 0.0
    for fast, slow in zip(on_distinct(wilson, c, n), wilson(c, n), strict=True):
        np.testing.assert_array_equal(fast, slow)
    # too many combinations of values for one integer: numbered as rows, the same
    columns = [rng.permutation(70_000).astype("float64") for _ in range(4)]
    as_rows = []
    monkeypatch.setattr(
        _grouping,
        "_on_distinct_rows",
        lambda *a, _rows=_grouping._on_distinct_rows: as_rows.append(1) or _rows(*a),
    )

    def total(*arrays):
        return (sum(arrays), arrays[0] * arrays[1])

    for fast, slow in zip(on_distinct(total, *columns), total(*columns), strict=True):
        np.testing.assert_array_equal(fast, slow)
    assert as_rows == [1]
    assert [a.tolist() for a in on_distinct(total, *(a[:0] for a in columns))] == [[], []]

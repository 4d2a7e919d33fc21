"""The faster paths of the national-scale run give what the general ones give.

Each is compared with the original one-by-one computation on small inputs
built here: the header-like test of :mod:`edu_quality.io.checks` (distinct
texts sifted together) and the reasons of :func:`edu_quality.rosobrnadzor.meeting_rule`
(one pass over the rows instead of one per school and session).
"""

from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pandas as pd
import pytest

from edu_quality.io.checks import _header_like, _squeezed
from edu_quality.rosobrnadzor import (
    WORK,
    _few,
    listing,
    mark_hidden,
    meeting_rule,
    per_school,
    percent,
    share_text,
)
from edu_quality.schema import normalize_header

KEYS = frozenset({"код оо", "school id", "pupil id", "код обучающегося", "score", "n2"})
TEXTS = [
    "P0100118001",
    "School_ID",
    "SCHOOL ID",
    "schoolid",
    "Код ОО",
    " КОД  ОО ",
    "«Score»",
    "SCORE",
    "score",
    "N2",
    "n2",
    "2",
    None,
    "pupil_id",
    "PUPILID",
    "İscore",
    "ΣCORE",
    "x",
    "",
]


def _header_like_one_by_one(values: pd.Series, keys: frozenset[str]) -> np.ndarray:
    codes, uniques = pd.factorize(values)
    squeezed = {_squeezed(k) for k in keys}
    hit = np.fromiter(
        (
            isinstance(u, str)
            and u.lower() != u.upper()
            and _squeezed(u) in squeezed
            and normalize_header(u) in keys
            for u in uniques
        ),
        dtype=bool,
        count=len(uniques),
    )
    return np.append(hit, False)[codes]


@pytest.mark.parametrize("dtype", ["str", object])
def test_header_like_equals_one_by_one(dtype):
    rng = np.random.default_rng(3)
    ids = [f"P{rng.integers(10**9):09d}" for _ in range(500)]
    values = pd.Series(rng.permutation(TEXTS * 4 + ids), dtype=dtype)
    got = _header_like(values, KEYS)
    np.testing.assert_array_equal(got, _header_like_one_by_one(values, KEYS))
    assert got.sum() >= 4 * 8  # most of the texts above, each four times


def test_header_like_mixed_objects():
    values = pd.Series([1, "score", 2.5, None, "SCORE "], dtype=object)
    np.testing.assert_array_equal(_header_like(values, KEYS), _header_like_one_by_one(values, KEYS))


def _item(row, value: str, autumn_mark: bool) -> str:
    """The original text of one work, from a row of ``itertuples``."""
    mark = " (осень)" if autumn_mark and row.session == "осень" else ""
    return f"{row.assessment} {row.subject} {row.grade} кл.{mark} — {value}"


def _meeting_rule_by_groups(rows, year, *, share, sessions=True, hidden=None):
    """The original: one ``itertuples`` per (school, session) group, one text per row."""
    rows = rows.assign(secret=mark_hidden(rows, hidden).to_numpy())
    high = rows.loc[rows["share_2"] >= share]
    this = high.loc[high["year"] == year]
    prev = high.loc[high["year"] == year - 1]
    work = ["assessment", "subject", "grade"]
    both = this.merge(
        prev[["school_id", *work, "session", "share_2", "participants", "secret"]],
        on=["school_id", *work, "session"],
        suffixes=("", "_prev"),
    )
    out: dict[str, list[str]] = {}
    for (sid, ses), part in this.groupby(["school_id", "session"], sort=False):
        if len(part) < 2:
            continue
        items = [
            _item(r, "значение скрыто" if r.secret else share_text(r.share_2), False)
            + _few(r.participants)
            for r in part.itertuples()
        ]
        where = f"{year} года" + (f", сессия «{ses}»" if sessions else "")
        out.setdefault(str(sid), []).append(
            f"доля «2» не ниже {percent(share)} в {len(items)} процедурах {where} ("
            + listing(items)
            + ")"
        )
    items2 = per_school(
        both,
        [
            _item(
                r,
                "значение скрыто"
                if r.secret or r.secret_prev
                else f"{share_text(r.share_2_prev)} и {share_text(r.share_2)}",
                sessions,
            )
            + _few(r.participants_prev, r.participants)
            for r in both.itertuples()
        ],
    )
    for sid, items in items2.items():
        out.setdefault(str(sid), []).append(
            f"доля «2» не ниже {percent(share)} два года подряд ({year - 1} и {year}): "
            + listing(items)
        )
    return out


def test_meeting_rule_equals_groups():
    rng = np.random.default_rng(11)
    n = 600
    rows = pd.DataFrame(
        {
            "school_id": pd.Series(rng.choice([f"0{i:04d}" for i in range(40)], n), dtype="str"),
            "year": rng.choice([2023, 2024], n),
            "assessment": "ВПР",
            "subject": pd.Series(rng.choice(["Математика", "Русский язык", "История"], n)),
            "grade": rng.choice([4, 5, 6, 7], n),
            "session": pd.Series(rng.choice(["весна", "осень", None], n, p=[0.6, 0.3, 0.1])),
            "participants": rng.integers(3, 40, n),
        }
    )
    rows = rows.drop_duplicates(["school_id", "year", "subject", "grade", "session"])
    rows["share_2"] = rng.integers(0, 10, len(rows)) / 10
    got = meeting_rule(rows, 2024, share=0.3)
    expected = _meeting_rule_by_groups(rows, 2024, share=0.3)
    assert len(got) > 5
    assert list(got["school_id"]) == list(expected)
    assert list(got["rosobrnadzor_reason"]) == ["; ".join(v) for v in expected.values()]
    assert got["rosobrnadzor_reason"].str.contains("(осень)", regex=False).any()
    assert got["rosobrnadzor_reason"].str.contains("мало участников", regex=False).any()

    # cells a report hides, the autumn works named only where the data have sessions
    hidden = rows.sample(frac=0.3, random_state=2)[["school_id", *WORK, "year", "session"]]
    for sessions in (True, False):
        got = meeting_rule(rows, 2024, share=0.3, hidden=hidden, sessions=sessions)
        expected = _meeting_rule_by_groups(rows, 2024, share=0.3, hidden=hidden, sessions=sessions)
        assert list(got["school_id"]) == list(expected)
        assert list(got["rosobrnadzor_reason"]) == ["; ".join(v) for v in expected.values()]
        assert got["rosobrnadzor_reason"].str.contains("значение скрыто", regex=False).any()


# ------------------------------------------------------------------ a results file's checks

PUPIL_COLUMNS = "Учебный год;Процедура;Предмет;Класс;Код ОО;Код участника;Первичный балл;Отметка"


def _pupil_rows(n: int) -> list[str]:
    return [f"2022;ВПР;Математика;5;5;P{i:04d};{10 + i % 5};{2 + i % 4}" for i in range(n)]


def test_a_repeated_header_is_found_through_the_pupil_column(write):
    """The pupil codes are looked at last, in the rows another cell already flags."""
    from edu_quality import read_results
    from edu_quality.errors import DataError

    rows = _pupil_rows(6)
    rows[3] = "2022;ВПР;Математика;5;Код ОО;Код участника;7;3"  # two header-like cells
    with pytest.raises(DataError) as err:
        read_results(write("r.csv", "\n".join([PUPIL_COLUMNS, *rows]) + "\n"))
    assert "повтор строки заголовков" in str(err.value)
    assert err.value.row == 5 and err.value.column == "Код ОО"


def test_a_lone_header_like_cell_is_no_repeated_header(write):
    from edu_quality import read_results

    rows = _pupil_rows(6)
    rows[2] = "2022;ВПР;Математика;5;Код ОО;P0002;7;3"  # the pupil cell is looked at: a code
    table = read_results(write("r.csv", "\n".join([PUPIL_COLUMNS, *rows]) + "\n"))
    assert table["school_id"].tolist().count("Код ОО") == 1


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_total_row_is_found_among_many_schools(write, tmp_path, suffix):
    """A column of many distinct codes is sifted for «итог»/«всего» before the rule is matched."""
    from edu_quality import read_results
    from edu_quality.errors import DataError

    rows = [
        f"2022;ВПР;Математика;5;{1000 + i};P{i:04d};{10 + i % 5};{2 + i % 4}" for i in range(300)
    ]
    rows[250] = "2022;ВПР;Математика;5;ИТОГО по району;P9999;12;3"
    rows[10] = "2022;ВПР;Математика;5;Всегоднев;P9998;12;3"  # a school, not a total
    path = write("r.csv", "\n".join([PUPIL_COLUMNS, *rows]) + "\n")
    if suffix == ".parquet":
        frame = pd.read_csv(path, sep=";", dtype=str)
        path = tmp_path / "r.parquet"
        frame.astype("str").to_parquet(path)
    with pytest.raises(DataError) as err:
        read_results(path)
    assert "строка итогов «ИТОГО по району»" in str(err.value)
    assert err.value.column == "Код ОО" and len(err.value.problems) == 1
    rows[250] = "2022;ВПР;Математика;5;1250;P0250;12;3"
    assert len(read_results(write("ok.csv", "\n".join([PUPIL_COLUMNS, *rows]) + "\n"))) == 300


@pytest.fixture
def counted(monkeypatch) -> tuple[list[dict], object]:
    """``pd.factorize`` counted from here on: the options of every call, and the real one."""
    calls = []
    real = pd.factorize

    def counting(values, **kw):
        calls.append(kw)
        return real(values, **kw)

    monkeypatch.setattr(pd, "factorize", counting)
    return calls, real


def test_shared_codes_are_pandas_codes_and_computed_once(counted):
    from edu_quality import _codes

    calls, real = counted
    s = pd.Series(["b", "a", None, "b"], dtype="str")
    expected = real(s)
    with _codes.shared_codes():
        first = _codes.factorize(s)
        again = _codes.factorize(s.copy())  # a copy shares the Arrow data
        keep_na = _codes.factorize(s, use_na_sentinel=False)  # a missing value: computed
    outside = _codes.factorize(s)
    np.testing.assert_array_equal(first[0], expected[0])
    assert list(first[1]) == list(expected[1]) and again[0] is first[0]
    np.testing.assert_array_equal(keep_na[0], real(s, use_na_sentinel=False)[0])
    assert len(calls) == 3 and outside[0] is not first[0]


def test_categorical_codes_are_pandas_codes_and_computed_once(counted):
    """A categorical (text of a Parquet dictionary) is factorised once per block: by the
    memory of its codes, which a shallow copy, a re-indexed column and a column of a table
    share; its uniques as the texts they stand for."""
    from edu_quality import _codes

    calls, real = counted
    cat = pd.Series(["б", None, "а", "б", "в"], dtype="category")
    expected = real(cat)
    with _codes.shared_codes():
        first = _codes.factorize(cat)
        shared = [
            cat.copy(deep=False),
            cat.set_axis(range(10, 15)),
            pd.DataFrame({"x": cat}, copy=False)["x"],
        ]
        again = [_codes.factorize(s) for s in shared]
        assert len(calls) == 1 and all(a[0] is first[0] for a in again)
        # other codes or other categories: their own
        parts = [cat.iloc[1:], cat.iloc[:-1], cat.iloc[::2], cat.iloc[::-1]]
        own = [_codes.factorize(p) for p in parts]
        renamed = cat.cat.rename_categories(["x", "y", "z"])
        other = _codes.factorize(renamed)
        keep_na = _codes.factorize(cat, use_na_sentinel=False)
    np.testing.assert_array_equal(first[0], expected[0])
    assert list(first[1]) == ["б", "а", "в"] and first[1].dtype == "str"
    for part, (codes, uniques) in zip(parts, own, strict=True):
        np.testing.assert_array_equal(codes, real(part)[0])
        assert list(uniques) == list(real(part)[1].astype("str"))
    assert list(other[1]) == ["y", "x", "z"]
    np.testing.assert_array_equal(keep_na[0], real(cat, use_na_sentinel=False)[0])


@pytest.mark.parametrize(
    "categories",
    [
        ["б", "а", "в"],
        [3, 1, 2],
        [2.5, 1.0],
        ["x"],
        ["а", "б", "не было"],
        pd.Index(["а", "б"], dtype=object),
        pd.RangeIndex(3),
        pd.Index(["а", "б"], dtype="str", name="школа"),
        pd.date_range("2024-01-01", periods=3, freq="D"),
        pd.interval_range(0, 3),
    ],
)
def test_a_categorical_is_factorised_as_pandas_does(categories):
    """By its codes as integers: the codes and (plain) uniques of ``pd.factorize``, with
    missing values, unused categories, categories of every kind and no rows."""
    from edu_quality._codes import factorize, plain

    rng = np.random.default_rng(7)
    dtype = pd.CategoricalDtype(categories)
    used = len(categories) - (list(categories)[-1] == "не было")
    for size, missing in itertools.product((0, 1, 7, 300), (0.0, 0.3, 1.0)):
        codes = rng.integers(0, used, size)
        codes[rng.random(size) < missing] = -1
        s = pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
        for na in (True, False):
            want_codes, want_uniques = pd.factorize(s, use_na_sentinel=na)
            got_codes, got_uniques = factorize(s, use_na_sentinel=na)
            np.testing.assert_array_equal(got_codes, want_codes)
            assert got_codes.dtype == want_codes.dtype
            want_uniques = pd.Index(plain(want_uniques))
            pd.testing.assert_index_equal(got_uniques, want_uniques, exact=True)
            assert got_uniques.name == want_uniques.name


def test_an_empty_text_column_is_factorised_without_hashing(monkeypatch):
    from edu_quality import _codes

    real = pd.factorize
    for n in (0, 1, 5):
        s = pd.Series([None] * n, dtype="str")
        for inside in (False, True):
            with _codes.shared_codes() if inside else contextlib.nullcontext():
                if n:  # nothing hashed
                    monkeypatch.setattr(_codes.pd, "factorize", None)
                codes, uniques = _codes.factorize(s)
                monkeypatch.undo()
            want_codes, want_uniques = real(s)
            np.testing.assert_array_equal(codes, want_codes)
            assert codes.dtype == want_codes.dtype
            pd.testing.assert_index_equal(uniques, want_uniques)
        keep_na = _codes.factorize(s, use_na_sentinel=False)
        np.testing.assert_array_equal(keep_na[0], pd.factorize(s, use_na_sentinel=False)[0])


def test_the_session_default_leaves_the_codes_pandas_gives(write, monkeypatch):
    from edu_quality import _codes, read_results

    real = pd.factorize
    with _codes.shared_codes():
        table = read_results(write("a.csv", "\n".join([PUPIL_COLUMNS, *_pupil_rows(3)]) + "\n"))
        monkeypatch.setattr(_codes.pd, "factorize", None)  # the codes are remembered
        codes, uniques = _codes.factorize(table["session"])
        monkeypatch.undo()
    want_codes, want_uniques = real(table["session"])
    np.testing.assert_array_equal(codes, want_codes)
    pd.testing.assert_index_equal(uniques, want_uniques)


TEXTS_TO_SORT = [
    "Математика",
    "математика",
    "Ёлка",
    "Елка",
    "ёж",
    "Zeta",
    "alpha",
    " пробел",
    "10",
    "9",
]


def test_sorted_categorical_is_astype_category():
    """Cyrillic with ё, Latin, both cases, digits, a leading space and missing values."""
    from edu_quality._codes import shared_codes, sorted_categorical

    rng = np.random.default_rng(3)
    s = pd.Series(rng.choice([*TEXTS_TO_SORT, None], 500), dtype="str", name="subject")
    s.index = s.index + 7
    expected = s.astype("category")
    pd.testing.assert_series_equal(sorted_categorical(s), expected)
    with shared_codes():  # from remembered codes, the same
        pd.testing.assert_series_equal(sorted_categorical(s), expected)
    nothing = pd.Series([None, None], dtype="str")
    pd.testing.assert_series_equal(sorted_categorical(nothing), nothing.astype("category"))


@pytest.mark.parametrize("kind", ["str", "school_id", "category"])
def test_parsed_column_remembers_the_codes_pandas_gives(kind, monkeypatch):
    """A text column parsed once per distinct cell: the codes it leaves for the checks and
    for :func:`~edu_quality.dataset.tables.compact` are ``pd.factorize`` of the parsed column
    (cells that parse to one value, and missing ones, included)."""
    from edu_quality import _codes
    from edu_quality.io.cells import parse_distinct
    from edu_quality.schema import RESULTS_PUPILS

    col = RESULTS_PUPILS.column("subject" if kind == "str" else "school_id")
    rng = np.random.default_rng(5)
    cells = ["Математика", " Математика ", "Русский язык", "русский  язык", "", None, "Химия"]
    if kind == "school_id":
        cells = ["010001", " 010001", "010002", "", None, "010003 "]
    s = pd.Series(rng.choice(cells, 6000), dtype="category" if kind == "category" else "str")
    real = pd.factorize
    with _codes.shared_codes():
        values, bad, _ = parse_distinct(col, s, categorical=kind == "category")
        assert isinstance(values.dtype, pd.CategoricalDtype) == (kind == "category")
        monkeypatch.setattr(_codes.pd, "factorize", None)  # the codes are remembered
        codes, uniques = _codes.factorize(values)
        monkeypatch.undo()
        assert not bad.any()
    want_codes, want_uniques = real(values)
    np.testing.assert_array_equal(codes, want_codes)
    if kind == "category":  # as the texts the categories stand for
        want_uniques = pd.Index(want_uniques.astype("str"))
    pd.testing.assert_index_equal(pd.Index(uniques), want_uniques)
    assert (codes < 0).any() and len(want_uniques) < len(set(cells)) - 1


def test_the_session_default_fills_an_absent_and_an_empty_column(write):
    from edu_quality import read_results

    absent = read_results(write("a.csv", "\n".join([PUPIL_COLUMNS, *_pupil_rows(3)]) + "\n"))
    header = PUPIL_COLUMNS + ";Сессия"
    rows = [r + s for r, s in zip(_pupil_rows(3), [";осень", ";", ";весна"], strict=True)]
    empty = read_results(write("e.csv", "\n".join([header, *rows]) + "\n"))
    assert absent["session"].tolist() == ["весна"] * 3 and absent["session"].dtype == "str"
    assert empty["session"].tolist() == ["осень", "весна", "весна"]
    assert empty["session"].dtype == "str"


def test_meeting_rule_takes_a_missing_share_for_one_below_the_rule():
    rows = pd.DataFrame(
        {
            "school_id": ["A"] * 4 + ["B"] * 4,
            "assessment": "ВПР",
            "subject": ["М", "Р"] * 4,
            "grade": 5,
            "session": "весна",
            "year": [2022, 2022, 2023, 2023] * 2,
            "participants": 20,
            "share_2": pd.array([0.4, 0.4, 0.4, None, 0.1, 0.5, 0.1, 0.5], dtype="Float64"),
        }
    )
    got = meeting_rule(rows, 2023, share=0.3)
    assert got["school_id"].tolist() == ["A", "B"]
    assert "ВПР М 5 кл. — 40,0\u00a0% и 40,0\u00a0%" in got["rosobrnadzor_reason"].iloc[0]
    assert "ВПР Р 5 кл. — 50,0\u00a0% и 50,0\u00a0%" in got["rosobrnadzor_reason"].iloc[1]


@pytest.mark.parametrize("dtype", ["str", "Int64", "boolean", "float64", "int64", "category"])
@pytest.mark.parametrize("n", [0, 1, 5, 3000])
def test_a_column_of_one_value_is_the_column_pandas_builds(dtype, n):
    """An absent column (missing throughout) and the session's default, built at once:
    the very Series ``pd.Series(value, index=..., dtype=...)`` gives."""
    from edu_quality.io.load import _one_value

    index = pd.RangeIndex(n)
    values = [None, "весна"] if dtype == "str" else [None]
    if dtype in ("Int64", "float64", "int64"):
        values.append(3)
    for value in values:
        if value is None and dtype == "int64":
            continue  # no missing whole number without Int64
        got = _one_value(value, index, dtype)
        want = pd.Series(value, index=index, dtype=dtype)
        pd.testing.assert_series_equal(got, want, check_exact=True)
        assert type(got.array) is type(want.array)
        if dtype == "str":
            assert got.array.__arrow_array__().type == want.array.__arrow_array__().type


def _random_text_columns(rng, trials: int):
    """Short random text columns, mostly ASCII codes: missing, empty and blank cells, words
    for a missing value, names, a no-break space; some in two Arrow chunks, some sliced."""
    import pyarrow as pa

    plain = [*"abcXYZ0123-'_ /.", "\t"]
    other = [" ", "nan", "NA", "n/a", "Иван", "\xa0", "—", ""]
    for _ in range(trials):
        size = int(rng.integers(0, 6))
        pool = plain if rng.random() < 0.7 else plain + other
        cells = [
            None if rng.random() < 0.1 else "".join(rng.choice(pool, int(rng.integers(0, 9))))
            for _ in range(size)
        ]
        s = pd.Series(cells, dtype="str")
        if size > 2 and rng.random() < 0.3:
            half = size // 2
            arrow = pa.chunked_array(
                [
                    pa.array(cells[:half], pa.large_string()),
                    pa.array(cells[half:], pa.large_string()),
                ]
            )
            s = pd.Series(pd.arrays.ArrowStringArray(arrow, dtype=s.dtype))
            if rng.random() < 0.5:
                s = s.iloc[1:].reset_index(drop=True)
        yield s


def test_ascii_codes_parse_as_every_cell_does():
    """Codes whose bytes show nothing to trim nor a word for a missing value are taken as
    they are: what trimming and setting such words aside gives, cell by cell."""
    from edu_quality.io.cells import as_text, is_missing, parse
    from edu_quality.schema import RESULTS_PUPILS

    col = RESULTS_PUPILS.column("pupil_id")
    taken = 0
    for s in _random_text_columns(np.random.default_rng(11), 1500):
        text = as_text(s)
        want = text.where(~is_missing(text)).astype("str")
        got = parse(col, s)[0]
        pd.testing.assert_series_equal(got, want)
        taken += got is s
    assert taken > 50  # the shortcut was taken, and not always
    codes = pd.Series([f"P{i:011d}" for i in range(3000)], dtype="str")
    assert parse(col, codes)[0] is codes


def test_letter_pairs_in_the_bytes_are_the_regular_expressions():
    from edu_quality._text_bytes import ascii_text, pairs_of
    from edu_quality.names import _JOIN, _L, _PAIR, looks_like_name

    found = 0
    for s in _random_text_columns(np.random.default_rng(12), 1500):
        want = s.str.contains(_PAIR, regex=True).to_numpy(dtype=bool, na_value=False)
        text = ascii_text(s)
        if text is not None:
            np.testing.assert_array_equal(pairs_of(text, _L, _JOIN), want)
            found += want.sum()
        np.testing.assert_array_equal(
            looks_like_name(s, id_column=True), looks_like_name(s.astype(object), id_column=True)
        )
    assert found > 100

"""Score-to-mark scales of the ВПР: the official tables and a user's own.

A scale says which range of primary scores gives each mark «2»–«5» for the
work of one subject and grade in one year. The package ships the scales it can
source (``edu_quality/data/vpr_scales.csv``); a user passes their own table
for any other year (:func:`read_scales`).

Shipped scales
--------------
2021
    ФИОКО's descriptions of the 2021 works («Рекомендации по переводу
    первичных баллов в отметки по пятибалльной шкале»), mathematics and
    Russian, grades 4–8.
2020
    The ВПР of spring 2020 were written in autumn 2020, a grade later (the
    pupils of grade g wrote the work of grade g − 1). No official table for
    them is at hand: the shipped rows repeat the 2021 scale of the *work's*
    grade, as the regional portal did. This is an assumption, and the
    ``source`` column of every such row says so.
2022
    Not shipped (no official table here). Pass your own scale; without one a
    2022 result raises :class:`~edu_quality.errors.DataError`.

The ``grade`` of a scale is always the grade of the **work**. Results carry it
in ``work_grade`` (which differs from the pupils' ``grade`` only for autumn
2020); :func:`score_to_mark` uses ``work_grade`` when the table has it.

The ``year`` of a scale is the year of the work. The autumn-2020 works are
results of the school year 2020/21 (``year`` 2021, ``session`` «осень»,
:mod:`edu_quality.exam_years`) but the works of 2020: :func:`score_to_mark`
looks their scale up under 2020.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, Problem
from .exam_years import scale_year, session_of

__all__ = [
    "SCALES_FILE",
    "max_scores",
    "merge_scales",
    "normalize_subject",
    "read_scales",
    "score_to_mark",
    "vpr_scales",
]

#: The shipped table of official ВПР scales (see the module docstring).
SCALES_FILE = Path(__file__).resolve().parent / "data" / "vpr_scales.csv"

_COLUMNS = ["year", "subject", "grade", "mark", "min_score", "max_score", "source"]
_MARKS = (2, 3, 4, 5)

# header (normalised) → column, for a user's table in long form
_ALIASES = {
    "year": ("year", "год", "учебный год", "год проведения"),
    "subject": ("subject", "предмет", "учебный предмет"),
    "grade": ("grade", "класс", "параллель", "класс работы"),
    "mark": ("mark", "отметка", "оценка"),
    "min_score": ("min_score", "min score", "минимальный балл", "балл от", "от", "мин"),
    "max_score": ("max_score", "max score", "максимальный балл", "балл до", "до", "макс"),
    "source": ("source", "источник"),
}

#: Word stems of subject names (lower case) → the subject as the tables name it.
SUBJECT_STEMS = (
    ("математик", "Математика"),
    ("русск", "Русский язык"),
    ("окружающ", "Окружающий мир"),
    ("истори", "История"),
    ("биолог", "Биология"),
    ("географ", "География"),
    ("обществ", "Обществознание"),
    ("физик", "Физика"),
    ("хими", "Химия"),
    ("английск", "Английский язык"),
    ("немецк", "Немецкий язык"),
    ("французск", "Французский язык"),
)


def normalize_subject(text: object) -> str | None:
    """Return the usual name of a school subject.

    Known subjects are recognised by their stem in any form («по математике»,
    «МАТЕМАТИКА», «русскому языку»); any other text is returned with spaces
    folded and its first letter capitalised.

    Parameters
    ----------
    text : object
        A subject as written, or a file name containing it.

    Returns
    -------
    str or None
        The subject, or None for empty text.

    Examples
    --------
    >>> normalize_subject("Проведение работы по русскому языку, 4 класс")
    'Русский язык'
    >>> normalize_subject("  МАТЕМАТИКА ")
    'Математика'
    >>> normalize_subject("астрономия")
    'Астрономия'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = " ".join(str(text).replace("\xa0", " ").split())
    if not s:
        return None
    low = s.lower().replace("ё", "е")
    for stem, name in SUBJECT_STEMS:
        if stem in low:
            return name
    return s[:1].upper() + s[1:].lower()


@lru_cache(maxsize=1)
def _shipped() -> pd.DataFrame:
    table = pd.read_csv(SCALES_FILE, dtype={"subject": "str", "source": "str"})
    return _check(table, SCALES_FILE.name)


def vpr_scales() -> pd.DataFrame:
    """The official ВПР scales shipped with the package.

    Returns
    -------
    pandas.DataFrame
        One row per year, subject, grade of the work and mark: ``year``,
        ``subject``, ``grade`` (of the work), ``mark`` (2–5), ``min_score``,
        ``max_score`` (the range of primary scores giving the mark, both
        included), ``source`` (where the row comes from; rows that are an
        assumption say «допущение»).

    Examples
    --------
    >>> s = vpr_scales()
    >>> s.query("year == 2021 and subject == 'Математика' and grade == 4")[
    ...     ["mark", "min_score", "max_score"]].values.tolist()
    [[2, 0, 5], [3, 6, 9], [4, 10, 14], [5, 15, 20]]
    >>> sorted(s["year"].unique().tolist())
    [2020, 2021]
    """
    return _shipped().copy()


def _check(table: pd.DataFrame, file: str | None, rows: np.ndarray | None = None) -> pd.DataFrame:
    """Check a long scale table; return it typed and sorted."""
    missing = [c for c in _COLUMNS[:-1] if c not in table.columns]
    if missing:
        raise DataError(
            file,
            "в таблице шкал нет столбцов: "
            + ", ".join(missing)
            + " (нужны: год, предмет, класс, отметка, минимальный балл, "
            "максимальный балл)",
        )
    out = table.copy()
    if "source" not in out.columns:
        out["source"] = f"шкала пользователя ({file})" if file else "шкала пользователя"
    rows = np.arange(2, 2 + len(out)) if rows is None else np.asarray(rows)
    problems: list[Problem] = []
    for col in ("year", "grade", "mark", "min_score", "max_score"):
        v = pd.to_numeric(out[col], errors="coerce")
        bad = v.isna() | (v % 1 != 0) | (v < 0)
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(
                Problem(
                    int(rows[i]), col, f"значение «{out[col].iloc[i]}»: ожидается целое число ≥ 0"
                )
            )
        out[col] = v
    if problems:
        raise DataError(file, problems)
    out = out.astype({c: "int64" for c in ("year", "grade", "mark", "min_score", "max_score")})
    out["subject"] = out["subject"].map(normalize_subject).astype("str")
    out["source"] = out["source"].astype("str")
    out["_row"] = rows
    for (year, subject, grade), g in out.groupby(["year", "subject", "grade"], sort=True):
        what = f"шкала {year}, «{subject}», {grade} класс"
        first = int(g["_row"].min())
        if sorted(g["mark"]) != list(_MARKS):
            problems.append(
                Problem(
                    first,
                    "mark",
                    f"{what}: нужны отметки 2, 3, 4 и 5 по одному "
                    f"разу, есть {sorted(g['mark'].tolist())}",
                )
            )
            continue
        g = g.sort_values("mark")
        lo, hi = g["min_score"].to_numpy(), g["max_score"].to_numpy()
        if lo[0] != 0:
            problems.append(
                Problem(
                    first,
                    "min_score",
                    f"{what}: отметка «2» должна начинаться с 0 баллов, а начинается с {lo[0]}",
                )
            )
        for k in range(4):
            if lo[k] > hi[k]:
                problems.append(
                    Problem(
                        int(g["_row"].iloc[k]),
                        "max_score",
                        f"{what}: у отметки «{k + 2}» минимум {lo[k]} больше максимума {hi[k]}",
                    )
                )
            if k and lo[k] != hi[k - 1] + 1:
                problems.append(
                    Problem(
                        int(g["_row"].iloc[k]),
                        "min_score",
                        f"{what}: отметка «{k + 2}» должна начинаться с "
                        f"{hi[k - 1] + 1} балла (сразу после «{k + 1}»), "
                        f"а начинается с {lo[k]}",
                    )
                )
    if problems:
        raise DataError(file, problems)
    out = out.drop(columns="_row")
    return out.sort_values(["year", "subject", "grade", "mark"]).reset_index(drop=True)[_COLUMNS]


_RANGE = re.compile(r"^\s*(\d+)\s*(?:[-–—]|\.\.)\s*(\d+)\s*$")


def _norm(h: object) -> str:
    from .schema import normalize_header

    return normalize_header(h)


def read_scales(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    r"""Read a user's own score-to-mark scales.

    Two forms are accepted (``.csv``, ``.xlsx`` or ``.parquet``):

    * long — one row per mark: «Год», «Предмет», «Класс», «Отметка»,
      «Минимальный балл», «Максимальный балл» (English names as in
      :func:`vpr_scales` also work), optional «Источник»;
    * wide — one row per work, as in ФИОКО's recommendations: «Год»,
      «Предмет», «Класс» and the columns «2», «3», «4», «5» holding ranges
      such as «0–5».

    ``Класс`` is the grade of the work.

    Parameters
    ----------
    path : str or Path
        The file.
    sheet : str or int, optional
        Excel sheet; the first visible one by default.

    Returns
    -------
    pandas.DataFrame
        Columns as in :func:`vpr_scales`; ``source`` is «шкала пользователя
        (file name)» when the file has none.

    Raises
    ------
    DataError
        A missing column, a mark missing or repeated, ranges that overlap,
        leave a gap or do not start at 0 — naming file and row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "scales.csv"
    >>> _ = p.write_text("Год;Предмет;Класс;2;3;4;5\n"
    ...                  "2022;математика;4;0–5;6–9;10–14;15–20\n", encoding="utf-8")
    >>> read_scales(p)[["year", "subject", "grade", "mark", "min_score"]].values.tolist()[:2]
    [[2022, 'Математика', 4, 2, 0], [2022, 'Математика', 4, 3, 6]]
    """
    from .io.cells import as_text
    from .io.raw import read_raw
    from .schema import Column, TableSpec

    long_spec = TableSpec(
        "scales", tuple(Column(name, "text", aliases=aliases) for name, aliases in _ALIASES.items())
    )
    wide_spec = TableSpec(
        "scales",
        tuple(
            [Column(n, "text", aliases=_ALIASES[n]) for n in ("year", "subject", "grade")]
            + [Column(f"m{m}", "text", aliases=(str(m), f"«{m}»", f"отметка {m}")) for m in _MARKS]
        ),
    )
    raw = read_raw(path, sheet, [long_spec, wide_spec])
    file = raw.file
    headers = {_norm(h): i for i, h in reversed(list(enumerate(raw.headers)))}

    def find(names: tuple[str, ...]) -> int | None:
        for n in names:
            if _norm(n) in headers:
                return headers[_norm(n)]
        return None

    pos = {c: find(a) for c, a in _ALIASES.items()}
    wide = {m: find((str(m), f"«{m}»", f"отметка {m}")) for m in _MARKS}
    cells = {c: as_text(raw.data[i]) for c, i in pos.items() if i is not None}
    if pos["mark"] is None and all(v is not None for v in wide.values()):
        problems = []
        records = []
        for i in range(len(raw.data)):
            for m, col in wide.items():
                text = as_text(raw.data[col]).iloc[i]
                found = _RANGE.match(text.replace(" ", ""))
                if not found:
                    problems.append(
                        Problem(
                            int(raw.rows[i]),
                            raw.headers[col],
                            f"значение «{text}»: ожидается диапазон баллов, например «0–5»",
                        )
                    )
                    continue
                records.append(
                    {
                        "year": cells["year"].iloc[i] if "year" in cells else None,
                        "subject": cells["subject"].iloc[i] if "subject" in cells else None,
                        "grade": cells["grade"].iloc[i] if "grade" in cells else None,
                        "mark": m,
                        "min_score": found.group(1),
                        "max_score": found.group(2),
                        "_row": raw.rows[i],
                    }
                )
        if problems:
            raise DataError(file, problems)
        table = pd.DataFrame(records)
        if "source" in cells:
            table["source"] = np.repeat(cells["source"].to_numpy(), len(_MARKS))
        rows = table.pop("_row").to_numpy() if len(table) else np.array([], dtype=int)
        return _check(table, file, rows)
    table = pd.DataFrame(cells)
    table = table.loc[:, [c for c in _COLUMNS if c in table.columns]]
    if "year" in table.columns:
        from .io.cells import parse_year

        years, bad = parse_year(table["year"])
        table["year"] = years.where(~bad, table["year"])
    return _check(table, file, raw.rows)


_CHECKED: dict[int, pd.DataFrame] = {}


def _scales(scales: pd.DataFrame | None) -> pd.DataFrame:
    """The checked scale table (checked once per distinct content)."""
    if scales is None:
        return _shipped()
    if not isinstance(scales, pd.DataFrame):
        raise TypeError(
            "Параметр `scales` должен быть таблицей (pandas.DataFrame) из "
            f"read_scales() или vpr_scales(), передано {type(scales).__name__}"
        )
    try:
        key = int(pd.util.hash_pandas_object(scales, index=False).sum())
        key ^= hash(tuple(scales.columns))
    except TypeError:
        return _check(scales, "шкала пользователя")
    if key not in _CHECKED:
        if len(_CHECKED) > 32:
            _CHECKED.clear()
        _CHECKED[key] = _check(scales, "шкала пользователя")
    return _CHECKED[key]


def merge_scales(user: pd.DataFrame | None, base: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add a user's scales to the shipped ones; the user's rows win.

    For every year, subject and grade the user's table covers, its four rows
    replace those of ``base``; every other work keeps the ``base`` scale.
    This is how :func:`edu_quality.fisoko.read_fisoko_vpr` and the import use a
    user's table: a scale for 2022 does not hide the official 2021 one.

    Parameters
    ----------
    user : DataFrame or None
        A scale table (:func:`read_scales`); None returns ``base``.
    base : DataFrame, optional
        The table to complete; the shipped scales by default.

    Returns
    -------
    pandas.DataFrame
        Columns as in :func:`vpr_scales`.

    Examples
    --------
    >>> mine = vpr_scales().query("year == 2021").assign(year=2022, source="моя шкала")
    >>> sorted(merge_scales(mine)["year"].unique().tolist())
    [2020, 2021, 2022]
    """
    base = _scales(base)
    if user is None:
        return base.copy()
    user = _scales(user)
    key = ["year", "subject", "grade"]
    covered = base.merge(user[key].drop_duplicates(), on=key, how="left", indicator=True)
    keep = base[(covered["_merge"] == "left_only").to_numpy()]
    out = pd.concat([keep, user], ignore_index=True)
    return out.sort_values([*key, "mark"]).reset_index(drop=True)


def max_scores(scales: pd.DataFrame | None = None) -> pd.DataFrame:
    """The maximum primary score of every work: the top of the «5» range.

    Parameters
    ----------
    scales : DataFrame, optional
        A scale table (:func:`read_scales`); the shipped one by default.

    Returns
    -------
    pandas.DataFrame
        ``year``, ``subject``, ``grade`` (of the work), ``max_score``.

    Examples
    --------
    >>> m = max_scores()
    >>> int(m.query("year == 2021 and subject == 'Русский язык' and grade == 6")["max_score"].iloc[0])
    51
    """
    s = _scales(scales)
    top = s.loc[s["mark"] == 5, ["year", "subject", "grade", "max_score"]]
    return top.reset_index(drop=True)


def score_to_mark(
    results: pd.DataFrame,
    scales: pd.DataFrame | None = None,
    *,
    file: str | None = None,
) -> pd.DataFrame:
    """Give every ВПР result its mark from the score-to-mark scale.

    Parameters
    ----------
    results : DataFrame
        Pupil-level results with ``year``, ``subject``, ``grade`` (or
        ``work_grade``, which is used when present) and ``score``; with
        ``session``, an autumn result takes the scale of ``year − 1``.
    scales : DataFrame, optional
        A scale table (:func:`read_scales`); the shipped official scales by
        default.
    file : str, optional
        File name used in error messages.

    Returns
    -------
    pandas.DataFrame
        A copy of ``results`` with ``mark`` (nullable integer 2–5; missing
        where the score is missing). The input is not changed.

    Raises
    ------
    DataError
        A result whose year, subject and grade have no scale (the message names
        them), or a score outside the scale (negative, fractional or above the
        maximum).

    Examples
    --------
    >>> r = pd.DataFrame({"year": [2021, 2021], "subject": ["Математика"] * 2,
    ...                   "grade": [4, 4], "score": [5.0, 15.0]})
    >>> score_to_mark(r)["mark"].tolist()
    [2, 5]
    >>> r.columns.tolist()
    ['year', 'subject', 'grade', 'score']
    """
    s = _scales(scales)
    grade_col = "work_grade" if "work_grade" in results.columns else "grade"
    for col in ("year", "subject", grade_col, "score"):
        if col not in results.columns:
            raise DataError(file, f"в таблице результатов нет столбца «{col}»")
    out = results.copy()
    score = pd.to_numeric(out["score"], errors="coerce").astype("float64")
    has = score.notna().to_numpy()
    key_cols = ["year", "subject", grade_col]
    keys = out.loc[has, key_cols].astype({"year": "int64", grade_col: "int64"})
    if "session" in out.columns:  # an autumn work is scaled as the year before's
        keys["year"] = scale_year(keys["year"], session_of(out.loc[has]))
    keys["subject"] = keys["subject"].astype("str")
    wanted = keys.drop_duplicates()
    known = s[["year", "subject", "grade"]].drop_duplicates().rename(columns={"grade": grade_col})
    merged = wanted.merge(known, how="left", on=key_cols, indicator=True)
    absent = merged[merged["_merge"] == "left_only"]
    if len(absent):
        problems = [
            Problem(
                None,
                None,
                f"нет шкалы перевода первичных баллов в отметки для ВПР {r.year}, "
                f"предмет «{r.subject}», {getattr(r, grade_col)} класс: передайте свою "
                "шкалу (read_scales, параметр scales или --scales)",
            )
            for r in absent.sort_values(key_cols).itertuples(index=False)
        ]
        raise DataError(file, problems)
    mark = np.full(len(out), np.nan)
    if has.any():
        idx = np.flatnonzero(has)
        sc = score.to_numpy()[idx]
        k = keys.reset_index(drop=True)
        for (year, subject, grade), pos in k.groupby(key_cols, sort=False).indices.items():
            g = s[(s["year"] == year) & (s["subject"] == subject) & (s["grade"] == grade)]
            g = g.sort_values("mark")
            v = sc[pos]
            top = int(g["max_score"].iloc[-1])
            bad = (v < 0) | (v > top) | (v % 1 != 0)
            if bad.any():
                first = int(np.flatnonzero(bad)[0])
                raise DataError(
                    file,
                    f"балл {v[first]:g} вне шкалы 0–{top} (ВПР {year}, «{subject}», {grade} класс)",
                    total=int(bad.sum()),
                )
            bins = g["max_score"].to_numpy()
            mark[idx[pos]] = np.asarray(_MARKS)[np.searchsorted(bins, v, side="left")]
    out["mark"] = pd.array(mark, dtype="Float64").astype("Int64")
    return out

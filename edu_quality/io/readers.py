"""Readers for the files methodologists have.

Every reader takes a ``.csv`` (UTF-8 with or without BOM, or cp1251; ``;``,
``,`` or tab separators), an ``.xlsx`` or a ``.parquet`` file, finds the header
row (title rows above it are skipped), maps Russian or English headers to the
canonical columns of :mod:`edu_quality.schema`, parses the cells (decimal
commas, spaces in numbers, «62,5 %», marks written as words, school years
written as «2021-2022» or «2021/22»), validates the table with its pandera
schema and returns a tidy DataFrame.

Every problem raises :class:`edu_quality.errors.DataError` naming the file, the
row as the user sees it and the column, with all the problems of the file
listed. Columns of pupil names (ФИО, фамилия, имя, отчество in any spelling) are
dropped on reading and never stored; the headers a reader did not use are listed
in ``attrs["ignored_columns"]``.

Broken files are read as Excel shows them or refused, never half-read
(``tests/hostile`` holds one file per case): UTF-16, KOI8-R and CP866 text is
recognised; text decoded twice («ÐšÐ¾Ð´»), mixed encodings, formulas saved
without their values, Excel error values, a second table beside or below the
first, a table on several sheets or only on a hidden one, an «Итого» row and a
number merged over several rows are errors; a header over two rows of merged
cells, merged labels and numbers typed as headers (2, 3, 4, 5) are read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import DataError
from ..privacy import pseudonymize, pupil_key
from ..schema import (
    CONTEXT,
    ENROLMENT,
    INDICATORS,
    PLAN,
    RESULTS_AGGREGATED,
    RESULTS_PUPILS,
    RISK_PROFILES,
    SCHOOLS,
    STAFF,
    TableSpec,
)
from .checks import refuse_names_as_ids
from .load import Loaded, context_extra, load, text_extra

__all__ = [
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_plan",
    "read_results",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
]


# ------------------------------------------------------------------- reading


# ------------------------------------------------------------ public readers


def read_schools(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read the school registry.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str or int, optional
        Excel sheet name or 0-based index; the first visible sheet by default.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``municipality``, ``group`` (обычная /
        углублённая / малокомплектная сельская / ОВЗ, or missing),
        ``locality`` (город / село, or missing), and any further columns of
        the file as text.

    Raises
    ------
    DataError
        Missing required column, duplicated school id, unknown group…

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "schools.csv"
    >>> _ = p.write_text("Код ОО;Наименование ОО;Муниципалитет;Группа\\n"
    ...                  "5;МБОУ «СОШ № 5»;Инта;СОШ\\n", encoding="cp1251")
    >>> read_schools(p)[["school_id", "group"]].to_dict("records")
    [{'school_id': '5', 'group': 'обычная'}]
    """
    return load(path, [SCHOOLS], sheet=sheet, extra=text_extra).table


def read_results(
    path: str | Path,
    *,
    assessment: str | None = None,
    sheet: str | int | None = None,
    year: int | str | None = None,
    subject: str | None = None,
    grade: int | None = None,
    pseudonymize_ids: bool | str | None = None,
    strict: bool = False,
    invalid_results: str = "raise",
    scales: pd.DataFrame | str | Path | None = None,
) -> pd.DataFrame:
    """Read assessment results, pupil-level or aggregated per school.

    The two forms are told apart by their columns: a pupil id column
    («Код участника») means pupil level; counts («Количество участников»,
    «2»…«5») mean aggregated. ВПР exports of ФИС ОКО (``.xlsx`` in any of
    the three layouts of :mod:`edu_quality.fisoko`) are recognised by their
    columns and read with :func:`edu_quality.fisoko.read_fisoko_vpr`: the
    participants' results, with the mark from the score-to-mark scale and
    the data-quality report in ``attrs["quality"]``.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    assessment, year, subject, grade : optional
        Values for columns the file does not have (``assessment`` is
        normalised: «огэ», «ГИА-9» → «ОГЭ»).
    sheet : str or int, optional
        Excel sheet.
    pseudonymize_ids : bool or str, optional
        Replace pupil ids by a keyed hash: a key, or True to use the key in
        ``EDU_QUALITY_PUPIL_KEY``. By default ids are hashed when that
        variable is set and kept otherwise.
    strict, invalid_results, scales : optional
        For ФИС ОКО exports only (see :func:`edu_quality.fisoko.read_fisoko_vpr`):
        raise on invalid secondary fields (``strict``); raise on invalid
        results or leave them out (``"raise"`` / ``"exclude"``); a user's
        score-to-mark scales.

    Returns
    -------
    pandas.DataFrame
        Pupil level: ``year``, ``assessment``, ``subject``, ``grade``,
        ``school_id``, ``pupil_id``, ``score``, ``mark`` (2–5),
        ``journal_mark``, ``level``, ``admitted`` (the optional ones when the
        file has them). Aggregated: ``year``, ``assessment``, ``subject``,
        ``grade``, ``school_id``, ``participants`` (pupils who wrote the
        work), ``not_admitted``, ``n2``…``n5`` (missing when unknown),
        ``mean_score``. ``attrs["kind"]`` is ``"pupils"`` or
        ``"aggregated"``. Pupil names are never read. ФИС ОКО exports add
        ``work_grade``, ``variant`` and ``gender``, and ``attrs["quality"]``,
        ``attrs["absent"]``, ``attrs["notes"]``.

    Raises
    ------
    DataError
        A mark outside 2–5, duplicated pupils, fewer participants than the
        sum of marks, a missing required column…

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "oge.csv"
    >>> _ = p.write_text("ОГЭ по математике\\n"
    ...     "Учебный год;Предмет;Класс;Код ОО;Количество участников;Не допущены;2\\n"
    ...     "2018-2019;Математика;9;5;25;2;5\\n", encoding="cp1251")
    >>> df = read_results(p, assessment="огэ")
    >>> df.attrs["kind"], df.loc[0, "year"], df.loc[0, "assessment"], df.loc[0, "n2"]
    ('aggregated', np.int64(2019), 'ОГЭ', np.int64(5))
    """
    loaded = _load_results(path, assessment=assessment, sheet=sheet, year=year, subject=subject,
                           grade=grade, pseudonymize_ids=pseudonymize_ids, strict=strict,
                           invalid_results=invalid_results, scales=scales)
    return loaded.table


def _load_results(path, *, assessment=None, sheet=None, year=None, subject=None, grade=None,
                  pseudonymize_ids=None, strict=False, invalid_results="raise",
                  scales=None) -> Loaded:
    from .. import fisoko

    vpr = fisoko.sniff_vpr(path, sheet, year=year, subject=subject, grade=grade, strict=strict,
                        invalid_results=invalid_results, scales=scales,
                        pseudonymize_ids=pseudonymize_ids)
    if vpr is not None:
        return Loaded(vpr.results, vpr.source_rows, vpr.headers, vpr.file, RESULTS_PUPILS)
    fill = {"assessment": assessment, "year": year, "subject": subject, "grade": grade}
    loaded = load(path, [RESULTS_PUPILS, RESULTS_AGGREGATED], sheet=sheet, fill=fill)
    table = loaded.table
    if loaded.spec is RESULTS_PUPILS:
        refuse_names_as_ids(loaded)
        key = pseudonymize_ids if isinstance(pseudonymize_ids, str) else None
        key = pupil_key(key)
        if pseudonymize_ids is False:
            key = None
        elif pseudonymize_ids is True and key is None:
            raise DataError(loaded.file, "псевдонимизация запрошена, но ключ не задан "
                                         "(переменная окружения EDU_QUALITY_PUPIL_KEY)")
        if key is not None:
            table["pupil_id"] = pseudonymize(table["pupil_id"], key)
    table.attrs["kind"] = "pupils" if loaded.spec is RESULTS_PUPILS else "aggregated"
    return loaded


def read_context(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
    """Read the social context of schools: one share column (0–1) per factor.

    Headers that are a factor's canonical name or its Russian label in the
    catalogue (:func:`edu_quality.factor_catalogue`) become the canonical
    name; other headers are kept as they are. Percentages («29,3 %») are
    converted to shares.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``year`` and one ``float64`` column per factor.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "context.csv"
    >>> _ = p.write_text("Код ОО;Учебный год;tzhs\\n8;2022-2023;29,3 %\\n", encoding="utf-8")
    >>> read_context(p).loc[0, "tzhs"]
    np.float64(0.293)
    """
    return load(path, [CONTEXT], sheet=sheet, extra=context_extra).table


def _reader(spec: TableSpec, what: str, sample: str) -> Callable[..., pd.DataFrame]:
    def read(path: str | Path, *, sheet: str | int | None = None) -> pd.DataFrame:
        return load(path, [spec], sheet=sheet).table

    cols = "\n".join(
        f"        ``{c.name}`` — {c.label}" + (" (обязательный)" if c.required else "")
        for c in spec.columns
    )
    read.__name__ = read.__qualname__ = f"read_{spec.name}"
    read.__doc__ = f"""Read {what}.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str or int, optional
        Excel sheet; the first visible sheet by default.

    Returns
    -------
    pandas.DataFrame
        {spec.description}; columns:
{cols}

    Raises
    ------
    DataError
        Naming file, row and column of every problem.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.io import read_{spec.name}
    >>> table = read_{spec.name}(sample_folder("inta") / "{sample}")
    >>> len(table) > 0 and {spec.required!r} == [c for c in table.columns if c in {spec.required!r}]
    True
    """
    return read


read_staff = _reader(STAFF, "teachers and their qualification per school and year", "staff.csv")
read_enrolment = _reader(ENROLMENT, "enrolment by level of education", "enrolment.xlsx")
read_risk_profiles = _reader(RISK_PROFILES, "500+ risk profiles", "risk_profiles.csv")
read_indicators = _reader(INDICATORS, "programme indicators with their targets", "indicators.xlsx")
read_plan = _reader(PLAN, "the plan of measures by track (дорожная карта)", "plan.xlsx")

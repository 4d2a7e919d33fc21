"""Reading assessment results: pupil-level or aggregated per school, or a ФИС ОКО export.

:func:`read_results` tells the forms apart by their columns; a ВПР export of ФИС
ОКО is recognised and read by :mod:`edu_quality.fisoko`. Pupil codes that are
people's names are refused, and pupil ids are pseudonymised when a key is given
(:mod:`edu_quality.privacy`). :func:`load_results` is the same with the row
numbers and headers the table came from, for :class:`edu_quality.Dataset`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import pandas as pd

from ..privacy import key_for, pseudonymize
from ..schema import RESULTS_AGGREGATED, RESULTS_PUPILS
from .checks import refuse_names_as_ids
from .limits import ReadLimits
from .load import Loaded, load

__all__ = ["load_results", "read_results"]


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
    limits: ReadLimits | None = None,
) -> pd.DataFrame:
    r"""Read assessment results, pupil-level or aggregated per school.

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
    limits : ReadLimits, optional
        How large a file may be (:class:`edu_quality.io.ReadLimits`; its
        defaults by default): a file beyond them is refused.

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
    >>> _ = p.write_text("ОГЭ по математике\n"
    ...     "Учебный год;Предмет;Класс;Код ОО;Количество участников;Не допущены;2\n"
    ...     "2018-2019;Математика;9;5;25;2;5\n", encoding="cp1251")
    >>> df = read_results(p, assessment="огэ")
    >>> df.attrs["kind"], df.loc[0, "year"], df.loc[0, "assessment"], df.loc[0, "n2"]
    ('aggregated', np.int64(2019), 'ОГЭ', np.int64(5))
    """
    loaded = load_results(
        path,
        assessment=assessment,
        sheet=sheet,
        year=year,
        subject=subject,
        grade=grade,
        pseudonymize_ids=pseudonymize_ids,
        strict=strict,
        invalid_results=invalid_results,
        scales=scales,
        limits=limits,
    )
    return loaded.table


def load_results(
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
    limits: ReadLimits | None = None,
    checks: bool = True,
    categorical: bool = False,
    columns: Collection[str] | None = None,
) -> Loaded:
    """:func:`read_results`, with the row numbers and headers the table came from.

    ``checks`` False: a file read and accepted before, unchanged since
    (:func:`~edu_quality.io.load.load`); its pupil codes are not checked again.
    ``categorical`` True: the text a Parquet file holds as a dictionary comes as
    categoricals (:func:`~edu_quality.io.load.load`). ``columns``: only these
    columns of a file of pupil results read before (``checks`` False; see
    :func:`~edu_quality.io.load.load`).
    """
    from ..fisoko import sniff_vpr  # on first use: importing the readers does not load fisoko

    vpr = sniff_vpr(
        path,
        sheet,
        limits,
        year=year,
        subject=subject,
        grade=grade,
        strict=strict,
        invalid_results=invalid_results,
        scales=scales,
        pseudonymize_ids=pseudonymize_ids,
    )
    if vpr is not None:
        return Loaded(vpr.results, vpr.source_rows, vpr.headers, vpr.file, RESULTS_PUPILS)
    fill = {"assessment": assessment, "year": year, "subject": subject, "grade": grade}
    loaded = load(
        path,
        [RESULTS_PUPILS] if columns is not None else [RESULTS_PUPILS, RESULTS_AGGREGATED],
        sheet=sheet,
        fill=fill,
        limits=limits,
        checks=checks,
        categorical=categorical,
        columns=columns,
    )
    table = loaded.table
    if loaded.spec is RESULTS_PUPILS:
        if checks:
            refuse_names_as_ids(loaded)
        key = key_for(pseudonymize_ids, loaded.file) if "pupil_id" in table.columns else None
        if key is not None:
            table["pupil_id"] = pseudonymize(table["pupil_id"], key)
    table.attrs["kind"] = "pupils" if loaded.spec is RESULTS_PUPILS else "aggregated"
    return loaded

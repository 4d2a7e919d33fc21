"""Result errors of a ВПР export: an invalid result stops the load or is left out.

An unknown variant, a missing school or pupil code, a pupil code that looks
like a name, a duplicated pupil (here) and an unreadable or too high score
(:mod:`.scores`) are errors on the rows of results (rule «Invalid values» of
:mod:`edu_quality.fisoko.vpr`; a name is an error on any row).
:class:`ResultErrors` collects them; :func:`settle_errors`, the last check of
the parser, adds them and the notes to the data-quality report and raises
when they must stop the load.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ...errors import DataError, Problem
from ...names import NAME_AS_ID, looks_like_name
from ..common import ERROR, WARNING, QualityReport
from .layouts import Columns
from .rows import PupilRows, RowStatus

__all__ = ["ResultErrors", "pupil_errors", "settle_errors", "variant_errors"]


class ResultErrors:
    """Collects the result errors of a ВПР export, on the rows of results only.

    Parameters
    ----------
    writer : ndarray of bool
        The rows of results (:class:`~edu_quality.fisoko.vpr.rows.RowStatus`).

    Attributes
    ----------
    mask : ndarray of bool
        The rows with an error so far.
    impossible : ndarray of object
        Per row, the first impossible total found on it (``"over_max"``,
        ``"total"``, ``"variant"``; None for none): such a row makes its
        school's protocol unreliable (:mod:`~edu_quality.fisoko.vpr.protocols`).
    parts : list
        One (rows, column, values, problems) per check that found errors.

    Examples
    --------
    >>> errors = ResultErrors(np.array([True, True, False]))
    >>> errors.add(np.array([True, False, True]), "вариант", np.array(["0", "1", "0"], object),
    ...            lambda v: f"неизвестный вариант «{v}»")
    >>> errors.mask.tolist(), errors.parts[0][3]
    ([True, False, False], ['неизвестный вариант «0»'])
    """

    def __init__(self, writer: np.ndarray):
        self.writer = writer
        self.mask = np.zeros(len(writer), bool)
        self.impossible = np.full(len(writer), None, dtype=object)
        self.parts: list[tuple[np.ndarray, str | None, np.ndarray, list[str]]] = []

    def add(
        self,
        mask: np.ndarray,
        column: str | None,
        values: np.ndarray,
        problem: str | Callable[[Any], str],
        *,
        any_row: bool = False,
        impossible: str | None = None,
    ) -> None:
        """Record an error on the rows of results of ``mask``.

        Parameters
        ----------
        mask : ndarray of bool
            The rows with the error (rows that are no results are ignored,
            unless ``any_row``).
        column : str or None
            Header in the file.
        values : ndarray
            The cells of every row (those of ``mask`` are reported).
        problem : str or callable
            The message, or a function of the cell that gives it.
        any_row : bool
            An error on any row, a result or not (an absent pupil, a row
            without variant or score).
        impossible : str, optional
            The kind of impossible total the error is (see :attr:`impossible`).
        """
        mask = mask if any_row else mask & self.writer
        if mask.any():
            if impossible is not None:
                self.impossible[mask & (self.impossible == None)] = impossible  # noqa: E711
            self.mask |= mask
            vals = values[mask]
            probs = [problem(v) for v in vals] if callable(problem) else [problem] * len(vals)
            self.parts.append((mask, column, vals, probs))


def variant_errors(
    errors: ResultErrors, rows: PupilRows, status: RowStatus, columns: Columns
) -> None:
    """Stage 10: result errors of the variant, missing while there are scores, or unknown.

    Parameters
    ----------
    errors : ResultErrors
        Receives the errors.
    rows : PupilRows
    status : RowStatus
    columns : Columns
    """
    header = columns.headers[columns.variant]
    vtext = rows.variant.to_numpy(dtype=object)
    errors.add(
        ~status.variant_ok & (rows.variant == "").to_numpy(),
        header,
        vtext,
        "не указан вариант, хотя есть баллы",
        impossible="variant",
    )
    errors.add(
        ~status.variant_ok & (rows.variant != "").to_numpy() & ~status.absent,
        header,
        vtext,
        lambda v: (
            f"неизвестный вариант «{v}» (ожидается номер варианта 1, 2, … или «отсутствовал»)"
        ),
        impossible="variant",
    )


def pupil_errors(errors: ResultErrors, rows: PupilRows, columns: Columns) -> None:
    """Stage 10: errors of pupil and school: names, missing codes, a pupil twice in a school.

    A pupil code that looks like a person's name
    (:func:`edu_quality.names.looks_like_name`, the rule of an id column) is an
    error on any row, a result or not: with ``invalid_results="raise"`` it stops
    the load, with ``"exclude"`` the row is left out; either way the code goes
    nowhere (the report hides it, see :class:`~edu_quality.fisoko.common.QualityReport`).

    Parameters
    ----------
    errors : ResultErrors
        Receives the errors.
    rows : PupilRows
    columns : Columns
    """
    header = columns.headers[columns.pupil]
    pupil = rows.pupil.to_numpy(dtype=object)
    school = rows.school.to_numpy(dtype=object)
    named = looks_like_name(rows.pupil, id_column=True)
    errors.add(named, header, pupil, NAME_AS_ID, any_row=True)
    errors.add((rows.pupil == "").to_numpy(), header, pupil, "нет кода участника")
    errors.add(
        rows.school.isna().to_numpy(),
        columns.headers[columns.school],
        rows.school_raw.to_numpy(dtype=object),
        "нет кода школы",
    )
    wi = np.flatnonzero(errors.writer & (rows.pupil != "").to_numpy() & ~named)
    dup = np.zeros(len(pupil), bool)
    dup[wi] = pd.DataFrame({"s": school[wi], "p": pupil[wi]}).duplicated(keep=False).to_numpy()
    errors.add(dup, header, pupil, "участник с этим кодом уже есть в этой школе")


def settle_errors(
    q: QualityReport,
    errors: ResultErrors,
    rows: PupilRows,
    notes: list[str],
    *,
    strict: bool,
    invalid_results: str,
) -> pd.DataFrame:
    """Stage 12: the data-quality report; raise when its problems must stop the load.

    The result errors are added (the result «исключён» or the load
    «остановлена»), then the notes on the whole file.

    Parameters
    ----------
    q : QualityReport
        The report so far (notes and warnings of the earlier stages).
    errors : ResultErrors
    rows : PupilRows
    notes : list of str
        Remarks on the whole file.
    strict : bool
        Warnings stop the load too.
    invalid_results : {"raise", "exclude"}
        Whether result errors stop the load.

    Returns
    -------
    pandas.DataFrame
        The data-quality report.

    Raises
    ------
    DataError
        With every error (and, ``strict``, every warning) of the report:
        Excel row, column, problem.
    """
    school = rows.school.to_numpy(dtype=object)
    action = "результат исключён" if invalid_results == "exclude" else "загрузка остановлена"
    for mask, column, values, problem in errors.parts:
        q.add(rows.rows[mask], column, values, problem, action, ERROR, school[mask])
    for text in notes:
        q.note(text)
    quality = q.frame()
    severe = quality["severity"] == ERROR
    warn = quality["severity"] == WARNING
    raise_mask = (severe | warn) if strict else (severe if invalid_results == "raise" else None)
    if raise_mask is not None and raise_mask.any():
        bad = quality[raise_mask]
        problems = [
            Problem(
                None if pd.isna(r.row) else int(r.row),
                None if pd.isna(r.column) else str(r.column),
                str(r.problem),
            )
            for r in bad.itertuples(index=False)
        ]
        raise DataError(q.file, problems)
    return quality

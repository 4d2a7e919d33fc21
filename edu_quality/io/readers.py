"""The public readers of the programme's tables, one per table of :mod:`edu_quality.schema`.

:func:`read_schools` (the registry), :func:`read_context` (social context, one
share per factor) and the readers made from a table spec alone (staff, enrolment,
risk profiles, indicators, plan) each load one file with
:func:`~edu_quality.io.load.load` and return its table. Results are read by
:mod:`edu_quality.io.results`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..schema import CONTEXT, ENROLMENT, INDICATORS, PLAN, RISK_PROFILES, SCHOOLS, STAFF, TableSpec
from .limits import ReadLimits
from .load import context_extra, load

__all__ = [
    "read_context",
    "read_enrolment",
    "read_indicators",
    "read_plan",
    "read_risk_profiles",
    "read_schools",
    "read_staff",
]


def read_schools(
    path: str | Path, *, sheet: str | int | None = None, limits: ReadLimits | None = None
) -> pd.DataFrame:
    r"""Read the school registry.

    Parameters
    ----------
    path : str or Path
        ``.csv``, ``.xlsx`` or ``.parquet`` file.
    sheet : str or int, optional
        Excel sheet name or 0-based index; the first visible sheet by default.
    limits : ReadLimits, optional
        How large a file may be (:class:`edu_quality.io.ReadLimits`; its defaults
        by default): a file beyond them is refused.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``name``, ``municipality``, ``group`` (обычная /
        углублённая / малокомплектная сельская / ОВЗ, or missing),
        ``locality`` (город / село, or missing). Columns the registry does not
        know are left out and named in ``attrs["ignored_columns"]`` (a director's
        name, say, is personal data).

    Raises
    ------
    DataError
        Missing required column, duplicated school id, unknown group…

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "schools.csv"
    >>> _ = p.write_text("Код ОО;Наименование ОО;Муниципалитет;Группа\n"
    ...                  "5;МБОУ «СОШ № 5»;Инта;СОШ\n", encoding="cp1251")
    >>> read_schools(p)[["school_id", "group"]].to_dict("records")
    [{'school_id': '5', 'group': 'обычная'}]
    """
    return load(path, [SCHOOLS], sheet=sheet, limits=limits).table


def read_context(
    path: str | Path, *, sheet: str | int | None = None, limits: ReadLimits | None = None
) -> pd.DataFrame:
    r"""Read the social context of schools: one share column (0–1) per factor.

    Headers that are a factor's canonical name or its Russian label in the
    catalogue (:func:`edu_quality.factor_catalogue`) become the canonical
    name; other headers are kept as they are. Percentages («29,3 %») are
    converted to shares. ``sheet`` and ``limits`` are those of :func:`read_schools`.

    Returns
    -------
    pandas.DataFrame
        ``school_id``, ``year`` and one ``float64`` column per factor.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "context.csv"
    >>> _ = p.write_text("Код ОО;Учебный год;tzhs\n8;2022-2023;29,3 %\n", encoding="utf-8")
    >>> read_context(p).loc[0, "tzhs"]
    np.float64(0.293)
    """
    return load(path, [CONTEXT], sheet=sheet, extra=context_extra, limits=limits).table


def _reader(spec: TableSpec, what: str, sample: str) -> Callable[..., pd.DataFrame]:
    """A reader of the table ``spec`` («read_<name>»), its docstring listing the columns.

    ``what`` completes «Read …»; ``sample`` is the file of the demo folder its
    example reads.
    """

    def read(
        path: str | Path, *, sheet: str | int | None = None, limits: ReadLimits | None = None
    ) -> pd.DataFrame:
        return load(path, [spec], sheet=sheet, limits=limits).table

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
    limits : ReadLimits, optional
        How large a file may be (:class:`edu_quality.io.ReadLimits`).

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

"""The tables of one import put together: results of every file, schools, data quality.

:func:`edu_quality.fisoko.importer.import_fisoko` reads each file on its own; these
functions join what it read — the results of every ВПР file (one result in two files
is an error), the schools the registry lacks, the data-quality notes of every file,
of the questionnaire and of the groups.
"""

from __future__ import annotations

import pandas as pd

from .._russian import rows_label
from ..errors import DataError
from ..schema import RESULTS_PUPILS
from .common import QUALITY_COLUMNS, WARNING, empty_quality
from .context import FisOkoContext
from .groups import apply_group_overrides, group_notes
from .vpr import FisOkoVpr

__all__ = ["all_quality", "all_results", "groups_quality", "with_unknown_schools"]


def all_results(vprs: list[FisOkoVpr]) -> pd.DataFrame:
    """The results of every file in one table; the same result in two files is an error."""
    results = pd.concat([v.results for v in vprs], ignore_index=True)
    results.attrs = {}
    key_cols = list(RESULTS_PUPILS.key)
    dup = results.duplicated(key_cols, keep=False)
    if dup.any():
        raise DataError(
            None,
            f"одни и те же результаты есть в нескольких файлах ВПР ({rows_label(int(dup.sum()))}), "
            f"например: {RESULTS_PUPILS.shown_key(results.loc[dup].iloc[0])}",
        )
    return results


def with_unknown_schools(
    schools: pd.DataFrame, results: pd.DataFrame
) -> tuple[pd.DataFrame, list[str]]:
    """``schools`` with a row for every school of the results the registry does not have.

    Returns
    -------
    schools : DataFrame
        With the added schools (no name but the id, no municipality, no group).
    unknown : list of str
        Their ids, sorted.
    """
    unknown = sorted(set(results["school_id"].unique()) - set(schools["school_id"]))
    if unknown:
        extra = pd.DataFrame(
            {
                "school_id": unknown,
                "name": unknown,
                "municipality": pd.Series([None] * len(unknown), dtype="str"),
                "group": pd.Series([None] * len(unknown), dtype="str"),
                "locality": pd.Series([None] * len(unknown), dtype="str"),
                "group_reason": "школы нет в реестре",
                "in_registry": False,
                "in_context": False,
            }
        )
        schools = pd.concat([schools, extra], ignore_index=True)
    return schools, unknown


def all_quality(
    vprs: list[FisOkoVpr], ctx: FisOkoContext | None, unknown: list[str], registry: str
) -> pd.DataFrame:
    """The data-quality report of every file, and a warning per school not in the registry."""
    quality_parts = [v.quality for v in vprs] + ([ctx.quality] if ctx is not None else [])
    quality = pd.concat(
        [q for q in quality_parts if len(q)] or [empty_quality()], ignore_index=True
    )
    if unknown:
        quality = pd.concat(
            [
                quality,
                pd.DataFrame(
                    {
                        "file": registry,
                        "row": pd.array([pd.NA] * len(unknown), dtype="Int64"),
                        "column": None,
                        "value": unknown,
                        "problem": "школа есть в результатах ВПР, но не в реестре",
                        "action": "добавлена в таблицу школ без названия и муниципалитета",
                        "severity": WARNING,
                        "school_id": unknown,
                    }
                ),
            ],
            ignore_index=True,
        )
    for c in QUALITY_COLUMNS:
        if c != "row":
            quality[c] = quality[c].astype("str")
    return quality


def groups_quality(
    schools: pd.DataFrame,
    quality: pd.DataFrame,
    ctx: FisOkoContext | None,
    overrides: pd.DataFrame | None = None,
    *,
    overrides_file: str = "",
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The methodologist's groups applied, and the notes on groups added to the report.

    A note per school where the name and q17.2 disagree about «ОВЗ»
    (:func:`group_notes`) and per group a methodologist changed
    (:func:`apply_group_overrides`: ``overrides`` as
    :func:`~edu_quality.fisoko.groups.read_group_overrides` reads them from the file
    ``overrides_file``).
    """
    parts = [quality]
    if ctx is not None:
        parts.append(group_notes(schools, ctx.file))
    if overrides is not None:
        schools, changed = apply_group_overrides(schools, overrides, overrides_file)
        parts.append(changed)
    parts = [p for p in parts if len(p)]
    if len(parts) > 1:
        quality = pd.concat(parts, ignore_index=True)
        for c in QUALITY_COLUMNS:
            if c != "row":
                quality[c] = quality[c].astype("str")
    return schools, quality

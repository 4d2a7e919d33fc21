"""Reading a ВПР export: the sheet with a layout, then the parser's stages in order.

:func:`read_fisoko_vpr` (and :func:`sniff_vpr`, for
:func:`edu_quality.read_results`) finds the sheet and the header row of a
ВПР layout and hands the grid to :func:`parse_vpr`, which runs the stages of
the parser (see :mod:`edu_quality.fisoko.vpr`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from ..._checks import check_option
from ...errors import DataError
from ...privacy import key_for
from ...scales import read_scales
from ..common import QualityReport, named_sheet, open_workbook, sheet_grid
from .fields import row_remarks, secondary_fields
from .layouts import LAYOUTS, detect_layout, layout_columns
from .protocols import unreliable_protocols
from .result_errors import ResultErrors, pupil_errors, settle_errors, variant_errors
from .rows import drop_blank_rows, pupil_rows, row_status
from .scores import file_scores, protocol_scores, score_errors
from .tables import FisOkoVpr, Parsed, vpr_tables
from .tasks import classify_task_cells, score_tasks, task_maxima
from .work import work_identity, work_scale

if TYPE_CHECKING:
    from ...io.excel import Workbook
    from ...io.limits import ReadLimits

__all__ = ["parse_vpr", "read_fisoko_vpr", "sniff_vpr"]


def _open_sheet(
    wb: Workbook,
    file: str,
    sheet: str | int | None,
) -> tuple[str | None, int, list[list[Any]]]:
    """Return (layout, header row index, grid) of the sheet with a ВПР layout."""
    names = list(wb.sheet_names)
    if sheet is None:
        protocol = [n for n in names if n.strip().lower() == "протокол"]
        visible = [m.name for m in wb.sheets_metadata if "hidden" not in str(m.visible).lower()]
        order = protocol + [n for n in visible if n not in protocol]
        order = order[:2] if order else names[:1]
    else:
        order = [named_sheet(wb, file, sheet)]
    first: list[list[Any]] = []
    for name in order:
        grid = sheet_grid(wb, name, file)
        first = first or grid
        for h, row in enumerate(grid[:10]):
            layout = detect_layout(row)
            if layout is not None:
                return layout, h, grid
    return None, 0, first


def _read_grid(
    path: str | Path, sheet: str | int | None, limits: ReadLimits | None = None
) -> tuple[Path, str, str | None, int, list[list[Any]]]:
    """Return (path, file name, layout, header row index, grid) of an ``.xlsx`` export."""
    path = Path(path)
    file = path.name
    wb = open_workbook(path, xlsx_only=True, limits=limits)
    layout, h, grid = _open_sheet(wb, file, sheet)
    return path, file, layout, h, grid


def read_fisoko_vpr(
    path: str | Path,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    scales: pd.DataFrame | str | Path | None = None,
    strict: bool = False,
    invalid_results: Literal["raise", "exclude"] = "raise",
    task_max: Sequence[int] | None = None,
    sheet: str | int | None = None,
    pseudonymize_ids: bool | str | None = None,
    limits: ReadLimits | None = None,
) -> FisOkoVpr:
    """Read a ФИС ОКО ВПР export in any of its three layouts.

    See :mod:`edu_quality.fisoko.vpr` for every rule (year, subject and grade;
    the autumn-2020 shift; absent pupils; totals; task maxima; invalid values).

    Parameters
    ----------
    path : str or Path
        The ``.xlsx`` export.
    year, subject, grade : optional
        Override what the file name and contents say. ``grade`` is the
        pupils' grade (for autumn 2020 the work is of ``grade - 1``).
    scales : DataFrame or path, optional
        A user's score-to-mark scales (:func:`edu_quality.scales.read_scales`),
        added to the shipped official ones (the user's rows win for the works
        they cover; :func:`edu_quality.scales.merge_scales`).
    strict : bool
        Raise on invalid secondary fields too, instead of reporting them.
    invalid_results : {"raise", "exclude"}
        What an invalid result does: raise :class:`DataError` (default), or
        leave the pupil out of the participants and list it in ``quality``.
    task_max : sequence of int, optional
        Maximum score of each task, in order, for layouts whose headers do
        not give it.
    sheet : str or int, optional
        The sheet; by default «Протокол» if there is one, else the first
        visible sheet.
    pseudonymize_ids : bool or str, optional
        As in :func:`edu_quality.read_results`.
    limits : ReadLimits, optional
        How large the workbook and its sheet may be
        (:class:`edu_quality.io.ReadLimits`; its defaults by default).

    Returns
    -------
    FisOkoVpr

    Raises
    ------
    DataError
        Not a ФИС ОКО ВПР export, or a workbook beyond ``limits``; year, subject or grade unknown; no scale
        for the work; invalid results (unless excluded); invalid secondary
        fields with ``strict=True``. Each problem names the Excel row and the
        column.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from openpyxl import Workbook
    >>> wb = Workbook(); ws = wb.active
    >>> ws.append(["логин школы", "код обучающегося", "отметка за предыдущую четверть/триместр",
    ...            "пол", "вариант", "всего баллов", "балл за 1", "балл за 2"])
    >>> ws.append(["sch220001", "40001", "8", "м", "1", "15", "1", "2"])
    >>> ws.append(["sch220001", "40002", "4", "ж", "отсутствовал", None, None, None])
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
    >>> wb.save(p)
    >>> vpr = read_fisoko_vpr(p)
    >>> vpr.results[["school_id", "pupil_id", "score", "mark", "journal_mark"]].values.tolist()
    [['sch220001', '40001', 15.0, 5, <NA>]]
    >>> vpr.counts["absent"]
    1
    >>> warn = vpr.quality[vpr.quality["severity"] == "предупреждение"]
    >>> warn[["row", "column", "value", "action"]].values.tolist()
    [[2, 'отметка за предыдущую четверть/триместр', '8', 'поле оставлено пустым, результат сохранён']]
    """
    check_option("invalid_results", invalid_results, ("raise", "exclude"))
    path, file, layout, h, grid = _read_grid(path, sheet, limits)
    if layout is None:
        raise DataError(
            file,
            "это не выгрузка ВПР из ФИС ОКО: нет столбцов ни одного из "
            "известных видов (" + "; ".join(LAYOUTS.values()) + ")",
        )
    if isinstance(scales, (str, Path)):
        scales = read_scales(scales)
    return parse_vpr(
        grid,
        h,
        layout,
        path,
        file,
        year=year,
        subject=subject,
        grade=grade,
        scales=scales,
        strict=strict,
        invalid_results=invalid_results,
        task_max=task_max,
        pseudonymize_ids=pseudonymize_ids,
    )


def sniff_vpr(
    path: str | Path,
    sheet: str | int | None,
    limits: ReadLimits | None = None,
    **options: Any,
) -> FisOkoVpr | None:
    """Read ``path`` as a ФИС ОКО export if it is one, else return None.

    A workbook that cannot be read as one (beyond ``limits`` among them) gives
    None too: the general reader then says what is wrong with it.
    """
    p = Path(path)
    if p.suffix.lower() not in (".xlsx", ".xlsm") or not p.is_file():
        return None
    try:
        path, file, layout, h, grid = _read_grid(p, sheet, limits)
    except DataError:
        return None
    if layout is None:
        return None
    check_option("invalid_results", options.get("invalid_results", "raise"), ("raise", "exclude"))
    scales = options.pop("scales", None)
    if isinstance(scales, (str, Path)):
        scales = read_scales(scales)
    return parse_vpr(grid, h, layout, path, file, scales=scales, **options)


def parse_vpr(
    grid: list[list[Any]],
    h: int,
    layout: str,
    path: Path,
    file: str,
    *,
    year: int | None = None,
    subject: str | None = None,
    grade: int | None = None,
    scales: pd.DataFrame | None = None,
    strict: bool = False,
    invalid_results: str = "raise",
    task_max: Sequence[int] | None = None,
    pseudonymize_ids: bool | str | None = None,
) -> FisOkoVpr:
    """Run the stages of the parser on the grid of a sheet with a ВПР layout.

    Parameters
    ----------
    grid : list of lists
        The sheet.
    h : int
        The header row (0-based).
    layout : {"ru", "codes", "protocol"}
        Its layout (:func:`~edu_quality.fisoko.vpr.layouts.detect_layout`).
    path : Path
        The file (its name and folders give year, subject and grade).
    file : str
        File name for the messages.
    year, subject, grade, strict, invalid_results, task_max, pseudonymize_ids
        As in :func:`read_fisoko_vpr`.
    scales : DataFrame, optional
        The user's scales, already read.

    Returns
    -------
    FisOkoVpr

    Raises
    ------
    DataError
        As :func:`read_fisoko_vpr`.

    Examples
    --------
    >>> grid = [["логин школы", "код обучающегося", "вариант", "всего баллов", "балл за 1"],
    ...         ["sch220001", "40001", "1", "1", "1"]]
    >>> vpr = parse_vpr(grid, 0, "ru", Path("Математика 4 класс ВПР 2021.xlsx"), "a.xlsx",
    ...                 task_max=[20])
    >>> vpr.results[["school_id", "pupil_id", "score", "mark"]].values.tolist()
    [['sch220001', '40001', 1.0, 2]]
    """
    columns = layout_columns(["" if v is None else str(v).strip() for v in grid[h]], layout, file)
    rows = drop_blank_rows(pupil_rows(grid, h, columns))
    work, notes = work_identity(
        path, file, layout, rows, columns, year=year, subject=subject, grade=grade
    )
    scale, scale_notes = work_scale(scales, work, file)
    status = row_status(rows)
    cells = classify_task_cells(rows)
    maxima, maxima_notes = task_maxima(
        columns, cells, status.writer, task_max, work, scale.max_score, file
    )
    notes += scale_notes + maxima_notes
    tasks = score_tasks(cells, maxima.top)
    q = QualityReport(
        file,
        id_columns=[columns.headers[columns.pupil]],
        key=key_for(pseudonymize_ids, file),
    )
    errors = ResultErrors(status.writer)
    variant_errors(errors, rows, status, columns)
    total = protocol_scores if layout == "protocol" else file_scores
    scores = total(errors, q, rows, status, columns, tasks, maxima)
    score_errors(errors, rows, status, scores, work, scale.max_score)
    pupil_errors(errors, rows, columns)
    protocols = unreliable_protocols(
        errors, q, rows, work_max=scale.max_score, header=scores.header
    )
    fields = secondary_fields(rows, columns, status.writer, q)
    row_remarks(q, rows, columns, status)
    quality = settle_errors(q, errors, rows, notes, strict=strict, invalid_results=invalid_results)
    parsed = Parsed(
        file=file,
        layout=layout,
        columns=columns,
        rows=rows,
        work=work,
        scale=scale,
        status=status,
        maxima=maxima,
        tasks=tasks,
        scores=scores,
        fields=fields,
        excluded=errors.mask,
        quality=quality,
        notes=tuple(notes),
        protocols=protocols,
    )
    return vpr_tables(parsed, pseudonymize_ids)

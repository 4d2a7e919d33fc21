"""Writing a synthetic region as a dataset folder (CSV or Parquet), with its ВПР scales."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._checks import option_error
from .constants import VPR_SCALE
from .region import Region

__all__ = ["scales_table", "write_region"]


def scales_table(years: Sequence[int]) -> pd.DataFrame:
    """The ВПР score-to-mark scales the generator used, for each of ``years``.

    The generator marks every year's works on
    :data:`~edu_quality.synthetic.VPR_SCALE` (the official 2021 scales), so the
    region's own scale table repeats them under each of its years;
    :func:`write_region` writes it as ``scales`` beside the results, and
    :meth:`edu_quality.Dataset.max_scores` reads it.

    Returns
    -------
    pandas.DataFrame
        The long form of :func:`edu_quality.scales.read_scales`: ``year``,
        ``subject``, ``grade``, ``mark``, ``min_score``, ``max_score``, ``source``.

    Examples
    --------
    >>> t = scales_table([2024])
    >>> t.query("subject == 'Математика' and grade == 4")[["mark", "min_score", "max_score"]].values.tolist()
    [[2, 0, 5], [3, 6, 9], [4, 10, 14], [5, 15, 20]]
    """
    rows = []
    for year in sorted(int(y) for y in years):
        for (subject, grade), (top, lo3, lo4, lo5) in VPR_SCALE.items():
            bounds = ((0, lo3 - 1), (lo3, lo4 - 1), (lo4, lo5 - 1), (lo5, top))
            for mark, (lo, hi) in zip((2, 3, 4, 5), bounds, strict=True):
                rows.append(
                    (year, subject, grade, mark, lo, hi, "синтетический пример: шкалы ВПР 2021 г.")
                )
    columns = ["year", "subject", "grade", "mark", "min_score", "max_score", "source"]
    return pd.DataFrame(rows, columns=columns)


def write_region(
    region: Region,
    folder: str | Path,
    *,
    format: str = "csv",
    partition_by_year: bool = False,
) -> list[Path]:
    """Write the tables of a region into a dataset folder.

    Parameters
    ----------
    region : Region
        A region from :func:`~edu_quality.synthetic.make_region`.
    folder : str or Path
        Folder to write into; created if needed. Existing files of the same
        names are replaced.
    format : {"csv", "parquet"}
        ``csv``: UTF-8, comma separator, point decimals, canonical English
        headers, no index, LF line ends. ``parquet``: one file per table.
    partition_by_year : bool
        Parquet only: write each results table as a folder
        ``results_vpr/year=2021/…`` (Hive partitioning), which suits regions
        of millions of rows.

    Returns
    -------
    list of Path
        The files (or, for partitioned tables, folders) written, in the order
        of :data:`~edu_quality.synthetic.TABLE_NAMES`, then ``scales``: the ВПР
        scales of the region's years (:func:`scales_table`). The planted facts
        (``truth``) are not written.

    Raises
    ------
    ValueError
        If ``format`` is not one of the allowed values, or
        ``partition_by_year`` is asked for CSV.

    Examples
    --------
    >>> import tempfile
    >>> from edu_quality.synthetic import make_region
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_region(make_region(), tmp)
    ...     [p.name for p in paths][:3]
    ['schools.csv', 'results_vpr.csv', 'results_oge.csv']
    """
    if format not in ("csv", "parquet"):
        raise option_error("format", format, ["csv", "parquet"])
    if partition_by_year and format != "parquet":
        raise ValueError("`partition_by_year` возможно только при format='parquet'")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, table in region.tables.items():
        if format == "csv":
            path = out / f"{name}.csv"
            table.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        elif partition_by_year and name.startswith("results_"):
            path = out / name
            pq.write_to_dataset(
                pa.Table.from_pandas(table, preserve_index=False),
                path,
                partition_cols=["year"],
                existing_data_behavior="delete_matching",
            )
        else:
            path = out / f"{name}.parquet"
            table.to_parquet(path, index=False)
        paths.append(path)
    scales = scales_table(region.tables["results_vpr"]["year"].unique())
    path = out / f"scales.{format}"
    if format == "csv":
        scales.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    else:
        scales.to_parquet(path, index=False)
    paths.append(path)
    return paths

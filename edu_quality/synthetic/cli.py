"""The command line of the synthetic region: ``python -m edu_quality.synthetic FOLDER``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from .make import make_region
from .write import write_region

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Write a synthetic region into a folder (the command line).

    ``python -m edu_quality.synthetic data_samples/region`` regenerates the
    sample dataset of the repository with the defaults of
    :func:`~edu_quality.synthetic.make_region`; ``--seed``, ``--municipalities``,
    ``--schools``, ``--pupils-scale`` and ``--format`` change them, and
    ``--partition-by-year`` writes each Parquet results table as a folder of
    yearly parts. A national-scale region (40 000 schools, about 12 million
    pupil results)::

        python -m edu_quality.synthetic OUT --municipalities 40 --schools 1000 \
            --pupils-scale 0.35 --format parquet --partition-by-year

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments; default: those of the command line.

    Returns
    -------
    int
        Exit status, 0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python -m edu_quality.synthetic",
        description="Синтетический регион в канонической модели данных edu_quality.",
    )
    parser.add_argument("folder", type=Path, help="папка, куда записать таблицы")
    parser.add_argument("--seed", type=int, default=2024, help="зерно (по умолчанию 2024)")
    parser.add_argument("--municipalities", type=int, default=2, help="число муниципалитетов")
    parser.add_argument("--schools", type=int, default=22, help="школ в муниципалитете")
    parser.add_argument("--pupils-scale", type=float, default=1.0, help="множитель численности")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument(
        "--partition-by-year",
        action="store_true",
        help="Parquet: таблицы результатов — папками по годам (results_vpr/year=2024/…)",
    )
    args = parser.parse_args(argv)
    if args.partition_by_year and args.format != "parquet":
        parser.error("--partition-by-year возможно только с --format parquet")
    region = make_region(
        args.municipalities, args.schools, seed=args.seed, pupils_scale=args.pupils_scale
    )
    paths = write_region(
        region, args.folder, format=args.format, partition_by_year=args.partition_by_year
    )
    print(f"Записано таблиц: {len(paths)} в {args.folder}")
    return 0

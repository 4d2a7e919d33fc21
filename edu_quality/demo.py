"""The demo: load every sample dataset of ``data_samples/`` and summarise it.

Run as ``python -m edu_quality.demo`` (``make demo``).
"""

from __future__ import annotations

import sys
from pathlib import Path

from .dataset import load_dataset
from .errors import DataError

__all__ = ["SAMPLES", "main", "sample_folder"]

#: The sample datasets shipped in ``data_samples/``.
SAMPLES = ("inta", "region")


def sample_folder(name: str) -> Path:
    """Path of a sample dataset in the source tree's ``data_samples/``.

    Examples
    --------
    >>> sample_folder("inta").name
    'inta'
    """
    if name not in SAMPLES:
        raise ValueError(f"Параметр `name` должен быть одним из {list(SAMPLES)}, передано {name!r}")
    return Path(__file__).resolve().parent.parent / "data_samples" / name


def main(argv: list[str] | None = None) -> int:
    """Print the summary of every sample dataset; return the exit code."""
    names = argv if argv else [n for n in SAMPLES if sample_folder(n).is_dir()]
    status = 0
    for name in names:
        try:
            print(load_dataset(sample_folder(name)).summary())
        except DataError as exc:
            print(f"Ошибка в данных «{name}»:\n{exc}", file=sys.stderr)
            status = 1
        print()
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

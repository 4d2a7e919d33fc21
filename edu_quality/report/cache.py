"""The dataset of a folder loaded once per process, and handed from a batch to its kernels.

A report batch loads (and checks) the dataset once, to plan its reports;
:func:`share_dataset` then writes it for the batch's kernels, which take it
with :func:`preload_dataset` (≈0.01 s for a municipality) instead of reading
and checking every file again (≈1.5 s each). :func:`cached_dataset` and
:func:`~edu_quality.report.data.report_data` look it up by the folder and
the name, size and modification time of each of its files: a file changed
since is read again.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import DataError

if TYPE_CHECKING:
    from ..dataset import Dataset

__all__ = ["cached_dataset", "folder_version", "preload_dataset", "share_dataset"]

_DATASETS: dict[tuple, Dataset] = {}


def folder_version(data_dir: str | Path) -> tuple[Path, tuple]:
    """The resolved folder and its version: name, size and modification time of every file.

    Raises
    ------
    DataError
        The folder does not exist.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> folder, version = folder_version(sample_folder("inta"))
    >>> "schools.xlsx" in [name for name, size, mtime in version]
    True
    """
    folder = Path(data_dir).resolve()
    if not folder.is_dir():
        raise DataError(folder.name, f"папка с данными не найдена: {folder}")
    return folder, tuple(
        sorted(
            (p.name, p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.iterdir()
            if p.is_file()
        )
    )


def cached_dataset(data_dir: str | Path) -> Dataset:
    """:func:`~edu_quality.load_dataset` once per process and version of the folder's files.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> cached_dataset(sample_folder("inta")) is cached_dataset(sample_folder("inta"))
    True
    """
    folder, version = folder_version(data_dir)
    key = (str(folder), version)
    if key not in _DATASETS:
        from ..dataset import load_dataset

        if len(_DATASETS) > 4:
            _DATASETS.clear()
        _DATASETS[key] = load_dataset(folder)
    return _DATASETS[key]


def share_dataset(data_dir: str | Path, path: str | Path) -> bool:
    """Hand the dataset this process has loaded to other processes of the same batch.

    Writes it (with the version of the folder it was read from) to ``path``
    with :mod:`pickle`, for :func:`preload_dataset` in the report kernels,
    and drops it from this process. Nothing is loaded here: returns False
    when this process has not loaded the folder (or it changed since).
    """
    folder, stamp = folder_version(data_dir)
    dataset = _DATASETS.pop((str(folder), stamp), None)
    if dataset is None:
        return False
    with Path(path).open("wb") as fh:
        pickle.dump((str(folder), stamp, dataset), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return True


def preload_dataset(data_dir: str | Path, path: str | Path) -> bool:
    """Take a dataset written by :func:`share_dataset` into this process's cache.

    Only when it was read from ``data_dir`` as its files are now (a file
    changed since is read again by
    :func:`~edu_quality.report.data.report_data`); returns whether it
    was taken. The file is written by the batch process itself, in a folder of
    its own: it is never a file from elsewhere.
    """
    folder, version = folder_version(data_dir)
    with Path(path).open("rb") as fh:
        source, stamp, dataset = pickle.load(fh)
    if source != str(folder) or stamp != version:
        return False
    _DATASETS[(source, stamp)] = dataset
    return True

"""The dataset of a folder loaded once per process, and handed from a batch to its kernels.

A report batch loads (and checks) the dataset once, to plan its reports;
:func:`share_dataset` then writes it for the batch's kernels, which take it
with :func:`preload_dataset` (≈0.01 s for a municipality) instead of reading
and checking every file again (≈1.5 s each). :func:`cached_dataset` and
:func:`~edu_quality.report.data.report_data` look it up by the folder and
the path, size and modification time of every file of its tree (partitioned
folders such as ``results_vpr/year=2024/`` included): a file changed since is
read again.

A batch is one snapshot: a kernel that took the batch's dataset keeps it for the
folder (it is *pinned*), so a folder edited while the batch runs cannot give
pages of old and new data; the next run sees the new files.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import TYPE_CHECKING

from .._files import missing_folder
from ..errors import DataError

if TYPE_CHECKING:
    from ..dataset import Dataset

__all__ = ["cached_dataset", "folder_version", "loaded_dataset", "preload_dataset", "share_dataset"]

_DATASETS: dict[tuple, Dataset] = {}
#: Folder → the version of the dataset a batch handed to this process (see module notes).
_PINNED: dict[str, tuple] = {}


def folder_version(data_dir: str | Path) -> tuple[Path, tuple]:
    """The resolved folder and its version: path, size and modification time of every file.

    Every file of the folder's tree counts, but hidden ones (``.cache/``…); in a
    process that took a batch's dataset, the version of that dataset.

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
        raise DataError(folder.name, missing_folder(folder))
    if str(folder) in _PINNED:
        return folder, _PINNED[str(folder)]
    files = []
    for root, dirs, names in os.walk(folder):  # symlinked folders are not entered
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # caches, hidden files
        base = Path(root)
        for name in names:
            p = base / name
            if name.startswith(".") or not p.is_file():
                continue
            st = p.stat()
            files.append((p.relative_to(folder).as_posix(), st.st_size, st.st_mtime_ns))
    return folder, tuple(sorted(files))


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


def loaded_dataset(data_dir: str | Path) -> Dataset | None:
    """The dataset of ``data_dir`` this process has loaded (its current version), or None.

    Nothing is loaded here.
    """
    folder, stamp = folder_version(data_dir)
    return _DATASETS.get((str(folder), stamp))


def share_dataset(data_dir: str | Path, path: str | Path, *, keep: bool = False) -> bool:
    """Hand the dataset this process has loaded to other processes of the same batch.

    Writes it (with the version of the folder it was read from) to ``path``
    with :mod:`pickle`, for :func:`preload_dataset` in the report kernels,
    and drops it from this process (unless ``keep``). Nothing is loaded here: returns False
    when this process has not loaded the folder (or it changed since).
    """
    folder, stamp = folder_version(data_dir)
    key = (str(folder), stamp)
    dataset = _DATASETS.get(key) if keep else _DATASETS.pop(key, None)
    if dataset is None:
        return False
    with Path(path).open("wb") as fh:
        pickle.dump((str(folder), stamp, dataset), fh, protocol=pickle.HIGHEST_PROTOCOL)
    return True


def preload_dataset(data_dir: str | Path, path: str | Path) -> bool:
    """Take a dataset written by :func:`share_dataset` into this process's cache, pinned.

    The batch's snapshot of ``data_dir`` is what this process's reports use from
    now on, even if the folder's files change meanwhile (see the module notes);
    returns whether it was taken (the file must come from the same folder). The
    file is written by the batch process itself, in a folder of its own: it is
    never a file from elsewhere.
    """
    folder = Path(data_dir).resolve()
    with Path(path).open("rb") as fh:
        source, stamp, dataset = pickle.load(fh)
    if source != str(folder):
        return False
    _DATASETS[(source, stamp)] = dataset
    _PINNED[source] = stamp
    return True

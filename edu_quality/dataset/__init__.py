"""A dataset: every table of one folder, read and checked against each other.

:func:`load_dataset` reads a folder into a :class:`Dataset`, in memory
(pandas) or with the pupil results as a Dask DataFrame. The package's parts:

* :mod:`~edu_quality.dataset.tables` — the :class:`Dataset` itself, the empty
  tables of a folder's missing optional files (:func:`empty_table`), its notes
  and summary;
* :mod:`~edu_quality.dataset.files` — finding the files of a folder and the
  partitions of a results folder (:data:`PARTITION_KEYS`);
* :mod:`~edu_quality.dataset.read` — reading one results file and the
  optional tables, as both loaders do;
* :mod:`~edu_quality.dataset.checks` — checks across results files: shared
  works, repeated rows, results counted twice;
* :mod:`~edu_quality.dataset.ids` — school ids against the registry, pupil
  codes shared by schools;
* :mod:`~edu_quality.dataset.load` — :func:`load_dataset` (the pandas loader);
* :mod:`~edu_quality.dataset.dask_loader` — the loader of
  ``results_engine="dask"``.
"""

from __future__ import annotations

from .files import PARTITION_KEYS
from .load import load_dataset
from .tables import Dataset, empty_table

__all__ = ["PARTITION_KEYS", "Dataset", "empty_table", "load_dataset"]

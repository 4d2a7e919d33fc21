"""The catalogue of social context factors.

Each canonical factor name (the column of the ``context`` table) has a Russian
label and the direction of its influence on results found in the sources:
``negative``, ``positive``, ``none`` (no significant influence found), or
empty when unknown. The catalogue starts from the Nazarovo district's
programme (Приложение 1: factors with an influence; Приложение 2: factors
without a significant one) and adds the contingent features of the Inta
programme. It ships as ``edu_quality/data/factors.csv``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import pandas as pd

__all__ = ["factor_catalogue", "factor_label"]


@lru_cache(maxsize=1)
def _catalogue() -> pd.DataFrame:
    with files("edu_quality").joinpath("data/factors.csv").open(encoding="utf-8") as fh:
        cat = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return cat


def factor_catalogue() -> pd.DataFrame:
    """Return the catalogue of social factors.

    Returns
    -------
    pandas.DataFrame
        ``factor`` (canonical name), ``label`` (Russian), ``expected_direction``
        (``negative`` / ``positive`` / ``none`` / empty), ``source``.

    Examples
    --------
    >>> cat = factor_catalogue()
    >>> cat.set_index("factor").loc["large_family", "expected_direction"]
    'negative'
    """
    return _catalogue().copy()


def factor_label(factor: str) -> str:
    """Russian label of a factor; the name itself when it is not in the catalogue.

    Examples
    --------
    >>> factor_label("kdn_registered")[:5]
    'доля '
    >>> factor_label("my_factor")
    'my_factor'
    """
    cat = _catalogue()
    hit = cat.loc[cat["factor"] == factor, "label"]
    return str(hit.iloc[0]) if len(hit) else factor

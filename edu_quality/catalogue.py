"""The catalogue of social context factors.

Each canonical factor name (the column of the ``context`` table) has a Russian
label, the direction of its influence on results found in the sources
(``negative``, ``positive``, ``none`` — no significant influence found — or
empty when unknown), and its ``context_sign``: ``+`` when a higher share means
more favourable social conditions (parents with higher education, good
housing), ``-`` when it means less favourable ones. The two differ: the
Назарово programme found no significant influence of low income on results,
yet a high share of low-income families is an unfavourable context; the social
well-being index is oriented by ``context_sign``. The catalogue starts from the Nazarovo district's
programme (Приложение 1: factors with an influence; Приложение 2: factors
without a significant one) and adds the contingent features of the Inta
programme. It ships as ``edu_quality/data/factors.csv``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import pandas as pd

__all__ = ["context_signs", "factor_catalogue", "factor_label"]


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
        (``negative`` / ``positive`` / ``none`` / empty), ``context_sign``
        (``+`` / ``-``), ``source``.

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


def context_signs() -> dict[str, int]:
    """Factor → +1 when a higher share is a more favourable context, −1 when less.

    Examples
    --------
    >>> signs = context_signs()
    >>> signs["both_parents_higher_ed"], signs["low_income"], signs["tzhs"]
    (1, -1, -1)
    """
    cat = _catalogue()
    return {
        f: (1 if s == "+" else -1)
        for f, s in zip(cat["factor"], cat["context_sign"], strict=True)
        if s in ("+", "-")
    }

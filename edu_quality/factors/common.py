"""What the factor models share: their warning, the directions, the formula on record.

:class:`FactorWarning` and :func:`record_warning` (a note kept in the result and issued
as a warning); :data:`DIRECTIONS` and :func:`expected_directions`, the direction of each
catalogue factor in the words of the Nazarovo seed; :func:`column_list` and
:func:`equivalent_formula`, the formula kept for the record of a design built directly
from the named columns.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from ..catalogue import factor_catalogue

__all__ = [
    "DIRECTIONS",
    "FactorWarning",
    "column_list",
    "equivalent_formula",
    "expected_directions",
    "record_warning",
]

#: Directions of influence, Russian, as in the Nazarovo seed's Приложение 1 and 2.
DIRECTIONS = ("положительное", "отрицательное", "незначимое")

_CATALOGUE_DIRECTION = {
    "positive": "положительное",
    "negative": "отрицательное",
    "none": "незначимое",
}


class FactorWarning(UserWarning):
    """A factor model can be estimated but should be read with care (Russian message)."""


def column_list(names) -> list[str]:
    """Column names as a list: None → ``[]``, one name → ``[name]``."""
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    return list(names)


def record_warning(message: str, messages: list[str]) -> None:
    """Keep ``message`` for the model's notes and warn with :class:`FactorWarning`."""
    messages.append(message)
    warnings.warn(message, FactorWarning, stacklevel=3)


def expected_directions() -> dict[str, str]:
    """Return the expected direction of each catalogue factor, in Russian.

    Returns
    -------
    dict
        factor → «положительное» / «отрицательное» / «незначимое»; factors whose
        direction the catalogue does not know are left out.

    Examples
    --------
    >>> expected_directions()["large_family"]
    'отрицательное'
    >>> "ovz" in expected_directions()
    False
    """
    cat = factor_catalogue()
    return {
        f: _CATALOGUE_DIRECTION[d]
        for f, d in zip(cat["factor"], cat["expected_direction"], strict=True)
        if d in _CATALOGUE_DIRECTION
    }


def equivalent_formula(outcome: str, terms: Sequence[str]) -> str:
    """The formula of a design built from ``terms`` (for the record; never evaluated)."""
    rhs = " + ".join(f"Q('{t}')" for t in terms) or "1"
    return f"Q('{outcome}') ~ {rhs}"

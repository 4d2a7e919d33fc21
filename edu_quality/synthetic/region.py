"""A synthetic region as a value: its tables (:class:`Region`) and planted facts (:class:`Truth`).

:func:`~edu_quality.synthetic.make_region` makes them;
:func:`~edu_quality.synthetic.write_region` writes the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .constants import TABLE_NAMES

if TYPE_CHECKING:
    from ..dataset import Dataset

__all__ = ["Region", "Truth"]


@dataclass(frozen=True, eq=False)
class Truth:
    """What was planted in a synthetic region.

    Attributes
    ----------
    seed : int
        The seed the region was made from.
    inflating : tuple of str
        Ids of schools that inflate ВПР grades 4 and 5.
    stably_low : tuple of str
        Ids of stably low schools.
    low_years : dict
        For each stably low school, the years in which its results were low.
    resilient : tuple of str
        Ids of resilient schools.
    factor_effects : dict
        True coefficient of each effect factor
        (:data:`~edu_quality.synthetic.FACTOR_EFFECTS`).
    null_factors : tuple of str
        Factors without an effect (:data:`~edu_quality.synthetic.NULL_FACTORS`).
    schools : pandas.DataFrame
        One row per school: ``school_id``; ``wellbeing`` (latent social
        well-being, higher = more favourable); ``expected`` (mean ability
        predicted by the group and the context); ``ability`` (the school's true
        mean ability, ``expected`` plus the school effect); ``teaching`` (mean
        school-year teaching effect over the years).
    programme : tuple of str
        Ids of the schools of a planted improvement programme (empty by default).
    programme_start : int or None
        The first school year of the programme.
    programme_effect : float
        The planted effect on the programme schools' results from
        ``programme_start`` on, in pupil standard deviations of ability.
    """

    seed: int
    inflating: tuple[str, ...]
    stably_low: tuple[str, ...]
    low_years: dict[str, tuple[int, ...]]
    resilient: tuple[str, ...]
    factor_effects: dict[str, float]
    null_factors: tuple[str, ...]
    schools: pd.DataFrame = field(repr=False)
    programme: tuple[str, ...] = ()
    programme_start: int | None = None
    programme_effect: float = 0.0


@dataclass(frozen=True, eq=False)
class Region:
    """A synthetic region: one DataFrame per table and the planted facts.

    Attributes
    ----------
    schools, results_vpr, results_oge, results_ege, results_kdr : pandas.DataFrame
        Tables of the data model (columns in :func:`~edu_quality.synthetic.make_region`).
    context, staff, enrolment, risk_profiles, indicators, plan : pandas.DataFrame
        Tables of the data model (columns in :func:`~edu_quality.synthetic.make_region`).
    truth : Truth
        What was planted.
    tables : dict
        Every table by name, in the order of :data:`~edu_quality.synthetic.TABLE_NAMES`.
    results : pandas.DataFrame
        The four result tables in one.
    """

    schools: pd.DataFrame
    results_vpr: pd.DataFrame
    results_oge: pd.DataFrame
    results_ege: pd.DataFrame
    results_kdr: pd.DataFrame
    context: pd.DataFrame
    staff: pd.DataFrame
    enrolment: pd.DataFrame
    risk_profiles: pd.DataFrame
    indicators: pd.DataFrame
    plan: pd.DataFrame
    truth: Truth = field(repr=False)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by name, in the order of :data:`~edu_quality.synthetic.TABLE_NAMES`."""
        return {name: getattr(self, name) for name in TABLE_NAMES}

    @property
    def results(self) -> pd.DataFrame:
        """The four pupil-level result tables in one."""
        return pd.concat(
            [self.results_vpr, self.results_oge, self.results_ege, self.results_kdr],
            ignore_index=True,
        )

    def dataset(self) -> Dataset:
        """The region as a :class:`~edu_quality.dataset.Dataset`, without writing files.

        Its ``folder`` names no real folder («синтетический регион»): nothing is read
        from it.
        """
        from ..dataset import Dataset, empty_table
        from ..schema import RESULTS_AGGREGATED

        return Dataset(
            schools=self.schools,
            results=self.results,
            aggregates=empty_table(RESULTS_AGGREGATED),
            context=self.context,
            staff=self.staff,
            enrolment=self.enrolment,
            risk_profiles=self.risk_profiles,
            indicators=self.indicators,
            plan=self.plan,
            folder=Path("синтетический регион"),
        )

    def __repr__(self) -> str:  # noqa: D105
        sizes = ", ".join(f"{k}={len(v)}" for k, v in self.tables.items())
        return f"Region({sizes})"

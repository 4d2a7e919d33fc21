"""Рособрнадзор's rule applied to a dataset as :func:`~edu_quality.identify.classify` applies it.

The rule itself (the works judged, its two clauses, the quoted reasons, the simulation
under the null) is :mod:`edu_quality.rosobrnadzor`. Here it meets the summaries of
:mod:`~edu_quality.identify.summaries`: :func:`rosobrnadzor_schools`, the schools meeting
it with their reasons and the note of an ОВЗ school whose small works were left out, and
:func:`rosobrnadzor_chance`, how many schools would meet it by chance alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .._checks import check_fraction
from ..dataset import Dataset
from ..rosobrnadzor import meeting_rule, percent, rule_chance, rule_rows
from .summaries import PROCEDURE, school_summaries, session_columns

__all__ = ["rosobrnadzor_chance", "rosobrnadzor_schools"]


def rosobrnadzor_schools(
    summary: pd.DataFrame,
    year: int,
    share: float,
    min_n: int,
    assessments: Sequence[str],
    by: Sequence[str] = PROCEDURE,
    *,
    ovz_schools: Sequence[str] = (),
    min_n_ovz: int = 10,
    hidden: pd.DataFrame | None = None,
    rows: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Schools meeting Рособрнадзор's rule (:mod:`edu_quality.rosobrnadzor`), with the reasons.

    ``rosobrnadzor_note`` tells an ОВЗ school that some of its works reaching the
    share were left out as too small (fewer than ``min_n_ovz`` pupils). ``rows``:
    what :func:`~edu_quality.rosobrnadzor.rule_rows` gives for these options,
    when the caller has it already (:func:`~edu_quality.identify.classify` also
    draws its chance from them).
    """
    rows, left_out = rows or rule_rows(
        summary,
        assessments=assessments,
        by=by,
        min_n=min_n,
        ovz_schools=ovz_schools,
        min_n_ovz=min_n_ovz,
    )
    met = meeting_rule(
        rows, year, share=share, hidden=hidden, sessions=bool(session_columns(summary))
    )
    left = left_out.loc[left_out["year"].isin([year - 1, year]) & (left_out["share_2"] >= share)]
    notes = left.groupby("school_id")["share_2"].size()
    note = pd.DataFrame(
        {
            "school_id": pd.Series(notes.index.astype("str"), dtype="str"),
            "rosobrnadzor_note": [
                f"правило Рособрнадзора не применялось к работам, где меньше {min_n_ovz} "
                f"участников (школа для обучающихся с ОВЗ): таких работ с долей «2» не ниже "
                f"{percent(share)} — {k}"
                for k in notes.tolist()
            ],
        }
    )
    out = met.merge(note, on="school_id", how="outer")
    out["rosobrnadzor"] = out["rosobrnadzor"].astype("boolean").fillna(False).astype(bool)
    return out


def rosobrnadzor_chance(
    dataset: Dataset,
    year: int,
    *,
    n_sim: int = 200,
    seed: int = 0,
    share: float = 0.30,
    min_n: int = 5,
    min_n_ovz: int = 10,
    assessments: Sequence[str] = ("ВПР", "ОГЭ", "ЕГЭ"),
    by: Sequence[str] = ("assessment", "subject", "grade"),
    include_unreliable: bool = False,
    include_selective: bool = False,
) -> dict:
    """How many schools would meet Рособрнадзор's rule by chance alone.

    The null: every school has the region's own share of «2» of each work. Each
    school × work (with the school's participants, of ``year`` and the year
    before) is drawn as Binomial(participants, region's share of the work, year
    and session), and Рособрнадзор's rule — the same ``min_n``, ОВЗ threshold and
    session logic as :func:`~edu_quality.identify.classify` — is applied to each of ``n_sim`` draws
    (:func:`edu_quality.rosobrnadzor.rule_chance`). With works of 20 pupils and
    a regional share of «2» of 15 %, one work reaches 30 % with probability
    P(Bin(20; 0,15) ≥ 6) ≈ 0,07; a school with ten works then meets the «two
    works of one session» clause with probability ≈ 0,15.

    Returns
    -------
    dict
        ``observed`` (schools meeting the rule in the data), ``mean``, ``low``,
        ``high`` (5th and 95th percentiles of the simulated number of schools),
        ``schools`` (schools judged), ``n_sim``, ``counts`` (the simulated numbers).
        :func:`~edu_quality.identify.classify` puts the same (without ``counts``) in
        ``attrs["rosobrnadzor_chance"]``.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> ch = rosobrnadzor_chance(load_dataset(sample_folder("region")), 2024, n_sim=50)
    >>> ch["low"] <= ch["mean"] <= ch["high"]
    True
    """
    check_fraction("share", share)
    summary = school_summaries(
        dataset,
        min_n=min_n,
        include_selective=include_selective,
        include_unreliable=include_unreliable,
    )
    ovz = dataset.schools.loc[dataset.schools["group"] == "ОВЗ", "school_id"].astype("str")
    rows, _ = rule_rows(
        summary,
        assessments=assessments,
        by=by,
        min_n=min_n,
        ovz_schools=ovz.tolist(),
        min_n_ovz=min_n_ovz,
    )
    return rule_chance(rows, year, share=share, n_sim=n_sim, seed=seed)

"""The social context of a school: the index, its unfavourable tail (ШНСУ), the adjusted result.

:func:`context_index` computes the school social well-being index
(:func:`edu_quality.index.social_index`) and marks its bottom ``unfavourable_share``;
:func:`adjust_for_context` subtracts from each composite result what the index predicts.
The index, SciPy and statsmodels are imported on first use.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..dataset import Dataset

__all__ = ["adjust_for_context", "context_index"]


def context_index(
    dataset: Dataset, year: int, unfavourable_share: float, factors: Sequence[str] | None
) -> pd.DataFrame:
    """The social index of the last context year up to ``year`` and its unfavourable tail.

    The last context year of all when none is up to ``year``. ``school_id``, ``index_z``,
    ``unfavourable`` (the bottom ``unfavourable_share``), ``context_year``; no rows when
    the dataset has no context factors.
    """
    ctx = dataset.context
    if ctx.empty or len([c for c in ctx.columns if c not in ("school_id", "year")]) == 0:
        return pd.DataFrame(columns=["school_id", "index_z", "unfavourable", "context_year"])
    years = sorted(y for y in ctx["year"].unique() if y <= year) or sorted(ctx["year"].unique())
    cy = years[-1]
    from ..index import default_factors, social_index

    chosen = list(factors) if factors is not None else default_factors(ctx)
    idx = social_index(ctx.loc[ctx["year"] == cy], chosen)
    table = idx if isinstance(idx, pd.DataFrame) else idx.table
    t = table[["school_id", "index_z"]].copy()
    t["unfavourable"] = t["index_z"].rank(pct=True, method="max") <= unfavourable_share
    t["context_year"] = cy
    return t


def adjust_for_context(now: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """``now`` with ``expected``, ``adjusted``, ``adjusted_low`` and ``adjusted_high``.

    The composite regressed on the social index by weighted least squares (weights:
    participants) over the schools with both, at least 5 (else the columns stay
    empty); the (1 − alpha) interval of the adjusted result combines the school's
    standard error with the prediction's: statsmodels' ``WLS(...).fit().get_prediction()``
    (:func:`edu_quality._stats.wls_prediction`, equal to the bit).
    """
    now = now.copy()
    ok = now["index_z"].notna() & now["composite"].notna()
    now["expected"] = np.nan
    now["adjusted"] = np.nan
    now["adjusted_low"] = np.nan
    now["adjusted_high"] = np.nan
    if ok.sum() >= 5:
        from .._stats import norm_ppf, wls_prediction

        mean, mean_se = wls_prediction(
            now.loc[ok, "composite"], now.loc[ok, "index_z"], now.loc[ok, "participants"]
        )
        z = norm_ppf(1 - alpha / 2)
        se = np.sqrt(now.loc[ok, "composite_se"].to_numpy() ** 2 + mean_se**2)
        now.loc[ok, "expected"] = mean
        adj = now.loc[ok, "composite"].to_numpy() - mean
        now.loc[ok, "adjusted"] = adj
        now.loc[ok, "adjusted_low"] = adj - z * se
        now.loc[ok, "adjusted_high"] = adj + z * se
    return now

"""Programme indicators against their targets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import DataError

__all__ = ["evaluate_indicators"]


def evaluate_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """Whether each programme indicator attains its target, and by how much.

    Parameters
    ----------
    indicators : DataFrame
        ``indicator``, ``scope``, ``year``, ``target``, ``actual``,
        ``direction`` («≥»: at least the target; «≤»: at most), ``unit``
        (:func:`edu_quality.read_indicators`).

    Returns
    -------
    DataFrame
        The input columns, then ``attained`` (True / False, missing when
        there is no actual value), ``gap`` (``actual − target``), ``shortfall``
        (how far the actual value is from the target in the bad direction,
        0 when attained) and ``status`` («достигнут» / «не достигнут» /
        «нет данных»).

    Examples
    --------
    >>> ind = pd.DataFrame({"indicator": ["Доля ШНОР", "Наставничество"], "scope": "МО",
    ...     "year": 2023, "target": [11.0, 30.0], "actual": [33.3, None],
    ...     "direction": ["≤", "≥"], "unit": "%"})
    >>> evaluate_indicators(ind)[["status", "shortfall"]].values.tolist()
    [['не достигнут', 22.299999999999997], ['нет данных', nan]]
    """
    missing = [c for c in ("target", "actual", "direction") if c not in indicators.columns]
    if missing:
        raise DataError(None, f"показатели: нет столбцов {', '.join(missing)}")
    bad = ~indicators["direction"].isin(["≥", "≤"])
    if bad.any():
        raise DataError(
            None,
            f"показатели: направление должно быть «≥» или «≤», "
            f"передано {sorted(set(indicators.loc[bad, 'direction']))}",
        )
    out = indicators.copy()
    target = out["target"].astype("float64")
    actual = out["actual"].astype("float64")
    at_least = out["direction"] == "≥"
    out["gap"] = actual - target
    short = np.where(at_least, target - actual, actual - target)
    out["shortfall"] = np.clip(short, 0, None)
    attained = np.where(at_least, actual >= target, actual <= target)
    out["attained"] = pd.array(np.where(actual.isna(), None, attained), dtype="boolean")
    out["status"] = np.select(
        [actual.isna(), out["attained"].fillna(False).astype(bool)],
        ["нет данных", "достигнут"],
        default="не достигнут",
    )
    return out

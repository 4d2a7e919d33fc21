"""Confidence intervals for shares and their differences.

Small schools have seven pupils: a share without an interval misleads. Every
share of edu_quality carries a 95 % Wilson score interval; every difference of
shares (year against year, school against municipality) a Newcombe interval.

Both are computed here with the operations of statsmodels'
``proportion_confint(method="wilson")`` and
``confint_proportions_2indep(method="newcomb")``, in the same order, so the
bounds are equal to the last bit (``tests/test_intervals.py`` compares them
over every count of 0–80 pupils and three confidence levels). Only the normal
quantile is needed, from ``scipy.special``: a report that computes intervals
then imports neither statsmodels nor ``scipy.stats`` (≈0.5 s of a kernel's start).
"""

from __future__ import annotations

import numpy as np

__all__ = ["newcombe", "wilson"]


def _wilson_bounds(count: np.ndarray, nobs: np.ndarray, alpha: float):
    """Wilson bounds of ``count / nobs`` (``nobs`` > 0), clipped to [0, 1].

    ``statsmodels.stats.proportion.proportion_confint(count, nobs, alpha,
    method="wilson")`` (statsmodels 0.15), operation for operation:
    z = Φ⁻¹(1 − α/2), centre (p̂ + z²/2n) / (1 + z²/n), half-width
    z·√(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n).
    """
    from ._stats import norm_ppf

    crit = -norm_ppf(alpha / 2.0)  # scipy.stats.norm.isf(α/2), as statsmodels computes it
    q_ = count / nobs
    crit2 = crit**2
    denom = 1 + crit2 / nobs
    center = (q_ + crit2 / (2 * nobs)) / denom
    dist = crit * np.sqrt(q_ * (1.0 - q_) / nobs + crit2 / (4.0 * nobs**2))
    dist /= denom
    return np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)


def wilson(count, nobs, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share ``count / nobs``.

    Parameters
    ----------
    count, nobs : array-like
        Successes and trials; where ``nobs`` is 0 or either is missing, the
        bounds are NaN.
    alpha : float
        1 − confidence level.

    Returns
    -------
    (low, high) : tuple of numpy arrays, clipped to [0, 1]

    Notes
    -----
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. JASA 22, 209–212; the bounds equal
    ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.

    Examples
    --------
    >>> low, high = wilson([5], [25])   # Inta, СОШ № 5, ОГЭ 2019: 5 «2» of 25
    >>> [round(float(x), 3) for x in (low[0], high[0])]
    [0.089, 0.391]
    """
    count = np.asarray(count, dtype="float64")
    nobs = np.asarray(nobs, dtype="float64")
    ok = np.isfinite(count) & np.isfinite(nobs) & (nobs > 0)
    low = np.full(np.broadcast(count, nobs).shape, np.nan)
    high = low.copy()
    if ok.any():
        c, n = np.broadcast_arrays(count, nobs)
        lo, hi = _wilson_bounds(c[ok], n[ok], alpha)
        # exact ends where the share is 0 or 1 (the closed form leaves 1e-17 residues)
        lo = np.where(c[ok] <= 0, 0.0, lo)
        hi = np.where(c[ok] >= n[ok], 1.0, hi)
        low[ok], high[ok] = np.clip(lo, 0, 1), np.clip(hi, 0, 1)
    return low, high


def newcombe(count1, nobs1, count2, nobs2, *, alpha: float = 0.05):
    """Difference of two independent shares ``p2 − p1`` with Newcombe's interval.

    Parameters
    ----------
    count1, nobs1 : array-like
        The reference share (e.g. the earlier year).
    count2, nobs2 : array-like
        The compared share (e.g. the later year).
    alpha : float
        1 − confidence level.

    Returns
    -------
    (diff, low, high) : tuple of numpy arrays
        NaN where either share is undefined.

    Notes
    -----
    Newcombe, R. G. (1998). Interval estimation for the difference between
    independent proportions: comparison of eleven methods. Statistics in
    Medicine 17, 873–890 (method 10, hybrid score): with (l₁, u₁) and (l₂, u₂)
    the Wilson intervals of the two shares, the bounds are
    d − √((p₂ − l₂)² + (u₁ − p₁)²) and d + √((u₂ − p₂)² + (p₁ − l₁)²); they equal
    ``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``.

    Examples
    --------
    >>> d, lo, hi = newcombe([5], [25], [15], [24])  # СОШ № 5: «2» 20 % in 2019, 62,5 % in 2022
    >>> round(float(d[0]), 3), round(float(lo[0]), 3), round(float(hi[0]), 3)
    (0.425, 0.15, 0.623)
    """
    c1, n1, c2, n2 = np.broadcast_arrays(
        *(np.asarray(a, dtype="float64") for a in (count1, nobs1, count2, nobs2))
    )
    ok = np.isfinite(c1) & np.isfinite(n1) & np.isfinite(c2) & np.isfinite(n2) & (n1 > 0) & (n2 > 0)
    diff = np.full(c1.shape, np.nan)
    low = diff.copy()
    high = diff.copy()
    if ok.any():
        # statsmodels' order: its first share is the compared one (2), its second the reference
        p_a, p_b = c2[ok] / n2[ok], c1[ok] / n1[ok]
        d = p_a - p_b
        low_a, upp_a = _wilson_bounds(c2[ok], n2[ok], alpha)
        low_b, upp_b = _wilson_bounds(c1[ok], n1[ok], alpha)
        diff[ok] = d
        low[ok] = d - np.sqrt((p_a - low_a) ** 2 + (upp_b - p_b) ** 2)
        high[ok] = d + np.sqrt((p_b - low_b) ** 2 + (upp_a - p_a) ** 2)
    return diff, low, high

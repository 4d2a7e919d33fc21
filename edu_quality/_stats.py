"""The few scipy.stats and statsmodels computations of a report, without importing them.

``scipy.stats`` takes ≈0,4 s to import and every statsmodels model imports it;
a report's kernel pays that before its first table. What a school report
needs of them is a handful of special functions and one straight-line fit.
Each function here computes what its counterpart computes, operation for
operation: the same :mod:`scipy.special` function (the one the ``scipy.stats``
method calls), the same argument checks, the same order of arithmetic. The
results are equal to the bit (``tests/test_stats_equal.py`` compares them
with SciPy and statsmodels on random and edge-case inputs). ``scipy.special`` itself is
imported at a function's first call, so that importing a module that computes with these
costs nothing where they are never called.

Examples
--------
>>> float(norm_ppf(0.975))
1.959963984540054
>>> p_adjusted([0.01, 0.04, 0.03], method="holm").tolist()
[0.03, 0.06, 0.06]
"""

from __future__ import annotations

import os

import numpy as np

__all__ = [
    "P_ADJUSTMENTS",
    "binom_sf",
    "least_squares",
    "mean_se",
    "norm_cdf",
    "norm_ppf",
    "p_adjusted",
    "t_cdf",
    "t_ppf",
    "wls_prediction",
]

#: Multiple-testing corrections :func:`p_adjusted` knows (statsmodels' names).
P_ADJUSTMENTS = ("fdr_bh", "holm")

#: Elements from which :func:`_in_halves` computes a special function on two threads.
_SPLIT = 100_000


def _in_halves(func, *args: np.ndarray) -> np.ndarray:
    """``func(*args)`` for a special function of :mod:`scipy.special`, elementwise.

    From :data:`_SPLIT` elements on a machine of two cores or more, the two
    halves are computed at once on two threads (SciPy's functions release the
    GIL; NumPy's error settings of the caller are kept in both): the same
    numbers in about half the time — the quantiles of Welch's intervals of a
    country's pairs of years (:func:`t_ppf`).
    """
    args = np.broadcast_arrays(*args)
    shape = args[0].shape
    if args[0].size < _SPLIT or (os.cpu_count() or 1) < 2:
        return func(*args)
    from concurrent.futures import ThreadPoolExecutor

    flat = [a.ravel() for a in args]
    half = len(flat[0]) // 2
    settings = np.geterr()

    def part(*a: np.ndarray) -> np.ndarray:
        with np.errstate(**settings):  # the error settings belong to a thread
            return func(*a)

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(part, *(a[:half] for a in flat))
        second = func(*(a[half:] for a in flat))
        out = np.concatenate([first.result(), second])
    return out.reshape(shape)


def norm_ppf(q):
    """``scipy.stats.norm.ppf(q)``: Φ⁻¹(q), ``scipy.special.ndtri``."""
    from scipy.special import ndtri  # here, not at import: importing this module is free

    return ndtri(np.asarray(q, dtype="float64"))


def norm_cdf(x):
    """``scipy.stats.norm.cdf(x)``: Φ(x), ``scipy.special.ndtr``."""
    from scipy.special import ndtr

    return ndtr(np.asarray(x, dtype="float64"))


def t_ppf(q, df):
    """``scipy.stats.t.ppf(q, df)`` for 0 < q < 1: ``scipy.special.stdtrit(df, q)``.

    NaN where ``df`` is not positive (SciPy's argument check).
    """
    from scipy.special import stdtrit

    q = np.asarray(q, dtype="float64")
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, _in_halves(stdtrit, df, q), np.nan)
    return out[()] if out.ndim == 0 else out


def t_cdf(x, df):
    """``scipy.stats.t.cdf(x, df)``: ``scipy.special.stdtr(df, x)``; NaN where ``df`` ≤ 0 or missing."""
    from scipy.special import stdtr

    x = np.asarray(x, dtype="float64")
    df = np.asarray(df, dtype="float64")
    with np.errstate(invalid="ignore"):
        out = np.where(df > 0, stdtr(df, x), np.nan)
    return out[()] if out.ndim == 0 else out


def binom_sf(k, n, p):
    """``scipy.stats.binom.sf(k, n, p)``: P(X > k) for X ~ B(n, p).

    1 below the support (k < 0), 0 from its top (k ≥ n), NaN for a bad ``n``
    (not a whole number ≥ 0) or ``p`` (outside [0, 1]) or a missing ``k``;
    inside, the Boost binomial survival function ``scipy.stats`` calls (its
    ``scipy.special`` ufunc).
    """
    from scipy.special._ufuncs import _binom_sf  # what scipy.stats.binom._sf calls

    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    p = np.asarray(p, dtype="float64")
    k, n, p = np.broadcast_arrays(k, n, p)
    good = (n >= 0) & (n == np.floor(n)) & (p >= 0) & (p <= 1) & ~np.isnan(k)
    inside = good & (k >= 0) & (k < n)
    out = np.zeros(k.shape)
    out[good & (k < 0)] = 1.0
    out[~good] = np.nan
    if inside.any():
        out[inside] = _binom_sf(np.floor(k[inside]), n[inside], p[inside])
    return out[()] if out.ndim == 0 else out


def p_adjusted(p, *, method: str) -> np.ndarray:
    """Adjusted p-values: ``statsmodels.stats.multitest.multipletests(p, method=method)[1]``.

    ``method`` is «holm» (Holm 1979, step-down Bonferroni: p₍ᵢ₎·(m − i + 1),
    running maximum) or «fdr_bh» (Benjamini & Hochberg 1995: p₍ᵢ₎·m/i,
    running minimum from the top); capped at 1. ``p`` has no missing values.
    """
    if method not in P_ADJUSTMENTS:
        raise ValueError(f"method: {method!r} is not one of {P_ADJUSTMENTS}")
    p = np.asarray(p)
    order = np.argsort(p)
    ps = np.take(p, order)
    m = len(ps)
    if method == "holm":
        adj = np.maximum.accumulate(ps * np.arange(m, 0, -1))
    else:
        adj = np.minimum.accumulate((ps / (np.arange(1, m + 1) / float(m)))[::-1])[::-1]
    adj[adj > 1] = 1
    out = np.empty_like(adj)
    out[order] = adj
    return out


def least_squares(y, exog, weights=None) -> tuple[np.ndarray, np.ndarray, float, int]:
    """The ``OLS(y, exog).fit()`` of statsmodels (``WLS`` with ``weights``): β, cov(β), df, rank.

    Operation for operation as statsmodels 0.15 (``method="pinv"``): the design
    and the outcome whitened by √w, the pseudo-inverse by SVD
    (``statsmodels.tools.tools.pinv_extended``, singular values below 1e−15 of
    the largest dropped), β = X⁺y, the rank from the singular values,
    σ² = ‖y − Xβ‖² / (n − rank), cov(β) = X⁺X⁺ᵀ·σ².
    """
    y = np.asarray(y, dtype="float64")
    exog = np.asarray(exog, dtype="float64")
    if weights is None:
        wexog, wendog = exog, y
    else:
        root = np.sqrt(np.asarray(weights, dtype="float64"))
        wexog, wendog = root[:, None] * exog, y * root
    u, s, vt = np.linalg.svd(wexog, False)
    rank = int(np.linalg.matrix_rank(np.diag(s)))
    inv = s.copy()
    cutoff = 1e-15 * np.maximum.reduce(s)
    for i in range(min(u.shape[0], vt.shape[1])):
        inv[i] = 1.0 / inv[i] if inv[i] > cutoff else 0.0
    pinv = np.dot(np.transpose(vt), np.multiply(inv[:, np.newaxis], np.transpose(u)))
    params = np.dot(pinv, wendog)
    wresid = wendog - np.dot(wexog, params)
    df_resid = float(wexog.shape[0]) - rank
    cov = np.dot(pinv, np.transpose(pinv)) * (np.dot(wresid, wresid) / df_resid)
    return params, cov, df_resid, rank


def mean_se(exog, cov) -> np.ndarray:
    """Standard error of the fitted mean at the rows of ``exog``: √diag(X cov Xᵀ) (statsmodels)."""
    return np.sqrt((exog * np.dot(cov, exog.T).T).sum(1))


def wls_prediction(y, x, weights) -> tuple[np.ndarray, np.ndarray]:
    """The fitted line of a weighted least-squares fit of ``y`` on ``x`` and its standard error.

    ``statsmodels`` ``WLS(y, add_constant(x), weights).fit().get_prediction()``:
    the ``mean`` and ``mean_se`` of its ``summary_frame()``, operation for
    operation (:func:`least_squares`, :func:`mean_se`). A constant non-zero
    ``x`` is the fit's only column, as ``add_constant`` leaves it.

    Examples
    --------
    >>> mean, se = wls_prediction([1.0, 2.0, 2.9, 4.2], [0.0, 1.0, 2.0, 3.0], [1, 2, 2, 1])
    >>> [round(float(v), 3) for v in mean]
    [0.945, 1.982, 3.018, 4.055]
    """
    x = np.asarray(x, dtype="float64")
    if x.size and np.ptp(x) == 0.0 and np.any(x != 0.0):
        exog = x[:, None]  # a constant x is the constant: add_constant adds none
    else:
        exog = np.column_stack((np.ones(x.shape[0]), x))
    params, cov, _, _ = least_squares(y, exog, weights)
    return np.dot(exog, params), mean_se(exog, cov)

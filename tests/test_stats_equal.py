"""``edu_quality._stats`` computes what scipy.stats and statsmodels compute, to the bit."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats
from statsmodels.regression.linear_model import WLS
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.tools import add_constant

from edu_quality import _stats


def _same(a, b) -> None:
    """Equal to the bit, NaN where NaN, and the same kind of result (scalar or array)."""
    assert np.ndim(a) == np.ndim(b)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b), strict=True)


@pytest.mark.parametrize("seed", range(10))
def test_normal_and_student_functions(seed):
    rng = np.random.default_rng(seed)
    q = np.concatenate([rng.uniform(0, 1, 50), [1e-12, 0.5, 0.975, 1 - 1e-12]])
    x = np.concatenate([rng.normal(0, 3, 50), [np.nan, -np.inf, np.inf, 0.0]])
    df = np.concatenate([rng.integers(1, 60, 50).astype(float), [np.nan, 0.0, -1.0, np.inf]])
    _same(_stats.norm_ppf(q), stats.norm.ppf(q))
    _same(_stats.norm_cdf(x), stats.norm.cdf(x))
    _same(_stats.t_ppf(q, df), stats.t.ppf(q, df))
    _same(_stats.t_cdf(x, df), stats.t.cdf(x, df))
    _same(_stats.norm_ppf(0.975), stats.norm.ppf(0.975))
    _same(_stats.t_ppf(0.975, 7.0), stats.t.ppf(0.975, 7.0))
    _same(_stats.t_cdf(-1.3, 12.0), stats.t.cdf(-1.3, 12.0))


def test_student_quantiles_of_a_country_are_computed_in_halves_equal_to_the_bit():
    """From a million elements ``t_ppf`` runs in two halves on two threads: the same numbers."""
    import warnings

    rng = np.random.default_rng(3)
    n = _stats._SPLIT + 11  # an odd length: two unequal halves
    df = rng.uniform(1, 400, n)
    df[::1000] = np.nan
    df[1::1000] = -1.0  # no quantile (SciPy's check), and no warning from either thread
    q = np.full(n, 0.975)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _same(_stats.t_ppf(q, df), stats.t.ppf(q, df))
        _same(_stats.t_ppf(0.975, df.reshape(-1, 1))[:5], stats.t.ppf(0.975, df[:5, None]))


@pytest.mark.parametrize("seed", range(10))
def test_binomial_survival(seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 80, 200).astype(float)
    k = np.floor(rng.uniform(-3, 1.1, 200) * (n + 1))
    p = rng.uniform(0, 1, 200)
    p[:5] = [0.0, 1.0, 0.0, 1.0, 0.5]
    k[5:12] = [np.nan, -np.inf, np.inf, -1, 0, 2.5, 79]
    n[12:16] = [2.5, -1.0, np.nan, 0.0]
    p[16:19] = [-0.1, 1.2, np.nan]
    _same(_stats.binom_sf(k, n, p), stats.binom.sf(k, n, p))
    _same(_stats.binom_sf(3, 10, 0.2), stats.binom.sf(3, 10, 0.2))


@pytest.mark.parametrize("method", _stats.P_ADJUSTMENTS)
@pytest.mark.parametrize("seed", range(10))
def test_adjusted_p_values(method, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 1, rng.integers(1, 60)) ** 3
    p[: len(p) // 3] = np.round(p[: len(p) // 3], 2)  # ties
    _same(_stats.p_adjusted(p, method=method), multipletests(p, method=method)[1])


def test_adjusted_p_values_refuse_an_unknown_method():
    with pytest.raises(ValueError, match="bonferroni"):
        _stats.p_adjusted([0.1], method="bonferroni")


@pytest.mark.parametrize("seed", range(20))
def test_weighted_line_prediction(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    x = rng.normal(0, 1, n)
    if seed == 0:
        x[:] = 0.7  # a constant predictor: a rank-deficient design
    y = 50 + 4 * x + rng.normal(0, 8, n)
    w = rng.integers(5, 200, n)
    exog = add_constant(x)
    frame = WLS(y, exog, weights=w).fit().get_prediction(exog).summary_frame()
    mean, se = _stats.wls_prediction(y, x, w)
    _same(mean, frame["mean"].to_numpy())
    _same(se, frame["mean_se"].to_numpy())


def test_importing_it_does_not_import_scipy():
    """A module that computes with it may be imported where SciPy is never needed."""
    code = "import sys, edu_quality._stats; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

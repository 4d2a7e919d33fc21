"""Intervals and the expected line equal statsmodels' to the last bit."""

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from edu_quality.intervals import newcombe, wilson

NOBS = np.arange(1, 81)
COUNTS, TRIALS = (a.ravel() for a in np.meshgrid(np.arange(0, 81), NOBS))
KEEP = COUNTS <= TRIALS
COUNTS, TRIALS = COUNTS[KEEP].astype(float), TRIALS[KEEP].astype(float)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_wilson_equals_statsmodels_bit_for_bit(alpha):
    low, high = wilson(COUNTS, TRIALS, alpha=alpha)
    lo, hi = proportion_confint(COUNTS, TRIALS, alpha=alpha, method="wilson")
    lo = np.clip(np.where(COUNTS <= 0, 0.0, lo), 0, 1)  # the exact ends wilson() sets
    hi = np.clip(np.where(COUNTS >= TRIALS, 1.0, hi), 0, 1)
    np.testing.assert_array_equal(low, lo)
    np.testing.assert_array_equal(high, hi)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_newcombe_equals_statsmodels_bit_for_bit(alpha):
    rng = np.random.default_rng(7)
    pick = rng.choice(len(COUNTS), size=(2, 4000))
    c1, n1 = COUNTS[pick[0]], TRIALS[pick[0]]
    c2, n2 = COUNTS[pick[1]], TRIALS[pick[1]]
    diff, low, high = newcombe(c1, n1, c2, n2, alpha=alpha)
    lo, hi = confint_proportions_2indep(
        c2, n2, c1, n1, method="newcomb", compare="diff", alpha=alpha
    )
    np.testing.assert_array_equal(diff, c2 / n2 - c1 / n1)
    np.testing.assert_array_equal(low, lo)
    np.testing.assert_array_equal(high, hi)


def test_large_counts_and_missing_values():
    c = np.array([0.0, 123_456.0, 999_999.0, np.nan, 5.0, 3.0])
    n = np.array([1_000_000.0, 1_000_000.0, 1_000_000.0, 10.0, np.nan, 0.0])
    low, high = wilson(c, n)
    lo, hi = proportion_confint(c[:3], n[:3], method="wilson")
    np.testing.assert_array_equal(low[1:3], lo[1:3])
    np.testing.assert_array_equal(high[:3], np.clip(hi, 0, 1))
    assert low[0] == 0.0
    assert np.isnan(low[3:]).all() and np.isnan(high[3:]).all()
    ref_c, ref_n = np.full(6, 400_000.0), np.full(6, 1_000_000.0)
    d, dl, dh = newcombe(ref_c, ref_n, c, n)
    assert np.isnan(d[3:]).all() and np.isnan(dl[3:]).all()  # a missing or empty share
    lo, hi = confint_proportions_2indep(c[:3], n[:3], ref_c[:3], ref_n[:3], method="newcomb")
    np.testing.assert_array_equal(dl[:3], lo)
    np.testing.assert_array_equal(dh[:3], hi)


@pytest.mark.parametrize("n", [3, 4, 25, 400])
def test_expected_line_equals_statsmodels_ols(n):
    import statsmodels.api as sm

    from edu_quality.plots import expected_line

    rng = np.random.default_rng(n)
    xs = rng.normal(size=n)
    ys = 12 + 3 * xs + rng.normal(scale=4, size=n)
    grid = np.linspace(xs.min(), xs.max(), 100)
    line, low, high, fitted = expected_line(xs, ys, grid)
    fit = sm.OLS(ys, sm.add_constant(xs)).fit()
    pred = fit.get_prediction(sm.add_constant(grid)).summary_frame(0.05)
    np.testing.assert_array_equal(line, pred["mean"])  # to the bit: the figure to the pixel
    np.testing.assert_array_equal(low, pred["mean_ci_lower"])
    np.testing.assert_array_equal(high, pred["mean_ci_upper"])
    np.testing.assert_array_equal(fitted, fit.fittedvalues)


@pytest.mark.parametrize(
    "xs, ys",
    [([1.0, 1.0, 1.0], [2.0, 4.0, 6.0]), ([0.0, 1.0], [2.0, 5.0]), ([1.0], [3.0])],
    ids=["one value of x", "two points", "one point"],
)
def test_expected_line_of_a_degenerate_fit_is_statsmodels(xs, ys):
    import warnings

    import statsmodels.api as sm

    from edu_quality.plots import expected_line

    xs, ys, grid = np.array(xs), np.array(ys), np.array([0.0, 1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = expected_line(xs, ys, grid)
        fit = sm.OLS(ys, sm.add_constant(xs, has_constant="add")).fit()
        pred = fit.get_prediction(sm.add_constant(grid, has_constant="add")).summary_frame(0.05)
    for mine, theirs in zip(got[:3], ("mean", "mean_ci_lower", "mean_ci_upper"), strict=True):
        np.testing.assert_array_equal(mine, pred[theirs])
    np.testing.assert_array_equal(got[3], fit.fittedvalues)

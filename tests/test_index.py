"""The school social well-being index (ИСБШ): orientation, weights, both methods, the tail."""

from __future__ import annotations

import io
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from edu_quality import plots
from edu_quality.errors import DataError
from edu_quality.factors import FactorWarning
from edu_quality.index import SocialIndex, social_index, unfavourable

FACTORS = ["large_family", "sop_family", "both_parents_higher_ed", "school_bus"]


def render(ax) -> None:
    """Draw the figure to a PNG buffer and fail on any warning (e.g. a missing glyph)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax.figure.savefig(io.BytesIO(), format="png")


@pytest.fixture
def context(rng) -> pd.DataFrame:
    """60 schools × 2 years. A latent well-being w lowers large families and СОП families and
    raises parents' higher education (the Nazarovo seed's directions); the school bus is
    unrelated. The mean score rises with w, the share of «2» falls."""
    n = 60
    w = rng.normal(0, 1, n)
    rows = []
    for year in (2022, 2023):
        noise = lambda s: rng.normal(0, s, n)  # noqa: E731
        rows.append(
            pd.DataFrame(
                {
                    "school_id": [f"S{i:02d}" for i in range(n)],
                    "year": year,
                    "large_family": 1 / (1 + np.exp(1.2 + 0.8 * w + noise(0.4))),
                    "sop_family": 1 / (1 + np.exp(3.0 + 0.6 * w + noise(0.4))),
                    "both_parents_higher_ed": 1 / (1 + np.exp(0.5 - 0.9 * w + noise(0.4))),
                    "school_bus": rng.uniform(0, 0.5, n),
                    "mean_score": 15 + 2 * w + noise(0.8),
                }
            )
        )
    ctx = pd.concat(rows, ignore_index=True)
    ctx["share_2"] = 1 / (1 + np.exp(1.5 + 0.7 * (ctx["mean_score"] - 15) / 2))
    return ctx


def _favourable_pair(ctx: pd.DataFrame) -> tuple[int, int]:
    """Two rows: the first with fewer large and СОП families and more educated parents."""
    z = (ctx[FACTORS[:3]] - ctx[FACTORS[:3]].mean()) / ctx[FACTORS[:3]].std()
    score = -z["large_family"] - z["sop_family"] + z["both_parents_higher_ed"]
    return int(score.idxmax()), int(score.idxmin())


@pytest.mark.parametrize("method", ["pca", "regression"])
def test_more_favourable_school_gets_a_higher_index(context, method):
    before = context.copy()
    kw = {"outcome": "mean_score"} if method == "regression" else {}
    si = social_index(context, FACTORS, method=method, **kw)
    assert isinstance(si, SocialIndex) and si.method == method
    good, bad = _favourable_pair(context)
    t = si.table
    assert t.loc[good, "index_z"] > t.loc[bad, "index_z"]
    assert t.loc[good, "index_100"] > 50 > t.loc[bad, "index_100"]
    # weights: factors that hinder results weigh negatively, those that help positively
    w = si.weights.set_index("factor")
    assert w.loc["large_family", "sign"] == -1 and w.loc["sop_family", "sign"] == -1
    assert w.loc["both_parents_higher_ed", "sign"] == 1
    assert w.loc[["large_family", "sop_family", "both_parents_higher_ed"], "agrees"].all()
    assert pd.isna(w.loc["school_bus", "agrees"])  # «незначимое»: no sign expected
    assert w.loc["large_family", "label"].startswith("доля обучающихся из многодетных")
    # index_z is standardised, index_100 = 100·Φ(z), and the weights reproduce it
    assert t["index_z"].mean() == pytest.approx(0, abs=1e-12)
    assert t["index_z"].std() == pytest.approx(1, rel=1e-12)
    np.testing.assert_allclose(t["index_100"], 100 * stats.norm.cdf(t["index_z"]))
    z = (context[FACTORS] - w["mean"]) / w["sd"]
    np.testing.assert_allclose(z.to_numpy() @ w.loc[FACTORS, "weight"].to_numpy(), t["index_z"])
    np.testing.assert_allclose(si.score(context), t["index_z"])
    assert list(t.columns) == ["school_id", "year", "index_z", "index_100"]
    pd.testing.assert_frame_equal(context, before)  # input untouched


def test_regression_weights_are_the_outcome_model(context):
    si = social_index(context, FACTORS, method="regression", outcome="mean_score")
    z = (context[FACTORS] - context[FACTORS].mean()) / context[FACTORS].std()
    ref = sm.OLS(context["mean_score"], sm.add_constant(z)).fit()  # statsmodels on the same data
    w = si.weights.set_index("factor").loc[FACTORS]
    np.testing.assert_allclose(w["coef"], ref.params[FACTORS], rtol=1e-9)
    np.testing.assert_allclose(w["p_value"], ref.pvalues[FACTORS], rtol=1e-9)
    # the index is the predicted outcome (without the intercept), standardised
    pred = ref.fittedvalues - ref.params["const"]
    np.testing.assert_allclose(si.table["index_z"], pred / pred.std(), rtol=1e-9)
    assert si.explained == pytest.approx(ref.rsquared)
    assert si.higher_is_better is True and si.n == len(context)


def test_regression_on_share_2_is_oriented_by_its_good_direction(context):
    by_score = social_index(context, FACTORS, method="regression", outcome="mean_score")
    by_share = social_index(
        context, FACTORS, method="regression", outcome=context["share_2"]
    )  # a Series named share_2
    assert by_share.higher_is_better is False  # edu_quality.metrics.METRICS: lower is better
    assert np.corrcoef(by_score.table["index_z"], by_share.table["index_z"])[0, 1] > 0.95
    weighted = social_index(
        context,
        FACTORS,
        method="regression",
        outcome="share_2",
        weights=np.full(len(context), 30.0),
    )
    np.testing.assert_allclose(weighted.table["index_z"], by_share.table["index_z"])


def test_pca_orientation_and_explained_share(context):
    si = social_index(context, FACTORS, method="pca")
    w = si.weights.set_index("factor")
    assert 1 / len(FACTORS) < si.explained < 1
    np.testing.assert_allclose(np.linalg.norm(w["loading"]), 1)
    # the same data with the factors reversed in order give the same index
    again = social_index(context[["school_id", "year", *FACTORS[::-1]]], method="pca")
    np.testing.assert_allclose(again.table["index_z"], si.table["index_z"])


def test_pca_oriented_by_context_sign_even_without_known_influence(context):
    # ТЖС and deviant behaviour have no documented influence on results, but their
    # context_sign in the catalogue says they are an unfavourable context
    inta = context.rename(
        columns={"large_family": "tzhs", "sop_family": "deviant", "both_parents_higher_ed": "x"}
    )[["school_id", "year", "tzhs", "deviant", "x"]]
    by_catalogue = social_index(inta, method="pca")
    assert by_catalogue.weights.set_index("factor").loc["tzhs", "sign"] == -1
    unknown = inta.rename(columns={"tzhs": "y", "deviant": "z"})
    with pytest.raises(ValueError, match="передайте `directions` или `outcome`"):
        social_index(unknown, method="pca")
    told = social_index(inta, method="pca", directions={"tzhs": "negative", "deviant": -1})
    by_outcome = social_index(inta, method="pca", outcome=context["mean_score"])
    assert told.weights.set_index("factor").loc["tzhs", "sign"] == -1
    np.testing.assert_allclose(told.table["index_z"], by_outcome.table["index_z"])


def test_missing_factor_leaves_the_index_missing(context):
    ctx = context.copy()
    ctx.loc[3, "sop_family"] = np.nan
    with pytest.warns(FactorWarning, match="Индекс не рассчитан для 1 из 120 строк"):
        si = social_index(ctx, FACTORS, method="pca")
    assert pd.isna(si.table.loc[3, "index_z"]) and si.table["index_z"].notna().sum() == 119
    assert len(si.warnings) == 1


def test_errors(context):
    with pytest.raises(
        ValueError,
        match=r"Параметр `method` должен быть одним из "
        r"\['pca', 'regression'\], передано 'factor'",
    ):
        social_index(context, FACTORS, method="factor")
    with pytest.raises(ValueError, match="`outcome` обязателен"):
        social_index(context, FACTORS, method="regression")
    with pytest.raises(DataError, match="столбец «no_such»"):
        social_index(context, ["large_family", "no_such"], method="pca")
    with pytest.raises(DataError, match="не меняется"):
        social_index(
            context.assign(school_bus=0.2, large_family=0.1), ["school_bus", "large_family"]
        )


def test_constant_factor_is_left_out_with_a_warning(context):
    with pytest.warns(FactorWarning, match="не входят в индекс: school_bus"):
        si = social_index(context.assign(school_bus=0.2), FACTORS)
    assert list(si.weights["factor"]) == FACTORS[:3]
    np.testing.assert_allclose(
        si.table["index_z"], social_index(context, FACTORS[:3]).table["index_z"]
    )


def test_unfavourable_tail_per_year(context):
    si = social_index(context, FACTORS, method="regression", outcome="mean_score")
    marked = unfavourable(si, share=0.25)
    per_year = marked.groupby("year")["unfavourable"].sum()
    assert per_year.to_dict() == {2022: 15, 2023: 15}  # a quarter of 60 schools each year
    for _, g in marked.groupby("year"):
        assert (
            g.loc[g["unfavourable"], "index_z"].max() < g.loc[~g["unfavourable"], "index_z"].min()
        )
    assert "unfavourable" not in si.table.columns  # the index itself is not modified
    pooled = unfavourable(si.table, share=0.1, by=None)
    assert pooled["unfavourable"].sum() == 12
    t = si.table.copy()
    t.loc[0, "index_z"] = np.nan
    assert pd.isna(unfavourable(t).loc[0, "unfavourable"])
    with pytest.raises(ValueError, match="Параметр `share`"):
        unfavourable(si, share=25)


def test_expected_chart_renders(context):
    si = social_index(context, FACTORS)
    d = si.table.merge(context[["school_id", "year", "mean_score"]], on=["school_id", "year"])
    d = d.loc[d["year"] == 2023].reset_index(drop=True)
    d["name"] = None
    d.loc[[0, 5], "name"] = ["МБОУ «СОШ № 5»", "МКОУ «Сережская ООШ»"]
    ax = plots.plot_expected(d, "index_z", "mean_score", labels="name")
    render(ax)
    assert [t.get_text() for t in ax.texts] == ["МБОУ «СОШ № 5»", "МКОУ «Сережская ООШ»"]
    assert ax.get_xlabel() == "индекс социального благополучия"
    assert ax.get_ylabel() == "средний балл"

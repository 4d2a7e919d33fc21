"""Factor influence on the synthetic region: planted effects get their sign, null factors
come out «незначимое» in most seeds."""

from __future__ import annotations

import warnings

import numpy as np

import edu_quality as eq
from edu_quality.synthetic import FACTOR_EFFECTS, NULL_FACTORS, make_region


def school_table(region):
    vpr = region.results_vpr
    vpr = vpr.loc[vpr["year"] == vpr["year"].max()]
    # the school mean of ВПР scores standardised within subject and grade
    z = vpr.groupby(["subject", "grade"])["score"].transform(lambda s: (s - s.mean()) / s.std())
    per_school = (
        vpr.assign(z=z).groupby("school_id").agg(score_z=("z", "mean"), participants=("z", "size"))
    )
    ctx = region.context.loc[region.context["year"] == vpr["year"].max()]
    return ctx.merge(per_school.reset_index(), on="school_id")


def test_planted_signs_and_null_factors_over_seeds():
    factors = [*FACTOR_EFFECTS, *NULL_FACTORS]
    right_signs, null_significant = [], []
    for seed in range(6):
        region = make_region(n_municipalities=3, schools_per_municipality=50, seed=seed)
        table = school_table(region)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = eq.influence(table, "score_z", factors, weights="participants").set_index(
                "factor"
            )
        signs = np.sign(res.loc[list(FACTOR_EFFECTS), "coef"])
        right_signs.append(int((signs == np.sign(list(FACTOR_EFFECTS.values()))).sum()))
        null_significant.append(
            int((res.loc[list(NULL_FACTORS), "direction"] != "незначимое").sum())
        )
    # planted effects: the right sign for most factors in every seed
    assert min(right_signs) >= 6 and np.mean(right_signs) >= 7
    # null factors: «незначимое» in most seeds (Holm-corrected), never more than one at a time
    assert sum(n == 0 for n in null_significant) >= 4 and max(null_significant) <= 1

"""Risk profiles: the Inta seed's profiles across schools, cut-offs, relation to results."""

from __future__ import annotations

import pandas as pd
import pytest
from _helpers import SAMPLES

import edu_quality as eq
from edu_quality.metrics import summarize
from edu_quality.risk import apply_cutoffs, risk_cutoffs, risk_summary, risk_vs_results


@pytest.fixture(scope="module")
def inta():
    return eq.load_dataset(SAMPLES / "inta")


def test_most_frequent_high_risk_factor(inta):
    s = risk_summary(inta.risk_profiles)
    top = s.iloc[0]
    # Inta seed: «Высокая доля обучающихся с рисками учебной неуспешности» is «высокая» at
    # СОШ № 6 and № 8 (scores 6 and 3), «средняя» at СОШ № 5 (9)
    assert top["risk_factor"].startswith("Высокая доля обучающихся с рисками")
    assert (top["schools"], top["n_high"], top["n_medium"]) == (3, 2, 1)
    assert top["share_high_low"] < 2 / 3 < top["share_high_high"]
    assert (s["n_low"] + s["n_medium"] + s["n_high"] == s["schools"]).all()


def test_cutoffs_read_off_the_data(inta):
    cut = risk_cutoffs(inta.risk_profiles).set_index("risk_factor")
    row = cut.loc[[f for f in cut.index if f.startswith("Высокая доля")][0]]
    assert (row["high_max"], row["medium_min"]) == (6, 9)
    assert row["consistent"]


def test_inconsistent_cutoffs_are_reported():
    rp = pd.DataFrame(
        {
            "school_id": ["a", "b"],
            "year": 2023,
            "risk_factor": "F",
            "score": [20, 18],
            "significance": ["высокая", "средняя"],
        }
    )
    row = risk_cutoffs(rp).iloc[0]
    assert not row["consistent"]
    assert "балл 20 отнесён к высокой значимости, а 18 — к средней" in row["note"]


def test_apply_user_cutoffs(inta):
    cut = pd.DataFrame(
        {"risk_factor": inta.risk_profiles["risk_factor"].unique(), "high_max": 6, "medium_max": 35}
    )
    out = apply_cutoffs(inta.risk_profiles, cut)
    assert set(out["significance_by_cutoffs"]) <= {"низкая", "средняя", "высокая"}
    assert out.loc[out["score"] <= 6, "significance_by_cutoffs"].eq("высокая").all()
    with pytest.raises(eq.DataError, match="нет порогов"):
        apply_cutoffs(inta.risk_profiles, cut.iloc[:2])


def test_relation_to_results_warns_about_three_schools(inta):
    s = summarize(inta.aggregates).query("year == 2022")[["school_id", "share_2"]]
    with pytest.warns(UserWarning, match="Мало школ"):
        rel = risk_vs_results(inta.risk_profiles, s)
    assert (rel["schools"] == 3).all()
    assert rel["warning"].str.contains("всего 3 школ").all()
    assert rel["spearman_r"].dropna().between(-1, 1).all()

"""Identification: planted schools of the synthetic region, Рособрнадзор's rule, groups."""

from __future__ import annotations

import pandas as pd
import pytest
from _helpers import SAMPLES

import edu_quality as eq
from edu_quality.identify import STATUSES, classify, composite_results
from edu_quality.metrics import summarize
from edu_quality.synthetic import make_region


@pytest.fixture(scope="module")
def region():
    return eq.load_dataset(SAMPLES / "region")


@pytest.fixture(scope="module")
def truth():
    return make_region().truth  # the committed sample is make_region()'s default output


@pytest.fixture(scope="module")
def classified(region):
    return classify(region, 2024).set_index("school_id")


def test_every_planted_stably_low_school_is_shnor(classified, truth):
    for sid in truth.stably_low:
        row = classified.loc[sid]
        assert row["status"] in ("ШНОР", "ШНОР и ШНСУ"), sid
        assert row["stably_low"]
        # the reason names the low years and the rule
        assert (
            "низкие результаты в" in row["reasons"]
            and "(правило: не менее 2 из 3)" in row["reasons"]
        )
        assert row["adjusted_high"] < 0  # below what its context predicts


def test_every_planted_resilient_school_is_found(classified, truth):
    for sid in truth.resilient:
        row = classified.loc[sid]
        assert row["status"] == "резильентная", (sid, row["reasons"])
        assert row["unfavourable"] and row["adjusted_low"] > 0
        assert "неблагоприятный социальный контекст" in row["reasons"]
        assert "выше ожидаемого" in row["reasons"]


def test_low_results_in_unfavourable_context_are_told_apart(classified, truth):
    shnor = classified.loc[classified["status"].isin(["ШНОР", "ШНОР и ШНСУ"])]
    # a planted stably-low school in an ordinary context is ШНОР alone …
    ordinary = [s for s in truth.stably_low if not classified.loc[s, "unfavourable"]]
    assert ordinary and (classified.loc[ordinary, "status"] == "ШНОР").all()
    # … and unplanted ШНОР are those whose context explains the results, or schools of a
    # group too small to compare within, named by Рособрнадзор's rule alone
    unplanted = classified.loc[shnor.index.difference(list(truth.stably_low))]
    explained = unplanted["unfavourable"] | (
        (unplanted["compared_with"] == "") & unplanted["rosobrnadzor"]
    )
    assert explained.all()
    assert len(shnor) <= 0.2 * len(classified)


def test_output_columns_and_statuses(classified):
    assert set(classified["status"]) <= set(STATUSES)
    for col in (
        "name",
        "group",
        "reasons",
        "actual",
        "expected",
        "adjusted",
        "adjusted_low",
        "adjusted_high",
        "index_z",
    ):
        assert col in classified.columns
    ok = classified["adjusted"].notna()
    assert (classified.loc[ok, "adjusted_low"] <= classified.loc[ok, "adjusted"]).all()
    assert (
        classified["adjusted"] - (classified["actual"] - classified["expected"])
    ).abs().max() < 1e-12
    assert classified.loc[classified["status"] != "", "reasons"].str.len().gt(20).all()


def test_small_groups_are_not_judged_low(classified):
    ovz = classified.loc[classified["group"] == "ОВЗ"]
    assert len(ovz) < 5
    assert not ovz["low"].any() and not ovz["stably_low"].any()
    assert ovz["reasons"].str.contains("меньше школ, чем нужно для сравнения").all()


def _procedure_table(shares: dict[tuple[str, int], float], n: int = 20) -> pd.DataFrame:
    rows = []
    for (subject, year), share in shares.items():
        rows.append(
            {
                "school_id": "A",
                "assessment": "ВПР",
                "subject": subject,
                "grade": 5,
                "year": year,
                "participants": n,
                "n2": round(share * n),
            }
        )
    return pd.DataFrame(rows)


def test_rosobrnadzor_rule_hand_example():
    from edu_quality.identify import _rosobrnadzor

    s = summarize(
        _procedure_table(
            {("Математика", 2023): 0.35, ("Математика", 2024): 0.30, ("Русский язык", 2024): 0.30}
        )
    )
    got = _rosobrnadzor(s, 2024, 0.30, 5, ("ВПР",)).iloc[0]["rosobrnadzor_reason"]
    assert "в 2 процедурах 2024 года" in got
    assert "два года подряд (2023 и 2024): ВПР Математика 5 кл. — 35\u00a0% и 30\u00a0%" in got
    below = summarize(_procedure_table({("Математика", 2023): 0.25, ("Математика", 2024): 0.30}))
    assert _rosobrnadzor(below, 2024, 0.30, 5, ("ВПР",)).empty
    tiny = summarize(
        _procedure_table({("Математика", 2024): 0.5, ("Русский язык", 2024): 0.5}, n=4)
    )
    assert _rosobrnadzor(tiny, 2024, 0.30, 5, ("ВПР",)).empty  # under min_n: not judged


def test_years_without_exams_do_not_count(tmp_path):
    ds = eq.load_dataset(SAMPLES / "inta")
    c = classify(ds, 2021, metric="share_2", min_group=2)
    assert 2020 not in c.attrs["rules"]["years"]
    assert c.attrs["rules"]["years"] == [2019, 2021]
    with pytest.raises(ValueError, match="нет результатов за 2020 год"):
        classify(ds, 2020, metric="share_2")


def test_inta_2022_rosobrnadzor_reasons():
    c = classify(eq.load_dataset(SAMPLES / "inta"), 2022, metric="share_2", min_group=2)
    c = c.set_index("school_id")
    # ОГЭ mathematics: «2» 45 % → 62,5 % (СОШ № 5), 89 % → 86 % (СОШ № 6), 38 % → 75 % (СОШ № 8)
    for sid in ("INT05", "INT06", "INT08"):
        assert c.loc[sid, "rosobrnadzor"]
        assert "два года подряд (2021 и 2022): ОГЭ Математика 9 кл." in c.loc[sid, "reasons"]


def test_composite_is_a_weighted_mean_of_z_scores():
    s = pd.DataFrame(
        {
            "school_id": ["a", "b", "c", "a", "b", "c"],
            "assessment": "ВПР",
            "subject": ["М"] * 3 + ["Р"] * 3,
            "grade": 4,
            "year": 2021,
            "participants": [10, 10, 10, 30, 30, 30],
            "mean_score": [10.0, 12.0, 14.0, 20.0, 30.0, 40.0],
            "score_sd": 3.0,
            "share_2": 0.1,
        }
    )
    comp = composite_results(s).set_index("school_id")["composite"]
    # both subjects give z = −1, 0, +1: the weighted mean is the same
    assert comp.round(12).tolist() == [-1.0, 0.0, 1.0]


def test_bad_rules(region):
    with pytest.raises(ValueError, match="Параметр `low_share`"):
        classify(region, 2024, low_share=1.5)
    with pytest.raises(ValueError, match="1 ≤ k ≤ n"):
        classify(region, 2024, k=4, n=3)


def test_rosobrnadzor_rule_on_pooled_subjects():
    from edu_quality.identify import _rosobrnadzor

    rows = []
    for grade, n2 in ((5, 8), (6, 2)):  # grade 5: 40 %, grade 6: 10 % → pooled 25 %
        for subject in ("Математика", "Русский язык"):
            rows.append(
                {
                    "school_id": "A",
                    "assessment": "ВПР",
                    "subject": subject,
                    "grade": grade,
                    "year": 2024,
                    "participants": 20,
                    "n2": n2,
                }
            )
    s = summarize(pd.DataFrame(rows))
    assert len(_rosobrnadzor(s, 2024, 0.30, 5, ("ВПР",))) == 1  # two grade-5 works at 40 %
    assert _rosobrnadzor(s, 2024, 0.30, 5, ("ВПР",), ("assessment", "subject")).empty

"""Tests of edu_quality.objectivity: ВПР against the journal, the signs, and our stricter triage.

The federal index is tested in test_objectivity_federal.py."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from edu_quality.errors import DataError
from edu_quality.objectivity import (
    FEDERAL_METHOD,
    MESSAGE_FLAGGED,
    MESSAGE_SINGLE_SIGN,
    SOURCE_EXTRA,
    TRIAGE_LABEL,
    ObjectivityIndex,
    extra_signs,
    marks_vs_journal,
    objectivity_triage,
    sign_cohort_change,
    sign_high_mean,
    sign_journal_mismatch,
)

MATH = "Математика"
RUSSIAN = "Русский язык"
#: The literal reading of the federal method: one sign marks, any negative correlation counts.
LITERAL = {"min_signs": 1, "require_significance": False}
SINGLE = "правило edu_quality (строже федеральной методики): отдельный признак (для отметки нужно совпадение не менее 2 признаков)"

# Maximum primary scores of ВПР 2021 (ФИОКО descriptions of the works, «Рекомендации
# по переводу первичных баллов в отметки»).
MAX_SCORES = pd.DataFrame(
    {
        "subject": [MATH, MATH, RUSSIAN, RUSSIAN],
        "grade": [4, 5, 4, 5],
        "max_score": [20, 20, 38, 45],
    }
)


def pupils(
    school_id,
    scores,
    *,
    journal=None,
    marks=None,
    year=2023,
    assessment="ВПР",
    subject=MATH,
    grade=4,
):
    """Canonical pupil-level rows of one school, one work."""
    n = len(scores)
    return pd.DataFrame(
        {
            "year": pd.Series([year] * n, dtype="int64"),
            "assessment": pd.Series([assessment] * n, dtype="str"),
            "subject": pd.Series([subject] * n, dtype="str"),
            "grade": pd.Series([grade] * n, dtype="int64"),
            "school_id": pd.Series([school_id] * n, dtype="str"),
            "pupil_id": pd.Series([f"{school_id}-{grade}-{i}" for i in range(n)], dtype="str"),
            "score": pd.Series(scores, dtype="float64"),
            "mark": pd.array(marks if marks is not None else [None] * n, dtype="Int64"),
            "journal_mark": pd.array(journal if journal is not None else [None] * n, dtype="Int64"),
        }
    )


def concat(*frames):
    return pd.concat(frames, ignore_index=True)


def t_interval(x, alpha=0.05):
    """mean ± t(1 − α/2, n − 1)·s/√n, written out."""
    x = np.asarray(x, dtype=float)
    half = stats.t.ppf(1 - alpha / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x))
    return x.mean(), x.mean() - half, x.mean() + half


# ---------------------------------------------------------------- marks_vs_journal


@pytest.fixture
def journal_results():
    # school A: 10 pupils with both marks, 2 without a journal mark, 1 absent from the ВПР
    a = pupils(
        "A",
        [10] * 13,
        marks=[2, 3, 3, 4, 4, 4, 5, 5, 5, 3, 4, 5, None],
        journal=[4, 3, 4, 4, 3, 2, 3, 5, 4, 5, None, None, 4],
    )
    # school B: 4 pupils, every ВПР mark above the journal mark (once by 2)
    b = pupils("B", [10] * 4, marks=[4, 5, 5, 5], journal=[3, 3, 4, 4])
    # ОГЭ rows are not compared with the journal
    oge = pupils("A", [20] * 3, marks=[2, 2, 2], journal=[5, 5, 5], assessment="ОГЭ", grade=9)
    return concat(a, b, oge)


def test_marks_vs_journal_counts_shares_and_wilson(journal_results):
    out = marks_vs_journal(journal_results, min_n=5)
    assert out[["school_id", "grade"]].to_dict("list") == {"school_id": ["A", "B"], "grade": [4, 4]}
    a = out.iloc[0]
    # by hand, ВПР − journal for A: −2, 0, −1, 0, +1, +2, +2, 0, +1, −2
    assert (a["n"], a["n_lower"], a["n_equal"], a["n_higher"], a["n_gap2"]) == (10, 3, 3, 4, 4)
    assert (a["n_no_journal"], a["n_no_mark"]) == (2, 1)
    assert not a["small"]
    for part, count in (("lower", 3), ("equal", 3), ("higher", 4), ("gap2", 4)):
        assert a[f"share_{part}"] == pytest.approx(count / 10)
        # statsmodels' Wilson interval on the same counts
        low, high = proportion_confint(count, 10, alpha=0.05, method="wilson")
        assert a[f"share_{part}_low"] == pytest.approx(low, rel=1e-12)
        assert a[f"share_{part}_high"] == pytest.approx(high, rel=1e-12)
    assert a["share_lower"] + a["share_equal"] + a["share_higher"] == pytest.approx(1)
    b = out.iloc[1]
    assert (b["n"], b["n_higher"], b["n_gap2"], bool(b["small"])) == (4, 4, 1, True)
    low, high = proportion_confint(4, 4, alpha=0.1, method="wilson")
    b90 = marks_vs_journal(journal_results, alpha=0.1).iloc[1]
    assert (b90["share_higher_low"], b90["share_higher_high"]) == pytest.approx((low, high))


def test_marks_vs_journal_group_without_journal_marks():
    res = pupils("C", [5, 6, 7], marks=[3, 3, 4], journal=[None, None, None])
    row = marks_vs_journal(res).iloc[0]
    assert (row["n"], row["n_no_journal"]) == (0, 3)
    assert np.isnan(row["share_equal"]) and np.isnan(row["share_equal_low"])
    assert row["small"]


# ---------------------------------------------------------------- sign 1: high mean


def test_sign_high_mean_against_written_out_t_intervals():
    high = [18, 19, 20, 19, 18, 20]
    s2 = [9, 11, 10, 12, 8, 10]
    s3 = [10, 12, 9, 11, 13, 10]
    tiny = [20, 20, 19]  # too few pupils: shown, not judged
    res = concat(
        pupils("A", high),
        pupils("B", s2),
        pupils("C", s3),
        pupils("D", tiny),
        # another stratum: ОГЭ grade 9, where nobody stands out
        pupils("A", [15, 16, 17, 18, 14], assessment="ОГЭ", grade=9),
        pupils("B", [15, 17, 16, 14, 18], assessment="ОГЭ", grade=9),
        # not examined: ВПР grade 6
        pupils("A", [20] * 5, grade=6),
    )
    out = sign_high_mean(res, interval="t", min_n=5)
    vpr = out[out["assessment"] == "ВПР"].set_index("school_id")
    assert list(vpr.index) == ["A", "B", "C", "D"]
    assert set(out["grade"]) == {4, 9}

    region = high + s2 + s3 + tiny
    r_mean, r_low, r_high = t_interval(region)
    for sid, scores in (("A", high), ("B", s2), ("C", s3), ("D", tiny)):
        mean, low, high_ = t_interval(scores)
        row = vpr.loc[sid]
        assert (row["school_mean"], row["school_low"], row["school_high"]) == pytest.approx(
            (mean, low, high_), rel=1e-12
        )
        assert (row["region_mean"], row["region_low"], row["region_high"]) == pytest.approx(
            (r_mean, r_low, r_high), rel=1e-12
        )
        assert row["region_n"] == len(region)
    assert vpr.loc["A", "school_low"] > vpr.loc["A", "region_high"]
    assert vpr["flag"].to_dict() == {"A": True, "B": False, "C": False, "D": False}
    assert vpr.loc["D", "note"].startswith("меньше 5 участников")
    assert (vpr.loc[["A", "B", "C"], "note"] == "").all()
    assert not out.loc[out["assessment"] == "ОГЭ", "flag"].any()
    assert out["source"].str.startswith(FEDERAL_METHOD).all()
    # with the literal reading (no minimum) the tiny school is judged
    literal = sign_high_mean(res, min_n=2, interval="t").set_index(["assessment", "school_id"])
    assert literal.loc[("ВПР", "D"), "note"] == ""


def test_sign_high_mean_alpha_widens_intervals():
    res = concat(
        pupils("A", [14, 15, 16, 15, 14]),
        pupils("B", [10, 12, 11, 13, 9]),
        pupils("C", [12, 11, 10, 12, 13]),
    )
    narrow = sign_high_mean(res, alpha=0.2, interval="t", min_n=5).set_index("school_id")
    wide = sign_high_mean(res, alpha=0.01, interval="t", min_n=5).set_index("school_id")
    assert (
        wide["school_high"] - wide["school_low"] > narrow["school_high"] - narrow["school_low"]
    ).all()
    assert narrow.loc["A", "school_low"] == pytest.approx(
        t_interval([14, 15, 16, 15, 14], alpha=0.2)[1]
    )


# ---------------------------------------------------------------- sign 2: journal mismatch


def ranks_correlation(x, y):
    """Spearman's rho as the Pearson correlation of average ranks, written out."""
    return float(np.corrcoef(stats.rankdata(x), stats.rankdata(y))[0, 1])


def test_sign_journal_mismatch_reversed_and_agreeing_schools():
    scores = [3, 6, 9, 12, 15, 18]
    agree = [2, 3, 3, 4, 5, 5]
    reversed_ = [5, 5, 4, 3, 3, 2]
    res = concat(
        pupils("agree", scores, journal=agree),
        pupils("reversed", scores, journal=reversed_),
        pupils("constant", scores, journal=[4] * 6),  # rho undefined
        pupils("few", [3, 6, 9], journal=[5, 4, 3]),  # too few pupils
        pupils("oge", scores, journal=reversed_, assessment="ОГЭ", grade=9),  # not ВПР
    )
    out = sign_journal_mismatch(res, min_n=5).set_index("school_id")
    assert sorted(out.index) == ["agree", "constant", "few", "reversed"]
    assert out.loc["agree", "rho"] == pytest.approx(ranks_correlation(agree, scores))
    assert out.loc["reversed", "rho"] == pytest.approx(ranks_correlation(reversed_, scores))
    assert out.loc["reversed", "rho"] < 0 < out.loc["agree", "rho"]
    assert out["flag"].to_dict() == {
        "agree": False,
        "reversed": True,
        "constant": False,
        "few": False,
    }
    assert np.isnan(out.loc["constant", "rho"])
    assert "одна и та же отметка по журналу" in out.loc["constant", "note"]
    assert out.loc["few", "note"].startswith("меньше 5 участников")
    # one-sided p-value of «the correlation is negative»
    expected_p = stats.spearmanr(reversed_, scores, alternative="less").pvalue
    assert out.loc["reversed", "p_value"] == pytest.approx(expected_p)
    assert out.loc["agree", "p_value"] > 0.5
    assert out["source"].str.contains("несоответствие результатов ВПР").all()


def test_sign_journal_mismatch_significance_is_optional():
    # weakly negative: rho < 0 but far from significant
    scores = [4, 8, 12, 16, 20, 6]
    journal = [4, 3, 4, 3, 4, 4]
    res = pupils("weak", scores, journal=journal)
    loose = sign_journal_mismatch(res, min_n=5).iloc[0]
    strict = sign_journal_mismatch(res, require_significance=True, min_n=5).iloc[0]
    assert loose["rho"] < 0 and loose["p_value"] > 0.05
    assert loose["flag"] and not strict["flag"]
    strong = pupils("strong", list(range(1, 13)), journal=[5, 5, 5, 4, 4, 4, 3, 3, 3, 2, 2, 2])
    assert sign_journal_mismatch(strong, require_significance=True, min_n=5).iloc[0]["flag"]


# ---------------------------------------------------------------- sign 3: cohort change


def test_sign_cohort_change_quartiles_by_hand():
    # K of 12 schools, built by hand; every grade-5 class scores 6 of 20 (30 %),
    # so a grade-4 class scoring 6·K of 20 has K = S4 / S5.
    k = {
        "s01": 0.90,
        "s02": 0.95,
        "s03": 1.00,
        "s04": 1.00,
        "s05": 1.02,
        "s06": 1.05,
        "s07": 1.05,
        "s08": 1.10,
        "s09": 1.10,
        "s10": 1.15,
        "fall": 2.50,
        "rise": 0.20,
    }
    frames = []
    for sid, kk in k.items():
        frames.append(pupils(sid, [6 * kk] * 5, year=2022, grade=4))
        frames.append(pupils(sid, [6.0] * 5, year=2023, grade=5))
    frames.append(pupils("small", [18.0] * 3, year=2022, grade=4))  # too few pupils
    frames.append(pupils("small", [6.0] * 3, year=2023, grade=5))
    frames.append(pupils("only4", [10.0] * 5, year=2022, grade=4))  # no grade 5 next year
    frames.append(pupils("s01", [6.0] * 5, year=2022, grade=5))  # grade 5 without grade 4 before
    res = concat(*frames)
    out = sign_cohort_change(res, max_scores=MAX_SCORES, min_n=5)

    assert set(out["school_id"]) == set(k) | {"small"}
    assert set(out["year"]) == {2023} and set(out["year_grade4"]) == {2022}
    values = np.array(list(k.values()))
    q25, q75 = np.percentile(values, [25, 75])
    iqr = q75 - q25
    row = out.iloc[0]
    assert (row["q25"], row["q75"], row["iqr"]) == pytest.approx((q25, q75, iqr))
    assert row["upper"] == pytest.approx(q75 + 3 * iqr)
    assert row["lower"] == pytest.approx(q25 - 3 * iqr)

    by_id = out.set_index("school_id")
    for sid, kk in k.items():
        assert by_id.loc[sid, "k"] == pytest.approx(kk)
        assert by_id.loc[sid, "s_grade5"] == pytest.approx(30.0)
    assert by_id.loc["fall", "s_grade4"] == pytest.approx(75.0)
    assert by_id.loc["fall", "direction"] == "резкое падение"
    assert by_id.loc["rise", "direction"] == "резкое возрастание"
    assert set(out.loc[out["flag"], "school_id"]) == {"fall", "rise"}
    assert by_id.loc["small", "k"] == pytest.approx(3.0)  # shown, but not judged
    assert not by_id.loc["small", "flag"]
    assert by_id.loc["small", "note"].startswith("меньше 5 участников")

    # a wider fence flags nothing; a narrow one flags more
    assert not sign_cohort_change(res, max_scores=MAX_SCORES, k_iqr=15, min_n=5)["flag"].any()
    narrow = sign_cohort_change(res, max_scores=MAX_SCORES, k_iqr=0.5, min_n=5)
    assert set(narrow.loc[narrow["flag"], "school_id"]) == {"fall", "rise", "s01"}


def test_sign_cohort_change_max_scores_by_year_and_errors():
    res = concat(
        pupils("A", [10] * 5, year=2022, grade=4), pupils("A", [10] * 5, year=2023, grade=5)
    )
    by_year = pd.DataFrame(
        {"subject": [MATH] * 2, "grade": [4, 5], "year": [2022, 2023], "max_score": [20, 25]}
    )
    row = sign_cohort_change(res, max_scores=by_year, min_n=5).iloc[0]
    assert (row["s_grade4"], row["s_grade5"]) == pytest.approx((50.0, 40.0))
    with pytest.raises(
        DataError, match="нет максимального балла для subject = Математика, grade = 5"
    ):
        sign_cohort_change(res, max_scores=MAX_SCORES.iloc[[0]], min_n=5)
    with pytest.raises(DataError, match="балл больше максимального"):
        sign_cohort_change(res, max_scores=MAX_SCORES.assign(max_score=8))
    with pytest.raises(DataError, match="max_score"):
        sign_cohort_change(res, max_scores=MAX_SCORES.drop(columns="max_score"))
    with pytest.raises(ValueError, match="Параметр `max_scores`"):
        sign_cohort_change(res, max_scores={"Математика": 20})


# ---------------------------------------------------------------- the index


@pytest.fixture
def index_results():
    agree = [3, 3, 4, 4, 5]
    scores = [8, 9, 10, 11, 12]
    return concat(
        # 2023: A has high results (sign 1), B reversed journal marks (sign 2)
        pupils("A", [18, 19, 20, 19, 18], journal=[4, 4, 5, 5, 5]),
        pupils("B", scores, journal=[5, 5, 4, 3, 3]),
        pupils("C", scores, journal=agree),
        pupils("D", [9, 8, 11, 12, 10], journal=[3, 3, 4, 5, 4]),
        pupils("E", [20, 20], journal=[3, 2]),  # too few pupils for any sign
        # 2024: four ordinary schools
        *(pupils(s, scores, journal=agree, year=2024) for s in "ABCD"),
    )


def test_objectivity_index_arithmetic(index_results):
    # the literal reading: one sign is enough
    res = objectivity_triage(index_results, max_scores=MAX_SCORES, **LITERAL)
    assert isinstance(res, ObjectivityIndex)
    schools = res.schools.set_index(["year", "school_id"])
    assert schools.loc[(2023, "A"), "high_mean"] and schools.loc[(2023, "B"), "journal_mismatch"]
    assert schools.loc[(2023, "A"), "flagged"] and schools.loc[(2023, "B"), "flagged"]
    assert not schools.loc[(2023, "C"), "flagged"]
    assert pd.isna(schools.loc[(2023, "A"), "cohort_change"])  # not judged: no grade 5
    assert not schools.loc[(2023, "E"), "evaluated"]
    assert schools.loc[(2023, "E"), "message"].startswith("недостаточно данных")

    region = res.region.set_index("year")
    # 2023: 2 of the 4 evaluated schools marked (E is not counted): 100 − 50 = 50
    assert region.loc[2023, ["n_schools", "n_flagged"]].tolist() == [4, 2]
    assert region.loc[2023, "share_flagged"] == pytest.approx(50.0)
    assert region.loc[2023, "index"] == pytest.approx(100 - 100 * 2 / 4)
    assert region.loc[2023, ["n_high_mean", "n_journal_mismatch", "n_cohort_change"]].tolist() == [
        1,
        1,
        0,
    ]
    assert region.loc[2023, "n_one_sign"] == 2
    assert region.loc[2024, "index"] == pytest.approx(100.0)
    assert (res.region["source"] == TRIAGE_LABEL).all() and res.method == TRIAGE_LABEL
    assert set(res.signs) == {"high_mean", "journal_mismatch", "cohort_change"}
    assert res.region.attrs["min_signs"] == 1 and not res.region.attrs["require_significance"]

    # the defaults: A and B each show one sign (B's reversal is significant, p < 0.01),
    # no school two, so none is marked; the one-sign reading is shown beside the index
    default = objectivity_triage(index_results, max_scores=MAX_SCORES)
    schools = default.schools.set_index(["year", "school_id"])
    assert schools.loc[[(2023, "A"), (2023, "B")], "n_signs"].tolist() == [1, 1]
    assert not default.schools["flagged"].any()
    region = default.region.set_index("year")
    assert region.loc[2023, ["n_schools", "n_flagged", "n_one_sign"]].tolist() == [4, 0, 2]
    assert region.loc[2023, "index"] == pytest.approx(100.0)
    assert default.schools.attrs["min_signs"] == 2 and default.schools.attrs["require_significance"]


def test_objectivity_messages_are_signs_to_check(index_results):
    schools = objectivity_triage(index_results, max_scores=MAX_SCORES, **LITERAL).schools
    flagged = schools[schools["flagged"]]
    assert set(flagged["school_id"]) == {"A", "B"}
    assert flagged["message"].str.startswith(f"{TRIAGE_LABEL}: {MESSAGE_FLAGGED}").all()
    assert MESSAGE_FLAGGED == "признаки необъективности: требуется проверка"
    a = flagged.set_index("school_id").loc["A", "message"]
    assert "признак «завышенные значения среднего балла»: 4 МА" in a
    assert (
        schools.loc[~schools["flagged"] & schools["evaluated"], "message"]
        == "признаков необъективности не выявлено"
    ).all()
    # never a verdict such as «результаты необъективны»
    assert not schools["message"].str.contains(r"необъективн(?:ы|ые|ая|ый)\b").any()
    # the method's own sign names are quoted («завышенные значения среднего балла»)
    unquoted = schools["message"].str.replace(r"«[^»]*»", "", regex=True)
    assert not unquoted.str.contains("нарушен|завыш").any()
    # by default a single sign is a note, not a mark, and is worded so
    default = objectivity_triage(index_results, max_scores=MAX_SCORES).schools
    single = default[default["n_signs"] == 1]
    assert set(single["school_id"]) == {"A", "B"}
    assert single["message"].str.startswith(SINGLE + ": ").all()
    assert not default["message"].str.contains(MESSAGE_FLAGGED).any()
    unquoted = default["message"].str.replace(r"«[^»]*»", "", regex=True)
    assert not unquoted.str.contains(r"необъективн(?:ы|ые|ая|ый)\b|нарушен|завыш").any()


@pytest.fixture
def coinciding_results():
    return concat(
        pupils("A", [18, 19, 20, 19, 20], journal=[4, 4, 5, 5, 5]),  # high results only
        pupils("C", [8, 9, 10, 11, 12], journal=[3, 3, 4, 4, 5]),
        pupils("D", [9, 8, 11, 12, 10], journal=[3, 3, 4, 5, 4]),
        # high results and journal marks against the scores, significantly
        pupils("F", [18, 19, 20, 19, 20], journal=[5, 4, 3, 4, 2]),
        # high results and a weak, non-significant negative correlation
        pupils("W", [18, 19, 20, 19, 20, 18], journal=[5, 4, 4, 5, 4, 4]),
    )


def test_min_signs_asks_for_coinciding_signs(coinciding_results):
    res = objectivity_triage(coinciding_results, max_scores=MAX_SCORES)
    high = res.signs["high_mean"].set_index("school_id")
    assert set(high.index[high["flag"]]) == {"A", "F", "W"}
    journal = res.signs["journal_mismatch"].set_index("school_id")
    assert journal.loc["F", "rho"] < 0 and journal.loc["F", "p_value"] < 0.05
    assert journal.loc["W", "rho"] < 0 and journal.loc["W", "p_value"] > 0.05
    assert set(journal.index[journal["flag"]]) == {"F"}

    schools = res.schools.set_index("school_id")
    assert schools["n_signs"].to_dict() == {"A": 1, "C": 0, "D": 0, "F": 2, "W": 1}
    assert schools["flagged"].to_dict() == {
        "A": False,
        "C": False,
        "D": False,
        "F": True,
        "W": False,
    }
    assert (
        schools.loc["A", "message"]
        == f"{SINGLE}: признак «завышенные значения среднего балла»: 4 МА"
    )
    assert schools.loc["W", "message"] == schools.loc["A", "message"]
    assert schools.loc["F", "message"] == (
        f"{TRIAGE_LABEL}: {MESSAGE_FLAGGED} — признак «завышенные значения среднего балла»: "
        "4 МА; признак «несоответствие результатов ВПР и школьных отметок»: 4 МА"
    )
    assert schools.loc["C", "message"] == "признаков необъективности не выявлено"
    row = res.region.iloc[0]
    # 5 schools judged; F marked: 100 − 100·1/5; A, F, W with a sign: 100 − 100·3/5
    assert [row[c] for c in ("n_schools", "n_flagged", "n_one_sign")] == [5, 1, 3]
    assert [row[c] for c in ("n_high_mean", "n_journal_mismatch", "n_cohort_change")] == [3, 1, 0]
    assert (row["share_flagged"], row["index"]) == pytest.approx((20.0, 80.0))

    def region(**options):
        return objectivity_triage(coinciding_results, max_scores=MAX_SCORES, **options).region.iloc[
            0
        ]

    # two signs with the literal journal sign: W's weak correlation now counts
    loose = region(require_significance=False)
    assert (loose["n_flagged"], loose["n_journal_mismatch"], loose["index"]) == (2, 2, 60.0)
    # the literal reading: every school with a sign, the index equal to the one-sign one
    literal = region(**LITERAL)
    assert (literal["n_flagged"], literal["index"], literal["n_one_sign"]) == (3, 40.0, 3)
    # three signs: none here (the cohort sign cannot be judged), F's two signs are a note
    strict = objectivity_triage(coinciding_results, max_scores=MAX_SCORES, min_signs=3)
    assert not strict.schools["flagged"].any()
    assert strict.region.loc[0, "index"] == pytest.approx(100.0)
    assert (
        strict.schools.set_index("school_id")
        .loc["F", "message"]
        .startswith(
            f"{TRIAGE_LABEL}: "
            + MESSAGE_SINGLE_SIGN.format(what="отдельные признаки", min_signs=3)
            + ": признак «завышенные"
        )
    )


def test_extra_signs_are_kept_out_of_the_federal_index():
    # every pupil gets «5» on the ВПР against «3» in the journal: the journal marks
    # are all equal, so the federal journal sign cannot be judged; the mean is ordinary
    res = concat(
        pupils("X", [10, 11, 12, 10, 11, 12], marks=[5] * 6, journal=[3] * 6),
        pupils("Y", [10, 11, 12, 10, 11, 12], marks=[4] * 6, journal=[4] * 6),
        pupils("Z", [10, 11, 12, 10, 11, 12], marks=[4, 4, 4, 4, 5, 5], journal=[4, 4, 4, 4, 5, 5]),
    )
    extra = extra_signs(res)
    assert set(extra["rule"]) == {"доля «повысили» выше порога", "расхождение на 2 и более отметки"}
    assert set(extra.loc[extra["flag"], "school_id"]) == {"X"}
    assert (extra["source"] == SOURCE_EXTRA).all()
    assert SOURCE_EXTRA == "дополнительное правило edu_quality"
    x = extra[extra["school_id"] == "X"].iloc[0]
    low, _ = proportion_confint(6, 6, method="wilson")
    assert (x["share"], x["share_low"], x["threshold"]) == pytest.approx((1.0, low, 0.25))
    assert "не входит в федеральный индекс" in x["message"]
    index = objectivity_triage(res, max_scores=MAX_SCORES)
    assert not index.schools["flagged"].any()
    assert index.region.loc[0, "index"] == pytest.approx(100.0)
    only_gap = extra_signs(res, higher_threshold=None)
    assert set(only_gap["rule"]) == {"расхождение на 2 и более отметки"}


# ---------------------------------------------------------------- options and data errors


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda r: marks_vs_journal(r, alpha=2),
            "Параметр `alpha` должен быть числом между 0 и 1, передано 2",
        ),
        (
            lambda r: sign_high_mean(r, alpha=0, interval="t", min_n=5),
            "Параметр `alpha` должен быть числом между 0 и 1",
        ),
        (
            lambda r: sign_high_mean(r, min_n=0, interval="t"),
            "Параметр `min_n` должен быть целым числом не меньше 1, передано 0",
        ),
        (lambda r: sign_high_mean(r, assessments=[("ВПР",)]), "Параметр `assessments`"),
        (lambda r: sign_high_mean(r, subjects=[4], interval="t", min_n=5), "Параметр `subjects`"),
        (lambda r: sign_journal_mismatch(r, grades=["4"], min_n=5), "Параметр `grades`"),
        (
            lambda r: sign_journal_mismatch(r, require_significance="да", min_n=5),
            "Параметр `require_significance` должен быть True или False, передано 'да'",
        ),
        (
            lambda r: sign_cohort_change(r, max_scores=MAX_SCORES, k_iqr=-1, min_n=5),
            "Параметр `k_iqr` должен быть положительным числом, передано -1",
        ),
        (lambda r: extra_signs(r, higher_threshold=1.5), "Параметр `higher_threshold`"),
        (lambda r: marks_vs_journal(r, by=[]), "Параметр `by`"),
        (
            lambda r: objectivity_triage(r, max_scores=MAX_SCORES, min_signs=0),
            "Параметр `min_signs` должен быть целым числом от 1 до 3",
        ),
        (
            lambda r: objectivity_triage(r, max_scores=MAX_SCORES, min_signs=4),
            "передано 4",
        ),
        (
            lambda r: objectivity_triage(r, max_scores=MAX_SCORES, min_signs=2.0),
            "Параметр `min_signs`",
        ),
        (
            lambda r: objectivity_triage(r, max_scores=MAX_SCORES, min_signs=True),
            "Параметр `min_signs`",
        ),
        (
            lambda r: objectivity_triage(r, max_scores=MAX_SCORES, require_significance=1),
            "Параметр `require_significance` должен быть True или False",
        ),
    ],
)
def test_bad_options_name_the_parameter(call, message):
    res = pupils("A", [10] * 5, marks=[4] * 5, journal=[4] * 5)
    with pytest.raises(ValueError, match=re.escape(message)):
        call(res)


def test_missing_columns_raise_data_error():
    res = pupils("A", [10] * 5, marks=[4] * 5, journal=[4] * 5)
    with pytest.raises(DataError, match="journal_mark") as info:
        sign_journal_mismatch(res.drop(columns="journal_mark"))
    assert info.value.column == "journal_mark"
    with pytest.raises(DataError, match="score"):
        sign_high_mean(res.drop(columns="score"))
    with pytest.raises(DataError, match="municipality"):
        marks_vs_journal(res, by=("municipality", "year"))
    with pytest.raises(DataError, match="Найдено проблем: 2"):
        objectivity_triage(res.drop(columns=["score", "school_id"]), max_scores=MAX_SCORES)


def test_input_not_mutated_and_index_labels_ignored(index_results, journal_results):
    data = concat(index_results, journal_results)
    data.index = [7] * len(data)  # duplicate labels must not matter
    before = data.copy(deep=True)
    objectivity_triage(data, max_scores=MAX_SCORES)
    marks_vs_journal(data)
    extra_signs(data)
    sign_cohort_change(data, max_scores=MAX_SCORES, min_n=5)
    pd.testing.assert_frame_equal(data, before)
    plain = objectivity_triage(data.reset_index(drop=True), max_scores=MAX_SCORES)
    dup = objectivity_triage(data, max_scores=MAX_SCORES)
    pd.testing.assert_frame_equal(plain.schools, dup.schools)


def test_no_matching_rows_give_empty_tables():
    res = pupils("A", [50.0] * 5, assessment="ЕГЭ", grade=11)
    out = objectivity_triage(res, max_scores=MAX_SCORES)
    assert out.schools.empty and out.region.empty
    assert "index" in out.region.columns and "message" in out.schools.columns
    assert "n_one_sign" in out.region.columns


# ---------------------------------------------------------------- the synthetic region


@pytest.fixture(scope="module")
def region():
    synthetic = pytest.importorskip(
        "edu_quality.synthetic", reason="edu_quality.synthetic (make_region) is not written yet"
    )
    return synthetic.make_region()


def test_synthetic_region_planted_inflation_is_found(region):
    truth = region.truth
    inflating = set(truth.inflating)
    assert inflating
    results = concat(region.results_vpr, region.results_oge)

    # the defaults (two coinciding signs, significant journal sign): the planted
    # inflating schools are marked, every year, and the honest ones never
    res = objectivity_triage(results, max_scores=MAX_SCORES)
    schools = res.schools[res.schools["evaluated"]]
    planted = schools[schools["school_id"].isin(inflating)]
    honest = schools[~schools["school_id"].isin(inflating)]
    n_years = schools["year"].nunique()
    assert n_years >= 3
    assert set(planted["school_id"]) == inflating
    assert (planted.groupby("school_id")["year"].nunique() == n_years).all()
    assert planted["flagged"].all(), planted.loc[~planted["flagged"], ["year", "school_id"]]
    assert planted["message"].str.startswith(f"{TRIAGE_LABEL}: {MESSAGE_FLAGGED} — ").all()
    assert honest["school_id"].nunique() >= 30
    assert not honest["flagged"].any(), honest.loc[honest["flagged"], ["year", "school_id"]]
    # honest schools with a single sign are listed with a note, not marked
    single = honest[honest["n_signs"] > 0]
    assert len(single) > 0
    assert single["message"].str.startswith(SINGLE + ": ").all()

    # the literal reading (one sign, any negative correlation)
    literal = objectivity_triage(results, max_scores=MAX_SCORES, **LITERAL)
    lschools = literal.schools[literal.schools["evaluated"]]
    assert lschools.loc[lschools["school_id"].isin(inflating), "flagged"].all()
    lhonest = lschools[~lschools["school_id"].isin(inflating)]
    marked_honest = set(lhonest.loc[lhonest["flagged"], "school_id"])
    # it marks many honest schools, almost all by sign (a) alone ...
    assert len(marked_honest) >= 0.25 * lhonest["school_id"].nunique()
    marked_rows = lhonest[lhonest["flagged"]]
    assert (marked_rows["high_mean"].fillna(False) & (marked_rows["n_signs"] == 1)).mean() > 0.9
    # ... and the honest schools it marks are genuinely strong ones: «high results»
    # compares levels and cannot tell them from inflation
    ability = truth.schools.set_index("school_id")["ability"]
    others = set(lhonest["school_id"]) - marked_honest
    assert ability[sorted(marked_honest)].mean() > ability[sorted(others)].mean() + 0.3
    high = literal.signs["high_mean"]
    high_honest = set(high.loc[high["flag"], "school_id"]) - inflating
    others = set(lhonest["school_id"]) - high_honest
    assert ability[sorted(high_honest)].mean() > ability[sorted(others)].mean() + 0.3

    # the signs aimed at inflation (journal mismatch, cohort change) almost spare honest
    # schools even when read literally. Stably low schools are left out here: their planted
    # teaching effect jumps between low and ordinary years, a real sharp change the cohort
    # sign is meant to see.
    steady = lhonest[~lhonest["school_id"].isin(set(getattr(truth, "stably_low", ())))]
    targeted = steady["journal_mismatch"].fillna(False) | steady["cohort_change"].fillna(False)
    # over 4 years × 2 subjects × 2 grades a school has 16 chances: a few small honest
    # schools get a negative rank correlation by chance at least once
    assert steady.loc[targeted, "school_id"].nunique() <= 0.15 * steady["school_id"].nunique()
    journal = literal.signs["journal_mismatch"]
    judged = journal[(journal["note"] == "") & ~journal["school_id"].isin(inflating)]
    assert judged["flag"].mean() < 0.02
    # requiring significance removes the chance marks and keeps the planted ones
    strict = res.signs["journal_mismatch"]
    strict_marked = set(strict.loc[strict["flag"], "school_id"])
    assert inflating <= strict_marked
    assert len(strict_marked - inflating) <= 0.05 * honest["school_id"].nunique()

    # the index agrees with the school table, both ways; the one-sign index of the
    # literal reading is its index
    for table, flagged in ((res, schools), (literal, lschools)):
        for year, row in table.region.set_index("year").iterrows():
            in_year = flagged[flagged["year"] == year]
            assert row["n_schools"] == len(in_year)
            assert row["index"] == pytest.approx(100 - 100 * in_year["flagged"].mean())
            assert row["n_one_sign"] == (in_year["n_signs"] > 0).sum()
    assert (res.region["index"] > literal.region["index"]).all()

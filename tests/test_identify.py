"""Identification: planted schools of the synthetic region, Рособрнадзор's rule, groups."""

from __future__ import annotations

import numpy as np
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
        assert row["unfavourable"] and row["adjusted_low"] > 0
        if row["rosobrnadzor"]:  # never resilient while meeting Рособрнадзор's rule
            assert row["status"] == "ШНСУ" and not row["resilient"]
            assert "отвечает правилу Рособрнадзора: не резильентная" in row["reasons"]
            continue
        assert row["status"] == "резильентная", (sid, row["reasons"])
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
    from edu_quality.identify.rosobrnadzor_rule import rosobrnadzor_schools

    s = summarize(
        _procedure_table(
            {("Математика", 2023): 0.35, ("Математика", 2024): 0.30, ("Русский язык", 2024): 0.30}
        )
    )
    got = rosobrnadzor_schools(s, 2024, 0.30, 5, ("ВПР",)).iloc[0]["rosobrnadzor_reason"]
    assert "в 2 процедурах 2024 года" in got
    assert "два года подряд (2023 и 2024): ВПР Математика 5 кл. — 35,0\u00a0% и 30,0\u00a0%" in got
    below = summarize(_procedure_table({("Математика", 2023): 0.25, ("Математика", 2024): 0.30}))
    assert rosobrnadzor_schools(below, 2024, 0.30, 5, ("ВПР",)).empty
    tiny = summarize(
        _procedure_table({("Математика", 2024): 0.5, ("Русский язык", 2024): 0.5}, n=4)
    )
    assert rosobrnadzor_schools(tiny, 2024, 0.30, 5, ("ВПР",)).empty  # under min_n: not judged


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
    from edu_quality.identify.rosobrnadzor_rule import rosobrnadzor_schools

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
    assert len(rosobrnadzor_schools(s, 2024, 0.30, 5, ("ВПР",))) == 1  # two grade-5 works at 40 %
    assert rosobrnadzor_schools(s, 2024, 0.30, 5, ("ВПР",), ("assessment", "subject")).empty


def _works(rows: list[tuple], year: int = 2021) -> pd.DataFrame:
    """Summary of (school, subject, session, participants, n2) works of ВПР grade 5."""
    return summarize(
        pd.DataFrame(
            [
                {
                    "school_id": sid,
                    "assessment": "ВПР",
                    "subject": subject,
                    "grade": 5,
                    "year": year,
                    "session": session,
                    "participants": n,
                    "n2": n2,
                }
                for sid, subject, session, n, n2 in rows
            ]
        )
    )


def test_rosobrnadzor_two_works_of_one_session():
    from edu_quality.identify.rosobrnadzor_rule import rosobrnadzor_schools

    s = _works(
        [
            ("A", "Математика", "осень", 20, 8),  # 40 % in autumn …
            ("A", "Русский язык", "весна", 20, 8),  # … and 40 % in spring: not one session
            ("B", "Математика", "осень", 20, 8),
            ("B", "Русский язык", "осень", 20, 7),
            ("B", "История", "весна", 20, 9),
        ]
    )
    got = rosobrnadzor_schools(s, 2021, 0.30, 5, ("ВПР",)).set_index("school_id")
    assert list(got.index) == ["B"]
    reason = got.loc["B", "rosobrnadzor_reason"]
    assert "в 2 процедурах 2021 года, сессия «осень»" in reason
    assert "Математика" in reason and "Русский язык" in reason and "История" not in reason


def test_small_works_are_marked_and_ovz_small_works_not_judged():
    from edu_quality.identify.rosobrnadzor_rule import rosobrnadzor_schools

    s = _works([("A", "Математика", "весна", 8, 4), ("A", "Русский язык", "весна", 20, 8)])
    got = rosobrnadzor_schools(s, 2021, 0.30, 5, ("ВПР",)).iloc[0]["rosobrnadzor_reason"]
    assert "Математика 5 кл. — 50,0\u00a0% (мало участников: 8)" in got
    assert "Русский язык 5 кл. — 40,0\u00a0%," not in got and "(мало участников: 20)" not in got
    ovz = rosobrnadzor_schools(s, 2021, 0.30, 5, ("ВПР",), ovz_schools=["A"]).iloc[0]
    assert not ovz["rosobrnadzor"]  # the 8-pupil work is not judged
    assert "меньше 10 участников (школа для обучающихся с ОВЗ)" in ovz["rosobrnadzor_note"]
    asked = rosobrnadzor_schools(s, 2021, 0.30, 5, ("ВПР",), ovz_schools=["A"], min_n_ovz=5)
    assert asked["rosobrnadzor"].eq(True).all()


def test_a_hidden_cell_is_counted_but_never_quoted():
    from edu_quality.disclosure import complementary_suppression
    from edu_quality.identify.rosobrnadzor_rule import rosobrnadzor_schools

    # in each work: a (3 pupils) is hidden, so c, the smallest of the rest, is hidden too
    rows = []
    for subject in ("Математика", "Русский язык"):
        rows += [("a", subject, "весна", 3, 0), ("b", subject, "весна", 40, 2)]
        rows += [("c", subject, "весна", 25, 11)]  # 44 %
    s = _works(rows)
    mun = summarize(
        pd.DataFrame(rows, columns=["school_id", "subject", "session", "participants", "n2"])
        .assign(assessment="ВПР", grade=5, year=2021, municipality="M")
        .drop(columns="school_id"),
        ["municipality", "assessment", "subject", "grade", "year"],
    )
    reg = summarize(mun.drop(columns="municipality"), ["assessment", "subject", "grade", "year"])
    hid = complementary_suppression(s, mun, reg, municipality_of={"a": "M", "b": "M", "c": "M"})[0]
    hidden = s.loc[hid, ["school_id", "assessment", "subject", "grade", "year"]]
    assert set(hidden["school_id"]) == {"a", "c"}
    got = rosobrnadzor_schools(s, 2021, 0.30, 5, ("ВПР",), hidden=hidden).set_index("school_id")
    reason = got.loc["c", "rosobrnadzor_reason"]  # the rule still counts the hidden cells …
    assert "44,0\u00a0%" not in reason and reason.count("значение скрыто") == 2  # … unquoted
    plain = rosobrnadzor_schools(s, 2021, 0.30, 5, ("ВПР",)).set_index("school_id")
    assert "44,0\u00a0%" in plain.loc["c", "rosobrnadzor_reason"]


def test_composite_leaves_out_rows_of_an_unknown_count():
    # participants as nullable integers with a missing count: such a row is not used,
    # as when it is not there at all
    s = pd.DataFrame({"school_id": ["a", "b", "c", "d"], "assessment": "ВПР", "subject": "М",
                      "grade": 4, "year": 2021, "mean_score": [10.0, 12.0, 14.0, 30.0],
                      "score_sd": 3.0, "share_2": [0.3, 0.2, 0.1, 0.0]})  # fmt: skip
    s["participants"] = pd.array([20, 20, 20, None], dtype="Int64")
    got = composite_results(s)
    assert got["school_id"].tolist() == ["a", "b", "c"]
    assert got["composite"].round(6).tolist() == [-1.0, 0.0, 1.0]
    pd.testing.assert_frame_equal(got, composite_results(s.iloc[:3]))


def test_rule_rows_equal_a_plain_pandas_reading_of_the_rule():
    # the region's share of each work, year and session over every school, then the rows
    # of at least min_n pupils, the ОВЗ schools' small works apart: as pandas reads it
    from edu_quality.rosobrnadzor import rule_rows

    rng = np.random.default_rng(7)
    rows = [
        (f"S{i:02d}", subject, session, int(n), int(rng.binomial(n, 0.2)))
        for i in range(30)
        for subject in ("Математика", "Русский язык")
        for session in ("весна", "осень")
        if rng.random() < 0.8
        for n in [rng.integers(1, 25)]
    ]
    s = _works(rows)
    # three ОВЗ schools, each with a work of 5 to 9 pupils: judged at 10 only
    ovz = sorted(set(s.loc[s["participants"].between(5, 9), "school_id"].astype(str)))[:3]
    judged, left_out = rule_rows(s, assessments=("ВПР",), min_n=5, ovz_schools=ovz, min_n_ovz=10)
    plain = s.loc[s["share_2"].notna() & (s["participants"] > 0)].copy()
    cell = ["assessment", "subject", "grade", "year", "session"]
    total = plain.groupby(cell, dropna=False)[["n2", "participants"]].transform("sum")
    plain["region_share"] = total["n2"] / total["participants"]
    plain = plain.loc[plain["participants"] >= 5]
    small_ovz = plain["school_id"].isin(ovz) & (plain["participants"] < 10)
    cols = list(judged.columns)
    assert len(left_out) and len(judged) > len(left_out)
    for got, want in ((judged, plain.loc[~small_ovz]), (left_out, plain.loc[small_ovz])):
        want = want[cols].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_rule_chance_matches_the_exact_binomial_expectation():
    from scipy import stats

    from edu_quality.rosobrnadzor import rule_chance, rule_rows

    rng = np.random.default_rng(1)
    rows = []
    for i in range(40):
        for subject in ("Математика", "Русский язык", "История"):
            n = int(rng.integers(6, 30))
            rows.append((f"S{i:02d}", subject, "весна", n, int(rng.binomial(n, 0.18))))
    s = _works(rows)
    judged, _ = rule_rows(s, assessments=("ВПР",), min_n=5)
    # exact: for each school, P(at least two of its works reach 30 %), works independent
    expected = 0.0
    for _, part in judged.groupby("school_id"):
        probs = []
        for n, p in zip(part["participants"], part["region_share"], strict=True):
            k_min = next(k for k in range(n + 1) if k / n >= 0.30)
            probs.append(stats.binom.sf(k_min - 1, n, p))
        dist = [1.0]  # Poisson-binomial: P(exactly j works reach the share)
        for q in probs:
            dist = [
                (dist[j] if j < len(dist) else 0) * (1 - q) + (dist[j - 1] * q if j else 0)
                for j in range(len(dist) + 1)
            ]
        expected += 1 - dist[0] - dist[1]
    ch = rule_chance(judged, 2021, share=0.30, n_sim=3000, seed=0)
    sd = ch["counts"].std() / len(ch["counts"]) ** 0.5
    assert abs(ch["mean"] - expected) < 4 * sd + 0.05, (ch["mean"], expected)
    assert ch["low"] <= ch["mean"] <= ch["high"]
    again = rule_chance(judged, 2021, share=0.30, n_sim=3000, seed=0)
    assert again["mean"] == ch["mean"]  # seeded


def test_borderline_and_labels(classified):
    from edu_quality.identify.composite import bottom_cut

    assert bottom_cut(pd.Series([5.0, 1.0, 3.0, 2.0, 4.0]), 0.2) == 1.5  # between ranks 1 and 2
    assert classified["borderline"].dtype == bool
    told = classified["reasons"].str.contains("на границе: интервал составного результата")
    assert (told == classified["borderline"]).all() and classified["borderline"].any()
    # a label, not a status: the best school of a group is never on the border
    top = classified.loc[classified["compared_with"] != ""].groupby("group")["actual"].idxmax()
    assert not classified.loc[top, "borderline"].any()
    low = classified.loc[classified["low"]]
    assert low["reasons"].str.contains("группы (правило edu_quality)", regex=False).all()


def test_classify_keeps_the_chance_rate(region):
    c = classify(region, 2024, rosobrnadzor_sims=50)
    ch = c.attrs["rosobrnadzor_chance"]
    assert ch["observed"] == int(c["rosobrnadzor"].sum())
    assert ch["low"] <= ch["mean"] <= ch["high"] and ch["n_sim"] == 50
    assert "rosobrnadzor_chance" not in classify(region, 2024, rosobrnadzor_sims=0).attrs


def test_hidden_cells_are_matched_cell_by_cell_and_a_missing_cell_only_by_a_missing_one():
    """mark_hidden joins each row's key a column at a time: a row is hidden when every cell
    of its key equals the hidden cell's, a missing cell only where the hidden one is missing
    in the same column (it used to fail on a missing cell)."""
    from edu_quality.rosobrnadzor import mark_hidden

    rows = pd.DataFrame(
        {
            "school_id": ["a", "a", "b", "b", None],
            "assessment": "ВПР",
            "subject": ["М", "Р", "М", "М", "М"],
            "grade": [5, 5, 5, np.nan, 5],
            "year": [2021, 2021, 2021, 2021, 2021],
            "session": ["весна", None, "весна", "весна", "весна"],
        }
    )
    hidden = pd.DataFrame(
        {
            "school_id": ["a", "b", "c"],
            "assessment": "ВПР",
            "subject": ["Р", "М", "М"],
            "grade": [5, np.nan, 5],
            "year": 2021,
            "session": [None, "весна", "весна"],
        }
    )
    assert mark_hidden(rows, hidden).tolist() == [False, True, False, True, False]
    assert mark_hidden(rows, hidden.iloc[:0]).tolist() == [False] * 5


@pytest.mark.parametrize("include_unreliable", [False, True])
def test_a_results_summary_at_hand_gives_the_same_identification(region, include_unreliable):
    """``results_summary=summarize(results)``: the same tables as summarising the pupils again.

    The region has selective populations (ЕГЭ 2021) and unreliable protocols, so the
    judged rows are a part of the summary in every case but one.
    """
    from edu_quality.identify import school_summaries

    rs = summarize(region.results, include_unreliable=include_unreliable)
    assert rs.attrs["include_unreliable"] is include_unreliable
    for selective in (False, True):
        opts = {"include_selective": selective, "include_unreliable": include_unreliable}
        own = school_summaries(region, **opts)
        assert len(own) < len(rs) or selective
        pd.testing.assert_frame_equal(
            school_summaries(region, results_summary=rs, **opts), own, check_exact=True
        )
        a = classify(region, 2024, rosobrnadzor_sims=20, **opts)
        b = classify(region, 2024, rosobrnadzor_sims=20, results_summary=rs, **opts)
        pd.testing.assert_frame_equal(b, a, check_exact=True)
        assert str(b.attrs) == str(a.attrs)
    assert rs.equals(summarize(region.results, include_unreliable=include_unreliable))  # unchanged


def test_a_results_summary_counted_otherwise_is_refused(region):
    from edu_quality.identify import school_summaries

    rs = summarize(region.results)
    for other, said in (
        ({"min_n": 3}, "min_n=3"),
        ({"include_unreliable": True}, "include_unreliable=True"),
        ({"alpha": 0.1}, "alpha=0.1"),
    ):
        with pytest.raises(ValueError, match=f"results_summary`: сводка посчитана с {said}"):
            school_summaries(region, results_summary=summarize(region.results, **other))
    with pytest.raises(ValueError, match="нужна сводка по столбцам school_id"):
        classify(region, 2024, results_summary=summarize(region.results, ["school_id", "year"]))
    with pytest.raises(ValueError, match="нужна таблица summarize"):
        classify(region, 2024, results_summary=region.results)
    with pytest.raises(ValueError, match="сводка посчитана с min_n=5, нужна с min_n=3"):
        classify(region, 2024, min_n=3, results_summary=rs)
    read_back = rs.copy()
    read_back.attrs = {}
    with pytest.raises(ValueError, match="у сводки нет отметки о min_n"):
        classify(region, 2024, results_summary=read_back)


def test_a_results_summary_of_the_real_region(altai_folder):
    """Autumn and spring works apart (the ``session`` column): the same identification."""
    from edu_quality.identify import school_summaries

    ds = eq.load_dataset(altai_folder)
    rs = summarize(ds.results)
    assert "session" in rs.columns
    pd.testing.assert_frame_equal(
        school_summaries(ds, results_summary=rs), school_summaries(ds), check_exact=True
    )
    a = classify(ds, 2021, rosobrnadzor_sims=0)
    pd.testing.assert_frame_equal(
        classify(ds, 2021, rosobrnadzor_sims=0, results_summary=rs), a, check_exact=True
    )


@pytest.mark.parametrize(
    "opts",
    [
        {},
        {"metric": "share_2", "min_group": 2, "k": 1, "n": 2},
        {"rosobrnadzor_by": ("assessment", "subject")},
        {"include_selective": True, "include_unreliable": True},
    ],
)
def test_classify_reads_only_its_columns_of_the_summary(region, monkeypatch, opts):
    """The summary cut to :data:`CLASSIFY_COLUMNS` identifies as the whole one does."""
    from edu_quality.identify import classification, school_summaries
    from edu_quality.identify.summaries import CLASSIFY_COLUMNS

    rs = summarize(region.results, include_unreliable=opts.get("include_unreliable", False))
    cut = classify(region, 2024, rosobrnadzor_sims=20, results_summary=rs, **opts)
    monkeypatch.setattr(classification, "CLASSIFY_COLUMNS", None)  # every metric column
    whole = classify(region, 2024, rosobrnadzor_sims=20, results_summary=rs, **opts)
    pd.testing.assert_frame_equal(cut, whole, check_exact=True)
    assert str(cut.attrs) == str(whole.attrs)
    kept = school_summaries(region, columns=CLASSIFY_COLUMNS)
    assert list(kept.columns[5:]) == list(CLASSIFY_COLUMNS) and len(CLASSIFY_COLUMNS) < 10
    with pytest.raises(ValueError, match="в сводке нет столбцов share_9"):
        school_summaries(region, columns=["share_2", "share_9"])


def test_school_summaries_columns_always_keep_the_keys_once(region):
    """Key names among ``columns`` are kept once; a part without autumn works joins one with them."""
    import dataclasses

    from edu_quality.identify import school_summaries

    cut = school_summaries(region, columns=["year", "share_2", "year"])
    assert list(cut.columns) == [
        *["school_id", "assessment", "subject", "grade", "year"],
        "share_2",
    ]
    r = region.results.copy()
    r["session"] = r["session"].cat.add_categories(["осень"])
    autumn = (r["year"] == 2021) & (r["subject"] == "Математика") & (r["grade"] == 5)
    r.loc[autumn, "session"] = "осень"
    counts = eq.load_dataset(SAMPLES / "inta").aggregates  # a part of counts, without autumn
    both = dataclasses.replace(region, results=r, aggregates=counts)
    whole = school_summaries(both)
    for asked in (["share_2"], ["session", "share_2"], ["year", "share_2"]):
        cut = school_summaries(both, columns=asked)
        keys = ["school_id", "assessment", "subject", "grade", "year", "session"]
        assert list(cut.columns) == [*keys, "share_2"]
        pd.testing.assert_frame_equal(cut, whole[cut.columns], check_exact=True)

"""Transitions between the lists of consecutive years."""

import numpy as np
import pandas as pd
import pytest

from edu_quality.identify import classify
from edu_quality.synthetic import make_region
from edu_quality.transitions import LISTS, TRANSITIONS, list_transitions


@pytest.fixture(scope="module")
def region():
    return make_region(seed=4).dataset()


@pytest.fixture(scope="module")
def transitions(region):
    return list_transitions(region, years=[2023, 2024])


def test_transitions_agree_with_each_years_lists(region, transitions):
    a = classify(region, 2023, rosobrnadzor_sims=0).set_index("school_id")
    b = classify(region, 2024, rosobrnadzor_sims=0).set_index("school_id")
    t = transitions
    assert set(t["transition"]) <= set(TRANSITIONS)
    assert (t[["year_from", "year_to"]].drop_duplicates().to_numpy() == [[2023, 2024]]).all()
    for name, statuses in LISTS.items():
        part = t.loc[t["list"] == name].set_index("school_id")["transition"]
        if statuses is None:
            was, now = set(a.index[a["borderline"]]), set(b.index[b["borderline"]])
        else:
            was = set(a.index[a["status"].isin(statuses)])
            now = set(b.index[b["status"].isin(statuses)])
        assert set(part.index[part == "вошла"]) == now - was
        assert set(part.index[part == "вышла"]) == was - now
        assert set(part.index[part == "осталась"]) == was & now


def test_reasons_and_change_in_words(region, transitions):
    t = transitions
    assert t["reason_to"].str.len().gt(0).all() or t["transition"].eq("вышла").any()
    came = t.loc[(t["list"] == "ШНОР") & (t["transition"] != "вышла")]
    assert came["reason_to"].str.contains("низкие результаты|Рособрнадзора").all()
    assert t["change"].str.contains("появилось|ушло|не изменились|нет результатов").all()
    assert not t["change"].str.contains(r"\d\.\d").any()  # decimal comma


def test_listed_by_municipality_and_name(transitions):
    for _, part in transitions.groupby(["year_from", "list"]):
        keys = list(zip(part["municipality"], part["name"], strict=True))
        assert keys == sorted(keys)


def test_one_year_is_not_enough(region):
    t = list_transitions(region, years=[2024])
    assert t.empty
    assert list(t.columns)[:4] == ["school_id", "name", "municipality", "list"]
    assert "одного года недостаточно" in t.attrs["note"]


def test_unknown_list_refused(region):
    with pytest.raises(ValueError, match="lists"):
        list_transitions(region, lists=["ШНОР", "лучшие"])


def test_a_wrong_rule_is_refused_not_taken_for_years_without_results(region):
    with pytest.raises(ValueError, match="low_share"):
        list_transitions(region, years=[2023, 2024], low_share=1.5)
    # a year whose data cannot be judged is an error too, not a year left out
    import dataclasses

    from edu_quality.errors import DataError

    ctx = region.context
    thin = ctx.loc[(ctx["year"] != 2023) | (ctx.index.isin(ctx.index[ctx["year"] == 2023][:2]))]
    with pytest.raises(DataError, match="индекс"):
        list_transitions(dataclasses.replace(region, context=thin), years=[2023, 2024])
    # a year without results is still one to leave out
    t = list_transitions(region, years=[2019, 2024])
    assert t.empty and t.attrs["years"] == [2024]


def test_the_results_summarised_once_give_each_years_reasons(region, monkeypatch):
    import edu_quality.transitions as module
    from edu_quality.metrics import summarize

    calls = []
    monkeypatch.setattr(module, "summarize", lambda *a, **k: calls.append(k) or summarize(*a, **k))
    own = list_transitions(region, years=[2023, 2024], min_n=3)
    assert calls == [{"min_n": 3, "include_unreliable": False}]  # once, with classify's options
    for year, column in ((2023, "reason_from"), (2024, "reason_to")):
        c = classify(region, year, min_n=3, rosobrnadzor_sims=0).set_index("school_id")
        said = own.drop_duplicates("school_id").set_index("school_id")[column]
        assert len(said) > 10 and (said == c.loc[said.index, "reasons"]).all()


@pytest.mark.slow
def test_school_without_results_in_a_year():
    r = make_region(seed=4)
    ds = r.dataset()
    res = ds.results
    first = classify(ds, 2023, rosobrnadzor_sims=0)
    listed = first.loc[first["status"].isin(LISTS["ШНСУ"]), "school_id"].iloc[0]
    gone = res.loc[~((res["school_id"] == listed) & (res["year"] == 2024))]
    import dataclasses

    t = list_transitions(dataclasses.replace(ds, results=gone), years=[2023, 2024], lists=["ШНСУ"])
    row = t.set_index("school_id").loc[listed]
    assert row["transition"] == "вышла"
    assert row["reason_to"] == "нет результатов за 2024 год"
    assert isinstance(row, pd.Series)


@pytest.mark.slow
def test_report_sections():
    from edu_quality.demo import sample_folder
    from edu_quality.report import report_data
    from edu_quality.report.transitions import transitions_section

    data = report_data(sample_folder("region"), 2024)
    sec = transitions_section(data)
    counts = sec.tables["transition_counts"]
    assert list(counts.columns) == ["Список", "Вошли", "Вышли", "Остались"]
    assert "Сравниваются 2023 и 2024 годы" in sec.html()
    for name, table in sec.tables.items():
        if name.startswith("transitions_"):
            keys = list(zip(table["Муниципалитет"], table["Школа"], strict=True))
            assert keys == sorted(keys)  # a list, not a league table
    muni = transitions_section(data, "г. Заречный")
    for name, table in muni.tables.items():
        if name.startswith("transitions_"):
            assert set(table["Муниципалитет"]) == {"г. Заречный"}


def test_one_school_year_with_autumn_works(tmp_path):
    # the real region's shape: one school year, 2021, its autumn-2020 and spring-2021 ВПР
    from edu_quality.report import report_data
    from edu_quality.report.transitions import transitions_section
    from edu_quality.synthetic import write_region

    r = make_region(years=(2021,), seed=5)
    vpr = r.results_vpr
    vpr["session"] = np.where(vpr["grade"] >= 7, "осень", "весна")
    write_region(r, tmp_path)
    sec = transitions_section(report_data(tmp_path, 2021))
    text = sec.html()
    assert "Одного года недостаточно" in text and "(есть: 2021)" in text
    assert "один учебный год 2020/21" in text
    assert not sec.tables


def test_autumn_works_given_as_counts_are_said_to_be_one_school_year(tmp_path):
    from edu_quality.report import report_data
    from edu_quality.report.transitions import transitions_section
    from edu_quality.synthetic import write_region

    r = make_region(years=(2021,), seed=5)
    vpr = r.results_vpr
    vpr["session"] = np.where(vpr["grade"] >= 7, "осень", "весна")
    write_region(r, tmp_path)
    rows = pd.read_csv(tmp_path / "results_vpr.csv", dtype={"school_id": str})
    autumn = rows["session"] == "осень"
    rows.loc[~autumn].to_csv(tmp_path / "results_vpr.csv", index=False)
    counts = (
        rows.loc[autumn]
        .groupby(["year", "session", "assessment", "subject", "grade", "school_id"])["mark"]
        .agg(participants="count", n2=lambda m: int((m == 2).sum()))
        .reset_index()
    )
    counts.to_csv(tmp_path / "results_vpr_autumn.csv", index=False)
    data = report_data(tmp_path, 2021)
    assert (data.dataset.aggregates["session"] == "осень").all()
    assert "один учебный год 2020/21" in transitions_section(data).html()

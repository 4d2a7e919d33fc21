"""Disclosure control: no hidden cell of a small group can be derived from the shown ones."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import SAMPLES

from edu_quality.disclosure import complementary_suppression, hide, unsafe_relations


def _nested(rng: np.random.Generator, n_mun: int = 4, n_schools: int = 6, years=(2023, 2024)):
    """Schools, municipalities and the region with counts that add up, many small schools."""
    rows = []
    for m in range(n_mun):
        for k in range(rng.integers(1, n_schools + 1)):
            for y in years:
                n = int(rng.choice([1, 2, 3, 4, 8, 20, 45]))
                n2 = int(rng.integers(0, n + 1))
                rows.append(
                    {
                        "school_id": f"s{m}_{k}",
                        "municipality": f"M{m}",
                        "year": y,
                        "participants": n,
                        "n2": n2,
                    }
                )
    sch = pd.DataFrame(rows)
    mun = sch.groupby(["municipality", "year"], as_index=False)[["participants", "n2"]].sum()
    reg = sch.groupby("year", as_index=False)[["participants", "n2"]].sum()
    of = dict(zip(sch["school_id"], sch["municipality"], strict=False))
    return sch.drop(columns="municipality"), mun, reg, of


def _shown(sch, mun, reg, of, *, complementary: bool):
    if complementary:
        hs, hm, hr = complementary_suppression(sch, mun, reg, municipality_of=of)
    else:
        hs, hm, hr = (t["participants"].to_numpy() < 5 for t in (sch, mun, reg))
    return hide(sch, hs), hide(mun, hm), hide(reg, hr)


@pytest.mark.parametrize("seed", range(30))
def test_nothing_hidden_can_be_derived(seed):
    sch, mun, reg, of = _nested(np.random.default_rng(seed))
    shown = _shown(sch, mun, reg, of, complementary=True)
    assert unsafe_relations(*shown, municipality_of=of).empty
    # every small group is hidden, and the participants of every row stay shown
    assert shown[0].loc[sch["participants"] < 5, "n2"].isna().all()
    pd.testing.assert_series_equal(shown[0]["participants"], sch["participants"])


def test_primary_suppression_alone_gives_small_groups_back():
    # the check can fail: without complementary cells, subtraction recovers hidden counts
    derived = 0
    for seed in range(30):
        sch, mun, reg, of = _nested(np.random.default_rng(seed))
        found = unsafe_relations(
            *_shown(sch, mun, reg, of, complementary=False), municipality_of=of
        )
        for r in found.itertuples():
            table = {"школа": sch, "муниципалитет": mun, "регион": reg}[r.level]
            assert r.value == table["n2"].iloc[r.row]  # derived exactly
        derived += len(found)
    assert derived > 0


def test_one_small_school_in_a_municipality_hides_its_smallest_neighbour():
    sch = pd.DataFrame(
        {"school_id": ["a", "b", "c"], "year": 2024, "participants": [3, 40, 25], "n2": [1, 4, 2]}
    )
    mun = pd.DataFrame({"municipality": ["M"], "year": 2024, "participants": [68], "n2": [7]})
    reg = pd.DataFrame({"year": [2024], "participants": [68], "n2": [7]})
    of = {"a": "M", "b": "M", "c": "M"}
    hs, hm, hr = complementary_suppression(sch, mun, reg, municipality_of=of)
    assert hs.tolist() == [True, False, True] and not hm.any() and not hr.any()


def test_a_small_municipality_alone_in_the_region_is_hidden_with_another():
    # municipality N has one school of 2 pupils: N's row equals the school's, and the
    # region minus M gives N back: with M the only shown part, the region's total is hidden
    sch = pd.DataFrame(
        {"school_id": ["a", "b", "c"], "year": 2024, "participants": [2, 30, 50], "n2": [1, 3, 5]}
    )
    mun = pd.DataFrame(
        {"municipality": ["M", "N"], "year": 2024, "participants": [80, 2], "n2": [8, 1]}
    )
    reg = pd.DataFrame({"year": [2024], "participants": [82], "n2": [9]})
    of = {"a": "N", "b": "M", "c": "M"}
    hs, hm, hr = complementary_suppression(sch, mun, reg, municipality_of=of)
    assert hm.tolist() == [False, True] and hr.tolist() == [True]
    assert hs.tolist() == [True, False, False]  # the large schools keep their results
    assert unsafe_relations(hide(sch, hs), hide(mun, hm), hide(reg, hr), municipality_of=of).empty


@pytest.mark.slow
def test_the_batch_excel_export_gives_no_hidden_cell_back(tmp_path):
    from edu_quality.report import report_data
    from edu_quality.report.export import export_batch_xlsx

    data = report_data(SAMPLES / "region", 2024)
    path = export_batch_xlsx(SAMPLES / "region", 2024, tmp_path)
    back = {
        name: pd.read_excel(path, sheet_name=name, engine="calamine")
        for name in ("Показатели", "Муниципалитеты", "Регион")
    }
    rename = {
        "Код ОО": "school_id",
        "Муниципалитет": "municipality",
        "Процедура": "assessment",
        "Предмет": "subject",
        "Класс": "grade",
        "Год": "year",
        "«2»": "n2",
        "Участников": "participants",
    }
    sch, mun, reg = (
        back[n].rename(columns=rename) for n in ("Показатели", "Муниципалитеты", "Регион")
    )
    sch["school_id"] = sch["school_id"].astype(str)
    hidden = int(sch["n2"].isna().sum())
    assert hidden > 0  # the sample has small groups: the check is not vacuous
    assert unsafe_relations(sch, mun, reg, municipality_of=data.municipality_of).empty
    # the same tables with primary suppression alone would give cells back
    naive = [
        hide(t, t["small"].to_numpy())
        for t in (data.summary, data.summary_municipality, data.summary_region)
    ]
    assert not unsafe_relations(*naive, municipality_of=data.municipality_of).empty


def test_no_reason_quotes_a_small_group():
    """A significant rise of the share of «2» in a grade of under 5 pupils gives no reason:
    «доля «2» выросла с 0,0 % до 100,0 %» for 4 pupils says what the tables hide."""
    import edu_quality as eq
    from edu_quality.identify.decline import declines

    rows = [
        {
            "school_id": sid,
            "pupil_id": f"{sid}{year}{i}",
            "assessment": "ВПР",
            "subject": "Математика",
            "grade": 7,
            "year": year,
            "mark": mark,
        }
        for sid, n in (("A", 4), ("B", 30))
        for year, marks in ((2023, [3, 4, 4, 5]), (2024, [2, 2, 2, 2]))
        for i, mark in enumerate((marks * 8)[:n])
    ]
    summary = eq.summarize(pd.DataFrame(rows), min_n=5)
    naive = declines(summary, 2024, 0.05, 0)
    assert set(naive["school_id"]) == {"A", "B"}  # 0 % → 100 %: significant for both
    assert "с 0,0 % до 100,0 %" in naive.set_index("school_id").loc["A", "decline_reason"].replace(
        "\u00a0", " "
    )
    assert set(declines(summary, 2024, 0.05, 5)["school_id"]) == {"B"}


def test_the_sample_regions_reasons_quote_no_small_group():
    import edu_quality as eq

    ds = eq.load_dataset(SAMPLES / "region")
    s = eq.summarize(ds.results, min_n=5)
    small = s.loc[s["small"] & s["year"].isin([2023, 2024])]
    works = {
        (r.school_id, f"{r.assessment} {r.subject} {r.grade} кл. — ") for r in small.itertuples()
    }
    c = eq.classify(ds, 2024)
    quoted = {
        (sid, w)
        for sid, text in zip(c["school_id"], c["reasons"], strict=True)
        for _, w in works
        if w in text
    }
    assert not quoted & works


def test_municipality_overview_totals_only_shown_works():
    """The municipality report's per-school share of «2» counts only the works shown in the
    school report: a total over all works minus the shown ones would give a small grade back."""
    from edu_quality.report import report_data
    from edu_quality.report.sections import schools_overview_section

    data = report_data(SAMPLES / "region", 2024)
    s = data.shown_summary
    s = s.loc[(s["year"] == 2024) & ~s["exam_not_held"]]
    with_hidden = set(s.loc[s["small"], "school_id"]) & set(s.loc[~s["small"], "school_id"])
    assert with_hidden  # schools with a hidden work beside shown ones: the check bites
    checked = 0
    for mun in sorted(set(data.municipality_of.values())):
        table = schools_overview_section(data, mun).tables["schools"].set_index("Школа")
        for sid in data.schools_of(mun):
            if sid not in with_hidden:
                continue
            shown = s.loc[(s["school_id"] == sid) & ~s["small"]]
            expected = shown["n2"].sum() / shown["participants"].sum()
            text = table.loc[data.names[sid], "Доля «2»"]
            assert text == f"{expected * 100:.1f}".replace(".", ",") + "\u00a0%", (sid, text)
            checked += 1
    assert checked > 0


@pytest.mark.slow
def test_school_pages_give_no_hidden_cell_back():
    """What every school page of a batch shows — its own shares and the municipality's and
    region's beside them — derives no hidden cell, read together with the other pages."""
    from edu_quality.report import report_data
    from edu_quality.report.data import work_keys
    from edu_quality.report.sections import key_metrics_section

    data = report_data(SAMPLES / "region", 2024)
    PROCEDURE = work_keys(data.summary)
    keys = ["school_id", *PROCEDURE]
    s = data.summary.loc[data.summary["year"] == data.year].reset_index(drop=True)
    m = data.summary_municipality.loc[data.summary_municipality["year"] == data.year]
    r = data.summary_region.loc[data.summary_region["year"] == data.year]
    own, muni, region = set(), set(), set()
    for school in s["school_id"].unique():
        table = key_metrics_section(data, school).tables["key_metrics"]
        mine = s.loc[s["school_id"] == school].reset_index(drop=True)
        for i, row in table.iterrows():
            key = tuple(mine.loc[i, PROCEDURE])
            if "%" in row["Доля «2»: школа"]:
                own.add((school, *key))
            if "%" in row["Доля «2»: муниципалитет"]:
                muni.add((data.municipality_of[school], *key))
            if "%" in row["Доля «2»: регион"]:
                region.add(key)

    def shown(table, cols, seen):
        at = table[cols].apply(tuple, axis=1).isin(seen).to_numpy()
        return table.assign(n2=table["n2"].where(at)).reset_index(drop=True)

    pages = (
        shown(s, keys, own),
        shown(m, ["municipality", *PROCEDURE], muni),
        shown(r, PROCEDURE, region),
    )
    assert pages[0]["n2"].isna().sum() > 0  # the sample has hidden groups: not vacuous
    assert unsafe_relations(*pages, municipality_of=data.municipality_of).empty
    # and nothing is shown that the Excel export hides: one pattern for every output
    excel = data.shown_summary.loc[data.shown_summary["year"] == data.year]
    assert not (pages[0]["n2"].notna().to_numpy() & excel["small"].to_numpy()).any()

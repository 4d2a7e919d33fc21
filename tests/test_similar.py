"""Families of similar schools and partner schools (edu_quality.similar)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

import edu_quality as eq
from edu_quality._russian import name_order
from edu_quality.similar import family_results, partner_schools, similar_schools
from edu_quality.synthetic import make_region, write_region


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    folder = tmp_path_factory.mktemp("region")
    write_region(make_region(years=(2023, 2024), pupils_scale=0.5), folder)
    return eq.load_dataset(folder)


def _with_twin(ds: eq.Dataset, of: str, twin: str = "99999") -> eq.Dataset:
    """A copy of the dataset with a planted twin of school ``of``: same registry row,
    context, enrolment and results (pupils renamed)."""
    s = ds.schools
    row = s.loc[s["school_id"] == of].assign(school_id=twin, name="Школа-близнец")
    schools = pd.concat([s, row], ignore_index=True)
    ctx = ds.context.loc[ds.context["school_id"] == of].assign(school_id=twin)
    enr = ds.enrolment.loc[ds.enrolment["school_id"] == of].assign(school_id=twin)
    r = ds.results.loc[ds.results["school_id"] == of].copy()
    r["school_id"] = twin
    r["pupil_id"] = "twin-" + r["pupil_id"].astype("str")
    cast = {"school_id": ds.schools["school_id"].dtype}
    return dataclasses.replace(
        ds,
        schools=schools.astype(cast),
        context=pd.concat([ds.context, ctx], ignore_index=True).astype(cast),
        enrolment=pd.concat([ds.enrolment, enr], ignore_index=True).astype(cast),
        results=pd.concat([ds.results, r], ignore_index=True).astype(
            {**cast, "pupil_id": ds.results["pupil_id"].dtype}
        ),
    )


def test_a_planted_twin_is_the_nearest_school(region):
    of = "01004"  # an ordinary town school of the synthetic region
    ds = _with_twin(region, of)
    f = similar_schools(ds, 2024, k=5)
    first = f.loc[(f["school_id"] == of) & (f["rank"] == 1)].iloc[0]
    assert first["neighbour_id"] == "99999"
    assert first["distance"] == pytest.approx(0.0, abs=1e-9)
    assert "та же группа" in first["similar_in"] and "тот же муниципалитет" in first["similar_in"]
    back = f.loc[(f["school_id"] == "99999") & (f["rank"] == 1)].iloc[0]
    assert back["neighbour_id"] == of


def test_families_are_tidy_within_the_group_and_ranked(region):
    f = similar_schools(region, 2024, k=4)
    assert list(f.columns[:4]) == ["school_id", "neighbour_id", "rank", "distance"]
    assert (f["school_id"] != f["neighbour_id"]).all()
    assert f.groupby("school_id")["distance"].apply(lambda d: d.is_monotonic_increasing).all()
    assert f["rank"].max() <= 4
    group = region.schools.set_index("school_id")["group"].astype("object").fillna("обычная")
    assert (f["school_id"].map(group) == f["neighbour_id"].map(group)).all()
    shares = f.filter(like="share_").sum(axis=1)
    assert np.allclose(shares[f["distance"] > 0], 1.0)
    assert f.attrs["context_year"] == 2024 and f.attrs["prior_source"].endswith("2023 г.")


def test_a_missing_feature_counts_as_the_penalty(region):
    ctx = region.context.loc[region.context["school_id"] != "01004"]
    ds = dataclasses.replace(region, context=ctx)
    a = similar_schools(ds, 2024, k=3, on=("context",), group="ignore", missing_penalty=1.0)
    b = similar_schools(ds, 2024, k=3, on=("context",), group="ignore", missing_penalty=3.0)
    # context only, unknown for the school: every distance is w · penalty² = 2 · penalty²
    assert np.allclose(a.loc[a["school_id"] == "01004", "distance"], np.sqrt(2.0))
    assert np.allclose(b.loc[b["school_id"] == "01004", "distance"], np.sqrt(18.0))
    assert "нет данных" in a.loc[a["school_id"] == "01004", "differs_in"].iloc[0]


def test_partners_beat_expectation_with_their_interval(region):
    c = eq.classify(region, 2024, rosobrnadzor_sims=0)
    f = similar_schools(region, 2024)
    p = partner_schools(region, 2024, families=f, classified=c)
    shnor = set(c.loc[c["status"].isin(["ШНОР", "ШНОР и ШНСУ"]), "school_id"])
    assert len(p) and set(p["school_id"]) <= shnor
    assert (p["adjusted_low"] > 0).all() and (p["adjusted"] > 0).all()
    assert not p["partner_id"].isin(shnor).any()
    ros = c.set_index("school_id")["rosobrnadzor"]
    assert not p["partner_id"].map(ros).any()
    # each partner is in the family; own municipality first, then the nearest
    fam = set(zip(f["school_id"], f["neighbour_id"], strict=True))
    assert all((s, q) in fam for s, q in zip(p["school_id"], p["partner_id"], strict=True))
    for _, g in p.groupby("school_id"):
        key = list(zip(~g["same_municipality"], g["family_rank"], strict=True))
        assert key == sorted(key)


def test_family_results_fall_back_to_the_family_without_context(region):
    ds = dataclasses.replace(region, context=region.context.iloc[:0])
    c = eq.classify(ds, 2024, rosobrnadzor_sims=0)
    f = similar_schools(ds, 2024, k=5)
    r = family_results(f, c).set_index("school_id")
    assert set(r["basis"]) == {"похожие школы"}
    sid = f["school_id"].iloc[0]
    mates = f.loc[f["school_id"] == sid, "neighbour_id"]
    expected = r.loc[sid, "actual"] - r.loc[mates, "actual"].mean()
    assert r.loc[sid, "adjusted"] == pytest.approx(expected)


def test_without_enrolment_the_size_is_the_participants_of_the_year(region):
    """A region of two years without the enrolment table: each school's participants of the
    year, not of every year (a school had two rows, the families could not be made)."""
    ds = dataclasses.replace(region, enrolment=region.enrolment.iloc[:0])
    f = similar_schools(ds, 2024, k=3, on=("size",))
    assert f.attrs["size_source"] == "участники работ 2024 г."
    comp = eq.identify.composite_results(eq.identify.school_summaries(ds))
    now = comp.loc[comp["year"] == 2024].set_index("school_id")["participants"]
    sizes = f.attrs["values"].set_index("school_id")["size:pupils"]
    assert len(sizes) == len(now) and sizes.notna().all()
    assert sizes.to_dict() == now.loc[sizes.index].astype("float64").to_dict()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 0}, "Параметр `k` должен быть целым положительным числом"),
        ({"on": ("context", "погода")}, "Параметр `on` должен быть одним из"),
        ({"on": ()}, "Параметр `on` должен быть непустым"),
        ({"group": "любая"}, "Параметр `group` должен быть одним из"),
        ({"weights": {"рост": 1.0}}, "Параметр `weights` должен быть одним из"),
        ({"missing_penalty": -1}, "Параметр `missing_penalty` должен быть положительным"),
    ],
)
def test_parameters_are_checked_in_russian(region, kwargs, match):
    with pytest.raises(ValueError, match=match):
        similar_schools(region, 2024, **kwargs)


def test_a_year_without_results_is_refused(region):
    with pytest.raises(ValueError, match="нет результатов за 2019 год"):
        similar_schools(region, 2019)


def test_the_school_report_shows_the_family_and_the_partners():
    from edu_quality.demo import sample_folder
    from edu_quality.report import report_data
    from edu_quality.report.similar import partners_section, similar_section

    data = report_data(sample_folder("region"), 2024)
    sec = similar_section(data, "02022")
    t = sec.tables["similar_schools"]
    assert t["Чем похожа"].iloc[0] == "эта школа" and len(t) == 21
    rest = t.iloc[1:]
    assert list(zip(rest["Муниципалитет"], rest["Школа"], strict=True)) == sorted(
        zip(rest["Муниципалитет"], rest["Школа"], strict=True),
        key=lambda k: tuple(map(name_order, k)),
    )  # by municipality and name (as a reader orders them: «№ 2» before «№ 10»), not by result
    assert "не рейтинг" in sec.intro and "[" in t["Результат"].iloc[0]
    p = partners_section(data, "02022")  # a ШНОР of the sample region
    assert p.title.startswith("С кем обменяться опытом: по результатам 20") and len(
        p.tables["partner_schools"]
    )
    c = data.classified
    other = c.index[c["status"] == ""][0]
    assert partners_section(data, other).title == ""  # one line for a school not on the list


@pytest.mark.slow
def test_real_region_families_from_the_questionnaire(altai_folder):
    ds = eq.load_dataset(altai_folder)
    f = similar_schools(ds, 2021)
    assert f["school_id"].nunique() > 600
    assert f.attrs["context_year"] is None
    assert "анкеты" in f.attrs["context_source"]
    assert f.attrs["prior_source"] == "осенние работы 2021 г."

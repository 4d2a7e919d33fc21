"""A cohort's progress from autumn to spring beside the region's (edu_quality.sessions)."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from _helpers import ALTAI
from statsmodels.stats.proportion import confint_proportions_2indep

import edu_quality as eq


def _summary(rows):
    return pd.DataFrame(rows, columns=["school_id", "session", "participants", "n2"]).assign(
        assessment="ВПР", subject="Русский язык", grade=5, year=2021
    )


def test_change_interval_and_region_by_hand():
    s = _summary(
        [
            ("a", "осень", 30, 12),
            ("a", "весна", 32, 4),
            ("b", "осень", 50, 10),
            ("b", "весна", 48, 9),
            ("c", "осень", 4, 2),  # too small: kept, not judged, no share shown
            ("c", "весна", 4, 1),
        ]
    )
    t = eq.session_progress(s).set_index("school_id")
    low, high = confint_proportions_2indep(4, 32, 12, 30, method="newcomb", compare="diff")
    assert t.loc["a", "change"] == pytest.approx(4 / 32 - 12 / 30)
    assert (t.loc["a", "change_low"], t.loc["a", "change_high"]) == pytest.approx((low, high))
    region_change = (4 + 9 + 1) / (32 + 48 + 4) - (12 + 10 + 2) / (30 + 50 + 4)
    assert t.loc["a", "region_change"] == pytest.approx(region_change)
    assert t.loc["a", "relative_high"] == pytest.approx(high - region_change)
    assert t.loc["c", "verdict"] == "" and np.isnan(t.loc["c", "share_autumn"])
    assert "меньше 5" in t.loc["c", "note"]
    assert "не динамика" in eq.session_progress(s).attrs["label"]


def test_no_autumn_no_rows():
    s = _summary([("a", "весна", 30, 3)])
    assert eq.session_progress(s).empty
    assert eq.session_progress(s.drop(columns="session")).empty


@pytest.mark.slow
@pytest.mark.skipif(not ALTAI.is_dir(), reason="нет реальных данных")
def test_real_region_autumn_to_spring(tmp_path):
    """Altai 2020/21: the same pupils' grade-5 cohort wrote the grade-4 work in autumn and
    the grade-5 work in spring; the region's own change is what a school is set against."""
    from edu_quality.fisoko import import_fisoko

    names = ["Математика 4 класс (осень 2020).xlsx"]
    folder = tmp_path / "vpr"
    folder.mkdir()
    for n in names:
        shutil.copy(ALTAI / "vpr_2020" / n, folder / n)
    spring = next((ALTAI / "vpr_2021").glob("*атематике, 5*"))
    shutil.copy(spring, folder / spring.name)
    out = tmp_path / "out"
    import_fisoko(ALTAI / "schools_registry.xlsx", None, [folder], out, invalid_results="exclude")
    ds = eq.load_dataset(out)
    s = eq.summarize(ds.results, ["school_id", "assessment", "subject", "grade", "year"])
    t = eq.session_progress(s)
    assert len(t) > 500 and set(t["grade"]) == {5} and set(t["year"]) == {2021}
    judged = t.loc[t["verdict"] != ""]
    # every judged row against the region's own change, which is the same for all
    assert np.allclose(judged["region_change"], judged["region_change"].iloc[0])
    assert set(judged["verdict"]) <= {
        "лучше, чем в регионе",
        "хуже, чем в регионе",
        "как в регионе",
    }
    # the school report's block: labelled as a cohort's progress, the region beside it
    from edu_quality.report.data import ReportData
    from edu_quality.report.progress import session_progress_section

    data = ReportData(ds, 2021)
    sid = judged["school_id"].iloc[0]
    sec = session_progress_section(data, sid)
    table = sec.tables["session_progress"]
    assert "не динамика" in sec.html() and "Изменение в регионе, п.п." in table.columns
    assert table["Итог"].iloc[0] in {"лучше, чем в регионе", "хуже, чем в регионе", "как в регионе"}


def test_no_block_without_an_autumn_session():
    from _helpers import SAMPLES

    from edu_quality.report import report_data
    from edu_quality.report.progress import session_progress_section

    assert session_progress_section(report_data(SAMPLES / "region", 2024), "01016") is None

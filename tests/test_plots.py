"""Charts: Cyrillic renders (no missing glyphs), intervals drawn, nothing shown or saved."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from _helpers import SAMPLES, nazarovo_cohort

import edu_quality as eq
from edu_quality import plots
from edu_quality.dynamics import cohort_progress
from edu_quality.metrics import summarize


def render(ax) -> None:
    """Draw the figure to a buffer and fail on any missing glyph."""
    import io

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # «Glyph … missing from font» is a UserWarning
        ax.figure.savefig(io.BytesIO(), format="png")


def test_cyrillic_font_is_available():
    from matplotlib import font_manager

    path = font_manager.findfont(plots.FONT, fallback_to_default=False)
    assert "DejaVuSans" in path


def test_dynamics_chart_on_inta():
    ds = eq.load_dataset(SAMPLES / "inta")
    s = summarize(ds.aggregates)
    s = s.loc[~s["exam_not_held"]]
    names = dict(zip(ds.schools["school_id"], ds.schools["name"], strict=True))
    ax = plots.plot_dynamics(s, "share_2", labels=names)
    render(ax)
    assert ax.get_ylabel() == "доля «2»"
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {
        "МБОУ «СОШ № 5»",
        "МБОУ «СОШ № 6»",
        "МБОУ «СОШ № 8»",
    }
    assert len(ax.containers) == 3  # one errorbar container per school: intervals are drawn
    assert ax.get_yticklabels()[1].get_text().endswith("%")


def test_transition_heatmap_and_levels():
    cp = cohort_progress(nazarovo_cohort(), before=(2017, 4), after=(2019, 6))
    ax = plots.plot_transitions(cp)
    render(ax)
    texts = [t.get_text() for t in ax.texts]
    assert "14\n47\u00a0%" in texts  # 14 of 30 повышенный pupils stayed повышенный
    ax2 = plots.plot_levels(cp.shares, levels=list(cp.table().index))
    render(ax2)


def test_objectivity_and_reference_charts():
    t = pd.DataFrame(
        {
            "school_id": ["1", "2"],
            "share_lower": [0.2, 0.1],
            "share_equal": [0.7, 0.3],
            "share_higher": [0.1, 0.6],
        }
    )
    render(plots.plot_objectivity(t, labels={"1": "МБОУ «СОШ № 1»"}))
    ref = pd.DataFrame(
        {
            "unit": ["Школа", "Муниципалитет", "Школа", "Муниципалитет"],
            "subject": ["Математика", "Математика", "Русский язык", "Русский язык"],
            "quality_rate": [0.3, 0.5, 0.4, 0.45],
            "quality_rate_low": [0.2, 0.48, 0.3, 0.43],
            "quality_rate_high": [0.42, 0.52, 0.5, 0.47],
        }
    )
    render(plots.plot_school_vs_reference(ref))


def test_plots_do_not_open_new_figures_when_given_ax():
    fig, ax = plt.subplots()
    s = pd.DataFrame({"school_id": ["5"], "year": [2022], "share_2": [0.5]})
    assert plots.plot_dynamics(s, ax=ax) is ax
    assert len(plt.get_fignums()) == 1


@pytest.mark.parametrize(
    ("value", "text"), [(0.625, "62,5\u00a0%"), (0.0, "0,0\u00a0%"), (1, "100,0\u00a0%")]
)
def test_percent_russian_style(value, text):
    assert plots.percent(value) == text


def test_dynamics_chart_with_zero_shares():
    from edu_quality.intervals import wilson

    low, high = wilson([0, 7], [7, 7])
    assert low[0] == 0.0 and high[1] == 1.0
    s = pd.DataFrame(
        {
            "school_id": ["5", "5"],
            "year": [2021, 2022],
            "share_2": [0.0, 1.0],
            "share_2_low": low,
            "share_2_high": high,
        }
    )
    render(plots.plot_dynamics(s))


def test_risk_profile_chart_on_inta():
    ds = eq.load_dataset(SAMPLES / "inta")
    rp = ds.risk_profiles.query("school_id == 'INT08'")
    ax = plots.plot_risk_profile(rp)
    render(ax)
    colours = {tuple(round(c, 3) for c in p.get_facecolor()[:3]) for p in ax.patches}
    assert len(ax.patches) == 6 and len(colours) == 3  # СОШ № 8 has all three levels


def test_risk_profile_bars_go_from_high_to_low_significance():
    """The loaded profile holds its words as categoricals: still sorted by significance."""
    from matplotlib.colors import to_hex

    ds = eq.load_dataset(SAMPLES / "inta")
    rp = ds.risk_profiles.query("school_id == 'INT08'")
    assert isinstance(rp["significance"].dtype, pd.CategoricalDtype)
    ax = plots.plot_risk_profile(rp)
    level = {c: w for w, c in plots.SIGNIFICANCE_COLOURS.items()}
    bars = [level[to_hex(p.get_facecolor())] for p in ax.patches]
    rank = {"высокая": 0, "средняя": 1, "низкая": 2}
    assert [rank[b] for b in bars] == sorted(rank[b] for b in bars) and len(set(bars)) == 3

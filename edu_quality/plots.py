"""Charts on the tables of edu_quality, with Russian labels and intervals drawn.

Every function takes a tidy table, draws on ``ax`` (a new figure when None) and
returns the Axes; it never shows or saves (saving belongs to reports). Text
uses DejaVu Sans, which ships with matplotlib and covers Cyrillic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd

from ._russian import percent as russian_percent
from .metrics import METRICS
from .risk import by_significance

if TYPE_CHECKING:  # pyplot and the dynamics (scipy) are imported when first needed
    import matplotlib.pyplot as plt

    from .dynamics import CohortProgress

__all__ = [
    "FONT",
    "percent",
    "plot_dynamics",
    "plot_levels",
    "plot_objectivity",
    "plot_risk_profile",
    "plot_score_histogram",
    "plot_school_vs_reference",
    "plot_transitions",
]

#: Font family used for every chart (covers Cyrillic).
FONT = "DejaVu Sans"
_SHARES = ("share_2", "success_rate", "quality_rate", "not_admitted_share")


def percent(value: float, digits: int = 1) -> str:
    """A share as a Russian percentage: 0.625 → «62,5 %».

    Examples
    --------
    >>> percent(0.625) == "62,5\u00a0%"   # a non-breaking space before «%»
    True
    >>> percent(float("nan"))
    '—'
    """
    if value is None or pd.isna(value):
        return "—"
    return russian_percent(value, digits)


def _ax(ax, size=(7, 4)):
    matplotlib.rcParams["font.family"] = FONT
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _label(metric: str) -> str:
    return METRICS.get(metric, (metric, 0))[0]


def _errors(table: pd.DataFrame, metric: str) -> np.ndarray | None:
    lo, hi = f"{metric}_low", f"{metric}_high"
    if lo not in table.columns:
        return None
    v = table[metric].to_numpy(dtype="float64")
    err = np.vstack(
        [v - table[lo].to_numpy(dtype="float64"), table[hi].to_numpy(dtype="float64") - v]
    )
    return np.clip(err, 0, None)  # rounding can leave −1e−17


def _axis_format(ax, metric: str, axis: str = "y") -> None:
    if metric in _SHARES:
        fmt = matplotlib.ticker.FuncFormatter(lambda v, _: percent(v, 0))
        (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def plot_dynamics(
    summary: pd.DataFrame,
    metric: str = "share_2",
    *,
    hue: str = "school_id",
    labels: dict[str, str] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Lines of a metric over the years, one per ``hue`` value, with interval bars.

    Parameters
    ----------
    summary : DataFrame
        :func:`edu_quality.metrics.summarize` output with ``year``.
    metric : str
        Column to draw (shares are drawn in per cent).
    hue : str
        Column that makes one line each.
    labels : dict, optional
        Display names for ``hue`` values (e.g. school names).
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> s = pd.DataFrame({"school_id": ["5", "5"], "year": [2021, 2022],
    ...                   "share_2": [0.45, 0.62], "share_2_low": [0.27, 0.43],
    ...                   "share_2_high": [0.65, 0.79]})
    >>> plot_dynamics(s).get_ylabel()
    'доля «2»'
    """
    ax = _ax(ax)
    for key, g in summary.sort_values("year").groupby(hue, sort=True):
        name = (labels or {}).get(key, str(key))
        err = _errors(g, metric)
        ax.errorbar(g["year"], g[metric], yerr=err, marker="o", capsize=3, label=name)
    years = sorted(summary["year"].unique())
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_xlabel("год")
    ax.set_ylabel(_label(metric))
    _axis_format(ax, metric)
    if summary[hue].nunique() > 1:  # noqa: PD101
        ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_school_vs_reference(
    table: pd.DataFrame,
    metric: str = "quality_rate",
    *,
    label: str = "unit",
    category: str = "subject",
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """A school against its municipality and region: points with intervals per category.

    Parameters
    ----------
    table : DataFrame
        One row per unit and category with ``label`` (e.g. «Школа»,
        «Муниципалитет», «Регион»), ``category`` (e.g. subject), ``metric``
        and its ``_low``/``_high`` bounds.
    metric, label, category : str
        Columns.
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"unit": ["Школа", "Муниципалитет"], "subject": "Математика",
    ...     "quality_rate": [0.3, 0.5], "quality_rate_low": [0.2, 0.48],
    ...     "quality_rate_high": [0.42, 0.52]})
    >>> len(plot_school_vs_reference(t).get_legend().get_texts())
    2
    """
    ax = _ax(ax)
    cats = list(dict.fromkeys(table[category]))
    units = list(dict.fromkeys(table[label]))
    width = 0.8 / max(len(units), 1)
    for i, unit in enumerate(units):
        g = table.loc[table[label] == unit].set_index(category).reindex(cats)
        x = np.arange(len(cats)) + (i - (len(units) - 1) / 2) * width
        ax.errorbar(
            x, g[metric], yerr=_errors(g.reset_index(), metric), fmt="o", capsize=3, label=unit
        )
    ax.set_xticks(np.arange(len(cats)), cats)
    ax.set_ylabel(_label(metric))
    _axis_format(ax, metric)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return ax


def plot_levels(
    shares: pd.DataFrame,
    *,
    stage: str = "stage",
    level: str = "level",
    value: str = "share",
    levels: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Stacked bars of the distribution of levels (e.g. КДР) at each stage or year.

    Examples
    --------
    >>> sh = pd.DataFrame({"stage": ["до", "до", "после", "после"],
    ...     "level": ["базовый", "повышенный"] * 2, "share": [0.8, 0.2, 0.9, 0.1]})
    >>> len(plot_levels(sh).patches)
    4
    """
    ax = _ax(ax)
    levels = list(levels) if levels is not None else list(dict.fromkeys(shares[level]))
    wide = (
        shares.pivot_table(index=stage, columns=level, values=value, aggfunc="sum", sort=False)
        .reindex(columns=levels)
        .fillna(0)
    )
    colours = matplotlib.colormaps["RdYlGn"](np.linspace(0.1, 0.9, len(levels)))
    left = np.zeros(len(wide))
    for lv, colour in zip(levels, colours, strict=True):
        vals = wide[lv].to_numpy()
        bars = ax.barh([str(i) for i in wide.index], vals, left=left, color=colour, label=lv)
        for rect, v in zip(bars, vals, strict=True):
            if v >= 0.06:
                ax.text(
                    rect.get_x() + rect.get_width() / 2,
                    rect.get_y() + rect.get_height() / 2,
                    percent(v, 0),
                    ha="center",
                    va="center",
                    fontsize="small",
                )
        left += vals
    ax.set_xlim(0, 1)
    _axis_format(ax, "share_2", axis="x")
    ax.legend(ncols=len(levels), loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize="small")
    ax.invert_yaxis()
    return ax


def plot_transitions(cohort: CohortProgress, *, ax: plt.Axes | None = None) -> plt.Axes:
    """Heatmap of a cohort's transitions between levels (counts and row shares).

    Examples
    --------
    >>> from edu_quality.dynamics import cohort_progress
    >>> r = pd.DataFrame({"year": [2017, 2019], "grade": [4, 6], "school_id": "1",
    ...     "pupil_id": "a", "assessment": "КДР", "level": ["базовый", "повышенный"]})
    >>> plot_transitions(cohort_progress(r, before=(2017, 4), after=(2019, 6))).get_xlabel()
    'уровень после'
    """
    import seaborn as sns

    ax = _ax(ax, size=(6, 5))
    counts = cohort.table()
    shares = counts.div(counts.sum(axis=1).replace(0, np.nan), axis=0)
    annot = counts.astype(str) + "\n" + shares.map(lambda v: percent(v, 0))
    sns.heatmap(
        shares.fillna(0),
        annot=annot,
        fmt="",
        cmap="Blues",
        vmin=0,
        vmax=1,
        cbar=False,
        ax=ax,
        linewidths=0.5,
    )
    ax.set_xlabel("уровень после")
    ax.set_ylabel("уровень до")
    return ax


def plot_objectivity(
    table: pd.DataFrame,
    *,
    label: str = "school_id",
    labels: dict[str, str] | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Stacked bars: shares of pupils whose ВПР mark is below, equal to, above the journal mark.

    Parameters
    ----------
    table : DataFrame
        ``share_lower``, ``share_equal``, ``share_higher`` per ``label``
        (:func:`edu_quality.objectivity.marks_vs_journal`).

    Examples
    --------
    >>> t = pd.DataFrame({"school_id": ["1"], "share_lower": [0.2], "share_equal": [0.7],
    ...                   "share_higher": [0.1]})
    >>> len(plot_objectivity(t).patches)
    3
    """
    ax = _ax(ax, size=(7, max(2.5, 0.4 * len(table) + 1)))
    names = [(labels or {}).get(k, str(k)) for k in table[label]]
    left = np.zeros(len(table))
    for col, name, colour in (
        ("share_lower", "понизили", "#d95f02"),
        ("share_equal", "подтвердили", "#a6a6a6"),
        ("share_higher", "повысили", "#1b9e77"),
    ):
        vals = table[col].to_numpy(dtype="float64")
        ax.barh(names, vals, left=left, color=colour, label=name)
        left += np.nan_to_num(vals)
    ax.set_xlim(0, 1)
    _axis_format(ax, "share_2", axis="x")
    ax.set_xlabel("доля обучающихся: отметка ВПР относительно отметки по журналу")
    ax.legend(ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="small")
    ax.invert_yaxis()
    return ax


def plot_score_histogram(
    hist: pd.DataFrame, *, school_label: str = "школа", ax: plt.Axes | None = None
) -> plt.Axes:
    """Primary scores on one work: the school's bars, the region's line, the mark cut-offs.

    Parameters
    ----------
    hist : DataFrame
        :func:`edu_quality.score_checks.score_histogram` output (``score``,
        ``cutoff``, ``mark``, ``school_share``, ``region_share``).
    school_label : str
        Legend name of the school.
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> h = pd.DataFrame({"score": [0, 1, 2, 3], "mark": [2, 3, 4, 5],
    ...                   "cutoff": [False, True, True, True],
    ...                   "school_share": [0.1, 0.5, 0.2, 0.2], "region_share": [0.2, 0.3, 0.3, 0.2]})
    >>> ax = plot_score_histogram(h)
    >>> len(ax.patches), ax.get_xlabel()
    (4, 'первичный балл')
    """
    ax = _ax(ax, size=(8, 4))
    x = hist["score"].to_numpy()
    ax.bar(x, hist["school_share"], width=0.85, color="#7570b3", alpha=0.8, label=school_label)
    ax.plot(x, hist["region_share"], color="#d95f02", marker=".", label="регион")
    for row in hist.loc[hist["cutoff"]].itertuples(index=False):
        ax.axvline(row.score - 0.5, color="#444444", linestyle="--", linewidth=1)
        ax.annotate(
            f"«{row.mark}» с {row.score}",
            (row.score - 0.5, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize="small",
        )
    ax.set_xlabel("первичный балл")
    ax.set_ylabel("доля участников")
    _axis_format(ax, "share_2")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(0, 0.9))
    ax.grid(alpha=0.3, axis="y")
    return ax


# --- factor influence, social index, multilevel school effects -------------------------

__all__ += ["expected_line", "plot_coefficients", "plot_expected", "plot_school_effects"]

_DIRECTION_COLOURS = {
    "положительное": "#1b9e77",
    "отрицательное": "#d95f02",
    "незначимое": "#8c8c8c",
}


def _wrap(text: str, width: int = 45) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def plot_coefficients(
    result: pd.DataFrame,
    ax: plt.Axes | None = None,
    *,
    label: str = "label",
) -> plt.Axes:
    """Coefficients of the factors with their intervals, coloured by direction.

    Parameters
    ----------
    result : DataFrame
        :func:`edu_quality.factors.influence` output (``coef``, ``ci_low``,
        ``ci_high``, ``direction`` and ``label``).
    ax : Axes, optional
    label : str
        Column with the names drawn on the axis (wrapped).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> r = pd.DataFrame({"label": ["доля обучающихся из многодетных семей", "доля Б"],
    ...     "coef": [-2.0, 0.3], "ci_low": [-3.0, -0.5], "ci_high": [-1.0, 1.1],
    ...     "direction": ["отрицательное", "незначимое"]})
    >>> ax = plot_coefficients(r)
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['отрицательное', 'незначимое']
    """
    ax = _ax(ax, size=(8, max(2.5, 0.55 * len(result) + 1.2)))
    pos = np.arange(len(result))[::-1]
    coef = result["coef"].to_numpy(dtype="float64")
    err = np.vstack(
        [
            coef - result["ci_low"].to_numpy(dtype="float64"),
            result["ci_high"].to_numpy(dtype="float64") - coef,
        ]
    )
    directions = result["direction"].astype(str).to_numpy()
    for direction, colour in _DIRECTION_COLOURS.items():
        sel = directions == direction
        if sel.any():
            ax.errorbar(
                coef[sel],
                pos[sel],
                xerr=err[:, sel],
                fmt="o",
                capsize=3,
                color=colour,
                label=direction,
            )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(pos, [_wrap(t) for t in result[label]], fontsize="small")
    level = round(100 * (1 - float(result.attrs.get("alpha", 0.05))))
    ax.set_xlabel(f"коэффициент и его {level}\u00a0% интервал")
    ax.legend(title="влияние", fontsize="small", loc="best")
    ax.grid(alpha=0.3, axis="x")
    return ax


def expected_line(
    xs: np.ndarray, ys: np.ndarray, grid: np.ndarray, *, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The OLS line of ``ys`` on ``xs`` at ``grid`` with its confidence band, and the fitted ``ys``.

    ``statsmodels``' ``OLS(ys, add_constant(xs)).fit()`` (the pseudo-inverse by
    SVD) and its ``get_prediction(add_constant(grid)).summary_frame(alpha)``
    (``mean``, ``mean_ci_lower``, ``mean_ci_upper``), operation for operation,
    so the figure is the same to the pixel: β = X⁺y, s² = ‖y − Xβ‖² / (n − 2),
    band ŷ ± t₁₋α/₂(n − 2)·√(g (X⁺X⁺ᵀ s²) gᵀ) (:func:`edu_quality._stats.least_squares`).
    Without statsmodels and ``scipy.stats`` (≈0.6 s of a report kernel's start); a fit
    of rank below 2 (fewer than three points, one value of ``xs``) gives statsmodels'
    numbers too, NaN where they are NaN.

    Examples
    --------
    >>> line, low, high, fitted = expected_line(
    ...     np.array([-1.0, 0.0, 1.0, 2.0]), np.array([10.0, 13, 12, 16]), np.array([0.0, 1.0]))
    >>> [round(float(v), 2) for v in line], round(float(high[0] - low[0]), 2)
    ([11.9, 13.6], 6.91)
    """
    from ._stats import least_squares, mean_se, t_ppf

    exog = np.column_stack((np.ones(len(xs)), xs))
    params, cov, df_resid, _ = least_squares(ys, exog)
    at = np.column_stack((np.ones(len(grid)), grid))
    line = np.dot(at, params)
    se = mean_se(at, cov)
    q = t_ppf(1 - alpha / 2.0, df_resid)
    return line, line - q * se, line + q * se, np.dot(exog, params)


def plot_expected(
    data: pd.DataFrame,
    x: str,
    y: str,
    *,
    labels: str | None = None,
    ax: plt.Axes | None = None,
) -> plt.Axes:
    """Results against the social index with the expected line; schools above and below.

    The expected line is the OLS fit of ``y`` on ``x`` with its 95 % confidence
    band (:func:`expected_line`); points above the line (results better than expected when a
    higher ``y`` is better) and below it are coloured differently.

    Parameters
    ----------
    data : DataFrame
        One row per school with ``x`` and ``y``.
    x, y : str
        Columns: the index (e.g. ``index_z``) and the result (e.g. ``mean_score``).
    labels : str, optional
        Column with the text written next to each point; rows where it is missing
        or empty are not labelled (put names only for the schools to show).
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> d = pd.DataFrame({"index_z": [-1.0, 0.0, 1.0, 2.0], "mean_score": [10, 13, 12, 16],
    ...                   "name": ["МБОУ «СОШ № 1»", None, None, "Гимназия"]})
    >>> ax = plot_expected(d, "index_z", "mean_score", labels="name")
    >>> len(ax.texts)
    2
    """
    ax = _ax(ax)
    d = data[[x, y] + ([labels] if labels else [])].copy()
    d = d.loc[d[x].notna() & d[y].notna()]
    xs = d[x].to_numpy(dtype="float64")
    ys = d[y].to_numpy(dtype="float64")
    grid = np.linspace(xs.min(), xs.max(), 100)
    line, band_low, band_high, fitted = expected_line(xs, ys, grid)
    ax.fill_between(grid, band_low, band_high, color="#bdbdbd", alpha=0.4, linewidth=0)
    ax.plot(grid, line, color="black", linewidth=1.2, label="ожидаемый результат")
    above = ys >= fitted
    ax.scatter(xs[above], ys[above], color="#1b9e77", label="выше ожидаемого", zorder=3)
    ax.scatter(xs[~above], ys[~above], color="#d95f02", label="ниже ожидаемого", zorder=3)
    if labels:
        for xv, yv, text in zip(xs, ys, d[labels], strict=True):
            if text is not None and not pd.isna(text) and str(text).strip():
                ax.annotate(
                    str(text), (xv, yv), xytext=(4, 4), textcoords="offset points", fontsize="small"
                )
    ax.set_xlabel("индекс социального благополучия" if x.startswith("index") else x)
    ax.set_ylabel(_label(y))
    _axis_format(ax, y)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    return ax


def plot_school_effects(
    effects,
    ax: plt.Axes | None = None,
    *,
    labels: dict | None = None,
) -> plt.Axes:
    """Caterpillar plot: school effects of a multilevel model, sorted, with intervals.

    Parameters
    ----------
    effects : DataFrame or MultilevelResult
        ``school_effects`` of :func:`edu_quality.factors.multilevel` (``group``,
        ``effect``, ``ci_low``, ``ci_high``), or the result itself.
    ax : Axes, optional
    labels : dict, optional
        School → name, written next to those schools.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> e = pd.DataFrame({"group": ["1", "2", "3"], "effect": [0.5, -1.0, 0.1],
    ...                   "ci_low": [0.1, -1.8, -0.5], "ci_high": [0.9, -0.2, 0.7]})
    >>> ax = plot_school_effects(e, labels={"2": "МКОУ «ООШ»"})
    >>> ax.get_ylabel()
    'эффект школы'
    """
    if hasattr(effects, "school_effects"):
        effects = effects.school_effects
    ax = _ax(ax, size=(8, 4))
    d = effects.sort_values("effect", kind="stable").reset_index(drop=True)
    pos = np.arange(1, len(d) + 1)
    eff = d["effect"].to_numpy(dtype="float64")
    lo, hi = d["ci_low"].to_numpy(dtype="float64"), d["ci_high"].to_numpy(dtype="float64")
    groups = (
        ("выше среднего", lo > 0, "#1b9e77"),
        ("ниже среднего", hi < 0, "#d95f02"),
        ("не отличается от среднего", (lo <= 0) & (hi >= 0), "#8c8c8c"),
    )
    for name, sel, colour in groups:
        if sel.any():
            ax.errorbar(
                pos[sel],
                eff[sel],
                yerr=np.vstack([eff[sel] - lo[sel], hi[sel] - eff[sel]]),
                fmt="o",
                markersize=3,
                capsize=0,
                color=colour,
                label=name,
            )
    ax.axhline(0, color="black", linewidth=0.8)
    for p, g, v in zip(pos, d["group"], eff, strict=True):
        if labels and g in labels:
            ax.annotate(
                str(labels[g]), (p, v), xytext=(4, 4), textcoords="offset points", fontsize="small"
            )
    ax.set_xlabel("школы по возрастанию эффекта")
    ax.set_ylabel("эффект школы")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, axis="y")
    return ax


#: Colours of the significance of a risk factor.
SIGNIFICANCE_COLOURS = {"высокая": "#d7301f", "средняя": "#fdae61", "низкая": "#91cf60"}


def plot_risk_profile(profile: pd.DataFrame, *, ax: plt.Axes | None = None) -> plt.Axes:
    """A school's 500+ risk profile: one bar per factor, coloured by significance.

    Parameters
    ----------
    profile : DataFrame
        ``risk_factor``, ``score``, ``significance`` of one school and year
        (:func:`edu_quality.read_risk_profiles`). A lower score is a higher risk.
    ax : Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> rp = pd.DataFrame({"risk_factor": ["Низкий уровень оснащения школы",
    ...     "Высокая доля обучающихся с рисками учебной неуспешности"],
    ...     "score": [20, 6], "significance": ["средняя", "высокая"]})
    >>> [p.get_facecolor()[:3] != (0, 0, 0) for p in plot_risk_profile(rp).patches]
    [True, True]
    """
    import textwrap

    from matplotlib.patches import Patch

    ax = _ax(ax, size=(8, max(2.5, 0.55 * len(profile) + 1)))
    p = profile.sort_values("significance", key=by_significance, kind="stable")
    names = [textwrap.fill(str(f), 45) for f in p["risk_factor"]]
    colours = [SIGNIFICANCE_COLOURS.get(s, "#bbbbbb") for s in p["significance"]]
    ax.barh(names, p["score"], color=colours)
    for y, score in enumerate(p["score"]):
        ax.text(score, y, f" {score:g}", va="center", fontsize="small")
    ax.invert_yaxis()
    ax.set_xlabel("сумма баллов (чем ниже, тем выше риск)")
    ax.legend(
        handles=[Patch(color=c, label=s) for s, c in SIGNIFICANCE_COLOURS.items()],
        title="значимость",
        fontsize="small",
        loc="lower right",
    )
    return ax

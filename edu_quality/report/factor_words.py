"""The region's factor model in plain words: percentage points and odds ratios.

:func:`factor_effects` turns the binomial model of the share of «2»
(:func:`edu_quality.report.factor_model.factor_influence`) into units a reader uses:
the change of the share of «2» in percentage points at a school with the
region's average share, and the odds ratio, for a realistic step of the factor.
:func:`plain_factor_section` is the municipality report's factor section.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataError
from .data import ReportData
from .render import Section, fmt_interval, fmt_number, fmt_percent

__all__ = ["factor_effects", "plain_factor_section"]

#: A factor «strongly linked with the others» (variance inflation above this).
_VIF_HIGH = 5.0


def _step(sd_pp: float) -> float:
    """A round step of a factor, in percentage points, no larger than its spread (at least 1)."""
    for s in (20, 10, 5, 2, 1):
        if sd_pp >= s:
            return float(s)
    return 1.0


def factor_effects(data: ReportData) -> pd.DataFrame:
    """The region's factor model in plain units: percentage points and odds ratios.

    For each factor of :func:`edu_quality.report.factor_model.factor_influence` a step
    ``step_pp`` (a round number of percentage points not above the factor's
    standard deviation across schools; at least 1), the odds ratio
    ``exp(coef · step / 100)`` of getting «2», and the change of the share of «2»
    of a school with the region's average share ``p0``:
    ``expit(logit(p0) + coef · step / 100) − p0`` in percentage points, with the
    same transform of the interval ends.

    Raises
    ------
    edu_quality.errors.DataError
        As :func:`~edu_quality.report.factor_model.factor_influence`.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> e = factor_effects(report_data(sample_folder("region"), 2024))
    >>> bool((e["odds_ratio"] > 0).all()), bool((e["step_pp"] >= 1).all())
    (True, True)
    """
    from .factor_model import factor_influence, school_factor_table

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = factor_influence(data)
        table = school_factor_table(data)
    p0 = float(table["n2"].sum()) / float(table["participants"].sum())
    base = np.log(p0 / (1 - p0))
    out = res.copy()
    out["step_pp"] = [_step(100 * float(table[f].std())) for f in res["factor"]]
    step = out["step_pp"] / 100

    def pp(coef):
        return 100 * (1 / (1 + np.exp(-(base + coef * step))) - p0)

    out["odds_ratio"] = np.exp(out["coef"] * step)
    out["pp"], out["pp_low"], out["pp_high"] = (
        pp(out["coef"]),
        pp(out["ci_low"]),
        pp(out["ci_high"]),
    )
    out.attrs.update(res.attrs, p0=p0)
    return out


_DIRECTION_WORDS = {
    "положительное": "меньше «2»: связь значима с учётом множественных сравнений",
    "отрицательное": "больше «2»: связь значима с учётом множественных сравнений",
    "незначимое": "связь не доказана: может быть случайной",
}


def plain_factor_section(data: ReportData, *, region: bool = False) -> Section:
    """Factor influence on the share of «2» in plain words (municipality and region reports).

    The same model and numbers as the region report
    (:func:`edu_quality.report.region.factor_influence_section`), told as the
    change of the share of «2» in percentage points and as an odds ratio
    (:func:`factor_effects`), with a glossary under the table. ``region``: the
    region report's lead (no word about a municipality's too few schools).
    """
    from ..factors import direction_table
    from ..plots import plot_coefficients

    lead = "Какие особенности контингента связаны с долей «2» в школах региона"
    lead += (
        "."
        if region
        else " (модель по всем школам региона: у муниципалитета слишком мало школ для своей)."
    )
    sec = Section("Влияние социальных факторов на долю «2»", lead)
    try:
        eff = factor_effects(data)
    except (DataError, ValueError) as exc:
        sec.note(f"Модель не оценена: {exc}")
        return sec
    sec.table(direction_table(eff), name="factor_directions")
    p0 = eff.attrs["p0"]
    details = pd.DataFrame(
        {
            "Фактор": eff["label"],
            "Если доля фактора выше на": [f"{fmt_number(s)} п. п." for s in eff["step_pp"]],
            "Доля «2» меняется на, п. п.": [
                f"{fmt_number(v, fixed=True)} {fmt_interval(lo, hi, percent=False)}"
                for v, lo, hi in zip(eff["pp"], eff["pp_low"], eff["pp_high"], strict=True)
            ],
            "Шансы получить «2»": [f"× {fmt_number(v, 2, fixed=True)}" for v in eff["odds_ratio"]],
            "Связь": eff["direction"].map(_DIRECTION_WORDS).fillna("—"),
            "Фактор сильно связан с другими": [
                "да" if pd.notna(v) and v > _VIF_HIGH else "нет" for v in eff["vif"]
            ],
            "Ожидалось": eff["expected_direction"].fillna("—"),
        }
    )
    sec.subtitle("Насколько меняется доля «2»")
    sec.table(details, name="factor_model", numeric=["Доля «2» меняется на, п. п."])
    a = eff.attrs
    sec.note(
        f"Как читать: «доля «2» меняется на» — насколько выше (плюс) или ниже (минус) "
        f"была бы доля «2» у школы со средней для региона долей ({fmt_percent(p0)}), если "
        "бы доля фактора была выше на указанный шаг, а остальные факторы те же; в скобках — "
        "95-процентный интервал. «Шансы получить «2»» — во сколько раз меняется отношение "
        "числа «2» к остальным отметкам (× 1,00 — без изменения). «Связь значима с учётом "
        "множественных сравнений» — связь больше случайной даже с поправкой на то, что "
        "проверено сразу много факторов (поправка Холма). «Фактор сильно связан с "
        f"другими» — его трудно отделить от остальных (коэффициент VIF больше "
        f"{fmt_number(_VIF_HIGH)}), и его оценка ненадёжна. Связь не доказывает, что фактор "
        "вызывает низкие результаты."
    )
    sec.note(
        f"Оценено по {a['n']} школам региона (контекст {a['context_year']} года): "
        "биномиальная модель доли «2» на все факторы сразу с робастными ошибками. "
        "«Ожидалось» — направление из программы Назаровского района."
    )
    plot = eff.assign(coef=eff["pp"], ci_low=eff["pp_low"], ci_high=eff["pp_high"])
    ax = plot_coefficients(plot)
    ax.set_title("Изменение доли «2», п. п., при доле фактора выше на шаг из таблицы")
    ax.set_xlabel("изменение доли «2», п. п., и его 95-процентный интервал")
    sec.figure(ax.figure)
    for message in a.get("warnings", []):
        sec.note(message, warn=True)
    return sec

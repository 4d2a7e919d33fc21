"""The region's factor model: the school table it is fitted on and the fit itself.

:func:`factor_influence` — which context factors go with the share of «2»
across the region's schools — is shown by the region report
(:mod:`edu_quality.report.region`), told in plain units by
:mod:`edu_quality.report.factor_words` for the municipality report, and read
by the справка's likely causes (:mod:`edu_quality.report.municipal`).
"""

from __future__ import annotations

import warnings

import pandas as pd

from ..errors import DataError
from .data import ReportData

__all__ = [
    "MIN_SCHOOLS",
    "context_year",
    "factor_columns",
    "factor_influence",
    "school_factor_table",
]

#: Fewest schools with results and context for the region-wide models.
MIN_SCHOOLS = 10


def context_year(data: ReportData) -> int | None:
    """The latest context year not after the report year (else the earliest one)."""
    ctx = data.dataset.context
    if ctx.empty:
        return None
    years = sorted(int(y) for y in ctx["year"].unique())
    before = [y for y in years if y <= data.year]
    return before[-1] if before else years[0]


def factor_columns(data: ReportData) -> list[str]:
    """The context factors of the dataset: every column of ``context`` but the keys."""
    return [c for c in data.dataset.context.columns if c not in ("school_id", "year")]


def school_factor_table(data: ReportData) -> pd.DataFrame:
    """One row per school of the region: share of «2» of the year and its context factors.

    The share of «2» pools every work of the report year with marks (ОГЭ and
    ЕГЭ of years when they were not exams are left out); the factors are those
    of the latest context year not after the report year.

    Parameters
    ----------
    data : ReportData

    Returns
    -------
    DataFrame
        ``school_id``, ``name``, ``municipality``, ``group``, ``n2`` (pupils
        with «2»), ``participants`` (pupils with a mark), ``share_2`` = n2 /
        participants, then one column per context factor (shares 0–1).
        ``attrs["context_year"]`` is the context year used. Empty (with these
        columns) when there is no context table.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> t = school_factor_table(report_data(sample_folder("region"), 2024))
    >>> len(t), t.attrs["context_year"], bool(t["share_2"].between(0, 1).all())
    (44, 2024, True)
    """
    cols = ["school_id", "name", "municipality", "group", "n2", "participants", "share_2"]
    factors = factor_columns(data)
    cy = context_year(data)
    if cy is None or not factors:
        out = pd.DataFrame(columns=cols + factors)
        out.attrs["context_year"] = cy
        return out
    s = data.summary
    s = s.loc[(s["year"] == data.year) & ~s["exam_not_held"] & s["n2"].notna()]
    per_school = s.groupby("school_id", as_index=False).agg(
        n2=("n2", "sum"), participants=("participants", "sum")
    )
    per_school = per_school.loc[per_school["participants"] > 0]
    per_school = per_school.assign(
        n2=per_school["n2"].astype("int64"),
        share_2=per_school["n2"].astype("float64") / per_school["participants"],
    )
    ctx = data.dataset.context
    ctx = ctx.loc[ctx["year"] == cy, ["school_id", *factors]]
    reg = data.dataset.schools[["school_id", "name", "municipality", "group"]]
    out = reg.merge(per_school, on="school_id").merge(ctx, on="school_id")
    out = out[cols + factors].reset_index(drop=True)
    out.attrs["context_year"] = cy
    return out


def factor_influence(
    data: ReportData, *, robust: str | None = "HC0", alpha: float = 0.05
) -> pd.DataFrame:
    """Binomial model of the share of «2» of the region's schools on their context factors.

    :func:`edu_quality.influence` with ``family="binomial"`` on
    :func:`school_factor_table` (successes: pupils with «2», trials: pupils
    with a mark), every factor that varies between schools, Holm's correction.

    Parameters
    ----------
    data : ReportData
    robust : {"HC0", None}
        Standard errors. The default sandwich (``"HC0"``) stays valid when the
        schools differ more than a binomial model allows (overdispersion: pupils
        of one school are not independent draws), which is the rule for school
        results; None uses the plain binomial errors, which are then far too small
        and make nearly every factor «significant».
    alpha : float
        Significance level.

    Returns
    -------
    DataFrame
        The :func:`edu_quality.influence` table (one row per factor: ``label``,
        ``coef``, ``ci_low``, ``ci_high``, ``p_adjusted``, ``vif``, ``direction``,
        ``expected_direction``, ``agrees``…); its ``attrs`` gain
        ``context_year`` and ``dispersion`` (deviance / residual degrees of
        freedom: about 1 for a binomial spread, larger with overdispersion).

    Raises
    ------
    edu_quality.errors.DataError
        No context data, or fewer than :data:`MIN_SCHOOLS` schools with results
        and context.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> res = factor_influence(report_data(sample_folder("region"), 2024))
    >>> res.attrs["n"], res.attrs["cov_type"], res.attrs["dispersion"] > 2
    (44, 'HC0', True)

    The sample region has planted effects (its README): with the sandwich errors
    no factor comes out against its planted direction (``low_income``, planted
    without an effect, is one false positive); with the plain binomial errors
    (``robust=None``) nine of the fourteen are «significant», two of them
    (``non_native_russian``, ``sop_family``) with the sign opposite to the planted one.

    >>> res.loc[res["direction"] != "незначимое", ["factor", "direction"]]
                        factor      direction
    3   both_parents_higher_ed  положительное
    8           kdn_registered  отрицательное
    10              low_income  отрицательное
    """
    from ..factors import influence

    table = school_factor_table(data)
    if len(table) < MIN_SCHOOLS:
        raise DataError(
            None,
            f"для оценки влияния факторов нужны результаты и социальный "
            f"контекст хотя бы {MIN_SCHOOLS} школ, есть {len(table)}",
        )
    factors = [f for f in factor_columns(data) if table[f].min() < table[f].max()]
    if not factors:
        raise DataError(None, "ни один социальный фактор не меняется между школами")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = influence(
            table,
            "share_2",
            factors,
            trials="participants",
            family="binomial",
            robust=robust,
            alpha=alpha,
        )
    df = res.attrs["n"] - res.attrs["k"] - 1
    res.attrs["context_year"] = table.attrs["context_year"]
    res.attrs["dispersion"] = res.attrs["deviance"] / df if df > 0 else float("nan")
    return res

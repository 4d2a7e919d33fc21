"""Pupils in schools: the two-level linear mixed model (statsmodels ``MixedLM``).

:func:`multilevel` fits a random intercept per school, and optionally a random slope,
with several optimisers and keeps the best converged fit (a single optimiser can report
convergence at a wrong optimum). Its :class:`MultilevelResult` holds the fixed effects,
the variance components, the intraclass correlation and the empirical-Bayes school
effects, shrunk towards zero for small schools.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from .. import _sm as sm
from .._checks import check_fraction, check_option, numeric_columns, require_columns
from ..catalogue import factor_label
from ..errors import DataError, EduQualityError, Problem
from .common import column_list, equivalent_formula, record_warning

__all__ = ["OPTIMIZERS", "MultilevelResult", "multilevel"]

#: Optimisers tried by :func:`multilevel`, in order of preference on ties.
OPTIMIZERS = ("lbfgs", "bfgs", "powell", "nm", "cg")

_CENTERS = ("none", "group", "grand")


@dataclass(frozen=True)
class MultilevelResult:
    """A two-level model of pupils in schools (see :func:`multilevel`).

    Attributes
    ----------
    fixed : DataFrame
        ``term``, ``label``, ``coef``, ``std_err``, ``ci_low``, ``ci_high``,
        ``p_value`` (Wald z-tests, as statsmodels reports them).
    variance : dict
        ``tau00`` (between-school variance of the intercept), ``sigma2``
        (within-school, pupil-level variance) and, with a random slope, ``tau11``
        (variance of the slope) and ``tau01`` (intercept–slope covariance).
    icc : float
        tau00 / (tau00 + sigma2): the share of the outcome's variance between
        schools (with covariates: the residual share, at the covariates' zero).
    school_effects : DataFrame
        One row per school: ``group``, ``n`` (pupils), ``effect`` (empirical-Bayes
        random intercept), ``std_err``, ``ci_low``, ``ci_high``, ``raw_effect`` (the
        school's mean residual from the fixed part: the unshrunk deviation),
        ``reliability`` (tau00 / (tau00 + sigma2 / n); NaN with a random slope);
        with a random slope also ``slope_effect`` and ``slope_std_err``.
    optimizer : str
        The optimiser whose fit was kept.
    optimizers : DataFrame
        Every optimiser tried: ``method``, ``converged``, ``llf``, ``tau00``,
        ``sigma2``, ``chosen``, ``message`` (error or warnings, empty when none).
    converged : bool
        Whether the kept fit converged.
    llf : float
        Its log-likelihood (restricted when ``reml``).
    n_groups, n, n_dropped : int
        Schools, pupils used, pupil rows dropped for missing values.
    reml : bool
    center : str
    formula : str
        The equivalent formula (for the record; the design is built directly).
    re_formula : str
        The random part.
    warnings : tuple of str
        Russian messages also issued as :class:`~edu_quality.factors.FactorWarning`.
    """

    fixed: pd.DataFrame
    variance: dict[str, float]
    icc: float
    school_effects: pd.DataFrame
    optimizer: str
    optimizers: pd.DataFrame
    converged: bool
    llf: float
    n_groups: int
    n: int
    n_dropped: int = 0
    reml: bool = True
    center: str = "none"
    formula: str = ""
    re_formula: str = "1"
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _fit_mixed(model: sm.MixedLM, reml: bool, methods: Sequence[str]):
    """Fit with each optimiser; return (table of attempts, fits by method)."""
    rows, fits = [], {}
    for method in methods:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                fit = model.fit(reml=reml, method=[method])
            except (np.linalg.LinAlgError, ValueError, ArithmeticError, RuntimeError) as err:
                rows.append(
                    {
                        "method": method,
                        "converged": False,
                        "llf": np.nan,
                        "tau00": np.nan,
                        "sigma2": np.nan,
                        "message": str(err),
                    }
                )
                continue
        fits[method] = fit
        cov_re = np.asarray(fit.cov_re, dtype="float64")
        notes = "; ".join(dict.fromkeys(str(w.message).splitlines()[0] for w in caught))
        rows.append(
            {
                "method": method,
                "converged": bool(fit.converged),
                "llf": float(fit.llf),
                "tau00": float(cov_re[0, 0]),
                "sigma2": float(fit.scale),
                "message": notes,
            }
        )
    return pd.DataFrame(rows), fits


def multilevel(
    data: pd.DataFrame,
    outcome: str,
    *,
    group: str = "school_id",
    pupil_factors: Sequence[str] = (),
    school_factors: Sequence[str] = (),
    random_slope: str | None = None,
    center: Literal["none", "group", "grand"] = "none",
    group_means: bool = False,
    reml: bool = True,
    alpha: float = 0.05,
    methods: Sequence[str] = OPTIMIZERS,
) -> MultilevelResult:
    """Two-level linear mixed model of pupils in schools (statsmodels ``MixedLM``).

    ``outcome_ij = γ0 + Σ γ·pupil factors + Σ γ·school factors + u0_j (+ u1_j·x_ij)
    + e_ij`` with ``u0_j ~ N(0, tau00)``, ``e_ij ~ N(0, sigma2)`` and, with a random
    slope on ``x``, ``u1_j ~ N(0, tau11)``, ``cov(u0, u1) = tau01``.

    Parameters
    ----------
    data : DataFrame
        One row per pupil with ``outcome``, ``group`` and the factors. Not modified.
    outcome : str
        Outcome column (e.g. primary score).
    group : str
        School column.
    pupil_factors, school_factors : sequence of str
        Pupil-level predictors; school-level predictors (constant within a school).
    random_slope : str, optional
        A pupil factor whose slope varies between schools.
    center : {"none", "group", "grand"}
        Centring of the pupil factors: ``"group"`` subtracts each school's mean
        (the coefficient is then the within-school effect), ``"grand"`` subtracts
        the overall mean (the intercept is then the school mean at the average
        pupil). School factors are used as given.
    group_means : bool
        Also enter the school mean of each pupil factor as a school-level term
        ``<factor>_mean`` (the contextual model of Raudenbush & Bryk, 2002,
        ch. 5). Off by default, so that ``center="group"`` gives their
        random-coefficient model (table 4.5), with the between-school differences
        in the pupil factors left in the school intercepts.
    reml : bool
        Restricted maximum likelihood (default, as the HLM program and lme4) or ML.
    alpha : float
        Intervals are (1 − alpha).
    methods : sequence of str
        statsmodels optimisers to try (``fit(method=[m])``).

    Returns
    -------
    MultilevelResult

    Raises
    ------
    ValueError
        A bad option.
    edu_quality.errors.DataError
        A missing or non-numeric column; a school factor that varies within a
        school.
    edu_quality.errors.EduQualityError
        No optimiser produced a finite likelihood.

    Warns
    -----
    FactorWarning
        Rows dropped for missing values; no optimiser converged.

    Notes
    -----
    *Several optimisers.* statsmodels' MixedLM can report convergence at a wrong
    optimum: on the High School and Beyond data (Raudenbush & Bryk, 2002, table
    4.5) ``lbfgs`` stops with the school variance 12 % too high at a lower
    likelihood, and on the null model it reports «converged» with a zero school
    variance and an infinite likelihood. So the model is fitted with every
    optimiser of ``methods``; among the converged fits with a finite
    log-likelihood the highest wins (the first of ``methods`` on ties); if none
    converged, the highest finite one is kept with a warning. All attempts are in
    ``optimizers``.

    *School effects.* ``effect`` is the empirical-Bayes (BLUP) random intercept of
    statsmodels' ``random_effects``; its ``std_err`` is the square root of the
    conditional variance of ``random_effects_cov`` (given the data and the fixed
    effects, so it ignores the uncertainty of the fixed effects). A school's raw
    mean residual is shrunk towards 0 by its reliability tau00 / (tau00 + sigma2 /
    n) (Raudenbush & Bryk, 2002, eq. 3.57): small schools are shrunk most.

    Examples
    --------
    >>> rng = np.random.default_rng(3)
    >>> pupils = pd.DataFrame({"school_id": np.repeat([f"S{i}" for i in range(30)], 20)})
    >>> pupils["score"] = (np.repeat(rng.normal(0, 2, 30), 20)
    ...                    + rng.normal(15, 4, len(pupils)))
    >>> m = multilevel(pupils, "score")
    >>> m.n_groups, m.n, round(m.icc, 2)
    (30, 600, 0.27)
    >>> list(m.fixed["term"])
    ['const']
    """
    check_option("center", center, _CENTERS)
    bad = [m for m in methods if m not in OPTIMIZERS]
    if bad or not methods:
        raise ValueError(
            f"Параметр `methods` должен состоять из {list(OPTIMIZERS)}, передано {list(methods)!r}"
        )
    pupil_factors, school_factors = column_list(pupil_factors), column_list(school_factors)
    if random_slope is not None:
        check_option("random_slope", random_slope, pupil_factors)
    check_fraction("alpha", alpha)
    factors = [*pupil_factors, *school_factors]
    dupes = sorted({f for f in factors if factors.count(f) > 1} | ({outcome, group} & set(factors)))
    if dupes:
        raise ValueError(f"Столбцы повторяются или совпадают с результатом/группой: {dupes}")
    require_columns(data, [outcome, group, *factors])

    num = numeric_columns(data, [outcome, *factors])
    groups = data[group]
    keep = num.notna().all(axis=1) & groups.notna()
    n_total = len(num)
    num, groups = num.loc[keep], groups.loc[keep]
    messages: list[str] = []
    n_dropped = n_total - len(num)
    if n_dropped:
        record_warning(
            f"Исключено строк с пропусками: {n_dropped} из {n_total}; в модели {len(num)}.",
            messages,
        )
    if num.empty:
        raise DataError(None, "нет строк без пропусков: модель не оценить")

    varying = [
        f for f in school_factors if (num[f].groupby(groups).transform("first") != num[f]).any()
    ]
    if varying:
        raise DataError(
            None, [Problem(None, f, "школьный фактор меняется внутри школы") for f in varying]
        )

    design = pd.DataFrame({"const": 1.0}, index=num.index)
    for f in pupil_factors:
        x = num[f]
        if center == "group":
            x = x - x.groupby(groups).transform("mean")
        elif center == "grand":
            x = x - x.mean()
        design[f] = x
    if group_means:
        for f in pupil_factors:
            design[f"{f}_mean"] = num[f].groupby(groups).transform("mean")
    for f in school_factors:
        design[f] = num[f]
    exog_re = design[["const"] + ([random_slope] if random_slope else [])]
    y = num[outcome]
    model = sm.MixedLM(y, design, groups=groups.to_numpy(), exog_re=exog_re)

    attempts, fits = _fit_mixed(model, reml, methods)
    finite = attempts["llf"].apply(lambda v: math.isfinite(v))
    pool = attempts.loc[finite & attempts["converged"]]
    if pool.empty:
        pool = attempts.loc[finite]
        if pool.empty:
            raise EduQualityError(
                "Модель не удалось оценить ни одним методом оптимизации: "
                + "; ".join(
                    f"{m}: {msg}"
                    for m, msg in zip(attempts["method"], attempts["message"], strict=True)
                )
            )
        record_warning(
            "Ни один метод оптимизации не сошёлся; взята оценка с наибольшим "
            "правдоподобием — читайте её с осторожностью.",
            messages,
        )
    best = pool.loc[pool["llf"].idxmax(), "method"]
    attempts["chosen"] = attempts["method"] == best
    attempts["message"] = attempts["message"].astype("str")
    fit = fits[best]

    fe = list(design.columns)
    ci = fit.conf_int(alpha=alpha).loc[fe]
    fixed = pd.DataFrame(
        {
            "term": pd.array(fe, dtype="str"),
            "label": pd.array(
                ["свободный член" if t == "const" else factor_label(t) for t in fe], dtype="str"
            ),
            "coef": fit.fe_params[fe].to_numpy(),
            "std_err": fit.bse_fe[fe].to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "p_value": fit.pvalues[fe].to_numpy(),
        }
    )

    cov_re = np.asarray(fit.cov_re, dtype="float64")
    sigma2 = float(fit.scale)
    variance = {"tau00": float(cov_re[0, 0]), "sigma2": sigma2}
    if random_slope:
        variance["tau11"] = float(cov_re[1, 1])
        variance["tau01"] = float(cov_re[0, 1])
    icc = variance["tau00"] / (variance["tau00"] + sigma2)

    labels = list(fit.random_effects)
    re = pd.DataFrame([np.asarray(fit.random_effects[g], dtype="float64") for g in labels])
    re_cov = fit.random_effects_cov
    var0 = np.array([np.asarray(re_cov[g], dtype="float64")[0, 0] for g in labels])
    resid = y - np.asarray(design, dtype="float64") @ fit.fe_params[fe].to_numpy()
    by_group = pd.DataFrame({"g": groups.to_numpy(), "r": resid.to_numpy()}).groupby(
        "g", sort=False
    )
    counts = by_group.size().reindex(labels)
    raw = by_group["r"].mean().reindex(labels)
    z = stats.norm.ppf(1 - alpha / 2)
    se = np.sqrt(np.clip(var0, 0, None))
    effect = re.iloc[:, 0].to_numpy()
    school = pd.DataFrame(
        {
            "group": labels,
            "n": counts.to_numpy().astype("int64"),
            "effect": effect,
            "std_err": se,
            "ci_low": effect - z * se,
            "ci_high": effect + z * se,
            "raw_effect": raw.to_numpy(),
            "reliability": (
                np.nan
                if random_slope
                else variance["tau00"] / (variance["tau00"] + sigma2 / counts.to_numpy())
            ),
        }
    )
    if random_slope:
        var1 = np.array([np.asarray(re_cov[g], dtype="float64")[1, 1] for g in labels])
        school["slope_effect"] = re.iloc[:, 1].to_numpy()
        school["slope_std_err"] = np.sqrt(np.clip(var1, 0, None))

    return MultilevelResult(
        fixed=fixed,
        variance=variance,
        icc=float(icc),
        school_effects=school,
        optimizer=str(best),
        optimizers=attempts[["method", "converged", "llf", "tau00", "sigma2", "chosen", "message"]],
        converged=bool(fit.converged),
        llf=float(fit.llf),
        n_groups=len(labels),
        n=int(len(y)),
        n_dropped=int(n_dropped),
        reml=reml,
        center=center,
        formula=equivalent_formula(outcome, fe[1:]),
        re_formula="1" + (f" + Q('{random_slope}')" if random_slope else "") + f" | Q('{group}')",
        warnings=tuple(messages),
    )

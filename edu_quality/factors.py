"""Influence of social context factors on school results; pupils in schools.

Two tools, both estimated by statsmodels (nothing here is a hand-written
estimator):

* :func:`influence` — school level: an outcome (share of «2», mean score,
  quality…) regressed on context factors (shares of pupils from large families,
  with a non-native Russian language…), by OLS, WLS (weighted by participants) or
  a binomial GLM on counts. One row per factor with its coefficient, standardised
  effect, interval, p-value corrected for multiple testing, VIF and a direction
  (положительное / отрицательное / незначимое) compared with the direction the
  sources expect (:func:`edu_quality.factor_catalogue`).
  :func:`direction_table` turns the result into the table of the Nazarovo
  district programme (Приложение 1 and 2: «Фактор», «Направление влияния»).
* :func:`multilevel` — pupil level: a two-level linear mixed model (pupils in
  schools, statsmodels ``MixedLM``) with a random intercept per school and an
  optional random slope; variance components, the intraclass correlation and
  empirical-Bayes school effects, shrunk towards zero for small schools. The
  model is fitted by several optimisers and the best converged one is kept,
  because a single optimiser can report convergence at a wrong optimum.

The design matrices are built directly from the named columns, never from a
formula evaluated in the caller's namespace, so no notebook variable can leak
into a model; the equivalent formula is kept for the record
(``attrs["formula"]`` / ``.formula``).
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
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor

from . import _sm as sm
from ._checks import check_fraction, check_option, is_constant, numeric_columns, require_columns
from ._russian import decimal
from .catalogue import factor_catalogue, factor_label
from .errors import DataError, EduQualityError, Problem
from .metrics import METRICS

__all__ = [
    "CORRECTIONS",
    "DIRECTIONS",
    "FAMILIES",
    "MIN_PER_FACTOR",
    "OPTIMIZERS",
    "ROBUST",
    "VIF_MAX",
    "FactorWarning",
    "MultilevelResult",
    "direction_table",
    "expected_directions",
    "influence",
    "multilevel",
]

#: Model families of :func:`influence`.
FAMILIES = ("gaussian", "binomial")
#: Multiple-testing corrections (statsmodels ``multipletests`` methods); None: no correction.
CORRECTIONS = ("holm", "bonferroni", "fdr_bh", None)
#: Heteroskedasticity-robust covariance types (statsmodels ``cov_type``); None: the model's own.
ROBUST = (None, "HC0", "HC1", "HC2", "HC3")
#: Directions of influence, Russian, as in the Nazarovo seed's Приложение 1 and 2.
DIRECTIONS = ("положительное", "отрицательное", "незначимое")
#: Default VIF above which a factor is flagged as collinear with the others.
VIF_MAX = 5.0
#: Default number of observations (schools) required per factor.
MIN_PER_FACTOR = 10
#: Optimisers tried by :func:`multilevel`, in order of preference on ties.
OPTIMIZERS = ("lbfgs", "bfgs", "powell", "nm", "cg")

_CATALOGUE_DIRECTION = {
    "positive": "положительное",
    "negative": "отрицательное",
    "none": "незначимое",
}
_CENTERS = ("none", "group", "grand")


class FactorWarning(UserWarning):
    """A factor model can be estimated but should be read with care (Russian message)."""


# ---------------------------------------------------------------------------------------
# helpers


def _columns(names) -> list[str]:
    if names is None:
        return []
    if isinstance(names, str):
        return [names]
    return list(names)


def _fmt(value: float, digits: int = 1) -> str:
    return decimal(value, digits)


def record_warning(message: str, messages: list[str]) -> None:
    """Keep ``message`` for the model's notes and warn with :class:`FactorWarning`."""
    messages.append(message)
    warnings.warn(message, FactorWarning, stacklevel=3)


def _wsd(x: np.ndarray, w: np.ndarray | None) -> float:
    """Compute a standard deviation, weighted by ``w`` when given."""
    if w is None:
        return float(np.std(x, ddof=1))
    mean = np.average(x, weights=w)
    return float(np.sqrt(np.average((x - mean) ** 2, weights=w)))


def _vif(exog: np.ndarray) -> list[float]:
    """Variance inflation factor of every column of ``exog`` but the first (the constant).

    VIF = 1 / (1 − R²) of a column regressed on the others and the constant, which is
    what statsmodels' ``variance_inflation_factor`` computes by one OLS per column; it is
    also the diagonal of the inverse of the columns' correlation matrix, read off here at
    once (the tests check the two against each other). A near-singular matrix goes to
    statsmodels.
    """
    corr = np.atleast_2d(np.corrcoef(exog[:, 1:], rowvar=False))
    if np.all(np.isfinite(corr)) and np.linalg.cond(corr) < 1e6:
        return [float(v) for v in np.diag(np.linalg.inv(corr))]
    return [variance_inflation_factor(exog, i) for i in range(1, exog.shape[1])]


def expected_directions() -> dict[str, str]:
    """Return the expected direction of each catalogue factor, in Russian.

    Returns
    -------
    dict
        factor → «положительное» / «отрицательное» / «незначимое»; factors whose
        direction the catalogue does not know are left out.

    Examples
    --------
    >>> expected_directions()["large_family"]
    'отрицательное'
    >>> "ovz" in expected_directions()
    False
    """
    cat = factor_catalogue()
    return {
        f: _CATALOGUE_DIRECTION[d]
        for f, d in zip(cat["factor"], cat["expected_direction"], strict=True)
        if d in _CATALOGUE_DIRECTION
    }


def _formula(outcome: str, terms: Sequence[str]) -> str:
    rhs = " + ".join(f"Q('{t}')" for t in terms) or "1"
    return f"Q('{outcome}') ~ {rhs}"


# ---------------------------------------------------------------------------------------
# influence


def influence(
    data: pd.DataFrame,
    outcome: str,
    factors: Sequence[str],
    *,
    weights: str | None = None,
    trials: str | None = None,
    family: Literal["gaussian", "binomial"] = "gaussian",
    alpha: float = 0.05,
    correction: Literal["holm", "bonferroni", "fdr_bh"] | None = "holm",
    robust: Literal["HC0", "HC1", "HC2", "HC3"] | None = None,
    higher_is_better: bool | None = None,
    vif_max: float = VIF_MAX,
    min_per_factor: int = MIN_PER_FACTOR,
) -> pd.DataFrame:
    """Influence of context factors on a school outcome: one row per factor.

    Parameters
    ----------
    data : DataFrame
        One row per school (or school and year) with the outcome, the factors and,
        when used, the weights or the number of participants. Not modified.
    outcome : str
        Outcome column: a mean score, or a share (0–1) such as the share of «2».
    factors : sequence of str
        Factor columns (shares 0–1 of pupils, or any numeric school feature).
    weights : str, optional
        Column of analytic weights for ``family="gaussian"`` (e.g. participants):
        the model is then weighted least squares (statsmodels ``WLS``).
    trials : str, optional
        Column with the number of participants; required for ``family="binomial"``.
    family : {"gaussian", "binomial"}
        ``"gaussian"``: OLS (or WLS with ``weights``). ``"binomial"``: statsmodels
        ``GLM`` with the ``Binomial`` family (logit link) on (successes, failures) =
        (round(share·trials), trials − successes), ``outcome`` being the share.
    alpha : float
        Significance level: intervals are (1 − alpha), and a factor has a direction
        when its corrected p-value is below ``alpha``.
    correction : {"holm", "bonferroni", "fdr_bh", None}
        Multiple-testing correction across the factors (statsmodels
        ``multipletests``); the intercept is not counted. None: no correction.
    robust : {None, "HC0", "HC1", "HC2", "HC3"}
        Heteroskedasticity-robust standard errors (statsmodels ``cov_type``). For
        the binomial GLM statsmodels computes only the sandwich HC0 (its HC1–HC3
        coincide with HC0), so only ``"HC0"`` is accepted there.
    higher_is_better : bool, optional
        Whether a higher outcome is the better result; it turns the sign of a
        coefficient into a direction of influence on results. By default taken
        from :data:`edu_quality.metrics.METRICS` when ``outcome`` is a known
        metric (``share_2``, ``not_admitted_share``: lower is better), otherwise
        True.
    vif_max : float
        A factor with a VIF above this is flagged (default 5).
    min_per_factor : int
        At least this many observations per factor are expected (default 10).

    Returns
    -------
    DataFrame
        One row per factor, in the order given:

        - ``factor``: column name; ``label``: Russian label from the catalogue (the
          name itself when unknown);
        - ``coef``, ``std_err``, ``ci_low``, ``ci_high`` ((1 − alpha) interval),
          ``p_value``, ``p_adjusted``: from the statsmodels fit (for a share factor
          the coefficient is the change of the outcome — of the log-odds for
          binomial — when the share grows from 0 to 1);
        - ``std_coef``: standardised effect (see Notes);
        - ``vif``: variance inflation factor, 1 / (1 − R²) of the factor on the other
          factors and the constant (as statsmodels ``variance_inflation_factor`` on the
          design with the constant; see Notes);
        - ``direction``: the direction of the factor's influence on results,
          «положительное» (goes with better results) / «отрицательное» (with worse)
          when ``p_adjusted < alpha``, otherwise «незначимое». It is the sign of
          ``coef`` when a higher outcome is better and the opposite sign when it
          is worse (a factor that raises the share of «2» has a negative
          influence), as in the Nazarovo seed's table;
        - ``expected_direction``: the direction in the catalogue (Nazarovo seed,
          Приложение 1 and 2), missing when unknown; ``agrees``: whether
          ``direction`` equals it (missing when it is unknown);
        - ``warning``: a note for this factor (collinearity), empty when none.

        ``attrs`` holds the fit: ``n`` (rows used), ``n_dropped`` (rows dropped for
        missing values or zero participants), ``k`` (factors), ``family``,
        ``model`` (OLS / WLS / GLM Binomial), ``cov_type``, ``formula`` and
        ``terms`` (the design, built directly: no formula is evaluated),
        ``higher_is_better``, ``r2`` and
        ``r2_adj`` (gaussian; None for binomial), ``deviance``,
        ``null_deviance`` and ``pseudo_r2`` = 1 − deviance/null deviance
        (binomial; None for gaussian), ``llf``, ``aic``, ``bic``, ``alpha``,
        ``correction``, ``vif_max``, ``min_per_factor`` and ``warnings`` (list of
        the Russian messages also issued as :class:`FactorWarning`).

    Raises
    ------
    ValueError
        A bad option (the parameter, the allowed values and what was passed).
    edu_quality.errors.DataError
        A missing or non-numeric column; shares outside 0–1 or non-integer
        participants for binomial; negative weights; a constant factor; fewer
        usable rows than terms.

    Warns
    -----
    FactorWarning
        Rows dropped for missing values; a small sample (n < ``min_per_factor`` ×
        k); a VIF above ``vif_max``.

    Notes
    -----
    *Standardised effect.* Gaussian: ``coef · sd(x) / sd(y)``, the change of the
    outcome in its standard deviations per one standard deviation of the factor;
    with ``weights`` both standard deviations are weighted by them. Binomial:
    ``coef · sd(x)``, the change of the log-odds per one standard deviation of the
    factor, sd weighted by the participants (a logit outcome has no sd of its own).

    *VIF.* Regressing each factor on the others is k regressions over every row; the
    same numbers are the diagonal of the inverse correlation matrix of the factors, which
    is what is computed (statsmodels' ``variance_inflation_factor`` when that matrix is
    near singular), so that 40 000 schools take a fraction of a second.

    *Rules of thumb.* VIF > 5 signals problematic collinearity (James, Witten,
    Hastie, Tibshirani, «An Introduction to Statistical Learning», 2013, §3.3.3:
    «a VIF value that exceeds 5 or 10 indicates a problematic amount of
    collinearity»). At least 10 observations per estimated factor is the common
    «one in ten» rule (Harrell, «Regression Modeling Strategies», 2015, §4.4;
    Peduzzi et al., J Clin Epidemiol 49(12), 1996, for logistic models); here the
    observations are rows (schools), so for the binomial model it is a lenient
    rule.

    The method follows DOMAIN.md («Factor influence»): outcome against context
    factors, weighted by participants or as a binomial GLM on counts, per factor a
    coefficient, standardised effect, interval, corrected p-value and direction,
    with collinearity checked — the form of the Nazarovo seed's Приложение 1 and 2.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> schools = pd.DataFrame({"large_family": rng.uniform(0, .4, 60),
    ...                         "both_parents_higher_ed": rng.uniform(0, .5, 60),
    ...                         "school_bus": rng.uniform(0, .6, 60)})
    >>> schools["mean_score"] = (15 - 8 * schools["large_family"]
    ...     + 6 * schools["both_parents_higher_ed"] + rng.normal(0, .5, 60))
    >>> res = influence(schools, "mean_score",
    ...                 ["large_family", "both_parents_higher_ed", "school_bus"])
    >>> res[["factor", "direction", "agrees"]]
                       factor      direction  agrees
    0            large_family  отрицательное    True
    1  both_parents_higher_ed  положительное    True
    2              school_bus     незначимое    True
    >>> res.attrs["n"], res.attrs["model"]
    (60, 'OLS')
    """
    check_option("family", family, FAMILIES)
    check_option("correction", correction, CORRECTIONS)
    check_option("robust", robust, ROBUST)
    if family == "binomial" and robust not in (None, "HC0"):
        raise ValueError(
            f"Параметр `robust` при family='binomial' должен быть одним из [None, 'HC0'], "
            f"передано {robust!r} (для GLM statsmodels вычисляет только HC0)"
        )
    check_fraction("alpha", alpha)
    if family == "binomial" and trials is None:
        raise ValueError(
            "Параметр `trials` обязателен при family='binomial': "
            "укажите столбец с числом участников"
        )
    if family == "binomial" and weights is not None:
        raise ValueError(
            "Параметр `weights` не используется при family='binomial': "
            "веса задаёт число участников `trials`"
        )
    if family == "gaussian" and trials is not None:
        raise ValueError(
            "Параметр `trials` используется только при family='binomial'; "
            "для взвешенной регрессии передайте `weights`"
        )
    factors = _columns(factors)
    if not factors:
        raise ValueError("Параметр `factors` должен содержать хотя бы один столбец, передано []")
    dupes = sorted({f for f in factors if factors.count(f) > 1})
    if dupes:
        raise ValueError(f"Параметр `factors` содержит повторы: {dupes}")
    if outcome in factors:
        raise ValueError(f"Столбец {outcome!r} не может быть и результатом, и фактором")

    extra = [c for c in (weights, trials) if c is not None]
    used = [outcome, *factors, *extra]
    require_columns(data, used)
    num = numeric_columns(data, used)
    messages: list[str] = []

    keep = num.notna().all(axis=1)
    if trials is not None:
        keep &= ~(num[trials] == 0)
    n_total = len(num)
    num = num.loc[keep]
    n_dropped = n_total - len(num)
    if n_dropped:
        record_warning(
            f"Исключено строк с пропусками{' или без участников' if trials else ''}: "
            f"{n_dropped} из {n_total}; в модели {len(num)}.",
            messages,
        )

    problems: list[Problem] = []
    if weights is not None and (num[weights] < 0).any():
        problems.append(Problem(None, weights, "отрицательные веса"))
    if trials is not None:
        t = num[trials]
        if (t < 0).any() or not np.allclose(t, np.round(t)):
            problems.append(Problem(None, trials, "число участников должно быть целым ≥ 0"))
        y = num[outcome]
        if ((y < 0) | (y > 1)).any():
            problems.append(Problem(None, outcome, "доля должна быть от 0 до 1"))
    constant = [f for f in factors if is_constant(num[f])]
    problems += [
        Problem(None, f, "фактор не меняется между строками: его влияние не оценить")
        for f in constant
    ]
    k = len(factors)
    if len(num) <= k + 1 and not constant:
        problems.append(
            Problem(
                None,
                None,
                f"строк без пропусков {len(num)}, а оцениваемых "
                f"параметров {k + 1}: модель не оценить",
            )
        )
    if problems:
        raise DataError(None, problems)

    n = len(num)
    X = sm.add_constant(num[factors], has_constant="add")
    cov_type = robust or "nonrobust"
    w = None
    if family == "gaussian":
        y = num[outcome]
        if weights is None:
            model, model_name = sm.OLS(y, X), "OLS"
        else:
            w = num[weights].to_numpy()
            model, model_name = sm.WLS(y, X, weights=w), "WLS"
    else:
        t = np.round(num[trials].to_numpy())
        successes = np.round(num[outcome].to_numpy() * t)
        y = pd.DataFrame({"successes": successes, "failures": t - successes}, index=num.index)
        model, model_name = sm.GLM(y, X, family=sm.families.Binomial()), "GLM Binomial"
        w = t
    fit = model.fit(cov_type=cov_type)

    params, bse, pvals = fit.params[factors], fit.bse[factors], fit.pvalues[factors]
    ci = fit.conf_int(alpha=alpha).loc[factors]
    if correction is None:
        p_adj = pvals.to_numpy()
    else:
        p_adj = multipletests(pvals.to_numpy(), alpha=alpha, method=correction)[1]

    exog = np.asarray(X, dtype="float64")
    vif = _vif(exog) if k > 1 else [1.0]
    if family == "gaussian":
        sd_y = _wsd(num[outcome].to_numpy(), w)
        std_coef = [params[f] * _wsd(num[f].to_numpy(), w) / sd_y for f in factors]
    else:
        std_coef = [params[f] * _wsd(num[f].to_numpy(), w) for f in factors]

    if higher_is_better is None:
        higher_is_better = METRICS.get(outcome, ("", +1))[1] > 0
    good = 1 if higher_is_better else -1
    direction = [
        ("положительное" if good * c > 0 else "отрицательное") if p < alpha else "незначимое"
        for c, p in zip(params, p_adj, strict=True)
    ]
    expected = expected_directions()
    exp = [expected.get(f) for f in factors]
    agrees = [None if e is None else d == e for d, e in zip(direction, exp, strict=True)]
    flag = [
        f"VIF = {_fmt(v)} > {_fmt(vif_max)}: фактор сильно связан с другими факторами"
        if v > vif_max
        else ""
        for v in vif
    ]

    out = pd.DataFrame(
        {
            "factor": pd.array(factors, dtype="str"),
            "label": pd.array([factor_label(f) for f in factors], dtype="str"),
            "coef": params.to_numpy(),
            "std_err": bse.to_numpy(),
            "ci_low": ci.iloc[:, 0].to_numpy(),
            "ci_high": ci.iloc[:, 1].to_numpy(),
            "p_value": pvals.to_numpy(),
            "p_adjusted": np.asarray(p_adj, dtype="float64"),
            "std_coef": np.asarray(std_coef, dtype="float64"),
            "vif": np.asarray(vif, dtype="float64"),
            "direction": pd.array(direction, dtype="str"),
            "expected_direction": pd.array(exp, dtype="str"),
            "agrees": pd.array(agrees, dtype="boolean"),
            "warning": pd.array(flag, dtype="str"),
        }
    )

    if n < min_per_factor * k:
        record_warning(
            f"Мало наблюдений для {k} факторов: n = {n}, нужно не меньше "
            f"{min_per_factor} на фактор ({min_per_factor * k}); оценки неустойчивы.",
            messages,
        )
    high = [f for f, v in zip(factors, vif, strict=True) if v > vif_max]
    if high:
        record_warning(
            f"Коллинеарность: VIF > {_fmt(vif_max)} у факторов {', '.join(high)}; "
            "их отдельные эффекты оценены неточно.",
            messages,
        )

    gaussian = family == "gaussian"
    out.attrs = {
        "n": int(n),
        "n_dropped": int(n_dropped),
        "k": k,
        "outcome": outcome,
        "family": family,
        "model": model_name,
        "weights": weights,
        "trials": trials,
        "cov_type": cov_type,
        "formula": _formula(outcome, factors),
        "terms": ["const", *factors],
        "higher_is_better": bool(higher_is_better),
        "r2": float(fit.rsquared) if gaussian else None,
        "r2_adj": float(fit.rsquared_adj) if gaussian else None,
        "deviance": None if gaussian else float(fit.deviance),
        "null_deviance": None if gaussian else float(fit.null_deviance),
        "pseudo_r2": None if gaussian else float(1 - fit.deviance / fit.null_deviance),
        "llf": float(fit.llf),
        "aic": float(fit.aic),
        "bic": float(fit.bic_llf if not gaussian else fit.bic),
        "alpha": alpha,
        "correction": correction,
        "vif_max": vif_max,
        "min_per_factor": min_per_factor,
        "warnings": messages,
    }
    return out


def direction_table(
    result: pd.DataFrame,
    *,
    which: Literal["all", "influential", "none"] = "all",
) -> pd.DataFrame:
    """Make the influence table for a report: «Фактор», «Направление влияния».

    The form of the Nazarovo seed: Приложение 1 lists the factors with an
    influence and its direction, Приложение 2 the factors without a significant
    one.

    Parameters
    ----------
    result : DataFrame
        Output of :func:`influence`.
    which : {"all", "influential", "none"}
        All factors (those with an influence first), only the influential ones
        (Приложение 1), or only those without a significant influence
        (Приложение 2).

    Returns
    -------
    DataFrame
        «Фактор» (the Russian label) and «Направление влияния» (положительное /
        отрицательное / незначимое), in the order of ``result`` within each part.

    Examples
    --------
    >>> res = pd.DataFrame({"label": ["доля А", "доля Б"],
    ...                     "direction": ["незначимое", "отрицательное"]})
    >>> direction_table(res)
        Фактор Направление влияния
    0  доля Б       отрицательное
    1  доля А          незначимое
    >>> list(direction_table(res, which="none")["Фактор"])
    ['доля А']
    """
    check_option("which", which, ("all", "influential", "none"))
    influential = result["direction"] != "незначимое"
    if which == "influential":
        part = result.loc[influential]
    elif which == "none":
        part = result.loc[~influential]
    else:
        part = pd.concat([result.loc[influential], result.loc[~influential]])
    return pd.DataFrame(
        {
            "Фактор": part["label"].to_numpy(),
            "Направление влияния": part["direction"].to_numpy(),
        }
    )


# ---------------------------------------------------------------------------------------
# multilevel


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
        Russian messages also issued as :class:`FactorWarning`.
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
    pupil_factors, school_factors = _columns(pupil_factors), _columns(school_factors)
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
        formula=_formula(outcome, fe[1:]),
        re_formula="1" + (f" + Q('{random_slope}')" if random_slope else "") + f" | Q('{group}')",
        warnings=tuple(messages),
    )

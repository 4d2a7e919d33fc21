"""School level: the influence of context factors on an outcome, one row per factor.

:func:`influence` fits OLS, WLS (weighted by participants) or a binomial GLM on counts
(statsmodels) and gives each factor its coefficient, standardised effect, interval,
p-value corrected for multiple testing (robust standard errors when asked), VIF
(:func:`variance_inflation`) and direction of influence, compared with the direction
the catalogue expects. :func:`direction_table` turns the result into the table of the
Nazarovo district programme (Приложение 1 and 2: «Фактор», «Направление влияния»).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.outliers_influence import variance_inflation_factor

from .. import _sm as sm
from .._checks import check_fraction, check_option, is_constant, numeric_columns, require_columns
from .._russian import decimal
from ..catalogue import factor_label
from ..errors import DataError, Problem
from ..metrics import METRICS
from .common import column_list, equivalent_formula, expected_directions, record_warning

__all__ = [
    "CORRECTIONS",
    "FAMILIES",
    "MIN_PER_FACTOR",
    "ROBUST",
    "VIF_MAX",
    "direction_table",
    "influence",
    "variance_inflation",
]

#: Model families of :func:`influence`.
FAMILIES = ("gaussian", "binomial")
#: Multiple-testing corrections (statsmodels ``multipletests`` methods); None: no correction.
CORRECTIONS = ("holm", "bonferroni", "fdr_bh", None)
#: Heteroskedasticity-robust covariance types (statsmodels ``cov_type``); None: the model's own.
ROBUST = (None, "HC0", "HC1", "HC2", "HC3")
#: Default VIF above which a factor is flagged as collinear with the others.
VIF_MAX = 5.0
#: Default number of observations (schools) required per factor.
MIN_PER_FACTOR = 10


def _fmt(value: float, digits: int = 1) -> str:
    return decimal(value, digits)


def _wsd(x: np.ndarray, w: np.ndarray | None) -> float:
    """Compute a standard deviation, weighted by ``w`` when given."""
    if w is None:
        return float(np.std(x, ddof=1))
    mean = np.average(x, weights=w)
    return float(np.sqrt(np.average((x - mean) ** 2, weights=w)))


def variance_inflation(exog: np.ndarray) -> list[float]:
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
        the Russian messages also issued as :class:`~edu_quality.factors.FactorWarning`).

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
    factors = column_list(factors)
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
    vif = variance_inflation(exog) if k > 1 else [1.0]
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
        "formula": equivalent_formula(outcome, factors),
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

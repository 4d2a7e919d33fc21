"""The school social well-being index (индекс социального благополучия школы, ИСБШ).

A composite of a school's context factors (shares of pupils from large families,
with unemployed parents, with parents with higher education…), one value per
school and year, oriented so that a higher index means a more favourable
context. It is used to tell «low results in an unfavourable context» from «low
results despite an ordinary context» (ШНСУ / ШНОР, DOMAIN.md «Identification»)
and to compare a school's results with those expected in its context.

Source: the ХМАО seed (regional model of targeted support, Khanty-Mansi
Autonomous Okrug – Yugra) reports that an «индекс социального благополучия
школ» was built for 290 schools (284 municipal, 4 private, 2 state; 130 rural and
160 urban) together with the identification of the schools with stably low
results; the seed names the index and its scope but does not publish how it was
computed. The two methods here are therefore documented choices, not a copy of
the ХМАО computation: ``"regression"`` weights each factor by its influence on a
school outcome (an index of the expected result), ``"pca"`` takes the common
dimension of the factors without any outcome.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from ._checks import check_fraction, check_option, is_constant, numeric_columns, require_columns
from ._stats import norm_cdf
from .catalogue import context_signs, factor_catalogue, factor_label
from .errors import DataError, Problem
from .factors import expected_directions, record_warning
from .metrics import METRICS

__all__ = ["METHODS", "SocialIndex", "default_factors", "social_index", "unfavourable"]

#: Methods of :func:`social_index`.
METHODS = ("pca", "regression")

_SIGN_OF = {
    "положительное": 1,
    "отрицательное": -1,
    "незначимое": 0,
    "positive": 1,
    "negative": -1,
    "none": 0,
    1: 1,
    -1: -1,
    0: 0,
}
_WORD = {1: "положительное", -1: "отрицательное", 0: "незначимое"}


@dataclass(frozen=True)
class SocialIndex:
    """A social well-being index (see :func:`social_index`).

    Attributes
    ----------
    table : DataFrame
        One row per row of the context, in its order: the key columns (e.g.
        ``school_id``, ``year``), ``index_z`` (mean 0, sd 1 over the rows with all
        factors known; higher = more favourable) and ``index_100`` = 100·Φ(index_z);
        both missing when a factor is missing.
    weights : DataFrame
        One row per factor: ``factor``, ``label``, ``weight`` (index_z = Σ weight ·
        (x − mean) / sd), ``sign`` (+1: more of the factor raises the index, −1:
        lowers it), ``mean``, ``sd`` (of the factor over the rows used),
        ``expected_direction`` (catalogue or ``directions``, Russian; missing when
        unknown) and ``agrees`` (whether ``sign`` matches it; missing when unknown
        or «незначимое»); for ``"regression"`` also ``coef``, ``std_err`` and
        ``p_value`` of the factor's standardised coefficient in the outcome model;
        for ``"pca"`` ``loading`` (the unit eigenvector).
    method : str
    explained : float
        ``"pca"``: share of the factors' total variance carried by the first
        component; ``"regression"``: R² of the outcome model.
    n : int
        Rows used to estimate the weights.
    higher_is_better : bool or None
        ``"regression"``: whether a higher outcome is the better one.
    warnings : tuple of str
    """

    table: pd.DataFrame
    weights: pd.DataFrame
    method: str
    explained: float
    n: int
    higher_is_better: bool | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def score(self, context: pd.DataFrame) -> pd.Series:
        """Compute ``index_z`` of other rows (e.g. a new year) with the same weights.

        The factors are standardised with the means and standard deviations of the
        data the index was built on, so the values are comparable with ``table``.

        Examples
        --------
        >>> ctx = pd.DataFrame({"school_id": ["1", "2", "3"], "year": 2023,
        ...                     "large_family": [.1, .3, .2], "sop_family": [.0, .2, .1]})
        >>> si = social_index(ctx, method="pca")
        >>> si.score(ctx.head(1)).round(3).tolist()
        [1.0]
        """
        w = self.weights
        require_columns(context, list(w["factor"]))
        x = numeric_columns(context, list(w["factor"]))
        z = (x - w["mean"].to_numpy()) / w["sd"].to_numpy()
        return pd.Series(z.to_numpy() @ w["weight"].to_numpy(), index=context.index, name="index_z")


def _aligned(context: pd.DataFrame, value, name: str) -> pd.Series | None:
    """Return a column name or an array aligned with ``context`` as a float Series."""
    if value is None:
        return None
    if isinstance(value, str):
        require_columns(context, [value])
        return numeric_columns(context, [value])[value]
    if isinstance(value, pd.Series):
        if not value.index.equals(context.index):
            if len(value) != len(context):
                raise ValueError(
                    f"Параметр `{name}` должен иметь столько же строк, сколько "
                    f"`context` ({len(context)}), передано {len(value)}"
                )
            value = pd.Series(value.to_numpy(), index=context.index, name=value.name)
        return numeric_columns(value.to_frame(name), [name])[name]
    arr = np.asarray(value)
    if arr.ndim != 1 or len(arr) != len(context):
        raise ValueError(
            f"Параметр `{name}` должен иметь столько же строк, сколько "
            f"`context` ({len(context)}), передано {arr.shape}"
        )
    return numeric_columns(pd.DataFrame({name: arr}, index=context.index), [name])[name]


def default_factors(context: pd.DataFrame) -> list[str]:
    """The context factors a social index is built on when none are named.

    The columns of ``context`` (other than ``school_id`` and ``year``) whose expected
    influence on results is known from the factor catalogue (``expected_direction``
    positive or negative); all of them when fewer than two are known.

    Examples
    --------
    >>> ctx = pd.DataFrame({"school_id": ["a"], "year": [2021], "large_family": [0.2],
    ...                     "non_native_russian": [0.1], "note": [1]})
    >>> default_factors(ctx)
    ['large_family', 'non_native_russian']
    """
    present = [c for c in context.columns if c not in ("school_id", "year")]
    cat = factor_catalogue()
    influential = set(cat.loc[cat["expected_direction"].isin(["positive", "negative"]), "factor"])
    chosen = [c for c in present if c in influential]
    return chosen if len(chosen) >= 2 else present


def social_index(
    context: pd.DataFrame,
    factors: Sequence[str] | None = None,
    *,
    method: Literal["pca", "regression"] = "pca",
    outcome: str | pd.Series | Sequence[float] | None = None,
    weights: str | pd.Series | Sequence[float] | None = None,
    higher_is_better: bool | None = None,
    directions: Mapping[str, str | int] | None = None,
    keys: Sequence[str] = ("school_id", "year"),
) -> SocialIndex:
    """Build the school social well-being index (ИСБШ) from context factors.

    Parameters
    ----------
    context : DataFrame
        One row per school and year (the ``context`` table): ``keys`` and one
        numeric column per factor. Not modified.
    factors : sequence of str, optional
        Factor columns; by default every numeric column except ``keys`` and the
        columns named by ``outcome`` and ``weights``.
    method : {"pca", "regression"}
        See Notes. The default ``"pca"`` needs no outcome, so the index describes
        the context alone and can be compared with results without circularity;
        ``"regression"`` needs ``outcome``.
    outcome : str or Series or array, optional
        Required for ``"regression"``: a school outcome aligned with ``context``
        (a column name or values in the order of its rows), e.g. the mean score or
        the share of «2» of the same school and year. Rows where it is missing do
        not enter the regression but still get an index.
    weights : str or Series or array, optional
        ``"regression"`` only: analytic weights of the outcome model (e.g.
        participants), giving WLS.
    higher_is_better : bool, optional
        ``"regression"`` only: whether a higher outcome is better. By default it is
        taken from :data:`edu_quality.metrics.METRICS` when the outcome's name is a
        known metric (``share_2``: lower is better), otherwise True.
    directions : mapping, optional
        Expected directions overriding or completing the catalogue: factor →
        "positive" / "negative" / "none" (or «положительное» / «отрицательное» /
        «незначимое», or +1 / −1 / 0). Needed by ``"pca"`` when no factor has a
        known direction (e.g. the Inta contingent features).
    keys : sequence of str
        Columns identifying a row, copied into ``table``.

    Returns
    -------
    SocialIndex
        ``.table`` (keys, ``index_z``, ``index_100``) and ``.weights`` (factor,
        label, weight, sign, …); see :class:`SocialIndex`.

    Raises
    ------
    ValueError
        A bad option; ``"regression"`` without ``outcome``; ``"pca"`` whose
        orientation cannot be fixed.
    edu_quality.errors.DataError
        A missing or non-numeric column, every factor constant, fewer than 3 rows
        with all factors.

    Warns
    -----
    FactorWarning
        Rows without an index because a factor is missing; factors left out
        because they do not vary (they carry no information about the context).

    Notes
    -----
    Every factor is standardised, ``z = (x − mean) / sd``, over the rows (all
    schools and years pooled, so that a school's index can move between years)
    where every factor is known.

    ``"regression"`` (an index of the expected result): the outcome is regressed
    on the standardised factors (statsmodels OLS, or WLS with ``weights``); the
    index is the fitted outcome without the intercept, ``Σ b·z``, divided by its
    standard deviation and multiplied by −1 when a lower outcome is better. Each
    factor thus weighs in proportion to its influence on results, and a school's
    index is its expected result given its context, in standard deviations. The
    weights inherit the regression's uncertainty and collinearity: check them
    with :func:`edu_quality.factors.influence`.

    ``"pca"``: the first principal component of the standardised factors (the
    leading eigenvector ``v`` of their correlation matrix), ``index_z = z·v /
    sqrt(λ1)``. An eigenvector's sign is arbitrary; it is fixed so that
    ``Σ e·v > 0`` where ``e`` is the factor's ``context_sign`` in the catalogue
    (+1 when a higher share is a more favourable context, −1 when less; or the
    sign of ``directions``): favourable factors load positively, unfavourable
    ones negatively. When no factor has a known sign the
    sign follows ``outcome`` (the index then correlates positively with the
    better outcome), and without an outcome a ValueError is raised.

    ``index_100 = 100·Φ(index_z)`` (Φ: the standard normal distribution
    function): the approximate percentile of the school among all, 50 for an
    average context. A normal CDF rather than a min–max rescaling because it does
    not depend on the single most extreme school, so adding one school or one
    year does not move everyone else's value.

    Examples
    --------
    >>> ctx = pd.DataFrame({"school_id": list("ABCD"), "year": 2023,
    ...                     "large_family": [.05, .10, .30, .40],
    ...                     "both_parents_higher_ed": [.50, .40, .20, .10]})
    >>> si = social_index(ctx, method="pca")
    >>> si.table.round(2)
      school_id  year  index_z  index_100
    0         A  2023     1.04      85.10
    1         B  2023     0.62      73.08
    2         C  2023    -0.54      29.48
    3         D  2023    -1.12      13.21
    >>> si.weights[["factor", "sign", "agrees"]]
                       factor  sign  agrees
    0            large_family    -1    True
    1  both_parents_higher_ed     1    True
    """
    check_option("method", method, METHODS)
    keys = [keys] if isinstance(keys, str) else list(keys)
    require_columns(context, keys)
    if method == "regression" and outcome is None:
        raise ValueError(
            "Параметр `outcome` обязателен при method='regression': "
            "укажите результат школы (столбец или значения по строкам)"
        )
    if method == "pca" and weights is not None:
        raise ValueError("Параметр `weights` используется только при method='regression'")

    named = {v for v in (outcome, weights) if isinstance(v, str)}
    if factors is None:
        factors = [
            c
            for c in context.columns
            if c not in keys
            and c not in named
            and pd.api.types.is_numeric_dtype(context[c])
            and not pd.api.types.is_bool_dtype(context[c])
        ]
    else:
        factors = [factors] if isinstance(factors, str) else list(factors)
    if not factors:
        raise ValueError("Параметр `factors` должен содержать хотя бы один столбец, передано []")
    require_columns(context, factors)
    x = numeric_columns(context, factors)
    y = _aligned(context, outcome, "outcome")
    w = _aligned(context, weights, "weights")

    messages: list[str] = []
    complete = x.notna().all(axis=1)
    if not complete.all():
        record_warning(
            f"Индекс не рассчитан для {int((~complete).sum())} из {len(x)} строк: "
            "не известны все факторы.",
            messages,
        )
    xc = x.loc[complete]
    if len(xc) < 3:
        raise DataError(None, f"строк со всеми факторами {len(xc)}: индекс не построить")
    constant = [f for f in factors if is_constant(xc[f])]
    if constant:
        if len(constant) == len(factors):
            raise DataError(
                None, [Problem(None, f, "фактор не меняется между строками") for f in constant]
            )
        record_warning(
            f"Факторы не меняются между школами и не входят в индекс: {', '.join(constant)}.",
            messages,
        )
        factors = [f for f in factors if f not in constant]
        xc = xc[factors]
    mean, sd = xc.mean(), xc.std(ddof=1)
    z = (xc - mean) / sd

    expected = expected_directions()
    for f, d in (directions or {}).items():
        if d not in _SIGN_OF:
            raise ValueError(
                f"Направление фактора {f!r} должно быть одним из "
                f"['positive', 'negative', 'none'], передано {d!r}"
            )
        expected[f] = _WORD[_SIGN_OF[d]]
    signs = context_signs()
    for f, d in (directions or {}).items():
        signs[f] = _SIGN_OF[d]
    e = np.array([signs.get(f, 0) for f in factors])

    extra: dict[str, np.ndarray] = {}
    if method == "regression":
        if higher_is_better is None:
            name = outcome if isinstance(outcome, str) else getattr(outcome, "name", None)
            higher_is_better = METRICS.get(name, ("", +1))[1] > 0
        rows = complete & y.notna() & (w.notna() if w is not None else True)
        if w is not None and (w.loc[rows] < 0).any():
            raise DataError(
                None,
                Problem(
                    None,
                    str(weights) if isinstance(weights, str) else "weights",
                    "отрицательные веса",
                ),
            )
        n_fit = int(rows.sum())
        if n_fit <= len(factors) + 1:
            raise DataError(
                None,
                f"строк с результатом и всеми факторами {n_fit}, а "
                f"параметров {len(factors) + 1}: веса не оценить",
            )
        from . import _sm as sm  # here, not at import: the other methods fit no model

        design = sm.add_constant(z.loc[rows[complete]], has_constant="add")
        model = (
            sm.OLS(y.loc[rows], design)
            if w is None
            else sm.WLS(y.loc[rows], design, weights=w.loc[rows])
        )
        fit = model.fit()
        b = fit.params[factors].to_numpy()
        raw = z.to_numpy() @ b
        orient = 1.0 if higher_is_better else -1.0
        weight = orient * b / raw.std(ddof=1)
        explained = float(fit.rsquared)
        extra = {
            "coef": b,
            "std_err": fit.bse[factors].to_numpy(),
            "p_value": fit.pvalues[factors].to_numpy(),
        }
    else:
        higher_is_better = None
        n_fit = len(z)
        corr = np.corrcoef(z.to_numpy(), rowvar=False).reshape(len(factors), len(factors))
        eigval, eigvec = np.linalg.eigh(corr)
        lam, v = eigval[-1], eigvec[:, -1]
        orientation = float(e @ v)
        if np.isclose(orientation, 0.0):
            if y is None:
                raise ValueError(
                    "Направление индекса не определить: ни у одного фактора нет ожидаемого "
                    "направления в каталоге; передайте `directions` или `outcome`"
                )
            good = y.loc[complete]
            ok = good.notna().to_numpy()
            hib = higher_is_better
            if hib is None:
                name = outcome if isinstance(outcome, str) else getattr(outcome, "name", None)
                hib = METRICS.get(name, ("", +1))[1] > 0
            orientation = float(np.corrcoef(z.to_numpy()[ok] @ v, good.to_numpy()[ok])[0, 1])
            orientation *= 1 if hib else -1
        if orientation < 0:
            v = -v
        weight = v / np.sqrt(lam)
        explained = float(lam / len(factors))
        extra = {"loading": v}

    index_z = pd.Series(np.nan, index=context.index)
    index_z.loc[complete] = z.to_numpy() @ weight
    table = context[keys].copy()
    table["index_z"] = index_z.to_numpy()
    table["index_100"] = 100 * norm_cdf(index_z.to_numpy())

    sign = np.sign(weight).astype("int64")
    exp_words = [expected.get(f) for f in factors]
    agrees = [
        None if d is None or d == "незначимое" else int(s) == _SIGN_OF[d]
        for s, d in zip(sign, exp_words, strict=True)
    ]
    wt = pd.DataFrame(
        {
            "factor": pd.array(factors, dtype="str"),
            "label": pd.array([factor_label(f) for f in factors], dtype="str"),
            "weight": weight,
            "sign": sign,
            "mean": mean.to_numpy(),
            "sd": sd.to_numpy(),
            "expected_direction": pd.array(exp_words, dtype="str"),
            "agrees": pd.array(agrees, dtype="boolean"),
            **extra,
        }
    )
    return SocialIndex(
        table=table,
        weights=wt,
        method=method,
        explained=explained,
        n=n_fit,
        higher_is_better=higher_is_better,
        warnings=tuple(messages),
    )


def unfavourable(
    index: SocialIndex | pd.DataFrame,
    *,
    share: float = 0.25,
    by: str | Sequence[str] | None = "year",
    column: str = "index_z",
) -> pd.DataFrame:
    """Mark the schools in the unfavourable tail of the social index.

    Parameters
    ----------
    index : SocialIndex or DataFrame
        :func:`social_index` result, or a table with ``column`` (and ``by``).
    share : float
        Share of schools marked in each group (default the bottom quarter).
    by : str or sequence of str or None
        Groups within which the tail is taken (default per year); None: all rows.
    column : str
        Index column.

    Returns
    -------
    DataFrame
        A copy of the table with ``unfavourable`` (boolean; missing where the
        index is missing) and ``index_rank`` (1 = least favourable in its group).

    Notes
    -----
    A school is marked when its rank from the bottom (ties share the lowest rank)
    is at most ``share`` × the number of schools with an index in its group, so
    for 290 schools and 0.25 the 72 least favourable are marked; tied schools at
    the border are all marked.

    Examples
    --------
    >>> t = pd.DataFrame({"school_id": list("ABCDEFGH"), "year": [2022] * 4 + [2023] * 4,
    ...                   "index_z": [0.5, -1.2, 0.1, 1.0, -0.3, 0.2, -2.0, 0.7]})
    >>> unfavourable(t)[["school_id", "year", "unfavourable"]]
      school_id  year  unfavourable
    0         A  2022         False
    1         B  2022          True
    2         C  2022         False
    3         D  2022         False
    4         E  2023         False
    5         F  2023         False
    6         G  2023          True
    7         H  2023         False
    """
    check_fraction("share", share)
    table = index.table if isinstance(index, SocialIndex) else index
    by = [by] if isinstance(by, str) else (list(by) if by is not None else [])
    require_columns(table, [column, *by])
    out = table.copy()
    values = pd.to_numeric(out[column], errors="coerce")
    if by:
        grouped = values.groupby([out[b] for b in by], dropna=False)
        rank = grouped.rank(method="min")
        count = grouped.transform("count")
    else:
        rank = values.rank(method="min")
        count = pd.Series(values.notna().sum(), index=values.index)
    flag = rank <= share * count
    out["unfavourable"] = pd.array(flag.where(values.notna()), dtype="boolean")
    out["index_rank"] = pd.array(rank, dtype="Int64")
    return out

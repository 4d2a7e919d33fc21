"""Repeated ``rng.binomial(n, p) >= k`` for many rows, equal to NumPy's draws.

A Monte Carlo of a rule (:func:`edu_quality.rosobrnadzor.rule_chance`) draws
Binomial(nᵢ, pᵢ) for every school × work row a few hundred times and asks of
each draw one question: did it reach kᵢ? NumPy draws one value at a time in C:
at 40 000 schools that is a quarter of a billion calls, about 12 s.

Where n·min(p, 1 − p) ≤ 30 (every school work but the largest), NumPy draws by
*inversion* (Kachitvichyanukul & Schmeiser 1988; ``random_binomial_inversion``
in NumPy's ``distributions.c``): one uniform U, then the walk ::

    X = 0; px = qn; U = next_double()          # qn = exp(n·log q), q = 1 − p
    while U > px:
        X += 1
        if X > bound: X = 0; px = qn; U = next_double()   # start again
        else: U -= px; px = ((n - X + 1)·p·px) / (X·q)

Each step is monotone in U (a rounded subtraction never reverses an order),
so the walk goes past step j exactly when U is at least some c_j, a multiple
of 2⁻⁵³ like every uniform NumPy makes. :class:`BinomialAtLeast` finds c_j by
bisection on the walk itself, once per distinct (n, p, j), with the same
floating-point operations in the same order; a draw is then one uniform per
row and one comparison: X ≥ k exactly when U ≥ c_{k−1}. Where p > 0.5 NumPy
draws n − Binomial(n, 1 − p), and the comparison turns over.

The rest keep NumPy's own draw at their place in the stream: a row where
n·min(p, 1 − p) > 30 (NumPy's BTPE, taking a varying number of uniforms) and
a uniform at or past the walk's bound, where NumPy starts the walk again with a
new uniform (the bound lies ten standard deviations above the mean, or at n,
where only rounding can pass it). At the first draw the answers and the generator's state after it are
compared with NumPy's; if they differ (another NumPy may draw otherwise), every
draw is NumPy's.

Examples
--------
>>> import numpy as np
>>> n, p, k = np.array([5, 20, 0, 300]), np.array([0.1, 0.7, 0.3, 0.2]), np.array([1, 15, 0, 70])
>>> fast = BinomialAtLeast(np.random.default_rng(1), n, p, k)
>>> rng = np.random.default_rng(1)
>>> all((fast() == (rng.binomial(n, p) >= k)).all() for _ in range(3))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

__all__ = ["BinomialAtLeast"]

#: NumPy draws by inversion where n·min(p, 1 − p) is at most this.
INVERSION_MAX = 30.0
#: More rows drawn by NumPy one at a time than this share: no gain, NumPy draws all.
_ONE_BY_ONE_MAX = 0.05
#: Every uniform of NumPy is a multiple of 2⁻⁵³ below 1 (``next_double``).
_STEPS = 2**53


def _walk(u, n, p, q, qn, bound) -> np.ndarray:
    """X of ``random_binomial_inversion`` for uniforms ``u``; −1 where it would start again.

    Operation for operation NumPy's loop (module docstring), for all rows at
    once. Every row still walking has the same X, so X is one number per step
    and the rows that stop leave the arrays.
    """
    x = np.zeros(len(u), dtype="int64")
    at = np.flatnonzero(u > qn)
    u, px, n, p, q, bound = u[at], qn[at], n[at], p[at], q[at], bound[at]
    step = 0
    while at.size:
        step += 1
        over = step > bound
        if over.any():
            x[at[over]] = -1
            keep = np.flatnonzero(~over)
            at, u, px, n, p, q, bound = (a[keep] for a in (at, u, px, n, p, q, bound))
        u = u - px
        px = ((n - step + 1) * p * px) / (step * q)
        go = u > px
        x[at[~go]] = step
        keep = np.flatnonzero(go)
        at, u, px, n, p, q, bound = (a[keep] for a in (at, u, px, n, p, q, bound))
    return x


def _past(n, p, j) -> np.ndarray:
    """c_j: the least uniform at which NumPy's walk goes past step j (1.0: never).

    ``n``, ``p`` (≤ 0.5) and ``j`` (0 ≤ j) per row; j at the bound or above
    means starting again. Bisection on the multiples of 2⁻⁵³.
    """
    q = 1.0 - p
    qn = np.array([math.exp(a * math.log(b)) for a, b in zip(n.tolist(), q.tolist(), strict=True)])
    npp = n * p  # NumPy: (int) MIN(n, np + 10·sqrt(np·q + 1)), exp and log of the C library
    bound = np.minimum(n, npp + 10.0 * np.sqrt(npp * q + 1)).astype("int64")
    stop = np.minimum(bound, j)  # past step j: the walk "starts again" at j + 1
    lo = np.zeros(len(n), dtype="int64")  # the walk stops at U = 0
    hi = np.full(len(n), _STEPS, dtype="int64")
    while True:
        open_ = np.flatnonzero(hi - lo > 1)
        if not open_.size:
            return hi / _STEPS
        mid = (lo[open_] + hi[open_]) // 2
        args = (a[open_] for a in (n, p, q, qn, stop))
        past = _walk(mid / _STEPS, *args) < 0
        hi[open_[past]] = mid[past]
        lo[open_[~past]] = mid[~past]


def _per_distinct(n, p, j) -> np.ndarray:
    """:func:`_past` once per distinct (n, p, j)."""
    code = np.zeros(len(n), dtype="int64")
    for column in (n, p, j):  # one number per distinct triple, below len(n)
        codes, values = pd.factorize(column)
        code = pd.factorize(code * len(values) + codes)[0]
    at = np.empty(int(code.max(initial=-1)) + 1, dtype="int64")
    at[code] = np.arange(len(code))  # a row of each triple
    return _past(n[at], p[at], j[at])[code]


class BinomialAtLeast:
    """Draws of ``rng.binomial(n, p) >= k``, one call per draw, equal to NumPy's.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator; its state advances exactly as NumPy's draws advance it.
    n, p, k : array-like
        Trials (integers ≥ 0), probabilities (0 ≤ p ≤ 1) and the count to reach,
        of every row.
    needed : array-like of int, optional
        Rows whose answers the caller reads (sorted); all rows by default. The
        other rows still take their place in the stream.

    Calling the object returns one draw: a boolean array over ``needed``;
    :meth:`draw` takes one from the generator and leaves its answer for later.
    """

    def __init__(self, rng: np.random.Generator, n, p, k, *, needed=None) -> None:
        self.rng = rng
        self.n = np.asarray(n, dtype="int64")
        self.p = np.asarray(p, dtype="float64")
        self.k = np.asarray(k, dtype="int64")
        size = len(self.n)
        self.needed = np.arange(size) if needed is None else np.asarray(needed, dtype="int64")
        self.checked = False
        self.fast = (
            size > 0
            and bool((self.n >= 0).all())
            and bool(((self.p >= 0) & (self.p <= 1)).all())  # NaN: NumPy's error
        )
        if not self.fast:
            return
        rows = np.flatnonzero((self.n != 0) & (self.p != 0))  # the rows taking uniforms
        n, p, k = self.n[rows], self.p[rows], self.k[rows]
        flip = p > 0.5  # NumPy draws n − Binomial(n, 1 − p)
        pp = np.where(flip, 1.0 - p, p)
        inversion = pp * n <= INVERSION_MAX
        self.one_by_one = np.flatnonzero(~inversion)  # positions NumPy draws (BTPE)
        if len(self.one_by_one) > _ONE_BY_ONE_MAX * len(rows):
            self.fast = False
            return
        n, pp, k, flip = n[inversion], pp[inversion], k[inversion], flip[inversion]
        restart = np.full(len(rows), 2.0)  # BTPE rows never start again here
        restart[inversion] = _per_distinct(n, pp, n)  # j ≥ bound: starting again
        self.restart = restart
        # X ≥ k ⇔ U ≥ c_{k−1};  n − X ≥ k ⇔ X ≤ n − k ⇔ not U ≥ c_{n−k}
        j = np.where(flip, n - k, k - 1)
        c = np.where(j < 0, 0.0, 2.0)  # j < 0: always past (X ≥ k ≤ 0), never (X ≤ n − k < 0)
        walked = j >= 0
        c[walked] = _per_distinct(n[walked], pp[walked], j[walked])
        # the needed rows: their place among the uniforms, threshold and direction
        position = np.full(size, -1)
        position[rows] = np.arange(len(rows))
        place = position[self.needed]
        still = place < 0  # no uniform: X = 0, a hit where k ≤ 0
        # an inversion row's place among c and flip; the last (padding): none
        inv_at = np.full(len(rows) + 1, len(c))
        inv_at[np.flatnonzero(inversion)] = np.arange(len(c))
        at = inv_at[np.where(still, len(rows), place)]
        self.threshold = np.append(c, 2.0)[at]  # 2.0: never (a BTPE row, set by NumPy's draw)
        self.turn = np.append(flip, False)[at]
        self.threshold[still] = 0.0  # always reached: the answer is ``not turn``
        self.turn[still] = self.k[self.needed][still] > 0
        self.place = place  # −1: no uniform
        self.read = np.maximum(place, 0)  # the uniform a row reads (without one: any)
        self.rows = rows
        self._buffers = [np.empty(max(len(rows), 1)) for _ in range(2)]  # draws taken in turn

    def __call__(self) -> np.ndarray:
        """One draw: ``binomial(n, p) >= k`` at the ``needed`` rows."""
        return self.draw()()

    def draw(self) -> Callable[[], np.ndarray]:
        """Take one draw's randomness from the generator; the answer is worked out later.

        Returns a function giving the draw's answer (as a call of the object
        does), which may be called on another thread while the next draw is
        taken: the generator is not touched by it. It reads a buffer of the
        object, so it must be called before the draw after next is taken.
        """
        if not self.fast:
            hit = (self.rng.binomial(self.n, self.p) >= self.k)[self.needed]
            return lambda: hit
        if self.checked:
            return partial(self._answer, *self._uniforms())
        bits = self.rng.bit_generator
        start = bits.state
        numpy_hit = (self.rng.binomial(self.n, self.p) >= self.k)[self.needed]
        after = bits.state
        bits.state = start
        mine = self._answer(*self._uniforms())
        self.checked = True
        if bits.state != after or not np.array_equal(mine, numpy_hit):
            self.fast = False
            bits.state = after
            return lambda: numpy_hit
        return lambda: mine

    def _uniforms(self) -> tuple[np.ndarray, dict[int, int]]:
        """The uniforms of one draw, and NumPy's own draw at the positions it draws."""
        rng, bits = self.rng, self.rng.bit_generator
        m = len(self.rows)
        self._buffers.reverse()  # the other buffer: the last draw's may still be read
        u = self._buffers[0]
        by_numpy: dict[int, int] = {}  # position → NumPy's own draw
        special = self.one_by_one.tolist() + [m]
        pos = 0
        for end in special:
            while pos < end:  # the uniforms of positions pos … end − 1
                start = bits.state
                rng.random(out=u[pos:end])
                again = np.flatnonzero(u[pos:end] >= self.restart[pos:end])
                if not again.size:
                    pos = end
                    break
                first = pos + int(again[0])  # NumPy starts its walk again there
                bits.state = start
                rng.random(first - pos)  # the rows before it took one uniform each
                i = self.rows[first]
                by_numpy[first] = int(rng.binomial(self.n[i], self.p[i]))
                pos = first + 1
            if end < m:
                i = self.rows[end]
                by_numpy[end] = int(rng.binomial(self.n[i], self.p[i]))
                pos = end + 1
        return u, by_numpy

    def _answer(self, u: np.ndarray, by_numpy: dict[int, int]) -> np.ndarray:
        """The answer of the draw of uniforms ``u`` (:meth:`_uniforms`)."""
        hit = (u[self.read] >= self.threshold) != self.turn
        if by_numpy:
            where = np.flatnonzero(np.isin(self.place, list(by_numpy)))
            for w in where.tolist():
                hit[w] = by_numpy[int(self.place[w])] >= self.k[self.needed[w]]
        return hit

"""BinomialAtLeast answers as NumPy's own draws answer, and leaves the generator as they do."""

from __future__ import annotations

import math

import numpy as np
import pytest

from edu_quality._binomial import _STEPS, BinomialAtLeast, _past


def _rows(size: int = 60_000, seed: int = 5):
    rng = np.random.default_rng(seed)
    n = rng.integers(0, 40, size)
    p = rng.random(size) ** 3
    p[::97], p[::89], p[::83], n[::79] = 0.0, 1.0, 0.5, 0  # no uniform / p = 1 / the edge
    p[::71] = 1 - p[::71]  # p > 0.5: NumPy draws n − Binomial(n, 1 − p)
    n[::1000] = 400  # n·p > 30: NumPy's BTPE, drawn one by one at its place
    k = rng.integers(-2, 12, size) + n * (rng.random(size) < 0.05)  # k ≤ 0, k > n
    return n, p, k


def _numpy_c_walk(u: float, n: int, p: float, past: int) -> bool:
    """NumPy's C loop of ``random_binomial_inversion``, in scalar Python: past step ``past``?"""
    q = 1.0 - p
    qn = math.exp(n * math.log(q))
    np_ = n * p
    bound = int(min(n, np_ + 10.0 * math.sqrt(np_ * q + 1)))
    x, px = 0, qn
    while u > px:
        x += 1
        if x > min(bound, past):
            return True
        u -= px
        px = ((n - x + 1) * p * px) / (x * q)
    return False


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_answers_and_state_equal_numpys(seed):
    n, p, k = _rows()
    fast = BinomialAtLeast(np.random.default_rng(seed), n, p, k)
    rng = np.random.default_rng(seed)
    for _ in range(4):
        assert np.array_equal(fast(), rng.binomial(n, p) >= k)
    # a draw taken while the last is not answered yet (as rule_chance judges on a thread)
    first, second = fast.draw(), fast.draw()
    expected = [rng.binomial(n, p) >= k for _ in range(2)]
    assert np.array_equal(second(), expected[1]) and np.array_equal(first(), expected[0])
    assert fast.fast and len(fast.one_by_one) > 0  # the fast path ran, BTPE rows among it
    assert fast.rng.bit_generator.state == rng.bit_generator.state


def test_needed_rows_only():
    n, p, k = _rows(seed=7)
    needed = np.arange(3, len(n), 4)
    fast = BinomialAtLeast(np.random.default_rng(9), n, p, k, needed=needed)
    rng = np.random.default_rng(9)
    for _ in range(3):
        assert np.array_equal(fast(), (rng.binomial(n, p) >= k)[needed])
    assert fast.rng.bit_generator.state == rng.bit_generator.state


def test_a_walk_starting_again_is_left_to_numpy():
    """Where the uniform reaches the walk's bound, NumPy draws that row itself."""
    n, p, k = _rows(size=5_000, seed=3)
    fast = BinomialAtLeast(np.random.default_rng(4), n, p, k)
    fast.restart[[10, 11, 2_000, len(fast.restart) - 1]] = 0.0  # as if each reached it
    rng = np.random.default_rng(4)
    for _ in range(3):
        assert np.array_equal(fast(), rng.binomial(n, p) >= k)
    assert fast.fast
    assert fast.rng.bit_generator.state == rng.bit_generator.state


def test_numpy_draws_everything_when_the_first_draw_differs():
    n, p, k = _rows(size=5_000)
    fast = BinomialAtLeast(np.random.default_rng(2), n, p, k)
    fast.threshold[:] = 0.5  # a NumPy that walked otherwise
    rng = np.random.default_rng(2)
    for _ in range(3):
        assert np.array_equal(fast(), rng.binomial(n, p) >= k)
    assert not fast.fast


def test_thresholds_are_where_numpys_loop_goes_past():
    rng = np.random.default_rng(11)
    n = rng.integers(1, 60, 300)
    p = np.minimum(rng.random(300) ** 2, 30 / n) * 0.5
    j = rng.integers(0, 8, 300)
    c = _past(n, p, j)
    for cj, nn, pp, jj in zip(c.tolist(), n.tolist(), p.tolist(), j.tolist(), strict=True):
        m = round(cj * _STEPS)
        if m < _STEPS:
            assert _numpy_c_walk(m / _STEPS, nn, pp, jj)
        assert not _numpy_c_walk((m - 1) / _STEPS, nn, pp, jj)


def test_no_rows_and_rows_without_uniforms():
    n, p, k = np.array([0, 3, 5]), np.array([0.4, 0.0, 0.0]), np.array([0, 0, 1])
    fast = BinomialAtLeast(np.random.default_rng(0), n, p, k)
    assert fast().tolist() == [True, True, False]
    empty = BinomialAtLeast(np.random.default_rng(0), [], [], [])
    assert fast.rng.bit_generator.state == np.random.default_rng(0).bit_generator.state
    assert empty().tolist() == []


def test_rule_chance_counts_equal_a_plain_simulation():
    """rule_chance's counts are those of NumPy's draws judged by pandas, draw by draw."""
    import pandas as pd

    from edu_quality.rosobrnadzor import meeting_rule, rule_chance

    rng = np.random.default_rng(8)
    cells = pd.MultiIndex.from_product(
        [
            [f"S{i:03d}" for i in range(300)],
            ["Математика", "Русский язык"],
            ["весна", "осень"],
            [2022, 2023],
        ],
        names=["school_id", "subject", "session", "year"],
    ).to_frame(index=False)
    rows = cells.sample(frac=0.8, random_state=1).reset_index(drop=True)
    rows = rows.assign(assessment="ВПР", grade="5")
    rows["participants"] = rng.integers(5, 40, len(rows))
    rows.loc[rows.index % 50 == 0, "participants"] = 400  # n·p > 30: NumPy's BTPE
    rows["region_share"] = np.where(rows["subject"] == "Математика", 0.2, 0.12)
    rows["n2"] = rng.binomial(rows["participants"], rows["region_share"])
    rows["share_2"] = rows["n2"] / rows["participants"]
    ch = rule_chance(rows, 2023, share=0.3, n_sim=40, seed=3)

    def plain(rows: pd.DataFrame) -> list[int]:
        draws = np.random.default_rng(3)
        n, p = rows["participants"].to_numpy(), rows["region_share"].to_numpy()
        key = ["school_id", "assessment", "subject", "grade", "session"]
        expected = []
        for _ in range(40):
            hit = rows.assign(hit=draws.binomial(n, p) / np.maximum(n, 1) >= 0.3)
            now, before = hit.loc[hit["year"] == 2023], hit.loc[hit["year"] == 2022]
            two = now.groupby(["school_id", "session"])["hit"].sum().loc[lambda s: s >= 2]
            both = now.merge(before, on=key).loc[lambda d: d["hit_x"] & d["hit_y"]]
            expected.append(len(set(two.index.get_level_values(0)) | set(both["school_id"])))
        return expected

    expected = plain(rows)
    assert ch["counts"].tolist() == expected
    assert len(set(expected)) > 3  # the draws differ: the comparison means something

    # rows without a session (only rule_rows fills it): in no group of a session, as pandas'
    # groupby and meeting_rule leave them; never counted for another school
    unknown = rows.copy()
    unknown.loc[unknown.index % 7 == 0, "session"] = None
    ch = rule_chance(unknown, 2023, share=0.3, n_sim=40, seed=3)
    assert ch["counts"].tolist() == plain(unknown) != expected
    assert ch["observed"] == meeting_rule(unknown, 2023, share=0.3)["school_id"].nunique()

    # twelve sessions: a school's groups of a session stay apart however many there are
    many = rows.assign(session=rows["session"] + (rows.index % 6).astype(str))
    ch = rule_chance(many, 2023, share=0.3, n_sim=40, seed=3)
    assert ch["counts"].tolist() == plain(many) != expected

    # the school codes as a categorical (the loader's), categories in another order, and a
    # row without one: the schools are numbered by the codes, as by the texts
    rows.loc[7, "school_id"] = None
    ids = rows["school_id"].astype("str")
    categorical = rows.assign(
        school_id=pd.Categorical(ids, categories=sorted(ids.dropna().unique(), reverse=True))
    )
    as_text = rule_chance(rows.assign(school_id=ids), 2023, share=0.3, n_sim=40, seed=3)
    as_codes = rule_chance(categorical, 2023, share=0.3, n_sim=40, seed=3)
    assert as_codes["counts"].tolist() == as_text["counts"].tolist()
    assert as_codes["schools"] == as_text["schools"] == ids.nunique(dropna=False)
    assert as_codes["observed"] == as_text["observed"]

"""Id checks of a dataset: schools missing from the registry, pupil codes shared by schools.

A table naming a school the registry lacks is an error (:func:`check_ids`,
with the nearest registry id as a hint); a pupil code met in several schools
in one work is not, but it is counted for the dataset's notes
(:func:`ids_in_several_schools`): such codes are codes within a school.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._codes import factorize, known, mix_hashes, text_hashes
from .._russian import did_you_mean
from ..errors import MAX_PROBLEMS, Problem
from ..io.load import Loaded

__all__ = ["check_ids", "ids_in_several_schools"]


def check_ids(loaded: Loaded, known: set[str]) -> tuple[list[Problem], int]:
    """Rows naming a school missing from the registry, and how many there are.

    The first ones a DataError shows (:data:`edu_quality.errors.MAX_PROBLEMS`, by row).
    """
    ids = loaded.table["school_id"]
    absent = set(ids.dropna().unique().tolist()) - known
    if not absent:
        return [], 0
    where = np.flatnonzero(ids.isin(list(absent)).to_numpy())
    rows = np.asarray(loaded.rows)[where]
    first = np.argsort(rows, kind="stable")[:MAX_PROBLEMS]
    header = loaded.headers.get("school_id", "Код ОО")
    hints: dict[str, str] = {}  # the nearest ids, leading zeros Excel dropped (1016 for 01016)
    problems = []
    for j in first:
        sid = ids.iloc[where[j]]
        if sid not in hints:
            hint = did_you_mean(sid, known, similar=False)
            hints[sid] = f"; {hint}" if hint else ""
        message = f"школа «{sid}» не найдена в реестре школ{hints[sid]}"
        problems.append(Problem(int(rows[j]), header, message))
    return problems, len(where)


def ids_in_several_schools(results: pd.DataFrame) -> int:
    """How many pupil ids occur in more than one school in one work of one year."""
    if results.empty:
        return 0
    work = ["year", "assessment", "subject", "grade", "pupil_id"]
    coded = results["pupil_id"].notna()
    r = results if coded.all() else results.loc[coded]
    if r.empty:
        return 0
    # the codes the file's checks counted, when every pupil has a code (r is the table)
    school, schools = factorize(r["school_id"], use_na_sentinel=False)
    k = max(len(schools), 1)
    hashes = None if known(r["pupil_id"]) else text_hashes(r["pupil_id"])
    if hashes is None:
        return len(_in_several_schools(_code(r, work), school, k))
    # the pupil codes hashed (a million texts per file of a country): a work and pupil in
    # two schools has one hash in two schools; only such rows are looked at by their texts.
    # The school in the hash's low bits: one sort, no table of a million hashes.
    low = np.uint64((1 << max(k - 1, 1).bit_length()) - 1)
    hashed = mix_hashes(_code(r, work[:-1]), hashes) & ~low
    pair = np.sort(hashed | school.astype(np.uint64))
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]  # sorted distinct (hash, school)
    head = pair & ~low
    again = np.isin(hashed, head[1:][head[1:] == head[:-1]])
    if not again.any():
        return 0
    return len(_in_several_schools(_code(r.loc[again], work), school[again], k))


def _in_several_schools(code: np.ndarray, school: np.ndarray, k: int) -> np.ndarray:
    """The distinct codes of work and pupil found with two schools or more (of ``k``)."""
    if not len(code):
        return code
    if int(code.max()) >= 2**62 // k:
        code = pd.factorize(code)[0]
    # one number per work and pupil, one per school; sorted, a work and pupil with two
    # schools is a run of equal numbers with two different schools
    pair = np.sort(code * k + school)
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]]  # sorted distinct (work and pupil, school)
    work = pair // k
    several = work[1:][work[1:] == work[:-1]]  # sorted: one run per work and pupil
    return several[np.r_[True, several[1:] != several[:-1]]] if len(several) else several


def _code(table: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """One integer per row, equal for rows equal in ``columns`` (missing values alike)."""
    code = np.zeros(len(table), dtype=np.int64)
    size = 1
    for c in columns:
        codes, uniques = factorize(table[c], use_na_sentinel=False)
        k = max(len(uniques), 1)
        if size * k >= 2**62:
            code, distinct = pd.factorize(code)
            size = max(len(distinct), 1)
        code = code * k + codes
        size *= k
    return code

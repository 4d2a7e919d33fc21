"""Unreliable protocols of a ВПР export: a school's work with impossible totals.

Stage 11a of the parser (rule «Unreliable protocols» of
:mod:`edu_quality.fisoko.vpr`). A protocol is the results of one school in
the work of the file. When any of its results has an impossible total — a
primary score above the maximum of the work, a total (or, in ``protocol``, a
task score) that cannot be read, an unknown variant — the rows with the error
are left out as before (``invalid_results="exclude"``), and every other row
of that school is kept with ``unreliable = True`` and the reason: dropping
only the impossible rows would keep a biased class. Analyses leave
unreliable protocols out by default (:mod:`edu_quality.reliability`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..._russian import plural
from ..common import WARNING, QualityReport
from .result_errors import ResultErrors
from .rows import PupilRows

__all__ = ["UnreliableProtocols", "unreliable_columns", "unreliable_protocols"]

#: Kind of impossible total → (short reason of the results table, phrase with counts).
_KINDS = {
    "over_max": (
        "часть итоговых баллов больше максимального ({max})",
        "итоговый балл больше максимального ({max})",
    ),
    "total": (
        "часть итоговых баллов не распознана",
        "итоговый балл или балл за задание не распознан",
    ),
    "variant": ("у части участников неизвестный вариант", "неизвестный вариант"),
}


@dataclass(frozen=True)
class UnreliableProtocols:
    """The unreliable protocols of a file.

    Attributes
    ----------
    reason : ndarray of object
        Per row of the file, the reason its school's protocol is unreliable
        (None for a reliable one).
    schools : tuple of str
        The schools whose protocol is unreliable, sorted.
    rows : int
        Results of unreliable protocols kept (rows with the error not counted).
    """

    reason: np.ndarray
    schools: tuple[str, ...] = ()
    rows: int = 0


def unreliable_protocols(
    errors: ResultErrors,
    q: QualityReport,
    rows: PupilRows | Any,
    *,
    work_max: float,
    header: str | None,
) -> UnreliableProtocols:
    """Stage 11a: the protocols with an impossible total, marked and listed.

    Parameters
    ----------
    errors : ResultErrors
        The result errors found (their :attr:`~ResultErrors.impossible` kinds).
    q : QualityReport
        Receives a warning per unreliable protocol: how many of its
        participants have which impossible total.
    rows : PupilRows
    work_max : float
        The top of the work's scale.
    header : str or None
        The column the warning names (the total's).

    Returns
    -------
    UnreliableProtocols

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> errors = ResultErrors(np.array([True, True, True, True]))
    >>> errors.add(np.array([True, False, False, False]), "всего баллов",
    ...            np.array(["22", "9", "14", "5"], object), "балл больше максимума",
    ...            impossible="over_max")
    >>> rows = SimpleNamespace(school=pd.Series(["s1", "s1", "s1", "s2"]))
    >>> p = unreliable_protocols(errors, QualityReport("a.xlsx"), rows, work_max=20,
    ...                          header="всего баллов")
    >>> p.schools, p.rows, p.reason[1]
    (('s1',), 2, 'протокол недостоверен: часть итоговых баллов больше максимального (20)')
    """
    n = len(errors.writer)
    reason = np.full(n, None, dtype=object)
    kinds = errors.impossible
    hit = pd.notna(kinds) & errors.writer
    if not hit.any():
        return UnreliableProtocols(reason)
    school = rows.school.to_numpy(dtype=object)
    frame = pd.DataFrame({"school": school, "kind": kinds, "writer": errors.writer})
    frame = frame[frame["writer"] & frame["school"].notna()]
    bad_schools = sorted(set(frame.loc[frame["kind"].notna(), "school"]))
    top = f"{work_max:g}"
    kept = 0
    for s in bad_schools:
        mine = frame[frame["school"] == s]
        found = mine["kind"].dropna()
        order = [k for k in _KINDS if k in set(found)]
        short = "; ".join(_KINDS[k][0].format(max=top) for k in order)
        members = (school == s) & errors.writer
        keep = members & ~errors.mask
        reason[keep] = "протокол недостоверен: " + short
        kept += int(keep.sum())
        total = len(mine)
        parts = []
        for k in order:
            c = int((found == k).sum())
            who = plural(total, "участника", "участников", "участников")
            parts.append(f"у {c} из {total} {who} " + _KINDS[k][1].format(max=top))
        q.add(
            np.array([pd.NA], dtype=object),
            header,
            np.array([""], dtype=object),
            "протокол школы по этой работе недостоверен: " + "; ".join(parts),
            f"остальные результаты школы по работе ({int(keep.sum())}) сохранены с пометкой "
            "unreliable; по умолчанию анализ их не учитывает",
            WARNING,
            np.array([s], dtype=object),
        )
    return UnreliableProtocols(reason, tuple(bad_schools), kept)


def unreliable_columns(protocols: UnreliableProtocols | None, idx: np.ndarray) -> dict[str, Any]:
    """The columns ``unreliable`` and ``unreliable_reason`` of the participants' results.

    Parameters
    ----------
    protocols : UnreliableProtocols or None
        None: every protocol reliable.
    idx : ndarray of int
        The participants' rows.

    Returns
    -------
    dict
        Column → values (``boolean`` and ``str``).

    Examples
    --------
    >>> cols = unreliable_columns(UnreliableProtocols(np.array([None, "x"], object)), np.array([1]))
    >>> cols["unreliable"].tolist(), cols["unreliable_reason"].tolist()
    ([True], ['x'])
    """
    m = len(idx)
    reason = protocols.reason[idx] if protocols is not None else np.full(m, None, dtype=object)
    return {
        "unreliable": pd.array(pd.notna(reason), dtype="boolean"),
        "unreliable_reason": pd.Series(reason, dtype="str"),
    }

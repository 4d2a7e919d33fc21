"""What a report cell shows: a value, or why it is hidden (small groups, disclosure).

Shared by the school and municipality sections: a group under the small-group
threshold shows «скрыто: меньше N участников», a group hidden for another's
sake (:mod:`edu_quality.disclosure`) «скрыто: иначе вычисляется малая группа».
"""

from __future__ import annotations

from ..render import fmt_number, fmt_percent

__all__ = ["HIDDEN", "HIDDEN_COMPLEMENT", "cell_value"]

#: A group under the small-group threshold.
HIDDEN = "скрыто: меньше {n} участников"
#: A group large enough that is hidden all the same: shown, it would give back a small
#: group by subtraction from a total (:mod:`edu_quality.disclosure`).
HIDDEN_COMPLEMENT = "скрыто: иначе вычисляется малая группа"


def cell_value(v, share: bool, hidden: bool, n: int, participants: int | None = None) -> str:
    """A share or a number as shown; ``hidden`` says why not (too few, or complementary)."""
    if hidden:
        if participants is not None and participants >= n:
            return HIDDEN_COMPLEMENT
        return HIDDEN.format(n=n)
    return fmt_percent(v) if share else fmt_number(v, fixed=True)

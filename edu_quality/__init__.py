"""edu_quality: analytics for the «500+» school-improvement programme.

Loaders for assessment results, school registry, social context, staffing,
enrolment, 500+ risk profiles, programme indicators and plans; metrics with
confidence intervals; dynamics; objectivity; factor influence; the social
well-being index; identification of schools with low results (ШНОР) and in
difficult social conditions (ШНСУ).

The modules: ``io`` (readers), ``schema``, ``dataset``, ``metrics``,
``dynamics``, ``objectivity``, ``score_checks``, ``indicators``, ``factors``, ``index``,
``identify``, ``transitions``, ``effect``, ``risk``, ``plots``, ``synthetic``. The most used functions are
also importable from the package itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports

#: Public name → the module it lives in. Imported on first use (PEP 562), so
#: that a command which needs only the loaders — or a report batch starting
#: its kernels — does not pay for statsmodels and SciPy at start-up.
_EXPORTS = {
    "DataError": "errors",
    "EduQualityError": "errors",
    "Problem": "errors",
    "Dataset": "dataset",
    "load_dataset": "dataset",
    "context_signs": "catalogue",
    "factor_catalogue": "catalogue",
    "factor_label": "catalogue",
    "cohort_progress": "dynamics",
    "enrolment_change": "dynamics",
    "positive_share": "dynamics",
    "trend": "dynamics",
    "year_over_year": "dynamics",
    "comparison_schools": "effect",
    "outcome_panel": "effect",
    "programme_effect": "effect",
    "direction_table": "factors",
    "influence": "factors",
    "multilevel": "factors",
    "classify": "identify",
    "rosobrnadzor_chance": "identify",
    "SocialIndex": "index",
    "social_index": "index",
    "unfavourable": "index",
    "evaluate_indicators": "indicators",
    "ReadLimits": "io",
    "read_context": "io",
    "read_enrolment": "io",
    "read_indicators": "io",
    "read_plan": "io",
    "read_results": "io",
    "read_risk_profiles": "io",
    "read_schools": "io",
    "read_staff": "io",
    "summarize": "metrics",
    "summarize_together": "metrics",
    "partner_schools": "similar",
    "similar_schools": "similar",
    "marks_vs_journal": "objectivity",
    "objectivity_index": "objectivity",
    "objectivity_triage": "objectivity",
    "compare_with_list": "objectivity",
    "session_progress": "sessions",
    "group_gaps": "gaps",
    "weak_tasks": "reteach",
    "task_performance": "tasks",
    "cutoff_excess": "score_checks",
    "hard_tasks_easier": "score_checks",
    "total_above_tasks": "score_checks",
    "list_transitions": "transitions",
}
_SUBMODULES = (
    "dynamics",
    "identify",
    "indicators",
    "metrics",
    "objectivity",
    "risk",
    "score_checks",
    "similar",
)

if TYPE_CHECKING:  # for type checkers and IDEs: the names as plain imports
    from . import dynamics, identify, indicators, metrics, objectivity, risk, score_checks, similar
    from .catalogue import context_signs, factor_catalogue, factor_label
    from .dataset import Dataset, load_dataset
    from .dynamics import cohort_progress, enrolment_change, positive_share, trend, year_over_year
    from .effect import comparison_schools, outcome_panel, programme_effect
    from .errors import DataError, EduQualityError, Problem
    from .factors import direction_table, influence, multilevel
    from .gaps import group_gaps
    from .identify import classify, rosobrnadzor_chance
    from .index import SocialIndex, social_index, unfavourable
    from .indicators import evaluate_indicators
    from .io import (
        ReadLimits,
        read_context,
        read_enrolment,
        read_indicators,
        read_plan,
        read_results,
        read_risk_profiles,
        read_schools,
        read_staff,
    )
    from .metrics import summarize, summarize_together
    from .objectivity import (
        compare_with_list,
        marks_vs_journal,
        objectivity_index,
        objectivity_triage,
    )
    from .reteach import weak_tasks
    from .score_checks import cutoff_excess, hard_tasks_easier, total_above_tasks
    from .sessions import session_progress
    from .similar import partner_schools, similar_schools
    from .tasks import task_performance
    from .transitions import list_transitions


#: The public names: written once, in ``_EXPORTS`` and ``_SUBMODULES`` (a test checks that the
#: type-checking imports above name the same).
__all__ = sorted([*_EXPORTS, *_SUBMODULES])

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, _SUBMODULES, __all__)

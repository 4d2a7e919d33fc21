"""The ВПР export of ФИС ОКО: results, per-task scores, absent pupils and a data-quality report.

:func:`read_fisoko_vpr` reads a ВПР export in any of its three layouts
(:mod:`.layouts`) into a :class:`FisOkoVpr`: the canonical pupil-level
``results`` (what :func:`edu_quality.read_results` returns for such a file),
the per-task scores ``tasks``, the absent pupils per school ``absent`` and a
data-quality report ``quality``.

Rules
-----
Year, subject, grade
    Taken from the arguments, else from the file name: the year is a
    four-digit 20xx in the name («ВПР 2021», «(осень 2020)»), else in the name
    of the folder or its parent (``vpr_2022``), else (``protocol``) the date of
    upload: the school year it falls in (September–August), named by the
    calendar year of its end. The subject is recognised by its stem
    («по математике», «Русский язык»); the grade is the number before
    «класс». The ВПР year is the campaign's year as ФИС ОКО names it: the
    autumn-2020 files are ВПР 2020.
Autumn 2020
    The spring-2020 works were written in autumn 2020 a grade later: pupils of
    grade g wrote the work of grade g − 1. The file name gives the grade of
    the **work** («Математика 5 класс (осень 2020)» holds pupils of grade 6,
    as their codes 6xxxx show). The results keep ``grade`` = the pupils'
    grade and ``work_grade`` = the work's grade; the mark uses the scale of
    the work (:mod:`edu_quality.scales`); a note in ``quality`` says so. The
    pupils' grade is the first digit(s) of the 5-digit pupil code when the
    codes agree, else work grade + 1. In every other file ``work_grade`` =
    ``grade``.
Pupils and schools
    See :mod:`edu_quality.fisoko.common`: ``pupil_id`` is unique within a
    school; ``edu…`` and ``sch…`` logins of a school become ``sch…``.
Absent pupils
    A variant «отсутствовал» means the pupil was absent: the row is not a
    participant (it is not in ``results``) and is counted per school in
    ``absent`` and in ``results.attrs["absent"]``. A pupil row with neither a
    variant nor any score is not counted at all and is listed in ``quality``
    (a warning: the pupil was probably never entered).
Scores
    The primary score is the file's total («всего баллов», ``sum``). When a
    row has none, and always in the ``protocol`` layout (whose «Итого баллов»
    is a formula cell that is not always computed), it is the sum of the task
    scores. A task marked «X» (not attempted) or «не пройд.» (topic not
    studied) scores 0, as in the totals of ФИС ОКО; the ``tasks`` table keeps
    the code in ``note``.
Task maxima
    ``protocol``: from the headers («(2б)»). The other layouts do not name
    them: they are taken from ``task_max`` when given, else from the data —
    the largest score given to at least 0.5 % of the pupils with a score for
    the task (for fewer than 1 000 pupils, the largest score given), which
    drops the rare mistyped values. The sum is checked against the top of the
    scale; a mismatch is noted in ``quality``.
Marks
    The files carry no ВПР mark: ``mark`` comes from the score-to-mark scale
    of the year, subject and work grade (:func:`edu_quality.scales.score_to_mark`).
    A result without a scale raises :class:`~edu_quality.errors.DataError`.
Invalid values
    *Results* — an unknown variant (not a positive whole number: «0», empty
    with scores present, text), a total that is not a whole number ≥ 0, a
    score above the maximum of the scale, a ``protocol`` task score above its
    maximum, a missing school or pupil code, a pupil code that looks like a
    name (see «Names»), a duplicated pupil — are errors
    (severity «ошибка»). By default (``invalid_results="raise"``) they raise
    :class:`~edu_quality.errors.DataError` naming file, Excel row and column;
    with ``invalid_results="exclude"`` the pupil's result is left out of the
    participants and listed in ``quality``.
    *Secondary fields* — a journal mark other than 2–5 («8», «ж», «1»: the
    ВПР compare marks 2–5; «нет отметки» is simply missing), gender other
    than м/ж, an unreadable
    task cell («?») or a task score above its inferred maximum in ``ru`` and
    ``codes`` — do not stop the load: the value becomes missing, the result is
    kept, and the cell is listed in ``quality`` (severity «предупреждение»);
    ``strict=True`` turns them into :class:`~edu_quality.errors.DataError`.
    *Notes* (severity «примечание») record what was done without an error:
    totals computed from tasks, totals that disagree with the task sum,
    inferred maxima, the autumn-2020 shift, absent pupils with scores.
Unreliable protocols
    A school's results in the work of the file (its protocol) with any
    impossible total — a score above the maximum of the work, an unreadable
    total, an unknown variant — are unreliable as a whole: with
    ``invalid_results="exclude"`` the impossible rows are left out and every
    other row of that school is kept with ``unreliable = True`` and an
    ``unreliable_reason``; a warning in ``quality`` gives the counts.
    Analyses leave them out by default (:mod:`edu_quality.reliability`).
Names
    A pupil code that looks like a person's name («Иванов Иван», «ПЕТРОВ П.П.»,
    «Petrov P.», «Петров»; :func:`edu_quality.names.looks_like_name` with the
    rule of an id column) is a result error on any row (an absent pupil's
    too): it stops the load by default, or the row is left out with
    ``invalid_results="exclude"``. The error names the Excel row and the
    column, never the value. No value that looks like a name is kept in
    ``quality`` (journal mark, gender, task cells…): it becomes «значение
    скрыто: похоже на ФИО», and the problem quotes «скрыто»
    (:class:`~edu_quality.fisoko.common.QualityReport`).
Pseudonymisation
    With a key (``pseudonymize_ids``, or ``EDU_QUALITY_PUPIL_KEY``), the pupil
    codes of ``results``, ``tasks`` and of ``quality`` (a duplicated pupil) are
    the keyed hash of :func:`edu_quality.privacy.pseudonymize`; ``absent``
    holds counts only.

Stages of the parser
--------------------
:func:`~.reader.parse_vpr` runs them in this order; each takes and returns
small dataclasses.

1. :func:`~.layouts.layout_columns` — the column of every field (:class:`~.layouts.Columns`).
2. :func:`~.rows.pupil_rows` — the cells of the fields as text (:class:`~.rows.PupilRows`).
3. :func:`~.rows.drop_blank_rows` — the layout rows, with nothing in them, dropped.
4. :func:`~.work.work_identity` — year, subject, grades of the pupils and of the work.
5. :func:`~.work.work_scale` — the scale of the work and its maximum.
6. :func:`~.rows.row_status` — absent pupils, empty rows, rows of results.
7. :func:`~.tasks.classify_task_cells` — a score, «X», «не пройд.» or unreadable.
8. :func:`~.tasks.task_maxima` — the maximum of each task.
9. :func:`~.tasks.score_tasks` — the score of each cell, the sum of each row.
10. :func:`~.result_errors.variant_errors`, :func:`~.scores.protocol_scores` or
    :func:`~.scores.file_scores`, :func:`~.scores.score_errors`,
    :func:`~.result_errors.pupil_errors` — the primary scores and the result errors;
    :func:`~.protocols.unreliable_protocols` — the schools whose protocol they make unreliable.
11. :func:`~.fields.secondary_fields`, :func:`~.fields.row_remarks` — journal mark
    and gender, remarks on rows that are no results.
12. :func:`~.result_errors.settle_errors` — the data-quality report; raise or exclude.
13. :func:`~.tables.vpr_tables` — the tables (:class:`FisOkoVpr`).
"""

from __future__ import annotations

from .layouts import LAYOUTS, detect_layout
from .reader import read_fisoko_vpr, sniff_vpr
from .tables import FisOkoVpr

__all__ = ["LAYOUTS", "FisOkoVpr", "detect_layout", "read_fisoko_vpr", "sniff_vpr"]

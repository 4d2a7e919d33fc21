"""Word documents of the reports: the municipality's справка and a school's summary.

:func:`render_docx` writes a ``.docx`` from a template with docxtpl;
:func:`docx_context` gives the data a template receives (documented in
:data:`CONTEXT_KEYS`); :func:`batch_docx` writes the documents of a batch folder.
The package's Russian templates (``edu_quality/templates/docx/``) are made by
:mod:`edu_quality.report.word.templates`; a methodologist may give their own.

Tags in a template (Jinja, as docxtpl reads it): ``{{ name }}`` a value,
``{{ p.line }}`` a key of a dict in a list, ``{%p for p in problems %}`` …
``{%p endfor %}`` a paragraph-level loop, ``{%p if name %}`` … ``{%p endif %}``,
``{{p problems_table }}`` a ready-made Word table, ``{{ chart }}`` the picture.
"""

from __future__ import annotations

from pathlib import Path

from .context import Chart, Table, municipality_context, school_context
from .render import TemplateError, check_template, render_context
from .templates import TEMPLATES, template_path, write_templates

__all__ = [
    "CONTEXT_KEYS",
    "Chart",
    "Table",
    "TemplateError",
    "batch_docx",
    "check_template",
    "docx_context",
    "render_docx",
    "template_path",
    "write_templates",
    "TEMPLATES",
]

_COMMON = {
    "kind": "«municipality» или «school»",
    "title": "заголовок документа",
    "year": "учебный год числом: 2024 = 2023/24",
    "year_label": "«2023/2024 учебный год»",
    "date": "дата составления, «дд.мм.гггг»",
    "min_n": "наименьшая показываемая группа (5 участников)",
    "chart": "рисунок (PNG) или пусто: {{ chart }} в отдельном абзаце",
    "chart_caption": "подпись к рисунку или пусто",
}

#: Every key a template receives, by kind of document, with what it holds.
#: «таблица» is a ready-made Word table: put it alone in a paragraph as ``{{p name }}``.
CONTEXT_KEYS: dict[str, dict[str, str]] = {
    "municipality": {
        **_COMMON,
        "municipality": "муниципалитет",
        "intro": "одна фраза о содержании справки",
        "n_schools": "число школ муниципалитета",
        "problems": "проблемы: список словарей label, count, total (или пусто), line "
        "(«label: 2 школы из 22 — А, Б.»), schools (список name, reason, line), details "
        "(строки «школа — причина»)",
        "indicator_problems": "строки о недостигнутых показателях программы",
        "no_problems": "фраза «проблем не выявлено» или пусто",
        "problems_table": "таблица: Проблема, Школ, Из, Доля школ (или пусто)",
        "resilient": "названия резильентных школ",
        "resilient_line": "строка о резильентных школах или пусто",
        "causes": "вероятные причины: словари как в problems",
        "causes_caveat": "оговорка «связь не доказывает причину» или пусто",
        "no_causes": "почему причины не названы, или пусто",
        "plan_note": "«план не загружен» или пусто",
        "plan_warnings": "строки: треки со школами без мер в плане",
        "tracks": "треки плана: словари track, title, text, schools (названия), measures "
        "(словари measure, deadline, responsible), table (таблица мер)",
        "indicators": "показатели: словари indicator, computed, reported, why",
        "indicators_table": "таблица показателей (или пусто)",
        "indicators_note": "фраза, если показатели не пересчитываются, или пусто",
    },
    "school": {
        **_COMMON,
        "school": "название школы",
        "school_id": "код ОО",
        "municipality": "муниципалитет",
        "group": "группа для сравнения",
        "status_code": "статус кратко: «ШНОР», «зона риска»… или пусто",
        "status": "«Статус: …» одной фразой",
        "reason": "«Почему: …»",
        "markers": "признаки необъективности: строки",
        "far_works": "работы, дальше всего отстоящие от региона: словари work, school, "
        "interval, region, diff (п. п.), side («выше»/«ниже»)",
        "far_table": "таблица этих работ (или пусто)",
        "far_note": "фраза, если таких работ нет, или пусто",
        "notes": "строки: результат с учётом условий, отметки ВПР и журнала",
        "track": "трек плана: «1», «2» или «3»",
        "track_text": "название трека",
        "track_line": "строка «Трек N — …; меры …:»",
        "measures": "меры трека: словари measure, deadline, responsible, line",
        "measures_table": "таблица мер (или пусто)",
        "risks": "факторы риска высокой значимости: строки",
        "risk_note": "строка о рисковом профиле",
    },
}


def _target(job_or_data, school_id, municipality):
    """(ReportData, kind, id or municipality, file stem) of a Job or a ReportData."""
    from ..data import ReportData, report_data
    from ..job import Job, safe_name

    if isinstance(job_or_data, Job):
        p = job_or_data.parameters
        data = report_data(p["data_dir"], p["year"])
        key = p.get("school_id") if job_or_data.kind == "school" else p.get("municipality")
        return data, job_or_data.kind, str(key), job_or_data.name
    if not isinstance(job_or_data, ReportData):
        raise ValueError("render_docx: нужен Job или ReportData")
    if (school_id is None) == (municipality is None):
        raise ValueError("укажите либо school_id, либо municipality")
    if school_id is not None:
        return job_or_data, "school", str(school_id), f"school_{safe_name(school_id)}"
    return (
        job_or_data,
        "municipality",
        municipality,
        f"municipality_{safe_name(municipality)}",
    )


def docx_context(job_or_data, *, school_id: str | None = None, municipality: str | None = None):
    """The context a Word template of a report receives (keys: :data:`CONTEXT_KEYS`).

    Parameters
    ----------
    job_or_data : Job or ReportData
        A report job (:func:`edu_quality.report.job.job_for`), or the report
        data of a year (:func:`edu_quality.report.report_data`) with
        ``school_id`` or ``municipality``.

    Returns
    -------
    dict
        Plain values, lists of dicts, :class:`Table` and :class:`Chart`.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> data = report_data(sample_folder("region"), 2024)
    >>> ctx = docx_context(data, municipality="г. Заречный")
    >>> set(ctx) == set(CONTEXT_KEYS["municipality"])
    True
    """
    data, kind, key, _ = _target(job_or_data, school_id, municipality)
    if kind == "school":
        return school_context(data, key)
    return municipality_context(data, key)


def render_docx(
    job_or_data,
    out: str | Path,
    *,
    template: str | Path | None = None,
    school_id: str | None = None,
    municipality: str | None = None,
) -> Path:
    """Write the Word document of a report; return its path.

    Parameters
    ----------
    job_or_data : Job or ReportData
        As in :func:`docx_context`.
    out : str or Path
        A ``.docx`` file, or a folder: then ``<folder>/<report name>.docx``
        (the HTML report's name, e.g. ``municipality_….docx``, ``school_01004.docx``).
    template : str or Path, optional
        The user's template; by default the package's (:func:`template_path`).

    Raises
    ------
    TemplateError
        A tag the context does not have or broken tag syntax: one line naming
        the tag and its paragraph; nothing is written.

    Examples
    --------
    >>> import tempfile
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality.report import report_data
    >>> data = report_data(sample_folder("region"), 2024)
    >>> path = render_docx(data, tempfile.mkdtemp(), school_id="01004")
    >>> path.name
    'school_01004.docx'
    """
    data, kind, key, stem = _target(job_or_data, school_id, municipality)
    context = school_context(data, key) if kind == "school" else municipality_context(data, key)
    out = Path(out)
    path = out if out.suffix.lower() == ".docx" else out / f"{stem}.docx"
    return render_context(context, template or template_path(kind), path)


def batch_docx(
    data_dir: str | Path,
    year: int | str,
    out_dir: str | Path,
    *,
    municipality: str | None = None,
    kinds: tuple[str, ...] = ("municipality", "school"),
    names: set[str] | None = None,
    template: str | Path | None = None,
) -> list[Path]:
    """Write the Word documents of a batch folder next to its HTML reports.

    One document per report of :func:`edu_quality.report.runner.plan_jobs` with
    data, of ``kinds`` (``("municipality",)``: the справки only), named as the
    report (``<name>.docx``); ``names`` limits them to these report names.
    ``template`` replaces the package's template of the municipalities' справки
    (schools keep the package's). Returns the paths written.

    Examples
    --------
    >>> import tempfile
    >>> from edu_quality.demo import sample_folder
    >>> paths = batch_docx(sample_folder("region"), 2024, tempfile.mkdtemp(),
    ...     municipality="г. Заречный", kinds=("municipality",))
    >>> [p.suffix for p in paths]
    ['.docx']
    """
    from ..runner import plan_jobs

    out = []
    for job in plan_jobs(data_dir, year, municipality):
        if job.kind not in kinds or job.no_data or (names is not None and job.name not in names):
            continue
        own = template if job.kind == "municipality" else None
        out.append(render_docx(job, out_dir, template=own))
    return out

"""The package's Word templates, made reproducibly with python-docx.

``python -m edu_quality.report.word`` writes
``edu_quality/templates/docx/spravka.docx`` (the municipality's «Аналитическая
справка») and ``school.docx`` (a school's summary) again from this code. A
methodologist may edit them in Word: text, styles, order; the tags between
``{{ }}`` and ``{% %}`` are the context of :data:`edu_quality.report.word.CONTEXT_KEYS`.
Headings use Word's «Heading 1/2» styles (the navigation pane), and a table of
contents field is filled when Word opens the document (it asks to update fields).
"""

from __future__ import annotations

import datetime
from pathlib import Path

__all__ = ["TEMPLATE_DIR", "TEMPLATES", "build_template", "template_path", "write_templates"]

#: Where the package's templates live.
TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "docx"
#: Kind of report → template file name.
TEMPLATES = {"municipality": "spravka.docx", "school": "school.docx"}

# Each line: (style, text); style None is a Jinja block tag (its paragraph is removed).
_SPRAVKA = [
    ("Title", "{{ title }}"),
    ("Subtitle", "{{ municipality }}, {{ year_label }}"),
    ("Normal", "{{ intro }}"),
    ("TOC", ""),
    ("Heading 1", "1. Выявленные проблемы"),
    (None, "{%p for p in problems %}"),
    ("List Bullet", "{{ p.line }}"),
    (None, "{%p for line in p.details %}"),
    ("List Bullet 2", "{{ line }}"),
    (None, "{%p endfor %}"),
    (None, "{%p endfor %}"),
    (None, "{%p for line in indicator_problems %}"),
    ("List Bullet", "{{ line }}"),
    (None, "{%p endfor %}"),
    (None, "{%p if no_problems %}"),
    ("Normal", "{{ no_problems }}"),
    (None, "{%p endif %}"),
    (None, "{%p if problems_table %}"),
    ("Heading 2", "Сводка: сколько школ"),
    ("Normal", "{{p problems_table }}"),
    ("Normal", "{{ chart }}"),
    ("Caption", "{{ chart_caption }}"),
    (None, "{%p endif %}"),
    (None, "{%p if resilient_line %}"),
    ("Normal", "{{ resilient_line }}"),
    (None, "{%p endif %}"),
    ("Heading 1", "2. Вероятные причины"),
    (None, "{%p for c in causes %}"),
    ("List Bullet", "{{ c.line }}"),
    (None, "{%p for line in c.details %}"),
    ("List Bullet 2", "{{ line }}"),
    (None, "{%p endfor %}"),
    (None, "{%p endfor %}"),
    (None, "{%p if causes_caveat %}"),
    ("Quote", "{{ causes_caveat }}"),
    (None, "{%p endif %}"),
    (None, "{%p if no_causes %}"),
    ("Normal", "{{ no_causes }}"),
    (None, "{%p endif %}"),
    ("Heading 1", "3. Меры по трекам, сроки и ответственные"),
    (None, "{%p if plan_note %}"),
    ("Normal", "{{ plan_note }}"),
    (None, "{%p endif %}"),
    (None, "{%p for line in plan_warnings %}"),
    ("Intense Quote", "{{ line }}"),
    (None, "{%p endfor %}"),
    (None, "{%p for t in tracks %}"),
    ("Heading 2", "{{ t.title }}"),
    ("Normal", "{{ t.text }}"),
    ("Normal", "{{p t.table }}"),
    (None, "{%p endfor %}"),
    ("Heading 1", "4. Показатели программы: расчёт по данным и отчётные значения"),
    (None, "{%p if indicators_table %}"),
    ("Normal", "{{p indicators_table }}"),
    (None, "{%p endif %}"),
    (None, "{%p if indicators_note %}"),
    ("Normal", "{{ indicators_note }}"),
    (None, "{%p endif %}"),
    ("Normal", ""),
    ("Normal", "Дата составления: {{ date }}"),
]

_SCHOOL = [
    ("Title", "{{ school }}"),
    ("Subtitle", "{{ municipality }}. {{ year_label }}. Группа для сравнения: {{ group }}."),
    ("TOC", ""),
    ("Heading 1", "Статус школы"),
    ("Strong", "{{ status }}"),
    ("Normal", "{{ reason }}"),
    (None, "{%p if markers %}"),
    ("Heading 2", "Признаки необъективности: требуется проверка"),
    (None, "{%p for m in markers %}"),
    ("List Bullet", "{{ m }}"),
    (None, "{%p endfor %}"),
    (None, "{%p endif %}"),
    ("Heading 1", "Главное: {{ year_label }}"),
    ("Heading 2", "Работы, дальше всего отстоящие от региона"),
    (None, "{%p if far_table %}"),
    ("Normal", "{{p far_table }}"),
    ("Normal", "{{ chart }}"),
    ("Caption", "{{ chart_caption }}"),
    (None, "{%p else %}"),
    ("Normal", "{{ far_note }}"),
    (None, "{%p endif %}"),
    (None, "{%p for line in notes %}"),
    ("Normal", "{{ line }}"),
    (None, "{%p endfor %}"),
    ("Heading 1", "Что делать"),
    ("Normal", "{{ track_line }}"),
    (None, "{%p for m in measures %}"),
    ("List Bullet", "{{ m.line }}"),
    (None, "{%p endfor %}"),
    ("Heading 2", "Риски"),
    ("Normal", "{{ risk_note }}"),
    (None, "{%p for r in risks %}"),
    ("List Bullet", "{{ r }}"),
    (None, "{%p endfor %}"),
    ("Normal", ""),
    ("Normal", "Дата составления: {{ date }}"),
]


def _toc(doc) -> None:
    """«Содержание» and a TOC field over Heading 1–2 (Word fills it on opening)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    doc.add_paragraph("Содержание", style="TOC Heading")
    par = doc.add_paragraph()
    run = par.add_run()
    parts = [
        ("w:fldChar", {"w:fldCharType": "begin", "w:dirty": "true"}),
        ("w:instrText", {"xml:space": "preserve"}),
        ("w:fldChar", {"w:fldCharType": "separate"}),
        ("w:t", {}),
        ("w:fldChar", {"w:fldCharType": "end"}),
    ]
    for tag, attrs in parts:
        el = OxmlElement(tag)
        for k, v in attrs.items():
            el.set(qn(k), v)
        if tag == "w:instrText":
            el.text = ' TOC \\o "1-2" \\h \\z \\u '
        if tag == "w:t":
            el.text = "Обновите поле (F9), чтобы построить содержание."
        run._r.append(el)


def _styles(doc) -> None:
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    normal = doc.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(12)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for k in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(k), "Times New Roman")
    normal.paragraph_format.space_after = Pt(4)
    for name in ("Title", "Subtitle", "Heading 1", "Heading 2", "Caption", "TOC Heading"):
        style = doc.styles[name]
        style.font.name = "Times New Roman"
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    doc.styles["Title"].font.size = Pt(20)
    if "Strong" not in [s.name for s in doc.styles]:
        doc.styles.add_style("Strong", WD_STYLE_TYPE.PARAGRAPH)
    strong = doc.styles["Strong"]
    if strong.type == WD_STYLE_TYPE.PARAGRAPH:
        strong.font.bold = True
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2))
    # Word asks to update fields on opening: the table of contents fills itself
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    # Russian as the document's language (spelling, hyphenation)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "ru-RU")
    rpr.append(lang)


def build_template(kind: str):
    """The python-docx Document of the package's template of ``kind`` («municipality», «school»).

    Examples
    --------
    >>> doc = build_template("school")
    >>> doc.paragraphs[0].text, doc.paragraphs[0].style.name
    ('{{ school }}', 'Title')
    """
    from docx import Document

    from ..._checks import check_option

    check_option("kind", kind, tuple(TEMPLATES))
    doc = Document()
    _styles(doc)
    doc.core_properties.title = "Аналитическая справка" if kind == "municipality" else "Отчёт школы"
    doc.core_properties.author = "edu_quality"
    doc.core_properties.language = "ru-RU"
    doc.core_properties.created = doc.core_properties.modified = datetime.datetime(2024, 9, 1)
    doc.core_properties.revision = 1
    lines = _SPRAVKA if kind == "municipality" else _SCHOOL
    for style, text in lines:
        if style == "TOC":
            _toc(doc)
        elif style is None:
            doc.add_paragraph(text)
        elif style == "Strong" and doc.styles["Strong"].type != 1:  # a character style
            doc.add_paragraph().add_run(text, style="Strong")
        else:
            doc.add_paragraph(text, style=style)
    return doc


def template_path(kind: str) -> Path:
    """The package's template of ``kind`` (:data:`TEMPLATES`)."""
    from ..._checks import check_option

    check_option("kind", kind, tuple(TEMPLATES))
    return TEMPLATE_DIR / TEMPLATES[kind]


def write_templates(folder: str | Path = TEMPLATE_DIR) -> list[Path]:
    """Write the package's templates into ``folder``; return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for kind, name in TEMPLATES.items():
        path = folder / name
        build_template(kind).save(str(path))
        out.append(path)
    return out

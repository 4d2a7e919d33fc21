"""Render a Word document from a template with docxtpl: tables, a chart, strict tags.

The context of :mod:`edu_quality.report.word.context` is plain data; here its
:class:`~edu_quality.report.word.context.Table` values become real Word tables
(a header row repeated on every page, numbers right-aligned) inserted as
XML fragments, and its :class:`~edu_quality.report.word.context.Chart` a PNG
picture (matplotlib, :func:`edu_quality.plots.plot_school_vs_reference`).
Jinja runs with ``StrictUndefined``: a tag the context does not have, or
broken syntax, is a one-line Russian error naming the tag and its paragraph,
and no file is written (the document goes to a temporary file in the target
folder and is renamed at the end).
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

from ..._rows import iter_rows
from ...errors import EduQualityError
from .context import Chart, Table

__all__ = ["TemplateError", "check_template", "render_context"]

#: Width of the chart in the page, millimetres (A4 with 2 cm margins leaves 170 mm).
CHART_WIDTH_MM = 160


class TemplateError(EduQualityError):
    """A Word template that cannot be rendered: an unknown tag or broken syntax."""


def _cell_text(cell, text: str, *, bold: bool = False, right: bool = False) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    par = cell.paragraphs[0]
    run = par.add_run(text)
    run.bold = bold
    if right:
        par.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _borders(table) -> None:
    """Single borders set on the table itself: they show in any template's styles."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        for k, v in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0"), ("w:color", "808080")):
            el.set(qn(k), v)
        borders.append(el)
    table._tbl.tblPr.append(borders)


def _header_row(row) -> None:
    """Mark ``row`` as the table's header (repeated on every page), shaded."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    head = OxmlElement("w:tblHeader")
    head.set(qn("w:val"), "true")
    tr_pr.append(head)
    for cell in row.cells:
        shade = OxmlElement("w:shd")
        for k, v in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "E8EEF6")):
            shade.set(qn(k), v)
        cell._tc.get_or_add_tcPr().append(shade)


def table_xml(table: Table, scratch=None):
    """``table`` as the XML of a Word table, ready for a ``{{p name }}`` tag.

    Made in ``scratch`` (a python-docx Document; a new one by default) and
    taken out of it: borders, shading and bold are set on the table itself,
    so it needs no style of the template.
    """
    from docx import Document
    from markupsafe import Markup

    doc = scratch if scratch is not None else Document()
    frame = table.frame
    word = doc.add_table(rows=1, cols=len(frame.columns))
    _borders(word)
    numeric = set(table.numeric)
    for cell, col in zip(word.rows[0].cells, frame.columns, strict=True):
        _cell_text(cell, str(col), bold=True, right=col in numeric)
    _header_row(word.rows[0])
    for rec in iter_rows(frame):
        cells = word.add_row().cells
        for cell, col, value in zip(cells, frame.columns, rec, strict=True):
            text = "" if value is None or value != value else str(value)  # NaN → empty
            _cell_text(cell, text, right=col in numeric)
    xml = word._tbl.xml
    word._tbl.getparent().remove(word._tbl)
    # the namespaces are declared on the document's root: drop them from the fragment
    return Markup(re.sub(r' xmlns:\w+="[^"]*"', "", xml))


def chart_png(chart: Chart) -> bytes:
    """The chart of ``chart`` as PNG bytes (texts drawn as given, never as formulas)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    from matplotlib.text import Text

    from ...plots import plot_school_vs_reference

    t = chart.table
    if chart.kind == "far_works":
        fig, ax = plt.subplots(figsize=(7, 3.6))
        rows = pd.concat(
            [
                pd.DataFrame(
                    {
                        "unit": "Школа",
                        "work": t["label"],
                        "share_2": t["school"],
                        "share_2_low": t["low"],
                        "share_2_high": t["high"],
                    }
                ),
                pd.DataFrame(
                    {
                        "unit": "Регион",
                        "work": t["label"],
                        "share_2": t["region"],
                        "share_2_low": t["region"],
                        "share_2_high": t["region"],
                    }
                ),
            ],
            ignore_index=True,
        )
        rows["work"] = rows["work"].str.replace(", ", "\n", n=1, regex=False)
        plot_school_vs_reference(rows, "share_2", category="work", ax=ax)
    else:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(t)))
        labels = [_wrap(str(x)) for x in t["label"]][::-1]
        ax.barh(labels, list(t["count"])[::-1], color="#3b6ea5")
        ax.set_xlabel("Школ")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3, axis="x")
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _wrap(text: str, width: int = 50) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _word_values(tpl, value, scratch):
    """``value`` with its tables and charts made Word objects (recursively)."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    if isinstance(value, Table):
        return table_xml(value, scratch)
    if isinstance(value, Chart):
        return InlineImage(tpl, io.BytesIO(chart_png(value)), width=Mm(CHART_WIDTH_MM))
    if isinstance(value, dict):
        return {k: _word_values(tpl, v, scratch) for k, v in value.items()}
    if isinstance(value, list):
        return [_word_values(tpl, v, scratch) for v in value]
    return "" if value is None else value


def _paragraphs(path: Path) -> list[str]:
    """The texts of a document's paragraphs (body, tables included), in order."""
    from docx import Document
    from docx.oxml.ns import qn

    body = Document(str(path)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def _where(path: Path, needle: str) -> str:
    for i, text in enumerate(_paragraphs(path), 1):
        if needle in text:
            shown = text if len(text) <= 80 else text[:79] + "…"
            return f" (абзац {i}: «{shown}»)"
    return ""


_UNDEFINED = re.compile(
    r"'(?:[^']*)' (?:object )?has no attribute '([^']+)'|'([^']+)' is undefined"
)


def _template_error(path: Path, exc: Exception) -> TemplateError:
    import jinja2

    name = Path(path).name
    if isinstance(exc, jinja2.UndefinedError):
        m = _UNDEFINED.search(str(exc))
        tag = (m.group(1) or m.group(2)) if m else str(exc)
        return TemplateError(f"шаблон {name}: неизвестное поле «{tag}»{_where(path, tag)}")
    lines = [ln.strip() for ln in getattr(exc, "docx_context", []) or []]
    around = lines[3] if len(lines) > 3 else next((ln for ln in lines if ln), "")
    where = f" в абзаце «{around[:80]}»" if around else _unbalanced(path, exc)
    return TemplateError(f"шаблон {name}: ошибка в записи тегов{where}: {_in_russian(exc)}")


def _unbalanced(path: Path, exc: Exception) -> str:
    """The paragraph of an unknown filter, else the first one whose braces do not pair up."""
    m = _NO_FILTER.search(str(getattr(exc, "message", None) or exc))
    if m:
        return _where(path, m.group(2))
    for i, text in enumerate(_paragraphs(path), 1):
        if text.count("{{") != text.count("}}") or text.count("{%") != text.count("%}"):
            shown = text if len(text) <= 80 else text[:79] + "…"
            return f" (абзац {i}: «{shown}»)"
    return ""


#: What a failed expression in a tag did, by its Python exception.
_FAILED = {
    "ZeroDivisionError": "деление на ноль",
    "TypeError": "действие над значениями неподходящего вида",
    "ValueError": "неподходящее значение",
    "OverflowError": "слишком большое число",
    "IndexError": "нет элемента с таким номером",
    "KeyError": "нет элемента с таким ключом",
    "AttributeError": "у значения нет такого свойства",
}
_NO_FILTER = re.compile(r"No (filter|test) named '([^']+)'")


def _in_russian(exc: Exception) -> str:
    """What is wrong with a tag, in words a template's author acts on (Jinja speaks English)."""
    message = str(getattr(exc, "message", None) or exc)
    m = _NO_FILTER.search(message)
    if m:
        if m.group(1) == "filter":
            return f"неизвестный фильтр «{m.group(2)}» после «|»"
        return f"неизвестная проверка «{m.group(2)}» после «is»"
    if "unexpected end of template" in message or "expected token 'end of print" in message:
        return "тег не закрыт: у каждого «{{» нужна пара «}}», у «{%» — «%}»"
    if "Encountered unknown tag" in message or "end of" in message:
        return "блок не закрыт или неизвестен: у каждого {% if %} и {% for %} нужен {% endif %}, {% endfor %}"
    return "запись тега не разобрана: сверьте скобки «{{ }}» и «{% %}» и слова внутри"


def _open(template: Path):
    """The docxtpl template of ``template`` and its Jinja environment (strict, escaping)."""
    import zipfile

    import jinja2
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    if not template.is_file():
        raise TemplateError(f"шаблон {template.name}: файл не найден ({template})")
    try:
        tpl = DocxTemplate(str(template))
        tpl.init_docx()
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, PackageNotFoundError):
        raise TemplateError(f"шаблон {template.name}: не документ Word (.docx)") from None
    return tpl, jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)


def check_template(template: str | Path) -> None:
    """Refuse a template that is no Word document or whose tags break Jinja's syntax.

    Unknown fields are found when the context is known (:func:`render_context`).

    Raises
    ------
    TemplateError
    """
    import jinja2

    template = Path(template)
    tpl, env = _open(template)
    try:
        tpl.get_undeclared_template_variables(env)
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from None


def render_context(context: dict, template: str | Path, out: str | Path) -> Path:
    """Render ``context`` into ``template`` and write the document ``out`` atomically.

    Raises
    ------
    TemplateError
        A tag the context does not have, or broken tag syntax (nothing is written).
    """
    import jinja2
    from docx import Document

    template, out = Path(template), Path(out)
    tpl, env = _open(template)
    try:
        unknown = sorted(tpl.get_undeclared_template_variables(env, context))
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from None
    if unknown:
        raise TemplateError(
            f"шаблон {template.name}: неизвестное поле «{unknown[0]}»{_where(template, unknown[0])}"
        )
    values = _word_values(tpl, context, Document())
    try:
        tpl.render(values, env)
    except jinja2.TemplateError as exc:
        raise _template_error(template, exc) from None
    except Exception as exc:  # noqa: BLE001 (an expression the template's author wrote)
        raise TemplateError(
            f"шаблон {template.name}: выражение в теге не вычисляется "
            f"({_FAILED.get(type(exc).__name__, 'ошибка вычисления')}): проверьте теги с "
            "расчётами — в шаблоне оставьте только поля, посчитанные программой"
        ) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".docx", dir=out.parent)
    os.close(fd)
    try:
        tpl.save(tmp)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(out)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out

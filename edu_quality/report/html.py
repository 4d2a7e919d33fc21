"""HTML of a report: an executed notebook exported by nbconvert, without code.

The ``edu_report`` template (in the package's ``templates/``), one reused
exporter: no input cells, no prompts, no scripts or CDN links, images
embedded — the page opens offline on its own.
"""

from __future__ import annotations

import functools
import threading
from datetime import datetime
from pathlib import Path

from .render import CSS

__all__ = [
    "export_html",
    "export_resources",
    "prepare_exporter",
    "report_exporter",
    "report_exporter_class",
]

_EXPORTER = None
_EXPORT_LOCK = threading.Lock()


@functools.cache
def report_exporter_class() -> type:
    """Nbconvert's :class:`~nbconvert.exporters.HTMLExporter` without its final HTML re-parse.

    ``HTMLExporter.from_notebook_node`` renders the template, then parses the
    page with BeautifulSoup to add ``alt`` to images that lack it and
    ``tabindex`` to the ``jp-`` cells of the JupyterLab template, and
    serialises it again: 80 % of the export time (≈0.04 s of a ≈0.05 s
    report), in the batch process that shares the CPU with the kernels. The
    ``edu_report`` template has no ``jp-`` cells and every figure of a report
    has its ``alt``, so for our pages the pass changes nothing but the
    serialisation; this class renders the same template with the same filters
    and skips it. ``tests/test_report.py`` checks that the two give the same
    document.
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class ReportExporter(HTMLExporter):
        """HTML of a report notebook: the template's output as it is rendered."""

        def from_notebook_node(self, nb, resources=None, **kw):
            """Render ``nb`` (what ``HTMLExporter`` does, less the BeautifulSoup pass)."""
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            resources = self._init_resources(resources)
            self.register_filter(
                "highlight_code",
                self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
                ),
            )
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return ReportExporter


def report_exporter(cls: type | None = None):
    """The exporter of report pages: the ``edu_report`` template, no input, no prompts.

    ``cls`` is the exporter class (:func:`report_exporter_class` by default).
    """
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = (cls or report_exporter_class())(
        template_name="edu_report",
        extra_template_basedirs=[str(Path(__file__).resolve().parents[1] / "templates")],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
        # the notebook is validated once, after all preprocessors, not after each of them
        # (nbconvert's own option; half of the export time otherwise)
        optimistic_validation=True,
    )
    # cells tagged «remove» (notes for people exploring the notebook) stay out of reports
    exporter.register_preprocessor(
        TagRemovePreprocessor(remove_cell_tags={"remove"}, enabled=True), enabled=True
    )
    exporter.register_preprocessor(_without_stderr, enabled=True)
    return exporter


def _without_stderr(nb, resources):
    """The notebook without what its cells wrote to standard error (a preprocessor).

    A warning a computation raises (e.g. a factor that does not vary) is Python's
    text with the path of the code: it stays in the executed notebook kept for
    audit, never on the page a director reads.
    """
    for cell in nb.cells:
        outputs = cell.get("outputs")
        if outputs:
            cell.outputs = [
                o
                for o in outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    return nb, resources


def export_resources(title: str = "") -> dict:
    """The resources a report page is rendered with: title, style sheet, footer."""
    return {
        "metadata": {"name": title or "Отчёт"},
        "edu_css": CSS,
        "edu_footer": f"edu_quality · {datetime.now():%d.%m.%Y %H:%M}",
    }


def prepare_exporter() -> None:
    """Build the exporter of :func:`export_html` now, and compile its templates.

    Importing nbconvert and compiling the page's Jinja templates take ≈1 s:
    a command that makes one report does it while its kernel works (an empty
    notebook is rendered once; the page of a report does not depend on it).
    """
    global _EXPORTER
    with _EXPORT_LOCK:
        if _EXPORTER is None:
            import nbformat

            _EXPORTER = report_exporter()
            _EXPORTER.from_notebook_node(nbformat.v4.new_notebook(), resources=export_resources())


def export_html(notebook, *, title: str = "") -> str:
    """Export an executed notebook to a self-contained HTML page without code.

    One exporter (:func:`report_exporter`) is built per process and reused (by
    one thread at a time).
    """
    prepare_exporter()
    with _EXPORT_LOCK:
        body, _ = _EXPORTER.from_notebook_node(notebook, resources=export_resources(title))
    return body

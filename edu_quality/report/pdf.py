"""PDF of report pages: the same HTML printed on A4 by a headless browser.

A report page already carries its print style sheet (``@page`` A4 and
``@media print`` in :data:`~edu_quality.report.render.CSS`: tables keep their
rows whole, headings stay with what follows). The PDF adds a running header —
the report's title, which names the school or municipality — and «стр. N из M»
at the foot of each page (:func:`pdf_css`). Text stays text (searchable,
copyable), figures are the page's embedded PNG, fonts are embedded.

Two engines print the page:

* ``chromium`` (the default): a headless Chromium, Chrome or Microsoft Edge —
  Edge comes with Windows, so a methodologist installs nothing — driven over
  the DevTools protocol (:class:`~edu_quality.report.browser.Browser`,
  ``Page.printToPDF``); one browser prints a whole folder;
* ``weasyprint``: the WeasyPrint library, if installed (on Windows it needs
  the GTK/Pango libraries); used by ``auto`` when no browser is found.

Nothing is fetched from the network: the browser resolves no host name and
blocks every ``http(s)`` request; WeasyPrint is given a fetcher that allows
``file:`` and ``data:`` only.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .._files import atomic_write
from ..errors import EduQualityError
from .browser import BROWSER_ENV, Browser, find_browser
from .manifest import read_manifest

__all__ = [
    "ENGINES",
    "FolderPdfs",
    "PdfUnavailable",
    "html_to_pdf",
    "pdf_css",
    "pdf_engine",
    "pdf_for_folder",
    "report_pages",
]

#: The engines :func:`html_to_pdf` knows; ``auto`` is a browser, else WeasyPrint.
ENGINES = ("auto", "chromium", "weasyprint")
#: A4 in inches (what ``Page.printToPDF`` takes; the page's ``@page`` says the same).
_A4_INCHES = (8.27, 11.69)
_TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)

_NO_BROWSER = (
    "не найден браузер для PDF: Chromium, Google Chrome или Microsoft Edge (в Windows Edge "
    "установлен вместе с системой; в Debian и Ubuntu: sudo apt install chromium); путь к "
    f"браузеру можно указать в переменной окружения {BROWSER_ENV}"
)
_NO_WEASYPRINT = (
    "не установлен WeasyPrint (pip install weasyprint; в Windows ему нужны ещё библиотеки "
    "GTK/Pango)"
)


class PdfUnavailable(EduQualityError):
    """No engine can print a PDF here (the message says what to install, in Russian)."""


def pdf_css(title: str) -> str:
    r"""The style sheet a PDF adds to the page: the title as a running header, «стр. N из M».

    CSS page-margin boxes (``@top-left``, ``@bottom-right``), which both
    Chromium (since version 131) and WeasyPrint print.

    Examples
    --------
    >>> css = pdf_css('Школа "№ 5"')
    >>> '"Школа \\"№ 5\\""' in css and '"стр. " counter(page) " из " counter(pages)' in css
    True
    """
    text = " ".join(title.split()).replace("\\", "\\\\").replace('"', '\\"')
    box = 'font-family:"DejaVu Sans",Arial,sans-serif;font-size:8.5pt;color:#666'
    return (
        f'@page{{@top-left{{content:"{text}";{box};vertical-align:bottom;'
        f"padding-bottom:3mm}}"
        f'@bottom-right{{content:"стр. " counter(page) " из " counter(pages);{box}}}}}'
    )


def page_title(html_path: Path) -> str:
    """The ``<title>`` of a report page (its school or municipality), or the file's stem."""
    head = Path(html_path).read_text(encoding="utf-8", errors="replace")[:4000]
    match = _TITLE.search(head)
    return html.unescape(match.group(1)).strip() if match else Path(html_path).stem


def pdf_engine(engine: str = "auto") -> str:
    """The engine that will print: ``chromium`` or ``weasyprint``.

    ``auto`` takes a browser when one is found (:func:`~edu_quality.report.browser.find_browser`),
    else WeasyPrint when it is installed.

    Raises
    ------
    PdfUnavailable
        The engine asked for (or, for ``auto``, either) is not there; the
        message says what to install.
    ValueError
        ``engine`` is not one of :data:`ENGINES`.

    Examples
    --------
    >>> pdf_engine("ни один")
    Traceback (most recent call last):
    ...
    ValueError: Параметр `engine` должен быть одним из ['auto', 'chromium', 'weasyprint'], передано 'ни один'
    """
    from .._checks import check_option

    check_option("engine", engine, ENGINES)
    browser = engine in ("auto", "chromium") and find_browser() is not None and _has_websocket()
    if browser:
        return "chromium"
    if engine in ("auto", "weasyprint") and _has_weasyprint():
        return "weasyprint"
    no_browser = _NO_BROWSER if find_browser() is None else _NO_WEBSOCKET
    if engine == "chromium":
        raise PdfUnavailable(no_browser)
    if engine == "weasyprint":
        raise PdfUnavailable(_NO_WEASYPRINT)
    raise PdfUnavailable(f"{no_browser}; или {_NO_WEASYPRINT}")


_NO_WEBSOCKET = "не установлен пакет websocket-client (pip install websocket-client)"


def _has_websocket() -> bool:
    try:
        import websocket  # noqa: F401
    except ImportError:
        return False
    return True


def _has_weasyprint() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there, Pango is not
        return False
    return True


class _Printer:
    """Prints pages with one engine; a browser stays open for all of them."""

    def __init__(self, engine: str, workdir: Path):
        self.engine = engine
        self.workdir = workdir
        self.browser: Browser | None = None

    def print(self, html_path: Path, pdf_path: Path, title: str) -> None:
        css = pdf_css(title)
        if self.engine == "chromium":
            data = self._chromium(html_path, css)
            atomic_write(pdf_path, data, suffix=".tmp")
        else:
            atomic_write(pdf_path, lambda tmp: _weasyprint(html_path, tmp, css))

    def _chromium(self, html_path: Path, css: str) -> bytes:
        if self.browser is None:
            executable = find_browser()
            if executable is None:
                raise PdfUnavailable(_NO_BROWSER)
            self.browser = Browser(executable, self.workdir / "profile")
        b = self.browser
        b.open(html_path)
        script = (
            "(() => {const s = document.createElement('style');"
            f"s.textContent = {json.dumps(css)}; document.head.appendChild(s);}})()"
        )
        b.call("Runtime.evaluate", expression=script)
        result = b.call(
            "Page.printToPDF",
            paperWidth=_A4_INCHES[0],
            paperHeight=_A4_INCHES[1],
            preferCSSPageSize=True,
            printBackground=True,
            displayHeaderFooter=False,
        )
        return base64.b64decode(result["data"])

    def close(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self.browser = None


def _weasyprint(html_path: Path, target: Path, css: str) -> None:
    import weasyprint

    if hasattr(weasyprint.urls, "URLFetcher"):  # WeasyPrint 68 and later
        fetcher = weasyprint.urls.URLFetcher(allowed_protocols={"file", "data"})
    else:  # pragma: no cover - older WeasyPrint

        def fetcher(url, *args, **kwargs):
            if not url.startswith(("file:", "data:")):
                raise ValueError(f"сеть недоступна: {url[:80]}")
            return weasyprint.default_url_fetcher(url, *args, **kwargs)

    # the header goes after the page's own style sheet (a user style sheet would lose to it)
    page = html_path.read_text(encoding="utf-8")
    at = page.lower().rfind("</head>")
    page = (
        f"{page[:at]}<style>{css}</style>{page[at:]}" if at >= 0 else f"<style>{css}</style>{page}"
    )
    logger = logging.getLogger("weasyprint")
    level = logger.level
    # unsupported CSS properties and the refused addresses are reported one by one
    logger.setLevel(logging.CRITICAL)
    try:
        weasyprint.HTML(
            string=page,
            base_url=str(html_path.resolve()),
            url_fetcher=fetcher,
            media_type="print",
        ).write_pdf(str(target))
    finally:
        logger.setLevel(level)


@contextmanager
def _printer(engine: str) -> Iterator[_Printer]:
    resolved = pdf_engine(engine)
    with tempfile.TemporaryDirectory(prefix="edu-quality-pdf-") as work:
        printer = _Printer(resolved, Path(work))
        try:
            yield printer
        finally:
            printer.close()


def html_to_pdf(
    html_path: str | Path,
    pdf_path: str | Path | None = None,
    *,
    title: str | None = None,
    engine: str = "auto",
) -> Path:
    """Print one report page to an A4 PDF (written atomically).

    Parameters
    ----------
    html_path : str or Path
        The report page.
    pdf_path : str or Path, optional
        Where to write; by default next to the page, ``.pdf`` for ``.html``.
    title : str, optional
        The running header; by default the page's ``<title>``.
    engine : {"auto", "chromium", "weasyprint"}
        What prints (:func:`pdf_engine`).

    Returns
    -------
    Path
        The PDF.

    Raises
    ------
    PdfUnavailable
        No engine (the message says what to install).
    BrowserError
        The browser did not start or did not answer.

    Examples
    --------
    >>> from edu_quality.report import page, Section
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "school_1.html").write_text(page("Школа № 1", [Section("Итоги")]))
    >>> html_to_pdf(folder / "school_1.html").name  # doctest: +SKIP
    'school_1.pdf'
    """
    html_path = Path(html_path)
    target = Path(pdf_path) if pdf_path is not None else html_path.with_suffix(".pdf")
    with _printer(engine) as printer:
        printer.print(html_path, target, title if title is not None else page_title(html_path))
    return target


@dataclass
class FolderPdfs:
    """What :func:`pdf_for_folder` did: PDFs written and PDFs already up to date."""

    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    engine: str = ""

    @property
    def pdfs(self) -> list[Path]:
        """Every report page's PDF, in order of the pages."""
        return sorted([*self.written, *self.skipped])


def report_pages(out_dir: str | Path) -> list[Path]:
    """The report pages of an output folder.

    The pages ``manifest.json`` lists as built, when the folder has one (a
    batch); else every ``.html`` but ``index.html`` and hidden files.
    """
    out_dir = Path(out_dir)
    entries = read_manifest(out_dir / "manifest.json")
    if entries:
        pages: Iterable[Path] = (
            out_dir / f"{name}.html" for name, e in entries.items() if e.get("status") == "ok"
        )
    else:
        pages = (p for p in out_dir.glob("*.html") if p.name != "index.html" and p.name[0] != ".")
    return sorted(p for p in pages if p.is_file())


def pdf_for_folder(out_dir: str | Path, *, engine: str = "auto", force: bool = False) -> FolderPdfs:
    """Write a PDF next to every report page of a folder (``school_5.html`` → ``school_5.pdf``).

    A PDF newer than its page is kept (``force``: all are printed again);
    each is written atomically, by one browser for the whole folder.

    Parameters
    ----------
    out_dir : str or Path
        A folder of report pages (a batch's or one report's ``--out``).
    engine : {"auto", "chromium", "weasyprint"}
        What prints (:func:`pdf_engine`).
    force : bool
        Print every page again.

    Returns
    -------
    FolderPdfs
        The PDFs written and those that were up to date.

    Raises
    ------
    PdfUnavailable
        A page needs printing and no engine is there.

    Examples
    --------
    >>> import tempfile
    >>> pdf_for_folder(tempfile.mkdtemp()).pdfs
    []
    """
    result = FolderPdfs()
    todo = []
    for page in report_pages(out_dir):
        pdf = page.with_suffix(".pdf")
        if not force and pdf.is_file() and pdf.stat().st_mtime_ns >= page.stat().st_mtime_ns:
            result.skipped.append(pdf)
        else:
            todo.append((page, pdf))
    if not todo:
        return result
    with _printer(engine) as printer:
        result.engine = printer.engine
        for page, pdf in todo:
            printer.print(page, pdf, page_title(page))
            result.written.append(pdf)
    return result

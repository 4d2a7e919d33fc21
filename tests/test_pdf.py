"""PDF of report pages: A4, the title as a running header, «стр. N из M», text kept as text.

The rendering tests print with each engine that is installed (Chromium, Chrome
or Edge; WeasyPrint) and read the PDF back with poppler (``pdfinfo``,
``pdftotext``, ``pdfimages``); they are skipped, with the reason, when the
engine or poppler is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time

import matplotlib
import pandas as pd
import pytest
from _helpers import SAMPLES

from edu_quality.cli import main
from edu_quality.report import page
from edu_quality.report.browser import BROWSER_ENV, find_browser
from edu_quality.report.pdf import (
    PdfUnavailable,
    html_to_pdf,
    page_title,
    pdf_css,
    pdf_engine,
    pdf_for_folder,
    report_pages,
)
from edu_quality.report.render import Section

matplotlib.use("Agg")

SCHOOL = "01016"
YEAR = 2024
A4 = (595.0, 842.0)
POPPLER = all(shutil.which(t) for t in ("pdfinfo", "pdftotext", "pdfimages"))


def _weasyprint_ok() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


ENGINES = [
    pytest.param(
        "chromium",
        marks=pytest.mark.skipif(find_browser() is None, reason="нет Chromium, Chrome или Edge"),
    ),
    pytest.param(
        "weasyprint", marks=pytest.mark.skipif(not _weasyprint_ok(), reason="нет WeasyPrint")
    ),
]
needs_poppler = pytest.mark.skipif(not POPPLER, reason="нет poppler-utils (pdfinfo, pdftotext)")


def pdf_pages(pdf) -> list[tuple[float, float]]:
    """Width and height of every page, in points (pdfinfo)."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    n = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    sizes = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", str(n), str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    found = re.findall(r"^Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", sizes, re.M)
    assert len(found) == n
    return [(float(w), float(h)) for w, h in found]


def pdf_text(pdf) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def pdf_images(pdf) -> int:
    out = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    return len(out.splitlines()) - 2  # two header lines


def small_page(title: str, *, network: bool = False) -> str:
    import matplotlib.pyplot as plt

    sec = Section("Итоги", "Доля «2» по работам.")
    sec.table(
        pd.DataFrame({"Работа": ["ВПР, Математика, 5 кл."], "Доля «2»": ["62,5\u00a0%"]}),
        numeric=["Доля «2»"],
    )
    fig, ax = plt.subplots(figsize=(4, 2))
    ax.bar(["2022", "2023"], [0.2, 0.3])
    sec.figure(fig)
    html = page(title, [sec])
    if network:  # an address that never answers and a name that would need DNS
        html = html.replace(
            "</main>",
            '<img src="http://10.255.255.1/x.png" alt="">'
            '<img src="https://example.com/logo.png" alt="">'
            '<link rel="stylesheet" href="https://example.com/a.css"></main>',
        )
    return html


# ------------------------------------------------------------------ no engine needed


def test_css_header_and_page_numbers():
    css = pdf_css('МБОУ «СОШ № 5» "Ромашка" \\ 2')
    assert '"стр. " counter(page) " из " counter(pages)' in css
    assert '\\"Ромашка\\"' in css and "\\\\ 2" in css  # quotes and backslashes escaped
    assert "@top-left" in css and "@bottom-right" in css


def test_page_title_and_pages_of_a_folder(tmp_path):
    (tmp_path / "school_1.html").write_text(page("Школа &lt;1&gt;", []), encoding="utf-8")
    (tmp_path / "index.html").write_text(page("Оглавление", []), encoding="utf-8")
    (tmp_path / ".school_2.html.abcdefgh.tmp").write_text("x")
    assert page_title(tmp_path / "school_1.html") == "Школа &lt;1&gt;"  # escaped once by page()
    assert [p.name for p in report_pages(tmp_path)] == ["school_1.html"]


def test_pages_of_a_batch_come_from_its_manifest(tmp_path):
    import json

    for name in ("school_1", "school_2", "school_3"):
        (tmp_path / f"{name}.html").write_text(page(name, []), encoding="utf-8")
    entry = {"kind": "school", "title": "Школа", "parameters": {}, "key": "k"}
    doc = {
        "year": 2024,
        "reports": {
            "school_1": {**entry, "status": "ok"},
            "school_2": {**entry, "status": "failed", "error": "ошибка"},
            "school_4": {**entry, "status": "ok"},  # its page is missing
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(doc), encoding="utf-8")
    assert [p.name for p in report_pages(tmp_path)] == ["school_1.html"]


def _no_engines(monkeypatch):
    monkeypatch.setenv(BROWSER_ENV, "/нет/такого/браузера")
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # «import weasyprint» → ImportError


def test_no_engine_is_one_russian_message(monkeypatch, tmp_path):
    _no_engines(monkeypatch)
    with pytest.raises(PdfUnavailable, match="не найден браузер для PDF.*Edge.*WeasyPrint"):
        pdf_engine()
    with pytest.raises(PdfUnavailable, match="не установлен WeasyPrint"):
        pdf_engine("weasyprint")
    with pytest.raises(ValueError, match="engine"):
        pdf_engine("pdflatex")
    (tmp_path / "school_1.html").write_text(page("Школа", []), encoding="utf-8")
    with pytest.raises(PdfUnavailable):
        pdf_for_folder(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["school_1.html"]  # nothing half-made


def test_up_to_date_pdfs_need_no_engine(monkeypatch, tmp_path):
    _no_engines(monkeypatch)
    html = tmp_path / "school_1.html"
    html.write_text(page("Школа", []), encoding="utf-8")
    pdf = tmp_path / "school_1.pdf"
    pdf.write_bytes(b"%PDF-1.7 old")
    later = html.stat().st_mtime + 5
    os.utime(pdf, (later, later))
    done = pdf_for_folder(tmp_path)
    assert done.skipped == [pdf] and done.written == [] and done.pdfs == [pdf]
    assert pdf.read_bytes() == b"%PDF-1.7 old"


def test_report_commands_offer_pdf(capsys):
    for kind in ("school", "municipality", "batch"):
        assert main(["report", kind, "--help"]) == 0
        assert "--pdf" in capsys.readouterr().out


# ------------------------------------------------------------------ rendering


@pytest.mark.slow
@needs_poppler
@pytest.mark.parametrize("engine", ENGINES)
def test_small_page_is_a4_text_with_header_and_image(engine, tmp_path):
    title = "МБОУ «Заречная СОШ № 2»: отчёт школы"
    html = tmp_path / "school_2.html"
    html.write_text(small_page(title, network=True), encoding="utf-8")
    started = time.monotonic()
    pdf = html_to_pdf(html, engine=engine)
    assert time.monotonic() - started < 30  # the addresses in the network were not waited for
    assert pdf == tmp_path / "school_2.pdf"
    sizes = pdf_pages(pdf)
    assert len(sizes) == 1
    assert all(abs(w - A4[0]) <= 1 and abs(h - A4[1]) <= 1 for w, h in sizes)
    text = pdf_text(pdf)
    assert "МБОУ «Заречная СОШ № 2»" in text  # Cyrillic and quotes extractable
    assert "ВПР, Математика, 5 кл." in text
    assert re.search(r"\d,\d\s*%", text)  # decimal comma, then «%»
    assert "стр. 1 из 1" in text
    assert pdf_images(pdf) >= 1  # the figure is embedded
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.fixture(scope="module")
def school_folder(tmp_path_factory):
    from edu_quality.report import report_data
    from edu_quality.report import sections as s

    folder = tmp_path_factory.mktemp("pdf-school")
    data = report_data(SAMPLES / "region", YEAR)
    html = page(data.names[SCHOOL], s.school_report(data, SCHOOL))
    (folder / f"school_{SCHOOL}.html").write_text(html, encoding="utf-8")
    return folder, data.names[SCHOOL]


@pytest.mark.slow
@needs_poppler
@pytest.mark.parametrize("engine", ENGINES)
def test_school_report_pdf(engine, school_folder, tmp_path):
    folder, name = school_folder
    work = tmp_path / "out"
    shutil.copytree(folder, work)
    done = pdf_for_folder(work, engine=engine)
    assert done.engine == engine and done.written == [work / f"school_{SCHOOL}.pdf"]
    pdf = done.written[0]
    sizes = pdf_pages(pdf)
    assert 3 <= len(sizes) <= 30
    # no page wider than A4 (a wide table would make a wider page in some engines)
    assert all(w <= A4[0] + 1 and abs(h - A4[1]) <= 1 for w, h in sizes)
    text = pdf_text(pdf)
    assert text.count(name) >= len(sizes)  # the running header on every page, and the title
    assert f"стр. {len(sizes)} из {len(sizes)}" in text
    assert re.search(r"\d,\d\s*%", text)
    assert pdf_images(pdf) >= 1
    # a second run keeps the PDF; force prints it again
    assert pdf_for_folder(work, engine=engine).skipped == [pdf]
    assert pdf_for_folder(work, engine=engine, force=True).written == [pdf]


@pytest.mark.slow
def test_report_without_engine_is_one_line_after_the_html(monkeypatch, tmp_path, capsys):
    _no_engines(monkeypatch)
    code = main(
        [
            "report", "school", "--data", str(SAMPLES / "region"), "--school", SCHOOL,
            "--year", str(YEAR), "--out", str(tmp_path), "--no-notebooks", "--pdf",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert f"Отчёт: {tmp_path / f'school_{SCHOOL}.html'}" in out
    assert err.startswith("edu-quality: ошибка: не найден браузер для PDF")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"school_{SCHOOL}.html"]


@pytest.mark.slow
@pytest.mark.skipif(find_browser() is None, reason="нет Chromium, Chrome или Edge")
def test_browser_blocks_every_network_request(tmp_path):
    from edu_quality.report.browser import Browser

    html = tmp_path / "p.html"
    html.write_text(
        '<html><body>текст<img src="http://10.255.255.1/x.png">'
        '<img src="https://example.com/a.png">'
        '<script>fetch("http://10.255.255.1/y")</script></body></html>',
        encoding="utf-8",
    )
    with Browser(find_browser(), tmp_path / "profile", timeout=20) as b:
        started = time.monotonic()
        b.open(html)
        assert time.monotonic() - started < 10

        def network_and_failed():
            b.call("Runtime.evaluate", expression="1")  # collects the events that came meanwhile
            network = [u for u in b.requests() if not u.startswith("file:")]
            failed = [
                e["params"].get("blockedReason")
                for e in b.events
                if e["method"] == "Network.loadingFailed"
            ]
            return network, failed

        deadline = time.monotonic() + 5
        network, failed = network_and_failed()
        while (len(network) < 3 or len(failed) < len(network)) and time.monotonic() < deadline:
            time.sleep(0.1)
            network, failed = network_and_failed()
    assert len(network) == 3 and failed == ["inspector"] * 3

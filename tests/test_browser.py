"""Rendered reports opened in headless Chromium, as a director would open an attachment.

A school, a municipality and the region report of the synthetic region are
executed through papermill (the batch runner, in parallel) and each page is
loaded in Chromium from disk. The page must raise no console error or
exception, every image must load, nothing may be requested but the file itself
and ``data:`` URIs, there must be no ``<script>``, and every section of the
report must be there as a heading.

Chromium is driven over the Chrome DevTools Protocol with ``websocket-client``
(the protocol is JSON over one websocket; ``--remote-debugging-port=0`` makes
the browser choose a free port and write it into the profile folder). The
browser tests are skipped only when no Chromium executable is found; the page
checks that need no browser always run.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from _browser import Chromium, find_chromium
from _helpers import SAMPLES

from edu_quality.report import region as r
from edu_quality.report import report_data
from edu_quality.report import sections as s
from edu_quality.report.runner import Job, job_for, run_batch

pytestmark = pytest.mark.slow  # starts Chromium and kernels

YEAR = 2024
SCHOOL = "01016"  # planted stably-low school of the sample region
MUNICIPALITY = "Северный район"
KINDS = ("school", "municipality", "region")


class _Page(HTMLParser):
    """Tags with their attributes, and the text of h1/h2 headings."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.headings: dict[str, list[str]] = {"h1": [], "h2": []}
        self._in: str | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in self.headings:
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == self._in:
            self.headings[tag].append("".join(self._text).strip())
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """The three reports of the sample region, executed by the batch runner in parallel."""
    data_dir = (SAMPLES / "region").resolve()
    jobs = [
        job_for("school", data_dir, YEAR, school_id=SCHOOL),
        job_for("municipality", data_dir, YEAR, municipality=MUNICIPALITY),
        Job(
            "region",
            {"data_dir": str(data_dir), "year": YEAR},
            "region",
            "Регион: социальные факторы и выявление школ",
        ),
    ]
    out = tmp_path_factory.mktemp("reports")
    result = run_batch(
        data_dir, YEAR, out, jobs=3, progress=False, keep_notebooks=False, plan=lambda *_: jobs
    )
    assert result.ok, result.failed
    return {job.kind: out / f"{job.name}.html" for job in jobs}


@pytest.fixture(scope="module")
def expected_headings() -> dict[str, tuple[list[str], list[str]]]:
    """(h1, h2) of each report: the titles of the sections its notebook displays."""
    data = report_data(SAMPLES / "region", YEAR)
    out = {}
    for kind, sections in (
        ("school", s.school_report(data, SCHOOL)),
        ("municipality", s.municipality_report(data, MUNICIPALITY)),
        ("region", r.region_report(data)),
    ):
        out[kind] = (
            [x.title for x in sections if x.level == 1],
            [x.title for x in sections if x.level == 2 and x.title],
        )
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    executable = find_chromium()
    if executable is None:
        pytest.skip(
            "Chromium не найден; установите пакет chromium — `make test` делает это сам, "
            "когда запущен от root"
        )
    chromium = Chromium(executable, tmp_path_factory.mktemp("chromium-profile"))
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            chromium.call(f"{domain}.enable")
        yield chromium
    finally:
        chromium.close()


# ------------------------------------------------------------------ tests


@pytest.mark.parametrize("kind", KINDS)
def test_page_is_self_contained(rendered, expected_headings, kind):
    html = rendered[kind].read_text(encoding="utf-8")
    page = _Page(html)
    assert not [t for t, _ in page.tags if t in ("script", "link", "iframe", "object")]
    # every reference is embedded (data:) or inside the page (#…)
    refs = [a[k] for _, a in page.tags for k in ("src", "href") if a.get(k)]
    assert all(ref.startswith(("data:", "#")) for ref in refs), refs
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html)  # no fetched CSS resources
    h1, h2 = expected_headings[kind]
    assert page.headings["h1"] == h1
    assert page.headings["h2"] == h2  # every section, in order


def test_region_report_content(rendered):
    html = rendered["region"].read_text(encoding="utf-8")
    data = report_data(SAMPLES / "region", YEAR)
    # the planted resilient schools are listed (README of the sample region)
    for sid in ("02011", "02017", "02020"):
        assert data.names[sid] in html
    assert "Оценено по 44 школам" in html
    assert "приходится" in html and "разброса баллов" in html  # the multilevel section ran
    assert len(re.findall(r"<img [^>]*eq-figure", html)) == 3  # coefficients, index, effects
    assert "display(" not in html and "report_data(" not in html  # no code


@pytest.mark.parametrize("kind", KINDS)
def test_page_in_chromium(rendered, expected_headings, browser, kind):
    path = rendered[kind]
    seen = browser.open(path)
    assert browser.errors() == []
    requests = browser.requests()
    assert path.as_uri() in requests
    assert [u for u in requests if u != path.as_uri() and not u.startswith("data:")] == []
    assert seen["scripts"] == 0
    assert seen["images"], "в отчёте нет ни одного рисунка"
    assert all(i["complete"] and i["width"] > 0 for i in seen["images"]), seen["images"]
    assert all(i["src"].startswith("data:image/png;base64,") for i in seen["images"])
    h1, h2 = expected_headings[kind]
    assert seen["h1"] == h1 and seen["h2"] == h2
    assert seen["title"]


@pytest.mark.slow
def test_every_sample_page_fits_1280_px(browser, tmp_path):
    """No page of the sample region scrolls sideways in a 1 280 px window (a director's
    laptop): tables wrap, hidden cells included."""
    from edu_quality.report import page

    data = report_data(SAMPLES / "region", YEAR)
    # every table of every school page (the charts scale to the page: their sections are
    # drawn for the two schools of the full pages below, which keeps the test short)
    tables = (
        s.school_header,
        s.status_section,
        s.key_metrics_section,
        s.objectivity_section,
        s.contingent_section,
        s.risk_section,
        s.indicators_section,
    )
    pages = {f"school_{sid}": [f(data, sid) for f in tables] for sid in data.names}
    for sid in ("01003", SCHOOL):
        pages[f"school_{sid}"] = s.school_report(data, sid)
    for muni in sorted(data.dataset.schools["municipality"].dropna().unique()):
        pages[f"municipality_{muni}"] = s.municipality_report(data, muni)
    pages["region"] = r.region_report(data)
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=1280,
        height=800,
        deviceScaleFactor=1,
        mobile=False,
    )
    wide = {}
    for name, sections in pages.items():
        path = tmp_path / f"{len(wide)}_{abs(hash(name))}.html"
        path.write_text(page(name, sections), encoding="utf-8")
        browser.open(path)
        width = browser.call(
            "Runtime.evaluate",
            expression="document.documentElement.scrollWidth",
            returnByValue=True,
        )["result"]["value"]
        if width > 1280:
            wide[name] = width
    assert len(pages) > 44 and wide == {}


@pytest.mark.slow
def test_first_screen_above_the_fold(browser, tmp_path):
    """At 1 280 × 800 the status, the objectivity markers and «Что делать» (with its first
    measure) are on the first screen of a school report, before any scrolling."""
    from edu_quality.report import page

    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=1280,
        height=800,
        deviceScaleFactor=1,
        mobile=False,
    )
    expression = """JSON.stringify((() => {
        const top = e => e ? e.getBoundingClientRect().top + window.scrollY : null;
        const bottom = e => e ? e.getBoundingClientRect().bottom + window.scrollY : null;
        const h2 = Array.from(document.querySelectorAll('h2'));
        const todo = h2.find(h => h.textContent.trim() === 'Что делать');
        const item = todo ? todo.parentElement.querySelector('li') : null;
        return {status: bottom(document.querySelector('.eq-status')),
                markers: bottom(document.querySelector('h1 ~ .eq-warn')),
                todo: top(todo), measure: bottom(item)};
    })())"""
    cases = [("inta", 2022, "INT05"), ("region", YEAR, SCHOOL), ("region", YEAR, "01004")]
    seen = {}
    for folder, year, sid in cases:
        data = report_data(SAMPLES / folder, year)
        path = tmp_path / f"school_{sid}.html"
        path.write_text(page(data.names[sid], s.school_report(data, sid)), encoding="utf-8")
        browser.open(path)
        result = browser.call("Runtime.evaluate", expression=expression, returnByValue=True)
        seen[sid] = json.loads(result["result"]["value"])
    for sid, y in seen.items():
        assert y["status"] is not None and y["status"] < 800, (sid, y)
        assert y["todo"] is not None and y["measure"] is not None and y["measure"] < 800, (sid, y)
    assert seen["01004"]["markers"] is not None and seen["01004"]["markers"] < 800, seen
    assert seen[SCHOOL]["markers"] is None  # no marker: no box


@pytest.mark.slow
def test_pages_fit_a4_portrait_in_print(browser, tmp_path):
    """Printed on A4 portrait (210 mm less the print style sheet's 14 mm margins: 182 mm,
    688 px at 96 px per inch), no table or figure runs past the page's right edge."""
    from edu_quality.report import page

    data = report_data(SAMPLES / "region", YEAR)
    pages = {
        "school_01003": s.school_report(data, "01003"),
        "school": s.school_report(data, SCHOOL),
        "municipality": s.municipality_report(data, MUNICIPALITY),
        "region": r.region_report(data),
    }
    browser.call("Emulation.setEmulatedMedia", media="print")
    browser.call(
        "Emulation.setDeviceMetricsOverride",
        width=688,
        height=1000,
        deviceScaleFactor=1,
        mobile=False,
    )
    try:
        wide = {}
        for i, (name, sections) in enumerate(pages.items()):
            path = tmp_path / f"a4_{i}.html"
            path.write_text(page(name, sections), encoding="utf-8")
            browser.open(path)
            width = browser.call(
                "Runtime.evaluate",
                expression="Math.max(document.documentElement.scrollWidth, ...Array.from("
                "document.querySelectorAll('table, img')).map(e => e.getBoundingClientRect()"
                ".right))",
                returnByValue=True,
            )["result"]["value"]
            if width > 688:
                wide[name] = width
        assert wide == {}
    finally:
        browser.call("Emulation.setEmulatedMedia", media="")
        browser.call("Emulation.clearDeviceMetricsOverride")

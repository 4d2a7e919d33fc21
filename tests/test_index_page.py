"""The batch's ``index.html``: municipality and school-status columns, natural order,
reports not ready at the top, filters that need no script; its ``manifest.json`` while it runs."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from edu_quality._russian import name_order
from edu_quality.report.manifest import (
    STATUS_LABELS,
    ManifestRecord,
    manifest_problem,
    write_index,
)


def _entry(kind, title, status, municipality, identification=None, error=None):
    e = {
        "kind": kind,
        "title": title,
        "status": status,
        "parameters": {},
        "key": "k",
        "error": error,
        "municipality": municipality,
    }
    if identification is not None:
        e["identification"] = identification
    return e


ENTRIES = {
    "municipality_a": _entry("municipality", "Город А: аналитический отчёт", "ok", "Город А"),
    "municipality_b": _entry("municipality", "Район Б: аналитический отчёт", "ok", "Район Б"),
    "school_a19": _entry("school", "СОШ № 19: отчёт школы", "ok", "Город А", "ШНОР"),
    "school_a1": _entry("school", "СОШ № 1: отчёт школы", "ok", "Город А", ""),
    "school_a2": _entry("school", "СОШ № 2: отчёт школы", "ok", "Город А", "зона риска"),
    "school_b2": _entry(
        "school", "СОШ № 2: отчёт школы", "failed", "Район Б", "ШНСУ", "школа не найдена"
    ),
    "school_b3": _entry("school", "СОШ № 3: отчёт школы", "pending", "Район Б"),
}


class _Tables(HTMLParser):
    """Sections of a page (by id) → their table rows (lists of cell texts); hrefs and ids."""

    def __init__(self):
        super().__init__()
        self.sections: dict[str, list[list[str]]] = {}
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.scripts = 0
        self._section = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "script":
            self.scripts += 1
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "section":
            self._section = a.get("id")
            self.sections[self._section] = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._section is not None:
                self.sections[self._section].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _parse(tmp_path, entries=ENTRIES, **kw):
    page = write_index(tmp_path, entries, 2024, **kw).read_text(encoding="utf-8")
    p = _Tables()
    p.feed(page)
    return page, p


def test_the_index_names_municipality_status_and_readiness_in_natural_order(tmp_path):
    page, p = _parse(tmp_path)
    head, *rows = p.sections["all"]
    assert head == ["Отчёт", "Муниципалитет", "Статус школы", "Готовность", "Причина"]
    assert [r[:4] for r in rows] == [
        ["Город А: аналитический отчёт", "Город А", "", "готов"],
        ["СОШ № 1: отчёт школы", "Город А", "—", "готов"],
        ["СОШ № 2: отчёт школы", "Город А", "зона риска", "готов"],
        ["СОШ № 19: отчёт школы", "Город А", "ШНОР", "готов"],
        ["Район Б: аналитический отчёт", "Район Б", "", "готов"],
        ["СОШ № 2: отчёт школы", "Район Б", "ШНСУ", "ошибка"],
        ["СОШ № 3: отчёт школы", "Район Б", "—", "не выполнен"],  # status not known: «—»
    ]
    assert rows[5][4] == "школа не найдена"
    assert "<h1>Отчёты за 2023/2024 учебный год</h1>" in page


def test_reports_not_ready_come_first_in_a_table_of_their_own(tmp_path):
    page, p = _parse(tmp_path)
    rows = p.sections["attention"][1:]
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("СОШ № 2: отчёт школы", "Район Б", "ошибка"),
        ("СОШ № 3: отчёт школы", "Район Б", "не выполнен"),
    ]
    assert page.index('id="attention"') < page.index('id="all"')
    assert page.index('id="attention"') < page.index('id="m1"')
    ok = {k: {**e, "status": "ok"} for k, e in ENTRIES.items()}
    _, p = _parse(tmp_path, ok)
    assert "attention" not in p.sections


def test_filters_by_municipality_and_status_are_anchors_with_no_script(tmp_path):
    page, p = _parse(tmp_path)
    assert p.scripts == 0 and "<script" not in page.lower() and "onclick" not in page.lower()
    local = [h[1:] for h in p.hrefs if h.startswith("#")]
    assert set(local) <= p.ids  # every filter link leads to a section of the page
    by_heading = {}
    for sid, rows in p.sections.items():
        m = re.search(rf'<section class="eq-filter" id="{sid}"><h2>([^<]+)</h2>', page)
        if m:
            by_heading[m.group(1)] = [(r[0], r[1]) for r in rows[1:]]
    assert by_heading["Район Б"] == [
        ("Район Б: аналитический отчёт", "Район Б"),
        ("СОШ № 2: отчёт школы", "Район Б"),
        ("СОШ № 3: отчёт школы", "Район Б"),
    ]
    assert by_heading["Статус школы: ШНОР"] == [("СОШ № 19: отчёт школы", "Город А")]
    assert by_heading["Статус школы: ШНСУ"] == [("СОШ № 2: отчёт школы", "Район Б")]
    assert [r[0] for r in by_heading["Школы без статуса"]] == [
        "СОШ № 1: отчёт школы",
        "СОШ № 3: отчёт школы",
    ]
    assert by_heading["Готовность: ошибка"] == [("СОШ № 2: отчёт школы", "Район Б")]
    # a filter shows on its own when its anchor is followed; otherwise the full list shows
    assert ".eq-filter{display:none}.eq-filter:target{display:block}" in page
    assert 'href="#m2">Район Б</a>\u00a0(3)' in page


def test_every_readiness_label_comes_from_the_table(tmp_path):
    _, p = _parse(tmp_path)
    shown = {r[3] for r in p.sections["all"][1:]}
    assert shown <= set(STATUS_LABELS.values())


def test_links_only_to_pages_made_and_text_escaped(tmp_path):
    entries = {
        "school_x": _entry("school", "<b>Школа</b>: отчёт школы", "failed", "<i>МО</i>", "ШНОР"),
        "school_y": _entry("school", "Школа Y: отчёт школы", "ok", "<i>МО</i>", ""),
    }
    page, _ = _parse(tmp_path, entries)
    assert "<b>Школа" not in page and "<i>МО" not in page
    assert 'href="school_y.html"' in page and 'href="school_x.html"' not in page


def test_name_order_orders_numbers_by_value():
    names = ["СОШ № 19", "СОШ № 1", "СОШ № 2", "Гимназия № 5", "ООШ № 10а", "ООШ № 10"]
    assert sorted(names, key=name_order) == [
        "Гимназия № 5",
        "ООШ № 10",
        "ООШ № 10а",
        "СОШ № 1",
        "СОШ № 2",
        "СОШ № 19",
    ]


def test_manifest_checks_the_identification_field():
    entry = _entry("school", "Ш: отчёт школы", "ok", "МО", "ШНОР")
    assert manifest_problem({"reports": {"school_1": entry}}) is None
    assert manifest_problem({"reports": {"school_1": {**entry, "identification": 3}}}) == (
        "отчёт «school_1»: неверное поле «identification»"
    )


def test_the_index_links_the_documents_beside_a_page(tmp_path):
    """A report's PDF and Word document beside its page are linked after its title."""
    from edu_quality.report.manifest import refresh_index, write_manifest

    entries = {
        "school_1": _entry("school", "Школа № 1", "ok", "Район"),
        "school_2": _entry("school", "Школа № 2", "ok", "Район"),
    }
    (tmp_path / "school_1.html").write_text("<html></html>", encoding="utf-8")
    (tmp_path / "school_1.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "school_1.docx").write_bytes(b"PK")
    (tmp_path / "school_2.html").write_text("<html></html>", encoding="utf-8")
    write_manifest(tmp_path / "manifest.json", 2024, entries)
    index = refresh_index(tmp_path, 2024).read_text(encoding="utf-8")
    assert '<a href="school_1.pdf">PDF</a>, <a href="school_1.docx">Word</a>' in index
    assert "school_2.pdf" not in index and "school_2.docx" not in index
    assert refresh_index(tmp_path / "нет", 2024) is None


def test_the_running_manifest_is_written_at_most_every_second_and_at_once_on_a_failure(
    tmp_path,
):
    path = tmp_path / "manifest.json"
    now = [0.0]
    record = ManifestRecord(path, 2024, every=1.0, clock=lambda: now[0])
    entries = {"a": {"status": "ok"}}

    def written() -> dict:
        return json.loads(path.read_text(encoding="utf-8"))["reports"]

    for t in (0.1, 0.5, 0.9):  # three reports within the second: nothing written yet
        now[0] = t
        assert not record.changed(lambda: entries)
    assert not path.exists()
    now[0] = 1.0  # waiting for the next report: the pending change is due
    assert record.due(lambda: entries)
    assert written() == entries
    assert not record.due(lambda: {"b": {}})  # nothing new since: no write
    entries = {**entries, "b": {"status": "failed"}}
    now[0] = 1.1  # a failure is written at once, without waiting
    assert record.changed(lambda: entries, at_once=True)
    assert written() == entries

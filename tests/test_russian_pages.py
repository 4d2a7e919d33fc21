"""Russian done right on the pages of the sample region: no bracket plurals, the minus sign,
a decimal comma, one decimal in every quoted share, «%» in percentage columns, sentences
capitalised, no English words.

The pages are rendered in process (:func:`edu_quality.report.page` of the sections a
notebook shows): school pages of a school of every identification status, every
municipality page, the region page; and the index page a batch writes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from edu_quality._russian import sentence
from edu_quality.demo import sample_folder
from edu_quality.report import page
from edu_quality.report.data import report_data, school_statuses
from edu_quality.report.manifest import write_index
from edu_quality.report.region import region_report
from edu_quality.report.runner import plan_jobs
from edu_quality.report.sections import municipality_report, school_report

YEAR = 2024

#: Latin words a page may show: the toolkit's name for its own rules, a file the index
#: names (and the programme list a report asks for), the usual abbreviation of the variance inflation factor, explained in words.
ALLOWED_LATIN = {"edu_quality", "batch.log", "VIF", "programme.csv"}

#: A share written by a rule's threshold («нижние 10 %», «не ниже 30 %») is a whole number.
_THRESHOLD = re.compile(
    r"(?:нижн\w*|не ниже|не менее|не более|более|больше|меньше|порог\w*|[≤≥<>])\s*$"
)

BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "td", "th", "div", "footer", "caption"}


class _Visible(HTMLParser):
    """The visible text of a page: its blocks (tag, text) and its tables (rows of cells)."""

    def __init__(self):
        super().__init__()
        self.hidden = 0
        self.stack: list[list[str]] = []
        self.blocks: list[tuple[str, str]] = []
        self.tables: list[list[list[str]]] = []
        self.row: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "title"):
            self.hidden += 1
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.row = []
        if tag in BLOCKS:
            self.stack.append([tag, ""])

    def handle_endtag(self, tag):
        if tag in ("style", "script", "title"):
            self.hidden -= 1
        if tag in BLOCKS and self.stack and self.stack[-1][0] == tag:
            t, text = self.stack.pop()
            text = " ".join(text.split())
            self.blocks.append((t, text))
            if t in ("td", "th") and self.row is not None:
                self.row.append(text)
            if self.stack:
                self.stack[-1][1] += " "
        elif tag == "tr" and self.row is not None and self.tables:
            self.tables[-1].append(self.row)
            self.row = None

    def handle_data(self, data):
        if not self.hidden and self.stack:
            self.stack[-1][1] += data


CHECKS = {
    "скобочное множественное число": re.compile(
        r"\w\((?:ы|и|а|ов|ей|я|е|ие|ая|ое|ые|ых|ий|ой|ен|на|но|ны)\)"
    ),
    "дефис вместо минуса": re.compile(r"(?<![\w/\-–])-\d"),
    "«−0,0»": re.compile(r"[−-]0(?:,0+)?(?![,\d])"),
    "десятичная точка": re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])"),
}
_WHOLE_PERCENT = re.compile(r"(?<![\d,])(\d+)\s?%")
_NUMBER = re.compile(r"[−+]?\d+(?:,\d+)?")


def findings(html: str, own_text: set[str] = frozenset()) -> list[tuple[str, str]]:
    """What a page writes wrong in Russian: (kind, the text around it)."""
    p = _Visible()
    p.feed(html)
    out = []
    for tag, text in p.blocks:
        if text in own_text:  # the user's own words (plan, indicator names): not ours to fix
            continue
        for kind, rx in CHECKS.items():
            out += [(kind, text[max(0, m.start() - 40) : m.end() + 20]) for m in rx.finditer(text)]
        for m in _WHOLE_PERCENT.finditer(text):
            if not _THRESHOLD.search(text[: m.start()]):
                out.append(("процент без десятой", text[max(0, m.start() - 40) : m.end() + 10]))
        if tag in ("p", "li", "div") and text and sentence(text) != text:
            out.append(("предложение со строчной буквы", text[:80]))
        for word in re.findall(r"[A-Za-z][\w.]*[A-Za-z_]", text):
            if word not in ALLOWED_LATIN:
                out.append(("английское слово", f"{word}: {text[:80]}"))
    for table in p.tables:
        out += _column_findings(table)
    return out


def _column_findings(table: list[list[str]]) -> list[tuple[str, str]]:
    """A percentage column with a value without «%»; a column of measures mixing «6» and «6,8»."""
    if len(table) < 2:
        return []
    out = []
    head, rows = table[0], table[1:]
    for j, name in enumerate(head):
        cells = [r[j] for r in rows if j < len(r)]
        if "%" in name or "процент" in name.lower():
            out += [("значение без «%»", f"{name}: {c}") for c in cells if _NUMBER.fullmatch(c)]
        numbers = [c for c in cells if _NUMBER.fullmatch(c)]
        if any("," in c for c in numbers) and any("," not in c for c in numbers):
            out.append(("целые и дробные в одном столбце", f"{name}: {numbers[:6]}"))
    return out


def _own_text(data) -> set[str]:
    """Texts of the dataset's own tables (plan, indicators, risk factors) as shown."""
    ds = data.dataset
    texts = set()
    for table in (ds.plan, ds.indicators, ds.risk_profiles):
        if isinstance(table, pd.DataFrame):
            for col in table.columns:
                texts |= {" ".join(str(v).split()) for v in table[col].dropna()}
    return texts


def test_the_checks_find_what_they_look_for():
    bad = (
        "<p>3 школ(ы) из 22; 1 строк(и) не учтены</p><p>изменение -2,6 %</p>"
        "<p>Интервал [−0,0; 52,0]</p><p>Средний балл 12.5</p><p>Доля «2» — 7 %</p>"
        "<div>примечание с маленькой буквы.</div><p>Model fit</p>"
        "<table><tr><th>Факт, %</th><th>Средний балл</th></tr>"
        "<tr><td>6,8</td><td>6</td></tr><tr><td>7,0 %</td><td>6,8</td></tr></table>"
    )
    kinds = {k for k, _ in findings(bad)}
    assert kinds == {
        "скобочное множественное число",
        "дефис вместо минуса",
        "«−0,0»",
        "десятичная точка",
        "процент без десятой",
        "предложение со строчной буквы",
        "английское слово",
        "значение без «%»",
        "целые и дробные в одном столбце",
    }
    good = (
        "<p>3 школы из 22; 2021–2022; не ниже 30 % в 2 процедурах; −2,6 %; 0,0 %</p>"
        "<p>Правило edu_quality: код ОО 01016, 95-процентный интервал</p>"
        "<table><tr><th>Участников</th><th>Доля, %</th></tr>"
        "<tr><td>6</td><td>6,0 %</td></tr><tr><td>24</td><td>—</td></tr></table>"
    )
    assert findings(good) == []


@pytest.mark.slow
def test_pages_of_the_sample_region_write_russian_right(tmp_path):
    folder = sample_folder("region")
    data = report_data(folder, YEAR)
    c = data.classified
    schools = c.reset_index().groupby("status", sort=False)["school_id"].first().tolist()
    ovz = data.dataset.schools.loc[
        data.dataset.schools["name"].str.contains("ОВЗ"), "school_id"
    ].tolist()
    pages = {f"школа {sid}": page(sid, school_report(data, sid)) for sid in {*schools, *ovz[:1]}}
    for muni in data.dataset.municipalities:
        pages[muni] = page(muni, municipality_report(data, muni))
    pages["регион"] = page("регион", region_report(data))
    statuses = school_statuses(folder, YEAR)
    entries = {}
    for job in plan_jobs(folder, YEAR):
        entries[job.name] = {
            "kind": job.kind,
            "title": job.title,
            "status": "ok",
            "parameters": job.parameters,
            "key": "",
            "error": None,
            "municipality": job.municipality,
        }
        if job.kind == "school":
            entries[job.name]["identification"] = statuses[job.parameters["school_id"]]
    pages["index.html"] = write_index(tmp_path, entries, YEAR).read_text(encoding="utf-8")

    own = _own_text(data)
    found = {name: findings(html, own) for name, html in pages.items()}
    # the Inta sample: real tables, ОГЭ with the 2020 gap, a plan and risk profiles
    inta = report_data(sample_folder("inta"), 2022)
    inta_own = _own_text(inta)
    inta_pages = {
        f"Инта {sid}": page(sid, school_report(inta, sid)) for sid in inta.classified.index
    }
    inta_pages.update(
        {f"Инта {m}": page(m, municipality_report(inta, m)) for m in inta.dataset.municipalities}
    )
    found.update({name: findings(html, inta_own) for name, html in inta_pages.items()})
    pages.update(inta_pages)
    assert {name: f for name, f in found.items() if f} == {}
    assert all("<script" not in html for html in pages.values())

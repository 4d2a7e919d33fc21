"""Report building blocks: sections of text, tables and figures rendered to HTML.

A report section is a :class:`Section`: a title, a one-line explanation for a
school director, and blocks (paragraphs, tables, figures, notes). It renders
itself to HTML (``_repr_html_``), so a notebook cell that displays it and a
batch run that renders it without a kernel produce the same page. Figures are
embedded as PNG data URIs: the page needs nothing from the network. All text
is escaped: a school name with ``<script>`` in it stays text.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._russian import decimal, percent, plural, sentence

__all__ = [
    "CSS",
    "Section",
    "Sections",
    "display_table",
    "fmt_interval",
    "fmt_number",
    "fmt_percent",
    "page",
]

#: Style sheet of every report page (inline: the page opens offline).
CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:1100px;margin:0 auto;padding:1em 2em;
color:#222;line-height:1.45;font-size:15px}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #3b6ea5;
padding-bottom:.15em;margin-top:1.6em}h3{font-size:1.05em}
.eq-intro{color:#555;font-style:italic;margin:.3em 0 .8em}
.eq-note{background:#f4f6f9;border-left:4px solid #9aa9bd;padding:.4em .8em;margin:.6em 0;
font-size:.92em}
.eq-warn{background:#fff6e5;border-left:4px solid #e0a100;padding:.4em .8em;margin:.6em 0}
table.eq-table{border-collapse:collapse;margin:.6em 0;font-size:.9em;max-width:100%}
table.eq-table th,table.eq-table td{border:1px solid #ccd;padding:.25em .5em;text-align:left;
vertical-align:top;overflow-wrap:break-word;hyphens:auto}
table.eq-table th{background:#e8eef6}table.eq-table td.num{text-align:right}
img.eq-figure{max-width:100%;height:auto;display:block;margin:.6em 0}
.eq-status{font-weight:bold;font-size:1.1em}
.eq-high{background:#f8d7d7}.eq-medium{background:#fff0c2}.eq-low{background:#dff0d8}
footer{margin-top:3em;color:#777;font-size:.85em;border-top:1px solid #ddd;padding-top:.5em}
@page{size:A4 portrait;margin:16mm 14mm 18mm 14mm;
@bottom-right{content:counter(page) " / " counter(pages);font-size:9pt;color:#777}}
@media print{body{max-width:none;margin:0;padding:0;font-size:10.5pt;line-height:1.35}
h1,h2,h3,.eq-intro{break-after:avoid;page-break-after:avoid}
tr,img.eq-figure,.eq-note,.eq-warn,.eq-status{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}table.eq-table{font-size:8.5pt}
table.eq-table th,table.eq-table td{overflow-wrap:anywhere}
.eq-note,.eq-warn,table.eq-table th,.eq-high,.eq-medium,.eq-low{-webkit-print-color-adjust:exact;
print-color-adjust:exact}}
"""


def display_table(rows: Iterable[Sequence[object]], columns: Sequence[str]) -> pd.DataFrame:
    """A display table from its rows (already formatted text), kept as Python objects.

    A table of text cells built this way is drawn without converting its
    columns from pandas' string storage, once per column, on every page.

    Examples
    --------
    >>> t = display_table([("№ 5", "62,5 %")], ["Школа", "Доля"])
    >>> t.to_dict("records"), str(t["Доля"].dtype)
    ([{'Школа': '№ 5', 'Доля': '62,5 %'}], 'object')
    """
    rows = list(rows)
    cells = np.empty((len(rows), len(columns)), dtype=object)  # one block, no inference
    if rows:
        cells[:] = rows
    return pd.DataFrame(cells, columns=list(columns), dtype=object, copy=False)


def fmt_percent(value: object, digits: int = 1) -> str:
    r"""A share as a Russian percentage: 0.625 → «62,5 %»; missing → «—».

    Examples
    --------
    >>> fmt_percent(0.625) == "62,5\u00a0%"
    True
    """
    if value is None or pd.isna(value):
        return "—"
    return percent(value, digits)


def fmt_number(value: object, digits: int = 1, *, fixed: bool = False) -> str:
    """A number in Russian style: 12.345 → «12,3», the minus sign «−».

    Whole numbers go without decimals (counts: «24»), unless ``fixed``: a column
    of means or other measures shows every value with ``digits`` decimals, so
    «6,0» stands beside «6,8», not «6».

    Examples
    --------
    >>> fmt_number(12.345), fmt_number(24), fmt_number(-0.5), fmt_number(6, fixed=True)
    ('12,3', '24', '−0,5', '6,0')
    """
    if value is None or pd.isna(value):
        return "—"
    v = float(value)
    return decimal(v, 0 if v.is_integer() and not fixed else digits)


def fmt_interval(low: object, high: object, *, percent: bool = True, digits: int = 1) -> str:
    r"""An interval «[45,2 %; 79,1 %]».

    Examples
    --------
    >>> fmt_interval(0.452, 0.791).replace("\u00a0", " ")
    '[45,2 %; 79,1 %]'
    >>> fmt_interval(-0.0004, 0.52).replace("\u00a0", " ")
    '[0,0 %; 52,0 %]'
    """
    if low is None or pd.isna(low):
        return "—"
    if percent:
        lo, hi = fmt_percent(low, digits), fmt_percent(high, digits)
    else:
        lo, hi = (fmt_number(v, digits, fixed=True) for v in (low, high))
    return f"[{lo}; {hi}]"


def _figure_html(fig, *, tight: bool = True) -> str:
    import sys

    from matplotlib.text import Text

    # texts come from the data (school names, subjects): «$…$» in them is no formula —
    # as mathtext it would be drawn altered, or fail to parse and stop the report
    for text in fig.findobj(Text):
        text.set_parse_math(False)
    buf = io.BytesIO()
    # «tight» measures the drawn figure, then draws it again: a figure whose layout engine
    # already fits it (constrained layout) can be drawn once
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight" if tight else None)
    if "matplotlib.pyplot" in sys.modules:  # a figure of pyplot's (one outside it has no manager)
        sys.modules["matplotlib.pyplot"].close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="eq-figure" alt="" src="data:image/png;base64,{data}">'


def _cell_text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _table_html(table: pd.DataFrame, numeric: Iterable[str] = ()) -> str:
    numeric = set(numeric)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    opens = ['<td class="num">' if c in numeric else "<td>" for c in table.columns]
    rows = []
    for rec in table.to_numpy(dtype=object).tolist():
        cells = [f"{o}{html.escape(_cell_text(v))}</td>" for o, v in zip(opens, rec, strict=True)]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="eq-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


@dataclass
class Section:
    """A report section: title, one-line explanation, and blocks.

    Examples
    --------
    >>> s = Section("Проба", "Что здесь показано.")
    >>> s.text("Школа <b>№ 5</b>")
    >>> "&lt;b&gt;" in s.html()
    True
    """

    title: str
    intro: str = ""
    level: int = 2
    blocks: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def text(self, text: str) -> None:
        """Add a paragraph (escaped; a sentence: its first letter capitalised)."""
        self.blocks.append(f"<p>{html.escape(sentence(text))}</p>")

    def items(self, items: Sequence[str]) -> None:
        """Add a bulleted list (escaped; each item a sentence, capitalised)."""
        if items:
            self.blocks.append(
                "<ul>" + "".join(f"<li>{html.escape(sentence(i))}</li>" for i in items) + "</ul>"
            )

    def note(self, text: str, *, warn: bool = False) -> None:
        """Add a highlighted note (escaped; a sentence, capitalised)."""
        cls = "eq-warn" if warn else "eq-note"
        self.blocks.append(f'<div class="{cls}">{html.escape(sentence(text))}</div>')

    def subtitle(self, text: str) -> None:
        """Add a sub-heading."""
        self.blocks.append(f"<h{self.level + 1}>{html.escape(text)}</h{self.level + 1}>")

    def table(
        self, table: pd.DataFrame, *, name: str | None = None, numeric: Iterable[str] = ()
    ) -> None:
        """Add a display table (already formatted); keep it under ``name`` for export."""
        if name:
            self.tables[name] = table
        self.blocks.append(_table_html(table, numeric))

    def figure(self, fig, *, tight: bool = True) -> None:
        """Add a matplotlib figure as an embedded PNG (the figure is closed).

        ``tight=False`` keeps the figure's own size (one drawing instead of two:
        for a figure with constrained layout, which fits its content already).
        """
        self.blocks.append(_figure_html(fig, tight=tight))

    def html(self) -> str:
        """The section as an HTML fragment."""
        intro = f'<p class="eq-intro">{html.escape(self.intro)}</p>' if self.intro else ""
        # a section without a title is one line (an empty section: no heading over «нет данных»)
        head = f"<h{self.level}>{html.escape(self.title)}</h{self.level}>" if self.title else ""
        return f"<section>{head}{intro}" + "".join(self.blocks) + "</section>"

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return f"<Раздел «{self.title}»>"


class Sections(list):
    """A report's sections, in order: a list that a notebook shows as one HTML output.

    ``display(sections)`` sends the whole report as one message (one output in
    the executed notebook) instead of one per section; the page is the same.

    Examples
    --------
    >>> secs = Sections([Section("Первый"), Section("Второй")])
    >>> secs._repr_html_().count("<section>"), repr(secs)
    (2, '<Отчёт: 2 раздела>')
    """

    def html(self) -> str:
        """The sections as one HTML fragment."""
        return "".join(s.html() for s in self)

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        n = len(self)
        return f"<Отчёт: {n} {plural(n, 'раздел', 'раздела', 'разделов')}>"


def page(title: str, sections: Sequence[Section], *, footer: str = "") -> str:
    """A whole self-contained HTML page from sections (the in-process renderer).

    Examples
    --------
    >>> p = page("Отчёт", [Section("Раздел")])
    >>> p.startswith("<!DOCTYPE html>") and "<script" not in p
    True
    """
    body = "".join(s.html() for s in sections)
    foot = f"<footer>{html.escape(footer)}</footer>" if footer else ""
    return (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main>{foot}</body></html>"
    )

"""What a batch leaves next to its reports: ``manifest.json``, ``batch.log``, ``index.html``.

* ``manifest.json`` — every report with its status, the one-line reason of a
  failure and the key of its inputs (:func:`inputs_stamp` and its parameters):
  a re-run skips the reports whose key did not change since a success.
* ``batch.log`` — the full details of each failure, appended.
* ``index.html`` — every report with its municipality, the school's status,
  its readiness (:data:`STATUS_LABELS`) and the reason of a failure, linking the
  pages made, with filters that need no script (:func:`write_index`).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import signal
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from .._files import atomic_write
from .._russian import name_order
from .cache import folder_version
from .notebooks import notebooks_dir
from .render import CSS

__all__ = [
    "MANIFEST_EVERY",
    "NO_STATUS",
    "ManifestRecord",
    "STATUS_CLASSES",
    "STATUS_LABELS",
    "append_log",
    "inputs_stamp",
    "manifest_problem",
    "read_manifest",
    "refresh_index",
    "write_index",
    "DOCUMENTS",
    "write_manifest",
]

#: Status of a report in the manifest → its label in ``index.html``.
STATUS_LABELS = {
    "ok": "готов",
    "failed": "ошибка",
    "nodata": "нет данных",
    "pending": "не выполнен",
}
#: Status of a report → the class of its row in ``index.html``.
STATUS_CLASSES = {
    "ok": "eq-low",
    "failed": "eq-high",
    "nodata": "eq-medium",
    "pending": "eq-medium",
}


def inputs_stamp(data_dir: Path, notebooks: list[Path]) -> str:
    """Hash of what the reports of a dataset are made from.

    The dataset's files, its whole tree (:func:`~edu_quality.report.cache.folder_version`),
    the report notebooks
    (those of :func:`~edu_quality.report.notebooks.notebooks_dir` and
    ``notebooks``) and the package's code.
    """
    h = hashlib.sha256()
    for name, size, mtime in folder_version(data_dir)[1]:
        h.update(f"{name}:{size}:{mtime}".encode())
    for nb in sorted({*notebooks_dir().glob("*.ipynb"), *notebooks}):
        if nb.is_file():
            h.update(nb.read_bytes())
    pkg = Path(__file__).resolve().parents[1]
    for src in sorted(pkg.rglob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()


#: The name of a report in a manifest: a file stem as :func:`~edu_quality.report.job.safe_name`
#: makes them (the index links to ``<name>.html``).
_NAME = re.compile(r"[\w\-]+")


def manifest_problem(doc: object) -> str | None:
    """What is wrong with the shape of a parsed ``manifest.json``; None when it is right.

    The document is an object with ``reports``, an object of report names
    (file stems) to entries; each entry has ``kind`` and ``title`` (text),
    ``status`` (:data:`STATUS_LABELS`), ``parameters`` (an object) and ``key``
    (text), and may have ``error`` (text or null), ``municipality`` (text) and
    ``identification`` (text: a school's status, :func:`edu_quality.classify`; empty
    when it has none).

    Examples
    --------
    >>> manifest_problem({"year": 2022, "reports": {}}) is None
    True
    >>> manifest_problem([])
    'не объект JSON'
    >>> manifest_problem({"reports": {"school_1": {"kind": "school"}}})
    'отчёт «school_1»: нет поля «title»'
    """
    if not isinstance(doc, dict):
        return "не объект JSON"
    reports = doc.get("reports")
    if not isinstance(reports, dict):
        return "нет объекта «reports»"
    for name, entry in reports.items():
        if not _NAME.fullmatch(name):
            return f"имя отчёта «{name[:80]}» не годится для имени файла"
        if not isinstance(entry, dict):
            return f"отчёт «{name}»: не объект"
        for field, types in _FIELDS.items():
            if field not in entry:
                return f"отчёт «{name}»: нет поля «{field}»"
            if not isinstance(entry[field], types):
                return f"отчёт «{name}»: неверное поле «{field}»"
        if entry["status"] not in STATUS_LABELS:
            return f"отчёт «{name}»: неизвестный статус"
        for field, types in _OPTIONAL.items():
            if field in entry and not isinstance(entry[field], types):
                return f"отчёт «{name}»: неверное поле «{field}»"
    return None


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "kind": str,
    "title": str,
    "status": str,
    "parameters": dict,
    "key": str,
}
_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "error": (str, type(None)),
    "municipality": str,
    "identification": str,
}


def read_manifest(path: Path, log: IO[str] | None = None) -> dict[str, dict]:
    """The reports of a manifest (name → entry); empty when it is missing or cannot be used.

    A manifest that is not a regular file, cannot be read, is not JSON or is
    not of the shape :func:`manifest_problem` checks is treated as absent (its
    reports are built again), with a one-line note in ``log`` if given.
    """
    if not path.exists() and not path.is_symlink():
        return {}
    doc = None
    if path.is_symlink() or not path.is_file():
        problem = "не обычный файл"
    else:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            problem = "не читается"
        except ValueError:  # not UTF-8, not JSON
            problem = "не JSON"
        else:
            problem = manifest_problem(doc)
    if problem is None:
        return doc["reports"]
    if log is not None:
        append_log(
            log,
            "(пакет)",
            "",
            f"{path.name} не использован ({problem}): отчёты строятся заново",
            "",
        )
    return {}


def append_log(log: IO[str], name: str, title: str, message: str, detail: str) -> None:
    """Append one failure (or a note about the batch) to ``batch.log``, flushed at once."""
    head = f"==== {datetime.now():%Y-%m-%d %H:%M:%S} {name}"
    if title:
        head += f" «{title}»"
    log.write(f"{head}\n{message}\n{detail}\n")
    log.flush()


def write_manifest(
    path: Path,
    year: int,
    entries: dict[str, dict],
    *,
    interrupted: int | None = None,
    workers: list | None = None,
) -> None:
    """Write ``manifest.json`` (atomically).

    It holds the year and every report's entry; after the batch, also the
    signal that interrupted it and what each kernel slot or worker did.
    """
    doc: dict[str, object] = {"year": year, "reports": entries}
    if interrupted is not None:
        doc["interrupted"] = signal.Signals(interrupted).name
    if workers is not None:
        doc["workers"] = workers
    atomic_write(path, json.dumps(doc, ensure_ascii=False, indent=1))


#: Seconds between two writes of ``manifest.json`` while a batch runs
#: (:class:`ManifestRecord`).
MANIFEST_EVERY = 1.0


class ManifestRecord:
    """``manifest.json`` kept up to date while a batch runs, written at most every ``every`` s.

    The whole manifest is rewritten on each write, so writing it after every
    report grows with the square of the batch (0,02 s a write at the real
    region's 765 reports; the 765 writes of its batch, replayed, take 4,6 s
    of the batch process, which shares the cores with the kernels). A change is written when ``every`` seconds have passed
    since the last write, or at once when asked (a failure: its reason is on
    disk without delay). A batch killed outright loses at most ``every``
    seconds of its record — those reports are built again by the next run —
    and a batch stopped by a signal writes its manifest whole at the end.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "manifest.json"
    >>> clock = iter([0.0, 0.4, 1.2, 1.3]).__next__
    >>> record = ManifestRecord(path, 2024, every=1.0, clock=clock)  # the last write at 0
    >>> record.changed(lambda: {"a": {"status": "ok"}})  # at 0,4 s: not yet
    False
    >>> record.due(lambda: {"a": {"status": "ok"}})  # at 1,2 s: written (clock read again)
    True
    >>> json.loads(path.read_text(encoding="utf-8"))["reports"]
    {'a': {'status': 'ok'}}
    """

    def __init__(
        self,
        path: Path,
        year: int,
        *,
        every: float = MANIFEST_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path, self.year, self.every, self.clock = path, year, every, clock
        self.written = clock()
        self.pending = False

    def changed(self, entries: Callable[[], dict[str, dict]], *, at_once: bool = False) -> bool:
        """Note a change of the entries; write them if due (or ``at_once``). Whether written."""
        self.pending = True
        return self.due(entries, at_once=at_once)

    def due(self, entries: Callable[[], dict[str, dict]], *, at_once: bool = False) -> bool:
        """Write the change not yet written when ``every`` seconds have passed (or ``at_once``)."""
        if not self.pending or not (at_once or self.clock() - self.written >= self.every):
            return False
        write_manifest(self.path, self.year, entries())
        self.written, self.pending = self.clock(), False
        return True


def write_index(
    out: Path, entries: dict[str, dict], year: int, *, interrupted: int | None = None
) -> Path:
    """Write ``index.html``: every report with its municipality, school status and readiness.

    Columns «Отчёт», «Муниципалитет», «Статус школы» (the entry's ``identification``,
    :func:`edu_quality.classify`; «—» when none), «Готовность» (:data:`STATUS_LABELS`)
    and «Причина». Reports that are not ready (an error, not run…) come first, in a
    table of their own; then every report by municipality — the municipality's report,
    then its schools in natural order («СОШ № 2» before «СОШ № 19»). Filters by
    municipality, school status and readiness are links to sections of the page
    (shown on their own by the style sheet's ``:target``): the page has no script.
    A report's PDF and Word document, when they are beside its page, are linked
    after its title (:data:`DOCUMENTS`).
    """
    order = sorted(entries.items(), key=lambda kv: _index_order(kv[1]))
    note = ""
    if interrupted is not None:
        pending = sum(e["status"] == "pending" for e in entries.values())
        note = (
            f'<p class="eq-warn">Построение прервано ({signal.Signals(interrupted).name}): '
            f"не выполнено отчётов: {pending}. Повторный запуск построит только их.</p>"
        )
    groups = _index_filters(order)
    attention = [kv for kv in order if kv[1]["status"] != "ok"]
    attention.sort(key=lambda kv: list(STATUS_LABELS).index(kv[1]["status"]))
    parts = [f"<h1>Отчёты за {year - 1}/{year} учебный год</h1>{note}", _index_counts(entries)]
    parts.append(_index_nav(groups))
    if attention:
        parts.append(
            f'<section id="attention"><h2>Требуют внимания</h2>{_index_table(attention, out)}</section>'
        )
    for anchor, (heading, _, rows) in groups.items():
        parts.append(
            f'<section class="eq-filter" id="{anchor}"><h2>{html.escape(heading)}</h2>'
            f'<p><a href="#all">Все отчёты</a></p>{_index_table(rows, out)}</section>'
        )
    parts.append(f'<section id="all"><h2>Все отчёты</h2>{_index_table(order, out)}</section>')
    page = (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Отчёты</title>'
        f"<style>{CSS}{_INDEX_CSS}</style></head><body><main>{''.join(parts)}</main></body></html>"
    )
    path = out / "index.html"
    atomic_write(path, page)
    return path


#: Readiness (a manifest status) → the colour class of its row in ``index.html``.
#: A filter section of ``index.html`` shows only when its anchor is followed (``#m1``…),
#: and then hides the full list; without a followed anchor the full list shows.
_INDEX_CSS = (
    ".eq-filter{display:none}.eq-filter:target{display:block}"
    "main:has(.eq-filter:target) #all{display:none}"
    "nav.eq-filters p{margin:.3em 0}nav.eq-filters a{white-space:nowrap}"
)

#: The label of a school with no identification status, and of a school whose status is unknown.
NO_STATUS = "—"


def _index_order(entry: dict) -> tuple:
    return (
        name_order(entry.get("municipality") or ""),
        entry["kind"] != "municipality",
        name_order(entry["title"]),
    )


def _identification(entry: dict) -> str:
    if entry["kind"] != "school":
        return ""
    return entry.get("identification") or NO_STATUS


def _index_filters(order: list[tuple[str, dict]]) -> dict[str, tuple[str, str, list]]:
    """Anchor → (heading, link label, rows) of each filter: municipality, status, readiness."""
    groups: dict[str, tuple[str, str, list]] = {}
    munis: dict[str, list] = {}
    statuses: dict[str, list] = {}
    for name, entry in order:
        munis.setdefault(entry.get("municipality") or "", []).append((name, entry))
        if entry["kind"] == "school":
            statuses.setdefault(_identification(entry), []).append((name, entry))
    for i, (muni, rows) in enumerate(munis.items(), 1):
        groups[f"m{i}"] = (muni or "Без муниципалитета", muni or "без муниципалитета", rows)
    known = ["ШНОР и ШНСУ", "ШНОР", "ШНСУ", "зона риска", "резильентная", NO_STATUS]
    ranked = sorted(statuses, key=lambda s: (known.index(s) if s in known else len(known), s))
    for i, status in enumerate(ranked, 1):
        heading = "Школы без статуса" if status == NO_STATUS else f"Статус школы: {status}"
        label = "без статуса" if status == NO_STATUS else status
        groups[f"s{i}"] = (heading, label, statuses[status])
    for status, label in STATUS_LABELS.items():  # the reports not ready, each status apart
        rows = [kv for kv in order if kv[1]["status"] == status]
        if rows and status != "ok":
            groups[f"r-{status}"] = (f"Готовность: {label}", label, rows)
    return groups


def _index_nav(groups: dict[str, tuple[str, str, list]]) -> str:
    """The filters: one line of links per kind (municipality, school status, readiness)."""
    kinds = {"m": "Муниципалитет", "s": "Статус школы", "r": "Готовность"}
    lines = []
    for prefix, kind in kinds.items():
        links = [
            f'<a href="#{anchor}">{html.escape(label)}</a>\u00a0({len(rows)})'
            for anchor, (_, label, rows) in groups.items()
            if anchor.startswith(prefix)
        ]
        if links:
            lines.append(f"<p><b>{kind}:</b> {' · '.join(links)}</p>")
    lines.append('<p><a href="#all">Все отчёты</a></p>')
    return f'<nav class="eq-filters"><h2>Фильтры</h2>{"".join(lines)}</nav>'


def _index_counts(entries: dict[str, dict]) -> str:
    failed = sum(e["status"] == "failed" for e in entries.values())
    pending = sum(e["status"] == "pending" for e in entries.values())
    no_data = sum(e["status"] == "nodata" for e in entries.values())
    return (
        f"<p>Всего: {len(entries)}; нет данных: {no_data}; с ошибкой: {failed}; "
        f"не выполнено: {pending}. Подробности ошибок — в batch.log.</p>"
    )


#: The documents a report may have beside its page, linked from the index when they exist.
DOCUMENTS = {".pdf": "PDF", ".docx": "Word"}


def _index_table(rows: list[tuple[str, dict]], out: Path) -> str:
    body = []
    for name, e in rows:
        title = html.escape(e["title"])
        link = f'<a href="{html.escape(name)}.html">{title}</a>' if e["status"] == "ok" else title
        if e["status"] == "ok":
            docs = [
                f'<a href="{html.escape(name)}{ext}">{label}</a>'
                for ext, label in DOCUMENTS.items()
                if (out / f"{name}{ext}").is_file()
            ]
            link += f" ({', '.join(docs)})" if docs else ""
        cells = (
            link,
            html.escape(e.get("municipality") or ""),
            html.escape(_identification(e)),
            STATUS_LABELS[e["status"]],
            html.escape(e.get("error") or ""),
        )
        cls = STATUS_CLASSES.get(e["status"], "eq-medium")
        body.append(f'<tr class="{cls}">' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(
        f"<th>{h}</th>" for h in ("Отчёт", "Муниципалитет", "Статус школы", "Готовность", "Причина")
    )
    return f'<table class="eq-table"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def refresh_index(out: Path, year: int) -> Path | None:
    """Write ``index.html`` again from ``manifest.json``, after documents joined the pages.

    Returns the index, or None when the folder has no usable manifest (nothing
    is written then).
    """
    entries = read_manifest(Path(out) / "manifest.json")
    return write_index(Path(out), entries, year) if entries else None

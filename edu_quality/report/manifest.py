"""What a batch leaves next to its reports: ``manifest.json``, ``batch.log``, ``index.html``.

* ``manifest.json`` — every report with its status, the one-line reason of a
  failure and the key of its inputs (:func:`inputs_stamp` and its parameters):
  a re-run skips the reports whose key did not change since a success.
* ``batch.log`` — the full details of each failure, appended.
* ``index.html`` — every report with its status (:data:`STATUS_LABELS`) and
  the reason of a failure, linking the pages made.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import signal
from datetime import datetime
from pathlib import Path
from typing import IO

from .._files import atomic_write
from .cache import folder_version
from .notebooks import notebooks_dir
from .render import CSS

__all__ = [
    "STATUS_CLASSES",
    "STATUS_LABELS",
    "append_log",
    "inputs_stamp",
    "manifest_problem",
    "read_manifest",
    "write_index",
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
    (text), and may have ``error`` (text or null) and ``municipality`` (text).

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
_OPTIONAL: dict[str, type | tuple[type, ...]] = {"error": (str, type(None)), "municipality": str}


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


def write_index(
    out: Path, entries: dict[str, dict], year: int, *, interrupted: int | None = None
) -> Path:
    """Write ``index.html`` listing every report with its status and the reason of a failure."""
    rows = []
    order = sorted(
        entries.items(), key=lambda kv: (kv[1]["kind"] != "municipality", kv[1]["title"])
    )
    for name, e in order:
        status = STATUS_LABELS[e["status"]]
        link = (
            f'<a href="{html.escape(name)}.html">{html.escape(e["title"])}</a>'
            if e["status"] == "ok"
            else html.escape(e["title"])
        )
        err = html.escape(e.get("error") or "")
        cls = STATUS_CLASSES[e["status"]]
        rows.append(f'<tr class="{cls}"><td>{link}</td><td>{status}</td><td>{err}</td></tr>')
    failed = sum(e["status"] == "failed" for e in entries.values())
    pending = sum(e["status"] == "pending" for e in entries.values())
    no_data = sum(e["status"] == "nodata" for e in entries.values())
    note = ""
    if interrupted is not None:
        note = (
            f'<p class="eq-warn">Построение прервано ({signal.Signals(interrupted).name}): '
            f"не выполнено отчётов: {pending}. Повторный запуск построит только их.</p>"
        )
    body = (
        f"<h1>Отчёты за {year - 1}/{year} учебный год</h1>{note}"
        f"<p>Всего: {len(entries)}; нет данных: {no_data}; с ошибкой: {failed}; "
        f"не выполнено: {pending}. "
        "Подробности ошибок — в batch.log.</p>"
        '<table class="eq-table"><thead><tr><th>Отчёт</th><th>Статус</th><th>Причина</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    page = (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Отчёты</title>'
        f"<style>{CSS}</style></head><body><main>{body}</main></body></html>"
    )
    path = out / "index.html"
    atomic_write(path, page)
    return path

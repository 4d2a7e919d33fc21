"""Executing the report notebooks: papermill on the project's own kernel, HTML export
without code, and batches over every school and municipality.

* Parameters are checked with :func:`papermill.inspect_notebook` before a run:
  an unknown parameter is refused (papermill itself only warns).
* The kernel is the project's own environment: a kernelspec ``edu-quality``
  pointing at this Python is installed into ``sys.prefix`` when missing, so a
  machine's unrelated ``python3`` kernel is never used.
* HTML is exported by nbconvert with the ``edu_report`` template: no input
  cells, no prompts, no scripts or CDN links, images embedded — the file opens
  offline on its own.
* Every output file is written atomically (a temporary file in the same
  folder, then :func:`os.replace`).
* A batch runs reports in parallel with a progress bar, retries a kernel that
  fails to start, records a failing report with its error and carries on,
  skips reports whose inputs and parameters did not change (``force`` redoes
  them), writes ``index.html`` and ``manifest.json``, and returns the failures.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import DataError, EduQualityError
from .render import CSS

__all__ = [
    "KERNEL_NAME",
    "NOTEBOOKS",
    "BatchResult",
    "Job",
    "ParameterError",
    "check_parameters",
    "job_for",
    "ensure_kernel",
    "export_html",
    "render_report",
    "run_batch",
    "safe_name",
]

#: Name of the project's kernelspec.
KERNEL_NAME = "edu-quality"
#: Report kinds → notebook file names in ``notebooks/``.
NOTEBOOKS = {
    "school": "school_report.ipynb",
    "municipality": "municipality_report.ipynb",
    "region": "region_factors.ipynb",
    "explore": "explore.ipynb",
}
_RETRIES = 2


class ParameterError(EduQualityError, ValueError):
    """A report was asked with a parameter its notebook does not have."""


def notebooks_dir() -> Path:
    """The folder of the report notebooks (the source tree's ``notebooks/``)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


def notebook_path(kind: str) -> Path:
    """Path of the notebook of a report kind.

    Examples
    --------
    >>> notebook_path("school").name
    'school_report.ipynb'
    """
    if kind not in NOTEBOOKS:
        raise ValueError(f"Параметр `kind` должен быть одним из {list(NOTEBOOKS)}, передано {kind!r}")
    return notebooks_dir() / NOTEBOOKS[kind]


def safe_name(text: str) -> str:
    """A file-name-safe form of an id or a name (no ``/``, ``..``, spaces or quotes).

    Characters other than letters, digits, ``-`` and ``_`` become ``_``; when
    anything was replaced, a short hash of the original keeps names distinct.

    Examples
    --------
    >>> safe_name("01016")
    '01016'
    >>> safe_name("../etc/passwd").startswith("etc_passwd-")
    True
    """
    clean = re.sub(r"[^\w\-]+", "_", str(text), flags=re.UNICODE).strip("._")[:80] or "report"
    if clean == str(text):
        return clean
    digest = hashlib.sha1(str(text).encode("utf-8")).hexdigest()[:8]
    return f"{clean}-{digest}"


def _atomic_write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_kernel() -> str:
    """Install the project's kernelspec into this environment when missing; return its name.

    The kernelspec runs ``sys.executable -m ipykernel_launcher``: the reports
    execute with exactly the packages of this environment.
    """
    from jupyter_client.kernelspec import KernelSpecManager

    ksm = KernelSpecManager()
    try:
        spec = ksm.get_kernel_spec(KERNEL_NAME)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return KERNEL_NAME
    except Exception:  # noqa: BLE001 - missing or broken spec: reinstall
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=KERNEL_NAME, display_name="Python (edu_quality)", prefix=sys.prefix)
    return KERNEL_NAME


def check_parameters(notebook: str | Path, parameters: dict[str, object]) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare.

    Raises
    ------
    ParameterError
        Naming the unknown parameters and the known ones.
    """
    import papermill

    known = papermill.inspect_notebook(str(notebook))
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"Неизвестные параметры отчёта {Path(notebook).name}: {', '.join(unknown)}; "
            f"допустимые: {', '.join(sorted(known))}"
        )


_EXPORTER = None


def export_html(notebook, *, title: str = "") -> str:
    """Export an executed notebook to a self-contained HTML page without code.

    One exporter is built per process and reused.
    """
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        from nbconvert.preprocessors import TagRemovePreprocessor

        _EXPORTER = HTMLExporter(
            template_name="edu_report",
            extra_template_basedirs=[str(Path(__file__).resolve().parents[1] / "templates")],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            anchor_link_text="",
        )
        # cells tagged «remove» (notes for people exploring the notebook) stay out of reports
        _EXPORTER.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={"remove"}, enabled=True), enabled=True)
    resources = {"metadata": {"name": title or "Отчёт"}, "edu_css": CSS,
                 "edu_footer": f"edu_quality · {datetime.now():%d.%m.%Y %H:%M}"}
    body, _ = _EXPORTER.from_notebook_node(notebook, resources=resources)
    return body


@dataclass
class Job:
    """One report to produce."""

    kind: str
    parameters: dict[str, object]
    name: str  # file stem
    title: str


def _kernel_start_failure(exc: BaseException) -> bool:
    text = f"{type(exc).__name__}: {exc}"
    return any(s in text for s in ("Kernel didn't respond", "kernel died", "Kernel died",
                                    "DeadKernelError", "TimeoutError", "failed to start"))


def render_report(job: Job, out_dir: str | Path, *, keep_notebook: bool = True,
                  timeout: int = 600) -> Path:
    """Execute one report notebook with papermill and export its HTML; return the HTML path.

    Raises
    ------
    ParameterError
        An unknown parameter.
    papermill.PapermillExecutionError
        A cell failed (the executed notebook is kept for audit).
    """
    import nbformat
    import papermill

    out_dir = Path(out_dir)
    nb_in = notebook_path(job.kind)
    check_parameters(nb_in, job.parameters)
    kernel = ensure_kernel()
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{job.name}.ipynb"
    fd, tmp = tempfile.mkstemp(prefix=f".{job.name}.", suffix=".ipynb", dir=out_dir)
    os.close(fd)
    try:
        for attempt in range(_RETRIES + 1):
            try:
                papermill.execute_notebook(
                    str(nb_in), tmp, parameters=job.parameters, kernel_name=kernel,
                    progress_bar=False, log_output=False, cwd=str(nb_in.parent),
                    execution_timeout=timeout, report_mode=True,
                )
                break
            except Exception as exc:
                if attempt < _RETRIES and _kernel_start_failure(exc):
                    time.sleep(0.5 * (attempt + 1))
                    continue
                if keep_notebook and Path(tmp).exists() and Path(tmp).stat().st_size:
                    os.replace(tmp, executed)
                raise
        nb = nbformat.read(tmp, as_version=4)
        page = export_html(nb, title=job.title)
        html_path = out_dir / f"{job.name}.html"
        _atomic_write(html_path, page)
        if keep_notebook:
            os.chmod(tmp, 0o644)
            os.replace(tmp, executed)
        return html_path
    finally:
        Path(tmp).unlink(missing_ok=True)


# ------------------------------------------------------------------------ batch


@dataclass
class BatchResult:
    """What a batch did."""

    out_dir: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no report failed."""
        return not self.failed


def _inputs_stamp(data_dir: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(data_dir.iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    for nb in sorted(notebooks_dir().glob("*.ipynb")):
        h.update(nb.read_bytes())
    pkg = Path(__file__).resolve().parents[1]
    for src in sorted(pkg.rglob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()


def plan_jobs(data_dir: str | Path, year: int, municipality: str | None = None) -> list[Job]:
    """Every school and municipality report of a dataset (one municipality if given)."""
    from ..dataset import load_dataset

    data_dir = Path(data_dir).resolve()
    ds = load_dataset(data_dir)
    schools = ds.schools
    if municipality is not None:
        if municipality not in set(schools["municipality"]):
            raise DataError(None, f"муниципалитет «{municipality}» не найден; есть: "
                                  + ", ".join(ds.municipalities))
        schools = schools.loc[schools["municipality"] == municipality]
    jobs = []
    for muni in sorted(schools["municipality"].unique()):
        jobs.append(Job("municipality", {"data_dir": str(data_dir), "municipality": muni,
                                         "year": int(year)},
                        f"municipality_{safe_name(muni)}", f"{muni}: аналитический отчёт"))
    for sid, name in zip(schools["school_id"], schools["name"]):
        jobs.append(Job("school", {"data_dir": str(data_dir), "school_id": sid,
                                   "year": int(year)},
                        f"school_{safe_name(sid)}", f"{name}: отчёт школы"))
    return jobs


def _run_one(job: Job, out_dir: str, keep_notebook: bool, timeout: int) -> tuple[str, str | None]:
    try:
        render_report(job, out_dir, keep_notebook=keep_notebook, timeout=timeout)
        return job.name, None
    except Exception as exc:  # recorded, the batch carries on
        lines = [ln for ln in str(exc).strip().splitlines() if ln.strip()]
        short = next((ln for ln in reversed(lines) if "Error" in ln or "Ошибка" in ln),
                     lines[-1] if lines else type(exc).__name__)
        detail = traceback.format_exc()
        return job.name, json.dumps({"message": short[:500], "detail": detail[-4000:]})


def run_batch(
    data_dir: str | Path,
    year: int,
    out_dir: str | Path,
    *,
    municipality: str | None = None,
    jobs: int = 2,
    force: bool = False,
    keep_notebooks: bool = True,
    timeout: int = 600,
    progress: bool = True,
    plan: Callable[..., list[Job]] = plan_jobs,
) -> BatchResult:
    """Produce every report of a dataset (or one municipality) into ``out_dir``.

    Returns
    -------
    BatchResult
        Names done, skipped (unchanged since the last run) and failed (with
        the error); ``index.html`` and ``manifest.json`` are written to
        ``out_dir``.
    """
    from tqdm.auto import tqdm

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir).resolve()
    all_jobs = plan(data_dir, year, municipality)
    manifest_path = out / "manifest.json"
    old = {}
    if manifest_path.exists():
        try:
            old = json.loads(manifest_path.read_text(encoding="utf-8")).get("reports", {})
        except (OSError, ValueError):
            old = {}
    stamp = _inputs_stamp(data_dir)
    result = BatchResult(out)
    todo = []
    entries: dict[str, dict] = {}
    for job in all_jobs:
        key = hashlib.sha256((stamp + json.dumps(job.parameters, sort_keys=True,
                                                 ensure_ascii=False)).encode()).hexdigest()
        entries[job.name] = {"kind": job.kind, "title": job.title, "parameters": job.parameters,
                             "key": key, "status": "pending", "error": None}
        prev = old.get(job.name, {})
        if (not force and prev.get("key") == key and prev.get("status") == "ok"
                and (out / f"{job.name}.html").exists()):
            entries[job.name]["status"] = "ok"
            result.skipped.append(job.name)
        else:
            todo.append(job)
    ensure_kernel()
    bar = tqdm(total=len(todo), desc="Отчёты", unit="отчёт", disable=not progress)
    try:
        with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(_run_one, job, str(out), keep_notebooks, timeout): job
                       for job in todo}
            for fut in as_completed(futures):
                name, error = fut.result()
                if error is None:
                    entries[name]["status"] = "ok"
                    result.done.append(name)
                else:
                    err = json.loads(error)
                    entries[name].update(status="failed", error=err["message"])
                    result.failed[name] = err["message"]
                    _append_log(out, name, err["detail"])
                bar.update()
                _write_manifest(manifest_path, year, entries)
    finally:
        bar.close()
        _write_manifest(manifest_path, year, entries)
        write_index(out, entries, year)
    return result


def _append_log(out: Path, name: str, detail: str) -> None:
    with (out / "batch.log").open("a", encoding="utf-8") as fh:
        fh.write(f"==== {datetime.now():%Y-%m-%d %H:%M:%S} {name}\n{detail}\n")


def _write_manifest(path: Path, year: int, entries: dict[str, dict]) -> None:
    _atomic_write(path, json.dumps({"year": year, "reports": entries}, ensure_ascii=False,
                                   indent=1))


def write_index(out: Path, entries: dict[str, dict], year: int) -> Path:
    """Write ``index.html`` listing every report with its status."""
    rows = []
    order = sorted(entries.items(), key=lambda kv: (kv[1]["kind"] != "municipality", kv[1]["title"]))
    for name, e in order:
        status = {"ok": "готов", "failed": "ошибка", "pending": "не выполнен"}[e["status"]]
        link = (f'<a href="{html.escape(name)}.html">{html.escape(e["title"])}</a>'
                if e["status"] == "ok" else html.escape(e["title"]))
        err = html.escape(e.get("error") or "")
        cls = {"ok": "eq-low", "failed": "eq-high", "pending": "eq-medium"}[e["status"]]
        rows.append(f'<tr class="{cls}"><td>{link}</td><td>{status}</td><td>{err}</td></tr>')
    failed = sum(e["status"] == "failed" for e in entries.values())
    body = (f"<h1>Отчёты за {year - 1}/{year} учебный год</h1>"
            f"<p>Всего: {len(entries)}; с ошибкой: {failed}.</p>"
            '<table class="eq-table"><thead><tr><th>Отчёт</th><th>Статус</th><th>Ошибка</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    page = (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Отчёты</title>'
            f"<style>{CSS}</style></head><body><main>{body}</main></body></html>")
    path = out / "index.html"
    _atomic_write(path, page)
    return path


def job_summary(result: BatchResult) -> dict[str, object]:
    """A JSON-ready summary of a batch."""
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(result).items()}


def job_for(kind: str, data_dir: str | Path, year: int, *, school_id: str | None = None,
            municipality: str | None = None) -> Job:
    """The job of one report (the ``report school`` / ``report municipality`` commands).

    Raises
    ------
    DataError
        The school or municipality is not in the registry.
    """
    for job in plan_jobs(data_dir, year):
        p = job.parameters
        if job.kind == kind and (p.get("school_id") == school_id if kind == "school"
                                 else p.get("municipality") == municipality):
            return job
    what = (f"школа «{school_id}» не найдена" if kind == "school"
            else f"муниципалитет «{municipality}» не найден")
    raise DataError(None, f"{what} в реестре школ")

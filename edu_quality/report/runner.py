"""Executing the report notebooks: papermill on warm kernels of the project, HTML export
without code, and fault-tolerant batches over every school and municipality.

* Parameters are checked with :func:`papermill.inspect_notebook` before a run
  (once per notebook file): an unknown parameter is refused (papermill itself
  only warns). Papermill injects them as usual: every executed notebook has
  its ``injected-parameters`` cell for audit.
* The kernel is the project's own environment: a kernelspec ``edu-quality``
  pointing at this Python is installed into ``sys.prefix`` when missing, so a
  machine's unrelated ``python3`` kernel is never used.
* Kernels are kept warm and reused from one report to the next
  (:mod:`edu_quality.report.engine`: the papermill engine
  ``edu-quality-warm``, the namespace cleared between reports, the dataset and
  region-wide tables loaded once per kernel). This is what makes a batch fast;
  the module documents the choice and the measured figures.
* HTML is exported in this process by nbconvert with the ``edu_report``
  template and one reused exporter: no input cells, no prompts, no scripts or
  CDN links, images embedded — the file opens offline on its own.
* Every output file is written atomically (a temporary file in the same
  folder, then :func:`os.replace`): a report is either whole or absent.

A batch (:func:`run_batch`) runs reports on ``jobs`` warm kernels with a
progress bar and carries on past every kind of failure — a cell that raises,
a kernel that dies, a report that overruns ``timeout`` (its kernel is killed
and replaced) — recording each with a one-line reason in ``manifest.json``
and ``index.html`` and the full details in ``batch.log``. Reports whose inputs
and parameters did not change since a successful run are skipped (``force``
redoes them), so a re-run completes only what is missing. On SIGINT or SIGTERM
it launches nothing more, kills its kernels, writes ``manifest.json`` and
``index.html`` with the unfinished reports as «не выполнен», and returns with
:attr:`BatchResult.interrupted` set (the command exits 130 or 143).

With ``executor="dask"`` the same batch sends its reports to the workers of a
Dask distributed cluster (:mod:`edu_quality.report.cluster`); everything else
— skipping, the manifest, the index, the log, signals — is unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import html
import json
import os
import queue
import re
import shutil
import signal
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .._checks import check_option, option_error
from .._files import atomic_write
from ..errors import DataError, EduQualityError
from .render import CSS

__all__ = [
    "KERNEL_NAME",
    "NOTEBOOKS",
    "BatchResult",
    "Job",
    "ParameterError",
    "check_parameters",
    "describe_failure",
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
#: Run in every new kernel before its first report: the imports every report needs (the
#: package imports its modules on first use; here they all are, while the batch plans).
_WARMUP = ("import edu_quality, edu_quality.report.sections, edu_quality.plots, "
           "statsmodels.stats.proportion\n"  # imported by the intervals when first computed
           "[getattr(edu_quality, _n) for _n in edu_quality.__all__]")
#: Status of a report in the manifest → its label in ``index.html``.
STATUS_LABELS = {"ok": "готов", "failed": "ошибка", "pending": "не выполнен"}


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
        raise option_error("kind", kind, list(NOTEBOOKS))
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




def ensure_kernel() -> str:
    """Install the project's kernelspec into this environment when missing; return its name.

    The kernelspec runs ``sys.executable -m ipykernel_launcher``: the reports
    execute with exactly the packages of this environment.
    """
    import sys

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


@functools.lru_cache(maxsize=64)
def _known_parameters(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    import papermill

    return tuple(sorted(papermill.inspect_notebook(path)))


def check_parameters(notebook: str | Path, parameters: dict[str, object]) -> None:
    """Refuse parameters the notebook's ``parameters`` cell does not declare.

    The notebook is inspected with :func:`papermill.inspect_notebook` once per
    version of the file.

    Raises
    ------
    ParameterError
        Naming the unknown parameters and the known ones.
    """
    path = Path(notebook).resolve()
    st = path.stat()
    known = _known_parameters(str(path), st.st_mtime_ns, st.st_size)
    unknown = sorted(set(parameters) - set(known))
    if unknown:
        raise ParameterError(
            f"Неизвестные параметры отчёта {path.name}: {', '.join(unknown)}; "
            f"допустимые: {', '.join(known)}"
        )


_EXPORTER = None
_EXPORT_LOCK = threading.Lock()


@functools.cache
def report_exporter_class() -> type:
    """nbconvert's :class:`~nbconvert.exporters.HTMLExporter` without its final HTML re-parse.

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
            self.register_filter("highlight_code", self.filters.get(
                "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)))
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
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
        TagRemovePreprocessor(remove_cell_tags={"remove"}, enabled=True), enabled=True)
    return exporter


def export_resources(title: str = "") -> dict:
    """The resources a report page is rendered with: title, style sheet, footer."""
    return {"metadata": {"name": title or "Отчёт"}, "edu_css": CSS,
            "edu_footer": f"edu_quality · {datetime.now():%d.%m.%Y %H:%M}"}


def export_html(notebook, *, title: str = "") -> str:
    """Export an executed notebook to a self-contained HTML page without code.

    One exporter (:func:`report_exporter`) is built per process and reused (by
    one thread at a time).
    """
    global _EXPORTER
    with _EXPORT_LOCK:
        if _EXPORTER is None:
            _EXPORTER = report_exporter()
        body, _ = _EXPORTER.from_notebook_node(notebook, resources=export_resources(title))
    return body


@dataclass
class Job:
    """One report to produce.

    ``notebook`` names the template explicitly; by default it is the notebook
    of ``kind`` (:data:`NOTEBOOKS`).
    """

    kind: str
    parameters: dict[str, object]
    name: str  # file stem
    title: str
    notebook: str | None = None

    def template(self) -> Path:
        """The notebook this job executes."""
        return Path(self.notebook) if self.notebook else notebook_path(self.kind)


# ------------------------------------------------------------------ one report

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: Errors whose message is written for a methodologist: shown without the class name.
_OWN_ERRORS = {"DataError", "EduQualityError", "ParameterError"}


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(_ANSI.sub("", text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_failure(exc: BaseException) -> str:
    """One line a person understands about why a report failed.

    Examples
    --------
    >>> describe_failure(DataError(None, "школа «X» не найдена в реестре"))
    'школа «X» не найдена в реестре'
    >>> describe_failure(KeyError("year"))
    "KeyError: 'year'"
    """
    from papermill import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        lines = [ln for ln in _ANSI.sub("", str(exc.evalue or "")).splitlines() if ln.strip()]
        value = "; ".join(lines)
        what = value if exc.ename in _OWN_ERRORS and value else (
            f"{exc.ename}: {value}" if value else exc.ename)
        where = f"ячейка [{exc.exec_count}]" if exc.exec_count else "блокнот"
        return _one_line(f"ошибка при выполнении блокнота ({where}): {what}")
    if isinstance(exc, EduQualityError):
        return _one_line("; ".join(ln for ln in str(exc).splitlines() if ln.strip())
                         or type(exc).__name__)
    return _one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def _failure_detail(exc: BaseException) -> str:
    detail = traceback.format_exc() if exc.__traceback__ else repr(exc)
    return _ANSI.sub("", detail)


def render_report(job: Job, out_dir: str | Path, *, keep_notebook: bool = True,
                  timeout: float | None = 600, kernel=None) -> Path:
    """Execute one report notebook with papermill and export its HTML; return the HTML path.

    Parameters
    ----------
    job : Job
    out_dir : str or Path
        Folder of ``<name>.html`` and (``keep_notebook``) the executed
        ``<name>.ipynb``.
    timeout : float, optional
        Seconds the report may take (its kernel is killed on overrun).
    kernel : WarmKernel, optional
        A warm kernel to run on (a batch passes its own); by default a kernel
        is started for this report and shut down after it.

    Raises
    ------
    ParameterError
        An unknown parameter.
    papermill.PapermillExecutionError
        A cell failed (the executed notebook, with its error, is kept for audit).
    KernelDied, ReportTimeout
        The kernel died or the report overran ``timeout`` (what was executed
        so far is kept for audit).
    """
    import nbformat
    import papermill

    from .engine import KernelDied, ReportTimeout, WarmKernel

    out_dir = Path(out_dir)
    nb_in = job.template()
    check_parameters(nb_in, job.parameters)
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / f"{job.name}.ipynb"
    own = kernel is None
    if own:
        kernel = WarmKernel(ensure_kernel(), cwd=nb_in.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{job.name}.", suffix=".ipynb", dir=out_dir)
    os.close(fd)
    try:
        try:
            nb = kernel.run(nb_in, tmp, job.parameters, timeout=timeout)
        except papermill.PapermillExecutionError:
            if keep_notebook and Path(tmp).stat().st_size:
                Path(tmp).chmod(0o644)
                Path(tmp).replace(executed)
            raise
        except (KernelDied, ReportTimeout):
            if keep_notebook and kernel.notebook is not None:
                atomic_write(executed, nbformat.writes(kernel.notebook))
            raise
        nb.metadata.setdefault("papermill", {})["output_path"] = str(executed)
        page = export_html(nb, title=job.title)
        html_path = out_dir / f"{job.name}.html"
        if keep_notebook:
            atomic_write(executed, nbformat.writes(nb))
        atomic_write(html_path, page)
        return html_path
    finally:
        Path(tmp).unlink(missing_ok=True)
        if own:
            kernel.shutdown()


# ------------------------------------------------------------------------ batch


@dataclass
class BatchResult:
    """What a batch did.

    Attributes
    ----------
    done, skipped : list of str
        Report names produced now, and unchanged since the last run.
    failed : dict
        Report name → one-line reason (details in ``batch.log``).
    pending : list of str
        Reports not run because the batch was interrupted.
    interrupted : int or None
        The signal that stopped the batch (``signal.SIGINT``, ``signal.SIGTERM``).
    titles : dict
        Report name → title.
    workers : list of dict
        Per kernel slot (or Dask worker, with its ``worker`` address): reports
        run, kernel starts, peak kernel memory (bytes).
    """

    out_dir: Path
    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    interrupted: int | None = None
    titles: dict[str, str] = field(default_factory=dict)
    workers: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every report is done and none failed."""
        return not self.failed and not self.pending and self.interrupted is None


def _inputs_stamp(data_dir: Path, notebooks: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(data_dir.iterdir()):
        if p.is_file():
            st = p.stat()
            h.update(f"{p.name}:{st.st_size}:{st.st_mtime_ns}".encode())
    for nb in sorted({*notebooks_dir().glob("*.ipynb"), *notebooks}):
        if nb.is_file():
            h.update(nb.read_bytes())
    pkg = Path(__file__).resolve().parents[1]
    for src in sorted(pkg.rglob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()


def plan_jobs(data_dir: str | Path, year: int, municipality: str | None = None) -> list[Job]:
    """Every school and municipality report of a dataset (one municipality if given).

    The dataset is loaded (and checked) once per process: a batch hands it to
    its kernels (:func:`~edu_quality.report.cache.share_dataset`).
    """
    from .cache import cached_dataset

    data_dir = Path(data_dir).resolve()
    ds = cached_dataset(data_dir)
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
    for sid, name in zip(schools["school_id"], schools["name"], strict=True):
        jobs.append(Job("school", {"data_dir": str(data_dir), "school_id": sid,
                                   "year": int(year)},
                        f"school_{safe_name(sid)}", f"{name}: отчёт школы"))
    return jobs


class _Stop:
    """The batch's stop flag, set by a signal: kills every kernel of the batch."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None
        self.kernels: list = []

    def __call__(self, signum: int, frame=None) -> None:
        if self.signum is None:
            self.signum = signum
        self.event.set()
        for k in self.kernels:
            k.kill("stop")

    def is_set(self) -> bool:
        return self.event.is_set()


@contextlib.contextmanager
def _signals_stop(stop: _Stop) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` while the batch runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for s in old:
        signal.signal(s, stop)
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def _slot(kernel, start: threading.Event, todo: queue.Queue, results: queue.Queue,
          stop: _Stop, out: Path, keep_notebooks: bool, timeout: float | None,
          stats: dict, prime: dict) -> None:
    """One worker: warm its kernel up, then take jobs until none is left or the batch stops.

    ``prime["code"]``, set by the batch once it has planned, is added to the
    kernel's warm-up (it takes the dataset the batch loaded).
    """
    from .engine import ReportStopped

    try:
        try:
            kernel.start()  # in parallel with the planning of the batch
        except Exception:  # noqa: BLE001 - a report retries the start and records the error
            pass
        start.wait()
        if prime.get("code") and not stop.is_set():
            kernel.extend_warmup(prime["code"])
        while not stop.is_set() and not kernel.stopped:
            try:
                job = todo.get_nowait()
            except queue.Empty:
                break
            try:
                render_report(job, out, keep_notebook=keep_notebooks, timeout=timeout,
                              kernel=kernel)
                results.put((job.name, "ok", None, None))
            except ReportStopped:
                results.put((job.name, "pending", None, None))
            except Exception as exc:  # recorded, the batch carries on
                if stop.is_set():
                    results.put((job.name, "pending", None, None))
                else:
                    results.put((job.name, "failed", describe_failure(exc),
                                 _failure_detail(exc)))
    finally:
        kernel.shutdown()
        stats["workers"] = [{"reports": kernel.reports, "kernel_starts": kernel.starts,
                             "peak_memory": kernel.peak_memory() or 0}]


def _dask_slot(client, start: threading.Event, todo: queue.Queue, results: queue.Queue,
               stop: _Stop, out: Path, keep_notebooks: bool, timeout: float | None,
               stats: dict) -> None:
    """The batch's link to a Dask cluster: submit every job, write back what comes.

    Reports run on the workers (:func:`edu_quality.report.cluster.render_on_worker`);
    their pages come back as bytes and are written here. On a stop, reports not
    yet finished are cancelled, the workers' kernels killed, and the reports
    counted as pending.
    """
    import uuid

    from .cluster import (
        PLUGIN_NAME,
        kernel_plugin,
        kernel_stats,
        kill_kernels,
        render_on_worker,
        warm_up,
    )

    futures: dict = {}
    warming: list = []
    registered = False
    try:
        client.register_plugin(kernel_plugin(), name=PLUGIN_NAME)
        registered = True
        # every worker thread starts a kernel while the batch is planned (the futures are
        # kept: a task whose future is dropped is forgotten by the scheduler)
        warming = [client.submit(warm_up, pure=False, workers=[addr], allow_other_workers=True)
                   for addr, info in client.scheduler_info()["workers"].items()
                   for _ in range(int(info.get("nthreads", 1)))]
        start.wait()
        tag = uuid.uuid4().hex[:8]
        while not stop.is_set():
            try:
                job = todo.get_nowait()
            except queue.Empty:
                break
            future = client.submit(render_on_worker, job, timeout=timeout,
                                   keep_notebook=keep_notebooks, pure=False,
                                   key=f"edu-quality-{job.name}-{tag}")
            futures[future] = job
        remaining = set(futures)
        while remaining and not stop.is_set():
            finished = [f for f in remaining if f.done()]
            if not finished:
                stop.event.wait(0.2)
                continue
            for future in finished:
                remaining.discard(future)
                job = futures[future]
                try:
                    payload = future.result()
                except Exception as exc:  # noqa: BLE001 - a lost worker, a cancelled task
                    results.put((job.name, "failed", "узел кластера: " + describe_failure(exc),
                                 _failure_detail(exc)))
                    continue
                if payload["notebook"] is not None:
                    atomic_write(out / f"{job.name}.ipynb", payload["notebook"])
                if payload["status"] == "ok":
                    atomic_write(out / f"{job.name}.html", payload["html"])
                    results.put((job.name, "ok", None, None))
                else:
                    results.put((job.name, "failed", payload["message"], payload["detail"]))
        if remaining:  # stopped: nothing more is written
            client.cancel([*remaining, *warming], force=True)
            with contextlib.suppress(Exception):
                client.run(kill_kernels)
            for future in remaining:
                results.put((futures[future].name, "pending", None, None))
    finally:
        with contextlib.suppress(Exception):
            stats["workers"] = [{"worker": addr, **s}
                                for addr, s in sorted(client.run(kernel_stats).items())]
        if registered:
            with contextlib.suppress(Exception):
                client.unregister_worker_plugin(PLUGIN_NAME)


def run_batch(
    data_dir: str | Path,
    year: int,
    out_dir: str | Path,
    *,
    municipality: str | None = None,
    jobs: int = 2,
    force: bool = False,
    keep_notebooks: bool = True,
    timeout: float | None = 600,
    progress: bool = True,
    plan: Callable[..., list[Job]] = plan_jobs,
    executor: str = "local",
    scheduler=None,
) -> BatchResult:
    """Produce every report of a dataset (or one municipality) into ``out_dir``.

    Parameters
    ----------
    jobs : int
        Reports run at the same time (one warm kernel each); with
        ``executor="dask"`` and no ``scheduler``, the worker processes of the
        local cluster.
    timeout : float, optional
        Seconds one report may take; an overrunning report fails and its
        kernel is replaced.
    plan : callable
        ``plan(data_dir, year, municipality)`` → the list of :class:`Job`.
    executor : {"local", "dask"}
        Where reports run: warm kernels of this machine, or the workers of a
        Dask distributed cluster (:mod:`edu_quality.report.cluster`: same
        reports, written here; the workers must see ``data_dir`` at the same
        path and have the same edu_quality).
    scheduler : str or distributed.Client, optional
        With ``executor="dask"``: the scheduler's address
        (``tcp://host:8786``) or a connected client; None starts a local
        cluster of ``jobs`` processes for this batch.

    Returns
    -------
    BatchResult
        Names done, skipped (unchanged since the last successful run), failed
        (with a one-line reason) and pending (not run: the batch was
        interrupted). ``index.html`` and ``manifest.json`` are written to
        ``out_dir`` (also when interrupted), failure details to ``batch.log``.
    """
    from tqdm.auto import tqdm

    from .engine import WarmKernel

    check_option("executor", executor, ("local", "dask"))
    if scheduler is not None and executor != "dask":
        raise ValueError("Параметр `scheduler` нужен только с executor='dask'")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data_dir = Path(data_dir).resolve()
    stop = _Stop()
    result = BatchResult(out)
    entries: dict[str, dict] = {}
    manifest_path = out / "manifest.json"
    kernel_name = ensure_kernel() if executor == "local" else ""
    slots: list[tuple[threading.Thread, dict]] = []
    go = threading.Event()
    todo: queue.Queue = queue.Queue()
    results: queue.Queue = queue.Queue()
    bar = None
    completed = False
    close_client: Callable[[], None] | None = None
    prime: dict[str, str] = {}
    handoff: Path | None = None  # the folder of the dataset handed to the kernels
    with _signals_stop(stop), (out / "batch.log").open("a", encoding="utf-8") as log:
        try:
            if executor == "dask":
                from .cluster import check_workers, connect

                client, close_client = connect(scheduler, workers=jobs)
                check_workers(client, data_dir)
                stats: dict = {}
                t = threading.Thread(target=_dask_slot, daemon=True, name="edu-quality-dask",
                                     args=(client, go, todo, results, stop, out, keep_notebooks,
                                           timeout, stats))
                t.start()
                slots.append((t, stats))
            # kernels start and import while the batch is planned
            for _ in range(max(1, jobs) if executor == "local" else 0):
                if stop.is_set():
                    break
                kernel = WarmKernel(kernel_name, cwd=notebooks_dir(), warmup=_WARMUP, output=log)
                stop.kernels.append(kernel)
                stats = {}
                t = threading.Thread(target=_slot, daemon=True, name=f"edu-quality-kernel-{_}",
                                     args=(kernel, go, todo, results, stop, out, keep_notebooks,
                                           timeout, stats, prime))
                t.start()
                slots.append((t, stats))
            if executor == "local":  # papermill imports while the kernels start
                from .engine import register_engine

                register_engine()
            all_jobs = plan(data_dir, year, municipality)
            old = _read_manifest(manifest_path)
            stamp = _inputs_stamp(data_dir, [j.template() for j in all_jobs])
            for job in all_jobs:
                key = hashlib.sha256((stamp + json.dumps(job.parameters, sort_keys=True,
                                                         ensure_ascii=False)).encode()).hexdigest()
                entries[job.name] = {"kind": job.kind, "title": job.title,
                                     "parameters": job.parameters, "key": key,
                                     "status": "pending", "error": None}
                result.titles[job.name] = job.title
                prev = old.get(job.name, {})
                if (not force and prev.get("key") == key and prev.get("status") == "ok"
                        and (out / f"{job.name}.html").exists()):
                    entries[job.name]["status"] = "ok"
                    result.skipped.append(job.name)
                else:
                    todo.put(job)
            n_todo = todo.qsize()
            for kernel in stop.kernels[n_todo:]:  # more slots than reports: not needed
                kernel.kill("stop")
            if executor == "local" and n_todo:
                handoff = Path(tempfile.mkdtemp(prefix="edu-quality-batch-"))
                prime["code"] = _share_with_kernels(data_dir, handoff) or ""
            go.set()
            bar = tqdm(total=n_todo, desc="Отчёты", unit="отчёт", disable=not progress)
            received = 0
            while received < n_todo:
                try:
                    name, status, message, detail = results.get(timeout=0.2)
                except queue.Empty:
                    if not any(t.is_alive() for t, _ in slots):
                        break
                    continue
                received += 1
                _record(entries, result, log, name, status, message, detail)
                bar.update()
                _write_manifest(manifest_path, year, entries)
            completed = True
        finally:
            if not completed:  # an exception or a signal: stop the kernels now
                for kernel in stop.kernels:
                    kernel.kill("stop")
            stop.event.set()  # nothing more is launched; the slots shut their kernels down
            go.set()
            for t, _ in slots:
                t.join(timeout=30)
            for kernel in stop.kernels:  # a slot that did not finish in time
                kernel.kill("stop")
            if bar is not None:
                bar.close()
            while True:  # results that came after the loop
                try:
                    name, status, message, detail = results.get_nowait()
                except queue.Empty:
                    break
                _record(entries, result, log, name, status, message, detail)
            result.interrupted = stop.signum
            result.pending = [n for n, e in entries.items() if e["status"] == "pending"]
            result.workers = [w for _, s in slots for w in s.get("workers", [])]
            if close_client is not None:
                close_client()
            if handoff is not None:
                shutil.rmtree(handoff, ignore_errors=True)
            if result.interrupted is not None:
                _append_log(log, "(пакет)", "", f"прерван сигналом "
                            f"{signal.Signals(result.interrupted).name}; не выполнено: "
                            f"{len(result.pending)}", "")
            if entries:
                _write_manifest(manifest_path, year, entries, interrupted=result.interrupted,
                                workers=result.workers)
                write_index(out, entries, year, interrupted=result.interrupted)
    return result


def _share_with_kernels(data_dir: Path, folder: Path) -> str | None:
    """Code that makes a kernel take the dataset the batch loaded while planning.

    None when the batch did not load it (a plan of its own) or it could not be
    written: the kernels then read the files themselves.
    """
    from .cache import share_dataset

    path = folder / "dataset.pickle"
    try:
        if not share_dataset(data_dir, path):
            return None
    except Exception:  # noqa: BLE001 - an optimisation only: the kernels read the files
        return None
    return ("__import__('edu_quality.report.cache', fromlist=['preload_dataset'])"
            f".preload_dataset({str(data_dir)!r}, {str(path)!r})")


def _record(entries: dict[str, dict], result: BatchResult, log, name: str, status: str,
            message: str | None, detail: str | None) -> None:
    """Record what a slot reported about one report (failures also in ``batch.log``)."""
    entries[name].update(status=status, error=message)
    if status == "ok":
        result.done.append(name)
    elif status == "failed":
        result.failed[name] = message
        _append_log(log, name, entries[name]["title"], message, detail)


def _read_manifest(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("reports", {})
    except (OSError, ValueError):
        return {}


def _append_log(log, name: str, title: str, message: str, detail: str) -> None:
    head = f"==== {datetime.now():%Y-%m-%d %H:%M:%S} {name}"
    if title:
        head += f" «{title}»"
    log.write(f"{head}\n{message}\n{detail}\n")
    log.flush()


def _write_manifest(path: Path, year: int, entries: dict[str, dict], *,
                    interrupted: int | None = None, workers: list | None = None) -> None:
    doc: dict[str, object] = {"year": year, "reports": entries}
    if interrupted is not None:
        doc["interrupted"] = signal.Signals(interrupted).name
    if workers is not None:
        doc["workers"] = workers
    atomic_write(path, json.dumps(doc, ensure_ascii=False, indent=1))


def write_index(out: Path, entries: dict[str, dict], year: int, *,
                interrupted: int | None = None) -> Path:
    """Write ``index.html`` listing every report with its status and the reason of a failure."""
    rows = []
    order = sorted(entries.items(), key=lambda kv: (kv[1]["kind"] != "municipality", kv[1]["title"]))
    for name, e in order:
        status = STATUS_LABELS[e["status"]]
        link = (f'<a href="{html.escape(name)}.html">{html.escape(e["title"])}</a>'
                if e["status"] == "ok" else html.escape(e["title"]))
        err = html.escape(e.get("error") or "")
        cls = {"ok": "eq-low", "failed": "eq-high", "pending": "eq-medium"}[e["status"]]
        rows.append(f'<tr class="{cls}"><td>{link}</td><td>{status}</td><td>{err}</td></tr>')
    failed = sum(e["status"] == "failed" for e in entries.values())
    pending = sum(e["status"] == "pending" for e in entries.values())
    note = ""
    if interrupted is not None:
        note = (f'<p class="eq-warn">Построение прервано ({signal.Signals(interrupted).name}): '
                f"не выполнено отчётов: {pending}. Повторный запуск построит только их.</p>")
    body = (f"<h1>Отчёты за {year - 1}/{year} учебный год</h1>{note}"
            f"<p>Всего: {len(entries)}; с ошибкой: {failed}; не выполнено: {pending}. "
            "Подробности ошибок — в batch.log.</p>"
            '<table class="eq-table"><thead><tr><th>Отчёт</th><th>Статус</th><th>Причина</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    page = (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Отчёты</title>'
            f"<style>{CSS}</style></head><body><main>{body}</main></body></html>")
    path = out / "index.html"
    atomic_write(path, page)
    return path


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

"""One report: what it is, how it is built, and why it failed.

:class:`Job` names a report, :func:`render_report` builds it and
:func:`describe_failure` says in one line why it could not be built.

A report is its notebook executed by papermill on a warm kernel of the
project (:mod:`edu_quality.report.engine`), with its ``injected-parameters``
cell for audit, then exported to HTML without code
(:mod:`edu_quality.report.html`). Every output file is written atomically: a
report is either whole or absent.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from .._checks import check_positive, check_school_year
from .._files import atomic_write
from .._russian import did_you_mean, school_year
from ..errors import DataError, EduQualityError, os_error_text
from .html import export_html
from .notebooks import check_parameters, ensure_kernel, notebook_path

__all__ = [
    "Job",
    "describe_failure",
    "failure_detail",
    "job_for",
    "missing_data",
    "municipality_job",
    "render_report",
    "safe_name",
    "school_job",
]


@dataclass
class Job:
    """One report to produce.

    ``notebook`` names the template explicitly; by default it is the notebook
    of ``kind`` (:data:`~edu_quality.report.notebooks.NOTEBOOKS`).
    ``municipality`` is the municipality the report belongs to (its own, or
    its school's): a batch of one municipality keeps the other
    municipalities' reports in the folder's manifest and index.
    """

    kind: str
    parameters: dict[str, object]
    name: str  # file stem
    title: str
    notebook: str | None = None
    municipality: str | None = None
    no_data: str | None = None  # why the report has nothing to show (a batch records it)

    def template(self) -> Path:
        """The notebook this job executes."""
        return Path(self.notebook) if self.notebook else notebook_path(self.kind)


#: Most bytes (UTF-8) of a name given by :func:`safe_name`. With a prefix such as
#: ``municipality_``, an extension and the suffixes of a temporary file, a file name
#: stays well under the 255 bytes that file systems allow.
MAX_NAME_BYTES = 120
_HASH_CHARS = 16
#: The ending of a name that :func:`safe_name` changed: ``-`` and a hash of the original.
_HASHED = re.compile(rf"-[0-9a-f]{{{_HASH_CHARS}}}\Z")


def safe_name(text: str) -> str:
    """A file-name-safe form of an id or a name, distinct for distinct texts.

    An id of letters, digits, ``-`` and ``_`` (not starting or ending with
    ``_``), at most :data:`MAX_NAME_BYTES` bytes long, is its own name: the
    names of ordinary ids never change. Any other text is made safe
    (characters other than letters, digits, ``-`` and ``_`` become ``_``; cut
    to the byte limit) and gets ``-`` and 16 hex digits of its SHA-256 hash.
    A text that already ends like that is hashed too, so no id can take the
    name of another one: two names are equal only when the texts are (or
    their hashes collide, which a batch refuses, see
    :func:`~edu_quality.report.runner.run_batch`).

    Examples
    --------
    >>> safe_name("01016"), safe_name("школа_1")
    ('01016', 'школа_1')
    >>> safe_name("../etc/passwd").startswith("etc_passwd-")
    True
    >>> safe_name(safe_name("a/b")) != safe_name("a/b")
    True
    >>> len(safe_name("学" * 80).encode()) <= MAX_NAME_BYTES
    True
    """
    text = str(text)
    clean = re.sub(r"[^\w\-]+", "_", text, flags=re.UNICODE).strip("._")
    if text and clean == text and len(text.encode()) <= MAX_NAME_BYTES and not _HASHED.search(text):
        return text
    room = MAX_NAME_BYTES - _HASH_CHARS - 1
    clean = clean.encode()[:room].decode("utf-8", "ignore").rstrip("_") or "report"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    return f"{clean}-{digest}"


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: ``str()`` of an OSError raised in a kernel: its errno, its English text, its path.
_OS_ERROR = re.compile(r"\[Errno (\d+)\] ([^:]+)(?:: '(.*)')?")
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
    >>> describe_failure(FileNotFoundError(2, "No such file or directory", "a.parquet"))
    'файл или папка не найдены (a.parquet)'
    """
    from papermill import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        lines = [ln for ln in _ANSI.sub("", str(exc.evalue or "")).splitlines() if ln.strip()]
        value = "; ".join(lines)
        os_error = _OS_ERROR.fullmatch(value)
        if os_error:  # an OSError in the kernel: in Russian, with its path
            value = os_error_text(OSError(int(os_error[1]), os_error[2], os_error[3]))
        what = (
            value
            if (exc.ename in _OWN_ERRORS or os_error) and value
            else (f"{exc.ename}: {value}" if value else exc.ename)
        )
        where = f"ячейка [{exc.exec_count}]" if exc.exec_count else "блокнот"
        return _one_line(f"ошибка при выполнении блокнота ({where}): {what}")
    if isinstance(exc, OSError) and not isinstance(exc, EduQualityError):
        return _one_line(os_error_text(exc))
    if isinstance(exc, EduQualityError):
        return _one_line(
            "; ".join(ln for ln in str(exc).splitlines() if ln.strip()) or type(exc).__name__
        )
    return _one_line(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def failure_detail(exc: BaseException) -> str:
    """The full details of a failure for ``batch.log``: its traceback, without colours."""
    detail = traceback.format_exc() if exc.__traceback__ else repr(exc)
    return _ANSI.sub("", detail)


def render_report(
    job: Job,
    out_dir: str | Path,
    *,
    keep_notebook: bool = True,
    timeout: float | None = 600,
    kernel=None,
) -> Path:
    """Execute one report notebook with papermill and export its HTML; return the HTML path.

    Parameters
    ----------
    job : Job
        The report.
    out_dir : str or Path
        Folder of ``<name>.html`` and (``keep_notebook``) the executed
        ``<name>.ipynb``.
    keep_notebook : bool
        Keep the executed notebook next to the page (also when it failed).
    timeout : float, optional
        Seconds the report may take (its kernel is killed on overrun); None:
        no limit.
    kernel : WarmKernel, optional
        A warm kernel to run on (a batch passes its own); by default a kernel
        is started for this report and shut down after it.

    Raises
    ------
    ValueError
        ``timeout`` is not a positive number.
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

    if timeout is not None:
        check_positive("timeout", timeout)
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


def _with_list(parameters: dict[str, object], official_list: str | Path | None) -> dict:
    """``parameters`` with ``official_list`` (an absolute path) when a list is given."""
    if official_list:
        parameters["official_list"] = str(Path(official_list).resolve())
    return parameters


def municipality_job(
    data_dir: Path, year: int, municipality: str, official_list: str | Path | None = None
) -> Job:
    """The report of a municipality (``data_dir`` as the kernel will read it).

    ``official_list``: an official list of schools marked by the federal
    objectivity method (:func:`edu_quality.io.read_official_list`) to compare with.
    """
    return Job(
        "municipality",
        _with_list(
            {
                "data_dir": str(data_dir),
                "municipality": municipality,
                "year": check_school_year("year", year),
            },
            official_list,
        ),
        f"municipality_{safe_name(municipality)}",
        f"{municipality}: аналитический отчёт",
        municipality=municipality,
    )


def school_job(
    data_dir: Path,
    year: int,
    school_id: str,
    name: str,
    municipality: str | None = None,
    official_list: str | Path | None = None,
) -> Job:
    """The report of a school (``data_dir`` as the kernel will read it)."""
    return Job(
        "school",
        _with_list(
            {
                "data_dir": str(data_dir),
                "school_id": school_id,
                "year": check_school_year("year", year),
            },
            official_list,
        ),
        f"school_{safe_name(school_id)}",
        f"{name}: отчёт школы",
        municipality=municipality,
    )


def result_years(dataset) -> dict[str, set[int]]:
    """School id → the years it has results in (pupil results or school aggregates)."""
    import pandas as pd

    parts = [
        t[["school_id", "year"]].drop_duplicates()
        for t in (dataset.results, dataset.aggregates)
        if len(t)
    ]
    if not parts:
        return {}
    pairs = pd.concat(parts, ignore_index=True).dropna().drop_duplicates()
    return {
        str(sid): {int(y) for y in years}
        for sid, years in pairs.groupby(pairs["school_id"].astype(str))["year"]
    }


def _years_text(years: set[int] | list[int]) -> str:
    return ", ".join(school_year(y) for y in sorted(years))


def missing_data(
    dataset,
    kind: str,
    year: int | str,
    *,
    school_id: str | None = None,
    municipality: str | None = None,
    years: dict[str, set[int]] | None = None,
) -> str | None:
    """Why a school or municipality report of ``year`` would have nothing to show; None if it has.

    A report has data when its school (for a municipality, one of its schools)
    has results of the year: pupil results or school aggregates. The reason is
    one sentence in Russian naming the school year and the years there are.

    Parameters
    ----------
    dataset : Dataset
    kind : {"school", "municipality"}
    year : int or str
        The school year (:func:`edu_quality._checks.check_school_year`).
    school_id, municipality : str, optional
        The report's school or municipality.
    years : dict, optional
        :func:`result_years` of ``dataset``, when already computed (a batch).

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> from edu_quality import load_dataset
    >>> ds = load_dataset(sample_folder("region"))
    >>> missing_data(ds, "school", 2024, school_id="01001") is None
    True
    >>> missing_data(ds, "municipality", "2018/2019", municipality="г. Заречный")
    'нет результатов за 2018/2019 учебный год: в данных есть 2020/2021, 2021/2022, 2022/2023, 2023/2024'
    """
    year = check_school_year("year", year)
    if years is None:
        years = result_years(dataset)
    every = set().union(*years.values()) if years else set()
    if year not in every:
        there = f"в данных есть {_years_text(every)}" if every else "в данных нет результатов"
        return f"нет результатов за {school_year(year)} учебный год: {there}"
    if kind == "school":
        s = dataset.schools
        names = s.loc[s["school_id"].astype(str) == str(school_id), "name"]
        named = f"«{names.iloc[0]}» ({school_id})" if len(names) else f"«{school_id}»"
        ids, who = [str(school_id)], f"у школы {named}"
    else:
        s = dataset.schools
        ids = s.loc[s["municipality"] == municipality, "school_id"].astype(str).tolist()
        who = f"у школ муниципалитета «{municipality}»"
    own = set().union(*(years.get(i, set()) for i in ids)) if ids else set()
    if year in own:
        return None
    there = f"есть за {_years_text(own)}" if own else "нет ни за один год"
    return f"{who} нет результатов за {school_year(year)} учебный год ({there})"


def job_for(
    kind: str,
    data_dir: str | Path,
    year: int | str,
    *,
    school_id: str | None = None,
    municipality: str | None = None,
    official_list: str | Path | None = None,
) -> Job:
    """The job of one report (the ``report school`` / ``report municipality`` commands).

    ``year`` is a school year as :func:`edu_quality._checks.check_school_year`
    reads it (2024, «2023/2024», «2023/24»). ``official_list`` is read here
    first (:func:`edu_quality.io.read_official_list`), so that a bad file is
    refused before a kernel starts. A report with nothing to show is refused
    too (:func:`missing_data`): no page is made of a year, a school or a
    municipality without results.

    Raises
    ------
    ValueError
        ``year`` is not a school year.
    DataError
        The school or municipality is not in the registry (with the nearest
        names or ids, and a hint at leading zeros lost in Excel), or it has
        no results of the year; the official list cannot be read.
    """
    from .cache import cached_dataset

    year = check_school_year("year", year)
    data_dir = Path(data_dir).resolve()
    if official_list:
        from ..io.official import read_official_list

        read_official_list(official_list)
    dataset = cached_dataset(data_dir)
    schools = dataset.schools
    if kind == "school":
        found = schools.loc[schools["school_id"] == school_id]
        if not len(found):
            hint = did_you_mean(school_id, schools["school_id"])
            raise DataError(
                None,
                f"школа «{school_id}» не найдена в реестре школ" + (f"; {hint}" if hint else ""),
            )
        first = found.iloc[0]
        job = school_job(
            data_dir, year, school_id, first["name"], first["municipality"], official_list
        )
    else:
        if municipality not in set(schools["municipality"]):
            hint = did_you_mean(municipality, dataset.municipalities)
            raise DataError(
                None,
                f"муниципалитет «{municipality}» не найден в реестре школ"
                + (f"; {hint}" if hint else ""),
            )
        job = municipality_job(data_dir, year, municipality, official_list)
    reason = missing_data(dataset, kind, year, school_id=school_id, municipality=municipality)
    if reason is not None:
        raise DataError(None, f"{reason}; отчёт не построен")
    return job

"""``edu-quality report``: one school's or municipality's report, or a whole batch."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .parsing import Parser, examples, positive_int, school_year

__all__ = [
    "add_report_commands",
    "allow_declined_imports",
    "decline_unused_imports",
    "print_folder_pdfs",
    "report_batch",
    "report_one",
]

SCHOOL_EXAMPLE = (
    "edu-quality report school --data dataset --school 01016 --year 2023/2024 --out reports "
    "--xlsx --pdf"
)
MUNICIPALITY_EXAMPLE = (
    'edu-quality report municipality --data dataset --municipality "г. Заречный" '
    "--year 2024 --out reports"
)
BATCH_EXAMPLE = "edu-quality report batch --data dataset --year 2024 --jobs 2 --out reports"


def add_report_commands(commands) -> None:
    """Add ``report`` and its kinds ``school``, ``municipality`` and ``batch`` to ``commands``."""
    rep = commands.add_parser(
        "report",
        help="построить отчёты (HTML без кода) из набора данных",
        description="Построить отчёты: школы, муниципалитета или все сразу (batch).",
        epilog=examples(SCHOOL_EXAMPLE, MUNICIPALITY_EXAMPLE, BATCH_EXAMPLE),
    )
    kinds = rep.add_subparsers(
        title="виды отчётов", dest="kind", metavar="ВИД", parser_class=Parser
    )
    kinds.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--data",
            required=True,
            type=Path,
            metavar="ПАПКА",
            help="папка набора данных (читается load_dataset)",
        )
        p.add_argument(
            "--year",
            required=True,
            type=school_year,
            metavar="ГОД",
            help="учебный год: год его окончания (2024 = 2023/24) или оба года: "
            "«2023/2024», «2023-2024», «2023/24»",
        )
        p.add_argument(
            "--out", required=True, type=Path, metavar="ПАПКА", help="куда записать отчёты"
        )
        p.add_argument(
            "--no-notebooks",
            action="store_true",
            help="не сохранять выполненные блокноты рядом с HTML",
        )
        p.add_argument(
            "--xlsx", action="store_true", help="выгрузить основные таблицы в Excel рядом с отчётом"
        )
        p.add_argument(
            "--docx",
            action="store_true",
            help="записать рядом с отчётом документ Word: для муниципалитета — аналитическую "
            "справку, для школы — краткую сводку",
        )
        p.add_argument(
            "--docx-template",
            type=Path,
            metavar="ФАЙЛ",
            help="свой шаблон Word (.docx с тегами docxtpl) вместо шаблона пакета; в batch — "
            "для справок муниципалитетов (включает --docx)",
        )
        p.add_argument(
            "--pdf",
            action="store_true",
            help="напечатать каждый отчёт в PDF (A4) рядом с HTML: нужен браузер Chromium, "
            "Google Chrome или Microsoft Edge (или пакет WeasyPrint)",
        )
        p.add_argument(
            "--official-list",
            type=Path,
            metavar="ФАЙЛ",
            help="официальный список ОО с признаками необъективности (CSV/XLSX: код ОО, "
            "необязательно работы «4 РУ», «5 МА»…): сравнить с признаками по данным",
        )
        p.add_argument(
            "--timeout",
            type=positive_int,
            default=600,
            metavar="С",
            help="предельное время одного отчёта, секунд (по умолчанию 600)",
        )

    school = kinds.add_parser(
        "school",
        help="отчёт одной школы",
        description="Отчёт одной школы для директора. Школа без результатов за год — "
        "ошибка: отчёт не строится.",
        epilog=examples(SCHOOL_EXAMPLE),
    )
    common(school)
    school.add_argument("--school", required=True, metavar="КОД", help="код ОО")
    school.set_defaults(handler=report_one)
    muni = kinds.add_parser(
        "municipality",
        help="отчёт муниципалитета",
        description="Отчёт муниципалитета с аналитической справкой. Муниципалитет без "
        "результатов за год — ошибка: отчёт не строится.",
        epilog=examples(MUNICIPALITY_EXAMPLE),
    )
    common(muni)
    muni.add_argument("--municipality", required=True, metavar="МО", help="муниципалитет")
    muni.set_defaults(handler=report_one)
    batch = kinds.add_parser(
        "batch",
        help="все отчёты: каждая школа и каждый муниципалитет",
        description="Все отчёты набора данных (или одного муниципалитета) параллельно, с "
        "оглавлением index.html и manifest.json. Неизменившиеся отчёты пропускаются; отчёт "
        "с ошибкой не останавливает остальные (причина — в index.html, подробности — в "
        "batch.log). Ctrl+C или SIGTERM: начатые отчёты прерываются, оглавление записывается, "
        "повторный запуск строит только недостающие. Отчёт школы или муниципалитета без "
        "результатов за год не строится и отмечен «нет данных»; если данных нет ни для "
        "одного отчёта, команда завершается с ошибкой.",
        epilog=examples(BATCH_EXAMPLE),
    )
    common(batch)
    batch.add_argument("--municipality", metavar="МО", help="только этот муниципалитет")
    batch.add_argument(
        "--jobs",
        type=positive_int,
        default=2,
        metavar="N",
        help="сколько отчётов строить одновременно (по ядру Python на каждый; не больше "
        "числа ядер процессора; по умолчанию 2)",
    )
    batch.add_argument("--force", action="store_true", help="пересоздать все отчёты")
    batch.add_argument(
        "--executor",
        choices=("local", "dask"),
        default="local",
        help="где строить отчёты: local — ядра Python этой машины (по "
        "умолчанию), dask — рабочие узлы кластера Dask distributed",
    )
    batch.add_argument(
        "--scheduler",
        metavar="АДРЕС",
        help="адрес планировщика Dask (tcp://узел:8786) для --executor dask; "
        "без него запускается локальный кластер из --jobs процессов",
    )
    batch.add_argument("--quiet", action="store_true", help="без индикатора выполнения")
    batch.set_defaults(handler=report_batch)


def decline_unused_imports() -> None:
    """Keep this command's process from importing what it never uses.

    nbformat (under papermill and nbconvert) imports jsonschema, which, when
    the optional ``rfc3987-syntax`` is installed (JupyterLab brings it),
    builds an Earley parser of the RFC 3987 grammar at import — ≈1.5 s of a
    batch's start on one core — for its «iri» format check; notebook
    validation checks no formats. pandera, when the dataset is checked,
    imports Hypothesis (a test tool, ≈0.5 s) only to offer strategies that
    generate test data. Only this process is affected: the kernels and the
    user's own sessions import as usual. Nothing is changed for a module
    already imported; :func:`allow_declined_imports` undoes it when the command
    was run from another program (``main([...])``), which goes on after it.
    """
    # a declined module's import raises ImportError; declined only before its importer is in
    for name, unless in (("rfc3987_syntax", "jsonschema"), ("hypothesis", "pandera")):
        if unless not in sys.modules and name not in sys.modules:
            sys.modules[name] = None
            _DECLINED.append(name)


#: The modules :func:`decline_unused_imports` declined, for :func:`allow_declined_imports`.
_DECLINED: list[str] = []


def allow_declined_imports() -> None:
    """Let the modules :func:`decline_unused_imports` declined be imported again."""
    while _DECLINED:
        name = _DECLINED.pop()
        if name in sys.modules and sys.modules[name] is None:
            del sys.modules[name]


def report_one(args: argparse.Namespace) -> int:
    """``report school`` and ``report municipality``: one report, stopped cleanly by a signal.

    The report's kernel starts (and imports what reports need) at once, while
    this process checks the request and loads the dataset; the dataset is then
    handed to the kernel (:func:`~edu_quality.report.cache.share_dataset`), which
    does not read the files again. SIGINT (Ctrl+C), SIGTERM or SIGHUP kill the
    report's kernel (no traceback from the kernel client's event loop): the
    command says so in one line and exits ``128 + signal``, leaving no
    temporary file.
    """
    import signal
    import tempfile
    import threading

    from ..report.engine import WarmKernel
    from ..report.notebooks import ensure_kernel, notebook_path
    from ..report.stop import Stop, stop_on_signals

    decline_unused_imports()
    if args.docx_template:  # a template that cannot be read stops before the kernel starts
        from ..report.word import check_template

        check_template(args.docx_template)
    docx = None
    stop = Stop()
    path = job = None
    try:
        with stop_on_signals(stop), tempfile.TemporaryDirectory(prefix="edu-quality-") as tmp:
            kernel = WarmKernel(
                ensure_kernel(), cwd=notebook_path(args.kind).parent, warmup=_warmup(args)
            )
            stop.kernels.append(kernel)
            starting = threading.Thread(target=_start_quietly, args=(kernel,), daemon=True)
            starting.start()  # the kernel starts while the request is checked
            try:
                job, handover = _prepare_report(args, Path(tmp))
            except BaseException:
                kernel.kill("stop")
                raise
            finally:
                starting.join()
            try:
                if handover and not stop.is_set():
                    kernel.extend_warmup(handover)
                if (args.docx or args.docx_template) and not stop.is_set():
                    # before the page: an unknown tag stops the command before the long part
                    from ..report.word import render_docx

                    docx = render_docx(job, args.out, template=args.docx_template)
                if not stop.is_set():
                    # the page's exporter is built while the kernel computes the report
                    threading.Thread(target=_prepare_exporter_quietly, daemon=True).start()
                    path = _render(job, args, kernel)
            finally:
                kernel.shutdown()
    except Exception:
        if stop.signum is None:
            raise
    if stop.signum is not None:
        what = f"отчёт построен: {path}" if path else "отчёт не построен"
        print(
            f"edu-quality: прервано ({signal.Signals(stop.signum).name}): {what}", file=sys.stderr
        )
        return 128 + int(stop.signum)
    print(f"Отчёт: {path}")
    if docx is not None:
        print(f"Документ Word: {docx}")
    if args.pdf:
        from ..report.pdf import html_to_pdf

        print(f"PDF: {html_to_pdf(path)}")
    if args.xlsx:
        from ..report.export import export_xlsx

        print(f"Таблицы Excel: {export_xlsx(job, args.out)}")
    return 0


def _warmup(args: argparse.Namespace) -> str:
    """The warm-up of the report's kernel: what the report will import.

    When the year's region-wide tables are kept from an earlier report of the
    same data (:mod:`~edu_quality.report.table_cache`), the page only reads
    them: the kernel imports what every page needs (``WARMUP_ONE``, ≈0.7 s
    less). Otherwise the report computes them while this process loads the
    dataset: a school report's kernel imports what its page computes with
    (``WARMUP_SCHOOL``), a municipality's imports everything (``WARMUP``: its
    page fits the factor models).
    """
    from ..report.cache import folder_version
    from ..report.notebooks import WARMUP, WARMUP_ONE, WARMUP_SCHOOL
    from ..report.table_cache import REPORT_MIN_N, kept, table_key

    try:
        folder, version = folder_version(args.data)
    except Exception:  # noqa: BLE001 - the request is checked (and refused) after this
        return WARMUP
    key = table_key(folder, version, args.year, REPORT_MIN_N)
    if kept(key):
        return WARMUP_ONE
    return WARMUP_SCHOOL if args.kind == "school" else WARMUP


def _start_quietly(kernel) -> None:
    """Start ``kernel``; a failed start is retried (and reported) by its first report."""
    try:
        kernel.start()
    except Exception:  # noqa: BLE001 - WarmKernel.run starts it again and raises
        pass


def _prepare_exporter_quietly() -> None:
    """Build the HTML exporter; a failure is raised (and reported) by the export itself."""
    from ..report.html import prepare_exporter

    try:
        prepare_exporter()
    except Exception:  # noqa: BLE001 - export_html builds it again and raises
        pass


def _prepare_report(args: argparse.Namespace, tmp: Path) -> tuple:
    """The report's job, and the code that hands the loaded dataset to its kernel (or None).

    Also imports papermill, which executes the report, while the kernel is
    still starting.
    """
    from ..report.cache import share_dataset
    from ..report.job import job_for

    job = job_for(
        args.kind,
        args.data,
        args.year,
        school_id=getattr(args, "school", None),
        municipality=getattr(args, "municipality", None),
        official_list=args.official_list,
    )
    data_dir = job.parameters["data_dir"]
    handover = None
    try:
        if share_dataset(data_dir, tmp / "dataset.pickle", keep=True):
            handover = (
                "__import__('edu_quality.report.cache', fromlist=['preload_dataset'])"
                f".preload_dataset({data_dir!r}, {str(tmp / 'dataset.pickle')!r})"
            )
    except Exception:  # noqa: BLE001 - an optimisation only: the kernel reads the files
        handover = None
    import papermill  # noqa: F401 - imported now, not after the kernel is ready

    return job, handover


def _render(job, args: argparse.Namespace, kernel) -> Path:
    from ..report.job import render_report

    return render_report(
        job,
        args.out,
        keep_notebook=not args.no_notebooks,
        timeout=args.timeout,
        kernel=kernel,
    )


def report_batch(args: argparse.Namespace) -> int:
    """``report batch``: every report, a summary line, the failures one per line."""
    import signal

    from ..report.manifest import refresh_index
    from ..report.runner import cap_jobs, run_batch

    decline_unused_imports()

    if args.docx_template:  # a template that cannot be read stops the batch before it starts
        from ..report.word import check_template

        check_template(args.docx_template)
    if not args.scheduler:
        _, note = cap_jobs(args.jobs)
        if note:
            print(f"edu-quality: {note}", file=sys.stderr)
    result = run_batch(
        args.data,
        args.year,
        args.out,
        municipality=args.municipality,
        jobs=args.jobs,
        force=args.force,
        keep_notebooks=not args.no_notebooks,
        timeout=args.timeout,
        progress=not args.quiet and sys.stderr.isatty(),
        executor="dask" if args.scheduler else args.executor,
        scheduler=args.scheduler,
        official_list=args.official_list,
    )
    index, log = args.out / "index.html", args.out / "batch.log"
    for name, error in result.failed.items():
        title = result.titles.get(name, name)
        print(f"edu-quality: отчёт «{title}» ({name}) не построен: {error}", file=sys.stderr)
    if result.interrupted is not None:
        print(
            f"edu-quality: прервано ({signal.Signals(result.interrupted).name}): готово "
            f"{len(result.done)}, нет данных {len(result.no_data)}, с ошибкой "
            f"{len(result.failed)}, не выполнено "
            f"{len(result.pending)} — повторный запуск построит только недостающие; "
            f"оглавление: {index}",
            file=sys.stderr,
        )
        return 128 + int(result.interrupted)
    nothing = bool(result.no_data) and not (result.done or result.skipped or result.failed)
    if args.xlsx and not nothing:
        from ..report.export import export_batch_xlsx

        print(
            f"Таблицы Excel: {export_batch_xlsx(args.data, args.year, args.out, args.municipality)}"
        )
    if (args.docx or args.docx_template) and not nothing:
        from ..report.word import batch_docx

        written = batch_docx(
            args.data,
            args.year,
            args.out,
            municipality=args.municipality,
            names=set(result.done) | set(result.skipped),
            template=args.docx_template,
        )
        print(f"Документы Word: {len(written)} в {args.out}")
        refresh_index(args.out, args.year)  # the index links them
    print(
        f"Готово: {len(result.done)}, без изменений: {len(result.skipped)}, "
        f"нет данных: {len(result.no_data)}, с ошибкой: {len(result.failed)}. "
        f"Оглавление: {index}"
    )
    if nothing:
        first = next(iter(result.no_data.values()))
        print(f"edu-quality: ошибка: данных нет ни для одного отчёта ({first})", file=sys.stderr)
    if args.pdf and not nothing:
        print_folder_pdfs(args.out, force=args.force)
        refresh_index(args.out, args.year)
    if result.failed:
        print(f"Подробности ошибок: {log}", file=sys.stderr)
    return 0 if result.ok else 1


def print_folder_pdfs(out: Path, *, force: bool = False) -> None:
    """Print every report page of ``out`` to PDF and say where the PDFs are."""
    from ..report.pdf import pdf_for_folder

    done = pdf_for_folder(out, force=force)
    print(
        f"PDF: записано {len(done.written)}, без изменений {len(done.skipped)} — рядом с "
        f"отчётами в {out} (то же имя, что у HTML, с расширением .pdf)"
    )

r"""The ``edu-quality`` command.

Commands are argparse subcommands, one handler each::

    edu-quality import fis-oko --registry schools_registry.xlsx \
        --context context_2022.xlsx --vpr vpr_2020 vpr_2021 vpr_2022 \
        --out dataset [--scales scales_2022.csv] [--strict] [--exclude-invalid-results]
    edu-quality report school --data DIR --school ID --year Y --out DIR [--xlsx]
                              [--official-list FILE]
    edu-quality report municipality --data DIR --municipality M --year Y --out DIR
                                    [--official-list FILE]
    edu-quality report batch --data DIR --year Y [--municipality M] [--jobs N] --out DIR
                             [--executor dask [--scheduler tcp://HOST:8786]]
                             [--official-list FILE]

Errors are one line a person understands and a non-zero exit code (1 for a
problem in the data or the files, 2 for wrong parameters); no traceback
unless the environment variable ``EDU_QUALITY_DEBUG`` is 1, true, yes or да
(:func:`debug_on`). Everything is in Russian, argparse's own texts too
(:data:`ARGPARSE_RU`), every command's ``--help`` ends with an example, a name
or an id not found comes with the nearest ones (and a hint at leading zeros
Excel dropped), operating-system errors name the path. ``--year`` is a school
year as people write it: 2024, «2023/2024», «2023-2024», «2023/24». A school,
municipality or year without results is refused (exit 1, no page); in a batch
such a report is «нет данных», and a batch where no report has data exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["ARGPARSE_RU", "build_parser", "debug_on", "main"]

#: argparse's own texts (its gettext messages, Python 3.10–3.13) in Russian.
ARGPARSE_RU = {
    "usage: ": "использование: ",
    "positional arguments": "позиционные аргументы",
    "options": "параметры",
    "optional arguments": "параметры",
    "show this help message and exit": "показать эту справку и выйти",
    "show program's version number and exit": "показать версию и выйти",
    "%(prog)s: error: %(message)s\n": "%(prog)s: ошибка: %(message)s\n",
    "the following arguments are required: %s": "не указаны обязательные параметры: %s",
    "unrecognized arguments: %s": "неизвестные параметры: %s",
    "argument %(argument_name)s: %(message)s": "параметр %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "недопустимое значение %(value)r (возможны: %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "недопустимое значение %(value)r",
    "expected one argument": "укажите значение",
    "expected at most one argument": "укажите не больше одного значения",
    "expected at least one argument": "укажите хотя бы одно значение",
    "ambiguous option: %(option)s could match %(matches)s": (
        "неоднозначный параметр %(option)s: подходят %(matches)s"
    ),
    "one of the arguments %s is required": "нужен один из параметров %s",
    "not allowed with argument %s": "нельзя указывать вместе с %s",
    "ignored explicit argument %r": "лишнее значение %r",
    "unexpected option string: %s": "неожиданный параметр %s",
    "can't open '%(filename)s': %(error)s": "не удалось открыть «%(filename)s»: %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "неизвестная команда %(parser_name)r (возможны: %(choices)s)"
    ),
    "subcommands": "команды",
}
_ARGPARSE_PLURAL_RU = {
    "expected %s argument": ("укажите %s значение", "укажите %s значения", "укажите %s значений")
}


@contextlib.contextmanager
def _argparse_in_russian():
    """Make argparse speak Russian inside: its gettext texts are those of :data:`ARGPARSE_RU`.

    argparse looks its texts up through the module's own ``_`` and ``ngettext``
    (``from gettext import gettext as _``) at the moment it needs them; they
    are replaced while the parser is built, formats its help or parses, and
    restored after (nesting keeps the outer replacement).
    """
    from ._russian import plural

    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]

    def gettext(message: str) -> str:
        return ARGPARSE_RU.get(message, saved[0](message))

    def ngettext(singular: str, plural_form: str, n: int) -> str:
        forms = _ARGPARSE_PLURAL_RU.get(singular)
        return plural(n, *forms) if forms else saved[1](singular, plural_form, n)

    argparse._, argparse.ngettext = gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class _Formatter(argparse.HelpFormatter):
    """Help with its examples as written: a line starting with two spaces is kept whole."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for line in text.splitlines():
            if line.startswith("  ") or not line.strip():
                out.append(indent + line)
            else:
                out.append(super()._fill_text(line, width, indent))
        return "\n".join(out)


class _Parser(argparse.ArgumentParser):
    """ArgumentParser that speaks Russian (help and errors) and does not exit on an error."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        with _argparse_in_russian():
            super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        with _argparse_in_russian():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        with _argparse_in_russian():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        with _argparse_in_russian():
            return super().format_usage()

    def format_help(self) -> str:
        with _argparse_in_russian():
            return super().format_help()

    def _check_value(self, action, value) -> None:
        # a command or a choice that is not one: say what there is and what was probably meant
        if action.choices is None or value in action.choices:
            return
        from ._russian import did_you_mean

        choices = ", ".join(map(str, action.choices))
        hint = did_you_mean(value, action.choices)
        hint = f"; {hint}" if hint else ""
        if action.nargs == argparse.PARSER:  # a command
            raise argparse.ArgumentError(
                None, f"неизвестная команда «{value}» (есть: {choices}){hint}"
            )
        raise argparse.ArgumentError(
            action, f"недопустимое значение «{value}» (возможны: {choices}){hint}"
        )

    def error(self, message: str) -> None:  # type: ignore[override]
        raise _UsageError(f"{message} (справка: {self.prog} --help)")


class _UsageError(Exception):
    pass


def _positive_int(text: str) -> int:
    """An argparse type: a whole number greater than 0 (a time limit, a number of reports)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» — не целое число") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"должно быть целым числом больше 0, передано {value}")
    return value


def _whole_number(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» — не целое число") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"должно быть целым числом от 0, передано {value}")
    return value


def _school_year(text: str) -> int:
    """An argparse type: a school year, 2024, «2023/2024», «2023-2024» or «2023/24» → 2024."""
    from ._checks import check_school_year

    try:
        return check_school_year("year", text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("Параметр `year`: ")) from None


def debug_on(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``EDU_QUALITY_DEBUG`` asks for tracebacks: 1, true, yes or да (any case).

    Examples
    --------
    >>> [debug_on({"EDU_QUALITY_DEBUG": v}) for v in ("1", "TRUE", "Да", "0", "no", "")]
    [True, True, True, False, False, False]
    >>> debug_on({})
    False
    """
    env = os.environ if environ is None else environ
    return env.get("EDU_QUALITY_DEBUG", "").strip().lower() in {"1", "true", "yes", "да"}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of ``edu-quality``.

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> args = build_parser().parse_args(["import", "fis-oko", "--registry", "r.xlsx",
    ...                                   "--vpr", "a", "b", "--out", "o"])
    >>> args.command, args.source, [str(p) for p in args.vpr], args.strict
    ('import', 'fis-oko', ['a', 'b'], False)
    """
    parser = _Parser(
        prog="edu-quality",
        description="Аналитика программы «500+»: импорт данных и отчёты.",
        epilog=_examples(
            "edu-quality import fis-oko --help",
            "edu-quality report school --data dataset --school 01016 --year 2023/2024 --out reports",
        ),
    )
    commands = parser.add_subparsers(
        title="команды", dest="command", metavar="КОМАНДА", parser_class=_Parser
    )
    commands.required = True
    imp = commands.add_parser(
        "import",
        help="преобразовать исходные файлы в таблицы набора данных (Parquet)",
        description="Преобразовать исходные файлы в таблицы набора данных.",
        epilog=_examples(_IMPORT_EXAMPLE),
    )
    sources = imp.add_subparsers(
        title="источники", dest="source", metavar="ИСТОЧНИК", parser_class=_Parser
    )
    sources.required = True
    fis = sources.add_parser(
        "fis-oko",
        help="выгрузки ФИС ОКО: реестр, анкета, ВПР",
        description="Выгрузки ФИС ОКО (реестр школ, анкета контекстных данных, ВПР в трёх "
        "формах) → таблицы schools, results_vpr, tasks, vpr_absent, staff, "
        "data_quality в папке --out; их читает load_dataset.",
        epilog=_examples(_IMPORT_EXAMPLE),
    )
    fis.add_argument(
        "--registry",
        required=True,
        type=Path,
        metavar="ФАЙЛ",
        help="реестр школ (логин, имя, регион)",
    )
    fis.add_argument(
        "--context",
        type=Path,
        metavar="ФАЙЛ",
        help="анкета «Сбор контекстных данных об ОО» (группы школ, кадры)",
    )
    fis.add_argument(
        "--vpr",
        required=True,
        nargs="+",
        type=Path,
        metavar="ПАПКА",
        help="папки (или файлы) выгрузок ВПР .xlsx",
    )
    fis.add_argument(
        "--out", required=True, type=Path, metavar="ПАПКА", help="куда записать таблицы"
    )
    fis.add_argument(
        "--scales",
        type=Path,
        metavar="ФАЙЛ",
        help="своя шкала перевода баллов в отметки (нужна для 2022)",
    )
    fis.add_argument(
        "--strict",
        action="store_true",
        help="считать ошибкой и неверные значения второстепенных полей (отметка по журналу, пол)",
    )
    fis.add_argument(
        "--exclude-invalid-results",
        action="store_true",
        help="не останавливаться на неверных результатах (балл выше максимума, "
        "неизвестный вариант): исключить их и перечислить в data_quality",
    )
    fis.add_argument(
        "--small-rural-max",
        type=_whole_number,
        default=100,
        metavar="N",
        help="наибольшее число обучающихся малокомплектной сельской школы (по умолчанию 100)",
    )
    fis.add_argument(
        "--groups",
        type=Path,
        metavar="ФАЙЛ",
        help="свои группы школ для сравнения (CSV/XLSX: код ОО, группа, причина): "
        "заменяют выведенные из анкеты, с причиной «задано методистом»",
    )
    fis.add_argument(
        "--workers",
        type=_positive_int,
        default=2,
        metavar="N",
        help="процессов для чтения файлов ВПР (по умолчанию 2)",
    )
    fis.add_argument("--no-cache", action="store_true", help="не использовать кэш")
    fis.add_argument("--quiet", action="store_true", help="без индикатора выполнения")
    fis.set_defaults(handler=_import_fis_oko)
    _add_report_commands(commands)
    return parser


_IMPORT_EXAMPLE = (
    "edu-quality import fis-oko --registry schools_registry.xlsx "
    "--context context_2022.xlsx --vpr vpr_2021 vpr_2022 --out dataset"
)
_SCHOOL_EXAMPLE = (
    "edu-quality report school --data dataset --school 01016 --year 2023/2024 --out reports --xlsx"
)
_MUNICIPALITY_EXAMPLE = (
    'edu-quality report municipality --data dataset --municipality "г. Заречный" '
    "--year 2024 --out reports"
)
_BATCH_EXAMPLE = "edu-quality report batch --data dataset --year 2024 --jobs 2 --out reports"


def _examples(*lines: str) -> str:
    """The epilog of a command's help: «Пример:» and the command lines, kept whole."""
    head = "Пример:" if len(lines) == 1 else "Примеры:"
    return "\n".join([head, *(f"  {line}" for line in lines)])


def _add_report_commands(commands) -> None:
    rep = commands.add_parser(
        "report",
        help="построить отчёты (HTML без кода) из набора данных",
        description="Построить отчёты: школы, муниципалитета или все сразу (batch).",
        epilog=_examples(_SCHOOL_EXAMPLE, _MUNICIPALITY_EXAMPLE, _BATCH_EXAMPLE),
    )
    kinds = rep.add_subparsers(
        title="виды отчётов", dest="kind", metavar="ВИД", parser_class=_Parser
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
            type=_school_year,
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
            "--official-list",
            type=Path,
            metavar="ФАЙЛ",
            help="официальный список ОО с признаками необъективности (CSV/XLSX: код ОО, "
            "необязательно работы «4 РУ», «5 МА»…): сравнить с признаками по данным",
        )
        p.add_argument(
            "--timeout",
            type=_positive_int,
            default=600,
            metavar="С",
            help="предельное время одного отчёта, секунд (по умолчанию 600)",
        )

    school = kinds.add_parser(
        "school",
        help="отчёт одной школы",
        description="Отчёт одной школы для директора. Школа без результатов за год — "
        "ошибка: отчёт не строится.",
        epilog=_examples(_SCHOOL_EXAMPLE),
    )
    common(school)
    school.add_argument("--school", required=True, metavar="КОД", help="код ОО")
    school.set_defaults(handler=_report_one)
    muni = kinds.add_parser(
        "municipality",
        help="отчёт муниципалитета",
        description="Отчёт муниципалитета с аналитической справкой. Муниципалитет без "
        "результатов за год — ошибка: отчёт не строится.",
        epilog=_examples(_MUNICIPALITY_EXAMPLE),
    )
    common(muni)
    muni.add_argument("--municipality", required=True, metavar="МО", help="муниципалитет")
    muni.set_defaults(handler=_report_one)
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
        epilog=_examples(_BATCH_EXAMPLE),
    )
    common(batch)
    batch.add_argument("--municipality", metavar="МО", help="только этот муниципалитет")
    batch.add_argument(
        "--jobs",
        type=_positive_int,
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
    batch.set_defaults(handler=_report_batch)


def _decline_unused_imports() -> None:
    """Keep this command's process from importing what it never uses.

    nbformat (under papermill and nbconvert) imports jsonschema, which, when
    the optional ``rfc3987-syntax`` is installed (JupyterLab brings it),
    builds an Earley parser of the RFC 3987 grammar at import — ≈1.5 s of a
    batch's start on one core — for its «iri» format check; notebook
    validation checks no formats. Only this process is affected: the kernels
    and the user's own sessions import as usual. Nothing is changed when
    jsonschema is already imported.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # «import rfc3987_syntax» → ImportError


def _report_one(args: argparse.Namespace) -> int:
    """``report school`` and ``report municipality``: one report, stopped cleanly by a signal.

    SIGINT (Ctrl+C), SIGTERM or SIGHUP kill the report's kernel (no traceback
    from the kernel client's event loop): the command says so in one line and
    exits ``128 + signal``, leaving no temporary file.
    """
    import signal

    from .report.engine import WarmKernel
    from .report.job import job_for, render_report
    from .report.notebooks import ensure_kernel
    from .report.stop import Stop, stop_on_signals

    _decline_unused_imports()

    job = job_for(
        args.kind,
        args.data,
        args.year,
        school_id=getattr(args, "school", None),
        municipality=getattr(args, "municipality", None),
        official_list=args.official_list,
    )
    stop = Stop()
    path = None
    try:
        with stop_on_signals(stop):
            kernel = WarmKernel(ensure_kernel(), cwd=job.template().parent)
            stop.kernels.append(kernel)
            try:
                if not stop.is_set():
                    path = render_report(
                        job,
                        args.out,
                        keep_notebook=not args.no_notebooks,
                        timeout=args.timeout,
                        kernel=kernel,
                    )
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
    if args.xlsx:
        from .report.export import export_xlsx

        print(f"Таблицы Excel: {export_xlsx(job, args.out)}")
    return 0


def _report_batch(args: argparse.Namespace) -> int:
    import signal

    from .report.runner import cap_jobs, run_batch

    _decline_unused_imports()

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
        from .report.export import export_batch_xlsx

        print(
            f"Таблицы Excel: {export_batch_xlsx(args.data, args.year, args.out, args.municipality)}"
        )
    print(
        f"Готово: {len(result.done)}, без изменений: {len(result.skipped)}, "
        f"нет данных: {len(result.no_data)}, с ошибкой: {len(result.failed)}. "
        f"Оглавление: {index}"
    )
    if nothing:
        first = next(iter(result.no_data.values()))
        print(f"edu-quality: ошибка: данных нет ни для одного отчёта ({first})", file=sys.stderr)
    if result.failed:
        print(f"Подробности ошибок: {log}", file=sys.stderr)
    return 0 if result.ok else 1


def _fmt_int(n: object) -> str:
    return f"{int(n):,}".replace(",", "\u202f")


def _import_fis_oko(args: argparse.Namespace) -> int:
    from .fisoko import import_fisoko

    result = import_fisoko(
        args.registry,
        args.context,
        args.vpr,
        args.out,
        scales=args.scales,
        strict=args.strict,
        invalid_results="exclude" if args.exclude_invalid_results else "raise",
        small_rural_max=args.small_rural_max,
        groups=args.groups,
        cache=not args.no_cache,
        workers=args.workers,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    files = result.files
    seconds = f"{result.seconds:.1f}".replace(".", ",")
    if result.from_cache:
        print(
            f"Исходные файлы не изменились: таблицы в {result.out} актуальны "
            f"(из кэша, {seconds} с)."
        )
    else:
        print(
            f"Импорт ФИС ОКО → {result.out}: {len(files)} файлов ВПР за {seconds} с "
            f"(из кэша {result.cache_hits})."
        )
    header = (
        f"{'файл':<44} {'год':>4} {'класс':>5} {'участн.':>8} {'школ':>5} "
        f"{'отсутств.':>9} {'исключ.':>7} {'журн.':>5} {'предупр.':>8}"
    )
    print(header)
    for r in files.itertuples(index=False):
        grade = f"{r.grade}" if r.grade == r.work_grade else f"{r.grade}({r.work_grade})"
        name = r.file if len(r.file) <= 44 else r.file[:43] + "…"
        print(
            f"{name:<44} {r.year:>4} {grade:>5} {_fmt_int(r.participants):>8} "
            f"{r.schools:>5} {_fmt_int(r.absent):>9} {r.excluded:>7} "
            f"{r.journal_invalid:>5} {r.warnings:>8}"
        )
    q = result.quality_counts
    has = "unreliable_protocols" in files.columns
    unreliable = int(files["unreliable_protocols"].sum()) if has else 0
    if unreliable:
        kept = int(files["unreliable_rows"].sum())
        print(
            f"Недостоверных протоколов (школа × работа с невозможными итоговыми баллами или "
            f"неизвестным вариантом): {_fmt_int(unreliable)}; их результаты "
            f"({_fmt_int(kept)}) сохранены с пометкой unreliable и по умолчанию не "
            "учитываются в анализе — список в data_quality.parquet."
        )
    print(
        f"Итого: участников {_fmt_int(files['participants'].sum())}, отсутствовали "
        f"{_fmt_int(files['absent'].sum())}, исключено результатов с ошибками "
        f"{_fmt_int(files['excluded'].sum())}."
    )
    print(
        f"Качество данных: ошибок {_fmt_int(q.get('ошибка', 0))}, предупреждений "
        f"{_fmt_int(q.get('предупреждение', 0))} (из них отметок по журналу "
        f"{_fmt_int(files['journal_invalid'].sum())}), примечаний "
        f"{_fmt_int(q.get('примечание', 0))} — подробно в data_quality.parquet. "
        "«класс 6(5)»: обучающиеся 6 класса писали работу за 5 класс (осень 2020: "
        "учебный год 2020/21, год 2021, сессия «осень»)."
    )
    return 0


def _one_line(exc: BaseException) -> str:
    from ._russian import plural
    from .errors import DataError

    if isinstance(exc, DataError):
        where = f"{exc.file}: " if exc.file else ""
        first = str(exc.problems[0]) if exc.problems else str(exc)
        text = f"{where}{first}"
        if exc.total > 1:
            text += f" (и ещё {exc.total - 1} в этом файле)"
        if exc.other_files:
            n = len(exc.other_files)
            text += f"; ошибки есть ещё в {n} {plural(n, 'файле', 'файлах', 'файлах')}"
        return " ".join(text.split())
    return " ".join(str(exc).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``edu-quality`` with ``argv`` (the command line by default).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name.

    Returns
    -------
    int
        Exit code: 0 — done, 1 — a problem with the data or the files,
        2 — wrong parameters, 130 — interrupted.

    Examples
    --------
    >>> main(["import", "fis-oko", "--registry", "нет.xlsx", "--vpr", "нет", "--out", "x"])
    1
    """
    from .errors import DataError, EduQualityError, os_error_text

    for stream in (sys.stdout, sys.stderr):
        reconfigure: Callable[..., None] | None = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass
    debug = debug_on()
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        print(f"edu-quality: ошибка в параметрах: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    try:
        return args.handler(args)
    except BrokenPipeError:  # output piped into `head`: not an error
        with contextlib.suppress(OSError):
            sys.stdout = Path(os.devnull).open("w")  # silence the final flush
        return 0
    except DataError as exc:
        if debug:
            raise
        hint = ""
        if not getattr(args, "strict", False) and any(
            p.message.startswith(("балл", "неизвестный вариант", "не указан вариант", "нет баллов"))
            for p in exc.problems
        ):
            hint = (
                " — чтобы исключить такие результаты и перечислить их в data_quality, "
                "добавьте --exclude-invalid-results"
            )
        print(f"edu-quality: ошибка: {_one_line(exc)}{hint}", file=sys.stderr)
        return 1
    except (EduQualityError, ValueError, OSError) as exc:
        if debug:
            raise
        text = _one_line(exc)
        if isinstance(exc, OSError) and not isinstance(exc, EduQualityError):
            text = " ".join(os_error_text(exc).split())  # in Russian, by errno
        print(f"edu-quality: ошибка: {text}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("edu-quality: прервано (SIGINT)", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line, the traceback on request
        if debug:
            raise
        print(
            f"edu-quality: внутренняя ошибка ({type(exc).__name__}: {_one_line(exc)}); "
            "подробности: EDU_QUALITY_DEBUG=1",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

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
    edu-quality explore --data DIR [--port 8866] [--no-browser]

Errors are one line a person understands and a non-zero exit code (1 for a
problem in the data or the files, 2 for wrong parameters); no traceback
unless the environment variable ``EDU_QUALITY_DEBUG`` is 1, true, yes or да
(:func:`~edu_quality.cli.parsing.debug_on`). Everything is in Russian, argparse's own texts too
(:data:`~edu_quality.cli.parsing.ARGPARSE_RU`), every command's ``--help`` ends with an example, a name
or an id not found comes with the nearest ones (and a hint at leading zeros
Excel dropped), operating-system errors name the path. ``--year`` is a school
year as people write it: 2024, «2023/2024», «2023-2024», «2023/24». A school,
municipality or year without results is refused (exit 1, no page); in a batch
such a report is «нет данных», and a batch where no report has data exits 1.

The package holds one module per concern: :mod:`.parsing` (argparse in
Russian, value types), :mod:`.importing`, :mod:`.report` and :mod:`.explore` (a command's
parser and handler each); this module builds the parser and maps errors to
exit codes.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .explore import add_explore_command
from .importing import add_import_command
from .parsing import ARGPARSE_RU, Parser, UsageError, debug_on, examples
from .report import add_report_commands, allow_declined_imports

__all__ = ["ARGPARSE_RU", "build_parser", "debug_on", "main", "run"]


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
    parser = Parser(
        prog="edu-quality",
        description="Аналитика программы «500+»: импорт данных и отчёты.",
        epilog=examples(
            "edu-quality import fis-oko --help",
            "edu-quality report school --data dataset --school 01016 --year 2023/2024 --out reports",
        ),
    )
    commands = parser.add_subparsers(
        title="команды", dest="command", metavar="КОМАНДА", parser_class=Parser
    )
    commands.required = True
    add_import_command(commands)
    add_report_commands(commands)
    add_explore_command(commands)
    return parser


def _one_line(exc: BaseException) -> str:
    from .._russian import plural
    from ..errors import DataError

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
    from ..errors import DataError, EduQualityError, os_error_text

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
    except UsageError as exc:
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
    finally:  # called from another program: the modules declined for the command come back
        allow_declined_imports()


def run() -> None:
    """The ``edu-quality`` command: :func:`main` on the command line, then exit with its code.

    What is still alive at the end is frozen out of the interpreter's last
    garbage collections (:func:`gc.freeze`): with a report's modules and
    dataset loaded, they took ≈0.2 s after the work was done and free nothing
    the command needs — its files are closed and its temporary folders removed
    by the command itself, and ``atexit`` handlers still run.
    """
    import gc

    code = main()
    gc.freeze()
    sys.exit(code)

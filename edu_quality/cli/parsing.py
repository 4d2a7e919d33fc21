"""The command line's parsing: argparse in Russian, its help layout and its value types.

Every command module builds its subcommand with :class:`Parser` and the types
here; a wrong value is a Russian sentence naming the parameter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Mapping

__all__ = [
    "ARGPARSE_RU",
    "Parser",
    "UsageError",
    "argparse_in_russian",
    "debug_on",
    "examples",
    "port",
    "positive_int",
    "school_year",
    "whole_number",
]


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
def argparse_in_russian():
    """Make argparse speak Russian inside: its gettext texts are those of :data:`ARGPARSE_RU`.

    argparse looks its texts up through the module's own ``_`` and ``ngettext``
    (``from gettext import gettext as _``) at the moment it needs them; they
    are replaced while the parser is built, formats its help or parses, and
    restored after (nesting keeps the outer replacement).
    """
    from .._russian import plural

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


class Formatter(argparse.HelpFormatter):
    """Help with its examples as written: a line starting with two spaces is kept whole."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for line in text.splitlines():
            if line.startswith("  ") or not line.strip():
                out.append(indent + line)
            else:
                out.append(super()._fill_text(line, width, indent))
        return "\n".join(out)


class Parser(argparse.ArgumentParser):
    """ArgumentParser that speaks Russian (help and errors) and does not exit on an error."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        with argparse_in_russian():
            super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        """Parse as argparse does, its texts in Russian."""
        with argparse_in_russian():
            return super().parse_args(args, namespace)

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[override]
        """Parse the known arguments as argparse does, its texts in Russian."""
        with argparse_in_russian():
            return super().parse_known_args(args, namespace)

    def format_usage(self) -> str:
        """The usage line in Russian."""
        with argparse_in_russian():
            return super().format_usage()

    def format_help(self) -> str:
        """The help in Russian."""
        with argparse_in_russian():
            return super().format_help()

    def _check_value(self, action, value) -> None:
        # a command or a choice that is not one: say what there is and what was probably meant
        if action.choices is None or value in action.choices:
            return
        from .._russian import did_you_mean

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
        """Raise :class:`UsageError` instead of printing and exiting."""
        raise UsageError(f"{message} (справка: {self.prog} --help)")


class UsageError(Exception):
    """A wrong command line: the message says what and points at ``--help``."""


def positive_int(text: str) -> int:
    """An argparse type: a whole number greater than 0 (a time limit, a number of reports)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» — не целое число") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"должно быть целым числом больше 0, передано {value}")
    return value


def whole_number(text: str) -> int:
    """An argparse type: a whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» — не целое число") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"должно быть целым числом от 0, передано {value}")
    return value


def port(text: str) -> int:
    """An argparse type: a network port, 1–65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"«{text}» — не целое число") from None
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(
            f"порт должен быть от 1 до 65535, передано {value}: например, --port 8866"
        )
    return value


def school_year(text: str) -> int:
    """An argparse type: a school year, 2024, «2023/2024», «2023-2024» or «2023/24» → 2024."""
    from .._checks import check_school_year

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


def examples(*lines: str) -> str:
    """The epilog of a command's help: «Пример:» and the command lines, kept whole.

    Examples
    --------
    >>> print(examples("edu-quality report batch --help"))
    Пример:
      edu-quality report batch --help
    """
    head = "Пример:" if len(lines) == 1 else "Примеры:"
    return "\n".join([head, *(f"  {line}" for line in lines)])

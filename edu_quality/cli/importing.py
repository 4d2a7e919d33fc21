"""``edu-quality import fis-oko``: ФИС ОКО exports → the dataset's tables, with a summary table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .._russian import plural
from .parsing import Parser, examples, positive_int, whole_number

__all__ = ["add_import_command", "import_fis_oko", "print_summary"]

IMPORT_EXAMPLE = (
    "edu-quality import fis-oko --registry schools_registry.xlsx "
    "--context context_2022.xlsx --vpr vpr_2021 vpr_2022 --out dataset"
)


def add_import_command(commands) -> None:
    """Add ``import`` and its source ``fis-oko`` to the subcommands ``commands``."""
    imp = commands.add_parser(
        "import",
        help="преобразовать исходные файлы в таблицы набора данных (Parquet)",
        description="Преобразовать исходные файлы в таблицы набора данных.",
        epilog=examples(IMPORT_EXAMPLE),
    )
    sources = imp.add_subparsers(
        title="источники", dest="source", metavar="ИСТОЧНИК", parser_class=Parser
    )
    sources.required = True
    fis = sources.add_parser(
        "fis-oko",
        help="выгрузки ФИС ОКО: реестр, анкета, ВПР",
        description="Выгрузки ФИС ОКО (реестр школ, анкета контекстных данных, ВПР в трёх "
        "формах) → таблицы schools, results_vpr, tasks, vpr_absent, staff, "
        "data_quality в папке --out; их читает load_dataset.",
        epilog=examples(IMPORT_EXAMPLE),
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
        type=whole_number,
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
        type=positive_int,
        default=2,
        metavar="N",
        help="процессов для чтения файлов ВПР (по умолчанию 2)",
    )
    fis.add_argument("--no-cache", action="store_true", help="не использовать кэш")
    fis.add_argument("--quiet", action="store_true", help="без индикатора выполнения")
    fis.set_defaults(handler=import_fis_oko)


def _fmt_int(n: object) -> str:
    return f"{int(n):,}".replace(",", "\u202f")


def _total(rows: list[dict[str, Any]], column: str) -> int:
    """The sum of a column of the summary rows; a row without it (or with NaN) counts 0."""
    return int(sum(v for r in rows if (v := r.get(column)) is not None and v == v))


def import_fis_oko(args: argparse.Namespace) -> int:
    """Run the import the parsed ``args`` describe and print its summary table.

    Whether the last import's outputs are current is checked first, without
    pandas (:func:`edu_quality.fisoko.plan.cached_import`): then the summary
    comes from the manifest and nothing is read.
    """
    from ..fisoko.plan import cached_import

    options = {
        "scales": args.scales,
        "strict": args.strict,
        "invalid_results": "exclude" if args.exclude_invalid_results else "raise",
        "small_rural_max": args.small_rural_max,
        "groups": args.groups,
    }
    kept = None
    if not args.no_cache:
        kept = cached_import(args.registry, args.context, args.vpr, args.out, **options)
    if kept is not None:
        print_summary(
            kept.rows, kept.quality_counts, out=kept.out, seconds=kept.seconds, from_cache=True
        )
        return 0
    from ..fisoko import import_fisoko

    result = import_fisoko(
        args.registry,
        args.context,
        args.vpr,
        args.out,
        **options,
        cache=not args.no_cache,
        workers=args.workers,
        progress=not args.quiet and sys.stderr.isatty(),
    )
    print_summary(
        result.files.to_dict("records"),
        result.quality_counts,
        out=result.out,
        seconds=result.seconds,
        from_cache=result.from_cache,
        cache_hits=result.cache_hits,
    )
    return 0


def print_summary(
    rows: list[dict[str, Any]],
    quality_counts: dict[str, int],
    *,
    out: Path,
    seconds: float,
    from_cache: bool,
    cache_hits: int = 0,
) -> None:
    """Print the summary table of an import: one line per ВПР file, then the totals.

    Parameters
    ----------
    rows : list of dict
        One summary row per ВПР file (the columns of ``ImportResult.files``).
    quality_counts : dict
        Rows of the data-quality report by severity.
    out : Path
        The output folder.
    seconds : float
        Wall time of the import.
    from_cache : bool
        Whether nothing had changed.
    cache_hits : int
        ВПР files read from the cache.

    Examples
    --------
    >>> row = {"file": "м4.xlsx", "year": 2021, "grade": 5, "work_grade": 4,
    ...        "participants": 1200, "schools": 30, "absent": 100, "excluded": 0,
    ...        "journal_invalid": 0, "warnings": 2}
    >>> import contextlib, io
    >>> shown = io.StringIO()
    >>> with contextlib.redirect_stdout(shown):
    ...     print_summary([row], {"ошибка": 0}, out=Path("ds"), seconds=0.04, from_cache=True)
    >>> lines = shown.getvalue().splitlines()
    >>> lines[0]
    'Исходные файлы не изменились: таблицы в ds актуальны (из кэша, 0,0 с).'
    >>> lines[2].split()[:3]
    ['м4.xlsx', '2021', '5(4)']
    >>> lines[3].replace("\u202f", " ")
    'Итого: участников 1 200, отсутствовали 100, исключено результатов с ошибками 0.'
    >>> with contextlib.redirect_stdout(io.StringIO()) as shown:
    ...     print_summary([row], {}, out=Path("ds"), seconds=2.5, from_cache=False)
    >>> shown.getvalue().splitlines()[0]
    'Импорт ФИС ОКО → ds: 1 файл ВПР за 2,5 с (из кэша 0).'
    """
    shown = f"{seconds:.1f}".replace(".", ",")
    if from_cache:
        print(f"Исходные файлы не изменились: таблицы в {out} актуальны (из кэша, {shown} с).")
    else:
        files = plural(len(rows), "файл", "файла", "файлов")
        print(
            f"Импорт ФИС ОКО → {out}: {len(rows)} {files} ВПР за {shown} с (из кэша {cache_hits})."
        )
    header = (
        f"{'файл':<44} {'год':>4} {'класс':>5} {'участн.':>8} {'школ':>5} "
        f"{'отсутств.':>9} {'исключ.':>7} {'журн.':>5} {'предупр.':>8}"
    )
    print(header)
    for r in rows:
        grade = (
            f"{r['grade']}" if r["grade"] == r["work_grade"] else f"{r['grade']}({r['work_grade']})"
        )
        name = r["file"] if len(r["file"]) <= 44 else r["file"][:43] + "…"
        print(
            f"{name:<44} {r['year']:>4} {grade:>5} {_fmt_int(r['participants']):>8} "
            f"{r['schools']:>5} {_fmt_int(r['absent']):>9} {r['excluded']:>7} "
            f"{r['journal_invalid']:>5} {r['warnings']:>8}"
        )
    q = quality_counts
    unreliable = _total(rows, "unreliable_protocols")
    if unreliable:
        kept = _total(rows, "unreliable_rows")
        print(
            f"Недостоверных протоколов (школа × работа с невозможными итоговыми баллами или "
            f"неизвестным вариантом): {_fmt_int(unreliable)}; их результаты "
            f"({_fmt_int(kept)}) сохранены с пометкой «недостоверный протокол» (столбец "
            "unreliable) и по умолчанию не учитываются в анализе — список в data_quality.parquet."
        )
    print(
        f"Итого: участников {_fmt_int(_total(rows, 'participants'))}, отсутствовали "
        f"{_fmt_int(_total(rows, 'absent'))}, исключено результатов с ошибками "
        f"{_fmt_int(_total(rows, 'excluded'))}."
    )
    print(
        f"Качество данных: ошибок {_fmt_int(q.get('ошибка', 0))}, предупреждений "
        f"{_fmt_int(q.get('предупреждение', 0))} (из них отметок по журналу "
        f"{_fmt_int(_total(rows, 'journal_invalid'))}), примечаний "
        f"{_fmt_int(q.get('примечание', 0))} — подробно в data_quality.parquet. "
        "«класс 6(5)»: обучающиеся 6 класса писали работу за 5 класс (осень 2020: "
        "учебный год 2020/21, год 2021, сессия «осень»)."
    )

"""``edu-quality import fis-oko``: ФИС ОКО exports → the dataset's tables, with a summary table."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .parsing import Parser, examples, positive_int, whole_number

__all__ = ["add_import_command", "import_fis_oko"]

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


def import_fis_oko(args: argparse.Namespace) -> int:
    """Run the import the parsed ``args`` describe and print its summary table."""
    from ..fisoko import import_fisoko

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

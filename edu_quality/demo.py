"""The demo: summarise every sample dataset (``data_samples/``) and build its reports.

Run as ``python -m edu_quality.demo`` (``make demo``): for each sample, a summary
is printed and every school and municipality report of its latest year is built
into ``reports/<sample>/``, with each municipality's аналитическая справка in Word
and every page in PDF beside it; ``reports/index.html`` links them all.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from ._checks import check_option
from .dataset import load_dataset
from .errors import DataError
from .report.render import CSS

__all__ = ["SAMPLES", "main", "sample_folder"]

#: The sample datasets shipped with the package (:func:`sample_folder`).
SAMPLES = ("inta", "region")


def sample_folder(name: str) -> Path:
    """Path of a sample dataset shipped with the package (``edu_quality/data/samples/``).

    Found from the package's own location, never the current folder (the
    source tree's top-level ``data_samples`` is a link to it).

    Examples
    --------
    >>> sample_folder("inta").name
    'inta'
    >>> (sample_folder("region") / "schools.csv").is_file()
    True
    """
    check_option("name", name, SAMPLES)
    return Path(__file__).resolve().parent / "data" / "samples" / name


def reports_folder() -> Path:
    """Where the demo writes: the source tree's ``reports/``, or ``./reports`` when installed.

    An installed package (no ``pyproject.toml`` beside it) writes to ``reports``
    in the current folder, not next to the installed code.
    """
    tree = Path(__file__).resolve().parent.parent
    return tree / "reports" if (tree / "pyproject.toml").is_file() else Path.cwd() / "reports"


def _write_top_index(out: Path, built: dict[str, tuple[int, int, int]]) -> Path:
    rows = "".join(
        f'<li><a href="{html.escape(name)}/index.html">{html.escape(name)}</a>: '
        f"{year - 1}/{year} учебный год, отчётов {n}, с ошибкой {failed}</li>"
        for name, (year, n, failed) in built.items()
    )
    page = (
        f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Отчёты</title>'
        f"<style>{CSS}</style></head><body><main><h1>Отчёты по примерам данных</h1>"
        f"<ul>{rows}</ul></main></body></html>"
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _documents(folder: Path, year: int, out: Path) -> None:
    """The documents handed over, next to the pages: the справки in Word, every page in PDF.

    Without a browser (or WeasyPrint) the PDFs are skipped with one line saying
    what to install: the demo's pages and справки are still there.
    """
    from ._russian import plural
    from .report.manifest import refresh_index
    from .report.pdf import PdfUnavailable, pdf_for_folder
    from .report.word import batch_docx

    docs = batch_docx(folder, year, out, kinds=("municipality",))
    refresh_index(out, year)
    n = len(docs)
    print(f"  Аналитические справки Word: {n} {plural(n, 'файл', 'файла', 'файлов')} в {out}")
    try:
        pdfs = pdf_for_folder(out)
    except PdfUnavailable as exc:
        print(f"  PDF не записаны: {exc}")
        return
    n = len(pdfs.pdfs)
    print(f"  PDF: {n} {plural(n, 'файл', 'файла', 'файлов')} рядом с отчётами в {out}")
    refresh_index(out, year)  # the index links each page's PDF and Word document


def main(argv: list[str] | None = None) -> int:
    """Summarise the samples and build their reports; return the exit code."""
    from .report.runner import run_batch

    parser = argparse.ArgumentParser(
        prog="python -m edu_quality.demo", description="Сводка и отчёты по примерам данных."
    )
    parser.add_argument(
        "samples", nargs="*", help=f"примеры: {', '.join(SAMPLES)} (по умолчанию все)"
    )
    parser.add_argument("--no-reports", action="store_true", help="только сводка, без отчётов")
    parser.add_argument("--jobs", type=int, default=2, help="параллельных процессов")
    parser.add_argument("--out", type=Path, default=reports_folder(), help="куда писать отчёты")
    args = parser.parse_args(argv)
    status = 0
    built: dict[str, tuple[int, int, int]] = {}
    for name in args.samples or SAMPLES:
        if name not in SAMPLES:
            parser.error(f"нет примера «{name}»; есть: {', '.join(SAMPLES)}")
        folder = sample_folder(name)
        try:
            ds = load_dataset(folder)
        except DataError as exc:
            print(f"Ошибка в данных «{name}»:\n{exc}", file=sys.stderr)
            status = 1
            continue
        print(ds.summary())
        print()
        if args.no_reports:
            continue
        year = ds.years[-1]
        result = run_batch(folder, year, args.out / name, jobs=args.jobs)
        n = len(result.done) + len(result.skipped) + len(result.failed)
        built[name] = (year, n, len(result.failed))
        print(
            f"Отчёты «{name}» за {year}: готово {len(result.done)}, без изменений "
            f"{len(result.skipped)}, с ошибкой {len(result.failed)}"
        )
        for job, error in result.failed.items():
            print(f"  {job}: {error}", file=sys.stderr)
        status = status or (0 if result.ok else 1)
        _documents(folder, year, args.out / name)
    if built:
        index = _write_top_index(args.out, built)
        print(f"\nОглавление отчётов: {index}")
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

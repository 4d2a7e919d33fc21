"""Finding the files of a dataset folder: its tables, and the partitions of results folders.

A table is a file named after it (any case; ``.csv``, ``.xlsx`` or
``.parquet``); results may be several ``results*`` files, or folders of
Parquet files partitioned Hive-style by :data:`PARTITION_KEYS`. Hidden files
and folders are left out, and no entry may lead out of the data folder.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from ..errors import DataError
from ..io.limits import inside_folder
from ..io.raw import SUFFIXES
from ..schema import SCHOOLS, TABLES

__all__ = [
    "OPTIONAL",
    "PARTITION_KEYS",
    "find_tables",
    "partitions",
    "result_folders",
    "table_files",
]

#: The optional tables of a dataset folder: file name → table (every table of the data
#: model but the registry and the results, which a folder must have).
OPTIONAL = {
    spec.name: spec for spec in TABLES.values() if spec is not SCHOOLS and spec.name != "results"
}

#: Columns a results folder can be partitioned by (``results_vpr/year=2022/…``): the
#: values :func:`edu_quality.read_results` can fill for a file that lacks the column.
PARTITION_KEYS = ("year", "assessment", "subject", "grade")


def table_files(folder: Path, stem: str, *, prefix: bool = False) -> list[Path]:
    """The files of a table in ``folder`` (``stem`` or, with ``prefix``, ``stem*``), by name.

    An entry that is a symbolic link out of the folder is refused, not followed.
    """
    root = folder.resolve()
    out = []
    for p in sorted(folder.iterdir()):
        if p.name.startswith(("~$", ".")) or p.suffix.lower() not in SUFFIXES:
            continue
        name = p.stem.lower()
        if name == stem or (prefix and name.startswith(stem)):
            out.append(inside_folder(p, root, p.name))
    return out


def result_folders(folder: Path) -> list[Path]:
    """The folders of partitioned results (``results*``) in ``folder``, none leading out of it."""
    root = folder.resolve()
    return [
        inside_folder(p, root, p.name)
        for p in sorted(folder.iterdir())
        if p.is_dir()
        and p.name.lower().startswith("results")
        and not p.name.startswith(("~$", ".", "_"))
    ]


def find_tables(folder: Path) -> dict[str, list[Path]]:
    """The files of every table of ``folder``: table name → paths (results files and folders).

    Raises
    ------
    DataError
        ``schools`` or ``results*`` is missing, or a table other than the
        results has several files.
    """
    found: dict[str, list[Path]] = {"schools": table_files(folder, "schools")}
    found["results"] = table_files(folder, "results", prefix=True) + result_folders(folder)
    for name in OPTIONAL:
        found[name] = table_files(folder, name)
    for name in ("schools", "results"):
        if not found[name]:
            raise DataError(
                folder.name,
                f"в папке нет файла «{name}» (.csv, .xlsx или .parquet): он обязателен",
            )
    for name, paths in found.items():
        if name != "results" and len(paths) > 1:
            raise DataError(
                folder.name,
                f"несколько файлов таблицы «{name}»: {', '.join(p.name for p in paths)} — "
                "оставьте один",
            )
    return found


def _parquet_files(root: Path, base: Path) -> list[Path]:
    """The ``.parquet`` files under the folder ``root``, hidden (``.``, ``_``) parts left out.

    A symbolic link is followed only when it stays inside the data folder
    ``base``; one that leads out of it is refused. A folder reached twice
    (through a link) is read once.
    """
    top = base.resolve()
    seen: set[Path] = set()
    out: list[Path] = []
    stack = [root]
    while stack:
        folder = stack.pop()
        real = folder.resolve()
        if real in seen:
            continue
        seen.add(real)
        for entry in sorted(folder.iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            if entry.is_symlink():
                inside_folder(entry, top, entry.relative_to(base).as_posix())
            if entry.is_dir():
                stack.append(entry)
            elif entry.suffix == ".parquet":
                out.append(entry)
    return sorted(out)


def partitions(root: Path, base: Path) -> list[tuple[Path, dict[str, str], str]]:
    """Parquet files of a folder partitioned Hive-style, each with its partition values.

    Returns (file, {column: value}, name shown in messages), the values decoded
    from the folder names (``subject=%D0%A0…`` → «Р…»).
    """
    out = []
    for path in _parquet_files(root, base):
        rel = path.relative_to(root)
        values: dict[str, str] = {}
        for part in rel.parts[:-1]:
            key, eq, value = part.partition("=")
            if not eq or key not in PARTITION_KEYS:
                raise DataError(
                    root.name,
                    f"папка «{part}» не является разбиением по столбцу (ожидается «столбец=значение», "
                    f"столбцы: {', '.join(PARTITION_KEYS)})",
                )
            values[key] = unquote(value)
        out.append((path, values, path.relative_to(base).as_posix()))
    if not out:
        raise DataError(root.name, "в папке результатов нет файлов Parquet")
    return out

"""The plan of a ФИС ОКО import: its inputs, cache keys, and whether its outputs are current.

What :func:`~edu_quality.fisoko.importer.import_fisoko` does before it reads
anything, in the standard library only (no pandas, NumPy or pandera), so that a
re-import of unchanged files answers in a fraction of a second:
:func:`prepare_import` checks the inputs and finds the ВПР files,
:func:`plan_import` makes the cache keys (:class:`ImportPlan`) and
:func:`unchanged_manifest` returns the manifest of the last import when nothing
changed and every output still has the SHA-256 it recorded. :func:`cached_import`
does all three, as the command ``edu-quality import fis-oko`` does first.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .._files import INCOMPLETE_MARKER, remove_staging, sha256_file
from ..errors import DataError
from ..io.limits import DEFAULT_LIMITS, ReadLimits, inside_folder, regular_file
from ..privacy import pupil_key
from .cache import read_manifest

__all__ = [
    "OUTPUTS",
    "SUMMARY_FIELDS",
    "CachedImport",
    "ImportPlan",
    "cached_import",
    "code_version",
    "digest",
    "plan_import",
    "prepare_import",
    "unchanged_manifest",
    "vpr_files",
]

#: Files written by the import (table → file name in the output folder).
OUTPUTS = {
    "schools": "schools.parquet",
    "results": "results_vpr.parquet",
    "tasks": "tasks.parquet",
    "absent": "vpr_absent.parquet",
    "files": "vpr_files.parquet",
    "staff": "staff.parquet",
    "quality": "data_quality.parquet",
}
_CACHE_DIR = ".cache"
_MANIFEST = "manifest.json"
#: Fields of a row of the ``files`` summary that a manifest's rows must have.
SUMMARY_FIELDS = frozenset(
    ["file", "folder", "layout", "year", "subject", "grade", "work_grade", "participants"]
    + ["schools", "absent", "excluded", "warnings", "journal_invalid", "notes"]
)
#: Modules whose source makes the code version (a module or a package of modules).
_VERSIONED = ("fisoko", "scales", "io", "schema", "privacy", "names", "marks", "exam_years")


def code_version() -> str:
    """A hash of the package's reading code and shipped scales: another version, another cache.

    Reads the source files of :data:`_VERSIONED` (about 0,3 MB), nothing is imported.

    Examples
    --------
    >>> len(code_version())
    16
    """
    from .. import __version__

    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent.parent
    for name in _VERSIONED:
        for p in [package / f"{name}.py", *sorted((package / name).rglob("*.py"))]:
            if p.is_file():
                h.update(p.relative_to(package).as_posix().encode())
                h.update(p.read_bytes())
    data = package / "data" / "vpr_scales.csv"
    if data.exists():
        h.update(data.read_bytes())
    return h.hexdigest()[:16]


def _stat(path: Path | None) -> list[object]:
    if path is None:
        return [None]
    st = path.stat()
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def digest(obj: object) -> str:
    """SHA-256 (hex) of ``obj`` as JSON with sorted keys.

    Examples
    --------
    >>> digest({"b": 1, "a": 2}) == digest({"a": 2, "b": 1})
    True
    """
    return hashlib.sha256(
        json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str).encode()
    ).hexdigest()


def vpr_files(vpr: Iterable[str | Path]) -> list[Path]:
    """The ``.xlsx`` files of the ВПР folders (and the files) given, each folder in order.

    A folder's entry that is a symbolic link out of the folder is refused
    (:func:`edu_quality.io.limits.inside_folder`), not followed.

    Raises
    ------
    DataError
        A folder or file that does not exist, or no ``.xlsx`` at all.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> _ = (folder / "b.xlsx").write_bytes(b""), (folder / "a.XLSX").write_bytes(b"")
    >>> _ = (folder / "~$a.xlsx").write_bytes(b"")  # Excel's lock file
    >>> [p.name for p in vpr_files([folder])]
    ['a.XLSX', 'b.xlsx']
    """
    files: list[Path] = []
    for item in vpr:
        p = Path(item)
        if p.is_dir():
            root = p.resolve()
            files += sorted(
                inside_folder(x, root, x.name)
                for x in p.iterdir()
                if x.suffix.lower() in (".xlsx", ".xlsm") and not x.name.startswith(("~$", "."))
            )
        elif p.is_file():
            files.append(p)
        else:
            raise DataError(p.name, f"папка или файл не найдены: {p}")
    if not files:
        raise DataError(None, "в указанных папках ВПР нет файлов .xlsx")
    return files


@dataclass(frozen=True)
class ImportPlan:
    """What an import needs to find its cache and outputs.

    Attributes
    ----------
    out : Path
        The output folder.
    version : str
        :func:`code_version`.
    options : dict
        The options that change what is read (the pupil key only as a hash).
    key : str
        Digest of the code version, the options and every input's path, size
        and modification time: the same key, the same outputs.
    file_keys : dict
        ВПР file (as ``str``) → digest of the code version, the options, the
        user's scales and the file: the name of its cache entry.
    """

    out: Path
    version: str
    options: dict[str, Any]
    key: str
    file_keys: dict[str, str]

    @property
    def cache_dir(self) -> Path:
        """``out/.cache``."""
        return self.out / _CACHE_DIR

    @property
    def manifest(self) -> Path:
        """The manifest of the last import written (its key, outputs and summary)."""
        return self.cache_dir / _MANIFEST

    def entry(self, f: Path) -> Path:
        """The cache entry of a ВПР file."""
        return self.cache_dir / "vpr" / f"{self.file_keys[str(f)]}.pkl"


def plan_import(
    out: Path,
    registry: Path,
    context: Path | None,
    scales_path: Path | None,
    files: list[Path],
    *,
    strict: bool,
    invalid_results: str,
    small_rural_max: int,
    limits: ReadLimits = DEFAULT_LIMITS,
    groups: Path | None = None,
) -> ImportPlan:
    """The cache keys of an import (see :class:`ImportPlan`).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("r.xlsx", "v.xlsx"):
    ...     _ = (folder / name).write_bytes(b"x")
    >>> plan = plan_import(folder / "out", folder / "r.xlsx", None, None, [folder / "v.xlsx"],
    ...                    strict=False, invalid_results="raise", small_rural_max=100)
    >>> plan.manifest.name, plan.entry(folder / "v.xlsx").parent.name
    ('manifest.json', 'vpr')
    """
    key = pupil_key()
    options = {
        "strict": bool(strict),
        "invalid_results": invalid_results,
        "small_rural_max": int(small_rural_max),
        "limits": asdict(limits),
        "pseudonymize": hashlib.sha256(b"edu-quality-cache:" + key).hexdigest() if key else None,
    }
    version = code_version()
    inputs = {
        "registry": _stat(registry),
        "context": _stat(context),
        "scales": _stat(scales_path),
        "groups": _stat(groups),
        "vpr": [_stat(f) for f in files],
    }
    scales_key = _stat(scales_path)
    return ImportPlan(
        out=out,
        version=version,
        options=options,
        key=digest([version, options, inputs]),
        file_keys={str(f): digest([version, options, scales_key, _stat(f)]) for f in files},
    )


def prepare_import(
    registry: str | Path,
    context: str | Path | None,
    vpr: Iterable[str | Path],
    out: str | Path,
    *,
    scales: str | Path | None = None,
    strict: bool = False,
    invalid_results: str = "raise",
    small_rural_max: int = 100,
    groups: str | Path | None = None,
    limits: ReadLimits | None = None,
) -> tuple[ImportPlan, list[Path]]:
    """Check an import's inputs, create ``out`` and plan the import.

    Every input must be a regular file within ``limits``
    (:func:`edu_quality.io.limits.regular_file`); the ВПР folders are listed
    (:func:`vpr_files`); ``out`` is created and a staging folder left there by
    a killed import is removed, even when the outputs turn out unchanged.

    Returns
    -------
    plan : ImportPlan
    files : list of Path
        The ВПР files, in order.

    Raises
    ------
    DataError
        An input that is missing, no regular file or too large.
    """
    limits = limits or DEFAULT_LIMITS
    registry = Path(registry)
    context = Path(context) if context is not None else None
    scales_path = Path(scales) if scales is not None else None
    groups_path = Path(groups) if groups is not None else None
    for p in (registry, context, scales_path, groups_path):
        if p is not None:
            regular_file(p, p.name, limits)
    files = vpr_files(vpr)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    remove_staging(out)
    plan = plan_import(
        out,
        registry,
        context,
        scales_path,
        files,
        strict=strict,
        invalid_results=invalid_results,
        small_rural_max=small_rural_max,
        limits=limits,
        groups=groups_path,
    )
    return plan, files


def unchanged_manifest(plan: ImportPlan, files: list[Path]) -> dict[str, Any] | None:
    """The manifest of the last import when nothing changed and its outputs are as written.

    Returns None when anything changed (inputs, options, code), the manifest
    is missing or not right (:func:`edu_quality.fisoko.cache.read_manifest`:
    its shape, its own digest, one summary row per ВПР file), an output is
    missing or its SHA-256 is not the one recorded, or the folder holds the
    marker of an import that did not finish.

    Returns
    -------
    dict or None
        ``key``, ``version``, ``outputs`` (file name → size and SHA-256),
        ``files`` (one summary row per ВПР file, in the order of ``files``)
        and ``quality_counts`` (rows of the data-quality report by severity).
    """
    out = plan.out
    if os.path.lexists(out / INCOMPLETE_MARKER):
        return None
    manifest = read_manifest(
        plan.manifest,
        required={f for name, f in OUTPUTS.items() if name != "staff"},
        allowed=set(OUTPUTS.values()),
    )
    if manifest is None or manifest["key"] != plan.key:
        return None
    rows = manifest["files"]
    if len(rows) != len(files) or any(
        not SUMMARY_FIELDS <= set(row) or row["file"] != f.name
        for row, f in zip(rows, files, strict=True)
    ):
        return None
    for fname, record in manifest["outputs"].items():
        path = out / fname
        try:
            if (
                path.is_symlink()
                or not path.is_file()
                or path.stat().st_size != record["size"]
                or sha256_file(path) != record["sha256"]
            ):
                return None
        except OSError:
            return None
    return manifest


@dataclass(frozen=True)
class CachedImport:
    """An import found current (:func:`cached_import`): the summary its manifest recorded.

    Attributes
    ----------
    out : Path
        The output folder.
    written : dict
        Table → path of its file (see :data:`OUTPUTS`).
    rows : list of dict
        One summary row per ВПР file (the columns of ``ImportResult.files``).
    quality_counts : dict
        Rows of the data-quality report by severity.
    seconds : float
        Wall time of the check.
    """

    out: Path
    written: dict[str, Path]
    rows: list[dict[str, Any]]
    quality_counts: dict[str, int]
    seconds: float


def cached_import(
    registry: str | Path,
    context: str | Path | None,
    vpr: Iterable[str | Path],
    out: str | Path,
    **options: Any,
) -> CachedImport | None:
    """The last import's outputs when nothing changed since, or None: then import.

    :func:`prepare_import` (same arguments) and :func:`unchanged_manifest`,
    without importing pandas: what ``edu-quality import fis-oko`` does first.

    Raises
    ------
    DataError
        As :func:`prepare_import`.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in ("r.xlsx", "v.xlsx"):
    ...     _ = (folder / name).write_bytes(b"x")
    >>> cached_import(folder / "r.xlsx", None, [folder / "v.xlsx"], folder / "out") is None
    True
    """
    start = time.perf_counter()
    plan, files = prepare_import(registry, context, vpr, out, **options)
    manifest = unchanged_manifest(plan, files)
    if manifest is None:
        return None
    outputs = set(manifest["outputs"])
    return CachedImport(
        out=plan.out,
        written={n: plan.out / f for n, f in OUTPUTS.items() if f in outputs},
        rows=manifest["files"],
        quality_counts=manifest["quality_counts"],
        seconds=time.perf_counter() - start,
    )

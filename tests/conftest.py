"""Shared fixtures: the Agg backend, closed figures, a seeded generator, file writers, a Dask
cluster. Shared constants and helpers are in ``_helpers.py``."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("EDU_QUALITY_PUPIL_KEY", None)
# the region-wide report tables go to a cache of the test run, never the user's
# (removed when the run ends: a run leaves no cache behind)
if "EDU_QUALITY_CACHE" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["EDU_QUALITY_CACHE"] = tempfile.mkdtemp(prefix="eq-cache-")
    atexit.register(shutil.rmtree, os.environ["EDU_QUALITY_CACHE"], ignore_errors=True)

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20240901)


@pytest.fixture
def write(tmp_path):
    """Write text to a file in tmp_path with the given encoding; return the path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write


@pytest.fixture
def write_xlsx(tmp_path):
    """Write rows (lists) to an xlsx sheet with openpyxl; return the path."""

    def _write(name: str, rows: list[list[object]], sheet: str = "Лист1", **extra_sheets):
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = sheet
        for row in rows:
            ws.append(row)
        for title, spec in extra_sheets.items():
            other = wb.create_sheet(title)
            for row in spec.get("rows", []):
                other.append(row)
            if spec.get("hidden"):
                other.sheet_state = "hidden"
        path = tmp_path / name
        wb.save(path)
        return path

    return _write


@pytest.fixture(scope="session")
def dask_cluster():
    """A two-worker ``distributed.LocalCluster`` (separate processes) for the whole session."""
    distributed = pytest.importorskip("distributed")

    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    )
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def dask_client(dask_cluster):
    """A client of :func:`dask_cluster`, closed after the test."""
    import distributed

    with distributed.Client(dask_cluster) as client:
        yield client


@pytest.fixture(scope="session")
def altai_folder(tmp_path_factory):
    """The real region's 2020/21 ВПР imported once per session (as the README's «Real data»).

    Skips when the folder of real data is not beside the project.
    """
    from _helpers import ALTAI

    if not (ALTAI / "vpr_2021").is_dir():
        pytest.skip(f"нет папки с реальными данными {ALTAI}")
    from edu_quality.fisoko import import_fisoko

    out = tmp_path_factory.mktemp("altai")
    import_fisoko(
        ALTAI / "schools_registry.xlsx",
        ALTAI / "context_2022.xlsx",
        [ALTAI / "vpr_2020", ALTAI / "vpr_2021"],
        out,
        invalid_results="exclude",
        progress=False,
    )
    return out

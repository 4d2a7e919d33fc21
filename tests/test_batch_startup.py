"""What makes a batch start fast: light imports, the dataset loaded once and handed to the
kernels, warm-up code that survives a kernel restart."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import nbformat
import pytest
from _helpers import SAMPLES

import edu_quality as eq
from edu_quality.report import cache
from edu_quality.report.engine import WarmKernel
from edu_quality.report.runner import Job, ensure_kernel, plan_jobs, run_batch

pytestmark = pytest.mark.slow  # starts Jupyter kernels


@pytest.fixture
def inta_copy(tmp_path):
    folder = tmp_path / "inta"
    shutil.copytree(SAMPLES / "inta", folder)
    return folder


def test_batch_process_does_not_import_the_analytics():
    code = (
        "import sys, edu_quality.report.runner, edu_quality.dataset, edu_quality.report; "
        "print(sorted(m for m in ('statsmodels', 'scipy', 'matplotlib', 'seaborn') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_package_names_resolve_on_first_use():
    assert set(eq.__all__) <= set(dir(eq))
    for name in eq.__all__:
        assert getattr(eq, name) is not None
    from edu_quality import metrics, summarize

    assert summarize is metrics.summarize
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        eq.nope  # noqa: B018


def test_shared_dataset_is_taken_as_the_batch_read_it(inta_copy, tmp_path):
    handoff = tmp_path / "dataset.pickle"
    assert not cache.share_dataset(inta_copy, handoff)  # not loaded here: nothing is written
    loaded = cache.cached_dataset(inta_copy)
    assert cache.cached_dataset(inta_copy) is loaded
    assert cache.share_dataset(inta_copy, handoff) and handoff.stat().st_size
    assert cache.preload_dataset(inta_copy, handoff)
    taken = cache.cached_dataset(inta_copy)  # from the file, not read again
    assert taken is not loaded and taken.schools.equals(loaded.schools)
    assert taken.results.equals(loaded.results)

    key = str(inta_copy.resolve())
    try:
        assert cache.share_dataset(inta_copy, handoff)
        pinned = cache._PINNED[key]
        staff = inta_copy / "staff.csv"
        staff.write_bytes(staff.read_bytes() + b"\n")  # the folder changed after the hand-over
        # the batch's snapshot is taken all the same: its pages come from one version
        assert cache.preload_dataset(inta_copy, handoff)
        assert cache.folder_version(inta_copy)[1] == pinned
        assert not cache.preload_dataset(SAMPLES / "region", handoff)  # another folder
    finally:
        cache._PINNED.pop(key, None)
    assert cache.folder_version(inta_copy)[1] != pinned


def test_extra_warmup_runs_now_and_after_a_restart(tmp_path):
    probe = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('tag: str = ""')
    params.metadata["tags"] = ["parameters"]
    probe.cells = [
        params,
        nbformat.v4.new_code_cell('import os\nos.environ.get("EQ_PROBE", "none")'),
    ]
    path = tmp_path / "probe.ipynb"
    nbformat.write(probe, path)

    def seen(nb) -> str:
        return nb.cells[-1].outputs[0]["data"]["text/plain"]

    with WarmKernel(ensure_kernel(), cwd=tmp_path) as kernel:
        kernel.start()
        kernel.extend_warmup("raise RuntimeError('optional code may fail')")
        kernel.extend_warmup("__import__('os').environ['EQ_PROBE'] = 'warm'")
        assert seen(kernel.run(path, None, {"tag": "a"})) == "'warm'"
        kernel.kill("timeout")  # the kernel is gone; the next report starts a new one
        assert seen(kernel.run(path, None, {"tag": "b"})) == "'warm'"
        assert kernel.starts == 2


def test_batch_kernels_take_the_dataset_the_batch_loaded(inta_copy, tmp_path, monkeypatch):
    # a temporary folder of the test's own: other batches on the machine make theirs elsewhere
    private = tmp_path / "temp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    probe = tmp_path / "probe.ipynb"
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('data_dir: str = ""\nschool_id: str = ""\nyear: int = 0')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            textwrap.dedent("""\
        from IPython.display import HTML
        from edu_quality.report import cache
        HTML(f"<p id='probe'>taken={len(cache._DATASETS)}</p>")""")
        ),
    ]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, probe)

    def plan(data_dir, year, municipality):
        jobs = [j for j in plan_jobs(data_dir, year, municipality) if j.kind == "school"][:2]
        return [Job(j.kind, j.parameters, j.name, j.title, notebook=str(probe)) for j in jobs]

    def handoffs() -> set[str]:
        return {
            p.name
            for p in Path(tempfile.gettempdir()).iterdir()
            if p.name.startswith("edu-quality-batch-")
        }

    before = handoffs()
    assert not before
    out = tmp_path / "reports"
    result = run_batch(inta_copy, 2022, out, jobs=2, progress=False, plan=plan)
    assert result.ok and len(result.done) == 2
    for name in result.done:  # each kernel had the dataset before any report read a file
        assert "taken=1" in (out / f"{name}.html").read_text(encoding="utf-8")
    # the hand-over folder is removed with the batch
    assert not handoffs()

    fixed = [
        Job(
            "school",
            {"data_dir": str(inta_copy), "school_id": "INT08", "year": 2022},
            "probe",
            "Проба",
            notebook=str(probe),
        )
    ]
    own = run_batch(
        inta_copy, 2022, tmp_path / "own", jobs=1, progress=False, plan=lambda *_: fixed
    )
    assert own.ok  # a plan that loads nothing hands nothing over: the report reads the files
    assert "taken=0" in (tmp_path / "own" / "probe.html").read_text(encoding="utf-8")


def test_report_commands_decline_the_iri_grammar_and_still_validate_notebooks():
    code = textwrap.dedent("""\
        import sys
        from edu_quality.cli.report import decline_unused_imports
        decline_unused_imports()
        import nbformat, papermill  # noqa: F401
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
        nbformat.validate(nb)
        bad = nbformat.from_dict({**nb, "cells": [{"cell_type": "nope"}]})
        try:
            nbformat.validate(bad)
        except nbformat.ValidationError:
            print("refused")
        print(sys.modules.get("rfc3987_syntax", "absent"))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["refused", "None"]

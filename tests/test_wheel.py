"""The package as a user installs it: a wheel in a fresh environment, run outside the checkout.

The report commands must find their notebooks and the sample datasets inside the installed
package, and run the reports in a kernel of that environment, not of the one the tests run in.
The environment reuses this one's dependencies (a ``.pth`` file pointing at its
site-packages), so nothing is downloaded for it.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from edu_quality.report.notebooks import KERNEL_NAME

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
#: Left out of the copy the wheel is built from (caches, outputs, this machine's venv).
IGNORE = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
    "reports",
)


#: The environment of the commands: nothing of the checkout's on the path, no Jupyter folders.
CLEAN_ENV = {
    k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("JUPYTER")
}


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", CLEAN_ENV)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


def build_wheel(dist: Path, tmp: Path) -> Path:
    """Build the wheel from a copy of the source tree (the build writes next to the sources).

    With this environment's build backend when it is recent enough for ``pyproject.toml``;
    otherwise pip builds in an isolated environment with the backend the project declares.
    """
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=IGNORE)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, src]
    done = run([*cmd, "--no-build-isolation"])
    if done.returncode != 0:
        done = run(cmd)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = dist.glob("edu_quality-*.whl")
    return wheel


def make_venv(venv: Path, wheel: Path) -> Path:
    """A virtual environment with the wheel and, through a ``.pth`` file, our dependencies."""
    done = run([sys.executable, "-m", "venv", "--without-pip", venv])
    assert done.returncode == 0, done.stderr
    python = venv / "bin" / "python"
    # installed before the .pth exists: pip sees an environment without edu_quality
    done = run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            python,
            "install",
            "--no-deps",
            "--no-index",
            "-q",
            wheel,
        ]
    )
    assert done.returncode == 0, done.stderr[-3000:]
    purelib = run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    (Path(purelib.stdout.strip()) / "_project_dependencies.pth").write_text(
        "".join(f"{p}\n" for p in site.getsitepackages()), encoding="utf-8"
    )
    # the dependencies' data files (nbconvert's base templates) are in our environment's
    # share/, where installing them puts them: linked into the new one's
    templates = Path(sys.prefix) / "share" / "jupyter" / "nbconvert"
    (venv / "share" / "jupyter").mkdir(parents=True)
    (venv / "share" / "jupyter" / "nbconvert").symlink_to(templates, target_is_directory=True)
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("wheel")
    wheel = build_wheel(tmp / "dist", tmp)
    venv = tmp / "venv"
    python = make_venv(venv, wheel)
    env = dict(CLEAN_ENV)
    # a kernelspec of the same name in the user's Jupyter folder, starting the Python of the
    # environment the tests run in: another venv of the same interpreter, never to be used
    decoy = tmp / "jupyter-user" / "kernels" / KERNEL_NAME
    decoy.mkdir(parents=True)
    (decoy / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "another environment",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    env["JUPYTER_DATA_DIR"] = str(decoy.parents[1])
    return python, env


def test_installed_package_holds_its_notebooks_and_samples(installed, tmp_path):
    python, env = installed
    code = (
        "import edu_quality, json; from edu_quality.demo import sample_folder; "
        "from edu_quality.report.notebooks import notebooks_dir; "
        "print(json.dumps([edu_quality.__file__, str(notebooks_dir()), "
        "str(sample_folder('inta')), str(sample_folder('region'))]))"
    )
    done = run([python, "-c", code], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    package, notebooks, inta, region = (Path(p) for p in json.loads(done.stdout))
    venv = python.parent.parent
    assert package.is_relative_to(venv), package  # the wheel's code, not the checkout's
    assert notebooks == package.parent / "notebooks"
    assert {p.name for p in notebooks.glob("*.ipynb")} == {
        "school_report.ipynb",
        "municipality_report.ipynb",
        "region_factors.ipynb",
        "explore.ipynb",
    }
    for sample in (inta, region):
        assert sample.is_relative_to(package.parent) and (sample / "README.md").is_file()
    assert (region / "results_vpr.csv").is_file() and (inta / "schools.xlsx").is_file()


def test_report_command_of_the_installed_package(installed, tmp_path):
    python, env = installed
    venv = python.parent.parent
    inta = next(venv.glob("lib/python*/site-packages/edu_quality/data/samples/inta"))
    work = tmp_path / "elsewhere"  # not the checkout, not the package
    work.mkdir()
    done = run(
        [
            venv / "bin" / "edu-quality",
            "report",
            "school",
            "--data",
            inta,
            "--school",
            "INT06",
            "--year",
            "2022",
            "--out",
            "out",
            "--timeout",
            "300",
        ],
        cwd=work,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    page = work / "out" / "school_INT06.html"
    assert page.is_file() and "Отчёт:" in done.stdout
    text = page.read_text(encoding="utf-8")
    assert "<table" in text and "Traceback" not in text
    # the report ran in this environment's kernel: its spec was installed here, in spite of the
    # user's spec of the same name starting another environment's Python
    spec = json.loads(
        (venv / "share" / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json").read_text(
            encoding="utf-8"
        )
    )
    assert spec["argv"][0] == str(python)

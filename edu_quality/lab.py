"""JupyterLab on the project's kernel with the report notebooks open: ``make lab``.

Run as ``python -m edu_quality.lab``: the kernelspec ``edu-quality`` is installed
into this environment when missing (:func:`edu_quality.report.notebooks.ensure_kernel`),
then JupyterLab starts on 127.0.0.1 with that kernel as the default and a
working folder as its root (:func:`prepare_workspace`): ``lab/`` beside the
source tree's ``notebooks/`` (``./edu_quality_lab`` for an installed package),
holding the user's own copies of the notebooks. The package's notebooks are the
templates the report commands run: saving a notebook in JupyterLab changes the
copy, never a template (nor the reports built from it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

__all__ = ["lab_command", "main", "prepare_workspace", "workspace_folder"]

#: The sample dataset the package's notebooks read by default (relative to their folder).
_DEFAULT_DATA = "../data/samples/region"


def workspace_folder() -> Path:
    """Where ``make lab`` keeps the user's notebooks: ``lab/`` of the source tree, else ``./edu_quality_lab``.

    Examples
    --------
    >>> workspace_folder().name in {"lab", "edu_quality_lab"}
    True
    """
    tree = Path(__file__).resolve().parent.parent
    if (tree / "pyproject.toml").is_file():
        return tree / "lab"
    return Path.cwd() / "edu_quality_lab"


def prepare_workspace(folder: str | Path | None = None) -> list[Path]:
    """Copy the package's notebooks into ``folder`` where they are not there yet.

    A copy already in the folder is never overwritten (it is the user's work).
    The copies read the sample region by default, as the templates do: their
    ``data_dir`` parameter is made absolute, so they run from any folder.

    Parameters
    ----------
    folder : path, optional
        The working folder (default :func:`workspace_folder`); created if missing.

    Returns
    -------
    list of Path
        The notebooks copied now.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     first = prepare_workspace(d)
    ...     again = prepare_workspace(d)
    >>> sorted(p.name for p in first)[:2], again
    (['explore.ipynb', 'municipality_report.ipynb'], [])
    """
    from .report.notebooks import notebooks_dir

    source = notebooks_dir()
    target = Path(folder) if folder is not None else workspace_folder()
    target.mkdir(parents=True, exist_ok=True)
    samples = (source / _DEFAULT_DATA).resolve()
    copied = []
    for nb in sorted(source.glob("*.ipynb")):
        dest = target / nb.name
        if dest.exists():
            continue
        text = nb.read_text(encoding="utf-8")
        if _DEFAULT_DATA in text:
            # the path as a JSON string inside the notebook's JSON: escaped twice
            text = text.replace(json.dumps(_DEFAULT_DATA)[1:-1], json.dumps(str(samples))[1:-1])
            dest.write_text(text, encoding="utf-8")
        else:
            shutil.copyfile(nb, dest)
        copied.append(dest)
    return copied


def lab_command(
    port: int = 8888, *, browser: bool = True, root: str | Path | None = None
) -> list[str]:
    """The command that starts JupyterLab (a list for :func:`subprocess.run`).

    ``root`` is the folder JupyterLab opens (default :func:`workspace_folder`).

    Examples
    --------
    >>> cmd = lab_command(9000, browser=False)
    >>> cmd[1:4], "--ip=127.0.0.1" in cmd, "--port=9000" in cmd
    (['-m', 'jupyterlab', '--ip=127.0.0.1'], True, True)
    """
    from .report.notebooks import KERNEL_NAME

    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root if root is not None else workspace_folder()}",
        f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}",
    ]
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # a container's root: Jupyter refuses it
        cmd.append("--allow-root")
    return cmd


def main(argv: list[str] | None = None) -> int:
    """Install the kernelspec if needed and start JupyterLab (replaces this process)."""
    from .report.notebooks import ensure_kernel

    parser = argparse.ArgumentParser(
        prog="python -m edu_quality.lab",
        description="JupyterLab с блокнотами отчётов на ядре проекта (адрес 127.0.0.1).",
    )
    parser.add_argument("--port", type=int, default=8888, help="порт (по умолчанию 8888)")
    parser.add_argument("--no-browser", action="store_true", help="не открывать браузер")
    args = parser.parse_args(argv)
    folder = workspace_folder()
    copied = prepare_workspace(folder)
    if copied:
        print(f"Блокноты скопированы в {folder}: изменения в них не трогают шаблоны отчётов")
    print(f"Ядро: {ensure_kernel()}; JupyterLab: http://127.0.0.1:{args.port}/lab", flush=True)
    cmd = lab_command(args.port, browser=not args.no_browser, root=folder)
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

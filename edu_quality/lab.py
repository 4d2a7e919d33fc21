"""JupyterLab on the project's kernel with the report notebooks open: ``make lab``.

Run as ``python -m edu_quality.lab``: the kernelspec ``edu-quality`` is installed
into this environment when missing (:func:`edu_quality.report.notebooks.ensure_kernel`),
then JupyterLab starts on 127.0.0.1 with the notebook folder of the package
(``notebooks/`` in the source tree) as its root and that kernel as the default.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["lab_command", "main"]


def lab_command(port: int = 8888, *, browser: bool = True) -> list[str]:
    """The command that starts JupyterLab (a list for :func:`subprocess.run`).

    Examples
    --------
    >>> cmd = lab_command(9000, browser=False)
    >>> cmd[1:4], "--ip=127.0.0.1" in cmd, "--port=9000" in cmd
    (['-m', 'jupyterlab', '--ip=127.0.0.1'], True, True)
    """
    from .report.notebooks import KERNEL_NAME, notebooks_dir

    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={notebooks_dir()}",
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
    print(f"Ядро: {ensure_kernel()}; JupyterLab: http://127.0.0.1:{args.port}/lab", flush=True)
    cmd = lab_command(args.port, browser=not args.no_browser)
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

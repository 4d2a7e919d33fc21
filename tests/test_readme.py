"""Every example of README.md runs: its Python blocks and its ``edu-quality`` command lines.

Conventions (also in README.md, «Examples in this README are tested»):

* a fenced ``python`` block runs as a script from the source tree's top folder; one that
  names ``../shared/real`` is skipped when that folder is absent;
* in a fenced ``bash`` block every ``edu-quality …`` line (with its ``\\`` continuations)
  runs as ``python -m edu_quality.cli …`` in a temporary folder holding a link
  ``data_samples``; blocks naming real data (``../shared/real`` or ``$A``) are skipped — a
  region's import and batch take minutes; other lines (``make``, ``source``, ``pip``) are
  not run;
* a block right after the line ``<!-- readme-test: skip -->`` is not run (a synopsis with
  placeholders, a cluster address).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SKIP = "<!-- readme-test: skip -->"
REAL = ("../shared/real", "$A")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)


def blocks(language: str) -> list[tuple[int, str]]:
    """The fenced blocks of ``language``: (line number, text), skipping marked ones."""
    text = README.read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        if m.group(1) != language:
            continue
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        if before.strip() == SKIP:
            continue
        out.append((text.count("\n", 0, m.start()) + 1, m.group(2)))
    return out


def command_lines(block: str) -> list[str]:
    """The ``edu-quality`` lines of a bash block, continuations joined."""
    joined = block.replace("\\\n", " ")
    return [
        line.split("  #")[0].strip()
        for line in joined.splitlines()
        if line.strip().startswith("edu-quality ")
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "EDU_QUALITY_DEBUG": "1"}


PYTHON = blocks("python")
# a block naming real data works on it throughout (an import, then a batch on what it wrote)
COMMANDS = [
    (line, cmd)
    for line, b in blocks("bash")
    if not any(r in b for r in REAL)
    for cmd in command_lines(b)
]


def test_the_readme_has_examples():
    assert PYTHON and COMMANDS
    assert any("objectivity_index" in b for _, b in PYTHON)
    assert any(" report school " in c for _, c in COMMANDS)


@pytest.mark.slow
@pytest.mark.parametrize(("line", "code"), PYTHON, ids=[f"line{n}" for n, _ in PYTHON])
def test_python_block_runs(line, code):
    if "../shared/real" in code and not (ROOT.parent / "shared" / "real").is_dir():
        pytest.skip("нет реальных данных ../shared/real")
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"README.md, строка {line}:\n{done.stderr[-3000:]}"


@pytest.mark.slow
def test_command_lines_run(tmp_path):
    (tmp_path / "data_samples").symlink_to(ROOT / "data_samples")
    ran = 0
    for line, command in COMMANDS:
        if any(r in command for r in REAL):
            continue
        args = shlex.split(command)[1:]
        done = subprocess.run(
            [sys.executable, "-m", "edu_quality.cli", *args],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, f"README.md, строка {line}: {command}\n{done.stderr[-3000:]}"
        ran += 1
    assert ran >= 3

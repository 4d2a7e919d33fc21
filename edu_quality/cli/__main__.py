"""``python -m edu_quality.cli``: the ``edu-quality`` command."""

from . import run

run()

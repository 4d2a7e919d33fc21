"""``python -m edu_quality.report.word``: write the package's Word templates again."""

from .templates import write_templates

for written in write_templates():
    print(written)

"""The faster paths give what the general ones give."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import nbformat
import numpy as np
import pandas as pd
import pytest

from edu_quality.fisoko.vpr.tables import repeated_categorical
from edu_quality.report import html


@pytest.mark.parametrize(
    "values, take",
    [
        (["b", "a", None, "c", "a"], [0, 0, 1, 2, 4, 4]),  # «c» not taken, a missing id
        (["s1"], [0, 0, 0]),
        (["x", "y"], []),  # nothing taken
        (["осень"], [0]),
    ],
)
def test_repeated_categorical_is_the_categorical_of_the_repeated_values(values, take):
    values = np.array(values, dtype=object)
    take = np.array(take, dtype=np.intp)
    fast, general = repeated_categorical(values, take), pd.Categorical(values[take])
    pd.testing.assert_extension_array_equal(fast, general)
    assert fast.categories.dtype == general.categories.dtype


def test_a_prepared_exporter_renders_the_page_a_new_one_renders(monkeypatch):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# Отчёт"),
            nbformat.v4.new_code_cell(
                "display(x)",
                outputs=[
                    nbformat.v4.new_output(
                        "display_data", data={"text/html": "<p>Школа №\u00a01: 75,0\u00a0%</p>"}
                    )
                ],
            ),
        ]
    )
    resources = html.export_resources("Проба")
    general, _ = html.report_exporter().from_notebook_node(nb, resources=dict(resources))
    monkeypatch.setattr(html, "_EXPORTER", None)
    monkeypatch.setattr(html, "export_resources", lambda title="": dict(resources))
    html.prepare_exporter()
    assert html.export_html(nb, title="Проба") == general


def test_the_report_command_declines_hypothesis_and_still_checks_a_dataset():
    code = textwrap.dedent("""\
        import sys
        from edu_quality.cli.report import decline_unused_imports
        decline_unused_imports()
        from edu_quality import load_dataset
        from edu_quality.demo import sample_folder
        print(len(load_dataset(sample_folder("inta")).schools) > 0, sys.modules["hypothesis"])
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "None"]

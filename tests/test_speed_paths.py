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


def test_iter_rows_gives_the_rows_itertuples_gives():
    from edu_quality._rows import iter_rows

    t = pd.DataFrame(
        {
            "school": pd.array(["a", None, "в"], dtype="str"),
            "share": np.array([0.3, np.nan, 1.0], dtype="float32"),
            "n": np.array([1, 2, 3], dtype="int8"),
            "mark": pd.Categorical(["2", None, "5"]),
            "Доля «2»": [True, False, True],
            "when": pd.to_datetime(["2024-05-01", None, "2024-09-01"]),
        }
    )
    fast, general = list(iter_rows(t)), list(t.itertuples(index=False))
    assert [r._fields for r in fast] == [r._fields for r in general]
    assert fast[0]._fields[4] == "_4"  # a column name that is no identifier, renamed alike
    for a, b in zip(fast, general, strict=True):
        assert [type(v) for v in a] == [type(v) for v in b]
        assert all((x == y) or (pd.isna(x) and pd.isna(y)) for x, y in zip(a, b, strict=True))
    assert list(iter_rows(t.iloc[:0])) == []
    assert len(list(iter_rows(t[[]]))) == 3


@pytest.mark.parametrize("dtype", ["str", "category", "object"])
def test_keyed_rows_are_the_rows_a_mask_selects(dtype):
    from edu_quality._rows import KeyedRows

    ids = pd.Series(["b", "a", None, "b", "c"], dtype=dtype, index=[10, 11, 12, 13, 14])
    t = pd.DataFrame({"school_id": ids, "v": range(5)})
    rows = KeyedRows(t)
    for key in ("a", "b", "c", "zz"):
        pd.testing.assert_frame_equal(rows(key), t.loc[t["school_id"] == key])
    assert rows("b").index.tolist() == [10, 13]

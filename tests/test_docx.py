"""Word documents: the справка and a school's summary, user templates, errors, the command."""

from __future__ import annotations

import re
import shutil

import pytest
from docx import Document

from edu_quality.cli import main
from edu_quality.demo import sample_folder
from edu_quality.report import report_data
from edu_quality.report.word import (
    CONTEXT_KEYS,
    TemplateError,
    batch_docx,
    docx_context,
    render_docx,
    template_path,
)
from edu_quality.report.word.templates import build_template

REGION = sample_folder("region")
MUNI = "г. Заречный"


@pytest.fixture(scope="module")
def data():
    return report_data(REGION, 2024)


def _styles(doc) -> set[str]:
    return {p.style.name for p in doc.paragraphs}


def _text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def _user_template(path, lines: list[str]):
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(str(path))
    return path


@pytest.mark.slow
def test_spravka_names_schools_and_has_word_parts(data, tmp_path):
    path = render_docx(data, tmp_path, municipality=MUNI)
    assert path.parent == tmp_path and path.suffix == ".docx"
    doc = Document(str(path))
    assert {"Heading 1", "Heading 2", "Title"} <= _styles(doc)
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[0] == "1. Выявленные проблемы" and len(heads) == 4
    assert 'TOC \\o "1-2"' in doc.element.body.xml  # the table of contents field
    text = _text(doc)
    # every school the справка's problems name is in the document, with its reason
    ctx = docx_context(data, municipality=MUNI)
    named = {s["name"] for p in ctx["problems"] for s in p["schools"]}
    assert named and all(name in text for name in named)
    assert "МБОУ «СОШ № 14» — низкие результаты в 3 из 3 лет" in text
    # the problems table: a header row, counts and a share right-aligned with a decimal comma
    table = next(t for t in doc.tables if t.rows[0].cells[0].text == "Проблема")
    assert [c.text for c in table.rows[0].cells] == ["Проблема", "Школ", "Из", "Доля школ"]
    share = table.rows[1].cells[3]
    assert "," in share.text and share.text.endswith("%")
    assert share.paragraphs[0].alignment == 2  # WD_ALIGN_PARAGRAPH.RIGHT
    assert table.rows[1].cells[0].paragraphs[0].alignment is None  # text stays left
    assert "w:tblHeader" in table.rows[0]._tr.xml
    assert len(doc.inline_shapes) == 1  # the chart


@pytest.mark.slow
def test_school_summary_far_works_chart_and_no_hidden_cell(data, tmp_path):
    path = render_docx(data, tmp_path / "s.docx", school_id="01016")
    doc = Document(str(path))
    assert {"Heading 1", "Heading 2"} <= _styles(doc)
    text = _text(doc)
    assert text.startswith("МБОУ «Лебяжинская СОШ»")
    assert "Статус: школа с низкими образовательными результатами (ШНОР)." in text
    assert "Что делать" in text and "Трек 1" in text
    table = doc.tables[0]
    assert table.rows[0].cells[0].text == "Работа"
    cell = table.rows[1].cells[1]
    assert cell.text.endswith("%") and "," in cell.text and cell.paragraphs[0].alignment == 2
    assert len(doc.inline_shapes) == 1
    # only shown cells: every work quoted is a shown, not small cell of the school
    s = data.shown_summary
    mine = s.loc[(s["school_id"] == "01016") & (s["year"] == 2024)]
    for w in docx_context(data, school_id="01016")["far_works"]:
        subject = w["work"].split(", ")[1]
        rows = mine.loc[mine["subject"] == subject]
        assert len(rows) and not rows["small"].all() and rows["share_2"].notna().any()


def test_context_keys_are_documented(data):
    ctx = docx_context(data, school_id="01004")
    assert set(ctx) == set(CONTEXT_KEYS["school"])
    assert build_template("municipality").paragraphs[0].style.name == "Title"
    assert template_path("school").is_file() and template_path("municipality").is_file()


def test_user_template_with_custom_tag(data, tmp_path):
    tpl = _user_template(
        tmp_path / "my.docx",
        [
            "Справка для {{ school }} ({{ school_id }})",
            "{%p for m in measures %}",
            "— {{ m.measure }}",
            "{%p endfor %}",
        ],
    )
    path = render_docx(data, tmp_path / "out.docx", template=tpl, school_id="01004")
    doc = Document(str(path))
    assert doc.paragraphs[0].text == "Справка для МБОУ «СОШ № 1» (01004)"
    assert len(doc.paragraphs) > 1 and doc.paragraphs[1].text.startswith("— ")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (
            ["Итог: {{ foo }}"],
            "шаблон my.docx: неизвестное поле «foo» (абзац 1: «Итог: {{ foo }}»)",
        ),
        (
            ["{%p for m in measures %}", "{{ m.cost }}", "{%p endfor %}"],
            "шаблон my.docx: неизвестное поле «cost»",
        ),
        (
            ["Школа {{ school }"],
            "шаблон my.docx: ошибка в записи тегов (абзац 1: «Школа {{ school }»): "
            "запись тега не разобрана",
        ),
        (
            ["{%p for m in measures %}", "{{ m.measure }}"],
            "шаблон my.docx: ошибка в записи тегов: блок не закрыт или неизвестен",
        ),
        (
            ["Итог", '{{ "abc"|nosuchfilter }}'],
            'шаблон my.docx: ошибка в записи тегов (абзац 2: «{{ "abc"|nosuchfilter }}»): '
            "неизвестный фильтр «nosuchfilter» после «|»",
        ),
        (
            ["{% if school is nosuchtest %}x{% endif %}"],
            "шаблон my.docx: ошибка в записи тегов (абзац 1: «{% if school is nosuchtest %}x"
            "{% endif %}»): неизвестная проверка «nosuchtest» после «is»",
        ),
        (
            ["{{ 1/0 }}"],
            "шаблон my.docx: выражение в теге не вычисляется (деление на ноль)",
        ),
        (
            ["{{ school + 1 }}"],
            "шаблон my.docx: выражение в теге не вычисляется "
            "(действие над значениями неподходящего вида)",
        ),
    ],
)
def test_broken_template_one_line_error_and_no_file(data, tmp_path, lines, expected):
    tpl = _user_template(tmp_path / "my.docx", lines)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TemplateError) as err:
        render_docx(data, out, template=tpl, school_id="01004")
    message = str(err.value)
    assert message.startswith(expected) and "\n" not in message
    assert not re.search(
        r"[A-Za-z]{4,}", re.sub(r"\{\{.*?\}\}|\{%.*?%\}|«[^»]*»|my\.docx", "", message)
    )
    assert list(out.iterdir()) == []  # nothing written, no temporary file left


def test_not_a_word_file(data, tmp_path):
    bad = tmp_path / "bad.docx"
    bad.write_text("не документ")
    with pytest.raises(TemplateError, match="шаблон bad.docx: не документ Word"):
        render_docx(data, tmp_path, template=bad, school_id="01004")


def test_cli_template_error_exit_code(tmp_path, capsys):
    tpl = _user_template(tmp_path / "my.docx", ["{{ foo }}"])
    out = tmp_path / "out"
    argv = ["report", "school", "--data", str(REGION), "--school", "01004", "--year", "2024"]
    code = main([*argv, "--out", str(out), "--docx-template", str(tpl)])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert (
        err == "edu-quality: ошибка: шаблон my.docx: неизвестное поле «foo» (абзац 1: «{{ foo }}»)"
    )
    assert not out.exists() or not list(out.glob("*.docx"))


@pytest.mark.slow
def test_cli_municipality_docx(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["report", "municipality", "--data", str(REGION), "--municipality", MUNI]
    assert main([*argv, "--year", "2024", "--out", str(out), "--docx", "--no-notebooks"]) == 0
    printed = capsys.readouterr().out
    docx = next(out.glob("municipality_*.docx"))
    assert f"Документ Word: {docx}" in printed
    assert docx.with_suffix(".html").exists()
    assert "1. Выявленные проблемы" in _text(Document(str(docx)))


@pytest.mark.slow
def test_batch_docx_for_the_demo(tmp_path):
    folder = tmp_path / "data"
    shutil.copytree(REGION, folder)
    paths = batch_docx(folder, 2024, tmp_path / "out", municipality=MUNI, kinds=("municipality",))
    assert [p.name.startswith("municipality_") for p in paths] == [True]

"""Write the hostile-input corpus: bad or strange files and the behaviour each must get.

Run ``python tests/hostile/make_corpus.py`` to write the files next to this script.
The output is deterministic (fixed dates inside the XLSX archives); ``cases.csv``,
written by hand, says what each file must give, and ``tests/test_hostile.py``
checks every row of it.
"""

from __future__ import annotations

import io
import re
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCHOOLS = "Код ОО;Наименование ОО;Муниципалитет\n"
ENROL = "Код ОО;Учебный год;Уровень;Обучающихся\n"
AGG = "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников;2;3;4;5\n"
PUPILS = "Учебный год;Процедура;Предмет;Класс;Код ОО;Код участника;Первичный балл;Отметка\n"


def _text(name: str, text: str, encoding: str = "utf-8") -> tuple[str, bytes]:
    return name, text.encode(encoding)


def _xlsx(wb) -> bytes:
    """An openpyxl workbook as bytes that do not depend on the time of writing."""
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue())


def _fixed_zip(
    data: bytes, edit: dict[str, callable] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in [*src.namelist(), *(add or {})]:
            body = src.read(name) if name in src.namelist() else add[name]
            if name == "docProps/core.xml":
                body = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    rb"\g<1>2024-09-01T00:00:00Z",
                    body,
                )
            if edit and name in edit:
                body = edit[name](body)
            dst.writestr(
                zipfile.ZipInfo(name, date_time=(2024, 9, 1, 0, 0, 0)),
                body,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def _book(*sheets):
    """A workbook from (title, rows, hidden) sheets."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, hidden in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if hidden:
            ws.sheet_state = "hidden"
    return wb


def _sheet(rows):
    return _book(("Лист1", rows, False))


def csv_cases() -> list[tuple[str, bytes]]:
    ok_schools = SCHOOLS + "5;МБОУ «СОШ № 5»;Инта\n8;МБОУ «СОШ № 8»;Инта\n"
    plain = SCHOOLS + "5;Средняя школа 5;Инта\n8;Основная школа 8;Печора\n"  # KOI8-R has no «»
    names = "school_id;name;municipality\n5;Школа 5;Инта\n8;средняя школа;Инта\n"
    mojibake = names.encode("utf-8").decode("cp1252", errors="replace")
    utf8_in_1251 = names.encode("utf-8").decode("cp1251", errors="replace")
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    return [
        # encodings
        (
            "enc_utf16_bom_tab.csv",
            b"\xff\xfe" + ok_schools.replace(";", "\t").replace("\n", "\r\n").encode("utf-16-le"),
        ),
        ("enc_utf16be_nobom.csv", ok_schools.encode("utf-16-be")),
        _text("enc_koi8r.csv", plain, "koi8_r"),
        _text("enc_koi8r_english_headers.csv", names, "koi8_r"),
        _text("enc_cp866.csv", plain, "cp866"),
        _text(
            "enc_cp1251_capitals.csv",
            ENROL + "5;2023;НОО;88\n5;2023;ООО;48\n6;2023;СОО;41\n",
            "cp1251",
        ),
        _text("enc_latin1_mojibake.csv", mojibake),
        _text("enc_utf8_read_as_cp1251.csv", utf8_in_1251),
        (
            "enc_mixed_utf8_cp1251.csv",
            ok_schools.encode("utf-8") + "9;МБОУ «ООШ № 9»;Инта\n".encode("cp1251"),
        ),
        ("bin_png_named.csv", png),
        # layout of the text
        _text(
            "csv_formfeed_in_title.csv",
            "Контингент\x0cпо уровням\u2028на 01.09\n" + ENROL + "5;2023;НОО;88\n6;2023;НОО;48\n",
        ),
        _text("csv_unclosed_quote.csv", SCHOOLS + '5;"МБОУ «СОШ № 5»;Инта\n8;Школа;Инта\n'),
        _text("csv_sep_hint.csv", "sep=;\n" + ok_schools),
        _text("csv_cr_only.csv", ok_schools.replace("\n", "\r")),
        _text("csv_header_below_row_30.csv", "Отчёт\n" * 35 + ok_schools),
        _text("csv_row_wider_than_header.csv", ENROL + "5;2023;НОО;88\n6;2023;НОО;48;лишнее\n"),
        _text("csv_header_only.csv", SCHOOLS),
        ("csv_empty.csv", b""),
        _text(
            "csv_invisible_characters.csv",
            SCHOOLS + "5\u200b;МБОУ\u00a0«СОШ № 5»;Инта\n\ufeff8;Школа;\u2060Инта\n",
        ),
        _text(
            "csv_two_tables_stacked.csv",
            ENROL + "5;2022;НОО;88\n\nКонтингент 2023\n" + ENROL + "5;2023;НОО;90\n",
        ),
        _text(
            "csv_two_tables_side_by_side.csv",
            ENROL.replace("\n", ";;") + ENROL + "5;2022;НОО;88;;5;2023;НОО;90\n",
        ),
        _text(
            "csv_total_row.csv",
            AGG + "2023;ОГЭ;Математика;9;5;24;5;10;6;3\n"
            "2023;ОГЭ;Математика;9;Итого по району;24;5;10;6;3\n",
        ),
        # numbers
        _text(
            "csv_numbers_as_text.csv",
            ENROL + "5;2023;НОО;1 024\n6;2023;НОО;1\u00a0024\n7;2023;НОО;1\u202f024\n"
            '8;2023;НОО;" 24 "\n9;2023;НОО;1 024,0\n',
        ),
        _text("csv_negative_count.csv", ENROL + "5;2023;НОО;88\n6;2023;НОО;-3\n"),
        _text("csv_fractional_count.csv", ENROL + "5;2023;НОО;88\n6;2023;НОО;12,5\n"),
        _text("csv_huge_count.csv", ENROL + "5;2023;НОО;99999999999999999999\n"),
        _text(
            "csv_participants_below_marks.csv",
            AGG + "2023;ОГЭ;Математика;9;5;24;5;10;6;3\n2023;ОГЭ;Математика;9;6;7;6;1;1;0\n",
        ),
        _text(
            "csv_infinite_score.csv",
            PUPILS + "2023;ВПР;Математика;4;5;1;12;4\n2023;ВПР;Математика;4;5;2;inf;4\n",
        ),
        _text(
            "csv_negative_score.csv",
            PUPILS + "2023;ВПР;Математика;4;5;1;12;4\n2023;ВПР;Математика;4;5;2;-5;3\n",
        ),
        _text("csv_excel_error_as_text.csv", AGG + "2023;ОГЭ;Математика;9;5;24;#ДЕЛ/0!;10;6;3\n"),
        _text(
            "csv_mixed_marks.csv",
            PUPILS + "2023;ВПР;Математика;4;5;1;12;5\n"
            "2023;ВПР;Математика;4;5;2;10;отлично\n"
            "2023;ВПР;Математика;4;5;3;9;4.0\n"
            "2023;ВПР;Математика;4;5;4;8;5+\n",
        ),
        _text("csv_year_as_date.csv", ENROL + "5;01.09.2022;НОО;88\n"),
        # pupils
        _text(
            "csv_duplicate_pupils.csv",
            PUPILS + "2023;ВПР;Математика;4;5;1;12;4\n"
            "2023;ВПР;Математика;4;5;2;10;4\n"
            "2023;ВПР;Математика;4;5;1;11;4\n",
        ),
        _text(
            "csv_pupil_in_two_schools.csv",
            PUPILS + "2023;ВПР;Математика;4;5;10001;12;4\n2023;ВПР;Математика;4;6;10001;7;3\n",
        ),
        _text(
            "csv_pupil_names.csv",
            "Учебный год;Процедура;Предмет;Класс;Код ОО;Код участника;ФИО;фамилия;ИМЯ;"
            "Отчество;Ф.И.О.;Отметка\n"
            "2023;ВПР;Математика;4;5;1;Иванов Иван Иванович;Иванов;Иван;Иванович;"
            "Иванов И. И.;4\n"
            "2023;ВПР;Математика;4;5;2;Петрова Анна Сергеевна;Петрова;Анна;Сергеевна;"
            "Петрова А. С.;5\n",
            "cp1251",
        ),
        # names where a pupil code belongs: refused in any form, never quoted
        _text(
            "csv_pupil_id_name_in_capitals.csv",
            PUPILS
            + "2023;ВПР;Математика;4;5;10001;12;4\n2023;ВПР;Математика;4;5;ПЕТРОВ ПЕТР;9;3\n",
        ),
        _text(
            "csv_pupil_id_initials.csv",
            PUPILS + "2023;ВПР;Математика;4;5;Петров П.П.;12;4\n"
            "2023;ВПР;Математика;4;5;П. П. Сидоров;9;3\n",
            "cp1251",
        ),
        _text(
            "csv_pupil_id_latin_name.csv",
            PUPILS + "2023;ВПР;Математика;4;5;10001;12;4\n2023;ВПР;Математика;4;5;10002;11;4\n"
            "2023;ВПР;Математика;4;5;Petrov Petr;9;3\n",
        ),
        _text(
            "csv_pupil_id_surname_alone.csv",
            PUPILS + "2023;ВПР;Математика;4;5;Петров;12;4\n",
        ),
        _text(
            "csv_pupil_id_code_forms.csv",
            PUPILS
            + "".join(
                f"2023;ВПР;Математика;4;5;{code};12;4\n"
                for code in (
                    "40001",
                    "P-0012",
                    "sch220001_15",
                    "А123",
                    "3fa94c21b07e5d68",
                    "ученик 5",
                )
            ),
        ),
        # text that is markup, formulas or paths
        _text(
            "csv_html_in_names.csv",
            SCHOOLS + '5;<script>alert(1)</script>;Инта\n6;"МБОУ <b>«СОШ № 6»</b> &amp;";'
            "<img src=x onerror=alert(2)>\n",
        ),
        _text(
            "csv_formula_like_names.csv",
            SCHOOLS + '5;=HYPERLINK("http://example.com","Школа");Инта\n'
            "6;+7 (82151) 6-00-00;Инта\n7;-школа-;=1+1\n8;@SUM(A1:A9);Инта\n"
            "9;\t=1+1;Инта\n",
        ),
        _text(
            "csv_unsafe_school_ids.csv",
            SCHOOLS + "../../etc/passwd;Школа 1;Инта\na/b;Школа 2;Инта\n..;Школа 3;Инта\n"
            "CON;Школа 4;Инта\nшкола:5*?;Школа 5;Инта\nC:\\Windows;Школа 6;Инта\n",
        ),
        ("old_format.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
        _text("table.ods", "not really"),
    ]


def xlsx_cases() -> list[tuple[str, bytes]]:
    from datetime import datetime

    enrol = ["Код ОО", "Учебный год", "Уровень", "Обучающихся"]
    agg = [
        "Учебный год",
        "Процедура",
        "Предмет",
        "Класс",
        "Код ОО",
        "Количество участников",
        "2",
        "3",
        "4",
        "5",
    ]
    ok = _xlsx(_sheet([enrol, [5, 2023, "НОО", 88], [6, 2023, "ООО", 48]]))

    merged = _sheet(
        [
            [
                "Учебный год",
                "Процедура",
                "Предмет",
                "Класс",
                "Код ОО",
                "Количество участников",
                "Количество отметок",
                None,
                None,
                None,
            ],
            [None] * 6 + [2, 3, 4, 5],
            [2023, "ОГЭ", "Математика", 9, 5, 24, 5, 10, 6, 3],
            [2023, "ОГЭ", "Математика", 9, 6, 18, 2, 8, 6, 2],
        ]
    )
    ws = merged.active
    for c in "ABCDEF":
        ws.merge_cells(f"{c}1:{c}2")
    ws.merge_cells("G1:J1")

    merged_ids = _sheet(
        [
            enrol,
            [5, 2023, "НОО", 88],
            [None, None, "ООО", 48],
            [None, None, "СОО", 20],
            [6, 2023, "НОО", 40],
        ]
    )
    merged_ids.active.merge_cells("A2:A4")
    merged_ids.active.merge_cells("B2:B4")

    merged_count = _sheet(
        [
            agg,
            [2023, "ОГЭ", "Математика", 9, 5, 24, 5, 10, 6, 3],
            [2023, "ОГЭ", "Русский язык", 9, 5, None, 2, 10, 8, 4],
        ]
    )
    merged_count.active.merge_cells("F2:F3")

    formula = _sheet([enrol, [5, 2023, "НОО", "=80+8"], [6, 2023, "ООО", 48]])
    formula_optional = _sheet([agg, [2023, "ОГЭ", "Математика", 9, 5, 24, "=24-10-6-3", 10, 6, 3]])
    cached = _xlsx(_sheet([enrol, [5, 2023, "НОО", "=80+8"], [6, 2023, "ООО", 48]]))
    cached = _fixed_zip(
        cached,
        {
            "xl/worksheets/sheet1.xml": lambda b: re.sub(
                rb"(<f>80\+8</f>)<v\s*/>", rb"\1<v>88</v>", b
            )
        },
    )
    error_cell = _sheet([enrol, [5, 2023, "НОО", "#DIV/0!"], [6, 2023, "ООО", 48]])

    formula_text = _sheet(
        [
            ["Код ОО", "Наименование ОО", "Муниципалитет"],
            [5, "=1+1", "Инта"],
            [6, '=HYPERLINK("http://x")', "@Инта"],
        ]
    )
    for row in formula_text.active.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text that looks like a formula, not a formula

    truncated = ok[: len(ok) // 2]
    fake = io.BytesIO()
    with zipfile.ZipFile(fake, "w") as z:
        z.writestr(zipfile.ZipInfo("readme.txt", date_time=(2024, 9, 1, 0, 0, 0)), "не книга")
    return [
        ("xlsx_merged_header.xlsx", _xlsx(merged)),
        ("xlsx_merged_school_cells.xlsx", _xlsx(merged_ids)),
        ("xlsx_merged_count.xlsx", _xlsx(merged_count)),
        (
            "xlsx_numeric_headers.xlsx",
            _xlsx(
                _sheet([agg[:6] + [2, 3, 4, 5], [2023, "ОГЭ", "Математика", 9, 5, 24, 5, 10, 6, 3]])
            ),
        ),
        ("xlsx_formula_without_value.xlsx", _xlsx(formula)),
        ("xlsx_formula_in_optional_column.xlsx", _xlsx(formula_optional)),
        ("xlsx_formula_with_cached_value.xlsx", cached),
        ("xlsx_error_cell.xlsx", _xlsx(error_cell)),
        ("xlsx_formula_like_text.xlsx", _xlsx(formula_text)),
        ("xlsx_empty_sheet.xlsx", _xlsx(_sheet([]))),
        (
            "xlsx_hidden_sheet_first.xlsx",
            _xlsx(
                _book(
                    ("служебный", [["мусор", 1], ["Код ОО", "мусор"]], True),
                    ("Контингент", [enrol, [5, 2023, "НОО", 88]], False),
                )
            ),
        ),
        (
            "xlsx_table_only_on_hidden_sheet.xlsx",
            _xlsx(
                _book(
                    ("Инструкция", [["Заполните лист «данные»"]], False),
                    ("данные", [enrol, [5, 2023, "НОО", 88]], True),
                )
            ),
        ),
        (
            "xlsx_tables_on_two_sheets.xlsx",
            _xlsx(
                _book(
                    ("2022", [enrol, [5, 2022, "НОО", 86]], False),
                    ("2023", [enrol, [5, 2023, "НОО", 88]], False),
                )
            ),
        ),
        (
            "xlsx_two_tables_stacked.xlsx",
            _xlsx(
                _sheet(
                    [
                        ["2022"],
                        enrol,
                        [5, 2022, "НОО", 86],
                        [],
                        ["2023"],
                        enrol,
                        [5, 2023, "НОО", 88],
                    ]
                )
            ),
        ),
        (
            "xlsx_two_tables_side_by_side.xlsx",
            _xlsx(_sheet([enrol + [None] + enrol, [5, 2022, "НОО", 86, None, 5, 2023, "НОО", 88]])),
        ),
        (
            "xlsx_dates_for_years.xlsx",
            _xlsx(
                _sheet(
                    [
                        enrol,
                        [5, datetime(1905, 7, 15), "НОО", 88],
                        [6, datetime(2022, 9, 1), "НОО", 48],
                        [7, "2022/23", "НОО", 41],
                    ]
                )
            ),
        ),
        (
            "xlsx_date_in_count.xlsx",
            _xlsx(_sheet([enrol, [5, 2023, "НОО", datetime(1900, 1, 12)]])),
        ),
        (
            "xlsx_numbers_as_text.xlsx",
            _xlsx(
                _sheet(
                    [
                        enrol,
                        [5, 2023, "НОО", "1\u00a0024"],
                        ["6", "2023", "НОО", " 48 "],
                        [7.0, 2023.0, "НОО", "1 024,0"],
                    ]
                )
            ),
        ),
        (
            "xlsx_bool_in_count.xlsx",
            _xlsx(_sheet([enrol, [5, 2023, "НОО", 88], [6, 2023, "НОО", True]])),
        ),
        (  # a ФИС ОКО ВПР export (its name gives year, subject, grade) with a name as a code
            "xlsx_fisoko_name_in_code_математика_4класс_2021.xlsx",
            _xlsx(
                _sheet(
                    [
                        ["логин школы", "код обучающегося", "вариант", "всего баллов", "балл за 1"],
                        ["sch220001", "40001", 1, 12, 1],
                        ["sch220001", "40002", "отсутствовал", None, None],
                        ["sch220001", "Иванова А.", 1, 9, 1],
                    ]
                )
            ),
        ),
        (
            "xlsx_long_text.xlsx",
            _xlsx(
                _sheet(
                    [
                        ["Код ОО", "Наименование ОО", "Муниципалитет"],
                        [5, ("МБОУ «СОШ № 5» " * 2200)[:32767], "Инта"],
                    ]
                )
            ),
        ),
        ("xlsx_truncated.xlsx", truncated),
        ("xlsx_zip_not_a_workbook.xlsx", fake.getvalue()),
        ("xlsx_text_file.xlsx", (SCHOOLS + "5;Школа;Инта\n").encode("utf-8")),
        ("xlsx_old_xls_renamed.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)),
    ]


def _before(tag: bytes, text: bytes) -> callable:
    """An edit of an XML part: ``text`` inserted before ``tag``."""
    return lambda body: body.replace(tag, text + tag, 1)


def bomb_cases() -> list[tuple[str, bytes]]:
    """Small files that would take the machine: ``test_hostile`` reads them in a child process."""
    table = _xlsx(_sheet([["Код ОО", "Наименование ОО", "Муниципалитет"], [5, "Школа", "Инта"]]))
    sheet = "xl/worksheets/sheet1.xml"
    far_cell = _fixed_zip(
        table,
        {sheet: _before(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')},
    )
    far_format = _fixed_zip(
        table,
        {
            sheet: lambda body: re.sub(
                rb'<dimension ref="[^"]*"',
                b'<dimension ref="A1:XFD1048576"',
                _before(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="0"/></row>')(body),
            )
        },
    )
    strings = (
        b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        b'uniqueCount="1"><si><t>' + b"a" * 20 * 2**20 + b"</t></si></sst>"
    )
    shared = _fixed_zip(
        table,
        {
            sheet: lambda body: re.sub(
                rb'<c r="B2" t="inlineStr"><is><t>[^<]*</t></is></c>',
                b'<c r="B2" t="s"><v>0</v></c>',
                body,
            ),
            "[Content_Types].xml": _before(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>',
            ),
            "xl/_rels/workbook.xml.rels": _before(
                b"</Relationships>",
                b'<Relationship Id="rIdStrings" Target="sharedStrings.xml" Type="http://'
                b'schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>',
            ),
        },
        {"xl/sharedStrings.xml": strings},
    )
    blanks = _fixed_zip(
        table, {sheet: _before(b"</sheetData>", b"<row>" + b"<c/>" * 5 * 2**20 + b"</row>")}
    )
    return [
        ("bomb_xlsx_far_cell.xlsx", far_cell),
        ("bomb_xlsx_far_formatting.xlsx", far_format),
        ("bomb_xlsx_shared_string.xlsx", shared),
        ("bomb_xlsx_blank_sheet.xlsx", blanks),
        _text("bomb_csv_wide_row.csv", SCHOOLS + "5;Школа;Инта" + ";" * 10_000 + "\n"),
    ]


def repeated_header_cases() -> list[tuple[str, bytes]]:
    """A header row repeated mid-table in another case, spacing or language; and counts that
    are no header although they read as one («2», «3», «4», «5» under «2» … «5»)."""
    two = SCHOOLS + "5;Школа 5;Инта\n{}\n8;Школа 8;Инта\n"
    enrol = ["Код ОО", "Учебный год", "Уровень", "Обучающихся"]
    return [
        _text(
            "csv_header_repeated_capitals.csv", two.format("КОД ОО;НАИМЕНОВАНИЕ ОО;МУНИЦИПАЛИТЕТ")
        ),
        _text(
            "csv_header_repeated_spaces.csv",
            two.format(' код  оо ;"Наименование\u00a0ОО:";  Муниципалитет'),
        ),
        _text("csv_header_repeated_english.csv", two.format("school_id;Name;MUNICIPALITY")),
        (
            "xlsx_header_repeated_capitals.xlsx",
            _xlsx(
                _sheet(
                    [
                        enrol,
                        [5, 2023, "НОО", 88],
                        [s.upper() for s in enrol],
                        [6, 2023, "НОО", 48],
                    ]
                )
            ),
        ),
        _text("csv_counts_as_headers.csv", AGG + "2023;ОГЭ;Математика;9;5;14;2;3;4;5\n"),
    ]


def parquet_cases() -> list[tuple[str, bytes]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(table) -> bytes:
        buf = io.BytesIO()
        pq.write_table(table, buf)
        return buf.getvalue()

    base = {
        "Код ОО": ["5", "6"],
        "Учебный год": [2023, 2023],
        "Уровень": ["НОО", "ООО"],
        "Обучающихся": [88, 48],
    }
    good = write(pa.table(base))
    return [
        ("parquet_truncated.parquet", good[: len(good) // 2]),
        (
            "parquet_dictionary_columns.parquet",
            write(pa.table({**base, "Уровень": pa.array(["НОО", "ООО"]).dictionary_encode()})),
        ),
        ("parquet_huge_count.parquet", write(pa.table({**base, "Обучающихся": [2**62, 48]}))),
        ("parquet_float_count.parquet", write(pa.table({**base, "Обучающихся": [88.0, 48.5]}))),
    ]


def dataset_cases() -> list[tuple[str, bytes]]:
    schools = "school_id;name;municipality\n5;Школа 5;Инта\n6;Школа 6;Инта\n"
    pupils = (
        "year;assessment;subject;grade;school_id;pupil_id;score;mark\n"
        "2023;ВПР;Математика;4;5;10001;12;4\n2023;ВПР;Математика;4;5;10002;8;3\n"
        "2023;ВПР;Математика;4;6;10001;7;3\n"
    )
    counts = (
        "year;assessment;subject;grade;school_id;participants;n2;n3;n4;n5\n"
        "2023;ВПР;Математика;4;6;1;0;1;0;0\n"
    )
    return [
        ("dataset_pupil_in_two_schools/schools.csv", schools.encode()),
        ("dataset_pupil_in_two_schools/results_vpr.csv", pupils.encode()),
        ("dataset_counted_twice/schools.csv", schools.encode()),
        ("dataset_counted_twice/results_vpr.csv", pupils.encode()),
        ("dataset_counted_twice/results_vpr_counts.csv", counts.encode()),
        ("dataset_same_results_two_files/schools.csv", schools.encode()),
        ("dataset_same_results_two_files/results_a.csv", pupils.encode()),
        ("dataset_same_results_two_files/results_b.csv", pupils.encode()),
    ]


def corpus() -> list[tuple[str, bytes]]:
    """Every file of the corpus: (path relative to the corpus folder, bytes)."""
    return (
        csv_cases()
        + xlsx_cases()
        + parquet_cases()
        + dataset_cases()
        + bomb_cases()
        + repeated_header_cases()
    )


def write_corpus(folder: Path = HERE) -> list[Path]:
    """Write the corpus into ``folder``; return the paths written."""
    out = []
    for name, data in corpus():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        out.append(path)
    return out


if __name__ == "__main__":
    written = write_corpus(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
    print(f"{len(written)} files written")

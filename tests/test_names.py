"""Pupils' names are never stored: the one name detector, every reader that uses it, the
data-quality report that hides them, and pseudonymised codes in every output of an import.

- each form of a name (capitals, initials before or after, Latin letters, a surname
  alone, hyphenated, three words…) is refused in a CSV pupil-id column and in the
  pupil-code column of a ФИС ОКО export; the error names row and column, not the name;
- real codes pass (digits, letters and digits, pseudonyms; the real region's codes are
  checked in ``test_fisoko.py``);
- names typed into journal-mark, gender and task cells never reach ``data_quality``;
- with a key, no raw pupil code is in any Parquet file or the cache of an import.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import edu_quality as eq
from edu_quality import DataError
from edu_quality.fisoko import import_fisoko, read_fisoko_vpr
from edu_quality.fisoko.cache import read_entry
from edu_quality.names import HIDDEN, NAME_AS_ID, hide_names, looks_like_name, shown_value
from edu_quality.privacy import KEY_VARIABLE, pseudonymize

#: Every form of a name a methodologist may type where a pupil code belongs.
NAME_FORMS = {
    "two_words": "Иванов Иван",
    "three_words": "Иванов Иван Иванович",
    "capitals": "ПЕТРОВ ПЕТР",
    "lower_case": "петров петр",
    "initials_after": "Петров П.П.",
    "initials_after_spaced": "Петрова А. С.",
    "initials_before": "П. П. Петров",
    "initials_glued": "П.П.Петров",
    "latin": "Petrov Petr",
    "latin_initial": "Petrov P.",
    "latin_capitals": "PETROV PETR",
    "hyphenated": "Римский-Корсаков Николай",
    "comma": "Сидоров, Пётр",
    "surname_alone": "Петров",
    "surname_capitals": "СИДОРОВА",
    "surname_latin": "Ivanova",
    "surname_lower_case": "кузнецов",
    "surname_short": "Ким",
    "surname_and_class": "Петров 5",
}

#: Pupil codes as files really have them: none is a name.
CODES = [
    "40001",
    "4000117",
    "P-0012",
    "sch220001_15",
    "А123",
    "4Б-12",
    "MSK-0012",
    "edu224052",
    "3fa94c21b07e5d68",
    "DEADBEEFCAFEBABE",
    "ученик 5",
    "Ученик 12",
    "участник №7",
    "A-1",
    "p1",
    "X",
    "Ли",
]

#: Junk of secondary fields seen in real files: shown in the report as it is.
JUNK = ["ж", "м", "8", "1", "12", "*", "нет отметки", "не писал", "Вариант 2", "н/а", "Болел"]


# ------------------------------------------------------------------ the detector


@pytest.mark.parametrize("form", NAME_FORMS)
def test_every_name_form_looks_like_a_name_in_an_id_column(form):
    assert looks_like_name([NAME_FORMS[form]], id_column=True).tolist() == [True]


def test_real_code_forms_are_no_names():
    flags = looks_like_name(pd.Series(CODES, dtype="str"), id_column=True)
    assert [c for c, f in zip(CODES, flags, strict=True) if f] == []


def test_outside_id_columns_full_names_and_surnames_are_names_junk_is_not():
    full = [v for k, v in NAME_FORMS.items() if k not in ("surname_lower_case", "surname_short")]
    assert looks_like_name(full).all()
    # one word is a surname only by its ending outside an id column: a first name, «Ким»
    # or a lower-case word are shown
    assert not looks_like_name(["Ким", "кузнецов", "Анна"]).any()
    assert not looks_like_name(JUNK).any()
    assert not looks_like_name(CODES).any()


def test_numbers_and_missing_values_are_no_names():
    values = np.array([40001, 2.5, None, np.nan, pd.NA, "Петров Пётр"], dtype=object)
    assert looks_like_name(values, id_column=True).tolist() == [False] * 5 + [True]
    assert looks_like_name([]).tolist() == []


def test_distinct_values_give_what_each_value_gives():
    rng = np.random.default_rng(3)
    pool = [*NAME_FORMS.values(), *CODES, *JUNK, "", " Петров  Пётр "]
    column = pd.Series(rng.choice(pool, 5_000), dtype="str")
    for id_column in (False, True):
        alone = {v: looks_like_name([v], id_column=id_column)[0] for v in pool}
        expected = column.map(alone).to_numpy(dtype=bool)
        assert (looks_like_name(column, id_column=id_column) == expected).all()
        as_objects = column.to_numpy(dtype=object)
        assert (looks_like_name(as_objects, id_column=id_column) == expected).all()


def test_the_first_look_at_a_text_column_sets_aside_no_name():
    """A ``str`` column is first sifted for two letters side by side (or joined): the
    cells set aside are those the rules, looked at one by one, find no name in."""
    rng = np.random.default_rng(5)
    alphabet = list("аБвПЁxQ-'’.,_ 5/№")
    texts = ["".join(rng.choice(alphabet, rng.integers(1, 7))) for _ in range(20_000)]
    texts += ["А-Б-В", "А-Б В.", "П. П.", "Ли", "Ё’Ж", "5 Ли-Ким 7", "X-Y_12"]
    column = pd.Series(texts, dtype="str")
    for id_column in (False, True):
        one_by_one = looks_like_name(column.to_numpy(dtype=object), id_column=id_column)
        assert one_by_one.sum() > 100  # names among them: the sift has something to keep
        assert (looks_like_name(column, id_column=id_column) == one_by_one).all()


def test_hidden_and_shown_values():
    shown, hidden = hide_names(pd.Series(["8", "Петров П.П."]))
    assert shown.tolist() == ["8", HIDDEN] and hidden.tolist() == [False, True]
    assert shown_value("Петров", id_column=True) == HIDDEN and shown_value("40001") == "40001"


# ------------------------------------------------------------------ CSV, Excel, Parquet results

HEADER = "Учебный год;Процедура;Предмет;Класс;Код ОО;Код участника;Отметка\n"


def _row(code: str, mark: int = 4) -> str:
    return f"2023;ВПР;Математика;4;5;{code};{mark}\n"


@pytest.mark.parametrize("form", NAME_FORMS)
def test_a_name_in_a_csv_pupil_id_column_is_refused_without_repeating_it(write, form):
    name = NAME_FORMS[form]
    path = write("r.csv", HEADER + _row("10001") + _row(name) + _row("10003"), "cp1251")
    with pytest.raises(DataError, match="похоже на фамилию и имя") as info:
        eq.read_results(path)
    err = info.value
    assert err.file == "r.csv"
    assert [(p.row, p.column) for p in err.problems] == [(3, "Код участника")]
    assert name not in str(err) and name.split()[0].strip(",") not in str(err)


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_names_are_refused_in_excel_and_parquet_too(tmp_path, write_xlsx, fmt):
    rows = [
        ["Учебный год", "Процедура", "Предмет", "Класс", "Код ОО", "Код участника", "Отметка"],
        [2023, "ВПР", "Математика", 4, "5", "ПЕТРОВ ПЕТР", 4],
        [2023, "ВПР", "Математика", 4, "5", "Petrov P.", 5],
        [2023, "ВПР", "Математика", 4, "5", "10003", 3],
    ]
    if fmt == "xlsx":
        path = write_xlsx("r.xlsx", rows)
    else:
        path = tmp_path / "r.parquet"
        pd.DataFrame(rows[1:], columns=rows[0]).to_parquet(path)
    with pytest.raises(DataError) as info:
        eq.read_results(path)
    assert [(p.row, p.column) for p in info.value.problems] == [
        (2, "Код участника"),
        (3, "Код участника"),
    ]
    assert "ПЕТРОВ" not in str(info.value) and "Petrov" not in str(info.value)


def test_every_code_form_loads(write):
    path = write("r.csv", HEADER + "".join(_row(c) for c in CODES))
    assert eq.read_results(path)["pupil_id"].tolist() == CODES


def test_other_errors_do_not_quote_a_name(write):
    path = write("r.csv", HEADER + _row("10001") + "2023;ВПР;Математика;4;5;10002;Петров Пётр\n")
    with pytest.raises(DataError, match="строка 3") as info:
        eq.read_results(path)
    assert "Петров" not in str(info.value) and "скрыто" in str(info.value)


def test_a_name_in_a_column_without_a_header_is_not_quoted(write):
    path = write("r.csv", HEADER + _row("10001") + _row("10002").rstrip("\n") + ";Петров П.\n")
    with pytest.raises(DataError, match="без заголовка") as info:
        eq.read_results(path)
    assert "Петров" not in str(info.value)


# ------------------------------------------------------------------ ФИС ОКО ВПР exports

VPR_NAME = "Проведение работы по математике, 4 класс. ВПР 2021.xlsx"
VPR_HEADER = [
    "логин школы",
    "код обучающегося",
    "отметка за предыдущую четверть/триместр",
    "пол",
    "вариант",
    "всего баллов",
    "балл за 1",
    "балл за 2",
]


def _vpr(write_xlsx, rows: list[list[object]], name: str = VPR_NAME):
    return write_xlsx(name, [VPR_HEADER, *rows])


def _pupil(code: str, journal: object = "4", gender: str = "м", task: object = 1) -> list:
    return ["sch220001", code, journal, gender, "1", None, task, 2]


def _text_of(*tables: pd.DataFrame) -> str:
    """The tables as CSV text (``results.attrs`` hold the quality report: it is passed apart)."""
    return "\n".join(pd.DataFrame(t.to_dict("list")).astype(str).to_csv() for t in tables)


@pytest.mark.parametrize("form", NAME_FORMS)
def test_a_name_in_the_fisoko_pupil_code_column_stops_the_load(write_xlsx, form):
    name = NAME_FORMS[form]
    path = _vpr(write_xlsx, [_pupil("40001"), _pupil(name), _pupil("40003")])
    with pytest.raises(DataError, match="похоже на фамилию и имя") as info:
        read_fisoko_vpr(path)
    err = info.value
    assert err.file == VPR_NAME
    assert [(p.row, p.column) for p in err.problems] == [(3, "код обучающегося")]
    assert name not in str(err) and name.split()[0].strip(",") not in str(err)


@pytest.mark.parametrize("form", ["capitals", "initials_before", "latin", "surname_alone"])
def test_excluded_a_named_row_reaches_no_table(write_xlsx, form):
    name = NAME_FORMS[form]
    rows = [_pupil("40001"), _pupil(name), _pupil(name), _pupil("40003")]
    vpr = read_fisoko_vpr(_vpr(write_xlsx, rows), invalid_results="exclude")
    assert vpr.results["pupil_id"].tolist() == ["40001", "40003"]
    assert set(vpr.tasks["pupil_id"]) == {"40001", "40003"}
    q = vpr.quality[vpr.quality["problem"] == NAME_AS_ID]
    assert q[["row", "column", "value", "action"]].values.tolist() == [
        [3, "код обучающегося", HIDDEN, "результат исключён"],
        [4, "код обучающегося", HIDDEN, "результат исключён"],
    ]
    assert vpr.counts["excluded"] == 2
    text = _text_of(vpr.results, vpr.tasks, vpr.quality, vpr.absent)
    assert name not in text and name.split()[0] not in text


def test_a_name_on_an_absent_pupils_row_is_refused_too(write_xlsx):
    absent = ["sch220001", "Иванова Анна", None, "ж", "отсутствовал", None, None, None]
    path = _vpr(write_xlsx, [_pupil("40001"), absent])
    with pytest.raises(DataError) as info:
        read_fisoko_vpr(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(3, "код обучающегося")]
    vpr = read_fisoko_vpr(path, invalid_results="exclude")
    assert vpr.counts["absent"] == 1 and "Иванова" not in _text_of(vpr.quality)


def test_read_results_refuses_names_in_a_fisoko_export(write_xlsx):
    path = _vpr(write_xlsx, [_pupil("40001"), _pupil("Petrov P.")])
    with pytest.raises(DataError) as info:
        eq.read_results(path)
    assert info.value.row == 3 and info.value.column == "код обучающегося"
    assert "Petrov" not in str(info.value)


def test_names_in_journal_gender_and_task_cells_never_reach_the_quality_report(write_xlsx):
    rows = [
        _pupil("40001", journal="Иванов Иван"),
        _pupil("40002", gender="ПЕТРОВА А."),
        _pupil("40003", task="Petrov P."),
        _pupil("40004", journal="Сидоров"),
        _pupil("40005", journal="ж", gender="?"),
    ]
    vpr = read_fisoko_vpr(_vpr(write_xlsx, rows))
    assert len(vpr.results) == 5  # secondary fields: the results are kept
    q = vpr.quality[vpr.quality["severity"] == "предупреждение"]
    got = q[["row", "column", "value"]].values.tolist()
    assert got == [
        [4, "балл за 1", HIDDEN],  # the scores are read before the secondary fields
        [2, "отметка за предыдущую четверть/триместр", HIDDEN],
        [5, "отметка за предыдущую четверть/триместр", HIDDEN],
        [6, "отметка за предыдущую четверть/триместр", "ж"],
        [3, "пол", HIDDEN],
        [6, "пол", "?"],
    ]
    # the problem still says what is wrong, with «скрыто» in place of the value
    assert q["problem"].tolist()[1].startswith("отметка по журналу «скрыто» не распознана")
    text = _text_of(vpr.results, vpr.tasks, vpr.quality)
    assert not [w for w in ("Иванов", "ПЕТРОВА", "Petrov", "Сидоров") if w in text]
    with pytest.raises(DataError) as info:  # strict: the warnings stop the load, unquoted
        read_fisoko_vpr(_vpr(write_xlsx, rows), strict=True)
    assert "Иванов" not in str(info.value) and "ПЕТРОВА" not in str(info.value)


def test_with_a_key_the_quality_report_holds_pseudonyms(write_xlsx):
    rows = [_pupil("4000117"), _pupil("4000117"), _pupil("4000118")]
    vpr = read_fisoko_vpr(_vpr(write_xlsx, rows), invalid_results="exclude", pseudonymize_ids="k")
    dup = vpr.quality[vpr.quality["problem"].str.startswith("участник с этим кодом")]
    hashed = pseudonymize(pd.Series(["4000117"]), "k")[0]
    assert dup["value"].tolist() == [hashed, hashed]
    assert vpr.results["pupil_id"].tolist() == [pseudonymize(pd.Series(["4000118"]), "k")[0]]
    assert "4000117" not in _text_of(vpr.results, vpr.tasks, vpr.quality)
    with pytest.raises(DataError, match="ключ не задан"):
        read_fisoko_vpr(_vpr(write_xlsx, rows), pseudonymize_ids=True)


# ------------------------------------------------------------------ the import, with a key

RAW = ["4739105", "4739106", "4739107", "4739108", "4739109"]
NAMES = ["Смирнов Алексей", "КУЗНЕЦОВА М.", "Petrova Anna"]


def _region(write_xlsx, tmp_path):
    """A registry and two ВПР files: raw codes, a duplicated pupil, an absent one, names."""
    registry = write_xlsx("registry.xlsx", [["логин", "имя", "регион"], ["sch220001", "СОШ", "Р"]])
    folder = tmp_path / "vpr_2021"
    folder.mkdir()
    maths = [
        _pupil(RAW[0], journal=NAMES[0]),
        _pupil(RAW[1], gender=NAMES[1]),
        _pupil(RAW[2]),
        _pupil(RAW[2]),  # the same pupil twice: an error, the code is listed
        ["sch220001", RAW[3], None, "ж", "отсутствовал", None, None, None],
        _pupil(NAMES[2]),
    ]
    russian = [_pupil(RAW[4], task=NAMES[0]), _pupil(RAW[0])]
    _vpr(write_xlsx, maths).rename(folder / VPR_NAME)
    other = "Проведение работы по русскому языку, 4 класс. ВПР 2021.xlsx"
    _vpr(write_xlsx, russian, name=other).rename(folder / other)
    return registry, folder


def _everything_written(out) -> str:
    """Every table of every Parquet file and of the cache, the cache's bytes and manifest."""
    parts = []
    for path in sorted(out.rglob("*")):
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).astype(str).to_csv())
            parts.append(path.read_bytes().decode("utf-8", "replace"))
        elif path.suffix == ".pkl":
            parts.append(path.read_bytes().decode("utf-8", "replace"))
            value = read_entry(path)  # checked against its digest, then unpickled
            tables = (value.results, value.tasks, value.quality, value.absent)
            parts.append(_text_of(*tables) + repr(value.results.attrs) + repr(value.notes))
        elif path.suffix == ".json":
            parts.append(json.dumps(json.loads(path.read_text(encoding="utf-8"))))
    return "\n".join(parts)


def test_with_a_key_no_raw_code_and_no_name_is_in_any_output_of_an_import(
    write_xlsx, tmp_path, monkeypatch
):
    monkeypatch.setenv(KEY_VARIABLE, "ключ-импорта")
    registry, folder = _region(write_xlsx, tmp_path)
    out = tmp_path / "out"
    result = import_fisoko(registry, None, [folder], out, invalid_results="exclude", workers=1)
    assert sorted(p.name for p in (out / ".cache" / "vpr").iterdir()) != []
    written = _everything_written(out)
    assert not [c for c in RAW if c in written]
    assert not [w for n in NAMES for w in n.split() if len(w) > 2 and w in written]
    # not vacuous: the pseudonyms are there, where the raw codes were
    results = pd.read_parquet(out / "results_vpr.parquet")
    hashed = pseudonymize(pd.Series(RAW), "ключ-импорта")
    assert set(results["pupil_id"]) == set(hashed[[0, 1, 4]])
    assert set(pd.read_parquet(out / "tasks.parquet")["pupil_id"]) == set(hashed[[0, 1, 4]])
    quality = result.quality()
    assert (quality["value"] == hashed[2]).sum() == 2  # the duplicated pupil, pseudonymised
    assert (quality["value"] == HIDDEN).sum() == 4  # journal, gender, task cell, pupil code
    assert pd.read_parquet(out / "vpr_absent.parquet")["absent"].tolist() == [1]
    # the cached re-import gives the same, and a load of the folder reads it
    again = import_fisoko(registry, None, [folder], out, invalid_results="exclude", workers=1)
    assert again.from_cache
    assert not set(eq.load_dataset(out).results["pupil_id"]) & set(RAW)

"""Personal data: pupils' names are never loaded, pupil ids are replaced by a keyed hash
when a key is set (and the key is in no file of the repository or output), and a
director's report holds its own school's numbers and municipality and region aggregates
only — no other school, no pupil, no group under the small-group threshold — in every
report of the demo data, its charts and its Excel export.

What a director's report may hold, precisely: the school's own name and id, its
municipality's name, the region; numbers of the school's own procedures, and of the
municipality and the region beside them; no other school's name or id anywhere, no
pupil id (raw or pseudonymised), no pupil's name, no table keyed by another school, and
no value of a group under ``min_n`` participants — the school's own, or the
municipality's or region's when it is small or when, less the school's shown numbers, it
leaves a small group of other schools. Other schools appear only as unlabelled points of
the context chart (their composite against their social index), never by name.
"""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from _helpers import ROOT, SAMPLES

import edu_quality as eq
from edu_quality import DataError
from edu_quality.privacy import KEY_VARIABLE
from edu_quality.similar import similar_schools

NAMES = ["Иванов Иван Иванович", "Петрова Анна Сергеевна", "Сидоров Пётр Ильич"]
SURNAMES = ["Иванов", "Петрова", "Сидоров"]
NAME_HEADERS = [
    "ФИО",
    "фио",
    "Ф.И.О.",
    "ф. и. о.",
    "Фамилия",
    "ФАМИЛИЯ",
    "имя",
    "Имя",
    "Отчество",
    "ОТЧЕСТВО",
    "Фамилия, имя, отчество",
    "ФИО обучающегося",
    "ФИО ребёнка",
    "Фамилия Имя",
]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def has_names(text: str) -> list[str]:
    """Pupils' names (as whole words: «Ивановская СОШ» is no pupil) found in ``text``."""
    return [n for n in [*NAMES, *SURNAMES] if re.search(rf"(?<!\w){n}(?!\w)", text)]


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


# ------------------------------------------------------------------ names are never loaded


def _pupils_with_names(header: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Учебный год": [2023] * 3,
            "Процедура": "ВПР",
            "Предмет": "Математика",
            "Класс": 4,
            "Код ОО": "5",
            "Код участника": ["10001", "10002", "10003"],
            header: NAMES,
            "Отметка": [4, 5, 3],
        }
    )


@pytest.mark.parametrize("header", NAME_HEADERS)
@pytest.mark.parametrize("fmt", ["csv-cp1251", "xlsx", "parquet"])
def test_pupil_names_are_never_loaded(tmp_path, header, fmt):
    table = _pupils_with_names(header)
    if fmt == "csv-cp1251":
        path = tmp_path / "r.csv"
        table.to_csv(path, sep=";", index=False, encoding="cp1251")
    elif fmt == "xlsx":
        path = tmp_path / "r.xlsx"
        table.to_excel(path, index=False)
    else:
        path = tmp_path / "r.parquet"
        table.to_parquet(path)
    loaded = eq.read_results(path)
    assert loaded["pupil_id"].tolist() == ["10001", "10002", "10003"]
    assert not [s for s in SURNAMES if s in loaded.astype(str).to_csv()]
    assert header not in loaded.columns and header in loaded.attrs["ignored_columns"]


def test_every_name_column_at_once_and_in_other_tables(tmp_path):
    table = pd.concat(
        [
            _pupils_with_names("ФИО"),
            pd.DataFrame(
                {
                    "Фамилия": SURNAMES,
                    "имя": ["Иван", "Анна", "Пётр"],
                    "ОТЧЕСТВО": ["Иванович", "Сергеевна", "Ильич"],
                }
            ),
        ],
        axis=1,
    )
    path = tmp_path / "r.csv"
    table.to_csv(path, sep=";", index=False, encoding="utf-8")
    text = eq.read_results(path).astype(str).to_csv()
    assert not [w for w in ["Иван", "Анна", "Пётр", "Ильич", *SURNAMES] if w in text]
    # context keeps unknown headers as factor shares: a name column is not one of them
    context = tmp_path / "context.csv"
    context.write_text(
        "Код ОО;Учебный год;ФИО директора;tzhs\n5;2023;Иванов Иван Иванович;0,2\n", encoding="utf-8"
    )
    loaded = eq.read_context(context)
    assert list(loaded.columns) == ["school_id", "year", "tzhs"]
    assert "Иванов" not in loaded.astype(str).to_csv()


def test_names_in_the_pupil_code_column_are_refused_without_repeating_them(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "Учебный год;Процедура;Предмет;Класс;Код ОО;Участник;Отметка\n"
        "2023;ВПР;Математика;4;5;Иванов Иван;4\n2023;ВПР;Математика;4;5;10002;5\n"
        "2023;ВПР;Математика;4;5;Петрова А. С.;3\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="похоже на фамилию и имя") as info:
        eq.read_results(path)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "Участник"), (4, "Участник")]
    assert "Иванов" not in str(info.value) and "Петрова" not in str(info.value)


def test_errors_do_not_quote_names(tmp_path):
    table = _pupils_with_names("ФИО")
    table.loc[1, "Отметка"] = 7
    path = tmp_path / "r.csv"
    table.to_csv(path, sep=";", index=False)
    with pytest.raises(DataError, match="строка 3") as info:
        eq.read_results(path)
    assert not [s for s in SURNAMES if s in str(info.value)]


# ------------------------------------------------------------------ pseudonymisation


@pytest.fixture(scope="module")
def region_raw():
    return eq.load_dataset(SAMPLES / "region", pseudonymize_ids=False)


@pytest.mark.slow
def test_keyed_hash_replaces_every_pupil_id_and_keeps_cohorts(region_raw):
    hashed = eq.load_dataset(SAMPLES / "region", pseudonymize_ids="ключ проверки")
    raw_ids = set(region_raw.results["pupil_id"])
    assert hashed.results["pupil_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert not raw_ids & set(hashed.results["pupil_id"])
    # the same pupil keeps one pseudonym across files and years: cohorts still link
    before = eq.cohort_progress(region_raw.results, before=(2021, 4), after=(2023, 6))
    after = eq.cohort_progress(hashed.results, before=(2021, 4), after=(2023, 6))
    assert before.matched == after.matched > 0
    pd.testing.assert_frame_equal(before.transitions, after.transitions)
    # every other column is unchanged
    cols = [c for c in region_raw.results.columns if c != "pupil_id"]
    pd.testing.assert_frame_equal(hashed.results[cols], region_raw.results[cols])


def test_key_from_the_environment_or_an_argument(monkeypatch, tmp_path):
    path = tmp_path / "r.csv"
    _pupils_with_names("ФИО").to_csv(path, sep=";", index=False)
    assert eq.read_results(path)["pupil_id"].tolist() == ["10001", "10002", "10003"]
    with pytest.raises(DataError, match="ключ не задан"):
        eq.read_results(path, pseudonymize_ids=True)
    monkeypatch.setenv(KEY_VARIABLE, "ключ-1")
    from_env = eq.read_results(path)["pupil_id"]
    assert (
        from_env.tolist() == eq.read_results(path, pseudonymize_ids="ключ-1")["pupil_id"].tolist()
    )
    assert from_env.tolist() == eq.read_results(path, pseudonymize_ids=True)["pupil_id"].tolist()
    assert eq.read_results(path, pseudonymize_ids=False)["pupil_id"].tolist()[0] == "10001"
    monkeypatch.setenv(KEY_VARIABLE, "ключ-2")
    assert eq.read_results(path)["pupil_id"].tolist() != from_env.tolist()
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "schools.csv").write_text(
        "Код ОО;Наименование ОО;Муниципалитет\n5;Школа;Инта\n", encoding="utf-8"
    )
    shutil.copy(path, folder / "results.csv")
    assert not set(eq.load_dataset(folder).results["pupil_id"]) & {"10001", "10002", "10003"}
    assert eq.load_dataset(folder, pseudonymize_ids=False).results["pupil_id"].iloc[0] == "10001"


def test_the_key_is_in_no_file_of_the_repository():
    assign = re.compile(KEY_VARIABLE + r"""\s*[=:]\s*["']?([^\s"'`$<>{}]+)""")
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if (
            parts
            & {
                ".git",
                ".venv",
                "__pycache__",
                ".pytest_cache",
                ".ruff_cache",
                ".hypothesis",
                "reports",
                "node_modules",
            }
            or not path.is_file()
        ):
            continue
        if path.name.startswith(".env"):
            found.append(str(path.relative_to(ROOT)))
            continue
        if path.suffix.lower() in {".xlsx", ".parquet", ".png", ".pkl"}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in assign.finditer(text)]
    assert not found


def test_the_key_is_in_no_output(monkeypatch, tmp_path):
    from edu_quality.report import page, report_data, school_report
    from edu_quality.report.export import export_xlsx
    from edu_quality.report.runner import job_for

    key = "секретный-ключ-7Q"
    monkeypatch.setenv(KEY_VARIABLE, key)
    folder = tmp_path / "inta"
    shutil.copytree(SAMPLES / "inta", folder)
    data = report_data(folder, 2022)
    html = page("x", school_report(data, "INT05"))
    xlsx = export_xlsx(job_for("school", folder, 2022, school_id="INT05"), tmp_path)
    assert key not in html and key not in data.dataset.summary()
    assert key.encode() not in xlsx.read_bytes()


# ------------------------------------------------------------------ every report of the demo


@pytest.fixture(scope="module")
def region_named(tmp_path_factory):
    """The sample region with pupils' names added to its ВПР results (they must vanish)."""
    folder = tmp_path_factory.mktemp("named") / "region"
    shutil.copytree(SAMPLES / "region", folder)
    vpr = pd.read_csv(folder / "results_vpr.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(5)
    vpr.insert(6, "ФИО", rng.choice(NAMES, len(vpr)))
    vpr.insert(7, "Фамилия", rng.choice(SURNAMES, len(vpr)))
    vpr.to_csv(folder / "results_vpr.csv", index=False)
    return folder


def _ids_in(text: str, ids: set[str]) -> set[str]:
    return set(re.findall(r"[\w-]+", text)) & ids


def _scan_school_report(
    data, sid: str, pupil_ids: set[str], recorded: list, family: pd.DataFrame
) -> None:
    from edu_quality.report import page, school_report

    sections = school_report(data, sid)
    html = page(data.names[sid], sections)
    text = visible_text(html)
    schools = data.dataset.schools
    others = schools.loc[schools["school_id"] != sid]
    assert data.names[sid] in text
    # another school is named only as a member of this school's family of similar
    # schools (its results beside the school's, its partners); nowhere else
    kin = {data.names[s] for s in family.loc[family["school_id"] == sid, "neighbour_id"]}
    kin.discard(data.names[sid])  # a same-named school
    leaked = [n for n in others["name"] if n in text and n != data.names[sid] and n not in kin]
    assert not leaked, (sid, leaked)
    if kin:
        outside = [
            sec.title
            for sec in sections
            if any(n in visible_text(page("", [sec])) for n in kin)
            and not sec.title.startswith(("Школы в похожих условиях", "С кем обменяться"))
            and sec.title != "Что делать"
        ]
        assert not outside, (sid, outside)
    assert not _ids_in(text, set(others["school_id"])), sid
    assert not _ids_in(html, pupil_ids), sid
    assert not has_names(html), sid
    for sec in sections:
        for name, table in sec.tables.items():
            if "school_id" in table.columns:
                assert set(table["school_id"]) <= {sid}, (sid, sec.title, name)
    # the key-metrics table: small groups hidden, and only own, municipality, region columns
    # (a school with no results in the year has a one-line section, with no table)
    key = next((s for s in sections if s.title.startswith("Ключевые показатели")), None)
    table = key.tables.get("key_metrics") if key is not None else None
    if table is not None:
        assert all(
            c in ("Работа", "Участников", "Средний балл")
            or c.endswith((": школа", ": муниципалитет", ": регион"))
            for c in table.columns
        )
        small = table["Участников"].astype(int) < data.min_n
        own = [c for c in table.columns if c.endswith(": школа") or c == "Средний балл"]
        # hidden, with no interval beside it
        assert (
            table.loc[small, own].map(lambda v: v.startswith("скрыто") and "[" not in v).all().all()
        ), sid
    assert not [d for d in recorded if d["small"].any()], sid  # charts draw no small group


@pytest.mark.slow
def test_every_director_report_of_the_demo_holds_only_its_school(region_named, monkeypatch):
    """All schools of both samples, rendered in-process; raw pupil ids and names injected."""
    from edu_quality import plots
    from edu_quality.report import report_data

    recorded: list[pd.DataFrame] = []
    draw = plots.plot_dynamics

    def recording(summary, *args, **kwargs):
        recorded.append(summary)
        return draw(summary, *args, **kwargs)

    monkeypatch.setattr(plots, "plot_dynamics", recording)
    charts = 0
    for folder, year in ((region_named, 2024), (SAMPLES / "inta", 2022)):
        data = report_data(folder, year)
        pupil_ids = set(data.dataset.results["pupil_id"].dropna())
        assert data.summary["small"].any() or folder.name == "inta"
        family = similar_schools(data.dataset, data.year, min_n=data.min_n)
        for sid in data.dataset.schools["school_id"]:
            recorded.clear()
            _scan_school_report(data, sid, pupil_ids, recorded, family)
            charts += len(recorded)
    assert charts > 40  # the dynamics charts were drawn, and looked at


@pytest.mark.slow
def test_municipality_reports_hold_no_pupil(region_named):
    from edu_quality.report import municipality_report, page, report_data

    data = report_data(region_named, 2024)
    pupil_ids = set(data.dataset.results["pupil_id"].dropna())
    for muni in data.dataset.municipalities:
        html = page(muni, municipality_report(data, muni))
        assert not _ids_in(html, pupil_ids)
        assert not has_names(html)
    sec = eq.report.sections.schools_overview_section(data, data.dataset.municipalities[0])
    table = sec.tables["schools"]
    small = table["Участников"].astype(int) < data.min_n
    assert (
        table.loc[small, ["Доля «2»", "Качество знаний"]]
        .map(lambda v: v.startswith("скрыто") or v == "—")
        .all()
        .all()
    )


def test_comparison_values_that_would_reveal_a_small_group_are_hidden(tmp_path):
    """A school alone in its municipality with 3 pupils: the municipality's share is its own.

    With 30 pupils beside a school of 2 in the same municipality, the municipality's share
    less the school's own gives the small school's: hidden too. A programme indicator
    scoped to another school is not shown to this one's director.
    """
    from edu_quality.report import page, report_data, school_report
    from edu_quality.report.sections import indicators_section, key_metrics_section

    (tmp_path / "schools.csv").write_text(
        "Код ОО;Наименование ОО;Муниципалитет\na;Школа А;Район А\nb;Школа Б;Район Б\n"
        "c;Школа В;Район Б\nd;Школа Г;Район А\n",
        encoding="utf-8",
    )
    (tmp_path / "results.csv").write_text(
        "Учебный год;Процедура;Предмет;Класс;Код ОО;Количество участников;2;3;4;5\n"
        "2024;ОГЭ;Математика;9;a;3;2;1;0;0\n2024;ОГЭ;Математика;9;b;20;2;8;6;4\n"
        "2024;ОГЭ;Математика;9;c;20;4;8;6;2\n2024;ОГЭ;Русский язык;9;a;30;3;10;10;7\n"
        "2024;ОГЭ;Русский язык;9;d;2;1;1;0;0\n",
        encoding="utf-8",
    )
    (tmp_path / "indicators.csv").write_text(
        "Показатель;Охват;Учебный год;Целевое значение;Факт;Направление\n"
        "Доля «2»;регион;2024;5;6;≤\nДоля «2»;Школа Г;2024;5;50;≤\n",
        encoding="utf-8",
    )
    data = report_data(tmp_path, 2024)
    table = key_metrics_section(data, "a").tables["key_metrics"].set_index("Работа")
    maths, russian = table.loc["ОГЭ, Математика, 9 кл."], table.loc["ОГЭ, Русский язык, 9 кл."]
    assert maths["Доля «2»: школа"].startswith("скрыто")
    assert maths["Доля «2»: муниципалитет"].startswith("скрыто")  # it is the school's 2 of 3
    assert russian["Доля «2»: школа"].startswith("10,0\u00a0% [")  # its own, with its interval
    assert russian["Доля «2»: муниципалитет"].startswith("скрыто")  # 12,5 % less own → «Г»
    other = key_metrics_section(data, "b").tables["key_metrics"].iloc[0]
    assert other["Доля «2»: муниципалитет"] == "15,0\u00a0%"  # 20 + 20 pupils: nothing small
    # the director sees the school's and its municipality's indicators: not another school's
    assert "Школа Г" not in indicators_section(data, "a").html()
    html = page("a", school_report(data, "a"))
    assert "Школа Г" not in visible_text(html) and "66,7" not in html


@pytest.mark.slow
def test_excel_exports_hold_no_pupil_and_hide_small_groups(region_named, tmp_path):
    from openpyxl import load_workbook

    from edu_quality.report import report_data
    from edu_quality.report.export import export_batch_xlsx, export_xlsx
    from edu_quality.report.runner import job_for

    data = report_data(region_named, 2024)
    pupil_ids = set(data.dataset.results["pupil_id"].dropna())
    small_school = data.summary.loc[
        (data.summary["year"] == 2024) & data.summary["small"], "school_id"
    ].iloc[0]
    school = export_xlsx(job_for("school", region_named, 2024, school_id=small_school), tmp_path)
    batch = export_batch_xlsx(region_named, 2024, tmp_path)
    hidden_seen: dict[str, int] = {}
    for path in (school, batch):
        book = load_workbook(path, read_only=True)
        for ws in book:
            rows = list(ws.iter_rows(values_only=True))
            cells = {str(v) for row in rows for v in row if v is not None}
            assert not cells & pupil_ids, (path.name, ws.title)
            assert not [c for c in cells if has_names(c)], (path.name, ws.title)
            header = rows[0]
            if ws.title not in ("Показатели", "Муниципалитет", "Муниципалитеты", "Регион"):
                continue
            # every sheet of indicators says which rows are small groups, and hides them
            assert "Малая группа" in header, (path.name, ws.title)
            at = header.index("Малая группа")
            hidden = [
                header.index(c)
                for c in ("«2»", "Доля «2»", "Качество знаний", "Средний балл")
                if c in header
            ]
            assert hidden, (path.name, ws.title)
            assert {row[at] for row in rows[1:]} <= {"да", "нет"}, (path.name, ws.title)
            small_rows = [row for row in rows[1:] if row[at] == "да"]
            for row in small_rows:
                assert all(row[i] is None for i in hidden), (path.name, ws.title, row)
            if ws.title == "Показатели":
                hidden_seen[path.name] = len(small_rows)
    # the school chosen is small: its own export and the batch's must each hide rows
    assert hidden_seen[school.name] > 0 and hidden_seen[batch.name] > 0, hidden_seen
    for name in ("Показатели", "Статус"):  # a school's export holds that school only
        sheet = pd.read_excel(school, sheet_name=name, dtype=str, engine="calamine")
        assert set(sheet["Код ОО"]) == {small_school}

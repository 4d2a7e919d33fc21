"""Reports: sections' content, papermill execution, HTML without code or pupil ids, batches."""

from __future__ import annotations

import ast
import json
import re
import shutil
from html import escape as html_escape
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import papermill
import pytest
from _helpers import SAMPLES
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

import edu_quality as eq
from edu_quality._russian import name_order
from edu_quality.demo import sample_folder
from edu_quality.report import first_screen as fs
from edu_quality.report import page, report_data
from edu_quality.report import sections as s
from edu_quality.report.engine import WarmKernel
from edu_quality.report.notebooks import NOTEBOOKS
from edu_quality.report.runner import (
    Job,
    ParameterError,
    check_parameters,
    ensure_kernel,
    export_html,
    export_resources,
    job_for,
    notebook_path,
    notebooks_dir,
    plan_jobs,
    render_report,
    report_exporter,
    run_batch,
    safe_name,
)

pytestmark = pytest.mark.slow  # starts Jupyter kernels


class _Text(HTMLParser):
    """Collects visible text, headings, and tags of an HTML page."""

    def __init__(self):
        super().__init__()
        self.text, self.headings, self.tags, self._in = [], [], [], None

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._in = tag

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = None

    def handle_data(self, data):
        self.text.append(data)
        if self._in:
            self.headings.append(data.strip())


def parse(html: str) -> _Text:
    p = _Text()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def inta():
    return report_data(SAMPLES / "inta", 2022)


@pytest.fixture(scope="module")
def region():
    return report_data(SAMPLES / "region", 2024)


def test_school_sections_inta(inta):
    html = page("x", s.school_report(inta, "INT05"))
    doc = parse(html)
    text = " ".join(doc.text)
    assert "МБОУ «СОШ № 5»" in doc.headings
    for heading in (
        "Что делать",
        "Статус школы: все основания, 2021/2022 учебный год",
        "Ключевые показатели: 2021/2022 учебный год",
        "Динамика результатов: 2019–2022 гг.",
        "Контингент и кадры: 2019/2020–2021/2022 учебные годы",
        "Рисковый профиль: анкетирование 2022/2023 учебного года",
        "План мероприятий: трек 1",
    ):
        assert heading in doc.headings
    assert "62,5\u00a0%" in text  # Inta seed: «2» of СОШ № 5 in 2022, 15 of 24
    assert "школа с низкими образовательными результатами" in text
    assert "278" in text and "232" not in text  # enrolment 2021-2022; 2022-2023 is later
    assert "ОГЭ и ЕГЭ 2020, ОГЭ 2021 кроме русского языка и математики" in text  # dynamics note
    assert not [t for t, _ in doc.tags if t == "script"]


def test_small_groups_hidden(region):
    sid = next(
        x
        for x in region.dataset.schools["school_id"]
        if region.summary.query("school_id == @x and year == 2024")["small"].any()
    )
    html = page("x", [s.key_metrics_section(region, sid)])
    assert "скрыто: меньше 5 участников" in html


def test_no_pupil_ids_in_any_report(region):
    ids = set(region.dataset.results["pupil_id"])
    sid = region.dataset.schools["school_id"].iloc[0]
    muni = region.municipality_of[sid]
    html = page("x", s.school_report(region, sid) + s.municipality_report(region, muni))
    tokens = set(re.findall(r"[A-Za-z0-9]{6,}", re.sub(r"base64,[^\"]+", "", html)))
    assert not (tokens & ids)


def test_municipality_report_opens_with_the_spravka(region):
    muni = region.dataset.municipalities[0]
    secs = s.municipality_report(region, muni)
    assert secs[1].title == "Аналитическая справка"  # right after the title, details after it
    assert [x.title for x in secs].count("Аналитическая справка") == 1
    text = " ".join(parse(secs[1].html()).text)
    for part in (
        "Выявленные проблемы",
        "Вероятные причины",
        "Меры по трекам, сроки и ответственные",
        "Показатели программы: расчёт по данным",
    ):
        assert part in text
    assert "Трек 1 — адресная поддержка ШНОР" in text  # measures come from the plan table
    assert "Объективность оценивания: признаки федеральной методики" in [x.title for x in secs]


SPRAVKA_CASES = [("region", "Северный район"), ("inta", "МОГО «Инта»")]


def _spravka(request, which, muni):
    data = request.getfixturevalue(which)
    return data, s.analytic_note(data, muni)


def _count_lines(sec):
    """(headline, count) of every list item of the справка that counts schools."""
    soup = BeautifulSoup(sec.html(), "html.parser")
    out = []
    for li in soup.select("ul.eq-spravka > li"):
        head = "".join(x for x in li.contents if isinstance(x, str))
        m = re.search(r"(\d+) (школа|школы|школ)\b", head)
        if m:
            out.append((head, int(m.group(1))))
    return out


@pytest.mark.parametrize(("which", "muni"), SPRAVKA_CASES)
def test_spravka_names_every_school_behind_its_counts(request, which, muni):
    data, sec = _spravka(request, which, muni)
    names = sorted({str(data.names[i]) for i in data.schools_of(muni)}, key=len, reverse=True)
    lines = _count_lines(sec)
    problems = sec.tables["problems"]
    assert len(problems) >= 2  # lists and declines in both: not vacuous
    assert len(lines) >= len(problems)
    for head, count in lines:
        listed = head.split(" — ", 1)[1]
        found = []
        for name in names:  # longest first: «СОШ № 1» is not counted inside «СОШ № 10»
            if name in listed:
                found.append(name)
                listed = listed.replace(name, "")
        assert len(found) == count, head
        order = sorted(found, key=lambda n: head.index(n))
        assert order == sorted(found, key=name_order)  # by name, never by result
    for row in problems.itertuples():
        assert row.Школ == sum(name in row.Школы for name in set(names) if name) > 0
    c = data.classified
    mine = c.loc[c.index.isin(data.schools_of(muni))]
    text = sec.html()
    for sid in mine.index[mine["status"].isin(["ШНОР", "ШНОР и ШНСУ", "ШНСУ", "зона риска"])]:
        assert html_escape(str(data.names[sid])) in text


def test_spravka_objectivity_line_names_the_flagged_schools(region):
    muni = "Северный район"
    sec = s.analytic_note(region, muni)
    o = region.objectivity.schools
    ids = region.schools_of(muni)
    o = o.loc[o["school_id"].isin(ids) & (o["year"] == 2024) & o["evaluated"]]
    flagged = sorted(
        (str(region.names[i]) for i in o.loc[o["flagged"], "school_id"].unique()), key=name_order
    )
    head = next(h for h, _ in _count_lines(sec) if h.startswith("Признаки необъективности ВПР"))
    n = o["school_id"].nunique()
    assert f"из {n} — " + ", ".join(flagged) + "." in head


@pytest.mark.parametrize(("which", "muni"), SPRAVKA_CASES)
def test_spravka_measures_by_track_then_deadline(request, which, muni):
    from edu_quality.report.plan import deadline_key

    data, sec = _spravka(request, which, muni)
    plan = data.dataset.plan
    keys = [k for k in sec.tables if k.startswith("measures_")]
    tracks = [k.removeprefix("measures_") for k in keys]
    assert tracks == sorted(tracks, key=int) and set(tracks) == set(plan["track"].astype(str))
    text = " ".join(parse(sec.html()).text)
    positions = [text.index(f"Трек {t} — ") for t in tracks]
    assert positions == sorted(positions)
    for t in tracks:
        table = sec.tables[f"measures_{t}"]
        assert list(table.columns) == ["Мероприятие", "Срок", "Ответственный"]
        mine = plan.loc[plan["track"].astype(str) == t]
        assert sorted(table["Мероприятие"]) == sorted(mine["measure"])  # every measure, once
        k = [deadline_key(v) for v in table["Срок"]]
        assert k == sorted(k)
    if which == "inta":  # the file mixes tracks 1 and 3; a month-only deadline comes first
        assert plan["track"].astype(str).tolist() != sorted(plan["track"].astype(str).tolist())
        assert sec.tables["measures_3"]["Срок"].iloc[0] == "Сентябрь-октябрь"
    plan_sec = s.plan_section(data)
    assert [k for k in plan_sec.tables] == [f"plan_{t}" for t in tracks]


@pytest.mark.parametrize(("which", "muni"), SPRAVKA_CASES)
def test_spravka_speaks_plain_russian(request, which, muni):
    data, sec = _spravka(request, which, muni)
    text = " ".join(parse(sec.html()).text)
    for bad in ("(ы)", "(и)", "VIF", "Холма", "логит", "p ("):
        assert bad not in text
    assert not re.search(r"(?<![\w])-\d", text)  # the minus sign, never a hyphen
    assert "1 школы" not in text and "2 школ " not in text


def test_spravka_reconciles_computed_and_reported_indicators(region):
    from edu_quality.dynamics import positive_share, year_over_year
    from edu_quality.report.data import work_keys

    muni = "Северный район"
    sec = s.analytic_note(region, muni)
    rec = sec.tables["indicators_reconciled"].set_index("Показатель")
    row = rec.loc["Доля школ с положительной динамикой результатов (2024)"]
    # independently: verdicts of the year over shown works, counted per school
    ids = region.schools_of(muni)
    sm = region.shown_summary
    sm = sm.loc[sm["school_id"].isin(ids) & sm["year"].isin([2023, 2024]) & ~sm["small"]]
    yoy = year_over_year(sm, by=["school_id", *work_keys(sm)], metrics=["share_2"])
    ps = positive_share(yoy.loc[yoy["year_to"] == 2024]).iloc[0]
    assert row["Рассчитано по данным"].startswith(f"{ps['positive']} из {ps['units']} ")
    ind = region.dataset.indicators
    reported = ind.loc[
        (ind["scope"] == muni)
        & (ind["year"] == 2024)
        & ind["indicator"].str.contains("положительной динамикой"),
        "actual",
    ].iloc[0]
    assert f"{reported:.1f}".replace(".", ",") in row["В показателях программы"]
    # the reported value is the pooled ВПР «2»-share falling by 3 p. p. or more
    v = region.summary
    v = v.loc[v["school_id"].isin(ids) & (v["assessment"] == "ВПР") & v["year"].isin([2023, 2024])]
    g = v.groupby(["school_id", "year"])[["n2", "participants"]].sum()
    share = (g["n2"] / g["participants"]).unstack().dropna()  # noqa: PD010 (years to columns)
    k = int((share[2024] - share[2023] <= -0.03).sum())
    assert round(100 * k / len(share), 1) == round(float(reported), 1)
    assert f"не меньше чем на 3 п. п.: {k} из {len(share)}" in row["Почему различаются"]
    oge = rec.loc["Доля обучающихся с отметкой «2» по ОГЭ (математика) (2024)"]
    assert oge["Почему различаются"] == "Значения совпадают."


def test_factor_table_in_plain_words(region):
    import numpy as np

    from edu_quality.report.factor_words import factor_effects
    from edu_quality.report.region import factor_influence

    sec = s.factors_section(region, "Северный район")
    table = sec.tables["factor_model"]
    assert not {"VIF", "p (поправка Холма)", "Коэффициент"} & set(table.columns)
    assert "Шансы получить «2»" in table.columns and "Доля «2» меняется на, п. п." in table.columns
    text = " ".join(parse(sec.html()).text)
    assert "Как читать" in text and "связь значима с учётом множественных сравнений" in text
    eff = factor_effects(region).set_index("factor")
    raw = factor_influence(region).set_index("factor")
    kdn = eff.loc["kdn_registered"]
    assert np.isclose(
        kdn["odds_ratio"], np.exp(raw.loc["kdn_registered", "coef"] * kdn["step_pp"] / 100)
    )
    assert kdn["pp"] > 0 and eff.loc["both_parents_higher_ed", "pp"] < 0


def test_html_in_school_names_is_escaped(inta):
    import copy

    data = copy.copy(report_data(SAMPLES / "inta", 2022))  # the shared cache stays intact
    data.names = {**data.names, "INT05": "<script>alert(1)</script>"}
    sec = s.identification_section(data, "МОГО «Инта»")
    assert "<script>" not in sec.html() and "&lt;script&gt;" in sec.html()


def test_unknown_school_is_a_clear_error(inta):
    with pytest.raises(eq.DataError, match="школа «NOPE» не найдена"):
        s.school_header(inta, "NOPE")


def test_safe_names():
    assert safe_name("01016") == "01016"
    for bad in ("../x", "a/b", "a b", "<x>", "..", "CON"):
        name = safe_name(bad)
        assert "/" not in name and ".." not in name and " " not in name
    assert safe_name("a/b") != safe_name("a_b")


def test_notebooks_and_their_default_data_ship_in_the_package():
    package = Path(eq.__file__).resolve().parent
    assert notebooks_dir() == package / "notebooks"
    for kind, name in NOTEBOOKS.items():
        assert notebook_path(kind) == notebooks_dir() / name and notebook_path(kind).is_file()
        # the default dataset, as the kernel (working in the notebooks' folder) reads it
        default = ast.literal_eval(
            papermill.inspect_notebook(notebook_path(kind))["data_dir"]["default"]
        )
        if kind == "explore":
            # empty: the folder ``edu-quality explore`` names, else the sample region
            assert default == "", kind
            continue
        assert (notebooks_dir() / default).resolve() == sample_folder("region"), kind
    assert sample_folder("inta").parent == package / "data" / "samples"


def test_unknown_parameter_refused():
    with pytest.raises(ParameterError, match="Неизвестные параметры.*school"):
        check_parameters(notebook_path("school"), {"school": "5"})
    check_parameters(notebook_path("school"), {"school_id": "5", "year": 2022, "data_dir": "."})


def test_papermill_school_and_municipality_reports(tmp_path):
    with WarmKernel(ensure_kernel(), cwd=notebooks_dir()) as kernel:
        # one warm kernel for both: the school report runs on a kernel already used
        for job in (
            job_for("municipality", SAMPLES / "inta", 2022, municipality="МОГО «Инта»"),
            job_for("school", SAMPLES / "inta", 2022, school_id="INT08"),
        ):
            out = render_report(job, tmp_path, kernel=kernel)
            html = out.read_text(encoding="utf-8")
            doc = parse(html)
            assert not [
                a for t, a in doc.tags if t == "div" and "input" in a.get("class", "").split()
            ]
            assert "display(" not in html and "report_data(" not in html  # no code
            assert not [t for t, _ in doc.tags if t == "script"]
            plain = re.sub(r"base64,[^\"]+", "", html)
            assert "http://" not in plain and "https://" not in plain  # nothing from the network
            assert all(
                a.get("src", "").startswith("data:image/png;base64,")
                for t, a in doc.tags
                if t == "img"
            )
            assert (tmp_path / f"{job.name}.ipynb").exists()  # executed notebook kept for audit
        assert kernel.starts == 1 and kernel.reports == 2
    # the page is nbconvert's HTMLExporter document, less its BeautifulSoup re-serialisation
    for executed in sorted(tmp_path.glob("*.ipynb")):
        nb = nbformat.read(executed, as_version=4)
        resources = export_resources("Отчёт")
        fast, _ = report_exporter().from_notebook_node(nb, resources=dict(resources))
        full, _ = report_exporter(HTMLExporter).from_notebook_node(nb, resources=dict(resources))
        assert fast != full and str(BeautifulSoup(fast, "html.parser")) == full
    school = (tmp_path / "school_INT08.html").read_text(encoding="utf-8")
    assert "75,0\u00a0%" in school  # Inta seed: 18 of 24 with «2» at СОШ № 8 in 2022
    muni = parse(next(tmp_path.glob("municipality_*.html")).read_text(encoding="utf-8"))
    assert "Аналитическая справка" in muni.headings

    # the executed notebook: papermill's injected parameters, counts from 1 as in a new kernel
    nb = nbformat.read(tmp_path / "school_INT08.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1 and 'school_id = "INT08"' in injected[0].source
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))
    assert nb.metadata.papermill["parameters"]["school_id"] == "INT08"

    # the same report by plain papermill on a new kernel: the same page but for its time stamp
    # (and the random id papermill gives its injected cell, a new one on every run)
    cold = papermill.execute_notebook(
        str(notebook_path("school")),
        None,
        parameters=dict(nb.metadata.papermill["parameters"]),
        kernel_name=ensure_kernel(),
        report_mode=True,
        progress_bar=False,
        cwd=str(notebooks_dir()),
    )
    stamp = re.compile(r"<footer>.*?</footer>|cell-id=[0-9a-f-]+", re.S)
    assert stamp.sub("", export_html(cold, title=job.title)) == stamp.sub("", school)


def test_warm_kernel_namespace_is_cleared_between_reports(tmp_path):
    probe = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('tag: str = ""')
    params.metadata["tags"] = ["parameters"]
    probe.cells = [
        params,
        nbformat.v4.new_code_cell(
            'leak = sorted(n for n in globals() if not n.startswith("_") and n not in '
            '("In", "Out", "get_ipython", "exit", "quit", "open", "tag"))\n'
            "secret = 42\nleak"
        ),
    ]
    path = tmp_path / "probe.ipynb"
    nbformat.write(probe, path)
    with WarmKernel(ensure_kernel(), cwd=tmp_path) as kernel:
        first = kernel.run(path, None, {"tag": "a"})
        second = kernel.run(path, None, {"tag": "b"})
    for nb in (first, second):
        assert nb.cells[-1].outputs[0]["data"]["text/plain"] == "[]"  # no «secret», no «leak»
    assert kernel.reports == 2 and kernel.starts == 1


def test_batch_with_a_broken_school(tmp_path):
    def plan(data_dir, year, municipality):
        jobs = [j for j in plan_jobs(data_dir, year, municipality) if j.kind == "school"][:2]
        broken = Job(
            "school",
            {"data_dir": str(data_dir), "school_id": "BROKEN", "year": year},
            "school_BROKEN",
            "Сломанная школа",
        )
        return [*jobs, broken]

    out = tmp_path / "reports"
    result = run_batch(SAMPLES / "inta", 2022, out, jobs=2, progress=False, plan=plan)
    assert len(result.done) == 2 and list(result.failed) == ["school_BROKEN"]
    assert "BROKEN" in result.failed["school_BROKEN"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["reports"]["school_BROKEN"]["status"] == "failed"
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "ошибка" in index and "Сломанная школа" in index
    assert "<th>Статус школы</th>" in index
    statuses = {e.get("identification") for e in manifest["reports"].values()}
    assert statuses <= {"ШНОР", "ШНСУ", "ШНОР и ШНСУ", "зона риска", "резильентная", ""}
    assert manifest["reports"]["school_BROKEN"]["identification"] == ""  # not in the dataset
    assert (out / "batch.log").read_text(encoding="utf-8").count("school_BROKEN") == 1
    assert not list(out.glob(".*.tmp")) and not list(out.glob(".*.ipynb"))
    # a re-run skips what did not change and retries only the failure
    again = run_batch(SAMPLES / "inta", 2022, out, jobs=1, progress=False, plan=plan)
    assert sorted(again.skipped) == sorted(result.done) and list(again.failed) == ["school_BROKEN"]
    forced = run_batch(SAMPLES / "inta", 2022, out, jobs=1, progress=False, plan=plan, force=True)
    assert len(forced.done) == 2


def test_lists_are_not_league_tables(region):
    """Рособрнадзор's letter 02-86: lists by municipality and name, never by result."""
    from edu_quality.report.region import identification_summary

    muni = region.dataset.schools["municipality"].iloc[0]
    table = s.schools_overview_section(region, muni).tables["schools"]
    assert len(table) > 2
    assert table["Школа"].tolist() == sorted(table["Школа"], key=name_order)
    lists = {
        k: t for k, t in identification_summary(region).tables.items() if k.startswith("list_")
    }
    assert lists  # the sample region has listed schools: not vacuous
    for t in lists.values():
        keys = list(zip(t["Муниципалитет"], t["Школа"], strict=True))
        assert keys == sorted(keys, key=lambda k: tuple(map(name_order, k)))


def test_our_markers_apart_from_the_federal_signs(region):
    """A school whose mathematics-4 scores bunch at the cut-off of «4» (10 points) is named
    in its own report and in its municipality's, under «правило edu_quality», never with
    a count of pupils; a region without it says nothing fires."""
    import dataclasses

    from edu_quality.report.data import ReportData
    from edu_quality.report.objectivity import objectivity_overview_section

    assert region.markers.empty  # nothing planted in the sample
    ds = region.dataset
    r = ds.results.copy()
    work = (r["year"] == 2021) & (r["subject"] == "Математика") & (r["grade"] == 4)
    sid = r.loc[work, "school_id"].value_counts().index[0]
    lifted = work & (r["school_id"] == sid) & r["score"].between(8, 9)
    assert lifted.sum() >= 3
    r.loc[lifted, "score"] = 10
    data = ReportData(dataclasses.replace(ds, results=r), 2021)
    m = data.markers
    assert m["school_id"].tolist() == [sid]
    html = s.objectivity_section(data, sid).html()
    assert "Правила edu_quality" in html and "границы отметки «4» (10 б.)" in html
    assert "требуется проверка" in html
    muni = data.municipality_of[sid]
    text = objectivity_overview_section(data, muni).html()
    assert html_escape(data.names[sid]) in text and "границы отметки «4»" in text


# ------------------------------------------------------------------ the director's first screen


def _first_screen(data, sid) -> str:
    return " ".join(parse("".join(x.html() for x in s.school_report(data, sid)[:3])).text)


@pytest.mark.parametrize(("which", "sid"), [("inta", "INT05"), ("region", "01016")])
def test_first_screen_blocks_in_order(inta, region, which, sid):
    data = {"inta": inta, "region": region}[which]
    secs = s.school_report(data, sid)
    assert secs[0].level == 1 and secs[0].title == data.names[sid]
    assert secs[1].title.startswith("Главное: ") and secs[2].title == "Что делать"
    text = _first_screen(data, sid)
    order = ["Статус: школа с низкими образовательными результатами (ШНОР).", "Почему: "]
    order += ["Главное: ", "Что делать", "Трек 1 — адресная поддержка"]
    at = [text.index(part) for part in order]
    assert at == sorted(at)
    # the municipality as it is written («г. Заречный», never «Г. Заречный»)
    muni = data.municipality_of[sid]
    assert f"Муниципалитет: {muni}. " in secs[0].html()
    # the details follow: the full reasons, then the key metrics
    titles = [x.title for x in secs]
    assert titles.index("Что делать") < next(
        i for i, t in enumerate(titles) if t.startswith("Статус школы: все основания")
    )


def test_first_screen_of_a_stably_low_school(region):
    text = _first_screen(region, "01016")
    assert "Почему: результаты устойчиво низкие: в 3 годах из последних (2022, 2023, 2024)" in text
    # the three works furthest from the region: share of «2», the school's interval, the region
    assert "ОГЭ, Математика, 9 кл.: доля «2» 64,3\u00a0% (с учётом случайных колебаний " in text
    far = fs.far_works(region, "01016")
    assert len(far) == 3 and far["diff"].abs().is_monotonic_decreasing
    assert ((far["region"] < far["low"]) | (far["region"] > far["high"])).all()
    # the context-adjusted result: words first, the number second, with its unit
    words = "ниже, чем у школ с похожими условиями; разница больше случайной"
    assert words in text and text.index(words) < text.index("−1,83 в стандартных отклонениях")
    # ВПР marks below the journal marks in every work: said for what it is
    assert "отметки в журнале выше, чем показывает работа" in text
    # the risk factors of high significance, with the questionnaire's year
    assert "Факторы риска высокой значимости (анкетирование 2023/2024 учебного года)" in text
    assert "Низкий уровень вовлеченности родителей" in text


def test_far_works_never_quote_a_hidden_cell(region):
    shown = region.shown_summary
    for sid in list(region.names)[:15]:
        for r in fs.far_works(region, sid).itertuples():
            label = r.label.split(", ")
            row = shown.loc[
                (shown["school_id"] == sid)
                & (shown["year"] == 2024)
                & (shown["subject"] == label[1])
                & (shown["assessment"] == label[0])
                & (shown["grade"] == int(label[2].split()[0]))
            ]
            assert len(row) == 1
            assert not row["small"].any() and row["share_2"].notna().all()


@pytest.mark.parametrize(("which", "sid"), [("inta", "INT05"), ("region", "01016")])
def test_what_to_do_holds_the_plan_measures_with_deadlines(inta, region, which, sid):
    data = {"inta": inta, "region": region}[which]
    html = s.actions_section(data, sid).html()
    plan = data.dataset.plan
    track1 = plan.loc[plan["track"] == "1"]
    for r in track1.head(4).itertuples():  # the first measures, each with its deadline
        assert html_escape(f"{r.measure} — {r.deadline}", quote=False) in html
    other = plan.loc[plan["track"] != "1", "measure"]
    assert not [m for m in other if html_escape(m, quote=False) in html]
    full = s.track_plan_section(data, sid)
    assert full.title == "План мероприятий: трек 1"
    assert len(full.tables["plan_1"]) == len(track1)


def test_what_to_do_names_the_school_measures_when_the_plan_has_them(region):
    import copy
    import dataclasses

    data = copy.copy(region)
    plan = region.dataset.plan.copy()
    plan.loc[len(plan)] = {
        "track": "1",
        "measure": f"Выездной методический десант в {region.names['01016']}",
        "deadline": "до 01.11.2024",
        "responsible": "Муниципальный методический центр",
    }
    data.dataset = dataclasses.replace(region.dataset, plan=plan)
    text = " ".join(parse(s.actions_section(data, "01016").html()).text)
    assert "меры плана для школы" in text and "Выездной методический десант" in text
    assert "до 01.11.2024" in text and "Анализ результатов ВПР" not in text


def test_every_objectivity_marker_on_the_first_screen(region):
    import copy

    flagged = region.objectivity.schools.query("year == 2024 and flagged")
    sid = flagged["school_id"].iloc[0]  # 01004: two federal signs, on no list
    data = copy.copy(region)
    data.markers = region.markers.iloc[0:0].copy()
    data.markers.loc[0] = [sid, "Математика", 4, "весна", "cutoff", "у границы отметки «4» (10 б.)"]
    head = s.school_header(data, sid).html()
    text = " ".join(parse(head).text)
    assert "Статус: не входит в списки" in text
    assert "но есть признаки необъективности оценивания: требуется проверка" in text
    assert "Признаки необъективности: требуется проверка" in text
    federal = text.index("Федеральная методика ФИОКО — признак «завышенные значения")
    ours = text.index(
        "Правило edu_quality — у границы отметки участников больше, чем ожидается по "
        "распределению баллов в регионе: ВПР, Математика 4 кл. («4», 10 б.)"
    )
    assert federal < ours
    # a school with no marker: no box, and its status sentence says nothing of a check
    clean = s.school_header(region, "01016").html()
    assert "Признаки необъективности" not in clean and "eq-warn" not in clean


def test_context_words():
    import pandas as pd

    def words(lo, hi):
        return fs.context_words(
            pd.Series({"adjusted": (lo + hi) / 2, "adjusted_low": lo, "adjusted_high": hi})
        )

    assert "выше, чем у школ с похожими условиями; разница больше случайной" in words(0.1, 0.5)
    assert "в пределах случайной" in words(-0.1, 0.5)
    assert "в стандартных отклонениях" in words(-2.66, -2.02)
    assert "от −2,66 до −2,02" in words(-2.66, -2.02)
    assert fs.context_words(None) == ""


SCHOOLS = [("inta", "INT05"), ("inta", "INT06"), ("region", "01016"), ("region", "01004")]


@pytest.mark.parametrize(("which", "sid"), SCHOOLS)
def test_no_heading_over_no_data(inta, region, which, sid):
    data = {"inta": inta, "region": region}[which]
    for sec in s.school_report(data, sid):
        if not sec.title:  # an empty section is one line, with no heading
            assert len(sec.blocks) == 1 and 'class="eq-empty"' in sec.blocks[0]
            continue
        body = "".join(sec.blocks)
        for empty in ("Нет данных", "нет данных", "не загружен"):
            assert empty not in body, (sec.title, empty)


@pytest.mark.parametrize(("which", "sid"), SCHOOLS)
def test_every_table_names_its_year(inta, region, which, sid):
    data = {"inta": inta, "region": region}[which]
    year = re.compile(r"\b(19|20)\d\d\b")
    tables = 0
    for sec in s.school_report(data, sid):
        for name, table in sec.tables.items():
            tables += 1
            columns = " ".join(map(str, table.columns))
            # the plan carries no year of its own: its deadlines date each measure
            dated = "Год" in columns or "Срок" in columns
            assert year.search(sec.title) or year.search(columns) or dated, name
    assert tables


def test_school_indicators_are_its_own_and_its_municipality(region):
    sec = s.indicators_section(region, "01016")
    table = sec.tables["indicators"]
    assert set(table["Охват"]) == {region.municipality_of["01016"]}
    assert table["Год"].astype(int).max() <= 2024
    assert "2021–2024" in sec.title


def test_the_page_leaves_out_what_cells_wrote_to_stderr():
    """A warning (Python's text with the code's path) stays in the kept notebook, off the page."""
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("run()")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream", name="stderr", text="/opt/edu_quality/similar.py:157: FactorWarning: …\n"
        ),
        nbformat.v4.new_output("display_data", data={"text/html": "<p>Статус школы</p>"}),
        nbformat.v4.new_output("stream", name="stdout", text="Напечатано\n"),
    ]
    nb.cells.append(cell)
    page_html = export_html(nb, title="Проба")
    assert "Статус школы" in page_html and "Напечатано" in page_html
    assert "FactorWarning" not in page_html and "similar.py" not in page_html
    assert [o.name for o in nb.cells[0].outputs if o.output_type == "stream"] == [
        "stderr",
        "stdout",
    ]


def test_reports_of_a_region_with_pupils_from_some_schools_and_counts_from_others(tmp_path, region):
    """Above the school, a work given per pupil and as counts is one row, its counts whole."""
    folder = tmp_path / "region"
    shutil.copytree(SAMPLES / "region", folder)
    oge = pd.read_csv(folder / "results_oge.csv", dtype={"school_id": str})
    counted = oge["school_id"].isin(sorted(oge["school_id"].unique())[::2])
    oge.loc[~counted].to_csv(folder / "results_oge.csv", index=False)
    work = ["year", "assessment", "subject", "grade", "school_id"]
    rows = oge.loc[counted]
    wrote = rows["admitted"] & rows["mark"].notna()
    g = rows.assign(wrote=wrote, na=~rows["admitted"]).groupby(work)
    counts = g.agg(participants=("wrote", "sum"), not_admitted=("na", "sum"))
    for m in (2, 3, 4, 5):
        counts[f"n{m}"] = g.apply(lambda x, m=m: int((x["wrote"] & (x["mark"] == m)).sum()))
    counts.reset_index().to_csv(folder / "results_oge_counts.csv", index=False)
    mixed = report_data(folder, 2024)
    assert len(mixed.dataset.results) and len(mixed.dataset.aggregates)
    keys = ["municipality", "assessment", "subject", "grade", "year"]
    for table in (mixed.summary_municipality, mixed.summary_region):
        assert not table.duplicated([k for k in keys if k in table.columns]).any()
    both = mixed.summary_municipality.merge(
        region.summary_municipality, on=keys, suffixes=("", "_pupils")
    )
    assert len(both) == len(region.summary_municipality)
    for c in ("participants", "not_admitted", "n2", "n5"):
        assert both[c].tolist() == both[f"{c}_pupils"].tolist(), c
    sid = oge.loc[counted, "school_id"].iloc[0]
    html = page(
        "x", s.school_report(mixed, sid) + s.municipality_report(mixed, mixed.municipality_of[sid])
    )
    assert "Ключевые показатели" in html


def test_a_directors_plan_names_no_other_school(inta):
    from edu_quality.report.first_screen import OTHER_SCHOOL, OTHER_SCHOOLS, _without_other_schools

    plan = pd.DataFrame(
        {
            "measure": [
                "кураторы МБОУ «Гимназия № 2», «Лицей № 1 г. Инты» и Лицей № 1 г. Инты "
                "для МБОУ «СОШ № 6»",
                "СОШ № 5 и СОШ № 50",
            ],
            "responsible": ["директор МБОУ «СОШ № 6»", None],
        }
    )
    out = _without_other_schools(inta, "INT06", plan)
    assert out["measure"].tolist() == [
        f"кураторы {OTHER_SCHOOLS} для МБОУ «СОШ № 6»",  # three in a row: «другие школы»
        f"{OTHER_SCHOOL} и СОШ № 50",  # «СОШ № 50» is no school of the registry
    ]
    assert out["responsible"].iloc[0] == "директор МБОУ «СОШ № 6»"  # its own name stays
    # another school's name holding the school's own name is still another school's
    names = {
        "1": "МБОУ «Лицей № 1»",
        "2": "МАОУ «Лицей № 1 имени А. С. Пушкина»",
        "4": "МКОУ «Лицей № 1»",
    }
    data = type("Names", (), {"names": names})()
    plan = pd.DataFrame({"measure": ["в МАОУ «Лицей № 1 имени А. С. Пушкина»; МКОУ «Лицей № 1»"]})
    assert _without_other_schools(data, "1", plan)["measure"].iloc[0] == (
        f"в {OTHER_SCHOOL}; {OTHER_SCHOOL}"
    )


def test_the_risk_section_lists_high_significance_first(inta):
    """The loaded profile's words are categoricals: the table is still high, medium, low."""
    assert isinstance(inta.dataset.risk_profiles["significance"].dtype, pd.CategoricalDtype)
    table = s.risk_section(inta, "INT08").tables["risk_profile"]
    rank = table["Значимость"].astype("str").map({"высокая": 0, "средняя": 1, "низкая": 2})
    assert rank.is_monotonic_increasing and rank.nunique() == 3

"""The data every report of one year needs: a dataset and the tables computed once from it.

:class:`ReportData` is what the sections (:mod:`edu_quality.report.sections`,
:mod:`edu_quality.report.region`) take; :func:`report_data` loads it once per
process, dataset folder and year. Its region-wide tables (:func:`region_table`)
are kept on disk for the next process (:mod:`edu_quality.report.table_cache`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._checks import check_school_year
from .._rows import KeyedRows, iter_rows
from ..dataset import Dataset
from ..disclosure import complementary_suppression, hide
from ..errors import DataError
from ..exam_years import session_of
from ..identify import classify
from ..metrics import summarize_together
from ..reliability import drop_unreliable, unreliable_protocols
from .cache import cached_dataset, folder_version
from .table_cache import REPORT_MIN_N, stored, table_key

__all__ = [
    "PROCEDURE",
    "ReportData",
    "carried_max_scores",
    "region_table",
    "report_data",
    "school_statuses",
    "work_keys",
    "work_of",
]

#: The columns naming an assessment procedure (what was written, in which grade).
PROCEDURE = ["assessment", "subject", "grade"]


def work_keys(table: pd.DataFrame) -> list[str]:
    """The columns naming one work in ``table``: :data:`PROCEDURE`, and the session.

    ``session`` counts where the data hold autumn works apart
    (:mod:`edu_quality.exam_years`).

    Examples
    --------
    >>> work_keys(pd.DataFrame(columns=["assessment", "subject", "grade", "session"]))
    ['assessment', 'subject', 'grade', 'session']
    """
    return [*PROCEDURE, "session"] if "session" in table.columns else list(PROCEDURE)


def work_of(row: object, work: list[str]) -> tuple:
    """A row's work (the values of ``work``) as a key; a missing value as None (NaN equals nothing).

    Examples
    --------
    >>> from collections import namedtuple
    >>> Row = namedtuple("Row", ["subject", "grade", "session"])
    >>> work_of(Row("Математика", 5, float("nan")), ["subject", "grade", "session"])
    ('Математика', 5, None)
    """
    return tuple(None if pd.isna(v := getattr(row, c)) else v for c in work)


def carried_max_scores(
    years: pd.Series, known: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, str]:
    """Maximum scores of the works for every year of ``years`` (and the year before).

    ``known`` (by default :func:`edu_quality.scales.max_scores`, the shipped
    years; a dataset's own scales through :meth:`edu_quality.Dataset.max_scores`)
    holds the years whose scales are given; a year it lacks takes the maximum of the same work in the
    nearest earlier year it has (the nearest later one when there is none):
    sign (c) of the federal method needs the maximum of every work, and the
    КИМ of a work keep their maximum from year to year as a rule.

    Returns
    -------
    (DataFrame, str)
        The table (``year``, ``subject``, ``grade``, ``max_score``) and a
        sentence naming the years carried, empty when none was.

    Examples
    --------
    >>> table, note = carried_max_scores(pd.Series([2021, 2024]))
    >>> int(table.query("year == 2024 and grade == 4 and subject == 'Математика'")["max_score"].iloc[0])
    20
    >>> note
    'Максимальные баллы работ 2023, 2024 гг. взяты из шкал 2021 г. (шкалы этих лет не поставлены).'
    """
    from ..scales import max_scores

    known = max_scores() if known is None else known
    have = sorted(int(y) for y in known["year"].unique())
    wanted = {int(y) for y in years.dropna().unique()}
    wanted |= {y - 1 for y in wanted}
    parts, carried, sources = [known], [], set()
    for year in sorted(wanted - set(have)):
        earlier = [y for y in have if y < year]
        source = earlier[-1] if earlier else min(have, key=lambda y: abs(y - year))
        parts.append(known.loc[known["year"] == source].assign(year=year))
        carried.append(year)
        sources.add(source)
    note = ""
    if carried:
        note = (
            f"Максимальные баллы работ {', '.join(map(str, carried))} гг. взяты из шкал "
            f"{', '.join(map(str, sorted(sources)))} г. (шкалы этих лет не поставлены)."
        )
    return pd.concat(parts, ignore_index=True), note


def region_table(*extras: str):
    """A :class:`ReportData` table computed once per process and kept on disk for the next.

    The decorated method becomes a cached property whose value goes through
    :func:`~edu_quality.report.table_cache.stored` under the data's
    :attr:`ReportData.cache_key`; ``extras`` name attributes the method sets
    on the way (a note, an error), kept with the table.
    """

    def wrap(method):
        name = method.__name__

        def get(self):
            def make():
                value = method(self)
                return value, {a: getattr(self, a) for a in extras if hasattr(self, a)}

            value, attrs = stored(self.cache_key, name, make)
            for a, v in attrs.items():
                setattr(self, a, v)
            return value

        get.__name__, get.__doc__ = name, method.__doc__
        return cached_property(get)

    return wrap


class ReportData:
    """A dataset and the tables every report of one year needs, computed once.

    Parameters
    ----------
    dataset : Dataset
    year : int or str
        The school year: the year of its end (2024) or both years («2023/2024»,
        «2023-2024», «2023/24»).
    min_n : int
        Small-group threshold: groups with fewer participants are hidden.
    cache_key : str, optional
        The key of the region-wide tables on disk
        (:func:`~edu_quality.report.table_cache.table_key`); :func:`report_data`
        gives it, a report data built without it computes every table.
    """

    def __init__(
        self,
        dataset: Dataset,
        year: int | str,
        *,
        min_n: int = REPORT_MIN_N,
        cache_key: str | None = None,
    ):
        self.dataset = dataset
        self.cache_key = cache_key
        self.year = check_school_year("year", year)
        self.min_n = min_n
        self.max_score_note = ""
        self.names = dict(zip(dataset.schools["school_id"], dataset.schools["name"], strict=True))
        self.municipality_of = dict(
            zip(dataset.schools["school_id"], dataset.schools["municipality"], strict=True)
        )

    def _summ(self, by: list[str]) -> pd.DataFrame:
        tables = [self.dataset.results, self.dataset.aggregates]
        if "municipality" in by:
            tables = [
                t.assign(municipality=t["school_id"].map(self.municipality_of)) for t in tables
            ]
        # a municipality's (the region's) schools may give pupils and counts: one row each
        return summarize_together(tables, by, min_n=self.min_n)

    @region_table()
    def summary(self) -> pd.DataFrame:
        """Metrics per school, procedure and year."""
        return self._summ(["school_id", *PROCEDURE, "year"])

    @region_table()
    def unreliable(self) -> pd.DataFrame:
        """The unreliable protocols of the pupil results (:func:`edu_quality.reliability.unreliable_protocols`).

        The summaries leave them out; the school report names them.
        """
        return unreliable_protocols(self.dataset.results)

    @region_table()
    def summary_municipality(self) -> pd.DataFrame:
        """Metrics per municipality, procedure and year."""
        return self._summ(["municipality", *PROCEDURE, "year"])

    @region_table()
    def summary_region(self) -> pd.DataFrame:
        """Metrics of the whole region per procedure and year."""
        return self._summ([*PROCEDURE, "year"])

    @region_table()
    def hidden(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows hidden in :attr:`summary`, :attr:`summary_municipality`, :attr:`summary_region`.

        Small groups and the complementary cells that keep them from being derived by
        subtraction (:func:`edu_quality.disclosure.complementary_suppression`).
        """
        return complementary_suppression(
            self.summary,
            self.summary_municipality,
            self.summary_region,
            municipality_of=self.municipality_of,
            min_n=self.min_n,
        )

    @cached_property
    def shown_summary(self) -> pd.DataFrame:
        """:attr:`summary` as it may be shown: hidden rows keep only their keys and N."""
        return hide(self.summary, self.hidden[0])

    @cached_property
    def shown_municipality(self) -> pd.DataFrame:
        """:attr:`summary_municipality` as it may be shown beside the schools."""
        return hide(self.summary_municipality, self.hidden[1])

    @cached_property
    def shown_region(self) -> pd.DataFrame:
        """:attr:`summary_region` as it may be shown beside the municipalities."""
        return hide(self.summary_region, self.hidden[2])

    def memo(self, name: str, make: Callable[[], Any], *, disk: bool = False) -> Any:
        """``make()`` once per report data; kept on disk too when ``disk`` (aggregates only).

        The tables the sections share across reports (of every school, every
        municipality); on disk under :attr:`cache_key`
        (:func:`~edu_quality.report.table_cache.stored`).

        Examples
        --------
        >>> from edu_quality.demo import sample_folder
        >>> d = report_data(sample_folder("inta"), 2022)
        >>> d.memo("answer", lambda: 42), d.memo("answer", lambda: 0)
        (42, 42)
        """
        store = self.__dict__.setdefault("_memo", {})
        if name not in store:
            store[name] = stored(self.cache_key, name, make) if disk else make()
        return store[name]

    def rows_of(
        self, table: pd.DataFrame, *, column: str = "school_id", year: bool = False
    ) -> KeyedRows:
        """The rows of ``table`` per value of ``column`` (of the report year only when ``year``).

        ``data.rows_of(t)(key)`` equals ``t.loc[t[column] == key]``, found once
        per table: a section asks for one school's rows without scanning the
        region's table on every page (:class:`~edu_quality._rows.KeyedRows`).
        The index is kept for this very table object: a table replaced (say on
        a copy of the report data) is indexed anew, never answered from the old.

        Examples
        --------
        >>> from edu_quality.demo import sample_folder
        >>> d = report_data(sample_folder("inta"), 2022)
        >>> rows = d.rows_of(d.dataset.schools)
        >>> sid = d.dataset.schools["school_id"].iloc[0]
        >>> rows(sid)["school_id"].tolist() == [sid], sid in rows, "нет такой" in rows
        (True, True, False)
        """
        store = self.__dict__.setdefault("_rows", {})
        key = (id(table), column, self.year if year else None)
        found = store.get(key)
        if found is None or found[0] is not table:  # the table object itself, not a reused id
            part = table.loc[table["year"] == self.year] if year else table
            found = store[key] = (table, KeyedRows(part, column))
        return found[1]

    @cached_property
    def _year_rows(self) -> KeyedRows:
        s = self.shown_summary
        return KeyedRows(s.loc[s["year"] == self.year])

    def school_year(self, school_id: str) -> pd.DataFrame:
        """The rows of :attr:`shown_summary` of a school in the year (found once for all)."""
        return self._year_rows(school_id)

    def shown_by_work(self, municipality: str | None = None) -> dict[tuple, object]:
        """The year's rows of :attr:`shown_region` (or of a municipality's) by work.

        Keys are :func:`work_of` the row (the columns of :func:`work_keys`),
        values the rows as named tuples (:func:`edu_quality._rows.iter_rows`);
        the first of any repeated work.
        """

        def make() -> dict[tuple, object]:
            if municipality is None:
                t = self.shown_region
            else:
                t = self.shown_municipality
                t = t.loc[t["municipality"] == municipality]
            t = t.loc[t["year"] == self.year]
            work = work_keys(t)
            out: dict[tuple, object] = {}
            for row in iter_rows(t):
                out.setdefault(work_of(row, work), row)
            return out

        return self.memo("by_work" if municipality is None else f"by_work:{municipality}", make)

    @region_table("classify_error")
    def classified(self) -> pd.DataFrame | None:
        """:func:`edu_quality.classify` for the year (None when it cannot be computed).

        The school cells hidden for disclosure control (:attr:`hidden`) are passed
        as ``hidden``: the rules count them, the reasons never quote them.
        """
        try:
            keys = ["school_id", *work_keys(self.summary), "year"]
            secret = self.summary.loc[self.hidden[0], keys]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return classify(self.dataset, self.year, min_n=self.min_n, hidden=secret).set_index(
                    "school_id"
                )
        except (DataError, ValueError) as exc:
            self.classify_error = str(exc)
            return None

    @region_table("max_score_note")
    def objectivity(self):
        """The federal index (:func:`edu_quality.objectivity_index`, «Федеральная методика ФИОКО»).

        On the ВПР pupil results, with the maximum scores of each work by year
        (:func:`edu_quality.scales.max_scores`; for a year the shipped scales
        do not cover, :func:`carried_max_scores`, said in
        :attr:`max_score_note`); None when it cannot be computed.
        """
        from ..objectivity import objectivity_index

        r = drop_unreliable(self.dataset.results)
        if r.empty or not (r["assessment"] == "ВПР").any() or r["journal_mark"].isna().all():
            return None
        maxima, self.max_score_note = carried_max_scores(r["year"], self.dataset.max_scores())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return objectivity_index(r, max_scores=maxima)
            except (DataError, ValueError):
                return None

    @region_table()
    def objectivity_triage(self):
        """Our stricter reading (:func:`edu_quality.objectivity_triage`, «правило edu_quality»).

        Never the federal index; None when it cannot be computed.
        """
        from ..objectivity import objectivity_triage

        if self.objectivity is None:
            return None
        r = drop_unreliable(self.dataset.results)
        maxima, _ = carried_max_scores(r["year"], self.dataset.max_scores())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                return objectivity_triage(r, max_scores=maxima)
            except (DataError, ValueError):
                return None

    def year_tasks(self) -> pd.DataFrame | None:
        """The year's per-task scores: the dataset folder's ``tasks.parquet`` (a ФИС ОКО import).

        Pupil rows, kept in memory only (never in the table cache); None when the
        folder has none for the year.
        """

        def make():
            path = self.dataset.folder / "tasks.parquet" if self.dataset.folder else None
            if path is None or not path.is_file():
                return None
            tasks = pd.read_parquet(path, filters=[("year", "==", self.year)])
            return None if tasks.empty else tasks

        return self.memo("tasks", make)

    @region_table()
    def markers(self) -> pd.DataFrame:
        """Our own markers of the year that fire (:mod:`edu_quality.score_checks`).

        «Правило edu_quality», never part of the federal index: pupils bunched at a
        mark's cut-off score (:func:`~edu_quality.score_checks.cutoff_excess`, works
        with an official scale) and totals above the sum of task scores
        (:func:`~edu_quality.score_checks.total_above_tasks`, when the dataset folder
        holds the ``tasks.parquet`` of a ФИС ОКО import). Columns: ``school_id``,
        ``subject``, ``grade``, ``session``, ``marker``, ``detail`` (Russian, with no
        pupil count). Empty when nothing fires or nothing can be judged.
        """
        from ..score_checks import cutoff_excess, total_above_tasks

        cols = ["school_id", "subject", "grade", "session", "marker", "detail"]
        r = drop_unreliable(self.dataset.results)
        r = r.loc[(r["year"] == self.year) & (r["assessment"] == "ВПР") & r["score"].notna()]
        parts = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                c = cutoff_excess(r) if len(r) else pd.DataFrame(columns=["flag"])
            except (DataError, ValueError):
                c = pd.DataFrame(columns=["flag"])
            c = c.loc[c["flag"].astype(bool)]
            if len(c):
                parts.append(
                    c.assign(
                        detail=[
                            f"у границы отметки «{m}» ({b} б.) участников больше, чем "
                            "ожидается по распределению баллов в регионе"
                            for m, b in zip(c["cutoff_mark"], c["cutoff_score"], strict=True)
                        ]
                    )
                )
            try:  # the year's task scores, as the results are the year's
                tasks = self.year_tasks() if len(r) else None
                t = None if tasks is None else total_above_tasks(r, tasks)
            except (DataError, ValueError, OSError):
                t = None
            if t is not None:
                t = t.loc[t["flag"].astype(bool)]
                if len(t):
                    parts.append(
                        t.assign(
                            detail="у части участников (не меньше 20 %) первичный балл "
                            "больше суммы баллов за задания"
                        )
                    )
        if not parts:
            return pd.DataFrame(columns=cols)
        out = pd.concat(parts, ignore_index=True)
        out["session"] = session_of(out)
        return out[cols].astype({"school_id": "str"}).reset_index(drop=True)

    @region_table()
    def journal(self) -> pd.DataFrame | None:
        """ВПР marks against journal marks per school, subject, grade and year."""
        from ..objectivity.journal import JOURNAL_BY, marks_vs_journal

        r = drop_unreliable(self.dataset.results)
        if r.empty or r["journal_mark"].isna().all():
            return None
        by = [*JOURNAL_BY, "session"] if "session" in r.columns else list(JOURNAL_BY)
        return marks_vs_journal(r, by=by, min_n=self.min_n)

    def schools_of(self, municipality: str) -> list[str]:
        """School ids of a municipality, in the order of the schools table."""
        rows = self.rows_of(self.dataset.schools, column="municipality")
        return rows(municipality)["school_id"].tolist()


_CACHE: dict[tuple, ReportData] = {}


def report_data(data_dir: str | Path, year: int | str, *, min_n: int = REPORT_MIN_N) -> ReportData:
    """Load a dataset folder once per process and year (reused across reports of a batch).

    ``year`` is a school year: 2022, «2021/2022», «2021-2022» or «2021/22». The cache key includes every file's size and modification time, so a
    changed file is read again.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> report_data(sample_folder("inta"), 2022) is report_data(sample_folder("inta"), "2021/22")
    True
    """
    year = check_school_year("year", year)
    folder, version = folder_version(data_dir)
    key = (str(folder), version, year, min_n)
    if key not in _CACHE:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = ReportData(
            cached_dataset(folder),
            year,
            min_n=min_n,
            cache_key=table_key(folder, version, year, min_n),
        )
    return _CACHE[key]


def school_statuses(
    data_dir: str | Path,
    year: int,
    *,
    min_n: int = REPORT_MIN_N,
    dataset: Dataset | None = None,
    version: tuple | None = None,
) -> dict[str, str]:
    """Each school's identification status of the year (:attr:`ReportData.classified`).

    School id → «ШНОР», «ШНСУ», «ШНОР и ШНСУ», «зона риска», «резильентная» or
    ``""`` (none); empty when the year's schools cannot be classified. The dataset
    is ``dataset`` when given (a batch passes the one it loaded to plan), else
    :func:`~edu_quality.report.cache.cached_dataset`. The tables go through the
    disk cache of :func:`report_data` (:mod:`~edu_quality.report.table_cache`),
    so that a batch's kernels read the identification its process computed (or
    the reverse); a ``dataset`` given without the folder ``version`` it was
    read at (:func:`~edu_quality.report.cache.folder_version`) is classified
    without the cache.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> statuses = school_statuses(sample_folder("region"), 2024)
    >>> statuses and set(statuses.values()) <= {"ШНОР", "ШНСУ", "ШНОР и ШНСУ", "зона риска", "резильентная", ""}
    True
    """
    folder, current = folder_version(data_dir)
    if dataset is None:
        dataset, version = cached_dataset(folder), current
    key = None if version is None else table_key(folder, version, year, min_n)
    c = ReportData(dataset, year, min_n=min_n, cache_key=key).classified
    if c is None:
        return {}
    return {str(k): str(v) for k, v in c["status"].items()}

"""The explorer's prepared tables: the year's summaries with intervals, split by procedure.

:func:`explore_tables` builds an :class:`ExploreTables` once from a dataset
folder, a loaded dataset or report data; the tables keep the views already
drawn (:class:`ExplorerView`) and travel to another process as a file
(:meth:`ExploreTables.save`, :meth:`ExploreTables.load`) named in the
environment variable :data:`TABLES_ENV`, beside the folder in :data:`DATA_ENV`.

Examples
--------
>>> from edu_quality.demo import sample_folder
>>> t = explore_tables(sample_folder("region"))
>>> sorted(t.schools_of("г. Заречный"))[:1]
['02001']
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..report.data import ReportData

__all__ = [
    "DATA_ENV",
    "PROCEDURE",
    "TABLES_ENV",
    "ExploreTables",
    "ExplorerView",
    "explore_tables",
]

#: Environment variable with the dataset folder the explorer opens when given none
#: (``edu-quality explore --data`` sets it for the served notebook).
DATA_ENV = "EDU_QUALITY_DATA"
#: Environment variable with a file of prepared tables (:meth:`ExploreTables.save`) of
#: the folder in :data:`DATA_ENV`: the served notebook's kernel reads it instead of the data.
TABLES_ENV = "EDU_QUALITY_EXPLORE_TABLES"

#: The columns naming a procedure: the tables are split by them.
PROCEDURE = ["assessment", "subject", "grade"]
_EMPTY = pd.DataFrame()


def _with_score_interval(table: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """Add a t-interval of the mean score (``mean_score_low``/``_high``) where its sd is known."""
    from .._stats import t_ppf

    n = table["score_n"].astype("float64")
    se = table["score_sd"].astype("float64") / np.sqrt(n.where(n > 1))
    t = t_ppf(1 - alpha / 2, (n - 1).where(n > 1))
    return table.assign(
        mean_score_low=table["mean_score"] - t * se, mean_score_high=table["mean_score"] + t * se
    )


@dataclass
class ExplorerView:
    """What the explorer shows for one selection of its pickers.

    Attributes
    ----------
    html : str
        The chart (PNG) and tables as one HTML fragment.
    text : str
        Its plain-text stand-in.
    chart, table, ranking : DataFrame
        :func:`~edu_quality.explore.dynamics_table`, :func:`~edu_quality.explore.year_table`,
        :func:`~edu_quality.explore.ranking_table`.
    figure : matplotlib.figure.Figure or None
        The chart's figure; None when there is no chart, or when the view came
        from another process (it is drawn again when asked for:
        :attr:`~edu_quality.explore.Explorer.axes`).
    """

    html: str
    text: str
    chart: pd.DataFrame
    table: pd.DataFrame
    ranking: pd.DataFrame
    figure: object = None

    def without_figure(self) -> ExplorerView:
        """The same view without its figure (for another process)."""
        return ExplorerView(self.html, self.text, self.chart, self.table, self.ranking)


class ExploreTables:
    """What the explorer draws from: the year's summaries with intervals, split by procedure.

    Built once from report data (:func:`explore_tables`): the summaries of the
    schools, municipalities and region with the t-interval of the mean score
    added, the rows of procedures that were no exam left out, each split by
    procedure (assessment, subject, grade), so a redraw looks its rows up
    instead of filtering the whole summary. Small enough to hand to another
    process (:meth:`save`, :meth:`load`): the served explorer's kernel reads
    it instead of the data files.

    Attributes
    ----------
    summary, summary_municipality, summary_region : DataFrame
        As in :class:`~edu_quality.report.ReportData`, with ``mean_score_low``/``_high``.
    schools : DataFrame
        ``school_id``, ``name``, ``municipality``.
    municipalities : list of str
    names, municipality_of : dict
        School id → name, municipality.
    year, min_n : int
    """

    def __init__(
        self,
        summary: pd.DataFrame,
        summary_municipality: pd.DataFrame,
        summary_region: pd.DataFrame,
        schools: pd.DataFrame,
        *,
        municipalities: list[str],
        year: int,
        min_n: int,
    ):
        self.summary = summary
        self.summary_municipality = summary_municipality
        self.summary_region = summary_region
        self.schools = schools[["school_id", "name", "municipality"]].reset_index(drop=True)
        self.municipalities = list(municipalities)
        self.year = int(year)
        self.min_n = int(min_n)
        self.names = dict(zip(self.schools["school_id"], self.schools["name"], strict=True))
        self.municipality_of = dict(
            zip(self.schools["school_id"], self.schools["municipality"], strict=True)
        )
        self._split = [
            self._by_procedure(t) for t in (summary, summary_municipality, summary_region)
        ]
        self.views: OrderedDict[tuple, ExplorerView] = OrderedDict()

    #: How many drawn views (:class:`ExplorerView`) are kept, the least recently shown dropped.
    VIEWS_KEPT = 64

    def view(self, key: tuple) -> ExplorerView | None:
        """The view drawn for a selection of the pickers, if it is kept (marked as just shown)."""
        found = self.views.get(key)
        if found is not None:
            self.views.move_to_end(key)
        return found

    def keep(self, key: tuple, view: ExplorerView) -> None:
        """Keep a drawn view for its selection (the data do not change: it stays right)."""
        self.views[key] = view
        self.views.move_to_end(key)
        while len(self.views) > self.VIEWS_KEPT:
            self.views.popitem(last=False)

    def __getstate__(self) -> dict:
        # the views travel as HTML and tables; their figures are drawn again where needed
        state = dict(self.__dict__)
        state["views"] = OrderedDict(
            (key, view.without_figure()) for key, view in self.views.items()
        )
        return state

    def __setstate__(self, state: dict) -> None:
        state.setdefault("views", OrderedDict())
        self.__dict__.update(state)

    @staticmethod
    def _by_procedure(table: pd.DataFrame) -> dict[tuple, pd.DataFrame]:
        held = table.loc[~table["exam_not_held"]]
        return {
            (a, s, int(g)): part
            for (a, s, g), part in held.groupby(PROCEDURE, sort=False, observed=True)
        }

    def rows(self, level: int, assessment: str, subject: str, grade: int) -> pd.DataFrame:
        """The summary rows of a procedure: level 0 schools, 1 municipalities, 2 the region."""
        return self._split[level].get((assessment, subject, int(grade)), _EMPTY_SUMMARY[level])

    def schools_of(self, municipality: str) -> list[str]:
        """The ids of a municipality's schools."""
        s = self.schools
        return s.loc[s["municipality"] == municipality, "school_id"].tolist()

    def save(self, path: str | Path) -> None:
        """Write the tables to ``path`` (:mod:`pickle`) for :meth:`load` in another process.

        The file is replaced at once (written beside it, then renamed): a reader
        never sees it half-written.
        """
        path = Path(path)
        part = path.with_name(path.name + ".part")
        with part.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        part.replace(path)

    @staticmethod
    def load(path: str | Path) -> ExploreTables:
        """Read tables written by :meth:`save` (a file this program wrote itself)."""
        with Path(path).open("rb") as fh:
            tables = pickle.load(fh)
        if not isinstance(tables, ExploreTables):
            raise TypeError(f"{path}: это не таблицы исследователя")
        return tables


_EMPTY_SUMMARY: list[pd.DataFrame] = [_EMPTY, _EMPTY, _EMPTY]


def explore_tables(
    data: str | Path | Dataset | ReportData | ExploreTables,
    year: int | None = None,
    *,
    min_n: int = 5,
) -> ExploreTables:
    """The explorer's tables of a dataset folder, a loaded dataset or report data.

    A folder is read once per process and version of its files
    (:func:`~edu_quality.report.report_data`); ``year`` defaults to the latest
    with results.

    Examples
    --------
    >>> from edu_quality.demo import sample_folder
    >>> t = explore_tables(sample_folder("region"))
    >>> t.year, t.municipalities
    (2024, ['Северный район', 'г. Заречный'])
    """
    if isinstance(data, ExploreTables):
        return data
    from ..report.data import ReportData, report_data

    if not isinstance(data, ReportData):
        from ..dataset import Dataset

        if isinstance(data, Dataset):
            data = ReportData(data, year or max(data.years), min_n=min_n)
        else:
            if year is None:
                from ..report.cache import cached_dataset

                year = max(cached_dataset(data).years)
            data = report_data(data, year, min_n=min_n)
    cached = _PREPARED.get(id(data))
    if cached is not None and cached[0] is data:
        return cached[1]
    schools = data.dataset.schools
    tables = ExploreTables(
        *(
            _with_score_interval(t)
            for t in (data.summary, data.summary_municipality, data.summary_region)
        ),
        schools,
        municipalities=data.dataset.municipalities,
        year=data.year,
        min_n=data.min_n,
    )
    if len(_PREPARED) > 8:
        _PREPARED.clear()
    _PREPARED[id(data)] = (data, tables)
    return tables


#: Report data → its explorer tables (the report data kept alongside: the id stays its own).
_PREPARED: dict[int, tuple[object, ExploreTables]] = {}

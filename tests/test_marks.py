"""One list of mark words: a methodologist's CSV and a ФИС ОКО export read each word alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _helpers import MATH4_SCALE

import edu_quality as eq
from edu_quality.fisoko import read_fisoko_vpr
from edu_quality.marks import MARK_WORDS, NO_MARK, parse_marks

#: Every word of the list, as typed in a journal: as listed, capitalised, with a full stop.
WORDS = sorted(
    {
        *MARK_WORDS,
        *NO_MARK,
        *(w.capitalize() for w in MARK_WORDS),
        *(f"{w}." for w in MARK_WORDS if len(w) < 8),
        "5",
        "4",
        "3",
        "2",
    }
)
EXPECTED = {w: MARK_WORDS.get(w.lower().rstrip("."), np.nan) for w in WORDS} | {
    str(m): float(m) for m in (2, 3, 4, 5)
}


def _csv_marks(path) -> pd.Series:
    rows = [
        {
            "Учебный год": "2021-2022",
            "Процедура": "ВПР",
            "Предмет": "Математика",
            "Класс": 4,
            "Код ОО": "sch220001",
            "Код участника": str(40000 + i),
            "Первичный балл": 1,
            "Отметка": 3,
            "Отметка по журналу": w,
        }
        for i, w in enumerate(WORDS)
    ]
    pd.DataFrame(rows).to_csv(path, sep=";", index=False, encoding="utf-8")
    table = eq.read_results(path)
    return table.set_index("pupil_id")["journal_mark"].astype("float64")


def _fisoko_marks(write_xlsx) -> pd.Series:
    header = [
        "Пользователь",
        "Муниципалитет",
        "Школа",
        "Дата загрузки",
        "Код",
        "Вариант",
        "Отметка за предыдущую четверть",
        "1 (1б)",
        "2 (1б)",
        "3 (1б)",
    ]
    rows = [header] + [
        [
            "edu220001",
            "reg22_m001 | Район",
            "edu220001 | МБОУ СОШ",
            "17.03.2022 05:33:20",
            40000 + i,
            1,
            w,
            1,
            1,
            1,
        ]
        for i, w in enumerate(WORDS)
    ]
    path = write_xlsx("Математика 4 класс.xlsx", rows, sheet="Протокол")
    scale = MATH4_SCALE
    vpr = read_fisoko_vpr(path, scales=scale)
    assert vpr.quality.empty or not vpr.quality["column"].eq(header[6]).any(), (
        vpr.quality.to_string()
    )  # every word is read, none reported unrecognised
    return vpr.results.set_index("pupil_id")["journal_mark"].astype("float64")


def test_csv_and_fisoko_export_give_the_same_mark_for_each_word(tmp_path, write_xlsx):
    csv = _csv_marks(tmp_path / "results.csv")
    fisoko = _fisoko_marks(write_xlsx)
    by_word = pd.DataFrame(
        {
            "word": WORDS,
            "csv": csv.to_numpy(),
            "fisoko": fisoko.to_numpy(),
            "expected": [EXPECTED[w] for w in WORDS],
        }
    )
    pd.testing.assert_series_equal(by_word["csv"], by_word["expected"], check_names=False)
    pd.testing.assert_series_equal(by_word["fisoko"], by_word["expected"], check_names=False)


@pytest.mark.parametrize("cell", ["1", "6", "4,5", "пять", "отлично!"])
def test_what_is_no_mark_is_refused_alike(cell):
    values, missing, unrecognised = parse_marks(pd.Series([cell]))
    if cell in ("1", "6"):  # a number: read as written, the range is the reader's check
        assert values.iloc[0] == float(cell) and not unrecognised.iloc[0]
    else:
        assert np.isnan(values.iloc[0]) and unrecognised.iloc[0] and not missing.iloc[0]

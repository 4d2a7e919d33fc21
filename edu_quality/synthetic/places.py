"""Invented place and school names of the synthetic region.

Districts («… район»), towns («г. …»), villages and the name patterns of
deepened-study schools; when a region needs more than a list holds, the names
are numbered. No real municipality is meant.
"""

from __future__ import annotations

__all__ = [
    "DEEPENED_NAMES",
    "DISTRICTS",
    "TOWNS",
    "VILLAGES",
    "district_name",
    "next_village",
    "town_name",
]

#: Municipal districts, in the order they are given out.
DISTRICTS = (
    "Северный район",
    "Озёрный район",
    "Берёзовский район",
    "Кедровый район",
    "Южный район",
    "Степной район",
    "Лесной район",
    "Приречный район",
    "Таёжный район",
    "Восточный район",
    "Западный район",
    "Сосновский район",
    "Каменский район",
    "Ключевской район",
    "Луговой район",
    "Горный район",
    "Полевой район",
    "Боровской район",
    "Светлый район",
    "Рябиновый район",
    "Ольховский район",
    "Кленовый район",
    "Ивановский район",
    "Покровский район",
    "Никольский район",
    "Троицкий район",
)
#: Towns (urban okrugs), in the order they are given out.
TOWNS = (
    "г. Заречный",
    "г. Светлогорск",
    "г. Приозёрск",
    "г. Новоборск",
    "г. Каменогорск",
    "г. Лесогорск",
    "г. Верхнеречинск",
    "г. Кедровск",
    "г. Звёздный",
    "г. Солнечногорск",
    "г. Белогорск",
    "г. Красноборск",
    "г. Сосногорск",
)
#: Villages (as the adjective of a rural school's name, «… СОШ»).
VILLAGES = (
    "Берёзовская",
    "Сосновская",
    "Ключевская",
    "Каменская",
    "Покровская",
    "Никольская",
    "Михайловская",
    "Александровская",
    "Ивановская",
    "Петровская",
    "Знаменская",
    "Успенская",
    "Троицкая",
    "Вознесенская",
    "Кедровская",
    "Ольховская",
    "Липовская",
    "Дубровская",
    "Малиновская",
    "Рябиновская",
    "Калиновская",
    "Луговская",
    "Полевская",
    "Боровская",
    "Ярская",
    "Сокольская",
    "Журавлёвская",
    "Лебяжинская",
    "Озерская",
    "Гремячинская",
    "Краснополянская",
    "Белоярская",
    "Шалинская",
    "Подгорновская",
    "Новосёловская",
    "Устюжская",
    "Верхнеключевская",
    "Нижнеингашская",
    "Тальская",
    "Глядинская",
)
#: Name patterns of deepened-study schools; ``{n}`` is the school's number in its town.
DEEPENED_NAMES = (
    "МБОУ «Гимназия № {n}»",
    "МАОУ «Лицей № {n}»",
    "МБОУ «СОШ № {n} с углублённым изучением отдельных предметов»",
    "МБОУ «Кадетская школа № {n}»",
)


def district_name(k: int) -> str:
    """Name of the ``k``-th district (from 0); numbered once :data:`DISTRICTS` is used up."""
    return DISTRICTS[k] if k < len(DISTRICTS) else f"Муниципальный район № {k + 1}"


def town_name(k: int) -> str:
    """Name of the ``k``-th town (from 0); numbered once :data:`TOWNS` is used up."""
    return TOWNS[k] if k < len(TOWNS) else f"г. Город-{k + 1}"


def next_village(stock: list[int]) -> str:
    """Next village name of a municipality; numbered once the list is used up.

    ``stock`` is the municipality's shuffled order of :data:`VILLAGES` (indices):
    the first is taken and put back at the end, one round further, so that a
    municipality with more villages than the list numbers them («… № 2»).
    """
    k = stock.pop(0)
    stock.append(k + len(VILLAGES))
    base = VILLAGES[k % len(VILLAGES)]
    return base if k < len(VILLAGES) else f"{base} № {k // len(VILLAGES) + 1}"

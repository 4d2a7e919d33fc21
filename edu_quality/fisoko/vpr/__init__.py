"""The ВПР export of ФИС ОКО (see :mod:`edu_quality.fisoko.vpr.reader`)."""

from __future__ import annotations

from .reader import LAYOUTS, FisOkoVpr, detect_layout, read_fisoko_vpr, sniff_vpr

__all__ = ["LAYOUTS", "FisOkoVpr", "detect_layout", "read_fisoko_vpr", "sniff_vpr"]

"""Small numerical helpers shared by the stages of the synthetic region."""

from __future__ import annotations

import numpy as np

__all__ = ["expit"]


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise."""
    return 1.0 / (1.0 + np.exp(-x))

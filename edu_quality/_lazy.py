"""Names of a package imported on first use (PEP 562 module ``__getattr__``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str,
    exports: Mapping[str, str],
    submodules: Iterable[str] = (),
    public: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list]]:
    """``__getattr__`` and ``__dir__`` for a package whose names are imported on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping
        Public name → the submodule (relative, without the dot) defining it.
    submodules : iterable of str
        Submodules that are public names themselves.
    public : iterable of str
        The package's ``__all__`` (listed by ``dir()``).

    Examples
    --------
    >>> getattr_, dir_ = lazy_exports("edu_quality", {"summarize": "metrics"})
    >>> getattr_("summarize").__name__
    'summarize'
    """
    submodules = frozenset(submodules)
    public = tuple(public)

    def __getattr__(name: str) -> Any:
        module = importlib.import_module(package)
        if name in exports:
            value = getattr(importlib.import_module(f".{exports[name]}", package), name)
        elif name in submodules:
            value = importlib.import_module(f".{name}", package)
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(module, name, value)  # once: later look-ups do not come here
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(importlib.import_module(package)), *public})

    return __getattr__, __dir__

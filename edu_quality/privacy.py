"""Pseudonymisation of pupil identifiers.

Pupil names are never loaded (see :mod:`edu_quality.io`). Pupil ids are kept
as they are, or replaced by a keyed hash (HMAC-SHA-256) when a key is given or
set in the environment variable ``EDU_QUALITY_PUPIL_KEY``. The same key gives
the same pseudonym, so cohorts can still be followed across years; without the
key the pseudonym cannot be traced back to the id. The key is never stored in
the repository or in any output.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import TYPE_CHECKING

from .errors import DataError

if TYPE_CHECKING:  # imported where ids are hashed: reading the key needs no pandas
    import pandas as pd

__all__ = ["KEY_VARIABLE", "key_for", "pseudonymize", "pupil_key"]

#: Environment variable holding the pseudonymisation key.
KEY_VARIABLE = "EDU_QUALITY_PUPIL_KEY"


def pupil_key(key: str | bytes | None = None) -> bytes | None:
    """Return the pseudonymisation key: ``key`` itself, else the environment's.

    Examples
    --------
    >>> pupil_key("secret")
    b'secret'
    """
    if key is None:
        key = os.environ.get(KEY_VARIABLE) or None
    if key is None:
        return None
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def key_for(pseudonymize_ids: bool | str | None, file: str | None) -> bytes | None:
    """The key a reader pseudonymises pupil ids with, or None when they stay as they are.

    Parameters
    ----------
    pseudonymize_ids : bool or str, optional
        As the readers take it: a key; True for the key of
        ``EDU_QUALITY_PUPIL_KEY`` (an error without one); None for that key
        when it is set; False for none.
    file : str or None
        The file read, for the error message.

    Returns
    -------
    bytes or None

    Raises
    ------
    DataError
        ``pseudonymize_ids=True`` and no key set.

    Examples
    --------
    >>> key_for("k", "a.csv"), key_for(False, "a.csv")
    (b'k', None)
    """
    if pseudonymize_ids is False:
        return None
    key = pupil_key(pseudonymize_ids if isinstance(pseudonymize_ids, str) else None)
    if pseudonymize_ids is True and key is None:
        raise DataError(
            file,
            "псевдонимизация запрошена, но ключ не задан "
            "(переменная окружения EDU_QUALITY_PUPIL_KEY)",
        )
    return key


def pseudonymize(ids: pd.Series, key: str | bytes) -> pd.Series:
    """Replace identifiers by a keyed hash (HMAC-SHA-256, first 16 hex digits).

    Parameters
    ----------
    ids : pandas.Series
        Identifiers (missing values stay missing).
    key : str or bytes
        Secret key.

    Returns
    -------
    pandas.Series
        Pseudonyms, same index.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pseudonymize(pd.Series(["17", "17", "18"]), "k")
    >>> s[0] == s[1] != s[2], len(s[0])
    (True, 16)
    """
    import pandas as pd

    k = pupil_key(key)
    codes, uniques = pd.factorize(ids, use_na_sentinel=True)
    hashed = [hmac.new(k, str(u).encode("utf-8"), hashlib.sha256).hexdigest()[:16] for u in uniques]
    out = pd.Series(
        pd.array(hashed, dtype="str")[codes] if len(hashed) else [], index=ids.index, dtype="str"
    )
    return out.where(codes >= 0)

"""The cache of the ФИС ОКО import: entries and a manifest checked before they are trusted.

A cache entry keeps one ВПР file as read (:class:`~edu_quality.fisoko.FisOkoVpr`,
pickled) behind a header and the SHA-256 of its bytes: :func:`read_entry`
verifies the digest before unpickling, and an entry that fails — flipped bits,
a truncated file, another format — is deleted and never used. The manifest of
an import (:func:`write_manifest`) records the SHA-256 of every output file and
of its own content; :func:`read_manifest` returns it only when its shape and
its own digest are right.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

from .._files import atomic_write

__all__ = ["ENTRY_HEADER", "read_entry", "read_manifest", "write_entry", "write_manifest"]

#: How a cache entry begins; the SHA-256 of the pickle (32 bytes) and the pickle follow.
ENTRY_HEADER = b"edu-quality vpr cache 1\n"
_DIGEST_BYTES = 32


def write_entry(path: str | Path, value: object) -> bool:
    """Keep ``value`` in the cache entry ``path``: header, SHA-256, pickle.

    The entry is written whole or not at all (:func:`edu_quality._files.atomic_write`).

    Returns
    -------
    bool
        Whether it was written: the cache is an aid, so a failure to write it
        (a full disk) is not an error here.

    Examples
    --------
    >>> import tempfile
    >>> entry = Path(tempfile.mkdtemp()) / "a.pkl"
    >>> write_entry(entry, {"rows": 3}), read_entry(entry)
    (True, {'rows': 3})
    """
    payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    digest = hashlib.sha256(payload).digest()

    def write(tmp: Path) -> None:
        with tmp.open("wb") as fh:
            fh.write(ENTRY_HEADER)
            fh.write(digest)
            fh.write(payload)

    try:
        atomic_write(path, write)
    except OSError:
        return False
    return True


def read_entry(path: str | Path) -> Any | None:
    """The value of a cache entry, or None when there is none or it is damaged.

    The SHA-256 of the pickle is checked before it is unpickled; an entry that
    cannot be read, lacks the header, fails the check or cannot be unpickled is
    deleted.

    Examples
    --------
    >>> import tempfile
    >>> entry = Path(tempfile.mkdtemp()) / "a.pkl"
    >>> _ = write_entry(entry, [1, 2, 3])
    >>> data = bytearray(entry.read_bytes())
    >>> data[-3] ^= 0xFF  # one flipped byte
    >>> _ = entry.write_bytes(bytes(data))
    >>> read_entry(entry), entry.exists()
    (None, False)
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        _discard(path)
        return None
    start = len(ENTRY_HEADER) + _DIGEST_BYTES
    payload = memoryview(data)[start:]
    if (
        len(data) <= start
        or data[: len(ENTRY_HEADER)] != ENTRY_HEADER
        or hashlib.sha256(payload).digest() != data[len(ENTRY_HEADER) : start]
    ):
        _discard(path)
        return None
    try:
        return pickle.loads(payload)
    except Exception:  # our own bytes, checked: a class of an older version of the code
        _discard(path)
        return None


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _content_digest(body: dict[str, Any]) -> str:
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def write_manifest(path: str | Path, body: dict[str, Any]) -> None:
    """Write the manifest ``body`` (JSON values) as JSON, with the SHA-256 of its content.

    Examples
    --------
    >>> import tempfile
    >>> manifest = Path(tempfile.mkdtemp()) / "manifest.json"
    >>> body = {"key": "k", "version": "v", "outputs": {}, "files": [], "quality_counts": {}}
    >>> write_manifest(manifest, body)
    >>> read_manifest(manifest, required=set(), allowed=set()) == body
    True
    """
    atomic_write(
        path,
        json.dumps({**body, "sha256": _content_digest(body)}, ensure_ascii=False, indent=1),
    )


#: The manifest's fields and their JSON types.
_FIELDS = {"key": str, "version": str, "outputs": dict, "files": list, "quality_counts": dict}


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _output_ok(record: object) -> bool:
    return (
        isinstance(record, dict)
        and _is_int(record.get("size"))
        and record["size"] >= 0
        and isinstance(record.get("sha256"), str)
        and len(record["sha256"]) == 64
        and all(c in "0123456789abcdef" for c in record["sha256"])
    )


def read_manifest(
    path: str | Path, *, required: set[str], allowed: set[str]
) -> dict[str, Any] | None:
    """The manifest at ``path``, or None when there is none or it is not right.

    Right means: a JSON object with the fields ``key``, ``version`` (text),
    ``outputs`` (file name → ``{"size": int, "sha256": 64 hex digits}``, every
    name of ``required``, none outside ``allowed``), ``files`` (a list of
    objects), ``quality_counts`` (text → whole number) and ``sha256``, the
    digest of the rest, which must match. A manifest of valid JSON but another
    shape (``[]``, ``null``, a field of another type) is treated as absent.

    Examples
    --------
    >>> import tempfile
    >>> manifest = Path(tempfile.mkdtemp()) / "manifest.json"
    >>> _ = manifest.write_text("[]")
    >>> read_manifest(manifest, required=set(), allowed=set()) is None
    True
    """
    try:
        manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or set(manifest) != {*_FIELDS, "sha256"}:
        return None
    if not all(isinstance(manifest[k], t) for k, t in _FIELDS.items()):
        return None
    outputs, counts = manifest["outputs"], manifest["quality_counts"]
    if not (required <= set(outputs) <= allowed) or not all(map(_output_ok, outputs.values())):
        return None
    if not all(isinstance(row, dict) for row in manifest["files"]):
        return None
    if not all(isinstance(k, str) and _is_int(v) for k, v in counts.items()):
        return None
    body = {k: manifest[k] for k in _FIELDS}
    if manifest["sha256"] != _content_digest(body):
        return None
    return body

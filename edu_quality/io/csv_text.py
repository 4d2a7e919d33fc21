"""Decoding a CSV file into text, or refusing it with the row and column of the fault.

A text file arrives in UTF-8 (with or without BOM), UTF-16 (Excel's «Юникод-текст»,
with or without BOM) or a one-byte Russian encoding (Windows-1251, KOI8-R, CP866),
which is recognised by how Russian the text reads. A file in mixed encodings, text
decoded twice («ÐšÐ¾Ð´» for «Код»), a binary file with a text suffix and a quote left
open to the end of the file are refused, naming the row and column; zero-width
characters are dropped (:data:`INVISIBLE`). The csv module's field size limit is
lifted while a file is read (:class:`FieldLimit`).
"""

from __future__ import annotations

import csv
import re
import threading

from ..errors import DataError, Problem

__all__ = ["INVISIBLE", "LINE_BREAKS", "FieldLimit", "decode_csv", "text_issue", "unclosed_quote"]


LINE_BREAKS = re.compile(r"\r\n|\r|\n")  # the record ends the CSV parser knows (not \f, \u2028)
_LEGACY_ENCODINGS = ("cp1251", "koi8_r", "cp866")  # tried in this order when UTF-8 fails
_COMMON_SIGNS = "«»№–—“”„‘’…•°§±\xa0\u202f"  # non-ASCII, non-letter signs of Russian texts
_JUNK = re.compile(f"[^\\x00-\\x7f\u0400-\u04ff{_COMMON_SIGNS}]")
_CASE_FLIP = re.compile(r"[а-яё][А-ЯЁ]")  # «лПД»: KOI8-R read as Windows-1251 and back
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# frequent letter pairs of Russian: the right decoding has many, a wrong one few
_BIGRAMS = re.compile(
    "(?=(ст|но|то|на|ен|ов|ни|ра|во|ко|ал|ро|пр|ли|ре|ос|ка|ол|ер|он|ва|та|"
    "ти|не|ор|ве|го|ан|ом|по|ел|ле|ет|ит|ла|ог|ес|од))"
)
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))  # zero-width, BOM


def _high_half(encoding: str) -> str:
    """The characters bytes 0x80–0xBF (UTF-8 continuation bytes) stand for in ``encoding``."""
    return "".join(sorted(set(bytes(range(0x80, 0xC0)).decode(encoding, errors="replace"))))


# UTF-8 Cyrillic decoded as Windows-1252 / Latin-1 («ÐšÐ¾Ð´») or as Windows-1251 («РљРѕРґ») and
# saved again: two such pairs in a row never occur in Russian text
_MOJIBAKE = (
    (
        re.compile(f"(?:[ÐÑ][{re.escape(_high_half('cp1252') + _high_half('latin-1'))}]){{2,}}"),
        ("cp1252", "latin-1"),
    ),
    (re.compile(f"(?:[РС][{re.escape(_high_half('cp1251'))}]){{2,}}"), ("cp1251",)),
)


def decode_csv(raw: bytes, file: str) -> tuple[str, tuple[int, str] | None]:
    """Decode a text file; return the text and the first unreadable place (offset, message).

    UTF-8 (with or without BOM) and UTF-16 (Excel's «Юникод-текст») are read as
    they are; otherwise Windows-1251, KOI8-R or CP866, whichever gives Russian
    text (fewest signs foreign to it and no «лПД»-like case flips). A file in
    UTF-8 but for some bytes (two files glued together), and text decoded twice
    («ÐšÐ¾Ð´» for «Код»), are not guessed at: their first place is returned.
    """
    if not raw.strip():
        raise DataError(file, "файл пуст")
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            return _decode_utf16(raw[2:], encoding, file), None
    if b"\x00" in raw[:4096]:
        encoding = _utf16_without_bom(raw[:4096])
        if encoding is None:
            raise DataError(file, _not_text(raw))
        return _decode_utf16(raw, encoding, file), None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if _mostly_utf8(raw):
            text = raw.decode("utf-8-sig", errors="replace")
            pos = len(raw[: exc.start].decode("utf-8-sig", errors="replace"))
            return text, (
                pos,
                f"байты «{raw[exc.start : exc.start + 4].hex(' ')}» не в кодировке "
                "UTF-8, хотя остальной файл в UTF-8: в файле смешаны кодировки "
                "(например, склеены два файла) — сохраните его в одной кодировке",
            )
        text = _decode_legacy(raw, file)
    return text, _find_mojibake(text)


def _decode_utf16(raw: bytes, encoding: str, file: str) -> str:
    """UTF-16 text, or a DataError when the bytes are broken."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise DataError(
            file, "файл в кодировке UTF-16 повреждён: сохраните его как CSV UTF-8 или XLSX"
        ) from None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: zero bytes on one side of every pair (ASCII digits, separators)."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    pairs = len(head) // 2
    if odd >= 0.1 * pairs and even <= odd // 20:
        return "utf-16-le"
    if even >= 0.1 * pairs and odd <= even // 20:
        return "utf-16-be"
    return None


def _not_text(raw: bytes) -> str:
    """Why a file with zero bytes that is no UTF-16 cannot be read as CSV (what it is instead)."""
    if raw.startswith(b"PK\x03\x04"):
        return (
            "это книга Excel (XLSX) или другой ZIP-архив, а не текст CSV: дайте файлу "
            "расширение .xlsx"
        )
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        return (
            "это файл старого формата Excel (.xls) или книга с паролем, а не текст CSV: "
            "сохраните его как .xlsx без пароля"
        )
    if raw.startswith(b"PAR1"):
        return "это файл Parquet, а не текст CSV: дайте файлу расширение .parquet"
    return "файл не является текстовым (CSV): сохраните его как CSV или XLSX"


def _mostly_utf8(raw: bytes) -> bool:
    """Whether much of the non-ASCII text is valid UTF-8 (so the rest is another encoding).

    Counted are UTF-8 Cyrillic letters and the usual signs (NBSP, «», dashes, №):
    Windows-1251, KOI8-R and CP866 text almost never forms them.
    """
    sample = raw[:1_000_000]
    high = len(sample) - len(sample.translate(None, bytes(range(0x80, 0x100))))
    valid = re.findall(
        rb"[\xd0\xd1][\x80-\xbf]|\xc2[\xa0-\xbf]|\xe2\x80[\x90-\xbf]|\xe2\x84\x96", sample
    )
    return len(valid) >= 3 and sum(map(len, valid)) >= 0.2 * high


def _decode_legacy(raw: bytes, file: str) -> str:
    """The one-byte encoding in which the file reads as Russian text (judged on its start)."""
    ranked = []
    for order, encoding in enumerate(_LEGACY_ENCODINGS):
        sample = raw[:200_000].decode(encoding, errors="replace")
        foreign = len(_JUNK.findall(sample)) + len(_CASE_FLIP.findall(sample))
        score = 2 * foreign - len(_BIGRAMS.findall(sample.lower()))
        if foreign <= 3 + 0.05 * len(_CYRILLIC.findall(sample)):
            ranked.append((score, order, encoding))
    for _, _, encoding in sorted(ranked):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:  # a byte Windows-1251 lacks further on
            continue
    raise DataError(
        file,
        "не удалось определить кодировку: текст не читается ни в UTF-8, ни в "
        "Windows-1251, ни в KOI8-R, ни в CP866 — сохраните файл как CSV UTF-8",
    )


def _find_mojibake(text: str) -> tuple[int, str] | None:
    """The first place of text decoded twice («ÐšÐ¾Ð´»), with the message naming it, or None."""
    sample = text[:2_000_000]  # a file decoded twice is so from its first line
    found = [
        (m.start(), m.group(), encodings)
        for pattern, encodings in _MOJIBAKE
        if (m := pattern.search(sample))
    ]
    if not found:
        return None
    pos, bad, encodings = min(found)
    end = text.find("\n", pos)
    bad = text[pos : end if 0 <= end < pos + 40 else pos + 40].split(";")[0].strip()
    fixed = ""
    for encoding in encodings:
        try:
            fixed = bad.encode(encoding).decode("utf-8", errors="replace")
            break
        except UnicodeEncodeError:
            continue
    hint = f" — по-видимому, «{fixed}»" if fixed else ""
    return pos, (
        f"текст в неверной кодировке: «{bad}»{hint}; файл был перекодирован дважды — "
        "сохраните исходную таблицу заново как CSV (UTF-8 или Windows-1251)"
    )


class FieldLimit:
    """Let the csv module read cells of any length (its default limit is 128 KiB).

    The limit is the process's: raised and restored under a lock, as results
    files are read in threads.
    """

    _lock = threading.Lock()

    def __enter__(self):
        self._lock.acquire()
        self.old = csv.field_size_limit()
        csv.field_size_limit(2**31 - 1)

    def __exit__(self, *exc):
        csv.field_size_limit(self.old)
        self._lock.release()


def text_issue(
    file: str, text: str, issue: tuple[int, str], delim: str, headers: list[str] | None
) -> DataError:
    """The DataError for an unreadable place of a text file, with its row and column."""
    pos, message = issue
    row, start = 1, 0
    for m in LINE_BREAKS.finditer(text, 0, pos):
        row, start = row + 1, m.end()
    with FieldLimit():
        field = len(next(csv.reader([text[start:pos]], delimiter=delim), [""])) - 1
    field = max(field, 0)
    name = headers[field] if headers and field < len(headers) and headers[field] else ""
    return DataError(file, Problem(row, name or f"№ {field + 1}", message))


def unclosed_quote(file: str, text: str, row: int, delim: str, headers: list[str]) -> DataError:
    """The DataError for a quote opened on ``row`` (1-based) and never closed."""
    line = (LINE_BREAKS.split(text, maxsplit=row)[row - 1 : row] or [""])[0]
    opening = [m.start() for m in re.finditer(f'(?:^|{re.escape(delim)})"', line)]
    field = line[: opening[-1] + 1].count(delim) if opening else 0
    name = headers[field] if field < len(headers) and headers[field] else f"№ {field + 1}"
    return DataError(
        file,
        Problem(
            row,
            name,
            "кавычка открыта и не закрыта до конца файла: проверьте кавычки в этой ячейке",
        ),
    )

"""Masking personal numbers in free text that may reach a public page.

Villagers and members type phone numbers and ID numbers in every shape: with spaces, dots, dashes,
commas (full-width too), several separators in a row, zero-width characters between the digits,
full-width or mathematical digits, glued to letters (`tel13812345678`, `ID1101…`). So each character
is first normalised on its own (NFKC; format characters such as U+200B dropped; every Unicode decimal
digit folded to 0–9), then any run of digits whose gaps are at most MAX_GAP characters that are
neither digits nor letters is read as one number. The masked number replaces the span in the original
text; everything else is kept as typed (Chinese punctuation included).

A mobile (11 digits, 1[3-9]…, with or without 86) or an ID number (18 or 15 digits) is masked whatever
its shape; other runs of 7 or more digits (landlines, bank cards) are masked unless they read as a
date (2026-12-01, 2026.12.1, 2026年12月1日) or an amount (1,234,567 or 12345.50).
"""

from __future__ import annotations

import re
import unicodedata

MAX_GAP = 3
MIN_MASKED_DIGITS = 7
_ID_NUMBER = re.compile(r"^\d{17}[0-9Xx]$|^\d{15}$")
_MOBILE = re.compile(r"^(?:0{0,2}86)?1[3-9]\d{9}$")
_DATE = re.compile(r"^(?:19|20)\d\d([.\-/年])(?:0?[1-9]|1[0-2])(?:\1|月)(?:0?[1-9]|[12]\d|3[01])日?$")
_DATE_IN_RUN = re.compile(r"(?<!\d)(?:19|20)\d\d([.\-/年])(?:0?[1-9]|1[0-2])(?:\1|月)(?:0?[1-9]|[12]\d|3[01])(?!\d)")
_AMOUNT = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?$|^\d+\.\d{1,2}$")


def _fold(char: str) -> str:
    """One character as the matcher reads it: "" for a format character, an ASCII digit for any
    decimal digit, else its NFKC form."""
    if unicodedata.category(char) == "Cf":
        return ""
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    return unicodedata.normalize("NFKC", char)


def _is_gap(folded: str) -> bool:
    """A character allowed between the digits of one number: not a digit, not a letter (Chinese
    characters are letters: text around a number ends it)."""
    return all(not ch.isdigit() and not ch.isalpha() for ch in folded)


def _spans(folded: list[str]) -> list[tuple[int, int]]:
    """[start, end) indexes (into the original text) of each digit run: digits joined by gaps of at
    most MAX_GAP original characters, with an ID number's trailing X."""
    spans: list[tuple[int, int]] = []
    i, n = 0, len(folded)
    while i < n:
        if not folded[i].isdigit() or len(folded[i]) != 1:
            i += 1
            continue
        start = end = i + 1
        j = end
        while j < n:
            if folded[j].isdigit() and len(folded[j]) == 1:
                end = j = j + 1
                continue
            gap = j
            while gap < n and gap - end < MAX_GAP + 8 and (folded[gap] == "" or _is_gap(folded[gap])):
                gap += 1
            visible = sum(1 for k in range(end, gap) if folded[k] != "")
            if gap < n and folded[gap].isdigit() and len(folded[gap]) == 1 and visible <= MAX_GAP:
                j = gap
                continue
            break
        if end < n and folded[end] in ("X", "x"):
            end += 1
        spans.append((start - 1, end))
        i = end
    return spans


def _masked(digits: str) -> str:
    if _MOBILE.match(digits):
        return digits[-11:][:3] + "****" + digits[-4:]
    if _ID_NUMBER.match(digits):
        return digits[:1] + "*" * (len(digits) - 2) + digits[-1:]
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def _mask_run(run: str) -> str | None:
    """The masked form of one run (folded text), or None to keep it as typed."""
    digits = re.sub(r"[^0-9Xx]", "", run)
    count = sum(c.isdigit() for c in digits)
    if count < MIN_MASKED_DIGITS:
        return None
    if _MOBILE.match(digits) or _ID_NUMBER.match(digits):
        return _masked(digits)
    if _DATE.match(run) or _AMOUNT.match(run):
        return None
    # dates inside a longer run ("2026-12-01, 2026-12-05") stay; what is left is judged on its own
    parts = [p for p in _DATE_IN_RUN.split(run)[::2] if p]
    if _DATE_IN_RUN.search(run) and all(
        sum(c.isdigit() for c in p) < MIN_MASKED_DIGITS or _AMOUNT.match(p.strip(" ,，、;；")) for p in parts
    ):
        return None
    return _masked(digits)


def mask_personal(text: str) -> str:
    """Mask mobile numbers (138****5678), ID numbers (1****************X) and other runs of 7+
    digits (landlines, bank cards) in text shown publicly."""
    if not text:
        return text
    folded = [_fold(c) for c in text]
    out: list[str] = []
    last = 0
    for start, end in _spans(folded):
        masked = _mask_run("".join(folded[start:end]))
        if masked is None:
            continue
        out.append(text[last:start])
        out.append(masked)
        last = end
    out.append(text[last:])
    return "".join(out)

"""Masking personal numbers in free text that may reach a public page.

Villagers and members type phone numbers and ID numbers in every shape: with spaces, dots, dashes,
slashes, underscores, full-width digits from a Chinese input method, a +86 prefix. Full-width digits
are folded to ASCII (the rest of the text keeps its Chinese punctuation), then any run of digits
joined by at most one separator between digits is read as one number; 7 or more digits in such a
run are masked. Dates (2026-11-23, 2026.11.23) are left alone.
"""

from __future__ import annotations

import re

_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789Xx")
_SEP = r"[ \u3000.\-/_·—–－．／＿]"
# digits, optionally separated by ONE separator character between two digits
_DIGIT_RUN = re.compile(rf"(?<![0-9A-Za-z])\d(?:{_SEP}?\d)*(?:{_SEP}?[Xx])?(?![0-9A-Za-z])")
_DATE = re.compile(r"^(?:19|20)\d\d([.\-/])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])$")
_ID_NUMBER = re.compile(r"^\d{17}[0-9Xx]$|^\d{15}$")
_MOBILE = re.compile(r"^(?:86)?1[3-9]\d{9}$")
MIN_MASKED_DIGITS = 7


def _mask_number(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"[^0-9Xx]", "", raw)
    if sum(c.isdigit() for c in digits) < MIN_MASKED_DIGITS or _DATE.match(raw):
        return raw
    if _MOBILE.match(digits):
        return digits[-11:][:3] + "****" + digits[-4:]
    if _ID_NUMBER.match(digits):
        return digits[:1] + "*" * (len(digits) - 2) + digits[-1:]
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def mask_personal(text: str) -> str:
    """Mask mobile numbers (138****5678), ID numbers (1****************X) and other runs of 7+
    digits (landlines, bank cards) in text shown publicly."""
    if not text:
        return text
    return _DIGIT_RUN.sub(_mask_number, text.translate(_FULL_WIDTH))

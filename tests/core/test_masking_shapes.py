"""Shapes of a phone or ID number a person may type (or an attacker may craft), for the masking tests:
digits in any Unicode script, separators of up to MAX_GAP characters, zero-width characters, letters
glued on either side."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st

from app.core.privacy import MAX_GAP

# zero digits of a few scripts: ASCII, full-width, mathematical bold / double-struck / monospace,
# Arabic-Indic, Devanagari
_ZEROS = [0x30, 0xFF10, 0x1D7CE, 0x1D7D8, 0x1D7F6, 0x660, 0x966]
_SEPARATORS = [" ", "  ", "-", " - ", "，", ",", ".", "/", "_", "\u3000", "—", "－", "·", "、", "(", ")", "~", "*", "#"]
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"]
_AFFIXES = ["", "tel", "TEL:", "ID", "abc", "电话", "身份证号", "请联系", "x", "号", "手机："]


def mobiles() -> st.SearchStrategy[str]:
    return st.builds(
        lambda a, rest: f"1{a}{rest}", st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9)
    )


def id_numbers() -> st.SearchStrategy[str]:
    return st.builds(
        lambda head, last: head + last, st.text("0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X")
    )


@st.composite
def shaped(draw: st.DrawFn, number: str) -> str:
    """`number` written in one random shape."""
    zero = draw(st.sampled_from(_ZEROS))
    digits = [chr(zero + int(c)) if c.isdigit() else c for c in number]
    out: list[str] = []
    for i, d in enumerate(digits):
        out.append(d)
        if i < len(digits) - 1 and draw(st.integers(0, 3)) == 0:
            sep = draw(st.sampled_from(_SEPARATORS + _INVISIBLE))
            if len(sep.strip("\u200b\u200c\u200d\u2060\ufeff\u00ad")) <= MAX_GAP:
                out.append(sep)
    return draw(st.sampled_from(_AFFIXES)) + "".join(out) + draw(st.sampled_from(_AFFIXES))


@st.composite
def personal_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(the number's digits, a text carrying it in some shape)."""
    number = draw(st.one_of(mobiles(), id_numbers()))
    return number, draw(shaped(number))


def digits_of(text: str) -> str:
    """Every digit of `text` as ASCII, whatever its script (how a reader would read them)."""
    out = []
    for c in text:
        if unicodedata.category(c) == "Cf":
            continue
        d = unicodedata.decimal(c, None)
        if d is not None:
            out.append(str(d))
        elif c in "Xx":
            out.append("X")
    return "".join(out)


def leaks(number: str, shown: str) -> bool:
    """True when `shown` still lets a reader recover `number` (its digits, in a row)."""
    return number.upper() in digits_of(shown)

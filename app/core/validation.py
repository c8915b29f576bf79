"""Shared field types for request schemas."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

_PHONE = re.compile(r"^1[3-9]\d{9}$")


def normalize_phone(value: str) -> str:
    """Mainland mobile numbers: spaces, dashes and a +86 / 0086 prefix are tolerated."""
    digits = re.sub(r"[\s\-()]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


PHONE_FORMAT_MESSAGE = "手机号格式不正确，应为 11 位数字"


def is_valid_phone(value: str) -> bool:
    return bool(_PHONE.match(normalize_phone(value)))


def _phone(value: str) -> str:
    digits = normalize_phone(value)
    if not _PHONE.match(digits):
        raise ValueError(PHONE_FORMAT_MESSAGE)
    return digits


Phone = Annotated[str, AfterValidator(_phone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]

# The largest id a database column holds (PostgreSQL `integer`, the type of every primary key here).
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
"""A row id in a path, a query or a body: a larger one can name nothing, and would otherwise reach
the database and fail there (OverflowError on SQLite, "integer out of range" on PostgreSQL)."""

"""Rating periods of villager evaluations: calendar quarters in China time ("2026Q4")."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator

from app.core.time import CHINA_TZ, as_utc, utcnow

FIRST_YEAR, LAST_YEAR = 2000, 2199
PERIOD_PATTERN = r"^\d{4}Q[1-4]$"
_PERIOD = re.compile(PERIOD_PATTERN)


def _period(value: str) -> str:
    if not _PERIOD.match(value) or not FIRST_YEAR <= int(value[:4]) <= LAST_YEAR:
        raise ValueError(f"考评季度应写作“年份Q季度”，如 2026Q4（年份 {FIRST_YEAR}–{LAST_YEAR}）")
    return value


Period = Annotated[str, AfterValidator(_period)]
"""A rating period in a request ("2026Q4"), the one type every endpoint takes it by: a year outside
FIRST_YEAR..LAST_YEAR names no period anyone rated (and 0001 or 9999 would overflow the calendar)."""


def period_of(moment: datetime | None = None) -> str:
    """The rating period a moment falls in: its calendar quarter in China time, e.g. "2026Q4"."""
    local = as_utc(moment or utcnow()).astimezone(CHINA_TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The [start, end) instants of a period such as "2026Q4" (China time quarters); `period` is a
    valid `Period` (ValueError otherwise)."""
    _period(period)
    year, quarter = int(period[:4]), int(period[-1])
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=CHINA_TZ)
    end = (
        datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=CHINA_TZ)
    )
    return as_utc(start), as_utc(end)

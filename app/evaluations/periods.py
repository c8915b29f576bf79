"""Rating periods of villager evaluations: calendar quarters in China time ("2026Q4")."""

from __future__ import annotations

from datetime import datetime

from app.core.time import CHINA_TZ, as_utc, utcnow


def period_of(moment: datetime | None = None) -> str:
    """The rating period a moment falls in: its calendar quarter in China time, e.g. "2026Q4"."""
    local = as_utc(moment or utcnow()).astimezone(CHINA_TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def period_bounds(period: str) -> tuple[datetime, datetime]:
    """The [start, end) instants of a period such as "2026Q4" (China time quarters)."""
    year, quarter = int(period[:4]), int(period[-1])
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=CHINA_TZ)
    end = (
        datetime(year + 1, 1, 1, tzinfo=CHINA_TZ)
        if quarter == 4
        else datetime(year, 3 * quarter + 1, 1, tzinfo=CHINA_TZ)
    )
    return as_utc(start), as_utc(end)

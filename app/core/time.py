"""Time in one place: aware UTC everywhere, Beijing time only for display."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_local() -> date:
    """The calendar day in China, which is what due dates and periods mean."""
    return datetime.now(CHINA_TZ).date()


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def local_display(value: datetime | None) -> str:
    return "" if value is None else as_utc(value).astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")

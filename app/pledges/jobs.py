"""The daily jobs: due-date reminders, the branches' history digests and the purge of expired
idempotency keys.

`liangnuo remind` runs them once (from cron, say); the server can also run them itself every day at
RUN_AT China time, and once shortly after start-up, when settings.scheduler_enabled. Both are safe to
run repeatedly and on several workers at once: reminders are deduplicated by the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from app.core import db as core_db
from app.core import idempotency
from app.core.permissions import SYSTEM
from app.core.time import CHINA_TZ
from app.pledges import history, news

log = logging.getLogger("liangnuo.jobs")

RUN_AT = time(7, 30)
START_DELAY_SECONDS = 30


@dataclass(frozen=True)
class DailyResult:
    due_soon: int
    overdue: int
    purged_keys: int
    digests: int = 0


def run_daily() -> DailyResult:
    """Run the daily jobs in their own transaction and commit."""
    with core_db.new_session() as session:
        reminders = news.send_reminders(session, actor=SYSTEM)
        purged = idempotency.purge_expired(session)
        session.commit()
    with core_db.new_session() as session:  # its own transaction: a failure here keeps the reminders
        digests = history.write_digests(session, actor=SYSTEM)
        session.commit()
    result = DailyResult(due_soon=reminders.due_soon, overdue=reminders.overdue, purged_keys=purged, digests=digests)
    log.info("daily jobs", extra={"event": "daily_jobs", **result.__dict__})
    return result


def seconds_until_next_run(now: datetime | None = None) -> float:
    now = (now or datetime.now(CHINA_TZ)).astimezone(CHINA_TZ)
    next_run = datetime.combine(now.date(), RUN_AT, tzinfo=CHINA_TZ)
    if next_run <= now:
        next_run += timedelta(days=1)
    return (next_run - now).total_seconds()


async def _loop(start_delay: float) -> None:
    await asyncio.sleep(start_delay)
    while True:
        try:
            await asyncio.to_thread(run_daily)
        except Exception:
            log.exception("daily jobs failed")
        await asyncio.sleep(seconds_until_next_run())


def start(start_delay: float = START_DELAY_SECONDS) -> asyncio.Task[None]:
    return asyncio.create_task(_loop(start_delay), name="liangnuo-daily-jobs")


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

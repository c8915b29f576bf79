"""Checking chained tables (app.core.chain): each chain's rows streamed in order, and the first broken
link named in Chinese. Used by every domain's verification (`liangnuo verify`, docs/history.md), so a
pledge's chain and a rating period's are read, checked and reported the same way.

- `stream(session, model, spec, where)`: the rows of every chain matching `where`, as one list per
  chain (ordered by chain, then id), read in batches (yield_per): memory bounded by one chain.
- `link_problem(rows, spec, name)`: where one chain's links stop holding, in words.
- `lifecycle_problem(rows, status, what)`: the same for a lifecycle's event rows, plus a truncated
  chain (the last event does not end in the subject's status) and one with no events at all.
- `event_name(row)`: a lifecycle event as the messages name it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.chain import Spec, first_break

BATCH = 2000
DELETED = "没有任何记录（记录被删除）"


def stream(session: Session, model: Any, spec: Spec, where: Any, batch: int = BATCH) -> Iterator[list[Any]]:
    """Every matching chain's rows (id, the hashed columns, hash) as plain rows, one list per chain."""
    key = getattr(model, spec.key)
    columns = [getattr(model, name) for name in dict.fromkeys(("id", *spec.hashed, "hash"))]
    stmt = select(*columns).where(where).order_by(key, model.id).execution_options(yield_per=batch)
    current: list[Any] = []
    for row in session.execute(stmt):
        if current and getattr(row, spec.key) != getattr(current[0], spec.key):
            yield current
            current = []
        current.append(row)
    if current:
        yield current


def event_name(e: Any) -> str:
    """「第 2 条记录（事件 #53，submit，2026-11-02 09:14）」"""
    return f"第 {e.seq} 条记录（事件 #{e.id}，{e.action}，{e.at:%Y-%m-%d %H:%M}）"


def link_problem(rows: Sequence[Any], spec: Spec, name: Callable[[Any], str] = event_name) -> str | None:
    """None when every link of the chain holds, else what is wrong (Chinese), the row named."""
    found = first_break(rows, spec)
    if found is None:
        return None
    index, kind = found
    if kind == "seq":
        return f"{name(rows[index])}位置不符：应为第 {index + 1} 条（有记录被删除、插入或调换了顺序）"
    return f"{name(rows[index])}内容与哈希不符（记录被改动，或前一条记录被改动、删除）"


def lifecycle_problem(rows: Sequence[Any], spec: Spec, status: Any, what: str) -> str | None:
    """A lifecycle's chain of events (`what`: 承诺, 周期): its links, then that it ends in `status`."""
    if not rows:
        return DELETED
    problem = link_problem(rows, spec)
    if problem is None and rows[-1].to_status != status:
        last = rows[-1]
        problem = f"最后一条记录（事件 #{last.id}）之后的记录缺失：{what}状态为“{status}”，记录止于“{last.to_status}”"
    return problem


def broken_row_id(rows: Sequence[Any], spec: Spec) -> int | None:
    """The id of the first row whose link does not hold (the last row when the chain is cut short)."""
    found = first_break(rows, spec)
    if found is not None:
        return int(rows[found[0]].id)
    return int(rows[-1].id) if rows else None


__all__ = ["BATCH", "DELETED", "broken_row_id", "event_name", "lifecycle_problem", "link_problem", "stream"]

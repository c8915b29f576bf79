"""Paging for every list: `?page=&size=` in, `{items, total, page, size, pages}` out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.sql import Select
from sqlmodel import Session

T = TypeVar("T")
MAX_PAGE_SIZE = 100
COUNT_CAP = 2_000
"""Rows a list counts at most: past it the total says "at least" (`total_capped`). A county-wide list
(200 k pledges) would otherwise count every row on every page — its cost growing with the county —
for a figure nobody pages through to the end of (2,000 rows are 100 pages of 20). Counting 10,001 of
the county's pledges took 30 ms on PostgreSQL (EXPLAIN ANALYZE; the page itself 1 ms): 2,001 take a
fifth of that."""


class PageParams(BaseModel):
    page: int = 1
    size: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def page_params(
    page: Annotated[int, Query(ge=1, le=100_000, description="页码，从 1 开始")] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="每页条数")] = 20,
) -> PageParams:
    return PageParams(page=page, size=size)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int
    pages: int
    total_capped: bool = Field(
        default=False, description=f"true：条目超过 {COUNT_CAP:,} 条，total 只数到这里（实际更多，请加筛选条件）"
    )


def paginate(
    session: Session,
    stmt: Select[Any],
    params: PageParams,
    transform: Callable[[Sequence[Any]], Sequence[T]] | None = None,
) -> Page[T]:
    """Count (up to COUNT_CAP + 1 rows) and fetch one page of `stmt` (which must carry its ORDER BY);
    two queries in all, neither growing with the table past the cap."""
    counted = stmt.order_by(None).limit(COUNT_CAP + 1).subquery()
    total = session.execute(select(func.count()).select_from(counted)).scalar_one()
    rows: Sequence[Any] = session.execute(stmt.limit(params.size).offset(params.offset)).scalars().all()
    page = page_of(transform(rows) if transform else rows, params, min(total, COUNT_CAP))
    page.total_capped = total > COUNT_CAP
    return page


def page_of(items: Sequence[T], params: PageParams, total: int | None = None) -> Page[T]:
    """A page cut from items already in memory (or, with `total`, items that are already the page)."""
    if total is None:
        total = len(items)
        items = items[params.offset : params.offset + params.size]
    return Page[T](
        items=list(items),
        total=total,
        page=params.page,
        size=params.size,
        pages=(total + params.size - 1) // params.size,
    )

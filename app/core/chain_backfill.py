"""Hashing rows written before their chain existed: what a migration that adds `seq` and `hash` to a
table runs (docs/history.md, "Existing rows"). Every chain then starts at its first row, with the very
hashes the service would have written (app.core.chain's canonical form version 1, which never
changes; `link_rows` is the service's own linking).

- `event_table(name, key)`: a lifecycle event table as a migration reads it (`LIFECYCLE_FIELDS`).
- `backfill(bind, table, spec)`: every row chained per `spec.key` in id order, `batch` chains at a time.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app.core.chain import Spec, link_rows
from app.core.db import UTCDateTime

BATCH = 500  # chains per batch


def event_table(name: str, key: str) -> sa.TableClause:
    """A lifecycle event table's columns as of canonical form version 1 (with its `seq` and `hash`)."""
    return sa.table(
        name,
        sa.column("id", sa.Integer()),
        sa.column(key, sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("from_status", sa.String()),
        sa.column("to_status", sa.String()),
        sa.column("actor_account_id", sa.Integer()),
        sa.column("actor_name", sa.String()),
        sa.column("reason", sa.String()),
        sa.column("data", sa.JSON()),
        sa.column("at", UTCDateTime()),
        sa.column("seq", sa.Integer()),
        sa.column("hash", sa.String()),
    )


def backfill(bind: Any, table: sa.TableClause, spec: Spec, batch: int = BATCH) -> int:
    """Give every row of `table` its `seq` and `hash`, chained per `spec.key` in id order; returns how
    many rows were hashed. Runs on the migration's connection (in its transaction)."""
    key = table.c[spec.key]
    chain_ids = [r[0] for r in bind.execute(sa.select(key).distinct().order_by(key))]
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
    )
    hashed = [c for c in spec.hashed if c != "seq"]
    done = 0
    for start in range(0, len(chain_ids), batch):
        ids = chain_ids[start : start + batch]
        found = bind.execute(sa.select(table).where(key.in_(ids)).order_by(key, table.c.id)).mappings()
        rows = [{"id": r["id"], **{n: r[n] for n in hashed}} for r in found]
        link_rows(rows, spec, {})
        if rows:
            bind.execute(update, [{"row_id": r["id"], "new_seq": r["seq"], "new_hash": r["hash"]} for r in rows])
        done += len(rows)
    return done


__all__ = ["BATCH", "backfill", "event_table"]

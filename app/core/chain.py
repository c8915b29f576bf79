"""Hash chains and Merkle roots: the algorithm of the tamper-evident history (docs/history.md).

Every lifecycle event row carries `seq` (its place in its chain, from 1) and
`hash = SHA-256(prev_hash ‖ canonical(event))`, hex; the first event's prev_hash is GENESIS (32 zero
bytes). `canonical()` is version 1 of the canonical form: JSON of the event's fields with `"v": 1`,
keys sorted, no whitespace, UTF-8 (no \\u escapes), timestamps as UTC ISO 8601 with microseconds and
"Z". A new version gets a new `v` and a new function beside this one; version 1 never changes, so
rows hashed under it always verify.

A daily digest per branch is `SHA-256(prev_digest ‖ canonical(summary))` where the summary holds the
Merkle root (RFC 6962 shape: leaves prefixed 0x00, inner nodes 0x01) over the heads of the branch's
chains.

The one chain implementation of every lifecycle (pledges, rating periods, rating decisions): the pure
functions above all, and for a table of chained rows (a key column naming the chain, `seq`, `hash`)
`link_rows` (fill seq and hash of new rows after their chains' heads), `first_break` (where a chain
stops holding), and the statements every such table needs: `heads` (one query), `append` (the heads,
then one multi-row INSERT, in the caller's transaction), `last_id` and `unit_heads` (what a daily
digest fixes and covers). Each domain only declares its kinds of chain (`Spec`: the name, the key
column, the fields hashed; a lifecycle's event rows share `LIFECYCLE_FIELDS`). Checking them is
app.core.chain_check; hashing rows written before a chain existed (migrations) is
app.core.chain_backfill.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, func, insert, select
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime
from app.core.time import as_utc, utcnow

VERSION = 1
GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is int or value is None:  # the common case first: verify is hot
        return value
    if isinstance(value, datetime):
        return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("no NaN or infinity in a hashed event")
        return value
    return str(value)  # enums (StrEnum is a str, caught above) and anything else: its text


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Version 1 of the canonical form of an event (or a digest summary)."""
    body = {**{str(k): _plain(v) for k, v in fields.items()}, "v": VERSION}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def link(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """The hash of an event: SHA-256(prev_hash's 32 bytes ‖ canonical(fields)), hex."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(fields)).hexdigest()


def leaf(chain: str, seq: int, head: str) -> bytes:
    """A Merkle leaf: one chain's head ("pledge:17", its seq, its hash)."""
    return hashlib.sha256(b"\x00" + f"{chain}:{seq}:{head}".encode()).digest()


def merkle_root(leaves: Sequence[bytes]) -> str:
    """RFC 6962 Merkle tree hash over the leaves (already hashed, in order); SHA-256("") when empty."""
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = list(leaves)
    # bottom-up pairing with the odd node promoted gives RFC 6962's tree (split at the largest power of 2)
    while len(level) > 1:
        nxt = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def digest(prev_digest: str, summary: Mapping[str, Any]) -> str:
    """A daily digest: SHA-256(prev_digest's bytes ‖ canonical(summary)), hex."""
    return link(prev_digest, summary)


def short(code: str) -> str:
    """How a digest is printed on paper: its first 16 hex digits in groups of four."""
    return " ".join(code[i : i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------- kinds of chain

LIFECYCLE_FIELDS = (
    "seq",
    "action",
    "from_status",
    "to_status",
    "actor_account_id",
    "actor_name",
    "reason",
    "data",
    "at",
)
"""What of a lifecycle event row (app.core.lifecycle's steps, as every domain writes them) is hashed
after its chain's key; part of version 1, never changes."""


class Chained(SQLModel):
    """The columns of a row in a hash chain (a table model inherits them): its id (a chain is read in
    id order), its place in its chain and its hash, written with the row (`append`), never changed."""

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(default=0)
    hash: str = Field(default="", max_length=64)


class LifecycleEvent(Chained):
    """The columns of a lifecycle's event row (who, what, from which status to which, why, when), as
    a pledge's and a rating period's events share them; the table model adds its chain's key (the
    subject's id) and `actor_account_id` (a foreign key to the accounts, None for SYSTEM)."""

    action: str = Field(max_length=30)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_name: str = Field(default="", max_length=40)
    reason: str | None = Field(default=None, max_length=500)
    data: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Spec:
    """One kind of chain: its name in the canonical form ("pledge"), the column naming a chain
    ("pledge_id"), and the columns hashed (the key first). A domain declares its kinds; everything
    below works from them."""

    name: str
    key: str
    hashed: tuple[str, ...]

    @classmethod
    def lifecycle(cls, name: str, key: str) -> Spec:
        """The chain of a lifecycle's event rows (pledges per pledge, rating periods per period)."""
        return cls(name, key, (key, *LIFECYCLE_FIELDS))

    def fields(self, row: Any) -> dict[str, Any]:
        """What of a row is hashed: a dict of columns, an object or a result row."""
        if isinstance(row, Mapping):
            return {"chain": self.name, **{n: row.get(n) for n in self.hashed}}
        return {"chain": self.name, **{n: getattr(row, n) for n in self.hashed}}

    def hash(self, prev_hash: str, row: Any) -> str:
        """The row's hash after `prev_hash`."""
        return link(prev_hash, self.fields(row))


# ---------------------------------------------------------------- tables of chained rows


def link_rows(rows: Sequence[MutableMapping[str, Any]], spec: Spec, heads: dict[Any, tuple[int, str]]) -> None:
    """Fill `seq` and `hash` of new rows, in order, each after its chain's head (`heads`: chain key ->
    (seq, hash), updated as rows are linked, so several rows of one chain chain onto each other)."""
    for row in rows:
        seq, prev = heads.get(row[spec.key], (0, GENESIS))
        row["seq"] = seq + 1
        row["hash"] = link(prev, spec.fields(row))
        heads[row[spec.key]] = (row["seq"], row["hash"])


def first_break(rows: Sequence[Any], spec: Spec) -> tuple[int, str] | None:
    """Where one chain's rows (in id order, with `seq` and `hash`) stop holding: (index, "seq") when a
    row is out of place (deleted, inserted, reordered), (index, "hash") when its content or a previous
    row changed; None when every link holds."""
    prev = GENESIS
    for index, row in enumerate(rows):
        if row.seq != index + 1:
            return index, "seq"
        if link(prev, spec.fields(row)) != row.hash:
            return index, "hash"
        prev = row.hash
    return None


def heads(session: Session, model: Any, key: str, ids: Iterable[Any]) -> dict[Any, tuple[int, str]]:
    """Each chain's head (seq, hash) in `model`'s table, one query; chains without rows are absent."""
    wanted = set(ids)
    if not wanted:
        return {}
    k, id_, seq, hash_ = (getattr(model, name) for name in (key, "id", "seq", "hash"))
    last = select(func.max(id_)).where(k.in_(wanted)).group_by(k).scalar_subquery()
    rows = session.execute(select(k, seq, hash_).where(id_.in_(last))).all()
    return {c: (int(s), str(h)) for c, s, h in rows}


def append(session: Session, model: Any, spec: Spec, rows: Sequence[MutableMapping[str, Any]]) -> None:
    """Write new rows of a chained table: their chains' heads in one query, each row's seq and hash,
    one multi-row INSERT (in the caller's transaction; the chain's parent row locked by the caller,
    and (key, seq) unique, so a chain cannot fork)."""
    if not rows:
        return
    link_rows(rows, spec, heads(session, model, spec.key, (r[spec.key] for r in rows)))
    session.execute(insert(model), list(rows))


def last_id(session: Session, model: Any) -> int:
    """The largest row id of a chained table now (what a digest fixes); 0 when empty."""
    return int(session.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one())


def unit_heads(
    session: Session, unit_ids: Collection[int], upto: int, *, model: Any, key: str, parent: Any, unit_column: str
) -> dict[int, list[tuple[int, int, str]]]:
    """unit id -> [(chain id, seq, hash)] of each chain's last row with id <= upto, in chain id order,
    for the chains whose parent row (`parent`, joined on `key`) has its `unit_column` in `unit_ids`;
    one query. Units without chains are absent."""
    out: dict[int, list[tuple[int, int, str]]] = {}
    if not unit_ids:
        return out
    k, unit = getattr(model, key), getattr(parent, unit_column)
    last = (
        select(func.max(model.id))
        .join(parent, parent.id == k)
        .where(unit.in_(unit_ids), model.id <= upto)
        .group_by(k)
        .scalar_subquery()
    )
    rows = session.execute(
        select(unit, k, model.seq, model.hash).join(parent, parent.id == k).where(model.id.in_(last)).order_by(k)
    ).all()
    for unit_id, chain_id, seq, h in rows:
        out.setdefault(int(unit_id), []).append((int(chain_id), int(seq), str(h)))
    return out


# ---------------------------------------------------------------- chains the daily digests cover


@dataclass(frozen=True)
class Source:
    """Chains of a domain above the pledges that the daily digests cover too (docs/history.md): the
    domain registers it (`register`), so the digest writer, below it, never imports it.

    - `upto(session)`: the largest row id of its chained table now (what a digest fixes);
    - `units(session)`: the units whose digest holds such chains beyond the branches (a committee's
      rating periods);
    - `heads(session, unit_ids, upto)`: unit id -> [(chain id, seq, hash)] of each chain's last row
      with id <= upto, in chain id order; one query."""

    name: str  # the leaves' label: "period:3", "result:55"
    upto: Callable[[Any], int]  # each takes the session first
    units: Callable[[Any], Iterable[int]]
    heads: Callable[[Any, Collection[int], int], dict[int, list[tuple[int, int, str]]]]


SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Let the daily digests cover a domain's chains (called once, when the domain's module loads)."""
    SOURCES[source.name] = source


__all__ = [
    "GENESIS",
    "LIFECYCLE_FIELDS",
    "SOURCES",
    "VERSION",
    "Chained",
    "LifecycleEvent",
    "Source",
    "Spec",
    "append",
    "canonical",
    "digest",
    "first_break",
    "heads",
    "last_id",
    "leaf",
    "link",
    "link_rows",
    "merkle_root",
    "register",
    "short",
    "unit_heads",
]

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
stops holding), and the two statements every such table needs: `heads` (one query) and `append` (the
heads, then one multi-row INSERT, in the caller's transaction). Each domain says only which fields of
its rows are hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.core.time import as_utc

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


# ---------------------------------------------------------------- tables of chained rows

Fields = Callable[[Any], Mapping[str, Any]]  # a row (dict or object) -> what of it is hashed


def link_rows(
    rows: Sequence[MutableMapping[str, Any]], key: str, heads: dict[Any, tuple[int, str]], fields: Fields
) -> None:
    """Fill `seq` and `hash` of new rows, in order, each after its chain's head (`heads`: chain key ->
    (seq, hash), updated as rows are linked, so several rows of one chain chain onto each other)."""
    for row in rows:
        seq, prev = heads.get(row[key], (0, GENESIS))
        row["seq"] = seq + 1
        row["hash"] = link(prev, fields(row))
        heads[row[key]] = (row["seq"], row["hash"])


def first_break(events: Sequence[Any], fields: Fields) -> tuple[int, str] | None:
    """Where one chain's rows (in id order, with `seq` and `hash`) stop holding: (index, "seq") when a
    row is out of place (deleted, inserted, reordered), (index, "hash") when its content or a previous
    row changed; None when every link holds."""
    prev = GENESIS
    for index, e in enumerate(events):
        if e.seq != index + 1:
            return index, "seq"
        if link(prev, fields(e)) != e.hash:
            return index, "hash"
        prev = e.hash
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


def append(session: Session, model: Any, key: str, rows: Sequence[MutableMapping[str, Any]], fields: Fields) -> None:
    """Write new rows of a chained table: their chains' heads in one query, each row's seq and hash,
    one multi-row INSERT (in the caller's transaction; the chain's parent row locked by the caller,
    and (key, seq) unique, so a chain cannot fork)."""
    if not rows:
        return
    link_rows(rows, key, heads(session, model, key, (r[key] for r in rows)), fields)
    session.execute(insert(model), list(rows))


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
    "SOURCES",
    "VERSION",
    "Source",
    "append",
    "canonical",
    "digest",
    "first_break",
    "heads",
    "leaf",
    "link",
    "link_rows",
    "merkle_root",
    "register",
    "short",
]

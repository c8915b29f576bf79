"""Hash chains and Merkle roots: the algorithm of the tamper-evident history (docs/history.md).

Every lifecycle event row carries `seq` (its place in its chain, from 1) and
`hash = SHA-256(prev_hash ‖ canonical(event))`, hex; the first event's prev_hash is GENESIS (32 zero
bytes). `canonical()` is version 1 of the canonical form: JSON of the event's fields with `"v": 1`,
keys sorted, no whitespace, UTF-8 (no \\u escapes), timestamps as UTC ISO 8601 with microseconds and
"Z". A new version gets a new `v` and a new function beside this one; version 1 never changes, so
rows hashed under it always verify.

A daily digest per branch is `SHA-256(prev_digest ‖ canonical(summary))` where the summary holds the
Merkle root (RFC 6962 shape: leaves prefixed 0x00, inner nodes 0x01) over the heads of the branch's
chains. Pure functions: no database here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

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


__all__ = ["GENESIS", "VERSION", "canonical", "digest", "leaf", "link", "merkle_root", "short"]

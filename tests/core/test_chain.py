"""The chain algorithm (app.core.chain): canonical form version 1 byte for byte, the link, the Merkle
root in RFC 6962's shape, and the short code printed on paper."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from app.core import chain


def test_canonical_form_version_1_is_fixed() -> None:
    at = datetime(2026, 12, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    body = chain.canonical(
        {"to": "published", "at": at, "reason": "已核实", "n": 3, "data": None, "day": date(2026, 12, 1)}
    )
    assert (
        body
        == (
            '{"at":"2026-12-01T00:30:00.000000Z","data":null,"day":"2026-12-01","n":3,'
            '"reason":"已核实","to":"published","v":1}'
        ).encode()
    )
    # key order and the offset of the time do not matter; the content does
    same = chain.canonical(
        {
            "day": date(2026, 12, 1),
            "data": None,
            "n": 3,
            "reason": "已核实",
            "at": at.astimezone(UTC),
            "to": "published",
        }
    )
    assert same == body


def test_nested_data_is_canonical_and_no_nan() -> None:
    assert chain.canonical({"d": {"b": [1, (2, 3)], "a": True}}) == b'{"d":{"a":true,"b":[1,[2,3]]},"v":1}'
    with pytest.raises(ValueError, match="NaN"):
        chain.canonical({"x": float("nan")})


def test_link_is_sha256_of_prev_bytes_and_canonical() -> None:
    fields = {"action": "create"}
    first = chain.link(chain.GENESIS, fields)
    assert first == hashlib.sha256(bytes(32) + chain.canonical(fields)).hexdigest()
    second = chain.link(first, fields)
    assert second != first
    assert second == hashlib.sha256(bytes.fromhex(first) + chain.canonical(fields)).hexdigest()


def _rfc6962(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + _rfc6962(leaves[:k]) + _rfc6962(leaves[k:])).digest()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 100])
def test_merkle_root_is_rfc6962s(n: int) -> None:
    leaves = [chain.leaf(f"pledge:{i}", i, "ab" * 32) for i in range(n)]
    assert chain.merkle_root(leaves) == _rfc6962(leaves).hex()


def test_merkle_root_of_nothing_and_leaf_prefix() -> None:
    assert chain.merkle_root([]) == hashlib.sha256(b"").hexdigest()
    assert chain.leaf("pledge:1", 2, "ff") == hashlib.sha256(b"\x00pledge:1:2:ff").digest()


def test_the_printed_code() -> None:
    code = chain.digest(chain.GENESIS, {"root": chain.merkle_root([])})
    assert chain.short(code) == f"{code[:4]} {code[4:8]} {code[8:12]} {code[12:16]}"

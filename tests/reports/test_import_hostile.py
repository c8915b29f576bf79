"""Hostile files get a clear Chinese error and write nothing: too large, too many rows, a zip bomb, a
macro-enabled or an encrypted workbook, an old .xls, something that is not a spreadsheet."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.members.models import Member
from app.reports import imports_read
from tests.factories import World
from tests.reports.importing import csv_text, member_row, post_file, xlsx


def _zip_with(base: bytes, extra: dict[str, bytes], content_types: bytes | None = None) -> bytes:
    """A copy of an xlsx with extra members (and, if given, another [Content_Types].xml)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml" and content_types is not None:
                data = content_types
            dst.writestr(info.filename, data)
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def _refused(client: TestClient, world: World, data: bytes, status: int, code: str, name: str = "名册.xlsx") -> str:
    r = post_file(client, world.secretary.headers, data, name=name)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == code
    return str(r.json()["detail"])


def _members(db: Session) -> int:
    return int(db.execute(select(func.count()).select_from(Member)).scalar_one())


def test_zip_bomb_is_refused_before_it_is_unpacked(
    client: TestClient, world: World, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _members(db)
    good = xlsx([member_row("甲", "13912349001")])
    # one member that unpacks 1000:1
    bomb = _zip_with(good, {"xl/media/zeros.bin": b"\0" * (4 * 1024 * 1024)})
    assert "压缩炸弹" in _refused(client, world, bomb, 413, "import_zip_bomb")
    # members that each look harmless (incompressible) but add up to more than the limit (200 MB,
    # lowered here so the test need not make 200 MB)
    monkeypatch.setattr(imports_read, "MAX_UNCOMPRESSED", 1024 * 1024)
    many = {f"xl/media/part{i}.bin": os.urandom(300 * 1024) for i in range(4)}
    assert "压缩炸弹" in _refused(client, world, _zip_with(good, many), 413, "import_zip_bomb")
    assert _members(db) == before


def test_macro_enabled_encrypted_and_old_workbooks_are_refused(client: TestClient, world: World) -> None:
    good = xlsx([member_row("甲", "13912349002")])
    with_vba = _zip_with(good, {"xl/vbaProject.bin": b'Attribute VB_Name = "Module1"'})
    assert "宏" in _refused(client, world, with_vba, 415, "import_macro", name="名册.xlsx")
    with zipfile.ZipFile(io.BytesIO(good)) as src:
        types = src.read("[Content_Types].xml").replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    assert "宏" in _refused(client, world, _zip_with(good, {}, types), 415, "import_macro", name="名册.xlsm")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    encrypted = ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 512
    assert "密码" in _refused(client, world, encrypted, 415, "import_encrypted")
    assert ".xls" in _refused(client, world, ole, 415, "import_xls", name="名册.xls")
    assert _refused(client, world, b"PK\x03\x04 not really a zip", 415, "import_unreadable")
    assert _refused(client, world, b"\x89PNG\r\n\x1a\n\0\0\0", 415, "import_unreadable", name="photo.png")
    assert _refused(client, world, b"\xff\xfe\xfa\xfb" * 10, 415, "import_encoding", name="名册.csv")


def test_too_large_and_too_many_rows(client: TestClient, world: World, db: Session) -> None:
    before = _members(db)
    rows = "\r\n".join(f"党员{i},男,139{i:08d},大洼社区党支部" for i in range(imports_read.MAX_ROWS + 1))
    many = ("姓名,性别,手机号,党支部\r\n" + rows).encode()
    assert "5 万行" in _refused(client, world, many, 413, "import_too_many_rows", name="名册.csv")
    big = b"\xef\xbb\xbf" + csv_text([member_row("甲", "13912349003")]).encode() + b" " * imports_read.MAX_BYTES
    assert "20 MB" in _refused(client, world, big, 413, "import_too_large", name="名册.csv")
    # far over the limit: the body is refused as it streams in
    r = post_file(client, world.secretary.headers, b"x" * (imports_read.MAX_BYTES + 2 * 1024 * 1024), name="名册.csv")
    assert r.status_code == 413
    assert _members(db) == before


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n"])
def test_empty_files(client: TestClient, world: World, data: bytes) -> None:
    r = post_file(client, world.secretary.headers, data, name="名册.csv")
    assert r.status_code == 200, r.text
    assert [p["code"] for p in r.json()["problems"]] == ["missing_column", "missing_column"]

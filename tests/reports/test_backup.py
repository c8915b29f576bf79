"""Backups while the app writes, restored into a fresh directory: the same rows (counted and
checksummed per table) and the same upload files; a non-empty target refused; a damaged backup
refused; `liangnuo backup` / `liangnuo restore` end to end. SQLite files of their own (whatever the
suite's database); the PostgreSQL path through pg_dump on a database of its own."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.core.schema import upgrade
from app.members.models import Member
from app.org.models import OrgUnit, UnitKind
from app.reports import backup
from tests.live import ROOT

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def _seed(url: str, uploads: Path) -> None:
    """A migrated database with a unit, a few members, and three upload files."""
    upgrade(url)
    engine = create_engine(url)
    with Session(engine) as s:
        town = OrgUnit(kind=UnitKind.committee, name="备份镇党委")
        s.add(town)
        s.flush()
        town.path = f"/{town.id}/"
        branch = OrgUnit(kind=UnitKind.branch, name="备份村党支部", parent_id=town.id)
        s.add(branch)
        s.flush()
        branch.path = f"{town.path}{branch.id}/"
        s.add_all(Member(name=f"党员{i}", phone=f"1390000{i:04d}", branch_id=branch.id) for i in range(5))  # type: ignore[arg-type]
        s.commit()
    engine.dispose()
    for i, data in enumerate((b"\xff\xd8photo-one", b"\x89PNGtwo", b"%PDF-three")):
        path = uploads / f"{i:02x}" / f"file{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


class Writer(threading.Thread):
    """Adds members one commit at a time until stopped (the app writing during the backup)."""

    def __init__(self, insert: object) -> None:
        super().__init__(daemon=True)
        self.insert = insert
        self.stop = threading.Event()
        self.written = 0

    def run(self) -> None:
        while not self.stop.is_set():
            self.insert(self.written)  # type: ignore[operator]
            self.written += 1

    def wait_for(self, n: int) -> None:
        while self.written < n:
            self.stop.wait(0.005)


INSERT = (
    "INSERT INTO member (name, branch_id, post, public_title, status, board_consent, version, created_at, updated_at)"
    " SELECT 'writer', id, '', '', 'active', false, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
    " FROM org_unit WHERE kind = 'branch'"
)


def _member_insert(connect: object) -> object:
    def insert(_i: int) -> None:
        conn = connect()  # type: ignore[operator]
        try:
            cur = conn.cursor()
            cur.execute(INSERT)
            conn.commit()
        finally:
            conn.close()

    return insert


def _backed_up_while_writing(make_backup: object, writer: Writer) -> backup.Manifest:
    writer.start()
    try:
        writer.wait_for(10)
        manifest = make_backup()  # type: ignore[operator]
        writer.wait_for(writer.written + 10)  # and it went on writing afterwards
    finally:
        writer.stop.set()
        writer.join()
    return manifest  # type: ignore[no-any-return]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_sqlite_backup_during_writes_restores_exactly(tmp_path: Path) -> None:
    src_db, src_uploads = tmp_path / "src" / "liangnuo.db", tmp_path / "src" / "uploads"
    src_db.parent.mkdir()
    _seed(f"sqlite:///{src_db}", src_uploads)
    with sqlite3.connect(src_db) as c:
        c.execute("PRAGMA journal_mode=WAL")

    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(src_db, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    writer = Writer(_member_insert(connect))
    folder = backup.new_folder(tmp_path / "backups")
    manifest = _backed_up_while_writing(lambda: backup.backup_sqlite(src_db, src_uploads, folder), writer)

    assert manifest.integrity == "ok"
    saved = manifest.tables["member"]["rows"]
    assert 5 + 10 <= saved < 5 + writer.written  # a snapshot taken mid-stream
    assert manifest.tables["org_unit"]["rows"] == 2
    assert manifest.revision
    assert set(manifest.files) == {"00/file0.bin", "01/file1.bin", "02/file2.bin"}

    dst_db, dst_uploads = tmp_path / "fresh" / "liangnuo.db", tmp_path / "fresh" / "uploads"
    restored = backup.restore_sqlite(folder, dst_db, dst_uploads)
    assert restored.tables == manifest.tables
    engine = create_engine(f"sqlite:///{dst_db}")
    with engine.connect() as conn:
        assert backup.table_figures(conn) == manifest.tables  # every table: rows and checksum
        assert conn.execute(text("SELECT count(*) FROM member")).scalar() == saved
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    engine.dispose()
    assert _files(dst_uploads) == _files(src_uploads)

    # a non-empty target is refused unless forced
    with pytest.raises(backup.BackupError, match="不是空的"):
        backup.restore_sqlite(folder, dst_db, dst_uploads)
    backup.restore_sqlite(folder, dst_db, dst_uploads, force=True)

    # a damaged backup is refused before anything is written
    (folder / "uploads" / "01" / "file1.bin").write_bytes(b"tampered")
    with pytest.raises(backup.BackupError, match=r"file1\.bin"):
        backup.restore_sqlite(folder, tmp_path / "other" / "liangnuo.db", tmp_path / "other" / "uploads")
    assert not (tmp_path / "other" / "liangnuo.db").exists()


def _cli(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGNUO_")}
    env["LIANGNUO_VAR_DIR"] = str(var)
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_backup_and_restore(tmp_path: Path) -> None:
    src, dst = tmp_path / "var", tmp_path / "var2"
    src.mkdir()
    _seed(f"sqlite:///{src / 'liangnuo.db'}", src / "uploads")
    done = _cli(src, "backup", "--out", str(tmp_path / "bk"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已备份" in done.stdout
    (folder,) = (tmp_path / "bk").iterdir()
    done = _cli(dst, "restore", str(folder))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "与备份清单一致" in done.stdout
    again = _cli(dst, "restore", str(folder))
    assert again.returncode == 2
    assert "--force" in again.stdout
    assert _files(dst / "uploads") == _files(src / "uploads")


def test_postgres_without_pg_dump_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no pg_dump on it
    with pytest.raises(backup.BackupError, match="找不到 pg_dump"):
        backup.backup_postgres("postgresql+psycopg://postgres@127.0.0.1:5432/x", tmp_path, tmp_path)


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    if not PG_URL:
        pytest.skip("PostgreSQL backups are tested in the PostgreSQL run (TEST_DATABASE_URL)")
    admin = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    names = [f"ln_backup_{uuid.uuid4().hex[:8]}_{side}" for side in ("src", "dst")]
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_postgres_backup_during_writes_restores_exactly(pg_databases: tuple[str, str], tmp_path: Path) -> None:
    src_url, dst_url = pg_databases
    uploads = tmp_path / "uploads"
    _seed(src_url, uploads)
    libpq = src_url.replace("postgresql+psycopg://", "postgresql://")
    writer = Writer(_member_insert(lambda: psycopg.connect(libpq)))
    folder = backup.new_folder(tmp_path / "backups")
    manifest = _backed_up_while_writing(lambda: backup.backup_postgres(src_url, uploads, folder), writer)
    saved = manifest.tables["member"]["rows"]
    assert 5 + 10 <= saved < 5 + writer.written

    restored_uploads = tmp_path / "restored"
    backup.restore_postgres(folder, dst_url, restored_uploads)
    engine = create_engine(dst_url)
    with engine.connect() as conn:
        assert backup.table_figures(conn) == manifest.tables
    engine.dispose()
    assert _files(restored_uploads) == _files(uploads)
    with pytest.raises(backup.BackupError, match="不是空的"):
        backup.restore_postgres(folder, dst_url, tmp_path / "empty")

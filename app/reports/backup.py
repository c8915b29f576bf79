"""Backups and restores (`liangnuo backup`, `liangnuo restore`).

A backup is a directory `liangnuo-YYYYmmdd-HHMMSS/` holding the database, the uploads folder and a
`manifest.json`: the database kind, the schema revision, each table's row count and checksum (SHA-256
over its rows in primary-key order), and each file's SHA-256 and size.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies one consistent snapshot while
  the app keeps writing (a WAL reader blocks no writer; copying the file could tear it). The copy
  must pass `PRAGMA integrity_check`, and the manifest is computed from the copy, so it describes
  exactly what was saved.
- PostgreSQL: `pg_dump --format=custom` when pg_dump is on PATH (a clear message otherwise), run on a
  snapshot exported from the transaction that counts the rows, so the dump and the manifest agree.

A restore goes into an empty database and uploads folder only (a non-empty one is refused unless
`force`), then checks the restored tables and files against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, make_url

MANIFEST = "manifest.json"
SQLITE_FILE = "liangnuo.db"
PG_FILE = "liangnuo.dump"
UPLOADS = "uploads"
Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is Chinese, for the operator."""


@dataclass
class Manifest:
    kind: str  # "sqlite" | "postgresql"
    created_at: str
    revision: str | None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"rows": n, "sha256": …}
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # relative path → {"sha256", "size"}
    database_file: dict[str, Any] = field(default_factory=dict)
    integrity: str = ""

    def write(self, folder: Path) -> None:
        (folder / MANIFEST).write_text(json.dumps(self.__dict__, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        path = folder / MANIFEST
        if not path.exists():
            raise BackupError(f"{folder} 里没有 {MANIFEST}：这不是一份亮诺备份")
        return cls(**json.loads(path.read_text(encoding="utf-8")))


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def table_figures(conn: Connection) -> dict[str, dict[str, Any]]:
    """Each table's row count and a checksum of its rows in primary-key order (the same on a copy)."""
    out: dict[str, dict[str, Any]] = {}
    insp = inspect(conn)
    for name in sorted(insp.get_table_names()):
        pk = insp.get_pk_constraint(name).get("constrained_columns") or []
        columns = [c["name"] for c in insp.get_columns(name)]
        order = pk or columns
        quote = conn.dialect.identifier_preparer.quote
        # names come from the database's own catalogue, quoted by the dialect
        listed, ordered = ", ".join(quote(c) for c in columns), ", ".join(quote(c) for c in order)
        sql = f"SELECT {listed} FROM {quote(name)} ORDER BY {ordered}"  # noqa: S608
        h = hashlib.sha256()
        rows = 0
        for row in conn.execute(text(sql)):
            h.update(repr(tuple(_plain(v) for v in row)).encode())
            rows += 1
        out[name] = {"rows": rows, "sha256": h.hexdigest()}
    return out


def _plain(value: Any) -> Any:
    """A value as both databases give it back (SQLite has no native datetime, JSON or bool)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")
    if isinstance(value, bool):
        return int(value)
    return value


def _revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # an empty database has no alembic_version
        return None


def copy_uploads(src: Path, dest: Path, progress: Progress | None = None) -> dict[str, dict[str, Any]]:
    """Copy every file under `src` to `dest`, returning relative path → hash and size."""
    files: dict[str, dict[str, Any]] = {}
    if not src.exists():
        return files
    for path in sorted(p for p in src.rglob("*") if p.is_file() and not p.name.endswith(".tmp")):
        rel = path.relative_to(src).as_posix()
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        files[rel] = {"sha256": sha256_of(target), "size": target.stat().st_size}
        if progress:
            progress(rel)
    return files


def new_folder(root: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = root / f"liangnuo-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = root / f"liangnuo-{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


# ---------------------------------------------------------------- SQLite


def backup_sqlite(db_path: Path, uploads: Path, folder: Path, progress: Progress | None = None) -> Manifest:
    """The online backup of a live SQLite database and its uploads into `folder`."""
    if not db_path.exists():
        raise BackupError(f"找不到数据库文件 {db_path}")
    target = folder / SQLITE_FILE
    src = sqlite3.connect(db_path, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: a consistent snapshot, writers go on under WAL
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        src.close()
        dst.close()
    check = sqlite3.connect(target)
    try:
        integrity = check.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        check.close()
    if integrity != "ok":
        raise BackupError(f"备份文件未通过完整性检查：{integrity}")
    manifest = _describe_sqlite(target, kind_time=datetime.now(UTC).isoformat())
    manifest.integrity = integrity
    manifest.files = copy_uploads(uploads, folder / UPLOADS, progress)
    manifest.database_file = {"name": SQLITE_FILE, "sha256": sha256_of(target), "size": target.stat().st_size}
    manifest.write(folder)
    return manifest


def _describe_sqlite(path: Path, kind_time: str) -> Manifest:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return Manifest(kind="sqlite", created_at=kind_time, revision=_revision(conn), tables=table_figures(conn))
    finally:
        engine.dispose()


def _sqlite_has_data(db_path: Path) -> bool:
    if not db_path.exists() or db_path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(db_path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ]
        return bool(tables)
    finally:
        conn.close()


def _folder_has_files(path: Path) -> bool:
    return path.exists() and any(p.is_file() for p in path.rglob("*"))


def restore_sqlite(folder: Path, db_path: Path, uploads: Path, *, force: bool = False) -> Manifest:
    """The backup in `folder` into `db_path` and `uploads`, checked against its manifest."""
    manifest = Manifest.read(folder)
    if manifest.kind != "sqlite":
        raise BackupError("这是 PostgreSQL 的备份，请在 PostgreSQL 上恢复")
    source = folder / SQLITE_FILE
    _verify_files(folder, manifest, source)
    if not force and (_sqlite_has_data(db_path) or _folder_has_files(uploads)):
        raise BackupError(f"目标不是空的（{db_path} 或 {uploads} 里已有数据）；确认要覆盖请加 --force")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(db_path)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    if force and uploads.exists():
        shutil.rmtree(uploads)
    copied = copy_uploads(folder / UPLOADS, uploads)
    restored = _describe_sqlite(db_path, kind_time=manifest.created_at)
    _compare(manifest, restored.tables, copied)
    return manifest


def _verify_files(folder: Path, manifest: Manifest, database: Path | None) -> None:
    if (
        database is not None
        and manifest.database_file
        and (not database.exists() or sha256_of(database) != manifest.database_file["sha256"])
    ):
        raise BackupError(f"备份的数据库文件 {database.name} 缺失或已损坏（校验值不符）")
    for rel, info in manifest.files.items():
        path = folder / UPLOADS / rel
        if not path.exists() or sha256_of(path) != info["sha256"]:
            raise BackupError(f"备份的上传文件 {rel} 缺失或已损坏（校验值不符）")


def _compare(manifest: Manifest, tables: dict[str, dict[str, Any]], files: dict[str, dict[str, Any]]) -> None:
    if tables != manifest.tables:
        wrong = sorted(n for n in set(tables) | set(manifest.tables) if tables.get(n) != manifest.tables.get(n))
        raise BackupError(f"恢复后的数据与备份清单不符：{', '.join(wrong)}")
    if files != manifest.files:
        raise BackupError("恢复后的上传文件与备份清单不符")


# ---------------------------------------------------------------- PostgreSQL


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"找不到 {name}：PostgreSQL 的备份和恢复需要它（Debian/Ubuntu：apt-get install postgresql-client，"
            "版本不低于服务器），或用数据库服务商的备份功能"
        )
    return path


def backup_postgres(url: str, uploads: Path, folder: Path, progress: Progress | None = None) -> Manifest:
    """pg_dump (custom format) on a snapshot exported from the transaction that counts the rows."""
    pg_dump = _pg_tool("pg_dump")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            dump = folder / PG_FILE
            done = subprocess.run(  # noqa: S603 (a fixed tool, arguments not from a shell)
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    "--no-owner",
                    f"--file={dump}",
                    _libpq_url(url),
                ],
                capture_output=True,
                text=True,
                env={**os.environ},
                check=False,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_dump 失败：{done.stderr.strip()[:500]}")
            manifest = Manifest(
                kind="postgresql",
                created_at=datetime.now(UTC).isoformat(),
                revision=_revision(conn),
                tables=table_figures(conn),
                integrity="pg_dump ok",
            )
    finally:
        engine.dispose()
    manifest.files = copy_uploads(uploads, folder / UPLOADS, progress)
    manifest.database_file = {
        "name": PG_FILE,
        "sha256": sha256_of(folder / PG_FILE),
        "size": (folder / PG_FILE).stat().st_size,
    }
    manifest.write(folder)
    return manifest


def restore_postgres(folder: Path, url: str, uploads: Path, *, force: bool = False) -> Manifest:
    manifest = Manifest.read(folder)
    if manifest.kind != "postgresql":
        raise BackupError("这是 SQLite 的备份，请在 SQLite 上恢复")
    dump = folder / PG_FILE
    _verify_files(folder, manifest, dump)
    pg_restore = _pg_tool("pg_restore")
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            has_data = bool(inspect(conn).get_table_names())
        if has_data and not force:
            raise BackupError("目标数据库不是空的；确认要覆盖请加 --force")
        if not force and _folder_has_files(uploads):
            raise BackupError(f"上传文件目录 {uploads} 不是空的；确认要覆盖请加 --force")
        args = [pg_restore, "--no-owner", f"--dbname={_libpq_url(url)}"]
        if has_data:
            args += ["--clean", "--if-exists"]
        done = subprocess.run([*args, str(dump)], capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise BackupError(f"pg_restore 失败：{done.stderr.strip()[:500]}")
        if force and uploads.exists():
            shutil.rmtree(uploads)
        copied = copy_uploads(folder / UPLOADS, uploads)
        with engine.connect() as conn:
            _compare(manifest, table_figures(conn), copied)
    finally:
        engine.dispose()
    return manifest

"""One Settings class: every knob of the service, read from LIANGNUO_* variables or a .env file.

No secret has a default: a missing one is generated once (≥ 256 bits) and kept under var/ with 0600
permissions, so a restart keeps sessions and hashes valid.
"""

from __future__ import annotations

import json
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
MIN_SECRET_LENGTH = 32  # characters; generated secrets have 64 (384 bits)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIANGNUO_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,  # a rejected secret must not be echoed
    )

    var_dir: Path = Field(default=PROJECT_ROOT / "var", description="数据目录：数据库、上传文件、生成的密钥")
    database_url: str = Field(default="", description="默认 var/ 下的 SQLite 文件；PostgreSQL 用 postgresql+psycopg://")
    public_base_url: str = Field(default="http://127.0.0.1:8000", description="公示牌二维码中的对外地址")
    jwt_secret: str | None = Field(default=None, description="HS256 密钥；不设则在 var/ 下生成并保存")
    jwt_issuer: str = "liangnuo"
    jwt_audience: str = "liangnuo-api"
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    login_max_failures: int = Field(default=5, description="同一手机号在同一网络地址上的登录失败次数上限")
    login_max_failures_per_phone: int = Field(default=20, description="同一手机号（不论从哪里）的登录失败次数上限")
    login_max_failures_per_address: int = Field(
        default=30, description="同一网络地址（不论哪个手机号）的登录失败次数上限；村里常共用一个出口地址"
    )
    login_window_minutes: int = 15
    hash_salt: str | None = Field(default=None, description="IP/设备哈希的盐；不设则在 var/ 下生成并保存")
    # lists: comma-separated ("10.0.0.2,10.0.0.3") or JSON ('["10.0.0.2"]')
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="可信反向代理地址（信任其 X-Forwarded-For）"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, description="允许跨域的来源；默认关闭")
    docs_enabled: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    storage_dir: Path | None = Field(default=None, description="上传文件目录，默认 var/uploads")
    idempotency_hours: int = 48
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="请求体大小上限（字节）；照片上传的接口另有各自的上限"
    )
    scheduler_enabled: bool = Field(default=True, description="服务内每日生成到期提醒")
    public_recheck_seconds: float = Field(
        default=1.0,
        ge=0,
        description="公示牌页面在本进程内复用的最长秒数；0 为每次查库。PostgreSQL 或 Redis 下每次请求先核对共享的"
        "内容版本，任何进程的修改立即可见；SQLite 单进程下命令行等他进程的修改最多晚这么久可见",
    )
    static_boards_dir: Path | None = Field(
        default=None,
        description="公示牌静态文件目录：设置后每块公示牌和创星榜在修改后写成静态文件（index.html 及 .gz/.br），"
        "由 nginx 或 CDN 直接发送；不设则不写",
    )
    static_boards_debounce_seconds: float = Field(
        default=0.5, ge=0, description="修改后等这么久再写静态文件（同一阵修改只写一次）"
    )
    redis_url: str = Field(
        default="",
        description="Redis 地址（如 redis://127.0.0.1:6379/0）；多进程、多台服务器共用限流计数和页面版本。不设："
        "PostgreSQL 下用数据库，SQLite 下只在本进程内（只能单进程）",
    )
    redis_prefix: str = Field(
        default="liangnuo", description="本服务在 Redis 里的键名前缀（几套服务共用一个 Redis 时各设一个）"
    )
    bench_ceiling_file: Path | None = Field(
        default=None,
        description="bench/board.py only: serve this file at /_bench/ceiling, before any middleware",
    )

    @field_validator("trusted_proxies", "cors_origins", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("jwt_secret", "hash_salt")
    @classmethod
    def _long_enough(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None  # set but empty (e.g. an unset compose variable): generate one
        if value is not None and len(value.strip()) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters (leave it unset to generate one)")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'liangnuo.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def uploads_dir(self) -> Path:
        return self.storage_dir or self.var_dir / "uploads"

    @cached_property
    def jwt_key(self) -> str:
        return self.jwt_secret or _kept_secret(self.var_dir / "jwt_secret")

    @cached_property
    def salt(self) -> str:
        return self.hash_salt or _kept_secret(self.var_dir / "hash_salt")


def _kept_secret(path: Path) -> str:
    """Read a generated secret, or create it once with owner-only permissions.

    The value is written to a private temp file first and then hard-linked into place, so another
    process starting at the same moment sees either no file or the whole secret, never half of it."""
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)  # 384 bits
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, value.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:  # another process won the race: use theirs
        return _read_secret(path)
    finally:
        tmp.unlink()
    return value


def _read_secret(path: Path) -> str:
    value = path.read_text().strip()
    if len(value) < MIN_SECRET_LENGTH:
        # an empty or truncated file must never become a signing key
        raise RuntimeError(f"{path} holds no usable secret: delete it to generate a new one")
    return value


settings = Settings()

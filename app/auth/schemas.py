from __future__ import annotations

from pydantic import BaseModel, Field

from app.core.errors import register_labels


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105
    expires_in: int = Field(description="访问令牌有效秒数")
    must_change_password: bool = False


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class LogoutRequest(BaseModel):
    refresh_token: str | None = Field(default=None, max_length=200)


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


register_labels(
    {
        "username": "手机号",
        "password": "密码",
        "refresh_token": "刷新令牌",
        "current_password": "当前密码",
        "new_password": "新密码",
    }
)

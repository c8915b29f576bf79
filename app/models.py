"""Every domain's table models, imported in dependency order so Alembic and relationships see them all."""

from app.auth.models import Account, LoginFailure, RefreshToken, RevokedAccessToken
from app.core import db as _db  # noqa: F401  (naming convention before any table)
from app.members.models import Member
from app.org.models import OrgUnit, RoleGrant

__all__ = ["Account", "LoginFailure", "Member", "OrgUnit", "RefreshToken", "RevokedAccessToken", "RoleGrant"]

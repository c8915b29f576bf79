"""A forgotten password: the secretary (in their branch) or a committee admin (in the subtree) gives the
member a one-time initial password, shown once and printed on a slip.

The password is generated here and only its hash is stored; the member must change it at the next
sign-in, and every session of the account ends at once. The clear password leaves the server once,
in the answer to the request: the route keeps a copy without it for an Idempotency-Key replay.
"""

from __future__ import annotations

from sqlmodel import Session

from app.auth import service as auth_service
from app.core import security
from app.core.db import end_read_phase
from app.core.errors import Conflict
from app.core.permissions import Actor, Permission, require
from app.core.time import utcnow
from app.members.models import Member, MemberStatus
from app.members.schemas import PasswordResetRead
from app.org import service as org_service


def reset_password(session: Session, *, actor: Actor, member: Member) -> PasswordResetRead:
    """Give the member's account a new one-time initial password (returned in clear, once).

    409 when the member has no account (open one instead), is off the roll (their account is
    disabled), or is the actor themself (change it under 我的 → 修改密码)."""
    branch = org_service.get_unit(session, member.branch_id)
    require(actor, Permission.member_manage, branch)
    if member.account_id is None:
        raise Conflict("该党员还没有开通登录账号，请先开通账号", code="account_missing")
    if member.status != MemberStatus.active:
        raise Conflict("该党员不在册，账号已停用；恢复为在册后才能重置密码", code="member_not_active")
    if member.account_id == actor.account_id:
        raise Conflict("不能重置自己的密码，请在“我的”里修改密码", code="own_password")
    account = auth_service.get_account(session, member.account_id)
    password = auth_service.generate_initial_password(phone=account.phone)
    # argon2 (~0.1 s) runs outside the write lock: nothing has been written yet
    end_read_phase(session)
    password_hash = security.hash_password(password)
    auth_service.reset_password(session, account_id=member.account_id, password_hash=password_hash, actor=actor)
    assert member.id is not None
    return PasswordResetRead(
        member_id=member.id,
        name=member.name,
        login=account.phone,
        initial_password=password,
        issued_at=utcnow(),
    )

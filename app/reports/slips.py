"""The printable slip list of an import's new accounts: A4 PDF, ten cut-out slips a page (name, branch,
login phone, the one-time initial password, the address), laid out by WeasyPrint with the CJK font
embedded, as the board posters are (boards/poster.py). Nothing of it is stored: the PDF is made from
the slips in hand (the CLI's, or the ones the PWA sends back) and handed out once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import service as auth_service
from app.auth.models import Account
from app.core import security
from app.core.config import settings
from app.core.errors import Unprocessable
from app.core.permissions import Actor, Permission, require
from app.core.time import local_display, utcnow
from app.members import service as members_service
from app.members.models import MemberStatus
from app.org import service as org_service
from app.reports.schemas_imports import Slip, SlipRequest

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), undefined=StrictUndefined
)


def html(slips: Sequence[Slip], *, title: str = "登录凭条") -> str:
    # ten slips a page, two a row, each page a table of its own: WeasyPrint lays out one page at a
    # time (one flex container of all the slips took 81 s for 200)
    rows = [list(slips[i : i + 2]) for i in range(0, len(slips), 2)]
    pages = [rows[i : i + 5] for i in range(0, len(rows), 5)]
    return _env.get_template("slips.html").render(
        pages=pages, title=title, url=settings.public_base_url, issued=f"（{local_display(utcnow())} 生成）"
    )


def pdf(slips: Sequence[Slip], *, title: str = "登录凭条") -> bytes:
    from weasyprint import HTML  # lazily: pango loads only when a PDF is asked for

    data: bytes = HTML(string=html(slips, title=title), base_url=str(TEMPLATES)).write_pdf()
    return data


def slips_for(session: Session, *, actor: Actor, requests: Sequence[SlipRequest]) -> list[Slip]:
    """Slips for members the actor manages whose accounts still wait for their first sign-in (the
    password on a slip is void once changed); the names and logins come from the database, so the
    endpoint prints nothing but the members' own slips. 422 naming each member that does not qualify."""
    members = members_service.members_by_id(session, [r.member_id for r in requests])
    branches = org_service.units_by_id(session, {m.branch_id for m in members.values()})
    accounts = {
        a.id: a
        for a in session.execute(
            select(Account).where(col(Account.id).in_({m.account_id for m in members.values() if m.account_id}))
        ).scalars()
    }
    out: list[Slip] = []
    errors: list[dict[str, str]] = []
    for index, request in enumerate(requests):
        member = members.get(request.member_id)
        if member is None:
            errors.append({"field": f"slips.{index}.member_id", "message": "未找到该党员"})
            continue
        branch = branches[member.branch_id]
        require(actor, Permission.member_manage, branch)
        account = accounts.get(member.account_id) if member.account_id else None
        if account is None or not account.must_change_password:
            errors.append(
                {
                    "field": f"slips.{index}.member_id",
                    "message": f"{member.name} 已修改过密码或没有待领取的初始密码，凭条作废",
                }
            )
            continue
        out.append(
            Slip(
                member_id=request.member_id,
                name=member.name,
                unit_name=branch.name,
                login=account.phone,
                initial_password=request.initial_password,
            )
        )
    if errors:
        raise Unprocessable(f"有 {len(errors)} 张凭条不能打印", code="slips_invalid", errors=errors)
    return out


def reissue(session: Session, *, actor: Actor, member_ids: Sequence[int]) -> list[Slip]:
    """New one-time passwords for members whose import answer was lost (a dropped connection: the
    replayed answer carries no password). Only accounts that have never signed in and still wait
    for their first password change qualify; 422 naming each member that does not, before anything
    is written. The old passwords stop working; the new ones are returned once, hashed as the
    import's are."""
    members = members_service.members_by_id(session, member_ids)
    branches = org_service.units_by_id(session, {m.branch_id for m in members.values()})
    accounts = {
        a.id: a
        for a in session.execute(
            select(Account).where(col(Account.id).in_({m.account_id for m in members.values() if m.account_id}))
        ).scalars()
    }
    errors: list[dict[str, str]] = []
    chosen = []
    for index, member_id in enumerate(member_ids):
        member = members.get(member_id)
        if member is None:
            errors.append({"field": f"member_ids.{index}", "message": "未找到该党员"})
            continue
        require(actor, Permission.member_manage, branches[member.branch_id])
        account = accounts.get(member.account_id) if member.account_id else None
        fresh = account is not None and account.must_change_password and account.last_login_at is None
        if not fresh or member.status != MemberStatus.active or member.account_id == actor.account_id:
            errors.append(
                {
                    "field": f"member_ids.{index}",
                    "message": f"{member.name} 已登录过或账号不可用，请在党员信息里重置密码",
                }
            )
            continue
        chosen.append((member, account))
    if errors:
        raise Unprocessable(f"有 {len(errors)} 名党员不能重新生成凭条", code="slips_invalid", errors=errors)
    out = []
    for member, account in chosen:
        assert account is not None
        assert account.id is not None
        password = auth_service.generate_initial_password(phone=account.phone)
        auth_service.reset_password(
            session, account_id=account.id, password_hash=security.hash_one_time_password(password), actor=actor
        )
        branch = branches[member.branch_id]
        out.append(
            Slip(
                member_id=int(member.id or 0),
                name=member.name,
                unit_name=branch.name,
                login=account.phone,
                initial_password=password,
            )
        )
    return out
